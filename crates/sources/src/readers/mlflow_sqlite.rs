//! MLflow SQL store in SQLite (`mlflow.db`, the default since MLflow 3.7), with its
//! artifact folders. Opened strictly read-only; columns are feature-detected because the
//! schema grew over the years (`metrics.step`, `metrics.is_nan`, `runs.name`).
//!
//! Times and status: the `runs` table's `start_time`, `end_time` (ms, `NULL` until the
//! run ends) and `status` (`RUNNING`, `FINISHED`, ...), as MLflow wrote them.
//!
//! Provenance: the `mlflow.source.*` tags and the environment files of the models the run
//! logged (`logged_models.source_run_id`), see [`super::mlflow_provenance`].
//!
//! Incremental: an unchanged database file (and `-wal`) is not opened at all; otherwise
//! runs, params and tags are re-read (small tables) and metric rows are read from the
//! rowid high-water mark of the previous scan (the table is insert-only), all in one read
//! transaction bounded by the mark it records. Each run carries its own mark, committed
//! with its points, so a scan killed between runs never indexes a row twice; a database
//! written anew (new inode, smaller, another first row) is read again from the start.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use super::mlflow_provenance;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::sqlite_ro::{DbFiles, column_names, is_sqlite_file, open_read_only, table_names};
use crate::util::{Fingerprint, list_artifacts, local_path_of_uri, outside_warning, resolve_moved};

/// Tables every MLflow tracking database has (`alembic_version` tells it from other
/// databases with tables of the same names, Runlens' own index among them).
const REQUIRED_TABLES: &[&str] = &["alembic_version", "experiments", "runs", "metrics", "params", "tags"];

pub struct MlflowSqlite;

