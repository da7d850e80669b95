//! Congestion control and loss recovery: RFC 5681 slow start and congestion avoidance (with
//! byte counting), fast retransmit, and RFC 6582 NewReno fast recovery with partial ACKs.
//!
//! The connection feeds ACK events in and acts on what comes back ([`AckAction`],
//! [`DupAckAction`]): this module decides window sizes and recovery phases, never what goes on
//! the wire. The state kept (`recover`, the recovery flag, the duplicate-ACK count) is exactly
//! what spec/chimney.md §8 describes, so that a handover can rebuild it.
//!
//! Restart after idle (RFC 5681 §4.1, or Linux's halving per idle RTO) is applied by the
//! connection when it resumes sending, through [`NewReno::restart_after_idle`].
//!
//! Limited transmit (RFC 3042) is the sender's: it reads `dup_acks` (see `tcp::sender`).
//!
//! CUBIC (RFC 9438, [`cubic`]) can replace the window growth and the reduction factor; the
//! recovery logic stays this module's.
//!
//! What it does not model: BBR or any other algorithm; the RFC 6582 "ACK heuristic" for
//! entering recovery below `recover`; RFC 7661's congestion-window validation as specified
//! (`validate` is Linux's simpler cwnd-limited test).

pub mod cubic;

use super::tcb::CongestionState;
use crate::seq::SeqNum;
use cubic::Cubic;

/// Which congestion-control algorithm grows the window (the recovery logic is shared).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CongestionControl {
    /// RFC 5681 congestion avoidance with RFC 6582 NewReno recovery.
    #[default]
    NewReno,
    /// RFC 9438 CUBIC window growth and β = 0.7 reduction, same recovery.
    Cubic,
}

/// How congestion avoidance counts acknowledged data towards the next SMSS of cwnd (RFC 5681
/// §3.1). The two differ only when an ACK covers more than one SMSS, as with delayed ACKs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CaIncrease {
    /// Byte counting: "count the number of bytes that have been acknowledged by ACKs for new
    /// data ... When the number of bytes acknowledged reaches cwnd, then cwnd can be incremented
    /// by up to SMSS bytes" (RFC 5681 §3.1, RECOMMENDED; RFC 3465). cwnd grows one SMSS per RTT
    /// whatever the ACK ratio.
    #[default]
    ByteCounting,
    /// Per ACK: RFC 5681 equation (3), `cwnd += SMSS*SMSS/cwnd` on every ACK of new data, kept
    /// exact in integers by counting at most SMSS per ACK. "for a connection in which the
    /// receiver is acknowledging every-other packet, (3) is less aggressive than allowed --
    /// roughly increasing cwnd every second RTT": the classic Reno that the Mathis and Padhye
    /// models describe with b = 2.
    PerAck,
}

/// What happens to cwnd when the sender resumes after an idle period longer than the RTO
/// (nothing outstanding, no data sent for more than one RTO).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RestartAfterIdle {
    /// RFC 5681 §4.1: "TCP SHOULD set cwnd to no more than RW before beginning transmission if
    /// the TCP has not sent data in an interval exceeding the retransmission timeout", with
    /// "RW = min(IW,cwnd)". ssthresh is kept.
    #[default]
    Rfc5681,
    /// Linux's `tcp_cwnd_restart`: ssthresh rises to at least 3/4 of cwnd (its
    /// `tcp_current_ssthresh`), then cwnd halves once per RTO of idle time, never below
    /// min(IW, cwnd).
    Halve,
    /// No restart: the old cwnd is used at once (what RFC 5681 §4.1 warns against: "a
    /// potentially inappropriate burst").
    Off,
}

/// What the connection must do after an ACK of new data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckAction {
    /// Nothing beyond normal sending.
    None,
    /// NewReno partial ACK: retransmit the first unacknowledged segment; `first` means it is
    /// the first partial ACK of this recovery, so the retransmission timer is reset too.
    PartialAck {
        /// The first partial ACK of this recovery episode.
        first: bool,
    },
    /// A full ACK ended fast recovery.
    RecoveryExit,
}

/// What the connection must do after a duplicate ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DupAckAction {
    /// Nothing.
    None,
    /// Fast retransmit: resend the first unacknowledged segment (recovery entered).
    FastRetransmit,
    /// The window was inflated by one SMSS: new data may go out.
    Inflated,
}

