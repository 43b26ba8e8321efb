//! What kind of problem an error, a store's recorded error or a scan warning is: a small
//! closed set that consumers (the app's error codes, the CLI's exit codes) branch on
//! instead of on messages. A store's error is recorded with its kind (`stores.error_kind`).

use runlens_sources::{DiscoverError, ReadError, Warning};

use crate::IndexError;

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
    /// An argument that can never be right (an empty label).
    BadInput,
    /// Something this build cannot do (a URL no reader reads).
    Unsupported,
    /// Anything else: a bug.
    Internal,
}

impl ErrorKind {
    const CODES: [(ErrorKind, &'static str); 10] = [
        (ErrorKind::MissingPath, "missing_path"),
        (ErrorKind::BadFilter, "bad_filter"),
        (ErrorKind::BadSort, "bad_sort"),
        (ErrorKind::NotFound, "not_found"),
        (ErrorKind::NotAStore, "not_a_store"),
        (ErrorKind::Database, "database"),
        (ErrorKind::Io, "io"),
        (ErrorKind::BadInput, "bad_input"),
        (ErrorKind::Unsupported, "unsupported"),
        (ErrorKind::Internal, "internal"),
    ];

    /// The kind's name where it is stored or sent (`not_a_store`).
    pub fn code(self) -> &'static str {
        Self::CODES.iter().find(|(k, _)| *k == self).map(|(_, c)| *c).unwrap_or("internal")
    }

    /// The kind of a stored code; an unknown code is `Internal`.
    pub fn from_code(code: &str) -> ErrorKind {
        Self::CODES.iter().find(|(_, c)| *c == code).map(|(k, _)| *k).unwrap_or(ErrorKind::Internal)
    }

    /// Why a reader could not read a store at all.
    pub fn of_read_error(e: &ReadError) -> ErrorKind {
        match e {
            ReadError::Io { .. } => ErrorKind::Io,
            ReadError::NotAStore { .. } => ErrorKind::NotAStore,
            ReadError::Database { .. } => ErrorKind::Database,
        }
    }
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
            IndexError::EmptyLabel | IndexError::Artifact { .. } | IndexError::Attach { .. } => ErrorKind::BadInput,
            IndexError::NoReaderForUrl(_) => ErrorKind::Unsupported,
        }
    }
}

/// The kind of a warning of a scan (folders that could not be searched).
pub fn scan_warning_kind(w: &Warning) -> ErrorKind {
    if w.message.ends_with(": no such file or folder") { ErrorKind::MissingPath } else { ErrorKind::Io }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn codes_round_trip() {
        for (kind, code) in ErrorKind::CODES {
            assert_eq!((kind.code(), ErrorKind::from_code(code)), (code, kind));
        }
        assert_eq!(ErrorKind::from_code("no such code"), ErrorKind::Internal);
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
