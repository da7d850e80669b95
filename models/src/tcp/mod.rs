//! The sans-IO TCP engine: one [`TcpConnection`] per endpoint, driven by segments, timers and
//! application calls, with no clock, RNG or I/O of its own (smoltcp-style).
//!
//! Read first: RFC 793 §3.9 (event processing), RFC 5681 (congestion control), RFC 6298 (RTO),
//! RFC 6582 (NewReno), spec/chimney.md §1-2 and §8. The same engine runs on the host stack and
//! on the offload target: [`TcpConnection::tcb`] and [`TcpConnection::from_tcb`] move a
//! connection between them as one [`Tcb`] (RFC 793 §3.2 "Transmission Control Block", [`tcb`])
//! together with its [`SendChain`](crate::chain::SendChain).
//!
//! Layout: [`conn`] holds the connection and one `process_<state>` fn per RFC 793 state;
//! [`tcb`] is the transmission control block a handover moves, and what stays behind;
//! [`rtt`] is RFC 6298; [`cc`] is RFC 5681/6582 congestion control and loss recovery, with
//! RFC 9438 CUBIC window growth in [`cc::cubic`];
//! [`receiver`] is reassembly, the receive window, delayed ACKs and RFC 2018 SACK blocks;
//! [`sender`] builds segments and keeps per-byte transmission counts; [`sack`] is the RFC 6675
//! scoreboard and SACK-based loss recovery; [`theory`] holds the Mathis and Padhye throughput
//! models the engine is checked against.
//!
//! What it models: the three-way handshake with MSS, window-scale, SACK-permitted and
//! timestamp options; data transfer with sliding windows, window scaling, zero-window probing,
//! sender and receiver SWS avoidance; slow start, congestion avoidance (byte counting or per
//! ACK; NewReno or CUBIC growth), fast retransmit, NewReno fast recovery, or RFC 6675 SACK loss
//! recovery when SACK is negotiated; limited transmit (RFC 3042, when configured); restart after
//! idle (RFC 5681 §4.1, or Linux's halving); RFC 6298 RTO with Karn's rule and BSD-style
//! go-back-N after a timeout; delayed ACKs; orderly close through TIME_WAIT; RST (with RFC 5961
//! challenge ACKs for in-window RSTs and SYNs); give-up after too many retransmissions (chimney
//! rule 18).
//!
//! Timestamps (RFC 7323, when configured): TSval/TSecr on every segment with a 1 ms timestamp
//! clock, RTTM with the Appendix G weighting, PAWS. Carried at a handover (chimney rule 19):
//! the TCB holds TS.Recent, its age and TsTime (the TSval the old owner would send now),
//! and the new owner sends `TSval = its clock + (TsTime - its clock at the handover)`; the
//! offload target's clock lags the host's by [`NIC_TS_CLOCK_LAG_MS`]. Not modelled: RFC 7323
//! §5.5's invalidation of a TS.Recent older than 24 days.
//!
//! What it does not model (a test could tell): Nagle (every write is sent as soon as windows
//! allow, like TCP_NODELAY), urgent data, keep-alive, the FIN_WAIT_2 timer, ECN, path-MTU
//! changes, and a listener serving more than one peer (a passive connection waits for one SYN).
//! SACK: no D-SACK (RFC 2883), no rescue retransmission (RFC 6675 NextSeg rule 4); the
//! scoreboard is not handed over, so a recovery in progress at a handover finishes as NewReno.

pub mod cc;
pub mod conn;
pub mod receiver;
pub mod rtt;
pub mod sack;
pub mod sender;
pub mod tcb;
#[cfg(test)]
mod tests;
pub mod theory;

pub use cc::{CaIncrease, CongestionControl, RestartAfterIdle};
pub use conn::{HandoverError, NIC_TS_CLOCK_LAG_MS, TcpConnection};
pub use sender::TxCounts;
pub use tcb::{CongestionState, ReceiveSequence, RetransmitState, SendSequence, Tcb, TimestampState};

use crate::segment::{BufId, Segment};
use bytes::Bytes;
use sim_core::SimDuration;

/// Connection states, named as RFC 793 §3.2 names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TcpState {
    /// No connection.
    Closed,
    /// Waiting for a SYN (passive open).
    Listen,
    /// SYN sent, waiting for the peer's SYN.
    SynSent,
    /// SYN received and answered, waiting for the ACK of our SYN.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// We closed; our FIN is not yet acknowledged.
    FinWait1,
    /// We closed and our FIN is acknowledged; waiting for the peer's FIN.
    FinWait2,
    /// The peer closed; we may still send.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both FINs acknowledged; waiting 2*MSL before the connection is forgotten.
    TimeWait,
}

