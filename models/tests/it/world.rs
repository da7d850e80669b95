//! Worlds beyond two hosts: routing, router output queues, and independence of actors.

use crate::fixtures::{conn_spec, wire};
use models::record::{DropReason, WireEvent};
use models::testbed::Outcome;
use models::world::{Built, World};
use std::collections::BTreeMap;

/// Senders `a1` and `a2` (and `extra` hosts) behind router `r1`, a 10 Mbit/s bottleneck
/// `mid` with a `queue`-packet drop-tail queue to router `r2`, receiver `b`; connection `c1`
/// a1 → b and `c2` a2 → b, each sending `total` bytes.
fn dumbbell(queue: u32, total: u64, extra: &[&str]) -> World {
    let (access, bottleneck) = (wire(100, 1, 1000), wire(10, 10, queue));
    let mut w = World::new(7);
    w.host("a1").host("a2").host("b").router("r1").router("r2");
    w.duplex("e1", "a1", "r1", &access)
        .duplex("e2", "a2", "r1", &access)
        .duplex("mid", "r1", "r2", &bottleneck)
        .duplex("eb", "r2", "b", &access);
    for h in extra {
        w.host(*h).duplex(&format!("e-{h}"), h, "r1", &access);
    }
    w.conn("c1", "a1", "b", conn_spec(1, total))
        .conn("c2", "a2", "b", conn_spec(2, total));
    w
}

fn run(w: &World) -> (Built, Outcome) {
    let built = w.build().expect("a valid topology");
    let out = built.run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    (built, out)
}

/// Static routing (shortest path): every first transmission of a data segment of `c1` is
/// `Sent` on exactly the link directions of the path a1 → b, in that order, and nowhere else.
#[test]
fn a_packet_crosses_exactly_the_links_of_its_path_in_order() {
    let (built, out) = run(&dumbbell(1000, 200_000, &[]));
    let path = built.path("a1", "b").unwrap();
    assert_eq!(path, ["e1:a1->r1", "mid:r1->r2", "eb:r2->b"]);
    let mut hops: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for r in &out.log.wire {
        let p = &r.provenance;
        if p.conn.0 == 1 && r.header.len > 0 && p.tx_number == 0 && r.event == WireEvent::Sent {
            hops.entry(p.stream_offset)
                .or_default()
                .push(&out.links[usize::from(r.link.0)]);
        }
    }
    assert!(hops.len() > 100, "{} data segments", hops.len());
    for (offset, links) in &hops {
        assert_eq!(links, &path, "segment at stream offset {offset}");
    }
    // The ACKs come back the reverse way.
    assert_eq!(built.path("b", "a1").unwrap(), ["eb:b->r2", "mid:r2->r1", "e1:r1->a1"]);
    let (_, r1) = &out.routers[0];
    assert_eq!((r1.unroutable, out.routers[0].0.as_str()), (0, "r1"));
}

/// A router has one output queue per attached link: two 100 Mbit/s senders into the 10 Mbit/s
/// bottleneck overflow r1's queue towards `mid` (drops recorded there as `QueueFull`), while
/// the access links and the other direction drop nothing; both transfers still complete.
#[test]
fn router_output_queue_drops_only_at_the_bottleneck() {
    let (_, out) = run(&dumbbell(8, 300_000, &[]));
    let drops: BTreeMap<&str, u64> = out
        .links
        .iter()
        .zip(&out.link_counters)
        .map(|(name, c)| (name.as_str(), c.dropped.get(DropReason::QueueFull)))
        .collect();
    assert!(drops["mid:r1->r2"] > 0, "{drops:?}");
    for (name, n) in &drops {
        if *name != "mid:r1->r2" {
            assert_eq!(*n, 0, "{name} dropped: {drops:?}");
        }
    }
    // Eight waiting in the queue, one in serialization.
    assert_eq!(
        out.link_counters[out.links.iter().position(|l| l == "mid:r1->r2").unwrap()].max_queue_packets,
        9
    );
}

/// The wire events of a run, by link direction name (ids shift when actors are added).
fn traffic(out: &Outcome) -> BTreeMap<String, Vec<String>> {
    let mut by_link: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &out.log.wire {
        let line = format!("{} {:?} {:?} {:?}", r.time, r.event, r.header, r.provenance);
        by_link
            .entry(out.links[usize::from(r.link.0)].clone())
            .or_default()
            .push(line);
    }
    by_link
}

