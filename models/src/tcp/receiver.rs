//! The receive side: out-of-order reassembly, in-order delivery, the advertised window and the
//! delayed-ACK decision (RFC 793 §3.7 and §3.9, RFC 1122 §4.2.3.2-3, RFC 5681 §4.2), plus the
//! RFC 2018 SACK blocks a receiver reports.
//!
//! Data is addressed by receive *stream offset* (`u64`, byte 0 is the peer's first data byte),
//! so the reassembly queue never compares wrapped sequence numbers. Memory is bounded by the
//! advertised window: bytes beyond it are trimmed before they are queued.
//!
//! What it models: an application that reads everything delivered at once unless reading is
//! paused (then delivered bytes occupy the buffer and close the window). What it does not model:
//! reneging on SACKed data, D-SACK (RFC 2883), receive-buffer auto-tuning, PAWS.

use super::tcb::ReceiveSequence;
use crate::seq::SeqNum;
use bytes::Bytes;
use std::collections::BTreeMap;

/// How urgently the arriving segment must be acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckUrgency {
    /// In-order data: may be delayed (RFC 1122 §4.2.3.2).
    Delayed,
    /// Out-of-order, gap-filling, duplicate or FIN: acknowledge at once (RFC 5681 §4.2).
    Now,
}

/// What one segment's payload did at the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataOutcome {
    /// How to acknowledge it.
    pub urgency: AckUrgency,
    /// The peer's FIN was reached in order (RCV.NXT now covers it).
    pub fin: bool,
    /// All of the payload had been received before.
    pub duplicate: bool,
    /// Payload bytes not kept because they lie beyond the advertised window (stream offsets,
    /// `[from, to)`), e.g. a zero-window probe.
    pub discarded: Option<(u64, u64)>,
}

/// The receive state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Receiver {
    /// RCV.NXT: the next sequence number expected.
    pub rcv_nxt: SeqNum,
    /// The right edge of the window last advertised (RCV.NXT + RCV.WND at that time); it never
    /// moves left (RFC 793 §3.7 discourages shrinking the window).
    pub rcv_adv: SeqNum,
    /// Stream offset of RCV.NXT: bytes delivered in order so far.
    pub delivered: u64,
    /// Out-of-order bytes by stream offset, non-overlapping.
    ooo: BTreeMap<u64, Bytes>,
    /// Stream offset of the peer's FIN, once seen (possibly out of order).
    fin_at: Option<u64>,
    /// The peer's FIN has been consumed (RCV.NXT is past it).
    pub fin_received: bool,
    /// Delivered bytes the application has not read yet (only while reading is paused).
    pub unread: u64,
    /// The application reads delivered data at once.
    pub reading: bool,
    /// One stream offset in each out-of-order block, ordered by the block's most recent
    /// arrival, newest first (for the order of SACK blocks, RFC 2018 §4). Bounded by the number
    /// of blocks, which the window bounds.
    recent: Vec<u64>,
}

impl Receiver {
    /// A receiver whose next expected sequence number is `rcv_nxt` at stream offset `delivered`.
    pub fn new(rcv_nxt: SeqNum, delivered: u64) -> Self {
        Receiver {
            rcv_nxt,
            rcv_adv: rcv_nxt,
            delivered,
            reading: true,
            ..Self::default()
        }
    }

    /// A receiver continuing a handed-over connection ([`crate::tcp::Tcb::rcv`]): nothing held
    /// out of order (receive-side chimney is not modelled), nothing unread.
    pub fn resume(seq: &ReceiveSequence) -> Self {
        Receiver {
            rcv_adv: seq.rcv_adv.max(seq.rcv_nxt),
            fin_received: seq.peer_fin,
            ..Receiver::new(seq.rcv_nxt, seq.rcv_delivered)
        }
    }

    /// The receive sequence variables a handover moves, with our window shift `rcv_wscale`.
    pub fn sequence(&self, rcv_wscale: u8) -> ReceiveSequence {
        ReceiveSequence {
            rcv_nxt: self.rcv_nxt,
            rcv_adv: self.rcv_adv,
            rcv_wscale,
            rcv_delivered: self.delivered,
            peer_fin: self.fin_received,
        }
    }

