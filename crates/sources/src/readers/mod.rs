//! One module per store format, each implementing [`crate::Reader`].

mod mlflow_file;
mod mlflow_sqlite;
mod neptune;
mod sacred;

pub use mlflow_file::MlflowFile;
pub use mlflow_sqlite::MlflowSqlite;
pub use neptune::Neptune;
pub use sacred::Sacred;
