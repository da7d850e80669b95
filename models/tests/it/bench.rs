//! The benchmark world and running without recording: dropping recordings as the run goes
//! changes nothing in the run itself.

use models::testbed::{bench_testbed, bench_transfer};

#[test]
fn unrecorded_run_is_the_recorded_run_without_its_log() {
    let bed = bench_testbed(2_000_000, 0.01, 3);
    let full = bed.run();
    let bare = bed.run_unrecorded();
    assert!(
        full.integrity_ok() && bare.integrity_ok(),
        "{:?} {:?}",
        full.end,
        bare.end
    );
    assert_eq!(full.trace, bare.trace, "same events, fingerprint and checkpoints");
    assert_eq!(full.conns, bare.conns);
    assert_eq!(full.link_counters, bare.link_counters);
    assert_eq!(full.end_time, bare.end_time);
    assert!(!full.log.wire.is_empty());
    assert!(bare.log.wire.is_empty() && bare.log.delivery.is_empty());
}

#[test]
fn bench_transfer_reports_the_simulated_work() {
    let stats = bench_transfer(1_000_000, 0.01, 1).expect("completes intact");
    let full_segments = 1_000_000u64.div_ceil(1460);
    assert!(stats.segments >= full_segments, "{stats:?}");
    assert!(stats.acks > 0 && stats.events > stats.segments, "{stats:?}");
    assert_eq!(bench_transfer(1_000_000, 0.01, 1), Some(stats), "deterministic");
}