impl TcpState {
    /// True in the states where both sides have exchanged SYNs (RFC 793 "synchronized").
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            TcpState::Closed | TcpState::Listen | TcpState::SynSent | TcpState::SynReceived
        )
    }

    /// True where our side may still send data (our FIN is not queued yet).
    pub fn may_send_data(self) -> bool {
        matches!(self, TcpState::Established | TcpState::CloseWait)
    }

    /// True where the peer may still send data (its FIN has not been received).
    pub fn may_receive_data(self) -> bool {
        matches!(self, TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2)
    }
}

/// Delayed-ACK policy (RFC 1122 §4.2.3.2, RFC 5681 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DelayedAck {
    /// Longest an ACK for in-order data may be held (RFC 5681: "MUST be generated within 500 ms").
    pub timeout: SimDuration,
    /// ACK at once when this many segments are unacknowledged (RFC 5681: at least every
    /// second full-sized segment).
    pub every_segments: u32,
}

impl Default for DelayedAck {
    fn default() -> Self {
        DelayedAck {
            timeout: SimDuration::from_millis(200),
            every_segments: 2,
        }
    }
}

/// Per-connection TCP parameters. The initial sequence number is not here: it is given to the
/// constructor by the caller, which draws it from its own random stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcpConfig {
    /// Largest segment payload we accept and send [bytes] (our MSS option; the effective
    /// sender MSS is the minimum of this and the peer's option).
    pub mss: u16,
    /// Initial congestion window [segments] (RFC 6928 allows 10).
    pub initial_window_segments: u32,
    /// Receive buffer [bytes]: the most we advertise.
    pub rcv_buffer: u32,
    /// Window-scale shift we offer (RFC 7323); used only if the peer offers one too.
    pub window_scale: Option<u8>,
    /// Offer SACK-permitted and, if negotiated, report SACK blocks as a receiver (RFC 2018) and
    /// recover from losses with the RFC 6675 scoreboard as a sender.
    pub sack: bool,
    /// Delayed ACKs; `None` acknowledges every segment at once.
    pub delayed_ack: Option<DelayedAck>,
    /// Lower bound of the RTO (RFC 6298 §2.4: 1 s; Linux uses 200 ms).
    pub min_rto: SimDuration,
    /// Upper bound of the RTO (RFC 6298 §2.5: at least 60 s).
    pub max_rto: SimDuration,
    /// RTO before the first RTT sample (RFC 6298 §2.1: 1 s).
    pub initial_rto: SimDuration,
    /// Clock granularity G of RFC 6298 §2 (the simulator's clock is exact, so it is tiny).
    pub clock_granularity: SimDuration,
    /// Duplicate ACKs that trigger fast retransmit (RFC 5681 §3.2: 3).
    pub dupack_threshold: u32,
    /// How congestion avoidance counts acknowledged data (RFC 5681 §3.1): byte counting (the
    /// default, RECOMMENDED) or per ACK (equation (3), the Reno of the throughput models).
    pub ca_increase: CaIncrease,
    /// Grow cwnd only while the sender is cwnd-limited (default true, as Linux does; RFC 7661).
    /// `false`: RFC 5681 growth on every ACK of new data, even when the receive window or the
    /// application limits the flight, so cwnd can grow far beyond what was ever sent.
    pub cwnd_validation: bool,
    /// Offer the RFC 7323 Timestamps option and, if negotiated, send TSval/TSecr on every
    /// segment, take an RTT sample from the TSecr of every ACK of new data (RTTM, also for
    /// retransmitted segments) and drop old duplicates by PAWS. Default false.
    pub timestamps: bool,
    /// The window-growth algorithm: NewReno (RFC 5681, the default) or CUBIC (RFC 9438); the
    /// loss recovery (RFC 6582 / RFC 6675) is the same for both.
    pub congestion_control: CongestionControl,
    /// RFC 3042 limited transmit: on the first and second duplicate ACKs, send one new
    /// segment each if the peer's window allows, keeping the flight within cwnd + 2*SMSS
    /// (cwnd unchanged). Default false.
    pub limited_transmit: bool,
    /// What cwnd does when sending resumes after more than one RTO without sending data:
    /// RFC 5681 §4.1 restart at min(IW, cwnd) (the default), Linux's halving per idle RTO, or
    /// nothing.
    pub restart_after_idle: RestartAfterIdle,
    /// Retransmission timeouts of one segment (or unanswered window probes) after which the
    /// engine stops and emits [`ConnEvent::GiveUp`] (chimney rule 18, TcpMaximumRetransmissions).
    pub max_retransmissions: u32,
    /// TIME_WAIT duration, 2*MSL. RFC 793 suggests MSL = 2 min; offsim uses MSL = 500 ms by
    /// default so that runs end quickly (no test depends on old duplicates dying out).
    pub time_wait: SimDuration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            initial_window_segments: 10,
            rcv_buffer: 256 * 1024,
            // Enough for the default 256 KiB buffer (and up to 8 MiB), as Linux chooses.
            window_scale: Some(7),
            sack: false,
            delayed_ack: Some(DelayedAck::default()),
            min_rto: SimDuration::from_secs(1),
            max_rto: SimDuration::from_secs(60),
            initial_rto: SimDuration::from_secs(1),
            clock_granularity: SimDuration::from_micros(1),
            dupack_threshold: 3,
            ca_increase: CaIncrease::ByteCounting,
            cwnd_validation: true,
            restart_after_idle: RestartAfterIdle::Rfc5681,
            limited_transmit: false,
            timestamps: false,
            congestion_control: CongestionControl::NewReno,
            max_retransmissions: 15,
            time_wait: SimDuration::from_secs(1),
        }
    }
}

