//! Identity and access policy (SPEC §6): the security-relevant settings of signing in, resetting
//! a password, API keys and operators' mailboxes, each with a safe default.
//!
//! As with custody's policy, a weak setting is not a fault: the exchange does exactly what it is
//! configured to do, and what that costs (accounts taken over, records exposed, value stolen) is
//! measured as a breach. `withdrawal_authorized` checks that every paid withdrawal was authorized
//! as the policy in force here required.
//!
//! `operator_mailbox_2fa` is carried out by the world (mailboxes and outside services are not the
//! exchange's); it lives here so a scenario sets every identity policy in one place.

/// The identity policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityPolicy {
    /// Every login needs a valid second-factor code (every customer is enrolled); off, only the
    /// customers who enabled 2FA are asked.
    pub login_2fa: bool,
    /// Every withdrawal and transfer out needs a valid second-factor code.
    pub withdrawal_2fa: bool,
    /// Completing a password reset needs a valid second-factor code (of a user who has one).
    pub reset_2fa: bool,
    /// API keys may be created with the withdraw scope.
    pub api_key_withdraw_scope: bool,
    /// API keys must name an IP allowlist, and requests from outside it are refused.
    pub api_key_ip_allowlist: bool,
    /// Operators' mailboxes (and their accounts at outside services) need a second factor: a
    /// password alone does not open them (carried out by the world).
    pub operator_mailbox_2fa: bool,
}

impl Default for IdentityPolicy {
    /// The safe defaults: every second factor on, no withdraw scope on keys, allowlists enforced.
    fn default() -> IdentityPolicy {
        IdentityPolicy {
            login_2fa: true,
            withdrawal_2fa: true,
            reset_2fa: true,
            api_key_withdraw_scope: false,
            api_key_ip_allowlist: true,
            operator_mailbox_2fa: true,
        }
    }
}

impl IdentityPolicy {
    /// Every combination of the settings (64), for table tests.
    pub fn every_combination() -> Vec<IdentityPolicy> {
        (0u8..64)
            .map(|b| IdentityPolicy {
                login_2fa: b & 1 != 0,
                withdrawal_2fa: b & 2 != 0,
                reset_2fa: b & 4 != 0,
                api_key_withdraw_scope: b & 8 != 0,
                api_key_ip_allowlist: b & 16 != 0,
                operator_mailbox_2fa: b & 32 != 0,
            })
            .collect()
    }
}
