//! The one wire boundary between the Rust backend and the web UI: every type that crosses
//! IPC is declared here, converted from core types with `From`, and exported to
//! TypeScript (`ui/src/lib/ipc/bindings.ts`, checked by the `bindings_are_current` test).
//!
//! In order: numbers and stores; the runs table (rows, requests, pages); the run page
//! (`RunDetail`, provenance, artifacts); a run's files (previews, opening, the same file
//! across runs, a file of two runs diffed); query errors; charts; indexing progress and
//! events; the Compare view (`CompareView` and its rows, code diffs); report export;
//! error codes; the TypeScript generators.

use std::collections::BTreeMap;

use runlens_index::axes::{Axis, AxisOf, PlotRequest, Scale};
use runlens_index::chart::{SeriesRequest, SeriesView, XAxis};
use runlens_index::compare::{Comparison, Direction, ValueRow};
use runlens_index::filter::Agg;
use runlens_index::filter::FilterError;
use runlens_index::kinds::{ErrorKind, scan_warning_kind};
use runlens_index::{
    IndexError, MetricSummary, Progress, Provenance, RunRecord, RunsQuery, ScanReport, Status, StoreInfo, StoreReport, StoreWarning, format,
    provenance, view,
};
use serde::{Deserialize, Serialize, Serializer};
use ts_rs::TS;

/// TypeScript for numbers that may be non-finite (JSON has no NaN or infinities).
const NUM_TS: &str = r#"number | "NaN" | "Infinity" | "-Infinity""#;

/// A metric value on the wire: a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v.is_infinite() {
            s.serialize_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
        } else {
            s.serialize_f64(v)
        }
    }
}

/// A store's id (the index's row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreId(#[ts(type = "number")] pub i64);

/// A problem with a code the UI may branch on: a store's error, a warning of an add.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    /// A store's recorded error with its recorded kind.
    fn of_store(message: String, kind: Option<ErrorKind>) -> Problem {
        Problem { code: kind.unwrap_or(ErrorKind::Internal).into(), message }
    }
}

/// A registered store as the stores panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreView {
    pub id: StoreId,
    pub reader: String,
    pub source: String,
    /// The kind of store within its source (`file` for `mlflow-file`); empty when the
    /// source has one kind.
    pub kind: String,
    pub root: String,
    #[ts(type = "number")]
    pub runs: u64,
    #[ts(type = "number")]
    pub warnings: u64,
    #[ts(type = "number | null")]
    pub scanned_ms: Option<i64>,
    /// Why the last scan could not read the store at all.
    pub error: Option<Problem>,
}

impl From<StoreInfo> for StoreView {
    fn from(s: StoreInfo) -> Self {
        StoreView {
            id: StoreId(s.id),
            kind: view::store_kind(&s.reader, &s.source).to_string(),
            reader: s.reader,
            source: s.source,
            root: s.root,
            runs: s.runs,
            warnings: s.warnings,
            scanned_ms: s.scanned_ms,
            error: s.error.map(|m| Problem::of_store(m, s.error_kind)),
        }
    }
}

/// One warning on a store.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarningView {
    pub store_id: StoreId,
    pub file: Option<String>,
    pub location: Option<String>,
    pub message: String,
}

impl From<StoreWarning> for WarningView {
    fn from(w: StoreWarning) -> Self {
        WarningView { store_id: StoreId(w.store_id), file: w.file, location: w.location, message: w.message }
    }
}

/// Summary of one metric of a run.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MetricCell {
    /// Value at the highest step.
    #[ts(type = "Num")]
    pub latest: Num,
    #[ts(type = "Num")]
    pub min: Num,
    #[ts(type = "Num")]
    pub max: Num,
    #[ts(type = "number")]
    pub count: u64,
    #[ts(type = "number")]
    pub last_step: i64,
    /// The numbers as cells show them (`format::number`).
    pub text: MetricCellText,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MetricCellText {
    pub latest: String,
    pub min: String,
    pub max: String,
}

impl From<&MetricSummary> for MetricCell {
    fn from(m: &MetricSummary) -> Self {
        let text = MetricCellText { latest: format::number(m.latest), min: format::number(m.min), max: format::number(m.max) };
        MetricCell { latest: Num(m.latest), min: Num(m.min), max: Num(m.max), count: m.count, last_step: m.max_step, text }
    }
}

/// A run's status as its tracker recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Finished,
    Failed,
    Killed,
    Scheduled,
    Unknown,
}

impl From<Status> for RunStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Running => RunStatus::Running,
            Status::Finished => RunStatus::Finished,
            Status::Failed => RunStatus::Failed,
            Status::Killed => RunStatus::Killed,
            Status::Scheduled => RunStatus::Scheduled,
            Status::Unknown => RunStatus::Unknown,
        }
    }
}

/// One row of the runs table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub id: String,
    pub name: String,
    pub experiment: Option<String>,
    pub status: RunStatus,
    pub source: String,
    pub store_id: StoreId,
    pub deleted: bool,
    pub parent: Option<String>,
    #[ts(type = "number | null")]
    pub start_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub end_ms: Option<i64>,
    /// How long the run took (`1h 2m`), when both ends are known.
    pub duration: Option<String>,
    pub user: Option<String>,
    pub params: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, MetricCell>,
    /// Yours: starred, and the labels you gave it.
    pub starred: bool,
    pub labels: Vec<String>,
    /// The total size of the files its store lists (`artifacts.size`).
    #[ts(type = "number")]
    pub artifact_bytes: u64,
}

impl From<RunRecord> for RunRow {
    fn from(r: RunRecord) -> Self {
        RunRow {
            metrics: r.metrics.iter().map(|(k, m)| (k.clone(), m.into())).collect(),
            id: r.id,
            name: r.name,
            experiment: r.experiment,
            status: Status::parse(&r.status).into(),
            source: r.source,
            store_id: StoreId(r.store_id),
            deleted: r.deleted,
            parent: r.parent,
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            duration: format::run_duration(r.start_ms, r.end_ms),
            user: r.user,
            params: r.params,
            starred: r.starred,
            labels: r.labels,
            artifact_bytes: r.artifact_bytes,
        }
    }
}

/// What to change of a run's annotations (yours, kept apart from the store): `null` or
/// empty leaves that part as it is.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotateRequest {
    pub run_id: String,
    pub starred: Option<bool>,
    /// The whole note (`""` removes it).
    pub note: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
}

