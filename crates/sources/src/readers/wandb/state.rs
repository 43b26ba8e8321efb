//! What the records of a run's log(s) add up to: run fields, config, exit, environment,
//! and the metric points of history rows.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::proto::{ArtifactRecord, ConfigRecord, EnvironmentRecord, HistoryRecord, Item, Record, RunRecord};
use crate::lenient_json;
use crate::model::{DatasetInput, Point, Status};

/// Config keys that hold W&B's own data, not the user's.
const INTERNAL_CONFIG_KEYS: &[&str] = &["_wandb", "wandb_version"];

/// Everything known about a run after applying its records in order. A resumed run's
/// sessions (one log each, oldest first) are applied one after the other.
#[derive(Debug, Default)]
pub struct RunState {
    pub name: String,
    pub project: String,
    pub entity: String,
    pub group: String,
    pub job_type: String,
    pub notes: String,
    pub labels: Vec<String>,
    pub sweep_id: String,
    pub host: String,
    pub git_remote: String,
    pub git_commit: String,
    /// Start of the first session, ms since the epoch.
    pub start_ms: Option<i64>,
    /// Start of the latest session, and the seconds run before it (resumed runs).
    session_start_ms: Option<i64>,
    session_runtime_s: i64,
    /// Time of the latest history row of the latest session.
    session_last_row_ms: Option<i64>,
    /// `(exit_code, total runtime in s)` of the latest session, if it ended.
    exit: Option<(i32, i64)>,
    preempted: bool,
    pub config: Map<String, Value>,
    pub env: Environment,
    /// The artifacts the run logged, in log order, each (name, digest) once.
    pub artifacts: Vec<DatasetInput>,
}

/// Where and how the run was started (the environment record, or `wandb-metadata.json`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Environment {
    pub host: String,
    pub program: String,
    /// The program's arguments, recorded with the program (`None` without one).
    pub args: Option<Vec<String>>,
    pub executable: String,
    pub python: String,
    pub os: String,
    pub username: String,
    pub git_remote: String,
    pub git_commit: String,
}

impl RunState {
    /// Called before the records of each log (session) of the run.
    pub fn begin_session(&mut self) {
        self.exit = None;
        self.preempted = false;
        self.session_last_row_ms = None;
    }

    /// Applies one record. Problems (unparsable JSON values) are reported through `warn`.
    pub fn apply(&mut self, record: &Record, warn: &mut dyn FnMut(String)) {
        if let Some(run) = &record.run {
            self.apply_run(run, warn);
        }
        if let Some(config) = &record.config {
            self.apply_config(config, warn);
        }
        if let Some(history) = &record.history {
            let time = history.item.iter().find(|i| i.key == "_timestamp" || i.nested_key == ["_timestamp"]);
            if let Some(ms) = time.and_then(|i| i.value_json.trim().parse::<f64>().ok()).filter(|t| t.is_finite()) {
                let ms = (ms * 1000.0).round() as i64;
                self.session_last_row_ms = Some(self.session_last_row_ms.map_or(ms, |t| t.max(ms)));
            }
        }
        if let Some(artifact) = &record.artifact {
            let logged = logged_artifact(artifact);
            if !self.artifacts.iter().any(|a| a.name == logged.name && a.digest == logged.digest) {
                self.artifacts.push(logged);
            }
        }
        if let Some(exit) = &record.exit {
            self.exit = Some((exit.exit_code, i64::from(exit.runtime)));
        }
        if record.preempting.is_some() {
            self.preempted = true;
        }
        if let Some(env) = &record.environment {
            self.apply_environment(env);
        }
        if let Some(t) = &record.telemetry
            && self.env.python.is_empty()
            && !t.python_version.is_empty()
        {
            self.env.python = t.python_version.clone();
        }
    }

    fn apply_run(&mut self, run: &RunRecord, warn: &mut dyn FnMut(String)) {
        let set = |field: &mut String, v: &str| {
            if !v.is_empty() {
                *field = v.to_string();
            }
        };
        set(&mut self.name, &run.display_name);
        set(&mut self.project, &run.project);
        set(&mut self.entity, &run.entity);
        set(&mut self.group, &run.run_group);
        set(&mut self.job_type, &run.job_type);
        set(&mut self.notes, &run.notes);
        set(&mut self.sweep_id, &run.sweep_id);
        set(&mut self.host, &run.host);
        if !run.tags.is_empty() {
            self.labels = run.tags.clone();
        }
        if let Some(git) = &run.git {
            set(&mut self.git_remote, &git.remote_url);
            set(&mut self.git_commit, &git.commit);
        }
        if let Some(start) = &run.start_time {
            let ms = start.millis();
            self.start_ms = Some(self.start_ms.map_or(ms, |s| s.min(ms)));
            self.session_start_ms = Some(ms);
            self.session_runtime_s = i64::from(run.runtime);
        }
        if let Some(config) = &run.config {
            self.apply_config(config, warn);
        }
        if let Some(t) = &run.telemetry
            && self.env.python.is_empty()
            && !t.python_version.is_empty()
        {
            self.env.python = t.python_version.clone();
        }
    }

