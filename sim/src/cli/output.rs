//! The one way every command writes to standard output and standard error (SPEC §13: output that
//! cannot be written is an error, a closed pipe ends the run quietly).
//!
//! Invariants:
//! - nothing in `cli/` writes with `print!`/`println!`/`eprintln!` (they panic when a stream
//!   fails): standard output goes through [`Output`], messages through [`message`];
//! - a write to standard output that fails is never ignored: a closed pipe (`EPIPE`, the reader
//!   went away, e.g. `| head -1`) is [`Stop::Closed`] and ends the command quietly with the exit
//!   code of what it had done so far, so an earlier failure (1) or panic (3) is never masked;
//!   any other failure (a full disk, `> /dev/full`) is [`Stop::Failed`]: a message and exit 2;
//! - a failure to write a message to standard error is ignored (there is nowhere left to say it).

use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;

use super::EXIT_BAD_INPUT;

/// Why standard output stopped taking what a command writes.
#[derive(Debug)]
pub enum Stop {
    /// The reader went away (a closed pipe): stop quietly.
    Closed,
    /// The write failed for another reason (a full disk, an I/O error): an error, exit 2.
    Failed(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Stop::Closed
        } else {
            Stop::Failed(e)
        }
    }
}

impl Stop {
    /// The exit code of a command that stopped here, having earned `so_far` until then (0 all
    /// well, 1 an expectation failed, 2 a bad input, 3 a panicked seed): `so_far` for a closed
    /// pipe, 2 with a message for a failed write.
    pub fn exit(self, so_far: u8) -> ExitCode {
        match self {
            Stop::Closed => ExitCode::from(so_far),
            Stop::Failed(e) => {
                message(format_args!("standard output: {e}"));
                ExitCode::from(EXIT_BAD_INPUT)
            }
        }
    }
}

/// Buffered standard output whose every failure is a [`Stop`].
pub struct Output {
    out: BufWriter<StdoutLock<'static>>,
}

impl Output {
    /// Standard output, locked for the whole command.
    pub fn stdout() -> Output {
        Output { out: BufWriter::with_capacity(1 << 16, io::stdout().lock()) }
    }

    /// Buffers `text` (written at the latest by [`Output::flush`]).
    pub fn write(&mut self, text: &str) -> Result<(), Stop> {
        self.out.write_all(text.as_bytes()).map_err(Stop::from)
    }

    /// Buffers `text` and a newline.
    pub fn line(&mut self, text: &str) -> Result<(), Stop> {
        self.write(text)?;
        self.write("\n")
    }

    /// Writes everything buffered through to standard output.
    pub fn flush(&mut self) -> Result<(), Stop> {
        self.out.flush().map_err(Stop::from)
    }

    /// The underlying writer, for streams written piece by piece (`exsim book`); its errors
    /// convert with `Stop::from`.
    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.out
    }
}

/// Writes `exsim: <text>` and a newline to standard error, ignoring a failure to do so.
pub fn message(text: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "exsim: {text}");
}

/// Writes `text` as it is to standard error (for progress-like lines that are not errors),
/// ignoring a failure to do so.
pub fn note(text: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}
