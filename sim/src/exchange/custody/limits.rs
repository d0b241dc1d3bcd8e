//! The withdrawal limit windows (SPEC §6): the per-account daily limit and the aggregate outflow
//! cap, as sliding windows over time-stamped outflows per asset.
//!
//! Invariants:
//! - an outflow counts in a window of length `w` at time `now` iff it happened in `(now − w, now]`;
//! - the limits hold over every window: a request is refused if what its account (daily limit) or
//!   every account (outflow cap) requested in the window, refunded requests excluded, plus its
//!   amount would pass the limit;
//! - memory is bounded by the window, not the run: each push first drops the outflows older than
//!   the longest window (a day or the asset's outflow window), which can never count again.
//!   Sums saturate (a saturated sum is over any limit).

use std::collections::VecDeque;

use crate::exchange::policy::{AssetPolicy, DAY_NS};
use crate::exchange::{Reject, WithdrawalId};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// One outflow in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outflow {
    at_ns: u64,
    user: UserId,
    amount: Minor,
    id: WithdrawalId,
}

/// Time-ordered outflows per asset.
#[derive(Clone, Debug, Default)]
pub(super) struct Window {
    per_asset: Vec<VecDeque<Outflow>>,
}

/// Whether an outflow at `at_ns` is inside the window of `len_ns` ending at `now_ns`.
fn inside(at_ns: u64, now_ns: u64, len_ns: u64) -> bool {
    at_ns.saturating_add(len_ns) > now_ns
}

impl Window {
    pub(super) fn new(assets: usize) -> Window {
        Window { per_asset: vec![VecDeque::new(); assets] }
    }

    /// Checks that `amount` more for `user` keeps `asset` within `policy`'s daily limit and
    /// outflow cap at `now_ns`.
    pub(super) fn check(
        &self,
        asset: AssetId,
        policy: &AssetPolicy,
        user: UserId,
        amount: Minor,
        now_ns: u64,
    ) -> Result<(), Reject> {
        let Some(q) = self.per_asset.get(usize::from(asset.0)) else { return Ok(()) };
        let sum = |len_ns: u64, only: Option<UserId>| {
            q.iter()
                .filter(|o| inside(o.at_ns, now_ns, len_ns) && only.is_none_or(|u| u == o.user))
                .fold(amount, |s, o| s.saturating_add(o.amount))
        };
        if policy.daily_limit.is_some_and(|limit| sum(DAY_NS, Some(user)) > limit) {
            return Err(Reject::DailyLimit);
        }
        if policy.outflow_cap.is_some_and(|cap| sum(policy.outflow_window_ns, None) > cap) {
            return Err(Reject::OutflowCap);
        }
        Ok(())
    }

    /// Records an outflow at `now_ns` (times never go backwards), first dropping the ones no
    /// window of `policy` can count any more.
    pub(super) fn push(
        &mut self,
        asset: AssetId,
        policy: &AssetPolicy,
        user: UserId,
        amount: Minor,
        id: WithdrawalId,
        now_ns: u64,
    ) {
        let Some(q) = self.per_asset.get_mut(usize::from(asset.0)) else { return };
        let keep = DAY_NS.max(policy.outflow_window_ns);
        while q.front().is_some_and(|o| !inside(o.at_ns, now_ns, keep)) {
            q.pop_front();
        }
        assert!(q.back().is_none_or(|o| o.at_ns <= now_ns), "outflows are pushed in time order");
        q.push_back(Outflow { at_ns: now_ns, user, amount, id });
    }

    /// Forgets withdrawal `id`'s outflow (a refunded request no longer counts).
    pub(super) fn remove(&mut self, asset: AssetId, id: WithdrawalId) {
        if let Some(q) = self.per_asset.get_mut(usize::from(asset.0)) {
            q.retain(|o| o.id != id);
        }
    }

    /// Outflows held in all windows (for memory bounds in tests).
    pub(super) fn len(&self) -> usize {
        self.per_asset.iter().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_open_and_pruned() {
        let policy = AssetPolicy { daily_limit: Some(10), ..AssetPolicy::default() };
        let (a, u, v) = (AssetId(0), UserId(1), UserId(2));
        let mut w = Window::new(1);
        w.push(a, &policy, u, 6, WithdrawalId(1), 100);
        assert_eq!(w.check(a, &policy, u, 4, 100), Ok(()));
        assert_eq!(w.check(a, &policy, u, 5, 100 + DAY_NS - 1), Err(Reject::DailyLimit));
        // Another user's outflow does not count against the daily limit.
        assert_eq!(w.check(a, &policy, v, 10, 100), Ok(()));
        // At exactly a day later the first outflow left the window.
        assert_eq!(w.check(a, &policy, u, 10, 100 + DAY_NS), Ok(()));
        w.push(a, &policy, u, 1, WithdrawalId(2), 100 + DAY_NS);
        assert_eq!(w.len(), 1, "the outflow older than every window was dropped");
        w.remove(a, WithdrawalId(2));
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn outflow_cap_counts_every_account_over_its_window() {
        let policy = AssetPolicy { outflow_cap: Some(10), outflow_window_ns: 50, ..AssetPolicy::default() };
        let a = AssetId(0);
        let mut w = Window::new(1);
        w.push(a, &policy, UserId(1), 6, WithdrawalId(1), 0);
        assert_eq!(w.check(a, &policy, UserId(2), 5, 49), Err(Reject::OutflowCap));
        assert_eq!(w.check(a, &policy, UserId(2), 4, 49), Ok(()));
        assert_eq!(w.check(a, &policy, UserId(2), 10, 50), Ok(()));
    }
}