/// Which runs the table asks for.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunsRequest {
    pub include_deleted: bool,
    /// In the filter language; blank for all runs.
    pub filter: String,
    /// Most significant first; after them, newest first.
    pub sort: Vec<SortBy>,
    #[ts(type = "number")]
    pub offset: u64,
    #[ts(type = "number")]
    pub limit: u64,
}

impl From<RunsRequest> for RunsQuery {
    fn from(r: RunsRequest) -> Self {
        RunsQuery {
            include_deleted: r.include_deleted,
            filter: Some(r.filter).filter(|f| !f.trim().is_empty()),
            sort: r.sort.iter().map(|s| format::sort_key(&s.field, s.descending)).collect(),
            offset: r.offset,
            limit: Some(r.limit),
        }
    }
}

/// One sort key of the runs table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SortBy {
    /// A field of the filter language: an attribute column's name (`started`) or a
    /// [`MetricColumn::field`], never built by the UI.
    pub field: String,
    pub descending: bool,
}

/// A metric column of the runs table.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MetricColumn {
    pub key: String,
    /// The column's field for [`SortBy`] (`` metrics.`val/loss` ``).
    pub field: String,
}

/// One page of the runs table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunsPage {
    pub runs: Vec<RunRow>,
    /// Runs matching the filter, all pages together.
    #[ts(type = "number")]
    pub total: u64,
    /// The metric columns a table of these runs shows.
    pub metric_columns: Vec<MetricColumn>,
}

/// How many metric columns the runs table shows.
const METRIC_COLUMNS: usize = 4;

impl RunsPage {
    pub fn new(runs: Vec<RunRecord>, total: u64) -> RunsPage {
        let metric_columns =
            view::metric_columns(&runs, METRIC_COLUMNS).into_iter().map(|key| MetricColumn { field: format::metric_field(&key), key }).collect();
        RunsPage { runs: runs.into_iter().map(Into::into).collect(), total, metric_columns }
    }
}

/// Where the disk went (`runlens_index::storage::Storage`): sizes in bytes.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StorageView {
    pub stores: Vec<StoreUsageView>,
    /// The largest runs, largest first.
    pub runs: Vec<RunUsageView>,
    /// The largest files of any run, largest first.
    pub files: Vec<LargeFileView>,
    /// The folders attached to runs, largest first (not part of any store).
    pub attached: Vec<AttachedUsageView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachedUsageView {
    pub run_id: String,
    pub run_name: String,
    pub folder: String,
    pub present: bool,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub files: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreUsageView {
    pub id: StoreId,
    pub root: String,
    pub source: String,
    #[ts(type = "number")]
    pub runs: u64,
    /// Everything counted once: the runs' files and the store's own.
    #[ts(type = "number")]
    pub bytes: u64,
    /// The files the store lists for its runs.
    #[ts(type = "number")]
    pub artifact_bytes: u64,
    pub experiments: Vec<ExperimentUsageView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentUsageView {
    pub name: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunUsageView {
    pub run_id: String,
    pub name: String,
    pub experiment: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub files: u64,
    /// What the folders attached to it take.
    #[ts(type = "number")]
    pub attached_bytes: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LargeFileView {
    pub run_id: String,
    pub run_name: String,
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    /// The attached folder it is in (`null`: the store's).
    pub attached: Option<String>,
}

impl From<runlens_index::storage::Storage> for StorageView {
    fn from(s: runlens_index::storage::Storage) -> Self {
        StorageView {
            stores: s
                .stores
                .into_iter()
                .map(|st| StoreUsageView {
                    id: StoreId(st.store_id),
                    root: st.root,
                    source: st.source,
                    runs: st.runs,
                    bytes: st.total.bytes,
                    artifact_bytes: st.artifacts.bytes,
                    experiments: st.experiments.into_iter().map(|(name, u)| ExperimentUsageView { name, bytes: u.bytes }).collect(),
                })
                .collect(),
            runs: s
                .runs
                .into_iter()
                .map(|r| RunUsageView {
                    run_id: r.run_id,
                    name: r.name,
                    experiment: r.experiment,
                    bytes: r.usage.bytes,
                    files: r.usage.files,
                    attached_bytes: r.attached.bytes,
                })
                .collect(),
            files: s
                .files
                .into_iter()
                .map(|f| LargeFileView { run_id: f.run_id, run_name: f.run_name, path: f.path, size: f.size, attached: f.attached })
                .collect(),
            attached: s
                .attached
                .into_iter()
                .map(|a| AttachedUsageView {
                    run_id: a.run_id,
                    run_name: a.run_name,
                    folder: a.folder,
                    present: a.present,
                    bytes: a.usage.bytes,
                    files: a.usage.files,
                })
                .collect(),
        }
    }
}

/// A file of a run (below its artifact folder, embedded in a log, or in a folder the
/// user attached to it).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactView {
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Embedded in another file of the store (a TensorBoard image, W&B media).
    pub embedded: bool,
    /// The attached folder it is in (`null`: the store's own).
    pub attached: Option<String>,
    /// Last modified, ms since the epoch (`null`: inside a log, or not there now).
    #[ts(type = "number | null")]
    pub modified_ms: Option<i64>,
    /// What kind of file it is, by its name (`image`, `table`, `json`, `model`, …).
    pub kind: String,
}

impl From<runlens_index::RunFile> for ArtifactView {
    fn from(a: runlens_index::RunFile) -> Self {
        ArtifactView {
            embedded: a.origin.is_some(),
            path: a.path,
            size: a.size,
            attached: a.attached,
            modified_ms: a.modified_ms,
            kind: a.kind.to_string(),
        }
    }
}

/// Which image to show small: a run's file, fitting `side` × `side` pixels.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailRequest {
    pub run_id: String,
    pub path: String,
    pub side: u32,
}

/// An image scaled in Rust (`runlens_index::thumbs::Thumbnail`), as a `data:` URL.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailView {
    pub url: String,
    /// `null` for an image given as it is (SVG, or one that does not decode).
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl From<runlens_index::thumbs::Thumbnail> for ThumbnailView {
    fn from(t: runlens_index::thumbs::Thumbnail) -> Self {
        ThumbnailView { url: data_url(t.mime, &t.bytes), width: t.width, height: t.height }
    }
}

/// Another run's file with the same bytes (`runlens_index::hashes::SameFile`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SameFileView {
    pub run_id: String,
    pub run_name: String,
    pub path: String,
}

impl From<runlens_index::hashes::SameFile> for SameFileView {
    fn from(s: runlens_index::hashes::SameFile) -> Self {
        SameFileView { run_id: s.run_id, run_name: s.run_name, path: s.path }
    }
}

/// A dataset a run consumed (`runlens_index::DatasetInput`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatasetView {
    pub name: String,
    pub digest: String,
    pub context: Option<String>,
    pub source_type: Option<String>,
    pub source: Option<String>,
}

