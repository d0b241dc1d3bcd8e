//! Ledger accounts and the **account-kind table**: which kinds of account exist, whose they are
//! (the world's, the house's, or one per user), and whether they may go below zero.
//!
//! [`AccountKind::TABLE`] is the one description of the ledger's accounts: the ledger lays out its
//! balances from it and refuses a negative balance by it, and the auditor keys its shadow balances
//! and checks `no_negative_balance` and `conservation` by it, so neither copies an encoding.
//! Kinds not used yet (custody's) exist with no postings.
//!
//! Invariants:
//! - only the world may go negative (its balance is minus the net deposits); every other kind is
//!   a holding, refused below zero (`no_negative_balance`) — asserted on the table at compile time;
//! - the encoding to a dense index is a bijection — `from_index(index(a)) == a` — derived from the
//!   table: the world's and the house's accounts first in table order, then one block per user of
//!   the per-user kinds in table order; so balances live in one flat vector with no map to iterate.

/// A customer (or the house, user 0), numbered densely from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct UserId(pub u32);

impl UserId {
    /// The exchange's own trading account: the dealer that honors RFQ quotes.
    pub const HOUSE: UserId = UserId(0);
}

/// Whose an account kind is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The outside world: one account per asset.
    World,
    /// The exchange itself: one account per asset.
    House,
    /// Every user: one account per user per asset.
    User,
}

/// A kind of ledger account (per asset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKind {
    /// The outside world: deposits come from it, withdrawals go to it.
    World,
    /// Fees collected by the exchange.
    Fees,
    /// Custody: what the exchange's hot wallets hold on chain.
    CustodyHot,
    /// Custody: what the exchange's cold wallets hold on chain.
    CustodyCold,
    /// Withdrawals debited from customers and not yet settled on chain, in total.
    PendingWithdrawals,
    /// Funds the exchange cannot yet attribute (an unmatched deposit, a failed payment).
    Suspense,
    /// The exchange's insurance fund.
    Insurance,
    /// A user's funds free to trade or withdraw.
    Available,
    /// A user's funds reserved by open orders.
    Held,
    /// A user's funds reserved by a withdrawal in progress.
    PendingWithdrawal,
}

/// One row of the account-kind table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: AccountKind,
    /// Its stable snake_case name.
    pub name: &'static str,
    pub scope: Scope,
    /// Whether a balance of this kind may be below zero (only the world's).
    pub may_go_negative: bool,
}

const fn row(kind: AccountKind, name: &'static str, scope: Scope, may_go_negative: bool) -> KindInfo {
    KindInfo { kind, name, scope, may_go_negative }
}

impl AccountKind {
    /// The account-kind table, in [`AccountKind`] order (`TABLE[k as usize].kind == k`).
    pub const TABLE: [KindInfo; 10] = [
        row(AccountKind::World, "world", Scope::World, true),
        row(AccountKind::Fees, "fees", Scope::House, false),
        row(AccountKind::CustodyHot, "custody_hot", Scope::House, false),
        row(AccountKind::CustodyCold, "custody_cold", Scope::House, false),
        row(AccountKind::PendingWithdrawals, "pending_withdrawals", Scope::House, false),
        row(AccountKind::Suspense, "suspense", Scope::House, false),
        row(AccountKind::Insurance, "insurance", Scope::House, false),
        row(AccountKind::Available, "available", Scope::User, false),
        row(AccountKind::Held, "held", Scope::User, false),
        row(AccountKind::PendingWithdrawal, "pending_withdrawal", Scope::User, false),
    ];

    /// Its row of the table.
    #[inline]
    pub const fn info(self) -> &'static KindInfo {
        &Self::TABLE[self as usize]
    }

    /// Number of kinds with one account per user (the size of a user's block of accounts).
    pub const PER_USER: usize = count(Scope::User);

    /// Number of accounts that are not a user's (the world's and the house's), laid out first.
    pub const SHARED: usize = Self::TABLE.len() - Self::PER_USER;

    /// Its position among the kinds of the same block (shared, or per user), in table order.
    #[inline]
    fn slot(self) -> usize {
        SLOTS[self as usize]
    }

    /// The kind at `slot` of a block (shared or per user).
    #[inline]
    fn at_slot(per_user: bool, slot: usize) -> AccountKind {
        if per_user {
            PER_USER_KINDS[slot]
        } else {
            SHARED_KINDS[slot]
        }
    }
}

/// Each kind's position within its block, computed from the table once, at compile time.
const SLOTS: [usize; AccountKind::TABLE.len()] = {
    let mut slots = [0; AccountKind::TABLE.len()];
    let (mut shared, mut per_user, mut i) = (0, 0, 0);
    while i < AccountKind::TABLE.len() {
        if matches!(AccountKind::TABLE[i].scope, Scope::User) {
            slots[i] = per_user;
            per_user += 1;
        } else {
            slots[i] = shared;
            shared += 1;
        }
        i += 1;
    }
    slots
};

/// The kinds of each block in slot order, from the table.
const SHARED_KINDS: [AccountKind; AccountKind::SHARED] = kinds_of(false);
const PER_USER_KINDS: [AccountKind; AccountKind::PER_USER] = kinds_of(true);

const fn kinds_of<const N: usize>(per_user: bool) -> [AccountKind; N] {
    let mut kinds = [AccountKind::World; N];
    let (mut n, mut i) = (0, 0);
    while i < AccountKind::TABLE.len() {
        if matches!(AccountKind::TABLE[i].scope, Scope::User) == per_user {
            kinds[n] = AccountKind::TABLE[i].kind;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "a block's size is its number of kinds");
    kinds
}

const fn count(scope: Scope) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < AccountKind::TABLE.len() {
        if AccountKind::TABLE[i].scope as u8 == scope as u8 {
            n += 1;
        }
        i += 1;
    }
    n
}

