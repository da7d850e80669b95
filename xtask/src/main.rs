//! `cargo xtask`: offsim's command line. Each subcommand is a thin call into the crates.

mod artifacts;
mod bench;
mod bench_process;
mod runner;
mod sweep;
mod tools;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use sweep::{SeedsArg, Shard, SweepPlan};

/// offsim: a deterministic discrete-event simulator for TCP offload (NDIS TCP chimney).
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one run of a scenario file, print a one-screen summary and write its files
    /// (exit status 2 if the run failed).
    Run {
        /// Scenario file (RON).
        file: PathBuf,
        /// Run with this seed instead of the file's.
        #[arg(long)]
        seed: Option<u64>,
        /// Run the sweep run with this id (see `sweep FILE --list`); default: the first.
        #[arg(long = "run")]
        run_id: Option<String>,
        /// Output folder (default: target/offsim/<scenario>/<run id>).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        artifacts: artifacts::ArtifactArgs,
    },
    /// Run the sweep a scenario file describes (axes × seeds) in parallel, then write the
    /// results and the HTML report. Exits 2 if some runs failed (every result is still
    /// written, failures included), 1 on an error that stops the sweep.
    Sweep {
        /// Scenario file (RON) with a `sweep` section.
        file: PathBuf,
        /// Seeds per parameter point: a count N (base seed + 0..N) or a range A..B.
        #[arg(long)]
        seeds: Option<SeedsArg>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long)]
        jobs: Option<usize>,
        /// Output folder (default: target/offsim/<scenario>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Reuse the complete runs already in the output folder (after an interruption, or
        /// after raising --seeds); only missing runs execute.
        #[arg(long)]
        resume: bool,
        /// Run only slice I of N (0 <= I < N), for a cluster job array; merge the slices
        /// with `merge`.
        #[arg(long)]
        shard: Option<Shard>,
        /// Print the expanded runs (id, parameters, seed) without running them.
        #[arg(long)]
        list: bool,
        #[command(flatten)]
        artifacts: artifacts::ArtifactArgs,
    },
    /// Validate scenario files (schema, references, sweep axes) without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// (Re)write the HTML report of a sweep folder: DIR/report/index.html.
    Report {
        /// Sweep folder.
        dir: PathBuf,
    },
    /// Compare two sweep folders metric by metric (difference, CI overlap), with charts.
    Compare {
        /// Baseline folder.
        a: PathBuf,
        /// Folder compared with it.
        b: PathBuf,
        /// Where to write the comparison (default: target/offsim/compare).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Combine the shard folders of one sweep into one sweep folder and report.
    Merge {
        /// Shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure throughput: kernel events per second, simulated segments per second.
    Bench(bench::BenchArgs),
    /// The README's main job: the catalog's default sweep into target/offsim/demo.
    Demo {
        /// Worker threads (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Install the test tools if missing (tshark, chromium: Debian packages) and run the
    /// whole test suite.
    Test,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            file,
            seed,
            run_id,
            out,
            artifacts,
        } => run(&file, seed, run_id.as_deref(), out, artifacts.for_run()),
        Command::Sweep {
            file,
            seeds,
            jobs,
            out,
            resume,
            shard,
            list,
            artifacts,
        } => {
            if list {
                let (_, _, runs) = sweep::expand_file(&file, seeds.as_ref())?;
                print!("{}", scenarios::run_table(&runs));
                return Ok(());
            }
            let out = out.unwrap_or_else(|| default_out(&file));
            sweep(&SweepPlan {
                file,
                seeds,
                jobs,
                out,
                resume,
                shard,
                artifacts,
            })
        }
        Command::Check { files } => check(&files),
        Command::Report { dir } => {
            reports::write_report(&dir)?;
            println!("report: {}", dir.join("report/index.html").display());
            Ok(())
        }
        Command::Compare { a, b, out } => compare(&a, &b, out),
        Command::Merge { dirs, out } => {
            let reports = sweep::merge(&dirs, &out)?;
            println!(
                "merged {} runs from {} shard folders into {}",
                reports.len(),
                dirs.len(),
                out.display()
            );
            exit_on_failures(&reports)
        }
        Command::Bench(args) => bench::run(args),
        Command::Demo { jobs } => {
            let file = PathBuf::from("scenarios/catalog/sweep_default.ron");
            sweep(&SweepPlan {
                file,
                seeds: None,
                jobs,
                out: PathBuf::from("target/offsim/demo"),
                resume: false,
                shard: None,
                artifacts: Default::default(),
            })
        }
        Command::Test => tools::test(),
    }
}

fn default_out(file: &Path) -> PathBuf {
    let name = scenarios::load(file)
        .map(|s| s.name)
        .unwrap_or_else(|_| file.file_stem().unwrap_or_default().to_string_lossy().to_string());
    PathBuf::from("target/offsim").join(name)
}

