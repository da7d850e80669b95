//! One TCP connection: RFC 793 §3.9 event processing with one `process_<state>` fn per state,
//! the application calls (SEND, CLOSE, ABORT), the four timers, and the [`Tcb`] a handover
//! (offload or upload) moves between the host stack and the offload target.
//!
//! Read first: RFC 793 §3.9 "SEGMENT ARRIVES", spec/chimney.md rules 1-4, 13, 14, 17, 18, 19.
//!
//! What it models: see [`crate::tcp`]. Deliberate choices: data on a SYN is ignored (the peer
//! resends it); an in-window RST or SYN that is not exact draws a challenge ACK (RFC 5961 §3.2,
//! §4.2) rather than a reset; a passive connection serves exactly the one peer it was built for.

use super::cc::{AckAction, DupAckAction, NewReno};
use super::receiver::{AckUrgency, Receiver};
use super::rtt::RttEstimator;
use super::sack::Scoreboard;
use super::sender::TxCounts;
use super::tcb::{RetransmitState, SendSequence, Tcb, TimestampState};
use super::{ConnEvent, Output, TcpConfig, TcpState, TcpStats, TimerKind};
use crate::chain::{BufOrigin, SendChain};
use crate::record::CcSample;
use crate::segment::{BufId, ConnId, Segment, SendCause, Sender, TcpOptions};
use crate::seq::SeqNum;
use bytes::Bytes;
use sim_core::{SimDuration, SimTime};

/// Why an application write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection is closed, listening, or reset.
    #[error("connection is not open")]
    NotOpen,
    /// CLOSE was already called (RFC 793: "error: connection closing").
    #[error("connection closing")]
    Closing,
}

/// Why a handed-over TCB could not become a connection (spec/chimney.md §3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandoverError {
    /// Rule 1: only ESTABLISHED, FIN_WAIT_1/2, CLOSE_WAIT, CLOSING and LAST_ACK can move (and
    /// TIME_WAIT back to the host, rule 44).
    #[error("state {0:?} cannot be handed over (chimney rule 1)")]
    State(TcpState),
    /// Rule 2: SndUna <= SndNxt <= SndMax.
    #[error("sequence order violated: una {una} nxt {nxt} max {max} (chimney rule 2)")]
    Order {
        /// SndUna.
        una: SeqNum,
        /// SndNxt.
        nxt: SeqNum,
        /// SndMax.
        max: SeqNum,
    },
    /// Rules 3-4: the chain must hold every sent, unacknowledged data byte.
    #[error("chain holds {chain} bytes but {needed} are outstanding (chimney rules 3-4)")]
    ChainTooShort {
        /// Bytes in the chain.
        chain: u64,
        /// Data bytes in [SndUna, SndMax).
        needed: u32,
    },
}

/// How far the offload target's timestamp clock (NicTime, spec/chimney.md rule 19) lags the
/// host's [ms]. Both tick at 1 ms; the NIC's clock started later (its own power-on), so
/// only NicDelta = TsTime - NicTime keeps the TSvals continuous across a handover: a target
/// that forgot it would send TSvals an hour behind the host's, which the peer's PAWS drops
/// (RFC 7323 §5).
pub const NIC_TS_CLOCK_LAG_MS: u32 = 3_600_000;

/// The raw timestamp clock of whoever runs the connection (before its delta) [ms].
fn owner_ts_clock(sender: Sender, now: SimTime) -> u32 {
    let host = (now.as_nanos() / 1_000_000) as u32;
    match sender {
        Sender::Host => host,
        Sender::OffloadTarget => host.wrapping_sub(NIC_TS_CLOCK_LAG_MS),
    }
}

/// One endpoint of a TCP connection (sans-IO; see [`crate::tcp`]).
///
/// Its state falls in two parts. What a handover moves is the transmission control block
/// ([`Tcb`], built by [`TcpConnection::tcb`] and resumed by [`TcpConnection::from_tcb`]): the
/// send sequence variables, held here as the very [`SendSequence`] the TCB carries; the
/// receive sequence variables inside [`Receiver`], the congestion state inside [`NewReno`] and
/// the RFC 6298 estimate inside [`RttEstimator`] (each the module of its RFC, which hands its
/// group over: `Receiver::sequence`/`resume`, `NewReno::state`/`restore`); the retransmission
/// and persist timers with their counters; the RFC 7323 timestamp state. Everything else never
/// moves (see [`crate::tcp::tcb`] for why): the configuration, the owner, the SACK scoreboard,
/// the RTT measurement in progress, delayed-ACK state, out-of-order data, the idle clock and
/// the counters.
#[derive(Clone, Debug)]
pub struct TcpConnection {
    // ----- moved at a handover (the TCB) -------------------------------------------------
    pub(super) conn: ConnId,
    pub(super) local_port: u16,
    pub(super) remote_port: u16,
    /// RFC 793 state.
    pub(super) state: TcpState,
    /// RFC 793 §3.2 send sequence variables and send options: moved whole ([`Tcb::snd`]).
    pub(super) snd: SendSequence,
    /// RCV.NXT, the advertised edge and the receive stream ([`Tcb::rcv`], with `rcv_wscale`),
    /// plus out-of-order data and the reader's state, which do not move.
    pub(super) rcv: Receiver,
    /// Shift applied to our window field (RFC 7323).
    pub(super) rcv_wscale: u8,
    /// cwnd, ssthresh, `recover` ([`Tcb::cong`]), plus CUBIC's and byte counting's own state,
    /// which does not move.
    pub(super) cc: NewReno,
    /// SRTT, RTTVAR, RTO and its backoff ([`Tcb::rtx`]), plus the measurement in progress,
    /// which does not move.
    pub(super) rtt: RttEstimator,
    /// Chimney `TotalRT`: time spent resending the current segment.
    pub(super) total_rt: SimDuration,
    /// Timeouts of the current segment (the give-up count, chimney rule 18).
    pub(super) rto_retries: u32,
    /// Window probes in the current persist round (chimney `SndWndProbeCount`).
    pub(super) probe_count: u32,
    pub(super) retransmit_at: Option<SimTime>,
    pub(super) persist_at: Option<SimTime>,
    /// RFC 7323 timestamps negotiated ([`Tcb::ts`] is `Some`).
    pub(super) ts_ok: bool,
    /// RFC 7323 TS.Recent: the timestamp to echo (`None` before a TSval was seen).
    pub(super) ts_recent: Option<u32>,
    /// When TS.Recent was last set (TsRecentAge at a handover; RFC 7323 §5.5's 24-day
    /// invalidation is not modelled).
    pub(super) ts_recent_at: Option<SimTime>,
    /// Spec/chimney.md rule 19 NicDelta: added to the owner's raw clock to give TSval
    /// (0 for a connection the host opened).
    pub(super) ts_delta: u32,
    // ----- never moved (rebuilt or reset by the new owner) -------------------------------
    pub(super) cfg: TcpConfig,
    pub(super) sender: Sender,
    /// Built by `listen` (RFC 793: an RST in SYN-RECEIVED returns it to LISTEN).
    pub(super) passive: bool,
    pub(super) iss: SeqNum,
    /// Window scaling negotiated (derived from the shifts at a handover).
    pub(super) wscale_ok: bool,
    /// Probes sent since the last acceptable ACK (RFC 1122 §4.2.2.17: never give up while the
    /// peer answers them).
    pub(super) probes_unanswered: u32,
    /// Cause recorded on resends of `[snd_nxt, snd_max)` (derived from the TCB at a handover).
    pub(super) resend_cause: SendCause,
    /// Our FIN is acknowledged (derived from the state at a handover).
    pub(super) fin_acked: bool,
    pub(super) gave_up: bool,
    /// The send chain: moves beside the TCB, with the per-byte transmission counts `tx`.
    pub(super) chain: SendChain,
    pub(super) tx: TxCounts,
    /// RFC 6675 scoreboard (used only when SACK was negotiated; empty after a handover).
    pub(super) sack: Scoreboard,
    pub(super) syn_tx: u32,
    pub(super) ack_now: bool,
    pub(super) unacked_segs: u32,
    pub(super) delayed_ack_at: Option<SimTime>,
    pub(super) time_wait_at: Option<SimTime>,
    /// When data (or a FIN) was last sent, for the restart after idle (RFC 5681 §4.1). Not
    /// handed over: a handed-over connection restarts only after it has sent once.
    pub(super) last_data_sent: Option<SimTime>,
    /// RFC 7323 Last.ACK.sent: the ACK field of the last segment sent (RCV.NXT at a handover).
    pub(super) last_ack_sent: SeqNum,
    /// The timestamp clock at the current call [ms] (TSval of what is sent now).
    pub(super) ts_clock: u32,
    pub(super) stats: TcpStats,
}

