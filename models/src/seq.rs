//! 32-bit TCP sequence numbers with mod-2^32 comparison (RFC 793 §3.3, RFC 1982 serial arithmetic).

use std::cmp::Ordering;
use std::fmt;

/// A TCP sequence number. Compare with `<`/`>` only within half the space (2^31), as the RFC
/// requires of any two numbers in use at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SeqNum(pub u32);

// `add`/`sub` take a `u32` length, not another `SeqNum`, and wrap: `std::ops` would suggest
// `SeqNum + SeqNum`, which has no meaning in serial arithmetic.
#[allow(clippy::should_implement_trait)]
impl SeqNum {
    /// `self + n` (mod 2^32).
    pub fn add(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }

    /// `self - n` (mod 2^32).
    pub fn sub(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(n))
    }

    /// The distance from `earlier` to `self`, if `self` is not before `earlier`.
    pub fn since(self, earlier: SeqNum) -> Option<u32> {
        let d = self.0.wrapping_sub(earlier.0);
        (d < 1 << 31).then_some(d)
    }

    /// The distance from `earlier` to `self` (mod 2^32), for callers that already know the order.
    pub fn wrapping_since(self, earlier: SeqNum) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// The later of two sequence numbers.
    pub fn max(self, other: SeqNum) -> SeqNum {
        if self >= other { self } else { other }
    }

    /// The earlier of two sequence numbers.
    pub fn min(self, other: SeqNum) -> SeqNum {
        if self <= other { self } else { other }
    }
}

impl PartialOrd for SeqNum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeqNum {
    /// Serial-number order: `a < b` iff `(b - a) mod 2^32` is in (0, 2^31).
    fn cmp(&self, other: &Self) -> Ordering {
        (self.0.wrapping_sub(other.0) as i32).cmp(&0)
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraparound_order() {
        let a = SeqNum(u32::MAX - 10);
        let b = a.add(20);
        assert_eq!(b, SeqNum(9));
        assert!(a < b);
        assert_eq!(b.since(a), Some(20));
        assert_eq!(a.since(b), None);
        assert_eq!(a.max(b), b);
        assert_eq!(b.sub(20), a);
    }
}
