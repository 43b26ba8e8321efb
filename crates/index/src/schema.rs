//! Schema and migrations. Two independent parts live in one database file:
//!
//! * the **cache** (stores, runs, params, tags, metric summaries and series, artifact
//!   listings, file marks, warnings): derived from the stores, versioned by
//!   [`CACHE_VERSION`]. A version change drops and recreates it; the next scan refills it.
//! * **user data** (the folders the user added; notes, stars, labels; metric directions;
//!   folders attached to runs): never dropped,
//!   migrated step by step. Annotations are keyed by (source, run identity), not by store
//!   root, so they survive any rebuild of the cache, a moved or re-mounted store, and a
//!   store root that discovery regrouped (see `annotations.rs`).

use rusqlite::{Connection, OptionalExtension};

/// Bump when the cache layout changes; the cache is then rebuilt from the stores.
/// 7: `files.cursor`; 8: `runs.provenance`; 9: `datasets`; 10: W&B and DVC datasets (read
/// again from unchanged runs).
pub const CACHE_VERSION: i64 = 10;

/// User-data migrations, applied in order; the user version is their count.
const USER_MIGRATIONS: &[&str] = &[
    // 1: folders the user added (rescans discover new stores below them) and per-run notes.
    "CREATE TABLE user_folders (
        path TEXT PRIMARY KEY,
        added_ms INTEGER NOT NULL
    );
    CREATE TABLE user_runs (
        store_root TEXT NOT NULL,
        native_id TEXT NOT NULL,
        starred INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        labels TEXT NOT NULL DEFAULT '',
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (store_root, native_id)
    );",
    // 2: notes, stars and labels keyed by what the run is, not where its store is:
    // (source, identity), see `RunInfo::identity`. `user_runs` (keyed by store root) was
    // never written by any release, so nothing is lost by dropping it.
    "CREATE TABLE user_annotations (
        source TEXT NOT NULL,
        identity TEXT NOT NULL,
        starred INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (source, identity)
    );
    CREATE TABLE user_labels (
        source TEXT NOT NULL,
        identity TEXT NOT NULL,
        label TEXT NOT NULL,
        added_ms INTEGER NOT NULL,
        PRIMARY KEY (source, identity, label)
    );
    CREATE INDEX user_labels_label ON user_labels (label, source, identity);
    DROP TABLE user_runs;",
    // 3: which way is better for a metric key, where the user chose (compare.rs); keys
    // without a row are guessed from their name.
    "CREATE TABLE user_directions (
        key TEXT PRIMARY KEY,
        lower_is_better INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );",
    // 4: folders the user attached to a run as more of its files (attached.rs), keyed
    // like annotations.
    "CREATE TABLE user_attached (
        source TEXT NOT NULL,
        identity TEXT NOT NULL,
        folder TEXT NOT NULL,
        added_ms INTEGER NOT NULL,
        PRIMARY KEY (source, identity, folder)
    );",
    // 5: content hashes of runs' files (hashes.rs), by the path the index knows a file
    // at, valid while its size and mtime are these. Derived, but costly to redo, so a
    // rebuild of the cache keeps them.
    "CREATE TABLE file_hashes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        blake3 TEXT NOT NULL
    );",
];

const CACHE_TABLES: &[&str] = &["stores", "experiments", "runs", "params", "tags", "metrics", "chunks", "artifacts", "datasets", "files", "warnings"];

