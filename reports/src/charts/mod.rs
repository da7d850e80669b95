//! Charts with plotters, each rendered to PNG and SVG from the same drawing code.
//!
//! Text uses the embedded DejaVu Sans (`assets/DejaVuSans.ttf`, Bitstream Vera license in
//! `assets/DejaVuSans-LICENSE.txt`) registered as `sans-serif`, the only family used; no
//! system font is read, so the same input gives byte-identical PNG and SVG files on every
//! machine. Legends are drawn in a strip right of the plot, never over data.

mod bars;
mod cc;
mod ci;
mod flows;
mod series;
mod timeseq;
pub(crate) use series::{ChartInputs, KEEP};

pub(crate) use bars::{Grouping, StackedBars};
pub(crate) use cc::{CcChart, SSTHRESH_INFINITE};
pub(crate) use ci::{CiChart, CiPoint, CiSeries, XAxis};
pub(crate) use flows::{BINS as FLOW_BINS, FlowsChart, RATE_BINS, queue_peaks, throughput};
pub(crate) use timeseq::TimeSeq;

use crate::io::{AtomicFile, write_atomic};
use crate::{ReportError, Result};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

/// The embedded font.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The only font family charts use.
pub(crate) const FONT: &str = "sans-serif";

/// Registers the embedded font once per process.
fn ensure_font() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, DEJAVU_SANS).map_err(|_| "embedded DejaVu Sans is invalid".to_string())
    })
    .clone()
    .map_err(|message| ReportError::Chart {
        name: "font".into(),
        message,
    })
}

/// `Result<T, String>` from any displayable error, for plotters' backend-generic errors.
pub(crate) trait Str<T> {
    fn s(self) -> std::result::Result<T, String>;
}

impl<T, E: std::fmt::Display> Str<T> for std::result::Result<T, E> {
    fn s(self) -> std::result::Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// A chart that can draw itself on any backend.
pub(crate) trait Chart {
    /// Pixel size (PNG) / user units (SVG).
    fn size(&self) -> (u32, u32) {
        (1280, 720)
    }

    /// Draws the chart on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;

