//! Wire records classified one at a time ([`Classifier`]), shared by the metrics, CSV,
//! pcapng and chart writers: each record's connection direction, whether its link is the first hop from the
//! segment's source host or the last hop into its destination host, and sequence/ACK numbers
//! relative to the ISN (stream offsets).

use crate::info::{ConnInfo, Dir, LinkInfo, RunInfo};
use crate::{ReportError, Result};
use models::record::{WireEvent, WireRecord};
use models::segment::ConnId;
use std::collections::BTreeMap;

/// One wire record with its classification.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    /// The record.
    pub r: WireRecord,
    /// Sender-to-receiver or back.
    pub dir: Dir,
    /// The link leaves the segment's source host: transmissions are counted here.
    pub first_hop: bool,
    /// The link enters the segment's destination host: arrivals are counted here.
    pub last_hop: bool,
    /// Sequence number relative to the source's ISN + 1 (= stream offset; SYN = -1).
    pub seq_rel: i64,
    /// ACK number relative to the destination's ISN + 1, when the ACK flag is set.
    pub ack_rel: Option<i64>,
}

impl Rec {
    /// A segment carrying payload.
    pub fn is_data(&self) -> bool {
        self.r.header.len > 0
    }

    /// A transmission attempt seen at the first hop (accepted or dropped at ingress).
    pub fn is_first_hop_ingress(&self) -> bool {
        self.first_hop && !matches!(self.r.event, WireEvent::Delivered { .. })
    }

    /// Accepted into the first-hop link: the segment really went on the wire.
    pub fn is_first_hop_sent(&self) -> bool {
        self.first_hop && self.r.event == WireEvent::Sent
    }

    /// Delivered intact (not corrupted) to the destination host.
    pub fn is_arrival(&self) -> bool {
        self.last_hop && matches!(self.r.event, WireEvent::Delivered { corrupted: false, .. })
    }

    /// Relative end of the sequence space this segment occupies (payload, SYN and FIN).
    pub fn seq_end_rel(&self) -> i64 {
        let f = self.r.header.flags;
        self.seq_rel + i64::from(self.r.header.len) + i64::from(f.syn) + i64::from(f.fin)
    }
}

/// (first_hop by link, last_hop by link, fallback for links beyond `info.links`) of one
/// connection direction.
type Hops = (Vec<bool>, Vec<bool>, bool, bool);

/// Classifies wire records one at a time, in log order (a run's records as they come, chunk
/// by chunk): what it keeps across records is per connection and direction (the highest
/// sequence number seen, the reference for unwrapping 32-bit numbers), never per record.
pub(crate) struct Classifier {
    /// Problems found (missing topology: fallbacks taken).
    pub warnings: Vec<String>,
    /// Per connection index, per direction (0 forward, 1 reverse).
    hops: Vec<[Hops; 2]>,
    /// Highest relative sequence end seen per (conn, dir).
    hi: Vec<[i64; 2]>,
    /// Connection ids of the cross-traffic flows (their records are no connection's).
    flows: Vec<u32>,
    /// Connection index by id, for ids up to [`DIRECT_IDS`] (others: `RunInfo::conn_index`).
    by_id: Vec<Option<u32>>,
}

/// Connection ids below this are looked up in a table (the simulator's go up to 40,000).
const DIRECT_IDS: u32 = 1 << 16;

impl Classifier {
    /// A classifier for the run `info` describes (its links and connections).
    pub fn new(info: &RunInfo) -> Self {
        let mut warnings = Vec::new();
        // Which hosts have a link leaving / entering them, to detect missing topology.
        let leaves = |host: &str| info.links.iter().any(|l| l.from == host);
        let enters = |host: &str| info.links.iter().any(|l| l.to == host);
        let mut fallback_first: BTreeMap<String, bool> = BTreeMap::new();
        let mut fallback_last: BTreeMap<String, bool> = BTreeMap::new();
        for c in &info.conns {
            for e in [&c.sender, &c.receiver] {
                if !leaves(&e.host) && fallback_first.insert(e.host.clone(), true).is_none() {
                    warnings.push(format!(
                        "no link leaves host {:?}: its transmissions are counted on every link (multi-hop paths count \
                         once per hop)",
                        e.host
                    ));
                }
                if !enters(&e.host) && fallback_last.insert(e.host.clone(), true).is_none() {
                    warnings.push(format!(
                        "no link enters host {:?}: its arrivals are counted on every link (multi-hop paths count once \
                         per hop)",
                        e.host
                    ));
                }
            }
        }
        // Per connection and direction, worked out once (not per record): whether each link
        // is the first hop from the source / the last hop into the destination. Host names
        // are compared here only, so the per-record cost does not depend on them.
        let hop = |host: &str, fallback: &BTreeMap<String, bool>, end: fn(&LinkInfo) -> &str| -> Vec<bool> {
            let all = fallback.contains_key(host);
            info.links.iter().map(|l| all || end(l) == host).collect()
        };
        let hops: Vec<[Hops; 2]> = info
            .conns
            .iter()
            .map(|c| {
                [Dir::Forward, Dir::Reverse].map(|d| {
                    let (src, dst) = c.ends(d);
                    (
                        hop(&src.host, &fallback_first, |l| &l.from),
                        hop(&dst.host, &fallback_last, |l| &l.to),
                        fallback_first.contains_key(&src.host),
                        fallback_last.contains_key(&dst.host),
                    )
                })
            })
            .collect();
        let mut by_id = Vec::new();
        for (i, c) in info.conns.iter().enumerate().rev() {
            if c.conn < DIRECT_IDS {
                let id = c.conn as usize;
                if by_id.len() <= id {
                    by_id.resize(id + 1, None);
                }
                // The first of an id wins, as in `RunInfo::conn_index`'s linear search.
                by_id[id] = Some(i as u32);
            }
        }
        Classifier {
            warnings,
            hops,
            hi: vec![[0; 2]; info.conns.len()],
            flows: info.flows.iter().map(|f| f.conn).collect(),
            by_id,
        }
    }

