//! [`Book`]: the reference matching engine for one market.
//!
//! Layout, chosen for speed on deep books, cancel storms and wide sweeps:
//! - orders live in an arena (`Vec<Node>` plus a free list), linked into one FIFO queue per price
//!   level through `prev`/`next` slot indices, so a cancel unlinks in O(1) once found;
//! - each side is a [`Ladder`]: levels in a `Vec` sorted so the best is last;
//! - ids map to slots through a [`LookupMap`] that cannot be iterated.
//!
//! Invariants (asserted where produced, re-checked in full by [`Book::check`]):
//! - best bid < best ask after every message;
//! - every fill is at the maker's price and within the taker's limit, for a positive quantity;
//! - every resting order has a positive open quantity, and no level is empty;
//! - the id index holds exactly the resting orders.
//!
//! Fault paths (SPEC §5), on only in a book made by [`Book::with_faults`], each breaking exactly
//! one matching rule while keeping every structural invariant above (so [`Book::check`] still
//! passes and the exchange can still follow every event):
//! - `ioc_rests`: an IOC order's unfilled remainder rests as if GTC (a `Rest`, not a `Cancel`);
//! - `taker_price`: a **limit** taker's fills execute at the taker's limit instead of the maker's
//!   price (market orders are unchanged);
//! - `priority_lost_on_partial`: a maker left partially filled moves silently to the back of its
//!   level's queue.
//!
//! With no fault on, a fault costs one test of a bit per level or per surviving maker.

use super::ladder::{Ladder, NIL};
use super::{
    CancelReason, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, RestingOrder, Stp,
    Tif,
};
use crate::fault::{Fault, FaultSet};
use crate::lookup::LookupMap;
use crate::units::{Price, Qty, Side};

/// A resting order in the arena.
#[derive(Clone, Copy, Debug)]
struct Node {
    id: u64,
    qty: u64,
    key: u64,
    prev: u32,
    next: u32,
    owner: OwnerId,
    side: Side,
    post_only: bool,
    stp: Stp,
}

/// An incoming order while it matches.
struct Taker {
    id: OrderId,
    owner: OwnerId,
    side: Side,
    limit: Option<Price>,
    qty: u64,
    budget: Option<u128>,
    stp: Stp,
}

/// How matching ended for the taker.
#[derive(PartialEq, Eq)]
enum Stop {
    /// Filled, out of crossing liquidity, or out of budget: the caller decides about the remainder.
    Open,
    /// Self-trade prevention already cancelled the taker's remainder.
    Cancelled,
}

/// The reference matching engine. See the module docs.
#[derive(Clone, Debug)]
pub struct Book {
    bids: Ladder,
    asks: Ladder,
    nodes: Vec<Node>,
    free: Vec<u32>,
    ids: LookupMap<u32>,
    /// The fault switches of SPEC §5 that live in the engine (none for [`Book::new`]).
    faults: FaultSet,
}

