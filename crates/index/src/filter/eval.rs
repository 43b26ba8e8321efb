//! Evaluating a filter to the set of matching run ids. Each test is one SQL query that
//! reads an index range (`metrics (key, min, rid)`, `params (key, value)`, ...) and
//! returns run ids; `and`, `or` and `not` are set operations on bitsets indexed by run
//! id. So a filter over 100k runs costs one index range per test, the count is a
//! popcount, and a page can walk any index in sort order picking members.

use rusqlite::Connection;

use super::sql::leaf;
use super::{Expr, FilterError};

/// A set of run ids (`runs.rid`), one bit per id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RidSet {
    words: Vec<u64>,
}

impl RidSet {
    pub fn insert(&mut self, rid: i64) {
        let Ok(rid) = usize::try_from(rid) else { return };
        let word = rid / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (rid % 64);
    }

    pub fn contains(&self, rid: i64) -> bool {
        usize::try_from(rid).is_ok_and(|rid| self.words.get(rid / 64).is_some_and(|w| w & (1 << (rid % 64)) != 0))
    }

    pub fn len(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    pub fn intersect(&mut self, other: &RidSet) {
        self.words.truncate(other.words.len());
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub fn union(&mut self, other: &RidSet) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// `universe` minus this set.
    pub fn complement_in(&self, universe: &RidSet) -> RidSet {
        let words = universe.words.iter().enumerate().map(|(i, u)| u & !self.words.get(i).copied().unwrap_or(0)).collect();
        RidSet { words }
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    (i * 64 + b) as i64
                })
            })
        })
    }

    /// The run ids a query returns (its first column).
    pub fn query(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<RidSet> {
        let mut set = RidSet::default();
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        while let Some(row) = rows.next()? {
            set.insert(row.get(0)?);
        }
        Ok(set)
    }
}

/// Why a filter could not be evaluated.
#[derive(Debug)]
pub enum EvalError {
    Filter(FilterError),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for EvalError {
    fn from(e: rusqlite::Error) -> Self {
        EvalError::Sqlite(e)
    }
}

impl From<FilterError> for EvalError {
    fn from(e: FilterError) -> Self {
        EvalError::Filter(e)
    }
}

/// The runs of `universe` that pass `expr`.
pub fn evaluate(conn: &Connection, expr: &Expr, universe: &RidSet) -> Result<RidSet, EvalError> {
    Ok(match expr {
        Expr::And(parts) => {
            let mut set = universe.clone();
            for p in parts {
                if set.is_empty() {
                    break;
                }
                set.intersect(&evaluate(conn, p, universe)?);
            }
            set
        }
        Expr::Or(parts) => {
            let mut set = RidSet::default();
            for p in parts {
                set.union(&evaluate(conn, p, universe)?);
            }
            set.intersect(universe);
            set
        }
        Expr::Not(inner) => evaluate(conn, inner, universe)?.complement_in(universe),
        Expr::Test { field, pred, span } => {
            let leaf = leaf(field, pred, *span)?;
            let mut set = RidSet::query(conn, &leaf.select_rids(), rusqlite::params_from_iter(leaf.compiled.params.iter()))?;
            set.intersect(universe);
            set
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[i64]) -> RidSet {
        let mut s = RidSet::default();
        for id in ids {
            s.insert(*id);
        }
        s
    }

    #[test]
    fn set_operations() {
        let universe = set(&[1, 2, 3, 64, 65, 200]);
        let mut a = set(&[1, 64, 200, 999]);
        a.intersect(&universe);
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 64, 200]);
        let mut b = set(&[2]);
        b.union(&set(&[65]));
        assert_eq!(b.iter().collect::<Vec<_>>(), [2, 65]);
        assert_eq!(a.complement_in(&universe).iter().collect::<Vec<_>>(), [2, 3, 65]);
        assert_eq!(a.len(), 3);
        assert!(a.contains(64) && !a.contains(63) && !a.contains(-1) && !a.contains(10_000));
    }
}
