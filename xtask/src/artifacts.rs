//! `--artifacts` and `--pcap-payload`: which files the runs of `run` and `sweep` write
//! besides `summary.json` (the levels are [`reports::Artifacts`]).
//!
//! Defaults: `run` writes everything (captures headers-only). `sweep` writes `summary` and
//! `series` for every run, then its own charts, CSV/JSON and report, and the captures and
//! charts of the **example** runs only ([`reports::example_runs`]: per parameter point the
//! median seed by goodput), which the report links. The examples are known only once every
//! run of their point has finished, so they are run a second time with every artefact (a run
//! is a pure function of its scenario and seed: the second run must reproduce the first's
//! summary exactly, which is checked). With `--artifacts` given, every run writes exactly
//! those levels and no run is repeated.

use crate::runner::{RunContext, execute};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use reports::{Artifacts, RunReport};
use scenarios::RunSpec;
use std::path::Path;

/// The artefact options of `run` and `sweep`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ArtifactArgs {
    /// Which files each run writes besides summary.json: a comma list of summary, series
    /// (CSV tables), pcap (captures), charts, all. Default for `run`: all; for `sweep`:
    /// summary,series for every run, and captures and charts for the one example run per
    /// parameter point that the report links (the median seed by goodput).
    #[arg(long, value_name = "LIST")]
    pub artifacts: Option<Artifacts>,
    /// Keep every payload byte in the captures (default: headers only, snap length 128
    /// bytes, the payload's XXH3-64 in each packet comment).
    #[arg(long)]
    pub pcap_payload: bool,
}

impl ArtifactArgs {
    fn with_payload(&self, a: Artifacts) -> Artifacts {
        Artifacts {
            pcap_payload: self.pcap_payload,
            ..a
        }
    }

    /// What `run` writes.
    pub fn for_run(&self) -> Artifacts {
        self.with_payload(self.artifacts.unwrap_or_else(Artifacts::all))
    }

    /// What every run of a sweep writes.
    pub fn for_sweep_run(&self) -> Artifacts {
        self.with_payload(self.artifacts.unwrap_or(Artifacts {
            series: true,
            ..Artifacts::summary()
        }))
    }

    /// What the example runs of a sweep write, if they are treated apart.
    fn for_examples(&self) -> Option<Artifacts> {
        self.artifacts.is_none().then(|| self.with_payload(Artifacts::all()))
    }
}

impl ArtifactArgs {
    /// As recorded in a sweep's `manifest.json` (shards of one sweep must agree on it, and
    /// `merge` reads it back).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "levels": self.artifacts.map(|a| a.names().join(",")),
            "pcap_payload": self.pcap_payload,
        })
    }

    /// Reads [`ArtifactArgs::to_json`]; `None` for a manifest written before artefact levels
    /// existed (every run then holds everything).
    pub fn from_json(v: &serde_json::Value) -> Result<Option<Self>> {
        if v.is_null() {
            return Ok(None);
        }
        let artifacts = match v["levels"].as_str() {
            Some(l) => Some(l.parse::<Artifacts>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        Ok(Some(ArtifactArgs {
            artifacts,
            pcap_payload: v["pcap_payload"].as_bool().unwrap_or(false),
        }))
    }
}

/// Settles which runs among `reports` (complete runs in `out`, in sweep order) hold captures
/// and charts: each point's example gets every artefact (`rerun(i, dir)` runs run `i` again
/// into `dir` with them), and a run that held them but is no longer an example (a sweep
/// grown with more seeds, merged shards) is pruned back to the sweep's level, so a folder's
/// files never depend on how the sweep got there. Nothing happens when `--artifacts` was
/// given: every run then holds exactly those levels.
pub fn settle_examples(
    args: &ArtifactArgs,
    reports: &mut [RunReport],
    out: &Path,
    rerun: impl Fn(usize, &Artifacts, &Path) -> Result<RunReport> + Sync,
) -> Result<()> {
    let Some(level) = args.for_examples() else {
        return Ok(());
    };
    let base = args.for_sweep_run();
    let examples = reports::example_runs(reports);
    let mut todo = Vec::new();
    for (i, report) in reports.iter_mut().enumerate() {
        let dir = reports::run_dir(out, &report.run_id);
        if examples.binary_search(&i).is_err() {
            if report.artifacts != base && report.artifacts.covers(&base) {
                *report = reports::prune_run(&dir, &base)?;
                // The marker lists the files that remain (a kill before this leaves a
                // folder whose marker does not match: `--resume` runs it again).
                crate::folder::mark_complete(&dir)?;
            }
        } else if !report.artifacts.covers(&level) {
            todo.push(i);
        }
    }
    // The examples run again in parallel (on the caller's thread pool), each into its own
    // `.partial` folder; their results are then checked and moved in run order.
    let again: Vec<Result<RunReport>> = todo
        .par_iter()
        .map(|&i| {
            let dir = reports::run_dir(out, &reports[i].run_id);
            let partial = dir.with_extension("partial");
            if partial.exists() {
                std::fs::remove_dir_all(&partial)?;
            }
            std::fs::create_dir_all(&partial)?;
            rerun(i, &level, &partial).with_context(|| format!("example run {}", reports[i].run_id))
        })
        .collect();
    for (i, again) in todo.into_iter().zip(again) {
        let again = again?;
        let report = &mut reports[i];
        let id = report.run_id.clone();
        // Compared as `summary.json` holds it: without the per-buffer list (buffers.csv's).
        let mut written = RunReport {
            artifacts: report.artifacts,
            ..again.clone()
        };
        written.buffers.list.clear();
        let mut first = report.clone();
        first.buffers.list.clear();
        let same = written == first;
        if !same {
            bail!(
                "example run {id} did not reproduce its first run (fingerprints {} and {}): was it run by \
                 another offsim build (commit {})?",
                report.fingerprint,
                again.fingerprint,
                report.commit
            );
        }
        let dir = reports::run_dir(out, &id);
        let partial = dir.with_extension("partial");
        crate::folder::mark_complete(&partial)?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::rename(&partial, &dir)?;
        *report = again;
    }
    Ok(())
}

/// [`settle_examples`] for a sweep that just ran `specs` (the runs of `reports`, same order).
pub fn settle_sweep(
    args: &ArtifactArgs,
    specs: &[&RunSpec],
    reports: &mut [RunReport],
    ctx: &RunContext,
    out: &Path,
) -> Result<()> {
    settle_examples(args, reports, out, |i, level, dir| {
        let ctx = RunContext {
            artifacts: *level,
            ..ctx.clone()
        };
        execute(specs[i], &ctx, dir)
    })
}

/// [`settle_examples`] for merged shards: a run is rebuilt from its `summary.json` (its
/// resolved scenario, seed and parameters) and described as the shards described it.
pub fn settle_merge(
    args: &ArtifactArgs,
    reports: &mut [RunReport],
    scenario_path: &str,
    sets: &[String],
    out: &Path,
) -> Result<()> {
    let all = reports.to_vec();
    settle_examples(args, reports, out, |i, level, dir| {
        let r = &all[i];
        let scenario = scenarios::parse(&r.scenario_text, format!("{}/summary.json", r.run_id))?;
        let spec = RunSpec {
            run_id: r.run_id.clone(),
            scenario,
            params: r.params.clone(),
            seed: r.seed,
            seed_index: r.seed_index,
        };
        let ctx = RunContext {
            scenario_path: scenario_path.to_string(),
            version: r.version.clone(),
            commit: r.commit.clone(),
            artifacts: *level,
            sets: sets.to_vec(),
        };
        execute(&spec, &ctx, dir)
    })
}
