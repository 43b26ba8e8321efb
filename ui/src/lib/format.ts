// Display formatting only (no data rules: those live in Rust).
import type { Num } from "./ipc";

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as `2024-05-06 14:03`: compact, sortable, unambiguous. */
export function formatTime(ms: number | null): string {
  if (ms === null) return "–";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatNum(v: Num | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v === "NaN" ? "NaN" : v === "Infinity" ? "∞" : "−∞";
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** The last one or two path components, for narrow places (full path in a tooltip). */
export function shortPath(p: string): string {
  const parts = p.split("/").filter(Boolean);
  return parts.length <= 2 ? p : `…/${parts.slice(-2).join("/")}`;
}
