//! Reading scenario files: RON parsing, error positions, and validation.

use crate::schema::Scenario;
use crate::tree;
use crate::validate::validate;
use ron::extensions::Extensions;
use std::fmt;
use std::path::Path;

/// A 1-based line and column in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

/// One semantic problem of a scenario, named by its field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Field path, e.g. `links[0].forward.impairments[1].Bernoulli.p`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// Where the field (or its nearest written ancestor, for a defaulted field) is in the
    /// file; `None` when the scenario was not read from text.
    pub location: Option<Location>,
}

impl ValidationError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            message: message.into(),
            location: None,
        }
    }
}

impl fmt::Display for ValidationError {
    /// `line:col: field: message`, or `field: message` without a location.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.location {
            write!(f, "{}:{}: ", l.line, l.col)?;
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Why a scenario could not be loaded or expanded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not RON of the scenario schema (syntax, unknown field or variant,
    /// wrong type, bad unit string).
    #[error("{path}:{line}:{col}: {message}")]
    Parse {
        /// The file (as given for messages).
        path: String,
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        col: usize,
        /// ron's message, saying what was expected.
        message: String,
    },
    /// The scenario parsed but breaks semantic rules; every problem is listed, one per line.
    #[error("{}", fmt_errors(path, errors))]
    Invalid {
        /// The file, or `<scenario NAME>` for a scenario not read from a file.
        path: String,
        /// All problems, in field order.
        errors: Vec<ValidationError>,
    },
}

fn fmt_errors(path: &str, errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(|e| format!("{path}:{e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ron options every scenario text is read and written with: `Option` fields may be
/// written without `Some(..)` (`window_scale: 7`).
pub(crate) fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Reads, parses and validates the scenario file at `path`.
pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates scenario `text`; `path_for_messages` prefixes every error.
pub fn parse(text: &str, path_for_messages: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    let path = path_for_messages.as_ref().display().to_string();
    let scenario: Scenario = ron_options().from_str(text).map_err(|e| ScenarioError::Parse {
        path: path.clone(),
        line: e.span.start.line,
        col: e.span.start.col,
        message: e.code.to_string(),
    })?;
    validate(&scenario).map_err(|errors| ScenarioError::Invalid {
        path,
        errors: locate(text, errors),
    })?;
    Ok(scenario)
}

/// Fills in each error's location from the field path (nearest written ancestor).
fn locate(text: &str, mut errors: Vec<ValidationError>) -> Vec<ValidationError> {
    let Some(doc) = tree::parse_document(text) else {
        return errors;
    };
    for e in &mut errors {
        if let Ok(segs) = tree::parse_path(&e.field) {
            let (line, col) = tree::line_col(text, doc.deepest(&segs).start);
            e.location = Some(Location { line, col });
        }
    }
    errors
}
