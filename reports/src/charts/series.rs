//! The per-run charts' inputs, built online from the log's chunks and bounded by what a chart
//! can show: a series (a connection's data segments, ACK line, receive-window line, SACK
//! blocks, duplicate ACKs, rwnd, sender samples, deliveries; a link's queue samples) keeps
//! every point while it has at most [`KEEP`] of them, so a run of that size is drawn exactly
//! as from its whole log. Beyond that, the series is reduced per time bucket (the bucket width
//! doubles until it holds at most half of [`KEEP`]): segment and SACK ticks of one class that
//! touch merge into one (as the charts' own decimation does), lines keep each bucket's first,
//! lowest, highest and last point, sender samples the first, last and extremes of cwnd,
//! ssthresh and flight, deliveries the last (cumulative) one, queue samples the deepest.
//! A bucket is at least 1/2000 of the run so far: finer than the charts' own decimation
//! (1/2000 of the whole run), which still applies when they are drawn.

use super::timeseq::{AckMark, SegKind, SegMark};
use crate::info::{Dir, RunInfo};
use crate::view::{Rec, unwrap_rel};
use models::record::{CcSample, DeliveryRecord, OffloadRecord, QueueSample, RunLog, WireEvent};
use models::segment::{DataSource, SendCause, Sender};
use sim_core::SimTime;

/// Points a series keeps before it is reduced.
pub(crate) const KEEP: usize = 20_000;

/// Buckets a run's span is cut into at the coarsest: the charts' own decimation slices.
const MIN_BUCKETS: f64 = 2000.0;

/// Reduces `v` (in time order) per bucket of `*width` seconds with `keep` (which returns a
/// bucket's points to keep, in time order; its flag says the bucket is as wide as the charts'
/// own decimation slices, where marks that do not touch may merge too) until it holds at most
/// `KEEP / 2` points, doubling the width as needed (the first width: the span over
/// `KEEP / 8`). Returns how many points were dropped.
fn bound<T>(v: &mut Vec<T>, width: &mut f64, t: impl Fn(&T) -> f64, keep: impl Fn(&[T], bool) -> Vec<T>) -> usize {
    if v.len() <= KEEP {
        return 0;
    }
    let before = v.len();
    loop {
        let span = t(&v[v.len() - 1]) - t(&v[0]);
        if *width > 0.0 {
            let w = *width;
            let coarse = w * MIN_BUCKETS >= span;
            let bucket = |x: &T| (t(x) / w).floor() as i64;
            // Reduced in place: a bucket keeps at most its own points, so what is kept of
            // bucket [i, j) fits in [written, i). The list keeps its capacity (rebuilding it
            // made every reduction grow it again from empty).
            let (mut i, mut written) = (0, 0);
            while i < v.len() {
                let k = bucket(&v[i]);
                let mut j = i + 1;
                while j < v.len() && bucket(&v[j]) == k {
                    j += 1;
                }
                let kept = keep(&v[i..j], coarse);
                debug_assert!(kept.len() <= j - i, "a bucket keeps at most its points");
                for x in kept {
                    v[written] = x;
                    written += 1;
                }
                i = j;
            }
            v.truncate(written);
            // Each doubling halves the buckets and `keep` keeps a bounded number per bucket:
            // this ends, at the latest with one bucket.
            if v.len() <= KEEP / 2 || w > span {
                return before - v.len();
            }
        }
        *width = if *width > 0.0 {
            *width * 2.0
        } else {
            (span / (KEEP / 8) as f64).max(1e-9)
        };
    }
}

/// The points at the given indices of `g`, in order, each once.
fn pick<T: Clone>(g: &[T], mut idx: Vec<usize>) -> Vec<T> {
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| g[i].clone()).collect()
}

/// Indices of the lowest and highest value of `f` in `g`.
fn extremes<T>(g: &[T], f: impl Fn(&T) -> f64) -> [usize; 2] {
    let lo = (0..g.len()).min_by(|&a, &b| f(&g[a]).total_cmp(&f(&g[b]))).unwrap_or(0);
    let hi = (0..g.len()).max_by(|&a, &b| f(&g[a]).total_cmp(&f(&g[b]))).unwrap_or(0);
    [lo, hi]
}

/// A line's bucket: first, lowest, highest, last.
fn line<T: Clone>(g: &[T], f: impl Fn(&T) -> f64) -> Vec<T> {
    let [lo, hi] = extremes(g, f);
    pick(g, vec![0, lo, hi, g.len() - 1])
}

