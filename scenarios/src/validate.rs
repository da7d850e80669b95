//! Semantic validation: everything serde cannot check. All problems are collected, each
//! with the field path it concerns and what would be allowed.

use crate::index::Index;

use crate::load::ValidationError;
use crate::schema::{
    Action, Application, Connection, DelayedAck, Flow, Impairment, Link, LinkDirection, Period, Queue, ReadRate,
    Scenario, Timing, Trigger, WriteSize,
};
use crate::sweep::validate_sweep;
use crate::units::Duration;
use models::world::routing::{EdgeDef, NodeDef, NodeKind, RouteDef, TopologyError, compute_routes};

/// Largest MSS: a 65535-byte IPv4 packet minus 40 header bytes.
const MAX_MSS: u32 = 65_495;
/// Smallest MSS accepted (keeps event counts sane).
const MIN_MSS: u32 = 64;
/// RFC 7323 §2.3: the shift is at most 14.
const MAX_WINDOW_SCALE: u8 = 14;
/// Largest window RFC 7323 allows, which bounds the bytes in flight.
const MAX_WINDOW: u64 = 65_535 << 14;
/// RFC 1122 §4.2.3.2: the ACK delay MUST be less than 0.5 seconds.
const MAX_DELACK: Duration = Duration::from_millis(500);

/// Checks a scenario's semantic rules, including its sweep. Returns every problem found.
pub fn validate(s: &Scenario) -> Result<(), Vec<ValidationError>> {
    let mut errors = match validate_base(s) {
        Ok(()) => Vec::new(),
        Err(e) => e,
    };
    let base_ok = errors.is_empty();
    validate_sweep(s, base_ok, &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Everything but the sweep section.
pub(crate) fn validate_base(s: &Scenario) -> Result<(), Vec<ValidationError>> {
    let mut v = Validator {
        s,
        errors: Vec::new(),
        index: Index::new(s),
    };
    v.scenario();
    crate::bounds::check(&v.index, &mut v.errors);
    if v.errors.is_empty() { Ok(()) } else { Err(v.errors) }
}

struct Validator<'a> {
    s: &'a Scenario,
    errors: Vec<ValidationError>,
    index: Index<'a>,
}

/// How many names an "unknown name" error lists before it only counts the rest.
const KNOWN_LISTED: usize = 20;

/// The names an "unknown name" error offers instead (the first [`KNOWN_LISTED`] distinct ones,
/// in file order, then how many more).
fn known<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut list: Vec<String> = Vec::new();
    let mut more = 0usize;
    for n in names {
        if seen.insert(n) {
            if list.len() < KNOWN_LISTED {
                list.push(format!("`{n}`"));
            } else {
                more += 1;
            }
        }
    }
    if list.is_empty() {
        "none are defined".into()
    } else if more > 0 {
        format!("known: {} and {more} more", list.join(", "))
    } else {
        format!("known: {}", list.join(", "))
    }
}

/// The ends of the field paths that hold a probability in [0, 1] (checked here; a sweep axis
/// setting one is drawn in % by the reports). The validator's probability check asserts
/// that its field is one of these, and a test sets each to 2 and expects each error.
pub const PROBABILITY_FIELDS: [&str; 8] = [
    ".Bernoulli.p",
    ".GilbertElliott.p_good_to_bad",
    ".GilbertElliott.p_bad_to_good",
    ".GilbertElliott.loss_good",
    ".GilbertElliott.loss_bad",
    ".Reorder.fraction",
    ".Duplicate.p",
    ".Corrupt.p",
];

/// The file-name form of a name, the one the reports name files with (`reports::sanitize`
/// calls it): ASCII letters,
/// digits, `-`, `_` and `.` are kept, every other character becomes `_`, and a name of dots
/// only gets a leading `_`.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().all(|c| c == '.') {
        format!("_{s}")
    } else {
        s
    }
}

