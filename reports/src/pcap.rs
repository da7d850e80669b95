//! pcapng files that Wireshark/tshark open directly: one per link direction, and one
//! sender-side capture per connection.
//!
//! **`<link>.pcapng`: capture point the link's ingress.** A file holds every segment offered
//! to that link direction, in log order: those accepted into the link (`Sent`) and those
//! dropped at its ingress (`Dropped`, included so losses are visible, marked
//! `DROPPED: <reason>`). Segments that the link later corrupts or duplicates are captured
//! once, as offered, with `CORRUPTED in transit` / `DUPLICATED in transit` in the comment.
//! Such a file has one direction only: Wireshark sees data without the ACKs (or ACKs without
//! the data), so its sequence analysis is limited.
//!
//! **`<conn>-sender.pcapng`: both directions as seen at the sending host** (`<conn>` is the
//! connection's scenario name, else `conn<N>`; like a capture on the sender's NIC): the sender's segments at the ingress of the link leaving it (dropped
//! ones included, marked `DROPPED`), and the peer's segments when they arrive at the sender
//! (a corrupted arrival is marked `ARRIVED CORRUPTED` and carries a deliberately wrong TCP
//! checksum; a link-made extra copy is marked `DUPLICATE COPY`; the peer's segments dropped on
//! the way never arrive and are only in the link files). Frames are in time order; at equal
//! times arrivals come first (a segment sent at t may be caused by one arriving at t).
//!
//! **What Wireshark shows on the sender-side capture** (checked against `summary.json` on
//! real runs by the `real_runs_sender_capture_agrees_with_summary` test, Wireshark 4.0): the
//! duplicate ACKs, and each retransmission flagged "retransmission" or "fast retransmission"
//! (after two or more duplicate ACKs). Among the frames not marked `DROPPED`, the flagged ones
//! are exactly the `retransmission=yes` ones, `retransmissions.total` of them, **except**
//! NewReno partial-ACK retransmissions sent less than one handshake RTT after the highest
//! new segment: the partial ACK resets the duplicate-ACK count, so Wireshark's heuristic
//! calls them "out-of-order" (about 1 in 6 partial-ACK retransmissions in the default
//! sweep). So `retransmission flags + out-of-order flags = retransmissions.total` on
//! non-dropped data frames, each out-of-order one has `cause=partial_ack`. Frames marked
//! `DROPPED` are in the capture (the sender did transmit them) and Wireshark flags the
//! dropped retransmissions among them: these are `retransmissions.dropped_at_ingress`, not
//! part of the total, so filter with `!(frame.comment contains "DROPPED")`. Wireshark's
//! "spurious retransmission" means "data the sender had already seen acknowledged", a
//! different notion from `spurious_retransmissions` (bytes the receiver already held),
//! which only the receiver side can see; Wireshark rarely flags it here.
//!
//! Frames are Ethernet II / IPv4 (DF set, correct header checksum) / TCP (correct checksum
//! unless marked corrupted, computed over the whole payload, and the options the segment
//! carried: MSS, SACK-permitted and window scale on SYNs, SACK blocks, timestamps when
//! negotiated) with the payload regenerated from [`models::pattern`]. **Headers only by
//! default**: each frame is cut at [`SNAP_LEN`] bytes (the interface's snap length; the block
//! keeps the original length, so Wireshark's sequence analysis is unchanged) and the comment
//! ends with `payload_xxh3=<16 hex digits>`, the XXH3-64 of the whole payload; `--pcap-payload`
//! keeps every byte. Not reproduced: the real IPv4 ID
//! (a per-file counter per source address; offload-target segments use 0x8000-0xFFFF, host
//! segments 0x0000-0x7FFF, chimney rule 15). MAC addresses are `02:00:<IPv4 address>`.
//! Timestamps are simulation time in nanoseconds (`if_tsresol` = 9) counted from a fixed
//! capture epoch, [`CAPTURE_EPOCH_NS`] = 2000-01-01T00:00:00Z: the run starts at that instant
//! in every capture, so Wireshark's absolute times read as a plausible date (not 1970) while
//! staying deterministic, and `frame.time_relative` is simulation time.
//!
//! Every packet's comment carries its provenance (the connection by its scenario name, its id
//! when unnamed), e.g.
//! `conn=c1 sender=offload_target source=delegated_unacked buf=2 cause=rto tx=1
//! retransmission=yes event=1234`. `tools/wireshark/offsim.lua` turns it into `offsim.*` fields
//! (`offsim.source == "delegated_unacked" && offsim.retransmission`); without it, filter with
//! `frame.comment contains "source=delegated_unacked"`
//! (per-source retransmission counts: add `&& frame.comment contains "retransmission=yes" &&
//! !(frame.comment contains "DROPPED")`; `delegated_resend` counts under `delegated_unacked`
//! in `summary.json`).

