//! Bad inputs: each class of error gives an exact message with file:line:col and, for
//! semantic errors, the field path.

/// A small valid scenario; tests break one thing at a time by text replacement.
pub(crate) const BASE: &str = r#"// base
(
    name: "base",
    description: "A valid base scenario.",
    seed: 7,
    limits: (max_time: "10 s"),
    hosts: [
        (name: "host", offload_target: (name: "nic")),
        (name: "peer"),
    ],
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "20 ms", impairments: [Bernoulli(p: 0.01)]),
        reverse: (rate: "10 Mbit/s", delay: "20 ms"),
    )],
    connections: [(name: "c1", client: "host", server: "peer")],
    applications: [(name: "bulk", conn: "c1", bytes: "1 MiB")],
    timeline: [
        (when: At("1 s"), action: Offload("c1")),
        (when: At("2 s"), action: Upload("c1")),
    ],
)
"#;

/// The error for `BASE` with `from` replaced by `to` (which must occur exactly once).
pub(crate) fn error_with(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "`{from}` must occur once in BASE");
    let text = BASE.replace(from, to);
    match scenarios::parse(&text, "bad.ron") {
        Ok(_) => panic!("expected an error after replacing `{from}` with `{to}`"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn base_is_valid() {
    scenarios::parse(BASE, "base.ron").unwrap();
}

/// Appends a sweep section to `BASE` and returns the error.
pub(crate) fn sweep_error(sweep: &str) -> String {
    error_with("    ],\n)", &format!("    ],\n    sweep: {sweep},\n)"))
}

// ---- Syntax and type errors: ron's message at ron's position. ----

#[test]
fn unknown_field_lists_the_allowed_fields() {
    assert_eq!(
        error_with("delay: \"20 ms\", impairments", "delai: \"20 ms\", impairments"),
        "bad.ron:13:38: Unexpected field named `delai` in `LinkDirection`, expected one of `rate`, `delay`, `queue`, or `impairments` instead"
    );
    assert_eq!(
        error_with("Bernoulli(p: 0.01)", "Bernoulli(q: 0.01)"),
        "bad.ron:13:78: Unexpected field named `q` in `Bernoulli`, expected `p` instead"
    );
}

#[test]
fn unknown_variant_lists_the_allowed_variants() {
    assert_eq!(
        error_with("Bernoulli(p: 0.01)", "Bernouli(p: 0.01)"),
        "bad.ron:13:68: Unexpected variant named `Bernouli` in enum `Impairment`, expected one of `Bernoulli`, \
         `GilbertElliott`, `DropPackets`, `DropData`, `DropFlags`, `Reorder`, `Duplicate`, or `Corrupt` instead"
    );
}

#[test]
fn bad_units_say_what_is_accepted() {
    assert_eq!(
        error_with("delay: \"20 ms\", impairments", "delay: \"20 msec\", impairments"),
        "bad.ron:13:46: invalid duration \"20 msec\": unknown unit \"msec\"; accepted units: ns, us, µs, ms, s; \
         e.g. \"20 ms\", \"1.5 s\", \"250 us\", \"100 ns\""
    );
    assert_eq!(
        error_with("delay: \"20 ms\", impairments", "delay: 20, impairments"),
        "bad.ron:13:45: a bare number 20 is ambiguous for a duration: write it as a string with a unit, \
         e.g. \"20 ms\", \"1.5 s\", \"250 us\", \"100 ns\""
    );
    assert_eq!(
        error_with(
            "rate: \"10 Mbit/s\", delay: \"20 ms\", impairments",
            "rate: \"10 Mbps\", delay: \"20 ms\", impairments"
        ),
        "bad.ron:13:26: invalid rate \"10 Mbps\": unknown unit \"Mbps\"; accepted units: bit/s, kbit/s, Mbit/s, Gbit/s, \
         B/s, kB/s, MB/s, GB/s; e.g. \"10 Mbit/s\", \"1 Gbit/s\", \"500 kbit/s\", \"125 kB/s\""
    );
    assert_eq!(
        error_with("bytes: \"1 MiB\"", "bytes: -5"),
        "bad.ron:17:55: invalid size -5: must not be negative"
    );
    assert_eq!(
        error_with("bytes: \"1 MiB\"", "bytes: \"0.5 B\""),
        "bad.ron:17:55: invalid size \"0.5 B\": not a whole number of bytes"
    );
}

#[test]
fn missing_field_wrong_type_and_syntax() {
    assert_eq!(
        error_with("    seed: 7,\n", ""),
        "bad.ron:21:1: Unexpected missing field named `seed` in `Scenario`"
    );
    assert_eq!(error_with("seed: 7", "seed: \"7\""), "bad.ron:5:10: Expected integer");
    assert_eq!(
        error_with("name: \"base\",", "name: \"base\""),
        "bad.ron:4:5: Expected comma"
    );
}

#[test]
fn unreadable_file() {
    let e = scenarios::load("/nonexistent/x.ron").unwrap_err().to_string();
    assert_eq!(
        e,
        "/nonexistent/x.ron: cannot read: No such file or directory (os error 2)"
    );
}

// ---- Semantic errors: file:line:col, field path, what is allowed. ----

#[test]
fn zero_rate() {
    assert_eq!(
        error_with(
            "rate: \"10 Mbit/s\", delay: \"20 ms\", impairments",
            "rate: \"0 Mbit/s\", delay: \"20 ms\", impairments"
        ),
        "bad.ron:13:25: links[0].forward.rate: the rate must be greater than zero"
    );
}

/// Every probability field the validator checks is in `PROBABILITY_FIELDS` (the list the
/// reports use to draw such axes in %), and every listed field is checked.
#[test]
fn every_probability_field_is_checked_and_listed() {
    let all = "Bernoulli(p: 2.0), GilbertElliott(p_good_to_bad: 2.0, p_bad_to_good: 2.0, loss_good: 2.0, loss_bad: 2.0), \
               Reorder(fraction: 2.0, extra_delay: \"1 ms\"), Duplicate(p: 2.0), Corrupt(p: 2.0)";
    let e = error_with("Bernoulli(p: 0.01)", all);
    let flagged: Vec<&str> = e
        .lines()
        .filter(|l| l.contains("must be a probability in [0, 1], got 2"))
        .collect();
    assert_eq!(flagged.len(), scenarios::PROBABILITY_FIELDS.len(), "{e}");
    for field in scenarios::PROBABILITY_FIELDS {
        assert!(
            flagged
                .iter()
                .any(|l| l.contains(&format!("impairments[{}]{field}:", field_index(field)))),
            "{field} not checked: {e}"
        );
    }
}

/// The impairment's position in the list set by `every_probability_field_is_checked_and_listed`.
fn field_index(field: &str) -> usize {
    ["Bernoulli", "GilbertElliott", "Reorder", "Duplicate", "Corrupt"]
        .iter()
        .position(|k| field.starts_with(&format!(".{k}.")))
        .unwrap()
}

#[test]
fn probabilities_outside_0_1() {
    assert_eq!(
        error_with("Bernoulli(p: 0.01)", "Bernoulli(p: 1.5)"),
        "bad.ron:13:81: links[0].forward.impairments[0].Bernoulli.p: must be a probability in [0, 1], got 1.5"
    );
    assert_eq!(
        error_with(
            "Bernoulli(p: 0.01)",
            "Bernoulli(p: 0.01), GilbertElliott(p_good_to_bad: -0.1, p_bad_to_good: 0.5, loss_good: 0.0, loss_bad: 2.0)"
        ),
        "bad.ron:13:118: links[0].forward.impairments[1].GilbertElliott.p_good_to_bad: must be a probability in [0, 1], got -0.1\n\
         bad.ron:13:170: links[0].forward.impairments[1].GilbertElliott.loss_bad: must be a probability in [0, 1], got 2"
    );
}

#[test]
fn unknown_references() {
    assert_eq!(
        error_with("a: \"host\"", "a: \"hots\""),
        "bad.ron:12:24: links[0].a: unknown node `hots` (not a host or router); known: `host`, `peer`"
    );
    assert_eq!(
        error_with("action: Offload(\"c1\")", "action: Offload(\"c2\")"),
        "bad.ron:19:35: timeline[0].action.Offload: unknown connection `c2`; known: `c1`\n\
         bad.ron:20:35: timeline[1].action.Upload: uploads `c1` before any Offload(\"c1\") (entries with At triggers run \
         in time order, equal times and other triggers in their order in the timeline)"
    );
    assert_eq!(
        error_with("conn: \"c1\", bytes", "conn: \"c9\", bytes"),
        "bad.ron:17:41: applications[0].conn: unknown connection `c9`; known: `c1`"
    );
}

/// `BASE` with connections `c1`..`cN` (each with an application) instead of its one.
fn with_connections(n: usize) -> String {
    let conns: Vec<String> = (1..=n)
        .map(|i| format!("(name: \"c{i}\", client: \"host\", server: \"peer\")"))
        .collect();
    let apps: Vec<String> = (1..=n)
        .map(|i| format!("(name: \"a{i}\", conn: \"c{i}\", bytes: \"1 kB\")"))
        .collect();
    BASE.replace(
        "connections: [(name: \"c1\", client: \"host\", server: \"peer\")]",
        &format!("connections: [{}]", conns.join(", ")),
    )
    .replace(
        "applications: [(name: \"bulk\", conn: \"c1\", bytes: \"1 MiB\")]",
        &format!("applications: [{}]", apps.join(", ")),
    )
}

#[test]
fn unknown_name_lists_twenty_known_names_then_counts_the_rest() {
    let text = with_connections(25).replace("action: Upload(\"c1\")", "action: Upload(\"c99\")");
    let e = scenarios::parse(&text, "bad.ron").unwrap_err().to_string();
    let known: Vec<String> = (1..=20).map(|i| format!("`c{i}`")).collect();
    assert!(
        e.ends_with(&format!(
            "unknown connection `c99`; known: {} and 5 more",
            known.join(", ")
        )),
        "{e}"
    );
}

#[test]
fn duplicates_among_many_names_name_the_first_occurrence() {
    // The validator indexes names once; a duplicate still points at the first of its name,
    // and names that only share a file name are told apart from true duplicates.
    let text = with_connections(300)
        .replace("(name: \"c250\",", "(name: \"c7\",")
        .replace("(name: \"c259\",", "(name: \"c_9\",")
        .replace("conn: \"c259\"", "conn: \"c_9\"")
        .replace("(name: \"c260\",", "(name: \"c 9\",")
        .replace("conn: \"c260\"", "conn: \"c 9\"")
        .replace("conn: \"c250\"", "conn: \"c7\"")
        .replace("(name: \"a3\", conn: \"c3\"", "(name: \"a3\", conn: \"c2\"");
    let e = scenarios::parse(&text, "bad.ron").unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().map(|l| l.split_once(": ").map_or(l, |x| x.1)).collect();
    assert!(
        lines.contains(&"connections[249].name: duplicate connection name `c7` (also connections[6])"),
        "{e}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "connections[259].name: connection names `c_9` (connections[258]) and `c 9` both become the file name `c_9`"
        )),
        "{e}"
    );
    assert!(
        lines.contains(
            &"applications[2].conn: connection `c2` already has application `a2` (applications[1]); one per connection"
        ),
        "{e}"
    );
    assert!(
        lines.contains(&"applications[249].conn: connection `c7` already has application `a7` (applications[6]); one per connection"),
        "{e}"
    );
}

