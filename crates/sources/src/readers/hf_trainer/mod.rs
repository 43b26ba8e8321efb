//! Hugging Face `Trainer` output folders (`TrainingArguments.output_dir`).
//!
//! Layout: `checkpoint-<global_step>/` folders, each with its own `trainer_state.json`
//! (the log history up to that step), `config.json` and weight files; a
//! `trainer_state.json` at the top only when the script called `trainer.save_state()`;
//! `all_results.json` (plus `train_results.json`, `eval_results.json`, ...) from
//! `trainer.save_metrics()`. Hyperparameter-search trials are `run-<id>/` folders below
//! the output folder, each an output folder of its own. `training_args.bin` is a
//! pickle and weight files (`*.safetensors`, `*.bin`, `*.pt`, ...) are blobs: neither is
//! ever opened, they are only listed as artifacts.
//!
//! One run per output folder: a folder holding `trainer_state.json` or
//! `checkpoint-<N>/trainer_state.json` (a checkpoint folder is never a run itself). Its
//! native id and name are its path below the store root (its own name when it is the
//! root); the store root is the one experiment. The history comes from the top
//! `trainer_state.json` when present, else from the highest checkpoint's (falling back to
//! the next one when the newest is half-written). `log_history` becomes series: every
//! numeric key of every entry is a point at the entry's `step`, `epoch` included as its
//! own metric; points have no time (the Trainer records none). Results-file keys that the
//! history does not have (`train_samples`, `predict_*`, ...) are single points at the
//! last global step; keys the history has are not logged twice. Params: the model's
//! `config.json` flattened under `model.`, the training arguments the state file
//! repeats (`max_steps`, `train_batch_size`, ...) and a search trial's `trial_params.*`;
//! tags: `hf-trainer.best_metric`, `.best_global_step`, `.best_model_checkpoint`,
//! `.trial_name` and `.state_file` (which file the history was read from). Status:
//! finished when the end-of-training log entry is there, `global_step >= max_steps`, or
//! a results file exists; otherwise unknown (a live run and a crashed one look alike).
//! The Trainer records no start or end time (`train_runtime` is a duration only): runs
//! have neither. Nor do they have a provenance: the Trainer records no command, commit or
//! environment outside the pickle.
//!
//! Incremental: every file is rewritten whole by the Trainer, so a run's inputs (the
//! chosen state file, `config.json`, the results files) and a fingerprint of its file
//! listing are compared with their marks; when one changed, all inputs are read again
//! and the series are sent with [`SeriesMode::Replace`].

mod state;

use std::path::{Path, PathBuf};

use crate::discover::skipped_dir;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Fingerprint, list_dir, read_text, slash_path};
use state::{ParseError, TrainerState};

/// The state file the Trainer writes (`TRAINER_STATE_NAME`).
const STATE: &str = "trainer_state.json";
const CONFIG: &str = "config.json";
const ALL_RESULTS: &str = "all_results.json";
/// Output folders are not looked for deeper than this below the store root.
const MAX_DEPTH: usize = 32;

pub struct HfTrainer;

impl Reader for HfTrainer {
    fn id(&self) -> &'static str {
        "hf-trainer"
    }

    fn source(&self) -> &'static str {
        "hf-trainer"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let name = dir.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if checkpoint_step(&name).is_some() {
            return Vec::new(); // a checkpoint belongs to the output folder above it
        }
        let is_run = dir.has_file(STATE) || dir.dirs.iter().any(|d| checkpoint_step(d).is_some() && dir.path.join(d).join(STATE).is_file());
        if is_run { vec![Detected::lone_run(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let root = ctx.root;
        let runs = find_runs(root).map_err(|e| ReadError::io(root, e))?;
        let experiment = ctx.send_root_experiment();
        ctx.read_runs(&runs, |run| {
            let nested: Vec<&str> = runs.iter().filter_map(|other| nested_rel(&run.rel, &other.rel)).collect();
            (read_run(ctx, run, &experiment, &nested), ())
        });
        Ok(())
    }
}

/// `checkpoint-<N>` → N (`PREFIX_CHECKPOINT_DIR`).
fn checkpoint_step(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("checkpoint-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `name` below the run folder `rel` (both relative to the store root).
fn join_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") }
}

/// `other` relative to `run` when it lies below it.
fn nested_rel<'a>(run: &str, other: &'a str) -> Option<&'a str> {
    if other == run {
        return None;
    }
    if run.is_empty() {
        return Some(other);
    }
    other.strip_prefix(run)?.strip_prefix('/')
}

