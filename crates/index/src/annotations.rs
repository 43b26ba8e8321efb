//! Notes, stars and labels: the user's own data about runs, never touched by a rescan or a
//! rebuild of the cache. They are keyed by (source, run identity) — what the run is, not
//! where its store is — so they follow a store that was moved, mounted elsewhere, or whose
//! root discovery regrouped (`RunInfo::identity`; ARCHITECTURE.md lists each reader's).
//! Labels are rows, so filters can select on them (`label = 'baseline'`).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use crate::query::RunRecord;
use crate::{Index, IndexError, now_ms};

/// The annotation columns (names are never user text).
enum Column {
    Starred,
    Note,
}

/// A change of a run's annotations: what is `None` or empty stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationChange {
    pub starred: Option<bool>,
    /// The whole note (`""` removes it).
    pub note: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
}

impl Index {
    /// Applies `change` to a run (the CLI's `annotate` and the app's run page).
    pub fn annotate(&self, run_id: &str, change: &AnnotationChange) -> Result<(), IndexError> {
        if let Some(starred) = change.starred {
            self.set_starred(run_id, starred)?;
        }
        if let Some(note) = &change.note {
            self.set_note(run_id, note)?;
        }
        for label in &change.add_labels {
            self.add_label(run_id, label)?;
        }
        for label in &change.remove_labels {
            self.remove_label(run_id, label)?;
        }
        Ok(())
    }

    /// Stars or unstars a run.
    pub fn set_starred(&self, run_id: &str, starred: bool) -> Result<(), IndexError> {
        self.upsert_annotation(run_id, Column::Starred, &starred)
    }

    /// Replaces a run's note (an empty note removes it).
    pub fn set_note(&self, run_id: &str, note: &str) -> Result<(), IndexError> {
        self.upsert_annotation(run_id, Column::Note, &note)
    }

    fn upsert_annotation(&self, run_id: &str, column: Column, value: &dyn rusqlite::ToSql) -> Result<(), IndexError> {
        let (source, identity) = self.annotation_key(run_id)?;
        let column = match column {
            Column::Starred => "starred",
            Column::Note => "note",
        };
        self.conn.execute(
            &format!(
                "INSERT INTO user_annotations (source, identity, {column}, updated_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, identity) DO UPDATE SET {column} = excluded.{column}, updated_ms = excluded.updated_ms"
            ),
            params![source, identity, value, now_ms()],
        )?;
        Ok(())
    }

    /// Adds a label to a run (surrounding blanks are trimmed; an empty label is an error).
    pub fn add_label(&self, run_id: &str, label: &str) -> Result<(), IndexError> {
        let label = label.trim();
        if label.is_empty() {
            return Err(IndexError::EmptyLabel);
        }
        let (source, identity) = self.annotation_key(run_id)?;
        self.conn.execute(
            "INSERT OR IGNORE INTO user_labels (source, identity, label, added_ms) VALUES (?1, ?2, ?3, ?4)",
            params![source, identity, label, now_ms()],
        )?;
        Ok(())
    }

    /// Removes a label from a run (nothing happens if it has none of that name).
    pub fn remove_label(&self, run_id: &str, label: &str) -> Result<(), IndexError> {
        let (source, identity) = self.annotation_key(run_id)?;
        self.conn.execute("DELETE FROM user_labels WHERE source = ?1 AND identity = ?2 AND label = ?3", params![source, identity, label.trim()])?;
        Ok(())
    }

    /// Every label in use, with how many runs of the index carry it.
    pub fn labels(&self) -> Result<Vec<(String, u64)>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT l.label, count(r.rid) FROM user_labels l
             JOIN stores s ON s.source = l.source JOIN runs r ON r.store_id = s.id AND r.identity = l.identity
             GROUP BY l.label ORDER BY l.label",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The key a run's annotations are stored under.
    pub(crate) fn annotation_key(&self, run_id: &str) -> Result<(String, String), IndexError> {
        self.conn
            .query_row("SELECT s.source, r.identity FROM runs r JOIN stores s ON s.id = r.store_id WHERE r.id = ?1", [run_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| IndexError::UnknownRun(run_id.to_string()))
    }
}

/// Fills in the annotations of the loaded runs (`rid_where`, on `runs r`, selects them).
pub(crate) fn load(conn: &rusqlite::Connection, runs: &mut HashMap<i64, RunRecord>, rid_where: &str, args: &[i64]) -> rusqlite::Result<()> {
    // Most indexes have none: one look instead of two joins on every page of the table.
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM user_annotations) OR EXISTS (SELECT 1 FROM user_labels)", [], |r| r.get(0))?;
    if !any {
        return Ok(());
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT r.rid, a.starred, a.note FROM runs r JOIN stores s ON s.id = r.store_id
         JOIN user_annotations a ON a.source = s.source AND a.identity = r.identity WHERE {rid_where}"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(row) = rows.next()? {
        if let Some(run) = runs.get_mut(&row.get::<_, i64>(0)?) {
            run.starred = row.get(1)?;
            run.note = row.get(2)?;
        }
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT r.rid, l.label FROM runs r JOIN stores s ON s.id = r.store_id
         JOIN user_labels l ON l.source = s.source AND l.identity = r.identity WHERE {rid_where} ORDER BY l.label"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(row) = rows.next()? {
        if let Some(run) = runs.get_mut(&row.get::<_, i64>(0)?) {
            run.labels.push(row.get(1)?);
        }
    }
    Ok(())
}
