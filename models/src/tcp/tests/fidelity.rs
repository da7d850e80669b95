//! Regression tests of issue 10 (TCP fidelity), one per defect or feature, citing the clause
//! each checks: fast recovery only above `recover` (RFC 6582, RFC 6675), zero-window probe
//! replies are not duplicate ACKs (RFC 5681 §2), ssthresh after a timeout (RFC 5681 eq. 4),
//! restart after idle (RFC 5681 §4.1), limited transmit (RFC 3042), CUBIC at a handover
//! (RFC 9438), timestamps and PAWS (RFC 7323). Same DSL as the parent module.

use super::*;
use crate::tcp::cc::{CongestionControl, RestartAfterIdle};

/// A's first window of 10 segments with segments 0, 2, 4 and 6 lost and every duplicate ACK for
/// segment 0 lost too, so that the losses end in a retransmission timeout; 30 segments written.
/// After the timeout go-back-N resends segments the receiver already holds (1, 3, 5, 7, 8, 9):
/// their duplicate ACKs arrive at exactly `recover + 1` = the old SND.MAX.
fn go_back_n_over_held_segments(c: TcpConfig) -> Net {
    let mut net = established_pair_with(c, c, ISN_A);
    let holes = [0, 2, 4, 6].map(|k| a_seq(k * MSS));
    net.drop_if(move |from, seg| match from {
        Side::A => seg.provenance.tx_number == 0 && holes.contains(&seg.seq) && !seg.is_empty(),
        Side::B => seg.ack == a_seq(0),
    });
    net.write(Side::A, 30 * MSS as usize);
    net.run_until(net.now + SimDuration::from_secs(3));
    net
}

//= https://www.rfc-editor.org/rfc/rfc6582#section-3.2
//= type=test
//# the TCP sender first checks the value of recover to see if the Cumulative Acknowledgment
//# field covers more than recover. If so, the value of recover is incremented to the value of
//# the highest sequence number transmitted by the TCP so far. [...] If not, the TCP does not
//# enter fast retransmit and does not reset ssthresh.
//= https://www.rfc-editor.org/rfc/rfc6675#section-5
//= type=test
//# if no previous loss event has occurred on the connection or the cumulative acknowledgment
//# point is beyond the last value of RecoveryPoint, a loss recovery phase SHOULD be initiated
#[test]
fn duplicate_acks_at_recover_plus_one_after_go_back_n_do_not_start_fast_retransmit() {
    for c in [cfg(), sack_cfg()] {
        let net = go_back_n_over_held_segments(c);
        net.assert_clean();
        assert_eq!(net.rx[Side::B as usize], u64::from(30 * MSS), "sack {}", c.sack);
        assert_eq!(net.rtos(Side::A), 1, "sack {}", c.sack);
        let old_snd_max = a_seq(10 * MSS);
        let dups_at_old_max = net
            .log
            .iter()
            .filter(|s| s.from == Side::B && s.seg.ack == old_snd_max)
            .count();
        assert!(
            dups_at_old_max >= 4,
            "the scenario produces the duplicate ACKs ({dups_at_old_max})"
        );
        assert_eq!(
            net.count(Side::A, |e| *e == ConnEvent::FastRetransmit),
            0,
            "sack {}: an ACK at recover + 1 covers recover but not more",
            c.sack
        );
        assert_eq!(
            net.a.ssthresh(),
            5 * MSS,
            "sack {}: ssthresh set once, by the timeout",
            c.sack
        );
    }
}

//= https://www.rfc-editor.org/rfc/rfc5681#section-2
//= type=test
//# DUPLICATE ACKNOWLEDGMENT: An acknowledgment is considered a "duplicate" in the following
//# algorithms when (a) the receiver of the ACK has outstanding data
#[test]
fn acks_answering_zero_window_probes_are_not_duplicate_acks() {
    let cb = TcpConfig {
        rcv_buffer: 8 * MSS,
        window_scale: None,
        ..cfg()
    };
    let mut net = established_pair_with(cfg(), cb, ISN_A);
    net.b.set_reading(false);
    net.write(Side::A, 20 * MSS as usize);
    net.run_until(net.now + SimDuration::from_millis(100));
    let (ssthresh, cwnd) = (net.a.ssthresh(), net.a.cwnd());
    // Five probes, each answered with the same zero-window ACK at SND.UNA.
    net.run_until(net.now + SimDuration::from_secs(40));
    let probes = net
        .log
        .iter()
        .filter(|s| s.seg.provenance.cause == SendCause::WindowProbe)
        .count();
    assert!(probes >= 5, "{probes} probes");
    assert_eq!(net.count(Side::A, |e| *e == ConnEvent::FastRetransmit), 0);
    assert_eq!(net.a.dup_acks(), 0, "the probe replies are not counted");
    // The receiver reports each probe byte it did not keep (for the spurious-retransmission
    // count of the reports).
    let probe = u64::from(8 * MSS);
    assert_eq!(net.discarded.len(), probes);
    assert!(net.discarded.iter().all(|d| *d == (Side::B, (probe, probe + 1))));
    assert_eq!(
        (net.a.ssthresh(), net.a.cwnd()),
        (ssthresh, cwnd),
        "no loss, no reduction"
    );
}

