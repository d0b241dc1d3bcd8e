//! The catalogue of SPEC §6 policies: each one's name, the scenario field that sets it, its
//! default, and whether the simulator models it yet. `exsim list policies` prints it, and the
//! `[policy]` parser refuses a field of a policy not modelled yet by reading it here.
//!
//! Invariant: every modelled policy's field is parsed (`custody.rs`) with exactly the default
//! written here, and scenarios/README.md documents the same; a policy not modelled has no field a
//! scenario may set (setting one is an error naming this catalogue), so no file claims a defence
//! the run does not have.

/// One policy of SPEC §6.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Its name in `exsim list policies`.
    pub name: &'static str,
    /// The scenario field that sets it (`SYMBOL` stands for each asset's symbol).
    pub field: &'static str,
    /// Its default, as a scenario writes it.
    pub default: &'static str,
    /// Whether the simulator models it; one that is not has no effect and may not be set.
    pub modelled: bool,
    /// What it does, in one line.
    pub about: &'static str,
}

const fn modelled(name: &'static str, field: &'static str, default: &'static str, about: &'static str) -> Policy {
    Policy { name, field, default, modelled: true, about }
}

/// Every SPEC §6 policy, in the SPEC's order.
pub const POLICIES: [Policy; 15] = [
    modelled("login_2fa", "policy.login_2fa", "true", "every login needs a second factor (all customers enrolled)"),
    modelled(
        "withdrawal_2fa",
        "policy.withdrawal_2fa",
        "true",
        "every withdrawal and transfer out needs a second factor",
    ),
    modelled(
        "password_reset_2fa",
        "policy.password_reset_2fa",
        "true",
        "completing a password reset needs the second factor of a user who has one",
    ),
    modelled(
        "api_key_withdraw_scope",
        "policy.api_key_withdraw_scope",
        "false",
        "API keys may carry the withdraw scope",
    ),
    modelled(
        "api_key_ip_allowlist",
        "policy.api_key_ip_allowlist",
        "true",
        "API keys must name an IP allowlist and are refused outside it",
    ),
    modelled(
        "address_whitelist",
        "policy.withdrawal_whitelist",
        "false",
        "withdrawals only to whitelisted addresses (a customer's own always is)",
    ),
    modelled("whitelist_delay", "policy.whitelist_delay", "24h", "a newly whitelisted address waits this long"),
    modelled(
        "daily_withdrawal_limit",
        "assets.SYMBOL.daily_limit",
        "none",
        "per-account withdrawals of the asset in any 24h window",
    ),
    modelled(
        "aggregate_outflow_cap",
        "assets.SYMBOL.outflow_cap",
        "none",
        "all accounts' withdrawals of the asset per assets.SYMBOL.outflow_window (default 24h)",
    ),
    modelled(
        "manual_review_threshold",
        "assets.SYMBOL.review_above",
        "none",
        "a withdrawal above this waits for an operator's review (custody.review_delay)",
    ),
    modelled("hot_wallet_share", "assets.SYMBOL.hot_share", "100%", "the share of custody kept in the hot wallet"),
    modelled("hot_wallet_multisig", "policy.hot_wallet_multisig", "false", "a hot-wallet payment needs two signatures"),
    modelled(
        "operator_mailbox_2fa",
        "policy.operator_mailbox_2fa",
        "true",
        "operators' mailboxes and outside-service accounts need a second factor",
    ),
    modelled(
        "circuit_breaker",
        "policy.circuit_breaker",
        "none",
        "trades stay within ±band of a reference price; one reaching the edge halts the market for \
         policy.circuit_breaker_halt (default 5m)",
    ),
    modelled(
        "freeze_on_alert",
        "policy.freeze_on_alert",
        "true",
        "client trading and withdrawals freeze when the reserves monitor raises its alarm",
    ),
];

/// Why a policy is not modelled yet.
pub const NOT_MODELLED: &str = "not modelled yet (identity/communications)";

/// The policy whose field is `policy.KEY`, if any.
pub fn by_policy_key(key: &str) -> Option<&'static Policy> {
    POLICIES.iter().find(|p| p.field.strip_prefix("policy.") == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fields_are_distinct() {
        for (i, p) in POLICIES.iter().enumerate() {
            assert!(POLICIES[..i].iter().all(|o| o.name != p.name && o.field != p.field), "{} twice", p.name);
            assert_eq!(p.modelled, p.default != "-", "{}: a modelled policy has a default", p.name);
        }
        assert!(by_policy_key("withdrawal_whitelist").is_some_and(|p| p.modelled));
        assert!(by_policy_key("withdrawal_2fa").is_some_and(|p| p.modelled));
    }
}
