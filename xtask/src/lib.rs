//! offsim's command line, as a library shared by two binaries: `xtask` (run as `cargo
//! xtask`, the repository's alias) and `offsim` (what `cargo install --path xtask --bin
//! offsim` installs). Both call [`main_as`]; only the program name in `--help` differs. Each
//! subcommand is a thin call into the crates.
//!
//! Exit status: 0 success, 1 error (nothing or not everything written), 2 usage error (clap),
//! 3 a sweep, merge or run that completed and wrote every result but has failed runs. A closed
//! stdout (`run … | head`) is not an error: the rest of the output is dropped quietly.

/// `println!` that drops its output quietly once stdout is closed (a pipe into `head`).
macro_rules! say {
    ($($t:tt)*) => { $crate::say(format_args!($($t)*)) };
}

mod artifacts;
mod bench;
mod bench_process;
mod docs;
mod folder;
pub mod memory;
mod new;
mod overrides;
mod runner;
mod sweep;
mod tools;

/// The allocator both binaries use: mimalloc, a well-kept allocator for many small,
/// short-lived allocations (a run allocates a segment per packet in flight and frees it on
/// delivery) that can back a large heap with transparent huge pages (see
/// [`memory::for_world`]). Allocation never reaches a result: runs are identical under
/// any allocator.
pub use mimalloc::MiMalloc as Allocator;

/// What each binary (`cargo xtask`, `offsim`) declares for its process: the [`Allocator`],
/// and huge pages off before the runtime's first allocations ([`memory::before_main`], an
/// `.init_array` entry on Linux).
#[macro_export]
macro_rules! process_setup {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::Allocator = $crate::Allocator;

        #[cfg(target_os = "linux")]
        #[used]
        #[unsafe(link_section = ".init_array")]
        static BEFORE_MAIN: extern "C" fn() = $crate::memory::before_main;
    };
}

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use overrides::{OnlyArg, SetArg};
use reports::Named;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use sweep::{SeedsArg, Shard, SweepPlan};