impl TcpConnection {
    fn new(cfg: TcpConfig, conn: ConnId, local_port: u16, remote_port: u16, isn: SeqNum, state: TcpState) -> Self {
        let smss = u32::from(cfg.mss).max(1);
        TcpConnection {
            cfg,
            conn,
            sender: Sender::Host,
            local_port,
            remote_port,
            state,
            passive: state == TcpState::Listen,
            iss: isn,
            snd: SendSequence {
                snd_una: isn,
                snd_nxt: isn,
                snd_max: isn,
                snd_wnd: 0,
                max_snd_wnd: 0,
                snd_wl1: SeqNum(0),
                snd_wl2: isn,
                smss,
                snd_wscale: 0,
                sack_permitted: false,
                fin_queued: false,
            },
            rcv_wscale: 0,
            wscale_ok: false,
            cc: NewReno::new(smss, smss.saturating_mul(cfg.initial_window_segments.max(1)), isn)
                .with_increase(cfg.ca_increase)
                .with_validation(cfg.cwnd_validation)
                .with_congestion_control(cfg.congestion_control),
            rtt: RttEstimator::new(cfg.initial_rto, cfg.min_rto, cfg.max_rto, cfg.clock_granularity),
            total_rt: SimDuration::ZERO,
            rto_retries: 0,
            probe_count: 0,
            probes_unanswered: 0,
            resend_cause: SendCause::NewData,
            fin_acked: false,
            gave_up: false,
            chain: SendChain::new(),
            tx: TxCounts::default(),
            sack: Scoreboard::default(),
            syn_tx: 0,
            rcv: Receiver::new(SeqNum(0), 0),
            ack_now: false,
            unacked_segs: 0,
            retransmit_at: None,
            persist_at: None,
            delayed_ack_at: None,
            time_wait_at: None,
            last_data_sent: None,
            ts_ok: false,
            ts_recent: None,
            last_ack_sent: SeqNum(0),
            ts_recent_at: None,
            ts_delta: 0,
            ts_clock: 0,
            stats: TcpStats::default(),
        }
    }

    /// Active open (RFC 793 OPEN, active): the SYN goes out on the next [`TcpConnection::poll`].
    pub fn connect(cfg: TcpConfig, conn: ConnId, local_port: u16, remote_port: u16, isn: SeqNum) -> Self {
        Self::new(cfg, conn, local_port, remote_port, isn, TcpState::SynSent)
    }

    /// Passive open (RFC 793 OPEN, passive) for the one peer at `remote_port`.
    pub fn listen(cfg: TcpConfig, conn: ConnId, local_port: u16, remote_port: u16, isn: SeqNum) -> Self {
        Self::new(cfg, conn, local_port, remote_port, isn, TcpState::Listen)
    }

    /// Rebuilds a connection from a handed-over [`Tcb`] and the send chain whose first byte is
    /// `tcb.snd.snd_una` (spec/chimney.md §3 checks). Timers resume from the deltas at `now`
    /// (rule 17). `sender` says who runs it from now on. The TCB is taken as it is: what
    /// chimney does not delegate (SND.WL2, `recover`) was filled in by whoever built it (the
    /// conversion layer, [`crate::offload::DelegatedState::to_tcb`]).
    pub fn from_tcb(
        cfg: TcpConfig,
        sender: Sender,
        tcb: &Tcb,
        chain: SendChain,
        now: SimTime,
    ) -> Result<Self, HandoverError> {
        use TcpState::*;
        let Tcb {
            conn,
            local_port,
            remote_port,
            state,
            snd,
            rcv,
            cong,
            rtx,
            ts,
        } = *tcb;
        // TIME_WAIT is accepted too: a connection the offload target gives back after entering
        // it (chimney rule 44: "Entering TIME_WAIT: the OT should request upload") finishes its
        // 2*MSL on the host. Rule 1 keeps it from being offloaded (checked by the host).
        if !matches!(
            state,
            Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck | TimeWait
        ) {
            return Err(HandoverError::State(state));
        }
        let (una, nxt, max) = (snd.snd_una, snd.snd_nxt, snd.snd_max);
        if !(una <= nxt && nxt <= max) {
            return Err(HandoverError::Order { una, nxt, max });
        }
        let outstanding = max.wrapping_since(una);
        let fin_acked = matches!(state, FinWait2 | TimeWait);
        let fin_sent = snd.fin_queued && !fin_acked && u64::from(outstanding) == chain.len() + 1;
        let needed = outstanding - u32::from(fin_sent);
        if !fin_acked && chain.len() < u64::from(needed) {
            return Err(HandoverError::ChainTooShort {
                chain: chain.len(),
                needed,
            });
        }
        let mut c = Self::new(cfg, conn, local_port, remote_port, una, state);
        c.passive = false;
        c.sender = sender;
        // The send sequence variables move whole; a window never below SND.WND, an SMSS of at
        // least one byte and RFC 7323 §2.3's shift limit ("MUST use 14 instead") keep a
        // hand-made TCB from breaking the engine.
        c.snd = SendSequence {
            max_snd_wnd: snd.max_snd_wnd.max(snd.snd_wnd),
            smss: snd.smss.max(1),
            snd_wscale: snd.snd_wscale.min(14),
            ..snd
        };
        c.rcv_wscale = rcv.rcv_wscale.min(14);
        c.wscale_ok = snd.snd_wscale != 0 || rcv.rcv_wscale != 0;
        c.fin_acked = fin_acked;
        c.cc = NewReno::new(c.snd.smss, cong.cwnd, una)
            .with_increase(cfg.ca_increase)
            .with_validation(cfg.cwnd_validation)
            .with_congestion_control(cfg.congestion_control);
        c.cc.restore(&cong);
        c.resume_retransmit(&rtx, now);
        if state == TimeWait {
            // RFC 793 TIME-WAIT: the timer restarts; a full 2*MSL is the conservative choice.
            (c.retransmit_at, c.persist_at) = (None, None);
            c.time_wait_at = Some(now + cfg.time_wait);
        }
        // Issue 11 defect 7: transmission counts travel with the chain.
        let mut chain = chain;
        c.tx = chain.take_tx_counts();
        c.chain = chain;
        // Chimney §2: [SndNxt, SndMax) "must be sent NEXT by the OT (a resend in progress at
        // the host)": the cause the new owner records for it.
        if nxt < max {
            c.resend_cause = SendCause::ResendRegion;
        }
        c.syn_tx = 1;
        c.rcv = Receiver::resume(&rcv);
        if let Some(ts) = ts {
            c.resume_timestamps(&ts, now);
        }
        c.set_ts_clock(now);
        Ok(c)
    }

