//! Neptune offline runs indexed from the fixture agree with what the Neptune client
//! reports for them (`tests/fixtures/expected.json`, `kinds.neptune`); appended
//! operations are read from their offset, and a damaged log is a positioned warning.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};
use serde_json::Value;

fn all_runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn by_name<'a>(runs: &'a [RunRecord], name: &str) -> &'a RunRecord {
    runs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("run {name}"))
}

/// The run folder of the run named `name` (below `<store>/offline/`).
fn run_dir(t: &TestIndex, name: &str) -> PathBuf {
    let runs = all_runs(t);
    let run = by_name(&runs, name);
    let offline = Path::new(&run.store).join("offline");
    std::fs::read_dir(&offline).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains(&run.native_id)).unwrap()
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

/// One log line as the client writes it.
fn op(version: u64, obj: &str) -> String {
    format!("{{\"obj\": {obj}, \"version\": {version}, \"at\": 1795688999.5}}\n")
}

fn log_float(version: u64, path: &str, value: f64, step: i64) -> String {
    let path: Vec<String> = path.split('/').map(|p| format!("\"{p}\"")).collect();
    let obj = format!(
        "{{\"type\": \"LogFloats\", \"path\": [{}], \"values\": [{{\"value\": {value:?}, \"step\": {step}, \"ts\": 1714990000.25}}]}}",
        path.join(", ")
    );
    op(version, &obj)
}

/// A param or field value of expected.json against its text in the index.
fn same_value(text: &str, want: &Value) -> bool {
    match want {
        Value::Number(n) => text.parse::<f64>().ok() == n.as_f64(),
        Value::Bool(b) => text == b.to_string(),
        Value::String(s) => text == s,
        other => panic!("unexpected value {other}"),
    }
}

/// The artifacts expected.json implies for a run, relative to the project folder.
fn expected_artifacts(er: &Value, project: &Path) -> BTreeSet<String> {
    let folder = er["folder"].as_str().unwrap();
    let mut want = BTreeSet::new();
    for file in er["files"].as_object().unwrap().values() {
        if let Some(referenced) = file["referenced"].as_str() {
            want.insert(referenced.to_string());
        }
        if let Some(stored) = file["stored"].as_str() {
            want.insert(format!("{folder}/{stored}"));
        }
    }
    for pattern in er["file_sets"].as_object().unwrap().values().flat_map(|v| v.as_array().unwrap()) {
        let pattern = pattern.as_str().unwrap();
        if let Some(dir) = pattern.strip_suffix("/*").filter(|_| !pattern.starts_with('/')) {
            for e in std::fs::read_dir(project.join(dir)).unwrap().flatten() {
                want.insert(format!("{dir}/{}", e.file_name().to_string_lossy()));
            }
        } else {
            assert!(!Path::new(pattern).exists(), "{pattern}: a source file of the generating machine");
        }
    }
    for entries in er["artifacts"].as_object().unwrap().values() {
        for entry in entries.as_array().unwrap() {
            want.insert(entry[0].as_str().unwrap().to_string());
        }
    }
    for (key, n) in er["image_series"].as_object().unwrap() {
        for i in 0..n.as_u64().unwrap() {
            want.insert(format!("{key}/{i}.png"));
        }
    }
    want
}

