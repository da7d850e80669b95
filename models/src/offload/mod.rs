//! TCP chimney offload: the delegated state that crosses the host/NIC interface, the
//! run-time checks of spec/chimney.md's rules, and the offload target actor.
//!
//! Read first: `shared/spec/chimney.md` (rules cited by number throughout).
//!
//! The host stack and the offload target run the same TCP engine ([`crate::tcp`]); what
//! differs is who owns the connection and the send chain. State crosses the interface in
//! chimney units ([`DelegatedState`]: host ticks, SRtt×8 and RttVar×4 as USHORT), so it is
//! quantised exactly as a real target would receive it; the engine's transmission control
//! block ([`Tcb`]) is rebuilt from those fields on the other side. [`DelegatedState::from_tcb`]
//! and [`DelegatedState::to_tcb`] are the one conversion layer: units (ticks, offsets) and the
//! rules for what chimney does not delegate (14, 17, 19, the §8 recovery policy) live there.
//!
//! Not modelled: receive-side chimney (buffered receive data, receive posts and
//! indications), keep-alive, neighbor and path state
//! objects (so no PathMtu update, rule 16, and no IP ID ranges, rule 15), the send-backlog
//! hint (rule 26), partial offload of state trees (rules 38–39), update/query/invalidate calls
//! (rule 45), hardware failure during terminate (rule 47), a separate completion for a
//! disconnect request (rule 42: the FIN's fate shows on the wire), partial completions (rule
//! 25: a buffer completes only when all of it is acknowledged), TotalRT against a MaxRT limit
//! (the give-up counts retransmissions only, rule 18). The FIN_WAIT_2 timer (rule 17) is
//! off unless a target configures it.
//!
//! Where the spec leaves room, offsim adopts: rule 4, a NULL chain with data outstanding is
//! rejected; §8, `recover` after a handover follows the spec's policy, refined for a handover
//! after a timeout (Count > 0 or SndNxt < SndMax gives `recover = SndMax - 1`, RFC 6582 §3.2
//! step 6, tested before the DupAckCount test), see
//! [`RecoveryInference::infer`]; on the target, a handover in fast recovery
//! follows its [`RecoveryInference`] policy; §9, the Retransmit fields carry the persist state
//! when SndWnd == 0 (Count is then a persist round, not an RTO backoff); rule 33, a target that
//! gave up returns TimeoutDelta 0; rule 19, the NIC's timestamp clock (NicTime) ticks at 1 ms
//! like the host's but lags it by [`crate::tcp::NIC_TS_CLOCK_LAG_MS`], so TSvals continue
//! only through the delta each side derives from TsTime (TsRecentAge is carried, but RFC 7323
//! §5.5's invalidation of an old TS.Recent is not modelled). Per-byte transmission counts travel with the send chain
//! (simulator bookkeeping, not part of the chimney interface) so that a segment's
//! transmission number counts every earlier transmission by either owner.

mod monitor;
mod nic;
mod target;

pub use monitor::{check_offload_block, check_upload_block};
pub(crate) use monitor::{check_returned_data, check_returned_ts_time};
pub use nic::NicResources;
pub use target::{NicTcp, OffloadTarget, TargetConfig};

use crate::chain::SendChain;
use crate::segment::ConnId;
use crate::seq::SeqNum;
use crate::tcp::{
    CongestionState, ReceiveSequence, RetransmitState, SendSequence, Tcb, TcpConfig, TcpState, TimestampState,
};
use crate::trigger::PendingAction;
use sim_core::{ActorId, SimDuration, SimTime};
use std::fmt;

/// `Retransmit.TimeoutDelta` value meaning "the timer was off" (rule 5, rule 33).
pub const TIMER_OFF: u32 = u32::MAX;

/// Host clock ticks per second (TicksPerSecond in OID_TCP_CONNECTION_OFFLOAD_PARAMETERS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticks(pub u32);

impl Default for Ticks {
    /// 1000 ticks per second, the chimney default.
    fn default() -> Self {
        Ticks(1000)
    }
}

