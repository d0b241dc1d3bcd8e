//! Custody and trading policy (SPEC §6): the security-relevant settings of money movement and of
//! trading, each with a default, as the exchange enforces them.
//!
//! A policy is not a fault: a weak policy is the exchange doing exactly what its configuration
//! says, and what it costs is measured as a breach (value stolen, shortfall), never reported as an
//! invariant violation. `withdrawal_limits` checks that the limits configured here held.
//!
//! The wallet settings (`hot_share_bps`, `hot_multisig`) are carried out by the simulator's
//! custody (sweeps, signing on chain), not by the pure exchange; they live here so a scenario sets
//! every policy in one place.
//!
//! The trading policy ([`TradingPolicy`]): the circuit breaker on price moves (a price band around
//! a reference price and a halt when a trade reaches its edge, `trading/breaker.rs`) and the freeze
//! on a monitor's alarm (`RaiseAlert`). The breaker is off by default, a deliberate choice: an
//! exchange without one is what every incident replayed so far ran, and turning it on changes
//! every run with a large price move; the freeze is on by default and acts only once an alarm is
//! raised.

use crate::units::Minor;

/// Nanoseconds in a day: the window of the per-account daily limit.
pub const DAY_NS: u64 = 86_400_000_000_000;

/// One asset's custody policy, in that asset's minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssetPolicy {
    /// Confirmations a deposit needs before it is credited.
    pub confirmations: u32,
    /// Per-account withdrawals requested in any [`DAY_NS`] window; `None` for no limit.
    pub daily_limit: Option<Minor>,
    /// Aggregate outflow (all accounts' withdrawals requested) per `outflow_window_ns`; `None`
    /// for no cap.
    pub outflow_cap: Option<Minor>,
    /// The window of `outflow_cap`.
    pub outflow_window_ns: u64,
    /// A withdrawal above this amount waits for a manual review; `None` for no review.
    pub review_above: Option<Minor>,
    /// The share of custody the hot wallet targets, in basis points (the rest is cold).
    pub hot_share_bps: u32,
}

impl Default for AssetPolicy {
    fn default() -> AssetPolicy {
        AssetPolicy {
            confirmations: 1,
            daily_limit: None,
            outflow_cap: None,
            outflow_window_ns: DAY_NS,
            review_above: None,
            hot_share_bps: 10_000,
        }
    }
}

/// The custody policy: per asset, and exchange-wide.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustodyPolicy {
    /// Indexed by asset; an asset without an entry has [`AssetPolicy::default`].
    pub assets: Vec<AssetPolicy>,
    /// Withdrawals only to whitelisted addresses (a customer's own address always is).
    pub whitelist: bool,
    /// How long a newly whitelisted address waits before it may be used.
    pub whitelist_delay_ns: u64,
    /// Whether a hot-wallet payment needs two signatures (a thief with one key cannot sign).
    pub hot_multisig: bool,
}

impl CustodyPolicy {
    /// The policy of `asset` (index).
    pub fn asset(&self, asset: usize) -> AssetPolicy {
        self.assets.get(asset).copied().unwrap_or_default()
    }
}

/// The circuit breaker on price moves (SPEC §6), per market: a band of ±`band_bps` around a
/// reference price; a trade that reaches an edge halts the market for `halt_ns`
/// (see `trading/breaker.rs` for exactly what happens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CircuitBreaker {
    /// Half the band's width, in basis points of the reference price: 1..=10 000.
    pub band_bps: u32,
    /// How long a market stays halted once a trade reached the band's edge.
    pub halt_ns: u64,
}

/// The trading policy: the circuit breaker and the freeze on alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TradingPolicy {
    /// The circuit breaker; `None` (the default) for none.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Whether a monitor's alarm (`RaiseAlert`) freezes client trading and withdrawals.
    pub freeze_on_alert: bool,
}

impl Default for TradingPolicy {
    fn default() -> TradingPolicy {
        TradingPolicy { circuit_breaker: None, freeze_on_alert: true }
    }
}
