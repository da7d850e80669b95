//! Synthetic runs for tests (here and in other crates) until real runs exist: a scripted
//! transfer that is offloaded mid-transfer and uploaded again, with retransmissions of every
//! source, drops at both hops, a corrupted and a duplicated segment, and a spurious RTO.
//!
//! Topology: `client -> switch -> server` and back, four link directions, each hop
//! `hop_delay_ns` long (no serialisation delay), so RTT = 4 hops. The sender's script is
//! fixed (see [`offload_mid_transfer`]); the receiver, the cumulative ACKs, the sender's
//! congestion state (NewReno-like), buffer completions and deliveries are computed from it.
//! Every retransmission comes at least ~20 ms after the previous new data, so Wireshark's
//! analysis (with its 3 ms out-of-order heuristic) classifies each one as a retransmission.
//!
//! Expected counts (with `extra = seed % 3` additional spurious RTO expiries at the end):
//! total 11 + extra; by source host_queue 4 + extra, delegated_unacked 3 (2 of them the
//! resend region), delegated_unsent 1, posted_after_offload 2, returned_at_upload 1; by cause
//! fast_retransmit 4, partial_ack 3, rto 2 + extra, new_data 2; rto_count 2 + extra;
//! spurious 1 + extra.

use crate::info::{ConnInfo, Endpoint, LinkInfo, Outcome, RunInfo};
use models::record::{
    BufferEnd, BufferRecord, CcSample, DeliveryRecord, DropReason, LinkId, OffloadEventKind, OffloadRecord, RtoRecord,
    RtoSegment, RunLog, SegmentHeader, WireEvent, WireRecord,
};
use models::segment::{BufId, ConnId, DataSource, Flags, Provenance, SendCause, Sender};
use models::seq::SeqNum;
use sim_core::SimTime;
use std::collections::BTreeMap;

const MSS: u32 = 1000;
const BUF: u64 = 4000;
const TOTAL: u64 = 37_000;
const US: u64 = 1000;
const MS: u64 = 1_000_000;

/// Sender ISN: close to 2^32 so sequence numbers wrap during the transfer.
pub const SENDER_ISN: u32 = 0xFFFF_F000;
/// Receiver ISN.
pub const RECEIVER_ISN: u32 = 5_000_000;

/// What happens to a segment on its way.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Ok,
    /// Dropped at the ingress of link 0 (first hop) or 1 (second hop).
    Drop(u16, DropReason),
    /// Corrupted on link 1.
    Corrupt,
    /// Duplicated by link 1.
    Duplicate,
}

struct Synth {
    hop: u64,
    /// (time, creation order, record) before event indices are assigned.
    wire: Vec<(u64, u64, WireRecord)>,
    seq_no: u64,
    // Receiver: which stream bytes arrived intact.
    got: Vec<bool>,
    rcv_nxt: u64,
    drop_next_acks: u32,
    completion: Option<u64>,
    delivery: Vec<DeliveryRecord>,
    // Sender.
    owner: Sender,
    acks_at_sender: Vec<(u64, u64)>,
    /// ACKs on their way to the sender: (arrival time, order, ack), processed by `advance`.
    pending: Vec<(u64, u64, u64)>,
    snd_una: u64,
    snd_nxt: u64,
    snd_max: u64,
    tx_count: BTreeMap<u64, u32>,
    cwnd: u32,
    ssthresh: u32,
    in_recovery: bool,
    recover: u64,
    rto: u64,
    srtt: u64,
    cc: Vec<CcSample>,
    buffers: Vec<BufferRecord>,
    offload: Vec<OffloadRecord>,
    /// Retransmission-timer expiries.
    timeouts: Vec<RtoRecord>,
}

fn sender_seq(off: u64) -> SeqNum {
    SeqNum(SENDER_ISN.wrapping_add(1).wrapping_add(off as u32))
}

fn receiver_ack(off: u64) -> SeqNum {
    sender_seq(off)
}

impl Synth {
    fn new(hop: u64) -> Self {
        Synth {
            hop,
            wire: Vec::new(),
            seq_no: 0,
            got: vec![false; TOTAL as usize],
            rcv_nxt: 0,
            drop_next_acks: 0,
            completion: None,
            delivery: Vec::new(),
            owner: Sender::Host,
            acks_at_sender: Vec::new(),
            pending: Vec::new(),
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            tx_count: BTreeMap::new(),
            cwnd: 4 * MSS,
            ssthresh: u32::MAX,
            in_recovery: false,
            recover: 0,
            rto: 12 * hop,
            srtt: 0,
            cc: Vec::new(),
            buffers: Vec::new(),
            offload: Vec::new(),
            timeouts: Vec::new(),
        }
    }

