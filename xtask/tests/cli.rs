//! Issue 15, the command line for scripts and quick changes, checked on the built binary:
//! `--set PATH=VALUE` (the sweep axes' path syntax) on `run`/`sweep`/`check`, `--only
//! AXIS=VALUE` on `sweep`, `--json` on `run`, `check`, `sweep --list` and `compare`,
//! `--seeds A..B` (half-open) and `A..=B`, `--run #N`, `check`'s "1 run", and `new`.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[path = "common/run.rs"]
mod run;
use run::describe;

const SWEEP: &str = "tests/data/mini_sweep.ron";
const ONE_RUN: &str = "../scenarios/catalog/offload_idle.ron";
/// The one-way delay of `ONE_RUN`'s link, changed by the tests' `--set`.
const DELAY_PATH: &str = "links[0].forward.delay";

fn xtask(args: &[&str]) -> Output {
    run::xtask().args(args).output().expect("start xtask")
}

/// The command succeeded; its stdout.
fn ok(args: &[&str]) -> String {
    let o = xtask(args);
    assert_eq!(o.status.code(), Some(0), "xtask {args:?}:\n{}", describe(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// The command failed with `status`; its stdout and stderr together.
fn fails(args: &[&str], status: i32) -> String {
    let o = xtask(args);
    assert_eq!(o.status.code(), Some(status), "xtask {args:?}:\n{}", describe(&o));
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("xtask {args:?}: not JSON ({e}):\n{out}"))
}

/// `sweep SWEEP --list --json ARGS`: the listed runs.
fn list(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["sweep", SWEEP, "--list", "--json"];
    a.extend_from_slice(args);
    json(&a).as_array().unwrap().clone()
}

fn param<'a>(run: &'a Value, axis: &str) -> &'a str {
    run["params"][axis].as_str().unwrap()
}

/// `run ONE_RUN --json` into `out` with `args`: the summary.
fn run_json(out: &Path, args: &[&str]) -> Value {
    let mut a = vec![
        "run",
        ONE_RUN,
        "--json",
        "--artifacts",
        "summary",
        "--out",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    json(&a)
}

#[test]
fn set_changes_the_run_and_its_reproduce_command_repeats_it() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = run_json(&tmp.path().join("plain"), &[]);
    let set = format!("{DELAY_PATH}=\"5 ms\"");
    let shorter = run_json(&tmp.path().join("set"), &["--set", &set]);
    // The run's recorded scenario holds the new value, and the run is another run.
    assert!(
        shorter["scenario_text"].as_str().unwrap().contains("delay: \"5 ms\""),
        "{}",
        shorter["scenario_text"]
    );
    assert_ne!(shorter["fingerprint"], plain["fingerprint"]);
    assert!(
        shorter["completion_time_ns"].as_u64() < plain["completion_time_ns"].as_u64(),
        "a 5 ms link must finish before the file's: {} vs {}",
        shorter["completion_time_ns"],
        plain["completion_time_ns"]
    );
    // Reproducible: the recorded command carries the --set (shell-quoted).
    let command = shorter["command"].as_str().unwrap();
    assert!(
        command.ends_with(&format!(" --set '{set}'")),
        "reproduce command without the --set: {command}"
    );
    // Two --set are applied in order: the later one wins.
    let twice = run_json(
        &tmp.path().join("twice"),
        &["--set", &format!("{DELAY_PATH}=\"1 ms\""), "--set", &set],
    );
    assert_eq!(twice["fingerprint"], shorter["fingerprint"]);
}

#[test]
fn set_errors_name_the_path_and_what_is_allowed() {
    let unknown = fails(&["check", ONE_RUN, "--set", "links[0].forward.dela=\"5 ms\""], 1);
    assert!(
        unknown.contains("`links[0].forward.dela` does not exist") && unknown.contains("`delay`"),
        "an unknown field must be named with the allowed ones:\n{unknown}"
    );
    let wrong_type = fails(&["check", ONE_RUN, "--set", &format!("{DELAY_PATH}=5")], 1);
    assert!(
        wrong_type.contains(&format!("`5` does not fit `{DELAY_PATH}`")) && wrong_type.contains("\"20 ms\""),
        "a value of the wrong type must name the path and the expected form:\n{wrong_type}"
    );
    let sweep = fails(&["check", SWEEP, "--set", "sweep.seeds=Count(2)"], 1);
    assert!(sweep.contains("the sweep section cannot be set"), "{sweep}");
    let not_a_path = fails(&["check", ONE_RUN, "--set", "links[x]=1"], 1);
    assert!(not_a_path.contains("is not a field path"), "{not_a_path}");
    // No `=`: a usage error (exit 2) that shows the expected form.
    let no_value = fails(&["check", ONE_RUN, "--set", DELAY_PATH], 2);
    assert!(no_value.contains("expected PATH=VALUE"), "{no_value}");
    // A value that fits the type but breaks validation is reported as the file's error.
    let invalid = fails(
        &[
            "check",
            SWEEP,
            "--set",
            "links[0].forward.impairments[0].Bernoulli.p=2.0",
        ],
        1,
    );
    assert!(invalid.contains("impairments[0]"), "{invalid}");
}

