//! Comparison reports of runs, to send to someone who has no Runlens: one self-contained
//! HTML file (tables, inline SVG charts, a provenance footer; no script, no remote load),
//! Markdown (the same tables, the charts as PNGs beside it), CSV (a wide summary, and
//! every stored point in a long table) and LaTeX (a `tabular` and one PGFPlots figure per
//! metric, its data files beside it).
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
pub mod markdown;
mod png;

use std::collections::BTreeSet;

use runlens_index::chart::at_most;
use runlens_index::compare::Comparison;
use runlens_index::filter::Agg;
use runlens_index::{Index, IndexError, Point, RunRecord};

pub use html::html;

/// Points per chart line at most: the first and last, and a lowest and highest point per
/// bucket (one bucket per two pixel columns of a chart's plot area), so fifty runs by ten
/// metrics stay a file of a few megabytes and every spike is still drawn.
pub const MAX_POINTS_PER_LINE: usize = 600;

/// Runs whose recorded code and environment are diffed against the first run's.
pub const MAX_CODE_DIFFS: usize = 10;

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
    /// Image patterns of the runs' files to show side by side (`runlens_index::across`:
    /// `samples/step_{N}.png`, or one path); empty: no images section.
    pub images: Vec<String>,
}

/// Images in a report at most, in bytes (each a thumbnail of [`IMAGE_SIDE`] pixels);
/// those past it are counted, not embedded.
pub const MAX_IMAGE_BYTES: usize = 1 << 20;
/// The side of the square each report image is scaled to fit.
pub const IMAGE_SIDE: u32 = 160;
/// Steps shown per image pattern at most (evenly spread over the steps there are).
pub const MAX_IMAGE_STEPS: usize = 12;

/// One image as a report embeds it: a PNG thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// As the run lists it.
    pub path: String,
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The same image of every compared run by step: [`ReportRequest::images`]' one pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    pub pattern: String,
    /// The steps shown (`None`: a pattern without a step).
    pub steps: Vec<Option<i64>>,
    /// Per step, per run: its image (`None`: the run has none, or it was left out).
    pub cells: Vec<Vec<Option<Picture>>>,
    /// Steps there are beyond those shown.
    pub more_steps: usize,
    /// Images the run has that were left out (the size cap, or unreadable).
    pub left_out: usize,
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
    /// BLAKE3 (hex) of every stored point of every line, in run order: for each run its
    /// id, then each point's step, time_ms and value bits as little-endian 64-bit words
    /// (any NaN as the canonical `0x7ff8000000000000`).
    /// The data the chart was drawn from, so a reader can check a regenerated report
    /// (or the CSV's series) against it.
    pub points_blake3: String,
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
    /// What the stores recorded of the code and environment of each run against the
    /// first's (at most [`MAX_CODE_DIFFS`] runs): (index into `runs`, the files that differ).
    pub code_diffs: Vec<(usize, Vec<runlens_index::diff::FileDiff>)>,
    /// The images asked for, pattern by pattern.
    pub images: Vec<Images>,
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