/// offsim: a deterministic discrete-event simulator for TCP offload (NDIS TCP chimney).
#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    after_help = "Exit status: 0 success; 1 error (a command that could not complete); 2 usage \
                  error; 3 a sweep, merge or run that completed, writing every result, with failed \
                  runs (listed in the output and the report)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one run of a scenario file, print a one-screen summary and write its files
    /// (exit status 3 if the run failed).
    Run {
        /// Scenario file (RON).
        file: PathBuf,
        /// Run with this seed instead of the file's.
        #[arg(long)]
        seed: Option<u64>,
        /// Run the sweep run with this id, or with index `#N`, as `sweep FILE --list` prints
        /// them; default: the first.
        #[arg(long = "run", value_name = "ID|#N")]
        run_id: Option<String>,
        /// Change a field of the scenario before running: PATH is a field path as the sweep
        /// axes write it (e.g. `links[0].forward.delay`), VALUE a RON value of the field's type
        /// (e.g. '"10 ms"'). Repeatable; applied in order. A sweep axis on the same field
        /// overrides it. The run records it in its reproduce command.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<SetArg>,
        /// Print the run's summary (summary.json) on stdout instead of the one-screen text.
        #[arg(long)]
        json: bool,
        /// Output folder (default: target/offsim/run/<scenario>/<run id>). An earlier run
        /// folder of the same scenario is cleared first; any other non-empty folder is refused.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also clear an output folder holding a run of another scenario.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        artifacts: artifacts::ArtifactArgs,
    },
    /// Run the sweep a scenario file describes (axes × seeds) in parallel, then write the
    /// results and the HTML report. Exits 3 if some runs failed (every result is still
    /// written, failures included), 1 on an error that stops the sweep.
    Sweep {
        /// Scenario file (RON) with a `sweep` section.
        file: PathBuf,
        /// Seeds per parameter point: a count N (the scenario's base seed and the N-1 after
        /// it), a half-open range A..B (A to B-1, B excluded) or an inclusive range A..=B.
        #[arg(long, value_name = "N|A..B|A..=B")]
        seeds: Option<SeedsArg>,
        /// Worker threads (default: one per core; at most one per run and 256). Results do not
        /// depend on it.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Output folder (default: target/offsim/<scenario>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Reuse the complete runs already in the output folder (after an interruption, or
        /// after raising --seeds); only missing runs execute. A run whose completion marker
        /// is missing or does not match its files runs again.
        #[arg(long, conflicts_with = "force")]
        resume: bool,
        /// Clear the output folder first if it is a sweep folder (a non-empty folder that is
        /// not a sweep folder is always refused).
        #[arg(long)]
        force: bool,
        /// With --resume: also reuse runs recorded by another build (the report lists every
        /// build). Without it, resuming a sweep started by another build is refused.
        #[arg(long)]
        allow_mixed_builds: bool,
        /// Run only slice I of N (0 <= I < N), for a cluster job array; merge the slices
        /// with `merge`.
        #[arg(long)]
        shard: Option<Shard>,
        /// Print the expanded runs (index, id, parameters, seed) without running them.
        #[arg(long)]
        list: bool,
        /// With --list: print the runs as JSON (an array of objects) for scripts.
        #[arg(long, requires = "list")]
        json: bool,
        /// Change a field of the scenario for every run (see `run --help`). Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<SetArg>,
        /// Run only the runs whose axis AXIS has value VALUE (as written in the file, or its
        /// label). Repeatable: several values of one axis select any of them; different axes
        /// must all match.
        #[arg(long, value_name = "AXIS=VALUE")]
        only: Vec<OnlyArg>,
        #[command(flatten)]
        artifacts: artifacts::ArtifactArgs,
    },
    /// Validate scenario files (schema, references, sweep axes) without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change a field of every file's scenario before checking (see `run --help`).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<SetArg>,
        /// Print one JSON object per file (an array) for scripts.
        #[arg(long)]
        json: bool,
    },
    /// (Re)write the HTML report of a sweep or run folder: DIR/report/index.html. Refuses a
    /// folder with an incomplete run (completion marker missing or not matching).
    Report {
        /// Sweep folder.
        dir: PathBuf,
        /// Draw the line charts against this numeric sweep axis (default: one set of charts
        /// per numeric axis). Probabilities are shown in %.
        #[arg(long, value_name = "AXIS")]
        x: Option<String>,
        /// One line per value of this sweep axis (default: one line per combination of the
        /// other axes); any remaining axes give one chart per combination of their values.
        #[arg(long, value_name = "AXIS")]
        series: Option<String>,
    },
    /// Compare two sweep folders metric by metric (difference, CI overlap), with charts.
    Compare {
        /// Baseline folder.
        a: PathBuf,
        /// Folder compared with it.
        b: PathBuf,
        /// Where to write the comparison (default: target/offsim/compare/<A>-vs-<B>). Must be
        /// new, empty, or an earlier comparison of the same two folders: never overwritten
        /// otherwise.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the comparison rows as JSON on stdout instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Write a commented scenario file to start from: NAME.ron (a small offload-mid-transfer
    /// scenario), or a copy of a catalog file renamed NAME.
    New {
        /// The scenario's name (letters, digits, `_`, `-`); the file is NAME.ron.
        name: String,
        /// Start from this scenario file (e.g. scenarios/catalog/offload_idle.ron).
        #[arg(long, value_name = "CATALOG_FILE")]
        from: Option<PathBuf>,
        /// Folder to write NAME.ron into (default: the current folder). An existing file is
        /// never overwritten.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Combine the shard folders of one sweep into one sweep folder and report (exit status 3
    /// if some runs failed). Every run must be complete (its completion marker matches).
    Merge {
        /// Shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder: new, empty, one of the shard folders, or an earlier merge of the
        /// same sweep.
        #[arg(long)]
        out: PathBuf,
        /// Merge shards whose runs were recorded by different builds (the report lists them).
        #[arg(long)]
        allow_mixed_builds: bool,
    },
    /// Measure throughput: kernel events per second, simulated segments per second.
    Bench(bench::BenchArgs),
    /// The README's main job: the catalog's default sweep into target/offsim/demo.
    Demo {
        /// Worker threads (default: one per core).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
    },
    /// Write docs/scenarios.md (every scenario field) from the schema's doc comments.
    Docs {
        /// Fail if docs/scenarios.md is not what the schema generates (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Install the test tools if missing (tshark, chromium: Debian packages) and run the
    /// whole test suite.
    Test,
}

/// How a command that completed ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Done {
    /// Everything succeeded.
    Ok,
    /// Every result is written, but some runs failed.
    RunsFailed,
}

/// Set when a write to stdout found it closed.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes a line to stdout; once stdout is closed, drops it quietly.
fn say(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.write_all(b"\n")).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Runs the command line with the process's arguments; `bin` is the program name shown in
/// `--help` and usage errors (`cargo xtask` or `offsim`).
pub fn main_as(bin: &'static str) -> ExitCode {
    memory::at_start();
    // Usage errors exit 2 here (clap), `--help` and `--version` 0.
    let matches = Cli::command().name(bin).bin_name(bin).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match dispatch(cli.command) {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::RunsFailed) => ExitCode::from(EXIT_RUNS_FAILED),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command) -> Result<Done> {
    match command {
        Command::Run {
            file,
            seed,
            run_id,
            set,
            json,
            out,
            force,
            artifacts,
        } => run(&RunArgs {
            file: &file,
            seed,
            run_id: run_id.as_deref(),
            sets: &set,
            json,
            out,
            force,
            artifacts: artifacts.for_run(),
        }),
        Command::Sweep {
            file,
            seeds,
            jobs,
            out,
            resume,
            force,
            allow_mixed_builds,
            shard,
            list,
            json,
            set,
            only,
            artifacts,
        } => {
            if list {
                let (scenario, _, runs) = sweep::expand_file(&file, seeds.as_ref(), &set)?;
                let all = runs.clone();
                let runs = overrides::select_only(&scenario, runs, &only)?;
                list_runs(&all, &runs, json)?;
                return Ok(Done::Ok);
            }
            let out = out.unwrap_or_else(|| default_out(&file));
            sweep(&SweepPlan {
                file,
                seeds,
                jobs: jobs.map(usize::from),
                out,
                resume,
                force,
                allow_mixed_builds,
                shard,
                artifacts,
                sets: set,
                only,
            })
        }
        Command::Check { files, set, json } => check(&files, &set, json).map(|()| Done::Ok),
        Command::Report { dir, x, series } => {
            if !dir.is_dir() {
                bail!("{}: no such folder", dir.display());
            }
            let _lock = folder::lock(&dir, "report")?;
            check_reportable(&dir)?;
            let lines = reports::LineCharts {
                x,
                series,
                percent: sweep::probability_axes(&dir)?,
            };
            reports::write_report_with(&dir, &lines)?;
            if !dir.join("results.json").is_file() {
                // A run folder: its report is one of its files now.
                folder::mark_complete(&dir)?;
            }
            say!("report: {}", dir.join("report/index.html").display());
            Ok(Done::Ok)
        }
        Command::Compare { a, b, out, json } => compare(&a, &b, out, json).map(|()| Done::Ok),
        Command::New { name, from, out } => {
            let path = new::write(&name, from.as_deref(), &out.unwrap_or_else(|| PathBuf::from(".")))?;
            say!("wrote {}", path.display());
            say!(
                "check it with `cargo xtask check {}`, run it with `cargo xtask run {}`",
                path.display(),
                path.display()
            );
            Ok(Done::Ok)
        }
        Command::Merge {
            dirs,
            out,
            allow_mixed_builds,
        } => {
            let reports = sweep::merge(&dirs, &out, allow_mixed_builds)?;
            say!(
                "merged {} runs from {} shard folders into {}",
                reports.len(),
                dirs.len(),
                out.display()
            );
            exit_on_failures(&reports)
        }
        Command::Bench(args) => bench::run(args).map(|()| Done::Ok),
        Command::Demo { jobs } => {
            let file = PathBuf::from("scenarios/catalog/sweep_default.ron");
            sweep(&SweepPlan {
                file,
                seeds: None,
                jobs: jobs.map(usize::from),
                out: PathBuf::from("target/offsim/demo"),
                resume: false,
                force: true,
                allow_mixed_builds: false,
                shard: None,
                artifacts: Default::default(),
                sets: Vec::new(),
                only: Vec::new(),
            })
        }
        Command::Docs { check } => docs::run(&workspace_root(), check).map(|()| Done::Ok),
        Command::Test => tools::test().map(|()| Done::Ok),
    }
}

/// The workspace root (where `Cargo.toml` with `[workspace]` is), from xtask's manifest folder.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn default_out(file: &Path) -> PathBuf {
    let name = scenarios::load(file)
        .map(|s| s.name)
        .unwrap_or_else(|_| file.file_stem().unwrap_or_default().to_string_lossy().to_string());
    PathBuf::from("target/offsim").join(name)
}

