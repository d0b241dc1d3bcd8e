//! Deposits: `Deposit` (credited at once: set-up funding and chainless flows) and `DepositSeen`
//! (a chain watcher's report of a payment to a user's deposit address).
//!
//! Invariants:
//! - each credit is one entry, World −a, Available(u) +a, so `conservation` holds by construction;
//! - every asset's total stays ≤ `AMOUNT_MAX`: a deposit that would pass it is refused
//!   (`overflow`), so no balance can pass it either;
//! - a `DepositSeen` credits once per (asset, inbound payment) (again: `already_done`), and only
//!   once it has the asset's required confirmations (before: `pending_confirmations`, nothing
//!   changes). The asset is part of the key because each chain numbers its inbound payments on its
//!   own, from [`Payment::INBOUND`]: the same number on two chains is two deposits.
//!
//! Memory: `deposits_credited` keeps every (asset, payment) credited, one per confirmed deposit,
//! for the run. A high-water mark per asset would not bound it exactly: a chain numbers its
//! sweeps and thefts in the same sequence as its deposits, so the credited numbers have gaps the
//! exchange never sees filled.

use crate::engine::MatchingEngine;
use crate::exchange::{Ack, Exchange, Payment, Reject};
use crate::ledger::{Account, CauseKind, Posting, UserId};
use crate::units::{AssetId, Minor, AMOUNT_MAX};

impl<E: MatchingEngine> Exchange<E> {
    pub(in crate::exchange) fn deposit(&mut self, user: UserId, asset: AssetId, amount: Minor) -> Result<Ack, Reject> {
        self.check_deposit(user, asset, amount)?;
        self.credit_deposit(user, asset, amount)?;
        Ok(Ack::Posted)
    }

    pub(super) fn deposit_seen(
        &mut self,
        user: UserId,
        asset: AssetId,
        amount: Minor,
        payment: Payment,
        confirmations: u32,
    ) -> Result<Ack, Reject> {
        self.check_deposit(user, asset, amount)?;
        if confirmations < self.custody.policy.asset(usize::from(asset.0)).confirmations {
            return Err(Reject::PendingConfirmations);
        }
        // Keyed by asset too: each chain numbers its inbound payments on its own, so the same
        // number names different deposits on two chains.
        if self.custody.deposits_credited.contains(&(asset, payment)) {
            return Err(Reject::AlreadyDone);
        }
        self.credit_deposit(user, asset, amount)?;
        self.custody.deposits_credited.insert((asset, payment));
        Ok(Ack::Posted)
    }

    /// The checks of any deposit: a known user and asset, a positive amount, and room in the
    /// asset's total.
    fn check_deposit(&self, user: UserId, asset: AssetId, amount: Minor) -> Result<(), Reject> {
        self.check_user(user)?;
        self.check_asset(asset)?;
        if amount <= 0 {
            return Err(Reject::InvalidAmount);
        }
        // Keep every asset's total ≤ AMOUNT_MAX, so that no balance can pass it (the ledger would
        // refuse too; this makes it a rejection, not a refused commit).
        let world = self.ledger.balance(Account::World, asset);
        if amount > AMOUNT_MAX || world.checked_sub(amount).is_none_or(|w| w < -AMOUNT_MAX) {
            return Err(Reject::Overflow);
        }
        Ok(())
    }

    fn credit_deposit(&mut self, user: UserId, asset: AssetId, amount: Minor) -> Result<(), Reject> {
        let postings = [
            Posting { account: Account::World, asset, delta: -amount },
            Posting { account: Account::Available(user), asset, delta: amount },
        ];
        let cause = self.cause(CauseKind::Deposit);
        self.commit_checked(cause, &postings)
    }
}
