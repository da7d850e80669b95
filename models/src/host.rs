//! The host TCP stack actor: runs connections on the host, and hands them to the offload
//! target and takes them back (the host side of spec/chimney.md).
//!
//! Per connection the host is in one of five modes:
//! - `Host`: it runs the TCP engine itself.
//! - `Offloading`: InitiateOffload is in flight. The host sends nothing (rule 7), queues
//!   application writes itself (rule 21) and holds segments that arrive; after completion it
//!   posts the queued writes to the target in order and forwards the held segments (rules
//!   22–23). If the target refuses (rule 37) the host continues as if nothing happened.
//! - `Offloaded`: the target runs the connection; writes are posted to it (rule 22).
//! - `Uploading`: TerminateOffload is in flight; writes are queued, arriving segments are held
//!   and processed by the host after the upload (rule 35), bounced writes come back (rule 29).
//! - `Closed`: the connection is over and no engine is left: it was reset (an RST, or the host
//!   giving up), or the target returned it CLOSED (after its abort indication, rule 40, the
//!   host terminates the offload at once, which frees the target's entry). Pending and later
//!   writes complete with REQUEST_ABORTED.
//!
//! An upload asked for while the offload is in flight waits for its completion (rule 21: the
//! target gets no terminate call before then); so does a close, and an offload asked for
//! while an upload is in flight. An offload asked for during the handshake waits for it to
//! complete (rule 1); one asked for once the connection is over does nothing. Every scenario
//! action that is deferred or does nothing is recorded as such (nothing is silent). The block
//! the host sends and the one it gets back are checked (rules 1–5 and 2, 31, 33) and kept as
//! [`HandoverRecord`]s.
//!
//! Not modelled: more than one route per host (every segment leaves through `egress`), IP
//! and ARP, socket buffers beyond the send chain, listen queues.

use crate::chain::{BufOrigin, SendChain};
use crate::conn_table::ConnTable;
use crate::endpoint::{ConnTimers, EngineSlot, OwnerPolicy, SegmentBoxes, decode_tag, dispatch};
use crate::msg::{Action, Msg, OffloadCompletion, PostedSend, Received, SendStatus, Write};
use crate::offload::{
    DelegatedState, HandoverKind, HandoverRecord, OffloadBlock, RecoveryInference, RuleViolation, Ticks, UploadBlock,
    check_offload_block, check_returned_data, check_returned_ts_time, check_upload_block,
};
use crate::record::{BufferEnd, BufferRecord, OffloadEventKind, OffloadRecord, Recorder};
use crate::segment::{BufId, ConnId, Segment, Sender};
use crate::tcp::{ConnEvent, Output, TcpConfig, TcpConnection, TcpState};
use crate::trigger::{Condition, PendingAction};
use bytes::Bytes;
use sim_core::{Actor, ActorId, Ctx, SimDuration, SimTime, TimerId};
use std::collections::BTreeMap;

/// Where a connection runs, from the host's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The host runs it.
    Host,
    /// InitiateOffload in flight.
    Offloading,
    /// The target runs it.
    Offloaded,
    /// TerminateOffload in flight.
    Uploading,
    /// Over (reset, given up, or returned CLOSED): no engine any more; writes complete
    /// REQUEST_ABORTED.
    Closed,
}

/// Timer tag (low byte) of a connection's opening time; the engine's timers use 0..4.
const OPEN_TAG: u64 = 0x20;

/// A write the host holds while the connection is between owners, keyed by stream offset,
/// with the origin it gets when the host sends it itself.
type Queued = BTreeMap<u64, (BufId, Bytes, BufOrigin)>;

struct HostConn {
    app: Option<ActorId>,
    cfg: TcpConfig,
    /// The engine, its timers, pending conditions and counters (absent engine: offloaded or
    /// closed).
    slot: EngineSlot,
    mode: Mode,
    /// Stream offset the next application write gets.
    next_offset: u64,
    queued: Queued,
    /// Segments that arrived during a handover, in the boxes they came in (they go on in
    /// them: forwarded to the target, or handled here).
    #[allow(clippy::vec_box)]
    held: Vec<Box<Segment>>,
    /// Buffer lifetimes, by id.
    buffers: BTreeMap<BufId, BufferRecord>,
    /// A close asked for while the connection was between owners: `Some(abortive)`.
    close_requested: Option<bool>,
    /// An upload asked for while the offload was in flight (rule 21: deferred).
    upload_requested: bool,
    /// An offload asked for during the handshake (rule 1: deferred until it completes).
    offload_when_open: bool,
    /// A scenario close (`Some(abortive)`) of the passive side asked for before its peer's SYN
    /// arrived: deferred until the connection is established (closing then would close the
    /// listening socket, and the peer's SYN would be answered by a reset).
    close_when_open: Option<bool>,
    /// An offload asked for while an upload was in flight (deferred until it completes).
    offload_after_upload: bool,
    /// When the connection opens (its SYN leaves, if it is the active side).
    open_at: SimTime,
    /// A [`Msg::Push`] is on its way: writes of this instant are queued, not yet transmitted.
    push_pending: bool,
}

