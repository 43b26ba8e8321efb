//! TensorBoard event files (`events.out.tfevents.*`), as written by TensorBoard's own
//! writer, `torch.utils.tensorboard`, tensorboardX, TF1 and TF2.
//!
//! **Format.** A run is a folder holding event files; their records (TFRecord framing with
//! masked CRC32C, see [`record`]) are serialized `Event` protos (see [`proto`]). A run's
//! files are read in name order (the timestamp in the name makes it chronological) and
//! stitched; every point is kept. Scalars come in three encodings (`simple_value`, a
//! rank-0 tensor's `float_val`/`double_val`, or its raw `tensor_content`); summary
//! metadata may only be on a tag's first event. The hparams plugin's
//! `session_start_info` gives the params, its `session_end_info` the status (TensorBoard
//! has no other run status: `Unknown` without it). Images and audio are listed as
//! artifacts embedded in the event file; histograms, text and other tensors are skipped.
//!
//! **Times and status.** TensorBoard records no run start or end, only each event's wall
//! time. Start and end are the first and last wall time of the run's events (scalars and
//! other summaries; `file_version` records only when there is nothing else), taken from
//! the events' main span ([`times`]): wall times more than a year apart are not one
//! session (tensorboardX's `add_hparams` file carries the clock of the day it was written
//! next to scalars logged with explicit wall times years earlier), and the span with the
//! most events decides. The hparams session's `start_time_secs` and `end_time_secs`, when
//! the writer sets them, are the start and end instead, except an end earlier than the
//! start or either more than a year outside the span. Status: the `session_end_info`
//! status, `Unknown` without one. No file time is ever used.
//!
//! **Provenance.** None: event files record no command, commit or environment (the host
//! name in their file names cannot be told apart from a writer's suffix).
//!
//! **Reading.** Event files are read in windows of a few MiB, a partial record carried
//! into the next window (a record larger than a window is read whole), so memory follows
//! what is parsed. A bad length checksum stops the file there, with a positioned warning,
//! and the bytes after it are never read (a sparse file of zeros costs one window). A
//! record cut short at the end of a file is a live writer's and waits for the next scan;
//! once the file has not been modified for five minutes it is a warning on the store,
//! naming the file and the byte where the partial record starts.
//!
//! **Stores.** TensorBoard has no store folder: [`Reader::detect`] reports each run folder
//! as a lone run, discovery groups them at their common folder, and [`Reader::scan`]
//! walks that root to find every run folder again. A run's id and name are its folder
//! relative to the root; the one experiment is named after the root.
//!
//! **Incremental.** Event files are append-only: each has a mark with the offset after
//! its last complete record, and new bytes are read from there (a record still being
//! written waits for the next scan). Each run also has a mark `<run>/#state` whose cursor
//! keeps what its info needs across scans (wall-time spans, session times, status, number
//! of files), and a mark
//! `<run>/#series/<tag>` per metric, so appended points are sent with
//! `SeriesMode::Append` without reading old bytes. A run is read again from the start,
//! its series sent with `SeriesMode::Replace` (series no longer found are removed), when
//! one of its files was replaced or truncated, a file vanished, or a new file sorts
//! before files already read. When appended bytes hold new images, the earlier bytes are
//! read once more for their media only, as the artifact listing is replaced whole. A
//! file with a bad length checksum cannot be resynchronised: it is marked dead and not
//! read again until it is replaced. Appended bytes are read without the metadata of
//! tags first seen earlier: a scalar-shaped tensor there counts as a scalar unless its
//! own event names another plugin.

mod events;
mod proto;
mod record;
mod times;

use std::collections::{BTreeMap, HashMap};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use prost::Message;
use prost::bytes::Bytes;

use crate::discover::skipped_dir;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{open_regular, slash_path};
use events::RunData;
use times::{Span, Spans};

/// Key suffix of the mark holding a run's state in its cursor (see [`RunState`]): without
/// it (or with a state an older Runlens kept in the file fields) a run is read again from
/// its start.
const STATE_MARK: &str = "#state";
/// Key infix of the marks naming a run's series (`<run>/#series/<tag>`), so a run read
/// again can remove the series it no longer has.
const SERIES_MARK: &str = "#series/";
/// `FileMark::hash` of an event file that is not read again (bad length checksum).
const DEAD: u64 = 1;
/// Detection checks at most this many event files of a folder.
const DETECT_FILES: usize = 3;
/// A record cut short at the end of an event file is a writer still at work, unless the
/// file has not been modified for this long: then it is a warning.
const STALE_TAIL: Duration = Duration::from_secs(5 * 60);

