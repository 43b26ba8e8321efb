//! One module per store format, each implementing [`crate::Reader`].

mod csv_logger;
mod hf_trainer;
mod mlflow_file;
mod mlflow_sqlite;

pub use csv_logger::CsvLogger;
pub use hf_trainer::HfTrainer;
pub use mlflow_file::MlflowFile;
pub use mlflow_sqlite::MlflowSqlite;