//= https://www.rfc-editor.org/rfc/rfc5681#section-3.1
//= type=test
//# ssthresh = max (FlightSize / 2, 2*SMSS)            (4)
#[test]
fn ssthresh_after_a_timeout_in_go_back_n_counts_only_the_data_resent() {
    let mut net = established_pair();
    // The whole first window is lost, then the go-back-N resends of segments 1 and 2.
    let again = [a_seq(MSS), a_seq(2 * MSS)];
    net.drop_if(move |from, seg| {
        from == Side::A
            && !seg.is_empty()
            && (seg.provenance.tx_number == 0 || (seg.provenance.tx_number == 1 && again.contains(&seg.seq)))
    });
    net.write(Side::A, 10 * MSS as usize);
    run_to_event(&mut net, |e| matches!(e, ConnEvent::RtoFired { .. }));
    assert_eq!(net.a.ssthresh(), 5 * MSS, "first timeout: FlightSize = 10 SMSS");
    run_to_event(&mut net, |e| matches!(e, ConnEvent::RtoFired { count: 2 }));
    // Segment 0 was acknowledged, 1 and 2 resent and lost: 2 SMSS outstanding, not the 9 SMSS
    // between SND.UNA and SND.MAX that go-back-N has not resent yet.
    assert_eq!(net.a.ssthresh(), 2 * MSS);
    net.drop = None;
    net.run_until(net.now + SimDuration::from_secs(5));
    assert_eq!(net.rx[Side::B as usize], u64::from(10 * MSS));
    net.assert_clean();
}

/// A sends 60 segments, goes idle for `idle` with everything acknowledged, then writes 60 more.
/// Returns (cwnd before the idle period, data segments A sends at the instant of the write).
fn burst_after_idle(restart: RestartAfterIdle, idle: SimDuration) -> (u32, usize, Net) {
    let c = TcpConfig {
        restart_after_idle: restart,
        ..cfg()
    };
    let mut net = established_pair_with(c, c, ISN_A);
    net.write(Side::A, 60 * MSS as usize);
    net.run_until(net.now + SimDuration::from_millis(300));
    assert_eq!(net.a.snd_una(), net.a.snd_max(), "all acknowledged");
    let cwnd = net.a.cwnd();
    // Only B's delayed-ACK timer may still run; A is idle.
    let last_sent = net.data_sent(Side::A).last().unwrap().at;
    net.run_until(last_sent + idle);
    net.write(Side::A, 60 * MSS as usize);
    let now = net.now;
    let burst = net.data_sent(Side::A).into_iter().filter(|s| s.at == now).count();
    (cwnd, burst, net)
}

//= https://www.rfc-editor.org/rfc/rfc5681#section-4.1
//= type=test
//# TCP SHOULD set cwnd to no more than RW before beginning transmission if the TCP has not
//# sent data in an interval exceeding the retransmission timeout.
#[test]
fn sending_after_an_idle_rto_restarts_from_the_initial_window() {
    let rto = SimDuration::from_secs(1);
    let (cwnd, burst, net) = burst_after_idle(RestartAfterIdle::Rfc5681, rto + SimDuration::from_millis(500));
    assert!(cwnd >= 30 * MSS, "the first transfer opened cwnd to {cwnd}");
    assert_eq!(net.a.rto(), rto);
    assert_eq!(burst, 10, "RW = min(IW, cwnd) = 10 segments, not the old cwnd");
    assert_eq!(net.a.cwnd(), 10 * MSS);
    // Shorter than an RTO: no restart.
    let (cwnd, burst, _) = burst_after_idle(RestartAfterIdle::Rfc5681, SimDuration::from_millis(900));
    assert_eq!(burst as u32, cwnd / MSS);
    // Off: the whole old window at once.
    let (cwnd, burst, _) = burst_after_idle(RestartAfterIdle::Off, SimDuration::from_secs(5));
    assert_eq!(burst as u32, cwnd / MSS);
}