pub struct Tensorboard;

/// An event record larger than this is not a media file to extract.
const MAX_EMBEDDED_RECORD: u64 = 256 << 20;

/// The bytes of `path` (as a scan lists it: `images/<tag>/<step>[_<i>].<ext>`) from the
/// event record at `offset` of `log`, decoded as a scan decodes it.
fn embedded(log: &Path, offset: u64, path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut file = crate::util::open_regular(log).map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    file.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    let mut header = vec![0u8; 12];
    file.read_exact(&mut header).map_err(|e| format!("no event record at byte {offset}: {e}"))?;
    let size = record::record_size(&header).ok_or_else(|| format!("no event record at byte {offset}"))?;
    if size > MAX_EMBEDDED_RECORD {
        return Err(format!("the event record at byte {offset} is {size} bytes"));
    }
    let mut bytes = header;
    (&mut file).take(size - 12).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    let mut data = RunData::default();
    data.keep_media = true;
    data.read_file(Bytes::from(bytes), offset, 0, "");
    data.media
        .iter()
        .position(|a| a.path == path)
        .map(|i| data.media_bytes.swap_remove(i))
        .ok_or_else(|| format!("the event record at byte {offset} holds no {path}"))
}

impl Reader for Tensorboard {
    fn embedded_file(&self, log: &Path, offset: u64, path: &str) -> Option<Result<Vec<u8>, String>> {
        Some(embedded(log, offset, path))
    }

    fn id(&self) -> &'static str {
        "tensorboard"
    }

    fn source(&self) -> &'static str {
        "tensorboard"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let confirmed = dir.files.iter().filter(|f| is_event_file_name(f)).take(DETECT_FILES).any(|f| starts_like_an_event_file(&dir.path.join(f)));
        if confirmed { vec![Detected::lone_run(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let (runs, warnings) = find_runs(ctx.root)?;
        let experiment = ctx.send_root_experiment();
        let now = SystemTime::now();
        let cut_short: Vec<Warning> = ctx
            .read_runs(&runs, |run| {
                let update = read_run(ctx, &experiment, run);
                let cut_short = cut_short_tails(ctx, run, &update, now);
                (update, cut_short)
            })
            .into_iter()
            .flatten()
            .collect();
        let mut warnings = warnings;
        warnings.extend(cut_short);
        ctx.send(Update::Store { marks: Vec::new(), warnings });
        Ok(())
    }
}

/// TensorBoard's rule: the name contains `tfevents` (profiler placeholders excepted).
fn is_event_file_name(name: &str) -> bool {
    name.contains("tfevents") && !name.ends_with(".profile-empty")
}

/// The first record is intact and is a `file_version` event (`brain.Event:<n>`).
fn starts_like_an_event_file(path: &Path) -> bool {
    record::first_record(path)
        .and_then(|data| proto::Event::decode(data.as_slice()).ok())
        .is_some_and(|e| e.file_version.starts_with(b"brain.Event:"))
}

/// One run folder and its event files, sorted by name.
struct RunFolder {
    native_id: String,
    dir: PathBuf,
    /// The folder relative to the store root with a trailing `/` (empty for the root).
    prefix: String,
    files: Vec<EventFile>,
}

struct EventFile {
    /// Relative to the store root.
    rel: String,
    path: PathBuf,
    mark: FileMark,
}

/// Every folder below `root` holding event files, and warnings about folders that
/// could not be listed.
fn find_runs(root: &Path) -> Result<(Vec<RunFolder>, Vec<Warning>), ReadError> {
    std::fs::read_dir(root).map_err(|e| ReadError::io(root, e))?;
    let mut by_folder: BTreeMap<String, Vec<EventFile>> = BTreeMap::new();
    let mut warnings = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_type().is_dir() || !skipped_dir(&e.file_name().to_string_lossy()));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let file = e.path().and_then(|p| p.strip_prefix(root).ok()).map(slash_path);
                warnings.push(Warning { file, location: None, message: format!("folder skipped: {e}") });
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_event_file_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let (Ok(meta), Ok(rel)) = (entry.metadata(), entry.path().strip_prefix(root)) else { continue };
        let rel = slash_path(rel);
        let folder = rel.rsplit_once('/').map(|(folder, _)| folder.to_string()).unwrap_or_default();
        let file = EventFile { rel, path: entry.path().to_path_buf(), mark: FileMark::of(&meta) };
        by_folder.entry(folder).or_default().push(file);
    }
    let root_name = crate::util::folder_name(root);
    // The root's own run is named after the root, unless a sub-folder already has that name.
    let root_id = if by_folder.contains_key(&root_name) { ".".to_string() } else { root_name };
    let runs = by_folder
        .into_iter()
        .map(|(folder, mut files)| {
            files.sort_by(|a, b| a.rel.cmp(&b.rel));
            let (native_id, prefix) = if folder.is_empty() { (root_id.clone(), String::new()) } else { (folder.clone(), format!("{folder}/")) };
            RunFolder { native_id, dir: root.join(&folder), prefix, files }
        })
        .collect();
    Ok((runs, warnings))
}