use crate::info::{Dir, RunInfo};
use crate::io::{AtomicFile, sanitize};
use crate::view::Rec;
use crate::vocab::Named;
use crate::{ReportError, Result, SNAP_LEN};
use etherparse::{IpHeaders, Ipv4Header, PacketBuilder, TcpOptionElement};
use models::pattern::pattern_slice;
use models::record::{LinkId, SegmentHeader, WireEvent};
use models::segment::{Provenance, Sender};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::{DataLink, Endianness};
use sim_core::SimTime;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

/// The capture epoch: 2000-01-01T00:00:00Z in nanoseconds since 1970-01-01T00:00:00Z (UTC,
/// 10,957 days of 86,400 s). Simulation time 0 is this instant in every pcapng file.
pub const CAPTURE_EPOCH_NS: u64 = 946_684_800 * 1_000_000_000;
use xxhash_rust::xxh3::{Xxh3DefaultBuilder, xxh3_64};

/// What happened to a captured segment after ingress.
#[derive(Default, Clone, Copy)]
struct Later {
    corrupted: bool,
    duplicated: bool,
}

/// The provenance comment of one captured segment.
pub(crate) fn comment(info: &RunInfo, x: &Rec, later: Option<(bool, bool)>) -> String {
    let p = &x.r.provenance;
    let mut s = String::new();
    if let WireEvent::Dropped(d) = x.r.event {
        s.push_str(&format!("DROPPED: {}; ", d.key()));
    }
    if let Some((corrupted, duplicated)) = later {
        if corrupted {
            s.push_str("CORRUPTED in transit (the receiver discards it); ");
        }
        if duplicated {
            s.push_str("DUPLICATED in transit; ");
        }
    }
    s.push_str(&format!(
        "conn={} sender={} source={}",
        info.conn_column(p.conn.0),
        p.sender.key(),
        p.source.key()
    ));
    if let Some(b) = p.buf {
        s.push_str(&format!(" buf={}", b.0));
    }
    s.push_str(&format!(
        " cause={} tx={} retransmission={} stream_offset={} event={}",
        p.cause.key(),
        p.tx_number,
        if p.is_retransmission { "yes" } else { "no" },
        x.r.header.stream_offset,
        x.r.event_index
    ));
    s
}

fn mac(ip: [u8; 4]) -> [u8; 6] {
    [0x02, 0x00, ip[0], ip[1], ip[2], ip[3]]
}

/// Builds the Ethernet frame of one captured segment.
fn frame(info: &RunInfo, x: &Rec, ip_id: u16) -> Result<Vec<u8>> {
    let h = &x.r.header;
    let p = &x.r.provenance;
    let ci = info
        .conn(p.conn)
        .ok_or_else(|| ReportError::Invalid(format!("unknown connection {}", p.conn.0)))?;
    let (src, dst) = ci.ends(x.dir);
    let ip = Ipv4Header {
        dont_fragment: true,
        identification: ip_id,
        time_to_live: 64,
        source: src.ip,
        destination: dst.ip,
        ..Default::default()
    };
    let mut b = PacketBuilder::ethernet2(mac(src.ip), mac(dst.ip))
        .ip(IpHeaders::Ipv4(ip, Default::default()))
        .tcp(h.src_port, h.dst_port, h.seq.0, h.window);
    let f = h.flags;
    if f.ack {
        b = b.ack(h.ack.0);
    }
    if f.syn {
        b = b.syn();
    }
    if f.fin {
        b = b.fin();
    }
    if f.rst {
        b = b.rst();
    }
    if f.psh {
        b = b.psh();
    }
    let opts = tcp_options(h);
    let b = b
        .options(&opts)
        .map_err(|e| ReportError::Pcap(format!("building TCP options: {e}")))?;
    let payload = pattern_slice(p.conn, h.stream_offset, h.len as usize);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, &payload)
        .map_err(|e| ReportError::Pcap(format!("building frame: {e}")))?;
    Ok(out)
}

