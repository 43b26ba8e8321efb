//! Ingest: runs a reader on its own thread and applies its updates to the index in
//! batched transactions. File marks are committed in the same transaction as the data
//! read from those files, so a kill at any point leaves an index that opens and resumes:
//! whatever was not committed is simply read again by the next scan.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use runlens_sources::{
    ExperimentUpdate, FileMark, Point, ReadError, Reader, RunInfo, RunUpdate, ScanContext, SeriesMode, SeriesUpdate, Update, Warning,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::series::{self, CHUNK_POINTS, Summary, damaged, load_points, nan_if_null};
use crate::{IndexError, run_id};

/// Commit at least this often, so other readers of the index see progress and a writer
/// never holds the lock for long.
const COMMIT_EVERY: Duration = Duration::from_millis(250);
/// ... or after this many points.
const COMMIT_POINTS: usize = 500_000;

/// Points sent by a reader and not yet written, at most (about 48 MB of points): a reader
/// that produces faster than the index writes waits, so memory stays bounded however big
/// the updates (the channel alone bounds their number, not their size).
const IN_FLIGHT_POINTS: usize = 2_000_000;

/// The points between a reader and the writer: readers wait while too many are in flight.
struct InFlight {
    /// Points in flight, and whether the writer stopped (then nobody waits any more).
    state: std::sync::Mutex<(usize, bool)>,
    drained: std::sync::Condvar,
}

impl InFlight {
    fn new() -> InFlight {
        InFlight { state: std::sync::Mutex::new((0, false)), drained: std::sync::Condvar::new() }
    }

    /// Waits until `n` more points fit (an update larger than the budget waits for an empty
    /// pipe, then goes alone).
    fn acquire(&self, n: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !state.1 && state.0 > 0 && state.0 + n > IN_FLIGHT_POINTS {
            state = self.drained.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.0 += n;
    }

    fn release(&self, n: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = state.0.saturating_sub(n);
        self.drained.notify_all();
    }

    /// The writer is gone: readers never wait again.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.drained.notify_all();
    }
}

fn points_of(update: &Update) -> usize {
    match update {
        Update::Run(r) => r.series.iter().map(|s| s.points.len()).sum(),
        _ => 0,
    }
}

/// What one scan of one store did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub runs_new: u64,
    pub runs_updated: u64,
    pub runs_removed: u64,
    pub points_added: u64,
    /// The reader found the whole store unchanged and read no content.
    pub unchanged: bool,
    /// Why the store could not be read at all (its cached runs are kept).
    pub error: Option<String>,
}

impl ScanStats {
    /// Did the scan change anything in the index?
    pub fn changed(&self) -> bool {
        self.runs_new + self.runs_updated + self.runs_removed + self.points_added > 0
    }
}

/// Progress of reading one store: `done` of `total` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadProgress {
    pub done: u64,
    pub total: u64,
}

