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
//! retransmission=yes stream_offset=14600 event=1234` (`retransmission=yes` only on
//! retransmissions: a flag is present only when set). `tools/wireshark/offsim.lua` turns it into `offsim.*` fields
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
use etherparse::{EtherType, Ethernet2Header, IpNumber, Ipv4Header, TcpHeader, TcpOptionElement};
use models::pattern::pattern_slice;
use models::record::{LinkId, SegmentHeader, WireEvent};
use models::segment::{Provenance, Sender};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::{DataLink, Endianness};
use sim_core::SimTime;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write as _;
use std::path::Path;

/// The capture epoch: 2000-01-01T00:00:00Z in nanoseconds since 1970-01-01T00:00:00Z (UTC,
/// 10,957 days of 86,400 s). Simulation time 0 is this instant in every pcapng file.
pub const CAPTURE_EPOCH_NS: u64 = 946_684_800 * 1_000_000_000;
use xxhash_rust::xxh3::xxh3_64;

/// Appends the provenance comment of one captured segment to `s` (`conn`: its connection as
/// the `conn` columns name it), without allocating.
fn push_comment(s: &mut String, conn: &str, x: &Rec, later: Option<(bool, bool)>) {
    use std::fmt::Write as _;
    let p = &x.r.provenance;
    if let WireEvent::Dropped(d) = x.r.event {
        s.push_str("DROPPED: ");
        s.push_str(d.key());
        s.push_str("; ");
    }
    if let Some((corrupted, duplicated)) = later {
        if corrupted {
            s.push_str("CORRUPTED in transit (the receiver discards it); ");
        }
        if duplicated {
            s.push_str("DUPLICATED in transit; ");
        }
    }
    s.push_str("conn=");
    s.push_str(conn);
    s.push_str(" sender=");
    s.push_str(p.sender.key());
    s.push_str(" source=");
    s.push_str(p.source.key());
    if let Some(b) = p.buf {
        let _ = write!(s, " buf={}", b.0);
    }
    s.push_str(" cause=");
    s.push_str(p.cause.key());
    let _ = write!(s, " tx={}", p.tx_number);
    // A flag is present only when set (like Wireshark's `tcp.analysis.*`, and the
    // `offsim.retransmission` field of `tools/wireshark/offsim.lua`): most frames are first
    // transmissions, and `retransmission=no` was 6 % of a capture's bytes.
    if p.is_retransmission {
        s.push_str(" retransmission=yes");
    }
    let _ = write!(
        s,
        " stream_offset={} event={}",
        x.r.header.stream_offset, x.r.event_index
    );
}

fn mac(ip: [u8; 4]) -> [u8; 6] {
    [0x02, 0x00, ip[0], ip[1], ip[2], ip[3]]
}

