//! The CSV files both loggers write (`csv.DictWriter`, excel dialect: CRLF line ends,
//! minimal quoting): a header line, then one row per logging call. Parsed with the `csv`
//! crate, one complete line at a time; a partial last line is left for the next pass.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

use crate::model::{Point, Warning};
use crate::util::Fingerprint;

/// At most this many warnings per file; the rest are counted in one more warning.
const MAX_WARNINGS_PER_FILE: usize = 10;
/// A header line longer than this is not a logger's header.
pub(super) const MAX_HEADER: u64 = 64 * 1024;

/// Which logger wrote a file, and so how its columns read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// Lightning `CSVLogger` `metrics.csv`: sorted columns including `step` (the axis)
    /// and usually `epoch` (a metric); sparse rows with empty cells.
    Lightning,
    /// Keras `CSVLogger`: first column `epoch` (the axis), then the sorted log keys;
    /// missing values are `NA`, non-scalar values are text.
    Keras,
}

impl Layout {
    pub(super) fn name(self) -> &'static str {
        match self {
            Layout::Lightning => "lightning",
            Layout::Keras => "keras",
        }
    }
}

/// A parsed header line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Header {
    pub delimiter: u8,
    pub columns: Vec<String>,
    /// The column holding each row's step (`step` or Keras' `epoch`).
    pub step: usize,
    /// Fingerprint of the header line's bytes: a different header means the file was
    /// rewritten (Lightning widens it when new keys appear).
    pub fingerprint: u64,
}

impl Header {
    /// Parses a header line (no line end) written by `layout`'s logger, if it is one.
    pub(super) fn parse(line: &[u8], layout: Layout) -> Option<Header> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        let delimiter = match layout {
            Layout::Lightning => b',',
            Layout::Keras => keras_delimiter(line)?,
        };
        let columns: Vec<String> = split(line, delimiter)?.iter().map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
        let step = match layout {
            Layout::Lightning => columns.iter().position(|c| c == "step")?,
            Layout::Keras => 0,
        };
        if columns.len() < 2 || columns.iter().any(|c| c.is_empty()) {
            return None;
        }
        let fingerprint = Fingerprint::default().bytes(line).finish();
        Some(Header { delimiter, columns, step, fingerprint })
    }
}

/// Keras writes `epoch` first and then its separator (`,` unless chosen otherwise).
fn keras_delimiter(line: &[u8]) -> Option<u8> {
    let start = line.iter().position(|b| *b != b' ')?;
    let rest = line.get(start..)?.strip_prefix(b"epoch")?;
    let next = rest.iter().find(|b| **b != b' ')?;
    [b',', b'\t', b';', b'|'].contains(next).then_some(*next)
}

/// The fields of one CSV line.
fn split(line: &[u8], delimiter: u8) -> Option<Vec<Vec<u8>>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(line);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Some(record.iter().map(<[u8]>::to_vec).collect()),
        _ => None,
    }
}

/// The first line of a file (without its line end), if it ends within [`MAX_HEADER`]
/// bytes.
pub(super) fn first_line(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = crate::util::open_regular(path)?;
    let mut reader = std::io::BufReader::with_capacity(8192, file.take(MAX_HEADER));
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.pop() != Some(b'\n') {
        return Ok(None);
    }
    Ok(Some(line))
}

/// Points read from a run of complete lines.
#[derive(Debug, Default)]
pub(super) struct Rows {
    /// One series per column with a value, in column order.
    pub series: Vec<(String, Vec<Point>)>,
    /// Bytes consumed: up to and including the last line end.
    pub consumed: u64,
    /// Line ends consumed.
    pub lines: u64,
}

