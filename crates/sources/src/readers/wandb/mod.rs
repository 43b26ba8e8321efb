//! Weights & Biases local run folders (`wandb/`, or `.wandb/`): one folder per run
//! session, `run-<YYYYmmdd_HHMMSS>-<id>/` (online) or `offline-run-.../`, each holding
//! the binary transaction log `run-<id>.wandb` and `files/`. The log is the source of
//! truth: protobuf records (run, config, history rows, exit, environment, ...; see
//! [`proto`]) framed in CRC-checked chunks in 32 KiB blocks (see [`log`]). `files/` holds
//! media, the user's files and, depending on the version and mode, `config.yaml` and
//! `wandb-metadata.json`, used as fallbacks (see [`files`]). A resumed run gets a new
//! folder with the same id: folders are merged by id, oldest first, into one run. The
//! experiment is the W&B project (native id = project name).
//!
//! Provenance: the environment record (or `wandb-metadata.json`) gives the program, its
//! arguments, the interpreter (`executable`), the Python version, the host, the OS and
//! the git remote and commit (the run record's git and host first); `files/` gives the
//! packages of `requirements.txt`, the environment files (`requirements.txt`,
//! `conda-environment.yaml`, `diff.patch`) and, when `diff.patch` is not empty, a dirty
//! tree. W&B records no branch, and its `root` is the folder given to `wandb.init(dir=)`
//! (the working folder only by default), so no working folder either.
//!
//! Times and status: the start is the first session's run record `start_time`; the end,
//! once the latest session has an exit record, is that session's start plus the seconds
//! it ran (the exit record's `runtime` less the runtime the session resumed from), or its
//! last history row's `_timestamp` if that is later; no exit record, no end. Status from
//! the exit record: exit code 0 finished, any other failed; killed when preempted;
//! running without one (see `RunState::status`).
//!
//! Incremental: the log is append-only. Its mark keeps the offset of the first record
//! not yet complete (a record boundary the framing can restart from) and, in `hash`, a
//! fingerprint of the run's project, so an unchanged run's experiment is known without
//! reading it: each project keeps a mark named `wandb-project:<name>` to match it against.
//! Per run and scan:
//! * a new, replaced or vanished log, or a changed `config.yaml`, `wandb-metadata.json`,
//!   `requirements.txt`, `conda-environment.yaml` or `diff.patch`: every log of the run is
//!   read from its start and the series are replaced;
//! * grown logs with only history (and other non-descriptive) records: only the new
//!   records are read, their points appended;
//! * grown logs with a run, config, artifact, exit, environment or preempting record: the logs are
//!   read again from the start for the run's fields, and only the new points appended;
//! * nothing changed: no content is read.
//!
//! The `files/` listing (the run's artifacts) is fingerprinted (names, sizes, mtimes).
//!
//! Artifacts logged with `run.log_artifact` are the run's datasets (context `logged`, the
//! manifest digest as digest; see `state::logged_artifact`). Offline runs cannot record
//! `use_artifact` (wandb refuses it), so the artifacts a run consumed are not known.

mod files;
mod log;
mod proto;
mod state;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use prost::Message;

use crate::model::*;
use crate::reader::{Detected, DirView, ReadError, Reader, ScanContext};
use crate::util::{Fingerprint, Resume, list_artifacts, resume};
use proto::Record;
use state::{RunState, history_points};

/// At most this many warnings per file; the rest are counted in one more warning.
const MAX_WARNINGS_PER_FILE: usize = 10;
/// Pseudo-path of the mark each project (experiment) keeps, followed by its name.
const PROJECT_MARK: &str = "wandb-project:";

/// Reader of W&B run folders (wandb ≥ 0.10, legacy Python writer and wandb-core).
pub struct Wandb;

