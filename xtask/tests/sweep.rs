//! The batch-sweep guarantees of issue 7, checked on the built `xtask` binary with a small
//! sweep (`tests/data/mini_sweep.ron`, run with `--seeds 2`: 5 parameter points x 2 seeds =
//! 10 runs, the 2 runs of the black-hole point failing on purpose):
//!
//! 1. every output file is byte-identical whatever `--jobs` is;
//! 2. a failing run is recorded (error, seed) and isolated: the others complete, exit 3;
//! 3. a sweep killed with SIGKILL and restarted with `--resume` ends identical to an
//!    uninterrupted one, reuses the runs completed before the kill, leaves no temp files;
//! 4. growing `--seeds` with `--resume` executes only the new runs;
//! 5. `--shard I/3` x 3 + `merge` is byte-identical to the unsharded sweep.
//!
//! Every comparison is against one reference sweep (`--jobs 2`), computed once per test
//! process. `OFFSIM_COMMIT` pins the recorded commit so a commit made while the tests run
//! cannot make two sweeps differ.

#[path = "common/run.rs"]
mod run;
#[path = "common/trees.rs"]
mod trees;

use run::{COMMIT, describe, xtask};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The scenario, relative to the crate folder (the tests' working directory), so that the
/// recorded paths and commands are short and the same in every sweep.
const SCENARIO: &str = "tests/data/mini_sweep.ron";
const SEEDS: &str = "2";
const RUNS: usize = 10;
const FAILING: usize = 2;
/// Seeds of the failing runs (the scenario's base seed is 7).
const FAILING_SEEDS: [u64; 2] = [7, 8];

/// `xtask sweep SCENARIO --seeds 2 --out OUT ARGS...`, waited for.
fn sweep(out: &Path, args: &[&str]) -> Output {
    let mut c = xtask();
    c.args(["sweep", SCENARIO, "--seeds", SEEDS, "--out"])
        .arg(out)
        .args(args);
    c.output().expect("start xtask")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A sweep with failing runs completes and exits with status 3.
fn assert_completed_with_failures(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(3),
        "expected exit status 2 (runs failed):\n{}",
        describe(o)
    );
}

/// `(runs, reused, failed)` from the line `N runs (R reused, F failed) in DIR`.
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

/// Every path (files and folders) under `dir`, relative.
fn all_paths(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// [`trees::assert_same_tree`], and the folder holds at least the files a sweep writes.
#[track_caller]
fn assert_same_tree(expected: &Path, actual: &Path, what: &str) {
    let files = trees::assert_same_tree(expected, actual, what);
    assert!(files > RUNS * 5, "{what}: suspiciously few files ({files})");
}

/// Leftovers of an interrupted write: `*.partial` folders, `.NAME.tmpPID` files.
fn assert_no_leftovers(dir: &Path) {
    let bad: Vec<String> = all_paths(dir)
        .into_iter()
        .filter(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            name.ends_with(".partial") || name.contains(".tmp")
        })
        .collect();
    assert!(bad.is_empty(), "leftover temporary files in {}: {bad:?}", dir.display());
}

fn complete_runs(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir.join("runs")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".partial"))
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .ino()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sweep-test")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

struct Reference {
    dir: PathBuf,
    output: Output,
}

static REFERENCE: OnceLock<Reference> = OnceLock::new();

/// The uninterrupted, unsharded sweep with `--jobs 2`, shared by every test of this file.
fn reference() -> &'static Reference {
    REFERENCE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-reference");
        let _ = std::fs::remove_dir_all(&dir);
        let output = sweep(&dir, &["--jobs", "2"]);
        assert_completed_with_failures(&output);
        assert_eq!(counts(&output), (RUNS, 0, FAILING), "{}", describe(&output));
        Reference { dir, output }
    })
}

