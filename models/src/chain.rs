//! The send chain: a connection's unacknowledged and unsent application data, one buffer per
//! application write, in posting order (spec/chimney.md §2).
//!
//! Read first: spec/chimney.md §2 (chain layout) and rules 10-12 and 25 (ordering, retransmission
//! accounting, completion). The same type serves the host stack's send queue and the offload
//! target's delegated send chain, so a handover moves the chain and nothing is copied.
//!
//! What it models: buffers addressed by *stream offset* (a `u64` that never wraps, byte 0 is the
//! first byte the application ever wrote); the chain's first byte is the connection's `snd_una`
//! (the TCP engine owns the offset-to-sequence mapping); acknowledged bytes are trimmed from the
//! front and fully acknowledged buffers are popped and reported completed, in FIFO order
//! (chimney rule 25); mapping a byte range to payload without copying (`Bytes::slice`); and the
//! [`DataSource`] of a byte, from its buffer's [`BufOrigin`] and the [`DelegationMarks`] recorded
//! at offload.
//!
//! What it does not model: MDL/NBL structure (one buffer is one NBL with one NET_BUFFER),
//! partial-completion statuses (a buffer completes only when all of it is acknowledged), and
//! memory limits on the queue (the application decides how much it posts).

use crate::segment::{BufId, DataSource};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;

/// Where a buffer in the chain came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BufOrigin {
    /// Posted to the host stack and still owned by it.
    #[default]
    HostQueue,
    /// Handed to the offload target in the delegated send chain.
    Delegated,
    /// Posted to the offload target after the offload completed (or queued during it).
    PostedAfterOffload,
    /// Returned by the offload target to the host at upload.
    ReturnedAtUpload,
}

/// One application write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendBuf {
    /// The buffer's identity (for completions and provenance).
    pub id: BufId,
    /// The still-unacknowledged bytes of the buffer (its acknowledged prefix is trimmed).
    pub data: Bytes,
    /// Stream offset of `data[0]`.
    pub stream_offset: u64,
    /// Who owns it and how it got into this chain.
    pub origin: BufOrigin,
}

impl SendBuf {
    /// Stream offset one past the buffer's last byte.
    pub fn end_offset(&self) -> u64 {
        self.stream_offset + self.data.len() as u64
    }
}

/// The chain regions recorded when a connection was offloaded (stream offsets, chimney §2):
/// `[snd_una, snd_nxt)` sent and unacknowledged, `[snd_nxt, snd_max)` a resend in progress,
/// `[snd_max, chain_end)` never sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DelegationMarks {
    /// Stream offset of SndNxt at offload.
    pub snd_nxt: u64,
    /// Stream offset of SndMax at offload (data bytes only; a FIN is never in the chain).
    pub snd_max: u64,
    /// Stream offset one past the delegated chain's last byte.
    pub chain_end: u64,
}

/// The send chain (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct SendChain {
    bufs: VecDeque<SendBuf>,
    /// Stream offset of the first unacknowledged byte (equals `bufs[0].stream_offset` when
    /// the chain is not empty).
    front: u64,
    /// Stream offset one past the last byte ever posted.
    end: u64,
    marks: Option<DelegationMarks>,
    /// Retransmissions so far of the bytes in flight, carried with the chain across a
    /// handover so that a segment's transmission number stays "the k-th transmission" whoever
    /// sent the earlier ones (simulator bookkeeping: not part of the chimney interface).
    tx_counts: crate::tcp::TxCounts,
    /// Index of the buffer the last lookup found: a lookup tries it and the next one first
    /// (why: a segment's payload, its buffer id and its data source look up one offset three
    /// times, and segments are sent in order; a binary search over a cold chain of ten thousand
    /// connections missed the cache at each step, ~3 % of such a run). Not part of the chain's
    /// value.
    hint: std::cell::Cell<usize>,
}

/// Chains are equal when they hold the same data in the same state, whatever was looked up.
impl PartialEq for SendChain {
    fn eq(&self, other: &Self) -> bool {
        self.bufs == other.bufs
            && self.front == other.front
            && self.end == other.end
            && self.marks == other.marks
            && self.tx_counts == other.tx_counts
    }
}

