//! Per-run outputs: counts, summary.json shape (golden file), CSV shape, determinism.

use reports::testdata::offload_mid_transfer;
use reports::{ReportError, RunReport, write_run};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

#[test]
fn synthetic_run_counts_match_the_script() {
    for seed in 0..3u64 {
        let (info, log) = offload_mid_transfer(seed, 5);
        let r = RunReport::from_log(&info, &log).unwrap();
        let x = r.retransmissions;
        let extra = seed % 3;
        assert_eq!(x.total, 11 + extra, "seed {seed}");
        let s = x.by_source;
        assert_eq!(
            (
                s.host_queue,
                s.delegated_unacked,
                s.delegated_unsent,
                s.posted_after_offload,
                s.returned_at_upload
            ),
            (4 + extra, 3, 1, 2, 1)
        );
        assert_eq!(s.entries().iter().map(|e| e.1).sum::<u64>(), x.total);
        assert_eq!(x.delegated_resend, 2);
        let c = x.by_cause;
        assert_eq!(
            (
                c.fast_retransmit,
                c.partial_ack,
                c.rto,
                c.probe,
                c.sack_recovery,
                c.new_data
            ),
            (4, 3, 2 + extra, 0, 0, 2)
        );
        assert_eq!(x.by_sender.host + x.by_sender.offload_target, x.total);
        assert_eq!(x.by_sender.offload_target, 6);
        assert_eq!(x.dropped_at_ingress, 0);
        assert_eq!(r.rto_count, 2 + extra);
        assert_eq!(r.spurious_retransmissions, 1 + extra);
        assert_eq!(r.spurious_retransmitted_bytes, 1000 * (1 + extra));
        let dropped: BTreeMap<String, u64> = [
            ("queue_full".to_string(), 6),
            ("random_loss".to_string(), 3 + 1 + extra),
        ]
        .into_iter()
        .collect();
        assert_eq!(r.segments.dropped, dropped);
        assert_eq!((r.segments.corrupted, r.segments.duplicated), (1, 1));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.bytes_delivered, 37_000);
        assert!(r.goodput_bps.unwrap() > 0.0);
        // Offload mid-resend: SndUna 9000 < SndNxt 10000 < SndMax 12000.
        let init = &r.offload.events[0];
        assert_eq!(
            (init.kind.as_str(), init.snd_una, init.snd_nxt, init.snd_max),
            ("offload_initiated", Some(9000), Some(10_000), Some(12_000))
        );
        assert_eq!(r.offload.offload_latency_ns, Some(1_000_000));
        // The target continues the host's congestion state.
        let h = &r.offload.handover[0];
        let (b, a) = (h.before.unwrap(), h.after.unwrap());
        assert_eq!((b.cwnd, b.ssthresh), (a.cwnd, a.ssthresh));
        assert_eq!(r.buffers.count, 10);
        assert_eq!(r.buffers.completed, 10);
        let p = r.buffers.pinned.unwrap();
        assert!(p.min_ns <= p.p50_ns && p.p50_ns <= p.p99_ns && p.p99_ns <= p.max_ns);
    }
}

