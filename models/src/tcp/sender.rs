//! The send side: which segments go out now (windows, sender SWS avoidance, go-back-N resends,
//! FIN), how each is built from the send chain, and the provenance it carries (buffer, region,
//! cause, transmission number, retransmission flag; spec/chimney.md rule 12).
//!
//! Transmission counts are kept per stream-offset *range* in a small interval map ([`TxCounts`])
//! covering only `[snd_una, snd_max)`, so memory follows the data in flight, not the transfer.
//!
//! What it does not model: Nagle, TSO/GSO (one segment per call), pacing, PSH semantics beyond
//! setting it at buffer boundaries (chimney rule 15 recommends that).

use super::TcpState;
use super::conn::TcpConnection;
use crate::segment::{DataSource, Flags, Provenance, Segment, SendCause};
use crate::seq::SeqNum;
use bytes::Bytes;
use sim_core::SimTime;
use std::collections::BTreeMap;

/// At most this many bytes of the send chain are mapped into sequence space at once, so that
/// every sequence comparison stays within 2^31 (RFC 793 §3.3) whatever the application posts.
pub const MAX_MAPPED_DATA: u64 = 1 << 30;

/// How many times each byte in flight was retransmitted, as an interval map over stream
/// offsets: key `k` with value `v` means bytes from `k` up to the next key were sent `v + 1`
/// times. Bytes with no entry below them were sent once (or never, if at or above SND.MAX).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxCounts {
    extra: BTreeMap<u64, u32>,
}

impl TxCounts {
    /// Retransmissions of the byte at stream offset `off` so far.
    pub fn get(&self, off: u64) -> u32 {
        self.extra.range(..=off).next_back().map_or(0, |(_, v)| *v)
    }

    fn split(&mut self, at: u64) {
        let v = self.get(at);
        self.extra.entry(at).or_insert(v);
    }

    /// Records one more transmission of the bytes `[lo, hi)`.
    pub fn record(&mut self, lo: u64, hi: u64) {
        if lo >= hi {
            return;
        }
        self.split(lo);
        self.split(hi);
        for (_, v) in self.extra.range_mut(lo..hi) {
            *v += 1;
        }
    }

    /// Forgets everything below `off` (acknowledged bytes).
    pub fn trim_below(&mut self, off: u64) {
        let v = self.get(off);
        self.extra = self.extra.split_off(&off);
        if v != 0 {
            self.extra.entry(off).or_insert(v);
        }
    }

    /// Entries held (proportional to the retransmitted ranges in flight).
    pub fn len(&self) -> usize {
        self.extra.len()
    }

    /// True when no retransmission is remembered.
    pub fn is_empty(&self) -> bool {
        self.extra.is_empty()
    }
}

impl TcpConnection {
    /// Sequence number one past the last data byte that may be mapped (the FIN's sequence
    /// number once the application closed). Valid in synchronized states before our FIN is
    /// acknowledged.
    pub(super) fn data_end(&self) -> SeqNum {
        self.snd.snd_una.add(self.chain.len().min(MAX_MAPPED_DATA) as u32)
    }

    /// Stream offset of sequence number `seq` (synchronized states; `seq` near SND.UNA).
    pub(super) fn offset_of(&self, seq: SeqNum) -> u64 {
        let d = i64::from(seq.0.wrapping_sub(self.snd.snd_una.0) as i32);
        (self.chain.front_offset() as i64 + d).max(0) as u64
    }

    /// A segment from us to the peer with no payload; `window` and SACK blocks are filled in by
    /// [`TcpConnection::emit`].
    pub(super) fn header(&self, seq: SeqNum, flags: Flags) -> Segment {
        Segment {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq,
            ack: if flags.ack { self.rcv.rcv_nxt } else { SeqNum(0) },
            flags,
            provenance: Provenance {
                conn: self.conn,
                sender: self.sender,
                cause: SendCause::Control,
                ..Provenance::default()
            },
            ..Segment::default()
        }
    }

