//! Withdrawals: `Withdraw` (policy checks, then the amount is held in the user's
//! `PendingWithdrawal`) → `ReviewWithdrawal` (above the review threshold: approve, or refuse and
//! refund) → `ProcessWithdrawal` (the worker sends it: one [`Intent::Pay`] with a fresh payment)
//! → `PaymentConfirmed` (the hold leaves to the world); and `ClaimNotReceived`.
//!
//! Invariants (every fault off):
//! - checks in order, all before any change: known user and asset, amount in (0, `AMOUNT_MAX`];
//!   whitelist (`not_whitelisted`); daily limit (`daily_limit`); outflow cap (`outflow_cap`);
//!   available funds (`insufficient_funds`);
//! - a withdrawal is sent at most once and settles at most once; a confirmation is matched by its
//!   [`Payment`], which malleability cannot change, so a malleated transaction id still settles
//!   the right withdrawal and an unknown payment (`unknown_payment`) changes nothing;
//! - `ClaimNotReceived` never moves money nor re-sends: the owner is told the request is waiting
//!   for review (`pending_review`) or that the step it asks for is already taken
//!   (`already_done`): queued for the worker, in flight on chain, paid, or refunded. Only the
//!   chain's confirmation ends a sent withdrawal;
//! - a withdrawal finished (settled, refunded) and forgotten answers every later command as its
//!   terminal state did (`already_done`); see the module docs of `custody`.
//!
//! Fault paths: `withdraw_check_race` (no hold at request; the worker debits unchecked),
//! `txid_reconcile` (confirmations by txid; a claim re-sends), `allow_negative` (a privileged
//! account's hold is taken unchecked, without the funds check), `limits_in_hot_path` (limits
//! checked at send time over settled withdrawals only).

use super::{WithdrawalRecord, WithdrawalState};
use crate::engine::MatchingEngine;
use crate::exchange::{Ack, Address, Exchange, Intent, Payment, Reject, TxId, WithdrawalId};
use crate::fault::Fault;
use crate::ledger::{Account, CauseKind, Posting, UserId};
use crate::units::{AssetId, Minor, AMOUNT_MAX};

impl<E: MatchingEngine> Exchange<E> {
    pub(super) fn withdraw(&mut self, user: UserId, asset: AssetId, amount: Minor, to: Address) -> Result<Ack, Reject> {
        self.check_user(user)?;
        self.check_asset(asset)?;
        if amount <= 0 || amount > AMOUNT_MAX {
            return Err(Reject::InvalidAmount);
        }
        let now = self.now_ns;
        let policy = self.custody.policy.asset(usize::from(asset.0));
        if self.custody.policy.whitelist && to != Address::of(user) {
            let delay = self.custody.policy.whitelist_delay_ns;
            let usable = self.custody.whitelist.get(&(user, to)).is_some_and(|&at| at.saturating_add(delay) <= now);
            if !usable {
                return Err(Reject::NotWhitelisted);
            }
        }
        if !self.faults.has(Fault::LimitsInHotPath) {
            self.custody.requested.check(asset, &policy, user, amount, now)?;
        }
        let exempt = self.exempt_from_funds_check(user);
        if !exempt && self.ledger.balance(Account::Available(user), asset) < amount {
            return Err(Reject::InsufficientFunds);
        }
        let id = WithdrawalId(self.custody.withdrawals.next_id()?);
        let held = !self.faults.has(Fault::WithdrawCheckRace);
        if held {
            self.hold(user, asset, amount, exempt, CauseKind::Withdrawal)?;
        }
        let state = if policy.review_above.is_some_and(|r| amount > r) {
            WithdrawalState::AwaitingReview
        } else {
            WithdrawalState::Requested
        };
        self.custody
            .withdrawals
            .push(id.0, WithdrawalRecord { id, user, asset, amount, to, requested_ns: now, state, held, payments: 0 });
        self.custody.requested.push(asset, &policy, user, amount, id, now);
        Ok(Ack::Withdrawal(id))
    }

