//! The circuit breaker on price moves (SPEC §6 `circuit_breaker`): a price band per market, in
//! the manner of limit-up/limit-down, as the trading sub-machine enforces it.
//!
//! With [`TradingPolicy::circuit_breaker`](crate::exchange::TradingPolicy) `None` (the default)
//! nothing here touches an order: [`Exchange::band_gate`] answers no band and
//! [`Exchange::band_after`] returns at once, so the exchange behaves bit for bit as without this
//! file. With a breaker of `band_bps` and `halt_ns`, exactly this happens, per market:
//! - **reference price**: none until the market's first trade, whose price becomes it (so the
//!   walk that makes a market's first trade is not bounded). After a halt ends, the reference is
//!   the last trade price (the one that reached the edge). Otherwise it does not move: a static
//!   band, so a slow drift of `band_bps` halts too, and re-centres the band.
//! - **band**: `[lo, hi]` with `lo = ⌈ref × (10 000 − band_bps) / 10 000⌉` and
//!   `hi = ⌊ref × (10 000 + band_bps) / 10 000⌋`, widened to at least one tick either side of the
//!   reference, `lo ≥ 1` and `hi ≤` the market's highest price ([`Band::around`]).
//! - **walks stay inside the band**, by changing only what the engine is asked:
//!   - a limit order (any time in force) priced beyond the edge in its direction — a buy above
//!     `hi`, a sell below `lo` — is repriced to that edge: it fills only inside the band, and what
//!     is left follows its time in force (GTC and post-only rest at the edge, IOC is cancelled,
//!     FOK is killed unless it fills completely inside the band). A price on the near side (a buy
//!     below `lo`) is left as it is: taking at it cannot leave the band upwards;
//!   - a market sell becomes an IOC limit sell at `lo` for its quantity;
//!   - a market buy (by quantity or by quote amount) becomes an IOC limit buy at `hi` for as many
//!     lots as its budget pays at `hi` (at most its quantity); a budget that pays no lot at `hi`
//!     is refused `insufficient_funds`;
//!   - a replace to a price beyond the edge is repriced to the edge the same way.
//! - **halt**: after a successful order or replace, the market halts for `halt_ns` when one of its
//!   fills printed at or beyond an edge, or when the band repriced it, it did not fill completely
//!   and the opposite side's best is beyond the edge at a price the order as sent would have
//!   taken (the band cut its walk; an order that would not have traded more anyway does not
//!   halt the market). While halted,
//!   `Place` and `Replace` in the market are refused `market_halted` (a quote acceptance executed
//!   on the book under the `quote_reprice` fault too, as it is a `Place`); cancels and mass
//!   cancels stay allowed, and RFQ quotes, honored from the house's inventory and never on the
//!   book, are not halted.
//!
//! Invariants kept here:
//! - a taker whose command began with a band in force fills inside it in its direction (a buy at
//!   or below `hi`, a sell at or above `lo`): asserted for every fill;
//! - the breaker never touches the ledger: the order settled is the order the engine saw, and its
//!   reservation is taken for that order (`orders.rs`), so `holds_match_open_orders` holds as
//!   without it;
//! - its state changes only after a successful command (a rejected one changes nothing), and the
//!   end of a halt is read from the command's time, never from a clock: a pure function of the
//!   commands and their times.

use crate::engine::{Event, LimitOrder, MarketOrder, MatchingEngine, Tif};
use crate::exchange::{CircuitBreaker, Exchange, Reject};
use crate::units::{Market, Minor, Price, Qty, Side};

/// The band in force in a market: fills inside `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::exchange) struct Band {
    pub(in crate::exchange) lo: Price,
    pub(in crate::exchange) hi: Price,
}

impl Band {
    /// The band of `band_bps` around `reference`, in a market whose highest price is `max` (see
    /// the module docs).
    pub(in crate::exchange) fn around(reference: Price, band_bps: u32, max: Price) -> Band {
        let r = u128::from(reference.0);
        let bps = u128::from(band_bps.min(10_000));
        // Both at most 2 × u64::MAX × 10 000 before the division: no overflow in u128.
        let lo = (r * (10_000 - bps)).div_ceil(10_000);
        let hi = r * (10_000 + bps) / 10_000;
        let lo = lo.min(r.saturating_sub(1)).max(1);
        let hi = hi.max(r + 1).min(u128::from(max.0));
        let fit = |p: u128| u64::try_from(p).unwrap_or(u64::MAX);
        Band { lo: Price(fit(lo)), hi: Price(fit(hi)) }
    }

