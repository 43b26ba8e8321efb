//! MLflow file store (`mlruns/`): experiments as numbered folders with `meta.yaml`, one
//! folder per run with `meta.yaml`, `params/`, `tags/`, `metrics/` (append-only text,
//! `"<ms> <value> <step>"` per line) and `artifacts/`. Deleted experiments live under
//! `.trash/`. Keys containing `/` are nested folders.
//!
//! Times and status: the run `meta.yaml`'s `start_time` and `end_time` (ms; `end_time` is
//! `null` until the run ends, and stays so for a crashed run), and its `status` (`1`
//! RUNNING ... `5` KILLED; a missing status is a run that never ended, RUNNING). Nothing
//! else: no file time stands in for a missing one.
//!
//! Provenance: the `mlflow.source.*` tags and the environment files of the models the run
//! logged (`outputs/<model id>/` names them), see [`super::mlflow_provenance`].
//!
//! Incremental: per run, one fingerprint over the small files (meta, params, tags, and
//! the environment files of its models) decides whether they are re-read; each metric
//! file resumes from its byte offset; the artifact listing is fingerprinted.

use std::path::Path;

use yaml_rust2::Yaml;

use super::mlflow_provenance;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{
    Fingerprint, Resume, list_artifacts, local_path_of_uri, outside_warning, read_text, read_window, resolve_moved, resume_walked_window, walk_files,
    yaml_i64, yaml_str,
};

/// Experiment sub-folders that are not runs (`FileStore.RESERVED_EXPERIMENT_FOLDERS`).
const RESERVED: &[&str] = &["tags", "datasets", "traces", "models"];
/// New bytes of a metric file read at once: larger files are read (and indexed) window
/// by window, see `read_metric_windows`.
const METRIC_WINDOW: u64 = 16 << 20;
/// At most this many warnings per file; the rest are counted in one more warning.
const MAX_WARNINGS_PER_FILE: usize = 10;

pub struct MlflowFile;