/// Appends to `out` the Ethernet frame of one captured segment, cut at `snap` bytes when
/// given (the TCP checksum still covers the whole payload); returns the frame's original
/// length and, for a frame the cut shortened, the XXH3-64 of its whole TCP payload. The
/// payload is a slice of the static pattern table: no copy is made of the bytes the cut
/// leaves out.
fn frame(
    info: &RunInfo,
    x: &Rec,
    ip_id: u16,
    snap: Option<usize>,
    out: &mut Vec<u8>,
    sums: &mut SegmentSums,
) -> Result<(usize, Option<u64>)> {
    let h = &x.r.header;
    let p = &x.r.provenance;
    let ci = info
        .conn(p.conn)
        .ok_or_else(|| ReportError::Invalid(format!("unknown connection {}", p.conn.0)))?;
    let (src, dst) = ci.ends(x.dir);
    let eth = Ethernet2Header {
        source: mac(src.ip),
        destination: mac(dst.ip),
        ether_type: EtherType::IPV4,
    };
    let mut tcp = TcpHeader::new(h.src_port, h.dst_port, h.seq.0, h.window);
    let f = h.flags;
    if f.ack {
        tcp.ack = true;
        tcp.acknowledgment_number = h.ack.0;
    }
    tcp.syn = f.syn;
    tcp.fin = f.fin;
    tcp.rst = f.rst;
    tcp.psh = f.psh;
    tcp.set_options(&tcp_options(h))
        .map_err(|e| ReportError::Pcap(format!("building TCP options: {e}")))?;
    let payload = pattern_slice(p.conn, h.stream_offset, h.len as usize);
    let mut ip = Ipv4Header {
        dont_fragment: true,
        identification: ip_id,
        time_to_live: 64,
        protocol: IpNumber::TCP,
        source: src.ip,
        destination: dst.ip,
        ..Default::default()
    };
    ip.set_payload_len(tcp.header_len() + payload.len())
        .map_err(|e| ReportError::Pcap(format!("building frame: {e}")))?;
    ip.header_checksum = ip.calc_header_checksum();
    let headers = Ethernet2Header::LEN + ip.header_len() + tcp.header_len();
    let original = headers + payload.len();
    let cut = snap.filter(|&n| original > n);
    let key = (p.conn.0, x.dir, *h);
    let (checksum, fingerprint) = match sums.get(&key) {
        Some(known) => known,
        None => {
            let checksum = tcp
                .calc_checksum_ipv4(&ip, &payload)
                .map_err(|e| ReportError::Pcap(format!("building frame: {e}")))?;
            let fingerprint = cut.map(|_| xxh3_64(&payload));
            sums.put(key, (checksum, fingerprint));
            (checksum, fingerprint)
        }
    };
    tcp.checksum = checksum;
    out.extend_from_slice(&eth.to_bytes());
    out.extend_from_slice(&ip.to_bytes());
    out.extend_from_slice(&tcp.to_bytes());
    match cut {
        Some(n) => {
            out.extend_from_slice(&payload[..n.saturating_sub(headers)]);
            Ok((original, fingerprint))
        }
        None => {
            out.extend_from_slice(&payload);
            Ok((original, None))
        }
    }
}

/// A segment as far as its TCP checksum and payload go: its connection, direction and
/// header (the header's stream offset and length fix the payload).
type SegmentKey = (u32, Dir, models::record::SegmentHeader);

/// A segment's TCP checksum and, for a frame cut at the snap length, its payload's XXH3-64.
type Sums = (u16, Option<u64>);

/// The TCP checksum and payload fingerprint of the segments framed last: a segment is
/// captured twice (at its link's ingress and at its sender), a few records apart, and
/// checksumming and hashing its payload was a fifth of the captures' thread. Direct-mapped,
/// exact (a slot holds its whole key): a miss only costs the computation.
struct SegmentSums {
    slots: Vec<Option<(SegmentKey, Sums)>>,
}

impl Default for SegmentSums {
    fn default() -> Self {
        SegmentSums {
            slots: vec![None; Self::SLOTS],
        }
    }
}

impl SegmentSums {
    const SLOTS: usize = 1024;

    fn slot(key: &SegmentKey) -> usize {
        let h = key.2.seq.0 ^ key.2.ack.0.rotate_left(11) ^ key.0.wrapping_mul(0x9E37_79B1);
        (h ^ (h >> 10) ^ (h >> 20)) as usize % Self::SLOTS
    }

    fn get(&self, key: &SegmentKey) -> Option<Sums> {
        match &self.slots[Self::slot(key)] {
            Some((k, v)) if k == key => Some(*v),
            _ => None,
        }
    }

    fn put(&mut self, key: SegmentKey, v: Sums) {
        self.slots[Self::slot(&key)] = Some((key, v));
    }
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
/// Bits of [`Fate`]: a `Delivered` record was matched to it; it was corrupted / duplicated
/// later in transit.
const MATCHED: u8 = 1;
const CORRUPTED: u8 = 2;
const DUPLICATED: u8 = 4;

/// A fate's bits, shared by the link capture's and the sender-side capture's copies of one
/// segment. An atomic only so that a writer may run on another thread than the simulation
/// (one thread uses it at a time; relaxed ordering is enough).
#[derive(Default)]
struct Fate(std::sync::atomic::AtomicU8);

impl Fate {
    fn get(&self) -> u8 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set(&self, bits: u8) {
        self.0.fetch_or(bits, std::sync::atomic::Ordering::Relaxed);
    }
}

type Shared = std::sync::Arc<Fate>;

/// One record to capture, with what to say about its fate.
struct Captured {
    x: Rec,
    /// Its connection's position in [`RunInfo::conns`].
    ci: usize,
    /// For a `Sent` segment captured at ingress: its fate.
    fate: Option<Shared>,
    /// Captured at its arrival (a `Delivered` record) rather than at ingress.
    arrival: bool,
}

impl Captured {
    /// (corrupted, duplicated) later in transit, when a delivery was matched to it.
    fn later(&self) -> Option<(bool, bool)> {
        let f = self.fate.as_ref()?.get();
        (f & MATCHED != 0).then_some((f & CORRUPTED != 0, f & DUPLICATED != 0))
    }

