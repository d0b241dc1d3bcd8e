//! The book checker's shadow of one market's book, rebuilt only from the engine's events.
//!
//! Per side, one `BTreeMap` from (price rank, arrival) to order id — the rank is the price for
//! asks and its complement for bids, so each side's first entry is its best price's earliest
//! order — and the resting orders by id: slow and obviously right. (One ordered map per side
//! rather than a FIFO per price level: the same order, and a copy of the whole shadow, which the
//! `exchange` fuzz target makes for every script, allocates a few nodes instead of a queue per
//! level.) Replaying an event checks it against the shadow *before* applying it, which is what
//! makes the priority, limit and time-in-force checks independent of the engine's own data
//! structures.

use std::collections::BTreeMap;

use super::checker::Found;
use crate::catalog::Invariant;
use crate::engine::{Event, OrderId, Tif};
use crate::exchange::Command;
use crate::ledger::UserId;
use crate::units::{MarketId, Price, Qty, Side};

#[derive(Clone, Copy, Debug)]
struct ShadowOrder {
    owner: UserId,
    side: Side,
    price: Price,
    qty: Qty,
    post_only: bool,
}

/// What the incoming order of a `Place` may do.
#[derive(Clone, Copy, Debug)]
pub(super) struct TakerRules {
    pub id: OrderId,
    pub side: Side,
    /// `None` for market orders.
    pub limit: Option<Price>,
    /// `None` for market orders.
    pub tif: Option<Tif>,
    pub qty: Qty,
    pub fok: bool,
}

/// A side's key: the price's rank on its side (best first), then the arrival number.
type Key = (u64, u64);

/// The rank of `price` on `side`: ascending ranks run from the best price to the worst.
fn rank(side: Side, price: Price) -> u64 {
    match side {
        Side::Buy => !price.0,
        Side::Sell => price.0,
    }
}

