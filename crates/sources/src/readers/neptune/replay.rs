//! Rebuilding a run from its operations, replayed in `version` order (formats notes
//! 13.5): `Assign*` replaces a value, `LogFloats` appends, `ClearFloatLog` empties a series,
//! string sets add / remove / clear, `DeleteAttribute` removes a path (or a namespace).
//!
//! Operations are applied either as *old* (read again only to rebuild params, tags, files
//! and the last step of each series; their points are already in the index) or as *new*
//! (their points go into [`Replay::series`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::log::{LoggedOp, Operation};
use crate::model::{Point, SeriesMode, SeriesUpdate, Status, Warning};

/// A file field (`UploadFile`, `UploadFileContent`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Upload {
    /// `file_path`: a local file only referenced by its path on the writing machine.
    Referenced(String),
    /// `tmp_file_name`: a copy in the run folder's `upload_path/`.
    Stored(String),
    /// Bytes inside the log: `origin` is `<log file>#<byte offset of the line>`.
    Embedded { origin: String, size: u64, ext: String },
}

/// An image of an image series, embedded in the log as base64.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Image {
    pub origin: String,
    pub size: u64,
}

/// Everything a replay has rebuilt so far.
#[derive(Debug)]
pub(super) struct Replay {
    /// How new points of a series are sent unless the series is cleared.
    default_mode: SeriesMode,
    pub name: Option<String>,
    pub description: Option<String>,
    pub hostname: Option<String>,
    /// `source_code/entrypoint`: the script that ran.
    pub entrypoint: Option<String>,
    pub failed: bool,
    /// String sets by path (`sys/tags`, `sys/group_tags`, user sets).
    pub sets: BTreeMap<String, BTreeSet<String>>,
    /// Leaves under `parameters/`, with the prefix.
    pub params: BTreeMap<String, String>,
    /// Other single values outside `sys/`, `source_code/` and `parameters/`.
    pub fields: BTreeMap<String, String>,
    pub files: BTreeMap<String, Upload>,
    pub file_sets: BTreeMap<String, Vec<String>>,
    /// `TrackFilesToArtifact` entries (paths or URLs as the user gave them).
    pub tracked: BTreeMap<String, Vec<String>>,
    pub images: BTreeMap<String, Vec<Image>>,
    /// New points per float series, in logging order.
    pub series: BTreeMap<String, SeriesUpdate>,
    /// Last step of each float series, for points logged without one.
    last_steps: HashMap<String, i64>,
    /// Highest `version` applied.
    pub last_version: u64,
    pub first_at: Option<f64>,
    pub last_at: Option<f64>,
}

impl Replay {
    /// An empty run; new points are sent with `default_mode`, and `last_version` is the
    /// version of the last operation already applied (0: none).
    pub fn new(default_mode: SeriesMode, last_version: u64) -> Replay {
        Replay {
            default_mode,
            name: None,
            description: None,
            hostname: None,
            entrypoint: None,
            failed: false,
            sets: BTreeMap::new(),
            params: BTreeMap::new(),
            fields: BTreeMap::new(),
            files: BTreeMap::new(),
            file_sets: BTreeMap::new(),
            tracked: BTreeMap::new(),
            images: BTreeMap::new(),
            series: BTreeMap::new(),
            last_steps: HashMap::new(),
            last_version,
            first_at: None,
            last_at: None,
        }
    }

    /// Notes that operations up to `version` were applied by an earlier scan.
    pub fn skip_to(&mut self, version: u64) {
        self.last_version = self.last_version.max(version);
    }

