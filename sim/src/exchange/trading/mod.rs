//! The trading sub-machine: orders on the books (`orders.rs`: placing, cancelling, replacing,
//! mass-cancelling, and settling what the engine did into one ledger entry per command) and RFQ
//! quotes (`quotes.rs`), under the circuit breaker's price band (`breaker.rs`, off unless the
//! policy sets it). Each file states the invariants it keeps (`holds_match_open_orders`,
//! `limit_respected`, `quote_honored`, ...) and its fault paths.

mod breaker;
mod orders;
mod quotes;

use std::collections::BTreeMap;

use super::{Ack, Exchange, OpenOrder, Quote, QuoteId, Reject, TradingCommand};
use crate::engine::{Event, MatchingEngine};
use crate::lookup::LookupMap;
use crate::units::{Market, MarketId};

/// One market: its rules and its engine.
#[derive(Clone, Debug)]
pub(super) struct MarketState<E> {
    pub(super) market: Market,
    pub(super) engine: E,
}

/// The trading sub-machine's state: the markets and their engines, the open orders'
/// reservations, the outstanding quotes.
#[derive(Clone, Debug)]
pub(super) struct Trading<E> {
    pub(super) markets: Vec<MarketState<E>>,
    pub(super) orders: LookupMap<OpenOrder>,
    pub(super) quotes: BTreeMap<QuoteId, Quote>,
    pub(super) quote_ttl_ns: u64,
    pub(super) quote_spread_bps: u32,
    pub(super) next_order: u64,
    pub(super) next_quote: u64,
    /// Scratch: one engine call's events.
    pub(super) events: Vec<Event>,
    /// The circuit breaker (SPEC §6): its policy and each market's band state.
    pub(super) breaker: breaker::Breaker,
}

pub(super) use breaker::Breaker;

impl<E: MatchingEngine> Exchange<E> {
    /// The index of `market`, or `unknown_market`.
    pub(super) fn market_index(&self, market: MarketId) -> Result<usize, Reject> {
        let i = usize::from(market.0);
        if i < self.trading.markets.len() {
            Ok(i)
        } else {
            Err(Reject::UnknownMarket)
        }
    }

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
