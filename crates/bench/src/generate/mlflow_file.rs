//! An MLflow folder store (`mlruns/`) exactly as MLflow 3 writes it: experiment and run
//! `meta.yaml` with MLflow's keys, one file per param and tag (no trailing newline), one
//! file per metric with `"<ms> <value> <step>\n"` lines (Python float repr), keys with `/`
//! as nested folders, and an `artifacts/` folder per run.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::Result;

use super::{BASE_MS, MetricModel, USERS, hparams, run_name};
use crate::rng::{Rng, python_float_repr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub runs: usize,
    pub params: usize,
    pub metrics: usize,
    pub steps: usize,
    pub seed: u64,
}

impl Shape {
    pub fn points(&self) -> u64 {
        (self.runs * self.metrics * self.steps) as u64
    }

    pub fn name(&self) -> String {
        format!("mlflow-file-{}r-{}p-{}m-{}s-seed{}", self.runs, self.params, self.metrics, self.steps, self.seed)
    }

    pub fn describe(&self) -> String {
        format!(
            "MLflow folder store: {} runs x {} params x {} metrics x {} steps ({} points), seed {}",
            self.runs,
            self.params,
            self.metrics,
            self.steps,
            self.points(),
            self.seed
        )
    }
}

/// Ids of the generated store's experiments: `0` (Default, empty, as MLflow always
/// creates it) and one large random id holding every run.
pub fn experiment_id(seed: u64) -> String {
    let mut rng = Rng::new(seed, u64::MAX);
    (100_000_000_000_000_000 + rng.below(800_000_000_000_000_000)).to_string()
}

/// Writes `dir/mlruns` and returns `mlruns`.
pub fn generate(dir: &Path, shape: Shape) -> Result<std::path::PathBuf> {
    let root = dir.join("mlruns");
    fs::create_dir_all(&root)?;
    let root = fs::canonicalize(&root)?;
    let exp = experiment_id(shape.seed);
    write_experiment(&root, "0", "Default", BASE_MS - 86_400_000)?;
    write_experiment(&root, &exp, "bench", BASE_MS - 3_600_000)?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let errors: Vec<anyhow::Error> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (root, exp) = (&root, &exp);
                s.spawn(move || -> Result<()> {
                    for i in (t..shape.runs).step_by(threads) {
                        write_run(root, exp, i, shape)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().expect("generator thread panicked").err()).collect()
    });
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok("mlruns".into())
}

fn write_experiment(root: &Path, id: &str, name: &str, created_ms: i64) -> Result<()> {
    let dir = root.join(id);
    fs::create_dir_all(&dir)?;
    fs::write(
        dir.join("meta.yaml"),
        format!(
            "artifact_location: file://{root}/{id}\ncreation_time: {created_ms}\neffective_trace_archival_retention: null\n\
             experiment_id: '{id}'\nlast_update_time: {created_ms}\nlifecycle_stage: active\nname: {name}\n\
             trace_location: null\nworkspace: default\n",
            root = root.display()
        ),
    )?;
    Ok(())
}

/// One run: everything in it follows from (seed, index).
fn write_run(root: &Path, exp: &str, index: usize, shape: Shape) -> Result<()> {
    let mut rng = Rng::new(shape.seed, index as u64);
    let run_id = rng.hex32();
    let name = run_name(&mut rng);
    let user = *rng.pick(USERS);
    let commit = rng.hex40();
    let hp = hparams(&mut rng, shape.params);
    let model = MetricModel::new(&mut rng, &hp, shape.metrics);
    let start_ms = BASE_MS + index as i64 * 600_000 + rng.below(60_000) as i64;
    let interval_ms = 800 + rng.below(1500) as i64;

    let dir = root.join(exp).join(&run_id);
    for sub in ["metrics", "params", "tags", "artifacts"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    for (key, value) in &hp.params {
        fs::write(dir.join("params").join(key), value)?;
    }
    let tags = [
        ("mlflow.runName", name.as_str()),
        ("mlflow.user", user),
        ("mlflow.source.name", "/home/researcher/projects/vision-experiments/train.py"),
        ("mlflow.source.type", "LOCAL"),
        ("mlflow.source.git.commit", commit.as_str()),
        ("mlflow.source.git.branch", "main"),
        ("mlflow.source.git.repoURL", "https://github.com/example-org/vision-experiments.git"),
    ];
    for (key, value) in tags {
        fs::write(dir.join("tags").join(key), value)?;
    }

    // MLflow's log_metrics writes every metric of a step with the same timestamp.
    let times: Vec<i64> = (0..shape.steps).map(|s| start_ms + s as i64 * interval_ms + rng.below(50) as i64).collect();
    let denominator = (shape.steps.max(2) - 1) as f64;
    let mut text = String::new();
    for (m, key) in model.keys().enumerate() {
        text.clear();
        for (step, ms) in times.iter().enumerate() {
            let value = model.value(m, step as f64 / denominator, &mut rng);
            let _ = writeln!(text, "{ms} {} {step}", python_float_repr(value));
        }
        let path = dir.join("metrics").join(key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, &text)?;
    }
    let end_ms = times.last().copied().unwrap_or(start_ms) + 500;

    fs::write(
        dir.join("meta.yaml"),
        format!(
            "artifact_uri: file://{root}/{exp}/{run_id}/artifacts\nend_time: {end_ms}\nentry_point_name: ''\n\
             experiment_id: '{exp}'\nlifecycle_stage: active\nrun_id: {run_id}\nrun_name: {name}\nsource_name: ''\n\
             source_type: 4\nsource_version: ''\nstart_time: {start_ms}\nstatus: 3\ntags: []\nuser_id: {user}\n",
            root = root.display()
        ),
    )?;
    Ok(())
}