/// One output folder found below the store root.
struct RunDir {
    /// Relative to the store root, `/`-separated; empty for the root itself.
    rel: String,
    path: PathBuf,
    /// File names directly in the folder.
    files: Vec<String>,
    /// `checkpoint-<N>` folders holding a state file, highest step first.
    checkpoints: Vec<String>,
}

impl RunDir {
    fn native_id(&self, root: &Path) -> String {
        if self.rel.is_empty() { crate::util::folder_name(root) } else { self.rel.clone() }
    }
}

/// Every output folder at or below `root` (symlinks are not followed; checkpoint and
/// skipped folders are not descended into). Fails only when `root` cannot be listed.
fn find_runs(root: &Path) -> std::io::Result<Vec<RunDir>> {
    let mut runs = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = pending.pop() {
        let (dirs, files) = match list_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if rel.is_empty() => return Err(e),
            Err(_) => continue, // vanished or unreadable below the root: not a run
        };
        let mut checkpoints: Vec<(u64, &String)> =
            dirs.iter().filter_map(|d| Some((checkpoint_step(d)?, d))).filter(|(_, d)| dir.join(d).join(STATE).is_file()).collect();
        checkpoints.sort_by_key(|b| std::cmp::Reverse(b.0));
        let checkpoints: Vec<String> = checkpoints.into_iter().map(|(_, d)| d.clone()).collect();
        if depth < MAX_DEPTH {
            for d in dirs.iter().rev().filter(|d| !skipped_dir(d) && checkpoint_step(d).is_none()) {
                pending.push((dir.join(d), join_rel(&rel, d), depth + 1));
            }
        }
        if files.iter().any(|f| f == STATE) || !checkpoints.is_empty() {
            runs.push(RunDir { rel, path: dir, files, checkpoints });
        }
    }
    runs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(runs)
}

/// A file a run is read from, with its current mark.
struct Input {
    /// Relative to the store root.
    rel: String,
    path: PathBuf,
    mark: FileMark,
}

impl Input {
    fn of(ctx: &ScanContext, rel: String) -> Option<Input> {
        let path = ctx.root.join(&rel);
        let mark = FileMark::of(&std::fs::metadata(&path).ok()?);
        Some(Input { rel, path, mark })
    }

    fn unchanged(&self, ctx: &ScanContext) -> bool {
        ctx.previous(&self.rel).is_some_and(|p| p.same_file(&self.mark))
    }
}

/// The files one run is read from on this scan.
struct Inputs {
    /// State files in order of preference: the top one, else checkpoints from the highest.
    states: Vec<Input>,
    config: Option<Input>,
    results: Vec<Input>,
}

impl Inputs {
    fn of(ctx: &ScanContext, run: &RunDir) -> Inputs {
        let mut states: Vec<Input> = Vec::new();
        if run.files.iter().any(|f| f == STATE) {
            states.extend(Input::of(ctx, join_rel(&run.rel, STATE)));
        }
        for ckpt in &run.checkpoints {
            states.extend(Input::of(ctx, join_rel(&run.rel, &format!("{ckpt}/{STATE}"))));
        }
        // The model config at the top, else in the newest checkpoint that has one.
        let config = if run.files.iter().any(|f| f == CONFIG) {
            Input::of(ctx, join_rel(&run.rel, CONFIG))
        } else {
            run.checkpoints.iter().find_map(|ckpt| Input::of(ctx, join_rel(&run.rel, &format!("{ckpt}/{CONFIG}"))))
        };
        let results_files: Vec<&String> = if run.files.iter().any(|f| f == ALL_RESULTS) {
            run.files.iter().filter(|f| *f == ALL_RESULTS).collect()
        } else {
            run.files.iter().filter(|f| f.ends_with("_results.json")).collect()
        };
        let results = results_files.into_iter().filter_map(|f| Input::of(ctx, join_rel(&run.rel, f))).collect();
        Inputs { states, config, results }
    }

