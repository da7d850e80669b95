//! The offload target (a chimney-capable NIC) as an actor.
//!
//! It sits on its host's receive path: every segment the link delivers for the host comes
//! here first. Segments of connections it runs are processed by its own copy of the TCP
//! engine; all others go up to the host stack. It takes connections over on
//! `InitiateOffload` (after a configurable latency, or refuses: rule 37), transmits and
//! retransmits straight from the delegated chain and the sends posted after, completes send
//! requests back to the host (rule 25), and gives connections back on `TerminateOffload`
//! (rules 30–33). It asks for that itself (rule 27, after `indication_latency`) when it gives
//! up on a segment (rule 18, TimeoutExpiration), when the connection enters TIME_WAIT (rule 44)
//! or reaches CLOSED through LAST_ACK, when its optional FIN_WAIT_2 timer expires (rule 17,
//! TimeoutExpiration) and when a scenario says so (rule 46, UploadRequested, or another rule-44
//! reason); sends posted from then on bounce with UPLOAD_IN_PROGRESS (rule 29). Every entry it
//! holds (offloading, running, uploading or aborted) counts against `max_connections`.
//!
//! A NIC of its own: [`NicTcp`] gives it its own timer tick, RTO bounds, dup-ACK threshold and
//! SACK support, and [`super::RecoveryInference`] how it infers the recovery state it is not
//! handed; [`super::NicResources`] its processing rate, DMA latency, completion coalescing and
//! context memory (with an upload of the least recently active connection under pressure).
//!
//! Checked at run time (a violation ends the run naming the rule): the §3 offload checks
//! (rules 1–5, on the host side), rule 9 (first data segment), rule 10 (in-order sending from
//! SndNxt through the chain into later sends), rule 12 (a segment is a retransmission exactly
//! when it carries a byte sent before, by host or target; the resend region always is),
//! rule 13 (SndUna never moves back, SndUna ≤ SndNxt ≤ SndMax), rule 20 (RST only on an
//! abortive disconnect), rule 25 (completions FIFO and only once acknowledged), rule 40
//! (nothing sent after an RST, from the batch that processed it on), rule 42 (the FIN after
//! all data). Each check has a negative test through the test-only [`super::Fault`] switch.
//! Rule 11 (byte content) is
//! checked by the receiving application; the upload-side rules (31–33) by the host.
//!
//! Policies where the spec leaves room: rule 9 (d) is read to cover a window that opens
//! before the first send (an outstanding probe byte is resent from SndUna); after a target
//! upload request for UploadRequested the target keeps running the connection until the host
//! terminates it (as rule 44 requires of the optional reasons); a connection the target
//! aborted (rule 40) keeps its state until the host terminates it, and is returned CLOSED with
//! no chain.

use super::monitor::{SendRules, check_output};
use super::{DelegatedState, OffloadBlock, RuleViolation, Ticks, UploadBlock, UploadReason};
use crate::chain::{BufOrigin, SendChain};
use crate::endpoint::{ConnTimers, EngineSlot, OwnerPolicy, SegmentBoxes, decode_tag, dispatch};
use crate::msg::{Action, Msg, OffloadCompletion, PostedSend, Received, SendStatus};
use crate::record::{OffloadEventKind, OffloadRecord, Recorder};
use crate::segment::{BufId, ConnId, Segment, Sender};
use crate::tcp::{ConnEvent, Output, TcpConnection, TcpState};
use bytes::Bytes;
use sim_core::{Actor, ActorId, Ctx, SimDuration, SimTime, TimerId};
use std::collections::{BTreeMap, VecDeque};

/// What the target can do and how long it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetConfig {
    /// Host ticks per second for the delegated state.
    pub ticks: Ticks,
    /// Time from InitiateOffload to its completion.
    pub offload_latency: SimDuration,
    /// Time from TerminateOffload to its completion.
    pub upload_latency: SimDuration,
    /// Refuse every offload (OFFLOAD_CONNECTION_REJECTED).
    pub refuse: bool,
    /// At most this many offloaded connections (OFFLOAD_TCP_ENTRIES beyond it).
    pub max_connections: u32,
    /// Resends of one segment before the target asks for an upload (rule 18); `None` keeps
    /// the connection's own limit.
    pub max_retransmissions: Option<u32>,
    /// Time from the target's decision to upload to the host seeing TcpIndicateRetrieve
    /// (rules 27 and 29: sends posted in between complete with UPLOAD_IN_PROGRESS).
    pub indication_latency: SimDuration,
    /// How the target infers the recovery state it is not given (defect 5 of issue 11).
    pub recovery_inference: super::RecoveryInference,
    /// The FIN_WAIT_2 timer (rule 17: "In FinWait2 the retransmit timer is the FIN_WAIT_2
    /// timer (120 s initial)"); on expiry the target asks for an upload (TimeoutExpiration,
    /// §9), so a connection whose peer never closes does not hold its entry for ever. `None`
    /// (the default, so that existing scenarios run as before: their peers never close, and a
    /// 120 s timer would outlast their time limits) keeps the entry until the host uploads.
    pub fin_wait_2_timeout: Option<SimDuration>,
    /// The NIC's own TCP settings.
    pub nic_tcp: NicTcp,
    /// The NIC's resources (processing rate, DMA, completion coalescing, context memory).
    pub resources: super::NicResources,
    /// A deliberately broken host or target (negative tests of the rule checks only).
    #[doc(hidden)]
    pub fault: Option<super::Fault>,
}

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            ticks: Ticks::default(),
            offload_latency: SimDuration::from_micros(100),
            upload_latency: SimDuration::from_micros(100),
            refuse: false,
            max_connections: 1024,
            max_retransmissions: None,
            indication_latency: SimDuration::ZERO,
            recovery_inference: super::RecoveryInference::default(),
            fin_wait_2_timeout: None,
            nic_tcp: NicTcp::default(),
            resources: super::NicResources::default(),
            fault: None,
        }
    }
}

