//! Communications (SPEC §2.7): the messages the exchange sends — announcements in batches,
//! password-reset links, data exports — as [`Mail`] intents the world delivers to mailboxes.
//!
//! A mail names its recipients compactly ([`Recipients`]: nobody, one address, or the registered
//! users of a contiguous range of accounts), so an announcement to 30,000 customers is 30 `Copy`
//! values, not 30,000 strings, and the exchange keeps no outbox: what it asks to send leaves with
//! the command's effects ([`Intent::Mail`](crate::exchange::Intent::Mail)).
//!
//! Invariant kept here (`no_pii_disclosure`, with the fault off): a recipient of a message sees
//! no one's personal data but their own, unless their role entitles them to it — a batch's
//! customers are in `Bcc`, never in `To`; an export goes only to the operator who asked for it.
//! Fault path `bulk_mail_to_field` (BitMEX 2019): a batch's recipients are rendered into `To:`,
//! so each sees every other address of the batch. The auditor checks every mail against ground
//! truth (who owns which address, who is staff), not against this code.

use super::credential::{Email, ResetToken};
use crate::ledger::UserId;

/// A message, numbered by the exchange from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// The address the exchange sends from; announcements are addressed `To:` it, with the customers
/// in `Bcc:`.
pub const NOREPLY: Email = Email(u32::MAX);

/// Who a header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipients {
    /// Nobody.
    Nobody,
    /// One address.
    One(Email),
    /// The address of every account numbered `first .. first + count` that registered one.
    Accounts { first: UserId, count: u32 },
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// A bulk announcement (one batch of it).
    Announcement,
    /// A password-reset link: whoever reads it can complete the reset (as the policy allows).
    ResetLink(ResetToken),
    /// A data export: every customer's personal record.
    Export,
}

/// What personal records a message's body carries (its headers carry the addresses they show).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Records {
    /// None.
    None,
    /// Every registered account's record (an export).
    Everyone,
}

/// One message to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mail {
    pub id: MessageId,
    pub kind: MailKind,
    /// Shown to every recipient.
    pub to: Recipients,
    /// Each recipient sees only their own address.
    pub bcc: Recipients,
    pub records: Records,
}
