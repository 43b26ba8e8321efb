//! Neptune client 1.x offline runs (`.neptune/offline/`, formats notes section 13). A run
//! exists only as its operation log: `run__<uuid>__<pid>__<key>/data-<V>.log` (JSON
//! lines, one operation each, in `version` order across the files), next to
//! `last_put_version` (version of the last operation the client queued), `metadata.json`
//! (creation time) and `upload_path/` (copies of in-memory uploads). Older clients named
//! the folder `run__<uuid>` or just `<uuid>`. The run is rebuilt by replaying the log
//! ([`replay`]): `parameters/…` leaves are params (keys keep the `parameters/` prefix and
//! Neptune's `/` namespaces), float series outside `monitoring/` are metrics, `sys/tags`
//! are tags, other single values are tags under their path, files are artifacts
//! ([`uploads`]). Offline runs record no project: each store is one experiment (native id
//! `offline`) named after the folder holding `.neptune/`.
//!
//! Provenance: the program is `source_code/entrypoint`, the host `sys/hostname`, the OS
//! and the Python version `metadata.json`'s `os` and `pythonVersion`. Neptune records no
//! arguments; its git state (`source_code/git`, a value type of its own) is not read.
//!
//! Times and status: the start is `metadata.json`'s `createdAt` (what the server would
//! report as `sys/creation_time`), else the first operation's `at`; offline runs keep no
//! `sys/` times of their own. The end is the last operation's `at`, and only once the run
//! is closed (the client's `last_put_version` equals the log's last version). Status:
//! failed when `sys/failed` is true, else finished when closed, running while the log
//! lags behind `last_put_version`, unknown without that file.
//!
//! Incremental: each log file resumes after its last complete line ([`resume`]); its mark
//! also remembers the last `version` seen. When the new operations only log or clear
//! float series (the common case while a run trains), only they are parsed and their
//! points appended (a cleared series is sent whole with [`SeriesMode::Replace`]). When
//! they change anything else (params, tags, files, `sys/failed`), when a point has no step
//! or when the run opens or closes, the log is replayed from its start to rebuild params,
//! tags, artifacts and the run's info, still sending only the new points. A log file that
//! shrank or was replaced makes the whole run read again.

mod log;
mod replay;
mod uploads;

use std::path::{Path, PathBuf};

use self::log::{LoggedOp, parse_lines};
use self::replay::{PutVersion, Replay};
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Resume, list_artifacts, read_text, resume};

/// Native id of the one experiment of a store.
const EXPERIMENT: &str = "offline";

pub struct Neptune;

