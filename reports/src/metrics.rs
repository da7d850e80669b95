//! [`RunReport`]: the metrics of one run, computed from its [`RunLog`] and [`RunInfo`]; it is
//! `summary.json`.
//!
//! Definitions (all counts are of segments, in log order):
//! - **Retransmission** (chimney rule 12): a data segment whose provenance says
//!   `is_retransmission` (it carries at least one octet sent before), counted at its `Sent`
//!   event on the first-hop link (the link leaving the sending host). Segments dropped at that
//!   link's ingress never went on the wire and are not counted (they are reported as
//!   `retransmissions.dropped_at_ingress`).
//! - **By source**: the five buckets sum to the total. `DelegatedResend` (the [SndNxt,SndMax)
//!   region at offload, sent before by the host) counts under `delegated_unacked` and is also
//!   reported alone as `delegated_resend`.
//! - **By cause**: `new_data` holds the rule-12 resends that are the offload target's first
//!   transmission of the resend region (cause `NewData`); the six buckets sum to the total.
//! - **RTO expiries** (`rto_count`): every retransmission-timer expiry the engines reported
//!   (the run log's `rto` records, host stacks and offload targets, both directions), SYN and
//!   FIN timeouts included (each record says what was retransmitted).
//! - **Spurious retransmission**: a retransmitted data segment that arrived intact at the
//!   receiving host when the receiver already held all of its bytes (from earlier intact
//!   arrivals, in arrival order, per connection and direction, less the bytes the receiver
//!   discarded at their arrival, such as a zero-window probe: the run log's `discards`). Link-made duplicates are not
//!   retransmissions and are not counted. `spurious_retransmitted_bytes` also counts the
//!   already-held bytes of partially redundant retransmissions.
//! - **Pinned time** of a send buffer: posted by the application until completed back to it;
//!   the statistics cover completed buffers (aborted ones are listed with their time).
//! - **Goodput**: `bytes_delivered * 8 / completion time`; when the transfer did not
//!   complete, the time of the last delivery record is used instead; absent if zero.
//! - **Per connection** (`connections`): the same counts over one connection's segments; its
//!   goodput runs from its first segment on the wire (its SYN) to its completion (or last
//!   delivery), so a connection opened late is not penalised for the time before it opened.
//! - **Fairness** (`fairness`): Jain's index `(Σx)² / (n·Σx²)` over the connections'
//!   goodputs, and over the mean goodputs of the offloaded and the host-run groups.
//! - **Links** (`links`): per direction, from the link's own counters: packets and wire bytes
//!   transmitted, drops by reason, largest queue, and utilisation (bytes sent over what the
//!   starting rate could carry until the last wire event).

use crate::Result;
use crate::info::{Outcome, RunInfo};
use crate::view::Rec;
use crate::vocab::Named;
use models::record::{
    BufferEnd, BufferRecord, CcSample, DropReason, OffloadEventKind, OffloadRecord, RunLog, WireEvent,
};
use models::segment::{ConnId, DataSource, SendCause, Sender};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Retransmissions by the region of the buffer their first byte came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BySource {
    /// The host stack's own queue (before offload, or never offloaded).
    pub host_queue: u64,
    /// Delegated chain [SndUna,SndMax) at offload (including the resend region).
    pub delegated_unacked: u64,
    /// Delegated chain [SndMax,end): never sent before offload.
    pub delegated_unsent: u64,
    /// Sends posted to the target after the offload.
    pub posted_after_offload: u64,
    /// Data the target returned to the host at upload.
    pub returned_at_upload: u64,
}

impl BySource {
    /// Buckets in display order, each with the source that names it (its key is the field's
    /// name in `summary.json`).
    pub fn entries(&self) -> [(DataSource, u64); 5] {
        [
            (DataSource::HostQueue, self.host_queue),
            (DataSource::DelegatedUnacked, self.delegated_unacked),
            (DataSource::DelegatedUnsent, self.delegated_unsent),
            (DataSource::PostedAfterOffload, self.posted_after_offload),
            (DataSource::ReturnedAtUpload, self.returned_at_upload),
        ]
    }

    /// Counts `n` retransmissions from source `s`.
    pub(crate) fn add(&mut self, s: DataSource, n: u64) {
        *self.slot(s) += n;
    }

    fn slot(&mut self, s: DataSource) -> &mut u64 {
        match s {
            DataSource::None | DataSource::HostQueue => &mut self.host_queue,
            DataSource::DelegatedUnacked | DataSource::DelegatedResend => &mut self.delegated_unacked,
            DataSource::DelegatedUnsent => &mut self.delegated_unsent,
            DataSource::PostedAfterOffload => &mut self.posted_after_offload,
            DataSource::ReturnedAtUpload => &mut self.returned_at_upload,
        }
    }
}

/// Retransmissions by why they were sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByCause {
    /// Duplicate-ACK threshold (RFC 5681 §3.2).
    pub fast_retransmit: u64,
    /// NewReno partial ACK (RFC 6582).
    pub partial_ack: u64,
    /// Retransmission timeout and the go-back-N resends after it.
    pub rto: u64,
    /// Zero-window probes that repeat a byte.
    pub probe: u64,
    /// SACK loss recovery (RFC 6675).
    pub sack_recovery: u64,
    /// A new owner's resend of the region [SndNxt, SndMax) handed over (rule 12).
    #[serde(default)]
    pub resend_region: u64,
    /// Tagged as new data (never a retransmission since issue 11 defect 8; kept so that an
    /// untagged retransmission would show).
    pub new_data: u64,
}

impl ByCause {
    /// The count of cause `c` (`Control` shares the `new_data` bucket).
    pub fn get(&self, c: SendCause) -> u64 {
        let mut copy = *self;
        *copy.slot(c)
    }

