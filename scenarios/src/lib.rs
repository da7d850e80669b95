//! offsim scenarios (placeholder).
