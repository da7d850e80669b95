//! Writing one run's folder ([`write_run`]) and a sweep's results ([`write_sweep`]).
//!
//! Sweep layout:
//! ```text
//! DIR/sweep.json                  scenario, description, version, counts
//! DIR/results.{csv,json}          one row per run (failed runs with their error)
//! DIR/aggregate.{csv,json}        per parameter point: n, mean, sd, 95% CI, min, max, seeds needed
//! DIR/paired.csv                  paired differences between variants (by seed index), with the
//!                                 paired t-test's p-value
//! DIR/charts/*.{png,svg}          retransmissions by source and by cause, metrics vs parameters
//! DIR/runs/<run_id>/...           each run's folder (write_run)
//! DIR/report/index.html           write_report: findings, key chart, tables
//! DIR/report/runs/<run_id>.html   write_report: one page per run
//! ```

use crate::aggregate::Aggregate;
use crate::charts::ChartInputs;
use crate::charts::{self, CcChart, CiChart, CiPoint, CiSeries, StackedBars, TimeSeq, XAxis};
use crate::info::RunInfo;
use crate::io::{csv_bytes, sanitize, write_atomic, write_json};
use crate::metrics::{RunReport, metric_label};
use crate::vocab::{Named, RETX_CAUSES};
use crate::{Artifacts, Result};
use models::record::RunLog;
use models::segment::DataSource;
use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of run `run_id` inside sweep folder `sweep_dir`: `sweep_dir/runs/<run_id>`
/// (sanitised for the file system).
pub fn run_dir(sweep_dir: &Path, run_id: &str) -> PathBuf {
    sweep_dir.join("runs").join(sanitize(run_id))
}

/// Writes everything about one run into `dir` (created if missing) and returns its summary:
/// `summary.json`, `segments.csv`, `acks.csv`, `cc.csv`, `buffers.csv`, one
/// `<link>.pcapng` per link direction, one `<conn>-sender.pcapng` per connection, and the
/// charts `timeseq-<conn>`, `cc-<conn>` (per connection, named as the scenario names it, else
/// `conn<N>`), `flows` (throughput per connection and bottleneck queues) and `retx-by-source`,
/// each as PNG and SVG. Captures are headers-only (see
/// [`write_run_with`] for the other artefact levels).
pub fn write_run(dir: &Path, info: &RunInfo, log: &RunLog) -> Result<RunReport> {
    write_run_with(dir, info, log, &Artifacts::all())
}

/// [`write_run`] with a choice of artefacts: `summary.json` always (recording `artifacts`);
/// `series`: `cc.csv`, `buffers.csv`; `pcap`: the per-packet records, `segments.csv`,
/// `acks.csv` and the pcapng captures; `charts`: the charts.
/// It is the streaming [`crate::RunWriter`] fed the whole log as one chunk.
pub fn write_run_with(dir: &Path, info: &RunInfo, log: &RunLog, artifacts: &Artifacts) -> Result<RunReport> {
    let mut w = crate::RunWriter::new(dir, info, artifacts)?;
    w.try_chunk(log, sim_core::SimTime::MAX)?;
    w.finish(info)
}

