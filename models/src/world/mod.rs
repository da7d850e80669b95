//! The world builder: hosts (each with an optional offload target), routers and duplex links
//! in any topology, connections between any two hosts with a bulk sender and a verifying
//! sink each, and a timeline; [`World::build`] checks the topology, computes static routes
//! ([`routing`]) and returns a [`Built`] world that runs. The scenario crate maps RON onto
//! it; the models' tests use it (and [`crate::testbed::Testbed`], its two-host form).
//!
//! ```
//! use models::link::{LinkConfig, QueueLimit};
//! use models::world::World;
//! use sim_core::SimDuration;
//! let fast = LinkConfig::new("", 100_000_000, SimDuration::from_millis(1), QueueLimit::Packets(100));
//! let mut w = World::new(1);
//! w.host("a").host("b").router("r");
//! w.duplex("l1", "a", "r", &fast).duplex("l2", "r", "b", &fast);
//! let built = w.build().unwrap();
//! assert_eq!(built.path("a", "b").unwrap(), ["l1:a->r", "l2:r->b"]);
//! ```
//!
//! # Actor order (part of every fingerprint)
//! Derived from names, not from declaration order: hosts by name, each followed by its
//! offload target; then routers by name; then links by name, each as its `a->b` direction
//! then `b->a`; then per connection (in the order added) its sender and its sink; then the
//! constant-bit-rate sources ([`crate::cbr`]) in the order added. Link
//! direction ids ([`LinkId`]) follow the same order. Random streams are named
//! (`link/<direction name>/<index>-<kind>`, `conn/<id>/isn`, `app/<id>/writes`), so adding
//! an idle host or router changes no other actor's draws (only later actor ids).
//!
//! # What is NOT modelled
//! Hosts have one interface (one link); routers forward without processing delay (see
//! [`crate::router`]); routes are static.

pub mod routing;

use crate::app::{BulkSender, Sink};
use crate::cbr::{CbrConfig, CbrSource};
use crate::conn_table::ConnTable;
use crate::endpoint::SegmentBoxes;
use crate::host::HostStack;
use crate::link::{LinkActor, LinkConfig, LinkControl, LinkCounters};
use crate::msg::{Action, Msg};
use crate::offload::{HandoverRecord, OffloadTarget, TargetConfig};
use crate::record::{
    CcSample, LinkId, RecordSink, Recorder, RunLog, SharedSinkRecords, TimelineEntry, TriggerRecord, hand_over,
};
use crate::router::{Router, RouterCounters};
use crate::segment::ConnId;
use crate::seq::SeqNum;
use crate::tcp::TcpConnection;
use crate::testbed::{
    ConnResult, ConnSpec, Direction, Outcome, RECORD_CHUNK_EVENTS, RECORD_CHUNK_TARGET, RECORD_SLICE, Step, When,
};
use crate::trigger::PendingAction;
use routing::{EdgeDef, NodeDef, NodeKind, RouteDef, Routes, TopologyError, compute_routes};
use sim_core::{ActorId, Limits, RngStream, RunEnd, SimDuration, SimError, SimTime, Simulation, TraceSink};
use std::collections::{BTreeMap, BTreeSet};

/// A host: a TCP stack, optionally with an offload target.
#[derive(Clone, Debug, PartialEq)]
pub struct HostSpec {
    /// Unique name (hosts and routers share one name space).
    pub name: String,
    /// The offload target's name and settings.
    pub target: Option<(String, TargetConfig)>,
}

/// A duplex link: one [`LinkConfig`] per direction.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// Unique link name.
    pub name: String,
    /// One end (host or router).
    pub a: String,
    /// The other end.
    pub b: String,
    /// Direction a → b (its `name` names its random streams).
    pub ab: LinkConfig,
    /// Direction b → a.
    pub ba: LinkConfig,
}

/// A connection between two hosts: `client` opens it and runs the bulk sender, `server`
/// listens and runs the sink.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnDef {
    /// Its name (reports use it).
    pub name: String,
    /// The opening, sending host.
    pub client: String,
    /// The listening, receiving host.
    pub server: String,
    /// Settings, id and applications.
    pub spec: ConnSpec,
}

/// A constant-bit-rate flow from host `from` to host `to` (cross traffic, [`crate::cbr`]).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowDef {
    /// Its name (reports use it).
    pub name: String,
    /// The sending host.
    pub from: String,
    /// The receiving host.
    pub to: String,
    /// Packet size, rate, start and stop.
    pub cfg: CbrConfig,
}

/// What a constant-bit-rate flow did (arrivals are in the links' records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowResult {
    /// The id its packets carry ([`FLOW_ID_BASE`] + its index).
    pub id: ConnId,
    /// Its name.
    pub name: String,
    /// The sending host.
    pub from: String,
    /// The receiving host.
    pub to: String,
    /// Ports (source, destination).
    pub ports: (u16, u16),
    /// Packets the source sent.
    pub sent: u64,
}

/// Constant-bit-rate flow `k` (in the order added) carries connection id `FLOW_ID_BASE + k`
/// and ports `50000 + k` → `55000 + k` (see [`MAX_CONN_ID`] for the TCP connections' ports).
pub const FLOW_ID_BASE: u32 = 1_000_000;

