//! Issue 13, artefact levels: `run --artifacts LIST` writes what it is asked (and records it),
//! a bad level is a clear error, and what a default sweep leaves out (per-run captures and
//! charts of the non-example runs) is never needed by `report`, `compare` or `merge`.

use std::path::Path;
use std::process::Output;

#[path = "common/run.rs"]
mod run;
use run::describe;

const RUN_SCENARIO: &str = "../scenarios/catalog/baseline_lossy.ron";
const SWEEP_SCENARIO: &str = "tests/data/mini_sweep.ron";

fn xtask(args: &[&str], paths: &[&Path]) -> Output {
    run::xtask().args(args).args(paths).output().expect("start xtask")
}

/// The artefacts in a run folder: its files less the folder's lock and completion marker.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".offsim.lock" && n != "complete.json")
        .collect();
    v.sort();
    v
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn run_writes_the_levels_it_is_asked_for_and_records_them() {
    let d = tempfile::tempdir().unwrap();
    let only = d.path().join("summary");
    let o = xtask(&["run", RUN_SCENARIO, "--artifacts", "summary", "--out"], &[&only]);
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(files(&only), ["summary.json"]);
    let a = &summary(&only)["artifacts"];
    assert_eq!(
        (&a["series"], &a["pcap"], &a["charts"]),
        (&false.into(), &false.into(), &false.into())
    );

    let some = d.path().join("series-charts");
    let o = xtask(
        &["run", RUN_SCENARIO, "--artifacts", "series,charts", "--out"],
        &[&some],
    );
    assert!(o.status.success(), "{}", describe(&o));
    let names = files(&some);
    assert!(names.contains(&"cc.csv".to_string()) && names.contains(&"timeseq-c1.png".to_string()));
    assert!(
        !names.iter().any(|n| n.ends_with(".pcapng") || n == "segments.csv"),
        "{names:?}"
    );

    // Default: everything, captures headers-only; --pcap-payload is recorded.
    let all = d.path().join("all");
    let o = xtask(&["run", RUN_SCENARIO, "--pcap-payload", "--out"], &[&all]);
    assert!(o.status.success(), "{}", describe(&o));
    assert!(files(&all).contains(&"c1-sender.pcapng".to_string()));
    assert_eq!(summary(&all)["artifacts"]["pcap_payload"], true);
    // The levels change the files, never the run.
    assert_eq!(summary(&only)["fingerprint"], summary(&all)["fingerprint"]);
}

#[test]
fn an_unknown_level_is_an_error_naming_the_allowed_ones() {
    let d = tempfile::tempdir().unwrap();
    let o = xtask(
        &["run", RUN_SCENARIO, "--artifacts", "summary,csv", "--out"],
        &[d.path()],
    );
    assert!(!o.status.success(), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`csv`") && err.contains("summary, series, pcap, charts, all"),
        "{err}"
    );
}

#[test]
fn a_default_sweep_still_reports_and_compares() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sweep");
    let o = xtask(
        &["sweep", SWEEP_SCENARIO, "--seeds", "2", "--jobs", "2", "--out"],
        &[&out],
    );
    // Some runs of the mini sweep fail by design: the sweep completes with failures.
    assert!(out.join("results.json").is_file(), "{}", describe(&o));
    std::fs::remove_dir_all(out.join("report")).unwrap();
    let o = xtask(&["report"], &[&out]);
    assert!(o.status.success(), "{}", describe(&o));
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("<b>example</b>"), "the report marks the example runs");
    let cmp = d.path().join("compare");
    let o = xtask(&["compare"], &[&out, &out, Path::new("--out"), &cmp]);
    assert!(o.status.success(), "{}", describe(&o));
    assert!(cmp.join("index.html").is_file());
}
