//! Momentum trader: follows the trend of the last trade price.
//!
//! Model: every `interval` it samples the last trade price. When the price rose by at least
//! `threshold_ticks` over the last `lookback` samples it sends a market buy of `size`; when it fell
//! as much, a market sell. With no trade yet it waits.

use crate::engine::Stp;
use crate::exchange::{Command, NewOrder, OrderKind};
use crate::scenario::Behaviour;
use crate::units::{MarketId, Price, Qty, Side};

use super::{Stream, View, Wake};

#[derive(Clone, Debug)]
pub struct MomentumTrader {
    market: MarketId,
    interval_ns: u64,
    lookback: usize,
    threshold_ticks: u64,
    size_lots: u64,
    samples: Vec<Price>,
}

impl MomentumTrader {
    pub fn new(b: &Behaviour) -> MomentumTrader {
        let Behaviour::MomentumTrader { market, interval_ns, lookback, threshold_ticks, size_lots } = *b else {
            unreachable!("built from a momentum_trader group")
        };
        let lookback = (lookback as usize).max(1);
        MomentumTrader { market, interval_ns, lookback, threshold_ticks, size_lots, samples: Vec::new() }
    }

    pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Command>) -> Option<u64> {
        if let Some(last) = view.market(self.market).last_trade {
            self.samples.push(last);
            if self.samples.len() > self.lookback + 1 {
                self.samples.remove(0);
            }
            let then = self.samples[0].0;
            let side = if last.0 >= then.saturating_add(self.threshold_ticks) {
                Some(Side::Buy)
            } else if last.0.saturating_add(self.threshold_ticks) <= then {
                Some(Side::Sell)
            } else {
                None
            };
            if let (Some(side), true) = (side, self.samples.len() > self.lookback) {
                out.push(Command::Place(NewOrder {
                    user: view.user,
                    market: self.market,
                    side,
                    qty: Qty(self.size_lots),
                    kind: OrderKind::Market,
                    stp: Stp::CancelNewest,
                }));
                self.samples.clear();
            }
        }
        (why == Wake::Tick).then(|| self.interval_ns + rng.uniform(0, self.interval_ns / 10))
    }
}