/// Linux `tcp_cwnd_restart`: "while ((delta -= inet_csk(sk)->icsk_rto) > 0 && cwnd >
/// restart_cwnd) cwnd >>= 1;"
#[test]
fn linux_restart_halves_cwnd_once_per_idle_rto() {
    let (cwnd, burst, net) = burst_after_idle(RestartAfterIdle::Halve, SimDuration::from_millis(1_500));
    assert_eq!(burst as u32, cwnd / 2 / MSS, "1.5 RTO idle: halved once");
    assert!(net.a.ssthresh() >= cwnd * 3 / 4);
    let (_, burst, _) = burst_after_idle(RestartAfterIdle::Halve, SimDuration::from_secs(30));
    assert_eq!(burst, 10, "never below min(IW, cwnd)");
}

//= https://www.rfc-editor.org/rfc/rfc3042#section-2
//= type=test
//# When a TCP sender has previously unsent data queued for transmission it SHOULD use the
//# Limited Transmit algorithm, which calls for a TCP sender to transmit new data upon the
//# arrival of the first two consecutive duplicate ACKs
#[test]
fn limited_transmit_turns_two_duplicate_acks_into_a_fast_retransmit() {
    for limited_transmit in [false, true] {
        // A window of 3 segments with one lost yields only two duplicate ACKs.
        let ca = TcpConfig {
            initial_window_segments: 2,
            limited_transmit,
            ..cfg()
        };
        let cb = TcpConfig {
            delayed_ack: None,
            ..cfg()
        };
        let mut net = established_pair_with(ca, cb, ISN_A);
        net.drop_if(drop_first_tx(vec![a_seq(MSS)]));
        net.write(Side::A, 10 * MSS as usize);
        net.run_until(net.now + SimDuration::from_secs(3));
        net.assert_clean();
        assert_eq!(net.rx[Side::B as usize], u64::from(10 * MSS));
        let (fr, rto) = (
            net.count(Side::A, |e| *e == ConnEvent::FastRetransmit),
            net.rtos(Side::A),
        );
        if limited_transmit {
            assert_eq!((fr, rto), (1, 0), "two new segments draw the third duplicate ACK");
            let lt: Vec<SeqNum> = net
                .data_sent(Side::A)
                .into_iter()
                .filter(|s| s.seg.seq == a_seq(4 * MSS) || s.seg.seq == a_seq(5 * MSS))
                .map(|s| s.seg.seq)
                .collect();
            assert_eq!(lt, vec![a_seq(4 * MSS), a_seq(5 * MSS)], "sent once each");
        } else {
            assert_eq!((fr, rto), (0, 1), "without it the loss waits for the timeout");
        }
    }
}

/// Chimney delegates cwnd and ssthresh only; CUBIC's W_max and epoch are inferred on the
/// target by the policy of `Cubic::handed_over`: W_max = cwnd at the handover, a new epoch at
/// the first ACK in congestion avoidance.
#[test]
fn a_handed_over_cubic_connection_restarts_its_epoch_with_w_max_at_its_cwnd() {
    let c = TcpConfig {
        congestion_control: CongestionControl::Cubic,
        ..cfg()
    };
    let mut net = established_pair_with(c, c, ISN_A);
    net.drop_if(drop_first_tx(vec![a_seq(5 * MSS)]));
    net.write(Side::A, 200 * MSS as usize);
    run_to_event(&mut net, |e| *e == ConnEvent::RecoveryExit).expect("recovery");
    net.run_until(net.now + SimDuration::from_millis(100));
    let before = net.a.cc.cubic.expect("cubic");
    assert!(before.epoch_start_us.is_some(), "in congestion avoidance");
    let tcb = net.a.tcb(net.now);
    let moved =
        TcpConnection::from_tcb(c, Sender::OffloadTarget, &tcb, net.a.chain().clone(), net.now).expect("valid TCB");
    let after = moved.cc.cubic.expect("cubic on the target");
    assert_eq!((after.w_max, after.epoch_start_us), (u64::from(tcb.cong.cwnd), None));
    assert_eq!((moved.cwnd(), moved.ssthresh()), (tcb.cong.cwnd, tcb.cong.ssthresh));
    net.a = moved;
    net.run_until(net.now + SimDuration::from_secs(3));
    net.assert_clean();
    assert_eq!(net.rx[Side::B as usize], u64::from(200 * MSS));
}

// ----- timestamps (RFC 7323) ------------------------------------------------------------------

fn ts_cfg() -> TcpConfig {
    TcpConfig {
        timestamps: true,
        sack: true,
        ..cfg()
    }
}

