//! Orders on the exchange: placing, cancelling, replacing, mass-cancelling, and settling what the
//! engine did into one balanced ledger entry per command.
//!
//! Settlement follows the engine's events one by one:
//! - `Fill`: the buyer pays `notional(price, qty)` of quote from `Held`, the seller pays
//!   `qty` lots of base from `Held`; each receives into `Available` less a fee rounded up
//!   (maker or taker rate by role), the fee going to `Fees`;
//! - `Cancel` / `Reduce` of a resting order: its reservation for that quantity returns to
//!   `Available`; `Requeue`: the whole old reservation returns and the new one is taken;
//! - `Rest` of the incoming order: its remaining reservation stays in `Held`.
//!
//! The incoming order (the taker) reserves its whole possible spend before the engine runs; at
//! the end, whatever it did not spend and does not keep resting returns to `Available`.
//!
//! Under the circuit breaker (`breaker.rs`; off by default) an order or replace is first gated
//! (`market_halted`) and, beyond the band, repriced before the engine sees it; the reservation is
//! taken for the order the engine sees, so settlement is unchanged. With the breaker off the
//! gate answers no band and the order goes to the engine as sent.
//!
//! Fault paths (SPEC §5; nothing below happens with the fault off):
//! - `taker_price` (the engine's): a fill may be reported away from the maker's price, always in
//!   the maker's favour. Settlement uses the reported price; a buy maker's reservation for the
//!   filled quantity was taken at its own, higher price, so the difference returns to it.
//! - `hold_double_release`: a cancel, mass cancel or replace that releases part of an order that
//!   has already been partially filled releases that reservation twice (`Held` debited and
//!   `Available` credited once more), as a cancel racing a fill did.
//! - `fee_rounding_mints`: a fill whose fee is not a whole number of minor units credits `Fees`
//!   the fee rounded up but debits the payer only the fee rounded down: one minor unit minted.
//!
//! The two ledger faults collect their extra postings apart from the honest entry; if any fired,
//! the command's entry is the merge of both, committed through `Ledger::commit_unchecked`. Only
//! these two faults reach that path: with any other fault on (or none) the entry goes through
//! the checked `Ledger::commit`, and a refusal panics (a bug).

use crate::engine::{CancelReason, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId};
use crate::exchange::{Ack, Exchange, NewOrder, OpenOrder, OrderKind, Reject};
use crate::fault::Fault;
use crate::ledger::{Account, CauseKind, UserId};
use crate::units::market::fee_ceil;
use crate::units::{AssetId, Market, MarketId, Minor, Price, Qty, Side};

/// The incoming order while its events are settled.
struct Taker {
    id: OrderId,
    user: UserId,
    side: Side,
    /// Limit price, for the reservation of what rests.
    price: Option<Price>,
    asset: AssetId,
    /// Reserved and not yet spent.
    held: Minor,
    /// Whether its reservation has been taken (a replace takes it at `Requeue`).
    active: bool,
    filled: Qty,
    rested: Qty,
}

impl Taker {
    /// An incoming order that has not reserved anything yet.
    fn new(id: OrderId, user: UserId, side: Side, price: Option<Price>, asset: AssetId) -> Taker {
        Taker { id, user, side, price, asset, held: 0, active: false, filled: Qty(0), rested: Qty(0) }
    }
}

fn owner(user: UserId) -> OwnerId {
    OwnerId(user.0)
}

/// A fee of `bps` basis points on `amount`, rounded **down**: only the `fee_rounding_mints`
/// fault uses it.
fn fee_floor(amount: Minor, bps: u32) -> Minor {
    // At most `amount` (bps ≤ 10 000), so it fits; the fallback is unreachable.
    let fee = amount * i128::from(bps) / 10_000;
    Minor::try_from(fee).unwrap_or(amount)
}

impl<E: MatchingEngine> Exchange<E> {
    pub(in crate::exchange) fn place(&mut self, order: &NewOrder) -> Result<Ack, Reject> {
        self.place_as(order, CauseKind::Order)
    }