impl Reader for MlflowFile {
    fn id(&self) -> &'static str {
        "mlflow-file"
    }

    fn source(&self) -> &'static str {
        "mlflow"
    }

    fn owns_subtree(&self) -> bool {
        true
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let looks_like_store = dir
            .dirs
            .iter()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .take(5)
            .any(|d| is_experiment_meta(&dir.path.join(d).join("meta.yaml")));
        if looks_like_store { vec![Detected::store(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let root = ctx.root;
        let mut experiments: Vec<(String, String, bool)> = Vec::new();
        for (rel, trashed) in experiment_folders(root)? {
            let native = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            if experiments.iter().any(|(_, n, _)| *n == native) {
                continue; // the same id both active and in .trash: the active one wins
            }
            let deleted = scan_experiment(ctx, &rel, &native, trashed);
            experiments.push((rel, native, deleted));
        }

        let mut runs = Vec::new();
        let mut warnings = Vec::new();
        for (rel, native, deleted) in &experiments {
            for run in run_folders(&root.join(rel), rel, &mut warnings) {
                runs.push(RunFolder { exp_native: native, exp_deleted: *deleted, rel: format!("{rel}/{run}"), id: run });
            }
        }
        ctx.send(Update::Store { marks: Vec::new(), warnings });
        ctx.read_runs(&runs, |run| (read_run(ctx, run), ()));
        Ok(())
    }
}

fn is_experiment_meta(path: &Path) -> bool {
    match read_text(path) {
        Ok(text) => text.contains("experiment_id") && text.contains("lifecycle_stage"),
        Err(_) => false,
    }
}

/// Experiment folders relative to the root, with whether they are in `.trash`.
fn experiment_folders(root: &Path) -> Result<Vec<(String, bool)>, ReadError> {
    let mut out = Vec::new();
    let names = list_dirs(root).map_err(|e| ReadError::io(root, e))?;
    for name in &names {
        if name != ".trash" && name != "models" && root.join(name).join("meta.yaml").exists() {
            out.push((name.clone(), false));
        }
    }
    if names.iter().any(|n| n == ".trash") {
        let trashed = list_dirs(&root.join(".trash")).unwrap_or_default();
        for t in trashed {
            if root.join(".trash").join(&t).join("meta.yaml").exists() {
                out.push((format!(".trash/{t}"), true));
            }
        }
    }
    Ok(out)
}

/// Sub-folder names, sorted.
fn list_dirs(dir: &Path) -> std::io::Result<Vec<String>> {
    crate::util::list_dir(dir).map(|(dirs, _)| dirs)
}

/// The run folders of an experiment; folders that cannot be listed or named (not UTF-8)
/// are warnings, not silently missing runs.
fn run_folders(exp_dir: &Path, exp_rel: &str, warnings: &mut Vec<Warning>) -> Vec<String> {
    let dirs = match crate::util::list_dir_odd(exp_dir) {
        Ok((dirs, _, odd)) => {
            for name in odd {
                warnings.push(Warning::new(format!("{exp_rel}/{name}"), None, "the name is not valid UTF-8: this folder is not read"));
            }
            dirs
        }
        Err(e) => {
            warnings.push(Warning::new(exp_rel, None, format!("cannot list the experiment's runs: {e}")));
            Vec::new()
        }
    };
    dirs.into_iter()
        .filter(|name| !RESERVED.contains(&name.as_str()))
        .filter(|name| {
            let dir = exp_dir.join(name);
            match std::fs::symlink_metadata(dir.join("meta.yaml")) {
                Ok(_) => true,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    warnings.push(Warning::new(format!("{exp_rel}/{name}"), None, format!("cannot read this run folder: {e}")));
                    false
                }
                Err(_) => dir.join("metrics").is_dir(),
            }
        })
        .collect()
}

/// Sends the experiment's update; returns whether it is deleted (read from disk only when
/// its `meta.yaml` changed, otherwise the `.trash` location decides).
fn scan_experiment(ctx: &ScanContext, rel: &str, native: &str, trashed: bool) -> bool {
    let meta_rel = format!("{rel}/meta.yaml");
    let meta_path = ctx.root.join(&meta_rel);
    let mark = match std::fs::metadata(&meta_path) {
        Ok(m) => FileMark::of(&m),
        Err(_) => FileMark::default(),
    };
    let mut update = ExperimentUpdate { native_id: native.to_string(), ..Default::default() };
    if ctx.previous(&meta_rel).is_some_and(|p| p.same_file(&mark)) {
        ctx.send(Update::Experiment(update));
        return trashed;
    }
    let mut info = ExperimentInfo { name: native.to_string(), deleted: trashed };
    match load_yaml(&meta_path) {
        Ok(doc) => {
            if let Some(name) = yaml_str(&doc["name"]) {
                info.name = name;
            }
            info.deleted |= yaml_str(&doc["lifecycle_stage"]).as_deref() == Some("deleted");
            update.marks = Some(vec![(meta_rel, mark)]);
        }
        Err(reason) => {
            update.warnings.push(Warning::new(meta_rel, None, reason));
            update.marks = Some(Vec::new()); // no mark: read it again next time
        }
    }
    let deleted = info.deleted;
    update.info = Some(info);
    ctx.send(Update::Experiment(update));
    deleted
}

struct RunFolder<'a> {
    exp_native: &'a str,
    exp_deleted: bool,
    /// Relative to the store root.
    rel: String,
    id: String,
}

