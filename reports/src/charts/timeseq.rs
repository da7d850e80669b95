//! Time-sequence graph (tcptrace / Stevens style) of one connection's data direction.
//!
//! What it shows, all in relative sequence numbers (stream offsets) against time:
//! - each data segment as a vertical tick spanning its sequence range, as seen at the first
//!   hop's ingress; first transmissions coloured by sender (host stack grey, offload target
//!   brown), retransmissions coloured by source with a triangle on top, segments dropped at
//!   ingress as red X;
//! - the ACKs as they arrive at the sender: the cumulative ACK as a black step line, the
//!   receive-window line (ACK + advertised window, RFC 793 §3.7 "the window ... indicates an
//!   allowed number of octets that the sender may transmit"; the window field scaled by the
//!   receiver's shift count when both SYNs carried the option, RFC 7323 §2.2, and unscaled in
//!   SYN segments, RFC 7323 §2.2 "The window field in a segment where the SYN bit is set
//!   ... MUST NOT be scaled"), each SACK block (RFC 2018 §3) as a vertical bar at the ACK's
//!   time, and a duplicate-ACK tick where a pure ACK repeats the previous pure ACK's number
//!   (the definition of `acks.csv`'s `dup` column, applied to the ACKs delivered intact to
//!   the sender; RFC 5681 §2's stricter definition also asks for an unchanged window and
//!   outstanding data);
//! - offload/upload moments as labelled dashed vertical lines, and below the overview one
//!   zoom panel per handover (the first [`MAX_ZOOMS`]), ±max(3 srtt, 10 ms) around it, so
//!   the resend region is readable.
//!
//! In the SVG each mark carries a `<title>` tooltip (time, sequence range, sender, source,
//! cause, transmission number; for ACKs the ACK, window and SACK blocks): plotters' SVG
//! backend writes no titles, so [`TimeSeq`] records each mark's pixel position while drawing
//! and [`Chart::svg_overlay`] adds an invisible, hoverable element per mark, grouped per
//! panel (`<g id="tooltips">` for the overview, `<g id="tooltips-zoom-<n>">` per zoom; the group
//! sets the marks' invisible paint once, not each mark).
//!
//! Not shown: the receiver's view (arrivals), ACKs lost on the way back, the reverse
//! direction's data.
//!
//! **Decimation of large runs** (keeps a 10 MB run's SVG well under a few MB): when a class of
//! marks (first transmissions of one sender; retransmissions of one source; drops; SACK
//! bars) has more than [`MAX_MARKS`] entries, consecutive marks of that class that fall into
//! the same one of [`BUCKETS`] equal time slices (about 2.4 per pixel column) and whose
//! sequence ranges touch or overlap are merged into one tick spanning them (one
//! triangle/cross per merged tick, one tooltip saying how many were merged). Likewise the
//! ACK and window lines with more than [`MAX_MARKS`] steps keep only the first and last
//! point of each slice. Both are invisible at the rendered resolution; smaller runs are drawn
//! mark for mark. The chart's note says when decimation happened.

use super::{Chart, DROP_RED, EVENT_PURPLE, FONT, LegendItem, Mark, Str, byte_unit, draw_events, padded, tick_format};
use crate::metrics::Handover;
use crate::vocab::Named;
use models::record::OffloadRecord;
use models::segment::{DataSource, SendCause, Sender};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::sync::Mutex;

/// The receive-window line (tcptrace draws it yellow; darker here to read on white).
const WINDOW: RGBColor = RGBColor(200, 160, 0);
/// SACK blocks.
const SACK: RGBColor = RGBColor(150, 100, 220);
/// Duplicate-ACK ticks.
const DUP: RGBColor = RGBColor(230, 0, 120);

/// At most this many handovers get a zoom panel (the first ones).
pub(crate) const MAX_ZOOMS: usize = 3;

/// How a segment is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SegKind {
    /// A first transmission, by this sender.
    First(Sender),
    Retx(DataSource),
    Dropped,
}

