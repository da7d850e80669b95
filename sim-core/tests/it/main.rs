//! sim-core integration tests: ordering, timers, limits, determinism, divergence.

mod determinism;
mod ordering;
mod timers;