    /// Free buffer space [bytes]: what may be advertised.
    pub fn free_space(&self, buffer: u32) -> u32 {
        u64::from(buffer).saturating_sub(self.unread) as u32
    }

    /// RCV.WND: the window the peer was last told, from RCV.NXT to the advertised right edge.
    pub fn rcv_wnd(&self) -> u32 {
        self.rcv_adv.since(self.rcv_nxt).unwrap_or(0)
    }

    /// Bytes held out of order.
    pub fn ooo_bytes(&self) -> u64 {
        self.ooo.values().map(|b| b.len() as u64).sum()
    }

    /// RFC 793 §3.3 segment acceptability test, with the allowance (RFC 793 §3.9: "special
    /// allowance should be made to accept valid ACKs, URGs and RSTs") for segments exactly at
    /// RCV.NXT when the window is zero.
    pub fn acceptable(&self, seq: SeqNum, seq_len: u32) -> bool {
        let wnd = self.rcv_wnd();
        let in_window = |s: SeqNum| s.since(self.rcv_nxt).is_some_and(|d| d < wnd);
        match (seq_len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => in_window(seq),
            (_, 0) => seq == self.rcv_nxt,
            (_, _) => in_window(seq) || in_window(seq.add(seq_len - 1)),
        }
    }

    /// The payload bytes at or above RCV.NXT of a `len`-byte segment at `seq` that fails the
    /// acceptability test: they are not kept (stream offsets, `[from, to)`).
    pub fn unacceptable_payload(&self, seq: SeqNum, len: u32) -> Option<(u64, u64)> {
        let rel = i64::from(seq.0.wrapping_sub(self.rcv_nxt.0) as i32);
        let start = self.delivered as i64 + rel;
        let end = start + i64::from(len);
        (len > 0 && end > self.delivered as i64).then(|| (start.max(self.delivered as i64) as u64, end as u64))
    }

    /// Takes the payload (and FIN) of an acceptable segment: trims it to the window, delivers
    /// what is in order into `delivered`, queues the rest.
    pub fn on_data(
        &mut self,
        seq: SeqNum,
        payload: Bytes,
        fin: bool,
        delivered: &mut Vec<(u64, Bytes)>,
    ) -> DataOutcome {
        let had_gap = !self.ooo.is_empty();
        // Offset of the segment's first byte relative to RCV.NXT, signed (it may start before).
        let rel = i64::from(seq.0.wrapping_sub(self.rcv_nxt.0) as i32);
        let start = self.delivered as i64 + rel;
        let end = start + payload.len() as i64;
        let right = self.delivered + u64::from(self.rcv_wnd());
        let lo = start.max(self.delivered as i64) as u64;
        let hi = (end.max(lo as i64) as u64).min(right.max(lo));
        let duplicate = !payload.is_empty() && end <= self.delivered as i64;
        // The FIN survives trimming only if no payload byte was cut at the right edge.
        if fin && end >= 0 && (end as u64) <= right && end as u64 >= self.delivered {
            self.fin_at = Some(end as u64);
        }
        let in_order = lo == self.delivered;
        if hi > lo {
            let piece = payload.slice((lo as i64 - start) as usize..(hi as i64 - start) as usize);
            if in_order {
                self.deliver(piece, delivered);
            } else {
                self.insert_ooo(lo, piece);
                // One entry per block, newest first: the block this segment joined (perhaps
                // merging two) moves to the front; every other block keeps its place.
                if let Some((b_lo, b_hi)) = self.block_around(lo) {
                    self.recent.retain(|&o| !(b_lo <= o && o < b_hi));
                }
                self.recent.insert(0, lo);
            }
        }
        self.drain_in_order(delivered);
        let fin_now = !self.fin_received && self.fin_at == Some(self.delivered);
        if fin_now {
            self.fin_received = true;
            self.rcv_nxt = self.rcv_nxt.add(1);
        }
        // RFC 5681 §4.2: "an ACK SHOULD be generated ... Out-of-order data segments SHOULD be
        // acknowledged immediately ... a TCP receiver SHOULD send an immediate ACK when the
        // incoming segment fills in all or part of a gap in the sequence space."
        let urgency = if duplicate || !in_order || had_gap || fin_now || hi == lo {
            AckUrgency::Now
        } else {
            AckUrgency::Delayed
        };
        DataOutcome {
            urgency,
            fin: fin_now,
            duplicate,
            discarded: (end > right as i64).then(|| ((start.max(right as i64)) as u64, end as u64)),
        }
    }

