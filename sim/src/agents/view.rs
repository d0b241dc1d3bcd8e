//! What an agent sees when it wakes: what a client of the exchange could know, delivered by the
//! kernel — never the exchange itself.
//!
//! - **public market data** per market ([`MarketData`]): the instrument as the venue publishes it
//!   (assets, tick, lot, highest price) and the last trade price from the public trade feed;
//! - **its own account** ([`AccountState`]): the available and held balance of each asset, as an
//!   account API answers at the moment it wakes (orders it has open it remembers itself, from the
//!   answers it got);
//! - **the time** ([`View::now_ns`]): simulated time, which any client's clock shows;
//! - **ground truth** ([`GroundTruth`]): the fair value per market, which the simulator knows and a
//!   real client does not; the agents' shared signal, named so nobody mistakes it for market data.
//!
//! Invariants: a [`View`] holds no reference to the exchange, its ledger or its books — only the
//! kernel's own records and a copy of the agent's balances — so an agent (an attacker too) cannot
//! read another user's state or anything a client could not know. Building one costs two balance
//! reads per asset into a buffer the kernel reuses: nothing is allocated per wake, and nothing is
//! proportional to a book.

use super::Intel;
use crate::ledger::{Account, Ledger, UserId};
use crate::units::{AssetId, Market, MarketId, Minor, Price};

/// Public market data of one market, kept by the kernel from what the exchange published.
#[derive(Clone, Debug)]
pub struct MarketData {
    /// The instrument: base and quote assets, tick, lot, highest price (static reference data).
    pub instrument: Market,
    /// The last trade price, if any (updated from every fill).
    pub last_trade: Option<Price>,
}

/// An agent's own account as the exchange reports it: per asset (by id), available and held.
#[derive(Clone, Debug, Default)]
pub struct AccountState {
    available: Vec<Minor>,
    held: Vec<Minor>,
}

impl AccountState {
    /// Reads `user`'s balances of every asset from `ledger`, reusing the buffers. The kernel's
    /// part: an agent is never given a ledger.
    pub(crate) fn read(&mut self, ledger: &Ledger, user: UserId, assets: usize) {
        self.available.clear();
        self.held.clear();
        for a in 0..assets {
            let asset = AssetId(u16::try_from(a).expect("asset ids fit u16 (at most MAX_ASSETS)"));
            self.available.push(ledger.balance(Account::Available(user), asset));
            self.held.push(ledger.balance(Account::Held(user), asset));
        }
    }

    /// An account state with these available balances (by asset id) and nothing held: for the
    /// kinds' unit tests.
    #[cfg(test)]
    pub(crate) fn with_available(available: &[Minor]) -> AccountState {
        AccountState { available: available.to_vec(), held: vec![0; available.len()] }
    }

    /// Free to trade or withdraw (0 for an asset it never held).
    pub fn available(&self, asset: AssetId) -> Minor {
        self.available.get(usize::from(asset.0)).copied().unwrap_or(0)
    }

    /// Reserved by its open orders.
    pub fn held(&self, asset: AssetId) -> Minor {
        self.held.get(usize::from(asset.0)).copied().unwrap_or(0)
    }

    /// Available plus held (saturating; each is at most `AMOUNT_MAX`, so it never saturates).
    pub fn owned(&self, asset: AssetId) -> Minor {
        self.available(asset).saturating_add(self.held(asset))
    }
}

/// What the simulator knows and no client does: the fair value per market.
#[derive(Clone, Copy, Debug)]
pub struct GroundTruth<'a> {
    fair: &'a [Price],
}

impl<'a> GroundTruth<'a> {
    pub(crate) fn new(fair: &'a [Price]) -> GroundTruth<'a> {
        GroundTruth { fair }
    }

    /// The fair value of `market` now.
    pub fn fair_value(&self, market: MarketId) -> Price {
        self.fair[usize::from(market.0)]
    }
}

/// Everything an agent may read when it acts. See the module invariants.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// The agent's own account id.
    pub user: UserId,
    /// Simulated time now, in nanoseconds: the agent's own clock (a client knows the time).
    pub now_ns: u64,
    /// Its balances, read when it woke.
    pub account: &'a AccountState,
    /// Public market data, by market id.
    pub markets: &'a [MarketData],
    /// Ground truth: the fair values.
    pub ground_truth: GroundTruth<'a>,
    /// Ground truth for attackers: what they know ([`Intel`]). Honest agents never read it.
    pub intel: &'a Intel,
    /// The accounts the agent has signed into or used a key of besides its own (an attacker's
    /// victims), each as its account page shows it when the agent wakes.
    pub victims: &'a [(UserId, AccountState)],
}

impl View<'_> {
    /// Public data of `market`.
    pub fn market(&self, market: MarketId) -> &MarketData {
        &self.markets[usize::from(market.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Cause, CauseKind, Posting};

    #[test]
    fn the_account_state_is_the_agents_own_and_reused() {
        let (btc, usd) = (AssetId(0), AssetId(1));
        let mut ledger = Ledger::new(2);
        let (me, other) = (ledger.open_user(), ledger.open_user());
        let p = |account, asset, delta| Posting { account, asset, delta };
        let cause = Cause { seq: 1, kind: CauseKind::Deposit };
        ledger
            .commit(
                cause,
                &[
                    p(Account::World, usd, -1_000),
                    p(Account::Available(me), usd, 700),
                    p(Account::Held(me), usd, 300),
                    p(Account::World, btc, -9),
                    p(Account::Available(other), btc, 9),
                ],
            )
            .unwrap();
        let mut state = AccountState::default();
        state.read(&ledger, me, 2);
        assert_eq!((state.available(usd), state.held(usd), state.owned(usd)), (700, 300, 1_000));
        assert_eq!(state.owned(btc), 0, "another user's balance is not in my view");
        assert_eq!(state.owned(AssetId(7)), 0, "an asset that does not exist reads as nothing");
        state.read(&ledger, other, 2);
        assert_eq!((state.owned(usd), state.owned(btc)), (0, 9), "a re-read replaces, never adds");
    }
}
