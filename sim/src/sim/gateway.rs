//! The exchange node: the pure [`Exchange`] behind a gateway that deduplicates requests by
//! idempotency key, keeps the durable command journal, group-commits it, and crashes and recovers.
//!
//! Durability model (SPEC §2.8): every applied command is appended to the command log; the log
//! is made durable by a periodic flush (group commit). An answer is released only once the command
//! it answers is durable, so a crash — which keeps exactly the durable prefix and rebuilds the
//! exchange by replaying it — can only lose commands nobody was told about; their clients retry
//! with the same idempotency key and the recovered dedup table answers or re-applies them.
//!
//! Invariants:
//! - a request key is applied at most once per exchange lifetime (dedup), and a retry of an
//!   applied key gets the original answer, never a second effect;
//! - with the fault off, no answer leaves before its command is durable; the
//!   `ack_before_durable` fault releases answers at once, which a crash then betrays;
//! - recovery is a replay: the recovered exchange is exactly `replay(durable log)`.

use std::collections::BTreeMap;

use crate::exchange::{Ack, Command, ConfigError, Exchange, ExchangeConfig, Reject};
use crate::fault::Fault;

/// Who sent a request: an agent's index, or [`SYSTEM`] for the simulator's own set-up.
pub type ClientId = u32;

/// The simulator itself (accounts and funding at time zero).
pub const SYSTEM: ClientId = u32::MAX;

/// An exchange's answer.
pub type Outcome = Result<Ack, Reject>;

/// One entry of the durable command log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    pub time_ns: u64,
    pub client: ClientId,
    pub key: u64,
    pub command: Command,
}

/// An answer ready to leave the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub client: ClientId,
    pub key: u64,
    pub outcome: Outcome,
}

/// What the gateway did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// The exchange is down: the request is lost.
    Down,
    /// The key is older than anything the client still waits for: a stale duplicate, ignored.
    Stale,
    /// A retry of an applied key: answered from the dedup table (now, or at the next flush).
    Duplicate,
    /// Applied now, as log entry `index`, with this outcome.
    Applied { index: usize, outcome: Outcome },
}

#[derive(Clone, Copy, Debug)]
struct Remembered {
    outcome: Outcome,
    index: usize,
}

/// Per client: answers by key, and the floor below which keys are forgotten.
#[derive(Clone, Debug, Default)]
struct ClientTable {
    answers: BTreeMap<u64, Remembered>,
    floor: u64,
}

/// The exchange node.
#[derive(Debug)]
pub struct Gateway {
    config: ExchangeConfig,
    exchange: Exchange,
    log: Vec<Logged>,
    durable: usize,
    clients: Vec<ClientTable>,
    system: ClientTable,
    pending: Vec<Answer>,
    up: bool,
    ack_early: bool,
    crashes: u32,
}

impl Gateway {
    /// A fresh exchange node, up, with an empty journal.
    pub fn new(config: &ExchangeConfig, clients: usize) -> Result<Gateway, ConfigError> {
        Ok(Gateway {
            exchange: Exchange::new(config)?,
            config: config.clone(),
            log: Vec::with_capacity(1 << 14),
            durable: 0,
            clients: vec![ClientTable::default(); clients],
            system: ClientTable::default(),
            pending: Vec::with_capacity(256),
            up: true,
            ack_early: config.faults.has(Fault::AckBeforeDurable),
            crashes: 0,
        })
    }

    /// The exchange as it stands.
    pub fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// Whether it serves requests.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Crashes so far.
    pub fn crashes(&self) -> u32 {
        self.crashes
    }

    /// Commands in the log, and how many of them are durable.
    pub fn log_len(&self) -> (usize, usize) {
        (self.log.len(), self.durable)
    }

    fn table(&mut self, client: ClientId) -> &mut ClientTable {
        if client == SYSTEM {
            &mut self.system
        } else {
            &mut self.clients[client as usize]
        }
    }

    /// Handles a request at `now_ns`. `floor` is the client's oldest key still awaiting an answer
    /// (everything below it was answered or abandoned), so the gateway may forget older answers.
    /// Answers that may leave now are pushed to `out`.
    pub fn receive(
        &mut self,
        now_ns: u64,
        client: ClientId,
        key: u64,
        floor: u64,
        command: &Command,
        out: &mut Vec<Answer>,
    ) -> Received {
        if !self.up {
            return Received::Down;
        }
        let durable = self.durable;
        let ack_early = self.ack_early;
        let table = self.table(client);
        if floor > table.floor {
            table.answers = table.answers.split_off(&floor);
            table.floor = floor;
        }
        if key < table.floor {
            return Received::Stale;
        }
        if let Some(seen) = table.answers.get(&key) {
            let answer = Answer { client, key, outcome: seen.outcome };
            if ack_early || seen.index < durable {
                out.push(answer);
            } else {
                self.pending.push(answer);
            }
            return Received::Duplicate;
        }
        let outcome = self.exchange.apply(now_ns, command);
        let index = self.log.len();
        self.log.push(Logged { time_ns: now_ns, client, key, command: *command });
        self.table(client).answers.insert(key, Remembered { outcome, index });
        let answer = Answer { client, key, outcome };
        if ack_early {
            out.push(answer);
        } else {
            self.pending.push(answer);
        }
        Received::Applied { index, outcome }
    }