/// Streams are named, actors are ordered by name: a host `a0` that sorts before every other
/// actor and sends nothing shifts every actor id, yet every other link carries exactly the
/// same packets at the same instants, with lossy links drawing the same random numbers.
#[test]
fn an_idle_host_changes_no_other_actors_traffic() {
    let lossy = |mut w: World| {
        let loss = models::link::Impairment::Bernoulli { p: 0.02 };
        for l in w.links.iter_mut().filter(|l| l.name == "mid") {
            l.ab.impairments.push(loss.clone());
        }
        w
    };
    let (_, alone) = run(&lossy(dumbbell(20, 200_000, &[])));
    let (_, with_idle) = run(&lossy(dumbbell(20, 200_000, &["a0"])));
    assert_ne!(
        alone.trace.fingerprint, with_idle.trace.fingerprint,
        "actor ids did shift"
    );
    let mut idle = traffic(&with_idle);
    assert_eq!(idle.remove("e-a0:a0->r1"), None, "the idle host sent nothing");
    assert_eq!(idle.remove("e-a0:r1->a0"), None, "nothing was sent to it");
    assert!(alone.link_counters.iter().map(|c| c.dropped.random_loss).sum::<u64>() > 0);
    assert_eq!(traffic(&alone), idle);
    assert_eq!(alone.conns, with_idle.conns);
}

/// Bulk both ways between `a` and `b` (c1 a → b, c2 b → a): each host runs one sending and one
/// receiving endpoint. The sender samples of a connection (its congestion chart) come from
/// its data sender only: every sample's SndUna lies in the sender's own sequence space.
#[test]
fn sender_samples_of_a_bidirectional_pair_come_from_each_data_sender() {
    let mut w = World::new(3);
    w.host("a").host("b").duplex("l0", "a", "b", &wire(10, 5, 100));
    w.conn("c1", "a", "b", conn_spec(1, 100_000))
        .conn("c2", "b", "a", conn_spec(2, 100_000));
    let (_, out) = run(&w);
    for c in &out.conns {
        let samples: Vec<_> = out.log.cc.iter().filter(|s| s.conn == c.id).collect();
        assert!(samples.len() > 10, "{}: {} samples", c.name, samples.len());
        for s in samples {
            let from_isn = s.snd_una.0.wrapping_sub(c.isn.0.0);
            assert!(from_isn <= 100_002, "{}: a sample of the receiving end: {s:?}", c.name);
        }
    }
}

/// Routers forward along routes computed at build time; a segment that reaches a router
/// without a route is a wiring defect and ends the run with an error naming the router.
#[test]
fn a_segment_without_a_route_fails_the_run() {
    use models::msg::Msg;
    use models::router::Router;
    use models::segment::Segment;
    let mut sim: sim_core::Simulation<Msg> = sim_core::Simulation::new(1);
    let r = sim.add_actor("router r", Box::new(Router::new("r", BTreeMap::new())));
    let seg = Segment {
        dst_port: 5001,
        ..Segment::default()
    };
    sim.schedule(sim_core::SimTime::ZERO, r, Msg::Segment(Box::new(seg)));
    let err = sim.run().unwrap_err().to_string();
    assert!(err.contains("router r: no route for destination port 5001"), "{err}");
    assert_eq!(sim.actor::<Router>(r).unwrap().counters().unroutable, 1);
}

/// Cross traffic that comes and goes: with fixed 50 ms on and 150 ms off periods and 20 kB
/// bursts, 100 kB are written as five bursts of exactly 20 kB (16 KiB writes, the last one
/// cut to the burst), posted at the start of an on period every 200 ms.
#[test]
fn on_off_sender_writes_one_burst_per_on_period() {
    use models::app::{Period, WriteTiming};
    use sim_core::SimDuration;
    let mut t = crate::fixtures::bed(100_000);
    t.conns[0].bulk.timing = WriteTiming::OnOff {
        on: Period::Fixed(SimDuration::from_millis(50)),
        off: Period::Fixed(SimDuration::from_millis(150)),
        burst: 20_000,
    };
    let out = t.run();
    assert!(out.integrity_ok(), "{:?}", out.conns);
    let mut bursts: BTreeMap<u64, u64> = BTreeMap::new();
    for b in &out.log.buffers {
        *bursts.entry(b.posted_at.0).or_default() += u64::from(b.len);
    }
    let times: Vec<u64> = bursts.keys().copied().collect();
    assert_eq!(bursts.values().copied().collect::<Vec<_>>(), [20_000; 5]);
    for (k, t) in times.iter().enumerate() {
        assert_eq!(t - times[0], k as u64 * 200_000_000, "burst {k} at {t} ns");
    }
}