    /// Counts `n` retransmissions with cause `c`.
    pub(crate) fn add(&mut self, c: SendCause, n: u64) {
        *self.slot(c) += n;
    }

    fn slot(&mut self, c: SendCause) -> &mut u64 {
        match c {
            SendCause::FastRetransmit => &mut self.fast_retransmit,
            SendCause::PartialAck => &mut self.partial_ack,
            SendCause::Rto => &mut self.rto,
            SendCause::WindowProbe => &mut self.probe,
            SendCause::SackRecovery => &mut self.sack_recovery,
            SendCause::ResendRegion => &mut self.resend_region,
            SendCause::NewData | SendCause::Control => &mut self.new_data,
        }
    }
}

/// Retransmissions by which side sent them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BySender {
    /// The host stack.
    pub host: u64,
    /// The offload target.
    pub offload_target: u64,
}

/// Retransmission counts (see the module docs for definitions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retransmissions {
    /// Retransmitted data segments that went on the wire.
    pub total: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// By buffer region; sums to `total`.
    pub by_source: BySource,
    /// The [SndNxt,SndMax) resend region alone (also inside `by_source.delegated_unacked`).
    pub delegated_resend: u64,
    /// By cause; sums to `total`.
    pub by_cause: ByCause,
    /// By sender; sums to `total`.
    pub by_sender: BySender,
    /// Retransmissions dropped at the first hop's ingress (not in `total`).
    pub dropped_at_ingress: u64,
}

/// Segment counts on the first hop (transmissions) and everywhere (losses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentCounts {
    /// Data segments put on the wire (first hop, `Sent`).
    pub data_sent: u64,
    /// Their payload bytes.
    pub data_bytes_sent: u64,
    /// Pure ACKs put on the wire (first hop from their sender).
    pub acks_sent: u64,
    /// Segments dropped, on any link, by reason (`queue_full`, `random_loss`, ...).
    pub dropped: BTreeMap<String, u64>,
    /// Segments delivered corrupted (receiver discards them), any link.
    pub corrupted: u64,
    /// Extra copies made by links, any link.
    pub duplicated: u64,
}

/// One offload lifecycle event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffloadEvent {
    /// When [ns].
    pub time_ns: u64,
    /// Connection.
    pub conn: u32,
    /// `offload_initiated`, `offload_completed`, `offload_refused`, `upload_initiated`,
    /// `upload_completed`, `aborted`, `ended`, `action_deferred` or `action_skipped`.
    pub kind: String,
    /// Reason for refusals, uploads, `ended` and the two action kinds.
    pub reason: Option<String>,
    /// SndUna relative to the ISN (stream offset); absent for the action kinds, which carry
    /// no send state.
    pub snd_una: Option<i64>,
    /// SndNxt, relative.
    pub snd_nxt: Option<i64>,
    /// SndMax, relative.
    pub snd_max: Option<i64>,
}

/// Sender state on one side of a handover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CcState {
    /// Who ran the connection.
    pub sender: Sender,
    /// Sample time [ns].
    pub time_ns: u64,
    /// Congestion window [bytes].
    pub cwnd: u32,
    /// Slow-start threshold [bytes].
    pub ssthresh: u32,
    /// Smoothed RTT [ns].
    pub srtt_ns: u64,
    /// RTO [ns].
    pub rto_ns: u64,
}

/// The sender state just before and just after an offload or upload completed: does the new
/// owner continue the old owner's congestion state?
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// Connection.
    pub conn: u32,
    /// `offload` or `upload`.
    pub kind: String,
    /// When it completed [ns].
    pub time_ns: u64,
    /// Last sample of the previous owner.
    pub before: Option<CcState>,
    /// First sample of the new owner.
    pub after: Option<CcState>,
}

/// Offload lifecycle summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffloadSummary {
    /// First offload initiation [ns].
    pub offload_initiated_ns: Option<u64>,
    /// First offload completion [ns].
    pub offload_completed_ns: Option<u64>,
    /// `offload_completed_ns - offload_initiated_ns`.
    pub offload_latency_ns: Option<u64>,
    /// First upload initiation [ns].
    pub upload_initiated_ns: Option<u64>,
    /// First upload completion [ns].
    pub upload_completed_ns: Option<u64>,
    /// `upload_completed_ns - upload_initiated_ns`.
    pub upload_latency_ns: Option<u64>,
    /// Total time connections ran on a target (offload completed until upload completed or
    /// the end of the log) [ns].
    pub offloaded_ns: u64,
    /// Every lifecycle event in time order.
    pub events: Vec<OffloadEvent>,
    /// Congestion state across each completed offload and upload.
    pub handover: Vec<Handover>,
}

/// min/mean/max/p50/p99 of durations (percentiles by nearest rank).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Number of values.
    pub n: u64,
    /// Smallest [ns].
    pub min_ns: u64,
    /// Mean [ns] (sequential sum in buffer order).
    pub mean_ns: f64,
    /// Largest [ns].
    pub max_ns: u64,
    /// Median by nearest rank [ns].
    pub p50_ns: u64,
    /// 99th percentile by nearest rank [ns].
    pub p99_ns: u64,
}

impl DurationStats {
    /// Statistics of `values` (in a defined order); `None` when empty.
    pub fn of(values: &[u64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = |p: u64| sorted[((p * sorted.len() as u64).div_ceil(100) as usize).max(1) - 1];
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        Some(DurationStats {
            n: values.len() as u64,
            min_ns: sorted[0],
            mean_ns: sum as f64 / values.len() as f64,
            max_ns: sorted[sorted.len() - 1],
            p50_ns: rank(50),
            p99_ns: rank(99),
        })
    }
}

/// One send buffer's life.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferLife {
    /// Connection.
    pub conn: u32,
    /// Buffer id (posting order).
    pub buf: u64,
    /// Length [bytes].
    pub len: u32,
    /// Stream offset of its first byte.
    pub stream_offset: u64,
    /// Posted by the application [ns].
    pub posted_ns: u64,
    /// Handed to the offload target [ns].
    pub offloaded_ns: Option<u64>,
    /// Returned to the host at upload [ns].
    pub returned_ns: Option<u64>,
    /// Completed or aborted [ns].
    pub ended_ns: Option<u64>,
    /// `completed`, `aborted` or `pending`.
    pub end: String,
    /// `ended_ns - posted_ns`.
    pub pinned_ns: Option<u64>,
}

