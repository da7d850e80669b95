//! Kernel benchmarks: message ping-pong, and timer churn at realistic queue sizes with every
//! timer queue (on the default event queue) and on the heap event queue for comparison.
//! Throughput is reported in events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::workloads::{ping_pong_with, timer_churn, timer_churn_with};
use sim_core::{EventQueueKind, TimerQueueKind};
use std::hint::black_box;

fn ping_pong_bench(c: &mut Criterion) {
    let events = 1_000_000;
    let mut g = c.benchmark_group("ping_pong");
    g.throughput(Throughput::Elements(events));
    g.sample_size(20);
    for queue in EventQueueKind::ALL {
        g.bench_function(format!("1M events, {queue:?} event queue"), |b| {
            b.iter(|| black_box(ping_pong_with(events, queue)))
        });
    }
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
        let (kind, queue) = (TimerQueueKind::default(), EventQueueKind::Heap);
        g.bench_function(
            format!("{kind:?} {queue:?} events actors={actors} in_flight={in_flight}"),
            |b| b.iter(|| black_box(timer_churn_with(actors, in_flight, events, kind, queue))),
        );
    }
    g.finish();
}

criterion_group!(benches, ping_pong_bench, timer_churn_bench);
criterion_main!(benches);
