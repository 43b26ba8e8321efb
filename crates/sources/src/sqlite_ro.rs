//! Opening someone else's SQLite database strictly read-only: no journal, no `-shm`, no
//! `-wal` file is ever created next to it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

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
