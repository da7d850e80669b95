//! Sample statistics with Student-t confidence intervals. Sums run sequentially in the order
//! the values are given, so results never depend on thread count or hashing.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom (`t_{0.975, df}`).
pub(crate) fn t975(df: u64) -> f64 {
    // df >= 1 always here; StudentsT::new only fails for non-positive df/scale.
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// Summary of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n-1); 0 for n = 1.
    pub sd: f64,
    /// Half-width of the 95% confidence interval of the mean (Student t, n-1 df); absent for
    /// n < 2.
    pub ci95_half_width: Option<f64>,
    /// Lower end of the 95% CI.
    pub ci95_lo: Option<f64>,
    /// Upper end of the 95% CI.
    pub ci95_hi: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarises `values` (in the given order); `None` when empty.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let (mut min, mut max) = (values[0], values[0]);
        for &v in values {
            min = min.min(v);
            max = max.max(v);
        }
        // Identical values: the mean is that value and the spread is exactly zero (a naive
        // sum/n can be one ulp off, which would print as a tiny non-zero sd).
        let (mean, sd) = if min == max {
            (min, 0.0)
        } else {
            // Corrected two-pass algorithm (Chan, Golub & LeVeque): the second pass removes
            // the rounding error of the first pass's mean. Sums are sequential.
            let mut sum = 0.0;
            for v in values {
                sum += v;
            }
            let mut mean = sum / n as f64;
            let (mut ss, mut dev) = (0.0, 0.0);
            for v in values {
                ss += (v - mean) * (v - mean);
                dev += v - mean;
            }
            let sd = if n > 1 {
                ((ss - dev * dev / n as f64).max(0.0) / (n - 1) as f64).sqrt()
            } else {
                0.0
            };
            mean += dev / n as f64;
            (mean.clamp(min, max), sd)
        };
        let hw = (n > 1).then(|| t975(n as u64 - 1) * sd / (n as f64).sqrt());
        Some(Summary {
            n: n as u64,
            mean,
            sd,
            ci95_half_width: hw,
            ci95_lo: hw.map(|h| mean - h),
            ci95_hi: hw.map(|h| mean + h),
            min,
            max,
        })
    }
}

/// The number of seeds needed for a 95% CI half-width of at most `target`, given a sample
/// standard deviation `sd` (smallest n >= 2 with `t_{0.975,n-1} * sd / sqrt(n) <= target`).
/// `None` if `target <= 0` with `sd > 0` or more than 1,000,000 seeds would be needed.
pub fn seeds_for_half_width(sd: f64, target: f64) -> Option<u64> {
    if sd == 0.0 {
        return Some(2);
    }
    if target.is_nan() || target <= 0.0 || !sd.is_finite() {
        return None;
    }
    // Normal approximation as a starting point, then walk to the exact t answer.
    let z = 1.959_963_984_540_054;
    let mut n = (((z * sd / target).powi(2)).ceil() as u64).max(2);
    let ok = |n: u64| t975(n - 1) * sd / (n as f64).sqrt() <= target;
    while n <= 1_000_000 && !ok(n) {
        n += 1;
    }
    while n > 2 && ok(n - 1) {
        n -= 1;
    }
    (n <= 1_000_000).then_some(n)
}

/// Exact (Garwood) 95% interval of a Poisson mean per seed, from `sum` events counted over
/// `n` seeds: `[χ²(0.025; 2·sum) / 2n, χ²(0.975; 2·sum + 2) / 2n]`, with 0 as the lower end
/// when `sum` is 0. Never below 0 and never empty, so a count of rare events (0 in every
/// seed) still shows how many events per run the seeds cannot rule out. `None` for `n = 0`.
pub fn poisson_mean_ci95(sum: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let q = |df: f64, p: f64| ChiSquared::new(df).map_or(f64::NAN, |c| c.inverse_cdf(p)) / 2.0;
    let lo = if sum == 0 { 0.0 } else { q(2.0 * sum as f64, 0.025) };
    let hi = q(2.0 * sum as f64 + 2.0, 0.975);
    Some((lo / n as f64, hi / n as f64))
}

