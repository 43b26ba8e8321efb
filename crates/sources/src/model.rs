//! Plain records a reader produces: experiments, runs (with their provenance), params,
//! tags, metric points, artifact listings and warnings. Nothing here knows about SQLite
//! or a GUI.

use std::path::PathBuf;

/// Lifecycle state of a run, normalised across all store kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Status {
    Running,
    Finished,
    Failed,
    Killed,
    Scheduled,
    #[default]
    Unknown,
}

impl Status {
    /// The lower-case name used in the CLI's JSON and in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Failed => "failed",
            Status::Killed => "killed",
            Status::Scheduled => "scheduled",
            Status::Unknown => "unknown",
        }
    }

    /// Parses the names used by [`Status::as_str`] and by MLflow (`FINISHED`, ...).
    pub fn parse(s: &str) -> Status {
        match s.trim().to_ascii_lowercase().as_str() {
            "running" => Status::Running,
            "finished" | "completed" | "success" => Status::Finished,
            "failed" | "failure" | "crashed" => Status::Failed,
            "killed" | "interrupted" => Status::Killed,
            "scheduled" | "queued" => Status::Scheduled,
            _ => Status::Unknown,
        }
    }
}

/// One metric point as stored by the tracking library.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub step: i64,
    /// Wall time in milliseconds since the Unix epoch (0 when the store has none).
    pub time_ms: i64,
    pub value: f64,
}

/// An experiment (MLflow experiment, W&B project, ...). Runs refer to it by `native_id`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExperimentInfo {
    pub name: String,
    pub deleted: bool,
}

/// Descriptive fields of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInfo {
    /// Native id of the experiment the run belongs to (see [`ExperimentUpdate`]).
    pub experiment: Option<String>,
    pub name: String,
    pub status: Status,
    /// Deleted by the user (MLflow lifecycle stage `deleted`, a trashed experiment, ...).
    pub deleted: bool,
    /// Native id of the parent run in the same store, for nested runs.
    pub parent: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub user: Option<String>,
    /// Where the run came from, as its tracker recorded it. Its `git.commit` is the run's
    /// commit (the `commit` of filters and of the CLI's JSON).
    pub provenance: Provenance,
    /// Local folder holding the run's artifacts, resolved to an existing path.
    pub artifact_dir: Option<PathBuf>,
    /// Who the run is, independent of where its store is: the key of the user's notes,
    /// stars and labels, so they survive a moved or re-mounted store, a store root that
    /// discovery regrouped, and any rebuild of the cache. `None`: the native id is that
    /// identity already (MLflow, W&B and Neptune run ids). Readers whose native id is a
    /// path below a root that can move give one from the run's own content (see
    /// ARCHITECTURE.md, "Run identity, per reader").
    pub identity: Option<String>,
}

/// Where a run came from and in which environment, as its tracker recorded it: what ran,
/// from which code, with which packages, on which machine. Filled by each reader from
/// its tracker's own fields (see ARCHITECTURE.md, "Provenance, per reader"); a field the
/// tracker did not record is `None` or empty, never guessed. Paths are text as recorded
/// (they name the machine the run ran on), except the local files below, which are
/// paths on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The script or entry point that ran (`/home/me/proj/train.py`, `train.py`).
    pub program: Option<String>,
    /// The program's command-line arguments. `None`: the tracker does not record them
    /// (not the same as a run started without arguments, `Some(vec![])`).
    pub args: Option<Vec<String>>,
    /// The interpreter that ran the program (`/home/me/.venv/bin/python`).
    pub interpreter: Option<String>,
    /// The folder a relative `program` is relative to (and the command ran from).
    pub workdir: Option<String>,
    pub git: GitState,
    /// The Python version, as the tracker wrote it (`CPython 3.11.7`, `3.11.7`).
    pub python: Option<String>,
    /// Requirement lines (`numpy==2.4.6`, or a bare name where the tracker kept no
    /// version), in the tracker's order, without duplicates.
    pub packages: Vec<String>,
    /// Local paths of the files that describe the run's environment: `requirements.txt`,
    /// `conda.yaml`, `python_env.yaml`, `conda-environment.yaml`, `diff.patch`.
    pub environment_files: Vec<String>,
    /// Local paths of the copies of the run's source files the tracker saved.
    pub source_files: Vec<String>,
    /// Host name of the machine the run ran on.
    pub host: Option<String>,
    /// Its operating system (`Linux-6.8.0-x86_64-with-glibc2.36`).
    pub os: Option<String>,
}

/// The git state of the code a run ran from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitState {
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// The remote's URL.
    pub remote: Option<String>,
    /// Whether the working tree had uncommitted changes; `None`: not recorded.
    pub dirty: Option<bool>,
}

impl Provenance {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        *self == Provenance::default()
    }

    /// Appends requirement lines from the text of a `requirements.txt`: blank lines,
    /// comments and pip options (`-r other.txt`, `--index-url ...`) are not packages.
    pub fn add_requirements(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split_once(" #").map_or(line, |(l, _)| l).trim();
            if !line.is_empty() && !line.starts_with('#') && !line.starts_with('-') {
                self.add_package(line);
            }
        }
    }

    /// Appends one requirement, unless it is there already.
    pub fn add_package(&mut self, requirement: &str) {
        if !self.packages.iter().any(|p| p == requirement) {
            self.packages.push(requirement.to_string());
        }
    }
}

