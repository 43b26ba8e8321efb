//! DVCLive output folders (`Live(dir="dvclive")`). DVCLive has no store of its own: each
//! output folder is one run, wherever the user put it, so detection reports lone runs and
//! discovery groups them into one store at their common parent; `scan` walks that root
//! to find the runs again. A run folder (3.x layout, the same since 1.0) holds:
//!
//! * `params.yaml`: the logged params, rewritten in place; flattened with `.`.
//! * `plots/metrics/<name>.tsv`: one append-only file per metric (`/` in names are
//!   sub-folders), the history: `[timestamp,] step, value` rows (see [`tsv`]).
//! * `metrics.json`: the latest values, rewritten at every step. The history is in the
//!   TSVs; values found only here (`live.summary["best"] = ...`) become
//!   `dvclive.summary.<name>` tags.
//! * `plots/images`, `plots/sklearn`, `plots/custom`, `artifacts/`: listed as artifacts
//!   of the run (artifact folder = the run folder).
//!
//! Before 1.0 the metrics were in `scalars/<name>.tsv` and the summary was `<dir>.json`
//! beside the folder; both are read the same way. DVCLive records no run status, start
//! or end: status is unknown, the start is the earliest first TSV timestamp (only logged
//! with `timestamp=True`) and there is no end. DVCLive records no provenance of a run
//! (DVC keeps the git state in the repository, not in the output folder).
//!
//! Datasets: the outputs the DVC project around the run tracks (`dvc add` files and
//! `dvc.lock` stage outputs, with DVC's md5; see [`dvc`]).
//!
//! Incremental: each TSV resumes from the byte after its last complete row
//! ([`crate::util::resume`]); `params.yaml` and `metrics.json` are re-read when their
//! (size, mtime, inode) changed; the artifact folders' listing and the DVC project's
//! tracking files are fingerprinted. A run whose files are all unchanged is sent as
//! unchanged, having read nothing.

mod dvc;
mod tsv;

use std::path::Path;

use yaml_rust2::Yaml;

use crate::discover::skipped_dir;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Fingerprint, Resume, list_artifacts, load_yaml, read_text, resume, walk_files, yaml_str};

/// Folders of a run listed as its artifacts.
const ARTIFACT_FOLDERS: &[&str] = &["plots/images", "plots/sklearn", "plots/custom", "artifacts"];
/// The default output folder name: with it, `metrics.json` or `params.yaml` alone is enough.
const DEFAULT_DIR: &str = "dvclive";
/// A `dvc.yaml` larger than this is not read during detection.
const MAX_DVC_YAML_BYTES: u64 = 1 << 20;

pub struct Dvclive;

impl Reader for Dvclive {
    fn id(&self) -> &'static str {
        "dvclive"
    }

    fn source(&self) -> &'static str {
        "dvclive"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        // DVC's temporary experiment workspaces (`.dvc/tmp/exps/...`) hold copies.
        let in_dvc = dir.path.components().any(|c| c.as_os_str() == ".dvc");
        if !in_dvc && is_run_folder(dir.path, |d| dir.has_dir(d), |f| dir.has_file(f)) {
            vec![Detected::lone_run(dir.path.to_path_buf())]
        } else {
            Vec::new()
        }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let root = ctx.root;
        std::fs::read_dir(root).map_err(|e| ReadError::io(root, e))?;
        let experiment = ctx.send_root_experiment();
        let runs = find_runs(root);
        ctx.read_runs(&runs, |rel| (read_run(ctx, rel, &experiment), ()));
        Ok(())
    }
}

/// True for a DVCLive output folder, given its path and tests for its child folders and
/// files: `plots/metrics/` (1.0+), `scalars/` with the `<dir>.json` summary beside it
/// (before 1.0), or `metrics.json`/`params.yaml` in a folder with DVCLive's default name
/// or listed in the `dvc.yaml` beside it.
fn is_run_folder(path: &Path, has_dir: impl Fn(&str) -> bool, has_file: impl Fn(&str) -> bool) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if has_dir("plots") && path.join("plots/metrics").is_dir() {
        return true;
    }
    if has_dir("scalars") && (name == DEFAULT_DIR || path.with_file_name(format!("{name}.json")).is_file()) {
        return true;
    }
    (has_file("metrics.json") || has_file("params.yaml")) && (name == DEFAULT_DIR || named_in_dvc_yaml(path, &name))
}

