//! The event queues pop in exact (time, insertion seq) order, the kernel's dispatch contract,
//! whatever the pattern of times: checked against a sort, for every [`EventQueueKind`]'s
//! queue, on random interleavings and on patterns built to break a bucketed queue.

use proptest::prelude::*;
use sim_core::events::{EventQueue, HeapQueue, LadderQueue, Laned};
use sim_core::workloads::{ping_pong, ping_pong_with, timer_churn, timer_churn_with};
use sim_core::{EventQueueKind, SimTime, TimerQueueKind};

/// One step of a script: push at `now + delay`, or pop.
#[derive(Clone, Debug)]
enum Op {
    Push(u64),
    Pop,
}

/// Runs `ops` on queue `Q` the way the kernel does (a push is never before the last popped
/// time; peek before pop) and returns the popped (time, seq) keys, checking each item, and
/// that the prefetch hint (`likely_next`), when given and nothing was pushed since, named the
/// item popped next.
fn popped<Q: EventQueue<u64>>(ops: &[Op]) -> Vec<(SimTime, u64)> {
    let mut q = Q::default();
    let (mut now, mut seq, mut out) = (0u64, 0u64, Vec::new());
    let mut hint = None;
    for op in ops {
        match *op {
            Op::Push(delay) => {
                let t = now.saturating_add(delay);
                q.push(SimTime(t), seq, seq);
                seq += 1;
                hint = None;
            }
            Op::Pop => {
                let peeked = q.peek_key();
                let got = q.pop();
                assert_eq!(peeked, got.map(|(t, s, _)| (t, s)));
                if let (Some(h), Some((_, s, _))) = (hint, got) {
                    assert_eq!(h, s, "the hint named the next item");
                }
                hint = q.likely_next().copied();
                if let Some((t, s, item)) = got {
                    assert_eq!(item, s, "the item travels with its key");
                    now = t.0;
                    out.push((t, s));
                }
            }
        }
    }
    assert_eq!(
        q.len(),
        ops.iter().filter(|o| matches!(o, Op::Push(_))).count() - out.len()
    );
    out
}

/// Reference: a plain list, minimum by (time, seq).
fn reference(ops: &[Op]) -> Vec<(SimTime, u64)> {
    let mut pending: Vec<(SimTime, u64)> = Vec::new();
    let (mut now, mut seq, mut out) = (0u64, 0u64, Vec::new());
    for op in ops {
        match *op {
            Op::Push(delay) => {
                pending.push((SimTime(now.saturating_add(delay)), seq));
                seq += 1;
            }
            Op::Pop => {
                if let Some(i) = (0..pending.len()).min_by_key(|&i| pending[i]) {
                    let k = pending.swap_remove(i);
                    now = k.0.0;
                    out.push(k);
                }
            }
        }
    }
    out
}

/// Pushes every delay, then pops everything.
fn fill_then_drain(delays: impl IntoIterator<Item = u64>) -> Vec<Op> {
    let mut ops: Vec<Op> = delays.into_iter().map(Op::Push).collect();
    ops.extend(std::iter::repeat_n(Op::Pop, ops.len() + 1));
    ops
}

fn assert_every_queue_matches_the_reference(ops: &[Op]) {
    let want = reference(ops);
    assert_eq!(popped::<HeapQueue<u64>>(ops), want, "HeapQueue");
    assert_eq!(popped::<LadderQueue<u64>>(ops), want, "LadderQueue");
}

/// Runs `ops` on a laned ladder as [`popped`] runs a queue; each push comes from
/// `sources[k]` (cycled), `None` being from outside.
fn popped_laned(ops: &[Op], sources: &[Option<u32>]) -> Vec<(SimTime, u64)> {
    let mut q: Laned<u64, LadderQueue<u64>> = Laned::new(LadderQueue::default());
    let (mut now, mut seq, mut out) = (0u64, 0u64, Vec::new());
    let mut from = sources.iter().cycle();
    for op in ops {
        match *op {
            Op::Push(delay) => {
                q.push(SimTime(now.saturating_add(delay)), seq, *from.next().unwrap(), seq);
                seq += 1;
            }
            Op::Pop => {
                let peeked = q.peek_key();
                let hint = q.likely_next().copied();
                let got = q.pop();
                assert_eq!(peeked, got.map(|(t, s, _)| (t, s)));
                assert_eq!(hint, got.map(|(_, s, _)| s), "the hint names the next item");
                if let Some((t, s, item)) = got {
                    assert_eq!(item, s, "the item travels with its key");
                    now = t.0;
                    out.push((t, s));
                }
            }
        }
    }
    assert_eq!(q.len(), seq as usize - out.len());
    out
}

fn op(max_delay: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..=max_delay).prop_map(Op::Push),
        2 => Just(Op::Pop),
    ]
}

/// Delays spread over 12 orders of magnitude: 10^k · m ns for k in 0..12.
fn wide_delay() -> impl Strategy<Value = u64> {
    (0u32..13, 0u64..10).prop_map(|(k, m)| 10u64.pow(k) * m)
}

