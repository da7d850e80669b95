//! Whole-world throughput: one 100 MB bulk transfer at 1 % Bernoulli loss on a 10 Mbit/s,
//! 20 ms link (NewReno, delayed ACKs, no recording), reported as simulated data segments per
//! wall-clock second. `cargo bench -p models --bench transfer`.
//!
//! The run is deterministic, so every iteration simulates the same segments and events; the
//! counts are printed once so that events per second can be derived from the same timing.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use models::testbed::bench_transfer;
use std::hint::black_box;

/// Bytes per transfer.
const BYTES: u64 = 100_000_000;
/// Loss probability of data segments.
const LOSS: f64 = 0.01;
/// Run seed.
const SEED: u64 = 1;

fn transfer(c: &mut Criterion) {
    let stats = bench_transfer(BYTES, LOSS, SEED).expect("the benchmark transfer completes intact");
    eprintln!(
        "transfer: {} bytes, {} data-direction segments, {} ACK-direction segments, {} events, {} simulated",
        stats.bytes, stats.segments, stats.acks, stats.events, stats.sim_time
    );
    let mut g = c.benchmark_group("transfer");
    g.sample_size(10);
    g.throughput(Throughput::Elements(stats.segments));
    g.bench_function("100MB_loss1pct_segments", |b| {
        b.iter(|| bench_transfer(black_box(BYTES), black_box(LOSS), black_box(SEED)))
    });
    g.finish();
}

criterion_group!(benches, transfer);
criterion_main!(benches);
