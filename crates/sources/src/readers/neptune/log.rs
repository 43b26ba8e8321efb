//! The operation log `data-<V>.log`: one `json.dumps` envelope per line,
//! `{"obj": <operation>, "version": <n>, "at": <unix seconds>}`, decoded into
//! [`Operation`]s. Only complete lines are decoded; a line that is not JSON, or an
//! operation with missing or mistyped fields, is a positioned warning.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::lenient_json;
use crate::model::Warning;

/// At most this many warnings per file and pass; the rest are counted in one more.
const MAX_WARNINGS_PER_FILE: usize = 10;

/// One decoded line of the log.
#[derive(Debug)]
pub(super) struct LoggedOp {
    pub version: Option<u64>,
    /// Wall-clock seconds when the client queued the operation (absent before 1.8.5).
    pub at: Option<f64>,
    /// Byte offset of the line in its file.
    pub offset: u64,
    /// 1-based line number, when the file was read from its start.
    pub line: Option<usize>,
    pub op: Operation,
}

impl LoggedOp {
    /// `line 12` when the line number is known, else `byte 4096`.
    pub fn location(&self) -> String {
        location(self.line, self.offset)
    }
}

fn location(line: Option<usize>, offset: u64) -> String {
    match line {
        Some(n) => format!("line {n}"),
        None => format!("byte {offset}"),
    }
}

/// The operations Runlens understands (`neptune/internal/operation.py`). Operations that
/// carry nothing to index are accepted without their fields; any other type is
/// [`Operation::Unknown`].
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub(super) enum Operation {
    AssignFloat {
        path: Vec<String>,
        #[serde(deserialize_with = "lenient_f64")]
        value: f64,
    },
    AssignInt {
        path: Vec<String>,
        value: i64,
    },
    AssignBool {
        path: Vec<String>,
        value: bool,
    },
    AssignString {
        path: Vec<String>,
        value: String,
    },
    /// Epoch milliseconds.
    AssignDatetime {
        path: Vec<String>,
        #[serde(deserialize_with = "lenient_f64")]
        value: f64,
    },
    LogFloats {
        path: Vec<String>,
        values: Vec<FloatEntry>,
    },
    LogImages {
        path: Vec<String>,
        values: Vec<ImageEntry>,
    },
    ClearFloatLog {
        path: Vec<String>,
    },
    ClearImageLog {
        path: Vec<String>,
    },
    AddStrings {
        path: Vec<String>,
        values: Vec<String>,
    },
    RemoveStrings {
        path: Vec<String>,
        values: Vec<String>,
    },
    ClearStringSet {
        path: Vec<String>,
    },
    UploadFile {
        path: Vec<String>,
        #[serde(default)]
        file_path: Option<String>,
        #[serde(default)]
        tmp_file_name: Option<String>,
    },
    UploadFileContent {
        path: Vec<String>,
        #[serde(default)]
        ext: Option<String>,
        #[serde(deserialize_with = "base64_len")]
        file_content: u64,
    },
    UploadFileSet {
        path: Vec<String>,
        file_globs: Vec<String>,
        #[serde(deserialize_with = "python_bool")]
        reset: bool,
    },
    DeleteFiles {
        path: Vec<String>,
        file_paths: Vec<String>,
    },
    TrackFilesToArtifact {
        path: Vec<String>,
        entries: Vec<(String, Option<String>)>,
    },
    ClearArtifact {
        path: Vec<String>,
    },
    DeleteAttribute {
        path: Vec<String>,
    },
    // Known operations with nothing to index: string series (captured output, text
    // logs), series display ranges, artifact hashes and server-side copies.
    LogStrings {},
    ClearStringLog {},
    ConfigFloatSeries {},
    AssignArtifact {},
    CopyAttribute {},
    #[serde(other)]
    Unknown,
}

