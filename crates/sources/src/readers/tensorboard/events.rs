//! Turns the records of a run's event files into metric points, embedded media, hparams,
//! a status and wall-time spans, accumulated over the run's files in name order. Files
//! are read in windows of [`WINDOW`] bytes (a record larger than that is read whole), so
//! memory follows what is parsed, not the size of the file.

use std::collections::HashMap;
use std::io::Read;

use prost::Message;
use prost::bytes::Bytes;

use super::proto::{self, Event, Summary, TensorProto, Value};
use super::record::{Frame, frame_at, record_size};
use super::times::Spans;
use crate::model::{Artifact, Point, Status, Warning};

/// At most this many warnings per file and read; the rest are counted in one more warning.
const MAX_WARNINGS_PER_FILE: usize = 10;
/// Bytes of an event file read at a time.
pub(super) const WINDOW: usize = 4 << 20;

/// What the events read so far yield for one run.
#[derive(Default)]
pub(super) struct RunData {
    /// Points per tag, tags in order of first appearance, points in logging order.
    series: Vec<(Bytes, Vec<Point>)>,
    series_index: HashMap<Bytes, usize>,
    /// Plugin of each tag's first summary metadata (TensorBoard ignores later ones).
    plugins: HashMap<Bytes, Plugin>,
    /// Images and audio embedded in the event files.
    pub media: Vec<Artifact>,
    /// Set: each of `media` also keeps its bytes here (to extract one file, never in scans).
    pub keep_media: bool,
    pub media_bytes: Vec<Vec<u8>>,
    /// The last hparams `session_start_info`.
    pub hparams: Option<Hparams>,
    /// Status of the last hparams `session_end_info`.
    pub status: Option<Status>,
    /// Earliest `start_time_secs` of a `session_start_info` and latest `end_time_secs` of
    /// a `session_end_info` (ms), when the writer set them.
    pub session_start: Option<i64>,
    pub session_end: Option<i64>,
    /// Wall times (ms) of events other than `file_version` records.
    pub spans: Spans,
    /// The same over `file_version` records only.
    pub version_times: Option<(i64, i64)>,
    pub warnings: Vec<Warning>,
    /// Reused for every event, so decoding a scalar allocates nothing.
    summary: Summary,
}

/// What an hparams `session_start_info` gives a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Hparams {
    pub params: Vec<(String, String)>,
    /// `tensorboard.group` when the session names its group.
    pub tags: Vec<(String, String)>,
}

/// How far one read of a file got.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FileRead {
    /// Offset in the file after the last complete record (a partial record is left).
    pub end: u64,
    /// A bad length checksum at `end`: nothing after it can be trusted, the file is not
    /// read again.
    pub dead: bool,
}

/// The plugin a tag's metadata names, as far as the reader cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plugin {
    Scalars,
    Images,
    Hparams,
    Other,
}

impl Plugin {
    fn of(name: &str) -> Plugin {
        match name {
            "scalars" => Plugin::Scalars,
            "images" => Plugin::Images,
            "hparams" => Plugin::Hparams,
            _ => Plugin::Other,
        }
    }
}

/// Where one event came from, for media origins and warnings.
struct At<'a> {
    rel: &'a str,
    offset: u64,
    /// The event was read by an earlier scan: only its media listing is wanted.
    listing_only: bool,
}

impl RunData {
    /// Reads the records in `bytes`, which start at byte `base` of the file `rel`. Records
    /// starting before `seen_before` were read by an earlier scan: they only add to the
    /// media listing (and to what is known of tags' metadata).
    pub fn read_file(&mut self, bytes: Bytes, base: u64, seen_before: u64, rel: &str) -> FileRead {
        let mut bad = 0;
        let read = self.read_records(bytes, base, seen_before, rel, &mut bad);
        self.count_more_warnings(rel, bad);
        read
    }

