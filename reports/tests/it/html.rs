//! The HTML report: every relative link resolves, and a real browser loads every image.

use super::sweep::make_sweep;
use super::{run_ok, tool};
use reports::write_report;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Values of `attr="..."` in `html`, unescaped for the few entities the writer produces.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let pat = format!("{attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest[..rest.find('"').unwrap()]
                .replace("&amp;", "&")
                .replace("%20", " ")
        })
        .collect()
}

fn check_links(report_dir: &Path, html: &str) {
    for link in attrs(html, "href").into_iter().chain(attrs(html, "src")) {
        assert!(!link.contains("://"), "absolute link {link}");
        if let Some(id) = link.strip_prefix('#') {
            assert!(html.contains(&format!(" id=\"{id}\"")), "no anchor for {link}");
            continue;
        }
        let target = report_dir.join(&link);
        assert!(target.exists(), "broken link {link} -> {}", target.display());
    }
}

#[test]
fn report_links_resolve_and_images_load_in_a_browser() {
    let d = tempfile::tempdir().unwrap();
    make_sweep(d.path(), &[2, 5], 0..3, true);
    write_report(d.path()).unwrap();
    let html = fs::read_to_string(d.path().join("report/index.html")).unwrap();
    assert!(html.contains("<h1>synthetic-offload-mid-transfer</h1>"));
    assert!(!html.contains("<script"));
    // The failed run, its error and seed.
    assert!(html.contains("invariant violated: chimney rule 11 at 0.2 s"));
    assert!(
        html.contains("<td class=\"l\"><a href=\"runs/hop2ms-s3-failed.html\">hop2ms-s3-failed</a></td><td>3</td>")
    );
    // Sections in the order a reviewer reads them.
    let at = |h: &str| html.find(h).unwrap_or_else(|| panic!("no {h}"));
    let order = [
        ">Findings</h2>",
        "<div id=\"key-chart\">",
        ">Parameters</h2>",
        ">Failed runs</h2>",
        ">Overview</h2>",
        ">Charts</h2>",
        ">Paired differences between variants</h2>",
        ">Detailed statistics per point</h2>",
        ">Runs</h2>",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "sections out of order");
    // The overview has one row per point, units in the headers; details are folded.
    assert!(html.contains("<th rowspan=\"2\">Goodput [Mbit/s]</th>"));
    assert!(html.contains("<details><summary><b>hop_delay_ms=5</b>"));
    assert!(html.contains("<h3><code>hop_delay_ms=5</code> − <code>hop_delay_ms=2</code></h3>"));
    // No float noise.
    assert!(!html.contains("0.00000"), "float noise in the report");
    // Every run's sender-side capture is linked.
    assert!(html.contains("/conn0-sender.pcapng\">conn0-sender.pcapng</a>"));
    assert_eq!(attrs(&html, "src").len(), 7, "one image per sweep chart");
    check_links(&d.path().join("report"), &html);
    // A run folder gets its own report.
    let run = d.path().join("runs/hop5ms-s1");
    write_report(&run).unwrap();
    let html = fs::read_to_string(run.join("report/index.html")).unwrap();
    assert!(html.contains("timeseq-conn0.png") && html.contains("client-_switch.pcapng"));
    check_links(&run.join("report"), &html);
    browser_loads_every_image(d.path());
}

fn chromium(args: &[&str], url: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=10000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .arg(format!("file://{}", url.display())),
    )
}

/// Opens the sweep report in headless Chromium: the DOM matches, and every image loads.
fn browser_loads_every_image(dir: &Path) {
    let Some(_) = tool("chromium", "browser_loads_every_image") else {
        return;
    };
    let report = dir.join("report");
    let html = fs::read_to_string(report.join("index.html")).unwrap();
    // The report parses: the browser's DOM has the title and every table.
    let dom = chromium(&["--dump-dom"], &report.join("index.html"));
    assert!(dom.contains("<h1>synthetic-offload-mid-transfer</h1>"), "{dom}");
    assert_eq!(dom.matches("<table").count(), html.matches("<table").count());
    // Same images, same folder, plus a probe that writes each image's natural width.
    let srcs = attrs(&html, "src");
    let imgs: String = srcs.iter().map(|s| format!("<img src=\"{s}\">\n")).collect();
    let probe = format!(
        "<!DOCTYPE html><html><body><pre id=\"out\">pending</pre>\n{imgs}<script>window.addEventListener('load', () => \
         {{ document.getElementById('out').textContent = 'LOADED ' + [...document.images].map(i => \
         i.getAttribute('src') + '=' + i.naturalWidth).join(' '); }});</script></body></html>"
    );
    fs::write(report.join("probe.html"), probe).unwrap();
    let dom = chromium(&["--dump-dom"], &report.join("probe.html"));
    let line = dom
        .lines()
        .find(|l| l.contains("LOADED"))
        .unwrap_or_else(|| panic!("probe did not run:\n{dom}"));
    for s in &srcs {
        assert!(line.contains(&format!("{s}=1280")), "{s} did not load: {line}");
    }
    fs::remove_file(report.join("probe.html")).unwrap();
    if let Some(keep) = std::env::var_os("OFFSIM_KEEP_CHARTS") {
        let shot = Path::new(&keep).join("report.png");
        fs::create_dir_all(Path::new(&keep)).unwrap();
        chromium(
            &[&format!("--screenshot={}", shot.display()), "--window-size=1400,2600"],
            &report.join("index.html"),
        );
    }
}
