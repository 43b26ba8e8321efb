//! Helpers shared by the CLI's tests: the binary, fixtures, and generated stores.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tests/fixtures/<name>` at the repository root.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `runlens --db DB ARGS...` to completion.
pub fn runlens(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlens")).arg("--db").arg(db).args(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Writes an MLflow folder store with `runs` runs of `keys` metrics × `steps` points;
/// returns the metric files.
pub fn write_store(root: &Path, runs: usize, keys: usize, steps: usize) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let exp = root.join("1");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join("meta.yaml"), "experiment_id: '1'\nlifecycle_stage: active\nname: big\n").unwrap();
    for r in 0..runs {
        let id = format!("{r:032x}");
        let run = exp.join(&id);
        for d in ["metrics", "params", "artifacts", "tags"] {
            std::fs::create_dir_all(run.join(d)).unwrap();
        }
        std::fs::write(
            run.join("meta.yaml"),
            format!(
                "run_id: {id}\nexperiment_id: '1'\nrun_name: run-{r}\nstatus: 3\nstart_time: {r}\nend_time: {}\nlifecycle_stage: active\n",
                r + 1
            ),
        )
        .unwrap();
        std::fs::write(run.join("params/lr"), format!("0.{r}")).unwrap();
        for k in 0..keys {
            let mut text = String::with_capacity(steps * 32);
            for s in 0..steps {
                text.push_str(&format!("{} {} {s}\n", 1_700_000_000_000u64 + s as u64, (s as f64 * 0.37 + k as f64).sin()));
            }
            let path = run.join(format!("metrics/m{k}"));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    files
}
