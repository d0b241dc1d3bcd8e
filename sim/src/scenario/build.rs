//! From the (overridden) document tree to one validated [`Scenario`]: the top-level fields,
//! assets, markets, the exchange, the network and the expectations. Agents are in
//! [`super::agents`], custody fields (per asset, `[policy]`, `[custody]`) in [`super::custody`].
//!
//! Invariants kept here (the contract of [`super::model`]):
//! - assets are valid [`Asset`]s; every market passes [`Market::new`] against its own assets, so
//!   tick × lot is a whole number of quote minor units, and its initial price is at most the
//!   market's highest price ([`Market::max_price`]);
//! - prices are whole ticks, probabilities whole parts per million, durations whole nanoseconds,
//!   everything within [`super::limits`];
//! - faults are modelled ones and invariants expected to break are catalogued ones (the auditor
//!   checks every one: `Invariant::audited`), each listed once.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::agents;
use super::context::Ctx;
use super::custody;
use super::error::ScenarioError;
use super::identity;
use super::limits::*;
use super::model::{CustodySettings, ExchangeSettings, Expectations, MarketSetup, NetworkSettings, Scenario};
use super::tree::{hint, join, Node, Table};
use super::values::{
    array, asset_id, check_name, decimal, duration, format_ns, lookup, shared_string, string, uint, uint32, Fields,
};
use crate::audit::Invariant;
use crate::fault::{Fault, FaultError, FaultSet};
use crate::shown::shown;
use crate::units::asset::DECIMALS_MAX;
use crate::units::decimal::{exact_scaled, minor_unit, whole_steps, Inexact};
use crate::units::market::BPS_ONE;
use crate::units::{Asset, AssetId, FeeSchedule, Market, MarketSpec, Minor, Price, AMOUNT_MAX};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Top-level fields, in documentation order.
pub(crate) const TOP_FIELDS: [&str; 16] = [
    "name",
    "description",
    "sources",
    "seed",
    "duration",
    "faults",
    "assets",
    "markets",
    "exchange",
    "policy",
    "identity",
    "custody",
    "network",
    "agents",
    "expect",
    "variants",
];

pub(crate) const ASSET_FIELDS: [&str; 8] = [
    "decimals",
    custody::ASSET_CUSTODY_FIELDS[0],
    custody::ASSET_CUSTODY_FIELDS[1],
    custody::ASSET_CUSTODY_FIELDS[2],
    custody::ASSET_CUSTODY_FIELDS[3],
    custody::ASSET_CUSTODY_FIELDS[4],
    custody::ASSET_CUSTODY_FIELDS[5],
    custody::ASSET_CUSTODY_FIELDS[6],
];

pub(crate) const MARKET_FIELDS: [&str; 9] =
    ["base", "quote", "tick", "lot", "maker_fee_bps", "taker_fee_bps", "initial_price", "volatility_ticks", "step"];

pub(crate) const EXCHANGE_FIELDS: [&str; 7] =
    ["quote_ttl", "quote_spread_bps", "flush_interval", "crash_at", "crash_mean_interval", "recovery", "house_funding"];

pub(crate) const NETWORK_FIELDS: [&str; 8] = [
    "latency_min",
    "latency_jitter_mean",
    "loss",
    "duplicate",
    "reorder",
    "reorder_delay",
    "retry_timeout",
    "max_retries",
];

pub(crate) const EXPECT_FIELDS: [&str; 10] = [
    "violated",
    "stolen_at_least",
    "stolen_at_most",
    "shortfall_at_least",
    "shortfall_at_most",
    "detected_within",
    "taken_over_at_least",
    "taken_over_at_most",
    "exposed_at_least",
    "exposed_at_most",
];

const MS: u64 = 1_000_000;
const US: u64 = 1_000;
const S: u64 = 1_000_000_000;

/// The exchange settings used when the file does not say (documented in scenarios/README.md).
pub(crate) fn default_exchange() -> ExchangeSettings {
    ExchangeSettings {
        quote_ttl_ns: 2 * S,
        quote_spread_bps: 20,
        flush_interval_ns: MS,
        crash_at_ns: Vec::new(),
        crash_mean_interval_ns: 0,
        recovery_ns: 5 * MS,
        house_funding: Vec::new(),
    }
}