/// The per-run charts (see [`write_run`]) from their inputs, built as the run's log came.
pub(crate) fn write_charts(dir: &Path, info: &RunInfo, inputs: &ChartInputs, report: &RunReport) -> Result<()> {
    let t_end = inputs.t_end;
    for (c, s) in info.conns.iter().zip(&inputs.conns) {
        let who = format!(
            "{} {} ({} -> {})",
            info.scenario,
            info.conn_name(c.conn),
            c.sender.host,
            c.receiver.host
        );
        let ts = TimeSeq::new(
            format!("Time-sequence: {who}"),
            s,
            &inputs.offload,
            c.conn,
            &report.offload.handover,
        );
        let stem = info.conn_file_stem(c.conn);
        charts::render(dir, &format!("timeseq-{stem}"), &ts)?;
        let cc = CcChart::new(
            format!("Congestion state: {who}"),
            &s.cc,
            &inputs.offload,
            c.conn,
            t_end,
            &report.offload.handover,
            s.rwnd.clone(),
        );
        charts::render(dir, &format!("cc-{stem}"), &cc)?;
    }
    // Throughput per connection and the bottleneck queues, on one time axis.
    let t_flows = t_end.max(1e-6);
    let mut queues = Vec::new();
    let mut quiet_links = 0;
    let deepest = inputs.deepest;
    for l in 0..info.links.len() {
        let link = models::record::LinkId(l as u16);
        let samples = inputs.queue.get(l).map_or(&[][..], Vec::as_slice);
        match charts::queue_peaks(samples, link.0, t_flows, charts::FLOW_BINS, deepest.div_ceil(4)) {
            Some(p) => queues.push((info.link_name(link), p)),
            None => quiet_links += 1,
        }
    }
    let flows = charts::FlowsChart {
        title: format!("Throughput and queues: {} ({})", info.scenario, info.run_id),
        throughput: info
            .conns
            .iter()
            .zip(&inputs.conns)
            .map(|(c, s)| {
                (
                    info.conn_name(c.conn),
                    charts::throughput(&s.delivery, c.conn, t_flows, charts::RATE_BINS),
                )
            })
            .collect(),
        queues,
        quiet_links,
        queue_samples: inputs.queue_samples,
        bin_s: t_flows / charts::FLOW_BINS as f64,
        rate_bin_s: t_flows / charts::RATE_BINS as f64,
        t_end: t_flows,
    };
    charts::render(dir, "flows", &flows)?;
    let bars = retx_bars(
        RetxSplit::Source,
        format!(
            "Retransmissions by the buffer region they came from: {} ({})",
            info.scenario, info.run_id
        ),
        "Run",
        vec![info.run_id.clone()],
        &[vec![(report, 1.0)]],
        None,
        None,
    );
    charts::render(dir, "retx-by-source", &bars)
}

/// What a retransmission bar chart splits its bars by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetxSplit {
    /// The buffer region the first byte came from (`retransmissions.by_source`).
    Source,
    /// Why it was sent (`retransmissions.by_cause`).
    Cause,
}

/// Layers for the by-source bars: the summary's five sources with the resend region split
/// out of `delegated_unacked` for display.
fn source_layers(r: &RunReport) -> [(DataSource, f64); 6] {
    let s = &r.retransmissions.by_source;
    let resend = r.retransmissions.delegated_resend;
    [
        (DataSource::HostQueue, s.host_queue as f64),
        (
            DataSource::DelegatedUnacked,
            s.delegated_unacked.saturating_sub(resend) as f64,
        ),
        (DataSource::DelegatedResend, resend as f64),
        (DataSource::DelegatedUnsent, s.delegated_unsent as f64),
        (DataSource::PostedAfterOffload, s.posted_after_offload as f64),
        (DataSource::ReturnedAtUpload, s.returned_at_upload as f64),
    ]
}

/// A run's retransmissions split `split`'s way: (legend label, colour, count) bottom to top.
fn retx_layers(split: RetxSplit, r: &RunReport) -> Vec<(String, RGBColor, f64)> {
    match split {
        RetxSplit::Source => source_layers(r)
            .iter()
            .map(|&(src, v)| (src.legend().to_string(), src.colour(), v))
            .collect(),
        RetxSplit::Cause => RETX_CAUSES
            .iter()
            .map(|&c| {
                (
                    c.legend().to_string(),
                    c.colour(),
                    r.retransmissions.by_cause.get(c) as f64,
                )
            })
            .collect(),
    }
}

