//! The Trainer's JSON files turned into records: `trainer_state.json` (log history,
//! progress counters, best checkpoint), the model's `config.json` and the
//! `*_results.json` files written by `Trainer.save_metrics`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::lenient_json;
use crate::model::{Point, Status};

/// `trainer_state.json` fields that are training arguments, kept as params.
const ARG_FIELDS: &[&str] = &["max_steps", "num_train_epochs", "train_batch_size", "logging_steps", "eval_steps", "save_steps"];
/// `trainer_state.json` fields worth filtering on, kept as `hf-trainer.<field>` tags.
const TAG_FIELDS: &[&str] = &["best_metric", "best_global_step", "best_model_checkpoint", "trial_name"];
/// Keys of a log entry that are not metrics: `step` is the axis of every point.
const NOT_METRICS: &[&str] = &["step"];

/// What one `trainer_state.json` holds for the index.
#[derive(Debug, Default)]
pub(super) struct TrainerState {
    /// One series per numeric log key, keys in the order they were first logged.
    pub series: Vec<(String, Vec<Point>)>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub global_step: Option<i64>,
    pub max_steps: Option<i64>,
    /// The history has the end-of-training entry (`train_runtime`, logged once after the
    /// last step).
    pub train_ended: bool,
    /// Entries that could not be read, as (`log_history[i]`, reason).
    pub problems: Vec<(String, String)>,
}

impl TrainerState {
    /// The global step the state was saved at, else the highest logged step.
    pub(super) fn last_step(&self) -> i64 {
        self.global_step.unwrap_or_else(|| self.series.iter().filter_map(|(_, p)| p.last()).map(|p| p.step).max().unwrap_or(0))
    }
}

/// A file that could not be parsed: where (`line 12`) and why.
#[derive(Debug, PartialEq)]
pub(super) struct ParseError {
    pub location: Option<String>,
    pub message: String,
}

/// Parses JSON as Python writes it (bare `NaN`/`Infinity`), or says where it broke.
pub(super) fn parse_json(text: &str) -> Result<Value, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError { location: None, message: "empty file (being written?)".into() });
    }
    lenient_json::parse(text).map_err(|e| ParseError { location: Some(format!("line {}", e.line())), message: format!("invalid JSON: {e}") })
}

/// Reads a parsed `trainer_state.json`.
pub(super) fn trainer_state(doc: &Value) -> Result<TrainerState, ParseError> {
    let Some(obj) = doc.as_object() else {
        return Err(ParseError { location: None, message: "trainer_state.json is not a JSON object".into() });
    };
    let mut state = TrainerState {
        global_step: obj.get("global_step").and_then(integer),
        max_steps: obj.get("max_steps").and_then(integer),
        ..Default::default()
    };
    if let Some(history) = obj.get("log_history") {
        read_history(history, &mut state);
    }
    for field in ARG_FIELDS {
        if let Some(text) = obj.get(*field).and_then(scalar_text) {
            state.params.push((field.to_string(), text));
        }
    }
    if let Some(trial) = obj.get("trial_params").filter(|v| v.is_object()) {
        let mut wrapped = Map::new();
        wrapped.insert("trial_params".into(), trial.clone());
        state.params.extend(lenient_json::flatten(&Value::Object(wrapped), "."));
    }
    for field in TAG_FIELDS {
        if let Some(text) = obj.get(*field).and_then(scalar_text) {
            state.tags.push((format!("hf-trainer.{field}"), text));
        }
    }
    Ok(state)
}

/// Turns `log_history` into series: every numeric key of every entry is one point at
/// the entry's `step` (`epoch` included, as its own metric).
fn read_history(history: &Value, state: &mut TrainerState) {
    let Some(entries) = history.as_array() else {
        state.problems.push(("log_history".into(), "not a list".into()));
        return;
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut last_step = 0i64;
    for (i, entry) in entries.iter().enumerate() {
        let Some(entry) = entry.as_object() else {
            state.problems.push((format!("log_history[{i}]"), "entry is not a JSON object".into()));
            continue;
        };
        let step = match entry.get("step").map(integer) {
            Some(Some(step)) => step,
            _ => {
                state.problems.push((format!("log_history[{i}]"), format!("no integer step; using step {last_step}")));
                last_step
            }
        };
        last_step = step;
        state.train_ended |= entry.contains_key("train_runtime");
        for (key, value) in entry {
            let Some(value) = metric_value(value).filter(|_| !NOT_METRICS.contains(&key.as_str())) else { continue };
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                state.series.push((key.clone(), Vec::new()));
                state.series.len() - 1
            });
            if let Some((_, points)) = state.series.get_mut(slot) {
                points.push(Point { step, time_ms: 0, value });
            }
        }
    }
}

/// Reads a model `config.json` into `model.`-prefixed params.
pub(super) fn config_params(doc: &Value) -> Result<Vec<(String, String)>, ParseError> {
    if !doc.is_object() {
        return Err(ParseError { location: None, message: "config.json is not a JSON object".into() });
    }
    let mut wrapped = Map::new();
    wrapped.insert("model".into(), doc.clone());
    Ok(lenient_json::flatten(&Value::Object(wrapped), "."))
}

