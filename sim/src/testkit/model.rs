//! [`Model`]: a deliberately simple reference matching engine, the oracle of the differential
//! tests and of the `book` fuzz target.
//!
//! It is written independently of [`crate::engine::Book`] and shares none of its machinery: every
//! resting order sits in one `Vec`, every decision is a linear scan over it, and prices are
//! `rust_decimal::Decimal` amounts (`ticks × 0.01`) rather than integer ticks or ladder keys. It is
//! slow (O(orders) per step) and meant to be obviously right by reading it against the contract in
//! [`crate::engine`]'s docs, which it implements exactly:
//! - price-time priority (best price first, then earliest arrival); a fill is at the maker's price
//!   and never beyond the taker's limit;
//! - GTC rests its remainder; IOC and market orders never rest (remainder `Cancel{Unfilled}`);
//!   FOK fills completely or emits `Cancel{Killed}` for its full quantity and changes nothing —
//!   also when it would meet an order of its own owner before completely filling; post-only is
//!   rejected `WouldCross` if it would take;
//! - a market order trades until filled, the other side is empty, or its budget (Σ price × qty in
//!   tick·lots) cannot pay for one more lot at the next maker's price;
//! - replace: same price and strictly lower quantity reduces in place (`Reduce`); anything else
//!   pulls the order (`Requeue`, with the new price and quantity) and re-enters it as a new
//!   aggressor with the same id, owner, self-trade mode and post-only flag; a post-only order
//!   replaced to a crossing price is rejected `WouldCross` and nothing changes;
//! - self-trade prevention by the taker's [`Stp`]; [`OwnerId::NONE`] never self-trades;
//! - mass cancel: bids best first, then asks best first, earliest first within a price;
//! - a rejected message changes nothing and emits nothing.
//!
//! Budgets stay integers (u128 tick·lots), since `Decimal` cannot hold every budget.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::engine::{
    CancelReason, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, RestingOrder, Stp,
    Tif,
};
use crate::units::{Price, Qty, Side};

/// The size of one tick as a decimal price: prices live in the model as `ticks × TICK`.
const TICK: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

fn decimal_price(price: Price) -> Decimal {
    Decimal::from(price.0) * TICK
}

fn tick_price(price: Decimal) -> Price {
    Price((price / TICK).to_u64().expect("a model price is a whole number of ticks that fits in a u64"))
}

/// How many whole lots a budget of `budget` tick·lots pays for at `price`. Budgets stay integers
/// (u128 tick·lots, as the contract states them): `Decimal` cannot hold every u128.
fn affordable(budget: u128, price: Decimal) -> u64 {
    let ticks = u128::from(tick_price(price).0);
    u64::try_from(budget / ticks).unwrap_or(u64::MAX)
}

/// One resting order.
#[derive(Clone, Debug)]
struct Resting {
    id: OrderId,
    owner: OwnerId,
    side: Side,
    price: Decimal,
    qty: u64,
    /// When it (last) entered the book; smaller is earlier.
    arrival: u64,
    post_only: bool,
    stp: Stp,
}

impl Resting {
    fn report(&self) -> RestingOrder {
        RestingOrder {
            id: self.id,
            owner: self.owner,
            side: self.side,
            price: tick_price(self.price),
            qty: Qty(self.qty),
        }
    }
}

/// Whether resting order `a` is ahead of `b` in the queue of their (common) side.
fn ahead(a: &Resting, b: &Resting) -> bool {
    assert_eq!(a.side, b.side);
    if a.price != b.price {
        return match a.side {
            Side::Buy => a.price > b.price,
            Side::Sell => a.price < b.price,
        };
    }
    a.arrival < b.arrival
}

/// Whether a taker on `side` with `limit` (none: market) may trade with a maker at `price`.
fn acceptable(side: Side, limit: Option<Decimal>, price: Decimal) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(limit)) => price <= limit,
        (Side::Sell, Some(limit)) => price >= limit,
    }
}

/// An order while it takes liquidity.
struct Incoming {
    id: OrderId,
    owner: OwnerId,
    side: Side,
    limit: Option<Decimal>,
    qty: u64,
    /// What is left of the budget, in tick·lots.
    budget: Option<u128>,
    stp: Stp,
}

/// Why taking stopped.
#[derive(PartialEq, Eq)]
enum Ended {
    /// Filled, out of acceptable makers, or out of budget; the remainder (if any) is the caller's.
    Open,
    /// Self-trade prevention cancelled what was left of the taker.
    SelfTrade,
}

/// The simple reference engine. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Model {
    orders: Vec<Resting>,
    arrivals: u64,
}

impl Model {
    /// An empty book.
    pub fn new() -> Model {
        Model::default()
    }

