//! Means with 95% CI whiskers against a numeric parameter (one line per variant) or against
//! categories (points side by side, e.g. two result folders compared).

use super::{Chart, FONT, LegendItem, Mark, Str, bars::ellipsize, padded, tick_format, with_legend};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One mean with its CI.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CiPoint {
    pub x: f64,
    pub mean: f64,
    /// CI ends (absent for n < 2).
    pub ci: Option<(f64, f64)>,
}

/// One line.
pub(crate) struct CiSeries {
    pub label: String,
    pub points: Vec<CiPoint>,
}

/// The x axis.
pub(crate) enum XAxis {
    /// A numeric parameter; its name and unit as the axis label.
    Numeric(String),
    /// Categories at x = 0, 1, ...; series are dodged side by side, not joined.
    Categories(String, Vec<String>),
}

/// The chart's data.
pub(crate) struct CiChart {
    pub title: String,
    pub y_label: String,
    pub x: XAxis,
    pub series: Vec<CiSeries>,
    pub note: Vec<String>,
}

/// Distinguishable colours for series (Okabe–Ito, then greys).
pub(crate) fn series_color(i: usize) -> RGBColor {
    const C: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(120, 120, 120),
    ];
    C[i % C.len()]
}

impl Chart for CiChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendItem::new(ellipsize(&s.label, 30), Mark::Whisker(series_color(i))))
            .collect();
        if items.is_empty() {
            items.push(LegendItem::new("(no data)", Mark::Line(RGBColor(200, 200, 200), 1)));
        }
        let plot = with_legend(root, &items, &self.note)?;
        let ns = self.series.len().max(1);
        let dodge = |i: usize| match self.x {
            XAxis::Categories(..) => (i as f64 - (ns as f64 - 1.0) / 2.0) * (0.6 / ns as f64),
            XAxis::Numeric(_) => 0.0,
        };
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut x_lo, mut x_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in pts {
            let (lo, hi) = p.ci.unwrap_or((p.mean, p.mean));
            y_lo = y_lo.min(lo.min(p.mean));
            y_hi = y_hi.max(hi.max(p.mean));
            x_lo = x_lo.min(p.x);
            x_hi = x_hi.max(p.x);
        }
        if !y_lo.is_finite() {
            (y_lo, y_hi, x_lo, x_hi) = (0.0, 1.0, 0.0, 1.0);
        }
        // Counts and rates start at zero when all values are non-negative.
        let y_range = padded(if y_lo >= 0.0 { 0.0 } else { y_lo }, y_hi);
        let (x_range, x_desc) = match &self.x {
            XAxis::Numeric(d) => {
                // Room on both sides so end points and their whiskers clear the frame.
                let pad = if x_hi > x_lo {
                    0.08 * (x_hi - x_lo)
                } else {
                    x_hi.abs().max(1.0) * 0.5
                };
                ((x_lo - pad)..(x_hi + pad), d.clone())
            }
            XAxis::Categories(d, c) => (-0.5..(c.len().max(1) as f64 - 0.5), d.clone()),
        };
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range, y_range)
            .s()?;
        let (pw, _) = plot.dim_in_pixel();
        let fmt = |v: &f64| match &self.x {
            XAxis::Numeric(_) => format!("{v}"),
            XAxis::Categories(_, c) => {
                let i = v.round();
                let max_chars = ((pw as f64 - 110.0) / c.len().max(1) as f64 / 7.5).max(4.0) as usize;
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                    ellipsize(&c[i as usize], max_chars)
                } else {
                    String::new()
                }
            }
        };
        let mut mesh = chart.configure_mesh();
        if let XAxis::Categories(_, c) = &self.x {
            mesh.disable_x_mesh().x_labels(c.len().max(1)).x_label_formatter(&fmt);
        }
        let y_fmt = tick_format(y_hi - y_lo.min(0.0));
        mesh.x_desc(x_desc)
            .y_desc(self.y_label.clone())
            .y_label_formatter(&y_fmt)
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let cap = {
            let r = chart.x_range();
            (r.end - r.start) * 0.008
        };
        for (i, s) in self.series.iter().enumerate() {
            let c = series_color(i);
            let d = dodge(i);
            if matches!(self.x, XAxis::Numeric(_)) {
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().map(|p| (p.x, p.mean)),
                        c.stroke_width(2),
                    ))
                    .s()?;
            }
            for p in &s.points {
                let x = p.x + d;
                if let Some((lo, hi)) = p.ci {
                    let st = c.stroke_width(2);
                    chart.draw_series([PathElement::new(vec![(x, lo), (x, hi)], st)]).s()?;
                    for y in [lo, hi] {
                        chart
                            .draw_series([PathElement::new(vec![(x - cap, y), (x + cap, y)], st)])
                            .s()?;
                    }
                }
                chart.draw_series([Circle::new((x, p.mean), 4, c.filled())]).s()?;
            }
        }
        Ok(())
    }
}
