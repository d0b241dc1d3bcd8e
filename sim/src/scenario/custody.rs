//! Custody as a scenario sets it: each asset's custody fields (`[assets.SYMBOL]`: its chain and
//! its withdrawal policy), the exchange-wide `[policy]`, and the simulator's custody timings
//! (`[custody]`), into [`CustodySettings`].
//!
//! Invariants kept here:
//! - every field has a default (below, and in scenarios/README.md), so a file without custody
//!   fields gives exactly [`CustodyPolicy::default`]'s per-asset policy;
//! - amounts are whole positive minor units of their asset, at most [`AMOUNT_MAX`], or `"none"`;
//!   shares are whole basis points of at most 100%; durations whole nanoseconds within
//!   [`MAX_DURATION_NS`];
//! - a chain makes at most [`MAX_BLOCKS`] blocks over the run and its healing phase, and the
//!   reserves monitor checks at most as often, so no accepted file makes a run's work unbounded;
//! - a `[policy]` field of a policy not modelled yet is refused (see `policies.rs`);
//! - the trading policy's fields (`circuit_breaker`, `circuit_breaker_halt`, `freeze_on_alert`)
//!   default to [`TradingPolicy::default`]: no breaker, freeze on alert; a band is whole basis
//!   points from 0.01% to 100%, a halt a positive duration.

use super::context::Ctx;
use super::error::ScenarioError;
use super::limits::{MAX_BLOCKS, MAX_CONFIRMATIONS, MAX_DURATION_NS, MIN_BLOCK_INTERVAL_NS};
use super::model::{ChainSettings, CustodySettings};
use super::policies::{by_policy_key, NOT_MODELLED};
use super::tree::{Node, Value};
use super::values::{boolean, decimal, duration, format_ns, parse_decimal, share_bps, uint32, unknown_field, Fields};
use crate::exchange::{AssetPolicy, CircuitBreaker, CustodyPolicy, TradingPolicy};
use crate::units::decimal::amount_to_minor;
use crate::units::market::BPS_ONE;
use crate::units::{Asset, Minor, AMOUNT_MAX};

type Result<T> = std::result::Result<T, ScenarioError>;

/// An asset's custody fields (besides `decimals`), in documentation order.
pub(crate) const ASSET_CUSTODY_FIELDS: [&str; 7] =
    ["confirmations", "block_interval", "daily_limit", "outflow_cap", "outflow_window", "review_above", "hot_share"];

/// `[policy]` fields that are modelled, in documentation order.
pub(crate) const POLICY_FIELDS: [&str; 6] = [
    "withdrawal_whitelist",
    "whitelist_delay",
    "hot_wallet_multisig",
    "circuit_breaker",
    "circuit_breaker_halt",
    "freeze_on_alert",
];

/// How long a market halts when `circuit_breaker_halt` is not given.
pub(crate) const DEFAULT_HALT_NS: u64 = 5 * 60 * S;

/// Every modelled `[policy]` field: custody's, then identity's.
fn modelled_fields() -> Vec<&'static str> {
    POLICY_FIELDS.iter().chain(super::identity::POLICY_FIELDS.iter()).copied().collect()
}

/// `[custody]` fields, in documentation order.
pub(crate) const CUSTODY_FIELDS: [&str; 7] =
    ["withdrawal_delay", "review_delay", "review_approves", "sweep_delay", "reserves_check", "alarm_delay", "healing"];

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;
const H: u64 = 3_600 * S;

/// The chain of an asset whose file does not say.
pub(crate) const DEFAULT_CHAIN: ChainSettings = ChainSettings { block_interval_ns: S };

/// Custody settings when the file says nothing (per-asset entries are added as assets are read).
pub(crate) fn default_custody() -> CustodySettings {
    CustodySettings {
        policy: CustodyPolicy { assets: Vec::new(), whitelist: false, whitelist_delay_ns: 24 * H, hot_multisig: false },
        trading: TradingPolicy::default(),
        chains: Vec::new(),
        withdrawal_delay_ns: 100 * MS,
        review_delay_ns: H,
        review_approves: true,
        sweep_delay_ns: 10 * 60 * S,
        reserves_check_ns: 60 * S,
        alarm_delay_ns: 0,
        healing_ns: 0,
    }
}

