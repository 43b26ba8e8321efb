//! DVCLive metric files: tab-separated, one header row written when the file is created,
//! then one row per `log_metric` call. Columns are `[timestamp,] step, <metric name>`;
//! values are Python's `str()` of the number (`nan`, `inf`, `-inf`, `1e-05`, `True`).

use std::io::Read;
use std::path::Path;

use crate::model::{Point, Warning};

/// At most this many warnings per file; the rest are counted in one more warning.
const MAX_WARNINGS_PER_FILE: usize = 10;
/// The header row is read from at most this many bytes at the start of a file.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Where the columns are, from a file's header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    width: usize,
    timestamp: Option<usize>,
    step: usize,
    value: usize,
}

impl Header {
    /// Reads the column layout from the header's field names: `timestamp` and `step` by
    /// name, the value in the first other column.
    fn of(names: &[&[u8]]) -> Option<Header> {
        let position = |name: &[u8]| names.iter().position(|n| *n == name);
        let step = position(b"step")?;
        let timestamp = position(b"timestamp");
        let value = (0..names.len()).find(|&i| i != step && Some(i) != timestamp)?;
        Some(Header { width: names.len(), timestamp, step, value })
    }

    /// The layout of a row that does not match the header: DVCLive keys its writer by the
    /// first row's fields, so mixing `timestamp=True/False` gives rows of 2 or 3 fields.
    fn for_width(self, width: usize) -> Option<Header> {
        match width {
            w if w == self.width => Some(self),
            2 => Some(Header { width: 2, timestamp: None, step: 0, value: 1 }),
            3 => Some(Header { width: 3, timestamp: Some(0), step: 1, value: 2 }),
            _ => None,
        }
    }
}

/// What [`parse`] found in a run of new bytes.
#[derive(Debug, Default)]
pub struct Parsed {
    pub points: Vec<Point>,
    /// Bytes of complete lines consumed; a partial last line is left for the next scan.
    pub consumed: u64,
    /// The header row, when the bytes start at the beginning of the file.
    pub header: Option<Header>,
}

/// Parses the complete lines of `bytes`, found at byte `base` of the file `rel` (relative
/// to the store root, for warnings). At `base` 0 the first line is the header; later,
/// `header` is the one read before (see [`read_header`]).
pub fn parse(bytes: &[u8], base: u64, header: Option<Header>, rel: &str, warnings: &mut Vec<Warning>) -> Parsed {
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return Parsed::default();
    };
    let complete = bytes.get(..=end).unwrap_or_default();
    let mut out = Parsed { points: Vec::with_capacity(complete.len() / 24), consumed: end as u64 + 1, header };
    let mut reader = reader(complete);
    let mut record = csv::ByteRecord::new();
    let mut bad = 0usize;
    let mut first = base == 0;
    loop {
        let position = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                warnings.push(Warning::new(rel, Some(location(base, &position)), format!("unreadable metric file: {e}")));
                break;
            }
        }
        if std::mem::take(&mut first) {
            let names: Vec<&[u8]> = record.iter().collect();
            out.header = Header::of(&names);
            if out.header.is_none() {
                let shown = String::from_utf8_lossy(complete.get(..end.min(80)).unwrap_or_default()).into_owned();
                warnings.push(Warning::new(rel, Some("line 1".into()), format!("header without a step and a value column: {shown:?}")));
                return out;
            }
            continue;
        }
        let Some(header) = out.header else {
            warnings.push(Warning::new(rel, None, "no header row: metric values cannot be placed"));
            return out;
        };
        match point(&record, header) {
            Some(p) => out.points.push(p),
            None => {
                bad += 1;
                if bad <= MAX_WARNINGS_PER_FILE {
                    let shown: String = record.iter().map(String::from_utf8_lossy).collect::<Vec<_>>().join("\t").chars().take(60).collect();
                    warnings.push(Warning::new(rel, Some(location(base, &position)), format!("unreadable metric row {shown:?}")));
                }
            }
        }
    }
    if bad > MAX_WARNINGS_PER_FILE {
        warnings.push(Warning::new(rel, None, format!("{} more unreadable metric rows", bad - MAX_WARNINGS_PER_FILE)));
    }
    out
}

/// Reads the header row of the file at `path` (for a file resumed after its start).
pub fn read_header(path: &Path) -> std::io::Result<Option<Header>> {
    let mut head = Vec::new();
    crate::util::open_regular(path)?.take(MAX_HEADER_BYTES).read_to_end(&mut head)?;
    let Some(end) = head.iter().position(|&b| b == b'\n') else { return Ok(None) };
    let mut record = csv::ByteRecord::new();
    let line = head.get(..=end).unwrap_or_default();
    match reader(line).read_byte_record(&mut record) {
        Ok(true) => Ok(Header::of(&record.iter().collect::<Vec<_>>())),
        _ => Ok(None),
    }
}

/// The time of the first row of the file at `path`, when it has a timestamp column.
pub fn first_time_ms(path: &Path) -> Option<i64> {
    let mut head = Vec::new();
    crate::util::open_regular(path).ok()?.take(MAX_HEADER_BYTES).read_to_end(&mut head).ok()?;
    let parsed = parse(&head, 0, None, "", &mut Vec::new());
    parsed.header?.timestamp?;
    parsed.points.first().map(|p| p.time_ms)
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(b'\t').has_headers(false).flexible(true).from_reader(bytes)
}

