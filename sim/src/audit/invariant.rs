//! The invariant catalogue of SPEC §4: stable ids, one line each.

/// An invariant, by its stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    LedgerBalanced,
    Conservation,
    NoNegativeBalance,
    HoldsMatchOpenOrders,
    BookUncrossed,
    PriceTimePriority,
    LimitRespected,
    TifRespected,
    QuoteHonored,
    JournalComplete,
}

impl Invariant {
    /// Every invariant the reference exchange has so far, in SPEC order.
    pub const ALL: [Invariant; 10] = [
        Invariant::LedgerBalanced,
        Invariant::Conservation,
        Invariant::NoNegativeBalance,
        Invariant::HoldsMatchOpenOrders,
        Invariant::BookUncrossed,
        Invariant::PriceTimePriority,
        Invariant::LimitRespected,
        Invariant::TifRespected,
        Invariant::QuoteHonored,
        Invariant::JournalComplete,
    ];

    /// The stable id.
    pub fn id(self) -> &'static str {
        match self {
            Invariant::LedgerBalanced => "ledger_balanced",
            Invariant::Conservation => "conservation",
            Invariant::NoNegativeBalance => "no_negative_balance",
            Invariant::HoldsMatchOpenOrders => "holds_match_open_orders",
            Invariant::BookUncrossed => "book_uncrossed",
            Invariant::PriceTimePriority => "price_time_priority",
            Invariant::LimitRespected => "limit_respected",
            Invariant::TifRespected => "tif_respected",
            Invariant::QuoteHonored => "quote_honored",
            Invariant::JournalComplete => "journal_complete",
        }
    }

    /// When it holds, in one line.
    pub fn holds_when(self) -> &'static str {
        match self {
            Invariant::LedgerBalanced => "every journal entry sums to zero per asset",
            Invariant::Conservation => {
                "per asset, the sum over all ledger accounts equals deposits credited minus withdrawals settled"
            }
            Invariant::NoNegativeBalance => "no account, privileged ones included, is ever below zero",
            Invariant::HoldsMatchOpenOrders => {
                "each user's held funds equal what their open orders and pending withdrawals reserve"
            }
            Invariant::BookUncrossed => "after every command, best bid < best ask in every market",
            Invariant::PriceTimePriority => {
                "every fill's maker was the best-priced, earliest resting order on its side"
            }
            Invariant::LimitRespected => "no fill beyond the taker's limit; fills at the maker's price",
            Invariant::TifRespected => {
                "IOC and market orders never rest; FOK fills fully or not at all; post-only never takes"
            }
            Invariant::QuoteHonored => {
                "an accepted quote delivered exactly its quantity at exactly its price, or changed nothing"
            }
            Invariant::JournalComplete => "replaying the journal reproduces every balance, also after crash recovery",
        }
    }
}