impl Ticks {
    fn ns_per_tick(self) -> u64 {
        1_000_000_000 / u64::from(self.0.max(1))
    }
    /// A duration in whole ticks, rounded down, saturating at `u32::MAX - 1`.
    pub fn from_duration(self, d: SimDuration) -> u32 {
        (d.as_nanos() / self.ns_per_tick()).min(u64::from(u32::MAX - 1)) as u32
    }
    /// `n` ticks as a duration.
    pub fn to_duration(self, n: u32) -> SimDuration {
        SimDuration::from_nanos(u64::from(n) * self.ns_per_tick())
    }
}

/// `Retransmit` (or persist, when SndWnd == 0: rule 17) timer state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerState {
    /// Backoff exponent already used.
    pub count: u8,
    /// Ticks until expiry; [`TIMER_OFF`] = off, 0 = fire immediately.
    pub timeout_delta: u32,
}

/// TCP_OFFLOAD_STATE_DELEGATED (send-relevant fields, spec/chimney.md §1), in chimney units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DelegatedState {
    /// RFC 793 state.
    pub state: TcpState,
    /// RcvNxt.
    pub rcv_nxt: SeqNum,
    /// RcvWnd [bytes].
    pub rcv_wnd: u32,
    /// SndUna.
    pub snd_una: SeqNum,
    /// SndNxt.
    pub snd_nxt: SeqNum,
    /// SndMax: one past the highest sequence number sent.
    pub snd_max: SeqNum,
    /// SndWnd [bytes].
    pub snd_wnd: u32,
    /// MaxSndWnd [bytes].
    pub max_snd_wnd: u32,
    /// SendWL1.
    pub send_wl1: SeqNum,
    /// CWnd [bytes].
    pub cwnd: u32,
    /// SsThresh [bytes].
    pub ssthresh: u32,
    /// 8 × SRTT in ticks (USHORT); 0 = no sample yet.
    pub srtt: u16,
    /// 4 × RTTVAR in ticks (USHORT).
    pub rttvar: u16,
    /// Ticks spent resending the current segment.
    pub total_rt: u32,
    /// DupAckCount.
    pub dup_ack_count: u8,
    /// SndWndProbeCount.
    pub snd_wnd_probe_count: u8,
    /// Retransmit {Count, TimeoutDelta} (the persist state when SndWnd == 0, rule 17).
    pub retransmit: TimerState,
    /// TsRecent: the peer's TSval to echo (RFC 7323 TS.Recent; 0 when timestamps are off or
    /// none was seen).
    pub ts_recent: u32,
    /// TsRecentAge: ticks since TsRecent was set.
    pub ts_recent_age: u32,
    /// TsTime: "host clock + host timestamp delta" (§1), the TSval the owner would send at
    /// the hand-over; the receiving side's delta is TsTime minus its own clock (rule 19).
    pub ts_time: u32,
}

/// TCP_OFFLOAD_STATE_CONST plus the simulator-only receive details the engine needs to
/// continue the connection's receive half (receive-side chimney is not modelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConstState {
    /// LocalPort.
    pub local_port: u16,
    /// RemotePort.
    pub remote_port: u16,
    /// RemoteMss (effective send MSS).
    pub remote_mss: u32,
    /// SndWindScale.
    pub snd_wind_scale: u8,
    /// RcvWindScale.
    pub rcv_wind_scale: u8,
    /// SACK negotiated.
    pub sack: bool,
    /// Flags.TIMESTAMP: RFC 7323 timestamps negotiated.
    pub timestamps: bool,
    /// CLOSE was called and a FIN is queued after the data (simulator bookkeeping).
    pub fin_queued: bool,
    /// Right edge last advertised (simulator bookkeeping for the receive half).
    pub rcv_adv: SeqNum,
    /// Receive-stream bytes delivered so far.
    pub rcv_delivered: u64,
    /// The peer's FIN was received.
    pub peer_fin: bool,
    /// Stream offset of SndUna (where the chain starts; used when the chain is NULL).
    pub snd_una_offset: u64,
}