impl From<runlens_index::DatasetInput> for DatasetView {
    fn from(d: runlens_index::DatasetInput) -> Self {
        DatasetView { name: d.name, digest: d.digest, context: d.context, source_type: d.source_type, source: d.source }
    }
}

/// A folder the user attached to a run (`runlens_index::attached::AttachedFolder`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachedFolderView {
    pub folder: String,
    /// There now (a deleted folder or an unmounted disk lists nothing).
    pub present: bool,
}

/// Which folder to attach to (or detach from) which run.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachRequest {
    pub run_id: String,
    pub folder: String,
}

/// What attaching a folder found (`runlens_index::attached::Attached`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachOutcome {
    pub folder: String,
    /// Its files the run now lists; `shadowed`: those whose path the run already had.
    pub files: u32,
    pub shadowed: u32,
    /// It holds more files than a listing walks.
    pub truncated: bool,
    /// The run's page as it now is.
    pub detail: RunDetail,
}

/// Which artifact to preview: a run's file by its listed path; for text, the page
/// ending at byte `before` (`null`: the end of the file).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRequest {
    pub run_id: String,
    pub path: String,
    #[ts(type = "number | null")]
    pub before: Option<u64>,
}

/// An image pattern among the compared runs' files (`{N}`: the step, `*`: anything in
/// one folder), with how many runs and files it matches.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactPatternView {
    pub pattern: String,
    #[ts(type = "number")]
    pub runs: usize,
    #[ts(type = "number")]
    pub files: usize,
}

/// A run's file to open with the system's program for it, or (`reveal`) to show in its folder.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenArtifactRequest {
    pub run_id: String,
    pub path: String,
    pub reveal: bool,
}

/// One file both runs list, to diff.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactDiffRequest {
    pub run_a: String,
    pub run_b: String,
    pub path: String,
}

/// Which runs' files to put side by side: those matching `pattern`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactGridRequest {
    pub run_ids: Vec<String>,
    pub pattern: String,
}

/// The same artifact across runs: per step (ascending; `null` for a pattern without
/// `{N}`), per run in the order asked, the path of its file (`null`: none).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactGridView {
    #[ts(type = "Array<number | null>")]
    pub steps: Vec<Option<i64>>,
    pub cells: Vec<Vec<Option<String>>>,
}

/// A preview of one artifact (`runlens_index::artifacts::Preview`): every string in it
/// is from the run's files, to be shown as text — except `markdown`'s and notebook
/// cells' `html`, sanitized in Rust (`runlens_index::documents`), and `html`'s, which
/// goes only into a sandboxed frame with scripts off.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ArtifactPreview {
    /// A `data:` URL, for an `<img>` (SVG too: as an image, so no script in it runs).
    Image {
        url: String,
        #[ts(type = "number")]
        bytes: u64,
    },
    /// Bytes `start..end` of a file of `size` bytes; `start > 0`: there is more before.
    Text {
        text: String,
        #[ts(type = "number")]
        start: u64,
        #[ts(type = "number")]
        end: u64,
        #[ts(type = "number")]
        size: u64,
        language: Option<String>,
        /// For a whole JSON or YAML file: `[first, last]` line numbers (from 0) of each
        /// block that can be folded, its first line shown when folded.
        folds: Vec<(u32, u32)>,
    },
    /// A CSV or TSV file's header and first rows (`truncated`: it has more).
    Table { header: Vec<String>, rows: Vec<Vec<String>>, truncated: bool },
    /// Markdown as sanitized HTML (no scripts, handlers, styles, frames or relative URLs).
    Markdown {
        html: String,
        #[ts(type = "number")]
        size: u64,
    },
    /// An HTML file as written: for `<iframe sandbox srcdoc>` only.
    Html {
        html: String,
        #[ts(type = "number")]
        size: u64,
    },
    /// A Jupyter notebook's cells.
    Notebook {
        language: Option<String>,
        cells: Vec<NotebookCellView>,
        #[ts(type = "number")]
        size: u64,
    },
    /// A file not shown: its size, what it seems to be, its BLAKE3 hash.
    Binary {
        #[ts(type = "number")]
        size: u64,
        what: String,
        blake3: String,
    },
}

impl From<runlens_index::artifacts::Preview> for ArtifactPreview {
    fn from(p: runlens_index::artifacts::Preview) -> Self {
        use runlens_index::artifacts::Preview;
        match p {
            Preview::Image { mime, bytes } => ArtifactPreview::Image { bytes: bytes.len() as u64, url: data_url(mime, &bytes) },
            Preview::Text { text, start, end, size, language, folds } => {
                ArtifactPreview::Text { text, start, end, size, language: language.map(String::from), folds }
            }
            Preview::Table { header, rows, truncated } => ArtifactPreview::Table { header, rows, truncated },
            Preview::Binary { size, kind, blake3 } => ArtifactPreview::Binary { size, what: kind, blake3 },
            Preview::Markdown { html, size } => ArtifactPreview::Markdown { html, size },
            Preview::Html { html, size } => ArtifactPreview::Html { html, size },
            Preview::Notebook { notebook, size } => {
                ArtifactPreview::Notebook { language: notebook.language, cells: notebook.cells.into_iter().map(Into::into).collect(), size }
            }
        }
    }
}

/// A `data:` URL of an image's bytes.
fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// One cell of a notebook (`runlens_index::documents::Cell`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotebookCellView {
    /// `code`, `markdown` or `raw`.
    pub kind: String,
    pub source: String,
    /// A Markdown cell, rendered and sanitized.
    pub html: Option<String>,
    #[ts(type = "number | null")]
    pub execution_count: Option<i64>,
    pub outputs: Vec<NotebookOutputView>,
}

/// One output of a notebook cell.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum NotebookOutputView {
    /// A stream, a plain result, or (`error`) a traceback.
    Text {
        text: String,
        error: bool,
    },
    /// A rich result (a table), sanitized.
    Html {
        html: String,
    },
    Image {
        url: String,
    },
}

