//! spec/chimney.md at the level of the delegated state itself: the §3 checks on an offload
//! block (rules 1–5), the checks on an upload block (31, 33), the round trip (8), and what
//! the receiving side rebuilds (14, 17, the §8 recovery policy).

use bytes::Bytes;
use models::chain::{BufOrigin, SendChain};
use models::offload::{
    DelegatedState, OffloadBlock, RecoveryInference, TIMER_OFF, Ticks, UploadBlock, UploadReason, check_offload_block,
    check_upload_block,
};
use models::segment::{BufId, ConnId, Sender};
use models::seq::SeqNum;
use models::tcp::{NIC_TS_CLOCK_LAG_MS, Tcb, TcpConfig, TcpConnection, TcpState, TimestampState};
use sim_core::{ActorId, SimDuration, SimTime};

const MSS: u32 = 1460;
const UNA: SeqNum = SeqNum(0xFFFF_F000); // wraps inside the flight
const T0: SimTime = SimTime(5_000_000_000);

fn cfg() -> TcpConfig {
    TcpConfig {
        min_rto: SimDuration::from_millis(200),
        ..TcpConfig::default()
    }
}

/// A host TCB mid-transfer: `sent` bytes outstanding of which `[nxt, sent)` is a resend in
/// progress, `backoff` timeouts so far, `dup_acks` duplicate ACKs.
fn tcb(nxt: u32, sent: u32, backoff: u32, dup_acks: u32) -> Tcb {
    Tcb::established(ConnId(1), 40_001, 5_001, UNA, SeqNum(77))
        .with_sent(nxt, sent)
        .with_snd_wnd(200_000, 262_144)
        .with_window_update(SeqNum(77), UNA)
        .with_window_scale(7, 7, 262_144)
        .with_smss(MSS)
        .with_cwnd(3 * MSS, 20 * MSS)
        .with_recovery(dup_acks, UNA.add(sent).sub(1), dup_acks >= 3)
        .with_rtt(
            Some(SimDuration::from_micros(43_625)),
            SimDuration::from_micros(11_250),
            SimDuration::from_millis(200 << backoff),
        )
        .with_timeouts(backoff, SimDuration::from_millis(600))
        .with_retransmit_in(Some(SimDuration::from_micros(123_456)))
}

/// A chain of `bytes` bytes in 1000-byte buffers starting at stream offset 1_000_000.
fn chain(bytes: u64) -> SendChain {
    let mut c = SendChain::starting_at(1_000_000);
    let mut left = bytes;
    let mut id = 0;
    while left > 0 {
        let n = left.min(1000);
        c.push(BufId(id), Bytes::from(vec![id as u8; n as usize]), BufOrigin::Delegated);
        left -= n;
        id += 1;
    }
    c
}

fn block(snap: &Tcb, chain: Option<SendChain>) -> OffloadBlock {
    let (state, consts) = DelegatedState::from_tcb(snap, 1_000_000, Ticks::default());
    OffloadBlock {
        conn: ConnId(1),
        host: ActorId(0),
        snapshot_time: T0,
        cfg: cfg(),
        state,
        consts,
        chain,
        pending: vec![],
        rto_count: 0,
        fr_count: 0,
    }
}

#[track_caller]
fn rule_of(r: Result<(), models::offload::RuleViolation>) -> u8 {
    let v = r.expect_err("a violation");
    assert!(v.to_string().contains(&format!("chimney rule {}", v.rule)), "{v}");
    v.rule
}

// ----- §3: the checks on an offload block -----------------------------------------------------

//= spec/chimney.md rule 1
//# never Closed, Listen, SynSent, SynRcvd, TimeWait
#[test]
fn rule_01_only_synchronized_open_states_can_be_offloaded() {
    for state in [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::TimeWait,
    ] {
        let s = tcb(3 * MSS, 3 * MSS, 0, 0).with_state(state);
        assert_eq!(
            rule_of(check_offload_block(&block(&s, Some(chain(5_000))), T0)),
            1,
            "{state:?}"
        );
    }
    let ok = tcb(3 * MSS, 3 * MSS, 0, 0);
    assert_eq!(check_offload_block(&block(&ok, Some(chain(5_000))), T0), Ok(()));
}

