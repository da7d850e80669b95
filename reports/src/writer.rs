//! [`RunWriter`]: one run's folder written as the run goes. The world hands the run's log
//! over chunk by chunk ([`RecordSink`]); the writer classifies each chunk's wire records,
//! feeds the summary's online accumulators, and hands the classified records on to the
//! writers of CSV rows, pcapng blocks and chart inputs, which write through buffered atomic
//! writers and keep only what is bounded by the data in flight (frames and rows that may still
//! be reordered, arrivals waiting for their receiver's discards) or by the scenario (offload
//! lifecycle, buffers, timeline). `summary.json` and `buffers.csv` are written at
//! [`RunWriter::finish`].
//!
//! The charts (level `charts`) are drawn at the end from inputs built as the chunks come,
//! bounded by chart resolution (`charts::series`).
//!
//! **Threads.** Writing the files costs more than simulating them (a 100 MB run with default
//! artefacts: ~0.07 s simulating, ~0.3 s of CPU writing), so the writers run beside the
//! simulation on two threads of their own ([`Worker`]): the captures (level `pcap`), and the
//! tables and charts (levels `series`, `pcap`'s packet tables, `charts`). The simulation's
//! thread keeps the classification and the summary's accumulators. Each thread takes the
//! chunks in order, so every file is the same bytes as when written in line, on any machine
//! and at any `--jobs`.

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
use std::sync::Arc;

/// Writes one run's folder from its log's chunks (see the module doc).
pub struct RunWriter {
    dir: PathBuf,
    /// What is known before the run (links, connections with ports and ISNs, flows, names).
    info: RunInfo,
    artifacts: Artifacts,
    metrics: Metrics,
    /// The captures' thread (level `pcap`).
    pcaps: Option<Worker<Captures>>,
    /// The tables' and charts' thread (levels `series`, `pcap`, `charts`).
    tables: Option<Worker<Tables>>,
    /// The first error of a chunk handed over as a [`RecordSink`] (reported by `finish`).
    failed: Option<ReportError>,
    /// Record lists the threads are done with, for the next chunks.
    spare: Arc<Spare>,
}

