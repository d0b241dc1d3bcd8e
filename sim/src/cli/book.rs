//! `exsim book [FILE] [--stats] [--each]`: the bare engine over an order-flow stream (SPEC §8.1);
//! with `--each`, the line protocol of SPEC §12 (a `B` line after every message, flushed). Output
//! goes through `output`: a closed pipe ends quietly (exit 0), a failed write is exit 2.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::output::{message, note, Output, Stop};
use super::EXIT_BAD_INPUT;
use crate::bookfile::{self, BookError, RunOptions};

#[derive(Debug, Args)]
pub struct BookArgs {
    /// Order-flow file; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// Print `messages=<n> fills=<n> engine_ns=<n>` to standard error at the end.
    #[arg(long)]
    stats: bool,
    /// Speak the line protocol of `exsim diff` (SPEC §12): after each message's lines, its
    /// `B,<best_bid>,<best_ask>` line, flushed at once; no `B` line at the end.
    #[arg(long)]
    each: bool,
}

pub fn run(args: &BookArgs) -> ExitCode {
    let mut out = Output::stdout();
    let options = RunOptions { timed: args.stats, each: args.each };
    let result = match args.file.as_deref() {
        None => bookfile::run_with(io::stdin().lock(), "<stdin>", out.writer(), options),
        Some(p) if p.as_os_str() == "-" => bookfile::run_with(io::stdin().lock(), "<stdin>", out.writer(), options),
        Some(path) => {
            // Quoted in every message about this input: escaped, so a hostile name cannot drive the
            // terminal.
            let name = crate::shown::shown(&path.display().to_string());
            match File::open(path) {
                Ok(file) => bookfile::run_with(BufReader::with_capacity(1 << 16, file), &name, out.writer(), options),
                Err(source) => Err(BookError::Io { file: name, source }),
            }
        }
    };
    // What earlier lines produced is part of the stream: flush it before any error.
    let flushed = out.flush();
    match result {
        Ok(stats) => {
            if let Err(stop) = flushed {
                return stop.exit(0);
            }
            if args.stats {
                note(format_args!(
                    "messages={} fills={} engine_ns={}",
                    stats.messages,
                    stats.fills,
                    stats.engine.as_nanos()
                ));
            }
            ExitCode::SUCCESS
        }
        Err(BookError::Output(e)) => Stop::from(e).exit(0),
        Err(error) => {
            if let Err(Stop::Failed(e)) = flushed {
                message(format_args!("standard output: {e}"));
            }
            message(error);
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
