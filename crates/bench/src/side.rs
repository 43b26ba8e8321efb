//! Side by side: MLflow's `search_runs`, TensorBoard's EventMultiplexer and RustBoard
//! (TensorBoard's Rust data server) timed on the very stores Runlens was timed on, each
//! in a fresh process every repetition.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::measure::Stat;

/// One timing of another tool.
#[derive(Debug, Clone)]
pub struct Timing {
    pub tool: String,
    pub what: String,
    pub stat: Stat,
    pub details: String,
}

const CHECK: &str = "import mlflow, tensorboard, tensorboard_data_server as t
print(mlflow.__version__, tensorboard.__version__, t.__version__, t.server_binary() or '')";

const SEARCH_RUNS: &str = r#"import sys, time
t0 = time.perf_counter()
import mlflow
t1 = time.perf_counter()
mlflow.set_tracking_uri(sys.argv[1])
df = mlflow.search_runs(experiment_ids=sys.argv[2].split(","), max_results=1000)
t2 = time.perf_counter()
print("RESULT", t2 - t1, t1 - t0, len(df))
"#;

const EVENT_MULTIPLEXER: &str = r#"import sys, time
t0 = time.perf_counter()
from tensorboard.backend.event_processing import event_multiplexer
t1 = time.perf_counter()
m = event_multiplexer.EventMultiplexer(size_guidance={"scalars": 0})
m.AddRunsFromDirectory(sys.argv[1])
m.Reload()
t2 = time.perf_counter()
n = sum(len(m.Scalars(run, tag)) for run, tags in m.Runs().items() for tag in tags.get("scalars", []))
print("RESULT", t2 - t1, t1 - t0, n)
"#;

/// The Python that has mlflow, tensorboard and the data server.
pub struct Python {
    pub exe: String,
    /// mlflow, tensorboard, tensorboard-data-server versions.
    pub versions: (String, String, String),
    pub rustboard: Option<String>,
}

/// Finds out whether `python` can import mlflow and tensorboard; `Err` says why not.
pub fn find_python(python: &Path) -> Result<Python> {
    let out = Command::new(python).args(["-c", CHECK]).stdin(Stdio::null()).output().with_context(|| format!("cannot run {}", python.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("{} cannot import mlflow, tensorboard and tensorboard_data_server ({})", python.display(), err.lines().last().unwrap_or(""));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(str::to_string);
    let mut next = || parts.next().unwrap_or_default();
    let versions = (next(), next(), next());
    let rustboard = Some(next()).filter(|s| !s.is_empty());
    Ok(Python { exe: python.display().to_string(), versions, rustboard })
}

/// Runs a timing script `reps` times in fresh processes; each prints
/// `RESULT <timed secs> <import secs> <count>`.
fn python_reps(py: &Python, script: &str, args: &[&str], envs: &[(&str, &str)], reps: usize, expected: u64) -> Result<(Stat, f64)> {
    let mut samples = Vec::new();
    let mut imports = Vec::new();
    for rep in 0..reps {
        let out = Command::new(&py.exe).arg("-c").arg(script).args(args).envs(envs.iter().copied()).stdin(Stdio::null()).output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find(|l| l.starts_with("RESULT ")) else {
            let err = String::from_utf8_lossy(&out.stderr);
            bail!("the timing script failed: {}", err.lines().rev().take(5).collect::<Vec<_>>().join(" | "));
        };
        let f: Vec<&str> = line.split_whitespace().collect();
        let secs: f64 = f.get(1).and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("bad line {line}"))?;
        let import: f64 = f.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let count: u64 = f.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
        if count != expected {
            bail!("the script saw {count} items, expected {expected}");
        }
        eprintln!("    rep {}: {secs:.2} s", rep + 1);
        samples.push(secs);
        imports.push(import);
    }
    Ok((Stat::of(&samples), Stat::of(&imports).median))
}

/// `mlflow.search_runs(experiment_ids, max_results=1000)` over a folder store.
pub fn search_runs(py: &Python, mlruns: &Path, experiment_ids: &str, reps: usize, runs: u64) -> Result<Timing> {
    let uri = format!("file://{}", mlruns.display());
    let (stat, import) = python_reps(py, SEARCH_RUNS, &[&uri, experiment_ids], &[("MLFLOW_ALLOW_FILE_STORE", "true")], reps, runs)?;
    Ok(Timing {
        tool: format!("MLflow {}", py.versions.0),
        what: "`mlflow.search_runs(experiment_ids, max_results=1000)` on the folder store".into(),
        stat,
        details: format!("fresh process each time; `import mlflow` ({:.1} s) not counted; {runs} runs returned", import),
    })
}

/// EventMultiplexer keeping every scalar (`size_guidance={'scalars': 0}`): load a logdir.
pub fn event_multiplexer(py: &Python, logdir: &Path, reps: usize, points: u64) -> Result<Timing> {
    let (stat, import) = python_reps(py, EVENT_MULTIPLEXER, &[&logdir.display().to_string()], &[], reps, points)?;
    Ok(Timing {
        tool: format!("TensorBoard {}", py.versions.1),
        what: "EventMultiplexer(size_guidance={'scalars': 0}): AddRunsFromDirectory + Reload".into(),
        stat,
        details: format!("fresh process each time; import ({import:.1} s) not counted; {points} points kept"),
    })
}

/// RustBoard (`server --logdir DIR --reload once -v --samples-per-plugin scalars=all`):
/// time from start until it logs "Finished load cycle". By default it checksums a record
/// only when parsing fails; `checksum` adds `--checksum` (every record, as Runlens does).
pub fn rustboard(py: &Python, logdir: &Path, reps: usize, checksum: bool) -> Result<Timing> {
    let server = py.rustboard.clone().ok_or_else(|| anyhow!("tensorboard_data_server has no bundled server binary"))?;
    let mut samples = Vec::new();
    let mut reported = Vec::new();
    for rep in 0..reps {
        let mut cmd = Command::new(&server);
        cmd.arg("--logdir").arg(logdir).args(["--reload", "once", "-v", "--samples-per-plugin", "scalars=all"]);
        cmd.args(["--host", "127.0.0.1", "--port", "0"]);
        if checksum {
            cmd.arg("--checksum");
        }
        let start = Instant::now();
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
        let stderr = child.stderr.take().expect("piped stderr");
        let mut finished = None;
        for line in BufReader::new(stderr).lines() {
            let line = line?;
            if line.contains("Finished load cycle") {
                finished = Some((start.elapsed().as_secs_f64(), line));
                break;
            }
            if start.elapsed() > Duration::from_secs(900) {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let (secs, line) = finished.ok_or_else(|| anyhow!("RustBoard never printed \"Finished load cycle\""))?;
        eprintln!("    rep {}: {secs:.2} s", rep + 1);
        samples.push(secs);
        // "... Finished load cycle (1.234s)"
        if let Some(inner) = line.split("Finished load cycle").nth(1) {
            reported.push(inner.trim().trim_start_matches('(').trim_end_matches(')').to_string());
        }
    }
    Ok(Timing {
        tool: format!("RustBoard (tensorboard-data-server {})", py.versions.2),
        what: format!(
            "`server --reload once -v --samples-per-plugin scalars=all{}`: start to \"Finished load cycle\"",
            if checksum { " --checksum" } else { "" }
        ),
        stat: Stat::of(&samples),
        details: format!(
            "{}in memory only, redone at every start; its own load-cycle times: {}",
            if checksum { "checksums every record; " } else { "default: checksums a record only when parsing fails; " },
            reported.join(", ")
        ),
    })
}
