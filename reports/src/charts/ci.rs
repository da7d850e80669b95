//! Means with 95% CI whiskers against a numeric parameter (one line per variant) or against
//! categories (points side by side, e.g. two result folders compared).

use super::{
    Chart, FONT, LegendItem, Mark, Str, bars::ellipsize, draw_dashed_path, draw_marker, padded, series_style,
    tick_format, with_legend,
};
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
    /// A numeric parameter that is a probability: ticks in %, the label gets "[%]".
    Percent(String),
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
    /// The metric cannot be negative: whiskers are clipped at 0 (noted on the chart).
    pub non_negative: bool,
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

impl CiChart {
    /// Horizontal offset of series `i` in x units, so that variants with (nearly) equal values
    /// at the same x stay visible side by side.
    ///
    /// Rule: categories — series share 60% of a category's width. Numeric axis — neighbouring
    /// series are `min(1.5% of the x span, 40% of the smallest gap between distinct x values
    /// / number of series)` apart, centred on the true x; lines join the offset points.
    fn dodge(&self, i: usize) -> f64 {
        let ns = self.series.len().max(1);
        let centred = i as f64 - (ns as f64 - 1.0) / 2.0;
        match self.x {
            XAxis::Categories(..) => centred * (0.6 / ns as f64),
            XAxis::Numeric(_) | XAxis::Percent(_) if ns < 2 => 0.0,
            XAxis::Numeric(_) | XAxis::Percent(_) => {
                let mut xs: Vec<f64> = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.x)).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                let span = match (xs.first(), xs.last()) {
                    (Some(a), Some(b)) if b > a => b - a,
                    _ => 1.0,
                };
                let gap = xs.windows(2).map(|w| w[1] - w[0]).fold(span, f64::min);
                centred * (0.015 * span).min(0.4 * gap / ns as f64)
            }
        }
    }

    /// The whisker as drawn: clipped at 0 for non-negative metrics.
    fn shown_ci(&self, p: &CiPoint) -> Option<(f64, f64)> {
        p.ci.map(|(lo, hi)| if self.non_negative { (lo.max(0.0), hi) } else { (lo, hi) })
    }

    /// True if some drawn whisker was clipped at 0.
    fn clipped(&self) -> bool {
        self.non_negative
            && self
                .series
                .iter()
                .flat_map(|s| &s.points)
                .any(|p| p.ci.is_some_and(|c| c.0 < 0.0))
    }
}

