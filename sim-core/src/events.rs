//! Event queues: the pending messages of a simulation, popped in exact (time, seq) order.
//!
//! `seq` is the kernel's global insertion counter, so the key is unique and the order total:
//! simultaneous events leave in the order they were scheduled. Two implementations with one
//! interface ([`EventQueue`]), so the choice is measured rather than guessed:
//!
//! - [`HeapQueue`]: `std`'s `BinaryHeap` of (time, seq, item). O(log n) per operation; at
//!   50,000 pending events every pop walks ~16 levels of a 2 MB array, one cache miss per
//!   level below the first few.
//! - [`LadderQueue`]: a ladder queue (W. T. Tang, R. S. M. Goh, I. L.-J. Thng, "Ladder
//!   Queue: An O(1) priority queue structure for large-scale discrete event simulation",
//!   ACM TOMACS 15(3), 2005), kept exact on (time, seq). See its doc.
//!
//! Both pop in exactly the same order (property tests in `tests/it/event_queue.rs` check
//! them against a sort, including adversarial patterns), so the choice never changes a run:
//! the catalog's fingerprints are the same with either, and also with the ladder forced on
//! every queue size (`SMALL` = 2, `THRES` = 3).
//!
//! Measured (`cargo xtask bench --only kernel --reps 3`, 2-core VM, load ~1.8, best of two
//! runs; M events/s; "before" is the `BinaryHeap` kernel that also settled the timer queue's
//! top on every event, "after" the ladder with [`crate::timers::TimerQueue::peek_bound`]):
//!
//! | workload | before | after |
//! |---|---:|---:|
//! | ping_pong (queue of 1) | 38.8 | 39.1 |
//! | timer_churn Lazy / Indexed / Deferred, 4 actors, 16 in flight | 16.4 / 19.9 / 20.2 | 20.3 / 18.9 / 25.2 |
//! | same, 100 actors, 1,000 in flight | 14.1 / 12.1 / 14.3 | 19.4 / 14.6 / 23.2 |
//! | same, 1,000 actors, 10,000 in flight | 9.4 / 7.7 / 8.7 | 21.9 / 14.6 / 28.9 |
//! | same, 10,000 actors, 50,000 in flight | 4.2 / 3.5 / 4.0 | 10.6 / 6.5 / 11.7 |
//! | timer_churn Lazy on the heap queue, 10,000 actors (after) | | 4.3 |
//!
//! The 100 MB / 1 % transfer (`--only transfer,transfer_100MB_summary`, six alternating runs
//! at load ~1.7, best): 0.89 M data segments/s before, 0.93 M with the ladder, 0.86 M with
//! the heap in the same build; whole process with `--artifacts summary` 0.165 s / 0.167 s /
//! 0.165 s (its queue stays under `SMALL`, where the ladder is the heap). Peak RSS of
//! timer_churn at 10,000 actors: 12 MB on the heap, 18 MB on the ladder. At 10,000 actors
//! `perf` now puts the cycles in the actors' own state and timer slots (cache misses on
//! 10,000 boxed actors), the trace hash (~15 %) and the ladder's moves (~10 %), no longer
//! in a queue's sift.
//!
//! [`Laned`] puts FIFO lanes beside either queue for the sources that push in time order
//! (links, stacks sending at once); the kernel uses it. 10,000 connections over 100 Gbit/s,
//! one simulated second (`--artifacts summary`): 12.3-13.4 s with the ladder alone, 10.3-10.5 s
//! with lanes (the same machine, alternating runs); timer_churn, whose delays vary, takes no
//! lane and pays the bookkeeping of its pushes (~5 %: 10,000 actors, Lazy 10.8 M events/s).
//!
//! What this does not do: no cancellation of a queued message (the kernel never needs it;
//! timers have their own queues in [`crate::timers`]).

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// A queue of items keyed by (time, seq), where seq is unique and increasing in push order.
pub trait EventQueue<T>: Default {
    /// Queues `item` at (`time`, `seq`). `seq` must exceed every seq pushed before.
    fn push(&mut self, time: SimTime, seq: u64, item: T);
    /// The smallest (time, seq), without removing it (may reorganise the queue).
    fn peek_key(&mut self) -> Option<(SimTime, u64)>;
    /// Removes and returns the item with the smallest (time, seq).
    fn pop(&mut self) -> Option<(SimTime, u64, T)>;
    /// The item that is probably popped next, if the queue can tell without reorganising
    /// (a prefetch hint: it may be wrong when a later push comes first).
    fn likely_next(&self) -> Option<&T>;
    /// Asks the CPU to load the items probably popped after the next one (a hint; by
    /// default nothing).
    fn prefetch_later(&self) {}
    /// How many items are queued.
    fn len(&self) -> usize;
    /// True when nothing is queued.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One queued item. Ordered by (time, seq) reversed, because `BinaryHeap` is a max-heap and
/// the earliest must come out first.
struct Entry<T> {
    time: SimTime,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// `BinaryHeap` of (time, seq, item) (see the module doc).
pub struct HeapQueue<T> {
    heap: BinaryHeap<Entry<T>>,
}

impl<T> Default for HeapQueue<T> {
    fn default() -> Self {
        HeapQueue {
            heap: BinaryHeap::new(),
        }
    }
}

impl<T> EventQueue<T> for HeapQueue<T> {
    #[inline]
    fn push(&mut self, time: SimTime, seq: u64, item: T) {
        self.heap.push(Entry { time, seq, item });
    }
    #[inline]
    fn peek_key(&mut self) -> Option<(SimTime, u64)> {
        self.heap.peek().map(|e| (e.time, e.seq))
    }
    #[inline]
    fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        self.heap.pop().map(|e| (e.time, e.seq, e.item))
    }
    #[inline]
    fn likely_next(&self) -> Option<&T> {
        self.heap.peek().map(|e| &e.item)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// While the queue holds fewer items than this, and nothing sits in the rungs, the run or
/// the top, a push goes straight into the bottom's heap: a small queue is a plain binary
/// heap (why: a queue of 1, as in ping-pong, must cost no more than `BinaryHeap` does).
/// A heap that reaches this size is spilled into the top, and the ladder takes over.
const SMALL: usize = 256;
/// A bucket with more items than this is split into a finer rung instead of being moved
/// into the bottom whole (Tang et al. call it THRES; they use 50).
const THRES: usize = 64;
/// At most this many rungs; a bucket that would need another is moved into the bottom as
/// it is (sorted once; still exact). Eight rungs of ≥ 64 buckets resolve 2^48 ns.
const MAX_RUNGS: usize = 8;

/// One rung: `buckets[i]` holds the items with time in
/// `[start + i·2^shift, start + (i+1)·2^shift)`. Buckets before `cur` are spent.
///
/// Every bucket is in seq order: items enter a bucket either pushed (seq grows with every
/// push) or spread from the top or a coarser bucket, which are in seq order themselves. So
/// a bucket sorted by time *stably* is sorted by (time, seq), and a 1 ns bucket already is.
struct Rung<T> {
    start: u64,
    shift: u32,
    cur: usize,
    count: usize,
    buckets: Vec<Vec<Entry<T>>>,
}

impl<T> Rung<T> {
    /// True if `t` falls in a bucket at or after `cur` (the rung's unspent range); `t` is
    /// known to be below the end of the rung's range.
    #[inline]
    fn covers(&self, t: u64) -> bool {
        t >= self.start && ((t - self.start) >> self.shift) as usize >= self.cur
    }

    #[inline]
    fn put(&mut self, e: Entry<T>, pool: &mut Pool<T>) {
        let i = ((e.time.0 - self.start) >> self.shift) as usize;
        let bucket = &mut self.buckets[i];
        if bucket.capacity() == 0 {
            pool.fit(bucket);
        }
        bucket.push(e);
        self.count += 1;
    }
}

/// Emptied runs kept for buckets that need an allocation (why: without it, malloc, realloc
/// and free took ~12 % of timer_churn at 10,000 actors). Holds at most [`POOL_ITEMS`]
/// items' worth, in allocations of at most [`POOL_MAX_CAP`].
struct Pool<T> {
    vecs: Vec<Vec<Entry<T>>>,
    items: usize,
}

/// Buckets [`LadderQueue::likely_next`] looks through for the next item.
const HINT_BUCKETS: usize = 8;

/// The most item slots the pool keeps.
const POOL_ITEMS: usize = 1 << 16;
/// The largest allocation (in items) the pool keeps.
const POOL_MAX_CAP: usize = 64;

impl<T> Pool<T> {
    #[inline]
    fn fit(&mut self, bucket: &mut Vec<Entry<T>>) {
        match self.vecs.pop() {
            Some(v) => {
                self.items -= v.capacity();
                *bucket = v;
            }
            // Most buckets hold one item (rung 0 is sized so); `Vec`'s first allocation
            // would be room for four.
            None => bucket.reserve_exact(1),
        }
    }

    #[inline]
    fn keep(&mut self, v: Vec<Entry<T>>) {
        let cap = v.capacity();
        if cap > 0 && cap <= POOL_MAX_CAP && self.items + cap <= POOL_ITEMS {
            debug_assert!(v.is_empty());
            self.items += cap;
            self.vecs.push(v);
        }
    }
}

/// A ladder queue kept exact on (time, seq) (see the module doc).
///
/// Three tiers, each holding a contiguous range of time, earliest first:
/// - **bottom**: the earliest items: one bucket's worth, sorted once when it arrives
///   (`run`, popped from its end), plus a binary heap (`heap`) for items pushed into the
///   bottom's range afterwards (zero-delay sends) and for the whole of a small queue;
/// - **rungs**: `rungs[0]` covers `[its cur bucket, top_start)` in buckets of 2^shift ns;
///   each later rung refines one bucket of the rung before it, so `rungs[k+1]` lies wholly
///   before the unspent range of `rungs[k]`;
/// - **top**: an unsorted `Vec` of every item at or after `top_start`.
///
/// A push goes to the tier whose range holds its time: O(1). A pop takes the smaller of
/// the run's and the heap's minimum; when the bottom is empty the last rung's next
/// non-empty bucket becomes the run (or, if it holds more than `THRES` (64) items, is spread
/// over a finer rung), and when the rungs are empty the top becomes rung 0 with about one
/// item per bucket. Each item moves a bounded number of times: O(1) amortised per event.
///
/// Exactness: the tiers hold disjoint time ranges in time order (only `SimTime::MAX`, which
/// cannot be exceeded, may sit both in the top and below it; the top's copies were pushed
/// later, so they still come last), hence the minimum key is in the first non-empty tier,
/// and within the bottom, run and heap are each ordered by (time, seq). A bucket that
/// cannot be split (1 ns wide, or `MAX_RUNGS` (8) reached) becomes the run whole, so the
/// worst case is a sort, never a wrong order.
pub struct LadderQueue<T> {
    /// Sorted by (time, seq), descending: the minimum is last.
    run: Vec<Entry<T>>,
    heap: BinaryHeap<Entry<T>>,
    rungs: Vec<Rung<T>>,
    /// The buckets of spent rungs, by depth, kept for their allocations (why: rung 0 of a
    /// 50,000-item queue has thousands of buckets; re-allocating them on every refill
    /// would cost more than the moves).
    spare: Vec<Vec<Vec<Entry<T>>>>,
    top: Vec<Entry<T>>,
    pool: Pool<T>,
    /// Items at or after this time go to the top.
    top_start: u64,
    top_min: u64,
    top_max: u64,
    len: usize,
}

impl<T> Default for LadderQueue<T> {
    fn default() -> Self {
        LadderQueue {
            run: Vec::new(),
            heap: BinaryHeap::new(),
            rungs: Vec::new(),
            spare: (0..MAX_RUNGS).map(|_| Vec::new()).collect(),
            top: Vec::new(),
            pool: Pool {
                vecs: Vec::new(),
                items: 0,
            },
            top_start: 0,
            top_min: u64::MAX,
            top_max: 0,
            len: 0,
        }
    }
}

impl<T> LadderQueue<T> {
    /// Makes the bottom non-empty if anything is queued.
    #[inline]
    fn settle(&mut self) {
        while self.run.is_empty() && self.heap.is_empty() && self.len > 0 {
            self.refill();
        }
    }

    /// Moves the next bucket (or the top) one step towards the bottom.
    fn refill(&mut self) {
        let Some(rung) = self.rungs.last_mut() else {
            self.take_top();
            return;
        };
        if rung.count == 0 {
            // Spent: every bucket is empty; keep them for the next rung at this depth.
            let spent = self.rungs.pop().expect("last rung");
            let depth = self.rungs.len();
            self.spare[depth] = spent.buckets;
            return;
        }
        while rung.buckets[rung.cur].is_empty() {
            rung.cur += 1;
        }
        let i = rung.cur;
        rung.cur += 1;
        let n = rung.buckets[i].len();
        rung.count -= n;
        let shift = rung.shift;
        // The bucket's last time: start + (i+1)·2^shift - 1, clipped to u64.
        let last = (u128::from(rung.start) + ((i as u128 + 1) << shift) - 1).min(u128::from(u64::MAX)) as u64;
        // Take, not copy; the bucket is left without an allocation (why: a bucket that kept
        // one would keep the largest it ever held, and rung 0 of a large queue has many
        // thousands of buckets: at 10,000 actors that was 65 MB for a 2 MB queue).
        let mut items = std::mem::take(&mut rung.buckets[i]);
        if n > THRES && shift > 0 && self.rungs.len() < MAX_RUNGS {
            let lo = items.iter().map(|e| e.time.0).min().expect("non-empty");
            self.spawn(lo, last, &mut items);
            let spent = std::mem::replace(&mut self.run, items);
            self.pool.keep(spent);
        } else {
            self.set_run(items, shift > 0);
        }
    }

    /// Makes `items` (in seq order) the run: sorted by (time, seq), minimum last.
    fn set_run(&mut self, mut items: Vec<Entry<T>>, mixed_times: bool) {
        items.reverse();
        if mixed_times {
            // Stable: equal times keep their (reversed) seq order.
            items.sort_by_key(|e| std::cmp::Reverse(e.time));
        }
        let spent = std::mem::replace(&mut self.run, items);
        self.pool.keep(spent);
    }

    /// Empties the top into a new rung 0 (or straight into the run if it holds few).
    fn take_top(&mut self) {
        let (lo, hi) = (self.top_min, self.top_max);
        self.top_start = self.top_start.max(hi.saturating_add(1));
        self.top_min = u64::MAX;
        self.top_max = 0;
        // Why the swaps: the top keeps its (large) allocation across epochs instead of
        // growing it again, page fault by page fault, every time it is emptied.
        let mut items = std::mem::take(&mut self.top);
        if items.len() <= THRES {
            self.top = std::mem::take(&mut self.run);
            self.set_run(items, lo < hi);
        } else {
            self.spawn(lo, hi, &mut items);
            self.top = items;
        }
    }

    /// Moves a heap that outgrew [`SMALL`] into the top, in seq order, so that the next
    /// pop builds rung 0 from it (why: left as it is, a heap whose first items reach far
    /// into the future would take every later push, and the queue would stay a heap).
    #[cold]
    fn spill(&mut self) {
        let mut items = std::mem::take(&mut self.heap).into_vec();
        items.sort_unstable_by_key(|e| e.seq);
        for e in &items {
            self.top_min = self.top_min.min(e.time.0);
            self.top_max = self.top_max.max(e.time.0);
        }
        self.top_start = self.top_min;
        self.top = items;
    }

    /// Spreads `items` (in seq order), whose times lie in `[lo, last]`, over a new rung of
    /// about one item per bucket; later pushes into `[lo, last]` land in it too. Leaves
    /// `items` empty, with its allocation.
    fn spawn(&mut self, lo: u64, last: u64, items: &mut Vec<Entry<T>>) {
        let span = u128::from(last - lo) + 1;
        let per_bucket = span.div_ceil(items.len() as u128);
        // The smallest power of two ≥ per_bucket (items.len() > THRES, so shift ≤ 58).
        let shift = if per_bucket <= 1 {
            0
        } else {
            128 - (per_bucket - 1).leading_zeros()
        };
        let nb = ((last - lo) >> shift) as usize + 1;
        let depth = self.rungs.len();
        let mut buckets = std::mem::take(&mut self.spare[depth]);
        if buckets.len() < nb {
            // Buckets past `nb` (from a larger spent rung) stay empty and are never reached.
            buckets.resize_with(nb, Vec::new);
        }
        let mut rung = Rung {
            start: lo,
            shift,
            cur: 0,
            count: 0,
            buckets,
        };
        for e in items.drain(..) {
            rung.put(e, &mut self.pool);
        }
        self.rungs.push(rung);
    }
}

impl<T> EventQueue<T> for LadderQueue<T> {
    #[inline]
    fn push(&mut self, time: SimTime, seq: u64, item: T) {
        let e = Entry { time, seq, item };
        let t = time.0;
        self.len += 1;
        if self.rungs.is_empty() && self.top.is_empty() && self.run.is_empty() {
            // The heap is the whole queue.
            if self.heap.len() < SMALL {
                // Small queue: a plain heap. The bottom's range now reaches t.
                self.top_start = self.top_start.max(t.saturating_add(1));
                self.heap.push(e);
                return;
            }
            self.spill();
        }
        if t >= self.top_start {
            self.top_min = self.top_min.min(t);
            self.top_max = self.top_max.max(t);
            self.top.push(e);
            return;
        }
        for rung in &mut self.rungs {
            if rung.covers(t) {
                rung.put(e, &mut self.pool);
                return;
            }
        }
        self.heap.push(e);
    }

    #[inline]
    fn peek_key(&mut self) -> Option<(SimTime, u64)> {
        self.settle();
        let run = self.run.last().map(|e| (e.time, e.seq));
        let heap = self.heap.peek().map(|e| (e.time, e.seq));
        match (run, heap) {
            (Some(r), Some(h)) => Some(r.min(h)),
            (r, h) => r.or(h),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        self.settle();
        let from_run = match (self.run.last(), self.heap.peek()) {
            (Some(r), Some(h)) => (r.time, r.seq) < (h.time, h.seq),
            (r, _) => r.is_some(),
        };
        let e = if from_run { self.run.pop() } else { self.heap.pop() }?;
        self.len -= 1;
        Some((e.time, e.seq, e.item))
    }

    /// The bucket after the last rung's next non-empty one: its items' memory (written when
    /// they were pushed, long ago in a large queue) is loaded while the next item is handled,
    /// so that reading the next item's own message (`likely_next`) does not wait for it.
    #[inline]
    fn prefetch_later(&self) {
        let Some(rung) = self.rungs.last() else { return };
        let mut non_empty = rung.buckets[rung.cur.min(rung.buckets.len())..]
            .iter()
            .take(HINT_BUCKETS)
            .filter(|b| !b.is_empty());
        // The first one is the next's, unless the bottom holds it.
        let skip = usize::from(self.run.is_empty() && self.heap.is_empty());
        if let Some(b) = non_empty.nth(skip) {
            crate::prefetch::read_lines(b.as_ptr(), std::mem::size_of::<Entry<T>>().div_ceil(64));
        }
    }

    #[inline]
    fn likely_next(&self) -> Option<&T> {
        match (self.run.last(), self.heap.peek()) {
            (Some(r), Some(h)) if (h.time, h.seq) < (r.time, r.seq) => Some(&h.item),
            (Some(r), _) => Some(&r.item),
            (None, Some(h)) => Some(&h.item),
            // The bottom is empty: the next is in the last rung's next non-empty bucket (why
            // look there: rung 0 is sized for about one item per bucket, so the run is mostly
            // a single item and empty after each pop). Only a bucket of one item is sure to
            // hold it; a few buckets are looked at, no more.
            (None, None) => {
                let rung = self.rungs.last().filter(|r| r.count > 0)?;
                let bucket = rung.buckets[rung.cur..]
                    .iter()
                    .take(HINT_BUCKETS)
                    .find(|b| !b.is_empty())?;
                match bucket.as_slice() {
                    [only] => Some(&only.item),
                    _ => None,
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// The most FIFO lanes a [`Laned`] queue keeps.
pub const MAX_LANES: usize = 8;
/// Pushes a source makes before it may get a lane (why: a source that sends once, such as
/// one of ten thousand applications, must not take a lane from a link that sends millions).
pub const LANE_AFTER: u32 = 256;
/// Of the [`LANE_AFTER`] pushes that earn a lane, at most this many may be earlier than the
/// source's push before (why: a lane takes only pushes in time order; a source whose delays
/// vary would send most of its items around its lane and cost a lane's checks for nothing).
pub const LANE_OUT_OF_ORDER: u32 = LANE_AFTER / 64;
/// How far ahead in a lane [`Laned::prefetch_later`] loads entries.
const LANE_AHEAD: usize = 8;
/// No lane (in [`Laned::lane_of`]).
const NO_LANE: u8 = u8::MAX;

/// A queue `Q` with FIFO lanes beside it: the items a busy source pushes in time order (a
/// link delivering packets after its delay, a stack sending at once) are appended to the
/// source's lane, a `VecDeque`, and leave from its front; every other item goes to `Q`.
/// A pop takes the smallest (time, seq) among the lanes' fronts and `Q`'s minimum.
///
/// Exact: a lane only takes an item no earlier than its last one (seq grows with every push),
/// so each lane is in (time, seq) order, as `Q` is; the minimum of the minima is the
/// minimum. A source's items may be split between its lane and `Q` (an out-of-order push
/// goes to `Q`), which changes nothing. Why lanes: at 10,000 connections most events are a
/// link's deliveries scheduled a delay ahead; in a ladder each moved three or four times
/// (top, rung, bucket, run), its bucket reallocated as it grew, all in memory gone cold,
/// while a lane writes and reads them in sequence, once.
///
/// Lanes go to the first [`MAX_LANES`] sources that push [`LANE_AFTER`] items with at most
/// [`LANE_OUT_OF_ORDER`] of them out of time order, and stay theirs.
pub struct Laned<T, Q: EventQueue<T>> {
    queue: Q,
    lanes: Vec<VecDeque<Entry<T>>>,
    /// Each lane's front key ((u64::MAX, u64::MAX) when empty), compared without touching
    /// the lanes' memory.
    fronts: [(u64, u64); MAX_LANES],
    /// The lane of each source (by source id), or [`NO_LANE`].
    lane_of: Vec<u8>,
    /// What each source without a lane pushed, while lanes are free.
    seen: Vec<Pushes>,
    in_lanes: usize,
    /// The lane popped last.
    popped: usize,
    /// Where the next item is, if known since the last push ([`Next`]).
    next: Option<Next>,
}

/// A source's recent pushes (see [`LANE_AFTER`]).
#[derive(Clone, Copy, Default)]
struct Pushes {
    count: u32,
    out_of_order: u32,
    last: u64,
}

/// Where the next item is.
#[derive(Clone, Copy)]
enum Next {
    Lane(usize),
    Queue,
}

impl<T, Q: EventQueue<T>> Laned<T, Q> {
    /// `queue` with lanes beside it.
    pub fn new(queue: Q) -> Self {
        Laned {
            queue,
            lanes: Vec::new(),
            fronts: [(u64::MAX, u64::MAX); MAX_LANES],
            lane_of: Vec::new(),
            seen: Vec::new(),
            in_lanes: 0,
            popped: 0,
            next: None,
        }
    }

    /// Queues `item` at (`time`, `seq`), pushed by `source` (`None`: from outside).
    #[inline]
    pub fn push(&mut self, time: SimTime, seq: u64, source: Option<u32>, item: T) {
        self.next = None;
        if let Some(s) = source
            && let Some(lane) = self.lane(s as usize, time.0)
        {
            let l = &mut self.lanes[lane];
            if l.back().is_none_or(|b| b.time <= time) {
                if l.is_empty() {
                    self.fronts[lane] = (time.0, seq);
                }
                l.push_back(Entry { time, seq, item });
                self.in_lanes += 1;
                return;
            }
        }
        self.queue.push(time, seq, item);
    }

    /// The lane of `source`, which pushes at `time`, giving it one if it has earned one and
    /// one is free.
    #[inline]
    fn lane(&mut self, source: usize, time: u64) -> Option<usize> {
        match self.lane_of.get(source) {
            Some(&l) if l != NO_LANE => return Some(usize::from(l)),
            _ if self.lanes.len() == MAX_LANES => return None,
            _ => {}
        }
        if source >= self.lane_of.len() {
            self.lane_of.resize(source + 1, NO_LANE);
            self.seen.resize(source + 1, Pushes::default());
        }
        let p = &mut self.seen[source];
        p.count += 1;
        p.out_of_order += u32::from(time < p.last);
        p.last = time;
        if p.count < LANE_AFTER {
            return None;
        }
        if p.out_of_order > LANE_OUT_OF_ORDER {
            // Judged again on its next pushes.
            *p = Pushes {
                last: time,
                ..Pushes::default()
            };
            return None;
        }
        self.lanes.push(VecDeque::new());
        let lane = self.lanes.len() - 1;
        self.lane_of[source] = lane as u8;
        Some(lane)
    }

    /// The lane whose front is the smallest, and that front's key.
    #[inline]
    fn first_lane(&self) -> Option<(usize, (u64, u64))> {
        if self.in_lanes == 0 {
            return None;
        }
        let mut best = 0;
        for k in 1..self.lanes.len() {
            if self.fronts[k] < self.fronts[best] {
                best = k;
            }
        }
        Some((best, self.fronts[best]))
    }

    /// Where the next item is: `Some(lane)`, or `None` for the queue (or nothing queued).
    #[inline]
    fn next_source(&mut self) -> Option<usize> {
        let next = match self.next {
            Some(n) => n,
            None => {
                let n = match self.first_lane() {
                    None => Next::Queue,
                    Some(lane) => match self.queue.peek_key() {
                        Some((t, s)) if (t.0, s) < lane.1 => Next::Queue,
                        _ => Next::Lane(lane.0),
                    },
                };
                self.next = Some(n);
                n
            }
        };
        match next {
            Next::Lane(l) => Some(l),
            Next::Queue => None,
        }
    }

    /// The smallest (time, seq), without removing it.
    #[inline]
    pub fn peek_key(&mut self) -> Option<(SimTime, u64)> {
        match self.next_source() {
            Some(lane) => {
                let (t, s) = self.fronts[lane];
                Some((SimTime(t), s))
            }
            None => self.queue.peek_key(),
        }
    }

    /// Removes and returns the item with the smallest (time, seq).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        let source = self.next_source();
        self.next = None;
        let Some(lane) = source else {
            return self.queue.pop();
        };
        let l = &mut self.lanes[lane];
        let e = l.pop_front().expect("a front");
        self.fronts[lane] = l.front().map_or((u64::MAX, u64::MAX), |f| (f.time.0, f.seq));
        self.in_lanes -= 1;
        self.popped = lane;
        Some((e.time, e.seq, e.item))
    }

    /// The item popped next unless a push comes first (a prefetch hint; may settle `Q`).
    #[inline]
    pub fn likely_next(&mut self) -> Option<&T> {
        match self.next_source() {
            Some(lane) => self.lanes[lane].front().map(|e| &e.item),
            None => self.queue.likely_next(),
        }
    }

    /// See [`EventQueue::prefetch_later`]; also loads the entries [`LANE_AHEAD`] places
    /// after the front of the lane popped last (why: they were written a link's delay ago,
    /// and reading each lane's next front was a cache miss on most events).
    #[inline]
    pub fn prefetch_later(&self) {
        self.queue.prefetch_later();
        if let Some(e) = self.lanes.get(self.popped).and_then(|l| l.get(LANE_AHEAD)) {
            crate::prefetch::read_lines(e as *const Entry<T>, std::mem::size_of::<Entry<T>>().div_ceil(64));
        }
    }

    /// The item `k` places after the front of the lane popped last, if any (for prefetching
    /// what it refers to: its entry was loaded [`LANE_AHEAD`] pops before).
    #[inline]
    pub fn later(&self, k: usize) -> Option<&T> {
        self.lanes.get(self.popped)?.get(k).map(|e| &e.item)
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.queue.len() + self.in_lanes
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod lane_tests {
    use super::*;

    fn laned() -> Laned<u32, LadderQueue<u32>> {
        Laned::new(LadderQueue::default())
    }

    /// Ten thousand sources that push once each take no lane; a source that pushes
    /// `LANE_AFTER` times gets one, and its later items in time order go to it.
    #[test]
    fn a_lane_goes_to_a_busy_source_not_to_the_first_ones() {
        let mut q = laned();
        let mut seq = 0;
        for s in 0..10_000u32 {
            q.push(SimTime(5), seq, Some(s), s);
            seq += 1;
        }
        assert!(q.lanes.is_empty());
        for k in 0..LANE_AFTER + 10 {
            q.push(SimTime(10 + u64::from(k)), seq, Some(20_000), k);
            seq += 1;
        }
        assert_eq!(q.lane_of[20_000], 0);
        assert_eq!(q.in_lanes, 11, "the pushes from the one that gave it the lane on");
        // Out of order: around the lane.
        q.push(SimTime(7), seq, Some(20_000), 7);
        assert_eq!(q.in_lanes, 11);
        assert_eq!(q.len(), 10_000 + LANE_AFTER as usize + 11);
    }

    /// A busy source whose pushes are often out of time order (varying delays) gets no lane;
    /// when it settles into order it gets one.
    #[test]
    fn a_source_out_of_time_order_gets_no_lane_until_it_keeps_order() {
        let mut q = laned();
        let mut seq = 0;
        for k in 0..4 * u64::from(LANE_AFTER) {
            let jitter = if k % 8 == 0 { 0 } else { 50 };
            q.push(SimTime(1_000 + 10 * k + jitter), seq, Some(3), 0);
            seq += 1;
        }
        assert!(q.lanes.is_empty(), "one push in eight is out of order");
        for k in 0..2 * u64::from(LANE_AFTER) {
            q.push(SimTime(100_000 + k), seq, Some(3), 0);
            seq += 1;
        }
        assert_eq!(q.lane_of[3], 0);
    }

    /// Lanes are given to the first `MAX_LANES` busy sources and kept: a ninth busy source
    /// goes through the queue.
    #[test]
    fn no_more_than_max_lanes_are_given() {
        let mut q = laned();
        let mut seq = 0;
        for s in 0..=MAX_LANES as u32 {
            for _ in 0..LANE_AFTER {
                q.push(SimTime(seq), seq, Some(s), s);
                seq += 1;
            }
        }
        assert_eq!(q.lanes.len(), MAX_LANES);
        assert_eq!(q.lane_of.get(MAX_LANES).copied().unwrap_or(NO_LANE), NO_LANE);
    }
}
