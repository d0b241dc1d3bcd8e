//! The `exsim` binary: a thin shell over [`exsim::cli`]. A panic anywhere is reported as a bug
//! with exit code 3 (SPEC §8), never as a silent crash; the report itself never panics, even when
//! standard error cannot be written.

use std::process::ExitCode;

/// mimalloc keeps freed memory for reuse, so runs in a sweep do not page-fault each other's
/// allocations in and out (measured in benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "exsim: internal error (a bug in exsim, please report it): {info}");
    }));
    match std::panic::catch_unwind(exsim::cli::main) {
        Ok(code) => code,
        Err(_) => ExitCode::from(exsim::cli::EXIT_PANIC),
    }
}
