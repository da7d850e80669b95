//! The run-time monitor of spec/chimney.md's rules: every check the simulator makes, in one
//! place, called by both sides. The host checks the blocks it hands over and gets back (§3,
//! rules 1–5; rules 2, 31, 33 on the upload block); the target checks each batch of its
//! engine's output against the send rules (9, 10, 12, 13, 19, 20, 25, 40, 42). A violation is a
//! [`RuleViolation`] that ends the run naming the rule. The host also checks here rule 32
//! (coverage of the returned data, against the bounced sends it holds;
//! `SeqNum`s in a violation are the returned SndUna, SndNxt, SndMax) and rule 33's returned
//! TsTime, against the TsTime of the offload it keeps (rule 19). The target's checks run through
//! the engine slot's `OwnerPolicy::check` (`endpoint.rs`) before a batch takes effect.
//!
//! Each check has a negative test (`models/tests/it/rule_checks.rs`) through the test-only
//! [`super::Fault`] switch.

use super::{ConstState, DelegatedState, OffloadBlock, RuleViolation, TIMER_OFF, UploadBlock};
use crate::chain::SendChain;
use crate::segment::{BufId, ConnId, SendCause};
use crate::seq::SeqNum;
use crate::tcp::{ConnEvent, Output, TcpConnection, TcpState};
use sim_core::SimTime;
use std::collections::VecDeque;

/// Per-connection run-time checks of the send rules.
pub(super) struct SendRules {
    /// Stream offset of SndNxt at offload.
    pub(super) snd_nxt0: u64,
    /// The peer's window was zero at offload (rule 9 d: the persist state governs).
    pub(super) zero_window0: bool,
    /// The first data segment has gone out.
    pub(super) first_sent: bool,
    /// Sending is contiguous up to here (rule 10).
    pub(super) frontier: u64,
    /// Stream offset of SndUna (never moves back, rule 13).
    pub(super) una: u64,
    /// Buffers in posting order, for FIFO completion (rule 25): (id, end offset).
    pub(super) posted: VecDeque<(BufId, u64)>,
    /// An RTO, fast retransmit or partial ACK happened before the first send (rule 9 b, c).
    pub(super) recovery_started: bool,
    /// One past the highest stream offset ever sent, by the host or the target (rule 12).
    pub(super) sent_max: u64,
    /// The host asked for an abortive disconnect (rule 20: the only reason to send RST).
    pub(super) abort_requested: bool,
    /// With timestamps negotiated: the lowest TSval the target may send (rule 19), TsTime at
    /// offload (the host's last TSval did not exceed it), then the target's own last TSval.
    pub(super) tsval_floor: Option<u32>,
}