impl DelegatedState {
    /// The chimney view of an engine's TCB taken at the moment of hand-over.
    pub fn from_tcb(t: &Tcb, snd_una_offset: u64, ticks: Ticks) -> (DelegatedState, ConstState) {
        let ushort = |d: SimDuration, k: u64| ticks.from_duration(d.saturating_mul(k)).min(u32::from(u16::MAX)) as u16;
        let (snd, rcv, cong, rtx) = (&t.snd, &t.rcv, &t.cong, &t.rtx);
        // Rule 17: when SndWnd == 0 the Retransmit fields carry the persist state.
        let (count, delta) = if snd.snd_wnd == 0 && rtx.persist_in.is_some() {
            (rtx.probe_count, rtx.persist_in)
        } else {
            (rtx.backoff, rtx.retransmit_in)
        };
        let state = DelegatedState {
            state: t.state,
            rcv_nxt: rcv.rcv_nxt,
            rcv_wnd: rcv.rcv_adv.wrapping_since(rcv.rcv_nxt),
            snd_una: snd.snd_una,
            snd_nxt: snd.snd_nxt,
            snd_max: snd.snd_max,
            snd_wnd: snd.snd_wnd,
            max_snd_wnd: snd.max_snd_wnd,
            send_wl1: snd.snd_wl1,
            cwnd: cong.cwnd,
            ssthresh: cong.ssthresh,
            srtt: rtx.srtt.map_or(0, |d| ushort(d, 8).max(1)),
            rttvar: ushort(rtx.rttvar, 4),
            total_rt: ticks.from_duration(rtx.total_rt),
            dup_ack_count: cong.dup_acks.min(255) as u8,
            snd_wnd_probe_count: rtx.probe_count.min(255) as u8,
            retransmit: TimerState {
                count: count.min(255) as u8,
                timeout_delta: delta.map_or(TIMER_OFF, |d| ticks.from_duration(d)),
            },
            ts_recent: t.ts.and_then(|ts| ts.ts_recent).unwrap_or(0),
            ts_recent_age: t.ts.map_or(0, |ts| ticks.from_duration(ts.ts_recent_age)),
            ts_time: t.ts.map_or(0, |ts| ts.ts_time),
        };
        let consts = ConstState {
            local_port: t.local_port,
            remote_port: t.remote_port,
            remote_mss: snd.smss,
            snd_wind_scale: snd.snd_wscale,
            rcv_wind_scale: rcv.rcv_wscale,
            sack: snd.sack_permitted,
            timestamps: t.ts.is_some(),
            fin_queued: snd.fin_queued,
            rcv_adv: rcv.rcv_adv,
            rcv_delivered: rcv.rcv_delivered,
            peer_fin: rcv.peer_fin,
            snd_una_offset,
        };
        (state, consts)
    }

