//! Timing: in-process repetitions, child processes with their peak RSS (`wait4`), sizes
//! on disk, and the machine's description.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

/// Median and minimum of repeated measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub reps: usize,
}

impl Stat {
    pub fn of(samples: &[f64]) -> Stat {
        assert!(!samples.is_empty(), "no samples");
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let median = if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
        Stat { median, min: s[0], reps: n }
    }
}

/// Runs `f` once to warm up, then `reps` times; seconds of each timed run.
pub fn time_reps(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<Stat> {
    f()?;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed().as_secs_f64());
    }
    Ok(Stat::of(&samples))
}

/// What a finished child process cost.
#[derive(Debug, Clone, Copy)]
pub struct ChildCost {
    pub secs: f64,
    /// Peak resident set size, bytes (`ru_maxrss`).
    pub max_rss: u64,
    pub user_secs: f64,
    pub sys_secs: f64,
}

/// Runs `cmd` to completion (its output goes to `log`) and reads its peak RSS and CPU
/// times with `wait4`, so the numbers are the real program's.
pub fn run_child(cmd: &mut Command, log: &Path) -> Result<ChildCost> {
    let out = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    cmd.stdin(std::process::Stdio::null()).stdout(out.try_clone()?).stderr(out);
    let start = Instant::now();
    let child = cmd.spawn().with_context(|| format!("cannot start {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = loop {
        // SAFETY: valid pointers to locals; the pid is our child, not yet reaped.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let secs = start.elapsed().as_secs_f64();
    drop(child); // already reaped; dropping a Child never waits or kills
    if r != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        let tail: String = tail.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        bail!("{cmd:?} failed (wait status {status}); its last output:\n{tail}");
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(ChildCost { secs, max_rss: usage.ru_maxrss as u64 * 1024, user_secs: tv(usage.ru_utime), sys_secs: tv(usage.ru_stime) })
}

/// What `runlens --db DB scan` does to the files below `store`, traced with `strace`.
#[derive(Debug, Default)]
pub struct ScanTrace {
    /// Regular files opened (an open + fstat is how an unchanged file is checked).
    pub opened: u64,
    /// Distinct files whose content was read, and the bytes read from them.
    pub read_files: Vec<String>,
    pub read_bytes: u64,
}

/// Traces `runlens --db DB scan` with strace (opens and reads, fds shown as paths): a
/// scan of an unchanged store must read no file content. `None` when strace is missing.
pub fn trace_scan(runlens: &Path, db: &Path, store: &Path) -> Result<Option<ScanTrace>> {
    let log = db.with_extension("strace.log");
    let status = match Command::new("strace")
        .args(["-f", "-qq", "-y", "-e", "trace=open,openat,openat2,read,pread64,readv,preadv,preadv2", "-o"])
        .arg(&log)
        .arg(runlens)
        .arg("--db")
        .arg(db)
        .arg("scan")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("cannot run strace"),
    };
    ensure!(status.success(), "`strace runlens scan` failed");
    let text = std::fs::read_to_string(&log)?;
    let root = format!("{}/", store.to_string_lossy().trim_end_matches('/'));
    let root_file = store.to_string_lossy().to_string();
    let in_store = |p: &str| p.starts_with(&root) || p == root_file;
    let mut trace = ScanTrace::default();
    let mut read = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Some((_, call)) = line.split_once(' ') else { continue };
        let call = call.trim_start();
        let result: i64 =
            call.rsplit_once(" = ").and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit() && c != '-').next()?.parse().ok()).unwrap_or(-1);
        if result < 0 {
            continue;
        }
        if call.starts_with("open") {
            let path = call.split_once('"').and_then(|(_, rest)| rest.split_once('"')).map(|(p, _)| p);
            if !call.contains("O_DIRECTORY") && path.is_some_and(in_store) {
                trace.opened += 1;
            }
        } else if let Some(path) = call.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(p, _)| p)
            && in_store(path)
            && result > 0
        {
            trace.read_bytes += result as u64;
            read.insert(path.to_string());
        }
    }
    trace.read_files = read.into_iter().collect();
    Ok(Some(trace))
}

/// Bytes and files below `path` (a file: itself).
pub fn tree_size(path: &Path) -> (u64, u64) {
    let (mut bytes, mut files) = (0, 0);
    for entry in walkdir::WalkDir::new(path).into_iter().filter_map(|e| e.ok()) {
        if entry.file_type().is_file() {
            bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
            files += 1;
        }
    }
    (bytes, files)
}

/// Size of an SQLite database with its `-wal` and `-shm` files.
pub fn db_size(db: &Path) -> u64 {
    ["", "-wal", "-shm"].iter().filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).ok()).map(|m| m.len()).sum()
}

/// Removes an index database and its companions.
pub fn remove_db(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", db.display());
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {p}")),
        }
    }
    Ok(())
}

/// CPU model, cores, memory and kernel, from /proc.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores, {mem_gib:.1} GiB RAM, Linux {}", kernel.trim())
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`): other work on the machine
/// while the benchmark ran.
pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Today's date (UTC) as `YYYY-MM-DD`, and the time `HH:MM`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Human-readable durations and sizes for the report.
pub fn fmt_secs(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

pub fn fmt_mb(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 100.0 {
        format!("{mb:.0} MB")
    } else if mb >= 1.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{:.0} kB", bytes as f64 / 1e3)
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_min() {
        assert_eq!(Stat::of(&[3.0, 1.0, 2.0]), Stat { median: 2.0, min: 1.0, reps: 3 });
        assert_eq!(Stat::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(thousands(5_000_000), "5,000,000");
        assert_eq!(thousands(999), "999");
    }
}
