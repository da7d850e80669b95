//! Issue 11: the offload target as a device of its own. Regression tests for the handover
//! defects (each named after the behaviour, citing the chimney rule or RFC clause it checks)
//! and for the target's policies where chimney leaves room.

use crate::fixtures::*;
use crate::offload_rules::obed;
use crate::runlog::*;
use models::app::{WriteSize, WriteTiming};
use models::link::{Impairment, QueueLimit};
use models::offload::RecoveryInference;
use models::record::{BufferEnd, OffloadEventKind};
use models::segment::{ConnId, SendCause, Sender};
use models::testbed::{Outcome, Step, Testbed, When};
use models::trigger::Condition;
use sim_core::{SimDuration, SimTime};

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

// ----- the target's entries: freed when the connection is over (defects 1, 2, 9) ---------------

fn refusals(out: &Outcome, conn: ConnId) -> usize {
    events(out, |k| matches!(k, OffloadEventKind::OffloadRefused { .. }))
        .iter()
        .filter(|o| o.conn == conn)
        .count()
}

fn offloads_completed(out: &Outcome, conn: ConnId) -> usize {
    events(out, |k| *k == OffloadEventKind::OffloadCompleted)
        .iter()
        .filter(|o| o.conn == conn)
        .count()
}

//= spec/chimney.md rule 40
//# keep the state until the host terminates
#[test]
fn aborted_connection_frees_its_target_entry() {
    // Issue 11 defect 1: the host went to Closed without terminating; the entry stayed.
    let t = max_entries(with_second_conn(obed(2_000_000)), 1);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(300)), Step::PeerAbort(C));
    let out = at(t, When::At(ms(500)), Step::Offload(C2)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    assert_eq!(refusals(&out, C2), 0, "{:#?}", out.log.offload);
    assert_eq!(offloads_completed(&out, C2), 1);
    // Defect 9: the abort and the CLOSED upload carry the real sequence state.
    let aborted = the(&out, OffloadEventKind::Aborted);
    let back = events(&out, |k| *k == OffloadEventKind::UploadCompleted)[0];
    assert_eq!(back.conn, C);
    for o in [aborted, back] {
        assert!(o.snd_una <= o.snd_nxt && o.snd_nxt <= o.snd_max, "{o:?}");
        assert!(
            off(&out, o.snd_una) > 100_000,
            "SndUna is the aborted connection's, not zero: {o:?}"
        );
    }
}

//= spec/chimney.md rule 44
//# Entering TIME_WAIT: the OT should request upload
#[test]
fn connection_closed_through_last_ack_frees_its_target_entry() {
    // Issue 11 defect 1: only TIME_WAIT asked for an upload; LAST_ACK -> CLOSED kept the entry.
    let t = max_entries(with_second_conn(obed(300_000)), 1);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(150)), Step::PeerClose(C));
    let out = at(t, When::At(ms(3_000)), Step::Offload(C2)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    assert_eq!(out.conns[0].delivered, 300_000);
    assert_eq!(refusals(&out, C2), 0, "{:#?}", out.log.offload);
    let back = events(&out, |k| *k == OffloadEventKind::UploadCompleted)[0];
    // Defect 9: SYN + data + FIN, all acknowledged.
    let end = out.conns[0].isn.0.add(1 + 300_000 + 1);
    assert_eq!((back.snd_una, back.snd_nxt, back.snd_max), (end, end, end));
}

//= spec/chimney.md rule 17
//# In FinWait2 the retransmit timer is the FIN_WAIT_2 timer (120 s initial)
#[test]
fn fin_wait_2_timer_asks_for_an_upload_and_frees_the_entry() {
    // Issue 11 defect 1: a finished connection whose peer never closes sat in FIN_WAIT_2.
    let mut t = max_entries(with_second_conn(obed(300_000)), 1);
    t.target.as_mut().unwrap().fin_wait_2_timeout = Some(SimDuration::from_secs(2));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(4_000)), Step::Offload(C2)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    let up = events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. }))[0];
    assert_eq!(
        up.kind,
        OffloadEventKind::UploadInitiated {
            reason: "TimeoutExpiration".into()
        }
    );
    assert_eq!(refusals(&out, C2), 0, "{:#?}", out.log.offload);
}