#[test]
fn summary_json_matches_golden() {
    let (info, log) = offload_mid_transfer(1, 5);
    let d = tempfile::tempdir().unwrap();
    write_run(d.path(), &info, &log).unwrap();
    let got = fs::read_to_string(d.path().join("summary.json")).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/golden/summary-hop5ms-s1.json");
    if std::env::var("OFFSIM_BLESS").is_ok_and(|v| v == "1") {
        fs::create_dir_all(golden.parent().unwrap()).unwrap();
        fs::write(&golden, &got).unwrap();
    }
    let want = fs::read_to_string(&golden)
        .unwrap_or_else(|_| panic!("missing {}: run with OFFSIM_BLESS=1 to create it", golden.display()));
    assert!(
        got == want,
        "summary.json differs from {} (OFFSIM_BLESS=1 to accept):\n{got}",
        golden.display()
    );
    // Keys scripts rely on.
    let v: serde_json::Value = serde_json::from_str(&got).unwrap();
    for path in [
        "/scenario",
        "/run_id",
        "/seed",
        "/fingerprint",
        "/integrity_ok",
        "/bytes_delivered",
        "/completion_time_ns",
        "/goodput_bps",
        "/retransmissions/total",
        "/retransmissions/by_source/host_queue",
        "/retransmissions/by_source/delegated_unacked",
        "/retransmissions/by_source/delegated_unsent",
        "/retransmissions/by_source/posted_after_offload",
        "/retransmissions/by_source/returned_at_upload",
        "/retransmissions/delegated_resend",
        "/retransmissions/by_cause/fast_retransmit",
        "/retransmissions/by_cause/partial_ack",
        "/retransmissions/by_cause/rto",
        "/retransmissions/by_cause/probe",
        "/retransmissions/by_cause/sack_recovery",
        "/rto_count",
        "/spurious_retransmissions",
        "/offload/offload_completed_ns",
        "/offload/upload_completed_ns",
        "/buffers/pinned/p99_ns",
        "/buffers/count",
        "/params",
        "/version",
        "/commit",
        "/command",
        "/scenario_text",
    ] {
        assert!(v.pointer(path).is_some(), "summary.json lacks {path}");
    }
    // Per-buffer rows are buffers.csv's, not the summary's (its size must not follow the
    // number of writes).
    assert!(v.pointer("/buffers/list").is_none());
    // It reads back (all but that list).
    let mut whole = RunReport::from_log(&info, &log).unwrap();
    assert!(!whole.buffers.list.is_empty());
    whole.buffers.list.clear();
    assert_eq!(RunReport::read(&d.path().join("summary.json")).unwrap(), whole);
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn run_folder_is_complete_and_byte_identical() {
    let (info, log) = offload_mid_transfer(2, 5);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_run(a.path(), &info, &log).unwrap();
    write_run(b.path(), &info, &log).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    let names: Vec<&str> = fa.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "acks.csv",
            "buffers.csv",
            "cc-conn0.png",
            "cc-conn0.svg",
            "cc.csv",
            "client-_switch.pcapng",
            "conn0-sender.pcapng",
            "flows.png",
            "flows.svg",
            "retx-by-source.png",
            "retx-by-source.svg",
            "segments.csv",
            "server-_switch.pcapng",
            "summary.json",
            "switch-_client.pcapng",
            "switch-_server.pcapng",
            "timeseq-conn0.png",
            "timeseq-conn0.svg",
        ]
    );
    for (name, bytes) in &fa {
        assert!(fb[name] == *bytes, "{name} differs between two identical runs");
    }
    super::keep(a.path(), "run");
}

#[test]
fn csv_shapes() {
    let (info, log) = offload_mid_transfer(0, 5);
    let d = tempfile::tempdir().unwrap();
    write_run(d.path(), &info, &log).unwrap();
    let read = |n: &str| fs::read_to_string(d.path().join(n)).unwrap();
    let segs = read("segments.csv");
    let mut lines = segs.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_ns,event_index,link,event,drop_reason,corrupted,duplicate,conn,dir,seq,len,ack,flags,window,\
         sack_blocks,sender,source,cause,buf,tx_number,is_retransmission"
    );
    // The SYN is sequence -1; the first data byte is offset 0 although the ISN wraps.
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("0,1,client->switch,sent,,false,false,0,data,-1,0,,S,")
    );
    assert_eq!(segs.lines().count(), log.wire.len() + 1);
    assert!(segs.contains(",data,36000,1000,0,P.,65535,0,host,host_queue,rto,9,"));
    let acks = read("acks.csv");
    assert_eq!(
        acks.lines().next().unwrap(),
        "time_ns,link,event,conn,ack,window,sack_blocks,dup"
    );
    assert!(acks.lines().any(|l| l.ends_with(",37000,65535,0,false")));
    assert!(
        acks.lines()
            .any(|l| l.contains(",switch->client,delivered,0,2000,") && l.ends_with("true"))
    );
    let cc = read("cc.csv");
    assert_eq!(
        cc.lines().next().unwrap(),
        "time_ns,conn,sender,cwnd,ssthresh,srtt_ns,rto_ns,flight,snd_una,snd_nxt,snd_max"
    );
    assert!(cc.lines().any(|l| l.contains(",offload_target,")));
    let bufs = read("buffers.csv");
    assert!(bufs.starts_with("conn,buf,len,stream_offset,posted_ns,offloaded_ns,returned_ns,ended_ns,end,pinned_ns\n"));
}

#[test]
fn unknown_connection_is_an_error() {
    let (mut info, log) = offload_mid_transfer(0, 5);
    info.conns.clear();
    let e = RunReport::from_log(&info, &log).unwrap_err();
    assert!(matches!(e, ReportError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("connection 0 missing from RunInfo.conns"), "{e}");
}

#[test]
fn missing_topology_falls_back_with_a_warning() {
    let (mut info, log) = offload_mid_transfer(0, 5);
    for l in &mut info.links {
        l.from.clear();
        l.to.clear();
    }
    let r = RunReport::from_log(&info, &log).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("no link leaves host \"client\"")),
        "{:?}",
        r.warnings
    );
    // Two hops: every transmission that crossed both links is counted twice.
    assert!(r.retransmissions.total > 11);
}

