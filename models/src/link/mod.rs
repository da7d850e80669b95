//! Links: one direction of a point-to-point link, with a rate, a propagation delay, a
//! drop-tail queue and an ordered list of impairments.
//!
//! Read first: [`LinkModel`] is the sans-IO core (`on_packet(now, seg) -> LinkOutcome`);
//! [`LinkActor`] wraps it for the kernel, forwards segments to the far end and records wire
//! events; [`impair`] holds the impairment models and their random streams.
//!
//! # What is modelled
//! - **Serialization**: a packet of `wire_len()` bytes occupies the transmitter for
//!   `ceil(wire_len * 8 * 10^9 / rate_bps)` ns, computed in integers ([`serialization_time`]).
//!   Packets are sent FIFO, back to back.
//! - **Propagation**: a fixed delay added after serialization; arrival = end of
//!   serialization + delay (+ a reordering model's extra delay).
//! - **Drop-tail queue**: the queue holds the packets waiting for serialization, limited in
//!   packets or in bytes ([`QueueLimit`]); the packet being serialized has left it (as with
//!   ns-3's `DropTailQueue` in front of a `PointToPointNetDevice`, or Linux's `pfifo`/`bfifo`
//!   in front of a NIC). Occupancy at `now` is exact: departures are kept in order and leave
//!   the link at the instant their serialization ends.
//! - **Impairments** ([`Impairment`]): random loss (Bernoulli, Gilbert–Elliott), scripted drops
//!   (by packet number, by stream offset and transmission, by flags), reordering, duplication,
//!   corruption. As in netem, they are decided when the packet enters the link, before the
//!   queue: a packet an impairment drops takes no queue space or link time, and a queue drop
//!   is recorded only for packets every impairment let through.
//! - **Run-time changes** ([`LinkControl`]): a new rate, delay or queue limit applies to the
//!   packets entering after the change; packets already queued keep the departure and arrival
//!   times computed when they entered (a lower delay can therefore reorder packets, as a route
//!   change would). A smaller queue limit evicts nothing; it only refuses new packets until
//!   the queue drains below it.
//!
//! # What is NOT modelled
//! No MTU or fragmentation (any segment size passes), no link-layer framing overhead beyond
//! the 40-byte IPv4+TCP header, no link-layer retransmission, no ECN marking, no AQM (RED,
//! CoDel), no per-flow or fair queuing (one FIFO for all connections), no priority, no
//! jitter other than [`Impairment::Reorder`], no bit errors as such (corruption is a flag the
//! receiver honours), no interaction between the two directions of a link (each direction is
//! its own [`LinkActor`]).
//!
//! # How a test can tell
//! Every delivery is exact to the nanosecond (see `tests.rs`); every packet gets exactly one
//! `Sent` or `Dropped(reason)` record at its ingress time and one `Delivered` record per
//! copy, stamped with its arrival time and the event index of the ingress event; and one
//! [`QueueSample`] of the occupancy it left behind.

pub mod impair;
#[cfg(test)]
mod tests;

pub use impair::{Impairment, ImpairmentError, stream_name};

use crate::msg::Msg;
use crate::record::{DropReason, LinkId, QueueSample, Recorder, SegmentHeader, WireEvent, WireRecord};
use crate::segment::Segment;
use impair::ImpairmentChain;
use serde::{Deserialize, Serialize};
use sim_core::{Actor, ActorId, Ctx, SimDuration, SimTime};
use std::collections::VecDeque;

/// How the drop-tail queue is limited. The queue holds the packets waiting for serialization,
/// not the one being serialized: a link holds at most the limit plus that one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QueueLimit {
    /// At most this many packets waiting (0 drops everything: every packet passes the queue).
    Packets(u32),
    /// At most this many wire bytes in total (a packet that would exceed it is dropped).
    Bytes(u64),
}

