//! Breach metrics (SPEC §3 "Ground truth", §9 `breach`): what a run's attacks cost, measured from
//! what the simulator knows and the exchange never does — which actors are attackers, what left
//! custody on chain and to whom.
//!
//! Not invariants: a weak policy (a single-signature hot wallet, no outflow cap) is the exchange
//! doing what its configuration says, and these numbers are what that costs.
//! - **stolen**, per asset: the attackers' net take — what reached attacker-controlled addresses on
//!   chain (thefts, withdrawals of attacker accounts, a second payment of one withdrawal) minus what
//!   the attackers brought in (their accounts' funding and deposits), never below zero;
//! - **shortfall**, per asset, at the end: customer liabilities (the exchange's own books: every
//!   customer's balances) minus reserves (hot + cold on chain), never below zero;
//! - **first attack** and **detection**: the time of the first attacker action, and the time the
//!   exchange's reserves monitor raised its alarm (reserves below liabilities for a check, plus the
//!   monitor's alarm delay).
//!
//! Invariants: amounts are exact integers (checked arithmetic; a total past `i128` saturates, far
//! beyond `AMOUNT_MAX`); the metrics are a pure function of the run's events, so they are as
//! deterministic as the digest.

use crate::units::{AssetId, Minor};

/// The breach metrics of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Breach {
    /// Per asset: value that reached attackers on chain.
    taken: Vec<Minor>,
    /// Per asset: value attackers brought in (funding, deposits).
    brought: Vec<Minor>,
    /// Per asset, at the end: liabilities − reserves, if positive.
    shortfall: Vec<Minor>,
    /// When the first attacker acted.
    pub first_attack_ns: Option<u64>,
    /// Customers' accounts an attacker signed into or used a key of (each counted once).
    pub accounts_taken_over: u64,
    /// Personal records that reached someone not entitled to them (each counted once).
    pub records_exposed: u64,
    /// When the exchange's monitor raised its alarm.
    pub detected_ns: Option<u64>,
}

impl Breach {
    /// Empty metrics for `assets` assets.
    pub fn new(assets: usize) -> Breach {
        Breach { taken: vec![0; assets], brought: vec![0; assets], shortfall: vec![0; assets], ..Breach::default() }
    }

    /// An attacker acted at `now_ns` (the first one counts).
    pub fn attack(&mut self, now_ns: u64) {
        self.first_attack_ns.get_or_insert(now_ns);
    }

    /// The monitor alarmed at `now_ns` (the first alarm counts).
    pub fn detect(&mut self, now_ns: u64) {
        self.detected_ns.get_or_insert(now_ns);
    }

    /// `amount` of `asset` reached an attacker on chain.
    pub fn taken(&mut self, asset: AssetId, amount: Minor) {
        let t = &mut self.taken[usize::from(asset.0)];
        *t = t.saturating_add(amount);
    }

    /// An attacker brought `amount` of `asset` in.
    pub fn brought(&mut self, asset: AssetId, amount: Minor) {
        let b = &mut self.brought[usize::from(asset.0)];
        *b = b.saturating_add(amount);
    }

    /// Sets the end-of-run shortfall of `asset` from its liabilities and reserves.
    pub fn settle(&mut self, asset: AssetId, liabilities: Minor, reserves: Minor) {
        self.shortfall[usize::from(asset.0)] = liabilities.saturating_sub(reserves).max(0);
    }

    /// Per asset: the attackers' net take, never below zero.
    pub fn stolen(&self, asset: AssetId) -> Minor {
        let i = usize::from(asset.0);
        self.taken[i].saturating_sub(self.brought[i]).max(0)
    }

    /// Per asset: the end-of-run shortfall.
    pub fn shortfall(&self, asset: AssetId) -> Minor {
        self.shortfall[usize::from(asset.0)]
    }

    /// Number of assets measured.
    pub fn assets(&self) -> usize {
        self.taken.len()
    }

    /// Time from the first attack to detection, if both happened.
    pub fn detection_delay_ns(&self) -> Option<u64> {
        Some(self.detected_ns?.saturating_sub(self.first_attack_ns?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stolen_is_the_net_take_and_never_negative() {
        let mut b = Breach::new(2);
        b.brought(AssetId(0), 100);
        b.taken(AssetId(0), 30);
        assert_eq!(b.stolen(AssetId(0)), 0, "taking back less than was brought is no theft");
        b.taken(AssetId(0), 100);
        assert_eq!(b.stolen(AssetId(0)), 30);
        assert_eq!(b.stolen(AssetId(1)), 0);
    }

    #[test]
    fn shortfall_and_detection() {
        let mut b = Breach::new(1);
        b.settle(AssetId(0), 500, 800);
        assert_eq!(b.shortfall(AssetId(0)), 0);
        b.settle(AssetId(0), 800, 500);
        assert_eq!(b.shortfall(AssetId(0)), 300);
        assert_eq!(b.detection_delay_ns(), None);
        b.attack(10);
        b.attack(5);
        b.detect(40);
        b.detect(90);
        assert_eq!((b.first_attack_ns, b.detected_ns, b.detection_delay_ns()), (Some(10), Some(40), Some(30)));
    }
}
