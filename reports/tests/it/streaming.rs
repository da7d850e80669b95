//! The streaming writer (`RunWriter` fed the run's log chunk by chunk while the run goes on)
//! writes exactly the files the whole-log writer writes: every record that may be reordered
//! (a segment in flight, an arrival waiting for its receiver's discards, a capture frame
//! whose delivery is not logged yet) is held across chunks, never dropped or written early.

use reports::{Artifacts, RunInfo, RunWriter, write_run_with};
use sim_core::SimDuration;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file of a folder by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The first catalog run of `name`, written whole and streamed in slices of `slice`: the two
/// folders hold the same files, byte for byte.
fn streamed_equals_whole(name: &str, slice: SimDuration, artifacts: &Artifacts) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scenario = scenarios::load(workspace.join(format!("scenarios/catalog/{name}.ron"))).unwrap();
    scenario_streamed_equals_whole(name, &scenario, slice, artifacts);
}

fn scenario_streamed_equals_whole(
    name: &str,
    scenario: &scenarios::Scenario,
    slice: SimDuration,
    artifacts: &Artifacts,
) {
    let spec = &scenarios::expand(scenario).unwrap()[0];
    let s = &spec.scenario;
    let built = scenarios::build(s).unwrap();
    let bare = RunInfo {
        scenario: s.name.clone(),
        run_id: spec.run_id.clone(),
        seed: spec.seed,
        version: "test".into(),
        commit: "test".into(),
        ..RunInfo::default()
    };
    let whole_dir = tempfile::tempdir().unwrap();
    let mut info = bare.clone();
    let out = built.run();
    assert!(out.integrity_ok(), "{name}: {:?}", out.end);
    info.record_outcome(s, &out);
    let whole = write_run_with(whole_dir.path(), &info, &out.log, artifacts).unwrap();

    let streamed_dir = tempfile::tempdir().unwrap();
    let mut before = bare.clone();
    before.describe_run(s, &built);
    let mut writer = RunWriter::new(streamed_dir.path(), &before, artifacts).unwrap();
    let out = built.run_streamed_in_slices(&mut writer, slice);
    assert!(
        out.log == models::record::RunLog::default(),
        "{name}: the log went to the writer"
    );
    let mut after = bare;
    after.record_outcome(s, &out);
    assert_eq!(after, info, "{name}: the same run");
    let streamed = writer.finish(&after).unwrap();
    assert_eq!(streamed, whole, "{name}: summary");
    let (a, b) = (files(streamed_dir.path()), files(whole_dir.path()));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{name}: file names"
    );
    for (file, bytes) in &a {
        assert!(*bytes == b[file], "{name}, slices of {slice}: {file} differs");
    }
}

#[test]
fn streamed_run_folders_equal_whole_log_ones() {
    // Several connections over routers with offloads to two targets; an offload and an
    // upload; cross traffic; timestamps; reverse-direction data.
    let summary_series_pcap: Artifacts = "series,pcap".parse().unwrap();
    for name in [
        "dumbbell_offload_mix",
        "offload_then_upload",
        "cross_traffic",
        "offload_with_timestamps",
        "bidirectional",
        // The sink reads from 2 s on: zero-window probes, bytes the receiver discards.
        "offload_unsent_only",
    ] {
        streamed_equals_whole(name, SimDuration::from_millis(1), &summary_series_pcap);
    }
    // With charts, and the default slice.
    streamed_equals_whole("offload_then_upload", models::testbed::RECORD_SLICE, &Artifacts::all());
}