/// The report's one interval for the mean of an event count across seeds (retransmissions,
/// RTO expiries, ...): the Student-t 95% CI cut at 0, widened to the exact Poisson interval
/// ([`poisson_mean_ci95`]) where that is wider on either side. The t interval carries the
/// spread between seeds (which may exceed Poisson's); the Poisson one keeps rare counts
/// honest (a t interval of 0 ± 0 after 0 events in 5 seeds would claim certainty).
pub fn count_ci95(s: &Summary) -> Option<(f64, f64)> {
    let sum = (s.mean * s.n as f64).round().max(0.0) as u64;
    let (plo, phi) = poisson_mean_ci95(sum, s.n)?;
    Some(match s.ci95_lo.zip(s.ci95_hi) {
        Some((lo, hi)) => (lo.max(0.0).min(plo), hi.max(phi)),
        None => (plo, phi),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t975(1) - 12.706).abs() < 1e-3);
        assert!((t975(9) - 2.262).abs() < 1e-3);
        assert!((t975(30) - 2.042).abs() < 1e-3);
    }

    #[test]
    fn summary_of_known_sample() {
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.mean, 5.0);
        assert!((s.sd - 2.138_089_935).abs() < 1e-6);
        let hw = s.ci95_half_width.unwrap();
        assert!((hw - 2.364_624_252 * 2.138_089_935 / 8f64.sqrt()).abs() < 1e-6);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        // Identical values give an exact mean and a zero sd, not float noise.
        let same = Summary::of(&[8_424_841.558_575_12; 8]).unwrap();
        assert_eq!(
            (same.mean, same.sd, same.ci95_half_width),
            (8_424_841.558_575_12, 0.0, Some(0.0))
        );
        let one = Summary::of(&[3.0]).unwrap();
        assert_eq!((one.sd, one.ci95_half_width), (0.0, None));
    }

    #[test]
    fn seeds_needed_meets_target_minimally() {
        let n = seeds_for_half_width(10.0, 2.0).unwrap();
        assert!(t975(n - 1) * 10.0 / (n as f64).sqrt() <= 2.0);
        assert!(t975(n - 2) * 10.0 / ((n - 1) as f64).sqrt() > 2.0);
        assert_eq!(seeds_for_half_width(0.0, 1.0), Some(2));
        assert_eq!(seeds_for_half_width(1.0, 0.0), None);
    }

    #[test]
    fn poisson_interval_matches_garwood_tables_and_respects_zero() {
        // Garwood (1936) exact 95% limits: 0 events -> [0, 3.689], 10 -> [4.795, 18.39].
        let (lo, hi) = poisson_mean_ci95(0, 1).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 3.689).abs() < 1e-3, "{hi}");
        let (lo, hi) = poisson_mean_ci95(10, 1).unwrap();
        assert!((lo - 4.795).abs() < 1e-3 && (hi - 18.39).abs() < 1e-2, "{lo} {hi}");
        // Per seed: 10 events over 5 seeds.
        let (lo, hi) = poisson_mean_ci95(10, 5).unwrap();
        assert!((lo - 0.959).abs() < 1e-3 && (hi - 3.678).abs() < 1e-2, "{lo} {hi}");
        assert_eq!(poisson_mean_ci95(3, 0), None);
    }

    #[test]
    fn count_interval_is_never_negative_and_never_narrower_than_either_part() {
        // 0 events in every seed: t says 0 ± 0, the count interval says up to 3.689/5 per run.
        let zero = Summary::of(&[0.0; 5]).unwrap();
        let (lo, hi) = count_ci95(&zero).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 3.689 / 5.0).abs() < 1e-3, "{hi}");
        // Widely spread counts: the t interval is wider above and crosses 0 below (cut at 0).
        let spread = Summary::of(&[0.0, 0.0, 0.0, 0.0, 40.0]).unwrap();
        let (lo, hi) = count_ci95(&spread).unwrap();
        assert_eq!(lo, 0.0);
        assert_eq!(hi, spread.ci95_hi.unwrap());
    }
}
