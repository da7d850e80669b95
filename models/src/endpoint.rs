//! Plumbing shared by the actors that run a TCP engine (host stack and offload target):
//! keeping kernel timers in step with the engine's deadlines, and recording sender samples and
//! retransmission-timer expiries.

use crate::msg::Msg;
use crate::record::{CcSample, RtoRecord, RtoSegment};
use crate::segment::ConnId;
use crate::tcp::{TcpConnection, TcpState, TimerKind};
use sim_core::{Ctx, SimTime, TimerId};

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

/// Appends a sender sample when something a chart shows has changed.
pub(crate) fn record_sample(samples: &mut Vec<CcSample>, tcp: &TcpConnection, now: SimTime) {
    let s = tcp.sample(now);
    let changed = samples.iter().rev().find(|p| p.conn == s.conn).is_none_or(|p| {
        (p.cwnd, p.ssthresh, p.flight, p.srtt_ns, p.rto_ns, p.sender, p.snd_nxt)
            != (s.cwnd, s.ssthresh, s.flight, s.srtt_ns, s.rto_ns, s.sender, s.snd_nxt)
    });
    if changed {
        samples.push(s);
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