/// With more connections than the sender-side captures kept open at once, each capture is
/// closed between chunks and reopened to append: the files are the same.
#[test]
fn many_connections_stream_the_same_captures() {
    let n = 70;
    let conns: Vec<String> = (1..=n)
        .map(|i| format!("(name: \"c{i}\", client: \"host\", server: \"peer\")"))
        .collect();
    let apps: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                "(name: \"a{i}\", conn: \"c{i}\", start: \"{i} ms\", bytes: \"20 kB\", write_size: Fixed(\"20 kB\"), \
                 timing: AllAtOnce)"
            )
        })
        .collect();
    let text = format!(
        r#"(
    name: "many",
    description: "{n} short transfers sharing a lossy link",
    seed: 3,
    limits: (max_time: "60 s"),
    hosts: [(name: "host"), (name: "peer")],
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "100 Mbit/s", delay: "2 ms", queue: Packets(100), impairments: [Bernoulli(p: 0.02)]),
        reverse: (rate: "100 Mbit/s", delay: "2 ms", queue: Packets(100)),
    )],
    connections: [{}],
    applications: [{}],
    timeline: [],
)"#,
        conns.join(", "),
        apps.join(", ")
    );
    let s = scenarios::parse(&text, "many.ron").unwrap();
    scenario_streamed_equals_whole("many", &s, SimDuration::from_millis(1), &"pcap".parse().unwrap());
}

/// A run long enough that its series outgrow the charts' bound (about 35,000 data segments)
/// keeps its chart inputs below it: at most `CHART_POINTS_KEPT` points per series, not one
/// per segment.
#[test]
fn a_long_runs_chart_inputs_stay_below_the_bound() {
    let text = r#"(
    name: "long",
    description: "50 MB at 1% loss over 100 Mbit/s",
    seed: 1,
    limits: (max_time: "600 s"),
    hosts: [(name: "host"), (name: "peer")],
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "100 Mbit/s", delay: "5 ms", queue: Packets(1000), impairments: [Bernoulli(p: 0.01)]),
        reverse: (rate: "100 Mbit/s", delay: "5 ms", queue: Packets(1000)),
    )],
    connections: [(name: "c1", client: "host", server: "peer")],
    applications: [(name: "bulk", conn: "c1", start: "0 s", bytes: "50 MB", write_size: Fixed("64 KiB"), timing: AllAtOnce)],
    timeline: [],
)"#;
    let s = scenarios::parse(text, "long.ron").unwrap();
    let built = scenarios::build(&s).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut info = RunInfo::default();
    info.describe_run(&s, &built);
    let charts_only: Artifacts = "charts".parse().unwrap();
    let mut writer = RunWriter::new(dir.path(), &info, &charts_only).unwrap();
    let out = built.run_streamed(&mut writer);
    assert!(out.integrity_ok(), "{:?}", out.end);
    let longest = writer.longest_chart_series();
    info.record_outcome(&s, &out);
    let report = writer.finish(&info).unwrap();
    let segments = report.segments.data_sent;
    assert!(
        segments > reports::CHART_POINTS_KEPT as u64,
        "the run is long enough to need the bound: {segments} data segments"
    );
    assert!(
        longest <= reports::CHART_POINTS_KEPT,
        "a series of {longest} points for {segments} data segments"
    );
    for chart in ["timeseq-c1.svg", "cc-c1.svg", "flows.svg"] {
        assert!(dir.path().join(chart).exists(), "{chart} drawn");
    }
}

/// Only the series and the charts read the links' queue samples: a writer without them asks
/// the run for none, and writes what the whole log (which has them) gives.
#[test]
fn a_writer_without_series_or_charts_asks_for_no_queue_samples_and_writes_the_same() {
    use models::record::RecordSink;
    let dir = tempfile::tempdir().unwrap();
    for (level, wants) in [
        ("summary", false),
        ("pcap", false),
        ("series", true),
        ("charts", true),
        ("summary,pcap,charts", true),
    ] {
        let w = RunWriter::new(&dir.path().join(level), &RunInfo::default(), &level.parse().unwrap()).unwrap();
        assert_eq!(w.wants_queue(), wants, "{level}");
    }
    for level in ["summary", "summary,pcap"] {
        streamed_equals_whole(
            "offload_then_upload",
            SimDuration::from_millis(1),
            &level.parse().unwrap(),
        );
    }
}