impl Reader for MlflowSqlite {
    fn id(&self) -> &'static str {
        "mlflow-sqlite"
    }

    fn source(&self) -> &'static str {
        "mlflow"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        dir.files
            .iter()
            .filter(|f| f.ends_with(".db") || f.ends_with(".sqlite") || f.ends_with(".sqlite3"))
            .map(|f| dir.path.join(f))
            // A file named as MLflow names its database is a store even when it cannot be
            // read as one: its scan then says why, instead of the file being skipped silently.
            .filter(|p| is_mlflow_db(p) || p.file_name().is_some_and(|n| n == "mlflow.db"))
            .map(Detected::store)
            .collect()
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let db_path = ctx.root;
        let db_error = |e: rusqlite::Error| ReadError::Database { path: db_path.to_path_buf(), message: e.to_string() };
        let files = DbFiles::of(db_path)?;
        if files.unchanged(ctx) {
            ctx.send(Update::Unchanged);
            return Ok(());
        }
        check_file(db_path)?;
        let conn = open_read_only(db_path).map_err(db_error)?;
        if !has_mlflow_tables(&conn) {
            return Err(ReadError::Database { path: db_path.to_path_buf(), message: "the database has no MLflow tables".into() });
        }
        // Everything below is read in one snapshot: a writer's rows committed meanwhile
        // wait for the next scan, and the high-water mark is the snapshot's own.
        conn.execute_batch("BEGIN").map_err(db_error)?;
        let schema = Schema::detect(&conn).map_err(db_error)?;
        let base = db_path.parent().unwrap_or(Path::new("/"));

        let high: i64 = conn.query_row("SELECT coalesce(max(rowid), 0) FROM metrics", [], |r| r.get(0)).map_err(db_error)?;
        let fingerprint = first_row_fingerprint(&conn).map_err(db_error)?;
        let previous = ctx.previous(&files.name);
        // Metric rows are insert-only, so rows after the last high-water mark are what is
        // new, unless the file was replaced (a new inode, a smaller file, another first
        // row, fewer rows): then everything is read again and replaces what was indexed.
        let resume = previous.filter(|p| p.inode == files.db.inode && p.size <= files.db.size && p.hash == fingerprint && p.offset as i64 <= high);
        let (after, mode) = match resume {
            Some(p) => (p.offset as i64, SeriesMode::Append),
            None => (0, SeriesMode::Replace),
        };
        // A run's own mark says how far its points are committed: a scan stopped after
        // some runs but before the store's mark must not append their rows again.
        let run_marks: HashMap<&str, i64> = if resume.is_some() {
            let prefix = format!("{}#", files.name);
            ctx.previous.iter().filter_map(|(k, m)| Some((k.strip_prefix(&prefix)?, m.offset as i64))).collect()
        } else {
            HashMap::new()
        };

        let experiments = read_experiments(&conn).map_err(db_error)?;
        let exp_deleted: HashMap<String, bool> = experiments.iter().map(|(id, i)| (id.clone(), i.deleted)).collect();
        let mut params = key_values(&conn, "params").map_err(db_error)?;
        let mut tags = key_values(&conn, "tags").map_err(db_error)?;
        let mut series = read_metrics(&conn, &schema, after, high, &run_marks).map_err(db_error)?;
        let runs = read_runs(&conn, &schema).map_err(db_error)?;
        let mut models = logged_models(&conn).map_err(db_error)?;
        let mut datasets = dataset_inputs(&conn).map_err(db_error)?;
        conn.execute_batch("COMMIT").map_err(db_error)?;

        for (id, info) in experiments {
            ctx.send(Update::Experiment(ExperimentUpdate { native_id: id, info: Some(info), marks: Some(Vec::new()), warnings: Vec::new() }));
        }
        let total = runs.len() as u64;
        ctx.send(Update::Progress { done: 0, total });
        for (done, row) in runs.into_iter().enumerate() {
            let tags = tags.remove(&row.id).unwrap_or_default();
            let tag = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let artifact_dir = row.artifact_uri.as_deref().and_then(local_path_of_uri).and_then(|p| resolve_moved(&p, base, Some(&row.id)));
            let mut warnings = Vec::new();
            let artifact_dir = match artifact_dir {
                Some(d) if !ctx.may_read(&d) => {
                    warnings.push(outside_warning(&files.name, &d));
                    None
                }
                d => d,
            };
            let artifacts = artifact_dir.as_deref().map(|d| list_artifacts(d).0).unwrap_or_default();
            let mut provenance = mlflow_provenance::from_tags(tag);
            for (model_id, uri) in models.remove(&row.id).unwrap_or_default() {
                let Some(dir) = local_path_of_uri(&uri).and_then(|p| resolve_moved(&p, base, Some(&model_id))) else { continue };
                if ctx.may_read(&dir) {
                    mlflow_provenance::add_model_folder(&mut provenance, &dir, None, &mut warnings);
                } else {
                    warnings.push(outside_warning(&files.name, &dir));
                }
            }
            if let Some(d) = &artifact_dir {
                mlflow_provenance::add_artifact_models(&mut provenance, d, &artifacts, &mut warnings);
            }
            let info = RunInfo {
                experiment: Some(row.experiment.clone()),
                name: row.name.filter(|n| !n.is_empty()).or_else(|| tag("mlflow.runName")).unwrap_or_else(|| row.id.clone()),
                status: Status::parse(&row.status),
                deleted: row.deleted || exp_deleted.get(&row.experiment).copied().unwrap_or(false),
                parent: tag("mlflow.parentRunId").filter(|p| !p.is_empty()),
                start_ms: row.start_ms,
                end_ms: row.end_ms,
                user: row.user.filter(|u| !u.is_empty()).or_else(|| tag("mlflow.user")),
                provenance,
                artifact_dir,
                identity: None,
            };
            let run_series = series.remove(&row.id).unwrap_or_default();
            // Committed with this run's points, in the same index transaction.
            let mark = (format!("{}#{}", files.name, row.id), FileMark { offset: high as u64, ..FileMark::default() });
            ctx.send(Update::Run(RunUpdate {
                info: Some(info),
                params: Some(params.remove(&row.id).unwrap_or_default()),
                series: run_series.into_iter().map(|(key, points)| SeriesUpdate { key, mode, points }).collect(),
                tags: Some(tags),
                artifacts: Some(artifacts),
                datasets: Some(datasets.remove(&row.id).unwrap_or_default()),
                marks: Some(vec![mark]),
                warnings,
                native_id: row.id,
                ..Default::default()
            }));
            if (done + 1) % 256 == 0 {
                ctx.send(Update::Progress { done: done as u64 + 1, total });
            }
        }
        ctx.send(Update::Progress { done: total, total });
        ctx.send(Update::Store { marks: files.marks(high as u64, fingerprint), warnings: Vec::new() });
        Ok(())
    }
}

