//! cwnd, ssthresh and bytes in flight of one connection over time, with the offloaded period
//! shaded and offload/upload moments marked: does the target continue the host's state?
//!
//! Each completed offload or upload (up to [`MAX_ZOOMS`]) also gets a zoom panel below the
//! overview: a window of ±max(3 srtt, 10 ms) around the handover with the old owner's last
//! sample (circle) and the new owner's first sample (triangle) marked on cwnd and ssthresh,
//! and their values written out with a verdict ("continued" when both are equal). The same
//! two samples are the `offload.handover` entries of `summary.json`.
//!
//! Large runs: a series with more than [`MAX_POINTS`] samples in a panel is drawn as its
//! per-slice envelope (first, min, max, last of each 1/2000 of the time window), which keeps
//! the SVG small and every peak visible.

use super::timeseq::event_lines;
use super::{
    Chart, DARK, EVENT_PURPLE, FONT, LegendItem, Mark, Str, byte_unit, draw_events, padded, tick_format, with_legend,
};
use super::{Dash, Shape, draw_dashed_path, draw_marker};
use crate::metrics::{CcState, Handover};
use crate::vocab::Named;
use models::record::{CcSample, OffloadEventKind, OffloadRecord};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const CWND: RGBColor = RGBColor(0, 114, 178);
const SSTHRESH: RGBColor = RGBColor(213, 94, 0);
const FLIGHT: RGBColor = RGBColor(0, 158, 115);
const SHADE: RGBColor = RGBColor(255, 244, 214);
const RWND: RGBColor = RGBColor(120, 120, 120);

/// The chart's data: step series in bytes against time in seconds.
pub(crate) struct CcChart {
    pub title: String,
    pub cwnd: Vec<(f64, f64)>,
    /// ssthresh, only while finite (below the "infinite" initial value).
    pub ssthresh: Vec<Vec<(f64, f64)>>,
    pub flight: Vec<(f64, f64)>,
    /// The peer's advertised window (rwnd) as the ACKs arriving at the sender carry it,
    /// scaled (RFC 7323 §2.2), at each change.
    pub rwnd: Vec<(f64, f64)>,
    /// Intervals run by the offload target: [start, end) in seconds.
    pub offloaded: Vec<(f64, f64)>,
    pub events: Vec<(f64, String)>,
    pub t_end: f64,
    /// Completed offloads and uploads of this connection, with the states on both sides.
    pub handovers: Vec<Handover>,
}

/// At most this many handovers get a zoom panel (the first ones).
pub(crate) const MAX_ZOOMS: usize = 3;

/// ssthresh values at or above this are "not yet set" [bytes]: not drawn, written as an empty
/// `cc.csv` cell, shown as "unset" in the handover table.
pub(crate) const SSTHRESH_INFINITE: u32 = 1 << 30;

impl CcChart {
    /// Extracts connection `conn`'s samples.
    pub fn new(
        title: String,
        cc: &[CcSample],
        offload: &[OffloadRecord],
        conn: u32,
        t_end: f64,
        handovers: &[Handover],
        rwnd: Vec<(f64, f64)>,
    ) -> CcChart {
        let samples: Vec<&CcSample> = cc.iter().filter(|c| c.conn.0 == conn).collect();
        let pts = |f: &dyn Fn(&CcSample) -> u32| {
            samples
                .iter()
                .map(|c| (c.time.as_secs_f64(), f64::from(f(c))))
                .collect()
        };
        let mut ssthresh: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        for c in &samples {
            if c.ssthresh >= SSTHRESH_INFINITE {
                if !run.is_empty() {
                    ssthresh.push(std::mem::take(&mut run));
                }
            } else {
                run.push((c.time.as_secs_f64(), f64::from(c.ssthresh)));
            }
        }
        if !run.is_empty() {
            ssthresh.push(run);
        }
        let mut offloaded = Vec::new();
        let mut start: Option<f64> = None;
        for o in offload.iter().filter(|o| o.conn.0 == conn) {
            match o.kind {
                OffloadEventKind::OffloadCompleted => start = Some(o.time.as_secs_f64()),
                OffloadEventKind::UploadCompleted | OffloadEventKind::Aborted => {
                    if let Some(s) = start.take() {
                        offloaded.push((s, o.time.as_secs_f64()));
                    }
                }
                _ => {}
            }
        }
        let last = samples.last().map_or(0.0, |c| c.time.as_secs_f64());
        let t_end = t_end.max(last);
        if let Some(s) = start {
            offloaded.push((s, t_end));
        }
        CcChart {
            title,
            cwnd: pts(&|c| c.cwnd),
            ssthresh,
            flight: pts(&|c| c.flight),
            rwnd,
            offloaded,
            events: event_lines(offload, conn),
            t_end,
            handovers: handovers.iter().filter(|h| h.conn == conn).cloned().collect(),
        }
    }
}

