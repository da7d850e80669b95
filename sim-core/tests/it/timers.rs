//! Timers: cancel never fires, reset fires once at the new time, stale handles are dead.

use sim_core::{Actor, ActorId, Ctx, SimTime, Simulation, TimerId, TimerQueueKind};

/// Drives its timers from messages: 0 = set A at 100, 1 = set B at 200, 2 = cancel A,
/// 3 = reset B to 300, 4 = reset A (already cancelled) to 50.
#[derive(Default)]
struct Timed {
    a: Option<TimerId>,
    b: Option<TimerId>,
    fired: Vec<(SimTime, u64)>,
    results: Vec<bool>,
}

impl Actor<u64> for Timed {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        match msg {
            0 => self.a = Some(ctx.set_timer(SimTime(100), 0xA)),
            1 => self.b = Some(ctx.set_timer(SimTime(200), 0xB)),
            2 => {
                let r = ctx.cancel_timer(self.a.unwrap());
                self.results.push(r);
                let again = ctx.cancel_timer(self.a.unwrap());
                self.results.push(again);
            }
            3 => {
                let r = ctx.reset_timer(self.b.unwrap(), SimTime(300));
                self.results.push(r);
            }
            4 => {
                let r = ctx.reset_timer(self.a.unwrap(), SimTime(50));
                self.results.push(r);
            }
            _ => unreachable!(),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, u64>, t: TimerId, tag: u64) {
        self.fired.push((ctx.now(), tag));
        assert!(!ctx.timer_armed(t), "a fired timer is no longer armed");
        assert!(!ctx.cancel_timer(t), "a fired timer cannot be cancelled");
    }
}

fn scenario(kind: TimerQueueKind) -> Timed {
    let mut sim: Simulation<u64> = Simulation::with_timer_queue(0, kind);
    let a = sim.add_actor("timed", Box::new(Timed::default()));
    for (t, m) in [(0, 0), (0, 1), (10, 2), (20, 3), (30, 4)] {
        sim.schedule(SimTime(t), a, m);
    }
    sim.run().unwrap();
    let Timed { a, b, fired, results } = std::mem::take(sim.actor_mut::<Timed>(a).unwrap());
    let _ = (a, b);
    Timed {
        fired,
        results,
        ..Default::default()
    }
}

#[test]
fn cancelled_timer_never_fires_and_reset_timer_fires_once_at_its_new_time() {
    for kind in TimerQueueKind::ALL {
        let t = scenario(kind);
        assert_eq!(t.fired, vec![(SimTime(300), 0xB)], "{kind:?}");
        assert_eq!(t.results, vec![true, false, true, false], "{kind:?}");
    }
}

/// Resets one timer on every message, as a TCP retransmission timer is reset on every ACK.
#[derive(Default)]
struct Rto {
    timer: Option<TimerId>,
    fired: Vec<SimTime>,
}

impl Actor<u64> for Rto {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, _msg: u64) {
        let at = ctx.now() + sim_core::SimDuration::from_nanos(1_000);
        match self.timer {
            Some(t) if ctx.reset_timer(t, at) => {}
            _ => self.timer = Some(ctx.set_timer(at, 1)),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, u64>, _t: TimerId, _tag: u64) {
        self.fired.push(ctx.now());
    }
}

#[test]
fn a_timer_reset_on_every_message_fires_once_after_the_last() {
    for kind in TimerQueueKind::ALL {
        let mut sim: Simulation<u64> = Simulation::with_timer_queue(0, kind);
        let a = sim.add_actor("rto", Box::new(Rto::default()));
        for i in 0..10_000u64 {
            sim.schedule(SimTime(i * 10), a, i);
        }
        sim.run().unwrap();
        assert_eq!(
            sim.actor::<Rto>(a).unwrap().fired,
            vec![SimTime(99_990 + 1_000)],
            "{kind:?}"
        );
    }
}
