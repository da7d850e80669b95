//! Sweep expansion: order, seeds, skips, labels, stable run ids, and the run table.

use crate::catalog_dir;
use scenarios::schema::{Impairment, Trigger};
use serde::Serialize;

/// A two-axis sweep over a small scenario; `{axes}` and `{extra}` are filled in per test.
fn sweep_text(axes: &str, extra: &str) -> String {
    format!(
        r#"(
    name: "sw",
    description: "Sweep test.",
    seed: 100,
    hosts: [(name: "host", offload_target: (name: "nic")), (name: "peer")],
    links: [(name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "20 ms", impairments: [Bernoulli(p: 0.0)]),
        reverse: (rate: "10 Mbit/s", delay: "20 ms"))],
    connections: [(name: "c1", client: "host", server: "peer")],
    applications: [(name: "bulk", conn: "c1", bytes: "1 MiB")],
    timeline: [(when: Never, action: Offload("c1"))],
    sweep: (axes: [{axes}]{extra}),
)"#
    )
}

const LOSS: &str = r#"(name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p", values: [0.0, 0.01])"#;
const OFFLOAD: &str = r#"(name: "offload", path: "timeline[0].when", values: [Never, At("100 ms"), AfterBytesAcked("c1", "512 KiB")], labels: ["none", "early", "mid"])"#;

fn expand(text: &str) -> Vec<scenarios::RunSpec> {
    let s = scenarios::parse(text, "sweep.ron").unwrap_or_else(|e| panic!("{e}"));
    scenarios::expand(&s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn cartesian_product_first_axis_outermost_seeds_innermost() {
    let runs = expand(&sweep_text(&format!("{LOSS}, {OFFLOAD}"), ", seeds: Count(2)"));
    let got: Vec<String> = runs
        .iter()
        .map(|r| format!("{}/{}/{}", r.params[0].1, r.params[1].1, r.seed))
        .collect();
    assert_eq!(
        got,
        [
            "0.0/none/100",
            "0.0/none/101",
            "0.0/early/100",
            "0.0/early/101",
            "0.0/mid/100",
            "0.0/mid/101",
            "0.01/none/100",
            "0.01/none/101",
            "0.01/early/100",
            "0.01/early/101",
            "0.01/mid/100",
            "0.01/mid/101",
        ]
    );
    // The values really are applied to the resolved scenario.
    let r = &runs[9]; // 0.01 / early / seed 101
    assert_eq!(
        r.scenario.links[0].forward.impairments[0],
        Impairment::Bernoulli { p: 0.01 }
    );
    assert_eq!(
        r.scenario.timeline[0].when,
        Trigger::At(scenarios::units::parse_duration("100 ms").unwrap())
    );
    assert_eq!((r.scenario.seed, r.seed, r.seed_index), (101, 101, 1));
    assert!(r.scenario.sweep.is_none());
    // Resolved scenarios are valid.
    for r in &runs {
        scenarios::validate(&r.scenario).unwrap();
    }
}

#[test]
fn seed_lists_and_ranges() {
    let runs = expand(&sweep_text(
        r#"(name: "mss", path: "connections[0].mss", range: Range(536, 1460, 462))"#,
        ", seeds: List([5, 9])",
    ));
    let got: Vec<(u32, u64, u32)> = runs
        .iter()
        .map(|r| (r.scenario.connections[0].mss, r.seed, r.seed_index))
        .collect();
    assert_eq!(
        got,
        [
            (536, 5, 0),
            (536, 9, 1),
            (998, 5, 0),
            (998, 9, 1),
            (1460, 5, 0),
            (1460, 9, 1)
        ]
    );
    let runs = expand(&sweep_text(
        r#"(name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p", range: Range(0, 0.02, 0.005))"#,
        "",
    ));
    let ps: Vec<&str> = runs.iter().map(|r| r.params[0].1.as_str()).collect();
    assert_eq!(ps, ["0.0", "0.005", "0.01", "0.015", "0.02"]);
}

#[test]
fn skip_by_label_and_by_normalised_value() {
    let skip = r#", skip: [{"offload": "none", "loss": 0.010}, {"offload": "mid"}]"#;
    let runs = expand(&sweep_text(&format!("{LOSS}, {OFFLOAD}"), skip));
    let got: Vec<String> = runs
        .iter()
        .map(|r| format!("{}/{}", r.params[0].1, r.params[1].1))
        .collect();
    assert_eq!(got, ["0.0/none", "0.0/early", "0.01/early"]);
}

#[test]
fn an_axis_can_replace_the_whole_timeline() {
    let axis = r#"(name: "variant", path: "timeline", values: [[], [(when: At("1 s"), action: Offload("c1")), (when: At("2 s"), action: Upload("c1"))]], labels: ["host", "offload_upload"])"#;
    let runs = expand(&sweep_text(axis, ""));
    assert_eq!(runs[0].scenario.timeline.len(), 0);
    assert_eq!(runs[1].scenario.timeline.len(), 2);
    // Values are validated as a whole: an upload without an offload is rejected.
    let bad = r#"(name: "variant", path: "timeline", values: [[(when: At("2 s"), action: Upload("c1"))]])"#;
    let e = scenarios::parse(&sweep_text(bad, ""), "sweep.ron")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "sweep.ron:12:65: sweep.axes[0].values[0]: with timeline = [(when: At(\"2 s\"), action: Upload(\"c1\"))]: \
         timeline[0].action.Upload: uploads `c1` before any Offload(\"c1\") (entries with At triggers run in time \
         order, equal times and other triggers in their order in the timeline)"
    );
}

#[test]
fn run_ids_are_stable_across_sweeps_sharing_a_run() {
    // Sweep A: loss {0, 0.01} x offload; sweep B: offload first, loss {0.01, 0.02}, values
    // written differently (0.010), more seeds. Shared runs must have the same ids.
    let a = expand(&sweep_text(&format!("{LOSS}, {OFFLOAD}"), ", seeds: Count(2)"));
    let loss_b = r#"(name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p", values: [0.010, 0.02])"#;
    let b = expand(&sweep_text(&format!("{OFFLOAD}, {loss_b}"), ", seeds: Count(3)"));
    let key = |r: &scenarios::RunSpec| {
        let mut p = r.params.clone();
        p.sort();
        (p, r.seed)
    };
    let mut shared = 0;
    for ra in &a {
        for rb in &b {
            if key(ra) == key(rb) {
                assert_eq!(ra.run_id, rb.run_id, "{:?}", key(ra));
                shared += 1;
            } else {
                assert_ne!(ra.run_id, rb.run_id);
            }
        }
    }
    assert_eq!(shared, 3 * 2); // loss 0.01 x 3 offload moments x seeds {100, 101}
    // Ids do not depend on labels: they hash canonical values.
    let relabelled = OFFLOAD.replace(r#"["none", "early", "mid"]"#, r#"["off", "soon", "later"]"#);
    let c = expand(&sweep_text(&format!("{LOSS}, {relabelled}"), ", seeds: Count(2)"));
    let ids = |v: &[scenarios::RunSpec]| v.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&c));
}

