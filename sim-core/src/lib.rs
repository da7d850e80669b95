//! offsim's simulation kernel: integer virtual time, an event queue ordered by
//! (time, insertion sequence), cancellable timers, actors, named random streams,
//! run limits, and a trace folded into a run fingerprint.
//!
//! It knows nothing about TCP. Models are actors ([`Actor`]) that receive typed
//! messages and timers through a [`Ctx`], and draw randomness only from
//! [`RngStream`]s derived from the run seed and a stable name.
//!
//! Determinism contract: the same actors, messages and seed give the same
//! sequence of events, hence the same [`Fingerprint`], on any machine. The
//! kernel reads no wall clock, uses no global RNG, and iterates no hash map.

pub mod events;
pub mod prefetch;
mod rng;
mod sim;
mod time;
pub mod timers;
pub mod trace;
pub mod workloads;

pub use rng::RngStream;
pub use sim::{
    Actor, ActorId, Ctx, DEFAULT_CHECKPOINT_EVERY, EventQueueKind, Limits, Message, RunEnd, SimError, Simulation,
    TimerId, TimerQueueKind,
};
pub use time::{SimDuration, SimTime};
pub use trace::{Fingerprint, RunTrace, TraceEvent, TraceSink};
