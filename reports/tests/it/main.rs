//! Integration tests of the reports crate against synthetic runs (`reports::testdata`).
//!
//! External tools (tshark, chromium) are used when installed; when one is missing the test
//! prints a `SKIP` line, or fails if `OFFSIM_REQUIRE_TOOLS=1`.

mod charts;
mod html;
mod pcap;
mod run;
mod streaming;
mod sweep;
mod topology;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The path of `tool` if it is installed. Missing: `None` after a SKIP line, or a panic when
/// `OFFSIM_REQUIRE_TOOLS=1`.
pub fn tool(tool: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    if found.is_none() {
        let required = std::env::var("OFFSIM_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{test}: `{tool}` is not installed and OFFSIM_REQUIRE_TOOLS=1"
        );
        println!("SKIP {test}: `{tool}` not installed (set OFFSIM_REQUIRE_TOOLS=1 to make this a failure)");
    }
    found
}

/// Runs a command, asserting success; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Where to keep chart outputs for viewing: `OFFSIM_KEEP_CHARTS=<dir>` copies them there.
pub fn keep(dir: &Path, name: &str) {
    if let Some(keep) = std::env::var_os("OFFSIM_KEEP_CHARTS") {
        let dest = Path::new(&keep).join(name);
        let _ = std::fs::remove_dir_all(&dest);
        copy_dir(dir, &dest);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
