//! W&B run folders indexed from the fixture agree with what wandb itself reports
//! (`tests/fixtures/expected.json`, `kinds.wandb`); rescans read only what changed, and
//! damage is a positioned warning.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};

/// `(run id, key, points, first, last, min, max, last step)` of every metric, as decoded
/// from the fixture logs by a separate decoder written from the format notes (Python,
/// not this reader), because expected.json gives point counts but not values.
type Curve = (&'static str, &'static str, u64, f64, f64, f64, f64, i64);

const CURVES: &[Curve] = &[
    ("fx1base0", "train/loss", 120, 2.515872194331327, 0.22502718775903147, 0.22502718775903147, 2.515872194331327, 119),
    ("fx1base0", "train/accuracy", 120, 0.09986275151106129, 0.8444818102341616, 0.09986275151106129, 0.9035267321864452, 119),
    ("fx1base0", "learning_rate", 120, 0.01, 1.7133751222137006e-06, 1.7133751222137006e-06, 0.01, 119),
    ("fx1base0", "grad_norm", 120, 1.3308674036178438, 0.5587532162626998, 0.24945012726900276, 2.3870787504684463, 119),
    ("fx1base0", "val/accuracy", 12, 0.26245279085309103, 0.8409587840671607, 0.26245279085309103, 0.8409587840671607, 119),
    ("fx1base0", "val/loss", 12, 1.5765567178109712, 0.28023561415981896, 0.28023561415981896, 1.5765567178109712, 119),
    ("fx2wide0", "train/loss", 80, 2.4389786338506996, 0.29711079464088763, 0.28972557555463835, 2.4389786338506996, 79),
    ("fx2wide0", "train/accuracy", 80, 0.10364237329877946, 0.8810210495989502, 0.10364237329877946, 0.904897917249774, 79),
    ("fx2wide0", "learning_rate", 80, 0.001, 3.854818796385495e-07, 3.854818796385495e-07, 0.001, 79),
    ("fx2wide0", "grad_norm", 80, 1.3430513851894124, 0.34718185932831774, 0.1125927903444751, 2.077401843482997, 79),
    ("fx2wide0", "val/accuracy", 8, 0.45878784043110643, 0.9142497855843593, 0.45878784043110643, 0.9443547129906975, 79),
    ("fx2wide0", "val/loss", 8, 1.3948853665827026, 0.3199412004805932, 0.3199412004805932, 1.3948853665827026, 79),
    ("fx3fail0", "train/accuracy", 30, 0.11246088613331773, 0.9289223285375442, 0.11246088613331773, 0.9474690145934666, 29),
    ("fx3fail0", "learning_rate", 30, 0.03, 8.217156947590065e-05, 8.217156947590065e-05, 0.03, 29),
    ("fx3fail0", "grad_norm", 30, 1.741112377032687, 0.5933273480550894, 0.3054634327825686, 2.1834980680927747, 29),
    ("fx3fail0", "train/loss", 30, 2.580394621955291, 0.3122841308763769, 0.2750029368666431, 2.580394621955291, 29),
    ("fx3fail0", "val/loss", 3, 0.6986785116147973, 0.27943246073603856, 0.27943246073603856, 0.6986785116147973, 29),
    ("fx3fail0", "val/accuracy", 3, 0.758657075136551, 0.9017053015690847, 0.758657075136551, 0.9017053015690847, 29),
];

const WIDE: &str = "wandb/offline-run-20261126_100424-fx2wide0/run-fx2wide0.wandb";
const BASE: &str = "wandb/offline-run-20261126_100422-fx1base0/run-fx1base0.wandb";
const FAIL_DIR: &str = "wandb/offline-run-20261126_100425-fx3fail0";

/// The index's experiments table: `(native id, name)` (no query API lists experiments).
fn experiments(t: &TestIndex) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(t.dir.path().join("index.sqlite")).unwrap();
    let mut stmt = conn.prepare("SELECT native_id, name FROM experiments ORDER BY native_id").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