/// Parses the rows in `bytes`, which start at line `first_line` (1-based) of the file
/// `rel`. Malformed rows and unreadable cells become warnings; everything else is kept.
pub(super) fn parse_rows(bytes: &[u8], header: &Header, layout: Layout, first_line: u64, rel: &str, warnings: &mut Vec<Warning>) -> Rows {
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return Rows::default();
    };
    let complete = bytes.get(..=end).unwrap_or_default();
    let mut rows = Rows { consumed: end as u64 + 1, lines: complete.iter().filter(|&&b| b == b'\n').count() as u64, ..Default::default() };
    let mut slots: HashMap<usize, usize> = HashMap::new();
    let mut problems = Problems { rel, warnings, count: 0 };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(header.delimiter).from_reader(complete);
    let mut record = csv::ByteRecord::new();
    // The crate's own line count is off with CRLF and blank lines: count line ends.
    let mut lines = LineCounter { bytes: complete, at: 0, line: first_line };
    loop {
        let start = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                problems.add(lines.line_at(start), format!("unreadable CSV: {e}"));
                continue;
            }
        }
        let line = lines.line_at(record.position().map_or(start, |p| p.byte()));
        if record.len() != header.columns.len() {
            problems.add(line, format!("{} fields where the header has {}", record.len(), header.columns.len()));
            continue;
        }
        let step_cell = cell_text(record.get(header.step));
        let Some(step) = parse_step(&step_cell) else {
            problems.add(line, format!("{} {step_cell:?} is not an integer", header.columns.get(header.step).map_or("step", String::as_str)));
            continue;
        };
        for (col, raw) in record.iter().enumerate() {
            if col == header.step || (layout == Layout::Keras && col == 0) {
                continue;
            }
            let text = cell_text(Some(raw));
            let value = match parse_value(&text, layout) {
                Cell::Empty => continue,
                Cell::Value(v) => v,
                Cell::Text => {
                    let column = header.columns.get(col).map_or("", String::as_str);
                    problems.add(line, format!("{column}: {text:?} is not a number"));
                    continue;
                }
            };
            let slot = *slots.entry(col).or_insert_with(|| {
                rows.series.push((header.columns.get(col).cloned().unwrap_or_default(), Vec::new()));
                rows.series.len() - 1
            });
            if let Some((_, points)) = rows.series.get_mut(slot) {
                points.push(Point { step, time_ms: 0, value });
            }
        }
    }
    problems.finish();
    rows
}

/// Line numbers of byte offsets, for offsets that only grow.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the record at `byte`. The crate may place a record at the line end
    /// before it (the `\n` of a CRLF), so line ends there are skipped first.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len()).max(self.at);
        while self.bytes.get(to).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            to += 1;
        }
        self.line += self.bytes.get(self.at..to).unwrap_or_default().iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = to;
        self.line
    }
}

/// Collects positioned warnings for one file, at most [`MAX_WARNINGS_PER_FILE`].
struct Problems<'a> {
    rel: &'a str,
    warnings: &'a mut Vec<Warning>,
    count: usize,
}

impl Problems<'_> {
    fn add(&mut self, line: u64, message: String) {
        self.count += 1;
        if self.count <= MAX_WARNINGS_PER_FILE {
            self.warnings.push(Warning::new(self.rel, Some(format!("line {line}")), message));
        }
    }

    fn finish(self) {
        if self.count > MAX_WARNINGS_PER_FILE {
            let more = self.count - MAX_WARNINGS_PER_FILE;
            self.warnings.push(Warning::new(self.rel, None, format!("{more} more unreadable rows or cells")));
        }
    }
}

fn cell_text(raw: Option<&[u8]>) -> String {
    String::from_utf8_lossy(raw.unwrap_or_default()).trim().to_string()
}

/// A step: an integer, also when written as an integral float (`3.0`).
fn parse_step(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| text.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18).map(|f| f as i64))
}

enum Cell {
    Empty,
    Value(f64),
    Text,
}