/// True when the `dvc.yaml` DVCLive writes beside its folder (3.x) lists the folder's files.
fn named_in_dvc_yaml(path: &Path, name: &str) -> bool {
    let Some(dvc_yaml) = path.parent().map(|p| p.join("dvc.yaml")) else { return false };
    if !std::fs::metadata(&dvc_yaml).is_ok_and(|m| m.len() <= MAX_DVC_YAML_BYTES) {
        return false;
    }
    let text = read_text(&dvc_yaml).unwrap_or_default();
    text.contains(&format!("{name}/metrics.json")) || text.contains(&format!("{name}/params.yaml"))
}

/// DVCLive folders at or below `root`, relative to it (`""` for the root itself), sorted.
/// Folders skipped by discovery, `.dvc` and the inside of run folders are not searched.
fn find_runs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut walk = walkdir::WalkDir::new(root).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && (skipped_dir(&name) || name == ".dvc") {
            walk.skip_current_dir();
            continue;
        }
        let path = entry.path();
        if is_run_folder(path, |d| path.join(d).is_dir(), |f| path.join(f).is_file()) {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(crate::util::slash_path(rel));
            }
            walk.skip_current_dir();
        }
    }
    out
}

/// Where a run keeps its files, relative to its folder.
struct Layout {
    metrics_dir: &'static str,
    /// The summary file, relative to the store root, and its path.
    summary: Option<(String, std::path::PathBuf)>,
}

impl Layout {
    fn of(root: &Path, rel: &str, dir: &Path) -> Layout {
        if dir.join("plots/metrics").is_dir() || !dir.join("scalars").is_dir() {
            let prefix = prefix(rel);
            return Layout { metrics_dir: "plots/metrics", summary: Some((format!("{prefix}metrics.json"), dir.join("metrics.json"))) };
        }
        // Before 1.0: `<dir>.json` beside the folder (outside the store when the run is its root).
        let name = crate::util::folder_name(dir);
        let summary = (!rel.is_empty()).then(|| {
            let sibling = match rel.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/{name}.json"),
                None => format!("{name}.json"),
            };
            (sibling.clone(), root.join(sibling))
        });
        Layout { metrics_dir: "scalars", summary }
    }
}

/// Mark keys of a run's files start with this: its folder relative to the store root.
fn prefix(rel: &str) -> String {
    if rel.is_empty() { String::new() } else { format!("{rel}/") }
}

/// Native id and name of the run in folder `rel`: the folder relative to the store root,
/// or the name of the folder above when the run is the store root itself.
fn run_name(root: &Path, rel: &str) -> String {
    if rel.is_empty() { root.parent().map(crate::util::folder_name).unwrap_or_else(|| crate::util::folder_name(root)) } else { rel.to_string() }
}

/// Reads what changed in one run folder since the marks of the previous scan.
fn read_run(ctx: &ScanContext, rel: &str, experiment: &str) -> RunUpdate {
    let dir = ctx.root.join(rel);
    let prefix = prefix(rel);
    let layout = Layout::of(ctx.root, rel, &dir);
    let mut run = RunRead { ctx, update: RunUpdate { native_id: run_name(ctx.root, rel), ..Default::default() }, marks: Vec::new(), changed: false };

    let params_key = format!("{prefix}params.yaml");
    match run.small_file(&params_key, &dir.join("params.yaml")) {
        SmallFile::Changed(text, mark) => run.update.params = run.parse_small(&params_key, &text, mark, parse_params),
        SmallFile::Gone => run.update.params = Some(Vec::new()),
        SmallFile::Absent | SmallFile::Unchanged => {}
    }

    let metrics_dir = dir.join(layout.metrics_dir);
    let tsvs: Vec<_> = walk_files(&metrics_dir).into_iter().filter(|f| f.rel.ends_with(".tsv")).collect();
    let keys: Vec<String> = tsvs.iter().map(|f| f.rel.strip_suffix(".tsv").unwrap_or(&f.rel).to_string()).collect();
    if let Some((summary_key, summary_path)) = &layout.summary {
        match run.small_file(summary_key, summary_path) {
            SmallFile::Changed(text, mark) => run.update.tags = run.parse_small(summary_key, &text, mark, |t| summary_tags(t, &keys)),
            SmallFile::Gone => run.update.tags = Some(Vec::new()),
            SmallFile::Absent | SmallFile::Unchanged => {}
        }
    }

    let tsv_prefix = format!("{prefix}{}/", layout.metrics_dir);
    for (file, key) in tsvs.iter().zip(&keys) {
        run.read_tsv(&format!("{tsv_prefix}{}", file.rel), &file.path, key);
    }
    run.drop_vanished_series(&tsv_prefix, &tsvs.iter().map(|f| format!("{tsv_prefix}{}", f.rel)).collect::<Vec<_>>());
    run.list_artifacts(&format!("{prefix}artifacts/"), &dir);
    run.project_datasets(rel, &format!("{prefix}#dvc-project"));

    if run.changed {
        let start_ms = tsvs.iter().filter_map(|f| tsv::first_time_ms(&f.path)).min();
        run.update.info = Some(RunInfo {
            experiment: Some(experiment.to_string()),
            name: run.update.native_id.clone(),
            status: Status::Unknown,
            start_ms,
            artifact_dir: Some(dir.clone()),
            identity: tsvs.first().and_then(|f| crate::util::content_identity(&crate::util::folder_name(&dir), &f.path)),
            ..Default::default()
        });
        run.update.marks = Some(run.marks);
    }
    run.update
}

