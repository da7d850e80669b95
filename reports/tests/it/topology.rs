//! Per-connection, fairness and per-link results of real multi-host runs (`summary.json`).

use crate::pcap::real_run;

/// The dumbbell with 0.5 % loss on the bottleneck: four connections, each with its own
/// results under the scenario's names; their retransmissions add up to the run's; the
/// offloaded pair retransmits delegated data, the host-run pair only its own queue.
#[test]
fn dumbbell_summary_has_one_entry_per_connection_and_fairness() {
    let dir = tempfile::tempdir().unwrap();
    let r = real_run("dumbbell_offload_mix", &[("loss", "0.005")], 0, dir.path());
    let names: Vec<(&str, &str, &str, bool)> = r
        .connections
        .iter()
        .map(|c| (c.name.as_str(), c.client.as_str(), c.server.as_str(), c.offloaded))
        .collect();
    assert_eq!(
        names,
        [
            ("c1", "s1", "d1", true),
            ("c2", "s2", "d2", true),
            ("c3", "s3", "d1", false),
            ("c4", "s4", "d2", false)
        ]
    );
    for c in &r.connections {
        assert!(c.integrity_ok && c.bytes_delivered == 512 * 1024, "{c:?}");
        assert!(c.goodput_bps.is_some_and(|g| g > 0.5e6 && g < 10e6), "{c:?}");
        assert!(c.completion_time_ns.is_some());
    }
    let sum = |f: &dyn Fn(&reports::ConnReport) -> u64| r.connections.iter().map(f).sum::<u64>();
    assert_eq!(sum(&|c| c.retransmissions.total), r.retransmissions.total);
    assert_eq!(sum(&|c| c.rto_count), r.rto_count);
    assert_eq!(sum(&|c| c.spurious_retransmissions), r.spurious_retransmissions);
    for c in &r.connections[2..] {
        let s = c.retransmissions.by_source;
        assert_eq!(s.host_queue, c.retransmissions.total, "{}: host-run only", c.name);
    }
    let f = &r.fairness;
    assert!(f.jain.is_some_and(|j| j > 0.25 && j <= 1.0), "{f:?}");
    assert!(f.offloaded_vs_host_jain.is_some_and(|j| j > 0.5 && j <= 1.0), "{f:?}");
    // Links: 7 duplex links, 14 directions; the bottleneck's random losses are counted there.
    assert_eq!(r.links.len(), 14);
    let mid = r.links.iter().find(|l| l.name == "mid:r1->r2").unwrap();
    assert_eq!((mid.from.as_str(), mid.to.as_str()), ("r1", "r2"));
    assert!(mid.dropped["random_loss"] > 0, "{mid:?}");
    assert!(mid.utilisation.is_some_and(|u| u > 0.3 && u <= 1.0), "{mid:?}");
    let access = r.links.iter().find(|l| l.name == "a1:s1->r1").unwrap();
    assert_eq!(access.dropped.values().sum::<u64>(), 0);
    // The queue series: the bottleneck's largest sample is the largest queue it reports.
    let queues = std::fs::read_to_string(dir.path().join("queues.csv")).unwrap();
    assert!(queues.starts_with("time_ns,link,packets,bytes\n"), "{}", &queues[..40]);
    let mid_max = queues
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == "mid:r1->r2")
        .map(|f| f[2].parse::<u64>().unwrap())
        .max();
    assert_eq!(mid_max, Some(mid.max_queue_packets));
}

/// A sweep of the dumbbell (two loss values, one seed each): `results.csv` has one goodput
/// column per connection, named after the scenario's connections, and `aggregate.json`
/// summarises them per point.
#[test]
fn sweep_results_have_per_connection_columns() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<reports::RunReport> = ["0.0", "0.01"]
        .iter()
        .map(|loss| {
            let run = dir.path().join(format!("runs/{loss}"));
            real_run("dumbbell_offload_mix", &[("loss", loss)], 0, &run)
        })
        .collect();
    let agg = reports::write_sweep(dir.path(), &runs).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for c in ["c1", "c2", "c3", "c4"] {
        for m in ["goodput_bps", "completion_time_s", "retransmissions.total", "rto_count"] {
            let key = format!("conn.{c}.{m}");
            assert!(head.contains(&key.as_str()), "{key} missing from {head:?}");
        }
    }
    assert!(head.contains(&"fairness.jain"));
    let col = head.iter().position(|h| *h == "conn.c3.goodput_bps").unwrap();
    for (row, run) in csv.lines().skip(1).zip(&runs) {
        let cell: f64 = row.split(',').nth(col).unwrap().parse().unwrap();
        assert_eq!(Some(cell), run.connections[2].goodput_bps);
    }
    assert!(
        dir.path().join("charts/conn-goodput-vs-loss.svg").is_file(),
        "one flow against another"
    );
    let point = &agg.points[1];
    let m = point.metric("conn.c1.goodput_bps").unwrap();
    assert_eq!(m.summary.unwrap().n, 1);
}

