//! Every reader's run start, end and status come from what its tracker records: each test
//! reads the times a fixture's own files record (MLflow's `meta.yaml` and database,
//! Sacred's `run.json`, Neptune's `metadata.json` and operation log, W&B's run folder and
//! its own log, trackio's configs, the TensorBoard wall times the fixtures' README
//! states) and compares them with the index through [`check_times`]. A kind that records
//! no time must have none in the index: never a file's modification time.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TestIndex, expected, fixture};
use runlens_index::{RunRecord, RunsQuery};

/// `T0` of the fixtures' README (2024-05-06T09:00:00Z).
const T0: i64 = 1_714_986_000_000;
/// No fixture run lasts longer than this (the longest, TensorBoard's long run, is 2.8 h).
const LONGEST_FIXTURE_RUN_MS: i64 = 24 * 3_600_000;

/// What a store's own files record of a run's start or end (ms since the epoch).
#[derive(Debug, Clone, Copy)]
enum Recorded {
    /// This time exactly.
    At(i64),
    /// A time in this range (inclusive): the store records it to the second, or bounds it.
    Between(i64, i64),
    /// Nothing: the index has no time either.
    Nothing,
}

impl From<i64> for Recorded {
    fn from(t: i64) -> Recorded {
        Recorded::At(t)
    }
}

impl From<Option<i64>> for Recorded {
    fn from(t: Option<i64>) -> Recorded {
        t.map_or(Recorded::Nothing, Recorded::At)
    }
}

/// Compares a run's indexed start and end with what its store records, and checks that
/// the two make a sane duration.
fn check_times(what: &str, r: &RunRecord, start: impl Into<Recorded>, end: impl Into<Recorded>) {
    for (field, got, want) in [("start", r.start_ms, start.into()), ("end", r.end_ms, end.into())] {
        match want {
            Recorded::At(t) => assert_eq!(got, Some(t), "{what}: {field}"),
            Recorded::Between(lo, hi) => assert!(got.is_some_and(|g| lo <= g && g <= hi), "{what}: {field} {got:?} not in {lo}..={hi}"),
            Recorded::Nothing => assert_eq!(got, None, "{what}: {field} is not recorded"),
        }
    }
    if let (Some(start), Some(end)) = (r.start_ms, r.end_ms) {
        assert!(start <= end, "{what}: ends at {end}, before its start {start}");
        assert!(end - start <= LONGEST_FIXTURE_RUN_MS, "{what}: lasts {} h", (end - start) / 3_600_000);
    }
}

/// The runs of fixture `kind`, indexed from the fixture in place, by native id.
fn indexed(kind: &str) -> (TestIndex, BTreeMap<String, RunRecord>) {
    let mut t = TestIndex::new();
    t.add(&fixture(kind));
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    assert!(!runs.is_empty(), "{kind}: no runs");
    // Keyed by store and native id: Sacred's run ids repeat across its observer folders.
    let by_id = runs.into_iter().map(|r| (if kind == "sacred" { format!("{}#{}", r.store, r.native_id) } else { r.native_id.clone() }, r)).collect();
    (t, by_id)
}