/// One link direction's configuration (the scenario crate maps RON onto it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// The direction's name, e.g. `a->b`; names its random streams, so keep it stable.
    pub name: String,
    /// Transmission rate [bit/s]; 0 means infinitely fast (no serialization delay).
    pub rate_bps: u64,
    /// Propagation delay \[ns\].
    pub delay: SimDuration,
    /// Drop-tail queue limit.
    pub queue: QueueLimit,
    /// Impairment models, applied in order (see [`impair`]).
    pub impairments: Vec<Impairment>,
}

impl LinkConfig {
    /// A link with no impairments.
    pub fn new(name: impl Into<String>, rate_bps: u64, delay: SimDuration, queue: QueueLimit) -> Self {
        LinkConfig {
            name: name.into(),
            rate_bps,
            delay,
            queue,
            impairments: Vec::new(),
        }
    }

    /// This config with `impairment` appended.
    pub fn with(mut self, impairment: Impairment) -> Self {
        self.impairments.push(impairment);
        self
    }

    /// Checks every impairment's parameters (probabilities in [0, 1], 1-based ordinals).
    /// Invalid values never panic at run time, but they rarely mean what was intended.
    pub fn validate(&self) -> Result<(), ImpairmentError> {
        self.impairments
            .iter()
            .enumerate()
            .try_for_each(|(i, imp)| imp.validate(i))
    }
}

/// A run-time change to a link direction (scenario timeline), applied when the link
/// receives [`Msg::LinkControl`]. Each applies to the packets entering after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LinkControl {
    /// New rate [bit/s] (0: infinitely fast).
    SetRate(u64),
    /// New propagation delay \[ns\].
    SetDelay(SimDuration),
    /// New queue limit (nothing already queued is evicted).
    SetQueue(QueueLimit),
    /// Replaces the impairment list. A model whose index and kind are unchanged continues
    /// its random stream (and its state, for the same target) with the new parameters.
    SetImpairments(Vec<Impairment>),
    /// Appends one impairment model to the list.
    AddImpairment(Impairment),
}

/// Serialization time of `wire_bytes` at `rate_bps` \[ns\]: `ceil(wire_bytes * 8 * 10^9 /
/// rate_bps)`, in integers; zero when the rate is 0 (infinitely fast); saturates at `u64::MAX`.
pub fn serialization_time(wire_bytes: u64, rate_bps: u64) -> SimDuration {
    if rate_bps == 0 {
        return SimDuration::ZERO;
    }
    let bits_ns = u128::from(wire_bytes) * 8 * 1_000_000_000;
    let ns = bits_ns.div_ceil(u128::from(rate_bps));
    SimDuration(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// Packets dropped by a link, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCounts {
    /// Drop-tail queue full.
    pub queue_full: u64,
    /// Bernoulli random loss.
    pub random_loss: u64,
    /// Gilbert–Elliott burst loss.
    pub burst_loss: u64,
    /// Scripted drop rules.
    pub scripted: u64,
}

impl DropCounts {
    /// The count for one reason.
    pub fn get(&self, reason: DropReason) -> u64 {
        match reason {
            DropReason::QueueFull => self.queue_full,
            DropReason::RandomLoss => self.random_loss,
            DropReason::BurstLoss => self.burst_loss,
            DropReason::Scripted => self.scripted,
        }
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.queue_full + self.random_loss + self.burst_loss + self.scripted
    }

    fn bump(&mut self, reason: DropReason) {
        let c = match reason {
            DropReason::QueueFull => &mut self.queue_full,
            DropReason::RandomLoss => &mut self.random_loss,
            DropReason::BurstLoss => &mut self.burst_loss,
            DropReason::Scripted => &mut self.scripted,
        };
        *c += 1;
    }
}

/// What a link direction did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCounters {
    /// Packets that arrived at the link (accepted or dropped).
    pub packets_in: u64,
    /// Their wire bytes.
    pub bytes_in: u64,
    /// Packets accepted into the queue.
    pub accepted: u64,
    /// Their wire bytes (what the link transmits).
    pub bytes_accepted: u64,
    /// Packets dropped, by reason.
    pub dropped: DropCounts,
    /// Copies scheduled for delivery (originals plus duplicates).
    pub delivered: u64,
    /// Duplicate copies made.
    pub duplicated: u64,
    /// Packets delivered corrupted.
    pub corrupted: u64,
    /// Packets given extra delay by a reordering model.
    pub delayed_for_reorder: u64,
    /// Largest queue occupancy seen \[packets\], the packet in serialization included.
    pub max_queue_packets: u64,
    /// Largest queue occupancy seen [wire bytes].
    pub max_queue_bytes: u64,
}