/// The numeric entries of a `*_results.json` file, in file order.
pub(super) fn results(doc: &Value) -> Result<Vec<(String, f64)>, ParseError> {
    let Some(obj) = doc.as_object() else {
        return Err(ParseError { location: None, message: "results file is not a JSON object".into() });
    };
    Ok(obj.iter().filter_map(|(k, v)| metric_value(v).map(|x| (k.clone(), x))).collect())
}

/// Finished when the trainer got to its end: the end-of-training log entry, the last
/// step reached, or final metrics saved. Otherwise unknown: a live run and a crashed
/// one leave the same files.
pub(super) fn status(state: Option<&TrainerState>, has_results: bool) -> Status {
    let reached_end = state.is_some_and(|s| s.train_ended || matches!((s.global_step, s.max_steps), (Some(g), Some(m)) if m > 0 && g >= m));
    if reached_end || has_results { Status::Finished } else { Status::Unknown }
}

/// A metric value: a JSON number or a non-finite token (never a boolean or text).
fn metric_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(_) | Value::String(_) => lenient_json::number(v),
        _ => None,
    }
}

/// An integer, also when written as an integral float (`30.0`).
fn integer(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18).map(|f| f as i64))
}

/// A scalar as text (`null`, lists and objects give `None`).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(text: &str) -> TrainerState {
        trainer_state(&parse_json(text).unwrap()).unwrap()
    }

    fn series<'a>(s: &'a TrainerState, key: &str) -> &'a [Point] {
        &s.series.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn bare_non_finite_values_are_points() {
        let s = state(
            r#"{"global_step": 3, "max_steps": 3, "log_history": [
                {"epoch": 0.5, "grad_norm": NaN, "loss": 1.5, "step": 1},
                {"epoch": 1.0, "grad_norm": Infinity, "loss": -Infinity, "step": 2},
                {"epoch": 1.0, "eval_loss": 0.7, "step": 2}]}"#,
        );
        let grad = series(&s, "grad_norm");
        assert!(grad[0].value.is_nan());
        assert_eq!(grad[1].value, f64::INFINITY);
        assert_eq!(series(&s, "loss")[1].value, f64::NEG_INFINITY);
        assert_eq!(series(&s, "epoch").len(), 3, "epoch is a metric of every entry");
        assert_eq!(series(&s, "eval_loss"), &[Point { step: 2, time_ms: 0, value: 0.7 }]);
        assert!(s.series.iter().all(|(k, _)| k != "step"), "step is the axis");
        assert!(s.problems.is_empty());
        assert_eq!(status(Some(&s), false), Status::Finished, "global_step reached max_steps");
    }

    #[test]
    fn odd_entries_are_problems_and_the_rest_is_read() {
        let s = state(r#"{"log_history": [{"loss": 1.0, "step": 5}, 3, {"loss": 0.5}, {"loss": "text", "note": true, "step": 7}]}"#);
        assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
        assert_eq!(s.problems[0].0, "log_history[1]");
        let loss = series(&s, "loss");
        assert_eq!(loss.len(), 2, "text and booleans are not points");
        assert_eq!(loss[1].step, 5, "an entry without a step takes the previous one");
        assert_eq!(status(Some(&s), false), Status::Unknown);
    }

    #[test]
    fn old_states_without_newer_fields_still_read() {
        // transformers 4.x before grad_norm, best_global_step and stateful_callbacks.
        let s = state(
            r#"{"best_metric": null, "epoch": 2.0, "global_step": 10, "log_history": [
                {"epoch": 2.0, "learning_rate": 0.0, "loss": 0.3, "step": 10},
                {"epoch": 2.0, "step": 10, "total_flos": 1234.0, "train_runtime": 9.5}],
               "max_steps": 20, "num_train_epochs": 2, "trial_name": null, "trial_params": {"lr": 0.1}}"#,
        );
        assert!(s.train_ended);
        assert_eq!(status(Some(&s), false), Status::Finished, "the end-of-training entry decides");
        assert!(s.tags.is_empty(), "null fields are no tags");
        assert!(s.params.contains(&("trial_params.lr".to_string(), "0.1".to_string())));
        assert!(s.params.contains(&("max_steps".to_string(), "20".to_string())));
    }

    #[test]
    fn broken_json_says_where() {
        let err = parse_json("{\n  \"global_step\": 4,\n  \"log_history\": [\n    {\"loss\": 1.").unwrap_err();
        assert_eq!(err.location.as_deref(), Some("line 4"));
        assert!(parse_json("   ").unwrap_err().message.contains("empty"));
        assert!(trainer_state(&parse_json("[1, 2]").unwrap()).is_err());
    }

    #[test]
    fn config_is_flattened_under_model() {
        let doc = parse_json(r#"{"architectures": ["Bert"], "id2label": {"0": "NEG"}, "hidden_size": 8}"#).unwrap();
        let mut params = config_params(&doc).unwrap();
        params.sort();
        assert_eq!(
            params,
            vec![
                ("model.architectures".to_string(), "[\"Bert\"]".to_string()),
                ("model.hidden_size".to_string(), "8".to_string()),
                ("model.id2label.0".to_string(), "NEG".to_string()),
            ]
        );
    }
}
