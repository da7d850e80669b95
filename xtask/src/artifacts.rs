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

/// Gives the example runs among `reports` (the runs of `specs`, in the same order) every
/// artefact, by running each again into its folder, unless `--artifacts` was given or the
/// folder already holds them (a resumed sweep).
pub fn write_examples(
    args: &ArtifactArgs,
    specs: &[&RunSpec],
    reports: &mut [RunReport],
    ctx: &RunContext,
    out: &Path,
) -> Result<()> {
    let Some(level) = args.for_examples() else {
        return Ok(());
    };
    let ctx = RunContext {
        artifacts: level,
        ..ctx.clone()
    };
    for i in reports::example_runs(reports) {
        if reports[i].artifacts.covers(&level) {
            continue;
        }
        let spec = specs[i];
        let dir = reports::run_dir(out, &spec.run_id);
        let partial = dir.with_extension("partial");
        if partial.exists() {
            std::fs::remove_dir_all(&partial)?;
        }
        std::fs::create_dir_all(&partial)?;
        let again = execute(spec, &ctx, &partial).with_context(|| format!("example run {}", spec.run_id))?;
        let same = RunReport {
            artifacts: reports[i].artifacts,
            ..again.clone()
        } == reports[i];
        if !same {
            bail!(
                "example run {} did not reproduce its first run (fingerprints {} and {}): the simulation is not \
                 deterministic",
                spec.run_id,
                reports[i].fingerprint,
                again.fingerprint
            );
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::rename(&partial, &dir)?;
        reports[i] = again;
    }
    Ok(())
}