/// Segment (or SACK) ticks of a bucket: consecutive ticks of one class whose ranges touch
/// merge into one spanning them; in a `coarse` bucket every tick of a class does (a few
/// retransmissions a pixel column apart may then draw as one taller tick).
fn ticks(g: &[SegMark], coarse: bool) -> Vec<SegMark> {
    let class = |k: SegKind| match k {
        SegKind::First(Sender::Host) => 0usize,
        SegKind::First(Sender::OffloadTarget) => 1,
        SegKind::Dropped => 2,
        SegKind::Retx(d) => 3 + d as usize,
    };
    let mut out: Vec<SegMark> = Vec::new();
    let mut last: [Option<usize>; 16] = [None; 16];
    for s in g {
        let c = class(s.kind).min(15);
        if let Some(i) = last[c] {
            let m = &mut out[i];
            if coarse || (s.lo <= m.hi && s.hi >= m.lo) {
                m.lo = m.lo.min(s.lo);
                m.hi = m.hi.max(s.hi);
                m.n += s.n;
                continue;
            }
        }
        last[c] = Some(out.len());
        out.push(s.clone());
    }
    out
}

/// One connection's chart inputs.
#[derive(Default)]
pub(crate) struct ConnSeries {
    /// Data segments at the first hop's ingress (time-sequence chart).
    pub segs: Vec<SegMark>,
    /// ACKs advancing the cumulative ACK at the sender.
    pub acks: Vec<AckMark>,
    /// Receive-window line: (time [s], ACK + window [bytes]) at each change.
    pub window: Vec<(f64, f64)>,
    /// SACK blocks as ticks.
    pub sacks: Vec<SegMark>,
    /// Duplicate ACKs, and how many there were.
    pub dups: Vec<AckMark>,
    pub dup_count: usize,
    /// The peer's advertised window at the sender: (time [s], bytes) at each change.
    pub rwnd: Vec<(f64, f64)>,
    /// Latest segment or ACK arrival [s].
    pub t_max: f64,
    /// Sender samples.
    pub cc: Vec<CcSample>,
    /// Deliveries at the sink.
    pub delivery: Vec<DeliveryRecord>,
    /// Segment, SACK and duplicate-ACK marks merged away while the run went on.
    pub merged: usize,
    /// Bucket widths [s] per series (0: not reduced yet).
    widths: [f64; 8],
    /// Window scale of the first SYN each way that carried the option (RFC 7323).
    ours: Option<u8>,
    theirs: Option<u8>,
    /// The previous pure ACK's number (duplicate ACKs).
    last_pure: Option<i64>,
    /// ACK arrivals stamped after the last chunk's `through` (a later chunk may hold earlier
    /// ones), by time, ties in log order.
    pending: Vec<Rec>,
}

impl ConnSeries {
    /// One classified record of this connection, in log order.
    fn record(&mut self, x: &Rec) {
        let h = &x.r.header;
        if h.flags.syn {
            match x.dir {
                Dir::Forward => self.ours = self.ours.or(h.window_scale),
                Dir::Reverse => self.theirs = self.theirs.or(h.window_scale),
            }
        }
        if x.dir == Dir::Forward && x.is_data() && x.is_first_hop_ingress() {
            let p = &x.r.provenance;
            let kind = match x.r.event {
                WireEvent::Dropped(_) => SegKind::Dropped,
                _ if p.is_retransmission => SegKind::Retx(p.source),
                _ => SegKind::First(p.sender),
            };
            let lo = x.seq_rel as f64;
            let t = x.r.time.as_secs_f64();
            self.t_max = self.t_max.max(t);
            self.segs.push(SegMark {
                t,
                lo,
                hi: lo + f64::from(h.len),
                kind,
                sender: p.sender,
                source: p.source,
                cause: p.cause,
                tx: p.tx_number,
                n: 1,
            });
        }
        if x.dir == Dir::Reverse && x.is_arrival() && x.ack_rel.is_some() {
            self.pending.push(*x);
        }
    }

