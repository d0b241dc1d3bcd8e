//! Market maker: quotes a ladder of post-only limit orders around the fair value and refreshes it
//! on a timer, skewing both sides against its inventory.
//!
//! Model: every `refresh` it mass-cancels its orders in the market and places `levels` bids and
//! asks, the first `half_spread_ticks` from the centre, then every `level_step_ticks`. The centre
//! is the fair value shifted one tick against its position for every `skew_lots_per_tick` lots it
//! is long or short; beyond `max_inventory` it stops quoting the side that would add to it. Levels
//! below one tick or above the market's highest price are left out.
//! Simplifications: it reads its position from its own balances (an instantaneous account API:
//! the view's account state, read when it wakes),
//! and does not chase fills between refreshes.

use crate::engine::{Stp, Tif};
use crate::exchange::{Command, NewOrder, OrderKind};
use crate::scenario::Behaviour;
use crate::units::{MarketId, Minor, Price, Qty, Side};

use super::{Stream, View, Wake};

#[derive(Clone, Debug)]
pub struct MarketMaker {
    market: MarketId,
    half_spread_ticks: u64,
    levels: u32,
    level_step_ticks: u64,
    size_lots: u64,
    refresh_ns: u64,
    skew_lots_per_tick: u64,
    max_inventory_lots: u64,
    /// Base funding at start: inventory is measured against it.
    base_start: Minor,
}

impl MarketMaker {
    pub fn new(b: &Behaviour, base_start: Minor) -> MarketMaker {
        let Behaviour::MarketMaker {
            market,
            half_spread_ticks,
            levels,
            level_step_ticks,
            size_lots,
            refresh_ns,
            skew_lots_per_tick,
            max_inventory_lots,
        } = *b
        else {
            unreachable!("built from a market_maker group")
        };
        MarketMaker {
            market,
            half_spread_ticks,
            levels,
            level_step_ticks,
            size_lots,
            refresh_ns,
            skew_lots_per_tick,
            max_inventory_lots,
            base_start,
        }
    }

    pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Command>) -> Option<u64> {
        let market = &view.market(self.market).instrument;
        let per_lot = market.base_amount(Qty(1)).unwrap_or(1).max(1);
        let inventory_lots = (view.account.owned(market.base()) - self.base_start) / per_lot;
        // Inventory in lots is at most AMOUNT_MAX; the skew in ticks is clamped into i64 (a larger
        // skew moves every quote out of the market's prices anyway).
        let skew = inventory_lots / Minor::from(self.skew_lots_per_tick.max(1));
        let skew = i64::try_from(skew).unwrap_or(if skew < 0 { i64::MIN } else { i64::MAX });
        let centre =
            i64::try_from(view.ground_truth.fair_value(self.market).0).unwrap_or(i64::MAX).saturating_sub(skew);
        let max_inv = Minor::from(self.max_inventory_lots);
        // At most PRICE_MAX_TICKS = i64::MAX, so it converts.
        let highest = i64::try_from(market.max_price().0).unwrap_or(i64::MAX);
        let user = view.user;
        out.push(Command::MassCancel { user, market: Some(self.market) });
        let order = |side, price: i64| {
            Command::Place(NewOrder {
                user,
                market: self.market,
                side,
                qty: Qty(self.size_lots),
                kind: OrderKind::Limit { price: Price(price as u64), tif: Tif::PostOnly },
                stp: Stp::CancelNewest,
            })
        };
        for level in 0..i64::from(self.levels) {
            let offset = i64::try_from(self.half_spread_ticks).unwrap_or(i64::MAX / 4)
                + level * i64::try_from(self.level_step_ticks).unwrap_or(i64::MAX / 4);
            let bid = centre.saturating_sub(offset);
            let ask = centre.saturating_add(offset);
            if inventory_lots < max_inv && bid >= 1 && bid <= highest {
                out.push(order(Side::Buy, bid));
            }
            if inventory_lots > -max_inv && ask >= 1 && ask <= highest {
                out.push(order(Side::Sell, ask));
            }
        }
        // Refreshes jitter by up to a tenth so makers do not move in lock-step.
        (why == Wake::Tick).then(|| self.refresh_ns + rng.uniform(0, self.refresh_ns / 10))
    }
}
