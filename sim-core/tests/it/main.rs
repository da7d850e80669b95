//! sim-core integration tests: ordering, timers, limits, determinism, divergence.

mod determinism;
mod event_queue;
mod ordering;
mod timers;
