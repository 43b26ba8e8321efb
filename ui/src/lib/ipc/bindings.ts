// Generated from src-tauri/src/ipc.rs by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.

export type StoreView = { id: number, reader: string, source: string, root: string, runs: number, warnings: number, scannedMs: number | null, error: string | null, };

export type WarningView = { storeId: number, file: string | null, location: string | null, message: string, };

export type MetricCell = { 
/**
 * Value at the highest step.
 */
latest: Num, min: Num, max: Num, count: number, lastStep: number, };

export type RunRow = { id: string, name: string, experiment: string | null, status: string, source: string, storeId: number, deleted: boolean, parent: string | null, startMs: number | null, endMs: number | null, user: string | null, params: { [key in string]: string }, metrics: { [key in string]: MetricCell }, };

export type StoreOutcome = { store: StoreView, runsNew: number, runsUpdated: number, pointsAdded: number, error: string | null, };

export type AddOutcome = { stores: Array<StoreOutcome>, 
/**
 * Folders that could not be searched.
 */
warnings: Array<string>, };

export type IndexProgress = { 
/**
 * What is being done, in words.
 */
message: string, done: number, total: number, };

export type ErrorCode = "missing_path" | "not_found" | "index" | "internal";

export type IpcError = { code: ErrorCode, message: string, };

export type Num = number | "NaN" | "Infinity" | "-Infinity";
export const EVENTS = { indexProgress: "index-progress", indexChanged: "index-changed", indexError: "index-error" } as const;
