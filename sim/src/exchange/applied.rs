//! [`Applied`]: what one [`Exchange::apply`] did — the result and every effect of the command —
//! handed to every consumer (the gateway's log, the auditor, the recorder, the kernel's
//! statistics), so that none of them reads the exchange's internals after the fact.
//!
//! The effects are borrowed from buffers the exchange reuses between commands (no allocation per
//! command): the engine events with their market, in order; the range of ledger journal entries the
//! command appended (numbered from genesis); and the outbound [`Intent`]s, things the exchange asks
//! the world outside it to do (a chain transaction to broadcast, a message to send).
//!
//! Invariant (a `Reject` changes nothing): a rejected command has no events, no entries and no
//! intents — asserted by [`Exchange::apply`] where the value is produced, and checked again by the
//! auditor against the journal's length it tracks itself.

use std::fmt;
use std::ops::Range;

use super::identity::mail::Mail;
use super::{Ack, Address, Exchange, Origin, Payment, Reject, TxId, WithdrawalId};
use crate::engine::{Book, Event, MatchingEngine};
use crate::ledger::Entry;
use crate::units::{AssetId, MarketId, Minor};

/// Something the exchange asks the outside world to do as the effect of a command, for the
/// simulator to carry out (never done by the exchange itself, which does no I/O): a payment to
/// broadcast, a message to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Broadcast, from the hot wallet of `asset`, transaction `txid` paying `amount` to `to` by
    /// spending `payment`, for `withdrawal`.
    Pay { withdrawal: WithdrawalId, asset: AssetId, to: Address, amount: Minor, txid: TxId, payment: Payment },
    /// Send a message (SPEC §2.7).
    Mail(Mail),
}

impl Intent {
    /// A payment's transaction id and outpoint, if it is one.
    pub const fn payment(&self) -> Option<(TxId, Payment)> {
        match *self {
            Intent::Pay { txid, payment, .. } => Some((txid, payment)),
            Intent::Mail(_) => None,
        }
    }
}

/// One command as applied: its result, its effects, and a read-only view of the exchange after it.
pub struct Applied<'a, E: MatchingEngine = Book> {
    /// What the exchange answers.
    pub result: Result<Ack, Reject>,
    /// The engine events of the command, in order, each with its market.
    pub events: &'a [(MarketId, Event)],
    /// The ledger journal entries the command appended, numbered from genesis (empty or one
    /// entry: a command's postings are one atomic entry).
    pub entries: Range<usize>,
    /// What the command asks the outside world to do.
    pub intents: &'a [Intent],
    /// Who sent it, as the exchange was told (its systems, or a client with its credential).
    pub origin: Origin,
    exchange: &'a Exchange<E>,
}

impl<'a, E: MatchingEngine> Applied<'a, E> {
    pub(super) fn new(
        result: Result<Ack, Reject>,
        events: &'a [(MarketId, Event)],
        entries: Range<usize>,
        intents: &'a [Intent],
        origin: Origin,
        exchange: &'a Exchange<E>,
    ) -> Applied<'a, E> {
        Applied { result, events, entries, intents, origin, exchange }
    }

    /// The journal entries the command appended, in order.
    pub fn journal_entries(&self) -> impl Iterator<Item = Entry<'a>> + 'a {
        let journal = self.exchange.ledger().journal();
        self.entries.clone().map(move |i| journal.entry(i))
    }

    /// The exchange as the command left it (read-only): for checks of its state, never for the
    /// command's effects, which are all above.
    pub fn exchange(&self) -> &'a Exchange<E> {
        self.exchange
    }

    /// The exchange's number for the command (commands applied so far, this one included).
    pub fn seq(&self) -> u64 {
        self.exchange.seq()
    }

    /// The command's time.
    pub fn now_ns(&self) -> u64 {
        self.exchange.now_ns()
    }
}

impl<E: MatchingEngine> fmt::Debug for Applied<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Applied")
            .field("result", &self.result)
            .field("events", &self.events)
            .field("entries", &self.entries)
            .field("intents", &self.intents)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}