proptest! {
    /// Random interleavings of pushes and pops over a narrow time range (many equal times).
    #[test]
    fn every_event_queue_pops_in_time_then_insertion_order(ops in proptest::collection::vec(op(40), 0..3000)) {
        assert_every_queue_matches_the_reference(&ops);
    }

    /// The same with delays spread over 12 orders of magnitude, long enough scripts that the
    /// ladder builds and spends several rungs.
    #[test]
    fn every_event_queue_keeps_order_across_twelve_orders_of_magnitude(
        ops in proptest::collection::vec(prop_oneof![3 => wide_delay().prop_map(Op::Push), 2 => Just(Op::Pop)], 0..4000)
    ) {
        assert_every_queue_matches_the_reference(&ops);
    }
}

proptest! {
    /// Lanes beside the ladder: sources that push often get lanes (more sources than lanes),
    /// their pushes in time order go to them, others (and out-of-order ones) to the ladder;
    /// the pops are the reference's.
    #[test]
    fn a_laned_queue_pops_in_time_then_insertion_order(
        ops in proptest::collection::vec(op(40), 0..6000),
        sources in proptest::collection::vec(prop_oneof![1 => Just(None), 6 => (0u32..12).prop_map(Some)], 1..40),
    ) {
        prop_assert_eq!(popped_laned(&ops, &sources), reference(&ops));
    }
}

/// Busy sources that push in time order (a link, a stack sending at once) fill their lanes,
/// a busy one that does not (a jittery sender) splits between its lane and the ladder, and
/// the order is still exact, across far more pushes than lanes need to be given.
#[test]
fn busy_sources_in_and_out_of_order_keep_the_order() {
    let mut ops = Vec::new();
    for k in 0..30_000u64 {
        // Source k % 12: steady delays for even sources, jumping ones for odd sources.
        let delay = if k % 2 == 0 { 1_000 } else { (k * 7_919) % 3_000 };
        ops.push(Op::Push(delay));
        if k % 3 != 0 {
            ops.push(Op::Pop);
        }
    }
    ops.extend(std::iter::repeat_n(Op::Pop, 30_000));
    let sources: Vec<Option<u32>> = (0..12).map(Some).collect();
    assert_eq!(popped_laned(&ops, &sources), reference(&ops));
}

#[test]
fn all_events_at_one_time_leave_in_insertion_order() {
    assert_every_queue_matches_the_reference(&fill_then_drain(std::iter::repeat_n(0, 5_000)));
    // Pushed while draining, still at the same instant: behind everything already queued.
    let mut ops = fill_then_drain(std::iter::repeat_n(7, 3_000));
    for i in 0..3_000 {
        ops.insert(3_000 + 2 * i, Op::Push(0));
    }
    assert_every_queue_matches_the_reference(&ops);
}

#[test]
fn times_at_both_ends_of_the_clock_keep_their_order() {
    // Clusters at 0, near 2^32 and at the very end of u64 time (SimTime::MAX and just below):
    // the ladder's bucket arithmetic must neither overflow nor merge them.
    let delays = (0..2_000u64).flat_map(|i| [i % 3, (1 << 32) + i, u64::MAX - (i % 5), u64::MAX]);
    assert_every_queue_matches_the_reference(&fill_then_drain(delays));
}

#[test]
fn a_queue_that_grows_to_a_million_and_drains_keeps_its_order() {
    // Pseudo-random delays (LCG) over six orders of magnitude, then a drain during which
    // every other pop schedules a new event close to now (a churning tail).
    let mut x = 1u64;
    let mut delay = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % 1_000_000
    };
    let mut ops: Vec<Op> = (0..1_000_000).map(|_| Op::Push(delay())).collect();
    for i in 0..1_200_000 {
        ops.push(Op::Pop);
        if i % 2 == 0 && i < 400_000 {
            ops.push(Op::Push(delay() % 1_000));
        }
    }
    let want = reference_sorted(&ops);
    assert_eq!(popped::<LadderQueue<u64>>(&ops), want, "LadderQueue");
    assert_eq!(popped::<HeapQueue<u64>>(&ops), want, "HeapQueue");
}

/// The reference for long scripts: a `BTreeSet` of keys instead of a linear scan.
fn reference_sorted(ops: &[Op]) -> Vec<(SimTime, u64)> {
    let mut pending = std::collections::BTreeSet::new();
    let (mut now, mut seq, mut out) = (0u64, 0u64, Vec::new());
    for op in ops {
        match *op {
            Op::Push(delay) => {
                pending.insert((SimTime(now.saturating_add(delay)), seq));
                seq += 1;
            }
            Op::Pop => {
                if let Some(k) = pending.pop_first() {
                    now = k.0.0;
                    out.push(k);
                }
            }
        }
    }
    out
}

#[test]
fn every_event_queue_gives_the_same_run() {
    for (actors, in_flight) in [(4, 16), (50, 2_000), (1_000, 10_000)] {
        let want = timer_churn(actors, in_flight, 60_000, TimerQueueKind::Lazy);
        for queue in EventQueueKind::ALL {
            for timers in TimerQueueKind::ALL {
                assert_eq!(
                    timer_churn_with(actors, in_flight, 60_000, timers, queue),
                    want,
                    "{queue:?} {timers:?} actors={actors}"
                );
            }
        }
    }
    for queue in EventQueueKind::ALL {
        assert_eq!(ping_pong_with(10_000, queue), ping_pong(10_000), "{queue:?}");
    }
}
