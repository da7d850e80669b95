//! Exit statuses and process edges (issue 14): 0 success, 1 error, 2 usage error, 3 completed
//! with failed runs; a closed stdout is not a crash; `--jobs` is capped; comparing unrelated
//! sweeps is an error, not an empty table.

use super::*;

#[test]
fn usage_errors_exit_2_and_runs_that_failed_exit_3() {
    let o = xt(&["sweep", DEFAULT_SWEEP, "--no-such-flag"]);
    assert_status(&o, 2);
    let o = xt(&["sweep", DEFAULT_SWEEP, "--jobs", "0"]);
    assert_status(&o, 2);
    let help = stdout(&xt(&["--help"]));
    assert!(help.contains("Exit status: 0 success; 1 error"), "{help}");

    // The black-hole point of the mini sweep fails by construction (time limit).
    let list = stdout(&xt(&["sweep", "tests/data/mini_sweep.ron", "--seeds", "1", "--list"]));
    let failing = list
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some("1.0"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no black-hole run in:\n{list}"))
        .to_string();
    let d = tempdir();
    let o = xt(&[
        "run",
        "tests/data/mini_sweep.ron",
        "--run",
        &failing,
        "--out",
        p(&d.path().join("r")),
    ]);
    assert_status(&o, 3);
    assert!(stdout(&o).contains("FAILED"), "{}", describe(&o));
}

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let d = tempdir();
    let mut child = xtask()
        .args(["run", ONE_RUN, "--out", p(&d.path().join("r"))])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `run ... | head -0`
    let o = child.wait_with_output().unwrap();
    assert_status(&o, 0);
    assert!(!stderr(&o).contains("panicked"), "{}", describe(&o));
}

#[test]
fn jobs_are_capped_at_one_per_run_with_a_note() {
    let d = tempdir();
    let mut c = xtask();
    c.args(["sweep", ONE_RUN, "--jobs", "3000", "--out", p(&d.path().join("s"))]);
    let o = c.output().unwrap();
    assert_status(&o, 0);
    assert!(stderr(&o).contains("note: --jobs 3000 capped to 1"), "{}", describe(&o));
}

#[test]
fn comparing_unrelated_sweeps_is_an_error() {
    let d = tempdir();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    assert_status(&default_sweep(&a, &[]), 0);
    assert_status(&xt(&["sweep", ONE_RUN, "--out", p(&b)]), 0);
    let o = xt(&["compare", p(&a), p(&b), "--out", p(&d.path().join("cmp"))]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("no parameter point in common"), "{}", describe(&o));
}