#[test]
fn duplicate_names_and_every_error_is_reported() {
    assert_eq!(
        error_with("(name: \"peer\")", "(name: \"host\")"),
        "bad.ron:9:16: hosts[1].name: duplicate host name `host` (also hosts[0])\n\
         bad.ron:12:35: links[0].b: unknown node `peer` (not a host or router); known: `host`\n\
         bad.ron:16:56: connections[0].server: unknown host `peer`; known: `host`"
    );
}

#[test]
fn offload_needs_an_offload_target() {
    assert_eq!(
        error_with(
            "client: \"host\", server: \"peer\"",
            "client: \"peer\", server: \"host\""
        ),
        "bad.ron:19:35: timeline[0].action.Offload: `c1`'s client host `peer` has no offload_target (offload acts on the \
         client, the sending end); hosts with one: host"
    );
}

#[test]
fn upload_before_offload() {
    assert_eq!(
        error_with("At(\"1 s\"), action: Offload", "At(\"3 s\"), action: Offload"),
        "bad.ron:20:35: timeline[1].action.Upload: uploads `c1` before any Offload(\"c1\") (entries with At triggers run \
         in time order, equal times and other triggers in their order in the timeline)"
    );
    // A condition trigger is ordered by its place in the list.
    let ok = BASE.replace(
        "(when: At(\"1 s\"), action: Offload",
        "(when: AfterBytesAcked(\"c1\", \"64 KiB\"), action: Offload",
    );
    scenarios::parse(&ok, "ok.ron").unwrap();
}

