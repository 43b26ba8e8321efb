//! Folders the user attached to a run: an output folder next to the run (samples, plots,
//! predictions) that its tracker did not record, shown as more of the run's files. An
//! attachment is user data keyed by the run's (source, identity), like annotations, so it
//! survives rescans and rebuilds of the cache and follows a moved store; the folder is
//! never copied, written or watched. Its files are listed by walking it when the run's
//! files are asked for (at most [`MAX_ATTACHED_FILES`] a folder), under their paths
//! inside it, so the same output layout lines up across runs (`samples/step_{N}.png`). A
//! path the store already lists, or an earlier-attached folder holds, stays theirs. A
//! file of an attached folder is read only if, canonical (symlinks resolved), it lies
//! inside that folder ([`crate::artifacts`] does the reading).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::params;

use crate::query::RunFile;
use crate::{Index, IndexError, now_ms};

/// The most files of one attached folder that a listing walks.
pub const MAX_ATTACHED_FILES: usize = 100_000;

/// A folder attached to a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFolder {
    /// Canonical, as it was when attached.
    pub folder: String,
    /// Whether it is there now (an unmounted disk or a deleted folder lists nothing).
    pub present: bool,
}

/// What attaching a folder found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub folder: String,
    /// Its files the run now lists.
    pub files: usize,
    /// Its files whose path the run already had (from its store or a folder attached
    /// before): those stay the earlier ones.
    pub shadowed: usize,
    /// It holds more than [`MAX_ATTACHED_FILES`] files: the listing stops there.
    pub truncated: bool,
}

fn refused(folder: &Path, why: impl Into<String>) -> IndexError {
    IndexError::Attach { path: folder.display().to_string(), why: why.into() }
}

impl Index {
    /// Attaches `folder` to run `run_id` (attaching it again changes nothing) and says
    /// what the run now lists of it.
    pub fn attach_folder(&self, run_id: &str, folder: &Path) -> Result<Attached, IndexError> {
        let real = std::fs::canonicalize(folder).map_err(|e| refused(folder, format!("cannot be attached: {e}")))?;
        if !real.is_dir() {
            return Err(refused(folder, "cannot be attached: it is not a folder"));
        }
        let (source, identity) = self.annotation_key(run_id)?;
        let shown = real.to_string_lossy().into_owned();
        self.conn.execute(
            "INSERT OR IGNORE INTO user_attached (source, identity, folder, added_ms) VALUES (?1, ?2, ?3, ?4)",
            params![source, identity, shown, now_ms()],
        )?;
        let mut files = self.store_files(run_id)?;
        let walks = self.add_attached_files(run_id, &mut files)?;
        let (walked, truncated) = walks.into_iter().find(|w| w.0 == shown).map_or((0, false), |w| (w.1, w.2));
        let listed = files.iter().filter(|f| f.attached.as_deref() == Some(shown.as_str())).count();
        Ok(Attached { files: listed, shadowed: walked - listed, truncated, folder: shown })
    }

    /// Detaches `folder` (as attached, or any path that leads to it) from run `run_id`.
    pub fn detach_folder(&self, run_id: &str, folder: &Path) -> Result<(), IndexError> {
        let (source, identity) = self.annotation_key(run_id)?;
        let given = folder.to_string_lossy().into_owned();
        let real = std::fs::canonicalize(folder).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| given.clone());
        let removed = self.conn.execute(
            "DELETE FROM user_attached WHERE source = ?1 AND identity = ?2 AND folder IN (?3, ?4)",
            params![source, identity, given, real],
        )?;
        if removed == 0 {
            return Err(refused(folder, "is not attached to this run"));
        }
        Ok(())
    }

    /// The folders attached to run `run_id`, the earliest first.
    pub fn attached_folders(&self, run_id: &str) -> Result<Vec<AttachedFolder>, IndexError> {
        let (source, identity) = self.annotation_key(run_id)?;
        let mut stmt = self.conn.prepare_cached("SELECT folder FROM user_attached WHERE source = ?1 AND identity = ?2 ORDER BY added_ms, folder")?;
        let folders = stmt.query_map([source, identity], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(folders.into_iter().map(|folder| AttachedFolder { present: Path::new(&folder).is_dir(), folder }).collect())
    }

    /// Adds the files of the folders attached to run `run_id` to its store's `files`
    /// (a path already there stays), then sorts them by path. Says, per folder walked,
    /// how many files it holds and whether the walk stopped at [`MAX_ATTACHED_FILES`].
    pub(crate) fn add_attached_files(&self, run_id: &str, files: &mut Vec<RunFile>) -> Result<Vec<(String, usize, bool)>, IndexError> {
        let folders = self.attached_folders(run_id)?;
        let mut walks = Vec::new();
        if folders.is_empty() {
            return Ok(walks);
        }
        let mut taken: HashSet<String> = files.iter().map(|f| f.path.clone()).collect();
        for folder in folders.into_iter().filter(|f| f.present) {
            let (walked, truncated) = runlens_sources::util::walk_files_upto(Path::new(&folder.folder), MAX_ATTACHED_FILES);
            walks.push((folder.folder.clone(), walked.len(), truncated));
            for file in walked {
                if taken.insert(file.rel.clone()) {
                    files.push(RunFile {
                        kind: crate::artifacts::file_type(&file.rel),
                        path: file.rel,
                        size: file.mark.size,
                        origin: None,
                        attached: Some(folder.folder.clone()),
                        modified_ms: Some(file.mark.mtime_ns.div_euclid(1_000_000)),
                    });
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(walks)
    }

    /// Where `inside` (a relative path without `..`) of the folders attached to run
    /// `run_id` is, canonical: in the earliest folder that has it, if it stays inside
    /// that folder. `Ok(None)`: no attached folder has it.
    pub(crate) fn attached_file(&self, run_id: &str, inside: &Path) -> Result<Option<Result<PathBuf, String>>, IndexError> {
        for folder in self.attached_folders(run_id)?.into_iter().filter(|f| f.present) {
            let root = PathBuf::from(&folder.folder);
            let candidate = root.join(inside);
            if candidate.symlink_metadata().is_ok() {
                return Ok(Some(crate::artifacts::contained(&candidate, &[root]).map_err(|_| "leads outside the folder attached to the run".into())));
            }
        }
        Ok(None)
    }
}