fn runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn run(t: &TestIndex, native_id: &str) -> RunRecord {
    runs(t).into_iter().find(|r| r.native_id == native_id).unwrap_or_else(|| panic!("run {native_id}"))
}

/// Checks one run of expected.json against the index, field by field.
fn check_run(t: &TestIndex, er: &serde_json::Value) {
    let id = er["run_id"].as_str().unwrap();
    let r = run(t, id);
    let what = format!("wandb / {id}");
    assert_eq!(r.source, "wandb", "{what}");
    assert_eq!(r.name, er["name"].as_str().unwrap(), "{what}: name");
    assert_eq!(r.experiment.as_deref(), er["project"].as_str(), "{what}: project");
    let status = if er["exit_code"].as_i64() == Some(0) { "finished" } else { "failed" };
    assert_eq!(r.status, status, "{what}: status from exit code {}", er["exit_code"]);
    assert!(!r.deleted);
    assert_eq!(r.commit.as_deref(), er["git_commit"].as_str(), "{what}: commit");
    let (start, end) = (r.start_ms.unwrap(), r.end_ms.unwrap());
    assert!(start > 1_700_000_000_000 && end >= start, "{what}: {start} .. {end}");

    // Tags: one per label, and W&B's fields as wandb.* tags.
    for label in er["tags"].as_array().unwrap() {
        assert_eq!(r.tags.get(label.as_str().unwrap()).map(String::as_str), Some(""), "{what}: label {label}");
    }
    assert_eq!(r.tags["wandb.id"], id);
    assert_eq!(r.tags["wandb.project"], er["project"].as_str().unwrap());
    assert_eq!(r.tags["wandb.job_type"], er["job_type"].as_str().unwrap());
    assert_eq!(r.tags["wandb.git.remote"], er["git_remote"].as_str().unwrap());
    let group = er["group"].as_str().unwrap();
    assert_eq!(r.tags.get("wandb.group").map(String::as_str), Some(group).filter(|g| !g.is_empty()), "{what}: group");
    assert_eq!(r.tags["wandb.host"], "workstation");
    assert_eq!(r.tags["wandb.mode"], "offline");

    // Params: the config's leaves, `_wandb` left out.
    assert_eq!(Some(r.params.len() as u64), er["config_leaves"].as_u64(), "{what}: config leaves {:?}", r.params);
    let top: BTreeSet<&str> = r.params.keys().map(|k| k.split('.').next().unwrap()).collect();
    assert_eq!(Some(top.len() as u64), er["config_keys"].as_u64(), "{what}: config keys");
    assert!(!r.params.keys().any(|k| k.starts_with('_')), "{what}: internal config keys");

    // Metrics: every key, every point.
    let keys = er["metric_keys"].as_object().unwrap();
    assert_eq!(r.metrics.keys().collect::<BTreeSet<_>>(), keys.keys().collect::<BTreeSet<_>>(), "{what}: metric keys");
    for (key, count) in keys {
        assert_eq!(Some(r.metrics[key].count), count.as_u64(), "{what}: {key} points");
        let points = t.index.series(&r.id, key).unwrap().unwrap();
        assert_eq!(points.len() as u64, r.metrics[key].count, "{what}: {key} stored points");
        assert!(points.windows(2).all(|w| w[0].step < w[1].step), "{what}: {key} one point per step, sorted");
        assert!(points.iter().all(|p| p.time_ms >= start && p.time_ms <= end), "{what}: {key} times within the run");
    }
    assert_eq!(Some(r.metrics.values().map(|m| m.count).sum::<u64>()), er["metric_points"].as_u64(), "{what}: points");
    assert_eq!(Some(r.metrics.values().map(|m| m.count).max().unwrap()), er["history_rows"].as_u64(), "{what}: rows");
    for &(_, key, count, first, last, min, max, last_step) in CURVES.iter().filter(|c| c.0 == id) {
        let m = &r.metrics[key];
        assert_eq!((m.count, m.first, m.last, m.min, m.max, m.last_step), (count, first, last, min, max, last_step), "{what}: {key}");
    }

    // Files: everything below the run's files/ folder, media included.
    let artifacts: Vec<String> = t.index.artifacts(&r.id).unwrap().into_iter().map(|a| a.path).collect();
    let files: Vec<&str> = er["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(artifacts, files, "{what}: files");
    let dir = r.artifact_dir.as_deref().unwrap();
    assert!(dir.ends_with(&format!("{}/files", er["folder"].as_str().unwrap())), "{what}: {dir}");
    let count = |prefix: &str| artifacts.iter().filter(|a| a.starts_with(prefix)).count() as u64;
    assert_eq!(Some(count("media/images/")), er["images"].as_u64(), "{what}: images");
    assert_eq!(Some(count("media/table/")), er["tables"].as_u64(), "{what}: tables");
}

/// Checks every run and the totals of expected.json; returns the number of runs.
fn check_wandb(t: &TestIndex) -> usize {
    let exp = expected("wandb");
    let expected_runs = exp["runs"].as_array().unwrap();
    for er in expected_runs {
        check_run(t, er);
    }
    let all = runs(t);
    let totals = &exp["totals"];
    let sum = |f: &dyn Fn(&RunRecord) -> u64| Some(all.iter().map(f).sum::<u64>());
    assert_eq!(Some(all.len() as u64), totals["runs"].as_u64());
    assert_eq!(sum(&|r| r.metrics.values().map(|m| m.count).sum()), totals["metric_points"].as_u64());
    assert_eq!(sum(&|r| r.metrics.values().map(|m| m.count).max().unwrap_or(0)), totals["history_rows"].as_u64());
    assert_eq!(sum(&|r| r.params.len() as u64), totals["config_leaves"].as_u64());
    let top_keys = |r: &RunRecord| r.params.keys().map(|k| k.split('.').next().unwrap()).collect::<BTreeSet<_>>().len() as u64;
    assert_eq!(sum(&top_keys), totals["config_keys"].as_u64());
    let files: Vec<String> = all.iter().flat_map(|r| t.index.artifacts(&r.id).unwrap()).map(|a| a.path).collect();
    let media = files.iter().filter(|f| f.starts_with("media/")).count() as u64;
    assert_eq!(Some(media), totals["media_files"].as_u64());
    assert_eq!(Some(files.len() as u64 - media), totals["user_files"].as_u64());
    expected_runs.len()
}

fn projects(names: &[&str]) -> Vec<(String, String)> {
    names.iter().map(|n| (n.to_string(), n.to_string())).collect()
}

#[test]
fn wandb_folder_matches_what_wandb_reports() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("wandb"));
    assert_eq!(report.stores.len(), 1);
    assert_eq!(report.stores[0].store.reader, "wandb");
    assert_eq!(report.stores[0].store.source, "wandb");
    assert!(report.stores[0].store.root.ends_with("wandb/wandb"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_wandb(&t), 3);
    assert_eq!(experiments(&t), projects(&["nlp-sentiment", "wandb-vision"]));
    let base = run(&t, "fx1base0");
    let param = |k: &str| base.params[k].as_str();
    assert_eq!((param("learning_rate"), param("weight_decay"), param("optimizer")), ("0.01", "0.00005521", "adam"));
    assert_eq!((param("model.arch"), param("model.depth"), param("augmentation.policy")), ("resnet50", "46", "rand-m9-n2"));
    assert_eq!(base.tags["wandb.notes"], "first baseline");
    assert_eq!(base.tags["wandb.program"], "/home/researcher/projects/vision-experiments/generate.py");
}

