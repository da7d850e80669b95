//! The findings of a sweep in sentences: for each swept axis, which key metrics change
//! significantly between its values and by how much, from a paired t-test over the
//! common-random-number seeds (runs with the same replication index share their random
//! numbers across points, so the per-seed differences are paired).
//!
//! What it computes: for every comparison the aggregate already pairs (two points that differ
//! in one axis only, the axis's first value as baseline), a two-sided paired t-test on the
//! per-seed differences of each key metric (Student t with n − 1 degrees of freedom), and the
//! same for the share of retransmissions whose data came from the delegated chain
//! (`delegated_unacked + delegated_unsent` over the total, chimney rule 12 accounting).
//!
//! What it does not: no correction for the number of tests (each is at the 5 % level, which
//! the report says), no test across more than two values at once, no test when a comparison
//! has fewer than two pairs (the sentence says so). "Unchanged" means "not significant at
//! 5 %", never "equal", unless every pair is identical, which is said in those words.

use crate::aggregate::{Aggregate, PairedDiff, PointAggregate};
use crate::sweep::KEY_METRICS;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The level of every test.
pub(crate) const ALPHA: f64 = 0.05;

/// A two-sided paired t-test on per-seed differences.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PairedTest {
    /// Pairs.
    pub n: u64,
    /// Mean difference (variant − baseline).
    pub mean: f64,
    /// Half-width of the 95 % CI of the mean difference (Student t, n − 1 df).
    pub half_width: f64,
    /// Two-sided p-value of H0 "mean difference = 0".
    pub p: f64,
    /// Every difference is exactly zero.
    pub identical: bool,
}

impl PairedTest {
    /// The test of `diffs` (in pair order); `None` for fewer than two pairs.
    pub fn of(diffs: &[f64]) -> Option<PairedTest> {
        let s = crate::stats::Summary::of(diffs)?;
        if s.n < 2 {
            return None;
        }
        let n = s.n as f64;
        let se = s.sd / n.sqrt();
        // The same difference in every pair, up to float rounding (differences of values in
        // seconds computed from integer nanoseconds differ in the last bits): no spread.
        let no_spread = s.max - s.min <= 1e-9 * s.min.abs().max(s.max.abs());
        let (p, half_width) = if no_spread {
            // Either no change at all or a change the data cannot attribute to chance (t is
            // infinite).
            (if s.mean == 0.0 { 1.0 } else { 0.0 }, 0.0)
        } else {
            let t = s.mean / se;
            let p = StudentsT::new(0.0, 1.0, n - 1.0).map_or(f64::NAN, |d| 2.0 * (1.0 - d.cdf(t.abs())));
            (p, s.ci95_half_width.unwrap_or(0.0))
        };
        Some(PairedTest {
            n: s.n,
            mean: s.mean,
            half_width,
            p: p.clamp(0.0, 1.0),
            identical: s.min == 0.0 && s.max == 0.0,
        })
    }

    /// Significant at [`ALPHA`].
    pub fn significant(&self) -> bool {
        self.p < ALPHA
    }
}

/// What one metric did in one comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// Too few pairs for a test (0 or 1).
    TooFew(u64),
    /// The metric has no value for this comparison, and why (e.g. a share of retransmissions
    /// where one point never retransmits).
    Undefined(&'static str),
    /// A test; `baseline` is the baseline point's mean (for a relative change).
    Tested { test: PairedTest, baseline: Option<f64> },
}

/// One metric's result in one comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Clause {
    /// Metric key, or [`DELEGATED_SHARE`].
    pub metric: String,
    /// The result.
    pub outcome: Outcome,
}

/// Pseudo-metric key of the delegated chain's share of retransmissions.
pub(crate) const DELEGATED_SHARE: &str = "retransmissions.delegated_share";

/// One comparison: `axis=variant` against `axis=baseline`, the other parameters fixed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finding {
    pub axis: String,
    pub baseline: String,
    pub variant: String,
    pub others: Vec<(String, String)>,
    /// Paired seeds of the first key metric (goodput): the comparison's n.
    pub pairs: u64,
    pub clauses: Vec<Clause>,
}