/// Send-buffer lifetimes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BufferStats {
    /// Buffers recorded.
    pub count: u64,
    /// Completed (every byte sent and acknowledged).
    pub completed: u64,
    /// Aborted.
    pub aborted: u64,
    /// Still pending at the end.
    pub pending: u64,
    /// Pinned time of completed buffers.
    pub pinned: Option<DurationStats>,
    /// Every buffer, by (conn, buf): written to `buffers.csv` (artefact level `series`), not
    /// to `summary.json`, whose size must not grow with the number of writes (10,000
    /// connections wrote a 65 MB list there). The report `RunWriter::finish` returns has it
    /// empty (handed to `buffers.csv` and let go).
    #[serde(skip)]
    pub list: Vec<BufferLife>,
}

/// The computed summary of one run: the content of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Run id.
    pub run_id: String,
    /// Seed.
    pub seed: u64,
    /// Replication index within the parameter point.
    pub seed_index: u32,
    /// Resolved sweep parameters.
    pub params: Vec<(String, String)>,
    /// Run fingerprint (hex).
    pub fingerprint: String,
    /// Kernel events processed.
    pub events: u64,
    /// How the run ended.
    pub outcome: Outcome,
    /// Every delivered byte matched the pattern.
    pub integrity_ok: bool,
    /// Bytes the application meant to send.
    pub bytes_expected: u64,
    /// Bytes delivered in order.
    pub bytes_delivered: u64,
    /// Completion time [ns].
    pub completion_time_ns: Option<u64>,
    /// Goodput [bit/s].
    pub goodput_bps: Option<f64>,
    /// Segment counts.
    pub segments: SegmentCounts,
    /// Retransmissions.
    pub retransmissions: Retransmissions,
    /// RTO expiries.
    pub rto_count: u64,
    /// Retransmissions the receiver already had.
    pub spurious_retransmissions: u64,
    /// Already-held bytes in retransmissions.
    pub spurious_retransmitted_bytes: u64,
    /// Offload lifecycle.
    pub offload: OffloadSummary,
    /// Send buffers.
    pub buffers: BufferStats,
    /// Per connection, in scenario order.
    #[serde(default)]
    pub connections: Vec<ConnReport>,
    /// Fairness of the connections' goodputs.
    #[serde(default)]
    pub fairness: Fairness,
    /// Per link direction.
    #[serde(default)]
    pub links: Vec<LinkReport>,
    /// Per constant-bit-rate cross-traffic flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowReport>,
    /// Every timeline action: when it fired and what it did (nothing is silent).
    #[serde(default)]
    pub actions: Vec<ActionOutcome>,
    /// Fallbacks taken while computing (missing topology, unexpected provenance).
    pub warnings: Vec<String>,
    /// offsim version.
    pub version: String,
    /// Git commit.
    pub commit: String,
    /// Reproducing command line.
    pub command: String,
    /// Expanded scenario (RON).
    pub scenario_text: String,
    /// The artefacts written into the run's folder besides this file (`--artifacts`,
    /// `--pcap-payload`).
    #[serde(default)]
    pub artifacts: crate::Artifacts,
}

/// One connection's results (its own segments only; definitions as for the run's totals).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnReport {
    /// The scenario's name for it.
    pub name: String,
    /// The connection id used in the log.
    pub conn: u32,
    /// The host that opened it and sent the data.
    pub client: String,
    /// The host that received the data.
    pub server: String,
    /// Whether it ever ran on an offload target (an offload completed).
    pub offloaded: bool,
    /// Bytes delivered in order and verified.
    pub bytes_delivered: u64,
    /// Every byte arrived verified, nothing aborted.
    pub integrity_ok: bool,
    /// When its last byte arrived [ns since the run's start].
    pub completion_time_ns: Option<u64>,
    /// `bytes_delivered * 8` over the time from its first segment on the wire (its SYN) to its
    /// completion (or its last delivery) [bit/s]; absent if zero.
    pub goodput_bps: Option<f64>,
    /// Its retransmissions.
    pub retransmissions: Retransmissions,
    /// Its RTO expiries.
    pub rto_count: u64,
    /// Its spurious retransmissions.
    pub spurious_retransmissions: u64,
}

/// Jain's fairness index `(Σx)² / (n·Σx²)` over goodputs: 1 when all are equal, `1/n` when
/// one connection takes everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    /// Over every connection's goodput (a connection without goodput counts as 0); absent
    /// when there is no connection or every goodput is 0.
    pub jain: Option<f64>,
    /// Mean goodput of the connections that were offloaded [bit/s].
    pub offloaded_mean_bps: Option<f64>,
    /// Mean goodput of the connections the host ran throughout [bit/s].
    pub host_mean_bps: Option<f64>,
    /// Jain's index over the two group means; absent unless both groups have connections.
    pub offloaded_vs_host_jain: Option<f64>,
}

/// Jain's fairness index of `xs`; `None` for no values or all zero.
pub fn jain_index(xs: &[f64]) -> Option<f64> {
    let sum: f64 = xs.iter().sum();
    let squares: f64 = xs.iter().map(|x| x * x).sum();
    (!xs.is_empty() && squares > 0.0).then(|| sum * sum / (xs.len() as f64 * squares))
}

