//! The metrics of `summary.json` computed online: a run's log is fed chunk by chunk (as the
//! world hands it over, [`models::record::RecordSink`]) and only per-connection, per-link
//! and per-flow accumulators are kept, plus what is bounded by the data in flight (arrivals
//! waiting for the receiver's discards, the bytes each receiver holds as a range set) and by
//! the scenario (offload lifecycle records, buffers, timeline). [`RunReport::from_log`] is
//! one chunk of this, so the whole-log and the streamed summaries are one code path.
//!
//! Definitions are those of the `metrics` module; what needs care when fed in chunks:
//! - spurious retransmissions are judged in log order, each arrival with what its receiver
//!   discarded at that instant; a `Delivered` record is logged when its segment enters the
//!   link, stamped with its later arrival, and the receiver's discard record comes with the
//!   arrival. So arrivals wait in a queue (log order) until the chunks have passed their
//!   arrival time (`through`), bounded by the segments in flight.
//! - the sender states around a handover ("before": the old owner's last sample at or before
//!   it, "after": the new owner's first sample at or after it) are resolved as samples come,
//!   samples and lifecycle records of one chunk taken in time order.

use crate::Result;
use crate::info::{Dir, RunInfo};
use crate::metrics::{
    BufferTally, ConnReport, Fairness, FlowReport, Handover, LinkReport, RangeSet, Retransmissions, RunReport,
    SegmentCounts, action_outcomes, buffer_stats, count_record, link_reports, offload_events, offloaded_time,
};
use crate::view::{Classifier, Rec};
use models::conn_table::ConnTable;
use models::record::{
    BufferRecord, CcSample, OffloadEventKind, OffloadRecord, RunLog, TimelineEntry, TriggerRecord, WireEvent,
};
use models::segment::{ConnId, Sender};
use sim_core::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// Per-connection accumulators (indexed like [`RunInfo::conns`]).
#[derive(Default)]
struct ConnAcc {
    retx: Retransmissions,
    seg: SegmentCounts,
    /// Its first record's time [ns] (its SYN on the wire).
    start: Option<u64>,
    /// Its last delivery record's time [ns].
    last_delivery: Option<u64>,
    rto: u64,
    spurious: u64,
    offloaded: bool,
}

/// An intact data arrival waiting to be judged: what [`Spurious::advance`] reads of its
/// record (why not the record: ~100,000 arrivals wait at 10,000 connections, and a whole
/// classified record is five times the size).
#[derive(Clone, Copy)]
struct Arrival {
    /// Index of the connection in `RunInfo::conns`.
    ci: usize,
    /// Arrival time [ns].
    time: u64,
    /// Stream offset of the first payload byte.
    start: u64,
    /// Payload bytes.
    len: u32,
    /// In the connection's reverse direction.
    reverse: bool,
    /// A retransmission that is not a link's duplicate copy.
    retransmission: bool,
    conn: ConnId,
}

impl Arrival {
    fn of(ci: usize, x: &Rec) -> Self {
        let duplicate = matches!(x.r.event, WireEvent::Delivered { duplicate: true, .. });
        Arrival {
            ci,
            time: x.r.time.0,
            start: x.r.header.stream_offset,
            len: x.r.header.len,
            reverse: x.dir == Dir::Reverse,
            retransmission: x.r.provenance.is_retransmission && !duplicate,
            conn: x.r.provenance.conn,
        }
    }
}

/// Spurious retransmissions (see the module doc).
#[derive(Default)]
struct Spurious {
    /// Intact data arrivals not yet judged, in log order.
    waiting: VecDeque<Arrival>,
    /// What each receiver did not keep, by (connection, arrival time [ns]).
    discarded: BTreeMap<(ConnId, u64), Vec<(u64, u64)>>,
    /// What each receiver holds, by connection index and direction (forward, reverse).
    held: Vec<[RangeSet; 2]>,
    /// `discarded` is pruned once it holds more arrivals than this, twice what the last
    /// pruning kept (see `advance`).
    prune_above: usize,
    n: u64,
    bytes: u64,
}