    /// Applies one operation of log file `rel`. `new` operations contribute their points to
    /// [`Replay::series`]. Versions must grow by one: a repeated version is skipped and a
    /// gap is reported.
    pub fn apply(&mut self, logged: &LoggedOp, rel: &str, new: bool, warnings: &mut Vec<Warning>) {
        if let Some(v) = logged.version {
            if v <= self.last_version {
                warnings.push(Warning::new(rel, Some(logged.location()), format!("operation version {v} repeated: skipped")));
                return;
            }
            let expected = self.last_version.saturating_add(1);
            if self.last_version > 0 && v > expected {
                let reason = format!("operations {expected} to {} are missing", v - 1);
                warnings.push(Warning::new(rel, Some(logged.location()), reason));
            }
            self.last_version = v;
        }
        if let Some(at) = logged.at.filter(|a| a.is_finite()) {
            self.first_at.get_or_insert(at);
            self.last_at = Some(at);
        }
        let Some(path) = logged.op.path() else { return };
        // Hardware samples and captured output are not metrics.
        if path.first().is_some_and(|p| p == "monitoring") {
            return;
        }
        let key = path.join("/");
        match &logged.op {
            Operation::AssignFloat { value, .. } => self.assign(path, key, float_text(*value)),
            Operation::AssignInt { value, .. } => self.assign(path, key, value.to_string()),
            Operation::AssignBool { value, .. } => self.assign_bool(path, key, *value),
            Operation::AssignString { value, .. } => self.assign(path, key, value.clone()),
            Operation::AssignDatetime { value, .. } => self.assign(path, key, datetime_text(*value)),
            Operation::LogFloats { values, .. } => {
                let mut points = Vec::with_capacity(if new { values.len() } else { 0 });
                for entry in values {
                    let step = match entry.step.filter(|s| s.is_finite()) {
                        Some(s) => s as i64,
                        None => self.last_steps.get(&key).map_or(0, |s| s.saturating_add(1)),
                    };
                    self.last_steps.insert(key.clone(), step);
                    if new {
                        // `neptune sync` sends int(ts * 1000).
                        let time_ms = entry.ts.filter(|t| t.is_finite()).map_or(0, |t| (t * 1000.0) as i64);
                        points.push(Point { step, time_ms, value: entry.value });
                    }
                }
                if new {
                    self.series_entry(&key).points.extend(points);
                }
            }
            Operation::ClearFloatLog { .. } => self.clear_series(&key, new),
            Operation::LogImages { values, .. } => {
                let images = self.images.entry(key).or_default();
                images.extend(values.iter().map(|v| Image { origin: format!("{rel}#{}", logged.offset), size: v.value }));
            }
            Operation::ClearImageLog { .. } => {
                self.images.remove(&key);
            }
            Operation::AddStrings { values, .. } => self.sets.entry(key).or_default().extend(values.iter().cloned()),
            Operation::RemoveStrings { values, .. } => {
                if let Some(set) = self.sets.get_mut(&key) {
                    for v in values {
                        set.remove(v);
                    }
                }
            }
            Operation::ClearStringSet { .. } => {
                self.sets.remove(&key);
            }
            Operation::UploadFile { file_path, tmp_file_name, .. } => {
                let upload = match (tmp_file_name, file_path) {
                    (Some(tmp), _) => Upload::Stored(tmp.clone()),
                    (None, Some(path)) => Upload::Referenced(path.clone()),
                    (None, None) => return,
                };
                self.files.insert(key, upload);
            }
            Operation::UploadFileContent { ext, file_content, .. } => {
                let origin = format!("{rel}#{}", logged.offset);
                let ext = ext.clone().unwrap_or_default();
                self.files.insert(key, Upload::Embedded { origin, size: *file_content, ext });
            }
            Operation::UploadFileSet { file_globs, reset, .. } => {
                let set = self.file_sets.entry(key).or_default();
                if *reset {
                    set.clear();
                }
                set.extend(file_globs.iter().cloned());
            }
            Operation::DeleteFiles { file_paths, .. } => {
                if let Some(set) = self.file_sets.get_mut(&key) {
                    set.retain(|g| !file_paths.contains(g));
                }
            }
            Operation::TrackFilesToArtifact { entries, .. } => {
                self.tracked.entry(key).or_default().extend(entries.iter().map(|(p, _)| p.clone()));
            }
            Operation::ClearArtifact { .. } => {
                self.tracked.remove(&key);
            }
            Operation::DeleteAttribute { .. } => self.delete(&key, new),
            _ => {}
        }
    }

    fn assign(&mut self, path: &[String], key: String, text: String) {
        match path.first().map(String::as_str) {
            Some("sys") => match path.get(1).map(String::as_str) {
                Some("name") if path.len() == 2 => self.name = Some(text),
                Some("description") if path.len() == 2 => self.description = Some(text),
                Some("hostname") if path.len() == 2 => self.hostname = Some(text),
                _ => {}
            },
            Some("source_code") => {
                if path.len() == 2 && path[1] == "entrypoint" {
                    self.entrypoint = Some(text);
                }
            }
            Some("parameters") => {
                self.params.insert(key, text);
            }
            _ => {
                self.fields.insert(key, text);
            }
        }
    }

    fn assign_bool(&mut self, path: &[String], key: String, value: bool) {
        if path.len() == 2 && path.first().is_some_and(|p| p == "sys") && path.get(1).is_some_and(|p| p == "failed") {
            self.failed = value;
        } else {
            self.assign(path, key, value.to_string());
        }
    }

    fn series_entry(&mut self, key: &str) -> &mut SeriesUpdate {
        let mode = self.default_mode;
        self.series.entry(key.to_string()).or_insert_with(|| SeriesUpdate { key: key.to_string(), mode, points: Vec::new() })
    }

