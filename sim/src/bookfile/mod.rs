//! The `exsim book` order-flow format (SPEC §8.1): one market, bare engine, one message a line.
//!
//! Input lines: `N,<id>,<B|S>,<price>,<qty>[,<tif>]`, `M,<id>,<B|S>,<qty>`, `C,<id>`,
//! `R,<id>,<price>,<qty>`; blank lines and lines starting with `#` are skipped. Output lines:
//! `T,<price>,<qty>,<maker>,<taker>`, `X,<id>,<qty>`, `J,<id>,<reason>`, and last
//! `B,<best_bid>,<best_ask>`.
//!
//! Invariants: [`parse_line`] accepts exactly the grammar above and never panics on any bytes;
//! [`run`] streams — it holds one line and one message's events at a time, whatever the input size.

mod parse;
mod run;

pub use parse::{parse_line, Message};
pub use run::{apply, run, write_events, BookError, Stats};
