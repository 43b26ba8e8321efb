//! Scans of one index take turns, store by store, across processes (the app's watcher and
//! a `runlens scan` at once). Two scans of one store reading the same marks would both
//! append the points written since, so a scan holds the index's scan lock from reading
//! a store's marks until its last batch is committed. The lock is an exclusive `flock`
//! on a file beside the index: the kernel drops it when the process dies, so a killed
//! scan never blocks the next one.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::IndexError;

/// The turn of one scan; the next one may start when this is dropped.
pub(crate) struct ScanTurn {
    _file: File,
}

/// The lock file of the index at `db`.
pub(crate) fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-scan.lock");
    PathBuf::from(name)
}

impl ScanTurn {
    /// Waits until no other scan of the index at `db` is reading a store.
    pub(crate) fn wait(db: &Path) -> Result<ScanTurn, IndexError> {
        let path = lock_path(db);
        let lock_error = |source| IndexError::Lock { path: path.clone(), source };
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(lock_error)?;
        file.lock().map_err(lock_error)?;
        Ok(ScanTurn { _file: file })
    }
}