/// What a run's info needs that is only in bytes read by earlier scans, kept as the
/// cursor of the run's mark `<run>/#state` (JSON, see [`StateCursor`]): wall-time spans,
/// session times, status and the number of event files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct RunState {
    spans: Spans,
    /// First and last wall time of `file_version` records: the run's times when it has
    /// no other event.
    version_times: Option<(i64, i64)>,
    session_start: Option<i64>,
    session_end: Option<i64>,
    status: Status,
    files: u64,
}

/// [`RunState`] as it is kept in a mark's cursor.
#[derive(serde::Serialize, serde::Deserialize)]
struct StateCursor {
    /// `[first ms, last ms, events]` per span.
    spans: Vec<[i64; 3]>,
    version: Option<(i64, i64)>,
    start: Option<i64>,
    end: Option<i64>,
    status: String,
    files: u64,
}

impl RunState {
    /// The mark that keeps this state under `key`.
    fn to_mark(&self, key: &str) -> (String, FileMark) {
        let cursor = StateCursor {
            spans: self.spans.as_slice().iter().map(|s| [s.lo, s.hi, s.events as i64]).collect(),
            version: self.version_times,
            start: self.session_start,
            end: self.session_end,
            status: self.status.as_str().to_string(),
            files: self.files,
        };
        let cursor = serde_json::to_string(&cursor).expect("a state cursor is plain JSON");
        (key.to_string(), FileMark { cursor: Some(cursor), ..Default::default() })
    }

    /// The state kept by [`RunState::to_mark`]; `None` without one (or one an older
    /// Runlens wrote), so the run is read from its start.
    fn from_mark(mark: Option<&FileMark>) -> Option<RunState> {
        let c: StateCursor = serde_json::from_str(mark?.cursor.as_deref()?).ok()?;
        let mut spans = Spans::default();
        for [lo, hi, events] in c.spans {
            spans.add_span(Span { lo, hi, events: events.max(0) as u64 });
        }
        Some(RunState {
            spans,
            version_times: c.version,
            session_start: c.start,
            session_end: c.end,
            status: Status::parse(&c.status),
            files: c.files,
        })
    }

