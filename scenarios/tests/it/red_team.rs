//! Bad inputs found by the red team (/work/redteam): each test names the behaviour and
//! gives the exact message, with file:line:col, what is wrong and what is allowed.

use crate::errors::{BASE, error_with, sweep_error};

// ---- Two sweep axes on one field. ----

/// Two axes on `connections[0].mss`: the second overrode the first in every run while the
/// run tables labelled the runs with the first's values (red team `ax_two_same_path.ron`).
#[test]
fn two_axes_on_the_same_path_are_rejected_at_the_second() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"m\", path: \"connections[0].mss\", values: [1000, 1200]), \
             (name: \"m2\", path: \"connections[0].mss\", values: [500, 600])])"
        ),
        "bad.ron:22:102: sweep.axes[1].path: `connections[0].mss` is also swept by axis `m` (sweep.axes[0], \
         path `connections[0].mss`): the later axis would override the earlier one in every run; give each axis \
         its own field (no two axis paths may be equal or one inside the other)"
    );
}

/// An axis on `links[0].forward.delay` inside an axis on `links[0].forward` (either order)
/// is the same silent override.
#[test]
fn axis_paths_one_inside_the_other_are_rejected() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"dir\", path: \"links[0].forward\", values: [(rate: \"1 Mbit/s\", delay: \"1 ms\"), \
             (rate: \"2 Mbit/s\", delay: \"2 ms\")]), (name: \"d\", path: \"links[0].forward.delay\", \
             values: [\"5 ms\", \"6 ms\"])])"
        ),
        "bad.ron:22:159: sweep.axes[1].path: `links[0].forward.delay` is also swept by axis `dir` (sweep.axes[0], \
         path `links[0].forward`): the later axis would override the earlier one in every run; give each axis its \
         own field (no two axis paths may be equal or one inside the other)"
    );
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"p\", path: \"links[0].forward.impairments[0].Bernoulli.p\", values: [0.1, 0.2]), \
             (name: \"imp\", path: \"links[0].forward.impairments\", values: [[], [Bernoulli(p: 0.3)]])])"
        ),
        "bad.ron:22:126: sweep.axes[1].path: `links[0].forward.impairments` is also swept by axis `p` \
         (sweep.axes[0], path `links[0].forward.impairments[0].Bernoulli.p`): the later axis would override the \
         earlier one in every run; give each axis its own field (no two axis paths may be equal or one inside the \
         other)"
    );
}

/// Axes on sibling fields stay allowed: 2 x 2 runs.
#[test]
fn axes_on_sibling_fields_are_accepted() {
    let text = BASE.replace(
        "    ],\n)",
        "    ],\n    sweep: (axes: [(name: \"r\", path: \"links[0].forward.rate\", values: [\"1 Mbit/s\", \"2 Mbit/s\"]), \
         (name: \"d\", path: \"links[0].forward.delay\", values: [\"5 ms\", \"6 ms\"])]),\n)",
    );
    let s = scenarios::parse(&text, "ok.ron").unwrap();
    assert_eq!(scenarios::expand(&s).unwrap().len(), 4);
}

// ---- Names whose file names collide. ----

/// `cé` and `cü` both became `c_-sender.pcapng` and `timeseq-c_.svg`: the second connection's
/// files overwrote the first's (red team `collide.ron`).
#[test]
fn connection_names_with_one_file_name_are_rejected() {
    assert_eq!(
        error_with(
            "(name: \"c1\", client: \"host\", server: \"peer\")]",
            "(name: \"c1\", client: \"host\", server: \"peer\"), (name: \"cé\", client: \"host\", server: \"peer\"), \
             (name: \"cü\", client: \"host\", server: \"peer\")]"
        ),
        "bad.ron:16:118: connections[2].name: connection names `cé` (connections[1]) and `cü` both become the file \
         name `c_`, so their report files would overwrite each other; file names keep ASCII letters, digits, `-`, \
         `_` and `.` and turn every other character into `_`: make the names differ in those"
    );
}

