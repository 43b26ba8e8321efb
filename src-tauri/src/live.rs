//! Live updates: indexing in the background with progress events, and the index's store
//! watcher, rescanning changed stores and telling the UI.

use runlens_index::Index;
use runlens_index::watch::{StoreWatcher, WatchConfig};
use tauri::{AppHandle, Emitter, Manager};

use crate::AppState;
use crate::ipc::{IndexProgress, IpcError, events};

/// Runs an indexing job (a command body) on a blocking thread, sending its progress as
/// events; then watches the (possibly new) stores and announces that the index changed.
pub async fn in_background<T: Send + 'static>(
    app: AppHandle,
    job: impl FnOnce(&mut dyn FnMut(IndexProgress)) -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    let emitter = app.clone();
    let result = tauri::async_runtime::spawn_blocking(move || {
        job(&mut |p| {
            let _ = emitter.emit(events::INDEX_PROGRESS, p);
        })
    })
    .await
    .map_err(IpcError::internal)?;
    watch_stores(&app);
    let _ = app.emit(events::INDEX_CHANGED, ());
    result
}

/// (Re)starts watching every registered store. Called at start-up and after each add.
pub fn watch_stores(app: &AppHandle) {
    let state = app.state::<AppState>();
    let db = state.db_path.clone();
    let stores = match Index::open(&db).and_then(|i| i.stores()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("runlens-app: cannot watch stores: {e}");
            return;
        }
    };
    let handle = app.clone();
    let watcher = StoreWatcher::start(&stores, WatchConfig::default(), move |ids| {
        let changed = Index::open(&db).and_then(|mut index| index.rescan(&ids, &mut |_| {})).map(|reports| reports.iter().any(|r| r.stats.changed()));
        match changed {
            Ok(true) => {
                let _ = handle.emit(events::INDEX_CHANGED, ());
            }
            Ok(false) => {}
            Err(e) => eprintln!("runlens-app: rescan failed: {e}"),
        }
    });
    if let Ok(mut slot) = state.watcher.lock() {
        *slot = Some(watcher);
    }
}