    /// The index in `info.conns` of connection `conn` (what [`RunInfo::conn_index`] answers,
    /// from the table for ids below [`DIRECT_IDS`]: the summary looks up a connection for
    /// every delivery, and a binary search over 10,000 connections was ~1 % of such a run).
    #[inline]
    pub fn conn_index(&self, info: &RunInfo, conn: ConnId) -> Option<usize> {
        let direct = self.by_id.get(conn.0 as usize).copied().flatten().map(|i| i as usize);
        direct.or_else(|| info.conn_index(conn))
    }

    /// Classifies the next record of the log; `None` for cross traffic (counted per flow, not
    /// here). Fails if the record names a connection `info` lacks.
    pub fn classify(&mut self, info: &RunInfo, r: &WireRecord) -> Result<Option<(usize, Rec)>> {
        let conn = r.provenance.conn;
        if self.flows.contains(&conn.0) {
            return Ok(None);
        }
        let ci_index = self.conn_index(info, conn).ok_or_else(|| {
            ReportError::Invalid(format!(
                "wire record at {} ns names connection {} missing from RunInfo.conns",
                r.time.0, conn.0
            ))
        })?;
        let ci: &ConnInfo = &info.conns[ci_index];
        let dir = ci.dir(&r.header);
        let (src, dst) = ci.ends(dir);
        let d = usize::from(dir == Dir::Reverse);
        let (first, last, first_all, last_all) = &self.hops[ci_index][d];
        let link = usize::from(r.link.0);
        let first_hop = first.get(link).copied().unwrap_or(*first_all);
        let last_hop = last.get(link).copied().unwrap_or(*last_all);
        let h = &r.header;
        let own_hi = self.hi[ci_index][d];
        let seq_rel = if h.len > 0 {
            h.stream_offset as i64
        } else {
            unwrap_rel(h.seq.0.wrapping_sub(src.isn.wrapping_add(1)), own_hi)
        };
        let other_hi = self.hi[ci_index][1 - d];
        let ack_rel = h
            .flags
            .ack
            .then(|| unwrap_rel(h.ack.0.wrapping_sub(dst.isn.wrapping_add(1)), other_hi));
        let rec = Rec {
            r: *r,
            dir,
            first_hop,
            last_hop,
            seq_rel,
            ack_rel,
        };
        let e = &mut self.hi[ci_index][d];
        *e = (*e).max(rec.seq_end_rel());
        Ok(Some((ci_index, rec)))
    }
}

/// Unwraps a 32-bit relative number to the 64-bit value closest to `reference`.
pub(crate) fn unwrap_rel(rel32: u32, reference: i64) -> i64 {
    const M: i64 = 1 << 32;
    let base = reference.div_euclid(M) * M;
    let mut best = base + i64::from(rel32);
    for cand in [best - M, best + M] {
        if (cand - reference).abs() < (best - reference).abs() {
            best = cand;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::unwrap_rel;

    #[test]
    fn unwraps_near_reference() {
        assert_eq!(unwrap_rel(u32::MAX, 0), -1);
        assert_eq!(unwrap_rel(5, 0), 5);
        assert_eq!(unwrap_rel(5, (1 << 32) - 10), (1 << 32) + 5);
        assert_eq!(unwrap_rel(u32::MAX - 1, 1 << 32), (1 << 32) - 2);
    }
}
