//! What the actors record during a run, for reports: wire events per link direction,
//! congestion-control samples, send-buffer lifetimes, offload/upload events, deliveries.
//!
//! Each actor keeps its own [`Recorder`]; the wiring takes them every slice of simulated time
//! ([`crate::testbed::RECORD_SLICE`]), merges them into one [`RunLog`] chunk ordered by kernel
//! event index (the order things happened) and hands the chunk to a [`RecordSink`]: a
//! consumer that writes results as the run goes (memory bounded by a slice, not by the run),
//! or a [`RunLog`] that keeps everything (the chunks concatenated are the whole-run log).

use crate::segment::{BufId, ConnId, Flags, Provenance, Sender};
use crate::seq::SeqNum;
use serde::{Deserialize, Serialize};
use sim_core::SimTime;

/// Identifies one link direction (its index in the scenario's list of link directions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkId(pub u16);

/// Why a link dropped a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DropReason {
    /// The drop-tail queue was full.
    QueueFull,
    /// Bernoulli random loss.
    RandomLoss,
    /// Gilbert–Elliott burst loss.
    BurstLoss,
    /// A scripted drop rule.
    Scripted,
}

/// What happened to a segment at a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WireEvent {
    /// Entered the link (accepted into its queue).
    Sent,
    /// Dropped at the link's ingress.
    Dropped(DropReason),
    /// Delivered to the far end (`corrupted`: the receiver will discard it).
    Delivered {
        /// Corrupted in transit.
        corrupted: bool,
        /// A duplicate made by the link.
        duplicate: bool,
    },
}

/// The header fields of a segment, as recorded (payload bytes are regenerated from
/// [`crate::pattern`] when a pcap is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SegmentHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: SeqNum,
    /// Acknowledgment number.
    pub ack: SeqNum,
    /// Flags.
    pub flags: Flags,
    /// Raw window field.
    pub window: u16,
    /// Payload length.
    pub len: u32,
    /// Stream offset of the first payload byte (for regenerating the payload).
    pub stream_offset: u64,
    /// SACK blocks carried (count).
    pub sack_blocks: u8,
    /// The first `sack_blocks` of these are the SACK blocks carried, [left, right) (RFC 2018;
    /// at most 4).
    #[serde(default)]
    pub sack: [(SeqNum, SeqNum); 4],
    /// MSS option (SYN segments).
    #[serde(default)]
    pub mss: Option<u16>,
    /// Window-scale option (SYN segments, RFC 7323).
    #[serde(default)]
    pub window_scale: Option<u8>,
    /// SACK-permitted option (SYN segments, RFC 2018).
    #[serde(default)]
    pub sack_permitted: bool,
    /// Timestamps option (RFC 7323): (TSval, TSecr).
    #[serde(default)]
    pub timestamp: Option<(u32, u32)>,
}

/// One segment event at one link direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WireRecord {
    /// When.
    pub time: SimTime,
    /// Kernel event index of the event that caused it.
    pub event_index: u64,
    /// Which link direction.
    pub link: LinkId,
    /// What happened.
    pub event: WireEvent,
    /// The segment's header.
    pub header: SegmentHeader,
    /// Its provenance.
    pub provenance: Provenance,
}

/// Sender state sampled after each change (cwnd, ssthresh, RTT estimate, flight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CcSample {
    /// When.
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// Which side ran the connection's sender at that moment.
    pub sender: Sender,
    /// Congestion window [bytes].
    pub cwnd: u32,
    /// Slow-start threshold [bytes].
    pub ssthresh: u32,
    /// Smoothed RTT [ns] (0 before the first sample).
    pub srtt_ns: u64,
    /// Current RTO [ns], backoff included.
    pub rto_ns: u64,
    /// Bytes in flight: SndMax - SndUna.
    pub flight: u32,
    /// SndUna, SndNxt, SndMax.
    pub snd_una: SeqNum,
    /// See `snd_una`.
    pub snd_nxt: SeqNum,
    /// See `snd_una`.
    pub snd_max: SeqNum,
}

