//! TensorBoard event files indexed from the fixture agree with what TensorBoard itself
//! reports for them (`tests/fixtures/expected.json`), and rescans read only what changed.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{TestIndex, expected, fixture, points_added};
use runlens_index::{RunRecord, RunsQuery};

fn runs(t: &TestIndex) -> Vec<RunRecord> {
    t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn run(t: &TestIndex, name: &str) -> RunRecord {
    runs(t).into_iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name:?}"))
}

/// The first event file of a run folder, by name.
fn event_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().find(|p| p.to_string_lossy().contains("tfevents")).unwrap()
}

/// Byte ranges of the records of an event file (framing only, checksums not checked).
fn records(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 12 <= bytes.len() {
        let len = u64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap()) as usize;
        out.push(pos..pos + 16 + len);
        pos += 16 + len;
    }
    assert_eq!(pos, bytes.len(), "the fixture ends on a record boundary");
    out
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

#[test]
fn tensorboard_runs_match_what_tensorboard_reports() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("tensorboard"));
    assert_eq!(report.stores.len(), 1, "lone runs are grouped into one store");
    assert_eq!(report.stores[0].store.reader, "tensorboard");
    assert!(report.stores[0].store.root.ends_with("fixtures/tensorboard"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);

    let exp = expected("tensorboard");
    let all = runs(&t);
    let by_name: BTreeMap<&str, &RunRecord> = all.iter().map(|r| (r.name.as_str(), r)).collect();
    let expected_runs = exp["runs"].as_object().unwrap();
    assert_eq!(by_name.keys().copied().collect::<Vec<_>>(), expected_runs.keys().map(String::as_str).collect::<Vec<_>>());
    for (name, er) in expected_runs {
        let r = by_name[name.as_str()];
        assert_eq!(r.source, "tensorboard", "{name}");
        assert_eq!(r.native_id, *name);
        assert_eq!(r.experiment.as_deref(), Some("tensorboard"), "{name}: one experiment named after the root");
        let hparams = er["hparams"].as_u64();
        assert_eq!(r.params.len() as u64, hparams.unwrap_or(0), "{name}: params");
        // tensorboardX's add_hparams ends its session with status SUCCESS; nothing else has a status.
        assert_eq!(r.status, if hparams.is_some() { "finished" } else { "unknown" }, "{name}: status");
        assert!(r.start_ms.is_some() && r.start_ms <= r.end_ms, "{name}: start {:?} end {:?}", r.start_ms, r.end_ms);

        let scalars = er["scalars"].as_object().unwrap();
        assert_eq!(r.metrics.keys().collect::<Vec<_>>(), scalars.keys().collect::<Vec<_>>(), "{name}: metric keys");
        let mut total = 0;
        for (key, m) in scalars {
            let got = &r.metrics[key];
            let what = format!("{name} / {key}");
            assert_eq!(Some(got.count), m["points"].as_u64(), "{what}: points");
            assert_eq!(Some(got.first_step), m["first_step"].as_i64(), "{what}: first_step");
            assert_eq!(Some(got.last_step), m["last_step"].as_i64(), "{what}: last_step");
            for (field, value) in [("first", got.first), ("last", got.last), ("min", got.min), ("max", got.max)] {
                assert_eq!(Some(value), m[field].as_f64(), "{what}: {field}");
            }
            let points = t.index.series(&r.id, key).unwrap().unwrap();
            assert_eq!(points.len() as u64, got.count, "{what}: every point is stored");
            assert_eq!(points.iter().filter(|p| !p.value.is_finite()).count() as u64, m["non_finite"].as_u64().unwrap());
            total += got.count;
        }
        assert_eq!(Some(total), er["scalar_points"].as_u64(), "{name}: scalar points");

        let artifacts = t.index.artifacts(&r.id).unwrap();
        assert_eq!(Some(artifacts.len() as u64), er["images"].as_u64(), "{name}: images");
        for a in &artifacts {
            assert!(a.path.starts_with("images/") && a.path.ends_with(".png"), "{name}: {}", a.path);
            let origin = a.origin.as_deref().unwrap();
            let (file, offset) = origin.split_once('#').unwrap();
            assert!(file.starts_with(&format!("{name}/")) && file.contains("tfevents"), "{origin}");
            let bytes = std::fs::read(fixture("tensorboard").join(file)).unwrap();
            assert!(offset.parse::<usize>().unwrap() + a.size as usize <= bytes.len(), "{origin}");
        }
    }

    let totals = &exp["totals"];
    assert_eq!(Some(all.len() as u64), totals["runs"].as_u64());
    assert_eq!(Some(all.iter().map(|r| r.metrics.len() as u64).sum()), totals["scalar_tags"].as_u64());
    let points: u64 = all.iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();
    assert_eq!(Some(points), totals["scalar_points"].as_u64());
    assert_eq!(Some(points_added(&report)), totals["scalar_points"].as_u64());
    let images: usize = all.iter().map(|r| t.index.artifacts(&r.id).unwrap().len()).sum();
    assert_eq!(Some(images as u64), totals["images"].as_u64());
    assert_eq!(Some(all.iter().filter(|r| !r.params.is_empty()).count() as u64), totals["hparam_runs"].as_u64());
    assert_eq!(Some(all.iter().map(|r| r.params.len() as u64).sum()), totals["hparams_total"].as_u64());
}