/// Why a file that was (or looks like) an MLflow database cannot be opened as one: not a
/// regular file, empty, unreadable or not SQLite (its tables are checked once it is open).
/// The store keeps the runs indexed before.
fn check_file(path: &Path) -> Result<(), ReadError> {
    let not_a_store = |reason: &str| ReadError::Database { path: path.to_path_buf(), message: reason.into() };
    let meta = std::fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
    if !meta.is_file() {
        return Err(not_a_store("it is not a regular file"));
    }
    if meta.len() == 0 {
        return Err(not_a_store("the file is empty (0 bytes)"));
    }
    if !is_sqlite_file(path) {
        // Unreadable, or readable and something else.
        return Err(match crate::util::open_regular(path) {
            Err(e) => ReadError::io(path, e),
            Ok(_) => not_a_store("the file is not an SQLite database"),
        });
    }
    Ok(())
}

/// A fingerprint of the oldest metric row: another first row means the table (or the
/// whole file) was written anew, even when the file kept its inode and grew.
fn first_row_fingerprint(conn: &Connection) -> rusqlite::Result<u64> {
    use rusqlite::OptionalExtension;
    let row: Option<(i64, String, String, Option<i64>)> = conn
        .query_row("SELECT rowid, run_uuid, key, timestamp FROM metrics ORDER BY rowid LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let mut fp = Fingerprint::default();
    if let Some((rowid, run, key, time)) = row {
        fp.u64(rowid as u64).bytes(run.as_bytes()).bytes(key.as_bytes()).u64(time.unwrap_or(0) as u64);
    }
    Ok(fp.finish())
}

fn is_mlflow_db(path: &Path) -> bool {
    is_sqlite_file(path) && open_read_only(path).is_ok_and(|conn| has_mlflow_tables(&conn))
}

/// MLflow's tables, with `runs.run_uuid`.
fn has_mlflow_tables(conn: &Connection) -> bool {
    let Ok(tables) = table_names(conn) else { return false };
    let Ok(run_columns) = column_names(conn, "runs") else { return false };
    REQUIRED_TABLES.iter().all(|t| tables.iter().any(|n| n == t)) && run_columns.iter().any(|c| c == "run_uuid")
}

/// Which optional columns this database has.
struct Schema {
    run_name: bool,
    metric_step: bool,
    metric_is_nan: bool,
}

impl Schema {
    fn detect(conn: &Connection) -> rusqlite::Result<Schema> {
        let runs = column_names(conn, "runs")?;
        let metrics = column_names(conn, "metrics")?;
        Ok(Schema {
            run_name: runs.iter().any(|c| c == "name"),
            metric_step: metrics.iter().any(|c| c == "step"),
            metric_is_nan: metrics.iter().any(|c| c == "is_nan"),
        })
    }
}

fn read_experiments(conn: &Connection) -> rusqlite::Result<Vec<(String, ExperimentInfo)>> {
    let mut stmt = conn.prepare("SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id")?;
    let rows = stmt.query_map([], |r| {
        let id: rusqlite::types::Value = r.get(0)?;
        Ok((
            value_text(id),
            ExperimentInfo {
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                deleted: r.get::<_, Option<String>>(2)?.as_deref() == Some("deleted"),
            },
        ))
    })?;
    rows.collect()
}

struct RunRow {
    id: String,
    name: Option<String>,
    status: String,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    deleted: bool,
    artifact_uri: Option<String>,
    experiment: String,
    user: Option<String>,
}

fn read_runs(conn: &Connection, schema: &Schema) -> rusqlite::Result<Vec<RunRow>> {
    let name = if schema.run_name { "name" } else { "NULL" };
    let sql = format!(
        "SELECT run_uuid, {name}, status, start_time, end_time, lifecycle_stage, artifact_uri, experiment_id, user_id \
         FROM runs ORDER BY start_time, run_uuid"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            name: r.get(1)?,
            status: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            start_ms: r.get(3)?,
            end_ms: r.get(4)?,
            deleted: r.get::<_, Option<String>>(5)?.as_deref() == Some("deleted"),
            artifact_uri: r.get(6)?,
            experiment: value_text(r.get(7)?),
            user: r.get(8)?,
        })
    })?;
    rows.collect()
}

