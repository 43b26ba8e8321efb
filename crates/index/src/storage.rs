//! Where the disk went: the size of each store, its experiments and runs, and the largest
//! files of all runs, from what the index knows (the sizes of the files each store lists
//! for its runs and of the store's own files when last read; nothing is walked or
//! stat'ed again). A file is counted once, under the first run (in index order) that
//! lists it, however many runs or listings name it (two runs sharing an artifact folder,
//! a W&B `requirements.txt` that is both a run file and read as provenance). Files
//! inside logs (TensorBoard images) are counted as the log they are in. Folders the user
//! attached to runs are not the stores': they are walked now (at most
//! [`crate::attached::MAX_ATTACHED_FILES`] files each), counted apart (per folder and in
//! each run's `attached`), each file once, and their files are among the largest. Runlens
//! never deletes anything: this only says where to look.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::{Index, IndexError};

/// Bytes and files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub bytes: u64,
    pub files: u64,
}

impl Usage {
    fn add(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.files += 1;
    }
}

/// One store's disk use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUsage {
    pub store_id: i64,
    pub root: String,
    pub source: String,
    pub runs: u64,
    /// Everything: the runs' files and the store's own (logs, metadata, databases).
    pub total: Usage,
    /// The files the store lists for its runs.
    pub artifacts: Usage,
    /// Per experiment (`None`: runs without one), the largest first: its runs' files.
    pub experiments: Vec<(Option<String>, Usage)>,
}

/// One run's disk use: its listed files and the store files that are its own, and apart
/// the files of the folders attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunUsage {
    pub run_id: String,
    pub name: String,
    pub store_id: i64,
    pub experiment: Option<String>,
    pub usage: Usage,
    pub attached: Usage,
}

/// One folder attached to a run, and what its files take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedUsage {
    pub run_id: String,
    pub run_name: String,
    pub folder: String,
    /// Whether it is there now (a folder that is not counts nothing).
    pub present: bool,
    pub usage: Usage,
}

/// One of the largest files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeFile {
    pub run_id: String,
    pub run_name: String,
    /// As the run lists it (relative to its artifact folder, or to `attached`).
    pub path: String,
    pub size: u64,
    /// The attached folder it is in, if it is not the store's.
    pub attached: Option<String>,
}

/// The disk use of every store, the `top` largest runs and the `top` largest files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub stores: Vec<StoreUsage>,
    pub runs: Vec<RunUsage>,
    pub files: Vec<LargeFile>,
    /// Every folder attached to a run of the index, the largest first.
    pub attached: Vec<AttachedUsage>,
}

