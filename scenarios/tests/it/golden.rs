//! Every catalog file is wired and run, every byte verified, and its fingerprint checked
//! against the golden value in `catalog/FINGERPRINTS`.
//!
//! A fingerprint changes only in a commit that says why the runs changed. To rewrite the
//! file after such a change: `OFFSIM_BLESS=1 cargo test -p scenarios --test it golden`.

use crate::{catalog_dir, catalog_files};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The runs checked for one file: every run of a plain scenario; for a sweep, the first seed
/// of every parameter point (enough to cover every variant in a debug-build test).
fn checked_runs(runs: Vec<scenarios::RunSpec>) -> Vec<scenarios::RunSpec> {
    let mut seen = BTreeSet::new();
    runs.into_iter().filter(|r| seen.insert(r.params.clone())).collect()
}

#[test]
fn golden_fingerprints_of_the_catalog() {
    let mut table = String::new();
    let mut failures = Vec::new();
    for file in catalog_files() {
        let scenario = scenarios::load(&file).expect("catalog file loads");
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for run in checked_runs(scenarios::expand(&scenario).expect("expands")) {
            let testbed = scenarios::build(&run.scenario).unwrap_or_else(|e| panic!("{name} run {}: {e}", run.run_id));
            let out = testbed.run();
            if !out.integrity_ok() {
                failures.push(format!(
                    "{name} run {}: {:?}, delivered {:?}",
                    run.run_id, out.end, out.conns
                ));
            }
            writeln!(table, "{name} {} {}", run.run_id, out.trace.fingerprint).unwrap();
        }
    }
    assert!(failures.is_empty(), "catalog runs failed:\n{}", failures.join("\n"));
    let path = catalog_dir().join("FINGERPRINTS");
    if std::env::var_os("OFFSIM_BLESS").is_some() {
        std::fs::write(&path, &table).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    let diff: Vec<String> = table
        .lines()
        .filter(|l| !golden.lines().any(|g| g == *l))
        .map(|l| format!("now:    {l}"))
        .chain(
            golden
                .lines()
                .filter(|g| !table.lines().any(|l| l == *g))
                .map(|g| format!("golden: {g}")),
        )
        .collect();
    assert!(
        diff.is_empty(),
        "fingerprints differ from catalog/FINGERPRINTS (a run changed: say why in the commit, then bless):\n{}",
        diff.join("\n")
    );
}