/// What `run` was asked.
struct RunArgs<'a> {
    file: &'a Path,
    seed: Option<u64>,
    run_id: Option<&'a str>,
    sets: &'a [SetArg],
    json: bool,
    out: Option<PathBuf>,
    force: bool,
    artifacts: reports::Artifacts,
}

/// The run `--run` names: a run id, or `#N`, the index `sweep --list` prints.
fn pick_run<'a>(file: &Path, runs: &'a [scenarios::RunSpec], run_id: Option<&str>) -> Result<&'a scenarios::RunSpec> {
    let list = format!("see `cargo xtask sweep {} --list`", file.display());
    match run_id {
        Some(ix) if ix.starts_with('#') => {
            let i: usize = ix[1..]
                .parse()
                .map_err(|_| anyhow::anyhow!("--run {ix}: `#` must be followed by a run index ({list})"))?;
            runs.get(i).with_context(|| {
                format!(
                    "--run {ix}: {} has {} runs, #0 to #{} ({list})",
                    file.display(),
                    runs.len(),
                    runs.len().saturating_sub(1)
                )
            })
        }
        Some(id) => runs
            .iter()
            .find(|r| r.run_id == id)
            .with_context(|| format!("{}: no run with id {id} ({list})", file.display())),
        None => runs.first().context("the scenario expands to no runs"),
    }
}

