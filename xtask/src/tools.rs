//! `cargo xtask test`: make sure the tools the tests drive are installed, then run the suite.
//!
//! The pcap tests read offsim's captures with tshark, and the report tests load the HTML
//! report in headless Chromium. On a fresh Debian machine (as root) the missing packages are
//! installed with apt-get; elsewhere a clear message says what to install. The test run sets
//! `OFFSIM_REQUIRE_TOOLS=1`, so those tests fail rather than skip when a tool is missing, and
//! runs the scenario fuzz longer than a plain `cargo test` does, within a time budget.

use anyhow::{Result, bail};
use std::process::Command;

/// Cases of the scenario fuzz in a full test run, and its time budget [s].
const FUZZ_CASES: &str = "50000";
const FUZZ_SECS: &str = "90";

/// Debian packages the tests need, with the command each provides.
const TOOLS: [(&str, &str); 2] = [("tshark", "tshark"), ("chromium", "chromium")];

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

fn install(packages: &[&str]) -> Result<()> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !is_root || !have("apt-get") {
        bail!(
            "missing test tools: install the Debian packages {} (apt-get install -y {})",
            packages.join(", "),
            packages.join(" ")
        );
    }
    eprintln!("installing test tools: {}", packages.join(" "));
    let update = Command::new("apt-get").args(["update", "-qq"]).status()?;
    if !update.success() {
        bail!("apt-get update failed");
    }
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !status.success() {
        bail!("apt-get install {} failed", packages.join(" "));
    }
    Ok(())
}

/// Installs missing tools, then runs `cargo test --workspace`.
pub fn test() -> Result<()> {
    let missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(_, cmd)| !have(cmd))
        .map(|(pkg, _)| *pkg)
        .collect();
    if !missing.is_empty() {
        install(&missing)?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["test", "--workspace"]).env("OFFSIM_REQUIRE_TOOLS", "1");
    // The scenario fuzz (scenarios/tests/it/fuzz.rs): more cases than a plain `cargo test`,
    // within a time budget, unless the caller chose.
    for (var, value) in [("OFFSIM_FUZZ_CASES", FUZZ_CASES), ("OFFSIM_FUZZ_SECS", FUZZ_SECS)] {
        if std::env::var_os(var).is_none() {
            command.env(var, value);
        }
    }
    let status = command.status()?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
