//! spec/chimney.md, the offload half (§2–§5, rule 37): one test per rule or per chain layout,
//! each building its connection state with scripted drops and asserting on the recorded log.
//! The actors also check rules 9, 10, 12, 13, 20, 25, 40 and 42 at run time (a violation ends
//! the run with an error naming the rule), so `assert_complete` covers them as well.

use crate::fixtures::*;
use crate::runlog::*;
use models::app::{WriteSize, WriteTiming};
use models::link::{Impairment, LinkControl, QueueLimit};
use models::offload::{HandoverKind, TIMER_OFF};
use models::record::{BufferEnd, OffloadEventKind};
use models::segment::{DataSource, SendCause, Sender};
use models::testbed::{Direction, Step, Testbed, When};
use models::trigger::Condition;
use sim_core::{SimDuration, SimTime};

const MSS: u64 = 1460;

/// The fixture's bed with a Linux-like 40 ms delayed-ACK timer at the peer, so that the
/// 200 ms minimum RTO never races the delayed ACK of a transfer's last segment (a spurious
/// retransmission would blur the assertions on who resends what).
pub fn obed(total: u64) -> Testbed {
    let mut t = bed(total);
    if let Some(d) = t.conns[0].peer_tcp.delayed_ack.as_mut() {
        d.timeout = SimDuration::from_millis(40);
    }
    t
}

/// [`obed`] whose application posts everything at once (one send buffer big enough).
pub fn bed_all_at_once(total: u64) -> Testbed {
    let mut t = obed(total);
    t.conns[0].bulk.send_buffer = total.max(1);
    t
}

/// Drops the first transmission of every segment in `[from, to)` (MSS-sized segments).
fn drop_first_tx(from: u64, to: u64) -> Vec<Impairment> {
    (from..to)
        .step_by(MSS as usize)
        .flat_map(|o| Impairment::drop_data_times(o, 1, Some(C)))
        .collect()
}

// ----- §2/§3: what the chain holds at offload ----------------------------------------------

//= spec/chimney.md rule 4
//# Chain NULL => SndMax - SndUna <= F
#[test]
fn rule_04_offload_with_nothing_outstanding() {
    let mut t = obed(200_000);
    t.conns[0].bulk.send_buffer = 50_000;
    let t = at(t, When::At(ms(150)), Step::PauseSender(C, true));
    let t = at(t, When::At(ms(600)), Step::Offload(C));
    let out = at(t, When::At(ms(700)), Step::PauseSender(C, false)).run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    let s = h.state;
    assert!(s.snd_una == s.snd_nxt && s.snd_nxt == s.snd_max, "{s:?}");
    assert_eq!((h.chain_bytes, h.chain_buffers), (0, 0), "rule 4: chain NULL");
    assert_eq!(
        s.retransmit.timeout_delta, TIMER_OFF,
        "rule 5: timer off without outstanding data"
    );
    // Everything after the offload was posted to the target and sent by it.
    let done = the(&out, OffloadEventKind::OffloadCompleted).time;
    let after: Vec<_> = data_out(&out).into_iter().filter(|w| w.time > done).collect();
    assert!(!after.is_empty());
    assert!(
        after
            .iter()
            .all(|w| w.provenance.sender == Sender::OffloadTarget
                && w.provenance.source == DataSource::PostedAfterOffload)
    );
    assert_host_silent_during_offloads(&out);
    assert_first_transmissions_in_order(&out);
}

