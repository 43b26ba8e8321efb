// Generated from src-tauri/src/ipc.rs and the command table in src-tauri/src/commands.rs
// by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.
// Every command rejects with an `IpcError`.
import { invoke } from "@tauri-apps/api/core";
import type { StoreId, StoreView, WarningView, RunsRequest, RunsPage, StorageView, SameFileView, ThumbnailRequest, ThumbnailView, AttachRequest, AttachOutcome, ArtifactPatternView, OpenArtifactRequest, ArtifactDiffRequest, ArtifactGridRequest, ArtifactGridView, ArtifactRequest, ArtifactPreview, RunDetail, ChartRequest, Chart, MetricKeys, AddOutcome, BetterWhen, AnnotateRequest, CompareRequest, FileDiffView, CompareView, ExportRequest, ExportOutcome } from "./bindings";

export const commands = {
  /** Every registered store, in registration order. */
  listStores: (): Promise<Array<StoreView>> => invoke("list_stores"),
  /** One page of the runs table; a malformed filter or sort key rejects with `bad_filter` or `bad_sort`. */
  runsPage: (args: { request: RunsRequest }): Promise<RunsPage> => invoke("runs_page", args),
  /** The ids of every run the table's filter keeps, in its order (`offset` and `limit` are ignored). */
  matchingRuns: (args: { request: RunsRequest }): Promise<Array<string>> => invoke("matching_runs", args),
  /** Metric keys of the given runs, the most shared first, and the one a chart opens on. */
  metricKeys: (args: { runIds: Array<string> }): Promise<MetricKeys> => invoke("metric_keys", args),
  /** Every chart of the selected runs: each metric's line of every run, over its visible range. */
  charts: (args: { request: ChartRequest }): Promise<Array<Chart>> => invoke("charts", args),
  /** The warnings of one store. */
  storeWarnings: (args: { storeId: StoreId }): Promise<Array<WarningView>> => invoke("store_warnings", args),
  /** Everything the index has of one run, for the run page. */
  runDetail: (args: { runId: string }): Promise<RunDetail> => invoke("run_detail", args),
  /** Stars, notes or labels a run (yours, kept apart from its store); answers its page as it now is. */
  annotateRun: (args: { request: AnnotateRequest }): Promise<RunDetail> => invoke("annotate_run", args),
  /** The given runs side by side and, for a chosen metric, which params go with it. */
  compareRuns: (args: { request: CompareRequest }): Promise<CompareView> => invoke("compare_runs", args),
  /** One of a run's images scaled in Rust to fit `side` × `side` (kept beside the index, never in the store). */
  artifactThumbnail: (args: { request: ThumbnailRequest }): Promise<ThumbnailView> => invoke("artifact_thumbnail", args),
  /** The other runs' files with the same bytes (BLAKE3) as one of a run's files (`before` is ignored). */
  sameFiles: (args: { request: ArtifactRequest }): Promise<Array<SameFileView>> => invoke("same_files", args),
  /** Where the disk went: every store's size (per experiment), the `top` largest runs and files. */
  storage: (args: { top: number }): Promise<StorageView> => invoke("storage", args),
  /** Attaches a folder to a run as more of its files (never copied or written); answers what it found and the run's page. */
  attachFolder: (args: { request: AttachRequest }): Promise<AttachOutcome> => invoke("attach_folder", args),
  /** Detaches a folder from a run; answers the run's page as it now is. */
  detachFolder: (args: { request: AttachRequest }): Promise<RunDetail> => invoke("detach_folder", args),
  /** A preview of one of a run's files: an image, a page of text (from the end; `before` pages back), a table, or a binary's size and hash. */
  artifactPreview: (args: { request: ArtifactRequest }): Promise<ArtifactPreview> => invoke("artifact_preview", args),
  /** Opens one of a run's files with the system's program for it (`reveal`: shows it in its folder); refuses programs, files inside logs and paths out of the run. */
  openArtifact: (args: { request: OpenArtifactRequest }): Promise<null> => invoke("open_artifact", args),
  /** The files both runs list that may be text, in path order. */
  sharedTextArtifacts: (args: { runA: string, runB: string }): Promise<Array<string>> => invoke("shared_text_artifacts", args),
  /** One file of two runs as a unified diff. */
  artifactDiff: (args: { request: ArtifactDiffRequest }): Promise<FileDiffView> => invoke("artifact_diff", args),
  /** The image patterns among the runs' files (`{N}`: the step), the most shared first. */
  artifactPatterns: (args: { runIds: Array<string> }): Promise<Array<ArtifactPatternView>> => invoke("artifact_patterns", args),
  /** The file of each run for each step of a pattern: the same artifact across runs. */
  artifactGrid: (args: { request: ArtifactGridRequest }): Promise<ArtifactGridView> => invoke("artifact_grid", args),
  /** The code and environment files two runs' stores recorded, each pair with a unified diff. */
  codeDiff: (args: { runA: string, runB: string }): Promise<Array<FileDiffView>> => invoke("code_diff", args),
  /** Remembers which way is better for a metric key (`null`: guess from its name again). */
  setMetricDirection: (args: { key: string, better: BetterWhen | null }): Promise<null> => invoke("set_metric_direction", args),
  /** Finds and indexes every store below the given paths (progress arrives as `index-progress` events). */
  addPaths: (args: { paths: Array<string> }): Promise<AddOutcome> => invoke("add_paths", args),
  /** Opens the native folder picker titled `title`; `null` when the user cancels. */
  pickFolder: (args: { title: string }): Promise<string | null> => invoke("pick_folder", args),
  /** Writes a report of the given runs (HTML, CSV or LaTeX) where the save dialog chose. */
  exportReport: (args: { request: ExportRequest }): Promise<ExportOutcome> => invoke("export_report", args),
  /** Opens a report written this session (`reveal`: shows it in its folder); refuses any other path. */
  openWritten: (args: { path: string, reveal: boolean }): Promise<null> => invoke("open_written", args),
  /** Opens the native save dialog for a report; `null` when the user cancels. */
  pickReportPath: (args: { suggested: string }): Promise<string | null> => invoke("pick_report_path", args),
} as const;
