//! Units: the integer quantities every other module speaks in.
//!
//! Prices are whole **ticks**, quantities whole **lots**, money whole **minor units** of an asset.
//! All are integers; arithmetic on them is checked and an overflow is an error value, never a wrap
//! or a panic. Decimals exist only at the edge ([`decimal`]), where a value that is not exactly
//! representable is rejected with a message saying what would be valid.
//!
//! Invariants kept here:
//! - a [`Price`] and a [`Qty`] are never zero once they reach the engine (constructors check);
//! - a [`Market`]'s tick × lot is a whole number of quote minor units, so every notional is exact;
//! - amounts stay within ±[`AMOUNT_MAX`] and prices within each market's [`Market::max_price`],
//!   so every amount and price the run forms also fits a `Decimal` when rendered.

pub mod asset;
pub mod decimal;
pub mod market;

pub use asset::{Asset, AssetId};
pub use market::{FeeSchedule, Market, MarketId, MarketSpec};

use std::fmt;

/// A limit price in whole ticks of its market. Never zero on a live order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Price(pub u64);

/// A quantity in whole lots of its market's base asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Qty(pub u64);

/// An amount of one asset in its minor units (satoshi, cent, wei, …): 128 bits, so an
/// 18-decimal asset holds real balances (TigerBeetle's amounts are 128-bit for the same reason).
///
/// Signed because ledger postings are signed deltas; balances of customer and exchange accounts
/// are never negative (the ledger refuses), only the outside-world account is.
pub type Minor = i128;

/// The largest amount of any one asset, in its minor units: 10^28 (10 billion ETH in wei; total
/// ETH supply is about 1.2 × 10^26 wei). Every balance, posting, notional and fee lies within
/// ±`AMOUNT_MAX`, because the ledger refuses a deposit that would take an asset's total past it
/// (so no balance can pass it either). It is below `Decimal`'s largest mantissa (2^96 − 1 ≈
/// 7.9 × 10^28), so every amount renders as an exact `Decimal`, and products of an amount with
/// a price in ticks or a fee in basis points stay far inside `i128`.
pub const AMOUNT_MAX: Minor = 10_000_000_000_000_000_000_000_000_000;

/// The highest price any market may have, in ticks (each market's own bound,
/// [`Market::max_price`], may be lower): signed 64-bit arithmetic on prices and offsets in ticks
/// cannot overflow below it.
pub const PRICE_MAX_TICKS: u64 = i64::MAX as u64;

/// Which side of the book an order is on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, arbitrary::Arbitrary, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A bid: wants to buy base, pays quote.
    Buy,
    /// An ask: wants to sell base, receives quote.
    Sell,
}

impl Side {
    /// The side an order of this side trades against.
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// Whether an order on this side with limit `limit` may trade at `price`.
    #[inline]
    pub fn accepts(self, limit: Price, price: Price) -> bool {
        match self {
            Side::Buy => price <= limit,
            Side::Sell => price >= limit,
        }
    }

    /// Stable one-word name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
