//! The HTML report: `DIR/report/index.html`, one self-contained page (inline CSS, no script,
//! no network) with relative links, so it opens straight from the file system.

use crate::aggregate::Aggregate;
use crate::compare::CompareRow;
use crate::io::{read_json, write_atomic};
use crate::metrics::RunReport;
use crate::sweep::{KEY_METRICS, ResultRow, SweepMeta};
use crate::{ReportError, Result};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1320px;color:#222;\
padding:0 1em}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}table{border-collapse:collapse;\
margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f0f0f0}\
td.l,th.l{text-align:left}tr.failed td{background:#fde8e8}figure{margin:1em 0}img{max-width:100%;border:1px solid \
#ddd}figcaption{font-size:.9em;color:#555}pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.85em}\
.bad{color:#b00020;font-weight:bold}.ok{color:#176117}code{background:#f3f3f3;padding:0 .2em}";

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Escapes a relative path for an `href`/`src` (percent-encoding the few characters that
/// would break it).
fn href(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            ' ' => o.push_str("%20"),
            '#' => o.push_str("%23"),
            '?' => o.push_str("%3F"),
            '%' => o.push_str("%25"),
            _ => o.push(c),
        }
    }
    esc(&o)
}

/// A number for tables: integers plainly, others with 4 significant digits.
fn num(v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) => {
            let mag = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
            let decimals = (3 - mag).clamp(0, 9) as usize;
            format!("{x:.decimals$}")
        }
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn figure(out: &mut String, base: &str, stem: &str) {
    let _ = writeln!(
        out,
        "<figure><a href=\"{b}{s}.svg\"><img src=\"{b}{s}.png\" alt=\"{a}\"></a><figcaption>{a} (<a \
         href=\"{b}{s}.png\">PNG</a>, <a href=\"{b}{s}.svg\">SVG</a>)</figcaption></figure>",
        b = href(base),
        s = href(stem),
        a = esc(stem)
    );
}

/// Sorted file names in `dir` (empty if unreadable).
fn list_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn file_links(out: &mut String, dir: &Path, base: &str) {
    let files = list_files(dir);
    let links: Vec<String> = files
        .iter()
        .map(|f| format!("<a href=\"{}{}\">{}</a>", href(base), href(f), esc(f)))
        .collect();
    let _ = writeln!(out, "<p>{}</p>", links.join(" · "));
}

/// Writes `dir/report/index.html` for a sweep folder (with `results.json`, see
/// [`crate::write_sweep`]) or a single run's folder (with `summary.json`).
pub fn write_report(dir: &Path) -> Result<()> {
    let html = if dir.join("results.json").exists() {
        sweep_page(dir)?
    } else if dir.join("summary.json").exists() {
        run_page(dir, &RunReport::read(&dir.join("summary.json"))?)
    } else {
        return Err(ReportError::Invalid(format!(
            "{}: neither results.json nor summary.json",
            dir.display()
        )));
    };
    write_atomic(&dir.join("report").join("index.html"), html.as_bytes())
}

fn summary_table(out: &mut String, r: &RunReport) {
    let rt = &r.retransmissions;
    let mut rows: Vec<(String, String)> = vec![
        (
            "outcome".into(),
            r.outcome.error().map_or("ok".into(), |e| format!("FAILED: {e}")),
        ),
        (
            "integrity".into(),
            if r.integrity_ok { "ok".into() } else { "FAILED".into() },
        ),
        (
            "bytes delivered / expected".into(),
            format!("{} / {}", r.bytes_delivered, r.bytes_expected),
        ),
        (
            "completion time [s]".into(),
            num(r.completion_time_ns.map(|t| t as f64 / 1e9)),
        ),
        ("goodput [Mbit/s]".into(), num(r.goodput_bps.map(|g| g / 1e6))),
        ("retransmissions".into(), rt.total.to_string()),
    ];
    for (k, v) in rt.by_source.entries() {
        rows.push((format!("&nbsp;&nbsp;source {k}"), v.to_string()));
    }
    rows.push((
        "&nbsp;&nbsp;of which delegated_resend".into(),
        rt.delegated_resend.to_string(),
    ));
    rows.push(("RTO expiries".into(), r.rto_count.to_string()));
    rows.push((
        "spurious retransmissions".into(),
        r.spurious_retransmissions.to_string(),
    ));
    rows.push((
        "offload completed [s]".into(),
        num(r.offload.offload_completed_ns.map(|t| t as f64 / 1e9)),
    ));
    rows.push((
        "upload completed [s]".into(),
        num(r.offload.upload_completed_ns.map(|t| t as f64 / 1e9)),
    ));
    if let Some(p) = r.buffers.pinned {
        rows.push((
            "buffer pinned time [ms] min/mean/p50/p99/max".into(),
            format!(
                "{} / {} / {} / {} / {}",
                num(Some(p.min_ns as f64 / 1e6)),
                num(Some(p.mean_ns / 1e6)),
                num(Some(p.p50_ns as f64 / 1e6)),
                num(Some(p.p99_ns as f64 / 1e6)),
                num(Some(p.max_ns as f64 / 1e6))
            ),
        ));
    }
    out.push_str("<table>\n");
    for (k, v) in rows {
        // Keys are literals from this function (the &nbsp; is intended markup).
        let _ = writeln!(out, "<tr><th class=\"l\">{k}</th><td class=\"l\">{}</td></tr>", esc(&v));
    }
    out.push_str("</table>\n");
}

fn run_page(dir: &Path, r: &RunReport) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{} — run {}</h1>", esc(&r.scenario), esc(&r.run_id));
    let _ = writeln!(b, "<p>{}</p>", esc(&r.description));
    let _ = writeln!(
        b,
        "<p>seed {} · params <code>{}</code> · offsim {} ({}) · fingerprint <code>{}</code></p>",
        r.seed,
        esc(&crate::info::params_label(&r.params)),
        esc(&r.version),
        esc(&r.commit),
        esc(&r.fingerprint)
    );
    let _ = writeln!(b, "<p>Reproduce: <code>{}</code></p>", esc(&r.command));
    for w in &r.warnings {
        let _ = writeln!(b, "<p class=\"bad\">warning: {}</p>", esc(w));
    }
    b.push_str("<h2>Summary</h2>\n");
    summary_table(&mut b, r);
    b.push_str("<h2>Charts</h2>\n");
    let files = list_files(dir);
    for f in &files {
        if let Some(stem) = f.strip_suffix(".png") {
            figure(&mut b, "../", stem);
        }
    }
    b.push_str(
        "<h2>Files</h2>\n<p>pcapng files are captured at each link direction's ingress; packet comments carry \
                provenance (<code>frame.comment contains \"source=delegated_unacked\"</code>).</p>\n",
    );
    file_links(&mut b, dir, "../");
    let _ = writeln!(b, "<h2>Scenario</h2>\n<pre>{}</pre>", esc(&r.scenario_text));
    page(&format!("{} {}", r.scenario, r.run_id), &b)
}