//= spec/chimney.md rule 9
//# (d) SndWnd == 0 - the next packet is a persist window probe
#[test]
fn rule_03_offload_with_only_unsent_data_behind_a_zero_window() {
    let mut t = obed(600_000);
    t.conns[0].bulk.send_buffer = 600_000;
    let t = at(t, When::At(SimTime::ZERO), Step::PauseSink(C, true));
    let t = at(t, When::On(C, Condition::ZeroWindow), Step::Offload(C));
    let out = at(t, When::At(ms(3_000)), Step::PauseSink(C, false)).run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    let s = h.state;
    assert_eq!(s.snd_wnd, 0);
    assert!(
        s.snd_una == s.snd_nxt && s.snd_nxt == s.snd_max,
        "only unsent data: {s:?}"
    );
    assert!(h.chain_bytes > 0, "the chain holds the unsent bytes");
    assert_ne!(
        s.retransmit.timeout_delta, TIMER_OFF,
        "rule 17: the persist timer travels"
    );
    let first = data_by(&out, Sender::OffloadTarget)[0];
    assert_eq!(first.provenance.cause, SendCause::WindowProbe, "rule 9 d");
    assert_eq!(first.header.stream_offset, h.snd_una_offset);
    assert_eq!(first.provenance.source, DataSource::DelegatedUnsent);
    assert_host_silent_during_offloads(&out);
    assert_first_transmissions_in_order(&out);
}

//= spec/chimney.md rule 3
//# chain bytes C >= (SndMax - SndUna) - F
#[test]
fn rule_03_offload_with_only_sent_unacknowledged_data() {
    // One initial window (10 segments), all written and sent before the offload.
    let t = bed_all_at_once(10 * MSS);
    let out = at(
        t,
        When::On(C, Condition::InFlightAtLeast(10 * MSS as u32)),
        Step::Offload(C),
    )
    .run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    let s = h.state;
    assert_eq!(s.snd_nxt, s.snd_max);
    assert_eq!(u64::from(s.snd_max.wrapping_since(s.snd_una)), 10 * MSS);
    assert_eq!(h.chain_bytes, 10 * MSS, "exactly the unacknowledged bytes");
    assert_ne!(s.retransmit.timeout_delta, TIMER_OFF, "rule 5");
    // No loss: the target sends no data, but completes the buffer once it is acknowledged.
    assert!(data_by(&out, Sender::OffloadTarget).is_empty());
    let b = &out.log.buffers[0];
    assert_eq!(b.end, BufferEnd::Completed);
    assert!(b.offloaded_at.is_some() && b.ended_at > b.offloaded_at);
    // The close after completion went to the target: its FIN.
    let fins: Vec<_> = ingress(&out, FWD).into_iter().filter(|w| w.header.flags.fin).collect();
    assert!(!fins.is_empty() && fins.iter().all(|w| w.provenance.sender == Sender::OffloadTarget));
}

//= spec/chimney.md §2
//# [SndUna,SndNxt) sent, unacked ... [SndMax,end) new data, sent after the resend region
#[test]
fn rule_03_offload_with_sent_and_unsent_data() {
    let mut t = bed_all_at_once(600_000);
    t.forward.queue = QueueLimit::Packets(1_000); // no slow-start overshoot loss
    let out = at(t, When::At(ms(150)), Step::Offload(C)).run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    let s = h.state;
    let in_flight = u64::from(s.snd_max.wrapping_since(s.snd_una));
    assert!(in_flight > 0 && h.chain_bytes > in_flight, "{h:?}");
    let target = data_by(&out, Sender::OffloadTarget);
    // Rule 9 with SndNxt == SndMax: the first segment is new data at SndMax.
    assert_eq!(target[0].header.stream_offset, off(&out, s.snd_nxt));
    assert_eq!(target[0].provenance.source, DataSource::DelegatedUnsent);
    assert!(
        target.iter().all(|w| !w.provenance.is_retransmission),
        "no loss, no resend"
    );
    // Rule 25: every buffer completed, in posting order.
    let ends: Vec<_> = out.log.buffers.iter().map(|b| (b.end, b.ended_at)).collect();
    assert!(ends.iter().all(|(e, _)| *e == BufferEnd::Completed));
    assert!(ends.windows(2).all(|w| w[0].1 <= w[1].1));
    assert_host_silent_during_offloads(&out);
    assert_first_transmissions_in_order(&out);
}

// ----- rules 9, 10, 12: SndNxt < SndMax at offload ------------------------------------------

/// The whole initial window is lost, the RTO goes back to SndUna and resends one segment:
/// the connection is offloaded right then, with SndNxt = SndUna + MSS < SndMax.
fn offload_mid_resend() -> models::testbed::Outcome {
    let mut t = bed_all_at_once(60_000);
    t.forward.impairments = drop_first_tx(0, 10 * MSS);
    at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C)).run()
}