//= spec/chimney.md rule 37
//# OFFLOAD_TCP_ENTRIES
#[test]
fn concurrent_offloads_count_against_the_entry_limit() {
    // Issue 11 defect 2: entries still in their offload latency were not counted.
    let t = max_entries(with_second_conn(obed(500_000)), 1);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(100)), Step::Offload(C2)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    assert_eq!((offloads_completed(&out, C), refusals(&out, C2)), (1, 1));
}

//= spec/chimney.md rule 21
//# While an offload is in progress ... the OT receives no ... terminate call
#[test]
fn offload_requested_during_an_upload_is_deferred_and_reported() {
    // Issue 11 defect 3: it was dropped silently (an upload during an offload is deferred).
    let t = at(obed(1_000_000), When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(300)), Step::Upload(C));
    let out = at(t, When::At(ms(300) + SimDuration::from_micros(50)), Step::Offload(C)).run();
    assert_complete(&out);
    assert_eq!(offloads_completed(&out, C), 2, "{:#?}", out.log.offload);
    let deferred = the(
        &out,
        OffloadEventKind::ActionDeferred {
            action: "offload".into(),
            until: "the upload in progress completes".into(),
        },
    );
    assert_eq!(deferred.time, ms(300) + SimDuration::from_micros(50));
}

//= spec/chimney.md rule 29
//# the host then transmits that data itself
//= spec/chimney.md rule 40
//# complete all pending sends ... with NDIS_STATUS_REQUEST_ABORTED
#[test]
fn sends_bounced_before_an_rst_complete_aborted() {
    // Issue 11 defect 10: writes bounced while the target's upload request was on its way were
    // held by the host and never completed when an RST arrived first.
    let mut t = obed(2_000_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(8_000);
    t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(2));
    t.target.as_mut().unwrap().indication_latency = SimDuration::from_millis(100);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(300)), Step::TargetUpload(C));
    let out = at(t, When::At(ms(300)), Step::PeerAbort(C)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    let bounced: Vec<_> = out.log.buffers.iter().filter(|b| b.returned_at.is_some()).collect();
    assert!(!bounced.is_empty(), "some writes bounced (rule 29)");
    assert!(
        out.log.buffers.iter().all(|b| b.end != BufferEnd::Pending),
        "every buffer ends: {:?}",
        out.log
            .buffers
            .iter()
            .filter(|b| b.end == BufferEnd::Pending)
            .collect::<Vec<_>>()
    );
}

// ----- transmission numbers and causes across owners (defects 7, 8) ---------------------------

//= spec/chimney.md rule 12
//# a segment counts as retransmitted if it carries at least one octet sent before
#[test]
fn transmission_number_counts_every_earlier_transmission_by_either_owner() {
    // Issue 11 defect 7: `tx_number` restarted at 1 after every handover. The first segment of
    // the initial window is lost twice (its first transmission and the host's RTO resend); the
    // connection is offloaded during the host's go-back-N resend, and the target's own RTO
    // resend is that segment's third transmission: its second retransmission.
    let mut t = obed(60_000);
    t.conns[0].bulk.send_buffer = 60_000;
    t.forward.impairments = Impairment::drop_data_times(0, 2, Some(C));
    t.forward.impairments.extend(
        (1460..10 * 1460)
            .step_by(1460)
            .flat_map(|o| Impairment::drop_data_times(o, 1, Some(C))),
    );
    let out = at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C)).run();
    assert_complete(&out);
    let first_segment: Vec<_> = data_out(&out)
        .into_iter()
        .filter(|w| w.header.stream_offset == 0)
        .map(|w| (w.provenance.sender, w.provenance.tx_number))
        .collect();
    assert_eq!(
        first_segment,
        vec![(Sender::Host, 0), (Sender::Host, 1), (Sender::OffloadTarget, 2)]
    );
}

//= spec/chimney.md §2
//# [SndNxt,SndMax) sent before but must be sent NEXT by the OT (a resend in progress at the host)
#[test]
fn every_retransmission_has_a_true_cause() {
    // Issue 11 defect 8: resends of [SndNxt, SndMax) by the new owner were tagged `new_data`.
    let mut t = obed(60_000);
    t.conns[0].bulk.send_buffer = 60_000;
    t.forward.impairments = (0..10 * 1460)
        .step_by(1460)
        .flat_map(|o| Impairment::drop_data_times(o, 1, Some(C)))
        .collect();
    let out = at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C)).run();
    assert_complete(&out);
    let retx: Vec<_> = data_out(&out)
        .into_iter()
        .filter(|w| w.provenance.is_retransmission)
        .collect();
    assert!(retx.iter().all(|w| w.provenance.cause != SendCause::NewData));
    assert_eq!(
        retx.iter()
            .filter(|w| w.provenance.cause == SendCause::ResendRegion)
            .count(),
        9,
        "the target's resend of [SndNxt, SndMax) = [MSS, 10 MSS)"
    );
}

