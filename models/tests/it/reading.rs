//! The receiving application: a sink that reads at a limited rate.

use crate::fixtures::*;
use models::app::ReadRate;
use models::record::RunLog;
use sim_core::{SimDuration, SimTime};

/// 100 kbit/s.
const RATE: u64 = 12_500;
const BUFFER: u32 = 16 * 1024;
const TOTAL: u64 = 100_000;

/// The bed's transfer of `TOTAL` bytes into a sink that reads `RATE` bytes/s through a receive
/// buffer of `BUFFER` bytes.
fn slow_reader() -> models::testbed::Testbed {
    let mut t = bed(TOTAL);
    t.conns[0].read_rate = ReadRate::Limited(RATE);
    t.conns[0].peer_tcp.rcv_buffer = BUFFER;
    t
}

/// Bytes the application had read at `t`.
fn read_at(log: &RunLog, t: SimTime) -> u64 {
    log.reads
        .iter()
        .take_while(|r| r.time <= t)
        .last()
        .map_or(0, |r| r.bytes)
}

/// Issue 10 defect 6: "a 100 kbit/s sink reads at 1.8 Mbit/s".
#[test]
fn limited_sink_reads_at_its_rate_within_1_percent_over_any_second() {
    let out = slow_reader().run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let log = &out.log;
    let first = log.reads.first().expect("reads").time;
    let last = log.reads.last().unwrap();
    assert_eq!(last.bytes, TOTAL, "everything read");
    // Over any second in which data waits, the application reads RATE bytes, to 1 %.
    let mut t = first;
    let second = SimDuration::from_secs(1);
    while t + second <= last.time {
        let n = read_at(log, t + second) - read_at(log, t);
        assert!(n.abs_diff(RATE) * 100 <= RATE, "{n} bytes read in the second from {t}");
        t += SimDuration::from_millis(10);
    }
    // The receive window is what holds the sender back: never more delivered than read plus
    // the buffer.
    for d in &log.delivery {
        assert!(d.bytes <= read_at(log, d.time) + u64::from(BUFFER), "{d:?}");
    }
    // So the transfer cannot complete before the reader made room for its last bytes.
    let done = out.conns[0].completed_at.unwrap();
    let least = (TOTAL - u64::from(BUFFER)) as f64 / RATE as f64;
    assert!(
        done.as_secs_f64() >= least,
        "delivered by {done}, {least} s at the earliest"
    );
}

/// The transfer completes when the application has read its last byte, not when that byte
/// reached the receive buffer: a reader of `RATE` bytes/s needs `TOTAL / RATE` seconds from its
/// first read, and completion is its last read. (Found by the red team: completion was the
/// arrival, a receive buffer's worth of reading early.)
#[test]
fn a_limited_reader_completes_when_it_reads_the_last_byte() {
    let out = slow_reader().run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let first = out.log.reads.first().expect("reads").time;
    let last = out.log.reads.last().unwrap();
    assert_eq!(last.bytes, TOTAL);
    let done = out.conns[0].completed_at.unwrap();
    assert_eq!(done, last.time, "completion is the last read");
    let least = TOTAL as f64 / RATE as f64 - 0.1;
    assert!(
        done.saturating_since(first).as_secs_f64() >= least,
        "read everything {} s after the first read; {least} s at the earliest",
        done.saturating_since(first).as_secs_f64()
    );
}

/// A run stopped by its time limit after every byte was verified kept its integrity; it did
/// not complete (the reader was still reading), and its outcome says why it stopped.
#[test]
fn a_time_limit_after_the_last_byte_arrived_is_not_an_integrity_failure() {
    let mut t = slow_reader();
    t.limits.max_time = Some(SimTime::ZERO + SimDuration::from_millis(7_500));
    let out = t.run();
    assert!(out.end.is_err(), "stopped by the time limit: {:?}", out.end);
    assert_eq!(out.conns[0].delivered, TOTAL, "every byte arrived and was verified");
    assert!(out.integrity_ok());
    assert!(out.conns[0].integrity_ok(), "the connection's verdict is the run's");
    assert_eq!(out.conns[0].completed_at, None, "not everything was read");
}
