//! [`Chain`]: one asset's simulated chain, living in the world (not in the exchange): the
//! exchange's hot and cold wallets on chain, an ordered mempool, a height, and the payments spent.
//!
//! It is pure and deterministic: it draws no random number and reads no clock. The kernel decides
//! when a block is mined ([`Chain::mine`]), which transaction is malleated ([`Chain::malleate`])
//! and what is submitted; everything the chain does is reported as [`ChainFact`]s.
//!
//! Invariants kept here:
//! - a payment is spent at most once: a transaction whose payment is spent is refused at
//!   submission, or dropped when a block reaches it ([`DropReason::PaymentSpent`]);
//! - a wallet never goes below zero: a transaction its source cannot pay waits in the mempool (in
//!   order, without blocking the ones behind it) until a later block finds the funds;
//! - custody moves only by confirmed transactions: `hot + cold` changes by exactly the confirmed
//!   inflows (deposits) less the confirmed outflows (withdrawals, thefts); sweeps keep it;
//! - memory is bounded by live state: the mempool, the deposits still short of their
//!   confirmations, and the spent payments confirmed out of order (payments are kept as a floor
//!   below which all are spent plus the set above it). Confirmed transactions are reported once
//!   and forgotten.
//!
//! Numbering: the exchange numbers its payments from 1 (below [`Payment::INBOUND`]) and its
//! transaction ids below [`TxId::MALLEATED`]; the chain numbers the payments of the world's
//! transactions (deposits, sweeps, thefts) from [`Payment::INBOUND`], and mints every other id
//! itself ([`minted_txid`]).

use std::collections::BTreeSet;

use super::fact::{ChainFact, DropReason, Refused};
use super::tx::{minted_txid, Dest, Purpose, Source, Tx, Wallet};
use crate::exchange::{Address, AssetPolicy, Intent, Payment, TxId};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

/// Basis points in a whole.
pub const BPS: u32 = 10_000;

/// The exchange's payments spent so far: all those below `floor`, and the set above it.
#[derive(Clone, Debug)]
struct Spent {
    floor: u64,
    above: BTreeSet<u64>,
}

impl Spent {
    fn contains(&self, p: Payment) -> bool {
        p.0 < self.floor || self.above.contains(&p.0)
    }

    fn insert(&mut self, p: Payment) {
        if p.0 >= self.floor {
            self.above.insert(p.0);
        }
        while self.above.first() == Some(&self.floor) {
            self.above.pop_first();
            self.floor += 1;
        }
    }
}

/// One asset's chain. See the module docs.
#[derive(Clone, Debug)]
pub struct Chain {
    asset: AssetId,
    /// Confirmations a deposit needs (at least 1).
    confirmations: u32,
    hot_share_bps: u32,
    hot_multisig: bool,
    hot: Minor,
    cold: Minor,
    height: u64,
    mempool: Vec<Tx>,
    /// The exchange's payments (below `Payment::INBOUND`) spent.
    spent: Spent,
    /// Confirmed deposits short of their confirmations, with the height that included them.
    maturing: Vec<(Tx, u64)>,
    /// Ids minted for malleated copies, and for the world's transactions.
    next_malleated: u64,
    next_world: u64,
    /// The next payment of the world's transactions (from `Payment::INBOUND`).
    next_inbound: u64,
    /// Value that left custody to someone who should not have it ([`Tx::is_stolen`]).
    stolen: Minor,
    /// Every value that left custody (withdrawals paid, thefts).
    paid_out: Minor,
}

impl Chain {
    /// An empty chain for `asset`, with its policy's confirmations and hot share, and whether the
    /// hot wallet needs two signatures (`CustodyPolicy::hot_multisig`).
    pub fn new(asset: AssetId, policy: &AssetPolicy, hot_multisig: bool) -> Chain {
        assert!(policy.hot_share_bps <= BPS, "a hot share is at most 10000 bps");
        Chain {
            asset,
            confirmations: policy.confirmations.max(1),
            hot_share_bps: policy.hot_share_bps,
            hot_multisig,
            hot: 0,
            cold: 0,
            height: 0,
            mempool: Vec::new(),
            spent: Spent { floor: 1, above: BTreeSet::new() },
            maturing: Vec::new(),
            next_malleated: 0,
            next_world: 0,
            next_inbound: Payment::INBOUND,
            stolen: 0,
            paid_out: 0,
        }
    }

