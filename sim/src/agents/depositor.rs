//! Depositor and withdrawer: moves one asset in and out of its account.
//!
//! Model: after an exponential wait (mean `interval`) it deposits, or with probability
//! `withdraw_percent` withdraws, a uniform amount in 1..=`max_amount` minor units. A withdrawal
//! larger than its available balance is rejected (`insufficient_funds`). A deposit is paid on the
//! asset's chain to its deposit address ([`ChainAction::Deposit`]) and credited once confirmed; a
//! withdrawal is a request that custody's steps pay on chain.

use crate::exchange::Command;
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, ChainAction, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "depositor",
    about: "deposits one asset through its chain and withdraws it, at random",
    fields: &["asset", "interval", "max_amount", "withdraw_percent"],
    attacker: false,
};

/// A depositor's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// Mean time between actions (exponential).
    pub mean_interval_ns: u64,
    /// Amounts are uniform in 1..=this.
    pub amount_max: Minor,
    /// Share of actions that are withdrawals, in percent.
    pub withdraw_percent: u8,
}

/// Reads a `depositor` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"USD\"")?;
    let amount = f.require("max_amount", "max_amount = \"1000\"")?;
    let withdraw_percent = f.uint("withdraw_percent", 40, 0, 100)?;
    Ok(Params {
        asset,
        mean_interval_ns: f.duration("interval", 100_000_000, 1, MAX_DURATION_NS)?,
        amount_max: f.amount(amount, "max_amount", asset, MAX_ACTION_AMOUNT)?,
        withdraw_percent: u8::try_from(withdraw_percent).unwrap_or(100),
    })
}

#[derive(Clone, Debug)]
pub struct Depositor {
    params: Params,
}

impl Behave for Depositor {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> Depositor {
        Depositor { params }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        // amount_max is positive and at most MAX_ACTION_AMOUNT, so both conversions are exact.
        let max = u128::try_from(self.params.amount_max.max(1)).unwrap_or(1);
        let amount = Minor::try_from(rng.uniform_u128(1, max)).unwrap_or(1);
        let (user, asset) = (view.user, self.params.asset);
        out.push(if rng.percent(u32::from(self.params.withdraw_percent)) {
            Action::Command(Command::withdraw(user, asset, amount))
        } else {
            Action::Chain(ChainAction::Deposit { asset, amount })
        });
        (why == Wake::Tick).then(|| rng.exponential_ns(self.params.mean_interval_ns))
    }
}
