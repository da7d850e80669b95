//! `cargo xtask`: offsim's command line.

mod bench;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// offsim: a deterministic discrete-event simulator for TCP offload.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure kernel throughput (events per second) for the standard workloads.
    Bench(bench::BenchArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Bench(args) => bench::run(args),
    }
}