/// The largest connection id. Segments carry ports but no addresses, and routers forward by
/// destination port, so a port belongs to one host: the server end of every connection a host
/// serves listens on that host's port `5000 + k` (`k`: the host's position in the world, like
/// one listening socket), and the client end of connection `id` uses port `10000 + id - 1`
/// (unique, below the flows' `50000 + k`). Every connection's 4-tuple is distinct.
pub const MAX_CONN_ID: u32 = 40_000;

/// The most hosts a world may have: each has its own listening port in `5000..10000`.
pub const MAX_HOSTS: usize = 5_000;

/// Why a world cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// The topology is wrong (see [`TopologyError`]); every problem is listed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Topology(Vec<TopologyError>),
    /// A connection names a node that is not a host.
    #[error("connection `{conn}`: `{node}` is not a host (connections run between hosts)")]
    NotAHost {
        /// The connection.
        conn: String,
        /// The node.
        node: String,
    },
    /// Two connections share an id or a name.
    #[error("connection `{conn}`: id {id} or name already used")]
    DuplicateConn {
        /// The connection.
        conn: String,
        /// Its id.
        id: u32,
    },
    /// A connection id outside 1..=[`MAX_CONN_ID`] (its client port is derived from it).
    #[error("connection `{conn}`: id {id} is outside 1..={MAX_CONN_ID} (its client port is 10000 + id - 1)")]
    ConnIdRange {
        /// The connection.
        conn: String,
        /// Its id.
        id: u32,
    },
    /// More hosts than listening ports (see [`MAX_HOSTS`]).
    #[error("{0} hosts: at most {MAX_HOSTS} (each listens on its own port in 5000..10000)")]
    TooManyHosts(usize),
    /// A timeline step names something that does not exist.
    #[error("timeline[{index}]: {message}")]
    Timeline {
        /// Index in the timeline.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// The world builder. Register hosts, routers, links, connections and timeline steps by
/// name, then [`World::build`].
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    /// Run seed.
    pub seed: u64,
    /// Run limits.
    pub limits: Limits,
    /// Hosts.
    pub hosts: Vec<HostSpec>,
    /// Routers (names).
    pub routers: Vec<String>,
    /// Explicit routes (override the shortest path at one node).
    pub routes: Vec<RouteDef>,
    /// Links.
    pub links: Vec<LinkSpec>,
    /// Connections.
    pub conns: Vec<ConnDef>,
    /// Constant-bit-rate flows.
    pub flows: Vec<FlowDef>,
    /// Timeline. [`Step::Link`] acts on the first link added (the two-host form);
    /// [`Step::OnLink`] names its link.
    pub timeline: Vec<(When, Step)>,
}