/// Stacked bars of mean retransmissions split by source or cause per category; `groups[i]`
/// holds the runs of category i with their weights (1/n for a mean). `whiskers`: the 95%
/// interval of the mean total per category (see [`crate::stats::count_ci95`]).
fn retx_bars(
    split: RetxSplit,
    title: String,
    x_label: &str,
    categories: Vec<String>,
    groups: &[Vec<(&RunReport, f64)>],
    whiskers: Option<Vec<Option<(f64, f64)>>>,
    grouping: Option<charts::Grouping>,
) -> StackedBars {
    let blank = retx_layers(split, &RunReport::default());
    let mut layers: Vec<(String, RGBColor, Vec<f64>)> = blank
        .into_iter()
        .enumerate()
        .map(|(k, (label, colour, _))| {
            let vals = groups
                .iter()
                .map(|g| {
                    let mut sum = 0.0;
                    for (r, w) in g {
                        sum += retx_layers(split, r)[k].2 * w;
                    }
                    sum
                })
                .collect();
            (label, colour, vals)
        })
        .collect();
    // The untagged layer only when something is in it (it should never be).
    if split == RetxSplit::Cause
        && let Some(last) = layers.last()
        && last.2.iter().all(|v| *v == 0.0)
    {
        layers.pop();
    }
    let mut note = vec!["Counted at the first hop (rule 12).".to_string()];
    if whiskers.is_some() {
        note.extend(
            [
                "Bars: mean per run across seeds.",
                "Whiskers: 95% CI of the mean total:",
                "Student t across seeds, cut at 0,",
                "widened to the exact Poisson (Garwood)",
                "interval where that is wider, so rare",
                "counts (0 in every seed) keep an interval.",
            ]
            .map(String::from),
        );
    }
    StackedBars {
        title,
        y_label: "Retransmitted segments per run".into(),
        x_label: x_label.into(),
        categories,
        layers,
        whiskers: whiskers.map(|w| ("total: 95% CI of the mean".to_string(), w)),
        grouping,
        note,
    }
}

/// Sweep-level description, `sweep.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SweepMeta {
    pub scenario: String,
    pub description: String,
    pub version: String,
    pub commit: String,
    pub runs: u64,
    pub failed: u64,
    pub points: u64,
    pub axes: Vec<String>,
    /// Charts in `charts/`, by stem, in display order.
    pub charts: Vec<String>,
    /// The scenario text of the first run (the sweep's base scenario, expanded).
    pub scenario_text: String,
    /// Every build (`version (commit)`) whose runs are in the sweep, in run order, when there
    /// is more than one (a sweep resumed with `--allow-mixed-builds`); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builds: Vec<String>,
}

/// One run in `results.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResultRow {
    pub run_id: String,
    /// The run's folder relative to the sweep folder.
    pub dir: String,
    pub seed: u64,
    pub seed_index: u32,
    pub params: Vec<(String, String)>,
    pub status: String,
    pub error: Option<String>,
    pub integrity_ok: bool,
    pub fingerprint: String,
    pub command: String,
    pub metrics: BTreeMap<String, Option<f64>>,
    /// The example run of its parameter point ([`crate::example_runs`]): the report links its
    /// captures and charts (a sweep writes those only for the examples by default).
    #[serde(default)]
    pub example: bool,
}

fn result_row(r: &RunReport) -> ResultRow {
    ResultRow {
        run_id: r.run_id.clone(),
        dir: format!("runs/{}", sanitize(&r.run_id)),
        seed: r.seed,
        seed_index: r.seed_index,
        params: r.point_params(),
        status: if r.outcome.is_ok() { "ok" } else { "failed" }.to_string(),
        error: r.outcome.error().map(str::to_string),
        integrity_ok: r.integrity_ok,
        fingerprint: r.fingerprint.clone(),
        command: r.command.clone(),
        metrics: r.all_metrics().into_iter().collect(),
        example: false,
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| format!("{x}"))
}

fn results_csv(axes: &[String], runs: &[RunReport]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let keys = crate::metrics::metric_keys(runs);
    let mut head: Vec<String> = ["run_id", "dir", "seed", "seed_index"].map(String::from).to_vec();
    head.extend(axes.iter().cloned());
    head.extend(["status", "error", "integrity_ok", "fingerprint"].map(String::from));
    head.extend(keys.iter().map(|k| k.to_string()));
    w.write_record(&head)?;
    for r in runs {
        let row = result_row(r);
        let mut rec = vec![row.run_id, row.dir, row.seed.to_string(), row.seed_index.to_string()];
        for a in axes {
            rec.push(
                row.params
                    .iter()
                    .find(|(k, _)| k == a)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            );
        }
        rec.extend([
            row.status,
            row.error.unwrap_or_default(),
            row.integrity_ok.to_string(),
            row.fingerprint,
        ]);
        rec.extend(keys.iter().map(|k| fmt_opt(row.metrics.get(k).copied().flatten())));
        w.write_record(&rec)?;
    }
    w.into_inner()
        .map_err(|e| crate::ReportError::Invalid(format!("csv flush: {e}")))
}

