//! The transmission control block (RFC 793 §3.2: "the connection record ... called a
//! Transmission Control Block or TCB"): the connection state that moves when a handover
//! (offload or upload) gives the connection to its other owner.
//!
//! Read first: RFC 793 §3.2 (send and receive sequence variables), RFC 5681 §3 and RFC 6582
//! §3.2 (congestion state), RFC 6298 §2 and §5 (RTT estimate and retransmission timer), RFC
//! 7323 §4-5 (timestamps), spec/chimney.md §1 and rules 14, 17, 19.
//!
//! What it holds, grouped as the RFCs group it: [`SendSequence`] (SND.UNA, SND.NXT, SND.MAX,
//! SND.WND, SND.WL1, SND.WL2 and the send options), [`ReceiveSequence`] (RCV.NXT, the
//! advertised edge and the receive stream position), [`CongestionState`] (cwnd, ssthresh,
//! `recover`), [`RetransmitState`] (SRTT, RTTVAR, RTO, its backoff and the retransmission and
//! persist timers) and [`TimestampState`] (TS.Recent, its age, TsTime). Units are offsim's:
//! nanoseconds and unscaled bytes, timers as the time left on them (chimney rule 17:
//! "retransmit expiry at T_offload + TimeoutDelta"), so a TCB means the same at any moment it
//! is resumed.
//!
//! In chimney terms (spec/chimney.md §1: "CONST never changes; CACHED stays host-owned
//! (changed by update, not returned at upload); DELEGATED is OT-owned from offload to upload
//! and is returned at upload") the TCB is the DELEGATED state (State, RcvNxt, SndUna, SndNxt,
//! SndMax, SndWnd, MaxSndWnd, SendWL1, CWnd, SsThresh, SRtt, RttVar, TsRecent, TsRecentAge,
//! TsTime, TotalRT, DupAckCount, SndWndProbeCount, Retransmit) plus the CONST state (ports,
//! RemoteMss, the window shifts, the SACK and TIMESTAMP flags) plus the receive-half
//! bookkeeping offsim needs; the CACHED state is the receiving side's own [`TcpConfig`](super::TcpConfig).
//!
//! The TCB is the one thing a handover moves between engines ([`TcpConnection::tcb`] and
//! [`TcpConnection::from_tcb`](super::TcpConnection::from_tcb)), together with the send chain.
//! Between the host and the offload target it crosses the chimney interface, where
//! [`DelegatedState`](crate::offload::DelegatedState) and
//! [`ConstState`](crate::offload::ConstState) are the one conversion layer: they convert its
//! units (host ticks, SRtt×8, RttVar×4) and fill in what chimney does not delegate (spec/
//! chimney.md §1: "Not delegated at all: SND.WL2, the NewReno `recover` point / "in fast
//! recovery" flag, the SACK scoreboard, the RTT-sample-in-flight, delayed-ACK/push/SWS timer
//! counts") by rule 14, the §8 handover policy and the target's recovery inference.
//!
//! What does not move, and why (it stays in [`TcpConnection`]): the configuration (each owner
//! has its own; chimney CACHED state and OID_TCP_CONNECTION_OFFLOAD_PARAMETERS), who runs the
//! connection, the RFC 6675 SACK scoreboard and the RTT measurement in progress (not delegated,
//! §1), delayed-ACK state (rule 6: "The host has flushed pending ACKs and stopped delayed-ACK,
//! push and SWS timers; none carry over"), out-of-order received data (receive-side chimney is
//! not modelled), the time data was last sent (a handed-over connection restarts after idle
//! only once it has sent), and the counters. Per-byte transmission counts travel with the send
//! chain, not the TCB.
//!
//! [`TcpConnection`]: super::TcpConnection
//! [`TcpConnection::tcb`]: super::TcpConnection::tcb

use super::TcpState;
use crate::chain::{DelegationMarks, SendChain};
use crate::segment::ConnId;
use crate::seq::SeqNum;
use sim_core::SimDuration;