/// Checks one batch of the engine's output against rules 9, 10, 12, 13, 19, 20, 25, 40 and 42.
pub(super) fn check_output(
    r: &mut SendRules,
    tcp: &TcpConnection,
    out: &Output,
    aborted: bool,
    nxt_beyond_max: bool,
) -> Result<(), (u8, String)> {
    let (una_seq, nxt, max) = (tcp.snd_una(), tcp.snd_nxt(), tcp.snd_max());
    // Fault::TargetSndNxtBeyondSndMax: a target whose SndNxt ran past SndMax.
    let nxt = if nxt_beyond_max { max.add(1) } else { nxt };
    // Rule 13: SndUna <= SndNxt <= SndMax, and SndUna never moves back.
    if !(una_seq <= nxt && nxt <= max) {
        return Err((13, "SndUna <= SndNxt <= SndMax does not hold".into()));
    }
    let una = tcp.chain().front_offset();
    if una < r.una {
        return Err((13, format!("SndUna moved back from stream offset {} to {una}", r.una)));
    }
    r.una = una;
    r.frontier = r.frontier.max(una);
    if out.events.iter().any(|e| {
        matches!(
            e,
            ConnEvent::RtoFired { .. } | ConnEvent::FastRetransmit | ConnEvent::PartialAck
        )
    }) {
        r.recovery_started = true;
    }
    for seg in &out.segments {
        if let Some(floor) = r.tsval_floor.as_mut()
            && !seg.flags.rst
        {
            // RFC 7323 §3.2: "Once TSopt has been successfully negotiated ... the TSopt MUST be
            // sent in every non-<RST> segment"; chimney rule 19: "TSval = NicTime + NicDelta.
            // TSval therefore never goes backwards across a handover".
            let Some((tsval, _)) = seg.options.timestamp else {
                return Err((
                    19,
                    "segment without the Timestamps option negotiated for the connection".into(),
                ));
            };
            if (tsval.wrapping_sub(*floor) as i32) < 0 {
                return Err((
                    19,
                    format!("TSval {tsval} below {floor}, the host's clock at offload or the target's last TSval"),
                ));
            }
            *floor = tsval;
        }
        // Rule 20: "The OT sends RST only on an abortive disconnect request" (the engine also
        // answers segments for a connection that has reached CLOSED: there is no TCB left).
        if seg.flags.rst && !r.abort_requested && tcp.state() != TcpState::Closed {
            return Err((20, "RST sent without an abortive disconnect request".into()));
        }
        // Rule 42: "The FIN follows all earlier data" (it may ride on the last data segment).
        let end = seg.provenance.stream_offset + seg.payload.len() as u64;
        if seg.flags.fin && end != tcp.chain().end_offset() {
            return Err((
                42,
                format!(
                    "FIN after stream offset {end}, but the data ends at {}",
                    tcp.chain().end_offset()
                ),
            ));
        }
    }
    for seg in out.segments.iter().filter(|s| !s.payload.is_empty()) {
        if aborted {
            return Err((40, "data sent after an RST aborted the connection".into()));
        }
        let (off, end, cause) = (
            seg.provenance.stream_offset,
            seg.provenance.stream_offset + seg.payload.len() as u64,
            seg.provenance.cause,
        );
        // Rule 9: "The first data segment the OT puts on the wire starts at SndNxt, EXCEPT
        // when, before it sends: (a) an ACK ... moved SndUna past SndNxt - then it starts at the
        // new SndUna; (b) the resumed retransmit timer fires ...; (c) dup ACKs ... reach
        // TcpDuplicateAckThreshold ...; (d) SndWnd == 0 - the next packet is a persist window
        // probe". Policy for (d): when the window was zero at offload and opens before the
        // first send, an outstanding probe byte is resent from SndUna (the receiver may have
        // discarded it).
        if !r.first_sent {
            r.first_sent = true;
            let expected = r.snd_nxt0.max(una);
            let excused = r.recovery_started
                || (r.zero_window0 && off == una)
                || matches!(
                    cause,
                    SendCause::WindowProbe | SendCause::Rto | SendCause::FastRetransmit | SendCause::PartialAck
                );
            if off != expected && !excused {
                return Err((
                    9,
                    format!(
                        "first data segment at stream offset {off}, expected {expected} (SndNxt at offload was {}, SndUna is {una})",
                        r.snd_nxt0
                    ),
                ));
            }
        }
        // Rule 12: "a segment counts as retransmitted if it carries at least one octet sent
        // before ... so the [SndNxt,SndMax) resend counts as retransmissions even though it is
        // the OT's first transmission ... bytes >= SndMax sent for the first time are not".
        let p = &seg.provenance;
        let resent = off < r.sent_max;
        if p.is_retransmission != resent || (p.tx_number > 0) != resent {
            return Err((
                12,
                format!(
                    "segment [{off}, {end}) marked retransmission={} tx_number={} but bytes sent so far end at {}",
                    p.is_retransmission, p.tx_number, r.sent_max
                ),
            ));
        }
        // Issue 11 defect 8: every retransmission has a true cause; `new_data` never is one.
        if p.is_retransmission && matches!(p.cause, SendCause::NewData | SendCause::Control) {
            return Err((
                12,
                format!("retransmission [{off}, {end}) tagged with cause {:?}", p.cause),
            ));
        }
        if p.source == crate::segment::DataSource::DelegatedResend && !p.is_retransmission {
            return Err((
                12,
                format!("resend-region segment at {off} not counted as retransmission"),
            ));
        }
        r.sent_max = r.sent_max.max(end);
        // Rule 10: sending is contiguous: every byte of [SndNxt, SndMax) before any byte
        // beyond, all chain bytes before later sends, later sends FIFO.
        if off > r.frontier {
            return Err((
                10,
                format!(
                    "bytes [{off}, {end}) sent while [{}, {off}) had not been sent",
                    r.frontier
                ),
            ));
        }
        r.frontier = r.frontier.max(end);
    }
    // Rule 25: completions in FIFO order, only once every byte is acknowledged.
    for buf in &out.completed {
        match r.posted.pop_front() {
            Some((id, end)) if id == *buf && end <= una => {}
            Some((id, end)) => {
                return Err((
                    25,
                    format!(
                        "buffer {} completed; expected buffer {} (ends at {end}, SndUna at {una})",
                        buf.0, id.0
                    ),
                ));
            }
            None => return Err((25, format!("buffer {} completed but none is pending", buf.0))),
        }
    }
    Ok(())
}

/// Data bytes outstanding in `s` beyond a sent, unacknowledged FIN (the F of rule 3).
fn outstanding_data(s: &DelegatedState, c: &ConstState) -> (u64, u64) {
    use TcpState::*;
    let f = u64::from(matches!(s.state, FinWait1 | Closing | LastAck) && c.fin_queued && s.snd_max > s.snd_una);
    (u64::from(s.snd_max.wrapping_since(s.snd_una)), f)
}

