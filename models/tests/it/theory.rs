//! The host TCP engine against throughput theory: NewReno without SACK, delayed ACKs, minimum
//! RTO 1 s, Bernoulli loss of data segments only, on a 10 Mbit/s, 20 ms one-way link whose
//! queue never drops. The mean goodput of 8 seeds of 10 MB must lie between 0.85 × the Padhye et
//! al. (1998) full model and 1.15 × the Mathis et al. (1997) model with b = 2, and never above
//! the link's capacity (bounds from the host-TCP issue).
//!
//! Model inputs, all from the run itself: MSS = the negotiated 1460 bytes; RTT = the base round
//! trip (2 × 20 ms propagation + serialization of one full data segment and of one ACK), which
//! is the RTT the models assume (their window sawtooth never builds a queue); T0 = the engine's
//! RTO without backoff (the median of its samples, which the 1 s minimum sets); Wmax = the
//! receive window in segments. Run with `--nocapture` to see the comparison table.
//!
//! Congestion avoidance counts per ACK (RFC 5681 equation (3), [`CaIncrease::PerAck`]): both
//! models describe a Reno whose window grows by one segment per `b` round trips, b = 2 with
//! delayed ACKs. The engine's default, byte counting (RFC 5681's RECOMMENDED way, RFC 3465),
//! grows one segment per round trip whatever the ACK ratio, i.e. b = 1 for the window's growth:
//! it measures about sqrt(2) × Mathis(b = 2) at 0.5 % loss (it matches Mathis with b = 1), so
//! it is not the Reno these bounds were written for.

use models::app::{BulkConfig, ReadRate, WriteSize, WriteTiming};
use models::link::{Impairment, LinkConfig, QueueLimit, serialization_time};
use models::record::{DropReason, WireEvent};
use models::segment::ConnId;
use models::tcp::theory::PathModel;
use models::tcp::{CaIncrease, TcpConfig};
use models::testbed::{ConnSpec, Outcome, Testbed};
use sim_core::{Limits, SimDuration, SimTime};

/// Link rate [bit/s].
const RATE_BPS: u64 = 10_000_000;
/// One-way propagation delay [ms].
const DELAY_MS: u64 = 20;
/// Bytes per transfer (the 10 MB).
const TRANSFER: u64 = 10_000_000;
/// Seeds per loss rate.
const SEEDS: u64 = 8;
/// Loss rates of data segments.
const LOSS: [f64; 4] = [0.001, 0.005, 0.01, 0.02];
/// Lower bound: this fraction of the Padhye full model.
const PADHYE_FACTOR: f64 = 0.85;
/// Upper bound: this multiple of the Mathis model.
const MATHIS_FACTOR: f64 = 1.15;
/// Segments acknowledged per ACK with delayed ACKs.
const B: f64 = 2.0;
/// IPv4 + TCP header bytes on the wire (no options in data segments).
const HEADER: u64 = 40;

fn tcp() -> TcpConfig {
    TcpConfig {
        sack: false,
        ca_increase: CaIncrease::PerAck,
        min_rto: SimDuration::from_secs(1),
        ..TcpConfig::default()
    }
}

/// The world for one seed and one loss rate: loss on the data direction only; a queue of 1000
/// packets, far above the largest window (256 KiB ≈ 180 segments), so it never drops.
fn world(seed: u64, p: f64) -> Testbed {
    let link = |name: &str| {
        LinkConfig::new(
            name,
            RATE_BPS,
            SimDuration::from_millis(DELAY_MS),
            QueueLimit::Packets(1000),
        )
    };
    Testbed {
        seed,
        forward: link("host->peer").with(Impairment::Bernoulli { p }),
        reverse: link("peer->host"),
        target: None,
        conns: vec![ConnSpec {
            id: ConnId(1),
            tcp: tcp(),
            peer_tcp: tcp(),
            isn: (None, None),
            bulk: BulkConfig {
                total: TRANSFER,
                write_size: WriteSize::Fixed(64 * 1024),
                timing: WriteTiming::AllAtOnce,
                // Larger than the receive window, so the receiver's window is the only cap.
                send_buffer: 1 << 20,
                close_when_done: true,
                start: sim_core::SimDuration::ZERO,
            },
            read_rate: ReadRate::Unlimited,
            open_at: sim_core::SimTime::ZERO,
        }],
        timeline: vec![],
        limits: Limits {
            max_time: Some(SimTime(3_600 * 1_000_000_000)),
            max_events: Some(50_000_000),
        },
    }
}