/// A `--set` value of the right type that validation rejects said only
/// "connections[0].mss: must be in 64..=65495 bytes, got 1", without the file or the `--set`
/// that caused it (red team); it names both, like the other `--set` errors.
#[test]
fn a_set_value_that_validation_rejects_names_the_file_and_the_set() {
    let e = fails(&["check", ONE_RUN, "--set", "connections[0].mss=1"], 1);
    assert!(
        e.contains(&format!(
            "{ONE_RUN}: --set connections[0].mss=1: connections[0].mss: must be in 64..=65495 bytes, got 1"
        )),
        "{e}"
    );
    // An error elsewhere that the `--set`s caused together names them all.
    let e = fails(
        &[
            "check",
            ONE_RUN,
            "--set",
            "connections[0].initial_rto=\"2 s\"",
            "--set",
            "connections[0].max_rto=\"1 s\"",
        ],
        1,
    );
    assert!(
        e.contains(&format!(
            "{ONE_RUN}: --set connections[0].initial_rto=\"2 s\": connections[0].initial_rto: 2 s is above max_rto 1 s"
        )),
        "{e}"
    );
}

#[test]
fn sweep_with_set_and_only_runs_the_subset_with_the_change_and_records_both() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let set = "links[0].reverse.delay=\"5 ms\"";
    ok(&[
        "sweep",
        SWEEP,
        "--seeds",
        "1",
        "--only",
        "loss=0.0",
        "--only",
        "offload=mid",
        "--set",
        set,
        "--artifacts",
        "summary",
        "--out",
        out.to_str().unwrap(),
    ]);
    let results: Value = serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(
        results.len(),
        1,
        "--only loss=0.0 --only offload=mid: one point, one seed"
    );
    let params = results[0]["params"].clone();
    assert_eq!(params, serde_json::json!([["loss", "0.0"], ["offload", "mid"]]));
    let dir = out.join(results[0]["dir"].as_str().unwrap());
    let summary: Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let reverse = summary["scenario_text"].as_str().unwrap();
    assert!(reverse.contains("delay: \"5 ms\""), "{reverse}");
    let manifest: Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["set"], serde_json::json!([set]));
    assert_eq!(manifest["only"], serde_json::json!(["loss=0.0", "offload=mid"]));
    // Resuming with another subset would mix two selections in one folder: refused.
    let other = fails(
        &[
            "sweep",
            SWEEP,
            "--seeds",
            "1",
            "--only",
            "loss=0.02",
            "--set",
            set,
            "--resume",
            "--out",
            out.to_str().unwrap(),
        ],
        1,
    );
    assert!(other.contains("use the same --seeds and --only"), "{other}");
}

#[test]
fn only_selects_runs_by_value_or_label() {
    let all = list(&[]);
    assert_eq!(all.len(), 10);
    let mid = list(&["--only", "offload=mid"]);
    assert_eq!(mid.len(), 4, "2 loss values x 2 seeds (loss 1.0 with mid is skipped)");
    assert!(mid.iter().all(|r| param(r, "offload") == "mid"));
    // The value as written in the file selects the same runs as its label.
    assert_eq!(list(&["--only", "offload=Never"]), list(&["--only", "offload=none"]));
    // Numbers match numerically; several values of one axis select any of them, and
    // different axes must all match.
    let some = list(&["--only", "loss=0.020", "--only", "loss=0", "--only", "offload=none"]);
    assert_eq!(some.len(), 4);
    assert!(
        some.iter()
            .all(|r| param(r, "offload") == "none" && param(r, "loss") != "1.0")
    );
    // The index is the run's place in the whole sweep, as `run --run #N` takes it.
    for r in &mid {
        let i = r["index"].as_u64().unwrap() as usize;
        assert_eq!(all[i]["run_id"], r["run_id"]);
    }
    let axis = fails(&["sweep", SWEEP, "--list", "--only", "los=0.0"], 1);
    assert!(axis.contains("no axis `los`; the axes are: loss, offload"), "{axis}");
    let value = fails(&["sweep", SWEEP, "--list", "--only", "offload=late"], 1);
    assert!(value.contains("its values are: none, mid"), "{value}");
    // Each value exists, but the sweep skips their combination: nothing to run is an error.
    let skipped = fails(
        &["sweep", SWEEP, "--list", "--only", "loss=1.0", "--only", "offload=mid"],
        1,
    );
    assert!(skipped.contains("no run has all of these"), "{skipped}");
}

