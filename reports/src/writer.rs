//! [`RunWriter`]: one run's folder written as the run goes. The world hands the run's log
//! over chunk by chunk ([`RecordSink`]); the writer classifies each chunk's wire records,
//! feeds the summary's online accumulators, writes CSV rows and pcapng blocks through the
//! buffered atomic writers, and keeps only what is bounded by the data in flight (frames and
//! rows that may still be reordered, arrivals waiting for their receiver's discards) or by the
//! scenario (offload lifecycle, buffers, timeline). `summary.json` and `buffers.csv` are
//! written at [`RunWriter::finish`].
//!
//! The charts (level `charts`) are drawn at the end from inputs built as the chunks come,
//! bounded by chart resolution (`charts::series`).
//!
//! The captures (level `pcap`, half of a run's writing) are written on a thread of their own,
//! fed each chunk's classified records in order in batches ([`PcapThread`]), and finished
//! there while the rest of the folder is written: one consumer taking the chunks in order, so
//! the files are the same bytes as when written in line, on any machine.

use crate::charts::ChartInputs;

/// Points one chart series keeps before it is reduced per time bucket (`charts::series`).
pub const CHART_POINTS_KEPT: usize = crate::charts::KEEP;
use crate::csvout::{PacketCsvs, SeriesCsvs};
use crate::info::RunInfo;
use crate::io::write_json;
use crate::online::Metrics;
use crate::pcap::PcapWriter;
use crate::view::Rec;
use crate::{Artifacts, ReportError, Result, RunReport};
use models::record::{RecordSink, RunLog};
use sim_core::SimTime;
use std::path::{Path, PathBuf};

/// Writes one run's folder from its log's chunks (see the module doc).
pub struct RunWriter {
    dir: PathBuf,
    /// What is known before the run (links, connections with ports and ISNs, flows, names).
    info: RunInfo,
    artifacts: Artifacts,
    metrics: Metrics,
    series: Option<SeriesCsvs>,
    packets: Option<PacketCsvs>,
    pcaps: Option<PcapThread>,
    /// The charts' inputs, bounded by chart resolution.
    charts: Option<ChartInputs>,
    /// The first error of a chunk handed over as a [`RecordSink`] (reported by `finish`).
    failed: Option<ReportError>,
    /// A chunk's classified wire records, for the writers that need them (kept for its
    /// capacity).
    recs: Vec<(usize, Rec)>,
}

impl RunWriter {
    /// Starts writing into `dir` (created if missing) the artefacts `artifacts` asks for, for
    /// the run `info` describes: what classifies its records must be known before the run
    /// ([`RunInfo::describe_run`]); the rest comes with [`RunWriter::finish`].
    pub fn new(dir: &Path, info: &RunInfo, artifacts: &Artifacts) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io("create dir", dir, e))?;
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            info: info.clone(),
            artifacts: *artifacts,
            metrics: Metrics::new(info),
            series: artifacts.series.then(|| SeriesCsvs::new(dir, info)).transpose()?,
            packets: artifacts.pcap.then(|| PacketCsvs::new(dir, info)).transpose()?,
            pcaps: artifacts
                .pcap
                .then(|| PcapThread::start(PcapWriter::new(dir, info, artifacts.pcap_payload)?, info))
                .transpose()?,
            charts: artifacts.charts.then(|| ChartInputs::new(info.conns.len())),
            failed: None,
            recs: Vec::new(),
        })
    }

    /// One chunk of the run's log (see [`RecordSink`]: `through`, every record of a later
    /// chunk is stamped after it).
    pub fn try_chunk(&mut self, log: &RunLog, through: SimTime) -> Result<()> {
        let info = &self.info;
        let mut recs = std::mem::take(&mut self.recs);
        recs.clear();
        let wanted = self.packets.is_some() || self.pcaps.is_some() || self.charts.is_some();
        self.metrics.chunk(info, log, through, wanted.then_some(&mut recs))?;
        if let Some(p) = &mut self.pcaps {
            p.send(recs.clone(), through);
        }
        if let Some(s) = &mut self.series {
            s.chunk(info, log)?;
        }
        if let Some(p) = &mut self.packets {
            p.chunk(info, &recs, through)?;
        }
        if let Some(c) = &mut self.charts {
            c.chunk(info, &recs, log, through);
        }
        self.recs = recs;
        Ok(())
    }

    /// Points the longest series of the chart inputs holds now (a series keeps at most
    /// [`CHART_POINTS_KEPT`] after each chunk); 0 without charts.
    pub fn longest_chart_series(&self) -> usize {
        self.charts.as_ref().map_or(0, ChartInputs::longest)
    }

    /// Writes what is left and `summary.json`; `info` is the run's description after it ran
    /// (fingerprint, outcome, byte counts, link counters). Returns the summary, or the first
    /// error (also one a chunk met).
    pub fn finish(self, info: &RunInfo) -> Result<RunReport> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // The captures are finished on their thread while the rest is written.
        let mut pcaps = self.pcaps;
        if let Some(p) = &mut pcaps {
            p.close(info);
        }
        let mut report = self.metrics.finish(info);
        report.artifacts = self.artifacts;
        write_json(&self.dir.join("summary.json"), &report)?;
        if let Some(s) = self.series {
            s.finish(info, &report.buffers.list)?;
        }
        if let Some(p) = self.packets {
            p.finish(info)?;
        }
        if let Some(mut inputs) = self.charts {
            inputs.chunk(info, &[], &RunLog::default(), SimTime::MAX);
            crate::sweep::write_charts(&self.dir, info, &inputs, &report)?;
        }
        if let Some(p) = pcaps {
            p.join()?;
        }
        Ok(report)
    }
}

