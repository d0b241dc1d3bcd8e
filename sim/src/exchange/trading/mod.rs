//! The trading sub-machine: orders on the books (`orders.rs`: placing, cancelling, replacing,
//! mass-cancelling, and settling what the engine did into one ledger entry per command) and RFQ
//! quotes (`quotes.rs`). Each file states the invariants it keeps (`holds_match_open_orders`,
//! `limit_respected`, `quote_honored`, ...) and its fault paths.

mod orders;
mod quotes;

use super::{Ack, Exchange, Reject, TradingCommand};
use crate::engine::MatchingEngine;

impl<E: MatchingEngine> Exchange<E> {
    /// The trading area's dispatch.
    pub(super) fn trading(&mut self, command: TradingCommand) -> Result<Ack, Reject> {
        match command {
            TradingCommand::Place(order) => self.place(&order),
            TradingCommand::Cancel { user, order } => self.cancel(user, order),
            TradingCommand::Replace { user, order, price, qty } => self.replace(user, order, price, qty),
            TradingCommand::MassCancel { user, market } => self.mass_cancel(user, market),
            TradingCommand::RequestQuote { user, market, side, qty } => self.request_quote(user, market, side, qty),
            TradingCommand::AcceptQuote { user, quote } => self.accept_quote(user, quote),
        }
    }
}