impl Default for Book {
    fn default() -> Self {
        Book::new()
    }
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::with_faults(FaultSet::NONE)
    }

    /// An empty book with the engine faults of `faults` switched on (`ioc_rests`, `taker_price`,
    /// `priority_lost_on_partial`; the others are not the engine's and change nothing here). See
    /// the module docs. `Book::with_faults(FaultSet::NONE)` is [`Book::new`].
    pub fn with_faults(faults: FaultSet) -> Book {
        Book {
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            nodes: Vec::new(),
            free: Vec::new(),
            ids: LookupMap::default(),
            faults,
        }
    }

    /// An empty book with room for `orders` resting orders before it allocates.
    pub fn with_capacity(orders: usize) -> Book {
        let mut book = Book::new();
        book.nodes.reserve(orders);
        book
    }

    #[inline]
    fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Whether an incoming order on `side` with `limit` would trade against the opposite best.
    #[inline]
    fn crosses(&self, side: Side, limit: Price) -> bool {
        match self.ladder(side.opposite()).best_price() {
            Some(best) => side.accepts(limit, best),
            None => false,
        }
    }

    #[inline]
    fn assert_uncrossed(&self) {
        if let (Some(bid), Some(ask)) = (self.bids.best_price(), self.asks.best_price()) {
            assert!(bid < ask, "book crossed: best bid {bid} >= best ask {ask}");
        }
    }

    /// Appends `order` with `qty` open at the back of its level's queue.
    fn rest(&mut self, order: &LimitOrder, qty: u64) {
        let LimitOrder { id, owner, side, price, tif, stp, .. } = *order;
        let post_only = tif == Tif::PostOnly;
        // (An id already resting is refused by `insert_new` below.)
        assert!(qty > 0, "order {} rests with no open quantity", id.0);
        let ladder = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let key = ladder.key(price);
        let node = Node { id: id.0, qty, key, prev: NIL, next: NIL, owner, side, post_only, stp };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                let slot = u32::try_from(self.nodes.len()).expect("fewer than 2^32 resting orders");
                assert!(slot != NIL, "arena full");
                grow_by_half(&mut self.nodes);
                self.nodes.push(node);
                slot
            }
        };
        let level = ladder.level_mut_or_insert(key);
        if level.tail == NIL {
            level.head = slot;
        } else {
            self.nodes[level.tail as usize].next = slot;
            self.nodes[slot as usize].prev = level.tail;
        }
        level.tail = slot;
        self.ids.insert_new(id.0, slot);
    }

    /// Unlinks the order in `slot` from its level and frees it.
    fn remove(&mut self, slot: u32) -> Node {
        let node = self.nodes[slot as usize];
        let ladder = match node.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let level = ladder.level_mut(node.key);
        if node.prev == NIL {
            level.head = node.next;
        } else {
            self.nodes[node.prev as usize].next = node.next;
        }
        if node.next == NIL {
            level.tail = node.prev;
        } else {
            self.nodes[node.next as usize].prev = node.prev;
        }
        if level.head == NIL {
            ladder.remove(node.key);
        }
        self.ids.remove(node.id).expect("a resting order is indexed");
        self.free.push(slot);
        node
    }

    /// Whether a fill-or-kill taker can fill `qty` completely right now without meeting an order
    /// of its own owner first (a FOK that would self-trade is killed). Walks the crossing orders
    /// in priority order: O(orders it would fill), the cost of filling it.
    fn fok_fillable(&self, side: Side, limit: Price, qty: u64, owner: OwnerId) -> bool {
        let opposite = self.ladder(side.opposite());
        let self_trade_possible = owner != OwnerId::NONE;
        let mut need = qty;
        for level in opposite.iter_best_first() {
            if !side.accepts(limit, opposite.price(level.key)) {
                return false;
            }
            let mut slot = level.head;
            while slot != NIL {
                let node = &self.nodes[slot as usize];
                if self_trade_possible && node.owner == owner {
                    return false;
                }
                if node.qty >= need {
                    return true;
                }
                need -= node.qty;
                slot = node.next;
            }
        }
        false
    }

    /// Matches `taker` against the opposite side until it is filled, its limit or budget stops
    /// it, the side is empty, or self-trade prevention cancels it.
    fn take(&mut self, taker: &mut Taker, out: &mut Vec<Event>) -> Stop {
        let (opposite, nodes, free, ids) = match taker.side {
            Side::Buy => (&mut self.asks, &mut self.nodes, &mut self.free, &mut self.ids),
            Side::Sell => (&mut self.bids, &mut self.nodes, &mut self.free, &mut self.ids),
        };
        let self_trade_possible = taker.owner != OwnerId::NONE;
        // Fault `taker_price`: a limit taker's fills report its own limit as the price.
        let taker_price = match taker.limit {
            Some(limit) if self.faults.has(Fault::TakerPrice) => Some(limit),
            _ => None,
        };
        let lose_priority = self.faults.has(Fault::PriorityLostOnPartial);
        while taker.qty > 0 {
            let Some(level_key) = opposite.best().map(|l| l.key) else { break };
            let price = opposite.price(level_key);
            if let Some(limit) = taker.limit {
                if !taker.side.accepts(limit, price) {
                    break;
                }
            }
            let fill_price = taker_price.unwrap_or(price);
            let level = opposite.best_mut().expect("best level exists");
            let mut stop = None;
            // Always operate on the head: an order is passed only once it is gone.
            while level.head != NIL && taker.qty > 0 {
                let slot = level.head;
                let maker = &mut nodes[slot as usize];
                let mut traded = 0;
                if self_trade_possible && maker.owner == taker.owner {
                    match taker.stp {
                        Stp::CancelNewest => {
                            out.push(Event::Cancel {
                                id: taker.id,
                                qty: Qty(taker.qty),
                                reason: CancelReason::SelfTrade,
                            });
                            taker.qty = 0;
                            stop = Some(Stop::Cancelled);
                            break;
                        }
                        Stp::CancelOldest | Stp::CancelBoth => {
                            out.push(Event::Cancel {
                                id: OrderId(maker.id),
                                qty: Qty(maker.qty),
                                reason: CancelReason::SelfTrade,
                            });
                            maker.qty = 0;
                            if taker.stp == Stp::CancelBoth {
                                out.push(Event::Cancel {
                                    id: taker.id,
                                    qty: Qty(taker.qty),
                                    reason: CancelReason::SelfTrade,
                                });
                                taker.qty = 0;
                                stop = Some(Stop::Cancelled);
                            }
                        }
                        Stp::Decrement => {
                            let d = taker.qty.min(maker.qty);
                            out.push(Event::Cancel {
                                id: OrderId(maker.id),
                                qty: Qty(d),
                                reason: CancelReason::SelfTrade,
                            });
                            out.push(Event::Cancel { id: taker.id, qty: Qty(d), reason: CancelReason::SelfTrade });
                            maker.qty -= d;
                            taker.qty -= d;
                        }
                    }
                } else {
                    traded = taker.qty.min(maker.qty);
                    if let Some(budget) = taker.budget.as_mut() {
                        let affordable = *budget / u128::from(price.0);
                        traded = traded.min(u64::try_from(affordable).unwrap_or(u64::MAX));
                        if traded == 0 {
                            stop = Some(Stop::Open);
                            break;
                        }
                        *budget -= u128::from(traded) * u128::from(price.0);
                    }
                    assert!(traded > 0, "a fill is for a positive quantity");
                    out.push(Event::Fill {
                        maker: OrderId(maker.id),
                        taker: taker.id,
                        price: fill_price,
                        qty: Qty(traded),
                    });
                    maker.qty -= traded;
                    taker.qty -= traded;
                }
                if maker.qty == 0 {
                    // The maker is gone: unlink the head.
                    let next = maker.next;
                    ids.remove(maker.id).expect("a resting order is indexed");
                    free.push(slot);
                    level.head = next;
                    if next == NIL {
                        level.tail = NIL;
                    } else {
                        nodes[next as usize].prev = NIL;
                    }
                } else {
                    // The maker outlives this step only if the taker is done, stopped, self-traded,
                    // or can no longer afford a whole lot (its next step stops on the budget).
                    assert!(
                        taker.qty == 0 || stop.is_some() || traded == 0 || taker.budget.is_some(),
                        "maker {} outlived a fill with the taker still open",
                        maker.id
                    );
                    if lose_priority && traded > 0 && level.tail != slot {
                        // Fault `priority_lost_on_partial`: the partially filled head silently
                        // moves to the back of its queue. (The loop still ends: the taker is done,
                        // or out of budget at this price.)
                        let next = maker.next;
                        let tail = level.tail;
                        nodes[next as usize].prev = NIL;
                        nodes[tail as usize].next = slot;
                        let moved = &mut nodes[slot as usize];
                        moved.prev = tail;
                        moved.next = NIL;
                        level.head = next;
                        level.tail = slot;
                    }
                }
                if stop.is_some() {
                    break;
                }
            }
            if level.head == NIL {
                opposite.pop_best();
            }
            if let Some(stop) = stop {
                return stop;
            }
        }
        Stop::Open
    }
}