    /// [`RunData::read_file`] on the `len` bytes of `input` that start at byte `base` of
    /// the file, read [`WINDOW`] bytes at a time with a partial record carried over to the
    /// next window. Reading stops at a bad length checksum, without reading the rest.
    pub fn read_stream(&mut self, mut input: impl Read, base: u64, len: u64, seen_before: u64, rel: &str) -> std::io::Result<FileRead> {
        let mut bad = 0;
        let mut buf: Vec<u8> = Vec::new();
        let mut start = base;
        let mut left = len;
        loop {
            // Enough for the record the carried bytes begin, and at least a window.
            let need = record_size(&buf).unwrap_or(0).max(WINDOW as u64);
            let want = need.saturating_sub(buf.len() as u64).min(left);
            buf.reserve(want as usize);
            let got = (&mut input).take(want).read_to_end(&mut buf)? as u64;
            left -= got;
            let done = got < want || left == 0 || need > buf.len() as u64 + left;
            let bytes = Bytes::from(std::mem::take(&mut buf));
            let read = self.read_records(bytes.clone(), start, seen_before, rel, &mut bad);
            if read.dead || done {
                self.count_more_warnings(rel, bad);
                return Ok(read);
            }
            buf = bytes.slice((read.end - start) as usize..).to_vec();
            start = read.end;
        }
    }

    fn read_records(&mut self, bytes: Bytes, base: u64, seen_before: u64, rel: &str, bad: &mut usize) -> FileRead {
        let mut pos = 0usize;
        while pos < bytes.len() {
            let offset = base + pos as u64;
            let at = At { rel, offset, listing_only: offset < seen_before };
            let problem = match frame_at(&bytes, pos) {
                Frame::Record { data, end } => {
                    pos = end;
                    self.event(bytes.slice(data), &at).err()
                }
                Frame::BadData { len, end } => {
                    pos = end;
                    Some(format!("bad data checksum in a record of {len} bytes; record skipped"))
                }
                Frame::BadLength => {
                    if !at.listing_only {
                        self.warn(rel, offset, bad, "bad length checksum; the rest of the file cannot be read".to_string());
                    }
                    return FileRead { end: offset, dead: true };
                }
                Frame::Partial => break,
            };
            if let Some(message) = problem.filter(|_| !at.listing_only) {
                self.warn(rel, offset, bad, message);
            }
        }
        FileRead { end: base + pos as u64, dead: false }
    }

    fn warn(&mut self, rel: &str, offset: u64, bad: &mut usize, message: String) {
        *bad += 1;
        if *bad <= MAX_WARNINGS_PER_FILE {
            self.warnings.push(Warning::new(rel, Some(format!("byte {offset}")), message));
        }
    }

    fn count_more_warnings(&mut self, rel: &str, bad: usize) {
        if bad > MAX_WARNINGS_PER_FILE {
            let more = bad - MAX_WARNINGS_PER_FILE;
            self.warnings.push(Warning::new(rel, None, format!("{more} more unreadable records")));
        }
    }

    /// The points read, per tag, in order of first appearance.
    pub fn take_series(&mut self) -> Vec<(String, Vec<Point>)> {
        self.series_index.clear();
        std::mem::take(&mut self.series).into_iter().map(|(tag, points)| (String::from_utf8_lossy(&tag).into_owned(), points)).collect()
    }

    /// Applies one event record; an error is the reason the record is skipped.
    fn event(&mut self, data: Bytes, at: &At) -> Result<(), String> {
        let event = Event::decode(data).map_err(|e| format!("undecodable event: {e}; record skipped"))?;
        if event.wall_time.is_nan() {
            return Ok(()); // TensorBoard drops these events too
        }
        let time_ms = wall_ms(event.wall_time);
        if !event.file_version.is_empty() {
            if !at.listing_only {
                widen(&mut self.version_times, time_ms);
            }
            return Ok(());
        }
        if !at.listing_only {
            self.spans.add(time_ms);
        }
        if event.summary.is_empty() {
            return Ok(());
        }
        self.summary.clear();
        self.summary.merge(event.summary).map_err(|e| format!("undecodable summary: {e}; record skipped"))?;
        // Taken out and put back so the values' buffer is reused by the next event.
        let values = std::mem::take(&mut self.summary.value);
        for value in &values {
            self.value(value, event.step, time_ms, at);
        }
        self.summary.value = values;
        Ok(())
    }

