//! The double-entry ledger: the only way to change a balance.
//!
//! Every change is one [`Ledger::commit`] of a journal entry: signed postings that sum to zero per
//! asset, naming the command that caused them. A commit is atomic: it applies every posting or,
//! if any check fails, none.
//!
//! Invariants (asserted or refused here; re-checked independently by [`crate::audit`]):
//! - `ledger_balanced`: a committed entry sums to zero per asset (unbalanced entries are refused);
//! - `no_negative_balance`: no account whose kind may not go negative (every kind but the world,
//!   by the account-kind table [`AccountKind::TABLE`]) is ever below zero (refused);
//! - `journal_complete`: replaying the journal ([`Journal::replay`]: the balances at the last
//!   checkpoint plus every entry since; from genesis before any checkpoint) reproduces every
//!   balance — asserted in full at each [`Ledger::checkpoint`], before the entries are folded;
//! - `conservation` follows: the internal accounts of an asset sum to minus the world's balance,
//!   which is what was deposited less what was withdrawn;
//! - every balance stays within ±[`AMOUNT_MAX`] (10^28 minor units): an entry that would take any
//!   balance past it is refused (`Overflow`). The world's balance is minus the asset's total, so
//!   a deposit past the cap is refused, and since the internal balances are non-negative and sum
//!   to the total, none of them can pass it either. Every balance therefore fits a `Decimal`.
//!
//! Fault path: [`Ledger::commit_unchecked`] exists only so that the fault switches of SPEC §5
//! (`hold_double_release`, `fee_rounding_mints`) can post the unbalanced or overdrawing entries
//! their historic bugs posted; the exchange reaches it only while one of these two is on. It
//! skips the balance and non-negative checks but still refuses an unknown account or an overflow,
//! and still journals what it applies, so even under a fault `journal_complete` holds and the
//! ledger's own state stays sound: the broken invariants are exactly the ones the fault is about,
//! for the auditor to find. The exchange also reaches it under the custody faults that debit
//! without the funds check (`withdraw_check_race`, `transfer_check_race`, `allow_negative`).
//!
//! [`Ledger::edit_unjournaled`] is the one write that bypasses the journal, reachable only through
//! the `insider_balance_edit` fault: it is that fault's whole point (`journal_complete` broken).

mod account;
mod journal;

pub use account::{Account, AccountKind, KindInfo, Scope, UserId};
pub use journal::{Cause, CauseKind, Entry, Journal, Posting};

use thiserror::Error;

use crate::units::{AssetId, Minor, AMOUNT_MAX};

/// Why a commit was refused. Nothing was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// An entry's postings do not sum to zero for `asset`.
    #[error("entry does not balance in asset {0:?}")]
    Unbalanced(AssetId),
    /// A balance would leave ±[`AMOUNT_MAX`].
    #[error("balance of {account:?} in {asset:?} would overflow")]
    Overflow { account: Account, asset: AssetId },
    /// A balance other than the world's would go below zero.
    #[error("balance of {account:?} in {asset:?} would go negative")]
    Negative { account: Account, asset: AssetId },
    /// A posting names an account or asset the ledger does not have.
    #[error("posting to unknown account {account:?} or asset {asset:?}")]
    Unknown { account: Account, asset: AssetId },
}

/// Balances and the journal that produced them.
#[derive(Clone, Debug)]
pub struct Ledger {
    assets: usize,
    /// `balances[account.index() * assets + asset]`.
    balances: Vec<Minor>,
    journal: Journal,
    /// Number of users with open accounts.
    users: usize,
    /// Scratch: per-asset sums while checking an entry.
    sums: Vec<(AssetId, i128)>,
    /// Scratch: each posting's balance slot while committing an entry.
    slots: Vec<usize>,
    /// Whether a balance was ever edited without a journal entry ([`Ledger::edit_unjournaled`],
    /// reached only under the `insider_balance_edit` fault).
    unjournaled: bool,
}

impl Ledger {
    /// A ledger over `assets` assets with only the system accounts open.
    pub fn new(assets: usize) -> Ledger {
        Ledger {
            assets,
            balances: vec![0; Account::FIRST_USER_INDEX * assets],
            journal: Journal::default(),
            users: 0,
            sums: Vec::new(),
            slots: Vec::new(),
            unjournaled: false,
        }
    }

