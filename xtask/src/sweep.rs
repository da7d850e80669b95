//! Sweeps: expand a scenario's axes × seeds, run the runs in parallel, write every run's
//! folder and the sweep's results and report. Also sharding (`--shard I/N`), resuming, and
//! merging shard folders.
//!
//! Layout of a sweep folder:
//! - `manifest.json`: the scenario file's path and text, the seed override, and every run id
//!   of the whole sweep in expansion order (the same for every shard and for the merge).
//! - `runs/<run_id>/`: one folder per run. A run is written into `runs/<run_id>.partial/` and
//!   renamed when complete, so a folder without the suffix is always whole; `--resume` reuses
//!   those and deletes partial ones.
//! - `results.*`, `aggregate.*`, `paired.csv`, `sweep.json`, `charts/`, `report/index.html`.
//!
//! Results are collected in run order, never completion order, so every file is identical
//! whatever `--jobs` is.

use crate::runner::{RunContext, execute};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use reports::RunReport;
use scenarios::sweep::Seeds;
use scenarios::{RunSpec, Scenario};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// A slice of a sweep: runs whose expansion index `k` has `k % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 0.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
        let index: usize = i.trim().parse().map_err(|_| format!("`{i}` is not a shard index"))?;
        let count: usize = n.trim().parse().map_err(|_| format!("`{n}` is not a shard count"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// A seed override: `N` seeds, or the seeds `A..B` (B excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedsArg(pub Seeds);

impl std::str::FromStr for SeedsArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some((a, b)) = s.split_once("..") {
            let a: u64 = a.trim().parse().map_err(|_| format!("`{a}` is not a seed"))?;
            let b: u64 = b.trim().parse().map_err(|_| format!("`{b}` is not a seed"))?;
            if b <= a || b - a > 100_000 {
                return Err(format!("seeds {a}..{b}: need A < B and at most 100000 seeds"));
            }
            Ok(SeedsArg(Seeds::List((a..b).collect())))
        } else {
            let n: u32 = s
                .trim()
                .parse()
                .map_err(|_| format!("`{s}`: expected a count N or a range A..B"))?;
            if n == 0 {
                return Err("at least one seed".into());
            }
            Ok(SeedsArg(Seeds::Count(n)))
        }
    }
}

/// Everything a sweep invocation says.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    /// The scenario file.
    pub file: PathBuf,
    /// Seed override.
    pub seeds: Option<SeedsArg>,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
    /// Output folder.
    pub out: PathBuf,
    /// Reuse complete runs already in `out`.
    pub resume: bool,
    /// Only this slice.
    pub shard: Option<Shard>,
    /// `--artifacts`, `--pcap-payload`.
    pub artifacts: crate::artifacts::ArtifactArgs,
}

/// Loads, validates and expands a scenario file; `seeds` overrides its seed list.
pub fn expand_file(file: &Path, seeds: Option<&SeedsArg>) -> Result<(Scenario, String, Vec<RunSpec>)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut scenario = scenarios::parse(&text, file.display().to_string())?;
    scenarios::validate(&scenario).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        )
    })?;
    if let Some(SeedsArg(s)) = seeds {
        let sweep = scenario.sweep.get_or_insert_with(Default::default);
        sweep.seeds = s.clone();
    }
    let runs = scenarios::expand(&scenario)?;
    Ok((scenario, text, runs))
}

fn manifest(
    file: &Path,
    text: &str,
    seeds: Option<&SeedsArg>,
    runs: &[RunSpec],
    artifacts: &crate::artifacts::ArtifactArgs,
) -> serde_json::Value {
    let seeds = seeds.map(|s| format!("{:?}", s.0));
    json!({
        "scenario_path": file.display().to_string(),
        "scenario_text": text,
        "seeds_override": seeds,
        "runs": runs.iter().map(|r| &r.run_id).collect::<Vec<_>>(),
        "artifacts": artifacts.to_json(),
    })
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(v)?;
    bytes.push(b'\n');
    reports::write_atomic(path, &bytes)?;
    Ok(())
}

/// What a sweep produced.
pub struct SweepResult {
    /// Runs executed or reused, in run order.
    pub reports: Vec<RunReport>,
    /// How many were reused from a previous invocation.
    pub reused: usize,
}

