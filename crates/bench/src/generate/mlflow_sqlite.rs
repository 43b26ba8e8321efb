//! An MLflow SQLite store (`mlflow.db`) with many small runs, for the query benchmarks:
//! 100k runs as a folder store would be millions of files. It starts from the fixture
//! database MLflow 3.17.2 wrote (its real schema and alembic version), emptied, then
//! filled with runs as MLflow's SQL store records them: `runs`, `params`, `tags`,
//! `metrics` and `latest_metrics` rows.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use super::{BASE_MS, MetricModel, USERS, hparams, run_name};
use crate::rng::Rng;

/// `tests/fixtures/mlflow-sqlite/mlflow.db`, written by MLflow itself.
const FIXTURE_DB: &[u8] = include_bytes!("../../../../tests/fixtures/mlflow-sqlite/mlflow.db");

/// Salt of this generator's random streams, so its runs differ from the folder store's.
const SALT: u64 = 0x5a17_0db0;

/// Tables kept as they are: the schema version and the default workspace.
const KEEP: &[&str] = &["alembic_version", "workspaces"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub runs: usize,
    pub params: usize,
    pub metrics: usize,
    pub points: usize,
    pub experiments: usize,
    pub seed: u64,
}

impl Shape {
    pub fn for_runs(runs: usize, seed: u64) -> Shape {
        Shape { runs, params: 10, metrics: 5, points: 3, experiments: 5, seed }
    }

    pub fn name(&self) -> String {
        format!("mlflow-sqlite-{}r-{}p-{}m-{}pt-seed{}", self.runs, self.params, self.metrics, self.points, self.seed)
    }

    pub fn describe(&self) -> String {
        format!(
            "MLflow SQLite store: {} runs in {} experiments, {} params, 5 tags, {} metrics x {} points each, seed {}",
            self.runs, self.experiments, self.params, self.metrics, self.points, self.seed
        )
    }
}

/// Statuses as MLflow's SQL store writes them, with realistic frequencies.
fn status(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..90 => "FINISHED",
        90..96 => "FAILED",
        96..98 => "KILLED",
        _ => "RUNNING",
    }
}

/// Writes `dir/mlflow.db` and returns `mlflow.db`.
pub fn generate(dir: &Path, shape: Shape) -> Result<PathBuf> {
    let path = dir.join("mlflow.db");
    std::fs::write(&path, FIXTURE_DB)?;
    let mut conn = Connection::open(&path)?;
    conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;")?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let tx = conn.transaction()?;
    for table in tables.iter().filter(|t| !KEEP.contains(&t.as_str())) {
        tx.execute(&format!("DELETE FROM \"{table}\""), []).with_context(|| format!("emptying {table}"))?;
    }
    let artifact_root = "mlflow-artifacts:";
    let mut experiments = vec![(0i64, "Default".to_string())];
    for e in 1..=shape.experiments as i64 {
        experiments.push((e, format!("sweep-{e:02}")));
    }
    for (id, name) in &experiments {
        tx.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace)
             VALUES (?1, ?2, ?3, 'active', ?4, ?4, 'default')",
            params![id, name, format!("{artifact_root}/{id}"), BASE_MS - 86_400_000],
        )?;
    }
    {
        let mut run_stmt = tx.prepare(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
                               source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
             VALUES (?1, ?2, 'UNKNOWN', '', '', ?3, ?4, ?5, ?6, '', 'active', ?7, ?8, NULL)",
        )?;
        let mut param_stmt = tx.prepare("INSERT INTO params (key, value, run_uuid) VALUES (?1, ?2, ?3)")?;
        let mut tag_stmt = tx.prepare("INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3)")?;
        let mut metric_stmt = tx.prepare("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, 0)")?;
        let mut latest_stmt =
            tx.prepare("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?1, ?2, ?3, ?4, 0, ?5)")?;
        for i in 0..shape.runs {
            let mut rng = Rng::new(shape.seed ^ SALT, i as u64);
            let run_id = rng.hex32();
            let name = run_name(&mut rng);
            let user = *rng.pick(USERS);
            let commit = rng.hex40();
            let exp = 1 + rng.below(shape.experiments as u64) as i64;
            let status = status(&mut rng);
            let hp = hparams(&mut rng, shape.params);
            let model = MetricModel::new(&mut rng, &hp, shape.metrics);
            let start = BASE_MS + i as i64 * 60_000 + rng.below(30_000) as i64;
            let duration = 600_000 + rng.below(7_200_000) as i64;
            let end = if status == "RUNNING" { None } else { Some(start + duration) };
            run_stmt.execute(params![run_id, name, user, status, start, end, format!("{artifact_root}/{exp}/{run_id}/artifacts"), exp])?;
            for (key, value) in &hp.params {
                param_stmt.execute(params![key, value, run_id])?;
            }
            for (key, value) in [
                ("mlflow.runName", name.as_str()),
                ("mlflow.user", user),
                ("mlflow.source.name", "/home/researcher/projects/vision-experiments/train.py"),
                ("mlflow.source.type", "LOCAL"),
                ("mlflow.source.git.commit", commit.as_str()),
            ] {
                tag_stmt.execute(params![key, value, run_id])?;
            }
            let denominator = (shape.points.max(2) - 1) as f64;
            for (m, key) in model.keys().enumerate() {
                let mut last = None;
                for p in 0..shape.points {
                    let value = model.value(m, p as f64 / denominator, &mut rng);
                    let step = (p * 100) as i64;
                    let ts = start + duration * p as i64 / shape.points.max(1) as i64;
                    metric_stmt.execute(params![key, value, ts, run_id, step])?;
                    last = Some((value, ts, step));
                }
                if let Some((value, ts, step)) = last {
                    latest_stmt.execute(params![key, value, ts, step, run_id])?;
                }
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("VACUUM;")?;
    drop(conn);
    Ok("mlflow.db".into())
}
