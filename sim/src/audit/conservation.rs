//! The conservation checker: per asset, what the internal accounts hold equals what was deposited
//! less what was withdrawn.
//!
//! Two independent tallies per asset: the sum of every non-world posting in the journal entries it
//! is shown, and the net deposits counted from acknowledged `Deposit` and `DepositSeen` *commands*
//! (not from the ledger) less settled withdrawals (an acknowledged `PaymentConfirmed`: what its
//! entry paid the world; a `Withdraw` request only holds funds inside the ledger). After every command they must be equal: O(assets) per command. Part 2
//! extends the command side to pending withdrawals and on-chain funds.

use super::checker::{Checker, Found};
use super::observation::Observation;
use crate::catalog::Invariant;
use crate::exchange::{Command, FundsCommand};
use crate::ledger::Account;

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Conservation {
    /// Per asset: what was deposited less what was withdrawn, from acknowledged commands.
    net_deposits: Vec<i128>,
    /// Per asset: the sum of every non-world posting seen.
    internal: Vec<i128>,
}

impl Conservation {
    pub(super) fn new(assets: usize) -> Conservation {
        Conservation { net_deposits: vec![0; assets], internal: vec![0; assets] }
    }
}

impl Checker for Conservation {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::Conservation]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        for entry in obs.entries() {
            found.exercise(Invariant::Conservation);
            for p in entry.postings() {
                if p.account != Account::World {
                    if let Some(sum) = self.internal.get_mut(usize::from(p.asset.0)) {
                        *sum += p.delta;
                    }
                }
            }
        }
        if obs.result.is_ok() {
            match *obs.command {
                Command::Funds(FundsCommand::Deposit { asset, amount, .. }) => {
                    if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
                        *n += amount;
                    }
                }
                Command::Funds(FundsCommand::DepositSeen { asset, amount, .. }) => {
                    if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
                        *n += amount;
                    }
                }
                // A withdrawal leaves when its payment confirms (a request only holds it). The
                // confirmation names no amount: what left is its entry's credit to the world.
                Command::Funds(FundsCommand::PaymentConfirmed { asset, .. }) => {
                    let paid: i128 = obs
                        .entries()
                        .flat_map(|e| e.postings())
                        .filter(|p| p.account == Account::World && p.asset == asset)
                        .map(|p| p.delta)
                        .sum();
                    if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
                        *n -= paid;
                    }
                }
                _ => {}
            }
        }
        for (asset, (held, net)) in self.internal.iter().zip(&self.net_deposits).enumerate() {
            if held != net {
                found.push((
                    Invariant::Conservation,
                    format!("asset {asset}: accounts hold {held} but deposits less withdrawals are {net}"),
                ));
            }
        }
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