    fn apply_config(&mut self, config: &ConfigRecord, warn: &mut dyn FnMut(String)) {
        for item in &config.update {
            let path = item.path();
            let value = config_value(item, warn);
            set_path(&mut self.config, &path, value);
        }
        for item in &config.remove {
            remove_path(&mut self.config, &item.path());
        }
    }

    fn apply_environment(&mut self, env: &EnvironmentRecord) {
        let set = |field: &mut String, v: &str| {
            if !v.is_empty() {
                *field = v.to_string();
            }
        };
        set(&mut self.env.host, &env.host);
        if !env.program.is_empty() {
            self.env.program = env.program.clone();
            self.env.args = Some(env.args.clone());
        }
        set(&mut self.env.executable, &env.executable);
        set(&mut self.env.python, &env.python);
        set(&mut self.env.os, &env.os);
        set(&mut self.env.username, &env.username);
        if let Some(git) = &env.git {
            set(&mut self.env.git_remote, &git.remote_url);
            set(&mut self.env.git_commit, &git.commit);
        }
    }

    /// Fills environment fields the log did not have (from `wandb-metadata.json`).
    pub fn fill_environment(&mut self, from: &Environment) {
        if self.env.program.is_empty() && !from.program.is_empty() {
            self.env.args = from.args.clone();
        }
        for (field, v) in [
            (&mut self.env.host, &from.host),
            (&mut self.env.program, &from.program),
            (&mut self.env.executable, &from.executable),
            (&mut self.env.python, &from.python),
            (&mut self.env.os, &from.os),
            (&mut self.env.username, &from.username),
            (&mut self.env.git_remote, &from.git_remote),
            (&mut self.env.git_commit, &from.git_commit),
        ] {
            if field.is_empty() {
                *field = v.clone();
            }
        }
    }

    /// Finished (exit code 0) or failed (any other code) when the latest session ended;
    /// killed when it was preempted; else still running (wandb-core writes no exit record
    /// until the run ends, and a crash cannot be told from a quiet live run on disk).
    pub fn status(&self) -> Status {
        match self.exit {
            Some((0, _)) => Status::Finished,
            Some(_) => Status::Failed,
            None if self.preempted => Status::Killed,
            None => Status::Running,
        }
    }

    /// When the run ended: the start of the latest session plus the whole seconds it ran
    /// (the exit record's runtime), or its last history row if that is later.
    pub fn end_ms(&self) -> Option<i64> {
        let (_, runtime) = self.exit?;
        let session = runtime.saturating_sub(self.session_runtime_s).max(0);
        let by_runtime = self.session_start_ms.map(|s| s.saturating_add(session.saturating_mul(1000)));
        by_runtime.max(self.session_last_row_ms)
    }

    /// The config as params: top-level keys (minus W&B's own) flattened with `.`.
    pub fn params(&self) -> Vec<(String, String)> {
        config_params(&self.config)
    }
}

/// Params from a config object: nested keys joined with `.`, W&B's own keys left out.
pub fn config_params(config: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in config {
        if INTERNAL_CONFIG_KEYS.contains(&k.as_str()) {
            continue;
        }
        let mut one = Map::new();
        one.insert(k.clone(), v.clone());
        out.extend(lenient_json::flatten(&Value::Object(one), "."));
    }
    out
}

/// A config item's value. A scalar number keeps the writer's own text (`0.00005521`
/// rather than `5.521e-5`); unparsable JSON is kept as text, with a warning.
fn config_value(item: &Item, warn: &mut dyn FnMut(String)) -> Value {
    let text = item.value_json.trim();
    match parse_value(text) {
        Some((Value::Number(_), _)) => Value::String(text.to_string()),
        Some((v, _)) => v,
        None => {
            warn(format!("config key {:?}: unreadable value {:?}", item.path().join("."), shorten(text)));
            Value::String(text.to_string())
        }
    }
}

