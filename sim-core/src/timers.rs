//! Timer queues: the pending timers of every actor, ordered by (time, seq).
//!
//! Two implementations with one interface, so the choice is measured rather
//! than guessed (`cargo bench -p sim-core`, `cargo xtask bench`):
//!
//! - [`LazyTimers`]: a `BinaryHeap` that never deletes. Reset pushes a new
//!   entry; cancel only marks the slot. A popped entry whose sequence number is
//!   no longer the slot's armed one is stale and skipped. The heap is rebuilt
//!   from the live slots when stale entries outnumber live ones.
//! - [`PqTimers`]: `priority-queue`'s indexed heap, whose `change_priority` and
//!   `remove` make reset and cancel exact, with no stale entries.
//! - [`DeferredTimers`]: a `BinaryHeap` in which a reset to a *later* key does not touch
//!   the heap at all. Each armed slot keeps one heap entry whose key is at most its armed
//!   key; when that entry reaches the top with a smaller key than the armed one, it is
//!   re-pushed at the armed key. A retransmission timer reset on every ACK (always later,
//!   since it is `now + RTO`) therefore costs two stores, and the heap sees one push per
//!   RTO instead of one per ACK. A reset to an earlier key pushes a new entry and leaves
//!   the old one stale, as in [`LazyTimers`].
//!
//! All three pop in exactly the same order (a property test checks it), so the
//! choice never changes a run.
//!
//! Measured (`cargo xtask bench --only kernel`, 2-core VM, best of 5): `Deferred` beats
//! `Lazy` by ~25 % at 4 actors and ties it from 100 to 10,000 actors and on the 100 MB
//! transfer, so `Lazy` stays the default. At 10,000 actors / 50,000 messages in flight
//! the timer path is not what costs: `perf` puts ~2/3 of the cycles in popping the
//! *message* heap (50,000 × 40-byte entries, ~16 levels), with `Deferred` as with `Lazy`.
//!
//! Since then the messages live in a ladder queue ([`crate::events`]), and the kernel asks
//! a timer queue for its exact minimum only when no message comes before
//! [`TimerQueue::peek_bound`] (the top entry, stale or deferred, bounds the minimum from
//! below). Before that, every event paid a heap pop in `settle_top` or `drop_stale_top`:
//! a `Deferred` top is always a deferred entry when timers are reset on every message.
//! Now `Deferred` is the fastest kind at every size (table in [`crate::events`]) and ties
//! `Lazy` on the 100 MB / 1 % transfer (six alternating runs, load ~3: best 0.91 vs 0.91 M
//! data segments/s core alone, 0.241 vs 0.249 s whole process with `--artifacts summary`),
//! so it is the default.

use crate::time::SimTime;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasherDefault;

/// A queue of armed timer slots keyed by (time, seq).
///
/// Slots are small integers managed by the kernel; a slot is armed at most once at a time.
pub trait TimerQueue: Default {
    /// Arms `slot` at (`at`, `seq`), replacing any earlier arming of the same slot.
    fn arm(&mut self, slot: u32, at: SimTime, seq: u64);
    /// Disarms `slot`; it will not be returned by `pop`.
    fn disarm(&mut self, slot: u32);
    /// The earliest armed (time, seq, slot), without removing it.
    fn peek(&mut self) -> Option<(SimTime, u64, u32)>;
    /// A key no later than the earliest armed timer's, `None` when none is armed; cheaper
    /// than [`TimerQueue::peek`] because it may stop at a stale or deferred entry (why: the
    /// kernel needs the exact timer only when no message comes before this bound).
    fn peek_bound(&self) -> Option<(SimTime, u64)>;
    /// Removes and returns the earliest armed (time, seq, slot).
    fn pop(&mut self) -> Option<(SimTime, u64, u32)>;
    /// How many timers are armed.
    fn len(&self) -> usize;
    /// True when no timer is armed.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const DISARMED: u64 = u64::MAX;

/// Lazy-deletion binary heap (see the module doc).
#[derive(Default)]
pub struct LazyTimers {
    heap: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    /// The armed seq of each slot, or `DISARMED`.
    armed: Vec<u64>,
    live: usize,
}

impl LazyTimers {
    fn is_current(&self, seq: u64, slot: u32) -> bool {
        self.armed.get(slot as usize) == Some(&seq)
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse((_, seq, slot))) = self.heap.peek() {
            if self.is_current(*seq, *slot) {
                break;
            }
            self.heap.pop();
        }
    }