// ----- silent actions ------------------------------------------------------------------------

#[test]
fn timeline_actions_are_recorded_with_their_firing_and_effect() {
    // An upload of a connection that is not offloaded, an offload that completes, a second
    // offload of the offloaded connection, and a trigger that never fires.
    let t = at(obed(300_000), When::At(ms(50)), Step::Upload(C));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(120)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::AfterRto(3)), Step::Upload(C)).run();
    assert_complete(&out);
    let triggers: Vec<_> = out.log.triggers.iter().map(|t| (t.index, t.time)).collect();
    assert_eq!(triggers, vec![(0, ms(50)), (1, ms(100)), (2, ms(120))]);
    assert_eq!(out.log.timeline.len(), 4);
    assert_eq!(out.log.timeline[3].trigger, "on AfterRto(3)");
    // Steps read as the scenario names them (the testbed names connection 1 `c1`).
    assert_eq!(out.log.timeline[0].step, "Upload(c1)");
    let effects: Vec<_> = out
        .log
        .offload
        .iter()
        .filter_map(|o| match &o.kind {
            OffloadEventKind::ActionSkipped { action, why } => Some((o.time, action.as_str(), why.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        effects,
        vec![
            (ms(50), "upload", "the connection is not offloaded"),
            (ms(120), "offload", "the connection is already offloaded")
        ]
    );
}

// ----- the NIC's own TCP settings ----------------------------------------------------------

//= spec/chimney.md §1
//# Global parameters (OID_TCP_CONNECTION_OFFLOAD_PARAMETERS): TicksPerSecond
#[test]
fn nic_timers_fire_on_its_ticks() {
    // A NIC at 10 ticks/s: its retransmission timeouts fire on 100 ms boundaries.
    for (tps, tick_ms) in [(10, 100), (100, 10)] {
        let mut t = obed(1_000_000);
        t.target.as_mut().unwrap().nic_tcp.ticks_per_second = Some(tps);
        let t = at(t, When::At(ms(100)), Step::Offload(C));
        let t = at(
            t,
            When::At(ms(300)),
            Step::Link(
                models::testbed::Direction::Forward,
                models::link::LinkControl::SetImpairments(vec![Impairment::DropPackets((1..=100_000).collect())]),
            ),
        );
        let t = at(
            t,
            When::At(ms(700)),
            Step::Link(
                models::testbed::Direction::Forward,
                models::link::LinkControl::SetImpairments(vec![]),
            ),
        );
        let out = t.run();
        assert_complete(&out);
        let rtos: Vec<_> = data_by(&out, Sender::OffloadTarget)
            .into_iter()
            .filter(|w| w.provenance.cause == SendCause::Rto)
            .collect();
        assert!(!rtos.is_empty());
        let first = rtos[0].time.0;
        assert_eq!(first % (tick_ms * 1_000_000), 0, "{tps} ticks/s: RTO at {first} ns");
    }
}

//= RFC 2018 §2
//# SACK is used only if both sides sent SACK-permitted (and a NIC without SACK support
//# ignores the peer's SACK blocks)
#[test]
fn nic_without_sack_ignores_the_peers_sack_blocks() {
    let run = |nic_sack: Option<bool>| {
        let mut t = obed(1_000_000);
        t.conns[0].tcp.sack = true;
        t.conns[0].peer_tcp.sack = true;
        t.forward.impairments = (0..3)
            .flat_map(|k| Impairment::drop_data_times(600_000 + k * 2 * 1460, 1, Some(C)))
            .collect();
        t.target.as_mut().unwrap().nic_tcp.sack = nic_sack;
        let t = at(t, When::At(ms(100)), Step::Offload(C));
        at(t, When::At(ms(1_500)), Step::Upload(C)).run()
    };
    let with = run(None);
    let without = run(Some(false));
    assert_complete(&with);
    assert_complete(&without);
    assert!(target_resends(&with, SendCause::SackRecovery) + target_resends(&with, SendCause::FastRetransmit) > 0);
    assert_eq!(target_resends(&without, SendCause::SackRecovery), 0);
}

#[test]
fn offload_refused_and_fast_retransmit_count_triggers_fire() {
    // A refusing target: the refusal fires the entry waiting for it (here: try again later).
    let mut t = obed(300_000);
    t.target.as_mut().unwrap().refuse = true;
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::OffloadRefused), Step::Upload(C)).run();
    assert_complete(&out);
    let refused_at = events(&out, |k| matches!(k, OffloadEventKind::OffloadRefused { .. }))[0].time;
    assert!(out.log.triggers.iter().any(|t| t.index == 1 && t.time == refused_at));
    // The second fast retransmit of the connection (the first by the host, the second by
    // the target after an offload in between) fires the entry counting them.
    let t = recovery_bed(None, RecoveryInference::default());
    let t = at(t, When::On(C, Condition::AfterFastRetransmits(1)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::AfterFastRetransmits(2)), Step::Upload(C)).run();
    assert_complete(&out);
    let second_fr = data_out(&out)
        .into_iter()
        .filter(|w| w.provenance.cause == SendCause::FastRetransmit)
        .nth(1)
        .expect("two fast retransmits");
    assert_eq!(second_fr.provenance.sender, Sender::OffloadTarget);
    let up = events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. }))[0];
    assert_eq!(up.time, second_fr.time);
}

