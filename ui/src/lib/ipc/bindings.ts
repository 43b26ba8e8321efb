// Generated from src-tauri/src/ipc.rs and the command table in src-tauri/src/commands.rs
// by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.

export type StoreId = number;

export type Problem = { code: ErrorCode, message: string, };

export type StoreView = { id: StoreId, reader: string, source: string, 
/**
 * The kind of store within its source (`file` for `mlflow-file`); empty when the
 * source has one kind.
 */
kind: string, root: string, runs: number, warnings: number, scannedMs: number | null, 
/**
 * Why the last scan could not read the store at all.
 */
error: Problem | null, };

export type WarningView = { storeId: StoreId, file: string | null, location: string | null, message: string, };

export type MetricCellText = { latest: string, min: string, max: string, };

export type MetricCell = { 
/**
 * Value at the highest step.
 */
latest: Num, min: Num, max: Num, count: number, lastStep: number, 
/**
 * The numbers as cells show them (`format::number`).
 */
text: MetricCellText, };

export type RunStatus = "running" | "finished" | "failed" | "killed" | "scheduled" | "unknown";

export type RunRow = { id: string, name: string, experiment: string | null, status: RunStatus, source: string, storeId: StoreId, deleted: boolean, parent: string | null, startMs: number | null, endMs: number | null, 
/**
 * How long the run took (`1h 2m`), when both ends are known.
 */
duration: string | null, user: string | null, params: { [key in string]: string }, metrics: { [key in string]: MetricCell }, 
/**
 * Yours: starred, and the labels you gave it.
 */
starred: boolean, labels: Array<string>, 
/**
 * The total size of the files its store lists (`artifacts.size`).
 */
artifactBytes: number, };

export type RunsRequest = { includeDeleted: boolean, 
/**
 * In the filter language; blank for all runs.
 */
filter: string, 
/**
 * Most significant first; after them, newest first.
 */
sort: Array<SortBy>, offset: number, limit: number, };

export type SortBy = { 
/**
 * A field of the filter language: an attribute column's name (`started`) or a
 * [`MetricColumn::field`], never built by the UI.
 */
field: string, descending: boolean, };

export type MetricColumn = { key: string, 
/**
 * The column's field for [`SortBy`] (`` metrics.`val/loss` ``).
 */
field: string, };

export type RunsPage = { runs: Array<RunRow>, 
/**
 * Runs matching the filter, all pages together.
 */
total: number, 
/**
 * The metric columns a table of these runs shows.
 */
metricColumns: Array<MetricColumn>, };

export type ExperimentUsageView = { name: string | null, bytes: number, };

export type StoreUsageView = { id: StoreId, root: string, source: string, runs: number, 
/**
 * Everything counted once: the runs' files and the store's own.
 */
bytes: number, 
/**
 * The files the store lists for its runs.
 */
artifactBytes: number, experiments: Array<ExperimentUsageView>, };

export type RunUsageView = { runId: string, name: string, experiment: string | null, bytes: number, files: number, 
/**
 * What the folders attached to it take.
 */
attachedBytes: number, };

export type LargeFileView = { runId: string, runName: string, path: string, size: number, 
/**
 * The attached folder it is in (`null`: the store's).
 */
attached: string | null, };

export type StorageView = { stores: Array<StoreUsageView>, 
/**
 * The largest runs, largest first.
 */
runs: Array<RunUsageView>, 
/**
 * The largest files of any run, largest first.
 */
files: Array<LargeFileView>, 
/**
 * The folders attached to runs, largest first (not part of any store).
 */
attached: Array<AttachedUsageView>, };

export type AttachedUsageView = { runId: string, runName: string, folder: string, present: boolean, bytes: number, files: number, };

export type ArtifactView = { path: string, size: number, 
/**
 * Embedded in another file of the store (a TensorBoard image, W&B media).
 */
embedded: boolean, 
/**
 * The attached folder it is in (`null`: the store's own).
 */
attached: string | null, 
/**
 * Last modified, ms since the epoch (`null`: inside a log, or not there now).
 */
modifiedMs: number | null, 
/**
 * What kind of file it is, by its name (`image`, `table`, `json`, `model`, …).
 */
kind: string, };

export type AttachedFolderView = { folder: string, 
/**
 * There now (a deleted folder or an unmounted disk lists nothing).
 */
present: boolean, };

export type SameFileView = { runId: string, runName: string, path: string, };

export type DatasetView = { name: string, digest: string, context: string | null, sourceType: string | null, source: string | null, };

export type ThumbnailRequest = { runId: string, path: string, side: number, };

export type ThumbnailView = { url: string, 
/**
 * `null` for an image given as it is (SVG, or one that does not decode).
 */
width: number | null, height: number | null, };