fn read_run(ctx: &ScanContext, run: &RunFolder) -> RunUpdate {
    let dir = ctx.root.join(&run.rel);
    let mut update = RunUpdate { native_id: run.id.clone(), ..Default::default() };
    let mut marks = Vec::new();
    let mut changed = false;
    let meta_path = dir.join("meta.yaml");
    // meta.yaml, read at most once per scan, and only when needed.
    let mut meta: Option<Result<Yaml, String>> = None;

    // Artifacts: the run folder's own `artifacts/`, else wherever meta.yaml points.
    let mut artifact_dir = Some(dir.join("artifacts")).filter(|d| d.is_dir());
    if artifact_dir.is_none() {
        let doc = meta.get_or_insert_with(|| load_run_meta(&meta_path));
        artifact_dir = doc
            .as_ref()
            .ok()
            .and_then(|d| yaml_str(&d["artifact_uri"]))
            .and_then(|uri| resolve_moved(&local_path_of_uri(&uri)?, ctx.root, Some(&run.id)));
        if let Some(outside) = artifact_dir.take_if(|d| !ctx.may_read(d)) {
            update.warnings.push(outside_warning(&format!("{}/meta.yaml", run.rel), &outside));
        }
    }
    let (listing, listing_hash) = artifact_dir.as_deref().map(list_artifacts).unwrap_or_default();

    // Small files: meta.yaml, params/**, tags/**, and the environment files of the models
    // the run logged (its provenance) — fingerprinted together.
    let meta_mark = std::fs::metadata(&meta_path).ok().map(|m| FileMark::of(&m));
    let params = walk_files(&dir.join("params"));
    let tags = walk_files(&dir.join("tags"));
    let inputs = walk_files(&dir.join("inputs"));
    let models = logged_models(ctx.root, run);
    let mut fp = Fingerprint::default();
    if let Some(m) = &meta_mark {
        fp.u64(m.size).u64(m.mtime_ns as u64).u64(m.inode);
    }
    for (prefix, files) in [("p", &params), ("t", &tags), ("i", &inputs)] {
        for f in files.iter() {
            fp.bytes(prefix.as_bytes()).bytes(f.rel.as_bytes()).u64(f.mark.size).u64(f.mark.mtime_ns as u64).u64(f.mark.inode);
        }
    }
    let model_env_files = models.iter().flat_map(|(_, d)| mlflow_provenance::ENV_FILES.iter().map(move |n| d.join(n)));
    let artifact_env_files =
        listing.iter().filter(|a| mlflow_provenance::is_model_env_file(&a.path)).filter_map(|a| Some(artifact_dir.as_ref()?.join(&a.path)));
    for path in model_env_files.chain(artifact_env_files) {
        if let Ok(m) = std::fs::metadata(&path) {
            fp.bytes(b"e").bytes(path.as_os_str().as_encoded_bytes()).u64(m.len()).u64(FileMark::of(&m).mtime_ns as u64);
        }
    }
    let small_key = format!("{}/", run.rel);
    let small_mark = FileMark { hash: fp.finish(), ..Default::default() };
    let previous_small = ctx.previous(&small_key);
    if previous_small != Some(&small_mark) {
        changed = true;
        let meta_rel = format!("{}/meta.yaml", run.rel);
        update.reread.push(meta_rel.clone());
        let params: Vec<_> = params.iter().map(|f| (f.rel.clone(), read_text(&f.path).unwrap_or_default())).collect();
        let tags: Vec<_> = tags.iter().map(|f| (f.rel.clone(), read_text(&f.path).unwrap_or_default())).collect();
        let info = match meta.get_or_insert_with(|| load_run_meta(&meta_path)) {
            Ok(doc) => {
                marks.push((small_key, small_mark));
                Some(run_info(doc, run, &tags))
            }
            Err(reason) => {
                // Half-written or missing: warn, keep what the index had, retry next scan.
                update.warnings.push(Warning::new(meta_rel, None, reason.clone()));
                previous_small.is_none().then(|| run_info(&Yaml::Null, run, &tags))
            }
        };
        if let Some(mut info) = info {
            for (rel, model_dir) in &models {
                mlflow_provenance::add_model_folder(&mut info.provenance, model_dir, Some(rel), &mut update.warnings);
            }
            if let Some(d) = &artifact_dir {
                mlflow_provenance::add_artifact_models(&mut info.provenance, d, &listing, &mut update.warnings);
            }
            update.info = Some(info);
        }
        update.params = Some(params);
        update.tags = Some(tags);
        update.datasets = Some(dataset_inputs(run, &dir, &inputs, &mut update.warnings));
    } else {
        marks.push((small_key, small_mark));
    }

    // Metric files: resume each from its offset.
    for file in walk_files(&dir.join("metrics")) {
        let rel = format!("{}/metrics/{}", run.rel, file.rel);
        match resume_walked_window(ctx.previous(&rel), &file, METRIC_WINDOW) {
            Ok(r @ Resume::Unchanged(_)) => marks.push((rel, r.mark_after(0))),
            Ok(Resume::Read { mode, from, bytes, mark }) => {
                changed = true;
                let (mode, points, warnings, at) = match read_metric_windows(ctx, run, &file, &rel, mode, from, bytes, &mark) {
                    Ok(read) => read,
                    Err(e) => {
                        update.warnings.push(Warning::new(rel, None, format!("cannot read metric file: {e}")));
                        continue;
                    }
                };
                if mode == SeriesMode::Replace {
                    update.reread.push(rel.clone());
                }
                update.warnings.extend(warnings);
                update.series.push(SeriesUpdate { key: file.rel.clone(), mode, points });
                marks.push((rel, FileMark { offset: at, ..mark.clone() }));
            }
            Err(e) => update.warnings.push(Warning::new(rel, None, format!("cannot read metric file: {e}"))),
        }
    }

    if let Some(info) = update.info.as_mut() {
        info.artifact_dir = artifact_dir.clone();
    }
    let artifacts_key = format!("{}/artifacts/", run.rel);
    let artifacts_mark = FileMark { size: listing.len() as u64, hash: listing_hash, ..Default::default() };
    if ctx.previous(&artifacts_key) != Some(&artifacts_mark) {
        changed = true;
        update.artifacts = Some(listing);
    }
    marks.push((artifacts_key, artifacts_mark));

    if changed {
        update.marks = Some(marks);
    }
    update
}