    /// The TCB the receiving side rebuilds from the chimney fields. What is not delegated (§1)
    /// is filled in here: SND.WL2 by rule 14 and the NewReno recovery state by the §8 handover
    /// policy, with `recovery` deciding a handover in fast recovery (see
    /// [`RecoveryInference::infer`]; the host stack follows §8 as written,
    /// [`RecoveryInference::Current`]). RTO is recomputed per §8: `RTO = SRtt/8 + max(G,
    /// RttVar)`, bounded by the receiving side's `cfg` (min/max RTO; its initial RTO before
    /// any sample), and backed off by Count unless SndWnd == 0, when Count is the persist round
    /// (rule 17) and the RTO is not backed off.
    pub fn to_tcb(
        &self,
        c: &ConstState,
        conn: ConnId,
        ticks: Ticks,
        cfg: &TcpConfig,
        recovery: RecoveryInference,
    ) -> Tcb {
        let (min_rto, max_rto) = (cfg.min_rto, cfg.max_rto);
        let srtt =
            (self.srtt != 0).then(|| SimDuration::from_nanos(ticks.to_duration(u32::from(self.srtt)).as_nanos() / 8));
        let rttvar = SimDuration::from_nanos(ticks.to_duration(u32::from(self.rttvar)).as_nanos() / 4);
        let g = ticks.to_duration(1);
        let base = match srtt {
            Some(s) => SimDuration::from_nanos(s.as_nanos() + rttvar.saturating_mul(4).max(g).as_nanos()),
            // RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been made for a
            // segment sent between the sender and receiver, the sender SHOULD set RTO <- 1
            // second" -- the connection's configured initial RTO, as the sending side used.
            None => cfg.initial_rto,
        };
        let base = base.max(min_rto).min(max_rto);
        let count = u32::from(self.retransmit.count);
        let delta =
            (self.retransmit.timeout_delta != TIMER_OFF).then(|| ticks.to_duration(self.retransmit.timeout_delta));
        let zero_window = self.snd_wnd == 0;
        // Rule 17: "When SndWnd == 0, Count/TimeoutDelta/SndWndProbeCount are the persist
        // state": Count is then a persist round, not an RTO backoff, so the RTO stays at base.
        let rto = if zero_window {
            base
        } else {
            base.saturating_mul(1u64 << count.min(30)).min(max_rto)
        };
        let backoff = if zero_window { 0 } else { count };
        let mut cong = CongestionState {
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            recover: self.snd_una,
            in_recovery: false,
            dup_acks: u32::from(self.dup_ack_count),
        };
        recovery.infer(
            (self.snd_una, self.snd_nxt, self.snd_max),
            backoff,
            &mut cong,
            cfg.dupack_threshold,
        );
        Tcb {
            conn,
            local_port: c.local_port,
            remote_port: c.remote_port,
            state: self.state,
            snd: SendSequence {
                snd_una: self.snd_una,
                snd_nxt: self.snd_nxt,
                snd_max: self.snd_max,
                snd_wnd: self.snd_wnd,
                max_snd_wnd: self.max_snd_wnd,
                snd_wl1: self.send_wl1,
                // Chimney rule 14: "Window update uses SendWL1 and an OT-initialised WL2
                // (suggest WL2 := SndUna)".
                snd_wl2: self.snd_una,
                smss: c.remote_mss,
                snd_wscale: c.snd_wind_scale,
                sack_permitted: c.sack,
                fin_queued: c.fin_queued,
            },
            rcv: ReceiveSequence {
                rcv_nxt: self.rcv_nxt,
                rcv_adv: self.rcv_nxt.add(self.rcv_wnd),
                rcv_wscale: c.rcv_wind_scale,
                rcv_delivered: c.rcv_delivered,
                peer_fin: c.peer_fin,
            },
            cong,
            rtx: RetransmitState {
                srtt,
                rttvar,
                rto,
                backoff,
                total_rt: ticks.to_duration(self.total_rt),
                rto_retries: backoff,
                probe_count: u32::from(self.snd_wnd_probe_count),
                retransmit_in: if zero_window { None } else { delta },
                persist_in: if zero_window { delta } else { None },
            },
            // Rule 19: with Flags.TIMESTAMP set, the receiving side continues the clock from
            // TsTime and echoes TsRecent. TsRecent is valid from the SYN on (RFC 7323 §4.3).
            ts: c.timestamps.then(|| TimestampState {
                ts_recent: Some(self.ts_recent),
                ts_recent_age: ticks.to_duration(self.ts_recent_age),
                ts_time: self.ts_time,
            }),
        }
    }
}