    /// Writes the SVG elements added on top of the drawing (after the SVG `draw`, before
    /// `</svg>`): hoverable marks with `<title>` tooltips, which plotters' SVG backend cannot
    /// write. Written straight to the file: a long run's tooltips are megabytes.
    fn svg_overlay(&self, _out: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `chart` to `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub(crate) fn render(dir: &Path, stem: &str, chart: &impl Chart) -> Result<()> {
    ensure_font()?;
    let (w, h) = chart.size();
    let err = |message: String| ReportError::Chart {
        name: stem.to_string(),
        message,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).s().map_err(err)?;
        chart.draw(&root).map_err(err)?;
        root.present().s().map_err(err)?;
    }
    let end = svg
        .rfind("</svg>")
        .ok_or_else(|| err("the SVG backend wrote no </svg>".into()))?;
    // The overlay goes in before `</svg>`, written piece by piece (no second copy of a large
    // SVG), and the SVG is let go before the bitmap is drawn.
    let path = dir.join(format!("{stem}.svg"));
    let mut f = AtomicFile::create(&path)?;
    let io = |e| ReportError::io("write", &path, e);
    write_merged(&svg[..end], &mut f).map_err(io)?;
    chart.svg_overlay(&mut f).map_err(io)?;
    f.write_all(&svg.as_bytes()[end..]).map_err(io)?;
    f.commit()?;
    drop(svg);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).s().map_err(err)?;
        chart.draw(&root).map_err(err)?;
        root.present().s().map_err(err)?;
    }
    write_atomic(&dir.join(format!("{stem}.png")), &encode_png(&rgb, w, h).map_err(err)?)
}

/// Writes plotters' SVG text `svg` to `out` with each run of adjacent `<polyline>` elements of
/// one style (plotters writes one per line, one per tick or mark) merged into one `<path>`
/// with a subpath per polyline: the same strokes, drawn the same (opaque, each subpath
/// stroked on its own), in about a sixth of the bytes. A polyline with no neighbour of its
/// style is written as it came.
fn write_merged(svg: &str, out: &mut impl Write) -> std::io::Result<()> {
    fn flush(run: &mut Option<(&str, Vec<&str>)>, out: &mut impl Write) -> std::io::Result<()> {
        match run.take() {
            Some((style, pts)) if pts.len() == 1 => writeln!(out, "<polyline {style} points=\"{}\"/>", pts[0]),
            Some((style, pts)) => {
                write!(out, "<path {style} d=\"")?;
                for p in pts {
                    write!(out, "M{p}")?;
                }
                out.write_all(b"\"/>\n")
            }
            None => Ok(()),
        }
    }
    let mut run: Option<(&str, Vec<&str>)> = None;
    for line in svg.split_inclusive('\n') {
        let polyline = line
            .strip_suffix("\"/>\n")
            .and_then(|l| l.strip_prefix("<polyline "))
            .and_then(|l| l.split_once(" points=\""))
            .filter(|(style, pts)| !style.contains('<') && !pts.contains('"'));
        match (polyline, &mut run) {
            (Some((style, pts)), Some((s, v))) if *s == style => v.push(pts),
            (Some((style, pts)), _) => {
                flush(&mut run, out)?;
                run = Some((style, vec![pts]));
            }
            (None, _) => {
                flush(&mut run, out)?;
                out.write_all(line.as_bytes())?;
            }
        }
    }
    flush(&mut run, out)
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, String> {
    // Rows are filtered with the Up filter (charts are mostly flat colour and vertical runs, so
    // a row repeats the one above: ~9 % smaller than Sub) and deflated at [`PNG_LEVEL`], the
    // top and bottom halves at once, each as raw deflate (the way pigz splits a stream: the
    // first half ends with a sync flush on a byte boundary, the second with the final block),
    // joined in one zlib stream. Deflating was half of drawing a run's charts; the split is
    // fixed (half the rows), so the bytes are the same on any machine.
    let stride = w as usize * 3;
    if stride == 0 || rgb.len() != stride * h as usize {
        return Err(format!(
            "a {w} x {h} image needs {} bytes, got {}",
            stride * h as usize,
            rgb.len()
        ));
    }
    let rows = h as usize;
    let split = rows / 2;
    // The zlib stream's Adler-32 runs over every filtered row in order: this thread sums its
    // own half as it deflates it, then the bottom rows while the other thread still deflates
    // them (filtering a row again is far cheaper than deflating it).
    let mut adler = adler2::Adler32::new();
    let (top, bottom) = std::thread::scope(|s| {
        let bottom = s.spawn(|| deflate_rows(rgb, stride, split..rows, true, None));
        let top = deflate_rows(rgb, stride, 0..split, false, Some(&mut adler));
        let mut row = vec![0u8; stride + 1];
        for y in split..rows {
            up_filter(rgb, stride, y, &mut row);
            adler.write_slice(&row);
        }
        (top, bottom.join())
    });
    let bottom = bottom.map_err(|_| "deflating a PNG's bottom half panicked".to_string())?;
    let (top, bottom) = (top?, bottom?);
    // The zlib stream (RFC 1950): header (deflate, 32 KiB window, level 2's FLEVEL; the
    // header's 16 bits a multiple of 31), the halves, the Adler-32 of the filtered rows.
    let mut idat = Vec::with_capacity(2 + top.len() + bottom.len() + 4);
    idat.extend_from_slice(&[0x78, 0x5E]);
    idat.extend_from_slice(&top);
    idat.extend_from_slice(&bottom);
    idat.extend_from_slice(&adler.checksum().to_be_bytes());
    let mut out = Vec::with_capacity(idat.len() + 64);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().s()?;
        wr.write_chunk(png::chunk::IDAT, &idat).s()?;
        wr.finish().s()?;
    }
    Ok(out)
}

/// Row `y` of `rgb` as PNG filter type 2, Up (PNG specification, 9.2: each byte minus the one
/// above it; the first row against zeros), with its filter-type byte, into `row`.
fn up_filter(rgb: &[u8], stride: usize, y: usize, row: &mut [u8]) {
    row[0] = 2;
    let line = &rgb[y * stride..(y + 1) * stride];
    if y == 0 {
        row[1..].copy_from_slice(line);
    } else {
        let above = &rgb[(y - 1) * stride..y * stride];
        for ((f, &x), &b) in row[1..].iter_mut().zip(line).zip(above) {
            *f = x.wrapping_sub(b);
        }
    }
}

/// Rows `rows` of `rgb`, Up-filtered, as raw deflate at [`PNG_LEVEL`]: ending with the final
/// block when `last`, else with a sync flush (an empty stored block: the stream so far ends
/// on a byte boundary and the next part can follow it). The filtered rows are added to
/// `adler` when given.
fn deflate_rows(
    rgb: &[u8],
    stride: usize,
    rows: std::ops::Range<usize>,
    last: bool,
    mut adler: Option<&mut adler2::Adler32>,
) -> std::result::Result<Vec<u8>, String> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let mut c = Compress::new(Compression::new(PNG_LEVEL), false);
    let mut out = Vec::with_capacity(rows.len() * stride / 8 + 1024);
    let mut row = vec![0u8; stride + 1];
    let room = |out: &mut Vec<u8>| {
        if out.capacity() - out.len() < 4096 {
            out.reserve(64 * 1024);
        }
    };
    for y in rows {
        up_filter(rgb, stride, y, &mut row);
        if let Some(a) = adler.as_deref_mut() {
            a.write_slice(&row);
        }
        let mut input = &row[..];
        while !input.is_empty() {
            room(&mut out);
            let before = c.total_in();
            c.compress_vec(input, &mut out, FlushCompress::None).s()?;
            input = &input[(c.total_in() - before) as usize..];
        }
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        room(&mut out);
        let status = c.compress_vec(&[], &mut out, flush).s()?;
        // A sync flush is done when it left room in the output (zlib's rule); the finish
        // when the stream ended.
        let done = if last {
            status == Status::StreamEnd
        } else {
            out.len() < out.capacity()
        };
        if done {
            return Ok(out);
        }
    }
}

/// The zlib level of the charts' PNGs. The default level, 6, took 2.6 times as long for files
/// a fifth smaller (a 1280 x 720 congestion chart: 18 ms and 73 KB at level 6, 7 ms and 89 KB at
/// level 2; level 1: 3 ms and 112 KB; miniz_oxide on this project's 2-core machines), and the
/// PNGs were a tenth of a 100 MB run's time with default artefacts.
const PNG_LEVEL: u32 = 2;

/// Up to five names joined with ", ", then "and N more".
pub(crate) fn ellipsize_list(names: &[String]) -> String {
    let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        format!("{shown} and {} more", names.len() - 5)
    } else {
        shown
    }
}

/// Neutral colours.
pub(crate) const DARK: RGBColor = RGBColor(40, 40, 40);
pub(crate) const DROP_RED: RGBColor = RGBColor(220, 20, 60);
pub(crate) const EVENT_PURPLE: RGBColor = RGBColor(110, 60, 160);

/// A legend entry's symbol.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    /// A horizontal line.
    Line(RGBColor, u32),
    /// A dashed horizontal line.
    Dashed(RGBColor),
    /// A filled box.
    Box(RGBColor),
    /// A vertical tick (a segment's sequence extent).
    Tick(RGBColor, u32),
    /// A tick with a triangle on top (retransmission).
    TickTriangle(RGBColor),
    /// An X.
    Cross(RGBColor),
    /// A dot with error whiskers.
    Whisker(RGBColor),
    /// A series: a short line in its dash pattern with its marker and whiskers.
    Series(RGBColor, Shape, Dash),
    /// A marker alone.
    Shape(RGBColor, Shape),
}

/// A point marker's shape (series are told apart by shape as well as colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Triangle,
    Square,
    Diamond,
}

/// A line's dash pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// Series i's marker shape and dash pattern (cycling independently of the colour, so that
/// neither colour nor shape alone is needed to tell series apart).
pub(crate) fn series_style(i: usize) -> (Shape, Dash) {
    const S: [Shape; 4] = [Shape::Circle, Shape::Triangle, Shape::Square, Shape::Diamond];
    const D: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];
    (S[i % S.len()], D[i % D.len()])
}

/// Draws a filled marker of `shape` centred on pixel `(x, y)` of `area` (white-outlined, so
/// markers stay distinct where they touch).
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    shape: Shape,
    c: RGBColor,
    r: i32,
) -> std::result::Result<(), String> {
    let poly = |pts: Vec<(i32, i32)>| -> std::result::Result<(), String> {
        area.draw(&Polygon::new(pts.clone(), c.filled())).s()?;
        let mut closed = pts;
        closed.push(closed[0]);
        area.draw(&PathElement::new(closed, WHITE.stroke_width(1))).s()
    };
    match shape {
        Shape::Circle => {
            area.draw(&Circle::new((x, y), r, c.filled())).s()?;
            area.draw(&Circle::new((x, y), r, WHITE.stroke_width(1))).s()
        }
        Shape::Triangle => poly(vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]),
        Shape::Square => poly(vec![(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]),
        Shape::Diamond => poly(vec![(x, y - r - 2), (x + r + 1, y), (x, y + r + 2), (x - r - 1, y)]),
    }
}

/// Draws a polyline in pixel coordinates with a dash pattern.
pub(crate) fn draw_dashed_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pts: &[(i32, i32)],
    dash: Dash,
    style: ShapeStyle,
) -> std::result::Result<(), String> {
    let (on, off) = match dash {
        Dash::Solid => return area.draw(&PathElement::new(pts.to_vec(), style)).s(),
        Dash::Dashed => (10.0, 6.0),
        Dash::Dotted => (3.0, 5.0),
    };
    // Walk the path, emitting `on`-long pieces every `on + off` pixels.
    let mut phase = 0.0f64;
    for w in pts.windows(2) {
        let (x0, y0) = (f64::from(w[0].0), f64::from(w[0].1));
        let (x1, y1) = (f64::from(w[1].0), f64::from(w[1].1));
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        let mut pos = 0.0;
        while pos < len {
            let in_on = phase < on;
            let step = if in_on { on - phase } else { on + off - phase };
            let end = (pos + step).min(len);
            if in_on && len > 0.0 {
                let at = |d: f64| {
                    (
                        (x0 + (x1 - x0) * d / len).round() as i32,
                        (y0 + (y1 - y0) * d / len).round() as i32,
                    )
                };
                area.draw(&PathElement::new(vec![at(pos), at(end)], style)).s()?;
            }
            phase = (phase + end - pos) % (on + off);
            pos = end;
        }
    }
    Ok(())
}

/// One legend row.
pub(crate) struct LegendItem {
    pub label: String,
    pub mark: Mark,
}

impl LegendItem {
    pub fn new(label: impl Into<String>, mark: Mark) -> Self {
        LegendItem {
            label: label.into(),
            mark,
        }
    }
}

/// Width of the legend strip right of the plot [px].
pub(crate) const LEGEND_W: u32 = 340;

/// Splits `root` into the plot area and the legend strip, and draws the legend.
pub(crate) fn with_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    note: &[String],
) -> std::result::Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = root.dim_in_pixel();
    let (plot, legend) = root.split_horizontally(w.saturating_sub(LEGEND_W));
    draw_legend(&legend, items, note)?;
    Ok(plot)
}

pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    note: &[String],
) -> std::result::Result<(), String> {
    let font = (FONT, 14).into_font().color(&BLACK);
    let top = 60;
    let row = 24;
    // A label's lines after the first (`\n`) are a smaller grey subtitle below it, e.g. the
    // chimney region of a plain-words source name.
    let sub = (FONT, 12).into_font().color(&RGBColor(90, 90, 90));
    let mut y = top - row;
    for it in items {
        y += row;
        let (x0, x1, xm) = (8, 40, 24);
        match it.mark {
            Mark::Line(c, w) => area
                .draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(w)))
                .s()?,
            Mark::Dashed(c) => {
                for k in 0..4 {
                    let a = x0 + k * 9;
                    area.draw(&PathElement::new(vec![(a, y), (a + 5, y)], c.stroke_width(2)))
                        .s()?;
                }
            }
            Mark::Box(c) => area
                .draw(&Rectangle::new([(x0 + 4, y - 7), (x1 - 4, y + 7)], c.filled()))
                .s()?,
            Mark::Tick(c, w) => area
                .draw(&PathElement::new(vec![(xm, y - 8), (xm, y + 8)], c.stroke_width(w)))
                .s()?,
            Mark::TickTriangle(c) => {
                area.draw(&PathElement::new(vec![(xm, y - 4), (xm, y + 8)], c.stroke_width(2)))
                    .s()?;
                area.draw(&TriangleMarker::new((xm, y - 5), 5, c.filled())).s()?;
            }
            Mark::Cross(c) => area.draw(&Cross::new((xm, y), 5, c.stroke_width(2))).s()?,
            Mark::Whisker(c) => {
                area.draw(&PathElement::new(vec![(xm, y - 9), (xm, y + 9)], c.stroke_width(1)))
                    .s()?;
                area.draw(&PathElement::new(
                    vec![(xm - 4, y - 9), (xm + 4, y - 9)],
                    c.stroke_width(1),
                ))
                .s()?;
                area.draw(&PathElement::new(
                    vec![(xm - 4, y + 9), (xm + 4, y + 9)],
                    c.stroke_width(1),
                ))
                .s()?;
                area.draw(&Circle::new((xm, y), 3, c.filled())).s()?;
            }
            Mark::Series(c, shape, dash) => {
                draw_dashed_path(area, &[(x0 - 4, y), (x1 + 4, y)], dash, c.stroke_width(2))?;
                area.draw(&PathElement::new(vec![(xm, y - 9), (xm, y + 9)], c.stroke_width(1)))
                    .s()?;
                draw_marker(area, (xm, y), shape, c, 5)?;
            }
            Mark::Shape(c, shape) => draw_marker(area, (xm, y), shape, c, 5)?,
        }
        let mut lines = it.label.split('\n');
        area.draw(&Text::new(
            lines.next().unwrap_or("").to_string(),
            (x1 + 8, y - 8),
            font.clone(),
        ))
        .s()?;
        for l in lines {
            y += 16;
            area.draw(&Text::new(l.to_string(), (x1 + 8, y - 6), sub.clone())).s()?;
        }
    }
    let small = (FONT, 12).into_font().color(&DARK);
    let y0 = y + row + 16;
    for (i, line) in note.iter().enumerate() {
        area.draw(&Text::new(line.clone(), (8, y0 + 18 * i as i32), small.clone()))
            .s()?;
    }
    Ok(())
}

/// Draws labelled dashed vertical lines at `events` (time [s], label) across the plot.
pub(crate) fn draw_events<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    events: &[(f64, String)],
) -> std::result::Result<(), String> {
    let (y0, y1) = (chart.y_range().start, chart.y_range().end);
    for (t, _) in events {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(*t, y0), (*t, y1)],
                6,
                4,
                EVENT_PURPLE.stroke_width(2),
            ))
            .s()?;
    }
    // Labels on a white box, staggered so close events stay readable.
    for (i, (t, label)) in events.iter().enumerate() {
        let y = y1 - (y1 - y0) * (0.03 + 0.055 * (i % 3) as f64);
        let (px, py) = chart.backend_coord(&(*t, y));
        let text = format!("{label} {t:.3} s");
        let font = (FONT, 14).into_font().color(&EVENT_PURPLE);
        let (w, h) = chart.plotting_area().estimate_text_size(&text, &font).s()?;
        let area = chart.plotting_area().strip_coord_spec();
        let (ox, oy) = area.get_base_pixel();
        let (x, y) = (px - ox + 4, py - oy);
        area.draw(&Rectangle::new(
            [(x - 2, y - 2), (x + w as i32 + 3, y + h as i32 + 3)],
            WHITE.mix(0.85).filled(),
        ))
        .s()?;
        area.draw(&Text::new(text, (x, y), font)).s()?;
    }
    Ok(())
}

/// Tick labels with as many decimals as an axis spanning `span` needs (about 10 ticks).
pub(crate) fn tick_format(span: f64) -> impl Fn(&f64) -> String {
    let decimals = if span > 0.0 {
        (-(span / 10.0).log10()).ceil().clamp(0.0, 6.0) as usize
    } else {
        0
    };
    move |v: &f64| {
        let s = format!("{v:.decimals$}");
        // A tick at (or rounding to) zero must not read "-0.00".
        if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
            s[1..].to_string()
        } else {
            s
        }
    }
}

/// Chooses a byte unit for an axis whose values reach `max` bytes: (label, divisor).
pub(crate) fn byte_unit(max: f64) -> (&'static str, f64) {
    if max >= 2e6 {
        ("MB", 1e6)
    } else if max >= 2e3 {
        ("kB", 1e3)
    } else {
        ("bytes", 1.0)
    }
}

/// A padded axis range covering `lo..hi` (never empty).
pub(crate) fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    (lo - 0.03 * span)..(hi + 0.05 * span)
}

#[cfg(test)]
mod tests {
    use super::{encode_png, write_merged};

    /// A PNG whose halves were deflated apart decodes to exactly the pixels it was given:
    /// images of one row (an empty top half), odd heights, flat and noisy content.
    #[test]
    fn a_png_deflated_in_halves_decodes_to_its_pixels() {
        for (w, h) in [(1u32, 1u32), (37, 1), (37, 2), (37, 21), (640, 480)] {
            let rgb: Vec<u8> = (0..w * h * 3)
                .map(|i| {
                    if i % 7 == 0 {
                        (i.wrapping_mul(2_654_435_761) >> 24) as u8
                    } else {
                        255
                    }
                })
                .collect();
            let png = encode_png(&rgb, w, h).unwrap();
            // The zlib stream's Adler-32 is checked too (png skips it by default).
            let mut options = png::DecodeOptions::default();
            options.set_ignore_adler32(false);
            let decoder = png::Decoder::new_with_options(std::io::Cursor::new(png), options);
            let mut r = decoder.read_info().unwrap();
            let mut back = vec![0; r.output_buffer_size()];
            let info = r.next_frame(&mut back).unwrap();
            assert_eq!((info.width, info.height), (w, h));
            assert_eq!(&back[..info.buffer_size()], &rgb[..], "{w} x {h}");
        }
        assert!(encode_png(&[0; 5], 2, 1).unwrap_err().contains("needs 6 bytes"));
    }

    fn merged(svg: &str) -> String {
        let mut out = Vec::new();
        write_merged(svg, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn adjacent_polylines_of_one_style_become_one_path_with_a_subpath_each() {
        let tick = |p: &str| {
            format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"#000000\" stroke-width=\"1\" points=\"{p}\"/>\n")
        };
        let other =
            "<polyline fill=\"none\" opacity=\"1\" stroke=\"#FF0000\" stroke-width=\"2\" points=\"5,5 6,6 \"/>\n";
        let svg = format!(
            "<svg>\n{}{}{other}<text x=\"1\">a</text>\n{}</svg>\n",
            tick("1,2 1,3 "),
            tick("2,2 2,4 "),
            tick("3,1 3,2 ")
        );
        assert_eq!(
            merged(&svg),
            format!(
                "<svg>\n<path fill=\"none\" opacity=\"1\" stroke=\"#000000\" stroke-width=\"1\" d=\"M1,2 1,3 M2,2 2,4 \"/>\n\
                 {other}<text x=\"1\">a</text>\n{}</svg>\n",
                tick("3,1 3,2 ")
            ),
            "a run of two merges; a lone polyline, another style and other elements stay as they were"
        );
    }
}