fn run(a: &RunArgs<'_>) -> Result<Done> {
    let (file, run_id) = (a.file, a.run_id);
    let seeds = a.seed.map(|s| SeedsArg(scenarios::sweep::Seeds::List(vec![s])));
    let (scenario, _, runs) = sweep::expand_file(file, seeds.as_ref(), a.sets)?;
    let spec = pick_run(file, &runs, run_id)?;
    if run_id.is_none() && runs.len() > 1 {
        eprintln!(
            "note: {} describes {} runs; running the first ({}). Use --run ID or `sweep`.",
            file.display(),
            runs.len(),
            spec.run_id
        );
    }
    // Not inside target/offsim/<scenario>, the default sweep folder, which must hold nothing else.
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("target/offsim/run")
            .join(&scenario.name)
            .join(&spec.run_id)
    });
    let _lock = folder::lock(&out, "run")?;
    match folder::kind(&out)? {
        folder::Kind::Empty => {}
        folder::Kind::Run(name) if name == scenario.name || a.force => folder::clear(&out)?,
        folder::Kind::Run(name) => bail!(
            "{} holds a run of another scenario ({name}, not {}): use another --out, or --force to \
             clear it",
            out.display(),
            scenario.name
        ),
        _ => bail!(
            "{} is not empty and is not a run folder: refusing to write into it (offsim never clears \
             a folder it did not make); use a new or empty --out",
            out.display()
        ),
    }
    let ctx = runner::RunContext {
        artifacts: a.artifacts,
        sets: a.sets.iter().map(ToString::to_string).collect(),
        ..runner::RunContext::new(file)
    };
    let r = runner::execute(spec, &ctx, &out)?;
    folder::mark_complete(&out)?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&r)?);
        return exit_on_failures(std::slice::from_ref(&r));
    }
    print_run(&r, &out);
    exit_on_failures(std::slice::from_ref(&r))
}

