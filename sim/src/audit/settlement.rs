//! The settlement checker: `eventual_settlement` — after healing, every withdrawal requested is
//! settled or refunded and every transfer requested is credited.
//!
//! It follows the requests from the commands and answers alone ([`Requests`]); the check runs only
//! when the kernel says healing is over ([`super::Auditor::check_settled`]), and reports the first
//! request still open (the lowest id, withdrawals first). Orders need no check here: after every
//! command each order is terminal or resting (the book checkers hold the engine to it). With no
//! request ever made, it is not exercised.

use super::checker::{Checker, Found};
use super::observation::Observation;
use super::requests::Requests;
use crate::catalog::Invariant;

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct Settlement {
    requests: Requests,
}

impl Checker for Settlement {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::EventualSettlement]
    }

    fn observe(&mut self, obs: &Observation<'_>, _found: &mut Found) {
        self.requests.follow(obs);
    }

    fn healed(&mut self, found: &mut Found) {
        if self.requests.requested == 0 {
            return;
        }
        found.exercise(Invariant::EventualSettlement);
        if let Some((id, r)) = self.requests.first_withdrawal() {
            found.push((
                Invariant::EventualSettlement,
                format!(
                    "withdrawal {} of user {} ({} of asset {}, requested at {} ns) is neither settled nor refunded",
                    id.0, r.user.0, r.amount, r.asset.0, r.at_ns
                ),
            ));
        } else if let Some((id, r)) = self.requests.first_transfer() {
            found.push((
                Invariant::EventualSettlement,
                format!(
                    "transfer {} from user {} ({} of asset {}, requested at {} ns) was never credited",
                    id.0, r.user.0, r.amount, r.asset.0, r.at_ns
                ),
            ));
        }
    }

    fn retained(&self) -> usize {
        self.requests.retained()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
