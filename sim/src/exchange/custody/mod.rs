//! The custody sub-machine (SPEC §2.5, §6): deposits, withdrawals, user-to-user transfers, the
//! withdrawal policy (whitelist, daily limit, outflow cap, manual review) and account privileges.
//! Pure like the rest of the exchange: the chain, the workers and the operators are outside it
//! and reach it as system commands ([`FundsCommand`]); what it asks of the chain it emits as an
//! [`Intent::Pay`](crate::exchange::Intent::Pay).
//!
//! Files: `deposits.rs` (Deposit, DepositSeen), `withdrawals.rs` (Withdraw → ReviewWithdrawal →
//! ProcessWithdrawal → PaymentConfirmed; ClaimNotReceived), `transfers.rs` (Transfer →
//! ProcessTransfer), `admin.rs` (WhitelistAddress, AdminAdjust, GrantPrivilege), `limits.rs` (the
//! limit windows), `records.rs` (what is remembered of each request).
//!
//! Invariants kept here (with every fault off):
//! - a rejected command changes nothing: every check runs before the ledger or any record is
//!   touched, and each command's ledger effect is one entry;
//! - `conservation` / `no_negative_balance`: a withdrawal or transfer moves its amount from the
//!   user's `Available` to their `PendingWithdrawal` (checked: never below zero) at request;
//!   that hold leaves to the world exactly once, when its payment confirms, or returns to
//!   `Available` on a refusal at review; a transfer's hold goes to the recipient once;
//! - `withdrawal_paid_once`: each withdrawal is sent at most once ([`Intent::Pay`] once, a fresh
//!   [`Payment`] each), and settles at most once, found by its payment, never by its (malleable)
//!   transaction id; a "not received" claim never re-sends;
//! - `withdrawal_authorized` / `withdrawal_limits`: a withdrawal is accepted only to a
//!   whitelisted address (when the policy has a whitelist, after its delay), within the daily
//!   limit and the outflow cap over every window, and one above the review threshold is not sent
//!   before an operator approves it; a privileged account is exempt from nothing;
//! - a deposit seen on chain is credited once per payment, and only after its asset's
//!   confirmations;
//! - memory: records are kept (the accessors read them), the limit windows hold only what a window
//!   can still count.
//!
//! Fault paths (SPEC §5; with each off the exchange behaves bit for bit as the correct one):
//! - `withdraw_check_race`, `transfer_check_race`: the request checks available funds but takes
//!   no hold; the worker's step debits later, unchecked, so concurrent requests overdraw;
//! - `txid_reconcile`: confirmations matched by transaction id; a claim re-sends an unconfirmed
//!   withdrawal (a second payment);
//! - `insider_balance_edit`: `AdminAdjust` edits a balance without a journal entry;
//! - `allow_negative`: a privileged account's withdrawals and transfers skip the funds check and
//!   commit unchecked;
//! - `limits_in_hot_path`: the limits are checked at send time by the hot-wallet signer, over
//!   settled withdrawals only.

mod admin;
mod deposits;
mod limits;
mod records;
mod transfers;
mod withdrawals;

use std::collections::{BTreeMap, BTreeSet};

pub use records::{TransferRecord, TransferState, WithdrawalRecord, WithdrawalState};

use super::{Ack, Address, CustodyPolicy, Exchange, FundsCommand, Payment, Reject, TransferId, TxId, WithdrawalId};
use crate::engine::MatchingEngine;
use crate::ledger::UserId;

/// Custody's state. See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Custody {
    policy: CustodyPolicy,
    /// Withdrawal `n` at index `n − 1`.
    withdrawals: Vec<WithdrawalRecord>,
    /// Transfer `n` at index `n − 1`.
    transfers: Vec<TransferRecord>,
    /// Every payment the exchange emitted, to its withdrawal.
    payments: BTreeMap<Payment, WithdrawalId>,
    /// Every transaction id the exchange gave a payment, to its withdrawal (only the
    /// `txid_reconcile` fault reconciles by it).
    txids: BTreeMap<TxId, WithdrawalId>,
    /// The last payment number emitted (payments are numbered from 1).
    last_payment: u64,
    /// (user, address) → when it was whitelisted.
    whitelist: BTreeMap<(UserId, Address), u64>,
    /// Inbound payments already credited.
    deposits_credited: BTreeSet<Payment>,
    /// Accounts marked privileged.
    privileged: BTreeSet<UserId>,
    /// Requested withdrawals, not refunded, in the limit windows.
    requested: limits::Window,
    /// Settled withdrawals in the limit windows (kept only under `limits_in_hot_path`).
    settled: limits::Window,
}