impl From<runlens_index::documents::Cell> for NotebookCellView {
    fn from(c: runlens_index::documents::Cell) -> Self {
        use runlens_index::documents::{CellKind, Output};
        let kind = match c.kind {
            CellKind::Code => "code",
            CellKind::Markdown => "markdown",
            CellKind::Raw => "raw",
        };
        let outputs = c
            .outputs
            .into_iter()
            .map(|o| match o {
                Output::Text { text, error } => NotebookOutputView::Text { text, error },
                Output::Html { html } => NotebookOutputView::Html { html },
                Output::Image { mime, bytes } => NotebookOutputView::Image { url: data_url(mime, &bytes) },
            })
            .collect();
        NotebookCellView { kind: kind.into(), source: c.source, html: c.html, execution_count: c.execution_count, outputs }
    }
}

/// How a run was started and how to start it again, as its tracker recorded it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceView {
    /// The command line that ran (interpreter, program, arguments), shell-quoted.
    pub command: Option<String>,
    pub workdir: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub remote: Option<String>,
    /// Uncommitted changes in the working tree; `null`: not recorded.
    pub dirty: Option<bool>,
    pub python: Option<String>,
    pub packages: Vec<String>,
    pub environment_files: Vec<String>,
    pub host: Option<String>,
    pub os: Option<String>,
    /// `cd <workdir> && git checkout <commit> && <command>`, when the store recorded enough.
    pub reproduce: Option<String>,
    /// What the store did not record that an exact re-run needs, as sentences.
    pub missing: Vec<String>,
}

impl From<&Provenance> for ProvenanceView {
    fn from(p: &Provenance) -> Self {
        let again = provenance::reproduce(p);
        ProvenanceView {
            command: provenance::command(p),
            workdir: p.workdir.clone(),
            commit: p.git.commit.clone(),
            branch: p.git.branch.clone(),
            remote: p.git.remote.clone(),
            dirty: p.git.dirty,
            python: p.python.clone(),
            packages: p.packages.clone(),
            environment_files: p.environment_files.clone(),
            host: p.host.clone(),
            os: p.os.clone(),
            reproduce: again.command,
            missing: again.missing.iter().map(|m| m.describe().to_string()).collect(),
        }
    }
}

/// What the run page shows: the row's fields and everything else the index has of it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    pub run: RunRow,
    /// The store's root (folder, database file or URL).
    pub store: String,
    /// The run's id inside its store.
    pub native_id: String,
    pub commit: Option<String>,
    pub artifact_dir: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub artifacts: Vec<ArtifactView>,
    /// The folders attached to the run, the earliest first.
    pub attached_folders: Vec<AttachedFolderView>,
    /// The datasets it consumed, by name.
    pub datasets: Vec<DatasetView>,
    pub starred: bool,
    pub note: String,
    pub labels: Vec<String>,
    /// `null` when the tracker recorded nothing of how the run started.
    pub provenance: Option<ProvenanceView>,
}

impl RunDetail {
    pub fn new(
        r: RunRecord,
        artifacts: Vec<runlens_index::RunFile>,
        attached: Vec<runlens_index::attached::AttachedFolder>,
        datasets: Vec<runlens_index::DatasetInput>,
    ) -> RunDetail {
        RunDetail {
            store: r.store.clone(),
            native_id: r.native_id.clone(),
            commit: r.commit.clone(),
            artifact_dir: r.artifact_dir.clone(),
            tags: r.tags.clone(),
            starred: r.starred,
            note: r.note.clone(),
            labels: r.labels.clone(),
            provenance: r.provenance.as_ref().filter(|p| !p.is_empty()).map(Into::into),
            artifacts: artifacts.into_iter().map(Into::into).collect(),
            attached_folders: attached.into_iter().map(|a| AttachedFolderView { folder: a.folder, present: a.present }).collect(),
            datasets: datasets.into_iter().map(Into::into).collect(),
            run: r.into(),
        }
    }
}

/// Where a filter or sort key is malformed, for the UI to underline.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueryError {
    pub input: QueryInput,
    /// Character span (Unicode scalar values) in that input.
    #[ts(type = "number")]
    pub start: usize,
    #[ts(type = "number")]
    pub end: usize,
    pub message: String,
    pub expected: Vec<String>,
}

/// Which input of a runs request a [`QueryError`] is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum QueryInput {
    Filter,
    Sort,
}

impl QueryError {
    fn new(input: QueryInput, e: FilterError) -> QueryError {
        QueryError { input, start: e.span.start, end: e.span.end, message: e.message, expected: e.expected }
    }
}

/// The x axis of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ChartX {
    Step,
    /// Wall time, ms since the epoch.
    Time,
    /// Ms since the run's first point of the metric.
    Relative,
}

impl From<ChartX> for XAxis {
    fn from(x: ChartX) -> Self {
        match x {
            ChartX::Step => XAxis::Step,
            ChartX::Time => XAxis::WallTime,
            ChartX::Relative => XAxis::Relative,
        }
    }
}

/// One chart of a [`ChartRequest`]: a metric over a visible x range.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ChartMetric {
    pub key: String,
    /// Visible range; open ends (`null`) reach to the first or last point.
    pub from: Option<f64>,
    pub to: Option<f64>,
}

/// The charts of the selected runs: every metric for every run, in one call.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartRequest {
    pub run_ids: Vec<String>,
    pub metrics: Vec<ChartMetric>,
    pub x: ChartX,
    /// Points per line at most (about two per pixel).
    #[ts(type = "number")]
    pub max_points: usize,
    pub smoothing: f64,
}

impl ChartRequest {
    /// The index's request for one line.
    pub fn series_request(&self, metric: &ChartMetric, run_id: &str) -> SeriesRequest {
        let range =
            (metric.from.is_some() || metric.to.is_some()).then(|| (metric.from.unwrap_or(f64::NEG_INFINITY), metric.to.unwrap_or(f64::INFINITY)));
        SeriesRequest {
            run_id: run_id.to_string(),
            key: metric.key.clone(),
            x: self.x.into(),
            range,
            max_points: self.max_points,
            smoothing: self.smoothing,
        }
    }
}

/// The lines of one chart, and its x-axis labels where the UI cannot write them itself.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Chart {
    pub key: String,
    pub lines: Vec<SeriesData>,
    /// For the relative axis: ticks at round durations, labelled (`1h 30m`).
    pub ticks: Option<Vec<Tick>>,
}