/// Exponential periods draw from the application's named stream: the same seed gives the
/// same bursts, and the bursts are not evenly spaced.
#[test]
fn on_off_exponential_periods_are_reproducible() {
    use models::app::{Period, WriteTiming};
    use sim_core::SimDuration;
    let mut t = crate::fixtures::bed(100_000);
    t.conns[0].bulk.timing = WriteTiming::OnOff {
        on: Period::Exponential(SimDuration::from_millis(20)),
        off: Period::Exponential(SimDuration::from_millis(100)),
        burst: 10_000,
    };
    let posted = |out: &Outcome| -> Vec<u64> {
        let mut v: Vec<u64> = out.log.buffers.iter().map(|b| b.posted_at.0).collect();
        v.dedup();
        v
    };
    let (a, b) = (t.run(), t.run());
    assert!(a.integrity_ok());
    assert_eq!(posted(&a), posted(&b));
    let p = posted(&a);
    let gaps: std::collections::BTreeSet<u64> = p.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(p.len() >= 10 && gaps.len() > 3, "{p:?}");
}

/// Constant-bit-rate cross traffic: 1210-byte payloads (1250 bytes on the wire) at 5 Mbit/s
/// leave every 2 ms exactly, 500 packets in the first second, along the path a2 → b, with no
/// congestion control; the TCP connections still complete intact through the loaded
/// bottleneck, and the flow's packets reach `b`'s link and are discarded there.
#[test]
fn cbr_flow_sends_at_its_rate_along_its_path() {
    use models::cbr::CbrConfig;
    use sim_core::SimTime;
    let mut w = dumbbell(1000, 200_000, &[]);
    w.cbr(
        "udp",
        "a2",
        "b",
        CbrConfig {
            payload: 1210,
            rate_bps: 5_000_000,
            start: SimTime::ZERO,
            stop: Some(SimTime(1_000_000_000)),
        },
    );
    let (built, out) = run(&w);
    let flow = &out.flows[0];
    assert_eq!((flow.name.as_str(), flow.sent), ("udp", 500));
    let sent_at: Vec<(u64, &str)> = out
        .log
        .wire
        .iter()
        .filter(|r| r.provenance.conn == flow.id && r.event == WireEvent::Sent)
        .map(|r| (r.time.0, out.links[usize::from(r.link.0)].as_str()))
        .collect();
    let first_hop: Vec<u64> = sent_at
        .iter()
        .filter(|(_, l)| *l == "e2:a2->r1")
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(first_hop.len(), 500);
    assert!(first_hop.iter().enumerate().all(|(k, t)| *t == k as u64 * 2_000_000));
    let path = built.path("a2", "b").unwrap();
    for hop in &path {
        assert_eq!(sent_at.iter().filter(|(_, l)| l == hop).count(), 500, "{hop}");
    }
    assert_eq!(sent_at.len(), 500 * path.len(), "nowhere else");
}

/// A world is not limited to 9,999 connections: 10,001 connections (the largest id
/// included) from three hosts through a router all deliver every byte; the server end of
/// every connection a host serves listens on that host's one port and each client end has
/// its own, so every 4-tuple is distinct and the router's table has a route per port.
#[test]
fn ten_thousand_connections_share_a_router_and_deliver_every_byte() {
    use models::world::MAX_CONN_ID;
    let access = wire(1000, 1, 100_000);
    let mut w = World::new(3);
    w.host("a1").host("a2").host("b").router("r");
    for h in ["a1", "a2", "b"] {
        w.duplex(&format!("e-{h}"), h, "r", &access);
    }
    let ids = (1..=10_000).chain([MAX_CONN_ID]);
    for (k, id) in ids.enumerate() {
        let client = if k % 2 == 0 { "a1" } else { "a2" };
        w.conn(format!("c{id}"), client, "b", conn_spec(id, 100));
    }
    let (_, out) = run(&w);
    assert_eq!(out.conns.len(), 10_001);
    let server_ports: std::collections::BTreeSet<u16> = out.conns.iter().map(|c| c.ports.1).collect();
    assert_eq!(server_ports.len(), 1, "b listens on one port");
    let tuples: std::collections::BTreeSet<(&str, u16, &str, u16)> = out
        .conns
        .iter()
        .map(|c| (c.client.as_str(), c.ports.0, c.server.as_str(), c.ports.1))
        .collect();
    assert_eq!(tuples.len(), 10_001, "every 4-tuple is distinct");
    assert!(out.conns.iter().all(|c| c.delivered == 100));
    assert_eq!(out.routers[0].1.unroutable, 0);
}