/// The NIC's own TCP settings (OID_TCP_CONNECTION_OFFLOAD_PARAMETERS as the NIC applies
/// them, spec/chimney.md §1 "Global parameters"). `None` everywhere (the default) runs the
/// connection with the host's settings, exactly as before these existed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NicTcp {
    /// Timer granularity: TicksPerSecond (10, 100 or 1000). The target's retransmission,
    /// persist and delayed-ACK timers fire at the next tick boundary, and the RTO's clock
    /// granularity G (RFC 6298 §2) is one tick.
    pub ticks_per_second: Option<u32>,
    /// Lower bound of the target's RTO (RFC 6298 §2.4).
    pub min_rto: Option<SimDuration>,
    /// Upper bound of the target's RTO (RFC 6298 §2.5).
    pub max_rto: Option<SimDuration>,
    /// TcpDuplicateAckThreshold.
    pub dupack_threshold: Option<u32>,
    /// SACK support: `Some(false)` is a NIC without SACK, which ignores the peer's SACK
    /// blocks (the CONST SACK flag is returned unchanged at upload).
    pub sack: Option<bool>,
}

/// Timer tags above the engine's: completions of offload and upload.
const OFFLOAD_DONE: u64 = 0x10;
const UPLOAD_DONE: u64 = 0x11;
const FIN_WAIT_2_EXPIRED: u64 = 0x12;
const COALESCE_DUE: u64 = 0x13;

enum Phase {
    /// The offload latency is elapsing; the block waits.
    Offloading(Box<OffloadBlock>),
    /// The target runs the connection.
    Running,
    /// TerminateOffload received; the upload latency is elapsing.
    Uploading(UploadReason),
    /// An acceptable RST arrived (rule 40); state kept until the host terminates.
    Aborted,
}

struct TargetConn {
    host: ActorId,
    phase: Phase,
    /// The engine, its timers, pending conditions and counters (engine absent until the
    /// offload completes and after an abort).
    slot: EngineSlot,
    /// The target decided to upload, and why (rules 18, 29, 46).
    upload_requested: Option<UploadReason>,
    rules: Option<SendRules>,
    /// The state at the RST (rule 40: kept until the host terminates).
    aborted: Option<(DelegatedState, super::ConstState)>,
    /// The FIN_WAIT_2 timer is armed (rule 17).
    fin_wait_2_armed: bool,
    /// SACK as negotiated (CONST), returned at upload whatever the NIC supports.
    sack_negotiated: bool,
    /// Successful completions held for coalescing, in order.
    completions: Vec<BufId>,
    /// The coalescing timer is armed.
    coalesce_armed: bool,
    /// When the connection last had traffic or a timer (least recently active upload).
    last_active: SimTime,
    /// A [`Msg::Push`] is on its way: sends posted at this instant are queued, not yet
    /// transmitted.
    push_pending: bool,
}

/// The offload target actor.
pub struct OffloadTarget {
    name: String,
    host: ActorId,
    egress: ActorId,
    cfg: TargetConfig,
    conns: BTreeMap<ConnId, TargetConn>,
    out: Output,
    /// The boxes of segments that arrived, reused for segments sent (see [`SegmentBoxes`]).
    boxes: SegmentBoxes,
    recorder: Recorder,
    offloads_accepted: u64,
    offloads_refused: u64,
    /// The configured fault was injected (once per target).
    fault_done: bool,
    /// The last data segment sent (for [`super::Fault::TargetSendsAfterRst`]).
    last_data: Option<Segment>,
    /// The NIC's transmit queue.
    txq: super::nic::TxQueue,
}

impl OffloadTarget {
    /// A target serving host stack `host`, transmitting through `egress`.
    pub fn new(name: impl Into<String>, host: ActorId, egress: ActorId, cfg: TargetConfig) -> Self {
        OffloadTarget {
            name: name.into(),
            host,
            egress,
            cfg,
            conns: BTreeMap::new(),
            out: Output::default(),
            boxes: SegmentBoxes::default(),
            recorder: Recorder::default(),
            offloads_accepted: 0,
            offloads_refused: 0,
            fault_done: false,
            last_data: None,
            txq: super::nic::TxQueue::default(),
        }
    }