impl Spurious {
    /// Judges the waiting arrivals stamped at or before `through`, in log order.
    fn advance(&mut self, through: SimTime, conns: &mut [ConnAcc]) {
        while let Some(x) = self.waiting.front().copied() {
            if x.time > through.0 {
                break;
            }
            self.waiting.pop_front();
            let ci = x.ci;
            let s = x.start;
            let e = s + u64::from(x.len);
            if self.held.len() <= ci {
                self.held.resize_with(ci + 1, Default::default);
            }
            let set = &mut self.held[ci][usize::from(x.reverse)];
            if x.retransmission {
                let c = set.covered(s, e);
                self.bytes += c;
                let whole = u64::from(c == e - s);
                self.n += whole;
                conns[ci].spurious += whole;
            }
            // Held from now on: the arrival less what the receiver discarded of it.
            let Some(discards) = self.discarded.get(&(x.conn, x.time)) else {
                set.insert(s, e);
                continue;
            };
            let mut kept = vec![(s, e)];
            for &(ds, de) in discards {
                kept = kept
                    .into_iter()
                    .flat_map(|(ks, ke)| [(ks, ke.min(ds)), (ks.max(de), ke)])
                    .filter(|(ks, ke)| ks < ke)
                    .collect();
            }
            for (ks, ke) in kept {
                set.insert(ks, ke);
            }
        }
        // Discards are looked up by their arrival's time: keep those a waiting arrival (or a
        // later chunk's, stamped after `through`) may still need. Keeping more than that
        // changes nothing (an older key is never looked up again), so the map is pruned only
        // when it doubled since the last pruning (why: finding the earliest waiting arrival
        // walks the whole queue, ~100,000 arrivals in flight at 10,000 connections, and doing
        // it for every chunk was 3 % of such a run). At worst (every pruning empties the map)
        // this prunes once per chunk, as before.
        if self.discarded.len() > self.prune_above {
            let keep_from = self.waiting.iter().map(|x| x.time).min().unwrap_or(through.0);
            self.discarded.retain(|&(_, t), _| t >= keep_from);
            self.prune_above = 2 * self.discarded.len();
        }
    }
}

/// The sender states around each completed offload and upload (see the module doc).
struct Handovers {
    /// Each connection's last sample per sender (by [`sender_slot`]).
    last: ConnTable<[Option<CcSample>; 2]>,
    /// Each connection's samples at its latest sample time.
    latest: ConnTable<Vec<CcSample>>,
    /// Handovers still waiting for the new owner's first sample: (index, conn, new owner, time).
    waiting: Vec<(usize, ConnId, Sender, SimTime)>,
    /// (before, after) per completed offload/upload, in log order.
    states: Vec<(Option<CcSample>, Option<CcSample>)>,
}

/// Where a sender's sample is kept in [`Handovers::last`].
fn sender_slot(s: Sender) -> usize {
    match s {
        Sender::Host => 0,
        Sender::OffloadTarget => 1,
    }
}

impl Handovers {
    /// Tables with an entry for each connection of `info`, added in id order (why tables, not
    /// maps: a map lookup per sample, two per acknowledgment, cost ~2 % of a run of 10,000
    /// connections; a connection `info` lacks still gets an entry when its first sample comes).
    fn new(info: &RunInfo) -> Self {
        let mut ids: Vec<ConnId> = info.conns.iter().map(|c| ConnId(c.conn)).collect();
        ids.sort_unstable();
        ids.dedup();
        let (mut last, mut latest) = (ConnTable::new(), ConnTable::new());
        for id in ids {
            last.insert(id, [None; 2]);
            latest.insert(id, Vec::new());
        }
        Handovers {
            last,
            latest,
            waiting: Vec::new(),
            states: Vec::new(),
        }
    }

    fn sample(&mut self, c: &CcSample) {
        let states = &mut self.states;
        self.waiting.retain(|&(i, conn, owner, t)| {
            let found = c.conn == conn && c.sender == owner && c.time >= t;
            if found {
                states[i].1 = Some(*c);
            }
            !found
        });
        self.last.get_or_insert_with(c.conn, || [None; 2])[sender_slot(c.sender)] = Some(*c);
        let latest = self.latest.get_or_insert_with(c.conn, Vec::new);
        if latest.first().is_some_and(|p| p.time != c.time) {
            latest.clear();
        }
        latest.push(*c);
    }