impl Eq for SendChain {}

impl SendChain {
    /// Attaches the per-byte retransmission counts of the bytes in flight (see the field).
    pub fn set_tx_counts(&mut self, tx: crate::tcp::TxCounts) {
        self.tx_counts = tx;
    }

    /// Takes the per-byte retransmission counts attached at the handover.
    pub fn take_tx_counts(&mut self) -> crate::tcp::TxCounts {
        std::mem::take(&mut self.tx_counts)
    }

    /// An empty chain whose next byte is stream offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty chain whose next byte is stream offset `offset` (a connection that already
    /// sent and had acknowledged `offset` bytes).
    pub fn starting_at(offset: u64) -> Self {
        SendChain {
            front: offset,
            end: offset,
            ..Self::default()
        }
    }

    /// Appends one application write at the end of the stream; returns its stream offset.
    pub fn push(&mut self, id: BufId, data: Bytes, origin: BufOrigin) -> u64 {
        let offset = self.end;
        self.end += data.len() as u64;
        self.bufs.push_back(SendBuf {
            id,
            data,
            stream_offset: offset,
            origin,
        });
        offset
    }

    /// Stream offset of the first unacknowledged byte (sequence `snd_una`).
    pub fn front_offset(&self) -> u64 {
        self.front
    }

    /// Stream offset one past the last posted byte.
    pub fn end_offset(&self) -> u64 {
        self.end
    }

    /// Unacknowledged plus unsent bytes held.
    pub fn len(&self) -> u64 {
        self.end - self.front
    }

    /// True when the chain holds no byte (it may still hold empty buffers awaiting completion).
    pub fn is_empty(&self) -> bool {
        self.end == self.front
    }

    /// The buffers, head first.
    pub fn buffers(&self) -> impl Iterator<Item = &SendBuf> {
        self.bufs.iter()
    }

    /// Number of buffers held.
    pub fn buffer_count(&self) -> usize {
        self.bufs.len()
    }

    /// The marks recorded at offload, if this chain was delegated.
    pub fn delegation_marks(&self) -> Option<DelegationMarks> {
        self.marks
    }

    /// Records the chain regions at offload (used by [`SendChain::classify`]).
    pub fn set_delegation_marks(&mut self, marks: Option<DelegationMarks>) {
        self.marks = marks;
    }

    /// Sets the origin of every buffer held (e.g. `Delegated` at offload, `ReturnedAtUpload`
    /// at upload).
    pub fn set_origin_all(&mut self, origin: BufOrigin) {
        for b in &mut self.bufs {
            b.origin = origin;
        }
    }

    /// Index of the buffer holding stream offset `offset`, if held.
    fn index_of(&self, offset: u64) -> Option<usize> {
        if offset < self.front || offset >= self.end {
            return None;
        }
        // The buffer holding it is the first whose end is past it (buffers are contiguous and
        // in offset order; empty ones are skipped): the hinted one if it holds it, as every
        // buffer before it ends at or before its start.
        let h = self.hint.get();
        for i in [h, h + 1] {
            if let Some(b) = self.bufs.get(i)
                && b.stream_offset <= offset
                && offset < b.end_offset()
            {
                self.hint.set(i);
                return Some(i);
            }
        }
        let i = self.bufs.partition_point(|b| b.end_offset() <= offset);
        self.hint.set(i);
        (i < self.bufs.len()).then_some(i)
    }

    /// The buffer holding stream offset `offset`.
    pub fn buf_at(&self, offset: u64) -> Option<&SendBuf> {
        self.index_of(offset).map(|i| &self.bufs[i])
    }