/// The one-screen summary of a run.
fn print_run(r: &reports::RunReport, out: &Path) {
    let ms = |ns: Option<u64>| ns.map_or("-".to_string(), |n| format!("{:.3} s", n as f64 / 1e9));
    let x = &r.retransmissions;
    say!("scenario      {} (run {}, seed {})", r.scenario, r.run_id, r.seed);
    say!(
        "outcome       {}",
        r.outcome.error().map_or("ok".to_string(), |e| format!("FAILED: {e}"))
    );
    say!("fingerprint   {}  ({} events)", r.fingerprint, r.events);
    say!(
        "delivered     {} of {} bytes, integrity {}",
        r.bytes_delivered,
        r.bytes_expected,
        if r.integrity_ok { "ok" } else { "FAILED" }
    );
    say!(
        "completion    {}   goodput {}",
        ms(r.completion_time_ns),
        r.goodput_bps.map_or("-".into(), |g| format!("{:.3} Mbit/s", g / 1e6))
    );
    say!(
        "retransmitted {} segments ({} bytes), {} RTOs, {} spurious",
        x.total,
        x.bytes,
        r.rto_count,
        r.spurious_retransmissions
    );
    for (source, v) in x.by_source.entries() {
        say!("  {:<22}{v}", source.key());
    }
    say!("  (of which [SndNxt,SndMax) resend: {})", x.delegated_resend);
    if r.connections.len() > 1 {
        let f = &r.fairness;
        let jain = |j: Option<f64>| j.map_or("-".into(), |j| format!("{j:.3}"));
        say!(
            "connections   Jain fairness {} (offloaded vs host-run {})",
            jain(f.jain),
            jain(f.offloaded_vs_host_jain)
        );
        for c in &r.connections {
            let nonzero: Vec<String> = c
                .retransmissions
                .by_source
                .entries()
                .iter()
                .filter(|(_, v)| *v > 0)
                .map(|(source, v)| format!("{} {v}", source.key()))
                .collect();
            say!(
                "  {:<8}{:<18}{:<10}{:<7}{:>9} {:>15}  retx {} [{}], {} RTOs",
                c.name,
                format!("{} -> {}", c.client, c.server),
                if c.offloaded { "offloaded" } else { "host" },
                if c.integrity_ok { "ok" } else { "FAILED" },
                ms(c.completion_time_ns),
                c.goodput_bps.map_or("-".into(), |g| format!("{:.3} Mbit/s", g / 1e6)),
                c.retransmissions.total,
                nonzero.join(", "),
                c.rto_count
            );
        }
    }
    for f in &r.flows {
        say!(
            "flow          {} {} -> {}: {} packets sent, {} delivered (loss {})",
            f.name,
            f.from,
            f.to,
            f.packets_sent,
            f.packets_delivered,
            f.loss.map_or("-".into(), |l| format!("{:.2} %", l * 100.0))
        );
    }
    // Nothing silent: an action that never fired or did not take effect as written.
    for a in r.actions.iter().filter(|a| !a.applied()) {
        say!("warning       action {} ({}): {}", a.step, a.trigger, a.effect);
    }
    say!("files         {}", out.display());
}

