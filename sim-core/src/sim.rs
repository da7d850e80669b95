//! The simulation: actors, the event queue, timers, limits, and the dispatch loop.

use crate::events::{EventQueue, HeapQueue, LadderQueue, Laned};
use crate::rng::RngStream;
use crate::time::{SimDuration, SimTime};
use crate::timers::{DeferredTimers, LazyTimers, PqTimers, TimerQueue};
use crate::trace::{Dispatch, RunTrace, TraceEvent, TraceSink, Tracer};
use std::any::Any;
use std::fmt;

/// Identifies an actor within one simulation (its index, in the order actors were added).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub u32);

/// A handle on one armed timer. Handles are never reused: a handle whose timer fired or was
/// cancelled stays dead (its generation no longer matches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    slot: u32,
    generation: u32,
}

/// A message type that the kernel can fold into the trace.
pub trait Message: 'static {
    /// A small stable number naming the message's variant.
    fn kind(&self) -> u16;
    /// A compact summary of the message (e.g. sequence number and length) folded into the
    /// fingerprint. Two messages that a model treats differently should digest differently.
    fn digest(&self) -> [u64; 2] {
        [0, 0]
    }
    /// Asks the CPU to start loading what handling this message will read first (e.g. a
    /// boxed payload), called while the event before it is handled. A hint only: it never
    /// changes a run.
    #[inline]
    fn prefetch(&self) {}
}

impl Message for u64 {
    fn kind(&self) -> u16 {
        1
    }
    fn digest(&self) -> [u64; 2] {
        [*self, 0]
    }
}

impl Message for () {
    fn kind(&self) -> u16 {
        0
    }
}

/// A model: handles the messages and timers delivered to it, at their time.
///
/// Actors read time and schedule work only through [`Ctx`]; randomness comes from
/// [`RngStream`]s they were handed when built. They own no clock and no global state.
pub trait Actor<M: Message>: Any {
    /// Called once, at the start of the first run, in the order actors were added.
    fn start(&mut self, _ctx: &mut Ctx<'_, M>) {}
    /// A message arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: Option<ActorId>, msg: M);
    /// One of this actor's timers fired, with the tag it was set with.
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, M>, _timer: TimerId, _tag: u64) {}
}

/// Limits that end a runaway run with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// No event after this simulated time is dispatched.
    pub max_time: Option<SimTime>,
    /// No more than this many events are dispatched.
    pub max_events: Option<u64>,
}

impl Default for Limits {
    /// One hour of simulated time and one billion events.
    fn default() -> Self {
        Limits {
            max_time: Some(SimTime(3_600 * 1_000_000_000)),
            max_events: Some(1_000_000_000),
        }
    }
}

/// Why a run ended without error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// No events remained.
    Idle,
    /// An actor called [`Ctx::stop`].
    Stopped,
    /// `run_until`'s time was reached with events still pending.
    Paused,
    /// [`Simulation::run_until_within`] handled its budget of events and paused between two
    /// event times: every event at or before [`Simulation::now`] is handled, none after it
    /// (the state `run_until(now)` leaves); the run can be continued.
    BudgetSpent,
}

/// Why a run ended with an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The next event lies beyond the time limit.
    #[error(
        "simulated-time limit {limit} reached at event {events}: the next event is at {next}, {pending} events pending"
    )]
    TimeLimit {
        /// The limit.
        limit: SimTime,
        /// When the next pending event would have run.
        next: SimTime,
        /// Events dispatched so far.
        events: u64,
        /// Messages and timers still pending.
        pending: usize,
    },
    /// The event budget is spent.
    #[error("event limit {limit} reached at {now}: {pending} events still pending")]
    EventLimit {
        /// The limit.
        limit: u64,
        /// The simulated time when it was reached.
        now: SimTime,
        /// Messages and timers still pending.
        pending: usize,
    },
    /// A model ended the run, e.g. on an invariant violation.
    #[error("{actor} failed at {time}: {message}")]
    Model {
        /// The name of the actor that failed.
        actor: String,
        /// When.
        time: SimTime,
        /// What went wrong, in the model's words.
        message: String,
    },
}