impl World {
    /// An empty world with run seed `seed` and no limits.
    pub fn new(seed: u64) -> Self {
        World {
            seed,
            limits: Limits::default(),
            hosts: Vec::new(),
            routers: Vec::new(),
            routes: Vec::new(),
            links: Vec::new(),
            conns: Vec::new(),
            flows: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// Sets the run limits.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Adds a host without an offload target.
    pub fn host(&mut self, name: impl Into<String>) -> &mut Self {
        self.hosts.push(HostSpec {
            name: name.into(),
            target: None,
        });
        self
    }

    /// Adds a host with an offload target named `target`.
    pub fn host_with_target(
        &mut self,
        name: impl Into<String>,
        target: impl Into<String>,
        cfg: TargetConfig,
    ) -> &mut Self {
        self.hosts.push(HostSpec {
            name: name.into(),
            target: Some((target.into(), cfg)),
        });
        self
    }

    /// Adds a router.
    pub fn router(&mut self, name: impl Into<String>) -> &mut Self {
        self.routers.push(name.into());
        self
    }

    /// At `node`, sends packets for host `to` through link `via` (instead of the shortest path).
    pub fn route(&mut self, node: impl Into<String>, to: impl Into<String>, via: impl Into<String>) -> &mut Self {
        self.routes.push(RouteDef {
            node: node.into(),
            to: to.into(),
            via: via.into(),
        });
        self
    }

    /// Adds a duplex link with its own settings per direction (their names are kept: they
    /// name the directions' random streams).
    pub fn link(
        &mut self,
        name: impl Into<String>,
        a: impl Into<String>,
        b: impl Into<String>,
        ab: LinkConfig,
        ba: LinkConfig,
    ) -> &mut Self {
        self.links.push(LinkSpec {
            name: name.into(),
            a: a.into(),
            b: b.into(),
            ab,
            ba,
        });
        self
    }

    /// Adds a duplex link with the same settings both ways; the directions are named
    /// `<name>:<a>-><b>` and `<name>:<b>-><a>` (the scenario files' convention).
    pub fn duplex(&mut self, name: &str, a: &str, b: &str, cfg: &LinkConfig) -> &mut Self {
        let dir = |from: &str, to: &str| LinkConfig {
            name: format!("{name}:{from}->{to}"),
            ..cfg.clone()
        };
        let (ab, ba) = (dir(a, b), dir(b, a));
        self.link(name, a, b, ab, ba)
    }

    /// Adds a connection from `client` to `server`.
    pub fn conn(
        &mut self,
        name: impl Into<String>,
        client: impl Into<String>,
        server: impl Into<String>,
        spec: ConnSpec,
    ) -> &mut Self {
        self.conns.push(ConnDef {
            name: name.into(),
            client: client.into(),
            server: server.into(),
            spec,
        });
        self
    }

    /// Adds a constant-bit-rate flow from `from` to `to`.
    pub fn cbr(
        &mut self,
        name: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
        cfg: CbrConfig,
    ) -> &mut Self {
        self.flows.push(FlowDef {
            name: name.into(),
            from: from.into(),
            to: to.into(),
            cfg,
        });
        self
    }

    /// Adds a timeline step.
    pub fn at(&mut self, when: When, step: Step) -> &mut Self {
        self.timeline.push((when, step));
        self
    }

    fn nodes(&self) -> Vec<NodeDef> {
        let hosts = self.hosts.iter().map(|h| NodeDef {
            name: h.name.clone(),
            kind: NodeKind::Host,
        });
        let routers = self.routers.iter().map(|r| NodeDef {
            name: r.clone(),
            kind: NodeKind::Router,
        });
        hosts.chain(routers).collect()
    }

    fn edges(&self) -> Vec<EdgeDef> {
        self.links
            .iter()
            .map(|l| EdgeDef {
                name: l.name.clone(),
                a: l.a.clone(),
                b: l.b.clone(),
            })
            .collect()
    }

    /// Checks the topology, computes the routes and lays out the actors.
    pub fn build(&self) -> Result<Built, WorldError> {
        let host_names: BTreeSet<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
        let host = |n: &str| host_names.contains(n).then_some(());
        if self.hosts.len() > MAX_HOSTS {
            return Err(WorldError::TooManyHosts(self.hosts.len()));
        }
        let (mut ids, mut names) = (BTreeSet::new(), BTreeSet::new());
        let mut pairs = Vec::new();
        for c in &self.conns {
            for n in [&c.client, &c.server] {
                if host(n).is_none() {
                    return Err(WorldError::NotAHost {
                        conn: c.name.clone(),
                        node: n.clone(),
                    });
                }
            }
            if c.spec.id.0 == 0 || c.spec.id.0 > MAX_CONN_ID {
                return Err(WorldError::ConnIdRange {
                    conn: c.name.clone(),
                    id: c.spec.id.0,
                });
            }
            if !ids.insert(c.spec.id) | !names.insert(c.name.as_str()) {
                return Err(WorldError::DuplicateConn {
                    conn: c.name.clone(),
                    id: c.spec.id.0,
                });
            }
            pairs.push((c.client.clone(), c.server.clone()));
            pairs.push((c.server.clone(), c.client.clone()));
        }
        for (i, f) in self.flows.iter().enumerate() {
            for n in [&f.from, &f.to] {
                if host(n).is_none() {
                    return Err(WorldError::NotAHost {
                        conn: f.name.clone(),
                        node: n.clone(),
                    });
                }
            }
            let taken = !names.insert(f.name.as_str());
            if taken || i >= 5_000 {
                return Err(WorldError::DuplicateConn {
                    conn: f.name.clone(),
                    id: FLOW_ID_BASE + i as u32,
                });
            }
            pairs.push((f.from.clone(), f.to.clone()));
        }
        let routes =
            compute_routes(&self.nodes(), &self.edges(), &self.routes, &pairs).map_err(WorldError::Topology)?;
        for (index, (_, step)) in self.timeline.iter().enumerate() {
            let bad = |message: String| Err(WorldError::Timeline { index, message });
            match step {
                Step::OnLink(l, _, _) if !self.links.iter().any(|x| &x.name == l) => {
                    return bad(format!("unknown link `{l}`"));
                }
                Step::Link(..) if self.links.is_empty() => return bad("the world has no link".into()),
                _ => {}
            }
        }
        Ok(Built {
            layout: Layout::new(self),
            world: self.clone(),
            routes,
        })
    }
}

/// Actor ids of a built world (see the module doc for the order).
#[derive(Clone, Debug)]
struct Layout {
    /// By host index: (stack, target).
    hosts: Vec<(ActorId, Option<ActorId>)>,
    /// By router index.
    routers: Vec<ActorId>,
    /// By link index: (a→b, b→a) actors and link ids.
    links: Vec<[(ActorId, LinkId); 2]>,
    /// By connection index: (sender, sink).
    apps: Vec<(ActorId, ActorId)>,
    /// By flow index: its source.
    flows: Vec<ActorId>,
    /// Link directions in actor order: (link index, 0 = a→b / 1 = b→a).
    link_order: Vec<(usize, usize)>,
    /// Connection index by id, and host index by name (lookups per timeline entry and per
    /// chunk stay independent of the number of connections).
    conn_by_id: BTreeMap<ConnId, usize>,
    host_by_name: BTreeMap<String, usize>,
    /// By host index: the connections it opens (the client end).
    opened: Vec<BTreeSet<ConnId>>,
}

fn sorted_by_name<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut v: Vec<(&str, usize)> = names.enumerate().map(|(i, n)| (n, i)).collect();
    v.sort();
    v.into_iter().map(|(_, i)| i).collect()
}

impl Layout {
    fn new(w: &World) -> Layout {
        let mut next = 0u32;
        let mut take = || {
            next += 1;
            ActorId(next - 1)
        };
        let mut hosts = vec![(ActorId(0), None); w.hosts.len()];
        for i in sorted_by_name(w.hosts.iter().map(|h| h.name.as_str())) {
            let stack = take();
            hosts[i] = (stack, w.hosts[i].target.as_ref().map(|_| take()));
        }
        let mut routers = vec![ActorId(0); w.routers.len()];
        for i in sorted_by_name(w.routers.iter().map(String::as_str)) {
            routers[i] = take();
        }
        let mut links = vec![[(ActorId(0), LinkId(0)); 2]; w.links.len()];
        let mut link_order = Vec::new();
        for i in sorted_by_name(w.links.iter().map(|l| l.name.as_str())) {
            for (d, slot) in links[i].iter_mut().enumerate() {
                *slot = (take(), LinkId(link_order.len() as u16));
                link_order.push((i, d));
            }
        }
        let apps = w.conns.iter().map(|_| (take(), take())).collect();
        let flows = w.flows.iter().map(|_| take()).collect();
        let mut conn_by_id = BTreeMap::new();
        for (i, c) in w.conns.iter().enumerate() {
            conn_by_id.entry(c.spec.id).or_insert(i);
        }
        let mut host_by_name = BTreeMap::new();
        for (i, h) in w.hosts.iter().enumerate() {
            host_by_name.entry(h.name.clone()).or_insert(i);
        }
        let mut opened = vec![BTreeSet::new(); w.hosts.len()];
        for c in &w.conns {
            if let Some(i) = host_by_name.get(&c.client) {
                opened[*i].insert(c.spec.id);
            }
        }
        Layout {
            hosts,
            routers,
            links,
            apps,
            flows,
            link_order,
            conn_by_id,
            host_by_name,
            opened,
        }
    }
}

/// What a sliced run keeps until its last chunk: the lists only the whole run orders (see
/// [`RecordSink`]) and the delegated-state blocks.
#[derive(Default)]
struct Held {
    triggers: Vec<TriggerRecord>,
    handovers: Vec<HandoverRecord>,
    /// Each actor's last sender sample per connection, of the chunks taken so far, with the
    /// number of the `drop_repeated_samples` call that last saw the connection (a table per
    /// actor, not a map: a map lookup per sample cost ~1.5 % of a run of 10,000 connections).
    last_sample: BTreeMap<ActorId, ConnTable<(u64, Option<CcSample>)>>,
    /// Calls of `drop_repeated_samples` so far.
    calls: u64,
    /// The chunk being filled, kept between slices for its lists' capacity.
    log: RunLog,
    /// What the sinks recorded since the last chunk.
    sinks: SharedSinkRecords,
}

impl Held {
    /// An actor records a sender sample only when it differs from the connection's previous
    /// sample in its recorder ([`CcSample::same_state`]); after a chunk was taken that list
    /// is empty, so the first sample of each connection in the next chunk is recorded even
    /// when unchanged. Dropping it here keeps the chunks equal to the unsliced log. `conns`:
    /// the world's connection ids, ascending (the actor's table starts with them).
    fn drop_repeated_samples(&mut self, actor: ActorId, cc: &mut Vec<CcSample>, conns: impl Iterator<Item = ConnId>) {
        self.calls += 1;
        let call = self.calls;
        let last = self.last_sample.entry(actor).or_insert_with(|| {
            let mut t = ConnTable::new();
            for id in conns {
                t.insert(id, (0, None));
            }
            t
        });
        cc.retain(|s| {
            let (seen, prev) = last.get_or_insert_with(s.conn, || (0, None));
            // Only the first sample of a connection in this list may repeat the last one kept.
            let keep = *seen == call || !prev.is_some_and(|p| p.same_state(s));
            *seen = call;
            if keep {
                *prev = Some(*s);
            }
            keep
        });
    }
}

/// A checked world, ready to run (any number of times: each run starts afresh).
#[derive(Clone, Debug)]
pub struct Built {
    world: World,
    layout: Layout,
    routes: Routes,
}

impl Built {
    /// The world as it was built (its hosts, links, connections and timeline).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The link direction names a packet from host `from` to host `to` crosses, in order.
    pub fn path(&self, from: &str, to: &str) -> Result<Vec<String>, TopologyError> {
        let w = &self.world;
        Ok(self
            .routes
            .path(from, to)?
            .into_iter()
            .map(|(l, entered)| {
                let link = &w.links[l];
                if link.b == entered {
                    link.ab.name.clone()
                } else {
                    link.ba.name.clone()
                }
            })
            .collect())
    }

