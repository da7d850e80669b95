//! Kernel benchmarks: message ping-pong, and timer churn at realistic queue sizes with both
//! timer queues. Throughput is reported in events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::TimerQueueKind;
use sim_core::workloads::{ping_pong, timer_churn};
use std::hint::black_box;

fn ping_pong_bench(c: &mut Criterion) {
    let events = 1_000_000;
    let mut g = c.benchmark_group("ping_pong");
    g.throughput(Throughput::Elements(events));
    g.sample_size(20);
    g.bench_function("1M events", |b| b.iter(|| black_box(ping_pong(events))));
    g.finish();
}

fn timer_churn_bench(c: &mut Criterion) {
    let events = 200_000;
    let mut g = c.benchmark_group("timer_churn");
    g.throughput(Throughput::Elements(events));
    g.sample_size(10);
    for &(actors, in_flight) in &[(4usize, 16usize), (100, 1_000), (1_000, 10_000), (10_000, 50_000)] {
        for kind in TimerQueueKind::ALL {
            let name = format!("{kind:?} actors={actors} in_flight={in_flight}");
            g.bench_function(name, |b| {
                b.iter(|| black_box(timer_churn(actors, in_flight, events, kind)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, ping_pong_bench, timer_churn_bench);
criterion_main!(benches);