/// Removes the reference folder when the last test of this file is done with it.
struct Cleanup;
impl Drop for Cleanup {
    fn drop(&mut self) {
        static DONE: AtomicUsize = AtomicUsize::new(0);
        const TESTS: usize = 5;
        if DONE.fetch_add(1, Ordering::SeqCst) + 1 == TESTS
            && let Some(r) = REFERENCE.get()
        {
            let _ = std::fs::remove_dir_all(&r.dir);
        }
    }
}

#[test]
fn identical_at_any_thread_count() {
    let _c = Cleanup;
    let r = reference();
    let d = tempdir();
    let o = sweep(d.path(), &["--jobs", "1"]);
    assert_completed_with_failures(&o);
    assert_eq!(counts(&o), (RUNS, 0, FAILING));
    assert_same_tree(&r.dir, d.path(), "--jobs 1 vs --jobs 2");
}

#[test]
fn a_failing_run_is_recorded_and_isolated() {
    let _c = Cleanup;
    let r = reference();
    let dir = &r.dir;
    // Exit status and console.
    assert_completed_with_failures(&r.output);
    let out = stdout(&r.output);

    // results.json: every run, the failing ones with error and seed.
    let rows = json(&dir.join("results.json"));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), RUNS);
    let failed: Vec<&serde_json::Value> = rows.iter().filter(|r| r["status"] != "ok").collect();
    assert_eq!(failed.len(), FAILING, "failed rows: {failed:?}");
    let mut seeds = Vec::new();
    for f in &failed {
        assert_eq!(f["status"], "failed");
        assert_eq!(
            f["params"][0],
            serde_json::json!(["loss", "1.0"]),
            "only the black hole fails: {f}"
        );
        let error = f["error"].as_str().unwrap();
        assert!(error.contains("time limit"), "error should name the limit: {error}");
        let id = f["run_id"].as_str().unwrap();
        let seed = f["seed"].as_u64().unwrap();
        seeds.push(seed);
        assert!(
            out.contains(&format!("FAILED run {id} seed {seed}: {error}")),
            "console lacks the failed run {id}:\n{out}"
        );
        // The HTML report's failed-runs table: id, seed, error.
        let html = std::fs::read_to_string(dir.join("report/index.html")).unwrap();
        let row = html
            .lines()
            .find(|l| l.starts_with("<tr class=\"failed\">") && l.contains(&format!(">{id}</a>")))
            .unwrap_or_else(|| panic!("report lacks a failed-run row for {id}"));
        assert!(row.contains(&format!("<td>{seed}</td>")), "seed missing: {row}");
        assert!(row.contains(&html_escape(error)), "error missing: {row}");
    }
    assert_eq!(seeds, FAILING_SEEDS);

    // results.csv: the same rows, with status, error and seed columns.
    let mut csv = csv::Reader::from_path(dir.join("results.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (c_id, c_seed, c_status, c_error) = (col("run_id"), col("seed"), col("status"), col("error"));
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), RUNS);
    for (rec, row) in records.iter().zip(rows) {
        assert_eq!(rec[c_id], *row["run_id"].as_str().unwrap());
        assert_eq!(rec[c_seed], row["seed"].to_string());
        assert_eq!(rec[c_status], *row["status"].as_str().unwrap());
        assert_eq!(rec[c_error], *row["error"].as_str().unwrap_or(""));
    }

    // Every run is written: the failing ones with their summary, the others with their
    // series (cc.csv, buffers.csv); per-packet records (captures, segments.csv, acks.csv) and
    // charts only for each point's example run (issue 13: the median seed by goodput, the one
    // the report links).
    let mut examples = Vec::new();
    for row in rows {
        let run = dir.join(row["dir"].as_str().unwrap());
        let summary = json(&run.join("summary.json"));
        assert_eq!(summary["seed"], row["seed"]);
        if row["status"] == "ok" {
            assert_eq!(summary["outcome"]["status"], "ok", "{}", run.display());
            for f in ["cc.csv", "buffers.csv"] {
                assert!(run.join(f).is_file(), "{} lacks {f}", run.display());
            }
        }
        let example = row["example"] == true;
        for f in [
            "timeseq-c1.png",
            "cc-c1.svg",
            "c1-sender.pcapng",
            "segments.csv",
            "acks.csv",
        ] {
            assert_eq!(
                run.join(f).is_file(),
                example,
                "{} {f}, example {example}",
                run.display()
            );
        }
        assert_eq!(summary["artifacts"]["pcap"], example, "{}", run.display());
        if example {
            examples.push(row["params"].clone());
        }
    }
    let points: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r["status"] == "ok")
        .map(|r| r["params"].to_string())
        .collect();
    assert_eq!(
        examples.len(),
        points.len(),
        "one example per point with a successful run"
    );
    assert_eq!(complete_runs(dir).len(), RUNS);
    let sweep_meta = json(&dir.join("sweep.json"));
    assert_eq!(sweep_meta["failed"], FAILING as u64);
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn killed_sweep_resumes_to_identical_files() {
    let _c = Cleanup;
    let r = reference();
    let d = tempdir();
    // One worker, so the sweep is surely mid-way when its first run folder appears; at the
    // lowest priority (`nice` execs it: same process), so this thread notices at once even
    // on a busy machine.
    let mut child = Command::new("nice")
        .args(["-n", "19", env!("CARGO_BIN_EXE_xtask")])
        .args(["sweep", SCENARIO, "--seeds", SEEDS, "--jobs", "1", "--out"])
        .arg(d.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OFFSIM_COMMIT", COMMIT)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start xtask");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if !complete_runs(d.path()).is_empty() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sweep ended ({status}) before a run folder appeared");
        }
        assert!(Instant::now() < deadline, "no run folder appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        status.code().is_none(),
        "the sweep should have been killed, not have ended: {status}"
    );
    let done = complete_runs(d.path());
    assert!(
        !done.is_empty() && done.len() < RUNS,
        "kill mid-way: {} complete runs",
        done.len()
    );
    let inodes: BTreeMap<&String, u64> = done
        .iter()
        .map(|id| (id, inode(&d.path().join("runs").join(id).join("summary.json"))))
        .collect();
    // The example runs (one per point) gain their captures and charts once their point is
    // complete, so they are the ones a resumed sweep may write again.
    let examples: Vec<String> = json(&r.dir.join("results.json"))
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["example"] == true)
        .map(|row| row["run_id"].as_str().unwrap().to_string())
        .collect();
    // What a kill at other moments leaves: a half-written run, a half-written results file.
    std::fs::create_dir_all(d.path().join("runs/0123456789ab.partial")).unwrap();
    std::fs::write(d.path().join("runs/0123456789ab.partial/segments.csv"), "half").unwrap();
    std::fs::write(d.path().join(".results.json.tmp4242"), "half").unwrap();

    let o = sweep(d.path(), &["--jobs", "2", "--resume"]);
    assert_completed_with_failures(&o);
    assert_eq!(counts(&o), (RUNS, done.len(), FAILING), "{}", describe(&o));
    for (id, ino) in inodes.into_iter().filter(|(id, _)| !examples.contains(id)) {
        let now = inode(&d.path().join("runs").join(id).join("summary.json"));
        assert_eq!(now, ino, "run {id} was complete before the kill but was written again");
    }
    assert_no_leftovers(d.path());
    assert_same_tree(&r.dir, d.path(), "killed + --resume vs uninterrupted");
}

