//! The holds checker: `holds_match_open_orders`.
//!
//! Its shadow is every resting order's owner, side, price and open lots, followed from the
//! engine's events alone (a rest adds, a fill of the maker, a cancel or a reduce takes away, a
//! requeue removes), and from it what each (user, asset) reserves, with conversion factors derived
//! independently from the market's decimals (never from [`crate::units::Market`]'s own integer
//! factors nor the exchange's reservation function). After each command, each (user, asset)
//! whose held balance or reservation changed is compared with the ledger: O(touched). At the end
//! of a run, every held balance is compared with the engines' resting orders in `Decimal`:
//! O(resting orders + balances).
//!
//! Pending withdrawals: each user's `PendingWithdrawal` balance must equal their withdrawals
//! requested and neither settled nor refunded plus their transfers requested and not yet
//! credited, followed from the commands and answers alone ([`Requests`]). After each command,
//! each (user, asset) whose pending balance or expectation changed is compared; at the end of a
//! run, every pending balance.
//!
//! Its arithmetic is checked: a reservation that does not fit (possible only after a fault minted
//! money) is reported as a violation, never a panic.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::checker::{Checker, Found};
use super::observation::{Inspect, Observation};
use super::requests::{Requests, Step};
use crate::catalog::Invariant;
use crate::engine::Event;
use crate::ledger::{Account, UserId};
use crate::lookup::LookupMap;
use crate::units::decimal::minor_unit;
use crate::units::{AssetId, MarketId, Price, Qty, Side};

/// A market as the checker derives it from decimals, independently of [`crate::units::Market`].
#[derive(Clone, Copy, Debug)]
struct MarketFactors {
    base: AssetId,
    quote: AssetId,
    base_minor_per_lot: i128,
    quote_minor_per_tick_lot: i128,
}

/// A resting order as the checker follows it.
#[derive(Clone, Copy, Debug)]
struct Resting {
    owner: UserId,
    market: MarketId,
    side: Side,
    price: Price,
    qty: Qty,
}

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Holds {
    factors: Vec<MarketFactors>,
    /// Resting orders by id.
    orders: LookupMap<Resting>,
    /// What each (user, asset)'s resting orders reserve.
    reserved: LookupMap<i128>,
    /// The requests followed, and what each (user, asset)'s open ones reserve.
    requests: Requests,
    pending: BTreeMap<(UserId, AssetId), i128>,
    // Scratch, reused between commands.
    touched: Vec<(UserId, AssetId)>,
    touched_pending: Vec<(UserId, AssetId)>,
}

fn hold_key(user: UserId, asset: AssetId) -> u64 {
    (u64::from(user.0) << 16) | u64::from(asset.0)
}

impl Holds {
    pub(super) fn new(state: &dyn Inspect) -> Holds {
        let assets = state.assets();
        let factors = (0..state.market_count())
            .map(|m| {
                let market = state.market(MarketId(u16::try_from(m).expect("market ids fit u16")));
                let minor = |a: AssetId| minor_unit(&assets[usize::from(a.0)]);
                // Both factors are whole numbers of minor units, at most AMOUNT_MAX (< 2^96), so
                // these products and quotients are exact in Decimal (a `Market` invariant).
                let whole = |d: Option<Decimal>| -> i128 {
                    let d = d.expect("a market's unit factors fit a decimal");
                    assert!(d.fract().is_zero() && d > Decimal::ZERO, "a market exists only with whole positive units");
                    i128::try_from(d).expect("unit factor fits i128")
                };
                let tick_lot = market.tick_size().checked_mul(market.lot_size());
                MarketFactors {
                    base: market.base(),
                    quote: market.quote(),
                    base_minor_per_lot: whole(market.lot_size().checked_div(minor(market.base()))),
                    quote_minor_per_tick_lot: whole(tick_lot.and_then(|p| p.checked_div(minor(market.quote())))),
                }
            })
            .collect();
        Holds {
            factors,
            orders: LookupMap::default(),
            reserved: LookupMap::default(),
            requests: Requests::default(),
            pending: BTreeMap::new(),
            touched: Vec::new(),
            touched_pending: Vec::new(),
        }
    }