/// A connection id above the largest is refused with the rule that limits it.
#[test]
fn a_connection_id_beyond_the_port_range_is_refused() {
    let mut w = dumbbell(10, 1000, &[]);
    w.conn("c3", "a1", "b", conn_spec(models::world::MAX_CONN_ID + 1, 1000));
    let err = w.build().map(|_| ()).expect_err("refused").to_string();
    assert!(
        err.contains("is outside 1..=40000 (its client port is 10000 + id - 1)"),
        "{err}"
    );
}

/// Chunk sizes a run hands to its record sink, and the chunks concatenated.
#[derive(Default)]
struct Chunks {
    sizes: Vec<(sim_core::SimTime, usize)>,
    log: models::record::RunLog,
}

impl models::record::RecordSink for Chunks {
    fn chunk(&mut self, log: &mut models::record::RunLog, through: sim_core::SimTime) {
        self.sizes.push((through, log.wire.len()));
        self.log.append(log);
        if through == sim_core::SimTime::MAX {
            self.log.order_buffers();
        }
    }
}

/// A record sink that settles the chunks itself (as one on its own thread does).
#[derive(Default)]
struct SettlingChunks(models::record::RunLog);

impl models::record::RecordSink for SettlingChunks {
    fn chunk(&mut self, log: &mut models::record::RunLog, through: sim_core::SimTime) {
        assert!(log.wire.is_empty(), "handed over unmerged");
        log.settle();
        self.0.append(log);
        if through == sim_core::SimTime::MAX {
            self.0.order_buffers();
        }
    }

    fn settles(&self) -> bool {
        true
    }
}

/// Chunks handed over unsettled and settled by their sink are the chunks the run settles:
/// forty connections whose sinks record deliveries at the same instants, and a sink that
/// reads at its own rate.
#[test]
fn chunks_a_sink_settles_itself_are_the_whole_log() {
    let mut w = World::new(3);
    w.host("a").host("b").duplex("l", "a", "b", &wire(100_000, 1, 10_000));
    for id in 1..=40 {
        let mut spec = conn_spec(id, 200_000);
        if id % 8 == 0 {
            spec.read_rate = models::app::ReadRate::Limited(2_000_000);
        }
        w.conn(format!("c{id}"), "a", "b", spec);
    }
    let (built, whole) = run(&w);
    assert!(!whole.log.delivery.is_empty() && !whole.log.wire.is_empty() && !whole.log.reads.is_empty());
    let mut chunks = SettlingChunks::default();
    let streamed = built.run_streamed_in_slices(&mut chunks, sim_core::SimDuration::from_millis(1));
    assert_eq!(streamed.trace.fingerprint, whole.trace.fingerprint);
    assert!(
        chunks.0 == whole.log,
        "the settled chunks concatenated are the whole log"
    );
}

/// A record sink that reads no queue samples.
#[derive(Default)]
struct NoQueue(models::record::RunLog);

impl models::record::RecordSink for NoQueue {
    fn chunk(&mut self, log: &mut models::record::RunLog, through: sim_core::SimTime) {
        self.0.append(log);
        if through == sim_core::SimTime::MAX {
            self.0.order_buffers();
        }
    }

    fn wants_queue(&self) -> bool {
        false
    }
}

/// Each chunk's send-buffer records, with the chunk's `through`.
#[derive(Default)]
struct BufferChunks(Vec<(sim_core::SimTime, Vec<models::record::BufferRecord>)>);