impl RunWriter {
    /// Starts writing into `dir` (created if missing) the artefacts `artifacts` asks for, for
    /// the run `info` describes: what classifies its records must be known before the run
    /// ([`RunInfo::describe_run`]); the rest comes with [`RunWriter::finish`].
    pub fn new(dir: &Path, info: &RunInfo, artifacts: &Artifacts) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io("create dir", dir, e))?;
        let tables = Tables {
            dir: dir.to_path_buf(),
            info: info.clone(),
            series: artifacts.series.then(|| SeriesCsvs::new(dir, info)).transpose()?,
            packets: artifacts.pcap.then(|| PacketCsvs::new(dir, info)).transpose()?,
            charts: artifacts.charts.then(|| ChartInputs::new(info.conns.len())),
            longest: 0,
        };
        let tables = if tables.series.is_some() || tables.packets.is_some() || tables.charts.is_some() {
            Some(Worker::start("offsim-tables", tables)?)
        } else {
            None
        };
        let pcaps = if artifacts.pcap {
            let pcap = PcapWriter::new(dir, info, artifacts.pcap_payload)?;
            Some(Worker::start(
                "offsim-pcapng",
                Captures {
                    pcap,
                    info: info.clone(),
                },
            )?)
        } else {
            None
        };
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            info: info.clone(),
            artifacts: *artifacts,
            metrics: if artifacts.series {
                Metrics::new(info)
            } else {
                Metrics::new(info).without_buffer_list()
            },
            pcaps,
            tables,
            failed: None,
            spare: Arc::default(),
        })
    }

    /// One chunk of the run's log (see [`RecordSink`]: `through`, every record of a later
    /// chunk is stamped after it).
    pub fn try_chunk(&mut self, log: &RunLog, through: SimTime) -> Result<()> {
        let info = &self.info;
        let wanted = self.pcaps.is_some() || self.tables.as_ref().is_some_and(|t| t.side_wants_records);
        // At most one per wire record: reserved at once (growing it was half of the
        // classification), in a list the threads are done with when there is one (a fresh
        // one is fresh memory, faulted in page by page).
        let mut recs = Vec::new();
        if wanted {
            recs = self.spare.take();
            recs.reserve(log.wire.len());
        }
        self.metrics.chunk(info, log, through, wanted.then_some(&mut recs))?;
        if self.pcaps.is_none() && self.tables.is_none() {
            return Ok(());
        }
        // What the tables and charts read of the log besides its wire records (the wire
        // records go classified, in `recs`).
        let rest = self.tables.is_some().then(|| RunLog {
            cc: log.cc.clone(),
            delivery: log.delivery.clone(),
            queue: log.queue.clone(),
            offload: log.offload.clone(),
            ..RunLog::default()
        });
        let chunk = Arc::new(Chunk {
            recs,
            log: rest.unwrap_or_default(),
            wire_end: log.wire.iter().map(|w| w.time).max(),
            through,
            spare: Some(Arc::clone(&self.spare)),
        });
        if let Some(p) = &mut self.pcaps {
            p.send(Arc::clone(&chunk));
        }
        if let Some(t) = &mut self.tables {
            t.send(chunk);
        }
        Ok(())
    }

    /// Points the longest series of the chart inputs held after any chunk so far (a series
    /// keeps at most [`CHART_POINTS_KEPT`] after each chunk); 0 without charts. Waits for the
    /// tables' thread to take every chunk handed over.
    pub fn longest_chart_series(&mut self) -> usize {
        self.tables.as_mut().map_or(0, Worker::longest)
    }

    /// Writes what is left and `summary.json`; `info` is the run's description after it ran
    /// (fingerprint, outcome, byte counts, link counters). Returns the summary (its
    /// `buffers.list` emptied: the list is `buffers.csv`), or the first error (also one a chunk
    /// met).
    pub fn finish(mut self, info: &RunInfo) -> Result<RunReport> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        // The threads finish their files while the summary is written.
        if let Some(p) = &mut self.pcaps {
            p.close(Box::new(info.clone()));
        }
        let mut report = self.metrics.finish(info);
        report.artifacts = self.artifacts;
        // The buffer list goes to `buffers.csv` and is let go there (a 1 GiB transfer's is
        // 16,000 buffers, 2 MB); the rest is shared with the tables' thread, not copied.
        let buffers = std::mem::take(&mut report.buffers.list);
        let report = Arc::new(report);
        if let Some(t) = &mut self.tables {
            t.close(Box::new(TablesEnd {
                info: info.clone(),
                report: Arc::clone(&report),
                buffers,
            }));
        }
        let written = write_json(&self.dir.join("summary.json"), &*report);
        let tables = self.tables.take().map_or(Ok(()), Worker::join);
        let pcaps = self.pcaps.take().map_or(Ok(()), Worker::join);
        written.and(tables).and(pcaps)?;
        // The threads are done with it.
        Ok(Arc::try_unwrap(report).unwrap_or_else(|shared| (*shared).clone()))
    }
}

impl RecordSink for RunWriter {
    /// A chunk that fails stops the writer: later chunks are ignored and [`RunWriter::finish`]
    /// returns the error.
    fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
        if self.failed.is_none() {
            self.metrics.take_buffers(&mut log.buffers);
        }
        if self.failed.is_none()
            && let Err(e) = self.try_chunk(log, through)
        {
            self.failed = Some(e);
        }
    }

    /// Only the series (`queues.csv`) and the charts read queue samples.
    fn wants_queue(&self) -> bool {
        self.artifacts.series || self.artifacts.charts
    }
}

/// One chunk as the writers' threads get it (shared by both).
struct Chunk {
    /// The chunk's wire records, classified, with their connection's index.
    recs: Vec<(usize, Rec)>,
    /// The lists besides the wire records that the tables and charts read (sender samples,
    /// deliveries, queue samples, offload lifecycle).
    log: RunLog,
    /// The latest wire record's time.
    wire_end: Option<SimTime>,
    through: SimTime,
    /// Where `recs` goes back when the last thread is done with the chunk.
    spare: Option<Arc<Spare>>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(spare) = &self.spare {
            spare.put(std::mem::take(&mut self.recs));
        }
    }
}

