//! Sweeps: expand a scenario's axes × seeds, run the runs in parallel, write every run's
//! folder and the sweep's results and report. Also sharding (`--shard I/N`), resuming, and
//! merging shard folders.
//!
//! Layout of a sweep folder:
//! - `manifest.json`: the scenario file's path and text, the seed override, and every run id
//!   of the whole sweep in expansion order (the same for every shard and for the merge).
//! - `runs/<run_id>/`: one folder per run. A run is written into `runs/<run_id>.partial/`,
//!   given its completion marker ([`crate::folder`]) and renamed; `--resume` reuses only the
//!   run folders whose marker matches their files (and that record this build, unless
//!   `--allow-mixed-builds`), runs the others again and deletes partial ones.
//! - `.offsim.lock`: held by the sweep (or merge) writing the folder.
//! - `results.*`, `aggregate.*`, `paired.csv`, `sweep.json`, `charts/`, `report/index.html`.
//!
//! Results are collected in run order, never completion order, so every file is identical
//! whatever `--jobs` is.

use crate::folder::{self, Kind};
use crate::overrides::{OnlyArg, SetArg};
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

/// A seed override: `N` seeds, the seeds `A..B` (half-open: B excluded) or `A..=B` (B
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedsArg(pub Seeds);

impl std::str::FromStr for SeedsArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some((a, b)) = s.split_once("..") {
            let (b, inclusive) = match b.strip_prefix('=') {
                Some(b) => (b, true),
                None => (b, false),
            };
            let a: u64 = a.trim().parse().map_err(|_| format!("`{a}` is not a seed"))?;
            let b: u64 = b.trim().parse().map_err(|_| format!("`{b}` is not a seed"))?;
            // A..=B is A..B+1 (B = u64::MAX has no successor: refused).
            let (end, shown) = if inclusive {
                (b.checked_add(1).ok_or("seed range too large")?, format!("{a}..={b}"))
            } else {
                (b, format!("{a}..{b}"))
            };
            if end <= a || end - a > 100_000 {
                return Err(format!(
                    "seeds {shown}: need A < B for A..B (B excluded) or A <= B for A..=B, and at most 100000 seeds"
                ));
            }
            Ok(SeedsArg(Seeds::List((a..end).collect())))
        } else {
            let n: u32 = s
                .trim()
                .parse()
                .map_err(|_| format!("`{s}`: expected a count N, a range A..B (B excluded) or A..=B"))?;
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
    /// Clear `out` first if it is a sweep folder.
    pub force: bool,
    /// With `resume`: reuse runs recorded by another build too.
    pub allow_mixed_builds: bool,
    /// Only this slice.
    pub shard: Option<Shard>,
    /// `--artifacts`, `--pcap-payload`.
    pub artifacts: crate::artifacts::ArtifactArgs,
    /// `--set PATH=VALUE`, in order.
    pub sets: Vec<SetArg>,
    /// `--only AXIS=VALUE`: run only the matching runs.
    pub only: Vec<OnlyArg>,
}