/// A deliberately broken host or target, for the negative tests of the run-time rule checks
/// (issue 11 defect 11): each variant breaks one chimney rule once, the first time it can,
/// and the run must end naming that rule. Test-only: `None` on every real configuration.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Rule 1: the host offloads with State = TIME_WAIT.
    HostOffloadsTimeWait,
    /// Rule 2: the host hands over SndNxt beyond SndMax.
    HostSndNxtBeyondSndMax,
    /// Rule 3: the host's SndMax claims more bytes outstanding than the chain holds.
    HostChainTooShort,
    /// Rule 4: the host hands over no chain with data outstanding.
    HostNullChain,
    /// Rule 5: the host hands over its retransmit timer as off with data outstanding.
    HostTimerOff,
    /// Rule 9: the target's first data segment starts one MSS past SndNxt.
    TargetFirstSegmentPastSndNxt,
    /// Rule 10: a later segment of the target skips one segment ahead.
    TargetSkipsAhead,
    /// Rule 12: the target's first retransmission is not marked as one.
    TargetUnmarkedRetransmission,
    /// Rule 13: the target reports SndNxt beyond SndMax.
    TargetSndNxtBeyondSndMax,
    /// Rule 19: the target's first timestamped segment carries a TSval one below the host's
    /// clock at offload.
    TargetTsvalBehindHost,
    /// Rule 20: the target sends an RST with its first data segment.
    TargetSpuriousRst,
    /// Rule 25: the target completes the first posted buffer before it is acknowledged.
    TargetEarlyCompletion,
    /// Rule 40: the target sends a data segment in the batch that processed an RST.
    TargetSendsAfterRst,
    /// Rule 42: the target sets FIN on a data segment before the end of the data.
    TargetEarlyFin,
    /// Rule 31: the target returns a chain that does not start at SndUna.
    TargetChainNotAtSndUna,
    /// Rule 33: the target returns its retransmit timer as off with data outstanding.
    TargetReturnsTimerOff,
    /// Rule 33: the target returns its raw NicTime as TsTime, without NicDelta.
    TargetReturnsNicTime,
}

impl Fault {
    /// Breaks an InitiateOffload block as a host fault says (no-op for target faults).
    #[doc(hidden)]
    pub fn break_offload_block(self, b: &mut OffloadBlock) {
        let s = &mut b.state;
        match self {
            Fault::HostOffloadsTimeWait => s.state = TcpState::TimeWait,
            Fault::HostSndNxtBeyondSndMax => s.snd_nxt = s.snd_max.add(1),
            Fault::HostChainTooShort => {
                let bytes = b.chain.as_ref().map_or(0, |c| c.len() as u32);
                s.snd_max = s.snd_una.add(bytes + 1000);
                s.snd_nxt = s.snd_max;
            }
            Fault::HostNullChain => b.chain = None,
            Fault::HostTimerOff => s.retransmit.timeout_delta = TIMER_OFF,
            _ => {}
        }
    }

    /// Breaks a TerminateOffloadComplete block as a target fault says (no-op otherwise).
    #[doc(hidden)]
    pub fn break_upload_block(self, b: &mut UploadBlock) {
        match self {
            Fault::TargetChainNotAtSndUna => b.consts.snd_una_offset += 1,
            Fault::TargetReturnsTimerOff => b.state.retransmit.timeout_delta = TIMER_OFF,
            Fault::TargetReturnsNicTime => {
                b.state.ts_time = b.state.ts_time.wrapping_sub(crate::tcp::NIC_TS_CLOCK_LAG_MS);
            }
            _ => {}
        }
    }
}

/// How an offload target infers the NewReno recovery state at a handover (spec/chimney.md
/// §1: "Not delegated at all: ... the NewReno `recover` point / "in fast recovery" flag"). It
/// matters only when the delegated state says the host is in fast recovery (DupAckCount >=
/// TcpDuplicateAckThreshold, no timeout since: a timeout always gives `recover = SndMax - 1`
/// outside recovery, RFC 6582 §3.2 step 6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecoveryInference {
    /// spec/chimney.md §8 as written: "assume recovery with recover = SndMax - 1". When the
    /// host sent new data during its recovery, the ACKs for the data it sent before the loss
    /// are partial ACKs on the target and each is answered by a (spurious) resend.
    Current,
    /// The handover ends the recovery: cwnd deflated to SsThresh (RFC 6582 §3.2 step 3, full
    /// acknowledgment, option (2)), `recover = SndMax - 1` so the duplicate ACKs of the old
    /// flight do not start a second fast retransmit. Further holes of that flight wait for
    /// the retransmission timer.
    EndRecovery,
    /// Stay in recovery with `recover` kept at the highest sequence number the host had sent
    /// when it entered recovery (RFC 6582 §3.2 step 2), not at SndMax - 1. The target infers
    /// it from SsThresh, which the host set to FlightSize/2 on entry (RFC 5681 §3.2 step 2):
    /// `recover = min(SndUna + 2 * SsThresh, SndMax) - 1`. The default: no spurious resend of
    /// data the host sent during its recovery.
    #[default]
    KeepRecoverAtHighestSent,
}