/// One data segment (or one SACK block): time [s], sequence range [bytes], provenance.
#[derive(Clone, Debug)]
pub(crate) struct SegMark {
    pub t: f64,
    pub lo: f64,
    pub hi: f64,
    pub kind: SegKind,
    pub sender: Sender,
    pub source: DataSource,
    pub cause: SendCause,
    pub tx: u32,
    /// Marks merged into this one by decimation (1 when drawn as is).
    pub n: u32,
}

/// One ACK arriving at the data sender.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AckMark {
    pub t: f64,
    /// Cumulative ACK, relative [bytes].
    pub ack: f64,
    /// Advertised window, scaled [bytes].
    pub wnd: f64,
    /// A pure ACK repeating the previous pure ACK's number.
    pub dup: bool,
    /// SACK blocks, relative [left, right) [bytes].
    pub sacks: Vec<(f64, f64)>,
}

/// Above this many marks of one class (or line points), marks are merged per time slice.
pub(crate) const MAX_MARKS: usize = 4000;

/// Number of time slices used when decimating.
pub(crate) const BUCKETS: f64 = 2000.0;

/// Merges marks per the module's decimation rule; returns how many were merged away.
fn decimate_segs(segs: Vec<SegMark>, t_max: f64) -> (Vec<SegMark>, usize) {
    let class = |k: SegKind| match k {
        SegKind::First(Sender::Host) => 0usize,
        SegKind::First(Sender::OffloadTarget) => 1,
        SegKind::Dropped => 2,
        SegKind::Retx(d) => 3 + d as usize,
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
                m.n += s.n;
                continue;
            }
        }
        last[c] = Some(out.len());
        out.push(s);
    }
    let merged = before - out.len();
    (out, merged)
}

/// Keeps the first and last point of each time slice when there are more than [`MAX_MARKS`].
fn decimate_line<T>(pts: Vec<T>, time: impl Fn(&T) -> f64, t_max: f64) -> Vec<T> {
    if pts.len() <= MAX_MARKS || t_max <= 0.0 {
        return pts;
    }
    let bucket = |p: &T| (time(p) / t_max * BUCKETS).floor() as i64;
    let buckets: Vec<i64> = pts.iter().map(bucket).collect();
    let n = pts.len();
    pts.into_iter()
        .enumerate()
        .filter(|&(i, _)| i == 0 || i + 1 == n || buckets[i - 1] != buckets[i] || buckets[i + 1] != buckets[i])
        .map(|(_, p)| p)
        .collect()
}

/// Keeps one duplicate ACK per time slice and ACK number when there are more than
/// [`MAX_MARKS`] (their ticks would coincide at the rendered resolution).
fn decimate_dups(dups: Vec<AckMark>, t_max: f64) -> Vec<AckMark> {
    if dups.len() <= MAX_MARKS || t_max <= 0.0 {
        return dups;
    }
    let bucket = |t: f64| (t / t_max * BUCKETS).floor() as i64;
    let mut out: Vec<AckMark> = Vec::new();
    for d in dups {
        if out.last().is_none_or(|l| bucket(l.t) != bucket(d.t) || l.ack != d.ack) {
            out.push(d);
        }
    }
    out
}

/// A handover to zoom on: time [s], half-width of the window [s], label.
#[derive(Clone, Debug)]
pub(crate) struct Zoom {
    pub t: f64,
    pub half: f64,
    pub label: String,
}

