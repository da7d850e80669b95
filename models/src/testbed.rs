//! A two-host world built from plain settings: the sending host (with an optional offload
//! target), the peer host, a link per direction, and per connection a bulk sender and a
//! verifying sink. Scenario files are mapped onto it, and the models' own integration tests
//! use it directly.
//!
//! It is a thin layer over [`World`]: [`Testbed::world`] registers hosts `host` (with its
//! target `nic`) and `peer`, one link and the connections; the world's name-derived actor
//! order then is the one this testbed always had (it is part of every fingerprint): `host`,
//! `nic` (if any), `peer`, link `forward`, link `reverse`, then per connection its sender and
//! its sink.

use crate::app::{BulkConfig, ReadRate, WriteSize, WriteTiming};
use crate::link::{Impairment, LinkConfig, LinkControl, LinkCounters, QueueLimit};
use crate::offload::{HandoverRecord, TargetConfig};
use crate::record::{RecordSink, RunLog};
use crate::router::RouterCounters;
use crate::segment::ConnId;
use crate::seq::SeqNum;
use crate::tcp::TcpConfig;
use crate::trigger::Condition;
use crate::world::World;
use sim_core::{Limits, RunEnd, RunTrace, SimDuration, SimError, SimTime, TraceSink};

/// One connection: the sending host's endpoint is the active opener.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnSpec {
    /// Its id.
    pub id: ConnId,
    /// TCP settings of the sending host's endpoint.
    pub tcp: TcpConfig,
    /// TCP settings of the peer's endpoint.
    pub peer_tcp: TcpConfig,
    /// Initial send sequence numbers (sender, peer); `None` draws them from the run's
    /// named stream `conn/<id>/isn`.
    pub isn: (Option<u32>, Option<u32>),
    /// The sending application.
    pub bulk: BulkConfig,
    /// How fast the peer's application reads.
    pub read_rate: ReadRate,
    /// When the sending host opens the connection (sends its SYN).
    pub open_at: SimTime,
}

/// Which link direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sending host → peer.
    Forward,
    /// Peer → sending host.
    Reverse,
}

impl Step {
    /// The connection the step acts on (none for a link change).
    pub fn conn(&self) -> Option<ConnId> {
        match self {
            Step::Offload(c)
            | Step::Upload(c)
            | Step::Close(c)
            | Step::Abort(c)
            | Step::PeerClose(c)
            | Step::PeerAbort(c)
            | Step::TargetUpload(c)
            | Step::TargetUploadFor(c, _)
            | Step::PauseSender(c, _)
            | Step::PauseSink(c, _) => Some(*c),
            Step::Link(..) | Step::OnLink(..) => None,
        }
    }
}

/// What a timeline entry does.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Offload the connection.
    Offload(ConnId),
    /// Upload it back.
    Upload(ConnId),
    /// Close it after its data.
    Close(ConnId),
    /// Abort it (RST from the sending host).
    Abort(ConnId),
    /// Close the peer's side (FIN from the peer: the sending host's receive half closes).
    PeerClose(ConnId),
    /// Abort from the peer (RST from the peer).
    PeerAbort(ConnId),
    /// The sending host's offload target asks for the connection to be uploaded (rule 46).
    TargetUpload(ConnId),
    /// The sending host's offload target asks for the connection to be uploaded, for this
    /// reason (rule 27).
    TargetUploadFor(ConnId, crate::offload::UploadReason),
    /// Pause / resume the connection's sender.
    PauseSender(ConnId, bool),
    /// Pause / resume the connection's sink.
    PauseSink(ConnId, bool),
    /// Change a link direction (of the two-host testbed, or of a [`World`]'s first link).
    Link(Direction, LinkControl),
    /// Change one direction of a named link of a [`World`] (`Forward` is its a → b).
    OnLink(String, Direction, LinkControl),
}

/// When a timeline entry fires.
#[derive(Clone, Debug, PartialEq)]
pub enum When {
    /// At a simulated time.
    At(SimTime),
    /// When a condition of a connection holds (checked by whoever runs the connection).
    On(ConnId, Condition),
    /// A delay after a condition of a connection first holds.
    OnAfter(ConnId, Condition, SimDuration),
}

/// The whole world.
#[derive(Clone, Debug, PartialEq)]
pub struct Testbed {
    /// Run seed.
    pub seed: u64,
    /// Sending host → peer.
    pub forward: LinkConfig,
    /// Peer → sending host.
    pub reverse: LinkConfig,
    /// The sending host's offload target.
    pub target: Option<TargetConfig>,
    /// Connections.
    pub conns: Vec<ConnSpec>,
    /// Timeline.
    pub timeline: Vec<(When, Step)>,
    /// Run limits.
    pub limits: Limits,
}

