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
use runlens_index::{Index, IndexError, Progress, RunsQuery, ScanReport};

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
    /// Find every run store below each path and index it.
    Add {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
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
    /// List registered stores with their run counts and warnings.
    Stores {
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

fn execute(cli: Cli, mut out: impl Write) -> Result<ExitCode> {
    let db = cli.db.unwrap_or_else(runlens_index::default_db_path);
    // Only `add` and `scan` make an index; a query of one that is not there is a mistake
    // (a mistyped --db), not an empty answer.
    if !matches!(cli.command, Command::Add { .. } | Command::Scan) && !db.exists() {
        anyhow::bail!("no index at {} (make one with `runlens --db {} add FOLDER`)", db.display(), db.display());
    }
    let mut index = Index::open(&db).with_context(|| format!("cannot open the index {}", db.display()))?;
    match cli.command {
        Command::Add { paths } => {
            let report = with_progress(|p| index.add(&paths, p))?;
            print_report(&mut out, &report)?;
            if report.stores.is_empty() {
                for p in &paths {
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
            let runs = match index.runs(&query) {
                Ok(runs) => runs,
                Err(IndexError::Filter(e)) => {
                    eprintln!("runlens: bad filter:\n{}", e.render(filter.as_deref().unwrap_or("")));
                    return Ok(ExitCode::from(2));
                }
                Err(IndexError::Sort(e)) => {
                    let text = sort.iter().find(|s| runlens_index::filter::parse_sort(s).is_err()).map(String::as_str).unwrap_or("");
                    eprintln!("runlens: bad sort key:\n{}", e.render(text));
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            };
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
        Command::Show { run, json } => {
            let Some(record) = index.run(&run)? else {
                anyhow::bail!("no run with id {run}");
            };
            let artifacts = index.artifacts(&run)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &json::run_detail(&record, &artifacts))?;
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
                if let Some(d) = runlens_index::format::run_duration(record.start_ms, record.end_ms) {
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
                    writeln!(out, "artifact    {} ({} bytes)", a.path, a.size)?;
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
            if star || unstar {
                index.set_starred(&run, star)?;
            }
            if let Some(note) = &note {
                index.set_note(&run, note)?;
            }
            for l in &label {
                index.add_label(&run, l)?;
            }
            for l in &unlabel {
                index.remove_label(&run, l)?;
            }
            let Some(record) = index.run(&run)? else {
                anyhow::bail!("no run with id {run}");
            };
            if json {
                serde_json::to_writer_pretty(&mut out, &json::run_detail(&record, &index.artifacts(&run)?))?;
                writeln!(out)?;
            } else {
                let labels = if record.labels.is_empty() { "-".to_string() } else { record.labels.join(", ") };
                writeln!(out, "{}  {}{}  labels: {labels}", record.id, record.name, if record.starred { "  ★" } else { "" })?;
                if !record.note.is_empty() {
                    writeln!(out, "note: {}", record.note)?;
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
