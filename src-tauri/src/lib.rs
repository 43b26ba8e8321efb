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
    /// The reports written this session: the only files the app opens or shows in
    /// their folder (never a path that came from a run).
    pub written: Mutex<Vec<PathBuf>>,
}

impl AppState {
    pub fn new(db_path: PathBuf) -> AppState {
        AppState { db_path, watcher: Mutex::new(None), written: Mutex::new(Vec::new()) }
    }
}

/// Paths given on the command line (`runlens-app PATH...`), added at start-up.
fn paths_from_args() -> Vec<PathBuf> {
    std::env::args_os().skip(1).filter(|a| !a.to_string_lossy().starts_with('-')).map(PathBuf::from).collect()
}

pub fn run() {
    let db_path = runlens_index::default_db_path();
    tauri::Builder::default()
        .manage(AppState::new(db_path.clone()))
        .invoke_handler(commands::handlers::all())
        .setup(move |app| {
            // The start-up scan starts the store watcher when it is done.
            let paths = paths_from_args();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                // First what changed while the app was closed, then the folders given.
                let db = db_path.clone();
                let mut result = live::in_background(handle.clone(), move |progress| commands::scan(&db, progress)).await;
                if result.is_ok() && !paths.is_empty() {
                    result = live::in_background(handle.clone(), move |progress| commands::add_paths(&db_path, paths, progress)).await.map(|_| ());
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