impl Finding {
    /// Metrics that changed significantly.
    pub fn significant_count(&self) -> usize {
        self.clauses
            .iter()
            .filter(|c| matches!(&c.outcome, Outcome::Tested { test, .. } if test.significant()))
            .count()
    }
}

/// Every comparison of `agg`, in the order the aggregate pairs them.
pub(crate) fn findings(agg: &Aggregate) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for d in &agg.paired {
        let same = |f: &Finding| {
            f.axis == d.axis && f.baseline == d.baseline && f.variant == d.variant && f.others == d.others
        };
        if out.iter().any(same) {
            continue;
        }
        let of = |m: &str| -> Option<&PairedDiff> {
            agg.paired.iter().find(|x| {
                x.axis == d.axis
                    && x.baseline == d.baseline
                    && x.variant == d.variant
                    && x.others == d.others
                    && x.metric == m
            })
        };
        let base_point = point(agg, &d.axis, &d.baseline, &d.others);
        let var_point = point(agg, &d.axis, &d.variant, &d.others);
        let mut clauses = Vec::new();
        if let (Some(b), Some(v)) = (base_point, var_point)
            && let Some(c) = delegated_share(b, v)
        {
            clauses.push(c);
        }
        for m in KEY_METRICS {
            let Some(pd) = of(m) else { continue };
            if pd.pairs.is_empty() {
                // Neither point has this metric in a common seed (e.g. no pinned time without
                // an offload): nothing to say about it.
                continue;
            }
            let diffs: Vec<f64> = pd.pairs.iter().map(|p| p.1).collect();
            let outcome = match PairedTest::of(&diffs) {
                None => Outcome::TooFew(diffs.len() as u64),
                Some(test) => Outcome::Tested {
                    test,
                    baseline: base_point
                        .and_then(|p| p.metric(m))
                        .and_then(|s| s.summary)
                        .map(|s| s.mean),
                },
            };
            clauses.push(Clause {
                metric: m.to_string(),
                outcome,
            });
        }
        out.push(Finding {
            axis: d.axis.clone(),
            baseline: d.baseline.clone(),
            variant: d.variant.clone(),
            others: d.others.clone(),
            pairs: of(KEY_METRICS[0]).map_or(0, |x| x.pairs.len() as u64),
            clauses,
        });
    }
    out
}

/// The point with `axis=value` and the `others`.
fn point<'a>(agg: &'a Aggregate, axis: &str, value: &str, others: &[(String, String)]) -> Option<&'a PointAggregate> {
    agg.points.iter().find(|p| {
        p.params.iter().any(|(k, v)| k == axis && v == value)
            && p.params.iter().filter(|(k, _)| k != axis).eq(others.iter())
    })
}

/// The paired difference of the delegated chain's share of retransmissions, over the seeds
/// that retransmitted at both points; `None` when neither point ever retransmitted from the
/// delegated chain (nothing moved).
fn delegated_share(base: &PointAggregate, var: &PointAggregate) -> Option<Clause> {
    // Chimney rule 12: "Tag them source=DSC" — the delegated chain's regions
    // [SndUna,SndMax) (delegated_unacked) and [SndMax,end) (delegated_unsent).
    let shares = |p: &PointAggregate| -> Vec<(u32, f64)> {
        let vals = |k: &str| p.metric(k).map(|m| m.values.clone()).unwrap_or_default();
        let (total, unacked, unsent) = (
            vals("retransmissions.total"),
            vals("retransmissions.by_source.delegated_unacked"),
            vals("retransmissions.by_source.delegated_unsent"),
        );
        total
            .iter()
            .filter(|t| t.value > 0.0)
            .filter_map(|t| {
                let a = unacked.iter().find(|v| v.seed_index == t.seed_index)?.value;
                let u = unsent.iter().find(|v| v.seed_index == t.seed_index)?.value;
                Some((t.seed_index, (a + u) / t.value))
            })
            .collect()
    };
    let (b, v) = (shares(base), shares(var));
    if b.iter().chain(&v).all(|(_, s)| *s == 0.0) {
        return None;
    }
    let undefined = |why| {
        Some(Clause {
            metric: DELEGATED_SHARE.to_string(),
            outcome: Outcome::Undefined(why),
        })
    };
    // A share of nothing is no share: say so rather than "too few seeds".
    if b.is_empty() {
        return undefined("the baseline never retransmits");
    }
    if v.is_empty() {
        return undefined("the variant never retransmits");
    }
    let diffs: Vec<f64> = v
        .iter()
        .filter_map(|(i, x)| b.iter().find(|(j, _)| j == i).map(|(_, y)| x - y))
        .collect();
    let outcome = match PairedTest::of(&diffs) {
        None => Outcome::TooFew(diffs.len() as u64),
        Some(test) => {
            let m: Vec<f64> = b.iter().map(|(_, s)| *s).collect();
            Outcome::Tested {
                test,
                baseline: crate::stats::Summary::of(&m).map(|s| s.mean),
            }
        }
    };
    Some(Clause {
        metric: DELEGATED_SHARE.to_string(),
        outcome,
    })
}