    fn deliver(&mut self, piece: Bytes, delivered: &mut Vec<(u64, Bytes)>) {
        let n = piece.len() as u32;
        delivered.push((self.delivered, piece));
        self.delivered += u64::from(n);
        self.rcv_nxt = self.rcv_nxt.add(n);
        if !self.reading {
            self.unread += u64::from(n);
        }
    }

    fn drain_in_order(&mut self, delivered: &mut Vec<(u64, Bytes)>) {
        while let Some(entry) = self.ooo.first_entry() {
            let off = *entry.key();
            if off > self.delivered {
                break;
            }
            let data = entry.remove();
            let end = off + data.len() as u64;
            if end > self.delivered {
                let piece = data.slice((self.delivered - off) as usize..);
                self.deliver(piece, delivered);
            }
        }
        let d = self.delivered;
        self.recent.retain(|&o| o > d);
    }

    /// Queues `[lo, lo + data.len())`, keeping bytes already queued (first copy wins).
    fn insert_ooo(&mut self, lo: u64, data: Bytes) {
        let hi = lo + data.len() as u64;
        let mut at = lo;
        // Start from the piece that may cover `lo`.
        let prev = self.ooo.range(..=lo).next_back().map(|(k, v)| (*k, k + v.len() as u64));
        if let Some((_, pend)) = prev
            && pend > at
        {
            at = pend;
        }
        let later: Vec<(u64, u64)> = self.ooo.range(lo..hi).map(|(k, v)| (*k, k + v.len() as u64)).collect();
        for (k, kend) in later {
            if k > at {
                let s = (at - lo) as usize;
                let e = (k.min(hi) - lo) as usize;
                self.ooo.insert(at, data.slice(s..e));
            }
            at = at.max(kend);
        }
        if at < hi {
            self.ooo.insert(at, data.slice((at - lo) as usize..));
        }
    }

    /// The contiguous out-of-order block containing stream offset `off`.
    fn block_around(&self, off: u64) -> Option<(u64, u64)> {
        let (&k, v) = self.ooo.range(..=off).next_back()?;
        if k + v.len() as u64 <= off {
            return None;
        }
        let (mut lo, mut hi) = (k, k + v.len() as u64);
        for (&pk, pv) in self.ooo.range(..k).rev() {
            if pk + pv.len() as u64 == lo {
                lo = pk;
            } else {
                break;
            }
        }
        for (&nk, nv) in self.ooo.range(hi..) {
            if nk == hi {
                hi = nk + nv.len() as u64;
            } else {
                break;
            }
        }
        Some((lo, hi))
    }

