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

export const events = {
  onIndexProgress: (f: (p: IndexProgress) => void): Promise<UnlistenFn> =>
    listen<IndexProgress>(EVENTS.indexProgress, (e) => f(e.payload)),
  onIndexChanged: (f: () => void): Promise<UnlistenFn> => listen(EVENTS.indexChanged, () => f()),
  onIndexError: (f: (e: IpcError) => void): Promise<UnlistenFn> =>
    listen<IpcError>(EVENTS.indexError, (e) => f(e.payload)),
  /** Folders dropped on the window (Tauri's drag-and-drop event, not HTML5). */
  onDrop: (f: (ev: { kind: "over" | "drop" | "leave"; paths: string[] }) => void): Promise<UnlistenFn> =>
    getCurrentWebview().onDragDropEvent((e) => {
      const p = e.payload;
      if (p.type === "drop") f({ kind: "drop", paths: p.paths });
      else if (p.type === "enter" || p.type === "over") f({ kind: "over", paths: [] });
      else f({ kind: "leave", paths: [] });
    }),
};