    /// `price` for an order of `side`, repriced to the edge if it lies beyond it in the order's
    /// direction, and whether it was.
    pub(in crate::exchange) fn clamp(self, side: Side, price: Price) -> (Price, bool) {
        match side {
            Side::Buy if price > self.hi => (self.hi, true),
            Side::Sell if price < self.lo => (self.lo, true),
            _ => (price, false),
        }
    }
}

/// One market's breaker state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct MarketBand {
    /// The reference price; `None` before the first trade.
    reference: Option<Price>,
    /// The last trade price.
    last: Option<Price>,
    /// Halted while the time is below this.
    halted_until: Option<u64>,
}

/// The breaker: its policy and every market's state.
#[derive(Clone, Debug)]
pub(in crate::exchange) struct Breaker {
    policy: Option<CircuitBreaker>,
    markets: Vec<MarketBand>,
}

impl Breaker {
    /// A breaker of `policy` (`None`: off) over `markets` markets, none of which has traded.
    pub(in crate::exchange) fn new(policy: Option<CircuitBreaker>, markets: usize) -> Breaker {
        let markets = if policy.is_some() { vec![MarketBand::default(); markets] } else { Vec::new() };
        Breaker { policy, markets }
    }
}

impl<E: MatchingEngine> Exchange<E> {
    /// The gate of an order or replace in market `m` now: `market_halted` while the market is
    /// halted, else the band in force (`None` without a breaker or before the first trade).
    pub(in crate::exchange) fn band_gate(&self, m: usize) -> Result<Option<Band>, Reject> {
        let Some(policy) = self.trading.breaker.policy else { return Ok(None) };
        let state = self.trading.breaker.markets[m];
        let reference = match state.halted_until {
            Some(until) if self.now_ns < until => return Err(Reject::MarketHalted),
            // The halt is over: the band re-centres on the last trade.
            Some(_) => state.last,
            None => state.reference,
        };
        let max = self.trading.markets[m].market.max_price();
        Ok(reference.map(|r| Band::around(r, policy.band_bps, max)))
    }

    /// The order the engine is asked for, under `band` (see the module docs): the reservation,
    /// the order, and whether the band changed it.
    #[allow(clippy::type_complexity)]
    pub(in crate::exchange) fn band_order(
        market: &Market,
        band: Band,
        reserve: Minor,
        order: Result<LimitOrder, MarketOrder>,
    ) -> Result<(Minor, Result<LimitOrder, MarketOrder>, bool), Reject> {
        match order {
            Ok(mut o) => {
                let (price, repriced) = band.clamp(o.side, o.price);
                if !repriced {
                    return Ok((reserve, Ok(o), false));
                }
                o.price = price;
                let (_, reserve) = Self::reservation(market, o.side, price, o.qty).ok_or(Reject::Overflow)?;
                Ok((reserve, Ok(o), true))
            }
            Err(o) => {
                let (price, qty, reserve) = match o.side {
                    Side::Sell => (band.lo, o.qty, reserve),
                    Side::Buy => {
                        let budget = o.budget.expect("the exchange sets a budget on every market buy");
                        let lots = budget / u128::from(band.hi.0);
                        let qty = Qty(u64::try_from(lots.min(u128::from(o.qty.0))).expect("at most o.qty"));
                        if qty.0 == 0 {
                            return Err(Reject::InsufficientFunds);
                        }
                        (band.hi, qty, market.notional(band.hi, qty).ok_or(Reject::Overflow)?)
                    }
                };
                let limit =
                    LimitOrder { id: o.id, owner: o.owner, side: o.side, price, qty, tif: Tif::Ioc, stp: o.stp };
                Ok((reserve, Ok(limit), true))
            }
        }
    }

