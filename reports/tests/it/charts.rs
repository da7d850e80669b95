//! Charts: rendered as PNG and SVG with the embedded font, deterministic.

use reports::testdata::offload_mid_transfer;
use reports::write_run;
use std::fs;

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
        // The cc chart grows a row of handover zoom panels (this run offloads and uploads).
        let height = if stem == "cc-conn0" { 1000 } else { 720 };
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
        "host → target:",
        "target → host:",
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