#[test]
fn action_after_the_time_limit() {
    assert_eq!(
        error_with("At(\"2 s\"), action: Upload", "At(\"12 s\"), action: Upload"),
        "bad.ron:20:16: timeline[1].when: fires at 12 s, after the run's time limit (limits.max_time = 10 s)"
    );
}

#[test]
fn trigger_that_never_fires() {
    assert_eq!(
        error_with(
            "At(\"2 s\"), action: Upload",
            "AfterBytesAcked(\"c1\", \"2 MiB\"), action: Upload"
        ),
        "bad.ron:20:38: timeline[1].when.AfterBytesAcked.1: 2 MiB is more than the 1048576 bytes the applications of `c1` \
         write, so this never fires"
    );
}

#[test]
fn receive_buffer_needs_window_scaling() {
    assert_eq!(
        error_with(
            "(name: \"c1\", client: \"host\", server: \"peer\")",
            "(name: \"c1\", client: \"host\", server: \"peer\", rcv_buffer: \"64 KiB\")"
        ),
        "bad.ron:16:76: connections[0].rcv_buffer: 65536 B exceeds 65535 B, the largest window without window scaling; \
         set `window_scale`"
    );
    // implicit_some: `window_scale: 1` needs no `Some(..)`.
    let ok = BASE.replace(
        "server: \"peer\")",
        "server: \"peer\", rcv_buffer: \"64 KiB\", window_scale: 1)",
    );
    scenarios::parse(&ok, "ok.ron").unwrap();
}