    fn rec(&mut self, t: u64, link: u16, event: WireEvent, header: SegmentHeader, provenance: Provenance) {
        self.seq_no += 1;
        let r = WireRecord {
            time: SimTime(t),
            event_index: 0,
            link: LinkId(link),
            event,
            header,
            provenance,
        };
        self.wire.push((t, self.seq_no, r));
    }

    /// Puts a segment on a path of two links starting at `first`; returns its arrival time at
    /// the far host and whether it arrived intact, plus a duplicate's arrival.
    fn travel(&mut self, t: u64, first: u16, h: SegmentHeader, p: Provenance, fate: Fate) -> Vec<(u64, bool)> {
        let mut now = t;
        for (k, link) in [first, first + 1].into_iter().enumerate() {
            if let Fate::Drop(at, reason) = fate
                && at == k as u16
            {
                self.rec(now, link, WireEvent::Dropped(reason), h, p);
                return vec![];
            }
            self.rec(now, link, WireEvent::Sent, h, p);
            now += self.hop;
            let corrupted = k == 1 && fate == Fate::Corrupt;
            self.rec(
                now,
                link,
                WireEvent::Delivered {
                    corrupted,
                    duplicate: false,
                },
                h,
                p,
            );
            if k == 1 {
                let mut out = vec![(now, !corrupted)];
                if fate == Fate::Duplicate {
                    self.rec(
                        now + 10 * US,
                        link,
                        WireEvent::Delivered {
                            corrupted: false,
                            duplicate: true,
                        },
                        h,
                        p,
                    );
                    out.push((now + 10 * US, true));
                }
                return out;
            }
        }
        unreachable!("two hops")
    }

    fn provenance(&self, source: DataSource, cause: SendCause, off: u64, tx: u32, retx: bool) -> Provenance {
        Provenance {
            conn: ConnId(0),
            stream_offset: off,
            sender: self.owner,
            buf: (source != DataSource::None).then_some(BufId(off / BUF)),
            source,
            cause,
            tx_number: tx,
            is_retransmission: retx,
        }
    }

    /// The sender transmits [off, off+len).
    fn data(&mut self, t: u64, off: u64, source: DataSource, cause: SendCause, fate: Fate) {
        self.advance(t);
        let len = (TOTAL - off).min(u64::from(MSS)) as u32;
        let end = off + u64::from(len);
        let tx = self.tx_count.entry(off).or_insert(0);
        let tx_number = *tx;
        *tx += 1;
        let retx = off < self.snd_max;
        let h = SegmentHeader {
            src_port: 40000,
            dst_port: 5001,
            seq: sender_seq(off),
            ack: SeqNum(RECEIVER_ISN.wrapping_add(1)),
            flags: Flags {
                ack: true,
                psh: end.is_multiple_of(BUF) || end == TOTAL,
                ..Flags::default()
            },
            window: 65535,
            len,
            stream_offset: off,
            sack_blocks: 0,
            sack: Default::default(),
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
        };
        let p = self.provenance(source, cause, off, tx_number, retx);
        self.snd_nxt = end;
        self.snd_max = self.snd_max.max(end);
        self.sample(t);
        for (arrive, intact) in self.travel(t, 0, h, p, fate) {
            if intact {
                self.receive(arrive, off, end);
            }
        }
    }

    fn receive(&mut self, t: u64, s: u64, e: u64) {
        self.got[s as usize..e as usize].fill(true);
        while self.rcv_nxt < TOTAL && self.got[self.rcv_nxt as usize] {
            self.rcv_nxt += 1;
        }
        if self.delivery.last().is_none_or(|d| d.bytes < self.rcv_nxt) {
            self.delivery.push(DeliveryRecord {
                time: SimTime(t),
                conn: ConnId(0),
                bytes: self.rcv_nxt,
            });
            if self.rcv_nxt == TOTAL && self.completion.is_none() {
                self.completion = Some(t);
            }
        }
        self.ack(t, self.rcv_nxt, false);
    }