    /// Empties a float series: a new clear replaces what the index holds.
    fn clear_series(&mut self, key: &str, new: bool) {
        self.last_steps.remove(key);
        if new {
            let entry = self.series_entry(key);
            entry.mode = SeriesMode::Replace;
            entry.points.clear();
        }
    }

    /// `DeleteAttribute`: removes the path, or every path of the namespace it names.
    fn delete(&mut self, key: &str, new: bool) {
        let under = |k: &str| k == key || k.strip_prefix(key).is_some_and(|rest| rest.starts_with('/'));
        let series: Vec<String> =
            self.last_steps.keys().chain(self.series.keys()).filter(|k| under(k)).cloned().collect::<BTreeSet<_>>().into_iter().collect();
        for k in series {
            self.clear_series(&k, new);
        }
        self.params.retain(|k, _| !under(k));
        self.fields.retain(|k, _| !under(k));
        self.sets.retain(|k, _| !under(k));
        self.files.retain(|k, _| !under(k));
        self.file_sets.retain(|k, _| !under(k));
        self.tracked.retain(|k, _| !under(k));
        self.images.retain(|k, _| !under(k));
    }

    /// The series to send: cleared ones even when empty, appended ones with new points.
    pub fn take_series(&mut self) -> Vec<SeriesUpdate> {
        std::mem::take(&mut self.series).into_values().filter(|s| s.mode == SeriesMode::Replace || !s.points.is_empty()).collect()
    }

    /// Tags: `sys/tags` and `sys/group_tags` labels, the description and host name as
    /// `neptune.*`, user string sets and single-value fields under their paths.
    pub fn tags(&self) -> Vec<(String, String)> {
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        for (path, set) in &self.sets {
            if path == "sys/tags" || path == "sys/group_tags" {
                tags.extend(set.iter().map(|label| (label.clone(), String::new())));
            } else if !path.starts_with("sys/") {
                tags.insert(path.clone(), set.iter().cloned().collect::<Vec<_>>().join(", "));
            }
        }
        for (path, value) in &self.fields {
            tags.insert(path.clone(), value.clone());
        }
        if let Some(d) = self.description.as_ref().filter(|d| !d.is_empty()) {
            tags.insert("neptune.description".into(), d.clone());
        }
        if let Some(h) = self.hostname.as_ref().filter(|h| !h.is_empty()) {
            tags.insert("neptune.hostname".into(), h.clone());
        }
        tags.into_iter().collect()
    }

    /// Failed when `sys/failed` is true; otherwise closed (finished) when the client's
    /// `last_put_version` equals the last version in the log, running when the log lags
    /// behind it (or it is being rewritten), unknown without it (formats notes 13.6).
    pub fn status(&self, put: PutVersion) -> Status {
        if self.failed {
            return Status::Failed;
        }
        match put {
            PutVersion::Missing => Status::Unknown,
            PutVersion::Value(v) if v == self.last_version => Status::Finished,
            PutVersion::Value(_) | PutVersion::Unreadable => Status::Running,
        }
    }
}

/// The content of `last_put_version`: the version of the last operation the client queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PutVersion {
    Missing,
    /// Empty or not a number: caught while the client rewrites it.
    Unreadable,
    Value(u64),
}

/// A float field as text, like the other readers' JSON-derived params (`0.001`, `1.27e-6`).
fn float_text(v: f64) -> String {
    match serde_json::Number::from_f64(v) {
        Some(n) => n.to_string(),
        None if v.is_nan() => "NaN".into(),
        None if v > 0.0 => "Infinity".into(),
        None => "-Infinity".into(),
    }
}

