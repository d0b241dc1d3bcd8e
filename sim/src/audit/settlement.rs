//! The settlement checker: `eventual_settlement` — after healing, every withdrawal requested is
//! settled or refunded, every transfer requested is credited, and every deposit the chain
//! confirmed to its asset's required confirmations is credited.
//!
//! Deposits are followed from both sides: the chain's `DepositConfirmations` fact that reaches
//! the asset's required count (from the custody policy), and the exchange's accepted
//! `DepositSeen` of the same (asset, payment). A pair is forgotten once both sides are seen, in
//! either order (after a recovery the auditor sees the replayed commands before the chain facts
//! are shown again), so what is held is the deposits in flight.
//!
//! It follows the requests from the commands and answers alone ([`Requests`]); the check runs only
//! when the kernel says healing is over ([`super::Auditor::check_settled`]), and reports the first
//! request still open (the lowest id, withdrawals first). Orders need no check here: after every
//! command each order is terminal or resting (the book checkers hold the engine to it). With no
//! request ever made, it is not exercised.

use std::collections::{BTreeMap, BTreeSet};

use super::checker::{Checker, Found};
use super::observation::Observation;
use super::requests::Requests;
use crate::catalog::Invariant;
use crate::chain::{ChainFact, Dest};
use crate::exchange::{Command, CustodyPolicy, FundsCommand, Payment};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct Settlement {
    requests: Requests,
    /// Each asset's required confirmations.
    confirmations: Vec<u32>,
    /// Deposits the chain confirmed enough, not yet seen credited: (asset, payment) → (user, amount).
    confirmed: BTreeMap<(AssetId, Payment), (UserId, Minor)>,
    /// Deposits credited, not yet seen confirmed by the chain.
    credited: BTreeSet<(AssetId, Payment)>,
    /// Whether any deposit went through the chain.
    deposits: bool,
}

impl Settlement {
    pub(super) fn new(policy: &CustodyPolicy, assets: usize) -> Settlement {
        Settlement {
            confirmations: (0..assets).map(|a| policy.asset(a).confirmations).collect(),
            ..Settlement::default()
        }
    }
}

impl Checker for Settlement {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::EventualSettlement]
    }

    fn observe(&mut self, obs: &Observation<'_>, _found: &mut Found) {
        self.requests.follow(obs);
        if let (Ok(_), Command::Funds(FundsCommand::DepositSeen { asset, payment, .. })) = (obs.result, obs.command) {
            let key = (*asset, *payment);
            if self.confirmed.remove(&key).is_none() {
                self.credited.insert(key);
            }
        }
    }

    fn observe_chain(&mut self, fact: &ChainFact, _found: &mut Found) {
        if let ChainFact::DepositConfirmations { tx, confirmations } = *fact {
            let required = self.confirmations.get(usize::from(tx.asset.0)).copied().unwrap_or(1);
            if let (Dest::Deposit(user), true) = (tx.to, confirmations >= required) {
                self.deposits = true;
                let key = (tx.asset, tx.payment);
                if !self.credited.remove(&key) {
                    self.confirmed.insert(key, (user, tx.amount));
                }
            }
        }
    }

    fn healed(&mut self, found: &mut Found) {
        if self.requests.requested == 0 && !self.deposits {
            return;
        }
        found.exercise(Invariant::EventualSettlement);
        if let Some((&(asset, payment), &(user, amount))) = self.confirmed.iter().next() {
            found.push((
                Invariant::EventualSettlement,
                format!(
                    "deposit of {amount} of asset {} to user {} (payment {}) has its confirmations on chain but was never credited",
                    asset.0, user.0, payment.0
                ),
            ));
            return;
        }
        if let Some((id, r)) = self.requests.first_withdrawal() {
            found.push((
                Invariant::EventualSettlement,
                format!(
                    "withdrawal {} of user {} ({} of asset {}, requested at {} ns) is neither settled nor refunded",
                    id.0, r.user.0, r.amount, r.asset.0, r.at_ns
                ),
            ));
        } else if let Some((id, r)) = self.requests.first_transfer() {
            found.push((
                Invariant::EventualSettlement,
                format!(
                    "transfer {} from user {} ({} of asset {}, requested at {} ns) was never credited",
                    id.0, r.user.0, r.amount, r.asset.0, r.at_ns
                ),
            ));
        }
    }

    fn retained(&self) -> usize {
        self.requests.retained() + self.confirmed.len() + self.credited.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