    /// Group commit: makes the whole log durable and releases the answers waiting for it.
    /// Returns whether there was anything to flush.
    pub fn flush(&mut self, out: &mut Vec<Answer>) -> bool {
        if !self.up {
            return false;
        }
        let had = self.durable < self.log.len() || !self.pending.is_empty();
        self.durable = self.log.len();
        out.append(&mut self.pending);
        had
    }

    /// Whether a flush would do anything.
    pub fn dirty(&self) -> bool {
        self.durable < self.log.len() || !self.pending.is_empty()
    }

    /// Crashes: everything not durable is lost, unanswered requests with it. Returns how many log
    /// entries were lost.
    pub fn crash(&mut self) -> usize {
        assert!(self.up, "crash while down");
        self.up = false;
        self.crashes += 1;
        let lost = self.log.len() - self.durable;
        self.log.truncate(self.durable);
        self.pending.clear();
        lost
    }

    /// Recovers from the durable log: a fresh exchange replays every durable command; `observe`
    /// sees each replayed command with the recovered exchange and its outcome (the auditor rebuilds
    /// its shadow from it). The dedup table is rebuilt from the same replay.
    pub fn recover(&mut self, mut observe: impl FnMut(&Exchange, &Command, &Outcome)) {
        assert!(!self.up, "recover while up");
        let mut exchange = Exchange::new(&self.config).expect("the configuration was accepted at start");
        for table in self.clients.iter_mut().chain(std::iter::once(&mut self.system)) {
            *table = ClientTable::default();
        }
        for index in 0..self.log.len() {
            let entry = self.log[index];
            let outcome = exchange.apply(entry.time_ns, &entry.command);
            observe(&exchange, &entry.command, &outcome);
            self.table(entry.client).answers.insert(entry.key, Remembered { outcome, index });
        }
        self.exchange = exchange;
        self.up = true;
    }

    /// The answer remembered for (client, key), if any: what the exchange would tell a retry.
    pub fn remembered(&self, client: ClientId, key: u64) -> Option<Outcome> {
        let table = if client == SYSTEM { &self.system } else { self.clients.get(client as usize)? };
        table.answers.get(&key).map(|r| r.outcome)
    }

    /// Applies a set-up command directly (time zero, made durable at once).
    pub fn setup(&mut self, command: &Command) -> Outcome {
        let key = self.system.answers.keys().next_back().map_or(0, |k| k + 1);
        let mut out = Vec::new();
        let r = self.receive(0, SYSTEM, key, 0, command, &mut out);
        assert!(matches!(r, Received::Applied { .. }));
        self.flush(&mut out);
        out.iter().find(|a| a.key == key).expect("the set-up answer is released at flush").outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Ack;
    use crate::fault::FaultSet;
    use crate::ledger::UserId;
    use crate::units::{Asset, AssetId};

    fn config(faults: FaultSet) -> ExchangeConfig {
        ExchangeConfig {
            assets: vec![Asset::new("USD", 2).unwrap()],
            markets: vec![],
            quote_ttl_ns: 1,
            quote_spread_bps: 0,
            faults,
        }
    }

    fn deposit(user: u32) -> Command {
        Command::Deposit { user: UserId(user), asset: AssetId(0), amount: 100 }
    }

    #[test]
    fn answers_wait_for_the_flush_and_retries_do_not_reapply() {
        let mut g = Gateway::new(&config(FaultSet::NONE), 1).unwrap();
        let user = match g.setup(&Command::OpenAccount) {
            Ok(Ack::Account(u)) => u,
            other => panic!("{other:?}"),
        };
        let mut out = Vec::new();
        assert!(matches!(g.receive(5, 0, 1, 1, &deposit(user.0), &mut out), Received::Applied { .. }));
        assert!(out.is_empty(), "no answer before the journal is durable");
        assert_eq!(g.receive(6, 0, 1, 1, &deposit(user.0), &mut out), Received::Duplicate);
        assert!(out.is_empty());
        g.flush(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(g.exchange().ledger().balance(crate::ledger::Account::Available(user), AssetId(0)), 100);
        assert_eq!(g.receive(7, 0, 0, 1, &deposit(user.0), &mut out), Received::Stale);
    }

    #[test]
    fn a_crash_loses_only_what_was_not_durable() {
        let mut g = Gateway::new(&config(FaultSet::NONE), 1).unwrap();
        g.setup(&Command::OpenAccount);
        let mut out = Vec::new();
        g.receive(5, 0, 1, 1, &deposit(1), &mut out);
        g.flush(&mut out);
        g.receive(6, 0, 2, 1, &deposit(1), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(g.crash(), 1);
        assert_eq!(g.receive(7, 0, 3, 1, &deposit(1), &mut out), Received::Down);
        let mut replayed = 0;
        g.recover(|_, _, _| replayed += 1);
        assert_eq!(replayed, 2);
        assert!(g.remembered(0, 1).is_some() && g.remembered(0, 2).is_none());
        let bal = g.exchange().ledger().balance(crate::ledger::Account::Available(UserId(1)), AssetId(0));
        assert_eq!(bal, 100);
    }

    #[test]
    fn ack_before_durable_answers_at_once() {
        let mut g = Gateway::new(&config(FaultSet::NONE.with(Fault::AckBeforeDurable)), 1).unwrap();
        g.setup(&Command::OpenAccount);
        let mut out = Vec::new();
        g.receive(5, 0, 1, 1, &deposit(1), &mut out);
        assert_eq!(out.len(), 1);
    }
}