impl Operation {
    /// The attribute path, for operations that have one Runlens uses.
    pub fn path(&self) -> Option<&[String]> {
        use Operation::*;
        match self {
            AssignFloat { path, .. }
            | AssignInt { path, .. }
            | AssignBool { path, .. }
            | AssignString { path, .. }
            | AssignDatetime { path, .. }
            | LogFloats { path, .. }
            | LogImages { path, .. }
            | ClearFloatLog { path }
            | ClearImageLog { path }
            | AddStrings { path, .. }
            | RemoveStrings { path, .. }
            | ClearStringSet { path }
            | UploadFile { path, .. }
            | UploadFileContent { path, .. }
            | UploadFileSet { path, .. }
            | DeleteFiles { path, .. }
            | TrackFilesToArtifact { path, .. }
            | ClearArtifact { path }
            | DeleteAttribute { path } => Some(path),
            LogStrings {} | ClearStringLog {} | ConfigFloatSeries {} | AssignArtifact {} | CopyAttribute {} | Unknown => None,
        }
    }

    /// True for operations that change only float or string series, so a rescan can
    /// append their points without replaying the rest of the log.
    pub fn series_only(&self) -> bool {
        matches!(
            self,
            Operation::LogFloats { .. }
                | Operation::ClearFloatLog { .. }
                | Operation::LogStrings {}
                | Operation::ClearStringLog {}
                | Operation::ConfigFloatSeries {}
        )
    }

    /// True when a point has no step: the step follows the series' previous one, which
    /// only a replay from the start of the log knows.
    pub fn needs_history(&self) -> bool {
        matches!(self, Operation::LogFloats { values, .. } if values.iter().any(|v| v.step.is_none()))
    }
}

/// One point of `LogFloats`.
#[derive(Debug, Deserialize)]
pub(super) struct FloatEntry {
    #[serde(deserialize_with = "lenient_f64")]
    pub value: f64,
    #[serde(default, deserialize_with = "lenient_opt_f64")]
    pub step: Option<f64>,
    #[serde(default, deserialize_with = "lenient_opt_f64")]
    pub ts: Option<f64>,
}

/// One point of `LogImages`: only the decoded size of its PNG is kept.
#[derive(Debug, Deserialize)]
pub(super) struct ImageEntry {
    #[serde(deserialize_with = "image_size")]
    pub value: u64,
}

#[derive(Deserialize)]
struct Envelope {
    obj: Operation,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_f64")]
    at: Option<f64>,
}

/// Only the operation type, to name an unknown one.
#[derive(Deserialize)]
struct TypeOnly {
    obj: TypeName,
}

#[derive(Deserialize)]
struct TypeName {
    #[serde(rename = "type")]
    kind: String,
}

/// Decodes the complete lines of `bytes`, which start at byte `base` of the file (`rel`,
/// relative to the store root). Returns the operations and the number of bytes consumed:
/// a last line without its `\n` is not yet written and is left for the next pass.
pub(super) fn parse_lines(bytes: &[u8], base: u64, rel: &str, warnings: &mut Vec<Warning>) -> (Vec<LoggedOp>, u64) {
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return (Vec::new(), 0);
    };
    let complete = bytes.get(..end).unwrap_or_default();
    let mut ops = Vec::new();
    let mut bad = 0usize;
    let mut line_start = 0usize;
    for (i, line) in complete.split(|&b| b == b'\n').enumerate() {
        let offset = base + line_start as u64;
        line_start += line.len() + 1;
        let line_no = (base == 0).then_some(i + 1);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match decode(line) {
            Ok(envelope) => {
                let op = LoggedOp { version: envelope.version, at: envelope.at, offset, line: line_no, op: envelope.obj };
                if let Operation::Unknown = op.op {
                    bad += 1;
                    if bad <= MAX_WARNINGS_PER_FILE {
                        let kind = serde_json::from_slice::<TypeOnly>(line).map(|t| t.obj.kind).unwrap_or_default();
                        warnings.push(Warning::new(rel, Some(op.location()), format!("unknown operation {kind:?} skipped")));
                    }
                }
                ops.push(op);
            }
            Err(reason) => {
                bad += 1;
                if bad <= MAX_WARNINGS_PER_FILE {
                    warnings.push(Warning::new(rel, Some(location(line_no, offset)), reason));
                }
            }
        }
    }
    if bad > MAX_WARNINGS_PER_FILE {
        warnings.push(Warning::new(rel, None, format!("{} more unreadable operations", bad - MAX_WARNINGS_PER_FILE)));
    }
    (ops, end as u64 + 1)
}

