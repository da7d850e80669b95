//! Same seed → same fingerprint (in one process, across processes, across timer queues);
//! another seed → another fingerprint; divergence search names the first differing event.

use sim_core::trace::{Dispatch, find_divergence};
use sim_core::workloads::{jittered, ping_pong, timer_churn};
use sim_core::{Actor, ActorId, Ctx, RngStream, SimDuration, SimTime, Simulation, TimerQueueKind};

/// Golden fingerprints: these change only in a commit that says why the kernel's event order
/// or trace encoding changed.
const GOLDEN_JITTERED_SEED_1: &str = "9bf1c380c8c5d579";
const GOLDEN_PING_PONG_10K: &str = "1c7b05b7d83ebb7d";

#[test]
fn same_seed_same_fingerprint_in_one_process() {
    let a = jittered(1, 50_000, None);
    let b = jittered(1, 50_000, None);
    assert_eq!(a, b);
    assert_eq!(a.events, 50_000);
    assert!(a.timer_fires > 0, "the workload should fire some timers");
}

#[test]
fn different_seed_different_fingerprint() {
    let a = jittered(1, 20_000, None);
    let b = jittered(2, 20_000, None);
    assert_ne!(a.trace.fingerprint, b.trace.fingerprint);
}

#[test]
fn golden_fingerprints() {
    assert_eq!(
        jittered(1, 50_000, None).trace.fingerprint.to_string(),
        GOLDEN_JITTERED_SEED_1
    );
    assert_eq!(ping_pong(10_000).trace.fingerprint.to_string(), GOLDEN_PING_PONG_10K);
}

#[test]
fn every_timer_queue_gives_the_same_run() {
    let a = timer_churn(50, 200, 100_000, TimerQueueKind::Lazy);
    for kind in TimerQueueKind::ALL {
        assert_eq!(timer_churn(50, 200, 100_000, kind), a, "{kind:?}");
    }
}

/// Run as a child process by `same_seed_same_fingerprint_across_processes`.
#[test]
fn child_prints_fingerprint() {
    if std::env::var_os("OFFSIM_FINGERPRINT_CHILD").is_some() {
        println!("FINGERPRINT={}", jittered(3, 30_000, None).trace.fingerprint);
    }
}

#[test]
fn same_seed_same_fingerprint_across_processes() {
    let exe = std::env::current_exe().unwrap();
    let child = || {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "determinism::child_prints_fingerprint",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OFFSIM_FINGERPRINT_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.split("FINGERPRINT=")
            .nth(1)
            .map(|rest| rest.chars().take(16).collect::<String>())
            .unwrap_or_else(|| panic!("child printed no fingerprint:\n{text}"))
    };
    let (a, b) = (child(), child());
    assert_eq!(a, b);
    assert_eq!(a, jittered(3, 30_000, None).trace.fingerprint.to_string());
}

/// Relays messages; one variant perturbs the delay of the n-th message it relays.
struct Relay {
    next: ActorId,
    count: u64,
    perturb_at: Option<u64>,
    rng: RngStream,
}

impl Actor<u64> for Relay {
    fn on_message(&mut self, ctx: &mut Ctx<'_, u64>, _from: Option<ActorId>, msg: u64) {
        self.count += 1;
        let mut delay = 100 + self.rng.below(100);
        if self.perturb_at == Some(self.count) {
            delay += 1;
        }
        if msg < 20_000 {
            ctx.send(self.next, SimDuration::from_nanos(delay), msg + 1);
        }
    }
}

fn relay_run(perturb_at: Option<u64>, sink: Option<Box<dyn sim_core::TraceSink>>) -> sim_core::RunTrace {
    let mut sim: Simulation<u64> = Simulation::new(9);
    sim.set_checkpoint_every(1024);
    sim.set_trace_sink(sink);
    let r0 = sim.rng_stream("relay/0");
    let r1 = sim.rng_stream("relay/1");
    let a = sim.add_actor(
        "r0",
        Box::new(Relay {
            next: ActorId(1),
            count: 0,
            perturb_at: None,
            rng: r0,
        }),
    );
    sim.add_actor(
        "r1",
        Box::new(Relay {
            next: a,
            count: 0,
            perturb_at,
            rng: r1,
        }),
    );
    sim.schedule(SimTime::ZERO, a, 0);
    sim.run().unwrap();
    sim.trace()
}

#[test]
fn divergence_search_names_the_first_differing_event() {
    assert_eq!(find_divergence(|s| relay_run(None, s), |s| relay_run(None, s)), None);
    // r1's 5000th message is delayed by 1 ns more: its successor (event 10_000 overall,
    // handled by r0) is the first to differ, in time only.
    let d = find_divergence(|s| relay_run(None, s), |s| relay_run(Some(5_000), s)).expect("runs differ");
    assert_eq!(d.index, 10_000);
    let (a, b) = (d.a.unwrap(), d.b.unwrap());
    assert_eq!(a.actor, ActorId(0));
    assert_eq!(b.time, SimTime(a.time.0 + 1));
    assert_eq!(a.dispatch, Dispatch::Message { from: Some(ActorId(1)) });
    assert!(d.to_string().starts_with("first diverging event #10000"), "{d}");
}
