//! Issue 14 (nothing lost, nothing silent), checked on the built `xtask` binary: exact resume
//! and merge of the catalog's default sweep, folder locks and completion markers, refusing
//! unrelated output folders, exit statuses.
//!
//! `OFFSIM_COMMIT` pins the recorded build so that a commit made while the tests run cannot
//! make two sweeps differ.

mod exit;
mod folders;
mod roundtrip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The commit every sweep of these tests records.
const COMMIT: &str = "0123456789ab";

/// The catalog's default sweep, relative to the crate folder (the working directory).
const DEFAULT_SWEEP: &str = "../scenarios/catalog/sweep_default.ron";

/// Runs of the default sweep with `--seeds 1` (4 loss rates x 3 offload moments).
const DEFAULT_RUNS_ONE_SEED: usize = 12;

/// A one-run scenario of the catalog.
const ONE_RUN: &str = "../scenarios/catalog/offload_during_retransmission.ron";

fn xtask() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OFFSIM_COMMIT", COMMIT)
        .stdin(Stdio::null());
    c
}

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

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
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

/// Every file under `dir` (relative path -> bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Fails with the files that are missing, extra or different, showing the first differing
/// line of up to three files.
#[track_caller]
fn assert_same_tree(expected: &Path, actual: &Path, what: &str) {
    let a = tree(expected);
    let b = tree(actual);
    let missing: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let extra: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let differ: Vec<&String> = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k)
        .collect();
    let first_lines: Vec<String> = differ
        .iter()
        .take(3)
        .map(|k| {
            let (x, y) = (String::from_utf8_lossy(&a[*k]), String::from_utf8_lossy(&b[*k]));
            let line = x.lines().zip(y.lines()).find(|(l, m)| l != m);
            format!("{k}: {line:?}")
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{what}: {} differs from {}\nmissing: {missing:?}\nextra: {extra:?}\ndifferent ({}): {:?}\n{}",
        actual.display(),
        expected.display(),
        differ.len(),
        differ.iter().take(12).collect::<Vec<_>>(),
        first_lines.join("\n")
    );
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
