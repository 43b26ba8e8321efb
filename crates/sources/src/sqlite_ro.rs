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
    match std::fs::File::open(path) {
        Ok(mut f) => f.read_exact(&mut header).is_ok() && &header == b"SQLite format 3\0",
        Err(_) => false,
    }
}

/// Opens `path` read-only. A WAL database with no `-wal` file beside it is opened as
/// immutable, because SQLite would otherwise create the `-shm` file to read it.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let wal_mode = wal_mode(path);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let immutable = wal_mode && !Path::new(&wal).exists();
    let uri = format!("file:{}?mode=ro{}", encode(path), if immutable { "&immutable=1" } else { "" });
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
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
        ctx.previous(&self.name).is_some_and(|p| p.same_file(&self.db)) && ctx.previous(&self.wal_name).copied().unwrap_or_default() == self.wal
    }

    /// The store-level marks to record: the database's (with a reader-defined high-water
    /// mark and fingerprint) and the `-wal`'s when there is one.
    pub fn marks(&self, offset: u64, hash: u64) -> Vec<(String, FileMark)> {
        let mut marks = vec![(self.name.clone(), FileMark { offset, hash, ..self.db })];
        if self.wal != FileMark::default() {
            marks.push((self.wal_name.clone(), self.wal));
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
    match std::fs::File::open(path) {
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
}