impl CcSample {
    /// Whether `other` shows the same sender state: what an actor compares before recording
    /// a new sample of a connection (it records only changes; see `EngineSlot::settle`).
    pub fn same_state(&self, other: &CcSample) -> bool {
        (
            self.cwnd,
            self.ssthresh,
            self.flight,
            self.srtt_ns,
            self.rto_ns,
            self.sender,
            self.snd_nxt,
        ) == (
            other.cwnd,
            other.ssthresh,
            other.flight,
            other.srtt_ns,
            other.rto_ns,
            other.sender,
            other.snd_nxt,
        )
    }
}

/// How a send buffer's life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BufferEnd {
    /// Every byte sent and cumulatively acknowledged (chimney rule 25 SUCCESS).
    Completed,
    /// Aborted (RST, chimney rule 40).
    Aborted,
    /// Still pending when the run ended.
    Pending,
}

/// The lifetime of one application send buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BufferRecord {
    /// Which connection.
    pub conn: ConnId,
    /// Which buffer.
    pub buf: BufId,
    /// Its length [bytes].
    pub len: u32,
    /// Stream offset of its first byte.
    pub stream_offset: u64,
    /// When the application posted it.
    pub posted_at: SimTime,
    /// When it was handed to the offload target (in the delegated chain or posted after).
    pub offloaded_at: Option<SimTime>,
    /// When it was returned to the host at upload.
    pub returned_at: Option<SimTime>,
    /// When it completed back to the application (or was aborted).
    pub ended_at: Option<SimTime>,
    /// How it ended.
    pub end: BufferEnd,
}

/// Offload lifecycle events.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OffloadEventKind {
    /// The host froze the connection and handed state and chain to the target.
    OffloadInitiated,
    /// The target accepted; it now runs the connection.
    OffloadCompleted,
    /// The target refused (chimney rule 37); the host keeps the connection.
    OffloadRefused {
        /// Why.
        reason: String,
    },
    /// An upload began (host action or target request, rule 27).
    UploadInitiated {
        /// Why (e.g. "scenario action", "TimeoutExpiration").
        reason: String,
    },
    /// The host took the connection back.
    UploadCompleted,
    /// The connection was aborted by an RST (rule 40).
    Aborted,
    /// The host stack ended the connection before it closed normally: its engine gave up
    /// (the retransmission limit, RFC 1122 §4.2.3.5 R2) and sent a reset, or a reset arrived.
    Ended {
        /// Why.
        reason: String,
    },
    /// A scenario action on the connection waits for the connection's current transition
    /// (nothing is silent: it takes effect later).
    ActionDeferred {
        /// The action ("offload", "upload").
        action: String,
        /// What it waits for.
        until: String,
    },
    /// A scenario action on the connection had no effect.
    ActionSkipped {
        /// The action ("offload", "upload").
        action: String,
        /// Why it did nothing.
        why: String,
    },
}

/// One offload lifecycle event, with the sequence state at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OffloadRecord {
    /// When.
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// What happened.
    pub kind: OffloadEventKind,
    /// SndUna at that moment.
    pub snd_una: SeqNum,
    /// SndNxt at that moment.
    pub snd_nxt: SeqNum,
    /// SndMax at that moment.
    pub snd_max: SeqNum,
}

/// Progress at the receiving application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// When.
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// Total in-order bytes delivered and verified so far.
    pub bytes: u64,
}

/// A link direction's queue occupancy, sampled when a packet arrives at the link (after it
/// was queued or dropped): the queue as arriving packets see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueueSample {
    /// When.
    pub time: SimTime,
    /// Which link direction.
    pub link: LinkId,
    /// Packets waiting or in serialization.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
}

/// What a retransmission timeout retransmitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RtoSegment {
    /// The SYN or SYN,ACK (handshake).
    Syn,
    /// Data (possibly with the FIN).
    Data,
    /// Only the FIN: every data byte was acknowledged.
    Fin,
}

/// One expiry of a retransmission timer (RFC 6298 §5.4-5.6), recorded by the engine's actor
/// (host stack or offload target) when the engine reports it. Expiries into a closed peer
/// window are not timeouts (the engine probes instead) and are not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RtoRecord {
    /// When.
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// Who ran the connection's sender.
    pub sender: Sender,
    /// Backoff exponent after the expiry (chimney `Retransmit.Count`).
    pub backoff: u32,
    /// What was retransmitted.
    pub segment: RtoSegment,
}