fn aggregate_csv(agg: &Aggregate) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(agg.axes.iter().cloned());
    head.extend(
        [
            "runs",
            "failed",
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_lo",
            "ci95_hi",
            "ci95_half_width",
            "min",
            "max",
        ]
        .map(String::from),
    );
    head.extend(["target_half_width", "seeds_for_target"].map(String::from));
    w.write_record(&head)?;
    for p in &agg.points {
        for m in &p.metrics {
            let mut rec = vec![p.label.clone()];
            for a in &agg.axes {
                rec.push(
                    p.params
                        .iter()
                        .find(|(k, _)| k == a)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                );
            }
            rec.extend([p.runs.to_string(), p.failed.len().to_string(), m.metric.clone()]);
            let s = m.summary;
            rec.push(s.map_or(0, |s| s.n).to_string());
            for v in [
                s.map(|s| s.mean),
                s.map(|s| s.sd),
                s.and_then(|s| s.ci95_lo),
                s.and_then(|s| s.ci95_hi),
            ] {
                rec.push(fmt_opt(v));
            }
            for v in [
                s.and_then(|s| s.ci95_half_width),
                s.map(|s| s.min),
                s.map(|s| s.max),
                m.target_half_width,
            ] {
                rec.push(fmt_opt(v));
            }
            rec.push(m.seeds_for_target.map_or_else(String::new, |n| n.to_string()));
            w.write_record(&rec)?;
        }
    }
    w.into_inner()
        .map_err(|e| crate::ReportError::Invalid(format!("csv flush: {e}")))
}

#[derive(Serialize)]
struct PairedRow<'a> {
    axis: &'a str,
    baseline: &'a str,
    variant: &'a str,
    others: String,
    metric: &'a str,
    n_pairs: u64,
    mean_diff: Option<f64>,
    ci95_lo: Option<f64>,
    ci95_hi: Option<f64>,
    /// Two-sided paired t-test of "mean difference = 0" (absent for fewer than 2 pairs): the
    /// test the report's finding sentences use.
    p_value: Option<f64>,
    significant: bool,
}

/// The metrics charted against parameters, in display order.
pub(crate) const KEY_METRICS: [&str; 6] = [
    "goodput_bps",
    "completion_time_s",
    "retransmissions.total",
    "spurious_retransmissions",
    "rto_count",
    "pinned_p99_ms",
];

/// Writes a sweep's results, statistics and charts into `dir` and returns the aggregate.
/// `runs` are in sweep order (the order points and values appear in every output); write
/// each run's folder first with [`write_run`] into [`run_dir`].
pub fn write_sweep(dir: &Path, runs: &[RunReport]) -> Result<Aggregate> {
    write_sweep_with(dir, runs, &LineCharts::default())
}

/// [`write_sweep`] with the line charts drawn as `lines` says (e.g. which axes are
/// probabilities, shown in %).
pub fn write_sweep_with(dir: &Path, runs: &[RunReport], lines: &LineCharts) -> Result<Aggregate> {
    let agg = Aggregate::from_runs(runs, Aggregate::DEFAULT_TARGET);
    let examples = crate::example_runs(runs);
    let rows: Vec<ResultRow> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| ResultRow {
            example: examples.binary_search(&i).is_ok(),
            ..result_row(r)
        })
        .collect();
    write_json(&dir.join("results.json"), &rows)?;
    write_atomic(&dir.join("results.csv"), &results_csv(&agg.axes, runs)?)?;
    write_json(&dir.join("aggregate.json"), &agg)?;
    write_atomic(&dir.join("aggregate.csv"), &aggregate_csv(&agg)?)?;
    let paired: Vec<PairedRow<'_>> = agg
        .paired
        .iter()
        .map(|d| PairedRow {
            axis: &d.axis,
            baseline: &d.baseline,
            variant: &d.variant,
            others: crate::info::params_label(&d.others),
            metric: &d.metric,
            n_pairs: d.summary.map_or(0, |s| s.n),
            mean_diff: d.summary.map(|s| s.mean),
            ci95_lo: d.summary.and_then(|s| s.ci95_lo),
            ci95_hi: d.summary.and_then(|s| s.ci95_hi),
            p_value: crate::findings::PairedTest::of(&d.pairs.iter().map(|p| p.1).collect::<Vec<_>>()).map(|t| t.p),
            significant: d.significant,
        })
        .collect();
    write_atomic(&dir.join("paired.csv"), &csv_bytes(&paired)?)?;
    let charts = sweep_charts(&dir.join("charts"), runs, &agg, lines)?;
    let first = runs.first();
    let meta = SweepMeta {
        scenario: first.map(|r| r.scenario.clone()).unwrap_or_default(),
        description: first.map(|r| r.description.clone()).unwrap_or_default(),
        version: first.map(|r| r.version.clone()).unwrap_or_default(),
        commit: first.map(|r| r.commit.clone()).unwrap_or_default(),
        runs: runs.len() as u64,
        failed: runs.iter().filter(|r| !r.outcome.is_ok()).count() as u64,
        points: agg.points.len() as u64,
        axes: agg.axes.clone(),
        charts,
        scenario_text: first.map(|r| r.scenario_text.clone()).unwrap_or_default(),
        builds: builds(runs),
    };
    write_json(&dir.join("sweep.json"), &meta)?;
    Ok(agg)
}