/// What one run measured.
struct Run {
    /// Goodput: verified bytes over the time the last one arrived [bytes/s].
    goodput: f64,
    /// Median RTO over the sender's samples [s].
    rto: f64,
    /// Mean SRTT over the sender's samples [s].
    srtt: f64,
}

fn measure(out: &Outcome) -> Run {
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let queue_drops = out
        .log
        .wire
        .iter()
        .filter(|w| w.event == WireEvent::Dropped(DropReason::QueueFull))
        .count();
    assert_eq!(queue_drops, 0, "the queue must never drop");
    let c = &out.conns[0];
    let done = c.completed_at.expect("completed").as_secs_f64();
    let mut rtos: Vec<u64> = out.log.cc.iter().map(|s| s.rto_ns).collect();
    rtos.sort_unstable();
    let srtts: Vec<u64> = out.log.cc.iter().filter(|s| s.srtt_ns > 0).map(|s| s.srtt_ns).collect();
    Run {
        goodput: c.delivered as f64 / done,
        rto: rtos[rtos.len() / 2] as f64 * 1e-9,
        srtt: srtts.iter().sum::<u64>() as f64 / srtts.len() as f64 * 1e-9,
    }
}

#[test]
fn newreno_goodput_lies_between_padhye_and_mathis() {
    let mss = u64::from(tcp().mss);
    let base_rtt = SimDuration::from_millis(2 * DELAY_MS)
        + serialization_time(mss + HEADER, RATE_BPS)
        + serialization_time(HEADER, RATE_BPS);
    let capacity = RATE_BPS as f64 / 8.0 * mss as f64 / (mss + HEADER) as f64;
    let wmax = f64::from(tcp().rcv_buffer) / mss as f64;
    println!(
        "base RTT {:.3} ms, capacity {:.0} B/s, Wmax {wmax:.1} segments, b = {B}",
        base_rtt.as_secs_f64() * 1e3,
        capacity
    );
    println!("   p     | goodput B/s | Padhye B/s | Mathis B/s | /Padhye | /Mathis | T0 s | SRTT ms");
    let mut failures = Vec::new();
    for p in LOSS {
        let runs: Vec<Run> = (1..=SEEDS).map(|seed| measure(&world(seed, p).run())).collect();
        let mean = runs.iter().map(|r| r.goodput).sum::<f64>() / runs.len() as f64;
        let mut rtos: Vec<f64> = runs.iter().map(|r| r.rto).collect();
        rtos.sort_by(f64::total_cmp);
        let t0 = rtos[rtos.len() / 2];
        let srtt = runs.iter().map(|r| r.srtt).sum::<f64>() / runs.len() as f64;
        let model = PathModel {
            mss: mss as f64,
            rtt: base_rtt.as_secs_f64(),
            rto: t0,
            b: B,
            wmax,
        };
        let (padhye, mathis) = (model.padhye(p), model.mathis(p));
        println!(
            "{:7.3}% | {mean:11.0} | {padhye:10.0} | {mathis:10.0} | {:7.3} | {:7.3} | {t0:4.2} | {:7.2}",
            p * 100.0,
            mean / padhye,
            mean / mathis,
            srtt * 1e3
        );
        assert!(t0 >= 1.0, "the engine's RTO is at least the 1 s minimum: {t0}");
        if !(mean >= PADHYE_FACTOR * padhye && mean <= MATHIS_FACTOR * mathis && mean <= capacity) {
            failures.push((p, mean, padhye, mathis));
        }
    }
    assert!(failures.is_empty(), "outside the bounds: {failures:?}");
}