    /// Runs the world once.
    pub fn run(&self) -> Outcome {
        self.run_traced(None)
    }

    /// Runs the world once, streaming the trace to `sink`; [`Outcome::log`] is the whole
    /// run's log (the chunks of [`Built::run_streamed`] concatenated).
    pub fn run_traced(&self, sink: Option<Box<dyn TraceSink>>) -> Outcome {
        let mut log = RunLog::default();
        let mut out = self.execute(sink, Some(&mut log), RECORD_SLICE);
        out.log = log;
        out
    }

    /// [`Built::run`] taking the recordings every `slice` of simulated time instead of every
    /// [`RECORD_SLICE`] (for tests: neither the run nor its log depends on the slice).
    pub fn run_sliced(&self, slice: SimDuration) -> Outcome {
        let mut log = RunLog::default();
        let mut out = self.execute(None, Some(&mut log), slice);
        out.log = log;
        out
    }

    /// Runs the world once, handing what the actors record to `records` chunk by chunk as
    /// the run goes ([`RecordSink`]); [`Outcome::log`] is empty. The run itself is the one
    /// [`Built::run`] makes.
    pub fn run_streamed(&self, records: &mut dyn RecordSink) -> Outcome {
        self.execute(None, Some(records), RECORD_SLICE)
    }

