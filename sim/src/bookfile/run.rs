//! Running an order-flow stream through an engine and writing the events in the §8.1 format.
//!
//! Invariants: memory does not grow with the input: a message line is held only up to
//! [`MAX_LINE_BYTES`] (past it, a located error), comment and blank lines are skipped as they
//! stream and never held, whatever their length; a UTF-8 byte-order mark at the very start of the
//! input is skipped (as TOML does), anywhere else it is an ordinary byte.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::parse::{parse_line, Message};
use crate::engine::{Book, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, Stp};

/// Longest message line, in bytes: its leading blanks counted, its line end (`\n`) not.
/// Comment and blank lines may be longer; they are skipped without being held.
pub const MAX_LINE_BYTES: usize = 4096;

/// The UTF-8 byte-order mark, skipped at the start of the input.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// Counts for `--stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages read (blank and comment lines excluded).
    pub messages: u64,
    /// `T` lines written.
    pub fills: u64,
    /// Time spent inside the engine only, when timing was asked for.
    pub engine: Duration,
}

/// Why a run stopped early.
#[derive(Debug, Error)]
pub enum BookError {
    /// A line that is not in the format; `expected` says what would be valid.
    #[error("{file}:{line}: {expected}")]
    Malformed { file: String, line: u64, expected: String },
    /// Reading the input failed.
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    /// Writing the output failed.
    #[error("standard output: {0}")]
    Output(io::Error),
}

/// Applies one message to an engine (anonymous owner, so no self-trade prevention).
pub fn apply<E: MatchingEngine + ?Sized>(
    engine: &mut E,
    message: Message,
    out: &mut Vec<Event>,
) -> Result<(), EngineReject> {
    let owner = OwnerId::NONE;
    let stp = Stp::default();
    match message {
        Message::New { id, side, price, qty, tif } => {
            engine.limit(LimitOrder { id, owner, side, price, qty, tif, stp }, out)
        }
        Message::Market { id, side, qty } => {
            engine.market(MarketOrder { id, owner, side, qty, budget: None, stp }, out)
        }
        Message::Cancel { id } => engine.cancel(id, out),
        Message::Replace { id, price, qty } => engine.replace(id, price, qty, out),
    }
}

/// The id a message is about, for its `J` line.
fn message_id(message: &Message) -> OrderId {
    match *message {
        Message::New { id, .. } | Message::Market { id, .. } | Message::Cancel { id } | Message::Replace { id, .. } => {
            id
        }
    }
}

/// Writes `events` as output lines; returns how many were fills.
pub fn write_events<W: Write>(events: &[Event], out: &mut W) -> io::Result<u64> {
    let mut fills = 0;
    let mut buf = itoa::Buffer::new();
    for event in events {
        match *event {
            Event::Fill { maker, taker, price, qty } => {
                fills += 1;
                out.write_all(b"T,")?;
                out.write_all(buf.format(price.0).as_bytes())?;
                out.write_all(b",")?;
                out.write_all(buf.format(qty.0).as_bytes())?;
                out.write_all(b",")?;
                out.write_all(buf.format(maker.0).as_bytes())?;
                out.write_all(b",")?;
                out.write_all(buf.format(taker.0).as_bytes())?;
                out.write_all(b"\n")?;
            }
            Event::Cancel { id, qty, .. } => {
                out.write_all(b"X,")?;
                out.write_all(buf.format(id.0).as_bytes())?;
                out.write_all(b",")?;
                out.write_all(buf.format(qty.0).as_bytes())?;
                out.write_all(b"\n")?;
            }
            Event::Rest { .. } | Event::Reduce { .. } | Event::Requeue { .. } => {}
        }
    }
    Ok(fills)
}

fn write_reject<W: Write>(id: OrderId, reject: EngineReject, out: &mut W) -> io::Result<()> {
    out.write_all(b"J,")?;
    out.write_all(itoa::Buffer::new().format(id.0).as_bytes())?;
    out.write_all(b",")?;
    out.write_all(reject.code().as_bytes())?;
    out.write_all(b"\n")
}

/// Applies `message` to `engine` and writes its output lines (`T`, `X` or `J`; no `B` line), as
/// `exsim book` does; `events` is scratch space (cleared first). Returns how many were fills.
pub fn answer<W: Write>(engine: &mut Book, message: Message, events: &mut Vec<Event>, out: &mut W) -> io::Result<u64> {
    events.clear();
    match apply(engine, message, events) {
        Ok(()) => write_events(events, out),
        Err(reject) => write_reject(message_id(&message), reject, out).map(|()| 0),
    }
}

/// Writes the `B,<best_bid>,<best_ask>` line of `engine` (`-` for an empty side).
pub fn write_top<W: Write>(engine: &Book, out: &mut W) -> io::Result<()> {
    let mut buf = itoa::Buffer::new();
    out.write_all(b"B,")?;
    match engine.best_bid() {
        Some(p) => out.write_all(buf.format(p.0).as_bytes())?,
        None => out.write_all(b"-")?,
    }
    out.write_all(b",")?;
    match engine.best_ask() {
        Some(p) => out.write_all(buf.format(p.0).as_bytes())?,
        None => out.write_all(b"-")?,
    }
    out.write_all(b"\n")
}