    /// The window field to advertise now (RFC 7323 §2.3: shifted right by our scale), moving
    /// the advertised right edge forward but never back.
    fn advertise(&mut self) -> u16 {
        let shift = u32::from(self.rcv_wscale);
        let free = self.rcv.free_space(self.cfg.rcv_buffer);
        // Round the old window up, so that rounding never shrinks it (RFC 7323 §2.4).
        let old = self.rcv.rcv_wnd().div_ceil(1 << shift);
        let field = (free >> shift).max(old).min(u32::from(u16::MAX));
        let right = self.rcv.rcv_nxt.add(field << shift);
        if right > self.rcv.rcv_adv {
            self.rcv.rcv_adv = right;
        }
        field as u16
    }

    /// Puts `seg` on the wire: fills in window and SACK blocks; every segment with ACK set
    /// acknowledges everything received, so pending ACK state is cleared.
    pub(super) fn emit(&mut self, mut seg: Segment, out: &mut super::Output) {
        if seg.flags.syn {
            // RFC 7323 §2.2: "The window field in a segment where the SYN bit is set ... MUST
            // NOT be scaled."
            seg.window = self.rcv.free_space(self.cfg.rcv_buffer).min(u32::from(u16::MAX)) as u16;
            self.rcv.rcv_adv = self.rcv.rcv_adv.max(self.rcv.rcv_nxt.add(u32::from(seg.window)));
        } else if seg.flags.ack {
            seg.window = self.advertise();
            if self.snd.sack_permitted {
                // RFC 2018 §3: at most 4 blocks fit in the 40 option bytes, 3 with the 10 bytes
                // (12 with padding) of the Timestamps option.
                seg.options.sack_blocks = self.rcv.sack_blocks(if self.ts_ok { 3 } else { 4 });
            }
        }
        // RFC 7323 §3.2: TSopt "MUST be sent in every non-<RST> segment" once negotiated; a SYN
        // offers it (TSecr 0), a SYN,ACK only if the SYN did. "TSecr ... is only valid if the
        // ACK bit is set".
        let offer = if seg.flags.syn {
            self.cfg.timestamps && (!seg.flags.ack || self.ts_ok)
        } else {
            self.ts_ok
        };
        if offer {
            let echo = if seg.flags.ack { self.ts_recent.unwrap_or(0) } else { 0 };
            seg.options.timestamp = Some((self.ts_clock, echo));
        }
        if seg.flags.ack {
            self.last_ack_sent = seg.ack;
        }
        if seg.flags.ack {
            self.ack_now = false;
            self.unacked_segs = 0;
            self.delayed_ack_at = None;
        }
        self.stats.segments_sent += 1;
        if seg.provenance.is_retransmission {
            self.stats.retransmitted_segments += 1;
        }
        out.segments.push(seg);
    }

    /// Sends SYN (active open) or SYN,ACK (passive open), first time or again.
    pub(super) fn send_syn(&mut self, now: SimTime, out: &mut super::Output) {
        let ack = self.state == TcpState::SynReceived;
        let mut seg = self.header(
            self.iss,
            Flags {
                syn: true,
                ack,
                ..Flags::default()
            },
        );
        seg.options.mss = Some(self.cfg.mss);
        // RFC 7323 §2.2: a SYN,ACK carries the option only if the SYN did.
        let offer = !ack || self.wscale_ok;
        seg.options.window_scale = self.cfg.window_scale.filter(|_| offer).map(|s| s.min(14));
        seg.options.sack_permitted = self.cfg.sack && (!ack || self.snd.sack_permitted);
        seg.provenance.tx_number = self.syn_tx;
        seg.provenance.is_retransmission = self.syn_tx > 0;
        if self.syn_tx == 0 {
            self.rtt.start_timing(self.iss.add(1), now);
        } else {
            seg.provenance.cause = SendCause::Rto;
            self.rtt.cancel_timing();
        }
        self.syn_tx += 1;
        self.snd.snd_nxt = self.iss.add(1);
        self.snd.snd_max = self.iss.add(1);
        if self.retransmit_at.is_none() {
            self.retransmit_at = Some(now + self.rtt.rto);
        }
        self.emit(seg, out);
    }

