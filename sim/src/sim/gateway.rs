//! The exchange node: the pure [`Exchange`] behind a gateway that deduplicates requests by
//! idempotency key, keeps the durable command journal, group-commits it, and crashes and recovers.
//!
//! Durability model (SPEC §2.8): every applied command is appended to the command log; the log
//! is made durable by a periodic flush (group commit). An answer is released only once the command
//! it answers is durable, so a crash — which keeps exactly the durable prefix and rebuilds the
//! exchange by replaying it — can only lose commands nobody was told about; their clients retry
//! with the same idempotency key and the recovered dedup table answers or re-applies them.
//!
//! Recovery starts from the latest **checkpoint** — a copy of the exchange and the dedup tables
//! taken at a flush, every [`CHECKPOINT_EVERY`] commands — and replays the log after it, so a crash
//! costs O(commands since the checkpoint), not O(run). Every replayed command must give the answer
//! the log recorded: replay is deterministic or exsim has a bug (asserted).
//!
//! Retention (SPEC §13: memory bounded by the live state, never by simulated time):
//! - a checkpoint first folds the exchange's ledger journal ([`Exchange::checkpoint`]), so the copy
//!   costs O(accounts + open orders + quotes + dedup windows), not O(journal);
//! - the log keeps only the entries after the checkpoint: recovery never reads further back. Log
//!   indices still count from genesis ([`Gateway::log_len`], [`Answer::index`]);
//! - the dedup table keeps, per client, only the answers at or above the client's **floor** — the
//!   oldest key it still awaits, sent with every request, and applied as each arrives. The assumption (true of the simulator's
//!   clients): a client numbers its requests in increasing order and, once it holds the answer to
//!   a key or has given up on it, never needs that answer again; a request below the floor is a
//!   stale duplicate and is ignored. The window is thus what a client sent since its oldest
//!   unanswered request. The simulator's own set-up keys (one per set-up command) are kept.
//!
//! Invariants:
//! - a request key is applied at most once per exchange lifetime (dedup), and a retry of an
//!   applied key gets the original answer, never a second effect;
//! - with the fault off, no answer leaves before its command is durable; the
//!   `ack_before_durable` fault releases answers at once, which a crash then betrays;
//! - recovery is a replay: the recovered exchange is exactly `replay(durable log)`.

use std::collections::BTreeMap;

use super::tape::Tape;
use crate::engine::{Book, MatchingEngine};
use crate::exchange::{Applied, Command, ConfigError, Exchange, ExchangeConfig, Origin};
use crate::fault::Fault;

/// Who sent a request: an agent's index, or [`SYSTEM`] for the simulator's own set-up.
pub type ClientId = u32;

/// The simulator itself (accounts and funding at time zero).
pub const SYSTEM: ClientId = u32::MAX;

pub use crate::exchange::Outcome;

/// A checkpoint is taken at the first flush after this many new log entries.
pub const CHECKPOINT_EVERY: usize = 4096;

/// How many records the gateway holds: see [`Gateway::retained`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GatewayRetained {
    /// Log entries held (those after the checkpoint).
    pub log_entries: usize,
    /// Answers held in the dedup tables, over every client.
    pub remembered_answers: usize,
    /// Entries held by the exchange's ledger journal (those after its last checkpoint).
    pub journal_entries: usize,
}

/// One entry of the durable command log, with the answer it got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    pub time_ns: u64,
    pub client: ClientId,
    pub key: u64,
    /// Who sent it as the exchange saw it: its systems, or a client with its credential (replayed
    /// as such, so recovery authenticates exactly as the original did).
    pub origin: Origin,
    pub command: Command,
    pub outcome: Outcome,
}

/// An answer ready to leave the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub client: ClientId,
    pub key: u64,
    pub outcome: Outcome,
    /// The log entry of the command it answers.
    pub index: usize,
}