/// Received payload a TCP receiver did not keep because it lay beyond the advertised window
/// (a zero-window probe, a segment overrunning the window), recorded by the receiving actor at
/// the segment's arrival. Reports use it so that such bytes do not count as "held".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiscardRecord {
    /// When (the arrival time).
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// First discarded byte, as a receive stream offset.
    pub from: u64,
    /// One past the last discarded byte.
    pub to: u64,
}

/// Progress of a rate-limited reader: what the application has read out of the receive buffer
/// (as opposed to [`DeliveryRecord`], what TCP delivered into it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadRecord {
    /// When.
    pub time: SimTime,
    /// Which connection.
    pub conn: ConnId,
    /// Total bytes the application has read so far.
    pub bytes: u64,
}

/// One entry of the scenario's timeline, as declared (for the `actions` list of `summary.json`:
/// nothing is silent, an action that never fired or had no effect is listed as such).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Position in the timeline.
    pub index: u32,
    /// The action as its executor names it ([`crate::msg::Action::name`]).
    pub action: String,
    /// The timeline step, for display (e.g. `PeerClose(1)`).
    pub step: String,
    /// The connection it acts on, if any.
    pub conn: Option<ConnId>,
    /// When it was to fire (e.g. `at 300 ms`, `on InFastRecovery`).
    pub trigger: String,
}

/// A timeline entry fired: its action reached its executor at `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TriggerRecord {
    /// When the action reached its executor.
    pub time: SimTime,
    /// [`TimelineEntry::index`].
    pub index: u32,
}

/// An actor's recording during a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recorder {
    /// Wire events (links).
    pub wire: Vec<WireRecord>,
    /// Wire events not merged into `wire` yet ([`Recorder::settle`] merges them): a chunk
    /// taken from the actors but not settled. Empty lists here are spares, kept for their
    /// capacity.
    #[serde(skip)]
    pub wire_parts: WireParts,
    /// Sender samples (host stacks, targets).
    pub cc: Vec<CcSample>,
    /// Buffer lifetimes (host stacks).
    pub buffers: Vec<BufferRecord>,
    /// Offload lifecycle (host stacks, targets).
    pub offload: Vec<OffloadRecord>,
    /// Deliveries (sinks).
    pub delivery: Vec<DeliveryRecord>,
    /// Queue occupancy samples (links).
    #[serde(default)]
    pub queue: Vec<QueueSample>,
    /// Reads of rate-limited sinks (empty for sinks that read at once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<ReadRecord>,
    /// Retransmission-timer expiries (host stacks, targets), SYN and FIN ones included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rto: Vec<RtoRecord>,
    /// Received payload not kept by its receiver (host stacks, targets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discards: Vec<DiscardRecord>,
    /// The scenario's timeline (the testbed).
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Timeline entries that fired (whoever fired them: the testbed for timed entries, the
    /// owner of the connection for conditional ones).
    #[serde(default)]
    pub triggers: Vec<TriggerRecord>,
}

/// Everything recorded in one run, merged from all actors.
pub type RunLog = Recorder;

/// Wire-record lists, one per actor in actor order, each in the actor's own order (see
/// [`merge_wire`]). Two are equal if they hold the same records in the same lists, whatever
/// empty lists they keep.
#[derive(Clone, Debug, Default)]
pub struct WireParts(pub Vec<Vec<WireRecord>>);

impl PartialEq for WireParts {
    fn eq(&self, other: &Self) -> bool {
        self.lists().eq(other.lists())
    }
}

impl WireParts {
    /// The lists that hold records.
    fn lists(&self) -> impl Iterator<Item = &Vec<WireRecord>> {
        self.0.iter().filter(|l| !l.is_empty())
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// Holds no record.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
}

impl Recorder {
    /// Wire records held, merged or not.
    pub fn wire_len(&self) -> usize {
        self.wire.len() + self.wire_parts.len()
    }

    /// Merges the unmerged wire records into `wire` ([`merge_wire`]; `wire` must hold none
    /// yet) and [sorts](Recorder::sort) the other lists: a chunk as [`RecordSink`]s take it.
    pub fn settle(&mut self) {
        if !self.wire_parts.is_empty() {
            debug_assert!(self.wire.is_empty(), "merged and unmerged wire records in one chunk");
            merge_wire(&mut self.wire_parts.0, &mut self.wire);
        }
        self.sort_but_wire();
    }

