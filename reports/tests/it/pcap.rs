//! pcapng files: structure and content checked in Rust, analysis checked with tshark.

use super::{run_ok, tool};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use models::pattern::pattern_bytes;
use models::record::{LinkId, WireEvent};
use models::segment::ConnId;
use models::testbed::Outcome;
use pcap_file::pcapng::{Block, PcapNgReader};
use reports::testdata::offload_mid_transfer;
use reports::{Artifacts, RunReport, SNAP_LEN, write_run, write_run_with};
use std::fs;
use std::path::Path;
use std::process::Command;

/// A captured packet: timestamp [ns], frame, comment.
type Packet = (u128, Vec<u8>, String);

/// Every packet of a pcapng file, plus the interface's tsresol.
fn read_pcapng(path: &Path) -> (Option<u8>, Vec<Packet>) {
    let mut r = PcapNgReader::new(fs::File::open(path).unwrap()).unwrap();
    let mut tsresol = None;
    let mut out = Vec::new();
    while let Some(b) = r.next_block() {
        match b.unwrap() {
            Block::InterfaceDescription(i) => {
                for o in &i.options {
                    if let pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfTsResol(t) =
                        o
                    {
                        tsresol = Some(*t);
                    }
                }
            }
            Block::EnhancedPacket(p) => {
                let comment = p
                    .options
                    .iter()
                    .find_map(|o| match o {
                        pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption::Comment(c) => {
                            Some(c.to_string())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                out.push((p.timestamp.as_nanos(), p.data.to_vec(), comment));
            }
            _ => {}
        }
    }
    (tsresol, out)
}

/// Every artefact, captures with their payload (`--pcap-payload`).
fn with_payload() -> Artifacts {
    Artifacts {
        pcap_payload: true,
        ..Artifacts::all()
    }
}

#[test]
fn frames_are_valid_ethernet_ipv4_tcp_with_pattern_payload() {
    let (info, log) = offload_mid_transfer(0, 5);
    let d = tempfile::tempdir().unwrap();
    write_run_with(d.path(), &info, &log, &with_payload()).unwrap();
    let (tsresol, pkts) = read_pcapng(&d.path().join("client-_switch.pcapng"));
    assert_eq!(tsresol, Some(9));
    let ingress: Vec<_> = log
        .wire
        .iter()
        .filter(|w| w.link == LinkId(0) && !matches!(w.event, WireEvent::Delivered { .. }))
        .collect();
    assert_eq!(pkts.len(), ingress.len());
    for ((ts, data, comment), w) in pkts.iter().zip(&ingress) {
        // Simulation time from the fixed capture epoch (2000-01-01T00:00:00Z), not from 1970.
        assert_eq!(*ts, u128::from(946_684_800_000_000_000 + w.time.0));
        let s = SlicedPacket::from_ethernet(data).unwrap();
        let Some(NetSlice::Ipv4(ip)) = &s.net else {
            panic!("not IPv4")
        };
        let iph = ip.header().to_header();
        assert!(iph.dont_fragment);
        assert_eq!(iph.header_checksum, iph.calc_header_checksum());
        let Some(TransportSlice::Tcp(tcp)) = &s.transport else {
            panic!("not TCP")
        };
        let payload = tcp.payload();
        let th = tcp.to_header();
        assert_eq!(th.checksum, th.calc_checksum_ipv4(&iph, payload).unwrap());
        assert_eq!(th.sequence_number, w.header.seq.0);
        assert_eq!(
            payload,
            pattern_bytes(ConnId(0), w.header.stream_offset, w.header.len as usize).as_slice()
        );
        assert_eq!(
            comment.starts_with("DROPPED: "),
            matches!(w.event, WireEvent::Dropped(_)),
            "{comment}"
        );
        assert!(comment.contains(&format!(" event={}", w.event_index)), "{comment}");
    }
    // The link-1 file marks the corrupted and the duplicated segment.
    let (_, pkts) = read_pcapng(&d.path().join("switch-_server.pcapng"));
    assert_eq!(pkts.iter().filter(|p| p.2.contains("CORRUPTED")).count(), 1);
    assert_eq!(pkts.iter().filter(|p| p.2.contains("DUPLICATED")).count(), 1);
    assert!(pkts.iter().any(|p| {
        p.2.starts_with("DROPPED: queue_full; conn=0 sender=offload_target source=delegated_unsent")
    }));
}

/// Issue 13: captures are headers-only by default. Each frame is cut at the snap length, keeps
/// its original length (so a reader knows every byte's sequence number), and its comment
/// carries the XXH3-64 of the whole payload, which is the payload `--pcap-payload` writes.
#[test]
fn headers_only_captures_cut_frames_at_snap_length_and_fingerprint_the_payload() {
    let (info, log) = offload_mid_transfer(0, 5);
    let headers = tempfile::tempdir().unwrap();
    let full = tempfile::tempdir().unwrap();
    write_run(headers.path(), &info, &log).unwrap();
    write_run_with(full.path(), &info, &log, &with_payload()).unwrap();
    for file in ["client-_switch.pcapng", "conn0-sender.pcapng"] {
        let (_, cut) = read_pcapng_lens(&headers.path().join(file));
        let (_, whole) = read_pcapng_lens(&full.path().join(file));
        assert_eq!(cut.len(), whole.len(), "{file}");
        let mut data_frames = 0;
        for ((cut, cut_len), (whole, whole_len)) in cut.iter().zip(&whole) {
            assert_eq!(cut_len, whole_len, "{file}: original length kept");
            assert_eq!(*whole_len as usize, whole.1.len());
            assert_eq!(cut.0, whole.0, "{file}: same timestamp");
            if whole.1.len() > SNAP_LEN {
                data_frames += 1;
                assert_eq!(cut.1, whole.1[..SNAP_LEN], "{file}: the first {SNAP_LEN} bytes kept");
                let payload = &whole.1[14 + 20 + 20..];
                let fp = format!(" payload_xxh3={:016x}", xxhash_rust::xxh3::xxh3_64(payload));
                assert_eq!(cut.2, format!("{}{fp}", whole.2), "{file}");
            } else {
                assert_eq!(cut, whole, "{file}: short frames whole, comment unchanged");
            }
        }
        assert!(data_frames > 0, "{file}: some frames were cut");
    }
    let summary = RunReport::read(&headers.path().join("summary.json")).unwrap();
    assert_eq!(summary.artifacts, Artifacts::all());
    assert!(!summary.artifacts.pcap_payload);
}

/// [`read_pcapng`] with each packet's original length.
fn read_pcapng_lens(path: &Path) -> (Option<u8>, Vec<(Packet, u32)>) {
    let mut r = PcapNgReader::new(fs::File::open(path).unwrap()).unwrap();
    let mut lens = Vec::new();
    while let Some(b) = r.next_block() {
        if let Block::EnhancedPacket(p) = b.unwrap() {
            lens.push(p.original_len);
        }
    }
    let (tsresol, pkts) = read_pcapng(path);
    (tsresol, pkts.into_iter().zip(lens).collect())
}

fn tshark_count(file: &Path, filter: &str) -> usize {
    run_ok(
        Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(file)
            .arg("-Y")
            .arg(filter)
            .args(["-T", "fields", "-e", "frame.number"]),
    )
    .lines()
    .count()
}

#[test]
fn tshark_agrees_with_summary() {
    let Some(_) = tool("tshark", "tshark_agrees_with_summary") else {
        return;
    };
    for seed in [0u64, 2] {
        let (info, log) = offload_mid_transfer(seed, 5);
        let d = tempfile::tempdir().unwrap();
        let r: RunReport = write_run(d.path(), &info, &log).unwrap();
        let file = d.path().join("client-_switch.pcapng");
        // Reads cleanly, checksums verified.
        let out = Command::new("tshark")
            .args([
                "-n",
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-r",
            ])
            .arg(&file)
            .output()
            .unwrap();
        // tshark warns when run as root; anything else on stderr is a problem with the file.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let complaints: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("Running as user"))
            .collect();
        assert!(out.status.success() && complaints.is_empty(), "tshark: {stderr}");
        let all = String::from_utf8(out.stdout).unwrap().lines().count();
        assert!(all > 40);
        let bad = "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || \
                   tcp.checksum.status == \"Bad\" || ip.flags.df == 0";
        let out = Command::new("tshark")
            .args([
                "-n",
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-r",
            ])
            .arg(&file)
            .args(["-Y", bad, "-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            0,
            "frames matching {bad}"
        );
        // Wireshark's retransmission analysis agrees with the summary (dropped frames are
        // in the capture for visibility but never went on the wire): every frame it flags as
        // a retransmission or as out-of-order is one, and together they are all. This
        // synthetic run resends 100 us after new data, well within the 20 ms handshake RTT,
        // which Wireshark's heuristic calls out-of-order; its RTT is known because the
        // capture epoch (2000-01-01) gives the SYN a non-zero time (at 1970 the SYN's zero
        // time read as "no RTT" and every resend counted as a retransmission).
        let retx = "(tcp.analysis.retransmission || tcp.analysis.fast_retransmission || \
                    tcp.analysis.spurious_retransmission)";
        let not_dropped = "!(frame.comment contains \"DROPPED\")";
        let ooo = "tcp.analysis.out_of_order";
        assert_eq!(
            (tshark_count(&file, &format!("({retx} || {ooo}) && {not_dropped}")) as u64),
            r.retransmissions.total,
            "seed {seed}"
        );
        assert_eq!(
            tshark_count(
                &file,
                &format!("({retx} || {ooo}) && !(frame.comment contains \"retransmission=yes\")")
            ),
            0,
            "seed {seed}: a frame flagged that is no retransmission"
        );
        // Per source, from the provenance comments.
        let by = |src: &str| {
            tshark_count(
                &file,
                &format!(
                    "frame.comment contains \"source={src} \" && frame.comment contains \"retransmission=yes\" && {not_dropped}"
                ),
            ) as u64
        };
        let s = r.retransmissions.by_source;
        assert_eq!(by("host_queue"), s.host_queue);
        assert_eq!(by("delegated_unacked") + by("delegated_resend"), s.delegated_unacked);
        assert_eq!(by("delegated_resend"), r.retransmissions.delegated_resend);
        assert_eq!(by("delegated_unsent"), s.delegated_unsent);
        assert_eq!(by("posted_after_offload"), s.posted_after_offload);
        assert_eq!(by("returned_at_upload"), s.returned_at_upload);
        // Every frame Wireshark calls a retransmission is one by provenance, and vice versa.
        assert_eq!(
            tshark_count(
                &file,
                &format!("{retx} && !(frame.comment contains \"retransmission=yes\")")
            ),
            0
        );
        // Nanosecond timestamps survive.
        let first_data = run_ok(Command::new("tshark").arg("-n").arg("-r").arg(&file).args([
            "-Y",
            "tcp.len > 0",
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
        ]));
        let first_data = first_data.lines().next().unwrap();
        let w = log
            .wire
            .iter()
            .find(|w| w.link == LinkId(0) && w.header.len > 0)
            .unwrap();
        // Nanosecond timestamps survive, counted from the documented capture epoch
        // 2000-01-01T00:00:00Z = 946684800 s after 1970.
        let t = w.time.0 + 946_684_800_000_000_000;
        assert_eq!(
            first_data.trim(),
            format!("{}.{:09}", t / 1_000_000_000, t % 1_000_000_000)
        );
        assert!(first_data.starts_with("9466"), "{first_data}: not in 2000");
    }
}

/// Runs one run of a catalog scenario through `scenarios::build` and writes its folder, with
/// the [`RunInfo`](reports::RunInfo) built the way `xtask`'s runner builds it. `point` picks
/// the run by its parameters (empty: the scenario has no sweep) and replication index.
pub fn real_run(name: &str, point: &[(&str, &str)], seed_index: u32, dir: &Path) -> RunReport {
    use reports::RunInfo;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let path = workspace.join(format!("scenarios/catalog/{name}.ron"));
    let scenario = scenarios::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let spec = scenarios::expand(&scenario)
        .unwrap()
        .into_iter()
        .find(|r| {
            r.seed_index == seed_index
                && point
                    .iter()
                    .all(|(k, v)| r.params.iter().any(|(a, b)| a == k && b == v))
        })
        .unwrap_or_else(|| panic!("{name}: no run {point:?} #{seed_index}"));
    let s = &spec.scenario;
    let o = scenarios::build(s).unwrap().run();
    assert!(o.end.is_ok() && o.integrity_ok(), "{name}: {:?}", o.end);
    let mut info = RunInfo {
        scenario: s.name.clone(),
        description: s.description.clone(),
        run_id: spec.run_id.clone(),
        seed: spec.seed,
        seed_index: spec.seed_index,
        params: spec.params.clone(),
        version: "test".into(),
        commit: "test".into(),
        command: format!("cargo xtask run scenarios/catalog/{name}.ron --run {}", spec.run_id),
        ..RunInfo::default()
    };
    info.record_outcome(s, &o);
    write_run(dir, &info, &o.log).unwrap()
}

/// One frame as tshark analyses it.
struct Analysed {
    number: u64,
    tcp_len: u64,
    /// Flagged retransmission, fast retransmission or spurious retransmission.
    retx: bool,
    /// Flagged out-of-order.
    ooo: bool,
    comment: String,
}

/// tshark's analysis of every frame of a capture (one tshark run).
fn analyse(file: &Path) -> Vec<Analysed> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(file)
        .args(["-T", "fields", "-E", "separator=|"]);
    for f in [
        "frame.number",
        "tcp.len",
        "tcp.analysis.retransmission",
        "tcp.analysis.fast_retransmission",
        "tcp.analysis.spurious_retransmission",
        "tcp.analysis.out_of_order",
        "frame.comment",
    ] {
        cmd.args(["-e", f]);
    }
    run_ok(&mut cmd)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.splitn(7, '|').collect();
            Analysed {
                number: c[0].parse().unwrap(),
                tcp_len: c[1].parse().unwrap_or(0),
                retx: !(c[2].is_empty() && c[3].is_empty() && c[4].is_empty()),
                ooo: !c[5].is_empty(),
                comment: c[6].to_string(),
            }
        })
        .collect()
}

/// Sweep-axis values that pick a run.
type Point<'a> = &'a [(&'a str, &'a str)];

/// Real lossy runs: Wireshark's analysis of the sender-side capture against `summary.json`,
/// with the relation documented in the `pcap` module docs:
/// - the data frames not marked DROPPED that Wireshark flags as (fast/spurious)
///   retransmission or as out-of-order are exactly those with `retransmission=yes`; there are
///   `retransmissions.total` of them;
/// - the out-of-order ones are all NewReno partial-ACK retransmissions (Wireshark's
///   out-of-order heuristic), so `retx flags = total - out-of-order`, with
///   `out-of-order <= by_cause.partial_ack`;
/// - frames marked DROPPED that Wireshark flags are exactly the dropped retransmissions,
///   `retransmissions.dropped_at_ingress` of them;
/// - filtering on the comments gives the per-source counts.
#[test]
fn real_runs_sender_capture_agrees_with_summary() {
    let Some(_) = tool("tshark", "real_runs_sender_capture_agrees_with_summary") else {
        return;
    };
    let runs: [(&str, Point<'_>, u32); 5] = [
        ("baseline_lossy", &[], 0),
        ("offload_during_retransmission", &[], 0),
        ("loss_burst_after_offload", &[], 0),
        // Host and target loss recovery at 2% loss, with partial-ACK retransmissions.
        ("sweep_default", &[("loss", "0.02"), ("offload", "mid")], 0),
        ("sweep_default", &[("loss", "0.02"), ("offload", "early")], 0),
    ];
    let mut seen_ooo = 0;
    for (name, point, idx) in runs {
        let d = tempfile::tempdir().unwrap();
        let r = real_run(name, point, idx, d.path());
        let x = &r.retransmissions;
        let frames = analyse(&d.path().join("c1-sender.pcapng"));
        let dropped = |f: &&Analysed| f.comment.starts_with("DROPPED");
        let prov = |f: &&Analysed| f.comment.contains(" retransmission=yes ");
        let numbers = |v: Vec<&Analysed>| v.iter().map(|f| f.number).collect::<Vec<u64>>();
        let data: Vec<&Analysed> = frames.iter().filter(|f| f.tcp_len > 0).collect();
        let (gone, wire): (Vec<&Analysed>, Vec<&Analysed>) = data.iter().copied().partition(dropped);
        let flagged = numbers(wire.iter().copied().filter(|f| f.retx).collect());
        let ooo: Vec<&Analysed> = wire.iter().copied().filter(|f| f.ooo).collect();
        let by_prov = numbers(wire.iter().copied().filter(prov).collect());
        println!(
            "{name} {point:?}: summary total {} (partial_ack {}, dropped at ingress {}); tshark on \
             c1-sender.pcapng: retx flags {}, out-of-order {}, flagged DROPPED frames {}",
            x.total,
            x.by_cause.partial_ack,
            x.dropped_at_ingress,
            flagged.len(),
            ooo.len(),
            gone.iter().filter(|f| f.retx || f.ooo).count()
        );
        assert_eq!(by_prov.len() as u64, x.total, "{name}: provenance vs summary");
        let mut union: Vec<u64> = flagged.iter().copied().chain(ooo.iter().map(|f| f.number)).collect();
        union.sort_unstable();
        let n_union = union.len();
        union.dedup();
        assert_eq!(
            union.len(),
            n_union,
            "{name}: a frame flagged both retransmission and out-of-order"
        );
        assert_eq!(union, by_prov, "{name}: frames Wireshark flags vs retransmission=yes");
        assert_eq!(flagged.len() as u64 + ooo.len() as u64, x.total, "{name}");
        for f in &ooo {
            assert!(
                f.comment.contains(" cause=partial_ack "),
                "{name}: unexplained out-of-order: {}",
                f.comment
            );
        }
        assert!(ooo.len() as u64 <= x.by_cause.partial_ack, "{name}");
        seen_ooo += ooo.len();
        // Dropped retransmissions: flagged by Wireshark, not counted by the summary.
        let gone_flagged = numbers(gone.iter().copied().filter(|f| f.retx || f.ooo).collect());
        assert_eq!(
            gone_flagged,
            numbers(gone.iter().copied().filter(prov).collect()),
            "{name}"
        );
        assert_eq!(gone_flagged.len() as u64, x.dropped_at_ingress, "{name}");
        // Non-data frames are never flagged (no SYN/FIN retransmissions in these runs).
        assert!(frames.iter().all(|f| f.tcp_len > 0 || !(f.retx || f.ooo)), "{name}");
        // (b) per source, from the comments.
        let by = |src: &str| {
            wire.iter()
                .filter(|f| prov(f) && f.comment.contains(&format!(" source={src} ")))
                .count() as u64
        };
        let s = x.by_source;
        assert_eq!(by("host_queue"), s.host_queue, "{name}");
        assert_eq!(
            by("delegated_unacked") + by("delegated_resend"),
            s.delegated_unacked,
            "{name}"
        );
        assert_eq!(by("delegated_resend"), x.delegated_resend, "{name}");
        assert_eq!(by("delegated_unsent"), s.delegated_unsent, "{name}");
        assert_eq!(by("posted_after_offload"), s.posted_after_offload, "{name}");
        assert_eq!(by("returned_at_upload"), s.returned_at_upload, "{name}");
    }
    println!("out-of-order partial-ACK retransmissions seen: {seen_ooo}");
}

/// `tools/wireshark/offsim.lua` turns every provenance comment into `offsim.*` fields: on a
/// real offload run, each frame's fields equal the comment's `key=value` pairs, flags are
/// present exactly when set, and the display filter `offsim.source == "…" &&
/// offsim.retransmission` selects the same frames as substring matching on the comments.
#[test]
fn wireshark_lua_dissector_turns_provenance_into_fields() {
    let Some(_) = tool("tshark", "wireshark_lua_dissector_turns_provenance_into_fields") else {
        return;
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lua = format!("lua_script:{}", workspace.join("tools/wireshark/offsim.lua").display());
    let d = tempfile::tempdir().unwrap();
    real_run("offload_during_retransmission", &[], 0, d.path());
    let file = d.path().join("c1-sender.pcapng");
    let tshark = |filter: Option<&str>, fields: &[&str]| {
        let mut cmd = Command::new("tshark");
        cmd.args(["-n", "-X", &lua, "-r"]).arg(&file);
        if let Some(f) = filter {
            cmd.args(["-Y", f]);
        }
        cmd.args(["-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        run_ok(&mut cmd)
    };
    let keys = [
        "conn",
        "sender",
        "source",
        "buf",
        "cause",
        "tx",
        "stream_offset",
        "event",
    ];
    let mut fields = vec!["frame.comment"];
    let names: Vec<String> = keys.iter().map(|k| format!("offsim.{k}")).collect();
    fields.extend(names.iter().map(String::as_str));
    fields.extend(["offsim.retransmission", "offsim.dropped", "offsim.drop_reason"]);
    let out = tshark(None, &fields);
    let mut frames = 0;
    for line in out.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let comment = c[0];
        let pairs: Vec<(&str, &str)> = comment.split([' ', ';']).filter_map(|w| w.split_once('=')).collect();
        for (i, k) in keys.iter().enumerate() {
            let want = pairs.iter().find(|(a, _)| a == k).map_or("", |(_, v)| *v);
            assert_eq!(c[1 + i], want, "offsim.{k} of `{comment}`");
        }
        let n = 1 + keys.len();
        let retx = comment.contains(" retransmission=yes ");
        assert_eq!(
            c[n] == "1" || c[n] == "True",
            retx,
            "offsim.retransmission of `{comment}`"
        );
        assert_eq!(c[n].is_empty(), !retx, "flag present only when set: `{comment}`");
        let dropped = comment.strip_prefix("DROPPED: ").map(|r| r.split(';').next().unwrap());
        assert_eq!(!c[n + 1].is_empty(), dropped.is_some(), "offsim.dropped of `{comment}`");
        assert_eq!(c[n + 2], dropped.unwrap_or(""), "offsim.drop_reason of `{comment}`");
        frames += 1;
    }
    assert!(frames > 1000, "{frames} frames");
    // The filters a reviewer types, against the comments they replace.
    for source in [
        "host_queue",
        "delegated_resend",
        "delegated_unsent",
        "posted_after_offload",
    ] {
        let by_field = tshark(
            Some(&format!("offsim.source == \"{source}\" && offsim.retransmission")),
            &["frame.number"],
        );
        let by_comment = tshark(
            Some(&format!(
                "frame.comment contains \" source={source} \" && frame.comment contains \"retransmission=yes\""
            )),
            &["frame.number"],
        );
        assert_eq!(by_field, by_comment, "{source}");
    }
    let resent = tshark(Some("offsim.source == \"delegated_resend\""), &["frame.number"]);
    assert!(
        resent.lines().count() >= 5,
        "the resend region was sent by the target:\n{resent}"
    );
}

/// A SACK connection whose 3rd and 6th data segments are lost once: the receiver's ACKs carry
/// SACK blocks.
pub(crate) const SACK_SCENARIO: &str = r#"(
    name: "sack_capture",
    description: "SACK blocks on the wire.",
    seed: 3,
    hosts: [(name: "host"), (name: "peer")],
    links: [(name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "10 ms",
            impairments: [DropData(offset: 2920, transmission: 1), DropData(offset: 7300, transmission: 1)]),
        reverse: (rate: "10 Mbit/s", delay: "10 ms"))],
    connections: [(name: "c1", client: "host", server: "peer", sack: true, window_scale: 7,
        rcv_buffer: "256 KiB")],
    applications: [(name: "bulk", conn: "c1", bytes: "200 kB")],
)"#;

/// Runs the scenario `text` (which must complete with every byte verified) and writes its run
/// folder into `dir` under `run_id`; returns the run and the path of its sender-side capture.
pub(crate) fn write_scenario_run(text: &str, run_id: &str, dir: &Path) -> (Outcome, std::path::PathBuf) {
    let s = scenarios::parse(text, format!("{run_id}.ron")).unwrap_or_else(|e| panic!("{e}"));
    let o = scenarios::build(&s).unwrap().run();
    assert!(o.end.is_ok() && o.integrity_ok(), "{:?}", o.end);
    let mut info = reports::RunInfo {
        scenario: s.name.clone(),
        run_id: run_id.into(),
        ..reports::RunInfo::default()
    };
    info.record_outcome(&s, &o);
    write_run(dir, &info, &o.log).unwrap();
    let file = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-sender.pcapng"))
        .expect("sender-side capture");
    (o, file)
}

/// Issue 10: "tshark reads SACK blocks ... from offsim's captures". The sender-side capture
/// carries the SYN options and every SACK block the receiver sent, as Wireshark decodes them.
#[test]
fn tshark_reads_syn_options_and_sack_blocks() {
    let Some(_) = tool("tshark", "tshark_reads_syn_options_and_sack_blocks") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (o, file) = write_scenario_run(SACK_SCENARIO, "sack", d.path());
    let fields = |filter: &str, fields: &[&str]| -> Vec<String> {
        let mut cmd = Command::new("tshark");
        cmd.arg("-n")
            .arg("-o")
            .arg("tcp.relative_sequence_numbers:FALSE")
            .arg("-r")
            .arg(&file);
        cmd.args(["-Y", filter, "-T", "fields", "-E", "separator=;"]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        run_ok(&mut cmd).lines().map(str::to_string).collect()
    };
    // The SYN and the SYN-ACK: MSS, SACK-permitted, window scale.
    let syns = fields(
        "tcp.flags.syn == 1",
        &[
            "tcp.options.mss_val",
            "tcp.options.sack_perm",
            "tcp.options.wscale.shift",
        ],
    );
    assert_eq!(syns.len(), 2, "{syns:?}");
    assert!(
        syns.iter().all(|l| l.starts_with("1460;") && l.ends_with(";7")),
        "{syns:?}"
    );
    // Every SACK block the receiver sent, in order, as the recorder saw it at the sender.
    let expected: Vec<String> = o
        .log
        .wire
        .iter()
        .filter(|w| w.link == LinkId(1) && matches!(w.event, WireEvent::Delivered { .. }) && w.header.sack_blocks > 0)
        .map(|w| {
            let b = &w.header.sack[..usize::from(w.header.sack_blocks)];
            let le: Vec<String> = b.iter().map(|x| x.0.0.to_string()).collect();
            let re: Vec<String> = b.iter().map(|x| x.1.0.to_string()).collect();
            format!("{};{}", le.join(","), re.join(","))
        })
        .collect();
    assert!(expected.len() >= 4, "the losses make SACK blocks: {expected:?}");
    assert!(
        expected.iter().any(|e| e.contains(',')),
        "two holes: two blocks at once"
    );
    let got = fields("tcp.options.sack_le", &["tcp.options.sack_le", "tcp.options.sack_re"]);
    assert_eq!(got, expected);
}

/// With RFC 7323 timestamps: every frame carries TSval/TSecr as tshark decodes them, and the
/// SACK blocks (3 at most next to the timestamps) are still read.
#[test]
fn tshark_reads_timestamps_and_sack_blocks_together() {
    let Some(_) = tool("tshark", "tshark_reads_timestamps_and_sack_blocks_together") else {
        return;
    };
    let text = SACK_SCENARIO.replace("sack: true,", "sack: true, timestamps: true,");
    let d = tempfile::tempdir().unwrap();
    let (o, file) = write_scenario_run(&text, "ts", d.path());
    let frames = tshark_count(&file, "tcp");
    assert!(frames > 100);
    assert_eq!(
        tshark_count(&file, "tcp.options.timestamp.tsval"),
        frames,
        "every frame"
    );
    let sack = tshark_count(&file, "tcp.options.sack_le");
    assert!(sack >= 4, "{sack}");
    assert_eq!(tshark_count(&file, "tcp.options.sack.count > 3"), 0);
    // The recorder's TSval of the first data segment is what tshark reads.
    let first = o
        .log
        .wire
        .iter()
        .find(|w| w.link == LinkId(0) && w.header.len > 0)
        .unwrap();
    let tsval = first.header.timestamp.unwrap().0;
    assert!(tshark_count(&file, &format!("tcp.len > 0 && tcp.options.timestamp.tsval == {tsval}")) >= 1);
}

/// Issue 10, chimney rule 19: in the catalog's `offload_with_timestamps` run the sender-side
/// capture has `tcp.options.timestamp.tsval` on every data segment, the offload target's
/// included, and the sender's TSvals never go back across the offload and the upload (so the
/// peer's PAWS, RFC 7323 §5, drops nothing).
#[test]
fn tshark_reads_timestamps_on_every_data_segment_across_the_handovers() {
    let Some(_) = tool(
        "tshark",
        "tshark_reads_timestamps_on_every_data_segment_across_the_handovers",
    ) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    real_run("offload_with_timestamps", &[], 0, d.path());
    let file = d.path().join("c1-sender.pcapng");
    let data = "tcp.len > 0 && !frame.comment contains \"DROPPED\"";
    let by_target = format!("{data} && frame.comment contains \"sender=offload_target\"");
    assert!(
        tshark_count(&file, &by_target) > 100,
        "the target sent the middle of the transfer"
    );
    assert_eq!(
        tshark_count(&file, &format!("{by_target} && !tcp.options.timestamp.tsval")),
        0
    );
    assert_eq!(
        tshark_count(&file, &format!("{data} && !tcp.options.timestamp.tsval")),
        0
    );
    // The sender's TSvals in capture order, each with who sent it.
    let out = run_ok(Command::new("tshark").arg("-n").arg("-r").arg(&file).args([
        "-Y",
        data,
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "tcp.options.timestamp.tsval",
        "-e",
        "frame.comment",
    ]));
    let tsvals: Vec<(u32, bool)> = out
        .lines()
        .map(|l| {
            let (v, comment) = l.split_once('|').unwrap();
            (v.parse().unwrap(), comment.contains("sender=offload_target"))
        })
        .collect();
    // Host, then target, then host again.
    let owners: Vec<bool> = tsvals.iter().map(|t| t.1).fold(Vec::new(), |mut v, t| {
        if v.last() != Some(&t) {
            v.push(t);
        }
        v
    });
    assert_eq!(owners, [false, true, false], "who sent the data, in order");
    for w in tsvals.windows(2) {
        assert!(
            (w[1].0.wrapping_sub(w[0].0) as i32) >= 0,
            "TSval {} after {}",
            w[1].0,
            w[0].0
        );
    }
}

/// Issue 13: a headers-only frame's `payload_xxh3` is the fingerprint of its TCP payload, also
/// when the segment carries TCP options (RFC 7323 timestamps on every segment of the
/// catalog's `offload_with_timestamps`): the payload starts after the TCP header's data
/// offset, not at a fixed 54 bytes (which hashed the options too).
#[test]
fn payload_fingerprint_skips_tcp_options() {
    let d = tempfile::tempdir().unwrap();
    real_run("offload_with_timestamps", &[], 0, d.path());
    let (_, frames) = read_pcapng_lens(&d.path().join("c1-sender.pcapng"));
    let mut checked = 0;
    for ((_, data, comment), original_len) in &frames {
        let Some(fp) = comment.split(" payload_xxh3=").nth(1) else {
            continue;
        };
        let tcp_at = 14 + 20;
        let payload_at = tcp_at + usize::from(data[tcp_at + 12] >> 4) * 4;
        assert!(
            payload_at > 14 + 20 + 20,
            "timestamps make the TCP header longer: {comment}"
        );
        let offset: u64 = comment
            .split(" stream_offset=")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        // `c1`, the scenario's first connection, has id 1.
        let payload = pattern_bytes(ConnId(1), offset, *original_len as usize - payload_at);
        assert_eq!(data[payload_at..], payload[..data.len() - payload_at], "{comment}");
        assert_eq!(
            fp,
            format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&payload)),
            "{comment}"
        );
        checked += 1;
    }
    assert!(checked > 100, "{checked} data frames checked");
}
