//! Markets: a base and a quote asset, a tick size, a lot size and a fee schedule.
//!
//! Invariants kept at construction (a [`Market`] cannot exist otherwise):
//! - one lot is a whole, positive number of base minor units;
//! - tick × lot is a whole, positive number of quote minor units, so the notional of any
//!   (price, quantity) pair is an exact integer: `price_ticks × qty_lots × quote_minor_per_tick_lot`;
//! - fees are at most 10,000 basis points, so a fee never exceeds the amount it is taken from.

use rust_decimal::Decimal;

use super::decimal::{minor_unit, whole_steps, UnitError};
use super::{Asset, AssetId, Minor, Price, Qty};

/// Index of a market in an exchange's market table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MarketId(pub u16);

/// Maker and taker fees in basis points of notional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FeeSchedule {
    /// Fee charged to the resting side of a fill.
    pub maker_bps: u32,
    /// Fee charged to the aggressing side of a fill.
    pub taker_bps: u32,
}

/// A market as written at the edge: decimals, before validation.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketSpec {
    /// Asset bought and sold.
    pub base: AssetId,
    /// Asset prices are expressed in.
    pub quote: AssetId,
    /// Price increment, in quote per one whole base unit (e.g. 0.01 USD per BTC).
    pub tick_size: Decimal,
    /// Quantity increment, in whole base units (e.g. 0.0001 BTC).
    pub lot_size: Decimal,
    /// Fees.
    pub fees: FeeSchedule,
}

/// A validated market. See the module invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    base: AssetId,
    quote: AssetId,
    tick_size: Decimal,
    lot_size: Decimal,
    base_minor_per_lot: Minor,
    quote_minor_per_tick_lot: Minor,
    fees: FeeSchedule,
}

/// Basis points in one whole.
pub const BPS_ONE: u32 = 10_000;

impl Market {
    /// Validates a spec against its assets.
    pub fn new(spec: &MarketSpec, base: &Asset, quote: &Asset) -> Result<Market, UnitError> {
        if spec.base == spec.quote {
            return Err(UnitError::new(format!("market {base}/{quote}: base and quote must be different assets")));
        }
        if spec.tick_size <= Decimal::ZERO || spec.lot_size <= Decimal::ZERO {
            return Err(UnitError::new(format!(
                "market {base}/{quote}: tick size {} and lot size {} must both be positive",
                spec.tick_size, spec.lot_size
            )));
        }
        let base_minor_per_lot = whole_steps(spec.lot_size, minor_unit(base), "lot size", base.symbol())?;
        let tick_lot = spec
            .tick_size
            .checked_mul(spec.lot_size)
            .ok_or_else(|| UnitError::new(format!("market {base}/{quote}: tick × lot is too large")))?;
        let quote_minor_per_tick_lot = whole_steps(tick_lot, minor_unit(quote), "tick × lot", quote.symbol())
            .map_err(|_| {
                UnitError::new(format!(
                    "market {base}/{quote}: tick size {} × lot size {} = {} {} is not a whole number of {} minor units ({}); \
                     choose a larger tick or lot",
                    spec.tick_size,
                    spec.lot_size,
                    tick_lot.normalize(),
                    quote.symbol(),
                    quote.symbol(),
                    minor_unit(quote)
                ))
            })?;
        for (name, bps) in [("maker", spec.fees.maker_bps), ("taker", spec.fees.taker_bps)] {
            if bps > BPS_ONE {
                return Err(UnitError::new(format!(
                    "market {base}/{quote}: {name} fee {bps} bps exceeds {BPS_ONE} bps (100%)"
                )));
            }
        }
        let too_large = |what: &str| UnitError::new(format!("market {base}/{quote}: {what} is too large"));
        Ok(Market {
            base: spec.base,
            quote: spec.quote,
            tick_size: spec.tick_size,
            lot_size: spec.lot_size,
            base_minor_per_lot: Minor::try_from(base_minor_per_lot).map_err(|_| too_large("lot size"))?,
            quote_minor_per_tick_lot: Minor::try_from(quote_minor_per_tick_lot).map_err(|_| too_large("tick × lot"))?,
            fees: spec.fees,
        })
    }

    /// The base asset.
    pub fn base(&self) -> AssetId {
        self.base
    }

    /// The quote asset.
    pub fn quote(&self) -> AssetId {
        self.quote
    }

    /// The fee schedule.
    pub fn fees(&self) -> FeeSchedule {
        self.fees
    }

    /// Tick size as a decimal, for display.
    pub fn tick_size(&self) -> Decimal {
        self.tick_size
    }

    /// Lot size as a decimal, for display.
    pub fn lot_size(&self) -> Decimal {
        self.lot_size
    }

    /// Base minor units in `qty` lots, or `None` on overflow.
    #[inline]
    pub fn base_amount(&self, qty: Qty) -> Option<Minor> {
        Minor::try_from(qty.0).ok()?.checked_mul(self.base_minor_per_lot)
    }