/// The datasets a run consumed: each `inputs/<id>/meta.yaml` of `source_type: DATASET`
/// names a dataset of the experiment (`<experiment>/datasets/<source_id>/meta.yaml`:
/// name, digest, source); its `mlflow.data.context` tag says what for. Model inputs are
/// not datasets. An input or dataset that cannot be read is a warning.
fn dataset_inputs(run: &RunFolder, dir: &Path, inputs: &[crate::util::WalkedFile], warnings: &mut Vec<Warning>) -> Vec<DatasetInput> {
    let mut out = Vec::new();
    let experiment = dir.parent().unwrap_or(dir);
    for input in inputs.iter().filter(|f| f.rel.ends_with("/meta.yaml")) {
        let rel = format!("{}/inputs/{}", run.rel, input.rel);
        let doc = match read_text(&input.path).map_err(|e| e.to_string()).and_then(|t| parse_yaml(&t)) {
            Ok(doc) => doc,
            Err(reason) => {
                warnings.push(Warning::new(rel, None, format!("cannot read the input: {reason}")));
                continue;
            }
        };
        if yaml_str(&doc["source_type"]).as_deref() != Some("DATASET") {
            continue;
        }
        let Some(id) = yaml_str(&doc["source_id"]).filter(|id| !id.is_empty() && !id.contains(['/', '\\']) && id != "..") else {
            warnings.push(Warning::new(rel, None, "the input names no dataset".to_string()));
            continue;
        };
        let dataset_path = experiment.join("datasets").join(&id).join("meta.yaml");
        let dataset = match read_text(&dataset_path).map_err(|e| e.to_string()).and_then(|t| parse_yaml(&t)) {
            Ok(d) => d,
            Err(reason) => {
                warnings.push(Warning::new(rel, None, format!("cannot read its dataset {id}: {reason}")));
                continue;
            }
        };
        out.push(DatasetInput {
            name: yaml_str(&dataset["name"]).unwrap_or_default(),
            digest: yaml_str(&dataset["digest"]).unwrap_or_default(),
            context: yaml_str(&doc["tags"]["mlflow.data.context"]),
            source_type: yaml_str(&dataset["source_type"]),
            source: yaml_str(&dataset["source"]),
        });
    }
    out
}