//= spec/chimney.md rule 2
//# SndUna <= SndNxt <= SndMax.
#[test]
fn rule_02_sequence_order() {
    let s = tcb(4 * MSS, 3 * MSS, 0, 0);
    assert_eq!(rule_of(check_offload_block(&block(&s, Some(chain(10_000))), T0)), 2);
}

//= spec/chimney.md rule 3
//# chain bytes C >= (SndMax - SndUna) - F
#[test]
fn rule_03_chain_must_hold_the_outstanding_bytes() {
    let s = tcb(3 * MSS, 3 * MSS, 0, 0);
    assert_eq!(
        rule_of(check_offload_block(&block(&s, Some(chain(u64::from(3 * MSS) - 1))), T0)),
        3
    );
    assert_eq!(
        check_offload_block(&block(&s, Some(chain(u64::from(3 * MSS)))), T0),
        Ok(())
    );
    // A FIN sent and unacknowledged takes a sequence number but no chain byte (F = 1).
    let fin = tcb(3 * MSS + 1, 3 * MSS + 1, 0, 0)
        .with_state(TcpState::FinWait1)
        .with_fin_queued();
    assert_eq!(
        check_offload_block(&block(&fin, Some(chain(u64::from(3 * MSS)))), T0),
        Ok(())
    );
}

//= spec/chimney.md rule 4
//# Chain NULL => SndMax - SndUna <= F; ... decide tolerate vs reject
#[test]
fn rule_04_no_chain_with_outstanding_data_is_rejected() {
    let s = tcb(MSS, MSS, 0, 0);
    assert_eq!(rule_of(check_offload_block(&block(&s, None), T0)), 4);
    let fin_only = tcb(1, 1, 0, 0).with_state(TcpState::LastAck).with_fin_queued();
    assert_eq!(check_offload_block(&block(&fin_only, None), T0), Ok(()));
}

//= spec/chimney.md rule 5
//# SndUna != SndMax with SndWnd > 0 should carry a finite delta
#[test]
fn rule_05_outstanding_data_needs_a_running_timer() {
    let s = tcb(MSS, MSS, 0, 0).with_retransmit_in(None);
    assert_eq!(rule_of(check_offload_block(&block(&s, Some(chain(2_000))), T0)), 5);
    // Zero window: the fields carry the persist state instead (rule 17); no violation.
    let zero = tcb(1, 1, 0, 0).in_persist(2, SimDuration::from_millis(400));
    let b = block(&zero, Some(chain(2_000)));
    assert_eq!(check_offload_block(&b, T0), Ok(()));
    assert_eq!((b.state.retransmit.count, b.state.retransmit.timeout_delta), (2, 400));
}

// ----- rules 31, 33: the checks on an upload block --------------------------------------------

fn upload(snap: &Tcb, chain_front: u64, bytes: u64) -> UploadBlock {
    let (state, consts) = DelegatedState::from_tcb(snap, 1_000_000, Ticks::default());
    let mut c = SendChain::starting_at(chain_front);
    if bytes > 0 {
        c.push(BufId(0), Bytes::from(vec![0; bytes as usize]), BufOrigin::Delegated);
    }
    UploadBlock {
        conn: ConnId(1),
        reason: UploadReason::HostRequested,
        state,
        consts,
        chain: (bytes > 0).then_some(c),
        pending: vec![],
        rto_count: 0,
        fr_count: 0,
    }
}

//= spec/chimney.md rule 31
//# with no outstanding data the chain must be NULL ... The first byte of the returned chain is
//# sequence SndUna
#[test]
fn rule_31_returned_chain_starts_at_snd_una_and_covers_the_flight() {
    let s = tcb(2 * MSS, 2 * MSS, 0, 0);
    assert_eq!(check_upload_block(&upload(&s, 1_000_000, 4_000), T0), Ok(()));
    assert_eq!(rule_of(check_upload_block(&upload(&s, 1_000_001, 4_000), T0)), 31);
    assert_eq!(rule_of(check_upload_block(&upload(&s, 1_000_000, 2_000), T0)), 31);
    assert_eq!(rule_of(check_upload_block(&upload(&s, 1_000_000, 0), T0)), 31);
    let idle = tcb(0, 0, 0, 0).with_retransmit_in(None);
    assert_eq!(check_upload_block(&upload(&idle, 1_000_000, 0), T0), Ok(()));
}

