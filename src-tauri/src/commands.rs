//! The commands: each body is a plain function of the app state and its typed arguments
//! that opens the index, calls one core function and converts the result to the wire
//! types of [`crate::ipc`] (tests run them without a window). The [`COMMANDS`] table at
//! the end declares every command once: from it come the `#[tauri::command]` wrappers,
//! the invoke handler and the generated `ui/src/lib/ipc/commands.ts`.

use std::path::{Path, PathBuf};

use runlens_index::{AnnotationChange, Index, RunsQuery};

use crate::AppState;
use crate::ipc::{
    AddOutcome, AnnotateRequest, ArtifactDiffRequest, ArtifactGridRequest, ArtifactGridView, ArtifactPatternView, ArtifactPreview, ArtifactRequest,
    AttachOutcome, AttachRequest, BetterWhen, Chart, ChartRequest, CompareRequest, CompareView, ErrorCode, ExportOutcome, ExportRequest,
    FileDiffView, IndexProgress, IpcError, MetricKeys, OpenArtifactRequest, RunDetail, RunsPage, RunsRequest, SameFileView, SeriesData, StorageView,
    StoreId, StoreView, ThumbnailRequest, ThumbnailView, WarningView,
};

fn open(state: &AppState) -> Result<Index, IpcError> {
    Ok(Index::open(&state.db_path)?)
}

/// Every registered store, in registration order.
pub fn list_stores(state: &AppState) -> Result<Vec<StoreView>, IpcError> {
    Ok(open(state)?.stores()?.into_iter().map(Into::into).collect())
}

/// One page of the runs table; a malformed filter or sort key is a `bad_filter` or
/// `bad_sort` error saying where.
pub fn runs_page(state: &AppState, request: RunsRequest) -> Result<RunsPage, IpcError> {
    let (runs, total) = open(state)?.runs_page(&request.into())?;
    Ok(RunsPage::new(runs, total))
}

/// The ids of every run the table's filter keeps, in its order (paging ignored).
pub fn matching_runs(state: &AppState, request: RunsRequest) -> Result<Vec<String>, IpcError> {
    let query = RunsQuery { offset: 0, limit: None, ..request.into() };
    Ok(open(state)?.run_ids(&query)?)
}

/// Metric keys of the given runs, the most shared first, and the one a chart opens on.
pub fn metric_keys(state: &AppState, run_ids: Vec<String>) -> Result<MetricKeys, IpcError> {
    Ok(MetricKeys::new(open(state)?.metric_keys(&run_ids)?))
}

/// The charts of the selected runs: for each metric, its line of every run that has it,
/// over the visible range, reduced for the screen. One index connection for them all.
pub fn charts(state: &AppState, request: ChartRequest) -> Result<Vec<Chart>, IpcError> {
    let index = open(state)?;
    let mut charts = Vec::new();
    for metric in &request.metrics {
        let mut lines = Vec::new();
        for (n, run_id) in request.run_ids.iter().enumerate() {
            let line = request.series_request(metric, run_id);
            if let Some(v) = index.series_view(&line)? {
                lines.push(SeriesData::new(&line, v, n));
            }
        }
        charts.push(Chart::new(metric.key.clone(), request.x, lines));
    }
    Ok(charts)
}

/// The warnings of one store.
pub fn store_warnings(state: &AppState, store_id: StoreId) -> Result<Vec<WarningView>, IpcError> {
    Ok(open(state)?.warnings(Some(store_id.0))?.into_iter().map(Into::into).collect())
}

/// Everything the index has of one run, for the run page.
pub fn run_detail(state: &AppState, run_id: String) -> Result<RunDetail, IpcError> {
    let index = open(state)?;
    let run = index.run(&run_id)?.ok_or(runlens_index::IndexError::UnknownRun(run_id.clone()))?;
    Ok(RunDetail::new(run, index.artifacts(&run_id)?, index.attached_folders(&run_id)?, index.datasets(&run_id)?))
}

/// One of a run's images scaled to fit a square (kept beside the index for next time).
pub fn artifact_thumbnail(state: &AppState, request: ThumbnailRequest) -> Result<ThumbnailView, IpcError> {
    Ok(open(state)?.thumbnail(&request.run_id, &request.path, request.side)?.into())
}

/// The other runs' files with the same bytes as one of a run's files.
pub fn same_files(state: &AppState, request: ArtifactRequest) -> Result<Vec<SameFileView>, IpcError> {
    Ok(open(state)?.same_files(&request.run_id, &request.path)?.into_iter().map(Into::into).collect())
}

/// Where the disk went: every store's size, the `top` largest runs and files.
pub fn storage(state: &AppState, top: u32) -> Result<StorageView, IpcError> {
    Ok(open(state)?.storage(top as usize)?.into())
}

/// Attaches a folder to a run (a drop on its row or "Attach folder…"): its files become
/// the run's, the folder is neither copied nor written.
pub fn attach_folder(state: &AppState, request: AttachRequest) -> Result<AttachOutcome, IpcError> {
    let a = open(state)?.attach_folder(&request.run_id, Path::new(&request.folder))?;
    let detail = run_detail(state, request.run_id)?;
    Ok(AttachOutcome { folder: a.folder, files: a.files as u32, shadowed: a.shadowed as u32, truncated: a.truncated, detail })
}

/// Detaches a folder from a run; answers its page as it now is.
pub fn detach_folder(state: &AppState, request: AttachRequest) -> Result<RunDetail, IpcError> {
    open(state)?.detach_folder(&request.run_id, Path::new(&request.folder))?;
    run_detail(state, request.run_id)
}