    /// Its fate may still change: a `Sent` segment whose delivery is not logged yet.
    fn open(&self) -> bool {
        self.fate.as_ref().is_some_and(|f| f.get() & MATCHED == 0)
    }
}

/// Keys of [`LinkCapture`]'s lookups: a segment's header and provenance, compared whole.
/// Lookups only; nothing iterates these maps, so the hash may be anything deterministic: it
/// mixes the few fields that tell segments in flight apart (sequence and ACK numbers, length,
/// stream offset, transmission number, connection) into one word ([`MixHasher`]) instead of
/// feeding all of the key's ~100 bytes through a streaming hasher, which was a tenth of
/// writing a capture.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key(SegmentHeader, Provenance);

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (h, p) = (&self.0, &self.1);
        let word = (u64::from(h.seq.0) << 32 | u64::from(h.ack.0))
            ^ h.stream_offset.rotate_left(21)
            ^ u64::from(h.len).rotate_left(45)
            ^ u64::from(p.tx_number).rotate_left(7)
            ^ u64::from(p.conn.0).rotate_left(53);
        state.write_u64(word);
    }
}

/// The hasher of [`Key`]: the SplitMix64 finalizer of the one word [`Key`] writes.
#[derive(Default)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

type KeyHash = std::hash::BuildHasherDefault<MixHasher>;