    /// This state with what `data` read added, for a run of `files` event files.
    fn merge(&self, data: &RunData, files: usize) -> RunState {
        let mut s = RunState { files: files as u64, ..self.clone() };
        s.spans.extend(&data.spans);
        if let Some((lo, hi)) = data.version_times {
            s.version_times = Some(s.version_times.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        if let Some(t) = data.session_start {
            s.session_start = Some(s.session_start.map_or(t, |u| u.min(t)));
        }
        if let Some(t) = data.session_end {
            s.session_end = Some(s.session_end.map_or(t, |u| u.max(t)));
        }
        if let Some(status) = data.status {
            s.status = status;
        }
        s
    }

    /// The run's start and end (see [`times`]).
    fn times(&self) -> (Option<i64>, Option<i64>) {
        times::run_times(&self.spans, self.session_start, self.session_end, self.version_times)
    }
}

/// How much of a run a scan reads.
enum Plan {
    Unchanged,
    Append,
    Everything,
}

/// Decides how to read a run from the marks of its files and its state.
fn plan(ctx: &ScanContext, run: &RunFolder, state: &RunState) -> Plan {
    let mut known = 0;
    let mut new_file = false;
    let mut changed = false;
    for f in &run.files {
        let Some(p) = ctx.previous(&f.rel) else {
            new_file = true;
            continue;
        };
        known += 1;
        let replaced = p.inode != f.mark.inode || f.mark.size < p.size || p.offset > f.mark.size;
        if new_file || replaced {
            return Plan::Everything; // a new file before one read earlier, or a rewrite
        }
        changed |= !p.same_file(&f.mark);
    }
    if known != state.files {
        Plan::Everything // a file read earlier is gone
    } else if new_file || changed {
        Plan::Append
    } else {
        Plan::Unchanged
    }
}

fn read_run(ctx: &ScanContext, experiment: &str, run: &RunFolder) -> RunUpdate {
    let state_key = format!("{}{STATE_MARK}", run.prefix);
    let Some(state) = RunState::from_mark(ctx.previous(&state_key)) else {
        return read_everything(ctx, experiment, run, &state_key);
    };
    match plan(ctx, run, &state) {
        Plan::Unchanged => RunUpdate { native_id: run.native_id.clone(), ..Default::default() },
        Plan::Append => read_appended(ctx, experiment, run, &state_key, state).unwrap_or_else(|| read_everything(ctx, experiment, run, &state_key)),
        Plan::Everything => read_everything(ctx, experiment, run, &state_key),
    }
}

/// Reads every event file of the run from its start.
fn read_everything(ctx: &ScanContext, experiment: &str, run: &RunFolder, state_key: &str) -> RunUpdate {
    let mut data = RunData::default();
    let mut marks = Vec::with_capacity(run.files.len() + 1);
    let mut reread = Vec::with_capacity(run.files.len());
    for f in &run.files {
        reread.push(f.rel.clone());
        match open_event_file(None, &f.path).and_then(|opened| read_opened(&mut data, opened, &f.rel)) {
            Ok(mark) => marks.push((f.rel.clone(), mark)),
            Err(e) => {
                data.warnings.push(Warning::new(&f.rel, None, format!("cannot read event file: {e}")));
                marks.push((f.rel.clone(), f.mark.clone())); // read again once it changes
            }
        }
    }
    let state = RunState::default().merge(&data, run.files.len());
    marks.push(state.to_mark(state_key));
    let events::Hparams { params, tags } = data.hparams.take().unwrap_or_default();
    let mut series = series(&mut data, SeriesMode::Replace);
    marks.extend(series_marks(run, series.iter().map(|s| s.key.as_str())));
    for key in previous_series(ctx, run) {
        if !series.iter().any(|s| s.key == key) {
            series.push(SeriesUpdate { key, mode: SeriesMode::Replace, points: Vec::new() });
        }
    }
    RunUpdate {
        native_id: run.native_id.clone(),
        info: Some(run_info(experiment, run, &state)),
        params: Some(params),
        tags: Some(tags),
        series,
        artifacts: Some(latest_per_path(std::mem::take(&mut data.media))),
        marks: Some(marks),
        reread,
        warnings: data.warnings,
        datasets: None,
    }
}

/// Reads only what was appended to the run's files (and its new files). `None` when a
/// file turns out to be replaced since [`plan`] looked: the run must be read again.
fn read_appended(ctx: &ScanContext, experiment: &str, run: &RunFolder, state_key: &str, state: RunState) -> Option<RunUpdate> {
    let mut data = RunData::default();
    let mut marks = Vec::with_capacity(run.files.len() + 1);
    let mut update = RunUpdate { native_id: run.native_id.clone(), ..Default::default() };
    // Files with bytes read by earlier scans, and how many.
    let mut read_before: Vec<(&EventFile, u64)> = Vec::new();
    for f in &run.files {
        let previous = ctx.previous(&f.rel);
        let mark = match previous {
            Some(p) if p.hash == DEAD => FileMark { offset: p.offset, hash: DEAD, ..f.mark.clone() },
            Some(p) if p.same_file(&f.mark) => p.clone(),
            _ => match open_event_file(previous, &f.path) {
                Ok(Opened::Read { mode: SeriesMode::Replace, .. }) if previous.is_some() => return None,
                Ok(opened) => {
                    if previous.is_none() {
                        update.reread.push(f.rel.clone());
                    }
                    match read_opened(&mut data, opened, &f.rel) {
                        Ok(mark) => mark,
                        Err(e) => {
                            data.warnings.push(Warning::new(&f.rel, None, format!("cannot read event file: {e}")));
                            previous.cloned().unwrap_or_else(|| f.mark.clone())
                        }
                    }
                }
                Err(e) => {
                    data.warnings.push(Warning::new(&f.rel, None, format!("cannot read event file: {e}")));
                    previous.cloned().unwrap_or_else(|| f.mark.clone())
                }
            },
        };
        if let Some(p) = previous.filter(|p| p.offset > 0) {
            read_before.push((f, p.offset));
        }
        marks.push((f.rel.clone(), mark));
    }
    if !data.media.is_empty() {
        let mut media = media_read_before(&read_before);
        media.append(&mut data.media);
        update.artifacts = Some(latest_per_path(media));
    }
    let new_state = state.merge(&data, run.files.len());
    let info = run_info(experiment, run, &new_state);
    if info != run_info(experiment, run, &state) {
        update.info = Some(info);
    }
    if let Some(hparams) = data.hparams.take() {
        update.params = Some(hparams.params);
        update.tags = Some(hparams.tags);
    }
    update.series = series(&mut data, SeriesMode::Append);
    let mut keys = previous_series(ctx, run);
    for s in &update.series {
        if !keys.contains(&s.key) {
            keys.push(s.key.clone());
        }
    }
    marks.extend(series_marks(run, keys.iter().map(String::as_str)));
    marks.push(new_state.to_mark(state_key));
    update.marks = Some(marks);
    update.warnings = data.warnings;
    Some(update)
}

/// The media embedded in the bytes earlier scans read, for a complete artifact listing.
fn media_read_before(files: &[(&EventFile, u64)]) -> Vec<Artifact> {
    let mut data = RunData::default();
    for (f, upto) in files {
        if let Ok(file) = open_regular(&f.path) {
            let _ = data.read_stream(file, 0, *upto, *upto, &f.rel);
        }
    }
    data.media
}

/// How an event file is read on this scan, decided from its mark as
/// [`crate::util::resume`] decides, but opened to be read in windows rather than whole.
enum Opened {
    /// Same size, mtime and inode as last time: nothing to read.
    Unchanged(FileMark),
    /// Read from `from` (`Append`), or from the start of a replaced or truncated file
    /// (`Replace`), up to the size in `mark`, the stat taken before opening.
    Read { mode: SeriesMode, from: u64, file: std::fs::File, mark: FileMark },
}

fn open_event_file(previous: Option<&FileMark>, path: &Path) -> std::io::Result<Opened> {
    let mark = FileMark::of(&std::fs::metadata(path)?);
    if let Some(p) = previous.filter(|p| p.same_file(&mark)) {
        return Ok(Opened::Unchanged(p.clone()));
    }
    let (mode, from) = match previous {
        Some(p) if p.inode == mark.inode && mark.size >= p.size && p.offset <= mark.size => (SeriesMode::Append, p.offset),
        _ => (SeriesMode::Replace, 0),
    };
    let mut file = open_regular(path)?;
    file.seek(SeekFrom::Start(from))?;
    Ok(Opened::Read { mode, from, file, mark })
}

/// Reads what [`open_event_file`] opened into `data`; the file's new mark.
fn read_opened(data: &mut RunData, opened: Opened, rel: &str) -> std::io::Result<FileMark> {
    match opened {
        Opened::Unchanged(mark) => Ok(mark),
        Opened::Read { from, file, mark, .. } => {
            let read = data.read_stream(file, from, mark.size.saturating_sub(from), from, rel)?;
            Ok(file_mark(mark, read))
        }
    }
}

/// Warnings for the run's event files whose last record is cut short and that have not
/// been modified for [`STALE_TAIL`]: a writer that died mid-record, or a file cut by a
/// copy. A younger partial record is a live writer's and waits for the next scan.
fn cut_short_tails(ctx: &ScanContext, run: &RunFolder, update: &RunUpdate, now: SystemTime) -> Vec<Warning> {
    let new_marks: HashMap<&str, &FileMark> = update.marks.iter().flatten().map(|(k, m)| (k.as_str(), m)).collect();
    let mut out = Vec::new();
    for f in &run.files {
        let Some(mark) = new_marks.get(f.rel.as_str()).copied().or_else(|| ctx.previous(&f.rel)) else { continue };
        if mark.hash == DEAD || mark.offset >= mark.size {
            continue;
        }
        let modified = SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(mark.mtime_ns).unwrap_or(0));
        if now.duration_since(modified).is_ok_and(|age| age >= STALE_TAIL) {
            let message = format!(
                "the last record is cut short ({} bytes from byte {}) and the file has not changed for {} minutes: its writer stopped mid-record",
                mark.size - mark.offset,
                mark.offset,
                STALE_TAIL.as_secs() / 60
            );
            out.push(Warning::new(&f.rel, Some(format!("byte {}", mark.offset)), message));
        }
    }
    out
}

/// The series of the run the previous scan marked.
fn previous_series(ctx: &ScanContext, run: &RunFolder) -> Vec<String> {
    let prefix = format!("{}{SERIES_MARK}", run.prefix);
    ctx.previous.keys().filter_map(|k| k.strip_prefix(&prefix)).map(str::to_string).collect()
}

fn series_marks<'a>(run: &'a RunFolder, keys: impl Iterator<Item = &'a str>) -> Vec<(String, FileMark)> {
    keys.map(|key| (format!("{}{SERIES_MARK}{key}", run.prefix), FileMark::default())).collect()
}

