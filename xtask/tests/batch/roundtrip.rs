//! Every number written and read back survives exactly: a sweep of the catalog's default
//! scenario that is resumed after SIGKILL, grown with `--seeds` or merged from shards is
//! byte-identical to one uninterrupted, unsharded sweep (issue 14: `summary.json` floats read
//! back without serde_json's `float_roundtrip` differed in the last digit).

use super::*;
use std::time::{Duration, Instant};

/// 4 loss rates x 3 offload moments x 3 seeds = 36 runs (the catalog has 8 seeds; 3 keep the
/// debug-build test short and still give every statistic a standard deviation).
const SEEDS: &str = "3";
const RUNS: usize = 36;

fn sweep(out: &Path, args: &[&str]) -> Output {
    let mut c = xtask();
    c.args(["sweep", DEFAULT_SWEEP, "--out", p(out)]).args(args);
    c.output().expect("start xtask")
}

#[test]
fn resume_grow_and_merge_of_the_default_sweep_equal_one_uninterrupted_sweep() {
    let d = tempdir();
    let reference = d.path().join("reference");
    let o = sweep(&reference, &["--seeds", SEEDS, "--jobs", "2"]);
    assert_status(&o, 0);
    assert_eq!(run_folders(&reference).len(), RUNS);

    // 1. Killed mid-way (SIGKILL), then resumed.
    let killed = d.path().join("killed");
    let mut child = Command::new("nice")
        .args(["-n", "19", env!("CARGO_BIN_EXE_xtask")])
        .args([
            "sweep",
            DEFAULT_SWEEP,
            "--seeds",
            SEEDS,
            "--jobs",
            "1",
            "--out",
            p(&killed),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OFFSIM_COMMIT", COMMIT)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start xtask");
    let deadline = Instant::now() + Duration::from_secs(300);
    while run_folders(&killed).len() < 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it was killed"
        );
        assert!(Instant::now() < deadline, "no run folder appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = run_folders(&killed).len();
    assert!(done < RUNS, "kill mid-way: {done} complete runs");
    let o = sweep(&killed, &["--seeds", SEEDS, "--jobs", "2", "--resume"]);
    assert_status(&o, 0);
    assert_same_tree(&reference, &killed, "killed + --resume vs uninterrupted");

    // 2. One seed, then grown to three with --resume.
    let grown = d.path().join("grown");
    assert_status(&sweep(&grown, &["--seeds", "1", "--jobs", "2"]), 0);
    assert_status(&sweep(&grown, &["--seeds", SEEDS, "--jobs", "2", "--resume"]), 0);
    assert_same_tree(&reference, &grown, "--seeds 1 then --seeds 3 --resume vs --seeds 3");

    // 3. Three shards, merged.
    let shards: Vec<PathBuf> = (0..3).map(|i| d.path().join(format!("shard-{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        let o = sweep(s, &["--seeds", SEEDS, "--jobs", "2", "--shard", &format!("{i}/3")]);
        assert_status(&o, 0);
    }
    let merged = d.path().join("merged");
    let mut c = xtask();
    c.arg("merge").args(&shards).args(["--out", p(&merged)]);
    assert_status(&c.output().unwrap(), 0);
    assert_same_tree(&reference, &merged, "merge of 3 shards vs unsharded");
}
