//! Sacred `FileStorageObserver` folders: one folder per run (`1/`, `2/`, ... or an
//! explicit `_id`), each with `run.json` (status, times, host, experiment with its git
//! repositories, meta, artifact names), `config.json` (the resolved config), `metrics.json`
//! (`{name: {steps, timestamps, values}}`, parallel arrays), `cout.txt` (captured output),
//! `info.json` and the artifact files themselves. `_sources/` and `_resources/` hold
//! de-duplicated copies shared by the runs. Every JSON file may hold bare `NaN`/`Infinity`
//! and jsonpickle wrappers, so they go through [`crate::lenient_json`]; times are naive
//! ISO-8601 strings in UTC.
//!
//! Provenance: `run.json`'s `experiment` gives the program (`mainfile`), the folder it
//! is relative to (`base_dir`, as workdir), the git state (the first of `repositories`
//! with a commit: `url`, `commit`, `dirty`), the packages (`dependencies`) and the saved
//! copies of the sources (`sources`, below the store's `_sources/`); `host` gives the
//! host name, the OS (`os`'s platform string) and the Python version. The arguments are
//! the command line that starts the same run through Sacred's interface: the command
//! (`meta.command`), then `with` and the named configs and config updates (`meta`,
//! values written as the Python literals Sacred parses back), then the options that were
//! set (`meta.options`). Sacred records no interpreter and no branch.
//!
//! Times and status: `run.json`'s `start_time` and `stop_time` (absent while the run is
//! live, and for a run that died without the observer noticing: no end then; the
//! `heartbeat` is not an end) and its `status` (`COMPLETED`, `FAILED`, `INTERRUPTED`, ...,
//! see `status`).
//!
//! Incremental: Sacred rewrites its JSON files in place (`open("w")`) on every heartbeat,
//! so each of `run.json`, `config.json` and `metrics.json` is re-read whole when its
//! (size, mtime, inode) changes, and its series are sent with [`SeriesMode::Replace`]. A
//! file that does not parse (caught half-written) is a warning and gets no mark, so the
//! next scan reads it again; the index keeps what it had. The run folder's other files
//! (artifacts, `cout.txt`, `info.json`) are only listed, and the listing is fingerprinted.
//! The experiment a run belongs to is remembered in a pseudo-mark
//! `<run>/experiment:<name>`, so an unchanged run still names its experiment without
//! reading `run.json` again.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use crate::discover::skipped_dir;
use crate::lenient_json;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Fingerprint, walk_files};

/// Files of a run folder that are parsed rather than listed as artifacts.
const PARSED_FILES: &[&str] = &["run.json", "config.json", "metrics.json"];
/// Prefix of the pseudo-mark naming a run's experiment (after `<run>/`).
const EXPERIMENT_MARK: &str = "experiment:";

pub struct Sacred;