/// One copy of an accepted packet, to deliver to the far end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// When it arrives at the far end.
    pub arrival: SimTime,
    /// Deliver it with `corrupted = true`.
    pub corrupted: bool,
    /// It is the duplicate copy (delivered after the original).
    pub duplicate: bool,
}

/// What the link does with one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Dropped at ingress.
    Dropped(DropReason),
    /// Accepted: the original copy, and a duplicate if a duplication model made one.
    Delivered {
        /// The original.
        original: Delivery,
        /// The duplicate, if any (same arrival time, intact).
        duplicate: Option<Delivery>,
    },
}

impl LinkOutcome {
    /// The copies to deliver, original first.
    pub fn deliveries(&self) -> impl Iterator<Item = Delivery> {
        let (a, b) = match *self {
            LinkOutcome::Dropped(_) => (None, None),
            LinkOutcome::Delivered { original, duplicate } => (Some(original), duplicate),
        };
        a.into_iter().chain(b)
    }

    /// Why the packet was dropped, if it was.
    pub fn drop_reason(&self) -> Option<DropReason> {
        match self {
            LinkOutcome::Dropped(r) => Some(*r),
            LinkOutcome::Delivered { .. } => None,
        }
    }
}

/// Queue occupancy at some instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Packets waiting or in serialization.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
}

/// The sans-IO link direction: decides each packet's fate and arrival time. It reads no
/// clock (the caller passes `now`, which must not go backwards) and draws only from its
/// impairments' named streams.
#[derive(Clone, Debug)]
pub struct LinkModel {
    config: LinkConfig,
    chain: ImpairmentChain,
    /// (end of serialization, wire bytes) of each queued packet, in departure order.
    departures: VecDeque<(SimTime, u64)>,
    /// Sum of the wire bytes in `departures`.
    queued_bytes: u64,
    /// When the transmitter finishes the last accepted packet.
    busy_until: SimTime,
    counters: LinkCounters,
}

impl LinkModel {
    /// A link direction of the run seeded with `run_seed`.
    pub fn new(config: LinkConfig, run_seed: u64) -> Self {
        let chain = ImpairmentChain::new(run_seed, &config.name, &config.impairments);
        LinkModel {
            config,
            chain,
            departures: VecDeque::new(),
            queued_bytes: 0,
            busy_until: SimTime::ZERO,
            counters: LinkCounters::default(),
        }
    }

    /// The current configuration (run-time changes included).
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// What the link has done so far.
    pub fn counters(&self) -> &LinkCounters {
        &self.counters
    }

    /// Queue occupancy at `now` (packets whose serialization ends after `now`).
    pub fn occupancy(&self, now: SimTime) -> Occupancy {
        // After `on_packet` (the common caller) nothing departed by `now` is left: the front
        // answers without a search of the whole queue.
        let gone = match self.departures.front() {
            Some(&(t, _)) if t <= now => self.departures.partition_point(|&(t, _)| t <= now),
            _ => 0,
        };
        let departed: u64 = self.departures.iter().take(gone).map(|&(_, b)| b).sum();
        Occupancy {
            packets: (self.departures.len() - gone) as u64,
            bytes: self.queued_bytes - departed,
        }
    }