    /// Takes over the RFC 6298 estimate and the retransmission and persist timers of a
    /// handed-over TCB: each timer expires the time left on it after `now` (chimney rule 17:
    /// "retransmit expiry at T_offload + TimeoutDelta; Count is the backoff exponent already
    /// used").
    fn resume_retransmit(&mut self, rtx: &RetransmitState, now: SimTime) {
        self.rtt.restore(rtx.srtt, rtx.rttvar, rtx.rto, rtx.backoff);
        self.total_rt = rtx.total_rt;
        self.rto_retries = rtx.rto_retries;
        self.probe_count = rtx.probe_count;
        self.retransmit_at = rtx.retransmit_in.map(|d| now + d);
        self.persist_at = rtx.persist_in.map(|d| now + d);
    }

    /// The RFC 6298 estimate and the timers as the time left on them at `now`.
    fn retransmit_state(&self, now: SimTime) -> RetransmitState {
        let left = |t: Option<SimTime>| t.map(|t| t.saturating_since(now));
        RetransmitState {
            srtt: self.rtt.srtt,
            rttvar: self.rtt.rttvar,
            rto: self.rtt.rto,
            backoff: self.rtt.backoff,
            total_rt: self.total_rt,
            rto_retries: self.rto_retries,
            probe_count: self.probe_count,
            retransmit_in: left(self.retransmit_at),
            persist_in: left(self.persist_at),
        }
    }

    /// Takes over the RFC 7323 state of a handed-over TCB at `now` (chimney rule 19).
    fn resume_timestamps(&mut self, ts: &TimestampState, now: SimTime) {
        // RFC 7323 §3.2: once negotiated, "the TSopt MUST be sent in every non-<RST>
        // segment" -- by whoever runs the connection.
        self.ts_ok = true;
        self.ts_recent = ts.ts_recent;
        self.ts_recent_at = ts
            .ts_recent
            .map(|_| SimTime(now.as_nanos().saturating_sub(ts.ts_recent_age.as_nanos())));
        // Chimney rule 19: "NicDelta = TsTime - NicTime at offload; TSval = NicTime +
        // NicDelta. TSval therefore never goes backwards across a handover" (the host does
        // the same with its clock at upload, rule 33).
        self.ts_delta = ts.ts_time.wrapping_sub(owner_ts_clock(self.sender, now));
        // RFC 7323 §4.3 (3) compares SEG.SEQ with Last.ACK.sent: the old owner's last ACK
        // acknowledged at most RCV.NXT, the best value the handover gives.
        self.last_ack_sent = self.rcv.rcv_nxt;
    }

    /// The RFC 7323 state a handover moves, at `now` (`None` when not negotiated).
    fn timestamp_state(&self, now: SimTime) -> Option<TimestampState> {
        self.ts_ok.then(|| TimestampState {
            ts_recent: self.ts_recent,
            ts_recent_age: self.ts_recent_at.map_or(SimDuration::ZERO, |t| now.saturating_since(t)),
            // Chimney rule 33: "TsTime = NicTime + NicDelta" (the TSval sent now).
            ts_time: owner_ts_clock(self.sender, now).wrapping_add(self.ts_delta),
        })
    }

    /// The TCB a handover moves (see [`Tcb`]); timers as the time left on them at `now`.
    pub fn tcb(&self, now: SimTime) -> Tcb {
        Tcb {
            conn: self.conn,
            local_port: self.local_port,
            remote_port: self.remote_port,
            state: self.state,
            snd: self.snd,
            rcv: self.rcv.sequence(self.rcv_wscale),
            cong: self.cc.state(),
            rtx: self.retransmit_state(now),
            ts: self.timestamp_state(now),
        }
    }

    /// Ends this engine's life for a handover: its TCB and its send chain (with the per-byte
    /// transmission counts attached).
    pub fn into_parts(self, now: SimTime) -> (Tcb, SendChain) {
        let tcb = self.tcb(now);
        let mut chain = self.chain;
        chain.set_tx_counts(self.tx);
        (tcb, chain)
    }

    /// A copy of the send chain to hand over while this engine stays frozen (offload: the
    /// host keeps its engine until the target answers, rule 37), with the per-byte
    /// transmission counts attached.
    pub fn handover_chain(&self) -> SendChain {
        let mut chain = self.chain.clone();
        chain.set_tx_counts(self.tx.clone());
        chain
    }

    // ----- application calls -------------------------------------------------------------

    /// RFC 793 SEND: appends one application write to the send chain and returns its stream
    /// offset. Call [`TcpConnection::poll`] afterwards to transmit.
    pub fn send(&mut self, id: BufId, data: Bytes, origin: BufOrigin) -> Result<u64, SendError> {
        if self.snd.fin_queued {
            return Err(SendError::Closing);
        }
        match self.state {
            TcpState::SynSent | TcpState::SynReceived | TcpState::Established | TcpState::CloseWait => {
                Ok(self.chain.push(id, data, origin))
            }
            _ => Err(SendError::NotOpen),
        }
    }

    /// RFC 793 CLOSE: queues our FIN after all data. Call [`TcpConnection::poll`] afterwards.
    pub fn close(&mut self) {
        match self.state {
            // RFC 793 CLOSE, LISTEN/SYN-SENT: "Delete the TCB, enter CLOSED state".
            TcpState::Listen | TcpState::SynSent => self.enter_closed(),
            // "SYN-RECEIVED: ... queue for processing after entering ESTABLISHED state."
            TcpState::SynReceived => self.snd.fin_queued = true,
            TcpState::Established => {
                self.snd.fin_queued = true;
                self.state = TcpState::FinWait1;
            }
            TcpState::CloseWait => {
                self.snd.fin_queued = true;
                self.state = TcpState::LastAck;
            }
            _ => {}
        }
    }

    /// RFC 793 ABORT: sends `<SEQ=SND.NXT><CTL=RST>` in the synchronized states and enters
    /// CLOSED. The send chain stays for the caller to fail (see [`TcpConnection::into_parts`]).
    pub fn abort(&mut self, out: &mut Output) {
        if self.state.is_synchronized() || self.state == TcpState::SynReceived {
            self.send_rst(self.snd.snd_nxt, None, out);
        }
        self.enter_closed();
    }

    /// Pauses or resumes the application's reading. While paused, delivered bytes occupy the
    /// receive buffer and shrink the advertised window; resuming frees it and, if that opens
    /// the window enough (RFC 1122 §4.2.3.3 receiver SWS avoidance), queues a window update for
    /// the next [`TcpConnection::poll`].
    pub fn set_reading(&mut self, reading: bool) {
        self.rcv.reading = reading;
        if reading && self.rcv.unread > 0 {
            self.consume(self.rcv.unread);
        }
    }

    /// The application read `bytes` of the delivered data it had not read yet (at most what
    /// is unread): the buffer space is freed and, if that opens the window enough (RFC 1122
    /// §4.2.3.3 receiver SWS avoidance), a window update is queued for the next
    /// [`TcpConnection::poll`]. A paused reader that consumes at its own pace calls this.
    pub fn consume(&mut self, bytes: u64) {
        if bytes == 0 || self.rcv.unread == 0 {
            return;
        }
        let before = self.rcv.rcv_wnd();
        self.rcv.unread -= bytes.min(self.rcv.unread);
        let after = self.rcv.free_space(self.cfg.rcv_buffer);
        // RFC 1122 §4.2.3.3: update when "the window could be increased by ... min(Fr *
        // RCV.BUFF, Eff.snd.MSS)" with Fr = 1/2.
        if after.saturating_sub(before) >= (self.cfg.rcv_buffer / 2).min(u32::from(self.cfg.mss)) {
            self.ack_now = true;
        }
    }

    /// Transmits whatever the windows allow, and any pending ACK. Call after `send`, `close`
    /// and `set_reading`; `on_segment` and `on_timer` do it themselves.
    pub fn poll(&mut self, now: SimTime, out: &mut Output) {
        self.set_ts_clock(now);
        self.transmit(now, out);
    }

