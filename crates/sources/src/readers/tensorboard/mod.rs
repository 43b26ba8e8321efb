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
//! Run start and end are the first and last wall times of the run's events (the
//! `file_version` record only counts when nothing else is there).
//!
//! **Stores.** TensorBoard has no store folder: [`Reader::detect`] reports each run folder
//! as a lone run, discovery groups them at their common folder, and [`Reader::scan`]
//! walks that root to find every run folder again. A run's id and name are its folder
//! relative to the root; the one experiment is named after the root.
//!
//! **Incremental.** Event files are append-only: each has a mark with the offset after
//! its last complete record, and new bytes are read from there (a record still being
//! written waits for the next scan). Each run also has a mark `<run>/#run` that keeps
//! what its info needs across scans (start, end, status, number of files), and a mark
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

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use prost::bytes::Bytes;
use prost::Message;
use rayon::prelude::*;

use crate::discover::skipped_dir;
use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{resume, slash_path, Resume};
use events::RunData;

/// Key suffix of the mark holding a run's state (see [`RunState`]).
const STATE_MARK: &str = "#run";
/// Key infix of the marks naming a run's series (`<run>/#series/<tag>`), so a run read
/// again can remove the series it no longer has.
const SERIES_MARK: &str = "#series/";
/// `FileMark::hash` of an event file that is not read again (bad length checksum).
const DEAD: u64 = 1;
/// Detection checks at most this many event files of a folder.
const DETECT_FILES: usize = 3;

pub struct Tensorboard;

impl Reader for Tensorboard {
    fn id(&self) -> &'static str {
        "tensorboard"
    }

    fn source(&self) -> &'static str {
        "tensorboard"
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let confirmed = dir
            .files
            .iter()
            .filter(|f| is_event_file_name(f))
            .take(DETECT_FILES)
            .any(|f| starts_like_an_event_file(&dir.path.join(f)));
        if confirmed { vec![Detected::lone_run(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let (runs, warnings) = find_runs(ctx.root)?;
        let experiment = folder_name(ctx.root);
        ctx.send(Update::Experiment(ExperimentUpdate {
            native_id: experiment.clone(),
            info: Some(ExperimentInfo { name: experiment.clone(), deleted: false }),
            ..Default::default()
        }));
        let total = runs.len() as u64;
        let done = AtomicU64::new(0);
        ctx.send(Update::Progress { done: 0, total });
        runs.par_iter().for_each(|run| {
            ctx.send(Update::Run(read_run(ctx, &experiment, run)));
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(64) || n == total {
                ctx.send(Update::Progress { done: n, total });
            }
        });
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

fn folder_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
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
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|e| {
        e.depth() == 0 || !e.file_type().is_dir() || !skipped_dir(&e.file_name().to_string_lossy())
    });
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
    let root_name = folder_name(root);
    // The root's own run is named after the root, unless a sub-folder already has that name.
    let root_id = if by_folder.contains_key(&root_name) { ".".to_string() } else { root_name };
    let runs = by_folder
        .into_iter()
        .map(|(folder, mut files)| {
            files.sort_by(|a, b| a.rel.cmp(&b.rel));
            let (native_id, prefix) =
                if folder.is_empty() { (root_id.clone(), String::new()) } else { (folder.clone(), format!("{folder}/")) };
            RunFolder { native_id, dir: root.join(&folder), prefix, files }
        })
        .collect();
    Ok((runs, warnings))
}

/// What a run's info needs that is only in bytes read by earlier scans, kept in the
/// run's own mark: `size` = status, `inode` = flags, `mtime_ns` = start, `offset` = end,
/// `hash` = number of event files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct RunState {
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    /// The times are those of `file_version` records only (no other event yet).
    from_version: bool,
    status: Status,
    files: u64,
}

const STATUSES: [Status; 6] =
    [Status::Unknown, Status::Running, Status::Finished, Status::Failed, Status::Killed, Status::Scheduled];
const HAS_TIMES: u64 = 1;
const FROM_VERSION: u64 = 2;

impl RunState {
    fn to_mark(self) -> FileMark {
        let mut flags = 0;
        if self.start_ms.is_some() {
            flags |= HAS_TIMES;
        }
        if self.from_version {
            flags |= FROM_VERSION;
        }
        FileMark {
            size: STATUSES.iter().position(|s| *s == self.status).unwrap_or(0) as u64,
            mtime_ns: self.start_ms.unwrap_or(0),
            inode: flags,
            offset: self.end_ms.unwrap_or(0) as u64,
            hash: self.files,
        }
    }

    fn from_mark(m: &FileMark) -> RunState {
        let has_times = m.inode & HAS_TIMES != 0;
        RunState {
            start_ms: has_times.then_some(m.mtime_ns),
            end_ms: has_times.then_some(m.offset as i64),
            from_version: m.inode & FROM_VERSION != 0,
            status: usize::try_from(m.size).ok().and_then(|i| STATUSES.get(i).copied()).unwrap_or_default(),
            files: m.hash,
        }
    }

