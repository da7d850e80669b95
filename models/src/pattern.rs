//! The deterministic payload pattern every sending application writes and every receiving
//! application checks: byte `k` of connection `c`'s stream is `pattern_byte(c, k)`.
//!
//! The pattern mixes the connection and the stream offset so that any misplaced byte (wrong
//! sequence-to-buffer mapping, a byte from another connection, a duplicated or skipped
//! range) is detected at the receiver with overwhelming probability.

use crate::segment::ConnId;

/// The pattern word of the aligned 8 bytes at stream offsets `8*word .. 8*word + 8`: byte `k`
/// of the word (little-endian) is the byte at offset `8*word + k`.
#[inline]
fn pattern_word(conn: ConnId, word: u64) -> u64 {
    // SplitMix64 finalizer over (conn, offset / 8): cheap and well mixed.
    let mut z = word.wrapping_add((u64::from(conn.0) << 48) ^ 0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The byte at stream offset `offset` of connection `conn`.
#[inline]
pub fn pattern_byte(conn: ConnId, offset: u64) -> u8 {
    (pattern_word(conn, offset >> 3) >> ((offset & 7) * 8)) as u8
}

/// Bytes from `offset` to the next multiple of 8, at most `len`.
fn unaligned_head(offset: u64, len: usize) -> usize {
    ((offset.wrapping_neg() & 7) as usize).min(len)
}

/// `len` pattern bytes of `conn` starting at stream offset `offset` (one hash per 8 bytes).
pub fn pattern_bytes(conn: ConnId, offset: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    let head = unaligned_head(offset, len);
    v.extend((0..head as u64).map(|i| pattern_byte(conn, offset + i)));
    let first_word = (offset + head as u64) >> 3;
    let words = ((len - head) / 8) as u64;
    for word in first_word..first_word + words {
        v.extend_from_slice(&pattern_word(conn, word).to_le_bytes());
    }
    let tail = len - v.len();
    v.extend_from_slice(&pattern_word(conn, first_word + words).to_le_bytes()[..tail]);
    v
}

/// The first offset in `data` (which should start at stream offset `offset`) that does not
/// match the pattern, if any (compared a word at a time).
pub fn first_mismatch(conn: ConnId, offset: u64, data: &[u8]) -> Option<u64> {
    let byte_mismatch = |start: usize, bytes: &[u8]| {
        bytes
            .iter()
            .enumerate()
            .find(|(i, b)| **b != pattern_byte(conn, offset + (start + i) as u64))
            .map(|(i, _)| offset + (start + i) as u64)
    };
    let head = unaligned_head(offset, data.len());
    if let Some(bad) = byte_mismatch(0, &data[..head]) {
        return Some(bad);
    }
    let first_word = (offset + head as u64) >> 3;
    let mut chunks = data[head..].chunks_exact(8);
    for (k, chunk) in (&mut chunks).enumerate() {
        let got = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if got != pattern_word(conn, first_word + k as u64) {
            return byte_mismatch(head + 8 * k, chunk);
        }
    }
    let at = data.len() - chunks.remainder().len();
    byte_mismatch(at, chunks.remainder())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition the word-at-a-time functions must match.
    fn reference_byte(conn: ConnId, offset: u64) -> u8 {
        let word = offset >> 3;
        let mut z = word.wrapping_add((u64::from(conn.0) << 48) ^ 0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> ((offset & 7) * 8)) as u8
    }

    #[test]
    fn word_at_a_time_matches_the_byte_definition() {
        for conn in [ConnId(0), ConnId(1), ConnId(77)] {
            for offset in [0u64, 1, 7, 8, 13, 1 << 33] {
                for len in [0usize, 1, 7, 8, 9, 23, 64] {
                    let want: Vec<u8> = (0..len as u64).map(|i| reference_byte(conn, offset + i)).collect();
                    assert_eq!(pattern_bytes(conn, offset, len), want);
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
    }

    #[test]
    fn pattern_detects_shifts_and_other_connections() {
        let a = pattern_bytes(ConnId(1), 1000, 64);
        assert_eq!(first_mismatch(ConnId(1), 1000, &a), None);
        assert!(first_mismatch(ConnId(1), 1001, &a).is_some());
        assert!(first_mismatch(ConnId(2), 1000, &a).is_some());
    }
}
