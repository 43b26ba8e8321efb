//! One module per store format, each implementing [`crate::Reader`].

mod mlflow_file;
mod mlflow_sqlite;
mod tensorboard;

pub use mlflow_file::MlflowFile;
pub use mlflow_sqlite::MlflowSqlite;
pub use tensorboard::Tensorboard;