    /// Number of assets.
    pub fn assets(&self) -> usize {
        self.assets
    }

    /// Opens the accounts of one more user; returns its id. Users are numbered from 0.
    pub fn open_user(&mut self) -> UserId {
        let user = UserId(u32::try_from(self.users).expect("fewer than 2^32 users"));
        self.balances.resize(self.balances.len() + AccountKind::PER_USER * self.assets, 0);
        self.users += 1;
        user
    }

    /// Number of users with open accounts.
    #[inline]
    pub fn users(&self) -> usize {
        self.users
    }

    #[inline]
    fn slot(&self, account: Account, asset: AssetId) -> Option<usize> {
        let i = account.index().checked_mul(self.assets)?.checked_add(usize::from(asset.0))?;
        (usize::from(asset.0) < self.assets && i < self.balances.len()).then_some(i)
    }

    /// The balance of `account` in `asset` (zero for an account that does not exist).
    #[inline]
    pub fn balance(&self, account: Account, asset: AssetId) -> Minor {
        self.slot(account, asset).map_or(0, |i| self.balances[i])
    }

    /// The journal so far.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Checkpoint: folds every journal entry so far into a snapshot of the balances, so the
    /// journal holds O(accounts + entries since), not O(run). First asserts `journal_complete` in
    /// full: the journal (previous snapshot plus entries since) replays to every balance.
    /// Changes no balance. Cost O(accounts + entries since the previous checkpoint).
    ///
    /// Once a balance was edited without a journal entry (the `insider_balance_edit` fault), the
    /// assertion cannot hold; the snapshot is then the journal's replay, not the balances, so the
    /// difference survives the checkpoint for the auditor to find.
    pub fn checkpoint(&mut self) {
        let mut replayed: Vec<Minor> = vec![0; self.balances.len()];
        for p in self.journal.replay_postings() {
            let slot = self.slot(p.account, p.asset).expect("the journal names only open accounts");
            replayed[slot] = replayed[slot].checked_add(p.delta).expect("a replayed balance was a real balance");
        }
        if self.unjournaled {
            self.journal.fold(labelled(&replayed, self.assets));
            return;
        }
        if let Some(i) = (0..replayed.len()).find(|&i| replayed[i] != self.balances[i]) {
            let (account, asset) = (Account::from_index(i / self.assets), i % self.assets);
            panic!(
                "journal_complete: {account:?} asset {asset} is {} but the journal replays to {}",
                self.balances[i], replayed[i]
            );
        }
        self.journal.fold(labelled(&self.balances, self.assets));
    }

    /// Commits one entry atomically: checks it balances per asset, applies it, checks no
    /// non-world balance is negative or overflowed; on any failure, applies nothing.
    pub fn commit(&mut self, cause: Cause, postings: &[Posting]) -> Result<(), LedgerError> {
        assert!(!postings.is_empty(), "an entry needs postings");
        self.resolve(postings)?;
        self.sums.clear();
        for p in postings {
            match self.sums.iter_mut().find(|(a, _)| *a == p.asset) {
                Some((_, sum)) => *sum += p.delta,
                None => self.sums.push((p.asset, p.delta)),
            }
        }
        if let Some((asset, _)) = self.sums.iter().find(|(_, sum)| *sum != 0) {
            return Err(LedgerError::Unbalanced(*asset));
        }
        // A non-world balance may be negative in passing (a later posting may credit it back);
        // it is checked once the whole entry is applied.
        self.apply(postings)?;
        let negative =
            postings.iter().zip(&self.slots).find(|(p, &slot)| !p.account.may_go_negative() && self.balances[slot] < 0);
        if let Some((p, _)) = negative {
            let error = LedgerError::Negative { account: p.account, asset: p.asset };
            self.rollback_slots(postings, postings.len());
            return Err(error);
        }
        self.journal.append(cause, postings);
        Ok(())
    }