impl models::record::RecordSink for BufferChunks {
    fn chunk(&mut self, log: &mut models::record::RunLog, through: sim_core::SimTime) {
        self.0.push((through, std::mem::take(&mut log.buffers)));
    }
}

/// A send buffer's record comes in the chunk of the slice it ended in, final, and those of
/// the buffers still pending come last: the host holds only pending buffers, not every write
/// of the run. Together they are the whole log's, ordered by (connection, buffer).
#[test]
fn a_buffer_record_comes_in_the_chunk_it_ended_in() {
    use models::record::BufferEnd;
    // The run stops before the transfer ends: some buffers are still pending.
    let mut w = dumbbell(20, 2_000_000, &[]);
    w.limits(sim_core::Limits {
        max_time: Some(sim_core::SimTime(1_000_000_000)),
        max_events: None,
    });
    let built = w.build().unwrap();
    let whole = built.run();
    let mut chunks = BufferChunks::default();
    built.run_streamed_in_slices(&mut chunks, sim_core::SimDuration::from_millis(10));
    let (last, before) = chunks.0.split_last().expect("chunks");
    let mut previous = sim_core::SimTime::ZERO;
    for (through, bufs) in before {
        for b in bufs {
            assert!(b.end != BufferEnd::Pending, "{b:?} came before it ended");
            let ended = b.ended_at.expect("an ended buffer has its end time");
            assert!(
                previous < ended && ended <= *through,
                "{b:?} not in its slice ({previous:?}, {through:?}]"
            );
        }
        assert!(bufs.is_sorted_by_key(|b| (b.conn, b.buf)), "a chunk orders its buffers");
        previous = *through;
    }
    let streamed: usize = before.iter().map(|(_, b)| b.len()).sum();
    assert!(streamed > 0, "buffers ended during the run came before the last chunk");
    assert!(
        last.1.iter().any(|b| b.end == BufferEnd::Pending),
        "the pending buffers come last"
    );
    let mut all: Vec<_> = chunks.0.into_iter().flat_map(|(_, b)| b).collect();
    all.sort_by_key(|b| (b.conn, b.buf));
    assert_eq!(all, whole.log.buffers, "the whole log's, in its order");
}

/// Recording is not simulation: a sink that reads no queue samples gets none, and the run
/// and every other record are those of a run that records them.
#[test]
fn a_sink_that_reads_no_queue_samples_gets_none_and_the_same_run() {
    let (built, whole) = run(&dumbbell(20, 200_000, &[]));
    assert!(!whole.log.queue.is_empty(), "a run records queue samples by default");
    let mut sink = NoQueue::default();
    let streamed = built.run_streamed(&mut sink);
    assert_eq!(streamed.trace.fingerprint, whole.trace.fingerprint);
    assert!(sink.0.queue.is_empty(), "no queue sample recorded");
    let mut expected = whole.log.clone();
    expected.queue.clear();
    assert!(sink.0 == expected, "every other record as in the run that records them");
}

#[test]
fn record_chunks_follow_the_record_rate_not_the_slice_length() {
    // 80 MB at 10 Gbit/s (~180,000 wire records): a 100 ms slice (RECORD_SLICE) would hold
    // nearly all of them.
    // Slices halve while a chunk is over RECORD_CHUNK_TARGET and double while under a
    // quarter of it, so memory for records follows the target at any rate; the chunks
    // concatenated are the whole-run log.
    use models::testbed::{RECORD_CHUNK_TARGET, RECORD_SLICE};
    let mut w = World::new(3);
    w.host("a").host("b").duplex("l", "a", "b", &wire(10_000, 1, 10_000));
    w.conn("c1", "a", "b", conn_spec(1, 80_000_000));
    let (built, whole) = run(&w);
    let mut chunks = Chunks::default();
    let streamed = built.run_streamed(&mut chunks);
    assert_eq!(streamed.trace.fingerprint, whole.trace.fingerprint);
    assert!(chunks.log == whole.log, "the chunks concatenated are the whole log");
    let total: usize = chunks.sizes.iter().map(|c| c.1).sum();
    assert!(
        total > 2 * RECORD_CHUNK_TARGET,
        "{total} records: too few to need halving"
    );
    let largest = chunks.sizes.iter().map(|c| c.1).max().unwrap();
    assert!(
        largest <= 2 * RECORD_CHUNK_TARGET,
        "largest chunk {largest}: {:?}",
        chunks.sizes
    );
    // The first slice is the shortest one; later ones grow while the link is idle (the
    // handshake) and shrink at full rate.
    assert_eq!(chunks.sizes[0].0, sim_core::SimTime(RECORD_SLICE.as_nanos() / 1024));
    let lengths: Vec<u64> = chunks.sizes.windows(2).map(|p| p[1].0.0 - p[0].0.0).collect();
    assert!(lengths.iter().any(|l| *l < RECORD_SLICE.as_nanos() / 8), "{lengths:?}");
}