impl Fairness {
    /// The fairness of `conns`.
    pub fn of(conns: &[ConnReport]) -> Fairness {
        let goodputs = |offloaded: Option<bool>| -> Vec<f64> {
            conns
                .iter()
                .filter(|c| offloaded.is_none_or(|o| c.offloaded == o))
                .map(|c| c.goodput_bps.unwrap_or(0.0))
                .collect()
        };
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let offloaded_mean_bps = mean(goodputs(Some(true)));
        let host_mean_bps = mean(goodputs(Some(false)));
        Fairness {
            jain: jain_index(&goodputs(None)),
            offloaded_mean_bps,
            host_mean_bps,
            offloaded_vs_host_jain: offloaded_mean_bps
                .zip(host_mean_bps)
                .and_then(|(a, b)| jain_index(&[a, b])),
        }
    }
}

/// One constant-bit-rate flow over the run, from the links' records: packets that entered
/// the first link out of its source and packets delivered intact by the last link into its
/// destination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowReport {
    /// Its name.
    pub name: String,
    /// The sending host.
    pub from: String,
    /// The receiving host.
    pub to: String,
    /// Packets accepted by the first link.
    pub packets_sent: u64,
    /// Packets delivered intact to the destination.
    pub packets_delivered: u64,
    /// Their payload bytes.
    pub bytes_delivered: u64,
    /// `1 - delivered / sent` (packets still in flight at the end count as lost); absent when
    /// nothing was sent.
    pub loss: Option<f64>,
}

/// One link direction over the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// Direction name.
    pub name: String,
    /// The node it leaves.
    pub from: String,
    /// The node it enters.
    pub to: String,
    /// Packets it transmitted (accepted into its queue).
    pub packets_sent: u64,
    /// Their wire bytes.
    pub bytes_sent: u64,
    /// Packets dropped, by reason (`queue_full`, `random_loss`, `burst_loss`, `scripted`).
    pub dropped: BTreeMap<String, u64>,
    /// Largest queue occupancy [packets].
    pub max_queue_packets: u64,
    /// `bytes_sent * 8 / (rate * run time)`, with the rate at the start of the run and the
    /// run time up to the last wire event; absent for an infinitely fast link or an empty run.
    pub utilisation: Option<f64>,
}

/// A set of disjoint half-open byte ranges.
#[derive(Default)]
pub(crate) struct RangeSet(BTreeMap<u64, u64>);

impl RangeSet {
    /// How many bytes of [s, e) are already in the set.
    pub(crate) fn covered(&self, s: u64, e: u64) -> u64 {
        if s >= e {
            return 0;
        }
        let mut n = 0;
        // The range starting at or before `s`, then every range starting inside [s, e).
        let first = self.0.range(..=s).next_back().map(|(&a, &b)| (a, b));
        for (a, b) in first.into_iter().chain(self.0.range(s + 1..e).map(|(&a, &b)| (a, b))) {
            let lo = a.max(s);
            let hi = b.min(e);
            n += hi.saturating_sub(lo);
        }
        n
    }

    pub(crate) fn insert(&mut self, mut s: u64, mut e: u64) {
        if s >= e {
            return;
        }
        if let Some((&a, &b)) = self.0.range(..=s).next_back()
            && b >= s
        {
            s = a;
            e = e.max(b);
        }
        // Absorb the ranges that start inside (s, e] (a range starting at `s` is replaced).
        while let Some((&a, &b)) = self.0.range(s + 1..=e).next() {
            self.0.remove(&a);
            e = e.max(b);
        }
        self.0.insert(s, e);
    }
}

/// One timeline action of the scenario and what became of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// The timeline step, e.g. `Offload(c1)` (connections by their scenario names).
    pub step: String,
    /// Its trigger, e.g. `at 300 ms` or `on InFastRecovery`.
    pub trigger: String,
    /// When it reached its executor; `None`: its trigger never fired before the run ended.
    pub fired_at_ns: Option<u64>,
    /// `applied`, `deferred: <until what>`, `skipped: <why>`, or `never fired`.
    pub effect: String,
}

impl ActionOutcome {
    /// True when the action took effect as written (no warning needed).
    pub fn applied(&self) -> bool {
        self.effect == "applied"
    }
}

/// Matches each timeline entry with its firing and the effect its executor recorded (an
/// `ActionDeferred`/`ActionSkipped` lifecycle record at the firing time, for the same
/// connection and action; none means it applied). Entries of one action on one connection
/// firing at the same instant run in firing order, and the first to run is the one that can
/// change the connection (a second offload finds it offloading): with `k` such entries and
/// `m` records, the first `k - m` applied and the others take the records in log order.
pub fn action_outcomes(log: &RunLog) -> Vec<ActionOutcome> {
    use std::collections::{BTreeMap, BTreeSet};
    // Indexed once, so a timeline of thousands of entries costs a lookup per entry.
    let mut first_fire = BTreeMap::new();
    let mut fires = BTreeSet::new();
    for t in &log.triggers {
        first_fire.entry(t.index).or_insert(t.time);
        fires.insert((t.index, t.time));
    }
    let mut alike: BTreeMap<(Option<ConnId>, &str), Vec<u32>> = BTreeMap::new();
    for x in &log.timeline {
        alike.entry((x.conn, x.action.as_str())).or_default().push(x.index);
    }
    let mut by_conn: BTreeMap<ConnId, Vec<&OffloadRecord>> = BTreeMap::new();
    for o in &log.offload {
        by_conn.entry(o.conn).or_default().push(o);
    }
    let effect_of = |o: &OffloadRecord, action: &str| match &o.kind {
        OffloadEventKind::ActionDeferred { action: a, until } if a == action => {
            Some(format!("deferred: until {until}"))
        }
        OffloadEventKind::ActionSkipped { action: a, why } if a == action => Some(format!("skipped: {why}")),
        _ => None,
    };
    log.timeline
        .iter()
        .map(|e| {
            let fired_at = first_fire.get(&e.index).copied();
            let conn_records = e.conn.and_then(|c| by_conn.get(&c)).map_or(&[][..], Vec::as_slice);
            let effect = match fired_at {
                None => "never fired".to_string(),
                Some(t) => {
                    // The entries like this one firing at `t`, in firing order, and where it is.
                    let mut same: Vec<u32> = alike[&(e.conn, e.action.as_str())]
                        .iter()
                        .copied()
                        .filter(|x| fires.contains(&(*x, t)))
                        .collect();
                    same.sort_unstable();
                    let k = same.len();
                    let at = same.iter().position(|&i| i == e.index).unwrap_or(0);
                    let records: Vec<String> = conn_records
                        .iter()
                        .filter(|o| o.time == t)
                        .filter_map(|o| effect_of(o, &e.action))
                        .collect();
                    let applied = k.saturating_sub(records.len());
                    if at >= applied {
                        records[at - applied].clone()
                    } else {
                        refused_offload(conn_records, e, t).unwrap_or_else(|| "applied".to_string())
                    }
                }
            };
            ActionOutcome {
                step: e.step.clone(),
                trigger: e.trigger.clone(),
                fired_at_ns: fired_at.map(|t| t.0),
                effect,
            }
        })
        .collect()
}

