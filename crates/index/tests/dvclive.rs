//! DVCLive output folders indexed from the fixture agree with what DVCLive wrote
//! (`tests/fixtures/expected.json`), and rescans read only what changed.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};

fn runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn run<'a>(runs: &'a [RunRecord], name: &str) -> &'a RunRecord {
    runs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name:?}"))
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

/// A copy of the fixture, indexed.
fn indexed_copy() -> (TestIndex, PathBuf) {
    let mut t = TestIndex::new();
    let store = t.copy_of("dvclive");
    t.add(&store);
    (t, store)
}

#[test]
fn dvclive_runs_match_what_dvclive_wrote() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("dvclive"));
    assert_eq!(report.stores.len(), 1, "the three output folders are one store");
    assert_eq!(report.stores[0].store.reader, "dvclive");
    assert!(report.stores[0].store.root.ends_with("fixtures/dvclive"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);

    let exp = expected("dvclive");
    let runs = runs(&t);
    for (name, er) in exp["runs"].as_object().unwrap() {
        let r = run(&runs, name);
        let what = format!("dvclive / {name}");
        assert_eq!((r.source.as_str(), r.native_id.as_str()), ("dvclive", name.as_str()), "{what}");
        assert_eq!(r.experiment.as_deref(), Some("dvclive"), "{what}: one experiment named after the store folder");
        assert_eq!(r.status, "unknown", "{what}: DVCLive records no status");
        assert!(r.artifact_dir.as_deref().unwrap().ends_with(name.as_str()), "{what}: artifact folder");

        assert_eq!(Some(r.params.len() as u64), er["params_leaves"].as_u64(), "{what}: param leaves");
        let top: BTreeSet<&str> = r.params.keys().map(|k| k.split('.').next().unwrap()).collect();
        assert_eq!(Some(top.len() as u64), er["params_top"].as_u64(), "{what}: top-level params");

        let metrics = er["metrics"].as_object().unwrap();
        assert_eq!(r.metrics.keys().collect::<Vec<_>>(), metrics.keys().collect::<Vec<_>>(), "{what}: metric keys");
        for (key, m) in metrics {
            let got = &r.metrics[key];
            common::check_summary(&what, key, got, m);
            assert_eq!(m["non_finite"].as_u64(), Some(0));
            let points = t.index.series(&r.id, key).unwrap().unwrap();
            assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
            assert!(points.iter().all(|p| p.time_ms == 0), "{what}: no timestamps were logged");
        }
        let points: u64 = r.metrics.values().map(|m| m.count).sum();
        assert_eq!(Some(points), er["metric_points"].as_u64(), "{what}: metric points");

        // Summary values without a TSV history are tags; the rest are the histories' last points.
        let summary_only: BTreeSet<String> = er["summary_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().replace('.', "/"))
            .filter(|k| k != "step" && !metrics.contains_key(k))
            .map(|k| format!("dvclive.summary.{k}"))
            .collect();
        assert_eq!(r.tags.keys().cloned().collect::<BTreeSet<_>>(), summary_only, "{what}: summary tags");

        let artifacts: Vec<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
        let mut expected_artifacts: Vec<&str> = ["images", "sklearn_plots", "artifacts"]
            .iter()
            .flat_map(|field| er[field].as_array().unwrap().iter().map(|a| a.as_str().unwrap()))
            .collect();
        expected_artifacts.sort();
        assert_eq!(artifacts, expected_artifacts, "{what}: artifacts");
    }

    let totals = &exp["totals"];
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.params.len() as u64).sum()), totals["params_leaves"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.metrics.len() as u64).sum()), totals["metric_keys"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.metrics.values().map(|m| m.count).sum::<u64>()).sum()), totals["metric_points"].as_u64());
    let artifacts: Vec<String> = runs.iter().flat_map(|r| t.index.artifacts(&r.id).unwrap()).map(|a| a.path).collect();
    assert_eq!(Some(artifacts.iter().filter(|a| a.starts_with("plots/images/")).count() as u64), totals["images"].as_u64());
    assert_eq!(Some(artifacts.iter().filter(|a| a.starts_with("plots/sklearn/")).count() as u64), totals["plots_json"].as_u64());
    assert_eq!(Some(artifacts.iter().filter(|a| a.starts_with("artifacts/")).count() as u64), totals["artifacts"].as_u64());
}

