//! The event trace, the run fingerprint, checkpoints, and divergence search.
//!
//! Every dispatched event is folded into a running XXH3-64 chain (each event's
//! 40-byte record is hashed with the previous value as seed). XXH3 is frozen by
//! its specification, so a fingerprint means the same thing on every machine
//! and Rust version (std's `DefaultHasher` makes no such promise). Every
//! `checkpoint_every` events the chain value is kept, so that two runs that
//! differ can be narrowed to one window and replayed to name the first
//! diverging event.

use crate::ActorId;
use crate::time::SimTime;
use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::rc::Rc;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// What kind of dispatch an event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// A message sent by an actor (or injected from outside the run).
    Message {
        /// The sender; `None` for messages scheduled from outside the run.
        from: Option<ActorId>,
    },
    /// A timer of the receiving actor, with the tag it was set with.
    Timer {
        /// The actor's own tag for the timer.
        tag: u64,
    },
}

/// One dispatched event, as recorded in the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    /// Position in the run, from 0.
    pub index: u64,
    /// When it was dispatched.
    pub time: SimTime,
    /// Which actor handled it.
    pub actor: ActorId,
    /// Message or timer.
    pub dispatch: Dispatch,
    /// The message's variant code ([`crate::Message::kind`]); 0 for timers.
    pub kind: u16,
    /// The message's compact summary ([`crate::Message::digest`]).
    pub digest: [u64; 2],
}

impl TraceEvent {
    /// The fixed 40-byte little-endian record that is hashed into the fingerprint.
    #[inline(always)]
    fn record(&self) -> [u8; 40] {
        let mut b = [0u8; 40];
        b[0..8].copy_from_slice(&self.time.0.to_le_bytes());
        b[8..12].copy_from_slice(&self.actor.0.to_le_bytes());
        let (tagbit, word) = match self.dispatch {
            Dispatch::Message { from } => (0u16, from.map_or(u64::MAX, |a| u64::from(a.0))),
            Dispatch::Timer { tag } => (1u16, tag),
        };
        b[12..14].copy_from_slice(&tagbit.to_le_bytes());
        b[14..16].copy_from_slice(&self.kind.to_le_bytes());
        b[16..24].copy_from_slice(&word.to_le_bytes());
        b[24..32].copy_from_slice(&self.digest[0].to_le_bytes());
        b[32..40].copy_from_slice(&self.digest[1].to_le_bytes());
        b
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} t={} actor={} ", self.index, self.time, self.actor.0)?;
        match self.dispatch {
            Dispatch::Message { from: Some(a) } => write!(f, "msg from {}", a.0)?,
            Dispatch::Message { from: None } => write!(f, "msg from outside")?,
            Dispatch::Timer { tag } => write!(f, "timer tag={tag:#x}")?,
        }
        write!(
            f,
            " kind={} digest=[{:#x}, {:#x}]",
            self.kind, self.digest[0], self.digest[1]
        )
    }
}

/// Receives every dispatched event, in order.
pub trait TraceSink {
    /// Called once per event, before the actor handles it.
    fn record(&mut self, event: &TraceEvent);
}

/// Streams the trace as text lines (one event a line) to a writer.
pub struct TextSink<W: Write>(pub W);

impl<W: Write> TraceSink for TextSink<W> {
    fn record(&mut self, event: &TraceEvent) {
        // A trace is a diagnostic: a failed write must not change the run.
        let _ = writeln!(self.0, "{event}");
    }
}

/// Records the events whose index falls in `[start, end)`; the buffer is shared so the
/// caller keeps a handle after handing the sink to a simulation.
#[derive(Clone)]
pub struct WindowRecorder {
    start: u64,
    end: u64,
    events: Rc<RefCell<Vec<TraceEvent>>>,
}

impl WindowRecorder {
    /// Records events `start..end`.
    pub fn new(start: u64, end: u64) -> Self {
        WindowRecorder {
            start,
            end,
            events: Rc::default(),
        }
    }
    /// Everything recorded so far.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.events.borrow().clone()
    }
}

impl TraceSink for WindowRecorder {
    fn record(&mut self, event: &TraceEvent) {
        if (self.start..self.end).contains(&event.index) {
            self.events.borrow_mut().push(*event);
        }
    }
}

/// Fingerprint seed: the hash of an empty run.
const FINGERPRINT_SEED: u64 = 0x6f66_6673_696d_7472; // "offsimtr"

