//! Engine settings written in a scenario reach the TCP engine of both ends, and the defaults
//! are the engine's own (so files that do not name them keep their results).

use models::tcp::{CaIncrease, CongestionControl, RestartAfterIdle, TcpConfig};
use sim_core::SimDuration;

fn scenario(connection_extra: &str) -> String {
    format!(
        r#"(
    name: "settings",
    description: "Engine settings.",
    seed: 1,
    hosts: [(name: "host"), (name: "peer")],
    links: [(name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "20 ms"), reverse: (rate: "10 Mbit/s", delay: "20 ms"))],
    connections: [(name: "c1", client: "host", server: "peer"{connection_extra})],
    applications: [(name: "bulk", conn: "c1", bytes: "1 MiB")],
)"#
    )
}

fn tcp_of(text: &str) -> (TcpConfig, TcpConfig) {
    let s = scenarios::parse(text, "settings.ron").unwrap_or_else(|e| panic!("{e}"));
    let t = scenarios::build(&s).unwrap_or_else(|e| panic!("{e}"));
    let c = &t.world().conns[0].spec;
    (c.tcp, c.peer_tcp)
}

#[test]
fn unnamed_engine_settings_are_the_engine_defaults() {
    let (client, server) = tcp_of(&scenario(""));
    let d = TcpConfig::default();
    for c in [client, server] {
        assert_eq!(
            (
                c.ca_increase,
                c.cwnd_validation,
                c.restart_after_idle,
                c.limited_transmit,
                c.initial_rto
            ),
            (
                d.ca_increase,
                d.cwnd_validation,
                d.restart_after_idle,
                d.limited_transmit,
                d.initial_rto
            )
        );
        assert_eq!(
            (c.congestion_control, c.timestamps),
            (CongestionControl::NewReno, false)
        );
    }
}

#[test]
fn engine_settings_reach_both_ends() {
    let (client, server) = tcp_of(&scenario(
        r#", ca_counting: PerAck, cwnd_validation: false, restart_after_idle: Halve, limited_transmit: true,
        initial_rto: "3 s", congestion_control: Cubic, timestamps: true"#,
    ));
    for c in [client, server] {
        assert_eq!(
            (
                c.ca_increase,
                c.cwnd_validation,
                c.restart_after_idle,
                c.limited_transmit,
                c.initial_rto
            ),
            (
                CaIncrease::PerAck,
                false,
                RestartAfterIdle::Halve,
                true,
                SimDuration::from_secs(3)
            )
        );
        assert_eq!((c.congestion_control, c.timestamps), (CongestionControl::Cubic, true));
    }
}
