//! `[agents.NAME]` groups: the common fields (kind, count, start, stop, funding), the kind (from
//! the registry `sim::agents::KINDS`), and [`KindFields`], through which each kind's own parser
//! (in its file under `sim/agents/`) reads its parameters and their defaults.
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
use super::model::{AgentGroup, MarketSetup};
use super::tree::{hint, join, Node};
use super::values::{decimal, duration, format_ns, last_key, string, uint, uint32, unknown_field, Fields};
use crate::shown::shown;
use crate::sim::agents::{Kind, KINDS};
use crate::units::decimal::{amount_to_minor, whole_steps};
use crate::units::{Asset, AssetId, Market, MarketId, Minor};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Fields every group has.
pub(crate) const COMMON_FIELDS: [&str; 5] = ["kind", "count", "start", "stop", "funding"];

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
        let kind = kind(ctx, &f)?;
        let (name, own) = (kind.about.name, kind.about.fields);
        for e in f.table.entries() {
            let key = e.key.as_str();
            if COMMON_FIELDS.contains(&key) || own.contains(&key) {
                continue;
            }
            let allowed: Vec<&str> = COMMON_FIELDS.iter().chain(own).copied().collect();
            let owners: Vec<&str> =
                KINDS.iter().filter(|k| k.about.fields.contains(&key)).map(|k| k.about.name).collect();
            if !owners.is_empty() {
                return Err(ctx.error(
                    e.key_origin,
                    &f.path(key),
                    format!(
                        "field `{key}` does not apply to kind `{name}` (only to {}); fields of `{name}`: {}",
                        owners.join(", "),
                        allowed.join(", ")
                    ),
                ));
            }
            return Err(unknown_field(ctx, e.key_origin, &group_path, key, &allowed, &format!(" for kind `{name}`")));
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
        let behaviour = (kind.parse)(&KindFields { env: &env, f: &f })?;
        groups.push(AgentGroup { name: entry.key.clone(), count, start_ns, stop_ns, funding, behaviour });
    }
    Ok(groups)
}

/// The group's kind. A missing kind is reported after unknown keys, so a misspelt `kind` key is
/// called misspelt.
fn kind(ctx: &Ctx<'_>, f: &Fields<'_>) -> Result<&'static Kind> {
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.about.name).collect();
    let Some(node) = f.get("kind") else {
        let mut all: Vec<&str> = COMMON_FIELDS.to_vec();
        for k in KINDS {
            all.extend(k.about.fields.iter().filter(|k| !all.contains(k)).copied().collect::<Vec<_>>());
        }
        f.check(ctx, &all)?;
        let message = format!("missing required field `kind`; one of: {}", kinds.join(", "));
        return Err(ctx.error(f.origin, &f.path("kind"), message));
    };
    let name = string(ctx, node, &f.path("kind"))?;
    match KINDS.iter().find(|k| k.about.name == name) {
        Some(k) => Ok(k),
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

/// A group's own fields, as its kind's parser (`sim::agents::<kind>::parse`) reads them. Every
/// reader checks its bounds and reports a [`ScenarioError`] at the field's place.
pub struct KindFields<'a> {
    env: &'a Env<'a>,
    f: &'a Fields<'a>,
}

impl KindFields<'_> {
    /// The required `market`, by name.
    pub fn market(&self) -> Result<MarketId> {
        self.env.market(self.f).map(market_id)
    }

    /// The required asset `key`, by symbol; `example` shows how to write it when missing.
    pub fn asset(&self, key: &str, example: &str) -> Result<AssetId> {
        let node = self.require(key, example)?;
        self.env.asset(node, &self.f.path(key)).map(asset_id)
    }

    /// The required size `key` in base units, as whole lots of `market`: at least one, at most
    /// [`MAX_LOTS`].
    pub fn lots(&self, key: &str, example: &str, market: MarketId) -> Result<u64> {
        self.env.required_lots(self.f, key, example, usize::from(market.0))
    }

    /// The optional duration `key`, in `min..=max` nanoseconds.
    pub fn duration(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| duration(ctx, n, p, min, max))
    }

    /// The optional integer `key`, in `min..=max`.
    pub fn uint(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| uint(ctx, n, p, min, max))
    }

    /// The optional integer `key`, in `min..=max`.
    pub fn uint32(&self, key: &str, default: u32, min: u32, max: u32) -> Result<u32> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| uint32(ctx, n, p, min, max))
    }

    /// The required field `key`, read later (so its presence is checked where the caller says).
    pub(crate) fn require(&self, key: &str, example: &str) -> Result<&Node> {
        self.f.require(self.env.ctx, key, example)
    }

    /// A positive amount of `asset` at `node` (the field `key`), in minor units, at most `max`.
    pub(crate) fn amount(&self, node: &Node, key: &str, asset: AssetId, max: Minor) -> Result<Minor> {
        self.env.amount(node, &self.f.path(key), usize::from(asset.0), max)
    }

    /// An error about field `key`, placed at the first of `at` the group has (or at the group).
    pub fn error(&self, at: &[&str], key: &str, message: String) -> ScenarioError {
        let origin = at.iter().find_map(|k| self.f.get(k)).map_or(self.f.origin, |n| n.origin);
        self.env.ctx.error(origin, &self.f.path(key), message)
    }
}
