//! The `exsim` command line (SPEC §8): argument parsing and exit codes. All real work is in the
//! library; this layer reads files, writes streams, measures wall time, and maps outcomes to exit
//! codes: 0 every expectation met, 1 an expectation failed, 2 bad input or usage (or output that
//! cannot be written), 3 exsim itself panicked. Every byte it prints goes through `output`, so no
//! write can panic and no failed write passes for success.

// `print!` and friends panic when a stream fails: every byte goes through `output`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod book;
mod check;
mod diff;
mod junit;
mod list;
mod load;
mod merge;
mod output;
mod replay;
mod run;
mod schema;
mod shrink;
mod sweep;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: an expectation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: exsim itself panicked.
pub const EXIT_PANIC: u8 = 3;

/// exsim — a deterministic exchange simulator and fuzzing harness.
///
/// With no command, runs the embedded quickstart scenario (`exsim run quickstart`).
#[derive(Debug, Parser)]
#[command(
    name = "exsim",
    version,
    about,
    long_about = None,
    after_help = "With no command, exsim runs the embedded quickstart scenario (`exsim run quickstart`)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios (default: the embedded quickstart) with all their variants; print a summary.
    Run(run::RunArgs),
    /// Run a scenario over many seeds in parallel; print a reproduction command for every failure.
    Sweep(sweep::SweepArgs),
    /// Combine the `--json` outputs of a sweep's shards into what the whole sweep would print.
    ///
    /// Each FILE is one shard's `exsim sweep … --shard I/N --json`. Prints the failures and the
    /// total (or, with --json, every run's line) as the unsharded sweep would, in seed order;
    /// refuses (exit 2) files that are not the shards of one sweep. Exit 0, 1 or 3 as `sweep`.
    Merge(merge::MergeArgs),
    /// Validate scenario files without running them.
    Check(check::CheckArgs),
    /// Print a catalogue, one line each: scenarios, invariants, faults, policies or agents.
    List(list::ListArgs),
    /// Print the JSON Schema of scenario files (for editors: scenarios/scenario.schema.json).
    Schema(schema::SchemaArgs),
    /// Feed an order-flow file through the bare matching engine (SPEC §8.1).
    ///
    /// Input lines: N,<id>,<B|S>,<price>,<qty>[,<tif>] (tif GTC, IOC, FOK or POST),
    /// M,<id>,<B|S>,<qty>, C,<id>, R,<id>,<price>,<qty>; blank and # lines are skipped.
    /// Output lines: T,<price>,<qty>,<maker>,<taker>  X,<id>,<qty>  J,<id>,<reason>,
    /// and last B,<best_bid>,<best_ask> (with --each: after every message, flushed).
    Book(book::BookArgs),
    /// Re-run a trace, a regression file or a fuzz artifact.
    ///
    /// A trace (`exsim run --trace FILE`): each run's header says how to reproduce it (scenario,
    /// variant, seed, --set, --fault, and the BLAKE3 of the scenario's text); replay runs it again
    /// and compares every event line with the recorded one. Exit 0: no divergence; 1: the first
    /// diverging event, by line and event number, recorded and replayed.
    ///
    /// A regression file (`exsim shrink`): its commands on a fresh exchange under the auditor.
    /// Exit 1: the invariant it names breaks; 0: it holds (it says which the file expects).
    ///
    /// A fuzz artifact (fuzz/artifacts/<target>/crash-…, or --target): the input through its
    /// target. Exit 1: it still fails; 0: it passes. Exit 2: none of these, or a changed scenario.
    Replay(replay::ReplayArgs),
    /// Cut a run that breaks an invariant down to a regression file of the fewest commands.
    ///
    /// Simulates the run recording every command the exchange applied (time, sender, answer) and
    /// every chain fact, then delta-debugs them — by account, by entry, then over values — replaying each
    /// candidate from scratch, while the same invariant still breaks. Writes a readable file
    /// (default under regressions/) that `exsim replay` and `cargo test` run. Exit 0: written;
    /// 1: nothing to shrink, or the violation needs the simulator (a crash); 2: bad input.
    #[command(after_help = "Example: exsim shrink quickstart --seed 1 --fault ioc_rests -o ioc.regression")]
    Shrink(shrink::ShrinkArgs),
    /// Test your own matching engine against the reference (SPEC §12).
    ///
    /// For each seed, draws an order flow (swarm testing: which message kinds and times in force
    /// appear, price band, cancel rate, sizes up to 2^64-1, id reuse), sends it to a fresh
    /// `sh -c CMD` process one message a line, and compares each answer with the reference's.
    /// The engine answers each message with its output lines in the `exsim book` format, then a
    /// B,<best_bid>,<best_ask> line, flushed (`exsim book --each` speaks this protocol).
    /// At the first divergence it shrinks the flow to a few messages that still diverge, writes
    /// them as a book file and prints both answers. Exit 0: every seed agreed; 1: diverged;
    /// 2: bad input (or a command that cannot be run).
    #[command(after_help = "Example: exsim diff --engine \"python3 examples/engines/correct.py\" --seeds 0..1000")]
    Diff(diff::DiffArgs),
}

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    match cli.command {
        None => run::run(&run::RunArgs::default()),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Sweep(args)) => sweep::run(&args),
        Some(Command::Merge(args)) => merge::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::List(args)) => list::run(&args),
        Some(Command::Schema(args)) => schema::run(&args),
        Some(Command::Book(args)) => book::run(&args),
        Some(Command::Replay(args)) => replay::run(&args),
        Some(Command::Shrink(args)) => shrink::run(&args),
        Some(Command::Diff(args)) => diff::run(&args),
    }
}

/// Prints a bad-input error and returns exit code 2.
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    output::message(message);
    ExitCode::from(EXIT_BAD_INPUT)
}

/// What clap says when it does not return arguments: `--help` and `--version` on standard
/// output (exit 0, or 2 when it cannot be written), a usage error on standard error (exit 2).
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let mut out = output::Output::stdout();
        return match out.write(&text).and_then(|()| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(stop) => stop.exit(0),
        };
    }
    // Said like every other exsim message, with what the user typed escaped and cut.
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let mut said = String::with_capacity(text.len().min(MAX_USAGE_CHARS) + 64);
    for (count, c) in text.chars().enumerate() {
        if count == MAX_USAGE_CHARS {
            said.push_str(&format!("… ({} bytes in all)", text.len()));
            break;
        }
        if c.is_control() && c != '\n' {
            said.extend(c.escape_default());
        } else {
            said.push(c);
        }
    }
    output::message(said.trim_end());
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Most characters of a usage error shown (clap quotes the offending argument whole).
const MAX_USAGE_CHARS: usize = 1024;

/// Quotes a command-line word for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