impl Chart for CiChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (shape, dash) = series_style(i);
                LegendItem::new(ellipsize(&s.label, 30), Mark::Series(series_color(i), shape, dash))
            })
            .collect();
        if items.is_empty() {
            items.push(LegendItem::new("(no data)", Mark::Line(RGBColor(200, 200, 200), 1)));
        }
        let mut note = self.note.clone();
        if self.series.len() > 1 {
            note.push(match self.x {
                XAxis::Numeric(_) | XAxis::Percent(_) => "Variants are offset slightly in x".to_string(),
                XAxis::Categories(..) => "Series side by side per category.".to_string(),
            });
            if matches!(self.x, XAxis::Numeric(_) | XAxis::Percent(_)) {
                note.push("so none hides another.".to_string());
            }
        }
        if self.clipped() {
            note.push("Whiskers clipped at 0 (the metric".to_string());
            note.push("cannot be negative).".to_string());
        }
        let plot = with_legend(root, &items, &note)?;
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut x_lo, mut x_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in self.series.iter().flat_map(|s| s.points.iter()) {
            let (lo, hi) = self.shown_ci(p).unwrap_or((p.mean, p.mean));
            y_lo = y_lo.min(lo.min(p.mean));
            y_hi = y_hi.max(hi.max(p.mean));
            x_lo = x_lo.min(p.x);
            x_hi = x_hi.max(p.x);
        }
        if !y_lo.is_finite() {
            (y_lo, y_hi, x_lo, x_hi) = (0.0, 1.0, 0.0, 1.0);
        }
        // Counts and rates start at zero when all values are non-negative; an all-zero metric
        // still gets a visible axis.
        let y_base = if y_lo >= 0.0 { 0.0 } else { y_lo };
        let y_range = if y_hi <= y_base {
            y_base..(y_base + 1.0)
        } else {
            padded(y_base, y_hi)
        };
        let (x_range, x_desc) = match &self.x {
            XAxis::Numeric(d) | XAxis::Percent(d) => {
                // Room on both sides so end points, their whiskers and the dodge clear the frame.
                let pad = if x_hi > x_lo {
                    0.08 * (x_hi - x_lo)
                } else {
                    x_hi.abs().max(1.0) * 0.5
                };
                let desc = if matches!(self.x, XAxis::Percent(_)) {
                    format!("{d} [%]")
                } else {
                    d.clone()
                };
                ((x_lo - pad)..(x_hi + pad), desc)
            }
            XAxis::Categories(d, c) => (-0.5..(c.len().max(1) as f64 - 0.5), d.clone()),
        };
        let x_range_span = x_range.end - x_range.start;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range, y_range.clone())
            .s()?;
        let (pw, _) = plot.dim_in_pixel();
        let x_fmt = tick_format(x_range_span);
        let pct_fmt = tick_format(x_range_span * 100.0);
        let fmt = |v: &f64| match &self.x {
            XAxis::Numeric(_) => x_fmt(v),
            XAxis::Percent(_) => format!("{} %", pct_fmt(&(v * 100.0))),
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
        mesh.x_label_formatter(&fmt);
        if let XAxis::Categories(_, c) = &self.x {
            mesh.disable_x_mesh().x_labels(c.len().max(1));
        }
        let y_fmt = tick_format(y_range.end - y_range.start);
        mesh.x_desc(x_desc)
            .y_desc(self.y_label.clone())
            .y_label_formatter(&y_fmt)
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let area = chart.plotting_area().strip_coord_spec();
        let (ox, oy) = area.get_base_pixel();
        let px = |x: f64, y: f64| {
            let (a, b) = chart.backend_coord(&(x, y));
            (a - ox, b - oy)
        };
        // Lines first, then whiskers, then markers on top, so no line hides a marker.
        if matches!(self.x, XAxis::Numeric(_) | XAxis::Percent(_)) {
            for (i, s) in self.series.iter().enumerate() {
                let d = self.dodge(i);
                let pts: Vec<(i32, i32)> = s.points.iter().map(|p| px(p.x + d, p.mean)).collect();
                draw_dashed_path(&area, &pts, series_style(i).1, series_color(i).stroke_width(2))?;
            }
        }
        for (i, s) in self.series.iter().enumerate() {
            let c = series_color(i);
            let d = self.dodge(i);
            for p in &s.points {
                if let Some((lo, hi)) = self.shown_ci(p) {
                    let (x, y_lo) = px(p.x + d, lo);
                    let (_, y_hi) = px(p.x + d, hi);
                    let st = c.stroke_width(2);
                    area.draw(&PathElement::new(vec![(x, y_lo), (x, y_hi)], st)).s()?;
                    area.draw(&PathElement::new(vec![(x - 5, y_hi), (x + 5, y_hi)], st))
                        .s()?;
                    if !(self.non_negative && p.ci.is_some_and(|c| c.0 < 0.0)) {
                        area.draw(&PathElement::new(vec![(x - 5, y_lo), (x + 5, y_lo)], st))
                            .s()?;
                    }
                }
            }
        }
        for (i, s) in self.series.iter().enumerate() {
            let d = self.dodge(i);
            for p in &s.points {
                draw_marker(&area, px(p.x + d, p.mean), series_style(i).0, series_color(i), 5)?;
            }
        }
        Ok(())
    }
}