/// Stars, notes or labels a run, and returns its page as it now is.
pub fn annotate_run(state: &AppState, request: AnnotateRequest) -> Result<RunDetail, IpcError> {
    let change =
        AnnotationChange { starred: request.starred, note: request.note, add_labels: request.add_labels, remove_labels: request.remove_labels };
    open(state)?.annotate(&request.run_id, &change)?;
    run_detail(state, request.run_id)
}

/// The given runs side by side (params, tags, metrics with the best marked) and, for a
/// chosen metric, which params go with it.
pub fn compare_runs(state: &AppState, request: CompareRequest) -> Result<CompareView, IpcError> {
    let index = open(state)?;
    let runs = index.runs_by_id(&request.run_ids)?;
    let metric = request.metric.clone().or_else(|| runlens_index::compare::default_metric(&runs));
    let comparison = index.compare(&runs, metric.as_deref().map(|m| (m, request.aggregate.into())))?;
    Ok(CompareView::new(comparison, &request, metric.as_deref()))
}

/// A preview of one of a run's files (text: the page ending at byte `before`, default the
/// end); a path outside the run's folders is a `bad_input` refusal, never a read.
pub fn artifact_preview(state: &AppState, request: ArtifactRequest) -> Result<ArtifactPreview, IpcError> {
    Ok(open(state)?.preview_artifact(&request.run_id, &request.path, request.before)?.into())
}

/// Opens one of a run's files with the system's program for it, or shows it in its
/// folder; a file inside a log, a program, or a path out of the run is refused.
pub fn open_artifact(state: &AppState, request: OpenArtifactRequest) -> Result<(), IpcError> {
    let real = open(state)?.artifact_file(&request.run_id, &request.path)?;
    open_path(&real, request.reveal)
}

/// The system's program for `path`, or (`reveal`) its folder.
fn open_path(path: &Path, reveal: bool) -> Result<(), IpcError> {
    let opened = if reveal { opener::reveal(path) } else { opener::open(path) };
    opened.map_err(|e| IpcError {
        code: ErrorCode::Io,
        message: format!("cannot {} {}: {e}", if reveal { "show the folder of" } else { "open" }, path.display()),
        query: None,
    })
}

/// The files both runs list that may be text (what [`artifact_diff`] can diff).
pub fn shared_text_artifacts(state: &AppState, run_a: String, run_b: String) -> Result<Vec<String>, IpcError> {
    Ok(open(state)?.shared_text_artifacts(&run_a, &run_b)?)
}

/// One file of two runs as a unified diff.
pub fn artifact_diff(state: &AppState, request: ArtifactDiffRequest) -> Result<FileDiffView, IpcError> {
    Ok(open(state)?.artifact_diff(&request.run_a, &request.run_b, &request.path)?.into())
}

/// The image patterns among the runs' files, the most shared first.
pub fn artifact_patterns(state: &AppState, run_ids: Vec<String>) -> Result<Vec<ArtifactPatternView>, IpcError> {
    let found = open(state)?.artifact_patterns(&run_ids)?;
    Ok(found.into_iter().map(|p| ArtifactPatternView { pattern: p.pattern, runs: p.runs, files: p.files }).collect())
}

/// The file of each run for each step of a pattern.
pub fn artifact_grid(state: &AppState, request: ArtifactGridRequest) -> Result<ArtifactGridView, IpcError> {
    let grid = open(state)?.artifact_grid(&request.run_ids, &request.pattern)?;
    Ok(ArtifactGridView { steps: grid.steps, cells: grid.cells })
}

/// The code and environment files two runs' stores recorded, paired by name, each with a
/// unified diff.
pub fn code_diff(state: &AppState, run_a: String, run_b: String) -> Result<Vec<FileDiffView>, IpcError> {
    Ok(open(state)?.code_diff(&run_a, &run_b)?.into_iter().map(Into::into).collect())
}

/// Remembers which way is better for a metric key (`null`: guess from its name again).
pub fn set_metric_direction(state: &AppState, key: String, better: Option<BetterWhen>) -> Result<(), IpcError> {
    Ok(open(state)?.set_metric_direction(&key, better.map(Into::into))?)
}

/// Writes a report of the given runs (the file the save dialog chose); the same
/// functions as `runlens report`, and a footer naming the command that writes it again.
pub fn export_report(state: &AppState, request: ExportRequest) -> Result<ExportOutcome, IpcError> {
    let index = open(state)?;
    let runs = index.runs_by_id(&request.run_ids)?;
    let path = PathBuf::from(&request.path);
    let format = request.format.map(Into::into).unwrap_or_else(|| runlens_report::Format::of_path(&path));
    let command =
        runlens_report::report_command(&state.db_path, &request.run_ids, &path, format, &request.metrics, request.title.as_deref(), &request.images);
    let selection = format!("{} runs chosen in the app", runs.len());
    let report_request = runlens_report::ReportRequest { title: request.title, metrics: request.metrics, selection, command, images: request.images };
    let report = runlens_report::gather(&index, runs, &report_request)?;
    let files = runlens_report::write(&index, &report, &path, format)?;
    let documents: Vec<PathBuf> = runlens_report::documents(&files).cloned().collect();
    state.written.lock().map_err(IpcError::internal)?.extend(documents.iter().cloned());
    Ok(ExportOutcome { files: documents.iter().map(|f| f.display().to_string()).collect() })
}

/// Opens a report written this session with the system's default program, or (`reveal`)
/// shows it in its folder. Any other path is refused.
pub fn open_written(state: &AppState, path: String, reveal: bool) -> Result<(), IpcError> {
    let path = PathBuf::from(path);
    if !state.written.lock().map_err(IpcError::internal)?.contains(&path) {
        return Err(IpcError { code: ErrorCode::BadInput, message: format!("{} is not a report written here", path.display()), query: None });
    }
    open_path(&path, reveal)
}

