//! User-to-user transfers: `Transfer` (checks, then the amount moves to the sender's pending
//! outflow, `PendingWithdrawal`) → `ProcessTransfer` (the transfer worker credits the recipient).
//!
//! Invariants (every fault off): checks before any change (both users known and distinct, a known
//! asset, an amount in (0, `AMOUNT_MAX`], available funds); the hold is taken at request, checked,
//! so two concurrent transfers can never overdraw; a transfer is credited once (again:
//! `already_done`, also once forgotten: a credited transfer is kept among the last
//! [`KEPT_FINISHED`](super::KEPT_FINISHED) only); an id never issued is `unknown_withdrawal`.
//!
//! Fault paths: `transfer_check_race` (the request only checks; the worker debits the sender's
//! available and credits the recipient unchecked, so concurrent transfers overdraw),
//! `allow_negative` (a privileged sender's hold skips the funds check and is taken unchecked).

use super::{TransferRecord, TransferState};
use crate::engine::MatchingEngine;
use crate::exchange::{Ack, Exchange, Reject, TransferId};
use crate::fault::Fault;
use crate::ledger::{Account, CauseKind, Posting, UserId};
use crate::units::{AssetId, Minor, AMOUNT_MAX};

impl<E: MatchingEngine> Exchange<E> {
    pub(super) fn request_transfer(
        &mut self,
        from: UserId,
        to: UserId,
        asset: AssetId,
        amount: Minor,
    ) -> Result<Ack, Reject> {
        self.check_user(from)?;
        self.check_user(to)?;
        self.check_asset(asset)?;
        if amount <= 0 || amount > AMOUNT_MAX || from == to {
            return Err(Reject::InvalidAmount);
        }
        let exempt = self.exempt_from_funds_check(from);
        if !exempt && self.ledger.balance(Account::Available(from), asset) < amount {
            return Err(Reject::InsufficientFunds);
        }
        let held = !self.faults.has(Fault::TransferCheckRace);
        if held {
            self.hold(from, asset, amount, exempt, CauseKind::Transfer)?;
        }
        let id = TransferId(self.custody.transfers.next_id()?);
        self.custody.transfers.push(
            id.0,
            TransferRecord {
                id,
                from,
                to,
                asset,
                amount,
                requested_ns: self.now_ns,
                state: TransferState::Requested,
                held,
            },
        );
        Ok(Ack::Transfer(id))
    }

    pub(super) fn process_transfer(&mut self, id: TransferId) -> Result<Ack, Reject> {
        let t = self.custody.transfer_kept(id)?;
        if t.state == TransferState::Credited {
            return Err(Reject::AlreadyDone);
        }
        let source = if t.held { Account::PendingWithdrawal(t.from) } else { Account::Available(t.from) };
        let postings = [
            Posting { account: source, asset: t.asset, delta: -t.amount },
            Posting { account: Account::Available(t.to), asset: t.asset, delta: t.amount },
        ];
        let cause = self.cause(CauseKind::TransferCredited);
        if t.held {
            self.commit_checked(cause, &postings)?;
        } else {
            // transfer_check_race: the debit the request only checked for, now, unchecked.
            self.ledger.commit_unchecked(cause, &postings).map_err(|_| Reject::Overflow)?;
        }
        let record = self.custody.transfers.get_mut(id.0);
        record.state = TransferState::Credited;
        record.held = false;
        self.custody.transfers.finish(id.0);
        Ok(Ack::Posted)
    }
}
