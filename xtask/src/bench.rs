//! `cargo xtask bench`: throughput of the kernel workloads (wall-clock measurement; the
//! simulations themselves never read a clock). Criterion versions live in `sim-core/benches`.

use anyhow::Result;
use sim_core::TimerQueueKind;
use sim_core::workloads::{ping_pong, timer_churn};
use std::time::Instant;

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Repetitions of each workload; the best is reported (least disturbed by other load).
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
}

fn best_rate(reps: u32, mut f: impl FnMut() -> u64) -> (f64, f64) {
    let mut best = f64::MAX;
    let mut events = 0;
    let mut all = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        events = f();
        let secs = t.elapsed().as_secs_f64();
        all.push(events as f64 / secs);
        best = best.min(secs);
    }
    all.sort_by(f64::total_cmp);
    (events as f64 / best, all[all.len() / 2])
}

/// Runs the kernel workloads and prints events per second.
pub fn run(args: BenchArgs) -> Result<()> {
    println!("{:<44} {:>14} {:>14}", "workload", "best ev/s", "median ev/s");
    let (best, median) = best_rate(args.reps, || ping_pong(5_000_000).events);
    println!("{:<44} {:>14.0} {:>14.0}", "ping_pong (queue of 1)", best, median);
    for &(actors, in_flight) in &[(4usize, 16usize), (100, 1_000), (1_000, 10_000), (10_000, 50_000)] {
        for kind in [TimerQueueKind::Lazy, TimerQueueKind::Indexed] {
            let (best, median) = best_rate(args.reps, || timer_churn(actors, in_flight, 1_000_000, kind).events);
            let name = format!("timer_churn {kind:?} actors={actors} in_flight={in_flight}");
            println!("{name:<44} {best:>14.0} {median:>14.0}");
        }
    }
    Ok(())
}