/// Record lists given back by the threads, emptied, with their capacity.
#[derive(Default)]
struct Spare(std::sync::Mutex<Vec<Vec<(usize, Rec)>>>);

impl Spare {
    /// Lists kept at most (about the chunks in flight: a batch queued per thread).
    const KEEP: usize = 2;

    fn take(&self) -> Vec<(usize, Rec)> {
        let mut lists = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lists.pop().unwrap_or_default()
    }

    fn put(&self, mut list: Vec<(usize, Rec)>) {
        list.clear();
        let mut lists = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if lists.len() < Self::KEEP && list.capacity() > 0 {
            lists.push(list);
        }
    }
}

/// What runs on a [`Worker`]'s thread: it takes the chunks in order, then its end.
trait Side: Send + 'static {
    /// What the run's end hands over.
    type End: Send + 'static;
    /// Whether it reads the classified wire records.
    fn wants_records(&self) -> bool;
    fn chunk(&mut self, c: &Chunk) -> Result<()>;
    fn finish(self, end: Self::End) -> Result<()>;
    /// The longest chart series held after any chunk so far.
    fn longest(&self) -> usize {
        0
    }
}

/// The pcapng captures.
struct Captures {
    pcap: PcapWriter,
    info: RunInfo,
}

impl Side for Captures {
    /// The run's description after it ran.
    type End = Box<RunInfo>;

    fn wants_records(&self) -> bool {
        true
    }

    fn chunk(&mut self, c: &Chunk) -> Result<()> {
        self.pcap.chunk(&self.info, &c.recs, c.through)
    }

    fn finish(self, info: Box<RunInfo>) -> Result<()> {
        self.pcap.finish(&info).map(drop)
    }
}

/// The CSV tables (`cc.csv`, `queues.csv`, `buffers.csv`; `segments.csv`, `acks.csv`) and the
/// charts.
struct Tables {
    dir: PathBuf,
    info: RunInfo,
    series: Option<SeriesCsvs>,
    packets: Option<PacketCsvs>,
    charts: Option<ChartInputs>,
    longest: usize,
}

impl Side for Tables {
    type End = Box<TablesEnd>;

    fn wants_records(&self) -> bool {
        self.packets.is_some() || self.charts.is_some()
    }

    fn chunk(&mut self, c: &Chunk) -> Result<()> {
        if let Some(s) = &mut self.series {
            s.chunk(&self.info, &c.log)?;
        }
        if let Some(p) = &mut self.packets {
            p.chunk(&self.info, &c.recs, c.through)?;
        }
        if let Some(ch) = &mut self.charts {
            ch.chunk(&self.info, &c.recs, &c.log, c.wire_end, c.through);
            self.longest = self.longest.max(ch.longest());
        }
        Ok(())
    }

    fn finish(self, end: Self::End) -> Result<()> {
        let TablesEnd { info, report, buffers } = *end;
        if let Some(s) = self.series {
            s.finish(&info, &buffers)?;
        }
        drop(buffers);
        if let Some(p) = self.packets {
            p.finish(&info)?;
        }
        if let Some(mut inputs) = self.charts {
            inputs.chunk(&info, &[], &RunLog::default(), None, SimTime::MAX);
            inputs.shrink();
            crate::sweep::write_charts(&self.dir, &info, &inputs, &report)?;
        }
        Ok(())
    }

    fn longest(&self) -> usize {
        self.longest
    }
}

/// What the tables' thread gets at the run's end.
struct TablesEnd {
    /// The run's description after it ran.
    info: RunInfo,
    report: Arc<RunReport>,
    /// Every send buffer, for `buffers.csv`.
    buffers: Vec<crate::metrics::BufferLife>,
}

/// A [`Side`] on a thread of its own, fed the chunks in order through a short queue, so its
/// files are the same bytes as when written in line. Its first error is reported by
/// [`Worker::join`]; a panic there is resumed on the caller's thread.
struct Worker<S: Side> {
    tx: Option<std::sync::mpsc::SyncSender<Msg<S::End>>>,
    handle: Option<std::thread::JoinHandle<Result<()>>>,
    /// Whether the side reads the classified wire records.
    side_wants_records: bool,
    /// Chunks not yet handed over: they go in batches of about [`BATCH`] records, since each
    /// handover wakes a thread (a run has a chunk per 100 simulated ms, thousands).
    batch: Vec<Arc<Chunk>>,
    batched: usize,
}