    /// Shares its spare segment boxes with the other endpoints given `boxes`.
    pub(crate) fn sharing_boxes(mut self, boxes: &SegmentBoxes) -> Self {
        self.boxes = boxes.clone();
        self
    }

    /// What was recorded since the last slice, in place: the run moves the records out and
    /// the lists keep their capacity.
    pub fn recorder_mut(&mut self) -> &mut Recorder {
        &mut self.recorder
    }

    /// (accepted, refused) offload counts.
    pub fn offload_counts(&self) -> (u64, u64) {
        (self.offloads_accepted, self.offloads_refused)
    }

    /// The target's engine for `conn`, while it runs the connection.
    pub fn connection(&self, conn: ConnId) -> Option<&TcpConnection> {
        self.conns.get(&conn)?.slot.tcp.as_ref()
    }

    /// Entries in use: every connection the target holds, whatever its phase (an offload
    /// still in its latency, a running, uploading or aborted one) until the host terminates
    /// it (rule 37, OFFLOAD_TCP_ENTRIES).
    fn entries(&self) -> u32 {
        self.conns.len() as u32
    }

    /// How many entries the target has: `max_connections`, or fewer if its context memory
    /// holds fewer connections.
    fn entry_limit(&self) -> u32 {
        self.cfg.max_connections.min(self.cfg.resources.entries_in_memory())
    }

    /// The running connection with the oldest activity that has no upload under way.
    fn least_recently_active(&self) -> Option<ConnId> {
        self.conns
            .iter()
            .filter(|(_, c)| matches!(c.phase, Phase::Running) && c.upload_requested.is_none())
            .min_by_key(|(id, c)| (c.last_active, **id))
            .map(|(id, _)| *id)
    }

    /// Delivers the successful completions held for `conn` (coalescing), in order.
    fn deliver_completions(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.coalesce_armed = false;
        for buf in std::mem::take(&mut c.completions) {
            ctx.send(
                c.host,
                SimDuration::ZERO,
                Msg::SendCompleted {
                    conn,
                    buf,
                    status: SendStatus::Success,
                },
            );
        }
    }

    fn violation(now: SimTime, conn: ConnId, tcp: &TcpConnection, rule: u8, message: String) -> String {
        RuleViolation {
            rule,
            time: now,
            conn,
            seq: (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max()),
            message,
        }
        .to_string()
    }

    fn initiate(&mut self, ctx: &mut Ctx<'_, Msg>, block: Box<OffloadBlock>) {
        let conn = block.conn;
        let refusal = if self.cfg.refuse {
            Some("OFFLOAD_CONNECTION_REJECTED (target configured to refuse)".to_string())
        } else if self.entries() >= self.entry_limit() {
            Some(format!(
                "OFFLOAD_TCP_ENTRIES (limit of {} connections)",
                self.entry_limit()
            ))
        } else if self.conns.contains_key(&conn) {
            Some("connection already offloaded".to_string())
        } else {
            None
        };
        if let Some(reason) = refusal {
            // Rule 37: touch nothing, emit no packet; the host keeps its chain.
            self.offloads_refused += 1;
            // Under pressure, make room for later offloads (rule 46: resources).
            if self.cfg.resources.upload_lru_under_pressure
                && reason.starts_with("OFFLOAD_TCP_ENTRIES")
                && let Some(lru) = self.least_recently_active()
            {
                self.request_upload(ctx, lru, UploadReason::UploadRequested);
            }
            ctx.send(
                block.host,
                self.cfg.offload_latency,
                Msg::InitiateOffloadComplete(Box::new(OffloadCompletion {
                    conn,
                    accepted: false,
                    reason,
                })),
            );
            return;
        }
        let host = block.host;
        ctx.set_timer(
            ctx.now() + self.cfg.offload_latency,
            u64::from(conn.0) << 8 | OFFLOAD_DONE,
        );
        self.conns.insert(
            conn,
            TargetConn {
                host,
                phase: Phase::Offloading(block),
                slot: EngineSlot::new(None, ConnTimers::default()),
                upload_requested: None,
                rules: None,
                aborted: None,
                fin_wait_2_armed: false,
                sack_negotiated: false,
                completions: Vec::new(),
                coalesce_armed: false,
                last_active: ctx.now(),
                push_pending: false,
            },
        );
    }

