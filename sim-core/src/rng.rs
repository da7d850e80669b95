//! Named random streams: every model draws from its own generator.
//!
//! A stream is a ChaCha8 generator keyed by (run seed, stream name), e.g.
//! `link/a->b/loss`. Adding a stream never shifts the numbers another stream
//! draws, and two variants of a scenario (offloaded or not) that name the same
//! stream see the very same draws: common random numbers for paired
//! comparisons.
//!
//! The key derivation and the samplers are written here, on the generator's
//! raw 64-bit output, rather than taken from `rand`'s distributions (whose
//! values may change between minor versions). Logarithms use `libm`, whose
//! results do not depend on the platform's C library.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use xxhash_rust::xxh3::xxh3_128_with_seed;

/// Salt for the second half of a stream key (any fixed constant; changing it changes every run).
const KEY_SALT: u64 = 0x6f66_6673_696d_2d31; // "offsim-1"

/// A deterministic random stream named by a stable string.
#[derive(Clone, Debug)]
pub struct RngStream {
    rng: ChaCha8Rng,
}

impl RngStream {
    /// The stream `name` of the run seeded with `run_seed`.
    ///
    /// The 256-bit ChaCha key is XXH3-128(name, seed) ‖ XXH3-128(name, seed ^ salt):
    /// both algorithms are frozen by their specifications, so the key is the same on
    /// every machine and Rust version.
    pub fn new(run_seed: u64, name: &str) -> Self {
        let lo = xxh3_128_with_seed(name.as_bytes(), run_seed).to_le_bytes();
        let hi = xxh3_128_with_seed(name.as_bytes(), run_seed ^ KEY_SALT).to_le_bytes();
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(&lo);
        key[16..].copy_from_slice(&hi);
        RngStream {
            rng: ChaCha8Rng::from_seed(key),
        }
    }

    /// The next raw 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (clamped to [0, 1]). Draws exactly one number whatever `p` is,
    /// so changing a probability does not shift later draws.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Exponentially distributed with the given mean (inverse transform).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log1p(-self.uniform())
    }

    /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "RngStream::below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "RngStream::range_inclusive: lo > hi");
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_same_numbers_other_name_other_numbers() {
        let mut a = RngStream::new(7, "link/a->b/loss");
        let mut b = RngStream::new(7, "link/a->b/loss");
        let mut c = RngStream::new(7, "link/b->a/loss");
        let mut d = RngStream::new(8, "link/a->b/loss");
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        let vd: Vec<u64> = (0..8).map(|_| d.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
        assert_ne!(va, vd);
    }

    #[test]
    fn golden_first_draw() {
        // Pins the key derivation and ChaCha8: if this changes, every fingerprint changes.
        let mut s = RngStream::new(42, "golden");
        let first = s.next_u64();
        let mut again = RngStream::new(42, "golden");
        assert_eq!(first, again.next_u64());
        assert_eq!(first, GOLDEN_FIRST_DRAW, "stream derivation changed: {first:#x}");
    }
    const GOLDEN_FIRST_DRAW: u64 = 0xb564_157b_8c7d_690d;

    #[test]
    fn samplers_are_in_range_and_roughly_right() {
        let mut s = RngStream::new(1, "samplers");
        let n = 100_000;
        let mut sum_u = 0.0;
        let mut hits = 0;
        let mut sum_e = 0.0;
        for _ in 0..n {
            let u = s.uniform();
            assert!((0.0..1.0).contains(&u));
            sum_u += u;
            if s.bernoulli(0.25) {
                hits += 1;
            }
            let e = s.exponential(2.0);
            assert!(e >= 0.0);
            sum_e += e;
            assert!(s.below(10) < 10);
            let r = s.range_inclusive(5, 7);
            assert!((5..=7).contains(&r));
        }
        assert!((sum_u / n as f64 - 0.5).abs() < 0.01);
        assert!((hits as f64 / n as f64 - 0.25).abs() < 0.01);
        assert!((sum_e / n as f64 - 2.0).abs() < 0.05);
        let _full_range = s.range_inclusive(0, u64::MAX);
    }
}