    /// [`Built::run_streamed`] in slices of `slice` instead of [`RECORD_SLICE`] (for tests:
    /// what a consumer makes of the chunks must not depend on the slice).
    pub fn run_streamed_in_slices(&self, records: &mut dyn RecordSink, slice: SimDuration) -> Outcome {
        self.execute(None, Some(records), slice)
    }

    /// Runs without keeping what the actors record (see [`crate::testbed::Testbed::run_unrecorded`]).
    pub fn run_unrecorded(&self) -> Outcome {
        self.execute(None, None, RECORD_SLICE)
    }

    fn host_index(&self, name: &str) -> usize {
        *self.layout.host_by_name.get(name).expect("checked at build")
    }

    /// The connection with id `id`.
    fn conn_def(&self, id: ConnId) -> Option<&ConnDef> {
        self.layout.conn_by_id.get(&id).map(|i| &self.world.conns[*i])
    }

    /// The actor a node receives segments with: a host's target if it has one (it sees
    /// every arriving segment first), else its stack; a router.
    fn ingress(&self, node: &str) -> ActorId {
        if let Some(h) = self.world.hosts.iter().position(|h| h.name == node) {
            let (stack, nic) = self.layout.hosts[h];
            return nic.unwrap_or(stack);
        }
        let r = self
            .world
            .routers
            .iter()
            .position(|r| r == node)
            .expect("checked at build");
        self.layout.routers[r]
    }

    /// The link direction actor leaving `node` over link `l`.
    fn out_of(&self, node: &str, l: usize) -> ActorId {
        let d = usize::from(self.world.links[l].a != node);
        self.layout.links[l][d].0
    }

    /// A host's egress: its (only) link's outgoing direction.
    fn egress(&self, host: &str) -> ActorId {
        let l = self
            .world
            .links
            .iter()
            .position(|l| l.a == host || l.b == host)
            .expect("checked at build: every host has a link");
        self.out_of(host, l)
    }

    /// (client port, server port) of connection `c` (see [`MAX_CONN_ID`]).
    fn ports(&self, c: &ConnSpec, server: &str) -> (u16, u16) {
        (10_000 + (c.id.0 - 1) as u16, 5_000 + self.host_index(server) as u16)
    }

    fn flow_ports(k: usize) -> (u16, u16) {
        (50_000 + k as u16, 55_000 + k as u16)
    }

