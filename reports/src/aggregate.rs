//! [`Aggregate`]: statistics across seeds per parameter point, and paired differences between
//! variants (common random numbers: runs with the same `seed_index` are paired).
//!
//! Points keep the order in which they first appear among the runs; values inside a point
//! keep run order; every sum is sequential in that order (see [`crate::stats`]). Failed runs
//! are listed per point with their error and excluded from the statistics.

use crate::RunReport;
use crate::stats::{Summary, seeds_for_half_width};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One run's value of a metric.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedValue {
    /// Seed.
    pub seed: u64,
    /// Replication index.
    pub seed_index: u32,
    /// Run id (to rerun an outlier).
    pub run_id: String,
    /// The value.
    pub value: f64,
}

/// Statistics of one metric at one parameter point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricStats {
    /// Metric key (see [`RunReport::metrics`]).
    pub metric: String,
    /// n, mean, sd, 95% CI, min, max over the successful runs that have a value.
    pub summary: Option<Summary>,
    /// Target CI half-width: `Aggregate::target_relative_half_width * |mean|`.
    pub target_half_width: Option<f64>,
    /// Seeds needed to reach the target half-width with the observed sd.
    pub seeds_for_target: Option<u64>,
    /// Per-seed values, in run order.
    pub values: Vec<SeedValue>,
}

/// A run that failed, as listed in its point.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRun {
    /// Run id.
    pub run_id: String,
    /// Seed.
    pub seed: u64,
    /// Replication index.
    pub seed_index: u32,
    /// The error.
    pub error: String,
}

/// One parameter point (the params without `seed`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PointAggregate {
    /// The parameters.
    pub params: Vec<(String, String)>,
    /// `k=v, k=v` (or `(default)`).
    pub label: String,
    /// Runs at this point, failed ones included.
    pub runs: u64,
    /// Failed runs.
    pub failed: Vec<FailedRun>,
    /// Runs whose receiver found corrupted or misplaced bytes.
    pub integrity_failures: u64,
    /// One entry per metric, in [`RunReport::metrics`] order.
    pub metrics: Vec<MetricStats>,
}

impl PointAggregate {
    /// The statistics of a metric.
    pub fn metric(&self, key: &str) -> Option<&MetricStats> {
        self.metrics.iter().find(|m| m.metric == key)
    }
}

/// Paired differences `variant - baseline` of one metric between two points that differ only
/// in `axis`, matched by `seed_index`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// The axis that differs.
    pub axis: String,
    /// Its baseline value (first value seen).
    pub baseline: String,
    /// Its variant value.
    pub variant: String,
    /// The other parameters (shared by both points).
    pub others: Vec<(String, String)>,
    /// Metric key.
    pub metric: String,
    /// Statistics of the differences (CI of the mean difference).
    pub summary: Option<Summary>,
    /// The CI of the mean difference excludes 0.
    pub significant: bool,
    /// `(seed_index, difference)` by seed index.
    pub pairs: Vec<(u32, f64)>,
}

/// Statistics of a set of runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Target CI half-width relative to |mean| used for `seeds_for_target`.
    pub target_relative_half_width: f64,
    /// Axes in order of first appearance (without `seed`).
    pub axes: Vec<String>,
    /// Per parameter point.
    pub points: Vec<PointAggregate>,
    /// Paired differences between variants.
    pub paired: Vec<PairedDiff>,
}

fn label(params: &[(String, String)]) -> String {
    if params.is_empty() {
        "(default)".to_string()
    } else {
        crate::info::params_label(params)
    }
}

impl Aggregate {
    /// The default target: a 95% CI half-width of 5% of the mean.
    pub const DEFAULT_TARGET: f64 = 0.05;

    /// Aggregates `runs` (in sweep order) with a target CI half-width of
    /// `target_rel * |mean|` for the seeds-needed estimate.
    pub fn from_runs(runs: &[RunReport], target_rel: f64) -> Aggregate {
        let mut axes: Vec<String> = Vec::new();
        let mut groups: Vec<Group<'_>> = Vec::new();
        for r in runs {
            let p = r.point_params();
            for (k, _) in &p {
                if !axes.contains(k) {
                    axes.push(k.clone());
                }
            }
            match groups.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(r),
                None => groups.push((p, vec![r])),
            }
        }
        let keys = crate::metrics::metric_keys(runs);
        let points: Vec<PointAggregate> = groups.iter().map(|(p, rs)| point(p, rs, target_rel, &keys)).collect();
        let paired = paired(&axes, &groups, &keys);
        Aggregate {
            target_relative_half_width: target_rel,
            axes,
            points,
            paired,
        }
    }

    /// Reads an `aggregate.json`.
    pub fn read(path: &std::path::Path) -> crate::Result<Aggregate> {
        crate::io::read_json(path)
    }
}

