//! What kind of problem an error, a store's recorded error or a scan warning is: a small
//! closed set that consumers (the app's error codes, the CLI's exit codes) branch on
//! instead of on messages.
//!
//! A store's error and a scan's warnings are recorded as text (the stores table keeps no
//! kind yet), so their kind is read back from the text the index and the readers write;
//! the tests below build each real error and check its kind, so a reworded message fails
//! here, not in a consumer.
// FIXME: record the kind next to the message (a `stores.error_kind` column) and drop the
// reading back of texts.

use runlens_sources::{DiscoverError, Warning};

use crate::{IndexError, StoreInfo};

/// What went wrong, for consumers to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A path that was given or registered does not exist.
    MissingPath,
    /// A malformed filter.
    BadFilter,
    /// A malformed sort key.
    BadSort,
    /// No such run or store.
    NotFound,
    /// A folder or file that is not a store of the kind it was taken for.
    NotAStore,
    /// A database (the index, or a store's own) could not be read or written.
    Database,
    /// A file or folder could not be read (permissions, IO errors, locks).
    Io,
    /// Anything else: a bug.
    Internal,
}

impl IndexError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            IndexError::Sqlite(_) => ErrorKind::Database,
            IndexError::Discover(DiscoverError::Missing(_)) => ErrorKind::MissingPath,
            IndexError::Discover(DiscoverError::Io { .. }) | IndexError::CreateDir { .. } | IndexError::Lock { .. } => ErrorKind::Io,
            IndexError::UnknownRun(_) | IndexError::UnknownStore(_) => ErrorKind::NotFound,
            IndexError::Filter(_) => ErrorKind::BadFilter,
            IndexError::Sort(_) => ErrorKind::BadSort,
        }
    }
}

impl StoreInfo {
    /// The kind of [`StoreInfo::error`], when the last scan could not read the store.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.error.as_deref().map(store_error_kind)
    }
}

/// The kind of a store error as the index records it (see `Index::scan_stores` and the
/// readers' `ReadError`).
pub fn store_error_kind(message: &str) -> ErrorKind {
    if message.starts_with("indexing stopped: ") {
        ErrorKind::Database
    } else if message.contains(" is missing (moved, deleted or not mounted)") {
        ErrorKind::MissingPath
    } else if message.starts_with("cannot read database ") {
        ErrorKind::Database
    } else if message.contains(" is not a ") && message.contains(" store: ") {
        ErrorKind::NotAStore
    } else if message.starts_with("cannot read ") {
        ErrorKind::Io
    } else {
        ErrorKind::Internal
    }
}

/// The kind of a warning of a scan (folders that could not be searched).
pub fn scan_warning_kind(w: &Warning) -> ErrorKind {
    if w.message.ends_with(": no such file or folder") { ErrorKind::MissingPath } else { ErrorKind::Io }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use runlens_sources::ReadError;

    use super::*;

    #[test]
    fn recorded_store_errors_keep_their_kind() {
        let path = PathBuf::from("/data/mlflow.db");
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let cases = [
            (ReadError::Io { path: path.clone(), source: io }.to_string(), ErrorKind::Io),
            (ReadError::NotAStore { path: path.clone(), kind: "mlflow-sqlite", reason: "no runs table".into() }.to_string(), ErrorKind::NotAStore),
            (ReadError::Database { path: path.clone(), message: "file is not a database".into() }.to_string(), ErrorKind::Database),
            (format!("indexing stopped: {}", IndexError::Sqlite(rusqlite::Error::InvalidQuery)), ErrorKind::Database),
            ("/data is missing (moved, deleted or not mounted); showing the runs indexed before".to_string(), ErrorKind::MissingPath),
        ];
        for (message, kind) in cases {
            assert_eq!(store_error_kind(&message), kind, "{message}");
        }
    }

    #[test]
    fn scan_warnings_keep_their_kind() {
        let missing = DiscoverError::Missing(PathBuf::from("/gone")).to_string();
        let warning = |message: String| Warning { file: Some("/gone".into()), location: None, message };
        assert_eq!(scan_warning_kind(&warning(missing)), ErrorKind::MissingPath);
        assert_eq!(scan_warning_kind(&warning("folder skipped: permission denied".into())), ErrorKind::Io);
    }

    #[test]
    fn index_errors_have_a_kind() {
        assert_eq!(IndexError::UnknownRun("x".into()).kind(), ErrorKind::NotFound);
        assert_eq!(IndexError::Discover(DiscoverError::Missing(PathBuf::from("/gone"))).kind(), ErrorKind::MissingPath);
    }
}
