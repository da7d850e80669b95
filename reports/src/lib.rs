//! offsim reports (placeholder).
