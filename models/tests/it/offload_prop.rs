//! Offload and upload anywhere, under random loss, reordering and duplication: every byte
//! arrives once, in order, and no chimney rule is broken (a broken rule ends the run with an
//! error naming it). Also: an offload does not change the links' random draws, and the
//! retransmissions of a lossy offload-mid-transfer run by source.

use crate::fixtures::*;
use crate::offload_rules::obed;
use crate::runlog::*;
use models::app::{WriteSize, WriteTiming};
use models::link::{Impairment, LinkControl, stream_name};
use models::record::WireEvent;
use models::segment::{DataSource, Sender};
use models::testbed::{Direction, Step, Testbed, When};
use models::trigger::Condition;
use proptest::prelude::*;
use sim_core::{RngStream, SimDuration};
use std::collections::BTreeMap;

/// When the upload happens, if at all.
#[derive(Clone, Debug)]
enum UploadAt {
    Never,
    AfterMs(u64),
    On(Condition),
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    loss: (f64, f64),
    reorder: f64,
    dup: f64,
    total: u64,
    write: (u32, u32),
    offload_ms: u64,
    offload_latency_us: u64,
    upload: UploadAt,
    reoffload_after_ms: Option<u64>,
    refuse: bool,
    /// Paced writes, one per this many ms.
    paced_ms: Option<u64>,
    /// The sink stops reading from .0 ms for .1 ms (the window closes).
    sink_pause: Option<(u64, u64)>,
    /// The peer closes its half once this percentage of the data is acknowledged.
    peer_close_pct: Option<u64>,
}

fn case() -> impl Strategy<Value = Case> {
    let upload = prop_oneof![
        Just(UploadAt::Never),
        (1u64..1_500).prop_map(UploadAt::AfterMs),
        Just(UploadAt::On(Condition::RetransmissionInProgress)),
        Just(UploadAt::On(Condition::InFastRecovery)),
        Just(UploadAt::On(Condition::AfterRto(1))),
    ];
    (
        (any::<u64>(), 0.0..0.05f64, 0.0..0.03f64, 0.0..0.1f64, 0.0..0.03f64),
        (20_000u64..250_000, 1u32..3_000, 0u32..20_000),
        (
            proptest::option::of(1u64..5),
            proptest::option::of((0u64..1_500, 1u64..1_500)),
            proptest::option::of(1u64..100),
        ),
        (
            20u64..1_200,
            0u64..30_000,
            upload,
            proptest::option::of(1u64..800),
            proptest::bool::weighted(0.1),
        ),
    )
        .prop_map(
            |(
                (seed, fwd, rev, reorder, dup),
                (total, wmin, wspan),
                (paced_ms, sink_pause, peer_close_pct),
                (offload_ms, lat, upload, again, refuse),
            )| Case {
                seed,
                loss: (fwd, rev),
                reorder,
                dup,
                total,
                write: (wmin, wmin + wspan),
                offload_ms,
                offload_latency_us: lat,
                upload,
                reoffload_after_ms: again,
                refuse,
                paced_ms,
                sink_pause,
                peer_close_pct,
            },
        )
}

fn world(c: &Case) -> Testbed {
    let mut t = bed(c.total);
    t.seed = c.seed;
    t.conns[0].bulk.write_size = WriteSize::Uniform(c.write.0, c.write.1);
    t.forward.impairments = vec![
        Impairment::Bernoulli { p: c.loss.0 },
        Impairment::Reorder {
            fraction: c.reorder,
            extra_delay: SimDuration::from_millis(7),
        },
        Impairment::Duplicate { p: c.dup },
    ];
    t.reverse.impairments = vec![
        Impairment::Bernoulli { p: c.loss.1 },
        Impairment::Duplicate { p: c.dup },
    ];
    let target = t.target.as_mut().unwrap();
    target.offload_latency = SimDuration::from_micros(c.offload_latency_us);
    target.upload_latency = SimDuration::from_micros(c.offload_latency_us / 2);
    target.refuse = c.refuse;
    if let Some(p) = c.paced_ms {
        t.conns[0].bulk.timing = WriteTiming::Paced(SimDuration::from_millis(p));
    }
    let mut t = at(t, When::At(ms(c.offload_ms)), Step::Offload(C));
    if let Some((from, len)) = c.sink_pause {
        t = at(t, When::At(ms(from)), Step::PauseSink(C, true));
        t = at(t, When::At(ms(from + len)), Step::PauseSink(C, false));
    }
    if let Some(pct) = c.peer_close_pct {
        let acked = Condition::AfterBytesAcked(c.total * pct / 100);
        t = at(t, When::On(C, acked), Step::PeerClose(C));
    }
    let upload_ms = match &c.upload {
        UploadAt::Never => None,
        UploadAt::AfterMs(d) => {
            t = at(t, When::At(ms(c.offload_ms + d)), Step::Upload(C));
            Some(c.offload_ms + d)
        }
        UploadAt::On(cond) => {
            t = at(t, When::On(C, *cond), Step::Upload(C));
            None
        }
    };
    if let (Some(up), Some(again)) = (upload_ms, c.reoffload_after_ms) {
        t = at(t, When::At(ms(up + again)), Step::Offload(C));
    }
    t
}

