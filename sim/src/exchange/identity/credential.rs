//! What a client presents with every request (SPEC §2.6): an [`Access`] — a [`Credential`] (none,
//! a session, an API key), the IP the request comes from, and optionally a second-factor [`Code`]
//! — and the identity values it names (emails, passwords, devices, sessions, keys, scopes).
//!
//! Nothing here is real cryptography, and nothing needs to be: the simulation stores *which*
//! secret a user has (a [`Password`] token, whether it is on a leaked list is ground truth the
//! world keeps), and a second factor is a [`Code`] naming the [`Device`] that showed it and the
//! time window it was shown in. An agent can present a code only if it holds the device (the
//! account's owner) or phished one (an attacker, for that window): that is a rule of the agents,
//! which only emit what they hold, not of the exchange, which checks what it is shown.
//!
//! Invariant: every value is `Copy` and small, so a request's access travels with it through the
//! network, the gateway's log and recovery unchanged, and a replay authenticates exactly as the
//! original did.

use std::fmt;

use crate::ledger::UserId;

/// An email address (a mailbox in the world), by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Email(pub u32);

/// A password, as a token: two users, or two sites, with the same token share a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Password(pub u64);

/// A second-factor device (an authenticator app), by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Device(pub u32);

/// An IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Ip(pub u32);

/// A login session, numbered by the exchange from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SessionId(pub u32);

/// An API key, numbered by the exchange from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyId(pub u32);

/// A password-reset token the exchange mailed, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ResetToken(pub u32);

/// How long one second-factor code is valid (TOTP's 30 s step).
pub const CODE_WINDOW_NS: u64 = 30_000_000_000;

/// A second-factor code: shown by `device` in time window `window` (`now / CODE_WINDOW_NS`).
/// The exchange accepts it in that window and the next (clock drift), for the user whose device
/// it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Code {
    pub device: Device,
    pub window: u64,
}

impl Code {
    /// The code `device` shows at `now_ns`.
    pub const fn at(device: Device, now_ns: u64) -> Code {
        Code { device, window: now_ns / CODE_WINDOW_NS }
    }

    /// Whether it is `device`'s code and still valid at `now_ns`. Any window a client sends is
    /// judged, the last one (`u64::MAX`) included, without overflow.
    pub const fn valid(&self, device: Device, now_ns: u64) -> bool {
        let now = now_ns / CODE_WINDOW_NS;
        self.device.0 == device.0 && (self.window == now || (self.window < now && self.window + 1 == now))
    }
}

/// What an API key may do. Reading is implied by any key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Scopes {
    pub trade: bool,
    pub withdraw: bool,
}

impl Scopes {
    /// Read only.
    pub const READ: Scopes = Scopes { trade: false, withdraw: false };
    /// Read and trade.
    pub const TRADE: Scopes = Scopes { trade: true, withdraw: false };
    /// Read, trade and withdraw.
    pub const ALL: Scopes = Scopes { trade: true, withdraw: true };
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("read")?;
        if self.trade {
            f.write_str("+trade")?;
        }
        if self.withdraw {
            f.write_str("+withdraw")?;
        }
        Ok(())
    }
}

/// What a request is authenticated by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// Nothing: only signing in (`Login`) and password resets are possible.
    Anonymous,
    /// A login session (bound to the IP it was opened from).
    Session(SessionId),
    /// An API key (limited to its scopes, and to its IP allowlist when the policy enforces one).
    ApiKey(ApiKeyId),
}

/// Everything a client presents with a request besides the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Access {
    pub credential: Credential,
    /// The IP the request comes from.
    pub ip: Ip,
    /// A second-factor code, if the client has one to show.
    pub code: Option<Code>,
}

impl Access {
    /// A request with no credential from `ip`.
    pub const fn anonymous(ip: Ip) -> Access {
        Access { credential: Credential::Anonymous, ip, code: None }
    }

    /// A request in session `session` from `ip`.
    pub const fn session(session: SessionId, ip: Ip) -> Access {
        Access { credential: Credential::Session(session), ip, code: None }
    }

    /// The same access showing `code`.
    pub const fn with_code(self, code: Option<Code>) -> Access {
        Access { code, ..self }
    }
}

/// Who the exchange found behind a request, once authenticated: the user, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user: UserId,
    pub via: Via,
}

/// How a principal authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    ApiKey(Scopes),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_valid_in_its_window_and_the_next_and_any_window_is_judged() {
        let code = Code::at(Device(1), 5 * CODE_WINDOW_NS);
        assert!(code.valid(Device(1), 5 * CODE_WINDOW_NS) && code.valid(Device(1), 6 * CODE_WINDOW_NS + 1));
        assert!(!code.valid(Device(1), 7 * CODE_WINDOW_NS) && !code.valid(Device(1), 4 * CODE_WINDOW_NS));
        assert!(!code.valid(Device(2), 5 * CODE_WINDOW_NS), "another device's");
        // A client may send any window (a regression file, a hostile request): never an overflow.
        let last = Code { device: Device(1), window: u64::MAX };
        assert!(!last.valid(Device(1), 0) && !last.valid(Device(1), u64::MAX));
        assert!(Code { device: Device(1), window: u64::MAX / CODE_WINDOW_NS }.valid(Device(1), u64::MAX));
    }
}
