//! Test support for the kinds' unit tests: a view over given balances and markets, an agent's
//! stream, and a way to run one wake.
//!
//! Invariant: test-only (compiled under `cfg(test)`); it builds views exactly as the kernel
//! does, from an account state and public market data, never from an exchange.

use super::{AccountState, Action, GroundTruth, Intel, MarketData, View, Wake};
use crate::ledger::UserId;
use crate::rng::Stream;
use crate::units::{Asset, Market, MarketSpec, Price};
use crate::units::{AssetId, FeeSchedule};

/// BTC (8 decimals) and USD (2), and BTC-USD with a 1 USD tick and 0.01 BTC lot, last trade
/// `last`.
pub(crate) fn btc_usd(last: Option<u64>) -> Vec<MarketData> {
    let (btc, usd) = (Asset::new("BTC", 8).unwrap(), Asset::new("USD", 2).unwrap());
    let spec = MarketSpec {
        base: AssetId(0),
        quote: AssetId(1),
        tick_size: "1".parse().unwrap(),
        lot_size: "0.01".parse().unwrap(),
        fees: FeeSchedule { maker_bps: 0, taker_bps: 0 },
    };
    vec![MarketData { instrument: Market::new(&spec, &btc, &usd).unwrap(), last_trade: last.map(Price) }]
}

/// A test bench: one agent's account, the markets, the fair values and its stream.
pub(crate) struct Bench {
    pub user: UserId,
    pub account: AccountState,
    pub markets: Vec<MarketData>,
    pub fair: Vec<Price>,
    pub rng: Stream,
    pub intel: Intel,
    pub victims: Vec<(UserId, AccountState)>,
}

impl Bench {
    pub fn new(available: &[i128], markets: Vec<MarketData>) -> Bench {
        let fair = vec![Price(30_000); markets.len()];
        Bench {
            user: UserId(5),
            account: AccountState::with_available(available),
            markets,
            fair,
            rng: Stream::new(1, "test"),
            intel: Intel::default(),
            victims: Vec::new(),
        }
    }

    /// Wakes `wake` at `now_ns` (the agent's `wake` method); returns its actions and next delay.
    pub fn wake<F>(&mut self, now_ns: u64, why: Wake, wake: F) -> (Vec<Action>, Option<u64>)
    where
        F: FnOnce(Wake, &View<'_>, &mut Stream, &mut Vec<Action>) -> Option<u64>,
    {
        let view = View {
            user: self.user,
            now_ns,
            account: &self.account,
            markets: &self.markets,
            ground_truth: GroundTruth::new(&self.fair),
            intel: &self.intel,
            victims: &self.victims,
        };
        let mut out = Vec::new();
        let next = wake(why, &view, &mut self.rng, &mut out);
        (out, next)
    }
}
