//! A transaction on the simulated chain: who pays ([`Source`]), who is paid ([`Dest`]), how much,
//! the [`Payment`] (outpoint) it spends and why it exists ([`Purpose`]).
//!
//! Invariants kept here: a transaction's `payment` never changes (malleability changes only its
//! `txid`); ids the chain mints itself never collide with the exchange's (below
//! [`TxId::MALLEATED`]) nor with each other ([`minted_txid`]).

use crate::exchange::{Address, Payment, TransferId, TxId, WithdrawalId};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// One of the exchange's wallets on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    /// Online keys: pays withdrawals, receives deposits.
    Hot,
    /// Offline keys: slow to spend from (a sweep cold → hot is delayed by the kernel).
    Cold,
}

/// Who pays a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The exchange's wallet.
    Wallet(Wallet),
    /// Anyone outside custody (a customer's own address, a stranger): always able to pay.
    Outside(Address),
}

/// Who a transaction pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dest {
    /// The exchange's wallet.
    Wallet(Wallet),
    /// An address outside custody: the value leaves the exchange.
    Address(Address),
    /// A customer's deposit address at the exchange: the value lands in the hot wallet and the
    /// customer is credited once it has the asset's confirmations.
    Deposit(UserId),
}

/// Why a transaction exists: what the kernel and the breach metrics need to know about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The exchange paying a withdrawal request of `owner` (from an `Intent::Pay`).
    Withdrawal { id: WithdrawalId, owner: UserId },
    /// A customer's deposit (to [`Dest::Deposit`]).
    Deposit,
    /// The custodian moving funds between the exchange's wallets.
    Sweep,
    /// A thief spending from the hot wallet with stolen keys.
    Theft,
    /// Reserved for transfers paid on chain (unused: transfers are internal).
    Transfer(TransferId),
}

/// A transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tx {
    /// Its id now (a malleated copy carries a new one).
    pub txid: TxId,
    /// The outpoint it spends: spent at most once, whatever the id.
    pub payment: Payment,
    pub asset: AssetId,
    pub from: Source,
    pub to: Dest,
    /// In the asset's minor units, > 0.
    pub amount: Minor,
    pub purpose: Purpose,
}

impl Tx {
    /// Whether it takes value out of custody (from a wallet to an outside address).
    pub fn leaves_custody(&self) -> bool {
        matches!(self.from, Source::Wallet(_)) && matches!(self.to, Dest::Address(_))
    }

    /// Whether it is value that left custody to someone who should not have it (ground truth for
    /// the breach metrics): a theft, or a withdrawal paid to an address that is not the
    /// withdrawing customer's own ([`Address::of`]): an account taken over and emptied to an
    /// attacker's address.
    pub fn is_stolen(&self) -> bool {
        match (self.purpose, self.to) {
            (Purpose::Theft, _) => self.leaves_custody(),
            (Purpose::Withdrawal { owner, .. }, Dest::Address(to)) => self.leaves_custody() && to != Address::of(owner),
            _ => false,
        }
    }
}

/// Ids the chain mints for the transactions of the world (deposits, sweeps, thefts) carry this
/// bit besides [`TxId::MALLEATED`]; malleated copies do not.
pub const WORLD_TXID: u64 = 1 << 62;

/// The id of the `n`th transaction the chain minted: a malleated copy (`world == false`) or a
/// transaction of the world. Never below [`TxId::MALLEATED`], so never one of the exchange's.
pub fn minted_txid(n: u64, world: bool) -> TxId {
    assert!(n < WORLD_TXID, "the chain minted fewer than 2^62 ids");
    TxId(TxId::MALLEATED | if world { WORLD_TXID } else { 0 } | n)
}
