//! spec/chimney.md after the offload: timers and congestion state carried over (rules 8, 17),
//! give-up (18), completion timing (25), upload (29–36), reset and close (40–43).

use crate::fixtures::*;
use crate::offload_rules::{bed_all_at_once, obed};
use crate::runlog::*;
use models::app::{WriteSize, WriteTiming};
use models::link::{Impairment, LinkControl, QueueLimit};
use models::offload::HandoverKind;
use models::record::{BufferEnd, BufferRecord, OffloadEventKind};
use models::segment::{DataSource, SendCause, Sender};
use models::testbed::{Direction, Outcome, Step, Testbed, When};
use models::trigger::Condition;
use sim_core::{SimDuration, SimTime};

/// Drops every packet entering `dir` from `from` until `to`.
fn black_hole(t: Testbed, dir: Direction, from: SimTime, to: SimTime) -> Testbed {
    let all = Impairment::DropPackets((1..=100_000).collect());
    let t = at(
        t,
        When::At(from),
        Step::Link(dir, LinkControl::SetImpairments(vec![all])),
    );
    at(t, When::At(to), Step::Link(dir, LinkControl::SetImpairments(vec![])))
}

/// The RTO base a side rebuilds from delegated SRtt×8 / RttVar×4 ticks (spec §8: "RTO =
/// SRtt/8 + max(G, RttVar)"), bounded below by the fixture's 200 ms minimum.
fn base_rto_ms(srtt8: u16, rttvar4: u16) -> u64 {
    let (srtt_us, var_us) = (u64::from(srtt8) * 1000 / 8, u64::from(rttvar4) * 1000);
    ((srtt_us + var_us.max(1000)) / 1000).max(200)
}

// ----- rule 8: round trip through the actors ------------------------------------------------

//= spec/chimney.md rule 8
//# offload immediately followed by upload with no traffic returns equal SndUna, SndNxt,
//# SndMax, CWnd, SsThresh, SRtt(x8), RttVar(x4), Count, and TimeoutDelta minus time elapsed
#[test]
fn rule_08_offload_then_upload_with_no_traffic_round_trips() {
    // 7 segments sent; every ACK lost from 45 ms, so the RTO fires (Count 1, SndNxt < SndMax)
    // and nothing arrives while the connection is at the target.
    let t = black_hole(bed_all_at_once(10_000), Direction::Reverse, ms(45), ms(700));
    let t = at(t, When::At(ms(300)), Step::Offload(C));
    let out = at(t, When::At(ms(310)), Step::Upload(C)).run();
    assert_complete(&out);
    let (a, b) = (out.handovers[0], out.handovers[1]);
    assert_eq!((a.kind, b.kind), (HandoverKind::Offload, HandoverKind::Upload));
    let (s, r) = (a.state, b.state);
    assert!(s.snd_nxt < s.snd_max && s.retransmit.count == 1, "{s:?}");
    assert_eq!((r.snd_una, r.snd_nxt, r.snd_max), (s.snd_una, s.snd_nxt, s.snd_max));
    assert_eq!((r.cwnd, r.ssthresh), (s.cwnd, s.ssthresh));
    assert_eq!((r.srtt, r.rttvar), (s.srtt, s.rttvar));
    assert_eq!(r.retransmit.count, s.retransmit.count);
    // 10 ms between the actions, plus the upload latency: TimeoutDelta minus the elapsed time,
    // in whole ticks (both sides round down).
    let elapsed = b.time.saturating_since(a.time).as_nanos();
    assert_eq!(elapsed, 10_100_000);
    let expected = (u64::from(s.retransmit.timeout_delta) * 1_000_000 - elapsed) / 1_000_000;
    assert_eq!(u64::from(r.retransmit.timeout_delta), expected);
    assert_eq!((b.snd_una_offset, b.chain_bytes), (a.snd_una_offset, a.chain_bytes));
    // And nothing was on the wire from the target.
    assert!(data_by(&out, Sender::OffloadTarget).is_empty());
}

