//! `[agents.NAME]` groups: the common fields (kind, count, start, stop, funding) and each kind's
//! own parameters, with their defaults.
//!
//! Invariants kept here:
//! - every group names a known kind, and carries only that kind's fields (a field of another
//!   kind is called out as such; a misspelt one gets a "did you mean");
//! - agents reference markets and assets that exist; sizes are whole lots, amounts whole minor
//!   units, all positive and within [`super::limits`];
//! - at most [`MAX_GROUP_COUNT`] agents a group and [`MAX_AGENTS`] in all; the funding of each
//!   asset over all agents stays below [`MAX_TOTAL_FUNDING`]; `stop` is after `start`;
//!   `think_min <= think_max`.

use super::build::{asset_id, lookup, market_id};
use super::context::Ctx;
use super::error::ScenarioError;
use super::limits::*;
use super::model::{AgentGroup, Behaviour, MarketSetup, AGENT_KINDS};
use super::tree::{hint, join, Node};
use super::values::{decimal, duration, format_ns, last_key, string, uint, uint32, unknown_field, Fields};
use crate::shown::shown;
use crate::units::decimal::{amount_to_minor, whole_steps};
use crate::units::{Asset, Market, Minor};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Fields every group has.
pub(crate) const COMMON_FIELDS: [&str; 5] = ["kind", "count", "start", "stop", "funding"];

/// Each kind's own fields, in documentation order (kinds in [`AGENT_KINDS`] order).
pub(crate) const KIND_FIELDS: [(&str, &[&str]); 5] = [
    (
        "market_maker",
        &[
            "market",
            "half_spread_ticks",
            "levels",
            "level_step_ticks",
            "size",
            "refresh",
            "skew_lots_per_tick",
            "max_inventory",
        ],
    ),
    ("noise_trader", &["market", "interval", "max_size", "price_band_ticks"]),
    ("momentum_trader", &["market", "interval", "lookback", "threshold_ticks", "size"]),
    ("rfq_taker", &["market", "interval", "max_size", "think_min", "think_max"]),
    ("depositor", &["asset", "interval", "max_amount", "withdraw_percent"]),
];

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// All groups of `[agents]`, in file order.
pub(crate) fn groups(
    ctx: &Ctx<'_>,
    node: &Node,
    path: &str,
    assets: &[Asset],
    setups: &[MarketSetup],
    markets: &[Market],
) -> Result<Vec<AgentGroup>> {
    let table = Fields::any(ctx, node, path)?;
    if table.table.entries().len() > MAX_GROUPS {
        return Err(ctx.error(node.origin, path, format!("more than {MAX_GROUPS} agent groups")));
    }
    let env = Env { ctx, assets, setups, markets };
    let mut total: u32 = 0;
    let mut funded = vec![0i128; assets.len()];
    let mut groups = Vec::with_capacity(table.table.entries().len());
    for entry in table.table.entries() {
        let group_path = join(path, &entry.key);
        super::values::check_name(&entry.key, false).map_err(|m| ctx.error(entry.key_origin, &group_path, m))?;
        let f = Fields::any(ctx, &entry.node, &group_path)?;
        let (kind, own) = kind(ctx, &f)?;
        for e in f.table.entries() {
            let key = e.key.as_str();
            if COMMON_FIELDS.contains(&key) || own.contains(&key) {
                continue;
            }
            let allowed: Vec<&str> = COMMON_FIELDS.iter().chain(own).copied().collect();
            let owners: Vec<&str> =
                KIND_FIELDS.iter().filter(|(_, fields)| fields.contains(&key)).map(|(k, _)| *k).collect();
            if !owners.is_empty() {
                return Err(ctx.error(
                    e.key_origin,
                    &f.path(key),
                    format!(
                        "field `{key}` does not apply to kind `{kind}` (only to {}); fields of `{kind}`: {}",
                        owners.join(", "),
                        allowed.join(", ")
                    ),
                ));
            }
            return Err(unknown_field(ctx, e.key_origin, &group_path, key, &allowed, &format!(" for kind `{kind}`")));
        }
        let count = f.opt("count", 1, |n, p| uint32(ctx, n, p, 1, MAX_GROUP_COUNT))?;
        total = total.saturating_add(count);
        if total > MAX_AGENTS {
            let at = f.get("count").map_or(f.origin, |n| n.origin);
            return Err(ctx.error(
                at,
                &f.path("count"),
                format!("{total} agents in all, more than the maximum of {MAX_AGENTS}"),
            ));
        }
        let start_ns = f.opt("start", 0, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS))?;
        let stop_ns = f.opt("stop", u64::MAX, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?;
        if let (Some(stop), true) = (f.get("stop"), stop_ns <= start_ns) {
            return Err(ctx.error(
                stop.origin,
                &f.path("stop"),
                format!("stop ({}) must be after start ({})", format_ns(stop_ns), format_ns(start_ns)),
            ));
        }
        let funding = f.opt("funding", Vec::new(), |n, p| funding(&env, n, p, count, &mut funded))?;
        let behaviour = behaviour(&env, &f, kind)?;
        groups.push(AgentGroup { name: entry.key.clone(), count, start_ns, stop_ns, funding, behaviour });
    }
    Ok(groups)
}