/// The state at a flush, from which recovery replays.
#[derive(Clone, Debug)]
struct Checkpoint<E: MatchingEngine> {
    /// Log entries it covers (from genesis).
    len: usize,
    exchange: Exchange<E>,
    clients: Vec<ClientTable>,
    system: ClientTable,
}

/// What the gateway did with a request.
#[derive(Debug)]
pub enum Received<'a, E: MatchingEngine = Book> {
    /// The exchange is down: the request is lost.
    Down,
    /// The key is older than anything the client still waits for: a stale duplicate, ignored.
    Stale,
    /// A retry of an applied key: answered from the dedup table (now, or at the next flush).
    Duplicate,
    /// Applied now, as log entry `index`: its result and effects.
    Applied { index: usize, applied: Applied<'a, E> },
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

/// The dedup table of `client` (borrowing only the tables, so the exchange can stay borrowed).
fn client_table<'t>(
    system: &'t mut ClientTable,
    clients: &'t mut [ClientTable],
    client: ClientId,
) -> &'t mut ClientTable {
    if client == SYSTEM {
        system
    } else {
        &mut clients[client as usize]
    }
}

/// The exchange node.
#[derive(Debug)]
pub struct Gateway<E: MatchingEngine = Book> {
    exchange: Exchange<E>,
    /// The log after the checkpoint: `log[i]` is entry `checkpoint.len + i`.
    log: Vec<Logged>,
    /// Entries durable, counted from genesis.
    durable: usize,
    clients: Vec<ClientTable>,
    system: ClientTable,
    pending: Vec<Answer>,
    up: bool,
    ack_early: bool,
    crashes: u32,
    checkpoint: Checkpoint<E>,
    /// Everything applied, from genesis, when asked for (`exsim shrink`).
    tape: Option<Box<Tape>>,
}

impl Gateway {
    /// A fresh exchange node, up, with an empty journal, running the reference engine.
    pub fn new(config: &ExchangeConfig, clients: usize) -> Result<Gateway, ConfigError> {
        Ok(Gateway::with_exchange(config, Exchange::new(config)?, clients))
    }
}

impl<E: MatchingEngine + Clone> Gateway<E> {
    /// A fresh exchange node around `exchange` (fresh, built from `config`: any engine).
    pub fn with_exchange(config: &ExchangeConfig, exchange: Exchange<E>, clients: usize) -> Gateway<E> {
        let clients = vec![ClientTable::default(); clients];
        let checkpoint =
            Checkpoint { len: 0, exchange: exchange.clone(), clients: clients.clone(), system: ClientTable::default() };
        Gateway {
            exchange,
            log: Vec::with_capacity(1 << 14),
            durable: 0,
            clients,
            system: ClientTable::default(),
            pending: Vec::with_capacity(256),
            up: true,
            ack_early: config.faults.has(Fault::AckBeforeDurable),
            crashes: 0,
            checkpoint,
            tape: None,
        }
    }

    /// The exchange as it stands.
    pub fn exchange(&self) -> &Exchange<E> {
        &self.exchange
    }

    /// Starts recording every command applied from now on (before set-up: from genesis).
    pub fn start_tape(&mut self) {
        self.tape = Some(Box::default());
    }

    /// The recording, if one was started: the kernel adds the chain's facts to it.
    pub fn tape_mut(&mut self) -> Option<&mut Tape> {
        self.tape.as_deref_mut()
    }

    /// Takes the recording.
    pub fn take_tape(&mut self) -> Option<Tape> {
        self.tape.take().map(|t| *t)
    }

    /// Whether it serves requests.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Crashes so far.
    pub fn crashes(&self) -> u32 {
        self.crashes
    }

    /// Commands in the log from genesis (the ones before the checkpoint included), and how many
    /// of them are durable.
    pub fn log_len(&self) -> (usize, usize) {
        (self.log_end(), self.durable)
    }

    /// One past the last log entry, counted from genesis.
    fn log_end(&self) -> usize {
        self.checkpoint.len + self.log.len()
    }

    /// Log entries covered by the checkpoint: their effect is in it, and a crash cannot lose them.
    pub fn checkpointed(&self) -> usize {
        self.checkpoint.len
    }