/// NewReno congestion state of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NewReno {
    /// Congestion window [bytes].
    pub cwnd: u32,
    /// Slow-start threshold [bytes].
    pub ssthresh: u32,
    /// RFC 6582 `recover`: the highest sequence number sent when recovery (or the last
    /// timeout) began.
    pub recover: SeqNum,
    /// In NewReno fast recovery.
    pub in_recovery: bool,
    /// Consecutive duplicate ACKs.
    pub dup_acks: u32,
    /// Sender MSS [bytes].
    pub smss: u32,
    /// How congestion avoidance counts acknowledged data.
    pub increase: CaIncrease,
    /// Grow cwnd only while the sender is cwnd-limited (see [`NewReno::with_validation`]).
    pub validate: bool,
    /// The current recovery is RFC 6675 SACK-based: cwnd stays at ssthresh (no inflation by
    /// duplicate ACKs, no deflation by partial ACKs; the sender's pipe estimate governs).
    pub sack_recovery: bool,
    /// Bytes acknowledged since cwnd last grew in congestion avoidance (RFC 3465 byte counting).
    bytes_acked: u32,
    /// Partial ACKs seen in the current recovery.
    partial_acks: u32,
    /// CUBIC's window growth and reduction (RFC 9438), when it is the algorithm in use.
    pub cubic: Option<Cubic>,
    /// Time of the ACK being processed [µs] and the smoothed RTT [µs], for CUBIC's
    /// time-based growth (set by the connection through [`NewReno::set_clock`]).
    clock_us: (u64, u64),
}

impl NewReno {
    /// Initial state: `cwnd` = the initial window, `ssthresh` arbitrarily high.
    pub fn new(smss: u32, initial_window: u32, iss: SeqNum) -> Self {
        NewReno {
            cwnd: initial_window,
            // RFC 5681 §3.1: "The initial value of ssthresh SHOULD be set arbitrarily high"
            ssthresh: u32::MAX,
            // RFC 6582 §3.2 step 1: "When the TCP protocol control block is initialized,
            // recover is set to the initial send sequence number."
            recover: iss,
            in_recovery: false,
            dup_acks: 0,
            smss,
            increase: CaIncrease::ByteCounting,
            validate: false,
            sack_recovery: false,
            bytes_acked: 0,
            partial_acks: 0,
            cubic: None,
            clock_us: (0, 0),
        }
    }

    /// The state a handover moves ([`crate::tcp::Tcb::cong`]).
    pub fn state(&self) -> CongestionState {
        CongestionState {
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            recover: self.recover,
            in_recovery: self.in_recovery,
            dup_acks: self.dup_acks,
        }
    }

    /// Takes over a handed-over state (CUBIC's W_max was set from the cwnd given to
    /// [`NewReno::new`], which should be `s.cwnd`).
    pub fn restore(&mut self, s: &CongestionState) {
        self.cwnd = s.cwnd;
        self.ssthresh = s.ssthresh;
        self.dup_acks = s.dup_acks;
        (self.recover, self.in_recovery) = (s.recover, s.in_recovery);
    }

    /// This state growing the window with `algorithm`. CUBIC starts from what is known: W_max
    /// = the current cwnd (see [`Cubic::handed_over`] for the handover policy).
    pub fn with_congestion_control(mut self, algorithm: CongestionControl) -> Self {
        self.cubic = match algorithm {
            CongestionControl::NewReno => None,
            CongestionControl::Cubic => Some(Cubic::handed_over(self.cwnd)),
        };
        self
    }

    /// The time of the ACK about to be processed and the smoothed RTT (for CUBIC, whose
    /// growth depends on the time since the last congestion event; NewReno ignores them).
    pub fn set_clock(&mut self, now_ns: u64, srtt_ns: u64) {
        self.clock_us = (now_ns / 1000, srtt_ns / 1000);
    }

    /// This state with congestion avoidance counting `increase`.
    pub fn with_increase(mut self, increase: CaIncrease) -> Self {
        self.increase = increase;
        self
    }