/// A queued message: who gets it, from whom. The event queue keys it by (time, seq): seq is
/// a global insertion counter shared with timers, because no queue is FIFO on equal keys by
/// itself and simultaneous events must run in the order they were scheduled.
struct Delivery<M> {
    to: ActorId,
    /// The sender's id, or [`OUTSIDE`] (why not an `Option`: 4 bytes, not 8, in every queued
    /// event).
    from: u32,
    msg: M,
}

/// [`Delivery::from`] of a message scheduled from outside the simulation.
const OUTSIDE: u32 = u32::MAX;

impl<M> Delivery<M> {
    fn from(&self) -> Option<ActorId> {
        (self.from != OUTSIDE).then_some(ActorId(self.from))
    }
}

struct TimerSlot {
    generation: u32,
    owner: ActorId,
    tag: u64,
    armed: bool,
}

/// Everything but the actors: borrowed by [`Ctx`] while an actor runs.
struct Kernel<M> {
    now: SimTime,
    /// Index of the event being dispatched.
    event_index: u64,
    seq: u64,
    queue: Laned<Delivery<M>, Events<Delivery<M>>>,
    timers: Timers,
    slots: Vec<TimerSlot>,
    free_slots: Vec<u32>,
    stop: bool,
    failure: Option<(ActorId, String)>,
}

impl<M> Kernel<M> {
    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    fn pending(&self) -> usize {
        self.queue.len() + self.timers.len()
    }

    fn push(&mut self, time: SimTime, to: ActorId, from: Option<ActorId>, msg: M) {
        let seq = self.next_seq();
        // Actor ids are indexes into a `Vec` of boxes: u32::MAX is never one.
        let source = from.map(|a| a.0);
        let from = source.unwrap_or(OUTSIDE);
        self.queue.push(time, seq, source, Delivery { to, from, msg });
    }

    fn slot_of(&self, id: TimerId) -> Option<usize> {
        let s = self.slots.get(id.slot as usize)?;
        (s.generation == id.generation && s.armed).then_some(id.slot as usize)
    }

    fn release(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.armed = false;
        s.generation = s.generation.wrapping_add(1);
        self.free_slots.push(slot as u32);
    }
}

/// An actor's view of the kernel while it handles an event.
pub struct Ctx<'a, M> {
    me: ActorId,
    kernel: &'a mut Kernel<M>,
}

impl<M> Ctx<'_, M> {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.kernel.now
    }

    /// The index of the event being handled (its position in the trace).
    pub fn event_index(&self) -> u64 {
        self.kernel.event_index
    }

    /// The actor handling the event.
    pub fn me(&self) -> ActorId {
        self.me
    }

    /// Delivers `msg` to `to` after `delay` (zero delay: after everything already scheduled now).
    pub fn send(&mut self, to: ActorId, delay: SimDuration, msg: M) {
        let at = self.kernel.now + delay;
        self.kernel.push(at, to, Some(self.me), msg);
    }

    /// Delivers `msg` to `to` at `at`, which must not be in the past.
    pub fn send_at(&mut self, to: ActorId, at: SimTime, msg: M) {
        assert!(
            at >= self.kernel.now,
            "send_at into the past: {at} < {}",
            self.kernel.now
        );
        self.kernel.push(at, to, Some(self.me), msg);
    }

    /// Arms a new timer of this actor at `at`; [`Actor::on_timer`] gets `tag` when it fires.
    pub fn set_timer(&mut self, at: SimTime, tag: u64) -> TimerId {
        let at = at.max(self.kernel.now);
        let seq = self.kernel.next_seq();
        let slot = match self.kernel.free_slots.pop() {
            Some(s) => s,
            None => {
                self.kernel.slots.push(TimerSlot {
                    generation: 0,
                    owner: self.me,
                    tag,
                    armed: false,
                });
                (self.kernel.slots.len() - 1) as u32
            }
        };
        let s = &mut self.kernel.slots[slot as usize];
        s.owner = self.me;
        s.tag = tag;
        s.armed = true;
        let id = TimerId {
            slot,
            generation: s.generation,
        };
        self.kernel.timers.arm(slot, at, seq);
        id
    }

    /// Moves an armed timer to `at` (it then fires once, at the new time, after anything
    /// already scheduled for that time). Returns false if the timer already fired or was
    /// cancelled.
    pub fn reset_timer(&mut self, id: TimerId, at: SimTime) -> bool {
        let Some(slot) = self.kernel.slot_of(id) else {
            return false;
        };
        let at = at.max(self.kernel.now);
        let seq = self.kernel.next_seq();
        self.kernel.timers.arm(slot as u32, at, seq);
        true
    }

    /// Cancels an armed timer; it will never fire. Returns false if it already fired or was
    /// cancelled.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        let Some(slot) = self.kernel.slot_of(id) else {
            return false;
        };
        self.kernel.timers.disarm(slot as u32);
        self.kernel.release(slot);
        true
    }

    /// True while the timer is armed.
    pub fn timer_armed(&self, id: TimerId) -> bool {
        self.kernel.slot_of(id).is_some()
    }

    /// Ends the run successfully once this event has been handled.
    pub fn stop(&mut self) {
        self.kernel.stop = true;
    }

    /// Ends the run with [`SimError::Model`] once this event has been handled
    /// (the first failure wins).
    pub fn fail(&mut self, message: impl Into<String>) {
        if self.kernel.failure.is_none() {
            self.kernel.failure = Some((self.me, message.into()));
        }
    }
}