/// What a worker's thread is handed.
enum Msg<E> {
    /// Chunks, in order.
    Batch(Vec<Arc<Chunk>>),
    /// Answer with the longest chart series after the chunks handed over before.
    Longest(std::sync::mpsc::SyncSender<usize>),
    /// The run is over: write what is left, close the files.
    Finish(E),
}

/// Batches queued for a worker's thread.
const BATCHES_IN_FLIGHT: usize = 1;

/// Records per batch handed to a worker's thread (~0.2 MB).
const BATCH: usize = 1024;

impl<S: Side> Worker<S> {
    fn start(name: &str, mut side: S) -> Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Msg<S::End>>(BATCHES_IN_FLIGHT);
        let side_wants_records = side.wants_records();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let mut failed = None;
                // Drained to the end even after an error, so the sender never blocks. Without
                // `Finish` (the writer gave up) the files are dropped, never committed.
                for msg in rx {
                    match msg {
                        Msg::Batch(batch) => {
                            for c in batch {
                                if failed.is_none()
                                    && let Err(e) = side.chunk(&c)
                                {
                                    failed = Some(e);
                                }
                            }
                        }
                        Msg::Longest(reply) => {
                            let _ = reply.send(side.longest());
                        }
                        Msg::Finish(end) => {
                            return match failed {
                                Some(e) => Err(e),
                                None => side.finish(end),
                            };
                        }
                    }
                }
                failed.map_or(Ok(()), Err)
            })
            .map_err(|e| ReportError::Invalid(format!("starting the writer's thread {name}: {e}")))?;
        Ok(Worker {
            tx: Some(tx),
            handle: Some(handle),
            side_wants_records,
            batch: Vec::new(),
            batched: 0,
        })
    }

    fn send(&mut self, chunk: Arc<Chunk>) {
        self.batched += chunk.recs.len() + chunk.log.cc.len() + chunk.log.queue.len() + 1;
        self.batch.push(chunk);
        if self.batched >= BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        self.batched = 0;
        let batch = std::mem::take(&mut self.batch);
        if let Some(tx) = &self.tx
            && !batch.is_empty()
        {
            // An error only when the thread is gone (it panicked): `join` reports that.
            let _ = tx.send(Msg::Batch(batch));
        }
    }

    /// See [`RunWriter::longest_chart_series`]; 0 if the thread is gone.
    fn longest(&mut self) -> usize {
        self.hand_over();
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        match &self.tx {
            Some(tx) if tx.send(Msg::Longest(reply)).is_ok() => answer.recv().unwrap_or(0),
            _ => 0,
        }
    }

    /// Has the thread write what is left and close its files (`end`: what the run's end
    /// hands over), while the caller goes on; [`Worker::join`] waits.
    fn close(&mut self, end: S::End) {
        self.hand_over();
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Finish(end));
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

impl<S: Side> Drop for Worker<S> {
    /// A writer given up (an error elsewhere) still waits for its threads, so no file is
    /// written into the run's folder after the writer is gone.
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

/// A record sink run on a thread of its own: the simulation's thread hands the chunks over
/// and goes on while the sink consumes them (for a run's writer, the classification and the
/// summary's accumulators: ~9 % of a 10,000-connection run's simulation thread). Chunks go
/// in batches of at least [`RELAY_BATCH`] records (a handover wakes the thread; a 100 MB
/// transfer at 10 Mbit/s has ~900 chunks, and a wake-up per chunk doubled its run with
/// `--artifacts summary`), at most [`RELAYED`] batches waiting, so memory stays bounded; the
/// chunks' lists come back emptied for the simulation to refill. The sink sees the same
/// chunks in the same order as in line, so nothing it writes changes.
///
/// Started with `beside` false, it runs the sink in line instead, on the simulation's thread:
/// for a small world the handovers cost more than they free (a 100 MB transfer: 0.08 s in
/// line, 0.09-0.10 s beside, and 11 MB more resident with every artefact).
pub struct SinkThread<S: RecordSink + Send + 'static>(Placed<S>);

/// Where a [`SinkThread`]'s sink runs.
enum Placed<S: RecordSink + Send + 'static> {
    InLine(S),
    Beside(Relay<S>),
}

