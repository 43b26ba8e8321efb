//! The Runlens index: one SQLite database (WAL mode) caching every run of every store the
//! user registered, so browsing never waits on the stores themselves.
//!
//! * [`Index::add`] discovers stores below folders and indexes them; [`Index::scan`]
//!   rescans everything incrementally (unchanged files cost a stat, appended files resume
//!   from their offset).
//! * [`Index::runs`], [`Index::series`], [`Index::stores`], [`Index::warnings`] read it back
//!   as plain structs; the CLI, the app and reports all consume the same structs.
//!
//! The index knows formats only through [`runlens_sources::Reader`]. It is a cache: the
//! cache tables can always be rebuilt from the stores; user data lives apart (see
//! [`schema`]). Nothing here writes anywhere but the index file.

pub mod across;
mod annotations;
pub mod artifacts;
pub mod attached;
pub mod axes;
pub mod chart;
pub mod compare;
pub mod diff;
pub mod documents;
pub mod filter;
pub mod format;
pub mod hashes;
mod ingest;
pub mod kinds;
pub mod provenance;
mod query;
pub mod schema;
pub mod series;
pub mod storage;
pub mod thumbs;
mod turns;
pub mod view;
pub mod watch;

use std::path::{Path, PathBuf};

pub use runlens_sources::Location;
use runlens_sources::{DiscoverError, FoundStore, Reader, Warning, all_readers, discover, discover_with, reader_for_url};
use rusqlite::{Connection, OptionalExtension, params};

pub use annotations::AnnotationChange;
pub use ingest::{ReadProgress, ScanStats};
pub use query::{MetricSummary, RunFile, RunRecord, RunsQuery, StoreInfo, StoreWarning};
pub use runlens_sources::{Artifact, DatasetInput, GitState, LocationError, Point, Provenance, Status};

/// Namespace of Runlens run ids (uuid v5).
const RUN_ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1d_52a4_7c3e_4b8e_9a55_2d1c_0e7b_3f60);

/// Errors of the index itself. Problems inside stores are warnings, not errors.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("cannot create the index folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("no run with id {0}")]
    UnknownRun(String),
    #[error("no store with id {0}")]
    UnknownStore(i64),
    #[error("bad filter {0}")]
    Filter(#[from] filter::FilterError),
    #[error("bad sort key {0}")]
    Sort(filter::FilterError),
    #[error("a label cannot be empty")]
    EmptyLabel,
    #[error("cannot take the scan lock {path}: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    #[error("{path} {why}")]
    Artifact { path: String, why: String },
    /// A folder that cannot be attached to or detached from a run.
    #[error("{path} {why}")]
    Attach { path: String, why: String },
    #[error("no reader reads stores at {0} (Runlens reads folders and files of run stores; tracking servers are not read yet)")]
    NoReaderForUrl(String),
}

/// "database is locked" or "database table is locked".
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// The stable id of a run: the same store and native id always give the same id.
pub fn run_id(reader: &str, root: &str, native_id: &str) -> String {
    uuid::Uuid::new_v5(&RUN_ID_NAMESPACE, format!("{reader}\n{root}\n{native_id}").as_bytes()).to_string()
}

/// Where the app and the CLI keep their shared index unless told otherwise:
/// `$RUNLENS_DB`, else `$XDG_DATA_HOME/dev.runlens.desktop/index.sqlite`
/// (`~/.local/share/...` when unset).
pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNLENS_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("dev.runlens.desktop").join("index.sqlite")
}

/// Now, in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// What is happening during [`Index::add`] or [`Index::scan`], for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Looking for stores below a folder.
    Discovering { path: PathBuf },
    /// Starting to read store `index` of `count`.
    Store { index: usize, count: usize, reader: &'static str, root: String },
    /// Runs read so far in the current store.
    Reading { done: u64, total: u64 },
}

/// The outcome for one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReport {
    pub store: StoreInfo,
    pub stats: ScanStats,
}

/// The outcome of [`Index::add`] or [`Index::scan`].
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    pub stores: Vec<StoreReport>,
    /// Folders that could not be searched (not tied to a store).
    pub warnings: Vec<Warning>,
}

/// An open index. Several processes may open the same file at once.
pub struct Index {
    conn: Connection,
    path: PathBuf,
    /// Every reader this build knows, plus any given by [`Index::with_reader`].
    readers: Vec<Box<dyn Reader>>,
}