//= spec/chimney.md rule 9
//# The first data segment the OT puts on the wire starts at SndNxt
#[test]
fn rule_09_first_segment_at_snd_nxt() {
    let out = offload_mid_resend();
    assert_complete(&out);
    let s = handovers(&out, HandoverKind::Offload)[0].state;
    assert_eq!(s.retransmit.count, 1, "one RTO before the offload");
    assert_eq!((off(&out, s.snd_nxt), off(&out, s.snd_max)), (MSS, 10 * MSS));
    let first = data_by(&out, Sender::OffloadTarget)[0];
    assert_eq!(first.header.stream_offset, MSS);
    assert_eq!(first.provenance.source, DataSource::DelegatedResend);
}

//= spec/chimney.md rule 10
//# every byte of [SndNxt,SndMax) goes out before any byte >= SndMax
#[test]
fn rule_10_resend_region_before_new_data() {
    let out = offload_mid_resend();
    assert_complete(&out);
    let target = data_by(&out, Sender::OffloadTarget);
    let first_new = target
        .iter()
        .position(|w| w.header.stream_offset >= 10 * MSS)
        .expect("new data");
    // [SndNxt, SndMax) = [MSS, 10 MSS) is covered, in order, before the first byte >= SndMax.
    let mut covered = MSS;
    for w in &target[..first_new] {
        assert!(
            w.header.stream_offset <= covered,
            "gap before {}",
            w.header.stream_offset
        );
        covered = covered.max(w.header.stream_offset + u64::from(w.header.len));
    }
    assert_eq!(covered, 10 * MSS);
    assert_first_transmissions_in_order(&out);
}

//= spec/chimney.md rule 12
//# the [SndNxt,SndMax) resend counts as retransmissions even though it is the OT's first
//# transmission [DDI stats]. Tag them source=DSC; bytes >= SndMax sent for the first time are
//# not retransmissions.
#[test]
fn rule_12_resend_region_counts_as_retransmissions() {
    let out = offload_mid_resend();
    assert_complete(&out);
    let target = data_by(&out, Sender::OffloadTarget);
    let resend: Vec<_> = target
        .iter()
        .filter(|w| w.provenance.source == DataSource::DelegatedResend)
        .collect();
    assert_eq!(resend.len(), 9, "[MSS, 10 MSS) in MSS segments");
    assert!(
        resend
            .iter()
            .all(|w| w.provenance.is_retransmission && w.provenance.tx_number == 1)
    );
    // Bytes >= SndMax: their first transmission is not a retransmission.
    let mut sent_end = 10 * MSS;
    let mut fresh = 0;
    for w in &target {
        let end = w.header.stream_offset + u64::from(w.header.len);
        if w.provenance.source == DataSource::DelegatedUnsent && w.header.stream_offset >= sent_end {
            assert!(!w.provenance.is_retransmission && w.provenance.tx_number == 0, "{w:?}");
            fresh += 1;
        }
        sent_end = sent_end.max(end);
    }
    assert!(fresh > 0);
}

//= spec/chimney.md rule 9
//# (a) an ACK (wire or forwarded) moved SndUna past SndNxt - then it starts at the new SndUna
#[test]
fn rule_09a_ack_past_snd_nxt_moves_the_first_segment() {
    // One segment lost twice (first transmission and fast retransmit): the RTO resends it,
    // the connection is offloaded mid-resend, and the receiver, which holds everything else,
    // acknowledges up to SndMax at once.
    let mut t = bed_all_at_once(200_000);
    t.forward.impairments = Impairment::drop_data_times(30 * MSS, 2, Some(C));
    let out = at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C)).run();
    assert_complete(&out);
    let s = handovers(&out, HandoverKind::Offload)[0].state;
    assert!(s.snd_nxt < s.snd_max);
    let first = data_by(&out, Sender::OffloadTarget)[0];
    assert_eq!(
        first.header.stream_offset,
        off(&out, s.snd_max),
        "SndNxt = ack (rule 13)"
    );
    assert!(
        data_out(&out)
            .iter()
            .all(|w| w.provenance.source != DataSource::DelegatedResend),
        "acknowledged bytes are never resent"
    );
}