impl Index {
    /// Where the disk went (see the module docs), the `top` largest runs and files.
    pub fn storage(&self, top: usize) -> Result<Storage, IndexError> {
        let mut stores = Vec::new();
        let mut runs = Vec::new();
        for store in self.stores()? {
            let (usage, store_runs) = self.store_usage(store.id, &store.root, &store.source)?;
            stores.push(StoreUsage { runs: store.runs, ..usage });
            runs.extend(store_runs);
        }
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.name, a.path, a.size FROM artifacts a JOIN runs r ON r.rid = a.rid
             WHERE a.origin IS NULL ORDER BY a.size DESC, r.name, a.path LIMIT ?1",
        )?;
        let mut files: Vec<LargeFile> = stmt
            .query_map([top as i64], |r| {
                Ok(LargeFile { run_id: r.get(0)?, run_name: r.get(1)?, path: r.get(2)?, size: r.get::<_, i64>(3)? as u64, attached: None })
            })?
            .collect::<Result<_, _>>()?;
        let attached = self.attached_usage(&mut runs, &mut files)?;
        let total = |r: &RunUsage| r.usage.bytes + r.attached.bytes;
        runs.sort_by(|a, b| total(b).cmp(&total(a)).then_with(|| a.name.cmp(&b.name)));
        runs.truncate(top);
        files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.run_name.cmp(&b.run_name)).then_with(|| a.path.cmp(&b.path)));
        files.truncate(top);
        Ok(Storage { stores, runs, files, attached })
    }

    /// Walks the folders attached to the runs (earliest attached first): each file counted
    /// once by its place on disk, added to its run's `attached` and offered to `files`.
    fn attached_usage(&self, runs: &mut [RunUsage], files: &mut Vec<LargeFile>) -> Result<Vec<AttachedUsage>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.name, u.folder FROM user_attached u JOIN stores s ON s.source = u.source
             JOIN runs r ON r.store_id = s.id AND r.identity = u.identity ORDER BY u.added_ms, u.folder, r.id",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?.collect::<Result<Vec<_>, _>>()?;
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for (run_id, run_name, folder) in rows {
            let present = Path::new(&folder).is_dir();
            let mut usage = Usage::default();
            if present {
                let (walked, _) = runlens_sources::util::walk_files_upto(Path::new(&folder), crate::attached::MAX_ATTACHED_FILES);
                for file in walked {
                    if !seen.insert(file.path.to_string_lossy().into_owned()) {
                        continue;
                    }
                    usage.add(file.mark.size);
                    files.push(LargeFile {
                        run_id: run_id.clone(),
                        run_name: run_name.clone(),
                        path: file.rel,
                        size: file.mark.size,
                        attached: Some(folder.clone()),
                    });
                }
            }
            if let Some(run) = runs.iter_mut().find(|r| r.run_id == run_id) {
                run.attached.bytes += usage.bytes;
                run.attached.files += usage.files;
            }
            out.push(AttachedUsage { run_id, run_name, folder, present, usage });
        }
        out.sort_by(|a, b| b.usage.bytes.cmp(&a.usage.bytes).then_with(|| a.folder.cmp(&b.folder)));
        Ok(out)
    }

    fn store_usage(&self, store_id: i64, root: &str, source: &str) -> Result<(StoreUsage, Vec<RunUsage>), IndexError> {
        let folder = crate::artifacts::store_folder(Path::new(root));
        let mut seen: HashSet<String> = HashSet::new();
        let mut total = Usage::default();
        let mut artifacts = Usage::default();
        let mut runs: BTreeMap<i64, RunUsage> = BTreeMap::new();
        let mut by_native: HashMap<String, i64> = HashMap::new();
        let mut dirs: HashMap<i64, String> = HashMap::new();
        let mut stmt = self.conn.prepare_cached("SELECT rid, id, name, experiment, native_id, artifact_dir FROM runs WHERE store_id = ?1")?;
        let rows = stmt.query_map([store_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?))
        })?;
        for row in rows {
            let (rid, run_id, name, experiment, native, dir) = row?;
            runs.insert(rid, RunUsage { run_id, name, store_id, experiment, usage: Usage::default(), attached: Usage::default() });
            by_native.insert(native, rid);
            dirs.insert(rid, dir.unwrap_or_default());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.rid, a.path, a.size FROM artifacts a JOIN runs r ON r.rid = a.rid
             WHERE r.store_id = ?1 AND a.origin IS NULL ORDER BY a.rid, a.path",
        )?;
        let rows = stmt.query_map([store_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)? as u64)))?;
        for row in rows {
            let (rid, path, size) = row?;
            // A run a scan added since the runs were read waits for the next look.
            let (Some(run), Some(dir)) = (runs.get_mut(&rid), dirs.get(&rid)) else { continue };
            if seen.insert(format!("{dir}/{path}")) {
                total.add(size);
                artifacts.add(size);
                run.usage.add(size);
            }
        }
        // The store's own files as last read: a database's per-run marks (`db#run`) and
        // folder listings (`dir/`) are marks, not files.
        let mut stmt = self.conn.prepare_cached("SELECT path, owner, size FROM files WHERE store_id = ?1 ORDER BY path")?;
        let rows = stmt.query_map([store_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)? as u64)))?;
        for row in rows {
            let (path, owner, size) = row?;
            if path.contains('#') || path.ends_with('/') || !seen.insert(folder.join(&path).to_string_lossy().into_owned()) {
                continue;
            }
            total.add(size);
            if let Some(run) = owner.strip_prefix("r:").and_then(|native| by_native.get(native)).and_then(|rid| runs.get_mut(rid)) {
                run.usage.add(size);
            }
        }
        let mut experiments: BTreeMap<Option<String>, Usage> = BTreeMap::new();
        for run in runs.values() {
            let e = experiments.entry(run.experiment.clone()).or_default();
            e.bytes += run.usage.bytes;
            e.files += run.usage.files;
        }
        let mut experiments: Vec<(Option<String>, Usage)> = experiments.into_iter().collect();
        experiments.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then_with(|| a.0.cmp(&b.0)));
        let usage = StoreUsage { store_id, root: root.to_string(), source: source.to_string(), runs: 0, total, artifacts, experiments };
        Ok((usage, runs.into_values().collect()))
    }
}
