//! RFC 6298 retransmission-timeout estimation: SRTT, RTTVAR, RTO, exponential backoff and
//! Karn's rule (one timed segment at a time, never a retransmitted one).
//!
//! What it models: the RFC's estimator in integer nanoseconds (alpha = 1/8, beta = 1/4, K = 4),
//! minimum and maximum RTO, backoff by doubling. What it does not model: timestamp-based
//! per-ACK sampling (RFC 7323 §4), Linux's mdev tricks, clearing SRTT after many backoffs
//! (RFC 6298 §5 note, optional), and the RFC 6298 §5.7 rule that raises the RTO to 3 s after a
//! SYN timeout.

use crate::seq::SeqNum;
use sim_core::{SimDuration, SimTime};

/// The RTT estimator of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RttEstimator {
    /// Smoothed RTT [ns]; `None` before the first sample.
    pub srtt: Option<SimDuration>,
    /// RTT variation [ns] (0 before the first sample).
    pub rttvar: SimDuration,
    /// Current RTO [ns], backoff included.
    pub rto: SimDuration,
    /// Backoff exponent: timeouts since the last valid sample (the chimney `Retransmit.Count`).
    pub backoff: u32,
    /// The segment being timed: (sequence number it must be acknowledged beyond, send time).
    pub timing: Option<(SeqNum, SimTime)>,
    min_rto: SimDuration,
    max_rto: SimDuration,
    granularity: SimDuration,
}

