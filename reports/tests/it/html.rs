//! The HTML report: every relative link resolves, and a real browser loads every image.

use super::sweep::make_sweep;
use super::{run_ok, tool};
use reports::{Artifacts, write_report};
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
    assert_eq!(attrs(&html, "src").len(), 8, "one image per sweep chart");
    // Retransmissions by cause beside by source, first among the charts.
    let charts = &html[at(">Charts</h2>")..];
    assert!(charts.find("retx-by-cause.png").unwrap() < charts.find("goodput_bps-vs-hop_delay_ms.png").unwrap());
    check_links(&d.path().join("report"), &html);
    // A run folder gets its own report.
    let run = d.path().join("runs/hop5ms-s1");
    write_report(&run).unwrap();
    let html = fs::read_to_string(run.join("report/index.html")).unwrap();
    assert!(html.contains("timeseq-conn0.png") && html.contains("client-_switch.pcapng"));
    // The time-sequence chart's tooltips live in its SVG: the caption sends the reader there.
    assert!(html.contains("timeseq-conn0.svg\">SVG, hover a mark for its details</a>"));
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

/// The sweep report answers "what changed, and is it significant?" on its first screen: the
/// finding sentences (paired t-test over the common-random-number seeds, issue 15) and the
/// key chart sit above the fold of a 1400×1000 window; every run id opens a page of its own
/// whose links all resolve, and a run whose charts a sweep did not keep says how to get them.
#[test]
fn sweep_report_first_screen_states_findings_and_every_run_has_a_page() {
    let d = tempfile::tempdir().unwrap();
    let runs = make_sweep(d.path(), &[2, 5], 0..3, true);
    // As a sweep leaves its folders: captures and charts only for each point's example run.
    let examples = reports::example_runs(&runs);
    for (i, r) in runs.iter().enumerate() {
        if r.outcome.is_ok() && !examples.contains(&i) {
            let keep: Artifacts = "summary,series".parse().unwrap();
            reports::prune_run(&reports::run_dir(d.path(), &r.run_id), &keep).unwrap();
        }
    }
    write_report(d.path()).unwrap();
    let report = d.path().join("report");
    let html = fs::read_to_string(report.join("index.html")).unwrap();

    // The findings, generated from the data: the delay changes goodput and completion time
    // (by construction every seed's completion time grows by the same amount), never the
    // retransmissions (the synthetic runs lose the same segments at every delay).
    let sentence = "hop_delay_ms=5 against hop_delay_ms=2, 3 paired seeds: goodput down 59 % ± 4.9 % (p &lt; 0.001); \
                    completion time up 143 % in every seed (p &lt; 0.001)";
    assert!(html.contains(sentence), "no finding sentence in:\n{html}");
    assert!(html.contains(
        "identical in every seed: share of retransmissions from the delegated chain, retransmissions, spurious \
         retransmissions, RTO expiries."
    ));
    let findings = html.find(">Findings</h2>").unwrap();
    assert!(findings < html.find("<div id=\"key-chart\">").unwrap());
    assert!(html.find("<div id=\"key-chart\">").unwrap() < html.find(">Overview</h2>").unwrap());

    // Every run id links to its page; every page's links resolve.
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&fs::read_to_string(d.path().join("results.json")).unwrap()).unwrap();
    assert_eq!(rows.len(), runs.len());
    for row in &rows {
        let (id, dir) = (row["run_id"].as_str().unwrap(), row["dir"].as_str().unwrap());
        let link = format!("<a href=\"{dir}.html\">{id}</a>");
        assert!(html.contains(&link), "{id} does not link to its page ({link})");
        let page = fs::read_to_string(report.join(format!("{dir}.html"))).unwrap();
        assert!(page.contains(&format!("— run {id}</h1>")), "{id}");
        assert!(page.contains("<a href=\"../index.html\">← sweep report</a>"));
        assert!(page.contains(&format!("Reproduce: <code>{}</code>", row["command"].as_str().unwrap())));
        check_links(&report.join("runs"), &page);
        if row["status"] != "ok" {
            assert!(
                page.contains(&format!(
                    "The run failed ({}), so its folder may lack charts and captures.",
                    row["error"].as_str().unwrap()
                )),
                "{id}:\n{page}"
            );
            assert!(!page.contains("were kept"), "a failed run blames no artefact level");
        }
        if row["status"] == "ok" {
            assert!(!page.contains("holds none"), "{id}");
            assert!(
                page.contains(">Connections</h2>") && page.contains("<td class=\"l\">conn0</td>"),
                "{id}"
            );
            assert!(page.contains(">Handover of the congestion state</h2>"), "{id}");
            // The scenario's name for the connection, as in every other table (issue 15).
            assert!(
                page.contains("<td class=\"l\">conn0</td><td class=\"l\">offload</td>"),
                "{id}"
            );
        }
        if row["example"] == true {
            assert!(
                page.contains("timeseq-conn0.png") && page.contains("cc-conn0.png"),
                "{id}"
            );
        } else if row["status"] == "ok" {
            assert!(!page.contains(".png"), "{id} kept no charts");
            assert!(
                page.contains(&format!(
                    "No charts were kept for this run (artefacts: summary, series): a sweep writes charts and captures \
                     only for each parameter point's example run. To regenerate its time-sequence and congestion \
                     charts and its captures: <code>{} --artifacts all</code>",
                    row["command"].as_str().unwrap()
                )),
                "{id}:\n{page}"
            );
            // ... and points to the run of its point that has them.
            let example = rows
                .iter()
                .find(|x| x["example"] == true && x["params"] == row["params"])
                .unwrap();
            let (eid, edir) = (example["run_id"].as_str().unwrap(), example["dir"].as_str().unwrap());
            let file = edir.rsplit('/').next().unwrap();
            assert!(
                page.contains(&format!("example run: <a href=\"{file}.html\">{eid}</a>")),
                "{id}"
            );
        }
    }
    check_links(&report, &html);
    first_screen_in_a_browser(&report, sentence);
    super::keep(d.path(), "sweep-with-run-pages");
}

