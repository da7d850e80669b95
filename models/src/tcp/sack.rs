//! The sender's SACK scoreboard and RFC 6675 loss recovery: which bytes the receiver holds out
//! of order (RFC 2018 blocks), `IsLost`, `SetPipe` and `NextSeg`, and the recovery loop that
//! sends while `cwnd - pipe >= SMSS`.
//!
//! Read first: RFC 6675 §2-5 (definitions, `IsLost`, `SetPipe`, `NextSeg`, the algorithm),
//! RFC 2018 §8 ("After a retransmit timeout the data sender SHOULD turn off all of the SACKed
//! bits, since the timeout might indicate that the data receiver has reneged").
//!
//! The scoreboard is kept in *stream offsets* (`u64`), like the send chain, so it never compares
//! wrapped sequence numbers; blocks are clipped to `[SND.UNA, SND.MAX)` as they arrive, so its
//! size follows the data in flight. HighACK is the chain's front offset, HighData the offset of
//! SND.MAX; RecoveryPoint is NewReno's `recover` (the same variable, RFC 6675 §5 step 4.1).
//!
//! What it models: `Update()`, `IsLost()`, `SetPipe()`, `NextSeg()` rules (1) to (3), entering
//! recovery on DupThresh duplicate ACKs or `IsLost(HighACK + 1)`, `cwnd = ssthresh` for the whole
//! recovery (no inflation or deflation), leaving it on a cumulative ACK beyond RecoveryPoint,
//! clearing the scoreboard after a retransmission timeout.
//! What it does not model (a test could tell): the optional rescue retransmission (NextSeg rule
//! (4)), limited transmit (RFC 3042), D-SACK (RFC 2883; blocks below SND.UNA are ignored),
//! RACK-TLP. The scoreboard does not move at a handover (spec/chimney.md §1 carries no SACK
//! state): a handed-over connection starts with an empty one, and a recovery in progress
//! finishes as NewReno.

use super::conn::TcpConnection;
use crate::segment::{SendCause, TcpOptions};
use sim_core::SimTime;
use std::collections::BTreeMap;

/// What `NextSeg()` chose to send (RFC 6675 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextSeg {
    /// Rule (1) or (3): resend `len` bytes from stream offset `off` (a hole in the scoreboard).
    Retransmit {
        /// Stream offset of the first byte.
        off: u64,
        /// Bytes (at most SMSS, never into SACKed data).
        len: u32,
    },
    /// Rule (2): previously unsent data from HighData.
    NewData,
    /// Nothing to send.
    Nothing,
}

/// The sender's record of SACKed data (RFC 6675 §3 "scoreboard") and its recovery state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scoreboard {
    /// SACKed ranges: start offset → end offset (exclusive); disjoint and never adjacent.
    sacked: BTreeMap<u64, u64>,
    /// HighRxt as an exclusive bound: one past the highest byte retransmitted in this recovery.
    pub high_rxt: u64,
    /// In RFC 6675 loss recovery (entered with SACK in use).
    pub in_recovery: bool,
}

impl Scoreboard {
    /// RFC 6675 `Update()`: marks `[lo, hi)` SACKed; returns how many bytes were not before.
    pub fn update(&mut self, lo: u64, hi: u64) -> u64 {
        if lo >= hi {
            return 0;
        }
        let (mut start, mut end) = (lo, hi);
        let before = self.sacked_in(lo, hi);
        // Merge every range that overlaps or touches [lo, hi).
        let touching: Vec<(u64, u64)> = self
            .sacked
            .range(..=hi)
            .rev()
            .take_while(|(_, e)| **e >= lo)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.sacked.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        self.sacked.insert(start, end);
        (hi - lo) - before
    }

    /// Forgets everything below `off` (the new HighACK after a cumulative ACK).
    pub fn trim_below(&mut self, off: u64) {
        let straddling = self
            .sacked
            .range(..off)
            .next_back()
            .map(|(_, e)| *e)
            .filter(|e| *e > off);
        self.sacked = self.sacked.split_off(&off);
        if let Some(end) = straddling {
            self.sacked.insert(off, end);
        }
        self.high_rxt = self.high_rxt.max(off);
    }

    /// Forgets all SACK information and leaves recovery (RFC 2018 §8, after a timeout).
    pub fn clear(&mut self) {
        *self = Scoreboard::default();
    }

    /// SACKed ranges held.
    pub fn len(&self) -> usize {
        self.sacked.len()
    }