/// The price of a rank on `side` (the inverse of [`rank`]).
fn price_of(side: Side, rank: u64) -> Price {
    match side {
        Side::Buy => Price(!rank),
        Side::Sell => Price(rank),
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct ShadowBook {
    bids: BTreeMap<Key, OrderId>,
    asks: BTreeMap<Key, OrderId>,
    orders: BTreeMap<OrderId, ShadowOrder>,
    /// How many orders rested so far: the next one's arrival number.
    arrivals: u64,
}

impl ShadowBook {
    fn side(&self, side: Side) -> &BTreeMap<Key, OrderId> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Key, OrderId> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Best price of a side.
    pub(super) fn best(&self, side: Side) -> Option<Price> {
        self.side(side).first_key_value().map(|(&(r, _), _)| price_of(side, r))
    }

    /// The earliest order at the best price of `side`.
    fn head(&self, side: Side) -> Option<OrderId> {
        self.side(side).first_key_value().map(|(_, id)| *id)
    }

    /// Number of resting orders.
    pub(super) fn len(&self) -> usize {
        self.orders.len()
    }

    /// Every resting order: (owner, side, price, open lots).
    pub(super) fn resting(&self) -> impl Iterator<Item = (OrderId, UserId, Side, Price, Qty)> + '_ {
        self.orders.iter().map(|(id, o)| (*id, o.owner, o.side, o.price, o.qty))
    }

    /// Lowers an order's quantity by `qty`, removing it at zero.
    fn reduce(&mut self, id: OrderId, qty: Qty) -> Result<(), String> {
        let order = self.orders.get_mut(&id).ok_or_else(|| format!("order {} is not resting", id.0))?;
        if qty > order.qty {
            return Err(format!("order {} lost {} of its {} open", id.0, qty.0, order.qty.0));
        }
        order.qty = Qty(order.qty.0 - qty.0);
        if order.qty.0 == 0 {
            self.remove(id);
        }
        Ok(())
    }

    /// Takes a resting order off the book: its record, and every place `id` holds in the queue
    /// at its price.
    fn remove(&mut self, id: OrderId) -> ShadowOrder {
        let order = self.orders.remove(&id).expect("removing a resting order");
        let r = rank(order.side, order.price);
        let side = self.side_mut(order.side);
        let mut places = 0;
        while let Some(key) = side.range((r, 0)..=(r, u64::MAX)).find(|(_, q)| **q == id).map(|(k, _)| *k) {
            side.remove(&key);
            places += 1;
        }
        assert!(places > 0, "order {} rests in its level", id.0);
        order
    }

    /// Rests an order at the back of its price's queue.
    fn rest(&mut self, id: OrderId, order: ShadowOrder) {
        self.orders.insert(id, order);
        let arrival = self.arrivals;
        self.arrivals += 1;
        self.side_mut(order.side).insert((rank(order.side, order.price), arrival), id);
    }

    /// Checks and applies one command's events. `owner` is the user who sent the command.
    pub(super) fn replay(
        &mut self,
        events: &[(MarketId, Event)],
        rules: Option<&TakerRules>,
        command: &Command,
        owner: UserId,
        found: &mut Found,
    ) {
        let mut taker = rules.map(|r| (r.id, r.side, r.limit, r.tif));
        let mut filled = 0u64;
        for &(_, event) in events {
            match event {
                Event::Fill { maker, taker: taker_id, price, qty } => {
                    let Some(resting) = self.orders.get(&maker).copied() else {
                        found.push((
                            Invariant::PriceTimePriority,
                            format!("fill against order {}, which is not resting", maker.0),
                        ));
                        continue;
                    };
                    if self.head(resting.side) != Some(maker) {
                        found.push((
                            Invariant::PriceTimePriority,
                            format!(
                                "order {} filled at {} while order {:?} was ahead of it",
                                maker.0,
                                price.0,
                                self.head(resting.side).map(|o| o.0)
                            ),
                        ));
                    }
                    if price != resting.price {
                        found.push((
                            Invariant::LimitRespected,
                            format!("fill at {} but maker {} rests at {}", price.0, maker.0, resting.price.0),
                        ));
                    }
                    match taker {
                        Some((id, side, limit, tif)) if id == taker_id => {
                            if side == resting.side {
                                found.push((
                                    Invariant::PriceTimePriority,
                                    format!("order {} traded with its own side", id.0),
                                ));
                            }
                            if limit.is_some_and(|l| !side.accepts(l, price)) {
                                found.push((
                                    Invariant::LimitRespected,
                                    format!(
                                        "taker {} filled at {} beyond its limit {:?}",
                                        id.0,
                                        price.0,
                                        limit.map(|l| l.0)
                                    ),
                                ));
                            }
                            if tif == Some(Tif::PostOnly) {
                                found.push((
                                    Invariant::TifRespected,
                                    format!("post-only order {} took liquidity", id.0),
                                ));
                            }
                        }
                        _ => found.push((
                            Invariant::PriceTimePriority,
                            format!("fill for taker {} that {command:?} did not send", taker_id.0),
                        )),
                    }
                    filled += qty.0;
                    if let Err(detail) = self.reduce(maker, qty) {
                        found.push((Invariant::PriceTimePriority, detail));
                    }
                }
                Event::Cancel { id, qty, .. } => {
                    // Cancelling more than is open is the holds checker's to report
                    // (`holds_match_open_orders`); the shadow then keeps the order as it was.
                    if self.orders.contains_key(&id) && self.reduce(id, qty).is_err() {
                        continue;
                    }
                }
                Event::Rest { id, side, price, qty } => {
                    match taker {
                        Some((t, _, _, tif)) if t == id => match tif {
                            Some(Tif::Gtc) | Some(Tif::PostOnly) => {}
                            other => found
                                .push((Invariant::TifRespected, format!("order {} with tif {other:?} rested", id.0))),
                        },
                        _ => found.push((Invariant::TifRespected, format!("order {} rested but was not sent", id.0))),
                    }
                    let post_only = taker.is_some_and(|(_, _, _, tif)| tif == Some(Tif::PostOnly));
                    self.rest(id, ShadowOrder { owner, side, price, qty, post_only });
                }
                Event::Reduce { id, qty } => match self.orders.get_mut(&id) {
                    Some(order) if qty < order.qty => order.qty = qty,
                    _ => found.push((
                        Invariant::PriceTimePriority,
                        format!("order {} reduced in place to {} from more", id.0, qty.0),
                    )),
                },
                Event::Requeue { id, side, price, .. } => {
                    if !self.orders.contains_key(&id) {
                        found.push((
                            Invariant::PriceTimePriority,
                            format!("requeue of order {}, which is not resting", id.0),
                        ));
                        continue;
                    }
                    let old = self.remove(id);
                    let tif = if old.post_only { Tif::PostOnly } else { Tif::Gtc };
                    taker = Some((id, side, Some(price), Some(tif)));
                }
            }
        }
        if let Some(r) = rules {
            if r.fok && filled != 0 && filled != r.qty.0 {
                found.push((
                    Invariant::TifRespected,
                    format!("fill-or-kill order {} filled {} of {}", r.id.0, filled, r.qty.0),
                ));
            }
        }
    }
}