/// Issue 10 defect 7: "`spurious_retransmissions` counts bytes the receiver discarded as
/// held". The synthetic run's last segment arrives, then comes again after spurious RTOs; if
/// the receiver had discarded its first arrival (say, beyond a closed window), the first
/// resend is needed, not spurious.
#[test]
fn bytes_the_receiver_discarded_are_not_held_for_spurious_counting() {
    use models::record::{DiscardRecord, WireEvent};
    let (info, mut log) = offload_mid_transfer(1, 5);
    let before = RunReport::from_log(&info, &log).unwrap();
    assert_eq!(before.spurious_retransmissions, 2, "1 + extra");
    let last = 36_000;
    // The original's arrival at the server: its last hop, the latest of its deliveries.
    let arrival = log
        .wire
        .iter()
        .filter(|w| w.header.stream_offset == last && w.header.len > 0 && w.provenance.tx_number == 0)
        .filter(|w| matches!(w.event, WireEvent::Delivered { corrupted: false, .. }))
        .max_by_key(|w| w.time)
        .unwrap();
    log.discards.push(DiscardRecord {
        time: arrival.time,
        conn: arrival.provenance.conn,
        from: last,
        to: last + u64::from(arrival.header.len),
    });
    let after = RunReport::from_log(&info, &log).unwrap();
    assert_eq!(after.spurious_retransmissions, 1, "only the second resend was spurious");
    assert_eq!(
        before.spurious_retransmitted_bytes - after.spurious_retransmitted_bytes,
        u64::from(arrival.header.len)
    );
}

/// Nothing silent: every timeline action is listed with when it fired and what it did.
#[test]
fn summary_lists_every_timeline_action_with_its_effect() {
    use models::record::{OffloadEventKind, OffloadRecord, TimelineEntry, TriggerRecord};
    use models::segment::ConnId;
    use sim_core::SimTime;
    let (info, mut log) = offload_mid_transfer(1, 5);
    let entry = |index: u32, action: &str, trigger: &str| TimelineEntry {
        index,
        action: action.into(),
        step: format!("{action}(1)"),
        conn: Some(ConnId(1)),
        trigger: trigger.into(),
    };
    log.timeline = vec![
        entry(0, "offload", "at 1 ms"),
        entry(1, "upload", "at 2 ms"),
        entry(2, "offload", "on InFastRecovery"),
        entry(3, "offload", "at 900 s"),
    ];
    let t = SimTime(2_000_000);
    log.triggers = vec![
        TriggerRecord {
            time: SimTime(1_000_000),
            index: 0,
        },
        TriggerRecord { time: t, index: 1 },
        TriggerRecord {
            time: SimTime(900_000_000_000),
            index: 3,
        },
    ];
    // The offload at 900 s is refused by the target.
    for (time, kind) in [
        (900_000_000_000, OffloadEventKind::OffloadInitiated),
        (
            900_000_100_000,
            OffloadEventKind::OffloadRefused {
                reason: "OFFLOAD_TCP_ENTRIES".into(),
            },
        ),
    ] {
        log.offload.push(OffloadRecord {
            time: SimTime(time),
            conn: ConnId(1),
            kind,
            snd_una: Default::default(),
            snd_nxt: Default::default(),
            snd_max: Default::default(),
        });
    }
    log.offload.push(OffloadRecord {
        time: t,
        conn: ConnId(1),
        kind: OffloadEventKind::ActionSkipped {
            action: "upload".into(),
            why: "the connection is not offloaded".into(),
        },
        snd_una: Default::default(),
        snd_nxt: Default::default(),
        snd_max: Default::default(),
    });
    log.sort();
    let r = RunReport::from_log(&info, &log).unwrap();
    let got: Vec<_> = r
        .actions
        .iter()
        .map(|a| (a.fired_at_ns, a.effect.as_str(), a.applied()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1_000_000), "applied", true),
            (Some(2_000_000), "skipped: the connection is not offloaded", false),
            (None, "never fired", false),
            (
                Some(900_000_000_000),
                "skipped: refused by the target: OFFLOAD_TCP_ENTRIES",
                false
            ),
        ]
    );
}