//= spec/chimney.md rule 33
//# Returned timers: TimeoutDelta -1 if the timer was off, 0 = host timer fires immediately
#[test]
fn rule_33_returned_timer_is_running_while_data_is_outstanding() {
    let s = tcb(MSS, MSS, 0, 0).with_retransmit_in(None);
    let b = upload(&s, 1_000_000, 2_000);
    assert_eq!(b.state.retransmit.timeout_delta, TIMER_OFF);
    assert_eq!(rule_of(check_upload_block(&b, T0)), 33);
}

// ----- rule 8: round trip ----------------------------------------------------------------------

/// Hands `snap` over (chimney units, a target engine), runs nothing for `elapsed`, and hands it
/// back: the state the host would get.
fn round_trip(snap: &Tcb, elapsed: SimDuration) -> (DelegatedState, DelegatedState) {
    let ticks = Ticks::default();
    let c = cfg();
    let (sent, consts) = DelegatedState::from_tcb(snap, 1_000_000, ticks);
    let rebuilt = sent.to_tcb(&consts, snap.conn, ticks, &c, RecoveryInference::Current);
    let bytes = u64::from(snap.snd.snd_max.wrapping_since(snap.snd.snd_una)) + 10_000;
    let target = TcpConnection::from_tcb(c, Sender::OffloadTarget, &rebuilt, chain(bytes), T0).unwrap();
    let back = target.tcb(T0 + elapsed);
    let (returned, _) = DelegatedState::from_tcb(&back, target.chain().front_offset(), ticks);
    (sent, returned)
}

//= spec/chimney.md rule 8
//# offload immediately followed by upload with no traffic returns equal SndUna, SndNxt, SndMax,
//# CWnd, SsThresh, SRtt(x8), RttVar(x4), Count, and TimeoutDelta minus time elapsed
#[test]
fn rule_08_round_trip_returns_the_same_state() {
    for (nxt, sent, backoff, dups) in [
        (3 * MSS, 3 * MSS, 0, 0),
        (MSS, 8 * MSS, 2, 0),
        (8 * MSS, 8 * MSS, 0, 3),
        (0, 0, 0, 0),
    ] {
        let snap = tcb(nxt, sent, backoff, dups);
        let (s, r) = round_trip(&snap, SimDuration::from_millis(7));
        assert_eq!((r.snd_una, r.snd_nxt, r.snd_max), (s.snd_una, s.snd_nxt, s.snd_max));
        assert_eq!((r.cwnd, r.ssthresh), (s.cwnd, s.ssthresh));
        assert_eq!(
            (r.srtt, r.rttvar),
            (s.srtt, s.rttvar),
            "SRtt x8 and RttVar x4, in ticks"
        );
        assert_eq!(r.retransmit.count, s.retransmit.count);
        assert_eq!(r.retransmit.timeout_delta, s.retransmit.timeout_delta - 7);
        assert_eq!(r.dup_ack_count, s.dup_ack_count);
        assert_eq!(
            (r.snd_wnd, r.max_snd_wnd, r.send_wl1),
            (s.snd_wnd, s.max_snd_wnd, s.send_wl1)
        );
        assert_eq!(r.total_rt, s.total_rt);
    }
    // The units: 43.625 ms SRTT is 349 ticks x8; 11.25 ms RTTVAR is 45 ticks x4.
    let (s, _) = round_trip(&tcb(0, 0, 0, 0), SimDuration::ZERO);
    assert_eq!((s.srtt, s.rttvar), (349, 45));
}

