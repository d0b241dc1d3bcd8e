//! The payments checker: `withdrawal_paid_once` — each withdrawal request is paid on chain at
//! most once.
//!
//! It learns which payments belong to which withdrawal from the exchange's [`Intent::Pay`]s (a
//! re-send after a "not received" claim is a second payment of the same withdrawal), and what the
//! chain paid from its facts ([`ChainFact::Confirmed`]; a `Dropped` payment will never be paid).
//! Two confirmed payments of one withdrawal are a violation. The chain spends each payment once,
//! so a malleated copy confirming under a new id is still one payment.
//!
//! Memory: a withdrawal's record lives while it is open in the ledger or has a payment not yet
//! confirmed or dropped; then only its id is kept, in an [`IdSet`] (a floor plus compacted ranges
//! above it: bounded by the withdrawals still open), with whether it had been paid. The unpaid
//! (refunded at review) are sparse among the ids, so that set holds one range per refund: it grows
//! with refusals, not with requests.

use std::collections::BTreeMap;

use super::checker::{Checker, Found};
use super::id_set::IdSet;
use super::observation::Observation;
use super::requests::{Requests, Step};
use crate::catalog::Invariant;
use crate::chain::ChainFact;
use crate::exchange::{Intent, Payment, WithdrawalId};

/// What it knows of one withdrawal's payments.
#[derive(Clone, Copy, Debug, Default)]
struct Paid {
    /// Confirmed on chain.
    paid: u32,
    /// Emitted, not yet confirmed nor dropped.
    outstanding: u32,
    /// Settled or refunded in the ledger.
    closed: bool,
}

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct PaidOnce {
    requests: Requests,
    payments: BTreeMap<Payment, WithdrawalId>,
    withdrawals: BTreeMap<WithdrawalId, Paid>,
    forgotten: IdSet,
    /// Of the forgotten, those never paid.
    forgotten_unpaid: IdSet,
}

impl PaidOnce {
    fn record(&mut self, id: WithdrawalId) -> &mut Paid {
        let (forgotten, unpaid) = (self.forgotten.contains(id.0), self.forgotten_unpaid.contains(id.0));
        self.withdrawals.entry(id).or_insert_with(|| {
            if forgotten {
                Paid { paid: u32::from(!unpaid), outstanding: 0, closed: true }
            } else {
                Paid::default()
            }
        })
    }

    /// Forgets `id` when nothing more can happen to it but a payment the exchange has not emitted.
    fn maybe_forget(&mut self, id: WithdrawalId) {
        let Some(p) = self.withdrawals.get(&id).copied() else { return };
        if p.closed && p.outstanding == 0 {
            self.withdrawals.remove(&id);
            self.forgotten.insert(id.0);
            if p.paid == 0 {
                self.forgotten_unpaid.insert(id.0);
            }
        }
    }
}

impl Checker for PaidOnce {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::WithdrawalPaidOnce]
    }

    fn observe(&mut self, obs: &Observation<'_>, _found: &mut Found) {
        if obs.result.is_err() {
            return;
        }
        for intent in obs.intents {
            let Intent::Pay { withdrawal, payment, .. } = *intent else { continue };
            if self.payments.insert(payment, withdrawal).is_none() {
                self.record(withdrawal).outstanding += 1;
            }
        }
        if let Some(Step::Settled(id, _) | Step::Refunded(id, _)) = self.requests.follow(obs) {
            self.record(id).closed = true;
            self.maybe_forget(id);
        }
    }

    fn observe_chain(&mut self, fact: &ChainFact, found: &mut Found) {
        let (tx, confirmed) = match *fact {
            ChainFact::Confirmed { tx, .. } => (tx, true),
            ChainFact::Dropped { tx, .. } => (tx, false),
            _ => return,
        };
        let Some(id) = self.payments.remove(&tx.payment) else { return };
        let record = self.record(id);
        record.outstanding = record.outstanding.saturating_sub(1);
        if confirmed {
            found.exercise(Invariant::WithdrawalPaidOnce);
            record.paid += 1;
            if record.paid > 1 {
                let paid = record.paid;
                found.push((
                    Invariant::WithdrawalPaidOnce,
                    format!(
                        "withdrawal {} paid {paid} times on chain: payment {} confirmed under tx {} (asset {}, {})",
                        id.0, tx.payment.0, tx.txid.0, tx.asset.0, tx.amount
                    ),
                ));
            }
        }
        self.maybe_forget(id);
    }

    fn retained(&self) -> usize {
        self.requests.retained()
            + self.payments.len()
            + self.withdrawals.len()
            + self.forgotten.retained()
            + self.forgotten_unpaid.retained()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
