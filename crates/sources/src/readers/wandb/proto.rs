//! The parts of `wandb_internal.Record` (wandb/proto/wandb_internal.proto) this reader
//! uses, as hand-written `prost` messages. Field numbers are W&B's; every field not
//! declared here (summary, output, stats, files, ...) is skipped by `prost`
//! as an unknown field, which is also how newer writers' additions are tolerated.

/// One record of the transaction log. Only the variants the reader needs are declared;
/// a record of another kind decodes with all of them `None`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Record {
    #[prost(message, optional, tag = "2")]
    pub history: Option<HistoryRecord>,
    #[prost(message, optional, tag = "5")]
    pub config: Option<ConfigRecord>,
    #[prost(message, optional, tag = "8")]
    pub artifact: Option<ArtifactRecord>,
    #[prost(message, optional, tag = "11")]
    pub telemetry: Option<TelemetryRecord>,
    #[prost(message, optional, tag = "17")]
    pub run: Option<RunRecord>,
    #[prost(message, optional, tag = "18")]
    pub exit: Option<RunExitRecord>,
    #[prost(message, optional, tag = "23")]
    pub preempting: Option<RunPreemptingRecord>,
    #[prost(message, optional, tag = "26")]
    pub environment: Option<EnvironmentRecord>,
}

/// One `wandb.log()` row: every logged key (flattened to leaf paths by wandb-core).
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoryRecord {
    #[prost(message, repeated, tag = "1")]
    pub item: Vec<Item>,
    #[prost(message, optional, tag = "2")]
    pub step: Option<HistoryStep>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoryStep {
    #[prost(int64, tag = "1")]
    pub num: i64,
}

/// `HistoryItem` and `ConfigItem` share this shape: a key (or a nested key path) and the
/// value as extended JSON (bare `NaN`/`Infinity` allowed).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Item {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, repeated, tag = "2")]
    pub nested_key: Vec<String>,
    #[prost(string, tag = "16")]
    pub value_json: String,
}

impl Item {
    /// The item's path: `key` when set, else the nested key path.
    pub fn path(&self) -> Vec<String> {
        if self.key.is_empty() { self.nested_key.clone() } else { vec![self.key.clone()] }
    }
}

/// A config delta: `update` is applied first, then `remove`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigRecord {
    #[prost(message, repeated, tag = "1")]
    pub update: Vec<Item>,
    #[prost(message, repeated, tag = "2")]
    pub remove: Vec<Item>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RunRecord {
    #[prost(string, tag = "1")]
    pub run_id: String,
    #[prost(string, tag = "2")]
    pub entity: String,
    #[prost(string, tag = "3")]
    pub project: String,
    #[prost(message, optional, tag = "4")]
    pub config: Option<ConfigRecord>,
    #[prost(string, tag = "6")]
    pub run_group: String,
    #[prost(string, tag = "7")]
    pub job_type: String,
    #[prost(string, tag = "8")]
    pub display_name: String,
    #[prost(string, tag = "9")]
    pub notes: String,
    #[prost(string, repeated, tag = "10")]
    pub tags: Vec<String>,
    #[prost(string, tag = "12")]
    pub sweep_id: String,
    #[prost(string, tag = "13")]
    pub host: String,
    #[prost(message, optional, tag = "17")]
    pub start_time: Option<Timestamp>,
    #[prost(message, optional, tag = "19")]
    pub telemetry: Option<TelemetryRecord>,
    /// Seconds already run before this session (resumed runs).
    #[prost(int32, tag = "20")]
    pub runtime: i32,
    #[prost(message, optional, tag = "21")]
    pub git: Option<GitRepoRecord>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GitRepoRecord {
    #[prost(string, tag = "1")]
    pub remote_url: String,
    #[prost(string, tag = "2")]
    pub commit: String,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    pub fn millis(&self) -> i64 {
        self.seconds.saturating_mul(1000).saturating_add(i64::from(self.nanos) / 1_000_000)
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RunExitRecord {
    #[prost(int32, tag = "1")]
    pub exit_code: i32,
    /// Total seconds run, including earlier sessions of a resumed run.
    #[prost(int32, tag = "2")]
    pub runtime: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RunPreemptingRecord {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TelemetryRecord {
    #[prost(string, tag = "4")]
    pub python_version: String,
}

/// Written by wandb ≥ 0.21 at start (the same content as `wandb-metadata.json`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct EnvironmentRecord {
    #[prost(string, tag = "1")]
    pub os: String,
    #[prost(string, tag = "2")]
    pub python: String,
    /// The script's arguments (`sys.argv[1:]`).
    #[prost(string, repeated, tag = "5")]
    pub args: Vec<String>,
    #[prost(string, tag = "6")]
    pub program: String,
    #[prost(message, optional, tag = "9")]
    pub git: Option<GitRepoRecord>,
    #[prost(string, tag = "12")]
    pub host: String,
    #[prost(string, tag = "13")]
    pub username: String,
    /// The interpreter (`sys.executable`).
    #[prost(string, tag = "14")]
    pub executable: String,
}

/// `run.log_artifact(...)`: a versioned artifact the run logged (offline runs record
/// these; `use_artifact` needs the server and is refused offline).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArtifactRecord {
    #[prost(string, tag = "4")]
    pub r#type: String,
    #[prost(string, tag = "5")]
    pub name: String,
    /// The digest of the manifest (W&B's version identity of the artifact's content).
    #[prost(string, tag = "6")]
    pub digest: String,
    #[prost(string, tag = "7")]
    pub description: String,
    #[prost(string, repeated, tag = "11")]
    pub aliases: Vec<String>,
    #[prost(message, optional, tag = "12")]
    pub manifest: Option<ArtifactManifest>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ArtifactManifest {
    #[prost(message, repeated, tag = "4")]
    pub contents: Vec<ArtifactManifestEntry>,
}

/// One file of an artifact: its path inside it, its digest (base64 MD5), its size, and
/// for `add_reference` entries the URI it points at.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArtifactManifestEntry {
    #[prost(string, tag = "1")]
    pub path: String,
    #[prost(string, tag = "2")]
    pub digest: String,
    #[prost(string, tag = "3")]
    pub r#ref: String,
    #[prost(int64, tag = "4")]
    pub size: i64,
}