impl Reader for Sacred {
    fn id(&self) -> &'static str {
        "sacred"
    }

    fn source(&self) -> &'static str {
        "sacred"
    }

    fn owns_subtree(&self) -> bool {
        true
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let has_sources = dir.has_dir("_sources");
        let looks_like_observer = dir.dirs.iter().filter(|d| is_numeric(d)).take(5).any(|d| {
            let run = dir.path.join(d);
            run.join("run.json").is_file() && (has_sources || run.join("config.json").is_file())
        });
        if looks_like_observer { vec![Detected::store(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let runs = run_folders(ctx.root).map_err(|e| ReadError::io(ctx.root, e))?;
        let known_experiments = experiments_by_run(ctx);
        let sent_experiments = Mutex::new(HashSet::new());
        let store_name = ctx.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        ctx.read_runs(&runs, |id| {
            let previous_experiment = known_experiments.get(id.as_str()).copied();
            let (update, experiment) = read_run(ctx, id, previous_experiment, &store_name);
            if let Some(name) = experiment {
                let first = sent_experiments.lock().map(|mut s| s.insert(name.clone())).unwrap_or(true);
                if first {
                    ctx.send_experiment(&name, &name);
                }
            }
            (update, ())
        });
        Ok(())
    }
}

fn is_numeric(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// Run folders of an observer folder (any folder holding `run.json`), numeric ids first
/// in numeric order.
fn run_folders(root: &Path) -> std::io::Result<Vec<String>> {
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(root)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir && !skipped_dir(&name) && !name.starts_with('_') && entry.path().join("run.json").is_file() {
            runs.push(name);
        }
    }
    runs.sort_by_key(|n| (!is_numeric(n), n.parse::<u64>().unwrap_or(0), n.clone()));
    Ok(runs)
}

/// `run id → experiment name` from the pseudo-marks of the previous scan.
fn experiments_by_run<'a>(ctx: &'a ScanContext) -> HashMap<&'a str, &'a str> {
    ctx.previous
        .keys()
        .filter_map(|key| {
            let (run, rest) = key.split_once('/')?;
            Some((run, rest.strip_prefix(EXPERIMENT_MARK)?))
        })
        .collect()
}

/// How a JSON file rewritten in place stands since the last scan.
enum JsonFile {
    Unchanged(FileMark),
    /// New or changed: read it, and record this mark if it parses.
    Changed(FileMark),
    /// Not there now; `true` when it was there last time.
    Missing(bool),
}

fn json_file(ctx: &ScanContext, rel: &str, path: &Path) -> JsonFile {
    let previous = ctx.previous(rel);
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mark = FileMark::of(&meta);
            match previous {
                Some(p) if p.same_file(&mark) => JsonFile::Unchanged(p.clone()),
                _ => JsonFile::Changed(mark),
            }
        }
        Err(_) => JsonFile::Missing(previous.is_some()),
    }
}

/// Reads one run folder; returns its update and the experiment it belongs to, if known.
fn read_run(ctx: &ScanContext, id: &str, previous_experiment: Option<&str>, store_name: &str) -> (RunUpdate, Option<String>) {
    let dir = ctx.root.join(id);
    let mut update = RunUpdate { native_id: id.to_string(), ..Default::default() };
    let mut marks = Vec::new();
    let mut changed = false;
    let mut experiment = previous_experiment.map(str::to_string);

    // run.json: the run's descriptive fields.
    let rel = format!("{id}/run.json");
    match json_file(ctx, &rel, &dir.join("run.json")) {
        JsonFile::Unchanged(mark) => marks.push((rel, mark)),
        JsonFile::Changed(mark) => {
            changed = true;
            update.reread.push(rel.clone());
            match load_json(&dir.join("run.json")) {
                Ok(run) => {
                    experiment = run["experiment"]["name"].as_str().map(str::to_string);
                    update.info = Some(run_info(&run, id, &dir));
                    update.tags = Some(run_tags(&run));
                    marks.push((rel, mark));
                }
                Err((location, reason)) => {
                    // Half-written: warn, keep what the index had, read it again next scan.
                    update.warnings.push(Warning::new(&rel, location, reason));
                    if ctx.previous(&rel).is_none() {
                        let name = format!("{store_name} #{id}");
                        update.info = Some(RunInfo { name, artifact_dir: Some(dir.clone()), ..Default::default() });
                    }
                }
            }
        }
        JsonFile::Missing(was_there) => changed |= was_there,
    }
    if let Some(name) = &experiment {
        marks.push((format!("{id}/{EXPERIMENT_MARK}{name}"), FileMark::default()));
    }

    // config.json: the params.
    let rel = format!("{id}/config.json");
    match json_file(ctx, &rel, &dir.join("config.json")) {
        JsonFile::Unchanged(mark) => marks.push((rel, mark)),
        JsonFile::Changed(mark) => {
            changed = true;
            update.reread.push(rel.clone());
            match load_json(&dir.join("config.json")) {
                Ok(config) => {
                    update.params = Some(lenient_json::flatten(&lenient_json::unpickle(config), "."));
                    marks.push((rel, mark));
                }
                Err((location, reason)) => update.warnings.push(Warning::new(&rel, location, reason)),
            }
        }
        JsonFile::Missing(was_there) => {
            if was_there {
                changed = true;
                update.params = Some(Vec::new());
            }
        }
    }

    // metrics.json: the full history of every metric, rewritten on each heartbeat.
    let rel = format!("{id}/metrics.json");
    match json_file(ctx, &rel, &dir.join("metrics.json")) {
        JsonFile::Unchanged(mark) => marks.push((rel, mark)),
        JsonFile::Changed(mark) => {
            changed = true;
            update.reread.push(rel.clone());
            match load_json(&dir.join("metrics.json")) {
                Ok(metrics) => {
                    update.series = parse_metrics(&metrics, &rel, &mut update.warnings);
                    marks.push((rel, mark));
                }
                Err((location, reason)) => update.warnings.push(Warning::new(&rel, location, reason)),
            }
        }
        JsonFile::Missing(was_there) => changed |= was_there,
    }

    // Everything else in the run folder is an artifact; the listing is fingerprinted.
    let (listing, hash) = list_run_files(&dir);
    let listing_mark = FileMark { size: listing.len() as u64, hash, ..Default::default() };
    let listing_key = format!("{id}/");
    if ctx.previous(&listing_key) != Some(&listing_mark) {
        changed = true;
        update.artifacts = Some(listing);
    }
    marks.push((listing_key, listing_mark));

    if changed {
        update.marks = Some(marks);
    }
    (update, experiment)
}

