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
use sim_core::SimTime;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

/// tcpdump-style flag letters (`S`, `F`, `R`, `P`, `.` for ACK), e.g. `P.`, written into `buf`.
fn flag_letters_into(f: Flags, buf: &mut [u8; 5]) -> &str {
    let mut n = 0;
    for (on, c) in [
        (f.syn, b'S'),
        (f.fin, b'F'),
        (f.rst, b'R'),
        (f.psh, b'P'),
        (f.ack, b'.'),
    ] {
        if on {
            buf[n] = c;
            n += 1;
        }
    }
    std::str::from_utf8(&buf[..n]).unwrap_or_default()
}

pub(crate) fn event_name(e: WireEvent) -> &'static str {
    match e {
        WireEvent::Sent => "sent",
        WireEvent::Dropped(_) => "dropped",
        WireEvent::Delivered { .. } => "delivered",
    }
}

/// Column names of `segments.csv`.
const SEGMENT_COLUMNS: &str = "time_ns,event_index,link,event,drop_reason,corrupted,duplicate,conn,dir,seq,len,ack,\
                               flags,window,sack_blocks,sender,source,cause,buf,tx_number,is_retransmission";
/// Column names of `acks.csv` (`dup`: same ACK number as the previous ACK of the connection at
/// this link and event).
const ACK_COLUMNS: &str = "time_ns,link,event,conn,ack,window,sack_blocks,dup";
/// Column names of `cc.csv` (`ssthresh` empty while unset, RFC 5681 §3.1: the initial value is
/// "arbitrarily high").
const CC_COLUMNS: &str = "time_ns,conn,sender,cwnd,ssthresh,srtt_ns,rto_ns,flight,snd_una,snd_nxt,snd_max";
/// Column names of `queues.csv`.
const QUEUE_COLUMNS: &str = "time_ns,link,packets,bytes";

/// A CSV table streamed row by row into an [`AtomicFile`]: each row is formatted into a
/// reused line buffer (integers with `itoa`, names pre-quoted once by [`csv_field`]) and
/// handed to the file's buffer whole, with no allocation per row. The header is written
/// before the first row, so a table without rows is an empty file (as the `csv` crate's
/// `serialize` leaves it).
struct Table {
    out: AtomicFile,
    header: &'static str,
    started: bool,
    line: Vec<u8>,
}

impl Table {
    fn create(path: &Path, header: &'static str) -> Result<Self> {
        Ok(Table {
            out: AtomicFile::create(path)?,
            header,
            started: false,
            line: Vec::with_capacity(256),
        })
    }

    /// Starts a row (its fields are appended with the methods below, each after a comma but
    /// the first).
    fn row(&mut self) -> &mut Self {
        self.line.clear();
        self
    }

    fn sep(&mut self) {
        if !self.line.is_empty() {
            self.line.push(b',');
        }
    }