    fn offload_done(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let Phase::Offloading(block) = std::mem::replace(&mut c.phase, Phase::Running) else {
            return;
        };
        let OffloadBlock {
            snapshot_time,
            mut cfg,
            state,
            consts,
            chain,
            pending,
            rto_count,
            fr_count,
            ..
        } = *block;
        if let Some(limit) = self.cfg.max_retransmissions {
            cfg.max_retransmissions = limit;
        }
        let nic = self.cfg.nic_tcp;
        cfg.min_rto = nic.min_rto.unwrap_or(cfg.min_rto);
        cfg.max_rto = nic.max_rto.unwrap_or(cfg.max_rto);
        cfg.dupack_threshold = nic.dupack_threshold.unwrap_or(cfg.dupack_threshold);
        let tick_ns = nic.ticks_per_second.map_or(0, |t| 1_000_000_000 / u64::from(t.max(1)));
        if tick_ns > 0 {
            // RFC 6298 §2: "RTO <- SRTT + max (G, K*RTTVAR)" with G the NIC's tick.
            cfg.clock_granularity = SimDuration::from_nanos(tick_ns);
        }
        c.slot.timers = ConnTimers::with_tick(tick_ns);
        c.sack_negotiated = consts.sack;
        let mut tcb = state.to_tcb(&consts, conn, self.cfg.ticks, &cfg, self.cfg.recovery_inference);
        if nic.sack == Some(false) {
            // A NIC without SACK ignores the peer's SACK blocks (RFC 2018 is optional).
            tcb.snd.sack_permitted = false;
        }
        let chain = chain.unwrap_or_else(|| SendChain::starting_at(consts.snd_una_offset));
        let marks = chain.delegation_marks();
        let posted: VecDeque<(BufId, u64)> = chain.buffers().map(|b| (b.id, b.end_offset())).collect();
        let una = chain.front_offset();
        // Rule 17: timers resume from the delegated values, counted from the snapshot.
        let tcp = match TcpConnection::from_tcb(cfg, Sender::OffloadTarget, &tcb, chain, snapshot_time) {
            Ok(t) => t,
            Err(e) => {
                ctx.fail(format!("{}: delegated state rejected: {e:?}", self.name));
                return;
            }
        };
        let at = |s: crate::seq::SeqNum| una + u64::from(s.wrapping_since(tcb.snd.snd_una));
        let (snd_nxt0, snd_max0) = marks.map_or((at(tcb.snd.snd_nxt), at(tcb.snd.snd_max)), |m| (m.snd_nxt, m.snd_max));
        c.rules = Some(SendRules {
            snd_nxt0,
            zero_window0: tcb.snd.snd_wnd == 0,
            first_sent: false,
            frontier: snd_nxt0,
            una,
            posted,
            recovery_started: false,
            sent_max: snd_max0,
            abort_requested: false,
            tsval_floor: tcb.ts.map(|t| t.ts_time),
        });
        c.slot.tcp = Some(tcp);
        c.slot.pending = pending;
        c.slot.rto_count = rto_count;
        c.slot.fr_count = fr_count;
        self.offloads_accepted += 1;
        ctx.send(
            c.host,
            SimDuration::ZERO,
            Msg::InitiateOffloadComplete(Box::new(OffloadCompletion {
                conn,
                accepted: true,
                reason: String::new(),
            })),
        );
        let tcp = c.slot.tcp.as_mut().expect("just set");
        tcp.poll(now, &mut self.out);
        self.flush(ctx, conn);
    }

    /// Checks the engine's output against the send rules, then sends it where it belongs.
    fn flush(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        let mut out = std::mem::take(&mut self.out);
        self.inject_fault(&mut out);
        let nxt_beyond_max = self.cfg.fault == Some(super::Fault::TargetSndNxtBeyondSndMax) && !out.segments.is_empty();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.slot.tcp.is_none() {
            return;
        }
        // Rule 40: "send nothing more" once an acceptable RST aborted the connection, from the
        // batch that processed the RST on.
        let aborted = matches!(c.phase, Phase::Aborted) || out.events.contains(&ConnEvent::Reset);
        let mut owner = TargetOwner {
            boxes: &mut self.boxes,
            egress: self.egress,
            host: c.host,
            txq: &mut self.txq,
            resources: &self.cfg.resources,
            indication_latency: self.cfg.indication_latency,
            rules: c.rules.as_mut(),
            aborted,
            nxt_beyond_max,
            completions: &mut c.completions,
            coalesce_armed: &mut c.coalesce_armed,
            upload_requested: &mut c.upload_requested,
            batch_full: false,
        };
        let applied = c.slot.apply(ctx, conn, &mut out, &mut owner, &mut self.recorder);
        if applied.failed {
            return;
        }
        let reset = applied.reset;
        let batch_full = owner.batch_full;
        if batch_full {
            self.deliver_completions(ctx, conn);
        }
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.slot.tcp.is_none() {
            return;
        }
        if reset {
            // Rule 40: complete every pending send with REQUEST_ABORTED, send nothing more
            // (the successful completions held for coalescing go first, in order).
            if !c.completions.is_empty() {
                self.deliver_completions(ctx, conn);
            }
            let Some(c) = self.conns.get_mut(&conn) else { return };
            c.phase = Phase::Aborted;
            c.slot.timers.cancel_all(ctx);
            let (tcb, mut chain) = c.slot.tcp.take().expect("present").into_parts(now);
            self.recorder.offload.push(OffloadRecord {
                time: now,
                conn,
                kind: OffloadEventKind::Aborted,
                snd_una: tcb.snd.snd_una,
                snd_nxt: tcb.snd.snd_nxt,
                snd_max: tcb.snd.snd_max,
            });
            c.aborted = Some(DelegatedState::from_tcb(&tcb, chain.end_offset(), self.cfg.ticks));
            for b in chain.drain() {
                ctx.send(
                    c.host,
                    SimDuration::ZERO,
                    Msg::SendCompleted {
                        conn,
                        buf: b.id,
                        status: SendStatus::RequestAborted,
                    },
                );
            }
        } else {
            c.slot.settle(ctx, conn, Some(&mut self.recorder.cc));
            let tcp = c.slot.tcp.as_ref().expect("running");
            // Rule 44: "Entering TIME_WAIT: the OT should request upload". A connection that
            // reached CLOSED through LAST_ACK has nothing left to run: its entry goes back too.
            if matches!(tcp.state(), TcpState::TimeWait | TcpState::Closed) && c.upload_requested.is_none() {
                c.upload_requested = Some(UploadReason::UploadRequested);
                ctx.send(
                    c.host,
                    self.cfg.indication_latency,
                    Msg::RequestUpload {
                        conn,
                        reason: UploadReason::UploadRequested,
                    },
                );
            }
            // Rule 17: "In FinWait2 the retransmit timer is the FIN_WAIT_2 timer".
            if let Some(timeout) = self.cfg.fin_wait_2_timeout
                && tcp.state() == TcpState::FinWait2
                && !c.fin_wait_2_armed
            {
                c.fin_wait_2_armed = true;
                ctx.set_timer(now + timeout, u64::from(conn.0) << 8 | FIN_WAIT_2_EXPIRED);
            }
        }
        out.clear();
        self.out = out;
        self.fire_conditions(ctx, conn);
    }

