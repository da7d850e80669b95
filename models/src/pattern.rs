//! The deterministic payload pattern every sending application writes and every receiving
//! application checks: byte `k` of connection `c`'s stream is `pattern_byte(c, k)`.
//!
//! The pattern is a table of [`PERIOD`] well-mixed bytes (SplitMix64 of the position), read
//! from a per-connection rotation: byte `k` of connection `c` is `table[(k + rot(c)) mod
//! PERIOD]`. So a write is a slice of one static table ([`pattern_slice`]): an application's
//! send buffer, the send chain, the segments in flight and the receiver's queue hold no
//! payload memory of their own (a run with 10,000 connections and a 1 MiB send buffer each
//! would otherwise hold 10 GB), and the receiver's check compares against the same table.
//!
//! What it detects: any misplaced byte (wrong sequence-to-buffer mapping, a duplicated or
//! skipped range, a byte from another connection) with probability 255/256 per byte, except
//! a range shifted by an exact multiple of `PERIOD` within one connection (`PERIOD` is a
//! prime, so no power-of-two write, buffer or window size is one) or moved onto a connection
//! with the same rotation (rotations are distinct for the first `PERIOD` connection ids).

use crate::segment::ConnId;
use bytes::Bytes;
use std::sync::OnceLock;

/// The pattern's period [bytes]: the prime 2^20 - 3.
pub const PERIOD: u64 = 1_048_573;

/// SplitMix64 finalizer: cheap and well mixed.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The table twice over (`2 * PERIOD` bytes), so that any run of up to `PERIOD` bytes starting
/// anywhere in the first period is one contiguous slice. Built once per process (about 1 ms);
/// a pure function of nothing, so it is the same in every run and on every thread.
fn table() -> &'static [u8] {
    static TABLE: OnceLock<&'static [u8]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let p = PERIOD as usize;
        let mut v = vec![0u8; 2 * p];
        for (k, chunk) in v[..p].chunks_mut(8).enumerate() {
            let w = mix(k as u64).to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        v.copy_within(..p, p);
        Box::leak(v.into_boxed_slice())
    })
}

/// Where connection `conn`'s stream offset 0 is in the table.
fn rotation(conn: ConnId) -> u64 {
    (u64::from(conn.0) * 0x9E37_79B1) % PERIOD
}

/// The table index of stream offset `offset` of `conn` (in the first period).
fn index(conn: ConnId, offset: u64) -> usize {
    ((offset % PERIOD + rotation(conn)) % PERIOD) as usize
}

/// The byte at stream offset `offset` of connection `conn`.
#[inline]
pub fn pattern_byte(conn: ConnId, offset: u64) -> u8 {
    table()[index(conn, offset)]
}

/// `len` pattern bytes of `conn` from stream offset `offset` as a slice of the static table
/// (no allocation) when `len <= PERIOD`, else copied.
pub fn pattern_slice(conn: ConnId, offset: u64, len: usize) -> Bytes {
    if len as u64 <= PERIOD {
        let at = index(conn, offset);
        Bytes::from_static(&table()[at..at + len])
    } else {
        Bytes::from(pattern_bytes(conn, offset, len))
    }
}

/// `len` pattern bytes of `conn` starting at stream offset `offset`, copied.
pub fn pattern_bytes(conn: ConnId, offset: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    let mut at = offset;
    while v.len() < len {
        let n = (len - v.len()).min(PERIOD as usize);
        let i = index(conn, at);
        v.extend_from_slice(&table()[i..i + n]);
        at += n as u64;
    }
    v
}

/// `a` followed by `b` as one slice of the table, when they are adjacent slices of it (two
/// consecutive writes of one connection usually are); `None` otherwise.
pub fn join(a: &Bytes, b: &Bytes) -> Option<Bytes> {
    let t = table();
    let range = t.as_ptr_range();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    if !range.contains(&pa) || pa.wrapping_add(a.len()) != pb || !range.contains(&pb) {
        return None;
    }
    let start = pa as usize - range.start as usize;
    let end = start + a.len() + b.len();
    (end <= t.len()).then(|| Bytes::from_static(&t[start..end]))
}

