//! What attackers know: ground truth the world hands to attacker agents (SPEC §3), never to the
//! exchange — a password list leaked from another site, addresses seen in the open, credentials
//! phished, reset links read from taken-over mailboxes, API keys stolen (from cloned source or
//! harvested from customers' machines with their authenticators), operators' leaked passwords.
//!
//! One [`Intel`] is shared by every attacker of a run (one criminal market), kept by the kernel
//! and shown read-only in each [`View`](super::View). Honest agents never read it.
//!
//! Invariants: it only grows from what happened in the run (the leak at set-up; the rest from
//! world events an attacker caused or a message the exchange sent), and it is bounded by the
//! accounts: each address is listed at most once per list, each key once.

use crate::exchange::{ApiKeyId, Code, Device, Email, Password, ResetToken};
use crate::ledger::UserId;

/// A credential a customer typed into a phishing page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phished {
    pub email: Email,
    pub password: Password,
    /// The second-factor code they typed too (real-time phishing), valid for its window only.
    pub code: Option<Code>,
}

/// See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intel {
    /// A list leaked from another site: every customer's address with the password they used
    /// there (the same as here only for those who reused it).
    pub leaked: Vec<(Email, Password)>,
    /// Addresses seen in the open (a `To:` header naming strangers, a dump), in order seen.
    pub exposed: Vec<Email>,
    /// Credentials phished, in order.
    pub phished: Vec<Phished>,
    /// Reset links read in taken-over mailboxes: (address, token), the latest per address last.
    pub reset_links: Vec<(Email, ResetToken)>,
    /// API keys stolen, with the account each belongs to.
    pub stolen_keys: Vec<(ApiKeyId, UserId)>,
    /// Operators' addresses with the password they used on another site that leaked (the same
    /// as their mailbox's when they reused it: Coinigy's developer).
    pub operators: Vec<(Email, Password)>,
    /// Second-factor devices whose codes the attacker relays in real time (malware on the
    /// customer's machine, harvested with its API key: Binance 2019): it can show a valid code
    /// of these accounts whenever it acts.
    pub devices: Vec<(UserId, Device)>,
}