/// A metric's name in a sentence.
fn name(metric: &str) -> &'static str {
    match metric {
        "goodput_bps" => "goodput",
        "completion_time_s" => "completion time",
        "retransmissions.total" => "retransmissions",
        "spurious_retransmissions" => "spurious retransmissions",
        "rto_count" => "RTO expiries",
        "pinned_p99_ms" => "p99 buffer pinned time",
        DELEGATED_SHARE => "share of retransmissions from the delegated chain",
        _ => "metric",
    }
}

/// `p = 0.71`, `p = 0.003`, `p < 0.001`.
pub(crate) fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else if p < 0.01 {
        format!("p = {p:.3}")
    } else {
        format!("p = {p:.2}")
    }
}

/// A signed number with a real minus sign, to `sig` significant digits.
fn signed(x: f64, digits: usize) -> String {
    let s = crate::html::sig(x, digits);
    if let Some(rest) = s.strip_prefix('-') {
        format!("−{rest}")
    } else if s == "0" {
        s
    } else {
        format!("+{s}")
    }
}

/// The change of a metric: relative to the baseline mean when that is non-zero (`+48 % ± 6 %`),
/// else in the metric's unit (`+12 ± 3 segments`). `sign`: with a leading sign (else the
/// magnitude, for "up"/"down").
fn change(metric: &str, t: &PairedTest, baseline: Option<f64>, sign: bool) -> String {
    let v = |x: f64, digits: usize| {
        if sign {
            signed(x, digits)
        } else {
            crate::html::sig(x.abs(), digits)
        }
    };
    // No spread (the same difference in every pair): no ± to give, and the sentence says why.
    let exact = t.half_width == 0.0;
    match baseline {
        Some(b) if b != 0.0 && exact => format!("{} % in every seed", v(t.mean / b.abs() * 100.0, 2)),
        Some(b) if b != 0.0 => format!(
            "{} % ± {} %",
            v(t.mean / b.abs() * 100.0, 2),
            crate::html::sig(t.half_width / b.abs() * 100.0, 2)
        ),
        _ => {
            let (_, unit, scale) = crate::metrics::metric_label(metric);
            if exact {
                format!("{} {unit} in every seed", v(t.mean * scale, 3))
            } else {
                format!(
                    "{} ± {} {unit}",
                    v(t.mean * scale, 3),
                    crate::html::sig(t.half_width * scale, 2)
                )
            }
        }
    }
}

/// One clause of a sentence, e.g. `goodput unchanged (Δ −0.3 %, p = 0.71)`.
pub(crate) fn clause_text(c: &Clause) -> String {
    let what = name(&c.metric);
    match &c.outcome {
        Outcome::TooFew(n) => format!("{what}: too few paired seeds for a test (n = {n})"),
        Outcome::Undefined(why) => format!("{what}: not defined ({why})"),
        Outcome::Tested { test, .. } if test.identical => format!("{what} unchanged (identical in every seed)"),
        Outcome::Tested { test, baseline } if c.metric == DELEGATED_SHARE => {
            let pts = test.mean * 100.0;
            let dir = if pts >= 0.0 { "to" } else { "out of" };
            let base = baseline.map_or(String::new(), |b| {
                format!(", from {} %", crate::html::sig(b * 100.0, 2))
            });
            if test.significant() {
                format!(
                    "moves {} % (± {} %) of retransmissions {dir} the delegated chain ({}{base})",
                    crate::html::sig(pts.abs(), 2),
                    crate::html::sig(test.half_width * 100.0, 2),
                    p_text(test.p)
                )
            } else {
                format!(
                    "{what} unchanged (Δ {} percentage points, {}{base})",
                    signed(pts, 2),
                    p_text(test.p)
                )
            }
        }
        Outcome::Tested { test, baseline } => {
            if test.significant() {
                let dir = if test.mean > 0.0 { "up" } else { "down" };
                let delta = change(&c.metric, test, *baseline, false);
                format!("{what} {dir} {delta} ({})", p_text(test.p))
            } else {
                let delta = change(&c.metric, test, *baseline, true);
                format!("{what} unchanged (Δ {delta}, {})", p_text(test.p))
            }
        }
    }
}