/// The host TCP stack actor.
pub struct HostStack {
    name: String,
    egress: ActorId,
    target: Option<ActorId>,
    ticks: Ticks,
    conns: ConnTable<HostConn>,
    out: Output,
    /// The boxes of segments that arrived, reused for segments sent (see [`SegmentBoxes`]).
    boxes: SegmentBoxes,
    recorder: Recorder,
    /// Records of the send buffers that ended since the recording was last taken (a buffer's
    /// record is final once it ends; until then it is in its connection's `buffers`).
    ended: Vec<BufferRecord>,
    handovers: Vec<HandoverRecord>,
    /// Record congestion-state samples (off for a host that only receives, so a chart of a
    /// connection shows its data sender alone).
    sample_senders: bool,
    /// A deliberately broken host (negative tests of the rule checks only).
    fault: Option<crate::offload::Fault>,
}

impl HostStack {
    /// A host whose segments leave through `egress` (a link actor), with an optional offload
    /// target.
    pub fn new(name: impl Into<String>, egress: ActorId, target: Option<ActorId>) -> Self {
        HostStack {
            name: name.into(),
            egress,
            target,
            ticks: Ticks::default(),
            conns: ConnTable::new(),
            out: Output::default(),
            boxes: SegmentBoxes::default(),
            recorder: Recorder::default(),
            ended: Vec::new(),
            handovers: Vec::new(),
            sample_senders: true,
            fault: None,
        }
    }

    /// Makes this a deliberately broken host (negative tests of the rule checks only).
    #[doc(hidden)]
    pub fn with_fault(mut self, fault: Option<crate::offload::Fault>) -> Self {
        self.fault = fault;
        self
    }

    /// Shares its spare segment boxes with the other endpoints given `boxes`.
    pub(crate) fn sharing_boxes(mut self, boxes: &SegmentBoxes) -> Self {
        self.boxes = boxes.clone();
        self
    }

    /// Stops recording congestion-state samples (for a host whose connections only receive).
    pub fn without_sender_samples(mut self) -> Self {
        self.sample_senders = false;
        self
    }

    /// Makes room for `additional` more connection endpoints at once.
    pub fn reserve_connections(&mut self, additional: usize) {
        self.conns.reserve(additional);
    }

    /// Adds a connection endpoint served to application `app`.
    pub fn add_connection(&mut self, tcp: TcpConnection, app: Option<ActorId>) {
        self.add_connection_at(tcp, app, SimTime::ZERO);
    }

    /// Adds a connection endpoint that opens (sends its SYN, if active) at `open_at`.
    pub fn add_connection_at(&mut self, tcp: TcpConnection, app: Option<ActorId>, open_at: SimTime) {
        let cfg = *tcp.config();
        self.conns.insert(
            tcp.conn_id(),
            HostConn {
                app,
                cfg,
                slot: EngineSlot::new(Some(tcp), ConnTimers::default()),
                mode: Mode::Host,
                next_offset: 0,
                queued: Queued::new(),
                held: Vec::new(),
                buffers: BTreeMap::new(),
                close_requested: None,
                upload_requested: false,
                offload_when_open: false,
                close_when_open: None,
                push_pending: false,
                offload_after_upload: false,
                open_at,
            },
        );
    }