#[test]
fn defaulted_field_points_at_its_parent() {
    // `max_rto` is not written (default 60 s): the error points at the connection.
    let e = error_with("server: \"peer\")", "server: \"peer\", min_rto: \"90 s\")");
    assert_eq!(e, "bad.ron:16:19: connections[0].max_rto: 60 s is below min_rto 90 s");
    // Written fields are pointed at exactly, also positional ones.
    let e = error_with(
        "bytes: \"1 MiB\")",
        "bytes: \"1 MiB\", write_size: Uniform(\"2 KiB\", \"1 KiB\"))",
    );
    assert_eq!(
        e,
        "bad.ron:17:92: applications[0].write_size.Uniform.1: maximum 1 KiB is below minimum 2 KiB"
    );
}

#[test]
fn invalid_error_exposes_fields() {
    let text = BASE.replace("Bernoulli(p: 0.01)", "Bernoulli(p: 1.5)");
    match scenarios::parse(&text, "bad.ron") {
        Err(scenarios::ScenarioError::Invalid { path, errors }) => {
            assert_eq!(path, "bad.ron");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].field, "links[0].forward.impairments[0].Bernoulli.p");
            assert_eq!(errors[0].location, Some(scenarios::Location { line: 13, col: 81 }));
        }
        other => panic!("{other:?}"),
    }
}

