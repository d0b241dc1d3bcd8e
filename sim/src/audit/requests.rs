//! [`Requests`]: the withdrawals and transfers requested and not yet finished, as the auditor
//! follows them from the commands and the exchange's answers alone — a record (not a checker)
//! that each custody checker keeps its own copy of, so checkers stay independent.
//!
//! The steps it recognises ([`Step`]), from an accepted command:
//! - `Withdraw` answered [`Ack::Withdrawal`] → requested (a `Withdraw` answered `Ack::Posted` is
//!   the plain debit of an exchange without custody: not a request);
//! - `ReviewWithdrawal { approve: false }` → refunded;
//! - an [`Intent::Pay`] → the payment belongs to its withdrawal (a re-send adds another);
//! - `PaymentConfirmed` whose payment belongs to an open withdrawal → settled;
//! - `Transfer` answered [`Ack::Transfer`] → requested; `ProcessTransfer` → credited.
//!
//! Invariant: it holds only live state — open withdrawals, their payments, open transfers;
//! a withdrawal is forgotten (with its payments) once settled or refunded, a transfer once
//! credited.

use std::collections::{BTreeMap, BTreeSet};

use super::observation::Observation;
use crate::exchange::{Ack, Command, FundsCommand, Intent, Payment, TransferId, WithdrawalId};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// A request as accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Request {
    /// Whose funds (a transfer's sender).
    pub user: UserId,
    pub asset: AssetId,
    pub amount: Minor,
    /// When the exchange accepted it.
    pub at_ns: u64,
}

/// What one command did to the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Requested(WithdrawalId, Request),
    Refunded(WithdrawalId, Request),
    Settled(WithdrawalId, Request),
    TransferRequested(TransferId, Request),
    TransferCredited(TransferId, Request),
}

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct Requests {
    withdrawals: BTreeMap<WithdrawalId, Request>,
    transfers: BTreeMap<TransferId, Request>,
    /// Payment → its open withdrawal, and the same pairs by withdrawal.
    payments: BTreeMap<Payment, WithdrawalId>,
    by_withdrawal: BTreeSet<(WithdrawalId, Payment)>,
    /// How many withdrawals and transfers were ever requested.
    pub requested: u64,
}

impl Requests {
    /// Follows one observed command: the step it took, if any (a command takes at most one).
    pub(super) fn follow(&mut self, obs: &Observation<'_>) -> Option<Step> {
        let Ok(ack) = *obs.result else { return None };
        for intent in obs.intents {
            let Intent::Pay { withdrawal, payment, .. } = *intent else { continue };
            if self.withdrawals.contains_key(&withdrawal) {
                self.payments.insert(payment, withdrawal);
                self.by_withdrawal.insert((withdrawal, payment));
            }
        }
        let Command::Funds(command) = *obs.command else { return None };
        let at_ns = obs.now_ns;
        match (command, ack) {
            (FundsCommand::Withdraw { user, asset, amount, .. }, Ack::Withdrawal(id)) => {
                let r = Request { user, asset, amount, at_ns };
                self.withdrawals.insert(id, r);
                self.requested += 1;
                Some(Step::Requested(id, r))
            }
            (FundsCommand::ReviewWithdrawal { id, approve: false }, _) => self.close(id).map(|r| Step::Refunded(id, r)),
            (FundsCommand::PaymentConfirmed { payment, .. }, _) => {
                let id = *self.payments.get(&payment)?;
                self.close(id).map(|r| Step::Settled(id, r))
            }
            (FundsCommand::Transfer { from, asset, amount, .. }, Ack::Transfer(id)) => {
                let r = Request { user: from, asset, amount, at_ns };
                self.transfers.insert(id, r);
                self.requested += 1;
                Some(Step::TransferRequested(id, r))
            }
            (FundsCommand::ProcessTransfer { id }, _) => {
                self.transfers.remove(&id).map(|r| Step::TransferCredited(id, r))
            }
            _ => None,
        }
    }

    /// Forgets an open withdrawal and its payments.
    fn close(&mut self, id: WithdrawalId) -> Option<Request> {
        let r = self.withdrawals.remove(&id)?;
        let paid: Vec<(WithdrawalId, Payment)> =
            self.by_withdrawal.range((id, Payment(0))..=(id, Payment(u64::MAX))).copied().collect();
        for pair in paid {
            self.by_withdrawal.remove(&pair);
            self.payments.remove(&pair.1);
        }
        Some(r)
    }

    /// The open withdrawal `payment` pays, if any.
    pub(super) fn by_payment(&self, payment: Payment) -> Option<(WithdrawalId, Request)> {
        let id = *self.payments.get(&payment)?;
        self.withdrawals.get(&id).map(|r| (id, *r))
    }

    /// The first open withdrawal, if any.
    pub(super) fn first_withdrawal(&self) -> Option<(WithdrawalId, Request)> {
        self.withdrawals.first_key_value().map(|(id, r)| (*id, *r))
    }

    /// The first open transfer, if any.
    pub(super) fn first_transfer(&self) -> Option<(TransferId, Request)> {
        self.transfers.first_key_value().map(|(id, r)| (*id, *r))
    }

    /// How many records it holds.
    pub(super) fn retained(&self) -> usize {
        self.withdrawals.len() + self.transfers.len() + self.payments.len()
    }
}
