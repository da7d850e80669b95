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
