//! The simulated chains (SPEC §2.5): one per asset, living in the world, outside the exchange.
//!
//! - `tx.rs` — [`Tx`]: [`Source`], [`Dest`], [`Purpose`], [`Wallet`], and the ids the chain mints;
//! - `wallets.rs` — [`Chain`]: the exchange's hot and cold wallets on chain, the mempool, blocks,
//!   spent payments, malleability, and the ground truth of value stolen;
//! - `fact.rs` — [`ChainFact`]: everything a chain reports (its only output);
//! - `sweep.rs` — [`plan_sweep`]: which sweep keeps the hot wallet at its target share.
//!
//! A chain is pure: it draws no random number and reads no clock. The kernel drives it:
//! 1. at set-up, [`Chain::genesis`] with the funding it deposits in the exchange;
//! 2. each `Intent::Pay` the exchange emits → [`Chain::pay`] (with the withdrawal's owner);
//!    a customer's deposit → [`Chain::deposit`]; a sweep → [`Chain::sweep`] (see [`plan_sweep`]);
//!    a thief → [`Chain::steal`]; the malleability attacker → [`Chain::malleate`];
//! 3. at each block time it chooses, [`Chain::mine`], then turns the facts into the exchange's
//!    system inputs (`Confirmed` of a withdrawal → `PaymentConfirmed { asset, txid, payment }`;
//!    `DepositConfirmations` → `DepositSeen { .., confirmations }`) and hands every fact to the
//!    auditor (`Auditor::observe_chain`).
//!
//! It depends on `units`, `ledger` (user ids) and `exchange` (the id types, the policy, the
//! intent) only.

mod fact;
mod sweep;
mod tx;
mod wallets;

#[cfg(test)]
mod tests;

pub use fact::{ChainFact, DropReason, Refused};
pub use sweep::{plan_sweep, SweepPlan};
pub use tx::{minted_txid, Dest, Purpose, Source, Tx, Wallet, WORLD_TXID};
pub use wallets::{Chain, BPS};