    /// After a successful order or replace of `side` in market `m`, whose engine events are in
    /// `self.trading.events`: records its trades and halts the market if the band was reached
    /// (see the module docs). `wanted`: the limit price as sent (`None` for a market order);
    /// `repriced`: the band changed the order; `complete`: it filled all the engine was asked.
    pub(in crate::exchange) fn band_after(
        &mut self,
        m: usize,
        band: Option<Band>,
        side: Side,
        wanted: Option<Price>,
        repriced: bool,
        complete: bool,
    ) {
        let Some(policy) = self.trading.breaker.policy else { return };
        let now = self.now_ns;
        let engine = &self.trading.markets[m].engine;
        // The band cut the walk when the opposite side still offers, beyond the edge, a price the
        // order as sent would have taken.
        let beyond = match (band, side) {
            (Some(b), Side::Sell) => engine.best_bid().is_some_and(|p| p < b.lo && wanted.is_none_or(|w| p >= w)),
            (Some(b), Side::Buy) => engine.best_ask().is_some_and(|p| p > b.hi && wanted.is_none_or(|w| p <= w)),
            (None, _) => false,
        };
        let state = &mut self.trading.breaker.markets[m];
        if state.halted_until.is_some_and(|until| now >= until) {
            state.reference = state.last;
            state.halted_until = None;
        }
        let mut reached = repriced && !complete && beyond;
        for event in &self.trading.events {
            let Event::Fill { price, .. } = *event else { continue };
            if let Some(b) = band {
                let inside = match side {
                    Side::Buy => price <= b.hi,
                    Side::Sell => price >= b.lo,
                };
                assert!(inside, "a {side:?} taker filled at {} outside the band {}..={}", price.0, b.lo.0, b.hi.0);
                reached |= price <= b.lo || price >= b.hi;
            }
            state.reference.get_or_insert(price);
            state.last = Some(price);
        }
        if reached {
            state.halted_until = Some(now.saturating_add(policy.halt_ns));
        }
    }