    fn execute(
        &self,
        trace: Option<Box<dyn TraceSink>>,
        mut records: Option<&mut dyn RecordSink>,
        slice: SimDuration,
    ) -> Outcome {
        let (w, ids) = (&self.world, &self.layout);
        // Recording is not simulation: what no one reads is not recorded.
        let queue_samples = records.as_ref().is_some_and(|r| r.wants_queue());
        let mut sim: Simulation<Msg> = Simulation::new(w.seed);
        sim.set_limits(w.limits);
        sim.set_trace_sink(trace);
        let boxes = SegmentBoxes::default();
        let mut stacks: Vec<HostStack> = w
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let fault = h.target.as_ref().and_then(|(_, t)| t.fault);
                let s = HostStack::new(h.name.clone(), self.egress(&h.name), ids.hosts[i].1)
                    .with_fault(fault)
                    .sharing_boxes(&boxes);
                if w.conns.iter().any(|c| c.client == h.name) {
                    s
                } else {
                    s.without_sender_samples()
                }
            })
            .collect();
        let results = self.conns_before_run();
        let mut endpoints = vec![0; stacks.len()];
        for c in &w.conns {
            endpoints[self.host_index(&c.client)] += 1;
            endpoints[self.host_index(&c.server)] += 1;
        }
        for (stack, n) in stacks.iter_mut().zip(endpoints) {
            stack.reserve_connections(n);
        }
        for (i, (c, r)) in w.conns.iter().zip(&results).enumerate() {
            let spec = &c.spec;
            let (isn_a, isn_b) = r.isn;
            let (port_a, port_b) = r.ports;
            let (sender, sink) = ids.apps[i];
            stacks[self.host_index(&c.client)].add_connection_at(
                TcpConnection::connect(spec.tcp, spec.id, port_a, port_b, isn_a),
                Some(sender),
                spec.open_at,
            );
            stacks[self.host_index(&c.server)].add_connection(
                TcpConnection::listen(spec.peer_tcp, spec.id, port_b, port_a, isn_b),
                Some(sink),
            );
        }
        for (index, (when, step)) in w.timeline.iter().enumerate() {
            let (conn, condition, delay) = match when {
                When::On(conn, condition) => (conn, condition, SimDuration::ZERO),
                When::OnAfter(conn, condition, delay) => (conn, condition, *delay),
                When::At(_) => continue,
            };
            let (executor, msg) = self.route(step);
            let action = match msg {
                Some(Msg::Action(action)) => *action,
                Some(Msg::LinkControl(control)) => Action::Link(*control),
                _ => continue,
            };
            // Conditions are checked by the host that runs the connection's sending end.
            let Some(c) = self.conn_def(*conn) else {
                continue;
            };
            stacks[self.host_index(&c.client)].add_pending_action(
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
        let mut stacks: Vec<Option<HostStack>> = stacks.into_iter().map(Some).collect();
        for i in sorted_by_name(w.hosts.iter().map(|h| h.name.as_str())) {
            let h = &w.hosts[i];
            let stack = stacks[i].take().expect("each host once");
            sim.add_actor(h.name.clone(), Box::new(stack));
            if let Some((name, cfg)) = &h.target {
                let target = OffloadTarget::new(name.clone(), ids.hosts[i].0, self.egress(&h.name), cfg.clone())
                    .sharing_boxes(&boxes);
                sim.add_actor(name.clone(), Box::new(target));
            }
        }
        for i in sorted_by_name(w.routers.iter().map(String::as_str)) {
            let name = &w.routers[i];
            let mut table = BTreeMap::new();
            for c in &w.conns {
                let (client_port, server_port) = self.ports(&c.spec, &c.server);
                for (port, host) in [(client_port, &c.client), (server_port, &c.server)] {
                    if let Some(l) = self.routes.next_hop(name, host) {
                        table.insert(port, self.out_of(name, l));
                    }
                }
            }
            for (k, f) in w.flows.iter().enumerate() {
                if let Some(l) = self.routes.next_hop(name, &f.to) {
                    table.insert(Self::flow_ports(k).1, self.out_of(name, l));
                }
            }
            sim.add_actor(format!("router {name}"), Box::new(Router::new(name.clone(), table)));
        }
        for &(l, d) in &ids.link_order {
            let link = &w.links[l];
            let (cfg, to) = if d == 0 {
                (&link.ab, &link.b)
            } else {
                (&link.ba, &link.a)
            };
            let mut actor = LinkActor::new(ids.links[l][d].1, cfg.clone(), w.seed, self.ingress(to));
            if !queue_samples {
                actor = actor.without_queue_samples();
            }
            sim.add_actor(format!("link {}", cfg.name), Box::new(actor));
        }
        let mut held = Held::default();
        for (k, c) in w.conns.iter().enumerate() {
            let spec = &c.spec;
            let rng = sim.rng_stream(&format!("app/{}/writes", spec.id.0));
            let client = ids.hosts[self.host_index(&c.client)].0;
            let server = ids.hosts[self.host_index(&c.server)].0;
            sim.add_actor(
                format!("sender {}", c.name),
                Box::new(BulkSender::new(spec.id, client, spec.bulk.clone(), rng)),
            );
            sim.add_actor(
                format!("sink {}", c.name),
                Box::new(Sink::new(
                    spec.id,
                    server,
                    spec.bulk.total,
                    spec.read_rate,
                    held.sinks.clone(),
                    k as u32,
                )),
            );
        }
        for (k, f) in w.flows.iter().enumerate() {
            let id = ConnId(FLOW_ID_BASE + k as u32);
            let source = CbrSource::new(id, Self::flow_ports(k), self.egress(&f.from), f.cfg.clone());
            sim.add_actor(format!("cbr {}", f.name), Box::new(source));
        }
        for (when, step) in &w.timeline {
            if let When::At(at) = when {
                let (executor, msg) = self.route(step);
                if let Some(msg) = msg {
                    sim.schedule(*at, executor, msg);
                }
            }
        }
        let end = self.run_in_slices(&mut sim, &mut records, &mut held, slice);
        self.collect(sim, end, results, held, records)
    }

    /// The connections as a run starts them, known before it runs (reports classify records
    /// with it while the run goes on): ids, names, hosts, ports and initial sequence numbers
    /// (drawn from the run's named stream `conn/<id>/isn` unless the settings fix them);
    /// nothing delivered yet.
    pub fn conns_before_run(&self) -> Vec<ConnResult> {
        let w = &self.world;
        w.conns
            .iter()
            .map(|c| {
                let spec = &c.spec;
                let mut rng = RngStream::new(w.seed, &format!("conn/{}/isn", spec.id.0));
                let isn_a = SeqNum(spec.isn.0.unwrap_or_else(|| rng.next_u64() as u32));
                let isn_b = SeqNum(spec.isn.1.unwrap_or_else(|| rng.next_u64() as u32));
                ConnResult {
                    id: spec.id,
                    name: c.name.clone(),
                    client: c.client.clone(),
                    server: c.server.clone(),
                    expected: spec.bulk.total,
                    delivered: 0,
                    completed_at: None,
                    aborted: 0,
                    isn: (isn_a, isn_b),
                    ports: self.ports(spec, &c.server),
                }
            })
            .collect()
    }

    /// The link directions by [`LinkId`], known before the run: (names, (node left, node
    /// entered), rate at the start [bit/s]).
    #[allow(clippy::type_complexity)]
    pub fn link_directions(&self) -> (Vec<String>, Vec<(String, String)>, Vec<u64>) {
        let w = &self.world;
        let mut names = Vec::new();
        let mut ends = Vec::new();
        let mut rates = Vec::new();
        for &(l, d) in &self.layout.link_order {
            let x = &w.links[l];
            let (cfg, from, to) = if d == 0 {
                (&x.ab, &x.a, &x.b)
            } else {
                (&x.ba, &x.b, &x.a)
            };
            names.push(cfg.name.clone());
            ends.push((from.clone(), to.clone()));
            rates.push(cfg.rate_bps);
        }
        (names, ends, rates)
    }

    fn link_actors(&self) -> impl Iterator<Item = ActorId> + '_ {
        self.layout.link_order.iter().map(|&(l, d)| self.layout.links[l][d].0)
    }

