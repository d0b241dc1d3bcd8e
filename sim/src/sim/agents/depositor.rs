//! Depositor and withdrawer: moves one asset in and out of its account.
//!
//! Model: after an exponential wait (mean `interval`) it deposits, or with probability
//! `withdraw_percent` withdraws, a uniform amount in 1..=`max_amount` minor units. A withdrawal
//! larger than its available balance is rejected (`insufficient_funds`). Until custody exists both
//! are plain ledger operations against the outside world.

use crate::exchange::Command;
use crate::scenario::Behaviour;
use crate::units::{AssetId, Minor};

use super::{Stream, View, Wake};

#[derive(Clone, Debug)]
pub struct Depositor {
    asset: AssetId,
    mean_interval_ns: u64,
    amount_max: Minor,
    withdraw_percent: u8,
}

impl Depositor {
    pub fn new(b: &Behaviour) -> Depositor {
        let Behaviour::Depositor { asset, mean_interval_ns, amount_max, withdraw_percent } = *b else {
            unreachable!("built from a depositor group")
        };
        Depositor { asset, mean_interval_ns, amount_max, withdraw_percent }
    }

    pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Command>) -> Option<u64> {
        // amount_max is positive and at most MAX_ACTION_AMOUNT, so both conversions are exact.
        let max = u128::try_from(self.amount_max.max(1)).unwrap_or(1);
        let amount = Minor::try_from(rng.uniform_u128(1, max)).unwrap_or(1);
        let (user, asset) = (view.user, self.asset);
        out.push(if rng.percent(u32::from(self.withdraw_percent)) {
            Command::withdraw(user, asset, amount)
        } else {
            Command::deposit(user, asset, amount)
        });
        (why == Wake::Tick).then(|| rng.exponential_ns(self.mean_interval_ns))
    }
}