    /// Sends a pending (delayed) ACK at once and stops the delayed-ACK timer: before a
    /// handover nothing may stay pending (spec/chimney.md rule 6: "The host has flushed pending
    /// ACKs and stopped delayed-ACK ... timers"; rule 30 for the target at upload).
    pub fn flush_ack(&mut self, now: SimTime, out: &mut Output) {
        self.set_ts_clock(now);
        let pending = self.ack_now || self.delayed_ack_at.is_some();
        if pending && (self.state.is_synchronized() || self.state == TcpState::SynReceived) {
            self.send_ack(out);
        }
        self.ack_now = false;
        self.unacked_segs = 0;
        self.delayed_ack_at = None;
    }

    // ----- timers ------------------------------------------------------------------------

    /// When timer `kind` should fire, if armed.
    pub fn deadline(&self, kind: TimerKind) -> Option<SimTime> {
        match kind {
            TimerKind::Retransmit => self.retransmit_at,
            TimerKind::Persist => self.persist_at,
            TimerKind::DelayedAck => self.delayed_ack_at,
            TimerKind::TimeWait => self.time_wait_at,
        }
    }

    /// Every timer with its deadline, in [`TimerKind::ALL`] order.
    pub fn deadlines(&self) -> [(TimerKind, Option<SimTime>); 4] {
        TimerKind::ALL.map(|k| (k, self.deadline(k)))
    }

    /// The earliest armed deadline.
    pub fn next_deadline(&self) -> Option<SimTime> {
        TimerKind::ALL.iter().filter_map(|k| self.deadline(*k)).min()
    }

    /// Timer `kind` fired at `now`. A timer that is no longer armed, or armed for later, is
    /// ignored (a stale kernel event).
    pub fn on_timer(&mut self, now: SimTime, kind: TimerKind, out: &mut Output) {
        if self.deadline(kind).is_none_or(|t| t > now) {
            return;
        }
        self.set_ts_clock(now);
        match kind {
            TimerKind::Retransmit => {
                self.retransmit_at = None;
                self.on_retransmit_timeout(now, out);
            }
            TimerKind::Persist => {
                self.persist_at = None;
                self.on_persist_timeout(now, out);
            }
            TimerKind::DelayedAck => {
                self.delayed_ack_at = None;
                // RFC 1122 §4.2.3.2: the ACK "MUST NOT be excessively delayed".
                self.ack_now = true;
            }
            TimerKind::TimeWait => {
                self.time_wait_at = None;
                // RFC 793 TIME-WAIT: "When the time-wait timeout expires ... delete the TCB,
                // enter the CLOSED state".
                self.enter_closed();
                out.events.push(ConnEvent::Closed);
            }
        }
        self.transmit(now, out);
    }

    fn on_retransmit_timeout(&mut self, now: SimTime, out: &mut Output) {
        if self.gave_up || self.snd.snd_max == self.snd.snd_una {
            return;
        }
        if self.state.is_synchronized() && self.snd.snd_wnd == 0 && self.data_end() != self.snd.snd_una {
            // The peer's window is closed: it holds all it can take, so this is not a loss.
            // Go back to SND.UNA and probe (BSD does the same); RFC 1122 §4.2.2.17: "the sending
            // TCP MUST allow the connection to stay open" while the probes are answered, which a
            // timeout count would not.
            self.snd.snd_nxt = self.snd.snd_una;
            self.persist_at = Some(now + self.rtt.persist_interval(self.probe_count));
            return;
        }
        self.rto_retries += 1;
        self.total_rt = self.total_rt + self.rtt.rto;
        // Chimney rule 18: "when resends of one segment exceed TcpMaximumRetransmissions ...
        // the OT requests upload ... instead of aborting".
        if self.rto_retries > self.cfg.max_retransmissions {
            self.give_up(out);
            return;
        }
        self.stats.rtos += 1;
        // RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")."
        self.rtt.back_off();
        out.events.push(ConnEvent::RtoFired {
            count: self.rtt.backoff,
        });
        if matches!(self.state, TcpState::SynSent | TcpState::SynReceived) {
            // RFC 6298 §5.4: "Retransmit the earliest segment that has not been acknowledged".
            self.send_syn(now, out);
        } else {
            // Data actually outstanding: below SND.NXT. Above it, after an earlier go-back-N,
            // lies data not resent since that timeout, deemed lost (RFC 5681 eq. (4)).
            let outstanding = self.snd.snd_nxt.wrapping_since(self.snd.snd_una);
            self.cc.on_rto(outstanding, self.snd.snd_max, self.rto_retries == 1);
            // RFC 2018 §8: "After a retransmit timeout the data sender SHOULD turn off all of
            // the SACKed bits, since the timeout might indicate that the data receiver has
            // reneged." Go-back-N then resends from SND.UNA, SACKed or not.
            self.sack.clear();
            // BSD-style go-back-N (spec/chimney.md §8): "SndNxt := SndUna, SndMax kept, which
            // yields the SndNxt < SndMax handover".
            self.snd.snd_nxt = self.snd.snd_una;
            self.resend_cause = SendCause::Rto;
            self.retransmit_on_timeout(now, out);
        }
        // RFC 6298 §5.6: "Start the retransmission timer, such that it expires after RTO
        // seconds (for the value of RTO after the doubling operation outlined in 5.5)."
        self.retransmit_at = Some(now + self.rtt.rto);
    }

    fn on_persist_timeout(&mut self, now: SimTime, out: &mut Output) {
        if self.gave_up || !self.state.is_synchronized() || self.fin_acked {
            return;
        }
        if self.snd.snd_wnd > 0 {
            // RFC 1122 §4.2.3.4 (4): the SWS override timeout: send what the window allows.
            let avail = self.data_end().since(self.snd.snd_nxt).unwrap_or(0);
            let usable = self
                .snd
                .snd_una
                .add(self.snd.snd_wnd.min(self.cc.cwnd))
                .since(self.snd.snd_nxt)
                .unwrap_or(0);
            let len = avail.min(usable).min(self.snd.smss);
            if len > 0 {
                self.send_data(now, self.snd.snd_nxt, len, false, SendCause::NewData, out);
            }
            return;
        }
        let len = self.probe_payload_len();
        if len == 0 {
            return;
        }
        self.probe_count += 1;
        self.probes_unanswered += 1;
        // Chimney rule 18: "Too many probes in one persist round: same [upload request]"; RFC
        // 1122 §4.2.2.17: but never while the receiver keeps acknowledging the probes.
        if self.probes_unanswered > self.cfg.max_retransmissions {
            self.give_up(out);
            return;
        }
        // RFC 1122 §4.2.2.17: "The transmitting host SHOULD send the first zero-window probe
        // when a zero window has existed for the retransmission timeout period, and SHOULD
        // increase exponentially the interval between successive probes."
        self.persist_at = Some(now + self.rtt.persist_interval(self.probe_count));
        self.send_data(now, self.snd.snd_una, len, false, SendCause::WindowProbe, out);
    }

    fn give_up(&mut self, out: &mut Output) {
        self.gave_up = true;
        self.retransmit_at = None;
        self.persist_at = None;
        out.events.push(ConnEvent::GiveUp);
    }

    fn enter_closed(&mut self) {
        self.state = TcpState::Closed;
        self.retransmit_at = None;
        self.persist_at = None;
        self.delayed_ack_at = None;
        self.time_wait_at = None;
        self.ack_now = false;
    }

    fn enter_time_wait(&mut self, now: SimTime) {
        // RFC 793: "enter the TIME-WAIT state, start the time-wait timer, turn off the other
        // timers."
        self.state = TcpState::TimeWait;
        self.retransmit_at = None;
        self.persist_at = None;
        self.time_wait_at = Some(now + self.cfg.time_wait);
    }

    // ----- segment arrival ---------------------------------------------------------------