    fn int(&mut self, v: impl itoa::Integer) -> &mut Self {
        self.sep();
        self.line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    fn opt(&mut self, v: Option<impl itoa::Integer>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    /// A field that needs no quoting (a vocabulary key, flag letters) or was quoted by
    /// [`csv_field`].
    fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        self.line.extend_from_slice(v.as_bytes());
        self
    }

    fn bool(&mut self, v: bool) -> &mut Self {
        self.text(if v { "true" } else { "false" })
    }

    /// Ends the row and writes it.
    fn end(&mut self) -> Result<()> {
        let io = |e| ReportError::Invalid(format!("csv write: {e}"));
        if !self.started {
            self.started = true;
            self.out.write_all(self.header.as_bytes()).map_err(io)?;
            self.out.write_all(b"\n").map_err(io)?;
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(io)
    }

    fn commit(self) -> Result<()> {
        self.out.commit()
    }
}

/// `name` as one CSV field, quoted as the `csv` crate quotes it when needed (a name holding a
/// comma, a quote or a line break).
fn csv_field(name: &str) -> String {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    if w.write_record([name]).is_err() {
        return name.to_string();
    }
    let mut v = w.into_inner().unwrap_or_default();
    v.pop();
    String::from_utf8(v).unwrap_or_else(|_| name.to_string())
}

/// The names rows repeat, quoted once: connections by position in [`RunInfo::conns`], link
/// directions by id.
struct Names {
    conns: Vec<String>,
    links: Vec<String>,
}

impl Names {
    fn new(info: &RunInfo) -> Self {
        Names {
            conns: info
                .conns
                .iter()
                .map(|c| csv_field(&info.conn_column(c.conn)))
                .collect(),
            links: info.links.iter().map(|l| csv_field(&l.name)).collect(),
        }
    }

    /// Connection `conn` as the `conn` columns name it.
    fn conn(&self, info: &RunInfo, conn: models::segment::ConnId) -> std::borrow::Cow<'_, str> {
        match info.conn_index(conn).and_then(|i| self.conns.get(i)) {
            Some(s) => s.as_str().into(),
            None => csv_field(&info.conn_column(conn.0)).into(),
        }
    }

    /// Link direction `link` by its name.
    fn link(&self, info: &RunInfo, link: models::record::LinkId) -> std::borrow::Cow<'_, str> {
        match self.links.get(usize::from(link.0)) {
            Some(s) => s.as_str().into(),
            None => csv_field(&info.link_name(link)).into(),
        }
    }
}

/// Writes the per-packet tables `segments.csv` and `acks.csv` row by row as the run's records
/// come. Rows are by time, ties in log order: the log is in kernel-event order, and a link
/// records a segment's delivery (at its arrival time) while handling the event that sent it,
/// so log order runs ahead of time; the rows stamped after a chunk's `through` wait for the
/// next chunks (segments in flight), and a stable sort keeps same-time events as logged.
pub(crate) struct PacketCsvs {
    segs: Table,
    acks: Table,
    names: Names,
    /// The last ACK number per (connection, link, event), for the `dup` column.
    last_ack: BTreeMap<(u32, u16, &'static str), i64>,
    /// Records stamped after the last chunk's `through`, by time (ties in log order).
    pending: Vec<Rec>,
    /// A chunk's row order: (time, position in `pending` then the chunk), kept for its
    /// capacity.
    order: Vec<(SimTime, u32)>,
}

impl PacketCsvs {
    /// Starts `segments.csv` and `acks.csv` in `dir`.
    pub fn new(dir: &Path, info: &RunInfo) -> Result<Self> {
        Ok(PacketCsvs {
            segs: Table::create(&dir.join("segments.csv"), SEGMENT_COLUMNS)?,
            acks: Table::create(&dir.join("acks.csv"), ACK_COLUMNS)?,
            names: Names::new(info),
            last_ack: BTreeMap::new(),
            pending: Vec::new(),
            order: Vec::new(),
        })
    }

