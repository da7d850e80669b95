//! `offsim`: the same command line as `cargo xtask`, as a plain binary to install
//! (`cargo install --path xtask --bin offsim`).

xtask::process_setup!();

fn main() -> std::process::ExitCode {
    xtask::main_as("offsim")
}
