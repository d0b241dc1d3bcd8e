//! Reading typed values out of the tree: tables with known fields, integers in a range, booleans,
//! durations, exact decimals, percentage shares (as basis points), names. Each reader either
//! returns the exact value or a located error saying what was expected.
//!
//! Invariants kept here:
//! - a duration is a whole number of nanoseconds, computed in integers (no float, no rounding);
//! - a decimal is parsed exactly (at most 28 significant digits, no exponent, no sign); a TOML
//!   float is never accepted where a decimal is expected: the error says to quote it;
//! - a table is checked for unknown keys (with a "did you mean") before any of its fields is
//!   read, so a misspelt required field is reported as misspelt, not as missing.

use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::context::Ctx;
use super::error::ScenarioError;
use super::limits::{MAX_DURATION_NS, MAX_NAME_LEN};
use super::tree::{hint, join, list_names, Node, Origin, Table, Value};
use crate::shown::shown;
use crate::suggest::did_you_mean;
use crate::units::{AssetId, MarketId};

type Result<T> = std::result::Result<T, ScenarioError>;

/// A table, with its path and origin for errors.
pub(crate) struct Fields<'n> {
    pub table: &'n Table,
    pub path: String,
    pub origin: Origin,
}

impl<'n> Fields<'n> {
    /// `node` as a table whose keys are all in `allowed`.
    pub fn open(ctx: &Ctx<'_>, node: &'n Node, path: &str, allowed: &[&str]) -> Result<Fields<'n>> {
        let fields = Fields::any(ctx, node, path)?;
        fields.check(ctx, allowed)?;
        Ok(fields)
    }

    /// `node` as a table, keys unchecked (the caller checks them).
    pub fn any(ctx: &Ctx<'_>, node: &'n Node, path: &str) -> Result<Fields<'n>> {
        match &node.value {
            Value::Table(table) => Ok(Fields { table, path: path.to_owned(), origin: node.origin }),
            other => Err(ctx.error(node.origin, path, format!("expected a table, found {}", found(other)))),
        }
    }

    /// The document's top-level table, whose keys are all in `allowed`.
    pub fn root(ctx: &Ctx<'_>, table: &'n Table, allowed: &[&str]) -> Result<Fields<'n>> {
        let fields = Fields { table, path: String::new(), origin: Origin::File(0) };
        fields.check(ctx, allowed)?;
        Ok(fields)
    }

    /// Rejects the first key not in `allowed`.
    pub fn check(&self, ctx: &Ctx<'_>, allowed: &[&str]) -> Result<()> {
        match self.table.entries().iter().find(|e| !allowed.contains(&e.key.as_str())) {
            Some(entry) => Err(unknown_field(ctx, entry.key_origin, &self.path, &entry.key, allowed, "")),
            None => Ok(()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.table.get(key)
    }

    /// The dotted path of `key` in this table.
    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// `key`, which must be present; `example` shows a valid one in the error.
    pub fn require(&self, ctx: &Ctx<'_>, key: &str, example: &str) -> Result<&'n Node> {
        self.get(key).ok_or_else(|| {
            let message = format!("missing required field `{key}`, e.g. `{example}`");
            ctx.error(self.origin, &self.path(key), message)
        })
    }

    /// `key` read by `read` if present, else `default`.
    pub fn opt<T>(&self, key: &str, default: T, read: impl FnOnce(&'n Node, &str) -> Result<T>) -> Result<T> {
        match self.get(key) {
            Some(node) => read(node, &self.path(key)),
            None => Ok(default),
        }
    }
}

/// "unknown field `x` (did you mean `y`?); expected one of: …".
pub(crate) fn unknown_field(
    ctx: &Ctx<'_>,
    at: Origin,
    path: &str,
    key: &str,
    allowed: &[&str],
    qualifier: &str,
) -> ScenarioError {
    let hint = hint(key, allowed.iter().copied());
    let message = format!("unknown field `{}`{qualifier}{hint}; expected one of: {}", shown(key), allowed.join(", "));
    ctx.error(at, &join(path, key), message)
}

/// The last name of a dotted path.
pub(crate) fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// How a found value is described: its type, and its text when short.
fn found(value: &Value) -> String {
    let text = match value {
        Value::Str(s) if s.chars().count() <= 40 => format!(" \"{}\"", shown(s)),
        Value::Int(i) => format!(" {i}"),
        Value::Float(f) if f.len() <= 40 => format!(" {}", shown(f)),
        Value::Bool(b) => format!(" {b}"),
        Value::Datetime(d) => format!(" {d}"),
        _ => String::new(),
    };
    format!("{}{text}", value.type_name())
}

/// A string.
pub(crate) fn string<'n>(ctx: &Ctx<'_>, node: &'n Node, path: &str) -> Result<&'n str> {
    match &node.value {
        Value::Str(s) => Ok(s),
        other => Err(ctx.error(node.origin, path, format!("expected a string, found {}", found(other)))),
    }
}

/// A string, shared with the tree rather than copied (a description can be megabytes long, and
/// every run of a file carries it).
pub(crate) fn shared_string(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<Arc<str>> {
    match &node.value {
        Value::Str(s) => Ok(Arc::clone(s)),
        other => Err(ctx.error(node.origin, path, format!("expected a string, found {}", found(other)))),
    }
}

/// An array.
pub(crate) fn array<'n>(ctx: &Ctx<'_>, node: &'n Node, path: &str, example: &str) -> Result<&'n [Node]> {
    match &node.value {
        Value::Array(items) => Ok(items),
        other => {
            Err(ctx.error(node.origin, path, format!("expected an array such as {example}, found {}", found(other))))
        }
    }
}

/// An integer in `min..=max`.
pub(crate) fn uint(ctx: &Ctx<'_>, node: &Node, path: &str, min: u64, max: u64) -> Result<u64> {
    match &node.value {
        Value::Int(i) => match u64::try_from(*i) {
            Ok(n) if n > max => Err(ctx.error(node.origin, path, format!("{i} is above the maximum, {max}"))),
            Ok(n) if n >= min => Ok(n),
            _ => Err(ctx.error(node.origin, path, format!("{i} is below the minimum, {min}"))),
        },
        Value::Str(s) if s.parse::<u64>().is_ok() => Err(ctx.error(
            node.origin,
            path,
            format!("expected an integer, found the string {s:?}; write it without quotes: `{} = {s}`", last_key(path)),
        )),
        other => {
            Err(ctx.error(node.origin, path, format!("expected an integer in {min}..={max}, found {}", found(other))))
        }
    }
}

/// An integer in `min..=max`, as a `u32`.
pub(crate) fn uint32(ctx: &Ctx<'_>, node: &Node, path: &str, min: u32, max: u32) -> Result<u32> {
    let n = uint(ctx, node, path, u64::from(min), u64::from(max))?;
    u32::try_from(n).map_err(|_| ctx.error(node.origin, path, format!("{n} is above the maximum, {max}")))
}

/// A duration string, as nanoseconds in `min..=max`.
pub(crate) fn duration(ctx: &Ctx<'_>, node: &Node, path: &str, min: u64, max: u64) -> Result<u64> {
    let text = match &node.value {
        Value::Str(s) => s,
        Value::Int(i) => {
            return Err(ctx.error(
                node.origin,
                path,
                format!("expected a duration string with a unit, e.g. \"{i}ms\" or \"{i}s\", found the integer {i}"),
            ))
        }
        other => {
            return Err(ctx.error(
                node.origin,
                path,
                format!("expected a duration string such as \"10ms\", \"1.5s\" or \"2h\", found {}", found(other)),
            ))
        }
    };
    let ns = parse_duration(text).map_err(|m| ctx.error(node.origin, path, m))?;
    if ns < min {
        let what =
            if min == 1 { "must be greater than 0".to_owned() } else { format!("must be at least {}", format_ns(min)) };
        return Err(ctx.error(node.origin, path, format!("duration \"{}\" {what}", shown(text))));
    }
    if ns > max {
        return Err(ctx.error(
            node.origin,
            path,
            format!("duration \"{}\" is longer than the maximum, {}", shown(text), format_ns(max)),
        ));
    }
    Ok(ns)
}

/// A decimal, written as a string (or a TOML integer). Floats are refused: they are not exact.
pub(crate) fn decimal(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<Decimal> {
    match &node.value {
        Value::Str(s) => parse_decimal(s).map_err(|m| ctx.error(node.origin, path, m)),
        Value::Int(i) if *i >= 0 => Ok(Decimal::from(*i)),
        Value::Int(i) => Err(ctx.error(node.origin, path, format!("{i} must not be negative"))),
        Value::Float(f) => Err(ctx.error(
            node.origin,
            path,
            format!(
                "decimals are written as strings so they stay exact: write `{} = \"{f}\"`, not `{f}`",
                last_key(path)
            ),
        )),
        other => Err(ctx.error(
            node.origin,
            path,
            format!("expected a decimal string such as \"0.01\", found {}", found(other)),
        )),
    }
}

/// A boolean, `true` or `false` (a quoted one is refused with how to write it).
pub(crate) fn boolean(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<bool> {
    match &node.value {
        Value::Bool(b) => Ok(*b),
        Value::Str(s) if s.as_ref() == "true" || s.as_ref() == "false" => Err(ctx.error(
            node.origin,
            path,
            format!(
                "expected a boolean, found the string \"{s}\"; write it without quotes: `{} = {s}`",
                last_key(path)
            ),
        )),
        other => Err(ctx.error(node.origin, path, format!("expected true or false, found {}", found(other)))),
    }
}

/// A share written as a percentage string, `"10%"` or `"0.25%"`, as whole basis points in
/// `min_bps..=max_bps` (at most two decimal places; exact, never rounded).
pub(crate) fn share_bps(ctx: &Ctx<'_>, node: &Node, path: &str, min_bps: u32, max_bps: u32) -> Result<u32> {
    let range = || {
        format!(
            "{}% to {}%",
            Decimal::new(i64::from(min_bps), 2).normalize(),
            Decimal::new(i64::from(max_bps), 2).normalize()
        )
    };
    let text = match &node.value {
        Value::Str(s) => s,
        other => {
            return Err(ctx.error(
                node.origin,
                path,
                format!("expected a percentage string such as \"10%\" ({}), found {}", range(), found(other)),
            ))
        }
    };
    let Some(number) = text.strip_suffix('%') else {
        return Err(ctx.error(
            node.origin,
            path,
            format!("\"{}\" has no `%`; write a percentage such as \"10%\" ({})", shown(text), range()),
        ));
    };
    let value = parse_decimal(number).map_err(|m| ctx.error(node.origin, path, m))?;
    let Ok(bps) = crate::units::decimal::exact_ratio(value, Decimal::new(1, 2)) else {
        return Err(ctx.error(
            node.origin,
            path,
            format!("\"{}\" is not a whole number of basis points (at most 2 decimal places)", shown(text)),
        ));
    };
    match u32::try_from(bps) {
        Ok(b) if (min_bps..=max_bps).contains(&b) => Ok(b),
        _ => Err(ctx.error(node.origin, path, format!("\"{}\" is out of range: {}", shown(text), range()))),
    }
}

/// Unit suffixes and their length in nanoseconds.
const UNITS: [(&str, u128); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

const DURATION_HELP: &str = "expected a number and a unit (ns, us, ms, s, m, h, d), e.g. \"10ms\", \"1.5s\", \"14d\"";

/// `"1.5s"` → 1_500_000_000. Exact: a value that is not a whole number of nanoseconds, or does
/// not fit in a `u64`, is an error.
pub(crate) fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    let quoted = format!("\"{}\"", shown(text));
    if let Some(rest) = text.strip_prefix(['-', '+']) {
        return Err(format!(
            "duration {quoted} has a sign; durations are written without one, e.g. \"{}\"",
            shown(rest.trim_start_matches(['-', '+']))
        ));
    }
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Some(&(_, unit_ns)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        let why = if unit.is_empty() {
            "has no unit".to_owned()
        } else {
            let hint = did_you_mean(unit, UNITS.iter().map(|(u, _)| *u))
                .map(|u| format!(" (did you mean \"{}{u}\"?)", shown(number)))
                .unwrap_or_default();
            format!("has an unknown unit `{}`{hint}", shown(unit))
        };
        return Err(format!("duration {quoted} {why}; {DURATION_HELP}"));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let malformed = whole.is_empty() || (number.contains('.') && fraction.is_empty()) || fraction.contains('.');
    if malformed {
        return Err(format!("duration {quoted} is malformed; {DURATION_HELP}"));
    }
    let too_long = || format!("duration {quoted} is too long; at most {}", format_ns(MAX_DURATION_NS));
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return Err(too_long());
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_long())? };
    let fraction = fraction.trim_end_matches('0');
    let not_whole = || format!("duration {quoted} is not a whole number of nanoseconds");
    if fraction.len() > 24 {
        return Err(not_whole());
    }
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| not_whole())? };
    // fraction < 10^24 and unit_ns < 10^14, so the product fits in a u128 (< 3.4 × 10^38).
    let fraction_ns = fraction * unit_ns;
    if fraction_ns % scale != 0 {
        return Err(not_whole());
    }
    let ns = whole.checked_mul(unit_ns).and_then(|w| w.checked_add(fraction_ns / scale)).ok_or_else(too_long)?;
    u64::try_from(ns).map_err(|_| too_long())
}

/// Nanoseconds in the largest unit that divides them: `2_000_000_000` → `"2s"`.
pub fn format_ns(ns: u64) -> String {
    let ns = u128::from(ns);
    if ns == 0 {
        return "0s".to_owned();
    }
    let (unit, size) = UNITS.iter().rev().find(|(_, size)| ns % size == 0).copied().unwrap_or(("ns", 1));
    format!("{}{unit}", ns / size)
}

/// `"0.01"` → 0.01, exactly: digits with at most one `.`, at most 28 significant digits.
pub(crate) fn parse_decimal(text: &str) -> std::result::Result<Decimal, String> {
    let help = "expected a non-negative decimal such as \"0.01\" or \"30000\"";
    let quoted = format!("\"{}\"", shown(text));
    if let Some(rest) = text.strip_prefix('-') {
        if parse_decimal(rest).is_ok() {
            return Err(format!("{quoted} must not be negative"));
        }
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || (text.contains('.') && fraction.is_empty()) {
        return Err(format!("{quoted} is not a decimal; {help}"));
    }
    let significant = whole.trim_start_matches('0').len() + fraction.len();
    if significant > 28 || fraction.len() > 28 {
        return Err(format!("{quoted} has too many digits (at most 28 significant digits)"));
    }
    Decimal::from_str(text).map(|d| d.normalize()).map_err(|e| format!("{quoted} is not a decimal ({e}); {help}"))
}

/// Checks a name: 1 to [`MAX_NAME_LEN`] characters of `a-z`, `0-9`, `_`, `-` (and `A-Z` when
/// `upper` allows it).
pub(crate) fn check_name(text: &str, upper: bool) -> std::result::Result<(), String> {
    let ok_char = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' || (upper && c.is_ascii_uppercase())
    };
    if text.is_empty() || text.len() > MAX_NAME_LEN || !text.chars().all(ok_char) {
        let letters = if upper { "A-Z, a-z" } else { "a-z" };
        let text = shown(text);
        return Err(format!("name \"{text}\" must be 1 to {MAX_NAME_LEN} characters of {letters}, 0-9, `_` and `-`"));
    }
    Ok(())
}

/// The index of the entry of `names` that `node` names, or an error listing them.
pub(crate) fn lookup(ctx: &Ctx<'_>, node: &Node, path: &str, names: &[&str], what: &str) -> Result<usize> {
    let name = string(ctx, node, path)?;
    names.iter().position(|n| *n == name).ok_or_else(|| {
        let hint = hint(name, names.iter().copied());
        let message = format!("unknown {what} `{}`{hint}; defined: {}", shown(name), list_names(names.iter().copied()));
        ctx.error(node.origin, path, message)
    })
}

/// `AssetId` of an index below [`MAX_ASSETS`](super::limits::MAX_ASSETS).
pub(crate) fn asset_id(index: usize) -> AssetId {
    AssetId(u16::try_from(index).unwrap_or(u16::MAX))
}

/// `MarketId` of an index below [`MAX_MARKETS`](super::limits::MAX_MARKETS).
pub(crate) fn market_id(index: usize) -> MarketId {
    MarketId(u16::try_from(index).unwrap_or(u16::MAX))
}

/// A probability written as a decimal in [0, 1], in whole parts per million.
pub(crate) fn ppm(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<u32> {
    let value = decimal(ctx, node, path)?;
    if value > Decimal::ONE {
        return Err(ctx.error(node.origin, path, format!("probability {value} is above 1")));
    }
    // Exact: value / 10^-6 from the mantissa and scale, never rounded.
    let Ok(ppm) = crate::units::decimal::exact_ratio(value, Decimal::new(1, 6)) else {
        return Err(ctx.error(
            node.origin,
            path,
            format!("probability {value} is not a whole number of parts per million (at most 6 decimal places)"),
        ));
    };
    u32::try_from(ppm).map_err(|_| ctx.error(node.origin, path, format!("probability {value} is above 1")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        assert_eq!(parse_duration("10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400_000_000_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("100us"), Ok(100_000));
        assert_eq!(parse_duration("0.000000001s"), Ok(1));
        assert_eq!(parse_duration("1.50000000000000000000000000000000s"), Ok(1_500_000_000));
        assert!(parse_duration("1.5ns").unwrap_err().contains("whole number of nanoseconds"));
        assert!(parse_duration("0.0000000000000000000000000001d").unwrap_err().contains("whole number"));
        assert!(parse_duration("10").unwrap_err().contains("has no unit"));
        assert!(parse_duration("10 ms").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("10sec").unwrap_err().contains("unknown unit `sec`"));
        assert!(parse_duration("1.s").unwrap_err().contains("malformed"));
        assert!(parse_duration(".5s").unwrap_err().contains("malformed"));
        assert!(parse_duration("1.2.3s").unwrap_err().contains("malformed"));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("99999999999999999999999d").unwrap_err().contains("too long"));
        assert!(parse_duration("99999999999999999999d").unwrap_err().contains("too long"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn durations_format_in_the_largest_unit() {
        assert_eq!(format_ns(2_000_000_000), "2s");
        assert_eq!(format_ns(1_500_000_000), "1500ms");
        assert_eq!(format_ns(0), "0s");
        assert_eq!(format_ns(7), "7ns");
        assert_eq!(format_ns(MAX_DURATION_NS), "30d");
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("0.01"), Ok(Decimal::new(1, 2)));
        assert_eq!(parse_decimal("30000.00"), Ok(Decimal::from(30_000)));
        assert!(parse_decimal("-1").unwrap_err().contains("negative"));
        assert!(parse_decimal("1e5").is_err());
        assert!(parse_decimal("1.").is_err());
        assert!(parse_decimal(".1").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("1_000").is_err());
        assert!(parse_decimal("0.00000000000000000000000000001").unwrap_err().contains("too many digits"));
        assert!(parse_decimal("99999999999999999999999999999").unwrap_err().contains("too many digits"));
    }

    #[test]
    fn names() {
        assert!(check_name("quick_start-2", false).is_ok());
        assert!(check_name("BTC-USD", false).is_err());
        assert!(check_name("BTC-USD", true).is_ok());
        assert!(check_name("a.b", true).is_err());
        assert!(check_name("", true).is_err());
    }
}
