//! Deposits: `Deposit` (credited at once: set-up funding and chainless flows) and `DepositSeen`
//! (a chain watcher's report of a payment to a user's deposit address).
//!
//! Invariants:
//! - each credit is one entry, World −a, Available(u) +a, so `conservation` holds by construction;
//! - every asset's total stays ≤ `AMOUNT_MAX`: a deposit that would pass it is refused
//!   (`overflow`), so no balance can pass it either;
//! - a `DepositSeen` credits once per inbound payment (again: `already_done`), and only once it has
//!   the asset's required confirmations (before: `pending_confirmations`, nothing changes).
//!
//! Memory: `deposits_credited` keeps every inbound payment credited, one per confirmed deposit,
//! for the run. It is keyed by the payment alone, and every chain numbers its inbound payments
//! from [`Payment::INBOUND`], so a deposit on one asset whose number another asset's deposit
//! already used answers `already_done` and is never credited (the quickstart loses deposits this
//! way). A bounded exact rule exists once the key is `(asset, payment)`: on one chain deposits
//! mature in numbering order (a FIFO mempool; an outside deposit always applies), so a per-asset
//! high-water mark plus the few credited above it would do. Both change answers the runs send
//! today (and so their digests): left for a change that may move them.

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