impl RecoveryInference {
    /// Every policy, in declaration order.
    pub const ALL: [RecoveryInference; 3] = [
        RecoveryInference::Current,
        RecoveryInference::EndRecovery,
        RecoveryInference::KeepRecoverAtHighestSent,
    ];

    /// Sets the NewReno `recover` point and recovery flag the receiving side assumes at a
    /// handover (spec/chimney.md §1: not delegated), from SndUna/SndNxt/SndMax, the backoff
    /// exponent (`Retransmit.Count` outside a zero window) and DupAckCount (in `cong`); this
    /// policy decides only a handover in fast recovery.
    ///
    /// spec/chimney.md §8 handover policy \[INF\]: "if DupAckCount >= threshold at offload,
    /// assume recovery with recover = SndMax - 1; else recover = SndUna - 1 (so a fresh dup-ACK
    /// run may enter)". Refinement \[INF\] for a handover after a timeout (Count > 0, or a
    /// go-back-N resend in progress: SndNxt < SndMax): RFC 6582 §3.2 step 6, "After a
    /// retransmit timeout, record the highest sequence number transmitted in the variable
    /// recover". Without it, the duplicate ACKs still arriving for the pre-timeout flight would
    /// start a fast retransmit with cwnd = FlightSize/2 + 3*SMSS and burst the whole resend
    /// region out at once. The refinement is tested first: duplicate ACKs still counted from
    /// the flight before a timeout do not mean the sender is in fast recovery (RFC 6582 §3.2
    /// step 6: "... and exit the fast recovery procedure if applicable").
    pub fn infer(
        self,
        (una, nxt, max): (SeqNum, SeqNum, SeqNum),
        backoff: u32,
        cong: &mut CongestionState,
        dupack_threshold: u32,
    ) {
        (cong.recover, cong.in_recovery) = if backoff > 0 || nxt < max {
            (max.sub(1), false)
        } else if cong.dup_acks < dupack_threshold {
            // "recover = SndUna - 1 (so a fresh dup-ACK run may enter)": with the RFC 6582 test
            // "covers more than recover" read exactly (ACK - 1 > recover, see
            // `NewReno::enter_recovery`), a dup-ACK run at SndUna enters only with
            // recover <= SndUna - 2.
            (una.sub(2), false)
        } else if una == max {
            // In recovery with nothing outstanding: §8 as written, whatever the policy.
            (max.sub(1), true)
        } else {
            match self {
                RecoveryInference::Current => (max.sub(1), true),
                RecoveryInference::EndRecovery => {
                    cong.cwnd = cong.cwnd.min(cong.ssthresh);
                    cong.dup_acks = 0;
                    (max.sub(1), false)
                }
                RecoveryInference::KeepRecoverAtHighestSent => {
                    let flight = max.wrapping_since(una);
                    let at_entry = cong.ssthresh.saturating_mul(2).clamp(1, flight);
                    (una.add(at_entry).sub(1), true)
                }
            }
        };
    }
}

/// NDIS_MINIPORT_OFFLOAD_BLOCK_LIST for one TCP connection: what InitiateOffload hands over.
#[derive(Debug)]
pub struct OffloadBlock {
    /// Connection.
    pub conn: ConnId,
    /// The host stack that owns the connection.
    pub host: ActorId,
    /// When the host took the snapshot (timers resume from here, rule 17).
    pub snapshot_time: SimTime,
    /// The engine parameters (OID_TCP_CONNECTION_OFFLOAD_PARAMETERS and CACHED state:
    /// MSS, RTO bounds, duplicate-ACK threshold, retransmission limit, delayed ACK).
    pub cfg: TcpConfig,
    /// DELEGATED state.
    pub state: DelegatedState,
    /// CONST state (+ receive-half bookkeeping).
    pub consts: ConstState,
    /// The delegated send chain: the host's own buffers (shared `Bytes`, not copies), first
    /// byte = SndUna (§2). `None` when there is no send data (rule 4).
    pub chain: Option<SendChain>,
    /// Condition-triggered actions that move with the connection (simulator plumbing).
    pub pending: Vec<PendingAction>,
    /// Retransmission timeouts seen so far (for `AfterRto` conditions).
    pub rto_count: u32,
    /// Fast retransmits seen so far (for `AfterFastRetransmits` conditions).
    pub fr_count: u32,
}

