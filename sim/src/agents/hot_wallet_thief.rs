//! Hot-wallet key thief (Coincheck 2018, KuCoin 2020; Mt. Gox's slow drain): holds a stolen key
//! to the exchange's hot wallet and signs its coins away on chain.
//!
//! Model: at its `start` it asks the world to sign a theft of `share` of the hot wallet's balance
//! of `asset` to its own outside address ([`ChainAction::StealHot`]), and again every `interval`
//! until it has made `thefts` of them (one by default: a single sweep; many small shares over a
//! long time: a slow drain). It never talks to the exchange: what the exchange learns it learns
//! from its chain and its reserves. A multisig hot wallet refuses its lone signature.

use crate::exchange::Address;
use crate::input::limits::{MAX_DURATION_NS, MAX_THEFTS};
use crate::input::{KindFields, ScenarioError};
use crate::units::market::BPS_ONE;
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, ChainAction, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "hot_wallet_thief",
    about: "signs a share of the hot wallet away with a stolen key, once or as a slow drain (Coincheck, KuCoin)",
    fields: &["asset", "share", "thefts", "interval"],
    attacker: true,
};

/// A hot-wallet thief's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// The share of the hot wallet's balance each theft takes, in basis points.
    pub share_bps: u32,
    /// How many thefts.
    pub thefts: u32,
    /// Time between thefts.
    pub interval_ns: u64,
}

/// Reads a `hot_wallet_thief` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    Ok(Params {
        asset: f.asset("asset", "asset = \"BTC\"")?,
        share_bps: f.share_bps("share", BPS_ONE, 1, BPS_ONE)?,
        thefts: f.uint32("thefts", 1, 1, MAX_THEFTS)?,
        interval_ns: f.duration("interval", 3_600_000_000_000, 1, MAX_DURATION_NS)?,
    })
}

#[derive(Clone, Debug)]
pub struct HotWalletThief {
    params: Params,
    /// Thefts made so far.
    made: u32,
}

impl Behave for HotWalletThief {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> HotWalletThief {
        HotWalletThief { params, made: 0 }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick || self.made >= self.params.thefts {
            return None;
        }
        self.made += 1;
        // Its own outside address: one per thief (user ids are below 2^32).
        let to = Address::outside(view.user.0);
        out.push(Action::Chain(ChainAction::StealHot {
            asset: self.params.asset,
            share_bps: self.params.share_bps,
            to,
        }));
        (self.made < self.params.thefts).then_some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn steals_its_share_thefts_times_then_stops() {
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let params = Params { asset: AssetId(0), share_bps: 250, thefts: 2, interval_ns: 99 };
        let mut thief = HotWalletThief::new(params, &[], &bench.markets);
        let theft = Action::Chain(ChainAction::StealHot { asset: AssetId(0), share_bps: 250, to: Address::outside(5) });
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| thief.wake(w, v, r, o));
        assert_eq!((out, next), (vec![theft], Some(99)));
        let (out, next) = bench.wake(99, Wake::Tick, |w, v, r, o| thief.wake(w, v, r, o));
        assert_eq!((out, next), (vec![theft], None), "the last theft starts no timer");
        let (out, _) = bench.wake(198, Wake::Tick, |w, v, r, o| thief.wake(w, v, r, o));
        assert!(out.is_empty());
    }
}
