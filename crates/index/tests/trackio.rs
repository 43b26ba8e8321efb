//! trackio project databases indexed from the fixture agree with what trackio wrote
//! (`tests/fixtures/expected.json`, and the rows themselves), and rescans read only the
//! new rows.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};

fn runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn run<'a>(runs: &'a [RunRecord], name: &str) -> &'a RunRecord {
    runs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name:?}"))
}

/// A copy of the fixture, indexed, and its demo database.
fn indexed_copy() -> (TestIndex, PathBuf) {
    let mut t = TestIndex::new();
    let store = t.copy_of("trackio");
    t.add(&store);
    let db = store.join("trackio-demo.db");
    (t, db)
}

/// Logs one row the way trackio does.
fn log(conn: &rusqlite::Connection, run_id: &str, run: &str, step: i64, metrics: &str) {
    conn.execute(
        "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?1, '2026-11-26T10:05:00.000000+00:00', ?2, ?3, ?4)",
        rusqlite::params![run_id, run, step, metrics.as_bytes()],
    )
    .unwrap();
}

/// `(first, last, min, max, count)` of one key straight from the database, in row order.
fn from_db(db: &Path, run: &str, key: &str) -> (f64, f64, f64, f64, u64) {
    // Opened as Runlens opens stores: a plain read-only open of a WAL database would
    // create `-wal` and `-shm` files inside the fixture.
    let conn = runlens_sources::sqlite_ro::open_read_only(db).unwrap();
    let mut stmt = conn.prepare("SELECT metrics FROM metrics WHERE run_name = ?1 ORDER BY id").unwrap();
    let values: Vec<f64> = stmt
        .query_map([run], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .filter_map(|m| serde_json::from_slice::<serde_json::Value>(&m.unwrap()).unwrap()[key].as_f64())
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (values[0], *values.last().unwrap(), min, max, values.len() as u64)
}

#[test]
fn trackio_projects_match_what_trackio_wrote() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("trackio"));
    assert_eq!(report.stores.len(), 2, "one store per project database");
    assert!(report.stores.iter().all(|s| s.store.reader == "trackio"));
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);

    let exp = expected("trackio");
    let runs = runs(&t);
    for (project, ep) in exp["projects"].as_object().unwrap() {
        let db = fixture("trackio").join(ep["db_file"].as_str().unwrap());
        for (name, er) in ep["runs"].as_object().unwrap() {
            let r = run(&runs, name);
            let what = format!("trackio / {project} / {name}");
            assert_eq!(r.source, "trackio", "{what}");
            assert_eq!(r.experiment.as_deref(), Some(project.as_str()), "{what}: experiment = project");
            assert_eq!(r.status, "unknown", "{what}: trackio persists no status");
            assert!(r.start_ms.is_some(), "{what}: start from _Created");
            let top: BTreeSet<&str> = r.params.keys().map(|k| k.split('.').next().unwrap()).collect();
            assert_eq!(Some(top.len() as u64), er["config_keys"].as_u64(), "{what}: config keys");
            assert!(r.params.keys().all(|k| !k.starts_with('_')), "{what}: trackio's own keys are not params");

            let keys = er["metric_keys"].as_object().unwrap();
            assert_eq!(r.metrics.len(), keys.len(), "{what}: metric keys");
            for (key, count) in keys {
                let got = &r.metrics[key];
                assert_eq!(Some(got.count), count.as_u64(), "{what}: {key} points");
                let (first, last, min, max, n) = from_db(&db, name, key);
                assert_eq!((got.first, got.last, got.min, got.max, got.count), (first, last, min, max, n), "{what}: {key}");
                let points = t.index.series(&r.id, key).unwrap().unwrap();
                assert_eq!(points.len() as u64, got.count, "{what}: {key} stored points");
                assert!(points.iter().all(|p| p.time_ms > 1_795_000_000_000), "{what}: row timestamps");
            }
            let points: u64 = r.metrics.values().map(|m| m.count).sum();
            assert_eq!(Some(points), er["metric_points"].as_u64(), "{what}: metric points");
        }
    }
    let totals = &exp["totals"];
    assert_eq!(Some(runs.len() as u64), totals["runs"].as_u64());
    let experiments: BTreeSet<_> = runs.iter().map(|r| r.experiment.clone()).collect();
    assert_eq!(Some(experiments.len() as u64), totals["projects"].as_u64());
    let config_keys: usize = runs.iter().map(|r| r.params.keys().map(|k| k.split('.').next().unwrap()).collect::<BTreeSet<_>>().len()).sum();
    assert_eq!(Some(config_keys as u64), totals["config_keys"].as_u64());
    assert_eq!(Some(runs.iter().map(|r| r.metrics.values().map(|m| m.count).sum::<u64>()).sum()), totals["metric_points"].as_u64());
}

