//! Insider (QuadrigaCX, Mt. Gox's "Willy" and "Markus" bots): an operator who credits their own
//! account by editing its balance, then withdraws the money.
//!
//! Model: at its `start` it sends `AdminAdjust` crediting `amount` of `asset` to its own account
//! (an operator's direct balance edit); `withdraw_after` later it requests a withdrawal of its
//! whole available balance of `asset`. It repeats every `interval` until it has made `times`
//! edits. The correct exchange has no balance-edit path and refuses the edit, so only what the
//! insider really owned leaves; with `insider_balance_edit` the edit bypasses the journal.

use crate::exchange::{Command, FundsCommand};
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS, MAX_THEFTS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "insider",
    about: "credits itself with a direct balance edit, then withdraws (QuadrigaCX, Mt. Gox bots)",
    fields: &["asset", "amount", "withdraw_after", "times", "interval"],
    attacker: true,
};

/// An insider's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// Credited by each edit, in minor units.
    pub amount: Minor,
    /// Time from an edit to the withdrawal.
    pub withdraw_after_ns: u64,
    /// How many edits.
    pub times: u32,
    /// Time between edits.
    pub interval_ns: u64,
}

/// Reads an `insider` group's fields; `withdraw_after` must be shorter than `interval`.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    let params = Params {
        asset,
        amount: f.required_amount("amount", "amount = \"100\"", asset, MAX_ACTION_AMOUNT)?,
        withdraw_after_ns: f.duration("withdraw_after", 1_000_000_000, 1, MAX_DURATION_NS)?,
        times: f.uint32("times", 1, 1, MAX_THEFTS)?,
        interval_ns: f.duration("interval", 3_600_000_000_000, 1, MAX_DURATION_NS)?,
    };
    if params.times > 1 && params.withdraw_after_ns >= params.interval_ns {
        return Err(f.error(
            &["withdraw_after", "interval"],
            "withdraw_after",
            "must be shorter than `interval`, so each withdrawal follows its own edit".into(),
        ));
    }
    Ok(params)
}

#[derive(Clone, Debug)]
pub struct Insider {
    params: Params,
    /// Edits made so far.
    edits: u32,
    /// The next wake withdraws (else it edits).
    withdraw_next: bool,
}

impl Behave for Insider {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> Insider {
        Insider { params, edits: 0, withdraw_next: false }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        let (user, asset) = (view.user, self.params.asset);
        if self.withdraw_next {
            self.withdraw_next = false;
            let all = view.account.available(asset);
            if all > 0 {
                out.push(Action::Command(Command::withdraw(user, asset, all)));
            }
            let rest = self.params.interval_ns.saturating_sub(self.params.withdraw_after_ns).max(1);
            return (self.edits < self.params.times).then_some(rest);
        }
        self.edits += 1;
        self.withdraw_next = true;
        let edit = FundsCommand::AdminAdjust { user, asset, delta: self.params.amount };
        out.push(Action::Command(edit.into()));
        Some(self.params.withdraw_after_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn edits_its_balance_then_withdraws_everything() {
        let mut bench = Bench::new(&[0, 40], btc_usd(None));
        let params = Params { asset: AssetId(1), amount: 1_000, withdraw_after_ns: 10, times: 2, interval_ns: 100 };
        let mut insider = Insider::new(params, &[], &bench.markets);
        let edit =
            Action::Command(FundsCommand::AdminAdjust { user: bench.user, asset: AssetId(1), delta: 1_000 }.into());
        let withdraw = Action::Command(Command::withdraw(bench.user, AssetId(1), 40));
        let mut wake = |bench: &mut Bench| bench.wake(0, Wake::Tick, |w, v, r, o| insider.wake(w, v, r, o));
        assert_eq!(wake(&mut bench), (vec![edit], Some(10)));
        assert_eq!(wake(&mut bench), (vec![withdraw], Some(90)));
        assert_eq!(wake(&mut bench), (vec![edit], Some(10)));
        assert_eq!(wake(&mut bench), (vec![withdraw], None), "two edits, then done");
    }
}
