//! Tauri commands: each unpacks its arguments, calls one function of a core crate and
//! converts the result to the wire types of [`crate::ipc`]. No logic lives here.

use std::path::PathBuf;

use runlens_index::{Index, IndexError, Progress, ScanReport};
use tauri::{AppHandle, Emitter, State};

use crate::ipc::{events, AddOutcome, IndexProgress, IpcError, MetricKey, RunsPage, RunsRequest, SeriesData, SeriesQuery, StoreView, WarningView};
use crate::AppState;

fn open(state: &AppState) -> Result<Index, IpcError> {
    Ok(Index::open(&state.db_path)?)
}

#[tauri::command]
pub fn list_stores(state: State<'_, AppState>) -> Result<Vec<StoreView>, IpcError> {
    Ok(open(&state)?.stores()?.into_iter().map(Into::into).collect())
}

/// One page of the runs table; a malformed filter or sort key is a `bad_query` error.
#[tauri::command]
pub fn query_runs(state: State<'_, AppState>, request: RunsRequest) -> Result<RunsPage, IpcError> {
    let (runs, total) = open(&state)?.runs_page(&request.into())?;
    Ok(RunsPage { total, runs: runs.into_iter().map(Into::into).collect() })
}

/// Metric keys of the selected runs, the most shared first.
#[tauri::command]
pub fn metric_keys(state: State<'_, AppState>, run_ids: Vec<String>) -> Result<Vec<MetricKey>, IpcError> {
    Ok(open(&state)?.metric_keys(&run_ids)?.into_iter().map(|(key, runs)| MetricKey { key, runs }).collect())
}

/// One chart line: the metric over the visible range, reduced for the screen.
#[tauri::command]
pub fn series(state: State<'_, AppState>, query: SeriesQuery) -> Result<Option<SeriesData>, IpcError> {
    let request = query.to_request()?;
    Ok(open(&state)?.series_view(&request)?.map(|v| SeriesData::new(&query, request.x, v)))
}

#[tauri::command]
pub fn store_warnings(state: State<'_, AppState>, store_id: i64) -> Result<Vec<WarningView>, IpcError> {
    Ok(open(&state)?.warnings(Some(store_id))?.into_iter().map(Into::into).collect())
}

/// Finds and indexes every store below the given paths. The Open dialog, a drop on the
/// window and paths on the command line all end here.
#[tauri::command]
pub async fn add_paths(app: AppHandle, state: State<'_, AppState>, paths: Vec<String>) -> Result<AddOutcome, IpcError> {
    add_paths_in_background(app, state.db_path.clone(), paths.into_iter().map(PathBuf::from).collect()).await
}

/// Opens the native folder picker; `None` when the user cancels.
#[tauri::command]
pub async fn pick_folder() -> Option<String> {
    rfd::AsyncFileDialog::new()
        .set_title("Add a folder with run stores")
        .pick_folder()
        .await
        .map(|f| f.path().to_string_lossy().into_owned())
}

/// Rescans every store (and looks for new ones in the added folders) in the background,
/// then announces that the index changed. Run at start-up, so what changed while the app
/// was closed (or a cache rebuilt by an update) shows up.
pub async fn scan_in_background(app: AppHandle, db: PathBuf) -> Result<(), IpcError> {
    index_in_background(app, db, |index, progress| index.scan(progress)).await.map(|_| ())
}

/// Runs [`Index::add`] in the background, then announces that the index changed.
pub async fn add_paths_in_background(app: AppHandle, db: PathBuf, paths: Vec<PathBuf>) -> Result<AddOutcome, IpcError> {
    Ok(index_in_background(app, db, move |index, progress| index.add(&paths, progress)).await?.into())
}

/// Runs an indexing job on a blocking thread with progress events, then watches the
/// (possibly new) stores and announces that the index changed.
async fn index_in_background(
    app: AppHandle,
    db: PathBuf,
    job: impl FnOnce(&mut Index, &mut dyn FnMut(Progress)) -> Result<ScanReport, IndexError> + Send + 'static,
) -> Result<ScanReport, IpcError> {
    let emitter = app.clone();
    let result = tauri::async_runtime::spawn_blocking(move || {
        let mut current = String::new();
        let mut index = Index::open(&db)?;
        job(&mut index, &mut |p| {
            let _ = emitter.emit(events::INDEX_PROGRESS, IndexProgress::from_progress(p, &mut current));
        })
    })
    .await
    .map_err(IpcError::internal)?;
    crate::live::watch_stores(&app);
    let _ = app.emit(events::INDEX_CHANGED, ());
    Ok(result?)
}
