//! Reading the index back as plain structs: runs with their params, tags and metric
//! summaries, one series at full resolution, stores and their warnings.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use runlens_sources::{DatasetInput, Point, Provenance};
use rusqlite::{OptionalExtension, Row, params};

use crate::filter::eval::{EvalError, RidSet, evaluate};
use crate::filter::{Agg, Field, SortKey};
use crate::series::{load_points, nan_if_null};
use crate::{Index, IndexError};
use rusqlite::vtab::array::Array;

/// One run, as every consumer (CLI JSON, app, reports) sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Stable Runlens id (uuid v5 of reader, store root and native id).
    pub id: String,
    pub store_id: i64,
    /// Root of the store the run is in.
    pub store: String,
    /// `source` name of the store kind (`mlflow`, ...).
    pub source: String,
    /// The run's id inside its store.
    pub native_id: String,
    pub experiment: Option<String>,
    pub name: String,
    /// `running|finished|failed|killed|scheduled|unknown`.
    pub status: String,
    pub deleted: bool,
    /// Runlens id of the parent run.
    pub parent: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub user: Option<String>,
    /// The provenance's git commit.
    pub commit: Option<String>,
    pub artifact_dir: Option<String>,
    /// The total size of the files its store lists for it (not those inside its logs):
    /// `artifacts.size` in filters.
    pub artifact_bytes: u64,
    /// Where the run came from (see [`crate::provenance`]). Only [`Index::run`] loads it;
    /// lists of runs leave it `None`, so the runs table reads no more than it shows.
    pub provenance: Option<Provenance>,
    pub params: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, MetricSummary>,
    /// The user's own data (never from the store; see `annotations.rs`).
    pub starred: bool,
    pub note: String,
    /// Sorted.
    pub labels: Vec<String>,
}

/// Summary of one metric series (NaN where a value is NaN); `first`/`last` in logging
/// order, as the trackers report them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSummary {
    pub first: f64,
    pub last: f64,
    pub min: f64,
    pub max: f64,
    pub count: u64,
    pub first_step: i64,
    pub last_step: i64,
    pub max_step: i64,
    /// Value at `max_step` (MLflow's "latest").
    pub latest: f64,
}

/// Which runs [`Index::runs`] returns, in which order.
#[derive(Debug, Clone, Default)]
pub struct RunsQuery {
    /// Include runs the user deleted in their tracker.
    pub include_deleted: bool,
    /// A filter in the filter language (see [`crate::filter`]); `None` or blank: all runs.
    pub filter: Option<String>,
    /// Sort keys, most significant first (`metrics.loss.min`, `-started`); after them,
    /// newest first.
    pub sort: Vec<String>,
    /// Skip this many matching runs (paging).
    pub offset: u64,
    /// Return at most this many (paging); `None`: all.
    pub limit: Option<u64>,
}

/// A registered store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub id: i64,
    /// [`runlens_sources::Reader::id`], e.g. `mlflow-file`.
    pub reader: String,
    pub source: String,
    pub root: String,
    pub runs: u64,
    pub warnings: u64,
    pub scanned_ms: Option<i64>,
    /// Why the last scan could not read the store at all.
    pub error: Option<String>,
    /// What kind of problem `error` is.
    pub error_kind: Option<crate::kinds::ErrorKind>,
}

/// A problem found in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreWarning {
    pub store_id: i64,
    pub file: Option<String>,
    pub location: Option<String>,
    pub message: String,
}

const STORE_COLUMNS: &str = "s.id, s.reader, s.source, s.root, s.scanned_ms, s.error,
    (SELECT count(*) FROM runs r WHERE r.store_id = s.id),
    (SELECT count(*) FROM warnings w WHERE w.store_id = s.id), s.error_kind";

fn store_from_row(r: &Row) -> rusqlite::Result<StoreInfo> {
    Ok(StoreInfo {
        id: r.get(0)?,
        reader: r.get(1)?,
        source: r.get(2)?,
        root: r.get(3)?,
        scanned_ms: r.get(4)?,
        error: r.get(5)?,
        runs: r.get::<_, i64>(6)? as u64,
        warnings: r.get::<_, i64>(7)? as u64,
        error_kind: r.get::<_, Option<String>>(8)?.map(|c| crate::kinds::ErrorKind::from_code(&c)),
    })
}

