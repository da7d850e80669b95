//! Stacked bars (retransmissions by source or by cause), one bar per run or parameter point,
//! with optional whiskers (an interval of the total) and the total written above each bar.
//! Bars of the same outer sweep value form a group: groups are set apart by a gap and a
//! dashed line, and the outer value is written once under its group. Whiskers stand just
//! right of their bar, and a value is written inside a layer only where it fits the bar, so
//! no label ever crosses a whisker; the total sits above both bar and whisker.

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
    /// The outer sweep axis, when bars are grouped by it.
    pub grouping: Option<Grouping>,
    pub note: Vec<String>,
}

/// Bars grouped by the value of the outer sweep axis.
pub(crate) struct Grouping {
    /// The axis name.
    pub axis: String,
    /// The axis value per category (categories of one group are adjacent).
    pub values: Vec<String>,
}

/// Gap added between groups [bar slots].
const GROUP_GAP: f64 = 0.6;
/// Half a bar's width [bar slots].
const HALF: f64 = 0.35;

/// Each category's x position, and the groups as (first x, last x, value): categories advance
/// by 1, plus [`GROUP_GAP`] where the group value changes.
pub(crate) fn positions(n: usize, groups: Option<&[String]>) -> (Vec<f64>, Vec<(f64, f64, String)>) {
    let mut xs = Vec::with_capacity(n);
    let mut spans: Vec<(f64, f64, String)> = Vec::new();
    let mut x = 0.0;
    for i in 0..n {
        let g = groups.and_then(|g| g.get(i));
        if i > 0 && groups.is_some() && g != groups.and_then(|gs| gs.get(i - 1)) {
            x += GROUP_GAP;
        }
        xs.push(x);
        if let Some(g) = g {
            match spans.last_mut() {
                Some(last) if last.2 == *g && i > 0 && groups.and_then(|gs| gs.get(i - 1)) == Some(g) => last.1 = x,
                _ => spans.push((x, x, g.clone())),
            }
        }
        x += 1.0;
    }
    (xs, spans)
}

/// The x of the whisker beside the bar at `x`: right of the bar's edge, so that neither the
/// bar's fill nor the values written inside it touch it.
pub(crate) fn whisker_x(x: f64) -> f64 {
    x + HALF + 0.07
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
        let (xs, spans) = positions(
            self.categories.len(),
            self.grouping.as_ref().map(|g| g.values.as_slice()),
        );
        let x_last = xs.last().copied().unwrap_or(0.0);
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
        // Category labels may have several lines (`\n`), e.g. one per sweep parameter; the
        // group's value takes one more line.
        let lines: Vec<Vec<&str>> = self.categories.iter().map(|c| c.split('\n').collect()).collect();
        let n_lines = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let group_line = usize::from(self.grouping.is_some());
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(34 + 16 * (n_lines + group_line) as u32 + 4 * group_line as u32)
            .y_label_area_size(80)
            // At least four bar widths, so a single run is not one huge block.
            .build_cartesian_2d(-0.5 - pad..(x_last + 0.5 + pad), 0f64..y_max)
            .s()?;
        let (pw, _) = plot.dim_in_pixel();
        let max_chars = ((pw as f64 - 100.0) / (x_last + 1.0) / 7.5).max(4.0) as usize;
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
        for (ls, &x) in lines.iter().zip(&xs) {
            let (px, py) = chart.backend_coord(&(x, 0.0));
            for (j, l) in ls.iter().enumerate() {
                plot.draw(&Text::new(
                    ellipsize(l, max_chars),
                    (px - bx, py - by + 6 + 16 * j as i32),
                    label_font.clone(),
                ))
                .s()?;
            }
        }
        if let Some(g) = &self.grouping {
            // The outer value once under its group, and a dashed line between groups.
            let group_font = (FONT, 14)
                .into_font()
                .color(&DARK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            for (a, b, v) in &spans {
                let (px, py) = chart.backend_coord(&((a + b) / 2.0, 0.0));
                let per = ((b - a + 1.0) * max_chars as f64) as usize;
                plot.draw(&Text::new(
                    ellipsize(&format!("{} = {v}", g.axis), per.max(6)),
                    (px - bx, py - by + 10 + 16 * n_lines as i32),
                    group_font.clone(),
                ))
                .s()?;
            }
            for w in spans.windows(2) {
                let mid = (w[0].1 + w[1].0) / 2.0;
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(mid, 0.0), (mid, y_max)],
                        6,
                        4,
                        RGBColor(150, 150, 150).stroke_width(1),
                    ))
                    .s()?;
            }
        }
        let mut inside: Vec<(f64, f64, String)> = Vec::new();
        let font = (FONT, 13).into_font().color(&BLACK);
        let bar_px = {
            let (a, _) = chart.backend_coord(&(0.0, 0.0));
            let (b, _) = chart.backend_coord(&(2.0 * HALF, 0.0));
            b - a
        };
        for (i, &x) in xs.iter().enumerate() {
            let mut base = 0.0;
            for (_, c, vals) in &self.layers {
                let v = vals.get(i).copied().unwrap_or(0.0);
                if v > 0.0 {
                    chart
                        .draw_series([Rectangle::new([(x - HALF, base), (x + HALF, base + v)], c.filled())])
                        .s()?;
                    // The layer's value inside it, when it fits the bar (drawn last).
                    let text = value_label(v);
                    let (w, _) = plot.estimate_text_size(&text, &font).s()?;
                    if v >= 0.045 * y_max && w as i32 + 6 <= bar_px {
                        inside.push((x, base + v / 2.0, text));
                    }
                }
                base += v;
            }
            let mut top = base;
            if let Some((_, w)) = &self.whiskers
                && let Some(Some((lo, hi))) = w.get(i)
            {
                let s = DARK.stroke_width(2);
                let wx = whisker_x(x);
                chart
                    .draw_series([PathElement::new(vec![(wx, *lo), (wx, *hi)], s)])
                    .s()?;
                for y in [*lo, *hi] {
                    chart
                        .draw_series([PathElement::new(vec![(wx - 0.04, y), (wx + 0.04, y)], s)])
                        .s()?;
                }
                chart.draw_series([Circle::new((wx, base), 3, DARK.filled())]).s()?;
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
        // Layer values on a white box.
        let area = chart.plotting_area().strip_coord_spec();
        let (ox, oy) = area.get_base_pixel();
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

    #[test]
    fn groups_of_the_outer_axis_are_set_apart_by_a_gap() {
        let g: Vec<String> = ["none", "none", "mid", "mid", "mid"].map(String::from).to_vec();
        let (xs, spans) = super::positions(5, Some(&g));
        assert_eq!(xs, vec![0.0, 1.0, 2.6, 3.6, 4.6]);
        assert_eq!(spans, vec![(0.0, 1.0, "none".into()), (2.6, 4.6, "mid".into())]);
        // A value that comes back later starts a new group (points are in sweep order).
        let g: Vec<String> = ["a", "b", "a"].map(String::from).to_vec();
        assert_eq!(super::positions(3, Some(&g)).1.len(), 3);
        assert_eq!(super::positions(2, None), (vec![0.0, 1.0], vec![]));
    }

    #[test]
    fn whiskers_stand_beside_the_bar_clear_of_the_next_one() {
        let x = 3.0;
        // Cap half-width 0.04: the whisker never reaches into its own bar nor the next.
        assert!(super::whisker_x(x) - 0.04 > x + super::HALF);
        assert!(super::whisker_x(x) + 0.04 < x + 1.0 - super::HALF);
    }
}