fn point(params: &[(String, String)], runs: &[&RunReport], target_rel: f64, keys: &[String]) -> PointAggregate {
    let ok: Vec<&RunReport> = runs.iter().copied().filter(|r| r.outcome.is_ok()).collect();
    let per_run: Vec<BTreeMap<String, Option<f64>>> =
        ok.iter().map(|r| r.all_metrics().into_iter().collect()).collect();
    let metrics = keys
        .iter()
        .map(|key| {
            let values: Vec<SeedValue> = ok
                .iter()
                .zip(&per_run)
                .filter_map(|(r, m)| {
                    m.get(key).copied().flatten().map(|value| SeedValue {
                        seed: r.seed,
                        seed_index: r.seed_index,
                        run_id: r.run_id.clone(),
                        value,
                    })
                })
                .collect();
            let xs: Vec<f64> = values.iter().map(|v| v.value).collect();
            let summary = Summary::of(&xs);
            let target = summary.map(|s| target_rel * s.mean.abs());
            let seeds = summary
                .zip(target)
                .filter(|(s, _)| s.n >= 2)
                .and_then(|(s, t)| seeds_for_half_width(s.sd, t));
            MetricStats {
                metric: key.to_string(),
                summary,
                target_half_width: target,
                seeds_for_target: seeds,
                values,
            }
        })
        .collect();
    PointAggregate {
        params: params.to_vec(),
        label: label(params),
        runs: runs.len() as u64,
        failed: runs
            .iter()
            .filter_map(|r| {
                r.outcome.error().map(|e| FailedRun {
                    run_id: r.run_id.clone(),
                    seed: r.seed,
                    seed_index: r.seed_index,
                    error: e.to_string(),
                })
            })
            .collect(),
        integrity_failures: ok.iter().filter(|r| !r.integrity_ok).count() as u64,
        metrics,
    }
}

/// Parameters.
type Params = Vec<(String, String)>;
/// A parameter point's runs.
type Group<'a> = (Params, Vec<&'a RunReport>);

fn paired(axes: &[String], groups: &[Group<'_>], keys: &[String]) -> Vec<PairedDiff> {
    let mut out = Vec::new();
    for axis in axes {
        let value_of = |p: &[(String, String)]| p.iter().find(|(k, _)| k == axis).map(|(_, v)| v.clone());
        let others_of = |p: &[(String, String)]| p.iter().filter(|(k, _)| k != axis).cloned().collect::<Vec<_>>();
        // Families of points sharing every other parameter, in order of first appearance.
        let mut families: Vec<(Params, Vec<&Group<'_>>)> = Vec::new();
        for g in groups.iter().filter(|g| value_of(&g.0).is_some()) {
            let o = others_of(&g.0);
            match families.iter_mut().find(|(k, _)| *k == o) {
                Some((_, v)) => v.push(g),
                None => families.push((o, vec![g])),
            }
        }
        for (others, members) in families.iter().filter(|(_, m)| m.len() >= 2) {
            let base = members[0];
            for var in &members[1..] {
                for key in keys {
                    let vals = |rs: &[&RunReport]| -> Vec<(u32, f64)> {
                        let mut v: Vec<(u32, f64)> = rs
                            .iter()
                            .filter(|r| r.outcome.is_ok())
                            .filter_map(|r| r.metric(key).map(|x| (r.seed_index, x)))
                            .collect();
                        v.sort_by_key(|(s, _)| *s);
                        v
                    };
                    let b = vals(&base.1);
                    let pairs: Vec<(u32, f64)> = vals(&var.1)
                        .into_iter()
                        .filter_map(|(s, x)| b.iter().find(|(t, _)| *t == s).map(|(_, y)| (s, x - y)))
                        .collect();
                    let diffs: Vec<f64> = pairs.iter().map(|p| p.1).collect();
                    let summary = Summary::of(&diffs);
                    let significant = summary
                        .and_then(|s| s.ci95_lo.zip(s.ci95_hi))
                        .is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
                    out.push(PairedDiff {
                        axis: axis.clone(),
                        baseline: value_of(&base.0).unwrap_or_default(),
                        variant: value_of(&var.0).unwrap_or_default(),
                        others: others.clone(),
                        metric: key.to_string(),
                        summary,
                        significant,
                        pairs,
                    });
                }
            }
        }
    }
    out
}
