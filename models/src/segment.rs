//! TCP segments as they travel between actors, with provenance that never goes on the wire.
//!
//! The wire part is what a real TCP header and payload would carry (ports, seq, ack, flags,
//! window, options, payload). [`Provenance`] records who sent the segment, from which buffer
//! and region, why, and the how-many-th transmission of its first byte it is: the basis of
//! every "retransmissions by source" chart.
//!
//! Not modelled: IP options, urgent data, timestamps on the wire (TCP timestamps are not
//! implemented; RTT is sampled per RFC 6298 with Karn's rule), ECN.

use crate::seq::SeqNum;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Identifies one connection in a scenario (both of its endpoints share it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConnId(pub u32);

/// Identifies one application write (one send buffer) of a connection, in posting order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BufId(pub u64);

/// TCP header flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags {
    /// SYN
    pub syn: bool,
    /// ACK: the `ack` field is valid.
    pub ack: bool,
    /// FIN
    pub fin: bool,
    /// RST
    pub rst: bool,
    /// PSH
    pub psh: bool,
}

impl Flags {
    /// The flags as the TCP header's low byte (FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10).
    pub fn bits(self) -> u8 {
        (self.fin as u8) | (self.syn as u8) << 1 | (self.rst as u8) << 2 | (self.psh as u8) << 3 | (self.ack as u8) << 4
    }
}

/// TCP options carried by a segment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TcpOptions {
    /// MSS option (SYN only).
    pub mss: Option<u16>,
    /// Window-scale shift (SYN only, RFC 7323).
    pub window_scale: Option<u8>,
    /// SACK-permitted (SYN only, RFC 2018).
    pub sack_permitted: bool,
    /// SACK blocks [left, right), newest first (RFC 2018), at most 4 (3 with timestamps).
    pub sack_blocks: Vec<(SeqNum, SeqNum)>,
    /// Timestamps option (RFC 7323): (TSval, TSecr).
    pub timestamp: Option<(u32, u32)>,
}

/// Which kind of actor put a segment on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Sender {
    /// The host TCP stack (not offloaded).
    #[default]
    Host,
    /// The offload target (NIC) running an offloaded connection.
    OffloadTarget,
}

/// Which buffer region a segment's first payload byte came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DataSource {
    /// No payload (pure ACK, SYN, FIN, RST).
    #[default]
    None,
    /// The host stack's own send queue (never offloaded, or sent by the host before offload).
    HostQueue,
    /// Delegated send chain, [SndUna, SndNxt) at offload: sent and unacknowledged.
    DelegatedUnacked,
    /// Delegated send chain, [SndNxt, SndMax) at offload: a resend in progress at the host
    /// (chimney rule 12 counts these as retransmissions).
    DelegatedResend,
    /// Delegated send chain, [SndMax, end) at offload: never sent before.
    DelegatedUnsent,
    /// A send request posted to the target after the offload completed (or queued during it).
    PostedAfterOffload,
    /// Data the target returned to the host at upload.
    ReturnedAtUpload,
}

/// Why a segment was sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SendCause {
    /// New data (or the resend region's first transmission by the target, see [`DataSource`]).
    #[default]
    NewData,
    /// Fast retransmit on the duplicate-ACK threshold (RFC 5681 §3.2).
    FastRetransmit,
    /// NewReno partial-ACK retransmission (RFC 6582 §3.2 step 5).
    PartialAck,
    /// Retransmission timeout, including the go-back-N resends after it (RFC 6298 §5.4).
    Rto,
    /// Zero-window probe (RFC 793/1122 persist timer).
    WindowProbe,
    /// SACK-based loss recovery retransmission (RFC 6675).
    SackRecovery,
    /// Control segment: SYN, FIN, RST or a pure ACK.
    Control,
    /// A resend of the region [SndNxt, SndMax) the previous owner handed over (chimney §2:
    /// "sent before but must be sent NEXT"), by the new owner.
    ResendRegion,
}

/// Metadata that travels with a segment but is never on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// Which connection the segment belongs to.
    pub conn: ConnId,
    /// Stream offset of the first payload byte (bytes since the first data byte of the
    /// connection); lets links script drops by data position and pcaps regenerate payload.
    pub stream_offset: u64,
    /// Host stack or offload target.
    pub sender: Sender,
    /// The buffer the first payload byte came from.
    pub buf: Option<BufId>,
    /// The region of that buffer.
    pub source: DataSource,
    /// Why it was sent.
    pub cause: SendCause,
    /// 0 for a first transmission of every byte; k for the k-th retransmission of its first byte.
    pub tx_number: u32,
    /// True if it carries at least one octet sent before (chimney rule 12's definition).
    pub is_retransmission: bool,
}

/// A TCP segment between two endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: SeqNum,
    /// Acknowledgment number (valid when `flags.ack`).
    pub ack: SeqNum,
    /// Header flags.
    pub flags: Flags,
    /// Advertised window, already shifted right by the sender's window scale (the raw
    /// 16-bit header field).
    pub window: u16,
    /// Options.
    pub options: TcpOptions,
    /// Payload bytes (slices of the application's buffers, not copies).
    pub payload: Bytes,
    /// Set by a link's corruption model: the receiver discards it as a checksum failure.
    pub corrupted: bool,
    /// Never on the wire.
    pub provenance: Provenance,
}

impl Segment {
    /// Payload length in bytes.
    pub fn len(&self) -> u32 {
        self.payload.len() as u32
    }

    /// True when the segment carries no payload.
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// Sequence space the segment occupies: payload plus one for SYN and one for FIN.
    pub fn seq_len(&self) -> u32 {
        self.len() + self.flags.syn as u32 + self.flags.fin as u32
    }

    /// Size on the wire in bytes: payload + 20 (TCP) + 20 (IPv4) + options (padded to 4).
    pub fn wire_len(&self) -> u32 {
        let mut opt = 0;
        if self.options.mss.is_some() {
            opt += 4;
        }
        if self.options.window_scale.is_some() {
            opt += 3;
        }
        if self.options.sack_permitted {
            opt += 2;
        }
        if !self.options.sack_blocks.is_empty() {
            opt += 2 + 8 * self.options.sack_blocks.len() as u32;
        }
        if self.options.timestamp.is_some() {
            opt += 10;
        }
        self.len() + 40 + opt.div_ceil(4) * 4
    }
}