// ----- buffers: many small, one large; writes during and after the offload ----------------

//= spec/chimney.md rule 25
//# With ACK-driven completion, NBLs complete in FIFO order
#[test]
fn rule_25_many_small_buffers_complete_in_order() {
    let mut t = bed_all_at_once(300_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(200);
    // A loss the target repairs, inside a run of small buffers.
    t.forward.impairments = Impairment::drop_data_times(250_000, 1, Some(C));
    let out = at(t, When::At(ms(150)), Step::Offload(C)).run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    assert!(h.chain_buffers > 100, "{h:?}");
    let bufs = &out.log.buffers;
    assert_eq!(bufs.len(), 1500);
    assert!(bufs.iter().all(|b| b.end == BufferEnd::Completed));
    assert!(bufs.windows(2).all(|w| w[0].ended_at <= w[1].ended_at), "FIFO");
    assert!(
        data_by(&out, Sender::OffloadTarget)
            .iter()
            .any(|w| w.provenance.is_retransmission)
    );
}

//= spec/chimney.md rule 25
//# status SUCCESS means every byte of that NBL was sent AND cumulatively ACKed
#[test]
fn rule_25_one_large_buffer_completes_once_fully_acknowledged() {
    let mut t = bed_all_at_once(1_000_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(1_000_000);
    let out = at(t, When::At(ms(300)), Step::Offload(C)).run();
    assert_complete(&out);
    assert_eq!(handovers(&out, HandoverKind::Offload)[0].chain_buffers, 1);
    let b = &out.log.buffers[0];
    let last_ack = seq_at(&out, 1_000_000);
    let covering = arrivals(&out, REV)
        .into_iter()
        .find(|w| w.header.flags.ack && w.header.ack >= last_ack)
        .expect("the last byte is acknowledged");
    assert_eq!(
        b.ended_at,
        Some(covering.time),
        "completed exactly when fully acknowledged"
    );
}

//= spec/chimney.md rule 21
//# While an offload is in progress ... The host must queue application sends itself.
//= spec/chimney.md rule 22
//# After success the host posts queued sends via MiniportTcpOffloadSend
#[test]
fn rule_21_22_writes_during_the_offload_are_queued_then_posted_in_order() {
    let mut t = obed(300_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(3_000);
    t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(2));
    t.target.as_mut().unwrap().offload_latency = SimDuration::from_millis(40);
    let out = at(t, When::At(ms(100)), Step::Offload(C)).run();
    assert_complete(&out);
    let init = the(&out, OffloadEventKind::OffloadInitiated).time;
    let done = the(&out, OffloadEventKind::OffloadCompleted).time;
    let during: Vec<_> = out
        .log
        .buffers
        .iter()
        .filter(|b| b.posted_at > init && b.posted_at < done)
        .collect();
    assert!(during.len() >= 15, "{}", during.len());
    assert!(
        during.iter().all(|b| b.offloaded_at == Some(done)),
        "posted at completion"
    );
    let after: Vec<_> = out.log.buffers.iter().filter(|b| b.posted_at > done).collect();
    assert!(!after.is_empty() && after.iter().all(|b| b.offloaded_at == Some(b.posted_at)));
    // Queued and later posts are sent by the target from the posted buffers, and (checked
    // below) every first transmission follows the stream order: FIFO across the chain, the
    // queued posts and the later ones.
    let first_queued = during[0].stream_offset;
    assert!(data_by(&out, Sender::OffloadTarget).iter().any(|w| {
        let end = w.header.stream_offset + u64::from(w.header.len);
        w.header.stream_offset <= first_queued && first_queued < end
    }));
    assert!(
        data_by(&out, Sender::OffloadTarget)
            .iter()
            .any(|w| w.provenance.source == DataSource::PostedAfterOffload)
    );
    assert_host_silent_during_offloads(&out);
    assert_first_transmissions_in_order(&out);
}

// ----- rule 37: refusal ----------------------------------------------------------------------

fn assert_refused_and_untouched(out: &models::testbed::Outcome, reason_has: &str) {
    assert_complete(out);
    let init = the(out, OffloadEventKind::OffloadInitiated);
    let refused = events(out, |k| matches!(k, OffloadEventKind::OffloadRefused { .. }));
    assert_eq!(refused.len(), 1);
    let OffloadEventKind::OffloadRefused { reason } = &refused[0].kind else {
        unreachable!()
    };
    assert!(reason.contains(reason_has), "{reason}");
    // The host's state is as it handed it over: nothing was touched.
    assert_eq!(
        (init.snd_una, init.snd_nxt, init.snd_max),
        (refused[0].snd_una, refused[0].snd_nxt, refused[0].snd_max)
    );
    // The target emits no packet for the connection; the host goes on and completes.
    assert!(ingress(out, FWD).iter().all(|w| w.provenance.sender == Sender::Host));
    assert!(out.log.buffers.iter().all(|b| b.offloaded_at.is_none()));
    assert_host_silent_during_offloads(out);
    assert_first_transmissions_in_order(out);
}

//= spec/chimney.md rule 37
//# The host keeps the chain and its queued sends and continues as a host connection.
//# Simulator: the OT emits no packet for that connection
#[test]
fn rule_37_refused_offload_leaves_host_untouched() {
    let mut t = obed(400_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(4_000);
    t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(3));
    let target = t.target.as_mut().unwrap();
    target.refuse = true;
    target.offload_latency = SimDuration::from_millis(30);
    // Writes queued during the refused offload, and an upload that must not happen.
    let t = at(t, When::At(ms(200)), Step::Offload(C));
    let out = at(t, When::At(ms(210)), Step::Upload(C)).run();
    assert_refused_and_untouched(&out, "OFFLOAD_CONNECTION_REJECTED");
    assert!(events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. })).is_empty());
}