    /// The ACKs arriving at or before `through`, in time order (ties in log order): the
    /// receiver's window shift count as the sender applies it (RFC 7323 §2.2: scaling is in
    /// effect only when both SYNs carried the option), duplicate ACKs (a pure ACK repeating
    /// the previous pure ACK's number, `acks.csv`'s `dup`), SACK blocks relative to the
    /// sender's ISN + 1.
    fn arrivals(&mut self, through: SimTime) {
        self.pending.sort_by_key(|x| x.r.time);
        let n = self.pending.partition_point(|x| x.r.time <= through);
        let shift = match (self.ours, self.theirs) {
            (Some(_), Some(s)) => s.min(14),
            _ => 0,
        };
        // Taken while this connection's series grow, then put back with its capacity.
        let mut pending = std::mem::take(&mut self.pending);
        for x in pending.drain(..n) {
            let h = &x.r.header;
            let Some(ack) = x.ack_rel else { continue };
            // RFC 7323 §2.2: "The window field in a segment where the SYN bit is set (i.e., a
            // <SYN> or <SYN,ACK>) MUST NOT be scaled."
            let wnd = if h.flags.syn {
                f64::from(h.window)
            } else {
                f64::from(u32::from(h.window) << shift)
            };
            let f = h.flags;
            let pure = h.len == 0 && !f.syn && !f.fin && !f.rst;
            let dup = pure && self.last_pure == Some(ack);
            if pure {
                self.last_pure = Some(ack);
            }
            let base = h.ack.0.wrapping_sub(ack as u32);
            let sacks = h.sack[..usize::from(h.sack_blocks.min(4))]
                .iter()
                .map(|&(l, r)| {
                    let rel = |s: models::seq::SeqNum| unwrap_rel(s.0.wrapping_sub(base), ack) as f64;
                    (rel(l), rel(r))
                })
                .collect();
            let a = AckMark {
                t: x.r.time.as_secs_f64(),
                ack: ack as f64,
                wnd,
                dup,
                sacks,
            };
            self.t_max = self.t_max.max(a.t);
            self.ack(a);
        }
        self.pending = pending;
    }

    /// The series one ACK arrival adds to (the time-sequence chart's lines and marks, rwnd).
    fn ack(&mut self, a: AckMark) {
        if self.rwnd.last().is_none_or(|p| p.1 != a.wnd) {
            self.rwnd.push((a.t, a.wnd));
        }
        let right = a.ack + a.wnd;
        if self.window.last().is_none_or(|&(_, prev)| right != prev) {
            self.window.push((a.t, right));
        }
        for &(lo, hi) in &a.sacks {
            self.sacks.push(SegMark {
                t: a.t,
                lo,
                hi,
                kind: SegKind::First(Sender::Host),
                sender: Sender::Host,
                source: DataSource::None,
                cause: SendCause::Control,
                tx: 0,
                n: 1,
            });
        }
        if a.dup {
            self.dup_count += 1;
            self.dups.push(a.clone());
        }
        if self.acks.last().is_none_or(|prev| a.ack > prev.ack) {
            self.acks.push(a);
        }
    }

    /// Reduces the series that outgrew [`KEEP`].
    fn bound(&mut self) {
        let w = &mut self.widths;
        let [w0, w1, w2, w3, w4, w5, w6, w7] = w;
        self.merged += bound(&mut self.segs, w0, |s| s.t, ticks);
        self.merged += bound(&mut self.sacks, w1, |s| s.t, ticks);
        // One duplicate ACK per ACK number (per bucket in a coarse one).
        let dups = |g: &[AckMark], coarse: bool| {
            let mut out: Vec<AckMark> = Vec::new();
            for d in g {
                if out.last().is_none_or(|l| !coarse && l.ack != d.ack) {
                    out.push(d.clone());
                }
            }
            out
        };
        self.merged += bound(&mut self.dups, w2, |d| d.t, dups);
        bound(&mut self.acks, w3, |a| a.t, |g, _| line(g, |a| a.ack));
        bound(&mut self.window, w4, |p| p.0, |g, _| line(g, |p| p.1));
        bound(&mut self.rwnd, w5, |p| p.0, |g, _| line(g, |p| p.1));
        let samples = |g: &[CcSample], _| {
            let [a, b] = extremes(g, |c| f64::from(c.cwnd));
            let [c, d] = extremes(g, |c| f64::from(c.flight));
            let [e, f] = extremes(g, |c| f64::from(c.ssthresh));
            pick(g, vec![0, a, b, c, d, e, f, g.len() - 1])
        };
        bound(&mut self.cc, w6, |c| c.time.as_secs_f64(), samples);
        // Deliveries are cumulative: a bucket's last one carries its bytes.
        let last = |g: &[DeliveryRecord], _| vec![g[g.len() - 1]];
        bound(&mut self.delivery, w7, |d| d.time.as_secs_f64(), last);
    }
}

/// The per-run charts' inputs (see the module doc).
pub(crate) struct ChartInputs {
    /// Per connection, indexed like `RunInfo::conns`.
    pub conns: Vec<ConnSeries>,
    /// Queue samples per link direction (by link id).
    pub queue: Vec<Vec<QueueSample>>,
    queue_widths: Vec<f64>,
    /// Whether the run recorded queue samples at all.
    pub queue_samples: bool,
    /// The deepest queue any sample saw [packets].
    pub deepest: u64,
    /// Latest wire record [s].
    pub t_end: f64,
    /// Offload lifecycle records.
    pub offload: Vec<OffloadRecord>,
}

