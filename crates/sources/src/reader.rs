//! The one trait every store format implements, and the context a scan runs in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::{ExperimentInfo, ExperimentUpdate, FileMark, RunUpdate, Update};

/// A folder seen during discovery: its path and the names of its children.
pub struct DirView<'a> {
    pub path: &'a Path,
    pub dirs: &'a [String],
    pub files: &'a [String],
}

impl DirView<'_> {
    pub fn has_file(&self, name: &str) -> bool {
        self.files.iter().any(|f| f == name)
    }
    pub fn has_dir(&self, name: &str) -> bool {
        self.dirs.iter().any(|d| d == name)
    }
}

/// A store (or a lone run) found by [`Reader::detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The store root: a folder, or a file for single-file stores (SQLite databases).
    pub root: PathBuf,
    /// `root` is one run's folder (or file) of a format with no store folder of its own
    /// (TensorBoard, DVCLive, ...). Discovery merges a reader's lone runs into one store
    /// rooted at the common ancestor of their parent folders (never above the searched
    /// path); the reader's `scan` then finds the runs below that root itself.
    pub lone_run: bool,
}

impl Detected {
    /// A store rooted at `root`.
    pub fn store(root: PathBuf) -> Detected {
        Detected { root, lone_run: false }
    }

    /// One run of a format whose runs are grouped into a store by discovery.
    pub fn lone_run(root: PathBuf) -> Detected {
        Detected { root, lone_run: true }
    }
}

/// Receives the updates a reader produces. Implementations must be cheap to call from
/// several threads at once.
pub trait Sink: Sync {
    fn send(&self, update: Update);
}

impl<F: Fn(Update) + Sync> Sink for F {
    fn send(&self, update: Update) {
        self(update)
    }
}

/// What a reader gets for one scan of one store.
pub struct ScanContext<'a> {
    /// The store root returned by [`Reader::detect`]; empty for a store at a URL.
    pub root: &'a Path,
    /// The store's URL, for stores that are not on a local filesystem (a tracking server,
    /// see [`Reader::accepts_url`]); `None` for folder and file stores.
    pub url: Option<&'a crate::Url>,
    /// File marks recorded by the previous scan, keyed by path relative to `root`.
    pub previous: &'a HashMap<String, FileMark>,
    pub sink: &'a dyn Sink,
    /// Folders the user added (canonical paths). Besides the store's own folder, only
    /// these may be read when a store points elsewhere (an artifact location).
    pub allowed: &'a [PathBuf],
    /// The store's own folder, canonical: found once, on the first [`Self::may_read`].
    store_dir: std::sync::OnceLock<PathBuf>,
}