    /// Registers an action to fire when `condition` holds on `conn`.
    pub fn add_pending_action(&mut self, conn: ConnId, pending: PendingAction) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.slot.pending.push(pending);
        }
    }

    /// The host's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where connection `conn` runs now.
    pub fn mode(&self, conn: ConnId) -> Option<Mode> {
        self.conns.get(&conn).map(|c| c.mode)
    }

    /// The host's engine for `conn`, while the host runs it.
    pub fn connection(&self, conn: ConnId) -> Option<&TcpConnection> {
        self.conns.get(&conn)?.slot.tcp.as_ref()
    }
    /// What was recorded since the last slice, in place: the run moves the records out and
    /// the lists keep their capacity. Of the send buffers, it holds those that ended since
    /// (a pending buffer's record changes until it ends: those come with
    /// [`HostStack::take_recorder`]).
    pub fn recorder_mut(&mut self) -> &mut Recorder {
        self.recorder.buffers.append(&mut self.ended);
        &mut self.recorder
    }

    /// Takes the recording, with the records of the buffers still pending.
    pub fn take_recorder(&mut self) -> Recorder {
        let mut r = std::mem::take(&mut self.recorder);
        r.buffers.append(&mut self.ended);
        // Sized once (why: grown by doubling, a large run's list was copied and faulted in
        // again and again: 0.3 s of a 10,000-connection run).
        r.buffers.reserve(self.conns.values().map(|c| c.buffers.len()).sum());
        for c in self.conns.values_mut() {
            r.buffers.extend(std::mem::take(&mut c.buffers).into_values());
        }
        r
    }

    /// Takes the delegated-state blocks sent and received so far, in order.
    pub fn take_handovers(&mut self) -> Vec<HandoverRecord> {
        std::mem::take(&mut self.handovers)
    }

    fn fail(ctx: &mut Ctx<'_, Msg>, v: RuleViolation) {
        ctx.fail(v.to_string());
    }

    fn record_offload(
        &mut self,
        now: SimTime,
        conn: ConnId,
        kind: OffloadEventKind,
        seqs: Option<(crate::seq::SeqNum, crate::seq::SeqNum, crate::seq::SeqNum)>,
    ) {
        let (snd_una, snd_nxt, snd_max) = seqs.unwrap_or_default();
        self.recorder.offload.push(OffloadRecord {
            time: now,
            conn,
            kind,
            snd_una,
            snd_nxt,
            snd_max,
        });
    }

    // ----- running the engine on the host -------------------------------------------------

    /// Sends the engine's output where it belongs and re-arms timers.
    fn flush(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let mut out = std::mem::take(&mut self.out);
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.slot.tcp.is_none() {
            return;
        }
        let mut owner = HostOwner {
            boxes: &mut self.boxes,
            egress: self.egress,
            app: c.app,
            buffers: &mut c.buffers,
            ended: &mut self.ended,
        };
        let applied = c.slot.apply(ctx, conn, &mut out, &mut owner, &mut self.recorder);
        out.clear();
        self.out = out;
        if applied.gave_up || applied.reset {
            let tcp = c.slot.tcp.as_ref();
            let seqs = tcp.map(|t| (t.snd_una(), t.snd_nxt(), t.snd_max()));
            let reason = if applied.gave_up {
                format!(
                    "gave up after {} retransmissions of one segment (RFC 1122 §4.2.3.5 R2) and sent a reset",
                    c.cfg.max_retransmissions
                )
            } else {
                "a reset (RST) arrived".to_string()
            };
            self.record_offload(ctx.now(), conn, OffloadEventKind::Ended { reason }, seqs);
            self.enter_closed(ctx, conn);
            return;
        }
        let samples = self.sample_senders.then_some(&mut self.recorder.cc);
        c.slot.settle(ctx, conn, samples);
        let open = c.slot.tcp.as_ref().is_some_and(|t| t.state().is_synchronized());
        let deferred = c.offload_when_open && open;
        let close = if open { c.close_when_open.take() } else { None };
        self.fire_conditions(ctx, conn);
        if let Some(abortive) = close {
            self.close(ctx, conn, abortive, false);
        }
        if deferred {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.offload_when_open = false;
            }
            self.initiate_offload(ctx, conn);
        }
    }

    /// The connection is over (reset, given up, or returned CLOSED): every send the host still
    /// holds completes with REQUEST_ABORTED, and so will every later write.
    fn enter_closed(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.slot.timers.cancel_all(ctx);
        c.mode = Mode::Closed;
        c.slot.pending.clear();
        c.close_requested = None;
        c.upload_requested = false;
        c.offload_when_open = false;
        c.offload_after_upload = false;
        let mut ids: Vec<BufId> = Vec::new();
        if let Some(tcp) = c.slot.tcp.take() {
            let (_, mut chain) = tcp.into_parts(now);
            ids.extend(chain.drain().into_iter().map(|b| b.id));
        }
        ids.extend(std::mem::take(&mut c.queued).into_values().map(|(id, _, _)| id));
        c.held.clear();
        for buf in ids {
            abort_buffer(ctx, c, &mut self.ended, conn, buf);
        }
    }

    fn fire_conditions(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let fired = c.slot.take_fired();
        self.fire(ctx, fired);
    }

    /// Carries out (or hands over) actions whose condition held.
    fn fire(&mut self, ctx: &mut Ctx<'_, Msg>, fired: Vec<PendingAction>) {
        let me = ctx.me();
        for p in fired {
            if let Some(action) = dispatch(ctx, &mut self.recorder, p, Some(me)) {
                self.act(ctx, action);
            }
        }
    }

    /// A segment arrived, in its box (handled there, and the box kept for a segment to send).
    fn on_wire(&mut self, ctx: &mut Ctx<'_, Msg>, mut seg: Box<Segment>) {
        let conn = seg.provenance.conn;
        let Some(c) = self.conns.get_mut(&conn) else {
            self.boxes.keep(seg);
            return;
        };
        match c.mode {
            Mode::Host => {
                let now = ctx.now();
                let tcp = c.slot.tcp.as_mut().expect("host mode has an engine");
                tcp.on_segment(now, &mut seg, &mut self.out);
                self.boxes.keep(seg);
                self.flush(ctx, conn);
            }
            // Rule 23 (held, forwarded after completion); rule 35 (held, processed by the host).
            Mode::Offloading | Mode::Uploading => c.held.push(seg),
            // No connection any more (RFC 793 would answer with an RST; the peer is reset too).
            Mode::Closed => self.boxes.keep(seg),
            // A segment that reached the host while the target owns the connection is
            // forwarded to it (MiniportTcpOffloadForward).
            Mode::Offloaded => match self.target {
                Some(t) => ctx.send(t, SimDuration::ZERO, Msg::Forward(seg)),
                None => self.boxes.keep(seg),
            },
        }
    }

    fn app_write(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, buf: BufId, data: Bytes) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let offset = c.next_offset;
        c.next_offset += data.len() as u64;
        c.buffers.insert(
            buf,
            BufferRecord {
                conn,
                buf,
                len: data.len() as u32,
                stream_offset: offset,
                posted_at: now,
                offloaded_at: None,
                returned_at: None,
                ended_at: None,
                end: BufferEnd::Pending,
            },
        );
        match c.mode {
            Mode::Host => {
                let tcp = c.slot.tcp.as_mut().expect("host mode has an engine");
                if let Err(e) = tcp.send(buf, data, BufOrigin::HostQueue) {
                    ctx.fail(format!("{}: write on conn {} refused: {e:?}", self.name, conn.0));
                    return;
                }
                // Transmit once every write of this instant is queued (Msg::Push).
                if !c.push_pending {
                    c.push_pending = true;
                    ctx.send(ctx.me(), SimDuration::ZERO, Msg::Push(conn));
                }
            }
            // Rule 21: the host queues application sends itself while the offload is in flight.
            Mode::Offloading | Mode::Uploading => {
                c.queued.insert(offset, (buf, data, BufOrigin::HostQueue));
            }
            Mode::Closed => {
                abort_buffer(ctx, c, &mut self.ended, conn, buf);
            }
            // Rule 22: posted to the target.
            Mode::Offloaded => {
                let target = self.target.expect("offloaded implies a target");
                post_to_target(ctx, target, &mut c.buffers, conn, buf, offset, data);
            }
        }
    }

    fn act(&mut self, ctx: &mut Ctx<'_, Msg>, action: Action) {
        match action {
            Action::Offload(conn) => self.initiate_offload(ctx, conn),
            Action::Upload(conn) => self.upload(ctx, conn),
            Action::Close(conn) => self.close(ctx, conn, false, true),
            Action::Abort(conn) => self.close(ctx, conn, true, true),
            // Routed here only when the host has no offload target: nobody to ask.
            Action::TargetUpload(conn) | Action::TargetUploadFor(conn, _) => {
                self.skipped(ctx.now(), conn, "target_upload", "the host has no offload target");
            }
            Action::PauseApp | Action::ResumeApp | Action::Link(_) => {}
        }
    }

    /// Records that a scenario action on `conn` had no effect, and why (nothing is silent).
    fn skipped(&mut self, now: SimTime, conn: ConnId, action: &str, why: &str) {
        let kind = OffloadEventKind::ActionSkipped {
            action: action.into(),
            why: why.into(),
        };
        self.record_offload(now, conn, kind, None);
    }

    /// Records that a scenario action on `conn` waits for something, and what.
    fn deferred(&mut self, now: SimTime, conn: ConnId, action: &str, until: &str) {
        let kind = OffloadEventKind::ActionDeferred {
            action: action.into(),
            until: until.into(),
        };
        self.record_offload(now, conn, kind, None);
    }

    /// CLOSE or ABORT, from the application or (`scenario`) a timeline action, whose deferral or
    /// lack of effect is then recorded.
    fn close(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, abortive: bool, scenario: bool) {
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match c.mode {
            Mode::Host => {
                let tcp = c.slot.tcp.as_mut().expect("host mode has an engine");
                let closing = matches!(
                    tcp.state(),
                    TcpState::FinWait1
                        | TcpState::FinWait2
                        | TcpState::Closing
                        | TcpState::LastAck
                        | TcpState::TimeWait
                );
                if scenario && !abortive && closing {
                    self.skipped(
                        now,
                        conn,
                        "close",
                        "the connection is already closing (its FIN is queued or sent)",
                    );
                    return;
                }
                if scenario && tcp.state() == TcpState::Listen {
                    c.close_when_open = Some(abortive || c.close_when_open == Some(true));
                    let action = if abortive { "abort" } else { "close" };
                    self.deferred(now, conn, action, "the connection is established");
                    return;
                }
                if abortive {
                    tcp.abort(&mut self.out);
                } else {
                    tcp.close();
                    tcp.poll(now, &mut self.out);
                }
                self.flush(ctx, conn);
            }
            // Rule 42: a close after offload goes to the target as a disconnect request.
            Mode::Offloaded => {
                let target = self.target.expect("offloaded implies a target");
                ctx.send(target, SimDuration::ZERO, Msg::OffloadDisconnect { conn, abortive });
            }
            // Deferred until the connection has one owner again; an abort wins over a close.
            Mode::Offloading | Mode::Uploading => {
                c.close_requested = Some(abortive || c.close_requested == Some(true));
                let action = if abortive { "abort" } else { "close" };
                if scenario {
                    self.deferred(now, conn, action, "the connection has one owner again");
                }
            }
            Mode::Closed => {
                let action = if abortive { "abort" } else { "close" };
                if scenario {
                    self.skipped(now, conn, action, "the connection is closed");
                }
            }
        }
    }

    /// A scenario upload. Rule 21: while the offload is in flight the target gets no
    /// terminate call, so the upload waits for InitiateOffloadComplete.
    fn upload(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match c.mode {
            Mode::Offloading => {
                c.upload_requested = true;
                let kind = OffloadEventKind::ActionDeferred {
                    action: "upload".into(),
                    until: "the offload in progress completes".into(),
                };
                self.record_offload(ctx.now(), conn, kind, None);
            }
            Mode::Offloaded => self.terminate_offload(ctx, conn),
            Mode::Host | Mode::Uploading | Mode::Closed => {
                let why = match c.mode {
                    Mode::Host => "the connection is not offloaded",
                    Mode::Uploading => "an upload is already in progress",
                    _ => "the connection is closed",
                };
                let kind = OffloadEventKind::ActionSkipped {
                    action: "upload".into(),
                    why: why.into(),
                };
                self.record_offload(ctx.now(), conn, kind, None);
            }
        }
    }

    // ----- offload ------------------------------------------------------------------------

    fn initiate_offload(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let now = ctx.now();
        let me = ctx.me();
        let Some(target) = self.target else {
            ctx.fail(format!(
                "{}: offload of conn {} but the host has no offload target",
                self.name, conn.0
            ));
            return;
        };
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match c.mode {
            Mode::Host => {}
            // Like an upload during an offload (rule 21), an offload during an upload waits for
            // the connection to have one owner again; either way it is reported.
            Mode::Uploading => {
                c.offload_after_upload = true;
                let kind = OffloadEventKind::ActionDeferred {
                    action: "offload".into(),
                    until: "the upload in progress completes".into(),
                };
                self.record_offload(now, conn, kind, None);
                return;
            }
            Mode::Offloading | Mode::Offloaded | Mode::Closed => {
                let why = match c.mode {
                    Mode::Closed => "the connection is closed",
                    _ => "the connection is already offloaded",
                };
                let kind = OffloadEventKind::ActionSkipped {
                    action: "offload".into(),
                    why: why.into(),
                };
                self.record_offload(now, conn, kind, None);
                return;
            }
        }
        let tcp = c.slot.tcp.as_mut().expect("host mode has an engine");
        // Rule 1: only Established, FinWait1/2, CloseWait, Closing and LastAck can be offloaded.
        // An offload asked for during the handshake waits for it; one asked for after the
        // connection ended (or before it began) has nothing to do.
        match tcp.state() {
            TcpState::SynSent | TcpState::SynReceived => {
                c.offload_when_open = true;
                self.deferred(now, conn, "offload", "the handshake completes");
                return;
            }
            s @ (TcpState::Closed | TcpState::Listen | TcpState::TimeWait) => {
                let why = format!("state {s:?} cannot be offloaded (rule 1)");
                self.skipped(now, conn, "offload", &why);
                return;
            }
            _ => {}
        }
        // Rule 6: "The host has flushed pending ACKs and stopped delayed-ACK, push and SWS timers".
        tcp.flush_ack(now, &mut self.out);
        for seg in self.out.segments.drain(..) {
            ctx.send(self.egress, SimDuration::ZERO, Msg::Segment(self.boxes.boxed(seg)));
        }
        self.out.clear();
        let tcb = tcp.tcb(now);
        let (state, consts) = DelegatedState::from_tcb(&tcb, tcp.chain().front_offset(), self.ticks);
        // The host's own buffers: `Bytes` clones share the memory (no copy). The host keeps its
        // engine frozen until the target answers, so a refusal leaves it untouched (rule 37).
        let mut chain: SendChain = tcp.handover_chain();
        let marks = tcb.delegation_marks(&chain);
        chain.set_origin_all(BufOrigin::Delegated);
        chain.set_delegation_marks(Some(marks));
        let chain = (!chain.is_empty()).then_some(chain);
        c.slot.timers.cancel_all(ctx);
        c.mode = Mode::Offloading;
        let mut block = OffloadBlock {
            conn,
            host: me,
            snapshot_time: now,
            cfg: c.cfg,
            state,
            consts,
            chain,
            // A copy: the host keeps its own until the target accepts (rule 37: a refusal
            // leaves the host as it was). `OffloadCompleted` conditions stay with the host.
            pending: c
                .slot
                .pending
                .iter()
                .filter(|p| !p.condition.host_only())
                .cloned()
                .collect(),
            rto_count: c.slot.rto_count,
            fr_count: c.slot.fr_count,
        };
        if let Some(f) = self.fault {
            f.break_offload_block(&mut block);
        }
        if let Err(v) = check_offload_block(&block, now) {
            Self::fail(ctx, v);
            return;
        }
        self.handovers.push(HandoverRecord::new(
            now,
            conn,
            HandoverKind::Offload,
            block.state,
            &block.consts,
            block.chain.as_ref(),
        ));
        self.record_offload(
            now,
            conn,
            OffloadEventKind::OffloadInitiated,
            Some((tcb.snd.snd_una, tcb.snd.snd_nxt, tcb.snd.snd_max)),
        );
        ctx.send(target, SimDuration::ZERO, Msg::InitiateOffload(Box::new(block)));
    }

    fn offload_complete(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, accepted: bool, reason: String) {
        let now = ctx.now();
        let target = self.target.expect("only a target completes an offload");
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.mode != Mode::Offloading {
            ctx.fail(format!(
                "{}: InitiateOffloadComplete for conn {} in mode {:?}",
                self.name, conn.0, c.mode
            ));
            return;
        }
        let queued = std::mem::take(&mut c.queued);
        let held = std::mem::take(&mut c.held);
        let close = c.close_requested.take();
        let upload = std::mem::take(&mut c.upload_requested);
        if accepted {
            // The pending actions went with the block, but for those waiting for this moment;
            // those waiting for a refusal stay with the host.
            let (on_offload, host_only): (Vec<PendingAction>, Vec<PendingAction>) = std::mem::take(&mut c.slot.pending)
                .into_iter()
                .filter(|p| p.condition.host_only())
                .partition(|p| p.condition == Condition::OffloadCompleted);
            c.slot.pending = host_only;
            let on_offload_fired = on_offload;
            let tcp = c.slot.tcp.take().expect("frozen engine");
            let seqs = (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max());
            for b in tcp.chain().buffers() {
                if let Some(r) = c.buffers.get_mut(&b.id) {
                    r.offloaded_at = Some(now);
                }
            }
            c.mode = Mode::Offloaded;
            self.record_offload(now, conn, OffloadEventKind::OffloadCompleted, Some(seqs));
            // Rule 22: post the queued sends in order; rule 23: then forward held segments.
            let c = self.conns.get_mut(&conn).expect("present");
            for (offset, (buf, data, _)) in queued {
                post_to_target(ctx, target, &mut c.buffers, conn, buf, offset, data);
            }
            for seg in held {
                ctx.send(target, SimDuration::ZERO, Msg::Forward(seg));
            }
            if let Some(abortive) = close {
                ctx.send(target, SimDuration::ZERO, Msg::OffloadDisconnect { conn, abortive });
            }
            if upload {
                self.terminate_offload(ctx, conn);
            }
            self.fire(ctx, on_offload_fired);
        } else {
            // Rule 37: the host keeps the chain and its queued sends and continues (its
            // pending actions too: the block carried a copy).
            c.mode = Mode::Host;
            let tcp = c.slot.tcp.as_ref().expect("frozen engine");
            let seqs = (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max());
            let (refused, keep): (Vec<PendingAction>, Vec<PendingAction>) = std::mem::take(&mut c.slot.pending)
                .into_iter()
                .partition(|p| p.condition == Condition::OffloadRefused);
            c.slot.pending = keep;
            self.record_offload(now, conn, OffloadEventKind::OffloadRefused { reason }, Some(seqs));
            self.fire(ctx, refused);
            self.resume_on_host(ctx, conn, queued, held, close);
        }
    }

    /// Puts queued writes and held segments through the host's engine, in order.
    #[allow(clippy::vec_box)]
    fn resume_on_host(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        conn: ConnId,
        queued: Queued,
        held: Vec<Box<Segment>>,
        close: Option<bool>,
    ) {
        let now = ctx.now();
        let c = self.conns.get_mut(&conn).expect("present");
        let tcp = c.slot.tcp.as_mut().expect("host mode has an engine");
        for (_, (buf, data, origin)) in queued {
            if let Err(e) = tcp.send(buf, data, origin) {
                ctx.fail(format!("{}: queued write on conn {} refused: {e:?}", self.name, conn.0));
                return;
            }
        }
        match close {
            Some(true) => tcp.abort(&mut self.out),
            Some(false) => tcp.close(),
            None => {}
        }
        // Timers that expired while frozen fire now (the kernel runs a past deadline at once).
        tcp.poll(now, &mut self.out);
        self.flush(ctx, conn);
        if close == Some(true) {
            self.enter_closed(ctx, conn);
            return;
        }
        for seg in held {
            self.on_wire(ctx, seg);
        }
    }

    fn terminate_offload(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.mode != Mode::Offloaded {
            return;
        }
        c.mode = Mode::Uploading;
        let target = self.target.expect("offloaded implies a target");
        // The target records the upload's start, with the sequence state only it knows.
        ctx.send(target, SimDuration::ZERO, Msg::TerminateOffload(conn));
    }

    fn terminate_complete(&mut self, ctx: &mut Ctx<'_, Msg>, block: UploadBlock) {
        let now = ctx.now();
        let conn = block.conn;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.mode != Mode::Uploading {
            ctx.fail(format!(
                "{}: TerminateOffloadComplete for conn {} in mode {:?}",
                self.name, conn.0, c.mode
            ));
            return;
        }
        self.handovers.push(HandoverRecord::new(
            now,
            conn,
            HandoverKind::Upload,
            block.state,
            &block.consts,
            block.chain.as_ref(),
        ));
        if block.state.state == TcpState::Closed {
            // Rule 40: the target had aborted the connection and kept its state until now
            // (every send was completed REQUEST_ABORTED), or it closed normally: nothing to
            // resume.
            let s = &block.state;
            self.record_offload(
                now,
                conn,
                OffloadEventKind::UploadCompleted,
                Some((s.snd_una, s.snd_nxt, s.snd_max)),
            );
            self.enter_closed(ctx, conn);
            return;
        }
        if let Err(v) = check_upload_block(&block, now) {
            Self::fail(ctx, v);
            return;
        }
        // Rule 33: the returned TsTime against the TsTime of the offload (rule 19).
        let offloaded = self
            .handovers
            .iter()
            .rev()
            .find(|h| h.conn == conn && h.kind == HandoverKind::Offload);
        if let Err(v) = check_returned_ts_time(&block, offloaded.map(|h| h.state.ts_time), now) {
            Self::fail(ctx, v);
            return;
        }
        let c = self.conns.get_mut(&conn).expect("present");
        let s = &block.state;
        let violation = |rule: u8, message: String| RuleViolation {
            rule,
            time: now,
            conn,
            seq: (s.snd_una, s.snd_nxt, s.snd_max),
            message,
        };
        // The host follows spec/chimney.md §8 as written for a connection returned in recovery.
        let tcb = s.to_tcb(&block.consts, conn, self.ticks, &c.cfg, RecoveryInference::Current);
        let mut chain = match block.chain {
            Some(chain) => chain,
            None => SendChain::starting_at(block.consts.snd_una_offset),
        };
        // Rule 32: the returned chain and the bounced sends (queued here) cover what was posted.
        let bounced: Vec<(u64, u64, BufId)> = c
            .queued
            .iter()
            .map(|(&off, (id, data, _))| (off, data.len() as u64, *id))
            .collect();
        // Every buffer returned was posted here, and is pending here until it ends.
        let completed = |id: BufId| !c.buffers.contains_key(&id);
        if let Err(v) = check_returned_data(
            (s.snd_una, s.snd_nxt, s.snd_max),
            conn,
            now,
            &chain,
            &bounced,
            completed,
            c.next_offset,
        ) {
            Self::fail(ctx, v);
            return;
        }
        chain.set_origin_all(BufOrigin::ReturnedAtUpload);
        chain.set_delegation_marks(None);
        for b in chain.buffers() {
            if let Some(r) = c.buffers.get_mut(&b.id) {
                r.returned_at = Some(now);
            }
        }
        // Rule 36: resume at the returned SndNxt with the returned timer.
        let tcp = match TcpConnection::from_tcb(c.cfg, Sender::Host, &tcb, chain, now) {
            Ok(t) => t,
            Err(e) => {
                Self::fail(ctx, violation(31, format!("returned state cannot be resumed: {e:?}")));
                return;
            }
        };
        let seqs = (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max());
        c.slot.tcp = Some(tcp);
        c.mode = Mode::Host;
        // Host-only conditions stayed here while the target ran the connection.
        let host_only = std::mem::take(&mut c.slot.pending);
        c.slot.pending = block.pending;
        c.slot.pending.extend(host_only);
        c.slot.rto_count = block.rto_count;
        c.slot.fr_count = block.fr_count;
        let queued = std::mem::take(&mut c.queued);
        let held = std::mem::take(&mut c.held);
        let close = c.close_requested.take();
        let offload_again = std::mem::take(&mut c.offload_after_upload);
        self.record_offload(now, conn, OffloadEventKind::UploadCompleted, Some(seqs));
        self.resume_on_host(ctx, conn, queued, held, close);
        if offload_again {
            self.initiate_offload(ctx, conn);
        }
    }

    fn target_send_completed(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, buf: BufId, status: SendStatus) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        complete_buffer(ctx, &mut c.buffers, &mut self.ended, c.app, conn, buf, status);
    }

    fn bounced(&mut self, ctx: &mut Ctx<'_, Msg>, send: PostedSend) {
        let PostedSend {
            conn,
            buf,
            offset,
            data,
        } = send;
        let now = ctx.now();
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if let Some(r) = c.buffers.get_mut(&buf) {
            r.returned_at = Some(now);
        }
        match c.mode {
            // Rule 29: "the host then transmits that data itself" once it owns the connection.
            Mode::Uploading => {
                c.queued.insert(offset, (buf, data, BufOrigin::ReturnedAtUpload));
            }
            // The target decided to upload and its TcpIndicateRetrieve is on the way (rule 27):
            // keep the data for after the upload.
            Mode::Offloaded => {
                c.queued.insert(offset, (buf, data, BufOrigin::ReturnedAtUpload));
            }
            Mode::Host | Mode::Offloading | Mode::Closed => ctx.fail(format!(
                "{}: bounced send on conn {} in mode {:?}",
                self.name, conn.0, c.mode
            )),
        }
    }
}

