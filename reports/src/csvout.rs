//! Per-run CSV tables: `segments.csv` (every wire event), `acks.csv` (pure ACKs), `cc.csv`
//! (sender samples), `buffers.csv` (send-buffer lifetimes) and, for simulated runs, `queues.csv`
//! (each link direction's queue occupancy as arriving packets leave it). Sequence and ACK numbers are
//! relative to the ISN + 1 of their side, i.e. stream offsets (a SYN is -1). `segments.csv` and
//! `acks.csv` list wire events by time (ties in log order); `cc.csv` leaves `ssthresh` empty
//! while it is unset (at or above 2^30 bytes, the "arbitrarily high" initial value). The `conn` column
//! of every table names the connection as the scenario does (its id when it has no name).

use crate::ReportError;
use crate::Result;
use crate::info::{Dir, RunInfo};
use crate::io::{AtomicFile, stream_csv};
use crate::metrics::{BufferLife, rel_snd};
use crate::view::Rec;
use crate::vocab::Named;
use models::record::{RunLog, WireEvent};
use models::segment::Flags;
use serde::Serialize;
use sim_core::SimTime;
use std::collections::BTreeMap;
use std::path::Path;

/// tcpdump-style flag letters (`S`, `F`, `R`, `P`, `.` for ACK), e.g. `P.`.
pub(crate) fn flag_letters(f: Flags) -> String {
    let mut s = String::new();
    for (on, c) in [(f.syn, 'S'), (f.fin, 'F'), (f.rst, 'R'), (f.psh, 'P'), (f.ack, '.')] {
        if on {
            s.push(c);
        }
    }
    s
}

pub(crate) fn event_name(e: WireEvent) -> &'static str {
    match e {
        WireEvent::Sent => "sent",
        WireEvent::Dropped(_) => "dropped",
        WireEvent::Delivered { .. } => "delivered",
    }
}

#[derive(Serialize)]
struct SegmentRow<'a> {
    time_ns: u64,
    event_index: u64,
    link: &'a str,
    event: &'static str,
    drop_reason: &'static str,
    corrupted: bool,
    duplicate: bool,
    conn: String,
    dir: &'static str,
    seq: i64,
    len: u32,
    ack: Option<i64>,
    flags: String,
    window: u16,
    sack_blocks: u8,
    sender: &'static str,
    source: &'static str,
    cause: &'static str,
    buf: Option<u64>,
    tx_number: u32,
    is_retransmission: bool,
}

#[derive(Serialize)]
struct AckRow<'a> {
    time_ns: u64,
    link: &'a str,
    event: &'static str,
    conn: String,
    ack: i64,
    window: u16,
    sack_blocks: u8,
    /// Same ACK number as the previous ACK of the connection at this link and event.
    dup: bool,
}

#[derive(Serialize)]
struct CcRow {
    time_ns: u64,
    conn: String,
    sender: &'static str,
    cwnd: u32,
    /// Empty while unset (RFC 5681 §3.1: the initial value is "arbitrarily high").
    ssthresh: Option<u32>,
    srtt_ns: u64,
    rto_ns: u64,
    flight: u32,
    snd_una: i64,
    snd_nxt: i64,
    snd_max: i64,
}

type CsvOut = csv::Writer<AtomicFile>;

fn commit(w: CsvOut) -> Result<()> {
    let file = w
        .into_inner()
        .map_err(|e| ReportError::Invalid(format!("csv flush: {e}")))?;
    file.commit()
}

/// Writes the per-packet tables `segments.csv` and `acks.csv` row by row as the run's records
/// come. Rows are by time, ties in log order: the log is in kernel-event order, and a link
/// records a segment's delivery (at its arrival time) while handling the event that sent it,
/// so log order runs ahead of time; the rows stamped after a chunk's `through` wait for the
/// next chunks (segments in flight), and a stable sort keeps same-time events as logged.
pub(crate) struct PacketCsvs {
    segs: CsvOut,
    acks: CsvOut,
    /// The last ACK number per (connection, link, event), for the `dup` column.
    last_ack: BTreeMap<(u32, u16, &'static str), i64>,
    /// Records stamped after the last chunk's `through`, by time (ties in log order).
    pending: Vec<Rec>,
}

impl PacketCsvs {
    /// Starts `segments.csv` and `acks.csv` in `dir`.
    pub fn new(dir: &Path) -> Result<Self> {
        Ok(PacketCsvs {
            segs: csv::Writer::from_writer(AtomicFile::create(&dir.join("segments.csv"))?),
            acks: csv::Writer::from_writer(AtomicFile::create(&dir.join("acks.csv"))?),
            last_ack: BTreeMap::new(),
            pending: Vec::new(),
        })
    }

    /// One chunk's classified records, in log order.
    pub fn chunk(&mut self, info: &RunInfo, recs: &[(usize, Rec)], through: SimTime) -> Result<()> {
        self.pending.extend(recs.iter().map(|(_, x)| *x));
        self.pending.sort_by_key(|x| x.r.time);
        let n = self.pending.partition_point(|x| x.r.time <= through);
        let rows: Vec<Rec> = self.pending.drain(..n).collect();
        for x in &rows {
            self.row(info, x)?;
        }
        Ok(())
    }