/// Compares every run of expected.json with the index; returns the runs compared.
fn check_against_expected(t: &TestIndex, project: &Path) -> usize {
    let exp = expected("neptune");
    let runs = all_runs(t);
    let (mut params, mut labels, mut metric_keys, mut metric_points, mut failed) = (0, 0, 0, 0, 0);
    for er in exp["runs"].as_array().unwrap() {
        let id = er["container_id"].as_str().unwrap();
        let r = runs.iter().find(|r| r.native_id == id).unwrap_or_else(|| panic!("run {id}"));
        let what = er["name"].as_str().unwrap();
        assert_eq!(r.source, "neptune", "{what}");
        assert_eq!(r.name, what);
        assert_eq!(r.experiment.as_deref(), Some("neptune"), "{what}: the project folder names the experiment");
        let status = match er["state"].as_str().unwrap() {
            "closed" => "finished",
            "failed" => "failed",
            _ => "running",
        };
        assert_eq!(r.status, status, "{what}: status");
        failed += u64::from(status == "failed");
        let start = r.start_ms.unwrap();
        assert!(start > 1_700_000_000_000, "{what}: start {start}");
        assert!(r.end_ms.is_some_and(|end| end >= start), "{what}: a closed run has an end");

        assert_eq!(Some(r.params.len() as u64), er["n_params"].as_u64(), "{what}: params");
        for (k, v) in er["params"].as_object().unwrap() {
            assert!(same_value(&r.params[k], v), "{what}: param {k} = {:?}, want {v}", r.params[k]);
        }
        params += r.params.len() as u64;

        let tags = er["tags"].as_array().unwrap();
        for label in tags {
            assert_eq!(r.tags.get(label.as_str().unwrap()).map(String::as_str), Some(""), "{what}: label {label}");
        }
        labels += tags.len() as u64;
        let description = er["description"].as_str().unwrap();
        assert_eq!(r.tags.get("neptune.description").map(String::as_str), Some(description).filter(|d| !d.is_empty()));
        assert_eq!(r.tags.get("neptune.hostname").map(String::as_str), er["hostname"].as_str());
        let fields = er["fields"].as_object().unwrap();
        for (path, typed) in fields {
            assert!(same_value(&r.tags[path], &typed[1]), "{what}: field {path} = {:?}, want {typed}", r.tags[path]);
        }
        let n_tags = tags.len() + fields.len() + 1 + usize::from(!description.is_empty());
        assert_eq!(r.tags.len(), n_tags, "{what}: tags {:?}", r.tags);

        let metrics = er["metrics"].as_object().unwrap();
        assert_eq!(r.metrics.keys().collect::<Vec<_>>(), metrics.keys().collect::<Vec<_>>(), "{what}: metric keys");
        for (key, m) in metrics {
            let got = &r.metrics[key];
            common::check_summary(what, key, got, m);
            let points = t.index.series(&r.id, key).unwrap().unwrap();
            assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
            assert!(points.iter().all(|p| p.time_ms >= 1_714_986_000_000), "{what}: {key} times from `ts`");
            metric_points += got.count;
        }
        metric_keys += r.metrics.len() as u64;

        let got: BTreeSet<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
        assert_eq!(got, expected_artifacts(er, project), "{what}: artifacts");
        assert_eq!(r.artifact_dir.as_deref().map(PathBuf::from), Some(project.to_path_buf()), "{what}: artifact dir");
    }
    let totals = &exp["totals"];
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64());
    assert_eq!(Some(failed), totals["runs_failed"].as_u64());
    assert_eq!(Some(params), totals["params"].as_u64());
    assert_eq!(Some(labels), totals["tags"].as_u64());
    assert_eq!(Some(metric_keys), totals["metric_keys"].as_u64());
    assert_eq!(Some(metric_points), totals["metric_points"].as_u64());
    runs.len()
}

#[test]
fn neptune_offline_runs_match_what_neptune_reports() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("neptune"));
    assert_eq!(report.stores.len(), 1);
    assert_eq!(report.stores[0].store.reader, "neptune");
    assert!(report.stores[0].store.root.ends_with("neptune/.neptune"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_against_expected(&t, &fixture("neptune").canonicalize().unwrap()), 3);
}

