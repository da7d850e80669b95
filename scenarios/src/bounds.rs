//! Validation of values that parse and look sane alone but fail, or overflow, when the run
//! combines them (issue 14): every time must leave room before `limits.max_time`, every
//! duration must fit in simulated time when added to it, sizes must fit what the models hold,
//! and names must be safe file-name components. Kept apart from `validate.rs`, which checks
//! each field on its own; both report through [`ValidationError`] with the field path, so
//! every error gets its file:line:column.

use crate::index::Index;
use crate::load::ValidationError;
use crate::schema::{Action, Impairment, Queue, ReadRate, Scenario, Timing, Trigger, WriteSize};
use crate::units::Duration;

/// Longest scenario name in bytes: it names the default output folder.
pub const MAX_NAME_BYTES: usize = 100;
/// Longest file name most file systems accept, in bytes.
const MAX_FILE_NAME_BYTES: usize = 255;
/// Largest application write: buffers are counted in `u32` bytes (4 GiB - 1 B).
const MAX_WRITE_BYTES: u64 = u32::MAX as u64;
/// IPv4 + TCP headers (20 + 20 B) and the most TCP options a segment carries (40 B): a
/// full-size data segment occupies MSS + 80 B of a byte-limited queue at most.
const MAX_PACKET_OVERHEAD: u64 = 80;
/// Latest simulated time a run may ever compute [ns]: half of u64, so that a time below the
/// limit plus any duration the scenario allows can never overflow (sim-core panics on
/// overflow: "simulated time overflowed u64 nanoseconds").
const MAX_SIM_NS: u64 = u64::MAX / 2;

/// Appends the problems of `s` that only show when values are combined.
pub(crate) fn check(index: &Index<'_>, errors: &mut Vec<ValidationError>) {
    let mut b = Bounds {
        s: index.s,
        index,
        errors,
    };
    b.names();
    b.durations();
    b.starts();
    b.timeline();
    b.sizes();
}

struct Bounds<'a> {
    s: &'a Scenario,
    index: &'a Index<'a>,
    errors: &'a mut Vec<ValidationError>,
}

