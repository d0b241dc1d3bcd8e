//! The matching engine: the contract ([`MatchingEngine`]) and its vocabulary.
//!
//! An engine holds one market's book. It knows order ids, owners, sides, prices and quantities —
//! never balances, fees or time. It reports everything it does as [`Event`]s, in the order it did
//! them, so a caller (the exchange, `exsim book`, an auditor) can follow every change exactly.
//!
//! Contract every implementation keeps (and the differential tests check against
//! [`crate::testkit::model`]):
//! - price-time priority; a fill executes at the **maker's** price and never beyond the taker's limit;
//! - IOC and market orders never rest; FOK fills completely or changes nothing; post-only never takes;
//! - a rejected message ([`EngineReject`]) changes nothing;
//! - after every message, best bid < best ask;
//! - a replace at the same price with a strictly lower quantity keeps queue position; any other
//!   replace loses it and re-enters as a new aggressor.
//!
//! The reference implementation is [`Book`]; a user's own engine implements the same trait and is
//! driven and checked the same way (SPEC §12).
//!
//! [`Book::with_faults`] builds a reference book that deliberately breaks one rule of this contract
//! per fault switch of SPEC §5 (`ioc_rests`, `taker_price`, `priority_lost_on_partial`), so that the
//! auditor can be shown to catch each; [`Book::new`] has none.

mod book;
mod ladder;

pub use book::Book;

use crate::units::{Price, Qty, Side};

/// An order id: unique among live orders of one engine; reusable once its order is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct OrderId(pub u64);

/// Who owns an order, for self-trade prevention. [`OwnerId::NONE`] never self-trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(pub u32);

impl OwnerId {
    /// The owner of anonymous orders (the bare `exsim book` format): never matches itself.
    pub const NONE: OwnerId = OwnerId(u32::MAX);
}

/// Time in force of a limit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, arbitrary::Arbitrary, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tif {
    /// Good till cancelled: what does not fill rests.
    Gtc,
    /// Immediate or cancel: what does not fill at once is cancelled.
    Ioc,
    /// Fill or kill: fills completely at once, or nothing happens.
    Fok,
    /// Post-only: rests without taking; rejected (`would_cross`) if it would take.
    PostOnly,
}

/// Self-trade prevention: what happens when a taker meets a resting order of the same owner.
/// The taker's mode decides.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, arbitrary::Arbitrary, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Stp {
    /// The incoming order's remainder is cancelled (the default).
    #[default]
    CancelNewest,
    /// The resting order is cancelled and matching goes on.
    CancelOldest,
    /// Both are cancelled.
    CancelBoth,
    /// Both are reduced by the smaller quantity without a trade; whichever reaches zero is gone.
    Decrement,
}

/// A new limit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitOrder {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub tif: Tif,
    pub stp: Stp,
}

/// A new market order: trades at any price until `qty` is filled, the opposite side is empty, or
/// `budget` — a cap on Σ price × qty in tick·lots, on either side — would be exceeded by the next
/// whole lot. Never rests. (The exchange sets a budget on buys only: what the buyer can pay.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketOrder {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub qty: Qty,
    pub budget: Option<u128>,
    pub stp: Stp,
}

/// Why some quantity of an order left the book (or never reached it) without filling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Cancelled by its owner.
    Cancelled,
    /// Remainder of an IOC or market order that could not fill.
    Unfilled,
    /// A fill-or-kill that could not fill completely.
    Killed,
    /// Self-trade prevention.
    SelfTrade,
    /// Cancelled by a mass cancel of its owner's orders.
    MassCancelled,
}

/// What an engine did, in order. Quantities are exact: an order's open quantity is its original
/// quantity minus its fills and cancellations; when that reaches zero, the order is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `qty` traded at `price` (the maker's) between a resting maker and an incoming taker.
    Fill { maker: OrderId, taker: OrderId, price: Price, qty: Qty },
    /// `qty` of order `id` left without filling.
    Cancel { id: OrderId, qty: Qty, reason: CancelReason },
    /// Order `id` now rests with `qty` open at `price` (last in its level's queue).
    Rest { id: OrderId, side: Side, price: Price, qty: Qty },
    /// A resting order was reduced in place to `qty`, keeping its queue position.
    Reduce { id: OrderId, qty: Qty },
    /// A resting order was pulled for a replace that loses priority; it re-enters at once as a new
    /// aggressor with the same id at the **new** `price` and `qty` (its later events follow).
    Requeue { id: OrderId, side: Side, price: Price, qty: Qty },
}

/// A message the engine refused; nothing changed. When several apply, the first in this order
/// wins: quantity, price, then the id (unknown or duplicate), then `WouldCross`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineReject {
    /// Cancel or replace of an id with no live order.
    UnknownOrder,
    /// New order whose id is already live.
    DuplicateOrderId,
    /// Post-only order (or replace of one) that would take.
    WouldCross,
    /// Zero quantity.
    InvalidQuantity,
    /// Zero price.
    InvalidPrice,
}

impl EngineReject {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            EngineReject::UnknownOrder => "unknown_order",
            EngineReject::DuplicateOrderId => "duplicate_order_id",
            EngineReject::WouldCross => "would_cross",
            EngineReject::InvalidQuantity => "invalid_quantity",
            EngineReject::InvalidPrice => "invalid_price",
        }
    }
}

/// A resting order as an engine reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestingOrder {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
}

/// The contract of a matching engine for one market. See the module docs for the rules.
///
/// Every method appends the events it produced to `out` (it never clears it).
pub trait MatchingEngine {
    /// Submits a limit order.
    fn limit(&mut self, order: LimitOrder, out: &mut Vec<Event>) -> Result<(), EngineReject>;
    /// Submits a market order.
    fn market(&mut self, order: MarketOrder, out: &mut Vec<Event>) -> Result<(), EngineReject>;
    /// Cancels a resting order.
    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) -> Result<(), EngineReject>;
    /// Replaces a resting order's price and open quantity (priority rule in the module docs).
    fn replace(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) -> Result<(), EngineReject>;
    /// Cancels every resting order of `owner`, bids then asks, each side best price first,
    /// earliest first within a price.
    fn mass_cancel(&mut self, owner: OwnerId, out: &mut Vec<Event>);
    /// Highest bid.
    fn best_bid(&self) -> Option<Price>;
    /// Lowest ask.
    fn best_ask(&self) -> Option<Price>;
    /// A resting order by id.
    fn order(&self, id: OrderId) -> Option<RestingOrder>;
    /// Every resting order of `side`, best price first, earliest first within a price.
    fn resting(&self, side: Side, f: &mut dyn FnMut(RestingOrder));
    /// Number of resting orders.
    fn len(&self) -> usize;
    /// Whether no order rests.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Re-checks the engine's own structure from scratch, O(resting orders): what is broken, if
    /// anything. The simulator calls it at the end of a run. An engine with no such check keeps
    /// this default, which finds nothing.
    fn check_structure(&self) -> Result<(), String> {
        Ok(())
    }
}
