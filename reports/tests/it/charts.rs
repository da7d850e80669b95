//! Charts: rendered as PNG and SVG with the embedded font, deterministic.

use reports::testdata::offload_mid_transfer;
use reports::write_run;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn run_charts_render_with_text_in_png_and_svg() {
    let (info, log) = offload_mid_transfer(1, 5);
    let d = tempfile::tempdir().unwrap();
    write_run(d.path(), &info, &log).unwrap();
    for stem in ["timeseq-conn0", "cc-conn0", "retx-by-source"] {
        let png = fs::read(d.path().join(format!("{stem}.png"))).unwrap();
        // The time-sequence and cc charts grow a row of handover zoom panels (this run offloads
        // and uploads).
        let height = if stem == "retx-by-source" { 720 } else { 1000 };
        assert_eq!(png_size(&png), (1280, height), "{stem}");
        // Not blank: a white 1280x720 image compresses to a few kB.
        assert!(png.len() > 20_000, "{stem}.png is only {} bytes", png.len());
        let svg = fs::read_to_string(d.path().join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.contains("<text") && svg.contains("sans-serif"),
            "{stem}.svg has no text"
        );
    }
    let ts = fs::read_to_string(d.path().join("timeseq-conn0.svg")).unwrap();
    for label in [
        "Time [s]",
        "Relative sequence number [kB]",
        "retx: delegated resend [SndNxt,SndMax)",
        "offload 0.",
        "upload 0.",
    ] {
        assert!(ts.contains(label), "time-sequence chart lacks {label:?}");
    }
    let cc = fs::read_to_string(d.path().join("cc-conn0.svg")).unwrap();
    for label in [
        "cwnd",
        "ssthresh",
        "bytes in flight",
        "run by the offload target",
        "old owner&apos;s last sample",
        "offload at 0.",
        "upload at 0.",
        "host → offload target:",
        "offload target → host:",
        "continued",
    ] {
        assert!(
            cc.contains(label) || cc.contains(&label.replace("&apos;", "'")),
            "cc chart lacks {label:?}"
        );
    }
    // The handover the zoom panels describe is the one in summary.json: the target continued
    // the host's state here.
    assert!(!cc.contains("state changed"));
}

/// Runs [`SACK_SCENARIO`](super::pcap::SACK_SCENARIO) (SACK, window scale 7, two data
/// segments lost once) and writes its folder into `dir`.
fn sack_run(dir: &Path) {
    super::pcap::write_scenario_run(super::pcap::SACK_SCENARIO, "sack", dir);
}

/// The rows of a CSV file as maps from column name to value.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            head.iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// The texts of the `<title>` elements of the overview panel (SVG group `tooltips`).
fn titles(svg: &str) -> Vec<&str> {
    group_titles(svg, "tooltips")
}

/// The texts of the `<title>` elements in the SVG group with id `id`.
fn group_titles<'a>(svg: &'a str, id: &str) -> Vec<&'a str> {
    let open = format!("<g id=\"{id}\"");
    let Some(start) = svg.find(&open) else {
        return Vec::new();
    };
    let body = &svg[start + open.len()..];
    body[..body.find("</g>").expect("closed group")]
        .split("<title>")
        .skip(1)
        .map(|s| &s[..s.find("</title>").expect("closed title")])
        .collect()
}

/// The ACKs that reach the data sender: `acks.csv` rows delivered on the link into `c1`'s
/// client (the reverse direction of the scenario's only link).
fn acks_at_sender(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let rows = csv_rows(&dir.join("acks.csv"));
    // The sender's own pure ACKs (handshake, FIN) are delivered on the other link: they
    // carry ack 0 and 1 (relative); the receiver's ACKs carry data offsets.
    let reverse = rows
        .iter()
        .find(|r| r["event"] == "delivered" && r["ack"].parse::<i64>().unwrap() > 1000)
        .expect("an ACK of data")["link"]
        .clone();
    rows.into_iter()
        .filter(|r| r["event"] == "delivered" && r["link"] == reverse)
        .collect()
}