/// An `AssignDatetime` value (epoch milliseconds) as RFC 3339 in UTC.
fn datetime_text(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64).map_or_else(|| float_text(ms), |t| t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::super::log::parse_lines;
    use super::*;

    fn replay(lines: &[&str], mode: SeriesMode) -> (Replay, Vec<Warning>) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut warnings = Vec::new();
        let (ops, _) = parse_lines(text.as_bytes(), 0, "d", &mut warnings);
        let mut r = Replay::new(mode, 0);
        for op in &ops {
            r.apply(op, "d", true, &mut warnings);
        }
        (r, warnings)
    }

    fn log_floats(path: &str, version: u64, points: &[(f64, &str)]) -> String {
        let values: Vec<String> = points.iter().map(|(v, step)| format!("{{\"value\": {v}, \"step\": {step}, \"ts\": 10.5}}")).collect();
        format!("{{\"obj\": {{\"type\": \"LogFloats\", \"path\": [\"{path}\"], \"values\": [{}]}}, \"version\": {version}}}", values.join(", "))
    }

    #[test]
    fn clear_float_log_starts_the_series_again() {
        let clear = r#"{"obj": {"type": "ClearFloatLog", "path": ["loss"]}, "version": 2}"#;
        let (mut r, w) = replay(
            &[&log_floats("loss", 1, &[(1.0, "0"), (2.0, "1")]), clear, &log_floats("loss", 3, &[(3.0, "null"), (4.0, "null")])],
            SeriesMode::Append,
        );
        assert!(w.is_empty(), "{w:?}");
        let series = r.take_series();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].mode, SeriesMode::Replace, "a clear replaces what the index holds");
        let steps: Vec<(i64, f64, i64)> = series[0].points.iter().map(|p| (p.step, p.value, p.time_ms)).collect();
        assert_eq!(steps, vec![(0, 3.0, 10500), (1, 4.0, 10500)], "steps without a value count on from the clear");
    }

    #[test]
    fn params_fields_tags_and_deletes() {
        let (r, w) = replay(
            &[
                r#"{"obj": {"type": "AssignString", "path": ["sys", "name"], "value": "n"}, "version": 1}"#,
                r#"{"obj": {"type": "AssignFloat", "path": ["parameters", "lr"], "value": 1.27e-06}, "version": 2}"#,
                r#"{"obj": {"type": "AssignBool", "path": ["parameters", "model", "amp"], "value": false}, "version": 3}"#,
                r#"{"obj": {"type": "AssignInt", "path": ["parameters", "old", "x"], "value": 1}, "version": 4}"#,
                r#"{"obj": {"type": "DeleteAttribute", "path": ["parameters", "old"]}, "version": 5}"#,
                r#"{"obj": {"type": "AddStrings", "path": ["sys", "tags"], "values": ["b", "a", "c"]}, "version": 6}"#,
                r#"{"obj": {"type": "RemoveStrings", "path": ["sys", "tags"], "values": ["c"]}, "version": 7}"#,
                r#"{"obj": {"type": "AssignDatetime", "path": ["data", "t"], "value": 1714986000000}, "version": 8}"#,
                r#"{"obj": {"type": "AssignBool", "path": ["sys", "failed"], "value": true}, "version": 9}"#,
            ],
            SeriesMode::Replace,
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.name.as_deref(), Some("n"));
        let params: Vec<_> = r.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(params, vec![("parameters/lr", "1.27e-6"), ("parameters/model/amp", "false")]);
        let tags = r.tags();
        assert_eq!(
            tags,
            vec![("a".to_string(), String::new()), ("b".to_string(), String::new()), ("data/t".to_string(), "2024-05-06T09:00:00+00:00".to_string())]
        );
        assert_eq!(r.status(PutVersion::Value(9)), Status::Failed);
    }

    #[test]
    fn status_follows_last_put_version() {
        let (r, _) = replay(&[&log_floats("x", 1, &[(1.0, "0")]), &log_floats("x", 2, &[(1.0, "1")])], SeriesMode::Replace);
        assert_eq!(r.status(PutVersion::Value(2)), Status::Finished, "closed");
        assert_eq!(r.status(PutVersion::Value(40)), Status::Running, "operations still in the client's buffer");
        assert_eq!(r.status(PutVersion::Unreadable), Status::Running);
        assert_eq!(r.status(PutVersion::Missing), Status::Unknown);
    }

    #[test]
    fn repeated_and_missing_versions_are_warnings() {
        let (mut r, w) = replay(
            &[&log_floats("x", 1, &[(1.0, "0")]), &log_floats("x", 1, &[(9.0, "5")]), &log_floats("x", 4, &[(2.0, "1")])],
            SeriesMode::Replace,
        );
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].message.contains("repeated"));
        assert_eq!(w[0].location.as_deref(), Some("line 2"));
        assert!(w[1].message.contains("operations 2 to 3 are missing"));
        assert_eq!(r.take_series()[0].points.len(), 2, "the repeated operation is skipped");
    }

    #[test]
    fn old_operations_rebuild_state_but_send_no_points() {
        let text = format!("{}\n{}\n", log_floats("x", 1, &[(1.0, "0")]), log_floats("x", 2, &[(2.0, "null")]));
        let mut warnings = Vec::new();
        let (ops, _) = parse_lines(text.as_bytes(), 0, "d", &mut warnings);
        let mut r = Replay::new(SeriesMode::Append, 0);
        r.apply(&ops[0], "d", false, &mut warnings);
        r.apply(&ops[1], "d", true, &mut warnings);
        let series = r.take_series();
        assert_eq!(series[0].mode, SeriesMode::Append);
        assert_eq!(series[0].points, vec![Point { step: 1, time_ms: 10500, value: 2.0 }]);
    }

    #[test]
    fn monitoring_is_not_indexed() {
        let (mut r, _) = replay(&[&log_floats("monitoring", 1, &[(1.0, "0")])], SeriesMode::Replace);
        assert!(r.take_series().is_empty());
    }
}
