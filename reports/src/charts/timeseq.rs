//! Time-sequence graph (tcptrace style) of one connection's data direction, as seen at the
//! first hop's ingress: each data segment is a vertical tick spanning its sequence range;
//! first transmissions grey, retransmissions coloured by source with a triangle on top,
//! segments dropped at ingress as red X, the cumulative ACK arriving at the sender as a black
//! step line, offload/upload moments as labelled dashed vertical lines.
//!
//! **Decimation of large runs** (keeps a 10 MB run's SVG well under a few MB): when a class of
//! marks (first transmissions; retransmissions of one source; drops) has more than
//! [`MAX_MARKS`] entries, consecutive marks of that class that fall into the same one of
//! [`BUCKETS`] equal time slices (about 2.4 per pixel column) and whose sequence ranges touch
//! or overlap are merged into one tick spanning them (one triangle/cross per merged tick).
//! Likewise an ACK line with more than [`MAX_MARKS`] steps keeps only the first and last ACK
//! of each slice. Both are invisible at the rendered resolution; smaller runs are drawn
//! mark for mark. The chart's note says when decimation happened.

use super::{
    Chart, DROP_RED, EVENT_PURPLE, FONT, LegendItem, Mark, Str, byte_unit, draw_events, padded, source_color,
    source_label, tick_format, with_legend,
};
use crate::info::Dir;
use crate::view::RunView;
use models::record::{OffloadRecord, WireEvent};
use models::segment::DataSource;
use plotters::coord::Shift;
use plotters::prelude::*;

/// First transmissions: dark enough to see, lighter than the ACK line.
const FIRST: RGBColor = RGBColor(110, 110, 110);

/// How a segment is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegKind {
    First,
    Retx(DataSource),
    Dropped,
}

/// One data segment: time [s], sequence range [bytes].
pub(crate) struct SegMark {
    pub t: f64,
    pub lo: f64,
    pub hi: f64,
    pub kind: SegKind,
}

/// Above this many marks of one class (or ACK steps), marks are merged per time slice.
pub(crate) const MAX_MARKS: usize = 4000;

/// Number of time slices used when decimating.
pub(crate) const BUCKETS: f64 = 2000.0;

/// Merges marks per the module's decimation rule; returns how many were merged away.
fn decimate_segs(segs: Vec<SegMark>, t_max: f64) -> (Vec<SegMark>, usize) {
    let class = |k: SegKind| match k {
        SegKind::First => 0usize,
        SegKind::Dropped => 1,
        SegKind::Retx(d) => 2 + d as usize,
    };
    let mut counts = [0usize; 16];
    for s in &segs {
        counts[class(s.kind).min(15)] += 1;
    }
    let bucket = |t: f64| {
        if t_max > 0.0 {
            (t / t_max * BUCKETS).floor() as i64
        } else {
            0
        }
    };
    let before = segs.len();
    let mut out: Vec<SegMark> = Vec::with_capacity(before.min(8 * MAX_MARKS));
    // Index in `out` of the last mark of each class (the candidate to merge into).
    let mut last: [Option<usize>; 16] = [None; 16];
    for s in segs {
        let c = class(s.kind).min(15);
        if counts[c] > MAX_MARKS
            && let Some(i) = last[c]
        {
            let m = &mut out[i];
            if bucket(m.t) == bucket(s.t) && s.lo <= m.hi && s.hi >= m.lo {
                m.lo = m.lo.min(s.lo);
                m.hi = m.hi.max(s.hi);
                continue;
            }
        }
        last[c] = Some(out.len());
        out.push(s);
    }
    let merged = before - out.len();
    (out, merged)
}

/// Keeps the first and last ACK of each time slice when there are more than [`MAX_MARKS`].
fn decimate_acks(acks: Vec<(f64, f64)>, t_max: f64) -> Vec<(f64, f64)> {
    if acks.len() <= MAX_MARKS || t_max <= 0.0 {
        return acks;
    }
    let bucket = |t: f64| (t / t_max * BUCKETS).floor() as i64;
    let n = acks.len();
    let mut out = Vec::new();
    for i in 0..n {
        let b = bucket(acks[i].0);
        let first = i == 0 || bucket(acks[i - 1].0) != b;
        let last = i + 1 == n || bucket(acks[i + 1].0) != b;
        if first || last {
            out.push(acks[i]);
        }
    }
    out
}

/// The time-sequence chart's data.
pub(crate) struct TimeSeq {
    pub title: String,
    pub segs: Vec<SegMark>,
    /// Cumulative ACK at the sender: (time [s], relative ack [bytes]).
    pub acks: Vec<(f64, f64)>,
    /// Vertical event lines: (time [s], label).
    pub events: Vec<(f64, String)>,
    /// Segment marks merged away by decimation (0 for runs drawn mark for mark).
    pub merged: usize,
}

/// Offload/upload event lines of a connection: (time [s], label).
pub(crate) fn event_lines(offload: &[OffloadRecord], conn: u32) -> Vec<(f64, String)> {
    use models::record::OffloadEventKind as K;
    offload
        .iter()
        .filter(|o| o.conn.0 == conn)
        .filter_map(|o| {
            let l = match &o.kind {
                K::OffloadCompleted => "offload",
                K::OffloadRefused { .. } => "offload refused",
                K::UploadInitiated { .. } => "upload requested",
                K::UploadCompleted => "upload",
                K::Aborted => "abort",
                K::OffloadInitiated | K::ActionDeferred { .. } | K::ActionSkipped { .. } => return None,
            };
            Some((o.time.as_secs_f64(), l.to_string()))
        })
        .collect()
}