const CACHE_SCHEMA: &str = "
CREATE TABLE stores (
    id INTEGER PRIMARY KEY,
    reader TEXT NOT NULL,          -- Reader::id, e.g. mlflow-file
    source TEXT NOT NULL,          -- Reader::source, e.g. mlflow
    root TEXT NOT NULL,            -- canonical path of the store root
    added_ms INTEGER NOT NULL,
    scanned_ms INTEGER,
    error TEXT,                    -- why the last scan could not read the store at all
    error_kind TEXT,               -- kinds::ErrorKind::code of `error`
    UNIQUE (reader, root)
);
CREATE TABLE experiments (
    store_id INTEGER NOT NULL,
    native_id TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (store_id, native_id)
) WITHOUT ROWID;
CREATE TABLE runs (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,       -- stable uuid v5 of (reader, root, native id)
    store_id INTEGER NOT NULL,
    native_id TEXT NOT NULL,
    identity TEXT NOT NULL,        -- RunInfo::identity (or the native id): the key of user data
    experiment_native TEXT,
    experiment TEXT,               -- experiment name, denormalised for filtering
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    parent TEXT,                   -- runs.id of the parent run
    start_ms INTEGER,
    end_ms INTEGER,
    user TEXT,
    git_commit TEXT,               -- the provenance's git commit, for filters
    provenance TEXT,               -- RunInfo::provenance as JSON (provenance.rs); NULL when nothing is recorded
    artifact_dir TEXT,
    UNIQUE (store_id, native_id)
);
CREATE TABLE params (
    rid INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    num REAL,                      -- the value as a number, when it is one
    PRIMARY KEY (rid, key)
) WITHOUT ROWID;
CREATE TABLE tags (
    rid INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rid, key)
) WITHOUT ROWID;
-- One row per series with its summary in columns (first/last in logging order);
-- NULL min/max/first/last mean NaN.
CREATE TABLE metrics (
    sid INTEGER PRIMARY KEY,
    rid INTEGER NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    first REAL,
    last REAL,
    min REAL,
    max REAL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    last_time_ms INTEGER NOT NULL,
    max_step INTEGER NOT NULL,
    latest REAL,                   -- MLflow's latest: at max_step, highest time, largest value
    latest_time_ms INTEGER NOT NULL DEFAULT 0, -- its time, to break ties on appends
    UNIQUE (rid, key)
);
-- Full-resolution points, sorted by step, in compact chunks (see series.rs).
CREATE TABLE chunks (
    sid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    n INTEGER NOT NULL,
    step_min INTEGER NOT NULL,
    step_max INTEGER NOT NULL,
    time_min INTEGER NOT NULL,     -- wall-time bounds, so time-axis zooms skip chunks too
    time_max INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sid, seq)
);
CREATE TABLE artifacts (
    rid INTEGER NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    origin TEXT,                   -- '<file>#<offset>' for artifacts embedded in another file
    PRIMARY KEY (rid, path)
) WITHOUT ROWID;
-- The datasets each run consumed (MLflow dataset inputs): `datasets.*` in filters.
CREATE TABLE datasets (
    rid INTEGER NOT NULL,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    context TEXT,
    source_type TEXT,
    source TEXT
);
CREATE INDEX datasets_rid ON datasets (rid);
-- What each file looked like when last read: the basis of incremental rescans.
CREATE TABLE files (
    store_id INTEGER NOT NULL,
    path TEXT NOT NULL,            -- relative to the store root
    owner TEXT NOT NULL,           -- '' (store), 'e:<native id>' or 'r:<native id>'
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    hash INTEGER NOT NULL,
    cursor TEXT,                   -- a reader's own state (page token, timestamp, JSON)
    PRIMARY KEY (store_id, path)
) WITHOUT ROWID;
CREATE INDEX files_owner ON files (store_id, owner);
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    store_id INTEGER NOT NULL,
    owner TEXT NOT NULL,
    file TEXT,
    location TEXT,
    message TEXT NOT NULL
);
CREATE INDEX warnings_owner ON warnings (store_id, owner);
CREATE INDEX runs_store ON runs (store_id);
CREATE INDEX runs_identity ON runs (identity);
-- Filters look rows up by key (`metrics.acc > 0.9`), the table orders by start time.
-- Covering indexes for the aggregates filters and sorts use most: a filter reads a
-- range of one, a sort walks one in order.
CREATE INDEX metrics_latest ON metrics (key, latest, rid);
CREATE INDEX metrics_min ON metrics (key, min, rid);
CREATE INDEX metrics_max ON metrics (key, max, rid);
CREATE INDEX params_key ON params (key, value);
CREATE INDEX params_key_num ON params (key, num);
CREATE INDEX tags_key ON tags (key, value);
CREATE INDEX runs_started ON runs (start_ms DESC, name, id);
";

/// Brings the database to the current schema. Returns true when the cache was (re)built
/// empty, so the caller knows a rescan is needed.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<bool> {
    let get = |conn: &Connection, key: &str| -> rusqlite::Result<i64> {
        Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?.unwrap_or(0))
    };
    // Up to date (every open but the first of a release): a read, so opening the index
    // never waits for a scan's write lock. A missing `meta` table reads as version 0.
    let current = |conn: &Connection| -> bool {
        get(conn, "user_version").is_ok_and(|v| v as usize == USER_MIGRATIONS.len()) && get(conn, "cache_version").is_ok_and(|v| v == CACHE_VERSION)
    };
    if current(conn) {
        return Ok(false);
    }
    // Otherwise a write transaction from the start: a read that upgrades to a write fails
    // at once with "database is locked" when another process migrates the same fresh
    // index, where a write transaction waits its turn (busy timeout), then finds the work
    // done or does it.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")?;
    let user_version = get(&tx, "user_version")? as usize;
    for (i, sql) in USER_MIGRATIONS.iter().enumerate().skip(user_version) {
        tx.execute_batch(sql)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('user_version', ?1)", [i as i64 + 1])?;
    }
    let rebuilt = get(&tx, "cache_version")? != CACHE_VERSION;
    if rebuilt {
        for table in CACHE_TABLES {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS {table}"))?;
        }
        tx.execute_batch(CACHE_SCHEMA)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('cache_version', ?1)", [CACHE_VERSION])?;
    }
    tx.commit()?;
    Ok(rebuilt)
}
