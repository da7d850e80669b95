//! The HTML report: `DIR/report/index.html`, a self-contained page (inline CSS, no script,
//! no network) with relative links, so it opens straight from the file system. A sweep's page
//! opens with its findings (sentences from [`crate::findings`]) and the key chart, then the
//! tables; each run id links to the run's own page, `report/runs/<run folder>.html` (summary,
//! handover, connections, the charts the folder holds or the command that regenerates them,
//! files, reproduce command), rewritten whole with the index.

use crate::aggregate::Aggregate;
use crate::compare::CompareRow;
use crate::io::{read_json, write_atomic};
use crate::metrics::RunReport;
use crate::sweep::{KEY_METRICS, LineCharts, ResultRow, SweepMeta};
use crate::vocab::Named;
use crate::{ReportError, Result};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1320px;color:#222;\
padding:0 1em}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}table{border-collapse:collapse;\
margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}td{white-space:nowrap}td.l{white-space:normal}th{background:#f0f0f0}\
td.l,th.l{text-align:left}tr.failed td{background:#fde8e8}figure{margin:1em 0}img{max-width:100%;border:1px solid \
#ddd}figcaption{font-size:.9em;color:#555}pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.85em}\
.bad{color:#b00020;font-weight:bold}.sig{background:#fff1b8;font-weight:bold}details{margin:.4em 0}summary{cursor:pointer;margin:.3em 0}td.files{font-size:.85em}.ok{color:#176117}code{background:#f3f3f3;padding:0 .2em}\
ul.findings li{margin:.3em 0}p.finding{margin:.8em 0 .2em}p.note{font-size:.85em;color:#555}";

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

/// `x` rounded to `digits` significant digits for tables. Exact zeros print as `0` and
/// integral values plainly (counts stay exact); magnitudes below 1e-4 use scientific notation.
pub(crate) fn sig(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let mag = x.abs().log10().floor() as i32;
    if mag < -4 {
        return format!("{:.*e}", digits.saturating_sub(1), x);
    }
    let s = fixed(x, (digits as i32 - 1 - mag).clamp(0, 9) as usize);
    // No trailing zeros after the point: 0.25, not 0.2500 (the digits are significant ones).
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `x` with `decimals` decimals; exact zero prints as `0`, and a value that rounds to zero
/// loses its minus sign.
fn fixed(x: f64, decimals: usize) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Decimals that show `h` with two significant digits (0 for h >= 10).
fn decimals_for(h: f64) -> usize {
    if h > 0.0 && h.is_finite() {
        (1 - h.log10().floor() as i32).clamp(0, 9) as usize
    } else {
        0
    }
}

/// A number for tables: 4 significant digits (see [`sig`]); `–` when absent.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |x| sig(x, 4))
}

/// `mean ± half-width`: the half-width with two significant digits and the mean to the same
/// decimal place (a mean alone when there is no CI, n = 1).
fn pm(mean: Option<f64>, hw: Option<f64>) -> String {
    match (mean, hw) {
        (None, _) => "–".to_string(),
        (Some(m), None) => sig(m, 4),
        (Some(m), Some(0.0)) => format!("{} ± 0", sig(m, 4)),
        (Some(m), Some(h)) => {
            let d = decimals_for(h);
            format!("{} ± {}", fixed(m, d), fixed(h, d))
        }
    }
}

/// A CI as `[lo, hi]`, both to the decimal place of the half-width.
fn ci_text(lo: Option<f64>, hi: Option<f64>, hw: Option<f64>) -> String {
    match (lo, hi, hw) {
        (Some(l), Some(h), Some(0.0)) => format!("[{}, {}]", sig(l, 4), sig(h, 4)),
        (Some(l), Some(h), Some(w)) => {
            let d = decimals_for(w);
            format!("[{}, {}]", fixed(l, d), fixed(h, d))
        }
        _ => "–".to_string(),
    }
}

/// A metric's column header with its unit, and the factor that converts stored values to
/// that unit (e.g. `Goodput [Mbit/s]`, 1e-6).
fn metric_head(key: &str) -> (String, f64) {
    let (label, unit, scale) = crate::metrics::metric_label(key);
    if label.is_empty() {
        (format!("{key} [{unit}]"), scale)
    } else {
        (format!("{label} [{unit}]"), scale)
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
    // The time-sequence SVG carries a tooltip per mark; the embedded PNG cannot show them.
    let svg = if stem.starts_with("timeseq-") {
        "SVG, hover a mark for its details"
    } else {
        "SVG"
    };
    let _ = writeln!(
        out,
        "<figure><a href=\"{b}{s}.svg\"><img src=\"{b}{s}.png\" alt=\"{a}\"></a><figcaption>{a} (<a \
         href=\"{b}{s}.png\">PNG</a>, <a href=\"{b}{s}.svg\">{svg}</a>)</figcaption></figure>",
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
    write_report_with(dir, &LineCharts::default())
}

/// [`write_report`] with the sweep's line charts drawn as `lines` chooses (`report --x AXIS
/// --series AXIS`): those charts are written into `charts/` beside the sweep's own and the
/// report shows them instead of the default line charts. An axis choice that does not fit
/// the sweep is an error naming the axes that do; a run folder takes no choice.
pub fn write_report_with(dir: &Path, lines: &LineCharts) -> Result<()> {
    let html = if dir.join("results.json").exists() {
        let line_charts = if lines.chosen() {
            let agg = Aggregate::read(&dir.join("aggregate.json"))?;
            let scenario = read_json::<SweepMeta>(&dir.join("sweep.json"))
                .map(|m| m.scenario)
                .unwrap_or_default();
            Some(crate::sweep::line_charts(&dir.join("charts"), &agg, &scenario, lines)?)
        } else {
            None
        };
        let (html, runs) = sweep_page(dir, line_charts)?;
        // Per-run pages: `report/runs/<run>.html`, rewritten whole so none is left from an
        // earlier report of a run no longer in the sweep.
        let pages = dir.join("report").join("runs");
        if pages.is_dir() {
            fs::remove_dir_all(&pages).map_err(|e| ReportError::io("remove", &pages, e))?;
        }
        for (path, page) in runs {
            write_atomic(&dir.join("report").join(path), page.as_bytes())?;
        }
        html
    } else if dir.join("summary.json").exists() {
        if lines.chosen() {
            return Err(ReportError::Invalid(format!(
                "{}: a run folder has no sweep axes to choose (--x/--series apply to a sweep folder)",
                dir.display()
            )));
        }
        run_page(dir, &RunReport::read(&dir.join("summary.json"))?, "../", None, None)
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
    for (source, v) in rt.by_source.entries() {
        rows.push((format!("&nbsp;&nbsp;source {}", source.key()), v.to_string()));
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

/// The scenario's name of connection `conn` (its id when it has none).
fn conn_name(r: &RunReport, conn: u32) -> String {
    r.connections
        .iter()
        .find(|c| c.conn == conn)
        .map_or_else(|| conn.to_string(), |c| c.name.clone())
}

/// cwnd/ssthresh/srtt/rto of the old and new owner at each offload and upload.
fn handover_table(b: &mut String, r: &RunReport) {
    if r.offload.handover.is_empty() {
        return;
    }
    b.push_str(
        "<h2>Handover of the congestion state</h2>\n<p>The previous owner's last sample and the new owner's first \
         one: equal values mean the new owner continued the state.</p>\n<table><tr><th class=\"l\">conn</th><th \
         class=\"l\">handover</th><th>at [s]</th><th>cwnd [bytes]</th><th>ssthresh [bytes]</th><th>srtt [ms]</th>\
         <th>rto [ms]</th><th class=\"l\">cwnd and ssthresh continued?</th></tr>\n",
    );
    // ssthresh at or above 2^30 is the "not yet set" initial value.
    let show = |v: Option<u64>, k: f64| match v {
        Some(x) if k.is_nan() && x >= u64::from(crate::charts::SSTHRESH_INFINITE) => "unset".to_string(),
        _ => num(v.map(|x| x as f64 * if k.is_nan() { 1.0 } else { k })),
    };
    // `k`: display factor; NaN marks ssthresh (shown as bytes, "unset" when not yet set).
    let arrow = |a: Option<u64>, c: Option<u64>, k: f64| match (a, c) {
        (Some(x), Some(y)) if x == y => show(a, k),
        _ => format!("{} → {}", show(a, k), show(c, k)),
    };
    for h in &r.offload.handover {
        let (bf, af) = (h.before, h.after);
        let cw = |s: Option<crate::metrics::CcState>| s.map(|s| u64::from(s.cwnd));
        let st = |s: Option<crate::metrics::CcState>| s.map(|s| u64::from(s.ssthresh));
        let continued = match (bf, af) {
            (Some(x), Some(y)) if x.cwnd == y.cwnd && x.ssthresh == y.ssthresh => "<span class=\"ok\">yes</span>",
            (Some(_), Some(_)) => "<span class=\"bad\">no: state changed</span>",
            _ => "–",
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"l\">{continued}</td></tr>",
            esc(&conn_name(r, h.conn)),
            esc(&h.kind),
            sig(h.time_ns as f64 / 1e9, 6),
            arrow(cw(bf), cw(af), 1.0),
            arrow(st(bf), st(af), f64::NAN),
            arrow(bf.map(|s| s.srtt_ns), af.map(|s| s.srtt_ns), 1e-6),
            arrow(bf.map(|s| s.rto_ns), af.map(|s| s.rto_ns), 1e-6),
        );
    }
    b.push_str("</table>\n");
}

/// A run's page. `base`: the run folder relative to the page (`../` for `RUN/report/index.html`);
/// `back`: the sweep report relative to the page, for a run inside a sweep.
/// `example`: inside a sweep, the page of this run's point's example run (the one whose charts
/// and captures the sweep kept), as (run id, link).
fn run_page(dir: &Path, r: &RunReport, base: &str, back: Option<&str>, example: Option<(&str, String)>) -> String {
    let mut b = String::new();
    if let Some(back) = back {
        let _ = writeln!(b, "<p><a href=\"{}\">← sweep report</a></p>", href(back));
    }
    let _ = writeln!(b, "<h1>{} — run {}</h1>", esc(&r.scenario), esc(&r.run_id));
    let _ = writeln!(b, "<p>{}</p>", esc(&r.description));
    let _ = writeln!(
        b,
        "<p>seed {} · params <code>{}</code> · offsim {} ({}) · fingerprint <code>{}</code></p>",
        r.seed,
        if r.params.is_empty() {
            "(none)".to_string()
        } else {
            esc(&crate::info::params_label(&r.params))
        },
        esc(&r.version),
        esc(&r.commit),
        esc(&r.fingerprint)
    );
    let _ = writeln!(b, "<p id=\"reproduce\">Reproduce: <code>{}</code></p>", esc(&r.command));
    for w in &r.warnings {
        let _ = writeln!(b, "<p class=\"bad\">warning: {}</p>", esc(w));
    }
    b.push_str("<h2 id=\"summary\">Summary</h2>\n");
    summary_table(&mut b, r);
    handover_table(&mut b, r);
    connections_table(&mut b, r);
    let files = list_files(dir);
    b.push_str("<h2 id=\"charts\">Charts</h2>\n");
    let mut pngs: Vec<&str> = files.iter().filter_map(|f| f.strip_suffix(".png")).collect();
    // Time-sequence first, then congestion state, then the rest (each group by name).
    pngs.sort_by_key(|p| (!p.starts_with("timeseq-"), !p.starts_with("cc-")));
    for stem in &pngs {
        figure(&mut b, base, stem);
    }
    let kept = r.artifacts.names().join(", ");
    let has_pcap = files.iter().any(|f| f.ends_with(".pcapng"));
    if let Some(e) = r.outcome.error()
        && (pngs.is_empty() || !has_pcap)
    {
        // A failed run's folder holds what was written before it stopped; "not kept" would
        // blame the artefact levels.
        let _ = writeln!(
            b,
            "<p class=\"bad\">The run failed ({}), so its folder may lack charts and captures. To run it again: \
             <code>{}</code></p>",
            esc(e),
            esc(&r.command)
        );
    } else if pngs.is_empty() && r.artifacts.charts {
        let _ = writeln!(
            b,
            "<p class=\"bad\">The folder's summary.json lists charts but the folder holds none (removed?). To \
             regenerate them: <code>{} --artifacts all</code></p>",
            esc(&r.command)
        );
    } else if pngs.is_empty() {
        let _ = writeln!(
            b,
            "<p>No charts were kept for this run (artefacts: {}){}. To regenerate its time-sequence and \
             congestion charts and its captures: <code>{} --artifacts all</code></p>",
            esc(&kept),
            if back.is_some() {
                ": a sweep writes charts and captures only for each parameter point's example run"
            } else {
                ""
            },
            esc(&r.command)
        );
        if let Some((id, link)) = &example
            && *id != r.run_id
        {
            let _ = writeln!(
                b,
                "<p>The charts of this parameter point's example run: <a href=\"{}\">{}</a>.</p>",
                href(link),
                esc(id)
            );
        }
    }
    b.push_str("<h2 id=\"files\">Files</h2>\n");
    if has_pcap {
        b.push_str(
            "<p><code>&lt;conn&gt;-sender.pcapng</code>: both directions of a connection as seen \
             at the sending host (open this one in Wireshark: its TCP analysis needs the ACKs); the other pcapng files \
             are captured at each link direction's ingress. Packet comments carry provenance (<code>frame.comment \
             contains \"source=delegated_unacked\"</code>); segments that never went on the wire are marked \
             <code>DROPPED</code>.</p>\n",
        );
    } else if r.outcome.is_ok() && !r.artifacts.pcap {
        let _ = writeln!(
            b,
            "<p>No captures were kept for this run (artefacts: {}). To regenerate them: <code>{} --artifacts \
             all</code></p>",
            esc(&kept),
            esc(&r.command)
        );
    } else if r.outcome.is_ok() {
        let _ = writeln!(
            b,
            "<p class=\"bad\">The folder's summary.json lists captures but the folder holds none (removed?). To \
             regenerate them: <code>{} --artifacts all</code></p>",
            esc(&r.command)
        );
    }
    file_links(&mut b, dir, base);
    let _ = writeln!(
        b,
        "<h2 id=\"scenario\">Scenario</h2>\n<pre>{}</pre>",
        esc(&r.scenario_text)
    );
    page(&format!("{} {}", r.scenario, r.run_id), &b)
}

/// One row per connection (`summary.json` `connections`).
fn connections_table(b: &mut String, r: &RunReport) {
    if r.connections.is_empty() {
        return;
    }
    b.push_str(
        "<h2 id=\"connections\">Connections</h2>\n<table><tr><th class=\"l\">connection</th><th \
         class=\"l\">client → server</th><th class=\"l\">offloaded</th><th>bytes delivered</th><th \
         class=\"l\">integrity</th><th>completion [s]</th><th>goodput [Mbit/s]</th><th>retransmissions</th><th>of \
         which from the delegated chain</th><th>RTO expiries</th><th>spurious retx</th></tr>\n",
    );
    /// Rows shown; a many-connection run lists the rest in `summary.json` only.
    const SHOWN: usize = 200;
    for c in r.connections.iter().take(SHOWN) {
        let rt = &c.retransmissions;
        let _ = writeln!(
            b,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{} → {}</td><td class=\"l\">{}</td><td>{}</td><td \
             class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            esc(&c.client),
            esc(&c.server),
            if c.offloaded { "yes" } else { "no" },
            c.bytes_delivered,
            if c.integrity_ok {
                "ok"
            } else {
                "<span class=\"bad\">FAILED</span>"
            },
            num(c.completion_time_ns.map(|t| t as f64 / 1e9)),
            num(c.goodput_bps.map(|g| g / 1e6)),
            rt.total,
            rt.by_source.delegated_unacked + rt.by_source.delegated_unsent,
            c.rto_count,
            c.spurious_retransmissions,
        );
    }
    b.push_str("</table>\n");
    if r.connections.len() > SHOWN {
        let _ = writeln!(
            b,
            "<p>The first {SHOWN} of {} connections; every one is in <code>summary.json</code> \
             (<code>connections</code>).</p>",
            r.connections.len()
        );
    }
}

/// The overview table's metric columns: (column header, metric key, show `± half-width`). The
/// source columns are `summary.json`'s `by_source` buckets, headed by their keys.
fn overview_columns() -> Vec<(String, String, bool)> {
    let mut cols = vec![
        ("Goodput [Mbit/s]".to_string(), "goodput_bps".to_string(), true),
        ("Completion time [s]".into(), "completion_time_s".into(), true),
        ("total".into(), "retransmissions.total".into(), true),
    ];
    for (source, _) in crate::metrics::BySource::default().entries() {
        let key = source.key();
        cols.push((key.replace('_', " "), format!("retransmissions.by_source.{key}"), false));
    }
    cols.extend([
        ("RTO expiries".into(), "rto_count".into(), true),
        ("spurious retx".into(), "spurious_retransmissions".into(), true),
        ("p99 pinned [ms]".into(), "pinned_p99_ms".into(), true),
    ]);
    cols
}

/// The values an axis takes across the points, in order of first appearance.
fn axis_values(agg: &Aggregate, axis: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in &agg.points {
        if let Some((_, x)) = p.params.iter().find(|(k, _)| k == axis)
            && !v.contains(x)
        {
            v.push(x.clone());
        }
    }
    v
}

fn param_value<'a>(params: &'a [(String, String)], axis: &str) -> &'a str {
    params.iter().find(|(k, _)| k == axis).map_or("", |(_, v)| v.as_str())
}

/// Section 1: title, description, provenance.
fn sweep_header(b: &mut String, meta: &SweepMeta, rows: &[ResultRow], agg: &Aggregate) {
    let _ = writeln!(b, "<h1>{}</h1>\n<p>{}</p>", esc(&meta.scenario), esc(&meta.description));
    let failed = rows.iter().filter(|r| r.status != "ok").count();
    let _ = writeln!(
        b,
        "<p>offsim {} ({}) · {} runs, <span class=\"{}\">{} failed</span> · {} parameter points</p>",
        esc(&meta.version),
        esc(&meta.commit),
        rows.len(),
        if failed > 0 { "bad" } else { "ok" },
        failed,
        agg.points.len(),
    );
    if !meta.builds.is_empty() {
        let _ = writeln!(
            b,
            "<p class=\"bad\">Runs of {} builds (resumed with --allow-mixed-builds): {}</p>",
            meta.builds.len(),
            meta.builds.iter().map(|s| esc(s)).collect::<Vec<_>>().join(" · ")
        );
    }
}

/// Section 3: data files, section links, the parameters and seeds.
fn sweep_parameters(b: &mut String, agg: &Aggregate) {
    b.push_str(
        "<p>Data: <a href=\"../results.csv\">results.csv</a> · <a href=\"../results.json\">results.json</a> (one \
         row per run) · <a href=\"../aggregate.csv\">aggregate.csv</a> · <a href=\"../aggregate.json\">aggregate.json\
         </a> (per point) · <a href=\"../paired.csv\">paired.csv</a> (paired differences)</p>\n<p>Sections: <a \
         href=\"#findings\">findings</a> · <a href=\"#failed\">failed runs</a> · <a href=\"#overview\">overview</a> · <a href=\"#charts\">charts</a> · \
         <a href=\"#paired\">paired differences</a> · <a href=\"#details\">detailed statistics</a> · <a \
         href=\"#runs\">runs and files</a> · <a href=\"#scenario\">scenario</a></p>\n",
    );
    b.push_str("<h2 id=\"parameters\">Parameters</h2>\n");
    if agg.axes.is_empty() {
        b.push_str("<p>No sweep axes: one parameter point.</p>\n");
    } else {
        b.push_str("<table><tr><th class=\"l\">axis</th><th class=\"l\">values</th></tr>\n");
        for a in &agg.axes {
            let _ = writeln!(
                b,
                "<tr><td class=\"l\"><code>{}</code></td><td class=\"l\">{}</td></tr>",
                esc(a),
                esc(&axis_values(agg, a).join(", "))
            );
        }
        b.push_str("</table>\n");
    }
    let mut per_point: Vec<u64> = agg.points.iter().map(|p| p.runs).collect();
    per_point.sort_unstable();
    per_point.dedup();
    let seeds: Vec<String> = per_point.iter().map(u64::to_string).collect();
    let _ = writeln!(
        b,
        "<p>{} seeds per point; runs with the same replication index share their random numbers across points \
         (common random numbers), so variants are compared pairwise below.</p>",
        seeds.join("/")
    );
}

/// Section 4: failed runs with error, seed, folder and reproducing command.
fn failed_runs(b: &mut String, dir: &Path, rows: &[ResultRow]) {
    let failed: Vec<&ResultRow> = rows.iter().filter(|r| r.status != "ok").collect();
    b.push_str("<h2 id=\"failed\">Failed runs</h2>\n");
    if failed.is_empty() {
        b.push_str("<p class=\"ok\">None.</p>\n");
        return;
    }
    b.push_str(
        "<table><tr><th class=\"l\">run</th><th>seed</th><th class=\"l\">parameters</th><th class=\"l\">error</th>\
         <th class=\"l\">reproduce</th></tr>\n",
    );
    for r in &failed {
        let _ = writeln!(
            b,
            "<tr class=\"failed\"><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td><td \
             class=\"l\">{}</td><td class=\"l\"><code>{}</code></td></tr>",
            run_link(dir, r),
            r.seed,
            esc(&crate::info::params_label(&r.params)),
            esc(r.error.as_deref().unwrap_or("")),
            esc(&r.command)
        );
    }
    b.push_str("</table>\n");
}

/// Section 5: one row per parameter point with the key metrics.
fn overview(b: &mut String, agg: &Aggregate) {
    b.push_str(
        "<h2 id=\"overview\">Overview</h2>\n<p>Per parameter point: mean ± half-width of the Student-t 95% confidence interval over \
         the successful seeds (a mean alone for a single seed). Retransmissions are segments per run, counted at \
         the first hop (chimney rule 12); the five sources sum to the total.</p>\n",
    );
    let axes = &agg.axes;
    let _ = write!(b, "<table><tr>");
    for a in axes {
        let _ = write!(b, "<th class=\"l\" rowspan=\"2\">{}</th>", esc(a));
    }
    b.push_str(
        "<th rowspan=\"2\">n / failed</th><th rowspan=\"2\">Goodput [Mbit/s]</th><th rowspan=\"2\">Completion \
         time [s]</th><th colspan=\"6\">Retransmissions [segments per run]</th><th rowspan=\"2\">RTO \
         expiries</th><th rowspan=\"2\">Spurious retx</th><th rowspan=\"2\">p99 pinned [ms]</th></tr>\n<tr>",
    );
    let columns = overview_columns();
    for (h, _, _) in &columns[2..8] {
        let _ = write!(b, "<th>{h}</th>");
    }
    b.push_str("</tr>\n");
    for p in &agg.points {
        let bad = !p.failed.is_empty() || p.integrity_failures > 0;
        let _ = write!(b, "<tr{}>", if bad { " class=\"failed\"" } else { "" });
        for a in axes {
            let _ = write!(b, "<td class=\"l\">{}</td>", esc(param_value(&p.params, a)));
        }
        let n = p.runs - p.failed.len() as u64;
        let integrity = if p.integrity_failures > 0 {
            format!(" <span class=\"bad\">({} integrity)</span>", p.integrity_failures)
        } else {
            String::new()
        };
        let _ = write!(b, "<td>{n} / {}{integrity}</td>", p.failed.len());
        for (_, key, with_ci) in &columns {
            let (_, scale) = metric_head(key);
            let s = p.metric(key).and_then(|m| m.summary);
            let text = if *with_ci {
                pm(
                    s.map(|s| s.mean * scale),
                    s.and_then(|s| s.ci95_half_width).map(|h| h * scale),
                )
            } else {
                num(s.map(|s| s.mean * scale))
            };
            let _ = write!(b, "<td>{text}</td>");
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
}

/// Section 5: paired differences, one table per compared pair of axis values.
fn paired_section(b: &mut String, agg: &Aggregate, numeric: &[String]) {
    b.push_str(
        "<h2 id=\"paired\">Paired differences between variants</h2>\n<p>variant − baseline of each metric, paired by replication \
         index (same random numbers), as mean ± 95% CI half-width over the pairs. <span class=\"sig\">Highlighted \
         ✱</span>: the CI excludes 0 (significant at 5%). <code>0 ± 0</code>: identical in every pair. Each row fixes the \
         other parameters.</p>\n",
    );
    // (axis, baseline, variant) in order of first appearance.
    let mut comparisons: Vec<(&str, &str, &str)> = Vec::new();
    for d in &agg.paired {
        let k = (d.axis.as_str(), d.baseline.as_str(), d.variant.as_str());
        if !comparisons.contains(&k) {
            comparisons.push(k);
        }
    }
    if comparisons.is_empty() {
        b.push_str("<p>None: no two points differ in exactly one parameter.</p>\n");
        return;
    }
    // Categorical axes first (the variants being compared); numeric ones are on the charts.
    comparisons.sort_by_key(|(axis, _, _)| numeric.iter().any(|n| n == axis));
    let mut folded = false;
    for (axis, base, var) in comparisons {
        let is_numeric = numeric.iter().any(|n| n == axis);
        if is_numeric && !folded {
            b.push_str(
                "<details><summary>Paired differences along numeric axes (also visible on the charts)</summary>\n",
            );
            folded = true;
        }
        let _ = writeln!(
            b,
            "<h3><code>{a}={v}</code> − <code>{a}={bl}</code></h3>",
            a = esc(axis),
            v = esc(var),
            bl = esc(base)
        );
        let diffs: Vec<&crate::aggregate::PairedDiff> = agg
            .paired
            .iter()
            .filter(|d| d.axis == axis && d.baseline == base && d.variant == var)
            .collect();
        let mut families: Vec<&[(String, String)]> = Vec::new();
        for d in &diffs {
            if !families.contains(&d.others.as_slice()) {
                families.push(&d.others);
            }
        }
        b.push_str("<table><tr><th class=\"l\">other parameters</th><th>pairs</th>");
        for m in KEY_METRICS {
            let _ = write!(b, "<th>Δ {}</th>", esc(&metric_head(m).0));
        }
        b.push_str("</tr>\n");
        for f in families {
            let of = |m: &str| diffs.iter().find(|d| d.others.as_slice() == f && d.metric == m);
            let pairs = of(KEY_METRICS[0]).and_then(|d| d.summary).map_or(0, |s| s.n);
            let label = if f.is_empty() {
                "–".to_string()
            } else {
                crate::info::params_label(f)
            };
            let _ = write!(b, "<tr><td class=\"l\">{}</td><td>{pairs}</td>", esc(&label));
            for m in KEY_METRICS {
                let (_, scale) = metric_head(m);
                let d = of(m);
                let s = d.and_then(|d| d.summary);
                let text = pm(
                    s.map(|s| s.mean * scale),
                    s.and_then(|s| s.ci95_half_width).map(|h| h * scale),
                );
                if d.is_some_and(|d| d.significant) {
                    let _ = write!(b, "<td class=\"sig\">{text} ✱</td>");
                } else {
                    let _ = write!(b, "<td>{text}</td>");
                }
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table>\n");
    }
    if folded {
        b.push_str("</details>\n");
    }
}

/// Section 6: every metric of every point, folded.
fn detail_tables(b: &mut String, agg: &Aggregate) {
    let _ = writeln!(
        b,
        "<h2 id=\"details\">Detailed statistics per point</h2>\n<p>Mean, sample standard deviation, Student-t 95% CI, range, and \
         the seeds a CI half-width of {}% of the mean would need, for every metric.</p>",
        sig(agg.target_relative_half_width * 100.0, 3)
    );
    for p in &agg.points {
        let _ = writeln!(
            b,
            "<details><summary><b>{}</b> — {} runs, {} failed, {} integrity failures</summary>",
            esc(&p.label),
            p.runs,
            p.failed.len(),
            p.integrity_failures
        );
        b.push_str(
            "<table><tr><th class=\"l\">metric [unit]</th><th>n</th><th>mean</th><th>sd</th><th>95% CI</th>\
             <th>min</th><th>max</th><th>seeds for target</th></tr>\n",
        );
        for m in &p.metrics {
            let (head, k) = metric_head(&m.metric);
            let s = m.summary;
            let sc = |v: Option<f64>| v.map(|x| x * k);
            let _ = writeln!(
                b,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}\
                 </td></tr>",
                esc(&head),
                s.map_or(0, |s| s.n),
                num(sc(s.map(|s| s.mean))),
                s.map_or("–".to_string(), |s| sig(s.sd * k, 3)),
                ci_text(
                    sc(s.and_then(|s| s.ci95_lo)),
                    sc(s.and_then(|s| s.ci95_hi)),
                    sc(s.and_then(|s| s.ci95_half_width))
                ),
                num(sc(s.map(|s| s.min))),
                num(sc(s.map(|s| s.max))),
                m.seeds_for_target.map_or("–".to_string(), |n| n.to_string())
            );
        }
        b.push_str("</table></details>\n");
    }
}

/// Section 7: every run with links to its folder and files.
fn runs_section(b: &mut String, dir: &Path, rows: &[ResultRow]) {
    b.push_str(
        "<h2 id=\"runs\">Runs</h2>\n<p>Each run's folder holds <code>summary.json</code> and the artefacts its \
         <code>artifacts</code> field lists: CSVs, one pcapng per link direction and one sender-side pcapng per \
         connection (<code>&lt;conn&gt;-sender.pcapng</code>, open this one in Wireshark; headers only unless \
         <code>--pcap-payload</code>), and its charts. By default a sweep writes captures and charts only for the \
         <b>example</b> run of each parameter point (its median seed by goodput).</p>\n<table><tr><th class=\"l\">run</th><th>seed</th><th>#</th><th \
         class=\"l\">parameters</th><th class=\"l\">status</th><th>goodput [Mbit/s]</th><th>retx</th><th>RTOs</th>\
         <th>spurious</th><th class=\"l\">files</th></tr>\n",
    );
    for r in rows {
        let m = |k: &str| r.metrics.get(k).copied().flatten();
        let status = match (r.status == "ok", r.integrity_ok) {
            (true, true) => "ok",
            (true, false) => "ok, INTEGRITY FAILED",
            (false, _) => "failed",
        };
        let base = format!("../{}/", r.dir);
        let files: Vec<String> = list_files(&dir.join(&r.dir))
            .into_iter()
            .filter(|f| f.ends_with(".json") || f.ends_with(".pcapng") || f.ends_with(".png"))
            .map(|f| format!("<a href=\"{}{}\">{}</a>", href(&base), href(&f), esc(&f)))
            .collect();
        let _ = writeln!(
            b,
            "<tr{}><td class=\"l\">{} (<a href=\"{}\">folder</a>){}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td \
             class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l files\">{}</td></tr>",
            if r.status == "ok" { "" } else { " class=\"failed\"" },
            run_link(dir, r),
            href(&base),
            if r.example { " <b>example</b>" } else { "" },
            r.seed,
            r.seed_index,
            esc(&crate::info::params_label(&r.params)),
            esc(status),
            num(m("goodput_bps").map(|g| g / 1e6)),
            num(m("retransmissions.total")),
            num(m("rto_count")),
            num(m("spurious_retransmissions")),
            files.join(" · ")
        );
    }
    b.push_str("</table>\n");
}

/// The chart shown under the findings: retransmissions by source per point (where offload
/// moves them is the question a chimney sweep asks).
const KEY_CHART: &str = "retx-by-source";

/// Section 2: the findings in sentences (see [`crate::findings`]), then the key chart.
fn findings_section(b: &mut String, agg: &Aggregate, meta: &SweepMeta) {
    use crate::findings::{ALPHA, axis_summary, findings, sentence};
    /// Sentences shown per axis before the rest are folded (those with the most significant
    /// changes first), so the first screen stays a summary.
    const SHOWN: usize = 3;
    b.push_str(
        "<h2 id=\"findings\">Findings</h2>\n<p class=\"note\">Per swept axis: what changes significantly between \
         its values (paired t-test over the common-random-number seeds, 5% level; how to read it: under the chart).</p>\n",
    );
    let all = findings(agg);
    if agg.axes.is_empty() {
        b.push_str("<p>One parameter point: nothing to compare.</p>\n");
    }
    // Categorical axes (the variants a design review compares) before numeric ones.
    let numeric = crate::sweep::numeric_axes(agg);
    let mut axes: Vec<&String> = agg.axes.iter().collect();
    axes.sort_by_key(|a| numeric.contains(a));
    for axis in axes {
        let mut fs: Vec<&crate::findings::Finding> = all.iter().filter(|f| &f.axis == axis).collect();
        if fs.is_empty() {
            let _ = writeln!(
                b,
                "<p class=\"finding\"><b>{}</b>: one value only (or no two points differ in it alone), nothing to \
                 compare.</p>",
                esc(axis)
            );
            continue;
        }
        // Stable: equal counts keep the aggregate's order.
        fs.sort_by_key(|f| std::cmp::Reverse(f.significant_count()));
        let _ = writeln!(
            b,
            "<p class=\"finding\"><b>{}</b></p>\n<ul class=\"findings\">",
            esc(&axis_summary(axis, &fs))
        );
        for (i, f) in fs.iter().enumerate() {
            if i == SHOWN {
                let _ = writeln!(
                    b,
                    "</ul><details><summary>{} more comparisons along {}</summary><ul class=\"findings\">",
                    fs.len() - SHOWN,
                    esc(axis)
                );
            }
            let _ = writeln!(b, "<li>{}</li>", esc(&sentence(f)));
        }
        b.push_str(if fs.len() > SHOWN {
            "</ul></details>\n"
        } else {
            "</ul>\n"
        });
    }
    if meta.charts.iter().any(|c| c == KEY_CHART) {
        b.push_str("<div id=\"key-chart\">\n");
        figure(b, "../charts/", KEY_CHART);
        b.push_str("</div>\n");
    }
    let _ = writeln!(
        b,
        "<p class=\"note\">How to read: each comparison pairs the runs of two points by replication index (common \
         random numbers) and tests the mean per-seed difference (variant − baseline) with a two-sided paired t-test, \
         each at the {}% level with no correction for the number of tests. ± is the 95% CI half-width of the mean \
         difference, relative to the baseline's mean where that is not 0. \"Unchanged\" means not significant, not \
         equal; \"identical in every seed\" means equal. n counts seeds that succeeded at both points. Metrics with \
         no value at either point (e.g. pinned time without an offload) are left out.</p>",
        sig(ALPHA * 100.0, 2)
    );
}

/// The sweep page and its per-run pages (paths relative to `report/`).
/// `line_charts`: the line charts to show instead of the sweep's own (the stems in
/// `sweep.json` that are not retransmission bars).
fn sweep_page(dir: &Path, line_charts: Option<Vec<String>>) -> Result<(String, Vec<(String, String)>)> {
    let rows: Vec<ResultRow> = read_json(&dir.join("results.json"))?;
    let agg = Aggregate::read(&dir.join("aggregate.json"))?;
    let mut meta: SweepMeta = if dir.join("sweep.json").exists() {
        read_json(&dir.join("sweep.json"))?
    } else {
        Default::default()
    };
    if let Some(lines) = line_charts {
        meta.charts.retain(|c| c.starts_with("retx-by-"));
        meta.charts.extend(lines);
    }
    let mut pages = Vec::new();
    for r in &rows {
        let run = dir.join(&r.dir);
        if run.join("summary.json").is_file() {
            let report = RunReport::read(&run.join("summary.json"))?;
            // Page to page: both are in `report/runs/`.
            let example = rows.iter().find(|x| x.example && x.params == r.params).map(|x| {
                let page = run_page_path(x);
                let file = page.rsplit('/').next().unwrap_or(&page).to_string();
                (x.run_id.as_str(), file)
            });
            let html = run_page(
                &run,
                &report,
                &format!("../../{}/", r.dir),
                Some("../index.html"),
                example,
            );
            pages.push((run_page_path(r), html));
        }
    }
    let numeric = crate::sweep::numeric_axes(&agg);
    let mut b = String::new();
    sweep_header(&mut b, &meta, &rows, &agg);
    findings_section(&mut b, &agg, &meta);
    sweep_parameters(&mut b, &agg);
    failed_runs(&mut b, dir, &rows);
    overview(&mut b, &agg);
    b.push_str("<h2 id=\"charts\">Charts</h2>\n");
    if !numeric.is_empty() {
        b.push_str(
            "<p>Variants drawn at the same x are offset slightly left/right so none hides another; the tick labels \
             give the true values.</p>\n",
        );
    }
    if meta.charts.iter().any(|c| c == KEY_CHART) {
        b.push_str("<p>Retransmissions by source: under the <a href=\"#key-chart\">findings</a>.</p>\n");
    }
    for stem in meta.charts.iter().filter(|c| *c != KEY_CHART) {
        figure(&mut b, "../charts/", stem);
    }
    paired_section(&mut b, &agg, &numeric);
    detail_tables(&mut b, &agg);
    runs_section(&mut b, dir, &rows);
    let _ = writeln!(
        b,
        "<h2 id=\"scenario\">Scenario</h2>\n<pre>{}</pre>",
        esc(&meta.scenario_text)
    );
    Ok((page(&meta.scenario, &b), pages))
}

/// A run's page relative to `report/`: `runs/<run folder>.html` (the folder name is already
/// sanitised, see [`crate::run_dir`]).
fn run_page_path(r: &ResultRow) -> String {
    format!("{}.html", r.dir)
}

/// The run id as a link to its page, or to its folder when it has no `summary.json`.
fn run_link(dir: &Path, r: &ResultRow) -> String {
    if dir.join(&r.dir).join("summary.json").is_file() {
        format!("<a href=\"{}\">{}</a>", href(&run_page_path(r)), esc(&r.run_id))
    } else {
        format!(
            "<a href=\"../{}/\">{}</a> (no summary.json)",
            href(&r.dir),
            esc(&r.run_id)
        )
    }
}

/// Writes `out/index.html` for a comparison.
pub(crate) fn write_compare_html(
    out: &Path,
    a: &str,
    b_name: &str,
    rows: &[CompareRow],
    stems: &[String],
    sentences: &[String],
) -> Result<()> {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>Comparison</h1>\n<p>{} vs {}; difference = B − A. Files: <a href=\"compare.csv\">compare.csv</a>, <a href=\"compare.json\">compare.json</a>, <a href=\"summary.txt\">summary.txt</a></p>",
        esc(a),
        esc(b_name)
    );
    b.push_str("<h2 id=\"findings\">What differs</h2>\n<ul class=\"findings\">\n");
    for s in sentences {
        let _ = writeln!(b, "<li>{}</li>", esc(s));
    }
    b.push_str(
        "</ul>\n<p class=\"note\">Runs with the same seed in A and B are paired; each metric is tested with a \
         two-sided paired t-test on the per-seed differences B − A at the 5% level (no correction for the number of \
         tests). ± is the 95% CI half-width of the mean difference, relative to A's mean where that is not 0.</p>\n",
    );
    b.push_str("<table><tr><th class=\"l\">point</th><th class=\"l\">metric</th><th>A mean ± hw</th><th>B mean ± hw</th><th>diff</th><th>rel</th><th class=\"l\">CIs overlap</th><th>paired seeds</th><th>paired Δ ± hw</th><th>p</th></tr>\n");
    for r in rows.iter().filter(|r| KEY_METRICS.contains(&r.metric.as_str())) {
        let pm = |m: Option<f64>, h: Option<f64>| format!("{} ± {}", num(m), num(h));
        let overlap = match r.ci_overlap {
            Some(true) => "yes".to_string(),
            Some(false) => "<b>no</b>".to_string(),
            None => "–".to_string(),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{overlap}</td><td>{}</td><td{}>{}</td><td>{}</td></tr>",
            esc(&r.point),
            esc(&r.metric),
            pm(r.a_mean, r.a_ci95_half_width),
            pm(r.b_mean, r.b_ci95_half_width),
            num(r.diff),
            r.rel_diff.map_or("–".to_string(), |x| format!("{:+.1}%", x * 100.0)),
            r.paired_n,
            if r.paired_p.is_some_and(|p| p < crate::findings::ALPHA) {
                " class=\"sig\""
            } else {
                ""
            },
            pm(r.paired_diff, r.paired_ci95_half_width),
            r.paired_p.map_or("–".to_string(), crate::findings::p_text)
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
    fn a_many_connection_run_page_lists_200_connections_and_says_where_the_rest_are() {
        let r = RunReport {
            connections: (0..250)
                .map(|i| crate::metrics::ConnReport {
                    name: format!("c{i}"),
                    conn: i,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let mut b = String::new();
        connections_table(&mut b, &r);
        assert_eq!(b.matches("<tr><td").count(), 200);
        assert!(b.contains("<td class=\"l\">c199</td>") && !b.contains(">c200<"));
        assert!(b.contains("The first 200 of 250 connections; every one is in <code>summary.json</code>"));
    }

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(href("a b#c"), "a%20b%23c");
        assert_eq!(num(Some(12.0)), "12");
        assert_eq!(num(Some(1.234_56)), "1.235");
        assert_eq!(num(Some(1234.567)), "1235");
        assert_eq!(num(None), "–");
    }

    #[test]
    fn significant_digits_without_float_noise() {
        assert_eq!(sig(0.0, 3), "0");
        assert_eq!(sig(-0.0, 3), "0");
        assert_eq!(sig(0.25, 4), "0.25");
        assert_eq!(sig(3.75, 4), "3.75");
        assert_eq!(sig(8_424_841.558_575_12, 4), "8424842");
        assert_eq!(sig(0.000_012_34, 3), "1.23e-5");
        assert_eq!(sig(-0.000_4, 1), "-0.0004");
        assert_eq!(pm(Some(4.354_62), Some(0.340_1)), "4.35 ± 0.34");
        assert_eq!(pm(Some(14.26), Some(2.71)), "14.3 ± 2.7");
        assert_eq!(pm(Some(1175.66), Some(0.0)), "1176 ± 0");
        assert_eq!(pm(Some(1971.3), Some(179.2)), "1971 ± 179");
        assert_eq!(pm(Some(-0.001), Some(0.3)), "0.00 ± 0.30");
        assert_eq!(pm(Some(3.0), None), "3");
        assert_eq!(ci_text(Some(-0.17), Some(0.42), Some(0.295)), "[-0.17, 0.42]");
    }
}