/// An offload the host initiated at `t` that the target then refused (rule 37) did not take
/// effect either. `records`: the lifecycle records of the entry's connection, in order.
fn refused_offload(
    records: &[&OffloadRecord],
    e: &models::record::TimelineEntry,
    t: sim_core::SimTime,
) -> Option<String> {
    if e.action != "offload" {
        return None;
    }
    let mut after = records.iter().filter(|o| o.time >= t);
    after
        .next()
        .filter(|o| o.time == t && o.kind == OffloadEventKind::OffloadInitiated)?;
    after
        .find(|o| {
            matches!(
                o.kind,
                OffloadEventKind::OffloadRefused { .. } | OffloadEventKind::OffloadCompleted
            )
        })
        .and_then(|o| match &o.kind {
            OffloadEventKind::OffloadRefused { reason } => Some(format!("skipped: refused by the target: {reason}")),
            _ => None,
        })
}

fn kind_name(k: &OffloadEventKind) -> (&'static str, Option<String>) {
    match k {
        OffloadEventKind::OffloadInitiated => ("offload_initiated", None),
        OffloadEventKind::OffloadCompleted => ("offload_completed", None),
        OffloadEventKind::OffloadRefused { reason } => ("offload_refused", Some(reason.clone())),
        OffloadEventKind::UploadInitiated { reason } => ("upload_initiated", Some(reason.clone())),
        OffloadEventKind::UploadCompleted => ("upload_completed", None),
        OffloadEventKind::Aborted => ("aborted", None),
        OffloadEventKind::Ended { reason } => ("ended", Some(reason.clone())),
        OffloadEventKind::ActionDeferred { action, until } => {
            ("action_deferred", Some(format!("{action} until {until}")))
        }
        OffloadEventKind::ActionSkipped { action, why } => ("action_skipped", Some(format!("{action}: {why}"))),
    }
}

/// Relative value (stream offset) of a sequence number of the data sender of `conn` (SndUna
/// etc.), taken as a signed 32-bit distance from ISN + 1.
pub(crate) fn rel_snd(info: &RunInfo, conn: ConnId, s: models::seq::SeqNum) -> i64 {
    info.conn(conn).map_or(i64::from(s.0), |c| {
        i64::from(s.0.wrapping_sub(c.sender.isn.wrapping_add(1)) as i32)
    })
}

pub(crate) fn cc_state(c: &CcSample) -> CcState {
    CcState {
        sender: c.sender,
        time_ns: c.time.0,
        cwnd: c.cwnd,
        ssthresh: c.ssthresh,
        srtt_ns: c.srtt_ns,
        rto_ns: c.rto_ns,
    }
}

impl RunReport {
    /// Computes the summary of one run. Fails if the log names a connection `info` lacks.
    pub fn from_log(info: &RunInfo, log: &RunLog) -> Result<Self> {
        let mut m = crate::online::Metrics::new(info);
        m.chunk(info, log, sim_core::SimTime::MAX, None)?;
        Ok(m.finish(info))
    }

    /// A report for a run that produced no usable log (e.g. it failed before recording):
    /// the self-description and outcome with zero counts.
    pub fn without_log(info: &RunInfo) -> Self {
        let empty = RunLog::default();
        Self::from_log(info, &empty).expect("an empty log names no connection")
    }

    /// The run's parameter point (params without `seed`).
    pub fn point_params(&self) -> Vec<(String, String)> {
        self.params.iter().filter(|(k, _)| k != "seed").cloned().collect()
    }

