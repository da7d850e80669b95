//! Sweeps: results, aggregate statistics, paired differences, comparison.

use reports::testdata::offload_mid_transfer;
use reports::{Aggregate, Outcome, RunReport, compare, run_dir, write_run, write_sweep};
use std::fs;
use std::path::Path;

/// Writes a sweep over `delays` x `seeds` (plus one failed run) into `dir`; with `folders`,
/// every run's folder too (slower: charts and pcaps per run).
pub fn make_sweep(dir: &Path, delays: &[u64], seeds: std::ops::Range<u64>, folders: bool) -> Vec<RunReport> {
    let mut runs = Vec::new();
    for &d in delays {
        for s in seeds.clone() {
            let (info, log) = offload_mid_transfer(s, d);
            runs.push(if folders {
                write_run(&run_dir(dir, &info.run_id), &info, &log).unwrap()
            } else {
                RunReport::from_log(&info, &log).unwrap()
            });
        }
    }
    // A run that failed before producing a log.
    let (mut info, _) = offload_mid_transfer(seeds.end, delays[0]);
    info.outcome = Outcome::Failed {
        error: "invariant violated: chimney rule 11 at 0.2 s".into(),
    };
    info.run_id = format!("{}-failed", info.run_id);
    let failed = RunReport::without_log(&info);
    reports::write_atomic(
        &run_dir(dir, &info.run_id).join("summary.json"),
        &serde_json::to_vec_pretty(&failed).unwrap(),
    )
    .unwrap();
    runs.push(failed);
    write_sweep(dir, &runs).unwrap();
    runs
}

#[test]
fn aggregate_statistics() {
    let d = tempfile::tempdir().unwrap();
    make_sweep(d.path(), &[2, 5, 10], 0..5, false);
    let agg = Aggregate::read(&d.path().join("aggregate.json")).unwrap();
    assert_eq!(agg.axes, ["hop_delay_ms"]);
    assert_eq!(agg.points.len(), 3);
    let p = &agg.points[0];
    assert_eq!(p.label, "hop_delay_ms=2");
    assert_eq!((p.runs, p.failed.len()), (6, 1));
    assert_eq!(p.failed[0].seed, 5);
    assert!(p.failed[0].error.contains("rule 11"));
    let m = p.metric("retransmissions.total").unwrap();
    let s = m.summary.unwrap();
    // Seeds 0..5 add 0,1,2,0,1 extra retransmissions to 11.
    assert_eq!(s.n, 5);
    assert!((s.mean - 11.8).abs() < 1e-12);
    let sd = (((0.8f64).powi(2) * 2.0 + 0.2f64.powi(2) * 2.0 + 1.2f64.powi(2)) / 4.0).sqrt();
    assert!((s.sd - sd).abs() < 1e-12);
    assert!((s.ci95_half_width.unwrap() - 2.776_445_105 * sd / 5f64.sqrt()).abs() < 1e-6);
    assert_eq!((s.min, s.max), (11.0, 13.0));
    assert_eq!(m.values.iter().map(|v| v.seed).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(m.values[2].run_id, "hop2ms-s2");
    let need = m.seeds_for_target.unwrap();
    assert!(need >= 2);
    // Paired differences by seed index: completion time grows with the hop delay.
    let pd = agg
        .paired
        .iter()
        .find(|x| x.metric == "completion_time_s" && x.baseline == "2" && x.variant == "10")
        .unwrap();
    assert_eq!(pd.pairs.len(), 5);
    assert!(pd.significant && pd.summary.unwrap().mean > 0.0);
    // Retransmission counts do not depend on the delay: zero difference, seed by seed.
    let pr = agg
        .paired
        .iter()
        .find(|x| x.metric == "retransmissions.total" && x.variant == "5")
        .unwrap();
    assert!(pr.pairs.iter().all(|p| p.1 == 0.0) && !pr.significant);
}

#[test]
fn sweep_files_and_determinism() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    make_sweep(a.path(), &[2, 5], 0..3, false);
    make_sweep(b.path(), &[2, 5], 0..3, false);
    for f in [
        "results.csv",
        "results.json",
        "aggregate.csv",
        "aggregate.json",
        "paired.csv",
        "sweep.json",
    ] {
        let x = fs::read(a.path().join(f)).unwrap();
        assert!(x == fs::read(b.path().join(f)).unwrap(), "{f} not deterministic");
    }
    let paired = fs::read_to_string(a.path().join("paired.csv")).unwrap();
    assert_eq!(
        paired.lines().next().unwrap(),
        "axis,baseline,variant,others,metric,n_pairs,mean_diff,ci95_lo,ci95_hi,p_value,significant"
    );
    // Completion time grows by the same amount in every pair: p = 0, significant.
    assert!(paired.contains(",completion_time_s,3,"), "{paired}");
    assert!(
        paired
            .lines()
            .any(|l| l.contains(",completion_time_s,3,") && l.ends_with(",0.0,true")),
        "{paired}"
    );
    let results = fs::read_to_string(a.path().join("results.csv")).unwrap();
    let mut lines = results.lines();
    assert!(lines.next().unwrap().starts_with(
        "run_id,dir,seed,seed_index,hop_delay_ms,status,error,integrity_ok,fingerprint,goodput_bps,completion_time_s,"
    ));
    assert_eq!(results.lines().count(), 1 + 7);
    assert!(results.contains(",failed,invariant violated: chimney rule 11 at 0.2 s,"));
    for chart in [
        "retx-by-source",
        "goodput_bps-vs-hop_delay_ms",
        "completion_time_s-vs-hop_delay_ms",
    ] {
        assert!(
            a.path().join("charts").join(format!("{chart}.png")).is_file(),
            "{chart}"
        );
        let x = fs::read(a.path().join("charts").join(format!("{chart}.png"))).unwrap();
        assert!(
            x == fs::read(b.path().join("charts").join(format!("{chart}.png"))).unwrap(),
            "{chart} differs"
        );
    }
    super::keep(&a.path().join("charts"), "sweep-charts");
}

