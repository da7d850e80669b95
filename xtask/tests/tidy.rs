//! `tidy`: the project's own style rules, checked on every test run (rust-analyzer's tidy).
//!
//! - every Rust file starts with a module doc (`//!`) saying what it is;
//! - no should-panic or ignored tests: a failure asserts an `Err`, and every test runs;
//! - no `HashMap`/`HashSet` in the kernel or the models, where iteration order could reach
//!   an output (use `BTreeMap`/`Vec`);
//! - no source file above 1600 lines (split it by topic);
//! - every chimney "rule N" cited in the sources is a numbered rule of
//!   `docs/offload-contract.md`, so every citation resolves inside the repository.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() && !name.starts_with('.') && name != "target" && !name.starts_with("target-") {
            rust_files(&p, out);
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn tidy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for krate in ["sim-core", "models", "scenarios", "reports", "xtask"] {
        rust_files(&root.join(krate), &mut files);
    }
    assert!(
        files.len() > 50,
        "found only {} Rust files under {}",
        files.len(),
        root.display()
    );
    let mut problems = Vec::new();
    let (panic_attr, ignore_attr) = (concat!("#[should", "_panic"), concat!("#[ig", "nore]"));
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{rel}: no module doc (`//!`) on the first line"));
        }
        if text.contains(panic_attr) || text.contains(ignore_attr) {
            problems.push(format!("{rel}: should_panic or ignore attribute"));
        }
        let core = rel.starts_with("sim-core/src") || rel.starts_with("models/src");
        if core && (text.contains("HashMap") || text.contains("HashSet")) {
            problems.push(format!(
                "{rel}: HashMap/HashSet in the kernel or models (iteration order)"
            ));
        }
        let lines = text.lines().count();
        if lines > 1600 {
            problems.push(format!("{rel}: {lines} lines (limit 1600)"));
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

#[test]
fn every_cited_chimney_rule_is_in_the_offload_contract() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let contract = std::fs::read_to_string(root.join("docs/offload-contract.md")).unwrap();
    let defined: std::collections::BTreeSet<u32> = contract
        .lines()
        .filter_map(|l| l.split_once(". ").and_then(|(n, _)| n.parse().ok()))
        .collect();
    assert!(defined.len() >= 47, "docs/offload-contract.md defines only {defined:?}");
    let mut files = Vec::new();
    for krate in ["models", "scenarios", "reports", "xtask"] {
        rust_files(&root.join(krate), &mut files);
    }
    let mut missing = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("rule ") {
            let digits: String = text[i + 5..].chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<u32>()
                && !defined.contains(&n)
            {
                missing.push(format!("{}: rule {n}", f.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cited but not in docs/offload-contract.md:\n{}",
        missing.join("\n")
    );
}

/// `docs/scenarios.md` is what `cargo xtask docs` generates from the schema's doc comments.
#[test]
fn scenario_reference_is_up_to_date() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["docs", "--check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