/// A rewritten-in-place file compared with its mark (see [`RunRead::small_file`]).
enum SmallFile {
    /// Not there, and not there last time either.
    Absent,
    /// Gone since the last scan.
    Gone,
    /// Same as last time (or unreadable, with a warning): nothing to do.
    Unchanged,
    /// New or changed: its text and its mark before it was read.
    Changed(String, FileMark),
}

/// One run being read: its update so far, the marks of its files, whether anything changed.
struct RunRead<'a> {
    ctx: &'a ScanContext<'a>,
    update: RunUpdate,
    marks: Vec<(String, FileMark)>,
    changed: bool,
}

impl RunRead<'_> {
    /// A file rewritten in place, compared with its mark from the last scan. Its mark is
    /// recorded here only when unchanged: the caller records it once the text parsed.
    fn small_file(&mut self, key: &str, path: &Path) -> SmallFile {
        let previous = self.ctx.previous(key);
        let Ok(meta) = std::fs::metadata(path) else {
            self.changed |= previous.is_some();
            return if previous.is_some() { SmallFile::Gone } else { SmallFile::Absent };
        };
        let mark = FileMark::of(&meta);
        if previous.is_some_and(|p| p.same_file(&mark)) {
            self.marks.push((key.to_string(), mark));
            return SmallFile::Unchanged;
        }
        self.changed = true;
        self.update.reread.push(key.to_string());
        match read_text(path) {
            Ok(text) => SmallFile::Changed(text, mark),
            Err(e) => {
                self.update.warnings.push(Warning::new(key, None, format!("cannot read: {e}")));
                SmallFile::Unchanged
            }
        }
    }

    /// Parses a changed small file with `parse`; on success records its mark and returns
    /// the result, else warns (the file is read again next scan: it may be half-written).
    fn parse_small<T>(&mut self, key: &str, text: &str, mark: FileMark, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        match parse(text) {
            Ok(v) => {
                self.marks.push((key.to_string(), mark));
                Some(v)
            }
            Err(reason) => {
                self.update.warnings.push(Warning::new(key, None, reason));
                None
            }
        }
    }

    /// Resumes one metric file from its mark.
    fn read_tsv(&mut self, rel: &str, path: &Path, key: &str) {
        let warnings = &mut self.update.warnings;
        match resume(self.ctx.previous(rel), path) {
            Ok(r @ Resume::Unchanged(_)) => self.marks.push((rel.to_string(), r.mark_after(0))),
            Ok(ref r @ Resume::Read { mode, from, ref bytes, .. }) => {
                self.changed = true;
                let header = if from == 0 {
                    None
                } else {
                    tsv::read_header(path).unwrap_or_else(|e| {
                        warnings.push(Warning::new(rel, None, format!("cannot read the header: {e}")));
                        None
                    })
                };
                if mode == SeriesMode::Replace {
                    self.update.reread.push(rel.to_string());
                }
                let parsed = tsv::parse(bytes, from, header, rel, warnings);
                self.update.series.push(SeriesUpdate { key: key.to_string(), mode, points: parsed.points });
                self.marks.push((rel.to_string(), r.mark_after(parsed.consumed)));
            }
            Err(e) => warnings.push(Warning::new(rel, None, format!("cannot read metric file: {e}"))),
        }
    }

    /// Removes the series of metric files marked last time that are gone now (DVCLive
    /// deletes its plots when a run restarts without `resume=True`).
    fn drop_vanished_series(&mut self, tsv_prefix: &str, present: &[String]) {
        let mut gone: Vec<&String> =
            self.ctx.previous.keys().filter(|k| k.starts_with(tsv_prefix) && k.ends_with(".tsv") && !present.contains(k)).collect();
        gone.sort();
        for rel in gone {
            self.changed = true;
            let key = rel.get(tsv_prefix.len()..rel.len() - ".tsv".len()).unwrap_or_default().to_string();
            self.update.series.push(SeriesUpdate { key, mode: SeriesMode::Replace, points: Vec::new() });
        }
    }

    /// Lists the artifact folders; sends the listing when its fingerprint changed.
    fn list_artifacts(&mut self, key: &str, dir: &Path) {
        let mut listing = Vec::new();
        let mut fp = Fingerprint::default();
        for folder in ARTIFACT_FOLDERS {
            let (files, hash) = list_artifacts(&dir.join(folder));
            fp.bytes(folder.as_bytes()).u64(hash);
            listing.extend(files.into_iter().map(|a| Artifact { path: format!("{folder}/{}", a.path), ..a }));
        }
        let mark = FileMark { size: listing.len() as u64, hash: fp.finish(), ..Default::default() };
        if self.ctx.previous(key) != Some(&mark) {
            self.changed = true;
            self.update.artifacts = Some(listing);
        }
        self.marks.push((key.to_string(), mark));
    }
}