    /// True when nothing is SACKed.
    pub fn is_empty(&self) -> bool {
        self.sacked.is_empty()
    }

    /// SACKed bytes within `[lo, hi)`.
    pub fn sacked_in(&self, lo: u64, hi: u64) -> u64 {
        if lo >= hi {
            return 0;
        }
        let first = self.sacked.range(..lo).next_back().map(|(s, e)| (*s, *e));
        first
            .into_iter()
            .chain(self.sacked.range(lo..hi).map(|(s, e)| (*s, *e)))
            .map(|(s, e)| e.min(hi).saturating_sub(s.max(lo)))
            .sum()
    }

    /// One past the highest SACKed byte.
    pub fn highest_sacked(&self) -> Option<u64> {
        self.sacked.values().next_back().copied()
    }

    /// The `IsLost` boundary: every un-SACKed byte below it is lost, none above it is.
    ///
    /// RFC 6675 §4 `IsLost(SeqNum)`: "This routine returns whether the given sequence number is
    /// considered to be lost. The routine returns true when either DupThresh discontiguous
    /// SACKed sequences have arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes
    /// with sequence numbers greater than 'SeqNum' have been SACKed." For an un-SACKed byte both
    /// counts only change at the start of a SACKed range, so the boundary is the start of the
    /// highest range at which either holds, scanning down from the top.
    pub fn lost_below(&self, dup_thresh: u32, smss: u32) -> Option<u64> {
        let limit = u64::from(dup_thresh.saturating_sub(1)) * u64::from(smss);
        let mut bytes = 0u64;
        for (count, (s, e)) in self.sacked.iter().rev().enumerate() {
            bytes += e - s;
            if count + 1 >= dup_thresh as usize || bytes > limit {
                return Some(*s);
            }
        }
        None
    }

    /// RFC 6675 `IsLost` for the byte at `off` (false for SACKed bytes).
    pub fn is_lost(&self, off: u64, dup_thresh: u32, smss: u32) -> bool {
        self.lost_below(dup_thresh, smss).is_some_and(|l| off < l) && self.sacked_in(off, off + 1) == 0
    }

    /// RFC 6675 `SetPipe()` over `[una, max)` (HighACK to HighData): "(a) If IsLost (S1)
    /// returns false: Set 'pipe' to 'pipe' + 1. ... (b) If S1 <= HighRxt: Set 'pipe' to 'pipe'
    /// + 1." for every un-SACKed octet S1 [bytes].
    pub fn pipe(&self, una: u64, max: u64, dup_thresh: u32, smss: u32) -> u64 {
        let unsacked = |lo: u64, hi: u64| hi.saturating_sub(lo) - self.sacked_in(lo, hi);
        let lost_end = self.lost_below(dup_thresh, smss).unwrap_or(una).clamp(una, max);
        let not_lost = unsacked(una, max) - unsacked(una, lost_end);
        let retransmitted = unsacked(una, self.high_rxt.clamp(una, max));
        not_lost + retransmitted
    }

    /// The first un-SACKed range at or above `from` and below `below`, cut at `smss` bytes.
    fn first_hole(&self, from: u64, below: u64, smss: u32) -> Option<(u64, u32)> {
        let mut at = from;
        if let Some((_, &e)) = self.sacked.range(..=at).next_back()
            && e > at
        {
            at = e;
        }
        if at >= below {
            return None;
        }
        let hole_end = self.sacked.range(at..).next().map_or(below, |(s, _)| *s).min(below);
        Some((at, (hole_end - at).min(u64::from(smss)) as u32))
    }

    /// RFC 6675 §4 `NextSeg()` over `[una, max)`; `new_data` says whether rule (2) may send
    /// ("there exists available unsent data and the receiver's advertised window allows").
    pub fn next_seg(&self, una: u64, max: u64, new_data: bool, dup_thresh: u32, smss: u32) -> NextSeg {
        let from = self.high_rxt.max(una);
        // (1) "the first sequence number that is not covered by a SACK and is greater than
        // HighRxt [and] IsLost (S2) returns true."
        if let Some(lost_end) = self.lost_below(dup_thresh, smss)
            && let Some((off, len)) = self.first_hole(from, lost_end.min(max), smss)
        {
            return NextSeg::Retransmit { off, len };
        }
        // (2) "If no sequence number 'S2' per rule (1) exists but there exists available unsent
        // data and the receiver's advertised window allows, ... previously unsent data"
        if new_data {
            return NextSeg::NewData;
        }
        // (3) "If the conditions for rules (1) and (2) fail, but there exists an unSACKed
        // sequence number 'S3' meeting the criteria for detecting loss given in steps (1.a) and
        // (1.b) above (specifically excluding step (1.c)), then one segment of up to SMSS
        // octets starting with S3 SHOULD be returned."
        if let Some(top) = self.highest_sacked()
            && let Some((off, len)) = self.first_hole(from, top.min(max), smss)
        {
            return NextSeg::Retransmit { off, len };
        }
        NextSeg::Nothing
    }
}