impl Reader for Wandb {
    fn id(&self) -> &'static str {
        "wandb"
    }

    fn source(&self) -> &'static str {
        "wandb"
    }

    fn owns_subtree(&self) -> bool {
        true
    }

    fn detect(&self, dir: &DirView) -> Vec<Detected> {
        let holds_runs = dir.dirs.iter().filter(|d| is_run_dir(d)).take(5).any(|d| {
            let run_dir = dir.path.join(d);
            session_logs(&run_dir).iter().any(|(name, _)| starts_with_header(&run_dir.join(name)))
        });
        let is_run = dir.path.file_name().is_some_and(|n| is_run_dir(&n.to_string_lossy()))
            && dir.files.iter().any(|f| log_id(f).is_some() && starts_with_header(&dir.path.join(f)));
        if holds_runs || is_run { vec![Detected::store(dir.path.to_path_buf())] } else { Vec::new() }
    }

    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let (runs, warnings) = list_runs(ctx.root)?;
        let previous = PreviousLogs::of(ctx);
        let projects: BTreeSet<String> = ctx.read_runs(&runs, |run| read_run(ctx, run, &previous)).into_iter().flatten().collect();
        for project in projects {
            let mark = FileMark { hash: project_hash(&project), ..Default::default() };
            ctx.send(Update::Experiment(ExperimentUpdate {
                native_id: project.clone(),
                marks: Some(vec![(format!("{PROJECT_MARK}{project}"), mark)]),
                info: Some(ExperimentInfo { name: project, deleted: false }),
                warnings: Vec::new(),
            }));
        }
        ctx.send(Update::Store { marks: Vec::new(), warnings });
        Ok(())
    }
}

/// `run-...` (online) or `offline-run-...` session folders.
fn is_run_dir(name: &str) -> bool {
    name.starts_with("run-") || name.starts_with("offline-run-")
}

/// The run id in a log's file name `run-<id>.wandb`.
fn log_id(file_name: &str) -> Option<&str> {
    file_name.strip_prefix("run-")?.strip_suffix(".wandb").filter(|id| !id.is_empty())
}

/// The logs in a session folder: `(file name, run id)`, sorted.
fn session_logs(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, String)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = log_id(&name)?.to_string();
            Some((name, id))
        })
        .collect();
    out.sort();
    out
}

/// Reads only the first 7 bytes of a file.
fn starts_with_header(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 7];
    crate::util::open_regular(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && log::is_log_header(&head)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") }
}

fn project_hash(project: &str) -> u64 {
    Fingerprint::default().bytes(b"wandb-project\0").bytes(project.as_bytes()).finish()
}

/// One session of a run: its folder and log, relative to the store root.
struct Session {
    dir: String,
    log: String,
    offline: bool,
}

/// A run: its id and its sessions, oldest first.
struct RunDirs {
    id: String,
    sessions: Vec<Session>,
}

/// The runs below the store root (or the root itself, when it is one session folder),
/// and warnings about session folders without a log.
fn list_runs(root: &Path) -> Result<(Vec<RunDirs>, Vec<Warning>), ReadError> {
    let mut warnings = Vec::new();
    let root_name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut dirs: Vec<String> = if is_run_dir(&root_name) && !session_logs(root).is_empty() {
        vec![String::new()]
    } else {
        std::fs::read_dir(root)
            .map_err(|e| ReadError::io(root, e))?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_run_dir(n) && !crate::discover::skipped_dir(n))
            .collect()
    };
    // Session folders sort by their start time (`<mode>-<YYYYmmdd_HHMMSS>-<id>`).
    dirs.sort_by(|a, b| session_time(a).cmp(session_time(b)).then(a.cmp(b)));
    let mut runs: BTreeMap<String, Vec<Session>> = BTreeMap::new();
    for dir in dirs {
        let logs = session_logs(&root.join(&dir));
        if logs.is_empty() {
            warnings.push(Warning::new(dir.clone(), None, "run folder without a run-<id>.wandb log (not read)"));
        }
        let offline = dir.starts_with("offline-") || (dir.is_empty() && root_name.starts_with("offline-"));
        for (name, id) in logs {
            runs.entry(id).or_default().push(Session { log: join(&dir, &name), dir: dir.clone(), offline });
        }
    }
    Ok((runs.into_iter().map(|(id, sessions)| RunDirs { id, sessions }).collect(), warnings))
}

