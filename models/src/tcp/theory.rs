//! Closed-form models of Reno-style TCP throughput under random loss, for checking the engine
//! against theory (models/tests/it/theory.rs).
//!
//! Read first: M. Mathis, J. Semke, J. Mahdavi, T. Ott, "The Macroscopic Behavior of the TCP
//! Congestion Avoidance Algorithm", CCR 27(3), 1997 (the "Mathis model"); J. Padhye, V. Firoiu,
//! D. Towsley, J. Kurose, "Modeling TCP Throughput: A Simple Model and its Empirical
//! Validation", SIGCOMM 1998 (the "PFTK" or "Padhye model").
//!
//! Fidelity contract: these are the published formulas, evaluated in `f64`; nothing here runs
//! in a simulation or touches its state (the engine stays integer-only). Both models count
//! throughput in *segments* sent per round trip and assume every segment carries `mss` bytes, so
//! the results are the rate of segments leaving the sender (retransmissions included) times
//! `mss`; for small `p` that is close to goodput. `p` is the probability that a segment is lost
//! (Bernoulli loss of data segments, ACK path clean), `b` the number of segments one ACK
//! acknowledges (2 with delayed ACKs), `rtt` the round-trip time and `t0` the first
//! retransmission timeout. Neither model knows the link rate: the caller caps by capacity.
//!
//! What the models leave out, and a test can tell: Mathis ignores timeouts and the receive
//! window (it over-predicts at high loss); PFTK models Reno, whose fast recovery handles one
//! loss per window, not NewReno's partial ACKs (NewReno times out less, so it beats PFTK at
//! moderate loss), and assumes the window sawtooth never fills a queue (the RTT is constant).

/// Model inputs, in SI units (bytes, seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathModel {
    /// Segment payload [bytes].
    pub mss: f64,
    /// Round-trip time \[s\].
    pub rtt: f64,
    /// Retransmission timeout T0 \[s\] (PFTK only).
    pub rto: f64,
    /// Segments acknowledged per ACK (2 with delayed ACKs).
    pub b: f64,
    /// Largest window the receiver allows, Wmax [segments] (PFTK only).
    pub wmax: f64,
}

impl PathModel {
    /// Mathis et al. (1997), equation (3) with the delayed-ACK factor:
    ///
    /// `BW = (MSS / RTT) · sqrt(3 / (2·b·p))` [bytes/s]
    ///
    /// (`C = sqrt(3/2)` for b = 1, `sqrt(3/4)` for b = 2). Infinite for `p = 0`.
    pub fn mathis(&self, p: f64) -> f64 {
        self.mss / self.rtt * libm::sqrt(3.0 / (2.0 * self.b * p))
    }

    /// RFC 9438 §5.1, CUBIC's average window under random loss, as a throughput [bytes/s]:
    /// the larger of the cubic-region window and the Reno-friendly one,
    ///
    /// ```text
    /// AVG_W_cubic = (C·(3+β) / (4·(1-β)))^(1/4) · RTT^(3/4) / p^(3/4)
    /// AVG_W_est   = sqrt(α·(1+β) / (2·(1-β)·p)) = sqrt(3 / (2p))     with α = 3(1-β)/(1+β)
    /// ```
    ///
    /// with C = 0.4, β = 0.7 ("CUBIC ... uses the Reno-friendly window when it is larger"), times
    /// MSS / RTT. Like Mathis, it ignores timeouts and the receive window; `b` is not used
    /// (W_est grows per segment acknowledged, the cubic region per unit of time).
    pub fn cubic(&self, p: f64) -> f64 {
        let (c, beta) = (0.4, 0.7);
        let w_cubic =
            libm::pow(c * (3.0 + beta) / (4.0 * (1.0 - beta)), 0.25) * libm::pow(self.rtt, 0.75) / libm::pow(p, 0.75);
        let w_est = libm::sqrt(3.0 / (2.0 * p));
        w_cubic.max(w_est) * self.mss / self.rtt
    }

    /// Padhye et al. (1998), the full model, equation (32), in bytes/s (the paper's segments/s
    /// times MSS). With `q = 1 - p`:
    ///
    /// ```text
    /// E[W]   = (2+b)/(3b) + sqrt( 8(1-p)/(3bp) + ((2+b)/(3b))² )      unconstrained mean window
    /// Q̂(w)   = min(1, (1-q³)(1 + q³(1-q^(w-3))) / (1-q^w))            P(a loss ends in a timeout)
    /// f(p)   = 1 + p + 2p² + 4p³ + 8p⁴ + 16p⁵ + 32p⁶                   backoff series
    ///
    ///          (1-p)/p + E[W] + Q̂(E[W])/(1-p)
    /// B(p) = ------------------------------------------------            if E[W] < Wmax
    ///        RTT·(b/2·E[W] + 1) + Q̂(E[W])·T0·f(p)/(1-p)
    ///
    ///          (1-p)/p + Wmax + Q̂(Wmax)/(1-p)
    /// B(p) = ----------------------------------------------------------  otherwise
    ///        RTT·(b/8·Wmax + (1-p)/(p·Wmax) + 2) + Q̂(Wmax)·T0·f(p)/(1-p)
    /// ```
    ///
    /// Wmax is the receive window in segments. Tends to `Wmax / RTT` as `p → 0`.
    pub fn padhye(&self, p: f64) -> f64 {
        let b = self.b;
        let c = (2.0 + b) / (3.0 * b);
        let ew = c + libm::sqrt(8.0 * (1.0 - p) / (3.0 * b * p) + c * c);
        let timeouts = |w: f64| self.rto * timeout_probability(p, w) * backoff_series(p) / (1.0 - p);
        let segments_per_s = if ew < self.wmax {
            let sent = (1.0 - p) / p + ew + timeout_probability(p, ew) / (1.0 - p);
            sent / (self.rtt * (b / 2.0 * ew + 1.0) + timeouts(ew))
        } else {
            let w = self.wmax;
            let sent = (1.0 - p) / p + w + timeout_probability(p, w) / (1.0 - p);
            sent / (self.rtt * (b / 8.0 * w + (1.0 - p) / (p * w) + 2.0) + timeouts(w))
        };
        self.mss * segments_per_s
    }

