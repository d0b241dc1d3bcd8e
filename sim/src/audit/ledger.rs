//! The ledger checker: `ledger_balanced`, `no_negative_balance` and `journal_complete`.
//!
//! Its shadow is a balance per (account, asset), summed from every journal entry it is shown since
//! genesis. Per command it re-sums each new entry per asset (`ledger_balanced`), checks that every
//! entry names the command that ran and that a rejected command appended nothing and moved no
//! order (`journal_complete`), and compares each touched account's balance in the ledger with its
//! shadow (`journal_complete`) and with zero (`no_negative_balance`, the world excepted). At the
//! end of a run, every balance is compared with the shadow and with the journal's own replay from
//! its last checkpoint: O(live balances), never a replay from genesis.
//!
//! A balance edited without a journal entry (an operator's `AdminAdjust`, which the correct
//! exchange refuses) touches no account the entries name, so after every `AdminAdjust`, accepted
//! or not, the user's own accounts in the asset are compared with the shadow too.

use super::checker::{Checker, Found};
use super::observation::{Inspect, Observation};
use crate::catalog::Invariant;
use crate::exchange::{Command, FundsCommand};
use crate::ledger::Account;
use crate::lookup::LookupMap;
use crate::units::{AssetId, Minor};

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct LedgerChecker {
    balances: LookupMap<Minor>,
    // Scratch, reused between commands.
    sums: Vec<(AssetId, i128)>,
    touched: Vec<(Account, AssetId)>,
}

/// The shadow's key: the account's index in the ledger's account-kind table (the one table of
/// kinds both the ledger and the auditor read) and the asset.
fn account_key(account: Account, asset: AssetId) -> u64 {
    ((account.index() as u64) << 16) | u64::from(asset.0)
}

impl Checker for LedgerChecker {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::LedgerBalanced, Invariant::NoNegativeBalance, Invariant::JournalComplete]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        if obs.result.is_err() && (!obs.entries.is_empty() || !obs.events.is_empty()) {
            found.push((Invariant::JournalComplete, format!("rejected command {:?} changed the state", obs.command)));
        }
        let seq = obs.seq;
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for entry in obs.entries() {
            found.exercise(Invariant::LedgerBalanced);
            found.exercise(Invariant::NoNegativeBalance);
            found.exercise(Invariant::JournalComplete);
            self.sums.clear();
            for p in entry.postings() {
                match self.sums.iter_mut().find(|(a, _)| *a == p.asset) {
                    Some((_, sum)) => *sum += p.delta,
                    None => self.sums.push((p.asset, p.delta)),
                }
                let key = account_key(p.account, p.asset);
                match self.balances.get_mut(key) {
                    Some(b) => *b = b.wrapping_add(p.delta),
                    None => {
                        self.balances.insert_new(key, p.delta);
                    }
                }
                touched.push((p.account, p.asset));
            }
            if entry.cause.seq != seq {
                found.push((
                    Invariant::JournalComplete,
                    format!("entry names command {} but command {seq} ran", entry.cause.seq),
                ));
            }
            if let Some(&(asset, sum)) = self.sums.iter().find(|(_, s)| *s != 0) {
                found.push((
                    Invariant::LedgerBalanced,
                    format!("entry for command {seq} sums to {sum} in asset {}", asset.0),
                ));
            }
        }
        if let Command::Funds(FundsCommand::AdminAdjust { user, asset, .. }) = *obs.command {
            found.exercise(Invariant::JournalComplete);
            for account in [Account::Available(user), Account::Held(user), Account::PendingWithdrawal(user)] {
                touched.push((account, asset));
            }
        }
        let ledger = obs.state.ledger();
        for &(account, asset) in &touched {
            let shadow = self.balances.get(account_key(account, asset)).copied().unwrap_or(0);
            if account != Account::World && shadow < 0 {
                found.push((Invariant::NoNegativeBalance, format!("{account:?} is {shadow} in asset {}", asset.0)));
            }
            let actual = ledger.balance(account, asset);
            if actual != shadow {
                found.push((
                    Invariant::JournalComplete,
                    format!("{account:?} asset {} is {actual}, journal says {shadow}", asset.0),
                ));
            }
        }
        self.touched = touched;
    }

    fn finish(&mut self, state: &dyn Inspect, found: &mut Found) {
        let ledger = state.ledger();
        // The journal's own replay (its checkpoint's balances plus every entry since), summed into
        // a flat table by (account index, asset): one pass, no ordered map (this runs at the end
        // of every fuzzed script). Postings in an asset the exchange does not have name no
        // balance, so no balance is compared with them, as before.
        let assets = state.assets().len();
        let slot = |account: Account, asset: AssetId| account.index() * assets + usize::from(asset.0);
        let mut replayed: Vec<Minor> = Vec::new();
        for p in ledger.journal().replay_postings() {
            if usize::from(p.asset.0) >= assets {
                continue;
            }
            let i = slot(p.account, p.asset);
            if i >= replayed.len() {
                replayed.resize(i + 1, 0);
            }
            replayed[i] += p.delta;
        }
        for (account, asset, balance) in ledger.balances() {
            let want = replayed.get(slot(account, asset)).copied().unwrap_or(0);
            if balance != want {
                found.push((
                    Invariant::JournalComplete,
                    format!("end of run: {account:?} asset {} is {balance}, the journal replays to {want}", asset.0),
                ));
            }
            let shadow = self.balances.get(account_key(account, asset)).copied().unwrap_or(0);
            if balance != shadow {
                found.push((
                    Invariant::JournalComplete,
                    format!(
                        "end of run: {account:?} asset {} is {balance}, the entries the auditor saw sum to {shadow}",
                        asset.0
                    ),
                ));
            }
        }
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
