//! Plumbing shared by the actors that run a TCP engine (host stack and offload target): one
//! [`EngineSlot`] per connection owns the engine, its kernel timers, its pending timeline
//! conditions and its RTO / fast-retransmit counters, and applies the engine's output the
//! same way for either owner; an [`OwnerPolicy`] says where the two owners differ (the output
//! checks, which only the target makes; where segments, deliveries, completions and
//! connection events go; and what giving up means: the host resets, the target asks for an
//! upload, rule 18). Also here: keeping kernel timers
//! in step with the engine's deadlines, and recording sender samples and retransmission-timer
//! expiries.
//!
//! Not here: what each owner does once the output is applied (the host's closing of a dead
//! connection, the target's rule-40 abort, rule-44 upload request and FIN_WAIT_2 timer), and
//! the rules themselves, which live in [`crate::offload::monitor`].

use crate::msg::{Action, Msg};
use crate::offload::RuleViolation;
use crate::record::{CcSample, DiscardRecord, Recorder, RtoRecord, RtoSegment, TriggerRecord};
use crate::segment::{BufId, ConnId, Segment};
use crate::tcp::{ConnEvent, Output, TcpConnection, TcpState, TimerKind};
use crate::trigger::{PendingAction, take_fired};
use bytes::Bytes;
use sim_core::{ActorId, Ctx, SimDuration, SimTime, TimerId};
use std::cell::RefCell;
use std::rc::Rc;

/// Where the two owners of an engine (host stack, offload target) differ when they apply its
/// output.
pub(crate) trait OwnerPolicy {
    /// Checks a batch of output before any of it takes effect (the target's run-time rule
    /// checks, [`crate::offload::monitor`]): `Err((rule, what))` ends the run naming the rule.
    fn check(&mut self, _tcp: &TcpConnection, _out: &Output) -> Result<(), (u8, String)> {
        Ok(())
    }
    /// Puts one segment on the wire.
    fn transmit(&mut self, ctx: &mut Ctx<'_, Msg>, seg: Segment);
    /// Passes received in-order data up.
    fn deliver(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, offset: u64, data: Bytes);
    /// A send request whose bytes are all acknowledged (rule 25 on the target).
    fn complete(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, buf: BufId);
    /// Called once after the batch's completions (the target's completion coalescing).
    fn completions_done(&mut self, _ctx: &mut Ctx<'_, Msg>, _conn: ConnId) {}
    /// The engine gave up on a segment (RFC 1122 §4.2.3.5 R2): the host resets the
    /// connection, the target asks for an upload instead (rule 18). Called before the event
    /// is reported.
    fn give_up(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, tcp: &mut TcpConnection, out: &mut Output);
    /// Who hears of connection events (`None`: nobody).
    fn event_sink(&self) -> Option<ActorId>;
}

/// What applying one batch of output saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    /// The owner's check rejected the batch: the run is failing and nothing was applied.
    pub(crate) failed: bool,
    /// The engine gave up (`ConnEvent::GiveUp`).
    pub(crate) gave_up: bool,
    /// An acceptable RST reset the connection (`ConnEvent::Reset`).
    pub(crate) reset: bool,
}

/// One connection's engine as an actor runs it: the engine (absent while another owner runs
/// it or once it is over), its kernel timers, the timeline conditions waiting on it, and the
/// counters those conditions read. The pending conditions and counters move with the
/// connection at a handover.
#[derive(Debug)]
pub(crate) struct EngineSlot {
    pub(crate) tcp: Option<TcpConnection>,
    pub(crate) timers: ConnTimers,
    pub(crate) pending: Vec<PendingAction>,
    /// Retransmission timeouts so far (`ConnEvent::RtoFired`), by any owner.
    pub(crate) rto_count: u32,
    /// Fast retransmits so far (`ConnEvent::FastRetransmit`), by any owner.
    pub(crate) fr_count: u32,
    /// The last sender sample this slot recorded: a new one is recorded only when it differs
    /// (kept here so the check does not search the actor's samples, whose number grows with
    /// its connections).
    last_sample: Option<CcSample>,
}

impl EngineSlot {
    /// A slot with no pending condition and zero counters.
    pub(crate) fn new(tcp: Option<TcpConnection>, timers: ConnTimers) -> Self {
        EngineSlot {
            tcp,
            timers,
            pending: Vec::new(),
            rto_count: 0,
            fr_count: 0,
            last_sample: None,
        }
    }

