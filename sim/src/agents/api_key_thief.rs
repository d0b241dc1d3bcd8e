//! API-key thief (Binance, May 7, 2019; the keys of Coinigy's cascade had they been reachable):
//! withdraws customers' balances with their stolen API keys.
//!
//! Model: with `harvest` above 0 its first wake harvests keys from customers' machines
//! (`HarvestKeys`: each customer holding an API key is reached with that probability; their key
//! and their authenticator's codes become known); it also uses any key stolen otherwise
//! ([`Intel::stolen_keys`](super::Intel), e.g. from a cloned source). Every `interval` it goes
//! through the stolen keys in order: a key it has not used yet it tries with a harmless first
//! request (`MassCancel` of the victim's orders, which needs the trade scope), whose acceptance
//! shows it the victim's account page ([`View::victims`](super::View)); a victim whose page it
//! sees and who has `asset` available it robs once: one withdrawal of the available balance —
//! at most `per_account`, to stay under per-account checks — to its own outside address
//! (`Address::outside`), presenting the key and, if it holds the victim's authenticator, a
//! current code. What the exchange accepts is the policy's: an enforced IP allowlist refuses the
//! keys from the thief's IP, keys without the withdraw scope cannot withdraw, an aggregate
//! outflow cap stops the sum, a freeze on alert stops it all.

use std::collections::BTreeSet;

use crate::exchange::{Address, ApiKeyId, Code, Command, Credential, FundsCommand};
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake, WorldAction};

pub const KIND: Catalogue = Catalogue {
    name: "api_key_thief",
    about: "withdraws victims' balances with stolen (or harvested) API keys and codes (Binance 2019)",
    fields: &["asset", "interval", "harvest", "per_account"],
    attacker: true,
};

/// An API-key thief's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// What it withdraws.
    pub asset: AssetId,
    /// Time between its rounds.
    pub interval_ns: u64,
    /// Share of key holders whose key and codes it harvests at its first wake, in parts per
    /// million; 0: it only uses keys stolen otherwise.
    pub harvest_ppm: u32,
    /// Most one withdrawal asks for (`None`: the whole available balance).
    pub per_account: Option<Minor>,
}

/// Reads an `api_key_thief` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    let per_account = match f.has("per_account") {
        true => Some(f.required_amount("per_account", "per_account = \"0.5\"", asset, MAX_ACTION_AMOUNT)?),
        false => None,
    };
    Ok(Params {
        asset,
        interval_ns: f.duration("interval", 1_000_000_000, 1, MAX_DURATION_NS)?,
        harvest_ppm: f.share_bps("harvest", 0, 0, 10_000)? * 100,
        per_account,
    })
}

#[derive(Clone, Debug)]
pub struct ApiKeyThief {
    params: Params,
    harvested: bool,
    /// Keys it has tried.
    tried: BTreeSet<ApiKeyId>,
    /// Victims it has sent a withdrawal for.
    robbed: BTreeSet<UserId>,
}

impl Behave for ApiKeyThief {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> ApiKeyThief {
        ApiKeyThief { params, harvested: false, tried: BTreeSet::new(), robbed: BTreeSet::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        if !self.harvested && self.params.harvest_ppm > 0 {
            self.harvested = true;
            out.push(Action::World(WorldAction::HarvestKeys { share_ppm: self.params.harvest_ppm }));
        }
        let asset = self.params.asset;
        for &(key, user) in &view.intel.stolen_keys {
            let credential = Credential::ApiKey(key);
            if let Some((_, page)) = view.victims.iter().find(|(v, _)| *v == user) {
                let available = page.available(asset);
                if available <= 0 || self.robbed.contains(&user) {
                    continue;
                }
                self.robbed.insert(user);
                let amount = self.params.per_account.map_or(available, |cap| available.min(cap));
                let to = Address::outside(view.user.0);
                let command = Command::Funds(FundsCommand::Withdraw { user, asset, amount, to });
                let device = view.intel.devices.iter().find(|(u, _)| *u == user).map(|&(_, d)| d);
                let code = device.map(|d| Code::at(d, view.now_ns));
                out.push(Action::As { credential, code, command });
            } else if self.tried.insert(key) {
                out.push(Action::As { credential, code: None, command: Command::mass_cancel(user, None) });
            }
        }
        Some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::agents::AccountState;
    use crate::exchange::Device;

    fn params(harvest_ppm: u32, per_account: Option<Minor>) -> Params {
        Params { asset: AssetId(0), interval_ns: 10, harvest_ppm, per_account }
    }

    #[test]
    fn harvests_once_then_tries_each_key_once() {
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let mut t = ApiKeyThief::new(params(300_000, None), &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| t.wake(w, v, r, o));
        assert_eq!(out, vec![Action::World(WorldAction::HarvestKeys { share_ppm: 300_000 })]);
        assert_eq!(next, Some(10));
        bench.intel.stolen_keys = vec![(ApiKeyId(4), UserId(7)), (ApiKeyId(6), UserId(8))];
        let (out, _) = bench.wake(10, Wake::Tick, |w, v, r, o| t.wake(w, v, r, o));
        let probe = |k, u| Action::As {
            credential: Credential::ApiKey(ApiKeyId(k)),
            code: None,
            command: Command::mass_cancel(UserId(u), None),
        };
        assert_eq!(out, vec![probe(4, 7), probe(6, 8)], "no second harvest; one probe per key");
        let (out, _) = bench.wake(20, Wake::Tick, |w, v, r, o| t.wake(w, v, r, o));
        assert!(out.is_empty(), "a key that showed nothing is not retried");
    }

    #[test]
    fn robs_each_victim_once_under_its_cap_with_a_current_code() {
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let mut t = ApiKeyThief::new(params(0, Some(300)), &[], &bench.markets);
        bench.intel.stolen_keys = vec![(ApiKeyId(4), UserId(7)), (ApiKeyId(6), UserId(8)), (ApiKeyId(9), UserId(2))];
        bench.intel.devices = vec![(UserId(8), Device(8))];
        bench.victims = vec![
            (UserId(7), AccountState::with_available(&[1_000, 0])),
            (UserId(8), AccountState::with_available(&[200, 0])),
            (UserId(2), AccountState::with_available(&[0, 50])),
        ];
        let now = 90_000_000_000;
        let (out, _) = bench.wake(now, Wake::Tick, |w, v, r, o| t.wake(w, v, r, o));
        let to = Address::outside(bench.user.0);
        let withdraw = |k, u, amount, code| Action::As {
            credential: Credential::ApiKey(ApiKeyId(k)),
            code,
            command: Command::Funds(FundsCommand::Withdraw { user: UserId(u), asset: AssetId(0), amount, to }),
        };
        assert_eq!(
            out,
            vec![withdraw(4, 7, 300, None), withdraw(6, 8, 200, Some(Code::at(Device(8), now)))],
            "capped per account; the code only where it holds the authenticator; nothing of an asset not held"
        );
        let (out, _) = bench.wake(now + 10, Wake::Tick, |w, v, r, o| t.wake(w, v, r, o));
        assert!(out.is_empty(), "each victim once");
    }
}