/// The checks on a TerminateOffloadComplete block (rules 2, 31, 33), made by the host before
/// it resumes the connection.
pub fn check_upload_block(b: &UploadBlock, now: SimTime) -> Result<(), RuleViolation> {
    let s = &b.state;
    let v = |rule: u8, message: String| RuleViolation {
        rule,
        time: now,
        conn: b.conn,
        seq: (s.snd_una, s.snd_nxt, s.snd_max),
        message,
    };
    // Rule 2 holds for the returned state too: "SndUna <= SndNxt <= SndMax".
    if !(s.snd_una <= s.snd_nxt && s.snd_nxt <= s.snd_max) {
        return Err(v(2, "returned SndUna <= SndNxt <= SndMax does not hold".into()));
    }
    let (outstanding, f) = outstanding_data(s, &b.consts);
    match &b.chain {
        // Rule 31: "The first byte of the returned chain is sequence SndUna".
        Some(chain) if chain.front_offset() != b.consts.snd_una_offset => {
            return Err(v(
                31,
                format!(
                    "returned chain starts at stream offset {}, SndUna is at {}",
                    chain.front_offset(),
                    b.consts.snd_una_offset
                ),
            ));
        }
        // Rule 31: "NetBufferListChain non-NULL" means it holds data.
        Some(chain) if chain.is_empty() => {
            return Err(v(31, "returned chain present but holds no data".into()));
        }
        Some(chain) if chain.len() < outstanding.saturating_sub(f) => {
            return Err(v(
                31,
                format!(
                    "returned chain holds {} bytes but SndMax - SndUna - F = {}",
                    chain.len(),
                    outstanding - f
                ),
            ));
        }
        // Rule 31: "with no outstanding data the chain must be NULL" (and conversely).
        None if outstanding > f => {
            return Err(v(31, format!("chain NULL but {outstanding} bytes outstanding")));
        }
        _ => {}
    }
    // Rule 33 (with rule 5's convention): "TimeoutDelta -1 if the timer was off", which it may
    // not be while data is outstanding into an open window.
    if outstanding > f && s.snd_wnd > 0 && s.retransmit.timeout_delta == TIMER_OFF {
        return Err(v(
            33,
            "data outstanding but the returned TimeoutDelta is off (-1)".into(),
        ));
    }
    Ok(())
}

/// The §3 checks on an InitiateOffload block (rules 1–5).
pub fn check_offload_block(b: &OffloadBlock, now: SimTime) -> Result<(), RuleViolation> {
    let s = &b.state;
    let v = |rule: u8, message: String| RuleViolation {
        rule,
        time: now,
        conn: b.conn,
        seq: (s.snd_una, s.snd_nxt, s.snd_max),
        message,
    };
    use TcpState::*;
    // Rule 1: "State is one of Established, FinWait1, FinWait2, CloseWait, Closing, LastAck".
    if !matches!(
        s.state,
        Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck
    ) {
        return Err(v(1, format!("state {:?} cannot be offloaded", s.state)));
    }
    // Rule 2: "SndUna <= SndNxt <= SndMax".
    if !(s.snd_una <= s.snd_nxt && s.snd_nxt <= s.snd_max) {
        return Err(v(2, "SndUna <= SndNxt <= SndMax does not hold".into()));
    }
    // Rules 3–4: F = 1 if a FIN was sent and is unacked (FinWait1/Closing/LastAck).
    let (outstanding, f) = outstanding_data(s, &b.consts);
    match &b.chain {
        Some(chain) => {
            // Rule 3: "chain bytes C >= (SndMax - SndUna) - F".
            if chain.len() < outstanding.saturating_sub(f) {
                return Err(v(
                    3,
                    format!(
                        "chain holds {} bytes but SndMax - SndUna - F = {}",
                        chain.len(),
                        outstanding - f
                    ),
                ));
            }
            if chain.is_empty() {
                return Err(v(
                    3,
                    "chain present but holds no data (SendDataHead must be a buffer with data)".into(),
                ));
            }
        }
        // Rule 4: "Chain NULL => SndMax - SndUna <= F". Policy: reject (bnxe asserts).
        None if outstanding > f => {
            return Err(v(4, format!("no chain but {outstanding} bytes outstanding")));
        }
        None => {}
    }
    // Rule 5: outstanding data with an open window should carry a finite TimeoutDelta.
    if outstanding > f && s.snd_wnd > 0 && s.retransmit.timeout_delta == TIMER_OFF {
        return Err(v(5, "data outstanding but Retransmit.TimeoutDelta is off (-1)".into()));
    }
    Ok(())
}

