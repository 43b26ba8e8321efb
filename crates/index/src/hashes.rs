//! Content hashes of runs' files (BLAKE3), so the browser can say "the same file as in run
//! X" and `artifacts.hash = '…'` finds every run that produced or used a model file.
//! Computed lazily — a file's when it is previewed or compared, every listed file's the
//! first time a filter asks for hashes — and kept in `file_hashes`, keyed by the file's
//! path as the index knows it (the run's artifact folder joined with the listed path),
//! valid while its size and modification time are those it was hashed at. Files are read
//! only through [`crate::artifacts`]'s containment (a refused path has no hash); files
//! inside logs are hashed from their extracted bytes and not kept.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use crate::{Index, IndexError};

/// A run's file that holds the same bytes as another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameFile {
    pub run_id: String,
    pub run_name: String,
    pub path: String,
}

/// Size and modification time (ns) of a file, as its hash is kept with.
fn stamp(real: &Path) -> Option<(i64, i64)> {
    let meta = std::fs::metadata(real).ok()?;
    let mtime = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as i64;
    Some((meta.len() as i64, mtime))
}

/// The BLAKE3 hash of a file, read in a stream.
pub(crate) fn hash_file(real: &Path) -> std::io::Result<String> {
    let mut file = runlens_sources::util::open_regular(real)?;
    let mut hash = blake3::Hasher::new();
    std::io::copy(&mut file, &mut hash)?;
    Ok(hash.finalize().to_hex().to_string())
}

impl Index {
    /// The key a file the store lists for run `run_id` at `path` is kept under: its
    /// artifact folder and path (what `artifacts.hash` filters join on). `None`: the
    /// store does not list it (a file of an attached folder).
    fn hash_key(&self, run_id: &str, path: &str) -> Result<Option<String>, IndexError> {
        let dir: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT r.artifact_dir FROM artifacts a JOIN runs r ON r.rid = a.rid WHERE r.id = ?1 AND a.path = ?2",
                params![run_id, path],
                |r| r.get(0),
            )
            .optional()?;
        Ok(dir.flatten().map(|d| format!("{d}/{path}")))
    }

    /// The BLAKE3 hash of artifact `path` of run `run_id` (kept for the next time, see
    /// the module docs); a path the run does not list or may not read is refused.
    pub fn file_hash(&self, run_id: &str, path: &str) -> Result<String, IndexError> {
        let real = match self.locate(run_id, path)? {
            crate::artifacts::Located::File(real) => real,
            crate::artifacts::Located::InLog { log, offset, reader } => {
                let bytes = crate::artifacts::extract(path, &log, offset, &reader)?;
                return Ok(blake3::hash(&bytes).to_hex().to_string());
            }
        };
        let refused = |e: std::io::Error| IndexError::Artifact { path: path.to_string(), why: format!("cannot be read: {e}") };
        let Some((size, mtime)) = stamp(&real) else {
            return Err(refused(std::io::Error::other("it is gone")));
        };
        // Attached files are not in the run's artifact folder: keyed by where they are.
        let key = self.hash_key(run_id, path)?.unwrap_or_else(|| real.to_string_lossy().into_owned());
        let kept: Option<String> = self
            .conn
            .query_row("SELECT blake3 FROM file_hashes WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3", params![key, size, mtime], |r| r.get(0))
            .optional()?;
        if let Some(hash) = kept {
            return Ok(hash);
        }
        let hash = hash_file(&real).map_err(refused)?;
        self.conn
            .execute("INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, blake3) VALUES (?1, ?2, ?3, ?4)", params![key, size, mtime, hash])?;
        Ok(hash)
    }

    /// The other runs' files with the same bytes as artifact `path` of run `run_id`:
    /// only files of the same size are hashed to find them.
    pub fn same_files(&self, run_id: &str, path: &str) -> Result<Vec<SameFile>, IndexError> {
        let size: Option<i64> = self
            .conn
            .query_row(
                "SELECT a.size FROM artifacts a JOIN runs r ON r.rid = a.rid WHERE r.id = ?1 AND a.path = ?2 AND a.origin IS NULL",
                params![run_id, path],
                |r| r.get(0),
            )
            .optional()?;
        let Some(size) = size else { return Ok(Vec::new()) };
        let hash = self.file_hash(run_id, path)?;
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.name, a.path FROM artifacts a JOIN runs r ON r.rid = a.rid
             WHERE a.size = ?1 AND a.origin IS NULL AND NOT (r.id = ?2 AND a.path = ?3) ORDER BY r.name, a.path",
        )?;
        let candidates: Vec<SameFile> = stmt
            .query_map(params![size, run_id, path], |r| Ok(SameFile { run_id: r.get(0)?, run_name: r.get(1)?, path: r.get(2)? }))?
            .collect::<Result<_, _>>()?;
        // A candidate that cannot be read is not the same file as far as anyone can tell.
        Ok(candidates.into_iter().filter(|c| self.file_hash(&c.run_id, &c.path).is_ok_and(|h| h == hash)).collect())
    }

    /// Hashes every listed file (of its own, not inside a log) that has no kept hash for
    /// its current size, so `artifacts.hash` filters answer for all runs. Files that
    /// cannot be read are left without one.
    pub fn hash_all_artifacts(&self) -> Result<u64, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, a.path FROM artifacts a JOIN runs r ON r.rid = a.rid
             LEFT JOIN file_hashes h ON h.path = r.artifact_dir || '/' || a.path AND h.size = a.size
             WHERE a.origin IS NULL AND r.artifact_dir IS NOT NULL AND h.path IS NULL",
        )?;
        let missing: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut hashed = 0;
        for (run, path) in missing {
            if self.file_hash(&run, &path).is_ok() {
                hashed += 1;
            }
        }
        Ok(hashed)
    }
}
