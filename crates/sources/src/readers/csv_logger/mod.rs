//! CSV training logs: PyTorch Lightning's `CSVLogger` and Keras' `CSVLogger` callback.
//!
//! Lightning writes `<save_dir>/<name>/<version>/metrics.csv` (`version_<N>` unless a
//! string version was given) with `hparams.yaml` next to it. `metrics.csv` has one
//! column per key ever logged, sorted, `step` among them; rows are sparse (a train-step
//! row leaves the epoch-end validation columns empty and the other way round). One run
//! per folder holding a `metrics.csv` whose header has a `step` column; its name is the
//! folder's path below the store root and its experiment the folder above it (the
//! logger's `name`). `step` is the axis; `epoch` is kept as a metric of its own, like
//! every other column. `hparams.yaml` gives the params ([`hparams`]).
//!
//! Keras writes one file (any name, `training.log` in its docs) with `epoch` as the
//! first column, then the log keys; one row per epoch. One run per file (a `.csv`,
//! `.log`, `.tsv` or `.txt` whose header starts with `epoch`; at most 64 such files per
//! folder are looked at); its name is the file's path below the store root, its
//! experiment the folder holding it, and `epoch` is the step. `NA` cells and other text
//! are not values. Neither logger records times, a status or an end: points have time 0
//! and runs are `unknown`; nor do they record a provenance. A malformed row (wrong number of cells, a step that is not an
//! integer, text in a Lightning cell) is a warning with its line; the rest is kept.
//!
//! `scan` walks the store root as discovery does (skipping [`skipped_dir`] folders);
//! the root may also be a single Keras file.
//!
//! Incremental: both files are append-only between header changes. Each is resumed
//! from the byte after its last complete line ([`resume`]); the mark keeps a
//! fingerprint of the header line, and when the header differs (Lightning rewrites the
//! whole file when a new key appears) the file is read again from its start with
//! [`SeriesMode::Replace`]. A pseudo-mark `<file>#<layout>` keeps the number of lines
//! read (for line numbers in warnings) and which logger wrote the file, so an unchanged
//! file is not read at all. Files looked at and found not to be logs get store-level
//! marks (`<file>#skip`), so they are not read again until they change. `hparams.yaml`
//! is re-read whole when it changes; a run folder's file listing is fingerprinted.

mod hparams;
mod table;

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::discover::skipped_dir;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Resume, list_artifacts, list_dir, read_text, resume};
use table::{Header, Layout};

/// Lightning's metrics file (`_ExperimentWriter.NAME_METRICS_FILE`).
const METRICS: &str = "metrics.csv";
/// Lightning's hparams file (`ExperimentWriter.NAME_HPARAMS_FILE`).
const HPARAMS: &str = "hparams.yaml";
/// File extensions that may hold a Keras log.
const KERAS_EXTENSIONS: &[&str] = &["csv", "log", "tsv", "txt"];
/// At most this many files per folder are opened to look for a Keras header.
const MAX_CANDIDATES: usize = 64;
/// Logs are not looked for deeper than this below the store root.
const MAX_DEPTH: usize = 32;

pub struct CsvLogger;

impl Reader for CsvLogger {
    fn id(&self) -> &'static str {
        "csv-logger"
    }

    fn source(&self) -> &'static str {
        "csv-logger"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        candidates(dir.files)
            .filter_map(|name| {
                let path = dir.path.join(name);
                match classify(&path, name)? {
                    Layout::Lightning => Some(Detected::lone_run(dir.path.to_path_buf())),
                    Layout::Keras => Some(Detected::lone_run(path)),
                }
            })
            .collect()
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let found = find_logs(ctx)?;
        let mut experiments: Vec<(String, String)> = Vec::new();
        for log in &found.logs {
            if !experiments.iter().any(|(id, _)| *id == log.experiment.0) {
                experiments.push(log.experiment.clone());
            }
        }
        for (id, name) in experiments {
            ctx.send_experiment(&id, &name);
        }
        ctx.send(Update::Store { marks: found.not_logs, warnings: Vec::new() });
        ctx.read_runs(&found.logs, |log| (read_run(ctx, log), ()));
        Ok(())
    }
}

/// Files of a folder that may be logs: `metrics.csv`, and the first few files with a
/// Keras-like extension.
fn candidates(files: &[String]) -> impl Iterator<Item = &String> {
    let keras = files.iter().filter(|f| *f != METRICS && has_keras_extension(f)).take(MAX_CANDIDATES);
    files.iter().filter(|f| *f == METRICS).chain(keras)
}