/// How [`run_with`] runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Measure the time spent inside the engine (for `--stats`).
    pub timed: bool,
    /// The line protocol of SPEC §12 (`--each`): after each message's lines, its `B` line, and a
    /// flush; no final `B` line.
    pub each: bool,
}

/// [`run_with`] without `--each`: one `B` line at the end.
pub fn run<R: BufRead, W: Write>(input: R, file: &str, out: &mut W, timed: bool) -> Result<Stats, BookError> {
    run_with(input, file, out, RunOptions { timed, each: false })
}

/// Streams `input` (named `file` in errors) through a fresh [`Book`], writing events to `out`.
///
/// Stops at the first malformed line with [`BookError::Malformed`] (a line longer than
/// [`MAX_LINE_BYTES`] included); what earlier lines produced has been written, and no `B` line
/// follows. With `options.timed`, measures time inside the engine; with `options.each`, writes
/// the top of book after every message and flushes (the line protocol of SPEC §12) instead of
/// once at the end.
pub fn run_with<R: BufRead, W: Write>(
    input: R,
    file: &str,
    out: &mut W,
    options: RunOptions,
) -> Result<Stats, BookError> {
    let RunOptions { timed, each } = options;
    let mut engine = Book::new();
    let mut stats = Stats::default();
    let mut lines = Lines::new(input);
    let mut line = Vec::with_capacity(128);
    let mut events = Vec::with_capacity(64);
    let io_out = BookError::Output;
    loop {
        let body = match lines.next(&mut line) {
            Ok(Some(body)) => body,
            Ok(None) => break,
            Err(LineError::Io(source)) => return Err(BookError::Io { file: file.to_owned(), source }),
            Err(LineError::TooLong) => {
                return Err(BookError::Malformed {
                    file: file.to_owned(),
                    line: lines.number,
                    expected: format!("line longer than {MAX_LINE_BYTES} bytes"),
                })
            }
        };
        let message = match parse_line(body) {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(expected) => return Err(BookError::Malformed { file: file.to_owned(), line: lines.number, expected }),
        };
        stats.messages += 1;
        events.clear();
        let result = if timed {
            // Measuring the engine for `--stats` is the one clock read: it never reaches the output
            // stream, only the stats line on stderr.
            #[allow(clippy::disallowed_methods)]
            let start = Instant::now();
            let result = apply(&mut engine, message, &mut events);
            stats.engine += start.elapsed();
            result
        } else {
            apply(&mut engine, message, &mut events)
        };
        match result {
            Ok(()) => stats.fills += write_events(&events, out).map_err(io_out)?,
            Err(reject) => write_reject(message_id(&message), reject, out).map_err(io_out)?,
        }
        if each {
            write_top(&engine, out).map_err(io_out)?;
            out.flush().map_err(io_out)?;
        }
    }
    if !each {
        write_top(&engine, out).map_err(io_out)?;
    }
    out.flush().map_err(io_out)?;
    Ok(stats)
}

/// Why a line could not be read.
enum LineError {
    Io(io::Error),
    TooLong,
}

/// Where a line is while it streams in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Blanks so far (counted, not held).
    Leading,
    /// A message: held.
    Body,
    /// A comment: dropped.
    Comment,
}

/// The input split into message lines, comments and blank lines dropped as they stream.
struct Lines<R> {
    input: R,
    /// The number of the line last returned (1-based).
    number: u64,
    at_start: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(input: R) -> Lines<R> {
        Lines { input, number: 0, at_start: true }
    }

