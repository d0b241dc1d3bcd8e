//! Custody in the kernel: the world's chains (one per asset) and the exchange's back office — the
//! withdrawal and transfer workers, the operator who reviews, the chain watchers and the reserves
//! monitor — as kernel events interleaved with everything else (SPEC §2.5, §3 "Races").
//!
//! How money moves:
//! - a customer's deposit is a chain action of its agent; the chain confirms it block by block and
//!   the watcher tells the exchange (`DepositSeen` with the count);
//! - a withdrawal is steps, each its own event: the request (a client command) → the worker's
//!   `ProcessWithdrawal` a `withdrawal_delay` after the request's answer left the exchange (or,
//!   held for review, the operator's `ReviewWithdrawal` a `review_delay` later, then the worker) →
//!   the exchange's `Intent::Pay` broadcast from the hot wallet → a block confirms it → the
//!   watcher's `PaymentConfirmed` → settled. A transfer: the request → `ProcessTransfer`;
//! - after each block the custodian sweeps toward the hot wallet's target share (hot → cold at
//!   once, cold → hot after `sweep_delay`); thieves and the malleability attacker act on chain;
//! - the reserves monitor's first alarm goes to the exchange as the system input `RaiseAlert`
//!   (a back-office command like the workers'), `alarm_delay` after the failed check.
//!
//! Back-office commands are sent by the [`SYSTEM`] client straight to the gateway (no network),
//! each under its own idempotency key and kept until its answer leaves the exchange: one lost to
//! a crash (the exchange down, or applied but not yet durable) is re-sent after the recovery with
//! the same key, so each step is applied once.
//!
//! Invariant (the exchange's effects leave only once durable): an `Intent` is carried out when the
//! answer of the command that emitted it leaves the exchange — at the flush that makes it durable
//! — never at apply. A crash loses a command's intents with the command, so the exchange can never
//! have paid what its recovered journal does not know it sent. (Under `ack_before_durable` answers,
//! and so intents, leave at once: the fault's damage.) Workers act on answers the same way: a step
//! is scheduled once, from the first release of the answer that makes it due.

use std::collections::{BTreeMap, VecDeque};

use serde_json::json;

use crate::audit::Stamp;
use crate::chain::{Chain, ChainFact, Dest, Purpose, Source, Wallet, BPS};
use crate::exchange::{
    Ack, Address, Command, FundsCommand, Intent, Reject, TransferState, WithdrawalId, WithdrawalState,
};
use crate::ledger::{Account, UserId};
use crate::rng::Stream;
use crate::units::{AssetId, Minor};

use super::super::breach::Breach;
use super::super::gateway::{Answer, SYSTEM};
use super::{Ev, World, BLOCK, MONITOR, SWEEP, SYSTEM_STEP};
use crate::agents::ChainAction;

/// The band around the hot wallet's target share within which the custodian does not sweep.
pub const SWEEP_BAND_BPS: u32 = 500;

/// The world's chains and the exchange's back office.
pub(super) struct Custody {
    pub chains: Vec<Chain>,
    /// Each chain's block times come from its own stream, `chain/<asset>`.
    block_streams: Vec<Stream>,
    /// Scratch: one block's facts.
    facts: Vec<ChainFact>,
    /// The back office's next idempotency key, and its requests whose answer has not left yet.
    next_key: u64,
    pub outstanding: BTreeMap<u64, Command>,
    /// Intents of applied commands whose answers have not left yet, in log order.
    pub(super) pending_intents: VecDeque<(usize, Intent)>,
    /// Answers of log entries below this have been acted on (steps scheduled).
    worked_up_to: usize,
    /// Per asset: a cold → hot sweep is on its way.
    sweep_pending: Vec<bool>,
    /// Per user (by id): whether the simulator knows it for an attacker's (ground truth).
    attacker: Vec<bool>,
    pub breach: Breach,
    /// Whether the run is in its healing phase (attackers and crashes stopped).
    pub healing: bool,
    /// Chain facts since the gateway's last checkpoint (see [`World::chain_fact`]).
    pub facts_since_checkpoint: Vec<(ChainFact, Stamp)>,
}

