//! Cache prefetch hints: a model with a large working set (thousands of connections) asks
//! the CPU to load what the next event reads while the current one runs. Hints never
//! change a result; on other architectures they do nothing.

/// Asks the CPU to bring the cache line at `p` (and, through the adjacent-line prefetcher,
/// usually its neighbour) into every cache level. `p` need not be valid: a prefetch never
/// faults.
#[inline(always)]
pub fn read<T: ?Sized>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is a hint that reads
        // nothing the program sees and never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const u8 as *const i8) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`read`] for each of the `lines` cache lines from `p` on.
#[inline(always)]
pub fn read_lines<T: ?Sized>(p: *const T, lines: usize) {
    let p = p as *const u8;
    for i in 0..lines {
        read(p.wrapping_add(64 * i));
    }
}