impl RunRead<'_> {
    /// The data versions of the DVC project around the run (see [`dvc`]); sent when the
    /// project's tracking files changed, appeared or went.
    fn project_datasets(&mut self, rel: &str, key: &str) {
        let project = dvc::Project::around(self.ctx.root, rel);
        let mark = project.as_ref().map(dvc::Project::mark);
        if self.ctx.previous(key) != mark.as_ref() {
            self.changed = true;
            self.update.datasets = Some(project.map(|p| p.datasets(&mut self.update.warnings)).unwrap_or_default());
        }
        if let Some(mark) = mark {
            self.marks.push((key.to_string(), mark));
        }
    }
}

/// `params.yaml` as flattened params (nested keys joined with `.`, leaves as text).
fn parse_params(text: &str) -> Result<Vec<(String, String)>, String> {
    if text.trim().is_empty() {
        return Err("empty params.yaml (being written?)".into());
    }
    let docs = load_yaml(text)?;
    let mut out = Vec::new();
    match docs.into_iter().next() {
        Some(doc @ Yaml::Hash(_)) => flatten_yaml(&doc, String::new(), &mut out),
        _ => return Err("params.yaml is not a mapping".into()),
    }
    Ok(out)
}

fn flatten_yaml(v: &Yaml, prefix: String, out: &mut Vec<(String, String)>) {
    match v {
        Yaml::Hash(h) if !h.is_empty() => {
            for (k, child) in h {
                let k = yaml_str(k).unwrap_or_else(|| yaml_json(k).to_string());
                let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                flatten_yaml(child, key, out);
            }
        }
        other => out.push((prefix, yaml_str(other).unwrap_or_else(|| yaml_json(other).to_string()))),
    }
}

/// A YAML value as JSON, for lists and other values that are not plain scalars.
fn yaml_json(v: &Yaml) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(s) => s.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or_else(|| Value::String(s.clone())),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_json).collect()),
        Yaml::Hash(h) => Value::Object(h.iter().map(|(k, v)| (yaml_str(k).unwrap_or_default(), yaml_json(v))).collect()),
        _ => Value::Null,
    }
}

/// Drives the TSV parser on arbitrary bytes (for [`crate::fuzzing`]): once from the start
/// of a file, and once resumed after the first line with the header read then.
pub(crate) fn fuzz_tsv(data: &[u8]) {
    let mut warnings = Vec::new();
    let whole = tsv::parse(data, 0, None, "m.tsv", &mut warnings);
    assert!(whole.consumed as usize <= data.len());
    assert!(whole.points.len() <= data.len() / 2);
    let Some(first) = data.iter().position(|&b| b == b'\n') else { return };
    let rest = tsv::parse(&data[first + 1..], first as u64 + 1, whole.header, "m.tsv", &mut warnings);
    assert!((rest.consumed as usize) < data.len() - first);
}

