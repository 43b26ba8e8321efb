//! Faults found by trying Runlens on odd folders: each test names what it guards, and
//! each failed before its fix (issue 7). What is asserted is the user-visible outcome:
//! every readable run indexed, a warning or store error saying what was not, no hang.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::{TestIndex, copy_tree, fixture};
use runlens_index::{Index, RunsQuery};

/// Runs `f` on its own thread; a hang is a test failure after `secs`, not a stuck suite.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).unwrap_or_else(|_| panic!("still running after {secs} s: it hangs"))
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {}", path.display());
}

fn all_runs(index: &Index) -> Vec<runlens_index::RunRecord> {
    index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn warnings_text(index: &Index) -> String {
    index.warnings(None).unwrap().iter().map(|w| format!("{}: {}\n", w.file.as_deref().unwrap_or("-"), w.message)).collect()
}

#[test]
fn fifos_where_readers_expect_files_do_not_hang_a_scan() {
    let t = TestIndex::new();
    let root = t.dir.path().join("odd");
    // An MLflow experiment whose meta.yaml is a FIFO (read during discovery and scans),
    // a Neptune run log, DVCLive params/metrics and Lightning hparams, all FIFOs.
    let mlruns = root.join("mlflow/mlruns");
    copy_tree(&fixture("mlflow-file/mlruns"), &mlruns);
    std::fs::create_dir_all(mlruns.join("999")).unwrap();
    mkfifo(&mlruns.join("999/meta.yaml"));
    // A run whose meta.yaml is a link to /dev/zero: read whole, it never ends.
    let zero_run = mlruns.join("0/00000000000000000000000000000bad");
    std::fs::create_dir_all(zero_run.join("metrics")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", zero_run.join("meta.yaml")).unwrap();
    let neptune = root.join("neptune");
    copy_tree(&fixture("neptune"), &neptune);
    let offline = neptune.join(".neptune/offline");
    let run = std::fs::read_dir(&offline).unwrap().flatten().next().unwrap().path();
    std::fs::remove_file(run.join("data-1.log")).unwrap();
    mkfifo(&run.join("data-1.log"));
    let live = root.join("dvc/exp/dvclive");
    std::fs::create_dir_all(live.join("plots/metrics")).unwrap();
    std::fs::write(live.join("plots/metrics/loss.tsv"), "step\tloss\n0\t1.5\n1\t1.2\n").unwrap();
    mkfifo(&live.join("params.yaml"));
    mkfifo(&live.join("metrics.json"));
    let lightning = root.join("lightning/lightning_logs/version_0");
    std::fs::create_dir_all(&lightning).unwrap();
    std::fs::write(lightning.join("metrics.csv"), "epoch,step,train/loss\n0,0,2.5\n0,1,2.0\n").unwrap();
    mkfifo(&lightning.join("hparams.yaml"));

    let db = t.dir.path().join("index.sqlite");
    let (runs, warnings) = within(60, move || {
        let mut index = Index::open(&db).unwrap();
        index.add(&[root], &mut |_| {}).unwrap();
        (all_runs(&index), warnings_text(&index))
    });
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"quick-check"), "the MLflow store is read: {names:?}");
    assert!(runs.iter().any(|r| r.source == "dvclive" && r.metrics["loss"].count == 2), "{names:?}");
    assert!(runs.iter().any(|r| r.source == "csv-logger" && r.metrics["train/loss"].count == 2), "{names:?}");
    assert!(warnings.contains("999/meta.yaml") && warnings.contains("not a regular file"), "{warnings}");
    assert!(warnings.contains("data-1.log"), "{warnings}");
    assert!(warnings.contains("hparams.yaml"), "{warnings}");
    assert!(warnings.contains("00000000000000000000000000000bad/meta.yaml"), "{warnings}");
}

/// A minimal MLflow folder store with one run whose meta.yaml points its artifacts at `uri`
/// (and which has no `artifacts/` folder of its own).
fn store_with_artifact_uri(root: &Path, uri: &str) {
    let run = root.join("1/0123456789abcdef0123456789abcdef");
    std::fs::create_dir_all(run.join("metrics")).unwrap();
    std::fs::create_dir_all(run.join("params")).unwrap();
    std::fs::write(root.join("1/meta.yaml"), "experiment_id: '1'\nlifecycle_stage: active\nname: e\n").unwrap();
    std::fs::write(
        run.join("meta.yaml"),
        format!(
            "artifact_uri: {uri}\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: 0123456789abcdef0123456789abcdef\nrun_name: r\nstart_time: 1\nstatus: 3\n"
        ),
    )
    .unwrap();
    std::fs::write(run.join("metrics/loss"), "1 0.5 0\n").unwrap();
}