    fn value(&mut self, v: &Value, step: i64, time_ms: i64, at: &At) {
        if let Some(pd) = v.metadata.as_ref().and_then(|m| m.plugin_data.as_ref()) {
            if !self.plugins.contains_key(&v.tag[..]) {
                self.plugins.insert(Bytes::copy_from_slice(&v.tag), Plugin::of(&pd.plugin_name));
            }
            if Plugin::of(&pd.plugin_name) == Plugin::Hparams {
                if !at.listing_only {
                    self.hparams(&pd.content, at);
                }
                return;
            }
        }
        let plugin = self.plugins.get(&v.tag[..]).copied();
        if let Some(x) = v.simple_value {
            if !at.listing_only {
                self.point(&v.tag, Point { step, time_ms, value: f64::from(x) });
            }
        } else if let Some(image) = &v.image {
            self.media_file("images", &v.tag, step, 0, &image.encoded_image_string, at);
        } else if let Some(audio) = &v.audio {
            self.media_file("audio", &v.tag, step, 0, &audio.encoded_audio_string, at);
        } else if let Some(tensor) = &v.tensor {
            self.tensor(&v.tag, plugin, tensor, step, time_ms, at);
        }
    }

    /// A tensor value: a scalar (rank 0, float or double) unless the tag's first metadata
    /// names another plugin, or images (the images plugin's `[width, height, image...]`).
    fn tensor(&mut self, tag: &Bytes, plugin: Option<Plugin>, t: &TensorProto, step: i64, time_ms: i64, at: &At) {
        if matches!(plugin, None | Some(Plugin::Scalars))
            && let Some(value) = tensor_scalar(t)
        {
            if !at.listing_only {
                self.point(tag, Point { step, time_ms, value });
            }
            return;
        }
        let images = t.dtype == proto::DT_STRING
            && match plugin {
                Some(Plugin::Images) => true,
                None => looks_like_images(t),
                _ => false,
            };
        if images {
            for (i, encoded) in t.string_val.iter().skip(2).enumerate() {
                self.media_file("images", tag, step, i, encoded, at);
            }
        }
    }

    fn point(&mut self, tag: &Bytes, point: Point) {
        let index = match self.series_index.get(&tag[..]) {
            Some(&i) => i,
            None => {
                let tag = Bytes::copy_from_slice(tag);
                self.series.push((tag.clone(), Vec::new()));
                self.series_index.insert(tag, self.series.len() - 1);
                self.series.len() - 1
            }
        };
        if let Some((_, points)) = self.series.get_mut(index) {
            points.push(point);
        }
    }

    /// Lists an embedded image or audio clip as `<kind>/<tag>/<step>[_<i>].<ext>`.
    fn media_file(&mut self, kind: &str, tag: &[u8], step: i64, i: usize, encoded: &[u8], at: &At) {
        let tag = String::from_utf8_lossy(tag);
        let ext = media_extension(encoded).unwrap_or(if kind == "audio" { "wav" } else { "png" });
        let name = if i == 0 { format!("{step}") } else { format!("{step}_{i}") };
        if self.keep_media {
            self.media_bytes.push(encoded.to_vec());
        }
        self.media.push(Artifact {
            path: format!("{kind}/{tag}/{name}.{ext}"),
            size: encoded.len() as u64,
            origin: Some(format!("{}#{}", at.rel, at.offset)),
        });
    }

