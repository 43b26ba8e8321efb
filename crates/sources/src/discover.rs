//! Discovery: walk a folder once, at any depth, and ask every reader which stores are
//! rooted in each folder. Trees that cannot hold runs are skipped without being read.

use std::path::{Path, PathBuf};

use crate::model::Warning;
use crate::reader::{Detected, DirView, Reader};

/// Folder names never descended into: version control, package trees, caches of tools.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    "site-packages",
    "dist-packages",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".Trash",
];

/// A store found below one of the paths given to [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundStore {
    /// [`Reader::id`] of the reader that claimed it.
    pub reader: &'static str,
    pub root: PathBuf,
}

/// What [`discover`] found.
#[derive(Debug, Default)]
pub struct Discovery {
    pub stores: Vec<FoundStore>,
    /// Folders that could not be listed (permissions, races with deletion).
    pub warnings: Vec<Warning>,
    /// Number of folders listed.
    pub dirs_visited: u64,
}

/// Why a path given to [`discover`] cannot be searched at all.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Finds every store of every kind at or below `path` (a folder, or a single-file store).
pub fn discover(path: &Path, readers: &[Box<dyn Reader>]) -> Result<Discovery, DiscoverError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DiscoverError::Missing(path.to_path_buf()),
        _ => DiscoverError::Io { path: path.to_path_buf(), source: e },
    })?;
    let path = std::fs::canonicalize(path)
        .map_err(|e| DiscoverError::Io { path: path.to_path_buf(), source: e })?;
    let mut out = Discovery::default();
    if meta.is_file() {
        // A single file: ask the readers about it as if its folder held only it.
        let parent = path.parent().unwrap_or(Path::new("/"));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let files = [name];
        let view = DirView { path: parent, dirs: &[], files: &files };
        for reader in readers {
            for d in reader.detect(&view) {
                if d.root == path {
                    out.stores.push(FoundStore { reader: reader.id(), root: d.root });
                }
            }
        }
        return Ok(out);
    }
    walk(&path, readers, &mut out);
    Ok(out)
}

fn walk(dir: &Path, readers: &[Box<dyn Reader>], out: &mut Discovery) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.warnings.push(Warning {
                file: Some(dir.display().to_string()),
                location: None,
                message: format!("folder skipped: {e}"),
            });
            return;
        }
    };
    out.dirs_visited += 1;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Symlinks are not followed: they create cycles and duplicates (W&B's latest-run).
        match entry.file_type() {
            Ok(t) if t.is_dir() => dirs.push(name),
            Ok(t) if t.is_file() => files.push(name),
            _ => {}
        }
    }
    dirs.sort();
    files.sort();
    if files.iter().any(|f| f == "pyvenv.cfg") {
        return; // a Python virtual environment
    }
    let view = DirView { path: dir, dirs: &dirs, files: &files };
    let mut owned = false;
    for reader in readers {
        for Detected { root, owns_subtree } in reader.detect(&view) {
            owned |= owns_subtree && root == dir;
            if !out.stores.iter().any(|s| s.reader == reader.id() && s.root == root) {
                out.stores.push(FoundStore { reader: reader.id(), root });
            }
        }
    }
    if owned {
        return;
    }
    for name in &dirs {
        if SKIPPED_DIRS.contains(&name.as_str()) {
            continue;
        }
        walk(&dir.join(name), readers, out);
    }
}