/// Drives the `params.yaml` and `metrics.json` (summary) parsers on arbitrary bytes (for
/// [`crate::fuzzing`]), read as [`read_text`] does.
pub(crate) fn fuzz_params_yaml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_params(&text);
    let _ = summary_tags(&text, &["step".to_string()]);
}

/// Tags for the values of `metrics.json` that have no metric file (a summary set by hand,
/// `best_eval_acc`); the others are the last points of the TSV histories.
fn summary_tags(text: &str, tsv_keys: &[String]) -> Result<Vec<(String, String)>, String> {
    if text.trim().is_empty() {
        return Err("empty summary file (being written?)".into());
    }
    let value = crate::lenient_json::parse(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if !value.is_object() {
        return Err("the summary is not a JSON object".into());
    }
    Ok(crate::lenient_json::flatten(&value, "/")
        .into_iter()
        .filter(|(k, _)| k != "step" && !tsv_keys.contains(k))
        .map(|(k, v)| (format!("dvclive.summary.{k}"), v))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_yaml_nested_too_deeply_is_an_error_not_a_stack_overflow() {
        // Kept in fuzz/corpus/dvclive_params_yaml: each `- ` opens one more level.
        let text = format!("layers:\n  {}1\n", "- ".repeat(30_000));
        let result = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || parse_params(&text)).unwrap().join().unwrap();
        assert!(result.unwrap_err().contains("nested deeper"));
    }

    #[test]
    fn params_flatten_with_dots_and_keep_their_text() {
        let p = parse_params("lr: 4.84e-06\nmodel:\n  arch: resnet\n  depth: 16\nlayers: [1, 2]\nflag: true\nnone: null\n").unwrap();
        let got: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![("lr", "4.84e-06"), ("model.arch", "resnet"), ("model.depth", "16"), ("layers", "[1,2]"), ("flag", "true"), ("none", "null")]
        );
        assert!(parse_params("").unwrap_err().contains("empty"));
        assert!(parse_params("a: [1, 2").is_err());
        assert!(parse_params("- 1\n- 2\n").is_err());
    }

    #[test]
    fn summary_values_without_a_history_become_tags() {
        let keys = vec!["train/loss".to_string(), "lr".to_string()];
        let tags = summary_tags(r#"{"train": {"loss": 0.3, "acc": "nan"}, "lr": 0.1, "step": 4, "best": 0.9}"#, &keys).unwrap();
        assert_eq!(tags, vec![("dvclive.summary.best".into(), "0.9".into()), ("dvclive.summary.train/acc".into(), "nan".into())]);
        assert!(summary_tags("{\"a\": ", &keys).is_err());
    }

    #[test]
    fn run_folders_are_recognised_by_their_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("new/out/plots/metrics")).unwrap();
        std::fs::create_dir_all(p.join("old/dvclive/scalars")).unwrap();
        std::fs::create_dir_all(p.join("legacy/logs/scalars")).unwrap();
        std::fs::write(p.join("legacy/logs.json"), "{}").unwrap();
        std::fs::create_dir_all(p.join("params-only/dvclive")).unwrap();
        std::fs::write(p.join("params-only/dvclive/params.yaml"), "a: 1\n").unwrap();
        std::fs::create_dir_all(p.join("pipeline")).unwrap();
        std::fs::write(p.join("pipeline/params.yaml"), "a: 1\n").unwrap();
        std::fs::write(p.join("pipeline/metrics.json"), "{}").unwrap();
        std::fs::create_dir_all(p.join("custom/out")).unwrap();
        std::fs::write(p.join("custom/out/params.yaml"), "a: 1\n").unwrap();
        std::fs::write(p.join("custom/dvc.yaml"), "params:\n- out/params.yaml\n").unwrap();
        std::fs::create_dir_all(p.join(".git/dvclive/plots/metrics")).unwrap();
        assert_eq!(find_runs(p), vec!["custom/out", "legacy/logs", "new/out", "old/dvclive", "params-only/dvclive"]);
        assert_eq!(find_runs(&p.join("new/out")), vec![""]);
    }
}