/// One file of a run: below its artifact folder, or embedded in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Path relative to the artifact folder, `/`-separated (for embedded artifacts, a
    /// name chosen by the reader, e.g. `images/<tag>/<step>.png`).
    pub path: String,
    pub size: u64,
    /// For artifacts embedded in another file (TensorBoard images, W&B media in the
    /// log): `<file relative to the store root>#<byte offset of the record>`.
    pub origin: Option<String>,
}

/// A dataset a run consumed, as its tracker records it (MLflow's dataset inputs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetInput {
    pub name: String,
    /// The tracker's content digest of the dataset.
    pub digest: String,
    /// What the run used it for (`training`, `eval`), if recorded.
    pub context: Option<String>,
    /// Where it came from: the kind (`local`, `http`, `hugging_face`, `code`) and the
    /// tracker's description of the place (JSON as MLflow writes it).
    pub source_type: Option<String>,
    pub source: Option<String>,
}

/// New points for one metric key of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesUpdate {
    pub key: String,
    /// `Append` adds to what the index holds; `Replace` throws the stored points away
    /// first (a `Replace` with no points removes the series).
    pub mode: SeriesMode,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesMode {
    Append,
    Replace,
}

/// A problem found while reading a store. Reading always goes on with everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// File the problem is in, relative to the store root (`/`-separated), if any.
    pub file: Option<String>,
    /// Where in the file: `line 12`, `byte 4096`, ...
    pub location: Option<String>,
    pub message: String,
}

impl Warning {
    pub fn new(file: impl Into<String>, location: Option<String>, message: impl Into<String>) -> Self {
        Warning { file: Some(file.into()), location, message: message.into() }
    }
}

/// What the index remembers about one file between scans, so a rescan can skip
/// unchanged files and resume appended ones; or, for state that is not a file's, a
/// reader's own cursor (a timestamp, a page token, a row id, a run's accumulated state).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileMark {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
    /// Bytes consumed (append-only files), or a reader-defined high-water mark
    /// (e.g. the last SQLite rowid read).
    pub offset: u64,
    /// Reader-defined fingerprint (e.g. a hash over a folder listing).
    pub hash: u64,
    /// Reader-defined cursor, kept verbatim: what a reader needs next time that is not a
    /// file's size, time or offset (a server's page token or `last_update_time`, state
    /// accumulated from bytes read by earlier scans). `None` for plain file marks.
    pub cursor: Option<String>,
}

impl FileMark {
    /// A mark for a file's current metadata, with nothing consumed yet.
    pub fn of(meta: &std::fs::Metadata) -> FileMark {
        use std::os::unix::fs::MetadataExt;
        FileMark { size: meta.len(), mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(), inode: meta.ino(), offset: 0, hash: 0, cursor: None }
    }

    /// Same file, same size, same modification time.
    pub fn same_file(&self, other: &FileMark) -> bool {
        self.size == other.size && self.mtime_ns == other.mtime_ns && self.inode == other.inode
    }
}

/// Everything about one experiment that changed since the last scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExperimentUpdate {
    pub native_id: String,
    /// `None`: unchanged since the last scan (the experiment still exists).
    pub info: Option<ExperimentInfo>,
    /// `Some`: the complete set of file marks owned by this experiment, replacing the old set.
    pub marks: Option<Vec<(String, FileMark)>>,
    /// Replace the experiment's warnings when `marks` is `Some`.
    pub warnings: Vec<Warning>,
}

/// Everything about one run that changed since the last scan. A run that is seen but
/// unchanged is sent with every `Option` left `None` and nothing else, so the index
/// knows it still exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunUpdate {
    pub native_id: String,
    pub info: Option<RunInfo>,
    /// Full replacement of the params, when `Some`. Nested config is flattened with `.`
    /// (`model.depth`), except where the tracker's own paths use `/` (Neptune namespaces).
    pub params: Option<Vec<(String, String)>>,
    /// Full replacement of the tags, when `Some`. Key-value tags as the tracker has them;
    /// label-style tags (W&B, Neptune) become one tag each with the label as key and an
    /// empty value; other tracker fields worth filtering on (W&B group, job type, notes)
    /// become tags prefixed with the source (`wandb.group`).
    pub tags: Option<Vec<(String, String)>>,
    pub series: Vec<SeriesUpdate>,
    /// Full replacement of the artifact listing, when `Some`.
    pub artifacts: Option<Vec<Artifact>>,
    /// Full replacement of the datasets the run consumed, when `Some`.
    pub datasets: Option<Vec<DatasetInput>>,
    /// `Some`: the complete set of file marks owned by this run, replacing the old set.
    /// Committed in the same transaction as the data above.
    pub marks: Option<Vec<(String, FileMark)>>,
    /// Files of this run read from their start in this update (relative to the store
    /// root): their old warnings are void. When `marks` is `Some`, warnings of files no
    /// longer marked and warnings without a file are void too.
    pub reread: Vec<String>,
    /// New warnings about this run.
    pub warnings: Vec<Warning>,
}

/// One message from a reader to whoever is building the index.
// Updates are moved once, reader to writer; boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Experiment(ExperimentUpdate),
    Run(RunUpdate),
    /// Store-level files and warnings (not owned by a run or experiment); replaces the
    /// previous store-level set.
    Store {
        marks: Vec<(String, FileMark)>,
        warnings: Vec<Warning>,
    },
    /// The whole store is unchanged since the last scan: keep everything as it is.
    Unchanged,
    /// `done` of `total` units of work (runs, usually) are read.
    Progress {
        done: u64,
        total: u64,
    },
}