#[test]
fn hparams_become_params_as_text() {
    let mut t = TestIndex::new();
    t.add(&fixture("tensorboard"));
    let trial = run(&t, "hparam-search/trial-0");
    let params: Vec<(&str, &str)> = trial.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(params, [("batch_size", "32"), ("lr", "0.1"), ("optimizer", "adam"), ("use_bn", "false")]);
}

#[test]
fn the_long_run_keeps_every_point_with_wall_times() {
    let mut t = TestIndex::new();
    t.add(&fixture("tensorboard"));
    let long = run(&t, "long-run");
    let points = t.index.series(&long.id, "loss").unwrap().unwrap();
    assert_eq!(points.len(), 101_000);
    assert!(points.iter().enumerate().all(|(i, p)| p.step == i as i64));
    // T0 + 0.1 s x step (README of the fixtures).
    assert_eq!((points[0].time_ms, points[100_999].time_ms), (1_714_986_000_000, 1_714_986_000_000 + 10_099_900));
    assert_eq!(long.start_ms, Some(1_714_986_000_000));
    assert_eq!(long.end_ms, Some(1_714_986_000_000 + 10_099_900));
}

#[test]
fn runs_start_and_end_with_their_first_and_last_event() {
    let mut t = TestIndex::new();
    t.add(&fixture("tensorboard"));
    // T0 + 2 s x step (README of the fixtures); the file_version record, written when the
    // fixture was generated, does not count while the run has other events.
    let mnist = run(&t, "mnist-mlp/lr_0.001");
    assert_eq!((mnist.start_ms, mnist.end_ms), (Some(1_714_986_000_000), Some(1_714_986_000_000 + 2_000 * 199)));
    let parent = run(&t, "hparam-search");
    assert!(parent.start_ms.is_some() && parent.start_ms == parent.end_ms, "only a file_version record");
}

#[test]
fn every_event_file_is_read_once_and_marked() {
    use runlens_sources::{ScanContext, Update, reader_by_id};
    let root = fixture("tensorboard").canonicalize().unwrap();
    let updates = std::sync::Mutex::new(Vec::new());
    let sink = |u: Update| updates.lock().unwrap().push(u);
    let previous = std::collections::HashMap::new();
    reader_by_id("tensorboard").unwrap().scan(&ScanContext::new(&root, &previous, &sink)).unwrap();
    let exp = expected("tensorboard");
    let mut files = 0;
    for u in updates.into_inner().unwrap() {
        let Update::Run(r) = u else { continue };
        let marked: Vec<&String> = r.marks.as_ref().unwrap().iter().map(|(p, _)| p).filter(|p| p.contains("tfevents")).collect();
        assert_eq!(Some(marked.len() as u64), exp["runs"][&r.native_id]["event_files"].as_u64(), "{}", r.native_id);
        assert_eq!(r.reread.iter().collect::<Vec<_>>(), marked, "{}: read from their start", r.native_id);
        files += marked.len() as u64;
    }
    assert_eq!(Some(files), exp["totals"]["event_files"].as_u64());
}

#[test]
fn a_rescan_of_an_unchanged_store_reads_nothing() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    t.add(&store);
    let report = t.scan();
    assert_eq!(report.stores.len(), 1);
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
    assert_eq!(runs(&t).len(), 8);
}

