//! [`compare`]: two sweep result folders, metric by metric, per matching parameter point.
//!
//! Output folder: `comparison.json` (which two folders), `compare.json`, `compare.csv`,
//! `charts/<metric>.{png,svg}` (both folders' means with 95% CIs side by side per point),
//! `summary.txt` and `index.html`. A previous comparison is never silently overwritten: the
//! output folder must be new, empty, or an earlier comparison of the same two folders.
//!
//! Runs of A and B with the same seed are paired (the same seed draws the same random numbers,
//! so their difference is the change's effect without the seed's noise): each row carries the
//! paired t-test of B − A over those seeds, and `summary.txt` (also at the top of the page)
//! says per point what differs significantly by that test. Seeds in only one folder count in
//! the per-folder means, not in the paired test.

use crate::aggregate::{Aggregate, PointAggregate};
use crate::charts::{self, CiChart, CiPoint, CiSeries, XAxis};
use crate::findings::{Clause, Outcome, PairedTest, clauses_sentence};
use crate::io::{csv_bytes, sanitize, write_atomic, write_json};
use crate::stats::Summary;
use crate::sweep::{KEY_METRICS, metric_axis_label};
use crate::{Result, html};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One metric at one parameter point present in both folders.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// Parameter point label.
    pub point: String,
    /// Metric key.
    pub metric: String,
    /// Runs with a value in A.
    pub a_n: u64,
    /// Mean in A.
    pub a_mean: Option<f64>,
    /// 95% CI half-width in A.
    pub a_ci95_half_width: Option<f64>,
    /// Runs with a value in B.
    pub b_n: u64,
    /// Mean in B.
    pub b_mean: Option<f64>,
    /// 95% CI half-width in B.
    pub b_ci95_half_width: Option<f64>,
    /// `b_mean - a_mean`.
    pub diff: Option<f64>,
    /// `diff / |a_mean|` (absent when `a_mean` is 0).
    pub rel_diff: Option<f64>,
    /// Whether the two 95% CIs overlap (absent when either has n < 2). Non-overlap is strong
    /// evidence of a difference; overlap is not evidence of none (use the paired test).
    pub ci_overlap: Option<bool>,
    /// Seeds with a value in both A and B (paired by seed: the same seed draws the same random
    /// numbers in both).
    pub paired_n: u64,
    /// Mean of the per-seed differences B − A (absent without a pair).
    pub paired_diff: Option<f64>,
    /// 95% CI half-width of that mean (Student t; absent for fewer than 2 pairs).
    pub paired_ci95_half_width: Option<f64>,
    /// Two-sided p-value of the paired t-test (absent for fewer than 2 pairs).
    pub paired_p: Option<f64>,
}

/// Per-seed differences B − A of `metric`, over the seeds both points ran successfully, in
/// A's run order.
fn paired_diffs(metric: &str, a: &PointAggregate, b: &PointAggregate) -> Vec<f64> {
    let (Some(ma), Some(mb)) = (a.metric(metric), b.metric(metric)) else {
        return Vec::new();
    };
    ma.values
        .iter()
        .filter_map(|x| mb.values.iter().find(|y| y.seed == x.seed).map(|y| y.value - x.value))
        .collect()
}

fn row(point: &str, metric: &str, a: &PointAggregate, b: &PointAggregate) -> CompareRow {
    let sa = a.metric(metric).and_then(|m| m.summary);
    let sb = b.metric(metric).and_then(|m| m.summary);
    let diff = sa.zip(sb).map(|(x, y)| y.mean - x.mean);
    let diffs = paired_diffs(metric, a, b);
    let test = PairedTest::of(&diffs);
    let overlap = sa
        .and_then(|x| x.ci95_lo.zip(x.ci95_hi))
        .zip(sb.and_then(|y| y.ci95_lo.zip(y.ci95_hi)))
        .map(|((alo, ahi), (blo, bhi))| alo <= bhi && blo <= ahi);
    CompareRow {
        point: point.to_string(),
        metric: metric.to_string(),
        a_n: sa.map_or(0, |s| s.n),
        a_mean: sa.map(|s| s.mean),
        a_ci95_half_width: sa.and_then(|s| s.ci95_half_width),
        b_n: sb.map_or(0, |s| s.n),
        b_mean: sb.map(|s| s.mean),
        b_ci95_half_width: sb.and_then(|s| s.ci95_half_width),
        diff,
        rel_diff: diff
            .zip(sa)
            .filter(|(_, s)| s.mean != 0.0)
            .map(|(d, s)| d / s.mean.abs()),
        ci_overlap: overlap,
        paired_n: diffs.len() as u64,
        paired_diff: Summary::of(&diffs).map(|s| s.mean),
        paired_ci95_half_width: test.map(|t| t.half_width),
        paired_p: test.map(|t| t.p),
    }
}

