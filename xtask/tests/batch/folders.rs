//! Result folders (issue 14): one writer per folder, run folders complete only with a
//! matching completion marker, never writing into (or clearing) a folder offsim did not make,
//! never mixing builds silently, never leaving a folder that looks complete but is not.

use super::*;
use std::time::{Duration, Instant};

#[test]
fn a_second_writer_fails_at_once_naming_the_holder() {
    let d = tempdir();
    let out = d.path().join("sweep");
    let mut first = xtask()
        .args(["sweep", DEFAULT_SWEEP, "--seeds", "8", "--jobs", "1", "--out", p(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The whole default sweep (96 runs, one worker): surely still running when the second
    // starts. The holder is recorded once the lock is taken.
    let lock = out.join(".offsim.lock");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(&lock).map_or(true, |t| t.is_empty()) {
        assert!(first.try_wait().unwrap().is_none(), "the first sweep ended early");
        assert!(Instant::now() < deadline, "the first sweep never locked its folder");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    let second = xt(&["sweep", DEFAULT_SWEEP, "--seeds", "8", "--resume", "--out", p(&out)]);
    let waited = started.elapsed();
    let still_running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        still_running,
        "the first sweep must still hold the folder during the second"
    );
    assert_status(&second, 1);
    let e = stderr(&second);
    assert!(e.contains("is in use by another offsim process"), "{e}");
    assert!(
        e.contains(&format!("pid {}", first.id())) && e.contains("started "),
        "{e}"
    );
    assert!(waited < Duration::from_secs(30), "the second writer waited {waited:?}");
}

#[test]
fn resume_reruns_runs_whose_files_were_deleted_changed_or_never_marked_complete() {
    let d = tempdir();
    let out = d.path().join("sweep");
    assert_status(&default_sweep(&out, &[]), 0);
    let runs = run_folders(&out);
    let reference = tree(&out);
    let run = |k: usize| out.join("runs").join(&runs[k]);
    std::fs::remove_file(run(0).join("segments.csv")).unwrap(); // a deleted file
    std::fs::write(run(1).join("cc.csv"), "time_ns\n").unwrap(); // a truncated file
    std::fs::remove_file(run(2).join("complete.json")).unwrap(); // killed before the marker
    std::fs::write(run(3).join("old-link.pcapng"), "").unwrap(); // a stale extra file

    let o = default_sweep(&out, &["--resume"]);
    assert_status(&o, 0);
    assert_eq!(counts(&o), (DEFAULT_RUNS_ONE_SEED, DEFAULT_RUNS_ONE_SEED - 4, 0));
    assert_eq!(
        tree(&out),
        reference,
        "the rerun runs are whole again, nothing else changed"
    );
}

#[test]
fn resume_refuses_runs_of_another_build_unless_allowed_and_then_lists_the_builds() {
    let d = tempdir();
    let out = d.path().join("sweep");
    assert_status(&default_sweep(&out, &[]), 0);
    let before = tree(&out);
    let other_build = |args: &[&str]| {
        let mut c = xtask();
        c.env("OFFSIM_COMMIT", "fedcba987654")
            .args([
                "sweep",
                DEFAULT_SWEEP,
                "--seeds",
                "2",
                "--jobs",
                "2",
                "--out",
                p(&out),
                "--resume",
            ])
            .args(args);
        c.output().unwrap()
    };
    let o = other_build(&[]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("was started by another build (0.1.0 (0123456789ab))"),
        "{}",
        describe(&o)
    );
    assert_eq!(
        tree(&out),
        before,
        "a refused resume changes nothing (not even manifest.json)"
    );

    let o = other_build(&["--allow-mixed-builds"]);
    assert_status(&o, 0);
    assert_eq!(counts(&o), (2 * DEFAULT_RUNS_ONE_SEED, DEFAULT_RUNS_ONE_SEED, 0));
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        meta["builds"],
        serde_json::json!(["0.1.0 (0123456789ab)", "0.1.0 (fedcba987654)"])
    );
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("Runs of 2 builds"), "the report names both builds");
}

#[test]
fn out_into_a_folder_offsim_did_not_make_is_refused_and_left_untouched() {
    let d = tempdir();
    let mine = d.path().join("mine");
    std::fs::create_dir_all(mine.join("runs/x.partial")).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    std::fs::write(mine.join("runs/x.partial/data"), "keep").unwrap();
    std::fs::write(mine.join(".results.json.tmp42"), "keep").unwrap();
    let before = tree(&mine);
    for flags in [&[][..], &["--resume"], &["--force"]] {
        let o = default_sweep(&mine, flags);
        assert_status(&o, 1);
        assert!(
            stderr(&o).contains("is not empty and is not a sweep folder"),
            "{}",
            describe(&o)
        );
        let o = xt(&["run", ONE_RUN, "--out", p(&mine)]);
        assert_status(&o, 1);
        assert!(
            stderr(&o).contains("is not empty and is not a run folder"),
            "{}",
            describe(&o)
        );
    }
    let mut after = tree(&mine);
    after.remove(".offsim.lock");
    assert_eq!(after, before, "a refused folder keeps every file");
}

#[test]
fn a_sweep_folder_is_reused_only_with_resume_or_force() {
    let d = tempdir();
    let out = d.path().join("sweep");
    assert_status(&default_sweep(&out, &[]), 0);
    let o = default_sweep(&out, &[]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("already holds a sweep of sweep_default: --resume continues it"),
        "{}",
        describe(&o)
    );
    let o = default_sweep(&out, &["--resume"]);
    assert_eq!(counts(&o), (DEFAULT_RUNS_ONE_SEED, DEFAULT_RUNS_ONE_SEED, 0));
    std::fs::write(out.join("runs/leftover.txt"), "x").unwrap();
    let o = default_sweep(&out, &["--force"]);
    assert_eq!(
        counts(&o),
        (DEFAULT_RUNS_ONE_SEED, 0, 0),
        "--force runs everything again"
    );
    assert!(!out.join("runs/leftover.txt").exists(), "--force clears the folder");
}

#[test]
fn run_into_an_earlier_run_folder_leaves_no_stale_files() {
    let d = tempdir();
    let out = d.path().join("run");
    assert_status(&xt(&["run", ONE_RUN, "--out", p(&out)]), 0);
    let first = tree(&out);
    // What an earlier run of an edited scenario leaves: the capture of a link since renamed.
    std::fs::write(out.join("old-name_host-_peer.pcapng"), "old capture").unwrap();
    assert_status(&xt(&["run", ONE_RUN, "--out", p(&out)]), 0);
    assert_eq!(tree(&out), first, "the folder holds exactly the new run's files");
}

#[test]
fn report_refuses_an_interrupted_run_and_accepts_a_complete_one() {
    let d = tempdir();
    let out = d.path().join("run");
    assert_status(&xt(&["run", ONE_RUN, "--out", p(&out)]), 0);
    assert_status(&xt(&["report", p(&out)]), 0);
    // Killed before its last file: `summary.json` says ok, the marker is missing.
    std::fs::remove_file(out.join("complete.json")).unwrap();
    std::fs::remove_file(out.join("segments.csv")).unwrap();
    let o = xt(&["report", p(&out)]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("has no completion marker (complete.json): not reporting an incomplete run"),
        "{}",
        describe(&o)
    );
}

#[test]
fn merge_refuses_a_shard_with_an_incomplete_run() {
    let d = tempdir();
    let shards: Vec<PathBuf> = (0..2).map(|i| d.path().join(format!("shard-{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        assert_status(&default_sweep(s, &["--shard", &format!("{i}/2")]), 0);
    }
    let victim = shards[1].join("runs").join(&run_folders(&shards[1])[0]);
    std::fs::remove_file(victim.join("acks.csv")).unwrap();
    let mut c = xtask();
    c.arg("merge")
        .args(&shards)
        .args(["--out", p(&d.path().join("merged"))]);
    let o = c.output().unwrap();
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("acks.csv is missing: run it again with `sweep --resume`"),
        "{}",
        describe(&o)
    );
    // Repaired as the message says; then a merge, and its retry (a rescheduled merge job) into
    // the same folder, both succeed with the same files.
    let o = default_sweep(&shards[1], &["--shard", "1/2", "--resume"]);
    assert_eq!(
        counts(&o),
        (DEFAULT_RUNS_ONE_SEED / 2, DEFAULT_RUNS_ONE_SEED / 2 - 1, 0)
    );
    let merged = d.path().join("merged");
    let merge = || {
        let mut c = xtask();
        c.arg("merge").args(&shards).args(["--out", p(&merged)]);
        c.output().unwrap()
    };
    assert_status(&merge(), 0);
    let first = tree(&merged);
    std::fs::create_dir_all(merged.join("runs/x.partial")).unwrap(); // killed mid-copy
    assert_status(&merge(), 0);
    assert_eq!(tree(&merged), first, "a retried merge ends with the same files");
}

#[test]
fn resume_with_fewer_seeds_is_refused_and_loses_nothing() {
    let d = tempdir();
    let out = d.path().join("sweep");
    let mut c = xtask();
    c.args(["sweep", DEFAULT_SWEEP, "--seeds", "2", "--jobs", "2", "--out", p(&out)]);
    assert_status(&c.output().unwrap(), 0);
    let before = tree(&out);
    let o = default_sweep(&out, &["--resume"]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains(&format!(
            "holds {DEFAULT_RUNS_ONE_SEED} run folders that are no run of this sweep (it had more seeds"
        )),
        "{}",
        describe(&o)
    );
    assert_eq!(tree(&out), before, "a refused resume changes nothing");
}

#[test]
fn report_refuses_a_sweep_whose_resume_was_killed() {
    let d = tempdir();
    let out = d.path().join("sweep");
    assert_status(&default_sweep(&out, &[]), 0);
    assert_status(&xt(&["report", p(&out)]), 0);
    // Grown to 8 seeds, killed once a new run is written: the old results.json must not make
    // the folder pass for a finished sweep of 8 seeds.
    let mut grow = xtask()
        .args([
            "sweep",
            DEFAULT_SWEEP,
            "--seeds",
            "8",
            "--jobs",
            "1",
            "--resume",
            "--out",
            p(&out),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while run_folders(&out).len() <= DEFAULT_RUNS_ONE_SEED {
        assert!(
            grow.try_wait().unwrap().is_none(),
            "the grown sweep ended before it was killed"
        );
        assert!(Instant::now() < deadline, "no new run folder appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    grow.kill().unwrap();
    grow.wait().unwrap();
    let o = xt(&["report", p(&out)]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("the sweep did not finish (no results.json): continue it with `sweep --resume`"),
        "{}",
        describe(&o)
    );
}
