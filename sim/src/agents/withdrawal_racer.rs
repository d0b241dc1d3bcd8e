//! Withdrawal racer (Poloniex 2014, Flexcoin 2014): sends many requests for its whole balance at
//! the same instant, betting that the exchange checks each before it debits any.
//!
//! Model: at each wake (its `start`, then every `interval` if one is set) it sends `burst`
//! requests at once, each for its whole available balance of `asset`: withdrawals to its own
//! address (`mode = "withdraw"`), or transfers to a partner account (`mode = "transfer"`): the
//! account opened just before its own (so in a group of two racers the second pays the first).
//! The correct exchange accepts one and refuses the rest (`insufficient_funds`); an exchange
//! with `withdraw_check_race` or `transfer_check_race` accepts several.

use crate::exchange::Command;
use crate::input::limits::{MAX_BURST, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "withdrawal_racer",
    about: "sends a burst of withdrawals (or transfers) of its whole balance at one instant (Poloniex, Flexcoin)",
    fields: &["asset", "burst", "mode", "interval"],
    attacker: true,
};

/// What a racer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Withdrawals to its own address.
    Withdraw,
    /// Transfers to its partner account.
    Transfer,
}

/// A withdrawal racer's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// Requests sent at one instant.
    pub burst: u32,
    pub mode: Mode,
    /// Time between bursts; `None`: one burst, at `start`.
    pub interval_ns: Option<u64>,
}

/// Reads a `withdrawal_racer` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    let mode = [Mode::Withdraw, Mode::Transfer][f.choice("mode", &["withdraw", "transfer"])?];
    let interval_ns = match f.has("interval") {
        true => Some(f.duration("interval", 0, 1, MAX_DURATION_NS)?),
        false => None,
    };
    Ok(Params { asset, burst: f.uint32("burst", 10, 1, MAX_BURST)?, mode, interval_ns })
}

#[derive(Clone, Debug)]
pub struct WithdrawalRacer {
    params: Params,
}

/// The partner of `user`: the account opened just before it (the one after, for the first).
fn partner(user: UserId) -> UserId {
    match user.0.checked_sub(1) {
        Some(before) => UserId(before),
        None => UserId(1),
    }
}

impl Behave for WithdrawalRacer {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> WithdrawalRacer {
        WithdrawalRacer { params }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        let (user, asset) = (view.user, self.params.asset);
        let all = view.account.available(asset);
        if all > 0 {
            let request = match self.params.mode {
                Mode::Withdraw => Command::withdraw(user, asset, all),
                Mode::Transfer => Command::transfer(user, partner(user), asset, all),
            };
            out.extend((0..self.params.burst).map(|_| Action::Command(request)));
        }
        if why == Wake::Tick {
            self.params.interval_ns
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn sends_its_whole_balance_burst_times_at_once() {
        let mut bench = Bench::new(&[700, 0], btc_usd(None));
        let params = Params { asset: AssetId(0), burst: 3, mode: Mode::Withdraw, interval_ns: None };
        let mut racer = WithdrawalRacer::new(params.clone(), &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| racer.wake(w, v, r, o));
        assert_eq!(out, vec![Action::Command(Command::withdraw(bench.user, AssetId(0), 700)); 3]);
        assert_eq!(next, None, "one burst");
        let transfer = Params { mode: Mode::Transfer, interval_ns: Some(50), ..params };
        let mut racer = WithdrawalRacer::new(transfer, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| racer.wake(w, v, r, o));
        assert_eq!(out, vec![Action::Command(Command::transfer(bench.user, UserId(4), AssetId(0), 700)); 3]);
        assert_eq!(next, Some(50));
        assert_eq!(partner(UserId(0)), UserId(1));
    }
}
