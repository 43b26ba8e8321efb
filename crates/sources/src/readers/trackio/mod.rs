//! Hugging Face trackio's local storage: one SQLite database per project
//! (`<TRACKIO_DIR>/<canonical project>.db`, WAL mode while logging), opened strictly
//! read-only. Table `metrics` has one row per `log()` call: run id and name, step, ISO
//! timestamp and a JSON dict of values (BLOB or TEXT; NaN/±inf as the strings `"NaN"`,
//! `"Infinity"`, `"-Infinity"`; media as `{"_type": ...}` dicts, tables inline). Table
//! `configs` holds each run's config with trackio's `_Username`, `_Created`, `_Group`.
//! Media files are in `media/<project>/<run name>/<step>/` beside the database.
//!
//! Versions: runs are keyed by `run_id` when the column exists, else by `run_name`
//! (older trackio, which trackio itself handles the same way); the oldest databases have
//! a `project_name` column naming the project, and no `configs` table. trackio persists
//! no run status: it is unknown. The start is the config's `_Created`, else the configs
//! row's `created_at`, else the run's first metric timestamp; trackio records no end, and
//! no provenance (no command, commit or environment).
//!
//! Incremental: an unchanged database (and `-wal`) is not opened. Otherwise metric rows
//! are read from the id high-water mark of the previous scan, in one read transaction and
//! bounded by the maximum id seen at its start. The store mark also holds a fingerprint
//! of the per-run row counts below the mark: rows deleted or renamed there (trackio can
//! delete and rename runs) make the scan read everything again. Each run has its own mark
//! (`<db>#<run id>`: the ids its committed points reach, and a fingerprint of its config,
//! name and media listing), so a run that did not change is sent as unchanged and a scan
//! killed half-way never appends a point twice.

mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::sqlite_ro::{DbFiles, column_names, is_sqlite_file, open_read_only, table_names};
use crate::util::{Fingerprint, list_artifacts};
use values::{Config, RunSeries, canonical_project, time_ms};

/// Columns of `metrics` every trackio version has.
const METRIC_COLUMNS: &[&str] = &["run_name", "step", "metrics", "timestamp"];
/// At most this many warnings per run and scan; the rest are counted in one more warning.
const MAX_WARNINGS_PER_RUN: usize = 10;

pub struct Trackio;

impl Reader for Trackio {
    fn id(&self) -> &'static str {
        "trackio"
    }

    fn source(&self) -> &'static str {
        "trackio"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        dir.files.iter().filter(|f| f.ends_with(".db")).map(|f| dir.path.join(f)).filter(|p| is_trackio_db(p)).map(Detected::store).collect()
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let db_path = ctx.root;
        let db_error = |e: rusqlite::Error| ReadError::Database { path: db_path.to_path_buf(), message: e.to_string() };
        let files = DbFiles::of(db_path)?;
        if files.unchanged(ctx) {
            ctx.send(Update::Unchanged);
            return Ok(());
        }
        let previous = ctx.previous(&files.name);

        let conn = open_read_only(db_path).map_err(db_error)?;
        // One snapshot for every query: rows committed meanwhile wait for the next scan.
        let _snapshot = conn.unchecked_transaction().map_err(db_error)?;
        let schema = Schema::detect(&conn).map_err(db_error)?.ok_or_else(|| ReadError::NotAStore {
            path: db_path.to_path_buf(),
            kind: "trackio",
            reason: "no metrics table with run_name, step, metrics and timestamp columns".into(),
        })?;
        let max_id: i64 = conn.query_row("SELECT coalesce(max(rowid), 0) FROM metrics", [], |r| r.get(0)).map_err(db_error)?;
        let previous_id = previous.map(|p| p.offset as i64).unwrap_or(0);
        let counts = run_counts(&conn, &schema, previous_id, max_id).map_err(db_error)?;
        // Everything again when there is no mark, the table shrank, or rows below the mark changed.
        let replace = previous.is_none_or(|p| max_id < previous_id || p.hash != counts_fingerprint(&counts, |c| c.rows_before));
        let configs = read_configs(&conn, &schema).map_err(db_error)?;

        let stem = db_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let runs = merge_runs(counts.iter(), &configs, &stem);
        send_experiments(ctx, &runs);
        let media = db_path.parent().unwrap_or(Path::new("/")).join("media");
        let scan = DbScan {
            ctx,
            conn: &conn,
            schema: &schema,
            db_name: &files.name,
            media: &media,
            max_id,
            after: if replace { 0 } else { previous_id },
            replace,
        };
        let total = runs.len() as u64;
        ctx.send(Update::Progress { done: 0, total });
        for (done, run) in runs.iter().enumerate() {
            ctx.send(Update::Run(scan.read_run(run, configs.get(&run.key)).map_err(db_error)?));
            if (done + 1) % 64 == 0 {
                ctx.send(Update::Progress { done: done as u64 + 1, total });
            }
        }
        ctx.send(Update::Progress { done: total, total });
        ctx.send(Update::Store { marks: files.marks(max_id as u64, counts_fingerprint(&counts, |c| c.rows)), warnings: Vec::new() });
        Ok(())
    }
}