#[test]
fn config_fields_and_media_files_of_a_run() {
    let mut t = TestIndex::new();
    t.add(&fixture("trackio"));
    let runs = runs(&t);
    let baseline = run(&runs, "baseline");
    assert_eq!(baseline.tags.get("trackio.group").map(String::as_str), Some("mlp"));
    assert_eq!(baseline.start_ms, Some(1_795_687_489_653), "_Created");
    assert_eq!(baseline.user, None, "_Username is null");
    assert_eq!((baseline.params["model.arch"].as_str(), baseline.params["optimizer"].as_str()), ("mlp", "sgd"));
    assert!(baseline.artifact_dir.as_deref().unwrap().ends_with("media/trackio-demo/baseline"));
    let artifacts: Vec<String> = t.index.artifacts(&baseline.id).unwrap().into_iter().map(|a| a.path).collect();
    assert_eq!(
        artifacts,
        vec!["0/48914219-b96f-4af1-97fa-1a71aa434468.png", "99/21c1531d-7be9-482c-9927-5dbfed583a57.png"],
        "the two logged images; the table is inline in its row"
    );
    let unicode = run(&runs, "run ünïcode 1");
    assert!(unicode.tags.is_empty(), "_Group is null");
    assert_eq!(unicode.experiment.as_deref(), Some("RésuméParser"));
    assert_eq!(unicode.artifact_dir, None);
}

#[test]
fn a_rescan_of_unchanged_databases_opens_nothing() {
    let (mut t, _db) = indexed_copy();
    let report = t.scan();
    assert_eq!(report.stores.len(), 2);
    for s in &report.stores {
        assert!(s.stats.unchanged, "{}", s.store.root);
        assert_eq!((s.stats.runs_new, s.stats.runs_updated, s.stats.runs_removed, s.stats.points_added), (0, 0, 0, 0));
    }
}

#[test]
fn new_rows_are_read_from_the_id_mark_and_other_runs_stay_unchanged() {
    let (mut t, db) = indexed_copy();
    let before = run(&runs(&t), "wider-net").clone();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        log(&conn, &before.native_id, "wider-net", 60, r#"{"train/loss": 0.5, "train/accuracy": "NaN", "note": "text"}"#);
        log(&conn, &before.native_id, "wider-net", 61, r#"{"train/loss": "-Infinity", "extra/new": 3}"#);
        conn.execute("UPDATE configs SET config = '{\"lr\": 0.5, \"_Group\": \"wide\"}' WHERE run_name = 'wider-net'", []).unwrap();
    }
    let report = t.scan();
    let demo = report.stores.iter().find(|s| s.store.root.ends_with("trackio-demo.db")).unwrap();
    assert_eq!(demo.stats.points_added, 4, "only the new rows are read");
    assert_eq!(demo.stats.runs_updated, 1, "baseline did not change");
    assert!(report.stores.iter().find(|s| s.store.root.ends_with("RésuméParser.db")).unwrap().stats.unchanged);

    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["train/loss"].count, before.metrics["train/loss"].count + 2);
    assert_eq!((after.metrics["train/loss"].last, after.metrics["train/loss"].last_step), (f64::NEG_INFINITY, 61));
    assert!(after.metrics["train/accuracy"].last.is_nan());
    assert_eq!(after.metrics["extra/new"].count, 1);
    assert_eq!(after.params.len(), 1);
    assert_eq!(after.tags["trackio.group"], "wide");

    let again = t.scan();
    assert!(again.stores.iter().all(|s| s.stats.unchanged && s.stats.points_added == 0));
}