/// Rule 33: "TsTime = NicTime + NicDelta", the clock the host handed over (rule 19) carried
/// on, so the returned TsTime is never behind `offloaded_ts_time`, the TsTime of the offload
/// (`None`: no offload block kept, nothing to compare).
pub(crate) fn check_returned_ts_time(
    b: &UploadBlock,
    offloaded_ts_time: Option<u32>,
    now: SimTime,
) -> Result<(), RuleViolation> {
    let s = &b.state;
    match offloaded_ts_time {
        Some(at_offload) if b.consts.timestamps && (s.ts_time.wrapping_sub(at_offload) as i32) < 0 => {
            Err(RuleViolation {
                rule: 33,
                time: now,
                conn: b.conn,
                seq: (s.snd_una, s.snd_nxt, s.snd_max),
                message: format!(
                    "returned TsTime {} is behind the TsTime {} handed over at the offload",
                    s.ts_time, at_offload
                ),
            })
        }
        _ => Ok(()),
    }
}

/// Rule 32 at upload: every byte from the returned SndUna to `posted_end`, the last byte the
/// host ever posted, appears exactly once across the returned `chain` and the `bounced` sends
/// (stream offset, length, buffer; in offset order), and "no NBL holding an unacked byte was
/// completed SUCCESS" (`completed` says whether a buffer already ended: the host asks whether
/// it still holds the buffer as pending, as every buffer returned was posted there).
pub(crate) fn check_returned_data(
    seq: (SeqNum, SeqNum, SeqNum),
    conn: ConnId,
    now: SimTime,
    chain: &SendChain,
    bounced: &[(u64, u64, BufId)],
    completed: impl Fn(BufId) -> bool,
    posted_end: u64,
) -> Result<(), RuleViolation> {
    let violation = |message: String| RuleViolation {
        rule: 32,
        time: now,
        conn,
        seq,
        message,
    };
    let mut expect = chain.end_offset();
    for &(off, len, _) in bounced {
        if off != expect {
            return Err(violation(format!(
                "gap or overlap at stream offset {expect}: next returned/bounced byte is {off}"
            )));
        }
        expect += len;
    }
    let returned = chain
        .buffers()
        .map(|b| b.id)
        .chain(bounced.iter().map(|&(_, _, id)| id));
    if let Some(id) = returned.into_iter().find(|id| completed(*id)) {
        return Err(violation(format!(
            "buffer {} was returned but had already completed (the host no longer holds it as pending)",
            id.0
        )));
    }
    if expect != posted_end {
        return Err(violation(format!(
            "returned data ends at {expect}, the host posted up to {posted_end}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::BufOrigin;
    use bytes::Bytes;

    /// A returned chain holding buffers 1 and 2 (100 bytes each) from stream offset 1000.
    fn returned_chain() -> SendChain {
        let mut chain = SendChain::starting_at(1000);
        chain.push(BufId(1), Bytes::from(vec![0; 100]), BufOrigin::ReturnedAtUpload);
        chain.push(BufId(2), Bytes::from(vec![0; 100]), BufOrigin::ReturnedAtUpload);
        chain
    }

    fn check(bounced: &[(u64, u64, BufId)], completed: &[u64], posted_end: u64) -> Result<(), RuleViolation> {
        let seq = (SeqNum(0), SeqNum(0), SeqNum(0));
        let done = |id: BufId| completed.contains(&id.0);
        check_returned_data(
            seq,
            ConnId(7),
            SimTime::ZERO,
            &returned_chain(),
            bounced,
            done,
            posted_end,
        )
    }

    //= spec/chimney.md rule 32
    #[test]
    fn rule_32_returned_chain_and_bounced_sends_covering_every_posted_byte_pass() {
        assert_eq!(check(&[(1200, 50, BufId(3))], &[], 1250), Ok(()));
    }

    //= spec/chimney.md rule 32 ("exactly once")
    #[test]
    fn rule_32_gap_between_returned_chain_and_bounced_send_is_a_violation() {
        let v = check(&[(1210, 40, BufId(3))], &[], 1250).unwrap_err();
        assert_eq!(v.rule, 32);
        assert!(
            v.message.contains("gap or overlap at stream offset 1200"),
            "{}",
            v.message
        );
    }

    //= spec/chimney.md rule 32 ("no NBL holding an unacked byte was completed SUCCESS")
    #[test]
    fn rule_32_returned_buffer_that_already_completed_is_a_violation() {
        let v = check(&[(1200, 50, BufId(3))], &[2], 1250).unwrap_err();
        assert_eq!(v.rule, 32);
        assert!(v.message.contains("buffer 2 was returned"), "{}", v.message);
    }

    //= spec/chimney.md rule 32 (every byte up to the last one posted)
    #[test]
    fn rule_32_returned_data_short_of_what_the_host_posted_is_a_violation() {
        let v = check(&[], &[], 1250).unwrap_err();
        assert_eq!(v.rule, 32);
        assert!(
            v.message
                .contains("returned data ends at 1200, the host posted up to 1250"),
            "{}",
            v.message
        );
    }
}
