//! Wiring: a validated [`Scenario`] becomes a runnable world ([`models::world`]): its hosts
//! (each with its offload target), routers and links, a bulk sender and a verifying sink
//! per connection, the timeline. Connection `i` (0-based, in file order) gets id `i + 1`.
//! Link directions are named `<link>:<a>-><b>` and `<link>:<b>-><a>` (their random streams
//! are named after them). What the world refuses is a [`BuildError`], never a panic.

use crate::index::Index;
use crate::schema::{
    self, Action, CaCounting, CongestionControl, DelayedAck, Impairment, Queue, ReadRate, RestartAfterIdle, Scenario,
    Timing, Trigger, WriteSize,
};
use models::app::{self, BulkConfig, WriteTiming};
use models::cbr::CbrConfig;
use models::link::{self, LinkConfig, LinkControl, QueueLimit};
use models::offload::{NicResources, NicTcp, RecoveryInference, TargetConfig, UploadReason};
use models::segment::ConnId;
use models::tcp::{self, TcpConfig};
use models::testbed::{ConnSpec, Direction, Step, When};
use models::trigger::Condition;
use models::world::{Built, World};
use sim_core::SimTime;

/// Why a scenario cannot be wired into a simulation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BuildError {
    /// Field path, e.g. `links`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError {
        field: field.into(),
        message: message.into(),
    }
}

/// The socket send buffer each bulk sender keeps posted at most.
const SEND_BUFFER: u64 = 1 << 20;