impl Reader for Neptune {
    fn id(&self) -> &'static str {
        "neptune"
    }

    fn source(&self) -> &'static str {
        "neptune"
    }

    fn owns_subtree(&self) -> bool {
        true
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        if !dir.has_dir("offline") {
            return Vec::new();
        }
        // `.neptune` by default; NEPTUNE_DATA_DIRECTORY may name it otherwise.
        let named = dir.path.file_name().is_some_and(|n| n == ".neptune");
        if named || holds_runs(&dir.path.join("offline")) { vec![Detected::store(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let offline = ctx.root.join("offline");
        let runs = run_folders(&offline).map_err(|e| ReadError::io(&offline, e))?;
        let project = ctx.root.parent().unwrap_or(ctx.root);
        let name = project.file_name().map_or_else(|| EXPERIMENT.to_string(), |n| n.to_string_lossy().into_owned());
        ctx.send_experiment(EXPERIMENT, &name);
        ctx.read_runs(&runs, |run| (read_run(ctx, project, run), ()));
        Ok(())
    }
}

/// The container id of a run folder name: `run__<uuid>__<pid>__<key>` (1.9+),
/// `run__<uuid>` (1.0–1.8) or a bare `<uuid>`. Other container types are not runs.
fn container_id(folder: &str) -> Option<&str> {
    let parts: Vec<&str> = folder.split("__").collect();
    let uuid = match parts.as_slice() {
        [uuid] => *uuid,
        ["run", uuid] | ["run", uuid, _, _] => *uuid,
        _ => return None,
    };
    let is_uuid = uuid.len() == 36 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    is_uuid.then_some(uuid)
}

/// True when a few of the folder's children are run folders with a log.
fn holds_runs(offline: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(offline) else { return false };
    entries.flatten().take(20).any(|e| {
        let name = e.file_name();
        container_id(&name.to_string_lossy()).is_some() && e.path().join("last_put_version").is_file()
    })
}

struct RunFolder {
    /// Relative to the store root: `offline/<folder>`.
    rel: String,
    /// Native id: the container id, or the folder name if two folders share one.
    id: String,
}

fn run_folders(offline: &Path) -> std::io::Result<Vec<RunFolder>> {
    let mut names: Vec<String> = std::fs::read_dir(offline)?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| container_id(n).is_some())
        .collect();
    names.sort();
    let mut runs: Vec<RunFolder> = Vec::with_capacity(names.len());
    for name in names {
        let uuid = container_id(&name).unwrap_or(&name);
        let id = if runs.iter().any(|r| r.id == uuid) { name.clone() } else { uuid.to_string() };
        runs.push(RunFolder { rel: format!("offline/{name}"), id });
    }
    Ok(runs)
}

/// `data-<V>.log` files of a run folder, in numeric order of `V`.
fn log_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut logs: Vec<(u64, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let v = name.strip_prefix("data-")?.strip_suffix(".log")?.parse::<u64>().ok()?;
            Some((v, name))
        })
        .collect();
    logs.sort();
    logs.into_iter().map(|(_, n)| n).collect()
}

/// One log file on this scan: where the previous scan stopped and what was appended.
struct LogPart {
    rel: String,
    path: PathBuf,
    /// Bytes already read by earlier scans (the new operations start there).
    from: u64,
    /// Last version seen in this file by earlier scans (0: none).
    previous_version: u64,
    new_ops: Vec<LoggedOp>,
    /// Mark after this scan (offset = end of the last complete line); `None`: unreadable.
    mark: Option<FileMark>,
    /// New bytes were read.
    read: bool,
    /// The file was read before but has been replaced or truncated since.
    replaced: bool,
}

impl LogPart {
    fn last_version(&self) -> u64 {
        self.new_ops.iter().filter_map(|o| o.version).max().unwrap_or(0).max(self.previous_version)
    }
}

/// How much of the log this scan replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Only the new operations: they only add points.
    Append,
    /// Everything, to rebuild the run's state; only the new operations' points are sent.
    Rebuild,
    /// Everything, every point sent again (first scan, or a log file was replaced).
    Fresh,
}

