//! What custody remembers of each withdrawal and transfer request: [`WithdrawalRecord`],
//! [`TransferRecord`] and their states, read by the exchange's accessors.
//!
//! Invariants:
//! - ids are dense from 1 in request order (`id n` is the `n`th request); custody keeps them in a
//!   [`Kept`]: the live ones and the last [`KEPT_FINISHED`] finished ones, so an id never issued
//!   and one forgotten are told apart by the last id issued;
//! - a withdrawal's state only moves forward: `Requested` (or `AwaitingReview` → `Approved` |
//!   `Refunded`) → `Sent` → `Settled`; a transfer's `Requested` → `Credited`. `Sent` may be
//!   re-entered with a new payment only under the `txid_reconcile` fault (a re-send);
//! - `held` says whether the amount sits in the user's `PendingWithdrawal` account; it is false
//!   only under the `withdraw_check_race` / `transfer_check_race` faults before the request is
//!   processed (those faults check at request and debit later).

use std::collections::{BTreeMap, VecDeque};

use crate::exchange::{Address, Payment, Reject, TransferId, TxId, WithdrawalId};
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

/// How many finished (terminal) requests of each kind custody keeps after they finish, for the
/// accessors and tests to read; older finished ones are forgotten (see [`Kept`]).
pub const KEPT_FINISHED: usize = 64;

/// What a lookup by id found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Found<R> {
    /// A record custody holds: live, or finished among the last [`KEPT_FINISHED`].
    Kept(R),
    /// An id issued whose request finished and was forgotten.
    Forgotten,
    /// An id never issued (0, or above the last issued).
    Unknown,
}

/// The requests of one kind by id: every live (non-terminal) one and the last [`KEPT_FINISHED`]
/// finished ones, in finishing order.
///
/// Invariants:
/// - ids are issued densely from 1 (`issued` is the last); an id in `1..=issued` absent from
///   `by_id` finished and was forgotten, so the state it answers from is its terminal one;
/// - `finished` lists, oldest first, the ids in `by_id` whose request is terminal, at most
///   [`KEPT_FINISHED`] of them; so `by_id.len() ≤ live + KEPT_FINISHED`: memory bounded by the live
///   requests, not by how many were ever made.
#[derive(Clone, Debug)]
pub(super) struct Kept<R> {
    by_id: BTreeMap<u64, R>,
    issued: u64,
    finished: VecDeque<u64>,
}

impl<R: Copy> Kept<R> {
    pub(super) fn new() -> Kept<R> {
        Kept { by_id: BTreeMap::new(), issued: 0, finished: VecDeque::new() }
    }

    /// The id the next request takes.
    pub(super) fn next_id(&self) -> Result<u64, Reject> {
        self.issued.checked_add(1).ok_or(Reject::Overflow)
    }

    /// Records request `id` (which must be [`Kept::next_id`]).
    pub(super) fn push(&mut self, id: u64, record: R) {
        assert_eq!(self.next_id(), Ok(id), "ids are issued densely from 1");
        self.issued = id;
        self.by_id.insert(id, record);
    }

    pub(super) fn find(&self, id: u64) -> Found<R> {
        match self.by_id.get(&id) {
            Some(r) => Found::Kept(*r),
            None if (1..=self.issued).contains(&id) => Found::Forgotten,
            None => Found::Unknown,
        }
    }

    pub(super) fn get(&self, id: u64) -> Option<&R> {
        self.by_id.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> &mut R {
        self.by_id.get_mut(&id).expect("a kept record")
    }

    /// Request `id` just became terminal: it is kept among the last finished; returns the record
    /// forgotten to make room, if one was.
    pub(super) fn finish(&mut self, id: u64) -> Option<R> {
        assert!(self.by_id.contains_key(&id), "only a kept request finishes");
        self.finished.push_back(id);
        if self.finished.len() <= KEPT_FINISHED {
            return None;
        }
        let old = self.finished.pop_front().expect("more than KEPT_FINISHED finished");
        Some(self.by_id.remove(&old).expect("a finished id is kept until forgotten"))
    }

    /// The kept records, in id order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &R> + '_ {
        self.by_id.values()
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }
}
