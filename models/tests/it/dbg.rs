use crate::fixtures::*;
use crate::runlog::*;
use models::link::Impairment;
use models::testbed::{Step, When};
use models::trigger::Condition;

pub fn dump(out: &models::testbed::Outcome, from_ms: u64, to_ms: u64) {
    for w in &out.log.wire {
        if w.time.0 < from_ms * 1_000_000 || w.time.0 > to_ms * 1_000_000 {
            continue;
        }
        eprintln!(
            "{:>12} L{} {:?} seq_off={} len={} ack_off={} flags={:?} wnd={} {:?} {:?} {:?} tx={} rt={}",
            w.time.0 / 1000,
            w.link.0,
            w.event,
            w.header.stream_offset,
            w.header.len,
            off(out, w.header.ack) as i64,
            (w.header.flags.syn, w.header.flags.fin, w.header.flags.rst),
            w.header.window,
            w.provenance.sender,
            w.provenance.source,
            w.provenance.cause,
            w.provenance.tx_number,
            w.provenance.is_retransmission
        );
    }
    eprintln!("{:#?}", out.log.offload);
    eprintln!("{:#?}", out.handovers);
}

#[test]
fn dbg_run() {
    let t = crate::offload_rules::obed(1_000_000);
    let all = Impairment::DropPackets((1..=100_000).collect());
    let t = at(t, When::At(ms(300)), Step::Link(models::testbed::Direction::Forward, models::link::LinkControl::SetImpairments(vec![all])));
    let t = at(t, When::At(ms(900)), Step::Link(models::testbed::Direction::Forward, models::link::LinkControl::SetImpairments(vec![])));
    let t = at(t, When::At(ms(100)), Step::Offload(C));
    let out = at(t, When::On(C, Condition::AfterRto(1)), Step::Upload(C)).run();
    eprintln!("{:?} {:?}", out.end, out.conns);
    dump(&out, 0, 100000);
}
