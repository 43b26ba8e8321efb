//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay test
//! (`tests/fuzz_corpus.rs`): each feeds arbitrary bytes to one parser of untrusted input.
//! Not part of the API.

/// MLflow metric file lines (`"<ms> <value> <step>"`).
pub fn mlflow_metric_lines(data: &[u8]) {
    let mut warnings = Vec::new();
    let (points, consumed) = crate::readers::fuzz_mlflow_metric_lines(data, &mut warnings);
    assert!(consumed as usize <= data.len());
    assert!(points.len() <= data.len() / 2 + 1);
}

/// The lenient JSON parser and its helpers.
pub fn lenient_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(v) = crate::lenient_json::parse(text) {
        let _ = crate::lenient_json::number(&v);
        let _ = crate::lenient_json::flatten(&crate::lenient_json::unpickle(v), ".");
    }
}

/// A whole TensorBoard event file: TFRecord framing (masked CRC32C), `Event` and `Summary`
/// decoding, scalars, media, hparams.
pub fn tfrecord_events(data: &[u8]) {
    crate::readers::fuzz_tfrecord_events(data);
}

/// A whole W&B `.wandb` file: block/chunk framing (CRC-32), `Record` decoding, run state,
/// config values and history rows.
pub fn wandb_log(data: &[u8]) {
    crate::readers::fuzz_wandb_log(data);
}

/// W&B `files/config.yaml` and `files/wandb-metadata.json`.
pub fn wandb_files(data: &[u8]) {
    crate::readers::fuzz_wandb_files(data);
}

/// A Neptune operation log (`data-<V>.log` JSON lines), parsed and replayed.
pub fn neptune_log(data: &[u8]) {
    crate::readers::fuzz_neptune_log(data);
}

/// Sacred `run.json`, `config.json` and `metrics.json`.
pub fn sacred_json(data: &[u8]) {
    crate::readers::fuzz_sacred_json(data);
}

/// A DVCLive metric TSV (`plots/metrics/<name>.tsv`), from its start and resumed.
pub fn dvclive_tsv(data: &[u8]) {
    crate::readers::fuzz_dvclive_tsv(data);
}

/// DVCLive `params.yaml` and the `metrics.json` summary.
pub fn dvclive_params_yaml(data: &[u8]) {
    crate::readers::fuzz_dvclive_params_yaml(data);
}

/// A trackio `metrics` row's JSON values.
pub fn trackio_metrics_json(data: &[u8]) {
    crate::readers::fuzz_trackio_metrics_json(data);
}

/// A trackio run config JSON and ISO-8601 timestamps.
pub fn trackio_config_json(data: &[u8]) {
    crate::readers::fuzz_trackio_config_json(data);
}

/// An MLflow experiment's or run's `meta.yaml`.
pub fn mlflow_meta_yaml(data: &[u8]) {
    crate::readers::fuzz_mlflow_meta_yaml(data);
}

/// Every named entry point, for the corpus replay test.
/// A fuzz target: its name and the parser it drives.
pub type Target = (&'static str, fn(&[u8]));

pub const TARGETS: &[Target] = &[
    ("mlflow_metric_lines", mlflow_metric_lines),
    ("lenient_json", lenient_json),
    ("tfrecord_events", tfrecord_events),
    ("wandb_log", wandb_log),
    ("wandb_files", wandb_files),
    ("neptune_log", neptune_log),
    ("sacred_json", sacred_json),
    ("dvclive_tsv", dvclive_tsv),
    ("dvclive_params_yaml", dvclive_params_yaml),
    ("trackio_metrics_json", trackio_metrics_json),
    ("trackio_config_json", trackio_config_json),
    ("mlflow_meta_yaml", mlflow_meta_yaml),
];