/// A logged artifact as a dataset of the run: W&B's name and manifest digest, context
/// `logged` (W&B's "output artifact"), source type `wandb-artifact`, and as its source
/// the artifact's type, aliases, file count and bytes, and the URIs of its references.
fn logged_artifact(a: &ArtifactRecord) -> DatasetInput {
    let contents = a.manifest.as_ref().map_or(&[][..], |m| m.contents.as_slice());
    let bytes: i64 = contents.iter().map(|e| e.size.max(0)).sum();
    let refs: Vec<&str> = contents.iter().filter(|e| !e.r#ref.is_empty()).map(|e| e.r#ref.as_str()).take(MAX_LISTED_REFS).collect();
    let mut source = Map::new();
    source.insert("type".into(), Value::from(a.r#type.as_str()));
    source.insert("aliases".into(), Value::from(a.aliases.clone()));
    source.insert("files".into(), Value::from(contents.len()));
    source.insert("bytes".into(), Value::from(bytes));
    if !refs.is_empty() {
        source.insert("references".into(), Value::from(refs));
    }
    if !a.description.is_empty() {
        source.insert("description".into(), Value::from(a.description.as_str()));
    }
    DatasetInput {
        name: a.name.clone(),
        digest: a.digest.clone(),
        context: Some("logged".into()),
        source_type: Some("wandb-artifact".into()),
        source: Some(Value::Object(source).to_string()),
    }
}

/// At most this many reference URIs of one artifact are kept in its source.
const MAX_LISTED_REFS: usize = 20;

fn set_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = map;
    for p in parents {
        let entry = node.entry(p.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(child) = entry else { return };
        node = child;
    }
    node.insert(last.clone(), value);
}

fn remove_path(map: &mut Map<String, Value>, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = map;
    for p in parents {
        match node.get_mut(p) {
            Some(Value::Object(child)) => node = child,
            _ => return,
        }
    }
    node.remove(last);
}

/// Parses a `value_json`: strict JSON first, then with bare `NaN`/`Infinity`. The flag
/// says the lenient parse was needed (so the strings `"NaN"`... in it stand for numbers).
fn parse_value(text: &str) -> Option<(Value, bool)> {
    match serde_json::from_str(text) {
        Ok(v) => Some((v, false)),
        Err(_) => lenient_json::parse(text).ok().map(|v| (v, true)),
    }
}

/// The points of one history row, appended to `series` by metric key. Keys starting
/// with `_` are W&B's own (`_step`, `_timestamp`, `_runtime`); leaves of a media value
/// (an object with `_type`, flattened by wandb-core into `[key, _type]`, `[key, path]`,
/// ...) are not metrics; nested keys are joined with `.`.
pub fn history_points(row: &HistoryRecord, series: &mut BTreeMap<String, Vec<Point>>, warn: &mut dyn FnMut(String)) {
    let mut leaves: Vec<(Vec<String>, Value, bool)> = Vec::with_capacity(row.item.len());
    for item in &row.item {
        let path = item.path();
        if path.is_empty() {
            continue;
        }
        match parse_value(item.value_json.trim()) {
            Some((v, lenient)) => expand(path, v, lenient, &mut leaves),
            None => warn(format!("history key {:?}: unreadable value {:?}", path.join("."), shorten(&item.value_json))),
        }
    }
    let special = |name: &str| leaves.iter().find(|(p, _, _)| p.len() == 1 && p[0] == name).and_then(|(_, v, l)| number(v, *l));
    let step = special("_step").map(|s| s as i64).unwrap_or_else(|| row.step.as_ref().map_or(0, |s| s.num));
    let time_ms = special("_timestamp").map(|t| (t * 1000.0).round() as i64).unwrap_or(0);
    let media: Vec<&[String]> =
        leaves.iter().filter(|(p, _, _)| p.len() >= 2 && p.last().is_some_and(|l| l == "_type")).map(|(p, _, _)| &p[..p.len() - 1]).collect();
    for (path, value, lenient) in &leaves {
        if path.first().is_none_or(|k| k.starts_with('_')) || media.iter().any(|m| path.starts_with(m)) {
            continue;
        }
        if let Some(v) = number(value, *lenient) {
            series.entry(path.join(".")).or_default().push(Point { step, time_ms, value: v });
        }
    }
}

/// Splits objects (the legacy writer logs nested dicts as one JSON object) into leaves.
fn expand(path: Vec<String>, value: Value, lenient: bool, out: &mut Vec<(Vec<String>, Value, bool)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let mut child = path.clone();
                child.push(k);
                expand(child, v, lenient, out);
            }
        }
        other => out.push((path, other, lenient)),
    }
}