fn has_keras_extension(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, ext)| !stem.is_empty() && KERAS_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Reads the first line of a candidate file to tell which logger wrote it, if any.
fn classify(path: &Path, name: &str) -> Option<Layout> {
    let line = table::first_line(path).ok()??;
    if name == METRICS && Header::parse(&line, Layout::Lightning).is_some() {
        return Some(Layout::Lightning);
    }
    Header::parse(&line, Layout::Keras).map(|_| Layout::Keras)
}

/// One log found below the store root.
struct Log {
    layout: Layout,
    /// The CSV file, relative to the store root.
    rel: String,
    path: PathBuf,
    /// Native id (and name) of the run: the Lightning folder or the Keras file.
    native_id: String,
    /// Native id and name of the experiment: the folder above the run.
    experiment: (String, String),
    /// Lightning: the run folder (relative to the store root, empty for the root).
    folder: Option<(String, PathBuf)>,
}

struct Found {
    logs: Vec<Log>,
    /// Marks of the files looked at that are not logs.
    not_logs: Vec<(String, FileMark)>,
}

/// Walks the store root (a folder, or a Keras file given on its own) for logs. An
/// unchanged file keeps its previous verdict without being opened.
fn find_logs(ctx: &ScanContext) -> Result<Found, ReadError> {
    let root = ctx.root;
    let mut found = Found { logs: Vec::new(), not_logs: Vec::new() };
    let meta = std::fs::metadata(root).map_err(|e| ReadError::io(root, e))?;
    if meta.is_file() {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = root.parent().map(crate::util::folder_name).unwrap_or_default();
        let mark = FileMark::of(&meta);
        match verdict(ctx, &name, root, &mark) {
            Some(layout) => found.logs.push(Log {
                layout,
                rel: name.clone(),
                path: root.to_path_buf(),
                native_id: name,
                experiment: ("..".into(), parent),
                folder: None,
            }),
            None => found.not_logs.push((format!("{name}#skip"), mark)),
        }
        return Ok(found);
    }
    let mut pending = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = pending.pop() {
        let (dirs, files) = match list_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if rel.is_empty() => return Err(ReadError::io(root, e)),
            Err(_) => continue,
        };
        for name in candidates(&files) {
            let file_rel = join_rel(&rel, name);
            let path = dir.join(name);
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            let mark = FileMark::of(&meta);
            match verdict(ctx, &file_rel, &path, &mark) {
                Some(layout) => found.logs.push(log(root, &rel, &dir, name, layout)),
                None => found.not_logs.push((format!("{file_rel}#skip"), mark)),
            }
        }
        if depth < MAX_DEPTH {
            for d in dirs.iter().rev().filter(|d| !skipped_dir(d)) {
                pending.push((dir.join(d), join_rel(&rel, d), depth + 1));
            }
        }
    }
    found.logs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(found)
}

