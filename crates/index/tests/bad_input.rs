//! Bad input gives a clear error or a warning on its store, and everything readable is
//! still indexed.

mod common;

use common::{TestIndex, fixture};
use runlens_index::{IndexError, RunsQuery};
use runlens_sources::DiscoverError;

#[test]
fn a_missing_path_is_an_error_and_nothing_is_indexed() {
    let mut t = TestIndex::new();
    let missing = t.dir.path().join("no-such-folder");
    let err = t.index.add(&[fixture("mlflow-file"), missing.clone()], &mut |_| {}).unwrap_err();
    assert!(matches!(err, IndexError::Discover(DiscoverError::Missing(ref p)) if *p == missing), "{err}");
    assert!(err.to_string().contains("no such file or folder"), "{err}");
    assert!(t.index.stores().unwrap().is_empty(), "all paths are checked before anything is indexed");
}

#[test]
fn a_folder_or_file_without_stores_finds_nothing() {
    let mut t = TestIndex::new();
    let empty = t.dir.path().join("empty");
    std::fs::create_dir_all(empty.join("a/b")).unwrap();
    std::fs::write(empty.join("a/notes.txt"), "hello").unwrap();
    assert!(t.add(&empty).stores.is_empty());
    assert!(t.add(&empty.join("a/notes.txt")).stores.is_empty());
}

#[test]
fn a_single_database_file_can_be_added_directly() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("mlflow-sqlite/mlflow.db"));
    assert_eq!(report.stores.len(), 1);
    assert_eq!(report.stores[0].store.runs, 10);
}

#[test]
fn a_half_written_meta_yaml_is_a_warning_and_the_run_is_still_listed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "quick-check").unwrap();
    let meta = std::path::Path::new(&run.store).join("0").join(&run.native_id).join("meta.yaml");
    let good = std::fs::read_to_string(&meta).unwrap();

    // Being rewritten: empty. The run keeps what was indexed, with a warning.
    std::fs::write(&meta, "").unwrap();
    t.scan();
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].file.as_deref().unwrap().ends_with("meta.yaml"));
    assert!(warnings[0].message.contains("empty"), "{}", warnings[0].message);
    let again = t.index.run(&run.id).unwrap().unwrap();
    assert_eq!((again.name.as_str(), again.status.as_str()), ("quick-check", "finished"));

    // Half-written YAML in a fresh index: the run is listed from its tags.
    std::fs::write(&meta, good[..good.len() / 2].replace(": ", ":: [")).unwrap();
    let mut fresh = TestIndex::new();
    fresh.add(&store);
    let runs = fresh.index.runs(&RunsQuery::default()).unwrap();
    assert_eq!(runs.len(), 10, "every other run is indexed");
    let listed = runs.iter().find(|r| r.native_id == run.native_id).unwrap();
    assert_eq!(listed.name, "quick-check", "named from its mlflow.runName tag");
    assert_eq!(listed.status, "unknown");
    assert_eq!(listed.metrics["train/loss"].count, 20, "its metrics are still read");
    assert_eq!(fresh.index.warnings(None).unwrap().len(), 1);

    // Fixed: the warning goes away.
    std::fs::write(&meta, &good).unwrap();
    fresh.scan();
    assert!(fresh.index.warnings(None).unwrap().is_empty());
    assert_eq!(fresh.index.run(&listed.id).unwrap().unwrap().status, "finished");
}

#[test]
fn garbage_metric_lines_are_positioned_warnings_and_the_rest_is_kept() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    let metrics = store.join("mlruns/0");
    let run_dir =
        std::fs::read_dir(&metrics).unwrap().flatten().find(|e| e.path().join("meta.yaml").exists() && e.file_name() != "meta.yaml").unwrap().path();
    let loss = run_dir.join("metrics/train/loss");
    let mut text = std::fs::read_to_string(&loss).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "garbage here\n\u{0}\u{1}binary\n");
    std::fs::write(&loss, text).unwrap();

    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].location.as_deref(), Some("line 2"));
    assert_eq!(warnings[1].location.as_deref(), Some("line 3"));
    assert!(warnings[0].file.as_deref().unwrap().ends_with("metrics/train/loss"));
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "quick-check").unwrap();
    assert_eq!(run.metrics["train/loss"].count, 20, "every good line is a point");
    let stores = t.index.stores().unwrap();
    assert_eq!(stores[0].warnings, 2);
}

#[test]
fn a_missing_store_keeps_its_runs_and_says_why() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-sqlite");
    t.add(&store);
    std::fs::remove_dir_all(&store).unwrap();
    let report = t.scan();
    assert!(report.stores[0].stats.error.as_deref().unwrap().contains("missing"));
    assert_eq!(t.index.runs(&RunsQuery::default()).unwrap().len(), 8, "cached runs stay browsable");
    assert!(t.index.stores().unwrap()[0].error.is_some());
}

#[test]
fn a_corrupt_database_is_an_error_on_its_store_not_a_crash() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-sqlite");
    t.add(&store);
    // Keep the header so it is still recognised, destroy the rest.
    let db = store.join("mlflow.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    let report = t.scan();
    let error = report.stores[0].stats.error.as_deref().unwrap();
    assert!(error.contains("mlflow.db"), "{error}");
    assert_eq!(t.index.runs(&RunsQuery::default()).unwrap().len(), 8);
}

#[test]
fn the_index_database_itself_is_not_taken_for_an_mlflow_store() {
    // Runlens' index has tables named like MLflow's (runs, metrics, params, ...).
    let mut t = TestIndex::new();
    let folder = t.dir.path().to_path_buf();
    let report = t.add(&folder);
    assert!(report.stores.is_empty(), "{:?}", report.stores);
}

#[test]
fn a_meta_yaml_cut_short_that_still_parses_is_a_warning_not_a_wrong_run() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "still-training").unwrap();
    let meta = walkdir_find(std::path::Path::new(&run.store), &run.native_id).unwrap().join("meta.yaml");
    let good = std::fs::read_to_string(&meta).unwrap();
    // The first line and a half: valid YAML (one key), but not the run's whole meta.
    std::fs::write(&meta, &good[..good.find('\n').unwrap() + 10]).unwrap();
    t.scan();
    let again = t.index.run(&run.id).unwrap().unwrap();
    assert_eq!((again.status.as_str(), again.start_ms), ("running", run.start_ms), "the run keeps what was indexed");
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].message.contains("incomplete meta.yaml"), "{}", warnings[0].message);
}

/// The folder named `name` below `dir`.
fn walkdir_find(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().ok()?.is_dir() {
            if e.file_name() == name {
                return Some(e.path());
            }
            if let Some(p) = walkdir_find(&e.path(), name) {
                return Some(p);
            }
        }
    }
    None
}