    /// A segment arrived (RFC 793 §3.9 SEGMENT ARRIVES). Corrupted, malformed and foreign
    /// segments are dropped and counted; nothing panics. Sends what the segment enables.
    /// The segment is handled where it is, and its payload taken (why: a segment is 144 bytes,
    /// and moving it out of the box it arrived in, and down the processing steps, was ~3 % of
    /// a 10,000-connection run).
    pub fn on_segment(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        self.set_ts_clock(now);
        if seg.corrupted {
            self.stats.checksum_failures += 1;
            return;
        }
        if seg.dst_port != self.local_port || seg.src_port != self.remote_port || seg.payload.len() as u64 > MAX_SEGMENT
        {
            self.stats.malformed += 1;
            return;
        }
        match self.state {
            TcpState::Closed => self.process_closed(seg, out),
            TcpState::Listen => self.process_listen(now, seg, out),
            TcpState::SynSent => self.process_syn_sent(now, seg, out),
            TcpState::SynReceived => self.process_syn_received(now, seg, out),
            TcpState::Established => self.process_established(now, seg, out),
            TcpState::FinWait1 => self.process_fin_wait_1(now, seg, out),
            TcpState::FinWait2 => self.process_fin_wait_2(now, seg, out),
            TcpState::CloseWait => self.process_close_wait(now, seg, out),
            TcpState::Closing => self.process_closing(now, seg, out),
            TcpState::LastAck => self.process_last_ack(now, seg, out),
            TcpState::TimeWait => self.process_time_wait(now, seg, out),
        }
        self.transmit(now, out);
    }

    fn process_closed(&mut self, seg: &Segment, out: &mut Output) {
        // RFC 793 CLOSED: "An incoming segment containing a RST is discarded. An incoming
        // segment not containing a RST causes a RST to be sent in response."
        if seg.flags.rst {
            return;
        }
        if seg.flags.ack {
            self.send_rst(seg.ack, None, out);
        } else {
            self.send_rst(SeqNum(0), Some(seg.seq.add(seg.seq_len())), out);
        }
    }

    fn process_listen(&mut self, now: SimTime, seg: &Segment, out: &mut Output) {
        // RFC 793 LISTEN: "An incoming RST should be ignored."
        if seg.flags.rst {
            return;
        }
        // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state.
        // An acceptable reset segment should be formed for any arriving ACK-bearing segment."
        if seg.flags.ack {
            self.send_rst(seg.ack, None, out);
            return;
        }
        if !seg.flags.syn {
            return;
        }
        // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected and a SYN
        // segment sent ... The connection state should be changed to SYN-RECEIVED."
        // An application that paused reading before the SYN arrived stays paused.
        let reading = self.rcv.reading;
        self.rcv = Receiver::new(seg.seq.add(1), 0);
        self.rcv.reading = reading;
        self.negotiate(now, &seg.options);
        self.snd.snd_wnd = u32::from(seg.window);
        self.snd.max_snd_wnd = self.snd.snd_wnd;
        self.snd.snd_wl1 = seg.seq;
        self.state = TcpState::SynReceived;
        // The SYN,ACK goes out from `transmit` (SND.MAX is still ISS).
    }

    fn process_syn_sent(&mut self, now: SimTime, seg: &Segment, out: &mut Output) {
        // RFC 793 SYN-SENT, first: "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset
        // (unless the RST bit is set, if so drop the segment and return)".
        if seg.flags.ack && (seg.ack <= self.iss || seg.ack > self.snd.snd_max) {
            if !seg.flags.rst {
                self.send_rst(seg.ack, None, out);
            }
            return;
        }
        // Second: "If the ACK was acceptable then signal the user "error: connection reset",
        // drop the segment, enter CLOSED state ... Otherwise ... drop the segment and return."
        if seg.flags.rst {
            if seg.flags.ack {
                self.on_reset(out);
            }
            return;
        }
        if !seg.flags.syn {
            return;
        }
        let reading = self.rcv.reading;
        self.rcv = Receiver::new(seg.seq.add(1), 0);
        self.rcv.reading = reading;
        self.negotiate(now, &seg.options);
        if seg.flags.ack {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to
            // ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
            self.snd.snd_una = seg.ack;
            self.rtt.on_ack(seg.ack, now);
            self.retransmit_at = None;
            // RFC 7323 §2.2: the window of a SYN,ACK is not scaled.
            self.set_window(seg, u32::from(seg.window));
            self.establish(out);
            self.ack_now = true;
        } else {
            // "Otherwise enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>
            // <CTL=SYN,ACK> and send it." (simultaneous open)
            self.snd.snd_wnd = u32::from(seg.window);
            self.snd.snd_wl1 = seg.seq;
            self.state = TcpState::SynReceived;
            self.send_syn(now, out);
        }
    }

    fn process_syn_received(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        // A retransmitted SYN means our SYN,ACK was lost: answer it again at once.
        if seg.flags.syn && !seg.flags.ack && seg.seq.add(1) == self.rcv.rcv_nxt {
            self.send_syn(now, out);
            return;
        }
        if !self.check_segment(now, seg, out) {
            return;
        }
        // RFC 793 SYN-RECEIVED, fifth: "If SND.UNA =< SEG.ACK =< SND.NXT then enter ESTABLISHED
        // state and continue processing ... If the segment acknowledgment is not acceptable,
        // form a reset segment, <SEQ=SEG.ACK><CTL=RST>".
        if !(self.snd.snd_una < seg.ack && seg.ack <= self.snd.snd_max) {
            self.send_rst(seg.ack, None, out);
            return;
        }
        self.snd.snd_una = seg.ack;
        self.rtt.on_ack(seg.ack, now);
        self.retransmit_at = None;
        self.set_window(seg, u32::from(seg.window) << self.snd.snd_wscale);
        self.establish(out);
        match self.state {
            TcpState::FinWait1 => self.process_fin_wait_1(now, seg, out),
            _ => self.process_established(now, seg, out),
        }
    }

    fn process_established(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        if !self.check_segment(now, seg, out) || !self.process_ack(now, seg, out) {
            return;
        }
        if self.process_text(now, seg, out) {
            // RFC 793 FIN, ESTABLISHED: "Enter the CLOSE-WAIT state."
            self.state = TcpState::CloseWait;
        }
    }

    fn process_fin_wait_1(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        if !self.check_segment(now, seg, out) || !self.process_ack(now, seg, out) {
            return;
        }
        // RFC 793 ACK, FIN-WAIT-1: "if our FIN is now acknowledged then enter FIN-WAIT-2 and
        // continue processing in that state."
        if self.fin_acked {
            self.state = TcpState::FinWait2;
        }
        if self.process_text(now, seg, out) {
            // RFC 793 FIN, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this segment),
            // then enter TIME-WAIT ... otherwise enter the CLOSING state."
            if self.fin_acked {
                self.enter_time_wait(now);
            } else {
                self.state = TcpState::Closing;
            }
        }
    }

    fn process_fin_wait_2(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        if !self.check_segment(now, seg, out) || !self.process_ack(now, seg, out) {
            return;
        }
        if self.process_text(now, seg, out) {
            // RFC 793 FIN, FIN-WAIT-2: "Enter the TIME-WAIT state. Start the time-wait timer".
            self.enter_time_wait(now);
        }
    }

    fn process_close_wait(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        // RFC 793 text, CLOSE-WAIT: "This should not occur, since a FIN has been received from
        // the remote side. Ignore the segment text." Only the ACK matters.
        if self.check_segment(now, seg, out) {
            self.process_ack(now, seg, out);
        }
    }

    fn process_closing(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        if self.check_segment(now, seg, out) && self.process_ack(now, seg, out) && self.fin_acked {
            // RFC 793 ACK, CLOSING: "if the ACK acknowledges our FIN then enter the TIME-WAIT
            // state, otherwise ignore the segment."
            self.enter_time_wait(now);
        }
    }

    fn process_last_ack(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        if self.check_segment(now, seg, out) && self.process_ack(now, seg, out) && self.fin_acked {
            // RFC 793 ACK, LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter the
            // CLOSED state, and return."
            self.enter_closed();
            out.events.push(ConnEvent::Closed);
        }
    }