/// RFC 793 §3.2 Transmission Control Block: the state a handover moves (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tcb {
    /// Connection id.
    pub conn: ConnId,
    /// Local port (chimney CONST LocalPort).
    pub local_port: u16,
    /// Remote port (chimney CONST RemotePort).
    pub remote_port: u16,
    /// RFC 793 state.
    pub state: TcpState,
    /// RFC 793 §3.2 "Send Sequence Variables" and the send options.
    pub snd: SendSequence,
    /// RFC 793 §3.2 "Receive Sequence Variables" and the receive stream position.
    pub rcv: ReceiveSequence,
    /// RFC 5681 / RFC 6582 congestion and loss-recovery state.
    pub cong: CongestionState,
    /// RFC 6298 RTT estimate, the retransmission and persist timers and their counters.
    pub rtx: RetransmitState,
    /// RFC 7323 timestamp state (chimney CONST flag TIMESTAMP: `Some` when negotiated).
    pub ts: Option<TimestampState>,
}

/// RFC 793 §3.2 "Send Sequence Variables" (SND.UP is not modelled: no urgent data), with the
/// options that shape what is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SendSequence {
    /// SND.UNA: "send unacknowledged".
    pub snd_una: SeqNum,
    /// SND.NXT: "send next".
    pub snd_nxt: SeqNum,
    /// SND.MAX: one past the highest sequence number sent (chimney SndMax).
    pub snd_max: SeqNum,
    /// SND.WND: the peer's window [bytes, scaled].
    pub snd_wnd: u32,
    /// Largest peer window seen [bytes] (chimney MaxSndWnd, for sender SWS avoidance).
    pub max_snd_wnd: u32,
    /// SND.WL1: "segment sequence number used for last window update".
    pub snd_wl1: SeqNum,
    /// SND.WL2: "segment acknowledgment number used for last window update" (not delegated by
    /// chimney: the conversion layer sets it to SND.UNA, rule 14).
    pub snd_wl2: SeqNum,
    /// Effective sender MSS [bytes] (chimney CONST RemoteMss).
    pub smss: u32,
    /// Shift applied to the peer's window field (chimney CONST SndWindScale).
    pub snd_wscale: u8,
    /// SACK negotiated (chimney CONST flag SACK).
    pub sack_permitted: bool,
    /// Our FIN is queued after the chain's data (CLOSE was called).
    pub fin_queued: bool,
}

/// RFC 793 §3.2 "Receive Sequence Variables" (RCV.WND as the right edge last advertised; RCV.UP
/// is not modelled) and the receive stream position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReceiveSequence {
    /// RCV.NXT: "receive next".
    pub rcv_nxt: SeqNum,
    /// RCV.NXT + RCV.WND as last advertised: the right edge, which never moves left.
    pub rcv_adv: SeqNum,
    /// Shift applied to our window field (chimney CONST RcvWindScale).
    pub rcv_wscale: u8,
    /// Receive stream offset of RCV.NXT (bytes delivered so far).
    pub rcv_delivered: u64,
    /// The peer's FIN was received.
    pub peer_fin: bool,
}

/// RFC 5681 congestion state and the RFC 6582 NewReno recovery point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CongestionState {
    /// cwnd [bytes] (chimney CWnd).
    pub cwnd: u32,
    /// ssthresh [bytes] (chimney SsThresh).
    pub ssthresh: u32,
    /// RFC 6582 `recover` (not delegated by chimney: inferred by the conversion layer).
    pub recover: SeqNum,
    /// In NewReno fast recovery (not delegated by chimney: inferred with `recover`).
    pub in_recovery: bool,
    /// Consecutive duplicate ACKs (chimney DupAckCount).
    pub dup_acks: u32,
}

/// RFC 6298 RTT estimate and the retransmission and persist timers, as the time left on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetransmitState {
    /// SRTT [ns], `None` before the first sample.
    pub srtt: Option<SimDuration>,
    /// RTTVAR [ns].
    pub rttvar: SimDuration,
    /// RTO [ns], backoff included.
    pub rto: SimDuration,
    /// Backoff exponent (chimney `Retransmit.Count`).
    pub backoff: u32,
    /// Time spent resending the current segment (chimney `TotalRT`) [ns].
    pub total_rt: SimDuration,
    /// Timeouts of the current segment (for the give-up limit, chimney rule 18).
    pub rto_retries: u32,
    /// Window probes in the current persist round (chimney `SndWndProbeCount`).
    pub probe_count: u32,
    /// Time left on the retransmission timer (`None` = off; chimney `TimeoutDelta`).
    pub retransmit_in: Option<SimDuration>,
    /// Time left on the persist timer (`None` = off; chimney rule 17: `TimeoutDelta` when
    /// SndWnd == 0).
    pub persist_in: Option<SimDuration>,
}