/// One line: strict JSON first (the fast path); clients before 1.8.3 could write bare
/// `NaN`/`Infinity`, which the lenient parser accepts.
fn decode(line: &[u8]) -> Result<Envelope, String> {
    let strict = match serde_json::from_slice::<Envelope>(line) {
        Ok(e) => return Ok(e),
        Err(e) => e,
    };
    if strict.classify() == serde_json::error::Category::Data {
        return Err(format!("malformed operation: {strict}"));
    }
    let text = String::from_utf8_lossy(line);
    let value = lenient_json::parse(&text).map_err(|_| format!("not a JSON line: {strict}"))?;
    serde_json::from_value::<Envelope>(value).map_err(|e| format!("malformed operation: {e}"))
}

/// A float that may be written as a number or, by old clients, as bare `NaN`/`Infinity`
/// (quoted by the lenient parser).
fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = Value::deserialize(d)?;
    lenient_json::number(&v).ok_or_else(|| D::Error::custom(format!("expected a number, found {v}")))
}

fn lenient_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => lenient_json::number(&v).map(Some).ok_or_else(|| D::Error::custom(format!("expected a number, found {v}"))),
    }
}

/// `reset` of `UploadFileSet` is the string `"True"`/`"False"`; accept a JSON bool too.
fn python_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        v => Err(D::Error::custom(format!("expected \"True\" or \"False\", found {v}"))),
    }
}

/// The decoded size of a base64 string.
fn base64_len<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    Ok(decoded_len(&s))
}

/// An image value: `{"data": <base64>, "name": ..., "description": ...}`, or a bare base64
/// string from old clients; only its decoded size is kept.
fn image_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(decoded_len(&s)),
        Value::Object(o) => match o.get("data") {
            Some(Value::String(s)) => Ok(decoded_len(s)),
            _ => Err(D::Error::custom("image value without base64 `data`")),
        },
        v => Err(D::Error::custom(format!("expected an image, found {v}"))),
    }
}