/// Reads and parses a JSON file Sacred may be rewriting; the error is a location (when
/// the parser knows one) and a reason.
fn load_json(path: &Path) -> Result<Value, (Option<String>, String)> {
    let bytes = crate::util::read_small(path).map_err(|e| (None, format!("cannot read: {e}")))?;
    parse_json(&bytes)
}

/// Parses the bytes of one of Sacred's JSON files (see [`load_json`]).
fn parse_json(bytes: &[u8]) -> Result<Value, (Option<String>, String)> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Err((None, "empty file (being written?)".into()));
    }
    lenient_json::parse(&text).map_err(|e| {
        let location = (e.line() > 0).then(|| format!("line {}", e.line()));
        (location, format!("invalid JSON (being written?): {e}"))
    })
}

fn run_info(run: &Value, id: &str, dir: &Path) -> RunInfo {
    let experiment = run["experiment"]["name"].as_str().map(str::to_string);
    let name = match &experiment {
        Some(e) => format!("{e} #{id}"),
        None => format!("#{id}"),
    };
    RunInfo {
        experiment,
        name,
        status: status(run["status"].as_str()),
        start_ms: run["start_time"].as_str().and_then(iso_ms),
        end_ms: run["stop_time"].as_str().and_then(iso_ms),
        provenance: provenance(run, dir.parent().unwrap_or(dir)),
        artifact_dir: Some(dir.to_path_buf()),
        // Run folders are numbered per store (`1`, `2`): the experiment and its start
        // time say which run it is wherever the store is.
        identity: match (&run["experiment"]["name"], run["start_time"].as_str()) {
            (Value::String(e), Some(t)) => Some(format!("{e}@{t}")),
            _ => None,
        },
        ..Default::default()
    }
}

/// What `run.json` records of where the run came from (see the module docs); `root` is
/// the observer folder, which `experiment.sources` paths are relative to.
fn provenance(run: &Value, root: &Path) -> Provenance {
    let text = |v: &Value| v.as_str().filter(|s| !s.trim().is_empty()).map(str::to_string);
    let experiment = &run["experiment"];
    let host = &run["host"];
    let mut p = Provenance {
        program: text(&experiment["mainfile"]),
        workdir: text(&experiment["base_dir"]),
        python: text(&host["python_version"]),
        host: text(&host["hostname"]),
        os: host["os"].as_array().and_then(|os| os.iter().rev().find_map(text)),
        ..Default::default()
    };
    p.args = p.program.as_ref().and_then(|_| command_line(run));
    let repositories = experiment["repositories"].as_array().map(Vec::as_slice).unwrap_or_default();
    if let Some(repo) = repositories.iter().find(|r| text(&r["commit"]).is_some()) {
        p.git.commit = text(&repo["commit"]);
        p.git.remote = text(&repo["url"]);
        p.git.dirty = repo["dirty"].as_bool();
    }
    for dependency in experiment["dependencies"].as_array().into_iter().flatten().filter_map(text) {
        p.add_package(&dependency);
    }
    for source in experiment["sources"].as_array().into_iter().flatten() {
        let Some(stored) = source.get(1).and_then(text) else { continue };
        let stored = Path::new(&stored);
        let inside = stored.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if inside && root.join(stored).is_file() {
            p.source_files.push(root.join(stored).to_string_lossy().into_owned());
        }
    }
    p
}