/// The RFC 7323 timestamp state that moves at a handover (spec/chimney.md §1 DELEGATED
/// "TsRecent, TsRecentAge, TsTime (host clock + host timestamp delta)", rule 19).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimestampState {
    /// TS.Recent, the peer's TSval to echo (`None` before one was seen).
    pub ts_recent: Option<u32>,
    /// Time since TS.Recent was last set [ns] (TsRecentAge).
    pub ts_recent_age: SimDuration,
    /// TsTime: the TSval the old owner would send at the handover (its clock plus its
    /// delta) [timestamp ticks, 1 ms].
    pub ts_time: u32,
}

impl Tcb {
    /// An ESTABLISHED connection with nothing in flight: SND.UNA = SND.NXT = SND.MAX = `snd_una`,
    /// RCV.NXT = `rcv_nxt`, a 64 KiB peer window and receive window without scaling, cwnd = 10
    /// SMSS and ssthresh "arbitrarily high" (RFC 5681 §3.1), no RTT sample yet (RTO = 1 s,
    /// RFC 6298 §2.1), all timers off, no options. The `with_*` methods change one group of
    /// fields each (for tests and tools that describe a connection state).
    pub fn established(conn: ConnId, local_port: u16, remote_port: u16, snd_una: SeqNum, rcv_nxt: SeqNum) -> Self {
        const SMSS: u32 = 1460;
        const WINDOW: u32 = 65_535;
        Tcb {
            conn,
            local_port,
            remote_port,
            state: TcpState::Established,
            snd: SendSequence {
                snd_una,
                snd_nxt: snd_una,
                snd_max: snd_una,
                snd_wnd: WINDOW,
                max_snd_wnd: WINDOW,
                snd_wl1: rcv_nxt,
                snd_wl2: snd_una,
                smss: SMSS,
                snd_wscale: 0,
                sack_permitted: false,
                fin_queued: false,
            },
            rcv: ReceiveSequence {
                rcv_nxt,
                rcv_adv: rcv_nxt.add(WINDOW),
                rcv_wscale: 0,
                rcv_delivered: 0,
                peer_fin: false,
            },
            cong: CongestionState {
                cwnd: 10 * SMSS,
                ssthresh: u32::MAX,
                // RFC 6582 §3.2 step 1: "recover is set to the initial send sequence number".
                recover: snd_una,
                in_recovery: false,
                dup_acks: 0,
            },
            rtx: RetransmitState {
                srtt: None,
                rttvar: SimDuration::ZERO,
                rto: SimDuration::from_secs(1),
                backoff: 0,
                total_rt: SimDuration::ZERO,
                rto_retries: 0,
                probe_count: 0,
                retransmit_in: None,
                persist_in: None,
            },
            ts: None,
        }
    }

    /// RFC 793 state.
    pub fn with_state(self, state: TcpState) -> Self {
        Tcb { state, ..self }
    }

    /// `sent` bytes sent since SND.UNA (SND.MAX = SND.UNA + `sent`), of which those from
    /// SND.NXT = SND.UNA + `nxt` on are a resend in progress (go-back-N after a timeout).
    pub fn with_sent(mut self, nxt: u32, sent: u32) -> Self {
        self.snd.snd_nxt = self.snd.snd_una.add(nxt);
        self.snd.snd_max = self.snd.snd_una.add(sent);
        self
    }

    /// The peer's window SND.WND and the largest seen [bytes].
    pub fn with_snd_wnd(mut self, snd_wnd: u32, max_snd_wnd: u32) -> Self {
        (self.snd.snd_wnd, self.snd.max_snd_wnd) = (snd_wnd, max_snd_wnd);
        self
    }