/// The distinct builds of `runs` (`version (commit)`, in run order) if there are several.
fn builds(runs: &[RunReport]) -> Vec<String> {
    let mut builds: Vec<String> = Vec::new();
    for r in runs {
        let b = format!("{} ({})", r.version, r.commit);
        if !builds.contains(&b) {
            builds.push(b);
        }
    }
    if builds.len() > 1 { builds } else { Vec::new() }
}

/// The axes whose values are all numbers and take at least two values, with those values.
pub(crate) fn numeric_axes(agg: &Aggregate) -> Vec<String> {
    agg.axes
        .iter()
        .filter(|a| {
            let vals: Vec<&str> = agg
                .points
                .iter()
                .filter_map(|p| p.params.iter().find(|(k, _)| k == *a).map(|(_, v)| v.as_str()))
                .collect();
            let mut distinct: Vec<&str> = vals.clone();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len() >= 2 && vals.iter().all(|v| v.parse::<f64>().is_ok())
        })
        .cloned()
        .collect()
}

/// CI point of a metric at a point (display-scaled).
fn ci_point(p: &crate::aggregate::PointAggregate, metric: &str, x: f64) -> Option<CiPoint> {
    let (_, _, scale) = metric_label(metric);
    let s = p.metric(metric)?.summary?;
    let ci = if is_count(metric) {
        crate::stats::count_ci95(&s)
    } else {
        s.ci95_lo.zip(s.ci95_hi)
    };
    Some(CiPoint {
        x,
        mean: s.mean * scale,
        ci: ci.map(|(a, b)| (a * scale, b * scale)),
    })
}

/// Whether `metric` counts events per run (its interval is [`crate::stats::count_ci95`]).
pub(crate) fn is_count(metric: &str) -> bool {
    metric.starts_with("retransmissions.")
        || matches!(metric, "rto_count" | "spurious_retransmissions")
        || metric.ends_with(".rto_count")
}

/// The chart note lines saying which 95% interval the whiskers of `metric` are.
pub(crate) fn interval_note(metric: &str) -> Vec<String> {
    let lines: &[&str] = if is_count(metric) {
        &[
            "Mean with 95% CI: Student t cut at 0,",
            "widened to the exact Poisson interval",
            "where wider (rare counts).",
        ]
    } else {
        &["Mean with 95% CI (Student t)."]
    };
    lines.iter().map(|l| l.to_string()).collect()
}

/// The value of `axis` in `params` ("–" if the point lacks it).
fn param<'a>(params: &'a [(String, String)], axis: &str) -> &'a str {
    params.iter().find(|(k, _)| k == axis).map_or("–", |(_, v)| v.as_str())
}

pub(crate) fn metric_axis_label(metric: &str) -> (String, String) {
    let (label, unit, _) = metric_label(metric);
    let label = if label.is_empty() {
        metric.to_string()
    } else {
        label.to_string()
    };
    (label.clone(), format!("{label} [{unit}]"))
}