/// `line N` for a file read from its start, else the byte offset in the file.
fn location(base: u64, position: &csv::Position) -> String {
    if base == 0 { format!("line {}", position.line()) } else { format!("byte {}", base + position.byte()) }
}

fn point(record: &csv::ByteRecord, header: Header) -> Option<Point> {
    let header = header.for_width(record.len())?;
    let field = |i: usize| record.get(i).and_then(|f| std::str::from_utf8(f).ok()).map(str::trim);
    let step = integer(field(header.step)?)?;
    let value = value(field(header.value)?)?;
    let time_ms = match header.timestamp.map(field) {
        None | Some(Some("")) => 0,
        Some(t) => integer(t?)?,
    };
    Some(Point { step, time_ms, value })
}

/// An integer written by Python (`12`, or `12.0` from a float step or time).
fn integer(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| text.parse::<f64>().ok().filter(|f| f.is_finite() && f.fract() == 0.0).map(|f| f as i64))
}

/// A metric value: any float Python prints (`nan`, `inf`, `-inf` included), or a bool.
fn value(text: &str) -> Option<f64> {
    match text {
        "True" => Some(1.0),
        "False" => Some(0.0),
        t => t.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_timestamps_and_non_finite_values() {
        let mut w = Vec::new();
        let text = b"timestamp\tstep\tloss\n1714986000000\t0\t0.5\n1714986001500\t1\tnan\n1714986003000\t2\tinf\n\t3\t-inf\n";
        let p = parse(text, 0, None, "r/plots/metrics/loss.tsv", &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(p.consumed, text.len() as u64);
        assert_eq!(p.points.len(), 4);
        assert_eq!((p.points[0].step, p.points[0].time_ms, p.points[0].value), (0, 1714986000000, 0.5));
        assert!(p.points[1].value.is_nan());
        assert_eq!(p.points[2].value, f64::INFINITY);
        assert_eq!((p.points[3].time_ms, p.points[3].value), (0, f64::NEG_INFINITY), "a missing timestamp is 0");

        let p = parse(b"step\tacc\n0\t0.1\n1\t1e-05\n2\tTrue\n", 0, None, "acc.tsv", &mut w);
        assert!(w.is_empty());
        assert_eq!(p.points.iter().map(|p| (p.step, p.value)).collect::<Vec<_>>(), vec![(0, 0.1), (1, 1e-05), (2, 1.0)]);
    }

    #[test]
    fn a_partial_last_row_waits_and_resuming_needs_the_header() {
        let mut w = Vec::new();
        let text = b"step\tacc\n0\t0.1\n1\t0.2";
        let p = parse(text, 0, None, "acc.tsv", &mut w);
        assert_eq!((p.points.len(), p.consumed), (1, 15));
        assert!(w.is_empty(), "a partial row is not corruption");
        // Resumed at byte 15 with the header read before.
        let p2 = parse(b"1\t0.2\n2\t0.3\n", 15, p.header, "acc.tsv", &mut w);
        assert_eq!(p2.points.iter().map(|p| p.step).collect::<Vec<_>>(), vec![1, 2]);
        assert!(w.is_empty());
        // Nothing complete yet: nothing consumed.
        assert_eq!(parse(b"step\tac", 0, None, "acc.tsv", &mut w).consumed, 0);
    }

    #[test]
    fn rows_that_do_not_match_the_header_are_tolerated_or_positioned_warnings() {
        let mut w = Vec::new();
        let text = b"step\tacc\n0\t0.1\n1714986001500\t1\t0.2\ngarbage\n3\tx\n\x00\xff\t1\n4\t0.4\n";
        let p = parse(text, 0, None, "r/acc.tsv", &mut w);
        assert_eq!(p.points.iter().map(|p| (p.step, p.value)).collect::<Vec<_>>(), vec![(0, 0.1), (1, 0.2), (4, 0.4)]);
        assert_eq!(p.points[1].time_ms, 1714986001500, "a 3-field row under a 2-column header has a timestamp");
        let locations: Vec<_> = w.iter().map(|w| w.location.clone().unwrap()).collect();
        assert_eq!(locations, vec!["line 4", "line 5", "line 6"]);
        assert!(w.iter().all(|w| w.file.as_deref() == Some("r/acc.tsv")));
        // Resumed: positions are byte offsets in the file.
        w.clear();
        let header = p.header;
        parse(b"5\t0.5\nbad row\n", 100, header, "r/acc.tsv", &mut w);
        assert_eq!(w[0].location.as_deref(), Some("byte 106"));
    }

    #[test]
    fn a_header_without_a_step_column_is_a_warning() {
        let mut w = Vec::new();
        let p = parse(b"epoch\tacc\n0\t0.1\n", 0, None, "acc.tsv", &mut w);
        assert!(p.points.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].location.as_deref(), Some("line 1"));
    }

    #[test]
    fn the_header_and_first_time_are_read_from_the_file_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.tsv");
        std::fs::write(&path, "timestamp\tstep\tm\n1714986000000\t0\t1\n1714986001000\t1\t2\n").unwrap();
        let h = read_header(&path).unwrap().unwrap();
        assert_eq!((h.timestamp, h.step, h.value), (Some(0), 1, 2));
        assert_eq!(first_time_ms(&path), Some(1714986000000));
        std::fs::write(&path, "step\tm\n0\t1\n").unwrap();
        assert_eq!(first_time_ms(&path), None);
    }
}