/// The group's kind and that kind's fields. A missing kind is reported after unknown keys, so a
/// misspelt `kind` key is called misspelt.
fn kind(ctx: &Ctx<'_>, f: &Fields<'_>) -> Result<(&'static str, &'static [&'static str])> {
    let kinds: Vec<&str> = AGENT_KINDS.iter().map(|(k, _)| *k).collect();
    let Some(node) = f.get("kind") else {
        let mut all: Vec<&str> = COMMON_FIELDS.to_vec();
        for (_, fields) in KIND_FIELDS {
            all.extend(fields.iter().filter(|k| !all.contains(k)).copied().collect::<Vec<_>>());
        }
        f.check(ctx, &all)?;
        let message = format!("missing required field `kind`; one of: {}", kinds.join(", "));
        return Err(ctx.error(f.origin, &f.path("kind"), message));
    };
    let name = string(ctx, node, &f.path("kind"))?;
    match KIND_FIELDS.iter().find(|(k, _)| *k == name) {
        Some(&(k, fields)) => Ok((k, fields)),
        None => {
            let hint = hint(name, kinds.iter().copied());
            let message = format!("unknown agent kind `{}`{hint}; kinds: {}", shown(name), kinds.join(", "));
            Err(ctx.error(node.origin, &f.path("kind"), message))
        }
    }
}

/// What a group's fields are checked against.
struct Env<'a> {
    ctx: &'a Ctx<'a>,
    assets: &'a [Asset],
    setups: &'a [MarketSetup],
    markets: &'a [Market],
}

impl Env<'_> {
    fn market(&self, f: &Fields<'_>) -> Result<usize> {
        let names: Vec<&str> = self.setups.iter().map(|m| m.name.as_str()).collect();
        lookup(self.ctx, f.require(self.ctx, "market", "market = \"BTC-USD\"")?, &f.path("market"), &names, "market")
    }

    fn asset(&self, node: &Node, path: &str) -> Result<usize> {
        let symbols: Vec<&str> = self.assets.iter().map(Asset::symbol).collect();
        lookup(self.ctx, node, path, &symbols, "asset")
    }

    /// A size in base units, as whole lots of market `m`: at least one, at most [`MAX_LOTS`].
    fn lots(&self, node: &Node, path: &str, m: usize) -> Result<u64> {
        let ctx = self.ctx;
        let market = &self.markets[m];
        let base = &self.assets[usize::from(market.base().0)];
        let value = decimal(ctx, node, path)?;
        let lots = whole_steps(value, market.lot_size(), last_key(path), base.symbol())
            .map_err(|e| ctx.error(node.origin, path, e.to_string()))?;
        if lots == 0 {
            let lot = market.lot_size().normalize();
            return Err(ctx.error(node.origin, path, format!("must be at least one lot ({lot} {})", base.symbol())));
        }
        if lots > MAX_LOTS {
            return Err(ctx.error(
                node.origin,
                path,
                format!("{value} {} is {lots} lots, more than the maximum of {MAX_LOTS} lots", base.symbol()),
            ));
        }
        Ok(lots)
    }

    fn required_lots(&self, f: &Fields<'_>, key: &str, example: &str, m: usize) -> Result<u64> {
        self.lots(f.require(self.ctx, key, example)?, &f.path(key), m)
    }

    /// A positive amount of asset `a`, in minor units, at most `max`.
    fn amount(&self, node: &Node, path: &str, a: usize, max: Minor) -> Result<Minor> {
        let ctx = self.ctx;
        let asset = &self.assets[a];
        let value = decimal(ctx, node, path)?;
        let minor = amount_to_minor(asset, value).map_err(|e| ctx.error(node.origin, path, e.to_string()))?;
        if minor == 0 {
            return Err(ctx.error(
                node.origin,
                path,
                format!("amount must be positive, e.g. \"1\" {}", asset.symbol()),
            ));
        }
        if minor > max {
            return Err(ctx.error(
                node.origin,
                path,
                format!("{value} {} is more than the maximum of {max} minor units", asset.symbol()),
            ));
        }
        Ok(minor)
    }
}

fn funding(
    env: &Env<'_>,
    node: &Node,
    path: &str,
    count: u32,
    funded: &mut [i128],
) -> Result<Vec<(crate::units::AssetId, Minor)>> {
    let ctx = env.ctx;
    let table = Fields::any(ctx, node, path)?;
    let mut out = Vec::with_capacity(table.table.entries().len());
    for entry in table.table.entries() {
        let entry_path = join(path, &entry.key);
        let key = Node { origin: entry.key_origin, value: super::tree::Value::Str(entry.key.as_str().into()) };
        let a = env.asset(&key, &entry_path)?;
        let minor = env.amount(&entry.node, &entry_path, a, MAX_TOTAL_FUNDING)?;
        funded[a] += i128::from(count) * minor;
        if funded[a] > MAX_TOTAL_FUNDING {
            return Err(ctx.error(
                entry.node.origin,
                &entry_path,
                format!(
                    "funding of {} over all agents exceeds {MAX_TOTAL_FUNDING} minor units (count × amount, summed)",
                    entry.key
                ),
            ));
        }
        out.push((asset_id(a), minor));
    }
    Ok(out)
}