    /// Moves every record of `other` to the end of this recording's lists; `other` is left
    /// empty with a capacity, its own or this recording's (an actor recording slice after
    /// slice reuses its buffers).
    pub fn append(&mut self, other: &mut Recorder) {
        move_all(&mut self.wire, &mut other.wire);
        move_all(&mut self.cc, &mut other.cc);
        move_all(&mut self.buffers, &mut other.buffers);
        move_all(&mut self.offload, &mut other.offload);
        move_all(&mut self.delivery, &mut other.delivery);
        move_all(&mut self.queue, &mut other.queue);
        move_all(&mut self.reads, &mut other.reads);
        move_all(&mut self.rto, &mut other.rto);
        move_all(&mut self.discards, &mut other.discards);
        move_all(&mut self.timeline, &mut other.timeline);
        move_all(&mut self.triggers, &mut other.triggers);
    }

    /// Empties every list, keeping its capacity.
    pub fn clear(&mut self) {
        self.wire.clear();
        for p in &mut self.wire_parts.0 {
            p.clear();
        }
        self.cc.clear();
        self.buffers.clear();
        self.offload.clear();
        self.delivery.clear();
        self.queue.clear();
        self.reads.clear();
        self.rto.clear();
        self.discards.clear();
        self.timeline.clear();
        self.triggers.clear();
    }

    /// Orders every list by time (stable, so equal times keep actor order), wire events by
    /// kernel event index.
    pub fn sort(&mut self) {
        sort_by_key(&mut self.wire, |w| (w.event_index, w.time));
        self.sort_but_wire();
    }

    /// Orders the send-buffer records by (connection, buffer), as a chunk orders its own: the
    /// order of a whole run's, which come chunk by chunk as the buffers end (see
    /// [`RecordSink`]).
    pub fn order_buffers(&mut self) {
        sort_by_key(&mut self.buffers, |b| (b.conn, b.buf));
    }

    /// [`Recorder::sort`] but for `wire`.
    fn sort_but_wire(&mut self) {
        sort_by_key(&mut self.cc, |c| c.time);
        self.order_buffers();
        sort_by_key(&mut self.offload, |o| o.time);
        sort_by_key(&mut self.delivery, |d| d.time);
        sort_by_key(&mut self.queue, |q| (q.time, q.link));
        sort_by_key(&mut self.reads, |r| r.time);
        sort_by_key(&mut self.rto, |r| r.time);
        sort_by_key(&mut self.discards, |d| d.time);
        sort_by_key(&mut self.timeline, |e| e.index);
        sort_by_key(&mut self.triggers, |t| (t.time, t.index));
    }
}

/// The records of a world's sinks, in lists they all append to, each record with its sink's
/// place in actor order (why one set for all: taking every sink's own lists, chunk after
/// chunk, touched ten thousand sinks' memory per chunk, a cache miss each: ~3 % of a
/// 10,000-connection run).
#[derive(Debug, Default)]
pub struct SinkRecords {
    delivery: Vec<(u32, DeliveryRecord)>,
    reads: Vec<(u32, ReadRecord)>,
}

/// One [`SinkRecords`] shared by the sinks of a simulation (a simulation runs on one thread).
pub type SharedSinkRecords = std::rc::Rc<std::cell::RefCell<SinkRecords>>;

impl SinkRecords {
    /// A delivery recorded by the sink at `order` in actor order.
    pub fn delivered(&mut self, order: u32, r: DeliveryRecord) {
        self.delivery.push((order, r));
    }

    /// A read recorded by the sink at `order` in actor order.
    pub fn read(&mut self, order: u32, r: ReadRecord) {
        self.reads.push((order, r));
    }