#[test]
fn embedded_images_point_into_the_log() {
    let mut t = TestIndex::new();
    t.add(&fixture("neptune"));
    let runs = all_runs(&t);
    let run = by_name(&runs, "resnet18-baseline");
    let artifacts = t.index.artifacts(&run.id).unwrap();
    let image = artifacts.iter().find(|a| a.path == "eval/predictions/0.png").unwrap();
    let (file, offset) = image.origin.as_deref().unwrap().split_once('#').unwrap();
    assert!(file.starts_with("offline/run__") && file.ends_with("/data-1.log"), "{file}");
    let log = std::fs::read(Path::new(&run.store).join(file)).unwrap();
    let line = &log[offset.parse::<usize>().unwrap()..];
    assert!(line.starts_with(b"{\"obj\": {\"type\": \"LogImages\""), "the origin is the start of the operation");
    assert!(image.size > 100, "decoded PNG size {}", image.size);
}

#[test]
fn a_rescan_of_an_unchanged_store_reads_nothing() {
    let mut t = TestIndex::new();
    let store = t.copy_of("neptune");
    t.add(&store);
    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
    assert_eq!(check_against_expected(&t, &store.canonicalize().unwrap()), 3, "nothing lost by the rescan");
}

#[test]
fn appended_operations_are_read_from_their_offset_while_the_run_trains() {
    let mut t = TestIndex::new();
    let store = t.copy_of("neptune");
    t.add(&store);
    let dir = run_dir(&t, "nan-check");
    let log = dir.join("data-1.log");
    let put = dir.join("last_put_version");
    let id = by_name(&all_runs(&t), "nan-check").id.clone();
    let params_before = t.index.run(&id).unwrap().unwrap().params;

    // The run goes on: two complete operations reach the log, a third is half written,
    // and the client has queued up to version 207.
    let third = log_float(204, "train/loss", 0.0625, 102);
    append(&log, &format!("{}{}{}", log_float(202, "train/loss", 0.25, 100), log_float(203, "train/loss", 0.125, 101), &third[..20]));
    std::fs::write(&put, "207").unwrap();
    let report = t.scan();
    assert_eq!(points_added(&report), 2, "only the two complete new lines");
    let run = t.index.run(&id).unwrap().unwrap();
    assert_eq!(run.status, "running", "the log lags behind last_put_version");
    assert_eq!((run.metrics["train/loss"].count, run.metrics["train/loss"].last), (102, 0.125));
    assert_eq!(run.end_ms, None);
    assert!(t.index.warnings(None).unwrap().is_empty(), "a partial last line is not corruption");

    // Only float points: appended without replaying the log.
    append(&log, &format!("{}{}", &third[20..], log_float(205, "train/loss", 0.03125, 103)));
    let report = t.scan();
    assert_eq!(points_added(&report), 2);
    let run = t.index.run(&id).unwrap().unwrap();
    assert_eq!((run.metrics["train/loss"].count, run.metrics["train/loss"].last_step), (104, 103));
    assert_eq!(run.params, params_before);
    let points = t.index.series(&id, "train/loss").unwrap().unwrap();
    assert_eq!(points.len(), 104, "no point read twice");
    assert_eq!(points.last().unwrap().time_ms, 1714990000250);

    // A cleared series is sent whole; the run closes.
    let clear = op(206, r#"{"type": "ClearFloatLog", "path": ["train", "grad_norm"]}"#);
    append(&log, &format!("{clear}{}", log_float(207, "train/grad_norm", 9.5, 0)));
    let report = t.scan();
    assert_eq!(points_added(&report), 1);
    let run = t.index.run(&id).unwrap().unwrap();
    assert_eq!(run.metrics["train/grad_norm"].count, 1);
    assert_eq!(run.metrics["train/grad_norm"].last, 9.5);
    assert_eq!(run.metrics["train/loss"].count, 104);
    assert_eq!(run.status, "finished");
    assert_eq!(run.end_ms, Some(1795688999500));
    assert!(t.index.warnings(None).unwrap().is_empty());

    let report = t.scan();
    assert_eq!((report.stores[0].stats.runs_updated, points_added(&report)), (0, 0), "unchanged again");
}

#[test]
fn appended_params_tags_and_failure_are_picked_up() {
    let mut t = TestIndex::new();
    let store = t.copy_of("neptune");
    t.add(&store);
    let dir = run_dir(&t, "nan-check");
    let id = by_name(&all_runs(&t), "nan-check").id.clone();
    let lines = [
        op(202, r#"{"type": "AddStrings", "path": ["sys", "tags"], "values": ["appended"]}"#),
        op(203, r#"{"type": "AssignInt", "path": ["parameters", "extra", "depth"], "value": 7}"#),
        op(204, r#"{"type": "RemoveStrings", "path": ["sys", "tags"], "values": ["debug"]}"#),
        op(205, r#"{"type": "AssignBool", "path": ["sys", "failed"], "value": true}"#),
    ];
    append(&dir.join("data-1.log"), &lines.concat());
    std::fs::write(dir.join("last_put_version"), "205").unwrap();
    let report = t.scan();
    assert_eq!(points_added(&report), 0, "no series point is read again");
    let run = t.index.run(&id).unwrap().unwrap();
    assert_eq!(run.status, "failed");
    assert_eq!(run.params.len(), 6);
    assert_eq!(run.params["parameters/extra/depth"], "7");
    assert_eq!(run.tags.get("appended").map(String::as_str), Some(""));
    assert!(!run.tags.contains_key("debug"));
    assert_eq!(run.metrics["train/loss"].count, 100, "the series are untouched");
}

#[test]
fn a_corrupt_line_is_a_positioned_warning_and_every_other_operation_is_read() {
    let mut t = TestIndex::new();
    let store = t.copy_of("neptune");
    let offline = store.join(".neptune/offline");
    let dir = std::fs::read_dir(&offline).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains("5c27121a")).unwrap();
    let log = dir.join("data-1.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(50, "{\"obj\": {\"type\": \"LogFloats\", \"path\": [\"train\", \"loss\"], \"valu\u{0}\u{1}garbage");
    std::fs::write(&log, format!("{}\n", lines.join("\n"))).unwrap();

    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].file.as_deref().unwrap().ends_with("/data-1.log"));
    assert!(warnings[0].file.as_deref().unwrap().starts_with("offline/run__5c27121a"));
    assert_eq!(warnings[0].location.as_deref(), Some("line 51"));
    let runs = all_runs(&t);
    assert_eq!(runs.len(), 3);
    let total: u64 = runs.iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();
    assert_eq!(total, 696, "every point of every run");
}

#[test]
fn a_truncated_log_looks_like_a_killed_run_and_lost_operations_are_a_warning() {
    let mut t = TestIndex::new();
    let store = t.copy_of("neptune");
    let offline = store.join(".neptune/offline");
    let dir = std::fs::read_dir(&offline).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains("90b0cfac")).unwrap();
    let log = dir.join("data-1.log");
    let text = std::fs::read_to_string(&log).unwrap();
    // Operations 100..=109 lost from the middle, and the file cut inside its last line.
    let lines: Vec<&str> = text.lines().collect();
    let kept: Vec<&str> = lines[..99].iter().chain(&lines[109..200]).copied().collect();
    std::fs::write(&log, format!("{}\n{}", kept.join("\n"), &lines[200][..30])).unwrap();

    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].location.as_deref(), Some("line 100"));
    assert!(warnings[0].message.contains("operations 100 to 109 are missing"), "{}", warnings[0].message);
    let runs = all_runs(&t);
    let run = by_name(&runs, "lstm-oom");
    assert_eq!(run.status, "running", "its last_put_version is ahead of the log: it was killed or still runs");
    assert!(run.metrics["train/loss"].count < 37);
    assert_eq!(runs.iter().filter(|r| r.name != "lstm-oom").flat_map(|r| r.metrics.values()).map(|m| m.count).sum::<u64>(), 450 + 172);
}
