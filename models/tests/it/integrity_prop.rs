//! Integrity under every impairment at once: random loss, reordering, duplication and
//! corruption on both directions never deliver a wrong or missing byte. The run either
//! completes with every byte verified by the sink, or ends with an explicit error (the
//! engine gave up or the connection was reset) — never a silent short or wrong transfer.

use crate::fixtures::*;
use models::link::Impairment;
use models::testbed::Testbed;
use proptest::prelude::*;
use sim_core::SimDuration;

fn impaired(t: &mut Testbed, loss: f64, reorder: f64, dup: f64, corrupt: f64) {
    for link in [&mut t.forward, &mut t.reverse] {
        link.impairments = vec![
            Impairment::Bernoulli { p: loss },
            Impairment::Reorder {
                fraction: reorder,
                extra_delay: SimDuration::from_millis(7),
            },
            Impairment::Duplicate { p: dup },
            Impairment::Corrupt { p: corrupt },
        ];
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]
    #[test]
    fn every_impairment_at_once_never_delivers_a_wrong_byte(
        seed in 1u64..1_000_000,
        loss in 0.0f64..0.05,
        reorder in 0.0f64..0.2,
        dup in 0.0f64..0.05,
        corrupt in 0.0f64..0.05,
        total in 20_000u64..300_000,
    ) {
        let mut t = bed(total);
        t.seed = seed;
        impaired(&mut t, loss, reorder, dup, corrupt);
        let out = t.run();
        let c = &out.conns[0];
        // A wrong, duplicated or misplaced byte ends the run with an integrity error at the
        // sink (SimError::Model naming "integrity"); a clean end must have every byte.
        match &out.end {
            Ok(_) => prop_assert!(out.integrity_ok(), "run ended cleanly with {} of {} bytes", c.delivered, c.expected),
            Err(e) => prop_assert!(!e.to_string().contains("integrity"), "{e}"),
        }
        prop_assert!(c.delivered <= c.expected);
        // With loss, corruption and duplication this light, giving up would hide a stall.
        prop_assert!(loss + corrupt > 0.06 || out.integrity_ok(), "{:?}", out.end);
    }
}

/// The sink's checks fire: bytes from the wrong place of the stream (shifted by a 64 KiB
/// write, by a 1 MiB send buffer), bytes of another connection, a gap and more bytes than were
/// sent each end the run naming the connection and the stream offset.
#[test]
fn the_sink_rejects_misplaced_foreign_missing_and_extra_bytes() {
    use models::app::{ReadRate, Sink};
    use models::msg::Msg;
    use models::pattern::pattern_slice;
    use models::segment::ConnId;
    use sim_core::{SimTime, Simulation};
    let c = ConnId(4);
    let deliver =
        |offset: u64, data: bytes::Bytes| Msg::Delivered(Box::new(models::msg::Received { conn: c, offset, data }));
    let run = |msgs: Vec<Msg>| -> String {
        let mut sim: Simulation<Msg> = Simulation::new(1);
        let sink = sim.add_actor(
            "sink",
            Box::new(Sink::new(
                c,
                sim_core::ActorId(0),
                3000,
                ReadRate::Unlimited,
                Default::default(),
                0,
            )),
        );
        for m in msgs {
            sim.schedule(SimTime::ZERO, sink, m);
        }
        sim.run().map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    };
    let good = |off: u64, len: usize| deliver(off, pattern_slice(c, off, len));
    assert_eq!(run(vec![good(0, 1000), good(1000, 2000)]), "", "the right bytes pass");
    for shift in [64 << 10, 1 << 20] {
        let e = run(vec![good(0, 1000), deliver(1000, pattern_slice(c, 1000 + shift, 500))]);
        assert!(
            e.contains("integrity: conn 4 byte at stream offset 1000 differs from what was sent"),
            "{e}"
        );
    }
    let e = run(vec![deliver(0, pattern_slice(ConnId(5), 0, 100))]);
    assert!(e.contains("integrity: conn 4 byte at stream offset 0 differs"), "{e}");
    let e = run(vec![good(0, 1000), good(1500, 100)]);
    assert!(
        e.contains("delivered stream offset 1500, expected 1000 (gap or duplicate)"),
        "{e}"
    );
    let e = run(vec![good(0, 3000), good(3000, 1)]);
    assert!(e.contains("received 3001 bytes, only 3000 were sent"), "{e}");
}
