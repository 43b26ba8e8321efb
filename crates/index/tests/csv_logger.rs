//! Lightning and Keras CSV logs (`tests/fixtures/csv-logger`, written by hand to the
//! loggers' formats) indexed as `tests/fixtures/csv-logger/expected.json` says, resumed
//! from their offsets, re-read when Lightning widens its header, and robust to damage.

mod common;
mod hand_written;

use std::io::Write;

use common::{TestIndex, fixture, points_added};
use hand_written::{check_runs, expected_of, make_fifo, run_named, within_a_minute};

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn csv_logs_match_the_hand_derived_expectations() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("csv-logger"));
    assert_eq!(report.stores.len(), 1, "{:?}", report.stores);
    assert_eq!(report.stores[0].store.reader, "csv-logger");
    assert_eq!(report.stores[0].store.source, "csv-logger");
    assert!(report.stores[0].store.root.ends_with("fixtures/csv-logger"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_runs(&t, &expected_of("csv-logger"), "csv-logger"), 3);
    let v0 = run_named(&t, "lightning_logs/version_0");
    assert!(v0.artifact_dir.as_deref().unwrap().ends_with("lightning_logs/version_0"));
    assert_eq!(run_named(&t, "keras-mnist/training.log").artifact_dir, None);
}

#[test]
fn a_rescan_of_unchanged_logs_reads_nothing() {
    let mut t = TestIndex::new();
    let store = t.copy_of("csv-logger");
    std::fs::write(store.join("keras-mnist/notes.txt"), "not a log\n").unwrap();
    t.add(&store);
    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
}

#[test]
fn appended_rows_are_read_from_their_offset_and_a_partial_row_waits() {
    let mut t = TestIndex::new();
    let store = t.copy_of("csv-logger");
    t.add(&store);
    let keras = store.join("keras-mnist/training.log");
    append(&keras, "4,0.9412,0.2011,0.9431,0.1987\r\n5,0.95,0.1");
    let report = t.scan();
    assert_eq!(points_added(&report), 4, "only the complete row");
    assert_eq!(report.stores[0].stats.runs_updated, 1);
    assert!(t.index.warnings(None).unwrap().is_empty(), "a partial last row is not damage");
    let run = run_named(&t, "keras-mnist/training.log");
    assert_eq!((run.metrics["loss"].count, run.metrics["loss"].last, run.metrics["loss"].last_step), (6, 0.2011, 4));

    append(&keras, "9,0.955,0.17\r\n");
    let report = t.scan();
    assert_eq!(points_added(&report), 4);
    let run = run_named(&t, "keras-mnist/training.log");
    assert_eq!((run.metrics["loss"].last, run.metrics["val_loss"].last, run.metrics["loss"].last_step), (0.19, 0.17, 5));

    // Lightning rows under the same header are appended too.
    let metrics = store.join("lightning_logs/version_0/metrics.csv");
    append(&metrics, "3,13,,0.8012,,\r\n3,15,,,0.78125,0.8833\r\n");
    let report = t.scan();
    assert_eq!(points_added(&report), 5, "epoch twice, train_loss_step, val_acc, val_loss");
    let v0 = run_named(&t, "lightning_logs/version_0");
    assert_eq!((v0.metrics["epoch"].count, v0.metrics["val_loss"].last, v0.metrics["val_loss"].last_step), (14, 0.8833, 15));
    assert!(t.index.warnings(None).unwrap().is_empty());
}

#[test]
fn a_widened_lightning_header_reads_the_file_again() {
    let mut t = TestIndex::new();
    let store = t.copy_of("csv-logger");
    t.add(&store);
    // A new key (`val_f1`) appears: Lightning rewrites the file with the wider header.
    let metrics = store.join("lightning_logs/version_0/metrics.csv");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let mut lines: Vec<String> = text.split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect();
    lines[0] = "epoch,step,train_loss_epoch,train_loss_step,val_acc,val_f1,val_loss".to_string();
    for line in lines.iter_mut().skip(1) {
        // Move the last (val_loss) cell after the new empty val_f1 cell.
        let cells: Vec<&str> = line.split(',').collect();
        *line = format!("{},{},{},{},{},,{}", cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]);
    }
    lines.push("3,15,,,0.8,0.79,0.85".to_string());
    std::fs::write(&metrics, lines.join("\r\n") + "\r\n").unwrap();

    let report = t.scan();
    assert_eq!(points_added(&report), 27 + 4, "the whole file again, with the new row");
    let v0 = run_named(&t, "lightning_logs/version_0");
    assert_eq!(v0.metrics["val_f1"].count, 1);
    assert_eq!(v0.metrics["epoch"].count, 13, "no point twice");
    assert_eq!((v0.metrics["val_loss"].count, v0.metrics["val_loss"].last), (4, 0.85));
    assert!(t.index.warnings(None).unwrap().is_empty());
}