/// The y axis top for congestion values up to `y_cc` and an rwnd up to `rwnd`: rwnd is
/// shown in full unless it exceeds twice `y_cc` (it would flatten cwnd and flight), then
/// clipped there (`true`: clipped, the legend says so).
fn rwnd_top(y_cc: f64, rwnd: f64) -> (f64, bool) {
    if y_cc <= 0.0 || rwnd <= 2.0 * y_cc {
        (y_cc.max(rwnd), false)
    } else {
        (2.0 * y_cc, true)
    }
}

/// Step-function points: each value holds until the next sample, and the last until `t_end`.
fn steps(pts: &[(f64, f64)], div: f64, t_end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len() * 2 + 1);
    for (i, &(t, v)) in pts.iter().enumerate() {
        if i > 0 {
            out.push((t, pts[i - 1].1 / div));
        }
        out.push((t, v / div));
    }
    if let Some(&(t, v)) = pts.last()
        && t_end > t
    {
        out.push((t_end, v / div));
    }
    out
}

/// The points of `pts` inside [a, b], preceded by the value holding at `a`.
fn window(pts: &[(f64, f64)], a: f64, b: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    if let Some(&(_, v)) = pts.iter().rev().find(|p| p.0 < a) {
        out.push((a, v));
    }
    out.extend(pts.iter().copied().filter(|p| p.0 >= a && p.0 <= b));
    out
}

/// Above this many samples in a panel, a series is reduced to its envelope per time slice.
const MAX_POINTS: usize = 4000;

/// Reduces a step series over [a, b] to at most 4 points per 1/[`SLICES`] of the window
/// (each slice's first, lowest, highest and last sample, in time order) when it has more
/// than [`MAX_POINTS`] points: peaks and troughs survive, at the rendered resolution the
/// line looks the same. Smaller series are returned unchanged.
fn envelope(pts: Vec<(f64, f64)>, a: f64, b: f64) -> Vec<(f64, f64)> {
    if pts.len() <= MAX_POINTS || b <= a {
        return pts;
    }
    let slice = |t: f64| ((t - a) / (b - a) * SLICES).floor() as i64;
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let k = slice(pts[i].0);
        let mut j = i;
        while j + 1 < pts.len() && slice(pts[j + 1].0) == k {
            j += 1;
        }
        let group = &pts[i..=j];
        let lo = (0..group.len())
            .min_by(|&x, &y| group[x].1.total_cmp(&group[y].1))
            .unwrap_or(0);
        let hi = (0..group.len())
            .max_by(|&x, &y| group[x].1.total_cmp(&group[y].1))
            .unwrap_or(0);
        let mut keep = vec![0, lo, hi, group.len() - 1];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|x| group[x]));
        i = j + 1;
    }
    out
}

/// Time slices used by [`envelope`] (about 2.4 per pixel column).
const SLICES: f64 = 2000.0;

/// Old owner's marker, new owner's marker.
const BEFORE: Shape = Shape::Circle;
const AFTER: Shape = Shape::Triangle;

fn owner(s: &CcState) -> &'static str {
    s.sender.label()
}

/// `a → b unit` in the chart's byte unit, or `a unit (same)`.
fn change(a: u32, b: u32, unit: &str, div: f64) -> String {
    let f = |v: u32| {
        if v >= SSTHRESH_INFINITE {
            "unset".to_string()
        } else {
            format!("{:.1} {unit}", f64::from(v) / div)
        }
    };
    if a == b {
        format!("{} (same)", f(a))
    } else {
        format!("{} → {}", f(a), f(b))
    }
}

impl CcChart {
    fn has_zooms(&self) -> bool {
        !self.handovers.is_empty()
    }