#[test]
fn rows_written_through_a_live_wal_connection_are_seen() {
    let (mut t, db) = indexed_copy();
    let id = run(&runs(&t), "baseline").native_id.clone();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).unwrap();
    log(&conn, &id, "baseline", 100, r#"{"train/loss": 0.125}"#);
    assert!(db.with_file_name("trackio-demo.db-wal").exists(), "the row is in the -wal while the writer is open");
    let report = t.scan();
    assert_eq!(points_added(&report), 1);
    let r = run(&runs(&t), "baseline").clone();
    assert_eq!((r.metrics["train/loss"].last, r.metrics["train/loss"].count), (0.125, 101));
    drop(conn);
}

#[test]
fn a_deleted_run_is_dropped_and_the_rest_read_again() {
    let (mut t, db) = indexed_copy();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("DELETE FROM metrics WHERE run_name = 'wider-net'", []).unwrap();
        conn.execute("DELETE FROM configs WHERE run_name = 'wider-net'", []).unwrap();
    }
    let report = t.scan();
    let demo = report.stores.iter().find(|s| s.store.root.ends_with("trackio-demo.db")).unwrap();
    assert_eq!(demo.stats.runs_removed, 1);
    assert_eq!(demo.stats.points_added, 320, "rows below the mark changed: everything is read again");
    let runs = runs(&t);
    assert_eq!(runs.len(), 2);
    assert_eq!(run(&runs, "baseline").metrics["train/loss"].count, 100, "replaced, not doubled");
}

#[test]
fn an_unreadable_row_is_a_positioned_warning_and_the_rest_is_kept() {
    let mut t = TestIndex::new();
    let store = t.copy_of("trackio");
    let db = store.join("trackio-demo.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE metrics SET metrics = CAST('{\"train/loss\": 0.5, \"train/acc' AS BLOB) WHERE id = 5", []).unwrap();
    }
    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let baseline = run(&runs(&t), "baseline").clone();
    assert_eq!(warnings[0].file.as_deref(), Some(format!("trackio-demo.db#{}", baseline.native_id).as_str()));
    assert_eq!(warnings[0].location.as_deref(), Some("metrics row 5"));
    assert!(warnings[0].message.contains("JSON"), "{}", warnings[0].message);
    assert_eq!(baseline.metrics["train/loss"].count, 99, "every other row is read");
    assert_eq!(run(&runs(&t), "wider-net").metrics["train/loss"].count, 60);

    // New rows for the run: the warning about the old row stays.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        log(&conn, &baseline.native_id, "baseline", 100, r#"{"train/loss": 0.1}"#);
    }
    t.scan();
    assert_eq!(t.index.warnings(None).unwrap().len(), 1);
}

#[test]
fn a_corrupt_database_is_an_error_on_its_store_not_a_crash() {
    let (mut t, db) = indexed_copy();
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    let report = t.scan();
    let demo = report.stores.iter().find(|s| s.store.root.ends_with("trackio-demo.db")).unwrap();
    assert!(demo.stats.error.as_deref().unwrap().contains("trackio-demo.db"), "{:?}", demo.stats.error);
    assert_eq!(runs(&t).len(), 3, "cached runs stay browsable");
}

#[test]
fn no_other_fixture_is_taken_for_a_trackio_database() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture(""));
    let mut roots: Vec<&str> = report.stores.iter().filter(|s| s.store.reader == "trackio").map(|s| s.store.root.as_str()).collect();
    roots.sort();
    assert_eq!(roots.len(), 2, "{roots:?}");
    assert!(roots[0].ends_with("trackio/RésuméParser.db") && roots[1].ends_with("trackio/trackio-demo.db"), "{roots:?}");
}