#[test]
fn params_keep_the_text_dvclive_wrote() {
    let mut t = TestIndex::new();
    t.add(&fixture("dvclive"));
    let runs = runs(&t);
    let baseline = run(&runs, "baseline/dvclive");
    for (k, v) in [("weight_decay", "4.84e-06"), ("model.arch", "resnet18"), ("model.pretrained", "true"), ("optimizer", "adamw")] {
        assert_eq!(baseline.params[k], v, "{k}");
    }
    assert_eq!(baseline.tags["dvclive.summary.best_eval_acc"], "0.8180130490173996");
}

#[test]
fn one_output_folder_given_directly_is_its_own_store() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("dvclive/tiny-debug/dvclive"));
    assert_eq!(report.stores.len(), 1);
    let runs = runs(&t);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].name, "tiny-debug", "named after the folder above it");
    assert_eq!(runs[0].metrics["train/loss"].count, 20);
}

#[test]
fn a_rescan_of_an_unchanged_store_reads_nothing() {
    let (mut t, _store) = indexed_copy();
    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
}

#[test]
fn appended_rows_are_read_from_their_offset_and_a_partial_row_waits() {
    let (mut t, store) = indexed_copy();
    let tsv = store.join("baseline/dvclive/plots/metrics/train/loss.tsv");
    let before = run(&runs(&t), "baseline/dvclive").clone();
    let count = before.metrics["train/loss"].count;

    append(&tsv, "50\t0.25\n51\t0.24\n52\t0.2");
    let report = t.scan();
    assert_eq!(points_added(&report), 2, "only the two complete new rows are read");
    assert_eq!(report.stores[0].stats.runs_updated, 1, "the other runs are unchanged");
    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["train/loss"].count, count + 2);
    assert_eq!((after.metrics["train/loss"].last, after.metrics["train/loss"].last_step), (0.24, 51));
    assert!(t.index.warnings(None).unwrap().is_empty(), "a partial last row is not corruption");

    append(&tsv, "3\n53\tnan\n");
    assert_eq!(points_added(&t.scan()), 2);
    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["train/loss"].count, count + 4);
    assert!(after.metrics["train/loss"].last.is_nan(), "nan is kept");
    let points = t.index.series(&before.id, "train/loss").unwrap().unwrap();
    assert_eq!(points.iter().map(|p| p.step).rev().take(3).collect::<Vec<_>>(), vec![53, 52, 51]);
    assert_eq!(points.iter().find(|p| p.step == 52).unwrap().value, 0.23);
}

#[test]
fn rewritten_params_and_summary_and_a_restarted_run_are_picked_up() {
    let (mut t, store) = indexed_copy();
    let dir = store.join("tiny-debug/dvclive");
    let id = run(&runs(&t), "tiny-debug/dvclive").id.clone();
    std::fs::write(dir.join("params.yaml"), "learning_rate: 0.5\nbatch_size: 16\n").unwrap();
    std::fs::write(dir.join("metrics.json"), r#"{"train": {"loss": 0.4}, "step": 19, "best_eval_acc": 0.9, "note": "nan"}"#).unwrap();
    // Restarted without resume: DVCLive deletes its plots and starts new files.
    std::fs::remove_file(dir.join("plots/metrics/eval/acc.tsv")).unwrap();
    std::fs::write(dir.join("plots/metrics/lr.tsv"), "step\tlr\n0\t0.5\n1\t0.4\n").unwrap();

    let report = t.scan();
    assert_eq!(points_added(&report), 2, "the rewritten file is read again, nothing else");
    let r = t.index.run(&id).unwrap().unwrap();
    assert_eq!(r.params.len(), 2);
    assert_eq!(r.params["learning_rate"], "0.5");
    assert_eq!(r.tags["dvclive.summary.best_eval_acc"], "0.9");
    assert_eq!(r.tags["dvclive.summary.note"], "nan");
    assert_eq!((r.metrics["lr"].count, r.metrics["lr"].first, r.metrics["lr"].last), (2, 0.5, 0.4));
    assert!(!r.metrics.contains_key("eval/acc"), "a deleted metric file removes its series");
    assert_eq!(r.metrics["train/loss"].count, 20);
}

#[test]
fn new_and_deleted_output_folders_come_and_go() {
    let (mut t, store) = indexed_copy();
    common::copy_tree(&store.join("tiny-debug"), &store.join("tiny-copy"));
    std::fs::remove_dir_all(store.join("augmented")).unwrap();
    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_removed, s.runs_updated), (1, 1, 0));
    assert_eq!(points_added(&report), 68);
    let names: BTreeSet<String> = runs(&t).into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["baseline/dvclive", "tiny-copy/dvclive", "tiny-debug/dvclive"].map(String::from).into());
}