/// One sentence per common point: what differs significantly between A and B by the paired
/// test, then what does not (see [`crate::findings`]).
pub(crate) fn summary(rows: &[CompareRow]) -> Vec<String> {
    let mut points: Vec<&str> = Vec::new();
    for r in rows {
        if !points.contains(&r.point.as_str()) {
            points.push(&r.point);
        }
    }
    points
        .iter()
        .map(|p| {
            let of = |m: &str| rows.iter().find(|r| r.point == *p && r.metric == m);
            let n = of(KEY_METRICS[0]).map_or(0, |r| r.paired_n);
            let clauses: Vec<Clause> = KEY_METRICS
                .iter()
                .filter_map(|m| of(m))
                .filter(|r| r.a_n > 0 || r.b_n > 0)
                .map(|r| Clause {
                    metric: r.metric.clone(),
                    outcome: match (r.paired_diff, r.paired_ci95_half_width, r.paired_p) {
                        (Some(mean), Some(half_width), Some(p)) => Outcome::Tested {
                            test: PairedTest {
                                n: r.paired_n,
                                mean,
                                half_width,
                                p,
                                // Mean 0 with no spread: every difference is 0.
                                identical: mean == 0.0 && half_width == 0.0,
                            },
                            baseline: r.a_mean,
                        },
                        _ => Outcome::TooFew(r.paired_n),
                    },
                })
                .collect();
            let head = format!("{p}: B against A, {n} seed{} in both", if n == 1 { "" } else { "s" });
            clauses_sentence(&head, &clauses)
        })
        .collect()
}

/// The file naming the two folders a comparison folder compares.
pub const COMPARISON_MARK: &str = "comparison.json";

/// `comparison.json`: the two folders compared, as absolute paths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ComparisonMark {
    /// Folder A (baseline).
    a: String,
    /// Folder B.
    b: String,
}

/// Checks that `out` may receive the comparison of `a` and `b`: it is missing, empty (hidden
/// files such as the lock aside), or holds an earlier comparison of the same two folders
/// (then replaced). Anything else is refused, saying what the folder holds.
fn claim_out(a: &Path, b: &Path, out: &Path) -> Result<ComparisonMark> {
    let canon = |p: &Path| {
        std::fs::canonicalize(p)
            .map(|c| c.display().to_string())
            .map_err(|e| crate::ReportError::io("resolve", p, e))
    };
    let mark = ComparisonMark {
        a: canon(a)?,
        b: canon(b)?,
    };
    let mut held: Vec<String> = match std::fs::read_dir(out) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(crate::ReportError::io("list", out, e)),
    };
    if held.is_empty() {
        return Ok(mark);
    }
    held.sort();
    let earlier: Option<ComparisonMark> = std::fs::read(out.join(COMPARISON_MARK))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    match earlier {
        Some(m) if m == mark => Ok(mark),
        Some(m) => Err(crate::ReportError::Invalid(format!(
            "{}: holds the comparison of {} and {}, not of {} and {}; not overwriting it (choose another --out, \
             or remove that folder)",
            out.display(),
            m.a,
            m.b,
            mark.a,
            mark.b
        ))),
        None => Err(crate::ReportError::Invalid(format!(
            "{}: not empty and not a comparison (no {COMPARISON_MARK}; it holds {}); not overwriting it (choose a \
             new or empty --out)",
            out.display(),
            crate::charts::ellipsize_list(&held)
        ))),
    }
}

