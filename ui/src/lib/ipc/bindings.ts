// Generated from src-tauri/src/ipc.rs by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.

export type StoreView = { id: number, reader: string, source: string, root: string, runs: number, warnings: number, scannedMs: number | null, error: string | null, };

export type WarningView = { storeId: number, file: string | null, location: string | null, message: string, };

export type MetricCell = { 
/**
 * Value at the highest step.
 */
latest: Num, min: Num, max: Num, count: number, lastStep: number, };

export type RunRow = { id: string, name: string, experiment: string | null, status: string, source: string, storeId: number, deleted: boolean, parent: string | null, startMs: number | null, endMs: number | null, user: string | null, params: { [key in string]: string }, metrics: { [key in string]: MetricCell }, };

export type RunsRequest = { includeDeleted: boolean, 
/**
 * In the filter language; blank for all runs.
 */
filter: string, 
/**
 * Sort keys, most significant first (`-started`, ``metrics.`val/loss`.min``).
 */
sort: Array<string>, offset: number, limit: number, };

export type RunsPage = { runs: Array<RunRow>, 
/**
 * Runs matching the filter, all pages together.
 */
total: number, };

export type QueryError = { 
/**
 * `filter` or `sort`.
 */
input: string, 
/**
 * Character span (Unicode scalar values) in that input.
 */
start: number, end: number, message: string, expected: Array<string>, };

export type SeriesQuery = { runId: string, key: string, 
/**
 * `step`, `time` or `relative`.
 */
x: string, from: number | null, to: number | null, maxPoints: number, smoothing: number, };

export type SeriesData = { runId: string, key: string, xs: Array<number>, ys: Array<number | null>, stored: number, inRange: number, reduced: boolean, originMs: number, };

export type MetricKey = { key: string, runs: number, };

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

export type ErrorCode = "missing_path" | "bad_query" | "invalid" | "not_found" | "index" | "internal";

export type IpcError = { code: ErrorCode, message: string, 
/**
 * For `bad_query`: where to underline.
 */
query: QueryError | null, };

export type Num = number | "NaN" | "Infinity" | "-Infinity";
export const EVENTS = { indexProgress: "index-progress", indexChanged: "index-changed", indexError: "index-error" } as const;
