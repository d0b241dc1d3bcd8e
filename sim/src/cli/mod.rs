//! The `exsim` command line (SPEC §8): argument parsing and exit codes. All real work is in the
//! library; this layer reads files, writes streams, and maps outcomes to exit codes:
//! 0 success, 1 an expectation failed, 2 bad input or usage, 3 exsim itself panicked.

mod book;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: exsim itself panicked.
pub const EXIT_PANIC: u8 = 3;

/// exsim — a deterministic exchange simulator and fuzzing harness.
#[derive(Debug, Parser)]
#[command(name = "exsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Feed an order-flow file through the bare matching engine (SPEC §8.1).
    ///
    /// Input lines: N,<id>,<B|S>,<price>,<qty>[,<tif>] (tif GTC, IOC, FOK or POST),
    /// M,<id>,<B|S>,<qty>, C,<id>, R,<id>,<price>,<qty>; blank and # lines are skipped.
    /// Output lines: T,<price>,<qty>,<maker>,<taker>  X,<id>,<qty>  J,<id>,<reason>,
    /// and last B,<best_bid>,<best_ask>.
    Book(book::BookArgs),
}

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Book(args) => book::run(&args),
    }
}