/// The first offset in `data` (which should start at stream offset `offset`) that does not
/// match the pattern, if any. A slice of the table at the right place is accepted without
/// reading it (the same memory holds the same bytes); anything else is compared.
pub fn first_mismatch(conn: ConnId, offset: u64, data: &[u8]) -> Option<u64> {
    let t = table();
    let mut done = 0usize;
    while done < data.len() {
        let at = offset + done as u64;
        let n = (data.len() - done).min(PERIOD as usize);
        let i = index(conn, at);
        let (got, want) = (&data[done..done + n], &t[i..i + n]);
        if got.as_ptr() != want.as_ptr() && got != want {
            let k = got.iter().zip(want).position(|(g, w)| g != w).expect("slices differ");
            return Some(at + k as u64);
        }
        done += n;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition the table lookups must match: the mixed word of the table position.
    fn reference_byte(conn: ConnId, offset: u64) -> u8 {
        let i = (offset + u64::from(conn.0) * 0x9E37_79B1 % PERIOD) % PERIOD;
        (mix(i / 8) >> ((i % 8) * 8)) as u8
    }

    #[test]
    fn table_lookups_match_the_definition() {
        for conn in [ConnId(0), ConnId(1), ConnId(77), ConnId(40_000)] {
            for offset in [0u64, 1, 7, 8, 13, PERIOD - 3, PERIOD, 1 << 33] {
                for len in [0usize, 1, 7, 8, 9, 23, 64] {
                    let want: Vec<u8> = (0..len as u64).map(|i| reference_byte(conn, offset + i)).collect();
                    assert_eq!(pattern_bytes(conn, offset, len), want);
                    assert_eq!(&pattern_slice(conn, offset, len)[..], &want[..]);
                    assert_eq!(first_mismatch(conn, offset, &want), None);
                    for bad in 0..len {
                        let mut v = want.clone();
                        v[bad] ^= 0x40;
                        assert_eq!(first_mismatch(conn, offset, &v), Some(offset + bad as u64));
                    }
                }
                assert_eq!(pattern_byte(conn, offset + 5), reference_byte(conn, offset + 5));
            }
        }
        // Longer than a period: copied, still the pattern, still checked past the wrap.
        let long = pattern_slice(ConnId(3), 11, PERIOD as usize + 100);
        assert_eq!(first_mismatch(ConnId(3), 11, &long), None);
        let mut bad = long.to_vec();
        bad[PERIOD as usize + 50] ^= 1;
        assert_eq!(first_mismatch(ConnId(3), 11, &bad), Some(11 + PERIOD + 50));
    }

    /// The misplacements a transfer can suffer are caught: a shift by one byte, a segment, a
    /// write, a send buffer (64 KiB, 1 MiB) or a 4 GiB sequence wrap, and another connection's
    /// bytes at the same offset.
    #[test]
    fn pattern_detects_shifts_and_other_connections() {
        let a = pattern_slice(ConnId(1), 1000, 1460);
        assert_eq!(first_mismatch(ConnId(1), 1000, &a), None);
        for shift in [1u64, 1460, 16 << 10, 64 << 10, 1 << 20, 1 << 32] {
            assert!(first_mismatch(ConnId(1), 1000 + shift, &a).is_some(), "shift {shift}");
        }
        for other in [0, 2, 3, 9_999, 40_000] {
            assert!(first_mismatch(ConnId(other), 1000, &a).is_some(), "conn {other}");
        }
        let rotations: std::collections::BTreeSet<u64> = (0..=40_000).map(|c| rotation(ConnId(c))).collect();
        assert_eq!(rotations.len(), 40_001, "distinct rotations for every connection id");
    }

    /// Consecutive writes of a connection join into one slice of the table, without copying;
    /// unrelated slices do not.
    #[test]
    fn adjacent_writes_join_without_copying() {
        let a = pattern_slice(ConnId(5), 0, 1000);
        let b = pattern_slice(ConnId(5), 1000, 460);
        let ab = join(&a, &b).expect("adjacent");
        assert_eq!(&ab[..], &pattern_bytes(ConnId(5), 0, 1460)[..]);
        assert_eq!(join(&b, &a), None);
        assert_eq!(join(&a, &pattern_slice(ConnId(6), 1000, 460)), None);
        assert_eq!(join(&Bytes::from(a.to_vec()), &b), None);
    }
}