    /// The receiver sends an ACK for `off` (relative, FIN included when `fin_acked`).
    fn ack(&mut self, t: u64, off: u64, fin_acked: bool) {
        let h = SegmentHeader {
            src_port: 5001,
            dst_port: 40000,
            seq: SeqNum(RECEIVER_ISN.wrapping_add(1)),
            ack: receiver_ack(off + u64::from(fin_acked)),
            flags: Flags {
                ack: true,
                ..Flags::default()
            },
            window: 65535,
            len: 0,
            stream_offset: 0,
            sack_blocks: 0,
            sack: Default::default(),
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
        };
        let p = Provenance {
            conn: ConnId(0),
            cause: SendCause::Control,
            ..Provenance::default()
        };
        let fate = if self.drop_next_acks > 0 {
            self.drop_next_acks -= 1;
            Fate::Drop(1, DropReason::RandomLoss)
        } else {
            Fate::Ok
        };
        let arrivals = self.travel(t, 2, h, p, fate);
        for (arrive, _) in arrivals {
            self.seq_no += 1;
            self.pending.push((arrive, self.seq_no, off));
        }
    }

    /// Processes the ACKs that reach the sender up to time `t`, in arrival order.
    fn advance(&mut self, t: u64) {
        self.pending.sort_unstable();
        let n = self.pending.iter().take_while(|p| p.0 <= t).count();
        let due: Vec<(u64, u64, u64)> = self.pending.drain(..n).collect();
        for (arrive, _, ack) in due {
            self.on_ack(arrive, ack);
        }
    }

    fn on_ack(&mut self, t: u64, ack: u64) {
        self.acks_at_sender.push((t, ack));
        if self.srtt == 0 {
            self.srtt = 4 * self.hop;
        }
        if ack > self.snd_una {
            let acked = (ack - self.snd_una) as u32;
            self.snd_una = ack;
            self.snd_nxt = self.snd_nxt.max(ack);
            if self.in_recovery {
                if ack >= self.recover {
                    self.in_recovery = false;
                    self.cwnd = self.ssthresh;
                } else {
                    self.cwnd = self.cwnd.saturating_sub(acked) + MSS;
                }
            } else if self.cwnd < self.ssthresh {
                self.cwnd += MSS.min(acked);
            } else {
                self.cwnd += MSS * MSS / self.cwnd;
            }
            self.rto = 12 * self.hop;
            for b in &mut self.buffers {
                if b.ended_at.is_none() && b.stream_offset + u64::from(b.len) <= ack {
                    b.ended_at = Some(SimTime(t));
                    b.end = BufferEnd::Completed;
                }
            }
        } else if self.in_recovery {
            self.cwnd += MSS;
        }
        self.sample(t);
    }

    fn sample(&mut self, t: u64) {
        self.cc.push(CcSample {
            time: SimTime(t),
            conn: ConnId(0),
            sender: self.owner,
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            srtt_ns: self.srtt,
            rto_ns: self.rto,
            flight: (self.snd_max - self.snd_una) as u32,
            snd_una: sender_seq(self.snd_una),
            snd_nxt: sender_seq(self.snd_nxt),
            snd_max: sender_seq(self.snd_max),
        });
    }

    fn fast_recovery(&mut self, t: u64) {
        self.advance(t);
        let flight = (self.snd_max - self.snd_una) as u32;
        self.ssthresh = (flight / 2).max(2 * MSS);
        self.cwnd = self.ssthresh + 3 * MSS;
        self.in_recovery = true;
        self.recover = self.snd_max;
    }

    fn timeout(&mut self, t: u64) {
        self.advance(t);
        let flight = (self.snd_max - self.snd_una) as u32;
        self.ssthresh = (flight / 2).max(2 * MSS);
        self.cwnd = MSS;
        self.in_recovery = false;
        self.rto *= 2;
        self.timeouts.push(RtoRecord {
            time: SimTime(t),
            conn: ConnId(0),
            sender: self.owner,
            backoff: (self.rto / (12 * self.hop)).trailing_zeros(),
            segment: RtoSegment::Data,
        });
    }

