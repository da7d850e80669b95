//! Events run in (time, insertion sequence) order; limits end runaway runs.

use proptest::prelude::*;
use sim_core::{
    Actor, ActorId, Ctx, EventQueueKind, Limits, RunEnd, SimDuration, SimError, SimTime, Simulation, TimerId,
    TimerQueueKind,
};

/// Records (time, label) of everything it receives.
#[derive(Default)]
struct Log {
    seen: Vec<(SimTime, u64)>,
}

impl Actor<u64> for Log {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        self.seen.push((ctx.now(), msg));
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, u64>, _t: TimerId, tag: u64) {
        self.seen.push((ctx.now(), tag));
    }
}

#[test]
fn simultaneous_events_run_in_insertion_order() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let log = sim.add_actor("log", Box::new(Log::default()));
    // 40 events at the same instant: neither heap is FIFO on equal keys by itself.
    for i in 0..40 {
        sim.schedule(SimTime(1000), log, i);
    }
    sim.run().unwrap();
    let seen: Vec<u64> = sim.actor::<Log>(log).unwrap().seen.iter().map(|e| e.1).collect();
    assert_eq!(seen, (0..40).collect::<Vec<_>>());
}

/// Schedules, at start, a mix of messages to itself and timers, from a script.
struct Scripted {
    script: Vec<(bool, u64)>,
    seen: Vec<u64>,
}

impl Actor<u64> for Scripted {
    fn start(&mut self, ctx: &mut Ctx<'_, u64>) {
        for (i, &(is_timer, t)) in self.script.iter().enumerate() {
            if is_timer {
                ctx.set_timer(SimTime(t), i as u64);
            } else {
                let me = ctx.me();
                ctx.send_at(me, SimTime(t), i as u64);
            }
        }
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        self.seen.push(msg);
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, u64>, _t: TimerId, tag: u64) {
        self.seen.push(tag);
    }
}

proptest! {
    /// Messages and timers interleave exactly as a sort by (time, insertion index) says.
    #[test]
    fn dispatch_order_matches_reference(script in proptest::collection::vec((any::<bool>(), 0u64..20), 0..400),
                                        kind in proptest::sample::select(TimerQueueKind::ALL.to_vec()),
                                        queue in proptest::sample::select(EventQueueKind::ALL.to_vec())) {
        let mut sim: Simulation<u64> = Simulation::with_queues(0, kind, queue);
        let a = sim.add_actor("s", Box::new(Scripted { script: script.clone(), seen: vec![] }));
        sim.run().unwrap();
        let mut want: Vec<(u64, usize)> = script.iter().enumerate().map(|(i, &(_, t))| (t, i)).collect();
        want.sort();
        let want: Vec<u64> = want.into_iter().map(|(_, i)| i as u64).collect();
        prop_assert_eq!(&sim.actor::<Scripted>(a).unwrap().seen, &want);
    }
}

/// Sends itself a message forever.
struct Forever;

impl Actor<u64> for Forever {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        let me = ctx.me();
        ctx.send(me, SimDuration::from_millis(1), msg + 1);
    }
}

#[test]
fn time_limit_ends_a_runaway_run_with_its_error() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let a = sim.add_actor("forever", Box::new(Forever));
    sim.schedule(SimTime::ZERO, a, 0);
    sim.set_limits(Limits {
        max_time: Some(SimTime(10_000_000)),
        max_events: None,
    });
    let err = sim.run().unwrap_err();
    assert!(
        matches!(
            err,
            SimError::TimeLimit {
                limit: SimTime(10_000_000),
                next: SimTime(11_000_000),
                events: 11,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("simulated-time limit 0.010000000s reached"),
        "{err}"
    );
}

#[test]
fn event_limit_ends_a_runaway_run_with_its_error() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let a = sim.add_actor("forever", Box::new(Forever));
    sim.schedule(SimTime::ZERO, a, 0);
    sim.set_limits(Limits {
        max_time: None,
        max_events: Some(500),
    });
    let err = sim.run().unwrap_err();
    assert!(
        matches!(
            err,
            SimError::EventLimit {
                limit: 500,
                pending: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sim.events(), 500);
}

#[test]
fn run_ends_idle_when_nothing_remains_and_run_until_pauses() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let log = sim.add_actor("log", Box::new(Log::default()));
    sim.schedule(SimTime(5), log, 1);
    sim.schedule(SimTime(50), log, 2);
    assert_eq!(sim.run_until(SimTime(10)).unwrap(), RunEnd::Paused);
    assert_eq!(sim.actor::<Log>(log).unwrap().seen, vec![(SimTime(5), 1)]);
    assert_eq!(sim.run().unwrap(), RunEnd::Idle);
    assert_eq!(sim.actor::<Log>(log).unwrap().seen.len(), 2);
}

#[test]
fn a_budget_pause_never_splits_the_events_of_one_time() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let log = sim.add_actor("log", Box::new(Log::default()));
    // Three events at 5 ns, two at 7 ns, one at 50 ns.
    for (t, label) in [(5, 1), (5, 2), (5, 3), (7, 4), (7, 5), (50, 6)] {
        sim.schedule(SimTime(t), log, label);
    }
    let seen = |sim: &Simulation<u64>| sim.actor::<Log>(log).unwrap().seen.len();
    // A budget of 2 is spent inside 5 ns: the pause waits for the time's last event.
    assert_eq!(sim.run_until_within(SimTime(10), 2).unwrap(), RunEnd::BudgetSpent);
    assert_eq!((seen(&sim), sim.now()), (3, SimTime(5)));
    // A budget of 0 still handles one time's events: no call can stall the run.
    assert_eq!(sim.run_until_within(SimTime(100), 0).unwrap(), RunEnd::BudgetSpent);
    assert_eq!((seen(&sim), sim.now()), (5, SimTime(7)));
    // The time bound comes first: nothing is left at or before 10 ns.
    assert_eq!(sim.run_until_within(SimTime(10), 1).unwrap(), RunEnd::Paused);
    assert_eq!(seen(&sim), 5);
    // A budget larger than what remains: the run ends as `run` would.
    assert_eq!(sim.run_until_within(SimTime::MAX, 100).unwrap(), RunEnd::Idle);
    let labels: Vec<u64> = sim.actor::<Log>(log).unwrap().seen.iter().map(|e| e.1).collect();
    assert_eq!(labels, vec![1, 2, 3, 4, 5, 6]);
}

/// Fails on its third message.
struct Fails(u32);

impl Actor<u64> for Fails {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        self.0 += 1;
        if self.0 == 3 {
            ctx.fail(format!("invariant broken at message {msg}"));
        }
        let me = ctx.me();
        ctx.send(me, SimDuration::from_nanos(1), msg + 1);
    }
}

#[test]
fn a_model_failure_ends_the_run_naming_the_actor() {
    let mut sim: Simulation<u64> = Simulation::new(0);
    let a = sim.add_actor("checker", Box::new(Fails(0)));
    sim.schedule(SimTime::ZERO, a, 0);
    let err = sim.run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "checker failed at 0.000000002s: invariant broken at message 2"
    );
}