/// In headless Chromium at 1400×1000: the finding sentences end and the key chart starts above
/// the fold, and the chart loads; an example run's page loads its charts.
fn first_screen_in_a_browser(report: &Path, sentence: &str) {
    let Some(_) = tool("chromium", "first_screen_in_a_browser") else {
        return;
    };
    let dom = chromium(&["--dump-dom"], &report.join("index.html"));
    assert!(dom.contains(sentence), "the browser's DOM lacks the finding");
    // A copy of the page with a probe (the report itself has no script), in the same folder so
    // its relative links still resolve.
    let html = fs::read_to_string(report.join("index.html")).unwrap();
    let probe = "<script>window.addEventListener('load', () => { const h = window.innerHeight; \
                 const lis = [...document.querySelectorAll('ul.findings li')]; \
                 const img = document.querySelector('#key-chart img'); \
                 const out = document.createElement('pre'); out.id = 'probe'; \
                 out.textContent = 'FIRST-SCREEN findings=' + lis.filter(l => l.getBoundingClientRect().bottom <= h).length \
                 + '/' + lis.length + ' chart_above_fold=' + (img.getBoundingClientRect().top < h) \
                 + ' chart_width=' + img.naturalWidth; document.body.appendChild(out); });</script></body>";
    fs::write(report.join("probe.html"), html.replace("</body>", probe)).unwrap();
    let dom = chromium(&["--dump-dom", "--window-size=1400,1000"], &report.join("probe.html"));
    fs::remove_file(report.join("probe.html")).unwrap();
    let line = dom
        .lines()
        .find(|l| l.contains("<pre id=\"probe\">"))
        .unwrap_or_else(|| panic!("probe did not run:\n{dom}"));
    assert!(
        line.contains("FIRST-SCREEN findings=1/1 chart_above_fold=true chart_width=1280"),
        "{line}"
    );
}
