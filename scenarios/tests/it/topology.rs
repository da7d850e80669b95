//! Topologies at `check`: a valid dumbbell builds, routes where the file says, and each way
//! of getting a topology wrong is one error with file:line:col and the names involved.

/// Two senders behind router `r1`, a bottleneck `mid` to router `r2`, one receiver.
const DUMBBELL: &str = r#"// dumbbell
(
    name: "dumbbell",
    description: "Two senders share one bottleneck.",
    seed: 3,
    limits: (max_time: "20 s"),
    hosts: [(name: "a1"), (name: "a2"), (name: "b")],
    routers: [(name: "r1"), (name: "r2")],
    links: [
        (name: "e1", a: "a1", b: "r1", forward: (rate: "100 Mbit/s", delay: "1 ms"), reverse: (rate: "100 Mbit/s", delay: "1 ms")),
        (name: "e2", a: "a2", b: "r1", forward: (rate: "100 Mbit/s", delay: "1 ms"), reverse: (rate: "100 Mbit/s", delay: "1 ms")),
        (name: "mid", a: "r1", b: "r2", forward: (rate: "10 Mbit/s", delay: "10 ms"), reverse: (rate: "10 Mbit/s", delay: "10 ms")),
        (name: "eb", a: "r2", b: "b", forward: (rate: "100 Mbit/s", delay: "1 ms"), reverse: (rate: "100 Mbit/s", delay: "1 ms")),
    ],
    connections: [
        (name: "c1", client: "a1", server: "b"),
        (name: "c2", client: "a2", server: "b"),
    ],
    applications: [
        (name: "w1", conn: "c1", bytes: "64 KiB"),
        (name: "w2", conn: "c2", bytes: "64 KiB"),
    ],
)
"#;

