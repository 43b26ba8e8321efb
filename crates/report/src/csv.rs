//! The report's data as CSV: a wide summary (one row per run: its fields, every param,
//! and each metric's latest, min, max and count) and a long series table with every
//! stored point of every metric of the runs (`run_id, run, key, step, time_ms, value`).
//! Numbers are written shortest-exact (they read back to the same `f64`); non-finite
//! values are `NaN`, `inf`, `-inf`.

use std::collections::BTreeSet;
use std::io::Write;

use runlens_index::{Index, RunRecord};

use crate::{Report, ReportError};

fn number(v: f64) -> String {
    if v.is_nan() { "NaN".into() } else { v.to_string() }
}

fn write_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Write { path: "CSV output".into(), source: std::io::Error::other(e.to_string()) }
}

/// The summary table of the report's runs.
pub fn summary(report: &Report, out: impl Write) -> Result<(), ReportError> {
    let runs = &report.runs;
    let params: BTreeSet<&str> = runs.iter().flat_map(|r| r.params.keys().map(String::as_str)).collect();
    let metrics: BTreeSet<&str> = runs.iter().flat_map(|r| r.metrics.keys().map(String::as_str)).collect();
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = ["run_id", "name", "source", "experiment", "status", "start_ms", "end_ms", "store"].map(String::from).to_vec();
    header.extend(params.iter().map(|k| format!("params.{k}")));
    for k in &metrics {
        header.extend(["latest", "min", "max", "count"].map(|a| format!("metrics.{k}.{a}")));
    }
    w.write_record(&header).map_err(write_error)?;
    for r in runs {
        let mut row: Vec<String> = vec![
            r.id.clone(),
            r.name.clone(),
            r.source.clone(),
            r.experiment.clone().unwrap_or_default(),
            r.status.clone(),
            r.start_ms.map(|v| v.to_string()).unwrap_or_default(),
            r.end_ms.map(|v| v.to_string()).unwrap_or_default(),
            r.store.clone(),
        ];
        row.extend(params.iter().map(|k| r.params.get(*k).cloned().unwrap_or_default()));
        for k in &metrics {
            match r.metrics.get(*k) {
                Some(m) => row.extend([number(m.latest), number(m.min), number(m.max), m.count.to_string()]),
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        w.write_record(&row).map_err(write_error)?;
    }
    w.flush().map_err(write_error)?;
    Ok(())
}

/// Every stored point of every metric of `runs`, sorted by run (as given), key and step.
/// Returns how many points were written.
pub fn series(index: &Index, runs: &[RunRecord], out: impl Write) -> Result<u64, ReportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["run_id", "run", "key", "step", "time_ms", "value"]).map_err(write_error)?;
    let mut n = 0;
    for r in runs {
        for key in r.metrics.keys() {
            for p in index.series(&r.id, key)?.unwrap_or_default() {
                w.write_record([r.id.as_str(), r.name.as_str(), key.as_str(), &p.step.to_string(), &p.time_ms.to_string(), &number(p.value)])
                    .map_err(write_error)?;
                n += 1;
            }
        }
    }
    w.flush().map_err(write_error)?;
    Ok(n)
}