//= spec/chimney.md §9
//# SRtt and RttVar cross the interface pre-scaled (x8, x4) and are only USHORT
#[test]
fn srtt_and_rttvar_saturate_at_ushort() {
    let snap = tcb(0, 0, 0, 0).with_rtt(
        Some(SimDuration::from_secs(20)),
        SimDuration::from_secs(20),
        SimDuration::from_millis(200),
    );
    let (s, _) = DelegatedState::from_tcb(&snap, 0, Ticks::default());
    assert_eq!((s.srtt, s.rttvar), (u16::MAX, u16::MAX));
}

// ----- what the receiving side rebuilds ---------------------------------------------------------

fn rebuilt(snap: &Tcb) -> TcpConnection {
    let c = cfg();
    let (state, consts) = DelegatedState::from_tcb(snap, 1_000_000, Ticks::default());
    let s = state.to_tcb(&consts, snap.conn, Ticks::default(), &c, RecoveryInference::Current);
    let bytes = u64::from(snap.snd.snd_max.wrapping_since(snap.snd.snd_una)) + 10_000;
    TcpConnection::from_tcb(c, Sender::OffloadTarget, &s, chain(bytes), T0).unwrap()
}

//= spec/chimney.md rule 14
//# Window update uses SendWL1 and an OT-initialised WL2 (suggest WL2 := SndUna)
#[test]
fn rule_14_wl2_starts_at_snd_una() {
    let t = rebuilt(&tcb(MSS, 2 * MSS, 0, 0));
    assert_eq!((t.snd_wl1(), t.snd_wl2()), (SeqNum(77), UNA));
}

//= spec/chimney.md rule 17
//# retransmit expiry at T_offload + TimeoutDelta; Count is the backoff exponent already used
#[test]
fn rule_17_timer_and_backoff_resume_from_the_delegated_fields() {
    let t = rebuilt(&tcb(MSS, 8 * MSS, 2, 0));
    // 123.456 ms is 123 whole ticks.
    assert_eq!(
        t.deadline(models::tcp::TimerKind::Retransmit),
        Some(T0 + SimDuration::from_millis(123))
    );
    assert_eq!(t.backoff(), 2);
    // RTO = SRtt/8 + max(G, RttVar) = 43.625 + 45 ms, below the 200 ms floor, backed off twice.
    assert_eq!(t.rto(), SimDuration::from_millis(800));
    assert_eq!((t.cwnd(), t.ssthresh()), (3 * MSS, 20 * MSS));
}

//= spec/chimney.md §8
//# Handover policy [INF]: if DupAckCount >= threshold at offload, assume recovery with
//# recover = SndMax - 1; else recover = SndUna - 1 (so a fresh dup-ACK run may enter)
#[test]
fn recover_follows_the_handover_policy() {
    let in_fr = rebuilt(&tcb(8 * MSS, 8 * MSS, 0, 3));
    assert!(in_fr.in_recovery());
    assert_eq!(in_fr.recover(), UNA.add(8 * MSS).sub(1));
    assert_eq!(in_fr.dup_acks(), 3);
    let calm = rebuilt(&tcb(8 * MSS, 8 * MSS, 0, 1));
    assert!(!calm.in_recovery());
    // "So a fresh dup-ACK run may enter": RFC 6582's "covers more than recover" read exactly
    // (ACK - 1 > recover) needs recover <= SndUna - 2 for duplicate ACKs at SndUna.
    assert_eq!(calm.recover(), UNA.sub(2));
    // offsim's refinement after a timeout (RFC 6582 §3.2 step 6): recover = SndMax - 1, so the
    // duplicate ACKs of the pre-timeout flight do not start a fast retransmit.
    for after_rto in [tcb(MSS, 8 * MSS, 1, 0), tcb(MSS, 8 * MSS, 0, 0)] {
        let t = rebuilt(&after_rto);
        assert!(!t.in_recovery());
        assert_eq!(t.recover(), UNA.add(8 * MSS).sub(1));
    }
}

/// [`rebuilt`] with the receiving side's own TCP settings.
fn rebuilt_with(snap: &Tcb, c: TcpConfig) -> TcpConnection {
    let (state, consts) = DelegatedState::from_tcb(snap, 1_000_000, Ticks::default());
    let s = state.to_tcb(&consts, snap.conn, Ticks::default(), &c, RecoveryInference::Current);
    let bytes = u64::from(snap.snd.snd_max.wrapping_since(snap.snd.snd_una)) + 10_000;
    TcpConnection::from_tcb(c, Sender::OffloadTarget, &s, chain(bytes), T0).unwrap()
}