/// One experiment per project the runs belong to.
fn send_experiments(ctx: &ScanContext, runs: &[RunEntry]) {
    let projects: BTreeSet<&str> = runs.iter().map(|r| r.project.as_str()).collect();
    for project in projects {
        ctx.send_experiment(project, project);
    }
}

/// A SQLite file with trackio's `metrics` table (and not an MLflow database).
fn is_trackio_db(path: &Path) -> bool {
    if !is_sqlite_file(path) {
        return false;
    }
    let Ok(conn) = open_read_only(path) else { return false };
    matches!(Schema::detect(&conn), Ok(Some(_)))
}

/// Which columns and tables this database has.
struct Schema {
    /// Column naming a run in `metrics` and `configs`: `run_id`, else `run_name`.
    run_key: &'static str,
    /// The oldest databases name the project in every metric row.
    project_column: bool,
    configs: bool,
    configs_created_at: bool,
}

impl Schema {
    fn detect(conn: &Connection) -> rusqlite::Result<Option<Schema>> {
        let tables = table_names(conn)?;
        if !tables.iter().any(|t| t == "metrics") || tables.iter().any(|t| t == "alembic_version") {
            return Ok(None);
        }
        let metrics = column_names(conn, "metrics")?;
        if !METRIC_COLUMNS.iter().all(|c| metrics.iter().any(|m| m == c)) {
            return Ok(None);
        }
        let config_columns = if tables.iter().any(|t| t == "configs") { column_names(conn, "configs")? } else { Vec::new() };
        let has = |cols: &[String], c: &str| cols.iter().any(|x| x == c);
        let run_id = has(&metrics, "run_id") && (config_columns.is_empty() || has(&config_columns, "run_id"));
        Ok(Some(Schema {
            run_key: if run_id { "run_id" } else { "run_name" },
            project_column: has(&metrics, "project_name"),
            configs: has(&config_columns, "config") && has(&config_columns, "run_name"),
            configs_created_at: has(&config_columns, "created_at"),
        }))
    }
}

/// One run's rows in `metrics` up to the scan's maximum id.
struct RunCounts {
    key: String,
    name: String,
    project: Option<String>,
    first_time: Option<String>,
    /// Rows with ids up to the previous scan's mark.
    rows_before: i64,
    rows: i64,
}