#[test]
fn an_artifact_uri_outside_the_added_folders_is_not_walked() {
    for uri in ["file:///", "file:///etc"] {
        let mut t = TestIndex::new();
        let root = t.dir.path().join("mlruns");
        store_with_artifact_uri(&root, uri);
        let report = within(60, {
            let db = t.dir.path().join("index.sqlite");
            let root = root.clone();
            move || Index::open(&db).unwrap().add(&[root], &mut |_| {}).unwrap()
        });
        assert_eq!(report.stores[0].store.runs, 1);
        let run = &all_runs(&t.index)[0];
        assert!(t.index.artifacts(&run.id).unwrap().is_empty(), "{uri}: nothing outside the store is listed");
        assert_eq!(run.artifact_dir, None, "{uri}");
        let warnings = warnings_text(&t.index);
        assert!(warnings.contains("outside the folders you added"), "{uri}: {warnings}");
        // Adding the folder it points to is how a user lets it be read.
        let _ = t.add(&root);
    }
}

#[test]
fn an_artifact_uri_inside_an_added_folder_is_listed() {
    let mut t = TestIndex::new();
    let top = t.dir.path().join("project");
    let root = top.join("mlruns");
    let elsewhere = top.join("artifacts-elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("model.txt"), "weights").unwrap();
    store_with_artifact_uri(&root, &format!("file://{}", elsewhere.display()));
    t.add(&top);
    let run = &all_runs(&t.index)[0];
    let listed: Vec<String> = t.index.artifacts(&run.id).unwrap().into_iter().map(|a| a.path).collect();
    assert_eq!(listed, ["model.txt"]);
}

#[test]
fn two_series_with_one_key_are_merged_with_a_warning_and_stop_no_store() {
    let mut t = TestIndex::new();
    let root = t.dir.path().join("mixed");
    // A CSV log naming a column twice, DVCLive `lr.tsv` beside `lr.tsv.tsv`, and an
    // MLflow store after them that must still be indexed.
    let csv = root.join("a/lightning_logs/version_0");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(csv.join("metrics.csv"), "epoch,step,lr,lr\n0,0,0.1,0.2\n0,1,0.1,0.2\n").unwrap();
    let live = root.join("b/dvclive/plots/metrics");
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(live.join("lr.tsv"), "step\tlr\n0\t0.1\n1\t0.05\n").unwrap();
    std::fs::write(live.join("lr.tsv.tsv"), "step\tlr.tsv\n0\t7\n").unwrap();
    copy_tree(&fixture("mlflow-file/mlruns"), &root.join("c/mlruns"));

    let report = t.add(&root);
    for s in &report.stores {
        assert_eq!(s.stats.error, None, "{}", s.store.root);
    }
    let runs = all_runs(&t.index);
    assert_eq!(runs.iter().filter(|r| r.source == "mlflow").count(), 12, "the store after the odd ones is indexed");
    let csv_run = runs.iter().find(|r| r.source == "csv-logger").unwrap();
    assert_eq!(csv_run.metrics["lr"].count, 4, "both columns' points are kept");
    let dvc = runs.iter().find(|r| r.source == "dvclive").unwrap();
    assert_eq!((dvc.metrics["lr"].count, dvc.metrics["lr.tsv"].count), (2, 1), "`lr.tsv.tsv` is the metric `lr.tsv`");
    assert!(warnings_text(&t.index).contains("two series named \"lr\""), "{}", warnings_text(&t.index));
    // And every later scan works too.
    for s in t.scan().stores {
        assert_eq!(s.stats.error, None);
    }
}

#[test]
fn an_mlflow_db_written_anew_is_read_again_from_its_start() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-sqlite");
    let db = store.join("mlflow.db");
    t.add(&db);
    let before: u64 = all_runs(&t.index).iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();

    // A new training run deletes the database and writes a new one with as many rows and
    // then some: the old high-water mark would skip its first rows.
    let fresh = t.dir.path().join("fresh.db");
    std::fs::copy(&db, &fresh).unwrap();
    {
        let c = rusqlite::Connection::open(&fresh).unwrap();
        c.execute_batch(
            "CREATE TEMP TABLE keep AS SELECT * FROM metrics ORDER BY rowid;
             DELETE FROM metrics;
             INSERT INTO metrics SELECT key, value + 1000, timestamp, run_uuid, step, is_nan FROM keep ORDER BY rowid;
             INSERT INTO metrics SELECT key, value, timestamp + 1, run_uuid, step + 100000, is_nan FROM keep LIMIT 10;",
        )
        .unwrap();
    }
    std::fs::remove_file(&db).unwrap();
    std::fs::rename(&fresh, &db).unwrap();
    t.scan();
    let runs = all_runs(&t.index);
    let after: u64 = runs.iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();
    assert_eq!(after, before + 10, "every row of the new file, once");
    assert!(runs.iter().flat_map(|r| r.metrics.values()).all(|m| m.min >= 1000.0 - 1e9 && m.max >= 1000.0), "old values are gone");

    // The same as a fresh index of the new file.
    let mut clean = TestIndex::new();
    clean.add(&db);
    let counts = |i: &Index| -> Vec<(String, String, u64)> {
        let mut v: Vec<_> =
            all_runs(i).into_iter().flat_map(|r| r.metrics.into_iter().map(move |(k, m)| (r.native_id.clone(), k, m.count))).collect();
        v.sort();
        v
    };
    assert_eq!(counts(&t.index), counts(&clean.index));
}

