//! CUBIC window growth (RFC 9438), in integers: the part of congestion control that differs
//! from NewReno. Slow start, fast retransmit and fast recovery (RFC 6582, RFC 6675), the
//! retransmission timeout and restart after idle stay the shared logic of [`super::NewReno`],
//! which calls in here at a congestion event ([`Cubic::on_congestion`]), at a timeout
//! ([`Cubic::on_timeout`]) and on each ACK of new data in congestion avoidance
//! ([`Cubic::on_ack`]).
//!
//! Read first: RFC 9438 §4.1-4.8. Constants: C = 0.4 (segments/s³), β_cubic = 0.7, fast
//! convergence on, α_cubic = 3(1-β)/(1+β) = 9/17 in the Reno-friendly region until W_est
//! reaches cwnd_prior, then 1 (§4.3).
//!
//! Units: windows in bytes (`W_max`, `W_est`, `cwnd_prior`), time in microseconds; the cube and
//! cube root are exact integer operations on `i128`/`u128`, so a run is the same on any machine.
//! Sub-byte growth is carried in milli-byte accumulators.
//!
//! What it does not model: HyStart (RFC 9438 §4.10 leaves slow start to the standard
//! algorithm), spurious-congestion-event undo (§4.9), the application-limited epoch
//! adjustments Linux makes (`cwnd_validation` limits growth instead), and the chimney
//! delegation of CUBIC state: chimney delegates only cwnd and ssthresh, so a handed-over
//! connection starts with W_max = its cwnd and a new epoch at its first ACK in congestion
//! avoidance (see [`Cubic::handed_over`]).

/// β_cubic = 7/10 (RFC 9438 §4.6: "β_cubic SHOULD be set to 0.7").
const BETA_NUM: u64 = 7;
const BETA_DEN: u64 = 10;
/// C = 4/10 segments per s³ (RFC 9438 §5: "C SHOULD be set to 0.4").
const C_NUM: i128 = 4;
const C_DEN: i128 = 10;
/// Microseconds per second, cubed.
const US3: i128 = 1_000_000_000_000_000_000;

/// CUBIC state of one connection (RFC 9438 §4.1.2 variables).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cubic {
    /// W_max: "Size of cwnd just before cwnd was reduced in the last congestion event" [bytes].
    pub w_max: u64,
    /// cwnd_prior: "Size of cwnd at the most recent congestion event" [bytes].
    pub cwnd_prior: u64,
    /// t_epoch: "The time ... when the current congestion avoidance stage started" \[µs\];
    /// `None` until the first ACK in congestion avoidance after a congestion event.
    pub epoch_start_us: Option<u64>,
    /// K: the time the window takes to grow back to W_max \[µs\] (negative when cwnd_epoch >
    /// W_max).
    pub k_us: i64,
    /// W_est, the Reno-friendly estimate [milli-bytes].
    w_est_milli: u64,
    /// Growth carried to the next ACK [milli-bytes].
    acc_milli: u64,
    /// The last congestion event was a timeout: the next epoch starts with K = 0 and W_max =
    /// cwnd_epoch (RFC 9438 §4.8).
    after_timeout: bool,
}

