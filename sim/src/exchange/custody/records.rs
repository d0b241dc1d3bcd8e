//! What custody remembers of each withdrawal and transfer request: [`WithdrawalRecord`],
//! [`TransferRecord`] and their states, read by the exchange's accessors.
//!
//! Invariants:
//! - ids are dense from 1 in request order (`id n` is the `n`th record), so a record is found by
//!   index and iterated in id order without a map;
//! - a withdrawal's state only moves forward: `Requested` (or `AwaitingReview` → `Approved` |
//!   `Refunded`) → `Sent` → `Settled`; a transfer's `Requested` → `Credited`. `Sent` may be
//!   re-entered with a new payment only under the `txid_reconcile` fault (a re-send);
//! - `held` says whether the amount sits in the user's `PendingWithdrawal` account; it is false
//!   only under the `withdraw_check_race` / `transfer_check_race` faults before the request is
//!   processed (those faults check at request and debit later).

use crate::exchange::{Address, Payment, TransferId, TxId, WithdrawalId};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// Where a withdrawal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawalState {
    /// Checked and held; waits for the withdrawal worker.
    Requested,
    /// Above the policy's review threshold: waits for an operator.
    AwaitingReview,
    /// Approved at review; waits for the withdrawal worker.
    Approved,
    /// Paid from the hot wallet by transaction `txid` spending `payment`; not confirmed yet.
    Sent { txid: TxId, payment: Payment },
    /// The payment confirmed; the hold left to the world.
    Settled { txid: TxId, payment: Payment },
    /// Refused at review; the hold returned to available.
    Refunded,
}

/// One withdrawal request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WithdrawalRecord {
    pub id: WithdrawalId,
    pub user: UserId,
    pub asset: AssetId,
    pub amount: Minor,
    pub to: Address,
    /// When it was requested (the limit windows count it from then).
    pub requested_ns: u64,
    pub state: WithdrawalState,
    /// Whether its amount sits in the user's `PendingWithdrawal` (see the module docs).
    pub held: bool,
    /// How many payments the exchange emitted for it: at most 1 unless `txid_reconcile` re-sent it.
    pub payments: u32,
}

/// Where a transfer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferState {
    /// Debited to the sender's pending outflow; waits for the transfer worker.
    Requested,
    /// Credited to the recipient.
    Credited,
}

/// One user-to-user transfer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: TransferId,
    pub from: UserId,
    pub to: UserId,
    pub asset: AssetId,
    pub amount: Minor,
    pub requested_ns: u64,
    pub state: TransferState,
    /// Whether its amount sits in the sender's `PendingWithdrawal` (see the module docs).
    pub held: bool,
}
