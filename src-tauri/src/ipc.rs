//! The one wire boundary between the Rust backend and the web UI: every type that crosses
//! IPC is declared here, converted from core types with `From`, and exported to
//! TypeScript (`ui/src/lib/ipc/bindings.ts`, checked by the `bindings_are_current` test).

use std::collections::BTreeMap;

use runlens_index::chart::{SeriesRequest, SeriesView, XAxis};
use runlens_index::filter::FilterError;
use runlens_index::{IndexError, MetricSummary, Progress, RunRecord, RunsQuery, ScanReport, StoreInfo, StoreReport, StoreWarning};
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

/// A registered store as the stores panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreView {
    #[ts(type = "number")]
    pub id: i64,
    pub reader: String,
    pub source: String,
    pub root: String,
    #[ts(type = "number")]
    pub runs: u64,
    #[ts(type = "number")]
    pub warnings: u64,
    #[ts(type = "number | null")]
    pub scanned_ms: Option<i64>,
    pub error: Option<String>,
}

impl From<StoreInfo> for StoreView {
    fn from(s: StoreInfo) -> Self {
        StoreView {
            id: s.id,
            reader: s.reader,
            source: s.source,
            root: s.root,
            runs: s.runs,
            warnings: s.warnings,
            scanned_ms: s.scanned_ms,
            error: s.error,
        }
    }
}

/// One warning on a store.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarningView {
    #[ts(type = "number")]
    pub store_id: i64,
    pub file: Option<String>,
    pub location: Option<String>,
    pub message: String,
}

impl From<StoreWarning> for WarningView {
    fn from(w: StoreWarning) -> Self {
        WarningView { store_id: w.store_id, file: w.file, location: w.location, message: w.message }
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
}

impl From<&MetricSummary> for MetricCell {
    fn from(m: &MetricSummary) -> Self {
        MetricCell { latest: Num(m.latest), min: Num(m.min), max: Num(m.max), count: m.count, last_step: m.max_step }
    }
}

/// One row of the runs table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub id: String,
    pub name: String,
    pub experiment: Option<String>,
    pub status: String,
    pub source: String,
    #[ts(type = "number")]
    pub store_id: i64,
    pub deleted: bool,
    pub parent: Option<String>,
    #[ts(type = "number | null")]
    pub start_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub end_ms: Option<i64>,
    pub user: Option<String>,
    pub params: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, MetricCell>,
}

impl From<RunRecord> for RunRow {
    fn from(r: RunRecord) -> Self {
        RunRow {
            metrics: r.metrics.iter().map(|(k, m)| (k.clone(), m.into())).collect(),
            id: r.id,
            name: r.name,
            experiment: r.experiment,
            status: r.status,
            source: r.source,
            store_id: r.store_id,
            deleted: r.deleted,
            parent: r.parent,
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            user: r.user,
            params: r.params,
        }
    }
}

/// Which runs the table asks for.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunsRequest {
    pub include_deleted: bool,
    /// In the filter language; blank for all runs.
    pub filter: String,
    /// Sort keys, most significant first (`-started`, ``metrics.`val/loss`.min``).
    pub sort: Vec<String>,
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
            sort: r.sort,
            offset: r.offset,
            limit: Some(r.limit),
        }
    }
}

/// One page of the runs table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunsPage {
    pub runs: Vec<RunRow>,
    /// Runs matching the filter, all pages together.
    #[ts(type = "number")]
    pub total: u64,
}

/// Where a filter or sort key is malformed, for the UI to underline.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueryError {
    /// `filter` or `sort`.
    pub input: String,
    /// Character span (Unicode scalar values) in that input.
    #[ts(type = "number")]
    pub start: usize,
    #[ts(type = "number")]
    pub end: usize,
    pub message: String,
    pub expected: Vec<String>,
}

impl QueryError {
    fn new(input: &str, e: FilterError) -> QueryError {
        QueryError { input: input.into(), start: e.span.start, end: e.span.end, message: e.message, expected: e.expected }
    }
}

/// A chart line request.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SeriesQuery {
    pub run_id: String,
    pub key: String,
    /// `step`, `time` or `relative`.
    pub x: String,
    pub from: Option<f64>,
    pub to: Option<f64>,
    #[ts(type = "number")]
    pub max_points: usize,
    pub smoothing: f64,
}

