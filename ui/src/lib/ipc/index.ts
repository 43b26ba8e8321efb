// The one gateway to the backend: the only module that imports @tauri-apps. Commands
// are the generated, typed functions of commands.ts (from the command table in Rust);
// events are typed with the generated bindings (bindings.ts).
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { EVENTS, type IndexProgress, type IpcError } from "./bindings";

export * from "./bindings";
export { commands } from "./commands";

/** Turns whatever a command rejected with into an IpcError. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as IpcError;
  return { code: "internal", message: String(e), query: null };
}

export type DropEvent = { kind: "over" | "drop" | "leave"; paths: string[]; at: { x: number; y: number } | null };

export const events = {
  onIndexProgress: (f: (p: IndexProgress) => void): Promise<UnlistenFn> =>
    listen<IndexProgress>(EVENTS.indexProgress, (e) => f(e.payload)),
  onIndexChanged: (f: () => void): Promise<UnlistenFn> => listen(EVENTS.indexChanged, () => f()),
  onIndexError: (f: (e: IpcError) => void): Promise<UnlistenFn> =>
    listen<IpcError>(EVENTS.indexError, (e) => f(e.payload)),
  /** Folders dragged over or dropped on the window (Tauri's drag-and-drop event, not
   * HTML5), with where the pointer is in CSS pixels of the page (`null` when it left). */
  onDrop: (f: (ev: DropEvent) => void): Promise<UnlistenFn> =>
    getCurrentWebview().onDragDropEvent((e) => {
      const p = e.payload;
      const at = (pos: { x: number; y: number }) => ({ x: pos.x / devicePixelRatio, y: pos.y / devicePixelRatio });
      if (p.type === "drop") f({ kind: "drop", paths: p.paths, at: at(p.position) });
      else if (p.type === "enter" || p.type === "over") f({ kind: "over", paths: [], at: at(p.position) });
      else f({ kind: "leave", paths: [], at: null });
    }),
};