/// Finds and indexes every store below the given paths, telling `progress`. The Open
/// dialog, a drop on the window and paths on the command line all end here.
pub fn add_paths(db: &Path, paths: Vec<PathBuf>, progress: &mut dyn FnMut(IndexProgress)) -> Result<AddOutcome, IpcError> {
    let mut current = String::new();
    Ok(Index::open(db)?.add(&paths, &mut |p| progress(IndexProgress::from_progress(p, &mut current)))?.into())
}

/// Rescans every store (and looks for new ones in the added folders), telling `progress`.
pub fn scan(db: &Path, progress: &mut dyn FnMut(IndexProgress)) -> Result<(), IpcError> {
    let mut current = String::new();
    Index::open(db)?.scan(&mut |p| progress(IndexProgress::from_progress(p, &mut current)))?;
    Ok(())
}

/// Opens the native folder picker; `None` when the user cancels.
pub async fn pick_folder(title: String) -> Option<String> {
    rfd::AsyncFileDialog::new().set_title(title).pick_folder().await.map(|f| f.path().to_string_lossy().into_owned())
}

/// Opens the native save dialog for a report; `null` when the user cancels.
pub async fn pick_report_path(suggested: String) -> Option<String> {
    rfd::AsyncFileDialog::new()
        .set_title("Export report")
        .set_file_name(suggested)
        .add_filter("HTML report", &["html"])
        .add_filter("Markdown with PNG charts", &["md"])
        .add_filter("CSV tables", &["csv"])
        .add_filter("LaTeX with PGFPlots", &["tex"])
        .save_file()
        .await
        .map(|f| f.path().to_string_lossy().into_owned())
}

/// One command of the table, for the TypeScript generator.
pub struct CommandSpec {
    pub name: &'static str,
    pub doc: &'static str,
    /// Argument names (as in Rust) and their TypeScript types.
    pub args: Vec<(&'static str, String)>,
    /// TypeScript type of the result.
    pub result: String,
}

/// Declares the commands. Each line is `kind name(args) -> result;`: the body is the function
/// of that name in this module, and the kind says what the wrapper passes it:
/// * `query`: the app state (`&AppState`), then the arguments; a synchronous command.
/// * `task`: the index path, the arguments, a progress callback; runs on a blocking
///   thread with progress events, then tells the UI the index changed (see [`crate::live`]).
/// * `dialog`: the arguments only; an async body that never fails.
macro_rules! command_table {
    ($( $(#[doc = $doc:literal])* $kind:ident $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        /// The `#[tauri::command]` wrappers: each passes its arguments to its body.
        pub mod handlers {
            use super::*;
            $( command_table!(@wrapper [$($doc)*] $kind $name ( $($arg : $ty),* ) -> $ret); )*

            /// The invoke handler of every command in the table.
            pub fn all() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
                tauri::generate_handler![$($name),*]
            }
        }

        /// Every command, in table order.
        pub fn specs() -> Vec<CommandSpec> {
            let cfg = ts_rs::Config::default();
            let _ = &cfg;
            vec![$( CommandSpec {
                name: stringify!($name),
                doc: concat!($($doc, "\n"),*),
                args: vec![$( (stringify!($arg), <$ty as ts_rs::TS>::name(&cfg)) ),*],
                result: <$ret as ts_rs::TS>::name(&cfg),
            } ),*]
        }
    };
    (@wrapper [$($doc:literal)*] query $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[doc = $doc])*
        // Off the main thread: a big chart fetch never freezes the window.
        #[tauri::command(async)]
        pub fn $name(state: tauri::State<'_, AppState>, $($arg: $ty),*) -> Result<$ret, IpcError> {
            super::$name(&state, $($arg),*)
        }
    };
    (@wrapper [$($doc:literal)*] task $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[doc = $doc])*
        #[tauri::command]
        pub async fn $name(app: tauri::AppHandle, state: tauri::State<'_, AppState>, $($arg: $ty),*) -> Result<$ret, IpcError> {
            let db = state.db_path.clone();
            crate::live::in_background(app, move |progress| super::$name(&db, $($arg,)* progress)).await
        }
    };
    (@wrapper [$($doc:literal)*] dialog $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[doc = $doc])*
        #[tauri::command]
        pub async fn $name($($arg: $ty),*) -> Result<$ret, IpcError> {
            Ok(super::$name($($arg),*).await)
        }
    };
}