impl<'a> ScanContext<'a> {
    /// A scan of the store at `root` that may read only inside the store's own folder.
    pub fn new(root: &'a Path, previous: &'a HashMap<String, FileMark>, sink: &'a dyn Sink) -> ScanContext<'a> {
        ScanContext { root, previous, sink, url: None, allowed: &[], store_dir: std::sync::OnceLock::new() }
    }

    /// A scan of the store at `url`: it may read no local file but inside the folders the
    /// user added ([`Self::with_allowed`]).
    pub fn for_url(url: &'a crate::Url, previous: &'a HashMap<String, FileMark>, sink: &'a dyn Sink) -> ScanContext<'a> {
        ScanContext { url: Some(url), ..ScanContext::new(Path::new(""), previous, sink) }
    }

    /// The same scan, allowed to read inside the folders the user added too.
    pub fn with_allowed(self, allowed: &'a [PathBuf]) -> ScanContext<'a> {
        ScanContext { allowed, ..self }
    }

    /// Whether a location the store points to lies inside the store's folder (the root,
    /// or the folder of a single-file store) or inside a folder the user added. Anything
    /// else (`artifact_uri: file:///`, `/etc`) is not walked without the user adding it.
    pub fn may_read(&self, path: &Path) -> bool {
        let Ok(path) = std::fs::canonicalize(path) else { return false };
        if self.url.is_some() {
            return self.allowed.iter().any(|a| path.starts_with(a));
        }
        let store_dir = self.store_dir.get_or_init(|| {
            let dir = if self.root.is_dir() { self.root } else { self.root.parent().unwrap_or(self.root) };
            std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
        });
        path.starts_with(store_dir) || self.allowed.iter().any(|a| path.starts_with(a))
    }

    /// Reads `runs` in parallel, one update each: `read` makes a run's update (plus a value
    /// to collect, `()` when there is none), which is sent as soon as it is made, with
    /// progress as runs are done. The values come back in the order of `runs`.
    pub fn read_runs<T: Sync, R: Send>(&self, runs: &[T], read: impl Fn(&T) -> (RunUpdate, R) + Sync + Send) -> Vec<R> {
        use rayon::prelude::*;
        use std::sync::atomic::{AtomicU64, Ordering};
        let total = runs.len() as u64;
        let done = AtomicU64::new(0);
        self.send(Update::Progress { done: 0, total });
        runs.par_iter()
            .map(|run| {
                let (update, value) = read(run);
                self.send(Update::Run(update));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(16) || n == total {
                    self.send(Update::Progress { done: n, total });
                }
                value
            })
            .collect()
    }

    /// Sends an experiment that owns no files of its own (its marks and warnings are
    /// none), as formats without experiment records have them.
    pub fn send_experiment(&self, native_id: &str, name: &str) {
        self.send(Update::Experiment(ExperimentUpdate {
            native_id: native_id.to_string(),
            info: Some(ExperimentInfo { name: name.to_string(), deleted: false }),
            marks: Some(Vec::new()),
            warnings: Vec::new(),
        }));
    }

    /// For formats with no experiments of their own (TensorBoard, DVCLive, HF Trainer):
    /// one experiment named after the store's folder. Returns its name (= native id).
    pub fn send_root_experiment(&self) -> String {
        let name = crate::util::folder_name(self.root);
        self.send_experiment(&name, &name);
        name
    }

    pub fn previous(&self, rel: &str) -> Option<&FileMark> {
        self.previous.get(rel)
    }
    pub fn send(&self, update: Update) {
        self.sink.send(update)
    }
}

/// Why a store could not be read at all. Problems inside a store are
/// [`crate::Warning`]s instead; a reader returns an error only when nothing can be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a {kind} store: {reason}")]
    NotAStore { path: PathBuf, kind: &'static str, reason: String },
    #[error("cannot read database {path}: {message}")]
    Database { path: PathBuf, message: String },
}

impl ReadError {
    pub fn io(path: &Path, source: std::io::Error) -> ReadError {
        ReadError::Io { path: path.to_path_buf(), source }
    }
}

/// A run-store format. One implementation per format, one file per implementation; the
/// index knows only this trait.
pub trait Reader: Send + Sync {
    /// Stable identifier of the format, stored with each store (`mlflow-file`).
    fn id(&self) -> &'static str;
    /// The `source` name users see (`mlflow`); several formats may share one.
    fn source(&self) -> &'static str;
    /// True when a folder store of this format owns everything below its root (MLflow's
    /// `mlruns/`, W&B's `wandb/`): discovery does not look inside it.
    fn owns_subtree(&self) -> bool {
        false
    }
    /// Looks at one folder during discovery and returns the stores rooted in it (the
    /// folder itself, or single-file stores among its files). Must not read more than a
    /// few small files.
    fn detect(&self, dir: &DirView) -> Vec<Detected>;
    /// True when this reader reads the store at `url` (a tracking server). A URL the user
    /// adds goes to the first reader that accepts it; it must decide from the URL alone
    /// (no request), and the store is then scanned with [`ScanContext::url`] set.
    fn accepts_url(&self, _url: &crate::Url) -> bool {
        false
    }
    /// Reads the store at `ctx.root` (or `ctx.url`), sending updates for everything that changed since
    /// the marks in `ctx.previous`, and an update for every run and experiment that still
    /// exists. Problems inside the store become warnings; only a store that cannot be read
    /// at all is an error.
    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError>;
    /// The bytes of the file `path` a scan listed as embedded in the store file `log` (an
    /// [`Artifact`](crate::Artifact) with an `origin` of `<log>#<offset>`; the caller has
    /// resolved `log` inside the store). `None`: this format does not extract its
    /// embedded files yet.
    fn embedded_file(&self, _log: &Path, _offset: u64, _path: &str) -> Option<Result<Vec<u8>, String>> {
        None
    }
}