#[test]
fn growing_seeds_runs_only_the_new_runs() {
    let _c = Cleanup;
    let r = reference();
    let d = tempdir();
    let mut first = xtask();
    first
        .args(["sweep", SCENARIO, "--seeds", "1", "--jobs", "2", "--out"])
        .arg(d.path());
    let o = first.output().unwrap();
    assert_completed_with_failures(&o);
    assert_eq!(counts(&o), (5, 0, 1), "{}", describe(&o));
    let old = complete_runs(d.path());
    assert_eq!(old.len(), 5);
    let summary = |id: &str| d.path().join("runs").join(id).join("summary.json");
    // One of the old runs looks like it came from an edited scenario (same run id, other
    // resolved scenario): --resume must run it again instead of reusing it.
    let stale = old.iter().next().unwrap().clone();
    let mut s = json(&summary(&stale));
    s["scenario_text"] = serde_json::Value::String("(name: \"edited\")".into());
    std::fs::write(summary(&stale), serde_json::to_vec_pretty(&s).unwrap()).unwrap();
    let inodes: BTreeMap<&String, u64> = old.iter().map(|id| (id, inode(&summary(id)))).collect();
    let examples = |dir: &Path| -> Vec<String> {
        json(&dir.join("results.json"))
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["example"] == true)
            .map(|row| row["run_id"].as_str().unwrap().to_string())
            .collect()
    };
    let examples_before = examples(d.path());

    let o = sweep(d.path(), &["--jobs", "2", "--resume"]);
    assert_completed_with_failures(&o);
    assert_eq!(counts(&o), (RUNS, 4, FAILING), "{}", describe(&o));
    // Reused runs are not written again, except that a run which was its point's example with
    // one seed and no longer is with two loses its captures and charts (issue 13), so that
    // the folder matches a sweep run with two seeds from the start.
    let examples_after = examples(d.path());
    for (id, ino) in inodes {
        let rewritten = inode(&summary(id)) != ino;
        let demoted = examples_before.contains(id) && !examples_after.contains(id);
        assert_eq!(rewritten, *id == stale || demoted, "run {id}: rewritten = {rewritten}");
    }
    assert_no_leftovers(d.path());
    assert_same_tree(&r.dir, d.path(), "--seeds 1 then --seeds 2 --resume vs --seeds 2");
}