    fn row(&mut self, info: &RunInfo, x: &Rec) -> Result<()> {
        let r = &x.r;
        let h = &r.header;
        let p = &r.provenance;
        let (drop_reason, corrupted, duplicate) = match r.event {
            WireEvent::Dropped(d) => (d.key(), false, false),
            WireEvent::Delivered { corrupted, duplicate } => ("", corrupted, duplicate),
            WireEvent::Sent => ("", false, false),
        };
        let link = info.link_name(r.link);
        self.segs.serialize(SegmentRow {
            time_ns: r.time.0,
            event_index: r.event_index,
            link: &link,
            event: event_name(r.event),
            drop_reason,
            corrupted,
            duplicate,
            conn: info.conn_column(p.conn.0),
            dir: if x.dir == Dir::Forward { "data" } else { "reverse" },
            seq: x.seq_rel,
            len: h.len,
            ack: x.ack_rel,
            flags: flag_letters(h.flags),
            window: h.window,
            sack_blocks: h.sack_blocks,
            sender: p.sender.key(),
            source: p.source.key(),
            cause: p.cause.key(),
            buf: p.buf.map(|b| b.0),
            tx_number: p.tx_number,
            is_retransmission: p.is_retransmission,
        })?;
        let f = h.flags;
        if let Some(ack) = x.ack_rel
            && h.len == 0
            && !f.syn
            && !f.fin
            && !f.rst
        {
            let key = (p.conn.0, r.link.0, event_name(r.event));
            let dup = self.last_ack.insert(key, ack) == Some(ack);
            self.acks.serialize(AckRow {
                time_ns: r.time.0,
                link: &link,
                event: event_name(r.event),
                conn: info.conn_column(p.conn.0),
                ack,
                window: h.window,
                sack_blocks: h.sack_blocks,
                dup,
            })?;
        }
        Ok(())
    }

    /// Writes the rows left and closes both files.
    pub fn finish(mut self, info: &RunInfo) -> Result<()> {
        self.chunk(info, &[], SimTime::MAX)?;
        commit(self.segs)?;
        commit(self.acks)
    }
}

/// Writes the time series `cc.csv` and (with queue samples) `queues.csv` as the run's records
/// come, and `buffers.csv` at the end.
pub(crate) struct SeriesCsvs {
    dir: std::path::PathBuf,
    cc: CsvOut,
    /// Started at the first queue sample (a run without samples has no `queues.csv`).
    queues: Option<CsvOut>,
}

impl SeriesCsvs {
    /// Starts `cc.csv` in `dir`.
    pub fn new(dir: &Path) -> Result<Self> {
        Ok(SeriesCsvs {
            dir: dir.to_path_buf(),
            cc: csv::Writer::from_writer(AtomicFile::create(&dir.join("cc.csv"))?),
            queues: None,
        })
    }

    /// One chunk of the log.
    pub fn chunk(&mut self, info: &RunInfo, log: &RunLog) -> Result<()> {
        let rel = |conn, s| rel_snd(info, conn, s);
        for c in &log.cc {
            self.cc.serialize(CcRow {
                time_ns: c.time.0,
                conn: info.conn_column(c.conn.0),
                sender: c.sender.key(),
                cwnd: c.cwnd,
                ssthresh: (c.ssthresh < crate::charts::SSTHRESH_INFINITE).then_some(c.ssthresh),
                srtt_ns: c.srtt_ns,
                rto_ns: c.rto_ns,
                flight: c.flight,
                snd_una: rel(c.conn, c.snd_una),
                snd_nxt: rel(c.conn, c.snd_nxt),
                snd_max: rel(c.conn, c.snd_max),
            })?;
        }
        if log.queue.is_empty() {
            return Ok(());
        }
        if self.queues.is_none() {
            self.queues = Some(csv::Writer::from_writer(AtomicFile::create(
                &self.dir.join("queues.csv"),
            )?));
        }
        let w = self.queues.as_mut().expect("started");
        for q in &log.queue {
            w.serialize(QueueRow {
                time_ns: q.time.0,
                link: info.link_name(q.link),
                packets: q.packets,
                bytes: q.bytes,
            })?;
        }
        Ok(())
    }

    /// Closes `cc.csv` and `queues.csv` and writes `buffers.csv`.
    pub fn finish(self, info: &RunInfo, buffers: &[BufferLife]) -> Result<()> {
        commit(self.cc)?;
        if let Some(q) = self.queues {
            commit(q)?;
        }
        let rows = buffers.iter().map(|b| BufferRow {
            conn: info.conn_column(b.conn),
            life: b,
        });
        stream_csv(&self.dir.join("buffers.csv"), rows)
    }
}

/// One row of `buffers.csv`: a [`BufferLife`] with the connection named as the scenario names it.
struct BufferRow<'a> {
    conn: String,
    life: &'a BufferLife,
}

impl serde::Serialize for BufferRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let b = self.life;
        let mut r = s.serialize_struct("BufferRow", 10)?;
        r.serialize_field("conn", &self.conn)?;
        r.serialize_field("buf", &b.buf)?;
        r.serialize_field("len", &b.len)?;
        r.serialize_field("stream_offset", &b.stream_offset)?;
        r.serialize_field("posted_ns", &b.posted_ns)?;
        r.serialize_field("offloaded_ns", &b.offloaded_ns)?;
        r.serialize_field("returned_ns", &b.returned_ns)?;
        r.serialize_field("ended_ns", &b.ended_ns)?;
        r.serialize_field("end", &b.end)?;
        r.serialize_field("pinned_ns", &b.pinned_ns)?;
        r.end()
    }
}

/// One row of `queues.csv`: a link direction's queue as a packet arriving at it left it.
#[derive(serde::Serialize)]
struct QueueRow {
    time_ns: u64,
    link: String,
    packets: u64,
    bytes: u64,
}