/// Which timer queue a simulation uses (see [`crate::timers`]). All give identical runs;
/// they differ only in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimerQueueKind {
    /// Lazy-deletion `BinaryHeap` (the default until the kernel bounded the timer minimum).
    Lazy,
    /// `priority-queue`'s indexed heap with exact cancel and reschedule.
    Indexed,
    /// Binary heap in which a reset to a later time touches no heap entry: the default,
    /// fastest in `cargo xtask bench` (see [`crate::timers`]).
    #[default]
    Deferred,
}

impl TimerQueueKind {
    /// Every kind, for tests and benchmarks that compare them.
    pub const ALL: [TimerQueueKind; 3] = [TimerQueueKind::Lazy, TimerQueueKind::Indexed, TimerQueueKind::Deferred];
}

/// Static dispatch over the timer queues.
enum Timers {
    Lazy(LazyTimers),
    Indexed(PqTimers),
    Deferred(DeferredTimers),
}

impl Timers {
    fn new(kind: TimerQueueKind) -> Self {
        match kind {
            TimerQueueKind::Lazy => Timers::Lazy(LazyTimers::default()),
            TimerQueueKind::Indexed => Timers::Indexed(PqTimers::default()),
            TimerQueueKind::Deferred => Timers::Deferred(DeferredTimers::default()),
        }
    }
    #[inline]
    fn arm(&mut self, slot: u32, at: SimTime, seq: u64) {
        match self {
            Timers::Lazy(q) => q.arm(slot, at, seq),
            Timers::Indexed(q) => q.arm(slot, at, seq),
            Timers::Deferred(q) => q.arm(slot, at, seq),
        }
    }
    #[inline]
    fn disarm(&mut self, slot: u32) {
        match self {
            Timers::Lazy(q) => q.disarm(slot),
            Timers::Indexed(q) => q.disarm(slot),
            Timers::Deferred(q) => q.disarm(slot),
        }
    }
    #[inline]
    fn peek(&mut self) -> Option<(SimTime, u64, u32)> {
        match self {
            Timers::Lazy(q) => q.peek(),
            Timers::Indexed(q) => q.peek(),
            Timers::Deferred(q) => q.peek(),
        }
    }
    #[inline]
    fn peek_bound(&self) -> Option<(SimTime, u64)> {
        match self {
            Timers::Lazy(q) => q.peek_bound(),
            Timers::Indexed(q) => q.peek_bound(),
            Timers::Deferred(q) => q.peek_bound(),
        }
    }
    #[inline]
    fn pop(&mut self) -> Option<(SimTime, u64, u32)> {
        match self {
            Timers::Lazy(q) => q.pop(),
            Timers::Indexed(q) => q.pop(),
            Timers::Deferred(q) => q.pop(),
        }
    }
    fn len(&self) -> usize {
        match self {
            Timers::Lazy(q) => q.len(),
            Timers::Indexed(q) => q.len(),
            Timers::Deferred(q) => q.len(),
        }
    }
}

