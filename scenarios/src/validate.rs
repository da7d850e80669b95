//! Semantic validation: everything serde cannot check. All problems are collected, each
//! with the field path it concerns and what would be allowed.

use crate::load::ValidationError;
use crate::schema::{
    Action, Application, Connection, DelayedAck, Impairment, Link, LinkDirection, Queue, ReadRate, Scenario, Timing,
    Trigger, WriteSize,
};
use crate::sweep::validate_sweep;
use crate::units::Duration;

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
    let mut v = Validator { s, errors: Vec::new() };
    v.scenario();
    if v.errors.is_empty() { Ok(()) } else { Err(v.errors) }
}

struct Validator<'a> {
    s: &'a Scenario,
    errors: Vec<ValidationError>,
}

fn known<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let mut list: Vec<String> = Vec::new();
    for n in names.map(|n| format!("`{n}`")) {
        if !list.contains(&n) {
            list.push(n);
        }
    }
    if list.is_empty() {
        "none are defined".into()
    } else {
        format!("known: {}", list.join(", "))
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

    fn prob(&mut self, field: String, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            self.err(field, format!("must be a probability in [0, 1], got {p}"));
        }
    }

    fn positive(&mut self, field: String, what: &str, zero: bool) {
        if zero {
            self.err(field, format!("{what} must be greater than zero"));
        }
    }

    /// Checks that `name` is unique among `names[..idx]`.
    fn unique(&mut self, field: String, kind: &str, list: &str, names: &[&str], idx: usize) {
        let name = names[idx];
        if name.is_empty() {
            self.err(field, format!("{kind} name must not be empty"));
        } else if let Some(j) = names[..idx].iter().position(|n| *n == name) {
            self.err(field, format!("duplicate {kind} name `{name}` (also {list}[{j}])"));
        }
    }

    fn host(&self, name: &str) -> Option<usize> {
        self.s.hosts.iter().position(|h| h.name == name)
    }
    fn conn(&self, name: &str) -> Option<&'a Connection> {
        self.s.connections.iter().find(|c| c.name == name)
    }

    fn check_host(&mut self, field: String, name: &str) -> bool {
        if self.host(name).is_some() {
            return true;
        }
        let k = known(self.s.hosts.iter().map(|h| h.name.as_str()));
        self.err(field, format!("unknown host `{name}`; {k}"));
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
        if !self.s.links.iter().any(|l| l.name == name) {
            let k = known(self.s.links.iter().map(|l| l.name.as_str()));
            self.err(field, format!("unknown link `{name}`; {k}"));
        }
    }
    fn check_app(&mut self, field: String, name: &str) {
        if !self.s.applications.iter().any(|a| a.name == name) {
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
        for (i, l) in s.links.iter().enumerate() {
            self.link(i, l);
        }
        if s.connections.is_empty() {
            self.err("connections", "at least one connection is required");
        }
        for (i, c) in s.connections.iter().enumerate() {
            self.connection(i, c);
        }
        for (i, a) in s.applications.iter().enumerate() {
            self.application(i, a);
        }
        self.timeline();
    }

    fn hosts(&mut self) {
        let s = self.s;
        let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
        let targets: Vec<(usize, &str)> = s
            .hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.offload_target.as_ref().map(|t| (i, t.name.as_str())))
            .collect();
        for (i, h) in s.hosts.iter().enumerate() {
            self.unique(format!("hosts[{i}].name"), "host", "hosts", &names, i);
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

    fn link(&mut self, i: usize, l: &Link) {
        let names: Vec<&str> = self.s.links.iter().map(|l| l.name.as_str()).collect();
        self.unique(format!("links[{i}].name"), "link", "links", &names, i);
        let a_ok = self.check_host(format!("links[{i}].a"), &l.a);
        let b_ok = self.check_host(format!("links[{i}].b"), &l.b);
        if a_ok && b_ok && l.a == l.b {
            self.err(
                format!("links[{i}].b"),
                format!("a link joins two different hosts; both ends are `{}`", l.a),
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
                    "`{}` and `{}` are already joined by links[{j}] (`{}`); at most one link per pair of hosts",
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
        let names: Vec<&str> = self.s.connections.iter().map(|c| c.name.as_str()).collect();
        self.unique(format!("{f}.name"), "connection", "connections", &names, i);
        let ok = self.check_host(format!("{f}.client"), &c.client) & self.check_host(format!("{f}.server"), &c.server);
        if ok && c.client == c.server {
            self.err(
                format!("{f}.server"),
                format!("client and server must be different hosts; both are `{}`", c.client),
            );
        } else if ok
            && self
                .s
                .links
                .iter()
                .all(|l| self.host(&l.a).is_some() && self.host(&l.b).is_some())
            && !self
                .s
                .links
                .iter()
                .any(|l| (l.a == c.client && l.b == c.server) || (l.a == c.server && l.b == c.client))
        {
            let links: Vec<String> = self
                .s
                .links
                .iter()
                .map(|l| format!("`{}` ({} - {})", l.name, l.a, l.b))
                .collect();
            let links = if links.is_empty() {
                "none".to_string()
            } else {
                links.join(", ")
            };
            self.err(
                format!("{f}.server"),
                format!("no link joins `{}` and `{}`; links: {links}", c.client, c.server),
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
    }

    fn application(&mut self, i: usize, a: &Application) {
        let f = format!("applications[{i}]");
        let names: Vec<&str> = self.s.applications.iter().map(|a| a.name.as_str()).collect();
        self.unique(format!("{f}.name"), "application", "applications", &names, i);
        if self.check_conn(format!("{f}.conn"), &a.conn).is_some()
            && let Some(j) = self.s.applications[..i].iter().position(|o| o.conn == a.conn)
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
        if let Timing::Paced(d) = a.timing {
            self.positive(format!("{f}.timing.Paced"), "the interval", d == Duration::ZERO);
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
        self.s
            .applications
            .iter()
            .filter(|a| a.conn == conn)
            .fold(0u64, |acc, a| acc.saturating_add(a.bytes.bytes()))
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
                                "uploads `{c}` before any Offload(\"{c}\") (entries with At triggers are ordered by time, others by their order in the timeline)"
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
                    (Some(ti), Some(tj)) => ti < tj,
                    _ => i < j,
                }
        })
    }
}