    /// One chunk's classified records, in log order.
    pub fn chunk(&mut self, info: &RunInfo, recs: &[(usize, Rec)], through: SimTime) -> Result<()> {
        // The waiting records, then the chunk's, by time, ties in that order: sorted as
        // (time, position) pairs rather than moving the 184-byte records (the moves were an
        // eighth of the tables' thread).
        let waiting = std::mem::take(&mut self.pending);
        let at = |i: u32| -> &Rec {
            let i = i as usize;
            waiting.get(i).unwrap_or_else(|| &recs[i - waiting.len()].1)
        };
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        let times = waiting.iter().chain(recs.iter().map(|(_, x)| x)).map(|x| x.r.time);
        order.extend(times.zip(0u32..));
        order.sort_unstable();
        let n = order.partition_point(|&(t, _)| t <= through);
        let mut result = Ok(());
        for &(_, i) in &order[..n] {
            result = self.row(info, at(i));
            if result.is_err() {
                break;
            }
        }
        self.pending = order[n..].iter().map(|&(_, i)| *at(i)).collect();
        self.order = order;
        result
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
        let link = self.names.link(info, r.link);
        let conn = self.names.conn(info, p.conn);
        let mut flags = [0u8; 5];
        let flags = flag_letters_into(h.flags, &mut flags);
        self.segs
            .row()
            .int(r.time.0)
            .int(r.event_index)
            .text(&link)
            .text(event_name(r.event))
            .text(drop_reason)
            .bool(corrupted)
            .bool(duplicate)
            .text(&conn)
            .text(if x.dir == Dir::Forward { "data" } else { "reverse" })
            .int(x.seq_rel)
            .int(h.len)
            .opt(x.ack_rel)
            .text(flags)
            .int(h.window)
            .int(h.sack_blocks)
            .text(p.sender.key())
            .text(p.source.key())
            .text(p.cause.key())
            .opt(p.buf.map(|b| b.0))
            .int(p.tx_number)
            .bool(p.is_retransmission)
            .end()?;
        let f = h.flags;
        if let Some(ack) = x.ack_rel
            && h.len == 0
            && !f.syn
            && !f.fin
            && !f.rst
        {
            let key = (p.conn.0, r.link.0, event_name(r.event));
            let dup = self.last_ack.insert(key, ack) == Some(ack);
            self.acks
                .row()
                .int(r.time.0)
                .text(&link)
                .text(event_name(r.event))
                .text(&conn)
                .int(ack)
                .int(h.window)
                .int(h.sack_blocks)
                .bool(dup)
                .end()?;
        }
        Ok(())
    }

    /// Writes the rows left and closes both files.
    pub fn finish(mut self, info: &RunInfo) -> Result<()> {
        self.chunk(info, &[], SimTime::MAX)?;
        self.segs.commit()?;
        self.acks.commit()
    }
}

/// Writes the time series `cc.csv` and (with queue samples) `queues.csv` as the run's records
/// come, and `buffers.csv` at the end.
pub(crate) struct SeriesCsvs {
    dir: std::path::PathBuf,
    cc: Table,
    /// Started at the first queue sample (a run without samples has no `queues.csv`).
    queues: Option<Table>,
    names: Names,
}

impl SeriesCsvs {
    /// Starts `cc.csv` in `dir`.
    pub fn new(dir: &Path, info: &RunInfo) -> Result<Self> {
        Ok(SeriesCsvs {
            dir: dir.to_path_buf(),
            cc: Table::create(&dir.join("cc.csv"), CC_COLUMNS)?,
            queues: None,
            names: Names::new(info),
        })
    }

    /// One chunk of the log.
    pub fn chunk(&mut self, info: &RunInfo, log: &RunLog) -> Result<()> {
        let rel = |conn, s| rel_snd(info, conn, s);
        for c in &log.cc {
            let conn = self.names.conn(info, c.conn);
            self.cc
                .row()
                .int(c.time.0)
                .text(&conn)
                .text(c.sender.key())
                .int(c.cwnd)
                .opt((c.ssthresh < crate::charts::SSTHRESH_INFINITE).then_some(c.ssthresh))
                .int(c.srtt_ns)
                .int(c.rto_ns)
                .int(c.flight)
                .int(rel(c.conn, c.snd_una))
                .int(rel(c.conn, c.snd_nxt))
                .int(rel(c.conn, c.snd_max))
                .end()?;
        }
        if log.queue.is_empty() {
            return Ok(());
        }
        if self.queues.is_none() {
            self.queues = Some(Table::create(&self.dir.join("queues.csv"), QUEUE_COLUMNS)?);
        }
        let w = self.queues.as_mut().expect("started");
        for q in &log.queue {
            let link = self.names.link(info, q.link);
            w.row().int(q.time.0).text(&link).int(q.packets).int(q.bytes).end()?;
        }
        Ok(())
    }

    /// Closes `cc.csv` and `queues.csv` and writes `buffers.csv`.
    pub fn finish(self, info: &RunInfo, buffers: &[BufferLife]) -> Result<()> {
        self.cc.commit()?;
        if let Some(q) = self.queues {
            q.commit()?;
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