    /// Follows the command's request step into the expected pending balances, and compares every
    /// (user, asset) whose pending balance or expectation changed.
    fn check_pending(&mut self, obs: &Observation<'_>, found: &mut Found) {
        let mut touched = std::mem::take(&mut self.touched_pending);
        touched.clear();
        for entry in obs.entries() {
            for p in entry.postings() {
                if let Account::PendingWithdrawal(user) = p.account {
                    touched.push((user, p.asset));
                }
            }
        }
        let change = match self.requests.follow(obs) {
            Some(Step::Requested(_, r) | Step::TransferRequested(_, r)) => Some((r, r.amount)),
            Some(Step::Refunded(_, r) | Step::Settled(_, r) | Step::TransferCredited(_, r)) => Some((r, -r.amount)),
            None => None,
        };
        if let Some((r, delta)) = change {
            let key = (r.user, r.asset);
            let sum = self.pending.entry(key).or_insert(0);
            *sum = sum.saturating_add(delta);
            if *sum == 0 {
                self.pending.remove(&key);
            }
            touched.push(key);
        }
        if !touched.is_empty() {
            found.exercise(Invariant::HoldsMatchOpenOrders);
        }
        touched.sort_unstable();
        touched.dedup();
        let ledger = obs.state.ledger();
        for &(user, asset) in &touched {
            let want = self.pending.get(&(user, asset)).copied().unwrap_or(0);
            let pending = ledger.balance(Account::PendingWithdrawal(user), asset);
            if pending != want {
                found.push((
                    Invariant::HoldsMatchOpenOrders,
                    format!(
                        "user {} has {pending} of asset {} pending withdrawal but their open withdrawals and transfers reserve {want}",
                        user.0, asset.0
                    ),
                ));
            }
        }
        self.touched_pending = touched;
    }

    /// Adds `lots` (signed) of `order` to its owner's reservation.
    fn reserve(&mut self, order: Resting, lots: i128, found: &mut Found) {
        found.exercise(Invariant::HoldsMatchOpenOrders);
        let Some(&f) = self.factors.get(usize::from(order.market.0)) else { return };
        let (asset, amount) = match order.side {
            Side::Buy => (
                f.quote,
                lots.checked_mul(i128::from(order.price.0)).and_then(|n| n.checked_mul(f.quote_minor_per_tick_lot)),
            ),
            Side::Sell => (f.base, lots.checked_mul(f.base_minor_per_lot)),
        };
        // A resting order was paid for, so its reservation fits; one that does not can only come
        // from money minted by a fault.
        let Some(amount) = amount else {
            return found.push((
                Invariant::HoldsMatchOpenOrders,
                format!(
                    "user {} has an order of {} lots at {} whose reservation overflows",
                    order.owner.0, lots, order.price.0
                ),
            ));
        };
        let key = hold_key(order.owner, asset);
        match self.reserved.get_mut(key) {
            Some(v) => *v = v.saturating_add(amount),
            None => {
                self.reserved.insert_new(key, amount);
            }
        }
        self.touched.push((order.owner, asset));
    }

    /// Takes `qty` lots off a resting order, forgetting it at zero.
    fn take(&mut self, id: u64, qty: Qty, found: &mut Found) -> Result<(), String> {
        let Some(order) = self.orders.get_mut(id) else { return Ok(()) };
        if qty > order.qty {
            return Err(format!("order {id} lost {} of its {} open", qty.0, order.qty.0));
        }
        order.qty = Qty(order.qty.0 - qty.0);
        let order = *order;
        if order.qty.0 == 0 {
            self.orders.remove(id);
        }
        self.reserve(order, -i128::from(qty.0), found);
        Ok(())
    }

    fn remove(&mut self, id: u64, found: &mut Found) {
        if let Some(order) = self.orders.remove(id) {
            self.reserve(order, -i128::from(order.qty.0), found);
        }
    }
}