    fn fire_conditions(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        // The target carries out no action itself: every fired action is sent to its executor.
        for p in c.slot.take_fired() {
            dispatch(ctx, &mut self.recorder, p, None);
        }
    }

    /// A segment arrived, in its box (handled there, and the box kept for a segment to send).
    fn on_wire(&mut self, ctx: &mut Ctx<'_, Msg>, mut seg: Box<Segment>, forwarded: bool) {
        let conn = seg.provenance.conn;
        let now = ctx.now();
        match self.conns.get_mut(&conn) {
            Some(c) if matches!(c.phase, Phase::Running) => {
                c.last_active = now;
                let tcp = c.slot.tcp.as_mut().expect("running");
                tcp.on_segment(now, &mut seg, &mut self.out);
                self.boxes.keep(seg);
                self.flush(ctx, conn);
            }
            // An aborted connection's late segments are dropped; forwarded ones too.
            Some(c) if matches!(c.phase, Phase::Aborted) => self.boxes.keep(seg),
            // Offload in progress (rule 21: nothing reaches the OT; the host holds it and
            // forwards it later), upload in progress (rule 35), or not ours: up to the host.
            _ if !forwarded => ctx.send(self.host, SimDuration::ZERO, Msg::Segment(seg)),
            _ => ctx.fail(format!(
                "{}: forwarded segment for conn {} that is not running here",
                self.name, conn.0
            )),
        }
    }

    fn post(&mut self, ctx: &mut Ctx<'_, Msg>, send: Box<PostedSend>) {
        let now = ctx.now();
        let (conn, buf) = (send.conn, send.buf);
        let Some(c) = self.conns.get_mut(&conn) else {
            ctx.fail(format!(
                "{}: send posted for conn {} which is not offloaded (rule 21/28)",
                self.name, conn.0
            ));
            return;
        };
        match c.phase {
            Phase::Running if c.upload_requested.is_none() => {
                let PostedSend { offset, data, .. } = *send;
                c.last_active = now;
                let tcp = c.slot.tcp.as_mut().expect("running");
                if offset != tcp.chain().end_offset() {
                    let m = format!(
                        "send posted at stream offset {offset}, chain ends at {}",
                        tcp.chain().end_offset()
                    );
                    ctx.fail(Self::violation(now, conn, tcp, 10, m));
                    return;
                }
                let end = offset + data.len() as u64;
                if let Err(e) = tcp.send(buf, data, BufOrigin::PostedAfterOffload) {
                    ctx.fail(format!("{}: posted send on conn {} refused: {e:?}", self.name, conn.0));
                    return;
                }
                if let Some(r) = c.rules.as_mut() {
                    r.posted.push_back((buf, end));
                }
                // Transmit once every send posted at this instant is queued (Msg::Push).
                if !c.push_pending {
                    c.push_pending = true;
                    ctx.send(ctx.me(), SimDuration::ZERO, Msg::Push(conn));
                }
            }
            // Rule 29: once an upload is decided or asked for, sends bounce.
            Phase::Running | Phase::Uploading(_) => ctx.send(c.host, SimDuration::ZERO, Msg::SendBounced(send)),
            // Rule 40: pending sends of an aborted connection complete REQUEST_ABORTED.
            Phase::Aborted => ctx.send(
                c.host,
                SimDuration::ZERO,
                Msg::SendCompleted {
                    conn,
                    buf,
                    status: SendStatus::RequestAborted,
                },
            ),
            Phase::Offloading(_) => ctx.fail(format!(
                "{}: send posted for conn {} before InitiateOffloadComplete (rule 21)",
                self.name, conn.0
            )),
        }
    }