    /// A completed handover of `conn` at `t` to `owner` (every sample at or before `t` fed).
    fn completed(&mut self, conn: ConnId, owner: Sender, t: SimTime) {
        let old = match owner {
            Sender::Host => Sender::OffloadTarget,
            Sender::OffloadTarget => Sender::Host,
        };
        let before = self.last.get(&conn).and_then(|l| l[sender_slot(old)]);
        let after = self
            .latest
            .get(&conn)
            .into_iter()
            .flatten()
            .find(|c| c.time >= t && c.sender == owner)
            .copied();
        if after.is_none() {
            self.waiting.push((self.states.len(), conn, owner, t));
        }
        self.states.push((before, after));
    }
}

/// A run's send-buffer records as the summary takes them.
enum Buffers {
    /// Kept, for the list of every buffer (`buffers.csv`).
    Kept(Vec<BufferRecord>),
    /// Counted as they come (nothing writes the list).
    Counted(BufferTally),
}

impl Buffers {
    fn add(&mut self, records: &[BufferRecord]) {
        match self {
            Buffers::Kept(kept) => kept.extend_from_slice(records),
            Buffers::Counted(tally) => {
                for b in records {
                    tally.add(b);
                }
            }
        }
    }
}

/// The summary's accumulators for one run.
pub(crate) struct Metrics {
    classifier: Classifier,
    seg: SegmentCounts,
    retx: Retransmissions,
    odd_source: u64,
    odd_cause: u64,
    conns: Vec<ConnAcc>,
    spurious: Spurious,
    handovers: Handovers,
    /// Per flow: (sent, delivered, bytes delivered).
    flows: Vec<(u64, u64, u64)>,
    /// Latest wire record time [ns] (the run time of link utilisation).
    wire_end: u64,
    /// Latest wire record or sender sample time [ns].
    end: u64,
    rto: u64,
    last_delivery: Option<u64>,
    offload: Vec<OffloadRecord>,
    buffers: Buffers,
    timeline: Vec<TimelineEntry>,
    triggers: Vec<TriggerRecord>,
}

impl Metrics {
    /// Accumulators for the run `info` describes (links and connections known before it).
    pub fn new(info: &RunInfo) -> Self {
        Metrics {
            classifier: Classifier::new(info),
            seg: SegmentCounts::default(),
            retx: Retransmissions::default(),
            odd_source: 0,
            odd_cause: 0,
            conns: info.conns.iter().map(|_| ConnAcc::default()).collect(),
            spurious: Spurious::default(),
            handovers: Handovers::new(info),
            flows: vec![(0, 0, 0); info.flows.len()],
            wire_end: 0,
            end: 0,
            rto: 0,
            last_delivery: None,
            offload: Vec::new(),
            buffers: Buffers::Kept(Vec::new()),
            timeline: Vec::new(),
            triggers: Vec::new(),
        }
    }

    /// Accumulators that build no list of every buffer (nothing writes `buffers.csv`).
    pub fn without_buffer_list(mut self) -> Self {
        self.buffers = Buffers::Counted(BufferTally::default());
        self
    }

    /// Takes the send-buffer records of a chunk (the last) instead of copying them in
    /// [`Metrics::chunk`] (why: 10,000 connections' are tens of megabytes, copied into fresh
    /// memory at the run's end).
    pub fn take_buffers(&mut self, buffers: &mut Vec<BufferRecord>) {
        match &mut self.buffers {
            Buffers::Kept(kept) if kept.is_empty() => std::mem::swap(kept, buffers),
            _ => {
                self.buffers.add(buffers);
                buffers.clear();
            }
        }
    }