/// Which event queue a simulation keeps its messages in (see [`crate::events`]). Both give
/// identical runs; they differ only in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EventQueueKind {
    /// `BinaryHeap`.
    Heap,
    /// Ladder queue, O(1) amortised (a binary heap while it holds few events).
    #[default]
    Ladder,
}

impl EventQueueKind {
    /// Every kind, for tests and benchmarks that compare them.
    pub const ALL: [EventQueueKind; 2] = [EventQueueKind::Heap, EventQueueKind::Ladder];
}

/// Static dispatch over the event queues.
enum Events<T> {
    Heap(HeapQueue<T>),
    Ladder(LadderQueue<T>),
}

impl<T> Events<T> {
    fn new(kind: EventQueueKind) -> Self {
        match kind {
            EventQueueKind::Heap => Events::Heap(HeapQueue::default()),
            EventQueueKind::Ladder => Events::Ladder(LadderQueue::default()),
        }
    }
}

impl<T> Default for Events<T> {
    fn default() -> Self {
        Events::new(EventQueueKind::default())
    }
}

impl<T> EventQueue<T> for Events<T> {
    #[inline]
    fn push(&mut self, time: SimTime, seq: u64, item: T) {
        match self {
            Events::Heap(q) => q.push(time, seq, item),
            Events::Ladder(q) => q.push(time, seq, item),
        }
    }
    #[inline]
    fn peek_key(&mut self) -> Option<(SimTime, u64)> {
        match self {
            Events::Heap(q) => q.peek_key(),
            Events::Ladder(q) => q.peek_key(),
        }
    }
    #[inline]
    fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        match self {
            Events::Heap(q) => q.pop(),
            Events::Ladder(q) => q.pop(),
        }
    }
    #[inline]
    fn likely_next(&self) -> Option<&T> {
        match self {
            Events::Heap(q) => q.likely_next(),
            Events::Ladder(q) => q.likely_next(),
        }
    }
    #[inline]
    fn prefetch_later(&self) {
        match self {
            Events::Heap(q) => q.prefetch_later(),
            Events::Ladder(q) => q.prefetch_later(),
        }
    }
    fn len(&self) -> usize {
        match self {
            Events::Heap(q) => q.len(),
            Events::Ladder(q) => q.len(),
        }
    }
}

/// A deterministic discrete-event simulation over messages of type `M`.
pub struct Simulation<M: Message> {
    seed: u64,
    actors: Vec<Box<dyn Actor<M>>>,
    names: Vec<String>,
    kernel: Kernel<M>,
    tracer: Tracer,
    limits: Limits,
    started: bool,
}

/// Default number of events between fingerprint checkpoints.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 4096;

