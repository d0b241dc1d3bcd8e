//! The decimal edge: `rust_decimal` values in, exact integers out, and back.
//!
//! Invariant: a conversion either yields the integer that represents the decimal *exactly* or an
//! error that names the value, the unit and what would be valid. Nothing is ever rounded here:
//! quotients and products are computed from the decimals' mantissas and scales with checked
//! integer arithmetic ([`exact_ratio`], [`exact_scaled`]), never with `Decimal`'s own `*` or `/`,
//! which round at 28 decimal places. Going back ([`scaled`], [`minor_to_decimal`]) is exact too,
//! or `None` when the value does not fit a `Decimal`. Rounding happens only as explicit ledger
//! transfers (fees).

use rust_decimal::Decimal;
use thiserror::Error;

use super::{Asset, Minor, AMOUNT_MAX};

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

/// Why an exact conversion failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inexact {
    /// The value is not a whole number of the unit.
    NotWhole,
    /// It is, but the count does not fit in a `u128`.
    TooLarge,
}

/// A non-negative decimal's normalized mantissa and scale.
fn parts(d: Decimal) -> (u128, u32) {
    let n = d.normalize();
    (n.mantissa().unsigned_abs(), n.scale())
}

/// Divides `m` by `p` while it divides evenly, at most `max` times; returns how many times.
fn strip(m: &mut u128, p: u128, max: u32) -> u32 {
    let mut n = 0;
    while n < max && *m != 0 && *m % p == 0 {
        *m /= p;
        n += 1;
    }
    n
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `p^n`, checked.
fn pow(p: u128, n: u32) -> Option<u128> {
    p.checked_pow(n)
}

/// `value / step` exactly, as a whole number (both non-negative, `step` positive).
pub fn exact_ratio(value: Decimal, step: Decimal) -> Result<u128, Inexact> {
    assert!(step > Decimal::ZERO && !value.is_sign_negative(), "exact_ratio of {value} by {step}");
    let ((mut mv, sv), (mut ms, ss)) = (parts(value), parts(step));
    if mv == 0 {
        return Ok(0);
    }
    let g = gcd(mv, ms);
    (mv, ms) = (mv / g, ms / g);
    if sv > ss {
        // A normalized value has a non-zero digit below the step's last one: never a multiple
        // (mv is coprime with ms and not divisible by ten).
        return Err(Inexact::NotWhole);
    }
    // value / step = mv × 10^k / ms, with ms coprime to mv: ms must divide 10^k.
    let k = ss - sv;
    let twos = strip(&mut ms, 2, k);
    let fives = strip(&mut ms, 5, k);
    if ms != 1 {
        return Err(Inexact::NotWhole);
    }
    pow(2, k - twos)
        .and_then(|t| pow(5, k - fives).and_then(|f| t.checked_mul(f)))
        .and_then(|scale| mv.checked_mul(scale))
        .ok_or(Inexact::TooLarge)
}

/// `factors[0] × factors[1] × … × 10^decimals` exactly, as a whole number (all non-negative):
/// e.g. tick × lot in quote minor units.
pub fn exact_scaled(factors: &[Decimal], decimals: u32) -> Result<u128, Inexact> {
    let mut mantissas: Vec<u128> = Vec::with_capacity(factors.len());
    let mut scale = 0u32;
    for &f in factors {
        assert!(!f.is_sign_negative(), "exact_scaled of a negative factor {f}");
        let (m, s) = parts(f);
        if m == 0 {
            return Ok(0);
        }
        mantissas.push(m);
        scale += s;
    }
    let mut product: u128 = 1;
    if decimals >= scale {
        product = pow(10, decimals - scale).ok_or(Inexact::TooLarge)?;
    } else {
        // Divide 10^k = 2^k × 5^k out of the mantissas, wherever the factors sit.
        let k = scale - decimals;
        let (mut twos, mut fives) = (0, 0);
        for m in &mut mantissas {
            twos += strip(m, 2, k - twos);
            fives += strip(m, 5, k - fives);
        }
        if twos < k || fives < k {
            return Err(Inexact::NotWhole);
        }
    }
    for m in mantissas {
        product = product.checked_mul(m).ok_or(Inexact::TooLarge)?;
    }
    Ok(product)
}

/// `n × step` as an exact decimal, or `None` if it does not fit a `Decimal` (96-bit mantissa).
pub fn scaled(n: u128, step: Decimal) -> Option<Decimal> {
    let (m, s) = parts(step);
    let mantissa = i128::try_from(n.checked_mul(m)?).ok()?;
    Decimal::try_from_i128_with_scale(mantissa, s).ok().map(|d| d.normalize())
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
    let too_large =
        || UnitError::new(format!("{what} {value} {unit} is too large: more than {} steps of {step}", u64::MAX));
    match exact_ratio(value, step) {
        Ok(steps) => u64::try_from(steps).map_err(|_| too_large()),
        Err(Inexact::TooLarge) => Err(too_large()),
        Err(Inexact::NotWhole) => {
            // The nearest multiples, for the message only: shown when representable and positive.
            let below = value.checked_div(step).map(|q| q.trunc()).and_then(|q| q.checked_mul(step));
            let above = below.and_then(|b| b.checked_add(step));
            let nearest = match (below, above) {
                // Zero steps is no valid price, lot or quantity: only the multiple above is.
                (Some(b), Some(a)) if b.is_zero() => format!("; the nearest valid value is {}", a.normalize()),
                (Some(b), Some(a)) => {
                    format!("; nearest valid values are {} and {}", b.normalize(), a.normalize())
                }
                (Some(b), None) => format!("; the nearest valid value is {}", b.normalize()),
                _ => String::new(),
            };
            Err(UnitError::new(format!("{what} {value} {unit} is not a multiple of {step}{nearest}")))
        }
    }
}

/// One minor unit of `asset` as a decimal (0.00000001 for BTC).
pub fn minor_unit(asset: &Asset) -> Decimal {
    Decimal::new(1, u32::from(asset.decimals()))
}

/// An amount of `asset` given as a decimal, in minor units; rejects sub-minor precision,
/// negative values and values beyond [`AMOUNT_MAX`] minor units.
pub fn amount_to_minor(asset: &Asset, value: Decimal) -> Result<Minor, UnitError> {
    let symbol = asset.symbol();
    if value.is_sign_negative() && !value.is_zero() {
        return Err(UnitError::new(format!("amount {value} {symbol} must not be negative")));
    }
    let too_large = || {
        UnitError::new(format!(
            "amount {value} {symbol} is too large (at most {} {symbol}, {AMOUNT_MAX} minor units)",
            minor_to_decimal(asset, AMOUNT_MAX).map_or_else(|| "?".to_owned(), |d| d.to_string())
        ))
    };
    match exact_scaled(&[value], u32::from(asset.decimals())) {
        Ok(minor) => Minor::try_from(minor).ok().filter(|m| (0..=AMOUNT_MAX).contains(m)).ok_or_else(too_large),
        Err(Inexact::TooLarge) => Err(too_large()),
        Err(Inexact::NotWhole) => {
            Err(UnitError::new(format!("amount {value} {symbol} has more than {} decimal places", asset.decimals())))
        }
    }
}

/// Minor units of `asset` as a normalized decimal, or `None` if it does not fit a `Decimal`
/// (never for an amount within ±[`AMOUNT_MAX`]).
pub fn minor_to_decimal(asset: &Asset, minor: Minor) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(minor, u32::from(asset.decimals())).ok().map(|d| d.normalize())
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
        // Up to AMOUNT_MAX minor units (10^20 BTC), and not one minor unit more.
        assert_eq!(amount_to_minor(&btc, d("100000000000000000000")), Ok(AMOUNT_MAX));
        let err = amount_to_minor(&btc, d("100000000000000000000.00000001")).unwrap_err();
        assert!(err.to_string().contains("too large (at most 100000000000000000000 BTC"), "{err}");
        let eth = Asset::new("ETH", 18).unwrap();
        assert_eq!(amount_to_minor(&eth, d("1000000")), Ok(10i128.pow(24)));
        assert_eq!(minor_to_decimal(&eth, 10i128.pow(24)), Some(d("1000000")));
        assert_eq!(minor_to_decimal(&eth, -AMOUNT_MAX), Some(d("-10000000000")));
        assert_eq!(minor_to_decimal(&eth, 1 << 96), None);
        assert_eq!(minor_to_decimal(&btc, 150_000_000), Some(d("1.5")));
    }

    #[test]
    fn steps_name_the_nearest_valid_values() {
        assert_eq!(whole_steps(d("100.25"), d("0.05"), "price", "USD"), Ok(2005));
        let err = whole_steps(d("100.26"), d("0.05"), "price", "USD").unwrap_err();
        assert_eq!(
            err.to_string(),
            "price 100.26 USD is not a multiple of 0.05; nearest valid values are 100.25 and 100.3"
        );
        // Decimal's own division rounds this quotient (1 + 2.5e-29) to exactly 1.
        let step = d("3.9614081257132168796771975168");
        assert!(whole_steps(d("3.9614081257132168796771975169"), step, "price", "").is_err());
        assert_eq!(whole_steps(step, step, "price", ""), Ok(1));
        let err = whole_steps(d("0.3"), d("0.5"), "price", "USD").unwrap_err();
        assert!(err.to_string().ends_with("not a multiple of 0.5; the nearest valid value is 0.5"), "{err}");
        // The nearest values are left out when they do not fit a decimal.
        let err = whole_steps(d("79228162514264337593543950335"), d("10000000000000000000000000000"), "price", "")
            .unwrap_err();
        assert!(err.to_string().contains("nearest valid value is 70000000000000000000000000000"), "{err}");
    }

    #[test]
    fn ratios_are_exact() {
        assert_eq!(exact_ratio(d("1"), d("0.5")), Ok(2));
        assert_eq!(exact_ratio(d("0.25"), d("0.5")), Err(Inexact::NotWhole));
        assert_eq!(exact_ratio(d("0"), d("0.5")), Ok(0));
        assert_eq!(
            exact_ratio(d("6"), d("0.0000000000000000000000000003")),
            Ok(20_000_000_000_000_000_000_000_000_000)
        );
        assert_eq!(exact_ratio(d("1"), d("3")), Err(Inexact::NotWhole));
        assert_eq!(exact_ratio(d("1"), d("0.0000000000000000000000000001")), Ok(10u128.pow(28)));
        assert_eq!(
            exact_ratio(d("79228162514264337593543950335"), d("0.0000000000000000000000000001")),
            Err(Inexact::TooLarge)
        );
        assert_eq!(exact_ratio(d("1"), d("0.0000000000000000000000000007")), Err(Inexact::NotWhole));
    }

    #[test]
    fn products_are_exact() {
        // The example: 1e-11 × 1e-18 is 1e-29, not zero.
        assert_eq!(exact_scaled(&[d("0.00000000001"), d("0.000000000000000001")], 0), Err(Inexact::NotWhole));
        assert_eq!(exact_scaled(&[d("0.00000000001"), d("0.000000000000000001")], 18), Err(Inexact::NotWhole));
        assert_eq!(exact_scaled(&[d("0.00000000001"), d("0.0000001")], 18), Ok(1));
        assert_eq!(exact_scaled(&[d("1"), d("0.01")], 2), Ok(1));
        assert_eq!(exact_scaled(&[d("0.5"), d("0.2")], 1), Ok(1));
        // 2^90 × 10^-28 and 5^40 × 10^-28: ten to the 40th sits split across the two mantissas.
        let (t, l) = (d("0.1237940039285380274899124224"), d("0.9094947017729282379150390625"));
        assert_eq!(exact_scaled(&[t, l], 18), Ok((1u128 << 50) * 100));
        assert_eq!(
            exact_scaled(&[d("79228162514264337593543950335"), d("79228162514264337593543950335")], 0),
            Err(Inexact::TooLarge)
        );
        assert_eq!(exact_scaled(&[d("1")], 18), Ok(10u128.pow(18)));
    }

    proptest::proptest! {
        /// Against `Decimal` itself where it is exact: small mantissas and scales, whose products
        /// and quotients need far fewer than 28 digits.
        #[test]
        fn exact_forms_agree_with_decimal_where_it_is_exact(
            (ma, sa) in (1u64..1 << 30, 0u32..10),
            (mb, sb) in (1u64..1 << 30, 0u32..10),
            decimals in 0u32..=10,
        ) {
            let (a, b) = (Decimal::new(ma as i64, sa), Decimal::new(mb as i64, sb));
            let product = a * b * Decimal::from_i128_with_scale(10i128.pow(decimals), 0);
            let expected = if product.fract().is_zero() {
                Ok(u128::try_from(product.mantissa() / 10i128.pow(product.scale())).unwrap())
            } else {
                Err(Inexact::NotWhole)
            };
            proptest::prop_assert_eq!(exact_scaled(&[a, b], decimals), expected);
            proptest::prop_assert_eq!(exact_ratio(b * Decimal::from(ma), b), Ok(u128::from(ma)));
            proptest::prop_assert_eq!(exact_ratio(a, b).is_ok(), (a % b).is_zero());
        }
    }

    #[test]
    fn scaled_back_is_exact_or_none() {
        assert_eq!(scaled(201, d("0.5")), Some(d("100.5")));
        assert_eq!(scaled(u128::from(u64::MAX), d("0.01")), Some(d("184467440737095516.15")));
        assert_eq!(scaled(u128::from(u64::MAX), d("10000000000000")), None);
    }
}
