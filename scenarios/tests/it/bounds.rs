//! Values that each look sane but fail or overflow when the run combines them (issue 14):
//! `check` must reject them with file:line:column, never accept them and let the run fail
//! (or panic: "simulated time overflowed u64 nanoseconds"). Each test breaks `BASE` of
//! `errors.rs` (10 s limit, offload latency 100 us, MSS 1460) in one place.

use crate::errors::{error_with, sweep_error};

#[test]
fn an_action_at_or_just_before_the_limit_is_refused_with_its_latency() {
    // The offload needs its latency (100 us) to complete: at 9.99995 s it would still be in
    // progress at the limit and the run would fail a completed transfer on time.
    let timeline =
        "(when: At(\"1 s\"), action: Offload(\"c1\")),\n        (when: At(\"2 s\"), action: Upload(\"c1\")),";
    assert_eq!(
        error_with(timeline, r#"(when: At("9.99995 s"), action: Offload("c1")),"#),
        "bad.ron:19:16: timeline[0].when: completes at 10.00005 s (trigger + delay 0 s + action latency 100 us), \
         not before the run's time limit (limits.max_time = 10 s): a run cannot end with the action in progress"
    );
    // At the limit itself (validate.rs refused only triggers after it).
    let e = error_with(
        r#"(when: At("2 s"), action: Upload("c1")),"#,
        r#"(when: At("10 s"), action: Upload("c1")),"#,
    );
    assert!(
        e.starts_with("bad.ron:20:16: timeline[1].when: completes at 10.0001 s"),
        "{e}"
    );
}

#[test]
fn starts_and_open_times_after_the_limit_are_refused() {
    let e = error_with(
        r#"client: "host", server"#,
        r#"open_at: "12 s", client: "host", server"#,
    );
    assert_eq!(
        e,
        "bad.ron:16:41: connections[0].open_at: opens at 12 s, not before the run's time limit (limits.max_time = 10 s)"
    );
    let e = error_with(r#"bytes: "1 MiB")"#, r#"bytes: "1 MiB", start: "10 s")"#);
    assert!(
        e.contains("applications[0].start: starts at 10 s, not before the run's time limit"),
        "{e}"
    );
    let e = error_with(r#"bytes: "1 MiB")"#, r#"bytes: "1 MiB", sink: (start: "11 s"))"#);
    assert!(
        e.contains("applications[0].sink.start: the sink starts reading at 11 s"),
        "{e}"
    );
}

#[test]
fn a_sink_read_rate_below_one_byte_per_second_is_refused() {
    let e = error_with(
        r#"bytes: "1 MiB")"#,
        r#"bytes: "1 MiB", sink: (read_rate: Limited("7 bit/s")))"#,
    );
    assert!(
        e.starts_with("bad.ron:17:81: ")
            && e.contains("applications[0].sink.read_rate.Limited: 7 bit/s is below 1 B/s"),
        "{e}"
    );
}

#[test]
fn a_byte_queue_smaller_than_one_packet_is_refused() {
    let e = error_with(
        r#"reverse: (rate: "10 Mbit/s", delay: "20 ms")"#,
        r#"reverse: (rate: "10 Mbit/s", delay: "20 ms", queue: Bytes("1 kB"))"#,
    );
    assert!(
        e.contains("links[0].reverse.queue.Bytes: 1 kB cannot hold one full-size packet (1540 B: MSS 1460 B"),
        "{e}"
    );
}

#[test]
fn huge_durations_are_errors_not_a_time_overflow_panic() {
    for (from, to, field) in [
        (
            r#"client: "host", server"#,
            r#"min_rto: "18000000000 s", max_rto: "18000000000 s", client: "host", server"#,
            "connections[0].max_rto: 18000000000 s added to a time before the limit (10 s) overflows simulated time",
        ),
        (
            r#"offload_target: (name: "nic")"#,
            r#"offload_target: (name: "nic", latency: "18000000000 s")"#,
            "hosts[0].offload_target.latency: 18000000000 s added",
        ),
        (
            r#"impairments: [Bernoulli(p: 0.01)]"#,
            r#"impairments: [Reorder(fraction: 0.5, extra_delay: "9300000000 s")]"#,
            "links[0].forward.impairments[0].Reorder.extra_delay: 9300000000 s added",
        ),
        (
            r#"bytes: "1 MiB")"#,
            r#"bytes: "1 MiB", timing: Paced("5000000000 s"))"#,
            "applications[0].timing.Paced: 16 writes every 5000000000 s overflow simulated time",
        ),
    ] {
        let e = error_with(from, to);
        assert!(e.contains(field), "{to}: {e}");
    }
}

#[test]
fn a_write_above_4_gib_is_refused_not_clamped() {
    let e = error_with(r#"bytes: "1 MiB")"#, r#"bytes: "8 GiB", write_size: Fixed("5 GiB"))"#);
    assert!(
        e.contains("applications[0].write_size.Fixed: 5368709120 B is more than the largest write, 4294967295 B"),
        "{e}"
    );
}

#[test]
fn a_sweep_axis_on_the_seed_is_refused_with_a_hint() {
    let e = sweep_error(r#"(axes: [(name: "s", path: "seed", values: [1, 2, 3])])"#);
    assert!(
        e.contains("sweep.axes[0].path: `seed`: a sweep axis may not change the scenario's `seed` (seeds are not a parameter: use `seeds: Count(N)`"),
        "{e}"
    );
}

#[test]
fn names_that_are_not_safe_file_names_are_refused() {
    for name in [".", ".."] {
        let e = error_with(r#"name: "base""#, &format!("name: \"{name}\""));
        assert_eq!(
            e,
            format!(
                "bad.ron:3:11: name: `{name}` is not a usable name: it names the output folder, and `.`/`..` would put it outside target/offsim/"
            )
        );
    }
    let e = error_with(r#"name: "base""#, &format!("name: \"{}\"", "n".repeat(101)));
    assert!(
        e.contains("name: 101 bytes is too long for a name: at most 100 bytes"),
        "{e}"
    );
    let e = sweep_error(&format!(
        "(axes: [(name: \"{}\", path: \"links[0].forward.impairments[0].Bernoulli.p\", values: [0.1])])",
        "a".repeat(101)
    ));
    assert!(
        e.contains("sweep.axes[0].name: 101 bytes is too long for an axis name"),
        "{e}"
    );
    let e = error_with(r#"name: "l0""#, &format!("name: \"{}\"", "l".repeat(250)));
    assert!(
        e.contains("links[0].name: the capture file of this link would be named with 269 bytes"),
        "{e}"
    );
}
