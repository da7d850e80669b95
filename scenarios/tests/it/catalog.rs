//! Every catalog file loads, validates, expands, and follows the catalog conventions.

use crate::{catalog_dir, catalog_files};
use scenarios::schema::{Action, Trigger};

const REQUIRED: &[&str] = &[
    "baseline_clean",
    "baseline_lossy",
    "offload_idle",
    "offload_unsent_only",
    "offload_unacked_only",
    "offload_both",
    "offload_during_retransmission",
    "offload_many_small_buffers",
    "offload_one_large_buffer",
    "writes_during_offload",
    "writes_after_offload",
    "offload_then_upload",
    "offload_with_timestamps",
    "nic_design",
    "nic_resources",
    "offload_refused",
    "loss_burst_after_offload",
    "sweep_default",
];

/// Scenarios beyond two hosts (issue 12).
const TOPOLOGIES: &[&str] = &[
    "dumbbell_offload_mix",
    "parking_lot",
    "bidirectional",
    "two_nics",
    "cross_traffic",
];

#[test]
fn topology_scenarios_exist_with_the_shape_they_describe() {
    let load = |name: &str| scenarios::load(catalog_dir().join(format!("{name}.ron"))).unwrap();
    let offloaded = |s: &scenarios::Scenario| -> Vec<String> {
        s.timeline
            .iter()
            .filter_map(|e| match &e.action {
                Action::Offload(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    };
    let d = load("dumbbell_offload_mix");
    assert_eq!((d.hosts.len(), d.routers.len(), d.connections.len()), (6, 2, 4));
    assert_eq!(offloaded(&d), ["c1", "c2"]);
    assert_eq!(scenarios::expand(&d).unwrap().len(), 3 * 2, "the loss sweep");
    let p = load("parking_lot");
    assert_eq!((p.routers.len(), p.connections.len()), (4, 4));
    assert_eq!(offloaded(&p), ["c_long"]);
    let b = load("bidirectional");
    let ends: Vec<(&str, &str)> = b
        .connections
        .iter()
        .map(|c| (c.client.as_str(), c.server.as_str()))
        .collect();
    assert_eq!(ends, [("a", "b"), ("b", "a")]);
    assert_eq!(offloaded(&b), ["c_ab", "c_ba"]);
    let t = load("two_nics");
    let targets: Vec<_> = t.hosts.iter().filter_map(|h| h.offload_target.clone()).collect();
    assert_eq!(targets.len(), 2);
    assert_ne!(targets[0].latency, targets[1].latency);
    assert_ne!(targets[0].max_retransmissions, targets[1].max_retransmissions);
}

#[test]
fn every_catalog_file_loads_validates_and_expands() {
    let files = catalog_files();
    assert!(files.len() >= REQUIRED.len());
    for path in files {
        let s = scenarios::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(s.name, stem, "{}: `name` must match the file name", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("// "),
            "{}: must start with a comment paragraph",
            path.display()
        );
        assert!(!s.description.trim().is_empty());
        // The offload scenarios use the two-host topology: `host` with the offload target
        // `nic`, and `peer`. The topology scenarios have their own.
        if REQUIRED.contains(&stem) {
            let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names, ["host", "peer"], "{}", path.display());
            assert_eq!(s.hosts[0].offload_target.as_ref().map(|t| t.name.as_str()), Some("nic"));
        } else {
            assert!(TOPOLOGIES.contains(&stem), "{stem}: add it to REQUIRED or TOPOLOGIES");
        }
        let runs = scenarios::expand(&s).unwrap_or_else(|e| panic!("{e}"));
        assert!(!runs.is_empty());
        // Keep runs small: at most 2 MiB per application.
        for r in &runs {
            for a in &r.scenario.applications {
                assert!(
                    a.bytes.bytes() <= 2 << 20,
                    "{}: {} writes more than 2 MiB",
                    path.display(),
                    a.name
                );
            }
        }
    }
}

#[test]
fn the_required_scenarios_exist() {
    for name in REQUIRED {
        let path = catalog_dir().join(format!("{name}.ron"));
        assert!(path.exists(), "missing catalog file {}", path.display());
    }
}

#[test]
fn offload_scenarios_offload_and_baselines_do_not() {
    for path in catalog_files() {
        let s = scenarios::load(&path).unwrap();
        let offloads = s
            .timeline
            .iter()
            .filter(|e| matches!(e.action, Action::Offload(_)))
            .count();
        if s.name.starts_with("baseline_") {
            assert_eq!(offloads, 0, "{}", s.name);
        } else {
            assert!(offloads >= 1, "{}", s.name);
        }
    }
}

#[test]
fn offload_during_retransmission_uses_the_resend_trigger() {
    let s = scenarios::load(catalog_dir().join("offload_during_retransmission.ron")).unwrap();
    assert!(matches!(&s.timeline[0].when, Trigger::RetransmissionInProgress(c) if c == "c1"));
}

#[test]
fn sweep_default_has_96_runs_and_crn_seeds() {
    let s = scenarios::load(catalog_dir().join("sweep_default.ron")).unwrap();
    let runs = scenarios::expand(&s).unwrap();
    assert_eq!(runs.len(), 4 * 3 * 8);
    // Common random numbers: seed index i has the same seed in every variant.
    for r in &runs {
        assert_eq!(r.seed, s.seed + u64::from(r.seed_index));
        assert_eq!(r.scenario.seed, r.seed);
        assert!(r.scenario.sweep.is_none());
    }
    // Ids are unique.
    let mut ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), runs.len());
}

