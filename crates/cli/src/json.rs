//! The CLI's JSON shapes (a stable contract, documented in the README). Non-finite numbers
//! are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; times are ms since the epoch.

use runlens_index::chart::{SeriesView, XAxis};
use runlens_index::{Artifact, Point, Provenance, RunRecord, StoreInfo, StoreWarning, provenance};
use serde_json::{Map, Value, json};

/// A number, or its name when JSON cannot hold it.
pub fn num(v: f64) -> Value {
    if v.is_nan() {
        Value::from("NaN")
    } else if v == f64::INFINITY {
        Value::from("Infinity")
    } else if v == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        json!(v)
    }
}

/// `runlens runs --json`.
pub fn runs(runs: &[RunRecord]) -> Value {
    Value::Array(runs.iter().map(run).collect())
}

fn run(r: &RunRecord) -> Value {
    let metrics: Map<String, Value> = r
        .metrics
        .iter()
        .map(|(k, m)| {
            (
                k.clone(),
                json!({
                    "first": num(m.first), "last": num(m.last), "min": num(m.min), "max": num(m.max),
                    "count": m.count, "last_step": m.last_step, "first_step": m.first_step, "max_step": m.max_step, "latest": num(m.latest),
                }),
            )
        })
        .collect();
    json!({
        "id": r.id,
        "store": r.store,
        "source": r.source,
        "experiment": r.experiment,
        "name": r.name,
        "status": r.status,
        "deleted": r.deleted,
        "parent": r.parent,
        "start": r.start_ms,
        "end": r.end_ms,
        "params": r.params,
        "tags": r.tags,
        "metrics": metrics,
        "native_id": r.native_id,
        "user": r.user,
        "commit": r.commit,
        "starred": r.starred,
        "note": r.note,
        "labels": r.labels,
    })
}

/// `runlens show --json`: the run's object from `runs --json` plus its artifacts and
/// provenance.
pub fn run_detail(r: &RunRecord, artifacts: &[Artifact]) -> Value {
    let mut v = run(r);
    v["artifact_dir"] = json!(r.artifact_dir);
    v["artifacts"] = Value::Array(artifacts.iter().map(|a| json!({"path": a.path, "size": a.size})).collect());
    v["provenance"] = provenance_of(&r.provenance.clone().unwrap_or_default());
    v
}

/// A run's provenance: every key always there, `null` (or `[]`) where the store recorded
/// nothing; `command` is the command line that ran, `reproduce` how to run it again.
fn provenance_of(p: &Provenance) -> Value {
    let again = provenance::reproduce(p);
    json!({
        "program": p.program,
        "args": p.args,
        "interpreter": p.interpreter,
        "workdir": p.workdir,
        "command": provenance::command(p),
        "git": {"commit": p.git.commit, "branch": p.git.branch, "remote": p.git.remote, "dirty": p.git.dirty},
        "python": p.python,
        "packages": p.packages,
        "environment_files": p.environment_files,
        "source_files": p.source_files,
        "host": p.host,
        "os": p.os,
        "reproduce": {"command": again.command, "missing": again.missing.iter().map(|m| m.code()).collect::<Vec<_>>()},
    })
}

/// `runlens series --json`: `[[step, time_ms, value], ...]`.
pub fn points(points: &[Point]) -> Value {
    Value::Array(points.iter().map(|p| json!([p.step, p.time_ms, num(p.value)])).collect())
}

/// `runlens series --max-points/--from/--to --json`: the points plus how many there are.
pub fn series_view(view: &SeriesView, axis: XAxis) -> Value {
    json!({
        "x": match axis { XAxis::Step => "step", XAxis::WallTime => "time", XAxis::Relative => "relative" },
        "origin_ms": view.origin_ms,
        "stored": view.stored,
        "in_range": view.in_range,
        "shown": view.points.len(),
        "reduced": view.reduced,
        "points": points(&view.points),
    })
}

/// `runlens stores --json`.
pub fn stores(stores: &[StoreInfo], warnings: &[StoreWarning]) -> Value {
    Value::Array(
        stores
            .iter()
            .map(|s| {
                let w: Vec<Value> = warnings
                    .iter()
                    .filter(|w| w.store_id == s.id)
                    .map(|w| json!({"file": w.file, "location": w.location, "message": w.message}))
                    .collect();
                json!({
                    "id": s.id, "reader": s.reader, "source": s.source, "root": s.root, "runs": s.runs,
                    "scanned": s.scanned_ms, "error": s.error, "error_kind": s.error_kind.map(|k| k.code()), "warnings": w,
                })
            })
            .collect(),
    )
}