#[test]
fn appended_records_are_read_from_their_offset_and_a_partial_record_waits() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    t.add(&store);
    let before = run(&t, "long-run");
    let file = event_file(&store.join("long-run"));
    let bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    // Log the last three records again (the same steps once more: every point is kept),
    // and half of a fourth.
    let last3 = &bytes[recs[recs.len() - 3].start..];
    let fourth = &bytes[recs[recs.len() - 4].clone()];
    append(&file, last3);
    append(&file, &fourth[..fourth.len() / 2]);

    let report = t.scan();
    assert_eq!(points_added(&report), 3, "only the three complete new records are read");
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed), (0, 1, 0), "only the long run changed");
    assert!(t.index.warnings(None).unwrap().is_empty(), "a partial record is not corruption");
    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["loss"].count, 101_003);
    assert_eq!(after.metrics["loss"].last, before.metrics["loss"].last);
    assert_eq!(after.metrics["loss"].min, before.metrics["loss"].min);

    append(&file, &fourth[fourth.len() / 2..]);
    let report = t.scan();
    assert_eq!(points_added(&report), 1);
    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["loss"].count, 101_004);
    assert_eq!(after.metrics["loss"].last_step, 100_996);
    assert_eq!(t.index.series(&before.id, "loss").unwrap().unwrap().len(), 101_004);
    assert_eq!((after.start_ms, after.end_ms), (before.start_ms, before.end_ms), "no new wall time");
}

#[test]
fn a_record_cut_short_waits_while_the_file_is_fresh_and_is_a_warning_once_it_is_stale() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    let file = event_file(&store.join("mnist-mlp/lr_0.01"));
    let bytes = std::fs::read(&file).unwrap();
    // The cut is in the file's last scalar record (`lr` at step 199; a text summary follows).
    let recs = records(&bytes);
    let last = recs[recs.len() - 2].clone();
    let cut = last.start + 5;
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(cut as u64).unwrap();
    t.add(&store);
    assert_eq!(t.index.warnings(None).unwrap(), vec![], "just written: the writer is still at work");
    let before = run(&t, "mnist-mlp/lr_0.01");

    // Ten minutes on, nothing more was written: the writer stopped mid-record.
    let ten_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_modified(ten_minutes_ago).unwrap();
    t.scan();
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let rel = file.strip_prefix(&store).unwrap().to_string_lossy().into_owned();
    assert_eq!(warnings[0].file.as_deref(), Some(rel.as_str()));
    assert_eq!(warnings[0].location, Some(format!("byte {}", last.start)));
    assert!(warnings[0].message.contains("cut short (5 bytes"), "{}", warnings[0].message);
    t.scan();
    assert_eq!(t.index.warnings(None).unwrap().len(), 1, "a rescan keeps one warning, not two");
    assert_eq!(run(&t, "mnist-mlp/lr_0.01").metrics, before.metrics, "the complete records stay indexed");

    // The writer completes the file after all: the warning goes and the point arrives.
    append(&file, &bytes[cut..]);
    let report = t.scan();
    assert_eq!(points_added(&report), 1);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
}

#[test]
fn a_new_event_file_in_a_run_is_appended_and_a_new_run_folder_arrives() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    t.add(&store);
    let before = run(&t, "hparam-search/trial-1");
    let trial = store.join("hparam-search/trial-1");
    let scalars = std::fs::read_dir(&trial).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(".scalars")).unwrap();
    // A restart writes a new file whose name sorts after the others.
    std::fs::copy(&scalars, trial.join("events.out.tfevents.1895687438.workstation")).unwrap();
    common::copy_tree(&store.join("long-run"), &store.join("extra/long-run-2"));

    let report = t.scan();
    assert_eq!(points_added(&report), 100 + 101_000);
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed), (1, 1, 0));
    let after = t.index.run(&before.id).unwrap().unwrap();
    assert_eq!(after.metrics["train/loss"].count, 100);
    assert_eq!(after.params, before.params, "params kept when no new hparams are read");
    assert_eq!(after.status, "finished");
    assert_eq!(run(&t, "extra/long-run-2").metrics["loss"].count, 101_000);
}

#[test]
fn a_rewritten_file_reads_its_run_again_and_a_deleted_run_leaves() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    t.add(&store);
    let before = run(&t, "mnist-mlp/lr_0.01");
    let file = event_file(&store.join("mnist-mlp/lr_0.01"));
    let bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    // Truncated to its first ten records (file_version + 9 events), written anew.
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, &bytes[..recs[9].end]).unwrap();
    std::fs::remove_dir_all(store.join("long-run")).unwrap();

    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed), (0, 1, 1));
    let after = t.index.run(&before.id).unwrap().unwrap();
    let count: u64 = after.metrics.values().map(|m| m.count).sum();
    assert_eq!(count, points_added(&report), "the run's series are replaced, not appended to");
    assert!(count > 0 && count < 10, "{count}");
    assert!(runs(&t).iter().all(|r| r.name != "long-run"));
}