/// The host's side of running an engine: segments leave through `egress`, data and events
/// go to the application, completions end the buffer's record, and giving up resets the
/// connection (RFC 1122 §4.2.3.5: "close the connection" after R2).
struct HostOwner<'a> {
    boxes: &'a mut SegmentBoxes,
    egress: ActorId,
    app: Option<ActorId>,
    buffers: &'a mut BTreeMap<BufId, BufferRecord>,
    ended: &'a mut Vec<BufferRecord>,
}

impl OwnerPolicy for HostOwner<'_> {
    fn transmit(&mut self, ctx: &mut Ctx<'_, Msg>, seg: Segment) {
        ctx.send(self.egress, SimDuration::ZERO, Msg::Segment(self.boxes.boxed(seg)));
    }

    fn deliver(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, offset: u64, data: Bytes) {
        if let Some(app) = self.app {
            ctx.send(
                app,
                SimDuration::ZERO,
                Msg::Delivered(Box::new(Received { conn, offset, data })),
            );
        }
    }

    fn complete(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, buf: BufId) {
        complete_buffer(ctx, self.buffers, self.ended, self.app, conn, buf, SendStatus::Success);
    }

    fn give_up(&mut self, ctx: &mut Ctx<'_, Msg>, _conn: ConnId, tcp: &mut TcpConnection, out: &mut Output) {
        // The host stack gives up: reset the connection.
        tcp.abort(out);
        for seg in out.segments.drain(..) {
            self.transmit(ctx, seg);
        }
    }

    fn event_sink(&self) -> Option<ActorId> {
        self.app
    }
}

