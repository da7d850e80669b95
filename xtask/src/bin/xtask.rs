//! `cargo xtask`: offsim's command line under the repository's cargo alias (see the library,
//! `xtask::main_as`, for the commands).

xtask::process_setup!();

fn main() -> std::process::ExitCode {
    xtask::main_as("cargo xtask")
}