    /// Applies one batch of the engine's output: the owner's check first, then segments out, data up, discards recorded,
    /// completions, then the connection events in order (counters, RTO records, give-up by
    /// the owner's policy, each event reported). Leaves `out.events` holding whatever the
    /// give-up added; the caller clears `out`. Does nothing without an engine.
    pub(crate) fn apply(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        conn: ConnId,
        out: &mut Output,
        owner: &mut impl OwnerPolicy,
        recorder: &mut Recorder,
    ) -> Applied {
        let now = ctx.now();
        let mut applied = Applied::default();
        let Some(tcp) = self.tcp.as_mut() else { return applied };
        if let Err((rule, message)) = owner.check(tcp, out) {
            let violation = RuleViolation {
                rule,
                time: now,
                conn,
                seq: (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max()),
                message,
            };
            ctx.fail(violation.to_string());
            applied.failed = true;
            return applied;
        }
        for seg in out.segments.drain(..) {
            owner.transmit(ctx, seg);
        }
        for (offset, data) in out.delivered.drain(..) {
            owner.deliver(ctx, conn, offset, data);
        }
        for (from, to) in out.discarded.drain(..) {
            recorder.discards.push(DiscardRecord {
                time: now,
                conn,
                from,
                to,
            });
        }
        for buf in out.completed.drain(..) {
            owner.complete(ctx, conn, buf);
        }
        owner.completions_done(ctx, conn);
        for event in std::mem::take(&mut out.events) {
            match event {
                ConnEvent::RtoFired { count } => {
                    self.rto_count += 1;
                    record_rto(&mut recorder.rto, tcp, now, count);
                }
                ConnEvent::FastRetransmit => self.fr_count += 1,
                ConnEvent::GiveUp => {
                    applied.gave_up = true;
                    owner.give_up(ctx, conn, tcp, out);
                }
                ConnEvent::Reset => applied.reset = true,
                _ => {}
            }
            if let Some(to) = owner.event_sink() {
                ctx.send(to, SimDuration::ZERO, Msg::ConnEvent { conn, event });
            }
        }
        applied
    }

    /// After a batch that left the engine running: kernel timers follow its deadlines, and a
    /// sender sample is recorded if `samples` is given.
    pub(crate) fn settle(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, samples: Option<&mut Vec<CcSample>>) {
        let Some(tcp) = self.tcp.as_ref() else { return };
        self.timers.sync(ctx, conn, tcp);
        if let Some(samples) = samples {
            let s = tcp.sample(ctx.now());
            if !self.last_sample.is_some_and(|p| p.same_state(&s)) {
                self.last_sample = Some(s);
                samples.push(s);
            }
        }
    }

    /// Removes and returns the pending actions whose condition now holds (none without an
    /// engine).
    pub(crate) fn take_fired(&mut self) -> Vec<PendingAction> {
        match self.tcp.as_ref() {
            Some(tcp) if !self.pending.is_empty() => take_fired(&mut self.pending, tcp, self.rto_count, self.fr_count),
            _ => Vec::new(),
        }
    }