impl RecordSink for RunWriter {
    /// A chunk that fails stops the writer: later chunks are ignored and [`RunWriter::finish`]
    /// returns the error.
    fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
        if self.failed.is_none()
            && let Err(e) = self.try_chunk(log, through)
        {
            self.failed = Some(e);
        }
    }
}

/// The captures' writer on a thread of its own (they are half of a run's writing), fed each
/// chunk's classified records in order through a short queue, so its files are the same bytes
/// as when written in line. Its first error is reported by [`PcapThread::finish`]; a panic
/// there is resumed on the writer's thread.
struct PcapThread {
    tx: Option<std::sync::mpsc::SyncSender<PcapMsg>>,
    handle: Option<std::thread::JoinHandle<Result<()>>>,
    /// Chunks not yet handed over: they go in batches of about [`PCAP_BATCH`] records, since
    /// each handover wakes a thread (a run has a chunk per 100 simulated ms, thousands).
    batch: Vec<PcapChunk>,
    batched: usize,
}

/// One chunk's classified records and its `through`.
type PcapChunk = (Vec<(usize, Rec)>, SimTime);

/// What the capture thread is handed.
enum PcapMsg {
    /// Chunks, in order.
    Batch(Vec<PcapChunk>),
    /// The run is over (its description after it ran): write what is left, close the files.
    Finish(Box<RunInfo>),
}

/// Batches queued for the capture thread.
const PCAP_BATCHES_IN_FLIGHT: usize = 2;

/// Records per batch handed to the capture thread (~0.3 MB).
const PCAP_BATCH: usize = 2048;

impl PcapThread {
    fn start(mut pcap: PcapWriter, info: &RunInfo) -> Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<PcapMsg>(PCAP_BATCHES_IN_FLIGHT);
        let thread_info = info.clone();
        let handle = std::thread::Builder::new()
            .name("offsim-pcapng".into())
            .spawn(move || {
                let mut failed = None;
                // Drained to the end even after an error, so the sender never blocks. Without
                // `Finish` (the writer gave up) the files are dropped, never committed.
                for msg in rx {
                    match msg {
                        PcapMsg::Batch(batch) => {
                            for (recs, through) in batch {
                                if failed.is_none()
                                    && let Err(e) = pcap.chunk(&thread_info, &recs, through)
                                {
                                    failed = Some(e);
                                }
                            }
                        }
                        PcapMsg::Finish(info) => {
                            return match failed {
                                Some(e) => Err(e),
                                None => pcap.finish(&info).map(drop),
                            };
                        }
                    }
                }
                failed.map_or(Ok(()), Err)
            })
            .map_err(|e| ReportError::Invalid(format!("starting the capture writer's thread: {e}")))?;
        Ok(PcapThread {
            tx: Some(tx),
            handle: Some(handle),
            batch: Vec::new(),
            batched: 0,
        })
    }

    fn send(&mut self, recs: Vec<(usize, Rec)>, through: SimTime) {
        self.batched += recs.len();
        self.batch.push((recs, through));
        if self.batched >= PCAP_BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        self.batched = 0;
        let batch = std::mem::take(&mut self.batch);
        if let Some(tx) = &self.tx
            && !batch.is_empty()
        {
            // The thread receives until `tx` is dropped, so this cannot fail.
            let _ = tx.send(PcapMsg::Batch(batch));
        }
    }

    /// Has the thread write what is left and close the captures (`info`: the run's
    /// description after it ran), while the caller goes on; [`PcapThread::join`] waits.
    fn close(&mut self, info: &RunInfo) {
        self.hand_over();
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(PcapMsg::Finish(Box::new(info.clone())));
        }
    }

    /// Waits for the thread; its first error, or its panic resumed here.
    fn join(mut self) -> Result<()> {
        self.tx = None;
        let handle = self.handle.take().expect("joined once");
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for PcapThread {
    /// A writer given up (an error elsewhere) still waits for its capture thread, so no file
    /// is written into the run's folder after the writer is gone.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A writer may run on another thread than the simulation that feeds it.
const _: () = {
    const fn send<T: Send>() {}
    send::<RunWriter>();
};