    fn terminate(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else {
            ctx.fail(format!(
                "{}: TerminateOffload for conn {} which is not offloaded",
                self.name, conn.0
            ));
            return;
        };
        let reason = c.upload_requested.unwrap_or(UploadReason::HostRequested);
        match c.phase {
            Phase::Running => {
                // Rule 30: "sends pending delayed ACKs, stops push/SWS/delayed-ACK timers".
                let tcp = c.slot.tcp.as_mut().expect("running");
                tcp.flush_ack(now, &mut self.out);
                for seg in self.out.segments.drain(..) {
                    let delay = self.txq.delay(&self.cfg.resources, now, &seg);
                    ctx.send(self.egress, delay, Msg::Segment(self.boxes.boxed(seg)));
                }
                self.out.clear();
                c.slot.timers.cancel_all(ctx);
                c.phase = Phase::Uploading(reason);
                self.recorder.offload.push(OffloadRecord {
                    time: now,
                    conn,
                    kind: OffloadEventKind::UploadInitiated {
                        reason: format!("{reason:?}"),
                    },
                    snd_una: tcp.snd_una(),
                    snd_nxt: tcp.snd_nxt(),
                    snd_max: tcp.snd_max(),
                });
                ctx.set_timer(now + self.cfg.upload_latency, u64::from(conn.0) << 8 | UPLOAD_DONE);
            }
            Phase::Aborted => {
                // Rule 40: the aborted state was kept "until the host terminates". Nothing
                // is returned (every send was completed REQUEST_ABORTED); the state says Closed.
                let c = self.conns.remove(&conn).expect("present");
                let (state, consts) = c.aborted.expect("an aborted connection keeps its state");
                self.recorder.offload.push(OffloadRecord {
                    time: now,
                    conn,
                    kind: OffloadEventKind::UploadInitiated {
                        reason: format!("{reason:?}"),
                    },
                    snd_una: state.snd_una,
                    snd_nxt: state.snd_nxt,
                    snd_max: state.snd_max,
                });
                let block = UploadBlock {
                    conn,
                    reason,
                    state,
                    consts,
                    chain: None,
                    pending: c.slot.pending,
                    rto_count: c.slot.rto_count,
                    fr_count: c.slot.fr_count,
                };
                ctx.send(
                    c.host,
                    self.cfg.upload_latency,
                    Msg::TerminateOffloadComplete(Box::new(block)),
                );
            }
            Phase::Uploading(_) | Phase::Offloading(_) => ctx.fail(format!(
                "{}: TerminateOffload for conn {} in transit (rule 28)",
                self.name, conn.0
            )),
        }
    }

    fn upload_done(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        // Rule 30: "completes every outstanding send" before TerminateOffloadComplete.
        self.deliver_completions(ctx, conn);
        let Some(c) = self.conns.remove(&conn) else { return };
        let Phase::Uploading(reason) = c.phase else { return };
        let tcp = c.slot.tcp.expect("uploading keeps the engine");
        let gave_up = tcp.gave_up();
        let (tcb, chain) = tcp.into_parts(now);
        let (mut state, mut consts) = DelegatedState::from_tcb(&tcb, chain.front_offset(), self.cfg.ticks);
        // CONST state is returned as it was handed over (a NIC without SACK did not use it).
        consts.sack = c.sack_negotiated;
        let fault = self.cfg.fault;
        if gave_up && state.snd_max != state.snd_una {
            // Rule 33: "0 = host timer fires immediately". The target stopped its timer when it
            // gave up (rule 18); the segment is overdue, so the host resends it at once rather
            // than the timer reading as off with data outstanding.
            state.retransmit.timeout_delta = 0;
        }
        // Rule 31: the chain is NULL when nothing is outstanding.
        let chain = (!chain.is_empty()).then_some(chain);
        let mut block = UploadBlock {
            conn,
            reason,
            state,
            consts,
            chain,
            pending: c.slot.pending,
            rto_count: c.slot.rto_count,
            fr_count: c.slot.fr_count,
        };
        if let Some(f) = fault {
            f.break_upload_block(&mut block);
        }
        ctx.send(
            c.host,
            SimDuration::ZERO,
            Msg::TerminateOffloadComplete(Box::new(block)),
        );
    }