    fn process_time_wait(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) {
        // Retransmitted FINs fail the acceptability test and are handled in `check_segment`.
        self.check_segment(now, seg, out);
    }

    /// RFC 793 §3.9 "Otherwise" steps one to four (sequence number, RST, SYN, ACK bit) for the
    /// synchronized states. Returns true if the segment should be processed further.
    fn check_segment(&mut self, now: SimTime, seg: &Segment, out: &mut Output) -> bool {
        let tsval = seg.options.timestamp.filter(|_| self.ts_ok).map(|t| t.0);
        // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving segment, SEG.TSval
        // < TS.Recent, TS.Recent is valid ..., and the RST bit is not set, then treat the
        // arriving segment as not acceptable: Send an acknowledgment in reply as specified in
        // [RFC0793], page 69 and drop the segment."
        if let (Some(v), Some(recent)) = (tsval, self.ts_recent)
            && !seg.flags.rst
            && (v.wrapping_sub(recent) as i32) < 0
        {
            self.stats.paws_rejected += 1;
            self.ack_now = true;
            return false;
        }
        if !self.rcv.acceptable(seg.seq, seg.seq_len()) {
            // "If an incoming segment is not acceptable, an acknowledgment should be sent in
            // reply (unless the RST bit is set, if so drop the segment and return)".
            if !seg.flags.rst {
                self.stats.unacceptable += 1;
                if !seg.is_empty() && seg.seq.add(seg.len()) <= self.rcv.rcv_nxt {
                    self.stats.duplicate_segments += 1;
                }
                if self.state.is_synchronized() {
                    out.discarded
                        .extend(self.rcv.unacceptable_payload(seg.seq, seg.payload.len() as u32));
                }
                self.ack_now = true;
                // RFC 793 FIN, TIME-WAIT: "Remain in the TIME-WAIT state. Restart the 2 MSL
                // time-wait timeout."
                if self.state == TcpState::TimeWait && seg.flags.fin {
                    self.time_wait_at = Some(now + self.cfg.time_wait);
                }
            }
            return false;
        }
        if seg.flags.rst {
            // RFC 5961 §3.2: "If the RST bit is set and the sequence number exactly matches the
            // next expected sequence number (RCV.NXT), then TCP MUST reset the connection";
            // otherwise (in window) "TCP MUST send an acknowledgment (challenge ACK)".
            if seg.seq == self.rcv.rcv_nxt {
                self.on_reset(out);
            } else {
                self.ack_now = true;
            }
            return false;
        }
        if seg.flags.syn {
            // RFC 5961 §4.2: "TCP MUST send an ACK (challenge ACK) to the remote peer".
            self.ack_now = true;
            return false;
        }
        // RFC 7323 §4.3 (3): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent, then
        // SEG.TSval is copied to TS.Recent; otherwise, it is ignored."
        if let Some(v) = tsval
            && self.ts_recent.is_none_or(|r| (v.wrapping_sub(r) as i32) >= 0)
            && seg.seq <= self.last_ack_sent
        {
            self.ts_recent = Some(v);
            self.ts_recent_at = Some(now);
        }
        // "fifth check the ACK field, if the ACK bit is off drop the segment and return"
        seg.flags.ack
    }

    fn on_reset(&mut self, out: &mut Output) {
        if self.state == TcpState::SynReceived && self.passive {
            // RFC 793 SYN-RECEIVED: "If this connection was initiated with a passive OPEN ...
            // then return this connection to LISTEN state".
            let fresh = Self::listen(self.cfg, self.conn, self.local_port, self.remote_port, self.iss);
            let chain = std::mem::take(&mut self.chain);
            *self = TcpConnection {
                chain,
                sender: self.sender,
                stats: self.stats,
                ..fresh
            };
            return;
        }
        self.enter_closed();
        out.events.push(ConnEvent::Reset);
    }

    /// The ACK step for the synchronized states (RFC 793 step five, RFC 5681, RFC 6582,
    /// chimney rule 13). Returns false if the segment must be dropped.
    fn process_ack(&mut self, now: SimTime, seg: &Segment, out: &mut Output) -> bool {
        let ack = seg.ack;
        // Chimney rule 13: "Ack > SndMax: send an ACK, drop the segment." (RFC 793: "If the ACK
        // acks something not yet sent (SEG.ACK > SND.NXT) then send an ACK, drop the segment")
        if ack > self.snd.snd_max {
            self.ack_now = true;
            return false;
        }
        // Chimney rule 13: "Ack < SndUna (stale, e.g. a late forwarded segment): ignore, not a
        // dup ACK". RFC 793: "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored."
        if ack < self.snd.snd_una {
            return true;
        }
        self.probes_unanswered = 0;
        let seg_wnd = u32::from(seg.window) << self.snd.snd_wscale;
        let newly_sacked = if self.snd.sack_permitted {
            self.sack_update(&seg.options)
        } else {
            0
        };
        if ack == self.snd.snd_una {
            // RFC 5681 §2: a DUPLICATE ACKNOWLEDGMENT when "(a) the receiver of the ACK has
            // outstanding data, (b) the incoming acknowledgment carries no data, (c) the SYN and
            // FIN bits are both off, (d) the acknowledgment number is equal to the greatest
            // acknowledgment received on the given connection (TCP.UNA from [RFC793]) and (e) the
            // advertised window in the incoming acknowledgment equals the advertised window in
            // the last incoming acknowledgment."
            // (a) "outstanding data" is data the retransmission timer covers: while the
            // persist timer runs, the only byte outstanding is a zero-window probe, and the
            // ACKs answering it say "window still closed", not "a segment is missing".
            let outstanding = self.snd.snd_max != self.snd.snd_una && self.persist_at.is_none();
            let dup = if self.snd.sack_permitted && !seg.options.sack_blocks.is_empty() {
                // RFC 6675 §2: with SACK, "a segment that arrives carrying a SACK block that
                // identifies previously unacknowledged and un-SACKed octets between HighACK and
                // HighData" (only ACKs that do not move SND.UNA are counted here).
                outstanding && newly_sacked > 0
            } else {
                outstanding && seg.is_empty() && !seg.flags.syn && !seg.flags.fin && seg_wnd == self.snd.snd_wnd
            };
            self.update_window(seg, seg_wnd);
            if dup {
                self.on_dup_ack(now, out);
            }
            return true;
        }
        self.on_new_ack(now, ack, seg.options.timestamp.map(|t| t.1), out);
        self.update_window(seg, seg_wnd);
        true
    }

    fn on_dup_ack(&mut self, now: SimTime, out: &mut Output) {
        let flight = self.snd.snd_max.wrapping_since(self.snd.snd_una);
        match self
            .cc
            .on_dup_ack(self.snd.snd_una, flight, self.snd.snd_max, self.cfg.dupack_threshold)
        {
            DupAckAction::FastRetransmit => self.fast_retransmit(now, out),
            DupAckAction::Inflated => {}
            DupAckAction::None => {
                // RFC 6675 §5 step (4): recovery also starts "if IsLost (HighACK + 1)" before
                // DupThresh duplicate ACKs arrived.
                if self.snd.sack_permitted
                    && !self.cc.in_recovery
                    && self.sack_first_lost()
                    && self.cc.enter_recovery(self.snd.snd_una, flight, self.snd.snd_max)
                {
                    self.fast_retransmit(now, out);
                }
            }
        }
    }