/// The sentence of a finding: what changed significantly first, then what did not.
pub(crate) fn sentence(f: &Finding) -> String {
    let head = format!(
        "{a}={v} against {a}={b}{at}, {n} paired seed{plural}",
        a = f.axis,
        v = f.variant,
        b = f.baseline,
        at = if f.others.is_empty() {
            String::new()
        } else {
            format!(" at {}", crate::info::params_label(&f.others))
        },
        n = f.pairs,
        plural = if f.pairs == 1 { "" } else { "s" }
    );
    clauses_sentence(&head, &f.clauses)
}

/// `head: ` then the significant clauses, then the others, then a full stop.
pub(crate) fn clauses_sentence(head: &str, clauses: &[Clause]) -> String {
    let sig = |c: &&Clause| matches!(&c.outcome, Outcome::Tested { test, .. } if test.significant());
    let same = |c: &&Clause| matches!(&c.outcome, Outcome::Tested { test, .. } if test.identical);
    let changed: Vec<String> = clauses.iter().filter(sig).map(clause_text).collect();
    let mut rest: Vec<String> = clauses
        .iter()
        .filter(|c| !sig(c) && !same(c))
        .map(clause_text)
        .collect();
    // Metrics equal in every pair in one clause (a sweep of a deterministic model has many).
    let identical: Vec<&str> = clauses.iter().filter(same).map(|c| name(&c.metric)).collect();
    match identical.len() {
        0 => {}
        1 => rest.push(format!("{} unchanged (identical in every seed)", identical[0])),
        _ => rest.push(format!("identical in every seed: {}", identical.join(", "))),
    }
    let mut s = format!("{head}: ");
    let tested = clauses.iter().any(|c| matches!(c.outcome, Outcome::Tested { .. }));
    if changed.is_empty() && !tested {
        s.push_str("no test possible");
    } else if changed.is_empty() {
        s.push_str("no significant change");
    } else {
        s.push_str(&changed.join("; "));
    }
    if !rest.is_empty() {
        s.push_str("; ");
        s.push_str(&rest.join("; "));
    }
    s.push('.');
    s
}