    /// This state with what `data` read added, for a run of `files` event files.
    fn merge(self, data: &RunData, files: usize) -> RunState {
        let mut s = RunState { files: files as u64, ..self };
        if let Some(times) = data.data_times {
            if self.from_version {
                s.start_ms = None;
                s.end_ms = None;
            }
            s.widen(times, false);
        } else if let Some(times) = data.version_times.filter(|_| self.start_ms.is_none() || self.from_version) {
            s.widen(times, true);
        }
        if let Some(status) = data.status {
            s.status = status;
        }
        s
    }

    fn widen(&mut self, (lo, hi): (i64, i64), from_version: bool) {
        self.start_ms = Some(self.start_ms.map_or(lo, |t| t.min(lo)));
        self.end_ms = Some(self.end_ms.map_or(hi, |t| t.max(hi)));
        self.from_version = from_version;
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
    let Some(state) = ctx.previous(&state_key).map(RunState::from_mark) else {
        return read_everything(ctx, experiment, run, &state_key);
    };
    match plan(ctx, run, &state) {
        Plan::Unchanged => RunUpdate { native_id: run.native_id.clone(), ..Default::default() },
        Plan::Append => read_appended(ctx, experiment, run, &state_key, state)
            .unwrap_or_else(|| read_everything(ctx, experiment, run, &state_key)),
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
        match resume(None, &f.path) {
            Ok(Resume::Read { from, bytes, mark, .. }) => {
                let read = data.read_file(Bytes::from(bytes), from, from, &f.rel);
                marks.push((f.rel.clone(), file_mark(mark, read)));
            }
            Ok(Resume::Unchanged(mark)) => marks.push((f.rel.clone(), mark)),
            Err(e) => {
                data.warnings.push(Warning::new(&f.rel, None, format!("cannot read event file: {e}")));
                marks.push((f.rel.clone(), f.mark)); // read again once it changes
            }
        }
    }
    let state = RunState::default().merge(&data, run.files.len());
    marks.push((state_key.to_string(), state.to_mark()));
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
            Some(p) if p.hash == DEAD => FileMark { offset: p.offset, hash: DEAD, ..f.mark },
            Some(p) if p.same_file(&f.mark) => *p,
            _ => match resume(previous, &f.path) {
                Ok(Resume::Unchanged(mark)) => mark,
                Ok(Resume::Read { mode: SeriesMode::Replace, .. }) if previous.is_some() => return None,
                Ok(Resume::Read { from, bytes, mark, .. }) => {
                    if previous.is_none() {
                        update.reread.push(f.rel.clone());
                    }
                    let read = data.read_file(Bytes::from(bytes), from, from, &f.rel);
                    file_mark(mark, read)
                }
                Err(e) => {
                    data.warnings.push(Warning::new(&f.rel, None, format!("cannot read event file: {e}")));
                    previous.copied().unwrap_or(f.mark)
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
    if new_state != state {
        update.info = Some(run_info(experiment, run, &new_state));
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
    marks.push((state_key.to_string(), new_state.to_mark()));
    update.marks = Some(marks);
    update.warnings = data.warnings;
    Some(update)
}

/// The media embedded in the bytes earlier scans read, for a complete artifact listing.
fn media_read_before(files: &[(&EventFile, u64)]) -> Vec<Artifact> {
    let mut data = RunData::default();
    for (f, upto) in files {
        let mut bytes = Vec::new();
        let read = crate::util::open_regular(&f.path).and_then(|file| file.take(*upto).read_to_end(&mut bytes));
        if read.is_ok() {
            data.read_file(Bytes::from(bytes), 0, *upto, &f.rel);
        }
    }
    data.media
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
        start_ms: state.start_ms,
        end_ms: state.end_ms,
        artifact_dir: Some(run.dir.clone()),
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
    assert_eq!(RunState::from_mark(&state.to_mark()), state);
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

    #[test]
    fn run_state_survives_its_mark() {
        let states = [
            RunState::default(),
            RunState { start_ms: Some(-5), end_ms: Some(1_714_986_000_000), from_version: true, status: Status::Failed, files: 3 },
            RunState { start_ms: Some(1), end_ms: Some(2), from_version: false, status: Status::Finished, files: 1 },
        ];
        for s in states {
            assert_eq!(RunState::from_mark(&s.to_mark()), s);
        }
    }

    #[test]
    fn data_events_take_over_the_times_of_file_version_records() {
        let mut version_only = RunData::default();
        version_only.version_times = Some((50, 60));
        let s = RunState::default().merge(&version_only, 1);
        assert_eq!((s.start_ms, s.end_ms, s.from_version), (Some(50), Some(60), true));
        let mut data = RunData::default();
        data.data_times = Some((10, 20));
        let s = s.merge(&data, 1);
        assert_eq!((s.start_ms, s.end_ms, s.from_version), (Some(10), Some(20), false));
        // A later file's file_version record does not move them.
        let s2 = s.merge(&version_only, 2);
        assert_eq!((s2.start_ms, s2.end_ms, s2.files), (Some(10), Some(20), 2));
        data.data_times = Some((30, 40));
        assert_eq!(s.merge(&data, 2).end_ms, Some(40));
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
