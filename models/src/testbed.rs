//! A two-host world built from plain settings: the sending host (with an optional offload
//! target), the peer host, a link per direction, and per connection a bulk sender and a
//! verifying sink. Scenario files are mapped onto it, and the models' own integration tests
//! use it directly.
//!
//! Actor order (it is part of every fingerprint): `host`, `nic` (if any), `peer`, link
//! `forward`, link `reverse`, then per connection its sender and its sink.

use crate::app::{BulkConfig, BulkSender, ReadRate, Sink, WriteSize, WriteTiming};
use crate::host::HostStack;
use crate::link::{Impairment, LinkActor, LinkConfig, LinkControl, LinkCounters, QueueLimit};
use crate::msg::{Action, Msg};
use crate::offload::{HandoverRecord, OffloadTarget, TargetConfig};
use crate::record::{LinkId, RunLog, TimelineEntry, TriggerRecord};
use crate::segment::ConnId;
use crate::seq::SeqNum;
use crate::tcp::{TcpConfig, TcpConnection};
use crate::trigger::{Condition, PendingAction};
use sim_core::{ActorId, Limits, RunEnd, RunTrace, SimDuration, SimError, SimTime, Simulation, TraceSink};

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
            Step::Link(..) => None,
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
    /// Change a link direction.
    Link(Direction, LinkControl),
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
    /// Link direction names, by [`LinkId`].
    pub links: Vec<String>,
    /// What each link direction did, by [`LinkId`] (kept with or without recording).
    pub link_counters: Vec<LinkCounters>,
    /// The delegated state the sending host handed over and got back, in order.
    pub handovers: Vec<HandoverRecord>,
}

impl Outcome {
    /// True when the run ended without error and every byte sent arrived verified.
    pub fn integrity_ok(&self) -> bool {
        self.end.is_ok() && self.conns.iter().all(|c| c.delivered == c.expected && c.aborted == 0)
    }
}

/// How much simulated time [`Testbed::run_unrecorded`] runs between dropping recordings.
pub const RECORD_SLICE: SimDuration = SimDuration::from_millis(100);

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

struct Ids {
    host: ActorId,
    nic: Option<ActorId>,
    peer: ActorId,
    forward: ActorId,
    reverse: ActorId,
    apps: Vec<(ActorId, ActorId)>,
}

fn layout(t: &Testbed) -> Ids {
    let mut next = 0u32;
    let mut take = || {
        next += 1;
        ActorId(next - 1)
    };
    let host = take();
    let nic = t.target.as_ref().map(|_| take());
    let (peer, forward, reverse) = (take(), take(), take());
    let apps = t.conns.iter().map(|_| (take(), take())).collect();
    Ids {
        host,
        nic,
        peer,
        forward,
        reverse,
        apps,
    }
}

impl Testbed {
    /// Runs the world once.
    pub fn run(&self) -> Outcome {
        self.run_traced(None)
    }

    /// Runs the world once, streaming the trace to `sink`.
    pub fn run_traced(&self, sink: Option<Box<dyn TraceSink>>) -> Outcome {
        self.execute(sink, true)
    }

    /// Runs the world once without keeping what the actors record: every [`RECORD_SLICE`] of
    /// simulated time their recordings are taken and dropped, so memory follows the data in
    /// flight rather than the length of the transfer. The run itself (events, fingerprint,
    /// per-connection results, link counters) is the one [`Testbed::run`] makes; only
    /// [`Outcome::log`] is empty.
    pub fn run_unrecorded(&self) -> Outcome {
        self.execute(None, false)
    }