    fn maybe_compact(&mut self) {
        // Why: a retransmission timer reset on every ACK leaves one stale entry per ACK;
        // without compaction the heap would grow with the transfer, not with the timers.
        if self.heap.len() > 64 && self.heap.len() > 4 * self.live {
            let armed = &self.armed;
            self.heap
                .retain(|Reverse((_, seq, slot))| armed[*slot as usize] == *seq);
        }
    }
}

impl TimerQueue for LazyTimers {
    fn arm(&mut self, slot: u32, at: SimTime, seq: u64) {
        let i = slot as usize;
        if i >= self.armed.len() {
            self.armed.resize(i + 1, DISARMED);
        }
        if self.armed[i] == DISARMED {
            self.live += 1;
        }
        self.armed[i] = seq;
        self.heap.push(Reverse((at, seq, slot)));
        self.maybe_compact();
    }

    fn disarm(&mut self, slot: u32) {
        if let Some(s) = self.armed.get_mut(slot as usize)
            && *s != DISARMED
        {
            *s = DISARMED;
            self.live -= 1;
        }
    }

    fn peek(&mut self) -> Option<(SimTime, u64, u32)> {
        self.drop_stale_top();
        self.heap.peek().map(|Reverse(e)| *e)
    }

    #[inline]
    fn peek_bound(&self) -> Option<(SimTime, u64)> {
        // Every armed slot has an entry at its armed key, and the top is the least entry.
        if self.live == 0 {
            return None;
        }
        self.heap.peek().map(|Reverse((t, seq, _))| (*t, *seq))
    }

    fn pop(&mut self) -> Option<(SimTime, u64, u32)> {
        self.drop_stale_top();
        let Reverse(e) = self.heap.pop()?;
        self.armed[e.2 as usize] = DISARMED;
        self.live -= 1;
        Some(e)
    }

    fn len(&self) -> usize {
        self.live
    }
}

/// Identity hasher for the small integer slot keys of [`PqTimers`].
#[derive(Default)]
pub struct SlotHasher(u64);

impl std::hash::Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }
}

/// `priority-queue`'s indexed heap (see the module doc).
pub struct PqTimers {
    pq: PriorityQueue<u32, Reverse<(SimTime, u64)>, BuildHasherDefault<SlotHasher>>,
}

impl Default for PqTimers {
    fn default() -> Self {
        PqTimers {
            pq: PriorityQueue::with_default_hasher(),
        }
    }
}

impl TimerQueue for PqTimers {
    fn arm(&mut self, slot: u32, at: SimTime, seq: u64) {
        // push on an existing item updates its priority (change_priority semantics).
        self.pq.push(slot, Reverse((at, seq)));
    }

    fn disarm(&mut self, slot: u32) {
        self.pq.remove(&slot);
    }

    fn peek(&mut self) -> Option<(SimTime, u64, u32)> {
        self.pq.peek().map(|(slot, Reverse((t, s)))| (*t, *s, *slot))
    }

    fn peek_bound(&self) -> Option<(SimTime, u64)> {
        self.pq.peek().map(|(_, Reverse(key))| *key)
    }

    fn pop(&mut self) -> Option<(SimTime, u64, u32)> {
        self.pq.pop().map(|(slot, Reverse((t, s)))| (t, s, slot))
    }

    fn len(&self) -> usize {
        self.pq.len()
    }
}

/// No key: the slot has no entry in the heap ([`DeferredTimers`]).
const NO_KEY: (SimTime, u64) = (SimTime(u64::MAX), u64::MAX);

