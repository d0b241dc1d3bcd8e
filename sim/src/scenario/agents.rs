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
//!   `think_min <= think_max`;
//! - `api_key` is one of `none`, `trade`, `trade+withdraw` (a located error otherwise).

use super::context::Ctx;
use super::error::ScenarioError;
use super::kind_fields::{Env, KindFields};
use super::limits::*;
use super::model::{AgentGroup, MarketSetup};
use super::tree::{hint, join, Node};
use super::values::{asset_id, boolean, duration, format_ns, lookup, string, uint32, unknown_field, Fields};
use crate::agents::{Kind, KINDS};
use crate::exchange::{Role, Scopes};
use crate::shown::shown;
use crate::units::{Asset, Market, Minor};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Fields every group has.
pub(crate) const COMMON_FIELDS: [&str; 8] =
    ["kind", "count", "start", "stop", "funding", "privileged", "role", "api_key"];

/// `api_key` values, and the scopes of the key each asks for (`none`: no key).
const API_KEYS: [(&str, Option<Scopes>); 3] =
    [("none", None), ("trade", Some(Scopes::TRADE)), ("trade+withdraw", Some(Scopes::ALL))];

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
    let market_names: Vec<&str> = setups.iter().map(|m| m.name.as_str()).collect();
    let env = Env { ctx, assets, market_names: &market_names, markets };
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
        let behaviour = (kind.parse)(&KindFields::new(&env, &f))?;
        let privileged = f.opt("privileged", false, |n, p| boolean(ctx, n, p))?;
        let role = f.opt("role", Role::Customer, |n, p| {
            let names = Role::ALL.map(Role::name);
            Ok(Role::ALL[lookup(ctx, n, p, &names, "role")?])
        })?;
        let api_key = f.opt("api_key", None, |n, p| {
            let names = API_KEYS.map(|(name, _)| name);
            Ok(API_KEYS[lookup(ctx, n, p, &names, "api_key")?].1)
        })?;
        let attacker = kind.about.attacker;
        groups.push(AgentGroup {
            name: entry.key.clone(),
            count,
            start_ns,
            stop_ns,
            funding,
            behaviour,
            privileged,
            role,
            api_key,
            attacker,
        });
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

#[cfg(test)]
mod tests {
    use super::COMMON_FIELDS;
    use crate::agents::KINDS;
    use crate::exchange::Scopes;

    fn with_api_key(value: &str) -> Result<crate::scenario::ScenarioFile, crate::scenario::ScenarioError> {
        let source = format!(
            "name = \"k\"\nduration = \"1s\"\n[assets.BTC]\ndecimals = 8\n[assets.USD]\ndecimals = 2\n[markets.BTC-USD]\nbase = \"BTC\"\nquote = \"USD\"\ntick = \"1\"\nlot = \"0.01\"\ninitial_price = \"100\"\n[agents.bots]\nkind = \"noise_trader\"\nmarket = \"BTC-USD\"\nmax_size = \"0.01\"\n{value}\n"
        );
        crate::scenario::parse(&source, "k.toml", &[])
    }

    #[test]
    fn api_key_names_the_scopes_and_a_bad_one_is_a_located_error() {
        for (value, want) in [
            ("", None),
            ("api_key = \"none\"", None),
            ("api_key = \"trade\"", Some(Scopes::TRADE)),
            ("api_key = \"trade+withdraw\"", Some(Scopes::ALL)),
        ] {
            let file = with_api_key(value).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(file.runs[0].agents[0].api_key, want, "{value}");
        }
        let e = with_api_key("api_key = \"trade+withdrw\"").unwrap_err().to_string();
        assert!(e.contains("k.toml:17:11") && e.contains("agents.bots.api_key") && e.contains("trade+withdraw"), "{e}");
    }

    #[test]
    fn kinds_have_distinct_names_and_no_field_shadows_a_common_one() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(KINDS[..i].iter().all(|o| o.about.name != k.about.name), "{} listed twice", k.about.name);
            for field in k.about.fields {
                assert!(!COMMON_FIELDS.contains(field), "{}: `{field}` is a common field", k.about.name);
            }
            assert!(!k.about.about.is_empty(), "{} has no catalogue line", k.about.name);
        }
    }
}