/// A metric value: a JSON number, or (from a lenient parse) a bare non-finite token.
fn number(v: &Value, lenient: bool) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if lenient && matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => lenient_json::number(v),
        _ => None,
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::wandb::proto::{HistoryStep, RunExitRecord, Timestamp};

    fn item(path: &[&str], json: &str) -> Item {
        let (key, nested_key) = match path {
            [one] => (one.to_string(), Vec::new()),
            _ => (String::new(), path.iter().map(|s| s.to_string()).collect()),
        };
        Item { key, nested_key, value_json: json.to_string() }
    }

    fn row(items: Vec<Item>) -> (BTreeMap<String, Vec<Point>>, Vec<String>) {
        let mut series = BTreeMap::new();
        let mut warnings = Vec::new();
        history_points(&HistoryRecord { item: items, step: Some(HistoryStep { num: 9 }) }, &mut series, &mut |w| warnings.push(w));
        (series, warnings)
    }

    #[test]
    fn history_rows_keep_non_finite_values_and_use_step_and_timestamp() {
        let (series, warnings) = row(vec![
            item(&["_step"], "4"),
            item(&["_timestamp"], "1.7956874637838168e+09"),
            item(&["_runtime"], "1.3"),
            item(&["loss"], "NaN"),
            item(&["up"], "Infinity"),
            item(&["down"], "-Infinity"),
            item(&["acc/train"], "0.5"),
            item(&["label"], "\"NaN\""),
            item(&["flag"], "true"),
        ]);
        assert!(warnings.is_empty());
        assert_eq!(series.keys().collect::<Vec<_>>(), ["acc/train", "down", "loss", "up"], "strings and bools are not metrics");
        let loss = series["loss"][0];
        assert!(loss.value.is_nan());
        assert_eq!((loss.step, loss.time_ms), (4, 1_795_687_463_784));
        assert_eq!(series["up"][0].value, f64::INFINITY);
        assert_eq!(series["down"][0].value, f64::NEG_INFINITY);
    }

    #[test]
    fn media_leaves_are_skipped_and_nested_keys_are_dotted() {
        let (series, _) = row(vec![
            item(&["img", "_type"], "\"image-file\""),
            item(&["img", "width"], "32"),
            item(&["nest", "b", "c"], "1"),
            // The legacy writer: one key, a JSON object value.
            item(&["legacy"], r#"{"x": 2, "media": {"_type": "table-file", "ncols": 3}, "bad": NaN}"#),
        ]);
        assert_eq!(series.keys().collect::<Vec<_>>(), ["legacy.bad", "legacy.x", "nest.b.c"]);
        assert_eq!(series["nest.b.c"][0].step, 9, "no _step: the row's step number");
        assert_eq!(series["nest.b.c"][0].time_ms, 0);
        assert!(series["legacy.bad"][0].value.is_nan());
    }

    #[test]
    fn an_unreadable_value_is_a_warning_and_the_row_is_kept() {
        let (series, warnings) = row(vec![item(&["a"], "{oops"), item(&["b"], "1")]);
        assert_eq!(series.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"a\""), "{}", warnings[0]);
    }

    #[test]
    fn config_updates_and_removals_make_dotted_params() {
        let mut state = RunState::default();
        let mut warn = |w: String| panic!("{w}");
        let run = RunRecord {
            config: Some(ConfigRecord {
                update: vec![
                    item(&["_wandb"], "{}"),
                    item(&["lr"], "0.00005521"),
                    item(&["model"], r#"{"arch": "resnet", "depth": 18}"#),
                    item(&["opt"], "\"adam\""),
                ],
                remove: vec![],
            }),
            start_time: Some(Timestamp { seconds: 100, nanos: 500_000_000 }),
            ..Default::default()
        };
        state.apply(&Record { run: Some(run), ..Default::default() }, &mut warn);
        let later = ConfigRecord { update: vec![item(&["model", "width"], "2")], remove: vec![item(&["opt"], "")] };
        state.apply(&Record { config: Some(later), ..Default::default() }, &mut warn);
        let mut params = state.params();
        params.sort();
        let expected = [("lr", "0.00005521"), ("model.arch", "resnet"), ("model.depth", "18"), ("model.width", "2")];
        assert_eq!(params, expected.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(state.status(), Status::Running);
        assert_eq!(state.start_ms, Some(100_500));
        state.apply(&Record { exit: Some(RunExitRecord { exit_code: 1, runtime: 7 }), ..Default::default() }, &mut warn);
        assert_eq!((state.status(), state.end_ms()), (Status::Failed, Some(107_500)));
    }

    #[test]
    fn a_resumed_session_decides_status_and_end() {
        let mut state = RunState::default();
        let mut warn = |w: String| panic!("{w}");
        let start =
            |s| RunRecord { start_time: Some(Timestamp { seconds: s, nanos: 0 }), runtime: if s > 100 { 30 } else { 0 }, ..Default::default() };
        state.apply(&Record { run: Some(start(100)), ..Default::default() }, &mut warn);
        state.begin_session();
        state.apply(&Record { run: Some(start(1000)), ..Default::default() }, &mut warn);
        state.apply(&Record { exit: Some(RunExitRecord { exit_code: 0, runtime: 50 }), ..Default::default() }, &mut warn);
        assert_eq!(state.start_ms, Some(100_000));
        assert_eq!(state.status(), Status::Finished);
        assert_eq!(state.end_ms(), Some(1_020_000), "20 s in the second session");
    }
}