//= spec/chimney.md rule 17
//# When SndWnd == 0, Count/TimeoutDelta/SndWndProbeCount are the persist state: round r waits
//# RTO<<r, then probes back off RTO<<Count
#[test]
fn zero_window_persist_count_is_not_rebuilt_as_an_rto_backoff() {
    // Issue 11 defect 4: four persist rounds at the host (Count = 4) came back as RTO << 4.
    let snap = tcb(0, 0, 0, 0).in_persist(4, SimDuration::from_millis(900));
    let t = rebuilt(&snap);
    assert_eq!(t.probe_count(), 4, "the persist round travels");
    assert_eq!(t.backoff(), 0, "no RTO backoff was used");
    assert_eq!(
        t.rto(),
        SimDuration::from_millis(200),
        "the RTO is the host's (200 ms floor), not 200 ms << Count"
    );
    assert_eq!(
        t.deadline(models::tcp::TimerKind::Persist),
        Some(T0 + SimDuration::from_millis(900))
    );
}

//= spec/chimney.md §8
//# Before any sample RTO = 1 s (2988 said 3 s).
#[test]
fn rto_before_any_rtt_sample_is_the_connections_initial_rto() {
    // Issue 11 defect 10: the RTO was rebuilt as a hard-coded 1 s whatever the connection used.
    let snap = tcb(MSS, MSS, 0, 0).with_rtt(None, SimDuration::ZERO, SimDuration::from_secs(3));
    let c = TcpConfig {
        initial_rto: SimDuration::from_secs(3),
        ..cfg()
    };
    assert_eq!(rebuilt_with(&snap, c).rto(), SimDuration::from_secs(3));
    // Backed off once before the handover: 6 s.
    let once = snap
        .with_rtt(None, SimDuration::ZERO, SimDuration::from_secs(6))
        .with_timeouts(1, SimDuration::from_millis(600));
    assert_eq!(rebuilt_with(&once, c).rto(), SimDuration::from_secs(6));
}

//= spec/chimney.md §8
//# RTO: recover = SndMax - 1.
#[test]
fn handover_after_a_timeout_is_not_rebuilt_as_fast_recovery() {
    // Issue 11 defect 6: RFC 6582 §3.2 step 6 ("After a retransmit timeout, record the highest
    // sequence number transmitted in the variable recover") must be applied before the
    // DupAckCount >= threshold test: duplicate ACKs still counted from the pre-timeout flight
    // do not mean the host is in fast recovery.
    for after_rto in [tcb(MSS, 8 * MSS, 1, 3), tcb(MSS, 8 * MSS, 0, 4)] {
        let t = rebuilt(&after_rto);
        assert!(!t.in_recovery(), "{after_rto:?}");
        assert_eq!(t.recover(), UNA.add(8 * MSS).sub(1));
    }
}

/// The TCB the receiving side rebuilds from `t` with recovery-inference `policy`.
fn converted(t: &Tcb, policy: RecoveryInference) -> Tcb {
    let (state, consts) = DelegatedState::from_tcb(t, 1_000_000, Ticks::default());
    state.to_tcb(&consts, t.conn, Ticks::default(), &cfg(), policy)
}