/// The time-sequence chart's data.
pub(crate) struct TimeSeq {
    pub title: String,
    pub segs: Vec<SegMark>,
    /// The ACKs advancing the cumulative ACK at the sender (the ACK line's steps).
    pub acks: Vec<AckMark>,
    /// Receive-window line: (time [s], ACK + window [bytes]), at each change.
    pub window: Vec<(f64, f64)>,
    /// SACK blocks as bars (kind `First(Host)`, provenance unused).
    pub sacks: Vec<SegMark>,
    /// Duplicate ACKs (decimated) and how many there were.
    pub dups: Vec<AckMark>,
    pub dup_count: usize,
    /// Vertical event lines: (time [s], label).
    pub events: Vec<(f64, String)>,
    /// Handovers with a zoom panel (at most [`MAX_ZOOMS`]) and how many there were.
    pub zooms: Vec<Zoom>,
    pub handovers: usize,
    /// Segment and SACK marks merged away by decimation (0 for runs drawn mark for mark).
    pub merged: usize,
    /// Tooltips recorded by the last `draw`, per panel: (SVG group id, elements): the
    /// overview's in `tooltips`, the zooms' in `tooltips-zoom-<n>`.
    tips: Mutex<Vec<(String, Vec<String>)>>,
    /// Cleared once the SVG overlay took the tooltips: the bitmap drawn next has no use for
    /// them (a long run's are megabytes).
    tips_wanted: std::sync::atomic::AtomicBool,
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
                K::Ended { .. } => "ended",
                K::OffloadInitiated | K::ActionDeferred { .. } | K::ActionSkipped { .. } => return None,
            };
            Some((o.time.as_secs_f64(), l.to_string()))
        })
        .collect()
}