/// What of one metric file goes into the run's update: `(mode, points, warnings, offset
/// consumed)`. A file with more than [`METRIC_WINDOW`] new bytes is read window by window;
/// every window but the last goes to the index at once, in an update of its own carrying
/// the file's mark after that window (the run's other marks as the last scan left them),
/// so memory stays bounded and a scan killed between windows resumes after the last
/// committed one. The last window is returned for the run's update.
#[allow(clippy::too_many_arguments)]
fn read_metric_windows(
    ctx: &ScanContext,
    run: &RunFolder,
    file: &crate::util::WalkedFile,
    rel: &str,
    mut mode: SeriesMode,
    from: u64,
    bytes: Vec<u8>,
    mark: &FileMark,
) -> std::io::Result<(SeriesMode, Vec<Point>, Vec<Warning>, u64)> {
    let mut warnings = Vec::new();
    let (mut points, consumed) = parse_metric_lines(&bytes, from, rel, &mut warnings);
    let mut at = from + consumed;
    let mut window_end = from + bytes.len() as u64;
    drop(bytes);
    let run_prefix = format!("{}/", run.rel);
    while window_end < mark.size && at < mark.size {
        let mut marks: Vec<(String, FileMark)> =
            ctx.previous.iter().filter(|(k, _)| k.starts_with(&run_prefix) && k.as_str() != rel).map(|(k, m)| (k.clone(), m.clone())).collect();
        marks.push((rel.to_string(), FileMark { offset: at, ..mark.clone() }));
        ctx.send(Update::Run(RunUpdate {
            native_id: run.id.clone(),
            series: vec![SeriesUpdate { key: file.rel.clone(), mode, points: std::mem::take(&mut points) }],
            marks: Some(marks),
            reread: if mode == SeriesMode::Replace { vec![rel.to_string()] } else { Vec::new() },
            warnings: std::mem::take(&mut warnings),
            ..Default::default()
        }));
        mode = SeriesMode::Append;
        let window = read_window(&file.path, at, (mark.size - at).min(METRIC_WINDOW))?;
        let (more, consumed) = parse_metric_lines(&window, at, rel, &mut warnings);
        if consumed == 0 {
            break; // a line longer than a window: not a metric line; it waits, as a partial tail does
        }
        points = more;
        window_end = at + window.len() as u64;
        at += consumed;
    }
    Ok((mode, points, warnings, at))
}

fn run_info(meta: &Yaml, run: &RunFolder, tags: &[(String, String)]) -> RunInfo {
    let tag = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let status = match yaml_i64(&meta["status"]) {
        Some(1) => Status::Running,
        Some(2) => Status::Scheduled,
        Some(3) => Status::Finished,
        Some(4) => Status::Failed,
        Some(5) => Status::Killed,
        Some(_) => Status::Unknown,
        // Very old stores omit the status of a run that never ended.
        None if meta.is_null() => Status::Unknown,
        None => yaml_str(&meta["status"]).map(|s| Status::parse(&s)).unwrap_or(Status::Running),
    };
    let name = yaml_str(&meta["run_name"]).filter(|n| !n.is_empty()).or_else(|| tag("mlflow.runName")).unwrap_or_else(|| run.id.clone());
    RunInfo {
        experiment: Some(run.exp_native.to_string()),
        name,
        status,
        deleted: run.exp_deleted || yaml_str(&meta["lifecycle_stage"]).as_deref() == Some("deleted"),
        parent: tag("mlflow.parentRunId").filter(|p| !p.is_empty()),
        start_ms: yaml_i64(&meta["start_time"]),
        end_ms: yaml_i64(&meta["end_time"]),
        user: yaml_str(&meta["user_id"]).filter(|u| !u.is_empty()).or_else(|| tag("mlflow.user")),
        provenance: mlflow_provenance::from_tags(tag),
        artifact_dir: None,
        // MLflow run ids are uuids: the native id is the identity.
        identity: None,
    }
}