impl TcpConnection {
    /// RFC 6675 `Update()` with the blocks of an arriving ACK: blocks are clipped to
    /// `[SND.UNA, SND.MAX)` and converted to stream offsets; blocks wholly outside (D-SACK,
    /// RFC 2883, or garbage) are ignored. Returns the newly SACKed bytes.
    pub(super) fn sack_update(&mut self, opts: &TcpOptions) -> u64 {
        let mut newly = 0;
        for &(left, right) in &opts.sack_blocks {
            let lo = left.max(self.snd.snd_una);
            let hi = if right > self.snd.snd_max {
                self.snd.snd_max
            } else {
                right
            };
            if left >= right || lo >= hi {
                continue;
            }
            let (lo, hi) = (self.offset_of(lo), self.offset_of(hi));
            newly += self.sack.update(lo, hi);
        }
        newly
    }

    /// True when `IsLost(HighACK + 1)`: enough SACKed data above SND.UNA to call it lost
    /// (RFC 6675 §5 step (4): an ACK may start recovery before DupThresh duplicate ACKs).
    pub(super) fn sack_first_lost(&self) -> bool {
        let una = self.chain.front_offset();
        self.sack.is_lost(una, self.cfg.dupack_threshold, self.snd.smss)
    }

    /// RFC 6675 §5 step (C): "If cwnd - pipe >= 1 SMSS, the sender SHOULD transmit one or more
    /// segments" chosen by `NextSeg()`, each adding its length to pipe, until it no longer holds.
    pub(super) fn sack_send(&mut self, now: SimTime, out: &mut super::Output) {
        let (thresh, smss) = (self.cfg.dupack_threshold, self.snd.smss);
        loop {
            let una = self.chain.front_offset();
            let max = self.offset_of(self.snd.snd_max);
            let pipe = self.sack.pipe(una, max, thresh, smss);
            if u64::from(self.cc.cwnd) < pipe + u64::from(smss) {
                return;
            }
            let data_end = self.data_end();
            let right = self.snd.snd_una.add(self.snd.snd_wnd);
            let avail = data_end.since(self.snd.snd_max).unwrap_or(0);
            let usable = right.since(self.snd.snd_max).unwrap_or(0);
            let new_len = avail.min(usable).min(smss);
            match self.sack.next_seg(una, max, new_len > 0, thresh, smss) {
                NextSeg::Retransmit { off, len } => {
                    // (C.2) "HighRxt MUST be set to the highest sequence number of the
                    // retransmitted segment".
                    self.sack.high_rxt = self.sack.high_rxt.max(off + u64::from(len));
                    let seq = self.snd.snd_una.add((off - una) as u32);
                    // A FIN already sent rides again on the segment that reaches it.
                    let fin = self.snd.fin_queued && self.snd.snd_max > data_end && seq.add(len) == data_end;
                    self.send_data(now, seq, len, fin, SendCause::SackRecovery, out);
                }
                NextSeg::NewData => {
                    // (C.3) "HighData must be updated to reflect the transmission of previously
                    // unsent data" (send_data moves SND.MAX).
                    let fin = self.snd.fin_queued && self.snd.snd_max.add(new_len) == data_end;
                    self.send_data(now, self.snd.snd_max, new_len, fin, SendCause::NewData, out);
                }
                NextSeg::Nothing => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;
    const M: u64 = MSS as u64;

    fn board(ranges: &[(u64, u64)]) -> Scoreboard {
        let mut b = Scoreboard::default();
        for &(lo, hi) in ranges {
            b.update(lo * M, hi * M);
        }
        b
    }

    #[test]
    fn update_merges_and_counts_new_bytes_and_trim_forgets_acknowledged_ones() {
        let mut b = Scoreboard::default();
        assert_eq!(b.update(3 * M, 5 * M), 2 * M);
        assert_eq!(b.update(7 * M, 8 * M), M);
        assert_eq!(b.update(4 * M, 6 * M), M, "only [5, 6) is new");
        assert_eq!(b.update(6 * M, 7 * M), M, "touching ranges merge");
        assert_eq!(b.len(), 1);
        assert_eq!(b.update(3 * M, 8 * M), 0, "a repeated block is not new");
        assert_eq!(b.sacked_in(0, 10 * M), 5 * M);
        b.trim_below(4 * M);
        assert_eq!((b.sacked_in(0, 10 * M), b.len()), (4 * M, 1));
        b.trim_below(9 * M);
        assert!(b.is_empty());
    }

    //= https://www.rfc-editor.org/rfc/rfc6675#section-4
    //= type=test
    //# The routine returns true when either DupThresh discontiguous SACKed sequences have
    //# arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with sequence numbers
    //# greater than 'SeqNum' have been SACKed.
    #[test]
    fn is_lost_by_three_discontiguous_blocks_or_more_than_two_smss() {
        // Two SMSS SACKed above: not yet (needs more than (3 - 1) * SMSS).
        let b = board(&[(1, 3)]);
        assert!(!b.is_lost(0, 3, MSS));
        // Three SMSS above: lost.
        let b = board(&[(1, 4)]);
        assert!(b.is_lost(0, 3, MSS));
        assert!(!b.is_lost(2 * M, 3, MSS), "SACKed bytes are never lost");
        // Three one-byte blocks above: lost by the discontiguity count.
        let mut b = Scoreboard::default();
        for k in [2, 4, 6] {
            b.update(k * M, k * M + 1);
        }
        assert!(b.is_lost(0, 3, MSS) && b.is_lost(M, 3, MSS));
        assert!(!b.is_lost(3 * M, 3, MSS), "only two blocks above");
    }

    //= https://www.rfc-editor.org/rfc/rfc6675#section-4
    //= type=test
    //# (a) If IsLost (S1) returns false: Set 'pipe' to 'pipe' + 1.
    //# (b) If S1 <= HighRxt: Set 'pipe' to 'pipe' + 1.
    #[test]
    fn pipe_counts_unsacked_not_lost_and_retransmitted_bytes() {
        // 10 segments out; 0 and 5 missing, 1-4 and 6-9 SACKed: both holes are lost.
        let mut b = board(&[(1, 5), (6, 10)]);
        assert_eq!(b.pipe(0, 10 * M, 3, MSS), 0);
        b.high_rxt = M;
        assert_eq!(b.pipe(0, 10 * M, 3, MSS), M, "segment 0 was resent");
        // Segment 10 sent after: not lost, in the pipe.
        assert_eq!(b.pipe(0, 11 * M, 3, MSS), 2 * M);
    }

    //= https://www.rfc-editor.org/rfc/rfc6675#section-4
    //= type=test
    //# (1.a) S2 is greater than HighRxt. (1.b) S2 is less than the highest octet covered by any
    //# received SACK. (1.c) IsLost (S2) returns true.
    #[test]
    fn next_seg_prefers_lost_holes_then_new_data_then_unsacked_holes() {
        let mut b = board(&[(1, 2), (3, 6)]);
        // Holes at 0 and 2, both lost (three SMSS SACKed above 2).
        assert_eq!(
            b.next_seg(0, 6 * M, true, 3, MSS),
            NextSeg::Retransmit { off: 0, len: MSS }
        );
        b.high_rxt = M;
        assert_eq!(
            b.next_seg(0, 6 * M, true, 3, MSS),
            NextSeg::Retransmit { off: 2 * M, len: MSS }
        );
        b.high_rxt = 3 * M;
        assert_eq!(b.next_seg(0, 6 * M, true, 3, MSS), NextSeg::NewData);
        assert_eq!(b.next_seg(0, 6 * M, false, 3, MSS), NextSeg::Nothing);
        // Rule (3): a hole below the highest SACK that is not (yet) lost, when no new data.
        let b = board(&[(2, 3)]);
        assert_eq!(b.next_seg(0, 4 * M, true, 3, MSS), NextSeg::NewData);
        assert_eq!(
            b.next_seg(0, 4 * M, false, 3, MSS),
            NextSeg::Retransmit { off: 0, len: MSS }
        );
    }
}