// The table is in kind order, and only the world may go negative.
const _: () = {
    let mut i = 0;
    while i < AccountKind::TABLE.len() {
        let r = AccountKind::TABLE[i];
        assert!(r.kind as usize == i, "the account-kind table is in kind order");
        assert!(r.may_go_negative == matches!(r.scope, Scope::World), "only the world may go negative");
        i += 1;
    }
};

/// One ledger account (per asset): a kind, and for a per-user kind, its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// The outside world: deposits come from it, withdrawals go to it. Its balance is minus the
    /// net amount deposited; the only account allowed below zero.
    World,
    /// Fees collected by the exchange.
    Fees,
    /// Custody: the hot wallets (no postings yet).
    CustodyHot,
    /// Custody: the cold wallets (no postings yet).
    CustodyCold,
    /// Withdrawals in progress, in total (no postings yet).
    PendingWithdrawals,
    /// Unattributed funds (no postings yet).
    Suspense,
    /// The insurance fund (no postings yet).
    Insurance,
    /// A user's funds free to trade or withdraw.
    Available(UserId),
    /// A user's funds reserved by open orders.
    Held(UserId),
    /// A user's funds reserved by a withdrawal in progress (no postings yet).
    PendingWithdrawal(UserId),
}

impl Account {
    /// Index of the first user account.
    pub(crate) const FIRST_USER_INDEX: usize = AccountKind::SHARED;

    /// Its kind.
    #[inline]
    pub const fn kind(self) -> AccountKind {
        match self {
            Account::World => AccountKind::World,
            Account::Fees => AccountKind::Fees,
            Account::CustodyHot => AccountKind::CustodyHot,
            Account::CustodyCold => AccountKind::CustodyCold,
            Account::PendingWithdrawals => AccountKind::PendingWithdrawals,
            Account::Suspense => AccountKind::Suspense,
            Account::Insurance => AccountKind::Insurance,
            Account::Available(_) => AccountKind::Available,
            Account::Held(_) => AccountKind::Held,
            Account::PendingWithdrawal(_) => AccountKind::PendingWithdrawal,
        }
    }

    /// The account of `kind` (for a per-user kind, `user`'s; otherwise `user` is ignored).
    fn of(kind: AccountKind, user: UserId) -> Account {
        match kind {
            AccountKind::World => Account::World,
            AccountKind::Fees => Account::Fees,
            AccountKind::CustodyHot => Account::CustodyHot,
            AccountKind::CustodyCold => Account::CustodyCold,
            AccountKind::PendingWithdrawals => Account::PendingWithdrawals,
            AccountKind::Suspense => Account::Suspense,
            AccountKind::Insurance => Account::Insurance,
            AccountKind::Available => Account::Available(user),
            AccountKind::Held => Account::Held(user),
            AccountKind::PendingWithdrawal => Account::PendingWithdrawal(user),
        }
    }

    /// Whether its balance may be below zero (the table's word: only the world's).
    #[inline]
    pub const fn may_go_negative(self) -> bool {
        self.kind().info().may_go_negative
    }

    /// Whether it is the outside world's (not counted in what the exchange holds).
    #[inline]
    pub const fn is_world(self) -> bool {
        matches!(self.kind().info().scope, Scope::World)
    }

    /// Dense index, laid out from the table (see the module docs).
    #[inline]
    pub fn index(self) -> usize {
        let slot = self.kind().slot();
        match self.user() {
            None => slot,
            Some(u) => Self::FIRST_USER_INDEX + AccountKind::PER_USER * u.0 as usize + slot,
        }
    }

    /// Inverse of [`Account::index`].
    pub fn from_index(index: usize) -> Account {
        match index.checked_sub(Self::FIRST_USER_INDEX) {
            None => Account::of(AccountKind::at_slot(false, index), UserId::HOUSE),
            Some(i) => {
                let user = UserId(u32::try_from(i / AccountKind::PER_USER).expect("user index fits u32"));
                Account::of(AccountKind::at_slot(true, i % AccountKind::PER_USER), user)
            }
        }
    }

    /// Whether this account belongs to a customer (or the house), and whose.
    pub fn user(self) -> Option<UserId> {
        match self {
            Account::Available(u) | Account::Held(u) | Account::PendingWithdrawal(u) => Some(u),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_a_bijection_laid_out_from_the_table() {
        assert_eq!((AccountKind::SHARED, AccountKind::PER_USER), (7, 3));
        for i in 0..AccountKind::SHARED + 3 * AccountKind::PER_USER {
            let a = Account::from_index(i);
            assert_eq!(a.index(), i, "{a:?}");
            assert_eq!(a.kind().info().kind, a.kind());
            assert_eq!(a.user().is_some(), a.kind().info().scope == Scope::User, "{a:?}");
        }
        assert_eq!((Account::World.index(), Account::Fees.index()), (0, 1));
        assert_eq!(Account::Available(UserId(0)).index(), AccountKind::SHARED);
        assert_eq!(Account::PendingWithdrawal(UserId(2)).index(), AccountKind::SHARED + 2 * 3 + 2);
        let negative: Vec<_> = AccountKind::TABLE.iter().filter(|r| r.may_go_negative).map(|r| r.kind).collect();
        assert_eq!(negative, [AccountKind::World]);
        assert!(Account::World.is_world() && !Account::Suspense.is_world() && !Account::Held(UserId(1)).is_world());
    }
}