/// The simulation's end of a sink running on its own thread.
struct Relay<S: RecordSink + Send + 'static> {
    to: Option<std::sync::mpsc::SyncSender<Vec<(RunLog, SimTime)>>>,
    back: std::sync::mpsc::Receiver<RunLog>,
    handle: Option<std::thread::JoinHandle<S>>,
    /// Chunks not handed over yet, and their records.
    batch: Vec<(RunLog, SimTime)>,
    batched: usize,
    /// The sink's [`RecordSink::wants_queue`].
    wants_queue: bool,
    /// Record lists given back and not reused yet.
    spare: Vec<RunLog>,
}

/// Record lists (sets of a chunk's lists, emptied) a [`Relay`] keeps for the next chunks.
const SPARE_LOGS: usize = 2;

/// Batches queued for a [`SinkThread`] besides the one it is consuming: none, a handover
/// waits for the thread to take the batch (why: a queued batch is one more set of lists
/// resident, and the thread is faster than the simulation).
const RELAYED: usize = 0;

/// Records (of every kind) per batch handed to a [`SinkThread`] (about a chunk's target: see
/// `models::testbed::RECORD_CHUNK_TARGET`).
const RELAY_BATCH: usize = 16_384;

impl<S: RecordSink + Send + 'static> SinkThread<S> {
    /// Starts `sink`'s thread, named `name`, or keeps `sink` in line (see the type's doc).
    pub fn start(name: &str, mut sink: S, beside: bool) -> Result<Self> {
        if !beside {
            return Ok(SinkThread(Placed::InLine(sink)));
        }
        let wants_queue = sink.wants_queue();
        let (to, rx) = std::sync::mpsc::sync_channel::<Vec<(RunLog, SimTime)>>(RELAYED);
        let (back_tx, back) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // The list the wire parts are merged into stays on this thread (why: handed
                // back with each chunk's other lists it went round unused, a chunk's worth
                // of memory for every chunk on its way).
                let mut merged = Vec::new();
                for batch in rx {
                    for (mut log, through) in batch {
                        let settle = !sink.settles() && log.wire.is_empty();
                        if settle {
                            std::mem::swap(&mut log.wire, &mut merged);
                            log.settle();
                        }
                        sink.chunk(&mut log, through);
                        log.clear();
                        if settle {
                            std::mem::swap(&mut log.wire, &mut merged);
                        }
                        // The simulation may be over: then the lists are not needed.
                        let _ = back_tx.send(log);
                    }
                }
                sink
            })
            .map_err(|e| ReportError::Invalid(format!("starting the thread {name}: {e}")))?;
        Ok(SinkThread(Placed::Beside(Relay {
            to: Some(to),
            back,
            handle: Some(handle),
            batch: Vec::new(),
            batched: 0,
            wants_queue,
            spare: Vec::new(),
        })))
    }

    /// Waits for the thread to consume every chunk and returns the sink, or the panic that
    /// ended the thread.
    pub fn finish(self) -> std::thread::Result<S> {
        match self.0 {
            Placed::InLine(sink) => Ok(sink),
            Placed::Beside(mut r) => {
                r.flush();
                r.to = None;
                r.handle.take().expect("joined once, here").join()
            }
        }
    }
}

impl<S: RecordSink + Send + 'static> Relay<S> {
    /// Hands over the chunks not handed over yet.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        if let Some(to) = &self.to {
            // A thread that panicked took its receiver with it: `finish` reports the panic.
            let _ = to.send(batch);
        }
    }
}