/// One labelled x-axis tick.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

impl Chart {
    pub fn new(key: String, x: ChartX, lines: Vec<SeriesData>) -> Chart {
        let ticks = (x == ChartX::Relative).then(|| {
            let xs = lines.iter().flat_map(|l| l.xs.iter().copied());
            let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
            format::duration_ticks(lo, hi, 8).into_iter().map(|(x, label)| Tick { x, label }).collect()
        });
        Chart { key, lines, ticks }
    }
}

/// One chart line, columnar for uPlot: `ys[i]` is null where the value is not finite.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SeriesData {
    pub run_id: String,
    pub key: String,
    /// The run's colour (by its place among the asked runs, as in reports).
    pub color: String,
    pub xs: Vec<f64>,
    pub ys: Vec<Option<f64>>,
    #[ts(type = "number")]
    pub stored: u64,
    #[ts(type = "number")]
    pub in_range: u64,
    pub reduced: bool,
    #[ts(type = "number")]
    pub origin_ms: i64,
}

impl SeriesData {
    /// The line of `req`, the `n`-th of the asked runs.
    pub fn new(req: &SeriesRequest, v: SeriesView, n: usize) -> SeriesData {
        let axis = req.x;
        SeriesData {
            run_id: req.run_id.clone(),
            key: req.key.clone(),
            color: runlens_index::view::run_color(n).to_string(),
            xs: v.points.iter().map(|p| v.x(axis, p)).collect(),
            ys: v.points.iter().map(|p| p.value.is_finite().then_some(p.value)).collect(),
            stored: v.stored,
            in_range: v.in_range,
            reduced: v.reduced,
            origin_ms: v.origin_ms,
        }
    }
}

/// A metric key and how many of the asked runs have it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MetricKey {
    pub key: String,
    #[ts(type = "number")]
    pub runs: u64,
}

/// The metric keys of some runs, the most shared first, and the one a chart opens on.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MetricKeys {
    pub keys: Vec<MetricKey>,
    pub default: Option<String>,
}

impl MetricKeys {
    pub fn new(keys: Vec<(String, u64)>) -> MetricKeys {
        let default = view::default_chart_metric(&keys).map(str::to_string);
        MetricKeys { keys: keys.into_iter().map(|(key, runs)| MetricKey { key, runs }).collect(), default }
    }
}

/// What adding (or rescanning) did to one store.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreOutcome {
    pub store: StoreView,
    #[ts(type = "number")]
    pub runs_new: u64,
    #[ts(type = "number")]
    pub runs_updated: u64,
    #[ts(type = "number")]
    pub points_added: u64,
    pub error: Option<Problem>,
}

impl From<StoreReport> for StoreOutcome {
    fn from(r: StoreReport) -> Self {
        let kind = r.store.error_kind;
        StoreOutcome {
            store: r.store.into(),
            runs_new: r.stats.runs_new,
            runs_updated: r.stats.runs_updated,
            points_added: r.stats.points_added,
            error: r.stats.error.map(|m| Problem::of_store(m, kind)),
        }
    }
}

/// Result of `add_paths`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddOutcome {
    pub stores: Vec<StoreOutcome>,
    /// Folders that could not be searched.
    pub warnings: Vec<Problem>,
}

impl From<ScanReport> for AddOutcome {
    fn from(r: ScanReport) -> Self {
        AddOutcome {
            stores: r.stores.into_iter().map(Into::into).collect(),
            warnings: r
                .warnings
                .into_iter()
                .map(|w| Problem { code: scan_warning_kind(&w).into(), message: format!("{}: {}", w.file.as_deref().unwrap_or_default(), w.message) })
                .collect(),
        }
    }
}

/// Payload of the `index-progress` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IndexProgress {
    /// What is being done, in words.
    pub message: String,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

impl IndexProgress {
    /// The event for one progress step; `current` remembers which store is being read.
    pub fn from_progress(p: Progress, current: &mut String) -> IndexProgress {
        match p {
            Progress::Discovering { path } => {
                *current = format!("Looking for run stores in {}", path.display());
                IndexProgress { message: current.clone(), done: 0, total: 0 }
            }
            Progress::Store { index, count, reader, root } => {
                *current = format!("Reading {reader} store {} of {count}: {root}", index + 1);
                IndexProgress { message: current.clone(), done: 0, total: 0 }
            }
            Progress::Reading { done, total } => IndexProgress { message: current.clone(), done, total },
        }
    }
}

/// Names of the events the backend emits.
pub mod events {
    /// [`super::IndexProgress`] while indexing.
    pub const INDEX_PROGRESS: &str = "index-progress";
    /// The index changed (an add or scan finished); no payload.
    pub const INDEX_CHANGED: &str = "index-changed";
    /// An add started from the command line failed; payload [`super::IpcError`].
    pub const INDEX_ERROR: &str = "index-error";
}

/// Which number of a metric's summary (what the Compare view shows and ranks by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    Latest,
    Last,
    First,
    Min,
    Max,
}

impl Aggregate {
    const ALL: [Aggregate; 5] = [Aggregate::Latest, Aggregate::Last, Aggregate::First, Aggregate::Min, Aggregate::Max];
}

impl From<Aggregate> for Agg {
    fn from(a: Aggregate) -> Agg {
        match a {
            Aggregate::Latest => Agg::Latest,
            Aggregate::Last => Agg::Last,
            Aggregate::First => Agg::First,
            Aggregate::Min => Agg::Min,
            Aggregate::Max => Agg::Max,
        }
    }
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum BetterWhen {
    Lower,
    Higher,
}

impl From<Direction> for BetterWhen {
    fn from(d: Direction) -> Self {
        match d {
            Direction::Lower => BetterWhen::Lower,
            Direction::Higher => BetterWhen::Higher,
        }
    }
}

impl From<BetterWhen> for Direction {
    fn from(d: BetterWhen) -> Self {
        match d {
            BetterWhen::Lower => Direction::Lower,
            BetterWhen::Higher => Direction::Higher,
        }
    }
}

/// The runs to put side by side, and the metric whose params matter (none: no ranking).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CompareRequest {
    pub run_ids: Vec<String>,
    /// Which params matter for this metric (`null`: one every run has; see
    /// `compare::default_metric`).
    pub metric: Option<String>,
    pub aggregate: Aggregate,
    /// The scatter's axes (`null`: the most telling param against `metric`).
    pub scatter_x: Option<AxisSpec>,
    pub scatter_y: Option<AxisSpec>,
    /// The params of the parallel coordinates, `metric` last (`null`: the most telling).
    pub parallel: Option<Vec<String>>,
}