    /// Reads a `summary.json`.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        crate::io::read_json(path)
    }

    /// The numeric metrics aggregated across seeds, in a fixed order, by key (dotted paths
    /// into `summary.json`, except `completion_time_s` and `pinned_*_ms`, which are scaled
    /// for reading). `None` where the run has no value (e.g. no completion).
    pub fn metrics(&self) -> Vec<(&'static str, Option<f64>)> {
        let r = &self.retransmissions;
        let c = |v: u64| Some(v as f64);
        let pinned = self.buffers.pinned;
        vec![
            ("goodput_bps", self.goodput_bps),
            ("completion_time_s", self.completion_time_ns.map(|t| t as f64 / 1e9)),
            ("bytes_delivered", c(self.bytes_delivered)),
            ("retransmissions.total", c(r.total)),
            ("retransmissions.by_source.host_queue", c(r.by_source.host_queue)),
            (
                "retransmissions.by_source.delegated_unacked",
                c(r.by_source.delegated_unacked),
            ),
            (
                "retransmissions.by_source.delegated_unsent",
                c(r.by_source.delegated_unsent),
            ),
            (
                "retransmissions.by_source.posted_after_offload",
                c(r.by_source.posted_after_offload),
            ),
            (
                "retransmissions.by_source.returned_at_upload",
                c(r.by_source.returned_at_upload),
            ),
            ("retransmissions.delegated_resend", c(r.delegated_resend)),
            (
                "retransmissions.by_cause.fast_retransmit",
                c(r.by_cause.fast_retransmit),
            ),
            ("retransmissions.by_cause.partial_ack", c(r.by_cause.partial_ack)),
            ("retransmissions.by_cause.rto", c(r.by_cause.rto)),
            ("retransmissions.by_cause.probe", c(r.by_cause.probe)),
            ("retransmissions.by_cause.sack_recovery", c(r.by_cause.sack_recovery)),
            ("retransmissions.by_cause.resend_region", c(r.by_cause.resend_region)),
            ("retransmissions.by_cause.new_data", c(r.by_cause.new_data)),
            ("rto_count", c(self.rto_count)),
            ("spurious_retransmissions", c(self.spurious_retransmissions)),
            ("segments.dropped", c(self.segments.dropped.values().sum())),
            ("pinned_mean_ms", pinned.map(|p| p.mean_ns / 1e6)),
            ("pinned_p99_ms", pinned.map(|p| p.p99_ns as f64 / 1e6)),
        ]
    }
}

impl RunReport {
    /// Metrics beyond the fixed [`RunReport::metrics`]: `fairness.jain`, and per connection
    /// `conn.<name>.goodput_bps`, `conn.<name>.completion_time_s`,
    /// `conn.<name>.retransmissions.total` and `conn.<name>.rto_count` (names from the
    /// scenario), so a sweep can compare one flow with another.
    pub fn conn_metrics(&self) -> Vec<(String, Option<f64>)> {
        let mut v = vec![("fairness.jain".to_string(), self.fairness.jain)];
        for c in &self.connections {
            let k = |m: &str| format!("conn.{}.{m}", c.name);
            v.push((k("goodput_bps"), c.goodput_bps));
            v.push((k("completion_time_s"), c.completion_time_ns.map(|t| t as f64 / 1e9)));
            v.push((k("retransmissions.total"), Some(c.retransmissions.total as f64)));
            v.push((k("rto_count"), Some(c.rto_count as f64)));
        }
        v
    }

    /// [`RunReport::metrics`] followed by [`RunReport::conn_metrics`].
    pub fn all_metrics(&self) -> Vec<(String, Option<f64>)> {
        let fixed = self.metrics().into_iter().map(|(k, v)| (k.to_string(), v));
        fixed.chain(self.conn_metrics()).collect()
    }

    /// The value of metric `key` of [`RunReport::all_metrics`].
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.all_metrics()
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v)
    }
}

