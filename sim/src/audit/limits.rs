//! The limits checker: `withdrawal_limits` — the per-account daily limit and the aggregate outflow
//! cap of the custody policy held over every window.
//!
//! At each accepted withdrawal request (`Withdraw` answered `Ack::Withdrawal`) at time t, in its
//! asset: the account's accepted, not refunded requests with request time in (t − `DAY_NS`, t],
//! this one included, are at most `daily_limit`; and all accounts' in (t − `outflow_window_ns`, t]
//! at most `outflow_cap`. Checking at each request suffices: a window's sum only grows at a
//! request. Requests are counted from the commands and answers alone ([`Requests`]), and the
//! limits from the policy the auditor was given, never from the exchange's own bookkeeping.
//!
//! Cost and memory: per asset with a limit, a queue of the requests still inside the longer
//! window, with a running sum per account and in total: O(log n) per request, and pruning what
//! left the window.

use std::collections::{BTreeMap, VecDeque};

use super::checker::{Checker, Found};
use super::observation::Observation;
use super::requests::{Request, Requests, Step};
use crate::catalog::Invariant;
use crate::exchange::{AssetPolicy, CustodyPolicy, WithdrawalId, DAY_NS};
use crate::ledger::UserId;
use crate::units::Minor;

/// The requests of one asset inside a window of `span_ns`, with their sums.
#[derive(Clone, Debug)]
struct Window {
    span_ns: u64,
    queue: VecDeque<(WithdrawalId, Request)>,
    per_user: BTreeMap<UserId, Minor>,
    total: Minor,
}

impl Window {
    fn new(span_ns: u64) -> Window {
        Window { span_ns, queue: VecDeque::new(), per_user: BTreeMap::new(), total: 0 }
    }

    fn add(&mut self, user: UserId, delta: Minor) {
        self.total = self.total.saturating_add(delta);
        let sum = self.per_user.entry(user).or_insert(0);
        *sum = sum.saturating_add(delta);
        if *sum == 0 {
            self.per_user.remove(&user);
        }
    }

    /// Adds a request at time `r.at_ns` after dropping those no longer inside (t − span, t].
    fn push(&mut self, id: WithdrawalId, r: Request) {
        let start = r.at_ns.saturating_sub(self.span_ns);
        while let Some(&(_, old)) = self.queue.front() {
            if old.at_ns > start || r.at_ns < self.span_ns {
                break;
            }
            self.queue.pop_front();
            self.add(old.user, -old.amount);
        }
        self.queue.push_back((id, r));
        self.add(r.user, r.amount);
    }

    /// A refunded request stops counting.
    fn refund(&mut self, id: WithdrawalId) {
        if let Some(i) = self.queue.iter().position(|(w, _)| *w == id) {
            let (_, r) = self.queue.remove(i).expect("found");
            self.add(r.user, -r.amount);
        }
    }
}

/// One asset's limits and windows.
#[derive(Clone, Debug)]
struct Limits {
    policy: AssetPolicy,
    day: Window,
    outflow: Window,
}

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct WithdrawalLimits {
    requests: Requests,
    /// Per asset, `None` when it has neither a daily limit nor an outflow cap.
    assets: Vec<Option<Limits>>,
}

impl WithdrawalLimits {
    pub(super) fn new(policy: &CustodyPolicy, assets: usize) -> WithdrawalLimits {
        let assets = (0..assets)
            .map(|a| {
                let policy = policy.asset(a);
                (policy.daily_limit.is_some() || policy.outflow_cap.is_some()).then(|| Limits {
                    policy,
                    day: Window::new(DAY_NS),
                    outflow: Window::new(policy.outflow_window_ns),
                })
            })
            .collect();
        WithdrawalLimits { requests: Requests::default(), assets }
    }
}

impl Checker for WithdrawalLimits {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::WithdrawalLimits]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        match self.requests.follow(obs) {
            Some(Step::Requested(id, r)) => {
                let Some(Some(limits)) = self.assets.get_mut(usize::from(r.asset.0)) else { return };
                found.exercise(Invariant::WithdrawalLimits);
                limits.day.push(id, r);
                limits.outflow.push(id, r);
                let day = limits.day.per_user.get(&r.user).copied().unwrap_or(0);
                if let Some(limit) = limits.policy.daily_limit.filter(|l| day > *l) {
                    found.push((
                        Invariant::WithdrawalLimits,
                        format!(
                            "withdrawal {} of user {}: {day} of asset {} requested within a day, over the daily limit {limit}",
                            id.0, r.user.0, r.asset.0
                        ),
                    ));
                }
                let total = limits.outflow.total;
                if let Some(cap) = limits.policy.outflow_cap.filter(|c| total > *c) {
                    found.push((
                        Invariant::WithdrawalLimits,
                        format!(
                            "withdrawal {}: {total} of asset {} requested by all accounts within {} ns, over the outflow cap {cap}",
                            id.0, r.asset.0, limits.policy.outflow_window_ns
                        ),
                    ));
                }
            }
            Some(Step::Refunded(id, r)) => {
                if let Some(Some(limits)) = self.assets.get_mut(usize::from(r.asset.0)) {
                    limits.day.refund(id);
                    limits.outflow.refund(id);
                }
            }
            _ => {}
        }
    }

    fn retained(&self) -> usize {
        self.requests.retained()
            + self.assets.iter().flatten().map(|l| l.day.queue.len() + l.outflow.queue.len()).sum::<usize>()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