/// Runs (the selected slice of) a sweep and writes its folder and report.
pub fn run(plan: &SweepPlan) -> Result<SweepResult> {
    let (_, text, runs) = expand_file(&plan.file, plan.seeds.as_ref())?;
    let ctx = RunContext {
        artifacts: plan.artifacts.for_sweep_run(),
        ..RunContext::new(&plan.file)
    };
    std::fs::create_dir_all(plan.out.join("runs")).with_context(|| format!("creating {}", plan.out.display()))?;
    remove_partials(&plan.out)?;
    write_json(
        &plan.out.join("manifest.json"),
        &manifest(&plan.file, &text, plan.seeds.as_ref(), &runs, &plan.artifacts),
    )?;
    let selected: Vec<&RunSpec> = match plan.shard {
        Some(s) => {
            write_json(
                &plan.out.join("shard.json"),
                &json!({ "index": s.index, "count": s.count }),
            )?;
            runs.iter()
                .enumerate()
                .filter(|(k, _)| k % s.count == s.index)
                .map(|(_, r)| r)
                .collect()
        }
        None => runs.iter().collect(),
    };
    let bar = progress(selected.len() as u64);
    let failed = std::sync::atomic::AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.jobs.unwrap_or(0))
        .build()?;
    let outcomes: Vec<Result<(RunReport, bool)>> = pool.install(|| {
        selected
            .par_iter()
            .map(|spec| {
                let r = run_one(spec, &ctx, &plan.out, plan.resume);
                if !matches!(&r, Ok((rep, _)) if rep.outcome.is_ok()) {
                    let n = failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    bar.set_message(format!("{n} failed"));
                }
                bar.inc(1);
                r
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut reports = Vec::with_capacity(outcomes.len());
    let mut reused = 0;
    for o in outcomes {
        let (rep, was_reused) = o?;
        reused += was_reused as usize;
        reports.push(rep);
    }
    pool.install(|| crate::artifacts::settle_sweep(&plan.artifacts, &selected, &mut reports, &ctx, &plan.out))?;
    finish(&plan.out, &reports)?;
    Ok(SweepResult { reports, reused })
}

fn progress(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {msg} [{elapsed} elapsed, ETA {eta}]")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("0 failed");
    bar
}

/// Runs one run into its folder (or reuses a complete one); `bool` = reused.
fn run_one(spec: &RunSpec, ctx: &RunContext, out: &Path, resume: bool) -> Result<(RunReport, bool)> {
    let dir = reports::run_dir(out, &spec.run_id);
    if resume
        && dir.is_dir()
        && let Some(report) = reusable(&dir, spec)
        && report.artifacts.covers(&ctx.artifacts)
    {
        return Ok((report, true));
    }
    let partial = dir.with_extension("partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    std::fs::create_dir_all(&partial)?;
    let report = execute(spec, ctx, &partial)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::rename(&partial, &dir)?;
    Ok((report, false))
}

/// The report of the complete run folder `dir` if it is a run of `spec`: the run id alone does
/// not cover the whole scenario (editing, say, the transfer size keeps the ids), so the
/// recorded resolved scenario and seed must match too. Anything else is run again.
fn reusable(dir: &Path, spec: &RunSpec) -> Option<RunReport> {
    let report = RunReport::read(&dir.join("summary.json")).ok()?;
    let same = report.run_id == spec.run_id
        && report.seed == spec.seed
        && report.scenario_text == crate::runner::scenario_text(spec);
    same.then_some(report)
}

/// Removes what an interrupted invocation can leave behind: `runs/*.partial/` folders and the
/// temporary files of [`reports::write_atomic`] (`.NAME.tmpPID`) in the sweep folder,
/// `charts/` and `report/`.
fn remove_partials(out: &Path) -> Result<()> {
    for entry in std::fs::read_dir(out.join("runs"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "partial") {
            std::fs::remove_dir_all(&path)?;
        }
    }
    for dir in [out.to_path_buf(), out.join("charts"), out.join("report")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() && is_atomic_temp(&entry.file_name().to_string_lossy()) {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Whether `name` is a temporary file of [`reports::write_atomic`]: `.NAME.tmp<pid>`.
fn is_atomic_temp(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Writes the sweep-level results and the HTML report.
fn finish(out: &Path, reports: &[RunReport]) -> Result<()> {
    reports::write_sweep(out, reports)?;
    reports::write_report(out)?;
    Ok(())
}

/// Combines shard folders into one sweep folder, identical to the unsharded sweep's.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<Vec<RunReport>> {
    let Some(first) = shards.first() else {
        bail!("merge needs at least one shard folder")
    };
    let read = |d: &Path| -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(d.join("manifest.json"))
            .with_context(|| format!("{}: not a sweep folder (no manifest.json)", d.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let m = read(first)?;
    for d in &shards[1..] {
        if read(d)? != m {
            bail!(
                "{} and {} are shards of different sweeps (manifests differ)",
                first.display(),
                d.display()
            );
        }
    }
    let ids: Vec<String> = serde_json::from_value(m["runs"].clone())?;
    std::fs::create_dir_all(out.join("runs"))?;
    remove_partials(out)?;
    let mut reports = Vec::with_capacity(ids.len());
    for id in &ids {
        let src = shards
            .iter()
            .map(|d| reports::run_dir(d, id))
            .find(|p| p.is_dir())
            .with_context(|| format!("run {id} is in none of the shard folders"))?;
        let dst = reports::run_dir(out, id);
        if src != dst {
            copy_dir(&src, &dst)?;
        }
        reports.push(RunReport::read(&dst.join("summary.json"))?);
    }
    if let Some(args) = crate::artifacts::ArtifactArgs::from_json(&m["artifacts"])? {
        let path = m["scenario_path"].as_str().unwrap_or_default();
        crate::artifacts::settle_merge(&args, &mut reports, path, out)?;
    }
    write_json(&out.join("manifest.json"), &m)?;
    finish(out, &reports)?;
    Ok(reports)
}

fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    let tmp = dst.with_extension("partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let mut entries: Vec<_> = std::fs::read_dir(src)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &tmp.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), tmp.join(e.file_name()))?;
        }
    }
    if dst.exists() {
        std::fs::remove_dir_all(dst)?;
    }
    std::fs::rename(&tmp, dst)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_temp_names() {
        assert!(is_atomic_temp(".results.json.tmp1234"));
        assert!(is_atomic_temp(".index.html.tmp7"));
        assert!(!is_atomic_temp("results.json"));
        assert!(!is_atomic_temp(".results.json.tmp"));
        assert!(!is_atomic_temp(".notes.tmpx"));
        assert!(!is_atomic_temp("a.tmp12"));
    }

    #[test]
    fn shard_and_seeds_args() {
        assert_eq!("1/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert_eq!("4".parse::<SeedsArg>(), Ok(SeedsArg(Seeds::Count(4))));
        assert_eq!("2..4".parse::<SeedsArg>(), Ok(SeedsArg(Seeds::List(vec![2, 3]))));
        assert!("4..2".parse::<SeedsArg>().is_err());
    }
}