    /// Until when market `m` is halted by the circuit breaker (a time at or before now: not any
    /// more); `None` when it never halted since the last halt ended, or without a breaker.
    pub fn halted_until(&self, m: usize) -> Option<u64> {
        self.trading.breaker.markets.get(m).and_then(|s| s.halted_until)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::Band;
    use crate::engine::{Event, MatchingEngine, Stp, Tif};
    use crate::exchange::{
        Ack, CircuitBreaker, Command, Exchange, ExchangeConfig, NewOrder, OrderKind, Reject, TradingCommand,
        TradingPolicy,
    };
    use crate::fault::FaultSet;
    use crate::ledger::{Account, UserId};
    use crate::units::{Asset, AssetId, FeeSchedule, MarketId, MarketSpec, Price, Qty, Side};

    const M: MarketId = MarketId(0);
    const A: UserId = UserId(1);
    const B: UserId = UserId(2);
    const HALT: u64 = 1_000;

    /// BTC/USD, tick 1 USD, lot 0.01 BTC, no fees; the breaker of `band_bps` (or none).
    fn config(band_bps: Option<u32>) -> ExchangeConfig {
        ExchangeConfig {
            assets: vec![Asset::new("BTC", 8).unwrap(), Asset::new("USD", 2).unwrap()],
            markets: vec![MarketSpec {
                base: AssetId(0),
                quote: AssetId(1),
                tick_size: Decimal::ONE,
                lot_size: Decimal::new(1, 2),
                fees: FeeSchedule { maker_bps: 0, taker_bps: 0 },
            }],
            quote_ttl_ns: 1_000,
            quote_spread_bps: 50,
            faults: FaultSet::NONE,
            custody: Default::default(),
            identity: Default::default(),
            trading: TradingPolicy {
                circuit_breaker: band_bps.map(|band_bps| CircuitBreaker { band_bps, halt_ns: HALT }),
                ..TradingPolicy::default()
            },
        }
    }

    fn limit(user: UserId, side: Side, price: u64, qty: u64) -> Command {
        Command::place(NewOrder {
            user,
            market: M,
            side,
            qty: Qty(qty),
            kind: OrderKind::Limit { price: Price(price), tif: Tif::Gtc },
            stp: Stp::CancelNewest,
        })
    }

    fn market(user: UserId, side: Side, qty: u64) -> Command {
        Command::place(NewOrder {
            user,
            market: M,
            side,
            qty: Qty(qty),
            kind: OrderKind::Market,
            stp: Stp::CancelNewest,
        })
    }

    /// An exchange with a breaker of `band_bps` (or none), whose market traded once at 100 and
    /// has bids of 10 lots at every price from 99 down to 50.
    fn deep_book(band_bps: Option<u32>) -> Exchange {
        let mut x = Exchange::new(&config(band_bps)).unwrap();
        for user in [A, B] {
            assert_eq!(x.apply(0, &Command::open_account()).result, Ok(Ack::Account(user)));
            for asset in [AssetId(0), AssetId(1)] {
                assert!(x.apply(0, &Command::deposit(user, asset, 1_000_000_000_000)).result.is_ok());
            }
        }
        assert!(x.apply(1, &limit(A, Side::Buy, 100, 1)).result.is_ok());
        let first = x.apply(1, &market(B, Side::Sell, 1)).result;
        assert!(matches!(first, Ok(Ack::Order { filled: Qty(1), .. })), "{first:?}");
        for p in (50..=99).rev() {
            assert!(x.apply(2, &limit(A, Side::Buy, p, 10)).result.is_ok());
        }
        x
    }

    /// The outcome of a command and the prices of its fills.
    fn fill_prices(x: &mut Exchange, now: u64, c: &Command) -> (Result<Ack, Reject>, Vec<u64>) {
        let applied = x.apply(now, c);
        let prices = applied
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Fill { price, .. } => Some(price.0),
                _ => None,
            })
            .collect();
        (applied.result, prices)
    }

    #[test]
    fn the_band_is_at_least_a_tick_either_side_and_within_the_market() {
        assert_eq!(Band::around(Price(100), 1_000, Price(1_000)), Band { lo: Price(90), hi: Price(110) });
        assert_eq!(Band::around(Price(101), 1_000, Price(1_000)), Band { lo: Price(91), hi: Price(111) });
        assert_eq!(Band::around(Price(5), 100, Price(1_000)), Band { lo: Price(4), hi: Price(6) });
        assert_eq!(Band::around(Price(1), 10_000, Price(1_000)), Band { lo: Price(1), hi: Price(2) });
        assert_eq!(Band::around(Price(100), 5_000, Price(120)), Band { lo: Price(50), hi: Price(120) });
        assert_eq!(Band::around(Price(u64::MAX), 10_000, Price(u64::MAX)).hi, Price(u64::MAX));
    }

    #[test]
    fn a_market_sell_walking_a_deep_book_stops_at_the_band_and_halts_the_market() {
        let mut x = deep_book(Some(1_000));
        // 10% around 100: the walk may go down to 90, no lower.
        let (result, prices) = fill_prices(&mut x, 3, &market(B, Side::Sell, 300));
        assert_eq!(prices.first(), Some(&99));
        assert_eq!(prices.iter().min(), Some(&90));
        assert_eq!(prices.len(), 10);
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(100), open: Qty(0), .. })), "{result:?}");
        assert_eq!(x.engine(M).best_bid(), Some(Price(89)));
        assert_eq!(x.halted_until(0), Some(3 + HALT));
        // What did not sell is not held.
        assert_eq!(x.ledger().balance(Account::Held(B), AssetId(0)), 0);
    }

    #[test]
    fn without_a_breaker_the_same_walk_goes_to_the_bottom() {
        let mut x = deep_book(None);
        let (result, prices) = fill_prices(&mut x, 3, &market(B, Side::Sell, 300));
        assert_eq!(prices.iter().min(), Some(&70));
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(300), .. })), "{result:?}");
        assert_eq!(x.halted_until(0), None);
        assert!(x.apply(4, &limit(A, Side::Buy, 80, 1)).result.is_ok());
    }

    #[test]
    fn a_halted_market_refuses_orders_for_the_halt_then_resumes_around_the_last_price() {
        let mut x = deep_book(Some(1_000));
        assert!(x.apply(3, &market(B, Side::Sell, 300)).result.is_ok());
        let until = 3 + HALT;
        assert_eq!(x.apply(until - 1, &market(B, Side::Sell, 1)).result, Err(Reject::MarketHalted));
        assert_eq!(x.apply(until - 1, &limit(A, Side::Buy, 80, 1)).result, Err(Reject::MarketHalted));
        // At the end of the halt the band re-centres on 90, the last trade: 81..=99.
        let (result, prices) = fill_prices(&mut x, until, &market(B, Side::Sell, 300));
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(prices.iter().max(), Some(&89));
        assert_eq!(prices.iter().min(), Some(&81));
        assert_eq!(x.halted_until(0), Some(until + HALT));
    }

    #[test]
    fn cancels_stay_allowed_while_halted() {
        let mut x = deep_book(Some(1_000));
        let Ok(Ack::Order { id, .. }) = x.apply(2, &limit(A, Side::Buy, 10, 1)).result else { panic!("a resting bid") };
        assert!(x.apply(3, &market(B, Side::Sell, 300)).result.is_ok());
        assert_eq!(x.apply(4, &limit(A, Side::Buy, 80, 1)).result, Err(Reject::MarketHalted));
        let replace = Command::Trading(TradingCommand::Replace { user: A, order: id, price: Price(11), qty: Qty(1) });
        assert_eq!(x.apply(4, &replace).result, Err(Reject::MarketHalted));
        let cancel = Command::Trading(TradingCommand::Cancel { user: A, order: id });
        assert_eq!(x.apply(4, &cancel).result, Ok(Ack::Cancelled { orders: 1 }));
        let mass = Command::Trading(TradingCommand::MassCancel { user: A, market: Some(M) });
        assert!(matches!(x.apply(5, &mass).result, Ok(Ack::Cancelled { orders }) if orders > 0));
    }

    #[test]
    fn a_limit_beyond_the_band_is_repriced_to_the_edge_and_rests_there() {
        let mut x = deep_book(Some(1_000));
        let (result, prices) = fill_prices(&mut x, 3, &limit(B, Side::Sell, 1, 150));
        assert_eq!(prices.iter().min(), Some(&90));
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(100), open: Qty(50), .. })), "{result:?}");
        assert_eq!(x.engine(M).best_ask(), Some(Price(90)));
        assert_eq!(x.halted_until(0), Some(3 + HALT));
    }

    #[test]
    fn a_repriced_order_halts_only_if_the_band_cut_a_walk_it_would_have_made() {
        let mut x = deep_book(Some(1_000));
        assert!(x.apply(2, &limit(B, Side::Sell, 300, 10)).result.is_ok());
        // A buy at 200 rests at the edge, 110; the asks at 300 were beyond what it would pay.
        let result = x.apply(3, &limit(A, Side::Buy, 200, 5)).result;
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(0), open: Qty(5), .. })), "{result:?}");
        assert_eq!(x.engine(M).best_bid(), Some(Price(110)));
        assert_eq!(x.halted_until(0), None);
        // An ask at 150, which the buy at 200 would have taken: the band cut its walk.
        assert!(x.apply(4, &limit(B, Side::Sell, 150, 10)).result.is_ok());
        assert_eq!(x.halted_until(0), None);
        let result = x.apply(5, &limit(A, Side::Buy, 200, 5)).result;
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(0), open: Qty(5), .. })), "{result:?}");
        assert_eq!(x.halted_until(0), Some(5 + HALT));
    }

    #[test]
    fn a_walk_inside_the_band_does_not_halt() {
        let mut x = deep_book(Some(1_000));
        let (result, prices) = fill_prices(&mut x, 3, &market(B, Side::Sell, 50));
        assert!(result.is_ok());
        assert_eq!(prices.iter().min(), Some(&95));
        assert_eq!(x.halted_until(0), None);
        assert!(x.apply(4, &market(B, Side::Sell, 1)).result.is_ok());
    }

    #[test]
    fn a_market_buy_stops_at_the_upper_edge() {
        let mut x = deep_book(Some(1_000));
        for p in 101..=150 {
            assert!(x.apply(2, &limit(B, Side::Sell, p, 10)).result.is_ok());
        }
        let (result, prices) = fill_prices(&mut x, 3, &market(A, Side::Buy, 300));
        assert!(matches!(result, Ok(Ack::Order { filled: Qty(100), .. })), "{result:?}");
        assert_eq!(prices.iter().max(), Some(&110));
        assert_eq!(x.halted_until(0), Some(3 + HALT));
        // A holds exactly what its resting bids (10 lots at each of 50..=99) reserve: the market
        // buy's reservation came back whole.
        assert_eq!(x.ledger().balance(Account::Held(A), AssetId(1)), 10 * (50..=99).sum::<i128>());
    }
}