impl<M: Message> Simulation<M> {
    /// An empty simulation whose random streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_timer_queue(seed, TimerQueueKind::default())
    }

    /// An empty simulation using the given timer queue.
    pub fn with_timer_queue(seed: u64, timer_queue: TimerQueueKind) -> Self {
        Self::with_queues(seed, timer_queue, EventQueueKind::default())
    }

    /// An empty simulation using the given timer and event queues.
    pub fn with_queues(seed: u64, timer_queue: TimerQueueKind, event_queue: EventQueueKind) -> Self {
        Simulation {
            seed,
            actors: Vec::new(),
            names: Vec::new(),
            kernel: Kernel {
                now: SimTime::ZERO,
                event_index: 0,
                seq: 0,
                queue: Laned::new(Events::new(event_queue)),
                timers: Timers::new(timer_queue),
                slots: Vec::new(),
                free_slots: Vec::new(),
                stop: false,
                failure: None,
            },
            tracer: Tracer::new(DEFAULT_CHECKPOINT_EVERY),
            limits: Limits::default(),
            started: false,
        }
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The named random stream `name` of this run (see [`RngStream`]).
    pub fn rng_stream(&self, name: &str) -> RngStream {
        RngStream::new(self.seed, name)
    }

    /// Sets the limits that end a runaway run.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Sets how many events lie between fingerprint checkpoints (before the run starts).
    pub fn set_checkpoint_every(&mut self, every: u64) {
        assert_eq!(self.tracer.events, 0, "set_checkpoint_every after the run started");
        self.tracer = Tracer::new(every);
    }

    /// Streams every dispatched event to `sink` (or stops streaming with `None`).
    pub fn set_trace_sink(&mut self, sink: Option<Box<dyn TraceSink>>) {
        self.tracer.set_sink(sink);
    }

    /// Adds an actor, named for traces and errors.
    pub fn add_actor(&mut self, name: impl Into<String>, actor: Box<dyn Actor<M>>) -> ActorId {
        self.actors.push(actor);
        self.names.push(name.into());
        ActorId((self.actors.len() - 1) as u32)
    }

    /// The id the next added actor will get (for wiring actors that refer to each other).
    pub fn next_actor_id(&self) -> ActorId {
        ActorId(self.actors.len() as u32)
    }

    /// The name an actor was added with.
    pub fn actor_name(&self, id: ActorId) -> &str {
        &self.names[id.0 as usize]
    }

    /// The actor `id` as its concrete type, to read its results.
    pub fn actor<A: Actor<M>>(&self, id: ActorId) -> Option<&A> {
        let a: &dyn Any = self.actors.get(id.0 as usize)?.as_ref();
        a.downcast_ref::<A>()
    }

    /// The actor `id` as its concrete type, mutably.
    pub fn actor_mut<A: Actor<M>>(&mut self, id: ActorId) -> Option<&mut A> {
        let a: &mut dyn Any = self.actors.get_mut(id.0 as usize)?.as_mut();
        a.downcast_mut::<A>()
    }

    /// Schedules `msg` for `to` at `at`, from outside the run.
    pub fn schedule(&mut self, at: SimTime, to: ActorId, msg: M) {
        assert!(at >= self.kernel.now, "schedule into the past");
        self.kernel.push(at, to, None, msg);
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.kernel.now
    }

    /// Events dispatched so far.
    pub fn events(&self) -> u64 {
        self.tracer.events
    }

    /// The trace summary so far: fingerprint, event count, checkpoints.
    pub fn trace(&self) -> RunTrace {
        self.tracer.summary()
    }

    /// Runs until no events remain or an actor stops the run.
    pub fn run(&mut self) -> Result<RunEnd, SimError> {
        self.run_until(SimTime::MAX)
    }

    /// Runs until no events remain, an actor stops the run, or the next event lies after
    /// `until` (then returns [`RunEnd::Paused`]; the run can be continued).
    pub fn run_until(&mut self, until: SimTime) -> Result<RunEnd, SimError> {
        self.run_until_within(until, u64::MAX)
    }

    /// [`Simulation::run_until`] that also pauses once it handled `budget` events (at least
    /// one) and the next event lies after the last one handled: then it returns
    /// [`RunEnd::BudgetSpent`], every event at or before [`Simulation::now`] handled and none
    /// after it, so the run is exactly where `run_until(now)` would have left it (why: a
    /// caller that takes the actors' recordings between pauses bounds what they hold by events,
    /// not only by simulated time; a burst of ten thousand connections starting at once
    /// otherwise filled one slice with half a million records). The pause never splits the
    /// events of one time, so the events handled and their order do not depend on `budget`.
    pub fn run_until_within(&mut self, until: SimTime, budget: u64) -> Result<RunEnd, SimError> {
        self.start_actors();
        let mut handled: u64 = 0;
        loop {
            if let Some(result) = self.check_end() {
                return result;
            }
            let next_msg = self.kernel.queue.peek_key();
            // The exact next timer is looked for only when no message comes before a bound
            // on it (why: settling a timer heap's top costs a heap pop, and with thousands
            // of timers reset on every message it would cost one per event).
            let next_timer = match (next_msg, self.kernel.timers.peek_bound()) {
                (_, None) => None,
                (Some(m), Some(bound)) if m < bound => None,
                _ => self.kernel.timers.peek().map(|(t, s, _)| (t, s)),
            };
            let next = match (next_msg, next_timer) {
                (None, None) => return Ok(RunEnd::Idle),
                (Some(m), None) => m,
                (None, Some(t)) => t,
                (Some(m), Some(t)) => m.min(t),
            };
            if next.0 > until {
                return Ok(RunEnd::Paused);
            }
            if handled >= budget.max(1) && next.0 > self.kernel.now {
                return Ok(RunEnd::BudgetSpent);
            }
            handled += 1;
            if let Some(limit) = self.limits.max_time
                && next.0 > limit
            {
                return Err(SimError::TimeLimit {
                    limit,
                    next: next.0,
                    events: self.tracer.events,
                    pending: self.kernel.pending(),
                });
            }
            if let Some(limit) = self.limits.max_events
                && self.tracer.events >= limit
            {
                return Err(SimError::EventLimit {
                    limit,
                    now: self.kernel.now,
                    pending: self.kernel.pending(),
                });
            }
            if Some(next) == next_msg {
                let (time, _, d) = self.kernel.queue.pop().expect("peeked");
                // Start loading the next event's message and actor while this one is handled
                // (why: with thousands of connections both are cache misses).
                self.kernel.queue.prefetch_later();
                if let Some(n) = self.kernel.queue.later(2) {
                    n.msg.prefetch();
                }
                if let Some(n) = self.kernel.queue.likely_next() {
                    n.msg.prefetch();
                    if let Some(a) = self.actors.get(n.to.0 as usize) {
                        crate::prefetch::read(&**a as *const dyn Actor<M>);
                    }
                }
                self.dispatch_message(time, d);
            } else {
                let (time, _, slot) = self.kernel.timers.pop().expect("peeked");
                self.dispatch_timer(time, slot);
            }
        }
    }

    fn start_actors(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for i in 0..self.actors.len() {
            let mut ctx = Ctx {
                me: ActorId(i as u32),
                kernel: &mut self.kernel,
            };
            self.actors[i].start(&mut ctx);
        }
    }

    fn check_end(&mut self) -> Option<Result<RunEnd, SimError>> {
        if let Some((actor, message)) = self.kernel.failure.take() {
            return Some(Err(SimError::Model {
                actor: self.names[actor.0 as usize].clone(),
                time: self.kernel.now,
                message,
            }));
        }
        if self.kernel.stop {
            self.kernel.stop = false;
            return Some(Ok(RunEnd::Stopped));
        }
        None
    }

    #[inline]
    fn dispatch_message(&mut self, time: SimTime, p: Delivery<M>) {
        self.kernel.now = time;
        self.kernel.event_index = self.tracer.events;
        self.tracer.record(TraceEvent {
            index: self.tracer.events,
            time,
            actor: p.to,
            dispatch: Dispatch::Message { from: p.from() },
            kind: p.msg.kind(),
            digest: p.msg.digest(),
        });
        let actor = &mut self.actors[p.to.0 as usize];
        let mut ctx = Ctx {
            me: p.to,
            kernel: &mut self.kernel,
        };
        actor.on_message(&mut ctx, p.from(), p.msg);
    }

    fn dispatch_timer(&mut self, time: SimTime, slot: u32) {
        self.kernel.now = time;
        self.kernel.event_index = self.tracer.events;
        let s = &self.kernel.slots[slot as usize];
        let (owner, tag) = (s.owner, s.tag);
        let id = TimerId {
            slot,
            generation: s.generation,
        };
        self.kernel.release(slot as usize);
        self.tracer.record(TraceEvent {
            index: self.tracer.events,
            time,
            actor: owner,
            dispatch: Dispatch::Timer { tag },
            kind: 0,
            digest: [0, 0],
        });
        let actor = &mut self.actors[owner.0 as usize];
        let mut ctx = Ctx {
            me: owner,
            kernel: &mut self.kernel,
        };
        actor.on_timer(&mut ctx, id, tag);
    }
}

impl<M: Message> fmt::Debug for Simulation<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("seed", &self.seed)
            .field("now", &self.kernel.now)
            .field("actors", &self.names)
            .field("events", &self.tracer.events)
            .finish()
    }
}