    /// SND.WL1 and SND.WL2 of the last window update.
    pub fn with_window_update(mut self, snd_wl1: SeqNum, snd_wl2: SeqNum) -> Self {
        (self.snd.snd_wl1, self.snd.snd_wl2) = (snd_wl1, snd_wl2);
        self
    }

    /// Window-scale shifts (peer's, ours) and the receive window advertised from RCV.NXT
    /// [bytes].
    pub fn with_window_scale(mut self, snd_wscale: u8, rcv_wscale: u8, rcv_wnd: u32) -> Self {
        (self.snd.snd_wscale, self.rcv.rcv_wscale) = (snd_wscale, rcv_wscale);
        self.rcv.rcv_adv = self.rcv.rcv_nxt.add(rcv_wnd);
        self
    }

    /// Sender MSS [bytes].
    pub fn with_smss(mut self, smss: u32) -> Self {
        self.snd.smss = smss;
        self
    }

    /// SACK negotiated.
    pub fn with_sack(mut self, sack_permitted: bool) -> Self {
        self.snd.sack_permitted = sack_permitted;
        self
    }

    /// CLOSE was called: our FIN is queued after the data.
    pub fn with_fin_queued(mut self) -> Self {
        self.snd.fin_queued = true;
        self
    }

    /// cwnd and ssthresh [bytes].
    pub fn with_cwnd(mut self, cwnd: u32, ssthresh: u32) -> Self {
        (self.cong.cwnd, self.cong.ssthresh) = (cwnd, ssthresh);
        self
    }

    /// `dup_acks` consecutive duplicate ACKs, with the NewReno recovery point and flag.
    pub fn with_recovery(mut self, dup_acks: u32, recover: SeqNum, in_recovery: bool) -> Self {
        self.cong = CongestionState {
            dup_acks,
            recover,
            in_recovery,
            ..self.cong
        };
        self
    }

    /// The RTT estimate (SRTT `None` before the first sample) and the RTO in use.
    pub fn with_rtt(mut self, srtt: Option<SimDuration>, rttvar: SimDuration, rto: SimDuration) -> Self {
        (self.rtx.srtt, self.rtx.rttvar, self.rtx.rto) = (srtt, rttvar, rto);
        self
    }

    /// `timeouts` retransmission timeouts of the current segment (the backoff exponent and the
    /// give-up count), `total_rt` spent resending it.
    pub fn with_timeouts(mut self, timeouts: u32, total_rt: SimDuration) -> Self {
        (self.rtx.backoff, self.rtx.rto_retries, self.rtx.total_rt) = (timeouts, timeouts, total_rt);
        self
    }

    /// The retransmission timer expires `retransmit_in` from now (`None` = off).
    pub fn with_retransmit_in(mut self, retransmit_in: Option<SimDuration>) -> Self {
        self.rtx.retransmit_in = retransmit_in;
        self
    }

    /// A zero window in persist round `probe_count`: SND.WND = 0, the retransmission timer off
    /// and the persist timer expiring `persist_in` from now.
    pub fn in_persist(mut self, probe_count: u32, persist_in: SimDuration) -> Self {
        self.snd.snd_wnd = 0;
        self.rtx.probe_count = probe_count;
        self.rtx.retransmit_in = None;
        self.rtx.persist_in = Some(persist_in);
        self
    }

    /// RFC 7323 timestamps negotiated, with this state.
    pub fn with_timestamps(mut self, ts: TimestampState) -> Self {
        self.ts = Some(ts);
        self
    }

    /// The delegated chain's regions (spec/chimney.md §2) for a chain whose first byte is this
    /// TCB's SND.UNA.
    pub fn delegation_marks(&self, chain: &SendChain) -> DelegationMarks {
        let front = chain.front_offset();
        let data = chain.len();
        let at = |s: SeqNum| front + u64::from(s.wrapping_since(self.snd.snd_una)).min(data);
        DelegationMarks {
            snd_nxt: at(self.snd.snd_nxt),
            snd_max: at(self.snd.snd_max),
            chain_end: chain.end_offset(),
        }
    }
}