// ----- rule 17: timers and congestion state resume -------------------------------------------

//= spec/chimney.md rule 17
//# Timers resume from delegated values: retransmit expiry at T_offload + TimeoutDelta; Count is
//# the backoff exponent already used
#[test]
fn rule_17_timers_and_congestion_state_resume_on_the_target() {
    // Forward black hole from 300 ms: the host times out once, then the target carries on.
    let t = black_hole(obed(1_000_000), Direction::Forward, ms(300), ms(3_000));
    let out = at(t, When::At(ms(700)), Step::Offload(C)).run();
    assert_complete(&out);
    let h = handovers(&out, HandoverKind::Offload)[0];
    let s = h.state;
    assert_eq!(s.retransmit.count, 1, "{s:?}");
    let rtos: Vec<_> = data_by(&out, Sender::OffloadTarget)
        .into_iter()
        .filter(|w| w.provenance.cause == SendCause::Rto && w.header.stream_offset == h.snd_una_offset)
        .collect();
    assert!(rtos.len() >= 3, "{rtos:?}");
    // Expiry at T_offload + TimeoutDelta ticks.
    let first_expiry = h.time.0 + u64::from(s.retransmit.timeout_delta) * 1_000_000;
    assert_eq!(rtos[0].time.0, first_expiry);
    // Backoff continues from Count: the next timeouts wait base << (Count + 1), << (Count + 2).
    let base = base_rto_ms(s.srtt, s.rttvar) * 1_000_000;
    assert_eq!(rtos[1].time.0 - rtos[0].time.0, base << 2);
    assert_eq!(rtos[2].time.0 - rtos[1].time.0, base << 3);
    // Congestion state continues: the target's first sample has the host's last cwnd/ssthresh.
    let host_last = out
        .log
        .cc
        .iter()
        .rfind(|c| c.sender == Sender::Host && c.time <= h.time)
        .unwrap();
    let target_first = out.log.cc.iter().find(|c| c.sender == Sender::OffloadTarget).unwrap();
    assert_eq!(
        (target_first.cwnd, target_first.ssthresh),
        (host_last.cwnd, host_last.ssthresh)
    );
    assert_eq!((s.cwnd, s.ssthresh), (host_last.cwnd, host_last.ssthresh));
}

// ----- rule 18: give-up at the target becomes an upload ---------------------------------------

//= spec/chimney.md rule 18
//# when resends of one segment exceed TcpMaximumRetransmissions ... the OT requests upload with
//# reason TimeoutExpiration (a mandatory upload) instead of aborting
#[test]
fn rule_18_too_many_retransmissions_request_an_upload() {
    let mut t = obed(1_000_000);
    t.target.as_mut().unwrap().max_retransmissions = Some(2);
    let t = black_hole(t, Direction::Forward, ms(300), ms(2_500));
    let out = at(t, When::At(ms(200)), Step::Offload(C)).run();
    assert_complete(&out);
    let up = events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. }));
    assert_eq!(up.len(), 1);
    assert_eq!(
        up[0].kind,
        OffloadEventKind::UploadInitiated {
            reason: "TimeoutExpiration".into()
        }
    );
    let target_rtos = data_by(&out, Sender::OffloadTarget)
        .into_iter()
        .filter(|w| w.provenance.cause == SendCause::Rto)
        .count();
    assert_eq!(target_rtos, 2, "two resends, then the third timeout gives up");
    // The segment is overdue: the host resends it as soon as it has the connection back.
    let back = handovers(&out, HandoverKind::Upload)[0];
    assert_eq!(back.state.retransmit.timeout_delta, 0, "rule 33: 0 = fires immediately");
    let done = the(&out, OffloadEventKind::UploadCompleted).time;
    let first_host = data_by(&out, Sender::Host)
        .into_iter()
        .find(|w| w.time >= done)
        .unwrap();
    assert_eq!((first_host.time, first_host.provenance.cause), (done, SendCause::Rto));
    assert_eq!(first_host.header.stream_offset, back.snd_una_offset);
    assert_eq!(first_host.provenance.source, DataSource::ReturnedAtUpload);
}