//= spec/chimney.md §1
//# Not delegated at all: SND.WL2, the NewReno `recover` point / "in fast recovery" flag
#[test]
fn the_recovery_inference_policy_decides_only_a_handover_in_fast_recovery() {
    // In fast recovery: 8 MSS outstanding, ssthresh 3 MSS (the host entered with a flight of
    // 6 MSS and sent 2 MSS more during its recovery), cwnd inflated to 5 MSS.
    let in_fr = tcb(8 * MSS, 8 * MSS, 0, 3).with_cwnd(5 * MSS, 3 * MSS);
    let cong = |p| converted(&in_fr, p).cong;
    let max = UNA.add(8 * MSS);
    let current = cong(RecoveryInference::Current);
    assert_eq!(
        (current.recover, current.in_recovery),
        (max.sub(1), true),
        "§8 as written"
    );
    let ended = cong(RecoveryInference::EndRecovery);
    assert_eq!((ended.recover, ended.in_recovery), (max.sub(1), false));
    assert_eq!(
        (ended.cwnd, ended.dup_acks),
        (3 * MSS, 0),
        "RFC 6582 §3.2 step 3 deflation"
    );
    let kept = cong(RecoveryInference::KeepRecoverAtHighestSent);
    assert_eq!(
        (kept.recover, kept.in_recovery),
        (UNA.add(6 * MSS).sub(1), true),
        "recover at the highest sequence sent on entry: SndUna + 2 * SsThresh - 1"
    );
    // Anywhere else every policy gives the §8 result: after a timeout, outside recovery, and
    // in recovery with nothing outstanding.
    for (t, expected) in [
        (tcb(MSS, 8 * MSS, 1, 3), (max.sub(1), false)),
        (tcb(8 * MSS, 8 * MSS, 0, 1), (UNA.sub(2), false)),
        (tcb(0, 0, 0, 3), (UNA.sub(1), true)),
    ] {
        for policy in RecoveryInference::ALL {
            let c = converted(&t, policy).cong;
            assert_eq!((c.recover, c.in_recovery), expected, "{policy:?} {t:?}");
        }
    }
}

// ----- rule 19: timestamps ----------------------------------------------------------------------

//= spec/chimney.md §1
//# TsRecent, TsRecentAge, TsTime (host clock + host timestamp delta)
//= spec/chimney.md rule 19
//# NicDelta = TsTime - NicTime at offload; TSval = NicTime + NicDelta
#[test]
fn rule_19_timestamp_state_crosses_in_chimney_units_and_the_clock_continues() {
    const TS_TIME: u32 = 4_000_000_000; // near the wrap of the 32-bit clock
    let host = tcb(3 * MSS, 3 * MSS, 0, 0).with_timestamps(TimestampState {
        ts_recent: Some(123_456),
        ts_recent_age: SimDuration::from_micros(1_500_700),
        ts_time: TS_TIME,
    });
    let b = block(&host, Some(chain(5_000)));
    // Chimney units: ticks (1000 per second) for the age, the clock values as they are.
    assert_eq!(
        (b.state.ts_recent, b.state.ts_recent_age, b.state.ts_time),
        (123_456, 1_500, TS_TIME)
    );
    assert!(b.consts.timestamps, "CONST Flags.TIMESTAMP");
    let rebuilt = b.state.to_tcb(
        &b.consts,
        ConnId(1),
        Ticks::default(),
        &cfg(),
        RecoveryInference::Current,
    );
    let ts = rebuilt.ts.expect("TIMESTAMP flag set");
    assert_eq!((ts.ts_recent, ts.ts_time), (Some(123_456), TS_TIME));
    assert_eq!(ts.ts_recent_age, SimDuration::from_millis(1_500));
    // The target (whose own clock lags the host's by an hour) continues the host's clock: 250
    // ms later its TsTime has moved on by 250, and TsRecent has aged by as much.
    let ot = TcpConnection::from_tcb(cfg(), Sender::OffloadTarget, &rebuilt, chain(5_000), T0).expect("valid TCB");
    let later = ot.tcb(T0 + SimDuration::from_millis(250)).ts.expect("still on");
    assert_eq!(
        later.ts_time,
        TS_TIME.wrapping_add(250),
        "lag {NIC_TS_CLOCK_LAG_MS} ms cancelled by NicDelta"
    );
    assert_eq!(
        (later.ts_recent, later.ts_recent_age),
        (Some(123_456), SimDuration::from_millis(1_750))
    );
    // Without the flag nothing is carried and the option stays off.
    let plain = block(&tcb(3 * MSS, 3 * MSS, 0, 0), Some(chain(5_000)));
    assert!(!plain.consts.timestamps);
    let back = plain.state.to_tcb(
        &plain.consts,
        ConnId(1),
        Ticks::default(),
        &cfg(),
        RecoveryInference::Current,
    );
    assert_eq!(back.ts, None);
}