    /// A kernel timer of the engine fired: forgets it and, if the engine runs here
    /// (`running`), lets the engine handle it. True when the engine ran.
    pub(crate) fn timer_fired(&mut self, now: SimTime, kind: TimerKind, running: bool, out: &mut Output) -> bool {
        self.timers.fired(kind);
        match self.tcp.as_mut() {
            Some(tcp) if running => {
                tcp.on_timer(now, kind, out);
                true
            }
            _ => false,
        }
    }
}

/// Records that a pending action fired and hands it to its executor; returns the action
/// instead when `me` may run it at once (it is the executor and there is no delay).
pub(crate) fn dispatch(
    ctx: &mut Ctx<'_, Msg>,
    recorder: &mut Recorder,
    p: PendingAction,
    me: Option<ActorId>,
) -> Option<Action> {
    recorder.triggers.push(TriggerRecord {
        time: ctx.now() + p.delay,
        index: p.index,
    });
    if Some(p.executor) == me && p.delay == SimDuration::ZERO {
        return Some(p.action);
    }
    ctx.send(p.executor, p.delay, p.message());
    None
}

/// The kernel timers of one connection, one per [`TimerKind`], with the deadline each is
/// armed for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnTimers {
    armed: [Option<(TimerId, SimTime)>; 4],
    /// Timer granularity [ns]: kernel timers fire at the next multiple of it at or after the
    /// engine's deadline (a NIC's TicksPerSecond, spec/chimney.md §1); 0 = exact.
    tick_ns: u64,
}

impl ConnTimers {
    /// Timers that fire on the next tick boundary of `tick_ns` (0 = exact).
    pub(crate) fn with_tick(tick_ns: u64) -> Self {
        ConnTimers {
            tick_ns,
            ..ConnTimers::default()
        }
    }

    /// `d` rounded up to the timer tick.
    fn on_tick(&self, d: SimTime) -> SimTime {
        match self.tick_ns {
            0 => d,
            t => SimTime(d.0.div_ceil(t).saturating_mul(t)),
        }
    }
}

fn kind_index(kind: TimerKind) -> usize {
    TimerKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind is in ALL")
}

/// The kernel timer tag of a connection's timer.
pub(crate) fn timer_tag(conn: ConnId, kind: TimerKind) -> u64 {
    u64::from(conn.0) << 8 | kind_index(kind) as u64
}

/// The connection and timer kind a tag names.
pub(crate) fn decode_tag(tag: u64) -> (ConnId, TimerKind) {
    (ConnId((tag >> 8) as u32), TimerKind::ALL[(tag & 0xff) as usize % 4])
}

impl ConnTimers {
    /// Arms, moves or cancels kernel timers so that they match the engine's deadlines.
    /// A timer is reset only when its deadline changed (a TCP retransmission timer restarts
    /// on most ACKs: that is the kernel's cheap path).
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_, Msg>, conn: ConnId, tcp: &TcpConnection) {
        for (kind, deadline) in tcp.deadlines() {
            let fire_at = deadline.map(|d| self.on_tick(d));
            let slot = &mut self.armed[kind_index(kind)];
            match (fire_at, *slot) {
                (Some(d), Some((_, at))) if d == at => {}
                (Some(d), Some((id, _))) if ctx.reset_timer(id, d) => *slot = Some((id, d)),
                (Some(d), _) => *slot = Some((ctx.set_timer(d, timer_tag(conn, kind)), d)),
                (None, Some((id, _))) => {
                    ctx.cancel_timer(id);
                    *slot = None;
                }
                (None, None) => {}
            }
        }
    }

    /// Forgets a timer that just fired (the kernel no longer holds it).
    pub(crate) fn fired(&mut self, kind: TimerKind) {
        self.armed[kind_index(kind)] = None;
    }

    /// Cancels every timer (the connection is frozen or handed over).
    pub(crate) fn cancel_all(&mut self, ctx: &mut Ctx<'_, Msg>) {
        for slot in &mut self.armed {
            if let Some((id, _)) = slot.take() {
                ctx.cancel_timer(id);
            }
        }
    }
}

/// Records one retransmission-timer expiry the engine just reported (`ConnEvent::RtoFired`).
pub(crate) fn record_rto(records: &mut Vec<RtoRecord>, tcp: &TcpConnection, now: SimTime, backoff: u32) {
    let segment = if matches!(tcp.state(), TcpState::SynSent | TcpState::SynReceived) {
        RtoSegment::Syn
    } else if tcp.chain().is_empty() {
        RtoSegment::Fin
    } else {
        RtoSegment::Data
    };
    records.push(RtoRecord {
        time: now,
        conn: tcp.conn_id(),
        sender: tcp.sender(),
        backoff,
        segment,
    });
}

