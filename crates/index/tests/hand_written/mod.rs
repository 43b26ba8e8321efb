//! Checks for the fixtures written by hand (formats no library-made fixture covers):
//! each has its own `expected.json` next to it, derived by hand from its files.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use runlens_index::{RunRecord, RunsQuery};
use serde_json::Value;

use crate::common::{TestIndex, fixture};

/// `tests/fixtures/<kind>/expected.json`.
pub fn expected_of(kind: &str) -> Value {
    let text = std::fs::read_to_string(fixture(kind).join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("valid expected.json")
}

/// The run named `name`.
pub fn run_named(t: &TestIndex, name: &str) -> RunRecord {
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    runs.into_iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name:?}"))
}

/// Compares every run of `exp` with the index, field by field, and the totals; returns
/// the number of runs compared.
pub fn check_runs(t: &TestIndex, exp: &Value, source: &str) -> usize {
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let mut compared = 0;
    for e in exp["experiments"].as_array().unwrap() {
        let exp_name = e["name"].as_str().unwrap();
        for er in e["runs"].as_array().unwrap() {
            let name = er["name"].as_str().unwrap();
            let matching: Vec<&RunRecord> = runs.iter().filter(|r| r.name == name && r.experiment.as_deref() == Some(exp_name)).collect();
            assert_eq!(matching.len(), 1, "run {name:?} in {exp_name:?}");
            check_run(t, matching[0], er, source);
            compared += 1;
        }
    }
    check_totals(t, &runs, &exp["totals"]);
    compared
}

fn check_run(t: &TestIndex, r: &RunRecord, er: &Value, source: &str) {
    let what = format!("{} / {}", r.experiment.as_deref().unwrap_or("-"), r.name);
    assert_eq!(r.source, source, "{what}");
    assert_eq!(r.status, er["status"].as_str().unwrap(), "{what}: status");
    assert!(!r.deleted, "{what}: deleted");
    assert_eq!((r.start_ms, r.end_ms), (None, None), "{what}: these loggers record no times");

    let params: BTreeMap<String, String> =
        er["params"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    assert_eq!(er["n_params"].as_u64(), Some(params.len() as u64), "{what}: expected.json agrees with itself");
    assert_eq!(r.params, params, "{what}: params");
    let tags: BTreeMap<String, String> = er["tags"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    assert_eq!(er["n_tags"].as_u64(), Some(tags.len() as u64));
    assert_eq!(r.tags, tags, "{what}: tags");

    let metrics = er["metrics"].as_object().unwrap();
    let keys: BTreeSet<&str> = r.metrics.keys().map(String::as_str).collect();
    let expected_keys: BTreeSet<&str> = metrics.keys().map(String::as_str).collect();
    assert_eq!(keys, expected_keys, "{what}: metric keys");
    for (key, m) in metrics {
        let got = &r.metrics[key];
        crate::common::check_summary(&what, key, got, m);
        // Every point is stored, and the series reads back at full resolution.
        let points = t.index.series(&r.id, key).unwrap().unwrap();
        assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
        assert!(points.windows(2).all(|w| w[0].step <= w[1].step), "{what}: {key} sorted by step");
        let non_finite = points.iter().filter(|p| !p.value.is_finite()).count() as u64;
        assert_eq!(Some(non_finite), m["non_finite"].as_u64(), "{what}: {key} non-finite points");
    }
    let total: u64 = r.metrics.values().map(|m| m.count).sum();
    assert_eq!(Some(total), er["metric_points"].as_u64(), "{what}: points");

    let mut artifacts: Vec<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
    artifacts.sort();
    let expected_artifacts: Vec<&str> = er["artifacts"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(artifacts, expected_artifacts, "{what}: artifacts");
}

fn check_totals(t: &TestIndex, runs: &[RunRecord], totals: &Value) {
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64(), "runs");
    let experiments: BTreeSet<&str> = runs.iter().filter_map(|r| r.experiment.as_deref()).collect();
    assert_eq!(Some(experiments.len() as u64), totals["experiments"].as_u64(), "experiments");
    assert_eq!(Some(runs.iter().map(|r| r.params.len() as u64).sum()), totals["params"].as_u64(), "params");
    assert_eq!(Some(runs.iter().map(|r| r.tags.len() as u64).sum()), totals["tags"].as_u64(), "tags");
    assert_eq!(Some(runs.iter().map(|r| r.metrics.len() as u64).sum()), totals["metric_keys"].as_u64(), "metric keys");
    let points: u64 = runs.iter().map(|r| r.metrics.values().map(|m| m.count).sum::<u64>()).sum();
    assert_eq!(Some(points), totals["metric_points"].as_u64(), "metric points");
    let artifacts: usize = runs.iter().map(|r| t.index.artifacts(&r.id).unwrap().len()).sum();
    assert_eq!(Some(artifacts as u64), totals["artifacts"].as_u64(), "artifacts");
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for r in runs {
        *by_status.entry(r.status.clone()).or_default() += 1;
    }
    let expected: BTreeMap<String, u64> =
        totals["runs_by_status"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    assert_eq!(by_status, expected, "runs by status");
}

/// Replaces `path` by a named pipe: opening it for reading would block, so a scan that
/// finishes proves the file was never opened.
pub fn make_fifo(path: &std::path::Path) {
    std::fs::remove_file(path).unwrap();
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// Runs `f` on its own thread and fails if it does not finish within a minute.
pub fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("blocked: a file that must never be opened was opened")
}