    /// Moves the records to the end of `log`'s lists, in the order each sink's own lists
    /// appended in actor order and then sorted by time would give: by time, then sink, then
    /// event (the lists are in event order, and the sort is stable). Keeps the capacity.
    pub fn drain_into(&mut self, log: &mut Recorder) {
        sort_by_key(&mut self.delivery, |(k, d)| (d.time, *k));
        log.delivery.extend(self.delivery.drain(..).map(|(_, d)| d));
        sort_by_key(&mut self.reads, |(k, r)| (r.time, *k));
        log.reads.extend(self.reads.drain(..).map(|(_, r)| r));
    }
}

/// Moves every item of `from` to the end of `to`; into an empty `to` by exchanging the lists
/// (why: a copy is written to fresh memory: the last chunk's send-buffer records of a
/// 10,000-connection run, tens of megabytes, were copied and faulted in once more). `from` is
/// left empty, with `to`'s old capacity when they were exchanged.
fn move_all<T>(to: &mut Vec<T>, from: &mut Vec<T>) {
    if to.is_empty() && to.capacity() <= from.capacity() {
        std::mem::swap(to, from);
    } else {
        to.append(from);
    }
}

/// A stable sort that leaves a list already in order untouched: the standard one allocates
/// its scratch space (up to half the list) before it looks, and a chunk's lists mostly come
/// in order (a fresh multi-megabyte allocation per chunk was a fifth of a run's time, in
/// page faults).
fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    if !v.is_sorted_by_key(&key) {
        v.sort_by_key(key);
    }
}

/// Merges wire-record lists (one per actor, in actor order) into `out` in the order
/// [`Recorder::sort`] gives their concatenation: by (kernel event index, time), ties in actor
/// order. Each list is sorted first (a no-op pass for an actor's own list, which it appends in
/// event order); the merge then copies each record once instead of a sort's repeated passes,
/// and none when one list holds every record and `out` is empty (the lists are exchanged).
/// The lists are left empty, with a capacity.
pub fn merge_wire(parts: &mut [Vec<WireRecord>], out: &mut Vec<WireRecord>) {
    let key = |w: &WireRecord| (w.event_index, w.time);
    for p in parts.iter_mut() {
        sort_by_key(p, key);
    }
    // The lists with records left, and where each is read (why a list and not a heap: a
    // world has a few link directions, and the heads are compared in a scan).
    let mut live: Vec<(usize, usize)> = (0..parts.len())
        .filter(|&k| !parts[k].is_empty())
        .map(|k| (k, 0))
        .collect();
    if let [(k, _)] = live[..]
        && out.is_empty()
    {
        std::mem::swap(out, &mut parts[k]);
        return;
    }
    out.reserve(parts.iter().map(Vec::len).sum());
    while live.len() > 1 {
        // The first head, and the head after it (ties: actor order, as `live` is).
        let head = |&(k, i): &(usize, usize)| (key(&parts[k][i]), k);
        let mut first = 0;
        let mut next = head(&live[0]);
        let mut second = None;
        for (j, l) in live.iter().enumerate().skip(1) {
            let h = head(l);
            if h < next {
                second = Some(next);
                next = h;
                first = j;
            } else if second.is_none_or(|s| h < s) {
                second = Some(h);
            }
        }
        let second = second.expect("two lists or more");
        // Take the first list's run of records before the next head in one copy.
        let (k, i) = live[first];
        let p = &parts[k];
        let mut end = i + 1;
        while end < p.len() && (key(&p[end]), k) < second {
            end += 1;
        }
        out.extend_from_slice(&p[i..end]);
        if end < p.len() {
            live[first].1 = end;
        } else {
            live.remove(first);
        }
    }
    if let [(k, i)] = live[..] {
        out.extend_from_slice(&parts[k][i..]);
    }
    for p in parts.iter_mut() {
        p.clear();
    }
}

/// Receives a run's recording chunk by chunk while the run goes on.
///
/// Chunk `k` holds every record made by the events of slice `k` (kernel events at times in
/// `(through of chunk k-1, through of chunk k]`), merged in actor order and sorted as
/// [`Recorder::sort`] sorts ([settled](Recorder::settle)), unless the sink
/// [settles](RecordSink::settles) chunks itself: concatenating the chunks gives exactly the
/// whole-run log, but for the order of `buffers`. A send buffer's record comes in the chunk
/// of the slice it ended in (its record changes until then), or in the last chunk if it never
/// ended; a chunk orders its buffer records by (connection, buffer), and the whole-run log
/// orders them all so ([`RunLog::order_buffers`]). Two lists need the whole run to be ordered
/// and are bounded by the scenario, not by the transfer, so they come in the last chunk only:
/// `timeline` and `triggers`.
pub trait RecordSink {
    /// One chunk. `through`: every record of a later chunk is stamped after this time (a
    /// `Delivered` wire record of this chunk may be stamped later, at its arrival); the last
    /// chunk has `through` = [`SimTime::MAX`].
    /// The sink takes or reads what it needs; the run then clears `log` and refills it for
    /// the next chunk (its lists keep their capacity).
    fn chunk(&mut self, log: &mut RunLog, through: SimTime);