/// Issue 15 ("`segments.csv` in time order"): a link records a segment's delivery while
/// handling the event that sent it, so log order (by kernel event) puts deliveries ahead of
/// later transmissions. The CSV tables list wire events by time (ties in log order), as a
/// reader scanning them, or a tool computing dup-ACKs row by row, expects; and the unset
/// ssthresh (RFC 5681 §3.1: "set arbitrarily high", u32::MAX here) is an empty cell, not
/// 4294967295.
#[test]
fn packet_tables_are_in_time_order_and_unset_ssthresh_is_empty() {
    let d = tempfile::tempdir().unwrap();
    super::pcap::real_run("offload_during_retransmission", &[], 0, d.path());
    let read = |n: &str| fs::read_to_string(d.path().join(n)).unwrap();
    for table in ["segments.csv", "acks.csv", "cc.csv"] {
        let text = read(table);
        let times: Vec<u64> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(times.len() > 10, "{table}");
        let back = times.windows(2).position(|w| w[1] < w[0]);
        assert_eq!(
            back,
            None,
            "{table}: row {} goes back in time",
            back.map_or(0, |i| i + 2)
        );
    }
    let cc = read("cc.csv");
    let col = cc
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "ssthresh")
        .unwrap();
    let ssthresh: Vec<&str> = cc.lines().skip(1).map(|l| l.split(',').nth(col).unwrap()).collect();
    assert!(!cc.contains("4294967295"), "the unset ssthresh is written as a number");
    assert_eq!(ssthresh[0], "", "ssthresh is unset until the first loss");
    assert!(ssthresh.iter().any(|s| s.parse::<u32>().is_ok()), "set after a loss");
}

/// What classifies a run's records (links, connections with ports and ISNs, flows, names) is
/// known before the run: `describe_run` gives what `record_outcome` gives after it, so a
/// writer can classify records while the run goes on.
#[test]
fn the_run_description_is_known_before_the_run() {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/catalog");
    for name in [
        "dumbbell_offload_mix.ron",
        "cross_traffic.ron",
        "offload_then_upload.ron",
    ] {
        let s = scenarios::load(catalog.join(name)).unwrap();
        let run = &scenarios::expand(&s).unwrap()[0];
        let built = scenarios::build(&run.scenario).unwrap();
        let mut before = reports::RunInfo::default();
        before.describe_run(&run.scenario, &built);
        let mut after = reports::RunInfo::default();
        after.record_outcome(&run.scenario, &built.run());
        assert_eq!(before.links, after.links, "{name}");
        assert_eq!(before.conns, after.conns, "{name}");
        assert_eq!(before.flows, after.flows, "{name}");
        assert_eq!(before.offload_targets, after.offload_targets, "{name}");
        assert_eq!(before.bytes_expected, after.bytes_expected, "{name}");
        let names = |i: &reports::RunInfo| i.conn_results.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&before), names(&after), "{name}");
    }
}

/// Two identical actions at one instant: the first offloads, the second finds the connection
/// offloading and is skipped; each entry gets its own effect (found by the red team: both
/// said "skipped").
#[test]
fn identical_actions_at_one_instant_each_get_their_own_effect() {
    let text = r#"(
    name: "twice", description: "Two offloads at one instant.", seed: 1,
    limits: (max_time: "30 s"),
    hosts: [(name: "host", offload_target: (name: "nic", latency: "1 ms", upload_latency: "1 ms")), (name: "peer")],
    links: [(name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "10 ms"), reverse: (rate: "10 Mbit/s", delay: "10 ms"))],
    connections: [(name: "c1", client: "host", server: "peer")],
    applications: [(name: "bulk", conn: "c1", bytes: "256 KiB")],
    timeline: [
        (when: At("100 ms"), action: Offload("c1")),
        (when: At("100 ms"), action: Offload("c1")),
        (when: At("100 ms"), action: Upload("c1")),
    ],
)"#;
    let d = tempfile::tempdir().unwrap();
    crate::pcap::write_scenario_run(text, "twice", d.path());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("summary.json")).unwrap()).unwrap();
    let effects: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["effect"].as_str().unwrap())
        .collect();
    assert_eq!(
        effects,
        [
            "applied",
            "skipped: the connection is already offloaded",
            "deferred: until the offload in progress completes"
        ]
    );
    // The action events carry no send state: no made-up stream offsets.
    for e in summary["offload"]["events"].as_array().unwrap() {
        let action = e["kind"].as_str().unwrap().starts_with("action_");
        assert_eq!(e["snd_una"].is_null(), action, "{e}");
    }
}