    /// Set-up funding before the first block: `amount` more in custody, the whole custody split
    /// hot/cold by the hot share (hot = total × share / 10000, rounded down). The kernel mirrors
    /// here the set-up `Deposit` commands it sends the exchange. Returns the reserves.
    pub fn genesis(&mut self, amount: Minor) -> ChainFact {
        assert!(self.height == 0 && self.mempool.is_empty(), "genesis precedes every block and transaction");
        assert!(amount >= 0, "genesis funds are not negative");
        let total = self.hot.checked_add(self.cold).and_then(|t| t.checked_add(amount)).expect("custody fits");
        self.hot = total.checked_mul(Minor::from(self.hot_share_bps)).expect("custody × bps fits") / Minor::from(BPS);
        self.cold = total - self.hot;
        self.reserves()
    }

    /// Submits the exchange's payment (an [`Intent::Pay`] of this asset) for a withdrawal of
    /// `owner` (whom the kernel knows from the request): from the hot wallet to the intent's
    /// address, under the intent's txid and payment.
    pub fn pay(&mut self, intent: &Intent, owner: UserId) -> Result<ChainFact, Refused> {
        let Intent::Pay { withdrawal, asset, to, amount, txid, payment } = *intent else {
            return Err(Refused::Invalid);
        };
        if txid.0 >= TxId::MALLEATED || payment.0 >= Payment::INBOUND || payment.0 == 0 {
            return Err(Refused::Invalid);
        }
        if self.spent.contains(payment) {
            return Err(Refused::PaymentSpent);
        }
        let purpose = Purpose::Withdrawal { id: withdrawal, owner };
        self.submit(Tx {
            txid,
            payment,
            asset,
            from: Source::Wallet(Wallet::Hot),
            to: Dest::Address(to),
            amount,
            purpose,
        })
    }

    /// Submits a customer's deposit of `amount` from `from` (their own address, usually) to
    /// `user`'s deposit address. The chain numbers its id and payment.
    pub fn deposit(&mut self, user: UserId, from: Address, amount: Minor) -> Result<ChainFact, Refused> {
        let tx = self.world_tx(Source::Outside(from), Dest::Deposit(user), amount, Purpose::Deposit);
        self.submit(tx)
    }

    /// Submits a sweep of `amount` from wallet `from` to the other one. (Cold → hot needs the
    /// offline keys: the kernel submits it only after its cold-signing delay; see
    /// [`Chain::plan_sweep`].)
    pub fn sweep(&mut self, from: Wallet, amount: Minor) -> Result<ChainFact, Refused> {
        let to = match from {
            Wallet::Hot => Wallet::Cold,
            Wallet::Cold => Wallet::Hot,
        };
        let tx = self.world_tx(Source::Wallet(from), Dest::Wallet(to), amount, Purpose::Sweep);
        self.submit(tx)
    }

    /// A thief holding `keys` of the hot wallet's keys spends `amount` from it to `to`. Refused
    /// ([`Refused::NotEnoughKeys`]) with no key, or with fewer than two when the policy requires a
    /// multisig hot wallet. Like any transaction, it waits while the hot wallet is short.
    pub fn steal(&mut self, keys: u8, to: Address, amount: Minor) -> Result<ChainFact, Refused> {
        let needed = if self.hot_multisig { 2 } else { 1 };
        if keys < needed {
            return Err(Refused::NotEnoughKeys);
        }
        let tx = self.world_tx(Source::Wallet(Wallet::Hot), Dest::Address(to), amount, Purpose::Theft);
        self.submit(tx)
    }

    /// A transaction of the world, numbered by the chain (unless it is invalid: nothing is
    /// numbered for a transaction `submit` refuses, since the numbering is checked there too).
    fn world_tx(&mut self, from: Source, to: Dest, amount: Minor, purpose: Purpose) -> Tx {
        let txid = minted_txid(self.next_world, true);
        let payment = Payment(self.next_inbound);
        Tx { txid, payment, asset: self.asset, from, to, amount, purpose }
    }

    /// Puts a valid transaction at the end of the mempool.
    fn submit(&mut self, tx: Tx) -> Result<ChainFact, Refused> {
        if tx.asset != self.asset {
            return Err(Refused::WrongAsset);
        }
        let loops = matches!((tx.from, tx.to), (Source::Wallet(a), Dest::Wallet(b)) if a == b);
        if tx.amount <= 0 || loops || matches!(tx.from, Source::Outside(_)) && !matches!(tx.to, Dest::Deposit(_)) {
            return Err(Refused::Invalid);
        }
        if tx.payment.0 >= Payment::INBOUND {
            // A world transaction: the ids just used are taken.
            self.next_world += 1;
            self.next_inbound += 1;
        }
        self.mempool.push(tx);
        Ok(ChainFact::Submitted { tx })
    }