    /// Places `order`, naming `kind` as the cause of its ledger entry (an order, or a quote
    /// acceptance executed as a market order under the `quote_reprice` fault).
    pub(in crate::exchange) fn place_as(&mut self, order: &NewOrder, kind: CauseKind) -> Result<Ack, Reject> {
        self.check_user(order.user)?;
        let m = self.market_index(order.market)?;
        let band = self.band_gate(m)?;
        let market = &self.trading.markets[m].market;
        let available = |asset| self.ledger.balance(Account::Available(order.user), asset);
        let id = OrderId(self.trading.next_order);
        let stp = order.stp;
        let (asset, reserve, limit) = match order.kind {
            OrderKind::Limit { price, tif } => {
                if order.qty.0 == 0 {
                    return Err(Reject::InvalidQuantity);
                }
                if price.0 == 0 {
                    return Err(Reject::InvalidPrice);
                }
                if price > market.max_price() {
                    return Err(Reject::PriceTooHigh);
                }
                let (asset, reserve) =
                    Self::reservation(market, order.side, price, order.qty).ok_or(Reject::Overflow)?;
                let o = LimitOrder { id, owner: owner(order.user), side: order.side, price, qty: order.qty, tif, stp };
                (asset, reserve, Ok(o))
            }
            OrderKind::Market => {
                if order.qty.0 == 0 {
                    return Err(Reject::InvalidQuantity);
                }
                let (asset, reserve, budget) = match order.side {
                    Side::Sell => (market.base(), market.base_amount(order.qty).ok_or(Reject::Overflow)?, None),
                    Side::Buy => {
                        // Spend at most what is available, in whole tick·lots.
                        let unit = market.quote_minor_per_tick_lot();
                        let budget = available(market.quote()) / unit;
                        // Below zero only once a custody fault overdrew the account.
                        if budget <= 0 {
                            return Err(Reject::InsufficientFunds);
                        }
                        (market.quote(), budget * unit, Some(budget as u128))
                    }
                };
                let o = MarketOrder { id, owner: owner(order.user), side: order.side, qty: order.qty, budget, stp };
                (asset, reserve, Err(o))
            }
            OrderKind::MarketQuote { amount } => {
                if order.side != Side::Buy || amount <= 0 {
                    return Err(Reject::InvalidAmount);
                }
                let budget = amount / market.quote_minor_per_tick_lot();
                if budget == 0 {
                    return Err(Reject::InvalidAmount);
                }
                let o = MarketOrder {
                    id,
                    owner: owner(order.user),
                    side: Side::Buy,
                    qty: Qty(u64::MAX),
                    budget: Some(budget as u128),
                    stp,
                };
                (market.quote(), amount, Err(o))
            }
        };
        let (reserve, limit, repriced) = match band {
            Some(band) => Self::band_order(market, band, reserve, limit)?,
            None => (reserve, limit, false),
        };
        if available(asset) < reserve {
            return Err(Reject::InsufficientFunds);
        }
        // The engine's order: its limit (a repriced one's) and quantity.
        let (price, qty) = match &limit {
            Ok(o) => (Some(o.price), o.qty),
            Err(o) => (None, o.qty),
        };
        self.trading.events.clear();
        let engine = &mut self.trading.markets[m].engine;
        match limit {
            Ok(o) => engine.limit(o, &mut self.trading.events)?,
            Err(o) => engine.market(o, &mut self.trading.events)?,
        }
        self.trading.next_order += 1;
        let mut taker = Taker::new(id, order.user, order.side, price, asset);
        self.begin_entry();
        self.take_reservation(&mut taker, reserve);
        self.settle(order.market, Some(&mut taker));
        let wanted = match order.kind {
            OrderKind::Limit { price, .. } => Some(price),
            _ => None,
        };
        self.band_after(m, band, order.side, wanted, repriced, taker.filled >= qty);
        self.commit(kind);
        Ok(Ack::Order { id, filled: taker.filled, open: taker.rested })
    }

