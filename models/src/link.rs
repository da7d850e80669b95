//! Links (placeholder: the link issue fills this in).

/// A run-time change to a link (scenario timeline).
#[derive(Debug, Clone, PartialEq)]
pub enum LinkControl {
    /// New rate in bits per second.
    SetRate(u64),
}
