//! The conservation checker: per asset, what the internal accounts hold equals deposits credited
//! less withdrawals settled.
//!
//! Two independent tallies per asset: the sum of every non-world posting in the journal entries it
//! is shown, and the net deposits counted from acknowledged *commands* (not from the ledger):
//! - a `Deposit` (direct credit) and a `DepositSeen` (credited: a deposit not yet credited is
//!   refused) add their amount;
//! - a `PaymentConfirmed` that settled an open withdrawal (its payment is the withdrawal's, as the
//!   exchange's `Intent::Pay` said; [`Requests`]) subtracts the withdrawal's amount;
//! - a `Withdraw` answered `Ack::Posted` — the plain debit of an exchange without custody, what
//!   the exchange did before custody — subtracts its amount; one answered `Ack::Withdrawal` (a
//!   request: the amount only moves to the user's pending withdrawal) changes nothing.
//!
//! After every command they must be equal: O(assets) per command. A balance edited without a
//! journal entry changes neither tally, so after an accepted `AdminAdjust` (the insider's path)
//! and at the end of the run the ledger's own balances are summed per asset too (O(accounts),
//! rare) and compared with the net deposits.

use super::checker::{Checker, Found};
use super::observation::{Inspect, Observation};
use super::requests::{Requests, Step};
use crate::catalog::Invariant;
use crate::exchange::{Ack, Command, FundsCommand};
use crate::ledger::Account;
use crate::units::AssetId;

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Conservation {
    /// Per asset: deposits credited less withdrawals settled, from acknowledged commands.
    net_deposits: Vec<i128>,
    /// Per asset: the sum of every non-world posting seen.
    internal: Vec<i128>,
    requests: Requests,
}

impl Conservation {
    pub(super) fn new(assets: usize) -> Conservation {
        Conservation { net_deposits: vec![0; assets], internal: vec![0; assets], requests: Requests::default() }
    }

    fn add(&mut self, asset: AssetId, delta: i128) {
        if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
            *n = n.saturating_add(delta);
        }
    }

    /// Compares the ledger's own balances (not the journal's) with the net deposits, per asset.
    fn scan(&self, state: &dyn Inspect, when: &str, found: &mut Found) {
        let mut held = vec![0i128; self.net_deposits.len()];
        for (account, asset, balance) in state.ledger().balances() {
            if account != Account::World {
                if let Some(h) = held.get_mut(usize::from(asset.0)) {
                    *h = h.saturating_add(balance);
                }
            }
        }
        for (asset, (held, net)) in held.iter().zip(&self.net_deposits).enumerate() {
            if held != net {
                found.push((
                    Invariant::Conservation,
                    format!("{when}: asset {asset}: the ledger's balances sum to {held} but deposits less withdrawals are {net}"),
                ));
            }
        }
    }
}

impl Checker for Conservation {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::Conservation]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        for entry in obs.entries() {
            found.exercise(Invariant::Conservation);
            for p in entry.postings() {
                if p.account != Account::World {
                    if let Some(sum) = self.internal.get_mut(usize::from(p.asset.0)) {
                        *sum = sum.saturating_add(p.delta);
                    }
                }
            }
        }
        if let Some(Step::Settled(_, r)) = self.requests.follow(obs) {
            self.add(r.asset, -r.amount);
        }
        if let (Ok(ack), Command::Funds(command)) = (obs.result, obs.command) {
            match (*command, ack) {
                (FundsCommand::Deposit { asset, amount, .. } | FundsCommand::DepositSeen { asset, amount, .. }, _) => {
                    self.add(asset, amount)
                }
                (FundsCommand::Withdraw { asset, amount, .. }, Ack::Posted) => self.add(asset, -amount),
                (FundsCommand::AdminAdjust { .. }, _) => {
                    found.exercise(Invariant::Conservation);
                    self.scan(obs.state, "after a balance edit", found);
                }
                _ => {}
            }
        }
        for (asset, (held, net)) in self.internal.iter().zip(&self.net_deposits).enumerate() {
            if held != net {
                found.push((
                    Invariant::Conservation,
                    format!("asset {asset}: accounts hold {held} but deposits less withdrawals are {net}"),
                ));
            }
        }
    }

    fn finish(&mut self, state: &dyn Inspect, found: &mut Found) {
        self.scan(state, "end of run", found);
    }

    fn retained(&self) -> usize {
        self.requests.retained()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