#[test]
fn a_broken_mlflow_db_is_an_error_on_its_store_not_silence() {
    let mut t = TestIndex::new();
    let root = t.dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("mlflow.db"), "this is not a database").unwrap();
    let report = t.add(&root);
    assert_eq!(report.stores.len(), 1, "the file is a store that says why it has no runs");
    let error = report.stores[0].stats.error.clone().unwrap_or_default();
    assert!(error.contains("not an SQLite database"), "{error}");
}

#[test]
fn a_database_emptied_after_indexing_says_so_and_keeps_its_runs() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-sqlite");
    let db = store.join("mlflow.db");
    t.add(&db);
    std::fs::write(&db, b"").unwrap();
    let report = t.scan();
    let error = report.stores[0].stats.error.clone().unwrap_or_default();
    assert!(error.contains("empty (0 bytes)"), "{error}");
    assert!(!error.contains("no such table"), "{error}");
    assert_eq!(report.stores[0].store.runs, 10, "the runs indexed before stay browsable");
}

#[test]
fn a_run_folder_whose_name_is_not_utf8_is_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    let mlruns = store.join("mlruns");
    let runs_before = {
        let mut c = TestIndex::new();
        c.add(&mlruns);
        all_runs(&c.index).len()
    };
    let exp = std::fs::read_dir(&mlruns).unwrap().flatten().find(|e| e.file_name() == "0").unwrap().path();
    let odd = exp.join(std::ffi::OsStr::from_bytes(b"run-\xff\xfe"));
    std::fs::create_dir_all(odd.join("metrics")).unwrap();
    std::fs::write(odd.join("meta.yaml"), "run_id: x\n").unwrap();
    t.add(&mlruns);
    assert_eq!(all_runs(&t.index).len(), runs_before, "every other run is read");
    let warnings = warnings_text(&t.index);
    assert!(warnings.contains("not valid UTF-8"), "{warnings}");
}

#[test]
fn a_metric_file_larger_than_a_read_window_is_indexed_whole_and_once() {
    let mut t = TestIndex::new();
    let root = t.dir.path().join("mlruns");
    store_with_artifact_uri(&root, "file:///nowhere");
    let file = root.join("1/0123456789abcdef0123456789abcdef/metrics/loss");
    // ~40 MB: three read windows of 16 MiB, with lines cut at window edges.
    let lines = 1_200_000u64;
    let mut text = String::with_capacity(lines as usize * 34);
    for s in 0..lines {
        text.push_str(&format!("{} {} {s}\n", 1_714_986_000_000u64 + s, (s % 1000) as f64 * 0.001));
    }
    std::fs::write(&file, &text).unwrap();
    let stats = t.add(&root).stores[0].stats.clone();
    assert_eq!((stats.runs_new, stats.runs_updated, stats.points_added), (1, 0, lines), "one new run, however many windows");
    let m = all_runs(&t.index)[0].metrics["loss"];
    assert_eq!((m.count, m.last_step), (lines, lines as i64 - 1));
    // Appending after a windowed read resumes at the right byte.
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(&file).unwrap().write_all(b"1714987200000 0.5 1200000\n").unwrap();
    t.scan();
    let m = all_runs(&t.index)[0].metrics["loss"];
    assert_eq!((m.count, m.last_step), (lines + 1, lines as i64));
    let points = t.index.series(&all_runs(&t.index)[0].id, "loss").unwrap().unwrap();
    assert!(points.windows(2).all(|w| w[1].step == w[0].step + 1), "every step once, in order");
}

#[test]
fn metric_names_that_differ_only_in_invalid_utf8_stop_no_scan() {
    use std::os::unix::ffi::OsStrExt;
    let mut t = TestIndex::new();
    let root = t.dir.path().join("mlruns");
    store_with_artifact_uri(&root, "file:///nowhere");
    let metrics = root.join("1/0123456789abcdef0123456789abcdef/metrics");
    // Both names read as "loss\u{FFFD}" once made text.
    std::fs::write(metrics.join(std::ffi::OsStr::from_bytes(b"loss\xff")), "1 0.5 0\n2 0.4 1\n").unwrap();
    std::fs::write(metrics.join(std::ffi::OsStr::from_bytes(b"loss\xfe")), "1 0.9 0\n").unwrap();
    copy_tree(&fixture("mlflow-file/mlruns"), &t.dir.path().join("other/mlruns"));
    let top = t.dir.path().to_path_buf();
    let report = t.add(&top);
    for s in &report.stores {
        assert_eq!(s.stats.error, None, "{}", s.store.root);
    }
    let runs = all_runs(&t.index);
    assert_eq!(runs.len(), 13, "the odd run and the whole other store");
    let odd = runs.iter().find(|r| r.name == "r").unwrap();
    assert_eq!(odd.metrics["loss\u{FFFD}"].count, 3, "both files' points are kept");
    assert!(warnings_text(&t.index).contains("two series named"), "{}", warnings_text(&t.index));
}