impl Bounds<'_> {
    fn err(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(ValidationError::new(field, msg));
    }

    /// Scenario names name folders (`target/offsim/<name>`); host and link names name the
    /// capture files (`<link>_<a>-_<b>.pcapng`).
    fn names(&mut self) {
        let s = self.s;
        if s.name == "." || s.name == ".." {
            self.err(
                "name",
                format!(
                    "`{}` is not a usable name: it names the output folder, and `.`/`..` would put it outside target/offsim/",
                    s.name
                ),
            );
        }
        if s.name.len() > MAX_NAME_BYTES {
            self.err(
                "name",
                format!(
                    "{} bytes is too long for a name: at most {MAX_NAME_BYTES} bytes (it names the output folder)",
                    s.name.len()
                ),
            );
        }
        if let Some(sweep) = &s.sweep {
            for (i, a) in sweep.axes.iter().enumerate() {
                if a.name.len() > MAX_NAME_BYTES {
                    // It names chart files (`<metric>-vs-<axis>.svg`).
                    self.err(
                        format!("sweep.axes[{i}].name"),
                        format!(
                            "{} bytes is too long for an axis name: at most {MAX_NAME_BYTES} bytes (it names chart files)",
                            a.name.len()
                        ),
                    );
                }
            }
        }
        for (i, l) in s.links.iter().enumerate() {
            // reports::pcap: `<link> <a>-><b>`, sanitised (one byte per ASCII char, `_` for
            // the rest, which may be wider in the name) + ".pcapng".
            let len = l.name.chars().count() + l.a.chars().count() + l.b.chars().count() + 4 + ".pcapng".len();
            if len > MAX_FILE_NAME_BYTES {
                self.err(
                    format!("links[{i}].name"),
                    format!(
                        "the capture file of this link would be named with {len} bytes, more than the {MAX_FILE_NAME_BYTES} a file name may have: shorten the link or host names"
                    ),
                );
            }
        }
    }

    /// Every duration the run adds to a time below the limit must keep it representable.
    fn durations(&mut self) {
        let s = self.s;
        let limit = s.limits.max_time.as_nanos();
        if limit > MAX_SIM_NS / 2 {
            self.err(
                "limits.max_time",
                format!(
                    "{} is beyond what simulated time can hold with room to spare: at most {}",
                    s.limits.max_time,
                    Duration::from_nanos(MAX_SIM_NS / 2)
                ),
            );
            return;
        }
        let mut all: Vec<(String, Duration)> = Vec::new();
        for (i, h) in s.hosts.iter().enumerate() {
            if let Some(t) = &h.offload_target {
                all.push((format!("hosts[{i}].offload_target.latency"), t.latency));
                all.push((format!("hosts[{i}].offload_target.upload_latency"), t.upload_latency));
            }
        }
        let reorder = |f: String, list: &[Impairment], all: &mut Vec<(String, Duration)>| {
            for (k, imp) in list.iter().enumerate() {
                if let Impairment::Reorder { extra_delay, .. } = imp {
                    all.push((format!("{f}[{k}].Reorder.extra_delay"), *extra_delay));
                }
            }
        };
        for (i, l) in s.links.iter().enumerate() {
            for (dir, d) in [("forward", &l.forward), ("reverse", &l.reverse)] {
                all.push((format!("links[{i}].{dir}.delay"), d.delay));
                reorder(format!("links[{i}].{dir}.impairments"), &d.impairments, &mut all);
            }
        }
        for (i, c) in s.connections.iter().enumerate() {
            all.push((format!("connections[{i}].open_at"), c.open_at));
            all.push((format!("connections[{i}].min_rto"), c.min_rto));
            // RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")"; the
            // backoff saturates at max_rto, so max_rto is the longest timer the run sets.
            all.push((format!("connections[{i}].max_rto"), c.max_rto));
        }
        for (i, a) in s.applications.iter().enumerate() {
            all.push((format!("applications[{i}].start"), a.start));
            all.push((format!("applications[{i}].sink.start"), a.sink.start));
            if let Timing::Paced(d) = a.timing {
                all.push((format!("applications[{i}].timing.Paced"), d));
            }
        }
        for (i, e) in s.timeline.iter().enumerate() {
            if let Action::SetLinkImpairments(_, _, list) = &e.action {
                reorder(format!("timeline[{i}].action.SetLinkImpairments.2"), list, &mut all);
            }
            all.push((format!("timeline[{i}].delay"), e.delay));
            if let Trigger::At(t) = e.when {
                all.push((format!("timeline[{i}].when.At"), t));
            }
        }
        for (field, d) in all {
            if limit.checked_add(d.as_nanos()).is_none_or(|t| t > MAX_SIM_NS) {
                self.err(
                    field,
                    format!(
                        "{d} added to a time before the limit ({}) overflows simulated time: at most {}",
                        s.limits.max_time,
                        Duration::from_nanos(MAX_SIM_NS - limit)
                    ),
                );
            }
        }
    }

    /// Connections must open, applications start writing and sinks start reading before the
    /// limit, or the run can only fail.
    fn starts(&mut self) {
        let s = self.s;
        let limit = s.limits.max_time;
        let late = |t: Duration| t >= limit;
        for (i, c) in s.connections.iter().enumerate() {
            if late(c.open_at) {
                self.err(
                    format!("connections[{i}].open_at"),
                    format!(
                        "opens at {}, not before the run's time limit (limits.max_time = {limit})",
                        c.open_at
                    ),
                );
            }
        }
        for (i, a) in s.applications.iter().enumerate() {
            if late(a.start) {
                self.err(
                    format!("applications[{i}].start"),
                    format!(
                        "starts at {}, not before the run's time limit (limits.max_time = {limit})",
                        a.start
                    ),
                );
            }
            if late(a.sink.start) {
                self.err(
                    format!("applications[{i}].sink.start"),
                    format!(
                        "the sink starts reading at {}, not before the run's time limit (limits.max_time = {limit})",
                        a.sink.start
                    ),
                );
            }
            if let ReadRate::Limited(r) = a.sink.read_rate
                && r.bits_per_sec() > 0
                && r.bytes_per_sec() == 0
            {
                self.err(
                    format!("applications[{i}].sink.read_rate.Limited"),
                    format!("{r} is below 1 B/s, the smallest read rate a sink can have (it reads whole bytes)"),
                );
            }
            if let Timing::Paced(d) = a.timing {
                let writes = writes(a.bytes.bytes(), &a.write_size);
                let last = d
                    .as_nanos()
                    .checked_mul(writes.saturating_sub(1))
                    .and_then(|t| t.checked_add(a.start.as_nanos()));
                match last {
                    None => self.err(
                        format!("applications[{i}].timing.Paced"),
                        format!("{writes} writes every {d} overflow simulated time"),
                    ),
                    Some(t) if t >= limit.as_nanos() => self.err(
                        format!("applications[{i}].timing.Paced"),
                        format!(
                            "the last of {writes} writes every {d} is due at {}, not before the run's time limit (limits.max_time = {limit})",
                            Duration::from_nanos(t)
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    /// A timeline action must complete (its latency included) before the limit: an offload
    /// still in progress at the limit keeps an event pending and the run fails on time.
    fn timeline(&mut self) {
        let s = self.s;
        let limit = s.limits.max_time.as_nanos();
        for (i, e) in s.timeline.iter().enumerate() {
            let latency = match &e.action {
                Action::Offload(c) | Action::Upload(c) => {
                    let target = self
                        .index
                        .conn(c)
                        .and_then(|x| self.index.host(&x.client))
                        .and_then(|h| h.offload_target.as_ref());
                    match (&e.action, target) {
                        (Action::Offload(_), Some(t)) => t.latency,
                        (_, Some(t)) => t.upload_latency,
                        _ => Duration::ZERO,
                    }
                }
                _ => Duration::ZERO,
            };
            let start = match e.when {
                Trigger::Never => continue,
                Trigger::At(t) => t.as_nanos(),
                _ => 0,
            };
            let fires = start.saturating_add(e.delay.as_nanos());
            if matches!(e.when, Trigger::At(_)) && fires > limit {
                continue; // validate.rs reports a trigger after the limit
            }
            let done = fires.saturating_add(latency.as_nanos());
            if done >= limit {
                let what = if matches!(e.when, Trigger::At(_)) {
                    "completes at"
                } else {
                    "even if its condition held at once, it would complete at"
                };
                self.err(
                    format!("timeline[{i}].when"),
                    format!(
                        "{what} {} (trigger + delay {} + action latency {latency}), not before the run's time limit (limits.max_time = {}): a run cannot end with the action in progress",
                        Duration::from_nanos(done),
                        e.delay,
                        s.limits.max_time
                    ),
                );
            }
        }
    }

    fn sizes(&mut self) {
        let s = self.s;
        for (i, a) in s.applications.iter().enumerate() {
            let f = format!("applications[{i}].write_size");
            let sizes: Vec<(String, u64)> = match &a.write_size {
                WriteSize::Fixed(x) => vec![(format!("{f}.Fixed"), x.bytes())],
                WriteSize::Uniform(lo, hi) => vec![
                    (format!("{f}.Uniform.0"), lo.bytes()),
                    (format!("{f}.Uniform.1"), hi.bytes()),
                ],
                WriteSize::Sizes(l) => l
                    .iter()
                    .enumerate()
                    .map(|(k, x)| (format!("{f}.Sizes[{k}]"), x.bytes()))
                    .collect(),
            };
            for (field, n) in sizes {
                if n > MAX_WRITE_BYTES {
                    self.err(
                        field,
                        format!("{n} B is more than the largest write, {MAX_WRITE_BYTES} B (4 GiB - 1 B): send buffers count bytes in 32 bits"),
                    );
                }
            }
        }
        for (i, l) in s.links.iter().enumerate() {
            let mss = s
                .connections
                .iter()
                .filter(|c| (c.client == l.a && c.server == l.b) || (c.client == l.b && c.server == l.a))
                .map(|c| u64::from(c.mss))
                .max();
            let Some(mss) = mss else { continue };
            for (dir, d) in [("forward", &l.forward), ("reverse", &l.reverse)] {
                if let Queue::Bytes(b) = d.queue
                    && b.bytes() > 0
                    && b.bytes() < mss + MAX_PACKET_OVERHEAD
                {
                    self.err(
                        format!("links[{i}].{dir}.queue.Bytes"),
                        format!(
                            "{b} cannot hold one full-size packet ({} B: MSS {mss} B + {MAX_PACKET_OVERHEAD} B of headers and options), so every data segment would be dropped",
                            mss + MAX_PACKET_OVERHEAD
                        ),
                    );
                }
            }
        }
    }
}

/// How many writes an application makes (the last one cut to reach `bytes`); for `Uniform`,
/// the most (every write of the minimum size).
fn writes(bytes: u64, w: &WriteSize) -> u64 {
    let smallest = match w {
        WriteSize::Fixed(x) => x.bytes(),
        WriteSize::Uniform(lo, _) => lo.bytes(),
        WriteSize::Sizes(l) => l.iter().map(|x| x.bytes()).min().unwrap_or(0),
    };
    if smallest == 0 { 0 } else { bytes.div_ceil(smallest) }
}