    fn execute(&self, sink: Option<Box<dyn TraceSink>>, record: bool) -> Outcome {
        let ids = layout(self);
        let mut sim: Simulation<Msg> = Simulation::new(self.seed);
        sim.set_limits(self.limits);
        sim.set_trace_sink(sink);
        let mut host =
            HostStack::new("host", ids.forward, ids.nic).with_fault(self.target.as_ref().and_then(|t| t.fault));
        let mut peer = HostStack::new("peer", ids.reverse, None).without_sender_samples();
        let mut results = Vec::new();
        for (i, c) in self.conns.iter().enumerate() {
            let mut rng = sim.rng_stream(&format!("conn/{}/isn", c.id.0));
            let isn_a = SeqNum(c.isn.0.unwrap_or_else(|| rng.next_u64() as u32));
            let isn_b = SeqNum(c.isn.1.unwrap_or_else(|| rng.next_u64() as u32));
            let (port_a, port_b) = (40_000 + c.id.0 as u16, 5_000 + c.id.0 as u16);
            let (sender, sink) = ids.apps[i];
            host.add_connection_at(
                TcpConnection::connect(c.tcp, c.id, port_a, port_b, isn_a),
                Some(sender),
                c.open_at,
            );
            peer.add_connection(
                TcpConnection::listen(c.peer_tcp, c.id, port_b, port_a, isn_b),
                Some(sink),
            );
            results.push(ConnResult {
                id: c.id,
                expected: c.bulk.total,
                delivered: 0,
                completed_at: None,
                aborted: 0,
                isn: (isn_a, isn_b),
                ports: (port_a, port_b),
            });
        }
        for (index, (when, step)) in self.timeline.iter().enumerate() {
            let (conn, condition, delay) = match when {
                When::On(conn, condition) => (conn, condition, SimDuration::ZERO),
                When::OnAfter(conn, condition, delay) => (conn, condition, *delay),
                When::At(_) => continue,
            };
            {
                let (executor, msg) = self.route(&ids, step);
                let action = match msg {
                    Some(Msg::Action(action)) => action,
                    Some(Msg::LinkControl(control)) => Action::Link(control),
                    _ => continue,
                };
                host.add_pending_action(
                    *conn,
                    PendingAction {
                        condition: *condition,
                        action,
                        executor,
                        delay,
                        index: index as u32,
                    },
                );
            }
        }
        let ingress = ids.nic.unwrap_or(ids.host);
        sim.add_actor("host", Box::new(host));
        if let Some(cfg) = &self.target {
            sim.add_actor(
                "nic",
                Box::new(OffloadTarget::new("nic", ids.host, ids.forward, cfg.clone())),
            );
        }
        sim.add_actor("peer", Box::new(peer));
        sim.add_actor(
            format!("link {}", self.forward.name),
            Box::new(LinkActor::new(LinkId(0), self.forward.clone(), self.seed, ids.peer)),
        );
        sim.add_actor(
            format!("link {}", self.reverse.name),
            Box::new(LinkActor::new(LinkId(1), self.reverse.clone(), self.seed, ingress)),
        );
        for c in &self.conns {
            let rng = sim.rng_stream(&format!("app/{}/writes", c.id.0));
            sim.add_actor(
                format!("sender {}", c.id.0),
                Box::new(BulkSender::new(c.id, ids.host, c.bulk.clone(), rng)),
            );
            sim.add_actor(
                format!("sink {}", c.id.0),
                Box::new(Sink::new(c.id, ids.peer, c.bulk.total, c.read_rate)),
            );
        }
        for (when, step) in &self.timeline {
            if let When::At(at) = when {
                let (executor, msg) = self.route(&ids, step);
                if let Some(msg) = msg {
                    sim.schedule(*at, executor, msg);
                }
            }
        }
        let end = if record {
            sim.run()
        } else {
            Self::run_discarding(&mut sim, &ids)
        };
        self.collect(sim, ids, end, results)
    }

    /// Runs to the end in slices of simulated time, dropping the recordings after each. Pausing
    /// between events changes nothing in the run (the kernel resumes exactly where it stopped).
    fn run_discarding(sim: &mut Simulation<Msg>, ids: &Ids) -> Result<RunEnd, SimError> {
        let mut until = SimTime::ZERO;
        loop {
            until = until.saturating_add(RECORD_SLICE);
            let end = sim.run_until(until);
            drop(sim.actor_mut::<HostStack>(ids.host).map(HostStack::take_recorder));
            if let Some(nic) = ids.nic {
                drop(sim.actor_mut::<OffloadTarget>(nic).map(OffloadTarget::take_recorder));
            }
            drop(sim.actor_mut::<HostStack>(ids.peer).map(HostStack::take_recorder));
            for link in [ids.forward, ids.reverse] {
                drop(sim.actor_mut::<LinkActor>(link).map(LinkActor::take_recorder));
            }
            for (_, sink) in &ids.apps {
                drop(sim.actor_mut::<Sink>(*sink).map(Sink::take_recorder));
            }
            if end != Ok(RunEnd::Paused) {
                return end;
            }
        }
    }

