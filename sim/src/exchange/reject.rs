//! [`Reject`]: every business rejection, as data. A rejected command changes nothing.
//!
//! Invariant: the list is exhaustive and each code is a stable snake_case string (SPEC §1.6);
//! new codes are appended, so a code's index in [`Reject::ALL`] (which the digest encodes) never
//! changes.

use std::fmt;

use crate::engine::EngineReject;

/// Why the exchange refused a command. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reject {
    UnknownUser,
    UnknownAsset,
    UnknownMarket,
    UnknownOrder,
    NotOwner,
    InvalidAmount,
    InvalidQuantity,
    InvalidPrice,
    InsufficientFunds,
    Overflow,
    WouldCross,
    DuplicateOrderId,
    UnknownQuote,
    QuoteExpired,
    NoLiquidity,
    CannotHonor,
    HouseAccount,
    TimeRegressed,
    /// A price above the market's highest ([`crate::units::Market::max_price`]).
    PriceTooHigh,
    /// A withdrawal or transfer id the exchange never issued.
    UnknownWithdrawal,
    /// A withdrawal to an address not on the user's whitelist, or added less than the policy's delay ago.
    NotWhitelisted,
    /// Over the per-account daily withdrawal limit.
    DailyLimit,
    /// Over the aggregate outflow cap of the window.
    OutflowCap,
    /// The withdrawal waits for its manual review.
    PendingReview,
    /// A deposit with fewer confirmations than its asset requires.
    PendingConfirmations,
    /// A step already taken (a payment already credited or settled, a withdrawal already sent or refunded, a transfer already credited).
    AlreadyDone,
    /// An operation the exchange does not allow (a direct balance edit).
    NotPermitted,
    /// A confirmation of a payment the exchange never made.
    UnknownPayment,
    /// No valid credential: no session or key by that id, or none presented where one is needed.
    Unauthenticated,
    /// A wrong email or password, or a reset token that is not outstanding.
    BadCredentials,
    /// A second-factor code was needed and none valid was shown.
    SecondFactor,
    /// A session used from another IP than it was opened from, or a key from outside its allowlist.
    IpNotAllowed,
    /// An email another account already registered.
    EmailTaken,
    /// An API key without an IP allowlist where the policy requires one.
    AllowlistRequired,
    /// More API keys than one user may hold.
    TooMany,
    /// An order or replace in a market the circuit breaker halted (`trading/breaker.rs`).
    MarketHalted,
    /// Trading and withdrawals are frozen after a monitor's alarm (policy `freeze_on_alert`).
    Frozen,
}

impl Reject {
    /// Every rejection, for catalogues and tests.
    pub const ALL: [Reject; 37] = [
        Reject::UnknownUser,
        Reject::UnknownAsset,
        Reject::UnknownMarket,
        Reject::UnknownOrder,
        Reject::NotOwner,
        Reject::InvalidAmount,
        Reject::InvalidQuantity,
        Reject::InvalidPrice,
        Reject::InsufficientFunds,
        Reject::Overflow,
        Reject::WouldCross,
        Reject::DuplicateOrderId,
        Reject::UnknownQuote,
        Reject::QuoteExpired,
        Reject::NoLiquidity,
        Reject::CannotHonor,
        Reject::HouseAccount,
        Reject::TimeRegressed,
        Reject::PriceTooHigh,
        Reject::UnknownWithdrawal,
        Reject::NotWhitelisted,
        Reject::DailyLimit,
        Reject::OutflowCap,
        Reject::PendingReview,
        Reject::PendingConfirmations,
        Reject::AlreadyDone,
        Reject::NotPermitted,
        Reject::UnknownPayment,
        Reject::Unauthenticated,
        Reject::BadCredentials,
        Reject::SecondFactor,
        Reject::IpNotAllowed,
        Reject::EmailTaken,
        Reject::AllowlistRequired,
        Reject::TooMany,
        Reject::MarketHalted,
        Reject::Frozen,
    ];

    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Reject::UnknownUser => "unknown_user",
            Reject::UnknownAsset => "unknown_asset",
            Reject::UnknownMarket => "unknown_market",
            Reject::UnknownOrder => "unknown_order",
            Reject::NotOwner => "not_owner",
            Reject::InvalidAmount => "invalid_amount",
            Reject::InvalidQuantity => "invalid_quantity",
            Reject::InvalidPrice => "invalid_price",
            Reject::InsufficientFunds => "insufficient_funds",
            Reject::Overflow => "overflow",
            Reject::WouldCross => "would_cross",
            Reject::DuplicateOrderId => "duplicate_order_id",
            Reject::UnknownQuote => "unknown_quote",
            Reject::QuoteExpired => "quote_expired",
            Reject::NoLiquidity => "no_liquidity",
            Reject::CannotHonor => "cannot_honor",
            Reject::HouseAccount => "house_account",
            Reject::TimeRegressed => "time_regressed",
            Reject::PriceTooHigh => "price_too_high",
            Reject::UnknownWithdrawal => "unknown_withdrawal",
            Reject::NotWhitelisted => "not_whitelisted",
            Reject::DailyLimit => "daily_limit",
            Reject::OutflowCap => "outflow_cap",
            Reject::PendingReview => "pending_review",
            Reject::PendingConfirmations => "pending_confirmations",
            Reject::AlreadyDone => "already_done",
            Reject::NotPermitted => "not_permitted",
            Reject::UnknownPayment => "unknown_payment",
            Reject::Unauthenticated => "unauthenticated",
            Reject::BadCredentials => "bad_credentials",
            Reject::SecondFactor => "second_factor",
            Reject::IpNotAllowed => "ip_not_allowed",
            Reject::EmailTaken => "email_taken",
            Reject::AllowlistRequired => "allowlist_required",
            Reject::TooMany => "too_many",
            Reject::MarketHalted => "market_halted",
            Reject::Frozen => "frozen",
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl From<EngineReject> for Reject {
    fn from(e: EngineReject) -> Reject {
        match e {
            EngineReject::UnknownOrder => Reject::UnknownOrder,
            EngineReject::DuplicateOrderId => Reject::DuplicateOrderId,
            EngineReject::WouldCross => Reject::WouldCross,
            EngineReject::InvalidQuantity => Reject::InvalidQuantity,
            EngineReject::InvalidPrice => Reject::InvalidPrice,
        }
    }
}