impl Checker for Holds {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::HoldsMatchOpenOrders]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for entry in obs.entries() {
            for p in entry.postings() {
                if let Account::Held(user) = p.account {
                    touched.push((user, p.asset));
                }
            }
        }
        self.touched = touched;
        let owner = obs.user();
        for &(market, event) in obs.events {
            match event {
                // A fill for a maker that is not resting is the book checker's to report.
                Event::Fill { maker, qty, .. } => {
                    let _ = self.take(maker.0, qty, found);
                }
                Event::Cancel { id, qty, .. } => {
                    if let Err(detail) = self.take(id.0, qty, found) {
                        found.push((Invariant::HoldsMatchOpenOrders, detail));
                    }
                }
                Event::Rest { id, side, price, qty } => {
                    self.remove(id.0, found);
                    let order = Resting { owner, market, side, price, qty };
                    self.orders.insert_new(id.0, order);
                    self.reserve(order, i128::from(qty.0), found);
                }
                Event::Reduce { id, qty } => {
                    if let Some(open) = self.orders.get(id.0).map(|o| o.qty) {
                        if qty < open {
                            let _ = self.take(id.0, Qty(open.0 - qty.0), found);
                        }
                    }
                }
                Event::Requeue { id, .. } => self.remove(id.0, found),
            }
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        let ledger = obs.state.ledger();
        for &(user, asset) in &touched {
            let want = self.reserved.get(hold_key(user, asset)).copied().unwrap_or(0);
            let held = ledger.balance(Account::Held(user), asset);
            if held != want {
                found.push((
                    Invariant::HoldsMatchOpenOrders,
                    format!("user {} holds {held} of asset {} but its open orders reserve {want}", user.0, asset.0),
                ));
            }
        }
        touched.clear();
        self.touched = touched;
        self.check_pending(obs, found);
    }

    fn finish(&mut self, state: &dyn Inspect, found: &mut Found) {
        // What each (user, asset) reserves, by `hold_key`: point lookups only.
        let mut expected: LookupMap<Option<Decimal>> = LookupMap::default();
        let assets = state.assets();
        for m in 0..state.market_count() {
            let market_id = MarketId(u16::try_from(m).expect("market ids fit u16"));
            let market = state.market(market_id);
            let (base, quote) = (&assets[usize::from(market.base().0)], &assets[usize::from(market.quote().0)]);
            let (base_minor, quote_minor) = (minor_unit(base), minor_unit(quote));
            for side in [Side::Buy, Side::Sell] {
                state.engine(market_id).resting(side, &mut |o| {
                    let user = UserId(o.owner.0);
                    let lots = Decimal::from(o.qty.0).checked_mul(market.lot_size());
                    let (asset, amount) = match side {
                        Side::Buy => (
                            market.quote(),
                            Decimal::from(o.price.0)
                                .checked_mul(market.tick_size())
                                .and_then(|p| lots?.checked_mul(p))
                                .and_then(|n| n.checked_div(quote_minor)),
                        ),
                        Side::Sell => (market.base(), lots.and_then(|l| l.checked_div(base_minor))),
                    };
                    // A resting order was paid for, so its reservation is at most an asset's total
                    // and fits; `None` marks one that does not (only money minted by a fault).
                    let add = |s: Option<Decimal>| s.and_then(|s| amount.and_then(|a| s.checked_add(a)));
                    match expected.get_mut(hold_key(user, asset)) {
                        Some(sum) => *sum = add(*sum),
                        None => expected.insert_new(hold_key(user, asset), add(Some(Decimal::ZERO))),
                    }
                });
            }
        }
        for (account, asset, balance) in state.ledger().balances() {
            if let Account::PendingWithdrawal(user) = account {
                let want = self.pending.get(&(user, asset)).copied().unwrap_or(0);
                if balance != want {
                    found.push((
                        Invariant::HoldsMatchOpenOrders,
                        format!(
                            "end of run: user {} has {balance} of asset {} pending withdrawal but their open withdrawals and transfers reserve {want}",
                            user.0, asset.0
                        ),
                    ));
                }
            }
            if let Account::Held(user) = account {
                let want = expected.get(hold_key(user, asset)).copied().unwrap_or(Some(Decimal::ZERO));
                let held = Decimal::try_from_i128_with_scale(balance, 0).ok();
                if held.is_none() || held != want {
                    let want = want.map_or_else(|| "more than a decimal holds".to_owned(), |w| w.to_string());
                    found.push((
                        Invariant::HoldsMatchOpenOrders,
                        format!(
                            "end of run: user {} holds {balance} of asset {} but its open orders reserve {want}",
                            user.0, asset.0
                        ),
                    ));
                }
            }
        }
    }

    fn retained(&self) -> usize {
        self.orders.len() + self.requests.retained() + self.pending.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
