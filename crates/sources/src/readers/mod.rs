//! One module per store format, each implementing [`crate::Reader`].

mod csv_logger;
mod dvclive;
mod hf_trainer;
mod mlflow_file;
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