/// Scans one registered store into the index.
pub(crate) fn scan_store(
    conn: &Connection,
    store_id: i64,
    reader: &dyn Reader,
    root: &str,
    location: &runlens_sources::Location,
    allowed: &[std::path::PathBuf],
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<ScanStats, IndexError> {
    let previous = load_marks(conn, store_id)?;
    let (tx, rx) = sync_channel::<Update>(256);
    let mut writer = StoreWriter::new(conn, store_id, reader.id(), root);
    let root_path = std::path::Path::new(root);
    let in_flight = InFlight::new();
    let result: Result<Result<(), ReadError>, IndexError> = std::thread::scope(|s| {
        let previous = &previous;
        let in_flight = &in_flight;
        // Owned here: an early return drops it, so a reader blocked on a full channel
        // wakes up and the scope can join it.
        let rx = rx;
        // Closed whatever happens to the writer, so no reader waits on it forever.
        struct Unblock<'a>(&'a InFlight);
        impl Drop for Unblock<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _unblock = Unblock(in_flight);
        let handle = s.spawn(move || {
            let sink = move |u: Update| {
                in_flight.acquire(points_of(&u));
                let _ = tx.send(u);
            };
            let ctx = match location {
                runlens_sources::Location::Path(path) => ScanContext::new(path, previous, &sink),
                runlens_sources::Location::Url(url) => ScanContext::for_url(url, previous, &sink),
            }
            .with_allowed(allowed);
            reader.scan(&ctx)
        });
        writer.begin()?;
        let mut last_commit = Instant::now();
        for update in rx.iter() {
            if let Update::Progress { done, total } = update {
                progress(ReadProgress { done, total });
                continue;
            }
            let points = points_of(&update);
            writer.apply(update)?;
            in_flight.release(points);
            if last_commit.elapsed() > COMMIT_EVERY || writer.pending_points > COMMIT_POINTS {
                writer.commit()?;
                writer.begin()?;
                last_commit = Instant::now();
            }
        }
        let read = match handle.join() {
            Ok(r) => r,
            Err(_) => Err(ReadError::NotAStore {
                path: root_path.to_path_buf(),
                kind: reader.id(),
                reason: "the reader crashed (a bug in Runlens; please report it)".into(),
            }),
        };
        Ok(read)
    });
    let read = match result {
        Ok(read) => read,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    let mut error_kind = None;
    match read {
        Ok(()) => writer.finish()?,
        Err(e) => {
            writer.stats.error = Some(e.to_string());
            error_kind = Some(crate::kinds::ErrorKind::of_read_error(&e).code());
            writer.commit()?;
        }
    }
    conn.execute(
        "UPDATE stores SET scanned_ms = ?1, error = ?2, error_kind = ?3 WHERE id = ?4",
        params![crate::now_ms(), writer.stats.error, error_kind, store_id],
    )?;
    Ok(writer.stats)
}

fn load_marks(conn: &Connection, store_id: i64) -> rusqlite::Result<HashMap<String, FileMark>> {
    let mut stmt = conn.prepare("SELECT path, size, mtime_ns, inode, offset, hash, cursor FROM files WHERE store_id = ?1")?;
    let rows = stmt.query_map([store_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            FileMark {
                size: r.get::<_, i64>(1)? as u64,
                mtime_ns: r.get(2)?,
                inode: r.get::<_, i64>(3)? as u64,
                offset: r.get::<_, i64>(4)? as u64,
                hash: r.get::<_, i64>(5)? as u64,
                cursor: r.get(6)?,
            },
        ))
    })?;
    rows.collect()
}

struct StoreWriter<'c> {
    conn: &'c Connection,
    store_id: i64,
    reader_id: &'static str,
    root: &'c str,
    seen_runs: HashSet<String>,
    seen_experiments: HashSet<String>,
    unchanged: bool,
    pending_points: usize,
    stats: ScanStats,
}

impl<'c> StoreWriter<'c> {
    fn new(conn: &'c Connection, store_id: i64, reader_id: &'static str, root: &'c str) -> Self {
        StoreWriter {
            conn,
            store_id,
            reader_id,
            root,
            seen_runs: HashSet::new(),
            seen_experiments: HashSet::new(),
            unchanged: false,
            pending_points: 0,
            stats: ScanStats::default(),
        }
    }

    fn begin(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")
    }

    fn commit(&mut self) -> rusqlite::Result<()> {
        self.pending_points = 0;
        self.conn.execute_batch("COMMIT")
    }

    fn apply(&mut self, update: Update) -> Result<(), IndexError> {
        match update {
            Update::Experiment(e) => self.experiment(e)?,
            Update::Run(r) => self.run(r)?,
            Update::Store { marks, warnings } => {
                self.replace_marks("", &marks)?;
                self.conn.execute("DELETE FROM warnings WHERE store_id = ?1 AND owner = ''", [self.store_id])?;
                self.add_warnings("", &warnings)?;
            }
            Update::Unchanged => self.unchanged = true,
            Update::Progress { .. } => {}
        }
        Ok(())
    }