    pub(super) fn review_withdrawal(&mut self, id: WithdrawalId, approve: bool) -> Result<Ack, Reject> {
        let w = self.custody.withdrawal_kept(id)?;
        if w.state != WithdrawalState::AwaitingReview {
            return Err(Reject::AlreadyDone);
        }
        if approve {
            self.custody.withdrawals.get_mut(id.0).state = WithdrawalState::Approved;
            return Ok(Ack::Posted);
        }
        if w.held {
            let postings = [
                Posting { account: Account::PendingWithdrawal(w.user), asset: w.asset, delta: -w.amount },
                Posting { account: Account::Available(w.user), asset: w.asset, delta: w.amount },
            ];
            let cause = self.cause(CauseKind::WithdrawalRefunded);
            self.commit_checked(cause, &postings)?;
        }
        let record = self.custody.withdrawals.get_mut(id.0);
        record.state = WithdrawalState::Refunded;
        record.held = false;
        self.custody.requested.remove(w.asset, id);
        self.custody.withdrawal_finished(id);
        Ok(Ack::Posted)
    }

    pub(super) fn process_withdrawal(&mut self, id: WithdrawalId) -> Result<Ack, Reject> {
        let w = self.custody.withdrawal_kept(id)?;
        match w.state {
            WithdrawalState::Requested | WithdrawalState::Approved => {}
            WithdrawalState::AwaitingReview => return Err(Reject::PendingReview),
            WithdrawalState::Sent { .. } | WithdrawalState::Settled { .. } | WithdrawalState::Refunded => {
                return Err(Reject::AlreadyDone)
            }
        }
        if self.faults.has(Fault::LimitsInHotPath) {
            // The hot-wallet signer's own check: it sees only what has settled.
            let policy = self.custody.policy.asset(usize::from(w.asset.0));
            self.custody.settled.check(w.asset, &policy, w.user, w.amount, self.now_ns)?;
        }
        let (payment, txid) = self.custody.next_payment()?;
        if !w.held {
            // withdraw_check_race: the debit the request did not take, now, unchecked.
            let postings = [
                Posting { account: Account::Available(w.user), asset: w.asset, delta: -w.amount },
                Posting { account: Account::PendingWithdrawal(w.user), asset: w.asset, delta: w.amount },
            ];
            let cause = self.cause(CauseKind::WithdrawalSent);
            self.ledger.commit_unchecked(cause, &postings).map_err(|_| Reject::Overflow)?;
        }
        self.custody.withdrawals.get_mut(id.0).held = true;
        self.send(id, payment, txid);
        Ok(Ack::Posted)
    }

    /// Sends withdrawal `id`: takes `payment` and `txid`, records them and emits the payment.
    fn send(&mut self, id: WithdrawalId, payment: Payment, txid: TxId) {
        assert_eq!(self.custody.next_payment(), Ok((payment, txid)), "payments are taken in order");
        self.custody.last_payment = payment.0;
        let record = self.custody.withdrawals.get_mut(id.0);
        assert!(record.held, "a withdrawal is sent only once its amount is held");
        record.state = WithdrawalState::Sent { txid, payment };
        record.payments += 1;
        let w = *record;
        assert!(
            w.payments == 1 || self.faults.has(Fault::TxidReconcile),
            "withdrawal_paid_once: {:?} sent twice",
            w.id
        );
        self.custody.payments.insert(payment, w.id);
        self.custody.txids.insert(txid, w.id);
        self.intents.push(Intent::Pay { withdrawal: w.id, asset: w.asset, to: w.to, amount: w.amount, txid, payment });
    }

