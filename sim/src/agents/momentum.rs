//! Momentum trader: follows the trend of the last trade price.
//!
//! Model: every `interval` it samples the last trade price. When the price rose by at least
//! `threshold_ticks` over the last `lookback` samples it sends a market buy of `size`; when it fell
//! as much, a market sell. With no trade yet it waits.

use crate::engine::Stp;
use crate::exchange::{Command, NewOrder, OrderKind};
use crate::input::limits::{MAX_DURATION_NS, MAX_LOOKBACK, MAX_OFFSET_TICKS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "momentum_trader",
    about: "buys after the last trade rose past a threshold, sells after it fell",
    fields: &["market", "interval", "lookback", "threshold_ticks", "size"],
    attacker: false,
};

/// A momentum trader's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// Time between looks at the market.
    pub interval_ns: u64,
    /// How many looks back it compares.
    pub lookback: u32,
    /// Move that triggers a trade.
    pub threshold_ticks: u64,
    /// Size of each trade.
    pub size_lots: u64,
}

/// Reads a `momentum_trader` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    Ok(Params {
        market,
        interval_ns: f.duration("interval", 100_000_000, 1, MAX_DURATION_NS)?,
        lookback: f.uint32("lookback", 5, 1, MAX_LOOKBACK)?,
        threshold_ticks: f.uint("threshold_ticks", 10, 1, MAX_OFFSET_TICKS)?,
        size_lots: f.lots("size", "size = \"0.01\"", market)?,
    })
}

#[derive(Clone, Debug)]
pub struct MomentumTrader {
    params: Params,
    /// Samples compared: `lookback` (at least one) and the current one.
    lookback: usize,
    samples: Vec<Price>,
}

impl Behave for MomentumTrader {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> MomentumTrader {
        let lookback = (params.lookback as usize).max(1);
        MomentumTrader { params, lookback, samples: Vec::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if let Some(last) = view.market(self.params.market).last_trade {
            self.samples.push(last);
            if self.samples.len() > self.lookback + 1 {
                self.samples.remove(0);
            }
            let then = self.samples[0].0;
            let side = if last.0 >= then.saturating_add(self.params.threshold_ticks) {
                Some(Side::Buy)
            } else if last.0.saturating_add(self.params.threshold_ticks) <= then {
                Some(Side::Sell)
            } else {
                None
            };
            if let (Some(side), true) = (side, self.samples.len() > self.lookback) {
                out.push(Action::Command(Command::place(NewOrder {
                    user: view.user,
                    market: self.params.market,
                    side,
                    qty: Qty(self.params.size_lots),
                    kind: OrderKind::Market,
                    stp: Stp::CancelNewest,
                })));
                self.samples.clear();
            }
        }
        (why == Wake::Tick).then(|| self.params.interval_ns + rng.uniform(0, self.params.interval_ns / 10))
    }
}