// ----- rule 25: completion timing --------------------------------------------------------------

//= spec/chimney.md rule 25
//# status SUCCESS means every byte of that NBL was sent AND cumulatively ACKed
#[test]
fn rule_25_completions_follow_the_acks() {
    let mut t = obed(600_000);
    t.forward.impairments = Impairment::drop_data_times(400_000, 2, Some(C));
    let t = at(t, When::At(ms(200)), Step::Offload(C));
    let out = at(t, When::At(ms(900)), Step::Upload(C)).run();
    assert_complete(&out);
    let done = the(&out, OffloadEventKind::OffloadCompleted).time;
    let upload = the(
        &out,
        OffloadEventKind::UploadInitiated {
            reason: "HostRequested".into(),
        },
    )
    .time;
    let acks = arrivals(&out, REV);
    let mut checked = 0;
    for b in &out.log.buffers {
        assert_eq!(b.end, BufferEnd::Completed);
        let end = seq_at(&out, b.stream_offset + u64::from(b.len));
        let first_ack = acks.iter().find(|w| w.header.ack >= end).unwrap().time;
        let ended = b.ended_at.unwrap();
        assert!(
            ended >= first_ack,
            "buffer {:?} completed before its last byte was acknowledged",
            b.buf
        );
        if first_ack > done && ended < upload {
            // Completed by the target, at the very ACK that covered it.
            assert_eq!(ended, first_ack, "{b:?}");
            checked += 1;
        }
    }
    assert!(checked > 10);
    assert!(
        out.log.buffers.windows(2).all(|w| w[0].ended_at <= w[1].ended_at),
        "FIFO"
    );
}

// ----- rules 29–33: the target asks, sends bounce, the host sends them --------------------------

//= spec/chimney.md rule 29
//# any send it still gets is completed with NDIS_STATUS_UPLOAD_IN_PROGRESS ... the host then
//# transmits that data itself
#[test]
fn rule_29_sends_bounce_during_a_target_requested_upload() {
    let mut t = obed(400_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(2_000);
    t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(2));
    let target = t.target.as_mut().unwrap();
    target.indication_latency = SimDuration::from_millis(20);
    target.upload_latency = SimDuration::from_millis(5);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(150)), Step::TargetUpload(C)).run();
    assert_complete(&out);
    let up = the(
        &out,
        OffloadEventKind::UploadInitiated {
            reason: "UploadRequested".into(),
        },
    );
    assert_eq!(up.time, ms(170), "the indication took 20 ms");
    let done = the(&out, OffloadEventKind::UploadCompleted).time;
    // Posted to the target after it decided, bounced back, sent by the host.
    let bounced: Vec<_> = out
        .log
        .buffers
        .iter()
        .filter(|b| b.posted_at > ms(150) && b.posted_at < up.time)
        .collect();
    assert!(bounced.len() >= 8, "{}", bounced.len());
    for b in &bounced {
        assert!(b.offloaded_at.is_some() && b.returned_at.is_some(), "{b:?}");
        assert_eq!(b.end, BufferEnd::Completed);
        let first = data_out(&out)
            .into_iter()
            .find(|w| {
                let end = w.header.stream_offset + u64::from(w.header.len);
                w.header.stream_offset <= b.stream_offset && b.stream_offset < end
            })
            .unwrap();
        assert_eq!(first.provenance.sender, Sender::Host, "{b:?}: rule 29");
        assert!(first.time >= done);
    }
    // Rule 31: the returned chain starts at SndUna (and rule 32's coverage is checked by the
    // host at the upload and by the sink: every byte once, in order).
    let back = handovers(&out, HandoverKind::Upload)[0];
    assert_eq!(back.snd_una_offset, off(&out, back.state.snd_una));
    assert!(back.chain_bytes > 0);
    assert_first_transmissions_in_order(&out);
}

