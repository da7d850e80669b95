//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while writing or reading reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was attempted ("write", "read", "rename", ...).
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// JSON (de)serialisation failed.
    #[error("json {path}: {source}")]
    Json {
        /// The file concerned (empty when serialising in memory).
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// CSV serialisation failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Writing a pcapng file failed.
    #[error("pcapng: {0}")]
    Pcap(String),
    /// Drawing a chart failed.
    #[error("chart {name}: {message}")]
    Chart {
        /// Which chart.
        name: String,
        /// What plotters reported.
        message: String,
    },
    /// The inputs are inconsistent (e.g. a wire record names a connection `RunInfo` lacks).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl ReportError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn json(path: impl Into<PathBuf>, source: serde_json::Error) -> Self {
        ReportError::Json {
            path: path.into(),
            source,
        }
    }
}