#[test]
fn one_run_folder_given_directly_is_a_store_of_one_run() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("wandb").join(FAIL_DIR));
    assert_eq!(report.stores.len(), 1);
    assert!(report.stores[0].store.root.ends_with("fx3fail0"));
    let exp = expected("wandb");
    let fail = exp["runs"].as_array().unwrap().iter().find(|r| r["run_id"] == "fx3fail0").unwrap();
    check_run(&t, fail);
    assert_eq!(runs(&t).len(), 1);
}

#[test]
fn rescan_of_an_unchanged_wandb_store_reads_no_content() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    t.add(&store);
    // Same size, inode and mtime but different bytes: a rescan that read the log would notice.
    let log = store.join(BASE);
    let modified = std::fs::metadata(&log).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[7..].iter_mut().for_each(|b| *b = 0x5a);
    std::fs::write(&log, &bytes).unwrap();
    std::fs::File::options().write(true).open(&log).unwrap().set_modified(modified).unwrap();

    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_wandb(&t), 3);
    assert_eq!(experiments(&t), projects(&["nlp-sentiment", "wandb-vision"]), "projects are known without reading the logs");
}

/// Replaces the log at `rel` in `store` by the first `len` bytes of the fixture's log.
fn write_prefix(store: &Path, rel: &str, len: usize) {
    let full = std::fs::read(fixture("wandb").join(rel)).unwrap();
    std::fs::write(store.join(rel), &full[..len]).unwrap();
}