//= spec/chimney.md rule 31
//# Unfinished send data goes back as an NBL chain in the original posting order ... with no
//# outstanding data the chain must be NULL
#[test]
fn rule_31_upload_with_nothing_outstanding_returns_a_null_chain() {
    let mut t = obed(200_000);
    t.conns[0].bulk.send_buffer = 50_000;
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(150)), Step::PauseSender(C, true));
    let t = at(t, When::At(ms(600)), Step::Upload(C));
    let out = at(t, When::At(ms(700)), Step::PauseSender(C, false)).run();
    assert_complete(&out);
    let back = handovers(&out, HandoverKind::Upload)[0];
    assert_eq!(back.state.snd_una, back.state.snd_max);
    assert_eq!((back.chain_bytes, back.chain_buffers), (0, 0));
    assert_eq!(back.state.retransmit.timeout_delta, models::offload::TIMER_OFF);
    let done = the(&out, OffloadEventKind::UploadCompleted).time;
    assert!(
        data_out(&out)
            .iter()
            .filter(|w| w.time > done)
            .all(|w| w.provenance.sender == Sender::Host)
    );
}

// ----- rules 35, 36: the host takes over ---------------------------------------------------------

//= spec/chimney.md rule 35
//# Segments arriving for a connection being uploaded are not processed by the OT; they go up
//# the non-offload path
#[test]
fn rule_35_segments_during_the_upload_are_processed_by_the_host() {
    let mut t = obed(1_000_000);
    t.forward.queue = QueueLimit::Packets(1_000);
    t.target.as_mut().unwrap().upload_latency = SimDuration::from_millis(20);
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(400)), Step::Upload(C)).run();
    assert_complete(&out);
    let init = the(
        &out,
        OffloadEventKind::UploadInitiated {
            reason: "HostRequested".into(),
        },
    )
    .time;
    let done = the(&out, OffloadEventKind::UploadCompleted);
    let during: Vec<_> = arrivals(&out, REV)
        .into_iter()
        .filter(|w| w.time > init && w.time < done.time)
        .collect();
    assert!(during.len() >= 5, "{}", during.len());
    let newest = during.iter().map(|w| w.header.ack).max().unwrap();
    // The target did not process them: the returned SndUna is older.
    assert!(done.snd_una < newest);
    // The host did, right after the upload.
    let host_now = out
        .log
        .cc
        .iter()
        .rfind(|c| c.sender == Sender::Host && c.time == done.time)
        .unwrap();
    assert_eq!(host_now.snd_una, newest);
    // The target sent nothing during the upload.
    assert!(
        ingress(&out, FWD)
            .iter()
            .all(|w| !(w.provenance.sender == Sender::OffloadTarget && w.time > init))
    );
}

//= spec/chimney.md rule 36
//# After upload the host resumes from the returned state: next send at the returned SndNxt
#[test]
fn rule_36_host_resumes_at_the_returned_snd_nxt() {
    // Offload early; a forward black hole makes the target time out and go back; the upload
    // fires while its resend is in progress (SndNxt < SndMax). The resend gets through, and its
    // ACK lets the host go on from the returned SndNxt.
    let t = black_hole(obed(1_000_000), Direction::Forward, ms(300), ms(500));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::AfterRto(1)), Step::Upload(C)).run();
    assert_complete(&out);
    let back = handovers(&out, HandoverKind::Upload)[0];
    let s = back.state;
    assert!(s.snd_nxt < s.snd_max, "{s:?}");
    let done = the(&out, OffloadEventKind::UploadCompleted).time;
    let first = data_by(&out, Sender::Host)
        .into_iter()
        .find(|w| w.time >= done)
        .unwrap();
    assert_eq!(first.header.stream_offset, off(&out, s.snd_nxt));
    assert_eq!(first.provenance.source, DataSource::ReturnedAtUpload);
    assert!(
        first.provenance.is_retransmission,
        "the rest of the resend region (rule 12)"
    );
    // Issue 11 defect 8: it was tagged `new_data`; its true cause is the handed-over region.
    assert_eq!(first.provenance.cause, SendCause::ResendRegion);
}

