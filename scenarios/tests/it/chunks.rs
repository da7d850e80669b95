//! A run's log is taken from the actors slice by slice (`models::record::RecordSink`): the
//! chunks concatenated must be exactly the log of a run taken in one piece, whatever the
//! slice, and slicing must not change the run. Catalog scenarios with handovers, uploads,
//! timestamps, several connections, cross traffic and reverse data cover what an actor reads
//! back from its own recording (sender samples are recorded only when they change; the host
//! checks an upload against its offload's block, rule 33).

use crate::catalog_dir;
use sim_core::SimDuration;

const FILES: [&str; 8] = [
    "offload_then_upload.ron",
    "offload_with_timestamps.ron",
    "offload_during_retransmission.ron",
    "dumbbell_offload_mix.ron",
    "cross_traffic.ron",
    "bidirectional.ron",
    "nic_resources.ron",
    "writes_during_offload.ron",
];

#[test]
fn the_chunked_log_is_the_log_taken_in_one_piece() {
    for name in FILES {
        let scenario = scenarios::load(catalog_dir().join(name)).expect("catalog file loads");
        let run = &scenarios::expand(&scenario).expect("expands")[0];
        let built = scenarios::build(&run.scenario).expect("wires");
        let whole = built.run_sliced(SimDuration::from_nanos(u64::MAX));
        assert!(whole.integrity_ok(), "{name}: {:?}", whole.end);
        for slice in [SimDuration::from_millis(1), SimDuration::from_micros(137)] {
            let chunked = built.run_sliced(slice);
            assert_eq!(chunked.trace, whole.trace, "{name}, slices of {slice}: the run changed");
            assert_eq!(chunked.end, whole.end, "{name}, slices of {slice}");
            assert_eq!(chunked.handovers, whole.handovers, "{name}, slices of {slice}");
            let (a, b) = (&chunked.log, &whole.log);
            let what = format!("{name}, slices of {slice}");
            same_list(&a.wire, &b.wire, &format!("{what}: wire"));
            same_list(&a.cc, &b.cc, &format!("{what}: cc"));
            same_list(&a.offload, &b.offload, &format!("{what}: offload"));
            same_list(&a.buffers, &b.buffers, &format!("{what}: buffers"));
            same_list(&a.triggers, &b.triggers, &format!("{what}: triggers"));
            assert!(a == b, "{what}: another list differs");
        }
        assert!(built.run().log == whole.log, "{name}: the default slice");
    }
}

/// Equal lists, or a failure naming the first difference (not both whole lists).
fn same_list<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
        panic!(
            "{what}: record {i} differs:\n  chunked: {:?}\n  whole:   {:?}",
            a[i], b[i]
        );
    }
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
}
