//! Hugging Face Trainer output folders (`tests/fixtures/hf-trainer`, written by hand to the
//! Trainer's format) indexed as `tests/fixtures/hf-trainer/expected.json` says, rescanned
//! without reading, re-read when the Trainer rewrites its files, and robust to damage.

mod common;
mod hand_written;

use common::{TestIndex, fixture, points_added};
use hand_written::{check_runs, expected_of, make_fifo, run_named, within_a_minute};

#[test]
fn output_folders_match_the_hand_derived_expectations() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("hf-trainer"));
    assert_eq!(report.stores.len(), 1, "{:?}", report.stores);
    assert_eq!(report.stores[0].store.reader, "hf-trainer");
    assert_eq!(report.stores[0].store.source, "hf-trainer");
    assert!(report.stores[0].store.root.ends_with("hf-trainer/outputs"), "{}", report.stores[0].store.root);
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(check_runs(&t, &expected_of("hf-trainer"), "hf-trainer"), 3);
    let bert = run_named(&t, "bert-sst2");
    assert!(bert.artifact_dir.as_deref().unwrap().ends_with("outputs/bert-sst2"));
}

#[test]
fn a_rescan_of_an_unchanged_store_reads_nothing() {
    let mut t = TestIndex::new();
    let store = t.copy_of("hf-trainer");
    t.add(&store);
    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_new, s.runs_updated, s.runs_removed, s.points_added), (0, 0, 0, 0));
}

#[test]
fn a_new_checkpoint_replaces_the_history_and_final_results_finish_the_run() {
    let mut t = TestIndex::new();
    let store = t.copy_of("hf-trainer");
    t.add(&store);
    let run = store.join("outputs/gpt2-crashed");
    // The Trainer saves checkpoint-12 with the history so far and rotates checkpoint-4 away.
    let state = std::fs::read_to_string(run.join("checkpoint-8/trainer_state.json")).unwrap();
    let more = ",\n    {\n      \"epoch\": 1.0,\n      \"grad_norm\": 2.5,\n      \"learning_rate\": 0.00015,\n      \"loss\": 3.25,\n      \"step\": 10\n    },\n    {\n      \"epoch\": 1.2,\n      \"grad_norm\": 2.25,\n      \"learning_rate\": 0.00012,\n      \"loss\": 3.0,\n      \"step\": 12\n    }\n  ],\n  \"logging_steps\"";
    let state = state.replacen("\n  ],\n  \"logging_steps\"", more, 1).replace("\"global_step\": 8", "\"global_step\": 12");
    std::fs::create_dir_all(run.join("checkpoint-12")).unwrap();
    std::fs::write(run.join("checkpoint-12/trainer_state.json"), state).unwrap();
    std::fs::remove_dir_all(run.join("checkpoint-4")).unwrap();

    let report = t.scan();
    let s = &report.stores[0].stats;
    assert_eq!((s.runs_updated, s.runs_new, s.runs_removed), (1, 0, 0), "only the changed run");
    assert_eq!(points_added(&report), 4 * 6, "its history is read again whole (Replace)");
    let crashed = run_named(&t, "gpt2-crashed");
    assert_eq!(crashed.metrics["loss"].count, 6);
    assert_eq!((crashed.metrics["loss"].last, crashed.metrics["loss"].last_step), (3.0, 12));
    assert_eq!(crashed.tags["hf-trainer.state_file"], "checkpoint-12/trainer_state.json");
    assert_eq!(crashed.params["model.n_layer"], "2", "from the newest checkpoint with a config.json");
    assert_eq!(crashed.status, "unknown");
    let artifacts: Vec<String> = t.index.artifacts(&crashed.id).unwrap().into_iter().map(|a| a.path).collect();
    assert!(artifacts.contains(&"checkpoint-12/trainer_state.json".to_string()));
    assert!(!artifacts.iter().any(|a| a.starts_with("checkpoint-4/")), "rotated checkpoints leave the listing");

    // save_metrics at the end of training: finished, with the new result as a point.
    std::fs::write(run.join("all_results.json"), "{\n    \"epoch\": 1.2,\n    \"train_samples\": 80\n}").unwrap();
    let report = t.scan();
    assert_eq!(points_added(&report), 4 * 6 + 1);
    let crashed = run_named(&t, "gpt2-crashed");
    assert_eq!(crashed.status, "finished");
    assert_eq!(crashed.metrics["train_samples"].last, 80.0);
    assert_eq!(crashed.metrics["train_samples"].last_step, 12, "at the last global step");
    assert_eq!(crashed.metrics["epoch"].count, 6, "a result the history has is not a second point");
    assert_eq!(t.scan().stores[0].stats.points_added, 0);
}

