use crate::fixtures::*;
use models::link::Impairment;
use models::testbed::{Step, When};

#[test]
fn dbg_run() {
    for seed in [11u64, 12, 13, 14] {
        let mut t = crate::offload_rules::obed(3_000_000);
        t.seed = seed;
        t.forward.impairments = vec![Impairment::Bernoulli { p: 0.01 }];
        let a = t.clone().run();
        let b = at(t.clone(), When::At(ms(300)), Step::Offload(C)).run();
        let mut t2 = t.clone(); t2.target = None;
        let c = t2.run();
        eprintln!("{seed}: host {:?} offloaded {:?} notarget {:?} fp {:?} {:?}", a.conns[0].completed_at, b.conns[0].completed_at, c.conns[0].completed_at, a.trace.fingerprint, c.trace.fingerprint);
    }
}