impl MatchingEngine for Book {
    fn check_structure(&self) -> Result<(), String> {
        self.check()
    }

    fn limit(&mut self, order: LimitOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if order.qty.0 == 0 {
            return Err(EngineReject::InvalidQuantity);
        }
        if order.price.0 == 0 {
            return Err(EngineReject::InvalidPrice);
        }
        if self.ids.contains_key(order.id.0) {
            return Err(EngineReject::DuplicateOrderId);
        }
        match order.tif {
            Tif::PostOnly if self.crosses(order.side, order.price) => return Err(EngineReject::WouldCross),
            Tif::Fok if !self.fok_fillable(order.side, order.price, order.qty.0, order.owner) => {
                out.push(Event::Cancel { id: order.id, qty: order.qty, reason: CancelReason::Killed });
                return Ok(());
            }
            _ => {}
        }
        let mut taker = Taker {
            id: order.id,
            owner: order.owner,
            side: order.side,
            limit: Some(order.price),
            qty: order.qty.0,
            budget: None,
            stp: order.stp,
        };
        let stop = self.take(&mut taker, out);
        if stop == Stop::Open && taker.qty > 0 {
            let rests = match order.tif {
                Tif::Gtc | Tif::PostOnly => true,
                // Fault `ioc_rests`: an IOC remainder rests as if GTC.
                Tif::Ioc => self.faults.has(Fault::IocRests),
                Tif::Fok => unreachable!("a fillable FOK filled completely"),
            };
            if rests {
                self.rest(&order, taker.qty);
                out.push(Event::Rest { id: order.id, side: order.side, price: order.price, qty: Qty(taker.qty) });
            } else {
                out.push(Event::Cancel { id: order.id, qty: Qty(taker.qty), reason: CancelReason::Unfilled });
            }
        }
        self.assert_uncrossed();
        Ok(())
    }