proptest! {
    // A fixed proptest seed: the same cases on every run (style.md item 9); no regression files.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0ff1_0ad5),
        failure_persistence: None,
        ..Default::default()
    })]
    #[test]
    fn offload_and_upload_anywhere_deliver_every_byte_once(c in case()) {
        let out = world(&c).run();
        prop_assert!(out.integrity_ok(), "{c:?}\n{:?} {:?}\n{:#?}", out.end, out.conns, out.log.offload);
        assert_host_silent_during_offloads(&out);
        assert_first_transmissions_in_order(&out);
    }
}

// ----- common random numbers ---------------------------------------------------------------------

/// (dropped?, payload offset, length) of every packet entering the forward link.
fn fates(out: &models::testbed::Outcome) -> Vec<(bool, u64, u32)> {
    ingress(out, FWD)
        .into_iter()
        .map(|w| {
            (
                matches!(w.event, WireEvent::Dropped(_)),
                w.header.stream_offset,
                w.header.len,
            )
        })
        .collect()
}

#[test]
fn offloading_does_not_change_the_links_random_draws() {
    const P: f64 = 0.02;
    let mut base = obed(1_000_000);
    base.seed = 7;
    base.forward.impairments = vec![Impairment::Bernoulli { p: P }];
    let off_at = ms(300);
    let plain = base.clone().run();
    let offloaded = at(base, When::At(off_at), Step::Offload(C)).run();
    assert_complete(&plain);
    assert_complete(&offloaded);
    assert_eq!(
        plain.conns[0].isn, offloaded.conns[0].isn,
        "the ISN stream is untouched"
    );
    // Before the offload: the same packets, the same fates.
    let before = |out: &models::testbed::Outcome| -> Vec<(bool, u64, u32)> {
        let n = ingress(out, FWD).iter().filter(|w| w.time <= off_at).count();
        fates(out)[..n].to_vec()
    };
    assert_eq!(before(&plain), before(&offloaded));
    assert!(before(&plain).iter().any(|f| f.0), "some loss before the offload");
    // Overall: packet k of the forward link meets draw k of its named stream, whoever sent it.
    for out in [&plain, &offloaded] {
        let mut stream = RngStream::new(7, &stream_name("host->peer", 0, "bernoulli"));
        for (k, (dropped, ..)) in fates(out).into_iter().enumerate() {
            let lost = stream.uniform() < P;
            // A queue drop happens only to packets the loss model let through.
            assert!(!lost || dropped, "packet {k}: the draw said lost");
        }
    }
    assert!(
        data_by(&offloaded, Sender::OffloadTarget)
            .iter()
            .any(|w| w.provenance.is_retransmission),
        "the target met losses too"
    );
}

/// The target runs the same engine from the delegated state, so with the RTO at its floor
/// (quantising SRTT and RTTVAR to ticks then changes nothing) and a 100 µs offload, a lossy
/// transfer puts the very same packets on the wire at the very same times, offloaded or not.
#[test]
fn an_offload_mid_transfer_is_invisible_on_the_wire() {
    for seed in [11, 12] {
        let mut t = obed(3_000_000);
        t.seed = seed;
        t.forward.impairments = vec![Impairment::Bernoulli { p: 0.01 }];
        let plain = t.clone().run();
        let offloaded = at(t, When::At(ms(300)), Step::Offload(C)).run();
        assert_complete(&offloaded);
        let wire = |out: &models::testbed::Outcome| -> Vec<_> {
            ingress(out, FWD)
                .into_iter()
                .map(|w| {
                    (
                        w.time,
                        w.header.seq,
                        w.header.len,
                        w.event,
                        w.provenance.is_retransmission,
                    )
                })
                .collect()
        };
        assert_eq!(wire(&plain), wire(&offloaded), "seed {seed}");
        assert!(data_by(&offloaded, Sender::OffloadTarget).len() > 1_000);
    }
}