fn session_time(dir: &str) -> &str {
    dir.strip_prefix("offline-").unwrap_or(dir).strip_prefix("run-").unwrap_or(dir)
}

/// What the previous scan recorded: projects by fingerprint, and how many logs each run
/// had (so a vanished session is noticed).
struct PreviousLogs {
    projects: HashMap<u64, String>,
    logs_per_run: HashMap<String, usize>,
}

impl PreviousLogs {
    fn of(ctx: &ScanContext) -> PreviousLogs {
        let mut projects = HashMap::new();
        let mut logs_per_run: HashMap<String, usize> = HashMap::new();
        for path in ctx.previous.keys() {
            if let Some(name) = path.strip_prefix(PROJECT_MARK) {
                projects.insert(project_hash(name), name.to_string());
            } else if let Some(id) = log_id(path.rsplit('/').next().unwrap_or(path)) {
                *logs_per_run.entry(id.to_string()).or_default() += 1;
            }
        }
        PreviousLogs { projects, logs_per_run }
    }
}

/// How much of a run to read on this scan (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Full,
    Info,
    Points,
    Nothing,
}

/// One log of the run and how [`resume`] says to read it.
struct LogFile<'a> {
    session: &'a Session,
    path: PathBuf,
    resume: Resume,
}

impl LogFile<'_> {
    fn mark(&self) -> FileMark {
        self.resume.mark_after(0)
    }

    /// The whole log as of its mark (taking the bytes `resume` read if it read from 0).
    fn take_whole(&mut self) -> std::io::Result<Vec<u8>> {
        match &mut self.resume {
            Resume::Read { from: 0, bytes, .. } => Ok(std::mem::take(bytes)),
            _ => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(crate::util::open_regular(&self.path)?, self.mark().size), &mut bytes)?;
                bytes.truncate(self.mark().size as usize);
                Ok(bytes)
            }
        }
    }
}

/// Reads what changed in one run; returns its update and its project.
fn read_run(ctx: &ScanContext, run: &RunDirs, previous: &PreviousLogs) -> (RunUpdate, Option<String>) {
    let mut update = RunUpdate { native_id: run.id.clone(), ..Default::default() };
    let mut logs = open_logs(ctx, run, &mut update.warnings);
    let (extra_marks, extras_changed) = extra_marks(ctx, run);
    // A log that cannot be opened makes its warning part of a full set of marks.
    let mut plan = choose_plan(ctx, run, &logs, previous, extras_changed || !update.warnings.is_empty());
    let mut series: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    let mut new_marks = Vec::new();
    if plan == Plan::Points {
        match read_new_points(&logs, &mut series, &mut update.warnings) {
            Some(marks) => new_marks = marks,
            None => {
                plan = Plan::Info;
                series.clear();
                update.warnings.clear();
            }
        }
    }
    let files = FilesDir::of(ctx.root, run);
    let previous_hash = logs.first().and_then(|l| ctx.previous(&l.session.log)).map_or(0, |m| m.hash);
    let (log_marks, project) = match plan {
        Plan::Full | Plan::Info => {
            let (state, marks) = read_everything(ctx, run, &mut logs, plan, &mut series, &mut update);
            if let Some(info) = update.info.as_mut() {
                info.artifact_dir = files.dir.clone();
            }
            let project = Some(state.project).filter(|p| !p.is_empty());
            (with_hash(marks, project.as_deref().map_or(0, project_hash)), project)
        }
        Plan::Points => (with_hash(new_marks, previous_hash), previous.projects.get(&previous_hash).cloned()),
        Plan::Nothing => {
            let marks = logs.iter().map(|l| (l.session.log.clone(), l.mark())).collect();
            (marks, previous.projects.get(&previous_hash).cloned())
        }
    };
    let mode = if plan == Plan::Full { SeriesMode::Replace } else { SeriesMode::Append };
    update.series = series.into_iter().map(|(key, points)| SeriesUpdate { key, mode, points }).collect();

    let listing_changed = ctx.previous(&files.key) != Some(&files.mark);
    if listing_changed {
        update.artifacts = Some(files.listing);
    }
    if plan != Plan::Nothing || listing_changed {
        let mut marks = log_marks;
        marks.extend(extra_marks);
        marks.push((files.key, files.mark));
        update.marks = Some(marks);
    }
    (update, project)
}

