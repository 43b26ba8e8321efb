//! Runlens desktop app: a thin Tauri 2 shell. The window shows what `runlens-index`
//! holds; commands ([`commands`]) convert, call one core function, convert back, over the
//! one typed wire boundary in [`ipc`]. Nothing here decides anything about run data.

pub mod commands;
pub mod ipc;
mod live;

use std::path::PathBuf;
use std::sync::Mutex;

use runlens_index::watch::StoreWatcher;
use tauri::Manager;

/// State shared by the commands: where the index lives, and the watcher that keeps it
/// live. Each command opens its own connection, so a long add never blocks the table.
pub struct AppState {
    pub db_path: PathBuf,
    pub watcher: Mutex<Option<StoreWatcher>>,
}

/// Paths given on the command line (`runlens-app PATH...`), added at start-up.
fn paths_from_args() -> Vec<PathBuf> {
    std::env::args_os().skip(1).filter(|a| !a.to_string_lossy().starts_with('-')).map(PathBuf::from).collect()
}

pub fn run() {
    let db_path = runlens_index::default_db_path();
    tauri::Builder::default()
        .manage(AppState { db_path: db_path.clone(), watcher: Mutex::new(None) })
        .invoke_handler(tauri::generate_handler![
            commands::list_stores,
            commands::query_runs,
            commands::metric_keys,
            commands::series,
            commands::store_warnings,
            commands::add_paths,
            commands::pick_folder,
        ])
        .setup(move |app| {
            // The start-up scan starts the store watcher when it is done.
            let paths = paths_from_args();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                // First what changed while the app was closed, then the folders given.
                let mut result = commands::scan_in_background(handle.clone(), db_path.clone()).await;
                if result.is_ok() && !paths.is_empty() {
                    result = commands::add_paths_in_background(handle.clone(), db_path, paths).await.map(|_| ());
                }
                if let Err(e) = result {
                    eprintln!("runlens-app: {}", e.message);
                    let _ = tauri::Emitter::emit(&handle, ipc::events::INDEX_ERROR, e);
                }
            });
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_title("Runlens");
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running the Runlens app");
}