fn run_counts(conn: &Connection, schema: &Schema, previous_id: i64, max_id: i64) -> rusqlite::Result<Vec<RunCounts>> {
    let project = if schema.project_column { "max(project_name)" } else { "NULL" };
    let key = schema.run_key;
    let sql = format!(
        "SELECT {key}, max(run_name), {project}, min(timestamp), sum(rowid <= ?1), count(*)
         FROM metrics WHERE rowid <= ?2 AND {key} IS NOT NULL GROUP BY {key} ORDER BY {key}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([previous_id, max_id], |r| {
        Ok(RunCounts {
            key: text(r.get_ref(0)?),
            name: text(r.get_ref(1)?),
            project: r.get_ref(2)?.as_str_or_null().ok().flatten().map(str::to_string),
            first_time: r.get_ref(3)?.as_str_or_null().ok().flatten().map(str::to_string),
            rows_before: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
            rows: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Fingerprint of (run, row count) pairs, runs without rows left out.
fn counts_fingerprint(counts: &[RunCounts], rows: impl Fn(&RunCounts) -> i64) -> u64 {
    let mut fp = Fingerprint::default();
    for c in counts.iter().filter(|c| rows(c) > 0) {
        fp.bytes(c.key.as_bytes()).u64(rows(c) as u64);
    }
    fp.finish()
}

/// One row of `configs`.
struct ConfigRow {
    id: i64,
    name: String,
    config: Vec<u8>,
    created_at: Option<String>,
}

fn read_configs(conn: &Connection, schema: &Schema) -> rusqlite::Result<BTreeMap<String, ConfigRow>> {
    let mut out = BTreeMap::new();
    if !schema.configs {
        return Ok(out);
    }
    let created_at = if schema.configs_created_at { "created_at" } else { "NULL" };
    let sql = format!("SELECT rowid, {}, run_name, config, {created_at} FROM configs ORDER BY rowid", schema.run_key);
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = text(r.get_ref(1)?);
        let row = ConfigRow {
            id: r.get(0)?,
            name: text(r.get_ref(2)?),
            config: bytes(r.get_ref(3)?),
            created_at: r.get_ref(4)?.as_str_or_null().ok().flatten().map(str::to_string),
        };
        out.insert(key, row);
    }
    Ok(out)
}

/// A run found in `metrics`, `configs` or both.
struct RunEntry<'a> {
    key: String,
    name: String,
    project: String,
    counts: Option<&'a RunCounts>,
}

/// Runs of the metric rows and of the configs, sorted by key; the project is the one
/// named in the rows (oldest databases), else the database's file stem.
fn merge_runs<'a>(counts: impl Iterator<Item = &'a RunCounts>, configs: &BTreeMap<String, ConfigRow>, stem: &str) -> Vec<RunEntry<'a>> {
    let mut runs: BTreeMap<String, RunEntry<'a>> = BTreeMap::new();
    for c in counts {
        let project = c.project.clone().unwrap_or_else(|| stem.to_string());
        runs.insert(c.key.clone(), RunEntry { key: c.key.clone(), name: c.name.clone(), project, counts: Some(c) });
    }
    for (key, config) in configs {
        runs.entry(key.clone()).or_insert_with(|| RunEntry { key: key.clone(), name: config.name.clone(), project: stem.to_string(), counts: None });
    }
    runs.into_values().collect()
}

/// What every run of one scan shares.
struct DbScan<'a> {
    ctx: &'a ScanContext<'a>,
    conn: &'a Connection,
    schema: &'a Schema,
    db_name: &'a str,
    media: &'a Path,
    max_id: i64,
    /// Metric rows with ids above this are new.
    after: i64,
    /// Everything is read again: series are replaced.
    replace: bool,
}

impl DbScan<'_> {
    fn read_run(&self, run: &RunEntry, config: Option<&ConfigRow>) -> rusqlite::Result<RunUpdate> {
        let mark_key = format!("{}#{}", self.db_name, run.key);
        let previous = self.ctx.previous(&mark_key);
        let mut update = RunUpdate { native_id: run.key.clone(), ..Default::default() };

        // New rows: after the store's mark and after this run's own (a killed scan may
        // have committed this run beyond the store's mark).
        let from = if self.replace { 0 } else { self.after.max(previous.map(|p| p.offset as i64).unwrap_or(0)) };
        let new_rows = run.counts.is_some_and(|c| self.replace || c.rows > c.rows_before);
        let series =
            if new_rows && from < self.max_id { self.read_points(run, from, &mark_key, &mut update.warnings)? } else { RunSeries::default() };

        let artifact_dir = self.media_dir(run);
        let (artifacts, listing_hash) = artifact_dir.as_deref().map(list_artifacts).unwrap_or_default();
        let mut fp = Fingerprint::default();
        fp.bytes(run.name.as_bytes()).bytes(b"\0").bytes(run.project.as_bytes()).u64(listing_hash);
        if let Some(c) = config {
            fp.u64(c.id as u64).bytes(&c.config).bytes(c.created_at.as_deref().unwrap_or_default().as_bytes());
        }
        let hash = fp.finish();
        if !self.replace && series.series.is_empty() && update.warnings.is_empty() && previous.is_some_and(|p| p.hash == hash) {
            return Ok(update);
        }

        let mut info = RunInfo {
            experiment: Some(run.project.clone()),
            name: run.name.clone(),
            status: Status::Unknown,
            start_ms: run.counts.and_then(|c| c.first_time.as_deref()).and_then(time_ms),
            artifact_dir,
            ..Default::default()
        };
        let mut tags = Vec::new();
        let mut params = Vec::new();
        if let Some(row) = config {
            match Config::parse(&row.config) {
                Ok(config) => {
                    info.user = config.user;
                    info.start_ms = config.created_ms.or_else(|| row.created_at.as_deref().and_then(time_ms)).or(info.start_ms);
                    tags.extend(config.group.map(|g| ("trackio.group".to_string(), g)));
                    params = config.params;
                }
                Err(reason) => update.warnings.push(Warning::new(self.db_name, Some(format!("configs row {}", row.id)), reason)),
            }
        }
        let mode = if self.replace { SeriesMode::Replace } else { SeriesMode::Append };
        update.series = series.series.into_iter().map(|(key, points)| SeriesUpdate { key, mode, points }).collect();
        if self.replace {
            update.reread.push(mark_key.clone());
        }
        update.info = Some(info);
        update.params = Some(params);
        update.tags = Some(tags);
        update.artifacts = Some(artifacts);
        let rows = run.counts.map(|c| c.rows).unwrap_or(0) as u64;
        update.marks = Some(vec![(mark_key, FileMark { size: rows, offset: self.max_id as u64, hash, ..Default::default() })]);
        Ok(update)
    }

    /// The run's metric rows with ids in `(from, max_id]`, in logging order.
    fn read_points(&self, run: &RunEntry, from: i64, mark_key: &str, warnings: &mut Vec<Warning>) -> rusqlite::Result<RunSeries> {
        let sql = format!(
            "SELECT rowid, step, timestamp, metrics FROM metrics WHERE {} = ?1 AND rowid > ?2 AND rowid <= ?3 ORDER BY rowid",
            self.schema.run_key
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params![run.key, from, self.max_id])?;
        let mut series = RunSeries::default();
        let mut bad = 0usize;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let step = r.get::<_, Option<i64>>(1).ok().flatten().unwrap_or(0);
            let time = r.get_ref(2)?.as_str_or_null().ok().flatten().and_then(time_ms).unwrap_or(0);
            if let Err(reason) = series.add_row(&bytes(r.get_ref(3)?), step, time) {
                bad += 1;
                if bad <= MAX_WARNINGS_PER_RUN {
                    warnings.push(Warning::new(mark_key, Some(format!("metrics row {id}")), reason));
                }
            }
        }
        if bad > MAX_WARNINGS_PER_RUN {
            warnings.push(Warning::new(mark_key, None, format!("{} more unreadable metric rows", bad - MAX_WARNINGS_PER_RUN)));
        }
        Ok(series)
    }

    /// `media/<project>/<run name>/` beside the database, when it exists. The project
    /// folder keeps the name given to trackio; the database only its canonical form.
    fn media_dir(&self, run: &RunEntry) -> Option<PathBuf> {
        let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\']);
        if !plain(&run.name) {
            return None;
        }
        let project_dir = Some(self.media.join(&run.project)).filter(|d| plain(&run.project) && d.is_dir()).or_else(|| {
            let wanted = canonical_project(&run.project);
            std::fs::read_dir(self.media)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .find(|p| p.is_dir() && p.file_name().is_some_and(|n| canonical_project(&n.to_string_lossy()) == wanted))
        })?;
        Some(project_dir.join(&run.name)).filter(|d| d.is_dir())
    }
}

