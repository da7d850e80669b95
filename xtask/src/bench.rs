//! `cargo xtask bench`: throughput of the kernel workloads and of a simulated bulk transfer
//! (wall-clock measurement; the simulations themselves never read a clock), then whole-process
//! figures of the real commands (`bench_process`). Criterion versions of the kernel and
//! engine figures live in `sim-core/benches` and `models/benches`.

use anyhow::Result;
use serde_json::json;
use sim_core::workloads::{ping_pong, ping_pong_with, timer_churn, timer_churn_with};
use sim_core::{EventQueueKind, TimerQueueKind};
use std::time::Instant;

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Repetitions of each workload; the best is reported (least disturbed by other load).
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
    /// Print one JSON document (kernel and whole-process figures) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Run only these parts: `kernel`, `transfer` (the core-alone transfer), `process` (the
    /// default whole-process cases) or whole-process case names (comma list), e.g.
    /// `--only transfer_1GiB,conns_10000_100G_1s`. Default: kernel, transfer and process.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
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

/// Peak resident memory of this process so far [kB] (Linux `VmHWM`), if known.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A 100 MB transfer at 1 % loss over 10 Mbit/s / 20 ms, without recording: simulated data
/// segments per wall-clock second.
fn transfer(reps: u32, print: bool) -> Result<serde_json::Value> {
    let bytes = 100_000_000;
    let mut best = f64::MAX;
    let mut stats = None;
    for _ in 0..reps.min(3) {
        let t = Instant::now();
        let s = models::testbed::bench_transfer(bytes, 0.01, 1)
            .ok_or_else(|| anyhow::anyhow!("the bench transfer failed"))?;
        best = best.min(t.elapsed().as_secs_f64());
        stats = Some(s);
    }
    let s = stats.expect("at least one repetition");
    let rss = peak_rss_kb();
    if print {
        say!(
            "{:<44} {:>14.0} {:>14.0}   ({} segments, {} events, {} simulated, peak RSS {} MB)",
            "transfer 100 MB, 1% loss (segments/s, ev/s)",
            s.segments as f64 / best,
            s.events as f64 / best,
            s.segments,
            s.events,
            s.sim_time,
            rss.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0)),
        );
    }
    Ok(json!({
        "name": "transfer 100 MB, 1% loss, core alone",
        "wall_s": best,
        "segments": s.segments,
        "events": s.events,
        "segments_per_s": s.segments as f64 / best,
        "events_per_s": s.events as f64 / best,
        "us_per_segment": best * 1e6 / s.segments as f64,
        "peak_rss_bytes": rss.map(|k| k * 1024),
    }))
}

/// Runs the whole-process cases, then the kernel workloads and the transfer benchmark (or
/// the parts `--only` names).
pub fn run(args: BenchArgs) -> Result<()> {
    let print = !args.json;
    let part = |p: &str| args.only.is_empty() || args.only.iter().any(|o| o == p);
    // Whole-process cases: the default ones for `process` (or no `--only`), plus any named.
    let mut cases: Vec<String> = Vec::new();
    if args.only.is_empty() || part("process") {
        cases.extend(
            crate::bench_process::CASES
                .iter()
                .filter(|c| c.default)
                .map(|c| c.name.to_string()),
        );
    }
    for o in &args.only {
        if !matches!(o.as_str(), "kernel" | "transfer" | "process") && !cases.contains(o) {
            cases.push(o.clone());
        }
    }
    // The whole-process cases first (why: a child's peak RSS starts from this process's size
    // at the fork, and the kernel workloads grow it to ~45 MB; they also set its page policy,
    // which a child inherits).
    let process = if cases.is_empty() {
        Vec::new()
    } else {
        crate::bench_process::run(&cases, print, args.reps)?
    };
    let mut kernel = Vec::new();
    if part("kernel") {
        if print {
            if !process.is_empty() {
                say!("");
            }
            say!("{:<44} {:>14} {:>14}", "workload", "best ev/s", "median ev/s");
        }
        let (best, median) = best_rate(args.reps, || ping_pong(5_000_000).events);
        let mut row = |name: String, best: f64, median: f64| {
            if print {
                say!("{name:<44} {best:>14.0} {median:>14.0}");
            }
            kernel.push(json!({ "name": name, "best_events_per_s": best, "median_events_per_s": median }));
        };
        row("ping_pong (queue of 1)".into(), best, median);
        // The event queue the default one replaced, for comparison (sim_core::events).
        let (best, median) = best_rate(args.reps, || ping_pong_with(5_000_000, EventQueueKind::Heap).events);
        row("ping_pong, Heap event queue".into(), best, median);
        for &(actors, in_flight) in &[(4usize, 16usize), (100, 1_000), (1_000, 10_000), (10_000, 50_000)] {
            // The page policy a world of that many actors runs with (`memory::for_world`):
            // huge pages from `HUGE_PAGES_FROM` on (at 10,000 actors, small pages cost a
            // third of the events per second).
            crate::memory::for_world(actors);
            for kind in TimerQueueKind::ALL {
                let (best, median) = best_rate(args.reps, || timer_churn(actors, in_flight, 1_000_000, kind).events);
                row(
                    format!("timer_churn {kind:?} actors={actors} in_flight={in_flight}"),
                    best,
                    median,
                );
            }
            let (best, median) = best_rate(args.reps, || {
                timer_churn_with(actors, in_flight, 1_000_000, TimerQueueKind::Lazy, EventQueueKind::Heap).events
            });
            row(
                format!("timer_churn Lazy, Heap event queue, actors={actors} in_flight={in_flight}"),
                best,
                median,
            );
        }
    }
    let transfer = if part("transfer") {
        Some(transfer(args.reps, print)?)
    } else {
        None
    };
    if args.json {
        let doc = json!({ "kernel": kernel, "transfer_core": transfer, "whole_process": process });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(())
}