    /// Re-publishes the mempool's transaction `txid` under a new id the chain mints: the original
    /// id will never confirm; its payment may confirm once, under the new id. `None` when no
    /// transaction `txid` waits in the mempool.
    pub fn malleate(&mut self, txid: TxId) -> Option<ChainFact> {
        let tx = self.mempool.iter_mut().find(|t| t.txid == txid)?;
        let new = minted_txid(self.next_malleated, false);
        self.next_malleated += 1;
        tx.txid = new;
        Some(ChainFact::Malleated { asset: self.asset, original: txid, txid: new, payment: tx.payment })
    }

    /// Mines one block (at a time the kernel chose): includes, in mempool order, each transaction
    /// whose source can pay it, drops each whose payment is spent, leaves the others waiting.
    /// Appends to `facts`: `Confirmed` and `Dropped` in mempool order, then a
    /// `DepositConfirmations` for each deposit still short of (or just reaching) its
    /// confirmations, then the `Reserves`.
    pub fn mine(&mut self, facts: &mut Vec<ChainFact>) {
        self.height += 1;
        let height = self.height;
        let mut waiting = Vec::with_capacity(self.mempool.len());
        for tx in std::mem::take(&mut self.mempool) {
            let exchange_payment = tx.payment.0 < Payment::INBOUND;
            if exchange_payment && self.spent.contains(tx.payment) {
                facts.push(ChainFact::Dropped { tx, reason: DropReason::PaymentSpent });
                continue;
            }
            if !self.apply(&tx) {
                waiting.push(tx);
                continue;
            }
            if exchange_payment {
                self.spent.insert(tx.payment);
            }
            if matches!(tx.to, Dest::Deposit(_)) {
                self.maturing.push((tx, height));
            }
            facts.push(ChainFact::Confirmed { tx, height });
        }
        self.mempool = waiting;
        let required = self.confirmations;
        self.maturing.retain(|&(tx, included)| {
            let confirmations = u32::try_from(height - included + 1).unwrap_or(u32::MAX);
            facts.push(ChainFact::DepositConfirmations { tx, confirmations });
            confirmations < required
        });
        facts.push(self.reserves());
    }

    /// Moves `tx`'s value if its source can pay it (and its destination's total fits). Returns
    /// whether it did.
    fn apply(&mut self, tx: &Tx) -> bool {
        let (mut hot, mut cold) = (self.hot, self.cold);
        match tx.from {
            Source::Wallet(Wallet::Hot) if hot >= tx.amount => hot -= tx.amount,
            Source::Wallet(Wallet::Cold) if cold >= tx.amount => cold -= tx.amount,
            Source::Outside(_) => {}
            Source::Wallet(_) => return false,
        }
        let credited = match tx.to {
            Dest::Wallet(Wallet::Hot) | Dest::Deposit(_) => hot.checked_add(tx.amount).map(|h| hot = h),
            Dest::Wallet(Wallet::Cold) => cold.checked_add(tx.amount).map(|c| cold = c),
            Dest::Address(_) => Some(()),
        };
        if credited.is_none() || hot.checked_add(cold).is_none() {
            return false;
        }
        (self.hot, self.cold) = (hot, cold);
        if tx.leaves_custody() {
            self.paid_out = self.paid_out.saturating_add(tx.amount);
            if tx.is_stolen() {
                self.stolen = self.stolen.saturating_add(tx.amount);
            }
        }
        true
    }

    fn reserves(&self) -> ChainFact {
        ChainFact::Reserves { asset: self.asset, height: self.height, hot: self.hot, cold: self.cold }
    }

    /// The asset.
    pub fn asset(&self) -> AssetId {
        self.asset
    }

    /// Blocks mined so far.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The hot wallet's balance on chain.
    pub fn hot(&self) -> Minor {
        self.hot
    }

    /// The cold wallet's balance on chain.
    pub fn cold(&self) -> Minor {
        self.cold
    }

    /// The target share of the hot wallet, in basis points.
    pub fn hot_share_bps(&self) -> u32 {
        self.hot_share_bps
    }

    /// The transactions waiting, in order.
    pub fn mempool(&self) -> &[Tx] {
        &self.mempool
    }

    /// Whether `payment` (one of the exchange's) is spent.
    pub fn is_spent(&self, payment: Payment) -> bool {
        payment.0 < Payment::INBOUND && self.spent.contains(payment)
    }

    /// Ground truth for the breach metrics: value that left custody to someone who should not have
    /// it (thefts, and withdrawals to an address not the withdrawing customer's own), so far.
    pub fn stolen(&self) -> Minor {
        self.stolen
    }

    /// Every value that left custody so far (withdrawals paid and thefts).
    pub fn paid_out(&self) -> Minor {
        self.paid_out
    }

    /// How many records it holds: mempool, maturing deposits, spent payments above the floor.
    /// Live state only; for tests and measurements.
    pub fn retained(&self) -> usize {
        self.mempool.len() + self.maturing.len() + self.spent.above.len()
    }
}
