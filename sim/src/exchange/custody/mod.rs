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
//! - memory (SPEC §13): bounded by the live requests, not by how many were ever made. Withdrawals
//!   and transfers are held in a [`records::Kept`]: every live (non-terminal) request plus the last
//!   [`KEPT_FINISHED`] finished ones (settled or refunded; credited); older finished ones are
//!   forgotten with their `payments` / `txids` entries. A command about a forgotten request answers
//!   from its terminal state, as it did when the record was kept: `ReviewWithdrawal`,
//!   `ProcessWithdrawal`, `ProcessTransfer` and `ClaimNotReceived` → `already_done` (a claim on a
//!   forgotten withdrawal skips the owner check: whoever asks, it changes nothing); an id never
//!   issued (0, or above the last) stays `unknown_withdrawal`. A `PaymentConfirmed` whose payment
//!   (or, under `txid_reconcile`, transaction id) is in `1..=last_payment` but in no map paid a
//!   forgotten withdrawal — payments are numbered from 1 in order and every one emitted is mapped
//!   until its withdrawal is forgotten, and a forgotten withdrawal is settled (a refunded one never
//!   had a payment) — so it answers `already_done` and credits nothing (the asset is not
//!   compared then: the chain reports each payment under its own asset). The limit windows hold
//!   only what a window can still count. `deposits_credited` still grows with every confirmed
//!   deposit: see `deposits.rs` for why;
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

use records::{Found, Kept};
pub use records::{TransferRecord, TransferState, WithdrawalRecord, WithdrawalState, KEPT_FINISHED};

use super::{Ack, Address, CustodyPolicy, Exchange, FundsCommand, Payment, Reject, TransferId, TxId, WithdrawalId};
use crate::engine::MatchingEngine;
use crate::ledger::UserId;
use crate::units::AssetId;

/// Custody's state. See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Custody {
    policy: CustodyPolicy,
    /// The live withdrawals and the last finished ones, by id.
    withdrawals: Kept<WithdrawalRecord>,
    /// The live transfers and the last credited ones, by id.
    transfers: Kept<TransferRecord>,
    /// Every payment the exchange emitted, to its withdrawal, while that withdrawal is kept.
    payments: BTreeMap<Payment, WithdrawalId>,
    /// Every transaction id the exchange gave a payment (payment `n` gets `TxId(n)`), to its
    /// withdrawal, while that withdrawal is kept (only the `txid_reconcile` fault reconciles by it).
    txids: BTreeMap<TxId, WithdrawalId>,
    /// The last payment number emitted (payments are numbered from 1).
    last_payment: u64,
    /// (user, address) → when it was whitelisted.
    whitelist: BTreeMap<(UserId, Address), u64>,
    /// Inbound payments already credited.
    deposits_credited: BTreeSet<(AssetId, Payment)>,
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
            withdrawals: Kept::new(),
            transfers: Kept::new(),
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

    /// Withdrawal `id` if kept; a forgotten one answers `already_done` (it finished), one never
    /// issued `unknown_withdrawal`.
    fn withdrawal_kept(&self, id: WithdrawalId) -> Result<WithdrawalRecord, Reject> {
        match self.withdrawals.find(id.0) {
            Found::Kept(w) => Ok(w),
            Found::Forgotten => Err(Reject::AlreadyDone),
            Found::Unknown => Err(Reject::UnknownWithdrawal),
        }
    }

    /// Transfer `id` if kept; as [`Custody::withdrawal_kept`].
    fn transfer_kept(&self, id: TransferId) -> Result<TransferRecord, Reject> {
        match self.transfers.find(id.0) {
            Found::Kept(t) => Ok(t),
            Found::Forgotten => Err(Reject::AlreadyDone),
            Found::Unknown => Err(Reject::UnknownWithdrawal),
        }
    }

    /// Withdrawal `id` just settled or was refunded: kept among the last finished; the one that
    /// leaves to make room is forgotten with its payments and transaction ids.
    fn withdrawal_finished(&mut self, id: WithdrawalId) {
        let Some(old) = self.withdrawals.finish(id.0) else { return };
        let single = match old.state {
            WithdrawalState::Settled { payment, .. } if old.payments == 1 => Some(payment),
            _ => None,
        };
        match single {
            // Its one payment `n`, given `TxId(n)`.
            Some(p) if self.payments.get(&p) == Some(&old.id) => {
                self.payments.remove(&p);
                let removed = self.txids.remove(&TxId(p.0));
                assert_eq!(removed, Some(old.id), "payment n has transaction id n");
            }
            // No payment, or several (`txid_reconcile` re-sent it): by search.
            _ if old.payments == 0 => {}
            _ => {
                self.payments.retain(|_, w| *w != old.id);
                self.txids.retain(|_, w| *w != old.id);
            }
        }
    }

    /// Whether `n` numbers a payment (and transaction id) the exchange emitted.
    fn emitted(&self, n: u64) -> bool {
        (1..=self.last_payment).contains(&n)
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
            FundsCommand::RaiseAlert => self.raise_alert(),
        }
    }

    /// The custody policy in force.
    pub fn custody_policy(&self) -> &CustodyPolicy {
        &self.custody.policy
    }

    /// A withdrawal request, while custody keeps it: every live one and the last
    /// [`KEPT_FINISHED`] finished ones; `None` for one forgotten or never issued.
    pub fn withdrawal(&self, id: WithdrawalId) -> Option<&WithdrawalRecord> {
        self.custody.withdrawals.get(id.0)
    }

    /// The withdrawal requests custody keeps (every live one, the last finished ones), in id order.
    pub fn withdrawals(&self) -> impl Iterator<Item = &WithdrawalRecord> + '_ {
        self.custody.withdrawals.iter()
    }

    /// The withdrawal a payment the exchange emitted pays, while custody keeps it.
    pub fn withdrawal_paid_by(&self, payment: Payment) -> Option<&WithdrawalRecord> {
        self.custody.payments.get(&payment).and_then(|&id| self.withdrawal(id))
    }

    /// A transfer request, while custody keeps it (as [`Exchange::withdrawal`]).
    pub fn transfer(&self, id: TransferId) -> Option<&TransferRecord> {
        self.custody.transfers.get(id.0)
    }

    /// The transfer requests custody keeps (every live one, the last credited ones), in id order.
    pub fn transfers(&self) -> impl Iterator<Item = &TransferRecord> + '_ {
        self.custody.transfers.iter()
    }

    /// Records custody holds for its requests: withdrawals and transfers kept, and their payments'
    /// and transaction ids' entries (bounded by the live requests, not the run).
    pub fn custody_records(&self) -> usize {
        let c = &self.custody;
        c.withdrawals.len() + c.transfers.len() + c.payments.len() + c.txids.len()
    }

    /// Inbound payments remembered as credited (one per confirmed deposit: see `deposits.rs`).
    pub fn credited_deposits(&self) -> usize {
        self.custody.deposits_credited.len()
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