    /// This state growing cwnd only while the sender uses it (RFC 7661's intent, in the form
    /// Linux uses): in slow start while cwnd < 2 × the flight before the ACK, in congestion
    /// avoidance while that flight is within one SMSS of cwnd. A sender limited by the
    /// receive window or the application then keeps the cwnd it can validate instead of
    /// growing it without bound (RFC 5681 places no such limit; `false` is that behaviour).
    pub fn with_validation(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// RFC 5681 equation (4): `ssthresh = max (FlightSize / 2, 2*SMSS)`.
    fn loss_ssthresh(&self, flight: u32) -> u32 {
        (flight / 2).max(2 * self.smss)
    }

    /// The sender resumes after `idle` without sending data (nothing outstanding) and `idle`
    /// exceeds `rto`: applies `policy` with the initial window `iw`. Returns whether cwnd
    /// changed.
    pub fn restart_after_idle(&mut self, policy: RestartAfterIdle, iw: u32, idle: u64, rto: u64) -> bool {
        let before = (self.cwnd, self.ssthresh);
        // RFC 5681 §4.1: "RW = min(IW,cwnd)".
        let rw = iw.min(self.cwnd);
        match policy {
            RestartAfterIdle::Off => return false,
            RestartAfterIdle::Rfc5681 => self.cwnd = rw,
            RestartAfterIdle::Halve => {
                // Linux tcp_cwnd_restart: "tp->snd_ssthresh = tcp_current_ssthresh(sk); ...
                // while ((delta -= inet_csk(sk)->icsk_rto) > 0 && cwnd > restart_cwnd)
                // cwnd >>= 1;"
                self.ssthresh = self.ssthresh.max((self.cwnd >> 1) + (self.cwnd >> 2));
                let (mut cwnd, mut delta) = (self.cwnd, i128::from(idle));
                loop {
                    delta -= i128::from(rto.max(1));
                    if delta <= 0 || cwnd <= rw {
                        break;
                    }
                    cwnd >>= 1;
                }
                self.cwnd = cwnd.max(rw);
            }
        }
        self.bytes_acked = 0;
        if let Some(c) = self.cubic.as_mut() {
            c.on_idle_restart();
        }
        (self.cwnd, self.ssthresh) != before
    }

    /// An ACK acknowledged `acked` new bytes up to `ack`; `flight` is what remains outstanding
    /// (SND.MAX - ack).
    pub fn on_new_ack(&mut self, ack: SeqNum, acked: u32, flight: u32) -> AckAction {
        if self.in_recovery {
            if ack > self.recover {
                // RFC 6582 §3.2 step 3 (full acknowledgment): "Set cwnd to either (1)
                // min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2) ssthresh"
                self.cwnd = self.ssthresh.min(flight.max(self.smss) + self.smss);
                self.in_recovery = false;
                self.sack_recovery = false;
                self.dup_acks = 0;
                self.bytes_acked = 0;
                return AckAction::RecoveryExit;
            }
            // RFC 6582 §3.2 step 3 (partial acknowledgment): "deflate the congestion window by
            // the amount of new data acknowledged by the Cumulative Acknowledgment field. If the
            // partial ACK acknowledges at least one SMSS of new data, then add back SMSS bytes"
            if !self.sack_recovery {
                self.cwnd = self.cwnd.saturating_sub(acked).max(self.smss);
                if acked >= self.smss {
                    self.cwnd = self.cwnd.saturating_add(self.smss);
                }
            }
            self.partial_acks += 1;
            return AckAction::PartialAck {
                first: self.partial_acks == 1,
            };
        }
        self.dup_acks = 0;
        let used = flight.saturating_add(acked);
        let slow_start = self.cwnd < self.ssthresh;
        let limited = if slow_start {
            self.cwnd < used.saturating_mul(2)
        } else {
            used.saturating_add(self.smss) >= self.cwnd
        };
        if self.validate && !limited {
            // Not cwnd-limited: nothing to learn about the path, so no growth.
        } else if slow_start {
            // RFC 5681 §3.1 equation (2): "cwnd += min (N, SMSS)"
            self.cwnd = self.cwnd.saturating_add(acked.min(self.smss));
        } else if let Some(c) = self.cubic.as_mut() {
            let (now_us, rtt_us) = self.clock_us;
            c.on_ack(&mut self.cwnd, acked, now_us, rtt_us, self.smss);
        } else {
            // RFC 5681 §3.1: "cwnd MUST NOT be increased by more than SMSS bytes" per RTT;
            // byte counting (RFC 3465): add SMSS once a full cwnd of bytes has been acknowledged.
            // Per-ACK counting credits each ACK with at most SMSS, which is equation (3)
            // accumulated: SMSS is added after cwnd/SMSS ACKs.
            let credit = match self.increase {
                CaIncrease::ByteCounting => acked,
                CaIncrease::PerAck => acked.min(self.smss),
            };
            self.bytes_acked = self.bytes_acked.saturating_add(credit);
            if self.bytes_acked >= self.cwnd {
                self.bytes_acked -= self.cwnd;
                self.cwnd = self.cwnd.saturating_add(self.smss);
            }
        }
        // Keep `recover` trailing the cumulative ACK so that it stays within 2^31 of it on
        // long transfers: at most ACK - 2, the highest value with which a loss at SND.UNA = ACK
        // still "covers more than recover" (see `enter_recovery`).
        if ack.sub(2) > self.recover {
            self.recover = ack.sub(2);
        }
        AckAction::None
    }

    /// A duplicate ACK (RFC 5681 §2 definition) for `ack` arrived; `flight` is SND.MAX -
    /// SND.UNA and `snd_max` the highest sequence number sent plus one.
    pub fn on_dup_ack(&mut self, ack: SeqNum, flight: u32, snd_max: SeqNum, threshold: u32) -> DupAckAction {
        self.dup_acks = self.dup_acks.saturating_add(1);
        if self.in_recovery {
            if self.sack_recovery {
                // RFC 6675 §5: in SACK recovery the window is not inflated; `pipe` accounts for
                // the data that left the network.
                return DupAckAction::None;
            }
            // RFC 5681 §3.2 step 4: "For each additional duplicate ACK received (after the
            // third), cwnd MUST be incremented by SMSS."
            self.cwnd = self.cwnd.saturating_add(self.smss);
            return DupAckAction::Inflated;
        }
        if self.dup_acks != threshold {
            return DupAckAction::None;
        }
        if self.enter_recovery(ack, flight, snd_max) {
            DupAckAction::FastRetransmit
        } else {
            DupAckAction::None
        }
    }

    /// Enters fast recovery for a loss at `ack` (SND.UNA) unless it lies within the last
    /// recovery or timeout; returns whether it did. `flight` is SND.MAX - SND.UNA.
    pub fn enter_recovery(&mut self, ack: SeqNum, flight: u32, snd_max: SeqNum) -> bool {
        // RFC 6582 §3.2 step 2: "the TCP sender first checks the value of recover to see if the
        // Cumulative Acknowledgment field covers more than recover. If so, the value of recover
        // is incremented to the value of the highest sequence number transmitted by the TCP so
        // far." If not: "the TCP does not enter fast retransmit and does not reset ssthresh."
        // The Cumulative Acknowledgment field ACK acknowledges the bytes up to ACK - 1, so it
        // "covers more than recover" only when ACK - 1 > recover, i.e. ACK > recover + 1
        // (FreeBSD, with snd_recover = SND.MAX: `SEQ_LEQ(th_ack, snd_recover)` -> no recovery).
        // Duplicate ACKs at exactly recover + 1 are what go-back-N resends of data the receiver
        // already held produce after a timeout or a recovery exit: no new loss. RFC 6675 §5
        // (4) applies the same test to SACK recovery: "the cumulative acknowledgment point is
        // beyond the last value of RecoveryPoint".
        if ack.sub(1) <= self.recover {
            return false;
        }
        self.recover = snd_max.sub(1);
        // RFC 5681 §3.2 step 2: "ssthresh = max (FlightSize / 2, 2*SMSS)"; CUBIC: β = 0.7.
        self.ssthresh = match self.cubic.as_mut() {
            Some(c) => c.on_congestion(self.cwnd, flight, self.smss),
            None => self.loss_ssthresh(flight),
        };
        // RFC 5681 §3.2 step 3: "cwnd MUST be set to ssthresh plus 3*SMSS"
        self.cwnd = self.ssthresh.saturating_add(3 * self.smss);
        self.in_recovery = true;
        self.sack_recovery = false;
        self.partial_acks = 0;
        self.bytes_acked = 0;
        true
    }

    /// Makes the recovery just entered an RFC 6675 one: §5 step (4.2) "ssthresh = cwnd =
    /// (FlightSize / 2)" (ssthresh as RFC 5681 equation (4) bounds it).
    pub fn use_sack_recovery(&mut self) {
        self.cwnd = self.ssthresh;
        self.sack_recovery = true;
    }

    /// A retransmission timeout; `outstanding` is the data actually in flight (SND.NXT -
    /// SND.UNA: after an earlier go-back-N only what was resent since) and `first` is true for
    /// the first timeout of this segment.
    pub fn on_rto(&mut self, outstanding: u32, snd_max: SeqNum, first: bool) {
        // RFC 5681 §3.1: "when a TCP sender detects segment loss using the retransmission timer
        // and the given segment has not yet been resent by way of the retransmission timer, the
        // value of ssthresh MUST be set to no more than the value given in equation (4)".
        // During fast recovery SND.MAX - SND.UNA holds what the inflated window sent on top of
        // the flight the recovery halved: the loss was already answered, so ssthresh may only
        // fall (Linux keeps the ssthresh of the recovery in progress the same way).
        if first {
            let eq4 = match self.cubic.as_mut() {
                Some(c) => c.on_timeout(self.cwnd, outstanding, self.smss),
                None => self.loss_ssthresh(outstanding),
            };
            self.ssthresh = if self.in_recovery { eq4.min(self.ssthresh) } else { eq4 };
        }
        // RFC 5681 §3.1: "Furthermore, upon a timeout (as specified in [RFC2988]) cwnd MUST be
        // set to no more than the loss window, LW, which equals 1 full-sized segment"
        self.cwnd = self.smss;
        // RFC 6582 §3.2 step 6 (retransmit timeouts): "After a retransmit timeout, record the
        // highest sequence number transmitted in the variable recover, and exit the fast
        // recovery procedure if applicable."
        self.recover = snd_max.sub(1);
        self.in_recovery = false;
        self.sack_recovery = false;
        self.dup_acks = 0;
        self.bytes_acked = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    #[test]
    fn slow_start_adds_min_acked_smss_per_ack() {
        let mut cc = NewReno::new(MSS, 10 * MSS, SeqNum(0));
        cc.on_new_ack(SeqNum(3000), 3000, 0);
        assert_eq!(cc.cwnd, 11 * MSS, "one stretch ACK of 3 SMSS adds only SMSS");
        cc.on_new_ack(SeqNum(3500), 500, 0);
        assert_eq!(cc.cwnd, 11 * MSS + 500);
    }

    #[test]
    fn validated_cwnd_grows_only_while_the_sender_uses_it() {
        // Slow start: grows while cwnd < 2 × the flight before the ACK.
        let mut cc = NewReno::new(MSS, 10 * MSS, SeqNum(0)).with_validation(true);
        cc.on_new_ack(SeqNum(1000), 1000, 5 * MSS - 1000);
        assert_eq!(cc.cwnd, 10 * MSS, "5 SMSS in flight of a 10 SMSS window: not limited");
        cc.on_new_ack(SeqNum(2000), 1000, 9 * MSS);
        assert_eq!(cc.cwnd, 11 * MSS, "10 SMSS in flight: limited, grows");
        // Congestion avoidance: grows only while the flight is within one SMSS of cwnd.
        let mut ca = NewReno::new(MSS, 4 * MSS, SeqNum(0)).with_validation(true);
        ca.ssthresh = 2 * MSS;
        for i in 1..=8 {
            ca.on_new_ack(SeqNum(i * 1000), 1000, MSS);
        }
        assert_eq!(
            ca.cwnd,
            4 * MSS,
            "a receive-window-limited flight of 2 SMSS never grows cwnd"
        );
        for i in 9..=12 {
            ca.on_new_ack(SeqNum(i * 1000), 1000, 3 * MSS);
        }
        assert_eq!(
            ca.cwnd,
            5 * MSS,
            "a full window acknowledged while cwnd-limited adds SMSS"
        );
    }

    #[test]
    fn congestion_avoidance_adds_one_smss_per_cwnd_acked() {
        let mut cc = NewReno::new(MSS, 4 * MSS, SeqNum(0));
        cc.ssthresh = 4 * MSS;
        let mut ack = SeqNum(0);
        for _ in 0..3 {
            ack = ack.add(MSS);
            cc.on_new_ack(ack, MSS, 0);
        }
        assert_eq!(cc.cwnd, 4 * MSS);
        ack = ack.add(MSS);
        cc.on_new_ack(ack, MSS, 0);
        assert_eq!(cc.cwnd, 5 * MSS);
    }

    //= https://www.rfc-editor.org/rfc/rfc5681#section-3.1
    //= type=test
    //# (Note that for a connection in which the receiver is acknowledging every-other packet,
    //# (3) is less aggressive than allowed -- roughly increasing cwnd every second RTT.)
    #[test]
    fn delayed_acks_grow_cwnd_per_rtt_with_byte_counting_and_per_two_rtts_per_ack() {
        for (increase, rtts) in [(CaIncrease::ByteCounting, 1), (CaIncrease::PerAck, 2)] {
            let mut cc = NewReno::new(MSS, 10 * MSS, SeqNum(0)).with_increase(increase);
            cc.ssthresh = 10 * MSS;
            let mut ack = SeqNum(0);
            // One RTT = one cwnd of data, acknowledged two segments per ACK.
            for _ in 0..rtts * 5 {
                ack = ack.add(2 * MSS);
                assert_eq!(cc.cwnd, 10 * MSS, "{increase:?}");
                cc.on_new_ack(ack, 2 * MSS, 0);
            }
            assert_eq!(cc.cwnd, 11 * MSS, "{increase:?} after {rtts} RTT(s)");
        }
    }

    #[test]
    fn third_dup_ack_enters_recovery_and_partial_then_full_ack_leave_it() {
        let mut cc = NewReno::new(MSS, 10 * MSS, SeqNum(0));
        let una = SeqNum(1000);
        let max = SeqNum(11_000);
        assert_eq!(cc.on_dup_ack(una, 10 * MSS, max, 3), DupAckAction::None);
        assert_eq!(cc.on_dup_ack(una, 10 * MSS, max, 3), DupAckAction::None);
        assert_eq!(cc.on_dup_ack(una, 10 * MSS, max, 3), DupAckAction::FastRetransmit);
        assert_eq!(cc.ssthresh, 5 * MSS);
        assert_eq!(cc.cwnd, 8 * MSS);
        assert_eq!(cc.recover, SeqNum(10_999));
        assert_eq!(cc.on_dup_ack(una, 10 * MSS, max, 3), DupAckAction::Inflated);
        assert_eq!(cc.cwnd, 9 * MSS);
        // Partial ACK of 2 SMSS: deflate by 2 SMSS, add back one.
        assert_eq!(
            cc.on_new_ack(SeqNum(3000), 2 * MSS, 8 * MSS),
            AckAction::PartialAck { first: true }
        );
        assert_eq!(cc.cwnd, 8 * MSS);
        assert_eq!(
            cc.on_new_ack(SeqNum(4000), MSS, 7 * MSS),
            AckAction::PartialAck { first: false }
        );
        assert_eq!(cc.on_new_ack(SeqNum(11_000), 7 * MSS, 0), AckAction::RecoveryExit);
        assert_eq!(cc.cwnd, 2 * MSS, "min(ssthresh, max(FlightSize, SMSS) + SMSS)");
        assert!(!cc.in_recovery);
    }

    //= https://www.rfc-editor.org/rfc/rfc5681#section-3.1
    //= type=test
    //# the value of ssthresh MUST be set to no more than the value given in equation (4)
    #[test]
    fn a_timeout_during_recovery_never_raises_ssthresh() {
        let mut cc = NewReno::new(MSS, 13 * MSS, SeqNum(0));
        let max = SeqNum(14_000);
        for _ in 0..3 {
            cc.on_dup_ack(SeqNum(1000), 13 * MSS, max, 3);
        }
        assert_eq!(cc.ssthresh, 13 * MSS / 2);
        // The inflated window sent 22 SMSS of new data before the retransmission was lost too.
        for _ in 0..22 {
            cc.on_dup_ack(SeqNum(1000), 13 * MSS, max, 3);
        }
        cc.on_rto(35 * MSS, SeqNum(36_000), true);
        assert_eq!(cc.ssthresh, 13 * MSS / 2, "not 17.5 SMSS from the inflated flight");
        assert_eq!(cc.cwnd, MSS);
    }

    #[test]
    fn dup_acks_below_recover_after_a_timeout_do_not_enter_recovery() {
        let mut cc = NewReno::new(MSS, 10 * MSS, SeqNum(0));
        cc.on_rto(10 * MSS, SeqNum(10_000), true);
        assert_eq!((cc.cwnd, cc.ssthresh, cc.recover), (MSS, 5 * MSS, SeqNum(9_999)));
        for _ in 0..3 {
            assert_eq!(
                cc.on_dup_ack(SeqNum(2000), 8 * MSS, SeqNum(10_000), 3),
                DupAckAction::None
            );
        }
        cc.on_rto(10 * MSS, SeqNum(10_000), false);
        assert_eq!(cc.ssthresh, 5 * MSS, "a second timeout keeps ssthresh");
    }
}