#[test]
fn a_half_written_state_is_a_warning_and_the_previous_checkpoint_is_used() {
    let mut t = TestIndex::new();
    let store = t.copy_of("hf-trainer");
    let state = store.join("outputs/gpt2-crashed/checkpoint-8/trainer_state.json");
    let good = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, &good[..good.len() / 2]).unwrap();
    let broken_root = store.join("outputs/bert-sst2/trainer_state.json");
    let good_root = std::fs::read_to_string(&broken_root).unwrap();
    std::fs::write(&broken_root, good_root.replace("\"global_step\": 30,", "\"global_step\": 30,,")).unwrap();

    t.add(&store);
    let mut warnings = t.index.warnings(None).unwrap();
    warnings.sort_by(|a, b| a.file.cmp(&b.file));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].file.as_deref(), Some("bert-sst2/trainer_state.json"));
    assert_eq!(warnings[0].location.as_deref(), Some("line 7"));
    assert_eq!(warnings[1].file.as_deref(), Some("gpt2-crashed/checkpoint-8/trainer_state.json"));
    assert!(warnings[1].location.as_deref().unwrap().starts_with("line "), "{:?}", warnings[1]);

    let crashed = run_named(&t, "gpt2-crashed");
    assert_eq!(crashed.metrics["loss"].count, 2, "read from checkpoint-4");
    assert_eq!(crashed.tags["hf-trainer.state_file"], "checkpoint-4/trainer_state.json");
    let bert = run_named(&t, "bert-sst2");
    assert_eq!(bert.metrics["loss"].count, 6, "read from checkpoint-30");
    assert_eq!(bert.metrics["epoch"].count, 9, "checkpoint-30 predates the end-of-training entry");
    assert_eq!(bert.metrics["train_runtime"].count, 1, "which all_results.json still gives");
    assert_eq!(bert.status, "finished", "all_results.json is there");
    let trial = run_named(&t, "distilbert-hpsearch/run-0");
    assert_eq!(trial.metrics.values().map(|m| m.count).sum::<u64>(), 18, "other runs are complete");

    // Unchanged broken files are not read again; their warnings stay.
    let report = t.scan();
    assert_eq!((report.stores[0].stats.runs_updated, points_added(&report)), (0, 0));
    assert_eq!(t.index.warnings(None).unwrap().len(), 2);

    // Written completely: the warnings go and the full history is back.
    std::fs::write(&state, &good).unwrap();
    std::fs::write(&broken_root, &good_root).unwrap();
    t.scan();
    assert!(t.index.warnings(None).unwrap().is_empty());
    assert_eq!(run_named(&t, "gpt2-crashed").metrics["loss"].count, 4);
    assert_eq!(run_named(&t, "bert-sst2").metrics["train_runtime"].count, 1);
}

#[test]
fn weights_and_pickles_are_never_opened() {
    let t = TestIndex::new();
    let store = t.copy_of("hf-trainer");
    let mut replaced = 0;
    for entry in walkdir(&store) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if [".safetensors", ".bin", ".pt", ".pth"].iter().any(|ext| name.ends_with(ext)) {
            make_fifo(&entry);
            replaced += 1;
        }
    }
    assert!(replaced >= 20);
    let t = within_a_minute(move || {
        let mut t = t;
        t.add(&store);
        t.scan();
        t
    });
    assert_eq!(t.index.warnings(None).unwrap(), vec![]);
    assert_eq!(run_named(&t, "bert-sst2").metrics["loss"].count, 6);
}

#[test]
fn one_output_folder_can_be_added_on_its_own() {
    let mut t = TestIndex::new();
    let report = t.add(&fixture("hf-trainer/outputs/bert-sst2"));
    assert_eq!(report.stores.len(), 1, "its checkpoint folders are not runs");
    assert!(report.stores[0].store.root.ends_with("outputs/bert-sst2"));
    let run = run_named(&t, "bert-sst2");
    assert_eq!(run.experiment.as_deref(), Some("bert-sst2"));
    assert_eq!(run.metrics.values().map(|m| m.count).sum::<u64>(), 50);
}

/// Every regular file below `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walkdir(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