fn run(
    file: &Path,
    seed: Option<u64>,
    run_id: Option<&str>,
    out: Option<PathBuf>,
    artifacts: reports::Artifacts,
) -> Result<()> {
    let seeds = seed.map(|s| SeedsArg(scenarios::sweep::Seeds::List(vec![s])));
    let (scenario, _, runs) = sweep::expand_file(file, seeds.as_ref())?;
    let spec = match run_id {
        Some(id) => runs.iter().find(|r| r.run_id == id).with_context(|| {
            format!(
                "{}: no run with id {id} (see `cargo xtask sweep {} --list`)",
                file.display(),
                file.display()
            )
        })?,
        None => runs.first().context("the scenario expands to no runs")?,
    };
    if run_id.is_none() && runs.len() > 1 {
        eprintln!(
            "note: {} describes {} runs; running the first ({}). Use --run ID or `sweep`.",
            file.display(),
            runs.len(),
            spec.run_id
        );
    }
    let out = out.unwrap_or_else(|| PathBuf::from("target/offsim").join(&scenario.name).join(&spec.run_id));
    std::fs::create_dir_all(&out)?;
    let ctx = runner::RunContext {
        artifacts,
        ..runner::RunContext::new(file)
    };
    let r = runner::execute(spec, &ctx, &out)?;
    let ms = |ns: Option<u64>| ns.map_or("-".to_string(), |n| format!("{:.3} s", n as f64 / 1e9));
    let x = &r.retransmissions;
    println!("scenario      {} (run {}, seed {})", r.scenario, r.run_id, r.seed);
    println!(
        "outcome       {}",
        r.outcome.error().map_or("ok".to_string(), |e| format!("FAILED: {e}"))
    );
    println!("fingerprint   {}  ({} events)", r.fingerprint, r.events);
    println!(
        "delivered     {} of {} bytes, integrity {}",
        r.bytes_delivered,
        r.bytes_expected,
        if r.integrity_ok { "ok" } else { "FAILED" }
    );
    println!(
        "completion    {}   goodput {}",
        ms(r.completion_time_ns),
        r.goodput_bps.map_or("-".into(), |g| format!("{:.3} Mbit/s", g / 1e6))
    );
    println!(
        "retransmitted {} segments ({} bytes), {} RTOs, {} spurious",
        x.total, x.bytes, r.rto_count, r.spurious_retransmissions
    );
    for (k, v) in x.by_source.entries() {
        println!("  {k:<22}{v}");
    }
    println!("  (of which [SndNxt,SndMax) resend: {})", x.delegated_resend);
    println!("files         {}", out.display());
    exit_on_failures(std::slice::from_ref(&r))
}

fn sweep(plan: &SweepPlan) -> Result<()> {
    let res = sweep::run(plan)?;
    let failed: Vec<_> = res.reports.iter().filter(|r| !r.outcome.is_ok()).collect();
    println!(
        "{} runs ({} reused, {} failed) in {}",
        res.reports.len(),
        res.reused,
        failed.len(),
        plan.out.display()
    );
    for r in &failed {
        println!(
            "  FAILED run {} seed {}: {}",
            r.run_id,
            r.seed,
            r.outcome.error().unwrap_or_default()
        );
    }
    println!("report: {}", plan.out.join("report/index.html").display());
    exit_on_failures(&res.reports)
}

/// Exit status when every result was written but some runs failed (an error that stops
/// the command exits 1): schedulers can tell "results with failures" from "no results".
const EXIT_RUNS_FAILED: i32 = 2;

fn exit_on_failures(reports: &[reports::RunReport]) -> Result<()> {
    if reports.iter().any(|r| !r.outcome.is_ok()) {
        std::process::exit(EXIT_RUNS_FAILED);
    }
    Ok(())
}

fn check(files: &[PathBuf]) -> Result<()> {
    let mut bad = 0;
    for f in files {
        let result = sweep::expand_file(f, None).and_then(|(_, _, runs)| {
            for r in &runs {
                scenarios::build(&r.scenario).with_context(|| format!("run {}", r.run_id))?;
            }
            Ok(runs.len())
        });
        match result {
            Ok(n) => println!("ok      {} ({n} runs)", f.display()),
            Err(e) => {
                bad += 1;
                println!("error   {}\n{e:#}", f.display());
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} files have errors", files.len());
    }
    Ok(())
}

fn compare(a: &Path, b: &Path, out: Option<PathBuf>) -> Result<()> {
    let out = out.unwrap_or_else(|| PathBuf::from("target/offsim/compare"));
    let rows = reports::compare(a, b, &out)?;
    println!(
        "{:<40} {:<26} {:>14} {:>14} {:>12} {:>8}",
        "point", "metric", "A mean", "B mean", "B - A", "CIs overlap"
    );
    for r in &rows {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
        let overlap = r.ci_overlap.map_or("-", |o| if o { "yes" } else { "NO" });
        println!(
            "{:<40} {:<26} {:>14} {:>14} {:>12} {:>8}",
            r.point,
            r.metric,
            f(r.a_mean),
            f(r.b_mean),
            f(r.diff),
            overlap
        );
    }
    println!("comparison: {}", out.display());
    Ok(())
}