/// Per axis: which metrics changed significantly in how many of its comparisons, e.g.
/// `offload: significant changes in retransmissions (3 of 3 comparisons); no significant
/// change in goodput, completion time`.
pub(crate) fn axis_summary(axis: &str, fs: &[&Finding]) -> String {
    let mut metrics: Vec<&str> = Vec::new();
    for f in fs {
        for c in &f.clauses {
            if !metrics.contains(&c.metric.as_str()) {
                metrics.push(&c.metric);
            }
        }
    }
    let count = |m: &str, pred: &dyn Fn(&Outcome) -> bool| {
        fs.iter()
            .filter(|f| f.clauses.iter().any(|c| c.metric == m && pred(&c.outcome)))
            .count()
    };
    let is_sig = |o: &Outcome| matches!(o, Outcome::Tested { test, .. } if test.significant());
    let tested = |o: &Outcome| matches!(o, Outcome::Tested { .. });
    let too_few = |o: &Outcome| matches!(o, Outcome::TooFew(_));
    let mut changed = Vec::new();
    let mut not = Vec::new();
    let mut untested = Vec::new();
    for m in metrics {
        let (k, t) = (count(m, &is_sig), count(m, &tested));
        if k > 0 {
            changed.push(format!("{} ({k} of {t} comparisons)", name(m)));
        } else if t > 0 {
            not.push(name(m));
        } else if count(m, &too_few) > 0 {
            untested.push(name(m));
        }
    }
    let mut s = format!("{axis}: ");
    if changed.is_empty() {
        s.push_str("no significant change in any key metric");
    } else {
        s.push_str(&format!("significant changes in {}", changed.join(", ")));
    }
    if !changed.is_empty() && !not.is_empty() {
        s.push_str(&format!("; no significant change in {}", not.join(", ")));
    }
    if !untested.is_empty() {
        s.push_str(&format!("; too few seeds to test {}", untested.join(", ")));
    }
    s.push('.');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{MetricStats, SeedValue};
    use crate::stats::Summary;

    /// A hand-made aggregate: `offload=none` against `offload=mid` over `n` seeds, with the
    /// given per-seed goodput, total and delegated retransmissions at each point.
    fn agg(goodput: [&[f64]; 2], total: [&[f64]; 2], delegated: [&[f64]; 2]) -> Aggregate {
        let values = |xs: &[f64]| -> Vec<SeedValue> {
            xs.iter()
                .enumerate()
                .map(|(i, &value)| SeedValue {
                    seed: i as u64,
                    seed_index: i as u32,
                    run_id: format!("s{i}"),
                    value,
                })
                .collect()
        };
        let stats = |metric: &str, xs: &[f64]| MetricStats {
            metric: metric.to_string(),
            summary: Summary::of(xs),
            values: values(xs),
            ..Default::default()
        };
        let zeros = |xs: &[f64]| vec![0.0; xs.len()];
        let point = |i: usize, v: &str| PointAggregate {
            params: vec![("offload".into(), v.into())],
            label: format!("offload={v}"),
            runs: goodput[i].len() as u64,
            metrics: vec![
                stats("goodput_bps", goodput[i]),
                stats("retransmissions.total", total[i]),
                stats("retransmissions.by_source.delegated_unacked", delegated[i]),
                stats("retransmissions.by_source.delegated_unsent", &zeros(delegated[i])),
            ],
            ..Default::default()
        };
        let paired = |metric: &str, xs: [&[f64]; 2]| {
            let pairs: Vec<(u32, f64)> = xs[1]
                .iter()
                .zip(xs[0])
                .enumerate()
                .map(|(i, (v, b))| (i as u32, v - b))
                .collect();
            PairedDiff {
                axis: "offload".into(),
                baseline: "none".into(),
                variant: "mid".into(),
                metric: metric.into(),
                summary: Summary::of(&pairs.iter().map(|p| p.1).collect::<Vec<_>>()),
                pairs,
                ..Default::default()
            }
        };
        Aggregate {
            target_relative_half_width: 0.05,
            axes: vec!["offload".into()],
            points: vec![point(0, "none"), point(1, "mid")],
            paired: vec![paired("goodput_bps", goodput), paired("retransmissions.total", total)],
        }
    }

    #[test]
    fn paired_t_test_matches_a_known_answer() {
        // Differences 1,2,3,4,5: mean 3, sd sqrt(2.5), t = 3 / (sqrt(2.5)/sqrt(5)) = 4.2426,
        // df 4: two-sided p = 0.01324 (t tables / R `t.test(x, mu = 0)`).
        let t = PairedTest::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!((t.n, t.mean), (5, 3.0));
        assert!((t.p - 0.013_24).abs() < 1e-4, "p = {}", t.p);
        assert!(t.significant());
        // Symmetric noise around 0: p = 1 exactly is not required, but far from significant.
        let u = PairedTest::of(&[-1.0, 1.0, -2.0, 2.0]).unwrap();
        assert!(u.p > 0.9 && !u.significant());
        assert!(PairedTest::of(&[4.0]).is_none(), "one pair cannot be tested");
        assert!(PairedTest::of(&[0.0, 0.0, 0.0]).unwrap().identical);
        // The same difference up to float rounding: no spread, a certain change.
        let e = PairedTest::of(&[0.21, 0.21 + 5e-17, 0.21 - 5e-17]).unwrap();
        assert_eq!((e.half_width, e.p), (0.0, 0.0));
    }

    #[test]
    fn sentence_names_significant_changes_and_unchanged_metrics_honestly() {
        // Goodput: noise around the same value (not significant). Retransmissions: 10 -> 20 or
        // so in every seed, with half of them now from the delegated chain (significant).
        // By hand: retransmission differences 10, 11, 11, 11 (mean 10.75 = +100 % of the
        // baseline's 10.75; sd 0.5, t_{0.975,3} = 3.182, half-width 0.80 = 7.4 %); goodput
        // differences 1, -2, 1, 1 (mean 0.25 = +0.25 %, sd 1.5, t = 0.33, df 3: p = 0.76).
        let a = agg(
            [&[100.0, 102.0, 98.0, 101.0], &[101.0, 100.0, 99.0, 102.0]],
            [&[10.0, 12.0, 10.0, 11.0], &[20.0, 23.0, 21.0, 22.0]],
            [&[0.0; 4], &[10.0, 12.0, 10.0, 11.0]],
        );
        let fs = findings(&a);
        assert_eq!(fs.len(), 1);
        let s = sentence(&fs[0]);
        assert!(
            s.starts_with("offload=mid against offload=none, 4 paired seeds: "),
            "{s}"
        );
        assert!(
            s.contains("moves 50 % (± 3 %) of retransmissions to the delegated chain (p < 0.001, from 0 %)"),
            "{s}"
        );
        assert!(s.contains("retransmissions up 100 % ± 7.4 % (p < 0.001)"), "{s}");
        assert!(s.contains("goodput unchanged (Δ +0.25 % ± 2.4 %, p = 0.76)"), "{s}");
        // Significant changes come before the unchanged ones.
        assert!(s.find("retransmissions up").unwrap() < s.find("goodput unchanged").unwrap());
        assert_eq!(
            axis_summary("offload", &fs.iter().collect::<Vec<_>>()),
            "offload: significant changes in share of retransmissions from the delegated chain (1 of 1 \
             comparisons), retransmissions (1 of 1 comparisons); no significant change in goodput."
        );
    }

    #[test]
    fn sentence_says_when_a_point_has_too_few_seeds() {
        let a = agg([&[100.0], &[50.0]], [&[3.0], &[3.0]], [&[0.0], &[0.0]]);
        let s = sentence(&findings(&a)[0]);
        assert_eq!(
            s,
            "offload=mid against offload=none, 1 paired seed: no test possible; goodput: too few paired seeds \
             for a test (n = 1); retransmissions: too few paired seeds for a test (n = 1)."
        );
    }

    #[test]
    fn share_of_nothing_is_not_defined_and_equal_metrics_share_one_clause() {
        // Lossless baseline: no retransmission to take a share of; goodput and retransmission
        // counts equal in every seed are named once.
        let a = agg(
            [&[100.0, 90.0, 80.0], &[100.0, 90.0, 80.0]],
            [&[0.0, 0.0, 0.0], &[0.0, 0.0, 0.0]],
            [&[0.0; 3], &[0.0; 3]],
        );
        assert_eq!(
            sentence(&findings(&a)[0]),
            "offload=mid against offload=none, 3 paired seeds: no significant change; identical in every seed: \
             goodput, retransmissions."
        );
        let b = agg(
            [&[100.0, 90.0, 80.0], &[99.0, 91.0, 80.0]],
            [&[0.0, 0.0, 0.0], &[3.0, 4.0, 5.0]],
            [&[0.0; 3], &[1.0, 2.0, 3.0]],
        );
        let fs = findings(&b);
        let s = sentence(&fs[0]);
        assert!(
            s.contains(
                "share of retransmissions from the delegated chain: not defined (the baseline never retransmits)"
            ),
            "{s}"
        );
        // Not a lack of seeds: the axis summary does not ask for more.
        assert!(!axis_summary("offload", &fs.iter().collect::<Vec<_>>()).contains("too few"));
    }

    #[test]
    fn identical_pairs_are_called_identical_not_just_unchanged() {
        let a = agg(
            [&[100.0, 90.0], &[100.0, 90.0]],
            [&[3.0, 4.0], &[5.0, 6.0]],
            [&[0.0, 0.0], &[0.0, 0.0]],
        );
        let s = sentence(&findings(&a)[0]);
        // +2 in each seed: no spread, a certain change (p = 0 reported as p < 0.001).
        assert!(s.contains("retransmissions up 57 % in every seed (p < 0.001)"), "{s}");
        assert!(s.contains("goodput unchanged (identical in every seed)"), "{s}");
    }
}