/// The listing without repeated paths (an image logged again for the same tag and step):
/// the later one is kept, in its place.
fn latest_per_path(media: Vec<Artifact>) -> Vec<Artifact> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(media.len());
    for (i, a) in media.iter().enumerate() {
        last.insert(a.path.as_str(), i);
    }
    let keep: Vec<bool> = media.iter().enumerate().map(|(i, a)| last.get(a.path.as_str()) == Some(&i)).collect();
    media.into_iter().zip(keep).filter_map(|(a, keep)| keep.then_some(a)).collect()
}

fn file_mark(mark: FileMark, read: events::FileRead) -> FileMark {
    FileMark { offset: read.end, hash: if read.dead { DEAD } else { 0 }, ..mark }
}

fn series(data: &mut RunData, mode: SeriesMode) -> Vec<SeriesUpdate> {
    data.take_series().into_iter().map(|(key, points)| SeriesUpdate { key, mode, points }).collect()
}

fn run_info(experiment: &str, run: &RunFolder, state: &RunState) -> RunInfo {
    RunInfo {
        experiment: Some(experiment.to_string()),
        name: run.native_id.clone(),
        status: state.status,
        start_ms: state.times().0,
        end_ms: state.times().1,
        artifact_dir: Some(run.dir.clone()),
        // The run folder's name and the head of its oldest event file (names alone
        // collide: tensorboardX names files by the second and the host).
        identity: run
            .files
            .iter()
            .min_by(|a, b| a.path.file_name().cmp(&b.path.file_name()))
            .and_then(|f| crate::util::content_identity(&crate::util::folder_name(&run.dir), &f.path)),
        ..Default::default()
    }
}

