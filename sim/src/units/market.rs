//! Markets: a base and a quote asset, a tick size, a lot size and a fee schedule.
//!
//! Invariants kept at construction (a [`Market`] cannot exist otherwise):
//! - one lot is a whole, positive number of base minor units;
//! - tick × lot is a whole, positive number of quote minor units, so the notional of any
//!   (price, quantity) pair is an exact integer: `price_ticks × qty_lots × quote_minor_per_tick_lot`;
//!   both factors are computed exactly from the decimals' mantissas and scales (never rounded by
//!   `Decimal` at 28 places) and are at most [`AMOUNT_MAX`];
//! - a market has a highest price, [`Market::max_price`], at which `price × tick` still fits a
//!   `Decimal` exactly and one lot costs at most [`AMOUNT_MAX`], so no price the exchange accepts
//!   can overflow when rendered or audited;
//! - fees are at most 10,000 basis points, so a fee never exceeds the amount it is taken from.

use rust_decimal::Decimal;

use super::decimal::{exact_scaled, minor_unit, scaled, whole_steps, Inexact, UnitError};
use super::{Asset, AssetId, Minor, Price, Qty, AMOUNT_MAX, PRICE_MAX_TICKS};

/// Index of a market in an exchange's market table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct MarketId(pub u16);

/// Maker and taker fees in basis points of notional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FeeSchedule {
    /// Fee charged to the resting side of a fill.
    pub maker_bps: u32,
    /// Fee charged to the aggressing side of a fill.
    pub taker_bps: u32,
}

/// A market as written at the edge: decimals, before validation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    max_price: Price,
    fees: FeeSchedule,
}

/// The largest mantissa a `Decimal` holds: 2^96 − 1.
const DECIMAL_MANTISSA_MAX: u128 = (1 << 96) - 1;

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
        let (tick, lot) = (spec.tick_size.normalize(), spec.lot_size.normalize());
        let too_large = |what: String, minor: Option<u128>, asset: &Asset| {
            let is = minor.map_or_else(|| "more than 2^128".to_owned(), |m| m.to_string());
            UnitError::new(format!(
                "market {base}/{quote}: {what} is {is} minor units of {asset}, more than the largest amount of \
                 {AMOUNT_MAX} minor units; choose a smaller one"
            ))
        };
        let base_minor_per_lot = match exact_scaled(&[lot], u32::from(base.decimals())) {
            Ok(m) if m <= AMOUNT_MAX as u128 => m as Minor,
            Ok(m) => return Err(too_large(format!("lot size {lot}"), Some(m), base)),
            Err(Inexact::TooLarge) => return Err(too_large(format!("lot size {lot}"), None, base)),
            Err(Inexact::NotWhole) => {
                return Err(UnitError::new(format!(
                    "market {base}/{quote}: lot size {lot} {base} is not a whole number of {base} minor units ({}); \
                     {base} has {} decimals",
                    minor_unit(base),
                    base.decimals()
                )))
            }
        };
        let quote_minor_per_tick_lot = match exact_scaled(&[tick, lot], u32::from(quote.decimals())) {
            Ok(m) if m <= AMOUNT_MAX as u128 => m as Minor,
            Ok(m) => return Err(too_large(format!("tick size {tick} × lot size {lot}"), Some(m), quote)),
            Err(Inexact::TooLarge) => return Err(too_large(format!("tick size {tick} × lot size {lot}"), None, quote)),
            Err(Inexact::NotWhole) => {
                let product = tick.checked_mul(lot).filter(|p| !p.is_zero() && p.scale() < 28);
                let product = product.map_or_else(String::new, |p| format!(" = {} {quote}", p.normalize()));
                return Err(UnitError::new(format!(
                    "market {base}/{quote}: tick size {tick} × lot size {lot}{product} is not a whole number of \
                     {quote} minor units ({}); choose a larger tick or lot",
                    minor_unit(quote)
                )));
            }
        };
        for (name, bps) in [("maker", spec.fees.maker_bps), ("taker", spec.fees.taker_bps)] {
            if bps > BPS_ONE {
                return Err(UnitError::new(format!(
                    "market {base}/{quote}: {name} fee {bps} bps exceeds {BPS_ONE} bps (100%)"
                )));
            }
        }
        // The highest price: price × tick must fit a Decimal exactly (its mantissa times the
        // tick's below 2^96), and one lot at it must cost at most AMOUNT_MAX.
        let tick_mantissa = tick.mantissa().unsigned_abs();
        let max_price = [
            u128::from(PRICE_MAX_TICKS),
            DECIMAL_MANTISSA_MAX / tick_mantissa,
            (AMOUNT_MAX as u128) / quote_minor_per_tick_lot as u128,
        ]
        .into_iter()
        .min()
        .unwrap_or(1);
        Ok(Market {
            base: spec.base,
            quote: spec.quote,
            tick_size: spec.tick_size,
            lot_size: spec.lot_size,
            base_minor_per_lot,
            quote_minor_per_tick_lot,
            max_price: Price(u64::try_from(max_price).unwrap_or(PRICE_MAX_TICKS).max(1)),
            fees: spec.fees,
        })
    }

    /// The highest price an order may have in this market, in ticks: the lowest of
    /// [`PRICE_MAX_TICKS`], the largest price whose `price × tick` fits a `Decimal` exactly, and
    /// the largest at which one lot costs at most [`AMOUNT_MAX`]. Every price at or below it
    /// renders exactly ([`Market::price_to_decimal`]).
    #[inline]
    pub fn max_price(&self) -> Price {
        self.max_price
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
        Minor::from(qty.0).checked_mul(self.base_minor_per_lot)
    }

    /// Quote minor units paid for `qty` lots at `price`, or `None` on overflow.
    #[inline]
    pub fn notional(&self, price: Price, qty: Qty) -> Option<Minor> {
        Minor::from(price.0).checked_mul(Minor::from(qty.0))?.checked_mul(self.quote_minor_per_tick_lot)
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

    /// A price in ticks as an exact decimal; `Some` for every price up to [`Market::max_price`].
    pub fn price_to_decimal(&self, price: Price) -> Option<Decimal> {
        scaled(u128::from(price.0), self.tick_size)
    }
}