fn sweep_charts(dir: &Path, runs: &[RunReport], agg: &Aggregate, lines: &LineCharts) -> Result<Vec<String>> {
    let mut written = Vec::new();
    // Retransmissions by source: one bar per point, mean across successful seeds.
    let groups: Vec<Vec<(&RunReport, f64)>> = agg
        .points
        .iter()
        .map(|p| {
            let rs: Vec<&RunReport> = runs
                .iter()
                .filter(|r| r.outcome.is_ok() && r.point_params() == p.params)
                .collect();
            let w = 1.0 / rs.len().max(1) as f64;
            rs.into_iter().map(|r| (r, w)).collect()
        })
        .collect();
    let whiskers: Vec<Option<(f64, f64)>> = agg
        .points
        .iter()
        .map(|p| {
            p.metric("retransmissions.total")
                .and_then(|m| m.summary)
                .and_then(|s| crate::stats::count_ci95(&s))
        })
        .collect();
    let scenario = runs.first().map_or("", |r| r.scenario.as_str());
    // With two or more axes the bars are grouped by the first (outer) one, written once under
    // its group; each bar is labelled with the other axes' values, one line per axis.
    let outer = (agg.axes.len() >= 2).then(|| agg.axes[0].clone());
    let inner: Vec<&String> = agg.axes.iter().filter(|a| Some(*a) != outer.as_ref()).collect();
    let x_label = if agg.axes.is_empty() {
        "Parameter point".to_string()
    } else {
        format!(
            "Parameter point ({})",
            inner.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" / ")
        )
    };
    let cats: Vec<String> = agg
        .points
        .iter()
        .map(|p| {
            if p.params.is_empty() {
                p.label.clone()
            } else {
                inner.iter().map(|a| param(&p.params, a)).collect::<Vec<_>>().join("\n")
            }
        })
        .collect();
    let grouping = || {
        outer.as_ref().map(|a| charts::Grouping {
            axis: a.clone(),
            values: agg.points.iter().map(|p| param(&p.params, a).to_string()).collect(),
        })
    };
    for (split, stem, what) in [
        (
            RetxSplit::Source,
            "retx-by-source",
            "Retransmissions by the buffer region they came from",
        ),
        (
            RetxSplit::Cause,
            "retx-by-cause",
            "Retransmissions by why they were sent",
        ),
    ] {
        let bars = retx_bars(
            split,
            format!("{what}: {scenario}"),
            &x_label,
            cats.clone(),
            &groups,
            Some(whiskers.clone()),
            grouping(),
        );
        charts::render(dir, stem, &bars)?;
        written.push(stem.to_string());
    }
    written.extend(line_charts(dir, agg, scenario, lines)?);
    Ok(written)
}

/// How the sweep's line charts (a metric's mean with its 95% CI against a numeric axis) are
/// drawn: `report --x AXIS --series AXIS`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineCharts {
    /// The x axis (a numeric sweep axis); default: one chart per numeric axis.
    pub x: Option<String>,
    /// The axis whose values are the lines (any other axis), the remaining axes giving one
    /// chart per combination of their values; default: one line per combination of all the
    /// other axes.
    pub series: Option<String>,
    /// Axes whose values are probabilities, shown as % on the x axis.
    pub percent: Vec<String>,
}

impl LineCharts {
    /// True when the axes are chosen (not the default charts).
    pub fn chosen(&self) -> bool {
        self.x.is_some() || self.series.is_some()
    }

    /// Checks the choice against the sweep's axes: the x axis must be a numeric axis, the
    /// series axis another axis of the sweep.
    pub(crate) fn check(&self, agg: &Aggregate) -> Result<()> {
        let numeric = numeric_axes(agg);
        let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        if let Some(x) = &self.x
            && !numeric.contains(x)
        {
            let why = if agg.axes.contains(x) {
                "is not numeric (or takes one value)"
            } else {
                "is not an axis of this sweep"
            };
            return Err(crate::ReportError::Invalid(format!(
                "--x {x}: {why}; the numeric axes are: {}",
                list(&numeric)
            )));
        }
        if let Some(s) = &self.series {
            if !agg.axes.contains(s) {
                return Err(crate::ReportError::Invalid(format!(
                    "--series {s}: not an axis of this sweep; its axes are: {}",
                    list(&agg.axes)
                )));
            }
            if self.x.as_ref() == Some(s) {
                return Err(crate::ReportError::Invalid(format!(
                    "--series {s}: the same axis as --x; choose another of: {}",
                    list(&agg.axes.iter().filter(|a| *a != s).cloned().collect::<Vec<_>>())
                )));
            }
            if self.x.is_none() && !numeric.iter().any(|a| a != s) {
                return Err(crate::ReportError::Invalid(format!(
                    "--series {s}: no other numeric axis to draw against (numeric axes: {})",
                    list(&numeric)
                )));
            }
        }
        Ok(())
    }
}