#[test]
fn compare_two_folders() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    make_sweep(a.path(), &[2, 5], 0..4, false);
    make_sweep(b.path(), &[5, 10], 0..4, false);
    let rows = compare(a.path(), b.path(), out.path()).unwrap();
    // Only hop_delay_ms=5 is in both.
    assert!(rows.iter().all(|r| r.point == "hop_delay_ms=5"));
    let r = rows.iter().find(|r| r.metric == "retransmissions.total").unwrap();
    assert_eq!((r.a_n, r.b_n, r.diff, r.ci_overlap), (4, 4, Some(0.0), Some(true)));
    assert!(out.path().join("compare.csv").is_file() && out.path().join("index.html").is_file());
    assert!(out.path().join("charts/goodput_bps.png").is_file());
    super::keep(out.path(), "compare");
}

/// A sweep folder of one point `hop_delay_ms=5` whose runs really had `actual_ms` per hop (a
/// stand-in for a build that changed the model), over `seeds`.
fn one_point(dir: &Path, actual_ms: u64, seeds: std::ops::Range<u64>) {
    let runs: Vec<RunReport> = seeds
        .map(|s| {
            let (mut info, log) = offload_mid_transfer(s, actual_ms);
            info.params[0].1 = "5".into();
            RunReport::from_log(&info, &log).unwrap()
        })
        .collect();
    write_sweep(dir, &runs).unwrap();
}