#[test]
fn damaged_rows_and_hparams_are_warnings_and_everything_else_is_indexed() {
    let mut t = TestIndex::new();
    let store = t.copy_of("csv-logger");
    let metrics = store.join("lightning_logs/version_1/metrics.csv");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let at = text.match_indices("\r\n").nth(1).unwrap().0 + 2; // after line 2
    std::fs::write(&metrics, format!("{}0,,x\u{0}\u{1}garbage\r\n{}", &text[..at], &text[at..])).unwrap();
    std::fs::write(store.join("lightning_logs/version_0/hparams.yaml"), "lr: 0.001\nmodel: [1, 2\nname: x\n").unwrap();

    t.add(&store);
    let mut warnings = t.index.warnings(None).unwrap();
    warnings.sort_by(|a, b| a.file.cmp(&b.file));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].file.as_deref(), Some("lightning_logs/version_0/hparams.yaml"));
    assert!(warnings[0].location.as_deref().unwrap().starts_with("line "), "{:?}", warnings[0]);
    assert_eq!(warnings[1].file.as_deref(), Some("lightning_logs/version_1/metrics.csv"));
    assert_eq!(warnings[1].location.as_deref(), Some("line 3"));
    let v1 = run_named(&t, "lightning_logs/version_1");
    assert_eq!(v1.metrics.values().map(|m| m.count).sum::<u64>(), 18, "every good row is read");
    assert_eq!(v1.params.len(), 10);
    let v0 = run_named(&t, "lightning_logs/version_0");
    assert_eq!(v0.metrics.values().map(|m| m.count).sum::<u64>(), 27, "its metrics are still read");
    assert!(v0.params.is_empty());
    let keras = run_named(&t, "keras-mnist/training.log");
    assert_eq!(keras.metrics.values().map(|m| m.count).sum::<u64>(), 18);

    // Garbage appended later is located by its line in the whole file.
    append(&metrics, "1,,9,0.5,,\r\nnot,a,row\r\n");
    t.scan();
    let warnings = t.index.warnings(None).unwrap();
    let late: Vec<_> = warnings.iter().filter(|w| w.location.as_deref() == Some("line 14")).collect();
    assert_eq!(late.len(), 1, "{warnings:?}");
    assert_eq!(run_named(&t, "lightning_logs/version_1").metrics["train/loss"].last, 0.5);

    // A fixed hparams.yaml clears its warning.
    std::fs::copy(fixture("csv-logger/lightning_logs/version_0/hparams.yaml"), store.join("lightning_logs/version_0/hparams.yaml")).unwrap();
    t.scan();
    assert!(t.index.warnings(None).unwrap().iter().all(|w| !w.file.as_deref().unwrap().ends_with("hparams.yaml")));
    assert_eq!(run_named(&t, "lightning_logs/version_0").params.len(), 7);
}

#[test]
fn checkpoints_are_never_opened() {
    let t = TestIndex::new();
    let store = t.copy_of("csv-logger");
    make_fifo(&store.join("lightning_logs/version_0/checkpoints/epoch=2-step=12.ckpt"));
    std::process::Command::new("mkfifo").arg(store.join("keras-mnist/pipe.csv")).status().unwrap();
    let t = within_a_minute(move || {
        let mut t = t;
        t.add(&store);
        t.scan();
        t
    });
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(run_named(&t, "lightning_logs/version_0").metrics["epoch"].count, 12);
}

#[test]
fn a_keras_log_can_be_added_on_its_own() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("csv-logger/keras-mnist/training.log"));
    assert_eq!(report.stores.len(), 1);
    assert!(report.stores[0].store.root.ends_with("keras-mnist/training.log"));
    let run = run_named(&t, "training.log");
    assert_eq!(run.experiment.as_deref(), Some("keras-mnist"));
    assert_eq!(run.metrics.values().map(|m| m.count).sum::<u64>(), 18);
    let report = t.scan();
    assert_eq!((report.stores[0].stats.runs_updated, points_added(&report)), (0, 0));
}