/// What a plot axis shows: a param, or a metric's aggregate (the request's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AxisSpec {
    Param { key: String },
    Metric { key: String },
}

impl AxisSpec {
    fn of(&self, agg: Agg) -> AxisOf {
        match self {
            AxisSpec::Param { key } => AxisOf::Param(key.clone()),
            AxisSpec::Metric { key } => AxisOf::Metric { key: key.clone(), agg },
        }
    }
}

/// How an axis places its values.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum AxisScale {
    Linear,
    Log,
    Categories,
}

/// One axis of the Compare view's plots: where each run sits (0 low to 1 high, `null`:
/// not on it), its value as shown, and the labelled places (`x` is a position).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AxisView {
    pub spec: AxisSpec,
    pub label: String,
    pub scale: AxisScale,
    pub positions: Vec<Option<f64>>,
    pub values: Vec<Option<String>>,
    pub ticks: Vec<Tick>,
}

impl From<Axis> for AxisView {
    fn from(a: Axis) -> Self {
        let spec = match a.of {
            AxisOf::Param(key) => AxisSpec::Param { key },
            AxisOf::Metric { key, .. } => AxisSpec::Metric { key },
        };
        let scale = match a.scale {
            Scale::Linear => AxisScale::Linear,
            Scale::Log => AxisScale::Log,
            Scale::Categories => AxisScale::Categories,
        };
        AxisView {
            spec,
            label: a.label,
            scale,
            positions: a.positions,
            values: a.values,
            ticks: a.ticks.into_iter().map(|(x, label)| Tick { x, label }).collect(),
        }
    }
}

/// The Compare view's plots of the runs.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlotsView {
    /// `null`: nothing to plot (no param differs, or no metric).
    pub scatter: Option<ScatterView>,
    /// The axes of the parallel coordinates, left to right (empty: nothing to plot).
    pub parallel: Vec<AxisView>,
    /// The params an axis may show: those that differ, most telling first.
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ScatterView {
    pub x: AxisView,
    pub y: AxisView,
}

impl PlotsView {
    /// The plots `request` asks for over `c` (against `metric`), or the most telling ones
    /// (see [`Comparison::plots`]).
    pub fn new(c: &Comparison, request: &CompareRequest, metric: Option<&str>) -> PlotsView {
        let agg: Agg = request.aggregate.into();
        let plots = c.plots(&PlotRequest {
            metric: metric.map(|key| AxisOf::Metric { key: key.to_string(), agg }),
            scatter_x: request.scatter_x.as_ref().map(|s| s.of(agg)),
            scatter_y: request.scatter_y.as_ref().map(|s| s.of(agg)),
            parallel: request.parallel.clone(),
        });
        PlotsView {
            scatter: plots.scatter.map(|(x, y)| ScatterView { x: x.into(), y: y.into() }),
            parallel: plots.parallel.into_iter().map(Into::into).collect(),
            params: plots.params,
        }
    }
}

/// A compared run, as the column headers name it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ComparedRunView {
    pub id: String,
    pub name: String,
    /// Its colour on the curves and plots (as in reports).
    pub color: String,
    pub source: String,
    pub experiment: Option<String>,
    pub status: RunStatus,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub remote: Option<String>,
    /// Uncommitted changes; `null`: not recorded.
    pub dirty: Option<bool>,
}

/// One recorded code or environment file of two runs, and their unified diff.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffView {
    pub name: String,
    pub a: Option<String>,
    pub b: Option<String>,
    pub identical: bool,
    /// Text: render it as text, never as markup.
    pub unified: String,
    pub note: Option<String>,
}

impl From<runlens_index::diff::FileDiff> for FileDiffView {
    fn from(d: runlens_index::diff::FileDiff) -> Self {
        FileDiffView { name: d.name, a: d.a, b: d.b, identical: d.identical, unified: d.unified, note: d.note }
    }
}

/// One param or tag key across the runs; `null` where a run has none.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueRowView {
    pub key: String,
    pub values: Vec<Option<String>>,
    pub differs: bool,
}

/// One run's summary of a metric, with the aggregates it is best in.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CompareCell {
    #[ts(type = "Num")]
    pub latest: Num,
    #[ts(type = "Num")]
    pub last: Num,
    #[ts(type = "Num")]
    pub first: Num,
    #[ts(type = "Num")]
    pub min: Num,
    #[ts(type = "Num")]
    pub max: Num,
    #[ts(type = "number")]
    pub count: u64,
    pub best: Vec<Aggregate>,
    /// Each aggregate as cells show it (`format::number`).
    pub text: AggregateText,
}

/// One text per [`Aggregate`], keyed by its name.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AggregateText {
    pub latest: String,
    pub last: String,
    pub first: String,
    pub min: String,
    pub max: String,
}

/// One metric across the runs; `null` where a run has none.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MetricRowView {
    pub key: String,
    pub better: BetterWhen,
    /// The user chose `better` (else it is guessed from the key).
    pub chosen: bool,
    pub cells: Vec<Option<CompareCell>>,
    pub differs: bool,
}

/// How strongly one param goes with the chosen metric.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EffectView {
    pub key: String,
    /// `Spearman ρ = +0.883` or `Kruskal–Wallis ε² = 0.629 (4 values)`.
    pub figure: String,
    /// In [0, 1]: the length of its bar.
    #[ts(type = "Num")]
    pub strength: Num,
    #[ts(type = "number")]
    pub runs: usize,
}

/// Which params matter for one metric.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportanceView {
    pub metric: String,
    pub aggregate: Aggregate,
    pub effects: Vec<EffectView>,
}

/// The Compare view's contents.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CompareView {
    pub runs: Vec<ComparedRunView>,
    pub params: Vec<ValueRowView>,
    pub tags: Vec<ValueRowView>,
    /// Per dataset name, each run's digest (and context).
    pub datasets: Vec<ValueRowView>,
    pub metrics: Vec<MetricRowView>,
    pub importance: Option<ImportanceView>,
    pub plots: PlotsView,
}