/// Every metric key of `runs`: the fixed ones, then the per-connection ones in order of
/// first appearance (runs of one sweep share their connections; a key a run lacks is empty).
pub fn metric_keys<'a>(runs: impl IntoIterator<Item = &'a RunReport>) -> Vec<String> {
    let mut keys: Vec<String> = RunReport::default()
        .metrics()
        .into_iter()
        .map(|(k, _)| k.to_string())
        .collect();
    let fixed = keys.len();
    for r in runs {
        for (k, _) in r.conn_metrics() {
            if !keys[fixed..].contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// Human label and unit for a metric key of [`RunReport::metrics`], and the factor to
/// multiply by for display.
pub(crate) fn metric_label(key: &str) -> (&'static str, &'static str, f64) {
    match key {
        "goodput_bps" => ("Goodput", "Mbit/s", 1e-6),
        k if k.starts_with("conn.") && k.ends_with(".goodput_bps") => ("Goodput of one connection", "Mbit/s", 1e-6),
        k if k.starts_with("conn.") && k.ends_with(".completion_time_s") => {
            ("Completion time of one connection", "s", 1.0)
        }
        "fairness.jain" => ("Jain's fairness index", "", 1.0),
        "completion_time_s" => ("Completion time", "s", 1.0),
        "bytes_delivered" => ("Bytes delivered", "MB", 1e-6),
        "retransmissions.total" => ("Retransmissions", "segments", 1.0),
        "rto_count" => ("RTO expiries", "count", 1.0),
        "spurious_retransmissions" => ("Spurious retransmissions", "segments", 1.0),
        "segments.dropped" => ("Drops", "segments", 1.0),
        "pinned_mean_ms" => ("Mean buffer pinned time", "ms", 1.0),
        "pinned_p99_ms" => ("p99 buffer pinned time", "ms", 1.0),
        _ => ("", "segments", 1.0),
    }
}

/// Per-link-direction reports, from the links' own counters.
/// `run_ns`: the time of the last wire record.
pub(crate) fn link_reports(info: &RunInfo, run_ns: u64) -> Vec<LinkReport> {
    info.links
        .iter()
        .zip(&info.link_stats)
        .map(|(l, st)| {
            let d = st.dropped;
            let dropped = [
                DropReason::QueueFull,
                DropReason::RandomLoss,
                DropReason::BurstLoss,
                DropReason::Scripted,
            ]
            .into_iter()
            .map(|r| (r.key().to_string(), d.get(r)))
            .collect();
            let capacity_bits = st.rate_bps as f64 * run_ns as f64 / 1e9;
            LinkReport {
                name: l.name.clone(),
                from: l.from.clone(),
                to: l.to.clone(),
                packets_sent: st.packets_sent,
                bytes_sent: st.bytes_sent,
                dropped,
                max_queue_packets: st.max_queue_packets,
                utilisation: (capacity_bits > 0.0).then(|| st.bytes_sent as f64 * 8.0 / capacity_bits),
            }
        })
        .collect()
}

/// Counts one classified wire record into segment and retransmission counts; returns
/// (1, _) for a retransmission of unexpected source, (_, 1) of unexpected cause.
pub(crate) fn count_record(seg: &mut SegmentCounts, retx: &mut Retransmissions, x: &Rec) -> (u64, u64) {
    let r = &x.r;
    let p = &r.provenance;
    match r.event {
        WireEvent::Dropped(reason) => {
            *seg.dropped.entry(reason.key().to_string()).or_insert(0) += 1;
        }
        WireEvent::Delivered { corrupted, duplicate } => {
            seg.corrupted += u64::from(corrupted);
            seg.duplicated += u64::from(duplicate);
        }
        WireEvent::Sent => {}
    }
    if !x.is_data() {
        let h = &r.header;
        if x.is_first_hop_sent() && h.flags.ack && !h.flags.syn && !h.flags.fin && !h.flags.rst {
            seg.acks_sent += 1;
        }
        return (0, 0);
    }
    if x.is_first_hop_sent() {
        seg.data_sent += 1;
        seg.data_bytes_sent += u64::from(r.header.len);
    }
    if !p.is_retransmission || !x.first_hop {
        return (0, 0);
    }
    if r.event != WireEvent::Sent {
        retx.dropped_at_ingress += u64::from(x.is_first_hop_ingress());
        return (0, 0);
    }
    retx.total += 1;
    retx.bytes += u64::from(r.header.len);
    retx.by_source.add(p.source, 1);
    retx.delegated_resend += u64::from(p.source == DataSource::DelegatedResend);
    retx.by_cause.add(p.cause, 1);
    match p.sender {
        Sender::Host => retx.by_sender.host += 1,
        Sender::OffloadTarget => retx.by_sender.offload_target += 1,
    }
    (
        u64::from(p.source == DataSource::None),
        u64::from(p.cause == SendCause::Control),
    )
}

/// The lifecycle events of `offload` (in log order) with the first times and latencies;
/// `offloaded_ns` and `handover` are left to the caller.
pub(crate) fn offload_events(info: &RunInfo, offload: &[OffloadRecord]) -> OffloadSummary {
    let mut o = OffloadSummary::default();
    let first = |name: &str, events: &[OffloadEvent]| events.iter().find(|e| e.kind == name).map(|e| e.time_ns);
    for ev in offload {
        let (kind, reason) = kind_name(&ev.kind);
        let state = !matches!(
            ev.kind,
            OffloadEventKind::ActionDeferred { .. } | OffloadEventKind::ActionSkipped { .. }
        );
        let rel = |s| state.then(|| rel_snd(info, ev.conn, s));
        o.events.push(OffloadEvent {
            time_ns: ev.time.0,
            conn: ev.conn.0,
            kind: kind.to_string(),
            reason,
            snd_una: rel(ev.snd_una),
            snd_nxt: rel(ev.snd_nxt),
            snd_max: rel(ev.snd_max),
        });
    }
    o.offload_initiated_ns = first("offload_initiated", &o.events);
    o.offload_completed_ns = first("offload_completed", &o.events);
    o.upload_initiated_ns = first("upload_initiated", &o.events);
    o.upload_completed_ns = first("upload_completed", &o.events);
    o.offload_latency_ns = o
        .offload_completed_ns
        .zip(o.offload_initiated_ns)
        .map(|(c, i)| c.saturating_sub(i));
    o.upload_latency_ns = o
        .upload_completed_ns
        .zip(o.upload_initiated_ns)
        .map(|(c, i)| c.saturating_sub(i));
    o
}

/// Total time connections ran on a target: offload completed until upload completed,
/// aborted, or `end_ns` [ns].
pub(crate) fn offloaded_time(events: &[OffloadEvent], end_ns: u64) -> u64 {
    let mut total = 0;
    let mut since: BTreeMap<u32, u64> = BTreeMap::new();
    for e in events {
        match e.kind.as_str() {
            "offload_completed" => {
                since.insert(e.conn, e.time_ns);
            }
            "upload_completed" | "aborted" => {
                if let Some(t) = since.remove(&e.conn) {
                    total += e.time_ns.saturating_sub(t);
                }
            }
            _ => {}
        }
    }
    total + since.values().map(|&t| end_ns.saturating_sub(t)).sum::<u64>()
}

/// Counts of send-buffer records by how they ended, and the pinned times of the completed
/// ones, taken one record at a time (in any order).
#[derive(Debug, Default)]
pub(crate) struct BufferTally {
    completed: u64,
    aborted: u64,
    pending: u64,
    pinned: Vec<u64>,
}

impl BufferTally {
    /// Counts `x`; returns its pinned time (posted to ended), if it ended.
    pub fn add(&mut self, x: &BufferRecord) -> Option<u64> {
        let p = x.ended_at.map(|t| t.0.saturating_sub(x.posted_at.0));
        match x.end {
            BufferEnd::Completed => {
                self.completed += 1;
                self.pinned.extend(p);
            }
            BufferEnd::Aborted => self.aborted += 1,
            BufferEnd::Pending => self.pending += 1,
        }
        p
    }

    /// The statistics, with `list` as the list of every buffer.
    pub fn stats(self, list: Vec<BufferLife>) -> BufferStats {
        BufferStats {
            count: self.completed + self.aborted + self.pending,
            completed: self.completed,
            aborted: self.aborted,
            pending: self.pending,
            pinned: DurationStats::of(&self.pinned),
            list,
        }
    }
}

/// Statistics of the buffer lifetimes `bufs` (ordered by connection and buffer), with the
/// list of every buffer if `list` (only `buffers.csv` reads it).
pub(crate) fn buffer_stats(bufs: &[BufferRecord], list: bool) -> BufferStats {
    let mut tally = BufferTally::default();
    let mut lives = Vec::new();
    for x in bufs {
        let p = tally.add(x);
        if !list {
            continue;
        }
        let end = match x.end {
            BufferEnd::Completed => "completed",
            BufferEnd::Aborted => "aborted",
            BufferEnd::Pending => "pending",
        };
        lives.push(BufferLife {
            conn: x.conn.0,
            buf: x.buf.0,
            len: x.len,
            stream_offset: x.stream_offset,
            posted_ns: x.posted_at.0,
            offloaded_ns: x.offloaded_at.map(|t| t.0),
            returned_ns: x.returned_at.map(|t| t.0),
            ended_ns: x.ended_at.map(|t| t.0),
            end: end.to_string(),
            pinned_ns: p,
        });
    }
    tally.stats(lives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(goodput: f64, offloaded: bool) -> ConnReport {
        ConnReport {
            goodput_bps: Some(goodput),
            offloaded,
            ..ConnReport::default()
        }
    }

    /// Buffers posted at 0 ns: one completed at 10 ns, one at 30 ns, one aborted, one pending.
    fn four_buffers() -> Vec<BufferRecord> {
        let buf = |id: u64, end: BufferEnd, ended: Option<u64>| BufferRecord {
            conn: ConnId(1),
            buf: models::segment::BufId(id),
            len: 100,
            stream_offset: 100 * id,
            posted_at: sim_core::SimTime(0),
            offloaded_at: None,
            returned_at: None,
            ended_at: ended.map(sim_core::SimTime),
            end,
        };
        vec![
            buf(0, BufferEnd::Completed, Some(10)),
            buf(1, BufferEnd::Completed, Some(30)),
            buf(2, BufferEnd::Aborted, Some(20)),
            buf(3, BufferEnd::Pending, None),
        ]
    }

    /// The counts and pinned times do not depend on whether the list is built.
    #[test]
    fn buffer_stats_without_the_list_count_the_same() {
        let bufs = four_buffers();
        let with = buffer_stats(&bufs, true);
        let without = buffer_stats(&bufs, false);
        assert_eq!(with.list.len(), 4);
        assert_eq!(with.list[1].pinned_ns, Some(30));
        assert!(without.list.is_empty());
        assert_eq!((with.count, with.completed, with.aborted, with.pending), (4, 2, 1, 1));
        assert_eq!(
            (without.count, without.completed, without.aborted, without.pending),
            (4, 2, 1, 1)
        );
        assert_eq!(with.pinned, without.pinned);
        assert!(with.pinned.is_some());
        // Counted one at a time as they come, in another order: the same statistics.
        let mut tally = BufferTally::default();
        for b in bufs.iter().rev() {
            tally.add(b);
        }
        assert_eq!(tally.stats(Vec::new()), without);
    }

    /// Jain (1984): J = (Σx)² / (n·Σx²). Goodputs 1, 2, 3, 4 Mbit/s: J = 10² / (4 · 30) = 5/6;
    /// the offloaded pair (1, 3) has mean 2, the host-run pair (2, 4) mean 3: J = 25 / 26.
    #[test]
    fn jain_index_of_a_hand_computed_case() {
        let conns = [conn(1e6, true), conn(2e6, false), conn(3e6, true), conn(4e6, false)];
        let f = Fairness::of(&conns);
        assert!((f.jain.unwrap() - 5.0 / 6.0).abs() < 1e-12, "{f:?}");
        assert_eq!(f.offloaded_mean_bps, Some(2e6));
        assert_eq!(f.host_mean_bps, Some(3e6));
        assert!((f.offloaded_vs_host_jain.unwrap() - 25.0 / 26.0).abs() < 1e-12, "{f:?}");
        // One connection takes everything: 1/n. Equal shares: 1. Nothing at all: no index.
        assert_eq!(jain_index(&[8.0, 0.0, 0.0, 0.0]), Some(0.25));
        assert_eq!(jain_index(&[3.0, 3.0, 3.0]), Some(1.0));
        assert_eq!(jain_index(&[0.0, 0.0]), None);
        assert_eq!(Fairness::of(&conns[..1]).offloaded_vs_host_jain, None);
    }

    #[test]
    fn range_set_covers_and_merges() {
        let mut s = RangeSet::default();
        s.insert(0, 10);
        s.insert(20, 30);
        assert_eq!(s.covered(5, 25), 10);
        assert_eq!(s.covered(10, 20), 0);
        s.insert(10, 20);
        assert_eq!(s.0.len(), 1);
        assert_eq!(s.covered(0, 30), 30);
        s.insert(25, 40);
        assert_eq!(s.0, BTreeMap::from([(0, 40)]));
    }

    proptest::proptest! {
        /// Any insertion order: the set covers exactly the bytes inserted, its ranges disjoint.
        #[test]
        fn range_set_is_the_union_of_its_insertions(
            ranges in proptest::collection::vec((0u64..200, 0u64..40), 0..40),
            probe in (0u64..260, 0u64..60),
        ) {
            let mut set = RangeSet::default();
            let mut bytes = [false; 260];
            for (s, len) in ranges {
                set.insert(s, s + len);
                bytes[s as usize..(s + len) as usize].fill(true);
            }
            let (s, e) = (probe.0, (probe.0 + probe.1).min(260));
            let want = bytes[s as usize..e.max(s) as usize].iter().filter(|b| **b).count() as u64;
            proptest::prop_assert_eq!(set.covered(s, e), want);
            let spans: Vec<(u64, u64)> = set.0.iter().map(|(a, b)| (*a, *b)).collect();
            proptest::prop_assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{:?}", spans);
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).rev().collect();
        let d = DurationStats::of(&v).unwrap();
        assert_eq!((d.min_ns, d.p50_ns, d.p99_ns, d.max_ns), (1, 50, 99, 100));
        assert_eq!(d.mean_ns, 50.5);
        assert_eq!(DurationStats::of(&[7]).unwrap().p99_ns, 7);
    }
}