// ----- the NIC's resources ---------------------------------------------------------------------

/// The fixture's transfer offloaded at 100 ms to a NIC with `resources`.
fn resource_bed(resources: models::offload::NicResources) -> Testbed {
    let mut t = obed(1_000_000);
    t.target.as_mut().unwrap().resources = resources;
    at(t, When::At(ms(100)), Step::Offload(C))
}

fn target_srtt_ns(out: &Outcome) -> u64 {
    out.log
        .cc
        .iter()
        .rfind(|s| s.sender == Sender::OffloadTarget)
        .map(|s| s.srtt_ns)
        .expect("target samples")
}

#[test]
fn nic_processing_rate_queues_segments_and_shows_in_the_rtt() {
    let free = resource_bed(Default::default()).run();
    // 200 segments/s: far below the 10 Mbit/s link (about 850 full segments/s): the NIC is
    // the bottleneck, and its queue the RTT's growth.
    let slow = resource_bed(models::offload::NicResources {
        segments_per_sec: Some(200),
        ..Default::default()
    })
    .run();
    assert_complete(&free);
    assert_complete(&slow);
    assert!(slow.conns[0].completed_at > free.conns[0].completed_at);
    assert!(target_srtt_ns(&slow) > target_srtt_ns(&free));
    // Segments leave the NIC at most one per 5 ms.
    let times: Vec<u64> = data_by(&slow, Sender::OffloadTarget).iter().map(|w| w.time.0).collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] >= 5_000_000), "{:?}", &times[..5]);
}

#[test]
fn dma_latency_is_paid_once_per_host_buffer() {
    let free = resource_bed(Default::default()).run();
    let dma = resource_bed(models::offload::NicResources {
        dma_latency: SimDuration::from_millis(50),
        ..Default::default()
    })
    .run();
    assert_complete(&dma);
    assert!(dma.conns[0].completed_at > free.conns[0].completed_at);
    // 16 KiB buffers: a segment starting a new buffer waits 50 ms, the others do not.
    let target = data_by(&dma, Sender::OffloadTarget);
    assert!(target.windows(2).any(|w| w[1].time.0 - w[0].time.0 >= 50_000_000));
    assert!(target.windows(2).any(|w| w[1].time == w[0].time));
}

#[test]
fn completions_are_coalesced_by_count_and_by_time() {
    let coalesced = resource_bed(models::offload::NicResources {
        coalesce_count: Some(4),
        coalesce_time: Some(SimDuration::from_millis(50)),
        ..Default::default()
    })
    .run();
    assert_complete(&coalesced);
    // Buffers completed by the target end in batches: at most a handful of distinct times.
    let done = the(&coalesced, OffloadEventKind::OffloadCompleted).time;
    let ends: Vec<_> = coalesced
        .log
        .buffers
        .iter()
        .filter(|b| b.offloaded_at.is_some())
        .filter_map(|b| b.ended_at)
        .filter(|t| *t > done)
        .collect();
    let mut distinct = ends.clone();
    distinct.dedup();
    assert!(ends.len() >= 8);
    assert!(
        distinct.len() * 2 <= ends.len(),
        "{} batches for {} buffers",
        distinct.len(),
        ends.len()
    );
    assert!(coalesced.log.buffers.iter().all(|b| b.end == BufferEnd::Completed));
}