//= https://www.rfc-editor.org/rfc/rfc7323#section-3.2
//= type=test
//# Once TSopt has been successfully negotiated, that is both <SYN> and <SYN,ACK> contain
//# TSopt, the TSopt MUST be sent in every non-<RST> segment for the duration of the connection
#[test]
fn negotiated_timestamps_are_on_every_segment_and_leave_room_for_three_sack_blocks() {
    let mut net = established_pair_with(ts_cfg(), ts_cfg(), ISN_A);
    // Four holes: five SACK blocks would exist, three fit next to the timestamps.
    net.drop_if(drop_first_tx((0..4).map(|k| a_seq((2 * k + 1) * MSS)).collect()));
    net.write(Side::A, 12 * MSS as usize);
    net.run_until(net.now + SimDuration::from_secs(3));
    net.assert_clean();
    assert!(net.log.iter().all(|s| s.seg.options.timestamp.is_some()));
    let most = net.log.iter().map(|s| s.seg.options.sack_blocks.len()).max();
    assert_eq!(most, Some(3));
    assert!(net.log.iter().all(|s| s.seg.wire_len() <= 40 + 40 + s.seg.len()));
    // TSecr echoes the peer's clock: B's ACKs echo the TSval of A's segments (1 ms ticks).
    let b_ack = net.log.iter().rev().find(|s| s.from == Side::B).unwrap();
    let (_, echo) = b_ack.seg.options.timestamp.unwrap();
    assert!(echo > 0 && u64::from(echo) <= b_ack.at.as_nanos() / 1_000_000);
    // Offered by one side only: not used.
    let mut net = established_pair_with(ts_cfg(), sack_cfg(), ISN_A);
    net.write(Side::A, 4 * MSS as usize);
    net.run_until(net.now + SimDuration::from_secs(1));
    let after_syn = net.log.iter().filter(|s| !s.seg.flags.syn || s.from == Side::B);
    assert!(after_syn.clone().all(|s| s.seg.options.timestamp.is_none()));
}

//= https://www.rfc-editor.org/rfc/rfc7323#section-4.1
//= type=test
//# the TSecr field of an arriving <ACK> ... RTTM ... can be used to measure the RTT of
//# retransmitted segments as well
#[test]
fn timestamps_measure_the_rtt_of_a_retransmission_and_end_the_backoff() {
    for c in [sack_cfg(), ts_cfg()] {
        // B acknowledges at once, so that the sample is the path's RTT alone.
        let cb = TcpConfig { delayed_ack: None, ..c };
        let mut net = established_pair_with(c, cb, ISN_A);
        net.drop_if(drop_first_tx((0..4).map(|k| a_seq(k * MSS)).collect()));
        net.write(Side::A, 4 * MSS as usize);
        run_to_event(&mut net, |e| matches!(e, ConnEvent::RtoFired { .. }));
        assert_eq!(net.a.backoff(), 1);
        // The ACK of the retransmitted first segment.
        let una = net.a.snd_una();
        while net.a.snd_una() == una {
            let t = net.next_event().unwrap();
            net.now = t;
            net.step();
        }
        if c.timestamps {
            assert_eq!(net.a.backoff(), 0, "RTTM sampled the retransmission");
            assert_eq!(net.a.srtt(), Some(RTT), "20 ms, exact at 1 ms ticks");
        } else {
            assert_eq!(net.a.backoff(), 1, "Karn: no sample from a retransmission");
        }
    }
}

//= https://www.rfc-editor.org/rfc/rfc7323#section-5.3
//= type=test
//# If there is a Timestamps option in the arriving segment, SEG.TSval < TS.Recent, TS.Recent
//# is valid (see later discussion), and the RST bit is not set, then treat the arriving
//# segment as not acceptable
#[test]
fn paws_drops_an_old_duplicate_inside_the_window() {
    let mut net = established_pair_with(ts_cfg(), ts_cfg(), ISN_A);
    net.write(Side::A, 2 * MSS as usize);
    net.run_until(net.now + SimDuration::from_millis(100));
    let old = net.data_sent(Side::A)[0].seg.clone();
    net.run_until(net.now + SimDuration::from_millis(50));
    net.write(Side::A, MSS as usize);
    net.run_until(net.now + SimDuration::from_millis(100));
    // A wandering copy of the first segment, re-labelled to the next expected sequence number:
    // the window accepts it, its old TSval does not.
    let rcv_nxt = net.b.rcv_nxt();
    let mut stray = Segment { seq: rcv_nxt, ..old };
    let mut out = Output::default();
    net.b.on_segment(net.now, &mut stray, &mut out);
    assert!(out.delivered.is_empty(), "not delivered");
    assert_eq!(net.b.rcv_nxt(), rcv_nxt);
    assert_eq!(net.b.stats().paws_rejected, 1);
    assert_eq!(out.segments.len(), 1, "answered with an ACK");
}
