//! Sacred `FileStorageObserver` folders indexed from the fixture agree with what Sacred
//! wrote (`tests/fixtures/expected.json`, `kinds.sacred`); rescans read only what changed,
//! and half-written JSON is a warning, never a lost run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};

fn all_runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

/// The run with folder `id` in the observer folder named `folder`.
fn find<'a>(runs: &'a [RunRecord], folder: &str, id: &str) -> &'a RunRecord {
    let matching: Vec<&RunRecord> = runs.iter().filter(|r| r.store.ends_with(&format!("/{folder}")) && r.native_id == id).collect();
    assert_eq!(matching.len(), 1, "run {folder}/{id}");
    matching[0]
}

fn status_of(sacred: &str) -> &'static str {
    match sacred {
        "COMPLETED" => "finished",
        "FAILED" | "TIMEOUT" => "failed",
        "INTERRUPTED" => "killed",
        "RUNNING" => "running",
        "QUEUED" => "scheduled",
        other => panic!("status {other} not in the fixture"),
    }
}

/// Compares every run of expected.json with the index; returns the runs compared.
fn check_against_expected(t: &TestIndex, fixture_root: &Path) -> usize {
    let exp = expected("sacred");
    let runs = all_runs(t);
    let mut compared = 0;
    let mut config_leaves = 0;
    let mut metric_names = 0;
    let mut metric_points = 0;
    let mut artifacts = 0;
    let mut experiments = BTreeSet::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for (folder, expected_runs) in exp["experiments"].as_object().unwrap() {
        for er in expected_runs.as_array().unwrap() {
            let id = er["id"].as_u64().unwrap().to_string();
            let r = find(&runs, folder, &id);
            let experiment = er["experiment"].as_str().unwrap();
            let what = format!("{folder}/{id}");
            assert_eq!(r.source, "sacred", "{what}");
            assert_eq!(r.experiment.as_deref(), Some(experiment), "{what}: experiment");
            assert_eq!(r.name, format!("{experiment} #{id}"), "{what}: name");
            let status = er["status"].as_str().unwrap();
            assert_eq!(r.status, status_of(status), "{what}: status");
            *by_status.entry(status.to_string()).or_default() += 1;
            assert_eq!(r.commit.as_deref(), er["repositories"][0]["commit"].as_str(), "{what}: commit");
            let (start, end) = (r.start_ms.unwrap(), r.end_ms.unwrap());
            assert!(start > 1_700_000_000_000 && start <= end, "{what}: times {start} {end}");
            match er["result"].as_f64() {
                Some(result) => assert_eq!(r.tags["sacred.result"].parse::<f64>().unwrap(), result, "{what}: result"),
                None => assert!(!r.tags.contains_key("sacred.result"), "{what}: no result"),
            }
            assert_eq!(r.tags["sacred.host"], "workstation", "{what}: host");
            assert!(r.tags.contains_key("sacred.comment"), "{what}: comment");

            assert_eq!(Some(r.params.len() as u64), er["config_leaves"].as_u64(), "{what}: params");
            let top: BTreeSet<&str> = r.params.keys().map(|k| k.split('.').next().unwrap()).collect();
            assert_eq!(Some(top.len() as u64), er["config_keys"].as_u64(), "{what}: top-level config keys");
            config_leaves += r.params.len();

            let metrics = er["metrics"].as_object().unwrap();
            assert_eq!(r.metrics.keys().collect::<Vec<_>>(), metrics.keys().collect::<Vec<_>>(), "{what}: metric keys");
            for (key, m) in metrics {
                let got = &r.metrics[key];
                common::check_summary(&what, key, got, m);
                let points = t.index.series(&r.id, key).unwrap().unwrap();
                assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
                assert!(points.iter().all(|p| p.time_ms >= start), "{what}: {key} timestamps");
                metric_points += got.count;
            }
            metric_names += r.metrics.len();

            // Sacred's artifacts, plus the run folder's own files (captured output, info).
            let dir = fixture_root.join(folder).join(&id);
            let mut want: BTreeSet<String> = er["artifacts"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
            artifacts += want.len();
            for own in ["cout.txt", "info.json"] {
                if dir.join(own).exists() {
                    want.insert(own.to_string());
                }
            }
            let got: BTreeSet<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
            assert_eq!(got, want, "{what}: artifacts");
            assert_eq!(r.artifact_dir.as_deref().map(PathBuf::from), Some(dir.canonicalize().unwrap()), "{what}: artifact dir");
            experiments.insert(experiment.to_string());
            compared += 1;
        }
    }
    let totals = &exp["totals"];
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64());
    assert_eq!(Some(experiments.len() as u64), totals["experiments"].as_u64());
    assert_eq!(Some(config_leaves as u64), totals["config_leaves"].as_u64());
    assert_eq!(Some(metric_names as u64), totals["metric_names"].as_u64());
    assert_eq!(Some(metric_points), totals["metric_points"].as_u64());
    assert_eq!(Some(artifacts as u64), totals["artifacts"].as_u64());
    for (status, n) in totals["runs_by_status"].as_object().unwrap() {
        assert_eq!(by_status.get(status).copied(), n.as_u64(), "runs {status}");
    }
    compared
}