/// Compares the sweep folders `a` and `b` (each written by [`crate::write_sweep`]) and writes
/// the comparison into `out`. Points are matched by their parameters; points present in only
/// one folder are skipped. Returns the rows in (A's point order, metric order).
/// Refuses an `out` that holds anything but an earlier comparison of the same two folders.
pub fn compare(a: &Path, b: &Path, out: &Path) -> Result<Vec<CompareRow>> {
    let aa = Aggregate::read(&a.join("aggregate.json"))?;
    let ab = Aggregate::read(&b.join("aggregate.json"))?;
    let mark = claim_out(a, b, out)?;
    let name = |p: &Path| {
        p.file_name()
            .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
    };
    let (na, nb) = (format!("A: {}", name(a)), format!("B: {}", name(b)));
    let pairs: Vec<(&PointAggregate, &PointAggregate)> = aa
        .points
        .iter()
        .filter_map(|p| ab.points.iter().find(|q| q.params == p.params).map(|q| (p, q)))
        .collect();
    if pairs.is_empty() {
        // Unrelated sweeps: an empty comparison would pass for "no difference".
        let labels = |g: &Aggregate| g.points.iter().map(|p| p.label.clone()).collect::<Vec<_>>().join("; ");
        return Err(crate::ReportError::Invalid(format!(
            "{} and {} have no parameter point in common, so there is nothing to compare (A: {}; B: {})",
            a.display(),
            b.display(),
            labels(&aa),
            labels(&ab)
        )));
    }
    let metrics: Vec<String> = aa
        .points
        .first()
        .map(|p| p.metrics.iter().map(|m| m.metric.clone()).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (pa, pb) in &pairs {
        for m in &metrics {
            rows.push(row(&pa.label, m, pa, pb));
        }
    }
    write_json(&out.join(COMPARISON_MARK), &mark)?;
    write_json(&out.join("compare.json"), &rows)?;
    write_atomic(&out.join("compare.csv"), &csv_bytes(&rows)?)?;
    let cats: Vec<String> = pairs.iter().map(|(p, _)| p.label.clone()).collect();
    let mut stems = Vec::new();
    for metric in KEY_METRICS {
        let (label, y_label) = metric_axis_label(metric);
        let (_, _, scale) = crate::metrics::metric_label(metric);
        let series_of = |side: usize, label: &str| CiSeries {
            label: label.to_string(),
            points: pairs
                .iter()
                .enumerate()
                .filter_map(|(i, pq)| {
                    let p = if side == 0 { pq.0 } else { pq.1 };
                    let s = p.metric(metric)?.summary?;
                    let ci = if crate::sweep::is_count(metric) {
                        crate::stats::count_ci95(&s)
                    } else {
                        s.ci95_lo.zip(s.ci95_hi)
                    };
                    Some(CiPoint {
                        x: i as f64,
                        mean: s.mean * scale,
                        ci: ci.map(|(l, h)| (l * scale, h * scale)),
                    })
                })
                .collect(),
        };
        let chart = CiChart {
            title: format!("{label}: A vs B"),
            y_label,
            x: XAxis::Categories("Parameter point".into(), cats.clone()),
            series: vec![series_of(0, &na), series_of(1, &nb)],
            note: crate::sweep::interval_note(metric),
            non_negative: true,
        };
        let stem = sanitize(metric);
        charts::render(&out.join("charts"), &stem, &chart)?;
        stems.push(stem);
    }
    let sentences = summary(&rows);
    let mut text = format!("{na} against {nb}, paired by seed (two-sided paired t-test, 5% level per test):\n");
    for s in &sentences {
        text.push_str(&format!("- {s}\n"));
    }
    write_atomic(&out.join("summary.txt"), text.as_bytes())?;
    html::write_compare_html(out, &na, &nb, &rows, &stems, &sentences)?;
    Ok(rows)
}