#[test]
fn corrupt_rows_and_a_half_written_params_file_are_warnings_and_the_rest_is_kept() {
    let mut t = TestIndex::new();
    let store = t.copy_of("dvclive");
    let tsv = store.join("augmented/dvclive/plots/metrics/lr.tsv");
    let mut text = std::fs::read_to_string(&tsv).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "garbage here\n\u{0}\u{1}binary\t1\n");
    std::fs::write(&tsv, text).unwrap();
    std::fs::write(store.join("baseline/dvclive/params.yaml"), "learning_rate: 0.0003\nmodel:\n  arch: [resnet").unwrap();

    t.add(&store);
    let mut warnings = t.index.warnings(None).unwrap();
    warnings.sort_by(|a, b| a.file.cmp(&b.file).then(a.location.cmp(&b.location)));
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert_eq!(warnings[0].file.as_deref(), Some("augmented/dvclive/plots/metrics/lr.tsv"));
    assert_eq!(warnings[0].location.as_deref(), Some("line 2"));
    assert_eq!(warnings[1].location.as_deref(), Some("line 3"));
    assert_eq!(warnings[2].file.as_deref(), Some("baseline/dvclive/params.yaml"));
    assert!(warnings[2].message.contains("YAML"), "{}", warnings[2].message);

    let runs = runs(&t);
    assert_eq!(runs.len(), 3);
    assert_eq!(run(&runs, "augmented/dvclive").metrics["lr"].count, 80, "every good row is a point");
    let points: u64 = runs.iter().map(|r| r.metrics.values().map(|m| m.count).sum::<u64>()).sum();
    assert_eq!(points, 510);
    assert!(run(&runs, "baseline/dvclive").params.is_empty(), "no params until the file parses");

    // The file is rewritten whole: the warning goes and the params come.
    std::fs::copy(fixture("dvclive/baseline/dvclive/params.yaml"), store.join("baseline/dvclive/params.yaml")).unwrap();
    t.scan();
    assert_eq!(t.index.warnings(None).unwrap().len(), 2, "the TSV warnings stay: those rows are still there");
    assert_eq!(run(&self::runs(&t), "baseline/dvclive").params.len(), 15);
}

#[test]
fn no_other_fixture_is_taken_for_dvclive_output() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture(""));
    let roots: Vec<&str> = report.stores.iter().filter(|s| s.store.reader == "dvclive").map(|s| s.store.root.as_str()).collect();
    // The lone runs of `dvclive/` and `dvc-project/` are grouped at their common parent.
    assert_eq!(roots.len(), 1, "{roots:?}");
    assert!(roots[0].ends_with("fixtures"), "{roots:?}");
    let mut names: Vec<String> = runs(&t).into_iter().filter(|r| r.source == "dvclive").map(|r| r.name).collect();
    names.sort();
    let want = [
        "dvc-project/baseline/dvclive",
        "dvc-project/more-data/dvclive",
        "dvclive/augmented/dvclive",
        "dvclive/baseline/dvclive",
        "dvclive/tiny-debug/dvclive",
    ];
    assert_eq!(names, want);
}