/// The network settings used when the file does not say (documented in scenarios/README.md).
pub(crate) fn default_network() -> NetworkSettings {
    NetworkSettings {
        latency_min_ns: 100 * US,
        latency_jitter_mean_ns: 400 * US,
        loss_ppm: 1_000,
        duplicate_ppm: 1_000,
        reorder_ppm: 10_000,
        reorder_delay_ns: 2 * MS,
        retry_timeout_ns: 50 * MS,
        max_retries: 5,
    }
}

/// Builds one run from a document whose overrides are already applied. `variant` is `base` or
/// the variant's name.
pub(crate) fn build(ctx: &Ctx<'_>, root: &Table, variant: &str) -> Result<Scenario> {
    let top = Fields::root(ctx, root, &TOP_FIELDS)?;
    let name_node = top.require(ctx, "name", "name = \"quickstart\"")?;
    let name = string(ctx, name_node, "name")?;
    check_name(name, false).map_err(|m| ctx.error(name_node.origin, "name", m))?;
    let description = top.opt("description", Arc::from(""), |n, p| shared_string(ctx, n, p))?;
    let sources = top.opt("sources", Vec::new(), |n, p| {
        let items = array(ctx, n, p, "[\"INCIDENTS.md#mt-gox\"]")?;
        if items.len() > MAX_SOURCES {
            return Err(ctx.error(
                n.origin,
                p,
                format!("{} sources, more than the maximum of {MAX_SOURCES}", items.len()),
            ));
        }
        items.iter().enumerate().map(|(i, item)| shared_string(ctx, item, &format!("{p}[{i}]"))).collect()
    })?;
    let seed = top.opt("seed", 1, |n, p| uint(ctx, n, p, 0, i64::MAX as u64))?;
    let duration_ns =
        duration(ctx, top.require(ctx, "duration", "duration = \"2s\"")?, "duration", 1, MAX_DURATION_NS)?;
    let faults = top.opt("faults", FaultSet::NONE, |n, p| faults(ctx, n, p))?;
    let mut custody =
        top.opt("custody", custody::default_custody(), |n, p| custody::timings(ctx, n, p, duration_ns))?;
    let run_ns = duration_ns.saturating_add(custody.healing_ns);
    let assets = assets(ctx, top.require(ctx, "assets", "[assets.BTC] decimals = 8")?, run_ns, &mut custody)?;
    let mut identity = identity::default_identity();
    if let Some(node) = top.get("policy") {
        custody::policy(ctx, node, "policy", &mut custody)?;
        identity::policy(ctx, node, "policy", &mut identity)?;
    }
    if let Some(node) = top.get("identity") {
        identity::habits(ctx, node, "identity", &mut identity)?;
    }
    let (markets, built) = markets(ctx, top.require(ctx, "markets", "[markets.BTC-USD] base = \"BTC\" …")?, &assets)?;
    let exchange = top.opt("exchange", default_exchange(), |n, p| exchange(ctx, n, p, duration_ns, &assets))?;
    let network = top.opt("network", default_network(), |n, p| network(ctx, n, p))?;
    let agents = top.opt("agents", Vec::new(), |n, p| agents::groups(ctx, n, p, &assets, &markets, &built))?;
    let expect = top.opt("expect", Expectations::default(), |n, p| expect(ctx, n, p, &assets))?;
    Ok(Scenario {
        name: name.to_owned(),
        variant: variant.to_owned(),
        description,
        sources,
        seed,
        duration_ns,
        assets,
        markets,
        exchange,
        network,
        custody,
        identity,
        faults,
        agents,
        expect,
    })
}