    /// `len` bytes starting at stream offset `offset`, or `None` if not all held. Zero-copy when
    /// the range lies in one buffer; a range spanning buffers is concatenated into one new
    /// `Bytes` for that segment only.
    pub fn slice(&self, offset: u64, len: usize) -> Option<Bytes> {
        if len == 0 {
            return Some(Bytes::new());
        }
        let last = offset.checked_add(len as u64)?;
        if last > self.end {
            return None;
        }
        let mut i = self.index_of(offset)?;
        let first = &self.bufs[i];
        let start = (offset - first.stream_offset) as usize;
        if last <= first.end_offset() {
            return Some(first.data.slice(start..start + len));
        }
        // Consecutive writes of a pattern are adjacent slices of one table: join them without
        // copying (crate::pattern); anything else is copied.
        let mut run = first.data.slice(start..);
        for b in self.bufs.range(i + 1..) {
            let hi = (last.min(b.end_offset()) - b.stream_offset) as usize;
            match crate::pattern::join(&run, &b.data.slice(..hi)) {
                Some(longer) => run = longer,
                None => break,
            }
            if b.stream_offset + hi as u64 == last {
                return Some(run);
            }
        }
        let mut joined = BytesMut::with_capacity(len);
        let mut at = offset;
        while at < last {
            let b = &self.bufs[i];
            let lo = (at - b.stream_offset) as usize;
            let hi = (last.min(b.end_offset()) - b.stream_offset) as usize;
            joined.extend_from_slice(&b.data[lo..hi]);
            at = b.stream_offset + hi as u64;
            i += 1;
        }
        Some(joined.freeze())
    }

    /// Bytes from `offset` to the end of the buffer holding it (the longest zero-copy slice).
    pub fn contiguous_from(&self, offset: u64) -> u64 {
        self.buf_at(offset).map_or(0, |b| b.end_offset() - offset)
    }

    /// The region a byte at stream offset `offset` belongs to (spec/chimney.md §2, rule 12).
    pub fn classify(&self, offset: u64) -> DataSource {
        let Some(buf) = self.buf_at(offset) else {
            return DataSource::None;
        };
        match buf.origin {
            BufOrigin::HostQueue => DataSource::HostQueue,
            BufOrigin::PostedAfterOffload => DataSource::PostedAfterOffload,
            BufOrigin::ReturnedAtUpload => DataSource::ReturnedAtUpload,
            BufOrigin::Delegated => match self.marks {
                Some(m) if offset < m.snd_nxt => DataSource::DelegatedUnacked,
                Some(m) if offset < m.snd_max => DataSource::DelegatedResend,
                _ => DataSource::DelegatedUnsent,
            },
        }
    }

    /// Acknowledges every byte before stream offset `offset`: trims the front, pops fully
    /// acknowledged buffers and appends their ids to `completed` in posting order (chimney
    /// rule 25: a buffer completes once all its bytes are sent and cumulatively acknowledged).
    /// Offsets outside the chain are clamped.
    pub fn ack_to(&mut self, offset: u64, completed: &mut Vec<BufId>) {
        let offset = offset.clamp(self.front, self.end);
        self.front = offset;
        while let Some(b) = self.bufs.front_mut() {
            if b.end_offset() <= offset {
                completed.push(b.id);
                self.bufs.pop_front();
                self.hint.set(self.hint.get().saturating_sub(1));
            } else {
                if b.stream_offset < offset {
                    let n = (offset - b.stream_offset) as usize;
                    b.data = b.data.slice(n..);
                    b.stream_offset = offset;
                }
                break;
            }
        }
    }

