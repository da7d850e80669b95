//! The deterministic payload pattern every sending application writes and every receiving
//! application checks: byte `k` of connection `c`'s stream is `pattern_byte(c, k)`.
//!
//! The pattern mixes the connection and the stream offset so that any misplaced byte (wrong
//! sequence-to-buffer mapping, a byte from another connection, a duplicated or skipped
//! range) is detected at the receiver with overwhelming probability.

use crate::segment::ConnId;

/// The byte at stream offset `offset` of connection `conn`.
#[inline]
pub fn pattern_byte(conn: ConnId, offset: u64) -> u8 {
    // SplitMix64 finalizer over (conn, offset / 8), then pick the byte: cheap and well mixed.
    let word = offset >> 3;
    let mut z = word.wrapping_add((u64::from(conn.0) << 48) ^ 0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> ((offset & 7) * 8)) as u8
}

/// `len` pattern bytes of `conn` starting at stream offset `offset`.
pub fn pattern_bytes(conn: ConnId, offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| pattern_byte(conn, offset + i)).collect()
}

/// The first offset in `data` (which should start at stream offset `offset`) that does not
/// match the pattern, if any.
pub fn first_mismatch(conn: ConnId, offset: u64, data: &[u8]) -> Option<u64> {
    data.iter()
        .enumerate()
        .find(|(i, b)| **b != pattern_byte(conn, offset + *i as u64))
        .map(|(i, _)| offset + i as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_detects_shifts_and_other_connections() {
        let a = pattern_bytes(ConnId(1), 1000, 64);
        assert_eq!(first_mismatch(ConnId(1), 1000, &a), None);
        assert!(first_mismatch(ConnId(1), 1001, &a).is_some());
        assert!(first_mismatch(ConnId(2), 1000, &a).is_some());
    }
}