// ---- Sweep errors. ----

#[test]
fn sweep_path_that_does_not_exist() {
    assert_eq!(
        sweep_error("(axes: [(name: \"loss\", path: \"links[0].forward.impairments[1].Bernoulli.p\", values: [0.1])])"),
        "bad.ron:22:41: sweep.axes[0].path: `links[0].forward.impairments[1]` does not exist: index 1 is out of range: \
         a list of 1 element(s); the path must name an existing field of the scenario"
    );
    assert_eq!(
        sweep_error("(axes: [(name: \"loss\", path: \"links[0].forward.impairments[0].Bernoulli.q\", values: [0.1])])"),
        "bad.ron:22:41: sweep.axes[0].path: `links[0].forward.impairments[0].Bernoulli.q` does not exist: no field `q` \
         here: `Bernoulli` with fields `p`; the path must name an existing field of the scenario"
    );
    assert_eq!(
        sweep_error("(axes: [(name: \"x\", path: \"links[0]..a\", values: [0.1])])"),
        "bad.ron:22:38: sweep.axes[0].path: `links[0]..a` is not a field path: unexpected `.` at byte 9; a path looks \
         like `links[0].forward.impairments[1].Bernoulli.p`"
    );
}

#[test]
fn sweep_values_of_the_wrong_type_or_invalid() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"loss\", path: \"links[0].forward.impairments[0].Bernoulli.p\", values: [0.1, \"high\", 1.5])])"
        ),
        "bad.ron:22:102: sweep.axes[0].values[1]: `\"high\"` does not fit `links[0].forward.impairments[0].Bernoulli.p`: \
         Expected float\n\
         bad.ron:22:110: sweep.axes[0].values[2]: with links[0].forward.impairments[0].Bernoulli.p = 1.5: \
         links[0].forward.impairments[0].Bernoulli.p: must be a probability in [0, 1], got 1.5"
    );
    assert_eq!(
        sweep_error("(axes: [(name: \"t\", path: \"timeline[0].when\", values: [At(\"1 s\"), At(\"1000 ms\")])])"),
        "bad.ron:22:78: sweep.axes[0].values[1]: `At(\"1000 ms\")` is the same value as value 0 (`At(\"1 s\")`); axis \
         values must differ"
    );
}

#[test]
fn sweep_skip_and_seed_errors() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"loss\", path: \"links[0].forward.impairments[0].Bernoulli.p\", values: [0.1, 0.2])], \
             skip: [{\"los\": 0.1}, {\"loss\": 0.3}], seeds: Count(0))"
        ),
        "bad.ron:22:154: sweep.seeds.Count: must be at least 1\n\
         bad.ron:22:125: sweep.skip[0].los: no axis named `los`; axes: `loss`\n\
         bad.ron:22:140: sweep.skip[1].loss: `0.3` is not one of axis `loss`'s values: `0.1`, `0.2`"
    );
    assert_eq!(
        sweep_error("(axes: [(name: \"a\", path: \"name\", values: [\"x\"])])"),
        "bad.ron:22:38: sweep.axes[0].path: `name`: a sweep axis may not change the scenario's `name` (the name \
         names the whole sweep; axis values label the runs)"
    );
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"s\", path: \"limits.max_events\", range: Range(1, 10, 1))], seeds: Count(20000))"
        ),
        "bad.ron:22:12: sweep: expands to 200000 runs; at most 100000 allowed"
    );
}