impl TimeSeq {
    /// Connection `conn`'s chart from its inputs (see [`super::series`]).
    pub fn new(
        title: String,
        s: &super::series::ConnSeries,
        offload: &[OffloadRecord],
        conn: u32,
        handovers: &[Handover],
    ) -> TimeSeq {
        let t_max = s.t_max;
        let (segs, sacks, dups, dup_count) = (s.segs.clone(), s.sacks.clone(), s.dups.clone(), s.dup_count);
        let (acks, window) = (s.acks.clone(), s.window.clone());
        let (segs, merged) = decimate_segs(segs, t_max);
        let (sacks, merged_sacks) = decimate_segs(sacks, t_max);
        let kept_dups = dups.len();
        let dups = decimate_dups(dups, t_max);
        let merged_dups = kept_dups - dups.len();
        let ours: Vec<&Handover> = handovers.iter().filter(|h| h.conn == conn).collect();
        let zooms = ours
            .iter()
            .take(MAX_ZOOMS)
            .map(|h| {
                let srtt = h.before.map_or(0.0, |s| s.srtt_ns as f64 / 1e9);
                Zoom {
                    t: h.time_ns as f64 / 1e9,
                    half: (3.0 * srtt).max(0.010),
                    label: h.kind.clone(),
                }
            })
            .collect();
        TimeSeq {
            title,
            segs,
            acks: decimate_line(acks, |a| a.t, t_max),
            window: decimate_line(window, |p| p.0, t_max),
            sacks,
            dups,
            dup_count,
            events: event_lines(offload, conn),
            zooms,
            handovers: ours.len(),
            merged: s.merged + merged + merged_sacks + merged_dups,
            tips: Mutex::new(Vec::new()),
            tips_wanted: std::sync::atomic::AtomicBool::new(true),
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

    /// The cumulative ACK line: (time [s], relative ack [bytes]) at each advance.
    fn ack_line(&self) -> Vec<(f64, f64)> {
        self.acks.iter().map(|a| (a.t, a.ack)).collect()
    }

    fn t_max(&self) -> f64 {
        self.segs
            .iter()
            .map(|s| s.t)
            .chain(self.acks.iter().map(|a| a.t))
            .chain(self.window.iter().map(|a| a.0))
            .chain(self.events.iter().map(|e| e.0))
            .fold(0.0, f64::max)
    }
}

/// Escapes text for an SVG `<title>`.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A segment's tooltip: time, sequence range, sender, source, cause, transmission number.
pub(crate) fn seg_title(s: &SegMark) -> String {
    let what = match s.kind {
        SegKind::First(_) => "data",
        SegKind::Retx(_) => "retransmission",
        SegKind::Dropped => "dropped at ingress",
    };
    let mut t = format!(
        "{what} t={:.6} s seq {}..{} sender {} source {} cause {} tx {}",
        s.t,
        s.lo,
        s.hi,
        s.sender.key(),
        s.source.key(),
        s.cause.key(),
        s.tx
    );
    if s.n > 1 {
        t.push_str(&format!(" ({} segments merged, the first one's provenance)", s.n));
    }
    t
}

/// An ACK's tooltip.
fn ack_title(what: &str, a: &AckMark) -> String {
    let mut t = format!("{what} t={:.6} s ack {} window {} B", a.t, a.ack, a.wnd);
    for (l, r) in &a.sacks {
        t.push_str(&format!(" SACK {l}..{r}"));
    }
    t
}

/// Step-line points of `pts` over [a, b]: the value holding at `a` first, then each change,
/// held until `b`; values clamped to `top`.
fn step_points(pts: &[(f64, f64)], a: f64, b: f64, div: f64, top: f64) -> Vec<(f64, f64)> {
    let y = |v: f64| (v / div).min(top);
    let mut out = Vec::new();
    let mut prev: Option<f64> = pts.iter().rev().find(|p| p.0 < a).map(|p| p.1);
    if let Some(v) = prev {
        out.push((a, y(v)));
    }
    for &(t, v) in pts.iter().filter(|p| p.0 >= a && p.0 <= b) {
        if let Some(pv) = prev {
            out.push((t, y(pv)));
        }
        out.push((t, y(v)));
        prev = Some(v);
    }
    if let Some(v) = prev {
        out.push((b, y(v)));
    }
    out
}

type Ctx<'a, 'b, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl TimeSeq {
    /// Draws the marks inside [a, b] (x) below `top` (y, in the axis unit) on `chart`; with
    /// `tips`, records each mark's tooltip element in pixel coordinates.
    fn draw_marks<DB: DrawingBackend>(
        &self,
        chart: &mut Ctx<'_, '_, DB>,
        (a, b): (f64, f64),
        div: f64,
        top: f64,
        tips: Option<&mut Vec<String>>,
        marker_scale: bool,
    ) -> Result<(), String> {
        let inside = |t: f64| t >= a && t <= b;
        let yc = |v: f64| (v / div).min(top);
        let tick = |s: &SegMark, c: RGBColor, w: u32| {
            PathElement::new(vec![(s.t, yc(s.lo)), (s.t, yc(s.hi))], c.stroke_width(w))
        };
        // Tooltip elements, kept when `tips` asks for them.
        let want = tips.is_some();
        let mut out: Vec<String> = Vec::new();
        let tip_line = |out: &mut Vec<String>, chart: &Ctx<'_, '_, DB>, s: &SegMark, title: String| {
            if want {
                let (x1, y1) = chart.backend_coord(&(s.t, yc(s.lo)));
                let (x2, y2) = chart.backend_coord(&(s.t, yc(s.hi)));
                out.push(format!(
                    r##"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"><title>{}</title></line>"##,
                    xml_escape(&title)
                ));
            }
        };
        // Window line first (behind), then SACK bars, first transmissions, the ACK line.
        chart
            .draw_series(LineSeries::new(
                step_points(&self.window, a, b, div, top),
                WINDOW.stroke_width(2),
            ))
            .s()?;
        for s in self.sacks.iter().filter(|s| inside(s.t)) {
            chart.draw_series([tick(s, SACK, 3)]).s()?;
            let mut t = format!("SACK block t={:.6} s {}..{}", s.t, s.lo, s.hi);
            if s.n > 1 {
                t.push_str(&format!(" ({} blocks merged)", s.n));
            }
            tip_line(&mut out, chart, s, t);
        }
        for s in self.segs.iter().filter(|s| inside(s.t)) {
            if let SegKind::First(who) = s.kind {
                let c = who.colour();
                chart.draw_series([tick(s, c, 2)]).s()?;
                tip_line(&mut out, chart, s, seg_title(s));
            }
        }
        chart
            .draw_series(LineSeries::new(
                step_points(&self.ack_line(), a, b, div, top),
                BLACK.stroke_width(2),
            ))
            .s()?;
        if want {
            for k in self.acks.iter().filter(|k| inside(k.t)) {
                let (x, y) = chart.backend_coord(&(k.t, yc(k.ack)));
                out.push(format!(
                    r##"<circle cx="{x}" cy="{y}" r="4" stroke="none"><title>{}</title></circle>"##,
                    xml_escape(&ack_title("ACK", k))
                ));
            }
        }
        // Marker size shrinks with the number of markers (5 px up to 150 of them, then with
        // 1/sqrt(n), at least 2 px), so that a long lossy run is not a solid band of crosses.
        let marker = |n: usize| {
            if marker_scale {
                (5.0 * (150.0 / n.max(1) as f64).sqrt()).clamp(2.0, 5.0).round() as i32
            } else {
                5
            }
        };
        let n_retx = self.segs.iter().filter(|s| matches!(s.kind, SegKind::Retx(_))).count();
        let n_drop = self.segs.iter().filter(|s| s.kind == SegKind::Dropped).count();
        let (r_retx, r_drop) = (marker(n_retx), marker(n_drop));
        for s in self.segs.iter().filter(|s| inside(s.t)) {
            match s.kind {
                SegKind::Retx(src) => {
                    let c = src.colour();
                    chart.draw_series([tick(s, c, 3)]).s()?;
                    chart
                        .draw_series([TriangleMarker::new((s.t, yc(s.hi)), r_retx, c.filled())])
                        .s()?;
                }
                SegKind::Dropped => {
                    let w = if r_drop >= 4 { 2 } else { 1 };
                    chart
                        .draw_series([Cross::new(
                            (s.t, yc((s.lo + s.hi) / 2.0)),
                            r_drop,
                            DROP_RED.stroke_width(w),
                        )])
                        .s()?;
                }
                SegKind::First(_) => continue,
            }
            tip_line(&mut out, chart, s, seg_title(s));
        }
        // Duplicate-ACK ticks: a short vertical tick standing on the ACK line (9 px, shorter
        // when there are many, like the markers).
        let dup_h = if marker_scale {
            (9.0 * (150.0 / self.dups.len().max(1) as f64).sqrt())
                .clamp(4.0, 9.0)
                .round() as i32
        } else {
            9
        };
        for d in self.dups.iter().filter(|d| inside(d.t)) {
            let at = (d.t, yc(d.ack));
            chart
                .draw_series([EmptyElement::at(at) + PathElement::new(vec![(0, 0), (0, -dup_h)], DUP.stroke_width(2))])
                .s()?;
            if want {
                let (x, y) = chart.backend_coord(&at);
                out.push(format!(
                    r##"<circle cx="{x}" cy="{}" r="5" stroke="none"><title>{}</title></circle>"##,
                    y - dup_h / 2,
                    xml_escape(&ack_title("dup ACK", d))
                ));
            }
        }
        if let Some(tips) = tips {
            tips.extend(out);
        }
        Ok(())
    }

    /// Draws one panel: the overview (with events) or a handover zoom, recording its marks'
    /// tooltips under the SVG group id `group`. Returns whether the window line was clipped.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        (a, b): (f64, f64),
        zoom: bool,
        group: &str,
    ) -> Result<bool, String> {
        let inside = |t: f64| t >= a && t <= b;
        // The y range covers the data, ACK and SACK marks in the window; the window line is
        // clipped at the top when it runs above them (said in the legend note).
        let hold = |pts: &[(f64, f64)]| -> Vec<f64> {
            pts.iter()
                .rev()
                .find(|p| p.0 < a)
                .into_iter()
                .chain(pts.iter().filter(|p| inside(p.0)))
                .map(|p| p.1)
                .collect()
        };
        let ys: Vec<f64> = self
            .segs
            .iter()
            .chain(self.sacks.iter())
            .filter(|s| inside(s.t))
            .flat_map(|s| [s.lo, s.hi])
            .chain(hold(&self.ack_line()))
            .collect();
        let data_hi = ys.iter().copied().fold(0.0, f64::max);
        let data_lo = if zoom {
            ys.iter().copied().fold(data_hi, f64::min)
        } else {
            0.0
        };
        let wnd_hi = hold(&self.window).into_iter().fold(0.0, f64::max);
        // Room above the data for the window line: up to a quarter of the span more.
        let span = (data_hi - data_lo).max(1.0);
        let y_hi = wnd_hi.min(data_hi + 0.25 * span).max(data_hi);
        let clipped = wnd_hi > y_hi;
        let (unit, div) = byte_unit(if zoom { y_hi - data_lo } else { y_hi }.max(data_hi));
        let range = padded(data_lo / div, y_hi / div);
        let top = range.end;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, if zoom { 15 } else { 22 }))
            .margin(if zoom { 8 } else { 12 })
            .x_label_area_size(if zoom { 40 } else { 50 })
            .y_label_area_size(80)
            .build_cartesian_2d(padded(a, b), range)
            .s()?;
        chart
            .configure_mesh()
            .x_desc("Time [s]")
            .y_desc(format!("Relative sequence number [{unit}]"))
            .x_labels(if zoom { 4 } else { 10 })
            .x_label_formatter(&tick_format(b - a))
            .y_label_formatter(&tick_format((y_hi - data_lo) / div))
            .axis_desc_style((FONT, if zoom { 13 } else { 16 }))
            .label_style((FONT, if zoom { 12 } else { 13 }))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let (xa, xb) = (chart.x_range().start, chart.x_range().end);
        let mut tips = Vec::new();
        let want = self.tips_wanted.load(std::sync::atomic::Ordering::Relaxed);
        self.draw_marks(&mut chart, (xa, xb), div, top, want.then_some(&mut tips), !zoom)?;
        if want && let Ok(mut t) = self.tips.lock() {
            t.push((group.to_string(), tips));
        }
        if zoom {
            let (y0, y1) = (chart.y_range().start, chart.y_range().end);
            for (t, _) in self.events.iter().filter(|e| e.0 >= xa && e.0 <= xb) {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(*t, y0), (*t, y1)],
                        6,
                        4,
                        EVENT_PURPLE.stroke_width(2),
                    ))
                    .s()?;
            }
        } else {
            draw_events(&mut chart, &self.events)?;
        }
        Ok(clipped)
    }
}