/// The fingerprint state of a run in progress.
pub(crate) struct Tracer {
    pub(crate) events: u64,
    hash: u64,
    checkpoint_every: u64,
    checkpoints: Vec<u64>,
    sink: Option<Box<dyn TraceSink>>,
}

impl Tracer {
    pub(crate) fn new(checkpoint_every: u64) -> Self {
        Tracer {
            events: 0,
            hash: FINGERPRINT_SEED,
            checkpoint_every: checkpoint_every.max(1),
            checkpoints: Vec::new(),
            sink: None,
        }
    }

    pub(crate) fn set_sink(&mut self, sink: Option<Box<dyn TraceSink>>) {
        self.sink = sink;
    }

    #[inline(always)]
    pub(crate) fn record(&mut self, event: TraceEvent) {
        self.hash = xxh3_64_with_seed(&event.record(), self.hash);
        self.events += 1;
        if self.events.is_multiple_of(self.checkpoint_every) {
            self.checkpoints.push(self.hash);
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.record(&event);
        }
    }

    pub(crate) fn summary(&self) -> RunTrace {
        RunTrace {
            fingerprint: Fingerprint(self.hash),
            events: self.events,
            checkpoint_every: self.checkpoint_every,
            checkpoints: self.checkpoints.clone(),
        }
    }
}

/// A run's identity: the hash of its whole event trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a finished (or stopped) run's trace amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunTrace {
    /// Hash of every event.
    pub fingerprint: Fingerprint,
    /// How many events were dispatched.
    pub events: u64,
    /// Events between checkpoints.
    pub checkpoint_every: u64,
    /// The chain value after events `k * checkpoint_every`, k = 1, 2, …
    pub checkpoints: Vec<u64>,
}

impl RunTrace {
    /// The event-index window `[start, end)` in which two runs first differ, from their
    /// checkpoints; `None` if the runs are identical.
    pub fn first_differing_window(&self, other: &RunTrace) -> Option<(u64, u64)> {
        if self == other {
            return None;
        }
        assert_eq!(
            self.checkpoint_every, other.checkpoint_every,
            "runs traced with different checkpoint intervals"
        );
        let every = self.checkpoint_every;
        let same = self
            .checkpoints
            .iter()
            .zip(&other.checkpoints)
            .take_while(|(a, b)| a == b)
            .count() as u64;
        let start = same * every;
        let end = (start + every).min(self.events.max(other.events));
        Some((start, end.max(start + 1)))
    }
}

/// The first event at which two runs differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: u64,
    /// The event in run A (`None` if run A had ended).
    pub a: Option<TraceEvent>,
    /// The event in run B (`None` if run B had ended).
    pub b: Option<TraceEvent>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |e: &Option<TraceEvent>| e.map_or("(run had ended)".to_string(), |e| e.to_string());
        write!(
            f,
            "first diverging event #{}\n  A: {}\n  B: {}",
            self.index,
            show(&self.a),
            show(&self.b)
        )
    }
}

/// Runs two simulations, and if their fingerprints differ, replays both with a window
/// recorder to name the first diverging event.
///
/// Each closure builds and runs one simulation with the given sink installed (see
/// [`crate::Simulation::set_trace_sink`]) and returns its trace summary.
pub fn find_divergence<A, B>(mut run_a: A, mut run_b: B) -> Option<Divergence>
where
    A: FnMut(Option<Box<dyn TraceSink>>) -> RunTrace,
    B: FnMut(Option<Box<dyn TraceSink>>) -> RunTrace,
{
    let ta = run_a(None);
    let tb = run_b(None);
    let (start, end) = ta.first_differing_window(&tb)?;
    let wa = WindowRecorder::new(start, end);
    let wb = WindowRecorder::new(start, end);
    run_a(Some(Box::new(wa.clone())));
    run_b(Some(Box::new(wb.clone())));
    let (ea, eb) = (wa.events(), wb.events());
    for i in 0..(end - start) as usize {
        let (a, b) = (ea.get(i).copied(), eb.get(i).copied());
        if a != b {
            return Some(Divergence {
                index: start + i as u64,
                a,
                b,
            });
        }
    }
    // Same events but a different count beyond the window: the shorter run ended.
    Some(Divergence {
        index: end,
        a: None,
        b: None,
    })
}