/// tcptrace-style time-sequence chart of a SACK run with losses: one duplicate-ACK tick per
/// `dup=true` ACK reaching the sender (the `acks.csv` definition), one bar per SACK block
/// those ACKs carry (RFC 2018 §3), and the receive-window line ACK + window scaled by the
/// receiver's shift count (RFC 7323 §2.2: both SYNs carried Window Scale 7, so the
/// 256 KiB buffer is advertised above the unscaled 65535 limit).
#[test]
fn time_sequence_chart_draws_window_line_sack_blocks_and_one_tick_per_dup_ack() {
    let d = tempfile::tempdir().unwrap();
    sack_run(d.path());
    super::keep(d.path(), "sack_run");
    let acks = acks_at_sender(d.path());
    let dups = acks.iter().filter(|r| r["dup"] == "true").count();
    let blocks: usize = acks.iter().map(|r| r["sack_blocks"].parse::<usize>().unwrap()).sum();
    assert!(dups >= 3, "two losses make duplicate ACKs: {dups}");
    assert!(blocks >= 4, "the losses make SACK blocks: {blocks}");
    let svg = fs::read_to_string(d.path().join("timeseq-c1.svg")).unwrap();
    let t = titles(&svg);
    assert_eq!(t.iter().filter(|s| s.starts_with("dup ACK ")).count(), dups);
    assert_eq!(t.iter().filter(|s| s.starts_with("SACK block ")).count(), blocks);
    // Each advance of the cumulative ACK (a step of the ACK line) has its tooltip.
    let mut advances = 0;
    let mut highest = i64::MIN;
    for r in &acks {
        let a: i64 = r["ack"].parse().unwrap();
        if a > highest {
            highest = a;
            advances += 1;
        }
    }
    // acks.csv lists pure ACKs; the chart also starts the line at the SYN-ACK (ack 0), whose
    // window is not scaled (RFC 7323 §2.2: "The window field in a segment where the SYN bit
    // is set ... MUST NOT be scaled").
    let ack_tips: Vec<&&str> = t.iter().filter(|s| s.starts_with("ACK ")).collect();
    assert_eq!(ack_tips.len(), advances + 1);
    assert!(ack_tips[0].ends_with(" ack 0 window 65535 B"), "{}", ack_tips[0]);
    // A dup ACK's tooltip names its SACK blocks and its scaled window.
    let dup = t.iter().find(|s| s.starts_with("dup ACK ")).unwrap();
    assert!(dup.contains(" SACK "), "{dup}");
    let wnd: u64 = dup
        .split(" window ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wnd > 65_535 && wnd <= 256 * 1024, "scaled window {wnd}");
    for label in [
        "receive window (ACK + wnd)",
        "SACK block",
        &format!("duplicate ACK ({dups})"),
    ] {
        assert!(svg.contains(label), "legend lacks {label:?}");
    }
    // The window line is drawn: a polyline in its colour.
    assert!(svg.contains(r##"<polyline fill="none" opacity="1" stroke="#C8A000""##));
    // The congestion chart carries rwnd next to cwnd.
    let cc = fs::read_to_string(d.path().join("cc-c1.svg")).unwrap();
    assert!(cc.contains("rwnd (peer&apos;s advertised window)") || cc.contains("rwnd (peer's advertised window)"));
}

/// Issue 15: "SVG elements carry `<title>` tooltips (time, seq, source, cause)". The
/// retransmission of the first lost segment carries exactly the provenance `segments.csv`
/// gives it, in the same vocabulary.
#[test]
fn time_sequence_marks_carry_tooltips_with_time_seq_sender_source_and_cause() {
    let d = tempfile::tempdir().unwrap();
    sack_run(d.path());
    let rows = csv_rows(&d.path().join("segments.csv"));
    let first_hop = rows.iter().find(|r| r["dir"] == "data" && r["len"] != "0").unwrap()["link"].clone();
    let retx = rows
        .iter()
        .find(|r| {
            r["link"] == first_hop && r["event"] == "sent" && r["seq"] == "2920" && r["is_retransmission"] == "true"
        })
        .expect("the retransmission of offset 2920");
    let secs = retx["time_ns"].parse::<u64>().unwrap() as f64 / 1e9;
    let hi = 2920 + retx["len"].parse::<u64>().unwrap();
    let expected = format!(
        "retransmission t={secs:.6} s seq 2920..{hi} sender {} source {} cause {} tx {}",
        retx["sender"], retx["source"], retx["cause"], retx["tx_number"]
    );
    let svg = fs::read_to_string(d.path().join("timeseq-c1.svg")).unwrap();
    let t = titles(&svg);
    assert!(
        t.contains(&expected.as_str()),
        "no tooltip {expected:?} among {:?}",
        &t[..t.len().min(20)]
    );
    // Every data segment sent at the first hop has its tooltip (no decimation in a small run).
    let data = rows
        .iter()
        .filter(|r| r["link"] == first_hop && r["dir"] == "data" && r["len"] != "0" && r["event"] != "delivered")
        .count();
    let seg_tips = t
        .iter()
        .filter(|s| s.starts_with("data ") || s.starts_with("retransmission ") || s.starts_with("dropped "))
        .count();
    assert_eq!(seg_tips, data);
}

/// Determinism: the same run renders byte-identical PNG and SVG files twice.
#[test]
fn per_run_charts_are_byte_identical_when_rendered_twice() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    sack_run(a.path());
    sack_run(b.path());
    for stem in ["timeseq-c1", "cc-c1"] {
        for ext in ["png", "svg"] {
            let f = format!("{stem}.{ext}");
            assert!(
                fs::read(a.path().join(&f)).unwrap() == fs::read(b.path().join(&f)).unwrap(),
                "{f} differs"
            );
        }
    }
}

/// Each handover gets a zoom panel of ±max(3 srtt, 10 ms) on the time-sequence chart, and
/// the offload target's first transmissions are coloured apart from the host's.
#[test]
fn time_sequence_chart_zooms_on_each_handover_and_colours_first_sends_by_sender() {
    let (info, log) = offload_mid_transfer(1, 5);
    let d = tempfile::tempdir().unwrap();
    write_run(d.path(), &info, &log).unwrap();
    super::keep(d.path(), "offload_mid_transfer");
    let svg = fs::read_to_string(d.path().join("timeseq-conn0.svg")).unwrap();
    for label in [
        "offload at 0.",
        "upload at 0.",
        "first transmission: host",
        "first transmission: offload target",
    ] {
        assert!(svg.contains(label), "time-sequence chart lacks {label:?}");
    }
    let t = titles(&svg);
    assert!(
        t.iter()
            .any(|s| s.starts_with("data ") && s.contains(" sender offload_target source delegated_unsent "))
    );
    assert!(
        t.iter()
            .any(|s| s.starts_with("data ") && s.contains(" sender host source host_queue "))
    );
    // The zooms' marks carry tooltips too: the first zoom (the offload) shows the resend
    // region's retransmissions.
    let z = group_titles(&svg, "tooltips-zoom-1");
    assert!(
        z.iter()
            .any(|s| s.starts_with("retransmission ") && s.contains(" source delegated_resend ")),
        "{z:?}"
    );
    assert!(!group_titles(&svg, "tooltips-zoom-2").is_empty());
}

/// A sweep over two axes (`offload` outer, `hop_delay_ms` inner) x 3 seeds, without run
/// folders, written into `dir`.
fn two_axis_sweep(dir: &Path) {
    let mut runs = Vec::new();
    for offload in ["none", "mid"] {
        for d in [2, 5] {
            for s in 0..3 {
                let (mut info, log) = offload_mid_transfer(s, d);
                info.params.insert(0, ("offload".into(), offload.into()));
                info.run_id = format!("{offload}-{}", info.run_id);
                runs.push(reports::RunReport::from_log(&info, &log).unwrap());
            }
        }
    }
    reports::write_sweep(dir, &runs).unwrap();
}

/// Issue 15: retransmissions by cause beside by source, per parameter point; bars grouped by
/// the outer axis (its value written once per group); legends in plain words with the chimney
/// region or RFC clause as a subtitle; whiskers the 95% count interval, said in the note.
#[test]
fn sweep_retransmission_charts_by_source_and_cause_group_bars_by_the_outer_axis() {
    let d = tempfile::tempdir().unwrap();
    two_axis_sweep(d.path());
    let charts = d.path().join("charts");
    let by_source = fs::read_to_string(charts.join("retx-by-source.svg")).unwrap();
    let by_cause = fs::read_to_string(charts.join("retx-by-cause.svg")).unwrap();
    for svg in [&by_source, &by_cause] {
        // Each outer value once, under its group; the inner axis on each bar.
        assert_eq!(svg.matches("offload = none").count(), 1, "{svg}");
        assert_eq!(svg.matches("offload = mid").count(), 1);
        assert!(svg.contains("Parameter point (hop_delay_ms)"));
        assert!(svg.contains("total: 95% CI of the mean"));
        assert!(svg.contains("exact Poisson (Garwood)"));
        assert!(svg.contains("Retransmitted segments per run"));
    }
    assert!(by_source.contains("Retransmissions by the buffer region they came from: synthetic-offload-mid-transfer"));
    for label in [
        "never-sent data in the delegated chain",
        "[SndMax, end)",
        "[SndNxt, SndMax)",
    ] {
        assert!(by_source.contains(label), "by-source legend lacks {label:?}");
    }
    assert!(by_cause.contains("Retransmissions by why they were sent: synthetic-offload-mid-transfer"));
    for label in [
        "third duplicate ACK",
        "fast retransmit, RFC 5681 §3.2",
        "retransmission timeout",
        "RTO and go-back-N, RFC 6298 §5",
    ] {
        assert!(by_cause.contains(label), "by-cause legend lacks {label:?}");
    }
    // The synthetic log tags its resends as new data: shown, never folded into another cause.
    assert!(by_cause.contains("untagged (sent as new data)"));
    assert!(by_cause.contains("should be 0: a defect if shown"));
    let sweep: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.path().join("sweep.json")).unwrap()).unwrap();
    let listed: Vec<&str> = sweep["charts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(&listed[..2], ["retx-by-source", "retx-by-cause"]);
    super::keep(&charts, "two-axis-sweep-charts");
}

/// A sweep over `offload` (none, mid) x `loss` (0, 0.02, a probability) x `nic` (x, y) x 2
/// seeds, without run folders, written into `dir`. Loss 0.02 runs the 5 ms hop delay, so the
/// metrics change along `loss`.
fn three_axis_sweep(dir: &Path) {
    let mut runs = Vec::new();
    for offload in ["none", "mid"] {
        for (loss, d) in [("0", 2), ("0.02", 5)] {
            for nic in ["x", "y"] {
                for s in 0..2 {
                    let (mut info, log) = offload_mid_transfer(s, d);
                    info.params = vec![
                        ("offload".into(), offload.into()),
                        ("loss".into(), loss.into()),
                        ("nic".into(), nic.into()),
                        ("seed".into(), s.to_string()),
                    ];
                    info.run_id = format!("{offload}-{loss}-{nic}-s{s}");
                    runs.push(reports::RunReport::from_log(&info, &log).unwrap());
                }
            }
        }
    }
    reports::write_sweep(dir, &runs).unwrap();
}

fn line_charts(x: Option<&str>, series: Option<&str>) -> reports::LineCharts {
    reports::LineCharts {
        x: x.map(String::from),
        series: series.map(String::from),
        percent: vec!["loss".into()],
    }
}

/// Issue 15: `report --x loss --series offload` draws every key metric against loss with one
/// line per offload value, one chart per value of the remaining axis (nic); loss, a
/// probability, reads in % on the axis; the report shows these charts instead of the default
/// ones.
#[test]
fn report_draws_line_charts_against_the_chosen_x_axis_with_one_line_per_series_value() {
    let d = tempfile::tempdir().unwrap();
    three_axis_sweep(d.path());
    reports::write_report_with(d.path(), &line_charts(Some("loss"), Some("offload"))).unwrap();
    let charts = d.path().join("charts");
    for nic in ["x", "y"] {
        let stem = format!("goodput_bps-vs-loss-by-offload-at-nic_{nic}");
        let svg = fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert!(
            svg.contains(&format!("Goodput vs loss, one line per offload at nic={nic}")),
            "{svg}"
        );
        for text in [
            "loss [%]",
            "2 %",
            "offload=none",
            "offload=mid",
            "loss is a probability, shown in %.",
        ] {
            assert!(svg.contains(text), "{stem} lacks {text:?}");
        }
        // Not the probability itself on the axis.
        assert!(!svg.contains(">0.02<"));
    }
    let html = fs::read_to_string(d.path().join("report/index.html")).unwrap();
    assert!(html.contains("goodput_bps-vs-loss-by-offload-at-nic_x.png"));
    assert!(html.contains("retx-by-cause.png"));
    // The default line charts (one line per combination of the other axes) are not shown.
    assert!(!html.contains("goodput_bps-vs-loss.png"), "default charts still shown");
    // Without --x: against every numeric axis but the series one (here loss again).
    reports::write_report_with(d.path(), &line_charts(None, Some("nic"))).unwrap();
    let html = fs::read_to_string(d.path().join("report/index.html")).unwrap();
    assert!(html.contains("goodput_bps-vs-loss-by-nic-at-offload_mid.png"), "{html}");
    super::keep(&charts, "chosen-axes-charts");
}

/// Issue 15 ("bad input gets a clear error"): an axis choice that does not fit the sweep
/// names the axes that do, and writes no report.
#[test]
fn report_refuses_an_x_or_series_axis_the_sweep_cannot_draw() {
    let d = tempfile::tempdir().unwrap();
    three_axis_sweep(d.path());
    let err = |x: Option<&str>, s: Option<&str>| {
        reports::write_report_with(d.path(), &line_charts(x, s))
            .unwrap_err()
            .to_string()
    };
    let e = err(Some("offload"), None);
    assert!(
        e.contains("--x offload: is not numeric") && e.contains("the numeric axes are: loss"),
        "{e}"
    );
    let e = err(Some("delay"), None);
    assert!(e.contains("--x delay: is not an axis of this sweep"), "{e}");
    let e = err(Some("loss"), Some("loss"));
    assert!(
        e.contains("--series loss: the same axis as --x; choose another of: offload, nic"),
        "{e}"
    );
    let e = err(Some("loss"), Some("queue"));
    assert!(
        e.contains("--series queue: not an axis of this sweep; its axes are: offload, loss, nic"),
        "{e}"
    );
    let e = err(None, Some("loss"));
    assert!(e.contains("--series loss: no other numeric axis"), "{e}");
    assert!(!d.path().join("report/index.html").exists());
}

/// Issue 15 ("congestion chart: throughput over time per connection; queue occupancy per
/// bottleneck"): the dumbbell's four flows share the 10 Mbit/s `mid` link, whose queue
/// builds; the flows chart draws a goodput line per connection (named as in the scenario) and
/// that bottleneck's queue, and leaves out (saying so) the access links that never queue.
#[test]
fn flows_chart_draws_goodput_per_connection_and_each_bottleneck_queue() {
    let d = tempfile::tempdir().unwrap();
    let r = super::pcap::real_run("dumbbell_offload_mix", &[("loss", "0.0")], 0, d.path());
    let svg = fs::read_to_string(d.path().join("flows.svg")).unwrap();
    assert!(svg.contains(&format!("Throughput and queues: dumbbell_offload_mix ({})", r.run_id)));
    for c in &r.connections {
        assert!(
            svg.contains(&format!("{}: goodput", c.name)),
            "no goodput line for {}",
            c.name
        );
    }
    super::keep(d.path(), "flows-chart");
    assert!(svg.contains("queue mid:r1-&gt;r2"), "bottleneck queue missing");
    assert!(!svg.contains("queue a1:s1-&gt;r1"), "an access link is no bottleneck");
    for text in [
        "Goodput [Mbit/s]",
        "Queue [packets]",
        "Time [s]",
        "link directions not drawn",
        "largest queue an arriving",
    ] {
        assert!(svg.contains(text), "flows chart lacks {text:?}");
    }
    let png = fs::read(d.path().join("flows.png")).unwrap();
    assert_eq!(png_size(&png), (1280, 900));
    super::keep(d.path(), "flows-chart");
}