#[test]
fn context_memory_limits_entries_and_the_least_recently_active_is_uploaded() {
    // Room for one connection (2 kB of context, 1.5 kB each). The second offload is refused
    // and makes the target ask for the first connection's upload; a retry then succeeds.
    let mut t = with_second_conn(obed(600_000));
    t.target.as_mut().unwrap().resources = models::offload::NicResources {
        context_memory: Some(2_000),
        context_bytes_per_conn: 1_500,
        upload_lru_under_pressure: true,
        ..Default::default()
    };
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(200)), Step::Offload(C2));
    let out = at(t, When::At(ms(300)), Step::Offload(C2)).run();
    assert!(out.integrity_ok(), "{:?}", out.end);
    assert_eq!(refusals(&out, C2), 1);
    let up = events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. }))[0];
    assert_eq!((up.conn, up.time), (C, ms(200)));
    assert_eq!(offloads_completed(&out, C2), 1);
}

//= RFC 1122 §4.2.2.17
//# The transmitting host SHOULD send the first zero-window probe when a zero window has
//# existed for the retransmission timeout period
#[test]
fn resend_after_a_window_reopens_is_tagged_as_a_probe() {
    // Issue 11 defect 8: the probe byte resent when the window opened was tagged `new_data`.
    for offload in [false, true] {
        let mut t = obed(600_000);
        t.conns[0].bulk.send_buffer = 600_000;
        let mut t = at(t, When::At(SimTime::ZERO), Step::PauseSink(C, true));
        if offload {
            t = at(t, When::On(C, Condition::ZeroWindow), Step::Offload(C));
        }
        let out = at(t, When::At(ms(3_000)), Step::PauseSink(C, false)).run();
        assert_complete(&out);
        let retx: Vec<_> = data_out(&out)
            .into_iter()
            .filter(|w| w.provenance.is_retransmission)
            .collect();
        assert!(!retx.is_empty());
        assert!(retx.iter().any(|w| w.provenance.cause == SendCause::WindowProbe));
        assert!(
            retx.iter().all(|w| w.provenance.cause != SendCause::NewData),
            "offload {offload}: {:?}",
            retx.iter().map(|w| w.provenance.cause).collect::<Vec<_>>()
        );
    }
}

//= spec/chimney.md rule 17
//# When SndWnd == 0, Count/TimeoutDelta/SndWndProbeCount are the persist state
#[test]
fn offload_in_a_long_zero_window_keeps_the_hosts_rto() {
    // Issue 11 defect 4, end to end: the receiver stops reading, the host probes for several
    // persist rounds, the connection is offloaded, the receiver resumes, and the data sent as
    // the window reopens falls into a 300 ms black hole, so only a retransmission timeout
    // recovers it. The target's RTO must be the host's, not the RTO backed off by the persist
    // round count (200 ms << 4 = 3.2 s).
    let run = |offload: bool| {
        let mut t = obed(300_000);
        t.conns[0].bulk.send_buffer = 300_000;
        let mut t = at(t, When::At(SimTime::ZERO), Step::PauseSink(C, true));
        if offload {
            t = at(t, When::At(ms(6_000)), Step::Offload(C));
        }
        let t = at(t, When::At(ms(8_000)), Step::PauseSink(C, false));
        let hole = |on: bool| {
            let drops = if on {
                vec![Impairment::DropPackets((1..=100_000).collect())]
            } else {
                vec![]
            };
            Step::Link(
                models::testbed::Direction::Forward,
                models::link::LinkControl::SetImpairments(drops),
            )
        };
        let t = at(t, When::At(ms(8_000)), hole(true));
        at(t, When::At(ms(8_300)), hole(false)).run()
    };
    let host = run(false);
    let offloaded = run(true);
    assert_complete(&host);
    assert_complete(&offloaded);
    let h = handovers(&offloaded, models::offload::HandoverKind::Offload)[0];
    assert_eq!(h.state.snd_wnd, 0);
    assert!(h.state.retransmit.count >= 3, "several persist rounds: {:?}", h.state);
    assert!(
        target_resends(&offloaded, SendCause::Rto) > 0,
        "the target's RTO recovers the hole"
    );
    let (a, b) = (
        host.conns[0].completed_at.unwrap(),
        offloaded.conns[0].completed_at.unwrap(),
    );
    assert!(
        b.0.abs_diff(a.0) < 1_000_000_000,
        "completion with offload {b}, without {a}"
    );
}