    /// Padhye et al. (1998), the approximate model, equation (33) (the TFRC equation of RFC
    /// 5348 §3.1 is this with Wmax = ∞):
    ///
    /// `B(p) ≈ MSS · min( Wmax/RTT, 1 / (RTT·sqrt(2bp/3) + T0·min(1, 3·sqrt(3bp/8))·p·(1+32p²)) )`
    pub fn padhye_approx(&self, p: f64) -> f64 {
        let b = self.b;
        let td = self.rtt * libm::sqrt(2.0 * b * p / 3.0);
        let to = self.rto * (3.0 * libm::sqrt(3.0 * b * p / 8.0)).min(1.0) * p * (1.0 + 32.0 * p * p);
        self.mss * (self.wmax / self.rtt).min(1.0 / (td + to))
    }
}

/// PFTK Q̂(w): the probability that a loss in a window of `w` segments is detected by a timeout
/// rather than by three duplicate ACKs (equation (24) of the paper, simplified as in (25)).
pub fn timeout_probability(p: f64, w: f64) -> f64 {
    let q = 1.0 - p;
    let q3 = q * q * q;
    let v = (1.0 - q3) * (1.0 + q3 * (1.0 - libm::pow(q, w - 3.0))) / (1.0 - libm::pow(q, w));
    v.min(1.0)
}

/// PFTK f(p) = 1 + p + 2p² + 4p³ + 8p⁴ + 16p⁵ + 32p⁶: the expected duration of a timeout
/// sequence in units of T0, with exponential backoff capped at 64·T0.
pub fn backoff_series(p: f64) -> f64 {
    1.0 + p * (1.0 + p * (2.0 + p * (4.0 + p * (8.0 + p * (16.0 + p * 32.0)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-6 * want.abs()
    }

    fn path(mss: f64, rtt: f64, rto: f64, b: f64, wmax: f64) -> PathModel {
        PathModel { mss, rtt, rto, b, wmax }
    }

    #[test]
    fn mathis_exact_values() {
        // b = 2, p = 0.0075: sqrt(3 / 0.03) = 10 segments per RTT.
        let m = path(1000.0, 0.1, 1.0, 2.0, f64::INFINITY);
        assert!(close(m.mathis(0.0075), 100_000.0), "{}", m.mathis(0.0075));
        // b = 1, p = 0.015: sqrt(3 / 0.03) = 10 again.
        let m = path(1000.0, 0.1, 1.0, 1.0, f64::INFINITY);
        assert!(close(m.mathis(0.015), 100_000.0));
        // Halving p multiplies the rate by sqrt(2).
        assert!(close(m.mathis(0.0075), 100_000.0 * std::f64::consts::SQRT_2));
    }

    // Reference values from an independent transcription of PFTK equations (32) and (33)
    // (Python, double precision).
    #[test]
    fn padhye_full_model_known_values() {
        let cases = [
            // (mss, rtt, t0, p, b, wmax) -> (mathis, full, approx)
            (
                (1460.0, 0.1, 1.0, 0.01, 2.0, 1e9),
                (126_439.708953, 101_505.716267, 103_155.458794),
            ),
            (
                (1460.0, 0.1, 1.0, 0.01, 1.0, 1e9),
                (178_812.751223, 144_290.516031, 145_883.848859),
            ),
            (
                (1460.0, 0.041232, 1.0, 0.001, 2.0, 179.5),
                (969_726.103460, 912_054.164971, 919_545.570365),
            ),
            (
                (1460.0, 0.041232, 1.0, 0.02, 2.0, 179.5),
                (216_837.348689, 103_696.130962, 102_993.244415),
            ),
            (
                (1000.0, 0.2, 2.0, 0.05, 2.0, 8.0),
                (19_364.916731, 9_301.447823, 8_742.626064),
            ),
        ];
        for ((mss, rtt, t0, p, b, w), (mathis, full, approx)) in cases {
            let m = path(mss, rtt, t0, b, w);
            assert!(close(m.mathis(p), mathis), "mathis {p}: {}", m.mathis(p));
            assert!(close(m.padhye(p), full), "full {p}: {}", m.padhye(p));
            assert!(close(m.padhye_approx(p), approx), "approx {p}: {}", m.padhye_approx(p));
        }
    }

    #[test]
    fn padhye_is_window_limited_at_low_loss() {
        // E[W] ≈ 115 > Wmax = 20: the second branch, close to Wmax/RTT = 100 kB/s.
        let m = path(1000.0, 0.2, 2.0, 1.0, 20.0);
        assert!(close(m.padhye(0.0001), 99_012.438990), "{}", m.padhye(0.0001));
        assert!(close(m.padhye_approx(0.0001), 100_000.0));
    }

    #[test]
    fn timeout_probability_and_backoff_series() {
        // Q̂(3) = 1 exactly (a window of 3 never yields three duplicate ACKs); Q̂ ≈ 3/w for small p.
        assert!(close(timeout_probability(0.01, 3.0), 1.0));
        assert!((timeout_probability(1e-6, 30.0) - 0.1).abs() < 1e-4);
        assert!(close(backoff_series(0.5), 1.0 + 0.5 + 0.5 + 0.5 + 0.5 + 0.5 + 0.5));
    }
}