/// The connection's timers (one handler each in [`TcpConnection::on_timer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// Retransmission timer (RFC 6298), also for SYN and FIN.
    Retransmit,
    /// Persist timer: zero-window probes and the sender SWS override (RFC 1122 §4.2.2.17).
    Persist,
    /// Delayed-ACK timer (RFC 1122 §4.2.3.2).
    DelayedAck,
    /// TIME_WAIT expiry (RFC 793: 2*MSL).
    TimeWait,
}

impl TimerKind {
    /// Every timer kind, in a fixed order.
    pub const ALL: [TimerKind; 4] = [
        TimerKind::Retransmit,
        TimerKind::Persist,
        TimerKind::DelayedAck,
        TimerKind::TimeWait,
    ];
}

/// Something the application or the wrapping actor should know about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnEvent {
    /// The handshake completed.
    Established,
    /// The peer's FIN arrived in order: no more data will be delivered.
    PeerFin,
    /// The connection reached CLOSED normally (after TIME_WAIT or LAST_ACK).
    Closed,
    /// An acceptable RST arrived; the connection is CLOSED and pending sends are aborted.
    Reset,
    /// The retransmission timer fired; `count` is the backoff exponent now in use.
    RtoFired {
        /// Consecutive timeouts so far (the chimney `Retransmit.Count`).
        count: u32,
    },
    /// Fast retransmit on the duplicate-ACK threshold (RFC 5681 §3.2).
    FastRetransmit,
    /// A NewReno partial ACK was answered with a retransmission (RFC 6582 §3.2 step 5).
    PartialAck,
    /// Fast recovery ended with a full ACK (RFC 6582 §3.2 step 3).
    RecoveryExit,
    /// Too many retransmissions: the engine stopped sending (chimney rule 18: the offload
    /// target turns this into an upload request; the host stack resets the connection).
    GiveUp,
}

/// What one call into the engine produced. Reuse one across calls and [`Output::clear`] it.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Segments to put on the wire, in order.
    pub segments: Vec<Segment>,
    /// In-order received data for the application: (stream offset, bytes).
    pub delivered: Vec<(u64, Bytes)>,
    /// Send buffers completed (all bytes sent and cumulatively acknowledged), FIFO.
    pub completed: Vec<BufId>,
    /// Events, in the order they happened.
    pub events: Vec<ConnEvent>,
    /// Received payload the receiver did not keep (beyond the window, e.g. a zero-window
    /// probe): receive stream offsets `[from, to)`.
    pub discarded: Vec<(u64, u64)>,
}

impl Output {
    /// Empties every list.
    pub fn clear(&mut self) {
        self.segments.clear();
        self.delivered.clear();
        self.completed.clear();
        self.events.clear();
        self.discarded.clear();
    }
}

/// Counters of things the engine dropped or did, for reports and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpStats {
    /// Segments discarded as checksum failures (`Segment::corrupted`).
    pub checksum_failures: u64,
    /// Segments discarded as malformed or for another connection.
    pub malformed: u64,
    /// Segments outside the receive window (answered with an ACK and dropped).
    pub unacceptable: u64,
    /// Segments sent.
    pub segments_sent: u64,
    /// Segments sent that carried at least one octet sent before (chimney rule 12).
    pub retransmitted_segments: u64,
    /// Retransmission timeouts.
    pub rtos: u64,
    /// Fast retransmits.
    pub fast_retransmits: u64,
    /// Duplicate segments received (all payload below `rcv_nxt`).
    pub duplicate_segments: u64,
    /// Segments dropped by PAWS (RFC 7323 §5: a TSval older than TS.Recent).
    pub paws_rejected: u64,
}
