//! A radix heap: the kernel's message queue.
//!
//! A discrete-event queue is *monotone*: nothing is ever scheduled before the event being
//! dispatched, so every key pushed is at least the last key popped. A radix heap exploits
//! that (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for the shortest path
//! problem", 1990): an element lives in the bucket numbered by the highest bit in which its
//! key differs from the last popped key. Push is an append; pop empties the lowest
//! non-empty bucket into lower ones around its minimum, and an element only ever moves to a
//! lower bucket, so it moves at most 128 times and in practice a few. Buckets are plain
//! vectors, read front to back: unlike a binary heap of tens of thousands of events
//! (a cache miss per level on every pop), the cost hardly grows with the number of events
//! pending — what many connections or many actors need.
//!
//! Why the same order as before: keys are (time, insertion seq), unique, so every correct
//! priority queue pops them in the same order; the queue changes speed, never a run (the
//! catalog fingerprints check it, and a property test compares it with `BinaryHeap`).
//!
//! A key below the last popped one (only possible through misuse: the kernel refuses to
//! schedule into the past) is still handled correctly, by re-bucketing everything.

use crate::time::SimTime;

/// A (time, seq) pair as one key, ordered as the pair is.
pub(crate) fn key(time: SimTime, seq: u64) -> u128 {
    (u128::from(time.0) << 64) | u128::from(seq)
}

/// The (time, seq) of a [`key`].
pub(crate) fn key_parts(key: u128) -> (SimTime, u64) {
    (SimTime((key >> 64) as u64), key as u64)
}

/// Number of buckets: bucket 0 holds keys equal to the last popped key, bucket `b > 0` keys
/// whose highest bit differing from it is bit `b - 1`.
const BUCKETS: usize = 129;

/// A min-queue of `(key, item)` with unique, (almost always) monotone `u128` keys.
pub(crate) struct RadixQueue<T> {
    buckets: Vec<Vec<(u128, T)>>,
    /// Bit `b` set when bucket `b` is non-empty (bucket 128 in `top`): the lowest non-empty
    /// bucket is one `trailing_zeros` away, not a scan of 129 vectors.
    occupied: u128,
    top: bool,
    /// The last popped key (the reference the buckets are numbered against).
    last: u128,
    /// The current minimum key and where it is (bucket, index), if known: kept across
    /// pushes (an append moves nothing), forgotten when elements move or leave.
    min_at: Option<(u128, usize, usize)>,
    len: usize,
}

impl<T> Default for RadixQueue<T> {
    fn default() -> Self {
        RadixQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            top: false,
            last: 0,
            min_at: None,
            len: 0,
        }
    }
}

fn bucket(key: u128, last: u128) -> usize {
    (u128::BITS - (key ^ last).leading_zeros()) as usize
}

impl<T> RadixQueue<T> {
    /// Files an element; returns its (bucket, index).
    fn put(&mut self, key: u128, item: T) -> (usize, usize) {
        let b = bucket(key, self.last);
        self.buckets[b].push((key, item));
        if b < 128 {
            self.occupied |= 1 << b;
        } else {
            self.top = true;
        }
        (b, self.buckets[b].len() - 1)
    }

    /// The lowest non-empty bucket (the queue is not empty).
    fn lowest(&self) -> usize {
        if self.occupied != 0 {
            self.occupied.trailing_zeros() as usize
        } else {
            debug_assert!(self.top);
            128
        }
    }

    fn emptied(&mut self, b: usize) {
        if b < 128 {
            self.occupied &= !(1 << b);
        } else {
            self.top = false;
        }
    }

    /// Elements queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Queues `item` under `key`.
    pub(crate) fn push(&mut self, key: u128, item: T) {
        if key < self.last {
            self.rebase();
        }
        let (b, i) = self.put(key, item);
        self.len += 1;
        if self.len == 1 || self.min_at.is_some_and(|(m, _, _)| key < m) {
            self.min_at = Some((key, b, i));
        }
    }