    /// Which actor carries a step out, and the message that tells it.
    fn route(&self, ids: &Ids, step: &Step) -> (ActorId, Option<Msg>) {
        let app = |conn: &ConnId, sink: bool| {
            let i = self.conns.iter().position(|c| c.id == *conn).unwrap_or(0);
            let (s, k) = ids.apps.get(i).copied().unwrap_or((ids.host, ids.peer));
            if sink { k } else { s }
        };
        let pause = |p: bool| Some(Msg::Action(if p { Action::PauseApp } else { Action::ResumeApp }));
        match step {
            Step::Offload(c) => (ids.host, Some(Msg::Action(Action::Offload(*c)))),
            Step::Upload(c) => (ids.host, Some(Msg::Action(Action::Upload(*c)))),
            Step::Close(c) => (ids.host, Some(Msg::Action(Action::Close(*c)))),
            Step::Abort(c) => (ids.host, Some(Msg::Action(Action::Abort(*c)))),
            Step::PeerClose(c) => (ids.peer, Some(Msg::Action(Action::Close(*c)))),
            Step::PeerAbort(c) => (ids.peer, Some(Msg::Action(Action::Abort(*c)))),
            // Without a target there is nobody to ask; the host ignores the action.
            Step::TargetUpload(c) => (ids.nic.unwrap_or(ids.host), Some(Msg::Action(Action::TargetUpload(*c)))),
            Step::TargetUploadFor(c, r) => (
                ids.nic.unwrap_or(ids.host),
                Some(Msg::Action(Action::TargetUploadFor(*c, *r))),
            ),
            Step::PauseSender(c, p) => (app(c, false), pause(*p)),
            Step::PauseSink(c, p) => (app(c, true), pause(*p)),
            Step::Link(Direction::Forward, ctl) => (ids.forward, Some(Msg::LinkControl(ctl.clone()))),
            Step::Link(Direction::Reverse, ctl) => (ids.reverse, Some(Msg::LinkControl(ctl.clone()))),
        }
    }

    /// The timeline as declared, and the timed entries the run reached (conditional ones are
    /// recorded by whoever fires them).
    fn record_timeline(&self, log: &mut RunLog, end: SimTime, ids: &Ids) {
        for (index, (when, step)) in self.timeline.iter().enumerate() {
            let index = index as u32;
            let action = match self.route(ids, step).1 {
                Some(Msg::Action(a)) => a.name(),
                _ => "link",
            };
            let trigger = match when {
                When::At(at) => format!("at {at}"),
                When::On(_, c) => format!("on {c:?}"),
                When::OnAfter(_, c, d) if *d == SimDuration::ZERO => format!("on {c:?}"),
                When::OnAfter(_, c, d) => format!("{d} after {c:?}"),
            };
            log.timeline.push(TimelineEntry {
                index,
                action: action.to_string(),
                step: format!("{step:?}"),
                conn: step.conn(),
                trigger,
            });
            if let When::At(at) = when
                && *at <= end
            {
                log.triggers.push(TriggerRecord { time: *at, index });
            }
        }
    }

    fn collect(
        &self,
        mut sim: Simulation<Msg>,
        ids: Ids,
        end: Result<RunEnd, SimError>,
        mut results: Vec<ConnResult>,
    ) -> Outcome {
        let mut log = RunLog::default();
        let host = sim.actor_mut::<HostStack>(ids.host).expect("host");
        let handovers = host.take_handovers();
        log.merge(host.take_recorder());
        if let Some(nic) = ids.nic {
            log.merge(sim.actor_mut::<OffloadTarget>(nic).expect("nic").take_recorder());
        }
        log.merge(sim.actor_mut::<HostStack>(ids.peer).expect("peer").take_recorder());
        log.merge(sim.actor_mut::<LinkActor>(ids.forward).expect("link").take_recorder());
        log.merge(sim.actor_mut::<LinkActor>(ids.reverse).expect("link").take_recorder());
        for (i, (sender, sink)) in ids.apps.iter().enumerate() {
            let s = sim.actor_mut::<Sink>(*sink).expect("sink");
            results[i].delivered = s.received();
            results[i].completed_at = s.completed_at();
            log.merge(s.take_recorder());
            results[i].aborted = sim.actor::<BulkSender>(*sender).expect("sender").aborted();
        }
        self.record_timeline(&mut log, sim.now(), &ids);
        log.sort();
        let link_counters = [ids.forward, ids.reverse]
            .iter()
            .map(|l| *sim.actor::<LinkActor>(*l).expect("link").counters())
            .collect();
        Outcome {
            end,
            trace: sim.trace(),
            end_time: sim.now(),
            conns: results,
            log,
            links: vec![self.forward.name.clone(), self.reverse.name.clone()],
            link_counters,
            handovers,
        }
    }
}