/// The TCP options a segment carried, as Linux lays them out: MSS, SACK-permitted, timestamps,
/// NOP and window scale on a SYN; NOP, NOP, timestamps, NOP, NOP and the SACK blocks on other
/// segments (so Wireshark's `tcp.options.mss_val`, `tcp.options.wscale.shift`,
/// `tcp.options.sack_perm`, `tcp.options.timestamp.tsval` and `tcp.options.sack_le`/`sack_re`
/// read them).
fn tcp_options(h: &SegmentHeader) -> Vec<TcpOptionElement> {
    let mut o = Vec::new();
    if let Some(mss) = h.mss {
        o.push(TcpOptionElement::MaximumSegmentSize(mss));
    }
    if h.sack_permitted {
        o.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if let Some((tsval, tsecr)) = h.timestamp {
        if h.mss.is_none() {
            o.push(TcpOptionElement::Noop);
            o.push(TcpOptionElement::Noop);
        }
        o.push(TcpOptionElement::Timestamp(tsval, tsecr));
    }
    if let Some(shift) = h.window_scale {
        o.push(TcpOptionElement::Noop);
        o.push(TcpOptionElement::WindowScale(shift));
    }
    let n = usize::from(h.sack_blocks).min(4);
    if n > 0 {
        let block = |i: usize| (h.sack[i].0.0, h.sack[i].1.0);
        let rest: [Option<(u32, u32)>; 3] = std::array::from_fn(|i| (i + 1 < n).then(|| block(i + 1)));
        o.push(TcpOptionElement::Noop);
        o.push(TcpOptionElement::Noop);
        o.push(TcpOptionElement::SelectiveAcknowledgement(block(0), rest));
    }
    o
}

/// The fate of one `Sent` segment in transit, shared by its link capture and its
/// sender-side capture: `Delivered` records are matched to the earliest undelivered identical
/// `Sent` one of their link (a link-made duplicate to the last matched one).
#[derive(Default)]
struct Fate {
    /// A `Delivered` record was matched to it.
    matched: bool,
    later: Later,
}

type Shared = Rc<RefCell<Fate>>;

/// One record to capture, with what to say about its fate.
struct Captured {
    x: Rec,
    /// For a `Sent` segment captured at ingress: its fate.
    fate: Option<Shared>,
    /// Captured at its arrival (a `Delivered` record) rather than at ingress.
    arrival: bool,
}

impl Captured {
    /// (corrupted, duplicated) later in transit, when a delivery was matched to it.
    fn later(&self) -> Option<(bool, bool)> {
        let f = self.fate.as_ref()?.borrow();
        f.matched.then_some((f.later.corrupted, f.later.duplicated))
    }

    /// Its fate may still change: a `Sent` segment whose delivery is not logged yet.
    fn open(&self) -> bool {
        self.fate.as_ref().is_some_and(|f| !f.borrow().matched)
    }
}

/// Keys of [`LinkCapture`]'s lookups. Lookups only; nothing iterates these maps. XXH3 rather
/// than the default SipHash: the keys are ours, not an attacker's, and hashing them was a
/// tenth of writing a capture.
type Key = (SegmentHeader, Provenance);

/// One link direction's capture as the records come.
struct LinkCapture {
    out: PcapFile,
    waiting: HashMap<Key, VecDeque<Shared>, Xxh3DefaultBuilder>,
    /// The last matched `Sent` per key, for duplicates; a link logs a duplicate in the event
    /// that sent the original, so this holds one chunk's matches only.
    last: HashMap<Key, Shared, Xxh3DefaultBuilder>,
    /// Captured segments not yet written, in log order.
    queue: VecDeque<Captured>,
}

/// One connection's sender-side capture: frames in time order, arrivals first at equal times
/// (a segment sent at t can be caused by one arriving at t, never the other way round: links
/// have positive delay).
struct SenderCapture {
    out: Option<PcapFile>,
    /// Captured frames not yet written: those stamped after the last chunk's `through`.
    pending: Vec<Captured>,
}

/// Writes one pcapng per link direction and one sender-side pcapng per connection into a
/// run's folder as the run's records come ([`PcapWriter::chunk`]), holding back only what
/// may still be reordered or annotated: segments in flight.
pub(crate) struct PcapWriter {
    dir: std::path::PathBuf,
    payload: bool,
    links: Vec<LinkCapture>,
    /// Link capture file names in use.
    used: Vec<String>,
    senders: Vec<SenderCapture>,
}

impl PcapWriter {
    /// Starts the link captures of `info` (`payload`: keep every payload byte; otherwise
    /// frames are cut at [`SNAP_LEN`] bytes and the comment carries the payload's fingerprint).
    pub fn new(dir: &Path, info: &RunInfo, payload: bool) -> Result<Self> {
        let mut w = PcapWriter {
            dir: dir.to_path_buf(),
            payload,
            links: Vec::new(),
            used: Vec::new(),
            senders: info
                .conns
                .iter()
                .map(|_| SenderCapture {
                    out: None,
                    pending: Vec::new(),
                })
                .collect(),
        };
        w.open_links(info, info.links.len())?;
        Ok(w)
    }

    /// Opens the link captures up to link id `n` (exclusive), in id order.
    fn open_links(&mut self, info: &RunInfo, n: usize) -> Result<()> {
        while self.links.len() < n {
            let id = self.links.len();
            let name = info.link_name(LinkId(id as u16));
            let mut file = format!("{}.pcapng", sanitize(&name));
            if self.used.contains(&file) {
                file = format!("{}-{id}.pcapng", sanitize(&name));
            }
            self.used.push(file.clone());
            let descr = info.links.iter().find(|l| l.name == name).map_or_else(
                || format!("{name} (ingress)"),
                |l| format!("{} -> {} (ingress)", l.from, l.to),
            );
            let what = format!("link={name}; captured at link ingress (accepted and dropped segments)");
            let out = PcapFile::create(
                &self.dir.join(&file),
                info,
                &what,
                &name,
                &descr,
                self.payload,
                STREAM_BUF,
            )?;
            self.links.push(LinkCapture {
                out,
                waiting: HashMap::default(),
                last: HashMap::default(),
                queue: VecDeque::new(),
            });
        }
        Ok(())
    }

    /// One chunk's classified records, in log order ([`models::record::RecordSink`]).
    pub fn chunk(&mut self, info: &RunInfo, recs: &[(usize, Rec)], through: SimTime) -> Result<()> {
        for &(ci, x) in recs {
            let link = usize::from(x.r.link.0);
            self.open_links(info, link + 1)?;
            let l = &mut self.links[link];
            let key = (x.r.header, x.r.provenance);
            let fate = match x.r.event {
                WireEvent::Sent => {
                    let f = Shared::default();
                    l.waiting.entry(key).or_default().push_back(f.clone());
                    Some(f)
                }
                WireEvent::Dropped(_) => None,
                WireEvent::Delivered { corrupted, duplicate } => {
                    let matched = if duplicate {
                        l.last.get(&key).cloned()
                    } else {
                        let q = l.waiting.get_mut(&key);
                        let f = q.and_then(VecDeque::pop_front);
                        // An emptied entry goes: the map holds segments in flight only.
                        if l.waiting.get(&key).is_some_and(VecDeque::is_empty) {
                            l.waiting.remove(&key);
                        }
                        f
                    };
                    if let Some(f) = matched {
                        {
                            let mut m = f.borrow_mut();
                            m.matched = true;
                            m.later.corrupted |= corrupted;
                            m.later.duplicated |= duplicate;
                        }
                        l.last.insert(key, f);
                    }
                    None
                }
            };
            if !matches!(x.r.event, WireEvent::Delivered { .. }) {
                l.queue.push_back(Captured {
                    x,
                    fate: fate.clone(),
                    arrival: false,
                });
            }
            let item = match x.dir {
                Dir::Forward if x.is_first_hop_ingress() => Some(Captured {
                    x,
                    fate,
                    arrival: false,
                }),
                Dir::Reverse if x.last_hop && matches!(x.r.event, WireEvent::Delivered { .. }) => Some(Captured {
                    x,
                    fate: None,
                    arrival: true,
                }),
                _ => None,
            };
            if let Some(item) = item {
                self.senders[ci].pending.push(item);
            }
        }
        self.flush(info, through)
    }

    /// Writes what can no longer change: link frames up to the first segment whose delivery
    /// is not logged yet, sender-side frames stamped at or before `through`.
    fn flush(&mut self, info: &RunInfo, through: SimTime) -> Result<()> {
        let done = through == SimTime::MAX;
        for l in &mut self.links {
            l.last.clear();
            while l.queue.front().is_some_and(|c| done || !c.open()) {
                let c = l.queue.pop_front().expect("checked");
                l.out.write(info, &c, self.payload)?;
            }
        }
        let many = self.senders.len() > OPEN_SENDERS;
        for (ci, s) in self.senders.iter_mut().enumerate() {
            if s.pending.is_empty() {
                continue;
            }
            // Stable: the frames held back from earlier chunks come first in log order.
            s.pending.sort_by_key(|c| (c.x.r.time, !c.arrival));
            let n = s.pending.partition_point(|c| c.x.r.time <= through);
            if n == 0 {
                continue;
            }
            if s.out.is_none() {
                s.out = Some(sender_file(&self.dir, info, ci, self.payload)?);
            }
            let out = s.out.as_mut().expect("opened");
            for c in s.pending.drain(..n) {
                out.write(info, &c, self.payload)?;
            }
            // With many connections, a capture is closed between chunks (reopened to append).
            if many {
                let path = self
                    .dir
                    .join(format!("{}-sender.pcapng", info.conn_file_stem(info.conns[ci].conn)));
                out.w.get_mut().park().map_err(|e| ReportError::io("write", &path, e))?;
            }
        }
        Ok(())
    }

    /// Writes what is left and closes every capture; returns the file names (link files by
    /// link, then the sender-side files).
    pub fn finish(mut self, info: &RunInfo) -> Result<Vec<String>> {
        self.flush(info, SimTime::MAX)?;
        let mut written = self.used.clone();
        for l in self.links {
            l.out.commit()?;
        }
        for (ci, s) in self.senders.into_iter().enumerate() {
            let out = match s.out {
                Some(out) => out,
                None => sender_file(&self.dir, info, ci, self.payload)?,
            };
            out.commit()?;
            written.push(format!("{}-sender.pcapng", info.conn_file_stem(info.conns[ci].conn)));
        }
        Ok(written)
    }
}

/// Starts connection `ci`'s sender-side capture (a small buffer: one is open per connection).
fn sender_file(dir: &Path, info: &RunInfo, ci: usize, payload: bool) -> Result<PcapFile> {
    let c = &info.conns[ci];
    let stem = info.conn_file_stem(c.conn);
    let file = format!("{stem}-sender.pcapng");
    let what = format!(
        "conn={} ({}); sender-side capture at host {}: its segments at first-hop ingress (dropped ones marked \
         DROPPED), the peer's segments at their arrival",
        c.conn,
        info.conn_name(c.conn),
        c.sender.host
    );
    let descr = format!("host {} (sender side of {})", c.sender.host, info.conn_name(c.conn));
    let if_name = format!("{}-{stem}", c.sender.host);
    PcapFile::create(&dir.join(&file), info, &what, &if_name, &descr, payload, SENDER_BUF)
}

/// Above this many connections, sender-side captures are closed between chunks (a process
/// may hold 1,024 open files).
const OPEN_SENDERS: usize = 64;

/// Buffer of a link capture file [bytes].
const STREAM_BUF: usize = 256 * 1024;
/// Buffer of a sender-side capture file [bytes] (one per connection is open at once).
const SENDER_BUF: usize = 16 * 1024;

/// Offset of the TCP checksum in a frame from [`frame`] (Ethernet II + IPv4 without options).
const TCP_CHECKSUM_AT: usize = 14 + 20 + 16;

/// Offset of the TCP payload in a frame from [`frame`] (no IPv4 or TCP options).
const TCP_PAYLOAD_AT: usize = 14 + 20 + 20;

/// One capture being written, block by block.
struct PcapFile {
    w: PcapNgWriter<AtomicFile>,
    /// IPv4 ID counters per (source address, sent by an offload target).
    ip_ids: BTreeMap<([u8; 4], bool), u16>,
}

impl PcapFile {
    fn create(
        path: &Path,
        info: &RunInfo,
        what: &str,
        if_name: &str,
        if_descr: &str,
        payload: bool,
        buffer: usize,
    ) -> Result<Self> {
        let perr = |e: pcap_file::PcapError| ReportError::Pcap(e.to_string());
        let shb = SectionHeaderBlock {
            endianness: Endianness::Little,
            options: vec![
                SectionHeaderOption::UserApplication(Cow::Owned(format!("offsim {} ({})", info.version, info.commit))),
                SectionHeaderOption::Comment(Cow::Owned(format!(
                    "scenario={} run_id={} seed={} {what}; timestamps are simulation time from \
                     2000-01-01T00:00:00Z (the run starts then)",
                    info.scenario, info.run_id, info.seed
                ))),
            ],
            ..Default::default()
        };
        let mut w = PcapNgWriter::with_section_header(AtomicFile::create_with(path, buffer)?, shb).map_err(perr)?;
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            // pcapng Interface Description Block SnapLen: "A value of zero signifies no limit."
            snaplen: if payload { 0 } else { SNAP_LEN as u32 },
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(if_name.to_string())),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(if_descr.to_string())),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })
        .map_err(perr)?;
        Ok(PcapFile {
            w,
            ip_ids: BTreeMap::new(),
        })
    }

    fn write(&mut self, info: &RunInfo, c: &Captured, payload: bool) -> Result<()> {
        let perr = |e: pcap_file::PcapError| ReportError::Pcap(e.to_string());
        let x = &c.x;
        let ci = info
            .conn(x.r.provenance.conn)
            .ok_or_else(|| ReportError::Invalid("unknown connection".into()))?;
        let src_ip = ci.ends(x.dir).0.ip;
        let ot = x.r.provenance.sender == Sender::OffloadTarget;
        let ctr = self.ip_ids.entry((src_ip, ot)).or_insert(0);
        let id = (*ctr & 0x7FFF) | if ot { 0x8000 } else { 0 };
        *ctr = ctr.wrapping_add(1);
        let mut data = frame(info, x, id)?;
        let mut text = if c.arrival {
            let WireEvent::Delivered { corrupted, duplicate } = x.r.event else {
                return Err(ReportError::Invalid("arrival capture of a non-delivery".into()));
            };
            if corrupted && data.len() >= TCP_CHECKSUM_AT + 2 {
                // What arrived failed the TCP checksum; the regenerated payload cannot show
                // the damage, so the checksum carries it.
                data[TCP_CHECKSUM_AT] ^= 0xFF;
                data[TCP_CHECKSUM_AT + 1] ^= 0xFF;
            }
            arrival_comment(info, x, corrupted, duplicate)
        } else {
            comment(info, x, c.later())
        };
        let original_len = data.len() as u32;
        if !payload && data.len() > SNAP_LEN {
            // Headers only: the frame is cut at the snap length (its original length stays in
            // the block, so Wireshark's TCP analysis still sees every byte's sequence number);
            // the comment carries the fingerprint of the whole payload.
            let hash = xxh3_64(&data[TCP_PAYLOAD_AT..]);
            text.push_str(&format!(" payload_xxh3={hash:016x}"));
            data.truncate(SNAP_LEN);
        }
        self.w
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_nanos(CAPTURE_EPOCH_NS + x.r.time.0),
                original_len,
                data: Cow::Owned(data),
                options: vec![EnhancedPacketOption::Comment(Cow::Owned(text))],
            })
            .map_err(perr)?;
        Ok(())
    }

    fn commit(self) -> Result<()> {
        self.w.into_inner().commit()
    }
}

/// The comment of a segment captured at its arrival.
fn arrival_comment(info: &RunInfo, x: &Rec, corrupted: bool, duplicate: bool) -> String {
    let mut s = String::new();
    if corrupted {
        s.push_str("ARRIVED CORRUPTED (bad TCP checksum; the stack discards it); ");
    }
    if duplicate {
        s.push_str("DUPLICATE COPY made by the link; ");
    }
    s + &comment(info, x, None)
}