    /// Finds every posting's balance slot (into `self.slots`), or the first unknown account. A
    /// delta beyond ±2 × [`AMOUNT_MAX`] is refused here (no balance within the cap could absorb
    /// it), which also keeps the per-asset sums of an entry far inside `i128`.
    fn resolve(&mut self, postings: &[Posting]) -> Result<(), LedgerError> {
        self.slots.clear();
        for p in postings {
            if !(-2 * AMOUNT_MAX..=2 * AMOUNT_MAX).contains(&p.delta) {
                return Err(LedgerError::Overflow { account: p.account, asset: p.asset });
            }
            let slot =
                self.slot(p.account, p.asset).ok_or(LedgerError::Unknown { account: p.account, asset: p.asset })?;
            self.slots.push(slot);
        }
        Ok(())
    }

    /// Adds every posting to its resolved slot; on a balance past ±[`AMOUNT_MAX`], undoes what it
    /// added.
    fn apply(&mut self, postings: &[Posting]) -> Result<(), LedgerError> {
        for (applied, (p, &slot)) in postings.iter().zip(&self.slots).enumerate() {
            match self.balances[slot].checked_add(p.delta).filter(|v| (-AMOUNT_MAX..=AMOUNT_MAX).contains(v)) {
                Some(v) => self.balances[slot] = v,
                None => {
                    self.rollback_slots(postings, applied);
                    return Err(LedgerError::Overflow { account: p.account, asset: p.asset });
                }
            }
        }
        Ok(())
    }

    /// **Fault injection only** (SPEC §5; see the module docs): commits one entry *without*
    /// checking that it balances or that balances stay non-negative. It still refuses, applying
    /// nothing, a posting to an unknown account or asset and a balance past ±[`AMOUNT_MAX`], and it
    /// journals exactly what it applies, so replaying the journal still reproduces every balance.
    /// The correct exchange never calls it; only a fault path does. An empty entry is a no-op.
    pub fn commit_unchecked(&mut self, cause: Cause, postings: &[Posting]) -> Result<(), LedgerError> {
        if postings.is_empty() {
            return Ok(());
        }
        self.resolve(postings)?;
        self.apply(postings)?;
        self.journal.append(cause, postings);
        Ok(())
    }

    /// **Fault injection only** (`insider_balance_edit`, SPEC §5): adds `delta` to one balance
    /// *without* a journal entry, as an insider's direct database edit did. It refuses, changing
    /// nothing, an unknown account or asset and a balance past ±[`AMOUNT_MAX`]; it checks nothing
    /// else (the balance may go negative). Afterwards the balances no longer replay from the
    /// journal: `journal_complete` is broken on purpose, for the auditor to find. The correct
    /// exchange never calls it.
    pub fn edit_unjournaled(&mut self, account: Account, asset: AssetId, delta: Minor) -> Result<(), LedgerError> {
        let slot = self.slot(account, asset).ok_or(LedgerError::Unknown { account, asset })?;
        let v = self.balances[slot]
            .checked_add(delta)
            .filter(|v| (-AMOUNT_MAX..=AMOUNT_MAX).contains(v))
            .ok_or(LedgerError::Overflow { account, asset })?;
        self.balances[slot] = v;
        self.unjournaled = true;
        Ok(())
    }

    /// Whether a balance was ever edited without a journal entry (only under
    /// `insider_balance_edit`).
    pub fn edited_unjournaled(&self) -> bool {
        self.unjournaled
    }

    /// Undoes the first `applied` postings of the entry whose slots are in `self.slots`.
    fn rollback_slots(&mut self, postings: &[Posting], applied: usize) {
        for (p, &slot) in postings[..applied].iter().zip(&self.slots).rev() {
            self.balances[slot] -= p.delta;
        }
    }

    /// Every (account, asset, balance), accounts in index order, assets in id order.
    pub fn balances(&self) -> impl Iterator<Item = (Account, AssetId, Minor)> + '_ {
        labelled(&self.balances, self.assets)
    }
}

/// The flat balance vector as (account, asset, balance), accounts in index order, assets in id order.
fn labelled(balances: &[Minor], assets: usize) -> impl Iterator<Item = (Account, AssetId, Minor)> + '_ {
    balances.iter().enumerate().map(move |(i, &b)| {
        let asset = AssetId(u16::try_from(i % assets).expect("asset ids fit u16"));
        (Account::from_index(i / assets), asset, b)
    })
}

#[cfg(test)]
mod tests;
