//! One module per store format, each implementing [`crate::Reader`].

mod dvclive;
mod mlflow_file;
mod mlflow_sqlite;
mod trackio;

pub use dvclive::Dvclive;
pub use mlflow_file::MlflowFile;
pub use mlflow_sqlite::MlflowSqlite;
pub use trackio::Trackio;