    /// RFC 2018 §4 SACK blocks, at most `max`: "The first SACK block ... MUST specify the
    /// contiguous block of data containing the segment which triggered this ACK"; "The data
    /// receiver SHOULD include as many distinct SACK blocks as possible", the others in the
    /// order of their most recent arrival, so the most recently reported come first.
    pub fn sack_blocks(&self, max: usize) -> Vec<(SeqNum, SeqNum)> {
        let mut blocks: Vec<(u64, u64)> = Vec::new();
        // Every block has its entry in `recent`: blocks only grow, merge or are delivered.
        for b in self.recent.iter().filter_map(|&o| self.block_around(o)) {
            if blocks.len() == max {
                break;
            }
            if !blocks.contains(&b) {
                blocks.push(b);
            }
        }
        let to_seq = |o: u64| self.rcv_nxt.add((o - self.delivered) as u32);
        blocks.into_iter().map(|(lo, hi)| (to_seq(lo), to_seq(hi))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx() -> Receiver {
        let mut r = Receiver::new(SeqNum(u32::MAX - 4), 0);
        r.rcv_adv = r.rcv_nxt.add(100);
        r
    }

    fn bytes(from: u8, n: u8) -> Bytes {
        Bytes::from((from..from + n).collect::<Vec<u8>>())
    }

    #[test]
    fn out_of_order_segments_are_reassembled_across_the_wrap() {
        let mut r = rx();
        let base = r.rcv_nxt;
        let mut out = Vec::new();
        let o = r.on_data(base.add(10), bytes(10, 10), false, &mut out);
        assert_eq!(o.urgency, AckUrgency::Now, "out of order: immediate ACK");
        assert!(out.is_empty());
        let o = r.on_data(base.add(5), bytes(5, 10), false, &mut out);
        assert_eq!(o.urgency, AckUrgency::Now);
        assert_eq!(r.sack_blocks(4), vec![(base.add(5), base.add(20))]);
        let o = r.on_data(base, bytes(0, 5), false, &mut out);
        assert_eq!(o.urgency, AckUrgency::Now, "fills the gap: immediate ACK");
        let all: Vec<u8> = out.iter().flat_map(|(_, b)| b.to_vec()).collect();
        assert_eq!(all, (0..20).collect::<Vec<u8>>());
        assert_eq!(r.rcv_nxt, base.add(20));
        assert_eq!(r.ooo_bytes(), 0);
        let o = r.on_data(base.add(20), bytes(20, 5), false, &mut out);
        assert_eq!(o.urgency, AckUrgency::Delayed);
        let o = r.on_data(base.add(3), bytes(3, 5), false, &mut out);
        assert!(o.duplicate);
    }

    //= https://www.rfc-editor.org/rfc/rfc2018#section-4
    //= type=test
    //# The data receiver SHOULD include as many distinct SACK blocks as possible in the SACK
    //# option. [...] the SACK option SHOULD be filled out by repeating the most recently
    //# reported SACK blocks
    #[test]
    fn sack_blocks_report_older_holes_after_many_segments_into_one_block() {
        let mut r = rx();
        let base = r.rcv_nxt;
        let mut out = Vec::new();
        r.on_data(base.add(10), bytes(10, 5), false, &mut out);
        r.on_data(base.add(50), bytes(50, 5), false, &mut out);
        // Nine segments extend one block: the two older blocks are still holes' right edges.
        for k in 0..9 {
            r.on_data(base.add(30 + k), bytes(30 + k as u8, 1), false, &mut out);
        }
        assert_eq!(
            r.sack_blocks(4),
            vec![
                (base.add(30), base.add(39)),
                (base.add(50), base.add(55)),
                (base.add(10), base.add(15)),
            ],
            "the newest block first, then the other blocks, most recent first"
        );
        assert_eq!(r.sack_blocks(2).len(), 2, "no more than fit");
    }

    #[test]
    fn data_beyond_the_window_is_trimmed_and_its_fin_dropped() {
        let mut r = rx();
        let base = r.rcv_nxt;
        let mut out = Vec::new();
        let o = r.on_data(base.add(90), bytes(0, 20), true, &mut out);
        assert!(!o.fin);
        assert_eq!(r.ooo_bytes(), 10);
        assert!(r.acceptable(base.add(99), 1));
        assert!(!r.acceptable(base.add(100), 1));
        assert!(r.acceptable(base.sub(5), 6), "overlaps rcv_nxt");
    }

    #[test]
    fn fin_in_order_advances_rcv_nxt() {
        let mut r = rx();
        let base = r.rcv_nxt;
        let mut out = Vec::new();
        let o = r.on_data(base.add(5), Bytes::new(), true, &mut out);
        assert!(!o.fin, "FIN beyond a gap waits");
        let o = r.on_data(base, bytes(0, 5), false, &mut out);
        assert!(o.fin);
        assert_eq!(r.rcv_nxt, base.add(6));
    }
}