impl Custody {
    pub fn new(chains: Vec<Chain>, seed: u64, symbols: &[&str]) -> Custody {
        let assets = chains.len();
        Custody {
            chains,
            block_streams: symbols.iter().map(|s| Stream::new(seed, &format!("chain/{s}"))).collect(),
            facts: Vec::with_capacity(16),
            next_key: 1,
            outstanding: BTreeMap::new(),
            pending_intents: VecDeque::new(),
            worked_up_to: 0,
            sweep_pending: vec![false; assets],
            attacker: Vec::new(),
            breach: Breach::new(assets),
            healing: false,
            facts_since_checkpoint: Vec::new(),
        }
    }

    /// The back office's keys start after those set-up used.
    pub fn start_keys(&mut self, first: u64) {
        assert!(self.outstanding.is_empty(), "keys are set before the run");
        self.next_key = first;
    }

    /// Marks `user` as an attacker's account (or not).
    pub fn set_attacker(&mut self, user: UserId, attacker: bool) {
        let i = user.0 as usize;
        if self.attacker.len() <= i {
            self.attacker.resize(i + 1, false);
        }
        self.attacker[i] = attacker;
    }

    pub fn is_attacker(&self, user: UserId) -> bool {
        self.attacker.get(user.0 as usize).copied().unwrap_or(false)
    }

    /// Whether value sent to `to` reaches an attacker: an attacker customer's own address, or an
    /// address outside every customer's (a thief's).
    fn attacker_address(&self, to: Address) -> bool {
        to.0 >= Address::OUTSIDE || u32::try_from(to.0).is_ok_and(|u| self.is_attacker(UserId(u)))
    }

    /// The next block time of chain `asset` after `now`.
    pub fn next_block(&mut self, asset: usize, now: u64, interval_ns: u64) -> u64 {
        now.saturating_add(self.block_streams[asset].exponential_ns(interval_ns).max(1))
    }

    /// After a crash: the intents not yet released are lost with their commands, and the answers
    /// from the durable end on will be new.
    pub fn crashed(&mut self, durable: usize) {
        self.pending_intents.clear();
        self.worked_up_to = self.worked_up_to.min(durable);
    }
}

/// Customer liabilities of `asset` in the exchange's own books: every customer's (not the
/// house's) available, held and pending-withdrawal balances, negative ones counting as nothing.
pub(super) fn liabilities(ledger: &crate::ledger::Ledger, asset: AssetId) -> Minor {
    let mut total: Minor = 0;
    for u in 1..ledger.users() {
        let user = UserId(u32::try_from(u).expect("user ids fit u32"));
        for account in [Account::Available(user), Account::Held(user), Account::PendingWithdrawal(user)] {
            total = total.saturating_add(ledger.balance(account, asset).max(0));
        }
    }
    total
}