/// Appends the fixture log's bytes `from..to` to the copy.
fn append_part(store: &Path, rel: &str, from: usize, to: usize) {
    let full = std::fs::read(fixture("wandb").join(rel)).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(store.join(rel)).unwrap();
    f.write_all(&full[from..to.min(full.len())]).unwrap();
}

fn total_points(r: &RunRecord) -> u64 {
    r.metrics.values().map(|m| m.count).sum()
}

#[test]
fn a_growing_log_is_read_from_its_last_complete_record() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    // wandb-core writes whole 32 KiB blocks while a run is live: the block ends inside
    // a record whose last chunk is in the next block.
    write_prefix(&store, WIDE, 32_768);
    t.add(&store);
    let live = run(&t, "fx2wide0");
    assert_eq!(live.status, "running", "no exit record yet");
    assert_eq!(live.name, "wide-resnet ünïcode 🚀");
    assert_eq!(live.end_ms, None);
    let first = total_points(&live);
    assert!(first > 0 && first < 336, "{first}");
    assert_eq!(t.index.warnings(None).unwrap(), vec![], "a partial last record is not damage");

    // The next bytes, ending in the middle of a chunk.
    append_part(&store, WIDE, 32_768, 40_000);
    let report = t.scan();
    let second = total_points(&run(&t, "fx2wide0"));
    assert!(second > first);
    assert_eq!(points_added(&report), second - first, "only the new points are read");
    assert_eq!(report.stores[0].stats.runs_updated, 1);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);

    // The rest, with the exit record: the run's fields are read again, points appended.
    append_part(&store, WIDE, 40_000, usize::MAX);
    let report = t.scan();
    assert_eq!(points_added(&report), 336 - second);
    assert_eq!(check_wandb(&t), 3);
    let done = run(&t, "fx2wide0");
    let mut reference = TestIndex::new();
    reference.add(&fixture("wandb"));
    let whole = run(&reference, "fx2wide0");
    for key in whole.metrics.keys() {
        assert_eq!(t.index.series(&done.id, key).unwrap(), reference.index.series(&whole.id, key).unwrap(), "{key}");
    }
    assert_eq!((done.start_ms, done.end_ms, &done.params, &done.tags), (whole.start_ms, whole.end_ms, &whole.params, &whole.tags));

    let report = t.scan();
    assert_eq!((report.stores[0].stats.runs_updated, points_added(&report)), (0, 0));
}

#[test]
fn a_rewritten_log_replaces_the_run() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    t.add(&store);
    // Shorter than before: the log was replaced, so it is read again from its start.
    write_prefix(&store, WIDE, 20_000);
    t.scan();
    let r = run(&t, "fx2wide0");
    assert_eq!(r.status, "running");
    let loss = r.metrics["train/loss"].count;
    assert!(loss > 0 && loss < 80, "{loss}");
    assert_eq!(t.index.series(&r.id, "train/loss").unwrap().unwrap().len() as u64, loss);
    assert_eq!(run(&t, "fx1base0").metrics["train/loss"].count, 120, "other runs are untouched");
}

