//! Bank run: depositors who, once spooked, all ask for their money back at nearly the same
//! instant.
//!
//! Model: the group is calm until its trigger: its `start` time, or, when it names a `market` and
//! a `drop`, the first wake (every `poll` from `start`) at which that market's last public trade
//! is at least `drop` below the first last trade it saw. Once triggered, each member waits a
//! uniform time in 0..=`spread`, then requests a withdrawal of its whole available balance of
//! `asset` to its own address, and again every `poll` while any is available (a refused request
//! — a limit, a review — is tried again). It learns nothing else; it never trades.

use crate::exchange::Command;
use crate::input::limits::MAX_DURATION_NS;
use crate::input::{KindFields, ScenarioError};
use crate::units::market::BPS_ONE;
use crate::units::{AssetId, MarketId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "bank_run",
    about: "after its start (or a price drop) every member withdraws all it has at nearly the same instant",
    fields: &["asset", "market", "drop", "poll", "spread"],
    attacker: false,
};

/// A bank run's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// The price trigger: the market, and the fall from the first last trade seen, in basis
    /// points. `None`: triggered at `start`.
    pub drop: Option<(MarketId, u32)>,
    /// Time between looks at the price, and between withdrawal attempts once triggered.
    pub poll_ns: u64,
    /// Each member's delay after the trigger is uniform in 0..=this.
    pub spread_ns: u64,
}

/// Reads a `bank_run` group's fields: `market` and `drop` go together.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    let market = f.optional_market()?;
    let drop = match (market, f.has("drop")) {
        (Some(m), true) => Some((m, f.share_bps("drop", 0, 1, BPS_ONE - 1)?)),
        (None, false) => None,
        (Some(_), false) => {
            return Err(f.error(&["market"], "drop", "a price trigger needs `drop` too, e.g. `drop = \"20%\"`".into()))
        }
        (None, true) => {
            return Err(f.error(&["drop"], "market", "`drop` needs the `market` whose price it watches".into()))
        }
    };
    Ok(Params {
        asset,
        drop,
        poll_ns: f.duration("poll", 1_000_000_000, 1, MAX_DURATION_NS)?,
        spread_ns: f.duration("spread", 1_000_000_000, 0, MAX_DURATION_NS)?,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Watching the price from the first last trade seen (if any yet).
    Calm { reference: Option<u64> },
    /// Triggered: waiting its share of the spread.
    Spooked,
    /// Withdrawing whatever is available at each wake.
    Running,
}

#[derive(Clone, Debug)]
pub struct BankRun {
    params: Params,
    phase: Phase,
}

impl BankRun {
    /// Whether the trigger has fired at this wake.
    fn triggered(&mut self, view: &View<'_>) -> bool {
        let Some((market, drop_bps)) = self.params.drop else { return true };
        let Some(last) = view.market(market).last_trade.map(|p| p.0) else { return false };
        let Phase::Calm { reference } = &mut self.phase else { return true };
        let reference = *reference.get_or_insert(last);
        // last <= reference × (1 − drop), in u128 so it never overflows.
        u128::from(last) * u128::from(BPS_ONE) <= u128::from(reference) * u128::from(BPS_ONE - drop_bps)
    }
}

impl Behave for BankRun {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> BankRun {
        BankRun { params, phase: Phase::Calm { reference: None } }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        match self.phase {
            Phase::Calm { .. } => {
                if !self.triggered(view) {
                    return Some(self.params.poll_ns);
                }
                self.phase = Phase::Spooked;
                if self.params.spread_ns > 0 {
                    return Some(rng.uniform(0, self.params.spread_ns));
                }
            }
            Phase::Spooked | Phase::Running => {}
        }
        self.phase = Phase::Running;
        let available = view.account.available(self.params.asset);
        if available > 0 {
            out.push(Action::Command(Command::withdraw(view.user, self.params.asset, available)));
        }
        Some(self.params.poll_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::units::Price;

    #[test]
    fn withdraws_everything_after_the_trigger_and_retries_while_any_is_left() {
        let params = |drop| Params { asset: AssetId(1), drop, poll_ns: 100, spread_ns: 0 };
        let mut bench = Bench::new(&[0, 9_000], btc_usd(None));
        let mut at_start = BankRun::new(params(None), &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| at_start.wake(w, v, r, o));
        assert_eq!(out, [Action::Command(Command::withdraw(bench.user, AssetId(1), 9_000))]);
        assert_eq!(next, Some(100));

        // A price trigger: calm until the last trade falls 20% below the first one seen.
        let mut on_drop = BankRun::new(params(Some((MarketId(0), 2_000))), &[], &bench.markets);
        for (last, runs) in [(None, false), (Some(30_000), false), (Some(24_001), false), (Some(24_000), true)] {
            bench.markets[0].last_trade = last.map(Price);
            let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| on_drop.wake(w, v, r, o));
            assert_eq!(!out.is_empty(), runs, "{last:?}");
            assert_eq!(next, Some(100));
        }
        bench.account = crate::agents::AccountState::with_available(&[0, 0]);
        let (out, _) = bench.wake(0, Wake::Tick, |w, v, r, o| on_drop.wake(w, v, r, o));
        assert!(out.is_empty(), "nothing left: nothing asked");

        // A spread: the first wake only waits.
        let mut spread = BankRun::new(Params { spread_ns: 1_000, ..params(None) }, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| spread.wake(w, v, r, o));
        assert!(out.is_empty() && next.is_some_and(|d| d <= 1_000));
    }
}
