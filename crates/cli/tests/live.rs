//! The index under the way researchers really use it: training jobs writing while scans
//! run, the app's watcher and a CLI scan at once, `runlens add` killed at any moment, two
//! adds on a fresh index. Each test compares the final index with the ground truth: the
//! lines a writer wrote, the peer tool's own reader, or a clean index of the same store.
//!
//! The peer tools (mlflow, trackio) come from the pinned venv of `scripts/peers.sh`
//! (`$RUNLENS_PEERS_PYTHON`, else the script is run to make or find it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{copy_tree, fixture, repo, runlens, write_store};

/// Starts `runlens` and returns once it has recorded what it will read: its first
/// progress line ("looking for stores in …") comes after the index is open and the folder
/// recorded. Its stderr is drained in the background so it never blocks on a full pipe.
fn spawn_runlens_recorded(db: &Path, args: &[&str]) -> Child {
    use std::io::BufRead;
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_runlens")).arg("--db").arg(db).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next();
    assert!(matches!(&first, Some(Ok(l)) if l.starts_with("looking for stores")), "runlens {args:?} began with {first:?}");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "runlens failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `runs --json --all` of the index: everything a consumer sees of every run.
fn runs_json(db: &Path) -> Value {
    serde_json::from_str(&ok(runlens(db, &["runs", "--json", "--all"]))).unwrap()
}

/// `{run name: {key: points}}` of the index.
fn counts(db: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for r in runs_json(db).as_array().unwrap() {
        let metrics = r["metrics"].as_object().unwrap().iter().map(|(k, m)| (k.clone(), m["count"].as_u64().unwrap())).collect();
        out.insert(r["name"].as_str().unwrap().to_string(), metrics);
    }
    out
}

fn total_points(runs: &Value) -> u64 {
    runs.as_array()
        .map(|rs| rs.iter().flat_map(|r| r["metrics"].as_object().unwrap().values()).map(|m| m["count"].as_u64().unwrap()).sum())
        .unwrap_or(0)
}

/// Keeps running `runlens scan` on `db` until `stop`, one scan at a time.
fn scan_loop(db: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            ok(runlens(&db, &["scan"]));
            n += 1;
        }
        n
    })
}

#[test]
fn two_scans_at_once_while_a_job_writes_count_every_point_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mlruns");
    let files = write_store(&store, 4, 3, 100);
    let db = dir.path().join("i.sqlite");
    ok(runlens(&db, &["add", store.to_str().unwrap()]));

    // The app's watcher and a terminal's `runlens scan`: two scan loops, while a training
    // job appends a point to every metric file every few milliseconds.
    let stop = Arc::new(AtomicBool::new(false));
    let scanners = [scan_loop(db.clone(), stop.clone()), scan_loop(db.clone(), stop.clone())];
    let written = std::thread::spawn(move || {
        let mut step = 100u64;
        let end = Instant::now() + Duration::from_secs(6);
        while Instant::now() < end {
            for f in &files {
                let mut file = std::fs::OpenOptions::new().append(true).open(f).unwrap();
                file.write_all(format!("{} {} {step}\n", 1_700_000_000_000u64 + step, step as f64 * 0.5).as_bytes()).unwrap();
            }
            step += 1;
            std::thread::sleep(Duration::from_millis(3));
        }
        step
    })
    .join()
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let scans: u32 = scanners.into_iter().map(|s| s.join().unwrap()).sum();
    ok(runlens(&db, &["scan"]));

    assert!(scans >= 4, "the scans ran while the job wrote ({scans})");
    for (run, keys) in counts(&db) {
        for (key, n) in keys {
            assert_eq!(n, written, "{run} {key}: every line once");
        }
    }
}

