//! cwnd, ssthresh and bytes in flight of one connection over time, with the offloaded period
//! shaded and offload/upload moments marked: does the target continue the host's state?

use super::timeseq::event_lines;
use super::{
    Chart, EVENT_PURPLE, FONT, LegendItem, Mark, Str, byte_unit, draw_events, padded, tick_format, with_legend,
};
use models::record::{CcSample, OffloadEventKind, OffloadRecord};
use plotters::coord::Shift;
use plotters::prelude::*;

const CWND: RGBColor = RGBColor(0, 114, 178);
const SSTHRESH: RGBColor = RGBColor(213, 94, 0);
const FLIGHT: RGBColor = RGBColor(0, 158, 115);
const SHADE: RGBColor = RGBColor(255, 244, 214);

/// The chart's data: step series in bytes against time in seconds.
pub(crate) struct CcChart {
    pub title: String,
    pub cwnd: Vec<(f64, f64)>,
    /// ssthresh, only while finite (below the "infinite" initial value).
    pub ssthresh: Vec<Vec<(f64, f64)>>,
    pub flight: Vec<(f64, f64)>,
    /// Intervals run by the offload target: [start, end) in seconds.
    pub offloaded: Vec<(f64, f64)>,
    pub events: Vec<(f64, String)>,
    pub t_end: f64,
}

/// ssthresh values at or above this are "not yet set" and not drawn [bytes].
const SSTHRESH_INFINITE: u32 = 1 << 30;

impl CcChart {
    /// Extracts connection `conn`'s samples.
    pub fn new(title: String, cc: &[CcSample], offload: &[OffloadRecord], conn: u32, t_end: f64) -> CcChart {
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
            offloaded,
            events: event_lines(offload, conn),
            t_end,
        }
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

impl Chart for CcChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items = vec![
            LegendItem::new("cwnd", Mark::Line(CWND, 2)),
            LegendItem::new("ssthresh", Mark::Line(SSTHRESH, 2)),
            LegendItem::new("bytes in flight", Mark::Line(FLIGHT, 1)),
        ];
        if !self.offloaded.is_empty() {
            items.push(LegendItem::new("run by the offload target", Mark::Box(SHADE)));
        }
        if !self.events.is_empty() {
            items.push(LegendItem::new("offload / upload", Mark::Dashed(EVENT_PURPLE)));
        }
        let note = vec![
            "ssthresh is hidden while unset.".to_string(),
            "Values hold until the next sample.".to_string(),
        ];
        let plot = with_legend(root, &items, &note)?;
        let y_max = self
            .cwnd
            .iter()
            .chain(self.flight.iter())
            .chain(self.ssthresh.iter().flatten())
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let (unit, div) = byte_unit(y_max);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(padded(0.0, self.t_end), padded(0.0, y_max / div))
            .s()?;
        chart
            .configure_mesh()
            .x_desc("Time [s]")
            .y_desc(format!("Window / flight [{unit}]"))
            .y_label_formatter(&tick_format(y_max / div))
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let (y0, y1) = (chart.y_range().start, chart.y_range().end);
        chart
            .draw_series(
                self.offloaded
                    .iter()
                    .map(|&(a, b)| Rectangle::new([(a, y0), (b, y1)], SHADE.filled())),
            )
            .s()?;
        chart
            .draw_series(LineSeries::new(
                steps(&self.flight, div, self.t_end),
                FLIGHT.stroke_width(1),
            ))
            .s()?;
        for run in &self.ssthresh {
            chart
                .draw_series(LineSeries::new(
                    steps(run, div, run.last().map_or(0.0, |p| p.0)),
                    SSTHRESH.stroke_width(2),
                ))
                .s()?;
        }
        chart
            .draw_series(LineSeries::new(
                steps(&self.cwnd, div, self.t_end),
                CWND.stroke_width(2),
            ))
            .s()?;
        draw_events(&mut chart, &self.events)?;
        Ok(())
    }
}