/// The error for `DUMBBELL` with `from` replaced by `to` (which must occur exactly once).
fn error_with(from: &str, to: &str) -> String {
    assert_eq!(DUMBBELL.matches(from).count(), 1, "`{from}` must occur once");
    match scenarios::parse(&DUMBBELL.replace(from, to), "topo.ron") {
        Ok(_) => panic!("expected an error after replacing `{from}` with `{to}`"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn dumbbell_is_valid_and_routes_through_the_bottleneck() {
    let s = scenarios::parse(DUMBBELL, "topo.ron").unwrap();
    let built = scenarios::build(&s).unwrap();
    assert_eq!(built.path("a2", "b").unwrap(), ["e2:a2->r1", "mid:r1->r2", "eb:r2->b"]);
    assert_eq!(built.path("b", "a1").unwrap(), ["eb:b->r2", "mid:r2->r1", "e1:r1->a1"]);
}

#[test]
fn unreachable_destination_names_both_hosts() {
    // Without `mid` the two halves of the dumbbell are separate networks.
    let from = r#"        (name: "mid", a: "r1", b: "r2", forward: (rate: "10 Mbit/s", delay: "10 ms"), reverse: (rate: "10 Mbit/s", delay: "10 ms")),
"#;
    assert_eq!(
        error_with(from, ""),
        "topo.ron:15:44: connections[0].server: `b` is unreachable from `a1` (no route at `r1`)\n\
         topo.ron:16:44: connections[1].server: `b` is unreachable from `a2` (no route at `r1`)\n\
         topo.ron:15:44: connections[0].server: `a1` is unreachable from `b` (no route at `r2`)\n\
         topo.ron:16:44: connections[1].server: `a2` is unreachable from `b` (no route at `r2`)"
    );
}

#[test]
fn link_to_an_unknown_node() {
    assert_eq!(
        error_with(r#"a: "r2", b: "b""#, r#"a: "r3", b: "b""#),
        "topo.ron:13:25: links[3].a: unknown node `r3` (not a host or router); known: `a1`, `a2`, `b`, `r1`, `r2`"
    );
}

#[test]
fn two_links_with_one_name() {
    assert_eq!(
        error_with(r#"(name: "e2","#, r#"(name: "e1","#),
        "topo.ron:11:16: links[1].name: duplicate link name `e1` (also links[0])"
    );
}

#[test]
fn connection_from_a_router() {
    assert_eq!(
        error_with(r#"client: "a2""#, r#"client: "r1""#),
        "topo.ron:17:30: connections[1].client: `r1` is a router: connections run between hosts (routers only \
         forward); hosts: known: `a1`, `a2`, `b`"
    );
}

#[test]
fn routing_loop_in_an_explicit_override() {
    // r2 sends traffic for `b` back over `mid`: r1 -> r2 -> r1.
    assert_eq!(
        error_with(r#"(name: "r2")"#, r#"(name: "r2", routes: [(to: "b", via: "mid")])"#),
        "topo.ron:8:51: routers[1].routes[0]: routing loop from `a1` to `b`: a1 -> r1 -> r2 -> r1\n\
         topo.ron:8:51: routers[1].routes[0]: routing loop from `a2` to `b`: a2 -> r1 -> r2 -> r1\n\
         topo.ron:8:51: routers[1].routes[0]: routing loop from `r2` to `b`: r2 -> r1 -> r2"
    );
}

#[test]
fn host_with_no_link() {
    assert_eq!(
        error_with(r#"(name: "b")]"#, r#"(name: "b"), (name: "idle")]"#),
        "topo.ron:7:61: hosts[3].name: host `idle` is attached to no link; attach it to a router or another host"
    );
}

#[test]
fn override_via_a_link_not_attached() {
    assert_eq!(
        error_with(r#"(name: "r2")"#, r#"(name: "r2", routes: [(to: "b", via: "e1")])"#),
        "topo.ron:8:51: routers[1].routes[0]: route at `r2` to `b` via `e1`: link `e1` joins `a1` and `r1`, not `r2`"
    );
}

/// Cross traffic: `c2` comes and goes (20 ms on, 80 ms off, 16 KiB bursts) while `c1` sends
/// in bulk over the same bottleneck; both complete intact.
#[test]
fn on_off_cross_traffic_shares_the_bottleneck() {
    let text = DUMBBELL.replace(
        r#"(name: "w2", conn: "c2", bytes: "64 KiB")"#,
        r#"(name: "w2", conn: "c2", bytes: "64 KiB", timing: OnOff(on: Fixed("20 ms"), off: Exponential("80 ms"), burst: "16 KiB"))"#,
    );
    let s = scenarios::parse(&text, "topo.ron").unwrap();
    let out = scenarios::build(&s).unwrap().run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    let c2 = &out.conns[1];
    let c1 = &out.conns[0];
    // Four bursts with off periods between them: c2 finishes well after the bulk c1.
    assert!(c2.completed_at > c1.completed_at, "{c1:?} {c2:?}");
}

#[test]
fn on_off_periods_and_burst_must_be_positive() {
    assert_eq!(
        error_with(
            r#"(name: "w2", conn: "c2", bytes: "64 KiB")"#,
            r#"(name: "w2", conn: "c2", bytes: "64 KiB", timing: OnOff(on: Fixed("0 ms"), off: Fixed("1 s"), burst: 0))"#
        ),
        "topo.ron:21:69: applications[1].timing.OnOff.on.Fixed: the on period must be greater than zero\n\
         topo.ron:21:110: applications[1].timing.OnOff.burst: the burst must be greater than zero"
    );
}

/// The dumbbell with constant-bit-rate cross traffic `udp` from `a2` to `b`.
fn with_flow(flow: &str) -> String {
    DUMBBELL.replace(
        "    applications: [",
        &format!("    flows: [{flow}],\n    applications: ["),
    )
}

/// A 4 Mbit/s flow loads the bottleneck for the first second; the TCP connections still
/// deliver every byte, and the flow's packets go out at its rate.
#[test]
fn cbr_cross_traffic_loads_the_bottleneck() {
    let text = with_flow(r#"(name: "udp", from: "a2", to: "b", rate: "4 Mbit/s", packet_size: "1210 B", stop: "1 s")"#);
    let s = scenarios::parse(&text, "topo.ron").unwrap();
    let out = scenarios::build(&s).unwrap().run();
    assert!(out.integrity_ok(), "{:?} {:?}", out.end, out.conns);
    // 1250 bytes on the wire at 4 Mbit/s: one packet every 2.5 ms, 400 in one second.
    assert_eq!((out.flows[0].name.as_str(), out.flows[0].sent), ("udp", 400));
}

#[test]
fn cbr_flow_errors_name_the_field() {
    let bad = with_flow(r#"(name: "c1", from: "r1", to: "b", rate: "0 Mbit/s", start: "2 s", stop: "1 s")"#);
    let err = scenarios::parse(&bad, "topo.ron").unwrap_err().to_string();
    let fields: Vec<&str> = err.lines().map(|l| l.split(": ").nth(1).unwrap_or(l)).collect();
    assert_eq!(
        fields,
        ["flows[0].name", "flows[0].from", "flows[0].rate", "flows[0].stop"],
        "{err}"
    );
    assert!(err.contains("`c1` is also connections[0]"), "{err}");
    assert!(err.contains("`r1` is a router"), "{err}");
}

/// A host has one interface: a second link to it is refused, naming both links.
#[test]
fn host_with_two_links() {
    let extra = r#"        (name: "eb2", a: "r1", b: "b", forward: (rate: "1 Mbit/s", delay: "1 ms"), reverse: (rate: "1 Mbit/s", delay: "1 ms")),
    ],
    connections"#;
    assert_eq!(
        error_with("    ],\n    connections", extra),
        "topo.ron:7:48: hosts[2].name: host `b` is attached to 2 links (eb, eb2); a host has one interface: put a \
         router between"
    );
}
