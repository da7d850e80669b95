//! `cargo xtask`: offsim's command line under the repository's cargo alias (see the library,
//! `xtask::main_as`, for the commands).

#[global_allocator]
static ALLOCATOR: xtask::Allocator = xtask::Allocator;

/// Huge pages off before the runtime's first allocations (`xtask::memory::before_main`).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_MAIN: extern "C" fn() = xtask::memory::before_main;

fn main() -> std::process::ExitCode {
    xtask::main_as("cargo xtask")
}
