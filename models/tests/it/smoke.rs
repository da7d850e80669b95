//! End-to-end smoke tests: a transfer completes, with and without offload.

use crate::fixtures::*;
use models::record::OffloadEventKind;
use models::segment::Sender;
use models::testbed::{Step, When};

#[test]
fn clean_transfer_completes_with_every_byte_verified() {
    let out = bed(1_000_000).run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let done = out.conns[0].completed_at.unwrap();
    // 1 MB at 10 Mbit/s is 0.8 s of serialization, plus slow start over a 40 ms RTT.
    assert!(done.as_secs_f64() > 0.8 && done.as_secs_f64() < 2.0, "{done}");
}

#[test]
fn offload_mid_transfer_completes_and_target_sends() {
    let out = at(bed(1_000_000), When::At(ms(300)), Step::Offload(C)).run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let kinds: Vec<_> = out.log.offload.iter().map(|o| o.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![OffloadEventKind::OffloadInitiated, OffloadEventKind::OffloadCompleted]
    );
    assert!(
        out.log
            .wire
            .iter()
            .any(|w| w.provenance.sender == Sender::OffloadTarget && w.header.len > 0)
    );
}

#[test]
fn offload_then_upload_completes() {
    let t = at(
        at(bed(1_000_000), When::At(ms(300)), Step::Offload(C)),
        When::At(ms(600)),
        Step::Upload(C),
    );
    let out = t.run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    assert_eq!(out.log.offload.len(), 4, "{:?}", out.log.offload);
}

/// Issue 10 defect 7: "`rto_count` ignores SYN and FIN timeouts". Every retransmission-timer
/// expiry is recorded by the engine's actor, whatever it retransmits (RFC 6298 §5.4: "Retransmit
/// the earliest segment that has not been acknowledged").
#[test]
fn syn_and_fin_timeouts_are_recorded_as_rto_expiries() {
    use models::link::Impairment;
    use models::record::RtoSegment;
    let mut t = bed(100_000);
    for (syn, fin) in [(true, false), (false, true)] {
        t.forward.impairments.push(Impairment::DropFlags {
            syn,
            fin,
            rst: false,
            occurrence: 1,
        });
    }
    let out = t.run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let what: Vec<(RtoSegment, u32)> = out.log.rto.iter().map(|r| (r.segment, r.backoff)).collect();
    assert_eq!(what, vec![(RtoSegment::Syn, 1), (RtoSegment::Fin, 1)]);
}

/// Writes posted in one instant coalesce: 50 kB written as 50,000 one-byte writes at once
/// leave as full-sized segments (the initial window is 10 segments, RFC 5681 §3.1, not 10
/// one-byte writes or 14,600 of them), so a clean link with a 100-packet queue drops nothing;
/// the same holds after an offload for sends posted to the target (rule 22). ns-3 schedules
/// `SendPendingData` after `Send` for the same reason.
#[test]
fn small_writes_of_one_instant_leave_as_full_segments() {
    use models::app::WriteSize;
    use models::record::WireEvent;
    for offload in [false, true] {
        let mut t = bed(50_000);
        t.conns[0].bulk.write_size = WriteSize::Fixed(1);
        t.conns[0].bulk.send_buffer = 100_000;
        let t = if offload {
            at(t, When::At(ms(1)), Step::Offload(C))
        } else {
            t
        };
        let out = t.run();
        assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
        let data: Vec<u32> = out
            .log
            .wire
            .iter()
            .filter(|w| w.header.len > 0 && w.event == WireEvent::Sent && !w.provenance.is_retransmission)
            .map(|w| w.header.len)
            .collect();
        assert!(
            out.log.wire.iter().all(|w| !matches!(w.event, WireEvent::Dropped(_))),
            "offload {offload}: drops on a clean link"
        );
        // 50,000 bytes in 1460-byte segments: 34 full ones and the rest, the last with PSH
        // (it carries the last byte of a write, rule 15).
        assert_eq!(data.len(), 35, "offload {offload}: {data:?}");
        assert!(data[..34].iter().all(|&l| l == 1460), "offload {offload}: {data:?}");
        let last = out.log.wire.iter().rfind(|w| w.header.len > 0).unwrap();
        assert!(last.header.flags.psh, "offload {offload}: no PSH on the last segment");
    }
}