    /// Fast retransmit on entering recovery: the segment at SND.UNA, and with SACK the start
    /// of RFC 6675 loss recovery (the rest is sent by `transmit`, §5 step (C)).
    fn fast_retransmit(&mut self, now: SimTime, out: &mut Output) {
        self.stats.fast_retransmits += 1;
        out.events.push(ConnEvent::FastRetransmit);
        if self.snd.sack_permitted {
            // RFC 6675 §5 (4.2) "ssthresh = cwnd = (FlightSize / 2)"; (4.3) "Retransmit the
            // first data segment presumed dropped -- the segment starting with sequence number
            // HighACK + 1. To prevent repeated retransmission of the same data ..., set both
            // HighRxt and RescueRxt to the highest sequence number in the retransmitted segment."
            self.cc.use_sack_recovery();
            self.sack.in_recovery = true;
            let una = self.chain.front_offset();
            self.retransmit_first(now, SendCause::FastRetransmit, out);
            let resent = self.snd.smss.min(self.snd.snd_max.wrapping_since(self.snd.snd_una));
            self.sack.high_rxt = una + u64::from(resent);
            return;
        }
        // RFC 5681 §3.2 step 2: "The lost segment starting at SND.UNA MUST be retransmitted".
        self.retransmit_first(now, SendCause::FastRetransmit, out);
    }

    /// `snd_una < ack <= snd_max`: new data acknowledged.
    fn on_new_ack(&mut self, now: SimTime, ack: SeqNum, seg_tsecr: Option<u32>, out: &mut Output) {
        let acked = ack.wrapping_since(self.snd.snd_una);
        let data = self.chain.len().min(super::sender::MAX_MAPPED_DATA) as u32;
        if acked > data {
            // Only our FIN occupies sequence space after the data.
            self.fin_acked = true;
        }
        match seg_tsecr.filter(|&e| self.ts_ok && e != 0) {
            // RFC 7323 §4.1: "RTTM ... TSecr ... used to measure the RTT of the segment that
            // caused the ACK", retransmitted or not (the echo says which copy arrived).
            Some(echo) => {
                let ms = self.ts_clock.wrapping_sub(echo);
                let flight = self.snd.snd_max.wrapping_since(self.snd.snd_una);
                // RFC 7323 Appendix G: "ExpectedSamples = ceiling(FlightSize / (SMSS * 2))".
                let expected = flight.div_ceil(2 * self.snd.smss).max(1);
                self.rtt
                    .sample_weighted(SimDuration::from_millis(u64::from(ms)), expected);
            }
            None => self.rtt.on_ack(ack, now),
        }
        let front = self.chain.front_offset();
        self.chain
            .ack_to(front + u64::from(acked.min(data)), &mut out.completed);
        self.tx.trim_below(front + u64::from(acked));
        self.sack.trim_below(self.chain.front_offset());
        self.snd.snd_una = ack;
        // Chimney rule 13: "if ack > SndNxt, set SndNxt = ack (never resend acked bytes)".
        if self.snd.snd_nxt < ack {
            self.snd.snd_nxt = ack;
        }
        self.rto_retries = 0;
        self.total_rt = SimDuration::ZERO;
        let flight = self.snd.snd_max.wrapping_since(ack);
        self.cc
            .set_clock(now.as_nanos(), self.rtt.srtt.map_or(0, |d| d.as_nanos()));
        let action = self.cc.on_new_ack(ack, acked, flight);
        let sack_recovery = self.sack.in_recovery;
        match action {
            // RFC 6675 §5 (B)-(C): a partial ACK updates the scoreboard and pipe; `transmit`
            // sends what NextSeg() chooses.
            AckAction::PartialAck { .. } if sack_recovery => {}
            AckAction::PartialAck { .. } => {
                out.events.push(ConnEvent::PartialAck);
                // RFC 6582 §3.2 step 3: "Retransmit the first unacknowledged segment."
                self.retransmit_first(now, SendCause::PartialAck, out);
            }
            AckAction::RecoveryExit => {
                // RFC 6675 §5 (A): "An incoming cumulative ACK for a sequence number greater
                // than RecoveryPoint signals the end of loss recovery"; the scoreboard above
                // HighACK is kept.
                self.sack.in_recovery = false;
                out.events.push(ConnEvent::RecoveryExit);
            }
            AckAction::None => {}
        }
        if self.snd.snd_una == self.snd.snd_max {
            // RFC 6298 §5.2: "When all outstanding data has been acknowledged, turn off the
            // retransmission timer."
            self.retransmit_at = None;
        } else if (sack_recovery || action != (AckAction::PartialAck { first: false })) && self.persist_at.is_none() {
            // RFC 6298 §5.3: "When an ACK is received that acknowledges new data, restart the
            // retransmission timer so that it will expire after RTO seconds". RFC 6582 §3.2
            // step 3: "For the first partial ACK that arrives during fast recovery, also reset
            // the retransmit timer" (and only the first).
            self.retransmit_at = Some(now + self.rtt.rto);
        }
    }

    /// RFC 793 window update, guarded by SND.WL1/SND.WL2 against old segments.
    fn update_window(&mut self, seg: &Segment, seg_wnd: u32) {
        // RFC 793: "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set
        // SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
        if self.snd.snd_wl1 < seg.seq || (self.snd.snd_wl1 == seg.seq && self.snd.snd_wl2 <= seg.ack) {
            self.set_window(seg, seg_wnd);
        }
    }

    fn set_window(&mut self, seg: &Segment, wnd: u32) {
        self.snd.snd_wnd = wnd;
        self.snd.snd_wl1 = seg.seq;
        self.snd.snd_wl2 = seg.ack;
        self.snd.max_snd_wnd = self.snd.max_snd_wnd.max(wnd);
        if wnd > 0 && self.persist_at.is_some() {
            // The window opened: the persist round ends. A probe byte the receiver did not
            // take is resent at once as part of normal sending.
            self.persist_at = None;
            self.probe_count = 0;
            if self.snd.snd_max != self.snd.snd_una {
                self.snd.snd_nxt = self.snd.snd_una;
                // Issue 11 defect 8: the byte resent here was a window probe.
                self.resend_cause = SendCause::WindowProbe;
            }
        }
    }

    /// The text and FIN steps (RFC 793 steps seven and eight) for the states that still
    /// receive. Returns true if the peer's FIN was reached in order.
    fn process_text(&mut self, now: SimTime, seg: &mut Segment, out: &mut Output) -> bool {
        if seg.payload.is_empty() && !seg.flags.fin {
            return false;
        }
        let outcome = self.rcv.on_data(
            seg.seq,
            std::mem::take(&mut seg.payload),
            seg.flags.fin,
            &mut out.delivered,
        );
        if outcome.duplicate {
            self.stats.duplicate_segments += 1;
        }
        out.discarded.extend(outcome.discarded);
        match (outcome.urgency, self.cfg.delayed_ack) {
            (AckUrgency::Delayed, Some(d)) => {
                // RFC 5681 §4.2: "an ACK SHOULD be generated for at least every second
                // full-sized segment, and MUST be generated within 500 ms of the arrival of the
                // first unacknowledged packet."
                self.unacked_segs += 1;
                if self.unacked_segs >= d.every_segments {
                    self.ack_now = true;
                } else if self.delayed_ack_at.is_none() {
                    self.delayed_ack_at = Some(now + d.timeout);
                }
            }
            _ => self.ack_now = true,
        }
        if outcome.fin {
            out.events.push(ConnEvent::PeerFin);
        }
        outcome.fin
    }

