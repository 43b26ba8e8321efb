//! The JSON payloads of a trackio database: one `metrics` dict per `log()` call, the run
//! `config`, and ISO-8601 timestamps.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::lenient_json;
use crate::model::Point;

/// Config keys trackio adds itself (`trackio/run.py`).
const USERNAME: &str = "_Username";
const CREATED: &str = "_Created";
const GROUP: &str = "_Group";

/// Points of one run, per metric key, in logging order.
#[derive(Debug, Default)]
pub struct RunSeries {
    pub series: Vec<(String, Vec<Point>)>,
    index: HashMap<String, usize>,
}

impl RunSeries {
    /// Adds the numeric values of one logged dict as points at `step`/`time_ms`. Numbers
    /// and the strings `NaN`/`Infinity`/`-Infinity` are points; media (`{"_type": ...}`),
    /// tables, other strings, booleans and nested dicts are not.
    pub fn add_row(&mut self, json: &[u8], step: i64, time_ms: i64) -> Result<(), String> {
        let text = std::str::from_utf8(json).map_err(|e| format!("metrics are not UTF-8: {e}"))?;
        let row = lenient_json::parse(text).map_err(|e| format!("unreadable metrics JSON: {e}"))?;
        let Value::Object(row) = row else {
            return Err("the metrics JSON is not an object".into());
        };
        for (key, value) in row {
            let Some(value) = metric_value(&value) else { continue };
            let i = match self.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.series.push((key.clone(), Vec::new()));
                    self.index.insert(key, self.series.len() - 1);
                    self.series.len() - 1
                }
            };
            if let Some((_, points)) = self.series.get_mut(i) {
                points.push(Point { step, time_ms, value });
            }
        }
        Ok(())
    }
}

fn metric_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(_) => lenient_json::number(v).filter(|f| !f.is_finite()),
        _ => None,
    }
}

/// A run's config: params (trackio's own keys taken out), and those keys' values.
#[derive(Debug, Default, PartialEq)]
pub struct Config {
    pub params: Vec<(String, String)>,
    pub user: Option<String>,
    pub created_ms: Option<i64>,
    pub group: Option<String>,
}

impl Config {
    pub fn parse(json: &[u8]) -> Result<Config, String> {
        let text = std::str::from_utf8(json).map_err(|e| format!("config is not UTF-8: {e}"))?;
        let Value::Object(mut config) = lenient_json::parse(text).map_err(|e| format!("unreadable config JSON: {e}"))? else {
            return Err("the config JSON is not an object".into());
        };
        let mut take = |key: &str| match config.remove(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let user = take(USERNAME);
        let created_ms = take(CREATED).as_deref().and_then(time_ms);
        let group = take(GROUP);
        let params = if config.is_empty() { Vec::new() } else { lenient_json::flatten(&Value::Object(Map::from_iter(config)), ".") };
        Ok(Config { params, user, created_ms, group })
    }
}

/// Milliseconds since the epoch of an ISO-8601 time as Python's `isoformat()` writes it:
/// with an offset (`2026-11-26T10:04:50.154818+00:00`), or naive (older trackio, local
/// time of the writer, read as UTC since the zone is not recorded).
pub fn time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(t) = chrono::DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_millis());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// trackio's file name for a project: only alphanumerics, `-` and `_` kept
/// (`canonical_project_name`), `default` when nothing is left.
pub fn canonical_project(name: &str) -> String {
    let kept: String = name.chars().filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_').collect();
    if kept.is_empty() { "default".into() } else { kept }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_non_finite_strings_are_points_media_and_text_are_not() {
        let mut s = RunSeries::default();
        s.add_row(br#"{"loss": 1.5, "acc": 0, "nanv": "NaN", "up": "Infinity", "down": "-Infinity"}"#, 0, 10).unwrap();
        s.add_row(
            br#"{"loss": NaN, "img": {"_type": "trackio.image", "file_path": "p/r/0/x.png"}, "note": "hi", "flag": true, "nested": {"a": 1}}"#,
            1,
            20,
        )
        .unwrap();
        let get = |k: &str| &s.series.iter().find(|(key, _)| key == k).unwrap().1;
        assert_eq!(s.series.len(), 5, "{:?}", s.series.iter().map(|(k, _)| k).collect::<Vec<_>>());
        assert_eq!(get("loss").len(), 2);
        assert_eq!((get("loss")[0].step, get("loss")[0].time_ms, get("loss")[0].value), (0, 10, 1.5));
        assert!(get("loss")[1].value.is_nan(), "a bare NaN token is read too");
        assert!(get("nanv")[0].value.is_nan());
        assert_eq!(get("up")[0].value, f64::INFINITY);
        assert_eq!(get("down")[0].value, f64::NEG_INFINITY);
        assert_eq!(get("acc")[0].value, 0.0);
    }

    #[test]
    fn bad_rows_are_errors() {
        let mut s = RunSeries::default();
        assert!(s.add_row(b"{\"loss\": 1.5", 0, 0).unwrap_err().contains("JSON"));
        assert!(s.add_row(b"[1, 2]", 0, 0).is_err());
        assert!(s.add_row(b"\xff\xfe", 0, 0).is_err());
        assert!(s.series.is_empty());
    }

    #[test]
    fn config_separates_trackio_keys_from_params() {
        let c = Config::parse(
            br#"{"lr": 0.001, "model": {"arch": "mlp", "depth": 32}, "name": "x", "_Username": null,
                 "_Created": "2026-11-26T10:04:49.653464+00:00", "_Group": "mlp"}"#,
        )
        .unwrap();
        assert_eq!(
            c.params,
            vec![
                ("lr".into(), "0.001".into()),
                ("model.arch".into(), "mlp".into()),
                ("model.depth".into(), "32".into()),
                ("name".into(), "x".into())
            ]
        );
        assert_eq!((c.user, c.created_ms, c.group.as_deref()), (None, Some(1795687489653), Some("mlp")));
        assert!(Config::parse(b"{").is_err());
    }

    #[test]
    fn timestamps_with_and_without_offsets() {
        assert_eq!(time_ms("2026-11-26T10:04:50.154818+00:00"), Some(1795687490154));
        assert_eq!(time_ms("2026-11-26T11:04:50.154818+01:00"), Some(1795687490154));
        assert_eq!(time_ms("2026-11-26T10:04:50.154818"), Some(1795687490154), "naive: read as UTC");
        assert_eq!(time_ms("2026-11-26 10:04:50"), Some(1795687490000));
        assert_eq!(time_ms("yesterday"), None);
    }

    #[test]
    fn canonical_project_names() {
        assert_eq!(canonical_project("Résumé Parser ✓"), "RésuméParser");
        assert_eq!(canonical_project("my.proj"), "myproj");
        assert_eq!(canonical_project("✓"), "default");
    }
}