    /// Time of the `n`-th (1-based) arrival at the sender of an ACK for `ack` (already
    /// processed or still on its way).
    fn nth_ack(&mut self, ack: u64, n: usize) -> u64 {
        self.pending.sort_unstable();
        let done = self.acks_at_sender.iter().map(|a| (a.0, a.1));
        let coming = self.pending.iter().map(|p| (p.0, p.2));
        done.chain(coming)
            .filter(|a| a.1 == ack)
            .nth(n - 1)
            .map(|a| a.0)
            .expect("scripted ACK arrives")
    }

    fn post(&mut self, t: u64, bufs: std::ops::Range<u64>, offloaded: bool) {
        self.advance(t);
        for b in bufs {
            let len = (TOTAL - b * BUF).min(BUF) as u32;
            self.buffers.push(BufferRecord {
                conn: ConnId(0),
                buf: BufId(b),
                len,
                stream_offset: b * BUF,
                posted_at: SimTime(t),
                offloaded_at: offloaded.then_some(SimTime(t)),
                returned_at: None,
                ended_at: None,
                end: BufferEnd::Pending,
            });
        }
    }

    fn lifecycle(&mut self, t: u64, kind: OffloadEventKind) {
        self.advance(t);
        self.offload.push(OffloadRecord {
            time: SimTime(t),
            conn: ConnId(0),
            kind,
            snd_una: sender_seq(self.snd_una),
            snd_nxt: sender_seq(self.snd_nxt),
            snd_max: sender_seq(self.snd_max),
        });
    }

    fn control(&mut self, t: u64, syn: bool, fin: bool) {
        self.advance(t);
        let off = if fin { TOTAL } else { 0 };
        let h = SegmentHeader {
            src_port: 40000,
            dst_port: 5001,
            seq: if syn { SeqNum(SENDER_ISN) } else { sender_seq(off) },
            ack: SeqNum(if syn { 0 } else { RECEIVER_ISN.wrapping_add(1) }),
            flags: Flags {
                syn,
                fin,
                ack: !syn,
                ..Flags::default()
            },
            window: 65535,
            len: 0,
            stream_offset: off,
            sack_blocks: 0,
            sack: Default::default(),
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
        };
        let p = Provenance {
            conn: ConnId(0),
            stream_offset: off,
            sender: self.owner,
            cause: SendCause::Control,
            ..Provenance::default()
        };
        let arrivals = self.travel(t, 0, h, p, Fate::Ok);
        if let Some(&(arrive, _)) = arrivals.first() {
            if syn {
                let h = SegmentHeader {
                    src_port: 5001,
                    dst_port: 40000,
                    seq: SeqNum(RECEIVER_ISN),
                    ack: SeqNum(SENDER_ISN.wrapping_add(1)),
                    flags: Flags {
                        syn: true,
                        ack: true,
                        ..Flags::default()
                    },
                    window: 65535,
                    len: 0,
                    stream_offset: 0,
                    sack_blocks: 0,
                    sack: Default::default(),
                    mss: None,
                    window_scale: None,
                    sack_permitted: false,
                    timestamp: None,
                };
                let p = Provenance {
                    conn: ConnId(0),
                    cause: SendCause::Control,
                    ..Provenance::default()
                };
                self.travel(arrive, 2, h, p, Fate::Ok);
            } else if fin {
                self.ack(arrive, TOTAL, true);
            }
        }
    }
}