    /// A packet enters the link at `now`: judged by every impairment (in order, each drawing
    /// its fixed number of values), then offered to the drop-tail queue.
    pub fn on_packet(&mut self, now: SimTime, seg: &Segment) -> LinkOutcome {
        self.drain(now);
        let wire = u64::from(seg.wire_len());
        let c = &mut self.counters;
        c.packets_in += 1;
        c.bytes_in += wire;
        let effect = match self.chain.judge(seg) {
            Ok(effect) => effect,
            Err(reason) => return self.dropped(reason),
        };
        // After `drain`, the first departure is the packet in serialization: it has left the
        // queue, the others wait in it.
        let serializing = self.departures.front().map_or(0, |&(_, b)| b);
        let waiting = self.departures.len().saturating_sub(1);
        let fits = match self.config.queue {
            QueueLimit::Packets(n) => waiting < n as usize,
            QueueLimit::Bytes(n) => (self.queued_bytes - serializing).saturating_add(wire) <= n,
        };
        if !fits {
            return self.dropped(DropReason::QueueFull);
        }
        let start = now.max(self.busy_until);
        let done = start.saturating_add(serialization_time(wire, self.config.rate_bps));
        self.busy_until = done;
        self.departures.push_back((done, wire));
        self.queued_bytes += wire;
        let arrival = done.saturating_add(self.config.delay + effect.extra_delay);

        let c = &mut self.counters;
        c.accepted += 1;
        c.bytes_accepted += wire;
        c.max_queue_packets = c.max_queue_packets.max(self.departures.len() as u64);
        c.max_queue_bytes = c.max_queue_bytes.max(self.queued_bytes);
        c.delivered += 1 + u64::from(effect.duplicate);
        c.duplicated += u64::from(effect.duplicate);
        c.corrupted += u64::from(effect.corrupt);
        c.delayed_for_reorder += u64::from(effect.extra_delay > SimDuration::ZERO);
        LinkOutcome::Delivered {
            original: Delivery {
                arrival,
                corrupted: effect.corrupt,
                duplicate: false,
            },
            duplicate: effect.duplicate.then_some(Delivery {
                arrival,
                corrupted: false,
                duplicate: true,
            }),
        }
    }

    /// Applies a run-time change (to the packets entering after it).
    pub fn apply(&mut self, control: LinkControl) {
        match control {
            LinkControl::SetRate(rate) => self.config.rate_bps = rate,
            LinkControl::SetDelay(delay) => self.config.delay = delay,
            LinkControl::SetQueue(limit) => self.config.queue = limit,
            LinkControl::SetImpairments(list) => {
                self.chain.replace(&list);
                self.config.impairments = list;
            }
            LinkControl::AddImpairment(imp) => {
                self.chain.push(imp.clone());
                self.config.impairments.push(imp);
            }
        }
    }

    /// Removes the packets whose serialization ended by `now`.
    fn drain(&mut self, now: SimTime) {
        while let Some(&(t, bytes)) = self.departures.front() {
            if t > now {
                break;
            }
            self.departures.pop_front();
            self.queued_bytes -= bytes;
        }
    }

    fn dropped(&mut self, reason: DropReason) -> LinkOutcome {
        self.counters.dropped.bump(reason);
        LinkOutcome::Dropped(reason)
    }
}

/// The header fields of `seg`, as recorded.
pub fn header_of(seg: &Segment) -> SegmentHeader {
    SegmentHeader {
        src_port: seg.src_port,
        dst_port: seg.dst_port,
        seq: seg.seq,
        ack: seg.ack,
        flags: seg.flags,
        window: seg.window,
        len: seg.len(),
        stream_offset: seg.provenance.stream_offset,
        sack_blocks: u8::try_from(seg.options.sack_blocks.len().min(4)).unwrap_or(4),
        sack: std::array::from_fn(|i| seg.options.sack_blocks.get(i).copied().unwrap_or_default()),
        mss: seg.options.mss,
        window_scale: seg.options.window_scale,
        sack_permitted: seg.options.sack_permitted,
        timestamp: seg.options.timestamp,
    }
}