/// The arguments after the main file that start the same run through Sacred's command
/// line: `<command> [with <named config>... <key>=<value>...] [<option>...]`. `None`
/// without a command, or when an update cannot be written as a Python literal.
fn command_line(run: &Value) -> Option<Vec<String>> {
    let meta = &run["meta"];
    let command = meta["command"].as_str().or(run["command"].as_str()).filter(|c| !c.is_empty())?;
    let mut args = vec![command.to_string()];
    let mut with: Vec<String> = meta["named_configs"].as_array().into_iter().flatten().filter_map(|n| n.as_str().map(str::to_string)).collect();
    if let Some(updates) = meta["config_updates"].as_object() {
        config_updates(updates, "", &mut with)?;
    }
    if !with.is_empty() {
        args.push("with".into());
        args.extend(with);
    }
    for (option, value) in meta["options"].as_object().into_iter().flatten() {
        match value {
            Value::Bool(true) => args.push(option.clone()),
            Value::String(v) => args.push(format!("{option}={v}")),
            Value::Number(n) => args.push(format!("{option}={n}")),
            _ => {}
        }
    }
    Some(args)
}

/// `key=value` updates for Sacred's `with`, nested keys joined with `.`.
fn config_updates(updates: &serde_json::Map<String, Value>, prefix: &str, out: &mut Vec<String>) -> Option<()> {
    for (key, value) in updates {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            Value::Object(inner) if inner.keys().any(|k| k.starts_with("py/")) => return None,
            Value::Object(inner) if !inner.is_empty() => config_updates(inner, &path, out)?,
            v => out.push(format!("{path}={}", python_literal(v)?)),
        }
    }
    Some(())
}

/// A JSON value as the Python literal Sacred's command line parses back into it
/// (`ast.literal_eval`); `None` for jsonpickle objects, which have none.
fn python_literal(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_str(s),
        Value::Array(items) => format!("[{}]", items.iter().map(python_literal).collect::<Option<Vec<_>>>()?.join(", ")),
        Value::Object(map) if map.keys().any(|k| k.starts_with("py/")) => return None,
        Value::Object(map) => {
            let items = map.iter().map(|(k, v)| Some(format!("{}: {}", python_str(k), python_literal(v)?))).collect::<Option<Vec<_>>>()?;
            format!("{{{}}}", items.join(", "))
        }
    })
}

/// A Python string literal of `s`, as `repr` writes it.
fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Sacred's status names. Any other name is the `STATUS` of an exception that
/// interrupted the run, which Sacred reports like `INTERRUPTED`.
fn status(s: Option<&str>) -> Status {
    match s.map(str::trim) {
        None | Some("") => Status::Unknown,
        Some("COMPLETED") => Status::Finished,
        Some("FAILED" | "TIMEOUT") => Status::Failed,
        Some("RUNNING") => Status::Running,
        Some("QUEUED") => Status::Scheduled,
        Some(_) => Status::Killed,
    }
}

/// Run fields worth filtering on, as `sacred.*` tags.
fn run_tags(run: &Value) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut push = |key: &str, value: &Value| {
        let text = match lenient_json::unpickle(value.clone()) {
            Value::String(s) => s,
            v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
            _ => return,
        };
        tags.push((format!("sacred.{key}"), text));
    };
    push("comment", &run["meta"]["comment"]);
    push("host", &run["host"]["hostname"]);
    push("command", &run["command"]);
    push("result", &run["result"]);
    tags
}

