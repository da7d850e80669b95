//! The offload target's resources: what a NIC has only so much of. A processing rate
//! (segments and bytes per second: segments wait in a transmit queue inside the NIC, and that
//! wait shows in the RTT samples), a DMA fetch latency paid the first time a host buffer is
//! read from the send chain, completion coalescing (send completions delivered to the host in
//! batches, by count or by time), and connection-context memory (a number of bytes per
//! offloaded connection, from which the entry limit follows).
//!
//! The default is a NIC with none of these limits: every segment leaves at once, every
//! completion is delivered at once, as before these settings existed.
//!
//! Not modelled: receive-side processing (received segments are processed on arrival), a
//! limit on the transmit queue's length (it never drops), PCIe bandwidth shared with the host,
//! per-connection scheduling inside the NIC (one FIFO for all connections).

use crate::segment::{BufId, ConnId, Segment};
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeSet;

/// A NIC's resources (see the module documentation). `Default`: unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NicResources {
    /// Segments the NIC puts on the wire per second at most (`None`: no limit).
    pub segments_per_sec: Option<u64>,
    /// Bytes (headers of 40 bytes included) the NIC transmits per second at most.
    pub bytes_per_sec: Option<u64>,
    /// Latency of the DMA read of a host buffer, paid by the first segment that starts in
    /// that buffer [ns].
    pub dma_latency: SimDuration,
    /// Send completions go to the host in batches of this many (`None`: one at a time)...
    pub coalesce_count: Option<u32>,
    /// ...or when the oldest waiting completion has waited this long, whichever comes first.
    pub coalesce_time: Option<SimDuration>,
    /// Connection-context memory [bytes] (`None`: unlimited). With `context_bytes_per_conn`
    /// it bounds the number of entries below `max_connections`.
    pub context_memory: Option<u64>,
    /// Context memory one offloaded connection takes [bytes].
    pub context_bytes_per_conn: u64,
    /// When an offload finds no free entry, the target also asks for the upload of its least
    /// recently active connection (rule 46, UploadRequested), so that a later offload finds
    /// room.
    pub upload_lru_under_pressure: bool,
}

impl NicResources {
    /// The entry limit the context memory allows (`u32::MAX` when unlimited).
    pub fn entries_in_memory(&self) -> u32 {
        match (self.context_memory, self.context_bytes_per_conn) {
            (Some(mem), per) if per > 0 => (mem / per).min(u64::from(u32::MAX)) as u32,
            _ => u32::MAX,
        }
    }

    /// True when completions are held for batching.
    pub fn coalesces(&self) -> bool {
        self.coalesce_count.is_some_and(|n| n > 1) || self.coalesce_time.is_some()
    }
}

/// The NIC's transmit queue: when each segment leaves.
#[derive(Debug, Default)]
pub(super) struct TxQueue {
    /// When the NIC finishes the segments queued so far.
    busy_until: SimTime,
    /// Host buffers already fetched by DMA (forgotten when they complete).
    fetched: BTreeSet<(ConnId, BufId)>,
}

/// Bytes a segment occupies beyond its payload (IPv4 + TCP headers).
const HEADER_BYTES: u64 = 40;

impl TxQueue {
    /// How long after `now` the segment `seg` leaves the NIC, and books that time.
    pub(super) fn delay(&mut self, r: &NicResources, now: SimTime, seg: &Segment) -> SimDuration {
        if r.segments_per_sec.is_none() && r.bytes_per_sec.is_none() && r.dma_latency == SimDuration::ZERO {
            return SimDuration::ZERO;
        }
        let mut service = 0u64;
        if let Some(rate) = r.segments_per_sec {
            service += 1_000_000_000u64.div_ceil(rate.max(1));
        }
        if let Some(rate) = r.bytes_per_sec {
            let bytes = seg.payload.len() as u64 + HEADER_BYTES;
            service += (u128::from(bytes) * 1_000_000_000).div_ceil(u128::from(rate.max(1))) as u64;
        }
        if let Some(buf) = seg.provenance.buf
            && !seg.payload.is_empty()
            && self.fetched.insert((seg.provenance.conn, buf))
        {
            service += r.dma_latency.as_nanos();
        }
        let start = self.busy_until.max(now);
        self.busy_until = start + SimDuration::from_nanos(service);
        self.busy_until.saturating_since(now)
    }

    /// A buffer completed: its DMA mapping is gone.
    pub(super) fn forget(&mut self, conn: ConnId, buf: BufId) {
        self.fetched.remove(&(conn, buf));
    }
}