    /// The smallest key and its element, without removing it (nor moving anything: the
    /// reference only advances on pop, so pushes after a peek stay monotone).
    pub(crate) fn peek(&mut self) -> Option<(u128, &T)> {
        if self.len == 0 {
            return None;
        }
        let (k, b, i) = match self.min_at {
            Some(m) => m,
            None => {
                let b = self.lowest();
                let (i, k) = self.buckets[b]
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (i, *k))
                    .min_by_key(|&(_, k)| k)
                    .expect("the lowest occupied bucket is not empty");
                self.min_at = Some((k, b, i));
                (k, b, i)
            }
        };
        Some((k, &self.buckets[b][i].1))
    }

    /// The smallest key, without removing it.
    pub(crate) fn peek_key(&mut self) -> Option<u128> {
        self.peek().map(|(k, _)| k)
    }

    /// Removes and returns the element with the smallest key.
    pub(crate) fn pop(&mut self) -> Option<(u128, T)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = self.lowest();
            let mut items = std::mem::take(&mut self.buckets[i]);
            self.emptied(i);
            self.last = match self.min_at {
                Some((m, _, _)) => m,
                None => items.iter().map(|(k, _)| *k).min().expect("non-empty bucket"),
            };
            // Every element of bucket i agrees with the old reference above bit i - 1 and
            // is at least the new one, so it lands in a bucket below i.
            for (k, item) in items.drain(..) {
                self.put(k, item);
            }
            // The emptied bucket keeps its allocation for the next time it fills.
            self.buckets[i] = items;
        }
        let out = self.buckets[0].pop().expect("the minimum is in bucket 0");
        if self.buckets[0].is_empty() {
            self.emptied(0);
        }
        self.len -= 1;
        self.min_at = None;
        Some(out)
    }

    /// Re-buckets every element against reference 0 (after a key below the reference).
    fn rebase(&mut self) {
        let all: Vec<(u128, T)> = self.buckets.iter_mut().flat_map(std::mem::take).collect();
        self.occupied = 0;
        self.top = false;
        self.last = 0;
        self.min_at = None;
        for (k, item) in all {
            self.put(k, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Against `BinaryHeap` on a monotone event schedule: each step pops the minimum, then
        /// pushes events at or after it (as a kernel dispatching an event schedules more),
        /// sometimes with no pop in between, sometimes peeking first.
        #[test]
        fn pops_in_binary_heap_order(steps in prop::collection::vec((0u64..3, 0u64..1000, any::<bool>()), 1..400)) {
            let mut radix = RadixQueue::default();
            let mut heap = BinaryHeap::new();
            let mut seq = 0u64;
            let mut now = 0u64;
            for (pushes, delay, pop) in steps {
                for _ in 0..pushes {
                    let key = (u128::from(now + delay) << 64) | u128::from(seq);
                    seq += 1;
                    radix.push(key, seq);
                    heap.push(Reverse((key, seq)));
                    prop_assert_eq!(radix.peek_key(), heap.peek().map(|r| r.0.0));
                }
                if pop {
                    let want = heap.pop().map(|r| r.0);
                    prop_assert_eq!(radix.pop(), want);
                    if let Some((k, _)) = want {
                        now = (k >> 64) as u64;
                    }
                }
                prop_assert_eq!(radix.len(), heap.len());
            }
            while let Some(Reverse(want)) = heap.pop() {
                prop_assert_eq!(radix.peek_key(), Some(want.0));
                prop_assert_eq!(radix.pop(), Some(want));
            }
            prop_assert_eq!(radix.pop(), None);
        }
    }

    #[test]
    fn a_key_below_the_last_popped_one_is_still_ordered() {
        let mut q = RadixQueue::default();
        q.push(100, 'a');
        q.push(200, 'b');
        assert_eq!(q.pop(), Some((100, 'a')));
        q.push(50, 'c');
        q.push(150, 'd');
        assert_eq!(q.peek_key(), Some(50));
        assert_eq!(q.pop(), Some((50, 'c')));
        assert_eq!(q.pop(), Some((150, 'd')));
        assert_eq!(q.pop(), Some((200, 'b')));
        assert_eq!(q.pop(), None);
    }
}