/// One (axis, value) of a point.
type Param = (String, String);

/// The value of `axis` at a point as a number, if it is one.
fn num_param(params: &[(String, String)], axis: &str) -> Option<f64> {
    params.iter().find(|(k, _)| k == axis)?.1.parse().ok()
}

/// One line per `line_of(point)` (its label), its points at the x axis' values, sorted by x.
fn series_of(
    agg: &Aggregate,
    axis: &str,
    metric: &str,
    keep: &dyn Fn(&[Param]) -> bool,
    line_of: &dyn Fn(&[Param]) -> String,
) -> Vec<CiSeries> {
    let mut series: Vec<CiSeries> = Vec::new();
    for p in agg.points.iter().filter(|p| keep(&p.params)) {
        let Some(x) = num_param(&p.params, axis) else { continue };
        let Some(pt) = ci_point(p, metric, x) else { continue };
        let name = line_of(&p.params);
        match series.iter_mut().find(|s| s.label == name) {
            Some(s) => s.points.push(pt),
            None => series.push(CiSeries {
                label: name,
                points: vec![pt],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    series
}

/// Writes the line charts into `dir` as `opts` chooses and returns their stems in display
/// order: per key metric (and goodput per connection for multi-connection runs) against the
/// x axis. Default stems `<metric>-vs-<x>`; with a series axis `<metric>-vs-<x>-by-<series>`,
/// plus `-at-<other axes' values>` when other axes remain.
pub(crate) fn line_charts(dir: &Path, agg: &Aggregate, scenario: &str, opts: &LineCharts) -> Result<Vec<String>> {
    opts.check(agg)?;
    let mut written = Vec::new();
    let numeric = numeric_axes(agg);
    let xs: Vec<String> = match (&opts.x, &opts.series) {
        (Some(x), _) => vec![x.clone()],
        (None, Some(s)) => numeric.iter().filter(|a| *a != s).cloned().collect(),
        (None, None) => numeric.clone(),
    };
    let x_axis = |axis: &str| {
        if opts.percent.iter().any(|a| a == axis) {
            XAxis::Percent(axis.to_string())
        } else {
            XAxis::Numeric(axis.to_string())
        }
    };
    // Goodput per connection when the runs have several connections.
    let conns: Vec<String> = agg
        .points
        .first()
        .map(|p| {
            p.metrics
                .iter()
                .filter_map(|m| {
                    m.metric
                        .strip_prefix("conn.")?
                        .strip_suffix(".goodput_bps")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut metrics: Vec<(String, Option<String>)> = KEY_METRICS.iter().map(|m| (m.to_string(), None)).collect();
    if let Some(c) = conns.first().filter(|_| conns.len() >= 2) {
        metrics.push((format!("conn.{c}.goodput_bps"), Some(c.clone())));
    }
    if numeric.is_empty() && !opts.chosen() {
        // No numeric axis: each key metric per point, side by side.
        for metric in KEY_METRICS {
            let (label, y_label) = metric_axis_label(metric);
            let cats: Vec<String> = agg.points.iter().map(|p| p.label.clone()).collect();
            let pts = agg
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| ci_point(p, metric, i as f64))
                .collect();
            let mut note = interval_note(metric);
            note.push(seeds_note(agg, metric));
            let chart = CiChart {
                title: format!("{label}: {scenario}"),
                y_label,
                x: XAxis::Categories("Parameter point".into(), cats),
                series: vec![CiSeries {
                    label: scenario.to_string(),
                    points: pts,
                }],
                note,
                non_negative: true,
            };
            let stem = format!("{}-by-point", sanitize(metric));
            charts::render(dir, &stem, &chart)?;
            written.push(stem);
        }
        return Ok(written);
    }
    for (metric, conn) in &metrics {
        // Per connection: one line per connection in one chart (default only).
        if conn.is_some() && opts.series.is_some() {
            continue;
        }
        for axis in &xs {
            // The other axes: the series axis gives the lines; the rest give one chart per
            // combination (with a series axis) or join the line label (without).
            let rest: Vec<&String> = agg
                .axes
                .iter()
                .filter(|a| *a != axis && Some(*a) != opts.series.as_ref())
                .collect();
            let panels: Vec<Vec<(String, String)>> = match &opts.series {
                Some(_) if !rest.is_empty() => {
                    let mut v: Vec<Vec<(String, String)>> = Vec::new();
                    for p in &agg.points {
                        let at: Vec<(String, String)> =
                            p.params.iter().filter(|(k, _)| rest.contains(&k)).cloned().collect();
                        if !v.contains(&at) {
                            v.push(at);
                        }
                    }
                    v
                }
                _ => vec![Vec::new()],
            };
            for at in &panels {
                let keep = |params: &[(String, String)]| at.iter().all(|kv| params.contains(kv));
                let series = if conn.is_some() {
                    let mut all = Vec::new();
                    for c in &conns {
                        let line = |params: &[(String, String)]| {
                            let others: Vec<(String, String)> =
                                params.iter().filter(|(k, _)| k != axis).cloned().collect();
                            if others.is_empty() {
                                c.clone()
                            } else {
                                format!("{c}, {}", crate::info::params_label(&others))
                            }
                        };
                        all.extend(series_of(agg, axis, &format!("conn.{c}.goodput_bps"), &keep, &line));
                    }
                    all
                } else {
                    let line = |params: &[(String, String)]| match &opts.series {
                        Some(s) => format!("{s}={}", param(params, s)),
                        None => {
                            let others: Vec<(String, String)> =
                                params.iter().filter(|(k, _)| k != axis).cloned().collect();
                            if others.is_empty() {
                                scenario.to_string()
                            } else {
                                crate::info::params_label(&others)
                            }
                        }
                    };
                    series_of(agg, axis, metric, &keep, &line)
                };
                let (title, y_label, stem, mut note) = if conn.is_some() {
                    (
                        format!("Goodput per connection vs {axis}: {scenario}"),
                        "Goodput [Mbit/s]".to_string(),
                        format!("conn-goodput-vs-{}", sanitize(axis)),
                        vec!["Mean with 95% CI (Student t), one line per connection.".to_string()],
                    )
                } else {
                    let (label, y_label) = metric_axis_label(metric);
                    let mut title = format!("{label} vs {axis}");
                    let mut stem = format!("{}-vs-{}", sanitize(metric), sanitize(axis));
                    if let Some(s) = &opts.series {
                        title.push_str(&format!(", one line per {s}"));
                        stem.push_str(&format!("-by-{}", sanitize(s)));
                    }
                    if !at.is_empty() {
                        let l = crate::info::params_label(at);
                        title.push_str(&format!(" at {l}"));
                        stem.push_str(&format!("-at-{}", sanitize(&l)));
                    }
                    title.push_str(&format!(": {scenario}"));
                    let mut note = interval_note(metric);
                    note.push(seeds_note(agg, metric));
                    (title, y_label, stem, note)
                };
                if opts.percent.iter().any(|a| a == axis) {
                    note.push(format!("{axis} is a probability, shown in %."));
                }
                let chart = CiChart {
                    title,
                    y_label,
                    x: x_axis(axis),
                    series,
                    note,
                    non_negative: true,
                };
                charts::render(dir, &stem, &chart)?;
                written.push(stem);
            }
        }
    }
    Ok(written)
}

/// "n = ... seeds per point." for `metric`.
fn seeds_note(agg: &Aggregate, metric: &str) -> String {
    let ns: Vec<u64> = agg
        .points
        .iter()
        .filter_map(|p| p.metric(metric)?.summary.map(|s| s.n))
        .collect();
    let (lo, hi) = (
        ns.iter().min().copied().unwrap_or(0),
        ns.iter().max().copied().unwrap_or(0),
    );
    if lo == hi {
        format!("n = {lo} seeds per point.")
    } else {
        format!("n = {lo}-{hi} seeds per point.")
    }
}
