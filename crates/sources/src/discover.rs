//! Discovery: walk a folder once, at any depth, and ask every reader which stores are
//! rooted in each folder. Trees that cannot hold runs are skipped without being read.

use std::path::{Path, PathBuf};

use crate::model::Warning;
use crate::reader::{Detected, DirView, Reader};

/// True for folder names never descended into: version control, package trees, caches
/// of tools. Readers that walk their own store use it too.
pub fn skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name)
}

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
    discover_with(path, readers, &[])
}

/// [`discover`], knowing the stores found before: a reader does not look again inside
/// its own known stores (it finds their runs itself when it scans them), and known
/// stores that own their subtree are not entered. So a rescan reads no file content.
pub fn discover_with(path: &Path, readers: &[Box<dyn Reader>], known: &[FoundStore]) -> Result<Discovery, DiscoverError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DiscoverError::Missing(path.to_path_buf()),
        _ => DiscoverError::Io { path: path.to_path_buf(), source: e },
    })?;
    let path = std::fs::canonicalize(path).map_err(|e| DiscoverError::Io { path: path.to_path_buf(), source: e })?;
    let mut out = Discovery::default();
    let mut lone_runs: Vec<(&'static str, PathBuf)> = Vec::new();
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
    walk(&path, readers, known, &mut out, &mut lone_runs);
    group_lone_runs(&path, lone_runs, &mut out);
    Ok(out)
}

/// One store per reader for its lone runs, rooted at the deepest folder holding the
/// parents of all of them, but never above `searched`.
fn group_lone_runs(searched: &Path, lone_runs: Vec<(&'static str, PathBuf)>, out: &mut Discovery) {
    let mut readers: Vec<&'static str> = lone_runs.iter().map(|(r, _)| *r).collect();
    readers.dedup();
    for reader in readers {
        let mut root: Option<PathBuf> = None;
        for (_, run) in lone_runs.iter().filter(|(r, _)| *r == reader) {
            let parent = run.parent().filter(|p| p.starts_with(searched)).unwrap_or(run);
            root = Some(match root {
                None => parent.to_path_buf(),
                Some(r) => common_ancestor(&r, parent),
            });
        }
        if let Some(root) = root
            && !out.stores.iter().any(|s| s.reader == reader && s.root == root)
        {
            out.stores.push(FoundStore { reader, root });
        }
    }
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components().zip(b.components()).take_while(|(x, y)| x == y).map(|(x, _)| x).collect()
}

fn walk(dir: &Path, readers: &[Box<dyn Reader>], known: &[FoundStore], out: &mut Discovery, lone_runs: &mut Vec<(&'static str, PathBuf)>) {
    let (dirs, files) = match crate::util::list_dir(dir) {
        Ok(listing) => listing,
        Err(e) => {
            out.warnings.push(Warning { file: Some(dir.display().to_string()), location: None, message: format!("folder skipped: {e}") });
            return;
        }
    };
    out.dirs_visited += 1;
    if files.iter().any(|f| f == "pyvenv.cfg") {
        return; // a Python virtual environment
    }
    let mut owned = false;
    for reader in readers {
        let mine: Vec<&FoundStore> = known.iter().filter(|k| k.reader == reader.id()).collect();
        if let Some(store) = mine.iter().find(|k| dir.starts_with(&k.root)) {
            // This reader already has a store here and finds its runs when scanning it.
            owned |= reader.owns_subtree() && store.root == dir;
            continue;
        }
        // Single-file stores it already knows (databases) are not opened again.
        let unknown_files: Vec<String>;
        let files = if mine.is_empty() {
            &files
        } else {
            unknown_files = files.iter().filter(|f| !mine.iter().any(|k| k.root == dir.join(f))).cloned().collect();
            &unknown_files
        };
        let view = DirView { path: dir, dirs: &dirs, files };
        for Detected { root, lone_run } in reader.detect(&view) {
            owned |= reader.owns_subtree() && !lone_run && root == dir;
            if lone_run {
                lone_runs.push((reader.id(), root));
            } else if !out.stores.iter().any(|s| s.reader == reader.id() && s.root == root) {
                out.stores.push(FoundStore { reader: reader.id(), root });
            }
        }
    }
    if owned {
        return;
    }
    for name in &dirs {
        if skipped_dir(name) {
            continue;
        }
        walk(&dir.join(name), readers, known, out, lone_runs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::ScanContext;

    /// Claims every folder holding a file named `run.marker` as a lone run.
    struct Marker;
    impl Reader for Marker {
        fn id(&self) -> &'static str {
            "marker"
        }
        fn source(&self) -> &'static str {
            "marker"
        }
        fn detect(&self, dir: &DirView) -> Vec<Detected> {
            if dir.has_file("run.marker") { vec![Detected::lone_run(dir.path.to_path_buf())] } else { Vec::new() }
        }
        fn scan(&self, _: &ScanContext) -> Result<(), crate::ReadError> {
            Ok(())
        }
    }

    #[test]
    fn lone_runs_group_at_the_common_ancestor_of_their_parents() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().canonicalize().unwrap();
        for run in ["logs/a/x", "logs/b", "logs/b/c"] {
            std::fs::create_dir_all(top.join(run)).unwrap();
            std::fs::write(top.join(run).join("run.marker"), "").unwrap();
        }
        std::fs::create_dir_all(top.join("node_modules/logs/z")).unwrap();
        std::fs::write(top.join("node_modules/logs/z/run.marker"), "").unwrap();
        let readers: Vec<Box<dyn Reader>> = vec![Box::new(Marker)];
        let found = discover(&top, &readers).unwrap();
        assert_eq!(found.stores, vec![FoundStore { reader: "marker", root: top.join("logs") }]);
        // A lone run given directly is its own store root.
        let found = discover(&top.join("logs/b/c"), &readers).unwrap();
        assert_eq!(found.stores, vec![FoundStore { reader: "marker", root: top.join("logs/b/c") }]);
    }
}
