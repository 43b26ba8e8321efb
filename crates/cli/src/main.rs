//! `runlens`: the command line face of the index. Every subcommand takes `--db FILE`
//! (default: the app's own index, see `runlens_index::default_db_path`). JSON output is a
//! stable contract documented in the README; `json.rs` is its one implementation.

mod json;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use runlens_index::chart::{SeriesRequest, XAxis};
use runlens_index::compare::{Comparison, Direction};
use runlens_index::filter::Agg;
use runlens_index::format;
use runlens_index::{AnnotationChange, Index, IndexError, Location, Progress, RunsQuery, ScanReport};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

#[derive(Parser)]
#[command(name = "runlens", version, about = "Index and query your ML run stores (MLflow, TensorBoard, W&B, ...)")]
struct Cli {
    /// Index database file (default: the app's index).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find every run store below each path and index it (a URL: the store there).
    Add {
        /// Folders or store files (`mlflow.db`); `file://` URLs are paths; other URLs
        /// (`http://host:5000`) go to the reader that reads them.
        #[arg(required = true, value_name = "PATH|URL", value_parser = parse_location)]
        locations: Vec<Location>,
    },
    /// Rescan every registered store incrementally (unchanged files are not read).
    Scan,
    /// List runs, optionally filtered and sorted.
    Runs {
        /// Print a JSON array, one object per run.
        #[arg(long)]
        json: bool,
        /// Include runs deleted in their tracker.
        #[arg(long)]
        all: bool,
        /// Only runs matching this filter, e.g. "metrics.acc > 0.9 and params.optimizer = 'adam'".
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// Sort by an attribute, param or metric aggregate ("-started", "metrics.loss.min"); repeatable.
        #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
        sort: Vec<String>,
    },
    /// Show one run: params, tags, metric summaries, artifacts and how to reproduce it.
    Show {
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// List a run's files: those below its artifact folder, those inside its logs
    /// (TensorBoard images, W&B media) with the log file and offset they are in, and
    /// those of the folders attached to it.
    Artifacts {
        run: String,
        /// Print a JSON array: `[{path, size, embedded, origin, attached}]`.
        #[arg(long)]
        json: bool,
        /// Also each file's BLAKE3 content hash (`blake3`; kept in the index for the next
        /// time). `runs --filter "artifacts.hash = '…'"` finds the runs with the same file.
        #[arg(long)]
        hash: bool,
    },
    /// Attach a folder to a run: its files (an output folder the tracker did not record)
    /// are listed, previewed and compared as the run's own, under their paths inside it.
    /// Kept in the index as yours (across rescans and rebuilds); nothing is copied and
    /// nothing in the folder or the store is written.
    Attach { run: String, folder: PathBuf },
    /// Detach a folder attached to a run (the folder itself is left as it is).
    Detach { run: String, folder: PathBuf },
    /// Write one of a run's files to standard output, byte for byte. Only a file the run
    /// lists, inside its store's folder or a folder you added, is read: `..`, absolute
    /// paths and symlinks that lead elsewhere are refused.
    Cat { run: String, path: String },
    /// Print the points of one metric of one run: every stored point, or with
    /// `--max-points` a min/max-preserving reduction for a chart.
    Series {
        run: String,
        key: String,
        /// Print `[[step, time_ms, value], ...]` (with `--max-points`: an object, see README).
        #[arg(long)]
        json: bool,
        /// Reduce to at most N points (N/2 buckets keeping each one's lowest and highest point).
        #[arg(long, value_name = "N", value_parser = max_points)]
        max_points: Option<usize>,
        /// X axis for --from/--to and the reduction: step, time (ms since the epoch) or relative (ms).
        #[arg(long, default_value = "step")]
        x: String,
        /// Start of the visible x range.
        #[arg(long, allow_hyphen_values = true)]
        from: Option<f64>,
        /// End of the visible x range.
        #[arg(long, allow_hyphen_values = true)]
        to: Option<f64>,
        /// Exponential smoothing weight in [0, 1), as in TensorBoard.
        #[arg(long, default_value_t = 0.0, value_parser = smoothing, allow_hyphen_values = true)]
        smoothing: f64,
    },
    /// Star, note or label a run. These are yours: kept in the index apart from what the
    /// stores say, never written into a store, and kept across rescans, rebuilds and moves.
    Annotate {
        run: String,
        /// Star the run.
        #[arg(long, conflicts_with = "unstar")]
        star: bool,
        /// Take the star away.
        #[arg(long)]
        unstar: bool,
        /// Replace the run's note ("" removes it).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Add a label (repeatable).
        #[arg(long, value_name = "LABEL")]
        label: Vec<String>,
        /// Remove a label (repeatable).
        #[arg(long, value_name = "LABEL")]
        unlabel: Vec<String>,
        /// Print the run's object afterwards as JSON (as `show --json`).
        #[arg(long)]
        json: bool,
    },
    /// Put runs side by side: params and tags (rows that differ marked), metric summaries
    /// with the best value of each marked, and which params go with a metric.
    Compare {
        /// Run ids (or use --filter).
        #[arg(value_name = "RUN", required_unless_present = "filter", conflicts_with = "filter")]
        runs: Vec<String>,
        /// Compare the runs matching this filter (as `runs --filter`).
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// Only params and tags whose values differ between the runs.
        #[arg(long)]
        only_diff: bool,
        /// Rank the params by how much they go with this metric ("which params matter").
        #[arg(long, value_name = "KEY")]
        metric: Option<String>,
        /// Which number of the metric: latest, last, first, min, max.
        #[arg(long, default_value = "latest", value_parser = aggregate)]
        agg: Agg,
        /// Print a JSON object (see README).
        #[arg(long)]
        json: bool,
    },
    /// Diff what two runs' stores recorded of their code and environment (requirements,
    /// conda and Python environments, patches, saved sources), file by file.
    Diff {
        #[arg(value_name = "RUN_A")]
        a: String,
        #[arg(value_name = "RUN_B")]
        b: String,
        /// Print a JSON array (see README).
        #[arg(long)]
        json: bool,
    },
    /// Write a comparison report of runs: one self-contained HTML file (tables, charts,
    /// provenance; opens offline, runs no script), Markdown with PNG charts, CSV, or LaTeX
    /// with PGFPlots.
    Report {
        /// Run ids (or use --filter).
        #[arg(value_name = "RUN", required_unless_present = "filter", conflicts_with = "filter")]
        runs: Vec<String>,
        /// Report on the runs matching this filter (as `runs --filter`).
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// The file to write. CSV: the summary, and every stored point in FILE-series.csv.
        /// LaTeX: the chart data in a FILE-data folder beside it. Markdown: the charts in
        /// a FILE-charts folder.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// html, md, csv or tex (default: from the file's extension, else html).
        #[arg(long, value_parser = ["html", "md", "csv", "tex"])]
        format: Option<String>,
        /// Metrics to chart and rank params by, comma-separated (default: the six most shared).
        #[arg(long, value_name = "KEY,...", value_delimiter = ',')]
        metrics: Vec<String>,
        /// The report's title (default: "Comparison of N runs").
        #[arg(long)]
        title: Option<String>,
        /// Show this image of every run side by side by step (a pattern as the Compare
        /// view names them, `samples/step_{N}.png`, or a path); repeatable. HTML embeds
        /// them scaled down, Markdown writes them beside it.
        #[arg(long, value_name = "PATTERN")]
        images: Vec<String>,
    },
    /// Say which way is better for a metric key, for every run (kept as your data):
    /// lower, higher, or guess (from the key's name, the default).
    Direction {
        key: String,
        #[arg(value_parser = ["lower", "higher", "guess"])]
        direction: String,
    },
    /// List registered stores with their run counts and warnings.
    Stores {
        #[arg(long)]
        json: bool,
    },
    /// Where the disk went: each store's size (its runs' files and its own), per
    /// experiment, the largest runs and the largest files. Nothing is ever deleted.
    Storage {
        /// How many of the largest runs and files to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("runlens: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: errors that already include
/// their source's text (`index database error: disk I/O error`) do not repeat it.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // `Error code 26: file is not a database` after `...: file is not a database`.
        let gist = text.rsplit(": ").next().unwrap_or(&text);
        if !out.contains(gist) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

/// `--max-points`: the reduction keeps the first and last point and two per bucket, so it
/// can promise "at most N" from 4 on.
fn max_points(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("{s:?} is not a whole number"))?;
    if n < 4 {
        return Err(format!("must be at least 4 (the first and last point and one bucket's lowest and highest), not {n}"));
    }
    Ok(n)
}

/// `--smoothing`: TensorBoard's weight, in [0, 1) (1 would hold the first value forever).
fn smoothing(s: &str) -> Result<f64, String> {
    let w: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(0.0..1.0).contains(&w) {
        return Err(format!("must be in [0, 1), not {w}"));
    }
    Ok(w)
}

/// Runs the command with stdout buffered: `runs --json` of 300 runs is tens of thousands
/// of small writes, one system call each when unbuffered.
fn run(cli: Cli) -> Result<ExitCode> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let code = execute(cli, &mut out);
    out.flush()?;
    code
}

/// The runs given by id, or those matching `filter` (`None`: a bad filter, explained).
fn chosen_runs(index: &Index, ids: &[String], filter: Option<String>) -> Result<Option<Vec<runlens_index::RunRecord>>> {
    match filter {
        Some(filter) => runs_or_explain(index, &RunsQuery { filter: Some(filter), ..Default::default() }),
        None => Ok(Some(index.runs_by_id(ids)?)),
    }
}

/// The runs of `query`; a bad filter or sort key is explained on stderr (`None`: exit 2).
fn runs_or_explain(index: &Index, query: &RunsQuery) -> Result<Option<Vec<runlens_index::RunRecord>>> {
    match index.runs(query) {
        Ok(runs) => Ok(Some(runs)),
        Err(IndexError::Filter(e)) => {
            eprintln!("runlens: bad filter:\n{}", e.render(query.filter.as_deref().unwrap_or("")));
            Ok(None)
        }
        Err(IndexError::Sort(e)) => {
            let text = query.sort.iter().find(|s| runlens_index::filter::parse_sort(s).is_err()).map(String::as_str).unwrap_or("");
            eprintln!("runlens: bad sort key:\n{}", e.render(text));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The text form of `compare`: one column per run, cells cut to fit (by display width, so
/// wide characters keep the columns straight).
fn print_comparison(out: &mut impl Write, c: &Comparison, only_diff: bool) -> Result<()> {
    const CELL: usize = 14;
    let width =
        c.params.iter().chain(&c.tags).map(|r| r.key.width() + 2).chain(c.metrics.iter().map(|m| m.key.width() + 9)).max().unwrap_or(4).clamp(4, 32);
    let row = |out: &mut dyn Write, key: &str, cells: &[String]| -> std::io::Result<()> {
        write!(out, "{}", fit(key, width))?;
        for cell in cells {
            write!(out, "  {}", fit(cell, CELL))?;
        }
        writeln!(out)
    };
    for (i, r) in c.runs.iter().enumerate() {
        writeln!(out, "run {}  {}  {}  ({}, {})", i + 1, r.id, one_line(&r.name), r.status, r.source)?;
    }
    let header: Vec<String> = (1..=c.runs.len()).map(|i| format!("run {i}")).collect();
    for (title, rows) in [("params", &c.params), ("tags", &c.tags)] {
        let rows: Vec<_> = rows.iter().filter(|r| !only_diff || r.differs).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}{}  (≠ differs, — none)", if only_diff { ", only differences" } else { "" })?;
        row(out, "", &header)?;
        for r in rows {
            let cells: Vec<String> = r.values.iter().map(|v| v.as_deref().map_or_else(|| "—".to_string(), one_line)).collect();
            row(out, &format!("{}{}", if r.differs { "≠ " } else { "  " }, r.key), &cells)?;
        }
    }
    if !c.metrics.is_empty() {
        writeln!(out, "\nmetrics, latest value  (* best)")?;
        row(out, "", &header)?;
        for m in &c.metrics {
            let best = m.best.of(Agg::Latest);
            let cells: Vec<String> = m
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.map_or_else(|| "—".to_string(), |s| format!("{}{}", format::number(s.latest), if best.contains(&i) { " *" } else { "" }))
                })
                .collect();
            row(out, &format!("{} ({})", m.key, m.direction.as_str()), &cells)?;
        }
    }
    if let Some(imp) = &c.importance {
        writeln!(out, "\nwhich params matter for {} ({})", imp.metric, imp.aggregate.column())?;
        if imp.effects.is_empty() {
            writeln!(out, "  none to tell: fewer than three runs with the metric, or no param that differs between them")?;
        }
        for e in &imp.effects {
            writeln!(out, "  {}  {}, {} runs", fit(&e.key, width), e.method.figure(), e.runs)?;
        }
    }
    Ok(())
}

/// Untrusted text on one line: control characters (newlines, escapes) become spaces.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `s` cut (with an ellipsis) or padded to `width` columns of display.
fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    if s.width() > width {
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    } else {
        out.push_str(s);
        used = s.width();
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

fn aggregate(text: &str) -> Result<Agg, String> {
    Agg::parse(text).filter(|a| !matches!(a, Agg::Count | Agg::Step)).ok_or_else(|| "one of latest, last, first, min, max".to_string())
}

fn parse_location(text: &str) -> Result<Location, String> {
    Location::parse(text).map_err(|e| e.reason)
}

fn execute(cli: Cli, mut out: impl Write) -> Result<ExitCode> {
    let db = cli.db.unwrap_or_else(runlens_index::default_db_path);
    // Only `add` and `scan` make an index; a query of one that is not there is a mistake
    // (a mistyped --db), not an empty answer.
    if !matches!(cli.command, Command::Add { .. } | Command::Scan) && !db.exists() {
        anyhow::bail!("no index at {} (make one with `runlens --db {} add FOLDER`)", db.display(), db.display());
    }
    let mut index = Index::open(&db).with_context(|| format!("cannot open the index {}", db.display()))?;
    match cli.command {
        Command::Add { locations } => {
            let report = with_progress(|p| index.add(&locations, p))?;
            print_report(&mut out, &report)?;
            if report.stores.is_empty() {
                for p in locations.iter().filter_map(Location::as_path) {
                    let what = if p.is_file() { " (a file that is not a store)" } else { "" };
                    eprintln!("runlens: no run stores found in {}{what}", p.display());
                }
            }
        }
        Command::Scan => {
            let report = with_progress(|p| index.scan(p))?;
            print_report(&mut out, &report)?;
        }
        Command::Runs { json, all, filter, sort } => {
            let query = RunsQuery { include_deleted: all, filter: filter.clone(), sort: sort.clone(), ..Default::default() };
            let Some(runs) = runs_or_explain(&index, &query)? else { return Ok(ExitCode::from(2)) };
            if json {
                serde_json::to_writer_pretty(&mut out, &json::runs(&runs))?;
                writeln!(out)?;
            } else {
                for r in &runs {
                    writeln!(
                        out,
                        "{}  {:<9} {:<8} {}  {}{}",
                        r.id,
                        r.status,
                        r.source,
                        r.experiment.as_deref().unwrap_or("-"),
                        r.name,
                        if r.deleted { "  (deleted)" } else { "" }
                    )?;
                }
            }
        }
        Command::Artifacts { run, json, hash } => {
            let artifacts = index.artifacts(&run)?;
            // A file that cannot be read has no hash (`null`), the reason on stderr.
            let hashes: Vec<Option<String>> = artifacts
                .iter()
                .map(|a| hash.then(|| index.file_hash(&run, &a.path)).and_then(|h| h.map_err(|e| eprintln!("warning: {e}")).ok()))
                .collect();
            if json {
                let list: Vec<serde_json::Value> = artifacts
                    .iter()
                    .zip(&hashes)
                    .map(|(a, h)| {
                        let mut v = json::run_file(a);
                        if hash {
                            v["blake3"] = serde_json::json!(h);
                        }
                        v
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &list)?;
                writeln!(out)?;
            } else {
                for (a, h) in artifacts.iter().zip(&hashes) {
                    let h = h.as_deref().map(|h| format!("{}  ", &h[..16])).unwrap_or_default();
                    let inside = match (&a.origin, &a.attached) {
                        (Some(log), _) => format!("  (in {log})"),
                        (None, Some(folder)) => format!("  (attached from {folder})"),
                        (None, None) => String::new(),
                    };
                    writeln!(out, "{:>10}  {h}{}{inside}", a.size, a.path)?;
                }
            }
        }
        Command::Attach { run, folder } => {
            let a = index.attach_folder(&run, &folder)?;
            let more = if a.truncated {
                format!(" (it holds more; a listing stops at {})", runlens_index::attached::MAX_ATTACHED_FILES)
            } else {
                String::new()
            };
            writeln!(out, "attached {} to {run}: {} files{more}", a.folder, a.files)?;
            if a.shadowed > 0 {
                writeln!(out, "{} of its files have a path the run already had; those stay the run's own", a.shadowed)?;
            }
        }
        Command::Detach { run, folder } => {
            index.detach_folder(&run, &folder)?;
            writeln!(out, "detached {} from {run}", folder.display())?;
        }
        Command::Cat { run, path } => {
            index.copy_artifact(&run, &path, &mut out)?;
        }
        Command::Show { run, json } => {
            let Some(record) = index.run(&run)? else {
                anyhow::bail!("no run with id {run}");
            };
            let artifacts = index.artifacts(&run)?;
            if json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &json::run_detail(&record, &artifacts, &index.attached_folders(&run)?, &index.datasets(&run)?),
                )?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}  ({}, {})", record.name, record.status, record.source)?;
                writeln!(
                    out,
                    "id          {}\nstore       {}\nexperiment  {}",
                    record.id,
                    record.store,
                    record.experiment.as_deref().unwrap_or("-")
                )?;
                if let Some(d) = format::run_duration(record.start_ms, record.end_ms) {
                    writeln!(out, "duration    {d}")?;
                }
                for (k, v) in &record.params {
                    writeln!(out, "param       {k} = {v}")?;
                }
                for (k, v) in &record.tags {
                    writeln!(out, "tag         {k} = {v}")?;
                }
                for (k, m) in &record.metrics {
                    writeln!(out, "metric      {k}: last {} (step {}), min {}, max {}, {} points", m.last, m.last_step, m.min, m.max, m.count)?;
                }
                for a in &artifacts {
                    let from = a.attached.as_deref().map(|f| format!(", attached from {f}")).unwrap_or_default();
                    writeln!(out, "artifact    {} ({} bytes{from})", a.path, a.size)?;
                }
                write_reproduce(&mut out, &record.provenance.unwrap_or_default())?;
            }
        }
        Command::Series { run, key, json, max_points, x, from, to, smoothing } => {
            let axis = XAxis::parse(&x).ok_or_else(|| anyhow::anyhow!("--x must be step, time or relative, not {x:?}"))?;
            if max_points.is_some() || from.is_some() || to.is_some() || smoothing > 0.0 {
                let range = (from.is_some() || to.is_some()).then(|| (from.unwrap_or(f64::NEG_INFINITY), to.unwrap_or(f64::INFINITY)));
                let request =
                    SeriesRequest { run_id: run.clone(), key: key.clone(), x: axis, range, max_points: max_points.unwrap_or(usize::MAX), smoothing };
                let Some(view) = index.series_view(&request)? else {
                    anyhow::bail!("run {run} has no metric {key:?}");
                };
                if json {
                    serde_json::to_writer(&mut out, &json::series_view(&view, axis))?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "# {} of {} points in range, {} stored{}",
                        view.points.len(),
                        view.in_range,
                        view.stored,
                        if view.reduced { " (reduced)" } else { "" }
                    )?;
                    for p in &view.points {
                        writeln!(out, "{}\t{}\t{}", p.step, p.time_ms, p.value)?;
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            let Some(points) = index.series(&run, &key)? else {
                anyhow::bail!("run {run} has no metric {key:?}");
            };
            if json {
                serde_json::to_writer(&mut out, &json::points(&points))?;
                writeln!(out)?;
            } else {
                for p in &points {
                    writeln!(out, "{}\t{}\t{}", p.step, p.time_ms, p.value)?;
                }
            }
        }
        Command::Annotate { run, star, unstar, note, label, unlabel, json } => {
            let starred = (star || unstar).then_some(star);
            index.annotate(&run, &AnnotationChange { starred, note, add_labels: label, remove_labels: unlabel })?;
            let Some(record) = index.run(&run)? else {
                anyhow::bail!("no run with id {run}");
            };
            if json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &json::run_detail(&record, &index.artifacts(&run)?, &index.attached_folders(&run)?, &index.datasets(&run)?),
                )?;
                writeln!(out)?;
            } else {
                let labels = if record.labels.is_empty() { "-".to_string() } else { record.labels.join(", ") };
                writeln!(out, "{}  {}{}  labels: {labels}", record.id, record.name, if record.starred { "  ★" } else { "" })?;
                if !record.note.is_empty() {
                    writeln!(out, "note: {}", record.note)?;
                }
            }
        }
        Command::Compare { runs, filter, only_diff, metric, agg, json } => {
            let Some(records) = chosen_runs(&index, &runs, filter)? else { return Ok(ExitCode::from(2)) };
            if records.len() < 2 {
                anyhow::bail!("compare needs at least two runs ({} given or matched)", records.len());
            }
            let comparison = index.compare(&records, metric.as_deref().map(|m| (m, agg)))?;
            if json {
                serde_json::to_writer_pretty(&mut out, &json::comparison(&comparison, only_diff))?;
                writeln!(out)?;
            } else {
                print_comparison(&mut out, &comparison, only_diff)?;
            }
        }
        Command::Diff { a, b, json } => {
            let files = index.code_diff(&a, &b)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &json::code_diff(&files))?;
                writeln!(out)?;
            } else if files.is_empty() {
                writeln!(out, "neither store recorded code or environment files for these runs")?;
            } else {
                for f in &files {
                    let state = match (&f.note, f.identical, &f.a, &f.b) {
                        (Some(note), ..) => note.as_str(),
                        (None, true, ..) => "identical",
                        (None, false, None, _) => "only in the second run",
                        (None, false, _, None) => "only in the first run",
                        _ => "differs",
                    };
                    writeln!(out, "== {}: {state}", f.name)?;
                    if !f.unified.is_empty() {
                        write!(out, "{}", f.unified)?;
                        if !f.unified.ends_with('\n') {
                            writeln!(out)?;
                        }
                    }
                }
            }
        }
        Command::Report { runs, filter, out: path, format, metrics, title, images } => {
            let selection = match &filter {
                Some(f) => format!("filter: {f}"),
                None => format!("runs {}", runs.join(", ")),
            };
            let Some(records) = chosen_runs(&index, &runs, filter)? else { return Ok(ExitCode::from(2)) };
            if records.is_empty() {
                anyhow::bail!("no runs to report on ({selection})");
            }
            // The exact command that writes this report again.
            let words: Vec<String> = std::iter::once("runlens".to_string()).chain(std::env::args().skip(1)).collect();
            let command = shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default();
            let request = runlens_report::ReportRequest { title, metrics, selection, command, images };
            let report = runlens_report::gather(&index, records, &request)?;
            let format = format.as_deref().and_then(runlens_report::Format::parse).unwrap_or_else(|| runlens_report::Format::of_path(&path));
            let written = runlens_report::write(&index, &report, &path, format)?;
            for p in runlens_report::documents(&written) {
                writeln!(out, "wrote {}", p.display())?;
            }
        }
        Command::Direction { key, direction } => {
            index.set_metric_direction(&key, Direction::parse(&direction))?;
            let chosen = index.metric_directions()?.get(&key).copied();
            let shown = chosen.unwrap_or_else(|| Direction::guess(&key));
            writeln!(out, "{key}: {} is better ({})", shown.as_str(), if chosen.is_some() { "your choice" } else { "guessed from the name" })?;
        }
        Command::Storage { top, json } => {
            let storage = index.storage(top)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &json::storage(&storage))?;
                writeln!(out)?;
            } else {
                let size = runlens_index::format::size;
                for s in &storage.stores {
                    writeln!(
                        out,
                        "{:>10}  {}  {}  ({} runs; their files {} in {})",
                        size(s.total.bytes),
                        s.source,
                        s.root,
                        s.runs,
                        size(s.artifacts.bytes),
                        s.artifacts.files
                    )?;
                    for (name, u) in &s.experiments {
                        writeln!(out, "{:>10}    {}", size(u.bytes), name.as_deref().unwrap_or("(no experiment)"))?;
                    }
                }
                if !storage.attached.is_empty() {
                    writeln!(out, "attached folders")?;
                }
                for a in &storage.attached {
                    let gone = if a.present { "" } else { "  (not there now)" };
                    writeln!(out, "{:>10}  {}  attached to {}  ({} files){gone}", size(a.usage.bytes), a.folder, a.run_name, a.usage.files)?;
                }
                writeln!(out, "largest runs")?;
                for r in &storage.runs {
                    let attached = if r.attached.files > 0 { format!("  (+{} attached)", size(r.attached.bytes)) } else { String::new() };
                    writeln!(out, "{:>10}  {}  {}{attached}", size(r.usage.bytes), r.name, r.run_id)?;
                }
                writeln!(out, "largest files")?;
                for f in &storage.files {
                    let attached = f.attached.as_deref().map(|d| format!("  (in {d})")).unwrap_or_default();
                    writeln!(out, "{:>10}  {}  {}  {}{attached}", size(f.size), f.run_name, f.path, f.run_id)?;
                }
            }
        }
        Command::Stores { json } => {
            let stores = index.stores()?;
            if json {
                let warnings = index.warnings(None)?;
                serde_json::to_writer_pretty(&mut out, &json::stores(&stores, &warnings))?;
                writeln!(out)?;
            } else {
                for s in &stores {
                    writeln!(out, "{:<11} {:>6} runs {:>4} warnings  {}", s.source, s.runs, s.warnings, s.root)?;
                    if let Some(e) = &s.error {
                        writeln!(out, "         error: {e}")?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `f` with a progress bar on a terminal, or plain progress lines otherwise.
fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(Progress)) -> T) -> T {
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} runs").unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar
    });
    let mut callback = |p: Progress| match (&bar, p) {
        (Some(bar), Progress::Discovering { path }) => bar.set_message(format!("looking for stores in {}", path.display())),
        (Some(bar), Progress::Store { index, count, reader, root }) => {
            bar.set_position(0);
            bar.set_message(format!("[{}/{count}] {reader} {root}", index + 1));
        }
        (Some(bar), Progress::Reading { done, total }) => {
            bar.set_length(total);
            bar.set_position(done);
        }
        (None, Progress::Discovering { path }) => eprintln!("looking for stores in {}", path.display()),
        (None, Progress::Store { index, count, reader, root }) => eprintln!("[{}/{count}] reading {reader} {root}", index + 1),
        (None, Progress::Reading { .. }) => {}
    };
    let result = f(&mut callback);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn print_report(out: &mut impl Write, report: &ScanReport) -> Result<()> {
    for w in &report.warnings {
        eprintln!("warning: {}: {}", w.file.as_deref().unwrap_or("?"), w.message);
    }
    for r in &report.stores {
        let s = &r.stats;
        let what = if s.unchanged {
            "unchanged".to_string()
        } else {
            format!("{} new, {} updated, {} removed, {} points read", s.runs_new, s.runs_updated, s.runs_removed, s.points_added)
        };
        writeln!(out, "{:<11} {:>6} runs ({what}), {} warnings  {}", r.store.source, r.store.runs, r.store.warnings, r.store.root)?;
        if let Some(e) = &s.error {
            writeln!(out, "         error: {e}")?;
        }
    }
    Ok(())
}