#[test]
fn a_scenario_without_sweep_is_one_run() {
    let s = scenarios::load(catalog_dir().join("baseline_clean.ron")).unwrap();
    let runs = scenarios::expand(&s).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].seed, runs[0].seed_index, runs[0].params.len()), (s.seed, 0, 0));
    assert_eq!(runs[0].scenario, s);
}

#[test]
fn run_table_lists_runs() {
    let runs = expand(&sweep_text(&format!("{LOSS}, {OFFLOAD}"), ", seeds: Count(2)"));
    let table = scenarios::run_table(&runs[..3]);
    let expected = format!(
        "#  run_id        loss  offload  seed#  seed\n\
         0  {}  0.0   none     0      100\n\
         1  {}  0.0   none     1      101\n\
         2  {}  0.0   early    0      100\n",
        runs[0].run_id, runs[1].run_id, runs[2].run_id
    );
    assert_eq!(table, expected);
}

/// What the snapshot records per run: everything but the (large) resolved scenario.
#[derive(Serialize)]
struct Listed<'a> {
    run_id: &'a str,
    params: &'a [(String, String)],
    seed: u64,
    seed_index: u32,
}

#[test]
fn sweep_default_run_list_snapshot() {
    let s = scenarios::load(catalog_dir().join("sweep_default.ron")).unwrap();
    let runs = scenarios::expand(&s).unwrap();
    let listed: Vec<Listed> = runs
        .iter()
        .map(|r| Listed {
            run_id: &r.run_id,
            params: &r.params,
            seed: r.seed,
            seed_index: r.seed_index,
        })
        .collect();
    insta::assert_ron_snapshot!("sweep_default_runs", listed);
    insta::assert_snapshot!("sweep_default_table", scenarios::run_table(&runs));
}

/// `--set PATH=VALUE` (issue 15) puts a value at a path as an axis does, keeps the sweep
/// section (an axis on the same field still wins in every run), and names the path in its
/// errors.
#[test]
fn set_field_changes_one_field_and_keeps_the_sweep() {
    let base = scenarios::parse(&sweep_text(LOSS, ""), "sweep.ron").unwrap();
    let set = scenarios::set_field(&base, "links[0].reverse.delay", "\"5 ms\"").unwrap();
    assert_eq!(set.sweep, base.sweep);
    assert_eq!(
        set.links[0].reverse.delay,
        scenarios::units::Duration::from_nanos(5_000_000)
    );
    let swept = scenarios::set_field(&base, "links[0].forward.impairments[0].Bernoulli.p", "0.5").unwrap();
    let ps: Vec<_> = scenarios::expand(&swept)
        .unwrap()
        .iter()
        .map(|r| r.scenario.links[0].forward.impairments.clone())
        .collect();
    assert_eq!(
        ps,
        [
            vec![Impairment::Bernoulli { p: 0.0 }],
            vec![Impairment::Bernoulli { p: 0.01 }]
        ],
        "the axis overrides the --set in every run"
    );
    let e = scenarios::set_field(&base, "links[0].reverse.dela", "\"5 ms\"").unwrap_err();
    assert!(
        e.contains("`links[0].reverse.dela` does not exist") && e.contains("`delay`"),
        "{e}"
    );
    let e = scenarios::set_field(&base, "sweep.seeds", "Count(2)").unwrap_err();
    assert!(e.contains("the sweep section cannot be set"), "{e}");
}