/// `[custody]`: the simulator's timings. `duration_ns` is the run's fault phase.
pub(crate) fn timings(ctx: &Ctx<'_>, node: &Node, path: &str, duration_ns: u64) -> Result<CustodySettings> {
    let f = Fields::open(ctx, node, path, &CUSTODY_FIELDS)?;
    let d = default_custody();
    let time = |key: &str, default: u64| f.opt(key, default, |n, p| duration(ctx, n, p, 0, MAX_DURATION_NS));
    let healing_ns = time("healing", d.healing_ns)?;
    let run_ns = duration_ns.saturating_add(healing_ns);
    let reserves_check_ns = f.opt("reserves_check", d.reserves_check_ns, |n, p| {
        let every = duration(ctx, n, p, 0, MAX_DURATION_NS)?;
        if every == 0 {
            return Ok(0);
        }
        if every < MIN_BLOCK_INTERVAL_NS {
            return Err(ctx.error(
                n.origin,
                p,
                format!("must be 0s (no monitor) or at least {}", format_ns(MIN_BLOCK_INTERVAL_NS)),
            ));
        }
        within_budget(run_ns, every, "reserves checks").map_err(|m| ctx.error(n.origin, p, m))?;
        Ok(every)
    })?;
    Ok(CustodySettings {
        withdrawal_delay_ns: time("withdrawal_delay", d.withdrawal_delay_ns)?,
        review_delay_ns: time("review_delay", d.review_delay_ns)?,
        review_approves: f.opt("review_approves", d.review_approves, |n, p| boolean(ctx, n, p))?,
        sweep_delay_ns: time("sweep_delay", d.sweep_delay_ns)?,
        reserves_check_ns,
        alarm_delay_ns: time("alarm_delay", d.alarm_delay_ns)?,
        healing_ns,
        ..d
    })
}

/// `[policy]`: the exchange-wide custody policy, into `custody.policy`.
pub(crate) fn policy(ctx: &Ctx<'_>, node: &Node, path: &str, custody: &mut CustodySettings) -> Result<()> {
    let f = Fields::any(ctx, node, path)?;
    for e in f.table.entries() {
        let key = e.key.as_str();
        if POLICY_FIELDS.contains(&key) || super::identity::POLICY_FIELDS.contains(&key) {
            continue;
        }
        if let Some(p) = by_policy_key(key) {
            return Err(ctx.error(
                e.key_origin,
                &f.path(key),
                format!(
                    "policy `{}` is {NOT_MODELLED}, so setting it would change nothing; modelled: {}",
                    p.name,
                    modelled_fields().join(", ")
                ),
            ));
        }
        return Err(unknown_field(ctx, e.key_origin, path, key, &modelled_fields(), ""));
    }
    let p = &mut custody.policy;
    p.whitelist = f.opt("withdrawal_whitelist", p.whitelist, |n, q| boolean(ctx, n, q))?;
    p.whitelist_delay_ns =
        f.opt("whitelist_delay", p.whitelist_delay_ns, |n, q| duration(ctx, n, q, 0, MAX_DURATION_NS))?;
    p.hot_multisig = f.opt("hot_wallet_multisig", p.hot_multisig, |n, q| boolean(ctx, n, q))?;
    let t = &mut custody.trading;
    let band = f.opt("circuit_breaker", None, |n, q| breaker_band(ctx, n, q))?;
    let halt_ns = f.opt("circuit_breaker_halt", None, |n, q| duration(ctx, n, q, 1, MAX_DURATION_NS).map(Some))?;
    if let (None, Some(_)) = (band, halt_ns) {
        let at = f.get("circuit_breaker_halt").map_or(f.origin, |n| n.origin);
        return Err(ctx.error(
            at,
            &f.path("circuit_breaker_halt"),
            "a halt without a circuit breaker changes nothing: set `circuit_breaker` to a band such as \"10%\", \
             or remove `circuit_breaker_halt`",
        ));
    }
    t.circuit_breaker = band.map(|band_bps| CircuitBreaker { band_bps, halt_ns: halt_ns.unwrap_or(DEFAULT_HALT_NS) });
    t.freeze_on_alert = f.opt("freeze_on_alert", t.freeze_on_alert, |n, q| boolean(ctx, n, q))?;
    Ok(())
}

/// `circuit_breaker`: `"none"`, or the band's half-width as a percentage of the reference price,
/// `"0.01%"` to `"100%"`.
fn breaker_band(ctx: &Ctx<'_>, node: &Node, path: &str) -> Result<Option<u32>> {
    if matches!(&node.value, Value::Str(s) if s.as_ref() == "none") {
        return Ok(None);
    }
    share_bps(ctx, node, path, 1, BPS_ONE).map(Some).map_err(|mut e| {
        e.message.push_str(", or \"none\" for no circuit breaker");
        e
    })
}

/// An asset's custody fields from its `[assets.SYMBOL]` table (keys already checked), into
/// `custody`'s next policy and chain entries. `run_ns` is the run's duration plus healing.
pub(crate) fn asset(
    ctx: &Ctx<'_>,
    f: &Fields<'_>,
    asset: &Asset,
    run_ns: u64,
    custody: &mut CustodySettings,
) -> Result<()> {
    let d = AssetPolicy::default();
    let amount = |key: &str| f.opt(key, None, |n, p| limit(ctx, n, p, asset));
    let block_interval_ns = f.opt("block_interval", DEFAULT_CHAIN.block_interval_ns, |n, p| {
        duration(ctx, n, p, MIN_BLOCK_INTERVAL_NS, MAX_DURATION_NS)
    })?;
    // The default interval is held to the same budget: a long run or healing phase can need a
    // longer one.
    within_budget(run_ns, block_interval_ns, "blocks").map_err(|m| {
        let (at, default) = match f.get("block_interval") {
            Some(n) => (n.origin, ""),
            None => (f.origin, " (the default block_interval)"),
        };
        ctx.error(at, &f.path("block_interval"), format!("{m}{default}"))
    })?;
    let policy = AssetPolicy {
        confirmations: f.opt("confirmations", d.confirmations, |n, p| uint32(ctx, n, p, 1, MAX_CONFIRMATIONS))?,
        daily_limit: amount("daily_limit")?,
        outflow_cap: amount("outflow_cap")?,
        outflow_window_ns: f
            .opt("outflow_window", d.outflow_window_ns, |n, p| duration(ctx, n, p, 1, MAX_DURATION_NS))?,
        review_above: amount("review_above")?,
        hot_share_bps: f.opt("hot_share", d.hot_share_bps, |n, p| share_bps(ctx, n, p, 0, BPS_ONE))?,
    };
    custody.policy.assets.push(policy);
    custody.chains.push(ChainSettings { block_interval_ns });
    Ok(())
}