//= spec/chimney.md §8
//# Handover policy [INF]: if DupAckCount >= threshold at offload, assume recovery with
//# recover = SndMax - 1
#[test]
fn upload_during_fast_recovery_continues_the_recovery_on_the_host() {
    // A 96 KiB receive window keeps the flight near the path's capacity: no queue overflow, no
    // queueing delay that would outlast the RTO.
    let mut t = obed(1_000_000);
    t.conns[0].peer_tcp.rcv_buffer = 96 * 1024;
    t.forward.impairments = Impairment::drop_data_times(600_000, 1, Some(C));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::InFastRecovery), Step::Upload(C)).run();
    assert_complete(&out);
    let fr: Vec<_> = data_out(&out)
        .into_iter()
        .filter(|w| w.provenance.cause == SendCause::FastRetransmit)
        .collect();
    assert_eq!(fr.len(), 1);
    assert_eq!(fr[0].provenance.sender, Sender::OffloadTarget);
    let back = handovers(&out, HandoverKind::Upload)[0];
    assert!(back.state.dup_ack_count >= 3, "{:?}", back.state);
    // The host continues the recovery: no second fast retransmit and no timeout.
    let done = the(&out, OffloadEventKind::UploadCompleted).time;
    assert!(
        data_by(&out, Sender::Host)
            .iter()
            .all(|w| w.time < done || !matches!(w.provenance.cause, SendCause::FastRetransmit | SendCause::Rto))
    );
}

// ----- rules 40–43: reset and close after the offload ---------------------------------------------

fn target_data_after(out: &Outcome, t: SimTime) -> usize {
    ingress(out, FWD)
        .into_iter()
        .filter(|w| w.provenance.sender == Sender::OffloadTarget && w.time > t && w.header.len > 0)
        .count()
}

fn first_arrival_with_rst(out: &Outcome) -> SimTime {
    arrivals(out, REV)
        .into_iter()
        .find(|w| w.header.flags.rst)
        .unwrap()
        .time
}

//= spec/chimney.md rule 40
//# Acceptable RST after offload: mark the connection aborted, raise TcpIndicateAbort, complete
//# all pending sends and disconnects with NDIS_STATUS_REQUEST_ABORTED ... send nothing more
#[test]
fn rule_40_rst_after_offload_aborts_pending_sends() {
    let mut t = obed(2_000_000);
    t.conns[0].bulk.write_size = WriteSize::Fixed(8_000);
    t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(5));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let t = at(t, When::At(ms(400)), Step::PeerAbort(C));
    // An upload asked for after the abort has nothing to do.
    let out = at(t, When::At(ms(600)), Step::Upload(C)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    assert!(!out.integrity_ok() && out.conns[0].aborted > 0);
    let rst = first_arrival_with_rst(&out);
    assert_eq!(target_data_after(&out, rst), 0, "nothing sent after the RST");
    let aborted = the(&out, OffloadEventKind::Aborted);
    assert_eq!(aborted.time, rst);
    // The host terminates the aborted offload at once (the target keeps the state "until the
    // host terminates"), which frees the target's entry; the scenario's later upload is
    // reported as having had no effect.
    let terminated = events(&out, |k| matches!(k, OffloadEventKind::UploadInitiated { .. }));
    assert_eq!(terminated.len(), 1);
    assert_eq!(terminated[0].time, rst);
    assert_eq!(
        events(&out, |k| matches!(k, OffloadEventKind::ActionSkipped { .. }))
            .iter()
            .map(|o| o.time)
            .collect::<Vec<_>>(),
        vec![ms(600)]
    );
    // Sends pending at the RST, and later writes, complete REQUEST_ABORTED.
    let pending: Vec<_> = out
        .log
        .buffers
        .iter()
        .filter(|b| b.end != BufferEnd::Completed)
        .collect();
    assert!(pending.len() > 2);
    assert!(
        pending
            .iter()
            .all(|b| b.end == BufferEnd::Aborted && b.ended_at >= Some(rst))
    );
    assert!(
        pending.iter().any(|b| b.posted_at > rst),
        "later writes are aborted too"
    );
}