    /// Removes what the store no longer has, then commits.
    fn finish(&mut self) -> Result<(), IndexError> {
        self.stats.unchanged = self.unchanged;
        if !self.unchanged {
            let known: Vec<String> = self
                .conn
                .prepare_cached("SELECT native_id FROM runs WHERE store_id = ?1")?
                .query_map([self.store_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let gone: Vec<String> = known.into_iter().filter(|n| !self.seen_runs.contains(n)).collect();
            for native in &gone {
                self.remove_run(native)?;
                self.stats.runs_removed += 1;
            }
            let known: Vec<String> = self
                .conn
                .prepare_cached("SELECT native_id FROM experiments WHERE store_id = ?1")?
                .query_map([self.store_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let gone: Vec<String> = known.into_iter().filter(|n| !self.seen_experiments.contains(n)).collect();
            for native in &gone {
                self.conn.execute("DELETE FROM experiments WHERE store_id = ?1 AND native_id = ?2", params![self.store_id, native])?;
                let owner = format!("e:{native}");
                self.replace_marks(&owner, &[])?;
                self.conn
                    .execute("DELETE FROM warnings INDEXED BY warnings_owner WHERE store_id = ?1 AND owner = ?2", params![self.store_id, owner])?;
            }
        }
        self.commit()?;
        Ok(())
    }

    fn experiment(&mut self, e: ExperimentUpdate) -> Result<(), IndexError> {
        self.seen_experiments.insert(e.native_id.clone());
        if let Some(info) = &e.info {
            self.conn
                .prepare_cached(
                    "INSERT INTO experiments (store_id, native_id, name, deleted) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (store_id, native_id) DO UPDATE SET name = excluded.name, deleted = excluded.deleted",
                )?
                .execute(params![self.store_id, e.native_id, info.name, info.deleted])?;
            self.conn
                .prepare_cached("UPDATE runs SET experiment = ?3 WHERE store_id = ?1 AND experiment_native = ?2 AND experiment IS NOT ?3")?
                .execute(params![self.store_id, e.native_id, info.name])?;
        }
        let owner = format!("e:{}", e.native_id);
        if let Some(marks) = &e.marks {
            self.replace_marks(&owner, marks)?;
            self.conn.execute("DELETE FROM warnings INDEXED BY warnings_owner WHERE store_id = ?1 AND owner = ?2", params![self.store_id, owner])?;
        }
        self.add_warnings(&owner, &e.warnings)?;
        Ok(())
    }

    fn run(&mut self, u: RunUpdate) -> Result<(), IndexError> {
        let mut warnings = u.warnings;
        let existing: Option<i64> = self
            .conn
            .prepare_cached("SELECT rid FROM runs WHERE store_id = ?1 AND native_id = ?2")?
            .query_row(params![self.store_id, u.native_id], |r| r.get(0))
            .optional()?;
        let changed =
            u.info.is_some() || u.params.is_some() || u.tags.is_some() || !u.series.is_empty() || u.artifacts.is_some() || u.datasets.is_some();
        let rid = match (existing, &u.info) {
            (_, Some(info)) => self.upsert_run(&u.native_id, info)?,
            (Some(rid), None) => rid,
            // Marks without a row (a damaged cache): keep the run visible under its id.
            (None, None) => {
                let placeholder = RunInfo { name: u.native_id.clone(), ..Default::default() };
                self.upsert_run(&u.native_id, &placeholder)?
            }
        };
        // A run read in several updates (a big file in windows) counts once.
        let first_update = self.seen_runs.insert(u.native_id.clone());
        match existing {
            None => self.stats.runs_new += 1,
            Some(_) if changed && first_update => self.stats.runs_updated += 1,
            Some(_) => {}
        }
        // A run new to the index has nothing to delete or look up.
        let new = existing.is_none();
        if let Some(params) = &u.params {
            if !new {
                self.conn.prepare_cached("DELETE FROM params WHERE rid = ?1")?.execute([rid])?;
            }
            let mut insert = self.conn.prepare_cached("INSERT OR REPLACE INTO params (rid, key, value, num) VALUES (?1, ?2, ?3, ?4)")?;
            for (k, v) in params {
                insert.execute(params![rid, k, v, numeric(v)])?;
            }
        }
        if let Some(tags) = &u.tags {
            if !new {
                self.conn.prepare_cached("DELETE FROM tags WHERE rid = ?1")?.execute([rid])?;
            }
            let mut insert = self.conn.prepare_cached("INSERT OR REPLACE INTO tags (rid, key, value) VALUES (?1, ?2, ?3)")?;
            for (k, v) in tags {
                insert.execute(params![rid, k, v])?;
            }
        }
        for s in merge_same_keys(u.series, &mut warnings) {
            self.stats.points_added += s.points.len() as u64;
            self.pending_points += s.points.len();
            self.write_series(rid, new, &s.key, s.mode, s.points)?;
        }
        if let Some(artifacts) = &u.artifacts {
            if !new {
                self.conn.prepare_cached("DELETE FROM artifacts WHERE rid = ?1")?.execute([rid])?;
            }
            let mut insert = self.conn.prepare_cached("INSERT OR REPLACE INTO artifacts (rid, path, size, origin) VALUES (?1, ?2, ?3, ?4)")?;
            for a in artifacts {
                insert.execute(params![rid, a.path, a.size as i64, a.origin])?;
            }
        }
        if let Some(datasets) = &u.datasets {
            if !new {
                self.conn.prepare_cached("DELETE FROM datasets WHERE rid = ?1")?.execute([rid])?;
            }
            let mut insert =
                self.conn.prepare_cached("INSERT INTO datasets (rid, name, digest, context, source_type, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for d in datasets {
                insert.execute(params![rid, d.name, d.digest, d.context, d.source_type, d.source])?;
            }
        }
        let owner = format!("r:{}", u.native_id);
        {
            let mut delete =
                self.conn.prepare_cached("DELETE FROM warnings INDEXED BY warnings_owner WHERE store_id = ?1 AND owner = ?2 AND file = ?3")?;
            for file in &u.reread {
                delete.execute(params![self.store_id, owner, file])?;
            }
        }
        if let Some(marks) = &u.marks {
            // Warnings about files no longer marked (gone, or to be read again) are void.
            let marked: HashSet<&str> = marks.iter().map(|(p, _)| p.as_str()).collect();
            let files: Vec<(i64, Option<String>)> = self
                .conn
                .prepare_cached("SELECT id, file FROM warnings INDEXED BY warnings_owner WHERE store_id = ?1 AND owner = ?2")?
                .query_map(params![self.store_id, owner], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, file) in files {
                if file.as_deref().is_none_or(|f| !marked.contains(f)) {
                    self.conn.execute("DELETE FROM warnings WHERE id = ?1", [id])?;
                }
            }
            self.replace_marks(&owner, marks)?;
        }
        self.add_warnings(&owner, &warnings)?;
        Ok(())
    }

    fn upsert_run(&mut self, native_id: &str, info: &RunInfo) -> rusqlite::Result<i64> {
        let experiment: Option<String> = match &info.experiment {
            Some(e) => self
                .conn
                .prepare_cached("SELECT name FROM experiments WHERE store_id = ?1 AND native_id = ?2")?
                .query_row(params![self.store_id, e], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let parent = info.parent.as_deref().map(|p| run_id(self.reader_id, self.root, p));
        self.conn
            .prepare_cached(
                "INSERT INTO runs (id, store_id, native_id, experiment_native, experiment, name, status, deleted, parent,
                                   start_ms, end_ms, user, git_commit, artifact_dir, identity, provenance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (store_id, native_id) DO UPDATE SET identity = excluded.identity,
                    experiment_native = excluded.experiment_native, experiment = excluded.experiment,
                    name = excluded.name, status = excluded.status, deleted = excluded.deleted,
                    parent = excluded.parent, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
                    user = excluded.user, git_commit = excluded.git_commit, artifact_dir = excluded.artifact_dir,
                    provenance = excluded.provenance
                 RETURNING rid",
            )?
            .query_row(
                params![
                    run_id(self.reader_id, self.root, native_id),
                    self.store_id,
                    native_id,
                    info.experiment,
                    experiment,
                    info.name,
                    info.status.as_str(),
                    info.deleted,
                    parent,
                    info.start_ms,
                    info.end_ms,
                    info.user,
                    info.provenance.git.commit,
                    info.artifact_dir.as_ref().map(|p| p.to_string_lossy().into_owned()),
                    info.identity.as_deref().unwrap_or(native_id),
                    crate::provenance::to_json(&info.provenance),
                ],
                |r| r.get(0),
            )
    }

    fn write_series(&mut self, rid: i64, new_run: bool, key: &str, mode: SeriesMode, mut points: Vec<Point>) -> rusqlite::Result<()> {
        if new_run {
            return self.insert_series(rid, key, points);
        }
        let existing: Option<(i64, Summary)> = self
            .conn
            .prepare_cached(
                "SELECT sid, count, first, first_step, last, last_step, last_time_ms, min, max, max_step, latest, latest_time_ms
                 FROM metrics WHERE rid = ?1 AND key = ?2",
            )?
            .query_row(params![rid, key], |r| {
                Ok((
                    r.get(0)?,
                    Summary {
                        count: r.get::<_, i64>(1)? as u64,
                        first: nan_if_null(r.get(2)?),
                        first_step: r.get(3)?,
                        last: nan_if_null(r.get(4)?),
                        last_step: r.get(5)?,
                        last_time_ms: r.get(6)?,
                        min: nan_if_null(r.get(7)?),
                        max: nan_if_null(r.get(8)?),
                        max_step: r.get(9)?,
                        latest: nan_if_null(r.get(10)?),
                        latest_time_ms: r.get(11)?,
                    },
                ))
            })
            .optional()?;
        let existing = match (existing, mode) {
            (Some((sid, _)), SeriesMode::Replace) => {
                self.conn.prepare_cached("DELETE FROM chunks WHERE sid = ?1")?.execute([sid])?;
                self.conn.prepare_cached("DELETE FROM metrics WHERE sid = ?1")?.execute([sid])?;
                None
            }
            (e, _) => e,
        };
        // The summary follows logging order; storage is sorted by step.
        let (sid, summary, stored_max_step) = match existing {
            Some((sid, mut summary)) => {
                let stored_max_step = summary.max_step;
                summary.extend(&points);
                (sid, summary, Some(stored_max_step))
            }
            None => {
                let Some(summary) = Summary::of(&points) else { return Ok(()) };
                let sid: i64 = self
                    .conn
                    .prepare_cached(
                        "INSERT INTO metrics (rid, key, count, first_step, last_step, last_time_ms, max_step)
                         VALUES (?1, ?2, 0, 0, 0, 0, 0) RETURNING sid",
                    )?
                    .query_row(params![rid, key], |r| r.get(0))?;
                (sid, summary, None)
            }
        };
        if points.is_empty() {
            return Ok(());
        }
        series::sort_by_step(&mut points);
        match stored_max_step {
            None => self.write_chunks(sid, 0, &points)?,
            Some(max_step) if points[0].step >= max_step => {
                // Appending after every stored step: top up the last chunk, then new chunks.
                let last: Option<(i64, i64, Vec<u8>)> = self
                    .conn
                    .prepare_cached("SELECT seq, n, data FROM chunks WHERE sid = ?1 ORDER BY seq DESC LIMIT 1")?
                    .query_row([sid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                let (seq, merged) = match last {
                    Some((seq, n, data)) if (n as usize) < CHUNK_POINTS => {
                        let mut merged = Vec::with_capacity(n as usize + points.len());
                        series::decode_into(&data, &mut merged).map_err(damaged)?;
                        merged.extend_from_slice(&points);
                        (seq, merged)
                    }
                    Some((seq, _, _)) => (seq + 1, points),
                    None => (0, points),
                };
                self.write_chunks(sid, seq, &merged)?;
            }
            Some(_) => {
                // Points before the stored end: merge everything and rewrite.
                let mut all = load_points(self.conn, sid)?;
                all.extend_from_slice(&points);
                series::sort_by_step(&mut all);
                self.conn.prepare_cached("DELETE FROM chunks WHERE sid = ?1")?.execute([sid])?;
                self.write_chunks(sid, 0, &all)?;
            }
        }
        self.save_summary(sid, &summary)
    }

    /// A series of a run new to the index: its row with the summary, then its chunks.
    fn insert_series(&mut self, rid: i64, key: &str, mut points: Vec<Point>) -> rusqlite::Result<()> {
        let Some(s) = Summary::of(&points) else { return Ok(()) };
        let sid: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO metrics (rid, key, count, first, last, min, max, first_step, last_step, last_time_ms, max_step, latest, latest_time_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING sid",
            )?
            .query_row(
                rusqlite::params_from_iter([Value::Integer(rid), Value::Text(key.to_string())].into_iter().chain(summary_values(&s))),
                |r| r.get(0),
            )?;
        series::sort_by_step(&mut points);
        self.write_chunks(sid, 0, &points)
    }

    /// Writes `points` as chunks numbered from `first_seq` (replacing a chunk of that number).
    fn write_chunks(&mut self, sid: i64, first_seq: i64, points: &[Point]) -> rusqlite::Result<()> {
        let mut insert = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO chunks (sid, seq, n, step_min, step_max, time_min, time_max, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (i, chunk) in points.chunks(CHUNK_POINTS).enumerate() {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
            let time_min = chunk.iter().map(|p| p.time_ms).min().unwrap_or(0);
            let time_max = chunk.iter().map(|p| p.time_ms).max().unwrap_or(0);
            insert.execute(params![
                sid,
                first_seq + i as i64,
                chunk.len() as i64,
                first.step,
                last.step,
                time_min,
                time_max,
                series::encode(chunk)
            ])?;
        }
        Ok(())
    }

    fn save_summary(&mut self, sid: i64, s: &Summary) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE metrics SET count = ?2, first = ?3, last = ?4, min = ?5, max = ?6, first_step = ?7,
                 last_step = ?8, last_time_ms = ?9, max_step = ?10, latest = ?11, latest_time_ms = ?12 WHERE sid = ?1",
            )?
            .execute(rusqlite::params_from_iter(std::iter::once(Value::Integer(sid)).chain(summary_values(s))))?;
        Ok(())
    }

    /// Replaces the marks of one owner. The owner index is forced: without statistics,
    /// SQLite 3.54 plans this as a scan of every mark of the store, which made a cold add
    /// quadratic in the number of runs (13.5 s for 10k runs, measured by runlens-bench).
    fn replace_marks(&mut self, owner: &str, marks: &[(String, FileMark)]) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("DELETE FROM files INDEXED BY files_owner WHERE store_id = ?1 AND owner = ?2")?
            .execute(params![self.store_id, owner])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO files (store_id, path, owner, size, mtime_ns, inode, offset, hash, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (path, m) in marks {
            insert.execute(params![
                self.store_id,
                path,
                owner,
                m.size as i64,
                m.mtime_ns,
                m.inode as i64,
                m.offset as i64,
                m.hash as i64,
                m.cursor
            ])?;
        }
        Ok(())
    }

    fn add_warnings(&mut self, owner: &str, warnings: &[Warning]) -> rusqlite::Result<()> {
        let mut insert = self.conn.prepare_cached("INSERT INTO warnings (store_id, owner, file, location, message) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for w in warnings {
            insert.execute(params![self.store_id, owner, w.file, w.location, w.message])?;
        }
        Ok(())
    }

    fn remove_run(&mut self, native_id: &str) -> rusqlite::Result<()> {
        let rid: Option<i64> = self
            .conn
            .query_row("SELECT rid FROM runs WHERE store_id = ?1 AND native_id = ?2", params![self.store_id, native_id], |r| r.get(0))
            .optional()?;
        if let Some(rid) = rid {
            self.conn.execute("DELETE FROM chunks WHERE sid IN (SELECT sid FROM metrics WHERE rid = ?1)", [rid])?;
            for table in ["metrics", "params", "tags", "artifacts", "datasets", "runs"] {
                self.conn.execute(&format!("DELETE FROM {table} WHERE rid = ?1"), [rid])?;
            }
        }
        let owner = format!("r:{native_id}");
        self.replace_marks(&owner, &[])?;
        self.conn.execute("DELETE FROM warnings INDEXED BY warnings_owner WHERE store_id = ?1 AND owner = ?2", params![self.store_id, owner])?;
        Ok(())
    }
}

/// One update per key: a reader that sends two series of one key in one run update (a
/// CSV header naming a column twice, metric names that differ only in invalid UTF-8) gets
/// them merged in order, with a warning, instead of a constraint error that would stop
/// the scan of the whole store.
fn merge_same_keys(series: Vec<SeriesUpdate>, warnings: &mut Vec<Warning>) -> Vec<SeriesUpdate> {
    if series.len() < 2 {
        return series;
    }
    let mut out: Vec<SeriesUpdate> = Vec::with_capacity(series.len());
    let mut at: HashMap<String, usize> = HashMap::new();
    for s in series {
        match at.get(&s.key) {
            None => {
                at.insert(s.key.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                warnings.push(Warning {
                    file: None,
                    location: None,
                    message: format!("two series named {:?} in one run: their points are merged", s.key),
                });
                // Every point of both is kept; if either replaces what the index holds,
                // the merged series does.
                let kept = &mut out[i];
                if s.mode == SeriesMode::Replace {
                    kept.mode = SeriesMode::Replace;
                }
                kept.points.extend(s.points);
            }
        }
    }
    out
}

/// Removes a store and everything cached about it.
pub(crate) fn remove_store(conn: &Connection, store_id: i64) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM chunks WHERE sid IN (SELECT m.sid FROM metrics m JOIN runs r ON r.rid = m.rid WHERE r.store_id = ?1)", [store_id])?;
    for table in ["metrics", "params", "tags", "artifacts", "datasets"] {
        tx.execute(&format!("DELETE FROM {table} WHERE rid IN (SELECT rid FROM runs WHERE store_id = ?1)"), [store_id])?;
    }
    for table in ["runs", "experiments", "files", "warnings"] {
        tx.execute(&format!("DELETE FROM {table} WHERE store_id = ?1"), [store_id])?;
    }
    tx.execute("DELETE FROM stores WHERE id = ?1", [store_id])?;
    tx.commit()
}

/// A summary's columns in table order: count, first, last, min, max, first_step,
/// last_step, last_time_ms, max_step, latest, latest_time_ms (NaN as NULL).
fn summary_values(s: &Summary) -> [Value; 11] {
    let real = |v: f64| null_if_nan(v).map(Value::Real).unwrap_or(Value::Null);
    [
        Value::Integer(s.count as i64),
        real(s.first),
        real(s.last),
        real(s.min),
        real(s.max),
        Value::Integer(s.first_step),
        Value::Integer(s.last_step),
        Value::Integer(s.last_time_ms),
        Value::Integer(s.max_step),
        real(s.latest),
        Value::Integer(s.latest_time_ms),
    ]
}

/// A param value as a number, when the whole value is one (`0.001`, `32`, `1e-5`).
fn numeric(v: &str) -> Option<f64> {
    let t = v.trim();
    if t.is_empty() || t.len() != v.len() {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn null_if_nan(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}