impl TimeSeq {
    /// Extracts connection `conn`'s data from a classified run.
    pub fn new(title: String, view: &RunView<'_>, offload: &[OffloadRecord], conn: u32) -> TimeSeq {
        let mut segs = Vec::new();
        let mut acks: Vec<(f64, f64)> = Vec::new();
        for x in view.conn(conn) {
            let t = x.r.time.as_secs_f64();
            if x.dir == Dir::Forward && x.is_data() && x.is_first_hop_ingress() {
                let p = &x.r.provenance;
                let kind = match x.r.event {
                    WireEvent::Dropped(_) => SegKind::Dropped,
                    _ if p.is_retransmission => SegKind::Retx(p.source),
                    _ => SegKind::First,
                };
                let lo = x.seq_rel as f64;
                segs.push(SegMark {
                    t,
                    lo,
                    hi: lo + f64::from(x.r.header.len),
                    kind,
                });
            }
            if x.dir == Dir::Reverse
                && x.is_arrival()
                && let Some(a) = x.ack_rel
            {
                let a = a as f64;
                if acks.last().is_none_or(|&(_, prev)| a > prev) {
                    acks.push((t, a));
                }
            }
        }
        let t_max = segs
            .iter()
            .map(|s| s.t)
            .chain(acks.iter().map(|a| a.0))
            .fold(0.0, f64::max);
        let (segs, merged) = decimate_segs(segs, t_max);
        let acks = decimate_acks(acks, t_max);
        TimeSeq {
            title,
            segs,
            acks,
            events: event_lines(offload, conn),
            merged,
        }
    }

    fn sources(&self) -> Vec<DataSource> {
        let mut v: Vec<DataSource> = self
            .segs
            .iter()
            .filter_map(|s| match s.kind {
                SegKind::Retx(d) => Some(d),
                _ => None,
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

impl Chart for TimeSeq {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items = vec![LegendItem::new("first transmission", Mark::Tick(FIRST, 2))];
        for s in self.sources() {
            items.push(LegendItem::new(
                format!("retx: {}", source_label(s)),
                Mark::TickTriangle(source_color(s)),
            ));
        }
        if self.segs.iter().any(|s| s.kind == SegKind::Dropped) {
            items.push(LegendItem::new("dropped at ingress", Mark::Cross(DROP_RED)));
        }
        items.push(LegendItem::new("cumulative ACK at sender", Mark::Line(BLACK, 2)));
        if !self.events.is_empty() {
            items.push(LegendItem::new("offload / upload", Mark::Dashed(EVENT_PURPLE)));
        }
        let mut note = vec![
            "Captured at the first hop's ingress.".to_string(),
            "Sequence = stream offset.".to_string(),
        ];
        if self.merged > 0 {
            note.push(format!("Large run: {} adjacent marks merged", self.merged));
            note.push("per 1/2000 of the time axis.".to_string());
        }
        let plot = with_legend(root, &items, &note)?;
        let t_max = self
            .segs
            .iter()
            .map(|s| s.t)
            .chain(self.acks.iter().map(|a| a.0))
            .chain(self.events.iter().map(|e| e.0))
            .fold(0.0, f64::max);
        let y_max = self
            .segs
            .iter()
            .map(|s| s.hi)
            .chain(self.acks.iter().map(|a| a.1))
            .fold(0.0, f64::max);
        let (unit, div) = byte_unit(y_max);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(padded(0.0, t_max), padded(0.0, y_max / div))
            .s()?;
        chart
            .configure_mesh()
            .x_desc("Time [s]")
            .y_desc(format!("Relative sequence number [{unit}]"))
            .y_label_formatter(&tick_format(y_max / div))
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let tick = |s: &SegMark, c: RGBColor, w: u32| {
            PathElement::new(vec![(s.t, s.lo / div), (s.t, s.hi / div)], c.stroke_width(w))
        };
        chart
            .draw_series(
                self.segs
                    .iter()
                    .filter(|s| s.kind == SegKind::First)
                    .map(|s| tick(s, FIRST, 2)),
            )
            .s()?;
        // ACK line as steps: horizontal until the next ACK advance.
        let mut steps = Vec::with_capacity(self.acks.len() * 2);
        for (i, &(t, a)) in self.acks.iter().enumerate() {
            if i > 0 {
                steps.push((t, self.acks[i - 1].1 / div));
            }
            steps.push((t, a / div));
        }
        chart.draw_series(LineSeries::new(steps, BLACK.stroke_width(2))).s()?;
        // Marker size shrinks with the number of markers (5 px up to 150 of them, then with
        // 1/sqrt(n), at least 2 px), so that a long lossy run is not a solid band of crosses.
        let marker = |n: usize| (5.0 * (150.0 / n.max(1) as f64).sqrt()).clamp(2.0, 5.0).round() as i32;
        let n_retx = self.segs.iter().filter(|s| matches!(s.kind, SegKind::Retx(_))).count();
        let n_drop = self.segs.iter().filter(|s| s.kind == SegKind::Dropped).count();
        let (r_retx, r_drop) = (marker(n_retx), marker(n_drop));
        for s in &self.segs {
            if let SegKind::Retx(src) = s.kind {
                let c = source_color(src);
                chart.draw_series([tick(s, c, 3)]).s()?;
                chart
                    .draw_series([TriangleMarker::new((s.t, s.hi / div), r_retx, c.filled())])
                    .s()?;
            }
        }
        chart
            .draw_series(self.segs.iter().filter(|s| s.kind == SegKind::Dropped).map(|s| {
                let w = if r_drop >= 4 { 2 } else { 1 };
                Cross::new((s.t, (s.lo + s.hi) / 2.0 / div), r_drop, DROP_RED.stroke_width(w))
            }))
            .s()?;
        draw_events(&mut chart, &self.events)?;
        Ok(())
    }
}