fn safe_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl<'a> Validator<'a> {
    fn err(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(ValidationError::new(field, msg));
    }

    /// Checks a probability; `field` ends with one of [`PROBABILITY_FIELDS`].
    fn prob(&mut self, field: String, p: f64) {
        debug_assert!(PROBABILITY_FIELDS.iter().any(|f| field.ends_with(f)), "{field}");
        if !(0.0..=1.0).contains(&p) {
            self.err(field, format!("must be a probability in [0, 1], got {p}"));
        }
    }

    fn positive(&mut self, field: String, what: &str, zero: bool) {
        if zero {
            self.err(field, format!("{what} must be greater than zero"));
        }
    }

    /// Checks that name `idx` of `list` is unique among the names before it.
    fn unique(&mut self, field: String, kind: &str, list: &str, idx: usize) {
        let names = self.index.list(list);
        let name = names.names[idx];
        if name.is_empty() {
            self.err(field, format!("{kind} name must not be empty"));
        } else if let Some(j) = names.position(name).filter(|j| *j < idx) {
            self.err(field, format!("duplicate {kind} name `{name}` (also {list}[{j}])"));
        }
    }

    /// Checks that `names[idx]`, made a file name, differs from every earlier name's: the
    /// reports name files after hosts, links, connections and applications, and two names
    /// with one file name would overwrite each other's files (red team, collide.ron: `cé`
    /// and `cü` both wrote `c_-sender.pcapng`).
    fn distinct_file_stem(&mut self, field: String, kind: &str, list: &str, idx: usize) {
        let names = self.index.list(list);
        let name = names.names[idx];
        if name.is_empty() {
            return; // reported by `unique`
        }
        let stem = file_stem(name);
        let same_stem = names.stems.get(&stem).map_or(&[][..], Vec::as_slice);
        if let Some(j) = same_stem
            .iter()
            .copied()
            .take_while(|j| *j < idx)
            .find(|j| names.names[*j] != name)
        {
            let names = &names.names;
            self.err(
                field,
                format!(
                    "{kind} names `{}` ({list}[{j}]) and `{name}` both become the file name `{stem}`, so their \
                     report files would overwrite each other; file names keep ASCII letters, digits, `-`, `_` \
                     and `.` and turn every other character into `_`: make the names differ in those",
                    names[j]
                ),
            );
        }
    }

    fn host(&self, name: &str) -> Option<usize> {
        self.index.hosts.position(name)
    }
    fn router(&self, name: &str) -> bool {
        self.index.routers.position(name).is_some()
    }
    fn conn(&self, name: &str) -> Option<&'a Connection> {
        self.index.conn(name)
    }

    fn check_host(&mut self, field: String, name: &str) -> bool {
        if self.host(name).is_some() {
            return true;
        }
        let k = known(self.s.hosts.iter().map(|h| h.name.as_str()));
        if self.router(name) {
            self.err(
                field,
                format!("`{name}` is a router: connections run between hosts (routers only forward); hosts: {k}"),
            );
        } else {
            self.err(field, format!("unknown host `{name}`; {k}"));
        }
        false
    }

    /// A link end: a host or a router.
    fn check_node(&mut self, field: String, name: &str) -> bool {
        if self.host(name).is_some() || self.router(name) {
            return true;
        }
        let k = known(
            self.s
                .hosts
                .iter()
                .map(|h| h.name.as_str())
                .chain(self.s.routers.iter().map(|r| r.name.as_str())),
        );
        self.err(field, format!("unknown node `{name}` (not a host or router); {k}"));
        false
    }
    fn check_conn(&mut self, field: String, name: &str) -> Option<&'a Connection> {
        let c = self.conn(name);
        if c.is_none() {
            let k = known(self.s.connections.iter().map(|c| c.name.as_str()));
            self.err(field, format!("unknown connection `{name}`; {k}"));
        }
        c
    }
    fn check_link(&mut self, field: String, name: &str) {
        if self.index.links.position(name).is_none() {
            let k = known(self.s.links.iter().map(|l| l.name.as_str()));
            self.err(field, format!("unknown link `{name}`; {k}"));
        }
    }
    fn check_app(&mut self, field: String, name: &str) {
        if self.index.applications.position(name).is_none() {
            let k = known(self.s.applications.iter().map(|a| a.name.as_str()));
            self.err(field, format!("unknown application `{name}`; {k}"));
        }
    }

    fn scenario(&mut self) {
        let s = self.s;
        if !safe_name(&s.name) {
            self.err(
                "name",
                format!(
                    "`{}` is not a valid scenario name: use letters, digits, `_`, `-` and `.`",
                    s.name
                ),
            );
        }
        if s.description.trim().is_empty() {
            self.err("description", "must say in one paragraph what the scenario shows");
        }
        self.positive(
            "limits.max_time".into(),
            "the time limit",
            s.limits.max_time == Duration::ZERO,
        );
        self.positive("limits.max_events".into(), "the event limit", s.limits.max_events == 0);
        self.hosts();
        self.routers();
        for (i, l) in s.links.iter().enumerate() {
            self.link(i, l);
        }
        if s.connections.is_empty() {
            self.err("connections", "at least one connection is required");
        }
        let max = models::world::MAX_CONN_ID as usize;
        if s.connections.len() > max {
            self.err(
                "connections",
                format!(
                    "at most {max} connections (each client end gets its own port), got {}",
                    s.connections.len()
                ),
            );
        }
        if s.hosts.len() > models::world::MAX_HOSTS {
            self.err(
                "hosts",
                format!(
                    "at most {} hosts (each listens on its own port), got {}",
                    models::world::MAX_HOSTS,
                    s.hosts.len()
                ),
            );
        }
        if s.flows.len() > 5_000 {
            self.err("flows", format!("at most 5000 flows, got {}", s.flows.len()));
        }
        for (i, c) in s.connections.iter().enumerate() {
            self.connection(i, c);
        }
        if self.errors.is_empty() {
            self.topology();
        }
        for (i, a) in s.applications.iter().enumerate() {
            self.application(i, a);
        }
        for (i, f) in s.flows.iter().enumerate() {
            self.flow(i, f);
        }
        self.timeline();
    }

    fn hosts(&mut self) {
        let s = self.s;
        let targets: Vec<(usize, &str)> = s
            .hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.offload_target.as_ref().map(|t| (i, t.name.as_str())))
            .collect();
        for (i, h) in s.hosts.iter().enumerate() {
            self.unique(format!("hosts[{i}].name"), "host", "hosts", i);
            self.distinct_file_stem(format!("hosts[{i}].name"), "host", "hosts", i);
            let Some(t) = &h.offload_target else { continue };
            let f = format!("hosts[{i}].offload_target");
            if t.name.is_empty() {
                self.err(format!("{f}.name"), "offload target name must not be empty");
            } else if let Some((j, _)) = targets.iter().take_while(|(j, _)| *j < i).find(|(_, n)| *n == t.name) {
                self.err(
                    format!("{f}.name"),
                    format!(
                        "duplicate offload target name `{}` (also hosts[{j}].offload_target)",
                        t.name
                    ),
                );
            }
            self.positive(
                format!("{f}.max_connections"),
                "max_connections",
                t.max_connections == 0,
            );
            self.positive(
                format!("{f}.max_retransmissions"),
                "max_retransmissions",
                t.max_retransmissions == 0,
            );
            if let Some(tps) = t.ticks_per_second
                && ![10, 100, 1000].contains(&tps)
            {
                self.err(
                    format!("{f}.ticks_per_second"),
                    format!("ticks_per_second must be 10, 100 or 1000, got {tps}"),
                );
            }
            if let Some(n) = t.dupack_threshold {
                self.positive(format!("{f}.dupack_threshold"), "dupack_threshold", n == 0);
            }
            if let Some(d) = t.min_rto {
                self.positive(format!("{f}.min_rto"), "min_rto", d.as_nanos() == 0);
            }
            if let Some(d) = t.fin_wait_2_timeout {
                self.positive(
                    format!("{f}.fin_wait_2_timeout"),
                    "fin_wait_2_timeout",
                    d.as_nanos() == 0,
                );
            }
            if let Some(n) = t.segments_per_sec {
                self.positive(format!("{f}.segments_per_sec"), "segments_per_sec", n == 0);
            }
            if let Some(r) = t.processing_rate {
                self.positive(format!("{f}.processing_rate"), "processing_rate", r.bits_per_sec() < 8);
            }
            if let Some(n) = t.coalesce_count {
                self.positive(format!("{f}.coalesce_count"), "coalesce_count", n == 0);
            }
            if t.context_memory.is_some() != t.context_per_connection.is_some() {
                self.err(
                    format!("{f}.context_memory"),
                    "context_memory and context_per_connection go together (set both or neither)",
                );
            }
            if let Some(per) = t.context_per_connection {
                self.positive(
                    format!("{f}.context_per_connection"),
                    "context_per_connection",
                    per.bytes() == 0,
                );
            }
            if let (Some(lo), Some(hi)) = (t.min_rto, t.max_rto)
                && lo > hi
            {
                self.err(
                    format!("{f}.max_rto"),
                    format!("max_rto ({hi}) must not be below min_rto ({lo})"),
                );
            }
        }
    }

    fn routers(&mut self) {
        let s = self.s;
        for (i, r) in s.routers.iter().enumerate() {
            self.unique(format!("routers[{i}].name"), "router", "routers", i);
            if let Some(h) = self.host(&r.name) {
                self.err(
                    format!("routers[{i}].name"),
                    format!(
                        "`{}` is also hosts[{h}]; hosts and routers share one name space",
                        r.name
                    ),
                );
            }
        }
    }

    /// Routes: every connection's hosts reach each other both ways, explicit routes name
    /// attached links and cause no loop, every host has exactly one link. Runs once names
    /// are known to be right (so each problem is reported once).
    fn topology(&mut self) {
        let s = self.s;
        let mut nodes: Vec<NodeDef> = s
            .hosts
            .iter()
            .map(|h| NodeDef {
                name: h.name.clone(),
                kind: NodeKind::Host,
            })
            .collect();
        nodes.extend(s.routers.iter().map(|r| NodeDef {
            name: r.name.clone(),
            kind: NodeKind::Router,
        }));
        let edges: Vec<EdgeDef> = s
            .links
            .iter()
            .map(|l| EdgeDef {
                name: l.name.clone(),
                a: l.a.clone(),
                b: l.b.clone(),
            })
            .collect();
        let mut overrides = Vec::new();
        let mut fields = Vec::new();
        for (i, h) in s.hosts.iter().enumerate() {
            for (k, r) in h.routes.iter().enumerate() {
                overrides.push(RouteDef {
                    node: h.name.clone(),
                    to: r.to.clone(),
                    via: r.via.clone(),
                });
                fields.push(format!("hosts[{i}].routes[{k}]"));
            }
        }
        for (i, x) in s.routers.iter().enumerate() {
            for (k, r) in x.routes.iter().enumerate() {
                overrides.push(RouteDef {
                    node: x.name.clone(),
                    to: r.to.clone(),
                    via: r.via.clone(),
                });
                fields.push(format!("routers[{i}].routes[{k}]"));
            }
        }
        let mut pairs = Vec::new();
        for c in &s.connections {
            pairs.push((c.client.clone(), c.server.clone()));
            pairs.push((c.server.clone(), c.client.clone()));
        }
        for f in &s.flows {
            pairs.push((f.from.clone(), f.to.clone()));
        }
        let Err(errors) = compute_routes(&nodes, &edges, &overrides, &pairs) else {
            return;
        };
        let conn_field = |from: &str, to: &str| {
            let conn = s
                .connections
                .iter()
                .position(|c| (c.client == from && c.server == to) || (c.client == to && c.server == from))
                .map(|i| format!("connections[{i}].server"));
            let flow = || {
                s.flows
                    .iter()
                    .position(|f| f.from == from && f.to == to)
                    .map(|i| format!("flows[{i}].to"))
            };
            conn.or_else(flow).unwrap_or_else(|| "connections".to_string())
        };
        for e in errors {
            let field = match &e {
                // Names, duplicates and self-links were checked above.
                TopologyError::DuplicateNode { .. }
                | TopologyError::DuplicateLink { .. }
                | TopologyError::UnknownNode { .. }
                | TopologyError::SelfLink { .. } => continue,
                TopologyError::HostWithoutLink { node, .. } | TopologyError::HostWithManyLinks { node, .. } => {
                    format!("hosts[{node}].name")
                }
                TopologyError::BadRoute { route, .. } => fields[*route].clone(),
                TopologyError::RoutingLoop { from, to, path } => overrides
                    .iter()
                    .position(|o| &o.to == to && path.contains(&o.node))
                    .map_or_else(|| conn_field(from, to), |k| fields[k].clone()),
                TopologyError::Unreachable { from, to, .. } | TopologyError::ThroughHost { from, to, .. } => {
                    conn_field(from, to)
                }
            };
            self.err(field, e.to_string());
        }
    }

    fn link(&mut self, i: usize, l: &Link) {
        self.unique(format!("links[{i}].name"), "link", "links", i);
        self.distinct_file_stem(format!("links[{i}].name"), "link", "links", i);
        let a_ok = self.check_node(format!("links[{i}].a"), &l.a);
        let b_ok = self.check_node(format!("links[{i}].b"), &l.b);
        if a_ok && b_ok && l.a == l.b {
            self.err(
                format!("links[{i}].b"),
                format!("a link joins two different nodes; both ends are `{}`", l.a),
            );
        }
        let pair = |x: &Link| {
            if x.a <= x.b {
                (x.a.clone(), x.b.clone())
            } else {
                (x.b.clone(), x.a.clone())
            }
        };
        if let Some(j) = self.s.links[..i].iter().position(|o| pair(o) == pair(l)) {
            self.err(
                format!("links[{i}]"),
                format!(
                    "`{}` and `{}` are already joined by links[{j}] (`{}`); at most one link per pair of nodes",
                    l.a, l.b, self.s.links[j].name
                ),
            );
        }
        self.direction(format!("links[{i}].forward"), &l.forward);
        self.direction(format!("links[{i}].reverse"), &l.reverse);
    }

    fn direction(&mut self, f: String, d: &LinkDirection) {
        self.positive(format!("{f}.rate"), "the rate", d.rate.bits_per_sec() == 0);
        match d.queue {
            Queue::Packets(n) => self.positive(format!("{f}.queue.Packets"), "the queue capacity", n == 0),
            Queue::Bytes(b) => self.positive(format!("{f}.queue.Bytes"), "the queue capacity", b.bytes() == 0),
        }
        self.impairments(&format!("{f}.impairments"), &d.impairments);
    }

    fn impairments(&mut self, f: &str, list: &[Impairment]) {
        for (k, imp) in list.iter().enumerate() {
            let f = format!("{f}[{k}]");
            match imp {
                Impairment::Bernoulli { p } => self.prob(format!("{f}.Bernoulli.p"), *p),
                Impairment::GilbertElliott {
                    p_good_to_bad,
                    p_bad_to_good,
                    loss_good,
                    loss_bad,
                } => {
                    self.prob(format!("{f}.GilbertElliott.p_good_to_bad"), *p_good_to_bad);
                    self.prob(format!("{f}.GilbertElliott.p_bad_to_good"), *p_bad_to_good);
                    self.prob(format!("{f}.GilbertElliott.loss_good"), *loss_good);
                    self.prob(format!("{f}.GilbertElliott.loss_bad"), *loss_bad);
                }
                Impairment::DropPackets(ns) => {
                    for (j, n) in ns.iter().enumerate() {
                        if *n == 0 {
                            self.err(
                                format!("{f}.DropPackets[{j}]"),
                                "packet numbers are 1-based: the first packet is 1",
                            );
                        } else if let Some(x) = ns[..j].iter().position(|o| o == n) {
                            self.err(
                                format!("{f}.DropPackets[{j}]"),
                                format!("packet {n} is listed twice (also [{x}])"),
                            );
                        }
                    }
                }
                Impairment::DropData { transmission, conn, .. } => {
                    if *transmission == 0 {
                        self.err(
                            format!("{f}.DropData.transmission"),
                            "transmissions are 1-based: 1 is the original transmission",
                        );
                    }
                    if let Some(c) = conn {
                        self.check_conn(format!("{f}.DropData.conn"), c);
                    }
                }
                Impairment::DropFlags {
                    syn,
                    fin,
                    rst,
                    occurrence,
                } => {
                    if !(syn | fin | rst) {
                        self.err(
                            format!("{f}.DropFlags"),
                            "set at least one of `syn`, `fin`, `rst` to true",
                        );
                    }
                    if *occurrence == 0 {
                        self.err(
                            format!("{f}.DropFlags.occurrence"),
                            "occurrences are 1-based: 1 is the first matching segment",
                        );
                    }
                }
                Impairment::Reorder { fraction, extra_delay } => {
                    self.prob(format!("{f}.Reorder.fraction"), *fraction);
                    self.positive(
                        format!("{f}.Reorder.extra_delay"),
                        "extra_delay",
                        *extra_delay == Duration::ZERO,
                    );
                }
                Impairment::Duplicate { p } => self.prob(format!("{f}.Duplicate.p"), *p),
                Impairment::Corrupt { p } => self.prob(format!("{f}.Corrupt.p"), *p),
            }
        }
    }

    fn connection(&mut self, i: usize, c: &Connection) {
        let f = format!("connections[{i}]");
        self.unique(format!("{f}.name"), "connection", "connections", i);
        self.distinct_file_stem(format!("{f}.name"), "connection", "connections", i);
        let ok = self.check_host(format!("{f}.client"), &c.client) & self.check_host(format!("{f}.server"), &c.server);
        if ok && c.client == c.server {
            self.err(
                format!("{f}.server"),
                format!("client and server must be different hosts; both are `{}`", c.client),
            );
        }
        if !(MIN_MSS..=MAX_MSS).contains(&c.mss) {
            self.err(
                format!("{f}.mss"),
                format!("must be in {MIN_MSS}..={MAX_MSS} bytes, got {}", c.mss),
            );
        }
        self.positive(
            format!("{f}.initial_window"),
            "the initial window",
            c.initial_window == 0,
        );
        let buf = c.rcv_buffer.bytes();
        if buf < u64::from(c.mss) {
            self.err(
                format!("{f}.rcv_buffer"),
                format!("must hold at least one segment ({} B), got {buf} B", c.mss),
            );
        }
        match c.window_scale {
            Some(ws) if ws > MAX_WINDOW_SCALE => self.err(
                format!("{f}.window_scale"),
                format!("must be at most {MAX_WINDOW_SCALE} (RFC 7323 §2.3), got {ws}"),
            ),
            Some(ws) if buf > 65_535u64 << ws => self.err(
                format!("{f}.rcv_buffer"),
                format!(
                    "{buf} B exceeds {} B, the largest window with window_scale {ws}",
                    65_535u64 << ws
                ),
            ),
            None if buf > 65_535 => self.err(
                format!("{f}.rcv_buffer"),
                format!("{buf} B exceeds 65535 B, the largest window without window scaling; set `window_scale`"),
            ),
            _ => {}
        }
        if let DelayedAck::On { timeout, every } = c.delayed_ack {
            if timeout == Duration::ZERO || timeout >= MAX_DELACK {
                self.err(
                    format!("{f}.delayed_ack.On.timeout"),
                    format!("must be above 0 and below 500 ms (RFC 1122 §4.2.3.2), got {timeout}"),
                );
            }
            self.positive(format!("{f}.delayed_ack.On.every"), "every", every == 0);
        }
        self.positive(format!("{f}.min_rto"), "min_rto", c.min_rto == Duration::ZERO);
        if c.max_rto < c.min_rto {
            self.err(
                format!("{f}.max_rto"),
                format!("{} is below min_rto {}", c.max_rto, c.min_rto),
            );
        }
        self.positive(
            format!("{f}.dupack_threshold"),
            "dupack_threshold",
            c.dupack_threshold == 0,
        );
        self.positive(
            format!("{f}.initial_rto"),
            "initial_rto",
            c.initial_rto == Duration::ZERO,
        );
        if c.initial_rto > c.max_rto {
            self.err(
                format!("{f}.initial_rto"),
                format!("{} is above max_rto {}", c.initial_rto, c.max_rto),
            );
        }
    }

    fn flow(&mut self, i: usize, fl: &Flow) {
        let f = format!("flows[{i}]");
        self.unique(format!("{f}.name"), "flow", "flows", i);
        if let Some(j) = self.index.connections.position(&fl.name) {
            self.err(
                format!("{f}.name"),
                format!(
                    "`{}` is also connections[{j}]; connections and flows share one name space",
                    fl.name
                ),
            );
        }
        let ok = self.check_host(format!("{f}.from"), &fl.from) & self.check_host(format!("{f}.to"), &fl.to);
        if ok && fl.from == fl.to {
            self.err(
                format!("{f}.to"),
                format!("from and to must be different hosts; both are `{}`", fl.from),
            );
        }
        self.positive(format!("{f}.rate"), "the rate", fl.rate.bits_per_sec() == 0);
        let size = fl.packet_size.bytes();
        if !(1..=u64::from(MAX_MSS)).contains(&size) {
            self.err(
                format!("{f}.packet_size"),
                format!("must be in 1..={MAX_MSS} bytes (an IPv4 packet's payload), got {size}"),
            );
        }
        if fl.start >= self.s.limits.max_time {
            self.err(
                format!("{f}.start"),
                format!(
                    "{} is not before the run's time limit {}",
                    fl.start, self.s.limits.max_time
                ),
            );
        }
        if let Some(stop) = fl.stop
            && stop <= fl.start
        {
            self.err(format!("{f}.stop"), format!("{stop} is not after start {}", fl.start));
        }
    }

    fn application(&mut self, i: usize, a: &Application) {
        let f = format!("applications[{i}]");
        self.unique(format!("{f}.name"), "application", "applications", i);
        self.distinct_file_stem(format!("{f}.name"), "application", "applications", i);
        if self.check_conn(format!("{f}.conn"), &a.conn).is_some()
            && let Some(j) = self.index.apps_of(&a.conn).first().copied().filter(|j| *j < i)
        {
            let other = &self.s.applications[j].name;
            self.err(
                format!("{f}.conn"),
                format!(
                    "connection `{}` already has application `{other}` (applications[{j}]); one per connection",
                    a.conn
                ),
            );
        }
        self.positive(format!("{f}.bytes"), "bytes", a.bytes.bytes() == 0);
        match &a.write_size {
            WriteSize::Fixed(s) => self.positive(format!("{f}.write_size.Fixed"), "the write size", s.bytes() == 0),
            WriteSize::Uniform(lo, hi) => {
                self.positive(
                    format!("{f}.write_size.Uniform.0"),
                    "the minimum write size",
                    lo.bytes() == 0,
                );
                if hi < lo {
                    self.err(
                        format!("{f}.write_size.Uniform.1"),
                        format!("maximum {hi} is below minimum {lo}"),
                    );
                }
            }
            WriteSize::Sizes(list) => {
                if list.is_empty() {
                    self.err(format!("{f}.write_size.Sizes"), "must list at least one size");
                }
                for (k, s) in list.iter().enumerate() {
                    self.positive(format!("{f}.write_size.Sizes[{k}]"), "a write size", s.bytes() == 0);
                }
            }
        }
        match a.timing {
            Timing::Paced(d) => self.positive(format!("{f}.timing.Paced"), "the interval", d == Duration::ZERO),
            Timing::OnOff { on, off, burst } => {
                for (name, p) in [("on", on), ("off", off)] {
                    let (variant, d) = match p {
                        Period::Fixed(d) => ("Fixed", d),
                        Period::Exponential(d) => ("Exponential", d),
                    };
                    self.positive(
                        format!("{f}.timing.OnOff.{name}.{variant}"),
                        &format!("the {name} period"),
                        d == Duration::ZERO,
                    );
                }
                self.positive(format!("{f}.timing.OnOff.burst"), "the burst", burst.bytes() == 0);
            }
            Timing::AllAtOnce => {}
        }
        if let ReadRate::Limited(r) = a.sink.read_rate {
            self.positive(
                format!("{f}.sink.read_rate.Limited"),
                "the read rate",
                r.bits_per_sec() == 0,
            );
        }
    }

    /// Total bytes the applications of connection `conn` write.
    fn app_bytes(&self, conn: &str) -> u64 {
        self.index.app_bytes(conn)
    }

    fn trigger(&mut self, f: &str, t: &Trigger, delay: Duration) {
        let limit = self.s.limits.max_time;
        match t {
            Trigger::Never => {}
            Trigger::At(at) => {
                let fires = at.as_nanos().saturating_add(delay.as_nanos());
                if fires > limit.as_nanos() {
                    let with_delay = if delay == Duration::ZERO {
                        String::new()
                    } else {
                        format!(" (with its delay {delay})")
                    };
                    self.err(
                        format!("{f}.when"),
                        format!(
                            "fires at {}{with_delay}, after the run's time limit (limits.max_time = {limit})",
                            Duration::from_nanos(fires)
                        ),
                    );
                }
            }
            Trigger::AfterBytesAcked(c, n) | Trigger::InFlightAtLeast(c, n) => {
                let variant = if matches!(t, Trigger::AfterBytesAcked(..)) {
                    "AfterBytesAcked"
                } else {
                    "InFlightAtLeast"
                };
                if self.check_conn(format!("{f}.when.{variant}.0"), c).is_some() {
                    let total = self.app_bytes(c);
                    if n.bytes() == 0 {
                        self.err(
                            format!("{f}.when.{variant}.1"),
                            "must be at least 1 byte (use At(..) for a time)",
                        );
                    } else if variant == "InFlightAtLeast" && n.bytes() > MAX_WINDOW {
                        self.err(
                            format!("{f}.when.{variant}.1"),
                            format!("{n} is more than the largest possible window (65535 << 14 B)"),
                        );
                    } else if n.bytes() > total {
                        self.err(
                            format!("{f}.when.{variant}.1"),
                            format!("{n} is more than the {total} bytes the applications of `{c}` write, so this never fires"),
                        );
                    }
                }
            }
            Trigger::RetransmissionInProgress(c) => {
                self.check_conn(format!("{f}.when.RetransmissionInProgress"), c);
            }
            Trigger::AfterRto(c, k) => {
                self.check_conn(format!("{f}.when.AfterRto.0"), c);
                if *k == 0 {
                    self.err(format!("{f}.when.AfterRto.1"), "RTOs are counted from 1");
                }
            }
            Trigger::OffloadCompleted(c) | Trigger::OffloadRefused(c) => {
                let variant = if matches!(t, Trigger::OffloadCompleted(_)) {
                    "OffloadCompleted"
                } else {
                    "OffloadRefused"
                };
                if self.check_conn(format!("{f}.when.{variant}"), c).is_some()
                    && !self
                        .s
                        .timeline
                        .iter()
                        .any(|e| matches!(&e.action, Action::Offload(o) if o == c))
                {
                    self.err(
                        format!("{f}.when.{variant}"),
                        format!("the timeline never offloads `{c}`, so this never fires"),
                    );
                }
            }
            Trigger::InFastRecovery(c) => {
                self.check_conn(format!("{f}.when.InFastRecovery"), c);
            }
            Trigger::ZeroWindow(c) => {
                self.check_conn(format!("{f}.when.ZeroWindow"), c);
            }
            Trigger::AfterFastRetransmits(c, k) => {
                self.check_conn(format!("{f}.when.AfterFastRetransmits.0"), c);
                if *k == 0 {
                    self.err(
                        format!("{f}.when.AfterFastRetransmits.1"),
                        "fast retransmits are counted from 1",
                    );
                }
            }
        }
        if !matches!(t, Trigger::At(_)) && delay > limit {
            self.err(
                format!("{f}.delay"),
                format!("{delay} is longer than the run's time limit {limit}"),
            );
        }
    }

    fn timeline(&mut self) {
        let s = self.s;
        for (i, e) in s.timeline.iter().enumerate() {
            let f = format!("timeline[{i}]");
            self.trigger(&f, &e.when, e.delay);
            let af = format!("{f}.action");
            match &e.action {
                Action::Offload(c) => {
                    if let Some(conn) = self.check_conn(format!("{af}.Offload"), c)
                        && let Some(h) = self.host(&conn.client)
                        && s.hosts[h].offload_target.is_none()
                    {
                        let with: Vec<&str> = s
                            .hosts
                            .iter()
                            .filter(|h| h.offload_target.is_some())
                            .map(|h| h.name.as_str())
                            .collect();
                        self.err(
                            format!("{af}.Offload"),
                            format!(
                                "`{c}`'s client host `{}` has no offload_target (offload acts on the client, the sending end); hosts with one: {}",
                                conn.client,
                                if with.is_empty() { "none".to_string() } else { with.join(", ") }
                            ),
                        );
                    }
                }
                Action::Upload(c) => {
                    if self.check_conn(format!("{af}.Upload"), c).is_some()
                        && !matches!(e.when, Trigger::Never)
                        && !self.offloaded_before(i, c)
                    {
                        self.err(
                            format!("{af}.Upload"),
                            format!(
                                "uploads `{c}` before any Offload(\"{c}\") (entries with At triggers run in time order, equal times and other triggers in their order in the timeline)"
                            ),
                        );
                    }
                }
                Action::SetLinkImpairments(l, _, list) => {
                    self.check_link(format!("{af}.SetLinkImpairments.0"), l);
                    self.impairments(&format!("{af}.SetLinkImpairments.2"), list);
                }
                Action::SetLinkRate(l, _, r) => {
                    self.check_link(format!("{af}.SetLinkRate.0"), l);
                    self.positive(format!("{af}.SetLinkRate.2"), "the rate", r.bits_per_sec() == 0);
                }
                Action::PauseApp(a) => self.check_app(format!("{af}.PauseApp"), a),
                Action::ResumeApp(a) => self.check_app(format!("{af}.ResumeApp"), a),
                Action::Close(c) => {
                    self.check_conn(format!("{af}.Close"), c);
                }
                Action::Abort(c) => {
                    self.check_conn(format!("{af}.Abort"), c);
                }
                Action::PeerClose(c) => {
                    self.check_conn(format!("{af}.PeerClose"), c);
                }
                Action::PeerAbort(c) => {
                    self.check_conn(format!("{af}.PeerAbort"), c);
                }
                Action::TargetUpload(c, _) => {
                    if let Some(conn) = self.check_conn(format!("{af}.TargetUpload.0"), c)
                        && let Some(h) = self.host(&conn.client)
                        && s.hosts[h].offload_target.is_none()
                    {
                        self.err(
                            format!("{af}.TargetUpload.0"),
                            format!(
                                "`{c}`'s client host `{}` has no offload_target to ask for an upload",
                                conn.client
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Is there an `Offload(conn)` that happens before timeline entry `j`? Two `At`
    /// triggers compare by time (plus delay); otherwise list order decides.
    fn offloaded_before(&self, j: usize, conn: &str) -> bool {
        let tl = &self.s.timeline;
        let at = |k: usize| match tl[k].when {
            Trigger::At(t) => Some(t.as_nanos().saturating_add(tl[k].delay.as_nanos())),
            _ => None,
        };
        tl.iter().enumerate().any(|(i, e)| {
            matches!(&e.action, Action::Offload(c) if c == conn)
                && match (at(i), at(j)) {
                    // Equal times run in timeline order: the world schedules `At` entries in
                    // list order and the kernel dispatches equal-time events by insertion
                    // sequence (sim-core's (time, seq) key), so an Offload listed first at the
                    // same instant runs first (red team, off_up_same.ron).
                    (Some(ti), Some(tj)) => ti < tj || (ti == tj && i < j),
                    _ => i < j,
                }
        })
    }
}
