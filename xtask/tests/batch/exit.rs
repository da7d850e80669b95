//! Exit statuses.