impl SeriesQuery {
    pub fn to_request(&self) -> Result<SeriesRequest, IpcError> {
        let x = XAxis::parse(&self.x).ok_or_else(|| IpcError::invalid(format!("unknown x axis {:?}", self.x)))?;
        let range = (self.from.is_some() || self.to.is_some())
            .then(|| (self.from.unwrap_or(f64::NEG_INFINITY), self.to.unwrap_or(f64::INFINITY)));
        Ok(SeriesRequest { run_id: self.run_id.clone(), key: self.key.clone(), x, range, max_points: self.max_points, smoothing: self.smoothing })
    }
}

/// One chart line, columnar for uPlot: `ys[i]` is null where the value is not finite.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SeriesData {
    pub run_id: String,
    pub key: String,
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
    pub fn new(q: &SeriesQuery, axis: XAxis, v: SeriesView) -> SeriesData {
        SeriesData {
            run_id: q.run_id.clone(),
            key: q.key.clone(),
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
    pub error: Option<String>,
}

impl From<StoreReport> for StoreOutcome {
    fn from(r: StoreReport) -> Self {
        StoreOutcome {
            store: r.store.into(),
            runs_new: r.stats.runs_new,
            runs_updated: r.stats.runs_updated,
            points_added: r.stats.points_added,
            error: r.stats.error,
        }
    }
}

/// Result of `add_paths`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddOutcome {
    pub stores: Vec<StoreOutcome>,
    /// Folders that could not be searched.
    pub warnings: Vec<String>,
}

impl From<ScanReport> for AddOutcome {
    fn from(r: ScanReport) -> Self {
        AddOutcome {
            stores: r.stores.into_iter().map(Into::into).collect(),
            warnings: r.warnings.into_iter().map(|w| format!("{}: {}", w.file.unwrap_or_default(), w.message)).collect(),
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

/// Error codes the UI may branch on (never on messages).
#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A path the user gave does not exist.
    MissingPath,
    /// A malformed filter or sort key; `query` says where.
    BadQuery,
    /// A request the UI should never make (unknown axis, ...).
    Invalid,
    /// No such run or store.
    NotFound,
    /// The index database could not be read or written.
    Index,
    /// Anything else (a bug).
    Internal,
}

/// The error every command returns.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// For `bad_query`: where to underline.
    pub query: Option<QueryError>,
}

impl From<IndexError> for IpcError {
    fn from(e: IndexError) -> Self {
        let message = e.to_string();
        let (code, query) = match e {
            IndexError::Discover(runlens_sources::DiscoverError::Missing(_)) => (ErrorCode::MissingPath, None),
            IndexError::UnknownRun(_) | IndexError::UnknownStore(_) => (ErrorCode::NotFound, None),
            IndexError::Filter(f) => (ErrorCode::BadQuery, Some(QueryError::new("filter", f))),
            IndexError::Sort(f) => (ErrorCode::BadQuery, Some(QueryError::new("sort", f))),
            _ => (ErrorCode::Index, None),
        };
        IpcError { code, message, query }
    }
}

impl IpcError {
    pub fn internal(message: impl ToString) -> IpcError {
        IpcError { code: ErrorCode::Internal, message: message.to_string(), query: None }
    }

    pub fn invalid(message: impl ToString) -> IpcError {
        IpcError { code: ErrorCode::Invalid, message: message.to_string(), query: None }
    }
}

/// Every exported declaration, in file order.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        StoreView::decl(&cfg),
        WarningView::decl(&cfg),
        MetricCell::decl(&cfg),
        RunRow::decl(&cfg),
        RunsRequest::decl(&cfg),
        RunsPage::decl(&cfg),
        QueryError::decl(&cfg),
        SeriesQuery::decl(&cfg),
        SeriesData::decl(&cfg),
        MetricKey::decl(&cfg),
        StoreOutcome::decl(&cfg),
        AddOutcome::decl(&cfg),
        IndexProgress::decl(&cfg),
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
    ];
    let mut out = String::from("// Generated from src-tauri/src/ipc.rs by `UPDATE_BINDINGS=1 cargo test -p runlens-app`. Do not edit.\n\n");
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when the committed TypeScript no longer matches these types; run with
    /// `UPDATE_BINDINGS=1` to regenerate.
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/ipc/bindings.ts");
        let fresh = typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == fresh, "ui/src/lib/ipc/bindings.ts is stale: run UPDATE_BINDINGS=1 cargo test -p runlens-app");
    }

    #[test]
    fn non_finite_numbers_cross_as_strings() {
        let cell = MetricCell { latest: Num(f64::NAN), min: Num(f64::NEG_INFINITY), max: Num(f64::INFINITY), count: 3, last_step: 2 };
        let json = serde_json::to_string(&cell).unwrap();
        assert_eq!(json, r#"{"latest":"NaN","min":"-Infinity","max":"Infinity","count":3,"lastStep":2}"#);
    }
}
