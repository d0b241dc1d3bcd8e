//! The book checker: `book_uncrossed`, `price_time_priority`, `limit_respected` and `tif_respected`.
//!
//! Its shadow is one [`ShadowBook`] per market, rebuilt only from the engine's events. Each event
//! is checked against the shadow before it is applied (priority, limit, time in force, against the
//! rules of the order the command sent — a market order's for a quote executed on the book under
//! `quote_reprice`), then the shadow's top of book is compared with the
//! engine's and checked uncrossed: O(events) per command. At the end of a run, every engine's
//! resting orders are compared with its shadow's: O(resting orders).

use super::checker::{Checker, Found};
use super::observation::{Inspect, Observation};
use super::shadow_book::{ShadowBook, TakerRules};
use crate::catalog::Invariant;
use crate::engine::{Event, Tif};
use crate::exchange::{Ack, Command, OrderKind, TradingCommand};
use crate::ledger::UserId;
use crate::units::{MarketId, Side};

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct BookChecker {
    books: Vec<ShadowBook>,
}

impl BookChecker {
    pub(super) fn new(markets: usize) -> BookChecker {
        BookChecker { books: (0..markets).map(|_| ShadowBook::default()).collect() }
    }
}

impl Checker for BookChecker {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::BookUncrossed, Invariant::PriceTimePriority, Invariant::LimitRespected, Invariant::TifRespected]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        let rules = match (*obs.command, obs.result) {
            (Command::Trading(TradingCommand::Place(order)), Ok(Ack::Order { id, .. })) => {
                found.exercise(Invariant::BookUncrossed);
                let taker_tif = match order.kind {
                    OrderKind::Limit { tif, .. } => tif != Tif::Gtc,
                    _ => true,
                };
                if taker_tif {
                    found.exercise(Invariant::TifRespected);
                }
                Some(TakerRules {
                    id: *id,
                    side: order.side,
                    limit: match order.kind {
                        OrderKind::Limit { price, .. } => Some(price),
                        _ => None,
                    },
                    tif: match order.kind {
                        OrderKind::Limit { tif, .. } => Some(tif),
                        _ => None,
                    },
                    qty: order.qty,
                    fok: matches!(order.kind, OrderKind::Limit { tif: Tif::Fok, .. }),
                })
            }
            // Only the `quote_reprice` fault executes a quote on the book: as a market order of the
            // quote's side and quantity, whose engine id its first fill names (without a fill
            // there is nothing of it to check). Its fills are checked by a market order's rules.
            (Command::Trading(TradingCommand::AcceptQuote { .. }), Ok(Ack::QuoteFilled(q))) => obs
                .events
                .iter()
                .find_map(|(_, e)| match *e {
                    Event::Fill { taker, .. } => Some(taker),
                    _ => None,
                })
                .map(|id| TakerRules { id, side: q.side, limit: None, tif: None, qty: q.qty, fok: false }),
            _ => None,
        };
        let owner = obs.user();
        for (market, group) in obs.event_groups() {
            if group.iter().any(|(_, e)| matches!(e, Event::Fill { .. })) {
                found.exercise(Invariant::PriceTimePriority);
                found.exercise(Invariant::LimitRespected);
            }
            let Some(book) = self.books.get_mut(usize::from(market.0)) else {
                found.push((Invariant::BookUncrossed, format!("events for market {}, which does not exist", market.0)));
                continue;
            };
            book.replay(group, rules.as_ref(), obs.command, owner, found);
            let engine = obs.state.engine(market);
            let (bid, ask) = (book.best(Side::Buy), book.best(Side::Sell));
            if (bid, ask) != (engine.best_bid(), engine.best_ask()) {
                found.push((
                    Invariant::BookUncrossed,
                    format!(
                        "market {}: engine top {:?}/{:?}, shadow {bid:?}/{ask:?}",
                        market.0,
                        engine.best_bid(),
                        engine.best_ask()
                    ),
                ));
            }
            if let (Some(b), Some(a)) = (bid, ask) {
                if b >= a {
                    found.push((
                        Invariant::BookUncrossed,
                        format!("market {}: best bid {} >= best ask {}", market.0, b.0, a.0),
                    ));
                }
            }
        }
    }

    fn finish(&mut self, state: &dyn Inspect, found: &mut Found) {
        for (m, book) in self.books.iter().enumerate() {
            let market = MarketId(u16::try_from(m).expect("market ids fit u16"));
            let mut engine_orders = Vec::with_capacity(book.len());
            for side in [Side::Buy, Side::Sell] {
                state.engine(market).resting(side, &mut |o| {
                    engine_orders.push((o.id, UserId(o.owner.0), side, o.price, o.qty));
                });
            }
            let mut shadow: Vec<_> = book.resting().collect();
            shadow.sort_unstable_by_key(|o| o.0);
            engine_orders.sort_unstable_by_key(|o| o.0);
            if shadow != engine_orders {
                found.push((
                    Invariant::BookUncrossed,
                    format!(
                        "end of run: market {m} rests {} orders, its shadow {} (or they differ)",
                        engine_orders.len(),
                        shadow.len()
                    ),
                ));
            }
        }
    }

    fn retained(&self) -> usize {
        self.books.iter().map(ShadowBook::len).sum()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