impl Chart for TimeSeq {
    fn size(&self) -> (u32, u32) {
        if self.zooms.is_empty() {
            (1280, 720)
        } else {
            (1280, 1000)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items = Vec::new();
        let senders = |who: Sender| self.segs.iter().any(|s| s.kind == SegKind::First(who));
        if senders(Sender::Host) || !senders(Sender::OffloadTarget) {
            items.push(LegendItem::new(
                format!("first transmission: {}", Sender::Host.label()),
                Mark::Tick(Sender::Host.colour(), 2),
            ));
        }
        if senders(Sender::OffloadTarget) {
            items.push(LegendItem::new(
                format!("first transmission: {}", Sender::OffloadTarget.label()),
                Mark::Tick(Sender::OffloadTarget.colour(), 2),
            ));
        }
        for s in self.sources() {
            items.push(LegendItem::new(
                format!("retx: {}", s.label()),
                Mark::TickTriangle(s.colour()),
            ));
        }
        if self.segs.iter().any(|s| s.kind == SegKind::Dropped) {
            items.push(LegendItem::new("dropped at ingress", Mark::Cross(DROP_RED)));
        }
        items.push(LegendItem::new("cumulative ACK at sender", Mark::Line(BLACK, 2)));
        if !self.window.is_empty() {
            items.push(LegendItem::new("receive window (ACK + wnd)", Mark::Line(WINDOW, 2)));
        }
        if !self.sacks.is_empty() {
            items.push(LegendItem::new("SACK block", Mark::Tick(SACK, 3)));
        }
        if !self.dups.is_empty() {
            items.push(LegendItem::new(
                format!("duplicate ACK ({})", self.dup_count),
                Mark::Tick(DUP, 2),
            ));
        }
        if !self.events.is_empty() {
            items.push(LegendItem::new("offload / upload", Mark::Dashed(EVENT_PURPLE)));
        }
        let mut note = vec![
            "Data at the first hop's ingress,".to_string(),
            "ACKs as they arrive at the sender.".to_string(),
            "Sequence = stream offset.".to_string(),
            "SVG: hover a mark for its details.".to_string(),
        ];
        if self.merged > 0 {
            note.push(format!("Large run: {} adjacent marks merged", self.merged));
            note.push("per 1/2000 of the time axis.".to_string());
        }
        if !self.zooms.is_empty() {
            note.push("Below: zoom on each handover.".to_string());
            if self.handovers > self.zooms.len() {
                note.push(format!("(first {} of {})", self.zooms.len(), self.handovers));
            }
        }
        // The clipping note needs the overview drawn; the legend strip is drawn first, so
        // work the clipping out the same way the panel does: draw the panels on the plot
        // area, then the legend with the note.
        let (w, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally(w.saturating_sub(super::LEGEND_W));
        let t_max = self.t_max();
        if let Ok(mut t) = self.tips.lock() {
            t.clear();
        }
        let clipped = if self.zooms.is_empty() {
            self.panel(&plot, &self.title, (0.0, t_max), false, "tooltips")?
        } else {
            let (_, h) = plot.dim_in_pixel();
            let (top, bottom) = plot.split_vertically(h * 62 / 100);
            let mut clipped = self.panel(&top, &self.title, (0.0, t_max), false, "tooltips")?;
            let panels = bottom.split_evenly((1, self.zooms.len()));
            for (i, (z, area)) in self.zooms.iter().zip(&panels).enumerate() {
                let (a, b) = ((z.t - z.half).max(0.0), (z.t + z.half).min(t_max.max(z.t)));
                let caption = format!("{} at {:.4} s (±{:.0} ms)", z.label, z.t, z.half * 1e3);
                let group = format!("tooltips-zoom-{}", i + 1);
                clipped |= self.panel(area, &caption, (a, b), true, &group)?;
            }
            clipped
        };
        if clipped {
            note.push("The window line runs above the".to_string());
            note.push("top: clipped there.".to_string());
        }
        super::draw_legend(&legend, &items, &note)
    }

    fn svg_overlay(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        // Taken, not copied: the tooltips of a long run are megabytes.
        self.tips_wanted.store(false, std::sync::atomic::Ordering::Relaxed);
        let groups = self
            .tips
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for (id, tips) in groups.into_iter().filter(|g| !g.1.is_empty()) {
            // The marks' paint is set once, on their group: invisible (opacity 0) but painted,
            // so they take the pointer; a segment's line 7 px wide, an ACK's circle filled.
            writeln!(
                out,
                "<g id=\"{id}\" fill=\"#000\" fill-opacity=\"0\" stroke=\"#000\" stroke-opacity=\"0\" stroke-width=\"7\">"
            )?;
            for t in tips {
                out.write_all(t.as_bytes())?;
                out.write_all(b"\n")?;
            }
            out.write_all(b"</g>\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{AckMark, BUCKETS, MAX_MARKS, decimate_dups};

    fn dup(t: f64, ack: f64) -> AckMark {
        AckMark {
            t,
            ack,
            wnd: 65_535.0,
            dup: true,
            sacks: Vec::new(),
        }
    }

    #[test]
    fn duplicate_acks_are_drawn_one_by_one_up_to_the_limit_then_one_per_slice_and_ack() {
        let few: Vec<AckMark> = (0..MAX_MARKS).map(|i| dup(i as f64 * 1e-6, 1000.0)).collect();
        assert_eq!(decimate_dups(few, 1.0).len(), MAX_MARKS);
        // 2 * MAX_MARKS dup ACKs of two ACK numbers, all in the first time slice: one each.
        let t_max = 1.0;
        let slice = t_max / BUCKETS;
        let many: Vec<AckMark> = (0..2 * MAX_MARKS)
            .map(|i| {
                dup(
                    slice * 0.5 * i as f64 / (2 * MAX_MARKS) as f64,
                    if i < MAX_MARKS { 1000.0 } else { 2000.0 },
                )
            })
            .collect();
        let kept = decimate_dups(many, t_max);
        assert_eq!(kept.iter().map(|d| d.ack).collect::<Vec<_>>(), vec![1000.0, 2000.0]);
    }
}