#[test]
fn three_adds_on_a_fresh_index_all_succeed() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("i.sqlite");
        let children: Vec<_> = [fixture("mlflow-sqlite"), fixture("mlflow-file"), fixture("sacred")]
            .iter()
            .map(|p| {
                Command::new(env!("CARGO_BIN_EXE_runlens"))
                    .arg("--db")
                    .arg(&db)
                    .arg("add")
                    .arg(p)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        assert_eq!(runs_json(&db).as_array().unwrap().len(), 10 + 12 + 6);
    }
}

/// Kills `runlens add` at 20 moments spread over a clean add's duration; after one more
/// `scan` the index must equal a clean index of the same store every time.
fn kill_trials(store: &Path, clean: &Value, clean_ms: u128) {
    kill_trials_with_reset(store, &|| {}, &|| {}, false, clean, clean_ms)
}

/// The fixture's MLflow database with `extra` more metric rows per run.
fn grow_mlflow_db(db: &Path, extra: usize, from_step: usize) {
    let c = rusqlite::Connection::open(db).unwrap();
    let runs: Vec<String> = c.prepare("SELECT run_uuid FROM runs").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let tx = c.unchecked_transaction().unwrap();
    {
        let mut insert = tx.prepare("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, 0)").unwrap();
        for run in &runs {
            for s in from_step..from_step + extra {
                let key = format!("bulk/k{}", s % 4);
                insert.execute(rusqlite::params![key, s as f64 * 0.25, 1_714_986_000_000i64 + s as i64, run, s as i64]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
}

#[test]
fn kill_9_during_add_or_scan_of_an_mlflow_database_then_scan_equals_a_clean_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_tree(&fixture("mlflow-sqlite"), &store);
    let db = store.join("mlflow.db");
    // Two states of a database a job writes to: before and after 40k more rows per run.
    grow_mlflow_db(&db, 20_000, 1_000_000);
    let first = dir.path().join("first.db");
    std::fs::copy(&db, &first).unwrap();
    grow_mlflow_db(&db, 20_000, 2_000_000);
    let grown = dir.path().join("grown.db");
    std::fs::copy(&db, &grown).unwrap();

    let clean_db = dir.path().join("clean.sqlite");
    let started = Instant::now();
    ok(runlens(&clean_db, &["add", store.to_str().unwrap()]));
    let clean_ms = started.elapsed().as_millis();
    let clean = runs_json(&clean_db);
    assert!(total_points(&clean) > 400_000);

    // Odd trials: index the first state, then the job "writes" (the file grows in place,
    // keeping its inode, as SQLite does) and the scan is killed.
    let put_first = || std::fs::copy(&first, &db).map(|_| ()).unwrap();
    let grow = || std::fs::copy(&grown, &db).map(|_| ()).unwrap();
    kill_trials_with_reset(&store, &put_first, &grow, true, &clean, clean_ms);
}

/// [`kill_trials`] for a store with two states (`scans`): even trials kill `add` of the
/// grown store; odd trials add the first state, grow it, and kill the `scan`. Kill times
/// are spread over the expected duration; a kill that comes too late (the machine is
/// faster than when `clean_ms` was measured) shortens the span and does not count, until
/// 20 kills landed mid-index.
fn kill_trials_with_reset(store: &Path, put_first: &dyn Fn(), grow: &dyn Fn(), scans: bool, clean: &Value, clean_ms: u128) {
    let dir = tempfile::tempdir().unwrap();
    let mut landed = 0u64;
    let mut span = [clean_ms as f64, clean_ms as f64 / 2.0];
    for attempt in 0..80u64 {
        if landed == 20 {
            break;
        }
        let db = dir.path().join(format!("i{attempt}.sqlite"));
        let during_scan = scans && attempt % 2 == 1;
        if during_scan {
            put_first();
            ok(runlens(&db, &["add", store.to_str().unwrap()]));
        }
        grow();
        let args: &[&str] = if during_scan { &["scan"] } else { &["add", store.to_str().unwrap()] };
        // Not before the index is open and the folder recorded: a kill before that
        // leaves nothing a `scan` could know of (on a slow disk, opening a new index
        // alone has taken over 160 ms).
        let mut child = spawn_runlens_recorded(&db, args);
        let span = &mut span[during_scan as usize];
        let at = (*span * ((landed % 10) * 2 + 1) as f64 / 20.0) as u64 + (attempt * 37) % 23;
        std::thread::sleep(Duration::from_millis(at));
        if child.try_wait().unwrap().is_none() {
            landed += 1;
        } else {
            *span *= 0.75;
        }
        let _ = child.kill();
        let _ = child.wait();
        ok(runlens(&db, &["scan"]));
        let got = runs_json(&db);
        assert_eq!(total_points(&got), total_points(clean), "attempt {attempt} ({}, killed after {at} ms): points", args[0]);
        assert!(&got == clean, "attempt {attempt} ({}, killed after {at} ms): the index differs from a clean one", args[0]);
    }
    assert_eq!(landed, 20, "20 kills landed mid-index");
}

#[test]
fn kill_9_during_add_of_a_tensorboard_logdir_then_scan_equals_a_clean_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("logs");
    for copy in ["a", "b", "c"] {
        copy_tree(&fixture("tensorboard"), &store.join(copy));
    }
    let clean_db = dir.path().join("clean.sqlite");
    let started = Instant::now();
    ok(runlens(&clean_db, &["add", store.to_str().unwrap()]));
    let clean_ms = started.elapsed().as_millis();
    let clean = runs_json(&clean_db);
    assert!(total_points(&clean) > 300_000);
    kill_trials(&store, &clean, clean_ms);
}

/// The Python of the pinned peer-tool venv.
fn peers_python() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNLENS_PEERS_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let out = Command::new("bash").arg(repo().join("scripts/peers.sh")).stderr(Stdio::inherit()).output().expect("scripts/peers.sh runs");
    assert!(out.status.success(), "scripts/peers.sh could not make the peer-tool venv");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn peer(args: &[&str]) -> Output {
    let out = Command::new(peers_python())
        .arg(repo().join("tests/peers/live_writer.py"))
        .args(args)
        .env("MLFLOW_ALLOW_FILE_STORE", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "live_writer.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A peer tool writes for 15 s while two `runlens scan` loops run; after a last scan the
/// index has exactly the points the tool's own reader returns.
fn live_writer_trial(write: &str, counts_cmd: &str, store: &Path, add_path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    let mut writer = Command::new(peers_python())
        .arg(repo().join("tests/peers/live_writer.py"))
        .args([write, store.to_str().unwrap(), "15"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Scans start as soon as the store exists.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !add_path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    while !runlens(&db, &["add", add_path.to_str().unwrap()]).status.success() || runs_json(&db).as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the writer never made its store");
        std::thread::sleep(Duration::from_millis(200));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let scanners = [scan_loop(db.clone(), stop.clone()), scan_loop(db.clone(), stop.clone())];
    let status = writer.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(writer.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{write}: {stderr}");
    stop.store(true, Ordering::Relaxed);
    let scans: u32 = scanners.into_iter().map(|s| s.join().unwrap()).sum();
    ok(runlens(&db, &["scan"]));

    let theirs: BTreeMap<String, BTreeMap<String, u64>> = serde_json::from_slice(&peer(&[counts_cmd, store.to_str().unwrap()]).stdout).unwrap();
    let ours = counts(&db);
    assert!(scans >= 3, "{write}: the scans ran while it wrote ({scans})");
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert!(theirs.values().all(|k| k.get("loss").is_some_and(|&n| n > 10)), "{write} wrote for a while: {theirs:?}");
    assert_eq!(ours, theirs, "{write}: point counts per run and key");
}

#[test]
fn mlflow_logging_to_sqlite_while_scans_loop_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    live_writer_trial("mlflow-write", "mlflow-counts", &db, &db);
}

#[test]
fn trackio_logging_while_scans_loop_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("trackio");
    live_writer_trial("trackio-write", "trackio-counts", &folder, &folder.join("live.db"));
}