/// CUBIC's path: 100 Mbit/s, 50 ms one way, so that the window the response function predicts
/// (at most ~190 segments at 0.01 % loss) never fills the pipe (BDP ≈ 850 segments) and the
/// RTT stays the base RTT; a 4 MiB receive buffer above any window reached.
const CUBIC_RATE_BPS: u64 = 100_000_000;
const CUBIC_DELAY_MS: u64 = 50;
/// (loss rate, bytes per run): 20 to 55 losses per run.
const CUBIC_POINTS: [(f64, u64); 3] = [(0.0001, 300_000_000), (0.001, 40_000_000), (0.01, 8_000_000)];
const CUBIC_SEEDS: u64 = 4;
/// Allowed deviation from RFC 9438 §5's response function.
const CUBIC_TOLERANCE: f64 = 0.20;

fn cubic_tcp() -> TcpConfig {
    TcpConfig {
        congestion_control: models::tcp::CongestionControl::Cubic,
        sack: true,
        rcv_buffer: 4 << 20,
        min_rto: SimDuration::from_millis(200),
        ..TcpConfig::default()
    }
}

fn cubic_world(seed: u64, p: f64, total: u64) -> Testbed {
    let mut t = world(seed, p);
    let link = |name: &str| {
        LinkConfig::new(
            name,
            CUBIC_RATE_BPS,
            SimDuration::from_millis(CUBIC_DELAY_MS),
            QueueLimit::Packets(4000),
        )
    };
    t.forward = link("host->peer").with(Impairment::Bernoulli { p });
    t.reverse = link("peer->host");
    let c = &mut t.conns[0];
    (c.tcp, c.peer_tcp) = (cubic_tcp(), cubic_tcp());
    c.bulk.total = total;
    c.bulk.send_buffer = 8 << 20;
    t
}

//= https://www.rfc-editor.org/rfc/rfc9438#section-5.1
//= type=test
//# the average window size of CUBIC
#[test]
fn cubic_goodput_follows_the_rfc_9438_response_function() {
    let mss = u64::from(cubic_tcp().mss);
    let base_rtt = SimDuration::from_millis(2 * CUBIC_DELAY_MS)
        + serialization_time(mss + HEADER + 12, CUBIC_RATE_BPS)
        + serialization_time(HEADER, CUBIC_RATE_BPS);
    println!("   p     | goodput B/s | RFC 9438 B/s | ratio");
    let mut failures = Vec::new();
    for (p, total) in CUBIC_POINTS {
        // Steady state: bytes over time from the delivery of the first quarter of the transfer
        // to the end, so the initial slow start (which may overshoot far past the steady
        // window before its first loss) does not count; summed over the seeds (total bytes
        // over total time, not a mean of rates, which lucky short runs would dominate).
        let (mut bytes, mut secs) = (0.0, 0.0);
        for seed in 1..=CUBIC_SEEDS {
            let out = cubic_world(seed, p, total).run();
            assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
            let d = &out.log.delivery;
            let from = d.iter().find(|r| r.bytes >= total / 4).expect("deliveries");
            let to = d.last().unwrap();
            bytes += (to.bytes - from.bytes) as f64;
            secs += (to.time.0 - from.time.0) as f64 * 1e-9;
        }
        let mean = bytes / secs;
        let model = PathModel {
            mss: mss as f64,
            rtt: base_rtt.as_secs_f64(),
            rto: 0.0,
            b: B,
            wmax: f64::INFINITY,
        }
        .cubic(p);
        println!("{:7.3}% | {mean:11.0} | {model:12.0} | {:5.3}", p * 100.0, mean / model);
        if (mean / model - 1.0).abs() > CUBIC_TOLERANCE {
            failures.push((p, mean, model));
        }
    }
    assert!(
        failures.is_empty(),
        "more than 20 % from the response function: {failures:?}"
    );
}