/// `ceil(amount × bps / 10_000)`: a fee rounded up, in the exchange's favour.
///
/// Never exceeds `amount` because `bps ≤ 10_000` (a [`Market`] invariant), and cannot overflow for
/// any non-negative `amount`: it is computed as `q × bps + ceil(r × bps / 10_000)` with
/// `amount = q × 10_000 + r`.
#[inline]
pub fn fee_ceil(amount: Minor, bps: u32) -> Minor {
    assert!(amount >= 0 && bps <= BPS_ONE, "fee of {bps} bps on {amount}");
    let (one, bps) = (Minor::from(BPS_ONE), Minor::from(bps));
    let (q, r) = (amount / one, amount % one);
    let fee = q * bps + (r * bps + one - 1) / one;
    assert!((0..=amount).contains(&fee), "fee {fee} exceeds the amount {amount} it is taken from");
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
        assert_eq!(fee_ceil(Minor::MAX, BPS_ONE), Minor::MAX);
        assert_eq!(fee_ceil(Minor::MAX, 1), Minor::MAX / 10_000 + 1);
    }

    #[test]
    fn tick_times_lot_is_exact_at_every_scale() {
        // The example: 1e-11 × 1e-18 rounds to zero in Decimal; it is not a whole number
        // of a 0-decimal quote's minor units.
        let eth = Asset::new("ETH", 18).unwrap();
        let usd0 = Asset::new("USD", 0).unwrap();
        let err = Market::new(&spec("0.00000000001", "0.000000000000000001"), &eth, &usd0).unwrap_err();
        assert!(err.to_string().contains("is not a whole number of USD minor units (1)"), "{err}");
        // An 18-decimal quote: 1e-11 × 1e-7 = 1e-18, one minor unit.
        let m = Market::new(&spec("0.00000000001", "0.0000001"), &eth, &Asset::new("WEI", 18).unwrap()).unwrap();
        assert_eq!(m.quote_minor_per_tick_lot(), 1);
        assert_eq!(m.base_amount(Qty(1)), Some(100_000_000_000));
    }

    #[test]
    fn every_price_up_to_the_maximum_renders() {
        let (btc, usd) = assets();
        let m = Market::new(&spec("1", "0.01"), &btc, &usd).unwrap();
        let by_amount = u128::try_from(AMOUNT_MAX / m.quote_minor_per_tick_lot()).unwrap();
        assert_eq!(u128::from(m.max_price().0), u128::from(PRICE_MAX_TICKS).min(by_amount));
        assert!(m.price_to_decimal(m.max_price()).is_some());
        // Where the decimal bound is the lowest: tick 2^90 × 10^-28 and lot 5^28 make tick × lot
        // 2^62 whole units, so one lot is cheap enough, but 64 × tick needs a 97-bit mantissa.
        let (gold, fine) = (Asset::new("GOLD", 0).unwrap(), Asset::new("FINE", 0).unwrap());
        let m = Market::new(&spec("0.1237940039285380274899124224", "37252902984619140625"), &gold, &fine).unwrap();
        assert_eq!(m.quote_minor_per_tick_lot(), 1 << 62);
        assert_eq!(m.max_price(), Price(63));
        assert!(m.price_to_decimal(Price(63)).is_some());
        assert_eq!(m.price_to_decimal(Price(64)), None);
        // A tick with a long mantissa: price × tick must stay below 2^96, and one lot at the
        // maximum must cost at most AMOUNT_MAX.
        let (whole, fine) = (Asset::new("GOLD", 0).unwrap(), Asset::new("FINE", 16).unwrap());
        let m = Market::new(&spec("1.2345678901234567", "1"), &whole, &fine).unwrap();
        assert_eq!(m.quote_minor_per_tick_lot(), 12_345_678_901_234_567);
        let by_decimal = DECIMAL_MANTISSA_MAX / 12_345_678_901_234_567;
        let by_amount = u128::try_from(AMOUNT_MAX).unwrap() / 12_345_678_901_234_567;
        assert_eq!(u128::from(m.max_price().0), by_decimal.min(by_amount));
        assert!(m.price_to_decimal(m.max_price()).is_some());
        assert!(m.notional(m.max_price(), Qty(1)).is_some_and(|n| (1..=AMOUNT_MAX).contains(&n)));
        assert_eq!(m.price_to_decimal(Price(u64::try_from(by_decimal).unwrap() + 1)), None);
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
        assert_eq!(m.price_to_decimal(Price(201)), Some(d("100.5")));
    }
}