/// A run's `meta.yaml` ([`load_yaml`]), which every MLflow version writes with the run
/// id: one without it is not a run's whole.
fn load_run_meta(path: &Path) -> Result<Yaml, String> {
    let doc = load_yaml(path)?;
    let has_id = yaml_str(&doc["run_id"]).or_else(|| yaml_str(&doc["run_uuid"])).is_some();
    if has_id { Ok(doc) } else { Err("incomplete meta.yaml: no run_id (being written?)".to_string()) }
}

/// The artifact folders of the models a run logged (MLflow 3): `outputs/<model id>/`
/// links the run to `<experiment>/models/<model id>/`, whose files are in `artifacts/`.
/// `(folder relative to the root, folder)`, in model id order.
fn logged_models(root: &Path, run: &RunFolder) -> Vec<(String, std::path::PathBuf)> {
    let exp_rel = run.rel.rsplit_once('/').map_or("", |(e, _)| e);
    let mut ids: Vec<String> =
        walk_files(&root.join(&run.rel).join("outputs")).into_iter().filter_map(|f| Some(f.rel.split_once('/')?.0.to_string())).collect();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let rel = format!("{exp_rel}/models/{id}/artifacts");
            let dir = root.join(&rel);
            (rel, dir)
        })
        .filter(|(_, dir)| dir.is_dir())
        .collect()
}

/// Parses a YAML file into its first document; an empty or unparsable file is an error
/// message (MLflow rewrites run metadata in place, so a half-written file is possible).
fn load_yaml(path: &Path) -> Result<Yaml, String> {
    let text = read_text(path).map_err(|e| format!("cannot read: {e}"))?;
    parse_yaml(&text)
}

/// Parses the text of a `meta.yaml` (see [`load_yaml`]).
fn parse_yaml(text: &str) -> Result<Yaml, String> {
    if text.trim().is_empty() {
        return Err("empty meta.yaml (being written?)".into());
    }
    // yaml.safe_dump ends every file with a newline: without it, the write was cut short
    // (what is there may still parse, with keys missing).
    if !text.ends_with('\n') {
        return Err("incomplete meta.yaml: no final newline (being written?)".into());
    }
    let docs = crate::util::load_yaml(text)?;
    match docs.into_iter().next() {
        Some(doc @ Yaml::Hash(_)) => Ok(doc),
        _ => Err("meta.yaml is not a mapping".into()),
    }
}

/// Drives the parsing of an experiment's or a run's `meta.yaml` on arbitrary bytes (for
/// [`crate::fuzzing`]), read as [`read_text`] does.
pub(crate) fn fuzz_meta_yaml(data: &[u8]) {
    let Ok(doc) = parse_yaml(&String::from_utf8_lossy(data)) else { return };
    let _ = (yaml_str(&doc["name"]), yaml_str(&doc["lifecycle_stage"]));
    let run = RunFolder { exp_native: "0", exp_deleted: false, rel: "0/run".into(), id: "run".into() };
    let tags = [("mlflow.runName".to_string(), "n".to_string())];
    let info = run_info(&doc, &run, &tags);
    assert!(!info.name.is_empty());
    let _ = yaml_str(&doc["artifact_uri"]).and_then(|uri| local_path_of_uri(&uri));
}

/// Parses `"<ms> <value> [<step> [dataset fields]]"` lines. `base` is the byte offset of
/// `bytes` in the file, used in warnings.
pub(crate) fn parse_metric_lines(bytes: &[u8], base: u64, rel: &str, warnings: &mut Vec<Warning>) -> (Vec<Point>, u64) {
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return (Vec::new(), 0);
    };
    let complete = &bytes[..=end];
    let mut points = Vec::with_capacity(complete.len() / 32);
    let mut bad = 0usize;
    let mut line_start = 0usize;
    for (line_no, line) in complete[..end].split(|&b| b == b'\n').enumerate() {
        let offset = line_start;
        line_start += line.len() + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match parse_metric_line(line) {
            Some(p) => points.push(p),
            None => {
                bad += 1;
                if bad <= MAX_WARNINGS_PER_FILE {
                    let location = if base == 0 { format!("line {}", line_no + 1) } else { format!("byte {}", base + offset as u64) };
                    let shown: String = String::from_utf8_lossy(line).chars().take(60).collect();
                    warnings.push(Warning::new(rel, Some(location), format!("unreadable metric line {shown:?}")));
                }
            }
        }
    }
    if bad > MAX_WARNINGS_PER_FILE {
        warnings.push(Warning::new(rel, None, format!("{} more unreadable metric lines", bad - MAX_WARNINGS_PER_FILE)));
    }
    (points, end as u64 + 1)
}

