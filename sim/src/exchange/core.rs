//! The exchange's shared core, used by every sub-machine (trading, custody, identity): the
//! checks every area shares (a user, an asset, a market exists), the cause of an entry, the
//! entry being built ([`Draft`]) and the one way each area commits it.
//!
//! Invariants kept here:
//! - a command's ledger effect is one atomic entry naming the command (`Cause { seq, .. }`);
//! - unless a fault of [`FaultArea::Ledger`] is on, every entry goes through the checked
//!   [`Ledger::commit`](crate::ledger::Ledger::commit) and a refusal is a bug (a panic): the
//!   command's checks ran before it; only a ledger fault may reach
//!   [`Ledger::commit_unchecked`](crate::ledger::Ledger::commit_unchecked), and under one a refused
//!   entry becomes a rejection (`overflow`) or, for a settlement, the fallbacks of
//!   [`Exchange::commit_with_faults`], so that a fault never panics the exchange nor breaks the
//!   ledger's own state.

use super::{Exchange, Reject};
use crate::engine::MatchingEngine;
use crate::fault::FaultArea;
use crate::ledger::{Account, Cause, CauseKind, Posting, UserId};
use crate::units::{AssetId, Minor};

impl<E: MatchingEngine> Exchange<E> {
    pub(in crate::exchange) fn check_user(&self, user: UserId) -> Result<(), Reject> {
        if (user.0 as usize) < self.ledger.users() {
            Ok(())
        } else {
            Err(Reject::UnknownUser)
        }
    }

    pub(in crate::exchange) fn check_asset(&self, asset: AssetId) -> Result<(), Reject> {
        if usize::from(asset.0) < self.assets.len() {
            Ok(())
        } else {
            Err(Reject::UnknownAsset)
        }
    }

    pub(in crate::exchange) fn cause(&self, kind: CauseKind) -> Cause {
        Cause { seq: self.seq, kind }
    }

    /// Commits an entry whose checks already ran. Unless a ledger fault is on it cannot be refused
    /// (a refusal panics: a bug); once a ledger fault has corrupted balances it can (an overflow
    /// past a minted total), and the command is then rejected with nothing changed.
    pub(in crate::exchange) fn commit_checked(&mut self, cause: Cause, postings: &[Posting]) -> Result<(), Reject> {
        match self.ledger.commit(cause, postings) {
            Ok(()) => Ok(()),
            Err(e) if !self.ledger_faults_on() => {
                panic!("command {} was checked but the ledger refused it: {e}", self.seq)
            }
            Err(_) => Err(Reject::Overflow),
        }
    }

    /// Whether a ledger fault ([`FaultArea::Ledger`]: `hold_double_release`, `fee_rounding_mints`,
    /// `withdraw_check_race`, `transfer_check_race`, `allow_negative`, `insider_balance_edit`) is
    /// on: only then may an entry be committed through
    /// [`Ledger::commit_unchecked`](crate::ledger::Ledger::commit_unchecked) (or a balance be
    /// edited past the journal), or a refused one become a rejection. Every other fault (the
    /// engine's, `quote_reprice`, `txid_reconcile`, `limits_in_hot_path`, `ack_before_durable`)
    /// leaves the ledger sound, so under it an unbalanced or overdrawing entry is still refused and
    /// a refusal is still a bug.
    #[inline]
    pub(in crate::exchange) fn ledger_faults_on(&self) -> bool {
        self.faults.first_in(FaultArea::Ledger).is_some()
    }

    /// Starts the command's entry: empties the honest and the fault drafts.
    pub(in crate::exchange) fn begin_entry(&mut self) {
        self.postings.clear();
        self.fault_postings.clear();
    }

    /// Commits the command's entry, if it has postings (see the module docs for the fault paths).
    pub(in crate::exchange) fn commit(&mut self, kind: CauseKind) {
        if self.postings.is_empty() && self.fault_postings.is_empty() {
            return;
        }
        let cause = self.cause(kind);
        if !self.ledger_faults_on() {
            if self.postings.overflowed {
                panic!("settlement of command {} overflowed a posting", self.seq);
            }
            if let Err(e) = self.ledger.commit(cause, &self.postings.postings) {
                panic!("settlement of command {} produced an entry the ledger refused: {e}", self.seq);
            }
            return;
        }
        self.commit_with_faults(cause);
    }

    /// Commits the command's entry with a ledger fault on: the honest postings merged with the fault
    /// paths' ones, unchecked if any fault fired; if that cannot be applied (a merge or a balance
    /// would overflow), the honest entry alone; if the ledger refuses that too (balances already
    /// corrupted by an earlier fault), the honest entry unchecked; if even that would overflow,
    /// nothing. The ledger itself never ends up inconsistent, and nothing panics.
    #[cold]
    pub(in crate::exchange) fn commit_with_faults(&mut self, cause: Cause) {
        if !self.fault_postings.is_empty() && !self.postings.overflowed && !self.fault_postings.overflowed {
            let mut merged = Draft { postings: self.postings.postings.clone(), overflowed: false };
            for p in &self.fault_postings.postings {
                merged.post(p.account, p.asset, p.delta);
            }
            if !merged.overflowed && self.ledger.commit_unchecked(cause, &merged.postings).is_ok() {
                return;
            }
        }
        if self.postings.overflowed || self.postings.is_empty() {
            return;
        }
        let honest: &[Posting] = &self.postings.postings;
        if self.ledger.commit(cause, honest).is_err() {
            // Either commits or changes nothing; dropping the entry is all that is left.
            let _ = self.ledger.commit_unchecked(cause, honest);
        }
    }
}

/// An entry being built: postings merged per (account, asset).
#[derive(Clone, Debug, Default)]
pub(in crate::exchange) struct Draft {
    pub(in crate::exchange) postings: Vec<Posting>,
    /// Whether a merge overflowed `i128`. Impossible while the ledger is sound (every asset's total
    /// is at most `AMOUNT_MAX`); possible only after a ledger fault minted money.
    pub(in crate::exchange) overflowed: bool,
}

impl Draft {
    pub(in crate::exchange) fn with_capacity(n: usize) -> Draft {
        Draft { postings: Vec::with_capacity(n), overflowed: false }
    }

    #[inline]
    pub(in crate::exchange) fn clear(&mut self) {
        self.postings.clear();
        self.overflowed = false;
    }

    #[inline]
    pub(in crate::exchange) fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Adds `delta` to the posting for (account, asset), merging with an existing one.
    #[inline]
    pub(in crate::exchange) fn post(&mut self, account: Account, asset: AssetId, delta: Minor) {
        if delta == 0 {
            return;
        }
        match self.postings.iter_mut().find(|p| p.account == account && p.asset == asset) {
            Some(p) => match p.delta.checked_add(delta) {
                Some(sum) => p.delta = sum,
                None => self.overflowed = true,
            },
            None => self.postings.push(Posting { account, asset, delta }),
        }
    }
}