fn sweep_page(dir: &Path) -> Result<String> {
    let rows: Vec<ResultRow> = read_json(&dir.join("results.json"))?;
    let agg = Aggregate::read(&dir.join("aggregate.json"))?;
    let meta: SweepMeta = if dir.join("sweep.json").exists() {
        read_json(&dir.join("sweep.json"))?
    } else {
        Default::default()
    };
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>\n<p>{}</p>", esc(&meta.scenario), esc(&meta.description));
    let _ = writeln!(
        b,
        "<p>offsim {} ({}) · {} runs ({} failed) · {} parameter points · axes: <code>{}</code></p>",
        esc(&meta.version),
        esc(&meta.commit),
        rows.len(),
        rows.iter().filter(|r| r.status != "ok").count(),
        agg.points.len(),
        esc(&agg.axes.join(", "))
    );
    b.push_str(
        "<p>Files: <a href=\"../results.csv\">results.csv</a> · <a href=\"../results.json\">results.json</a> · <a \
         href=\"../aggregate.csv\">aggregate.csv</a> · <a href=\"../aggregate.json\">aggregate.json</a> · <a \
         href=\"../paired.csv\">paired.csv</a></p>\n",
    );
    // Failed runs first: they are what a reader must not miss.
    let failed: Vec<&ResultRow> = rows.iter().filter(|r| r.status != "ok").collect();
    b.push_str("<h2>Failed runs</h2>\n");
    if failed.is_empty() {
        b.push_str("<p class=\"ok\">None.</p>\n");
    } else {
        b.push_str("<table><tr><th class=\"l\">run</th><th>seed</th><th class=\"l\">parameters</th><th class=\"l\">error</th><th class=\"l\">reproduce</th></tr>\n");
        for r in &failed {
            let _ = writeln!(
                b,
                "<tr class=\"failed\"><td class=\"l\"><a href=\"../{}/\">{}</a></td><td>{}</td><td class=\"l\">{}</td><td \
                 class=\"l\">{}</td><td class=\"l\"><code>{}</code></td></tr>",
                href(&r.dir),
                esc(&r.run_id),
                r.seed,
                esc(&crate::info::params_label(&r.params)),
                esc(r.error.as_deref().unwrap_or("")),
                esc(&r.command)
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str(
        "<h2>Results per parameter point</h2>\n<p>Mean, sample standard deviation and Student-t 95% confidence \
                interval over successful seeds; the last column is the number of seeds a CI half-width of ",
    );
    let _ = writeln!(
        b,
        "{}% of the mean would need.</p>",
        agg.target_relative_half_width * 100.0
    );
    for p in &agg.points {
        let _ = writeln!(
            b,
            "<h3>{}</h3>\n<p>{} runs, {} failed, {} integrity failures</p>",
            esc(&p.label),
            p.runs,
            p.failed.len(),
            p.integrity_failures
        );
        b.push_str("<table><tr><th class=\"l\">metric</th><th>n</th><th>mean</th><th>sd</th><th>95% CI</th><th>min</th><th>max</th><th>seeds for target</th></tr>\n");
        for m in &p.metrics {
            let s = m.summary;
            let ci = s
                .and_then(|s| s.ci95_lo.zip(s.ci95_hi))
                .map_or("–".to_string(), |(l, h)| {
                    format!("[{}, {}]", num(Some(l)), num(Some(h)))
                });
            let _ = writeln!(
                b,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.metric),
                s.map_or(0, |s| s.n),
                num(s.map(|s| s.mean)),
                num(s.map(|s| s.sd)),
                ci,
                num(s.map(|s| s.min)),
                num(s.map(|s| s.max)),
                m.seeds_for_target.map_or("–".to_string(), |n| n.to_string())
            );
        }
        b.push_str("</table>\n");
    }
    let shown: Vec<_> = agg
        .paired
        .iter()
        .filter(|d| KEY_METRICS.contains(&d.metric.as_str()))
        .collect();
    if !shown.is_empty() {
        b.push_str(
            "<h2>Paired differences between variants</h2>\n<p>variant − baseline, paired by seed index (common \
                    random numbers); <b>bold</b>: the 95% CI of the mean difference excludes 0.</p>\n",
        );
        b.push_str("<table><tr><th class=\"l\">axis</th><th class=\"l\">baseline → variant</th><th class=\"l\">other parameters</th><th class=\"l\">metric</th><th>pairs</th><th>mean diff</th><th>95% CI</th></tr>\n");
        for d in shown {
            let s = d.summary;
            let ci = s
                .and_then(|s| s.ci95_lo.zip(s.ci95_hi))
                .map_or("–".to_string(), |(l, h)| {
                    format!("[{}, {}]", num(Some(l)), num(Some(h)))
                });
            let (o, c) = if d.significant { ("<b>", "</b>") } else { ("", "") };
            let _ = writeln!(
                b,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{} → {}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{o}{}{c}</td><td>{o}{}{c}</td></tr>",
                esc(&d.axis),
                esc(&d.baseline),
                esc(&d.variant),
                esc(&crate::info::params_label(&d.others)),
                esc(&d.metric),
                s.map_or(0, |s| s.n),
                num(s.map(|s| s.mean)),
                ci
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<h2>Charts</h2>\n");
    for stem in &meta.charts {
        figure(&mut b, "../charts/", stem);
    }
    b.push_str("<h2>Runs</h2>\n<table><tr><th class=\"l\">run</th><th>seed</th><th>#</th><th class=\"l\">parameters</th><th class=\"l\">status</th><th>goodput [Mbit/s]</th><th>retx</th><th>RTOs</th><th>spurious</th><th class=\"l\">files</th></tr>\n");
    for r in &rows {
        let m = |k: &str| r.metrics.get(k).copied().flatten();
        let status = if r.status == "ok" {
            if r.integrity_ok {
                "ok".to_string()
            } else {
                "ok, INTEGRITY FAILED".to_string()
            }
        } else {
            "failed".to_string()
        };
        let run_dir = dir.join(&r.dir);
        let mut files = String::new();
        let base = format!("../{}/", r.dir);
        for f in list_files(&run_dir)
            .iter()
            .filter(|f| f.ends_with(".json") || f.ends_with(".pcapng") || f.starts_with("timeseq"))
        {
            let _ = write!(files, "<a href=\"{}{}\">{}</a> ", href(&base), href(f), esc(f));
        }
        let _ = writeln!(
            b,
            "<tr{}><td class=\"l\"><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            if r.status == "ok" { "" } else { " class=\"failed\"" },
            href(&base),
            esc(&r.run_id),
            r.seed,
            r.seed_index,
            esc(&crate::info::params_label(&r.params)),
            esc(&status),
            num(m("goodput_bps").map(|g| g / 1e6)),
            num(m("retransmissions.total")),
            num(m("rto_count")),
            num(m("spurious_retransmissions")),
            files
        );
    }
    b.push_str("</table>\n");
    let _ = writeln!(b, "<h2>Scenario</h2>\n<pre>{}</pre>", esc(&meta.scenario_text));
    Ok(page(&meta.scenario, &b))
}

/// Writes `out/index.html` for a comparison.
pub(crate) fn write_compare_html(
    out: &Path,
    a: &str,
    b_name: &str,
    rows: &[CompareRow],
    stems: &[String],
) -> Result<()> {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>Comparison</h1>\n<p>{} vs {}; difference = B − A. Files: <a href=\"compare.csv\">compare.csv</a>, <a href=\"compare.json\">compare.json</a></p>",
        esc(a),
        esc(b_name)
    );
    b.push_str("<table><tr><th class=\"l\">point</th><th class=\"l\">metric</th><th>A mean ± hw</th><th>B mean ± hw</th><th>diff</th><th>rel</th><th class=\"l\">CIs overlap</th></tr>\n");
    for r in rows.iter().filter(|r| KEY_METRICS.contains(&r.metric.as_str())) {
        let pm = |m: Option<f64>, h: Option<f64>| format!("{} ± {}", num(m), num(h));
        let overlap = match r.ci_overlap {
            Some(true) => "yes".to_string(),
            Some(false) => "<b>no</b>".to_string(),
            None => "–".to_string(),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{overlap}</td></tr>",
            esc(&r.point),
            esc(&r.metric),
            pm(r.a_mean, r.a_ci95_half_width),
            pm(r.b_mean, r.b_ci95_half_width),
            num(r.diff),
            r.rel_diff.map_or("–".to_string(), |x| format!("{:+.1}%", x * 100.0))
        );
    }
    b.push_str("</table>\n");
    for s in stems {
        figure(&mut b, "charts/", s);
    }
    write_atomic(&out.join("index.html"), page("Comparison", &b).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(href("a b#c"), "a%20b%23c");
        assert_eq!(num(Some(12.0)), "12");
        assert_eq!(num(Some(1.234_56)), "1.235");
        assert_eq!(num(Some(1234.567)), "1235");
        assert_eq!(num(None), "–");
    }
}