#[test]
fn shards_merge_to_the_unsharded_sweep() {
    let _c = Cleanup;
    let r = reference();
    let d = tempdir();
    let shard = |i: usize| d.path().join(format!("shard-{i}"));
    let children: Vec<_> = (0..3)
        .map(|i| {
            let mut c = xtask();
            c.args([
                "sweep",
                SCENARIO,
                "--seeds",
                SEEDS,
                "--jobs",
                "1",
                "--shard",
                &format!("{i}/3"),
                "--out",
            ])
            .arg(shard(i))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    // Run k of the sweep goes to shard k % 3; the failing runs are the last FAILING.
    let failing_in = |i: usize| (RUNS - FAILING..RUNS).filter(|k| k % 3 == i).count();
    for (i, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().unwrap();
        let runs = (0..RUNS).filter(|k| k % 3 == i).count();
        if failing_in(i) > 0 {
            assert_completed_with_failures(&o);
        } else {
            assert!(o.status.success(), "shard {i}: {}", describe(&o));
        }
        assert_eq!(counts(&o), (runs, 0, failing_in(i)), "shard {i}: {}", describe(&o));
        assert_eq!(
            json(&shard(i).join("shard.json")),
            serde_json::json!({"index": i, "count": 3})
        );
    }

    // An incomplete set of shards is refused, naming a missing run.
    let mut c = xtask();
    c.args(["merge"])
        .arg(shard(0))
        .arg(shard(1))
        .arg("--out")
        .arg(d.path().join("partial-merge"));
    let o = c.output().unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is in none of the shard folders"),
        "{}",
        describe(&o)
    );

    let merged = d.path().join("merged");
    let mut c = xtask();
    c.args(["merge"]).args((0..3).map(shard)).arg("--out").arg(&merged);
    let o = c.output().unwrap();
    assert_completed_with_failures(&o);
    assert!(
        stdout(&o).starts_with(&format!("merged {RUNS} runs from 3 shard folders")),
        "{}",
        describe(&o)
    );
    assert_no_leftovers(&merged);
    assert_same_tree(&r.dir, &merged, "merge of 3 shards vs unsharded");
}