impl RttEstimator {
    /// A fresh estimator.
    pub fn new(initial_rto: SimDuration, min_rto: SimDuration, max_rto: SimDuration, granularity: SimDuration) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: SimDuration::ZERO,
            // RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been made for a
            // segment sent between the sender and receiver, the sender SHOULD set RTO <- 1 second"
            rto: initial_rto.min(max_rto),
            backoff: 0,
            timing: None,
            min_rto,
            max_rto,
            granularity,
        }
    }

    /// Starts timing a segment whose acknowledgment must reach `ack_beyond`, unless one is
    /// being timed already.
    pub fn start_timing(&mut self, ack_beyond: SeqNum, now: SimTime) {
        if self.timing.is_none() {
            self.timing = Some((ack_beyond, now));
        }
    }

    /// Karn's rule (RFC 6298 §3): a retransmission invalidates the measurement in progress.
    pub fn cancel_timing(&mut self) {
        self.timing = None;
    }

    /// An ACK up to `ack` arrived: takes a sample if it covers the timed segment.
    pub fn on_ack(&mut self, ack: SeqNum, now: SimTime) {
        if let Some((seq, sent)) = self.timing
            && ack >= seq
        {
            self.timing = None;
            self.sample(now.saturating_since(sent));
        }
    }

    /// Feeds one RTT measurement `r`.
    pub fn sample(&mut self, r: SimDuration) {
        let r = r.as_nanos();
        match self.srtt {
            None => {
                // RFC 6298 §2.2: "SRTT <- R, RTTVAR <- R/2"
                self.srtt = Some(SimDuration(r));
                self.rttvar = SimDuration(r / 2);
            }
            Some(srtt) => {
                let srtt = srtt.as_nanos();
                // RFC 6298 §2.3: "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|" (beta = 1/4),
                // computed before SRTT, as the RFC requires.
                let rttvar = (3 * self.rttvar.as_nanos() + srtt.abs_diff(r)) / 4;
                // RFC 6298 §2.3: "SRTT <- (1 - alpha) * SRTT + alpha * R'" (alpha = 1/8)
                self.rttvar = SimDuration(rttvar);
                self.srtt = Some(SimDuration((7 * srtt + r) / 8));
            }
        }
        // Karn-Partridge: a valid sample ends the backoff (RFC 6298 §5 note after (5.7)).
        self.backoff = 0;
        self.rto = self.base_rto();
    }

    /// Feeds one of about `expected` RTT measurements per round trip (RFC 7323 timestamps):
    /// RFC 7323 Appendix G, "α' = α / ExpectedSamples" and "β' = β / ExpectedSamples", so
    /// that a window of samples moves SRTT and RTTVAR as much as one RFC 6298 sample would.
    pub fn sample_weighted(&mut self, r: SimDuration, expected: u32) {
        let e = u64::from(expected.max(1));
        match self.srtt {
            None => self.sample(r),
            Some(srtt) => {
                let (srtt, r, e) = (u128::from(srtt.as_nanos()), u128::from(r.as_nanos()), u128::from(e));
                // RTTVAR <- (1 - β') RTTVAR + β' |SRTT - R'|, β' = 1/(4e); SRTT likewise, α' = 1/(8e).
                let rttvar = ((4 * e - 1) * u128::from(self.rttvar.as_nanos()) + srtt.abs_diff(r)) / (4 * e);
                self.rttvar = SimDuration(rttvar as u64);
                self.srtt = Some(SimDuration((((8 * e - 1) * srtt + r) / (8 * e)) as u64));
                self.backoff = 0;
                self.rto = self.base_rto();
            }
        }
    }

    /// RTO from SRTT and RTTVAR, bounded, without backoff.
    pub fn base_rto(&self) -> SimDuration {
        let Some(srtt) = self.srtt else {
            return self.rto;
        };
        // RFC 6298 §2.2/2.3: "RTO <- SRTT + max (G, K*RTTVAR)" with K = 4
        let rto = srtt + self.granularity.max(self.rttvar.saturating_mul(4));
        // RFC 6298 §2.4: "Whenever RTO is computed, if it is less than 1 second, then the RTO
        // SHOULD be rounded up to 1 second." (min_rto is configurable)
        // RFC 6298 §2.5: "A maximum value MAY be placed on RTO provided it is at least 60 seconds."
        rto.max(self.min_rto).min(self.max_rto)
    }

    /// A retransmission timeout: backs the timer off.
    pub fn back_off(&mut self) {
        // RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer"). The maximum
        // value discussed in (2.5) above may be used to provide an upper bound"
        self.rto = self.rto.saturating_mul(2).min(self.max_rto);
        self.backoff = self.backoff.saturating_add(1);
        // Karn's rule: the retransmitted segment must not be timed.
        self.timing = None;
    }

    /// The persist interval for probe round `round`: RTO doubled per round, bounded.
    pub fn persist_interval(&self, round: u32) -> SimDuration {
        let base = self.base_rto();
        base.saturating_mul(1u64 << round.min(32)).min(self.max_rto)
    }

    /// Restores a handed-over estimate (srtt `None` means no sample yet).
    pub fn restore(&mut self, srtt: Option<SimDuration>, rttvar: SimDuration, rto: SimDuration, backoff: u32) {
        self.srtt = srtt;
        self.rttvar = rttvar;
        self.rto = rto.min(self.max_rto);
        self.backoff = backoff;
        self.timing = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn est(min_rto_ms: u64) -> RttEstimator {
        RttEstimator::new(
            SimDuration::from_secs(1),
            SimDuration::from_millis(min_rto_ms),
            SimDuration::from_secs(60),
            SimDuration::from_micros(1),
        )
    }

    //= https://www.rfc-editor.org/rfc/rfc7323#appendix-G
    //= type=test
    //# ExpectedSamples = ceiling(FlightSize / (SMSS * 2))
    #[test]
    fn timestamp_samples_are_weighted_by_the_samples_expected_per_window() {
        let (mut one, mut four) = (est(0), est(0));
        for e in [&mut one, &mut four] {
            e.sample(SimDuration(100 * MS));
        }
        let mut classic = one;
        one.sample_weighted(SimDuration(200 * MS), 1);
        classic.sample(SimDuration(200 * MS));
        assert_eq!(
            (one.srtt, one.rttvar),
            (classic.srtt, classic.rttvar),
            "1 expected: RFC 6298"
        );
        // 4 expected: alpha' = 1/32, beta' = 1/16.
        four.sample_weighted(SimDuration(200 * MS), 4);
        assert_eq!(four.srtt, Some(SimDuration(100 * MS + 100 * MS / 32)));
        assert_eq!(four.rttvar, SimDuration((15 * 50 * MS + 100 * MS) / 16));
    }

    //= https://www.rfc-editor.org/rfc/rfc6298#section-2
    //= type=test
    //# (2.2) When the first RTT measurement R is made, the host MUST set SRTT <- R, RTTVAR <- R/2
    #[test]
    fn rto_on_a_known_rtt_sequence() {
        let mut e = est(0);
        assert_eq!(e.rto, SimDuration::from_secs(1), "before any sample");
        e.sample(SimDuration(100 * MS));
        assert_eq!(e.srtt, Some(SimDuration(100 * MS)));
        assert_eq!(e.rttvar, SimDuration(50 * MS));
        assert_eq!(e.rto, SimDuration(300 * MS), "100 + 4*50");
        // R' = 200: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
        e.sample(SimDuration(200 * MS));
        assert_eq!(e.rttvar, SimDuration(62_500_000));
        assert_eq!(e.srtt, Some(SimDuration(112_500_000)));
        assert_eq!(e.rto, SimDuration(112_500_000 + 250 * MS));
        // R' = 112.5 exactly: RTTVAR shrinks by a quarter, SRTT stays.
        e.sample(SimDuration(112_500_000));
        assert_eq!(e.rttvar, SimDuration(46_875_000));
        assert_eq!(e.srtt, Some(SimDuration(112_500_000)));
    }

    #[test]
    fn min_rto_and_granularity_bound_the_rto() {
        let mut e = est(1000);
        e.sample(SimDuration(10 * MS));
        assert_eq!(e.rto, SimDuration::from_secs(1), "RFC 6298 §2.4 floor");
        let mut e = est(0);
        e.sample(SimDuration(10 * MS));
        for _ in 0..40 {
            e.sample(SimDuration(10 * MS));
        }
        assert!(
            e.rto >= SimDuration(10 * MS) + SimDuration::from_micros(1),
            "G bounds K*RTTVAR below"
        );
    }

    #[test]
    fn backoff_doubles_up_to_max_and_a_sample_resets_it() {
        let mut e = est(200);
        e.sample(SimDuration(100 * MS));
        assert_eq!(e.rto, SimDuration(300 * MS));
        e.back_off();
        assert_eq!(e.rto, SimDuration(600 * MS));
        assert_eq!(e.backoff, 1);
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto, SimDuration::from_secs(60), "RFC 6298 §2.5 ceiling");
        assert_eq!(e.backoff, 21);
        e.sample(SimDuration(100 * MS));
        assert_eq!(e.backoff, 0);
        assert!(e.rto < SimDuration::from_secs(1));
    }

    #[test]
    fn karn_a_retransmission_cancels_the_measurement() {
        let mut e = est(200);
        e.start_timing(SeqNum(1000), SimTime(0));
        e.back_off();
        e.on_ack(SeqNum(1000), SimTime(500 * MS));
        assert_eq!(e.srtt, None, "no sample from a retransmitted segment");
        e.start_timing(SeqNum(2000), SimTime(600 * MS));
        e.on_ack(SeqNum(1500), SimTime(650 * MS));
        assert_eq!(e.srtt, None, "ack below the timed segment");
        e.on_ack(SeqNum(2000), SimTime(700 * MS));
        assert_eq!(e.srtt, Some(SimDuration(100 * MS)));
    }
}