/// `sweep --list`: the runs selected (by `--only`) among all the runs, each with its index
/// among all of them (the `#N` that `run --run` takes), as a table or JSON.
fn list_runs(all: &[scenarios::RunSpec], selected: &[scenarios::RunSpec], json: bool) -> Result<()> {
    let index = |r: &scenarios::RunSpec| all.iter().position(|x| x.run_id == r.run_id).unwrap_or_default();
    if json {
        let rows: Vec<serde_json::Value> = selected
            .iter()
            .map(|r| {
                let params: serde_json::Map<String, serde_json::Value> =
                    r.params.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                serde_json::json!({
                    "index": index(r),
                    "run_id": r.run_id,
                    "params": params,
                    "seed_index": r.seed_index,
                    "seed": r.seed,
                })
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let table = scenarios::run_table(all);
    let mut lines = table.lines();
    if let Some(header) = lines.next() {
        say!("{header}");
    }
    // The table's row i is run i of `all`; keep the selected ones.
    for (line, r) in lines.zip(all) {
        if selected.iter().any(|s| s.run_id == r.run_id) {
            say!("{line}");
        }
    }
    Ok(())
}

fn sweep(plan: &SweepPlan) -> Result<Done> {
    let res = sweep::run(plan)?;
    let failed: Vec<_> = res.reports.iter().filter(|r| !r.outcome.is_ok()).collect();
    say!(
        "{} runs ({} reused, {} failed) in {}",
        res.reports.len(),
        res.reused,
        failed.len(),
        plan.out.display()
    );
    for r in &failed {
        say!(
            "  FAILED run {} seed {}: {}",
            r.run_id,
            r.seed,
            r.outcome.error().unwrap_or_default()
        );
    }
    say!("report: {}", plan.out.join("report/index.html").display());
    exit_on_failures(&res.reports)
}

/// Exit status when every result was written but some runs failed (an error that stops
/// the command exits 1, a usage error 2): schedulers can tell "results with failures" from
/// "no results" and from "wrong command line".
const EXIT_RUNS_FAILED: u8 = 3;

fn exit_on_failures(reports: &[reports::RunReport]) -> Result<Done> {
    if reports.iter().any(|r| !r.outcome.is_ok()) {
        return Ok(Done::RunsFailed);
    }
    Ok(Done::Ok)
}

/// `report` accepts a finished sweep folder (`results.json`, written last) whose run folders
/// are all complete, or a complete run folder; an interrupted `run` or sweep never passes for
/// a result.
fn check_reportable(dir: &Path) -> Result<()> {
    if dir.join("manifest.json").is_file() && !dir.join("results.json").is_file() {
        bail!(
            "{}: the sweep did not finish (no results.json): continue it with `sweep --resume`",
            dir.display()
        );
    }
    if dir.join("results.json").is_file() {
        for entry in std::fs::read_dir(dir.join("runs")).with_context(|| format!("{}: no runs/", dir.display()))? {
            let run = entry?.path();
            if run.is_dir() {
                folder::check_complete(&run).map_err(|e| {
                    anyhow::anyhow!("{e}: not reporting an incomplete sweep (finish it with `sweep --resume`)")
                })?;
            }
        }
        return Ok(());
    }
    folder::check_complete(dir).map_err(|e| anyhow::anyhow!("{e}: not reporting an incomplete run (run it again)"))
}

fn check(files: &[PathBuf], sets: &[SetArg], json: bool) -> Result<()> {
    let mut bad = 0;
    let mut rows = Vec::new();
    for f in files {
        let result = sweep::expand_file(f, None, sets).and_then(|(_, _, runs)| {
            for r in &runs {
                scenarios::build(&r.scenario).with_context(|| format!("run {}", r.run_id))?;
            }
            Ok(runs.len())
        });
        if result.is_err() {
            bad += 1;
        }
        if json {
            rows.push(match &result {
                Ok(n) => serde_json::json!({ "file": f.display().to_string(), "ok": true, "runs": n }),
                Err(e) => {
                    serde_json::json!({ "file": f.display().to_string(), "ok": false, "error": format!("{e:#}") })
                }
            });
            continue;
        }
        match result {
            Ok(n) => say!("ok      {} ({n} {})", f.display(), if n == 1 { "run" } else { "runs" }),
            Err(e) => say!("error   {}\n{e:#}", f.display()),
        }
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&rows)?);
    }
    if bad > 0 {
        bail!("{bad} of {} files have errors", files.len());
    }
    Ok(())
}

/// Checks that `dir` is what `compare` reads: a sweep folder with its `aggregate.json`. A run
/// folder, a missing folder or an unfinished sweep gets one sentence saying which and what
/// compare takes (red team: a run folder gave ron's "No such file or directory" twice).
fn compare_input(which: &str, dir: &Path) -> Result<()> {
    if dir.join("aggregate.json").is_file() {
        return Ok(());
    }
    let why = if !dir.exists() {
        "does not exist"
    } else {
        match folder::kind(dir) {
            Ok(folder::Kind::Run(_)) => "is a run folder (summary.json, no aggregate.json)",
            Ok(folder::Kind::Sweep(_)) => {
                "is a sweep folder without aggregate.json (an unfinished sweep: finish it \
                                           with `sweep FILE --out DIR --resume`)"
            }
            _ => "is not a sweep folder (no aggregate.json)",
        }
    };
    bail!(
        "compare: {which} `{}` {why}: compare takes two sweep folders written by `sweep` (each holds \
         aggregate.json); to compare single runs, run `sweep` on each scenario (a scenario without a sweep \
         section is a sweep of one run) and compare those folders",
        dir.display()
    )
}

fn compare(a: &Path, b: &Path, out: Option<PathBuf>, json: bool) -> Result<()> {
    compare_input("A", a)?;
    compare_input("B", b)?;
    // Default: one folder per pair under target/offsim/compare, so that comparing another pair
    // never lands in (and is never refused by) an earlier comparison's folder.
    let name = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "folder".into())
    };
    let out = out.unwrap_or_else(|| {
        PathBuf::from("target/offsim/compare").join(reports::sanitize(&format!("{}-vs-{}", name(a), name(b))))
    });
    let _lock = folder::lock(&out, "compare")?;
    let rows = reports::compare(a, b, &out)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    say!(
        "{:<40} {:<26} {:>14} {:>14} {:>12} {:>8}",
        "point",
        "metric",
        "A mean",
        "B mean",
        "B - A",
        "CIs overlap"
    );
    for r in &rows {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
        let overlap = r.ci_overlap.map_or("-", |o| if o { "yes" } else { "NO" });
        say!(
            "{:<40} {:<26} {:>14} {:>14} {:>12} {:>8}",
            r.point,
            r.metric,
            f(r.a_mean),
            f(r.b_mean),
            f(r.diff),
            overlap
        );
    }
    // What differs significantly, paired by seed, in sentences (also atop index.html).
    if let Ok(summary) = std::fs::read_to_string(out.join("summary.txt")) {
        say!("\n{}", summary.trim_end());
    }
    say!("comparison: {}", out.display());
    Ok(())
}