/// The same for hosts, links and applications, whose names also name report files.
#[test]
fn host_link_and_application_names_with_one_file_name_are_rejected() {
    let e = error_with(
        "(name: \"peer\"),",
        "(name: \"peer\"), (name: \"pe er\"), (name: \"pe/er\"),",
    );
    assert!(
        e.contains("hosts[3].name: host names `pe er` (hosts[2]) and `pe/er` both become the file name `pe_er`"),
        "{e}"
    );
    let e = error_with(
        "applications: [(name: \"bulk\", conn: \"c1\", bytes: \"1 MiB\")]",
        "applications: [(name: \"bulk\", conn: \"c1\", bytes: \"1 MiB\"), (name: \"bulk?\", conn: \"c1\", bytes: \"1 MiB\"), \
         (name: \"bulk*\", conn: \"c1\", bytes: \"1 MiB\")]",
    );
    assert!(
        e.contains("applications[2].name: application names `bulk?` (applications[1]) and `bulk*` both become"),
        "{e}"
    );
    let e = error_with(
        "reverse: (rate: \"10 Mbit/s\", delay: \"20 ms\"),\n    )],",
        "reverse: (rate: \"10 Mbit/s\", delay: \"20 ms\"),\n    ), (name: \"l:0\", a: \"host\", b: \"peer\", \
         forward: (rate: \"1 Mbit/s\", delay: \"1 ms\"), reverse: (rate: \"1 Mbit/s\", delay: \"1 ms\")), \
         (name: \"l;0\", a: \"host\", b: \"peer\", forward: (rate: \"1 Mbit/s\", delay: \"1 ms\"), \
         reverse: (rate: \"1 Mbit/s\", delay: \"1 ms\"))],",
    );
    assert!(
        e.contains("links[2].name: link names `l:0` (links[1]) and `l;0` both become the file name `l_0`"),
        "{e}"
    );
}

// ---- An Offload and an Upload at one time. ----

/// `Offload` then `Upload` of `c1`, both `At("2 s")`: the kernel runs equal-time events in
/// the order they were scheduled (sim-core: key (time, insertion seq)), and the world
/// schedules `At` entries in timeline order, so the offload runs first. The check said
/// "uploads `c1` before any Offload" (red team `off_up_same.ron`, `latency0.ron`).
#[test]
fn offload_and_upload_at_one_time_run_in_file_order() {
    scenarios::parse(
        &BASE.replace("At(\"1 s\"), action: Offload", "At(\"2 s\"), action: Offload"),
        "ok.ron",
    )
    .unwrap();
    // `At("1 s")` with a 1 s delay is the same instant.
    scenarios::parse(
        &BASE
            .replace(
                "(when: At(\"2 s\"), action: Upload(\"c1\"))",
                "(when: At(\"1 s\"), delay: \"1 s\", action: Upload(\"c1\"))",
            )
            .replace("At(\"1 s\"), action: Offload", "At(\"2 s\"), action: Offload"),
        "ok.ron",
    )
    .unwrap();
}

/// Listed the other way round at one time, the upload runs first: still rejected.
#[test]
fn upload_listed_before_an_offload_at_the_same_time_is_rejected() {
    assert_eq!(
        error_with(
            "(when: At(\"1 s\"), action: Offload(\"c1\")),\n        (when: At(\"2 s\"), action: Upload(\"c1\")),",
            "(when: At(\"2 s\"), action: Upload(\"c1\")),\n        (when: At(\"2 s\"), action: Offload(\"c1\")),"
        ),
        "bad.ron:19:35: timeline[0].action.Upload: uploads `c1` before any Offload(\"c1\") (entries with At triggers \
         run in time order, equal times and other triggers in their order in the timeline)"
    );
}

// ---- Numbers that do not fit an integer field say the field's range. ----

const U64_MAX: &str = "18446744073709551615";

/// ron says only "Integer is out of bounds"; the message names the number and the range of
/// the field's type, found by trying each integer width at that place.
#[test]
fn an_integer_out_of_range_names_the_fields_range() {
    assert_eq!(
        error_with("seed: 7", "seed: -1"),
        "bad.ron:5:11: `-1` is out of range: expected an integer in 0..=18446744073709551615"
    );
    assert_eq!(
        error_with("seed: 7", "seed: 18446744073709551616"),
        "bad.ron:5:11: `18446744073709551616` is out of range: expected an integer in 0..=18446744073709551615"
    );
    let conn = "(name: \"c1\", client: \"host\", server: \"peer\")";
    let with = |extra: &str| format!("(name: \"c1\", client: \"host\", server: \"peer\", {extra})");
    assert_eq!(
        error_with(conn, &with("isn: 4294967296")),
        "bad.ron:16:69: `4294967296` is out of range: expected an integer in 0..=4294967295"
    );
    for field in ["initial_window", "dupack_threshold"] {
        let e = error_with(conn, &with(&format!("{field}: {U64_MAX}")));
        assert!(
            e.ends_with(&format!(
                "`{U64_MAX}` is out of range: expected an integer in 0..=4294967295"
            )),
            "{e}"
        );
    }
    let e = error_with(
        conn,
        &with(&format!("delayed_ack: On(timeout: \"40 ms\", every: {U64_MAX})")),
    );
    assert!(e.ends_with("expected an integer in 0..=4294967295"), "{e}");
    for field in ["max_connections", "max_retransmissions"] {
        let e = error_with(
            "offload_target: (name: \"nic\")",
            &format!("offload_target: (name: \"nic\", {field}: {U64_MAX})"),
        );
        assert!(e.ends_with("expected an integer in 0..=4294967295"), "{field}: {e}");
    }
    assert_eq!(
        error_with(
            "reverse: (rate: \"10 Mbit/s\", delay: \"20 ms\")",
            &format!("reverse: (rate: \"10 Mbit/s\", delay: \"20 ms\", queue: Packets({U64_MAX}))")
        ),
        format!("bad.ron:14:69: `{U64_MAX}` is out of range: expected an integer in 0..=4294967295")
    );
}