/// Loads, validates and expands a scenario file; `seeds` overrides its seed list.
/// `--set` values are applied (in order) before validation.
pub fn expand_file(file: &Path, seeds: Option<&SeedsArg>, sets: &[SetArg]) -> Result<(Scenario, String, Vec<RunSpec>)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let scenario = scenarios::parse(&text, file.display().to_string())?;
    let mut scenario = crate::overrides::apply_sets(file, scenario, sets)?;
    // The file itself validated, so what fails now is due to the `--set`s: each error names
    // the file and the `--set` on its field (or all of them), like the other `--set` errors.
    scenarios::validate(&scenario).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| if sets.is_empty() {
                    format!("{}: {e}", file.display())
                } else {
                    format!(
                        "{}: {}: {e}",
                        file.display(),
                        crate::overrides::sets_behind(&e.field, sets)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    if let Some(SeedsArg(s)) = seeds {
        let sweep = scenario.sweep.get_or_insert_with(Default::default);
        sweep.seeds = s.clone();
    }
    let runs = scenarios::expand(&scenario)?;
    Ok((scenario, text, runs))
}

/// The sweep's manifest; `set` and `only` are recorded only when given (so a sweep without
/// them writes the manifest it always did).
fn manifest(file: &Path, text: &str, plan: &SweepPlan, runs: &[RunSpec]) -> serde_json::Value {
    let seeds = plan.seeds.as_ref().map(|s| format!("{:?}", s.0));
    let mut m = json!({
        "scenario_path": file.display().to_string(),
        "scenario_text": text,
        "seeds_override": seeds,
        "runs": runs.iter().map(|r| &r.run_id).collect::<Vec<_>>(),
        "artifacts": plan.artifacts.to_json(),
    });
    if !plan.sets.is_empty() {
        m["set"] = json!(plan.sets.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    if !plan.only.is_empty() {
        m["only"] = json!(
            plan.only
                .iter()
                .map(|o| format!("{}={}", o.axis, o.value))
                .collect::<Vec<_>>()
        );
    }
    m
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
    let (scenario, text, runs) = expand_file(&plan.file, plan.seeds.as_ref(), &plan.sets)?;
    let runs = crate::overrides::select_only(&scenario, runs, &plan.only)?;
    let ctx = RunContext {
        artifacts: plan.artifacts.for_sweep_run(),
        sets: plan.sets.iter().map(ToString::to_string).collect(),
        ..RunContext::new(&plan.file)
    };
    let _lock = folder::lock(&plan.out, "sweep")?;
    prepare_out(&plan.out, &scenario.name, plan.resume, plan.force)?;
    let selected: Vec<&RunSpec> = match plan.shard {
        Some(s) => runs
            .iter()
            .enumerate()
            .filter(|(k, _)| k % s.count == s.index)
            .map(|(_, r)| r)
            .collect(),
        None => runs.iter().collect(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs(plan.jobs, selected.len()))
        .build()?;
    // Everything that can refuse the folder comes before the first change to it.
    let prior: Vec<Option<RunReport>> = if plan.resume {
        // A run is reused only if it holds at least the artefacts this sweep writes.
        pool.install(|| {
            selected
                .par_iter()
                .map(|spec| reusable(&plan.out, spec).filter(|r| r.artifacts.covers(&ctx.artifacts)))
                .collect()
        })
    } else {
        vec![None; selected.len()]
    };
    check_builds(&plan.out, &ctx, &prior, plan.allow_mixed_builds)?;
    check_foreign_runs(&plan.out, &runs)?;
    // The manifest first: from then on the folder is a sweep folder (a kill right after
    // leaves one that `--resume` continues).
    write_json(
        &plan.out.join("manifest.json"),
        &manifest(&plan.file, &text, plan, &runs),
    )?;
    // Until `finish` writes it again, the folder must not look like a finished sweep.
    remove_if_present(&plan.out.join("results.json"))?;
    std::fs::create_dir_all(plan.out.join("runs")).with_context(|| format!("creating {}", plan.out.display()))?;
    remove_partials(&plan.out)?;
    if let Some(s) = plan.shard {
        write_json(
            &plan.out.join("shard.json"),
            &json!({ "index": s.index, "count": s.count }),
        )?;
    }
    let bar = progress(selected.len() as u64);
    let failed = std::sync::atomic::AtomicU64::new(0);
    let outcomes: Vec<Result<(RunReport, bool)>> = pool.install(|| {
        selected
            .par_iter()
            .zip(prior)
            .map(|(spec, prior)| {
                let r = match prior {
                    Some(report) => Ok((report, true)),
                    None => run_one(spec, &ctx, &plan.out).map(|r| (r, false)),
                };
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

/// Most worker threads a sweep starts: more only cost memory and start-up time.
pub const MAX_JOBS: usize = 256;

/// Worker threads for `runs` runs: `--jobs` (0 = one per core) capped at one per run and at
/// [`MAX_JOBS`], with a note when capped.
fn jobs(requested: Option<usize>, runs: usize) -> usize {
    let cap = runs.clamp(1, MAX_JOBS);
    match requested {
        Some(j) if j > cap => {
            eprintln!("note: --jobs {j} capped to {cap} (at most one worker per run and {MAX_JOBS} in all)");
            cap
        }
        Some(j) => j,
        None => 0,
    }
}

/// Refuses an output folder that is not this sweep's to write: anything but an empty folder
/// or a sweep folder of `scenario` (with `--resume`), or a sweep folder (with `--force`, which
/// clears it). offsim never writes into, nor clears, a folder it did not make.
fn prepare_out(out: &Path, scenario: &str, resume: bool, force: bool) -> Result<()> {
    match folder::kind(out)? {
        Kind::Empty => Ok(()),
        Kind::Sweep(_) if force => folder::clear(out),
        Kind::Sweep(name) if name == scenario && resume => Ok(()),
        Kind::Sweep(name) if name == scenario => bail!(
            "{} already holds a sweep of {name}: --resume continues it (reusing its complete \
             runs), --force clears it first",
            out.display()
        ),
        Kind::Sweep(name) => bail!(
            "{} holds a sweep of another scenario ({name}, not {scenario}): use another --out, \
             or --force to clear it",
            out.display()
        ),
        Kind::Run(_) | Kind::Other => bail!(
            "{} is not empty and is not a sweep folder: refusing to write into it (offsim \
             never clears a folder it did not make); use a new or empty --out",
            out.display()
        ),
    }
}

/// Refuses to continue a sweep whose reusable runs were recorded by another build (version or
/// commit) unless `allow`: one sweep's results would come from two programs.
fn check_builds(out: &Path, ctx: &RunContext, prior: &[Option<RunReport>], allow: bool) -> Result<()> {
    let mut others: Vec<String> = Vec::new();
    for r in prior.iter().flatten() {
        if (r.version.as_str(), r.commit.as_str()) != (ctx.version.as_str(), ctx.commit.as_str()) {
            let b = format!("{} ({})", r.version, r.commit);
            if !others.contains(&b) {
                others.push(b);
            }
        }
    }
    if others.is_empty() || allow {
        return Ok(());
    }
    bail!(
        "{} was started by another build ({}); this is {} ({}). Resuming would mix runs of \
         two builds in one sweep: --force starts it afresh, --allow-mixed-builds keeps the old \
         runs (the report then lists every build)",
        out.display(),
        others.join(", "),
        ctx.version,
        ctx.commit
    )
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

/// Runs one run into its folder: into `<run_id>.partial/`, marked complete, then renamed.
fn run_one(spec: &RunSpec, ctx: &RunContext, out: &Path) -> Result<RunReport> {
    let dir = reports::run_dir(out, &spec.run_id);
    let partial = dir.with_extension("partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    std::fs::create_dir_all(&partial)?;
    let report = execute(spec, ctx, &partial)?;
    folder::mark_complete(&partial)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::rename(&partial, &dir)?;
    Ok(report)
}

/// The report of run `spec`'s folder in `out` if it can be reused: complete (its marker
/// matches its files) and a run of `spec`. The run id alone does not cover the whole scenario
/// (editing, say, the transfer size keeps the ids), so the recorded resolved scenario and
/// seed must match too. Anything else is run again.
fn reusable(out: &Path, spec: &RunSpec) -> Option<RunReport> {
    let dir = reports::run_dir(out, &spec.run_id);
    folder::check_complete(&dir).ok()?;
    let report = RunReport::read(&dir.join("summary.json")).ok()?;
    let same = report.run_id == spec.run_id
        && report.seed == spec.seed
        && report.scenario_text == crate::runner::scenario_text(spec);
    same.then_some(report)
}

/// Refuses to resume into a folder holding complete runs that belong to no run of this sweep
/// (run with more seeds, or before the scenario was edited): continuing would either delete
/// results or leave a folder that no fresh sweep would write. `.partial` folders are
/// leftovers, not results, and do not count.
fn check_foreign_runs(out: &Path, runs: &[RunSpec]) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out.join("runs")) else {
        return Ok(());
    };
    let ours: Vec<PathBuf> = runs.iter().map(|r| reports::run_dir(out, &r.run_id)).collect();
    let mut foreign = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if !ours.contains(&path) && path.extension().is_none_or(|e| e != "partial") {
            foreign.push(path.file_name().unwrap_or_default().to_string_lossy().into_owned());
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    bail!(
        "{} holds {} run folders that are no run of this sweep (it had more seeds or other --only \
         filters, or the scenario was edited): {}{}; resuming would lose them or mix them in: use \
         the same --seeds and --only, another --out, or --force to start afresh",
        out.join("runs").display(),
        foreign.len(),
        foreign.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
        if foreign.len() > 5 {
            format!(" and {} more", foreign.len() - 5)
        } else {
            String::new()
        }
    )
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
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

/// Writes the sweep-level results and the HTML report (probability axes in % on the charts).
fn finish(out: &Path, reports: &[RunReport]) -> Result<()> {
    let lines = reports::LineCharts {
        percent: probability_axes(out)?,
        ..Default::default()
    };
    reports::write_sweep_with(out, reports, &lines)?;
    reports::write_report(out)?;
    Ok(())
}

/// The axes of the sweep in folder `dir` (its `manifest.json` scenario) whose path sets a
/// probability. A folder without a manifest (written by an older build) has none.
pub(crate) fn probability_axes(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("manifest.json");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path)?).with_context(|| format!("{}: not JSON", path.display()))?;
    let text = m["scenario_text"]
        .as_str()
        .with_context(|| format!("{}: no scenario_text", path.display()))?;
    let scenario = scenarios::parse(text, &path)?;
    Ok(scenario
        .sweep
        .map(|s| s.axes)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| scenarios::PROBABILITY_FIELDS.iter().any(|f| a.path.ends_with(f)))
        .map(|a| a.name)
        .collect())
}

/// Combines shard folders into one sweep folder, identical to the unsharded sweep's. Every
/// folder involved is locked; every run copied must be complete (its marker matches), and
/// all runs must come from one build unless `allow_mixed_builds`.
pub fn merge(shards: &[PathBuf], out: &Path, allow_mixed_builds: bool) -> Result<Vec<RunReport>> {
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
    let _out_lock = folder::lock(out, "merge")?;
    let real = |d: &Path| d.canonicalize().with_context(|| format!("{}", d.display()));
    let mut locked = vec![real(out)?];
    let mut _shard_locks = Vec::new();
    for d in shards {
        let r = real(d)?;
        if !locked.contains(&r) {
            _shard_locks.push(folder::lock(d, "merge (reading its runs)")?);
            locked.push(r);
        }
    }
    let is_shard = shards.iter().any(|d| real(d).ok().as_ref() == Some(&locked[0]));
    match folder::kind(out)? {
        Kind::Empty => {}
        Kind::Sweep(_) if is_shard || read(out)? == m => {}
        _ => bail!(
            "{} is not empty and is not a folder of this sweep: refusing to merge into it (use a \
             new or empty --out)",
            out.display()
        ),
    }
    let ids: Vec<String> = serde_json::from_value(m["runs"].clone())?;
    // Every check before the first write into `out`.
    let mut sources = Vec::with_capacity(ids.len());
    let mut reports = Vec::with_capacity(ids.len());
    for id in &ids {
        let src = shards
            .iter()
            .map(|d| reports::run_dir(d, id))
            .find(|p| p.is_dir())
            .with_context(|| format!("run {id} is in none of the shard folders"))?;
        folder::check_complete(&src).map_err(|e| {
            anyhow::anyhow!("{e}: run it again with `sweep --resume` into its shard folder, then merge")
        })?;
        reports.push(RunReport::read(&src.join("summary.json"))?);
        sources.push(src);
    }
    let builds: Vec<String> = reports
        .iter()
        .map(|r| format!("{} ({})", r.version, r.commit))
        .collect();
    if let Some(other) = builds.iter().find(|b| **b != builds[0])
        && !allow_mixed_builds
    {
        bail!(
            "the shards hold runs of two builds ({} and {other}): rerun the shards with one build, \
             or --allow-mixed-builds (the report then lists every build)",
            builds[0]
        );
    }
    // The manifest first, so a merge killed mid-way leaves a folder a retry continues.
    write_json(&out.join("manifest.json"), &m)?;
    remove_if_present(&out.join("results.json"))?;
    std::fs::create_dir_all(out.join("runs"))?;
    remove_partials(out)?;
    for (id, src) in ids.iter().zip(&sources) {
        let dst = reports::run_dir(out, id);
        if *src != dst {
            copy_dir(src, &dst)?;
        }
    }
    if let Some(args) = crate::artifacts::ArtifactArgs::from_json(&m["artifacts"])? {
        let path = m["scenario_path"].as_str().unwrap_or_default();
        let sets: Vec<String> = serde_json::from_value(m["set"].clone()).unwrap_or_default();
        crate::artifacts::settle_merge(&args, &mut reports, path, &sets, out)?;
    }
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