#[test]
fn sacred_observer_folders_match_what_sacred_wrote() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("sacred"));
    assert_eq!(report.stores.len(), 2, "one store per observer folder");
    assert!(report.stores.iter().all(|s| s.store.reader == "sacred" && s.store.source == "sacred"));
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_against_expected(&t, &fixture("sacred").canonicalize().unwrap()), 6);
}

#[test]
fn a_rescan_of_an_unchanged_store_reads_nothing() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    t.add(&store);
    let report = t.scan();
    assert_eq!(report.stores.len(), 2);
    for s in &report.stores {
        assert_eq!((s.stats.runs_new, s.stats.runs_updated, s.stats.runs_removed, s.stats.points_added), (0, 0, 0, 0), "{}", s.store.root);
    }
    assert_eq!(check_against_expected(&t, &store.canonicalize().unwrap()), 6, "nothing lost by the rescan");
}

/// Rewrites a JSON file of a copied store through `edit`.
fn rewrite(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn a_rewritten_metrics_json_and_run_json_are_read_again() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    t.add(&store);
    let run_dir = store.join("mnist_cnn/4");
    // Sacred's heartbeat: the full history again, with two more points, and a new status.
    rewrite(&run_dir.join("metrics.json"), |m| {
        let loss = &mut m["training.loss"];
        for (step, value) in [(12, 0.25), (13, 0.125)] {
            loss["steps"].as_array_mut().unwrap().push(step.into());
            loss["values"].as_array_mut().unwrap().push(value.into());
            loss["timestamps"].as_array_mut().unwrap().push("2026-11-26T10:46:00.000000".into());
        }
    });
    rewrite(&run_dir.join("run.json"), |r| r["status"] = "COMPLETED".into());
    std::fs::write(run_dir.join("extra.txt"), "new artifact").unwrap();

    let report = t.scan();
    let changed: Vec<_> = report.stores.iter().filter(|s| s.stats.runs_updated > 0).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].stats.runs_updated, 1, "only the rewritten run");
    assert_eq!(points_added(&report), 12 + 14 + 2 + 2, "metrics.json is read whole: every point of that run, no other");
    let runs = all_runs(&t);
    let run = find(&runs, "mnist_cnn", "4");
    assert_eq!(run.status, "finished");
    assert_eq!(run.metrics["training.loss"].count, 14);
    assert_eq!((run.metrics["training.loss"].last, run.metrics["training.loss"].last_step), (0.125, 13));
    assert_eq!(run.metrics["training.accuracy"].count, 12, "replaced, not doubled");
    assert!(t.index.artifacts(&run.id).unwrap().iter().any(|a| a.path == "extra.txt"));
}

