//! Ledger accounts: who holds a balance, per asset.
//!
//! Invariant: the encoding to a dense index is a bijection — `from_index(index(a)) == a` — so
//! balances live in one flat vector with no map to iterate.

/// A customer (or the house, user 0), numbered densely from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u32);

impl UserId {
    /// The exchange's own trading account: the dealer that honors RFQ quotes.
    pub const HOUSE: UserId = UserId(0);
}

/// One ledger account (per asset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// The outside world: deposits come from it, withdrawals go to it. Its balance is minus the
    /// net amount deposited; the only account allowed below zero.
    World,
    /// Fees collected by the exchange.
    Fees,
    /// A user's funds free to trade or withdraw.
    Available(UserId),
    /// A user's funds reserved by open orders.
    Held(UserId),
}

impl Account {
    /// Index of the first user account.
    pub(crate) const FIRST_USER_INDEX: usize = 2;

    /// Dense index.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Account::World => 0,
            Account::Fees => 1,
            Account::Available(u) => Self::FIRST_USER_INDEX + 2 * u.0 as usize,
            Account::Held(u) => Self::FIRST_USER_INDEX + 1 + 2 * u.0 as usize,
        }
    }

    /// Inverse of [`Account::index`].
    pub fn from_index(index: usize) -> Account {
        match index {
            0 => Account::World,
            1 => Account::Fees,
            i => {
                let user = UserId(u32::try_from((i - Self::FIRST_USER_INDEX) / 2).expect("user index fits u32"));
                if (i - Self::FIRST_USER_INDEX) % 2 == 0 {
                    Account::Available(user)
                } else {
                    Account::Held(user)
                }
            }
        }
    }

    /// Whether this account belongs to a customer (or the house).
    pub fn user(self) -> Option<UserId> {
        match self {
            Account::Available(u) | Account::Held(u) => Some(u),
            Account::World | Account::Fees => None,
        }
    }
}