/// The Reproduce part of `runlens show`: where the run came from, and the command that
/// runs it again or what the store did not record for one.
fn write_reproduce(out: &mut impl Write, p: &runlens_index::Provenance) -> std::io::Result<()> {
    use runlens_index::provenance::{command, reproduce};
    if let Some(c) = command(p) {
        writeln!(out, "command     {c}")?;
    }
    if let Some(dir) = &p.workdir {
        writeln!(out, "workdir     {dir}")?;
    }
    if let Some(commit) = &p.git.commit {
        let branch = p.git.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default();
        let remote = p.git.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default();
        let dirty = if p.git.dirty == Some(true) { ", uncommitted changes" } else { "" };
        writeln!(out, "git         {commit}{branch}{remote}{dirty}")?;
    }
    if p.python.is_some() || !p.packages.is_empty() {
        let python = p.python.as_deref().unwrap_or("Python");
        writeln!(out, "python      {python}, {} packages recorded", p.packages.len())?;
    }
    for f in &p.environment_files {
        writeln!(out, "environment {f}")?;
    }
    if let Some(host) = &p.host {
        writeln!(out, "host        {host}{}", p.os.as_ref().map(|o| format!(" ({o})")).unwrap_or_default())?;
    }
    let again = reproduce(p);
    match &again.command {
        Some(c) => writeln!(out, "reproduce   {c}")?,
        None => writeln!(out, "reproduce   not possible from what the store recorded")?,
    }
    for m in &again.missing {
        writeln!(out, "            ({})", m.describe())?;
    }
    Ok(())
}