/// `compare A B` pairs the runs of A and B that share a seed (issue 15: "paired per seed
/// where the seeds match") and says in a sentence what differs significantly; seeds in only
/// one folder are left out of the pairs, and the sentence names n.
#[test]
fn compare_pairs_runs_by_seed_and_summarises_what_differs() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    one_point(a.path(), 5, 0..5);
    // B: slower hops, seeds 2..7: seeds 2, 3, 4 are in both.
    one_point(b.path(), 8, 2..7);
    let rows = compare(a.path(), b.path(), out.path()).unwrap();
    let row = |m: &str| rows.iter().find(|r| r.metric == m).unwrap();
    let ct = row("completion_time_s");
    assert_eq!((ct.a_n, ct.b_n, ct.paired_n), (5, 5, 3));
    // The same seed draws the same per-hop offset, so the pairs differ by the delay alone.
    assert!(
        ct.paired_ci95_half_width == Some(0.0) && ct.paired_p == Some(0.0),
        "{ct:?}"
    );
    let rt = row("retransmissions.total");
    assert_eq!((rt.paired_n, rt.paired_diff, rt.paired_p), (3, Some(0.0), Some(1.0)));
    let text = fs::read_to_string(out.path().join("summary.txt")).unwrap();
    let line = text.lines().nth(1).unwrap();
    assert!(
        line.starts_with("- hop_delay_ms=5: B against A, 3 seeds in both: goodput down "),
        "{text}"
    );
    assert!(
        line.contains("completion time up 58 % in every seed (p < 0.001)"),
        "{text}"
    );
    assert!(
        line.ends_with("identical in every seed: retransmissions, spurious retransmissions, RTO expiries."),
        "{text}"
    );
    let html = fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains(">What differs</h2>") && html.contains("3 seeds in both"));

    // No seed in common: no paired test, said as such (not "unchanged").
    let (c, out2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    one_point(c.path(), 8, 10..13);
    compare(a.path(), c.path(), out2.path()).unwrap();
    let text = fs::read_to_string(out2.path().join("summary.txt")).unwrap();
    assert!(
        text.contains("0 seeds in both: no test possible; goodput: too few paired seeds for a test (n = 0)"),
        "{text}"
    );
}

/// Issue 15: `compare A B` never silently overwrites a previous comparison. The same two
/// folders again: replaced (a re-run); another pair into that folder, or a folder holding
/// anything else: refused before writing, saying what the folder holds.
#[test]
fn compare_never_overwrites_another_comparison_or_other_files() {
    let (a, b, c, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    one_point(a.path(), 5, 0..3);
    one_point(b.path(), 6, 0..3);
    one_point(c.path(), 8, 0..3);
    let cmp = out.path().join("cmp");
    compare(a.path(), b.path(), &cmp).unwrap();
    let mark: serde_json::Value = serde_json::from_slice(&fs::read(cmp.join("comparison.json")).unwrap()).unwrap();
    let canon = |p: &Path| fs::canonicalize(p).unwrap().display().to_string();
    assert_eq!(mark, serde_json::json!({"a": canon(a.path()), "b": canon(b.path())}));
    let before = fs::read(cmp.join("summary.txt")).unwrap();
    // The same pair again: an update of the same comparison.
    compare(a.path(), b.path(), &cmp).unwrap();
    // Another pair: refused, the earlier comparison untouched.
    let e = compare(a.path(), c.path(), &cmp).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "holds the comparison of {} and {}, not of {} and {}; not overwriting it",
            canon(a.path()),
            canon(b.path()),
            canon(a.path()),
            canon(c.path())
        )),
        "{e}"
    );
    assert_eq!(fs::read(cmp.join("summary.txt")).unwrap(), before);
    // A folder that is no comparison: refused, its files untouched.
    let other = out.path().join("notes");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("index.html"), "mine").unwrap();
    let e = compare(a.path(), b.path(), &other).unwrap_err().to_string();
    assert!(
        e.contains("not empty and not a comparison (no comparison.json; it holds index.html); not overwriting it"),
        "{e}"
    );
    assert_eq!(fs::read_to_string(other.join("index.html")).unwrap(), "mine");
    assert!(!other.join("compare.json").exists());
}