fn decoded_len(b64: &str) -> u64 {
    let significant = b64.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').count() as u64;
    significant * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<LoggedOp>, u64, Vec<Warning>) {
        let mut warnings = Vec::new();
        let (ops, consumed) = parse_lines(text.as_bytes(), 0, "offline/run/data-1.log", &mut warnings);
        (ops, consumed, warnings)
    }

    #[test]
    fn lines_decode_and_a_partial_last_line_waits() {
        let text = concat!(
            r#"{"obj": {"type": "AssignString", "path": ["sys", "name"], "value": "r"}, "version": 1, "at": 1.5}"#,
            "\n",
            r#"{"obj": {"type": "LogFloats", "path": ["train", "loss"], "values": [{"value": 0.5, "step": 3, "ts": 2.25}]}, "version": 2, "at": 2.0}"#,
            "\n",
            r#"{"obj": {"type": "LogFloats", "path": ["train", "loss"], "values": [{"value": 0.4, "st"#,
        );
        let (ops, consumed, warnings) = parse(text);
        assert!(warnings.is_empty(), "a partial last line is not corruption: {warnings:?}");
        assert_eq!(ops.len(), 2);
        assert_eq!(consumed as usize, text.rfind('\n').unwrap() + 1);
        assert_eq!((ops[0].version, ops[0].at), (Some(1), Some(1.5)));
        let Operation::LogFloats { values, .. } = &ops[1].op else { panic!("{:?}", ops[1].op) };
        assert_eq!((values[0].value, values[0].step, values[0].ts), (0.5, Some(3.0), Some(2.25)));
        assert_eq!(ops[1].location(), "line 2");
    }

    #[test]
    fn old_clients_bare_non_finite_values_are_kept() {
        let text = "{\"obj\": {\"type\": \"LogFloats\", \"path\": [\"x\"], \"values\": [{\"value\": NaN, \"step\": 0, \"ts\": 1}, \
                    {\"value\": Infinity, \"step\": 1, \"ts\": 1}, {\"value\": -Infinity, \"step\": null, \"ts\": 1}]}, \"version\": 1}\n";
        let (ops, _, warnings) = parse(text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let Operation::LogFloats { values, .. } = &ops[0].op else { panic!() };
        assert!(values[0].value.is_nan());
        assert_eq!((values[1].value, values[2].value, values[2].step), (f64::INFINITY, f64::NEG_INFINITY, None));
        assert!(ops[0].op.needs_history(), "a point without a step");
        assert_eq!(ops[0].at, None, "no `at` before 1.8.5");
    }

    #[test]
    fn garbage_and_malformed_operations_are_positioned_warnings() {
        let text = concat!(
            "{\"obj\": {\"type\": \"AssignInt\", \"path\": [\"a\"], \"value\": 1}, \"version\": 1}\n",
            "\u{0}\u{1} garbage\n",
            "{\"obj\": {\"type\": \"AssignInt\", \"path\": [\"a\"], \"value\": \"x\"}, \"version\": 3}\n",
            "{\"obj\": {\"type\": \"FancyNewOp\", \"path\": [\"a\"]}, \"version\": 4}\n",
            "{\"obj\": {\"type\": \"UploadFileSet\", \"path\": [\"fs\"], \"file_globs\": [\"/a/*\"], \"reset\": \"True\"}, \"version\": 5}\n",
        );
        let (ops, _, warnings) = parse(text);
        assert_eq!(ops.len(), 3, "the good line, the unknown type and the file set");
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(warnings[0].location.as_deref(), Some("line 2"));
        assert!(warnings[0].message.contains("not a JSON line"), "{}", warnings[0].message);
        assert_eq!(warnings[1].location.as_deref(), Some("line 3"));
        assert!(warnings[1].message.contains("malformed"), "{}", warnings[1].message);
        assert!(warnings[2].message.contains("FancyNewOp"), "{}", warnings[2].message);
        assert!(matches!(ops[2].op, Operation::UploadFileSet { reset: true, .. }));
    }

    #[test]
    fn resumed_passes_report_byte_offsets() {
        let mut warnings = Vec::new();
        let bytes = b"oops\n{\"obj\": {\"type\": \"ClearFloatLog\", \"path\": [\"x\"]}}\n";
        let (ops, consumed) = parse_lines(bytes, 1000, "f", &mut warnings);
        assert_eq!(warnings[0].location.as_deref(), Some("byte 1000"));
        assert_eq!(ops[0].location(), "byte 1005");
        assert_eq!(consumed, bytes.len() as u64);
    }

    #[test]
    fn image_values_keep_their_decoded_size() {
        let text = "{\"obj\": {\"type\": \"LogImages\", \"path\": [\"img\"], \"values\": [{\"value\": {\"data\": \"iVBORw0KGgo=\", \"name\": null}, \
                    \"step\": 0, \"ts\": 1}, {\"value\": \"AAAA\", \"step\": 1, \"ts\": 1}]}, \"version\": 1}\n";
        let (ops, _, warnings) = parse(text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let Operation::LogImages { values, .. } = &ops[0].op else { panic!() };
        assert_eq!(values.iter().map(|v| v.value).collect::<Vec<_>>(), vec![8, 3]);
    }
}