    /// Breaks one batch of the engine's output as the configured fault says, once.
    fn inject_fault(&mut self, out: &mut Output) {
        use super::Fault::*;
        if let Some(seg) = out.segments.iter().rfind(|s| !s.payload.is_empty()) {
            self.last_data = Some(seg.clone());
        }
        let Some(fault) = self.cfg.fault else { return };
        if self.fault_done {
            return;
        }
        let first_data = out.segments.iter().position(|s| !s.payload.is_empty());
        let done = match (fault, first_data) {
            (TargetFirstSegmentPastSndNxt, Some(i)) => {
                let len = out.segments[i].payload.len() as u64;
                out.segments[i].provenance.stream_offset += len;
                true
            }
            (TargetSkipsAhead, Some(_)) if self.offloads_accepted > 0 && out.segments.len() >= 2 => {
                let last = out.segments.len() - 1;
                let len = out.segments[last].payload.len() as u64;
                out.segments[last].provenance.stream_offset += len;
                len > 0
            }
            (TargetUnmarkedRetransmission, _) => match out.segments.iter_mut().find(|s| s.provenance.is_retransmission)
            {
                Some(s) => {
                    s.provenance.is_retransmission = false;
                    true
                }
                None => false,
            },
            (TargetSpuriousRst, Some(i)) => {
                let mut rst = out.segments[i].clone();
                rst.payload = Bytes::new();
                rst.flags.rst = true;
                out.segments.push(rst);
                true
            }
            (TargetEarlyCompletion, Some(_)) => {
                match self.conns.values().find_map(|c| c.rules.as_ref()?.posted.front()) {
                    Some(&(buf, _)) => {
                        out.completed.insert(0, buf);
                        true
                    }
                    None => false,
                }
            }
            (TargetSendsAfterRst, _) if out.events.contains(&ConnEvent::Reset) => match self.last_data.clone() {
                Some(seg) => {
                    out.segments.push(seg);
                    true
                }
                None => false,
            },
            (TargetTsvalBehindHost, _) => {
                let floor = self.conns.values().find_map(|c| c.rules.as_ref()?.tsval_floor);
                match (
                    floor,
                    out.segments.iter_mut().find_map(|s| s.options.timestamp.as_mut()),
                ) {
                    (Some(floor), Some(ts)) => {
                        ts.0 = floor.wrapping_sub(1);
                        true
                    }
                    _ => false,
                }
            }
            (TargetEarlyFin, Some(i)) => {
                out.segments[i].flags.fin = true;
                true
            }
            _ => false,
        };
        self.fault_done = done;
    }

    /// The target decides to give the connection back (rule 27: "the OT may ask"; rule 46:
    /// resources lost after offload, reason UploadRequested). Sends posted from now on bounce
    /// with UPLOAD_IN_PROGRESS (rule 29). Policy: the target keeps running the connection
    /// until the host terminates it, as rule 44 requires for the optional reasons.
    fn request_upload(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, reason: UploadReason) {
        let now = ctx.now();
        let why = match self.conns.get(&conn) {
            None => Some("the connection is not offloaded"),
            Some(c) if !matches!(c.phase, Phase::Running) => Some("the connection is in transit or aborted"),
            Some(c) if c.upload_requested.is_some() => Some("an upload was already requested"),
            Some(_) => None,
        };
        if let Some(why) = why {
            self.recorder.offload.push(OffloadRecord {
                time: now,
                conn,
                kind: OffloadEventKind::ActionSkipped {
                    action: "target_upload".into(),
                    why: why.into(),
                },
                snd_una: Default::default(),
                snd_nxt: Default::default(),
                snd_max: Default::default(),
            });
            return;
        }
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.upload_requested = Some(reason);
        ctx.send(c.host, self.cfg.indication_latency, Msg::RequestUpload { conn, reason });
    }

    /// The FIN_WAIT_2 timer expired (rule 17) while the peer still has not closed: the target
    /// asks for an upload with reason TimeoutExpiration (§9: "FIN_WAIT_2 expiry ... tell it to
    /// request upload (TimeoutExpiration)").
    fn fin_wait_2_expired(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else { return };
        let in_fin_wait_2 = matches!(c.phase, Phase::Running)
            && c.upload_requested.is_none()
            && c.slot.tcp.as_ref().is_some_and(|t| t.state() == TcpState::FinWait2);
        if in_fin_wait_2 {
            self.request_upload(ctx, conn, UploadReason::TimeoutExpiration);
        }
    }

    fn disconnect(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, abortive: bool) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !matches!(c.phase, Phase::Running) {
            return;
        }
        let tcp = c.slot.tcp.as_mut().expect("running");
        if abortive {
            // Rule 42: abortive close sends RST; sends complete REQUEST_ABORTED (rule 40 path).
            if let Some(r) = c.rules.as_mut() {
                r.abort_requested = true;
            }
            tcp.abort(&mut self.out);
            self.out.events.push(ConnEvent::Reset);
        } else {
            // Rule 42: the FIN follows all earlier data.
            tcp.close();
            tcp.poll(now, &mut self.out);
        }
        self.flush(ctx, conn);
    }
}