//= spec/chimney.md rule 42
//# Abortive close: RST, sends complete REQUEST_ABORTED
#[test]
fn rule_42_abortive_close_after_offload_sends_rst() {
    let t = at(bed_all_at_once(1_000_000), When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(300)), Step::Abort(C)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    let rsts: Vec<_> = ingress(&out, FWD).into_iter().filter(|w| w.header.flags.rst).collect();
    assert_eq!(rsts.len(), 1);
    assert_eq!(
        (rsts[0].provenance.sender, rsts[0].time),
        (Sender::OffloadTarget, ms(300))
    );
    assert_eq!(target_data_after(&out, ms(300)), 0);
    // Buffers completed before the abort stay completed; every other one is aborted.
    let (done, aborted): (Vec<&BufferRecord>, Vec<&BufferRecord>) =
        out.log.buffers.iter().partition(|b| b.ended_at < Some(ms(300)));
    assert!(done.iter().all(|b| b.end == BufferEnd::Completed));
    assert!(!aborted.is_empty() && aborted.iter().all(|b| b.end == BufferEnd::Aborted));
}

//= spec/chimney.md rule 41
//# No abort indication ever precedes InitiateOffloadComplete
#[test]
fn rule_41_rst_during_the_offload_window_aborts_after_completion() {
    let mut t = bed_all_at_once(1_000_000);
    t.target.as_mut().unwrap().offload_latency = SimDuration::from_millis(40);
    // The peer's RST leaves at 110 ms and reaches the host at ~130 ms, inside [100, 140).
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(110)), Step::PeerAbort(C)).run();
    assert!(out.end.is_ok(), "{:?}", out.end);
    let done = the(&out, OffloadEventKind::OffloadCompleted).time;
    let rst = first_arrival_with_rst(&out);
    assert!(rst < done, "the RST landed during the offload window");
    let aborted = the(&out, OffloadEventKind::Aborted);
    assert_eq!(
        aborted.time, done,
        "forwarded at completion, abort indicated right after"
    );
    assert_eq!(target_data_after(&out, done), 0);
}

//= spec/chimney.md rule 42
//# The FIN follows all earlier data ... SUCCESS only once FIN and data are ACKed
#[test]
fn rule_42_close_after_offload_sends_fin_after_all_data() {
    for close_at in [ms(100), ms(300)] {
        // At 100 ms the close lands while the offload is in flight (deferred, rule 21).
        let mut t = bed_all_at_once(600_000);
        t.conns[0].bulk.close_when_done = false;
        t.target.as_mut().unwrap().offload_latency = SimDuration::from_millis(10);
        let t = at(t, When::At(ms(95)), Step::Offload(C));
        let out = at(t, When::At(close_at), Step::Close(C)).run();
        assert_complete(&out);
        let fins: Vec<_> = ingress(&out, FWD).into_iter().filter(|w| w.header.flags.fin).collect();
        assert!(!fins.is_empty());
        let fin_seq = seq_at(&out, 600_000);
        for f in &fins {
            assert_eq!(f.provenance.sender, Sender::OffloadTarget);
            assert_eq!(f.header.seq.add(f.header.len), fin_seq, "FIN after all data");
        }
        assert!(data_out(&out).iter().all(|w| w.header.stream_offset < 600_000));
        let fin_acked = arrivals(&out, REV).into_iter().find(|w| w.header.ack == fin_seq.add(1));
        assert!(fin_acked.is_some(), "the FIN is acknowledged");
        assert!(out.log.buffers.iter().all(|b| b.end == BufferEnd::Completed));
    }
}