    fn market(&mut self, order: MarketOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if order.qty.0 == 0 || order.budget == Some(0) {
            return Err(EngineReject::InvalidQuantity);
        }
        if self.ids.contains_key(order.id.0) {
            return Err(EngineReject::DuplicateOrderId);
        }
        let mut taker = Taker {
            id: order.id,
            owner: order.owner,
            side: order.side,
            limit: None,
            qty: order.qty.0,
            budget: order.budget,
            stp: order.stp,
        };
        if self.take(&mut taker, out) == Stop::Open && taker.qty > 0 {
            out.push(Event::Cancel { id: order.id, qty: Qty(taker.qty), reason: CancelReason::Unfilled });
        }
        self.assert_uncrossed();
        Ok(())
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        let slot = self.ids.get(id.0).copied().ok_or(EngineReject::UnknownOrder)?;
        let node = self.remove(slot);
        out.push(Event::Cancel { id, qty: Qty(node.qty), reason: CancelReason::Cancelled });
        Ok(())
    }

    fn replace(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if qty.0 == 0 {
            return Err(EngineReject::InvalidQuantity);
        }
        if price.0 == 0 {
            return Err(EngineReject::InvalidPrice);
        }
        let slot = self.ids.get(id.0).copied().ok_or(EngineReject::UnknownOrder)?;
        let node = self.nodes[slot as usize];
        let key = self.ladder(node.side).key(price);
        if key == node.key && qty.0 < node.qty {
            // Same price, lower quantity: keeps its place in the queue.
            self.nodes[slot as usize].qty = qty.0;
            out.push(Event::Reduce { id, qty });
            return Ok(());
        }
        if node.post_only && self.crosses(node.side, price) {
            return Err(EngineReject::WouldCross);
        }
        self.remove(slot);
        out.push(Event::Requeue { id, side: node.side, price, qty });
        let tif = if node.post_only { Tif::PostOnly } else { Tif::Gtc };
        let order = LimitOrder { id, owner: node.owner, side: node.side, price, qty, tif, stp: node.stp };
        let result = self.limit(order, out);
        assert!(result.is_ok(), "a validated replace re-enters without rejection");
        Ok(())
    }