    /// Removes and returns every buffer (head first), leaving an empty chain positioned at the
    /// end of the stream. Used at abort (each buffer is then failed) and at handover.
    pub fn drain(&mut self) -> Vec<SendBuf> {
        self.front = self.end;
        self.bufs.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(sizes: &[usize]) -> SendChain {
        let mut c = SendChain::new();
        let mut next = 0u8;
        for (i, n) in sizes.iter().enumerate() {
            let data: Vec<u8> = (0..*n)
                .map(|_| {
                    next = next.wrapping_add(1);
                    next
                })
                .collect();
            c.push(BufId(i as u64), Bytes::from(data), BufOrigin::HostQueue);
        }
        c
    }

    #[test]
    fn slice_within_one_buffer_is_zero_copy_and_spanning_is_joined() {
        let c = chain_of(&[4, 4, 4]);
        let one = c.slice(1, 2).unwrap();
        assert_eq!(&one[..], &[2, 3]);
        let span = c.slice(2, 8).unwrap();
        assert_eq!(&span[..], &[3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(c.slice(10, 3), None);
        assert_eq!(c.buf_at(4).unwrap().id, BufId(1));
        assert_eq!(c.contiguous_from(5), 3);
    }

    #[test]
    fn ack_trims_front_and_completes_fifo() {
        let mut c = chain_of(&[4, 0, 4, 4]);
        let mut done = Vec::new();
        c.ack_to(2, &mut done);
        assert!(done.is_empty());
        assert_eq!(c.slice(2, 1).unwrap()[0], 3);
        c.ack_to(9, &mut done);
        // Rule 25: buffers 0, the empty 1 and 2 complete in posting order; 3 is partial.
        assert_eq!(done, vec![BufId(0), BufId(1), BufId(2)]);
        assert_eq!(c.front_offset(), 9);
        assert_eq!(c.buffer_count(), 1);
        assert_eq!(c.len(), 3);
        assert_eq!(c.slice(8, 1), None, "acknowledged bytes are gone");
    }

    #[test]
    fn classify_by_origin_and_marks() {
        let mut c = chain_of(&[10, 10]);
        c.set_origin_all(BufOrigin::Delegated);
        c.set_delegation_marks(Some(DelegationMarks {
            snd_nxt: 5,
            snd_max: 12,
            chain_end: 20,
        }));
        c.push(BufId(9), Bytes::from_static(b"xy"), BufOrigin::PostedAfterOffload);
        assert_eq!(c.classify(0), DataSource::DelegatedUnacked);
        assert_eq!(c.classify(5), DataSource::DelegatedResend);
        assert_eq!(c.classify(11), DataSource::DelegatedResend);
        assert_eq!(c.classify(12), DataSource::DelegatedUnsent);
        assert_eq!(c.classify(20), DataSource::PostedAfterOffload);
        assert_eq!(c.classify(22), DataSource::None);
    }
}

#[cfg(test)]
mod lookup_prop {
    use super::*;

    /// What a lookup must answer: the first buffer whose end is past `offset`, by a scan.
    fn scanned(c: &SendChain, offset: u64) -> Option<BufId> {
        if offset < c.front_offset() || offset >= c.end_offset() {
            return None;
        }
        c.buffers().find(|b| b.end_offset() > offset).map(|b| b.id)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xc4a1_0ff5),
            failure_persistence: None,
            ..Default::default()
        })]
        /// Whatever the order of lookups (in order, backwards, jumps, past either end) and the
        /// acknowledgments between them, the hinted lookup finds the buffer a scan finds; empty
        /// buffers are never found.
        #[test]
        fn a_hinted_lookup_finds_what_a_scan_finds(
            sizes in proptest::collection::vec(0usize..40, 1..24),
            steps in proptest::collection::vec((0u64..1000, proptest::prelude::any::<bool>()), 1..200),
        ) {
            let mut c = SendChain::new();
            for (i, n) in sizes.iter().enumerate() {
                c.push(BufId(i as u64), crate::pattern::pattern_slice(crate::segment::ConnId(1), c.end_offset(), *n), BufOrigin::HostQueue);
            }
            let span = c.end_offset() + 2;
            let mut completed = Vec::new();
            for (k, (r, ack)) in steps.into_iter().enumerate() {
                let offset = r % span;
                if ack && k % 7 == 0 {
                    c.ack_to(offset, &mut completed);
                }
                proptest::prop_assert_eq!(c.buf_at(offset).map(|b| b.id), scanned(&c, offset), "offset {}", offset);
                // The next byte, as a sender reads its next segment.
                proptest::prop_assert_eq!(c.buf_at(offset + 1).map(|b| b.id), scanned(&c, offset + 1));
            }
        }
    }
}