/// Opens each session's log with [`resume`]; a log that cannot be opened is a warning.
fn open_logs<'a>(ctx: &ScanContext, run: &'a RunDirs, warnings: &mut Vec<Warning>) -> Vec<LogFile<'a>> {
    let mut logs = Vec::new();
    for session in &run.sessions {
        let path = ctx.root.join(&session.log);
        match resume(ctx.previous(&session.log), &path) {
            Ok(resume) => logs.push(LogFile { session, path, resume }),
            Err(e) => warnings.push(Warning::new(&session.log, None, format!("cannot read: {e}"))),
        }
    }
    logs
}

/// [`Plan::Full`] when a log is new, replaced or gone (or `force`), [`Plan::Points`] when
/// logs grew (it may still turn into [`Plan::Info`]), else [`Plan::Nothing`].
fn choose_plan(ctx: &ScanContext, run: &RunDirs, logs: &[LogFile], previous: &PreviousLogs, force: bool) -> Plan {
    let marked_before = logs.iter().filter(|l| ctx.previous(&l.session.log).is_some()).count();
    let vanished = previous.logs_per_run.get(&run.id).copied().unwrap_or(0) > marked_before;
    let replaced = logs.iter().any(|l| matches!(l.resume, Resume::Read { mode: SeriesMode::Replace, .. }));
    if force || vanished || replaced {
        Plan::Full
    } else if logs.iter().any(|l| matches!(l.resume, Resume::Read { .. })) {
        Plan::Points
    } else {
        Plan::Nothing
    }
}

fn with_hash(marks: Vec<(String, FileMark)>, hash: u64) -> Vec<(String, FileMark)> {
    marks.into_iter().map(|(rel, mark)| (rel, FileMark { hash, ..mark })).collect()
}

/// The run's files: the latest session's `files/` folder, listed and fingerprinted
/// (names, sizes, mtimes) under the mark `<session>/files/`.
struct FilesDir {
    key: String,
    dir: Option<PathBuf>,
    listing: Vec<Artifact>,
    mark: FileMark,
}

impl FilesDir {
    fn of(root: &Path, run: &RunDirs) -> FilesDir {
        let latest = run.sessions.iter().rev().find(|s| root.join(&s.dir).join("files").is_dir()).or(run.sessions.last());
        let key = join(latest.map_or("", |s| s.dir.as_str()), "files/");
        let dir = latest.map(|s| root.join(&s.dir).join("files")).filter(|d| d.is_dir());
        let (listing, hash) = dir.as_deref().map(list_artifacts).unwrap_or_default();
        let mark = FileMark { size: listing.len() as u64, hash, ..Default::default() };
        FilesDir { key, dir, listing, mark }
    }
}

/// Marks of each session's descriptive files (`wandb-metadata.json`, `config.yaml`, the
/// environment files, see [`files::DESCRIPTIVE`]), and whether any changed (appeared,
/// vanished, rewritten) since the previous scan.
fn extra_marks(ctx: &ScanContext, run: &RunDirs) -> (Vec<(String, FileMark)>, bool) {
    let mut marks = Vec::new();
    let mut changed = false;
    for session in &run.sessions {
        for name in files::DESCRIPTIVE {
            let rel = join(&join(&session.dir, "files"), name);
            let current = std::fs::metadata(ctx.root.join(&rel)).ok().filter(|m| m.is_file()).map(|m| FileMark::of(&m));
            let previous = ctx.previous(&rel);
            changed |= match (&current, previous) {
                (Some(c), Some(p)) => !p.same_file(c),
                (None, None) => false,
                _ => true,
            };
            if let Some(c) = current {
                marks.push((rel, c));
            }
        }
    }
    (marks, changed)
}