/// One series per metric, sent whole ([`SeriesMode::Replace`]): `metrics.json` always
/// holds the full history.
fn parse_metrics(metrics: &Value, rel: &str, warnings: &mut Vec<Warning>) -> Vec<SeriesUpdate> {
    let Some(metrics) = metrics.as_object() else {
        warnings.push(Warning::new(rel, None, "metrics.json is not an object"));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(metrics.len());
    for (key, metric) in metrics {
        let Some(values) = metric["values"].as_array() else {
            warnings.push(Warning::new(rel, None, format!("metric {key:?} has no values list")));
            continue;
        };
        let steps = metric["steps"].as_array();
        let times = metric["timestamps"].as_array();
        let (n_steps, n_times) = (steps.map_or(0, Vec::len), times.map_or(0, Vec::len));
        if n_steps != values.len() || n_times != values.len() {
            let reason = format!("metric {key:?} has {n_steps} steps, {n_times} timestamps and {} values", values.len());
            warnings.push(Warning::new(rel, None, reason));
        }
        let mut points = Vec::with_capacity(values.len());
        let mut bad = 0usize;
        for (i, value) in values.iter().enumerate() {
            let Some(value) = lenient_json::number(value) else {
                bad += 1;
                continue;
            };
            let step = steps.and_then(|s| s.get(i)).and_then(lenient_json::number).filter(|s| s.is_finite());
            let time_ms = times.and_then(|t| t.get(i)).and_then(Value::as_str).and_then(iso_ms);
            points.push(Point { step: step.map_or(i as i64, |s| s as i64), time_ms: time_ms.unwrap_or(0), value });
        }
        if bad > 0 {
            warnings.push(Warning::new(rel, None, format!("metric {key:?}: {bad} values are not numbers")));
        }
        out.push(SeriesUpdate { key: key.clone(), mode: SeriesMode::Replace, points });
    }
    out
}

/// Drives the parsing of `run.json`, `config.json` and `metrics.json` on arbitrary bytes
/// (for [`crate::fuzzing`]): the bytes are read as each of the three files.
pub(crate) fn fuzz_json(data: &[u8]) {
    let Ok(doc) = parse_json(data) else { return };
    let info = run_info(&doc, "1", Path::new("fuzz/1"));
    assert!(info.name.ends_with("#1"));
    let _ = run_tags(&doc);
    let _ = lenient_json::flatten(&lenient_json::unpickle(doc.clone()), ".");
    let mut warnings = Vec::new();
    let series = parse_metrics(&doc, "1/metrics.json", &mut warnings);
    assert!(series.iter().map(|s| s.points.len()).sum::<usize>() <= data.len());
}

/// Milliseconds since the epoch of an ISO-8601 time; Sacred writes naive UTC times
/// (`datetime.utcnow().isoformat()`), an explicit offset is honoured.
fn iso_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc().timestamp_millis())
}