impl CompareView {
    /// The view of `c`, its plots as `request` asks, against `metric`.
    pub fn new(c: Comparison, request: &CompareRequest, metric: Option<&str>) -> Self {
        let plots = PlotsView::new(&c, request, metric);
        let rows = |rows: Vec<ValueRow>| rows.into_iter().map(|r| ValueRowView { key: r.key, values: r.values, differs: r.differs }).collect();
        CompareView {
            runs: c
                .runs
                .into_iter()
                .enumerate()
                .map(|(n, r)| ComparedRunView {
                    color: runlens_index::view::run_color(n).to_string(),
                    status: Status::parse(&r.status).into(),
                    id: r.id,
                    name: r.name,
                    source: r.source,
                    experiment: r.experiment,
                    commit: r.git.commit,
                    branch: r.git.branch,
                    remote: r.git.remote,
                    dirty: r.git.dirty,
                })
                .collect(),
            params: rows(c.params),
            tags: rows(c.tags),
            datasets: rows(c.datasets),
            metrics: c
                .metrics
                .into_iter()
                .map(|m| MetricRowView {
                    cells: m
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            v.map(|s| CompareCell {
                                latest: Num(s.latest),
                                last: Num(s.last),
                                first: Num(s.first),
                                min: Num(s.min),
                                max: Num(s.max),
                                count: s.count,
                                best: Aggregate::ALL.into_iter().filter(|&a| m.best.of(a.into()).contains(&i)).collect(),
                                text: AggregateText {
                                    latest: format::number(s.latest),
                                    last: format::number(s.last),
                                    first: format::number(s.first),
                                    min: format::number(s.min),
                                    max: format::number(s.max),
                                },
                            })
                        })
                        .collect(),
                    key: m.key,
                    better: m.direction.into(),
                    chosen: m.direction_chosen,
                    differs: m.differs,
                })
                .collect(),
            importance: c.importance.map(|imp| ImportanceView {
                aggregate: Aggregate::ALL.into_iter().find(|&a| Agg::from(a) == imp.aggregate).unwrap_or(Aggregate::Latest),
                metric: imp.metric,
                effects: imp
                    .effects
                    .into_iter()
                    .map(|e| EffectView { figure: e.method.figure(), key: e.key, strength: Num(e.strength), runs: e.runs })
                    .collect(),
            }),
            plots,
        }
    }
}

/// The kinds of file a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Html,
    Md,
    Csv,
    Tex,
}

impl From<ReportFormat> for runlens_report::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Html => runlens_report::Format::Html,
            ReportFormat::Md => runlens_report::Format::Markdown,
            ReportFormat::Csv => runlens_report::Format::Csv,
            ReportFormat::Tex => runlens_report::Format::Tex,
        }
    }
}

/// A report to write: of which runs, where, as what.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub run_ids: Vec<String>,
    pub path: String,
    /// `null`: from the file's extension.
    pub format: Option<ReportFormat>,
    /// The metrics to chart; empty: the most shared.
    pub metrics: Vec<String>,
    pub title: Option<String>,
    /// Image patterns to show side by side (the Compare view's chosen one); may be left out.
    #[serde(default)]
    pub images: Vec<String>,
}

/// The files a report export wrote.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    pub files: Vec<String>,
}

/// Error codes the UI may branch on (never on messages): a closed set.
#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A path that was given or registered does not exist.
    MissingPath,
    /// A malformed filter; `query` says where.
    BadFilter,
    /// A malformed sort key; `query` says where.
    BadSort,
    /// No such run or store.
    NotFound,
    /// A folder or file that is not a store of the kind it was taken for.
    NotAStore,
    /// A database (the index, or a store's own) could not be read or written.
    Database,
    /// A file or folder could not be read.
    Io,
    /// An argument that can never be right (an empty label).
    BadInput,
    /// Something this build cannot do (a URL no reader reads).
    Unsupported,
    /// Anything else (a bug).
    Internal,
}

impl From<ErrorKind> for ErrorCode {
    fn from(k: ErrorKind) -> Self {
        match k {
            ErrorKind::MissingPath => ErrorCode::MissingPath,
            ErrorKind::BadFilter => ErrorCode::BadFilter,
            ErrorKind::BadSort => ErrorCode::BadSort,
            ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::NotAStore => ErrorCode::NotAStore,
            ErrorKind::Database => ErrorCode::Database,
            ErrorKind::Io => ErrorCode::Io,
            ErrorKind::BadInput => ErrorCode::BadInput,
            ErrorKind::Unsupported => ErrorCode::Unsupported,
            ErrorKind::Internal => ErrorCode::Internal,
        }
    }
}

/// The error every command returns.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// For `bad_filter` and `bad_sort`: where to underline.
    pub query: Option<QueryError>,
}

impl From<runlens_report::ReportError> for IpcError {
    fn from(e: runlens_report::ReportError) -> Self {
        match e {
            runlens_report::ReportError::Index(e) => e.into(),
            runlens_report::ReportError::Write { .. } => IpcError { code: ErrorCode::Io, message: e.to_string(), query: None },
            runlens_report::ReportError::NoRuns => IpcError { code: ErrorCode::BadInput, message: e.to_string(), query: None },
        }
    }
}

impl From<IndexError> for IpcError {
    fn from(e: IndexError) -> Self {
        let (code, message) = (e.kind().into(), e.to_string());
        let query = match e {
            IndexError::Filter(f) => Some(QueryError::new(QueryInput::Filter, f)),
            IndexError::Sort(f) => Some(QueryError::new(QueryInput::Sort, f)),
            _ => None,
        };
        IpcError { code, message, query }
    }
}

impl IpcError {
    pub fn internal(message: impl ToString) -> IpcError {
        IpcError { code: ErrorCode::Internal, message: message.to_string(), query: None }
    }
}