//= spec/chimney.md rule 37
//# OFFLOAD_TCP_ENTRIES
#[test]
fn rule_37_refused_for_lack_of_entries() {
    let mut t = obed(300_000);
    t.target.as_mut().unwrap().max_connections = 0;
    let out = at(t, When::At(ms(150)), Step::Offload(C)).run();
    assert_refused_and_untouched(&out, "OFFLOAD_TCP_ENTRIES");
}

// ----- rule 13: stale ACKs -------------------------------------------------------------------

//= spec/chimney.md rule 13
//# Ack < SndUna (stale, e.g. a late forwarded segment): ignore, not a dup ACK
#[test]
fn rule_13_stale_forwarded_acks_are_ignored() {
    // ACKs entering the reverse link during [300, 310) ms are held back 30 ms, so later ACKs
    // overtake them; they reach the host during the offload window and are forwarded after
    // the target has taken over a newer SndUna.
    let mut t = obed(1_000_000);
    t.forward.queue = QueueLimit::Packets(1_000); // no slow-start overshoot loss
    t.target.as_mut().unwrap().offload_latency = SimDuration::from_millis(30);
    let reorder = Impairment::Reorder {
        fraction: 1.0,
        extra_delay: SimDuration::from_millis(30),
    };
    let t = at(
        t,
        When::At(ms(300)),
        Step::Link(Direction::Reverse, LinkControl::SetImpairments(vec![reorder])),
    );
    let t = at(
        t,
        When::At(ms(310)),
        Step::Link(Direction::Reverse, LinkControl::SetImpairments(vec![])),
    );
    let out = at(t, When::At(ms(340)), Step::Offload(C)).run();
    assert_complete(&out);
    let init = the(&out, OffloadEventKind::OffloadInitiated);
    let done = the(&out, OffloadEventKind::OffloadCompleted).time;
    let stale: Vec<_> = arrivals(&out, REV)
        .into_iter()
        .filter(|w| w.time > init.time && w.time < done && w.header.ack < init.snd_una)
        .collect();
    assert!(
        stale.len() >= 3,
        "enough stale ACKs to trip a dup-ACK count: {}",
        stale.len()
    );
    // Not dup-counted: no fast retransmit, and no resend at all (nothing was lost).
    assert!(data_out(&out).iter().all(|w| !w.provenance.is_retransmission));
}