    /// Quote minor units paid for `qty` lots at `price`, or `None` on overflow.
    #[inline]
    pub fn notional(&self, price: Price, qty: Qty) -> Option<Minor> {
        Minor::try_from(price.0)
            .ok()?
            .checked_mul(Minor::try_from(qty.0).ok()?)?
            .checked_mul(self.quote_minor_per_tick_lot)
    }

    /// Quote minor units per (tick × lot): the notional of price 1, quantity 1.
    pub fn quote_minor_per_tick_lot(&self) -> Minor {
        self.quote_minor_per_tick_lot
    }

    /// A price given as a decimal, in ticks; rejects zero and non-multiples of the tick.
    pub fn price_from_decimal(&self, value: Decimal) -> Result<Price, UnitError> {
        match whole_steps(value, self.tick_size, "price", "") {
            Ok(0) => Err(UnitError::new(format!("price {value} must be at least one tick ({})", self.tick_size))),
            Ok(t) => Ok(Price(t)),
            Err(e) => Err(e),
        }
    }

    /// A quantity given as a decimal, in lots; rejects zero and non-multiples of the lot.
    pub fn qty_from_decimal(&self, value: Decimal) -> Result<Qty, UnitError> {
        match whole_steps(value, self.lot_size, "quantity", "") {
            Ok(0) => Err(UnitError::new(format!("quantity {value} must be at least one lot ({})", self.lot_size))),
            Ok(l) => Ok(Qty(l)),
            Err(e) => Err(e),
        }
    }

    /// A price in ticks as a decimal.
    pub fn price_to_decimal(&self, price: Price) -> Decimal {
        (Decimal::from(price.0) * self.tick_size).normalize()
    }
}

/// `ceil(amount × bps / 10_000)`: a fee rounded up, in the exchange's favour.
///
/// Never exceeds `amount` because `bps ≤ 10_000` (a [`Market`] invariant).
#[inline]
pub fn fee_ceil(amount: Minor, bps: u32) -> Minor {
    debug_assert!(amount >= 0 && bps <= BPS_ONE);
    let product = i128::from(amount) * i128::from(bps);
    let fee = (product + i128::from(BPS_ONE) - 1) / i128::from(BPS_ONE);
    // fee ≤ amount because bps ≤ BPS_ONE, and amount fits in Minor.
    let fee = Minor::try_from(fee).expect("fee ≤ amount fits in Minor");
    assert!(fee <= amount, "fee {fee} exceeds the amount {amount} it is taken from");
    fee
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn assets() -> (Asset, Asset) {
        (Asset::new("BTC", 8).unwrap(), Asset::new("USD", 2).unwrap())
    }

    fn spec(tick: &str, lot: &str) -> MarketSpec {
        MarketSpec {
            base: AssetId(0),
            quote: AssetId(1),
            tick_size: d(tick),
            lot_size: d(lot),
            fees: FeeSchedule { maker_bps: 10, taker_bps: 20 },
        }
    }

    #[test]
    fn tick_times_lot_must_be_whole_quote_minor_units() {
        let (btc, usd) = assets();
        let m = Market::new(&spec("0.01", "1"), &btc, &usd).unwrap();
        assert_eq!(m.quote_minor_per_tick_lot(), 1);
        let m = Market::new(&spec("1", "0.01"), &btc, &usd).unwrap();
        assert_eq!(m.base_amount(Qty(3)), Some(3_000_000));
        assert_eq!(m.notional(Price(50_000), Qty(3)), Some(150_000));
        let err = Market::new(&spec("0.01", "0.0001"), &btc, &usd).unwrap_err();
        assert!(err.to_string().contains("is not a whole number of USD minor units"), "{err}");
        let err = Market::new(&spec("1", "0.000000001"), &btc, &usd).unwrap_err();
        assert!(err.to_string().contains("lot size"), "{err}");
    }

    #[test]
    fn fees_round_up_and_never_exceed_the_amount() {
        assert_eq!(fee_ceil(10_000, 10), 10);
        assert_eq!(fee_ceil(10_001, 10), 11);
        assert_eq!(fee_ceil(1, 1), 1);
        assert_eq!(fee_ceil(0, 30), 0);
        assert_eq!(fee_ceil(7, BPS_ONE), 7);
    }

    #[test]
    fn prices_and_quantities_at_the_edge() {
        let (btc, usd) = assets();
        let m = Market::new(&spec("0.5", "0.02"), &btc, &usd).unwrap();
        assert_eq!(m.price_from_decimal(d("100.5")), Ok(Price(201)));
        assert!(m.price_from_decimal(d("100.25")).is_err());
        assert!(m.price_from_decimal(d("0")).is_err());
        assert_eq!(m.qty_from_decimal(d("0.06")), Ok(Qty(3)));
        assert!(m.qty_from_decimal(d("0.05")).is_err());
        assert_eq!(m.price_to_decimal(Price(201)), d("100.5"));
    }
}