    /// Runs to the end in slices of [`RECORD_SLICE`] simulated time. After each slice the
    /// actors' recordings are taken, merged and sorted into a chunk ([`Built::take_chunk`])
    /// and handed to `records`, or dropped without one; the last chunk is handed over by
    /// [`Built::collect`]. Slicing does not change the run: `run_until(t)` processes every
    /// event at or before `t` and the next slice goes on from there, so the kernel sees the
    /// same events in the same order (the fingerprint is the same), and every record of a
    /// later slice is stamped after `t`.
    fn run_in_slices(
        &self,
        sim: &mut Simulation<Msg>,
        records: &mut Option<&mut dyn RecordSink>,
        held: &mut Held,
        slice: SimDuration,
    ) -> Result<RunEnd, SimError> {
        let mut until = SimTime::ZERO;
        let shortest = SimDuration::from_nanos((slice.as_nanos() / 1024).max(1));
        // Start short: the first slices of a fast run would otherwise hold most of a second.
        let mut next = shortest;
        loop {
            until = until.saturating_add(next);
            match sim.run_until_within(until, RECORD_CHUNK_EVENTS) {
                Ok(RunEnd::Paused) => {}
                // The slice ends early, after the last event time handled (see
                // RECORD_CHUNK_EVENTS).
                Ok(RunEnd::BudgetSpent) => until = sim.now(),
                end => return end,
            }
            let mut log = std::mem::take(&mut held.log);
            self.take_chunk(sim, held, false, &mut log);
            // Chunks near the target size (see RECORD_SLICE): their boundaries depend only
            // on the records, so a run is sliced the same way every time.
            let n = log.wire_len();
            if n > RECORD_CHUNK_TARGET {
                next = SimDuration::from_nanos((next.as_nanos() / 2).max(shortest.as_nanos()));
            } else if n < RECORD_CHUNK_TARGET / 4 {
                next = SimDuration::from_nanos(next.as_nanos().saturating_mul(2).min(slice.as_nanos()));
            }
            if let Some(sink) = records.as_mut() {
                hand_over(*sink, &mut log, until);
            }
            log.clear();
            held.log = log;
        }
    }

    /// Every actor's recording since the last call, in actor order (hosts by name, each
    /// followed by its target; links; sinks), moved into `log` (empty on entry): one chunk of
    /// the run's log, not [settled](Recorder::settle) yet (each actor's wire records in a list
    /// of `log.wire_parts`). The lists only the whole run orders (see [`RecordSink`]) are
    /// kept in `held` and come with the last chunk (`last`), with the records of the send
    /// buffers still pending (those that ended come in the chunk they ended in).
    /// Actors keep their lists' capacity, so a long run does not allocate per slice.
    fn take_chunk(&self, sim: &mut Simulation<Msg>, held: &mut Held, last: bool, log: &mut RunLog) {
        let (w, ids) = (&self.world, &self.layout);
        let mut parts = std::mem::take(&mut log.wire_parts.0);
        let mut k = 0;
        // Wire records are merged, not sorted: each actor's list moves to `parts` (taking a
        // spare list with capacity in exchange; parts past `k` stay empty) and the other lists
        // are appended.
        let mut absorb = |log: &mut RunLog, r: &mut Recorder| {
            if !r.wire.is_empty() {
                if k == parts.len() {
                    parts.push(Vec::new());
                }
                std::mem::swap(&mut r.wire, &mut parts[k]);
                k += 1;
            }
            log.append(r);
        };
        for i in sorted_by_name(w.hosts.iter().map(|h| h.name.as_str())) {
            let (stack, nic) = ids.hosts[i];
            let host = sim.actor_mut::<HostStack>(stack).expect("host");
            // Sender samples describe a connection's data sender: keep those of the
            // connections this host opened (a host that also receives records both ends).
            let opened = &ids.opened[i];
            let mut keep = |held: &mut Held, r: &mut Recorder| {
                held.drop_repeated_samples(stack, &mut r.cc, ids.conn_by_id.keys().copied());
                r.cc.retain(|s| opened.contains(&s.conn));
                absorb(log, r);
            };
            if last {
                // The host checks an upload against its offload's block (rule 33): the blocks
                // stay with it until the end.
                held.handovers.extend(host.take_handovers());
                keep(held, &mut host.take_recorder());
            } else {
                keep(held, host.recorder_mut());
            }
            if let Some(nic) = nic {
                let r = sim.actor_mut::<OffloadTarget>(nic).expect("nic").recorder_mut();
                held.drop_repeated_samples(nic, &mut r.cc, ids.conn_by_id.keys().copied());
                absorb(log, r);
            }
        }
        for link in self.link_actors().collect::<Vec<_>>() {
            absorb(log, sim.actor_mut::<LinkActor>(link).expect("link").recorder_mut());
        }
        held.sinks.borrow_mut().drain_into(log);
        log.wire_parts.0 = parts;
        held.triggers.append(&mut log.triggers);
        if last {
            log.triggers = std::mem::take(&mut held.triggers);
            self.record_timeline(log, sim.now());
        }
    }

