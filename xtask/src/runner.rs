//! One run: a resolved scenario → a simulation → the run's folder of results.
//!
//! Failures are results too: a scenario that cannot be wired, a run that hits a limit or
//! breaks an invariant, or a model that panics ends as a run whose `summary.json` says
//! `failed` with the error and seed; the caller carries on with the other runs.

use crate::memory;
use models::record::{RecordSink, RunLog};
use reports::{Outcome, RunInfo, RunReport};
use scenarios::RunSpec;
use sim_core::SimTime;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// What every run of an invocation shares: how to describe and reproduce it.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The scenario file as given on the command line.
    pub scenario_path: String,
    /// offsim's version.
    pub version: String,
    /// The git commit offsim was built from (or `unknown`).
    pub commit: String,
    /// What each run writes besides `summary.json` (`--artifacts`, `--pcap-payload`).
    pub artifacts: reports::Artifacts,
    /// The `--set PATH=VALUE` changes applied to the scenario file, in order.
    pub sets: Vec<String>,
}

impl RunContext {
    /// The context for runs of the scenario at `path`.
    pub fn new(path: &Path) -> Self {
        RunContext {
            scenario_path: path.display().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: git_commit(),
            artifacts: reports::Artifacts::all(),
            sets: Vec::new(),
        }
    }

    /// The command that reproduces run `spec` alone. Always `cargo xtask`, also under the
    /// `offsim` name: it is recorded in the run's files, which must not depend on the name
    /// that ran them (a sweep resumed or merged by the other name stays byte-identical).
    pub fn command(&self, spec: &RunSpec) -> String {
        let mut c = format!("cargo xtask run {} --run {}", self.scenario_path, spec.run_id);
        for s in &self.sets {
            c.push_str(" --set ");
            c.push_str(&crate::overrides::shell_word(s));
        }
        c
    }
}

/// The commit to record: `OFFSIM_COMMIT` if set (cluster jobs and containers often run
/// outside a git checkout, and all shards of one sweep must record the same value), else the
/// working directory's `git rev-parse --short=12 HEAD`, else `unknown`.
fn git_commit() -> String {
    if let Ok(c) = std::env::var("OFFSIM_COMMIT")
        && !c.trim().is_empty()
    {
        return c.trim().to_string();
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Connections of a world from which its writer consumes the records on a thread of its own
/// (`reports::SinkThread`): 10,000 connections, 150 simulated ms, 4.5-4.7 s in line and
/// 4.05-4.15 s beside; 1000 x 1 MB about the same; a 100 MB single transfer slower beside.
const WRITER_BESIDE_FROM: usize = 100;

/// The process may run on more cores (its CPU affinity and quota allow it) than it runs runs
/// side by side (a sweep's workers, each running one). Why ask: without a spare core the
/// writer's thread only takes turns with a simulation, and the records it reads have left the
/// cache by then (10,000 connections, 1 simulated s, pinned to one core: 9.6-10.2 s with the
/// writer beside, 9.1-9.8 s in line).
fn spare_core() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let side_by_side = if rayon::current_thread_index().is_some() {
        rayon::current_num_threads()
    } else {
        1
    };
    cores > side_by_side
}

/// Runs `spec` and writes its folder `dir`; returns its summary (also for failed runs).
pub fn execute(spec: &RunSpec, ctx: &RunContext, dir: &Path) -> anyhow::Result<RunReport> {
    let mut info = RunInfo {
        scenario: spec.scenario.name.clone(),
        description: spec.scenario.description.clone(),
        run_id: spec.run_id.clone(),
        seed: spec.seed,
        seed_index: spec.seed_index,
        params: spec.params.clone(),
        version: ctx.version.clone(),
        commit: ctx.commit.clone(),
        command: ctx.command(spec),
        scenario_text: scenario_text(spec),
        ..RunInfo::default()
    };
    memory::for_world(spec.scenario.connections.len());
    let built = match scenarios::build(&spec.scenario) {
        Ok(t) => t,
        Err(e) => return failed(dir, info, format!("scenario cannot be wired: {e}"), ctx),
    };
    let bare = info.clone();
    // The run's files are written as the run goes: the writer classifies records with what
    // is known before the run, and gets the rest when it is over.
    info.describe_run(&spec.scenario, &built);
    let writer = reports::RunWriter::new(dir, &info, &ctx.artifacts)?;
    // In a large world the writer consumes the chunks on its own thread while the simulation
    // goes on (see `SinkThread`), if the process has a core to spare for it.
    let beside = spec.scenario.connections.len() >= WRITER_BESIDE_FROM && spare_core();
    let mut sink = reports::SinkThread::start("offsim-records", Guarded { writer, panic: None }, beside)?;
    let outcome = catch_unwind(AssertUnwindSafe(|| built.run_streamed(&mut sink)));
    // The writer, or the panic that stopped it.
    let writer = match sink.finish() {
        Ok(Guarded { writer, panic: None }) => Ok(writer),
        Ok(Guarded { panic: Some(p), .. }) => Err(p),
        Err(p) => Err(panic_message(&*p)),
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(p) => {
            drop(writer);
            clear_dir(dir)?;
            return failed(dir, bare, format!("a model panicked: {}", panic_message(&*p)), ctx);
        }
    };
    info.record_outcome(&spec.scenario, &outcome);
    // Turning the log into files (metrics, pcapng, charts) can fail or panic on what this
    // simulation produced; that is this run's failure, not the sweep's: start the folder
    // afresh and record the error. A file-system error stays the caller's (disk full, ...).
    let error = match writer {
        Err(p) => format!("writing the run's files panicked: {p}"),
        Ok(writer) => match catch_unwind(AssertUnwindSafe(|| writer.finish(&info))) {
            Ok(Ok(report)) => return Ok(report),
            Ok(Err(e @ reports::ReportError::Io { .. })) => return Err(e.into()),
            Ok(Err(e)) => format!("writing the run's files failed: {e}"),
            Err(panic) => format!("writing the run's files panicked: {}", panic_message(&*panic)),
        },
    };
    clear_dir(dir)?;
    // Keep what identifies the simulation, drop what describes its (unwritable) log.
    let info = RunInfo {
        fingerprint: info.fingerprint,
        events: info.events,
        ..bare
    };
    failed(dir, info, error, ctx)
}

/// The run's writer as the world's record consumer: a panic while writing a chunk is the
/// writer's, not the model's; it stops the writer (later chunks are dropped) and is reported
/// as this run's failure once the run is over.
struct Guarded {
    writer: reports::RunWriter,
    panic: Option<String>,
}

impl RecordSink for Guarded {
    fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
        if self.panic.is_some() {
            return;
        }
        let writer = &mut self.writer;
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| writer.chunk(log, through))) {
            self.panic = Some(panic_message(&*p));
        }
    }

    fn wants_queue(&self) -> bool {
        self.writer.wants_queue()
    }
}

