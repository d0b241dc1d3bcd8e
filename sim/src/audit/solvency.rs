//! The solvency checker: `solvency` — per asset, hot + cold custody on chain ≥ customer
//! liabilities.
//!
//! - Custody: the latest [`ChainFact::Reserves`] of the asset (an asset without a chain, or before
//!   its genesis, is not checked).
//! - Liabilities: Σ over customers (every user but the house, `UserId(0)`) and their per-user
//!   accounts (available, held, pending withdrawal) of max(0, balance), from the checker's **own**
//!   shadow balances summed from the journal entries it is shown; less the amounts of withdrawals
//!   whose payment the chain has confirmed but the ledger has not yet settled (paid on chain, not
//!   yet reported to the exchange: not a shortfall). A withdrawal counts once however many of its
//!   payments confirmed (a second payment is exactly the shortfall to find); it stops counting when
//!   the ledger settles or refunds it.
//!
//! Checked after each chain fact of the asset and each command whose entries touched it: O(the
//! command's postings). A theft from the hot wallet is a real shortfall and is reported here too
//! (its cost as a breach is measured from the chain's ground truth).
//!
//! Memory: a balance per customer account touched, and the withdrawals paid on chain but not
//! settled.

use std::collections::BTreeMap;

use super::checker::{Checker, Found};
use super::observation::Observation;
use super::requests::{Requests, Step};
use crate::catalog::Invariant;
use crate::chain::ChainFact;
use crate::exchange::WithdrawalId;
use crate::ledger::{Account, UserId};
use crate::lookup::LookupMap;
use crate::units::{AssetId, Minor};

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Solvency {
    requests: Requests,
    /// Customer accounts' balances, from the entries, keyed by account index and asset.
    balances: LookupMap<Minor>,
    /// Per asset: Σ max(0, balance) over customer accounts.
    liabilities: Vec<Minor>,
    /// Per asset: hot + cold on chain, once known.
    reserves: Vec<Option<Minor>>,
    /// Withdrawals paid on chain, not yet settled in the ledger, and what they take off.
    paid_unsettled: BTreeMap<WithdrawalId, (AssetId, Minor)>,
    /// Per asset: Σ of `paid_unsettled`.
    in_flight: Vec<Minor>,
    // Scratch.
    touched: Vec<AssetId>,
}

fn customer(account: Account) -> Option<UserId> {
    match account {
        Account::Available(u) | Account::Held(u) | Account::PendingWithdrawal(u) if u != UserId::HOUSE => Some(u),
        _ => None,
    }
}

impl Solvency {
    pub(super) fn new(assets: usize) -> Solvency {
        Solvency {
            requests: Requests::default(),
            balances: LookupMap::default(),
            liabilities: vec![0; assets],
            reserves: vec![None; assets],
            paid_unsettled: BTreeMap::new(),
            in_flight: vec![0; assets],
            touched: Vec::new(),
        }
    }

    fn settle(&mut self, id: WithdrawalId) {
        if let Some((asset, amount)) = self.paid_unsettled.remove(&id) {
            let n = &mut self.in_flight[usize::from(asset.0)];
            *n = n.saturating_sub(amount);
            self.touched.push(asset);
        }
    }

    fn check(&self, asset: AssetId, found: &mut Found) {
        let i = usize::from(asset.0);
        let Some(Some(reserves)) = self.reserves.get(i).copied() else { return };
        found.exercise(Invariant::Solvency);
        let owed = self.liabilities[i].saturating_sub(self.in_flight[i]);
        if reserves < owed {
            found.push((
                Invariant::Solvency,
                format!(
                    "asset {}: custody on chain is {reserves} but customers are owed {owed} (short {})",
                    asset.0,
                    owed.saturating_sub(reserves)
                ),
            ));
        }
    }
}

impl Checker for Solvency {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::Solvency]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        self.touched = touched;
        for entry in obs.entries() {
            for p in entry.postings() {
                if customer(p.account).is_none() || usize::from(p.asset.0) >= self.liabilities.len() {
                    continue;
                }
                let key = ((p.account.index() as u64) << 16) | u64::from(p.asset.0);
                let old = self.balances.get(key).copied().unwrap_or(0);
                let new = old.saturating_add(p.delta);
                match self.balances.get_mut(key) {
                    Some(b) => *b = new,
                    None => self.balances.insert_new(key, new),
                }
                let (before, after) = (old.max(0), new.max(0));
                let l = &mut self.liabilities[usize::from(p.asset.0)];
                *l = l.saturating_sub(before).saturating_add(after);
                self.touched.push(p.asset);
            }
        }
        if let Some(Step::Settled(id, _) | Step::Refunded(id, _)) = self.requests.follow(obs) {
            self.settle(id);
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for &asset in &touched {
            self.check(asset, found);
        }
        self.touched = touched;
    }

    fn observe_chain(&mut self, fact: &ChainFact, found: &mut Found) {
        let asset = fact.asset();
        let i = usize::from(asset.0);
        if i >= self.reserves.len() {
            return;
        }
        match *fact {
            ChainFact::Reserves { hot, cold, .. } => {
                self.reserves[i] = Some(hot.saturating_add(cold));
            }
            ChainFact::Confirmed { tx, .. } => {
                let Some((id, r)) = self.requests.by_payment(tx.payment) else { return };
                if self.paid_unsettled.insert(id, (r.asset, r.amount)).is_none() {
                    let n = &mut self.in_flight[usize::from(r.asset.0)];
                    *n = n.saturating_add(r.amount);
                }
            }
            _ => return,
        }
        self.check(asset, found);
    }

    fn retained(&self) -> usize {
        self.requests.retained() + self.paid_unsettled.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