#[test]
fn json_outputs_parse_for_scripts() {
    let checked = json(&["check", "--json", ONE_RUN, SWEEP]);
    assert_eq!(
        checked,
        serde_json::json!([
            { "file": ONE_RUN, "ok": true, "runs": 1 },
            { "file": SWEEP, "ok": true, "runs": 10 },
        ])
    );
    let tmp = tempfile::tempdir().unwrap();
    let summary = run_json(&tmp.path().join("run"), &[]);
    assert_eq!(summary["outcome"]["status"], "ok");
    assert_eq!(summary["scenario"], "offload_idle");
    let sweep = tmp.path().join("sweep");
    ok(&[
        "sweep",
        SWEEP,
        "--seeds",
        "2",
        "--only",
        "loss=0.0",
        "--artifacts",
        "summary",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    let s = sweep.to_str().unwrap();
    let out = tmp.path().join("cmp");
    let rows = json(&["compare", s, s, "--json", "--out", out.to_str().unwrap()]);
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    // A folder compared with itself: no difference anywhere.
    for r in rows {
        assert!(r["metric"].is_string() && r["point"].is_string(), "{r}");
        assert!(r["diff"].is_null() || r["diff"].as_f64() == Some(0.0), "{r}");
    }
}

/// `compare` given a run folder said "read DIR/aggregate.json: No such file or directory
/// (os error 2): No such file or directory (os error 2)" (red team): it says once which
/// folder is not a sweep folder, why, and what compare takes.
#[test]
fn compare_given_a_run_folder_says_it_takes_sweep_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    run_json(&run, &[]);
    let r = run.to_str().unwrap();
    let e = fails(&["compare", r, r, "--out", tmp.path().join("cmp").to_str().unwrap()], 1);
    assert_eq!(
        e,
        format!(
            "error: compare: A `{r}` is a run folder (summary.json, no aggregate.json): compare takes two sweep \
             folders written by `sweep` (each holds aggregate.json); to compare single runs, run `sweep` on each \
             scenario (a scenario without a sweep section is a sweep of one run) and compare those folders\n"
        )
    );
    let missing = tmp.path().join("nothing");
    let m = missing.to_str().unwrap();
    let e = fails(&["compare", r, m, "--out", tmp.path().join("cmp").to_str().unwrap()], 1);
    assert!(e.contains(&format!("compare: A `{r}` is a run folder")), "{e}");
    assert_eq!(e.matches("os error").count(), 0, "{e}");
    let e = fails(&["compare", m, m, "--out", tmp.path().join("cmp").to_str().unwrap()], 1);
    assert!(
        e.starts_with(&format!("error: compare: A `{m}` does not exist: compare takes")),
        "{e}"
    );
}

#[test]
fn seeds_ranges_are_half_open_or_inclusive_with_equals() {
    let seeds = |arg: &str| -> Vec<u64> {
        list(&["--seeds", arg, "--only", "loss=0.0", "--only", "offload=none"])
            .iter()
            .map(|r| r["seed"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seeds("3..5"), [3, 4], "A..B excludes B");
    assert_eq!(seeds("3..=5"), [3, 4, 5], "A..=B includes B");
    assert_eq!(seeds("5..=5"), [5]);
    assert_eq!(seeds("2"), [7, 8], "N seeds from the base seed 7");
    let empty = fails(&["sweep", SWEEP, "--list", "--seeds", "5..5"], 2);
    assert!(empty.contains("B excluded"), "{empty}");
    let help = ok(&["sweep", "--help"]);
    assert!(
        help.contains("half-open range A..B (A to B-1, B excluded)") && help.contains("A..=B"),
        "{help}"
    );
}

#[test]
fn run_takes_the_index_that_sweep_list_prints() {
    let all = list(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let summary = json(&[
        "run",
        SWEEP,
        "--run",
        "#6",
        "--json",
        "--artifacts",
        "summary",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(summary["run_id"], all[6]["run_id"]);
    let table = ok(&["sweep", SWEEP, "--list"]);
    let row6 = table.lines().find(|l| l.starts_with("6 ")).unwrap();
    assert!(row6.contains(all[6]["run_id"].as_str().unwrap()), "{table}");
    let beyond = fails(&["run", SWEEP, "--run", "#10"], 1);
    assert!(beyond.contains("has 10 runs, #0 to #9"), "{beyond}");
}

#[test]
fn check_counts_one_run_in_the_singular() {
    let out = ok(&["check", ONE_RUN, SWEEP]);
    assert!(out.contains(&format!("ok      {ONE_RUN} (1 run)\n")), "{out}");
    assert!(out.contains(&format!("ok      {SWEEP} (10 runs)\n")), "{out}");
}

#[test]
fn new_writes_a_scenario_that_checks_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    ok(&["new", "my_case", "--out", dir]);
    let file = tmp.path().join("my_case.ron");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("// my_case: a scenario to start from"), "{text}");
    assert!(text.contains("name: \"my_case\"") && text.contains("docs/scenarios.md"));
    let checked = json(&["check", "--json", file.to_str().unwrap()]);
    assert_eq!(checked[0]["ok"], true, "{checked}");
    let again = fails(&["new", "my_case", "--out", dir], 1);
    assert!(again.contains("not overwriting"), "{again}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    ok(&["new", "idle_copy", "--from", ONE_RUN, "--out", dir]);
    let copy = std::fs::read_to_string(tmp.path().join("idle_copy.ron")).unwrap();
    assert!(copy.contains("name: \"idle_copy\"") && !copy.contains("name: \"offload_idle\""));
    assert!(
        copy.contains("// Offload with nothing outstanding"),
        "the file's comments are kept"
    );
    let checked = json(&["check", "--json", tmp.path().join("idle_copy.ron").to_str().unwrap()]);
    assert_eq!(checked[0]["ok"], true, "{checked}");
    let bad = fails(&["new", "bad name", "--out", dir], 1);
    assert!(bad.contains("use letters, digits"), "{bad}");
}

/// `cargo install --path xtask --bin offsim` installs this binary: the same commands as
/// `cargo xtask`, under its own name.
#[test]
fn offsim_binary_has_the_same_commands() {
    let offsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_offsim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .args(args)
            .output()
            .expect("start offsim")
    };
    let help = offsim(&["--help"]);
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("Usage: offsim <COMMAND>"), "{help}");
    for command in ["run", "sweep", "check", "report", "compare", "merge", "bench", "new"] {
        assert!(help.contains(&format!("\n  {command} ")), "no `{command}` in:\n{help}");
    }
    let o = offsim(&["check", "--json", ONE_RUN, SWEEP]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        ok(&["check", "--json", ONE_RUN, SWEEP]),
        "offsim and cargo xtask give the same output"
    );
    let usage = offsim(&["check"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("Usage: offsim check"));
    // The reproduce command is recorded in the run's files: the same under either name.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = offsim(&["run", ONE_RUN, "--artifacts", "summary", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let command = summary["command"].as_str().unwrap();
    assert!(command.starts_with("cargo xtask run "), "{command}");
}

/// Issue 15: `report DIR --x AXIS --series AXIS` redraws the line charts against the chosen
/// axes; loss (a Bernoulli probability in the scenario) reads in % on every line chart, the
/// sweep's own too; an axis the sweep cannot draw against is refused with the ones it can.
#[test]
fn report_chooses_the_x_and_series_axes_and_shows_probabilities_in_percent() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let out_s = out.to_str().unwrap();
    // The loss 1.0 point fails on purpose (exit status 3); its seed still reports.
    fails(
        &["sweep", SWEEP, "--seeds", "1", "--artifacts", "summary", "--out", out_s],
        3,
    );
    let charts = out.join("charts");
    let own = std::fs::read_to_string(charts.join("goodput_bps-vs-loss.svg")).unwrap();
    assert!(
        own.contains("loss [%]") && own.contains("2 %"),
        "the sweep's own chart: loss not in %"
    );
    ok(&["report", out_s, "--x", "loss", "--series", "offload"]);
    let chosen = std::fs::read_to_string(charts.join("goodput_bps-vs-loss-by-offload.svg")).unwrap();
    for text in ["loss [%]", "offload=none", "offload=mid", "one line per offload"] {
        assert!(chosen.contains(text), "chosen chart lacks {text:?}");
    }
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("goodput_bps-vs-loss-by-offload.png"));
    let bad = fails(&["report", out_s, "--x", "offload"], 1);
    assert!(
        bad.contains("--x offload: is not numeric (or takes one value); the numeric axes are: loss"),
        "{bad}"
    );
}
