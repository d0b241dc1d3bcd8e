//! What the auditor sees of one command: an [`Observation`], built in one place
//! ([`Observation::after`]), and [`Inspect`], the read-only view of the exchange's state after it.
//!
//! An observation carries the command, its result, the engine events it caused, the range of
//! journal entries it appended, the intents it emitted, and the exchange's command number and time — the command's effects
//! as a value. Checkers build their shadows from these alone; they read the state through
//! [`Inspect`] only to compare it with their shadow.
//!
//! Invariant kept here: `entries` is exactly the journal entries appended since the previous
//! observation (the auditor passes where it stopped), so no entry is missed or seen twice.

use std::ops::Range;

use crate::engine::{Event, MatchingEngine};
use crate::exchange::{Ack, Applied, Command, Exchange, Intent, Origin, Reject};
use crate::ledger::{Entry, Ledger, UserId};
use crate::units::{Asset, Market, MarketId};

/// The exchange's state, read-only, as checkers compare it with their shadows.
pub trait Inspect {
    /// The ledger: balances and the journal.
    fn ledger(&self) -> &Ledger;
    /// The assets, by id.
    fn assets(&self) -> &[Asset];
    /// Number of markets.
    fn market_count(&self) -> usize;
    /// A market's specification.
    fn market(&self, market: MarketId) -> &Market;
    /// A market's engine.
    fn engine(&self, market: MarketId) -> &dyn MatchingEngine;
}

impl<E: MatchingEngine> Inspect for Exchange<E> {
    fn ledger(&self) -> &Ledger {
        Exchange::<E>::ledger(self)
    }

    fn assets(&self) -> &[Asset] {
        Exchange::<E>::assets(self)
    }

    fn market_count(&self) -> usize {
        Exchange::<E>::market_count(self)
    }

    fn market(&self, market: MarketId) -> &Market {
        Exchange::<E>::market(self, market)
    }

    fn engine(&self, market: MarketId) -> &dyn MatchingEngine {
        Exchange::<E>::engine(self, market)
    }
}

/// One command and everything it did.
#[derive(Clone)]
pub struct Observation<'a> {
    /// The exchange's command number (every journal entry the command appended names it).
    pub seq: u64,
    /// The exchange's time when it applied the command.
    pub now_ns: u64,
    pub command: &'a Command,
    pub result: &'a Result<Ack, Reject>,
    /// The engine events it caused, in order, grouped by market.
    pub events: &'a [(MarketId, Event)],
    /// The journal entries it appended (numbered from genesis).
    pub entries: Range<usize>,
    /// What it asked the world outside to do (a payment to broadcast, a message), in order.
    pub intents: &'a [Intent],
    /// Who sent it: the exchange's systems, or a client with what it presented.
    pub origin: Origin,
    /// The state after it.
    pub state: &'a dyn Inspect,
}

impl<'a> Observation<'a> {
    /// The observation of `command` as the exchange applied it: its result and effects, taken from
    /// the [`Applied`] outcome, not re-read from the exchange.
    pub fn of<E: MatchingEngine>(command: &'a Command, applied: &'a Applied<'a, E>) -> Observation<'a> {
        Observation {
            seq: applied.seq(),
            now_ns: applied.now_ns(),
            command,
            result: &applied.result,
            events: applied.events,
            entries: applied.entries.clone(),
            intents: applied.intents,
            origin: applied.origin,
            state: applied.exchange(),
        }
    }

    /// The journal entries the command appended, in order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + 'a {
        let state: &'a dyn Inspect = self.state;
        state.ledger().journal().entries_from(self.entries.start).take(self.entries.len())
    }

    /// The user the command acts for (the house for commands without one).
    pub fn user(&self) -> UserId {
        self.command.user().unwrap_or(UserId::HOUSE)
    }

    /// The engine events grouped by market, in order: each group is one market's consecutive
    /// events.
    pub fn event_groups(&self) -> impl Iterator<Item = (MarketId, &'a [(MarketId, Event)])> + 'a {
        let events = self.events;
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= events.len() {
                return None;
            }
            let market = events[start].0;
            let end = events[start..].iter().position(|(m, _)| *m != market).map_or(events.len(), |n| start + n);
            let group = &events[start..end];
            start = end;
            Some((market, group))
        })
    }
}