    /// The open order `id` if `user` owns it.
    fn owned(&self, user: UserId, id: OrderId) -> Result<OpenOrder, Reject> {
        self.check_user(user)?;
        let order = self.trading.orders.get(id.0).ok_or(Reject::UnknownOrder)?;
        if order.owner != user {
            return Err(Reject::NotOwner);
        }
        Ok(*order)
    }

    pub(in crate::exchange) fn cancel(&mut self, user: UserId, id: OrderId) -> Result<Ack, Reject> {
        let order = self.owned(user, id)?;
        self.trading.events.clear();
        self.trading.markets[usize::from(order.market.0)].engine.cancel(id, &mut self.trading.events)?;
        self.begin_entry();
        self.settle(order.market, None);
        self.commit(CauseKind::Cancel);
        Ok(Ack::Cancelled { orders: 1 })
    }

    pub(in crate::exchange) fn replace(
        &mut self,
        user: UserId,
        id: OrderId,
        price: Price,
        qty: Qty,
    ) -> Result<Ack, Reject> {
        let order = self.owned(user, id)?;
        if qty.0 == 0 {
            return Err(Reject::InvalidQuantity);
        }
        if price.0 == 0 {
            return Err(Reject::InvalidPrice);
        }
        let m = usize::from(order.market.0);
        let band = self.band_gate(m)?;
        let market = &self.trading.markets[m].market;
        if price > market.max_price() {
            return Err(Reject::PriceTooHigh);
        }
        let wanted = price;
        let (price, repriced) = band.map_or((price, false), |b| b.clamp(order.side, price));
        let (asset, old) =
            Self::reservation(market, order.side, order.price, order.open).expect("an open order's reservation fits");
        let (_, new) = Self::reservation(market, order.side, price, qty).ok_or(Reject::Overflow)?;
        let available = self.ledger.balance(Account::Available(user), asset);
        if available.checked_add(old).is_none_or(|funds| funds < new) {
            return Err(Reject::InsufficientFunds);
        }
        self.trading.events.clear();
        self.trading.markets[m].engine.replace(id, price, qty, &mut self.trading.events)?;
        // The replaced order becomes a taker only if it loses priority (`Requeue`).
        let mut taker = Taker::new(id, user, order.side, Some(price), asset);
        self.begin_entry();
        self.settle(order.market, Some(&mut taker));
        self.band_after(m, band, order.side, Some(wanted), repriced, taker.filled >= qty);
        self.commit(CauseKind::Replace);
        let open = self.trading.orders.get(id.0).map_or(Qty(0), |o| o.open);
        Ok(Ack::Replaced { id, filled: taker.filled, open })
    }

    pub(in crate::exchange) fn mass_cancel(&mut self, user: UserId, market: Option<MarketId>) -> Result<Ack, Reject> {
        self.check_user(user)?;
        let range = match market {
            Some(m) => {
                let i = self.market_index(m)?;
                i..i + 1
            }
            None => 0..self.trading.markets.len(),
        };
        self.begin_entry();
        let mut cancelled = 0u32;
        for i in range {
            self.trading.events.clear();
            self.trading.markets[i].engine.mass_cancel(owner(user), &mut self.trading.events);
            cancelled += self.trading.events.len() as u32;
            let market_id = MarketId(u16::try_from(i).expect("market ids fit u16"));
            self.settle(market_id, None);
        }
        self.commit(CauseKind::MassCancel);
        Ok(Ack::Cancelled { orders: cancelled })
    }

    /// Starts the entry of a command: no postings, honest or faulty.
    #[inline]
    fn take_reservation(&mut self, taker: &mut Taker, amount: Minor) {
        self.postings.post(Account::Available(taker.user), taker.asset, -amount);
        self.postings.post(Account::Held(taker.user), taker.asset, amount);
        taker.held = amount;
        taker.active = true;
    }