impl<S: RecordSink + Send + 'static> RecordSink for SinkThread<S> {
    fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
        let r = match &mut self.0 {
            Placed::InLine(sink) => return sink.chunk(log, through),
            Placed::Beside(r) => r,
        };
        let full = std::mem::take(log);
        r.batched += full.wire_len() + full.cc.len() + full.queue.len() + full.delivery.len() + 1;
        r.batch.push((full, through));
        if r.batched >= RELAY_BATCH || through == SimTime::MAX {
            r.flush();
        }
        // Taken after the handover: the thread gives a chunk's lists back before it takes the
        // next batch, so two sets of lists go round, not three. Lists given back beyond
        // [`SPARE_LOGS`] are dropped (why: a set the run did not find back in time is
        // replaced by a new one, and the sets piled up in the channel, a chunk's memory each:
        // 10,000 connections, 100 ms, ~50 MB of wire lists; why keep some: a new set grows
        // its lists again, copying them at each doubling, ~5 % of that run's time).
        for back in r.back.try_iter() {
            if r.spare.len() < SPARE_LOGS {
                r.spare.push(back);
            }
        }
        *log = r.spare.pop().unwrap_or_default();
    }

    /// Beside the simulation, the chunks are settled on the sink's thread.
    fn settles(&self) -> bool {
        match &self.0 {
            Placed::InLine(sink) => sink.settles(),
            Placed::Beside(_) => true,
        }
    }

    fn wants_queue(&self) -> bool {
        match &self.0 {
            Placed::InLine(sink) => sink.wants_queue(),
            Placed::Beside(r) => r.wants_queue,
        }
    }
}