/// A cell's value. Python writes floats with `str` (`nan`, `inf`, `1e-05`). Keras
/// writes `NA` for a missing value and any other logged value as text; those are not
/// metrics and not errors. Lightning logs numbers only, so text there is damage.
fn parse_value(text: &str, layout: Layout) -> Cell {
    if text.is_empty() || (layout == Layout::Keras && text == "NA") {
        return Cell::Empty;
    }
    match text.parse::<f64>() {
        Ok(v) => Cell::Value(v),
        Err(_) if layout == Layout::Keras => Cell::Empty,
        Err(_) => Cell::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lightning() -> Header {
        Header::parse(b"epoch,step,train_loss,val_acc\r", Layout::Lightning).unwrap()
    }

    fn series(rows: &Rows, key: &str) -> Vec<(i64, f64)> {
        rows.series.iter().find(|(k, _)| k == key).map(|(_, p)| p.iter().map(|p| (p.step, p.value)).collect()).unwrap_or_default()
    }

    #[test]
    fn headers_of_both_loggers() {
        let h = lightning();
        assert_eq!((h.step, h.delimiter, h.columns.len()), (1, b',', 4));
        assert!(Header::parse(b"loss,val_loss", Layout::Lightning).is_none(), "Lightning always writes step");
        let k = Header::parse(b"epoch\tacc\tloss", Layout::Keras).unwrap();
        assert_eq!((k.step, k.delimiter), (0, b'\t'));
        let padded = Header::parse(b"                  epoch,      train/box_loss", Layout::Keras).unwrap();
        assert_eq!(padded.columns, ["epoch", "train/box_loss"]);
        assert!(Header::parse(b"epoch 1: loss=0.3", Layout::Keras).is_none(), "a text log is not a CSV log");
        assert!(Header::parse(b"epochs,loss", Layout::Keras).is_none());
        assert!(Header::parse(b"epoch", Layout::Keras).is_none());
        assert_ne!(h.fingerprint, Header::parse(b"epoch,step,train_loss,val_acc,val_loss", Layout::Lightning).unwrap().fingerprint);
    }

    #[test]
    fn sparse_rows_crlf_and_non_finite_values() {
        let mut w = Vec::new();
        let text = b"0,0,2.5,\r\n0,1,nan,\r\n0,1,,0.5\r\n1,2,inf,\r\n1,3,-inf,1e-05\r\n1,4,0.";
        let rows = parse_rows(text, &lightning(), Layout::Lightning, 2, "m.csv", &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(series(&rows, "epoch"), [(0, 0.0), (1, 0.0), (1, 0.0), (2, 1.0), (3, 1.0)]);
        let loss = series(&rows, "train_loss");
        assert_eq!(loss.len(), 4);
        assert!(loss[1].1.is_nan());
        assert_eq!((loss[2].1, loss[3].1), (f64::INFINITY, f64::NEG_INFINITY));
        assert_eq!(series(&rows, "val_acc"), [(1, 0.5), (3, 1e-05)]);
        assert_eq!(rows.consumed, text.len() as u64 - 6, "the partial `1,4,0.` waits for its line end");
        assert_eq!(rows.lines, 5);
        assert!(rows.series.iter().all(|(k, _)| k != "step"));
    }

    #[test]
    fn malformed_rows_are_warnings_with_their_line() {
        let mut w = Vec::new();
        let text = b"0,0,2.5,\r\ngarbage\r\n0,x,1.0,\r\n0,2,abc,\r\n0,3,1.5,,extra\r\n\r\n0,4,1.25,\r\n";
        let rows = parse_rows(text, &lightning(), Layout::Lightning, 2, "v/metrics.csv", &mut w);
        let at: Vec<&str> = w.iter().map(|w| w.location.as_deref().unwrap()).collect();
        assert_eq!(at, ["line 3", "line 4", "line 5", "line 6"], "{w:?}");
        assert_eq!(w[0].file.as_deref(), Some("v/metrics.csv"));
        assert_eq!(series(&rows, "train_loss"), [(0, 2.5), (4, 1.25)]);
        assert_eq!(series(&rows, "epoch").len(), 3, "a row with a bad cell keeps its good cells");
    }

    #[test]
    fn keras_rows_step_by_epoch_and_skip_na_and_text() {
        let h = Header::parse(b"epoch,acc,loss,lr,val_loss\r", Layout::Keras).unwrap();
        let mut w = Vec::new();
        let text = b"0,0.5,1.2,\"[0.1, 0.2]\",NA\r\n1,0.6,1.0,0.1,0.9\r\n";
        let rows = parse_rows(text, &h, Layout::Keras, 2, "training.log", &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(series(&rows, "loss"), [(0, 1.2), (1, 1.0)]);
        assert_eq!(series(&rows, "lr"), [(1, 0.1)]);
        assert_eq!(series(&rows, "val_loss"), [(1, 0.9)]);
        assert!(series(&rows, "epoch").is_empty(), "epoch is the step");
    }

    #[test]
    fn many_bad_rows_are_counted_not_listed() {
        let mut w = Vec::new();
        let text = "x\n".repeat(25);
        parse_rows(text.as_bytes(), &lightning(), Layout::Lightning, 2, "m.csv", &mut w);
        assert_eq!(w.len(), MAX_WARNINGS_PER_FILE + 1);
        assert!(w.last().unwrap().message.starts_with("15 more"));
    }

    #[test]
    fn the_first_line_needs_its_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, b"epoch,loss\r\n0,1\r\n").unwrap();
        assert_eq!(first_line(&path).unwrap().as_deref(), Some(&b"epoch,loss\r"[..]));
        std::fs::write(&path, b"epoch,lo").unwrap();
        assert_eq!(first_line(&path).unwrap(), None);
    }
}
