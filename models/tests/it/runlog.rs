//! Reading a run's [`RunLog`](models::record::RunLog) for the chimney rule tests: packets by
//! link and sender, offload events, and the sequence-number ↔ stream-offset mapping.

use models::offload::{HandoverKind, HandoverRecord};
use models::record::{LinkId, OffloadEventKind, OffloadRecord, WireEvent, WireRecord};
use models::segment::Sender;
use models::seq::SeqNum;
use models::testbed::Outcome;

/// Sending host → peer.
pub const FWD: LinkId = LinkId(0);
/// Peer → sending host.
pub const REV: LinkId = LinkId(1);

/// Every packet that entered `link` (one `Sent` or `Dropped` record each), in entry order.
pub fn ingress(out: &Outcome, link: LinkId) -> Vec<&WireRecord> {
    out.log
        .wire
        .iter()
        .filter(|w| w.link == link && matches!(w.event, WireEvent::Sent | WireEvent::Dropped(_)))
        .collect()
}

/// Data segments (payload > 0) the sending side put on the forward link, in order.
pub fn data_out(out: &Outcome) -> Vec<&WireRecord> {
    ingress(out, FWD).into_iter().filter(|w| w.header.len > 0).collect()
}

/// Data segments sent by `sender`, in order.
pub fn data_by(out: &Outcome, sender: Sender) -> Vec<&WireRecord> {
    data_out(out)
        .into_iter()
        .filter(|w| w.provenance.sender == sender)
        .collect()
}

/// Intact copies delivered at the far end of `link`, by arrival time.
pub fn arrivals(out: &Outcome, link: LinkId) -> Vec<&WireRecord> {
    let mut v: Vec<&WireRecord> = out
        .log
        .wire
        .iter()
        .filter(|w| w.link == link && matches!(w.event, WireEvent::Delivered { corrupted: false, .. }))
        .collect();
    v.sort_by_key(|w| (w.time, w.event_index));
    v
}

/// The offload lifecycle records matching `pred`.
pub fn events(out: &Outcome, pred: impl Fn(&OffloadEventKind) -> bool) -> Vec<&OffloadRecord> {
    out.log.offload.iter().filter(|o| pred(&o.kind)).collect()
}

/// The time of the single offload lifecycle record `kind` (panics with the log otherwise).
#[track_caller]
pub fn the(out: &Outcome, kind: OffloadEventKind) -> &OffloadRecord {
    let v = events(out, |k| *k == kind);
    assert_eq!(v.len(), 1, "expected one {kind:?} in {:#?}", out.log.offload);
    v[0]
}

/// The handover records of one direction.
pub fn handovers(out: &Outcome, kind: HandoverKind) -> Vec<&HandoverRecord> {
    out.handovers.iter().filter(|h| h.kind == kind).collect()
}

/// Stream offset of the sending host's data sequence number `seq` (the first data byte is ISN + 1).
pub fn off(out: &Outcome, seq: SeqNum) -> u64 {
    u64::from(seq.wrapping_since(out.conns[0].isn.0.add(1)))
}

/// Sequence number of the sending host's data byte at stream offset `offset`.
pub fn seq_at(out: &Outcome, offset: u64) -> SeqNum {
    out.conns[0].isn.0.add(1).add(offset as u32)
}

/// Asserts the run ended cleanly with every byte delivered once, in order (rule 11 via the sink).
#[track_caller]
pub fn assert_complete(out: &Outcome) {
    assert!(
        out.integrity_ok(),
        "{:?} {:?}\n{:#?}",
        out.end,
        out.conns,
        out.log.offload
    );
}

/// Rule 7: the host sends nothing on the connection from snapshot to completion (for every
/// offload of the run, completed or refused).
#[track_caller]
pub fn assert_host_silent_during_offloads(out: &Outcome) {
    let starts = events(out, |k| *k == OffloadEventKind::OffloadInitiated);
    let ends = events(out, |k| {
        matches!(
            k,
            OffloadEventKind::OffloadCompleted | OffloadEventKind::OffloadRefused { .. }
        )
    });
    assert_eq!(starts.len(), ends.len());
    for (s, e) in starts.iter().zip(&ends) {
        let talk: Vec<_> = ingress(out, FWD)
            .into_iter()
            .filter(|w| w.provenance.sender == Sender::Host && w.time > s.time && w.time < e.time)
            .collect();
        assert!(talk.is_empty(), "rule 7: host sent during the offload: {talk:?}");
    }
}

/// Every first transmission (tx_number 0) on the forward link starts where the previous one
/// ended: new data goes out in stream order, whoever sends it (rule 10's FIFO, end to end).
#[track_caller]
pub fn assert_first_transmissions_in_order(out: &Outcome) {
    let mut sent_end = 0u64;
    for w in data_out(out) {
        let end = w.header.stream_offset + u64::from(w.header.len);
        if w.provenance.tx_number == 0 {
            assert_eq!(
                w.header.stream_offset, sent_end,
                "first transmission out of order at {} by {:?}",
                w.time, w.provenance.sender
            );
        } else {
            assert!(
                w.header.stream_offset < sent_end,
                "retransmission of unsent bytes: {w:?}"
            );
        }
        sent_end = sent_end.max(end);
    }
}

/// Spurious retransmissions on the forward link: retransmitted data segments that arrived
/// intact when the receiver already held every one of their bytes (the `reports` definition).
pub fn spurious_retransmissions(out: &Outcome) -> Vec<&WireRecord> {
    let mut held: Vec<(u64, u64)> = Vec::new();
    let mut spurious = Vec::new();
    for w in arrivals(out, FWD).into_iter().filter(|w| w.header.len > 0) {
        let (s, e) = (w.header.stream_offset, w.header.stream_offset + u64::from(w.header.len));
        let covered = held.iter().any(|&(a, b)| a <= s && e <= b);
        if covered && w.provenance.is_retransmission {
            spurious.push(w);
        }
        held.push((s, e));
        held.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (a, b) in held.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        held = merged;
    }
    spurious
}