/// Boxes of segments that arrived at an actor (host stack, offload target), kept (up to
/// [`SegmentBoxes::KEPT`]) for the segments it sends next. Why: a segment crosses the kernel
/// boxed, and at 10,000 connections a fresh allocation came from memory last touched
/// milliseconds earlier (a cache miss on every segment sent, ~5 % of such a run); the box of
/// the segment that just arrived is still in cache. Memory management only: what is sent does
/// not change.
///
/// A clone shares the boxes: a world's endpoints share one set (why: a data sender receives
/// fewer segments than it sends, ACKs being delayed, and its receiver the other way round;
/// with a set each, one allocated a box per segment and the other freed one, ~4 % of a
/// 10,000-connection run). A simulation runs on one thread.
#[derive(Clone, Default)]
pub(crate) struct SegmentBoxes {
    // The boxes themselves are the point (their allocations are reused), not their contents.
    #[allow(clippy::vec_box)]
    spare: Rc<RefCell<Vec<Box<Segment>>>>,
}

impl SegmentBoxes {
    /// The most boxes kept.
    const KEPT: usize = 1024;

    /// `seg` in a kept box, or a new one.
    pub(crate) fn boxed(&self, seg: Segment) -> Box<Segment> {
        match self.spare.borrow_mut().pop() {
            Some(mut b) => {
                *b = seg;
                b
            }
            None => Box::new(seg),
        }
    }

    /// Keeps the box of a segment that arrived and was handled in place, if there is room
    /// (what it holds is overwritten by the next segment boxed in it).
    pub(crate) fn keep(&self, b: Box<Segment>) {
        let mut spare = self.spare.borrow_mut();
        if spare.len() < Self::KEPT {
            spare.push(b);
        }
    }
}

#[cfg(test)]
mod segment_boxes_tests {
    use super::*;

    fn seg(seq: u32) -> Segment {
        Segment {
            seq: crate::seq::SeqNum(seq),
            payload: Bytes::from_static(b"payload"),
            ..Segment::default()
        }
    }

    #[test]
    fn with_no_box_kept_a_new_one_is_made() {
        let boxes = SegmentBoxes::default();
        assert_eq!(*boxes.boxed(seg(1)), seg(1));
    }

    #[test]
    fn an_arrived_box_kept_carries_the_next_segment() {
        let boxes = SegmentBoxes::default();
        let arrived = Box::new(seg(7));
        let at = &*arrived as *const Segment;
        boxes.keep(arrived);
        let sent = boxes.boxed(seg(8));
        assert_eq!(*sent, seg(8));
        assert_eq!(&*sent as *const Segment, at, "the same allocation");
        assert_eq!(*boxes.boxed(seg(9)), seg(9), "none left: a new box");
    }

    #[test]
    fn a_clone_shares_the_boxes() {
        let receiver = SegmentBoxes::default();
        let sender = receiver.clone();
        let arrived = Box::new(seg(7));
        let at = &*arrived as *const Segment;
        receiver.keep(arrived);
        assert_eq!(
            &*sender.boxed(seg(8)) as *const Segment,
            at,
            "the receiver's box, sent by the other"
        );
    }

    #[test]
    fn at_most_kept_boxes_are_kept() {
        let boxes = SegmentBoxes::default();
        for k in 0..2 * SegmentBoxes::KEPT as u32 {
            boxes.keep(Box::new(seg(k)));
        }
        assert_eq!(boxes.spare.borrow().len(), SegmentBoxes::KEPT);
        // Last kept, first reused; each carries what it is given.
        let sent: Vec<Box<Segment>> = (0..SegmentBoxes::KEPT as u32 + 1)
            .map(|k| boxes.boxed(seg(k)))
            .collect();
        assert!(sent.iter().enumerate().all(|(k, b)| **b == seg(k as u32)));
        assert!(boxes.spare.borrow().is_empty());
    }
}