/// Per-connection result.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnResult {
    /// Which connection.
    pub id: ConnId,
    /// Its name.
    pub name: String,
    /// The host that opened it and sent the data.
    pub client: String,
    /// The host that accepted it and ran the sink.
    pub server: String,
    /// Bytes the sender was to send.
    pub expected: u64,
    /// Bytes the sink received and verified.
    pub delivered: u64,
    /// When the last byte arrived.
    pub completed_at: Option<SimTime>,
    /// Bytes whose send requests were aborted (RST).
    pub aborted: u64,
    /// Initial sequence numbers (sender, peer).
    pub isn: (SeqNum, SeqNum),
    /// Ports (sender, peer).
    pub ports: (u16, u16),
}

impl ConnResult {
    /// Every expected byte arrived verified and no send was aborted. How the run ended is not
    /// part of it: a run stopped by its time limit after the last byte was verified kept its
    /// integrity (its outcome says why it stopped). A sink that finds a wrong byte ends the run
    /// without counting it, so `delivered` falls short.
    pub fn integrity_ok(&self) -> bool {
        self.delivered == self.expected && self.aborted == 0
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    /// How the run ended.
    pub end: Result<RunEnd, SimError>,
    /// Trace summary (fingerprint, events, checkpoints).
    pub trace: RunTrace,
    /// Simulated time at the end.
    pub end_time: SimTime,
    /// Per connection.
    pub conns: Vec<ConnResult>,
    /// Everything recorded, merged and ordered.
    pub log: RunLog,
    /// Link direction names, by [`LinkId`](crate::record::LinkId).
    pub links: Vec<String>,
    /// The node each link direction leaves and the node it enters, by [`LinkId`](crate::record::LinkId).
    pub link_ends: Vec<(String, String)>,
    /// Each link direction's rate at the start of the run [bit/s] (0: infinitely fast), by
    /// [`LinkId`](crate::record::LinkId).
    pub link_rates: Vec<u64>,
    /// What each router did, by router name.
    pub routers: Vec<(String, RouterCounters)>,
    /// What each constant-bit-rate flow sent.
    pub flows: Vec<crate::world::FlowResult>,
    /// What each link direction did, by [`LinkId`](crate::record::LinkId) (kept with or without recording).
    pub link_counters: Vec<LinkCounters>,
    /// The delegated state the sending host handed over and got back, in order.
    pub handovers: Vec<HandoverRecord>,
}

impl Outcome {
    /// True when the run ended without error and every byte sent arrived verified.
    pub fn integrity_ok(&self) -> bool {
        self.conns.iter().all(ConnResult::integrity_ok)
    }
}

/// The longest simulated time a run goes between taking the actors' recordings (to hand
/// them to a [`RecordSink`] as one chunk, or to drop them in [`Testbed::run_unrecorded`]): a
/// run's memory for records follows one slice, not the run. A slice that recorded more than
/// [`RECORD_CHUNK_TARGET`] wire records halves the next one (down to [`RECORD_SLICE`] / 1024,
/// the first slice's length), and one that recorded under a quarter of it doubles the next
/// (up to [`RECORD_SLICE`]), so a chunk stays near the target at 10 Mbit/s and at 100 Gbit/s
/// alike.
pub const RECORD_SLICE: SimDuration = SimDuration::from_millis(100);

/// The number of wire records a chunk aims at (see [`RECORD_SLICE`]). Why not more: a
/// consumer on a thread of its own (`reports::SinkThread`) holds the chunk before while the
/// run fills the next, two sets of lists instead of one; at 32,768, 1000 connections × 1 MB
/// peaked at 146 MB resident with the consumer beside the run (113-121 MB in line), at
/// 16,384 116 MB, in the same time.
pub const RECORD_CHUNK_TARGET: usize = 16_384;

/// The most kernel events a slice handles before it ends early, after the last event time
/// it handled (never between two events of one time: see
/// [`sim_core::Simulation::run_until_within`]). Why: the slice length adapts to the records
/// of the slice before, which cannot foresee a burst. 10,000 connections at 100 Gbit/s all
/// send their first window within a few milliseconds, and one slice of 3 ms held ~500,000
/// wire records: ~150 MB of lists whose capacity the run then kept to its end (peak resident
/// 513 MB of a 150 ms run). A data segment makes about one wire record per kernel event.
pub const RECORD_CHUNK_EVENTS: u64 = 2 * RECORD_CHUNK_TARGET as u64;

/// What one [`bench_transfer`] run did, in simulated quantities (the caller times it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchStats {
    /// Bytes the application transferred (all verified at the sink).
    pub bytes: u64,
    /// Segments that entered the data direction: data segments (retransmissions included)
    /// plus the handful of handshake and close segments.
    pub segments: u64,
    /// Segments that entered the ACK direction.
    pub acks: u64,
    /// Kernel events dispatched.
    pub events: u64,
    /// Simulated time when the last byte arrived.
    pub sim_time: SimTime,
    /// Run fingerprint (the same for every run of the same arguments).
    pub fingerprint: u64,
}