//= spec/chimney.md rule 43
//# only the receive half closes, so the OT keeps sending DSC and posted data
#[test]
fn rule_43_remote_fin_while_the_target_keeps_sending() {
    let t = at(obed(1_000_000), When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::At(ms(200)), Step::PeerClose(C)).run();
    assert_complete(&out);
    let peer_fin = arrivals(&out, REV)
        .into_iter()
        .find(|w| w.header.flags.fin)
        .unwrap()
        .time;
    assert!(target_data_after(&out, peer_fin) > 100, "the target kept sending");
    // Our own FIN, after all data, from the target.
    let fin = ingress(&out, FWD).into_iter().find(|w| w.header.flags.fin).unwrap();
    assert_eq!(fin.provenance.sender, Sender::OffloadTarget);
    assert_eq!(fin.header.seq.add(fin.header.len), seq_at(&out, 1_000_000));
}

/// A peer close asked for before the client's SYN reached the listening side waits for the
/// connection (closing then would close the listening socket, RFC 9293 §3.10.4 "LISTEN STATE:
/// Any outstanding RECEIVEs are returned ... delete TCB", and the SYN would be reset): it is
/// recorded as deferred, the transfer completes, and the peer's FIN follows the handshake.
/// (Found by the red team: 0 bytes moved and the action said "applied".)
#[test]
fn a_peer_close_before_the_syn_arrives_waits_for_the_connection() {
    use models::record::OffloadEventKind;
    let out = at(obed(200_000), When::At(ms(1)), Step::PeerClose(C)).run();
    assert_complete(&out);
    assert!(
        out.log.offload.iter().any(|o| matches!(
            &o.kind,
            OffloadEventKind::ActionDeferred { action, until } if action == "close" && until == "the connection is established"
        )),
        "{:?}",
        out.log.offload
    );
    let peer_fin = arrivals(&out, REV).into_iter().find(|w| w.header.flags.fin);
    assert!(peer_fin.is_some(), "the peer closed its side once connected");
    assert!(out.log.wire.iter().all(|w| !w.header.flags.rst), "no reset");
}

/// A second close of a connection already closing has no effect and says so (nothing silent;
/// found by the red team: both were reported applied).
#[test]
fn a_second_close_is_reported_as_skipped() {
    use models::record::OffloadEventKind;
    let mut t = obed(200_000);
    t.conns[0].bulk.close_when_done = false;
    let t = at(t, When::At(ms(100)), Step::Close(C));
    let out = at(t, When::At(ms(150)), Step::Close(C)).run();
    let skipped: Vec<_> = out
        .log
        .offload
        .iter()
        .filter(|o| matches!(&o.kind, OffloadEventKind::ActionSkipped { action, .. } if action == "close"))
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", out.log.offload);
    assert_eq!(skipped[0].time, ms(150));
}

/// A host stack that gives up (RFC 1122 §4.2.3.5 R2: "the connection MUST be closed" after R2
/// retransmissions) records why, with the send state at that moment: the lifecycle log has an
/// `Ended` event instead of an unexplained reset (found by the red team).
#[test]
fn a_host_that_gives_up_records_why() {
    let mut t = obed(1_000_000);
    t.conns[0].tcp.max_retransmissions = 2;
    let out = black_hole(t, Direction::Forward, ms(300), ms(60_000)).run();
    assert!(!out.integrity_ok());
    let ended = events(&out, |k| matches!(k, OffloadEventKind::Ended { .. }));
    assert_eq!(ended.len(), 1, "{:?}", out.log.offload);
    let OffloadEventKind::Ended { reason } = &ended[0].kind else {
        unreachable!()
    };
    assert!(reason.contains("gave up after 2 retransmissions"), "{reason}");
    assert!(ended[0].snd_una < ended[0].snd_max, "data was outstanding");
    assert!(out.log.wire.iter().any(|w| w.header.flags.rst), "the reset went out");
}