/// Reads the new records of grown logs for their points. `None` when they hold a record
/// that changes the run's fields (the logs must then be read from the start), else the
/// logs' new marks.
fn read_new_points(logs: &[LogFile], series: &mut BTreeMap<String, Vec<Point>>, warnings: &mut Vec<Warning>) -> Option<Vec<(String, FileMark)>> {
    let mut marks = Vec::new();
    for log in logs {
        let Resume::Read { from, bytes, .. } = &log.resume else {
            marks.push((log.session.log.clone(), log.mark()));
            continue;
        };
        let mut problems = Vec::new();
        let read = log::read_log(bytes, *from);
        problems.extend(read.problems);
        for record in read.records {
            match Record::decode(record.payload.as_slice()) {
                Ok(r) if describes_run(&r) => return None,
                Ok(r) => add_points(&r, record.offset, series, &mut problems),
                Err(e) => problems.push((record.offset, format!("cannot decode record: {e}"))),
            }
        }
        problems.sort_by_key(|p| p.0);
        push_problems(&log.session.log, problems, warnings);
        marks.push((log.session.log.clone(), log.resume.mark_after(read.consumed)));
    }
    Some(marks)
}

/// Records that change the run's fields rather than add points.
fn describes_run(r: &Record) -> bool {
    r.run.is_some() || r.config.is_some() || r.artifact.is_some() || r.exit.is_some() || r.preempting.is_some() || r.environment.is_some()
}

fn add_points(r: &Record, offset: u64, series: &mut BTreeMap<String, Vec<Point>>, problems: &mut Vec<(u64, String)>) {
    if let Some(h) = &r.history {
        history_points(h, series, &mut |w| problems.push((offset, w)));
    }
}

/// Reads every log of the run from its start: the run's fields into `update` (info,
/// params, tags, reread files, warnings), and the points into `series` (all of them for
/// [`Plan::Full`]; for [`Plan::Info`] only those past each log's previous offset).
/// Returns the run's state and the logs' new marks.
fn read_everything(
    ctx: &ScanContext,
    run: &RunDirs,
    logs: &mut [LogFile],
    plan: Plan,
    series: &mut BTreeMap<String, Vec<Point>>,
    update: &mut RunUpdate,
) -> (RunState, Vec<(String, FileMark)>) {
    let mut state = RunState::default();
    let mut marks = Vec::new();
    let mut records = 0usize;
    for log in logs.iter_mut() {
        let rel = &log.session.log;
        let bytes = match log.take_whole() {
            Ok(b) => b,
            Err(e) => {
                update.warnings.push(Warning::new(rel.clone(), None, format!("cannot read: {e}")));
                continue;
            }
        };
        let threshold = match plan {
            Plan::Info => ctx.previous(rel).map_or(0, |m| m.offset),
            _ => 0,
        };
        update.reread.push(rel.clone());
        state.begin_session();
        let read = log::read_log(&bytes, 0);
        let mut problems = read.problems;
        for record in read.records {
            match Record::decode(record.payload.as_slice()) {
                Ok(r) => {
                    records += 1;
                    state.apply(&r, &mut |w| problems.push((record.offset, w)));
                    if record.offset >= threshold {
                        add_points(&r, record.offset, series, &mut problems);
                    }
                }
                Err(e) => problems.push((record.offset, format!("cannot decode record: {e}"))),
            }
        }
        problems.sort_by_key(|p| p.0);
        push_problems(rel, problems, &mut update.warnings);
        marks.push((rel.clone(), FileMark { offset: read.consumed, ..log.mark() }));
    }
    read_extras(ctx, run, &mut state, update);
    let mut status = state.status();
    if records == 0 && !update.warnings.is_empty() {
        status = Status::Unknown;
    }
    let env = &state.env;
    let nonempty = |a: &str, b: &str| Some(if a.is_empty() { b } else { a }.to_string()).filter(|s| !s.is_empty());
    let mut provenance = environment_files(ctx, run, update);
    provenance.program = nonempty(&env.program, "");
    provenance.args = env.args.clone().filter(|_| provenance.program.is_some());
    provenance.interpreter = nonempty(&env.executable, "");
    provenance.git.commit = nonempty(&state.git_commit, &env.git_commit);
    provenance.git.remote = nonempty(&state.git_remote, &env.git_remote);
    provenance.python = nonempty(&env.python, "");
    provenance.host = nonempty(&state.host, &env.host);
    provenance.os = nonempty(&env.os, "");
    update.info = Some(RunInfo {
        experiment: nonempty(&state.project, ""),
        name: nonempty(&state.name, &run.id).unwrap_or_default(),
        status,
        start_ms: state.start_ms,
        end_ms: state.end_ms(),
        user: nonempty(&env.username, ""),
        provenance,
        ..Default::default()
    });
    update.params = Some(state.params());
    update.datasets = Some(state.artifacts.clone());
    update.tags = Some(run_tags(&run.id, &state, run.sessions.last().is_some_and(|s| s.offline)));
    (state, marks)
}

