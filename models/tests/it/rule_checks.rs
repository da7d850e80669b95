//! Negative tests of the run-time chimney rule checks (issue 11 defect 11): for every rule the
//! simulator checks, a deliberately broken host or target ([`Fault`], a test-only switch on the
//! target's configuration) breaks it once, and the run must end with an error naming that rule.

use crate::fixtures::*;
use crate::offload_rules::obed;
use models::link::Impairment;
use models::offload::Fault;
use models::testbed::{Outcome, Step, Testbed, When};
use models::trigger::Condition;

/// The fixture's transfer, offloaded at 100 ms, with `fault` switched on.
fn broken(fault: Fault) -> Testbed {
    let mut t = obed(1_000_000);
    t.target.as_mut().expect("a target").fault = Some(fault);
    at(t, When::At(ms(100)), Step::Offload(C))
}

#[track_caller]
fn assert_ends_naming_rule(out: &Outcome, rule: u8) {
    let err = format!("{:?}", out.end);
    assert!(out.end.is_err(), "the run should fail on rule {rule}: {err}");
    assert!(err.contains(&format!("chimney rule {rule} violated")), "{err}");
}

//= spec/chimney.md rule 1
//# State is one of Established, FinWait1, FinWait2, CloseWait, Closing, LastAck
#[test]
fn rule_01_check_catches_an_offload_in_time_wait() {
    assert_ends_naming_rule(&broken(Fault::HostOffloadsTimeWait).run(), 1);
}

//= spec/chimney.md rule 2
//# SndUna <= SndNxt <= SndMax.
#[test]
fn rule_02_check_catches_snd_nxt_beyond_snd_max() {
    assert_ends_naming_rule(&broken(Fault::HostSndNxtBeyondSndMax).run(), 2);
}

//= spec/chimney.md rule 3
//# chain bytes C >= (SndMax - SndUna) - F
#[test]
fn rule_03_check_catches_a_chain_too_short() {
    assert_ends_naming_rule(&broken(Fault::HostChainTooShort).run(), 3);
}

//= spec/chimney.md rule 4
//# Chain NULL => SndMax - SndUna <= F
#[test]
fn rule_04_check_catches_a_null_chain_with_data_outstanding() {
    assert_ends_naming_rule(&broken(Fault::HostNullChain).run(), 4);
}

//= spec/chimney.md rule 5
//# SndUna != SndMax with SndWnd > 0 should carry a finite delta
#[test]
fn rule_05_check_catches_a_timer_off_with_data_outstanding() {
    assert_ends_naming_rule(&broken(Fault::HostTimerOff).run(), 5);
}

//= spec/chimney.md rule 9
//# The first data segment the OT puts on the wire starts at SndNxt
#[test]
fn rule_09_check_catches_a_first_segment_past_snd_nxt() {
    assert_ends_naming_rule(&broken(Fault::TargetFirstSegmentPastSndNxt).run(), 9);
}

//= spec/chimney.md rule 10
//# every byte of [SndNxt,SndMax) goes out before any byte >= SndMax
#[test]
fn rule_10_check_catches_a_gap_in_the_target_sending() {
    assert_ends_naming_rule(&broken(Fault::TargetSkipsAhead).run(), 10);
}

//= spec/chimney.md rule 12
//# a segment counts as retransmitted if it carries at least one octet sent before
#[test]
fn rule_12_check_catches_an_unmarked_retransmission() {
    // The initial window is lost; the offload meets the go-back-N resend, so the target's
    // first segments are retransmissions.
    let mut t = obed(60_000);
    t.conns[0].bulk.send_buffer = 60_000;
    t.forward.impairments = (0..10 * 1460)
        .step_by(1460)
        .flat_map(|o| Impairment::drop_data_times(o, 1, Some(C)))
        .collect();
    t.target.as_mut().expect("a target").fault = Some(Fault::TargetUnmarkedRetransmission);
    let out = at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C)).run();
    assert_ends_naming_rule(&out, 12);
}

//= spec/chimney.md rule 13
//# SndUna < ack <= SndMax is acceptable (not only <= SndNxt); if ack > SndNxt, set SndNxt = ack
#[test]
fn rule_13_check_catches_snd_nxt_beyond_snd_max_on_the_target() {
    assert_ends_naming_rule(&broken(Fault::TargetSndNxtBeyondSndMax).run(), 13);
}

//= spec/chimney.md rule 20
//# The OT sends RST only on an abortive disconnect request
#[test]
fn rule_20_check_catches_an_rst_without_an_abortive_disconnect() {
    assert_ends_naming_rule(&broken(Fault::TargetSpuriousRst).run(), 20);
}

//= spec/chimney.md rule 25
//# status SUCCESS means every byte of that NBL was sent AND cumulatively ACKed
#[test]
fn rule_25_check_catches_a_completion_before_the_ack() {
    assert_ends_naming_rule(&broken(Fault::TargetEarlyCompletion).run(), 25);
}

//= spec/chimney.md rule 40
//# send nothing more (including DSC retransmissions)
#[test]
fn rule_40_check_catches_data_after_an_rst() {
    let t = at(
        broken(Fault::TargetSendsAfterRst),
        When::At(ms(400)),
        Step::PeerAbort(C),
    );
    assert_ends_naming_rule(&t.run(), 40);
}

//= spec/chimney.md rule 42
//# The FIN follows all earlier data
#[test]
fn rule_42_check_catches_a_fin_before_the_end_of_the_data() {
    assert_ends_naming_rule(&broken(Fault::TargetEarlyFin).run(), 42);
}

//= spec/chimney.md rule 31
//# The first byte of the returned chain is sequence SndUna
#[test]
fn rule_31_check_catches_a_returned_chain_not_at_snd_una() {
    let t = at(
        broken(Fault::TargetChainNotAtSndUna),
        When::At(ms(300)),
        Step::Upload(C),
    );
    assert_ends_naming_rule(&t.run(), 31);
}

//= spec/chimney.md rule 33
//# Returned timers: TimeoutDelta -1 if the timer was off
#[test]
fn rule_33_check_catches_a_returned_timer_off_with_data_outstanding() {
    let t = at(broken(Fault::TargetReturnsTimerOff), When::At(ms(300)), Step::Upload(C));
    assert_ends_naming_rule(&t.run(), 33);
}

#[test]
fn no_fault_no_violation() {
    // The success side of every pair above: the same runs without a fault complete.
    let t = at(obed(1_000_000), When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(300)), Step::Upload(C));
    assert!(t.run().integrity_ok());
}

//= spec/chimney.md rule 19
//# TSval = NicTime + NicDelta ... TSval therefore never goes backwards across a handover
#[test]
fn rule_19_check_catches_a_tsval_below_the_hosts_clock() {
    let mut t = with_timestamps(obed(1_000_000));
    t.target.as_mut().expect("a target").fault = Some(Fault::TargetTsvalBehindHost);
    let out = at(t, When::At(ms(100)), Step::Offload(C)).run();
    assert_ends_naming_rule(&out, 19);
}

//= spec/chimney.md rule 33
//# TsTime = NicTime + NicDelta
#[test]
fn rule_33_check_catches_a_returned_ts_time_without_the_delta() {
    let mut t = with_timestamps(obed(1_000_000));
    t.target.as_mut().expect("a target").fault = Some(Fault::TargetReturnsNicTime);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(300)), Step::Upload(C)).run();
    assert_ends_naming_rule(&out, 33);
}