    fn hparams(&mut self, content: &Bytes, at: &At) {
        let warn = |data: &mut RunData, message: String| {
            data.warnings.push(Warning::new(at.rel, Some(format!("byte {}", at.offset)), message));
        };
        let data = match proto::HParamsPluginData::decode(content.clone()) {
            Ok(d) => d,
            Err(e) => return warn(self, format!("undecodable hparams plugin data: {e}")),
        };
        if data.version != 0 {
            return warn(self, format!("hparams plugin data version {} is not understood; skipped", data.version));
        }
        if let Some(start) = data.session_start_info {
            let params = start.hparams.iter().filter_map(|(k, v)| Some((k.clone(), hparam_text(v)?))).collect();
            let tags = Some(start.group_name).filter(|g| !g.is_empty()).map(|g| ("tensorboard.group".to_string(), g));
            self.hparams = Some(Hparams { params, tags: tags.into_iter().collect() });
            if let Some(t) = session_time(start.start_time_secs) {
                self.session_start = Some(self.session_start.map_or(t, |s| s.min(t)));
            }
        }
        if let Some(end) = data.session_end_info {
            if let Some(t) = session_time(end.end_time_secs) {
                self.session_end = Some(self.session_end.map_or(t, |e| e.max(t)));
            }
            self.status = Some(match end.status {
                1 => Status::Finished,
                2 => Status::Failed,
                3 => Status::Running,
                _ => Status::Unknown,
            });
        }
    }
}

/// The value of a rank-0 `DT_FLOAT` or `DT_DOUBLE` tensor, from its one `float_val` /
/// `double_val` or its 4 / 8 bytes of `tensor_content`.
fn tensor_scalar(t: &TensorProto) -> Option<f64> {
    if t.tensor_shape.as_ref().is_some_and(|s| !s.dim.is_empty()) {
        return None;
    }
    match t.dtype {
        proto::DT_FLOAT => match t.float_val.as_slice() {
            [v] => Some(f64::from(*v)),
            [] => <[u8; 4]>::try_from(&t.tensor_content[..]).ok().map(|b| f64::from(f32::from_le_bytes(b))),
            _ => None,
        },
        proto::DT_DOUBLE => match t.double_val.as_slice() {
            [v] => Some(*v),
            [] => <[u8; 8]>::try_from(&t.tensor_content[..]).ok().map(f64::from_le_bytes),
            _ => None,
        },
        _ => None,
    }
}

/// A string tensor shaped like the images plugin's: width, height, then encoded images.
fn looks_like_images(t: &TensorProto) -> bool {
    let decimal = |b: &Bytes| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    match t.string_val.as_slice() {
        [w, h, images @ ..] => decimal(w) && decimal(h) && !images.is_empty() && images.iter().all(|i| media_extension(i).is_some()),
        _ => false,
    }
}

/// The file extension of an encoded image or audio clip, from its first bytes.
fn media_extension(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] =
        &[(b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"RIFF", "wav"), (b"OggS", "ogg"), (b"fLaC", "flac")];
    MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|(_, ext)| *ext)
}

/// An hparam value as text: strings as they are, numbers as their shortest text
/// (integers without a fraction), bools as `true` / `false`.
fn hparam_text(v: &proto::ProtoValue) -> Option<String> {
    if let Some(s) = &v.string_value {
        return Some(s.clone());
    }
    if let Some(b) = v.bool_value {
        return Some(b.to_string());
    }
    v.number_value.map(number_text)
}

pub(super) fn number_text(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() < 1e-4 || x.abs() >= 1e15 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Seconds since the epoch to milliseconds.
fn wall_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// A session's `start_time_secs` / `end_time_secs` in ms; 0 (proto3's unset) is none.
fn session_time(seconds: f64) -> Option<i64> {
    (seconds.is_finite() && seconds != 0.0).then(|| wall_ms(seconds))
}

fn widen(bounds: &mut Option<(i64, i64)>, t: i64) {
    *bounds = Some(match *bounds {
        Some((lo, hi)) => (lo.min(t), hi.max(t)),
        None => (t, t),
    });
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