/// The resolved scenario as recorded in `summary.json` (`scenario_text`).
pub fn scenario_text(spec: &RunSpec) -> String {
    ron::ser::to_string_pretty(&spec.scenario, ron::ser::PrettyConfig::default()).unwrap_or_default()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn clear_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)
}

fn failed(dir: &Path, mut info: RunInfo, error: String, ctx: &RunContext) -> anyhow::Result<RunReport> {
    info.outcome = Outcome::Failed { error };
    Ok(reports::write_run_with(
        dir,
        &info,
        &Default::default(),
        &ctx.artifacts,
    )?)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::spare_core;

    /// This thread's CPU affinity.
    fn affinity() -> libc::cpu_set_t {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its
        // size into it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set), 0);
            set
        }
    }

    fn set_affinity(set: &libc::cpu_set_t) {
        // SAFETY: `set` is a valid cpu_set_t of the size given; only this thread is affected.
        assert_eq!(
            unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(set), set) },
            0
        );
    }

    /// A process allowed one core runs its writer in line: asked on a thread pinned to one
    /// CPU (the thread the runner asks from is the run's own).
    #[test]
    fn one_allowed_core_has_none_to_spare() {
        let all = affinity();
        // SAFETY: CPU_ISSET/CPU_SET/CPU_ZERO read and write the set passed, in bounds.
        let first = (0..libc::CPU_SETSIZE as usize).find(|&c| unsafe { libc::CPU_ISSET(c, &all) });
        let mut one = all;
        unsafe {
            libc::CPU_ZERO(&mut one);
            libc::CPU_SET(first.expect("a CPU to run on"), &mut one);
        }
        set_affinity(&one);
        let pinned = spare_core();
        set_affinity(&all);
        assert!(!pinned, "one core allowed: none to spare");
    }

    /// A sweep's worker pool with a worker per core leaves no core to spare; one worker on a
    /// machine of several cores does.
    #[test]
    fn a_worker_per_core_leaves_none_to_spare() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        assert!(!pool(cores).install(spare_core), "{cores} workers on {cores} cores");
        if cores > 1 {
            assert!(pool(1).install(spare_core), "one worker on {cores} cores");
            assert!(spare_core(), "a run alone on {cores} cores");
        }
    }
}