impl Index {
    /// Every registered store, in registration order.
    pub fn stores(&self) -> Result<Vec<StoreInfo>, IndexError> {
        let mut stmt = self.conn.prepare(&format!("SELECT {STORE_COLUMNS} FROM stores s ORDER BY s.id"))?;
        let rows = stmt.query_map([], store_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn store(&self, id: i64) -> Result<Option<StoreInfo>, IndexError> {
        Ok(self.conn.query_row(&format!("SELECT {STORE_COLUMNS} FROM stores s WHERE s.id = ?1"), [id], store_from_row).optional()?)
    }

    /// Warnings of one store, or of all stores.
    pub fn warnings(&self, store_id: Option<i64>) -> Result<Vec<StoreWarning>, IndexError> {
        let mut stmt = self
            .conn
            .prepare("SELECT store_id, file, location, message FROM warnings WHERE ?1 IS NULL OR store_id = ?1 ORDER BY store_id, file, id")?;
        let rows =
            stmt.query_map([store_id], |r| Ok(StoreWarning { store_id: r.get(0)?, file: r.get(1)?, location: r.get(2)?, message: r.get(3)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Runs with their params, tags and metric summaries: those matching the query's
    /// filter, in its order (newest first by default).
    pub fn runs(&self, query: &RunsQuery) -> Result<Vec<RunRecord>, IndexError> {
        Ok(self.runs_page(query)?.0)
    }

    /// How many runs match the query's filter (ignoring its paging).
    pub fn count_runs(&self, query: &RunsQuery) -> Result<u64, IndexError> {
        Ok(self.matching(query)?.len())
    }

    /// [`Index::runs`] and [`Index::count_runs`] from one evaluation of the filter: what
    /// a table page needs.
    pub fn runs_page(&self, query: &RunsQuery) -> Result<(Vec<RunRecord>, u64), IndexError> {
        let (rids, total) = self.page_rids(query)?;
        let runs = if rids.len() <= 2000 {
            let args: Vec<&dyn rusqlite::ToSql> = rids.iter().map(|r| r as &dyn rusqlite::ToSql).collect();
            self.load_runs(&format!("r.rid IN ({})", vec!["?"; rids.len()].join(", ")), &args, Some(&rids), false)?
        } else {
            let array: Array = std::rc::Rc::new(rids.iter().map(|r| rusqlite::types::Value::Integer(*r)).collect());
            self.load_runs("r.rid IN rarray(?1)", &[&array], Some(&rids), false)?
        };
        Ok((runs, total))
    }

    /// The row ids of the query's page, in its order, and how many runs match in all.
    fn page_rids(&self, query: &RunsQuery) -> Result<(Vec<i64>, u64), IndexError> {
        let matching = self.matching(query)?;
        let keys: Vec<SortKey> = query.sort.iter().map(|s| crate::filter::parse_sort(s)).collect::<Result<_, _>>().map_err(IndexError::Sort)?;
        Ok((self.ordered(&matching, &keys, query.offset, query.limit)?, matching.len()))
    }

    /// The ids of the runs the query keeps, in its order, without loading them (what a
    /// "select every matching run" needs, at any number of runs).
    pub fn run_ids(&self, query: &RunsQuery) -> Result<Vec<String>, IndexError> {
        let (rids, _) = self.page_rids(query)?;
        let array: Array = std::rc::Rc::new(rids.iter().map(|r| rusqlite::types::Value::Integer(*r)).collect());
        let mut stmt = self.conn.prepare_cached("SELECT rid, id FROM runs WHERE rid IN rarray(?1)")?;
        let ids: std::collections::HashMap<i64, String> = stmt.query_map([&array], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(rids.iter().filter_map(|r| ids.get(r).cloned()).collect())
    }

    /// The runs the query's filter keeps, as a set of row ids.
    fn matching(&self, query: &RunsQuery) -> Result<RidSet, IndexError> {
        let universe_sql = if query.include_deleted { "SELECT rid FROM runs" } else { "SELECT rid FROM runs WHERE deleted = 0" };
        let universe = RidSet::query(&self.conn, universe_sql, [])?;
        match query.filter.as_deref().map(crate::filter::parse).transpose()?.flatten() {
            Some(expr) => {
                // Hashes are computed when first asked for (hashes.rs).
                if expr.mentions(&|f| matches!(f, crate::filter::Field::Artifacts(crate::filter::ArtifactKey::Hash))) {
                    self.hash_all_artifacts()?;
                }
                evaluate(&self.conn, &expr, &universe).map_err(|e| match e {
                    EvalError::Filter(f) => IndexError::Filter(f),
                    EvalError::Sqlite(e) => IndexError::Sqlite(e),
                })
            }
            None => Ok(universe),
        }
    }

    /// The row ids of `set` in the order of `keys` (newest first after them), paged.
    /// The default order and a leading metric sort walk an index in that order and stop
    /// once the page is full; other orders sort the set in SQL.
    fn ordered(&self, set: &RidSet, keys: &[SortKey], offset: u64, limit: Option<u64>) -> Result<Vec<i64>, IndexError> {
        let wanted = limit.map(|l| offset.saturating_add(l)).unwrap_or(u64::MAX);
        let mut out: Vec<i64> = Vec::new();
        let mut taken = RidSet::default();
        // Appends the set's members from `sql` (a query of row ids) in its order.
        let mut walk = |sql: &str, params: &[&dyn rusqlite::ToSql], out: &mut Vec<i64>| -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while (out.len() as u64) < wanted {
                let Some(row) = rows.next()? else { break };
                let rid: i64 = row.get(0)?;
                if set.contains(rid) && !taken.contains(rid) {
                    taken.insert(rid);
                    out.push(rid);
                }
            }
            Ok(())
        };
        const NEWEST_FIRST: &str = "SELECT rid FROM runs INDEXED BY runs_started ORDER BY start_ms DESC, name, id";
        match keys {
            [] => walk(NEWEST_FIRST, &[], &mut out)?,
            [SortKey { field: Field::Metric { key, agg }, descending }] if indexed_aggregate(*agg) => {
                // Runs with a value in the metric's index order, then the others, newest first.
                let column = agg.column();
                let sql = format!(
                    "SELECT rid FROM metrics INDEXED BY metrics_{column} WHERE key = ?1 AND {column} IS NOT NULL ORDER BY {column} {}, rid",
                    if *descending { "DESC" } else { "ASC" }
                );
                walk(&sql, &[key], &mut out)?;
                walk(NEWEST_FIRST, &[], &mut out)?;
            }
            _ => {
                let (order, params) = run_order(keys);
                let array: Array = std::rc::Rc::new(set.iter().map(rusqlite::types::Value::Integer).collect());
                let sql = format!("SELECT r.rid FROM runs r WHERE r.rid IN rarray(?) ORDER BY {order}");
                let mut args: Vec<&dyn rusqlite::ToSql> = vec![&array];
                args.extend(params.iter().map(|p| p as &dyn rusqlite::ToSql));
                walk(&sql, &args, &mut out)?;
            }
        }
        Ok(out.into_iter().skip(offset as usize).collect())
    }

    /// The metric keys of the given runs, those most runs share first (then by name).
    pub fn metric_keys(&self, run_ids: &[String]) -> Result<Vec<(String, u64)>, IndexError> {
        if run_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT m.key, count(*) AS n FROM metrics m JOIN runs r ON r.rid = m.rid WHERE r.id IN ({})
             GROUP BY m.key ORDER BY n DESC, m.key",
            vec!["?"; run_ids.len()].join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(run_ids.iter()), |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The runs with these ids (at most a few hundred), by row id.
    pub(crate) fn runs_where_id_in(&self, ids: &[String]) -> Result<Vec<RunRecord>, IndexError> {
        let args: Vec<&dyn rusqlite::ToSql> = ids.iter().map(|r| r as &dyn rusqlite::ToSql).collect();
        self.load_runs(&format!("r.id IN ({})", vec!["?"; ids.len()].join(", ")), &args, None, true)
    }

    /// One run by id (deleted or not), with its provenance.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, IndexError> {
        Ok(self.load_runs("r.id = ?1", rusqlite::params![run_id], None, true)?.pop())
    }

    /// Runs matching `run_where` (over `runs r`, with parameters `args`) with their
    /// params, tags and metric summaries (and provenance, when `with_provenance`); in the
    /// order of `output_order` (row ids) when given, else by row id.
    fn load_runs(
        &self,
        run_where: &str,
        args: &[&dyn rusqlite::ToSql],
        output_order: Option<&[i64]>,
        with_provenance: bool,
    ) -> Result<Vec<RunRecord>, IndexError> {
        let provenance = if with_provenance { "r.provenance" } else { "NULL" };
        let bytes = crate::filter::ARTIFACT_BYTES;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT r.rid, r.id, r.store_id, s.root, s.source, r.native_id, r.experiment, r.name, r.status, r.deleted,
                    r.parent, r.start_ms, r.end_ms, r.user, r.git_commit, r.artifact_dir, {provenance},
                    {bytes}
             FROM runs r JOIN stores s ON s.id = r.store_id
             WHERE {run_where}
             ORDER BY r.rid"
        ))?;
        let mut order: Vec<i64> = Vec::new();
        let mut runs: HashMap<i64, RunRecord> = HashMap::new();
        let rows = stmt.query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                RunRecord {
                    id: r.get(1)?,
                    store_id: r.get(2)?,
                    store: r.get(3)?,
                    source: r.get(4)?,
                    native_id: r.get(5)?,
                    experiment: r.get(6)?,
                    name: r.get(7)?,
                    status: r.get(8)?,
                    deleted: r.get(9)?,
                    parent: r.get(10)?,
                    start_ms: r.get(11)?,
                    end_ms: r.get(12)?,
                    user: r.get(13)?,
                    commit: r.get(14)?,
                    artifact_dir: r.get(15)?,
                    artifact_bytes: r.get::<_, i64>(17)? as u64,
                    provenance: with_provenance
                        .then(|| r.get::<_, Option<String>>(16))
                        .transpose()?
                        .map(|text| text.as_deref().map(crate::provenance::from_json).unwrap_or_default()),
                    params: BTreeMap::new(),
                    tags: BTreeMap::new(),
                    metrics: BTreeMap::new(),
                    starred: false,
                    note: String::new(),
                    labels: Vec::new(),
                },
            ))
        })?;
        for row in rows {
            let (rid, run) = row?;
            order.push(rid);
            runs.insert(rid, run);
        }
        // Details for the selected runs only, unless they are most of the index.
        let (rid_where, rid_args): (String, Vec<i64>) =
            if order.len() <= 2000 { (format!("rid IN ({})", vec!["?"; order.len()].join(", ")), order.clone()) } else { ("1".into(), Vec::new()) };
        if order.is_empty() {
            return Ok(Vec::new());
        }
        let rid_params = rusqlite::params_from_iter(rid_args.iter());
        for (table, is_params) in [("params", true), ("tags", false)] {
            let mut stmt = self.conn.prepare(&format!("SELECT rid, key, value FROM {table} WHERE {rid_where}"))?;
            let mut rows = stmt.query(rid_params.clone())?;
            // Rows come in (rid, key) order, the table's key: each run's pairs are
            // gathered, then built into its map at once (already sorted: no search per key).
            let mut gathered: Vec<(i64, Vec<(String, String)>)> = Vec::new();
            while let Some(r) = rows.next()? {
                let rid = r.get::<_, i64>(0)?;
                if gathered.last().is_none_or(|(last, _)| *last != rid) {
                    gathered.push((rid, Vec::new()));
                }
                gathered.last_mut().expect("pushed above").1.push((r.get(1)?, r.get(2)?));
            }
            for (rid, pairs) in gathered {
                if let Some(run) = runs.get_mut(&rid) {
                    let map = if is_params { &mut run.params } else { &mut run.tags };
                    if map.is_empty() {
                        *map = pairs.into_iter().collect();
                    } else {
                        map.extend(pairs);
                    }
                }
            }
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT rid, key, first, last, min, max, count, first_step, last_step, max_step, latest FROM metrics WHERE {rid_where}"
        ))?;
        let mut rows = stmt.query(rid_params)?;
        while let Some(r) = rows.next()? {
            if let Some(run) = runs.get_mut(&r.get::<_, i64>(0)?) {
                run.metrics.insert(
                    r.get(1)?,
                    MetricSummary {
                        first: nan_if_null(r.get(2)?),
                        last: nan_if_null(r.get(3)?),
                        min: nan_if_null(r.get(4)?),
                        max: nan_if_null(r.get(5)?),
                        count: r.get::<_, i64>(6)? as u64,
                        first_step: r.get(7)?,
                        last_step: r.get(8)?,
                        max_step: r.get(9)?,
                        latest: nan_if_null(r.get(10)?),
                    },
                );
            }
        }
        let r_where = if rid_args.is_empty() { rid_where.clone() } else { format!("r.{rid_where}") };
        crate::annotations::load(&self.conn, &mut runs, &r_where, &rid_args)?;
        let order = output_order.map(<[i64]>::to_vec).unwrap_or(order);
        Ok(order.into_iter().filter_map(|rid| runs.remove(&rid)).collect())
    }

    /// A run's files, by path: those its store lists (paths relative to its artifact
    /// folder, `/`-separated) and those of the folders attached to it ([`crate::attached`]).
    pub fn artifacts(&self, run_id: &str) -> Result<Vec<RunFile>, IndexError> {
        let mut files = self.store_files(run_id)?;
        let dir: Option<String> = self.conn.query_row("SELECT artifact_dir FROM runs WHERE id = ?1", [run_id], |r| r.get(0))?;
        if let Some(dir) = dir {
            // As they are now (symlinks not followed: nothing outside the folder is looked at).
            for f in files.iter_mut().filter(|f| f.origin.is_none()) {
                f.modified_ms = std::fs::symlink_metadata(Path::new(&dir).join(&f.path)).ok().and_then(|m| modified_ms(&m));
            }
        }
        self.add_attached_files(run_id, &mut files)?;
        Ok(files)
    }

    /// The files a run's store lists for it, by path.
    pub(crate) fn store_files(&self, run_id: &str) -> Result<Vec<RunFile>, IndexError> {
        let rid: Option<i64> = self.conn.query_row("SELECT rid FROM runs WHERE id = ?1", [run_id], |r| r.get(0)).optional()?;
        let rid = rid.ok_or_else(|| IndexError::UnknownRun(run_id.to_string()))?;
        let mut stmt = self.conn.prepare("SELECT path, size, origin FROM artifacts WHERE rid = ?1 ORDER BY path")?;
        let rows = stmt.query_map([rid], |r| {
            let path: String = r.get(0)?;
            Ok(RunFile {
                kind: crate::artifacts::file_type(&path),
                path,
                size: r.get::<_, i64>(1)? as u64,
                origin: r.get(2)?,
                attached: None,
                modified_ms: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The datasets of a run (MLflow dataset inputs, W&B logged artifacts, the outputs
    /// of a DVC project), by name.
    pub fn datasets(&self, run_id: &str) -> Result<Vec<DatasetInput>, IndexError> {
        let rid: Option<i64> = self.conn.query_row("SELECT rid FROM runs WHERE id = ?1", [run_id], |r| r.get(0)).optional()?;
        let rid = rid.ok_or_else(|| IndexError::UnknownRun(run_id.to_string()))?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT '', {DATASET_COLUMNS} FROM datasets d WHERE d.rid = ?1 ORDER BY d.name, d.digest, d.context"))?;
        let rows = stmt.query_map([rid], |r| dataset_row(r).map(|(_, d)| d))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The datasets of each of runs `ids` (as [`Index::datasets`] lists them), by run id,
    /// in one query per 500 runs; a run without any is absent.
    pub(crate) fn datasets_of(&self, ids: &[&str]) -> Result<HashMap<String, Vec<DatasetInput>>, IndexError> {
        let mut out: HashMap<String, Vec<DatasetInput>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT r.id, {DATASET_COLUMNS} FROM datasets d JOIN runs r ON r.rid = d.rid
                 WHERE r.id IN ({}) ORDER BY r.id, d.name, d.digest, d.context",
                vec!["?"; chunk.len()].join(", ")
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(chunk), dataset_row)?;
            for row in rows {
                let (id, d) = row?;
                out.entry(id).or_default().push(d);
            }
        }
        Ok(out)
    }

    /// Every stored point of one metric of one run, sorted by step. `Ok(None)` when the
    /// run has no such metric; an error when there is no such run.
    pub fn series(&self, run_id: &str, key: &str) -> Result<Option<Vec<Point>>, IndexError> {
        let rid: Option<i64> = self.conn.query_row("SELECT rid FROM runs WHERE id = ?1", [run_id], |r| r.get(0)).optional()?;
        let rid = rid.ok_or_else(|| IndexError::UnknownRun(run_id.to_string()))?;
        let sid: Option<i64> =
            self.conn.query_row("SELECT sid FROM metrics WHERE rid = ?1 AND key = ?2", params![rid, key], |r| r.get(0)).optional()?;
        match sid {
            Some(sid) => Ok(Some(load_points(&self.conn, sid)?)),
            None => Ok(None),
        }
    }
}

/// One of a run's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFile {
    /// `/`-separated, relative to the run's artifact folder or to the attached folder.
    pub path: String,
    pub size: u64,
    /// For a file inside a log (TensorBoard images): `<log relative to the store root>#<byte offset>`.
    pub origin: Option<String>,
    /// For a file of a folder the user attached to the run: that folder.
    pub attached: Option<String>,
    /// When it was last modified (ms since the epoch), as it is on disk now (`None` for
    /// a file inside a log, or one that is not there); filled by [`Index::artifacts`].
    pub modified_ms: Option<i64>,
    /// What kind of file it is, by its name ([`crate::artifacts::file_type`]).
    pub kind: &'static str,
}

/// Metric aggregates with a `metrics_<column>` index of `(key, <column>, rid)`.
fn indexed_aggregate(agg: Agg) -> bool {
    matches!(agg, Agg::Latest | Agg::Min | Agg::Max)
}

/// The `ORDER BY` list and parameters for sort keys; newest first breaks ties.
fn run_order(keys: &[SortKey]) -> (String, Vec<rusqlite::types::Value>) {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    for key in keys {
        let direction = if key.descending { "DESC" } else { "ASC" };
        for expr in crate::filter::compile_sort(key) {
            // Runs without the value go last whatever the direction; the expression
            // appears twice, so its parameters do too.
            parts.push(format!("{0} IS NULL, {0} {direction}", expr.sql));
            params.extend(expr.params.iter().cloned());
            params.extend(expr.params);
        }
    }
    parts.push("r.start_ms DESC, r.name, r.id".to_string());
    (parts.join(", "), params)
}

/// The columns of a `datasets d` row [`dataset_row`] reads, after the run id.
const DATASET_COLUMNS: &str = "d.name, d.digest, d.context, d.source_type, d.source";

/// A run id and one of its datasets, from a row of the run id and [`DATASET_COLUMNS`].
fn dataset_row(r: &Row) -> rusqlite::Result<(String, DatasetInput)> {
    Ok((r.get(0)?, DatasetInput { name: r.get(1)?, digest: r.get(2)?, context: r.get(3)?, source_type: r.get(4)?, source: r.get(5)? }))
}

/// A file's modification time in ms since the epoch.
fn modified_ms(meta: &std::fs::Metadata) -> Option<i64> {
    let since = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}
