// Display formatting only (no data rules: those live in Rust; numbers arrive formatted).

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as `2024-05-06 14:03`: compact, sortable, unambiguous. */
export function formatTime(ms: number | null): string {
  if (ms === null) return "–";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The last one or two path components, for narrow places (full path in a tooltip). */
export function shortPath(p: string): string {
  const parts = p.split("/").filter(Boolean);
  return parts.length <= 2 ? p : `…/${parts.slice(-2).join("/")}`;
}

/** Bytes in binary units: `512 B`, `2.0 KiB`, `1.5 MiB`, `3.20 GiB`, `1.10 TiB`. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n < 1024 ** 4) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  return `${(n / 1024 ** 4).toFixed(2)} TiB`;
}
