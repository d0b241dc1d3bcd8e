//! `exsim book [FILE] [--stats]`: the bare engine over an order-flow stream.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_BAD_INPUT;
use crate::bookfile::{self, BookError};

#[derive(Debug, Args)]
pub struct BookArgs {
    /// Order-flow file; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// Print `messages=<n> fills=<n> engine_ns=<n>` to standard error at the end.
    #[arg(long)]
    stats: bool,
}

pub fn run(args: &BookArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match args.file.as_deref() {
        None => bookfile::run(io::stdin().lock(), "<stdin>", &mut out, args.stats),
        Some(p) if p.as_os_str() == "-" => bookfile::run(io::stdin().lock(), "<stdin>", &mut out, args.stats),
        Some(path) => {
            let name = path.display().to_string();
            match File::open(path) {
                Ok(file) => bookfile::run(BufReader::with_capacity(1 << 16, file), &name, &mut out, args.stats),
                Err(source) => Err(BookError::Io { file: name, source }),
            }
        }
    };
    // What earlier lines produced is part of the stream: flush it before any error.
    let flushed = out.flush();
    match result {
        Ok(stats) => {
            if args.stats {
                eprintln!("messages={} fills={} engine_ns={}", stats.messages, stats.fills, stats.engine.as_nanos());
            }
            if let Err(e) = flushed {
                return io_failure(&e);
            }
            ExitCode::SUCCESS
        }
        Err(BookError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("exsim: {error}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn io_failure(e: &io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("exsim: <stdout>: {e}");
    ExitCode::from(EXIT_BAD_INPUT)
}
