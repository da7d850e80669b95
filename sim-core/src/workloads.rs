//! Synthetic workloads for the kernel's benchmarks and tests (no network model).
//!
//! - [`ping_pong`]: two actors bounce one message; the queue holds one event.
//! - [`timer_churn`]: `actors` actors with `in_flight` messages circulating among them;
//!   every message resets the receiver's timer (as a TCP retransmission timer is reset on
//!   every ACK), so timers are armed and moved constantly and seldom fire.
//! - [`jittered`]: like `timer_churn`, with delays drawn from a named random stream; the
//!   fingerprint depends on the seed.

use crate::{
    Actor, ActorId, Ctx, EventQueueKind, Limits, RngStream, RunTrace, SimDuration, SimTime, Simulation, TimerId,
    TimerQueueKind, TraceSink,
};

/// What a workload run reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadResult {
    /// Events dispatched (messages + timers).
    pub events: u64,
    /// Timers that fired (not reset in time).
    pub timer_fires: u64,
    /// The trace summary.
    pub trace: RunTrace,
}

struct Pinger {
    peer: ActorId,
    remaining: u64,
}

impl Actor<u64> for Pinger {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        if self.remaining == 0 {
            ctx.stop();
            return;
        }
        self.remaining -= 1;
        ctx.send(self.peer, SimDuration::from_micros(1), msg + 1);
    }
}

/// Two actors exchange one message `events` times.
pub fn ping_pong(events: u64) -> WorkloadResult {
    ping_pong_with(events, EventQueueKind::default())
}

/// As [`ping_pong`], on the given event queue.
pub fn ping_pong_with(events: u64, queue: EventQueueKind) -> WorkloadResult {
    let mut sim: Simulation<u64> = Simulation::with_queues(1, TimerQueueKind::default(), queue);
    sim.set_limits(Limits {
        max_time: None,
        max_events: None,
    });
    let a = sim.add_actor(
        "a",
        Box::new(Pinger {
            peer: ActorId(1),
            remaining: events / 2,
        }),
    );
    let _b = sim.add_actor(
        "b",
        Box::new(Pinger {
            peer: a,
            remaining: events / 2,
        }),
    );
    sim.schedule(SimTime::ZERO, a, 0);
    sim.run().expect("ping-pong has no limits");
    WorkloadResult {
        events: sim.events(),
        timer_fires: 0,
        trace: sim.trace(),
    }
}

struct Churner {
    next: ActorId,
    rto: SimDuration,
    timer: Option<TimerId>,
    rng: Option<RngStream>,
    fires: u64,
}

impl Actor<u64> for Churner {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        let deadline = ctx.now() + self.rto;
        match self.timer {
            Some(t) if ctx.reset_timer(t, deadline) => {}
            _ => self.timer = Some(ctx.set_timer(deadline, 7)),
        }
        let delay = match self.rng.as_mut() {
            Some(r) => SimDuration::from_nanos(1 + r.exponential(10_000.0) as u64),
            None => SimDuration::from_nanos(1_000 + (msg % 97) * 10),
        };
        ctx.send(self.next, delay, msg.wrapping_mul(6364136223846793005).wrapping_add(1));
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, u64>, _timer: TimerId, _tag: u64) {
        self.fires += 1;
        self.timer = Some(ctx.set_timer(ctx.now() + self.rto, 7));
    }
}

fn churn_sim(
    actors: usize,
    in_flight: usize,
    seed: Option<u64>,
    kind: TimerQueueKind,
    queue: EventQueueKind,
) -> (Simulation<u64>, Vec<ActorId>) {
    let mut sim: Simulation<u64> = Simulation::with_queues(seed.unwrap_or(0), kind, queue);
    let ids: Vec<ActorId> = (0..actors)
        .map(|i| {
            let next = ActorId(((i + 1) % actors) as u32);
            let rng = seed.map(|_| sim.rng_stream(&format!("churn/{i}")));
            // Deterministic delays: an RTO long enough that timers are reset, not fired.
            // Jittered delays: an RTO short enough that the exponential tail fires some.
            let rto = if seed.is_some() {
                SimDuration::from_micros(40)
            } else {
                SimDuration::from_millis(1)
            };
            sim.add_actor(
                format!("churn{i}"),
                Box::new(Churner {
                    next,
                    rto,
                    timer: None,
                    rng,
                    fires: 0,
                }),
            )
        })
        .collect();
    for k in 0..in_flight {
        sim.schedule(SimTime(k as u64), ids[k % actors], k as u64);
    }
    (sim, ids)
}

/// `in_flight` messages circulate among `actors` actors for `events` events; every message
/// resets its receiver's timer.
pub fn timer_churn(actors: usize, in_flight: usize, events: u64, kind: TimerQueueKind) -> WorkloadResult {
    timer_churn_with(actors, in_flight, events, kind, EventQueueKind::default())
}

/// As [`timer_churn`], on the given timer and event queues.
pub fn timer_churn_with(
    actors: usize,
    in_flight: usize,
    events: u64,
    kind: TimerQueueKind,
    queue: EventQueueKind,
) -> WorkloadResult {
    run_churn(actors, in_flight, events, None, (kind, queue), None)
}

/// As [`timer_churn`], with message delays drawn from each actor's named stream of `seed`.
pub fn jittered(seed: u64, events: u64, sink: Option<Box<dyn TraceSink>>) -> WorkloadResult {
    run_churn(8, 4, events, Some(seed), Default::default(), sink)
}

fn run_churn(
    actors: usize,
    in_flight: usize,
    events: u64,
    seed: Option<u64>,
    (kind, queue): (TimerQueueKind, EventQueueKind),
    sink: Option<Box<dyn TraceSink>>,
) -> WorkloadResult {
    let (mut sim, ids) = churn_sim(actors, in_flight, seed, kind, queue);
    sim.set_trace_sink(sink);
    sim.set_limits(Limits {
        max_time: None,
        max_events: Some(events),
    });
    let _ = sim.run(); // ends with EventLimit by construction
    let timer_fires = ids
        .iter()
        .map(|id| sim.actor::<Churner>(*id).expect("churner").fires)
        .sum();
    WorkloadResult {
        events: sim.events(),
        timer_fires,
        trace: sim.trace(),
    }
}