fn read_run(ctx: &ScanContext, project: &Path, run: &RunFolder) -> RunUpdate {
    let dir = ctx.root.join(&run.rel);
    let mut update = RunUpdate { native_id: run.id.clone(), ..Default::default() };

    // The folder's small files, by metadata only.
    let meta_rel = format!("{}/metadata.json", run.rel);
    let meta_mark = std::fs::metadata(dir.join("metadata.json")).ok().map(|m| FileMark::of(&m));
    let meta_changed = match (ctx.previous(&meta_rel), &meta_mark) {
        (Some(p), Some(m)) => !p.same_file(m),
        (None, None) => false,
        _ => true,
    };
    let put_rel = format!("{}/last_put_version", run.rel);
    let (put, put_mark) = last_put_version(ctx.previous(&put_rel), &dir.join("last_put_version"));
    let uploads_hash = list_artifacts(&dir.join("upload_path")).1;

    // The log, resumed file by file. The run's own mark counts the log files and
    // fingerprints `upload_path/`.
    let logs = log_files(&dir);
    let run_key = format!("{}/", run.rel);
    let run_mark = FileMark { size: logs.len() as u64, hash: uploads_hash, ..Default::default() };
    let previous_run = ctx.previous(&run_key);
    let parts: Vec<LogPart> = logs.iter().map(|name| resume_log(ctx, &run.rel, &dir, name, &mut update.warnings)).collect();
    let replaced = previous_run.is_some_and(|p| p.size > run_mark.size) || parts.iter().any(|p| p.replaced);

    let changed = meta_changed || previous_run != Some(&run_mark) || parts.iter().any(|p| p.read) || ctx.previous(&put_rel) != put_mark.as_ref();
    if !changed {
        return update;
    }
    let previous_last = parts.iter().map(|p| p.previous_version).max().unwrap_or(0);
    let last = parts.iter().map(LogPart::last_version).max().unwrap_or(0);
    let was_closed = ctx.previous(&put_rel).map(|m| m.offset) == Some(previous_last);
    let closed = put == PutVersion::Value(last);
    let new_ops = || parts.iter().flat_map(|p| &p.new_ops);
    let pass = if previous_run.is_none() || replaced {
        Pass::Fresh
    } else if meta_changed
        || previous_run.is_some_and(|p| p.hash != uploads_hash)
        || was_closed != closed
        || (closed && new_ops().next().is_some())
        || new_ops().any(|o| !o.op.series_only() || o.op.needs_history())
    {
        Pass::Rebuild
    } else {
        Pass::Append
    };

    let mut state = replay_parts(&parts, pass, &mut update);
    update.series = state.take_series();
    let mut marks = Vec::new();
    if pass == Pass::Append {
        marks.extend(ctx.previous(&meta_rel).map(|m| (meta_rel.clone(), m.clone())));
    } else {
        let metadata = match read_metadata(&dir.join("metadata.json")) {
            Ok(metadata) => {
                marks.extend(meta_mark.map(|m| (meta_rel.clone(), m)));
                metadata
            }
            Err((location, reason)) => {
                // Caught half-written: no mark, so the next scan reads it again.
                update.warnings.push(Warning::new(&meta_rel, location, reason));
                Metadata::default()
            }
        };
        let log_rel = parts.first().map_or_else(|| run.rel.clone(), |p| p.rel.clone());
        let places = uploads::Places { project, run_dir: &dir, log_rel: &log_rel };
        update.artifacts = Some(uploads::artifacts(&state, &places, &mut update.warnings));
        update.info = Some(run_info(&state, run, put, closed, &metadata, project));
        update.params = Some(std::mem::take(&mut state.params).into_iter().collect());
        update.tags = Some(state.tags());
    }
    marks.extend(parts.iter().filter_map(|p| p.mark.clone().map(|m| (p.rel.clone(), m))));
    marks.extend(put_mark.map(|m| (put_rel, m)));
    marks.push((run_key, run_mark));
    update.marks = Some(marks);
    update
}

/// Resumes one log file after its last complete line and decodes the new operations.
fn resume_log(ctx: &ScanContext, run_rel: &str, dir: &Path, name: &str, warnings: &mut Vec<Warning>) -> LogPart {
    let rel = format!("{run_rel}/{name}");
    let path = dir.join(name);
    let previous = ctx.previous(&rel);
    let mut part = LogPart {
        previous_version: previous.map_or(0, |m| m.hash),
        rel,
        path,
        from: 0,
        new_ops: Vec::new(),
        mark: None,
        read: false,
        replaced: false,
    };
    match resume(previous, &part.path) {
        Ok(Resume::Unchanged(mark)) => {
            part.from = mark.offset;
            part.mark = Some(mark);
        }
        Ok(ref r @ Resume::Read { mode, from, ref bytes, .. }) => {
            let (ops, consumed) = parse_lines(bytes, from, &part.rel, warnings);
            part.read = true;
            part.from = from;
            if mode == SeriesMode::Replace {
                part.replaced = previous.is_some();
                part.previous_version = 0;
            }
            part.new_ops = ops;
            let version = part.last_version();
            part.mark = Some(FileMark { hash: version, ..r.mark_after(consumed) });
        }
        Err(e) => warnings.push(Warning::new(&part.rel, None, format!("cannot read the operation log: {e}"))),
    }
    part
}