/// Builds the world a scenario describes (the scenario should have passed `validate`).
pub fn build(s: &Scenario) -> Result<Built, BuildError> {
    if s.connections.is_empty() {
        return Err(err("connections", "at least one connection is needed"));
    }
    let index = Index::new(s);
    let conn_id = |name: &str| index.connections.position(name).map(|i| ConnId(i as u32 + 1));
    let mut w = World::new(s.seed);
    w.limits(s.limits.to_sim());
    for h in &s.hosts {
        match &h.offload_target {
            Some(t) => w.host_with_target(
                h.name.clone(),
                t.name.clone(),
                TargetConfig {
                    offload_latency: t.latency.to_sim(),
                    upload_latency: t.upload_latency.to_sim(),
                    refuse: t.refuse,
                    max_connections: t.max_connections,
                    max_retransmissions: Some(t.max_retransmissions),
                    nic_tcp: NicTcp {
                        ticks_per_second: t.ticks_per_second,
                        min_rto: t.min_rto.map(|d| d.to_sim()),
                        max_rto: t.max_rto.map(|d| d.to_sim()),
                        dupack_threshold: t.dupack_threshold,
                        sack: t.sack,
                    },
                    recovery_inference: match t.recovery_inference {
                        None => RecoveryInference::default(),
                        Some(schema::RecoveryInference::Current) => RecoveryInference::Current,
                        Some(schema::RecoveryInference::EndRecovery) => RecoveryInference::EndRecovery,
                        Some(schema::RecoveryInference::KeepRecoverAtHighestSent) => {
                            RecoveryInference::KeepRecoverAtHighestSent
                        }
                    },
                    fin_wait_2_timeout: t.fin_wait_2_timeout.map(|d| d.to_sim()),
                    resources: NicResources {
                        segments_per_sec: t.segments_per_sec,
                        bytes_per_sec: t.processing_rate.map(|r| r.bytes_per_sec()),
                        dma_latency: t.dma_latency.map_or(sim_core::SimDuration::ZERO, |d| d.to_sim()),
                        coalesce_count: t.coalesce_count,
                        coalesce_time: t.coalesce_time.map(|d| d.to_sim()),
                        context_memory: t.context_memory.map(|s| s.bytes()),
                        context_bytes_per_conn: t.context_per_connection.map_or(0, |s| s.bytes()),
                        upload_lru_under_pressure: t.upload_least_recently_active,
                    },
                    ..TargetConfig::default()
                },
            ),
            None => w.host(h.name.clone()),
        };
        for r in &h.routes {
            w.route(h.name.clone(), r.to.clone(), r.via.clone());
        }
    }
    for router in &s.routers {
        w.router(router.name.clone());
        for r in &router.routes {
            w.route(router.name.clone(), r.to.clone(), r.via.clone());
        }
    }
    for l in &s.links {
        let (a, b) = (&l.a, &l.b);
        w.link(
            l.name.clone(),
            a.clone(),
            b.clone(),
            link_config(&format!("{}:{a}->{b}", l.name), &l.forward, &conn_id),
            link_config(&format!("{}:{b}->{a}", l.name), &l.reverse, &conn_id),
        );
    }
    let mut timeline = Vec::new();
    for (i, c) in s.connections.iter().enumerate() {
        let id = ConnId(i as u32 + 1);
        let apps = index.apps_of(&c.name);
        let &[app] = apps else {
            return Err(err(
                format!("connections[{i}]"),
                format!(
                    "connection `{}` needs exactly one application, it has {}",
                    c.name,
                    apps.len()
                ),
            ));
        };
        let app = &s.applications[app];
        let tcp = tcp_config(c);
        let spec = ConnSpec {
            id,
            tcp,
            peer_tcp: tcp,
            isn: (c.isn, None),
            bulk: BulkConfig {
                total: app.bytes.bytes(),
                write_size: match &app.write_size {
                    WriteSize::Fixed(n) => app::WriteSize::Fixed(size32(n.bytes())),
                    WriteSize::Uniform(lo, hi) => app::WriteSize::Uniform(size32(lo.bytes()), size32(hi.bytes())),
                    WriteSize::Sizes(v) => app::WriteSize::Sizes(v.iter().map(|n| size32(n.bytes())).collect()),
                },
                timing: match app.timing {
                    Timing::AllAtOnce => WriteTiming::AllAtOnce,
                    Timing::Paced(d) => WriteTiming::Paced(d.to_sim()),
                    Timing::OnOff { on, off, burst } => WriteTiming::OnOff {
                        on: period(on),
                        off: period(off),
                        burst: burst.bytes(),
                    },
                },
                send_buffer: SEND_BUFFER,
                close_when_done: true,
                start: app.start.to_sim(),
            },
            read_rate: match app.sink.read_rate {
                ReadRate::Unlimited => app::ReadRate::Unlimited,
                ReadRate::Limited(r) => app::ReadRate::Limited(r.bytes_per_sec()),
            },
            open_at: c.open_at.to_sim_time(),
        };
        w.conn(c.name.clone(), c.client.clone(), c.server.clone(), spec);
        if app.sink.start.as_nanos() != 0 {
            timeline.push((When::At(SimTime::ZERO), Step::PauseSink(id, true)));
            timeline.push((When::At(app.sink.start.to_sim_time()), Step::PauseSink(id, false)));
        }
    }
    let app_conn = |name: &str| index.app(name).and_then(|a| conn_id(&a.conn));
    for (i, entry) in s.timeline.iter().enumerate() {
        let field = format!("timeline[{i}]");
        let unknown = |what: &str, name: &str| err(field.clone(), format!("unknown {what} `{name}`"));
        let delay = entry.delay.to_sim();
        let when = match &entry.when {
            Trigger::Never => continue,
            Trigger::At(t) => When::At(t.to_sim_time() + delay),
            other => {
                let (conn, condition) = match other {
                    Trigger::AfterBytesAcked(c, n) => (c, Condition::AfterBytesAcked(n.bytes())),
                    Trigger::InFlightAtLeast(c, n) => (c, Condition::InFlightAtLeast(size32(n.bytes()))),
                    Trigger::RetransmissionInProgress(c) => (c, Condition::RetransmissionInProgress),
                    Trigger::AfterRto(c, k) => (c, Condition::AfterRto(*k)),
                    Trigger::OffloadCompleted(c) => (c, Condition::OffloadCompleted),
                    Trigger::InFastRecovery(c) => (c, Condition::InFastRecovery),
                    Trigger::ZeroWindow(c) => (c, Condition::ZeroWindow),
                    Trigger::AfterFastRetransmits(c, k) => (c, Condition::AfterFastRetransmits(*k)),
                    Trigger::OffloadRefused(c) => (c, Condition::OffloadRefused),
                    Trigger::Never | Trigger::At(_) => unreachable!("handled above"),
                };
                When::OnAfter(
                    conn_id(conn).ok_or_else(|| unknown("connection", conn))?,
                    condition,
                    delay,
                )
            }
        };
        // Forward is a → b of the named link, in the scenario and in the world.
        let on_link = |l: &str, d: schema::Direction, control: LinkControl| -> Result<Step, BuildError> {
            if !s.links.iter().any(|x| x.name == l) {
                return Err(unknown("link", l));
            }
            let d = match d {
                schema::Direction::Forward => Direction::Forward,
                schema::Direction::Reverse => Direction::Reverse,
            };
            Ok(Step::OnLink(l.to_string(), d, control))
        };
        let step = match &entry.action {
            Action::Offload(c) => Step::Offload(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::Upload(c) => Step::Upload(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::Close(c) => Step::Close(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::Abort(c) => Step::Abort(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::PeerClose(c) => Step::PeerClose(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::PeerAbort(c) => Step::PeerAbort(conn_id(c).ok_or_else(|| unknown("connection", c))?),
            Action::TargetUpload(c, r) => Step::TargetUploadFor(
                conn_id(c).ok_or_else(|| unknown("connection", c))?,
                match r {
                    schema::UploadReason::UploadRequested => UploadReason::UploadRequested,
                    schema::UploadReason::LowActivity => UploadReason::LowActivity,
                    schema::UploadReason::HighDropRate => UploadReason::HighDropRate,
                    schema::UploadReason::TimeoutExpiration => UploadReason::TimeoutExpiration,
                },
            ),
            Action::PauseApp(a) => Step::PauseSender(app_conn(a).ok_or_else(|| unknown("application", a))?, true),
            Action::ResumeApp(a) => Step::PauseSender(app_conn(a).ok_or_else(|| unknown("application", a))?, false),
            Action::SetLinkImpairments(l, d, imps) => on_link(
                l,
                *d,
                LinkControl::SetImpairments(imps.iter().map(|i| impairment(i, &conn_id)).collect()),
            )?,
            Action::SetLinkRate(l, d, r) => on_link(l, *d, LinkControl::SetRate(r.bits_per_sec()))?,
        };
        timeline.push((when, step));
    }
    for (when, step) in timeline {
        w.at(when, step);
    }
    for f in &s.flows {
        w.cbr(
            f.name.clone(),
            f.from.clone(),
            f.to.clone(),
            CbrConfig {
                payload: size32(f.packet_size.bytes()),
                rate_bps: f.rate.bits_per_sec(),
                start: f.start.to_sim_time(),
                stop: f.stop.map(|d| d.to_sim_time()),
            },
        );
    }
    w.build().map_err(|e| err("links", e.to_string()))
}

fn period(p: schema::Period) -> app::Period {
    match p {
        schema::Period::Fixed(d) => app::Period::Fixed(d.to_sim()),
        schema::Period::Exponential(d) => app::Period::Exponential(d.to_sim()),
    }
}

fn size32(n: u64) -> u32 {
    n.min(u64::from(u32::MAX)) as u32
}

fn link_config(name: &str, d: &schema::LinkDirection, conn_id: &dyn Fn(&str) -> Option<ConnId>) -> LinkConfig {
    let queue = match d.queue {
        Queue::Packets(n) => QueueLimit::Packets(n),
        Queue::Bytes(b) => QueueLimit::Bytes(b.bytes()),
    };
    let mut cfg = LinkConfig::new(name, d.rate.bits_per_sec(), d.delay.to_sim(), queue);
    cfg.impairments = d.impairments.iter().map(|i| impairment(i, conn_id)).collect();
    cfg
}

fn impairment(i: &Impairment, conn_id: &dyn Fn(&str) -> Option<ConnId>) -> link::impair::Impairment {
    use link::impair::Impairment as M;
    match i {
        Impairment::Bernoulli { p } => M::Bernoulli { p: *p },
        Impairment::GilbertElliott {
            p_good_to_bad,
            p_bad_to_good,
            loss_good,
            loss_bad,
        } => M::GilbertElliott {
            p_good_to_bad: *p_good_to_bad,
            p_bad_to_good: *p_bad_to_good,
            loss_good: *loss_good,
            loss_bad: *loss_bad,
        },
        Impairment::DropPackets(v) => M::DropPackets(v.clone()),
        Impairment::DropData {
            offset,
            transmission,
            conn,
        } => M::DropData {
            stream_offset: offset.bytes(),
            transmission: *transmission,
            conn: conn.as_deref().and_then(conn_id),
        },
        Impairment::DropFlags {
            syn,
            fin,
            rst,
            occurrence,
        } => M::DropFlags {
            syn: *syn,
            fin: *fin,
            rst: *rst,
            occurrence: *occurrence,
        },
        Impairment::Reorder { fraction, extra_delay } => M::Reorder {
            fraction: *fraction,
            extra_delay: extra_delay.to_sim(),
        },
        Impairment::Duplicate { p } => M::Duplicate { p: *p },
        Impairment::Corrupt { p } => M::Corrupt { p: *p },
    }
}

fn tcp_config(c: &schema::Connection) -> TcpConfig {
    TcpConfig {
        mss: c.mss.min(u32::from(u16::MAX)) as u16,
        initial_window_segments: c.initial_window,
        rcv_buffer: size32(c.rcv_buffer.bytes()),
        window_scale: c.window_scale,
        sack: c.sack,
        delayed_ack: match c.delayed_ack {
            DelayedAck::Off => None,
            DelayedAck::On { timeout, every } => Some(tcp::DelayedAck {
                timeout: timeout.to_sim(),
                every_segments: every,
            }),
        },
        min_rto: c.min_rto.to_sim(),
        max_rto: c.max_rto.to_sim(),
        dupack_threshold: c.dupack_threshold,
        initial_rto: c.initial_rto.to_sim(),
        ca_increase: match c.ca_counting {
            CaCounting::ByteCounting => tcp::CaIncrease::ByteCounting,
            CaCounting::PerAck => tcp::CaIncrease::PerAck,
        },
        cwnd_validation: c.cwnd_validation,
        restart_after_idle: match c.restart_after_idle {
            RestartAfterIdle::Rfc5681 => tcp::RestartAfterIdle::Rfc5681,
            RestartAfterIdle::Halve => tcp::RestartAfterIdle::Halve,
            RestartAfterIdle::Off => tcp::RestartAfterIdle::Off,
        },
        limited_transmit: c.limited_transmit,
        timestamps: c.timestamps,
        congestion_control: match c.congestion_control {
            CongestionControl::NewReno => tcp::CongestionControl::NewReno,
            CongestionControl::Cubic => tcp::CongestionControl::Cubic,
        },
        ..TcpConfig::default()
    }
}
