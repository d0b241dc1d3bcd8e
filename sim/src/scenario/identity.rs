//! Identity as a scenario sets it: the identity policies of `[policy]` (second factors, API
//! keys), and the population's habits in `[identity]` (how many customers enabled 2FA, how many
//! reuse a password that leaked elsewhere, how many customers besides the agents) and the outside
//! world around the operator in `[identity]` too (the operator's reused password, source
//! hosting's IP restriction, whether the server-side keys are reachable from the source, after
//! how many service resets the back office raises the alert), into [`IdentitySettings`].
//!
//! Invariants kept here:
//! - every field has a default (below, in `policies.rs`'s catalogue, and in scenarios/README.md):
//!   a file without them gets [`IdentityPolicy::default`], the safe one;
//! - shares are probabilities in whole parts per million; the population is at most
//!   [`MAX_POPULATION`], so set-up's work stays bounded.

use super::build::ppm;
use super::context::Ctx;
use super::error::ScenarioError;
use super::model::IdentitySettings;
use super::tree::Node;
use super::values::{boolean, uint32, Fields};
use crate::exchange::IdentityPolicy;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Most customers a scenario may register besides its agents.
pub const MAX_POPULATION: u32 = 1_000_000;

/// `[policy]` fields of identity, in documentation order.
pub(crate) const POLICY_FIELDS: [&str; 6] = [
    "login_2fa",
    "withdrawal_2fa",
    "password_reset_2fa",
    "api_key_withdraw_scope",
    "api_key_ip_allowlist",
    "operator_mailbox_2fa",
];

/// `[identity]` fields, in documentation order.
pub(crate) const IDENTITY_FIELDS: [&str; 7] = [
    "twofa",
    "password_reuse",
    "population",
    "operator_password_reused",
    "source_ip_restriction",
    "keys_in_source",
    "reset_alert",
];

/// Most resets `reset_alert` may wait for (there are six outside services).
const MAX_RESET_ALERT: u32 = 6;

/// Identity settings when the file says nothing.
pub(crate) fn default_identity() -> IdentitySettings {
    IdentitySettings {
        policy: IdentityPolicy::default(),
        twofa_ppm: 0,
        password_reuse_ppm: 0,
        population: 0,
        operator_password_reused: false,
        source_ip_restriction: true,
        keys_in_source: false,
        reset_alert: 0,
    }
}

/// The identity fields of `[policy]` (the custody parser has checked the keys).
pub(crate) fn policy(ctx: &Ctx<'_>, node: &Node, path: &str, identity: &mut IdentitySettings) -> Result<()> {
    let f = Fields::any(ctx, node, path)?;
    let p = &mut identity.policy;
    p.login_2fa = f.opt("login_2fa", p.login_2fa, |n, q| boolean(ctx, n, q))?;
    p.withdrawal_2fa = f.opt("withdrawal_2fa", p.withdrawal_2fa, |n, q| boolean(ctx, n, q))?;
    p.reset_2fa = f.opt("password_reset_2fa", p.reset_2fa, |n, q| boolean(ctx, n, q))?;
    p.api_key_withdraw_scope = f.opt("api_key_withdraw_scope", p.api_key_withdraw_scope, |n, q| boolean(ctx, n, q))?;
    p.api_key_ip_allowlist = f.opt("api_key_ip_allowlist", p.api_key_ip_allowlist, |n, q| boolean(ctx, n, q))?;
    p.operator_mailbox_2fa = f.opt("operator_mailbox_2fa", p.operator_mailbox_2fa, |n, q| boolean(ctx, n, q))?;
    Ok(())
}

/// `[identity]`: the population's habits.
pub(crate) fn habits(ctx: &Ctx<'_>, node: &Node, path: &str, identity: &mut IdentitySettings) -> Result<()> {
    let f = Fields::open(ctx, node, path, &IDENTITY_FIELDS)?;
    identity.twofa_ppm = f.opt("twofa", identity.twofa_ppm, |n, p| ppm(ctx, n, p))?;
    identity.password_reuse_ppm = f.opt("password_reuse", identity.password_reuse_ppm, |n, p| ppm(ctx, n, p))?;
    identity.population = f.opt("population", identity.population, |n, p| uint32(ctx, n, p, 0, MAX_POPULATION))?;
    let i = &mut *identity;
    i.operator_password_reused =
        f.opt("operator_password_reused", i.operator_password_reused, |n, p| boolean(ctx, n, p))?;
    i.source_ip_restriction = f.opt("source_ip_restriction", i.source_ip_restriction, |n, p| boolean(ctx, n, p))?;
    i.keys_in_source = f.opt("keys_in_source", i.keys_in_source, |n, p| boolean(ctx, n, p))?;
    i.reset_alert = f.opt("reset_alert", i.reset_alert, |n, p| uint32(ctx, n, p, 0, MAX_RESET_ALERT))?;
    Ok(())
}