/// An ISO-8601 time as the trackers write it (`2026-11-26T10:45:12.970315`, naive times
/// being UTC, or with `+00:00` / `Z`) in ms since the epoch, sub-milliseconds dropped.
fn iso_ms(s: &str) -> i64 {
    let (date, time) = s.split_once('T').unwrap_or_else(|| panic!("{s}: not ISO-8601"));
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    assert!(!time.contains(['+', '-']), "{s}: the fixtures write UTC");
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let [y, m, d]: [i64; 3] = date.split('-').map(|x| x.parse().unwrap()).collect::<Vec<_>>().try_into().unwrap();
    let [hh, mm, ss]: [i64; 3] = hms.split(':').map(|x| x.parse().unwrap()).collect::<Vec<_>>().try_into().unwrap();
    let ms: i64 = format!("{fraction:0<3}")[..3].parse().unwrap();
    days_from_civil(y, m, d) * 86_400_000 + (hh * 3600 + mm * 60 + ss) * 1000 + ms
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture database opened without writing anything next to it.
fn open_immutable(path: &Path) -> rusqlite::Connection {
    let uri = format!("file:{}?immutable=1", path.display());
    rusqlite::Connection::open_with_flags(uri, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI).unwrap()
}

#[test]
fn iso_times_read_as_the_trackers_mean_them() {
    assert_eq!(iso_ms("2024-05-06T09:00:00+00:00"), T0);
    assert_eq!(iso_ms("2024-05-06T09:00:00.0019Z"), T0 + 1);
    assert_eq!(iso_ms("1970-01-01T00:00:01"), 1000);
}

#[test]
fn mlflow_file_times_are_those_of_each_runs_meta_yaml() {
    let (_t, runs) = indexed("mlflow-file");
    let mut checked = 0;
    for entry in walkdir(&fixture("mlflow-file/mlruns")) {
        if entry.file_name().is_none_or(|n| n != "meta.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap();
        let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
        let Some(run_id) = field("run_id:") else { continue }; // an experiment, dataset or model
        if entry.components().any(|c| c.as_os_str() == "models") {
            continue; // a logged model's meta.yaml names its source run
        }
        let r = &runs[run_id];
        let time = |key: &str| field(key).filter(|v| *v != "null").map(|v| v.parse::<i64>().unwrap());
        let (start, end) = (time("start_time:"), time("end_time:"));
        let what = format!("mlflow-file / {}", r.name);
        check_times(&what, r, start, end);
        // The README's rule for these times: run i starts at T0 + i x 2 h.
        assert_eq!((start.unwrap() - T0) % 7_200_000, 0, "{what}");
        assert_eq!(end.is_none(), r.status == "running", "{what}: only a running run has no end");
        checked += 1;
    }
    assert_eq!(checked, expected("mlflow-file")["totals"]["runs"].as_u64().unwrap());
}

#[test]
fn mlflow_sqlite_times_are_those_of_the_runs_table() {
    let (_t, runs) = indexed("mlflow-sqlite");
    let db = open_immutable(&fixture("mlflow-sqlite/mlflow.db"));
    let mut stmt = db.prepare("SELECT run_uuid, start_time, end_time, status FROM runs").unwrap();
    let rows: Vec<(String, Option<i64>, Option<i64>, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), runs.len());
    for (id, start, end, status) in rows {
        let r = &runs[&id];
        check_times(&format!("mlflow-sqlite / {}", r.name), r, start, end);
        assert_eq!(r.status, status.to_lowercase());
    }
}

#[test]
fn sacred_times_are_run_json_start_and_stop_time() {
    let (_t, runs) = indexed("sacred");
    let mut checked = 0;
    for entry in walkdir(&fixture("sacred")) {
        if entry.file_name().is_none_or(|n| n != "run.json") {
            continue;
        }
        let run = json(&entry);
        // `<observer folder>/<run id>/run.json`: one store per observer folder.
        let dir = entry.parent().unwrap();
        let (store, id) = (std::fs::canonicalize(dir.parent().unwrap()).unwrap(), dir.file_name().unwrap().to_string_lossy());
        let r = runs.values().find(|r| Path::new(&r.store) == store && r.native_id == id).unwrap_or_else(|| panic!("no run {}", dir.display()));
        let time = |key: &str| run[key].as_str().map(iso_ms);
        check_times(&format!("sacred / {}", dir.display()), r, time("start_time"), time("stop_time"));
        checked += 1;
    }
    assert_eq!(checked, expected("sacred")["totals"]["runs"].as_u64().unwrap());
}

#[test]
fn neptune_times_are_the_creation_time_and_the_last_operation_of_a_closed_run() {
    let (_t, runs) = indexed("neptune");
    let project = fixture("neptune");
    for er in expected("neptune")["runs"].as_array().unwrap() {
        let folder = project.join(er["folder"].as_str().unwrap());
        let r = &runs[er["container_id"].as_str().unwrap()];
        let created = iso_ms(json(&folder.join("metadata.json"))["createdAt"].as_str().unwrap());
        // Every operation carries the time the client queued it (`at`, seconds).
        let log = std::fs::read_to_string(folder.join("data-1.log")).unwrap();
        let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
        let last_at = (last["at"].as_f64().unwrap() * 1000.0) as i64;
        assert_ne!(er["state"], "running", "every fixture run is closed");
        check_times(&format!("neptune / {}", r.name), r, created, last_at);
    }
}

#[test]
fn wandb_times_are_within_what_the_run_folder_and_its_log_record() {
    let (_t, runs) = indexed("wandb");
    for er in expected("wandb")["runs"].as_array().unwrap() {
        let folder = fixture("wandb/wandb").join(er["folder"].as_str().unwrap());
        let r = &runs[er["run_id"].as_str().unwrap()];
        // The folder is named after the run record's start time, to the second (UTC here:
        // the log's own times agree); wandb-core's log ends after the exit record.
        let stamp = er["folder"].as_str().unwrap().split('-').nth(2).unwrap();
        let (d, t) = stamp.split_once('_').unwrap();
        let named = iso_ms(&format!("{}-{}-{}T{}:{}:{}", &d[..4], &d[4..6], &d[6..], &t[..2], &t[2..4], &t[4..]));
        let log = std::fs::read_to_string(folder.join("logs/debug-internal.log")).unwrap();
        let logged: Vec<i64> =
            log.lines().map(|l| iso_ms(&serde_json::from_str::<serde_json::Value>(l).unwrap()["time"].as_str().unwrap()[..23])).collect();
        let (first_log, last_log) = (logged[0], *logged.last().unwrap());
        assert!(named <= first_log, "the log starts after the run");
        check_times(&format!("wandb / {}", r.name), r, Recorded::Between(named, named + 999), Recorded::Between(named, last_log));
    }
}

#[test]
fn trackio_starts_are_the_configs_created_time_and_there_is_no_end() {
    let (_t, runs) = indexed("trackio");
    let mut checked = 0;
    for db in ["trackio-demo.db", "RésuméParser.db"] {
        let db = open_immutable(&fixture("trackio").join(db));
        let mut stmt = db.prepare("SELECT run_id, config FROM configs").unwrap();
        let rows: Vec<(String, Vec<u8>)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        for (id, config) in rows {
            let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
            let r = &runs[&id];
            check_times(&format!("trackio / {}", r.name), r, iso_ms(config["_Created"].as_str().unwrap()), Recorded::Nothing);
            assert_eq!(r.status, "unknown", "trackio records no status");
            checked += 1;
        }
    }
    assert_eq!(checked, runs.len());
}

#[test]
fn tensorboard_times_are_the_first_and_last_scalar_of_the_training_curves() {
    let (_t, runs) = indexed("tensorboard");
    for (name, er) in expected("tensorboard")["runs"].as_object().unwrap() {
        let r = &runs[name];
        // README: wall times T0 + 2 s x step (long run: 0.1 s x step). `add_hparams`
        // writes its own file (hparams and the `hparam/*` scalars) with the clock of the
        // day the fixture was generated, 2.5 years later: not the run's time.
        let step_ms = if name == "long-run" { 100 } else { 2_000 };
        let curves: Vec<i64> = er["scalars"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(key, _)| !key.starts_with("hparam/"))
            .map(|(_, m)| m["last_step"].as_i64().unwrap())
            .collect();
        let what = format!("tensorboard / {name}");
        match curves.iter().max() {
            Some(last_step) => check_times(&what, r, T0, T0 + step_ms * last_step),
            // A folder with only a file_version record: the time the writer opened it.
            None => {
                let file = std::fs::read_dir(fixture("tensorboard").join(name)).unwrap().flatten().find(|e| e.path().is_file()).unwrap();
                let bytes = std::fs::read(file.path()).unwrap();
                assert_eq!(bytes[12], 0x09, "Event.wall_time comes first");
                let opened = (f64::from_le_bytes(bytes[13..21].try_into().unwrap()) * 1000.0).round() as i64;
                check_times(&what, r, opened, opened);
            }
        }
        let hparams = er["hparams"].as_u64().is_some();
        assert_eq!(r.status, if hparams { "finished" } else { "unknown" }, "{what}: the session end's status, or none");
    }
}

#[test]
fn kinds_that_record_no_times_have_none() {
    for kind in ["dvclive", "hf-trainer", "csv-logger"] {
        let (t, runs) = indexed(kind);
        for r in runs.values() {
            // DVCLive records a time per point only with `timestamp=True`, which the
            // fixture's runs did not use; the Trainer and the CSV loggers record none.
            let first_times: Vec<i64> = t.index.series(&r.id, r.metrics.keys().next().unwrap()).unwrap().unwrap().iter().map(|p| p.time_ms).collect();
            assert!(first_times.iter().all(|&t| t == 0), "{kind} / {}: points without time", r.name);
            check_times(&format!("{kind} / {}", r.name), r, Recorded::Nothing, Recorded::Nothing);
        }
    }
}

/// Every file below `dir`, sorted.
fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}
