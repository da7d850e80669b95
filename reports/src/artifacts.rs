//! Artefact levels: which of a run's files [`crate::write_run_with`] writes.
//!
//! - `summary`: `summary.json` (always written: every later `report`, `compare` and `merge`
//!   reads only it and the sweep-level files).
//! - `series`: the time series and lifetimes, `cc.csv` (sender state after each change) and
//!   `buffers.csv` (send-buffer lifetimes).
//! - `pcap`: the per-packet records: the pcapng captures, headers only unless `pcap_payload`
//!   (snap length [`SNAP_LEN`], the payload's XXH3-64 in each packet comment), and their
//!   text form `segments.csv` (every wire event) and `acks.csv` (pure ACKs). They are the
//!   bulk of a run's bytes (a 1 MiB run: ~0.3 MB of CSV, ~0.6 MB of captures, against
//!   ~0.1 MB for the series), which is why a sweep keeps them for its example runs only.
//! - `charts`: the per-run PNG and SVG charts.
//! - `all`: every one of them.
//!
//! The levels a run was written with are recorded in its `summary.json` (`artifacts`), so a
//! folder says what it holds and what was deliberately left out.

use crate::io::write_json;
use crate::{ReportError, Result, RunReport};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;

/// Bytes of each frame kept in a headers-only capture: Ethernet (14) + IPv4 (20) + TCP with
/// options (up to 60), rounded up; the rest of the payload is summarised by its fingerprint.
pub const SNAP_LEN: usize = 128;

/// The artefacts a run writes besides `summary.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifacts {
    /// `cc.csv`, `buffers.csv`.
    pub series: bool,
    /// The pcapng captures, `segments.csv`, `acks.csv`.
    pub pcap: bool,
    /// The per-run charts.
    pub charts: bool,
    /// Captures keep every payload byte (`--pcap-payload`) instead of the first
    /// [`SNAP_LEN`] bytes of each frame.
    #[serde(default)]
    pub pcap_payload: bool,
}

impl Default for Artifacts {
    /// Everything, captures headers-only: what `run` writes by default (and what a
    /// `summary.json` written before levels existed holds).
    fn default() -> Self {
        Artifacts::all()
    }
}

/// The level names, in the order [`Artifacts::names`] lists them.
pub const LEVELS: [&str; 5] = ["summary", "series", "pcap", "charts", "all"];

impl Artifacts {
    /// Every artefact; captures headers-only.
    pub fn all() -> Self {
        Artifacts {
            series: true,
            pcap: true,
            charts: true,
            pcap_payload: false,
        }
    }

    /// `summary.json` only.
    pub fn summary() -> Self {
        Artifacts {
            series: false,
            pcap: false,
            charts: false,
            pcap_payload: false,
        }
    }

    /// The union of two sets.
    pub fn union(self, o: Artifacts) -> Self {
        Artifacts {
            series: self.series || o.series,
            pcap: self.pcap || o.pcap,
            charts: self.charts || o.charts,
            pcap_payload: self.pcap_payload || o.pcap_payload,
        }
    }

    /// True when every artefact of `o` is in `self` (payload captures cover headers-only
    /// ones, not the other way round).
    pub fn covers(&self, o: &Artifacts) -> bool {
        (self.series || !o.series)
            && (self.pcap || !o.pcap)
            && (self.charts || !o.charts)
            && (!o.pcap || !o.pcap_payload || self.pcap_payload)
    }

    /// The level names this set holds (`summary` first, always).
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = vec!["summary"];
        for (on, name) in [(self.series, "series"), (self.pcap, "pcap"), (self.charts, "charts")] {
            if on {
                v.push(name);
            }
        }
        v
    }
}

impl std::str::FromStr for Artifacts {
    type Err = String;

    /// A comma list of `summary`, `series`, `pcap`, `charts`, `all` (`summary` is always
    /// included).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let mut a = Artifacts::summary();
        for part in s.split(',') {
            match part.trim() {
                "summary" => {}
                "series" => a.series = true,
                "pcap" => a.pcap = true,
                "charts" => a.charts = true,
                "all" => a = a.union(Artifacts::all()),
                other => {
                    return Err(format!(
                        "unknown artefact level `{other}`: expected a comma list of {}",
                        LEVELS.join(", ")
                    ));
                }
            }
        }
        Ok(a)
    }
}