/// One link direction's capture as the records come.
struct LinkCapture {
    out: PcapFile,
    waiting: HashMap<Key, VecDeque<Shared>, KeyHash>,
    /// The last matched `Sent` per key, for duplicates; a link logs a duplicate in the event
    /// that sent the original, so this holds one chunk's matches only.
    last: HashMap<Key, Shared, KeyHash>,
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
    /// Each connection as the comments name it, by position in [`RunInfo::conns`].
    conn_names: Vec<String>,
    scratch: Scratch,
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
            conn_names: info.conns.iter().map(|c| info.conn_column(c.conn)).collect(),
            scratch: Scratch::default(),
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
            let key = Key(x.r.header, x.r.provenance);
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
                        f.set(MATCHED | if corrupted { CORRUPTED } else { 0 } | if duplicate { DUPLICATED } else { 0 });
                        l.last.insert(key, f);
                    }
                    None
                }
            };
            if !matches!(x.r.event, WireEvent::Delivered { .. }) {
                l.queue.push_back(Captured {
                    x,
                    ci,
                    fate: fate.clone(),
                    arrival: false,
                });
            }
            let item = match x.dir {
                Dir::Forward if x.is_first_hop_ingress() => Some(Captured {
                    x,
                    ci,
                    fate,
                    arrival: false,
                }),
                Dir::Reverse if x.last_hop && matches!(x.r.event, WireEvent::Delivered { .. }) => Some(Captured {
                    x,
                    ci,
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
                l.out
                    .write(info, &self.conn_names[c.ci], &c, self.payload, &mut self.scratch)?;
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
                out.write(info, &self.conn_names[c.ci], &c, self.payload, &mut self.scratch)?;
            }
            // With many connections, a capture is closed between chunks (reopened to append).
            if many {
                let path = self
                    .dir
                    .join(format!("{}-sender.pcapng", info.conn_file_stem(info.conns[ci].conn)));
                out.w.park().map_err(|e| ReportError::io("write", &path, e))?;
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

/// One capture being written, block by block.
struct PcapFile {
    /// The file, after its section header and interface description blocks.
    w: AtomicFile,
    /// IPv4 ID counters per (source address, sent by an offload target).
    ip_ids: BTreeMap<([u8; 4], bool), u16>,
}

/// Buffers reused from one packet block to the next (no allocation per packet).
#[derive(Default)]
struct Scratch {
    /// The packet block being built.
    block: Vec<u8>,
    /// Its comment.
    text: String,
    /// Checksums and fingerprints of the segments framed last.
    sums: SegmentSums,
}

/// pcapng Enhanced Packet Block type.
const EPB_TYPE: u32 = 6;
/// pcapng option code `opt_comment`.
const OPT_COMMENT: u16 = 1;

/// Zero bytes that pad `len` to a multiple of 4 (pcapng aligns every field to 32 bits).
fn pad4(len: usize) -> usize {
    (4 - len % 4) % 4
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
            w: w.into_inner(),
            ip_ids: BTreeMap::new(),
        })
    }

    /// Writes one captured segment as an Enhanced Packet Block (interface 0, timestamp in
    /// nanoseconds, the provenance as its `opt_comment`), built in `scratch` and handed to the
    /// file's buffer in one piece.
    fn write(&mut self, info: &RunInfo, conn: &str, c: &Captured, payload: bool, scratch: &mut Scratch) -> Result<()> {
        let x = &c.x;
        let ci = info
            .conn(x.r.provenance.conn)
            .ok_or_else(|| ReportError::Invalid("unknown connection".into()))?;
        let src_ip = ci.ends(x.dir).0.ip;
        let ot = x.r.provenance.sender == Sender::OffloadTarget;
        let ctr = self.ip_ids.entry((src_ip, ot)).or_insert(0);
        let id = (*ctr & 0x7FFF) | if ot { 0x8000 } else { 0 };
        *ctr = ctr.wrapping_add(1);
        let Scratch { block, text, sums } = scratch;
        block.clear();
        text.clear();
        // Block type, total length (filled in below), interface, timestamp high/low, captured
        // and original lengths (filled in below).
        let ts = CAPTURE_EPOCH_NS + x.r.time.0;
        for v in [EPB_TYPE, 0, 0, (ts >> 32) as u32, ts as u32, 0, 0] {
            block.extend_from_slice(&v.to_le_bytes());
        }
        const DATA_AT: usize = 28;
        let snap = (!payload).then_some(SNAP_LEN);
        let (original_len, fingerprint) = frame(info, x, id, snap, block, sums)?;
        let captured_len = block.len() - DATA_AT;
        if c.arrival {
            let WireEvent::Delivered { corrupted, duplicate } = x.r.event else {
                return Err(ReportError::Invalid("arrival capture of a non-delivery".into()));
            };
            if corrupted && captured_len >= TCP_CHECKSUM_AT + 2 {
                // What arrived failed the TCP checksum; the regenerated payload cannot show
                // the damage, so the checksum carries it.
                block[DATA_AT + TCP_CHECKSUM_AT] ^= 0xFF;
                block[DATA_AT + TCP_CHECKSUM_AT + 1] ^= 0xFF;
            }
            push_arrival_comment(text, corrupted, duplicate);
            push_comment(text, conn, x, None);
        } else {
            push_comment(text, conn, x, c.later());
        }
        if let Some(hash) = fingerprint {
            // Headers only: the frame is cut at the snap length (its original length stays in
            // the block, so Wireshark's TCP analysis still sees every byte's sequence number);
            // the comment carries the fingerprint of the whole payload.
            use std::fmt::Write as _;
            let _ = write!(text, " payload_xxh3={hash:016x}");
        }
        block.resize(block.len() + pad4(captured_len), 0);
        block.extend_from_slice(&OPT_COMMENT.to_le_bytes());
        block.extend_from_slice(&(text.len() as u16).to_le_bytes());
        block.extend_from_slice(text.as_bytes());
        block.resize(block.len() + pad4(text.len()), 0);
        // opt_endofopt, then the trailing total length.
        block.extend_from_slice(&[0; 4]);
        let total = (block.len() + 4) as u32;
        block.extend_from_slice(&total.to_le_bytes());
        block[4..8].copy_from_slice(&total.to_le_bytes());
        block[20..24].copy_from_slice(&(captured_len as u32).to_le_bytes());
        block[24..28].copy_from_slice(&(original_len as u32).to_le_bytes());
        self.w.write_all(block).map_err(|e| ReportError::Pcap(e.to_string()))
    }

    fn commit(self) -> Result<()> {
        self.w.commit()
    }
}

/// The start of the comment of a segment captured at its arrival.
fn push_arrival_comment(s: &mut String, corrupted: bool, duplicate: bool) {
    if corrupted {
        s.push_str("ARRIVED CORRUPTED (bad TCP checksum; the stack discards it); ");
    }
    if duplicate {
        s.push_str("DUPLICATE COPY made by the link; ");
    }
}
