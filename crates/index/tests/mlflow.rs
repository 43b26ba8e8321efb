//! MLflow stores (folder and SQLite) indexed from the fixtures agree with what MLflow
//! itself reports for them (`tests/fixtures/expected.json`).

mod common;

use std::collections::BTreeMap;

use common::{TestIndex, expected, fixture};
use runlens_index::{RunRecord, RunsQuery};

/// Compares every run of an MLflow kind in expected.json with the index, field by field,
/// and returns the number of runs compared.
fn check_mlflow_kind(kind: &str, t: &TestIndex) -> usize {
    let exp = expected(kind);
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let by_id: BTreeMap<&str, &RunRecord> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut compared = 0;
    for e in exp["experiments"].as_array().unwrap() {
        let exp_name = e["name"].as_str().unwrap();
        for er in e["runs"].as_array().unwrap() {
            let name = er["name"].as_str().unwrap();
            let matching: Vec<&RunRecord> = runs.iter().filter(|r| r.name == name && r.experiment.as_deref() == Some(exp_name)).collect();
            assert_eq!(matching.len(), 1, "{kind}: run {name:?} in {exp_name:?}");
            let r = matching[0];
            let what = format!("{kind} / {exp_name} / {name}");
            assert_eq!(r.source, "mlflow", "{what}");
            assert_eq!(r.status, er["status"].as_str().unwrap().to_lowercase(), "{what}: status");
            assert_eq!(r.deleted, er["lifecycle_stage"] == "deleted", "{what}: deleted");
            assert_eq!(r.start_ms, er["start_time"].as_i64(), "{what}: start");
            assert_eq!(r.end_ms, er["end_time"].as_i64(), "{what}: end");
            let parent = r.parent.as_deref().map(|p| by_id[p].name.as_str());
            assert_eq!(parent, er["parent_run_name"].as_str(), "{what}: parent");

            let params: BTreeMap<String, String> =
                er["params"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
            assert_eq!(er["n_params"].as_u64(), Some(r.params.len() as u64), "{what}: param count");
            for (k, v) in &params {
                // expected.json cuts values at 200 characters.
                assert!(r.params[k].starts_with(v.as_str()), "{what}: param {k}");
            }
            assert_eq!(er["n_tags"].as_u64(), Some(r.tags.len() as u64), "{what}: tag count");
            for (k, v) in er["tags"].as_object().unwrap() {
                assert!(r.tags[k].starts_with(v.as_str().unwrap()), "{what}: tag {k}");
            }

            let metrics = er["metrics"].as_object().unwrap();
            assert_eq!(r.metrics.len(), metrics.len(), "{what}: metric keys");
            for (key, m) in metrics {
                let got = &r.metrics[key];
                common::check_summary(&what, key, got, m);
                // Every point is stored, and the series reads back at full resolution.
                let points = t.index.series(&r.id, key).unwrap().unwrap();
                assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
                assert!(points.windows(2).all(|w| w[0].step <= w[1].step), "{what}: {key} sorted by step");
            }

            let artifacts: Vec<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
            let expected_artifacts: Vec<&str> = er["artifacts"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
            if !expected_artifacts.is_empty() {
                assert_eq!(artifacts, expected_artifacts, "{what}: artifacts");
            }
            compared += 1;
        }
    }
    let totals = &exp["totals"];
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64(), "{kind}: runs");
    assert_eq!(Some(runs.iter().filter(|r| r.deleted).count() as u64), totals["runs_deleted"].as_u64());
    assert_eq!(Some(runs.iter().filter(|r| r.parent.is_some()).count() as u64), totals["nested_runs"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.params.len() as u64).sum()), totals["params"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.tags.len() as u64).sum()), totals["tags"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.metrics.values().map(|m| m.count).sum::<u64>()).sum()), totals["metric_points"].as_u64());
    let visible = t.index.runs(&RunsQuery::default()).unwrap();
    assert_eq!(Some(visible.len() as u64), totals["runs_active"].as_u64(), "deleted runs are hidden by default");
    compared
}

#[test]
fn mlflow_file_store_matches_what_mlflow_reports() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("mlflow-file"));
    assert_eq!(report.stores.len(), 1);
    assert_eq!(report.stores[0].store.reader, "mlflow-file");
    assert!(report.stores[0].store.root.ends_with("mlflow-file/mlruns"));
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_mlflow_kind("mlflow-file", &t), 12);
}

#[test]
fn mlflow_sqlite_store_matches_what_mlflow_reports() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("mlflow-sqlite"));
    assert_eq!(report.stores.len(), 1, "the artifact-only folder next to mlflow.db is not a store");
    assert_eq!(report.stores[0].store.reader, "mlflow-sqlite");
    assert_eq!(check_mlflow_kind("mlflow-sqlite", &t), 10);
}

#[test]
fn dangling_absolute_artifact_uris_resolve_inside_the_store() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-sqlite"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let run = runs.iter().find(|r| r.name == "distilbert-baseline").unwrap();
    let dir = run.artifact_dir.as_deref().unwrap();
    assert!(dir.starts_with(fixture("mlflow-sqlite").canonicalize().unwrap().to_str().unwrap()), "{dir}");
    // A run whose artifact folder was never created gets none, not a neighbour's.
    let live = runs.iter().find(|r| r.name == "live-training").unwrap();
    assert_eq!(live.artifact_dir, None);
    assert!(t.index.artifacts(&live.id).unwrap().is_empty());
}

#[test]
fn trashed_experiments_runs_are_deleted_and_keep_their_artifacts() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let tmp = runs.iter().find(|r| r.name == "tmp-run").unwrap();
    assert!(tmp.deleted);
    assert_eq!(tmp.experiment.as_deref(), Some("scratch-experiment"));
    // MLflow lists none (its URI names the pre-trash path); the files are in .trash.
    let on_disk = std::fs::read_dir(std::path::Path::new(tmp.artifact_dir.as_deref().unwrap())).unwrap().count();
    assert_eq!(t.index.artifacts(&tmp.id).unwrap().len(), on_disk);
}

#[test]
fn run_ids_are_stable_across_indexes() {
    let ids = |_: ()| {
        let mut t = TestIndex::new();
        t.add(&fixture("mlflow-file"));
        let mut ids: Vec<String> =
            t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap().into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(()), ids(()));
}

#[test]
fn unicode_names_and_keys_with_slashes_and_spaces_survive() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let run = runs.iter().find(|r| r.name == "Läufer № 1 (σ=0.5)").unwrap();
    assert_eq!(run.experiment.as_deref(), Some("Ünïcödé Expériment — 日本語 テスト ✓"));
    for key in ["train/loss", "val accuracy", "точность"] {
        assert!(run.metrics.contains_key(key), "{key}");
    }
}

#[test]
fn latest_is_the_value_at_the_highest_step_even_when_mlflow_relogs_step_0() {
    // MLflow 3's log_model re-logs step-0 points at the end: `last` (logging order, what
    // get_metric_history ends with) is the step-0 value; `latest` is MLflow's UI value.
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let run = runs.iter().find(|r| r.name == "resnet18-baseline").unwrap();
    let loss = &run.metrics["train/loss"];
    assert_eq!((loss.last_step, loss.max_step), (0, 199));
    let points = t.index.series(&run.id, "train/loss").unwrap().unwrap();
    let at_199 = points.iter().rev().find(|p| p.step == 199).unwrap().value;
    assert_eq!(loss.latest, at_199);
    assert!(loss.latest < loss.last, "the converged loss, not the re-logged first value");
}