/// `wandb-metadata.json` fills environment fields the logs lack; `config.yaml` gives the
/// config when the logs have none. Both from the latest session that has them.
fn read_extras(ctx: &ScanContext, run: &RunDirs, state: &mut RunState, update: &mut RunUpdate) {
    let latest = |name: &str| run.sessions.iter().rev().map(|s| join(&join(&s.dir, "files"), name)).find(|rel| ctx.root.join(rel).is_file());
    if let Some(rel) = latest(files::METADATA) {
        update.reread.push(rel.clone());
        match files::read_metadata(&ctx.root.join(&rel)) {
            Ok(env) => state.fill_environment(&env),
            Err(reason) => update.warnings.push(Warning::new(rel, None, reason)),
        }
    }
    if state.config.is_empty()
        && let Some(rel) = latest(files::CONFIG)
    {
        update.reread.push(rel.clone());
        match files::read_config_yaml(&ctx.root.join(&rel)) {
            Ok(config) => state.config = config,
            Err(reason) => update.warnings.push(Warning::new(rel, None, reason)),
        }
    }
}

/// The provenance `files/` holds: the environment files of the latest session that has
/// each, the packages of its `requirements.txt`, and a dirty tree when its `diff.patch`
/// is not empty.
fn environment_files(ctx: &ScanContext, run: &RunDirs, update: &mut RunUpdate) -> Provenance {
    let mut p = Provenance::default();
    for name in [files::REQUIREMENTS, files::CONDA, files::DIFF] {
        let Some(rel) = run.sessions.iter().rev().map(|s| join(&join(&s.dir, "files"), name)).find(|rel| ctx.root.join(rel).is_file()) else {
            continue;
        };
        let path = ctx.root.join(&rel);
        p.environment_files.push(path.to_string_lossy().into_owned());
        if name == files::REQUIREMENTS {
            update.reread.push(rel.clone());
            match crate::util::read_text(&path) {
                Ok(text) => p.add_requirements(&text),
                Err(e) => update.warnings.push(Warning::new(rel, None, format!("cannot read: {e}"))),
            }
        } else if name == files::DIFF && std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
            p.git.dirty = Some(true);
        }
    }
    p
}

/// Labels as tags of their own; W&B's fields worth filtering on as `wandb.*` tags.
fn run_tags(id: &str, state: &RunState, offline: bool) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = state.labels.iter().map(|l| (l.clone(), String::new())).collect();
    let env = &state.env;
    let pick = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
    let fields = [
        ("id", id.to_string()),
        ("project", state.project.clone()),
        ("entity", state.entity.clone()),
        ("group", state.group.clone()),
        ("job_type", state.job_type.clone()),
        ("notes", state.notes.clone()),
        ("sweep", state.sweep_id.clone()),
        ("git.remote", pick(&state.git_remote, &env.git_remote)),
        ("host", pick(&state.host, &env.host)),
        ("program", env.program.clone()),
        ("python", env.python.clone()),
        ("mode", if offline { "offline" } else { "online" }.to_string()),
    ];
    for (key, value) in fields {
        if !value.is_empty() {
            tags.push((format!("wandb.{key}"), value));
        }
    }
    tags
}