#[test]
fn bare_non_finite_metric_values_are_kept() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    let metrics = store.join("text_classifier_ok/2/metrics.json");
    let text = std::fs::read_to_string(&metrics).unwrap();
    // Python's json.dumps writes NaN and Infinity bare; put them at the end of the series.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let last = value["training.loss"]["values"].as_array().unwrap().last().unwrap().to_string();
    let first = value["training.loss"]["values"][0].to_string();
    let text = text.replacen(&last, "NaN", 1).replacen(&first, "-Infinity", 1);
    std::fs::write(&metrics, text).unwrap();
    t.add(&store);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    let runs = all_runs(&t);
    let loss = &find(&runs, "text_classifier_ok", "2").metrics["training.loss"];
    assert_eq!(loss.count, 20);
    assert!(loss.last.is_nan());
    assert_eq!(loss.first, f64::NEG_INFINITY);
}

#[test]
fn a_half_written_run_json_is_a_warning_and_the_run_keeps_its_data() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    t.add(&store);
    let run_json = store.join("mnist_cnn/2/run.json");
    let good = std::fs::read_to_string(&run_json).unwrap();
    std::fs::write(&run_json, &good[..good.len() / 2]).unwrap();

    let report = t.scan();
    assert_eq!(report.stores.iter().map(|s| s.stats.runs_removed).sum::<u64>(), 0);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].file.as_deref(), Some("2/run.json"));
    assert!(warnings[0].location.as_deref().unwrap().starts_with("line "), "{:?}", warnings[0].location);
    let runs = all_runs(&t);
    let run = find(&runs, "mnist_cnn", "2");
    assert_eq!((run.name.as_str(), run.status.as_str()), ("mnist_cnn #2", "finished"), "kept from the last good read");
    assert_eq!(run.experiment.as_deref(), Some("mnist_cnn"), "its experiment is still there");
    assert_eq!(runs.len(), 6);

    // Written out completely: read again, the warning goes away.
    std::fs::write(&run_json, &good).unwrap();
    t.scan();
    assert!(t.index.warnings(None).unwrap().is_empty());
}

#[test]
fn a_truncated_metrics_json_in_a_fresh_index_is_a_warning_and_everything_else_is_indexed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    let metrics = store.join("mnist_cnn/1/metrics.json");
    let text = std::fs::read_to_string(&metrics).unwrap();
    std::fs::write(&metrics, &text[..text.len() / 3]).unwrap();
    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].file.as_deref(), Some("1/metrics.json"));
    assert!(warnings[0].location.as_deref().unwrap().starts_with("line "));
    let runs = all_runs(&t);
    assert_eq!(runs.len(), 6);
    let broken = find(&runs, "mnist_cnn", "1");
    assert!(broken.metrics.is_empty());
    assert_eq!((broken.status.as_str(), broken.params.len()), ("finished", 13), "run.json and config.json are still read");
    let total: u64 = runs.iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();
    assert_eq!(total, 466 - 144, "every other point");
}

#[test]
fn a_new_run_folder_arrives_and_a_deleted_one_leaves() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    t.add(&store);
    common::copy_tree(&store.join("text_classifier_ok/1"), &store.join("text_classifier_ok/3"));
    std::fs::remove_dir_all(store.join("mnist_cnn/4")).unwrap();
    let report = t.scan();
    let new: u64 = report.stores.iter().map(|s| s.stats.runs_new).sum();
    let removed: u64 = report.stores.iter().map(|s| s.stats.runs_removed).sum();
    assert_eq!((new, removed), (1, 1));
    let runs = all_runs(&t);
    assert_eq!(find(&runs, "text_classifier_ok", "3").name, "text classifier ✓ #3");
    assert!(!runs.iter().any(|r| r.store.ends_with("/mnist_cnn") && r.native_id == "4"));
}
