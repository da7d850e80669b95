//! `cargo xtask test`: make sure the tools the tests drive are installed, then run the suite.
//!
//! The pcap tests read offsim's captures with tshark, and the report tests load the HTML
//! report in headless Chromium. On a fresh Debian machine (as root) the missing packages are
//! installed with apt-get; elsewhere a clear message says what to install. The test run sets
//! `OFFSIM_REQUIRE_TOOLS=1`, so those tests fail rather than skip when a tool is missing.

use anyhow::{Result, bail};
use std::process::Command;

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
    let status = Command::new(cargo)
        .args(["test", "--workspace"])
        .env("OFFSIM_REQUIRE_TOOLS", "1")
        .status()?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