/// What TerminateOffloadComplete returns (rules 30–33).
#[derive(Debug)]
pub struct UploadBlock {
    /// Connection.
    pub conn: ConnId,
    /// Why the upload happened.
    pub reason: UploadReason,
    /// DELEGATED state as it stands.
    pub state: DelegatedState,
    /// CONST state (+ receive-half bookkeeping).
    pub consts: ConstState,
    /// Unfinished send data in original posting order, first byte = SndUna (rule 31);
    /// `None` when nothing is outstanding.
    pub chain: Option<SendChain>,
    /// Pending condition-triggered actions, returned to the host.
    pub pending: Vec<PendingAction>,
    /// Retransmission timeouts seen so far.
    pub rto_count: u32,
    /// Fast retransmits seen so far.
    pub fr_count: u32,
}

/// Which way the delegated state crossed the host/target interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandoverKind {
    /// InitiateOffload: host to target.
    Offload,
    /// TerminateOffloadComplete: target to host.
    Upload,
}

/// One crossing of the delegated state, as the host stack sent or received it (chimney units).
/// Tests use it for the round-trip and resume rules (8, 17, 31, 33, 36).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandoverRecord {
    /// When the host sent (offload) or received (upload) the block.
    pub time: SimTime,
    /// Connection.
    pub conn: ConnId,
    /// Direction.
    pub kind: HandoverKind,
    /// DELEGATED state as it crossed.
    pub state: DelegatedState,
    /// Stream offset of SndUna (the chain's first byte).
    pub snd_una_offset: u64,
    /// Bytes in the send chain (0 when the chain is NULL).
    pub chain_bytes: u64,
    /// Buffers (NBLs) in the send chain.
    pub chain_buffers: usize,
}

impl HandoverRecord {
    /// The record of a block crossing the interface at `time`.
    pub fn new(
        time: SimTime,
        conn: ConnId,
        kind: HandoverKind,
        state: DelegatedState,
        consts: &ConstState,
        chain: Option<&SendChain>,
    ) -> Self {
        HandoverRecord {
            time,
            conn,
            kind,
            state,
            snd_una_offset: consts.snd_una_offset,
            chain_bytes: chain.map_or(0, |ch| ch.len()),
            chain_buffers: chain.map_or(0, |ch| ch.buffer_count()),
        }
    }
}

/// Why a connection is uploaded (rule 44 reasons that offsim produces).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UploadReason {
    /// The host asked (scenario action).
    HostRequested,
    /// Too many retransmissions of one segment (rule 18).
    TimeoutExpiration,
    /// The target wants to give the connection back for resource reasons (rule 46).
    UploadRequested,
    /// Optional reason (rule 44): the connection has been idle.
    LowActivity,
    /// Optional reason (rule 44): the connection loses many packets.
    HighDropRate,
}

/// A broken chimney rule: ends the run with a report naming the rule, the time and the
/// sequence numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleViolation {
    /// The rule number in spec/chimney.md.
    pub rule: u8,
    /// When it was detected.
    pub time: SimTime,
    /// The connection.
    pub conn: ConnId,
    /// SndUna, SndNxt, SndMax at that moment.
    pub seq: (SeqNum, SeqNum, SeqNum),
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (u, n, m) = self.seq;
        write!(
            f,
            "chimney rule {} violated at {} on conn {} (SndUna={u} SndNxt={n} SndMax={m}): {}",
            self.rule, self.time, self.conn.0, self.message
        )
    }
}