/// Every host runs its own offload target with its own settings: in `two_nics`, h1's target
/// completes the offload of c1 100 us after it was initiated, h2's that of c2 after 20 ms,
/// and only c2 is uploaded back.
#[test]
fn two_nics_each_host_uses_its_own_target() {
    use models::record::OffloadEventKind as K;
    let s = scenarios::load(catalog_dir().join("two_nics.ron")).unwrap();
    let out = scenarios::build(&s).unwrap().run();
    assert!(out.integrity_ok(), "{:?}", out.end);
    let at = |conn: u32, kind: K| {
        out.log
            .offload
            .iter()
            .find(|o| o.conn.0 == conn && o.kind == kind)
            .map(|o| o.time.0)
    };
    let took = |conn| at(conn, K::OffloadCompleted).unwrap() - at(conn, K::OffloadInitiated).unwrap();
    assert_eq!((took(1), took(2)), (100_000, 20_000_000));
    assert_eq!(at(1, K::UploadCompleted), None);
    assert!(at(2, K::UploadCompleted).is_some());
}

/// `bidirectional`: each end offloads its sending connection to its own target while its
/// host stack keeps receiving the other; both transfers arrive intact.
#[test]
fn bidirectional_offloads_both_ends() {
    use models::record::OffloadEventKind as K;
    let s = scenarios::load(catalog_dir().join("bidirectional.ron")).unwrap();
    let out = scenarios::build(&s).unwrap().run();
    assert!(out.integrity_ok(), "{:?}", out.end);
    for c in &out.conns {
        let done = out
            .log
            .offload
            .iter()
            .any(|o| o.conn == c.id && o.kind == K::OffloadCompleted);
        assert!(done, "{} ({} -> {}) was not offloaded", c.name, c.client, c.server);
    }
}

#[test]
fn nic_design_sweeps_policy_ticks_and_loss_over_8_seeds() {
    let s = scenarios::load(catalog_dir().join("nic_design.ron")).unwrap();
    let runs = scenarios::expand(&s).unwrap();
    assert_eq!(runs.len(), 3 * 3 * 2 * 8);
    assert!(matches!(&s.timeline[0].when, Trigger::AfterFastRetransmits(c, 2) if c == "c1"));
}

#[test]
fn nic_resources_offers_50_connections_to_a_nic_with_room_for_20() {
    let s = scenarios::load(catalog_dir().join("nic_resources.ron")).unwrap();
    assert_eq!(s.connections.len(), 50);
    let built = scenarios::build(&s).unwrap();
    let t = built.world().hosts.iter().find_map(|h| h.target.clone()).unwrap().1;
    assert_eq!(t.resources.entries_in_memory(), 20);
    assert!(t.resources.upload_lru_under_pressure);
}
