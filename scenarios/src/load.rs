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

/// Parses and validates scenario `text`; `path_for_messages` prefixes every error. A UTF-8
/// byte order mark at the start is skipped (editors do not show it, so line and column
/// numbers stay those the user sees).
pub fn parse(text: &str, path_for_messages: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let path = path_for_messages.as_ref().display().to_string();
    let scenario: Scenario = ron_options().from_str(text).map_err(|e| {
        let ((line, col), message) = match number_hint(text, &e) {
            Some((start, hint)) => (tree::line_col(text, start), hint),
            None => ((e.span.start.line, e.span.start.col), e.code.to_string()),
        };
        ScenarioError::Parse {
            path: path.clone(),
            line,
            col,
            message,
        }
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
    let lines = tree::LineIndex::new(text);
    for e in &mut errors {
        if let Ok(segs) = tree::parse_path(&e.field) {
            let (line, col) = lines.line_col(text, doc.deepest(&segs).start);
            e.location = Some(Location { line, col });
        }
    }
    errors
}

/// Byte offset of a 1-based (line, column in characters) position of `src`.
fn offset_of(src: &str, line: usize, col: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        src.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &src[line_start..];
    let in_line = rest
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(line_start + in_line)
}

/// Whether `c` can be part of a RON number literal (`-1`, `1_000`, `0x1F`, `1.5e3`).
fn number_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
}

/// The byte span of the number literal at or just before `offset` (ron reports an integer
/// out of bounds at its start, and `1460.5` for an integer field at the `.`).
fn number_around(src: &str, offset: usize) -> Option<(usize, usize)> {
    let offset = offset.min(src.len());
    let start = src[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| number_char(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = src[offset..]
        .char_indices()
        .find(|&(_, c)| !number_char(c))
        .map_or(src.len(), |(i, _)| offset + i);
    let token = &src[start..end];
    let digits = token.trim_start_matches(['-', '+']);
    digits.starts_with(|c: char| c.is_ascii_digit()).then_some((start, end))
}

/// Whether the scenario text with `candidate` in place of `src[start..end]` reads past the
/// candidate: ron either accepts the whole text or stops at a later error.
fn fits(src: &str, start: usize, end: usize, candidate: &str) -> bool {
    let spliced = format!("{}{candidate}{}", &src[..start], &src[end..]);
    match ron_options().from_str::<Scenario>(&spliced) {
        Ok(_) => true,
        Err(e) => {
            offset_of(&spliced, e.span.start.line, e.span.start.col).is_none_or(|at| at > start + candidate.len())
        }
    }
}

/// The integer range of the field whose value is `src[start..end]`, found by trying the
/// bounds of each integer width there; `None` if the field is not an integer field (it takes
/// `0.5`, or it does not take `0`).
fn integer_range(src: &str, start: usize, end: usize) -> Option<(i128, u128)> {
    if !fits(src, start, end, "0") || fits(src, start, end, "0.5") {
        return None;
    }
    let max = [
        u8::MAX.into(),
        u16::MAX.into(),
        u32::MAX.into(),
        u64::MAX.into(),
        u128::MAX,
    ]
    .into_iter()
    .take_while(|m: &u128| fits(src, start, end, &m.to_string()))
    .last()?;
    let min = [
        -1,
        i8::MIN.into(),
        i16::MIN.into(),
        i32::MIN.into(),
        i64::MIN.into(),
        i128::MIN,
    ]
    .into_iter()
    .take_while(|m: &i128| fits(src, start, end, &m.to_string()))
    .last()
    .map_or(0, |m| if m == -1 { i128::from(i8::MIN) } else { m });
    Some((min, max))
}

/// A message saying what is allowed for a number that does not fit an integer field: out of
/// the field's range (ron says only "Integer is out of bounds"), or not an integer
/// (`1460.5`, `1e3`: ron says "Expected comma" or "Invalid digit"). `None` for any other
/// error, which keeps ron's message. Returns the number's byte offset and the message.
pub(crate) fn number_hint(src: &str, e: &ron::error::SpannedError) -> Option<(usize, String)> {
    let at = offset_of(src, e.span.start.line, e.span.start.col)?;
    let (start, end) = number_around(src, at)?;
    let token = &src[start..end];
    // A deserializer's own message (a unit string such as "0.5 B") is kept.
    if matches!(e.code, ron::Error::Message(_)) || src[..start].ends_with('"') {
        return None;
    }
    let out_of_bounds = matches!(e.code, ron::Error::IntegerOutOfBounds);
    let not_integer = !token.starts_with("0x") && token.contains(['.', 'e', 'E']);
    if !out_of_bounds && !not_integer {
        return None;
    }
    let (min, max) = integer_range(src, start, end)?;
    let what = if out_of_bounds {
        "is out of range"
    } else {
        "is not an integer"
    };
    Some((start, format!("`{token}` {what}: expected an integer in {min}..={max}")))
}
