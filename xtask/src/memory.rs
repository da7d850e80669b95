//! Page size policy of the process: huge pages for large worlds, small ones otherwise.
//!
//! Transparent huge pages (2 MiB, which mimalloc asks for) cut the TLB misses of a
//! simulation whose working set is large (thousands of connections, tens of thousands of
//! packets in flight): 1000 connections × 1 MB at 10 Gbit/s took 1.06 s of CPU with them and
//! 1.8 s without. For a small world they only cost memory: a 100 MB single transfer's peak
//! resident size went from 11 MB to 26 MB. So each run, before its world is built, sets the
//! policy ([`for_world`]): from [`HUGE_PAGES_FROM`] connections on, huge pages stay on and
//! freed memory stays with the allocator (returning it only makes the kernel zero it again);
//! below, huge pages are disabled for later page faults
//! (`PR_SET_THP_DISABLE`) and freed memory is returned at once (mimalloc's purge delay 0: a
//! 100 MB transfer writing every artefact peaked at 29 MB instead of 36 MB). Once a large
//! world ran, the process keeps huge pages (runs of a sweep run side by side). The choice
//! changes speed and memory only, never a result.

use std::sync::atomic::{AtomicBool, Ordering};

/// Connections of a world from which its run enables huge pages.
pub const HUGE_PAGES_FROM: usize = 100;

/// Freed memory is never returned to the system once huge pages are on (mimalloc's purge
/// delay -1): a run reuses it, and returned memory must be faulted in and zeroed again
/// (10,000 connections, 150 ms simulated: ~1.4 s of system time with mimalloc's default
/// delay of 1 s, ~0.4 s without purging; the same peak resident size, which the run reaches
/// anyway).
const LARGE_WORLD_PURGE_DELAY_MS: std::ffi::c_long = -1;

/// A large world ran: huge pages stay on.
static LARGE: AtomicBool = AtomicBool::new(false);

/// mimalloc's `mi_option_purge_delay` (mimalloc.h: "memory purging is delayed by N milli
/// seconds; use 0 for immediate purging or -1 for no purging at all"; 1000 by default in the
/// bundled mimalloc 3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: sets one of the allocator's process-wide options (an integer); mimalloc reads
    // it when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) };
}

/// Runs before `main` (each binary puts it in `.init_array` through `process_setup!`): huge pages
/// off before the allocator's first pages are touched. The runtime allocates before `main`,
/// and the first 2 MiB of the allocator's arena faulted as one huge page stayed resident in
/// full (2 MB of a 1 GiB transfer's ~32 MB peak).
pub extern "C" fn before_main() {
    set_thp_disable(true);
}

/// Starts the process on the small-world policy, before its first allocations: the
/// allocator's first arena pages faulted as huge pages (2 MiB each, resident in full) were
/// 4 MB of a 1 GiB transfer's 37 MB peak when the policy was set only when the run began.
pub fn at_start() {
    for_world(0);
}

/// Sets the page policy for a run of a world with `connections` connections (see the
/// module doc).
pub fn for_world(connections: usize) {
    if connections >= HUGE_PAGES_FROM {
        if !LARGE.swap(true, Ordering::Relaxed) {
            set_thp_disable(false);
            set_purge_delay(LARGE_WORLD_PURGE_DELAY_MS);
        }
    } else if !LARGE.load(Ordering::Relaxed) {
        set_thp_disable(true);
        set_purge_delay(0);
    }
}

#[cfg(target_os = "linux")]
fn set_thp_disable(disable: bool) {
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and no pointers; it only changes how
    // later page faults of this process are served. Failure (an old kernel) leaves the
    // system's default, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, libc::c_ulong::from(disable), 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn set_thp_disable(_disable: bool) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn thp_disabled() -> bool {
        // SAFETY: PR_GET_THP_DISABLE takes no pointers and returns the flag.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }

    #[test]
    fn huge_pages_from_a_large_world_on() {
        for_world(HUGE_PAGES_FROM - 1);
        assert!(thp_disabled(), "a small world runs on small pages");
        for_world(HUGE_PAGES_FROM);
        assert!(!thp_disabled(), "a large world enables huge pages");
        for_world(1);
        assert!(!thp_disabled(), "and they stay on for the runs beside it");
    }
}