    fn mass_cancel(&mut self, owner: OwnerId, out: &mut Vec<Event>) {
        let mut slots = Vec::new();
        for ladder in [&self.bids, &self.asks] {
            for level in ladder.iter_best_first() {
                let mut slot = level.head;
                while slot != NIL {
                    let node = &self.nodes[slot as usize];
                    if node.owner == owner {
                        slots.push(slot);
                    }
                    slot = node.next;
                }
            }
        }
        for slot in slots {
            let node = self.remove(slot);
            out.push(Event::Cancel { id: OrderId(node.id), qty: Qty(node.qty), reason: CancelReason::MassCancelled });
        }
    }

    #[inline]
    fn best_bid(&self) -> Option<Price> {
        self.bids.best_price()
    }

    #[inline]
    fn best_ask(&self) -> Option<Price> {
        self.asks.best_price()
    }

    fn order(&self, id: OrderId) -> Option<RestingOrder> {
        let node = &self.nodes[*self.ids.get(id.0)? as usize];
        Some(RestingOrder {
            id,
            owner: node.owner,
            side: node.side,
            price: self.ladder(node.side).price(node.key),
            qty: Qty(node.qty),
        })
    }

    fn resting(&self, side: Side, f: &mut dyn FnMut(RestingOrder)) {
        let ladder = self.ladder(side);
        for level in ladder.iter_best_first() {
            let price = ladder.price(level.key);
            let mut slot = level.head;
            while slot != NIL {
                let node = &self.nodes[slot as usize];
                f(RestingOrder { id: OrderId(node.id), owner: node.owner, side, price, qty: Qty(node.qty) });
                slot = node.next;
            }
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Before a push onto a full `v`, makes room for half as many again (at least 16) instead of the
/// doubling `Vec` would do: spare capacity is then at most a third of the allocation, which keeps
/// a book at ≤ 128 bytes per resting order right after it grew (SPEC §11). Amortized O(1) still:
/// each element is copied at most twice over, on average.
#[inline]
pub(crate) fn grow_by_half<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(16));
    }
}

impl Book {
    /// Number of price levels on `side`.
    pub fn depth(&self, side: Side) -> usize {
        self.ladder(side).len()
    }

    /// For tests of the code that runs [`Book::check`]: unlinks the best bid's queue from its
    /// orders (the level's head says it is empty while they stay indexed), a break no message
    /// can cause. Returns whether there was a bid to break.
    #[cfg(test)]
    pub(crate) fn break_structure_for_test(&mut self) -> bool {
        match self.bids.best_mut() {
            Some(level) => {
                level.head = NIL;
                true
            }
            None => false,
        }
    }

    /// Re-checks every structural invariant of the book from scratch (O(orders)). Returns the
    /// first broken one. Run on every market at the end of every simulated run.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = 0usize;
        for ladder in [&self.bids, &self.asks] {
            let mut previous_key: Option<u64> = None;
            for level in ladder.iter_best_first() {
                if previous_key.is_some_and(|k| k <= level.key) {
                    return Err(format!("levels out of order at price {}", ladder.price(level.key)));
                }
                previous_key = Some(level.key);
                if level.head == NIL {
                    return Err(format!("empty level at price {}", ladder.price(level.key)));
                }
                let (mut slot, mut prev) = (level.head, NIL);
                while slot != NIL {
                    let node = &self.nodes[slot as usize];
                    if node.prev != prev || node.key != level.key || node.qty == 0 {
                        return Err(format!("order {} badly linked or empty", node.id));
                    }
                    if self.ids.get(node.id) != Some(&slot) {
                        return Err(format!("order {} missing from the id index", node.id));
                    }
                    seen += 1;
                    prev = slot;
                    slot = node.next;
                }
                if level.tail != prev {
                    return Err(format!("level {} tail is wrong", ladder.price(level.key)));
                }
            }
        }
        if seen != self.ids.len() {
            return Err(format!("{} orders linked but {} indexed", seen, self.ids.len()));
        }
        if let (Some(bid), Some(ask)) = (self.best_bid(), self.best_ask()) {
            if bid >= ask {
                return Err(format!("crossed: {bid} >= {ask}"));
            }
        }
        Ok(())
    }
}