#[test]
fn a_corrupt_record_is_a_positioned_warning_and_everything_else_is_indexed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    let file = event_file(&store.join("mnist-mlp/lr_0.001"));
    let mut bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    let victim = recs[5].clone();
    bytes[victim.start + 14] ^= 0xff; // inside the data: its checksum no longer matches
    std::fs::write(&file, &bytes).unwrap();

    let report = t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let rel = file.strip_prefix(&store).unwrap().to_string_lossy().into_owned();
    assert_eq!(warnings[0].file.as_deref(), Some(rel.as_str()));
    assert_eq!(warnings[0].location, Some(format!("byte {}", victim.start)));
    let total: u64 = expected("tensorboard")["totals"]["scalar_points"].as_u64().unwrap();
    assert_eq!(points_added(&report), total - 1, "only the corrupt record's point is lost");
    assert_eq!(runs(&t).len(), 8);

    // A rescan does not repeat the warning; fixing the file clears it.
    t.scan();
    assert_eq!(t.index.warnings(None).unwrap().len(), 1);
    // Replaced by a repaired copy (a new inode: same size and inode would read as a touch).
    bytes[victim.start + 14] ^= 0xff;
    let repaired = file.with_extension("repaired");
    std::fs::write(&repaired, &bytes).unwrap();
    std::fs::rename(&repaired, &file).unwrap();
    t.scan();
    assert!(t.index.warnings(None).unwrap().is_empty());
    let fixed = run(&t, "mnist-mlp/lr_0.001");
    assert_eq!(fixed.metrics.values().map(|m| m.count).sum::<u64>(), 640);
}

#[test]
fn a_bad_length_checksum_stops_that_file_only() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    let file = event_file(&store.join("cifar-cnn/augmented"));
    let mut bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    let victim = recs[recs.len() / 2].clone();
    bytes[victim.start + 9] ^= 0x01; // the length's checksum
    std::fs::write(&file, &bytes).unwrap();

    t.add(&store);
    let warnings = t.index.warnings(None).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].location, Some(format!("byte {}", victim.start)));
    assert!(warnings[0].message.contains("length"), "{}", warnings[0].message);
    let cifar = run(&t, "cifar-cnn/augmented");
    let count: u64 = cifar.metrics.values().map(|m| m.count).sum();
    assert!(count < 252, "{count}");
    assert_eq!(run(&t, "long-run").metrics["loss"].count, 101_000, "other runs are complete");

    // The dead file is not read again while it grows.
    append(&file, b"more bytes after the damage");
    let report = t.scan();
    assert_eq!(points_added(&report), 0);
    assert_eq!(t.index.warnings(None).unwrap().len(), 1);
}

#[test]
fn a_file_named_like_an_event_file_that_is_not_one_finds_nothing() {
    let mut t = TestIndex::new();
    let dir = t.dir.path().join("not-tb");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("events.out.tfevents.123.host"), b"garbage, not a TFRecord").unwrap();
    assert!(t.add(&dir).stores.is_empty());
}

#[test]
fn a_single_run_folder_is_its_own_store_named_after_the_folder() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("tensorboard/hparam-search/trial-2"));
    assert_eq!(report.stores.len(), 1);
    let all = runs(&t);
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].name.as_str(), all[0].experiment.as_deref()), ("trial-2", Some("trial-2")));
    assert_eq!(all[0].metrics.len(), 4);
}

#[test]
fn an_appended_image_keeps_the_earlier_images_listed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("tensorboard");
    t.add(&store);
    let cifar = run(&t, "cifar-cnn/augmented");
    let file = event_file(&store.join("cifar-cnn/augmented"));
    let bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    // The last record is the figure (an image); log it once more.
    let figure = recs.last().unwrap().clone();
    append(&file, &bytes[figure.clone()]);

    let report = t.scan();
    assert_eq!(points_added(&report), 0);
    let artifacts = t.index.artifacts(&cifar.id).unwrap();
    assert_eq!(artifacts.len(), 4, "the earlier images are still listed: {artifacts:?}");
    let rel = file.strip_prefix(&store).unwrap().to_string_lossy().into_owned();
    let origins: Vec<&str> = artifacts.iter().filter_map(|a| a.origin.as_deref()).collect();
    assert!(origins.contains(&format!("{rel}#{}", bytes.len()).as_str()), "the same image path now points at the new record: {origins:?}");
    assert!(!origins.contains(&format!("{rel}#{}", figure.start).as_str()));
}