/// A link direction as a kernel actor: receives [`Msg::Segment`] from a sender and delivers
/// it to its far end with [`Ctx::send_at`] at the arrival time; applies
/// [`Msg::LinkControl`]; ignores other messages. Records every wire event.
#[derive(Debug)]
pub struct LinkActor {
    id: LinkId,
    far_end: ActorId,
    model: LinkModel,
    recorder: Recorder,
    /// Records a queue sample per packet entering the link (see
    /// [`crate::record::RecordSink::wants_queue`]).
    queue_samples: bool,
}

impl LinkActor {
    /// Link direction `id`, delivering to `far_end`, in the run seeded with `run_seed`
    /// (use the simulation's seed so its streams are the run's).
    pub fn new(id: LinkId, config: LinkConfig, run_seed: u64, far_end: ActorId) -> Self {
        LinkActor {
            id,
            far_end,
            model: LinkModel::new(config, run_seed),
            recorder: Recorder::default(),
            queue_samples: true,
        }
    }

    /// The link records no queue samples (nothing reads them: see
    /// [`crate::record::RecordSink::wants_queue`]).
    pub fn without_queue_samples(mut self) -> Self {
        self.queue_samples = false;
        self
    }

    /// The direction's id, as stamped on its wire records.
    pub fn id(&self) -> LinkId {
        self.id
    }

    /// The sans-IO core (configuration, occupancy).
    pub fn model(&self) -> &LinkModel {
        &self.model
    }

    /// What the link has done so far.
    pub fn counters(&self) -> &LinkCounters {
        self.model.counters()
    }

    /// The wire events recorded so far.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
    /// What was recorded since the last slice, in place: the run moves the records out and
    /// the lists keep their capacity.
    pub fn recorder_mut(&mut self) -> &mut Recorder {
        &mut self.recorder
    }

    fn record(&mut self, time: SimTime, event_index: u64, event: WireEvent, seg: &Segment) {
        self.recorder.wire.push(WireRecord {
            time,
            event_index,
            link: self.id,
            event,
            header: header_of(seg),
            provenance: seg.provenance,
        });
    }

    fn on_segment(&mut self, ctx: &mut Ctx<'_, Msg>, mut seg: Box<Segment>) {
        let (now, index) = (ctx.now(), ctx.event_index());
        let outcome = self.model.on_packet(now, &seg);
        if self.queue_samples {
            let occupancy = self.model.occupancy(now);
            self.recorder.queue.push(QueueSample {
                time: now,
                link: self.id,
                packets: occupancy.packets,
                bytes: occupancy.bytes,
            });
        }
        let (original, duplicate) = match outcome {
            LinkOutcome::Dropped(reason) => {
                self.record(now, index, WireEvent::Dropped(reason), &seg);
                return;
            }
            LinkOutcome::Delivered { original, duplicate } => (original, duplicate),
        };
        self.record(now, index, WireEvent::Sent, &seg);
        // The copy is taken before corruption: the duplicate stays intact.
        let copy = duplicate.map(|d| (d, Box::new(seg.as_ref().clone())));
        seg.corrupted |= original.corrupted;
        let event = WireEvent::Delivered {
            corrupted: seg.corrupted,
            duplicate: false,
        };
        self.record(original.arrival, index, event, &seg);
        ctx.send_at(self.far_end, original.arrival, Msg::Segment(seg));
        if let Some((d, copy)) = copy {
            let event = WireEvent::Delivered {
                corrupted: copy.corrupted,
                duplicate: true,
            };
            self.record(d.arrival, index, event, &copy);
            // Scheduled after the original, so it arrives right after it at the same instant.
            ctx.send_at(self.far_end, d.arrival, Msg::Segment(copy));
        }
    }
}

impl Actor<Msg> for LinkActor {
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        match msg {
            Msg::Segment(seg) => self.on_segment(ctx, seg),
            Msg::LinkControl(control) => self.model.apply(*control),
            // Every other message is for stacks, targets or applications, not links.
            _ => {}
        }
    }
}
