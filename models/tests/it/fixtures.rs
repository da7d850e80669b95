//! A small DSL for building test worlds.

use models::app::{BulkConfig, ReadRate, WriteSize, WriteTiming};
use models::link::{LinkConfig, QueueLimit};
use models::offload::TargetConfig;
use models::segment::ConnId;
use models::tcp::TcpConfig;
use models::testbed::{ConnSpec, Step, Testbed, When};
use sim_core::{Limits, SimDuration, SimTime};

/// Connection 1.
pub const C: ConnId = ConnId(1);

/// 10 Mbit/s, 20 ms one way, 100-packet queue, both directions; one connection sending
/// `total` bytes in 16 KiB writes; an offload target on the sending host.
pub fn bed(total: u64) -> Testbed {
    let link = |name: &str| LinkConfig::new(name, 10_000_000, SimDuration::from_millis(20), QueueLimit::Packets(100));
    let tcp = TcpConfig {
        min_rto: SimDuration::from_millis(200),
        ..TcpConfig::default()
    };
    Testbed {
        seed: 1,
        forward: link("host->peer"),
        reverse: link("peer->host"),
        target: Some(TargetConfig::default()),
        conns: vec![ConnSpec {
            id: C,
            tcp,
            peer_tcp: tcp,
            isn: (None, None),
            bulk: BulkConfig {
                total,
                write_size: WriteSize::Fixed(16 * 1024),
                timing: WriteTiming::AllAtOnce,
                send_buffer: 256 * 1024,
                close_when_done: true,
                start: sim_core::SimDuration::ZERO,
            },
            read_rate: ReadRate::Unlimited,
            open_at: sim_core::SimTime::ZERO,
        }],
        timeline: vec![],
        limits: Limits {
            max_time: Some(SimTime(600 * 1_000_000_000)),
            max_events: Some(50_000_000),
        },
    }
}

/// Adds a timeline entry.
pub fn at(mut t: Testbed, when: When, step: Step) -> Testbed {
    t.timeline.push((when, step));
    t
}

/// Milliseconds as an instant.
pub fn ms(n: u64) -> SimTime {
    SimTime(n * 1_000_000)
}

/// Connection `id` as [`bed`] sets it up (16 KiB writes, 200 ms minimum RTO), sending `total`
/// bytes: for [`models::world::World`] tests.
pub fn conn_spec(id: u32, total: u64) -> ConnSpec {
    ConnSpec {
        id: ConnId(id),
        ..bed(total).conns[0].clone()
    }
}

/// A link direction of `mbps` Mbit/s, `delay_ms` one way, a drop-tail queue of `queue`
/// packets (the world names each direction).
pub fn wire(mbps: u64, delay_ms: u64, queue: u32) -> LinkConfig {
    LinkConfig::new(
        "",
        mbps * 1_000_000,
        SimDuration::from_millis(delay_ms),
        QueueLimit::Packets(queue),
    )
}

/// Connection 2.
pub const C2: ConnId = ConnId(2);

/// Adds connection 2, a copy of connection 1, to `t`.
pub fn with_second_conn(mut t: Testbed) -> Testbed {
    let mut second = t.conns[0].clone();
    second.id = C2;
    t.conns.push(second);
    t
}

/// Sets the offload target's entry limit (OFFLOAD_TCP_ENTRIES beyond it).
pub fn max_entries(mut t: Testbed, n: u32) -> Testbed {
    if let Some(target) = t.target.as_mut() {
        target.max_connections = n;
    }
    t
}

/// `t` with RFC 7323 timestamps on at both ends of every connection (negotiated on the SYNs).
pub fn with_timestamps(mut t: Testbed) -> Testbed {
    for c in &mut t.conns {
        c.tcp.timestamps = true;
        c.peer_tcp.timestamps = true;
    }
    t
}