/// Which logger wrote the file: remembered from the previous scan when the file is
/// unchanged, else read from its header.
fn verdict(ctx: &ScanContext, rel: &str, path: &Path, mark: &FileMark) -> Option<Layout> {
    if ctx.previous(&format!("{rel}#skip")).is_some_and(|p| p.same_file(mark)) {
        return None;
    }
    if ctx.previous(rel).is_some_and(|p| p.same_file(mark)) {
        for layout in [Layout::Lightning, Layout::Keras] {
            if ctx.previous(&format!("{rel}#{}", layout.name())).is_some() {
                return Some(layout);
            }
        }
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    classify(path, name)
}

/// Describes the log `name` found in the folder `dir` (`rel` below the store root).
fn log(root: &Path, rel: &str, dir: &Path, name: &str, layout: Layout) -> Log {
    let file_rel = join_rel(rel, name);
    // The experiment is the folder above the run; `..` when that is above the store.
    let run_folder_rel = if layout == Layout::Lightning { rel } else { &file_rel };
    let experiment = match run_folder_rel.rsplit_once('/') {
        Some((parent, _)) => (parent.to_string(), crate::util::folder_name(Path::new(parent))),
        None if run_folder_rel.is_empty() => ("..".into(), root.parent().map(crate::util::folder_name).unwrap_or_default()),
        None => (".".into(), crate::util::folder_name(root)),
    };
    let native_id = if run_folder_rel.is_empty() { crate::util::folder_name(root) } else { run_folder_rel.to_string() };
    Log {
        layout,
        rel: file_rel,
        path: dir.join(name),
        native_id,
        experiment,
        folder: (layout == Layout::Lightning).then(|| (rel.to_string(), dir.to_path_buf())),
    }
}

fn read_run(ctx: &ScanContext, log: &Log) -> RunUpdate {
    let mut update = RunUpdate { native_id: log.native_id.clone(), ..Default::default() };
    let mut marks = Vec::new();
    let mut changed = read_metrics(ctx, log, &mut update, &mut marks);
    if let Some((rel, dir)) = &log.folder {
        let is_new = ctx.previous(&log.rel).is_none();
        changed |= read_hparams(ctx, &join_rel(rel, HPARAMS), &dir.join(HPARAMS), is_new, &mut update, &mut marks);
        let key = join_rel(rel, "#artifacts");
        let (listing, hash) = list_artifacts(dir);
        let mark = FileMark { size: listing.len() as u64, hash, ..Default::default() };
        if ctx.previous(&key) != Some(&mark) {
            changed = true;
            update.artifacts = Some(listing);
        }
        marks.push((key, mark));
    }
    if changed {
        update.info = Some(RunInfo {
            experiment: Some(log.experiment.0.clone()),
            name: log.native_id.clone(),
            status: Status::Unknown,
            artifact_dir: log.folder.as_ref().map(|(_, dir)| dir.clone()),
            identity: crate::util::content_identity(log.native_id.rsplit('/').next().unwrap_or(&log.native_id), &log.path),
            ..Default::default()
        });
        update.marks = Some(marks);
    }
    update
}

/// Reads what was appended to the log (or all of it when it was rewritten); returns
/// whether anything changed.
fn read_metrics(ctx: &ScanContext, log: &Log, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) -> bool {
    let lines_key = format!("{}#{}", log.rel, log.layout.name());
    let previous = ctx.previous(&log.rel);
    let previous_lines = ctx.previous(&lines_key).map_or(0, |m| m.offset);
    let read = match resume(previous, &log.path) {
        Ok(Resume::Unchanged(mark)) => {
            marks.push((log.rel.clone(), mark));
            marks.push((lines_key, FileMark { offset: previous_lines, ..Default::default() }));
            return false;
        }
        Ok(read) => read,
        Err(e) => {
            update.warnings.push(Warning::new(log.rel.clone(), None, format!("cannot read: {e}")));
            return true;
        }
    };
    let Resume::Read { mode, from, ref bytes, .. } = read else { return false };
    // Appended bytes continue the rows only under the same header, after a line end.
    let continued = (from > 0 && mode == SeriesMode::Append)
        .then(|| header_of(&log.path, log.layout))
        .flatten()
        .filter(|h| previous.is_some_and(|p| p.hash == h.fingerprint) && ends_a_line(&log.path, from));
    if let Some(header) = continued {
        let rows = table::parse_rows(bytes, &header, log.layout, previous_lines + 1, &log.rel, &mut update.warnings);
        for (key, points) in rows.series {
            update.series.push(SeriesUpdate { key, mode: SeriesMode::Append, points });
        }
        marks.push((log.rel.clone(), FileMark { hash: header.fingerprint, ..read.mark_after(rows.consumed) }));
        marks.push((lines_key, FileMark { offset: previous_lines + rows.lines, ..Default::default() }));
        return true;
    }
    let whole = if from == 0 { Ok(read) } else { resume(None, &log.path) };
    match whole {
        Ok(whole) => read_whole(log, whole, &lines_key, update, marks),
        Err(e) => update.warnings.push(Warning::new(log.rel.clone(), None, format!("cannot read: {e}"))),
    }
    true
}

/// Reads a log from its start (`whole` holds all its bytes): the header, then every
/// complete row, each column's series replacing what the index had.
fn read_whole(log: &Log, whole: Resume, lines_key: &str, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) {
    let Resume::Read { ref bytes, .. } = whole else { return };
    update.reread.push(log.rel.clone());
    let header_end = bytes.iter().position(|&b| b == b'\n');
    let header = header_end.and_then(|end| Header::parse(bytes.get(..end)?, log.layout));
    let (Some(end), Some(header)) = (header_end, header) else {
        // No complete header yet (or no longer a log): nothing consumed.
        marks.push((log.rel.clone(), whole.mark_after(0)));
        marks.push((lines_key.to_string(), FileMark::default()));
        return;
    };
    let body = bytes.get(end + 1..).unwrap_or_default();
    let rows = table::parse_rows(body, &header, log.layout, 2, &log.rel, &mut update.warnings);
    let mut series = rows.series;
    for (col, name) in header.columns.iter().enumerate() {
        if col != header.step && !series.iter().any(|(k, _)| k == name) {
            series.push((name.clone(), Vec::new())); // an empty Replace drops stale points
        }
    }
    for (key, points) in series {
        update.series.push(SeriesUpdate { key, mode: SeriesMode::Replace, points });
    }
    marks.push((log.rel.clone(), FileMark { hash: header.fingerprint, ..whole.mark_after(end as u64 + 1 + rows.consumed) }));
    marks.push((lines_key.to_string(), FileMark { offset: 1 + rows.lines, ..Default::default() }));
}

/// The header of the file on disk, if it has a complete one.
fn header_of(path: &Path, layout: Layout) -> Option<Header> {
    Header::parse(&table::first_line(path).ok()??, layout)
}

/// The byte before `offset` is a line end (the file was not replaced by other lines).
fn ends_a_line(path: &Path, offset: u64) -> bool {
    let mut byte = [0u8];
    let Some(at) = offset.checked_sub(1) else { return true };
    crate::util::open_regular(path).and_then(|f| f.read_exact_at(&mut byte, at)).is_ok() && byte[0] == b'\n'
}

/// Re-reads `hparams.yaml` when it changed; returns whether it did. A run without one
/// has no params.
fn read_hparams(ctx: &ScanContext, rel: &str, path: &Path, is_new: bool, update: &mut RunUpdate, marks: &mut Vec<(String, FileMark)>) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        let gone = ctx.previous(rel).is_some();
        if gone || is_new {
            update.params = Some(Vec::new());
        }
        return gone;
    };
    let mark = FileMark::of(&meta);
    marks.push((rel.to_string(), mark.clone()));
    if ctx.previous(rel).is_some_and(|p| p.same_file(&mark)) {
        return false;
    }
    update.reread.push(rel.to_string());
    let parsed = read_text(path)
        .map_err(|e| hparams::YamlError { location: None, message: format!("cannot read: {e}") })
        .and_then(|text| hparams::params(&text));
    match parsed {
        Ok(params) => update.params = Some(params),
        Err(e) => update.warnings.push(Warning::new(rel, e.location, e.message)),
    }
    true
}

