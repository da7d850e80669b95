//! How the xtask test binaries start the program under test: from the crate folder (the
//! recorded paths and commands are short), with the recorded commit pinned (a commit made
//! while the tests run cannot make two results differ) and no stdin.
#![allow(dead_code)] // each test binary uses what it needs

use std::process::{Command, Output, Stdio};

/// The commit every run of these tests records.
pub const COMMIT: &str = "0123456789ab";

/// `xtask`, ready for its arguments.
pub fn xtask() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OFFSIM_COMMIT", COMMIT)
        .stdin(Stdio::null());
    c
}

/// Exit status, stdout and stderr of a finished command, for assertion messages.
pub fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
