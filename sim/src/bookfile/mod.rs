//! The `exsim book` order-flow format (SPEC §8.1): one market, bare engine, one message a line.
//!
//! Input lines: `N,<id>,<B|S>,<price>,<qty>[,<tif>]`, `M,<id>,<B|S>,<qty>`, `C,<id>`,
//! `R,<id>,<price>,<qty>`; blank lines and lines starting with `#` are skipped. Output lines:
//! `T,<price>,<qty>,<maker>,<taker>`, `X,<id>,<qty>`, `J,<id>,<reason>`, and last
//! `B,<best_bid>,<best_ask>` — or, with [`RunOptions::each`] (`exsim book --each`, the line
//! protocol of SPEC §12), a `B` line after every message's lines, flushed.
//!
//! A UTF-8 byte-order mark at the start of the input is skipped. A message line is at most
//! [`MAX_LINE_BYTES`] (4096) bytes; a longer one stops the run like any malformed line
//! (`FILE:LINE: line longer than 4096 bytes`).
//!
//! Invariants: [`parse_line`] accepts exactly the grammar above and never panics on any bytes;
//! [`run`] streams — it holds at most one message line ([`MAX_LINE_BYTES`]) and one message's
//! events at a time, whatever the input size; comment and blank lines are never held.

mod parse;
mod run;

pub use parse::{parse_line, Message};
pub use run::{
    answer, apply, run, run_with, write_events, write_top, BookError, RunOptions, Stats, BOM, MAX_LINE_BYTES,
};