#[test]
fn engine_settings_name_their_allowed_values_and_bounds() {
    let conn = "(name: \"c1\", client: \"host\", server: \"peer\")";
    let with = |extra: &str| format!("(name: \"c1\", client: \"host\", server: \"peer\", {extra})");
    assert_eq!(
        error_with(conn, &with("ca_counting: PerSegment")),
        "bad.ron:16:77: Unexpected variant named `PerSegment` in enum `CaCounting`, expected either `ByteCounting` \
         or `PerAck` instead"
    );
    assert_eq!(
        error_with(conn, &with("restart_after_idle: Linux")),
        "bad.ron:16:84: Unexpected variant named `Linux` in enum `RestartAfterIdle`, expected one of `Rfc5681`, \
         `Halve`, or `Off` instead"
    );
    assert_eq!(
        error_with(conn, &with("initial_rto: \"0 s\"")),
        "bad.ron:16:77: connections[0].initial_rto: initial_rto must be greater than zero"
    );
    assert_eq!(
        error_with(conn, &with("initial_rto: \"2 s\", max_rto: \"1 s\"")),
        "bad.ron:16:77: connections[0].initial_rto: 2 s is above max_rto 1 s"
    );
}

// ---- The NIC's own settings and the issue-11 actions and triggers. ----

#[test]
fn nic_settings_are_checked() {
    let e = error_with(
        "offload_target: (name: \"nic\")",
        "offload_target: (name: \"nic\", ticks_per_second: 64, min_rto: \"2 s\", max_rto: \"1 s\")",
    );
    assert!(
        e.contains("hosts[0].offload_target.ticks_per_second: ticks_per_second must be 10, 100 or 1000, got 64"),
        "{e}"
    );
    assert!(
        e.contains("hosts[0].offload_target.max_rto: max_rto (1 s) must not be below min_rto (2 s)"),
        "{e}"
    );
    scenarios::parse(
        &BASE.replace(
            "offload_target: (name: \"nic\")",
            "offload_target: (name: \"nic\", ticks_per_second: 100, min_rto: \"300 ms\", dupack_threshold: 2, sack: false, recovery_inference: Some(EndRecovery), fin_wait_2_timeout: \"5 s\")",
        ),
        "nic.ron",
    )
    .unwrap();
}

#[test]
fn issue_11_actions_and_triggers_parse_and_are_checked() {
    let ok = BASE.replace(
        "        (when: At(\"2 s\"), action: Upload(\"c1\")),",
        "        (when: At(\"2 s\"), action: Upload(\"c1\")),
        (when: InFastRecovery(\"c1\"), action: TargetUpload(\"c1\", LowActivity)),
        (when: ZeroWindow(\"c1\"), action: PeerClose(\"c1\")),
        (when: AfterFastRetransmits(\"c1\", 2), action: PeerAbort(\"c1\")),
        (when: OffloadRefused(\"c1\"), action: Upload(\"c1\")),",
    );
    scenarios::parse(&ok, "ok.ron").unwrap();
    let e = error_with(
        "(when: At(\"2 s\"), action: Upload(\"c1\")),",
        "(when: AfterFastRetransmits(\"c1\", 0), action: TargetUpload(\"c9\", UploadRequested)),",
    );
    assert!(
        e.contains("timeline[1].when.AfterFastRetransmits.1: fast retransmits are counted from 1"),
        "{e}"
    );
    assert!(
        e.contains("timeline[1].action.TargetUpload.0: unknown connection `c9`"),
        "{e}"
    );
}

#[test]
fn nic_resources_are_checked() {
    let e = error_with(
        "offload_target: (name: \"nic\")",
        "offload_target: (name: \"nic\", context_memory: Some(\"20 kB\"), coalesce_count: Some(0), segments_per_sec: Some(0))",
    );
    assert!(
        e.contains("hosts[0].offload_target.context_memory: context_memory and context_per_connection go together"),
        "{e}"
    );
    assert!(
        e.contains("hosts[0].offload_target.coalesce_count: coalesce_count must be greater than zero"),
        "{e}"
    );
    assert!(
        e.contains("hosts[0].offload_target.segments_per_sec: segments_per_sec must be greater than zero"),
        "{e}"
    );
}
