//! spec/chimney.md rule 19: RFC 7323 timestamps across an offload and an upload. The
//! delegated state carries TsRecent, TsRecentAge and TsTime (§1) and the CONST TIMESTAMP flag;
//! the side that takes the connection over continues the old owner's clock through its delta
//! ("NicDelta = TsTime - NicTime at offload; TSval = NicTime + NicDelta"), so the peer sees
//! one timestamp clock for the whole connection. The NIC's own clock lags the host's by
//! [`NIC_TS_CLOCK_LAG_MS`] (an hour), so a side that skipped the delta would be seen at once.

use crate::fixtures::*;
use crate::offload_rules::obed;
use crate::runlog::*;
use models::offload::HandoverKind;
use models::record::{WireEvent, WireRecord};
use models::segment::Sender;
use models::tcp::NIC_TS_CLOCK_LAG_MS;
use models::testbed::{Outcome, Step, When};

/// RTT of the fixture's path: 2 × 20 ms propagation [ms].
const PATH_RTT_MS: u64 = 40;

/// A 1 MB transfer with timestamps, offloaded at 100 ms and uploaded at 400 ms (mid-transfer:
/// at 10 Mbit/s it takes about a second).
fn offloaded_and_uploaded() -> Outcome {
    let t = with_timestamps(obed(1_000_000));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    at(t, When::At(ms(400)), Step::Upload(C)).run()
}

/// `a` is at or after `b` on the 32-bit timestamp clock (RFC 7323 §5.2: "ahead" is within
/// 2^31 of each other).
fn not_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// The TSvals in `segs`, in order, each paired with its sender; panics naming the first
/// non-RST segment without the option.
#[track_caller]
fn tsvals<'a>(segs: impl IntoIterator<Item = &'a WireRecord>) -> Vec<(Sender, u32)> {
    segs.into_iter()
        .filter(|w| !w.header.flags.rst)
        .map(|w| {
            let (tsval, _) = w.header.timestamp.unwrap_or_else(|| {
                panic!(
                    "segment seq {} sent by {:?} at {} has no Timestamps option",
                    w.header.seq, w.provenance.sender, w.time
                )
            });
            (w.provenance.sender, tsval)
        })
        .collect()
}

#[track_caller]
fn assert_monotone(what: &str, v: &[(Sender, u32)]) {
    for pair in v.windows(2) {
        let ((s0, a), (s1, b)) = (pair[0], pair[1]);
        assert!(not_before(b, a), "{what}: TSval {b} from {s1:?} after {a} from {s0:?}");
    }
}

//= spec/chimney.md rule 19
//# NicDelta = TsTime - NicTime at offload; TSval = NicTime + NicDelta; RTT sample =
//# NicTime + NicDelta - TSecr. TSval therefore never goes backwards across a handover.
//= https://www.rfc-editor.org/rfc/rfc7323#section-3.2
//# Once TSopt has been successfully negotiated, that is both <SYN> and <SYN,ACK> contain
//# TSopt, the TSopt MUST be sent in every non-<RST> segment for the duration of the
//# connection
#[test]
fn timestamps_continue_across_an_offload_and_an_upload() {
    let out = offloaded_and_uploaded();
    assert_complete(&out);
    assert!(out.integrity_ok(), "{:?}", out.end);
    assert_eq!(handovers(&out, HandoverKind::Offload).len(), 1);
    assert_eq!(handovers(&out, HandoverKind::Upload).len(), 1);
    // All three owners sent data: host, target, host again.
    let by_target = data_by(&out, Sender::OffloadTarget);
    assert!(by_target.len() > 100, "{} segments by the target", by_target.len());
    let last_target = by_target.last().expect("target sent").time;
    assert!(
        data_by(&out, Sender::Host).iter().any(|w| w.time > last_target),
        "host resumed after the upload"
    );
    // Every segment of the sending side carries the option, and its clock never goes back.
    let sent = tsvals(ingress(&out, FWD));
    assert!(sent.iter().any(|(s, _)| *s == Sender::OffloadTarget));
    assert_monotone("sent by the sending side", &sent);
    // PAWS at the peer (RFC 7323 §5.3 R1: "SEG.TSval < TS.Recent ... treat the arriving
    // segment as not acceptable") drops nothing: every arrival is at or after every earlier
    // one, so at or after TS.Recent, which only takes arrived TSvals.
    let arrived: Vec<&WireRecord> = arrivals(&out, FWD)
        .into_iter()
        .filter(|w| matches!(w.event, WireEvent::Delivered { corrupted: false, .. }))
        .collect();
    assert_monotone("arrived at the peer", &tsvals(arrived));
}

//= spec/chimney.md rule 19
//# TSval = NicTime + NicDelta
//= https://www.rfc-editor.org/rfc/rfc7323#section-4.3
//# TSecr ... is used to measure the RTT
#[test]
fn the_target_continues_the_hosts_clock_and_echoes_the_peers() {
    let out = offloaded_and_uploaded();
    let fwd = ingress(&out, FWD);
    let by_target: Vec<&&WireRecord> = fwd
        .iter()
        .filter(|w| w.provenance.sender == Sender::OffloadTarget)
        .collect();
    let first = by_target.first().expect("the target sent");
    let (tsval, tsecr) = first.header.timestamp.expect("with the option");
    // The host's clock reads 1 per ms of simulated time; the NIC's lags it by an hour. The
    // target's TSval is the host's clock at the same moment, not its own.
    let host_clock = (first.time.as_nanos() / 1_000_000) as u32;
    assert_eq!(
        tsval,
        host_clock,
        "NIC clock would read {}",
        host_clock.wrapping_sub(NIC_TS_CLOCK_LAG_MS)
    );
    // TSecr echoes a TSval the peer sent (TS.Recent handed over), never 0 or stale by more
    // than a round trip plus the peer's delayed ACK.
    let peer_tsvals: Vec<u32> = tsvals(ingress(&out, REV)).into_iter().map(|(_, v)| v).collect();
    for w in &by_target {
        let (_, echo) = w.header.timestamp.expect("with the option");
        assert!(
            peer_tsvals.contains(&echo),
            "TSecr {echo} at {} is not a peer TSval",
            w.time
        );
    }
    assert!(tsecr != 0);
    // The target's RTT samples come from TSecr in the continued clock: its smoothed RTT stays
    // near the path's (an hour off if the delta were missing from either side).
    let target_srtt: Vec<u64> = out
        .log
        .cc
        .iter()
        .filter(|s| s.sender == Sender::OffloadTarget && s.srtt_ns > 0)
        .map(|s| s.srtt_ns / 1_000_000)
        .collect();
    assert!(!target_srtt.is_empty());
    assert!(
        target_srtt.iter().all(|&ms| (PATH_RTT_MS..1_000).contains(&ms)),
        "target SRTT [ms]: {target_srtt:?}"
    );
}