    /// Sends a pure ACK `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`.
    pub(super) fn send_ack(&mut self, out: &mut super::Output) {
        let seg = self.header(
            self.snd.snd_nxt,
            Flags {
                ack: true,
                ..Flags::default()
            },
        );
        self.emit(seg, out);
    }

    /// Sends `<SEQ=seq><CTL=RST>`, with `<ACK=ack>` and the ACK bit when given.
    pub(super) fn send_rst(&mut self, seq: SeqNum, ack: Option<SeqNum>, out: &mut super::Output) {
        let mut seg = self.header(
            seq,
            Flags {
                rst: true,
                ack: ack.is_some(),
                ..Flags::default()
            },
        );
        seg.ack = ack.unwrap_or(SeqNum(0));
        self.stats.segments_sent += 1;
        out.segments.push(seg);
    }

    /// Sends `len` data bytes starting at `seq` (plus FIN if `fin`), with provenance, and
    /// advances SND.NXT/SND.MAX past it. Starts the retransmission timer if needed.
    pub(super) fn send_data(
        &mut self,
        now: SimTime,
        seq: SeqNum,
        len: u32,
        fin: bool,
        cause: SendCause,
        out: &mut super::Output,
    ) {
        let off = self.offset_of(seq);
        let Some(payload) = self.chain.slice(off, len as usize) else {
            debug_assert!(false, "send_data outside the chain: seq {seq} len {len}");
            return;
        };
        let end = seq.add(len + u32::from(fin));
        let is_retx = seq < self.snd.snd_max;
        let mut seg = self.header(
            seq,
            Flags {
                ack: true,
                fin,
                psh: self.ends_a_buffer(off, len),
                ..Flags::default()
            },
        );
        seg.provenance.is_retransmission = is_retx;
        if is_retx {
            // Chimney rule 12: "a segment counts as retransmitted if it carries at least one
            // octet sent before".
            seg.provenance.tx_number = 1 + self.tx.get(off);
            let sent_before = self
                .offset_of(self.snd.snd_max)
                .min(off + u64::from(len + u32::from(fin)));
            self.tx.record(off, sent_before);
            // RFC 6298 §3 (Karn): "RTT samples MUST NOT be made using segments that were
            // retransmitted".
            self.rtt.cancel_timing();
        } else {
            self.rtt.start_timing(end, now);
        }
        seg.provenance.stream_offset = off;
        if len > 0 {
            seg.provenance.buf = self.chain.buf_at(off).map(|b| b.id);
            seg.provenance.source = self.chain.classify(off);
        } else {
            seg.provenance.source = DataSource::None;
        }
        seg.provenance.cause = if len == 0 && !is_retx {
            SendCause::Control
        } else {
            cause
        };
        seg.payload = payload;
        self.last_data_sent = Some(now);
        self.snd.snd_nxt = self.snd.snd_nxt.max(end);
        self.snd.snd_max = self.snd.snd_max.max(end);
        // RFC 6298 §5.1: "Every time a packet containing data is sent (including a
        // retransmission), if the timer is not running, start it running so that it will
        // expire after RTO seconds"
        if self.retransmit_at.is_none() && self.persist_at.is_none() {
            self.retransmit_at = Some(now + self.rtt.rto);
        }
        self.emit(seg, out);
    }

    /// PSH on the segment that carries the last byte of an application write (chimney rule 15:
    /// "PSH recommended on each NBL boundary"), also when it began in an earlier write.
    fn ends_a_buffer(&self, off: u64, len: u32) -> bool {
        len > 0 && self.chain.contiguous_from(off + u64::from(len) - 1) == 1
    }