/// The run folder's files except the parsed JSON files, with a fingerprint of the listing.
fn list_run_files(dir: &Path) -> (Vec<Artifact>, u64) {
    let mut fp = Fingerprint::default();
    let mut out = Vec::new();
    for f in walk_files(dir) {
        if PARSED_FILES.contains(&f.rel.as_str()) {
            continue;
        }
        fp.bytes(f.rel.as_bytes()).u64(f.mark.size).u64(f.mark.mtime_ns as u64);
        out.push(Artifact { path: f.rel, size: f.mark.size, origin: None });
    }
    (out, fp.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(json: &str) -> (Vec<SeriesUpdate>, Vec<Warning>) {
        let mut warnings = Vec::new();
        let value = lenient_json::parse(json).unwrap();
        (parse_metrics(&value, "1/metrics.json", &mut warnings), warnings)
    }

    #[test]
    fn metrics_keep_non_finite_and_jsonpickle_values() {
        let (s, w) = series(
            r#"{"loss": {"steps": [0, 1, 2, 3], "timestamps": ["2024-05-06T09:00:00", "2024-05-06T09:00:01.5", "2024-05-06T09:00:02", "2024-05-06T09:00:03"],
                         "values": [NaN, Infinity, -Infinity, {"py/object": "numpy.float64", "dtype": "float64", "value": 0.5}]}}"#,
        );
        assert!(w.is_empty(), "{w:?}");
        let p = &s[0].points;
        assert_eq!(s[0].mode, SeriesMode::Replace);
        assert!(p[0].value.is_nan());
        assert_eq!((p[1].value, p[2].value, p[3].value), (f64::INFINITY, f64::NEG_INFINITY, 0.5));
        assert_eq!(p[0].time_ms, 1714986000000);
        assert_eq!(p[1].time_ms, 1714986001500, "fractional seconds, naive UTC");
        assert_eq!(p.iter().map(|p| p.step).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn ragged_metric_arrays_are_a_warning_and_the_points_are_kept() {
        let (s, w) = series(r#"{"acc": {"steps": [0, 1], "timestamps": [], "values": [0.1, 0.2, "x"]}}"#);
        assert_eq!(s[0].points.len(), 2, "the two numbers are points");
        assert_eq!(s[0].points[1], Point { step: 1, time_ms: 0, value: 0.2 });
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].message.contains("2 steps, 0 timestamps and 3 values"));
        assert!(w[1].message.contains("1 values are not numbers"));
    }

    #[test]
    fn command_lines_write_updates_as_python_literals() {
        let run = lenient_json::parse(
            r#"{"command": "main", "meta": {"command": "train", "named_configs": ["small"],
                "config_updates": {"lr": 0.1, "opt": {"name": "it's", "betas": [0.9, null]}, "debug": true, "tag": "a\\b"},
                "options": {"--name": "exp 1", "--force": true, "--debug": false, "--id": null}}}"#,
        )
        .unwrap();
        let args = command_line(&run).unwrap();
        let expected = [
            "train",
            "with",
            "small",
            "debug=True",
            "lr=0.1",
            "opt.betas=[0.9, None]",
            r#"opt.name="it's""#,
            r"tag='a\\b'",
            "--force",
            "--name=exp 1",
        ];
        assert_eq!(args, expected);
        assert_eq!(python_str("new\nline 'q' \"d\""), r#"'new\nline \'q\' "d"'"#);
        let pickled = lenient_json::parse(r#"{"meta": {"command": "main", "config_updates": {"x": {"py/object": "numpy.float64"}}}}"#).unwrap();
        assert_eq!(command_line(&pickled), None, "a jsonpickle value has no literal");
        assert_eq!(command_line(&lenient_json::parse(r#"{"meta": {}}"#).unwrap()), None, "no command");
    }

    #[test]
    fn statuses_map_to_the_common_set() {
        assert_eq!(status(Some("COMPLETED")), Status::Finished);
        assert_eq!(status(Some("TIMEOUT")), Status::Failed);
        assert_eq!(status(Some("INTERRUPTED")), Status::Killed);
        assert_eq!(status(Some("QUEUED")), Status::Scheduled);
        assert_eq!(status(Some("MY_CUSTOM_STOP")), Status::Killed, "a custom interrupt STATUS");
        assert_eq!(status(None), Status::Unknown);
    }

    #[test]
    fn half_written_json_is_an_error_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        std::fs::write(&path, "{\n  \"status\": \"RUNNING\",\n  \"start_ti").unwrap();
        let (location, reason) = load_json(&path).unwrap_err();
        assert_eq!(location.as_deref(), Some("line 3"));
        assert!(reason.contains("invalid JSON"), "{reason}");
        std::fs::write(&path, "").unwrap();
        assert!(load_json(&path).unwrap_err().1.contains("empty"));
    }

    #[test]
    fn iso_times_with_and_without_fraction_or_offset() {
        assert_eq!(iso_ms("2024-05-06T09:00:00"), Some(1714986000000));
        assert_eq!(iso_ms("2024-05-06T09:00:00.250000"), Some(1714986000250));
        assert_eq!(iso_ms("2024-05-06T11:00:00+02:00"), Some(1714986000000));
        assert_eq!(iso_ms("yesterday"), None);
    }
}