/// A scripted run of `scenario` "synthetic-offload-mid-transfer" (see the module docs for the
/// expected counts). `hop_delay_ms` is the delay of each of the four hops; `seed` picks
/// `seed % 3` extra spurious RTO expiries at the end and a small delay offset
/// (`seed % 7` × 50 µs per hop) so seeds differ.
pub fn offload_mid_transfer(seed: u64, hop_delay_ms: u64) -> (RunInfo, RunLog) {
    use DataSource as D;
    use SendCause as C;
    let hop = hop_delay_ms * MS + (seed % 7) * 50 * US;
    let extra = seed % 3;
    let mut s = Synth::new(hop);
    let step = 100 * US;
    // Handshake, then the application posts five 4000-byte buffers.
    s.control(0, true, false);
    let t = 4 * hop;
    s.control(t, false, false);
    s.post(t, 0..5, false);
    s.sample(t);
    // Host: segments 0..3, segment 2 lost at the second hop.
    for i in 0..4 {
        let fate = if i == 2 {
            Fate::Drop(1, DropReason::QueueFull)
        } else {
            Fate::Ok
        };
        s.data(t + i * step, i * 1000, D::HostQueue, C::NewData, fate);
    }
    let t2 = s.nth_ack(2000, 1);
    for i in 0..4 {
        s.data(t2 + i * step, (4 + i) * 1000, D::HostQueue, C::NewData, Fate::Ok);
    }
    let t3 = s.nth_ack(2000, 4);
    s.fast_recovery(t3);
    s.data(t3, 2000, D::HostQueue, C::FastRetransmit, Fate::Ok);
    let t4 = s.nth_ack(8000, 1);
    // Segments 9..11 lost at the first hop's ingress (never on the wire).
    for i in 0..4 {
        let fate = if i == 0 {
            Fate::Ok
        } else {
            Fate::Drop(0, DropReason::RandomLoss)
        };
        s.data(t4 + i * step, (8 + i) * 1000, D::HostQueue, C::NewData, fate);
    }
    // RTO: go-back-N starts with segment 9 (lost at the second hop); SndNxt=10000 < SndMax.
    s.advance(t4);
    let t5 = t4 + s.rto;
    s.timeout(t5);
    s.data(t5, 9000, D::HostQueue, C::Rto, Fate::Drop(1, DropReason::QueueFull));
    // Offload mid-resend: [9000,10000) unacked, [10000,12000) resend region, rest unsent.
    let t_off = t5 + MS;
    s.lifecycle(t_off, OffloadEventKind::OffloadInitiated);
    let t6 = t_off + MS;
    s.lifecycle(t6, OffloadEventKind::OffloadCompleted);
    for b in s.buffers.iter_mut().filter(|b| b.ended_at.is_none()) {
        b.offloaded_at = Some(SimTime(t6));
    }
    s.owner = Sender::OffloadTarget;
    s.sample(t6);
    s.data(t6, 10_000, D::DelegatedResend, C::NewData, Fate::Ok);
    s.data(t6 + step, 11_000, D::DelegatedResend, C::NewData, Fate::Ok);
    s.data(t6 + 2 * step, 12_000, D::DelegatedUnsent, C::NewData, Fate::Ok);
    s.data(
        t6 + 3 * step,
        13_000,
        D::DelegatedUnsent,
        C::NewData,
        Fate::Drop(1, DropReason::QueueFull),
    );
    s.post(t6 + 5 * MS, 5..7, true);
    let t7 = s.nth_ack(9000, 4);
    s.fast_recovery(t7);
    s.data(t7, 9000, D::DelegatedUnacked, C::FastRetransmit, Fate::Ok);
    let t8 = s.nth_ack(13_000, 1);
    s.data(t8, 13_000, D::DelegatedUnsent, C::PartialAck, Fate::Ok);
    let t9 = s.nth_ack(14_000, 1);
    for i in 0..14u64 {
        let off = (14 + i) * 1000;
        let src = if off < 20_000 {
            D::DelegatedUnsent
        } else {
            D::PostedAfterOffload
        };
        let fate = match off {
            15_000 => Fate::Duplicate,
            21_000 | 23_000 => Fate::Drop(1, DropReason::QueueFull),
            _ => Fate::Ok,
        };
        s.data(t9 + i * step, off, src, C::NewData, fate);
    }
    s.post(t9 + 2 * MS, 7..8, true);
    let t10 = s.nth_ack(21_000, 4);
    s.fast_recovery(t10);
    s.data(t10, 21_000, D::PostedAfterOffload, C::FastRetransmit, Fate::Ok);
    let t11 = s.nth_ack(23_000, 1);
    s.data(t11, 23_000, D::PostedAfterOffload, C::PartialAck, Fate::Ok);
    let t12 = s.nth_ack(28_000, 1);
    for i in 0..4u64 {
        let fate = if i == 1 {
            Fate::Drop(1, DropReason::QueueFull)
        } else {
            Fate::Ok
        };
        s.data(t12 + i * step, (28 + i) * 1000, D::PostedAfterOffload, C::NewData, fate);
    }
    // Upload: buffer 7 (sent, unacknowledged) goes back to the host.
    let t_up = t12 + MS;
    s.lifecycle(
        t_up,
        OffloadEventKind::UploadInitiated {
            reason: "scenario action".into(),
        },
    );
    s.lifecycle(t_up + MS, OffloadEventKind::UploadCompleted);
    s.owner = Sender::Host;
    s.sample(t_up + MS);
    for b in s.buffers.iter_mut().filter(|b| b.ended_at.is_none()) {
        b.returned_at = Some(SimTime(t_up + MS));
    }
    s.post(t_up + 2 * MS, 8..10, false);
    let t13 = s.nth_ack(29_000, 1);
    for i in 0..4u64 {
        let fate = if i == 1 { Fate::Corrupt } else { Fate::Ok };
        s.data(t13 + i * step, (32 + i) * 1000, D::HostQueue, C::NewData, fate);
    }
    let t14 = s.nth_ack(29_000, 4);
    s.fast_recovery(t14);
    s.data(t14, 29_000, D::ReturnedAtUpload, C::FastRetransmit, Fate::Ok);
    let t15 = s.nth_ack(33_000, 1);
    s.data(t15, 33_000, D::HostQueue, C::PartialAck, Fate::Ok);
    let t16 = s.nth_ack(36_000, 1);
    // The last segment arrives but its ACK is lost (extra times more): spurious RTOs.
    s.drop_next_acks = 1 + extra as u32;
    s.data(t16, 36_000, D::HostQueue, C::NewData, Fate::Ok);
    let mut t = t16;
    for _ in 0..=extra {
        s.advance(t);
        t += s.rto;
        s.timeout(t);
        s.data(t, 36_000, D::HostQueue, C::Rto, Fate::Ok);
    }
    let t_fin = s.nth_ack(TOTAL, 1) + MS;
    s.control(t_fin, false, true);
    s.advance(u64::MAX);

    // Order by time (creation order breaks ties) and number the kernel events.
    s.wire.sort_by_key(|w| (w.0, w.1));
    let mut log = RunLog::default();
    for (i, (_, _, mut r)) in s.wire.into_iter().enumerate() {
        r.event_index = i as u64 + 1;
        log.wire.push(r);
    }
    log.cc = s.cc;
    log.cc.sort_by_key(|c| c.time);
    log.buffers = s.buffers;
    log.offload = s.offload;
    log.delivery = s.delivery;
    log.rto = s.timeouts;
    log.sort();
    let info = RunInfo {
        scenario: "synthetic-offload-mid-transfer".into(),
        description: "Bulk transfer offloaded to the NIC in the middle of an RTO resend, uploaded again before the \
                      end; losses at both hops hit every buffer region."
            .into(),
        run_id: format!("hop{hop_delay_ms}ms-s{seed}"),
        seed,
        seed_index: seed as u32,
        params: vec![
            ("hop_delay_ms".into(), hop_delay_ms.to_string()),
            ("seed".into(), seed.to_string()),
        ],
        fingerprint: format!("{:016x}", (seed + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ hop),
        events: log.wire.len() as u64,
        version: "0.1.0".into(),
        commit: "0000000".into(),
        command: format!("offsim run synthetic-offload-mid-transfer --set hop_delay_ms={hop_delay_ms} --seed {seed}"),
        scenario_text: format!(
            "(name: \"synthetic-offload-mid-transfer\", hop_delay_ms: {hop_delay_ms}, seed: {seed})"
        ),
        outcome: Outcome::Ok,
        integrity_ok: true,
        bytes_expected: TOTAL,
        bytes_delivered: s.rcv_nxt,
        completion_time_ns: s.completion,
        links: vec![
            LinkInfo {
                name: "client->switch".into(),
                from: "client".into(),
                to: "switch".into(),
            },
            LinkInfo {
                name: "switch->server".into(),
                from: "switch".into(),
                to: "server".into(),
            },
            LinkInfo {
                name: "server->switch".into(),
                from: "server".into(),
                to: "switch".into(),
            },
            LinkInfo {
                name: "switch->client".into(),
                from: "switch".into(),
                to: "client".into(),
            },
        ],
        conns: vec![ConnInfo {
            conn: 0,
            sender: Endpoint {
                host: "client".into(),
                ip: [10, 0, 0, 1],
                port: 40000,
                isn: SENDER_ISN,
            },
            receiver: Endpoint {
                host: "server".into(),
                ip: [10, 0, 0, 2],
                port: 5001,
                isn: RECEIVER_ISN,
            },
        }],
        offload_targets: vec!["client".into()],
        ..RunInfo::default()
    };
    (info, log)
}