impl ReportError {
    /// For `map_err`: a failed write of `path`.
    pub(crate) fn writing(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ReportError {
        let path = path.display().to_string();
        move |source| ReportError::Write { path, source }
    }
}

/// Of the files [`write`] wrote, those a person opens: not the chart data and images
/// that sit beside a LaTeX or Markdown report.
pub fn documents(written: &[std::path::PathBuf]) -> impl Iterator<Item = &std::path::PathBuf> {
    written.iter().filter(|p| p.extension().is_none_or(|e| e != "dat" && e != "png"))
}

/// Takes what a report of `runs` shows from the index.
pub fn gather(index: &Index, runs: Vec<RunRecord>, request: &ReportRequest) -> Result<Report, ReportError> {
    if runs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    // With their provenance (a filtered list of runs comes without it).
    let runs = index.runs_by_id(&runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>())?;
    let metrics = if request.metrics.is_empty() { runlens_index::view::metric_columns(&runs, 6) } else { request.metrics.clone() };
    let comparison = index.compare(&runs, metrics.first().map(|m| (m.as_str(), Agg::Latest)))?;
    let charts = charts_of(index, &runs, &metrics)?;
    let mut code_diffs = Vec::new();
    for (i, run) in runs.iter().enumerate().skip(1).take(MAX_CODE_DIFFS) {
        let differing: Vec<_> = index.code_diff_of(&runs[0], run)?.into_iter().filter(|d| !d.identical).collect();
        if !differing.is_empty() {
            code_diffs.push((i, differing));
        }
    }
    let images = images_of(index, &runs, &request.images)?;
    let stores: BTreeSet<String> = runs.iter().map(|r| r.store.clone()).collect();
    let store_ids: BTreeSet<i64> = runs.iter().map(|r| r.store_id).collect();
    let indexed_ms = index.stores()?.iter().filter(|s| store_ids.contains(&s.id)).filter_map(|s| s.scanned_ms).max();
    Ok(Report {
        title: request.title.clone().unwrap_or_else(|| format!("Comparison of {} runs", runs.len())),
        generated_ms: runlens_index::now_ms(),
        selection: request.selection.clone(),
        command: request.command.clone(),
        comparison,
        charts,
        code_diffs,
        images,
        stores: stores.into_iter().collect(),
        index_path: index.path().display().to_string(),
        indexed_ms,
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("RUNLENS_COMMIT"),
        runs,
    })
}

/// The grids of `patterns` over `runs`: at most [`MAX_IMAGE_STEPS`] steps each (the first,
/// the last and evenly between), each image a thumbnail, all of them within
/// [`MAX_IMAGE_BYTES`].
fn images_of(index: &Index, runs: &[RunRecord], patterns: &[String]) -> Result<Vec<Images>, ReportError> {
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let mut budget = MAX_IMAGE_BYTES;
    let mut out = Vec::new();
    for pattern in patterns {
        let grid = index.artifact_grid(&ids, pattern)?;
        let rows = grid.steps.len();
        let keep: Vec<usize> = if rows <= MAX_IMAGE_STEPS {
            (0..rows).collect()
        } else {
            let mut k: Vec<usize> = (0..MAX_IMAGE_STEPS).map(|i| i * (rows - 1) / (MAX_IMAGE_STEPS - 1)).collect();
            k.dedup();
            k
        };
        let mut left_out = 0;
        let mut cells = Vec::new();
        for &row in &keep {
            let mut line = Vec::new();
            for (run, path) in ids.iter().zip(&grid.cells[row]) {
                let Some(path) = path else {
                    line.push(None);
                    continue;
                };
                let picture = index.thumbnail(run, path, IMAGE_SIDE).ok().filter(|t| t.mime == "image/png" && t.bytes.len() <= budget);
                match picture {
                    Some(t) => {
                        budget -= t.bytes.len();
                        line.push(Some(Picture {
                            path: path.clone(),
                            width: t.width.unwrap_or(IMAGE_SIDE),
                            height: t.height.unwrap_or(IMAGE_SIDE),
                            png: t.bytes,
                        }));
                    }
                    None => {
                        left_out += 1;
                        line.push(None);
                    }
                }
            }
            cells.push(line);
        }
        out.push(Images {
            pattern: pattern.clone(),
            steps: keep.iter().map(|&r| grid.steps[r]).collect(),
            cells,
            more_steps: rows - keep.len(),
            left_out,
        });
    }
    Ok(out)
}

/// The charts of `metrics` over `runs`, one thread per core: each thread has its own
/// connection to the index and takes every n-th metric (every stored point is decoded
/// and hashed: at 50 runs × 10 metrics × 100,000 points that is the report's cost).
fn charts_of(index: &Index, runs: &[RunRecord], metrics: &[String]) -> Result<Vec<Chart>, ReportError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(metrics.len());
    if threads <= 1 {
        return metrics.iter().map(|key| chart(index, runs, key)).collect();
    }
    let path = index.path().to_path_buf();
    let mut charts: Vec<(usize, Chart)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let path = &path;
                s.spawn(move || -> Result<Vec<(usize, Chart)>, ReportError> {
                    let own = Index::open(path)?;
                    metrics.iter().enumerate().skip(t).step_by(threads).map(|(i, key)| Ok((i, chart(&own, runs, key)?))).collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a chart thread panicked")).collect::<Result<Vec<_>, _>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    charts.sort_by_key(|(i, _)| *i);
    Ok(charts.into_iter().map(|(_, c)| c).collect())
}

/// One metric's chart: every run that has it, each line reduced from its stored points,
/// and the hash of all of them.
fn chart(index: &Index, runs: &[RunRecord], key: &str) -> Result<Chart, ReportError> {
    let mut lines = Vec::new();
    let mut hash = blake3::Hasher::new();
    for (i, run) in runs.iter().enumerate() {
        if !run.metrics.contains_key(key) {
            continue;
        }
        // Every stored point, read once: hashed, then reduced for the chart as the
        // app's charts are.
        let Some(all) = index.series(&run.id, key)? else { continue };
        hash.update(run.id.as_bytes());
        hash_points(&mut hash, &all);
        let stored = all.len() as u64;
        let (drawn, reduced) = at_most(all, |p| p.step as f64, MAX_POINTS_PER_LINE);
        lines.push(Line { run: i, points: drawn.iter().map(|p| (p.step as f64, p.value)).collect(), stored, reduced });
    }
    let points_blake3 = hash.finalize().to_hex().to_string();
    Ok(Chart { key: key.to_string(), lines, points_blake3 })
}

/// Feeds `points` to `hash` as little-endian `(step, time_ms, value bits)`, 24 bytes each
/// (any NaN as `f64::NAN`), packed 8,192 at a time into a buffer that stays in the L2
/// cache (192 KB: larger updates let BLAKE3 hash more of its 1 KB chunks at once).
fn hash_points(hash: &mut blake3::Hasher, points: &[Point]) {
    const POINTS_PER_UPDATE: usize = 8192;
    let mut bytes = vec![0u8; POINTS_PER_UPDATE.min(points.len()) * 24];
    for some in points.chunks(POINTS_PER_UPDATE) {
        for (p, out) in some.iter().zip(bytes.chunks_exact_mut(24)) {
            out[..8].copy_from_slice(&p.step.to_le_bytes());
            out[8..16].copy_from_slice(&p.time_ms.to_le_bytes());
            // Every NaN as the one NaN a CSV reader gets back, so the hash can be checked.
            let value = if p.value.is_nan() { f64::NAN } else { p.value };
            out[16..].copy_from_slice(&value.to_bits().to_le_bytes());
        }
        hash.update(&bytes[..some.len() * 24]);
    }
}

/// The kinds of file a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Csv,
    Tex,
}

impl Format {
    /// `html`, `csv`, `tex`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "md" | "markdown" => Some(Format::Markdown),
            "csv" => Some(Format::Csv),
            "tex" | "latex" => Some(Format::Tex),
            _ => None,
        }
    }

    /// The format a file's extension names; HTML for any other.
    pub fn of_path(path: &std::path::Path) -> Format {
        path.extension().and_then(|e| e.to_str()).and_then(Format::parse).unwrap_or(Format::Html)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::Tex => "tex",
        }
    }
}

