//! `runlens-bench`: generates deterministic run stores at a chosen scale (an MLflow folder
//! store, TensorBoard event files, MLflow SQLite stores with many runs), times Runlens on
//! them — cold `add` with the real release CLI (throughput, peak RSS), unchanged rescans,
//! filter + sort, chart series reduction, index size — optionally times MLflow and
//! TensorBoard on the same stores, and writes `docs/PERFORMANCE.md`.
//!
//! ```text
//! cargo run --release -p runlens-bench -- [--scale tiny|small|full] [--work DIR] [--out FILE] [--side-by-side]
//! ```

mod generate;
mod measure;
mod report;
mod rng;
mod side;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use clap::{Parser, ValueEnum};
use runlens_index::chart::{SeriesRequest, XAxis};
use runlens_index::{Index, RunsQuery};

use generate::{DataSet, mlflow_file, mlflow_sqlite, tensorboard};
use measure::{Stat, fmt_mb, fmt_secs, run_child, thousands, time_reps};
use report::{Budget, Report, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScaleName {
    /// Seconds: what CI runs to check the benchmarks still work.
    Tiny,
    /// About a tenth of full.
    Small,
    /// The real measurement: the sizes the budgets are stated for.
    Full,
}

#[derive(Parser, Debug)]
#[command(name = "runlens-bench", about = "Generate run stores at scale, time Runlens on them, write docs/PERFORMANCE.md")]
struct Cli {
    #[arg(long, value_enum, default_value = "small")]
    scale: ScaleName,
    /// Where generated stores and indexes live (reused when scale and seed match).
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
    /// The report to write.
    #[arg(long, value_name = "FILE", default_value = "docs/PERFORMANCE.md")]
    out: PathBuf,
    /// Also time mlflow.search_runs, TensorBoard's EventMultiplexer and RustBoard on the same stores.
    #[arg(long)]
    side_by_side: bool,
    /// A Python with mlflow and tensorboard (for --side-by-side).
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: PathBuf,
    /// The `runlens` binary to time (default: build it with `cargo build --release --bin runlens`).
    #[arg(long, value_name = "PATH")]
    runlens: Option<PathBuf>,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Repetitions of each cold `add` (default by scale).
    #[arg(long)]
    reps: Option<usize>,
    /// Only these parts (comma-separated: mlflow, tensorboard, series, report, queries,
    /// rescan, compare); default: all. Pass another `--out` to keep docs/PERFORMANCE.md whole.
    #[arg(long, value_name = "PARTS", value_delimiter = ',')]
    only: Vec<String>,
    /// Also time the real app's Compare view: the `compare_render` example of tests/e2e
    /// (`cargo build --manifest-path tests/e2e/Cargo.toml --example compare_render`), run
    /// under `xvfb-run` with tauri-driver on PATH.
    #[arg(long, value_name = "PATH")]
    app_driver: Option<PathBuf>,
    /// The app binary the driver starts (build it with `cargo build --release -p runlens-app`).
    #[arg(long, value_name = "PATH")]
    app: Option<PathBuf>,
}

/// Sizes of one scale.
#[derive(Debug, Clone, Copy)]
struct Scale {
    name: ScaleName,
    mlflow: mlflow_file::Shape,
    tb: tensorboard::Shape,
    series: tensorboard::Shape,
    /// The runs × metrics × points of the timed comparison report.
    report: tensorboard::Shape,
    /// The runs × params of the timed Compare view in the app.
    compare: mlflow_file::Shape,
    query_runs: [usize; 2],
    rescan: mlflow_file::Shape,
    add_reps: usize,
    query_reps: usize,
    side_reps: usize,
}

impl Scale {
    fn new(name: ScaleName, seed: u64) -> Scale {
        let mlflow = |runs, params, metrics, steps| mlflow_file::Shape { runs, params, metrics, steps, seed };
        let tb = |runs, tags, steps| tensorboard::Shape { runs, tags, steps, seed };
        match name {
            ScaleName::Tiny => Scale {
                name,
                mlflow: mlflow(20, 20, 10, 50),
                tb: tb(4, 5, 200),
                series: tb(1, 1, 20_000),
                report: tb(5, 3, 1_000),
                compare: mlflow(20, 50, 4, 20),
                query_runs: [300, 1_000],
                rescan: mlflow(100, 5, 2, 20),
                add_reps: 2,
                query_reps: 5,
                side_reps: 1,
            },
            ScaleName::Small => Scale {
                name,
                mlflow: mlflow(100, 20, 10, 500),
                tb: tb(10, 5, 2_000),
                series: tb(1, 1, 100_000),
                report: tb(50, 10, 10_000),
                compare: mlflow(100, 200, 4, 20),
                query_runs: [1_000, 10_000],
                rescan: mlflow(1_000, 5, 2, 20),
                add_reps: 3,
                query_reps: 10,
                side_reps: 2,
            },
            ScaleName::Full => Scale {
                name,
                mlflow: mlflow(1_000, 20, 10, 500),
                tb: tb(100, 5, 2_000),
                series: tb(1, 1, 1_000_000),
                report: tb(50, 10, 100_000),
                compare: mlflow(500, 200, 4, 20),
                query_runs: [10_000, 100_000],
                rescan: mlflow(10_000, 5, 2, 20),
                add_reps: 3,
                query_reps: 10,
                side_reps: 3,
            },
        }
    }

    fn label(&self) -> &'static str {
        match self.name {
            ScaleName::Tiny => "tiny",
            ScaleName::Small => "small",
            ScaleName::Full => "full",
        }
    }

    /// A budget, which applies only at full scale.
    fn budget(&self, limit: f64) -> Option<Budget> {
        Some(Budget { limit, applies: self.name == ScaleName::Full })
    }
}