/// Per run, the datasets it consumed (MLflow ≥ 2.4: `inputs` rows of source type
/// `DATASET` and destination type `RUN`, their `datasets` row, the `mlflow.data.context`
/// input tag); none before those tables existed.
fn dataset_inputs(conn: &Connection) -> rusqlite::Result<HashMap<String, Vec<DatasetInput>>> {
    let mut out: HashMap<String, Vec<DatasetInput>> = HashMap::new();
    let tables = table_names(conn)?;
    if !["inputs", "datasets"].iter().all(|t| tables.iter().any(|x| x == t)) {
        return Ok(out);
    }
    let context = if tables.iter().any(|t| t == "input_tags") {
        "(SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')"
    } else {
        "NULL"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT i.destination_id, d.name, d.digest, {context}, d.dataset_source_type, d.dataset_source
         FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
         WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' ORDER BY i.destination_id, d.name, i.input_uuid"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().push(DatasetInput {
            name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            digest: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            context: r.get(3)?,
            source_type: r.get(4)?,
            source: r.get(5)?,
        });
    }
    Ok(out)
}

/// `run_uuid → [(model id, artifact location)]` of the models runs logged (MLflow 3's
/// `logged_models`; none in older databases), in model id order.
fn logged_models(conn: &Connection) -> rusqlite::Result<HashMap<String, Vec<(String, String)>>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if !table_names(conn)?.iter().any(|t| t == "logged_models") {
        return Ok(out);
    }
    let mut stmt = conn.prepare(
        "SELECT source_run_id, model_id, artifact_location FROM logged_models
         WHERE source_run_id IS NOT NULL AND artifact_location IS NOT NULL ORDER BY model_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().push((r.get(1)?, r.get(2)?));
    }
    Ok(out)
}

/// `run_uuid → [(key, value)]` from a params or tags table.
fn key_values(conn: &Connection, table: &str) -> rusqlite::Result<HashMap<String, Vec<(String, String)>>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut stmt = conn.prepare(&format!("SELECT run_uuid, key, value FROM {table} ORDER BY run_uuid, key"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let value: Option<String> = r.get(2)?;
        out.entry(r.get(0)?).or_default().push((r.get(1)?, value.unwrap_or_default()));
    }
    Ok(out)
}

type RunSeries = HashMap<String, Vec<(String, Vec<Point>)>>;

/// Metric rows with `after < rowid <= high`, grouped by run then key, in insertion order;
/// rows at or below a run's own mark in `run_marks` are skipped (already indexed).
fn read_metrics(conn: &Connection, schema: &Schema, after: i64, high: i64, run_marks: &HashMap<&str, i64>) -> rusqlite::Result<RunSeries> {
    let step = if schema.metric_step { "step" } else { "0" };
    let is_nan = if schema.metric_is_nan { "is_nan" } else { "0" };
    let sql = format!("SELECT run_uuid, key, timestamp, {step}, value, {is_nan}, rowid FROM metrics WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([after, high])?;
    let mut by_run: HashMap<String, HashMap<String, usize>> = HashMap::new();
    let mut out: RunSeries = HashMap::new();
    while let Some(r) = rows.next()? {
        let run: String = r.get(0)?;
        let rowid: i64 = r.get(6)?;
        if run_marks.get(run.as_str()).is_some_and(|&m| rowid <= m) {
            continue;
        }
        let key: String = r.get(1)?;
        let nan: bool = r.get::<_, Option<bool>>(5)?.unwrap_or(false);
        // NaN is stored as 0 with is_nan set; ±inf as ±f64::MAX.
        let stored: f64 = r.get::<_, Option<f64>>(4)?.unwrap_or(f64::NAN);
        let value = if nan {
            f64::NAN
        } else if stored == f64::MAX {
            f64::INFINITY
        } else if stored == f64::MIN {
            f64::NEG_INFINITY
        } else {
            stored
        };
        let point = Point { step: r.get::<_, Option<i64>>(3)?.unwrap_or(0), time_ms: r.get::<_, Option<i64>>(2)?.unwrap_or(0), value };
        let list = out.entry(run.clone()).or_default();
        let index = by_run.entry(run).or_default();
        let i = *index.entry(key.clone()).or_insert_with(|| {
            list.push((key, Vec::new()));
            list.len() - 1
        });
        list[i].1.push(point);
    }
    Ok(out)
}

fn value_text(v: rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t,
        Value::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Null => String::new(),
    }
}