    fn release(&mut self, user: UserId, asset: AssetId, amount: Minor) {
        assert!(amount >= 0, "released a negative amount {amount}");
        self.postings.post(Account::Held(user), asset, -amount);
        self.postings.post(Account::Available(user), asset, amount);
    }

    /// Releases the reservation of `qty` lots of the resting order `id` and lowers its open
    /// quantity; forgets it when nothing is open. `by_owner` marks a release the owner asked for
    /// (a cancel, mass cancel or replace), which the `hold_double_release` fault doubles.
    fn release_resting(&mut self, market: &Market, id: OrderId, qty: Qty, by_owner: bool) {
        let order = self.trading.orders.get_mut(id.0).expect("every resting order is known to the exchange");
        assert!(qty <= order.open, "order {} released {} of {} open", id.0, qty.0, order.open.0);
        order.open = Qty(order.open.0 - qty.0);
        let order = *order;
        if order.open.0 == 0 {
            self.trading.orders.remove(id.0);
        }
        let (asset, amount) =
            Self::reservation(market, order.side, order.price, qty).expect("part of a reservation fits");
        self.release(order.owner, asset, amount);
        if by_owner && order.partially_filled && self.faults.has(Fault::HoldDoubleRelease) {
            // Fault `hold_double_release`: the cancel "races" the earlier fill and releases again.
            self.fault_postings.post(Account::Held(order.owner), asset, -amount);
            self.fault_postings.post(Account::Available(order.owner), asset, amount);
        }
    }

