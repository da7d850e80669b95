//! A run's traffic over time (issue 15, "congestion chart"): throughput per connection (top
//! panel) and the occupancy of each bottleneck queue (bottom panel), on one time axis.
//!
//! Throughput is delivered, verified in-order bytes (the receiver's delivery records) per time
//! bin, so it is goodput, not wire rate. A queue is shown when it is a bottleneck: some arriving
//! packet found at least a quarter of the deepest queue's peak (and at least two packets) in
//! it, so access links that briefly hold a packet or two stay out; the panel draws the largest
//! occupancy an arriving packet saw in each bin, so short peaks are not averaged away. Not
//! modelled: wire-rate throughput including headers and retransmissions, and queue delay.

use super::ci::series_color;
use super::{Chart, FONT, LegendItem, Mark, Str, padded, tick_format, with_legend};
use models::record::{DeliveryRecord, QueueSample};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Number of time bins for queues (fine enough to show a queue filling and draining).
pub(crate) const BINS: usize = 200;
/// Number of time bins for throughput (coarser: a bin must span several round trips of
/// delivery bursts to read as a rate).
pub(crate) const RATE_BINS: usize = 50;

/// One line: label and (time [s], value) points.
pub(crate) type Line = (String, Vec<(f64, f64)>);

/// The chart's data.
pub(crate) struct FlowsChart {
    pub title: String,
    /// Goodput per connection [Mbit/s] at bin centres.
    pub throughput: Vec<Line>,
    /// Packets in each bottleneck queue: the largest per bin, at bin centres.
    pub queues: Vec<Line>,
    /// Link directions left out (no bottleneck).
    pub quiet_links: usize,
    /// Whether the run log has queue samples at all (a simulated run does).
    pub queue_samples: bool,
    /// Queue bin width [s].
    pub bin_s: f64,
    /// Throughput bin width [s].
    pub rate_bin_s: f64,
    pub t_end: f64,
}

/// Goodput of one connection per bin [Mbit/s] from its delivery records (cumulative bytes,
/// in time order): the bytes delivered during each bin over its width.
pub(crate) fn throughput(delivery: &[DeliveryRecord], conn: u32, t_end: f64, bins: usize) -> Vec<(f64, f64)> {
    let w = t_end / bins as f64;
    let mut per_bin = vec![0u64; bins];
    let mut last = 0u64;
    for d in delivery.iter().filter(|d| d.conn.0 == conn) {
        let k = ((d.time.as_secs_f64() / w) as usize).min(bins - 1);
        per_bin[k] += d.bytes.saturating_sub(last);
        last = last.max(d.bytes);
    }
    per_bin
        .iter()
        .enumerate()
        .map(|(k, b)| ((k as f64 + 0.5) * w, *b as f64 * 8.0 / w / 1e6))
        .collect()
}

/// The largest queue (packets) an arriving packet saw per bin on link direction `link`; `None`
/// if it is no bottleneck: it never held `min_peak` packets (and never 2).
pub(crate) fn queue_peaks(
    samples: &[QueueSample],
    link: u16,
    t_end: f64,
    bins: usize,
    min_peak: u64,
) -> Option<Vec<(f64, f64)>> {
    let w = t_end / bins as f64;
    let mut peak = vec![0u64; bins];
    for q in samples.iter().filter(|q| q.link.0 == link) {
        let k = ((q.time.as_secs_f64() / w) as usize).min(bins - 1);
        peak[k] = peak[k].max(q.packets);
    }
    (peak.iter().copied().max().unwrap_or(0) >= min_peak.max(2)).then(|| {
        peak.iter()
            .enumerate()
            .map(|(k, p)| ((k as f64 + 0.5) * w, *p as f64))
            .collect()
    })
}