    /// Bytes of a byte-order mark at the start of the input that were consumed but turned out to
    /// be the start of the first line.
    fn skip_bom(&mut self) -> io::Result<&'static [u8]> {
        let mut matched = 0;
        while matched < BOM.len() {
            let buf = self.input.fill_buf()?;
            match buf.first() {
                Some(&b) if b == BOM[matched] => {
                    self.input.consume(1);
                    matched += 1;
                }
                _ => return Ok(&BOM[..matched]),
            }
        }
        Ok(&[])
    }

    /// The next line that is neither blank nor a comment, without its line end and leading
    /// blanks, in `line`; `None` at the end of the input.
    fn next<'l>(&mut self, line: &'l mut Vec<u8>) -> Result<Option<&'l [u8]>, LineError> {
        let mut pending: &[u8] = &[];
        if self.at_start {
            self.at_start = false;
            pending = self.skip_bom().map_err(LineError::Io)?;
        }
        loop {
            line.clear();
            line.extend_from_slice(pending);
            let mut part = if pending.is_empty() { Part::Leading } else { Part::Body };
            let mut length = pending.len();
            pending = &[];
            let mut any = length > 0;
            loop {
                let buf = match self.input.fill_buf() {
                    Ok(buf) => buf,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(LineError::Io(e)),
                };
                if buf.is_empty() {
                    if !any {
                        return Ok(None);
                    }
                    break;
                }
                any = true;
                let (chunk, ends) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (&buf[..i], true),
                    None => (buf, false),
                };
                let used = chunk.len() + usize::from(ends);
                let mut rest = chunk;
                if part == Part::Leading {
                    let blanks = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
                    length += blanks;
                    rest = &rest[blanks..];
                    match rest.first() {
                        Some(b'#') => part = Part::Comment,
                        Some(_) => part = Part::Body,
                        None => {}
                    }
                }
                if part == Part::Body {
                    length += rest.len();
                    if length > MAX_LINE_BYTES {
                        self.number += 1;
                        return Err(LineError::TooLong);
                    }
                    line.extend_from_slice(rest);
                }
                self.input.consume(used);
                if ends {
                    break;
                }
            }
            self.number += 1;
            if part == Part::Body {
                return Ok(Some(line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `input` whole, and again through a reader that hands over one byte at a time (so
    /// every line, comment and byte-order mark is split across reads); both must agree.
    fn book(input: &[u8]) -> (String, Result<Stats, String>) {
        let mut whole = Vec::new();
        let ran = run(input, "f", &mut whole, false).map_err(|e| e.to_string());
        let mut bytewise = Vec::new();
        let again = run(io::BufReader::with_capacity(1, input), "f", &mut bytewise, false).map_err(|e| e.to_string());
        assert_eq!(whole, bytewise, "split reads change nothing");
        assert_eq!(ran.as_ref().err(), again.as_ref().err());
        (String::from_utf8(whole).unwrap(), ran)
    }

    #[test]
    fn a_message_line_is_bounded_and_blank_or_comment_lines_are_not() {
        let pad = |n: usize| " ".repeat(n);
        // The longest message line: blanks and the `\r` count, the `\n` does not.
        let longest = format!("{}N,1,B,10,5\r\n", pad(MAX_LINE_BYTES - 11));
        assert_eq!(book(longest.as_bytes()).0, "B,10,-\n");
        let longer = format!("C,7\n{}N,1,B,10,5\r\n", pad(MAX_LINE_BYTES - 10));
        let (out, ran) = book(longer.as_bytes());
        assert_eq!(out, "J,7,unknown_order\n", "what came before stays written");
        assert_eq!(ran.unwrap_err(), "f:2: line longer than 4096 bytes");
        let zeros = vec![0u8; 3 * MAX_LINE_BYTES];
        assert_eq!(book(&zeros).1.unwrap_err(), "f:1: line longer than 4096 bytes");
        // Comments and blank lines of any length are skipped, and still counted as lines.
        let long_comment =
            format!("  #{}\n{}\n\nN,1,B,10,5\nX\n", "x".repeat(10 * MAX_LINE_BYTES), pad(5 * MAX_LINE_BYTES));
        let (out, ran) = book(long_comment.as_bytes());
        assert_eq!(out, "");
        assert!(ran.unwrap_err().starts_with("f:5: expected a message"));
    }

    #[test]
    fn each_writes_the_top_after_every_message_and_nothing_at_the_end() {
        let input = b"# c\nN,1,B,10,5\n\nN,2,S,9,2\nC,7\n";
        let mut out = Vec::new();
        let stats = run_with(&input[..], "f", &mut out, RunOptions { timed: false, each: true }).unwrap();
        assert_eq!(stats.messages, 3);
        assert_eq!(String::from_utf8(out).unwrap(), "B,10,-\nT,10,2,1,2\nB,10,-\nJ,7,unknown_order\nB,10,-\n");
        let mut out = Vec::new();
        run_with(&b""[..], "f", &mut out, RunOptions { timed: false, each: true }).unwrap();
        assert!(out.is_empty(), "no message, no line");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_at_the_start_only() {
        let (out, ran) = book(b"\xef\xbb\xbfN,1,B,10,5\nN,2,S,9,2\n");
        assert_eq!(out, "T,10,2,1,2\nB,10,-\n");
        assert_eq!(ran.unwrap().messages, 2);
        assert_eq!(book(b"\xef\xbb\xbf# a comment\n").0, "B,-,-\n");
        assert_eq!(book(b"\xef\xbb\xbf").0, "B,-,-\n");
        // Anywhere else, and a partial one at the start, it is part of the line.
        assert!(book(b"\n\xef\xbb\xbfN,1,B,10,5\n").1.unwrap_err().starts_with("f:2: expected a message"));
        assert!(book(b"\xef\xbbN,1,B,10,5\n").1.unwrap_err().starts_with("f:1: expected a message"));
        assert!(book(b"\xef\xbb\xbf\xef\xbb\xbfN,1,B,10,5\n").1.unwrap_err().starts_with("f:1: expected a message"));
        assert!(book(b"\xef").1.unwrap_err().starts_with("f:1: expected a message"));
    }
}