fn faults(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<FaultSet> {
    let mut set = FaultSet::NONE;
    for (i, item) in array(ctx, node, path, "[\"ioc_rests\"]")?.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let fault: Fault = string(ctx, item, &item_path)?.parse().map_err(|e| match e {
            FaultError::Unknown { name, hint } => ctx.error(
                item.origin,
                &item_path,
                format!("unknown fault `{}`{hint}; `exsim list faults` lists them", shown(&name)),
            ),
            other => ctx.error(item.origin, &item_path, other.to_string()),
        })?;
        if set.has(fault) {
            return Err(ctx.error(item.origin, &item_path, format!("fault `{fault}` is listed twice")));
        }
        set.insert(fault);
    }
    Ok(set)
}

fn assets(ctx: &Ctx<'_>, node: &Node, run_ns: u64, custody: &mut CustodySettings) -> Result<Vec<Asset>> {
    let table = Fields::any(ctx, node, "assets")?;
    if table.table.entries().is_empty() {
        return Err(ctx.error(
            node.origin,
            "assets",
            "at least one asset is required, e.g. `[assets.BTC] decimals = 8`",
        ));
    }
    if table.table.entries().len() > MAX_ASSETS {
        return Err(ctx.error(node.origin, "assets", format!("more than {MAX_ASSETS} assets")));
    }
    let mut assets = Vec::with_capacity(table.table.entries().len());
    for entry in table.table.entries() {
        let path = join("assets", &entry.key);
        let fields = Fields::open(ctx, &entry.node, &path, &ASSET_FIELDS)?;
        let decimals_node = fields.require(ctx, "decimals", "decimals = 8")?;
        let decimals = uint(ctx, decimals_node, &fields.path("decimals"), 0, u64::from(DECIMALS_MAX))?;
        let decimals = u8::try_from(decimals).unwrap_or(DECIMALS_MAX);
        let asset = Asset::new(&entry.key, decimals).map_err(|e| {
            let message = if entry.key.len() > 12 {
                format!("asset symbol \"{}\" must be 1 to 12 characters of A-Z and 0-9", shown(&entry.key))
            } else {
                e.to_string()
            };
            ctx.error(entry.key_origin, &path, message)
        })?;
        custody::asset(ctx, &fields, &asset, run_ns, custody)?;
        assets.push(asset);
    }
    Ok(assets)
}