/// Drives the event-file reading (TFRecord framing, event and summary decoding) on the
/// bytes of a whole file (for [`crate::fuzzing`]). The bytes are read as they are, and once
/// more with every record's checksums made valid, so the decoding behind the checksums is
/// reached too.
pub(crate) fn fuzz_events(data: &[u8]) {
    fuzz_read(data);
    let mut fixed = data.to_vec();
    let mut pos = 0usize;
    while let Some(len_bytes) = fixed.get(pos..pos + 8) {
        let len_crc = record::masked_crc(len_bytes);
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap_or_default());
        let Some(slot) = fixed.get_mut(pos + 8..pos + 12) else { break };
        slot.copy_from_slice(&len_crc.to_le_bytes());
        let data_start = pos + 12;
        let Some(data_end) = usize::try_from(len).ok().and_then(|n| data_start.checked_add(n)).filter(|&e| e < fixed.len().saturating_sub(3)) else {
            break;
        };
        let crc = record::masked_crc(&fixed[data_start..data_end]);
        fixed[data_end..data_end + 4].copy_from_slice(&crc.to_le_bytes());
        pos = data_end + 4;
    }
    if fixed != data {
        fuzz_read(&fixed);
    }
}

fn fuzz_read(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let mut run = RunData::default();
    let read = run.read_file(bytes.clone(), 0, 0, "events.out.tfevents.1");
    assert!(read.end <= data.len() as u64);
    let state = RunState::default().merge(&run, 1);
    assert_eq!(RunState::from_mark(Some(&state.to_mark("#state").1)), Some(state));
    let points: usize = series(&mut run, SeriesMode::Replace).iter().map(|s| s.points.len()).sum();
    assert!(points <= data.len() / 5 + 1, "{points} points from {} bytes", data.len());
    let _ = latest_per_path(std::mem::take(&mut run.media));
    // Read again by a later scan: records before `read.end` only list media.
    let mut later = RunData::default();
    later.read_file(bytes, 0, read.end, "events.out.tfevents.1");
    assert!(later.take_series().is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(times: &[i64]) -> Spans {
        let mut s = Spans::default();
        times.iter().for_each(|&t| s.add(t));
        s
    }

    #[test]
    fn run_state_survives_its_marks() {
        let states = [
            RunState::default(),
            RunState {
                spans: spans(&[-5, 1_714_986_000_000, 1_714_986_098_000, 1_795_687_438_808]),
                version_times: Some((1_795_687_438_753, 1_795_687_438_800)),
                session_start: Some(1_714_986_000_000),
                session_end: None,
                status: Status::Failed,
                files: 3,
            },
            RunState { spans: spans(&[1, 2]), version_times: None, session_start: None, session_end: Some(-1), status: Status::Finished, files: 1 },
        ];
        for s in states {
            let (key, mark) = s.to_mark("run/#state");
            assert_eq!(key, "run/#state");
            assert_eq!((mark.size, mark.mtime_ns, mark.inode, mark.offset, mark.hash), (0, 0, 0, 0, 0), "the state is in the cursor only");
            assert_eq!(RunState::from_mark(Some(&mark)), Some(s));
        }
        assert_eq!(RunState::from_mark(None), None);
        // A mark of an older Runlens (state squeezed into the file fields) reads the run again.
        assert_eq!(RunState::from_mark(Some(&FileMark { size: 2, hash: 1, ..Default::default() })), None);
    }

    #[test]
    fn file_version_records_give_the_times_only_of_a_run_without_other_events() {
        let mut version_only = RunData::default();
        version_only.version_times = Some((50, 60));
        let s = RunState::default().merge(&version_only, 1);
        assert_eq!(s.times(), (Some(50), Some(60)));
        let mut data = RunData::default();
        data.spans = spans(&[10, 20]);
        let s = s.merge(&data, 1);
        assert_eq!(s.times(), (Some(10), Some(20)));
        // A later file's file_version record does not move them; its events do.
        let s2 = s.merge(&version_only, 2);
        assert_eq!((s2.times(), s2.files), ((Some(10), Some(20)), 2));
        data.spans = spans(&[30, 40]);
        assert_eq!(s.merge(&data, 2).times(), (Some(10), Some(40)));
    }

    /// Scans the TensorBoard store at `root` from nothing; the updates it sent.
    fn scan(root: &Path) -> Vec<Update> {
        let sent = std::sync::Mutex::new(Vec::new());
        let sink = |u: Update| sent.lock().unwrap().push(u);
        let previous = HashMap::new();
        Tensorboard.scan(&ScanContext::new(root, &previous, &sink)).unwrap();
        sent.into_inner().unwrap()
    }

    #[test]
    fn a_file_that_turns_to_zeros_stops_at_the_first_bad_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.out.tfevents.1.host");
        let version = proto::Event { wall_time: 1.0, file_version: Bytes::from_static(b"brain.Event:2"), ..Default::default() };
        let mut bytes = record::encode(&version.encode_to_vec());
        for step in 0..3 {
            let value = proto::Value { tag: Bytes::from_static(b"loss"), simple_value: Some(step as f32), ..Default::default() };
            let summary = proto::Summary { value: vec![value] }.encode_to_vec().into();
            bytes.extend(record::encode(&proto::Event { wall_time: 2.0 + step as f64, step, summary, ..Default::default() }.encode_to_vec()));
        }
        std::fs::write(&path, &bytes).unwrap();
        // A sparse file: 2 GiB of zeros after the valid records, no disk blocks.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(2 << 30).unwrap();

        let started = std::time::Instant::now();
        let updates = scan(dir.path());
        let elapsed = started.elapsed();
        let Some(Update::Run(run)) = updates.iter().find(|u| matches!(u, Update::Run(_))) else { panic!("no run in {updates:?}") };
        assert_eq!(run.series.len(), 1);
        assert_eq!(run.series[0].points.iter().map(|p| p.value).collect::<Vec<_>>(), [0.0, 1.0, 2.0]);
        let at = format!("byte {}", bytes.len());
        assert_eq!(run.warnings.len(), 1, "{:?}", run.warnings);
        assert_eq!(run.warnings[0].location.as_deref(), Some(at.as_str()));
        assert!(run.warnings[0].message.contains("bad length checksum"), "{}", run.warnings[0].message);
        let marks = run.marks.as_ref().unwrap();
        let mark = marks.iter().find(|(k, _)| k == "events.out.tfevents.1.host").unwrap().1.clone();
        assert_eq!((mark.offset, mark.hash, mark.size), (bytes.len() as u64, DEAD, 2 << 30), "reading stopped at the bad record");
        // Reading the 2 GiB (what the reader did before) takes seconds; a window, milliseconds.
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[test]
    fn a_record_larger_than_a_window_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let image = proto::Value {
            tag: Bytes::from_static(b"big"),
            image: Some(proto::Image { encoded_image_string: [b"\x89PNG".as_slice(), &vec![7u8; events::WINDOW + 100]].concat().into() }),
            ..Default::default()
        };
        let loss = proto::Value { tag: Bytes::from_static(b"loss"), simple_value: Some(0.5), ..Default::default() };
        let mut bytes = Vec::new();
        for (i, value) in [loss.clone(), image, loss].into_iter().enumerate() {
            let summary = proto::Summary { value: vec![value] }.encode_to_vec().into();
            bytes.extend(record::encode(&proto::Event { wall_time: 10.0, step: i as i64, summary, ..Default::default() }.encode_to_vec()));
        }
        std::fs::write(dir.path().join("events.out.tfevents.1.host"), &bytes).unwrap();
        let updates = scan(dir.path());
        let Some(Update::Run(run)) = updates.iter().find(|u| matches!(u, Update::Run(_))) else { panic!() };
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert_eq!(run.series[0].points.iter().map(|p| p.step).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(run.artifacts.as_ref().unwrap().len(), 1);
        let mark = run.marks.as_ref().unwrap().iter().find(|(k, _)| k == "events.out.tfevents.1.host").unwrap().1.clone();
        assert_eq!(mark.offset, bytes.len() as u64);
    }

    #[test]
    fn detection_confirms_the_first_record() {
        let dir = tempfile::tempdir().unwrap();
        let version = proto::Event { wall_time: 1.0, file_version: Bytes::from_static(b"brain.Event:2"), ..Default::default() };
        std::fs::write(dir.path().join("events.out.tfevents.1.host"), record::encode(&version.encode_to_vec())).unwrap();
        std::fs::write(dir.path().join("notes.tfevents.txt"), b"not an event file").unwrap();
        std::fs::write(dir.path().join("events.out.tfevents.2.host"), b"").unwrap();
        let view = |files: &[&str]| {
            let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
            Tensorboard.detect(&DirView { path: dir.path(), dirs: &[], files: &files })
        };
        assert_eq!(view(&["events.out.tfevents.1.host"]), vec![Detected::lone_run(dir.path().to_path_buf())]);
        assert!(view(&["notes.tfevents.txt", "events.out.tfevents.2.host", "other.txt"]).is_empty());
        assert!(view(&["events.out.tfevents.1.host.profile-empty"]).is_empty());
    }
}