/// A text or blob cell as text (other types as their SQL text).
fn text(v: rusqlite::types::ValueRef) -> String {
    String::from_utf8_lossy(&bytes(v)).into_owned()
}

fn bytes(v: rusqlite::types::ValueRef) -> Vec<u8> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
        ValueRef::Integer(i) => i.to_string().into_bytes(),
        ValueRef::Real(f) => f.to_string().into_bytes(),
        ValueRef::Null => Vec::new(),
    }
}

/// Drives the parsing of a `metrics` row's JSON on arbitrary bytes (for
/// [`crate::fuzzing`]), twice into the same run as consecutive rows.
pub(crate) fn fuzz_metrics_json(data: &[u8]) {
    let mut run = RunSeries::default();
    if run.add_row(data, 0, 0).is_ok() {
        let _ = run.add_row(data, 1, 1);
        assert!(run.series.iter().all(|(_, points)| points.len() == 2));
    }
}

/// Drives the parsing of a run's `configs` JSON and of timestamps on arbitrary bytes (for
/// [`crate::fuzzing`]).
pub(crate) fn fuzz_config_json(data: &[u8]) {
    let _ = Config::parse(data);
    let _ = time_ms(&String::from_utf8_lossy(data));
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// Scans `db` with the given previous marks; returns the updates.
    fn scan(db: &Path, previous: &HashMap<String, FileMark>) -> Vec<Update> {
        let updates = Mutex::new(Vec::new());
        let sink = |u: Update| updates.lock().unwrap().push(u);
        Trackio.scan(&ScanContext::new(db, previous, &sink)).unwrap();
        updates.into_inner().unwrap()
    }

    fn runs(updates: &[Update]) -> Vec<&RunUpdate> {
        updates.iter().filter_map(|u| if let Update::Run(r) = u { Some(r) } else { None }).collect()
    }

    /// Every mark sent, as the index would hold them for the next scan.
    fn marks(updates: &[Update]) -> HashMap<String, FileMark> {
        let mut out = HashMap::new();
        for u in updates {
            match u {
                Update::Run(RunUpdate { marks: Some(m), .. }) | Update::Store { marks: m, .. } => out.extend(m.iter().cloned()),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn databases_without_run_ids_key_runs_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT, run_name TEXT, step INTEGER, metrics TEXT);
             CREATE TABLE configs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_name TEXT UNIQUE, config TEXT, created_at TEXT);
             INSERT INTO metrics (timestamp, run_name, step, metrics) VALUES
               ('2025-01-01T00:00:00', 'a', 0, '{\"loss\": 1.0}'), ('2025-01-01T00:00:01', 'b', 0, '{\"loss\": 2.0}'),
               ('2025-01-01T00:00:02', 'a', 1, '{\"loss\": \"NaN\"}');
             INSERT INTO configs (run_name, config, created_at) VALUES ('a', '{\"lr\": 0.1, \"_Username\": \"me\"}', '2025-01-01T00:00:00');",
        )
        .unwrap();
        assert!(is_trackio_db(&db));
        let first = scan(&db, &HashMap::new());
        let got = runs(&first);
        assert_eq!(got.iter().map(|r| r.native_id.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        let a = got[0];
        assert_eq!(a.info.as_ref().unwrap().user.as_deref(), Some("me"));
        assert_eq!(a.info.as_ref().unwrap().experiment.as_deref(), Some("old"), "the project is the file stem");
        assert_eq!(a.params.as_deref(), Some(&[("lr".to_string(), "0.1".to_string())][..]));
        let loss = &a.series[0];
        assert_eq!((loss.key.as_str(), loss.mode, loss.points.len()), ("loss", SeriesMode::Replace, 2));
        assert!(loss.points[1].value.is_nan());

        // One new row for `b`: `a` is unchanged, `b` gets the appended point only. (The
        // wait lets the file's mtime move on coarse file-system clocks.)
        std::thread::sleep(std::time::Duration::from_millis(20));
        conn.execute("INSERT INTO metrics (timestamp, run_name, step, metrics) VALUES ('2025-01-01T00:00:03', 'b', 1, '{\"loss\": 3.0}')", [])
            .unwrap();
        let second = scan(&db, &marks(&first));
        let got = runs(&second);
        assert_eq!(got[0], &RunUpdate { native_id: "a".into(), ..Default::default() });
        assert_eq!(got[1].series[0].mode, SeriesMode::Append);
        assert_eq!(got[1].series[0].points.iter().map(|p| p.value).collect::<Vec<_>>(), vec![3.0]);
    }

    #[test]
    fn the_oldest_databases_name_their_project_and_have_no_configs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("trackio.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, project_name TEXT NOT NULL,
                                   run_name TEXT NOT NULL, step INTEGER NOT NULL, metrics TEXT NOT NULL);
             INSERT INTO metrics (timestamp, project_name, run_name, step, metrics)
               VALUES ('2025-01-01T00:00:00.5', 'my project', 'r1', 0, '{\"acc\": 0.5, \"up\": \"Infinity\"}');",
        )
        .unwrap();
        let updates = scan(&db, &HashMap::new());
        assert!(updates.iter().any(|u| matches!(u, Update::Experiment(e) if e.native_id == "my project")));
        let r = runs(&updates)[0];
        assert_eq!(r.info.as_ref().unwrap().start_ms, Some(1_735_689_600_500));
        assert_eq!(r.info.as_ref().unwrap().experiment.as_deref(), Some("my project"));
        assert_eq!(r.series.iter().map(|s| (s.key.as_str(), s.points[0].value)).collect::<Vec<_>>(), vec![("acc", 0.5), ("up", f64::INFINITY)]);
    }

    #[test]
    fn mlflow_and_other_databases_are_not_trackio() {
        let dir = tempfile::tempdir().unwrap();
        let mlflow = dir.path().join("mlflow.db");
        Connection::open(&mlflow)
            .unwrap()
            .execute_batch("CREATE TABLE alembic_version (v TEXT); CREATE TABLE metrics (run_name, step, metrics, timestamp);")
            .unwrap();
        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE metrics (key, value, step, timestamp);").unwrap();
        assert!(!is_trackio_db(&mlflow));
        assert!(!is_trackio_db(&other));
    }
}