impl Chart for FlowsChart {
    fn size(&self) -> (u32, u32) {
        (1280, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut items: Vec<LegendItem> = Vec::new();
        for (i, (l, _)) in self.throughput.iter().enumerate() {
            items.push(LegendItem::new(format!("{l}: goodput"), Mark::Line(series_color(i), 2)));
        }
        let q0 = self.throughput.len();
        for (i, (l, _)) in self.queues.iter().enumerate() {
            items.push(LegendItem::new(
                format!("queue {l}"),
                Mark::Line(series_color(q0 + i), 2),
            ));
        }
        let ms = self.rate_bin_s * 1e3;
        let mut note = vec![
            "Top: in-order bytes delivered".to_string(),
            format!("per {ms:.3} ms bin (goodput)."),
        ];
        if !self.queue_samples {
            note.push("Bottom: the run log has no".to_string());
            note.push("queue samples.".to_string());
        } else if self.queues.is_empty() {
            note.push("Bottom: no queue ever held".to_string());
            note.push("two packets (no bottleneck).".to_string());
        } else {
            note.push("Bottom: largest queue an arriving".to_string());
            note.push("packet saw in each bin.".to_string());
        }
        if self.queue_samples && self.quiet_links > 0 {
            note.push(format!("{} link directions not drawn: they", self.quiet_links));
            note.push("never held a quarter of the deepest".to_string());
            note.push("queue's peak (or 2 packets).".to_string());
        }
        let plot = with_legend(root, &items, &note)?;
        let (top, bottom) = plot.split_vertically(470);
        let x_range = 0.0..self.t_end.max(1e-9);
        let x_fmt = tick_format(self.t_end);
        // Throughput.
        let y_hi = self
            .throughput
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.1))
            .fold(0.0, f64::max)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&top)
            .caption(&self.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(x_range.clone(), padded(0.0, y_hi))
            .s()?;
        let y_fmt = tick_format(y_hi);
        chart
            .configure_mesh()
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .y_desc("Goodput [Mbit/s]")
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        for (i, (_, pts)) in self.throughput.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), series_color(i).stroke_width(2)))
                .s()?;
        }
        // Queues.
        let q_hi = self
            .queues
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.1))
            .fold(0.0, f64::max)
            .max(1.0);
        let mut chart = ChartBuilder::on(&bottom)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x_range, padded(0.0, q_hi))
            .s()?;
        let q_fmt = tick_format(q_hi);
        chart
            .configure_mesh()
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&q_fmt)
            .x_desc("Time [s]")
            .y_desc("Queue [packets]")
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .s()?;
        let half = self.bin_s / 2.0;
        for (i, (_, pts)) in self.queues.iter().enumerate() {
            // Steps: each bin's peak across its width.
            let steps: Vec<(f64, f64)> = pts.iter().flat_map(|&(t, v)| [(t - half, v), (t + half, v)]).collect();
            chart
                .draw_series(LineSeries::new(steps, series_color(q0 + i).stroke_width(2)))
                .s()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::record::LinkId;
    use models::segment::ConnId;
    use sim_core::SimTime;

    #[test]
    fn throughput_counts_bytes_delivered_within_each_bin() {
        let d = |ms: u64, bytes: u64| DeliveryRecord {
            time: SimTime(ms * 1_000_000),
            conn: ConnId(0),
            bytes,
        };
        // 10 bins of 0.1 s: 1250 bytes in bin 0, 2500 in bin 5.
        let t = throughput(&[d(50, 1250), d(520, 2500), d(580, 3750)], 0, 1.0, 10);
        assert_eq!(t.len(), 10);
        assert!((t[0].1 - 0.1).abs() < 1e-12, "{t:?}");
        assert!((t[5].1 - 0.2).abs() < 1e-12);
        assert_eq!(t[1].1, 0.0);
        assert!((t[0].0 - 0.05).abs() < 1e-12);
    }

    #[test]
    fn a_queue_that_never_held_two_packets_is_no_bottleneck() {
        let q = |ms: u64, packets: u64| QueueSample {
            time: SimTime(ms * 1_000_000),
            link: LinkId(1),
            packets,
            bytes: packets * 1500,
        };
        assert_eq!(queue_peaks(&[q(10, 1), q(20, 0)], 1, 1.0, 10, 0), None);
        let samples = [q(10, 1), q(20, 3), q(30, 2), q(950, 2)];
        let p = queue_peaks(&samples, 1, 1.0, 10, 0).unwrap();
        assert_eq!(p[0].1, 3.0);
        assert_eq!(p[9].1, 2.0);
        // Below a quarter of the deepest queue's peak (here asked for 4): no bottleneck.
        assert_eq!(queue_peaks(&samples, 1, 1.0, 10, 4), None);
        assert_eq!(queue_peaks(&[q(10, 5)], 0, 1.0, 10, 0), None, "another link's samples");
    }
}