/// Integer cube root of `v` (the largest `r` with r³ <= v).
fn cbrt(v: u128) -> u128 {
    let (mut lo, mut hi) = (0u128, 1u128 << 43);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if mid.checked_pow(3).is_some_and(|c| c <= v) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

impl Cubic {
    /// State for a connection whose window is `cwnd` and about which nothing else is known: a
    /// new connection, or one handed over (chimney delegates no CUBIC state; the documented
    /// policy is W_max = cwnd_prior = cwnd at the handover and a new epoch at the first ACK in
    /// congestion avoidance, i.e. the window grows from the plateau of the cubic curve).
    pub fn handed_over(cwnd: u32) -> Self {
        Cubic {
            w_max: u64::from(cwnd),
            cwnd_prior: u64::from(cwnd),
            ..Cubic::default()
        }
    }

    /// A congestion event (fast retransmit or SACK loss detection) with `cwnd` before the
    /// reduction and `flight` bytes outstanding; returns the new ssthresh.
    pub fn on_congestion(&mut self, cwnd: u32, flight: u32, smss: u32) -> u32 {
        let cwnd = u64::from(cwnd);
        // RFC 9438 §4.7 (fast convergence): "if (cwnd < W_max AND fast_convergence_enabled)
        // { W_max = cwnd * (1 + β_cubic) / 2 } else { W_max = cwnd }".
        self.w_max = if cwnd < self.w_max {
            cwnd * (BETA_DEN + BETA_NUM) / (2 * BETA_DEN)
        } else {
            cwnd
        };
        // RFC 9438 §4.6: "ssthresh = flight_size * β_cubic", "cwnd_prior = cwnd", and
        // "ssthresh = max(ssthresh, 2)" (segments).
        self.cwnd_prior = cwnd;
        self.epoch_start_us = None;
        self.after_timeout = false;
        let ssthresh = u64::from(flight) * BETA_NUM / BETA_DEN;
        ssthresh.max(2 * u64::from(smss)).min(u64::from(u32::MAX)) as u32
    }

    /// A retransmission timeout. RFC 9438 §4.8: "In the case of a timeout, CUBIC follows Reno
    /// to reduce cwnd ... but sets ssthresh using β_cubic"; "During the first congestion
    /// avoidance stage after a timeout, CUBIC increases its congestion window size using
    /// Figure 1, where t is the elapsed time since the beginning of the current congestion
    /// avoidance stage, K is set to 0, and W_max is set to the congestion window size at the
    /// beginning of the current congestion avoidance stage." Returns the new ssthresh.
    pub fn on_timeout(&mut self, cwnd: u32, flight: u32, smss: u32) -> u32 {
        let ssthresh = self.on_congestion(cwnd, flight, smss);
        self.after_timeout = true;
        ssthresh
    }

    /// Sending resumed after an idle period: the elapsed time of the epoch must not count the
    /// idle time, so the epoch restarts at the next ACK (Linux resets `epoch_start` the same
    /// way on a restart after idle).
    pub fn on_idle_restart(&mut self) {
        self.epoch_start_us = None;
    }

    /// W_cubic(t) [bytes] (RFC 9438 §4.2, Figure 1: "W_cubic(t) = C * (t - K)^3 + W_max").
    fn w_cubic(&self, t_us: i64, smss: u32) -> i128 {
        // |t - K| is bounded to 2^33 µs (2.4 h) so that the cube stays far inside i128; the
        // window there is beyond any cwnd target (which is at most 1.5 cwnd) anyway.
        let d = i128::from(t_us.saturating_sub(self.k_us).clamp(-(1 << 33), 1 << 33));
        C_NUM * i128::from(smss) * d * d * d / (C_DEN * US3) + self.w_max as i128
    }

    /// An ACK of `acked` new bytes in congestion avoidance at `now_us`, `rtt_us` being the
    /// smoothed RTT; grows `cwnd`.
    pub fn on_ack(&mut self, cwnd: &mut u32, acked: u32, now_us: u64, rtt_us: u64, smss: u32) {
        let smss64 = u64::from(smss);
        let cur = u64::from(*cwnd).max(1);
        let epoch = match self.epoch_start_us {
            Some(t) => t,
            None => {
                // RFC 9438 §4.2: at the start of a congestion avoidance stage, "K = cubic_root(
                // (W_max - cwnd_epoch) / C)" and W_est starts at cwnd_epoch (§4.3).
                if self.after_timeout {
                    self.w_max = cur;
                    self.after_timeout = false;
                }
                let diff = self.w_max as i128 - cur as i128;
                let cube_us = diff.unsigned_abs() * (C_DEN * US3) as u128 / (C_NUM as u128 * u128::from(smss));
                let k = cbrt(cube_us) as i64;
                self.k_us = if diff >= 0 { k } else { -k };
                self.w_est_milli = cur * 1000;
                self.acc_milli = 0;
                self.epoch_start_us = Some(now_us);
                now_us
            }
        };
        let t_us = now_us.saturating_sub(epoch) as i64;
        // RFC 9438 §4.3: "W_est = W_est + α_cubic * segments_acked / cwnd", α_cubic =
        // 3(1-β)/(1+β) = 9/17 until "W_est >= cwnd_prior", then 1.
        let (a_num, a_den) = if self.w_est_milli >= self.cwnd_prior * 1000 {
            (1, 1)
        } else {
            (9, 17)
        };
        let inc = u128::from(a_num * u64::from(acked)) * u128::from(smss64) * 1000 / u128::from(a_den * cur);
        self.w_est_milli = self.w_est_milli.saturating_add(inc.min(u128::from(u64::MAX)) as u64);
        let w_est = self.w_est_milli / 1000;
        // "If W_cubic(t) < W_est ... cwnd SHOULD be set to W_est" (the Reno-friendly region).
        if self.w_cubic(t_us, smss) < w_est as i128 {
            if w_est > cur {
                *cwnd = w_est.min(u64::from(u32::MAX)) as u32;
            }
            return;
        }
        // RFC 9438 §4.2: "target = cwnd if W_cubic(t + RTT) < cwnd; 1.5 * cwnd if W_cubic(t +
        // RTT) > 1.5 * cwnd; W_cubic(t + RTT) otherwise", and "cwnd SHOULD be incremented by
        // (target - cwnd) / cwnd" per SMSS acknowledged.
        let future = self.w_cubic(t_us.saturating_add(rtt_us as i64), smss);
        let target = future.clamp(cur as i128, (cur + cur / 2) as i128) as u64;
        let inc = u128::from(target - cur) * u128::from(acked) * 1000 / u128::from(cur);
        self.acc_milli = self.acc_milli.saturating_add(inc.min(u128::from(u64::MAX)) as u64);
        let grow = self.acc_milli / 1000;
        self.acc_milli %= 1000;
        *cwnd = (cur + grow).min(u64::from(u32::MAX)) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    #[test]
    fn integer_cube_root_is_exact() {
        for r in [0u128, 1, 2, 10, 12_345, 1 << 40] {
            assert_eq!(cbrt(r * r * r), r);
            if r > 1 {
                assert_eq!(cbrt(r * r * r - 1), r - 1);
            }
        }
    }

    //= https://www.rfc-editor.org/rfc/rfc9438#section-4.2
    //= type=test
    //# K = cubic_root((W_max - cwnd_epoch) / C)
    #[test]
    fn the_window_returns_to_w_max_after_k_seconds() {
        let mut c = Cubic::handed_over(100 * MSS);
        let ssthresh = c.on_congestion(100 * MSS, 100 * MSS, MSS);
        assert_eq!(ssthresh, 70 * MSS, "β = 0.7");
        let mut cwnd = ssthresh;
        // K = cbrt(30 / 0.4) = cbrt(75) = 4.217 s.
        c.on_ack(&mut cwnd, MSS, 0, 0, MSS);
        assert_eq!(c.k_us / 1000, 4217);
        assert_eq!(c.w_cubic(c.k_us, MSS), i128::from(100 * MSS));
        // Fast convergence: a second event below W_max remembers less than cwnd.
        c.on_congestion(90 * MSS, 90 * MSS, MSS);
        assert_eq!(c.w_max, u64::from(90 * MSS) * 17 / 20);
    }

    #[test]
    fn huge_windows_and_long_epochs_do_not_overflow() {
        let mut c = Cubic::handed_over(u32::MAX / 2);
        let mut cwnd = c.on_congestion(u32::MAX / 2, u32::MAX / 2, 65_535);
        c.on_ack(&mut cwnd, 1 << 30, 0, 0, 65_535);
        // Days later, with stretch ACKs of a gigabyte: clamped, no panic.
        c.on_ack(&mut cwnd, 1 << 30, 10_000_000_000_000, 1_000_000, 65_535);
        assert!(cwnd >= u32::MAX / 2 / 10 * 7);
    }

    //= https://www.rfc-editor.org/rfc/rfc9438#section-4.3
    //= type=test
    //# If W_cubic(t) is less than W_est, then CUBIC is in the Reno-friendly region
    #[test]
    fn a_small_window_grows_like_reno_with_alpha_9_17() {
        let mut c = Cubic::handed_over(10 * MSS);
        let mut cwnd = c.on_congestion(10 * MSS, 10 * MSS, MSS);
        assert_eq!(cwnd, 7 * MSS);
        // One RTT (100 ms) of ACKs, one per segment: W_cubic barely moves, W_est gains 9/17 SMSS.
        let mut now = 0;
        for _ in 0..7 {
            now += 100_000 / 7;
            c.on_ack(&mut cwnd, MSS, now, 100_000, MSS);
        }
        assert!(cwnd > 7 * MSS + 500 && cwnd < 7 * MSS + 560, "{cwnd}");
    }
}