    /// True if the sink takes chunks unsettled and [settles](Recorder::settle) them itself
    /// (why: a sink on a thread of its own merges and sorts there, off the simulation's).
    fn settles(&self) -> bool {
        false
    }

    /// True if the sink reads the links' queue samples ([`Recorder::queue`]); a run records
    /// none for a sink that does not (why: one per packet entering a link, the longest list
    /// after the wire records, and only the series and charts read them).
    fn wants_queue(&self) -> bool {
        true
    }
}

/// Hands chunk `log` to `sink`, [settled](Recorder::settle) unless the sink
/// [settles](RecordSink::settles) chunks itself.
pub fn hand_over(sink: &mut dyn RecordSink, log: &mut RunLog, through: SimTime) {
    if !sink.settles() {
        log.settle();
    }
    sink.chunk(log, through);
}

/// Keeps every chunk: the whole-run log.
impl RecordSink for RunLog {
    fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
        self.append(log);
        if through == SimTime::MAX {
            self.order_buffers();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(time: u64, conn: u32, bytes: u64) -> DeliveryRecord {
        DeliveryRecord {
            time: SimTime(time),
            conn: ConnId(conn),
            bytes,
        }
    }

    /// Deliveries of one instant come out in sink (actor) order, whatever order the events
    /// ran in, and one sink's keep their event order: what each sink's own list, appended in
    /// actor order and sorted by time, gave.
    #[test]
    fn sink_records_come_out_by_time_then_sink_then_event() {
        let mut s = SinkRecords::default();
        s.delivered(2, delivery(5, 3, 100));
        s.delivered(0, delivery(5, 1, 100));
        s.delivered(2, delivery(5, 3, 200));
        s.delivered(1, delivery(4, 2, 100));
        s.delivered(0, delivery(6, 1, 200));
        let mut log = Recorder::default();
        s.drain_into(&mut log);
        let got: Vec<(u64, u32, u64)> = log.delivery.iter().map(|d| (d.time.0, d.conn.0, d.bytes)).collect();
        assert_eq!(got, [(4, 2, 100), (5, 1, 100), (5, 3, 100), (5, 3, 200), (6, 1, 200)]);
        let mut again = Recorder::default();
        s.drain_into(&mut again);
        assert!(again.delivery.is_empty(), "drained");
    }

    /// A settled chunk is the merged, sorted one, and its emptied parts do not make two
    /// logs differ.
    #[test]
    fn settling_merges_the_parts_and_keeps_them_as_spares() {
        let seg = crate::segment::Segment::default();
        let wire = |i: u64| WireRecord {
            time: SimTime(i),
            event_index: i,
            link: LinkId(0),
            event: WireEvent::Sent,
            header: crate::link::header_of(&seg),
            provenance: seg.provenance,
        };
        let mut log = Recorder {
            wire_parts: WireParts(vec![vec![wire(1), wire(4)], vec![], vec![wire(2), wire(3)]]),
            delivery: vec![delivery(9, 1, 1), delivery(8, 1, 1)],
            ..Recorder::default()
        };
        assert_eq!(log.wire_len(), 4);
        log.settle();
        let order: Vec<u64> = log.wire.iter().map(|w| w.event_index).collect();
        assert_eq!(order, [1, 2, 3, 4]);
        assert_eq!(log.delivery[0].time, SimTime(8));
        assert_eq!(log.wire_parts.0.len(), 3, "the lists stay, for their capacity");
        let merged = Recorder {
            wire: log.wire.clone(),
            delivery: log.delivery.clone(),
            ..Recorder::default()
        };
        assert_eq!(log, merged);
    }
}