fn behaviour(env: &Env<'_>, f: &Fields<'_>, kind: &str) -> Result<Behaviour> {
    let ctx = env.ctx;
    let interval = |default: u64| f.opt("interval", default, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS));
    let ticks = |key: &str, default: u64, min: u64| f.opt(key, default, |n, p| uint(ctx, n, p, min, MAX_OFFSET_TICKS));
    Ok(match kind {
        "market_maker" => {
            let m = env.market(f)?;
            let half_spread_ticks = ticks("half_spread_ticks", 5, 1)?;
            let levels = f.opt("levels", 3, |n, p| uint32(ctx, n, p, 1, MAX_LEVELS))?;
            let level_step_ticks = ticks("level_step_ticks", 1, 1)?;
            let reach = half_spread_ticks + u64::from(levels - 1) * level_step_ticks;
            if reach > MAX_OFFSET_TICKS {
                let at = f.get("level_step_ticks").or(f.get("levels")).map_or(f.origin, |n| n.origin);
                return Err(ctx.error(
                    at,
                    &f.path("level_step_ticks"),
                    format!(
                        "the ladder reaches {reach} ticks from fair value, more than the maximum of {MAX_OFFSET_TICKS}"
                    ),
                ));
            }
            Behaviour::MarketMaker {
                market: market_id(m),
                half_spread_ticks,
                levels,
                level_step_ticks,
                size_lots: env.required_lots(f, "size", "size = \"0.01\"", m)?,
                refresh_ns: f.opt("refresh", 50 * MS, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?,
                skew_lots_per_tick: f.opt("skew_lots_per_tick", 100, |n, p| uint(ctx, n, p, 1, MAX_LOTS))?,
                max_inventory_lots: env.required_lots(f, "max_inventory", "max_inventory = \"1\"", m)?,
            }
        }
        "noise_trader" => {
            let m = env.market(f)?;
            Behaviour::NoiseTrader {
                market: market_id(m),
                mean_interval_ns: interval(20 * MS)?,
                size_lots_max: env.required_lots(f, "max_size", "max_size = \"0.05\"", m)?,
                price_band_ticks: ticks("price_band_ticks", 20, 0)?,
            }
        }
        "momentum_trader" => {
            let m = env.market(f)?;
            Behaviour::MomentumTrader {
                market: market_id(m),
                interval_ns: interval(100 * MS)?,
                lookback: f.opt("lookback", 5, |n, p| uint32(ctx, n, p, 1, MAX_LOOKBACK))?,
                threshold_ticks: ticks("threshold_ticks", 10, 1)?,
                size_lots: env.required_lots(f, "size", "size = \"0.01\"", m)?,
            }
        }
        "rfq_taker" => {
            let m = env.market(f)?;
            let think_min_ns = f.opt("think_min", 300 * MS, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS))?;
            let think_max_ns = f.opt("think_max", 2 * S, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS))?;
            if think_min_ns > think_max_ns {
                let at = f.get("think_max").or(f.get("think_min")).map_or(f.origin, |n| n.origin);
                return Err(ctx.error(
                    at,
                    &f.path("think_max"),
                    format!("think_max ({}) is below think_min ({})", format_ns(think_max_ns), format_ns(think_min_ns)),
                ));
            }
            Behaviour::RfqTaker {
                market: market_id(m),
                mean_interval_ns: interval(200 * MS)?,
                size_lots_max: env.required_lots(f, "max_size", "max_size = \"0.02\"", m)?,
                think_min_ns,
                think_max_ns,
            }
        }
        "depositor" => {
            let asset_node = f.require(ctx, "asset", "asset = \"USD\"")?;
            let a = env.asset(asset_node, &f.path("asset"))?;
            let amount_node = f.require(ctx, "max_amount", "max_amount = \"1000\"")?;
            let withdraw_percent = f.opt("withdraw_percent", 40, |n, p| uint(ctx, n, p, 0, 100))?;
            Behaviour::Depositor {
                asset: asset_id(a),
                mean_interval_ns: interval(100 * MS)?,
                amount_max: env.amount(amount_node, &f.path("max_amount"), a, MAX_ACTION_AMOUNT)?,
                withdraw_percent: u8::try_from(withdraw_percent).unwrap_or(100),
            }
        }
        other => return Err(ctx.error(f.origin, &f.path("kind"), format!("agent kind `{other}` has no parameters"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modelled_kind_has_its_fields() {
        let kinds: Vec<&str> = AGENT_KINDS.iter().map(|(k, _)| *k).collect();
        let with_fields: Vec<&str> = KIND_FIELDS.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, with_fields);
    }
}
