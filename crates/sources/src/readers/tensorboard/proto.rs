//! The parts of TensorBoard's protobuf messages the reader needs (package `tensorboard`,
//! field numbers as in `event.proto`, `summary.proto`, `tensor.proto` and the hparams
//! plugin's `plugin_data.proto`). Fields not declared here are skipped by `prost`.
//!
//! Byte fields are [`Bytes`]: decoded from a `Bytes` buffer they are slices of it, not
//! copies, so a scalar event costs no allocation. `Event.summary` is kept as bytes and
//! decoded into a reused [`Summary`].

use std::collections::BTreeMap;

use prost::bytes::Bytes;

/// `tensorboard.Event`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Event {
    /// Seconds since the epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// `brain.Event:<n>` in the first record of every file.
    #[prost(bytes = "bytes", tag = "3")]
    pub file_version: Bytes,
    /// A serialized [`Summary`].
    #[prost(bytes = "bytes", tag = "5")]
    pub summary: Bytes,
}

/// `tensorboard.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Summary {
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<Value>,
}

/// `tensorboard.Summary.Value` (its `oneof value` as optional fields).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Value {
    #[prost(bytes = "bytes", tag = "1")]
    pub tag: Bytes,
    #[prost(float, optional, tag = "2")]
    pub simple_value: Option<f32>,
    #[prost(message, optional, tag = "4")]
    pub image: Option<Image>,
    #[prost(message, optional, tag = "6")]
    pub audio: Option<Audio>,
    #[prost(message, optional, tag = "8")]
    pub tensor: Option<TensorProto>,
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
}

/// `tensorboard.Summary.Image`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Image {
    #[prost(bytes = "bytes", tag = "4")]
    pub encoded_image_string: Bytes,
}

/// `tensorboard.Summary.Audio`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Audio {
    #[prost(bytes = "bytes", tag = "4")]
    pub encoded_audio_string: Bytes,
}

/// `tensorboard.SummaryMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct SummaryMetadata {
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `tensorboard.SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct PluginData {
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    #[prost(bytes = "bytes", tag = "2")]
    pub content: Bytes,
}

/// `tensorboard.TensorProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct TensorProto {
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShape>,
    /// Raw little-endian values, row-major.
    #[prost(bytes = "bytes", tag = "4")]
    pub tensor_content: Bytes,
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    #[prost(double, repeated, tag = "6")]
    pub double_val: Vec<f64>,
    #[prost(bytes = "bytes", repeated, tag = "8")]
    pub string_val: Vec<Bytes>,
}

/// `tensorboard.TensorShapeProto`: only the number of dimensions matters here.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct TensorShape {
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
}

/// `tensorboard.TensorShapeProto.Dim` (its size is not needed).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Dim {}

/// `DataType` values the reader understands.
pub(super) const DT_FLOAT: i32 = 1;
pub(super) const DT_DOUBLE: i32 = 2;
pub(super) const DT_STRING: i32 = 7;

/// `tensorboard.hparams.HParamsPluginData` (its `oneof data` as optional fields).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct HParamsPluginData {
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(message, optional, tag = "3")]
    pub session_start_info: Option<SessionStartInfo>,
    #[prost(message, optional, tag = "4")]
    pub session_end_info: Option<SessionEndInfo>,
}

/// `tensorboard.hparams.SessionStartInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct SessionStartInfo {
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, ProtoValue>,
    #[prost(string, tag = "4")]
    pub group_name: String,
    /// Seconds since the epoch; 0 when the writer did not set it (tensorboardX does not).
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `tensorboard.hparams.SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct SessionEndInfo {
    /// 0 unknown, 1 success, 2 failure, 3 running.
    #[prost(int32, tag = "1")]
    pub status: i32,
    /// Seconds since the epoch; 0 when not set.
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}

/// `google.protobuf.Value`, restricted to the kinds hparams use (its `oneof kind` as
/// optional fields).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ProtoValue {
    #[prost(double, optional, tag = "2")]
    pub number_value: Option<f64>,
    #[prost(string, optional, tag = "3")]
    pub string_value: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub bool_value: Option<bool>,
}