impl<S: RecordSink + Send + 'static> Drop for Relay<S> {
    /// A relay given up (the run panicked) still waits for its thread.
    fn drop(&mut self) {
        self.to = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A side that logs what it is handed, fails at chunk `fail_at` and panics at `panic_at`.
    struct Probe {
        seen: Arc<Mutex<Vec<String>>>,
        fail_at: Option<SimTime>,
        panic_at: Option<SimTime>,
    }

    impl Side for Probe {
        type End = &'static str;
        fn wants_records(&self) -> bool {
            false
        }
        fn chunk(&mut self, c: &Chunk) -> Result<()> {
            assert!(self.panic_at != Some(c.through), "probe panics");
            self.seen.lock().unwrap().push(format!("chunk {}", c.through.0));
            if self.fail_at == Some(c.through) {
                return Err(ReportError::Invalid(format!("probe fails at {}", c.through.0)));
            }
            Ok(())
        }
        fn finish(self, end: &'static str) -> Result<()> {
            self.seen.lock().unwrap().push(format!("finish {end}"));
            Ok(())
        }
        fn longest(&self) -> usize {
            self.seen.lock().unwrap().len()
        }
    }

    /// A panic's message (a `String` or a `&str` payload).
    fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
        (p.downcast_ref::<String>().cloned())
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    fn chunk(through: u64) -> Arc<Chunk> {
        Arc::new(Chunk {
            recs: Vec::new(),
            log: RunLog::default(),
            wire_end: None,
            through: SimTime(through),
            spare: None,
        })
    }

    fn probe(fail_at: Option<u64>, panic_at: Option<u64>) -> (Worker<Probe>, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let side = Probe {
            seen: Arc::clone(&seen),
            fail_at: fail_at.map(SimTime),
            panic_at: panic_at.map(SimTime),
        };
        (Worker::start("probe", side).unwrap(), seen)
    }

    /// Chunks reach the thread in order, batched or not, then the end; a query waits for
    /// every chunk handed over before it.
    #[test]
    fn a_worker_takes_the_chunks_in_order_then_the_end() {
        let (mut w, seen) = probe(None, None);
        for t in 1..=5000 {
            w.send(chunk(t));
        }
        assert_eq!(w.longest(), 5000, "the query saw every chunk sent before it");
        w.send(chunk(5001));
        w.close("end");
        w.join().unwrap();
        let seen = seen.lock().unwrap();
        let expected: Vec<String> = (1..=5001)
            .map(|t| format!("chunk {t}"))
            .chain(["finish end".to_string()])
            .collect();
        assert_eq!(*seen, expected);
    }

    /// The first error stops the side: later chunks and the end are not handed to it, and
    /// the caller gets the error when it joins.
    #[test]
    fn a_workers_first_error_is_reported_at_join_and_stops_it() {
        let (mut w, seen) = probe(Some(3), None);
        for t in 1..=10 {
            w.send(chunk(t));
        }
        w.close("end");
        let e = w.join().unwrap_err().to_string();
        assert!(e.contains("probe fails at 3"), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 3, "nothing after the error");
    }

    /// A panic on the worker's thread comes back to the caller at join (where the runner
    /// turns it into the run's failure), and the caller never blocks on a dead thread.
    #[test]
    fn a_workers_panic_is_resumed_at_join() {
        let (mut w, _) = probe(None, Some(2));
        for t in 1..=10_000 {
            w.send(chunk(t));
        }
        assert_eq!(w.longest(), 0, "a dead thread answers nothing");
        w.close("end");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.join()));
        let msg = panic_text(&*r.expect_err("the panic comes back"));
        assert!(msg.contains("probe panics"), "{msg}");
    }

    /// A writer given up (dropped without its end) waits for its thread, which never
    /// finishes its files.
    #[test]
    fn a_dropped_worker_waits_for_its_thread_and_never_finishes() {
        let (mut w, seen) = probe(None, None);
        w.send(chunk(1));
        drop(w);
        let seen = seen.lock().unwrap();
        assert!(seen.iter().all(|s| !s.starts_with("finish")), "{seen:?}");
    }

    /// A record sink that logs each chunk it gets: its `through` and queue-sample count.
    #[derive(Debug, Default)]
    struct Tally(Vec<(u64, usize)>);

    impl RecordSink for Tally {
        fn chunk(&mut self, log: &mut RunLog, through: SimTime) {
            assert!(through.0 != 13, "tally panics at 13");
            self.0.push((through.0, log.queue.len()));
        }
    }

    /// A chunk of `n` queue samples.
    fn chunk_of(n: usize) -> RunLog {
        let sample = models::record::QueueSample {
            time: SimTime(1),
            link: models::record::LinkId(0),
            packets: 1,
            bytes: 40,
        };
        RunLog {
            queue: vec![sample; n],
            ..RunLog::default()
        }
    }

    fn feed(sink: &mut dyn RecordSink, sizes: &[usize]) {
        for (i, &n) in sizes.iter().enumerate() {
            let mut log = chunk_of(n);
            let last = i + 1 == sizes.len();
            sink.chunk(&mut log, if last { SimTime::MAX } else { SimTime(i as u64) });
            // As the world does: the run clears the list and refills it.
            log.clear();
        }
    }

    /// A sink that reads queue samples or not.
    struct Reads(bool);

    impl RecordSink for Reads {
        fn chunk(&mut self, _log: &mut RunLog, _through: SimTime) {}

        fn wants_queue(&self) -> bool {
            self.0
        }
    }

    /// Whether a sink reads queue samples is asked before the run, beside it as in line.
    #[test]
    fn a_sink_thread_says_whether_its_sink_reads_queue_samples() {
        for wants in [false, true] {
            for beside in [false, true] {
                let t = SinkThread::start("reads", Reads(wants), beside).unwrap();
                assert_eq!(t.wants_queue(), wants, "beside: {beside}");
                t.finish().unwrap();
            }
        }
    }

    #[test]
    fn a_sink_beside_the_simulation_gets_the_chunks_it_would_get_in_line() {
        // Small chunks wait for a batch, a large one fills it, and the last goes at once.
        let sizes = [3, 0, RELAY_BATCH, 5, 7, RELAY_BATCH * 2, 1];
        let mut in_line = SinkThread::start("test", Tally::default(), false).unwrap();
        feed(&mut in_line, &sizes);
        let mut beside = SinkThread::start("test", Tally::default(), true).unwrap();
        feed(&mut beside, &sizes);
        let (a, b) = (in_line.finish().unwrap().0, beside.finish().unwrap().0);
        assert_eq!(a.len(), sizes.len());
        assert_eq!(a, b);
        assert_eq!(b.last(), Some(&(u64::MAX, 1)));
    }

    #[test]
    fn a_sink_that_panics_beside_the_simulation_reports_it_at_finish() {
        let mut beside = SinkThread::start("test", Tally::default(), true).unwrap();
        let mut log = chunk_of(RELAY_BATCH);
        beside.chunk(&mut log, SimTime(13));
        // The thread is gone: later chunks are dropped, the simulation is not stopped.
        beside.chunk(&mut chunk_of(RELAY_BATCH), SimTime(14));
        let message = panic_text(&*beside.finish().expect_err("the sink panicked"));
        assert!(message.contains("tally panics at 13"), "{message}");
    }
}
