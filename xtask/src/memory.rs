//! Page size policy of the process: small pages unless a run's world is large.
//!
//! Transparent huge pages (2 MiB) cut the TLB misses of a simulation whose working set is
//! large (thousands of connections, tens of thousands of packets in flight): 1000
//! connections × 1 MB at 10 Gbit/s took 1.06 s of CPU with them and 1.8 s without. For a
//! small world they only cost memory: a 100 MB single transfer's peak resident size went
//! from 11 MB to 26 MB. So the process starts with them disabled (`PR_SET_THP_DISABLE`,
//! which stops huge pages being used for later page faults) and enables them when it is
//! about to run a world of at least [`HUGE_PAGES_FROM`] connections. With small pages the
//! allocator also returns freed memory at once (mimalloc's purge delay 0; default 10 ms):
//! a 100 MB transfer writing every artefact peaked at 29 MB instead of 36 MB. The choice
//! changes speed and memory only, never a result.

use std::sync::atomic::{AtomicBool, Ordering};

/// Connections of a world from which its run enables huge pages.
pub const HUGE_PAGES_FROM: usize = 100;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// mimalloc's `mi_option_purge_delay` (mimalloc.h: "memory purging is delayed by N milli
/// seconds; use 0 for immediate purging or -1 for no purging at all. (=10)").
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Disables transparent huge pages for what the process touches from now on, and lets the
/// allocator return freed memory at once.
pub fn small_pages() {
    set_thp_disable(true);
    set_purge_delay(0);
}

fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: sets one of the allocator's process-wide options (an integer); mimalloc reads
    // it when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) };
}

/// Enables transparent huge pages (for the rest of the process) if a world of `connections`
/// connections is about to run and is large enough (see the module doc).
pub fn huge_pages_for(connections: usize) {
    if connections >= HUGE_PAGES_FROM && !ENABLED.swap(true, Ordering::Relaxed) {
        set_thp_disable(false);
        set_purge_delay(10);
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
    fn huge_pages_only_from_a_large_world_on() {
        small_pages();
        assert!(thp_disabled());
        huge_pages_for(HUGE_PAGES_FROM - 1);
        assert!(thp_disabled(), "a small world keeps small pages");
        huge_pages_for(HUGE_PAGES_FROM);
        assert!(!thp_disabled(), "a large world enables huge pages");
    }
}
