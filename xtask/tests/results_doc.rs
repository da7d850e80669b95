//! Issue 15, `docs/results.md` cannot fall behind: every key of the JSON files and every
//! column of the CSV files that real runs and a real sweep write (the mini sweep with failing
//! runs and an offload, the catalog's cross-traffic scenario for flows, a comparison) appears
//! in the page, in backquotes, and so does every kind of file a folder holds.

use std::collections::BTreeSet;
use std::path::Path;

#[path = "common/run.rs"]
mod run;

fn xtask(args: &[&str], paths: &[&Path]) {
    let o = run::xtask().args(args).args(paths).output().expect("start xtask");
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "xtask {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every object key in `v`, at any depth, except inside objects reached through a key of
/// `skip` (maps keyed by data, e.g. `results.json`'s per-connection `metrics`).
fn json_keys(v: &serde_json::Value, skip: &[&str], out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.insert(k.clone());
                if !skip.contains(&k.as_str()) {
                    json_keys(x, skip, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_keys(x, skip, out)),
        _ => {}
    }
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn csv_header(p: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// A file name as the page names its kind: the scenario's connection and link names
/// replaced by `<conn>` and `<link>`.
fn file_kind(name: &str) -> String {
    for (prefix, kind) in [("timeseq-", "timeseq-<conn>"), ("cc-", "cc-<conn>")] {
        if name.starts_with(prefix) && !name.ends_with(".csv") {
            return format!("{kind}.{{png,svg}}");
        }
    }
    if name.ends_with("-sender.pcapng") {
        return "<conn>-sender.pcapng".into();
    }
    if name.ends_with(".pcapng") {
        return "<link>.pcapng".into();
    }
    if let Some(stem) = name.strip_suffix(".png").or_else(|| name.strip_suffix(".svg")) {
        return format!("{stem}.{{png,svg}}");
    }
    name.to_string()
}

#[test]
fn results_doc_names_every_key_and_column() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let doc = std::fs::read_to_string(root.join("docs/results.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (sweep, run, cmp) = (tmp.path().join("sweep"), tmp.path().join("run"), tmp.path().join("cmp"));
    xtask(
        &[
            "sweep",
            "tests/data/mini_sweep.ron",
            "--seeds",
            "1",
            "--artifacts",
            "all",
            // Recorded in the manifest; they change nothing here (7 is the base seed, every
            // loss value is selected).
            "--set",
            "seed=7",
            "--only",
            "loss=0.0",
            "--only",
            "loss=0.02",
            "--only",
            "loss=1.0",
            "--out",
        ],
        &[&sweep],
    );
    xtask(
        &[
            "run",
            "../scenarios/catalog/cross_traffic.ron",
            "--artifacts",
            "all",
            "--out",
        ],
        &[&run],
    );
    xtask(&["compare"], &[&sweep, &sweep, Path::new("--out"), &cmp]);

    let axes = ["loss", "offload"];
    let mut missing = BTreeSet::new();
    let mut want = |what: &str, name: &str| {
        if !doc.contains(&format!("`{name}`")) {
            missing.insert(format!("{what}: `{name}`"));
        }
    };

    let mut run_dirs = vec![run.clone()];
    for e in std::fs::read_dir(sweep.join("runs")).unwrap() {
        run_dirs.push(e.unwrap().path());
    }
    run_dirs.sort();
    for dir in &run_dirs {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            want("run folder file", &file_kind(name));
            let p = dir.join(name);
            if name.ends_with(".csv") {
                for col in csv_header(&p) {
                    want(name, &col);
                }
            } else if name.ends_with(".json") {
                let mut keys = BTreeSet::new();
                json_keys(&read_json(&p), &[], &mut keys);
                keys.iter().for_each(|k| want(name, k));
            }
        }
    }

    for name in ["manifest.json", "sweep.json", "aggregate.json", "results.json"] {
        want("sweep folder file", name);
        let mut keys = BTreeSet::new();
        json_keys(&read_json(&sweep.join(name)), &["metrics"], &mut keys);
        keys.retain(|k| name != "results.json" || !axes.contains(&k.as_str()));
        keys.iter().for_each(|k| want(name, k));
    }
    for name in ["results.csv", "aggregate.csv", "paired.csv"] {
        want("sweep folder file", name);
        for col in csv_header(&sweep.join(name)) {
            if axes.contains(&col.as_str()) {
                continue;
            }
            // `conn.c1.goodput_bps` is documented as `conn.<name>.goodput_bps`.
            let col = match col.strip_prefix("conn.c1.") {
                Some(rest) => format!("conn.<name>.{rest}"),
                None => col,
            };
            want(name, &col);
        }
    }
    for name in ["compare.json", "compare.csv"] {
        want("comparison file", name);
    }
    let mut keys = BTreeSet::new();
    json_keys(&read_json(&cmp.join("compare.json")), &[], &mut keys);
    keys.iter().for_each(|k| want("compare.json", k));
    for col in csv_header(&cmp.join("compare.csv")) {
        want("compare.csv", &col);
    }
    assert!(
        missing.is_empty(),
        "docs/results.md does not define:\n  {}",
        missing.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}
