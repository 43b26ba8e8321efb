//! The CLI's JSON shapes (a stable contract, documented in the README). Non-finite numbers
//! are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; times are ms since the epoch.

use runlens_index::attached::AttachedFolder;
use runlens_index::chart::{SeriesView, XAxis};
use runlens_index::compare::{Comparison, EffectMethod, ValueRow};
use runlens_index::filter::Agg;
use runlens_index::{MetricSummary, Point, Provenance, RunFile, RunRecord, StoreInfo, StoreWarning, provenance};
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

fn summary(m: &MetricSummary) -> Value {
    json!({
        "first": num(m.first), "last": num(m.last), "min": num(m.min), "max": num(m.max),
        "count": m.count, "last_step": m.last_step, "first_step": m.first_step, "max_step": m.max_step, "latest": num(m.latest),
    })
}

fn run(r: &RunRecord) -> Value {
    let metrics: Map<String, Value> = r.metrics.iter().map(|(k, m)| (k.clone(), summary(m))).collect();
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
        "artifact_bytes": r.artifact_bytes,
    })
}

/// `runlens show --json`: the run's object from `runs --json` plus its files (as
/// `artifacts --json` lists them), the folders attached to it and its provenance.
pub fn run_detail(r: &RunRecord, files: &[RunFile], attached: &[AttachedFolder], datasets: &[runlens_index::DatasetInput]) -> Value {
    let mut v = run(r);
    v["artifact_dir"] = json!(r.artifact_dir);
    v["artifacts"] = Value::Array(files.iter().map(run_file).collect());
    v["datasets"] = Value::Array(
        datasets
            .iter()
            .map(|d| json!({"name": d.name, "digest": d.digest, "context": d.context, "source_type": d.source_type, "source": d.source}))
            .collect(),
    );
    v["attached_folders"] = Value::Array(attached.iter().map(|a| json!({"folder": a.folder, "present": a.present})).collect());
    v["provenance"] = provenance_of(&r.provenance.clone().unwrap_or_default());
    v
}

/// `runlens storage --json`.
pub fn storage(s: &runlens_index::storage::Storage) -> Value {
    json!({
        "stores": s.stores.iter().map(|st| json!({
            "id": st.store_id, "root": st.root, "source": st.source, "runs": st.runs,
            "bytes": st.total.bytes, "files": st.total.files,
            "artifact_bytes": st.artifacts.bytes, "artifact_files": st.artifacts.files,
            "experiments": st.experiments.iter().map(|(name, u)| json!({"name": name, "bytes": u.bytes, "files": u.files})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "runs": s.runs.iter().map(|r| json!({
            "id": r.run_id, "name": r.name, "store": r.store_id, "experiment": r.experiment, "bytes": r.usage.bytes, "files": r.usage.files,
            "attached_bytes": r.attached.bytes, "attached_files": r.attached.files,
        })).collect::<Vec<_>>(),
        "files": s.files.iter().map(|f| json!({"run": f.run_id, "run_name": f.run_name, "path": f.path, "size": f.size, "attached": f.attached})).collect::<Vec<_>>(),
        "attached": s.attached.iter().map(|a| json!({
            "run": a.run_id, "run_name": a.run_name, "folder": a.folder, "present": a.present, "bytes": a.usage.bytes, "files": a.usage.files,
        })).collect::<Vec<_>>(),
    })
}

/// `runlens artifacts --json`: one of a run's files. `embedded`: inside a log (`origin`
/// names it and the offset); `attached`: the folder the user attached it from.
pub fn run_file(a: &RunFile) -> Value {
    json!({"path": a.path, "size": a.size, "embedded": a.origin.is_some(), "origin": a.origin, "attached": a.attached, "modified_ms": a.modified_ms, "kind": a.kind})
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

/// `runlens diff --json`: one object per recorded file of either run: `name`, where each
/// run's copy is (`a`, `b`, `null`: none), `identical`, the `unified` diff (empty when
/// identical or unread) and `note` (why a copy was not read, else `null`).
pub fn code_diff(files: &[runlens_index::diff::FileDiff]) -> Value {
    Value::Array(
        files.iter().map(|f| json!({ "name": f.name, "a": f.a, "b": f.b, "identical": f.identical, "unified": f.unified, "note": f.note })).collect(),
    )
}

/// `runlens compare --json`: runs, param and tag rows (values in run order, `null` where a
/// run has none), metric rows with each aggregate's best runs (indexes into `runs`), and
/// with `--metric` the params ranked by how much they go with it.
pub fn comparison(c: &Comparison, only_diff: bool) -> Value {
    let rows = |rows: &[ValueRow]| -> Value {
        Value::Array(
            rows.iter().filter(|r| !only_diff || r.differs).map(|r| json!({"key": r.key, "values": r.values, "differs": r.differs})).collect(),
        )
    };
    let metrics: Vec<Value> = c
        .metrics
        .iter()
        .map(|m| {
            let best: Map<String, Value> =
                [Agg::First, Agg::Last, Agg::Latest, Agg::Min, Agg::Max].iter().map(|&a| (a.column().to_string(), json!(m.best.of(a)))).collect();
            json!({
                "key": m.key,
                "direction": m.direction.as_str(),
                "direction_chosen": m.direction_chosen,
                "values": m.values.iter().map(|v| v.as_ref().map_or(Value::Null, summary)).collect::<Vec<_>>(),
                "best": best,
                "differs": m.differs,
            })
        })
        .collect();
    let importance = c.importance.as_ref().map(|imp| {
        let effects: Vec<Value> = imp
            .effects
            .iter()
            .map(|e| match e.method {
                EffectMethod::Spearman { rho } => {
                    json!({"key": e.key, "method": "spearman", "rho": num(rho), "strength": num(e.strength), "runs": e.runs})
                }
                EffectMethod::KruskalWallis { epsilon_squared, groups } => json!({
                    "key": e.key, "method": "kruskal_wallis", "epsilon_squared": num(epsilon_squared), "groups": groups,
                    "strength": num(e.strength), "runs": e.runs,
                }),
            })
            .collect();
        json!({"metric": imp.metric, "aggregate": imp.aggregate.column(), "params": effects})
    });
    json!({
        "runs": c.runs.iter().map(|r| json!({"id": r.id, "name": r.name, "source": r.source, "experiment": r.experiment, "status": r.status})).collect::<Vec<_>>(),
        "params": rows(&c.params),
        "tags": rows(&c.tags),
        "datasets": rows(&c.datasets),
        "metrics": metrics,
        "importance": importance,
    })
}