/// The benchmark world: one bulk transfer of `bytes` from the host to the peer over 10 Mbit/s,
/// 20 ms one way, Bernoulli loss `loss` on data segments (ACK path clean), a queue that does
/// not drop, default TCP settings (NewReno, delayed ACKs), no offload target.
pub fn bench_testbed(bytes: u64, loss: f64, seed: u64) -> Testbed {
    let link = |name: &str| {
        LinkConfig::new(
            name,
            10_000_000,
            SimDuration::from_millis(20),
            QueueLimit::Packets(1000),
        )
    };
    let tcp = TcpConfig::default();
    Testbed {
        seed,
        forward: link("host->peer").with(Impairment::Bernoulli { p: loss }),
        reverse: link("peer->host"),
        target: None,
        conns: vec![ConnSpec {
            id: ConnId(1),
            tcp,
            peer_tcp: tcp,
            isn: (None, None),
            bulk: BulkConfig {
                total: bytes,
                write_size: WriteSize::Fixed(64 * 1024),
                timing: WriteTiming::AllAtOnce,
                send_buffer: 1 << 20,
                close_when_done: true,
                start: SimDuration::ZERO,
            },
            read_rate: ReadRate::Unlimited,
            open_at: SimTime::ZERO,
        }],
        timeline: vec![],
        // A 1 GB transfer at 1 % loss takes about an hour of simulated time.
        limits: Limits {
            max_time: Some(SimTime(24 * 3_600 * 1_000_000_000)),
            max_events: None,
        },
    }
}

/// Runs [`bench_testbed`] once without recording (see [`Testbed::run_unrecorded`]) and
/// returns what it simulated; `None` if the transfer did not complete intact. For `cargo xtask
/// bench` and the criterion bench `models/benches/transfer.rs`.
pub fn bench_transfer(bytes: u64, loss: f64, seed: u64) -> Option<BenchStats> {
    let out = bench_testbed(bytes, loss, seed).run_unrecorded();
    if !out.integrity_ok() {
        return None;
    }
    Some(BenchStats {
        bytes,
        segments: out.link_counters[0].packets_in,
        acks: out.link_counters[1].packets_in,
        events: out.trace.events,
        sim_time: out.conns[0].completed_at?,
        fingerprint: out.trace.fingerprint.0,
    })
}

impl Testbed {
    /// Runs the world once.
    pub fn run(&self) -> Outcome {
        self.run_traced(None)
    }

    /// Runs the world once, streaming the trace to `sink`.
    pub fn run_traced(&self, sink: Option<Box<dyn TraceSink>>) -> Outcome {
        self.built().run_traced(sink)
    }

    /// Runs the world once, handing the recording to `records` chunk by chunk (see
    /// [`crate::world::Built::run_streamed`]); [`Outcome::log`] is empty.
    pub fn run_streamed(&self, records: &mut dyn RecordSink) -> Outcome {
        self.built().run_streamed(records)
    }

    /// Runs the world once without keeping what the actors record: every [`RECORD_SLICE`] of
    /// simulated time their recordings are taken and dropped, so memory follows the data in
    /// flight rather than the length of the transfer. The run itself (events, fingerprint,
    /// per-connection results, link counters) is the one [`Testbed::run`] makes; only
    /// [`Outcome::log`] is empty.
    pub fn run_unrecorded(&self) -> Outcome {
        self.built().run_unrecorded()
    }

    /// The same world as a [`World`]: hosts `host` (with target `nic` if any) and `peer`,
    /// link `link` (`forward` is its a→b direction), connections named `c<id>`.
    pub fn world(&self) -> World {
        let mut w = World::new(self.seed);
        w.limits(self.limits);
        match &self.target {
            Some(cfg) => w.host_with_target("host", "nic", cfg.clone()),
            None => w.host("host"),
        };
        w.host("peer");
        w.link("link", "host", "peer", self.forward.clone(), self.reverse.clone());
        for c in &self.conns {
            w.conn(format!("c{}", c.id.0), "host", "peer", c.clone());
        }
        for (when, step) in &self.timeline {
            w.at(when.clone(), step.clone());
        }
        w
    }

    fn built(&self) -> crate::world::Built {
        // Two hosts joined by one link always route; only a repeated connection id fails.
        match self.world().build() {
            Ok(built) => built,
            Err(e) => panic!("Testbed: {e}"),
        }
    }
}