    /// How many records it holds now: log entries, remembered answers and ledger journal entries.
    /// O(clients); for tests and measurements.
    pub fn retained(&self) -> GatewayRetained {
        GatewayRetained {
            log_entries: self.log.len(),
            remembered_answers: self.clients.iter().chain([&self.system]).map(|t| t.answers.len()).sum(),
            journal_entries: self.exchange.ledger().journal().retained(),
        }
    }

    fn table(&mut self, client: ClientId) -> &mut ClientTable {
        client_table(&mut self.system, &mut self.clients, client)
    }

    /// Handles a request at `now_ns` from `origin` (an agent's requests are a client's, with what
    /// it presents; the [`SYSTEM`] client's are the exchange's own systems', except the sign-ins
    /// set-up makes on customers' behalf). `floor` is the client's oldest key still awaiting an
    /// answer (everything below it was answered or abandoned), so the gateway may forget older
    /// answers. Answers that may leave now are pushed to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn receive(
        &mut self,
        now_ns: u64,
        client: ClientId,
        key: u64,
        floor: u64,
        origin: Origin,
        command: &Command,
        out: &mut Vec<Answer>,
    ) -> Received<'_, E> {
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
            let answer = Answer { client, key, outcome: seen.outcome, index: seen.index };
            if ack_early || seen.index < durable {
                out.push(answer);
            } else {
                self.pending.push(answer);
            }
            return Received::Duplicate;
        }
        let index = self.log_end();
        assert!(client == SYSTEM || origin != Origin::System, "an agent is never the exchange's systems");
        let applied = self.exchange.apply_from(now_ns, command, origin);
        let outcome = applied.result;
        self.log.push(Logged { time_ns: now_ns, client, key, origin, command: *command, outcome });
        if let Some(tape) = &mut self.tape {
            tape.command(index, now_ns, origin, command, outcome, applied.intents);
        }
        client_table(&mut self.system, &mut self.clients, client).answers.insert(key, Remembered { outcome, index });
        let answer = Answer { client, key, outcome, index };
        if ack_early {
            out.push(answer);
        } else {
            self.pending.push(answer);
        }
        Received::Applied { index, applied }
    }

    /// Group commit: makes the whole log durable and releases the answers waiting for it.
    /// Returns whether there was anything to flush.
    pub fn flush(&mut self, out: &mut Vec<Answer>) -> bool {
        if !self.up {
            return false;
        }
        let had = self.durable < self.log_end() || !self.pending.is_empty();
        self.durable = self.log_end();
        out.append(&mut self.pending);
        had
    }

    /// Whether the next checkpoint is due (checked right after a flush, when all is durable).
    pub fn checkpoint_due(&self) -> bool {
        self.up && self.durable == self.log_end() && self.log.len() >= CHECKPOINT_EVERY
    }

    /// Takes a checkpoint of the durable state: recovery will replay from here. Folds the
    /// exchange's journal first, so the copy is O(live state), and forgets the log before it.
    pub fn take_checkpoint(&mut self) {
        assert!(self.up && self.durable == self.log_end(), "a checkpoint holds durable state only");
        self.exchange.checkpoint();
        self.checkpoint = Checkpoint {
            len: self.log_end(),
            exchange: self.exchange.clone(),
            clients: self.clients.clone(),
            system: self.system.clone(),
        };
        self.log.clear();
    }

    /// The log entry at `index` (from genesis), if the log (after a crash: the recovered log)
    /// still holds it: `None` past its end, and for entries before the checkpoint, which it forgot.
    pub fn logged(&self, index: usize) -> Option<&Logged> {
        self.log.get(index.checked_sub(self.checkpoint.len)?)
    }

    /// Crashes: everything not durable is lost, unanswered requests with it. Returns how many log
    /// entries were lost.
    pub fn crash(&mut self) -> usize {
        assert!(self.up, "crash while down");
        self.up = false;
        self.crashes += 1;
        let lost = self.log_end() - self.durable;
        self.log.truncate(self.durable - self.checkpoint.len);
        self.pending.clear();
        if let Some(tape) = &mut self.tape {
            tape.crash(self.durable);
        }
        lost
    }

    /// Recovers from the durable log: the exchange and dedup tables restart from the checkpoint
    /// and replay every durable command after it; `observe` sees each replayed command as applied
    /// (the auditor rebuilds its shadow from it). Returns the log length the checkpoint covered.
    pub fn recover(&mut self, mut observe: impl FnMut(&Command, &Applied<'_, E>)) -> usize {
        assert!(!self.up, "recover while up");
        assert!(self.checkpoint.len <= self.durable, "a checkpoint is never ahead of the durable log");
        self.exchange = self.checkpoint.exchange.clone();
        self.clients = self.checkpoint.clients.clone();
        self.system = self.checkpoint.system.clone();
        for i in 0..self.log.len() {
            let (entry, index) = (self.log[i], self.checkpoint.len + i);
            let applied = self.exchange.apply_from(entry.time_ns, &entry.command, entry.origin);
            let outcome = applied.result;
            assert_eq!(
                outcome, entry.outcome,
                "replaying log entry {index} gave another answer: apply is not deterministic"
            );
            observe(&entry.command, &applied);
            client_table(&mut self.system, &mut self.clients, entry.client)
                .answers
                .insert(entry.key, Remembered { outcome, index });
        }
        self.up = true;
        self.checkpoint.len
    }

    /// The answer remembered for (client, key), if any: what the exchange would tell a retry.
    #[cfg(test)]
    fn remembered(&self, client: ClientId, key: u64) -> Option<Outcome> {
        let table = if client == SYSTEM { &self.system } else { self.clients.get(client as usize)? };
        table.answers.get(&key).map(|r| r.outcome)
    }

    /// The first idempotency key of the [`SYSTEM`] client that set-up has not used: the
    /// simulator's own requests after set-up (custody's back office) number from here.
    pub fn next_system_key(&self) -> u64 {
        self.system.answers.keys().next_back().map_or(0, |k| k + 1)
    }

    /// Applies a set-up command of the exchange's own systems directly (time zero, made durable
    /// at once); `observe` sees it as applied.
    pub fn setup(&mut self, command: &Command, observe: impl FnOnce(&Applied<'_, E>)) -> Outcome {
        self.setup_from(Origin::System, command, observe)
    }

    /// [`Gateway::setup`] from `origin`: set-up signs customers in as the clients they are.
    pub fn setup_from(&mut self, origin: Origin, command: &Command, observe: impl FnOnce(&Applied<'_, E>)) -> Outcome {
        let key = self.next_system_key();
        let mut out = Vec::new();
        match self.receive(0, SYSTEM, key, 0, origin, command, &mut out) {
            Received::Applied { applied, .. } => observe(&applied),
            Received::Down | Received::Stale | Received::Duplicate => {
                panic!("a set-up command was not applied (the node is down, or the key was reused)")
            }
        }
        self.flush(&mut out);
        out.iter().find(|a| a.key == key).expect("the set-up answer is released at flush").outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Access, Ack, Email, IdentityCommand, IdentityPolicy, Ip, Password};
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
            custody: Default::default(),
            identity: lax(),
            trading: Default::default(),
        }
    }

    /// No second factor anywhere: these tests are about the gateway, not about signing in.
    pub(super) fn lax() -> IdentityPolicy {
        IdentityPolicy { login_2fa: false, withdrawal_2fa: false, ..IdentityPolicy::default() }
    }

    /// Registers account 1 at set-up and signs it in as a client: what its requests present.
    pub(super) fn signed_in(g: &mut Gateway) -> Origin {
        let register = IdentityCommand::Register { email: Email(1), password: Password(7), device: None };
        assert_eq!(g.setup(&register.into(), |_| {}), Ok(Ack::Account(UserId(1))));
        let login = IdentityCommand::Login { email: Email(1), password: Password(7) };
        let ip = Ip(1);
        let Ok(Ack::Session { session: s, .. }) =
            g.setup_from(Origin::Client(Access::anonymous(ip)), &login.into(), |_| {})
        else {
            panic!("signed in")
        };
        Origin::Client(Access::session(s, ip))
    }

    /// What every test's client sends: a withdrawal request of 100 (a hold in the ledger). A
    /// client cannot credit itself (a `Deposit` is a system input), so accounts are funded at
    /// set-up ([`funded`]).
    fn request(user: u32) -> Command {
        Command::withdraw(UserId(user), AssetId(0), 100)
    }

    /// Set-up funding of each account in the tests.
    const FUNDING: i128 = 1_000_000;

    /// A gateway with user 1 registered, signed in and funded at set-up, and what its client's
    /// requests present.
    fn funded(faults: FaultSet) -> (Gateway, Origin) {
        let mut g = Gateway::new(&config(faults), 1).unwrap();
        let me = signed_in(&mut g);
        assert_eq!(g.setup(&Command::deposit(UserId(1), AssetId(0), FUNDING), |_| {}), Ok(Ack::Posted));
        (g, me)
    }

    #[test]
    fn answers_wait_for_the_flush_and_retries_do_not_reapply() {
        let (mut g, me) = funded(FaultSet::NONE);
        let user = UserId(1);
        let mut out = Vec::new();
        assert!(matches!(g.receive(5, 0, 1, 1, me, &request(user.0), &mut out), Received::Applied { .. }));
        assert!(out.is_empty(), "no answer before the journal is durable");
        assert!(matches!(g.receive(6, 0, 1, 1, me, &request(user.0), &mut out), Received::Duplicate));
        assert!(out.is_empty());
        g.flush(&mut out);
        assert_eq!(out.len(), 2);
        let available = g.exchange().ledger().balance(crate::ledger::Account::Available(user), AssetId(0));
        assert_eq!(available, FUNDING - 100, "applied once");
        assert!(matches!(g.receive(7, 0, 0, 1, me, &request(user.0), &mut out), Received::Stale));
    }

    #[test]
    fn a_crash_loses_only_what_was_not_durable() {
        let (mut g, me) = funded(FaultSet::NONE);
        let mut out = Vec::new();
        g.receive(5, 0, 1, 1, me, &request(1), &mut out);
        g.flush(&mut out);
        g.receive(6, 0, 2, 1, me, &request(1), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(g.crash(), 1);
        assert!(matches!(g.receive(7, 0, 3, 1, me, &request(1), &mut out), Received::Down));
        let mut replayed = 0;
        assert_eq!(g.recover(|_, _| replayed += 1), 0, "no checkpoint yet: replay from genesis");
        assert_eq!(replayed, 4, "the set-up account, its sign-in, its funding and the durable request");
        assert!(g.remembered(0, 1).is_some() && g.remembered(0, 2).is_none());
        let bal = g.exchange().ledger().balance(crate::ledger::Account::Available(UserId(1)), AssetId(0));
        assert_eq!(bal, FUNDING - 100);
    }

    /// The gateway tells the exchange who sent a request: a client's system input is refused
    /// (`not_permitted`), the simulator's is applied, and a replay after a crash gives the same
    /// answers (recovery asserts it).
    #[test]
    fn a_clients_system_input_is_refused_and_replays_the_same() {
        let mut g = Gateway::new(&config(FaultSet::NONE), 1).unwrap();
        let me = signed_in(&mut g);
        let grant = Command::Funds(crate::exchange::FundsCommand::GrantPrivilege { user: UserId(1) });
        let mut out = Vec::new();
        let Received::Applied { applied, .. } = g.receive(5, 0, 1, 1, me, &grant, &mut out) else { panic!("applied") };
        assert_eq!(applied.result, Err(crate::exchange::Reject::NotPermitted));
        assert!(!g.exchange().is_privileged(UserId(1)));
        let key = g.next_system_key();
        let Received::Applied { applied, .. } = g.receive(6, SYSTEM, key, key, Origin::System, &grant, &mut out) else {
            panic!()
        };
        assert_eq!(applied.result, Ok(Ack::Posted));
        g.flush(&mut out);
        g.crash();
        g.recover(|_, _| {});
        assert_eq!(g.remembered(0, 1), Some(Err(crate::exchange::Reject::NotPermitted)));
        assert!(g.exchange().is_privileged(UserId(1)), "the system's grant replays");
    }

    #[test]
    fn ack_before_durable_answers_at_once() {
        let (mut g, me) = funded(FaultSet::NONE.with(Fault::AckBeforeDurable));
        let mut out = Vec::new();
        g.receive(5, 0, 1, 1, me, &request(1), &mut out);
        assert_eq!(out.len(), 1);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;
    use crate::fault::FaultSet;
    use crate::ledger::{Account, UserId};
    use crate::units::{Asset, AssetId};

    #[test]
    fn recovery_from_a_checkpoint_equals_recovery_from_genesis() {
        let config = ExchangeConfig {
            assets: vec![Asset::new("USD", 2).unwrap()],
            markets: vec![],
            quote_ttl_ns: 1,
            quote_spread_bps: 0,
            faults: FaultSet::NONE,
            custody: Default::default(),
            identity: super::tests::lax(),
            trading: Default::default(),
        };
        let mut g = Gateway::new(&config, 1).unwrap();
        let me = super::tests::signed_in(&mut g);
        // Funded at set-up (a client cannot credit itself); each client request then holds 1.
        const FUNDING: i128 = 1_000_000;
        g.setup(&Command::deposit(UserId(1), AssetId(0), FUNDING), |_| {}).unwrap();
        let mut out = Vec::new();
        let n = CHECKPOINT_EVERY as u64 + 10;
        for key in 1..=n {
            let command = Command::withdraw(UserId(1), AssetId(0), 1);
            g.receive(key, 0, key, key, me, &command, &mut out);
            if key == n / 2 {
                g.flush(&mut out);
                assert!(!g.checkpoint_due());
            }
        }
        g.flush(&mut out);
        assert!(g.checkpoint_due());
        let before = g.retained();
        assert_eq!(
            (before.log_entries, before.journal_entries),
            (n as usize + 3, n as usize + 1),
            "opening the account and signing in post nothing; the funding and each request one entry"
        );
        g.take_checkpoint();
        // The checkpoint holds the state; the log and the journal before it are forgotten, their
        // numbering kept; the dedup table keeps only the client's window (its floor is n).
        let after = g.retained();
        // Remembered: the set-up's three answers (the system's table) and the client's window.
        assert_eq!(after, GatewayRetained { log_entries: 0, remembered_answers: 4, journal_entries: 0 });
        assert_eq!((g.log_len(), g.checkpointed()), ((n as usize + 3, n as usize + 3), n as usize + 3));
        assert!(g.logged(n as usize + 2).is_none(), "request n is covered by the checkpoint, not held");
        let command = Command::withdraw(UserId(1), AssetId(0), 5);
        g.receive(n + 1, 0, n + 1, n + 1, me, &command, &mut out);
        g.flush(&mut out);
        assert_eq!(g.logged(n as usize + 3).map(|l| l.key), Some(n + 1));
        g.crash();
        let mut replayed = 0;
        assert_eq!(g.recover(|_, _| replayed += 1), g.log_len().0 - 1);
        assert_eq!(replayed, 1);
        assert_eq!(g.remembered(0, n + 1).map(|o| o.is_ok()), Some(true), "the replayed command is remembered");
        let balance = g.exchange().ledger().balance(Account::Available(UserId(1)), AssetId(0));
        assert_eq!(balance, FUNDING - n as i128 - 5);
        assert_eq!(
            g.exchange().ledger().journal().replay().get(&(Account::Available(UserId(1)), AssetId(0))),
            Some(&balance)
        );
    }
}