/// A slice that handled RECORD_CHUNK_EVENTS kernel events ends early, after the last event
/// time it handled: with 10 s slices (the first ~10 ms long, so each would hold the whole
/// transfer) the 80 MB of forty connections starting at once over 100 Gbit/s still come in
/// chunks of at most the budget's records, and the chunks concatenated are the whole-run log
/// of the same run.
#[test]
fn a_burst_too_fast_for_the_slice_length_is_cut_by_the_event_budget() {
    use models::testbed::{RECORD_CHUNK_EVENTS, RECORD_CHUNK_TARGET};
    let mut w = World::new(3);
    w.host("a").host("b").duplex("l", "a", "b", &wire(100_000, 1, 10_000));
    for id in 1..=40 {
        w.conn(format!("c{id}"), "a", "b", conn_spec(id, 2_000_000));
    }
    let (built, whole) = run(&w);
    let mut chunks = Chunks::default();
    let streamed = built.run_streamed_in_slices(&mut chunks, sim_core::SimDuration::from_secs(10));
    assert_eq!(streamed.trace.fingerprint, whole.trace.fingerprint);
    assert!(chunks.log == whole.log, "the chunks concatenated are the whole log");
    assert!(
        whole.trace.events > 6 * RECORD_CHUNK_TARGET as u64,
        "{} events: too few to spend the budget",
        whole.trace.events
    );
    let largest = chunks.sizes.iter().map(|c| c.1).max().unwrap();
    assert!(
        largest as u64 <= RECORD_CHUNK_EVENTS,
        "largest chunk {largest}: {:?}",
        chunks.sizes
    );
}

#[test]
fn merging_wire_lists_gives_the_stable_sort_of_their_concatenation() {
    use models::record::{LinkId, WireRecord, merge_wire};
    let (_, out) = run(&dumbbell(20, 200_000, &[]));
    // One list per link direction (as each link actor records), a record copied into
    // the next list with the same key (a tie, told apart by its link), and one list whose
    // records of an event come out of time order.
    let mut parts: Vec<Vec<WireRecord>> = vec![Vec::new(); 9];
    for w in &out.log.wire {
        let k = usize::from(w.link.0) % 8;
        parts[k].push(*w);
        if w.event_index % 5 == 0 {
            parts[k + 1].push(WireRecord { link: LinkId(99), ..*w });
        }
    }
    parts[3].reverse();
    let mut expected: Vec<WireRecord> = parts.concat();
    expected.sort_by_key(|w| (w.event_index, w.time));
    let mut merged = Vec::new();
    merge_wire(&mut parts, &mut merged);
    assert!(merged == expected);
    assert!(parts.iter().all(Vec::is_empty));
}

#[test]
fn merging_a_single_wire_list_sorts_it_and_empties_it() {
    use models::record::{WireRecord, merge_wire};
    let (_, out) = run(&dumbbell(20, 200_000, &[]));
    let mut list: Vec<WireRecord> = out.log.wire.clone();
    list.reverse();
    let mut expected = list.clone();
    expected.sort_by_key(|w| (w.event_index, w.time));
    // The one list with records among empty ones, into an empty list and into one with
    // records already.
    let mut parts = vec![Vec::new(), list.clone(), Vec::new()];
    let mut merged = Vec::new();
    merge_wire(&mut parts, &mut merged);
    assert!(merged == expected);
    assert!(parts.iter().all(Vec::is_empty));
    let mut parts = vec![list];
    let mut merged = vec![expected[0]];
    merge_wire(&mut parts, &mut merged);
    assert!(merged[1..] == expected[..] && merged[0] == expected[0]);
    assert!(parts[0].is_empty());
}