    fn position(&self, id: OrderId) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }

    /// Index of the first order in the queue of `side`.
    fn first(&self, side: Side) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, order) in self.orders.iter().enumerate() {
            if order.side == side && best.is_none_or(|b| ahead(order, &self.orders[b])) {
                best = Some(i);
            }
        }
        best
    }

    /// The orders of `side` in queue order.
    fn queue(&self, side: Side) -> Vec<&Resting> {
        let mut queue: Vec<&Resting> = self.orders.iter().filter(|o| o.side == side).collect();
        queue.sort_by(|a, b| {
            if ahead(a, b) {
                std::cmp::Ordering::Less
            } else if ahead(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        queue
    }

    /// Whether an order on `side` at `limit` would trade with some resting order right now.
    fn would_take(&self, side: Side, limit: Decimal) -> bool {
        self.orders.iter().any(|o| o.side != side && acceptable(side, Some(limit), o.price))
    }

    /// Whether a fill-or-kill order could fill `qty` completely, in queue order, without first
    /// meeting an order of its own owner.
    fn fok_can_fill(&self, side: Side, limit: Decimal, mut qty: u64, owner: OwnerId) -> bool {
        for maker in self.queue(side.opposite()) {
            if !acceptable(side, Some(limit), maker.price) {
                return false;
            }
            if owner != OwnerId::NONE && maker.owner == owner {
                return false;
            }
            if maker.qty >= qty {
                return true;
            }
            qty -= maker.qty;
        }
        false
    }

    /// Puts `qty` of `order` (at `price`, its limit as a decimal) at the back of its queue.
    fn rest(&mut self, order: &LimitOrder, price: Decimal, qty: u64) {
        self.arrivals += 1;
        self.orders.push(Resting {
            id: order.id,
            owner: order.owner,
            side: order.side,
            price,
            qty,
            arrival: self.arrivals,
            post_only: order.tif == Tif::PostOnly,
            stp: order.stp,
        });
    }

    /// Takes liquidity for `taker`, one maker at a time, always the first of the opposite queue.
    fn take(&mut self, taker: &mut Incoming, out: &mut Vec<Event>) -> Ended {
        while taker.qty > 0 {
            let Some(i) = self.first(taker.side.opposite()) else {
                return Ended::Open;
            };
            let maker = self.orders[i].clone();
            if !acceptable(taker.side, taker.limit, maker.price) {
                return Ended::Open;
            }
            if taker.owner != OwnerId::NONE && maker.owner == taker.owner {
                match taker.stp {
                    Stp::CancelNewest => {
                        out.push(Event::Cancel { id: taker.id, qty: Qty(taker.qty), reason: CancelReason::SelfTrade });
                        taker.qty = 0;
                        return Ended::SelfTrade;
                    }
                    Stp::CancelOldest => {
                        self.orders.remove(i);
                        out.push(Event::Cancel { id: maker.id, qty: Qty(maker.qty), reason: CancelReason::SelfTrade });
                    }
                    Stp::CancelBoth => {
                        self.orders.remove(i);
                        out.push(Event::Cancel { id: maker.id, qty: Qty(maker.qty), reason: CancelReason::SelfTrade });
                        out.push(Event::Cancel { id: taker.id, qty: Qty(taker.qty), reason: CancelReason::SelfTrade });
                        taker.qty = 0;
                        return Ended::SelfTrade;
                    }
                    Stp::Decrement => {
                        let both = taker.qty.min(maker.qty);
                        out.push(Event::Cancel { id: maker.id, qty: Qty(both), reason: CancelReason::SelfTrade });
                        out.push(Event::Cancel { id: taker.id, qty: Qty(both), reason: CancelReason::SelfTrade });
                        taker.qty -= both;
                        if maker.qty == both {
                            self.orders.remove(i);
                        } else {
                            self.orders[i].qty -= both;
                        }
                    }
                }
                continue;
            }
            let mut qty = taker.qty.min(maker.qty);
            if let Some(budget) = taker.budget.as_mut() {
                qty = qty.min(affordable(*budget, maker.price));
                if qty == 0 {
                    return Ended::Open;
                }
                *budget -= u128::from(qty) * u128::from(tick_price(maker.price).0);
            }
            out.push(Event::Fill { maker: maker.id, taker: taker.id, price: tick_price(maker.price), qty: Qty(qty) });
            taker.qty -= qty;
            if maker.qty == qty {
                self.orders.remove(i);
            } else {
                self.orders[i].qty -= qty;
            }
        }
        Ended::Open
    }
}

impl MatchingEngine for Model {
    fn limit(&mut self, order: LimitOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if order.qty.0 == 0 {
            return Err(EngineReject::InvalidQuantity);
        }
        if order.price.0 == 0 {
            return Err(EngineReject::InvalidPrice);
        }
        if self.position(order.id).is_some() {
            return Err(EngineReject::DuplicateOrderId);
        }
        let price = decimal_price(order.price);
        if order.tif == Tif::PostOnly && self.would_take(order.side, price) {
            return Err(EngineReject::WouldCross);
        }
        if order.tif == Tif::Fok && !self.fok_can_fill(order.side, price, order.qty.0, order.owner) {
            out.push(Event::Cancel { id: order.id, qty: order.qty, reason: CancelReason::Killed });
            return Ok(());
        }
        let mut taker = Incoming {
            id: order.id,
            owner: order.owner,
            side: order.side,
            limit: Some(price),
            qty: order.qty.0,
            budget: None,
            stp: order.stp,
        };
        if self.take(&mut taker, out) == Ended::SelfTrade || taker.qty == 0 {
            return Ok(());
        }
        match order.tif {
            Tif::Gtc | Tif::PostOnly => {
                self.rest(&order, price, taker.qty);
                out.push(Event::Rest { id: order.id, side: order.side, price: order.price, qty: Qty(taker.qty) });
            }
            Tif::Ioc => out.push(Event::Cancel { id: order.id, qty: Qty(taker.qty), reason: CancelReason::Unfilled }),
            Tif::Fok => panic!("model: a fill-or-kill judged fillable left {} unfilled", taker.qty),
        }
        Ok(())
    }

    fn market(&mut self, order: MarketOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if order.qty.0 == 0 || order.budget == Some(0) {
            return Err(EngineReject::InvalidQuantity);
        }
        if self.position(order.id).is_some() {
            return Err(EngineReject::DuplicateOrderId);
        }
        let mut taker = Incoming {
            id: order.id,
            owner: order.owner,
            side: order.side,
            limit: None,
            qty: order.qty.0,
            budget: order.budget,
            stp: order.stp,
        };
        if self.take(&mut taker, out) == Ended::Open && taker.qty > 0 {
            out.push(Event::Cancel { id: order.id, qty: Qty(taker.qty), reason: CancelReason::Unfilled });
        }
        Ok(())
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        let i = self.position(id).ok_or(EngineReject::UnknownOrder)?;
        let order = self.orders.remove(i);
        out.push(Event::Cancel { id, qty: Qty(order.qty), reason: CancelReason::Cancelled });
        Ok(())
    }

    fn replace(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if qty.0 == 0 {
            return Err(EngineReject::InvalidQuantity);
        }
        if price.0 == 0 {
            return Err(EngineReject::InvalidPrice);
        }
        let i = self.position(id).ok_or(EngineReject::UnknownOrder)?;
        let new_price = decimal_price(price);
        let old = self.orders[i].clone();
        if new_price == old.price && qty.0 < old.qty {
            self.orders[i].qty = qty.0;
            out.push(Event::Reduce { id, qty });
            return Ok(());
        }
        if old.post_only && self.would_take(old.side, new_price) {
            return Err(EngineReject::WouldCross);
        }
        self.orders.remove(i);
        out.push(Event::Requeue { id, side: old.side, price, qty });
        let tif = if old.post_only { Tif::PostOnly } else { Tif::Gtc };
        let again = LimitOrder { id, owner: old.owner, side: old.side, price, qty, tif, stp: old.stp };
        self.limit(again, out).expect("model: a validated replace re-enters without rejection");
        Ok(())
    }

    fn mass_cancel(&mut self, owner: OwnerId, out: &mut Vec<Event>) {
        for side in [Side::Buy, Side::Sell] {
            let ids: Vec<OrderId> = self.queue(side).into_iter().filter(|o| o.owner == owner).map(|o| o.id).collect();
            for id in ids {
                let i = self.position(id).expect("just listed");
                let order = self.orders.remove(i);
                out.push(Event::Cancel { id, qty: Qty(order.qty), reason: CancelReason::MassCancelled });
            }
        }
    }

    fn best_bid(&self) -> Option<Price> {
        self.first(Side::Buy).map(|i| tick_price(self.orders[i].price))
    }

    fn best_ask(&self) -> Option<Price> {
        self.first(Side::Sell).map(|i| tick_price(self.orders[i].price))
    }

    fn order(&self, id: OrderId) -> Option<RestingOrder> {
        self.position(id).map(|i| self.orders[i].report())
    }

    fn resting(&self, side: Side, f: &mut dyn FnMut(RestingOrder)) {
        for order in self.queue(side) {
            f(order.report());
        }
    }

    fn len(&self) -> usize {
        self.orders.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_round_trip_through_decimals() {
        for ticks in [1, 7, 100, u64::MAX - 1, u64::MAX] {
            assert_eq!(tick_price(decimal_price(Price(ticks))), Price(ticks));
        }
    }

    #[test]
    fn budgets_buy_whole_lots_only() {
        let price = decimal_price(Price(7));
        assert_eq!(affordable(0, price), 0);
        assert_eq!(affordable(6, price), 0);
        assert_eq!(affordable(7, price), 1);
        assert_eq!(affordable(20, price), 2);
        assert_eq!(affordable(u128::MAX, decimal_price(Price(1))), u64::MAX);
        let max = u128::from(u64::MAX);
        assert_eq!(affordable(max * 3 + 5, decimal_price(Price(u64::MAX))), 3);
        assert_eq!(affordable(u128::MAX, decimal_price(Price(u64::MAX))), u64::MAX);
    }
}