/// Deferred-reset binary heap (see the module doc).
///
/// Invariant: for every armed slot, `queued[slot]` is the key of exactly one heap entry
/// for that slot and `queued[slot] <= armed[slot]`; any other entry is stale. A popped
/// entry whose key equals its slot's armed key is therefore the true minimum: every other
/// armed slot has an entry no smaller than it and an armed key no smaller than its entry.
#[derive(Default)]
pub struct DeferredTimers {
    heap: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    /// The armed (time, seq) of each slot, or `NO_KEY` when disarmed.
    armed: Vec<(SimTime, u64)>,
    /// The key of the slot's representative heap entry, or `NO_KEY` when it has none.
    queued: Vec<(SimTime, u64)>,
    live: usize,
}

impl DeferredTimers {
    /// Brings the true minimum to the top: drops stale entries and re-pushes deferred
    /// ones at their armed key.
    fn settle_top(&mut self) {
        while let Some(&Reverse((t, seq, slot))) = self.heap.peek() {
            let i = slot as usize;
            let key = (t, seq);
            if self.queued[i] != key {
                // Superseded by an earlier re-arm.
                self.heap.pop();
                continue;
            }
            let armed = self.armed[i];
            if armed == key {
                break;
            }
            self.heap.pop();
            if armed == NO_KEY {
                // Disarmed while queued.
                self.queued[i] = NO_KEY;
            } else {
                // Reset to a later key while queued: move the entry there now.
                self.queued[i] = armed;
                self.heap.push(Reverse((armed.0, armed.1, slot)));
            }
        }
    }

    fn maybe_compact(&mut self) {
        // Why: resets to an earlier key and cancels leave stale entries behind; without
        // compaction the heap would grow with the resets, not with the timers.
        if self.heap.len() > 64 && self.heap.len() > 4 * self.live {
            let (armed, queued) = (&self.armed, &mut self.queued);
            self.heap.retain(|&Reverse((t, seq, slot))| {
                let i = slot as usize;
                queued[i] == (t, seq) && armed[i] != NO_KEY
            });
            for (q, a) in queued.iter_mut().zip(armed) {
                if *a == NO_KEY {
                    *q = NO_KEY;
                }
            }
        }
    }
}

impl TimerQueue for DeferredTimers {
    #[inline]
    fn arm(&mut self, slot: u32, at: SimTime, seq: u64) {
        let i = slot as usize;
        if i >= self.armed.len() {
            self.armed.resize(i + 1, NO_KEY);
            self.queued.resize(i + 1, NO_KEY);
        }
        if self.armed[i] == NO_KEY {
            self.live += 1;
        }
        let key = (at, seq);
        self.armed[i] = key;
        if self.queued[i] > key {
            // No entry, or one later than the new key: the slot needs an entry at `key`.
            self.queued[i] = key;
            self.heap.push(Reverse((at, seq, slot)));
            self.maybe_compact();
        }
    }

    #[inline]
    fn disarm(&mut self, slot: u32) {
        if let Some(a) = self.armed.get_mut(slot as usize)
            && *a != NO_KEY
        {
            *a = NO_KEY;
            self.live -= 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<(SimTime, u64, u32)> {
        self.settle_top();
        self.heap.peek().map(|Reverse(e)| *e)
    }

    #[inline]
    fn peek_bound(&self) -> Option<(SimTime, u64)> {
        // By the invariant, every armed key is at least its slot's entry's key, which is at
        // least the top's.
        if self.live == 0 {
            return None;
        }
        self.heap.peek().map(|Reverse((t, seq, _))| (*t, *seq))
    }

    #[inline]
    fn pop(&mut self) -> Option<(SimTime, u64, u32)> {
        self.settle_top();
        let Reverse(e) = self.heap.pop()?;
        let i = e.2 as usize;
        self.armed[i] = NO_KEY;
        self.queued[i] = NO_KEY;
        self.live -= 1;
        Some(e)
    }

    fn len(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Arm(u32, u64),
        Disarm(u32),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u32..16, 0u64..50).prop_map(|(s, t)| Op::Arm(s, t)),
            (0u32..16).prop_map(Op::Disarm),
            Just(Op::Pop),
        ]
    }