/// `1460.5` or `1e3` for an integer field: ron said "Expected comma" or "Invalid digit".
#[test]
fn a_fraction_or_exponent_for_an_integer_field_says_integer_expected() {
    let conn = "(name: \"c1\", client: \"host\", server: \"peer\")";
    let with = |extra: &str| format!("(name: \"c1\", client: \"host\", server: \"peer\", {extra})");
    assert_eq!(
        error_with(conn, &with("mss: 1460.5")),
        "bad.ron:16:69: `1460.5` is not an integer: expected an integer in 0..=4294967295"
    );
    assert_eq!(
        error_with(conn, &with("mss: 1e3")),
        "bad.ron:16:69: `1e3` is not an integer: expected an integer in 0..=4294967295"
    );
    // A sweep value (red team `ax_float_int.ron`).
    assert_eq!(
        sweep_error("(axes: [(name: \"m\", path: \"connections[0].mss\", values: [1460.5, 1000])])"),
        "bad.ron:22:69: sweep.axes[0].values[0]: `1460.5` does not fit `connections[0].mss`: `1460.5` is not an \
         integer: expected an integer in 0..=4294967295"
    );
}

/// A float field keeps taking exponents and integers.
#[test]
fn float_fields_still_take_integers_and_exponents() {
    scenarios::parse(&BASE.replace("Bernoulli(p: 0.01)", "Bernoulli(p: 1e-2)"), "ok.ron").unwrap();
    let e = error_with("Bernoulli(p: 0.01)", "Bernoulli(p: 2)");
    assert!(e.ends_with("must be a probability in [0, 1], got 2"), "{e}");
}

/// A UTF-8 byte order mark (some Windows editors write one) failed at 1:1 with "Expected
/// opening `(`"; it is skipped, and positions stay those the editor shows.
#[test]
fn a_byte_order_mark_is_skipped_and_positions_stay_right() {
    scenarios::parse(&format!("\u{feff}{BASE}"), "bom.ron").unwrap();
    let bad = format!("\u{feff}{}", BASE.replace("// base\n", "(name: 1"));
    let e = scenarios::parse(&bad, "bom.ron").unwrap_err().to_string();
    assert_eq!(e, "bom.ron:1:7: Expected string");
    let without = scenarios::parse(&bad['\u{feff}'.len_utf8()..], "bom.ron")
        .unwrap_err()
        .to_string();
    assert_eq!(e, without);
}

/// `"1e30 Gbit/s"` said `unknown unit "e30 Gbit/s"` (red team `rate_huge.ron`).
#[test]
fn an_exponent_in_a_unit_string_says_exponents_are_not_accepted() {
    assert_eq!(
        error_with(
            "rate: \"10 Mbit/s\", delay: \"20 ms\", impairments",
            "rate: \"1e30 Gbit/s\", delay: \"20 ms\", impairments"
        ),
        "bad.ron:13:26: invalid rate \"1e30 Gbit/s\": exponents are not accepted (`1e30`): write the number in plain \
         decimal before the unit, e.g. \"10 Mbit/s\", \"1 Gbit/s\", \"500 kbit/s\", \"125 kB/s\""
    );
    assert_eq!(
        error_with("delay: \"20 ms\", impairments", "delay: \"2.5E-3 s\", impairments"),
        "bad.ron:13:46: invalid duration \"2.5E-3 s\": exponents are not accepted (`2.5E-3`): write the number in \
         plain decimal before the unit, e.g. \"20 ms\", \"1.5 s\", \"250 us\", \"100 ns\""
    );
}