    /// Feeds one chunk of the log (see [`models::record::RecordSink`]); appends its wire
    /// records classified (cross traffic left out), in log order, to `recs` for the other
    /// writers if given. Fails if a record names a connection `info` lacks.
    pub fn chunk(
        &mut self,
        info: &RunInfo,
        log: &RunLog,
        through: SimTime,
        mut recs: Option<&mut Vec<(usize, Rec)>>,
    ) -> Result<()> {
        for r in &log.wire {
            self.wire_end = self.wire_end.max(r.time.0);
            for (k, f) in info
                .flows
                .iter()
                .enumerate()
                .filter(|(_, f)| f.conn == r.provenance.conn.0)
            {
                let Some(l) = info.links.get(usize::from(r.link.0)) else {
                    continue;
                };
                match r.event {
                    WireEvent::Sent if l.from == f.from => self.flows[k].0 += 1,
                    WireEvent::Delivered { corrupted: false, .. } if l.to == f.to => {
                        self.flows[k].1 += 1;
                        self.flows[k].2 += u64::from(r.header.len);
                    }
                    _ => {}
                }
            }
            let Some((ci, x)) = self.classifier.classify(info, r)? else {
                continue;
            };
            let (odd_source, odd_cause) = count_record(&mut self.seg, &mut self.retx, &x);
            self.odd_source += odd_source;
            self.odd_cause += odd_cause;
            let c = &mut self.conns[ci];
            count_record(&mut c.seg, &mut c.retx, &x);
            c.start = Some(c.start.map_or(x.r.time.0, |s| s.min(x.r.time.0)));
            if x.is_data() && x.is_arrival() {
                self.spurious.waiting.push_back(Arrival::of(ci, &x));
            }
            if let Some(recs) = recs.as_mut() {
                recs.push((ci, x));
            }
        }
        self.end = self.end.max(self.wire_end);
        // Samples and lifecycle records in time order (samples first at equal times).
        let mut samples = log.cc.iter().peekable();
        for o in &log.offload {
            let owner = match o.kind {
                OffloadEventKind::OffloadCompleted => Sender::OffloadTarget,
                OffloadEventKind::UploadCompleted => Sender::Host,
                _ => continue,
            };
            while let Some(c) = samples.next_if(|c| c.time <= o.time) {
                self.handovers.sample(c);
            }
            self.handovers.completed(o.conn, owner, o.time);
        }
        for c in samples {
            self.handovers.sample(c);
        }
        if let Some(c) = log.cc.iter().map(|c| c.time.0).max() {
            self.end = self.end.max(c);
        }
        for o in &log.offload {
            if o.kind == OffloadEventKind::OffloadCompleted
                && let Some(ci) = self.classifier.conn_index(info, o.conn)
            {
                self.conns[ci].offloaded = true;
            }
        }
        self.offload.extend(log.offload.iter().cloned());
        for d in &log.delivery {
            self.last_delivery = Some(d.time.0);
            if let Some(ci) = self.classifier.conn_index(info, d.conn) {
                self.conns[ci].last_delivery = Some(d.time.0);
            }
        }
        self.rto += log.rto.len() as u64;
        for r in &log.rto {
            if let Some(ci) = self.classifier.conn_index(info, r.conn) {
                self.conns[ci].rto += 1;
            }
        }
        for d in &log.discards {
            self.spurious
                .discarded
                .entry((d.conn, d.time.0))
                .or_default()
                .push((d.from, d.to));
        }
        self.spurious.advance(through, &mut self.conns);
        self.buffers.add(&log.buffers);
        self.timeline.extend(log.timeline.iter().cloned());
        self.triggers.extend(log.triggers.iter().copied());
        Ok(())
    }

