//! [`ChainFact`]: what happened on a chain, as the kernel (which turns facts into the exchange's
//! system inputs: `DepositSeen`, `PaymentConfirmed`) and the auditor (`withdrawal_paid_once`,
//! `solvency`) read it. Facts are the chain's only output; a consumer never reads its state.

use super::tx::Tx;
use crate::exchange::{Payment, TxId};
use crate::units::{AssetId, Minor};

/// Why a transaction left the mempool without confirming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Its payment was already spent (by an earlier transaction, or a copy of it).
    PaymentSpent,
}

/// Why the chain refused a transaction at submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Its payment is already spent or waits in the mempool under another transaction.
    PaymentSpent,
    /// An amount ≤ 0, or a transaction that pays the wallet it spends from.
    Invalid,
    /// A theft without enough of the hot wallet's keys (multisig needs two).
    NotEnoughKeys,
    /// The asset is not this chain's.
    WrongAsset,
}

/// One thing that happened on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainFact {
    /// `tx` entered the mempool.
    Submitted { tx: Tx },
    /// A transaction waiting in the mempool was re-published under `txid`; `original` will
    /// never confirm, the same `payment` may confirm once under `txid`.
    Malleated { asset: AssetId, original: TxId, txid: TxId, payment: Payment },
    /// `tx` was included in the block at `height`: value moved.
    Confirmed { tx: Tx, height: u64 },
    /// `tx` left the mempool unconfirmed.
    Dropped { tx: Tx, reason: DropReason },
    /// A confirmed deposit (`tx.to` is a `Dest::Deposit`) now has `confirmations`: reported at
    /// each block from the one that includes it up to the asset's required count (then the chain
    /// forgets it), so the kernel can send `DepositSeen` with the count.
    DepositConfirmations { tx: Tx, confirmations: u32 },
    /// The exchange's wallets on chain after a block (or genesis).
    Reserves { asset: AssetId, height: u64, hot: Minor, cold: Minor },
}

impl ChainFact {
    /// The asset it concerns.
    pub fn asset(&self) -> AssetId {
        match *self {
            ChainFact::Submitted { tx }
            | ChainFact::Confirmed { tx, .. }
            | ChainFact::Dropped { tx, .. }
            | ChainFact::DepositConfirmations { tx, .. } => tx.asset,
            ChainFact::Malleated { asset, .. } | ChainFact::Reserves { asset, .. } => asset,
        }
    }
}
