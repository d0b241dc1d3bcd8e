//! The decimal edge: `rust_decimal` values in, exact integers out, and back.
//!
//! Invariant: a conversion either yields the integer that represents the decimal *exactly* or an
//! error that names the value, the unit and what would be valid. Nothing is ever rounded here;
//! rounding happens only as explicit ledger transfers (fees).

use rust_decimal::Decimal;
use thiserror::Error;

use super::{Asset, Minor};

/// A value that cannot be represented in the unit asked for.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct UnitError {
    message: String,
}

impl UnitError {
    pub(crate) fn new(message: String) -> UnitError {
        UnitError { message }
    }
}

/// `value / step` as a whole number, if it is one and fits in a `u64`.
///
/// `what` names the value in errors ("price", "lot size", …), `unit` the step's unit.
pub fn whole_steps(value: Decimal, step: Decimal, what: &str, unit: &str) -> Result<u64, UnitError> {
    if step <= Decimal::ZERO {
        return Err(UnitError::new(format!("{what}: step {step} {unit} must be positive")));
    }
    if value.is_sign_negative() && !value.is_zero() {
        return Err(UnitError::new(format!("{what} {value} {unit} must not be negative")));
    }
    let quotient =
        value.checked_div(step).ok_or_else(|| UnitError::new(format!("{what} {value} {unit} is too large")))?;
    if quotient.fract() != Decimal::ZERO {
        let below = (quotient.trunc() * step).normalize();
        let above = ((quotient.trunc() + Decimal::ONE) * step).normalize();
        return Err(UnitError::new(format!(
            "{what} {value} {unit} is not a multiple of {step}; nearest valid values are {below} and {above}"
        )));
    }
    u64::try_from(quotient.trunc().mantissa() / 10i128.pow(quotient.trunc().scale()))
        .map_err(|_| UnitError::new(format!("{what} {value} {unit} is too large")))
}

/// One minor unit of `asset` as a decimal (0.00000001 for BTC).
pub fn minor_unit(asset: &Asset) -> Decimal {
    Decimal::new(1, u32::from(asset.decimals()))
}

/// An amount of `asset` given as a decimal, in minor units; rejects sub-minor precision,
/// negative values and values beyond `i64::MAX` minor units.
pub fn amount_to_minor(asset: &Asset, value: Decimal) -> Result<Minor, UnitError> {
    let symbol = asset.symbol();
    if value.is_sign_negative() && !value.is_zero() {
        return Err(UnitError::new(format!("amount {value} {symbol} must not be negative")));
    }
    if value.normalize().scale() > u32::from(asset.decimals()) {
        return Err(UnitError::new(format!(
            "amount {value} {symbol} has more than {} decimal places",
            asset.decimals()
        )));
    }
    let too_large =
        || UnitError::new(format!("amount {value} {symbol} is too large (at most {} minor units)", Minor::MAX));
    let steps = whole_steps(value, minor_unit(asset), "amount", symbol).map_err(|_| too_large())?;
    Minor::try_from(steps).map_err(|_| too_large())
}

/// Minor units of `asset` as a normalized decimal string's value.
pub fn minor_to_decimal(asset: &Asset, minor: Minor) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(minor), u32::from(asset.decimals())).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_convert_exactly_or_not_at_all() {
        let btc = Asset::new("BTC", 8).unwrap();
        assert_eq!(amount_to_minor(&btc, d("1")), Ok(100_000_000));
        assert_eq!(amount_to_minor(&btc, d("0.00000001")), Ok(1));
        assert_eq!(amount_to_minor(&btc, d("0.000000010")), Ok(1));
        let err = amount_to_minor(&btc, d("0.000000001")).unwrap_err();
        assert!(err.to_string().contains("more than 8 decimal places"), "{err}");
        let err = amount_to_minor(&btc, d("-1")).unwrap_err();
        assert!(err.to_string().contains("must not be negative"), "{err}");
        let err = amount_to_minor(&btc, d("100000000000000")).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
        assert_eq!(minor_to_decimal(&btc, 150_000_000), d("1.5"));
    }

    #[test]
    fn steps_name_the_nearest_valid_values() {
        assert_eq!(whole_steps(d("100.25"), d("0.05"), "price", "USD"), Ok(2005));
        let err = whole_steps(d("100.26"), d("0.05"), "price", "USD").unwrap_err();
        assert_eq!(
            err.to_string(),
            "price 100.26 USD is not a multiple of 0.05; nearest valid values are 100.25 and 100.3"
        );
    }
}