/// Replays the log for `pass`: the operations earlier scans read (again from the start
/// of each file) unless appending, then the new ones.
fn replay_parts(parts: &[LogPart], pass: Pass, update: &mut RunUpdate) -> Replay {
    let default_mode = if pass == Pass::Fresh { SeriesMode::Replace } else { SeriesMode::Append };
    let mut state = Replay::new(default_mode, 0);
    for part in parts {
        if pass == Pass::Append {
            state.skip_to(part.previous_version);
        } else if part.from > 0 {
            let old = read_prefix(&part.path, part.from).unwrap_or_default();
            let (ops, _) = parse_lines(&old, 0, &part.rel, &mut update.warnings);
            for op in &ops {
                state.apply(op, &part.rel, pass == Pass::Fresh, &mut update.warnings);
            }
        }
        if pass != Pass::Append || (part.read && part.from == 0) {
            // Read from its start: the file's earlier warnings are void.
            update.reread.push(part.rel.clone());
        }
        for op in &part.new_ops {
            state.apply(op, &part.rel, true, &mut update.warnings);
        }
    }
    state
}

/// Drives the parsing of an operation log and its replay on arbitrary bytes (for
/// [`crate::fuzzing`]): the first half of the operations replayed as read by an earlier
/// scan, the rest as new; then the lines after the first parsed again as a resumed read.
pub(crate) fn fuzz_log(data: &[u8]) {
    let mut warnings = Vec::new();
    let (ops, consumed) = parse_lines(data, 0, "run/data-1.log", &mut warnings);
    assert!(consumed as usize <= data.len());
    assert!(ops.len() <= data.len() / 2);
    let mut state = Replay::new(SeriesMode::Replace, 0);
    for (i, op) in ops.iter().enumerate() {
        let _ = (op.op.series_only(), op.op.needs_history());
        state.apply(op, "run/data-1.log", i >= ops.len() / 2, &mut warnings);
    }
    let points: usize = state.take_series().iter().map(|s| s.points.len()).sum();
    assert!(points <= data.len());
    let _ = (state.tags(), state.status(PutVersion::Value(state.last_version)));
    let Some(first) = data.iter().position(|&b| b == b'\n') else { return };
    let (resumed, _) = parse_lines(&data[first + 1..], first as u64 + 1, "run/data-1.log", &mut warnings);
    assert!(resumed.len() <= ops.len());
}

/// The first `len` bytes of a file (bytes that earlier scans already read).
fn read_prefix(path: &Path, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = crate::util::open_regular(path)?;
    let cap = len.min(file.metadata()?.len());
    let mut bytes = Vec::with_capacity(cap as usize);
    file.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `last_put_version` by its mark when unchanged, else read (a few bytes). The mark's
/// offset holds the value; an unreadable value (caught mid-rewrite) gets no mark.
fn last_put_version(previous: Option<&FileMark>, path: &Path) -> (PutVersion, Option<FileMark>) {
    let Ok(meta) = std::fs::metadata(path) else { return (PutVersion::Missing, None) };
    let mark = FileMark::of(&meta);
    if let Some(p) = previous.filter(|p| p.same_file(&mark)) {
        return (PutVersion::Value(p.offset), Some(p.clone()));
    }
    if meta.len() > 64 {
        return (PutVersion::Unreadable, None);
    }
    match read_text(path).ok().and_then(|t| t.trim().parse::<u64>().ok()) {
        Some(v) => (PutVersion::Value(v), Some(FileMark { offset: v, ..mark })),
        None => (PutVersion::Unreadable, None),
    }
}

/// What a run's `metadata.json` records besides its kind and id.
#[derive(Debug, Default)]
struct Metadata {
    /// `createdAt` in ms (UTC; naive before client 1.10).
    created: Option<i64>,
    os: Option<String>,
    python: Option<String>,
}

/// Reads `metadata.json`. A missing file is normal before client 1.8.3; one that does not
/// parse is an error (location, reason).
fn read_metadata(path: &Path) -> Result<Metadata, (Option<String>, String)> {
    let Ok(text) = read_text(path) else { return Ok(Metadata::default()) };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let location = (e.line() > 0).then(|| format!("line {}", e.line()));
        (location, format!("invalid JSON (being written?): {e}"))
    })?;
    let text_at = |key: &str| value[key].as_str().filter(|s| !s.trim().is_empty()).map(str::to_string);
    let created = value["createdAt"].as_str().and_then(|created| {
        chrono::DateTime::parse_from_rfc3339(created)
            .map(|t| t.timestamp_millis())
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc().timestamp_millis()))
            .ok()
    });
    Ok(Metadata { created, os: text_at("os"), python: text_at("pythonVersion") })
}