/// Rule 22: posts one send request to the target (MiniportTcpOffloadSend) and records when
/// the buffer was handed over.
fn post_to_target(
    ctx: &mut Ctx<'_, Msg>,
    target: ActorId,
    buffers: &mut BTreeMap<BufId, BufferRecord>,
    conn: ConnId,
    buf: BufId,
    offset: u64,
    data: Bytes,
) {
    if let Some(r) = buffers.get_mut(&buf) {
        r.offloaded_at = Some(ctx.now());
    }
    ctx.send(
        target,
        SimDuration::ZERO,
        Msg::OffloadSend(Box::new(PostedSend {
            conn,
            buf,
            offset,
            data,
        })),
    );
}

/// Ends a buffer of `c` with REQUEST_ABORTED ([`complete_buffer`]).
fn abort_buffer(ctx: &mut Ctx<'_, Msg>, c: &mut HostConn, ended: &mut Vec<BufferRecord>, conn: ConnId, buf: BufId) {
    complete_buffer(ctx, &mut c.buffers, ended, c.app, conn, buf, SendStatus::RequestAborted);
}

/// Records a buffer's end and tells the application.
fn complete_buffer(
    ctx: &mut Ctx<'_, Msg>,
    buffers: &mut BTreeMap<BufId, BufferRecord>,
    ended: &mut Vec<BufferRecord>,
    app: Option<ActorId>,
    conn: ConnId,
    buf: BufId,
    status: SendStatus,
) {
    // The record is final: it leaves the connection's pending buffers for the recording (why:
    // kept to the run's end, they grew with the transfer, ~60 MB of trees for 10,000
    // connections in one simulated second).
    if let Some(mut r) = buffers.remove(&buf) {
        r.ended_at = Some(ctx.now());
        r.end = if status == SendStatus::Success {
            BufferEnd::Completed
        } else {
            BufferEnd::Aborted
        };
        ended.push(r);
    }
    if let Some(app) = app {
        ctx.send(app, SimDuration::ZERO, Msg::SendCompleted { conn, buf, status });
    }
}

