//! Malleability claimant (Mt. Gox 2014): withdraws, re-publishes its withdrawal's transaction
//! under another id while it waits in the mempool, then tells support it never arrived.
//!
//! Model: every `interval` (exponential) while it has an available balance of `asset`, it
//! requests a withdrawal of a uniform amount in 1..=`max_amount` minor units (at most what is
//! available) to its own address. When the answer `Ack::Withdrawal(id)` reaches it, it asks for a
//! follow-up `malleate_after` later, at which it asks the world to re-publish that withdrawal's
//! transaction under a new id ([`ChainAction::Malleate`]). At its first wake at least
//! `claim_after` after that, it sends `ClaimNotReceived { id }`. An exchange that reconciles by
//! transaction id (`txid_reconcile`) pays it again; the correct one reconciles by payment.

use crate::exchange::{Ack, Command, FundsCommand, Outcome, WithdrawalId};
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, ChainAction, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "malleability_claimant",
    about: "withdraws, malleates its withdrawal's transaction, then claims it never arrived (Mt. Gox 2014)",
    fields: &["asset", "interval", "max_amount", "malleate_after", "claim_after"],
    attacker: true,
};

/// A malleability claimant's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub asset: AssetId,
    /// Mean time between withdrawal requests (exponential).
    pub mean_interval_ns: u64,
    /// Withdrawals are uniform in 1..=this (and at most what is available).
    pub amount_max: Minor,
    /// Time from the withdrawal's acknowledgement to the malleation.
    pub malleate_after_ns: u64,
    /// Time from the malleation to the claim (the claim goes at its first wake after).
    pub claim_after_ns: u64,
}

/// Reads a `malleability_claimant` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let asset = f.asset("asset", "asset = \"BTC\"")?;
    Ok(Params {
        asset,
        mean_interval_ns: f.duration("interval", 10_000_000_000, 1, MAX_DURATION_NS)?,
        amount_max: f.required_amount("max_amount", "max_amount = \"1\"", asset, MAX_ACTION_AMOUNT)?,
        malleate_after_ns: f.duration("malleate_after", 200_000_000, 1, MAX_DURATION_NS)?,
        claim_after_ns: f.duration("claim_after", 1_000_000_000, 0, MAX_DURATION_NS)?,
    })
}

#[derive(Clone, Debug)]
pub struct MalleabilityClaimant {
    params: Params,
    /// Acknowledged withdrawals waiting to be malleated, oldest first.
    to_malleate: Vec<WithdrawalId>,
    /// Malleated withdrawals and when they may be claimed, oldest first.
    to_claim: Vec<(u64, WithdrawalId)>,
}

impl Behave for MalleabilityClaimant {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> MalleabilityClaimant {
        MalleabilityClaimant { params, to_malleate: Vec::new(), to_claim: Vec::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        let now = view.now_ns;
        let due = self.to_claim.iter().take_while(|(at, _)| *at <= now).count();
        for (_, id) in self.to_claim.drain(..due) {
            out.push(Action::Command(FundsCommand::ClaimNotReceived { user: view.user, id }.into()));
        }
        if why == Wake::Followup {
            if !self.to_malleate.is_empty() {
                let id = self.to_malleate.remove(0);
                out.push(Action::Chain(ChainAction::Malleate { withdrawal: id }));
                self.to_claim.push((now.saturating_add(self.params.claim_after_ns), id));
            }
            return None;
        }
        let available = view.account.available(self.params.asset);
        if available > 0 {
            // amount_max is positive and at most MAX_ACTION_AMOUNT, so both conversions are exact.
            let max = u128::try_from(self.params.amount_max.min(available).max(1)).unwrap_or(1);
            let amount = Minor::try_from(rng.uniform_u128(1, max)).unwrap_or(1);
            out.push(Action::Command(Command::withdraw(view.user, self.params.asset, amount)));
        }
        Some(rng.exponential_ns(self.params.mean_interval_ns))
    }

    fn answered(&mut self, command: &Command, outcome: &Outcome, _rng: &mut Stream) -> Option<u64> {
        match (command, outcome) {
            (Command::Funds(FundsCommand::Withdraw { .. }), Ok(Ack::Withdrawal(id))) => {
                self.to_malleate.push(*id);
                Some(self.params.malleate_after_ns)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn withdraws_malleates_what_was_acknowledged_then_claims_it() {
        let params = Params {
            asset: AssetId(0),
            mean_interval_ns: 1_000,
            amount_max: 50,
            malleate_after_ns: 10,
            claim_after_ns: 500,
        };
        let mut bench = Bench::new(&[30, 0], btc_usd(None));
        let mut agent = MalleabilityClaimant::new(params, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| agent.wake(w, v, r, o));
        let [Action::Command(request @ Command::Funds(FundsCommand::Withdraw { amount, .. }))] = out[..] else {
            panic!("{out:?}")
        };
        assert!((1..=30).contains(&amount), "at most what is available");
        assert!(next.is_some());
        let id = WithdrawalId(7);
        assert_eq!(agent.answered(&request, &Ok(Ack::Withdrawal(id)), &mut bench.rng), Some(10));
        assert_eq!(agent.answered(&request, &Ok(Ack::Posted), &mut bench.rng), None);
        let (out, next) = bench.wake(100, Wake::Followup, |w, v, r, o| agent.wake(w, v, r, o));
        assert_eq!((out, next), (vec![Action::Chain(ChainAction::Malleate { withdrawal: id })], None));
        bench.account = crate::agents::AccountState::with_available(&[0, 0]);
        let (out, _) = bench.wake(599, Wake::Tick, |w, v, r, o| agent.wake(w, v, r, o));
        assert!(out.is_empty(), "not yet: claims {}ns after the malleation", 500);
        let (out, _) = bench.wake(600, Wake::Tick, |w, v, r, o| agent.wake(w, v, r, o));
        let claim = FundsCommand::ClaimNotReceived { user: bench.user, id };
        assert_eq!(out, [Action::Command(claim.into())]);
        let (out, _) = bench.wake(700, Wake::Tick, |w, v, r, o| agent.wake(w, v, r, o));
        assert!(out.is_empty(), "claims once");
    }
}
