//! Opening someone else's SQLite database strictly read-only: no journal, no `-shm`, no
//! `-wal` file is ever created next to it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::model::FileMark;
use crate::reader::{ReadError, ScanContext};

/// True when the file starts with the SQLite header.
pub fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    match crate::util::open_regular(path) {
        Ok(mut f) => f.read_exact(&mut header).is_ok() && &header == b"SQLite format 3\0",
        Err(_) => false,
    }
}

/// A database opened by [`open_read_only`]: the connection, and the private copy it reads
/// when the store's own files could not be read without writing beside them.
pub struct ReadOnlyDb {
    conn: Connection,
    /// Dropped after the connection (fields drop in order): removes the copy.
    _copy: Option<tempfile::TempDir>,
}

impl std::ops::Deref for ReadOnlyDb {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Opens `path` read-only, creating nothing beside it:
/// * a WAL database with no `-wal` file is opened as immutable (SQLite would otherwise
///   create the `-shm` file to read it);
/// * a WAL database with a `-wal` but no `-shm` (copied from elsewhere, a writer killed on
///   a read-only mount) is read from a private copy of both files, because SQLite would
///   create the `-shm` to replay the WAL, or fail to where the folder is read-only;
/// * anything else is opened with `mode=ro`, sharing the writer's `-shm`.
pub fn open_read_only(path: &Path) -> rusqlite::Result<ReadOnlyDb> {
    let wal_mode = wal_mode(path);
    let side = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let (wal, shm) = (side("-wal"), side("-shm"));
    if wal_mode && wal.exists() && !shm.exists() {
        return open_copy(path, &wal);
    }
    let immutable = wal_mode && !wal.exists();
    Ok(ReadOnlyDb { conn: open_uri(path, if immutable { "mode=ro&immutable=1" } else { "mode=ro" })?, _copy: None })
}

fn open_uri(path: &Path, query: &str) -> rusqlite::Result<Connection> {
    let uri = format!("file:{}?{query}", encode(path));
    let conn = Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Copies the database and its `-wal` into a private folder and opens the copy there.
fn open_copy(path: &Path, wal: &Path) -> rusqlite::Result<ReadOnlyDb> {
    let io = |e: std::io::Error| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("cannot copy the database to read its -wal: {e}")),
        )
    };
    let dir = tempfile::Builder::new().prefix("runlens-db-").tempdir().map_err(io)?;
    let copy = dir.path().join("store.db");
    std::fs::copy(path, &copy).map_err(io)?;
    std::fs::copy(wal, dir.path().join("store.db-wal")).map_err(io)?;
    let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.execute_batch("PRAGMA query_only = ON")?;
    Ok(ReadOnlyDb { conn, _copy: Some(dir) })
}

/// A database file and its `-wal` as a store sees them: what changed since the last scan,
/// and the marks to record after this one.
pub struct DbFiles {
    /// File name of the database (its mark's key; the store root is the file itself).
    pub name: String,
    pub db: FileMark,
    wal_name: String,
    wal: FileMark,
}

impl DbFiles {
    /// Stats the database and its `-wal` (absent: an empty mark).
    pub fn of(db_path: &Path) -> Result<DbFiles, ReadError> {
        let mark_of = |p: &Path| std::fs::metadata(p).ok().map(|m| FileMark::of(&m));
        let name = db_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let wal_name = format!("{name}-wal");
        let db = mark_of(db_path).ok_or_else(|| ReadError::io(db_path, std::io::ErrorKind::NotFound.into()))?;
        let wal = mark_of(&db_path.with_file_name(&wal_name)).unwrap_or_default();
        Ok(DbFiles { name, db, wal_name, wal })
    }

    /// Neither the database nor its `-wal` changed since the marks of the last scan.
    pub fn unchanged(&self, ctx: &ScanContext) -> bool {
        ctx.previous(&self.name).is_some_and(|p| p.same_file(&self.db)) && ctx.previous(&self.wal_name).cloned().unwrap_or_default() == self.wal
    }

    /// The store-level marks to record: the database's (with a reader-defined high-water
    /// mark and fingerprint) and the `-wal`'s when there is one.
    pub fn marks(&self, offset: u64, hash: u64) -> Vec<(String, FileMark)> {
        let mut marks = vec![(self.name.clone(), FileMark { offset, hash, ..self.db.clone() })];
        if self.wal != FileMark::default() {
            marks.push((self.wal_name.clone(), self.wal.clone()));
        }
        marks
    }
}

/// Names of the tables in the database.
pub fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Names of the columns of `table`.
pub fn column_names(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Header bytes 18/19 are 2 for a database in WAL mode.
fn wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    match crate::util::open_regular(path) {
        Ok(mut f) => f.read_exact(&mut header).is_ok() && header[18] == 2,
        Err(_) => false,
    }
}

/// Percent-encodes the characters that have a meaning in an SQLite URI.
fn encode(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' | '&' | '=' | ' ' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_open_creates_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("odd name?#.db");
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        }
        let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(before.len(), 1, "the WAL was checkpointed and removed on close");
        let conn = open_read_only(&db).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        assert!(conn.execute("INSERT INTO t VALUES (2)", []).is_err(), "writes are refused");
        drop(conn);
        let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn a_wal_without_shm_is_read_from_a_copy_and_nothing_appears_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        // A writer with rows still in its WAL; its files copied elsewhere without the -shm.
        let writer = Connection::open(&db).unwrap();
        writer.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);").unwrap();
        let copied = dir.path().join("copied");
        std::fs::create_dir(&copied).unwrap();
        for name in ["store.db", "store.db-wal"] {
            std::fs::copy(dir.path().join(name), copied.join(name)).unwrap();
        }
        drop(writer);
        let before: Vec<_> = std::fs::read_dir(&copied).unwrap().flatten().map(|e| e.file_name()).collect();
        let conn = open_read_only(&copied.join("store.db")).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2, "the rows in the WAL are read");
        drop(conn);
        let mut after: Vec<_> = std::fs::read_dir(&copied).unwrap().flatten().map(|e| e.file_name()).collect();
        after.sort();
        let mut before = before;
        before.sort();
        assert_eq!(before, after, "no -shm (or anything else) was created beside the store");
    }
}
