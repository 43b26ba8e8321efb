//! Comparison reports of runs, to send to someone who has no Runlens: one self-contained
//! HTML file (tables, inline SVG charts, a provenance footer; no script, no remote load),
//! CSV (a wide summary, and every stored point in a long table) and LaTeX (a `tabular`
//! and one PGFPlots figure per metric, its data files beside it).
//!
//! [`gather`] takes what a report shows from the index — the comparison of
//! `runlens_index::compare`, the chart lines (min/max-reduced from the full points, so a
//! million-point series stays small and its spikes stay), the hash of the points each
//! chart is drawn from — into a [`Report`]; [`html`], [`csv`] and [`latex`] write it. No
//! GUI dependency: the CLI and the app call the same functions.
//!
//! Every string that comes from a run is untrusted: HTML goes through a template that
//! escapes every value (askama), SVG holds only numbers the report formats itself, CSV is
//! quoted by the `csv` crate, LaTeX escapes its special characters and writes other
//! scripts as code points, so `pdflatex` compiles it unchanged.

mod chart;
pub mod csv;
mod html;
pub mod latex;

use std::collections::BTreeSet;

use runlens_index::chart::{SeriesRequest, XAxis};
use runlens_index::compare::Comparison;
use runlens_index::filter::Agg;
use runlens_index::{Index, IndexError, RunRecord};
use sha2::{Digest, Sha256};

pub use html::html;

/// Points per chart line at most: the first and last, and a lowest and highest point per
/// bucket (about two per horizontal pixel of a chart).
pub const MAX_POINTS_PER_LINE: usize = 1200;

/// What a report is of.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    /// A title; default: "Comparison of N runs".
    pub title: Option<String>,
    /// The metrics to chart and rank params by; empty: the keys most runs share (at most six).
    pub metrics: Vec<String>,
    /// How the runs were chosen, as people read it (`runs a, b, c` or `filter: …`).
    pub selection: String,
    /// The command that writes this report again.
    pub command: String,
}

/// One run's line on a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Index into [`Report::runs`].
    pub run: usize,
    /// (step, value) of the points drawn: real stored points, reduced when many.
    pub points: Vec<(f64, f64)>,
    pub stored: u64,
    pub reduced: bool,
}

/// One chart: a metric, every compared run that has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub key: String,
    pub lines: Vec<Line>,
    /// SHA-256 (hex) of every stored point of every line, in run order: the data the
    /// chart was drawn from, so a reader can check a regenerated report against it.
    pub points_sha256: String,
}

impl Chart {
    pub fn shown(&self) -> usize {
        self.lines.iter().map(|l| l.points.len()).sum()
    }
    pub fn stored(&self) -> u64 {
        self.lines.iter().map(|l| l.stored).sum()
    }
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub title: String,
    pub generated_ms: i64,
    pub selection: String,
    pub command: String,
    pub runs: Vec<RunRecord>,
    pub comparison: Comparison,
    pub charts: Vec<Chart>,
    /// The store roots the runs come from.
    pub stores: Vec<String>,
    /// The index the report was made from, and when it last scanned (ms, latest store).
    pub index_path: String,
    pub indexed_ms: Option<i64>,
    pub version: &'static str,
    pub commit: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("a report needs at least one run")]
    NoRuns,
}

/// Takes what a report of `runs` shows from the index.
pub fn gather(index: &Index, runs: Vec<RunRecord>, request: &ReportRequest) -> Result<Report, ReportError> {
    if runs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let metrics = if request.metrics.is_empty() { runlens_index::view::metric_columns(&runs, 6) } else { request.metrics.clone() };
    let comparison = index.compare(&runs, metrics.first().map(|m| (m.as_str(), Agg::Latest)))?;
    let mut charts = Vec::new();
    for key in &metrics {
        let mut lines = Vec::new();
        let mut hash = Sha256::new();
        for (i, run) in runs.iter().enumerate() {
            if !run.metrics.contains_key(key) {
                continue;
            }
            if let Some(all) = index.series(&run.id, key)? {
                hash.update(run.id.as_bytes());
                for p in &all {
                    hash.update(p.step.to_le_bytes());
                    hash.update(p.time_ms.to_le_bytes());
                    hash.update(p.value.to_bits().to_le_bytes());
                }
            }
            let request = SeriesRequest {
                run_id: run.id.clone(),
                key: key.clone(),
                x: XAxis::Step,
                range: None,
                max_points: MAX_POINTS_PER_LINE,
                smoothing: 0.0,
            };
            if let Some(view) = index.series_view(&request)? {
                let points = view.points.iter().map(|p| (p.step as f64, p.value)).collect();
                lines.push(Line { run: i, points, stored: view.stored, reduced: view.reduced });
            }
        }
        let points_sha256 = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        charts.push(Chart { key: key.clone(), lines, points_sha256 });
    }
    let stores: BTreeSet<String> = runs.iter().map(|r| r.store.clone()).collect();
    let store_ids: BTreeSet<i64> = runs.iter().map(|r| r.store_id).collect();
    let indexed_ms = index.stores()?.iter().filter(|s| store_ids.contains(&s.id)).filter_map(|s| s.scanned_ms).max();
    Ok(Report {
        title: request.title.clone().unwrap_or_else(|| format!("Comparison of {} runs", runs.len())),
        generated_ms: now_ms(),
        selection: request.selection.clone(),
        command: request.command.clone(),
        comparison,
        charts,
        stores: stores.into_iter().collect(),
        index_path: index.path().display().to_string(),
        indexed_ms,
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("RUNLENS_COMMIT"),
        runs,
    })
}

/// `2024-05-06 14:03 UTC`.
pub(crate) fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "–".into())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_714_986_000_000), "2024-05-06 09:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-86_400_000), "1969-12-31 00:00 UTC");
    }
}