    fn negotiate(&mut self, now: SimTime, opts: &TcpOptions) {
        // RFC 9293 §3.7.1: "If an MSS Option is not received at connection setup, TCP
        // implementations MUST assume a default send MSS of 536".
        let peer_mss = opts.mss.filter(|m| *m > 0).unwrap_or(536);
        self.snd.smss = u32::from(peer_mss.min(self.cfg.mss)).max(1);
        self.cc.smss = self.snd.smss;
        // RFC 7323 §2.2: scaling is enabled only if both sides sent the option; §2.3: "If a
        // Window Scale option is received with a shift.cnt value larger than 14, the TCP SHOULD
        // log the error but MUST use 14 instead of the specified value."
        match (self.cfg.window_scale, opts.window_scale) {
            (Some(ours), Some(theirs)) => {
                self.wscale_ok = true;
                self.rcv_wscale = ours.min(14);
                self.snd.snd_wscale = theirs.min(14);
            }
            _ => {
                self.wscale_ok = false;
                self.rcv_wscale = 0;
                self.snd.snd_wscale = 0;
            }
        }
        // RFC 2018 §2: SACK is used only if both sides sent SACK-permitted.
        self.snd.sack_permitted = self.cfg.sack && opts.sack_permitted;
        // RFC 7323 §3.2: "Once TSopt has been successfully negotiated, that is both <SYN> and
        // <SYN,ACK> contain TSopt, the TSopt MUST be sent in every non-<RST> segment".
        self.ts_ok = self.cfg.timestamps && opts.timestamp.is_some();
        // RFC 7323 §4.3 (3): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent" holds
        // trivially for the SYN: its TSval is the first TS.Recent.
        self.ts_recent = opts.timestamp.filter(|_| self.ts_ok).map(|t| t.0);
        self.ts_recent_at = self.ts_recent.map(|_| now);
    }

    fn establish(&mut self, out: &mut Output) {
        // RFC 5681 §3.1: "If the SYN or SYN/ACK is lost, the initial window used by a sender
        // after a correctly transmitted SYN MUST be one segment".
        let iw = if self.syn_tx > 1 {
            self.snd.smss
        } else {
            self.snd.smss.saturating_mul(self.cfg.initial_window_segments.max(1))
        };
        self.cc = NewReno::new(self.snd.smss, iw, self.iss)
            .with_increase(self.cfg.ca_increase)
            .with_validation(self.cfg.cwnd_validation)
            .with_congestion_control(self.cfg.congestion_control);
        self.state = if self.snd.fin_queued {
            TcpState::FinWait1
        } else {
            TcpState::Established
        };
        self.rto_retries = 0;
        self.total_rt = SimDuration::ZERO;
        out.events.push(ConnEvent::Established);
    }

    /// RFC 7323 §5.4: the timestamp clock, 1 ms per tick ("between 1 ms and 1 second per
    /// tick"), from the simulation clock (so it is exact and the same on any machine).
    /// The owner's clock plus its delta (chimney rule 19: "TSval = NicTime + NicDelta").
    fn set_ts_clock(&mut self, now: SimTime) {
        self.ts_clock = owner_ts_clock(self.sender, now).wrapping_add(self.ts_delta);
    }

    // ----- accessors ---------------------------------------------------------------------

    /// The sender state as a record sample at `now`.
    pub fn sample(&self, now: SimTime) -> CcSample {
        CcSample {
            time: now,
            conn: self.conn,
            sender: self.sender,
            cwnd: self.cc.cwnd,
            ssthresh: self.cc.ssthresh,
            srtt_ns: self.rtt.srtt.map_or(0, |d| d.as_nanos()),
            rto_ns: self.rtt.rto.as_nanos(),
            flight: self.snd.snd_max.wrapping_since(self.snd.snd_una),
            snd_una: self.snd.snd_una,
            snd_nxt: self.snd.snd_nxt,
            snd_max: self.snd.snd_max,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TcpConfig {
        &self.cfg
    }
    /// Connection id.
    pub fn conn_id(&self) -> ConnId {
        self.conn
    }
    /// Who runs this connection (recorded in every segment's provenance).
    pub fn sender(&self) -> Sender {
        self.sender
    }
    /// Sets who runs this connection.
    pub fn set_sender(&mut self, sender: Sender) {
        self.sender = sender;
    }
    /// RFC 793 state.
    pub fn state(&self) -> TcpState {
        self.state
    }
    /// Initial send sequence number.
    pub fn iss(&self) -> SeqNum {
        self.iss
    }
    /// SND.UNA: oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> SeqNum {
        self.snd.snd_una
    }
    /// SND.NXT: next sequence number to send.
    pub fn snd_nxt(&self) -> SeqNum {
        self.snd.snd_nxt
    }
    /// SND.MAX: one past the highest sequence number sent.
    pub fn snd_max(&self) -> SeqNum {
        self.snd.snd_max
    }
    /// SND.WND: the peer's window [bytes, scaled].
    pub fn snd_wnd(&self) -> u32 {
        self.snd.snd_wnd
    }
    /// Largest peer window seen [bytes].
    pub fn max_snd_wnd(&self) -> u32 {
        self.snd.max_snd_wnd
    }
    /// SND.WL1: segment sequence number of the last window update.
    pub fn snd_wl1(&self) -> SeqNum {
        self.snd.snd_wl1
    }
    /// SND.WL2: segment acknowledgment number of the last window update.
    pub fn snd_wl2(&self) -> SeqNum {
        self.snd.snd_wl2
    }
    /// Congestion window [bytes].
    pub fn cwnd(&self) -> u32 {
        self.cc.cwnd
    }
    /// Slow-start threshold [bytes].
    pub fn ssthresh(&self) -> u32 {
        self.cc.ssthresh
    }
    /// NewReno `recover` (RFC 6582).
    pub fn recover(&self) -> SeqNum {
        self.cc.recover
    }
    /// In NewReno fast recovery.
    pub fn in_recovery(&self) -> bool {
        self.cc.in_recovery
    }
    /// Consecutive duplicate ACKs.
    pub fn dup_acks(&self) -> u32 {
        self.cc.dup_acks
    }
    /// RCV.NXT.
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv.rcv_nxt
    }
    /// RCV.WND: the window last advertised, from RCV.NXT [bytes].
    pub fn rcv_wnd(&self) -> u32 {
        self.rcv.rcv_wnd()
    }
    /// Smoothed RTT [ns], `None` before the first sample.
    pub fn srtt(&self) -> Option<SimDuration> {
        self.rtt.srtt
    }
    /// RTT variation [ns].
    pub fn rttvar(&self) -> SimDuration {
        self.rtt.rttvar
    }
    /// Current RTO [ns], backoff included.
    pub fn rto(&self) -> SimDuration {
        self.rtt.rto
    }
    /// Backoff exponent (chimney `Retransmit.Count`).
    pub fn backoff(&self) -> u32 {
        self.rtt.backoff
    }
    /// Time spent resending the current segment (chimney `TotalRT`) [ns].
    pub fn total_rt(&self) -> SimDuration {
        self.total_rt
    }
    /// Window probes in the current persist round.
    pub fn probe_count(&self) -> u32 {
        self.probe_count
    }
    /// Effective sender MSS [bytes].
    pub fn smss(&self) -> u32 {
        self.snd.smss
    }
    /// (peer's window shift, our window shift); both 0 unless negotiated.
    pub fn window_scales(&self) -> (u8, u8) {
        (self.snd.snd_wscale, self.rcv_wscale)
    }
    /// SACK negotiated.
    pub fn sack_permitted(&self) -> bool {
        self.snd.sack_permitted
    }
    /// Bytes delivered in order to the application so far.
    pub fn delivered(&self) -> u64 {
        self.rcv.delivered
    }
    /// The peer's FIN was received.
    pub fn peer_fin(&self) -> bool {
        self.rcv.fin_received
    }
    /// Our FIN is acknowledged.
    pub fn fin_acked(&self) -> bool {
        self.fin_acked
    }
    /// The engine gave up after too many retransmissions (it sends nothing more).
    pub fn gave_up(&self) -> bool {
        self.gave_up
    }
    /// The send chain.
    pub fn chain(&self) -> &SendChain {
        &self.chain
    }
    /// Counters.
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }
    /// Retransmission-count entries held (memory check: proportional to data in flight).
    pub fn tx_count_entries(&self) -> usize {
        self.tx.len()
    }
    /// Out-of-order bytes held by the receiver.
    pub fn ooo_bytes(&self) -> u64 {
        self.rcv.ooo_bytes()
    }
}

/// Largest payload accepted in one segment; larger ones are malformed (no link carries them).
const MAX_SEGMENT: u64 = 1 << 20;