export type AttachRequest = { runId: string, folder: string, };

export type AttachOutcome = { folder: string, 
/**
 * Its files the run now lists; `shadowed`: those whose path the run already had.
 */
files: number, shadowed: number, 
/**
 * It holds more files than a listing walks.
 */
truncated: boolean, 
/**
 * The run's page as it now is.
 */
detail: RunDetail, };

export type ArtifactPatternView = { pattern: string, runs: number, files: number, };

export type OpenArtifactRequest = { runId: string, path: string, reveal: boolean, };

export type ArtifactDiffRequest = { runA: string, runB: string, path: string, };

export type ArtifactGridRequest = { runIds: Array<string>, pattern: string, };

export type ArtifactGridView = { steps: Array<number | null>, cells: Array<Array<string | null>>, };

export type ArtifactRequest = { runId: string, path: string, before: number | null, };

export type NotebookOutputView = { "kind": "text", text: string, error: boolean, } | { "kind": "html", html: string, } | { "kind": "image", url: string, };

export type NotebookCellView = { 
/**
 * `code`, `markdown` or `raw`.
 */
kind: string, source: string, 
/**
 * A Markdown cell, rendered and sanitized.
 */
html: string | null, executionCount: number | null, outputs: Array<NotebookOutputView>, };

export type ArtifactPreview = { "kind": "image", url: string, bytes: number, } | { "kind": "text", text: string, start: number, end: number, size: number, language: string | null, 
/**
 * For a whole JSON or YAML file: `[first, last]` line numbers (from 0) of each
 * block that can be folded, its first line shown when folded.
 */
folds: Array<[number, number]>, } | { "kind": "table", header: Array<string>, rows: Array<Array<string>>, truncated: boolean, } | { "kind": "markdown", html: string, size: number, } | { "kind": "html", html: string, size: number, } | { "kind": "notebook", language: string | null, cells: Array<NotebookCellView>, size: number, } | { "kind": "binary", size: number, what: string, blake3: string, };

export type ProvenanceView = { 
/**
 * The command line that ran (interpreter, program, arguments), shell-quoted.
 */
command: string | null, workdir: string | null, commit: string | null, branch: string | null, remote: string | null, 
/**
 * Uncommitted changes in the working tree; `null`: not recorded.
 */
dirty: boolean | null, python: string | null, packages: Array<string>, environmentFiles: Array<string>, host: string | null, os: string | null, 
/**
 * `cd <workdir> && git checkout <commit> && <command>`, when the store recorded enough.
 */
reproduce: string | null, 
/**
 * What the store did not record that an exact re-run needs, as sentences.
 */
missing: Array<string>, };

export type RunDetail = { run: RunRow, 
/**
 * The store's root (folder, database file or URL).
 */
store: string, 
/**
 * The run's id inside its store.
 */
nativeId: string, commit: string | null, artifactDir: string | null, tags: { [key in string]: string }, artifacts: Array<ArtifactView>, 
/**
 * The folders attached to the run, the earliest first.
 */
attachedFolders: Array<AttachedFolderView>, 
/**
 * The datasets it consumed, by name.
 */
datasets: Array<DatasetView>, starred: boolean, note: string, labels: Array<string>, 
/**
 * `null` when the tracker recorded nothing of how the run started.
 */
provenance: ProvenanceView | null, };

export type QueryError = { input: QueryInput, 
/**
 * Character span (Unicode scalar values) in that input.
 */
start: number, end: number, message: string, expected: Array<string>, };

export type QueryInput = "filter" | "sort";

export type ChartX = "step" | "time" | "relative";

export type ChartMetric = { key: string, 
/**
 * Visible range; open ends (`null`) reach to the first or last point.
 */
from: number | null, to: number | null, };

export type ChartRequest = { runIds: Array<string>, metrics: Array<ChartMetric>, x: ChartX, 
/**
 * Points per line at most (about two per pixel).
 */
maxPoints: number, smoothing: number, };

export type Chart = { key: string, lines: Array<SeriesData>, 
/**
 * For the relative axis: ticks at round durations, labelled (`1h 30m`).
 */
ticks: Array<Tick> | null, };

export type Tick = { x: number, label: string, };

export type SeriesData = { runId: string, key: string, 
/**
 * The run's colour (by its place among the asked runs, as in reports).
 */
color: string, xs: Array<number>, ys: Array<number | null>, stored: number, inRange: number, reduced: boolean, originMs: number, };

export type MetricKey = { key: string, runs: number, };

export type MetricKeys = { keys: Array<MetricKey>, default: string | null, };

export type StoreOutcome = { store: StoreView, runsNew: number, runsUpdated: number, pointsAdded: number, error: Problem | null, };

