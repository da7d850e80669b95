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
}