    /// Turns the engine events in `self.trading.events` into postings (see the module docs).
    fn settle(&mut self, market_id: MarketId, mut taker: Option<&mut Taker>) {
        let market = self.trading.markets[usize::from(market_id.0)].market.clone();
        let fees = market.fees();
        for i in 0..self.trading.events.len() {
            let event = self.trading.events[i];
            self.command_events.push((market_id, event));
            match event {
                Event::Fill { maker, taker: taker_id, price, qty } => {
                    let t = taker.as_deref_mut().expect("fills have a taker");
                    assert_eq!(t.id, taker_id, "fill for another taker");
                    assert!(t.active, "the taker reserved before it filled");
                    if let Some(limit) = t.price {
                        assert!(
                            t.side.accepts(limit, price),
                            "fill at {} beyond the taker's limit {}",
                            price.0,
                            limit.0
                        );
                    }
                    let resting = *self.trading.orders.get(maker.0).expect("every maker is known");
                    if resting.price != price {
                        // Only the engine fault `taker_price` reports such a fill, always in the
                        // maker's favour; settle it at the reported price.
                        assert!(
                            self.faults.has(Fault::TakerPrice) && resting.side.accepts(resting.price, price),
                            "fill at {} away from the maker's price {}",
                            price.0,
                            resting.price.0
                        );
                        self.settle_maker_improvement(&market, resting, price, qty);
                    }
                    let notional = market.notional(price, qty).expect("a fill's notional is within a reservation");
                    let base = market.base_amount(qty).expect("a fill's base is within a reservation");
                    let (buyer, seller, buyer_bps, seller_bps) = match t.side {
                        Side::Buy => (t.user, resting.owner, fees.taker_bps, fees.maker_bps),
                        Side::Sell => (resting.owner, t.user, fees.maker_bps, fees.taker_bps),
                    };
                    // The taker spends from its reservation; the maker's reservation for qty is exactly this.
                    t.held -= if t.side == Side::Buy { notional } else { base };
                    assert!(t.held >= 0, "taker {} spent beyond its reservation", t.id.0);
                    t.filled = Qty(t.filled.0 + qty.0);
                    let order = self.trading.orders.get_mut(maker.0).expect("maker known");
                    order.open = Qty(order.open.0.checked_sub(qty.0).expect("a maker fills at most its open quantity"));
                    order.partially_filled = true;
                    if order.open.0 == 0 {
                        self.trading.orders.remove(maker.0);
                    }
                    let (quote_fee, base_fee) = (fee_ceil(notional, seller_bps), fee_ceil(base, buyer_bps));
                    let p = &mut self.postings;
                    p.post(Account::Held(buyer), market.quote(), -notional);
                    p.post(Account::Available(seller), market.quote(), notional - quote_fee);
                    p.post(Account::Fees, market.quote(), quote_fee);
                    p.post(Account::Held(seller), market.base(), -base);
                    p.post(Account::Available(buyer), market.base(), base - base_fee);
                    p.post(Account::Fees, market.base(), base_fee);
                    if self.faults.has(Fault::FeeRoundingMints) {
                        // Fault `fee_rounding_mints`: each payer is debited its fee rounded down
                        // while `Fees` keeps the fee rounded up.
                        let f = &mut self.fault_postings;
                        f.post(Account::Available(seller), market.quote(), quote_fee - fee_floor(notional, seller_bps));
                        f.post(Account::Available(buyer), market.base(), base_fee - fee_floor(base, buyer_bps));
                    }
                }
                Event::Cancel { id, qty, reason } => {
                    if taker.as_deref().is_some_and(|t| t.id == id && self.trading.orders.get(id.0).is_none()) {
                        // The incoming order's own remainder: released at the end.
                        continue;
                    }
                    let by_owner = matches!(reason, CancelReason::Cancelled | CancelReason::MassCancelled);
                    self.release_resting(&market, id, qty, by_owner);
                }
                Event::Rest { id, side, price, qty } => {
                    let t = taker.as_deref_mut().expect("only the incoming order rests");
                    assert_eq!(t.id, id);
                    t.rested = qty;
                    let (owner, partially_filled) = (t.user, t.filled.0 > 0);
                    let order = OpenOrder { owner, market: market_id, side, price, open: qty, partially_filled };
                    self.trading.orders.insert_new(id.0, order);
                }
                Event::Reduce { id, qty } => {
                    let open = self.trading.orders.get(id.0).expect("a reduced order is open").open;
                    self.release_resting(&market, id, Qty(open.0 - qty.0), true);
                }
                Event::Requeue { id, price, qty, side } => {
                    let open = self.trading.orders.get(id.0).expect("a requeued order is open").open;
                    self.release_resting(&market, id, open, true);
                    let (_, reserve) =
                        Self::reservation(&market, side, price, qty).expect("checked before the engine ran");
                    let t = taker.as_deref_mut().expect("a requeue re-enters as the taker");
                    assert!(t.id == id && !t.active);
                    let (user, asset) = (t.user, t.asset);
                    self.postings.post(Account::Available(user), asset, -reserve);
                    self.postings.post(Account::Held(user), asset, reserve);
                    t.held = reserve;
                    t.active = true;
                }
            }
        }
        if let Some(t) = taker {
            if t.active {
                let keep = match t.price {
                    Some(price) if t.rested.0 > 0 => {
                        Self::reservation(&market, t.side, price, t.rested).expect("fits").1
                    }
                    _ => 0,
                };
                let (user, asset, spare) = (t.user, t.asset, t.held - keep);
                self.release(user, asset, spare);
            }
        }
    }

    /// A buy maker filled below its resting price (fault `taker_price`) reserved the filled
    /// quantity at its own price: the difference returns from `Held` to `Available`.
    #[cold]
    fn settle_maker_improvement(&mut self, market: &Market, resting: OpenOrder, price: Price, qty: Qty) {
        if resting.side != Side::Buy {
            // A sell maker simply receives more quote; its base reservation is unchanged.
            return;
        }
        // Both fit: the first is part of the maker's reservation, the second is below it.
        if let (Some(reserved), Some(paid)) = (market.notional(resting.price, qty), market.notional(price, qty)) {
            self.release(resting.owner, market.quote(), reserved.saturating_sub(paid).max(0));
        }
    }
}
