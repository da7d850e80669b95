//! Link tests: timing to the nanosecond, drop-tail, each impairment, common random numbers,
//! run-time control, and the wire recording. Timing tests run a real `Simulation<Msg>` with
//! a sink actor; statistical tests drive the sans-IO [`LinkModel`] directly.

use super::*;
use crate::segment::{ConnId, Flags, Provenance};
use crate::seq::SeqNum;
use bytes::Bytes;
use sim_core::{RngStream, Simulation};

/// 10 Mbit/s.
const RATE_10M: u64 = 10_000_000;
/// Payload of a full segment [bytes].
const MSS: u32 = 1460;
/// A full segment on the wire: payload + 40 bytes of IPv4 and TCP headers.
const WIRE_FULL: u64 = 1500;
/// A pure ACK on the wire.
const WIRE_ACK: u64 = 40;
/// Serialization of a full segment at 10 Mbit/s: 1500 * 8 / 10^7 s.
const SER_FULL: u64 = 1_200_000;
/// Serialization of a pure ACK at 10 Mbit/s: 40 * 8 / 10^7 s.
const SER_ACK: u64 = 32_000;
/// Propagation delay [ns].
const DELAY: u64 = 1_000_000;
/// Packets in the statistical tests.
const N_STAT: u64 = 100_000;
const SEED: u64 = 42;
const NAME: &str = "a->b";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// A data segment carrying `len` bytes at stream offset `offset`.
fn data(offset: u64, len: u32) -> Segment {
    Segment {
        seq: SeqNum(1u32.wrapping_add(offset as u32)),
        ack: SeqNum(1),
        flags: Flags {
            ack: true,
            ..Flags::default()
        },
        window: 65_535,
        payload: Bytes::from(vec![0u8; len as usize]),
        provenance: Provenance {
            stream_offset: offset,
            ..Provenance::default()
        },
        ..Segment::default()
    }
}

/// The `n`-th full segment of a stream (0-based).
fn full(n: u64) -> Segment {
    data(n * u64::from(MSS), MSS)
}

/// A pure ACK.
fn ack() -> Segment {
    data(0, 0)
}

fn config(queue: QueueLimit) -> LinkConfig {
    LinkConfig::new(NAME, RATE_10M, SimDuration(DELAY), queue)
}

fn unlimited() -> LinkConfig {
    config(QueueLimit::Packets(u32::MAX))
}

/// Collects every segment delivered to it, with its arrival time.
#[derive(Default)]
struct Sink {
    got: Vec<(SimTime, Segment)>,
}

impl Actor<Msg> for Sink {
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        if let Msg::Segment(seg) = msg {
            self.got.push((ctx.now(), *seg));
        }
    }
}

/// A link in a real simulation, fed from outside, delivering into a [`Sink`].
struct Bench {
    sim: Simulation<Msg>,
    link: ActorId,
    sink: ActorId,
}

impl Bench {
    fn new(config: LinkConfig) -> Self {
        Self::with_seed(config, SEED)
    }

    fn with_seed(config: LinkConfig, seed: u64) -> Self {
        let mut sim = Simulation::new(seed);
        let sink = sim.add_actor("sink", Box::new(Sink::default()));
        let link = sim.add_actor(NAME, Box::new(LinkActor::new(LinkId(3), config, sim.seed(), sink)));
        Bench { sim, link, sink }
    }

    /// `seg` enters the link at `at_ns`.
    fn send(&mut self, at_ns: u64, seg: Segment) {
        self.sim
            .schedule(SimTime(at_ns), self.link, Msg::Segment(Box::new(seg)));
    }

    fn control(&mut self, at_ns: u64, control: LinkControl) {
        self.sim
            .schedule(SimTime(at_ns), self.link, Msg::LinkControl(Box::new(control)));
    }

    #[track_caller]
    fn run(&mut self) {
        self.sim.run().expect("link bench run");
    }

    fn got(&self) -> &[(SimTime, Segment)] {
        &self.sim.actor::<Sink>(self.sink).expect("sink").got
    }

    /// (arrival [ns], stream offset) of every delivery, in arrival order.
    fn arrivals(&self) -> Vec<(u64, u64)> {
        self.got()
            .iter()
            .map(|(t, s)| (t.0, s.provenance.stream_offset))
            .collect()
    }

    fn link(&self) -> &LinkActor {
        self.sim.actor::<LinkActor>(self.link).expect("link")
    }

    fn link_mut(&mut self) -> &mut LinkActor {
        self.sim.actor_mut::<LinkActor>(self.link).expect("link")
    }
}