impl Actor<Msg> for HostStack {
    fn start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in ids {
            let c = self.conns.get_mut(&conn).expect("present");
            if c.open_at > now {
                ctx.set_timer(c.open_at, u64::from(conn.0) << 8 | OPEN_TAG);
                continue;
            }
            if let Some(tcp) = c.slot.tcp.as_mut() {
                tcp.poll(now, &mut self.out);
            }
            self.flush(ctx, conn);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        match msg {
            Msg::Segment(seg) => self.on_wire(ctx, seg),
            Msg::AppWrite(w) => {
                let Write { conn, buf, data } = *w;
                self.app_write(ctx, conn, buf, data)
            }
            Msg::AppClose(conn) => self.close(ctx, conn, false, false),
            Msg::Push(conn) => {
                let now = ctx.now();
                let Some(c) = self.conns.get_mut(&conn) else { return };
                c.push_pending = false;
                if let Some(tcp) = c.slot.tcp.as_mut() {
                    tcp.poll(now, &mut self.out);
                    self.flush(ctx, conn);
                }
            }
            Msg::SetReading { conn, reading } => {
                let now = ctx.now();
                if let Some(tcp) = self.conns.get_mut(&conn).and_then(|c| c.slot.tcp.as_mut()) {
                    tcp.set_reading(reading);
                    tcp.poll(now, &mut self.out);
                    self.flush(ctx, conn);
                }
            }
            Msg::AppRead { conn, bytes } => {
                let now = ctx.now();
                if let Some(tcp) = self.conns.get_mut(&conn).and_then(|c| c.slot.tcp.as_mut()) {
                    tcp.consume(bytes);
                    tcp.poll(now, &mut self.out);
                    self.flush(ctx, conn);
                }
            }
            Msg::Action(action) => self.act(ctx, *action),
            Msg::InitiateOffloadComplete(o) => {
                let OffloadCompletion { conn, accepted, reason } = *o;
                self.offload_complete(ctx, conn, accepted, reason)
            }
            Msg::SendCompleted { conn, buf, status } => self.target_send_completed(ctx, conn, buf, status),
            Msg::SendBounced(send) => self.bounced(ctx, *send),
            // The target knows why it asked (it records the reason with the upload).
            Msg::RequestUpload { conn, .. } => self.terminate_offload(ctx, conn),
            Msg::TerminateOffloadComplete(block) => self.terminate_complete(ctx, *block),
            // The target passes up what the connection's receive half delivered.
            Msg::Delivered(r) => {
                if let Some(app) = self.conns.get(&r.conn).and_then(|c| c.app) {
                    ctx.send(app, SimDuration::ZERO, Msg::Delivered(r));
                }
            }
            Msg::ConnEvent { conn, event } => {
                let Some(c) = self.conns.get_mut(&conn) else { return };
                if let Some(app) = c.app {
                    ctx.send(app, SimDuration::ZERO, Msg::ConnEvent { conn, event });
                }
                // Rule 40: TcpIndicateAbort. The target completes the pending sends itself
                // (REQUEST_ABORTED), records the abort with its sequence state, and keeps the
                // state "until the host terminates": the host terminates at once, so the entry
                // is freed and the connection comes back CLOSED (writes bounced to the host in
                // the meantime then complete REQUEST_ABORTED too).
                if event == ConnEvent::Reset && c.mode == Mode::Offloaded {
                    self.terminate_offload(ctx, conn);
                }
            }
            other => ctx.fail(format!("{}: unexpected message {other:?}", self.name)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _timer: TimerId, tag: u64) {
        let now = ctx.now();
        if tag & 0xff == OPEN_TAG {
            // The connection's opening time: send the SYN (or start listening).
            let conn = ConnId((tag >> 8) as u32);
            if let Some(tcp) = self.conns.get_mut(&conn).and_then(|c| c.slot.tcp.as_mut()) {
                tcp.poll(now, &mut self.out);
                self.flush(ctx, conn);
            }
            return;
        }
        let (conn, kind) = decode_tag(tag);
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.slot.timer_fired(now, kind, c.mode == Mode::Host, &mut self.out) {
            self.flush(ctx, conn);
        }
    }
}