    pub(super) fn payment_confirmed(&mut self, asset: AssetId, txid: TxId, payment: Payment) -> Result<Ack, Reject> {
        let by_txid = self.faults.has(Fault::TxidReconcile);
        let (found, n) = if by_txid {
            (self.custody.txids.get(&txid), txid.0)
        } else {
            (self.custody.payments.get(&payment), payment.0)
        };
        let id = match found {
            Some(&id) => id,
            // Emitted, and its withdrawal (settled) forgotten: see the module docs of `custody`.
            None if self.custody.emitted(n) => return Err(Reject::AlreadyDone),
            None => return Err(Reject::UnknownPayment),
        };
        let w = self.custody.withdrawal_kept(id).expect("a mapped payment's withdrawal is kept");
        if w.asset != asset {
            return Err(Reject::UnknownPayment);
        }
        match w.state {
            WithdrawalState::Sent { payment: sent, .. } => {
                assert!(by_txid || sent == payment, "a correct exchange sends each withdrawal's payment once");
            }
            WithdrawalState::Settled { .. } => return Err(Reject::AlreadyDone),
            // Only a sent withdrawal has a payment or a transaction id.
            WithdrawalState::Requested
            | WithdrawalState::AwaitingReview
            | WithdrawalState::Approved
            | WithdrawalState::Refunded => return Err(Reject::UnknownPayment),
        }
        assert!(w.held, "a sent withdrawal's amount is held");
        let postings = [
            Posting { account: Account::PendingWithdrawal(w.user), asset, delta: -w.amount },
            Posting { account: Account::World, asset, delta: w.amount },
        ];
        let cause = self.cause(CauseKind::WithdrawalSettled);
        self.commit_checked(cause, &postings)?;
        let record = self.custody.withdrawals.get_mut(id.0);
        record.state = WithdrawalState::Settled { txid, payment };
        record.held = false;
        if self.faults.has(Fault::LimitsInHotPath) {
            let policy = self.custody.policy.asset(usize::from(asset.0));
            self.custody.settled.push(asset, &policy, w.user, w.amount, id, self.now_ns);
        }
        self.custody.withdrawal_finished(id);
        Ok(Ack::Posted)
    }

    pub(super) fn claim_not_received(&mut self, user: UserId, id: WithdrawalId) -> Result<Ack, Reject> {
        self.check_user(user)?;
        // A forgotten withdrawal finished: `already_done`, whoever asks (see the module docs).
        let w = self.custody.withdrawal_kept(id)?;
        if w.user != user {
            return Err(Reject::NotOwner);
        }
        match w.state {
            WithdrawalState::AwaitingReview => Err(Reject::PendingReview),
            WithdrawalState::Sent { .. } if self.faults.has(Fault::TxidReconcile) => {
                // txid_reconcile: its txid never confirmed (a malleated copy did), so "it was
                // never paid": pay it again.
                let (payment, txid) = self.custody.next_payment()?;
                self.send(id, payment, txid);
                Ok(Ack::Posted)
            }
            _ => Err(Reject::AlreadyDone),
        }
    }

    /// Whether `user`'s withdrawals and transfers skip the funds check (`allow_negative` only).
    pub(super) fn exempt_from_funds_check(&self, user: UserId) -> bool {
        self.faults.has(Fault::AllowNegative) && self.custody.privileged.contains(&user)
    }

    /// Moves `amount` from `user`'s available to their pending outflow: checked, or unchecked
    /// when `exempt` (`allow_negative`).
    pub(super) fn hold(
        &mut self,
        user: UserId,
        asset: AssetId,
        amount: Minor,
        exempt: bool,
        kind: CauseKind,
    ) -> Result<(), Reject> {
        let postings = [
            Posting { account: Account::Available(user), asset, delta: -amount },
            Posting { account: Account::PendingWithdrawal(user), asset, delta: amount },
        ];
        let cause = self.cause(kind);
        if exempt {
            self.ledger.commit_unchecked(cause, &postings).map_err(|_| Reject::Overflow)
        } else {
            self.commit_checked(cause, &postings)
        }
    }
}