    /// Every input that decides what the index holds (fallback state files only matter
    /// once the preferred one fails).
    fn deciding(&self) -> impl Iterator<Item = &Input> {
        self.states.first().into_iter().chain(self.config.iter()).chain(self.results.iter())
    }
}

fn read_run(ctx: &ScanContext, run: &RunDir, experiment: &str, nested: &[&str]) -> RunUpdate {
    let native_id = run.native_id(ctx.root);
    let inputs = Inputs::of(ctx, run);
    let (artifacts, listing_hash) = list_run_files(&run.path, nested);
    let listing_key = join_rel(&run.rel, "#artifacts");
    let listing_mark = FileMark { size: artifacts.len() as u64, hash: listing_hash, ..Default::default() };
    let listing_changed = ctx.previous(&listing_key) != Some(&listing_mark);
    if !listing_changed && inputs.deciding().all(|i| i.unchanged(ctx)) {
        return RunUpdate { native_id, ..Default::default() };
    }

    let mut update = RunUpdate { native_id, params: Some(Vec::new()), tags: Some(Vec::new()), ..Default::default() };
    let mut marks = vec![(listing_key, listing_mark)];
    if listing_changed {
        update.artifacts = Some(artifacts);
    }
    let state = read_state(run, &inputs, &mut update, &mut marks);
    if let Some(input) = &inputs.config {
        read_config(input, &mut update, &mut marks);
    }
    let last_step = state.as_ref().map_or(0, TrainerState::last_step);
    for input in &inputs.results {
        read_results(input, last_step, &mut update, &mut marks);
    }
    update.info = Some(RunInfo {
        experiment: Some(experiment.to_string()),
        name: update.native_id.clone(),
        status: state::status(state.as_ref(), !inputs.results.is_empty()),
        artifact_dir: Some(run.path.clone()),
        ..Default::default()
    });
    update.marks = Some(marks);
    update
}

/// Reads the first state file that parses into the update: its history as series that
/// replace the stored ones, its params and tags. Broken files are marked too, so they
/// are not read again until they change; their warnings stay until then.
fn read_state(run: &RunDir, inputs: &Inputs, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) -> Option<TrainerState> {
    for input in &inputs.states {
        update.reread.push(input.rel.clone());
        marks.push((input.rel.clone(), input.mark.clone()));
        let state = match read_json(input).and_then(|doc| state::trainer_state(&doc)) {
            Ok(state) => state,
            Err(e) => {
                update.warnings.push(warning(input, e));
                continue;
            }
        };
        let state_file = input.rel.strip_prefix(&format!("{}/", run.rel)).unwrap_or(&input.rel);
        let tags = update.tags.get_or_insert_with(Vec::new);
        tags.push(("hf-trainer.state_file".to_string(), state_file.to_string()));
        tags.extend(state.tags.iter().cloned());
        update.params.get_or_insert_with(Vec::new).extend(state.params.iter().cloned());
        for (at, reason) in &state.problems {
            update.warnings.push(Warning::new(input.rel.clone(), Some(at.clone()), reason.clone()));
        }
        for (key, points) in &state.series {
            update.series.push(SeriesUpdate { key: key.clone(), mode: SeriesMode::Replace, points: points.clone() });
        }
        return Some(state);
    }
    None
}

/// Reads the model config into `model.*` params.
fn read_config(input: &Input, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) {
    update.reread.push(input.rel.clone());
    marks.push((input.rel.clone(), input.mark.clone()));
    match read_json(input).and_then(|doc| state::config_params(&doc)) {
        Ok(params) => update.params.get_or_insert_with(Vec::new).extend(params),
        Err(e) => update.warnings.push(warning(input, e)),
    }
}

