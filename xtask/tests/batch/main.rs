//! Issue 14 (nothing lost, nothing silent), checked on the built `xtask` binary: exact resume
//! and merge of the catalog's default sweep, folder locks and completion markers, refusing
//! unrelated output folders, exit statuses.
//!
//! `OFFSIM_COMMIT` pins the recorded build so that a commit made while the tests run cannot
//! make two sweeps differ.

mod exit;
mod folders;
mod roundtrip;
#[path = "../common/run.rs"]
mod run;
#[path = "../common/trees.rs"]
mod trees;

use run::{COMMIT, describe, xtask};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use trees::{assert_same_tree, tree};

/// The catalog's default sweep, relative to the crate folder (the working directory).
const DEFAULT_SWEEP: &str = "../scenarios/catalog/sweep_default.ron";

/// Runs of the default sweep with `--seeds 1` (4 loss rates x 3 offload moments).
const DEFAULT_RUNS_ONE_SEED: usize = 12;

/// A one-run scenario of the catalog.
const ONE_RUN: &str = "../scenarios/catalog/offload_during_retransmission.ron";

/// `xtask ARGS...`, waited for.
fn xt(args: &[&str]) -> Output {
    xtask().args(args).output().expect("start xtask")
}

/// The default sweep with one seed into `out`, with `args`.
fn default_sweep(out: &Path, args: &[&str]) -> Output {
    let mut c = xtask();
    c.args(["sweep", DEFAULT_SWEEP, "--seeds", "1", "--jobs", "2", "--out", p(out)])
        .args(args);
    c.output().expect("start xtask")
}

/// `(runs, reused, failed)` from the line `N runs (R reused, F failed) in DIR`.
#[track_caller]
fn counts(o: &Output) -> (usize, usize, usize) {
    let text = stdout(o);
    let line = text
        .lines()
        .find(|l| l.contains(" runs (") && l.contains(" reused, "))
        .unwrap_or_else(|| panic!("no summary line:\n{}", describe(o)));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[0], nums[1], nums[2])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_status(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit status {code}:\n{}",
        describe(o)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// Run folders whose name has no `.partial` suffix.
fn run_folders(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir.join("runs")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".partial"))
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("batch-test")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}