/// Drives the reading of a `.wandb` log (block/chunk framing, record decoding, history
/// rows and config values) on the bytes of a whole file (for [`crate::fuzzing`]). The
/// bytes are read as they are, and once more with a valid file header and every chunk's
/// checksum made valid, so the decoding behind the checksums is reached too.
pub(crate) fn fuzz_log(data: &[u8]) {
    fuzz_read_log(data);
    let mut fixed = data.to_vec();
    let header = log::HEADER.len().min(fixed.len());
    fixed[..header].copy_from_slice(&log::HEADER[..header]);
    let mut pos = log::HEADER.len();
    while pos < fixed.len() {
        let left = (log::BLOCK - pos as u64 % log::BLOCK) as usize;
        let Some(chunk) = fixed.get(pos..pos + 7) else { break };
        let (len, kind) = (usize::from(u16::from_le_bytes([chunk[4], chunk[5]])), chunk[6]);
        if left < 7 || chunk == [0; 7] || 7 + len > left {
            pos += left;
            continue;
        }
        let Some(payload) = fixed.get(pos + 7..pos + 7 + len) else { break };
        let crc = log::checksum(kind, payload);
        fixed[pos..pos + 4].copy_from_slice(&crc.to_le_bytes());
        pos += 7 + len;
    }
    if fixed != data {
        fuzz_read_log(&fixed);
    }
}

fn fuzz_read_log(data: &[u8]) {
    let read = log::read_log(data, 0);
    assert!(read.consumed <= data.len() as u64);
    assert!(read.records.iter().map(|r| r.payload.len()).sum::<usize>() <= data.len());
    let mut state = RunState::default();
    state.begin_session();
    let mut series = BTreeMap::new();
    let mut problems = Vec::new();
    for record in &read.records {
        match Record::decode(record.payload.as_slice()) {
            Ok(r) => {
                state.apply(&r, &mut |w| problems.push((record.offset, w)));
                let _ = describes_run(&r);
                add_points(&r, record.offset, &mut series, &mut problems);
            }
            Err(e) => problems.push((record.offset, format!("cannot decode record: {e}"))),
        }
    }
    let points: usize = series.values().map(Vec::len).sum();
    assert!(points <= data.len(), "{points} points from {} bytes", data.len());
    let _ = (state.status(), state.end_ms(), state.params());
    let _ = run_tags("id", &state, true);
    let mut warnings = Vec::new();
    push_problems("run-id.wandb", problems, &mut warnings);
    assert!(warnings.len() <= MAX_WARNINGS_PER_FILE + 1);
    // Resumed where the read stopped, as the next scan does.
    let consumed = read.consumed as usize;
    let rest = log::read_log(&data[consumed..], read.consumed);
    assert!(rest.consumed as usize <= data.len() - consumed);
}

/// Drives the parsing of `files/config.yaml` and `files/wandb-metadata.json` on arbitrary
/// bytes (for [`crate::fuzzing`]), read as [`crate::util::read_text`] does.
pub(crate) fn fuzz_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = files::parse_config_yaml(&text) {
        let _ = state::config_params(&config);
    }
    if let Ok(env) = files::parse_metadata(&text) {
        RunState::default().fill_environment(&env);
    }
}

/// Positioned warnings (`byte <offset>`) for a file, at most [`MAX_WARNINGS_PER_FILE`].
fn push_problems(rel: &str, problems: Vec<(u64, String)>, warnings: &mut Vec<Warning>) {
    let n = problems.len();
    for (offset, reason) in problems.into_iter().take(MAX_WARNINGS_PER_FILE) {
        warnings.push(Warning::new(rel, Some(format!("byte {offset}")), reason));
    }
    if n > MAX_WARNINGS_PER_FILE {
        warnings.push(Warning::new(rel, None, format!("{} more problems in this file", n - MAX_WARNINGS_PER_FILE)));
    }
}

#[cfg(test)]
mod tests;