/// Reads the final metrics of a results file that the history does not already have,
/// each as one point at the last step.
fn read_results(input: &Input, last_step: i64, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) {
    update.reread.push(input.rel.clone());
    marks.push((input.rel.clone(), input.mark.clone()));
    let values = match read_json(input).and_then(|doc| state::results(&doc)) {
        Ok(values) => values,
        Err(e) => return update.warnings.push(warning(input, e)),
    };
    for (key, value) in values {
        if update.series.iter().any(|s| s.key == key) {
            continue;
        }
        let points = vec![Point { step: last_step, time_ms: 0, value }];
        update.series.push(SeriesUpdate { key, mode: SeriesMode::Replace, points });
    }
}

/// Reads and parses one JSON input.
fn read_json(input: &Input) -> Result<serde_json::Value, ParseError> {
    let text = read_text(&input.path).map_err(|e| ParseError { location: None, message: format!("cannot read: {e}") })?;
    state::parse_json(&text)
}

fn warning(input: &Input, e: ParseError) -> Warning {
    Warning::new(input.rel.clone(), e.location, e.message)
}

/// Every file of the output folder except those of nested runs (search trials), with a
/// fingerprint of the listing (paths, sizes, mtimes). Files are listed, never opened.
fn list_run_files(dir: &Path, nested: &[&str]) -> (Vec<Artifact>, u64) {
    let mut fp = Fingerprint::default();
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name().into_iter().filter_entry(|e| {
        if !e.file_type().is_dir() {
            return true;
        }
        let rel = e.path().strip_prefix(dir).map(slash_path).unwrap_or_default();
        !skipped_dir(&e.file_name().to_string_lossy()) && !nested.contains(&rel.as_str())
    });
    for entry in walk.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let (Ok(meta), Ok(rel)) = (entry.metadata(), entry.path().strip_prefix(dir)) else { continue };
        let rel = slash_path(rel);
        let mark = FileMark::of(&meta);
        fp.bytes(rel.as_bytes()).u64(mark.size).u64(mark.mtime_ns as u64);
        out.push(Artifact { path: rel, size: mark.size, origin: None });
    }
    (out, fp.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn checkpoint_names() {
        assert_eq!(checkpoint_step("checkpoint-500"), Some(500));
        assert_eq!(checkpoint_step("checkpoint-"), None);
        assert_eq!(checkpoint_step("checkpoint-5a"), None);
        assert_eq!(checkpoint_step("checkpoints"), None);
    }

    #[test]
    fn output_folders_are_found_and_checkpoints_are_not_runs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("a/trainer_state.json"), "{}");
        write(&root.join("a/checkpoint-2/trainer_state.json"), "{}");
        write(&root.join("a/run-0/checkpoint-4/trainer_state.json"), "{}");
        write(&root.join("b/checkpoint-10/trainer_state.json"), "{}");
        write(&root.join("b/checkpoint-9/trainer_state.json"), "{}");
        write(&root.join("b/checkpoint-11/optimizer.pt"), "");
        write(&root.join("node_modules/c/trainer_state.json"), "{}");
        let runs = find_runs(root).unwrap();
        let rels: Vec<&str> = runs.iter().map(|r| r.rel.as_str()).collect();
        assert_eq!(rels, ["a", "a/run-0", "b"]);
        assert_eq!(runs[2].checkpoints, ["checkpoint-10", "checkpoint-9"], "numeric order; no state, no checkpoint");
        assert_eq!(nested_rel("a", "a/run-0"), Some("run-0"));
        assert_eq!(nested_rel("a", "ab"), None);
        assert_eq!(nested_rel("", "a"), Some("a"));

        let names = |d: &Path| {
            let (dirs, files) = list_dir(d).unwrap();
            let view = DirView { path: d, dirs: &dirs, files: &files };
            HfTrainer.detect(&view).len()
        };
        assert_eq!(names(&root.join("a")), 1);
        assert_eq!(names(&root.join("a/checkpoint-2")), 0);
        assert_eq!(names(&root.join("b")), 1);
        assert_eq!(names(root), 0);

        let (files, _) = list_run_files(&root.join("a"), &["run-0"]);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["checkpoint-2/trainer_state.json", "trainer_state.json"], "a trial's files are its own");
    }
}