command_table! {
    /// Every registered store, in registration order.
    query list_stores() -> Vec<StoreView>;
    /// One page of the runs table; a malformed filter or sort key rejects with `bad_filter` or `bad_sort`.
    query runs_page(request: RunsRequest) -> RunsPage;
    /// The ids of every run the table's filter keeps, in its order (`offset` and `limit` are ignored).
    query matching_runs(request: RunsRequest) -> Vec<String>;
    /// Metric keys of the given runs, the most shared first, and the one a chart opens on.
    query metric_keys(run_ids: Vec<String>) -> MetricKeys;
    /// Every chart of the selected runs: each metric's line of every run, over its visible range.
    query charts(request: ChartRequest) -> Vec<Chart>;
    /// The warnings of one store.
    query store_warnings(store_id: StoreId) -> Vec<WarningView>;
    /// Everything the index has of one run, for the run page.
    query run_detail(run_id: String) -> RunDetail;
    /// Stars, notes or labels a run (yours, kept apart from its store); answers its page as it now is.
    query annotate_run(request: AnnotateRequest) -> RunDetail;
    /// The given runs side by side and, for a chosen metric, which params go with it.
    query compare_runs(request: CompareRequest) -> CompareView;
    /// One of a run's images scaled in Rust to fit `side` × `side` (kept beside the index, never in the store).
    query artifact_thumbnail(request: ThumbnailRequest) -> ThumbnailView;
    /// The other runs' files with the same bytes (BLAKE3) as one of a run's files (`before` is ignored).
    query same_files(request: ArtifactRequest) -> Vec<SameFileView>;
    /// Where the disk went: every store's size (per experiment), the `top` largest runs and files.
    query storage(top: u32) -> StorageView;
    /// Attaches a folder to a run as more of its files (never copied or written); answers what it found and the run's page.
    query attach_folder(request: AttachRequest) -> AttachOutcome;
    /// Detaches a folder from a run; answers the run's page as it now is.
    query detach_folder(request: AttachRequest) -> RunDetail;
    /// A preview of one of a run's files: an image, a page of text (from the end; `before` pages back), a table, or a binary's size and hash.
    query artifact_preview(request: ArtifactRequest) -> ArtifactPreview;
    /// Opens one of a run's files with the system's program for it (`reveal`: shows it in its folder); refuses programs, files inside logs and paths out of the run.
    query open_artifact(request: OpenArtifactRequest) -> ();
    /// The files both runs list that may be text, in path order.
    query shared_text_artifacts(run_a: String, run_b: String) -> Vec<String>;
    /// One file of two runs as a unified diff.
    query artifact_diff(request: ArtifactDiffRequest) -> FileDiffView;
    /// The image patterns among the runs' files (`{N}`: the step), the most shared first.
    query artifact_patterns(run_ids: Vec<String>) -> Vec<ArtifactPatternView>;
    /// The file of each run for each step of a pattern: the same artifact across runs.
    query artifact_grid(request: ArtifactGridRequest) -> ArtifactGridView;
    /// The code and environment files two runs' stores recorded, each pair with a unified diff.
    query code_diff(run_a: String, run_b: String) -> Vec<FileDiffView>;
    /// Remembers which way is better for a metric key (`null`: guess from its name again).
    query set_metric_direction(key: String, better: Option<BetterWhen>) -> ();
    /// Finds and indexes every store below the given paths (progress arrives as `index-progress` events).
    task add_paths(paths: Vec<PathBuf>) -> AddOutcome;
    /// Opens the native folder picker titled `title`; `null` when the user cancels.
    dialog pick_folder(title: String) -> Option<String>;
    /// Writes a report of the given runs (HTML, CSV or LaTeX) where the save dialog chose.
    query export_report(request: ExportRequest) -> ExportOutcome;
    /// Opens a report written this session (`reveal`: shows it in its folder); refuses any other path.
    query open_written(path: String, reveal: bool) -> ();
    /// Opens the native save dialog for a report; `null` when the user cancels.
    dialog pick_report_path(suggested: String) -> Option<String>;
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::ipc::{Aggregate, AxisSpec, ChartMetric, ChartX, QueryInput, RunStatus, SortBy};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
    }

    /// An app state over a fresh index of the MLflow and TensorBoard fixtures, as a drop
    /// of those folders leaves it.
    fn state_with_fixtures() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(dir.path().join("index.sqlite"));
        let mut events = 0;
        let outcome = add_paths(&state.db_path, vec![fixture("mlflow-file"), fixture("tensorboard")], &mut |_| events += 1).unwrap();
        assert_eq!(outcome.stores.len(), 2);
        assert!(events > 0, "progress was told");
        (dir, state)
    }

    fn request(filter: &str, sort: Vec<SortBy>) -> RunsRequest {
        RunsRequest { include_deleted: false, filter: filter.into(), sort, offset: 0, limit: 200 }
    }

    #[test]
    fn stores_have_their_kind_and_runs() {
        let (_dir, state) = state_with_fixtures();
        let stores = list_stores(&state).unwrap();
        let kinds: Vec<(&str, &str)> = stores.iter().map(|s| (s.source.as_str(), s.kind.as_str())).collect();
        assert_eq!(kinds, [("mlflow", "file"), ("tensorboard", "")]);
        assert!(stores.iter().all(|s| s.runs > 0 && s.error.is_none()));
    }

    #[test]
    fn pages_sort_both_ways_by_the_fields_they_name() {
        let (_dir, state) = state_with_fixtures();
        let by = |field: &str, descending| vec![SortBy { field: field.into(), descending }];
        let names = |page: RunsPage| page.runs.into_iter().map(|r| r.name).collect::<Vec<_>>();
        let up = names(runs_page(&state, request("source = 'mlflow'", by("name", false))).unwrap());
        let down = names(runs_page(&state, request("source = 'mlflow'", by("name", true))).unwrap());
        let mut sorted = up.clone();
        sorted.sort();
        assert_eq!(up, sorted);
        assert_eq!(down, up.iter().rev().cloned().collect::<Vec<_>>());

        // Metric columns carry the field to sort by, whatever the key.
        let page = runs_page(&state, request("source = 'tensorboard'", vec![])).unwrap();
        assert!(!page.metric_columns.is_empty() && page.metric_columns.len() <= 4);
        let column = &page.metric_columns[0];
        assert_eq!(column.field, format!("metrics.`{}`", column.key));
        let sorted = runs_page(&state, request("source = 'tensorboard'", by(&column.field, true))).unwrap();
        let latest: Vec<f64> = sorted.runs.iter().filter_map(|r| r.metrics.get(&column.key)).map(|m| m.latest.0).collect();
        assert!(latest.windows(2).all(|w| w[0] >= w[1]), "{latest:?}");
    }

    #[test]
    fn export_writes_the_report_the_cli_would() {
        let (dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name ~ 'lr='", vec![])).unwrap();
        let run_ids: Vec<String> = page.runs.iter().map(|r| r.id.clone()).collect();
        let path = dir.path().join("sweep.html");
        let outcome = export_report(
            &state,
            ExportRequest {
                run_ids: run_ids.clone(),
                path: path.display().to_string(),
                format: None,
                metrics: vec!["val/loss".into()],
                title: None,
                images: vec![],
            },
        )
        .unwrap();
        assert_eq!(outcome.files, [path.display().to_string()]);
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.contains("<title>Comparison of 3 runs</title>") && html.matches("<svg").count() == 1);
        assert!(html.contains(&format!("report {} {} {} --out", run_ids[0], run_ids[1], run_ids[2])), "the command that writes it again");
        let csv = dir.path().join("sweep.csv");
        let outcome = export_report(
            &state,
            ExportRequest {
                run_ids,
                path: csv.display().to_string(),
                format: Some(crate::ipc::ReportFormat::Csv),
                metrics: vec![],
                title: None,
                images: vec![],
            },
        )
        .unwrap();
        assert_eq!(outcome.files.len(), 2, "the summary and every point");
        let e = export_report(
            &state,
            ExportRequest { run_ids: vec![], path: csv.display().to_string(), format: None, metrics: vec![], title: None, images: vec![] },
        );
        assert_eq!(e.unwrap_err().code, ErrorCode::BadInput);
        // Only what was written here can be opened, not a path from anywhere else.
        assert_eq!(*state.written.lock().unwrap(), [path.clone(), csv.clone(), dir.path().join("sweep-series.csv")]);
        for other in [dir.path().join("sweep.tex"), PathBuf::from("/etc/passwd")] {
            let e = open_written(&state, other.display().to_string(), false).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadInput, "{}", e.message);
        }
    }

    #[test]
    fn artifacts_preview_as_what_they_are_and_nothing_outside_the_run_is_read() {
        use base64::Engine as _;
        let (_dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name = 'resnet18-baseline'", vec![])).unwrap();
        let id = page.runs[0].id.clone();
        let dir = PathBuf::from(run_detail(&state, id.clone()).unwrap().artifact_dir.expect("an artifact folder"));
        let preview = |path: &str| artifact_preview(&state, ArtifactRequest { run_id: id.clone(), path: path.into(), before: None });
        let file = |path: &str| std::fs::read(dir.join(path)).unwrap();

        let ArtifactPreview::Image { url, .. } = preview("images/sample_grid.png").unwrap() else { panic!("an image") };
        let data = url.strip_prefix("data:image/png;base64,").expect("a PNG data URL");
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(data).unwrap(), file("images/sample_grid.png"));

        let ArtifactPreview::Table { header, rows, truncated } = preview("eval/predictions.csv").unwrap() else { panic!("a table") };
        let csv_bytes = file("eval/predictions.csv");
        let mut reader = ::csv::Reader::from_reader(csv_bytes.as_slice());
        assert_eq!(header, reader.headers().unwrap().iter().collect::<Vec<_>>());
        let want: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
        assert_eq!((rows, truncated), (want, false));

        let ArtifactPreview::Text { text, start, end, .. } = preview("logs/train.log").unwrap() else { panic!("text") };
        assert_eq!((text.as_bytes(), start, end), (file("logs/train.log").as_slice(), 0, file("logs/train.log").len() as u64));

        let ArtifactPreview::Text { text, language, .. } = preview("eval/summary.json").unwrap() else { panic!("text") };
        assert_eq!(language.as_deref(), Some("json"));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::from_slice::<serde_json::Value>(&file("eval/summary.json")).unwrap());
        assert!(text.lines().count() > 3, "re-indented: {text}");

        let ArtifactPreview::Binary { size, blake3, .. } = preview("model/weights.bin").unwrap() else { panic!("binary") };
        assert_eq!((size, blake3), (2048, ::blake3::hash(&file("model/weights.bin")).to_hex().to_string()));

        for outside in ["../../../../../../etc/passwd", "/etc/passwd", "images/../../meta.yaml", "not/listed.txt"] {
            let e = preview(outside).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadInput, "{outside}: {}", e.message);
            assert!(e.message.starts_with(outside), "{}", e.message);
        }
        let tb = runs_page(&state, request("name = 'cifar-cnn/augmented'", vec![])).unwrap().runs[0].id.clone();
        // An image inside a TensorBoard event file, taken out of it: a PNG.
        let ArtifactPreview::Image { url, bytes } =
            artifact_preview(&state, ArtifactRequest { run_id: tb, path: "images/samples/input/0.png".into(), before: None }).unwrap()
        else {
            panic!("an image")
        };
        let png = base64::engine::general_purpose::STANDARD.decode(url.strip_prefix("data:image/png;base64,").unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() as u64 == bytes, "{} bytes", png.len());
    }

    #[test]
    fn an_attached_folder_is_on_the_run_page_until_detached() {
        let (dir, state) = state_with_fixtures();
        let id = runs_page(&state, request("name = 'resnet18-baseline'", vec![])).unwrap().runs[0].id.clone();
        let out = dir.path().join("outputs");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "lr too high").unwrap();
        let folder = out.display().to_string();
        let outcome = attach_folder(&state, AttachRequest { run_id: id.clone(), folder: folder.clone() }).unwrap();
        assert_eq!((outcome.files, outcome.shadowed, outcome.truncated), (1, 0, false));
        let shown = &outcome.detail;
        assert_eq!(shown.attached_folders.iter().map(|f| (f.folder.as_str(), f.present)).collect::<Vec<_>>(), [(outcome.folder.as_str(), true)]);
        let notes = shown.artifacts.iter().find(|a| a.path == "notes.txt").expect("the folder's file is the run's");
        assert_eq!((notes.size, notes.embedded, notes.attached.as_deref()), (11, false, Some(outcome.folder.as_str())));
        let ArtifactPreview::Text { text, .. } =
            artifact_preview(&state, ArtifactRequest { run_id: id.clone(), path: "notes.txt".into(), before: None }).unwrap()
        else {
            panic!("text")
        };
        assert_eq!(text, "lr too high");
        let after = detach_folder(&state, AttachRequest { run_id: id.clone(), folder }).unwrap();
        assert!(after.attached_folders.is_empty() && after.artifacts.iter().all(|a| a.attached.is_none()));
        let missing = attach_folder(&state, AttachRequest { run_id: id, folder: "/no/such/folder".into() }).unwrap_err();
        assert_eq!(missing.code, ErrorCode::BadInput, "{}", missing.message);
    }

    #[test]
    fn the_same_image_of_runs_lines_up_by_step() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(dir.path().join("index.sqlite"));
        add_paths(&state.db_path, vec![fixture("dvclive")], &mut |_| {}).unwrap();
        let mut runs = runs_page(&state, request("", vec![])).unwrap().runs;
        runs.sort_by(|a, b| a.name.cmp(&b.name));
        let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["augmented/dvclive", "baseline/dvclive", "tiny-debug/dvclive"]);
        let patterns = artifact_patterns(&state, ids.clone()).unwrap();
        // The loss plot is in all three; the samples, one per step, in two.
        assert_eq!((patterns[0].pattern.as_str(), patterns[0].runs), ("plots/images/loss_curve.png", 3));
        let samples = patterns.iter().find(|p| p.pattern == "plots/images/samples/step_{N}.png").expect("the samples' pattern");
        assert_eq!((samples.runs, samples.files), (2, 4));
        let grid = artifact_grid(&state, ArtifactGridRequest { run_ids: ids.clone(), pattern: samples.pattern.clone() }).unwrap();
        assert_eq!(grid.steps, [Some(0), Some(49), Some(79)]);
        let cell = |row: usize, run: usize| grid.cells[row][run].as_deref();
        assert_eq!((cell(0, 0), cell(0, 1), cell(0, 2)), (Some("plots/images/samples/step_0.png"), Some("plots/images/samples/step_0.png"), None));
        assert_eq!((cell(1, 0), cell(1, 1)), (None, Some("plots/images/samples/step_49.png")));
        assert_eq!((cell(2, 0), cell(2, 1)), (Some("plots/images/samples/step_79.png"), None));
        // Each cell opens as the run's image.
        assert!(matches!(
            artifact_preview(&state, ArtifactRequest { run_id: ids[0].clone(), path: "plots/images/samples/step_79.png".into(), before: None })
                .unwrap(),
            ArtifactPreview::Image { .. }
        ));
    }

    #[test]
    fn a_file_of_two_runs_is_diffed_as_text() {
        let (_dir, state) = state_with_fixtures();
        let id = |name: &str| runs_page(&state, request(&format!("name = '{name}'"), vec![])).unwrap().runs[0].id.clone();
        let (a, b) = (id("resnet18-baseline"), id("Läufer № 1 (σ=0.5)"));
        let shared = shared_text_artifacts(&state, a.clone(), b.clone()).unwrap();
        // What both list, less the images and the weights.
        let want = [
            "config/config.yaml",
            "eval/predictions.csv",
            "eval/predictions_table.json",
            "eval/summary.json",
            "logs/train.log",
            "model/README.md",
            "model/config.json",
            "model/vocab.txt",
        ];
        assert_eq!(shared, want);
        let dir = |run: &str| PathBuf::from(run_detail(&state, run.to_string()).unwrap().artifact_dir.unwrap());
        for path in &shared {
            let d = artifact_diff(&state, ArtifactDiffRequest { run_a: a.clone(), run_b: b.clone(), path: path.clone() }).unwrap();
            let (ta, tb) = (std::fs::read_to_string(dir(&a).join(path)).unwrap(), std::fs::read_to_string(dir(&b).join(path)).unwrap());
            assert_eq!((d.identical, d.note.as_deref()), (ta == tb, None), "{path}");
            if ta != tb {
                assert!(d.unified.starts_with(&format!("--- resnet18-baseline {path}\n+++ Läufer № 1 (σ=0.5) {path}\n")), "{}", d.unified);
                let removed = d.unified.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count();
                assert!(removed > 0 && ta.lines().count() >= removed, "{path}");
            }
        }
        // A file both list that is not text is said so, not an error.
        let weights = artifact_diff(&state, ArtifactDiffRequest { run_a: a.clone(), run_b: b.clone(), path: "model/weights.bin".into() }).unwrap();
        assert!(weights.note.is_some_and(|n| n.contains("not UTF-8")), "weights are not text");
        let path = shared[0].clone();
        let e = artifact_diff(&state, ArtifactDiffRequest { run_a: a, run_b: "gone".into(), path }).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }

    #[test]
    fn only_a_runs_own_files_are_handed_to_other_programs_and_never_a_program() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("mlruns");
        let copied = std::process::Command::new("cp").arg("-r").arg(fixture("mlflow-file").join("mlruns")).arg(&store).status().unwrap();
        assert!(copied.success());
        let state = AppState::new(dir.path().join("index.sqlite"));
        add_paths(&state.db_path, vec![store, fixture("tensorboard")], &mut |_| {}).unwrap();
        let id = |name: &str| runs_page(&state, request(&format!("name = '{name}'"), vec![])).unwrap().runs[0].id.clone();
        let run = id("resnet18-baseline");
        let folder = PathBuf::from(run_detail(&state, run.clone()).unwrap().artifact_dir.unwrap());
        let index = open(&state).unwrap();
        assert_eq!(index.artifact_file(&run, "eval/predictions.csv").unwrap(), std::fs::canonicalize(folder.join("eval/predictions.csv")).unwrap());
        // A file made executable after the scan is still a program.
        std::fs::set_permissions(folder.join("logs/train.log"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let refusals = [
            (run.clone(), "logs/train.log", "is a program"),
            (run.clone(), "../../../../etc/passwd", "is not a path inside"),
            (id("cifar-cnn/augmented"), "images/samples/input/0.png", "inside a log file"),
        ];
        for (run, path, why) in refusals {
            let e = open_artifact(&state, OpenArtifactRequest { run_id: run, path: path.into(), reveal: false }).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadInput, "{path}: {}", e.message);
            assert!(e.message.contains(why), "{path}: {}", e.message);
        }
    }

    #[test]
    fn the_run_page_has_the_whole_run() {
        let (_dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name = 'resnet18-baseline'", vec![])).unwrap();
        let detail = run_detail(&state, page.runs[0].id.clone()).unwrap();
        assert_eq!(detail.run.name, "resnet18-baseline");
        assert!(detail.store.ends_with("mlflow-file/mlruns"), "{}", detail.store);
        assert_eq!(detail.tags.get("stage").map(String::as_str), Some("baseline"));
        assert!(!detail.run.params.is_empty() && !detail.run.metrics.is_empty());
        assert!(detail.artifacts.iter().any(|a| !a.embedded && a.size > 0), "{:?}", detail.artifacts);
        // How it ran, from its mlflow.source.* tags: enough to run it again, but MLflow
        // does not record arguments, and the page says so.
        let p = detail.provenance.expect("MLflow records the source");
        assert!(p.commit.is_some() && p.commit == detail.commit, "{:?} {:?}", p.commit, detail.commit);
        assert_eq!(p.branch.as_deref(), Some("main"));
        let again = p.reproduce.expect("a commit and a program");
        assert!(again.starts_with(&format!("git checkout {} && python ", p.commit.unwrap())), "{again}");
        assert_eq!(p.missing, ["the tracker does not record the arguments"]);
        assert_eq!(run_detail(&state, "gone".into()).unwrap_err().code, ErrorCode::NotFound);
    }

    #[test]
    fn compare_marks_the_best_and_keeps_the_users_direction() {
        let (_dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name ~ 'lr='", vec![])).unwrap();
        let run_ids: Vec<String> = page.runs.iter().map(|r| r.id.clone()).collect();
        assert_eq!(run_ids.len(), 3);
        let ask = |metric: Option<&str>| {
            compare_runs(
                &state,
                CompareRequest {
                    run_ids: run_ids.clone(),
                    metric: metric.map(Into::into),
                    aggregate: Aggregate::Latest,
                    scatter_x: None,
                    scatter_y: None,
                    parallel: None,
                },
            )
            .unwrap()
        };
        let view = ask(Some("val/loss"));
        assert_eq!(view.runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), run_ids);
        let loss = view.metrics.iter().find(|m| m.key == "val/loss").unwrap();
        assert_eq!((loss.better, loss.chosen), (BetterWhen::Lower, false));
        let latest: Vec<f64> = loss.cells.iter().map(|c| c.as_ref().unwrap().latest.0).collect();
        let best: Vec<usize> =
            loss.cells.iter().enumerate().filter(|(_, c)| c.as_ref().unwrap().best.contains(&Aggregate::Latest)).map(|(i, _)| i).collect();
        assert_eq!(best.len(), 1);
        assert_eq!(latest[best[0]], latest.iter().copied().fold(f64::INFINITY, f64::min));
        assert!(view.importance.as_ref().is_some_and(|i| i.metric == "val/loss" && !i.effects.is_empty()));
        assert!(view.params.iter().any(|r| r.differs) && view.params.iter().any(|r| !r.differs));
        // The plots open on the param that goes with the metric most, against it.
        let scatter = view.plots.scatter.as_ref().expect("a param differs and a metric is chosen");
        let strongest = &view.importance.as_ref().unwrap().effects[0].key;
        assert_eq!((&scatter.x.spec, &scatter.y.spec), (&AxisSpec::Param { key: strongest.clone() }, &AxisSpec::Metric { key: "val/loss".into() }));
        assert_eq!(scatter.y.positions.len(), 3);
        let best_at = scatter.y.positions[best[0]].unwrap();
        assert!(scatter.y.positions.iter().flatten().all(|p| *p >= best_at), "the lowest loss sits lowest");
        let axes: Vec<&AxisSpec> = view.plots.parallel.iter().map(|a| &a.spec).collect();
        assert_eq!(axes.last(), Some(&&AxisSpec::Metric { key: "val/loss".into() }));
        assert!(axes.len() >= 2 && axes.len() <= runlens_index::axes::PARALLEL_PARAMS + 1);

        set_metric_direction(&state, "val/loss".into(), Some(BetterWhen::Higher)).unwrap();
        let loss = ask(None).metrics.into_iter().find(|m| m.key == "val/loss").unwrap();
        assert_eq!((loss.better, loss.chosen), (BetterWhen::Higher, true));
        assert_eq!(ask(None).importance.map(|i| i.metric).as_deref(), Some("train/accuracy"), "no metric asked: the first every run has");

        let e = compare_runs(
            &state,
            CompareRequest {
                run_ids: vec!["gone".into()],
                metric: None,
                aggregate: Aggregate::Latest,
                scatter_x: None,
                scatter_y: None,
                parallel: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }

    #[test]
    fn a_run_is_starred_noted_and_labelled_and_the_table_filters_by_it() {
        let (_dir, state) = state_with_fixtures();
        let id = runs_page(&state, request("name ~ 'lr='", vec![])).unwrap().runs[0].id.clone();
        let annotate = |starred, note: Option<&str>, add: &[&str], remove: &[&str]| {
            annotate_run(
                &state,
                AnnotateRequest {
                    run_id: id.clone(),
                    starred,
                    note: note.map(Into::into),
                    add_labels: add.iter().map(|s| s.to_string()).collect(),
                    remove_labels: remove.iter().map(|s| s.to_string()).collect(),
                },
            )
            .unwrap()
        };
        let page = annotate(Some(true), Some("best <b>so far</b>"), &["baseline", " sweep-3 "], &[]);
        assert_eq!(
            (page.starred, page.note.as_str(), page.labels.clone()),
            (true, "best <b>so far</b>", vec!["baseline".to_string(), "sweep-3".to_string()])
        );
        let page = annotate(None, None, &[], &["baseline"]);
        assert_eq!((page.starred, page.labels.clone()), (true, vec!["sweep-3".to_string()]), "what is not asked stays");
        let rows = runs_page(&state, request("label = 'sweep-3'", vec![])).unwrap().runs;
        assert_eq!(rows.iter().map(|r| (r.id.as_str(), r.starred)).collect::<Vec<_>>(), [(id.as_str(), true)]);
        let page = annotate(Some(false), Some(""), &[], &[]);
        assert_eq!((page.starred, page.note.as_str()), (false, ""));
        let e = annotate_run(
            &state,
            AnnotateRequest { run_id: "gone".into(), starred: Some(true), note: None, add_labels: vec![], remove_labels: vec![] },
        );
        assert_eq!(e.unwrap_err().code, ErrorCode::NotFound);
    }

    #[test]
    fn every_matching_run_in_the_tables_order_whatever_its_page() {
        let (_dir, state) = state_with_fixtures();
        let sort = || vec![SortBy { field: "name".into(), descending: true }];
        let mut page = request("source = 'mlflow'", sort());
        page.limit = 2;
        let shown = runs_page(&state, page.clone()).unwrap();
        let all = matching_runs(&state, page).unwrap();
        assert_eq!(all.len() as u64, shown.total);
        assert!(all.len() > 2);
        assert_eq!(all[..2], shown.runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>()[..]);
        let mut whole = request("source = 'mlflow'", sort());
        whole.limit = 1000;
        assert_eq!(all, runs_page(&state, whole).unwrap().runs.into_iter().map(|r| r.id).collect::<Vec<_>>());
        assert_eq!(matching_runs(&state, request("name ~ ", vec![])).unwrap_err().code, ErrorCode::BadFilter);
    }

    #[test]
    fn rows_carry_status_and_duration() {
        let (_dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name = 'still-training'", vec![])).unwrap();
        let row = &page.runs[0];
        assert_eq!((row.status, row.duration.as_deref()), (RunStatus::Running, None));
        let page = runs_page(&state, request("source = 'mlflow' and status = 'finished'", vec![])).unwrap();
        assert!(page.runs.iter().all(|r| r.duration.is_some()), "finished runs have a duration");
    }

    #[test]
    fn bad_filters_and_sort_keys_say_where() {
        let (_dir, state) = state_with_fixtures();
        let e = runs_page(&state, request("metrics.acc >", vec![])).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadFilter);
        let q = e.query.unwrap();
        assert_eq!((q.input, q.start), (QueryInput::Filter, 13));
        let e = runs_page(&state, request("", vec![SortBy { field: "datasets.name".into(), descending: false }])).unwrap_err();
        assert_eq!((e.code, e.query.map(|q| q.input)), (ErrorCode::BadSort, Some(QueryInput::Sort)));
    }

    #[test]
    fn one_call_charts_every_metric_of_every_selected_run() {
        let (_dir, state) = state_with_fixtures();
        let page = runs_page(&state, request("name like 'mnist-mlp/%'", vec![])).unwrap();
        let run_ids: Vec<String> = page.runs.iter().map(|r| r.id.clone()).collect();
        assert_eq!(run_ids.len(), 2);
        let keys = metric_keys(&state, run_ids.clone()).unwrap();
        let default = keys.default.clone().unwrap();
        assert!(default.to_lowercase().contains("loss"), "{default}");
        let metrics = keys.keys.iter().take(2).map(|k| ChartMetric { key: k.key.clone(), from: None, to: None }).collect();
        let charts = charts(&state, ChartRequest { run_ids, metrics, x: ChartX::Relative, max_points: 400, smoothing: 0.5 }).unwrap();
        assert_eq!(charts.len(), 2);
        for c in &charts {
            assert_eq!(c.lines.len(), 2, "{}", c.key);
            assert!(c.lines.iter().all(|l| l.key == c.key && !l.xs.is_empty()));
            assert!(!c.ticks.as_ref().unwrap().is_empty(), "relative axes come with labelled ticks");
        }
    }

    #[test]
    fn a_missing_folder_is_a_missing_path_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = add_paths(&dir.path().join("i.sqlite"), vec![PathBuf::from("/no/such/folder")], &mut |_| {}).unwrap_err();
        assert_eq!(e.code, ErrorCode::MissingPath);
        assert!(e.message.contains("/no/such/folder"), "{}", e.message);
    }

    #[test]
    fn a_store_that_cannot_be_read_has_a_coded_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mlflow.db"), "not a database").unwrap();
        let state = AppState::new(dir.path().join("i.sqlite"));
        add_paths(&state.db_path, vec![dir.path().join("mlflow.db")], &mut |_| {}).unwrap();
        let stores = list_stores(&state).unwrap();
        let error = stores[0].error.as_ref().expect("the store says why");
        assert_eq!(error.code, ErrorCode::Database, "{}", error.message);
        assert!(store_warnings(&state, stores[0].id).is_ok());
    }
}
