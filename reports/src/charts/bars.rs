//! Stacked bars (retransmissions by source), one bar per run or parameter point, with
//! optional whiskers (spread across seeds) and the total written above each bar.

use super::{Chart, DARK, FONT, LegendItem, Mark, Str, tick_format, with_legend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One stack layer: label, colour, value per category.
pub(crate) type Layer = (String, RGBColor, Vec<f64>);

/// (lo, hi) per category, if any.
pub(crate) type Whiskers = Vec<Option<(f64, f64)>>;

/// The chart's data.
pub(crate) struct StackedBars {
    pub title: String,
    pub y_label: String,
    pub x_label: String,
    pub categories: Vec<String>,
    /// Bottom to top.
    pub layers: Vec<Layer>,
    /// Whisker legend label and (lo, hi) per category.
    pub whiskers: Option<(String, Whiskers)>,
    pub note: Vec<String>,
}

/// Shortens `s` to at most `max` characters, ending with an ellipsis when cut.
pub(crate) fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn value_label(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

impl Chart for StackedBars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items: Vec<LegendItem> = self
            .layers
            .iter()
            .rev()
            .map(|(l, c, _)| LegendItem::new(l.clone(), Mark::Box(*c)))
            .collect();
        if let Some((label, _)) = &self.whiskers {
            items.push(LegendItem::new(label.clone(), Mark::Whisker(DARK)));
        }
        let plot = with_legend(root, &items, &self.note)?;
        let n = self.categories.len().max(1);
        let totals: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| l.2.get(i).copied().unwrap_or(0.0)).sum())
            .collect();
        let whisk_max = self
            .whiskers
            .iter()
            .flat_map(|w| w.1.iter().flatten().map(|p| p.1))
            .fold(0.0, f64::max);
        let y_max = totals.iter().copied().fold(whisk_max, f64::max).max(1.0) * 1.12;
        let pad = (4.0 - n as f64).max(0.0) / 2.0;
        // Category labels may have several lines (`\n`), e.g. one per sweep parameter.
        let lines: Vec<Vec<&str>> = self.categories.iter().map(|c| c.split('\n').collect()).collect();
        let n_lines = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(34 + 16 * n_lines as u32)
            .y_label_area_size(80)
            // At least four bar widths, so a single run is not one huge block.
            .build_cartesian_2d(-0.5 - pad..(n as f64 - 0.5 + pad), 0f64..y_max)
            .s()?;
        let (pw, _) = plot.dim_in_pixel();
        let max_chars = ((pw as f64 - 100.0) / n as f64 / 7.5).max(4.0) as usize;
        // Tick labels are drawn below, line by line.
        let fmt = |_: &f64| String::new();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&fmt)
            .x_desc(self.x_label.clone())
            .y_desc(self.y_label.clone())
            .y_label_formatter(&tick_format(y_max))
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let (bx, by) = plot.get_base_pixel();
        let label_font = (FONT, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, ls) in lines.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64, 0.0));
            for (j, l) in ls.iter().enumerate() {
                plot.draw(&Text::new(
                    ellipsize(l, max_chars),
                    (px - bx, py - by + 6 + 16 * j as i32),
                    label_font.clone(),
                ))
                .s()?;
            }
        }
        let half = 0.35;
        let mut inside: Vec<(f64, f64, String)> = Vec::new();
        for i in 0..n {
            let x = i as f64;
            let mut base = 0.0;
            for (_, c, vals) in &self.layers {
                let v = vals.get(i).copied().unwrap_or(0.0);
                if v > 0.0 {
                    chart
                        .draw_series([Rectangle::new([(x - half, base), (x + half, base + v)], c.filled())])
                        .s()?;
                    // The layer's value inside it, when there is room (drawn last).
                    if v >= 0.045 * y_max {
                        inside.push((x, base + v / 2.0, value_label(v)));
                    }
                }
                base += v;
            }
            let mut top = base;
            if let Some((_, w)) = &self.whiskers
                && let Some(Some((lo, hi))) = w.get(i)
            {
                let s = DARK.stroke_width(2);
                chart.draw_series([PathElement::new(vec![(x, *lo), (x, *hi)], s)]).s()?;
                for y in [*lo, *hi] {
                    chart
                        .draw_series([PathElement::new(vec![(x - 0.08, y), (x + 0.08, y)], s)])
                        .s()?;
                }
                top = top.max(*hi);
            }
            let label = format!("total {}", value_label(base));
            let style = (FONT, 14)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            chart
                .draw_series([Text::new(label, (x, top + y_max * 0.01), style)])
                .s()?;
        }
        // Layer values on a white box, above the whiskers that cross them.
        let area = chart.plotting_area().strip_coord_spec();
        let (ox, oy) = area.get_base_pixel();
        let font = (FONT, 13).into_font().color(&BLACK);
        for (x, y, text) in inside {
            let (w, h) = area.estimate_text_size(&text, &font).s()?;
            let (px, py) = chart.backend_coord(&(x, y));
            let (l, t) = (px - ox - w as i32 / 2, py - oy - h as i32 / 2);
            area.draw(&Rectangle::new(
                [(l - 3, t - 2), (l + w as i32 + 3, t + h as i32 + 2)],
                WHITE.mix(0.85).filled(),
            ))
            .s()?;
            area.draw(&Text::new(text, (l, t), font.clone())).s()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ellipsize_cuts_long_labels() {
        assert_eq!(super::ellipsize("abc", 5), "abc");
        assert_eq!(super::ellipsize("abcdefgh", 5), "abcd…");
    }
}