/// Constant-bit-rate cross traffic shares a 10 Mbit/s link with one TCP connection: the
/// flow gets its own entry (sent at the first hop, delivered at the last), its packets are no
/// connection's (the connection's counts and CSV rows are its own), and the link counts both.
#[test]
fn cbr_flow_results_are_reported_apart_from_the_connections() {
    let text = r#"(
        name: "cbr", description: "TCP and CBR.", seed: 1, limits: (max_time: "10 s"),
        hosts: [(name: "a"), (name: "u"), (name: "b")],
        routers: [(name: "r")],
        links: [
            (name: "la", a: "a", b: "r", forward: (rate: "100 Mbit/s", delay: "1 ms"), reverse: (rate: "100 Mbit/s", delay: "1 ms")),
            (name: "lu", a: "u", b: "r", forward: (rate: "100 Mbit/s", delay: "1 ms"), reverse: (rate: "100 Mbit/s", delay: "1 ms")),
            (name: "lb", a: "r", b: "b", forward: (rate: "10 Mbit/s", delay: "5 ms", queue: Packets(30)), reverse: (rate: "10 Mbit/s", delay: "5 ms")),
        ],
        connections: [(name: "c1", client: "a", server: "b", min_rto: "200 ms")],
        applications: [(name: "w", conn: "c1", bytes: "256 KiB")],
        flows: [(name: "udp", from: "u", to: "b", rate: "8 Mbit/s", packet_size: "960 B", stop: "500 ms")],
    )"#;
    let s = scenarios::parse(text, "cbr.ron").unwrap();
    let o = scenarios::build(&s).unwrap().run();
    assert!(o.integrity_ok(), "{:?}", o.end);
    let mut info = reports::RunInfo {
        scenario: s.name.clone(),
        ..reports::RunInfo::default()
    };
    info.record_outcome(&s, &o);
    let dir = tempfile::tempdir().unwrap();
    let r = reports::write_run(dir.path(), &info, &o.log).unwrap();
    // 1000 bytes on the wire at 8 Mbit/s: one packet per ms, 500 in 500 ms.
    let f = &r.flows[0];
    assert_eq!(
        (f.name.as_str(), f.from.as_str(), f.to.as_str(), f.packets_sent),
        ("udp", "u", "b", 500)
    );
    assert!(
        f.packets_delivered > 0 && f.packets_delivered < 500,
        "the 10 Mbit/s link overflows: {f:?}"
    );
    assert_eq!(f.bytes_delivered, f.packets_delivered * 960);
    let lb = r.links.iter().find(|l| l.name == "lb:r->b").unwrap();
    let udp_drops = f.packets_sent - f.packets_delivered;
    assert!(lb.dropped["queue_full"] >= udp_drops, "{lb:?}");
    assert_eq!(r.connections.len(), 1);
    assert_eq!(
        r.segments.data_sent,
        r.connections[0].retransmissions.total + (256 * 1024_u64).div_ceil(1460)
    );
    let segments = std::fs::read_to_string(dir.path().join("segments.csv")).unwrap();
    let head: Vec<&str> = segments.lines().next().unwrap().split(',').collect();
    let conn = head.iter().position(|h| *h == "conn").unwrap();
    assert!(
        segments.lines().skip(1).all(|l| l.split(',').nth(conn) == Some("c1")),
        "flow packets are not connection segments; the conn column names the connection"
    );
    // One vocabulary: buffers.csv names the connection as the scenario does, too.
    let buffers = std::fs::read_to_string(dir.path().join("buffers.csv")).unwrap();
    assert!(buffers.lines().count() > 1, "{buffers}");
    assert!(buffers.lines().skip(1).all(|l| l.starts_with("c1,")), "{buffers}");
}