export type AddOutcome = { stores: Array<StoreOutcome>, 
/**
 * Folders that could not be searched.
 */
warnings: Array<Problem>, };

export type IndexProgress = { 
/**
 * What is being done, in words.
 */
message: string, done: number, total: number, };

export type Aggregate = "latest" | "last" | "first" | "min" | "max";

export type BetterWhen = "lower" | "higher";

export type AnnotateRequest = { runId: string, starred: boolean | null, 
/**
 * The whole note (`""` removes it).
 */
note: string | null, addLabels: Array<string>, removeLabels: Array<string>, };

export type CompareRequest = { runIds: Array<string>, 
/**
 * Which params matter for this metric (`null`: one every run has; see
 * `compare::default_metric`).
 */
metric: string | null, aggregate: Aggregate, 
/**
 * The scatter's axes (`null`: the most telling param against `metric`).
 */
scatterX: AxisSpec | null, scatterY: AxisSpec | null, 
/**
 * The params of the parallel coordinates, `metric` last (`null`: the most telling).
 */
parallel: Array<string> | null, };

export type AxisSpec = { "kind": "param", key: string, } | { "kind": "metric", key: string, };

export type AxisScale = "linear" | "log" | "categories";

export type AxisView = { spec: AxisSpec, label: string, scale: AxisScale, positions: Array<number | null>, values: Array<string | null>, ticks: Array<Tick>, };

export type ScatterView = { x: AxisView, y: AxisView, };

export type PlotsView = { 
/**
 * `null`: nothing to plot (no param differs, or no metric).
 */
scatter: ScatterView | null, 
/**
 * The axes of the parallel coordinates, left to right (empty: nothing to plot).
 */
parallel: Array<AxisView>, 
/**
 * The params an axis may show: those that differ, most telling first.
 */
params: Array<string>, };

export type ComparedRunView = { id: string, name: string, 
/**
 * Its colour on the curves and plots (as in reports).
 */
color: string, source: string, experiment: string | null, status: RunStatus, commit: string | null, branch: string | null, remote: string | null, 
/**
 * Uncommitted changes; `null`: not recorded.
 */
dirty: boolean | null, };

export type ValueRowView = { key: string, values: Array<string | null>, differs: boolean, };

export type FileDiffView = { name: string, a: string | null, b: string | null, identical: boolean, 
/**
 * Text: render it as text, never as markup.
 */
unified: string, note: string | null, };

export type AggregateText = { latest: string, last: string, first: string, min: string, max: string, };

export type CompareCell = { latest: Num, last: Num, first: Num, min: Num, max: Num, count: number, best: Array<Aggregate>, 
/**
 * Each aggregate as cells show it (`format::number`).
 */
text: AggregateText, };

export type MetricRowView = { key: string, better: BetterWhen, 
/**
 * The user chose `better` (else it is guessed from the key).
 */
chosen: boolean, cells: Array<CompareCell | null>, differs: boolean, };

export type EffectView = { key: string, 
/**
 * `Spearman ρ = +0.883` or `Kruskal–Wallis ε² = 0.629 (4 values)`.
 */
figure: string, 
/**
 * In [0, 1]: the length of its bar.
 */
strength: Num, runs: number, };

export type ImportanceView = { metric: string, aggregate: Aggregate, effects: Array<EffectView>, };

export type CompareView = { runs: Array<ComparedRunView>, params: Array<ValueRowView>, tags: Array<ValueRowView>, 
/**
 * Per dataset name, each run's digest (and context).
 */
datasets: Array<ValueRowView>, metrics: Array<MetricRowView>, importance: ImportanceView | null, plots: PlotsView, };

export type ReportFormat = "html" | "md" | "csv" | "tex";

export type ExportRequest = { runIds: Array<string>, path: string, 
/**
 * `null`: from the file's extension.
 */
format: ReportFormat | null, 
/**
 * The metrics to chart; empty: the most shared.
 */
metrics: Array<string>, title: string | null, 
/**
 * Image patterns to show side by side (the Compare view's chosen one); may be left out.
 */
images: Array<string>, };

export type ExportOutcome = { files: Array<string>, };

export type ErrorCode = "missing_path" | "bad_filter" | "bad_sort" | "not_found" | "not_a_store" | "database" | "io" | "bad_input" | "unsupported" | "internal";

export type IpcError = { code: ErrorCode, message: string, 
/**
 * For `bad_filter` and `bad_sort`: where to underline.
 */
query: QueryError | null, };

export type Num = number | "NaN" | "Infinity" | "-Infinity";
export const EVENTS = { indexProgress: "index-progress", indexChanged: "index-changed", indexError: "index-error" } as const;