fn markets(ctx: &Ctx<'_>, node: &Node, assets: &[Asset]) -> Result<(Vec<MarketSetup>, Vec<Market>)> {
    let table = Fields::any(ctx, node, "markets")?;
    if table.table.entries().is_empty() {
        return Err(ctx.error(
            node.origin,
            "markets",
            "at least one market is required, e.g. `[markets.BTC-USD] base = \"BTC\" quote = \"USD\" …`",
        ));
    }
    if table.table.entries().len() > MAX_MARKETS {
        return Err(ctx.error(node.origin, "markets", format!("more than {MAX_MARKETS} markets")));
    }
    let symbols: Vec<&str> = assets.iter().map(Asset::symbol).collect();
    let mut setups = Vec::with_capacity(table.table.entries().len());
    let mut built = Vec::with_capacity(table.table.entries().len());
    for entry in table.table.entries() {
        let path = join("markets", &entry.key);
        check_name(&entry.key, true).map_err(|m| ctx.error(entry.key_origin, &path, m))?;
        let f = Fields::open(ctx, &entry.node, &path, &MARKET_FIELDS)?;
        let base = lookup(ctx, f.require(ctx, "base", "base = \"BTC\"")?, &f.path("base"), &symbols, "asset")?;
        let quote_node = f.require(ctx, "quote", "quote = \"USD\"")?;
        let quote = lookup(ctx, quote_node, &f.path("quote"), &symbols, "asset")?;
        if base == quote {
            return Err(ctx.error(
                quote_node.origin,
                &f.path("quote"),
                "the quote asset must differ from the base asset",
            ));
        }
        let (base_asset, quote_asset) = (&assets[base], &assets[quote]);
        let positive = |key: &str, example: &str| -> Result<Decimal> {
            let node = f.require(ctx, key, example)?;
            let value = decimal(ctx, node, &f.path(key))?;
            if value.is_zero() {
                return Err(ctx.error(node.origin, &f.path(key), format!("{key} must be positive, e.g. `{example}`")));
            }
            Ok(value)
        };
        let tick_size = positive("tick", "tick = \"0.01\"")?;
        let lot_size = positive("lot", "lot = \"0.0001\"")?;
        // A lot finer than the base's minor unit is called out at the lot itself; one too large
        // is left to `Market::new`, which names the largest amount.
        let fine = exact_scaled(&[lot_size], u32::from(base_asset.decimals())) == Err(Inexact::NotWhole);
        if let (true, Err(e), Some(node)) =
            (fine, whole_steps(lot_size, minor_unit(base_asset), "lot", base_asset.symbol()), f.get("lot"))
        {
            return Err(ctx.error(node.origin, &f.path("lot"), e.to_string()));
        }
        let bps = |key: &str| f.opt(key, 0, |n, p| uint32(ctx, n, p, 0, BPS_ONE));
        let fees = FeeSchedule { maker_bps: bps("maker_fee_bps")?, taker_bps: bps("taker_fee_bps")? };
        let spec = MarketSpec { base: asset_id(base), quote: asset_id(quote), tick_size, lot_size, fees };
        let market = Market::new(&spec, base_asset, quote_asset)
            .map_err(|e| ctx.error(entry.node.origin, &path, e.to_string()))?;
        let price_node = f.require(ctx, "initial_price", "initial_price = \"30000\"")?;
        let price_path = f.path("initial_price");
        let price = decimal(ctx, price_node, &price_path)?;
        let ticks = whole_steps(price, tick_size, "initial_price", quote_asset.symbol())
            .map_err(|e| ctx.error(price_node.origin, &price_path, e.to_string()))?;
        if ticks == 0 {
            return Err(ctx.error(price_node.origin, &price_path, format!("must be at least one tick ({tick_size})")));
        }
        if ticks > MAX_PRICE_TICKS {
            return Err(ctx.error(
                price_node.origin,
                &price_path,
                format!("{price} is {ticks} ticks, more than the maximum of {MAX_PRICE_TICKS} ticks"),
            ));
        }
        let max_price = market.max_price();
        if ticks > max_price.0 {
            let max = market
                .price_to_decimal(max_price)
                .map_or_else(String::new, |d| format!(" ({d} {})", quote_asset.symbol()));
            return Err(ctx.error(
                price_node.origin,
                &price_path,
                format!(
                    "{price} is {ticks} ticks, above this market's highest price of {} ticks{max}: price × tick must \
                     fit a decimal and one lot must cost at most {AMOUNT_MAX} minor units of {}",
                    max_price.0,
                    quote_asset.symbol()
                ),
            ));
        }
        let volatility_ticks = f.opt("volatility_ticks", 0, |n, p| uint(ctx, n, p, 0, MAX_OFFSET_TICKS))?;
        let step_ns = f.opt("step", 10 * MS, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?;
        setups.push(MarketSetup {
            name: entry.key.clone(),
            spec,
            initial_price: Price(ticks),
            max_price,
            volatility_ticks,
            step_ns,
        });
        built.push(market);
    }
    Ok((setups, built))
}

/// `house_funding = { BTC = "100" }`: positive whole minor units of known assets.
fn house_funding(ctx: &Ctx<'_>, node: &Node, path: &str, assets: &[Asset]) -> Result<Vec<(AssetId, Minor)>> {
    asset_amounts(ctx, node, path, assets, 1, MAX_TOTAL_FUNDING, "positive")
}

/// A table of asset symbol → amount (`{ BTC = "1.5" }`): whole minor units of known assets, each
/// within `min..=max` (`what` says the lower bound in words in the error: "positive",
/// "not negative").
fn asset_amounts(
    ctx: &Ctx<'_>,
    node: &Node,
    path: &str,
    assets: &[Asset],
    min: Minor,
    max: Minor,
    what: &str,
) -> Result<Vec<(AssetId, Minor)>> {
    let table = Fields::any(ctx, node, path)?;
    let symbols: Vec<&str> = assets.iter().map(Asset::symbol).collect();
    let mut out = Vec::with_capacity(table.table.entries().len());
    for entry in table.table.entries() {
        let entry_path = join(path, &entry.key);
        let key = Node { origin: entry.key_origin, value: super::tree::Value::Str(entry.key.as_str().into()) };
        let a = lookup(ctx, &key, &entry_path, &symbols, "asset")?;
        let value = decimal(ctx, &entry.node, &entry_path)?;
        let minor = crate::units::decimal::amount_to_minor(&assets[a], value)
            .map_err(|e| ctx.error(entry.node.origin, &entry_path, e.to_string()))?;
        if !(min..=max).contains(&minor) {
            return Err(ctx.error(
                entry.node.origin,
                &entry_path,
                format!("must be {what} and at most {max} minor units of {}", entry.key),
            ));
        }
        out.push((asset_id(a), minor));
    }
    Ok(out)
}

fn exchange(ctx: &Ctx<'_>, node: &Node, path: &str, duration_ns: u64, assets: &[Asset]) -> Result<ExchangeSettings> {
    let f = Fields::open(ctx, node, path, &EXCHANGE_FIELDS)?;
    let d = default_exchange();
    let crash_at_ns = f.opt("crash_at", Vec::new(), |n, p| {
        let items = array(ctx, n, p, "[\"1s\", \"1.5s\"]")?;
        if items.len() > MAX_CRASHES {
            return Err(ctx.error(n.origin, p, format!("more than {MAX_CRASHES} crashes")));
        }
        let mut times = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{p}[{i}]");
            let at = duration(ctx, item, &item_path, 0, MAX_DURATION_NS)?;
            if at > duration_ns {
                return Err(ctx.error(
                    item.origin,
                    &item_path,
                    format!("a crash at {} is after the end of the run ({})", format_ns(at), format_ns(duration_ns)),
                ));
            }
            times.push(at);
        }
        times.sort_unstable();
        Ok(times)
    })?;
    Ok(ExchangeSettings {
        quote_ttl_ns: f.opt("quote_ttl", d.quote_ttl_ns, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?,
        quote_spread_bps: f.opt("quote_spread_bps", d.quote_spread_bps, |n, p| uint32(ctx, n, p, 0, BPS_ONE))?,
        flush_interval_ns: f
            .opt("flush_interval", d.flush_interval_ns, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?,
        crash_mean_interval_ns: f.opt("crash_mean_interval", d.crash_mean_interval_ns, |n, p| {
            let mean = duration(ctx, n, p, 0, MAX_DURATION_NS)?;
            crash_budget(duration_ns, mean, crash_at_ns.len()).map_err(|e| ctx.error(n.origin, p, e))?;
            Ok(mean)
        })?,
        crash_at_ns,
        recovery_ns: f.opt("recovery", d.recovery_ns, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS))?,
        house_funding: f.opt("house_funding", Vec::new(), |n, p| house_funding(ctx, n, p, assets))?,
    })
}

/// Refuses a run whose crashes, scheduled and random (`duration / mean`) together, could pass
/// [`MAX_CRASHES`]: each crash costs a recovery, so this bounds a run's work; it also names the
/// smallest mean interval that would do.
fn crash_budget(duration_ns: u64, mean_ns: u64, scheduled: usize) -> std::result::Result<(), String> {
    let scheduled = scheduled as u64;
    let random = duration_ns.checked_div(mean_ns).unwrap_or(0);
    let room = (MAX_CRASHES as u64).saturating_sub(scheduled);
    if random <= room {
        return Ok(());
    }
    // The smallest interval that keeps within the bound, rounded up to its largest whole unit.
    let exact = duration_ns / (room + 1) + 1;
    let unit = [86_400_000_000_000, 3_600_000_000_000, 60_000_000_000, 1_000_000_000, 1_000_000, 1_000, 1]
        .into_iter()
        .find(|u| exact >= *u)
        .unwrap_or(1);
    let least = exact.div_ceil(unit).saturating_mul(unit);
    Err(format!(
        "{} over a run of {} means about {random} random crashes{}; a run may have at most {MAX_CRASHES} crashes \
         (crash_at and random together): use a crash_mean_interval of at least {} or a shorter duration",
        format_ns(mean_ns),
        format_ns(duration_ns),
        if scheduled > 0 { format!(" besides {scheduled} in crash_at") } else { String::new() },
        format_ns(least),
    ))
}

/// A probability written as a decimal in [0, 1], in whole parts per million (the value
/// toolkit's, so agent kinds read probabilities the same way).
pub(crate) use super::values::ppm;

fn network(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<NetworkSettings> {
    let f = Fields::open(ctx, node, path, &NETWORK_FIELDS)?;
    let d = default_network();
    let time =
        |key: &str, default: u64, min: u64| f.opt(key, default, |n, p| duration(ctx, n, p, min, MAX_DURATION_NS));
    Ok(NetworkSettings {
        latency_min_ns: time("latency_min", d.latency_min_ns, 0)?,
        latency_jitter_mean_ns: time("latency_jitter_mean", d.latency_jitter_mean_ns, 0)?,
        loss_ppm: f.opt("loss", d.loss_ppm, |n, p| ppm(ctx, n, p))?,
        duplicate_ppm: f.opt("duplicate", d.duplicate_ppm, |n, p| ppm(ctx, n, p))?,
        reorder_ppm: f.opt("reorder", d.reorder_ppm, |n, p| ppm(ctx, n, p))?,
        reorder_delay_ns: time("reorder_delay", d.reorder_delay_ns, 0)?,
        retry_timeout_ns: time("retry_timeout", d.retry_timeout_ns, 1)?,
        max_retries: f.opt("max_retries", d.max_retries, |n, p| uint32(ctx, n, p, 0, MAX_RETRIES))?,
    })
}

fn expect(ctx: &Ctx<'_>, node: &Node, path: &str, assets: &[Asset]) -> Result<Expectations> {
    let f = Fields::open(ctx, node, path, &EXPECT_FIELDS)?;
    let violated = f.opt("violated", Vec::new(), |n, p| {
        let ids: Vec<&str> = Invariant::ALL.iter().map(|i| i.id()).collect();
        let mut out: Vec<Invariant> = Vec::new();
        for (i, item) in array(ctx, n, p, "[\"tif_respected\"]")?.iter().enumerate() {
            let item_path = format!("{p}[{i}]");
            let id = string(ctx, item, &item_path)?;
            let Some(invariant) = Invariant::from_id(id) else {
                let hint = hint(id, ids.iter().copied());
                return Err(ctx.error(
                    item.origin,
                    &item_path,
                    format!("unknown invariant `{}`{hint}; `exsim list invariants` lists them", shown(id)),
                ));
            };
            if out.contains(&invariant) {
                return Err(ctx.error(item.origin, &item_path, format!("invariant `{id}` is listed twice")));
            }
            out.push(invariant);
        }
        Ok(out)
    })?;
    // Breach bounds: whole minor units of known assets, 0 ..= AMOUNT_MAX.
    let bounds =
        |name: &str| f.opt(name, Vec::new(), |n, p| asset_amounts(ctx, n, p, assets, 0, AMOUNT_MAX, "not negative"));
    Ok(Expectations {
        violated,
        stolen_at_least: bounds("stolen_at_least")?,
        stolen_at_most: bounds("stolen_at_most")?,
        shortfall_at_least: bounds("shortfall_at_least")?,
        shortfall_at_most: bounds("shortfall_at_most")?,
        detected_within_ns: f.opt("detected_within", None, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS).map(Some))?,
        taken_over_at_least: f
            .opt("taken_over_at_least", None, |n, p| uint(ctx, n, p, 0, u64::from(u32::MAX)).map(Some))?,
        taken_over_at_most: f
            .opt("taken_over_at_most", None, |n, p| uint(ctx, n, p, 0, u64::from(u32::MAX)).map(Some))?,
        exposed_at_least: f.opt("exposed_at_least", None, |n, p| uint(ctx, n, p, 0, u64::from(u32::MAX)).map(Some))?,
        exposed_at_most: f.opt("exposed_at_most", None, |n, p| uint(ctx, n, p, 0, u64::from(u32::MAX)).map(Some))?,
    })
}