/// Removes from the complete run folder `dir` the artefacts that `keep` leaves out (by file
/// name: `segments.csv`, `acks.csv`, `*.pcapng`; other `*.csv`; `*.png`, `*.svg`) and records what is left in its `summary.json`,
/// which is then byte for byte what a run written with those levels has. Returns the updated
/// summary. Used when a run stops being its point's example (a sweep grown with more seeds,
/// shards merged): a folder holds the same files however the sweep got there.
pub fn prune_run(dir: &Path, keep: &Artifacts) -> Result<RunReport> {
    let mut report = RunReport::read(&dir.join("summary.json"))?;
    let had = report.artifacts;
    let kept = Artifacts {
        series: had.series && keep.series,
        pcap: had.pcap && keep.pcap,
        charts: had.charts && keep.charts,
        pcap_payload: had.pcap && keep.pcap && had.pcap_payload,
    };
    if kept == had {
        return Ok(report);
    }
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| ReportError::io("read dir", dir, e))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| ReportError::io("read dir", dir, e))?;
    names.sort();
    for name in names {
        let level = match name.rsplit_once('.').map(|(_, ext)| ext) {
            _ if name == "segments.csv" || name == "acks.csv" => kept.pcap,
            Some("csv") => kept.series,
            Some("pcapng") => kept.pcap,
            Some("png" | "svg") => kept.charts,
            _ => true,
        };
        if !level {
            let p = dir.join(&name);
            fs::remove_file(&p).map_err(|e| ReportError::io("remove", &p, e))?;
        }
    }
    report.artifacts = kept;
    write_json(&dir.join("summary.json"), &report)?;
    Ok(report)
}

/// The example runs of a sweep, by index into `runs` (in run order): one per parameter point,
/// the successful run with the median goodput (the lower median for an even count; equal
/// goodputs in seed-index order). A point without a successful run has no example. The
/// report links these runs' captures and charts; a sweep writes those only for them.
pub fn example_runs(runs: &[RunReport]) -> Vec<usize> {
    // (point parameters, its successful runs), in order of first appearance.
    type Point = (Vec<(String, String)>, Vec<usize>);
    let mut points: Vec<Point> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        if !r.outcome.is_ok() {
            continue;
        }
        let p = r.point_params();
        match points.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push(i),
            None => points.push((p, vec![i])),
        }
    }
    let mut out: Vec<usize> = points
        .into_iter()
        .map(|(_, mut v)| {
            v.sort_by(|&a, &b| {
                let g = |i: usize| runs[i].goodput_bps.unwrap_or(f64::NEG_INFINITY);
                g(a).total_cmp(&g(b)).then(runs[a].seed_index.cmp(&runs[b].seed_index))
            });
            v[(v.len() - 1) / 2]
        })
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(point: &str, seed_index: u32, goodput: Option<f64>) -> RunReport {
        RunReport {
            params: vec![("loss".into(), point.into()), ("seed".into(), seed_index.to_string())],
            seed_index,
            goodput_bps: goodput,
            ..RunReport::default()
        }
    }

    #[test]
    fn the_example_of_a_point_is_its_median_seed_by_goodput() {
        let runs = vec![
            run("0", 0, Some(3.0)),
            run("0", 1, Some(1.0)),
            run("0", 2, Some(2.0)),
            run("1", 0, Some(5.0)),
            run("1", 1, Some(5.0)),
            run("1", 2, Some(4.0)),
            run("1", 3, Some(9.0)),
        ];
        // Point 0: goodputs 1, 2, 3 -> seed index 2. Point 1: 4, 5 (#0), 5 (#1), 9 -> the lower
        // median, #0.
        assert_eq!(example_runs(&runs), [2, 3]);
    }

    #[test]
    fn failed_runs_are_never_examples() {
        let mut failed = run("0", 0, Some(2.0));
        failed.outcome = crate::Outcome::Failed { error: "x".into() };
        let runs = vec![failed, run("0", 1, Some(1.0)), run("1", 0, None)];
        assert_eq!(example_runs(&runs), [1, 2]);
    }

    #[test]
    fn levels_parse_as_comma_lists() {
        assert_eq!("summary".parse::<Artifacts>(), Ok(Artifacts::summary()));
        assert_eq!("all".parse::<Artifacts>(), Ok(Artifacts::all()));
        let sp: Artifacts = "series, pcap".parse().unwrap();
        assert_eq!(sp.names(), ["summary", "series", "pcap"]);
        let e = "summary,csv".parse::<Artifacts>().unwrap_err();
        assert!(
            e.contains("`csv`") && e.contains("summary, series, pcap, charts, all"),
            "{e}"
        );
    }

    #[test]
    fn payload_captures_cover_headers_only_ones() {
        let headers = Artifacts::all();
        let payload = Artifacts {
            pcap_payload: true,
            ..headers
        };
        assert!(payload.covers(&headers));
        assert!(!headers.covers(&payload));
        assert!(headers.covers(&Artifacts::summary()));
        assert!(!Artifacts::summary().covers(&headers));
    }
}
