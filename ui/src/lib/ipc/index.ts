// The one gateway to the backend: the only module that imports @tauri-apps. Every
// command and event is typed with the generated bindings (bindings.ts).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import {
  EVENTS,
  type AddOutcome,
  type IndexProgress,
  type IpcError,
  type MetricKey,
  type RunsPage,
  type RunsRequest,
  type SeriesData,
  type SeriesQuery,
  type StoreView,
  type WarningView,
} from "./bindings";

export * from "./bindings";

/** Turns whatever a command rejected with into an IpcError. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as IpcError;
  return { code: "internal", message: String(e), query: null };
}

export const api = {
  listStores: () => invoke<StoreView[]>("list_stores"),
  queryRuns: (request: RunsRequest) => invoke<RunsPage>("query_runs", { request }),
  metricKeys: (runIds: string[]) => invoke<MetricKey[]>("metric_keys", { runIds }),
  series: (query: SeriesQuery) => invoke<SeriesData | null>("series", { query }),
  storeWarnings: (storeId: number) => invoke<WarningView[]>("store_warnings", { storeId }),
  addPaths: (paths: string[]) => invoke<AddOutcome>("add_paths", { paths }),
  pickFolder: () => invoke<string | null>("pick_folder"),
};

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
