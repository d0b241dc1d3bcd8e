//! The sweep policy: which sweep keeps the hot wallet near its target share of custody.
//!
//! Target: hot = (hot + cold) × `hot_share_bps` / 10000. Nothing is swept while the hot wallet is
//! within `band_bps` of custody around the target (so a sweep does not follow every block).
//! Above the band, the excess goes hot → cold at once (online keys). Below it, the shortfall must
//! come cold → hot, which is slow: the cold keys are offline, so **the kernel delays it** — on a
//! [`Wallet::Cold`] plan it schedules `Chain::sweep(Wallet::Cold, amount)` at now + its
//! cold-signing delay, and does not ask for another plan until that sweep is submitted (a plan is
//! `None` while a sweep waits in the mempool). A cold sweep submitted later than planned is still
//! safe: a wallet short of funds leaves it waiting.
//!
//! Invariant: a plan never moves more than the source wallet holds, and leaves custody's total
//! unchanged.

use super::tx::{Purpose, Wallet};
use super::wallets::{Chain, BPS};
use crate::units::Minor;

/// A sweep to submit: `amount` from wallet `from` to the other one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepPlan {
    pub from: Wallet,
    pub amount: Minor,
}

/// The sweep that brings `hot` to its target share of `hot + cold`, or `None` while it is
/// within `band_bps` of the total around it. See the module docs.
pub fn plan_sweep(hot: Minor, cold: Minor, hot_share_bps: u32, band_bps: u32) -> Option<SweepPlan> {
    assert!(hot >= 0 && cold >= 0 && hot_share_bps <= BPS, "wallets are not negative; a share is ≤ 10000 bps");
    let total = hot.checked_add(cold)?;
    let share = |bps: u32| total.checked_mul(Minor::from(bps)).map(|x| x / Minor::from(BPS));
    let (target, band) = (share(hot_share_bps)?, share(band_bps.min(BPS))?);
    if hot > target.saturating_add(band) {
        Some(SweepPlan { from: Wallet::Hot, amount: hot - target })
    } else if hot.saturating_add(band) < target {
        Some(SweepPlan { from: Wallet::Cold, amount: (target - hot).min(cold) }).filter(|p| p.amount > 0)
    } else {
        None
    }
}

impl Chain {
    /// [`plan_sweep`] for this chain's wallets and hot share; `None` while a sweep waits in the
    /// mempool.
    pub fn plan_sweep(&self, band_bps: u32) -> Option<SweepPlan> {
        if self.mempool().iter().any(|t| t.purpose == Purpose::Sweep) {
            return None;
        }
        plan_sweep(self.hot(), self.cold(), self.hot_share_bps(), band_bps)
    }
}