    /// Which actor carries a step out, and the message that tells it.
    fn route(&self, step: &Step) -> (ActorId, Option<Msg>) {
        let (w, ids) = (&self.world, &self.layout);
        let conn = |c: &ConnId| ids.conn_by_id.get(c).copied();
        let host_of = |c: &ConnId, server: bool| -> (ActorId, Option<ActorId>) {
            match conn(c) {
                Some(i) => {
                    let name = if server { &w.conns[i].server } else { &w.conns[i].client };
                    ids.hosts[self.host_index(name)]
                }
                // An unknown connection: the first host ignores the action (as the stack
                // ignores actions for connections it does not have).
                None => ids.hosts.first().copied().unwrap_or((ActorId(0), None)),
            }
        };
        let client = |c: &ConnId| host_of(c, false).0;
        let server = |c: &ConnId| host_of(c, true).0;
        let app = |c: &ConnId, sink: bool| match conn(c) {
            Some(i) => {
                let (s, k) = ids.apps[i];
                if sink { k } else { s }
            }
            None => client(c),
        };
        let act = |a: Action| Some(Msg::Action(Box::new(a)));
        let pause = |p: bool| act(if p { Action::PauseApp } else { Action::ResumeApp });
        let link = |l: usize, d: Direction| {
            let i = usize::from(d == Direction::Reverse);
            ids.links[l][i].0
        };
        match step {
            Step::Offload(c) => (client(c), act(Action::Offload(*c))),
            Step::Upload(c) => (client(c), act(Action::Upload(*c))),
            Step::Close(c) => (client(c), act(Action::Close(*c))),
            Step::Abort(c) => (client(c), act(Action::Abort(*c))),
            Step::PeerClose(c) => (server(c), act(Action::Close(*c))),
            Step::PeerAbort(c) => (server(c), act(Action::Abort(*c))),
            // Without a target there is nobody to ask; the host ignores the action.
            Step::TargetUpload(c) => {
                let (stack, nic) = host_of(c, false);
                (nic.unwrap_or(stack), act(Action::TargetUpload(*c)))
            }
            Step::TargetUploadFor(c, r) => {
                let (stack, nic) = host_of(c, false);
                (nic.unwrap_or(stack), act(Action::TargetUploadFor(*c, *r)))
            }
            Step::PauseSender(c, p) => (app(c, false), pause(*p)),
            Step::PauseSink(c, p) => (app(c, true), pause(*p)),
            Step::Link(d, ctl) => (link(0, *d), Some(Msg::LinkControl(Box::new(ctl.clone())))),
            Step::OnLink(name, d, ctl) => {
                let l = w.links.iter().position(|x| &x.name == name).expect("checked at build");
                (link(l, *d), Some(Msg::LinkControl(Box::new(ctl.clone()))))
            }
        }
    }

    /// A timeline step as the scenario names it: `Upload(c1)`, not `Upload(ConnId(1))`.
    fn step_label(&self, step: &Step) -> String {
        let text = format!("{step:?}");
        let name = step.conn().and_then(|id| self.conn_def(id));
        match name {
            Some(c) if !c.name.is_empty() => text.replace(&format!("ConnId({})", c.spec.id.0), &c.name),
            _ => text,
        }
    }

    /// The timeline as declared, and the timed entries the run reached (conditional ones are
    /// recorded by whoever fires them).
    fn record_timeline(&self, log: &mut RunLog, end: SimTime) {
        for (index, (when, step)) in self.world.timeline.iter().enumerate() {
            let index = index as u32;
            let action = match self.route(step).1 {
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
                step: self.step_label(step),
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
        end: Result<RunEnd, SimError>,
        mut results: Vec<ConnResult>,
        mut held: Held,
        records: Option<&mut dyn RecordSink>,
    ) -> Outcome {
        let (w, ids) = (&self.world, &self.layout);
        let mut last = std::mem::take(&mut held.log);
        self.take_chunk(&mut sim, &mut held, true, &mut last);
        if let Some(sink) = records {
            hand_over(sink, &mut last, SimTime::MAX);
        }
        let mut handovers = held.handovers;
        handovers.sort_by_key(|h| h.time);
        for (i, (sender, sink)) in ids.apps.iter().enumerate() {
            let s = sim.actor::<Sink>(*sink).expect("sink");
            results[i].delivered = s.received();
            results[i].completed_at = s.completed_at();
            results[i].aborted = sim.actor::<BulkSender>(*sender).expect("sender").aborted();
        }
        let link_counters: Vec<LinkCounters> = self
            .link_actors()
            .map(|l| *sim.actor::<LinkActor>(l).expect("link").counters())
            .collect();
        let (links, link_ends, link_rates) = self.link_directions();
        let mut routers: Vec<(String, RouterCounters)> = w
            .routers
            .iter()
            .zip(&ids.routers)
            .map(|(name, id)| (name.clone(), sim.actor::<Router>(*id).expect("router").counters()))
            .collect();
        routers.sort_by(|a, b| a.0.cmp(&b.0));
        let flows = w
            .flows
            .iter()
            .enumerate()
            .map(|(k, f)| FlowResult {
                id: ConnId(FLOW_ID_BASE + k as u32),
                name: f.name.clone(),
                from: f.from.clone(),
                to: f.to.clone(),
                ports: Self::flow_ports(k),
                sent: sim.actor::<CbrSource>(ids.flows[k]).expect("flow").sent(),
            })
            .collect();
        Outcome {
            end,
            trace: sim.trace(),
            end_time: sim.now(),
            conns: results,
            log: RunLog::default(),
            links,
            link_ends,
            link_rates,
            link_counters,
            routers,
            flows,
            handovers,
        }
    }
}

/// Applies a link change to one named link's direction: [`Step::OnLink`].
pub fn on_link(link: impl Into<String>, dir: Direction, control: LinkControl) -> Step {
    Step::OnLink(link.into(), dir, control)
}
