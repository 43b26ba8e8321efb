//! One module per store format, each implementing [`crate::Reader`].

mod csv_logger;
mod dvclive;
mod hf_trainer;
mod mlflow_file;
mod mlflow_provenance;
mod mlflow_sqlite;
mod neptune;
mod sacred;
mod tensorboard;
mod trackio;
mod wandb;

pub use csv_logger::CsvLogger;
pub use dvclive::Dvclive;
pub use hf_trainer::HfTrainer;
pub use mlflow_file::MlflowFile;
pub use mlflow_sqlite::MlflowSqlite;
pub use neptune::Neptune;
pub use sacred::Sacred;
pub use tensorboard::Tensorboard;
pub use trackio::Trackio;
pub use wandb::Wandb;

/// Parser entry points for [`crate::fuzzing`].
pub(crate) fn fuzz_mlflow_metric_lines(data: &[u8], warnings: &mut Vec<crate::Warning>) -> (Vec<crate::Point>, u64) {
    mlflow_file::parse_metric_lines(data, 0, "fuzz", warnings)
}
pub(crate) use dvclive::{fuzz_params_yaml as fuzz_dvclive_params_yaml, fuzz_tsv as fuzz_dvclive_tsv};
pub(crate) use mlflow_file::fuzz_meta_yaml as fuzz_mlflow_meta_yaml;
pub(crate) use neptune::fuzz_log as fuzz_neptune_log;
pub(crate) use sacred::fuzz_json as fuzz_sacred_json;
pub(crate) use tensorboard::fuzz_events as fuzz_tfrecord_events;
pub(crate) use trackio::{fuzz_config_json as fuzz_trackio_config_json, fuzz_metrics_json as fuzz_trackio_metrics_json};
pub(crate) use wandb::{fuzz_files as fuzz_wandb_files, fuzz_log as fuzz_wandb_log};