/// Filter shapes timed over the many-run indexes: (label, filter, sort key).
const QUERIES: &[(&str, &str, &str)] = &[
    ("param equality", "params.optimizer = 'adamw'", "-metrics.`val/acc`.max"),
    ("metric aggregate", "metrics.`val/loss`.min < 0.5", "metrics.`val/loss`.min"),
    ("or", "params.optimizer = 'sgd' or params.batch_size >= 256", "-started"),
    ("regex", "name ~ '^(bold|swift)-[a-z]+-1'", "name"),
    ("and + aggregate", "params.model.arch = 'vit-b16' and metrics.`val/acc`.max > 0.8 and status = 'finished'", "-metrics.`val/acc`.max"),
];

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("runlens-bench: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut scale = Scale::new(cli.scale, cli.seed);
    if let Some(r) = cli.reps {
        scale.add_reps = r.max(1);
    }
    let work = cli.work.clone().unwrap_or_else(default_work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let work = std::fs::canonicalize(&work)?;
    let runlens = match &cli.runlens {
        Some(p) => p.clone(),
        None => build_runlens()?,
    };
    eprintln!("runlens-bench: scale {}, work folder {}, runlens {}", scale.label(), work.display(), runlens.display());

    let want = |part: &str| cli.only.is_empty() || cli.only.iter().any(|p| p == part);
    ensure!(!cli.side_by_side || (want("mlflow") && want("tensorboard")), "--side-by-side needs the mlflow and tensorboard parts");
    // Generate (or reuse) every data set first, so no measurement overlaps generation.
    let set = |shape_name: String, about: String, build: &dyn Fn(&Path) -> Result<PathBuf>| dataset(&work, &shape_name, &about, build);
    let some = |part: &str, make: &dyn Fn() -> Result<DataSet>| if want(part) { make().map(Some) } else { Ok(None) };
    let mlflow = some("mlflow", &|| set(scale.mlflow.name(), scale.mlflow.describe(), &|d| mlflow_file::generate(d, scale.mlflow)))?;
    let tb = some("tensorboard", &|| set(scale.tb.name(), scale.tb.describe(), &|d| tensorboard::generate(d, scale.tb)))?;
    let series = some("series", &|| set(scale.series.name(), scale.series.describe(), &|d| tensorboard::generate(d, scale.series)))?;
    let report_set = some("report", &|| set(scale.report.name(), scale.report.describe(), &|d| tensorboard::generate(d, scale.report)))?;
    let sqlite: Vec<(mlflow_sqlite::Shape, DataSet)> = if want("queries") {
        scale
            .query_runs
            .iter()
            .map(|&n| {
                let shape = mlflow_sqlite::Shape::for_runs(n, cli.seed);
                dataset(&work, &shape.name(), &shape.describe(), |d| mlflow_sqlite::generate(d, shape)).map(|d| (shape, d))
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let rescan = some("rescan", &|| set(scale.rescan.name(), scale.rescan.describe(), &|d| mlflow_file::generate(d, scale.rescan)))?;
    let compare = match &cli.app_driver {
        Some(_) if want("compare") => Some(set(scale.compare.name(), scale.compare.describe(), &|d| mlflow_file::generate(d, scale.compare))?),
        _ => None,
    };

    let load_before = measure::loadavg();
    let indexes = work.join("indexes");
    std::fs::create_dir_all(&indexes)?;
    let mut b = Bench { runlens, indexes, scale, rows: Vec::new(), data: Vec::new() };

    let mlflow_add = mlflow.as_ref().map(|s| b.mlflow_store(s)).transpose()?;
    let tb_add = tb.as_ref().map(|s| b.tensorboard(s)).transpose()?;
    if let Some(s) = &series {
        b.series(s)?;
    }
    if let Some(s) = &report_set {
        b.report(s)?;
    }
    for (shape, set) in &sqlite {
        b.queries(*shape, set)?;
    }
    if let Some(s) = &rescan {
        b.rescan(s)?;
    }
    if let (Some(driver), Some(set)) = (&cli.app_driver, &compare) {
        b.compare_view(driver, cli.app.as_deref(), set)?;
    }

    let side = match (&mlflow, &tb, &mlflow_add, &tb_add) {
        (Some(m), Some(t), Some(ma), Some(ta)) if cli.side_by_side => Some(side_by_side(&cli, &scale, m, t, ma, ta).map_err(|e| format!("{e:#}"))),
        _ => None,
    };
    if let Some(Err(why)) = &side {
        eprintln!("side-by-side skipped: {why}");
    }

    let load_after = measure::loadavg();
    let report = Report {
        date: measure::utc_now(),
        commit: git_commit(),
        command: command_line(),
        machine: measure::machine(),
        load: (load_before, load_after),
        scale: scale.label().into(),
        data: b.data,
        rows: b.rows,
        side,
    };
    println!("{}", report.markdown());
    report.write(&cli.out)?;
    eprintln!("runlens-bench: wrote {}", cli.out.display());
    Ok(())
}

fn default_work() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root")).join(".cache/runlens/bench")
}

fn dataset(work: &Path, name: &str, description: &str, build: impl FnOnce(&Path) -> Result<PathBuf>) -> Result<DataSet> {
    eprintln!("data: {description}");
    let set = generate::ensure(work, name, description, build)?;
    if set.generated {
        eprintln!("  generated in {} at {}", fmt_secs(set.gen_secs), set.store.display());
    } else {
        eprintln!("  reused {}", set.store.display());
    }
    Ok(set)
}

/// Builds the `runlens` CLI of this source tree and returns its path: `cargo build
/// --release --bin runlens` into `<target>/bench-cli`. A target folder of its own, because
/// `<target>/release/runlens` is shared by every checkout using the same target folder
/// (another worktree's build may have put its binary there, and cargo does not copy a
/// fresh build over it). `--runlens PATH` skips this (CI passes the binary it just built).
fn build_runlens() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-cli");
    eprintln!("runlens-bench: cargo build --release --bin runlens --target-dir {}", target.display());
    let status = Command::new(&cargo)
        .args(["build", "--release", "--bin", "runlens", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .context("cannot run cargo to build the runlens CLI (or pass --runlens PATH)")?;
    ensure!(status.success(), "cargo build --release --bin runlens failed");
    let exe = target.join("release/runlens");
    ensure!(exe.exists(), "{} is missing after the build", exe.display());
    Ok(exe)
}

fn git_commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = |args: &[&str]| Command::new("git").arg("-C").arg(dir).args(args).output().ok().filter(|o| o.status.success());
    let Some(head) = out(&["rev-parse", "--short=12", "HEAD"]) else { return "unknown".into() };
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let dirty = out(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|o| !o.stdout.is_empty());
    if dirty { format!("{head} (with uncommitted changes)") } else { head }
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| if a.contains(' ') { format!("'{a}'") } else { a }).collect();
    format!("cargo run --release -p runlens-bench -- {}", args.join(" ")).trim_end().to_string()
}

/// What the cold adds measured, for the side-by-side ratios.
struct AddResult {
    add: Stat,
    query: Option<Stat>,
    second_start: Option<Stat>,
}

struct Bench {
    runlens: PathBuf,
    indexes: PathBuf,
    scale: Scale,
    rows: Vec<Row>,
    data: Vec<String>,
}

/// Totals read back from an index: runs and stored points.
fn index_totals(db: &Path) -> Result<(u64, u64)> {
    let index = Index::open(db)?;
    let runs = index.runs(&RunsQuery { include_deleted: true, ..Default::default() })?;
    let points = runs.iter().flat_map(|r| r.metrics.values()).map(|m| m.count).sum();
    Ok((runs.len() as u64, points))
}

impl Bench {
    /// `runlens --db DB add STORE` from scratch, `reps` times: time and peak RSS.
    fn cold_add(&self, db: &Path, store: &Path, reps: usize) -> Result<(Stat, Stat, measure::ChildCost)> {
        let mut secs = Vec::new();
        let mut rss = Vec::new();
        let mut last = None;
        for rep in 0..reps {
            measure::remove_db(db)?;
            let log = db.with_extension("add.log");
            let cost = run_child(Command::new(&self.runlens).arg("--db").arg(db).arg("add").arg(store), &log)?;
            eprintln!(
                "    add rep {}: {} (user {:.2} s, sys {:.2} s), peak RSS {}",
                rep + 1,
                fmt_secs(cost.secs),
                cost.user_secs,
                cost.sys_secs,
                fmt_mb(cost.max_rss)
            );
            secs.push(cost.secs);
            rss.push(cost.max_rss as f64);
            last = Some(cost);
        }
        Ok((Stat::of(&secs), Stat::of(&rss), last.expect("at least one repetition")))
    }

    /// In-process: open the index and rescan every store; nothing may change. Then, once,
    /// the CLI's `scan` under strace: which files of the store it opens (must be none).
    fn unchanged_scan(&self, db: &Path, store: &Path, reps: usize) -> Result<(Stat, String)> {
        let mut changed = false;
        let stat = time_reps(reps, || {
            let mut index = Index::open(db)?;
            let report = index.scan(&mut |_| {})?;
            changed |= report.stores.iter().any(|s| s.stats.changed());
            Ok(())
        })?;
        ensure!(!changed, "a rescan of an unchanged store changed the index");
        let opened = match measure::trace_scan(&self.runlens, db, store)? {
            None => "not checked (no strace)".to_string(),
            Some(t) if t.read_files.is_empty() => {
                format!("yes (strace of `runlens scan`: {} files of the store opened and checked, none read)", thousands(t.opened))
            }
            Some(t) => {
                eprintln!("warning: the unchanged rescan read {} files of the store, e.g. {}", t.read_files.len(), t.read_files[0]);
                format!(
                    "**NO**: strace of `runlens scan` saw {} files of the store read, {} bytes in all (e.g. `{}`); {} opened",
                    thousands(t.read_files.len() as u64),
                    thousands(t.read_bytes),
                    t.read_files[0],
                    thousands(t.opened)
                )
            }
        };
        Ok((stat, opened))
    }

    fn mlflow_store(&mut self, set: &DataSet) -> Result<AddResult> {
        let shape = self.scale.mlflow;
        let (bytes, files) = measure::tree_size(&set.store);
        self.data.push(format!("{}: {}, {} files, `{}`", shape.describe(), fmt_mb(bytes), thousands(files), set.store.display()));
        eprintln!("bench: cold add of the MLflow folder store ({} points)", thousands(shape.points()));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        let (add, rss, last) = self.cold_add(&db, &set.store, self.scale.add_reps)?;
        let (runs, points) = index_totals(&db)?;
        ensure!(
            runs == shape.runs as u64 && points == shape.points(),
            "the index has {runs} runs / {points} points, expected {} / {}",
            shape.runs,
            shape.points()
        );
        let size = measure::db_size(&db);
        let what = format!("Cold `add`: MLflow folder store, {} runs, {} points", thousands(runs), thousands(points));
        self.rows.push(Row::time(
            what,
            add,
            self.scale.budget(2.0),
            format!(
                "{:.0} runs/s, {} points/s, {:.0} MB/s of {} in {} files; CPU user {:.2} s + sys {:.2} s (last rep)",
                runs as f64 / add.median,
                thousands((points as f64 / add.median) as u64),
                bytes as f64 / 1e6 / add.median,
                fmt_mb(bytes),
                thousands(files),
                last.user_secs,
                last.sys_secs
            ),
        ));
        self.rows.push(Row::value(
            format!("Peak RSS of `runlens add` indexing {} points", thousands(points)),
            fmt_mb(rss.median as u64),
            Some(("≤ 200 MB".into(), rss.median <= 200e6, self.scale.name == ScaleName::Full)),
            format!("`ru_maxrss` of the child; min {}", fmt_mb(rss.min as u64)),
        ));
        self.rows.push(Row::value(
            format!("Index size for {} points", thousands(points)),
            fmt_mb(size),
            Some(("≤ 60 MB".into(), size as f64 <= 60e6, self.scale.name == ScaleName::Full)),
            format!("store {} ({:.1}× smaller); {:.1} bytes/point", fmt_mb(bytes), bytes as f64 / size as f64, size as f64 / points as f64),
        ));

        let index = Index::open(&db)?;
        let query = time_reps(self.scale.query_reps, || {
            let runs = index.runs(&RunsQuery::default())?;
            ensure!(runs.len() == shape.runs, "query returned {} runs", runs.len());
            Ok(())
        })?;
        drop(index);
        self.rows.push(Row::time(
            format!("Query the index afterwards: all {} runs with params, tags, metric summaries", thousands(runs)),
            query,
            self.scale.budget(0.020),
            "`Index::runs(RunsQuery::default())`, what `search_runs(max_results=1000)` returns",
        ));
        let (scan, opened) = self.unchanged_scan(&db, &set.store, self.scale.query_reps)?;
        self.rows.push(Row::time(
            format!("Scan of the unchanged MLflow store ({} runs, {} files)", thousands(runs), thousands(files)),
            scan,
            None,
            format!("open + `Index::scan`, nothing changed; reads no file content: {opened}"),
        ));
        Ok(AddResult { add, query: Some(query), second_start: None })
    }

    fn tensorboard(&mut self, set: &DataSet) -> Result<AddResult> {
        let shape = self.scale.tb;
        let (bytes, files) = measure::tree_size(&set.store);
        self.data.push(format!("{}: {} in {} event files, `{}`", shape.describe(), fmt_mb(bytes), files, set.store.display()));
        eprintln!("bench: cold add of the TensorBoard logdir ({} points)", thousands(shape.points()));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        let (add, rss, last) = self.cold_add(&db, &set.store, self.scale.add_reps)?;
        let (runs, points) = index_totals(&db)?;
        ensure!(
            runs == shape.runs as u64 && points == shape.points(),
            "the index has {runs} runs / {points} points, expected {} / {}",
            shape.runs,
            shape.points()
        );
        let size = measure::db_size(&db);
        self.rows.push(Row::time(
            format!("Cold `add`: TensorBoard logdir, {} runs, {} points (checksums verified, persisted)", runs, thousands(points)),
            add,
            self.scale.budget(0.5),
            format!(
                "{} points/s, {:.0} MB/s of {}; peak RSS {}; index {}; CPU user {:.2} s + sys {:.2} s (last rep)",
                thousands((points as f64 / add.median) as u64),
                bytes as f64 / 1e6 / add.median,
                fmt_mb(bytes),
                fmt_mb(rss.median as u64),
                fmt_mb(size),
                last.user_secs,
                last.sys_secs
            ),
        ));
        // Second start: the real program, started again on the unchanged logdir.
        let mut samples = Vec::new();
        for _ in 0..self.scale.query_reps.min(5) {
            let cost = run_child(Command::new(&self.runlens).arg("--db").arg(&db).arg("scan"), &db.with_extension("scan.log"))?;
            samples.push(cost.secs);
        }
        let second = Stat::of(&samples);
        let (scan, opened) = self.unchanged_scan(&db, &set.store, self.scale.query_reps)?;
        self.rows.push(Row::time(
            "TensorBoard second start: `runlens scan` of the unchanged logdir (process start included)",
            second,
            self.scale.budget(0.05),
            format!("budget \"near zero\" read as ≤ 50 ms; in-process open + scan {}; reads no file content: {opened}", fmt_secs(scan.median)),
        ));
        Ok(AddResult { add, query: None, second_start: Some(second) })
    }

    fn series(&mut self, set: &DataSet) -> Result<()> {
        let shape = self.scale.series;
        let (bytes, _) = measure::tree_size(&set.store);
        self.data.push(format!("{}: {}, `{}`", shape.describe(), fmt_mb(bytes), set.store.display()));
        eprintln!("bench: series of {} points", thousands(shape.points()));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        let (add, _, _) = self.cold_add(&db, &set.store, 1)?;
        let index = Index::open(&db)?;
        let runs = index.runs(&RunsQuery::default())?;
        ensure!(runs.len() == 1, "expected one run, found {}", runs.len());
        let key = runs[0].metrics.keys().next().cloned().context("the run has no metric")?;
        let n = shape.steps as f64;
        let mut req = SeriesRequest { run_id: runs[0].id.clone(), key, x: XAxis::Step, range: None, max_points: 2000, smoothing: 0.0 };
        let check = |req: &SeriesRequest, expect_in_range: u64| -> Result<Stat> {
            time_reps(self.scale.query_reps, || {
                let view = index.series_view(req)?.context("no series")?;
                ensure!(view.stored == shape.points(), "stored {} points", view.stored);
                ensure!(view.in_range == expect_in_range, "{} points in range, expected {expect_in_range}", view.in_range);
                ensure!(view.points.len() <= req.max_points, "{} points returned", view.points.len());
                Ok(())
            })
        };
        let whole = check(&req, shape.points())?;
        let (lo, hi) = ((0.45 * n).round(), (0.55 * n).round() - 1.0);
        req.range = Some((lo, hi));
        let zoom = check(&req, (hi - lo) as u64 + 1)?;
        self.rows.push(Row::time(
            format!("One {}-point series → ~2,000-point reduction (2,000-px chart)", thousands(shape.points())),
            whole,
            self.scale.budget(0.030),
            format!("`series_view`, step axis, min/max buckets; cold add of this run took {}", fmt_secs(add.median)),
        ));
        self.rows.push(Row::time(
            format!("10× zoom into it (steps {lo}..={hi})"),
            zoom,
            self.scale.budget(0.010),
            "reads only the chunks overlapping the range",
        ));
        Ok(())
    }

    /// A comparison report of every run × metric of the report data set: gathered from
    /// the index (comparison, reduced chart lines, hashes of every stored point) and
    /// written as HTML, as `runlens report` does.
    fn report(&mut self, set: &DataSet) -> Result<()> {
        let shape = self.scale.report;
        eprintln!("bench: report of {} runs × {} metrics × {} points", shape.runs, shape.tags, thousands(shape.steps as u64));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        self.cold_add(&db, &set.store, 1)?;
        let index = Index::open(&db)?;
        let runs = index.runs(&RunsQuery::default())?;
        ensure!(runs.len() == shape.runs, "expected {} runs, found {}", shape.runs, runs.len());
        let metrics: Vec<String> = runs[0].metrics.keys().cloned().collect();
        ensure!(metrics.len() == shape.tags, "expected {} metrics, found {}", shape.tags, metrics.len());
        let request = runlens_report::ReportRequest { metrics, ..Default::default() };
        let mut size = 0;
        let stat = time_reps(self.scale.query_reps.min(5), || {
            let report = runlens_report::gather(&index, runs.clone(), &request)?;
            ensure!(report.charts.iter().all(|c| c.stored() == shape.runs as u64 * shape.steps as u64), "a chart lost points");
            size = runlens_report::html(&report).len();
            Ok(())
        })?;
        self.rows.push(Row::time(
            format!("HTML report: {} runs × {} metrics × {} points each", shape.runs, shape.tags, thousands(shape.steps as u64)),
            stat,
            self.scale.budget(1.0),
            "`runlens_report::gather` + `html`: comparison, ≤ 600 drawn points per line, BLAKE3 of every stored point",
        ));
        self.rows.push(Row::value(
            "Size of that HTML report",
            fmt_mb(size as u64),
            Some(("≤ 3 MB".into(), size as f64 <= 3e6, self.scale.name == ScaleName::Full)),
            format!("one file; {} inline SVG charts", shape.tags),
        ));
        Ok(())
    }

    /// The real app's Compare view of every run of `set`: from the click to the first
    /// frame painted with the tables it opens on, and to the plots below painted (the
    /// driver reads the page's clock).
    fn compare_view(&mut self, driver: &Path, app: Option<&Path>, set: &DataSet) -> Result<()> {
        let shape = self.scale.compare;
        eprintln!("bench: Compare view of {} runs × {} params in the app", shape.runs, shape.params);
        let mut cmd = Command::new("xvfb-run");
        cmd.args(["-a", "-s", "-screen 0 1280x800x24"]).arg(driver).arg("--store").arg(&set.store);
        cmd.args(["--runs", &shape.runs.to_string(), "--params", &shape.params.to_string(), "--reps", "5"]);
        if let Some(app) = app {
            cmd.env("RUNLENS_APP", app);
        }
        let out = cmd.env("LANG", "C.UTF-8").output().context("cannot run xvfb-run with the app driver")?;
        ensure!(out.status.success(), "the app driver failed: {}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout);
        let answer: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or_default())
            .with_context(|| format!("the app driver printed no JSON: {line}"))?;
        let series = |key: &str| -> Vec<f64> { answer[key].as_array().into_iter().flatten().filter_map(|v| v.as_f64()).collect() };
        let ms = series("click_to_painted_ms");
        ensure!(!ms.is_empty(), "no timings in {answer}");
        let median_ms = |key: &str| {
            let v = series(key);
            if v.is_empty() { "?".to_string() } else { fmt_secs(Stat::of(&v).median / 1000.0) }
        };
        let secs: Vec<f64> = ms.iter().map(|m| m / 1000.0).collect();
        self.rows.push(Row::time(
            format!("App: Compare view of {} runs × {} params", shape.runs, shape.params),
            Stat::of(&secs),
            self.scale.budget(0.3),
            format!(
                "the real app{} under Xvfb at 1280×800, from the click on Compare to the first frame painted with what the window opens on, the params and metrics tables (the page's `performance.now()`). The sections below are built after that frame, one per task: the curves (a uPlot line per run), then the scatter and parallel coordinates, painted at {}. Medians: the backend's answer arrived at {}, the view's DOM was updated at {}; `compare_runs` alone takes {}; {} elements in the page at the first frame",
                app.map(|a| format!(" (`{}`)", a.display())).unwrap_or_default(),
                median_ms("click_to_plots_painted_ms"),
                median_ms("click_to_answer_ms"),
                median_ms("click_to_dom_ms"),
                median_ms("compare_runs_ms"),
                answer["elements"]
            ),
        ));
        Ok(())
    }

    fn queries(&mut self, shape: mlflow_sqlite::Shape, set: &DataSet) -> Result<()> {
        let (bytes, _) = measure::tree_size(&set.store);
        self.data.push(format!("{}: {}, `{}`", shape.describe(), fmt_mb(bytes), set.store.display()));
        eprintln!("bench: queries over {} runs", thousands(shape.runs as u64));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        let (add, rss, _) = self.cold_add(&db, &set.store, 1)?;
        let n = thousands(shape.runs as u64);
        let big = shape.runs == self.scale.query_runs[1];
        self.rows.push(Row::time(
            format!("Cold `add`: MLflow SQLite store, {n} runs"),
            add,
            None,
            format!("{:.0} runs/s; peak RSS {}; index {}", shape.runs as f64 / add.median, fmt_mb(rss.median as u64), fmt_mb(measure::db_size(&db))),
        ));
        let index = Index::open(&db)?;
        ensure!(index.count_runs(&RunsQuery::default())? == shape.runs as u64, "not every run was indexed");
        for (label, filter, sort) in QUERIES {
            let q = RunsQuery { filter: Some(filter.to_string()), sort: vec![sort.to_string()], limit: Some(100), ..Default::default() };
            let mut matched = 0;
            // What the app's table asks: one page and the count, from one evaluation.
            let stat = time_reps(self.scale.query_reps, || {
                let (page, total) = index.runs_page(&q)?;
                matched = total;
                ensure!(page.len() as u64 == matched.min(100), "page of {} for {matched} matches", page.len());
                Ok(())
            })?;
            let only = time_reps(self.scale.query_reps, || index.count_runs(&q).map(|_| ()).map_err(Into::into))?;
            self.rows.push(Row::time(
                format!("Filter + sort, {n} runs, {label}: `{filter}` by `{sort}`"),
                stat,
                if big { self.scale.budget(0.050) } else { None },
                format!(
                    "`runs_page`: first 100 of {} matches with their count; evaluating the filter alone (`count_runs`) {}",
                    thousands(matched),
                    fmt_secs(only.median)
                ),
            ));
        }
        let q = RunsQuery { limit: Some(100), ..Default::default() };
        let page = time_reps(self.scale.query_reps, || {
            let (runs, total) = index.runs_page(&q)?;
            ensure!(runs.len() == 100.min(shape.runs) && total == shape.runs as u64, "short first page");
            Ok(())
        })?;
        self.rows.push(Row::time(
            format!("First page of the table (100 rows, newest first) for {n} runs"),
            page,
            if big { self.scale.budget(0.100) } else { None },
            "`runs_page(limit 100)`: the rows with params, tags, metric summaries, and the count",
        ));
        Ok(())
    }

    fn rescan(&mut self, set: &DataSet) -> Result<()> {
        let shape = self.scale.rescan;
        let (bytes, files) = measure::tree_size(&set.store);
        self.data.push(format!("{}: {}, {} files, `{}`", shape.describe(), fmt_mb(bytes), thousands(files), set.store.display()));
        eprintln!("bench: rescan of an unchanged {}-run folder store", thousands(shape.runs as u64));
        let db = self.indexes.join(format!("{}.sqlite", shape.name()));
        let (add, rss, _) = self.cold_add(&db, &set.store, 1)?;
        let (runs, _) = index_totals(&db)?;
        ensure!(runs == shape.runs as u64, "the index has {runs} runs, expected {}", shape.runs);
        let (scan, opened) = self.unchanged_scan(&db, &set.store, self.scale.query_reps.min(5))?;
        self.rows.push(Row::time(
            format!("Rescan of an unchanged {}-run MLflow folder store ({} files)", thousands(runs), thousands(files)),
            scan,
            self.scale.budget(1.0),
            format!(
                "open + `Index::scan`, nothing changed; reads no file content: {opened}; its cold add took {} (peak RSS {})",
                fmt_secs(add.median),
                fmt_mb(rss.median as u64)
            ),
        ));
        Ok(())
    }
}

fn side_by_side(
    cli: &Cli,
    scale: &Scale,
    mlflow: &DataSet,
    tb: &DataSet,
    mlflow_add: &AddResult,
    tb_add: &AddResult,
) -> Result<(String, Vec<side::Timing>, Vec<String>)> {
    let py = side::find_python(&cli.python)?;
    let about = format!("`{}` with mlflow {}, tensorboard {}, tensorboard-data-server {}", py.exe, py.versions.0, py.versions.1, py.versions.2);
    eprintln!("side by side: {about}");
    let reps = scale.side_reps;
    let mut timings = Vec::new();
    let mut ratios = Vec::new();

    eprintln!("  mlflow.search_runs on the folder store");
    let exp = mlflow_file::experiment_id(scale.mlflow.seed);
    let search = side::search_runs(&py, &mlflow.store, &exp, reps, scale.mlflow.runs as u64)?;
    ratios.push(format!(
        "Runlens cold `add` of the whole MLflow store ({}) is {} one `mlflow.search_runs` ({}), which pays that price at every call",
        fmt_secs(mlflow_add.add.median),
        faster(search.stat.median, mlflow_add.add.median),
        fmt_secs(search.stat.median)
    ));
    if let Some(q) = mlflow_add.query {
        ratios.push(format!(
            "A query on the Runlens index afterwards ({}) is {} `search_runs`",
            fmt_secs(q.median),
            faster(search.stat.median, q.median)
        ));
    }
    timings.push(search);

    eprintln!("  TensorBoard EventMultiplexer on the logdir");
    let em = side::event_multiplexer(&py, &tb.store, reps, scale.tb.points())?;
    ratios.push(format!(
        "Runlens cold `add` of the TensorBoard logdir ({}) is {} EventMultiplexer ({})",
        fmt_secs(tb_add.add.median),
        faster(em.stat.median, tb_add.add.median),
        fmt_secs(em.stat.median)
    ));
    timings.push(em);

    for checksum in [false, true] {
        eprintln!("  RustBoard{}", if checksum { " --checksum" } else { "" });
        let rb = side::rustboard(&py, &tb.store, reps.max(3), checksum)?;
        ratios.push(format!(
            "RustBoard{} loads the logdir in {} (in memory, at every start): Runlens cold `add` ({}, checksummed and persisted) is {} it{}",
            if checksum { " with `--checksum`" } else { " (default: a record is checksummed only when it fails to parse)" },
            fmt_secs(rb.stat.median),
            fmt_secs(tb_add.add.median),
            faster(rb.stat.median, tb_add.add.median),
            tb_add
                .second_start
                .map(|s| format!("; Runlens' second start ({}) is {} RustBoard's", fmt_secs(s.median), faster(rb.stat.median, s.median)))
                .unwrap_or_default()
        ));
        timings.push(rb);
    }
    if reps == 0 {
        bail!("no repetitions");
    }
    Ok((about, timings, ratios))
}

/// "**12×** faster than" / "**1.3×** slower than": Runlens' time `ours` against `theirs`.
fn faster(theirs: f64, ours: f64) -> String {
    let ratio = theirs / ours;
    let n = |r: f64| if r >= 10.0 { format!("{r:.0}") } else { format!("{r:.1}") };
    if ratio >= 1.0 { format!("**{}×** faster than", n(ratio)) } else { format!("**{}×** slower than", n(1.0 / ratio)) }
}