    /// Resends the first unacknowledged segment (fast retransmit, NewReno partial ACK), without
    /// sending anything never sent before.
    pub(super) fn retransmit_first(&mut self, now: SimTime, cause: SendCause, out: &mut super::Output) {
        let data_end = self.data_end();
        let data = data_end.since(self.snd.snd_una).unwrap_or(0);
        let sent = self.snd.snd_max.wrapping_since(self.snd.snd_una);
        let len = self.snd.smss.min(data).min(sent);
        let fin = self.snd.fin_queued && sent > data && self.snd.snd_una.add(len) == data_end;
        if len > 0 || fin {
            self.send_data(now, self.snd.snd_una, len, fin, cause, out);
        }
    }

    /// The retransmission after a timeout: one segment from SND.NXT (= SND.UNA after go-back-N),
    /// sent even into a zero window (RFC 1122 §4.2.2.17: "MUST regularly transmit ... even if
    /// the send window is zero").
    pub(super) fn retransmit_on_timeout(&mut self, now: SimTime, out: &mut super::Output) {
        let data_end = self.data_end();
        let avail = data_end.since(self.snd.snd_nxt).unwrap_or(0);
        let len = self.snd.smss.min(avail).min(self.snd.snd_wnd.max(1));
        let fin = self.snd.fin_queued && self.snd.snd_nxt.add(len) == data_end;
        if len > 0 || fin {
            self.send_data(now, self.snd.snd_nxt, len, fin, SendCause::Rto, out);
        }
    }

    /// Sends whatever the windows allow from SND.NXT: go-back-N resends first, then new data,
    /// then the FIN (which needs no window). Returns when nothing more may go.
    pub(super) fn send_window(&mut self, now: SimTime, out: &mut super::Output) {
        self.restart_if_idle(now);
        loop {
            let data_end = self.data_end();
            let wnd = self
                .cc
                .cwnd
                .saturating_add(self.limited_transmit_allowance())
                .min(self.snd.snd_wnd);
            let right = self.snd.snd_una.add(wnd);
            let avail = data_end.since(self.snd.snd_nxt).unwrap_or(0);
            let usable = right.since(self.snd.snd_nxt).unwrap_or(0);
            let len = avail.min(usable).min(self.snd.smss);
            let fin = self.snd.fin_queued && self.snd.snd_nxt.add(len) == data_end;
            if len == 0 && !fin {
                return;
            }
            let resend = self.snd.snd_nxt < self.snd.snd_max;
            // RFC 1122 §4.2.3.4 (sender SWS avoidance): send only if "(1) a maximum-sized segment
            // can be sent", "(2) ... all queued data can be sent now" or "(3) at least a
            // fraction Fs [1/2] of the maximum window can be sent"; (4) is the persist timer.
            let sws_ok = len == self.snd.smss || len == avail || len >= self.snd.max_snd_wnd / 2;
            if len > 0 && !resend && !sws_ok {
                return;
            }
            let cause = if resend { self.resend_cause } else { SendCause::NewData };
            self.send_data(now, self.snd.snd_nxt, len, fin, cause, out);
        }
    }

    /// RFC 3042 §2: "a TCP sender SHOULD send a segment of previously unsent data in response
    /// to each of the first two duplicate ACKs that arrive" if "the amount of outstanding data
    /// would remain less than or equal to the congestion window plus 2*SMSS bytes" and the
    /// receiver's window allows; "The congestion window (cwnd) MUST NOT be changed". The extra
    /// window this grants: one SMSS per duplicate ACK, for new data only.
    fn limited_transmit_allowance(&self) -> u32 {
        let dups = self.cc.dup_acks;
        let on = self.cfg.limited_transmit
            && !self.cc.in_recovery
            && dups > 0
            && dups < self.cfg.dupack_threshold
            && self.snd.snd_nxt == self.snd.snd_max;
        if on { dups.min(2) * self.snd.smss } else { 0 }
    }

