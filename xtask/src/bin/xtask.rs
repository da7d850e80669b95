//! `cargo xtask`: offsim's command line under the repository's cargo alias (see the library,
//! `xtask::main_as`, for the commands).

#[global_allocator]
static ALLOCATOR: xtask::Allocator = xtask::Allocator;

fn main() -> std::process::ExitCode {
    xtask::main_as("cargo xtask")
}
