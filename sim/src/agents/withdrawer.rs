//! Withdrawer: a customer who deposits through the asset's chain and withdraws part of what it
//! holds, at random.
//!
//! Model: after an exponential wait (mean `interval`) it withdraws, with probability
//! `withdraw_percent` and when it has any available balance of `asset`, `withdraw_share` of that
//! balance (at least one minor unit) to its own address; otherwise it pays a uniform amount in
//! 1..=`max_deposit` minor units from its outside wallet to its deposit address on the chain
//! ([`ChainAction::Deposit`]), which the exchange credits once the chain has confirmed it. Unlike
//! `depositor` (which credits directly), every unit it moves goes through custody.

use crate::exchange::Command;
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::units::market::BPS_ONE;
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, ChainAction, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "withdrawer",
    about: "deposits through the chain and withdraws a share of its balance, at random",
    fields: &["asset", "interval", "max_deposit", "withdraw_percent", "withdraw_share"],
    attacker: false,
};

/// A withdrawer's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// Mean time between actions (exponential).
    pub mean_interval_ns: u64,
    /// Deposits are uniform in 1..=this, in minor units.
    pub deposit_max: Minor,
    /// Share of actions that are withdrawals, in percent.
    pub withdraw_percent: u8,
    /// The share of its available balance a withdrawal asks for, in basis points.
    pub withdraw_share_bps: u32,
}

/// Reads a `withdrawer` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    let withdraw_percent = f.uint("withdraw_percent", 50, 0, 100)?;
    Ok(Params {
        asset,
        mean_interval_ns: f.duration("interval", 1_000_000_000, 1, MAX_DURATION_NS)?,
        deposit_max: f.required_amount("max_deposit", "max_deposit = \"1\"", asset, MAX_ACTION_AMOUNT)?,
        withdraw_percent: u8::try_from(withdraw_percent).unwrap_or(100),
        withdraw_share_bps: f.share_bps("withdraw_share", 5_000, 1, BPS_ONE)?,
    })
}

#[derive(Clone, Debug)]
pub struct Withdrawer {
    params: Params,
}

/// `share_bps` of `amount` (rounded down), at least 1 when `amount` is positive.
pub(crate) fn share_of(amount: Minor, share_bps: u32) -> Minor {
    let share = amount.checked_mul(Minor::from(share_bps)).map_or(amount, |m| m / Minor::from(BPS_ONE));
    share.max(Minor::from(amount > 0))
}

impl Behave for Withdrawer {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> Withdrawer {
        Withdrawer { params }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        let (user, asset) = (view.user, self.params.asset);
        let available = view.account.available(asset);
        if rng.percent(u32::from(self.params.withdraw_percent)) && available > 0 {
            let amount = share_of(available, self.params.withdraw_share_bps);
            out.push(Action::Command(Command::withdraw(user, asset, amount)));
        } else {
            // deposit_max is positive and at most MAX_ACTION_AMOUNT, so both conversions are exact.
            let max = u128::try_from(self.params.deposit_max.max(1)).unwrap_or(1);
            let amount = Minor::try_from(rng.uniform_u128(1, max)).unwrap_or(1);
            out.push(Action::Chain(ChainAction::Deposit { asset, amount }));
        }
        (why == Wake::Tick).then(|| rng.exponential_ns(self.params.mean_interval_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn withdraws_a_share_of_its_balance_or_deposits_through_the_chain() {
        let params = |withdraw_percent| Params {
            asset: AssetId(0),
            mean_interval_ns: 1_000,
            deposit_max: 500,
            withdraw_percent,
            withdraw_share_bps: 2_500,
        };
        let mut bench = Bench::new(&[1_000, 0], btc_usd(None));
        let mut always = Withdrawer::new(params(100), &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| always.wake(w, v, r, o));
        assert_eq!(out, [Action::Command(Command::withdraw(bench.user, AssetId(0), 250))]);
        assert!(next.is_some());
        let mut never = Withdrawer::new(params(0), &[], &bench.markets);
        for _ in 0..50 {
            let (out, next) = bench.wake(0, Wake::Followup, |w, v, r, o| never.wake(w, v, r, o));
            assert!(next.is_none(), "a follow-up starts no timer");
            let [Action::Chain(ChainAction::Deposit { asset: AssetId(0), amount })] = out[..] else {
                panic!("{out:?}")
            };
            assert!((1..=500).contains(&amount));
        }
        let mut empty = Bench::new(&[0, 0], btc_usd(None));
        let (out, _) = empty.wake(0, Wake::Tick, |w, v, r, o| always.wake(w, v, r, o));
        assert!(matches!(out[..], [Action::Chain(ChainAction::Deposit { .. })]), "nothing to withdraw: deposits");
        assert_eq!((share_of(3, 1), share_of(0, 1), share_of(7, 10_000)), (1, 0, 7));
    }
}