/// Every exported declaration, in file order, with its name.
fn declarations() -> Vec<(String, String)> {
    fn d<T: TS>(cfg: &ts_rs::Config) -> (String, String) {
        (T::ident(cfg), T::decl(cfg))
    }
    let cfg = ts_rs::Config::default();
    vec![
        d::<StoreId>(&cfg),
        d::<Problem>(&cfg),
        d::<StoreView>(&cfg),
        d::<WarningView>(&cfg),
        d::<MetricCellText>(&cfg),
        d::<MetricCell>(&cfg),
        d::<RunStatus>(&cfg),
        d::<RunRow>(&cfg),
        d::<RunsRequest>(&cfg),
        d::<SortBy>(&cfg),
        d::<MetricColumn>(&cfg),
        d::<RunsPage>(&cfg),
        d::<ExperimentUsageView>(&cfg),
        d::<StoreUsageView>(&cfg),
        d::<RunUsageView>(&cfg),
        d::<LargeFileView>(&cfg),
        d::<StorageView>(&cfg),
        d::<AttachedUsageView>(&cfg),
        d::<ArtifactView>(&cfg),
        d::<AttachedFolderView>(&cfg),
        d::<SameFileView>(&cfg),
        d::<DatasetView>(&cfg),
        d::<ThumbnailRequest>(&cfg),
        d::<ThumbnailView>(&cfg),
        d::<AttachRequest>(&cfg),
        d::<AttachOutcome>(&cfg),
        d::<ArtifactPatternView>(&cfg),
        d::<OpenArtifactRequest>(&cfg),
        d::<ArtifactDiffRequest>(&cfg),
        d::<ArtifactGridRequest>(&cfg),
        d::<ArtifactGridView>(&cfg),
        d::<ArtifactRequest>(&cfg),
        d::<NotebookOutputView>(&cfg),
        d::<NotebookCellView>(&cfg),
        d::<ArtifactPreview>(&cfg),
        d::<ProvenanceView>(&cfg),
        d::<RunDetail>(&cfg),
        d::<QueryError>(&cfg),
        d::<QueryInput>(&cfg),
        d::<ChartX>(&cfg),
        d::<ChartMetric>(&cfg),
        d::<ChartRequest>(&cfg),
        d::<Chart>(&cfg),
        d::<Tick>(&cfg),
        d::<SeriesData>(&cfg),
        d::<MetricKey>(&cfg),
        d::<MetricKeys>(&cfg),
        d::<StoreOutcome>(&cfg),
        d::<AddOutcome>(&cfg),
        d::<IndexProgress>(&cfg),
        d::<Aggregate>(&cfg),
        d::<BetterWhen>(&cfg),
        d::<AnnotateRequest>(&cfg),
        d::<CompareRequest>(&cfg),
        d::<AxisSpec>(&cfg),
        d::<AxisScale>(&cfg),
        d::<AxisView>(&cfg),
        d::<ScatterView>(&cfg),
        d::<PlotsView>(&cfg),
        d::<ComparedRunView>(&cfg),
        d::<ValueRowView>(&cfg),
        d::<FileDiffView>(&cfg),
        d::<AggregateText>(&cfg),
        d::<CompareCell>(&cfg),
        d::<MetricRowView>(&cfg),
        d::<EffectView>(&cfg),
        d::<ImportanceView>(&cfg),
        d::<CompareView>(&cfg),
        d::<ReportFormat>(&cfg),
        d::<ExportRequest>(&cfg),
        d::<ExportOutcome>(&cfg),
        d::<ErrorCode>(&cfg),
        d::<IpcError>(&cfg),
    ]
}

const GENERATED: &str = "// Generated from src-tauri/src/ipc.rs and the command table in src-tauri/src/commands.rs\n// by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.\n";

/// `ui/src/lib/ipc/bindings.ts`: every wire type, and the event names.
pub fn typescript_bindings() -> String {
    let mut out = format!("{GENERATED}\n");
    for (_, decl) in declarations() {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str(&format!("export type Num = {NUM_TS};\n"));
    out.push_str(&format!(
        "export const EVENTS = {{ indexProgress: \"{}\", indexChanged: \"{}\", indexError: \"{}\" }} as const;\n",
        events::INDEX_PROGRESS,
        events::INDEX_CHANGED,
        events::INDEX_ERROR
    ));
    out
}

/// `ui/src/lib/ipc/commands.ts`: one typed function per command of the table, the only
/// code that calls `invoke`. Argument keys are camelCase, as Tauri expects them.
pub fn typescript_commands() -> String {
    let specs = crate::commands::specs();
    let mut body = String::from("export const commands = {\n");
    for c in &specs {
        for line in c.doc.lines() {
            body.push_str(&format!("  /**{line} */\n"));
        }
        let name = camel(c.name);
        let result = &c.result;
        if c.args.is_empty() {
            body.push_str(&format!("  {name}: (): Promise<{result}> => invoke(\"{}\"),\n", c.name));
        } else {
            let fields: Vec<String> = c.args.iter().map(|(arg, ty)| format!("{}: {ty}", camel(arg))).collect();
            body.push_str(&format!("  {name}: (args: {{ {} }}): Promise<{result}> => invoke(\"{}\", args),\n", fields.join(", "), c.name));
        }
    }
    body.push_str("} as const;\n");
    // Import the declared types this file names.
    let used: Vec<String> = declarations()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| body.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == name))
        .collect();
    format!(
        "{GENERATED}// Every command rejects with an `IpcError`.\nimport {{ invoke }} from \"@tauri-apps/api/core\";\nimport type {{ {} }} from \"./bindings\";\n\n{body}",
        used.join(", ")
    )
}

/// `run_ids` → `runIds` (Tauri's default for command names' arguments, here also names).
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when the committed TypeScript no longer matches these types and the command
    /// table; run with `UPDATE_BINDINGS=1` to regenerate.
    #[test]
    fn bindings_are_current() {
        for (file, fresh) in [("bindings.ts", typescript_bindings()), ("commands.ts", typescript_commands())] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/ipc").join(file);
            if std::env::var_os("UPDATE_BINDINGS").is_some() {
                std::fs::write(&path, &fresh).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(committed == fresh, "ui/src/lib/ipc/{file} is stale: run UPDATE_BINDINGS=1 cargo test -p runlens-app");
        }
    }

    #[test]
    fn arguments_are_camel_case_as_tauri_reads_them() {
        assert_eq!(camel("run_ids"), "runIds");
        assert_eq!(camel("paths"), "paths");
    }

    #[test]
    fn non_finite_numbers_cross_as_strings() {
        let summary = MetricSummary {
            first: 1.0,
            last: 1.0,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            count: 3,
            first_step: 0,
            last_step: 2,
            max_step: 2,
            latest: f64::NAN,
        };
        let json = serde_json::to_string(&MetricCell::from(&summary)).unwrap();
        assert_eq!(
            json,
            r#"{"latest":"NaN","min":"-Infinity","max":"Infinity","count":3,"lastStep":2,"text":{"latest":"NaN","min":"−∞","max":"∞"}}"#
        );
    }
}