impl Custody {
    pub(super) fn new(policy: &CustodyPolicy, assets: usize) -> Custody {
        Custody {
            policy: policy.clone(),
            withdrawals: Vec::new(),
            transfers: Vec::new(),
            payments: BTreeMap::new(),
            txids: BTreeMap::new(),
            last_payment: 0,
            whitelist: BTreeMap::new(),
            deposits_credited: BTreeSet::new(),
            privileged: BTreeSet::new(),
            requested: limits::Window::new(assets),
            settled: limits::Window::new(assets),
        }
    }

    fn withdrawal_index(&self, id: WithdrawalId) -> Result<usize, Reject> {
        let i = id.0.checked_sub(1).and_then(|i| usize::try_from(i).ok()).ok_or(Reject::UnknownWithdrawal)?;
        if i < self.withdrawals.len() {
            Ok(i)
        } else {
            Err(Reject::UnknownWithdrawal)
        }
    }

    fn transfer_index(&self, id: TransferId) -> Result<usize, Reject> {
        let i = id.0.checked_sub(1).and_then(|i| usize::try_from(i).ok()).ok_or(Reject::UnknownWithdrawal)?;
        if i < self.transfers.len() {
            Ok(i)
        } else {
            Err(Reject::UnknownWithdrawal)
        }
    }

    /// The next payment number and its transaction id, without taking them.
    fn next_payment(&self) -> Result<(Payment, TxId), Reject> {
        // Both bounds are 2^63: a payment number is also a valid transaction id of the exchange's.
        const _: () = assert!(Payment::INBOUND == TxId::MALLEATED);
        let n = self.last_payment.checked_add(1).filter(|&n| n < Payment::INBOUND);
        n.map(|n| (Payment(n), TxId(n))).ok_or(Reject::Overflow)
    }
}

impl<E: MatchingEngine> Exchange<E> {
    /// The funds area's dispatch.
    pub(super) fn funds(&mut self, command: FundsCommand) -> Result<Ack, Reject> {
        match command {
            FundsCommand::Deposit { user, asset, amount } => self.deposit(user, asset, amount),
            FundsCommand::DepositSeen { user, asset, amount, payment, confirmations } => {
                self.deposit_seen(user, asset, amount, payment, confirmations)
            }
            FundsCommand::Withdraw { user, asset, amount, to } => self.withdraw(user, asset, amount, to),
            FundsCommand::ReviewWithdrawal { id, approve } => self.review_withdrawal(id, approve),
            FundsCommand::ProcessWithdrawal { id } => self.process_withdrawal(id),
            FundsCommand::PaymentConfirmed { asset, txid, payment } => self.payment_confirmed(asset, txid, payment),
            FundsCommand::ClaimNotReceived { user, id } => self.claim_not_received(user, id),
            FundsCommand::Transfer { from, to, asset, amount } => self.request_transfer(from, to, asset, amount),
            FundsCommand::ProcessTransfer { id } => self.process_transfer(id),
            FundsCommand::WhitelistAddress { user, address } => self.whitelist_address(user, address),
            FundsCommand::AdminAdjust { user, asset, delta } => self.admin_adjust(user, asset, delta),
            FundsCommand::GrantPrivilege { user } => self.grant_privilege(user),
        }
    }

    /// The custody policy in force.
    pub fn custody_policy(&self) -> &CustodyPolicy {
        &self.custody.policy
    }

    /// A withdrawal request.
    pub fn withdrawal(&self, id: WithdrawalId) -> Option<&WithdrawalRecord> {
        self.custody.withdrawal_index(id).ok().map(|i| &self.custody.withdrawals[i])
    }

    /// Every withdrawal request, in id order.
    pub fn withdrawals(&self) -> impl Iterator<Item = &WithdrawalRecord> + '_ {
        self.custody.withdrawals.iter()
    }

    /// The withdrawal a payment the exchange emitted pays.
    pub fn withdrawal_paid_by(&self, payment: Payment) -> Option<&WithdrawalRecord> {
        self.custody.payments.get(&payment).and_then(|&id| self.withdrawal(id))
    }

    /// A transfer request.
    pub fn transfer(&self, id: TransferId) -> Option<&TransferRecord> {
        self.custody.transfer_index(id).ok().map(|i| &self.custody.transfers[i])
    }

    /// Every transfer request, in id order.
    pub fn transfers(&self) -> impl Iterator<Item = &TransferRecord> + '_ {
        self.custody.transfers.iter()
    }

    /// When `address` was whitelisted for `user`, if it was.
    pub fn whitelisted_at(&self, user: UserId, address: Address) -> Option<u64> {
        self.custody.whitelist.get(&(user, address)).copied()
    }

    /// Whether `user` was marked privileged.
    pub fn is_privileged(&self, user: UserId) -> bool {
        self.custody.privileged.contains(&user)
    }

    /// Outflows the limit windows hold (bounded by the windows, not the run).
    pub fn limit_window_len(&self) -> usize {
        self.custody.requested.len() + self.custody.settled.len()
    }
}

#[cfg(test)]
mod tests;
