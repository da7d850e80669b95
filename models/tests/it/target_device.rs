//! Issue 11: the offload target as a device of its own. Regression tests for the handover
//! defects (each named after the behaviour, citing the chimney rule or RFC clause it checks)
//! and for the target's policies where chimney leaves room.

use crate::fixtures::*;
use crate::offload_rules::obed;
use crate::runlog::*;
use models::link::{Impairment, QueueLimit};
use models::offload::RecoveryInference;
use models::segment::{SendCause, Sender};
use models::testbed::{Outcome, Step, Testbed, When};
use models::trigger::Condition;
use sim_core::SimDuration;

/// A congestion-avoidance transfer: a first loss at 100 kB ends slow start (the queue never
/// overflows), a second one at 600 kB starts a fast recovery during which the host sends new
/// data. With `offload = Some(after)` the connection is offloaded during the first recovery
/// and uploaded once 500 kB are acknowledged, then offloaded again `after` the second recovery
/// starts (`None`: never offloaded).
fn recovery_bed(offload: Option<SimDuration>, policy: RecoveryInference) -> Testbed {
    let mut t = obed(1_500_000);
    t.forward.queue = QueueLimit::Packets(400);
    t.forward.impairments = Impairment::drop_data_times(100_740, 1, Some(C));
    t.forward
        .impairments
        .extend(Impairment::drop_data_times(600_000, 1, Some(C)));
    if let Some(target) = t.target.as_mut() {
        target.recovery_inference = policy;
    }
    match offload {
        // Upload after the first recovery, so that the offload meets the second one.
        Some(after) => {
            let t = at(t, When::On(C, Condition::AfterBytesAcked(500_000)), Step::Upload(C));
            at(t, When::OnAfter(C, Condition::InFastRecovery, after), Step::Offload(C))
        }
        None => t,
    }
}

fn target_resends(out: &Outcome, cause: SendCause) -> usize {
    data_by(out, Sender::OffloadTarget)
        .iter()
        .filter(|w| w.provenance.cause == cause)
        .count()
}

//= spec/chimney.md §1
//# Not delegated at all: SND.WL2, the NewReno `recover` point / "in fast recovery" flag
//= RFC 6582 §3.2 step 2
//# the value of recover is incremented to the value of the highest sequence number
//# transmitted by the TCP so far
#[test]
fn offload_during_fast_recovery_makes_no_spurious_retransmission_by_default() {
    // Issue 11 defect 5: 40 ms into the recovery the host has sent new data; with recover =
    // SndMax - 1 on the target the ACKs for the data sent before the loss were partial ACKs,
    // each answered by a spurious resend.
    let after = Some(SimDuration::from_millis(40));
    let alone = recovery_bed(None, RecoveryInference::default()).run();
    let current = recovery_bed(after, RecoveryInference::Current).run();
    let default = recovery_bed(after, RecoveryInference::default()).run();
    let ended = recovery_bed(after, RecoveryInference::EndRecovery).run();
    for out in [&alone, &current, &default, &ended] {
        assert_complete(out);
    }
    assert!(spurious_retransmissions(&alone).is_empty());
    assert!(target_resends(&current, SendCause::PartialAck) >= 3);
    assert!(spurious_retransmissions(&current).len() >= 3);
    assert_eq!(
        RecoveryInference::default(),
        RecoveryInference::KeepRecoverAtHighestSent
    );
    assert!(spurious_retransmissions(&default).is_empty());
    assert_eq!(target_resends(&default, SendCause::PartialAck), 0);
    assert_eq!(
        default.conns[0].completed_at, alone.conns[0].completed_at,
        "the inferred recover point is the host's own: the run completes as without offload"
    );
    assert!(spurious_retransmissions(&ended).is_empty());
    assert_ne!(ended.conns[0].completed_at, alone.conns[0].completed_at);
}