#[test]
fn a_resumed_run_folder_is_merged_by_id() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    t.add(&store);
    let resumed = store.join("wandb/offline-run-20261126_110000-fx3fail0");
    common::copy_tree(&store.join(FAIL_DIR), &resumed);
    t.scan();
    let r = run(&t, "fx3fail0");
    assert_eq!(runs(&t).len(), 3, "one run per id");
    assert_eq!(r.metrics["train/loss"].count, 60, "both sessions' points");
    assert_eq!(r.status, "failed");
    assert!(r.artifact_dir.as_deref().unwrap().contains("offline-run-20261126_110000-fx3fail0"), "the latest session's files");

    std::fs::remove_dir_all(&resumed).unwrap();
    let report = t.scan();
    assert_eq!(report.stores[0].stats.runs_removed, 0);
    assert_eq!(run(&t, "fx3fail0").metrics["train/loss"].count, 30, "a vanished session's points go");
    assert_eq!(check_wandb(&t), 3);
}

#[test]
fn a_vanished_run_leaves_the_index_with_its_project() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    t.add(&store);
    std::fs::remove_dir_all(store.join(FAIL_DIR)).unwrap();
    let report = t.scan();
    assert_eq!(report.stores[0].stats.runs_removed, 1);
    assert_eq!(experiments(&t), projects(&["wandb-vision"]), "a project no run refers to is gone");
}

#[test]
fn a_damaged_chunk_is_a_positioned_warning_and_everything_else_is_indexed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("wandb");
    let log = store.join(BASE);
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[40_000] ^= 0xff; // inside block 1
    std::fs::write(&log, &bytes).unwrap();
    // Not a log at all: the run is still listed.
    let fail_log = store.join(FAIL_DIR).join("run-fx3fail0.wandb");
    let mut fail = std::fs::read(&fail_log).unwrap();
    fail[..4].copy_from_slice(b"GIF8");
    std::fs::write(&fail_log, &fail).unwrap();

    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let base = warnings.iter().find(|w| w.file.as_deref() == Some(BASE.strip_prefix("wandb/").unwrap())).unwrap();
    let at: u64 = base.location.as_deref().unwrap().strip_prefix("byte ").unwrap().parse().unwrap();
    assert!((32_768..=40_000).contains(&at), "the damaged chunk starts in block 1 before the flipped byte: {at}");
    assert!(base.message.contains("checksum"), "{}", base.message);
    let other = warnings.iter().find(|w| w.file.as_deref().is_some_and(|f| f.ends_with("run-fx3fail0.wandb"))).unwrap();
    assert_eq!(other.location.as_deref(), Some("byte 0"));

    // The rest of block 1 is lost; blocks 0 and 2 (with the exit record) are read.
    let r = run(&t, "fx1base0");
    assert_eq!(r.status, "finished");
    assert_eq!(r.name, "baseline-resnet");
    let loss = r.metrics["train/loss"].count;
    assert!(loss > 60 && loss < 120, "{loss}");
    let wide = expected("wandb")["runs"].as_array().unwrap().iter().find(|r| r["run_id"] == "fx2wide0").unwrap().clone();
    check_run(&t, &wide);
    let broken = run(&t, "fx3fail0");
    assert_eq!((broken.name.as_str(), broken.status.as_str()), ("fx3fail0", "unknown"));
    assert!(broken.metrics.is_empty());

    // Unchanged damage is not reported again.
    t.scan();
    assert_eq!(t.index.warnings(None).unwrap().len(), 2);
}

#[test]
fn folders_that_only_look_like_wandb_are_not_stores() {
    let mut t = TestIndex::new();
    let dir: PathBuf = t.dir.path().join("not-wandb/wandb/run-20240101_000000-abc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("run-abc.wandb"), b"not a log").unwrap();
    let top = t.dir.path().join("not-wandb");
    assert!(t.add(&top).stores.is_empty());
}