    /// Reference: a plain list of (time, seq, slot), minimum by linear scan.
    fn reference(ops: &[Op]) -> Vec<Option<(SimTime, u64, u32)>> {
        let mut armed: Vec<(SimTime, u64, u32)> = Vec::new();
        let mut out = Vec::new();
        for (seq, op) in ops.iter().enumerate() {
            match *op {
                Op::Arm(slot, t) => {
                    armed.retain(|e| e.2 != slot);
                    armed.push((SimTime(t), seq as u64, slot));
                }
                Op::Disarm(slot) => armed.retain(|e| e.2 != slot),
                Op::Pop => {
                    let min = armed.iter().copied().min();
                    if let Some(m) = min {
                        armed.retain(|e| *e != m);
                    }
                    out.push(min);
                }
            }
        }
        out
    }

    fn run<Q: TimerQueue>(ops: &[Op]) -> Vec<Option<(SimTime, u64, u32)>> {
        let mut q = Q::default();
        let mut out = Vec::new();
        for (seq, op) in ops.iter().enumerate() {
            match *op {
                Op::Arm(slot, t) => q.arm(slot, SimTime(t), seq as u64),
                Op::Disarm(slot) => q.disarm(slot),
                Op::Pop => {
                    let bound = q.peek_bound();
                    let peeked = q.peek();
                    assert_eq!(bound.is_some(), peeked.is_some());
                    assert!(
                        bound <= peeked.map(|(t, s, _)| (t, s)),
                        "the bound must not pass the minimum"
                    );
                    let popped = q.pop();
                    assert_eq!(peeked, popped);
                    out.push(popped);
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn every_timer_queue_matches_the_reference(ops in proptest::collection::vec(op(), 0..300)) {
            let want = reference(&ops);
            prop_assert_eq!(run::<LazyTimers>(&ops), want.clone());
            prop_assert_eq!(run::<PqTimers>(&ops), want.clone());
            prop_assert_eq!(run::<DeferredTimers>(&ops), want);
        }
    }

    #[test]
    fn lazy_heap_stays_bounded_under_resets() {
        let mut q = LazyTimers::default();
        for i in 0..100_000u64 {
            q.arm(0, SimTime(i + 1000), i);
        }
        assert_eq!(q.len(), 1);
        assert!(q.heap.len() <= 65, "heap grew to {}", q.heap.len());
        assert_eq!(q.pop(), Some((SimTime(100_999), 99_999, 0)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn deferred_heap_is_untouched_by_resets_to_a_later_time() {
        let mut q = DeferredTimers::default();
        for i in 0..100_000u64 {
            q.arm(0, SimTime(i + 1000), i);
        }
        assert_eq!(q.len(), 1);
        assert_eq!(q.heap.len(), 1, "a later reset must not push");
        assert_eq!(q.pop(), Some((SimTime(100_999), 99_999, 0)));
        assert_eq!(q.pop(), None);
        assert!(q.heap.is_empty());
    }

    #[test]
    fn deferred_heap_stays_bounded_under_resets_to_an_earlier_time_and_cancels() {
        let mut q = DeferredTimers::default();
        for i in 0..100_000u64 {
            q.arm(0, SimTime(1_000_000 - i), i);
            if i % 3 == 0 {
                q.disarm(1);
            } else {
                q.arm(1, SimTime(2_000_000 - i), i);
            }
        }
        assert_eq!(q.len(), 1 + usize::from(99_999 % 3 != 0));
        assert!(q.heap.len() <= 65, "heap grew to {}", q.heap.len());
        assert_eq!(q.pop(), Some((SimTime(900_001), 99_999, 0)));
        assert_eq!(q.pop(), None);
    }
}