    /// RFC 5681 §4.1 restart window: "TCP SHOULD set cwnd to no more than RW before beginning
    /// transmission if the TCP has not sent data in an interval exceeding the retransmission
    /// timeout" (nothing outstanding and data waiting: a sender about to burst).
    fn restart_if_idle(&mut self, now: SimTime) {
        let Some(last) = self.last_data_sent else { return };
        if self.snd.snd_una != self.snd.snd_max || self.data_end() <= self.snd.snd_nxt {
            return;
        }
        let idle = now.saturating_since(last);
        if idle <= self.rtt.rto {
            return;
        }
        let iw = self.snd.smss.saturating_mul(self.cfg.initial_window_segments.max(1));
        self.cc.restart_after_idle(
            self.cfg.restart_after_idle,
            iw,
            idle.as_nanos(),
            self.rtt.rto.as_nanos(),
        );
        // Restarted once per idle period: the next restart needs another idle RTO.
        self.last_data_sent = Some(now);
    }

    /// Arms the persist timer when data waits but nothing is in flight to clock it out, and
    /// keeps the retransmission timer running exactly while data is outstanding.
    pub(super) fn arm_send_timers(&mut self, now: SimTime) {
        let in_flight = self.snd.snd_max != self.snd.snd_una;
        let waiting = self.data_end() > self.snd.snd_nxt;
        if !in_flight {
            // RFC 6298 §5.2: "When all outstanding data has been acknowledged, turn off the
            // retransmission timer."
            self.retransmit_at = None;
            if waiting && self.persist_at.is_none() {
                self.persist_at = Some(now + self.rtt.persist_interval(self.probe_count));
            }
        } else if self.retransmit_at.is_none() && self.persist_at.is_none() {
            self.retransmit_at = Some(now + self.rtt.rto);
        }
        if !waiting && !in_flight {
            self.persist_at = None;
        }
    }

    /// Everything the connection should send now: SYN, data, FIN, pending ACK.
    pub(super) fn transmit(&mut self, now: SimTime, out: &mut super::Output) {
        match self.state {
            TcpState::Closed | TcpState::Listen => return,
            TcpState::SynSent | TcpState::SynReceived => {
                if self.snd.snd_max == self.iss && !self.gave_up {
                    self.send_syn(now, out);
                }
            }
            _ => {
                if !self.gave_up && !self.fin_acked {
                    if self.sack.in_recovery {
                        // RFC 6675 §5 (C): in SACK recovery, pipe rather than the window's
                        // right edge decides what goes out.
                        self.sack_send(now, out);
                    } else {
                        self.send_window(now, out);
                    }
                    self.arm_send_timers(now);
                }
            }
        }
        if self.ack_now && self.state != TcpState::SynSent {
            self.send_ack(out);
        }
    }

    /// The payload a window probe carries: one byte at SND.UNA.
    pub(super) fn probe_payload_len(&self) -> u32 {
        u32::from(self.data_end() != self.snd.snd_una)
    }

    /// Payload of `len` bytes at `seq`, for tests and the offload target's content checks.
    pub fn payload_at(&self, seq: SeqNum, len: u32) -> Option<Bytes> {
        self.chain.slice(self.offset_of(seq), len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_counts_track_ranges_and_trim() {
        let mut t = TxCounts::default();
        t.record(100, 200);
        t.record(150, 250);
        assert_eq!(
            (t.get(99), t.get(100), t.get(150), t.get(200), t.get(250)),
            (0, 1, 2, 1, 0)
        );
        t.trim_below(160);
        assert_eq!(t.get(160), 2);
        assert_eq!(t.get(0), 0, "nothing remembered below the trim point");
        t.trim_below(300);
        assert!(t.is_empty());
    }
}