fn join_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_named_by_path_and_filed_under_the_folder_above() {
        let root = Path::new("/data/logs");
        let nested = log(root, "lightning_logs/version_3", &root.join("lightning_logs/version_3"), METRICS, Layout::Lightning);
        assert_eq!(nested.native_id, "lightning_logs/version_3");
        assert_eq!(nested.experiment, ("lightning_logs".to_string(), "lightning_logs".to_string()));
        assert_eq!(nested.rel, "lightning_logs/version_3/metrics.csv");
        let top = log(root, "version_0", &root.join("version_0"), METRICS, Layout::Lightning);
        assert_eq!((top.native_id.as_str(), top.experiment.0.as_str(), top.experiment.1.as_str()), ("version_0", ".", "logs"));
        let root_run = log(root, "", root, METRICS, Layout::Lightning);
        assert_eq!((root_run.native_id.as_str(), root_run.experiment.1.as_str()), ("logs", "data"), "the root is the run");
        let keras = log(root, "mnist", &root.join("mnist"), "training.log", Layout::Keras);
        assert_eq!((keras.native_id.as_str(), keras.experiment.1.as_str(), keras.folder.is_none()), ("mnist/training.log", "mnist", true));
    }

    #[test]
    fn candidate_files() {
        let files: Vec<String> = ["a.CSV", "b.log", "c.json", ".log", "metrics.csv", "d.txt", "e"].iter().map(|s| s.to_string()).collect();
        let picked: Vec<&str> = candidates(&files).map(String::as_str).collect();
        assert_eq!(picked, ["metrics.csv", "a.CSV", "b.log", "d.txt"]);
        let many: Vec<String> = (0..100).map(|i| format!("{i}.csv")).collect();
        assert_eq!(candidates(&many).count(), MAX_CANDIDATES);
    }

    #[test]
    fn a_file_is_classified_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).unwrap();
            classify(&dir.path().join(name), name)
        };
        assert_eq!(write("metrics.csv", "epoch,step,loss\r\n0,1,2.0\r\n"), Some(Layout::Lightning));
        assert_eq!(write("training.log", "epoch,loss\r\n0,2.0\r\n"), Some(Layout::Keras));
        assert_eq!(write("predictions.csv", "id,label\n1,2\n"), None);
        assert_eq!(write("other.csv", "epoch,step,loss\n"), Some(Layout::Keras), "only metrics.csv is Lightning's");
        assert_eq!(write("train.log", "epoch 1: loss=2.0\n"), None);
    }
}