    /// The summary, with what the run produced (`info` after the run: fingerprint, outcome,
    /// byte counts, link counters).
    pub fn finish(mut self, info: &RunInfo) -> RunReport {
        self.spurious.advance(SimTime::MAX, &mut self.conns);
        let mut warnings = self.classifier.warnings.clone();
        let (odd_source, odd_cause) = (self.odd_source, self.odd_cause);
        if odd_source > 0 {
            warnings.push(format!(
                "{odd_source} retransmitted data segments had source None (counted as host_queue)"
            ));
        }
        if odd_cause > 0 {
            warnings.push(format!(
                "{odd_cause} retransmitted data segments had cause Control (counted as new_data)"
            ));
        }
        let connections = self.connections(info);
        let fairness = Fairness::of(&connections);
        let links: Vec<LinkReport> = link_reports(info, self.wire_end);
        let mut offload = offload_events(info, &self.offload);
        offload.offloaded_ns = offloaded_time(&offload.events, self.end);
        let completions = offload
            .events
            .iter()
            .filter(|e| matches!(e.kind.as_str(), "offload_completed" | "upload_completed"));
        for (e, (before, after)) in completions.zip(&self.handovers.states) {
            let kind = if e.kind == "offload_completed" {
                "offload"
            } else {
                "upload"
            };
            offload.handover.push(Handover {
                conn: e.conn,
                kind: kind.to_string(),
                time_ns: e.time_ns,
                before: before.as_ref().map(crate::metrics::cc_state),
                after: after.as_ref().map(crate::metrics::cc_state),
            });
        }
        let buffers = match std::mem::replace(&mut self.buffers, Buffers::Kept(Vec::new())) {
            Buffers::Kept(mut buffers) => {
                buffers.sort_by_key(|b| (b.conn, b.buf));
                buffer_stats(&buffers, true)
            }
            Buffers::Counted(tally) => tally.stats(Vec::new()),
        };
        let span_ns = info.completion_time_ns.or(self.last_delivery).filter(|&t| t > 0);
        let goodput_bps = span_ns.map(|t| info.bytes_delivered as f64 * 8.0 * 1e9 / t as f64);
        let flows = info
            .flows
            .iter()
            .zip(&self.flows)
            .map(|(f, &(sent, delivered, bytes))| FlowReport {
                name: f.name.clone(),
                from: f.from.clone(),
                to: f.to.clone(),
                packets_sent: sent,
                packets_delivered: delivered,
                bytes_delivered: bytes,
                loss: (sent > 0).then(|| 1.0 - delivered as f64 / sent as f64),
            })
            .collect();
        let actions = action_outcomes(&RunLog {
            offload: std::mem::take(&mut self.offload),
            timeline: std::mem::take(&mut self.timeline),
            triggers: std::mem::take(&mut self.triggers),
            ..RunLog::default()
        });
        RunReport {
            scenario: info.scenario.clone(),
            description: info.description.clone(),
            run_id: info.run_id.clone(),
            seed: info.seed,
            seed_index: info.seed_index,
            params: info.params.clone(),
            fingerprint: info.fingerprint.clone(),
            events: info.events,
            outcome: info.outcome.clone(),
            integrity_ok: info.integrity_ok,
            bytes_expected: info.bytes_expected,
            bytes_delivered: info.bytes_delivered,
            completion_time_ns: info.completion_time_ns,
            goodput_bps,
            segments: self.seg,
            retransmissions: self.retx,
            rto_count: self.rto,
            spurious_retransmissions: self.spurious.n,
            spurious_retransmitted_bytes: self.spurious.bytes,
            offload,
            buffers,
            connections,
            fairness,
            links,
            flows,
            actions,
            warnings,
            version: info.version.clone(),
            commit: info.commit.clone(),
            command: info.command.clone(),
            scenario_text: info.scenario_text.clone(),
            artifacts: crate::Artifacts::default(),
        }
    }

    /// Per-connection reports, in `info.conns` order.
    fn connections(&self, info: &RunInfo) -> Vec<ConnReport> {
        info.conns
            .iter()
            .zip(&self.conns)
            .map(|(ci, acc)| {
                let result = info.conn_results.iter().find(|r| r.conn == ci.conn);
                // Without per-connection results the run's totals stand for its only connection.
                let (name, delivered, completion, integrity) = match result {
                    Some(r) => (r.name.clone(), r.bytes_delivered, r.completion_time_ns, r.integrity_ok),
                    None => (
                        format!("conn{}", ci.conn),
                        info.bytes_delivered,
                        info.completion_time_ns,
                        info.integrity_ok,
                    ),
                };
                let start = acc.start.unwrap_or(0);
                let end = completion.or(acc.last_delivery);
                let goodput_bps = end
                    .map(|e| e.saturating_sub(start))
                    .filter(|&t| t > 0 && delivered > 0)
                    .map(|t| delivered as f64 * 8.0 * 1e9 / t as f64);
                ConnReport {
                    name,
                    conn: ci.conn,
                    client: ci.sender.host.clone(),
                    server: ci.receiver.host.clone(),
                    offloaded: acc.offloaded,
                    bytes_delivered: delivered,
                    integrity_ok: integrity,
                    completion_time_ns: completion,
                    goodput_bps,
                    retransmissions: acc.retx,
                    rto_count: acc.rto,
                    spurious_retransmissions: acc.spurious,
                }
            })
            .collect()
    }
}