/// The target's side of running an engine: segments wait in the NIC's transmit queue,
/// data and events go up to the host stack, completions may be coalesced, and giving up asks
/// for an upload (rule 18: "the OT requests upload with reason TimeoutExpiration (a mandatory
/// upload) instead of aborting").
struct TargetOwner<'a> {
    boxes: &'a mut SegmentBoxes,
    egress: ActorId,
    host: ActorId,
    txq: &'a mut super::nic::TxQueue,
    resources: &'a super::NicResources,
    indication_latency: SimDuration,
    /// The send-rule state of the checks (absent before the offload completes).
    rules: Option<&'a mut SendRules>,
    /// Rule 40: nothing may be sent (the connection is aborted, or this batch resets it).
    aborted: bool,
    /// The test-only fault that moves SndNxt beyond SndMax is on.
    nxt_beyond_max: bool,
    completions: &'a mut Vec<BufId>,
    coalesce_armed: &'a mut bool,
    upload_requested: &'a mut Option<UploadReason>,
    /// The coalesced completions reached their batch size (delivered after the events).
    batch_full: bool,
}

impl OwnerPolicy for TargetOwner<'_> {
    fn check(&mut self, tcp: &TcpConnection, out: &Output) -> Result<(), (u8, String)> {
        match self.rules.as_deref_mut() {
            Some(rules) => check_output(rules, tcp, out, self.aborted, self.nxt_beyond_max),
            None => Ok(()),
        }
    }

    fn transmit(&mut self, ctx: &mut Ctx<'_, Msg>, seg: Segment) {
        let delay = self.txq.delay(self.resources, ctx.now(), &seg);
        ctx.send(self.egress, delay, Msg::Segment(self.boxes.boxed(seg)));
    }

    fn deliver(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, offset: u64, data: Bytes) {
        ctx.send(
            self.host,
            SimDuration::ZERO,
            Msg::Delivered(Box::new(Received { conn, offset, data })),
        );
    }

    fn complete(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, buf: BufId) {
        self.txq.forget(conn, buf);
        if self.resources.coalesces() {
            self.completions.push(buf);
            return;
        }
        ctx.send(
            self.host,
            SimDuration::ZERO,
            Msg::SendCompleted {
                conn,
                buf,
                status: SendStatus::Success,
            },
        );
    }

    fn completions_done(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let r = self.resources;
        self.batch_full = r.coalesce_count.is_some_and(|n| self.completions.len() >= n as usize);
        if !self.completions.is_empty()
            && !self.batch_full
            && !*self.coalesce_armed
            && let Some(wait) = r.coalesce_time
        {
            *self.coalesce_armed = true;
            ctx.set_timer(ctx.now() + wait, u64::from(conn.0) << 8 | COALESCE_DUE);
        }
    }

    fn give_up(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, _tcp: &mut TcpConnection, _out: &mut Output) {
        if self.upload_requested.is_none() {
            *self.upload_requested = Some(UploadReason::TimeoutExpiration);
            ctx.send(
                self.host,
                self.indication_latency,
                Msg::RequestUpload {
                    conn,
                    reason: UploadReason::TimeoutExpiration,
                },
            );
        }
    }

    fn event_sink(&self) -> Option<ActorId> {
        Some(self.host)
    }
}

impl Actor<Msg> for OffloadTarget {
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        match msg {
            Msg::Segment(seg) => self.on_wire(ctx, seg, false),
            Msg::Forward(seg) => self.on_wire(ctx, seg, true),
            Msg::InitiateOffload(block) => self.initiate(ctx, block),
            Msg::OffloadSend(send) => self.post(ctx, send),
            Msg::Push(conn) => {
                let now = ctx.now();
                let Some(c) = self.conns.get_mut(&conn) else { return };
                c.push_pending = false;
                if matches!(c.phase, Phase::Running)
                    && let Some(tcp) = c.slot.tcp.as_mut()
                {
                    tcp.poll(now, &mut self.out);
                    self.flush(ctx, conn);
                }
            }
            Msg::TerminateOffload(conn) => self.terminate(ctx, conn),
            Msg::OffloadDisconnect { conn, abortive } => self.disconnect(ctx, conn, abortive),
            Msg::Action(a) => match *a {
                Action::TargetUpload(conn) => self.request_upload(ctx, conn, UploadReason::UploadRequested),
                Action::TargetUploadFor(conn, reason) => self.request_upload(ctx, conn, reason),
                _ => {}
            },
            other => ctx.fail(format!("{}: unexpected message {other:?}", self.name)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _timer: TimerId, tag: u64) {
        let conn = ConnId((tag >> 8) as u32);
        match tag & 0xff {
            OFFLOAD_DONE => self.offload_done(ctx, conn),
            UPLOAD_DONE => self.upload_done(ctx, conn),
            FIN_WAIT_2_EXPIRED => self.fin_wait_2_expired(ctx, conn),
            COALESCE_DUE => {
                if self.conns.get(&conn).is_some_and(|c| c.coalesce_armed) {
                    self.deliver_completions(ctx, conn);
                }
            }
            _ => {
                let (conn, kind) = decode_tag(tag);
                let now = ctx.now();
                let Some(c) = self.conns.get_mut(&conn) else { return };
                c.last_active = now;
                let running = matches!(c.phase, Phase::Running);
                if c.slot.timer_fired(now, kind, running, &mut self.out) {
                    self.flush(ctx, conn);
                }
            }
        }
    }
}