/// `"none"`, or a positive amount of `asset` in minor units, at most [`AMOUNT_MAX`].
fn limit(ctx: &Ctx<'_>, node: &Node, path: &str, asset: &Asset) -> Result<Option<Minor>> {
    if matches!(&node.value, Value::Str(s) if s.as_ref() == "none") {
        return Ok(None);
    }
    let value = match &node.value {
        Value::Str(s) => {
            parse_decimal(s).map_err(|m| ctx.error(node.origin, path, format!("{m}, or \"none\" for no limit")))?
        }
        _ => decimal(ctx, node, path)?,
    };
    let minor = amount_to_minor(asset, value).map_err(|e| ctx.error(node.origin, path, e.to_string()))?;
    if minor <= 0 || minor > AMOUNT_MAX {
        return Err(ctx.error(
            node.origin,
            path,
            format!(
                "must be positive and at most {AMOUNT_MAX} minor units of {}, or \"none\" for no limit",
                asset.symbol()
            ),
        ));
    }
    Ok(Some(minor))
}

/// Refuses an interval that would make more than [`MAX_BLOCKS`] `what` over `run_ns`, naming the
/// shortest interval that would do.
fn within_budget(run_ns: u64, every_ns: u64, what: &str) -> std::result::Result<(), String> {
    let count = run_ns.checked_div(every_ns).unwrap_or(0);
    if count <= MAX_BLOCKS {
        return Ok(());
    }
    let least = run_ns.div_ceil(MAX_BLOCKS);
    Err(format!(
        "{} over a run of {} (duration plus custody.healing) makes {count} {what}, more than the maximum of \
         {MAX_BLOCKS}: use at least {}",
        format_ns(every_ns),
        format_ns(run_ns),
        format_ns(least.div_ceil(MS).saturating_mul(MS)),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::policies::POLICIES;
    use super::super::values::parse_duration;
    use super::*;

    /// The catalogue's default of the policy set by `field`.
    fn listed(field: &str) -> &'static str {
        POLICIES.iter().find(|p| p.field == field).map(|p| p.default).unwrap_or_else(|| panic!("{field}"))
    }

    #[test]
    fn the_catalogue_lists_the_defaults_the_parser_uses() {
        let d = default_custody();
        let a = AssetPolicy::default();
        assert_eq!(listed("policy.withdrawal_whitelist"), d.policy.whitelist.to_string());
        assert_eq!(parse_duration(listed("policy.whitelist_delay")), Ok(d.policy.whitelist_delay_ns));
        assert_eq!(listed("policy.hot_wallet_multisig"), d.policy.hot_multisig.to_string());
        for (field, value) in [
            ("assets.SYMBOL.daily_limit", a.daily_limit),
            ("assets.SYMBOL.outflow_cap", a.outflow_cap),
            ("assets.SYMBOL.review_above", a.review_above),
        ] {
            assert_eq!((listed(field), value), ("none", None));
        }
        assert_eq!((listed("assets.SYMBOL.hot_share"), a.hot_share_bps), ("100%", BPS_ONE));
        let i = super::super::identity::default_identity().policy;
        for (field, value) in [
            ("policy.login_2fa", i.login_2fa),
            ("policy.withdrawal_2fa", i.withdrawal_2fa),
            ("policy.password_reset_2fa", i.reset_2fa),
            ("policy.api_key_withdraw_scope", i.api_key_withdraw_scope),
            ("policy.api_key_ip_allowlist", i.api_key_ip_allowlist),
            ("policy.operator_mailbox_2fa", i.operator_mailbox_2fa),
        ] {
            assert_eq!(listed(field), value.to_string(), "{field}");
        }
        let t = TradingPolicy::default();
        assert_eq!((listed("policy.circuit_breaker"), t.circuit_breaker), ("none", None));
        assert_eq!(listed("policy.freeze_on_alert"), t.freeze_on_alert.to_string());
        assert_eq!(d.trading, t);
        for p in POLICIES.iter().filter(|p| p.modelled) {
            let key = p.field.rsplit('.').next().unwrap_or(p.field);
            let known = modelled_fields().contains(&key) || ASSET_CUSTODY_FIELDS.contains(&key);
            assert!(known, "{}: no parser reads `{key}`", p.name);
        }
    }
}
