use super::*;
use crate::readers::tensorboard::proto::{Image, PluginData, SummaryMetadata, TensorShape};
use crate::readers::tensorboard::record::encode;

fn event(wall: f64, step: i64, values: Vec<Value>) -> Vec<u8> {
    let summary = Summary { value: values }.encode_to_vec().into();
    encode(&Event { wall_time: wall, step, file_version: Bytes::new(), summary }.encode_to_vec())
}

fn version_event(wall: f64) -> Vec<u8> {
    encode(&Event { wall_time: wall, step: 0, file_version: Bytes::from_static(b"brain.Event:2"), summary: Bytes::new() }.encode_to_vec())
}

fn metadata(plugin: &str, content: Vec<u8>) -> Option<SummaryMetadata> {
    Some(SummaryMetadata { plugin_data: Some(PluginData { plugin_name: plugin.into(), content: content.into() }) })
}

fn simple(tag: &str, v: f32) -> Value {
    Value { tag: Bytes::copy_from_slice(tag.as_bytes()), simple_value: Some(v), ..Default::default() }
}

fn tensor(tag: &str, t: TensorProto, plugin: Option<&str>) -> Value {
    Value {
        tag: Bytes::copy_from_slice(tag.as_bytes()),
        tensor: Some(t),
        metadata: plugin.and_then(|p| metadata(p, Vec::new())),
        ..Default::default()
    }
}

fn float_val(v: f32) -> TensorProto {
    TensorProto { dtype: proto::DT_FLOAT, float_val: vec![v], ..Default::default() }
}

fn read(bytes: &[u8]) -> (RunData, FileRead) {
    let mut data = RunData::default();
    let read = data.read_file(Bytes::copy_from_slice(bytes), 0, 0, "run/events.out.tfevents.1");
    (data, read)
}

fn values(points: &[Point]) -> Vec<f64> {
    points.iter().map(|p| p.value).collect()
}

