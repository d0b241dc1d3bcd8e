//! Market maker: quotes a ladder of post-only limit orders around the fair value and refreshes it
//! on a timer, skewing both sides against its inventory.
//!
//! Model: every `refresh` it mass-cancels its orders in the market and places `levels` bids and
//! asks, the first `half_spread_ticks` from the centre, then every `level_step_ticks`. The centre
//! is the fair value shifted one tick against its position for every `skew_lots_per_tick` lots it
//! is long or short; beyond `max_inventory` it stops quoting the side that would add to it. Levels
//! below one tick or above the market's highest price are left out.
//! Parameters (`kind = "market_maker"`): see [`Params`]; defaults in [`parse`].
//! Simplifications: it reads its position from its own balances (an instantaneous account API:
//! the view's account state, read when it wakes),
//! and does not chase fills between refreshes.

use crate::engine::{Stp, Tif};
use crate::exchange::{Command, NewOrder, OrderKind};
use crate::input::limits::{MAX_DURATION_NS, MAX_LEVELS, MAX_LOTS, MAX_OFFSET_TICKS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "market_maker",
    about: "quotes a ladder around a fair-value random walk, skewed against its inventory",
    fields: &[
        "market",
        "half_spread_ticks",
        "levels",
        "level_step_ticks",
        "size",
        "refresh",
        "skew_lots_per_tick",
        "max_inventory",
    ],
    attacker: false,
};

/// A market maker's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// Distance from fair value to the first bid and ask.
    pub half_spread_ticks: u64,
    /// Levels a side.
    pub levels: u32,
    /// Distance between levels.
    pub level_step_ticks: u64,
    /// Size of each quote.
    pub size_lots: u64,
    /// Time between re-quotes.
    pub refresh_ns: u64,
    /// Quotes shift by one tick against the position for every this many lots held.
    pub skew_lots_per_tick: u64,
    /// Beyond this position (long or short) it stops quoting the side that adds to it.
    pub max_inventory_lots: u64,
}

/// Reads a `market_maker` group's fields. The ladder must stay within [`MAX_OFFSET_TICKS`].
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    let half_spread_ticks = f.uint("half_spread_ticks", 5, 1, MAX_OFFSET_TICKS)?;
    let levels = f.uint32("levels", 3, 1, MAX_LEVELS)?;
    let level_step_ticks = f.uint("level_step_ticks", 1, 1, MAX_OFFSET_TICKS)?;
    let reach = half_spread_ticks + u64::from(levels - 1) * level_step_ticks;
    if reach > MAX_OFFSET_TICKS {
        return Err(f.error(
            &["level_step_ticks", "levels"],
            "level_step_ticks",
            format!("the ladder reaches {reach} ticks from fair value, more than the maximum of {MAX_OFFSET_TICKS}"),
        ));
    }
    Ok(Params {
        market,
        half_spread_ticks,
        levels,
        level_step_ticks,
        size_lots: f.lots("size", "size = \"0.01\"", market)?,
        refresh_ns: f.duration("refresh", 50_000_000, 1, MAX_DURATION_NS)?,
        skew_lots_per_tick: f.uint("skew_lots_per_tick", 100, 1, MAX_LOTS)?,
        max_inventory_lots: f.lots("max_inventory", "max_inventory = \"1\"", market)?,
    })
}

#[derive(Clone, Debug)]
pub struct MarketMaker {
    params: Params,
    /// Base funding at start: inventory is measured against it.
    base_start: Minor,
}

impl Behave for MarketMaker {
    type Params = Params;

    fn new(params: Params, funding: &[(AssetId, Minor)], markets: &[MarketData]) -> MarketMaker {
        let base = markets[usize::from(params.market.0)].instrument.base();
        let base_start = funding.iter().filter(|(a, _)| *a == base).map(|(_, m)| *m).sum();
        MarketMaker { params, base_start }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        let market = &view.market(self.params.market).instrument;
        let per_lot = market.base_amount(Qty(1)).unwrap_or(1).max(1);
        let inventory_lots = (view.account.owned(market.base()) - self.base_start) / per_lot;
        // Inventory in lots is at most AMOUNT_MAX; the skew in ticks is clamped into i64 (a larger
        // skew moves every quote out of the market's prices anyway).
        let skew = inventory_lots / Minor::from(self.params.skew_lots_per_tick.max(1));
        let skew = i64::try_from(skew).unwrap_or(if skew < 0 { i64::MIN } else { i64::MAX });
        let centre =
            i64::try_from(view.ground_truth.fair_value(self.params.market).0).unwrap_or(i64::MAX).saturating_sub(skew);
        let max_inv = Minor::from(self.params.max_inventory_lots);
        // At most PRICE_MAX_TICKS = i64::MAX, so it converts.
        let highest = i64::try_from(market.max_price().0).unwrap_or(i64::MAX);
        let user = view.user;
        out.push(Action::Command(Command::mass_cancel(user, Some(self.params.market))));
        let order = |side, price: i64| {
            Command::place(NewOrder {
                user,
                market: self.params.market,
                side,
                qty: Qty(self.params.size_lots),
                kind: OrderKind::Limit { price: Price(price as u64), tif: Tif::PostOnly },
                stp: Stp::CancelNewest,
            })
        };
        for level in 0..i64::from(self.params.levels) {
            let offset = i64::try_from(self.params.half_spread_ticks).unwrap_or(i64::MAX / 4)
                + level * i64::try_from(self.params.level_step_ticks).unwrap_or(i64::MAX / 4);
            let bid = centre.saturating_sub(offset);
            let ask = centre.saturating_add(offset);
            if inventory_lots < max_inv && bid >= 1 && bid <= highest {
                out.push(Action::Command(order(Side::Buy, bid)));
            }
            if inventory_lots > -max_inv && ask >= 1 && ask <= highest {
                out.push(Action::Command(order(Side::Sell, ask)));
            }
        }
        // Refreshes jitter by up to a tenth so makers do not move in lock-step.
        (why == Wake::Tick).then(|| self.params.refresh_ns + rng.uniform(0, self.params.refresh_ns / 10))
    }
}