    /// Draws cwnd, ssthresh, flight and the offloaded shading over `x_range` on `area`.
    #[allow(clippy::too_many_arguments)]
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        caption_size: u32,
        (a, b): (f64, f64),
        with_events: bool,
        (unit, div): (&str, f64),
    ) -> Result<(), String> {
        let in_win = |pts: &[(f64, f64)]| envelope(window(pts, a, b), a, b);
        let cwnd = in_win(&self.cwnd);
        let flight = in_win(&self.flight);
        // Each ssthresh run, windowed, with the time it holds until (its last sample, at most b).
        let ss: Vec<(Vec<(f64, f64)>, f64)> = self
            .ssthresh
            .iter()
            .map(|r| (in_win(r), r.last().map_or(a, |p| p.0).min(b)))
            .filter(|(r, _)| !r.is_empty())
            .collect();
        let rwnd = in_win(&self.rwnd);
        let y_cc = cwnd
            .iter()
            .chain(flight.iter())
            .chain(ss.iter().flat_map(|r| &r.0))
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let (y_max, _) = rwnd_top(y_cc, rwnd.iter().map(|p| p.1).fold(0.0, f64::max));
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, caption_size))
            .margin(10)
            .x_label_area_size(if with_events { 50 } else { 40 })
            .y_label_area_size(80)
            .build_cartesian_2d(padded(a, b), padded(0.0, y_max / div))
            .s()?;
        let x_fmt = tick_format(b - a);
        chart
            .configure_mesh()
            .x_desc("Time [s]")
            .y_desc(format!("Window / flight [{unit}]"))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&tick_format(y_max / div))
            .x_labels(if with_events { 10 } else { 5 })
            .axis_desc_style((FONT, if with_events { 16 } else { 13 }))
            .label_style((FONT, if with_events { 13 } else { 12 }))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let (y0, y1) = (chart.y_range().start, chart.y_range().end);
        let (x0, x1) = (chart.x_range().start, chart.x_range().end);
        chart
            .draw_series(
                self.offloaded
                    .iter()
                    .filter(|&&(s, e)| e > x0 && s < x1)
                    .map(|&(s, e)| Rectangle::new([(s.max(x0), y0), (e.min(x1), y1)], SHADE.filled())),
            )
            .s()?;
        let clip: Vec<(f64, f64)> = rwnd.iter().map(|&(t, v)| (t, v.min(y_max))).collect();
        draw_dashed_path(
            &chart.plotting_area().strip_coord_spec(),
            &steps(&clip, div, b)
                .iter()
                .map(|p| {
                    let (x, y) = chart.backend_coord(p);
                    let (ox, oy) = chart.plotting_area().get_base_pixel();
                    (x - ox, y - oy)
                })
                .collect::<Vec<_>>(),
            Dash::Dashed,
            RWND.stroke_width(2),
        )?;
        // A clipped rwnd says so on the line itself, not only in the legend.
        let rwnd_max = rwnd.iter().map(|p| p.1).fold(0.0, f64::max);
        if rwnd_max > y_max
            && let Some(&(t, _)) = rwnd.iter().find(|p| p.1 > y_max)
        {
            let (px, py) = chart.backend_coord(&(t.max(a), y_max / div));
            let (ox, oy) = chart.plotting_area().get_base_pixel();
            let (ru, rd) = byte_unit(rwnd_max);
            let label = format!("rwnd off scale (up to {:.1} {ru})", rwnd_max / rd);
            chart
                .plotting_area()
                .strip_coord_spec()
                .draw(&Text::new(
                    label,
                    (px - ox + 6, py - oy + 4),
                    (FONT, caption_size.min(15) - 2).into_font().color(&DARK),
                ))
                .s()?;
        }
        chart
            .draw_series(LineSeries::new(steps(&flight, div, b), FLIGHT.stroke_width(1)))
            .s()?;
        for (run, end) in &ss {
            chart
                .draw_series(LineSeries::new(steps(run, div, *end), SSTHRESH.stroke_width(2)))
                .s()?;
        }
        chart
            .draw_series(LineSeries::new(steps(&cwnd, div, b), CWND.stroke_width(2)))
            .s()?;
        if with_events {
            draw_events(&mut chart, &self.events)?;
        } else {
            for h in &self.handovers {
                let t = h.time_ns as f64 / 1e9;
                if t >= a && t <= b {
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(t, y0), (t, y1)],
                            6,
                            4,
                            EVENT_PURPLE.stroke_width(2),
                        ))
                        .s()?;
                }
            }
        }
        // The handover samples: old owner's last (circle), new owner's first (triangle).
        let plot = chart.plotting_area().strip_coord_spec();
        let (ox, oy) = plot.get_base_pixel();
        for h in &self.handovers {
            for (state, shape) in [(h.before, BEFORE), (h.after, AFTER)] {
                let Some(st) = state else { continue };
                let t = st.time_ns as f64 / 1e9;
                if t < a || t > b {
                    continue;
                }
                for (v, c) in [(st.cwnd, CWND), (st.ssthresh, SSTHRESH)] {
                    if v < SSTHRESH_INFINITE {
                        let (px, py) = chart.backend_coord(&(t, f64::from(v) / div));
                        draw_marker(&plot, (px - ox, py - oy), shape, c, if with_events { 5 } else { 6 })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A zoom panel around one handover, with its values written out.
    fn zoom<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        h: &Handover,
        unit: (&str, f64),
    ) -> Result<(), String> {
        let t = h.time_ns as f64 / 1e9;
        let srtt = h.before.map_or(0.0, |s| s.srtt_ns as f64 / 1e9);
        let w = (3.0 * srtt).max(0.010);
        let (a, b) = ((t - w).max(0.0), (t + w).min(self.t_end.max(t)));
        let (text_area, chart_area) = area.split_vertically(64);
        self.panel(
            &chart_area,
            &format!("{} at {t:.4} s (±{:.0} ms)", h.kind, w * 1e3),
            15,
            (a, b),
            false,
            unit,
        )?;
        let font = (FONT, 13).into_font().color(&BLACK);
        let (lines, ok) = match (h.before, h.after) {
            (Some(x), Some(y)) => {
                let same = x.cwnd == y.cwnd && x.ssthresh == y.ssthresh;
                (
                    vec![
                        format!("{} → {}:", owner(&x), owner(&y)),
                        format!("cwnd {}", change(x.cwnd, y.cwnd, unit.0, unit.1)),
                        format!("ssthresh {}", change(x.ssthresh, y.ssthresh, unit.0, unit.1)),
                    ],
                    Some(same),
                )
            }
            _ => (vec!["no sample on one side".to_string()], None),
        };
        for (i, l) in lines.iter().enumerate() {
            text_area
                .draw(&Text::new(l.clone(), (90, 4 + 16 * i as i32), font.clone()))
                .s()?;
        }
        if let Some(same) = ok {
            let (label, c) = if same {
                ("continued", RGBColor(23, 97, 23))
            } else {
                ("state changed", RGBColor(176, 0, 32))
            };
            let (w, _) = text_area.dim_in_pixel();
            let style = (FONT, 15).into_font().color(&c).pos(Pos::new(HPos::Right, VPos::Top));
            text_area.draw(&Text::new(label, (w as i32 - 12, 4), style)).s()?;
        }
        Ok(())
    }
}

impl Chart for CcChart {
    fn size(&self) -> (u32, u32) {
        if self.has_zooms() { (1280, 1000) } else { (1280, 720) }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items = vec![
            LegendItem::new("cwnd", Mark::Line(CWND, 2)),
            LegendItem::new("ssthresh", Mark::Line(SSTHRESH, 2)),
            LegendItem::new("bytes in flight", Mark::Line(FLIGHT, 1)),
        ];
        if !self.rwnd.is_empty() {
            items.push(LegendItem::new("rwnd (peer's advertised window)", Mark::Dashed(RWND)));
        }
        if !self.offloaded.is_empty() {
            items.push(LegendItem::new("run by the offload target", Mark::Box(SHADE)));
        }
        if !self.events.is_empty() {
            items.push(LegendItem::new("offload / upload", Mark::Dashed(EVENT_PURPLE)));
        }
        if self.has_zooms() {
            items.push(LegendItem::new("old owner's last sample", Mark::Shape(DARK, BEFORE)));
            items.push(LegendItem::new("new owner's first sample", Mark::Shape(DARK, AFTER)));
        }
        let mut note = vec![
            "ssthresh is hidden while unset.".to_string(),
            "Values hold until the next sample.".to_string(),
        ];
        if self.has_zooms() {
            note.push("Below: zoom on each handover.".to_string());
            if self.handovers.len() > MAX_ZOOMS {
                note.push(format!("(first {MAX_ZOOMS} of {})", self.handovers.len()));
            }
        }
        let y_cc = self
            .cwnd
            .iter()
            .chain(self.flight.iter())
            .chain(self.ssthresh.iter().flatten())
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let rwnd_max = self.rwnd.iter().map(|p| p.1).fold(0.0, f64::max);
        let (y_max, clipped) = rwnd_top(y_cc, rwnd_max);
        if clipped {
            note.push(format!(
                "rwnd (up to {:.1} {}) is clipped",
                rwnd_max / byte_unit(rwnd_max).1,
                byte_unit(rwnd_max).0
            ));
            note.push("at twice the largest cwnd/flight.".to_string());
        }
        let plot = with_legend(root, &items, &note)?;
        let unit = byte_unit(y_max);
        if !self.has_zooms() {
            return self.panel(&plot, &self.title, 22, (0.0, self.t_end), true, unit);
        }
        let (_, h) = plot.dim_in_pixel();
        let (top, bottom) = plot.split_vertically(h * 62 / 100);
        self.panel(&top, &self.title, 22, (0.0, self.t_end), true, unit)?;
        let zooms: Vec<&Handover> = self.handovers.iter().take(MAX_ZOOMS).collect();
        let panels = bottom.split_evenly((1, zooms.len()));
        for (h, area) in zooms.iter().zip(&panels) {
            self.zoom(area, h, unit)?;
        }
        Ok(())
    }
}