impl ChartInputs {
    /// Inputs for `conns` connections.
    pub fn new(conns: usize) -> Self {
        ChartInputs {
            conns: (0..conns).map(|_| ConnSeries::default()).collect(),
            queue: Vec::new(),
            queue_widths: Vec::new(),
            queue_samples: false,
            deepest: 0,
            t_end: 0.0,
            offload: Vec::new(),
        }
    }

    /// One chunk: its classified records (with their connection index), its log (its wire
    /// records are read as `recs`) and the time of its latest wire record.
    pub fn chunk(
        &mut self,
        info: &RunInfo,
        recs: &[(usize, Rec)],
        log: &RunLog,
        wire_end: Option<SimTime>,
        through: SimTime,
    ) {
        if let Some(t) = wire_end {
            self.t_end = self.t_end.max(t.as_secs_f64());
        }
        for (ci, x) in recs {
            self.conns[*ci].record(x);
        }
        for c in &log.cc {
            if let Some(i) = info.conn_index(c.conn) {
                self.conns[i].cc.push(*c);
            }
        }
        for d in &log.delivery {
            if let Some(i) = info.conn_index(d.conn) {
                self.conns[i].delivery.push(*d);
            }
        }
        for q in &log.queue {
            let l = usize::from(q.link.0);
            if self.queue.len() <= l {
                self.queue.resize_with(l + 1, Vec::new);
                self.queue_widths.resize(l + 1, 0.0);
            }
            self.queue[l].push(*q);
            self.deepest = self.deepest.max(q.packets);
            self.queue_samples = true;
        }
        self.offload.extend(log.offload.iter().cloned());
        for s in &mut self.conns {
            s.arrivals(through);
        }
        self.bound();
    }

    fn bound(&mut self) {
        for s in &mut self.conns {
            s.bound();
        }
        for (q, w) in self.queue.iter_mut().zip(&mut self.queue_widths) {
            bound(
                q,
                w,
                |q| q.time.as_secs_f64(),
                |g, _| {
                    let [_, hi] = extremes(g, |q| q.packets as f64);
                    vec![g[hi]]
                },
            );
        }
    }

    /// Lets go of the series' spare capacity (they keep it while the run goes, so each
    /// reduction does not grow them again from empty): called once the last chunk is in,
    /// before the charts are drawn, when the process's memory peaks.
    pub fn shrink(&mut self) {
        for s in &mut self.conns {
            s.segs.shrink_to_fit();
            s.acks.shrink_to_fit();
            s.window.shrink_to_fit();
            s.sacks.shrink_to_fit();
            s.dups.shrink_to_fit();
            s.rwnd.shrink_to_fit();
            s.cc.shrink_to_fit();
            s.delivery.shrink_to_fit();
            s.pending = Vec::new();
        }
        for q in &mut self.queue {
            q.shrink_to_fit();
        }
    }

    /// The length of the longest series (what the bound caps; ACKs still waiting for
    /// earlier ones are not part of a series yet).
    pub fn longest(&self) -> usize {
        let conns = self.conns.iter().flat_map(|s| {
            [
                s.segs.len(),
                s.acks.len(),
                s.window.len(),
                s.sacks.len(),
                s.dups.len(),
                s.rwnd.len(),
                s.cc.len(),
                s.delivery.len(),
            ]
        });
        conns.chain(self.queue.iter().map(Vec::len)).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retx(i: usize) -> SegMark {
        // Retransmissions far apart in sequence space: no two ticks touch.
        let lo = (i * 10_000) as f64;
        SegMark {
            t: i as f64 * 1e-3,
            lo,
            hi: lo + 1460.0,
            kind: SegKind::Retx(DataSource::HostQueue),
            sender: Sender::Host,
            source: DataSource::HostQueue,
            cause: SendCause::FastRetransmit,
            tx: 2,
            n: 1,
        }
    }

    #[test]
    fn ticks_that_never_touch_are_still_bounded() {
        let mut v: Vec<SegMark> = (0..3 * KEEP).map(retx).collect();
        let mut width = 0.0;
        let dropped = bound(&mut v, &mut width, |s| s.t, ticks);
        assert!(v.len() <= KEEP / 2, "{} ticks kept", v.len());
        assert_eq!(dropped + v.len(), 3 * KEEP);
        assert_eq!(
            v.iter().map(|s| s.n as usize).sum::<usize>(),
            3 * KEEP,
            "every tick counted"
        );
    }

    #[test]
    fn a_series_within_the_bound_is_kept_as_is() {
        let mut v: Vec<SegMark> = (0..KEEP).map(retx).collect();
        let mut width = 0.0;
        assert_eq!(bound(&mut v, &mut width, |s| s.t, ticks), 0);
        assert_eq!(v.len(), KEEP);
        assert_eq!(width, 0.0);
    }
}