/// Runs `n` back-to-back full segments through a sans-IO model with an infinitely fast,
/// unlimited link, and returns each packet's outcome.
fn outcomes(config: LinkConfig, seed: u64, n: u64) -> Vec<LinkOutcome> {
    let mut model = LinkModel::new(config, seed);
    (0..n).map(|i| model.on_packet(SimTime(i), &full(i))).collect()
}

fn fast(impairments: Vec<Impairment>) -> LinkConfig {
    LinkConfig {
        rate_bps: 0,
        impairments,
        ..unlimited()
    }
}

/// 1-based numbers of the packets dropped for `reason`.
fn dropped_for(outcomes: &[LinkOutcome], reason: DropReason) -> Vec<u64> {
    (1..)
        .zip(outcomes)
        .filter(|(_, o)| o.drop_reason() == Some(reason))
        .map(|(n, _)| n)
        .collect()
}

fn loss_pattern(outcomes: &[LinkOutcome]) -> Vec<bool> {
    outcomes.iter().map(|o| o.drop_reason().is_some()).collect()
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

#[test]
fn serialization_time_is_exact_and_rounds_up() {
    assert_eq!(serialization_time(WIRE_FULL, RATE_10M), SimDuration(SER_FULL));
    assert_eq!(serialization_time(WIRE_ACK, RATE_10M), SimDuration(SER_ACK));
    // 320 bits at 3 bit/s = 106_666_666_666.67 ns: rounded up.
    assert_eq!(serialization_time(40, 3), SimDuration(106_666_666_667));
    assert_eq!(serialization_time(1, 1_000_000_000), SimDuration(8));
    assert_eq!(serialization_time(1, 3_000_000_000), SimDuration(3));
    assert_eq!(
        serialization_time(WIRE_FULL, 0),
        SimDuration::ZERO,
        "rate 0: infinitely fast"
    );
    assert_eq!(serialization_time(u64::MAX, 1), SimDuration(u64::MAX), "saturates");
}

#[test]
fn one_packet_arrives_after_serialization_plus_propagation() {
    const T0: u64 = 5_000;
    let mut b = Bench::new(unlimited());
    b.send(T0, full(0));
    b.run();
    assert_eq!(b.arrivals(), vec![(T0 + SER_FULL + DELAY, 0)]);
}

#[test]
fn back_to_back_packets_queue_behind_each_other() {
    const LATE: u64 = 50_000_000;
    let mut b = Bench::new(unlimited());
    for n in 0..3 {
        b.send(0, full(n));
    }
    b.send(0, ack());
    b.send(LATE, full(7));
    b.run();
    let mss = u64::from(MSS);
    assert_eq!(
        b.arrivals(),
        vec![
            (SER_FULL + DELAY, 0),
            (2 * SER_FULL + DELAY, mss),
            (3 * SER_FULL + DELAY, 2 * mss),
            (3 * SER_FULL + SER_ACK + DELAY, 0),
            // The link was idle again: no queueing.
            (LATE + SER_FULL + DELAY, 7 * mss),
        ]
    );
    assert_eq!(b.link().counters().max_queue_packets, 4);
}

#[test]
fn occupancy_is_exact_at_departure_instants() {
    let mut m = LinkModel::new(unlimited(), SEED);
    m.on_packet(SimTime(0), &full(0));
    m.on_packet(SimTime(0), &full(1));
    let both = Occupancy {
        packets: 2,
        bytes: 2 * WIRE_FULL,
    };
    assert_eq!(m.occupancy(SimTime(0)), both);
    assert_eq!(m.occupancy(SimTime(SER_FULL - 1)), both);
    assert_eq!(
        m.occupancy(SimTime(SER_FULL)),
        Occupancy {
            packets: 1,
            bytes: WIRE_FULL
        }
    );
    assert_eq!(m.occupancy(SimTime(2 * SER_FULL)), Occupancy::default());
}

// ---------------------------------------------------------------------------------------------
// Drop-tail
// ---------------------------------------------------------------------------------------------

/// `Packets(2)`: two packets wait while a third is serialized (the one in serialization has
/// left the queue, as in ns-3 and Linux's pfifo).
#[test]
fn drop_tail_by_packets() {
    let mut b = Bench::new(config(QueueLimit::Packets(2)));
    for n in 0..4 {
        b.send(0, full(n)); // 0 in serialization, 1 and 2 wait, 3 dropped
    }
    b.send(SER_FULL - 1, full(4)); // 1 and 2 still wait: dropped
    b.send(SER_FULL, full(5)); // 0 just left, 1 in serialization: accepted
    b.run();
    let mss = u64::from(MSS);
    assert_eq!(
        b.arrivals(),
        vec![
            (SER_FULL + DELAY, 0),
            (2 * SER_FULL + DELAY, mss),
            (3 * SER_FULL + DELAY, 2 * mss),
            (4 * SER_FULL + DELAY, 5 * mss)
        ]
    );
    let c = b.link().counters();
    assert_eq!(c.dropped.queue_full, 2);
    assert_eq!(c.dropped.total(), 2);
    assert_eq!((c.packets_in, c.accepted, c.max_queue_packets), (6, 4, 3));
}

#[test]
fn drop_tail_by_bytes() {
    const LIMIT: u64 = WIRE_FULL + 2 * WIRE_ACK;
    let mut b = Bench::new(config(QueueLimit::Bytes(LIMIT)));
    b.send(0, full(0)); // in serialization: not in the queue
    b.send(0, full(1)); // waits: 1500
    b.send(0, full(2)); // 3000 > 1580: dropped
    b.send(0, ack()); // 1540: accepted
    b.send(0, ack()); // exactly 1580: accepted
    b.send(0, ack()); // 1620: dropped
    b.run();
    let c = *b.link().counters();
    assert_eq!((c.accepted, c.dropped.queue_full), (4, 2));
    assert_eq!(
        (c.max_queue_packets, c.max_queue_bytes),
        (4, WIRE_FULL + LIMIT),
        "the link holds the queue and the packet in serialization"
    );
    let events: Vec<WireEvent> = b
        .link()
        .recorder()
        .wire
        .iter()
        .filter(|w| w.time == SimTime::ZERO)
        .map(|w| w.event)
        .collect();
    let drop = WireEvent::Dropped(DropReason::QueueFull);
    assert_eq!(
        events,
        vec![
            WireEvent::Sent,
            WireEvent::Sent,
            drop,
            WireEvent::Sent,
            WireEvent::Sent,
            drop
        ]
    );
}

#[test]
fn a_zero_packet_queue_drops_everything() {
    let o = outcomes(
        LinkConfig {
            queue: QueueLimit::Packets(0),
            ..unlimited()
        },
        SEED,
        3,
    );
    assert_eq!(dropped_for(&o, DropReason::QueueFull), vec![1, 2, 3]);
}

// ---------------------------------------------------------------------------------------------
// Random loss
// ---------------------------------------------------------------------------------------------

#[test]
fn bernoulli_loss_rate_within_tolerance() {
    const P: f64 = 0.05;
    // 4 standard deviations of the mean over N_STAT packets: 4 * sqrt(p(1-p)/n) ~ 0.0028.
    const TOL: f64 = 0.003;
    let o = outcomes(fast(vec![Impairment::Bernoulli { p: P }]), SEED, N_STAT);
    let lost = dropped_for(&o, DropReason::RandomLoss).len() as f64;
    assert!(
        (lost / N_STAT as f64 - P).abs() < TOL,
        "loss rate {}",
        lost / N_STAT as f64
    );
}

#[test]
fn bernoulli_pattern_depends_only_on_seed_and_link_name() {
    const N: u64 = 10_000;
    let cfg = fast(vec![Impairment::Bernoulli { p: 0.1 }]);
    let a = loss_pattern(&outcomes(cfg.clone(), SEED, N));
    assert_eq!(a, loss_pattern(&outcomes(cfg.clone(), SEED, N)), "same seed and name");
    assert_ne!(a, loss_pattern(&outcomes(cfg.clone(), SEED + 1, N)), "other seed");
    let other_name = LinkConfig {
        name: "b->a".into(),
        ..cfg
    };
    assert_ne!(a, loss_pattern(&outcomes(other_name, SEED, N)), "other link");
}

#[test]
fn bernoulli_draws_from_the_documented_stream() {
    const P: f64 = 0.3;
    const N: u64 = 1_000;
    let o = outcomes(fast(vec![Impairment::Bernoulli { p: P }]), SEED, N);
    let mut stream = RngStream::new(SEED, "link/a->b/0-bernoulli");
    let expected: Vec<bool> = (0..N).map(|_| stream.uniform() < P).collect();
    assert_eq!(loss_pattern(&o), expected);
    assert_eq!(stream_name(NAME, 0, "bernoulli"), "link/a->b/0-bernoulli");
}

#[test]
fn gilbert_elliott_mean_loss_and_burst_length() {
    const G2B: f64 = 0.01;
    const B2G: f64 = 0.25;
    let ge = Impairment::GilbertElliott {
        p_good_to_bad: G2B,
        p_bad_to_good: B2G,
        loss_good: 0.0,
        loss_bad: 1.0,
    };
    let o = outcomes(fast(vec![ge]), SEED, N_STAT);
    let lost = loss_pattern(&o);
    assert!(
        o.iter()
            .all(|x| x.drop_reason().is_none_or(|r| r == DropReason::BurstLoss))
    );

    let rate = lost.iter().filter(|&&l| l).count() as f64 / N_STAT as f64;
    let want_rate = G2B / (G2B + B2G); // stationary probability of the bad state
    assert!((rate - want_rate).abs() < 0.006, "loss rate {rate}, want {want_rate}");

    let bursts: Vec<usize> = lost.split(|&l| !l).map(<[bool]>::len).filter(|&n| n > 0).collect();
    let mean_burst = bursts.iter().sum::<usize>() as f64 / bursts.len() as f64;
    assert!(
        (mean_burst - 1.0 / B2G).abs() < 0.4,
        "mean burst {mean_burst}, want {}",
        1.0 / B2G
    );
    // Burstier than independent loss at the same rate (mean burst 1 / (1 - rate) ~ 1.04).
    assert!(mean_burst > 3.0);
}

// ---------------------------------------------------------------------------------------------
// Scripted drops
// ---------------------------------------------------------------------------------------------

#[test]
fn drop_packets_drops_exactly_the_listed_numbers() {
    let o = outcomes(fast(vec![Impairment::DropPackets(vec![2, 5, 0, 1_000_000])]), SEED, 8);
    assert_eq!(dropped_for(&o, DropReason::Scripted), vec![2, 5]);
}

#[test]
fn drop_packets_counts_every_packet_entering_the_link() {
    let mut b = Bench::new(config(QueueLimit::Packets(1)).with(Impairment::DropPackets(vec![3])));
    for n in 0..4 {
        b.send(n * 2 * SER_FULL, full(n));
    }
    b.send(6 * SER_FULL + 1, full(4)); // packet 4 in service: waits
    b.send(6 * SER_FULL + 1, full(5)); // queue full: dropped, but counted
    b.send(20 * SER_FULL, full(6));
    b.run();
    let offsets: Vec<u64> = b.arrivals().iter().map(|&(_, o)| o / u64::from(MSS)).collect();
    assert_eq!(offsets, vec![0, 1, 3, 4, 6]);
    let d = b.link().counters().dropped;
    assert_eq!((d.scripted, d.queue_full), (1, 1));
}

#[test]
fn drop_packets_counts_from_when_it_was_installed() {
    let next_two = Impairment::DropPackets(vec![1, 2]);
    let mut m = LinkModel::new(fast(vec![next_two.clone()]), SEED);
    let mut fates = Vec::new();
    let mut pass = |m: &mut LinkModel, n: u64| {
        for i in 0..n {
            fates.push(m.on_packet(SimTime::ZERO, &full(i)).drop_reason().is_some());
        }
    };
    pass(&mut m, 3);
    // Re-installing the same list counts afresh: "drop the next two packets".
    m.apply(LinkControl::SetImpairments(vec![next_two.clone()]));
    pass(&mut m, 3);
    // Appending a model leaves the installed ones and their counters alone.
    m.apply(LinkControl::AddImpairment(next_two));
    pass(&mut m, 3);
    assert_eq!(fates, [true, true, false, true, true, false, true, true, false]);
    assert_eq!(m.counters().dropped.scripted, 6);
}

#[test]
fn drop_data_drops_the_kth_transmission_of_an_offset() {
    const TARGET: u64 = 2_000; // inside the second segment, [1460, 2920)
    let rule = Impairment::DropData {
        stream_offset: TARGET,
        transmission: 2,
        conn: None,
    };
    let mut m = LinkModel::new(fast(vec![rule]), SEED);
    let mut fate = |seg: Segment| m.on_packet(SimTime::ZERO, &seg).drop_reason();
    assert_eq!(fate(full(0)), None);
    assert_eq!(fate(full(1)), None, "first transmission passes");
    assert_eq!(fate(full(2)), None, "starts at 2920: does not cover 2000");
    assert_eq!(fate(ack()), None);
    assert_eq!(fate(data(1_000, 1_000)), None, "[1000, 2000) does not cover 2000");
    assert_eq!(
        fate(data(1_000, 1_001)),
        Some(DropReason::Scripted),
        "second, repacketized as [1000, 2001)"
    );
    assert_eq!(fate(full(1)), None, "third transmission passes");
    assert_eq!(fate(data(TARGET, 1)), None, "fourth");
}

#[test]
fn drop_data_can_target_one_connection() {
    const MINE: ConnId = ConnId(7);
    let rule = Impairment::DropData {
        stream_offset: 0,
        transmission: 1,
        conn: Some(MINE),
    };
    let mut m = LinkModel::new(fast(vec![rule]), SEED);
    let other = full(0);
    let mut mine = full(0);
    mine.provenance.conn = MINE;
    assert_eq!(
        m.on_packet(SimTime::ZERO, &other).drop_reason(),
        None,
        "other connection"
    );
    assert_eq!(
        m.on_packet(SimTime::ZERO, &mine).drop_reason(),
        Some(DropReason::Scripted)
    );
    assert_eq!(
        m.on_packet(SimTime::ZERO, &mine).drop_reason(),
        None,
        "second transmission"
    );
}

#[test]
fn drop_data_times_drops_the_first_transmissions() {
    let mut m = LinkModel::new(fast(Impairment::drop_data_times(0, 2, None)), SEED);
    let fates: Vec<_> = (0..4)
        .map(|_| m.on_packet(SimTime::ZERO, &full(0)).drop_reason())
        .collect();
    assert_eq!(
        fates,
        vec![Some(DropReason::Scripted), Some(DropReason::Scripted), None, None]
    );
}

#[test]
fn drop_flags_drops_the_kth_matching_segment() {
    let syn = |ack| Segment {
        flags: Flags {
            syn: true,
            ack,
            ..Flags::default()
        },
        ..Segment::default()
    };
    let rule = Impairment::DropFlags {
        syn: true,
        fin: false,
        rst: false,
        occurrence: 2,
    };
    let mut m = LinkModel::new(fast(vec![rule]), SEED);
    let fates: Vec<_> = [syn(false), ack(), syn(true), syn(true)]
        .iter()
        .map(|s| m.on_packet(SimTime::ZERO, s).drop_reason())
        .collect();
    assert_eq!(fates, vec![None, None, Some(DropReason::Scripted), None]);
}

// ---------------------------------------------------------------------------------------------
// Reorder, duplicate, corrupt
// ---------------------------------------------------------------------------------------------

#[test]
fn reorder_delivers_some_packets_after_later_ones() {
    const N: u64 = 400;
    const FRACTION: f64 = 0.25;
    const EXTRA: u64 = 5 * SER_FULL;
    let cfg = unlimited().with(Impairment::Reorder {
        fraction: FRACTION,
        extra_delay: SimDuration(EXTRA),
    });
    let mut b = Bench::new(cfg);
    for n in 0..N {
        b.send(n * SER_FULL, full(n));
    }
    b.run();
    let arrivals = b.arrivals();
    assert_eq!(arrivals.len() as u64, N, "nothing lost");
    let order: Vec<u64> = arrivals.iter().map(|&(_, o)| o / u64::from(MSS)).collect();
    let overtaken = order.windows(2).filter(|w| w[0] > w[1]).count();
    assert!(overtaken > 0, "no reordering");
    let delayed = b.link().counters().delayed_for_reorder;
    assert!(
        (delayed as f64 / N as f64 - FRACTION).abs() < 0.06,
        "delayed {delayed} of {N}"
    );
    // A delayed packet arrives exactly EXTRA late; the others are on time.
    for &(t, offset) in &arrivals {
        let n = offset / u64::from(MSS);
        let on_time = (n + 1) * SER_FULL + DELAY;
        assert!(t == on_time || t == on_time + EXTRA, "packet {n} at {t}");
    }
}

#[test]
fn duplicate_delivers_a_flagged_second_copy() {
    let mut b = Bench::new(unlimited().with(Impairment::Duplicate { p: 1.0 }));
    b.send(0, full(0));
    b.send(0, full(1));
    b.run();
    let t1 = SER_FULL + DELAY;
    let mss = u64::from(MSS);
    assert_eq!(
        b.arrivals(),
        vec![(t1, 0), (t1, 0), (t1 + SER_FULL, mss), (t1 + SER_FULL, mss)]
    );
    let c = b.link().counters();
    assert_eq!((c.accepted, c.delivered, c.duplicated), (2, 4, 2));
    let dups: Vec<bool> = b
        .link()
        .recorder()
        .wire
        .iter()
        .filter_map(|w| match w.event {
            WireEvent::Delivered { duplicate, .. } => Some(duplicate),
            _ => None,
        })
        .collect();
    assert_eq!(dups, vec![false, true, false, true]);
}

#[test]
fn duplicate_rate_within_tolerance() {
    const P: f64 = 0.1;
    let o = outcomes(fast(vec![Impairment::Duplicate { p: P }]), SEED, N_STAT);
    let copies = o.iter().map(|x| x.deliveries().count()).sum::<usize>() as u64;
    assert!(((copies - N_STAT) as f64 / N_STAT as f64 - P).abs() < 0.005);
}

#[test]
fn corrupt_marks_the_segment_and_keeps_a_duplicate_intact() {
    let cfg = unlimited()
        .with(Impairment::Corrupt { p: 1.0 })
        .with(Impairment::Duplicate { p: 1.0 });
    let mut b = Bench::new(cfg);
    b.send(0, full(0));
    b.run();
    let corrupted: Vec<bool> = b.got().iter().map(|(_, s)| s.corrupted).collect();
    assert_eq!(corrupted, vec![true, false], "original corrupted, duplicate intact");
    assert_eq!(b.link().counters().corrupted, 1);
    let events: Vec<WireEvent> = b.link().recorder().wire.iter().map(|w| w.event).collect();
    assert_eq!(
        events,
        vec![
            WireEvent::Sent,
            WireEvent::Delivered {
                corrupted: true,
                duplicate: false
            },
            WireEvent::Delivered {
                corrupted: false,
                duplicate: true
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Common random numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn adding_a_model_after_bernoulli_keeps_its_drops() {
    const N: u64 = 20_000;
    let bernoulli = Impairment::Bernoulli { p: 0.05 };
    let alone = outcomes(fast(vec![bernoulli.clone()]), SEED, N);
    let with_more = outcomes(
        fast(vec![
            bernoulli,
            Impairment::Duplicate { p: 0.3 },
            Impairment::GilbertElliott {
                p_good_to_bad: 0.01,
                p_bad_to_good: 0.3,
                loss_good: 0.0,
                loss_bad: 1.0,
            },
            Impairment::Reorder {
                fraction: 0.2,
                extra_delay: SimDuration(10),
            },
        ]),
        SEED,
        N,
    );
    let want = dropped_for(&alone, DropReason::RandomLoss);
    assert!(!want.is_empty());
    assert_eq!(dropped_for(&with_more, DropReason::RandomLoss), want);
    assert!(!dropped_for(&with_more, DropReason::BurstLoss).is_empty());
}

#[test]
fn earlier_drops_and_a_full_queue_do_not_shift_draws() {
    const N: u64 = 5_000;
    let dup = Impairment::Duplicate { p: 0.2 };
    let duplicated = |o: &[LinkOutcome]| -> Vec<u64> {
        (1..)
            .zip(o)
            .filter(|(_, x)| matches!(x, LinkOutcome::Delivered { duplicate: Some(_), .. }))
            .map(|(n, _)| n)
            .collect()
    };
    let base = outcomes(fast(vec![dup.clone()]), SEED, N);
    // A Bernoulli model in front drops some packets; the duplication draws stay paired
    // (Duplicate is at index 1 now, so it is compared at the same index both times).
    let front = Impairment::Bernoulli { p: 0.5 };
    let lossy = outcomes(fast(vec![front.clone(), dup.clone()]), SEED, N);
    let lossless = outcomes(fast(vec![Impairment::Bernoulli { p: 0.0 }, dup.clone()]), SEED, N);
    let survivors: Vec<u64> = duplicated(&lossless)
        .into_iter()
        .filter(|n| lossy[*n as usize - 1].drop_reason().is_none())
        .collect();
    assert_eq!(duplicated(&lossy), survivors);
    // A tiny queue on a slow link drops most packets; the survivors' duplication is unchanged.
    let mut m = LinkModel::new(
        LinkConfig {
            queue: QueueLimit::Packets(1),
            impairments: vec![dup],
            ..unlimited()
        },
        SEED,
    );
    let queued: Vec<LinkOutcome> = (0..N).map(|i| m.on_packet(SimTime(i), &full(i))).collect();
    assert!(m.counters().dropped.queue_full > N / 2);
    let kept: Vec<u64> = duplicated(&base)
        .into_iter()
        .filter(|n| queued[*n as usize - 1].drop_reason().is_none())
        .collect();
    assert_eq!(duplicated(&queued), kept);
}

// ---------------------------------------------------------------------------------------------
// Run-time control
// ---------------------------------------------------------------------------------------------

#[test]
fn link_control_changes_rate_and_delay_for_later_packets() {
    const T_RATE: u64 = 10_000_000;
    const T_DELAY: u64 = 20_000_000;
    const NEW_DELAY: u64 = 3 * DELAY;
    let mut b = Bench::new(unlimited());
    b.send(0, full(0));
    b.control(T_RATE, LinkControl::SetRate(2 * RATE_10M));
    b.send(T_RATE, full(1)); // after the control message at the same instant: new rate
    b.control(T_DELAY, LinkControl::SetDelay(SimDuration(NEW_DELAY)));
    b.send(T_DELAY, full(2));
    b.run();
    let mss = u64::from(MSS);
    assert_eq!(
        b.arrivals(),
        vec![
            (SER_FULL + DELAY, 0),
            (T_RATE + SER_FULL / 2 + DELAY, mss),
            (T_DELAY + SER_FULL / 2 + NEW_DELAY, 2 * mss),
        ]
    );
    assert_eq!(b.link().model().config().rate_bps, 2 * RATE_10M);
}

#[test]
fn link_control_changes_the_impairment_list_and_queue() {
    const T_ON: u64 = 10_000_000;
    const T_OFF: u64 = 20_000_000;
    const T_QUEUE: u64 = 30_000_000;
    let mut b = Bench::new(unlimited());
    b.send(0, full(0));
    b.control(
        T_ON,
        LinkControl::SetImpairments(vec![Impairment::Bernoulli { p: 1.0 }]),
    );
    b.send(T_ON, full(1));
    b.send(T_ON + 1, full(2));
    b.control(T_OFF, LinkControl::SetImpairments(Vec::new()));
    b.send(T_OFF, full(3));
    b.control(T_QUEUE, LinkControl::SetQueue(QueueLimit::Packets(1)));
    b.control(T_QUEUE, LinkControl::AddImpairment(Impairment::Corrupt { p: 1.0 }));
    b.send(T_QUEUE, full(4));
    b.send(T_QUEUE, full(5)); // waits in the queue of one
    b.send(T_QUEUE, full(6)); // queue of one full: dropped
    b.run();
    let got: Vec<(u64, bool)> = b
        .got()
        .iter()
        .map(|(_, s)| (s.provenance.stream_offset / 1460, s.corrupted))
        .collect();
    assert_eq!(got, vec![(0, false), (3, false), (4, true), (5, true)]);
    let d = b.link().counters().dropped;
    assert_eq!((d.random_loss, d.queue_full), (2, 1));
    assert_eq!(
        b.link().model().config().impairments,
        vec![Impairment::Corrupt { p: 1.0 }]
    );
}

#[test]
fn changing_a_probability_mid_run_keeps_the_stream_paired() {
    const N: u64 = 2_000;
    const HALF: u64 = N / 2;
    let strong = Impairment::Bernoulli { p: 0.5 };
    let throughout = outcomes(fast(vec![strong.clone()]), SEED, N);
    let mut m = LinkModel::new(fast(vec![Impairment::Bernoulli { p: 0.0 }]), SEED);
    let mut switched: Vec<LinkOutcome> = (0..HALF).map(|i| m.on_packet(SimTime(i), &full(i))).collect();
    m.apply(LinkControl::SetImpairments(vec![strong]));
    switched.extend((HALF..N).map(|i| m.on_packet(SimTime(i), &full(i))));
    assert!(dropped_for(&switched, DropReason::RandomLoss).iter().all(|&n| n > HALF));
    assert_eq!(
        loss_pattern(&switched)[HALF as usize..],
        loss_pattern(&throughout)[HALF as usize..]
    );
}

#[test]
fn a_removed_then_restored_model_resumes_its_stream() {
    const N: u64 = 300;
    let p = Impairment::Bernoulli { p: 0.5 };
    let reference = outcomes(fast(vec![p.clone()]), SEED, 2 * N);
    let mut m = LinkModel::new(fast(vec![p.clone()]), SEED);
    let mut fates: Vec<bool> = (0..N)
        .map(|i| m.on_packet(SimTime(i), &full(i)).drop_reason().is_some())
        .collect();
    m.apply(LinkControl::SetImpairments(vec![Impairment::Duplicate { p: 0.5 }]));
    m.apply(LinkControl::SetImpairments(vec![p]));
    fates.extend((N..2 * N).map(|i| m.on_packet(SimTime(i), &full(i)).drop_reason().is_some()));
    assert_eq!(fates, loss_pattern(&reference), "no replay, no skip");
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

#[test]
fn every_packet_is_recorded_at_ingress_and_arrival() {
    const T0: u64 = 7_000;
    let cfg = unlimited().with(Impairment::DropPackets(vec![2]));
    let mut b = Bench::new(cfg);
    let mut first = full(1);
    first.provenance.tx_number = 1;
    b.send(T0, first.clone());
    b.send(T0, full(2));
    b.run();
    let link = b.link_mut();
    let rec = std::mem::take(link.recorder_mut());
    assert!(link.recorder().wire.is_empty(), "taken");
    let summary: Vec<(u64, WireEvent, u64)> = rec
        .wire
        .iter()
        .map(|w| (w.time.0, w.event, w.header.stream_offset))
        .collect();
    let mss = u64::from(MSS);
    assert_eq!(
        summary,
        vec![
            (T0, WireEvent::Sent, mss),
            (
                T0 + SER_FULL + DELAY,
                WireEvent::Delivered {
                    corrupted: false,
                    duplicate: false
                },
                mss
            ),
            (T0, WireEvent::Dropped(DropReason::Scripted), 2 * mss),
        ]
    );
    let w = &rec.wire[0];
    assert_eq!(w.link, LinkId(3));
    assert_eq!(w.header, header_of(&first));
    assert_eq!(
        (w.header.len, w.header.seq, w.provenance.tx_number),
        (MSS, first.seq, 1)
    );
    // The delivery record carries the ingress event's index; the next packet's is later.
    assert_eq!(rec.wire[1].event_index, w.event_index);
    assert!(rec.wire[2].event_index > w.event_index);
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_parameters_do_not_panic() {
    let cfg = LinkConfig {
        name: String::new(),
        rate_bps: 1,
        delay: SimDuration(u64::MAX),
        queue: QueueLimit::Bytes(u64::MAX),
        impairments: vec![
            Impairment::Bernoulli { p: f64::NAN },
            Impairment::Duplicate { p: 7.0 },
            Impairment::Corrupt { p: -1.0 },
            Impairment::GilbertElliott {
                p_good_to_bad: f64::NAN,
                p_bad_to_good: f64::INFINITY,
                loss_good: -0.5,
                loss_bad: 2.0,
            },
            Impairment::Reorder {
                fraction: 1.0,
                extra_delay: SimDuration(u64::MAX),
            },
            Impairment::DropPackets(vec![0, u64::MAX]),
            Impairment::DropData {
                stream_offset: u64::MAX,
                transmission: 0,
                conn: None,
            },
            Impairment::DropFlags {
                syn: false,
                fin: false,
                rst: false,
                occurrence: 0,
            },
        ],
    };
    assert!(cfg.validate().is_err());
    let mut b = Bench::new(cfg);
    b.sim.set_limits(sim_core::Limits {
        max_time: None,
        max_events: None,
    });
    b.send(0, data(u64::MAX, u32::MAX >> 16));
    b.send(u64::MAX - 1, full(0));
    b.run();
    // Arrivals saturate at the end of time instead of overflowing.
    assert!(b.got().iter().all(|(t, _)| *t == SimTime::MAX));
    assert!(!b.got().is_empty());
}

#[test]
fn validate_names_the_bad_parameter() {
    assert_eq!(unlimited().with(Impairment::Bernoulli { p: 0.2 }).validate(), Ok(()));
    let bad = unlimited()
        .with(Impairment::Duplicate { p: 0.1 })
        .with(Impairment::Bernoulli { p: 1.5 });
    assert_eq!(
        bad.validate(),
        Err(ImpairmentError::NotAProbability {
            index: 1,
            kind: "bernoulli",
            field: "p",
            value: 1.5
        })
    );
    let zero = unlimited().with(Impairment::DropData {
        stream_offset: 0,
        transmission: 0,
        conn: None,
    });
    assert_eq!(
        zero.validate(),
        Err(ImpairmentError::ZeroOrdinal {
            index: 0,
            kind: "drop-data",
            field: "transmission"
        })
    );
    let none = unlimited().with(Impairment::DropFlags {
        syn: false,
        fin: false,
        rst: false,
        occurrence: 1,
    });
    assert_eq!(none.validate(), Err(ImpairmentError::NoFlags { index: 0 }));
    let nan = unlimited().with(Impairment::Reorder {
        fraction: f64::NAN,
        extra_delay: SimDuration::ZERO,
    });
    assert!(nan.validate().is_err());
}

#[test]
fn unrelated_messages_are_ignored() {
    let mut b = Bench::new(unlimited());
    b.sim.schedule(SimTime::ZERO, b.link, Msg::AppClose(ConnId(1)));
    b.run();
    assert!(b.got().is_empty());
    assert_eq!(b.link().counters().packets_in, 0);
}

#[test]
fn same_seed_same_run_fingerprint() {
    let run = |seed| {
        let cfg = unlimited()
            .with(Impairment::Bernoulli { p: 0.1 })
            .with(Impairment::Reorder {
                fraction: 0.2,
                extra_delay: SimDuration(3 * SER_FULL),
            })
            .with(Impairment::Duplicate { p: 0.1 });
        let mut b = Bench::with_seed(cfg, seed);
        for n in 0..200 {
            b.send(n * SER_FULL / 2, full(n));
        }
        b.run();
        (b.sim.trace().fingerprint, b.arrivals())
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}
