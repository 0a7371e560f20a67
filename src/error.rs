//! The library's error type, grouped by what the caller does with it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O failure on a named path.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The catalog refused or failed.
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    /// The catalog was written by a newer liputan than this one.
    #[error("the catalog has schema version {found}, newer than this liputan knows ({known}); upgrade liputan")]
    SchemaTooNew { found: i64, known: i64 },
    /// The search index failed (not the query: see `Invalid`).
    #[error(transparent)]
    Search(crate::search::SearchError),
    /// The thing to create already exists.
    #[error("{0}")]
    Conflict(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Bad input from a person or a file, with what was wrong.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a path and an action to an `io::Error`.
pub trait IoContext<T> {
    fn at(self, action: &'static str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, action: &'static str, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            action,
            path: path.to_owned(),
            source,
        })
    }
}

impl From<crate::search::SearchError> for Error {
    fn from(e: crate::search::SearchError) -> Error {
        match e {
            crate::search::SearchError::Invalid { field, reason } => {
                Error::Invalid(format!("{field}: {reason}"))
            }
            other => Error::Search(other),
        }
    }
}