/// Writes `report` to `path` as `format`; returns the files written (CSV: `path` and its
/// `-series.csv`; LaTeX: the `.tex` and the data files in its `-data` folder; Markdown:
/// the `.md` and the PNGs in its `-charts` folder).
pub fn write(index: &Index, report: &Report, path: &std::path::Path, format: Format) -> Result<Vec<std::path::PathBuf>, ReportError> {
    match format {
        Format::Html => {
            std::fs::write(path, html(report)).map_err(ReportError::writing(path))?;
            Ok(vec![path.to_path_buf()])
        }
        Format::Csv => {
            let file = std::fs::File::create(path).map_err(ReportError::writing(path))?;
            csv::summary(report, std::io::BufWriter::new(file))?;
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
            let series = path.with_file_name(format!("{stem}-series.csv"));
            let file = std::fs::File::create(&series).map_err(ReportError::writing(&series))?;
            csv::series(index, &report.runs, std::io::BufWriter::new(file))?;
            Ok(vec![path.to_path_buf(), series])
        }
        Format::Tex => latex::write(report, path),
        Format::Markdown => markdown::write(report, path),
    }
}

/// The `runlens report` command that writes a report of these runs again (what the app
/// puts in the footer of a report it exports; the CLI puts its own command line).
pub fn report_command(
    db: &std::path::Path,
    run_ids: &[String],
    out: &std::path::Path,
    format: Format,
    metrics: &[String],
    title: Option<&str>,
    images: &[String],
) -> String {
    let mut words: Vec<String> = vec!["runlens".into(), "--db".into(), db.display().to_string(), "report".into()];
    words.extend(run_ids.iter().cloned());
    words.extend(["--out".into(), out.display().to_string(), "--format".into(), format.as_str().into()]);
    if !metrics.is_empty() {
        words.extend(["--metrics".into(), metrics.join(",")]);
    }
    if let Some(t) = title {
        words.extend(["--title".into(), t.to_string()]);
    }
    for pattern in images {
        words.extend(["--images".into(), pattern.clone()]);
    }
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default()
}

/// Lines of one file's diff a report shows at most.
pub const MAX_DIFF_LINES: usize = 400;

/// What a line of a unified diff is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffLine {
    Added,
    Removed,
    /// Context, file headers and hunk headers.
    Other,
}

/// The lines of a diff a report shows (at most [`MAX_DIFF_LINES`]), each with its kind.
pub(crate) fn diff_lines(unified: &str) -> impl Iterator<Item = (DiffLine, &str)> {
    unified.lines().take(MAX_DIFF_LINES).map(|l| {
        let kind = if l.starts_with("+++") || l.starts_with("---") {
            DiffLine::Other
        } else if l.starts_with('+') {
            DiffLine::Added
        } else if l.starts_with('-') {
            DiffLine::Removed
        } else {
            DiffLine::Other
        };
        (kind, l)
    })
}

/// A run's working tree as a report says it (`None`: not recorded).
pub(crate) fn working_tree(dirty: Option<bool>) -> Option<&'static str> {
    dirty.map(|d| if d { "uncommitted changes" } else { "clean" })
}

/// `2024-05-06 14:03 UTC`.
pub(crate) fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "–".into())
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