impl<E: crate::engine::MatchingEngine + Clone> World<'_, E> {
    /// A chain fact: to the auditor, and kept until the next checkpoint so that a recovery can
    /// show it again to the auditor rebuilt from that checkpoint (the chain, in the world, does
    /// not crash with the exchange).
    fn chain_fact(&mut self, fact: ChainFact, at: Stamp) {
        self.auditor.observe_chain(&fact, at);
        if let Some(tape) = self.gateway.tape_mut() {
            tape.fact(at.time_ns, &fact);
        }
        self.custody.facts_since_checkpoint.push((fact, at));
    }

    /// Schedules each chain's first block and the reserves monitor's first check.
    pub(super) fn custody_start(&mut self) {
        let s = self.scenario;
        for (asset, chain) in s.custody.chains.iter().enumerate() {
            if chain.block_interval_ns > 0 {
                let t = self.custody.next_block(asset, 0, chain.block_interval_ns);
                self.queue.schedule(t, Ev::Block { asset: asset as u16 });
            }
        }
        if s.custody.reserves_check_ns > 0 {
            self.queue.schedule(s.custody.reserves_check_ns, Ev::Monitor);
        }
    }

    /// An agent's chain action, carried out by the world at once.
    pub(super) fn chain_action(&mut self, at: Stamp, user: UserId, action: ChainAction) {
        let attacker = self.custody.is_attacker(user);
        let fact = match action {
            ChainAction::Deposit { asset, amount } => {
                let Some(chain) = self.custody.chains.get_mut(usize::from(asset.0)) else { return };
                let fact = chain.deposit(user, Address::of(user), amount).ok();
                if fact.is_some() && attacker {
                    self.custody.breach.brought(asset, amount);
                }
                fact
            }
            ChainAction::Malleate { withdrawal } => self.custody.chains.iter_mut().find_map(|chain| {
                let txid = chain
                    .mempool()
                    .iter()
                    .find(|tx| matches!(tx.purpose, Purpose::Withdrawal { id, .. } if id == withdrawal))?
                    .txid;
                chain.malleate(txid)
            }),
            ChainAction::StealHot { asset, share_bps, to } => {
                let Some(chain) = self.custody.chains.get_mut(usize::from(asset.0)) else { return };
                let amount = chain.hot().saturating_mul(Minor::from(share_bps.min(BPS))) / Minor::from(BPS);
                // One stolen key: a multisig hot wallet refuses it.
                (amount > 0).then(|| chain.steal(1, to, amount).ok()).flatten()
            }
        };
        if let Some(fact) = fact {
            self.chain_fact(fact, at);
        }
    }

    /// A back-office command sent to the exchange now (see the module docs).
    pub(super) fn system_send(&mut self, command: Command) -> u64 {
        let key = self.custody.next_key;
        self.custody.next_key += 1;
        self.custody.outstanding.insert(key, command);
        key
    }

    /// Applies a back-office command at the gateway: one event of the canonical stream.
    pub(super) fn system_step(&mut self, at: Stamp, key: u64) {
        self.rec.begin(at.seq, at.time_ns, SYSTEM_STEP);
        self.rec.u64(key);
        let Some(&command) = self.custody.outstanding.get(&key) else {
            // Answered already (a re-send after recovery whose first try survived).
            self.rec.u64(0);
            self.rec.end(
                || json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "system", "key": key, "received": "answered"}),
            );
            return;
        };
        self.rec.command(&command);
        let floor = self.custody.outstanding.keys().next().copied().unwrap_or(key);
        // Down: kept outstanding, re-sent after the recovery. Recorded one above the gateway's
        // code: 0 is "answered already".
        let (received, outcome) = self.deliver(at, SYSTEM, key, floor, crate::exchange::Origin::System, &command);
        let code = received + 1;
        self.rec.u64(code);
        if let Some(outcome) = &outcome {
            self.rec.outcome(outcome);
        }
        self.rec.end(|| {
            let received = ["", "down", "stale", "duplicate", "applied"][code as usize];
            let outcome = outcome.map_or_else(String::new, |o| format!("{o:?}"));
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "system", "key": key,
                   "command": format!("{command:?}"), "received": received, "outcome": outcome})
        });
    }

    /// Schedules a back-office command `delay` from `now`.
    pub(super) fn system_after(&mut self, now: u64, delay: u64, command: Command) {
        let key = self.system_send(command);
        self.queue.schedule(now.saturating_add(delay), Ev::System { key });
    }

    /// An answer left the exchange (it is durable, or `ack_before_durable` is on): carries out the
    /// intents up to its command and, the first time, schedules the steps it makes due.
    pub(super) fn released(&mut self, at: Stamp, a: &Answer) {
        let now = at.time_ns;
        while let Some(&(index, intent)) = self.custody.pending_intents.front() {
            if index > a.index {
                break;
            }
            self.custody.pending_intents.pop_front();
            self.carry_out(at, intent);
        }
        let command = if a.client == SYSTEM { self.custody.outstanding.remove(&a.key) } else { None };
        if a.index < self.custody.worked_up_to {
            return;
        }
        self.custody.worked_up_to = a.index + 1;
        let c = &self.scenario.custody;
        let (work, review) = (c.withdrawal_delay_ns, c.review_delay_ns);
        match (a.outcome, command) {
            (Ok(Ack::Withdrawal(id)), _) => {
                self.system_after(now, work, Command::Funds(FundsCommand::ProcessWithdrawal { id }))
            }
            (Ok(Ack::Transfer(id)), _) => {
                self.system_after(now, work, Command::Funds(FundsCommand::ProcessTransfer { id }))
            }
            (Err(Reject::PendingReview), Some(Command::Funds(FundsCommand::ProcessWithdrawal { id }))) => {
                let approve = self.scenario.custody.review_approves;
                self.system_after(now, review, Command::Funds(FundsCommand::ReviewWithdrawal { id, approve }))
            }
            (Ok(_), Some(Command::Funds(FundsCommand::ReviewWithdrawal { id, approve: true }))) => {
                self.system_after(now, work, Command::Funds(FundsCommand::ProcessWithdrawal { id }))
            }
            _ => {}
        }
    }

    /// Carries out one of the exchange's intents.
    fn carry_out(&mut self, at: Stamp, intent: Intent) {
        match intent {
            Intent::Pay { withdrawal, asset, .. } => {
                let owner = self.owner(withdrawal);
                let Some(chain) = self.custody.chains.get_mut(usize::from(asset.0)) else { return };
                // A payment already spent (re-sent after a recovery) is refused by the chain.
                if let Ok(fact) = chain.pay(&intent, owner) {
                    self.chain_fact(fact, at);
                }
            }
            Intent::Mail(mail) => self.deliver_mail(at, &mail),
        }
    }

    /// Who asked for `withdrawal` (the exchange's record; ground truth for the chain's purpose).
    fn owner(&self, withdrawal: WithdrawalId) -> UserId {
        self.gateway.exchange().withdrawal(withdrawal).map_or(UserId::HOUSE, |w| w.user)
    }

    /// A block on chain `asset`: its facts go to the auditor, the watchers and the breach metrics;
    /// then the custodian sweeps and the next block is scheduled.
    pub(super) fn block(&mut self, at: Stamp, asset: u16) {
        self.rec.begin(at.seq, at.time_ns, BLOCK);
        self.rec.u64(u64::from(asset));
        let a = usize::from(asset);
        let mut facts = std::mem::take(&mut self.custody.facts);
        self.custody.chains[a].mine(&mut facts);
        let mut steps = 0u64;
        for fact in &facts {
            self.chain_fact(*fact, at);
            match *fact {
                ChainFact::Confirmed { tx, .. } => {
                    if let (Source::Wallet(_), Dest::Address(to)) = (tx.from, tx.to) {
                        if self.custody.attacker_address(to) {
                            self.custody.breach.taken(tx.asset, tx.amount);
                        }
                    }
                    if let Purpose::Withdrawal { .. } = tx.purpose {
                        let (asset, txid, payment) = (tx.asset, tx.txid, tx.payment);
                        self.system_after(
                            at.time_ns,
                            0,
                            Command::Funds(FundsCommand::PaymentConfirmed { asset, txid, payment }),
                        );
                        steps += 1;
                    }
                }
                ChainFact::DepositConfirmations { tx, confirmations } => {
                    if let Dest::Deposit(user) = tx.to {
                        let (asset, amount, payment) = (tx.asset, tx.amount, tx.payment);
                        self.system_after(
                            at.time_ns,
                            0,
                            Command::Funds(FundsCommand::DepositSeen { user, asset, amount, payment, confirmations }),
                        );
                        steps += 1;
                    }
                }
                _ => {}
            }
        }
        let n = facts.len();
        facts.clear();
        self.custody.facts = facts;
        // The custodian: toward the hot wallet's target share.
        let mut swept = 0;
        if !self.custody.sweep_pending[a] {
            if let Some(plan) = self.custody.chains[a].plan_sweep(SWEEP_BAND_BPS) {
                swept = plan.amount;
                match plan.from {
                    Wallet::Hot => {
                        if let Ok(fact) = self.custody.chains[a].sweep(Wallet::Hot, plan.amount) {
                            self.chain_fact(fact, at);
                        }
                    }
                    Wallet::Cold => {
                        self.custody.sweep_pending[a] = true;
                        let t = at.time_ns.saturating_add(self.scenario.custody.sweep_delay_ns);
                        self.queue.schedule(t, Ev::Sweep { asset, amount: plan.amount });
                    }
                }
            }
        }
        let interval = self.scenario.custody.chains[a].block_interval_ns;
        let t = self.custody.next_block(a, at.time_ns, interval);
        self.queue.schedule(t, Ev::Block { asset });
        let height = self.custody.chains[a].height();
        self.rec.u64(height);
        self.rec.u64(n as u64);
        self.rec.u64(steps);
        self.rec.i128(swept);
        self.rec.end(|| {
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "block", "asset": asset, "height": height,
                   "facts": n, "steps": steps, "swept": swept.to_string()})
        });
    }

    /// A cold → hot sweep, signed offline, reaches the chain.
    pub(super) fn sweep(&mut self, at: Stamp, asset: u16, amount: Minor) {
        self.rec.begin(at.seq, at.time_ns, SWEEP);
        self.rec.u64(u64::from(asset));
        self.rec.i128(amount);
        let a = usize::from(asset);
        self.custody.sweep_pending[a] = false;
        let amount = amount.min(self.custody.chains[a].cold());
        let done = amount > 0
            && match self.custody.chains[a].sweep(Wallet::Cold, amount) {
                Ok(fact) => {
                    self.chain_fact(fact, at);
                    true
                }
                Err(_) => false,
            };
        self.rec.u64(u64::from(done));
        self.rec.end(|| {
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "sweep", "asset": asset, "amount": amount.to_string(), "done": done})
        });
    }

    /// The exchange's reserves monitor: compares each chain's reserves with what its own books
    /// owe customers; a shortfall raises the alarm `alarm_delay` later (the breach's detection),
    /// and the first alarm is sent to the exchange then as `RaiseAlert` (which freezes client
    /// trading and withdrawals under the `freeze_on_alert` policy).
    pub(super) fn monitor(&mut self, at: Stamp) {
        self.rec.begin(at.seq, at.time_ns, MONITOR);
        let mut short = 0u64;
        for (a, chain) in self.custody.chains.iter().enumerate() {
            let asset = AssetId(u16::try_from(a).expect("asset ids fit u16"));
            let reserves = chain.hot().saturating_add(chain.cold());
            if reserves < liabilities(self.gateway.exchange().ledger(), asset) {
                short += 1;
            }
        }
        if short > 0 {
            let first = self.custody.breach.detected_ns.is_none();
            let delay = self.scenario.custody.alarm_delay_ns;
            self.custody.breach.detect(at.time_ns.saturating_add(delay));
            if first {
                // The alarm reaches the exchange as the back office's system input; what it does
                // there is the `freeze_on_alert` policy's.
                self.system_after(at.time_ns, delay, Command::Funds(FundsCommand::RaiseAlert));
            }
        }
        let t = at.time_ns.saturating_add(self.scenario.custody.reserves_check_ns);
        self.queue.schedule(t, Ev::Monitor);
        self.rec.u64(short);
        self.rec.end(|| json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "monitor", "assets_short": short}));
    }

    /// Whether custody has nothing left in flight: no back-office request unanswered, no intent
    /// waiting, every withdrawal settled or refunded and every transfer credited. O(requests):
    /// asked only at blocks of the healing phase.
    pub(super) fn custody_settled(&self) -> bool {
        let x = self.gateway.exchange();
        self.custody.outstanding.is_empty()
            && self.custody.pending_intents.is_empty()
            && x.withdrawals().all(|w| matches!(w.state, WithdrawalState::Settled { .. } | WithdrawalState::Refunded))
            && x.transfers().all(|t| t.state == TransferState::Credited)
    }

    /// End of run: each asset's shortfall, from the exchange's books and the chain.
    pub(super) fn custody_end(&mut self) {
        for (a, chain) in self.custody.chains.iter().enumerate() {
            let asset = AssetId(u16::try_from(a).expect("asset ids fit u16"));
            let reserves = chain.hot().saturating_add(chain.cold());
            self.custody.breach.settle(asset, liabilities(self.gateway.exchange().ledger(), asset), reserves);
        }
    }
}