impl Index {
    /// Opens (creating if needed) the index at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| IndexError::CreateDir { path: dir.to_path_buf(), source: e })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // Big ingests (profiled with 100k runs): a 32 MiB page cache and statement
        // journals in memory keep index maintenance off the disk, and checkpointing every
        // 32 MiB of WAL instead of every 4 MiB writes pages rewritten many times only once.
        // A fresh index opened by several processes at once: switching it to WAL and its
        // first migration take locks SQLite does not wait for (a lock upgrade answers
        // "database is locked" at once), so the setup is tried again until the busy
        // timeout, as any other wait for the index is.
        let started = std::time::Instant::now();
        loop {
            let setup = conn
                .execute_batch(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
                     PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192;",
                )
                .and_then(|()| schema::migrate(&mut conn));
            match setup {
                Err(e) if is_busy(&e) && started.elapsed() < std::time::Duration::from_secs(30) => {
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        filter::register_functions(&conn)?;
        rusqlite::vtab::array::load_module(&conn)?;
        Ok(Index { conn, path: path.to_path_buf(), readers: all_readers() })
    }

    /// This index, also reading stores with `reader` (one this build does not list in
    /// `all_readers`: a test's, an embedder's). Detection tries it after the others.
    pub fn with_reader(mut self, reader: Box<dyn Reader>) -> Index {
        self.readers.push(reader);
        self
    }

    fn reader(&self, id: &str) -> Option<&dyn Reader> {
        self.readers.iter().find(|r| r.id() == id).map(|r| r.as_ref())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finds every store below each path and indexes it; a URL is the store of the reader
    /// that accepts it. Every location is checked first: a missing path or a URL no reader
    /// reads is an error before anything is indexed.
    pub fn add<L: Clone + Into<Location>>(&mut self, locations: &[L], progress: &mut dyn FnMut(Progress)) -> Result<ScanReport, IndexError> {
        let locations: Vec<Location> = locations.iter().cloned().map(Into::into).collect();
        for location in &locations {
            match location {
                Location::Path(p) if std::fs::symlink_metadata(p).is_err() => return Err(DiscoverError::Missing(p.clone()).into()),
                Location::Url(u) if reader_for_url(&self.readers, u).is_none() => return Err(IndexError::NoReaderForUrl(location.stored())),
                _ => {}
            }
        }
        let mut report = ScanReport::default();
        let mut found = Vec::new();
        for location in &locations {
            let ids = match location {
                Location::Path(p) => self.add_folder(p, &mut report, progress)?,
                Location::Url(u) => {
                    let reader = reader_for_url(&self.readers, u).map(|r| r.id()).ok_or_else(|| IndexError::NoReaderForUrl(location.stored()))?;
                    vec![self.register(reader, location)?]
                }
            };
            for id in ids {
                if !found.contains(&id) {
                    found.push(id);
                }
            }
        }
        report.stores = self.scan_stores(&found, progress, &locations)?;
        Ok(report)
    }

    /// Records a folder the user added and registers the stores found below it.
    fn add_folder(&mut self, p: &Path, report: &mut ScanReport, progress: &mut dyn FnMut(Progress)) -> Result<Vec<i64>, IndexError> {
        // The folder is recorded first: an `add` killed at any later moment leaves it
        // for the next `scan`, which discovers and reads what is below it.
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        self.conn.execute("INSERT OR IGNORE INTO user_folders (path, added_ms) VALUES (?1, ?2)", params![canonical.to_string_lossy(), now_ms()])?;
        progress(Progress::Discovering { path: p.to_path_buf() });
        let discovery = discover(p, &self.readers)?;
        report.warnings.extend(discovery.warnings);
        let mut ids = Vec::new();
        for s in discovery.stores {
            ids.push(self.register(s.reader, &Location::Path(s.root))?);
        }
        Ok(ids)
    }

    /// Rescans every registered store, after looking for new stores below the folders the
    /// user added. Unchanged files are not read.
    pub fn scan(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<ScanReport, IndexError> {
        let mut report = ScanReport::default();
        let folders: Vec<String> =
            self.conn.prepare("SELECT path FROM user_folders ORDER BY path")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let known: Vec<FoundStore> = self
            .conn
            .prepare("SELECT reader, root FROM stores")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .filter_map(|row| {
                let (reader, root) = row.ok()?;
                let Location::Path(root) = Location::from_stored(&root) else { return None };
                Some(FoundStore { reader: self.reader(&reader)?.id(), root })
            })
            .collect();
        for folder in folders {
            let path = PathBuf::from(&folder);
            progress(Progress::Discovering { path: path.clone() });
            match discover_with(&path, &self.readers, &known) {
                Ok(d) => {
                    report.warnings.extend(d.warnings);
                    for s in d.stores {
                        self.register(s.reader, &Location::Path(s.root))?;
                    }
                }
                Err(e) => report.warnings.push(Warning { file: Some(folder), location: None, message: e.to_string() }),
            }
        }
        let ids: Vec<i64> = self.conn.prepare("SELECT id FROM stores ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        report.stores = self.scan_stores(&ids, progress, &[])?;
        Ok(report)
    }

    /// Rescans the given stores only (what a file watcher reports), incrementally.
    pub fn rescan(&mut self, store_ids: &[i64], progress: &mut dyn FnMut(Progress)) -> Result<Vec<StoreReport>, IndexError> {
        self.scan_stores(store_ids, progress, &[])
    }

    /// The store's id, registering it first if it is new. A root inside a registered
    /// store of the same reader is that store; a root that contains registered stores of
    /// the same reader replaces them (runs grouped by discovery whose common folder moved
    /// up as more runs appeared). A URL is a store of its own.
    fn register(&mut self, reader: &str, location: &Location) -> Result<i64, IndexError> {
        // It may remove stores another process is scanning: wait for its turn.
        let _turn = turns::ScanTurn::wait(&self.path)?;
        if let Location::Path(root) = location {
            let existing: Vec<(i64, String)> = self
                .conn
                .prepare("SELECT id, root FROM stores WHERE reader = ?1")?
                .query_map([reader], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (id, other) in &existing {
                if root.starts_with(other) {
                    return Ok(*id);
                }
            }
            for (id, other) in &existing {
                if Path::new(other).starts_with(root) {
                    ingest::remove_store(&self.conn, *id)?;
                }
            }
        }
        let root = location.stored();
        let source = self.reader(reader).map(|r| r.source()).unwrap_or(reader);
        self.conn.execute(
            "INSERT OR IGNORE INTO stores (reader, source, root, added_ms) VALUES (?1, ?2, ?3, ?4)",
            params![reader, source, root, now_ms()],
        )?;
        Ok(self.conn.query_row("SELECT id FROM stores WHERE reader = ?1 AND root = ?2", params![reader, root], |r| r.get(0))?)
    }

    /// Scans the stores `ids`, one turn each. A URL store whose URL is in `given` (what
    /// the user just added) is read with that URL, credentials included; the index keeps
    /// it without them.
    fn scan_stores(&mut self, ids: &[i64], progress: &mut dyn FnMut(Progress), given: &[Location]) -> Result<Vec<StoreReport>, IndexError> {
        let mut reports = Vec::new();
        let allowed: Vec<PathBuf> = self
            .conn
            .prepare("SELECT path FROM user_folders")?
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|p| p.map(PathBuf::from))
            .collect::<Result<_, _>>()?;
        for (index, &id) in ids.iter().enumerate() {
            // Marks are read and written under the turn: see `turns`.
            let _turn = turns::ScanTurn::wait(&self.path)?;
            let Some((reader_id, root)): Option<(String, String)> =
                self.conn.query_row("SELECT reader, root FROM stores WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?
            else {
                continue;
            };
            let Some(reader) = self.reader(&reader_id) else { continue };
            progress(Progress::Store { index, count: ids.len(), reader: reader.id(), root: root.clone() });
            let location = given.iter().find(|g| g.stored() == root).cloned().unwrap_or_else(|| Location::from_stored(&root));
            let stats = if location.as_path().is_none_or(Path::exists) {
                let scanned = ingest::scan_store(&self.conn, id, reader, &root, &location, &allowed, &mut |p| {
                    progress(Progress::Reading { done: p.done, total: p.total })
                });
                match scanned {
                    Ok(stats) => stats,
                    // One store's failure never stops the others: what was committed of it
                    // stays (with its marks), the rest is rolled back and the store says why.
                    Err(e) => {
                        if !self.conn.is_autocommit() {
                            let _ = self.conn.execute_batch("ROLLBACK");
                        }
                        let error = format!("indexing stopped: {e}");
                        self.conn.execute("UPDATE stores SET error = ?1, error_kind = ?2 WHERE id = ?3", params![error, e.kind().code(), id])?;
                        ScanStats { error: Some(error), ..Default::default() }
                    }
                }
            } else {
                // Keep the cached runs (browsable offline), say why nothing was read.
                let error = format!("{root} is missing (moved, deleted or not mounted); showing the runs indexed before");
                self.conn.execute(
                    "UPDATE stores SET error = ?1, error_kind = ?2 WHERE id = ?3",
                    params![error, kinds::ErrorKind::MissingPath.code(), id],
                )?;
                ScanStats { error: Some(error), ..Default::default() }
            };
            let store = self.store(id)?.ok_or(IndexError::UnknownStore(id))?;
            reports.push(StoreReport { store, stats });
        }
        Ok(reports)
    }
}