fn run_info(state: &Replay, run: &RunFolder, put: PutVersion, closed: bool, metadata: &Metadata, project: &Path) -> RunInfo {
    let ms = |seconds: f64| (seconds * 1000.0) as i64;
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let provenance = Provenance {
        program: nonempty(&state.entrypoint),
        host: nonempty(&state.hostname),
        os: metadata.os.clone(),
        python: metadata.python.clone(),
        ..Default::default()
    };
    RunInfo {
        experiment: Some(EXPERIMENT.into()),
        name: state.name.clone().unwrap_or_else(|| run.id.clone()),
        status: state.status(put),
        start_ms: metadata.created.or(state.first_at.map(ms)),
        end_ms: if closed { state.last_at.map(ms) } else { None },
        artifact_dir: Some(project.to_path_buf()),
        provenance,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    const UUID: &str = "e437cd44-5b1e-4d6e-9a0b-3c2f1d4ea085";

    #[test]
    fn every_folder_name_generation_is_a_run() {
        assert_eq!(container_id(&format!("run__{UUID}__6018__0ipcfzng")), Some(UUID), "1.9+");
        assert_eq!(container_id(&format!("run__{UUID}")), Some(UUID), "1.0 to 1.8");
        assert_eq!(container_id(UUID), Some(UUID), "bare uuid");
        assert_eq!(container_id(&format!("model__{UUID}__1__abcdefgh")), None, "not a run");
        assert_eq!(container_id("run__not-a-uuid"), None);
    }

    fn float_op(version: u64, value: f64) -> String {
        format!(
            "{{\"obj\": {{\"type\": \"LogFloats\", \"path\": [\"loss\"], \"values\": [{{\"value\": {value:?}, \"step\": {version}, \"ts\": 1.0}}]}}, \"version\": {version}}}\n"
        )
    }

    /// Scans a store with the given previous marks; returns the run updates and the marks.
    fn scan(root: &Path, previous: &HashMap<String, FileMark>) -> (Vec<RunUpdate>, HashMap<String, FileMark>) {
        let updates = Mutex::new(Vec::new());
        let sink = |u: Update| updates.lock().unwrap().push(u);
        Neptune.scan(&ScanContext::new(root, previous, &sink)).unwrap();
        let runs: Vec<RunUpdate> = updates
            .into_inner()
            .unwrap()
            .into_iter()
            .filter_map(|u| match u {
                Update::Run(r) => Some(r),
                _ => None,
            })
            .collect();
        let marks = runs.iter().flat_map(|r| r.marks.clone().unwrap_or_default()).collect();
        (runs, marks)
    }

    #[test]
    fn log_files_are_read_in_numeric_order_and_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project/.neptune");
        let run = root.join(format!("offline/run__{UUID}"));
        std::fs::create_dir_all(&run).unwrap();
        let name = "{\"obj\": {\"type\": \"AssignString\", \"path\": [\"sys\", \"name\"], \"value\": \"multi\"}, \"version\": 1}\n";
        std::fs::write(run.join("data-1.log"), format!("{name}{}", float_op(2, 0.5))).unwrap();
        std::fs::write(run.join("data-3.log"), (3..10).map(|v| float_op(v, v as f64)).collect::<String>()).unwrap();
        std::fs::write(run.join("data-10.log"), float_op(10, 10.0)).unwrap();
        std::fs::write(run.join("last_put_version"), "10").unwrap();

        let (runs, marks) = scan(&root, &HashMap::new());
        let r = &runs[0];
        assert_eq!(r.native_id, UUID);
        assert!(r.warnings.is_empty(), "data-10.log comes after data-3.log: {:?}", r.warnings);
        let info = r.info.as_ref().unwrap();
        assert_eq!((info.name.as_str(), info.status, info.experiment.as_deref()), ("multi", Status::Finished, Some("offline")));
        assert_eq!(r.series.len(), 1);
        assert_eq!(r.series[0].mode, SeriesMode::Replace);
        let steps: Vec<i64> = r.series[0].points.iter().map(|p| p.step).collect();
        assert_eq!(steps, (2..=10).collect::<Vec<_>>());

        // Unchanged: nothing read, nothing sent but the run's id.
        let (runs, _) = scan(&root, &marks);
        assert_eq!(runs[0], RunUpdate { native_id: UUID.into(), ..Default::default() });

        // A new file continues the versions: its points are appended.
        std::fs::write(run.join("data-11.log"), float_op(11, 11.0)).unwrap();
        std::fs::write(run.join("last_put_version"), "12").unwrap();
        let (runs, _) = scan(&root, &marks);
        let r = &runs[0];
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.series[0].mode, SeriesMode::Append);
        assert_eq!(r.series[0].points.iter().map(|p| p.value).collect::<Vec<_>>(), vec![11.0]);
        assert_eq!(r.info.as_ref().unwrap().status, Status::Running, "version 12 is still in the client's buffer");
    }

    #[test]
    fn a_replaced_log_is_read_again_whole() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".neptune");
        let run = root.join(format!("offline/{UUID}"));
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("data-1.log"), format!("{}{}", float_op(1, 1.0), float_op(2, 2.0))).unwrap();
        std::fs::write(run.join("last_put_version"), "2").unwrap();
        let (_, marks) = scan(&root, &HashMap::new());
        std::fs::write(run.join("data-1.log"), float_op(1, 5.0)).unwrap();
        let (runs, _) = scan(&root, &marks);
        let r = &runs[0];
        assert_eq!(r.series[0].mode, SeriesMode::Replace);
        assert_eq!(r.series[0].points.iter().map(|p| p.value).collect::<Vec<_>>(), vec![5.0]);
        assert_eq!(r.reread, vec![format!("offline/{UUID}/data-1.log")]);
        assert_eq!(r.info.as_ref().unwrap().status, Status::Running, "last_put_version 2 is ahead of the log");
    }

    #[test]
    fn detection_wants_an_offline_folder_of_runs() {
        let dir = tempfile::tempdir().unwrap();
        let custom = dir.path().join("neptune-data");
        std::fs::create_dir_all(custom.join(format!("offline/run__{UUID}"))).unwrap();
        let view = |path: &Path, dirs: &[String]| Neptune.detect(&DirView { path, dirs, files: &[] });
        let offline = ["offline".to_string()];
        assert!(view(&custom, &offline).is_empty(), "a run folder without a log yet");
        std::fs::write(custom.join(format!("offline/run__{UUID}/last_put_version")), "1").unwrap();
        assert_eq!(view(&custom, &offline), vec![Detected::store(custom.clone())], "NEPTUNE_DATA_DIRECTORY");
        assert!(view(&custom, &[]).is_empty());
    }
}