// ----- retransmissions by source ----------------------------------------------------------------

const SOURCES: [(DataSource, &str); 6] = [
    (DataSource::HostQueue, "host_queue"),
    (DataSource::DelegatedUnacked, "delegated_unacked"),
    (DataSource::DelegatedResend, "delegated_resend"),
    (DataSource::DelegatedUnsent, "delegated_unsent"),
    (DataSource::PostedAfterOffload, "posted_after_offload"),
    (DataSource::ReturnedAtUpload, "returned_at_upload"),
];

/// A 3 MB transfer over 1 % forward loss. At 250 ms the forward link also drops 30 packets in
/// a row: the host times out and goes back, and the connection is offloaded right then, mid
/// resend; it is uploaded at 3 s. The table counts the segments and the retransmitted ones
/// (rule 12's definition) by source region and sender. Run with `--nocapture` to see it.
#[test]
fn retransmissions_by_source_in_a_lossy_offload_mid_transfer_run() {
    let mut t = obed(3_000_000);
    t.seed = 11;
    let loss = Impairment::Bernoulli { p: 0.01 };
    t.forward.impairments = vec![loss.clone()];
    let burst = vec![loss, Impairment::DropPackets((1..=30).collect())];
    let t = at(
        t,
        When::At(ms(250)),
        Step::Link(Direction::Forward, LinkControl::SetImpairments(burst)),
    );
    let t = at(t, When::On(C, Condition::RetransmissionInProgress), Step::Offload(C));
    let out = at(t, When::At(ms(3_000)), Step::Upload(C)).run();
    assert_complete(&out);
    let mut table: BTreeMap<(DataSource, Sender), (u64, u64)> = BTreeMap::new();
    for w in data_out(&out) {
        let e = table.entry((w.provenance.source, w.provenance.sender)).or_default();
        e.0 += 1;
        e.1 += u64::from(w.provenance.is_retransmission);
    }
    let cell = |src, sender| table.get(&(src, sender)).copied().unwrap_or_default();
    println!("segments by source (3 MB, 1 % loss + a 30-packet burst, offload mid-resend, upload 3 s)");
    println!(
        "{:<22} {:>9} {:>14} {:>16}",
        "source", "segments", "retx by host", "retx by target"
    );
    for (src, name) in SOURCES {
        let (h, t) = (cell(src, Sender::Host), cell(src, Sender::OffloadTarget));
        println!("{name:<22} {:>9} {:>14} {:>16}", h.0 + t.0, h.1, t.1);
    }
    for (e, o) in out.log.offload.iter().map(|o| (&o.kind, o.time)) {
        println!("  {o}: {e:?}");
    }
    let retx = |src: DataSource| {
        table
            .iter()
            .filter(|((s, _), _)| *s == src)
            .map(|(_, (_, r))| r)
            .sum::<u64>()
    };
    let total: u64 = SOURCES.iter().map(|(s, _)| retx(*s)).sum();
    println!("{:<22} {:>9} {:>31}", "total", data_out(&out).len(), total);
    for (src, name) in SOURCES {
        assert!(
            cell(src, Sender::Host).0 + cell(src, Sender::OffloadTarget).0 > 0,
            "no {name} segment"
        );
    }
    // Rule 12: the whole resend region counts as retransmissions.
    let resend = cell(DataSource::DelegatedResend, Sender::OffloadTarget);
    assert_eq!(resend.0, resend.1);
    assert!(retx(DataSource::HostQueue) > 0 && retx(DataSource::PostedAfterOffload) > 0);
    // Sources match senders: the host never sends delegated or posted bytes, the target never
    // sends the host's queue or returned bytes.
    for (src, sender) in table.keys() {
        let target_only = matches!(
            src,
            DataSource::DelegatedUnacked
                | DataSource::DelegatedResend
                | DataSource::DelegatedUnsent
                | DataSource::PostedAfterOffload
        );
        assert_eq!(target_only, *sender == Sender::OffloadTarget, "{src:?} from {sender:?}");
    }
}