fn parse_metric_line(line: &[u8]) -> Option<Point> {
    // Bytes, not text: only the value needs float parsing (this is the hot loop of a
    // cold add: 5M lines for a 1,000-run store).
    let mut fields = line.split(|b| b.is_ascii_whitespace()).filter(|f| !f.is_empty());
    let ts = fields.next()?;
    let value = fields.next()?;
    let step = fields.next();
    let time_ms = parse_i64(ts).or_else(|| parse_f64(ts).filter(|t| t.is_finite()).map(|t| t as i64))?;
    let value = parse_f64(value)?;
    let step = match step {
        Some(s) => parse_i64(s)?,
        None => 0,
    };
    Some(Point { step, time_ms, value })
}

/// A decimal integer with an optional sign, or `None` (overflow included).
fn parse_i64(b: &[u8]) -> Option<i64> {
    let (negative, digits) = match b.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if negative { -v } else { v })
}

fn parse_f64(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_yaml_whose_aliases_expand_to_gigabytes_is_an_error() {
        // "Billion laughs" (kept in fuzz/corpus/mlflow_meta_yaml): 500 bytes, 10^9 nodes once expanded.
        let mut text = "name: x\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 1..9 {
            text += &format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", "));
        }
        assert!(parse_yaml(&text).unwrap_err().contains("aliases expand"));
        assert!(parse_yaml("name: x\nartifact_uri: &u file:///a\nother: *u\n").is_ok());
    }

    #[test]
    fn metric_lines_keep_non_finite_values_and_leave_a_partial_tail() {
        let mut w = Vec::new();
        let text = b"1 0.5 0\n2 nan 1\n3 inf 2\n4 -inf 3\n5 1e-05 4\n6 2.0";
        let (points, consumed) = parse_metric_lines(text, 0, "m", &mut w);
        assert!(w.is_empty());
        assert_eq!(points.len(), 5);
        assert!(points[1].value.is_nan());
        assert_eq!(points[2].value, f64::INFINITY);
        assert_eq!(points[3].value, f64::NEG_INFINITY);
        assert_eq!(points[4].value, 1e-05);
        assert_eq!(consumed, text.len() as u64 - 5, "the unterminated `6 2.0` waits for its newline");
    }

    #[test]
    fn integers_parse_exactly_and_overflow_is_refused() {
        assert_eq!(parse_i64(b"1715058000000"), Some(1_715_058_000_000));
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"1.5"), None);
        assert_eq!(parse_i64(b"-"), None);
        // A float timestamp still reads (very old stores), truncated to ms.
        assert_eq!(parse_metric_line(b"1715058000000.0 0.5 3").map(|p| (p.time_ms, p.step)), Some((1_715_058_000_000, 3)));
        assert_eq!(parse_metric_line(b"1\t0.5\t2").map(|p| p.step), Some(2), "tabs separate too");
    }

    #[test]
    fn garbage_metric_lines_are_positioned_warnings() {
        let mut w = Vec::new();
        let (points, _) = parse_metric_lines(b"1 0.5 0\nnot a number\n3 0.7 2 ds digest\n", 0, "r/metrics/acc", &mut w);
        assert_eq!(points.len(), 2, "the five-field dataset form is a point");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].location.as_deref(), Some("line 2"));
        assert_eq!(w[0].file.as_deref(), Some("r/metrics/acc"));
    }
}
