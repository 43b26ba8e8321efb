//! Rescans: unchanged stores read no content, appended metric lines are read from their
//! offset, rewritten files are re-read, vanished runs leave the index.

mod common;

use std::io::Write;

use common::{TestIndex, points_added};
use runlens_index::RunsQuery;

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// The folder of the run named `name` in a copied MLflow file store.
fn run_dir(t: &TestIndex, name: &str) -> std::path::PathBuf {
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let run = runs.iter().find(|r| r.name == name).unwrap();
    let root = std::path::Path::new(&run.store);
    walk_find(root, &run.native_id).unwrap()
}

fn walk_find(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().ok()?.is_dir() {
            if e.file_name() == name {
                return Some(e.path());
            }
            if let Some(p) = walk_find(&e.path(), name) {
                return Some(p);
            }
        }
    }
    None
}

#[test]
fn rescan_of_unchanged_stores_reads_nothing() {
    let mut t = TestIndex::new();
    let file = t.copy_of("mlflow-file");
    let sqlite = t.copy_of("mlflow-sqlite");
    t.add(&file);
    t.add(&sqlite);
    let report = t.scan();
    assert_eq!(report.stores.len(), 2);
    for s in &report.stores {
        assert_eq!((s.stats.runs_new, s.stats.runs_updated, s.stats.runs_removed, s.stats.points_added), (0, 0, 0, 0), "{}", s.store.root);
    }
    let sqlite_report = report.stores.iter().find(|s| s.store.reader == "mlflow-sqlite").unwrap();
    assert!(sqlite_report.stats.unchanged, "an unchanged database is not even opened");
}

#[test]
fn appended_metric_lines_are_read_from_their_offset_and_a_partial_line_waits() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let dir = run_dir(&t, "still-training");
    let loss = dir.join("metrics/train/loss");
    let before = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "still-training").unwrap();
    let count = before.metrics["train/loss"].count;

    append(&loss, "1715029300000 0.25 60\n1715029301500 0.24 61\n1715029303000 0.2");
    let report = t.scan();
    assert_eq!(points_added(&report), 2, "only the two complete new lines are read");
    let run = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(run.metrics["train/loss"].count, count + 2);
    assert_eq!(run.metrics["train/loss"].last, 0.24);
    assert_eq!(run.metrics["train/loss"].last_step, 61);
    assert!(t.index.warnings(None).unwrap().is_empty(), "a partial last line is not corruption");

    append(&loss, "3 62\n");
    let report = t.scan();
    assert_eq!(points_added(&report), 1);
    let run = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(run.metrics["train/loss"].count, count + 3);
    assert_eq!(run.metrics["train/loss"].last, 0.23);
    let points = t.index.series(&before.id, "train/loss").unwrap().unwrap();
    assert_eq!(points.len() as u64, count + 3);
    assert_eq!(points.last().unwrap().step, 62);
}

#[test]
fn a_new_metric_file_and_a_finished_status_are_picked_up() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let dir = run_dir(&t, "still-training");
    std::fs::create_dir_all(dir.join("metrics/eval")).unwrap();
    std::fs::write(dir.join("metrics/eval/f1"), "1715029300000 0.5 0\n1715029301000 0.6 1\n").unwrap();
    let meta = std::fs::read_to_string(dir.join("meta.yaml")).unwrap();
    let meta = meta.replace("status: 1", "status: 3").replace("end_time: null", "end_time: 1715029400000");
    std::fs::write(dir.join("meta.yaml"), meta).unwrap();

    let report = t.scan();
    assert_eq!(points_added(&report), 2);
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "still-training").unwrap();
    assert_eq!(run.status, "finished");
    assert_eq!(run.end_ms, Some(1715029400000));
    assert_eq!(run.metrics["eval/f1"].count, 2);
}

#[test]
fn a_rewritten_metric_file_is_read_again_from_the_start() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let dir = run_dir(&t, "quick-check");
    std::fs::write(dir.join("metrics/val/loss"), "1 0.9 0\n").unwrap();
    t.scan();
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "quick-check").unwrap();
    assert_eq!(run.metrics["val/loss"].count, 1);
    assert_eq!(run.metrics["val/loss"].last, 0.9);
}

#[test]
fn a_deleted_run_folder_leaves_the_index_and_a_new_one_arrives() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let dir = run_dir(&t, "quick-check");
    let copy = dir.with_file_name("0123456789abcdef0123456789abcdef");
    common::copy_tree(&dir, &copy);
    let meta = std::fs::read_to_string(copy.join("meta.yaml")).unwrap();
    let native = dir.file_name().unwrap().to_str().unwrap();
    std::fs::write(
        copy.join("meta.yaml"),
        meta.replace(native, "0123456789abcdef0123456789abcdef").replace("run_name: quick-check", "run_name: quick-check-2"),
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_removed), (1, 1));
    let names: Vec<String> = t.index.runs(&RunsQuery::default()).unwrap().into_iter().map(|r| r.name).collect();
    assert!(names.contains(&"quick-check-2".to_string()));
    assert!(!names.contains(&"quick-check".to_string()));
}

#[test]
fn new_rows_in_an_mlflow_database_are_read_from_the_rowid_mark() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-sqlite");
    t.add(&store);
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "live-training").unwrap();
    let count = run.metrics["train/loss"].count;
    {
        let conn = rusqlite::Connection::open(store.join("mlflow.db")).unwrap();
        conn.execute(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('train/loss', 0.1, 1715022200000, ?1, 90, 0),
             ('train/loss', 0.0, 1715022201500, ?1, 91, 1)",
            [&run.native_id],
        )
        .unwrap();
        conn.execute("UPDATE runs SET status = 'FINISHED', end_time = 1715022300000 WHERE run_uuid = ?1", [&run.native_id]).unwrap();
    }
    let report = t.scan();
    assert_eq!(points_added(&report), 2, "only the new rows are read");
    let after = t.index.run(&run.id).unwrap().unwrap();
    assert_eq!(after.status, "finished");
    assert_eq!(after.metrics["train/loss"].count, count + 2);
    assert!(after.metrics["train/loss"].last.is_nan(), "is_nan rows come back as NaN");
}
