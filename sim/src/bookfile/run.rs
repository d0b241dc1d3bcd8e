//! Running an order-flow stream through an engine and writing the events in the §8.1 format.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::parse::{parse_line, Message};
use crate::engine::{Book, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, Stp};

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
    /// Reading the input or writing the output failed.
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
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

fn write_top<W: Write>(engine: &Book, out: &mut W) -> io::Result<()> {
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

/// Streams `input` (named `file` in errors) through a fresh [`Book`], writing events to `out`.
///
/// Stops at the first malformed line with [`BookError::Malformed`]; what earlier lines produced
/// has been written, and no `B` line follows. With `timed`, measures time inside the engine.
pub fn run<R: BufRead, W: Write>(mut input: R, file: &str, out: &mut W, timed: bool) -> Result<Stats, BookError> {
    let mut engine = Book::new();
    let mut stats = Stats::default();
    let mut line = Vec::with_capacity(128);
    let mut events = Vec::with_capacity(64);
    let mut line_no = 0u64;
    let io_in = |source| BookError::Io { file: file.to_owned(), source };
    let io_out = |source| BookError::Io { file: "<stdout>".to_owned(), source };
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(io_in)? == 0 {
            break;
        }
        line_no += 1;
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let message = match parse_line(body) {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(expected) => return Err(BookError::Malformed { file: file.to_owned(), line: line_no, expected }),
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
    }
    write_top(&engine, out).map_err(io_out)?;
    out.flush().map_err(io_out)?;
    Ok(stats)
}