#[test]
fn scalars_in_every_encoding_are_points_in_logging_order() {
    let mut file = version_event(1000.0);
    file.extend(event(1001.0, 0, vec![simple("a", 0.5), tensor("b", float_val(1.5), Some("scalars"))]));
    // Metadata only on the first event of a tag; later ones are plain tensors.
    let content4 = TensorProto { dtype: proto::DT_FLOAT, tensor_content: 2.5f32.to_le_bytes().to_vec().into(), ..Default::default() };
    file.extend(event(1002.0, 1, vec![tensor("b", content4, None)]));
    let double = TensorProto { dtype: proto::DT_DOUBLE, double_val: vec![0.1], ..Default::default() };
    let content8 = TensorProto { dtype: proto::DT_DOUBLE, tensor_content: 0.2f64.to_le_bytes().to_vec().into(), ..Default::default() };
    file.extend(event(1003.0, 2, vec![tensor("c", double, Some("scalars")), tensor("b", content8, None)]));
    file.extend(event(1004.0, -3, vec![simple("a", f32::NAN), simple("a", f32::INFINITY), simple("a", f32::NEG_INFINITY)]));

    let (mut data, read) = read(&file);
    assert_eq!(read, FileRead { end: file.len() as u64, dead: false });
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
    let series = data.take_series();
    let keys: Vec<&str> = series.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    let a = &series[0].1;
    assert_eq!(a[0], Point { step: 0, time_ms: 1_001_000, value: 0.5 });
    assert!(a[1].value.is_nan());
    assert_eq!(values(&a[2..]), [f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(a[3].step, -3, "negative steps survive the 10-byte varint");
    assert_eq!(values(&series[1].1), [1.5, 2.5, 0.2]);
    assert_eq!(values(&series[2].1), [0.1]);
    let spans = data.spans.as_slice();
    assert_eq!((spans.len(), spans[0].lo, spans[0].hi, spans[0].events), (1, 1_001_000, 1_004_000, 4));
    assert_eq!(data.version_times, Some((1_000_000, 1_000_000)));
}

#[test]
fn tensors_of_other_plugins_and_shapes_are_not_points() {
    let text = TensorProto { dtype: proto::DT_STRING, string_val: vec![Bytes::from_static(b"hello")], ..Default::default() };
    let mut file = event(1.0, 0, vec![tensor("notes/text_summary", text, Some("text"))]);
    // A custom plugin's scalar-shaped tensor: its first metadata says it is not a scalar.
    file.extend(event(1.0, 0, vec![tensor("custom", float_val(1.0), Some("my_plugin"))]));
    file.extend(event(2.0, 1, vec![tensor("custom", float_val(2.0), None)]));
    let matrix = TensorProto {
        dtype: proto::DT_FLOAT,
        tensor_shape: Some(TensorShape { dim: vec![proto::Dim {}, proto::Dim {}] }),
        float_val: vec![1.0],
        ..Default::default()
    };
    file.extend(event(3.0, 2, vec![tensor("m", matrix, Some("scalars"))]));
    let two = TensorProto { dtype: proto::DT_FLOAT, float_val: vec![1.0, 2.0], ..Default::default() };
    file.extend(event(4.0, 3, vec![tensor("two", two, Some("scalars"))]));
    let (mut data, _) = read(&file);
    assert!(data.take_series().is_empty());
    assert!(data.media.is_empty());
    assert!(data.warnings.is_empty());
}

#[test]
fn a_partial_trailing_record_is_left_for_the_next_read() {
    let first = event(1.0, 0, vec![simple("loss", 1.0)]);
    let second = event(2.0, 1, vec![simple("loss", 0.5)]);
    let mut file = first.clone();
    file.extend_from_slice(&second[..second.len() - 3]);
    let (mut data, read) = read(&file);
    assert_eq!(read, FileRead { end: first.len() as u64, dead: false });
    assert!(data.warnings.is_empty(), "a partial record is not corruption");
    assert_eq!(values(&data.take_series()[0].1), [1.0]);

    // Completed: the next read starts at the partial record.
    file.extend_from_slice(&second[second.len() - 3..]);
    let mut next = RunData::default();
    let rest = Bytes::copy_from_slice(&file[first.len()..]);
    let read = next.read_file(rest, first.len() as u64, first.len() as u64, "r");
    assert_eq!(read.end, file.len() as u64);
    assert_eq!(values(&next.take_series()[0].1), [0.5]);
}

#[test]
fn a_bad_data_checksum_skips_one_record_with_a_positioned_warning() {
    let good = event(1.0, 0, vec![simple("loss", 1.0)]);
    let mut corrupt = event(2.0, 1, vec![simple("loss", 0.5)]);
    corrupt[20] ^= 0xff;
    let last = event(3.0, 2, vec![simple("loss", 0.25)]);
    let file = [good.clone(), corrupt.clone(), last].concat();
    let (mut data, read) = read(&file);
    assert_eq!(read, FileRead { end: file.len() as u64, dead: false });
    assert_eq!(values(&data.take_series()[0].1), [1.0, 0.25]);
    assert_eq!(data.warnings.len(), 1);
    let w = &data.warnings[0];
    assert_eq!(w.file.as_deref(), Some("run/events.out.tfevents.1"));
    assert_eq!(w.location, Some(format!("byte {}", good.len())));
    assert!(w.message.contains("checksum"), "{}", w.message);
}

#[test]
fn a_bad_length_checksum_stops_the_file() {
    let good = event(1.0, 0, vec![simple("loss", 1.0)]);
    let mut bad = event(2.0, 1, vec![simple("loss", 0.5)]);
    bad[3] ^= 0x01;
    let file = [good.clone(), bad, event(3.0, 2, vec![simple("loss", 0.25)])].concat();
    let (mut data, read) = read(&file);
    assert_eq!(read, FileRead { end: good.len() as u64, dead: true }, "the end is the bad record");
    assert_eq!(values(&data.take_series()[0].1), [1.0]);
    assert_eq!(data.warnings.len(), 1);
    assert_eq!(data.warnings[0].location, Some(format!("byte {}", good.len())));
}

#[test]
fn an_undecodable_event_with_valid_checksums_is_skipped() {
    let garbage = encode(&[0xff, 0xff, 0xff]);
    let file = [garbage.clone(), event(1.0, 0, vec![simple("x", 1.0)])].concat();
    let (mut data, _) = read(&file);
    assert_eq!(data.take_series()[0].1.len(), 1);
    assert_eq!(data.warnings.len(), 1);
    assert!(data.warnings[0].message.contains("undecodable"), "{}", data.warnings[0].message);
    assert_eq!(data.warnings[0].location.as_deref(), Some("byte 0"));
}

#[test]
fn warnings_are_capped_per_file() {
    let mut corrupt = event(1.0, 0, vec![simple("x", 1.0)]);
    corrupt[15] ^= 0xff;
    let (data, _) = read(&corrupt.repeat(25));
    assert_eq!(data.warnings.len(), MAX_WARNINGS_PER_FILE + 1);
    assert_eq!(data.warnings[MAX_WARNINGS_PER_FILE].message, "15 more unreadable records");
}

#[test]
fn events_with_a_nan_wall_time_are_dropped() {
    let file = [event(f64::NAN, 0, vec![simple("x", 1.0)]), event(5.0, 1, vec![simple("x", 2.0)])].concat();
    let (mut data, _) = read(&file);
    assert_eq!(values(&data.take_series()[0].1), [2.0]);
    assert_eq!(data.spans.main().map(|s| (s.lo, s.hi, s.events)), Some((5000, 5000, 1)));
}

#[test]
fn hparams_session_info_gives_params_and_status() {
    // The session_start_info content observed from tensorboardX (formats.md, Appendix A).
    let mut start = vec![0x1a, 0x2c, 0x0a, 0x0d, 0x0a, 0x03];
    start.extend_from_slice(b"opt");
    start.extend_from_slice(&[0x12, 0x06, 0x1a, 0x04]);
    start.extend_from_slice(b"adam");
    start.extend_from_slice(&[0x0a, 0x0a, 0x0a, 0x04]);
    start.extend_from_slice(b"flag");
    start.extend_from_slice(&[0x12, 0x02, 0x20, 0x01, 0x0a, 0x0f, 0x0a, 0x02]);
    start.extend_from_slice(b"lr");
    start.extend_from_slice(&[0x12, 0x09, 0x11]);
    start.extend_from_slice(&0.01f64.to_le_bytes());
    let end = vec![0x22, 0x02, 0x08, 0x02]; // session_end_info { status: FAILURE }
    let hp = |tag: &str, content: Vec<u8>| Value {
        tag: Bytes::copy_from_slice(tag.as_bytes()),
        metadata: metadata("hparams", content),
        ..Default::default()
    };
    let file = [
        event(1.0, 0, vec![hp("_hparams_/session_start_info", start)]),
        event(2.0, 0, vec![simple("hparam/score", 0.75)]),
        event(3.0, 0, vec![hp("_hparams_/session_end_info", end)]),
    ]
    .concat();
    let (mut data, _) = read(&file);
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
    let Hparams { params, tags } = data.hparams.clone().unwrap();
    let expected = [("flag", "true"), ("lr", "0.01"), ("opt", "adam")].map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(params, expected);
    assert!(tags.is_empty());
    assert_eq!(data.status, Some(Status::Failed));
    assert_eq!(data.take_series()[0].0, "hparam/score", "hparam metrics are ordinary scalars");
}

#[test]
fn an_unknown_hparams_version_is_a_warning() {
    let value = Value { tag: Bytes::from_static(b"_hparams_/x"), metadata: metadata("hparams", vec![0x08, 0x07]), ..Default::default() };
    let (data, _) = read(&event(1.0, 0, vec![value]));
    assert!(data.hparams.is_none());
    assert!(data.warnings[0].message.contains("version 7"), "{}", data.warnings[0].message);
}

#[test]
fn images_are_listed_with_their_origin() {
    let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
    let image =
        Value { tag: Bytes::from_static(b"samples/input"), image: Some(Image { encoded_image_string: png.clone().into() }), ..Default::default() };
    let first = event(1.0, 3, vec![image]);
    let second = event(2.0, 4, vec![tensor("batch", tf2_images(&png), Some("images"))]);
    let (data, _) = read(&[first.clone(), second.clone()].concat());
    let origin = |at: usize| Some(format!("run/events.out.tfevents.1#{at}"));
    assert_eq!(
        data.media,
        [
            Artifact { path: "images/samples/input/3.png".into(), size: png.len() as u64, origin: origin(0) },
            Artifact { path: "images/batch/4.png".into(), size: png.len() as u64, origin: origin(first.len()) },
            Artifact { path: "images/batch/4_1.jpg".into(), size: 7, origin: origin(first.len()) },
        ]
    );
    // Each is extracted again from its record alone, as the scan decoded it.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.out.tfevents.1");
    std::fs::write(&log, [first.clone(), second].concat()).unwrap();
    let at = first.len() as u64;
    assert_eq!(crate::readers::tensorboard::embedded(&log, 0, "images/samples/input/3.png").unwrap(), png);
    assert_eq!(crate::readers::tensorboard::embedded(&log, at, "images/batch/4.png").unwrap(), png);
    assert_eq!(crate::readers::tensorboard::embedded(&log, at, "images/batch/4_1.jpg").unwrap(), b"\xff\xd8\xffjpeg");
    assert!(crate::readers::tensorboard::embedded(&log, at, "images/samples/input/3.png").unwrap_err().contains("holds no"));
    assert!(crate::readers::tensorboard::embedded(&log, 5, "images/batch/4.png").unwrap_err().contains("no event record"));
}

/// A TF2 image summary's tensor: width, height, then a PNG and a JPEG.
fn tf2_images(png: &[u8]) -> TensorProto {
    TensorProto {
        dtype: proto::DT_STRING,
        string_val: vec![Bytes::from_static(b"28"), Bytes::from_static(b"28"), png.to_vec().into(), Bytes::from_static(b"\xff\xd8\xffjpeg")],
        ..Default::default()
    }
}

#[test]
fn records_read_before_give_only_their_media() {
    let image =
        Value { tag: Bytes::from_static(b"img"), image: Some(Image { encoded_image_string: Bytes::from_static(b"\x89PNG") }), ..Default::default() };
    let old = event(1.0, 0, vec![simple("x", 1.0), image]);
    let file = [old.clone(), event(2.0, 1, vec![simple("x", 2.0)])].concat();
    let mut data = RunData::default();
    data.read_file(Bytes::from(file), 0, old.len() as u64, "r");
    assert_eq!(values(&data.take_series()[0].1), [2.0]);
    assert_eq!(data.media.len(), 1);
    assert_eq!(data.spans.main().map(|s| (s.lo, s.hi, s.events)), Some((2000, 2000, 1)), "old records add no time");
}

#[test]
fn numbers_read_as_their_text() {
    assert_eq!(number_text(32.0), "32");
    assert_eq!(number_text(0.01), "0.01");
    assert_eq!(number_text(1e-5), "1e-5");
    assert_eq!(number_text(-2.5), "-2.5");
    assert_eq!(number_text(f64::NAN), "nan");
    assert_eq!(number_text(f64::NEG_INFINITY), "-inf");
}
