//! One simulation run: the kernel loop that moves time, delivers messages, wakes agents, crashes
//! and recovers the exchange, and audits every command.
//!
//! The loop pops the earliest event (time, then scheduling order) and handles it; every handled
//! event is one record of the canonical stream (see `record`). Kernel events:
//! - `wake`: an agent acts (its timer, or a follow-up it asked for) and sends commands;
//! - `to_exchange`: a request arrives at the gateway (dedup, apply, audit);
//! - `to_client`: an answer arrives at its client, which tells its agent;
//! - `retry`: a client's timer for an unanswered request (re-send with the same key, or give up);
//! - `flush`: the group commit makes the journal durable and releases answers;
//! - `crash` / `recover`: the exchange loses what was not durable and replays its journal;
//! - `fair_value`: a market's fair value takes a random-walk step.
//!
//! Invariants: the run is a pure function of (scenario, seed): no clock, no unseeded chance, no
//! unordered iteration; each source of chance has its own named stream. Crashes are drawn one at
//! a time from the `crash` stream (the next when the previous one fires) with sequence numbers
//! reserved at the start, so a run with many crashes holds one crash time, not the schedule, and
//! the event order is the one of a schedule drawn whole; [`check`] bounds a run's crashes. The auditor sees every
//! applied command, and after a recovery checks that every answer that left the exchange is still
//! backed by the recovered journal (`journal_complete`: nothing acknowledged is lost). At the end
//! of every run, after the auditor's full scans, every market's book re-checks its own structure
//! ([`Book::check`]): a break is a bug (a panic) unless an engine fault is on (see `check_books`).
//!
//! Memory is bounded by the live state, not by simulated time (SPEC §13): the record of answers
//! that left the exchange (`acked`) holds only answers not yet covered by a checkpoint. When the
//! gateway takes a checkpoint (everything durable), each held answer is checked against the log,
//! which still holds it, and forgotten: a checkpoint survives every crash. An answer released later
//! for a command the checkpoint already covers (a duplicate's) is not recorded at all.
//! [`RunResult::retained`] reports the most records held at once, for tests and measurements.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;

use crate::audit::{Auditor, Findings, Invariant, Stamp};
use crate::chain::Chain;
use crate::engine::{Book, Event, MatchingEngine};
use crate::exchange::{
    Access, Ack, Applied, Code, Command, ConfigError, Credential, Device, Exchange, ExchangeConfig, FundsCommand,
    IdentityCommand, Ip, Origin, Role,
};
use crate::fault::{FaultArea, FaultSet};
use crate::ledger::UserId;
use crate::scenario::Scenario;
use crate::units::{AssetId, MarketId, Minor, Price};

use super::breach::Breach;
use super::gateway::{Answer, ClientId, Gateway, Outcome, Received, SYSTEM};
use super::network::{NetStats, Network, Verdict};
use super::people::People;
use super::queue::{Queue, Reserved};
use super::record::Recorder;
use super::series::{Series, Snapshot};
use super::services::{ServiceSettings, Services};
use super::tape::Tape;
use crate::agents::{AccountState, Action, Agent, GroundTruth, Intel, MarketData, View, Wake};
use crate::rng::Stream;

mod custody;
mod identity;
mod sample;

use custody::Custody;

/// A kernel event.
#[derive(Clone, Copy, Debug)]
enum Ev {
    Wake {
        agent: u32,
        why: Wake,
    },
    ToExchange {
        client: ClientId,
        key: u64,
        floor: u64,
        access: Access,
        command: Command,
    },
    ToClient {
        client: ClientId,
        key: u64,
        outcome: Outcome,
    },
    Retry {
        client: ClientId,
        key: u64,
    },
    Flush,
    Crash,
    Recover,
    FairValue {
        market: u16,
    },
    /// A block on the chain of an asset.
    Block {
        asset: u16,
    },
    /// A back-office step (worker, operator, watcher) reaches the exchange: the outstanding
    /// system request under `key`.
    System {
        key: u64,
    },
    /// A cold → hot sweep, signed offline after its delay, reaches the chain.
    Sweep {
        asset: u16,
        amount: Minor,
    },
    /// The exchange's reserves monitor checks.
    Monitor,
}

/// A request a client still waits on.
#[derive(Clone, Copy, Debug)]
struct Pending {
    command: Command,
    /// What it presented when first sent (a retry presents the same).
    access: Access,
    resent: u32,
}

/// One agent with its account, stream and client state.
struct Slot {
    agent: Agent,
    user: UserId,
    rng: Stream,
    stop_ns: u64,
    next_key: u64,
    outstanding: BTreeMap<u64, Pending>,
    /// What its client presents by default: the session set-up signed it in with, from its IP.
    access: Access,
    /// Ground truth: the agent is an attacker.
    attacker: bool,
    /// Accounts besides its own it has signed into or used a key of (an attacker's victims).
    victims: Vec<UserId>,
    /// The second-factor device it holds (its own account's), if the account has one.
    device: Option<Device>,
}

impl Slot {
    /// The oldest key still awaiting an answer: the gateway may forget everything older.
    fn floor(&self) -> u64 {
        self.outstanding.keys().next().copied().unwrap_or(self.next_key)
    }
}

/// Trading statistics of one market over a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketStats {
    pub name: String,
    pub fills: u64,
    pub volume_lots: u128,
    pub last_price: Option<Price>,
    pub fair_value_end: Price,
    pub quotes_filled: u64,
}

/// Counts of what happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Commands applied by the exchange (including re-applications after a crash lost them).
    pub commands: u64,
    /// Of which rejected.
    pub rejected: u64,
    /// Requests answered from the dedup table.
    pub duplicates: u64,
    /// Requests lost because the exchange was down.
    pub lost_down: u64,
    /// Requests a client gave up on after its retries.
    pub abandoned: u64,
    /// Crashes, and log entries they lost.
    pub crashes: u64,
    pub lost_entries: u64,
}

/// The most records a run held at once, per kind: sampled at every checkpoint (before it trims)
/// and at the end of the run. Deterministic; bounded by the live state, not by simulated time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retained {
    /// Ledger journal entries (those since the journal's last checkpoint).
    pub journal_entries: usize,
    /// Gateway command log entries (those since the gateway's checkpoint).
    pub log_entries: usize,
    /// Answers in the gateway's dedup tables, over every client.
    pub remembered_answers: usize,
    /// Answers that left the exchange and are not yet covered by a checkpoint.
    pub acked_answers: usize,
    /// The auditor's open records: issued quotes still acceptable, shadow resting orders.
    pub audit_records: usize,
    /// The exchange's custody records: withdrawals and transfers kept (live, and the last
    /// finished), their payments' and transaction ids' entries.
    pub custody_records: usize,
    /// Inbound payments the exchange remembers as credited: one per confirmed deposit, so it grows
    /// with the deposits made (see `exchange/custody/deposits.rs`); measured, not bounded.
    pub credited_deposits: usize,
}

impl Retained {
    fn max(self, o: Retained) -> Retained {
        Retained {
            journal_entries: self.journal_entries.max(o.journal_entries),
            log_entries: self.log_entries.max(o.log_entries),
            remembered_answers: self.remembered_answers.max(o.remembered_answers),
            acked_answers: self.acked_answers.max(o.acked_answers),
            audit_records: self.audit_records.max(o.audit_records),
            custody_records: self.custody_records.max(o.custody_records),
            credited_deposits: self.credited_deposits.max(o.credited_deposits),
        }
    }
}

/// What a run produced. Wall time is the caller's to measure: it never enters the digest.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub scenario: String,
    pub variant: String,
    pub seed: u64,
    pub digest: String,
    pub events: u64,
    pub sim_time_ns: u64,
    pub findings: Findings,
    pub markets: Vec<MarketStats>,
    pub net: NetStats,
    pub counts: Counts,
    /// A trace write error, if a trace was asked for and failed.
    pub trace_error: Option<String>,
    /// The most records held at once (never part of the digest or the outputs).
    pub retained: Retained,
    /// What the run's attacks cost (SPEC §9 `breach`).
    pub breach: Breach,
    /// The run's time series, when [`Collect::series`] asked for them (never part of the digest).
    pub series: Option<Series>,
}

/// What a run collects besides its result (none of it changes the event stream or the digest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collect {
    /// Time series for the HTML report ([`Series`]).
    pub series: bool,
    /// The [`Tape`] `exsim shrink` cuts from ([`run_taped`]).
    pub tape: bool,
}

/// Everything a run's handlers share.
struct World<'w, E: MatchingEngine = Book> {
    queue: Queue<Ev>,
    gateway: Gateway<E>,
    auditor: Auditor,
    network: Network,
    slots: Vec<Slot>,
    fair: Vec<Price>,
    fair_streams: Vec<Stream>,
    /// Public market data per market, as the agents see it.
    market_data: Vec<MarketData>,
    /// The waking agent's balances, read into this buffer at each wake.
    account: AccountState,
    /// The waking agent's victims' balances (an attacker's), read into this buffer at each wake.
    victim_states: Vec<(UserId, AccountState)>,
    /// What attackers know (ground truth, shared by every attacker).
    intel: Intel,
    markets: Vec<MarketStats>,
    rec: Recorder<'w>,
    answers: Vec<Answer>,
    /// Answers that left the exchange since the last checkpoint, to check after a crash.
    acked: Vec<Answer>,
    /// The most records held at once so far.
    retained: Retained,
    /// The auditor's shadow at the gateway's checkpoint, to rebuild from after a crash.
    auditor_checkpoint: Auditor,
    commands: Vec<Action>,
    flush_scheduled: bool,
    /// The crashes still to come, and the sequence numbers set aside for them.
    crashes: CrashSchedule,
    crash_seqs: Reserved,
    counts: Counts,
    /// The chains and the exchange's back office.
    custody: Custody,
    /// The people behind the accounts (ground truth), and what mail exposed.
    people: People,
    /// The outside services around the operator and the server-side keys (ground truth).
    services: Services,
    /// The time series, if collected, and the buffer their snapshots are read into.
    series: Option<Series>,
    snapshot: Snapshot,
    scenario: &'w Scenario,
}

/// The exchange configuration a scenario describes.
pub fn exchange_config(s: &Scenario) -> ExchangeConfig {
    ExchangeConfig {
        assets: s.assets.clone(),
        markets: s.markets.iter().map(|m| m.spec.clone()).collect(),
        quote_ttl_ns: s.exchange.quote_ttl_ns,
        quote_spread_bps: s.exchange.quote_spread_bps,
        faults: s.faults,
        custody: s.custody.policy.clone(),
        identity: s.identity.policy,
        trading: s.custody.trading,
    }
}

/// Runs `scenario` with its seed, writing a JSON Lines trace to `trace` if given.
pub fn run<'w>(scenario: &'w Scenario, trace: Option<&'w mut dyn Write>) -> Result<RunResult, ConfigError> {
    run_engine(scenario, trace, Collect::default(), book(scenario)).map(|(result, _)| result)
}

/// [`run`], also collecting what `collect` asks for.
pub fn run_collecting<'w>(
    scenario: &'w Scenario,
    trace: Option<&'w mut dyn Write>,
    collect: Collect,
) -> Result<RunResult, ConfigError> {
    run_engine(scenario, trace, collect, book(scenario)).map(|(result, _)| result)
}

/// [`run`] recording its [`Tape`]: every command the exchange applied (less what crashes lost)
/// and every chain fact, for `exsim shrink`. The run itself is the same, digest included.
pub fn run_taped(scenario: &Scenario) -> Result<(RunResult, Tape), ConfigError> {
    let collect = Collect { tape: true, ..Collect::default() };
    run_engine(scenario, None, collect, book(scenario)).map(|(result, tape)| (result, tape.unwrap_or_default()))
}

/// [`run`] on an exchange whose every market runs an engine made by `make_engine` (the reference
/// [`Book`], or your own [`MatchingEngine`]): the whole simulation — agents, network, crashes and
/// recovery, custody, identity — and the auditor, around it. Engine faults (`--fault ioc_rests`,
/// …) are the reference engine's switches: `make_engine` decides whether its engine has them.
pub fn run_with_engine<'w, E: MatchingEngine + Clone>(
    scenario: &'w Scenario,
    trace: Option<&'w mut dyn Write>,
    make_engine: impl FnMut() -> E,
) -> Result<RunResult, ConfigError> {
    run_engine(scenario, trace, Collect::default(), make_engine).map(|(result, _)| result)
}

/// The reference engine with the scenario's engine faults.
fn book(scenario: &Scenario) -> impl FnMut() -> Book {
    let faults = scenario.faults;
    move || Book::with_faults(faults)
}

fn run_engine<'w, E: MatchingEngine + Clone>(
    scenario: &'w Scenario,
    trace: Option<&'w mut dyn Write>,
    collect: Collect,
    make_engine: impl FnMut() -> E,
) -> Result<(RunResult, Option<Tape>), ConfigError> {
    let taped = collect.tape;
    let seed = scenario.seed;
    let config = exchange_config(scenario);
    let agents: u32 = scenario.agents.iter().map(|g| g.count).sum();
    let mut gateway = Gateway::with_exchange(&config, Exchange::with_engine(&config, make_engine)?, agents as usize);
    if taped {
        gateway.start_tape();
    }
    let mut auditor = Auditor::with_config(gateway.exchange(), &config);
    let mut slots = Vec::with_capacity(agents as usize);
    // The instruments as the exchange publishes them; the kernel keeps their last trades.
    let market_data = (0..scenario.markets.len())
        .map(|m| MarketData {
            instrument: gateway.exchange().market(MarketId(u16::try_from(m).expect("at most MAX_MARKETS"))).clone(),
            last_trade: None,
        })
        .collect::<Vec<_>>();
    let setup = |gateway: &mut Gateway<E>, auditor: &mut Auditor, command: Command| {
        gateway.setup(&command, |applied| {
            auditor.observe_at(&command, applied, Stamp::default());
        })
    };
    // What set-up credits, per asset: the chains' genesis holds it in the exchange's wallets.
    let mut funded: Vec<Minor> = vec![0; scenario.assets.len()];
    let symbols: Vec<&str> = scenario.assets.iter().map(|a| a.symbol()).collect();
    let chains = (0..scenario.assets.len())
        .map(|a| {
            let asset = AssetId(u16::try_from(a).expect("asset ids fit u16"));
            Chain::new(asset, &config.custody.asset(a), config.custody.hot_multisig)
        })
        .collect();
    let mut custody = Custody::new(chains, seed, &symbols);
    // Who everyone is (ground truth: the exchange sees only what each registers): drawn from the
    // `identity` stream, in account order.
    let mut people = People::new(scenario.identity, seed);
    // The outside services around the operator, and the keys kept server-side.
    let id = &scenario.identity;
    let settings =
        ServiceSettings { source_ip_restriction: id.source_ip_restriction, keys_in_source: id.keys_in_source };
    let mut services = Services::new(settings, seed);
    for &(asset, amount) in &scenario.exchange.house_funding {
        let outcome = setup(&mut gateway, &mut auditor, Command::deposit(UserId::HOUSE, asset, amount));
        assert!(outcome.is_ok(), "house funding at set-up answered {outcome:?} (the scenario caps amounts)");
        funded[usize::from(asset.0)] += amount;
    }
    let mut agent_index = 0u32;
    for group in &scenario.agents {
        for i in 0..group.count {
            let next = UserId(u32::try_from(gateway.exchange().ledger().users()).expect("user ids fit u32"));
            let person = people.person(next, Some(agent_index), group.role, group.attacker);
            let user = match setup(&mut gateway, &mut auditor, person.register()) {
                Ok(Ack::Account(user)) => user,
                other => panic!("registering an account at set-up answered {other:?}"),
            };
            assert_eq!(user, next, "accounts are numbered densely");
            if group.role != Role::Customer {
                let grant = IdentityCommand::GrantRole { user, role: group.role }.into();
                let outcome = setup(&mut gateway, &mut auditor, grant);
                assert!(outcome.is_ok(), "granting a role at set-up answered {outcome:?}");
            }
            // The agent's client signs in once, from its own IP, with its device's code if it has
            // one: its requests then present that session.
            let ip = Ip(agent_index + 1);
            let sign_in = Origin::Client(Access::anonymous(ip).with_code(person.device.map(|d| Code::at(d, 0))));
            let login = IdentityCommand::Login { email: person.email, password: person.password }.into();
            let session = match gateway.setup_from(sign_in, &login, |applied| {
                auditor.observe_at(&login, applied, Stamp::default());
            }) {
                Ok(Ack::Session { session, .. }) => session,
                other => panic!("signing an agent in at set-up answered {other:?}"),
            };
            // A customer who trades through an API key creates it once, in that session,
            // allowlisting its own IP; its requests then present the key, which the exchange
            // keeps server-side (ground truth for who can steal it). A key the policy refuses
            // (the withdraw scope not allowed) leaves the client on its session.
            let mut access = Access::session(session, ip);
            if let Some(scopes) = group.api_key {
                let create = IdentityCommand::CreateApiKey { scopes, allow_ip: Some(ip) }.into();
                if let Ok(Ack::ApiKey(key)) = gateway.setup_from(Origin::Client(access), &create, |applied| {
                    auditor.observe_at(&create, applied, Stamp::default());
                }) {
                    access = Access { credential: Credential::ApiKey(key), ip, code: None };
                    services.keep_key(key, user);
                }
            }
            if group.role != Role::Customer && !group.attacker {
                services.set_operator(user, person.email);
            }
            people.add(person);
            for &(asset, amount) in &group.funding {
                let outcome = setup(&mut gateway, &mut auditor, Command::deposit(user, asset, amount));
                assert!(outcome.is_ok(), "funding at set-up answered {outcome:?} (the scenario caps amounts)");
                // The ledger's total of an asset is at most AMOUNT_MAX, so this cannot overflow.
                funded[usize::from(asset.0)] += amount;
                if group.attacker {
                    custody.breach.brought(asset, amount);
                }
            }
            custody.set_attacker(user, group.attacker);
            if group.privileged {
                let outcome = setup(&mut gateway, &mut auditor, Command::Funds(FundsCommand::GrantPrivilege { user }));
                assert!(outcome.is_ok(), "granting a privilege at set-up answered {outcome:?}");
            }
            slots.push(Slot {
                agent: Agent::new(&group.behaviour, &group.funding, &market_data),
                user,
                rng: Stream::new(seed, &format!("agent/{}/{i}", group.name)),
                stop_ns: group.stop_ns,
                next_key: 1,
                outstanding: BTreeMap::new(),
                access,
                attacker: group.attacker,
                victims: Vec::new(),
                device: person.device,
            });
            agent_index += 1;
        }
    }
    // The rest of the population: customers with no agent, who receive mail and can be attacked.
    for _ in 0..scenario.identity.population {
        let next = UserId(u32::try_from(gateway.exchange().ledger().users()).expect("user ids fit u32"));
        let person = people.person(next, None, Role::Customer, false);
        let outcome = setup(&mut gateway, &mut auditor, person.register());
        assert_eq!(outcome, Ok(Ack::Account(next)), "registering the population at set-up");
        people.add(person);
    }
    for (asset, &amount) in funded.iter().enumerate() {
        let fact = custody.chains[asset].genesis(amount);
        auditor.observe_chain(&fact, Stamp::default());
        if let Some(tape) = gateway.tape_mut() {
            tape.fact(0, &fact);
        }
    }
    // What attackers know: the list leaked from another site, with the operator on it if they
    // reused their password for their mailbox.
    let mut intel = people.leak();
    if let (Some((operator, email)), true) = (services.operator(), scenario.identity.operator_password_reused) {
        people.reuse_password(operator);
        if let Some(p) = people.get(operator) {
            intel.operators.push((email, p.password));
        }
    }
    custody.start_keys(gateway.next_system_key());
    let auditor_checkpoint = auditor.clone();
    gateway.take_checkpoint();
    let mut world = World {
        queue: Queue::default(),
        gateway,
        auditor,
        auditor_checkpoint,
        network: Network::new(&scenario.network, seed),
        slots,
        fair: scenario.markets.iter().map(|m| m.initial_price).collect(),
        fair_streams: scenario.markets.iter().map(|m| Stream::new(seed, &format!("fair_value/{}", m.name))).collect(),
        market_data,
        account: AccountState::default(),
        victim_states: Vec::new(),
        intel,
        markets: scenario
            .markets
            .iter()
            .map(|m| MarketStats {
                name: m.name.clone(),
                fills: 0,
                volume_lots: 0,
                last_price: None,
                fair_value_end: m.initial_price,
                quotes_filled: 0,
            })
            .collect(),
        rec: Recorder::new(trace),
        answers: Vec::with_capacity(64),
        acked: Vec::new(),
        retained: Retained::default(),
        commands: Vec::with_capacity(16),
        flush_scheduled: false,
        crashes: CrashSchedule::new(scenario),
        crash_seqs: Reserved::default(),
        counts: Counts::default(),
        custody,
        people,
        services,
        series: collect
            .series
            .then(|| Series::new(scenario.duration_ns, scenario.markets.len(), scenario.assets.len())),
        snapshot: Snapshot::default(),
        scenario,
    };
    world.schedule_start();
    let duration = scenario.duration_ns;
    // The healing phase (if any) follows: agents, attackers, crashes and the fair value stop; the
    // network, the back office and the chains go on, so every withdrawal can settle.
    let run_end = duration.saturating_add(scenario.custody.healing_ns);
    let mut end_ns = run_end;
    while let Some((time_ns, seq, ev)) = world.queue.pop() {
        if time_ns > run_end {
            break;
        }
        if time_ns > duration {
            world.custody.healing = true;
            if matches!(ev, Ev::Wake { .. } | Ev::Crash | Ev::FairValue { .. }) {
                continue;
            }
            // Healed: nothing left to settle (checked at each block, when settling happens).
            if matches!(ev, Ev::Block { .. }) && world.custody_settled() {
                end_ns = time_ns;
                break;
            }
        }
        if world.series.is_some() {
            world.sample_before(time_ns);
        }
        world.handle(Stamp { seq, time_ns }, ev);
    }
    if world.series.is_some() {
        world.sample_end();
    }
    let end = Stamp { seq: world.rec.events(), time_ns: end_ns };
    world.note_retained();
    world.custody_end();
    if scenario.custody.healing_ns > 0 {
        world.auditor.check_settled(end);
    }
    world.auditor.finish(world.gateway.exchange(), end);
    check_books(world.gateway.exchange(), scenario.faults, &mut world.auditor, end);
    for (stats, fair) in world.markets.iter_mut().zip(&world.fair) {
        stats.fair_value_end = *fair;
    }
    let World { rec, auditor, markets, network, mut counts, mut gateway, retained, custody, series, .. } = world;
    counts.crashes = u64::from(gateway.crashes());
    let events = rec.events();
    let (digest, trace_error) = rec.finish();
    let tape = gateway.take_tape();
    let result = RunResult {
        scenario: scenario.name.clone(),
        variant: scenario.variant.clone(),
        seed,
        digest,
        events,
        sim_time_ns: end_ns,
        findings: auditor.findings().clone(),
        markets,
        net: network.stats(),
        counts,
        trace_error: trace_error.map(|e| e.to_string()),
        retained,
        breach: custody.breach,
        series,
    };
    Ok((result, tape))
}

/// Most crashes one run may be expected to have, scheduled (`exchange.crash_at`) and random
/// (`duration / exchange.crash_mean_interval`) together: the scenario parser refuses more with a
/// located error, before anything runs. Each crash costs a recovery, so this bounds a run's work,
/// and the schedule is drawn one crash at a time, so it never holds more than one random crash
/// time in memory.
pub const MAX_RUN_CRASHES: u64 = crate::scenario::limits::MAX_CRASHES as u64;

/// A safety net: a run's schedule stops after this many crashes whatever the draws. A run within
/// [`MAX_RUN_CRASHES`] expected crashes reaches it with a probability below 10^-1600.
pub const CRASH_SCHEDULE_CUT: u64 = 2 * MAX_RUN_CRASHES;

/// Crash times printed in a run's header line; the rest are counted.
const HEADER_CRASHES: usize = 8;

/// When the exchange will crash in a run, in order: the scheduled times merged with the random
/// ones, each drawn from the `crash` stream only when the one before it has been taken.
/// Derived from the seed alone, so it can be described before a run.
#[derive(Clone, Debug)]
pub struct CrashSchedule {
    /// `crash_at`, sorted, and how many of them were taken.
    at: Vec<u64>,
    taken_at: usize,
    /// The `crash` stream and its next random crash time (`None`: no more random crashes).
    stream: Option<Stream>,
    next_random: Option<u64>,
    mean_ns: u64,
    duration_ns: u64,
    taken: u64,
}

impl CrashSchedule {
    /// The schedule of a run of `s`.
    pub fn new(s: &Scenario) -> CrashSchedule {
        let mut at = s.exchange.crash_at_ns.clone();
        at.sort_unstable();
        let mean_ns = s.exchange.crash_mean_interval_ns;
        let mut schedule = CrashSchedule {
            at,
            taken_at: 0,
            stream: (mean_ns > 0).then(|| Stream::new(s.seed, "crash")),
            next_random: None,
            mean_ns,
            duration_ns: s.duration_ns,
            taken: 0,
        };
        schedule.next_random = schedule.draw(0);
        schedule
    }

    /// The random crash after `after`, if it falls within the run.
    fn draw(&mut self, after: u64) -> Option<u64> {
        let stream = self.stream.as_mut()?;
        let t = after.saturating_add(stream.exponential_ns(self.mean_ns));
        if t > self.duration_ns {
            self.stream = None;
            return None;
        }
        Some(t)
    }
}

impl Iterator for CrashSchedule {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.taken >= CRASH_SCHEDULE_CUT {
            return None;
        }
        let scheduled = self.at.get(self.taken_at).copied();
        let t = match (scheduled, self.next_random) {
            (None, None) => return None,
            (Some(a), Some(r)) if r < a => {
                self.next_random = self.draw(r);
                r
            }
            (Some(a), _) => {
                self.taken_at += 1;
                a
            }
            (None, Some(r)) => {
                self.next_random = self.draw(r);
                r
            }
        };
        self.taken += 1;
        Some(t)
    }
}

/// Every crash time of a run of `s`, in order (at most [`CRASH_SCHEDULE_CUT`]).
pub fn crash_schedule(s: &Scenario) -> Vec<u64> {
    CrashSchedule::new(s).collect()
}

/// Checks, before anything runs, what a run of `s` could only find out while running: the
/// exchange accepts its configuration. (The crash bound, [`MAX_RUN_CRASHES`], is the parser's.)
/// The error names the field and what would be valid.
pub fn check(s: &Scenario) -> Result<(), String> {
    crate::exchange::Exchange::new(&exchange_config(s)).map(drop).map_err(|e| e.to_string())
}

/// One line naming the seed and what is derived from it, printed before a run starts: the crash
/// count with the first few times, never the whole schedule.
pub fn describe(s: &Scenario) -> String {
    let agents: u32 = s.agents.iter().map(|g| g.count).sum();
    let schedule = CrashSchedule::new(s);
    let count = schedule.clone().count();
    let mut first: Vec<String> = schedule.take(HEADER_CRASHES).map(super::report::duration).collect();
    if count > HEADER_CRASHES {
        first.push("…".to_owned());
    }
    let random = if s.exchange.crash_mean_interval_ns == 0 {
        "none random".to_owned()
    } else {
        format!("random from stream crash with mean {}", super::report::duration(s.exchange.crash_mean_interval_ns))
    };
    let faults: Vec<&str> = s.faults.iter().map(|f| f.name()).collect();
    format!(
        "{} / {}: seed {}, {} simulated, {agents} agents, {count} crash(es) at [{}] ({} scheduled, {random}), faults [{}]; streams agent/<group>/<i>, network, crash, fair_value/<market>",
        s.name,
        s.variant,
        s.seed,
        super::report::duration(s.duration_ns),
        first.join(", "),
        s.exchange.crash_at_ns.len(),
        faults.join(", ")
    )
}

const WAKE: u8 = 1;
const TO_EXCHANGE: u8 = 2;
const TO_CLIENT: u8 = 3;
const RETRY: u8 = 4;
const FLUSH: u8 = 5;
const CRASH: u8 = 6;
const RECOVER: u8 = 7;
const FAIR_VALUE: u8 = 8;
const BLOCK: u8 = 9;
const SYSTEM_STEP: u8 = 10;
const SWEEP: u8 = 11;
const MONITOR: u8 = 12;

/// How the gateway received a request (recorded in the stream).
const DOWN: u64 = 0;
const STALE: u64 = 1;
const DUPLICATE: u64 = 2;
const APPLIED: u64 = 3;

impl<E: MatchingEngine + Clone> World<'_, E> {
    fn schedule_start(&mut self) {
        let s = self.scenario;
        let mut i = 0u32;
        for group in &s.agents {
            for _ in 0..group.count {
                // Start jitter: agents of a group do not all act in the same nanosecond.
                let jitter = self.slots[i as usize].rng.uniform(0, 1_000_000);
                let at = group.start_ns.saturating_add(jitter);
                if at < group.stop_ns {
                    self.queue.schedule(at, Ev::Wake { agent: i, why: Wake::Tick });
                }
                i += 1;
            }
        }
        for (m, market) in s.markets.iter().enumerate() {
            if market.volatility_ticks > 0 && market.step_ns > 0 {
                self.queue.schedule(market.step_ns, Ev::FairValue { market: m as u16 });
            }
        }
        // The crashes take the sequence numbers they would have had if every one had been
        // scheduled here, but are drawn one at a time: the next when the previous one fires.
        self.crash_seqs = self.queue.reserve(self.crashes.clone().count() as u64);
        self.schedule_next_crash();
        self.custody_start();
    }

    fn schedule_next_crash(&mut self) {
        if let Some(t) = self.crashes.next() {
            self.queue.schedule_reserved(&mut self.crash_seqs, t, Ev::Crash);
        }
    }

    fn handle(&mut self, at: Stamp, ev: Ev) {
        match ev {
            Ev::Wake { agent, why } => self.wake(at, agent, why),
            Ev::ToExchange { client, key, floor, access, command } => {
                self.at_exchange(at, client, key, floor, access, command)
            }
            Ev::ToClient { client, key, outcome } => self.at_client(at, client, key, outcome),
            Ev::Retry { client, key } => self.retry(at, client, key),
            Ev::Flush => self.flush(at),
            Ev::Crash => self.crash(at),
            Ev::Recover => self.recover(at),
            Ev::FairValue { market } => self.fair_value(at, market),
            Ev::Block { asset } => self.block(at, asset),
            Ev::System { key } => self.system_step(at, key),
            Ev::Sweep { asset, amount } => self.sweep(at, asset, amount),
            Ev::Monitor => self.monitor(at),
        }
    }

    /// Sends a message over the network.
    fn send(&mut self, now: u64, ev: Ev) {
        match self.network.send() {
            Verdict::Drop => {}
            Verdict::Deliver(d) => self.queue.schedule(now + d, ev),
            Verdict::Duplicate(a, b) => {
                self.queue.schedule(now + a, ev);
                self.queue.schedule(now + b, ev);
            }
        }
    }

    /// Sends a request over the network.
    fn send_request(&mut self, now: u64, client: ClientId, key: u64, access: Access, command: Command) {
        let floor = self.slots[client as usize].floor();
        self.send(now, Ev::ToExchange { client, key, floor, access, command });
    }

    /// Sends the answers the gateway released, remembering as acknowledged each one whose command
    /// a checkpoint does not cover yet (a checkpointed command survives every crash).
    fn send_answers(&mut self, at: Stamp) {
        let now = at.time_ns;
        let mut answers = std::mem::take(&mut self.answers);
        for a in answers.drain(..) {
            self.released(at, &a);
            if a.client == SYSTEM {
                continue;
            }
            if a.index >= self.gateway.checkpointed() {
                self.acked.push(a);
            }
            self.send(now, Ev::ToClient { client: a.client, key: a.key, outcome: a.outcome });
        }
        self.answers = answers;
    }

    fn wake(&mut self, at: Stamp, agent: u32, why: Wake) {
        self.rec.begin(at.seq, at.time_ns, WAKE);
        self.rec.u64(u64::from(agent));
        self.rec.u64(why as u64);
        let now = at.time_ns;
        let slot = &mut self.slots[agent as usize];
        let mut commands = std::mem::take(&mut self.commands);
        let mut next = None;
        if now < slot.stop_ns {
            // What a client could know now: its own balances (an account API answers from the
            // exchange's state at this instant), the public market data, and the ground truth.
            let ledger = self.gateway.exchange().ledger();
            let assets = self.scenario.assets.len();
            self.account.read(ledger, slot.user, assets);
            // An attacker's victims: their account pages, as its stolen sessions show them.
            self.victim_states.truncate(slot.victims.len());
            for (i, &victim) in slot.victims.iter().enumerate() {
                if i == self.victim_states.len() {
                    self.victim_states.push((victim, AccountState::default()));
                }
                self.victim_states[i].0 = victim;
                self.victim_states[i].1.read(ledger, victim, assets);
            }
            let view = View {
                user: slot.user,
                now_ns: now,
                account: &self.account,
                markets: &self.market_data,
                ground_truth: GroundTruth::new(&self.fair),
                intel: &self.intel,
                victims: &self.victim_states,
            };
            next = slot.agent.wake(why, &view, &mut slot.rng, &mut commands);
        }
        let retry_ns = self.network.settings().retry_timeout_ns;
        let sent = commands.len();
        let user = self.slots[agent as usize].user;
        if sent > 0 && self.custody.is_attacker(user) {
            self.custody.breach.attack(now);
        }
        for action in commands.drain(..) {
            let slot = &mut self.slots[agent as usize];
            let (access, command) = match action {
                // Its own account's client shows a code of the device it holds (an authenticator
                // app).
                Action::Command(command) => (slot.access.with_code(slot.device.map(|d| Code::at(d, now))), command),
                Action::As { credential, code, command } => (Access { credential, ip: slot.access.ip, code }, command),
                Action::Chain(chain) => {
                    self.chain_action(at, user, chain);
                    continue;
                }
                Action::World(world) => {
                    self.world_action(at, world);
                    continue;
                }
            };
            let key = slot.next_key;
            slot.next_key += 1;
            slot.outstanding.insert(key, Pending { command, access, resent: 0 });
            self.send_request(now, agent, key, access, command);
            self.queue.schedule(now + retry_ns, Ev::Retry { client: agent, key });
        }
        self.commands = commands;
        if let Some(delay) = next {
            let t = now.saturating_add(delay.max(1));
            if t < self.slots[agent as usize].stop_ns && t <= self.scenario.duration_ns {
                self.queue.schedule(t, Ev::Wake { agent, why: Wake::Tick });
            }
        }
        self.rec.u64(sent as u64);
        self.rec.end(|| {
            let why = match why {
                Wake::Tick => "tick",
                Wake::Followup => "followup",
            };
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "wake", "agent": agent, "why": why, "sent": sent})
        });
    }

    /// Hands a request to the gateway and consumes what it did: an applied command is counted,
    /// audited, feeds the market statistics, queues its intents (carried out when its answer
    /// leaves) and makes sure a flush is coming; released answers are sent. Returns how it was
    /// received ([`DOWN`], [`STALE`], [`DUPLICATE`], [`APPLIED`]) and, if applied, its outcome.
    /// The one path for clients' requests and the back office's.
    fn deliver(
        &mut self,
        at: Stamp,
        client: ClientId,
        key: u64,
        floor: u64,
        origin: Origin,
        command: &Command,
    ) -> (u64, Option<Outcome>) {
        let received = self.gateway.receive(at.time_ns, client, key, floor, origin, command, &mut self.answers);
        let delivered = match received {
            Received::Down => (DOWN, None),
            Received::Stale => (STALE, None),
            Received::Duplicate => (DUPLICATE, None),
            Received::Applied { index, applied } => {
                self.counts.commands += 1;
                if applied.result.is_err() {
                    self.counts.rejected += 1;
                }
                self.auditor.observe_at(command, &applied, at);
                market_stats(&mut self.markets, &mut self.market_data, &applied);
                if let Some(series) = self.series.as_mut() {
                    sample::fills(series, at.time_ns, &applied);
                }
                self.custody.pending_intents.extend(applied.intents.iter().map(|&i| (index, i)));
                if !self.flush_scheduled {
                    self.flush_scheduled = true;
                    let t = at.time_ns + self.scenario.exchange.flush_interval_ns;
                    self.queue.schedule(t, Ev::Flush);
                }
                (APPLIED, Some(applied.result))
            }
        };
        self.send_answers(at);
        delivered
    }

    fn at_exchange(&mut self, at: Stamp, client: ClientId, key: u64, floor: u64, access: Access, command: Command) {
        self.rec.begin(at.seq, at.time_ns, TO_EXCHANGE);
        self.rec.u64(u64::from(client));
        self.rec.u64(key);
        self.rec.access(&access);
        self.rec.command(&command);
        let (code, outcome) = self.deliver(at, client, key, floor, Origin::Client(access), &command);
        if let (APPLIED, Some(Ok(ack))) = (code, outcome) {
            self.note_access(client, &access, &ack);
        }
        match code {
            DOWN => self.counts.lost_down += 1,
            DUPLICATE => self.counts.duplicates += 1,
            _ => {}
        }
        self.rec.u64(code);
        if let Some(outcome) = &outcome {
            self.rec.outcome(outcome);
        }
        self.rec.end(|| {
            let received = ["down", "stale", "duplicate", "applied"][code as usize];
            let outcome = outcome.map_or_else(String::new, |o| format!("{o:?}"));
            let credential = match access.credential {
                Credential::Anonymous => "anonymous".to_owned(),
                Credential::Session(s) => format!("session {}", s.0),
                Credential::ApiKey(k) => format!("api key {}", k.0),
            };
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "to_exchange", "client": client, "key": key,
                   "credential": credential, "ip": access.ip.0, "code": access.code.is_some(),
                   "command": format!("{command:?}"), "received": received, "outcome": outcome})
        });
    }

    fn at_client(&mut self, at: Stamp, client: ClientId, key: u64, outcome: Outcome) {
        self.rec.begin(at.seq, at.time_ns, TO_CLIENT);
        self.rec.u64(u64::from(client));
        self.rec.u64(key);
        self.rec.outcome(&outcome);
        let slot = &mut self.slots[client as usize];
        let fresh = slot.outstanding.remove(&key);
        if let Some(pending) = fresh {
            if let Some(delay) = slot.agent.answered(&pending.command, &outcome, &mut slot.rng) {
                let t = at.time_ns.saturating_add(delay.max(1));
                if t < slot.stop_ns && t <= self.scenario.duration_ns {
                    self.queue.schedule(t, Ev::Wake { agent: client, why: Wake::Followup });
                }
            }
        }
        let fresh = fresh.is_some();
        self.rec.u64(u64::from(fresh));
        self.rec.end(|| {
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "to_client", "client": client, "key": key,
                   "outcome": format!("{outcome:?}"), "fresh": fresh})
        });
    }

    fn retry(&mut self, at: Stamp, client: ClientId, key: u64) {
        self.rec.begin(at.seq, at.time_ns, RETRY);
        self.rec.u64(u64::from(client));
        self.rec.u64(key);
        let settings = self.network.settings();
        let (max, timeout) = (settings.max_retries, settings.retry_timeout_ns);
        let slot = &mut self.slots[client as usize];
        let action = match slot.outstanding.get_mut(&key) {
            None => 0,
            Some(p) if p.resent >= max => {
                slot.outstanding.remove(&key);
                self.counts.abandoned += 1;
                1
            }
            Some(p) => {
                p.resent += 1;
                let (command, access) = (p.command, p.access);
                self.send_request(at.time_ns, client, key, access, command);
                self.queue.schedule(at.time_ns + timeout, Ev::Retry { client, key });
                2
            }
        };
        self.rec.u64(action);
        self.rec.end(|| {
            let action = ["answered", "abandoned", "resent"][action as usize];
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "retry", "client": client, "key": key, "action": action})
        });
    }

    fn flush(&mut self, at: Stamp) {
        self.rec.begin(at.seq, at.time_ns, FLUSH);
        self.flush_scheduled = false;
        let flushed = self.gateway.flush(&mut self.answers);
        let released = self.answers.len();
        self.send_answers(at);
        if self.gateway.checkpoint_due() {
            // Everything is durable and about to be covered by the checkpoint: check every answer
            // that left against the log while it still holds them, then forget them.
            self.note_retained();
            check_acked(&mut self.acked, &self.gateway, &mut self.auditor, at, "at a checkpoint");
            self.gateway.take_checkpoint();
            self.auditor_checkpoint = self.auditor.clone();
            self.custody.facts_since_checkpoint.clear();
        }
        self.rec.u64(u64::from(flushed));
        self.rec.u64(released as u64);
        self.rec.end(|| json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "flush", "released": released}));
    }

    fn crash(&mut self, at: Stamp) {
        self.rec.begin(at.seq, at.time_ns, CRASH);
        let up = self.gateway.is_up();
        let mut lost = 0;
        if up {
            lost = self.gateway.crash();
            self.custody.crashed(self.gateway.log_len().1);
            self.counts.lost_entries += lost as u64;
            self.queue.schedule(at.time_ns + self.scenario.exchange.recovery_ns, Ev::Recover);
            if let Some(series) = self.series.as_mut() {
                series.crash(at.time_ns);
            }
        }
        self.schedule_next_crash();
        self.rec.u64(u64::from(up));
        self.rec.u64(lost as u64);
        self.rec
            .end(|| json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "crash", "was_up": up, "lost_entries": lost}));
    }

    fn recover(&mut self, at: Stamp) {
        self.rec.begin(at.seq, at.time_ns, RECOVER);
        let mut auditor = self.auditor_checkpoint.resume_with(self.auditor.findings());
        self.gateway.recover(|command, applied| {
            auditor.observe_at(command, applied, at);
        });
        for (fact, stamp) in &self.custody.facts_since_checkpoint {
            auditor.observe_chain(fact, *stamp);
        }
        auditor.unmute();
        // The back office re-sends every request whose answer never left (lost, or sent while
        // down), under the same key: one that survived is answered from the dedup table.
        let keys: Vec<u64> = self.custody.outstanding.keys().copied().collect();
        for key in keys {
            self.queue.schedule(at.time_ns, Ev::System { key });
        }
        auditor.exercise(Invariant::JournalComplete);
        if let Some(series) = self.series.as_mut() {
            series.recover(at.time_ns);
        }
        let lost = check_acked(&mut self.acked, &self.gateway, &mut auditor, at, "after crash recovery");
        self.auditor = auditor;
        let (log, _) = self.gateway.log_len();
        self.rec.u64(log as u64);
        self.rec.u64(lost);
        self.rec.end(|| {
            json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "recover", "replayed": log, "acknowledged_lost": lost})
        });
    }

    /// Folds the records held now into [`World::retained`].
    fn note_retained(&mut self) {
        let g = self.gateway.retained();
        let now = Retained {
            journal_entries: g.journal_entries,
            log_entries: g.log_entries,
            remembered_answers: g.remembered_answers,
            acked_answers: self.acked.len(),
            audit_records: self.auditor.retained(),
            custody_records: self.gateway.exchange().custody_records(),
            credited_deposits: self.gateway.exchange().credited_deposits(),
        };
        self.retained = self.retained.max(now);
    }

    fn fair_value(&mut self, at: Stamp, market: u16) {
        self.rec.begin(at.seq, at.time_ns, FAIR_VALUE);
        let m = usize::from(market);
        let setup = &self.scenario.markets[m];
        let step = self.fair_streams[m].symmetric(setup.volatility_ticks);
        // The walk stays within the market's prices: at least one tick, at most its highest.
        let price = Price(self.fair[m].0.saturating_add_signed(step).clamp(1, setup.max_price.0));
        self.fair[m] = price;
        self.queue.schedule(at.time_ns + setup.step_ns, Ev::FairValue { market });
        self.rec.u64(u64::from(market));
        self.rec.u64(price.0);
        self.rec.end(
            || json!({"seq": at.seq, "time_ns": at.time_ns, "kind": "fair_value", "market": market, "price": price.0}),
        );
    }
}

/// Trading statistics from a command's effects: its fills (count, volume, last price, also the
/// market's last trade) and, for an honored quote, the quote count.
fn market_stats<E: MatchingEngine>(
    markets: &mut [MarketStats],
    market_data: &mut [MarketData],
    applied: &Applied<'_, E>,
) {
    for &(market, event) in applied.events {
        if let Event::Fill { price, qty, .. } = event {
            let m = &mut markets[usize::from(market.0)];
            m.fills += 1;
            m.volume_lots += u128::from(qty.0);
            m.last_price = Some(price);
            market_data[usize::from(market.0)].last_trade = Some(price);
        }
    }
    if let Ok(Ack::QuoteFilled(q)) = applied.result {
        markets[usize::from(q.market.0)].quotes_filled += 1;
    }
}

/// `journal_complete` for the answers that left the exchange (drained from `acked`): each must be
/// in the gateway's log at its index, with the same client, key and outcome. `when` names the
/// moment in a violation's detail. Returns how many are missing.
fn check_acked<E: MatchingEngine + Clone>(
    acked: &mut Vec<Answer>,
    gateway: &Gateway<E>,
    auditor: &mut Auditor,
    at: Stamp,
    when: &str,
) -> u64 {
    let mut lost = 0u64;
    for a in acked.drain(..) {
        match gateway.logged(a.index) {
            Some(l) if (l.client, l.key, l.outcome) == (a.client, a.key, a.outcome) => {}
            Some(l) => auditor.report(
                Invariant::JournalComplete,
                at,
                format!(
                    "client {} request {} was answered {:?}, but the journal {when} holds {:?} there",
                    a.client, a.key, a.outcome, l
                ),
            ),
            None => {
                lost += 1;
                auditor.report(
                    Invariant::JournalComplete,
                    at,
                    format!(
                        "client {} request {} was acknowledged ({:?}) but is missing {when}",
                        a.client, a.key, a.outcome
                    ),
                );
            }
        }
    }
    lost
}

/// End of run: every market's book re-checks its own structure from scratch ([`Book::check`],
/// O(resting orders)). A broken book is a bug in exsim's engine, so it panics (exit 3, with the
/// seed) — unless an engine fault is on. Then the book under test is the faulty one, whose fault
/// paths are written to keep its structure; a break is damage done by the fault, reported as a
/// violation of the invariant that fault breaks (the first engine fault on, in SPEC order:
/// `ioc_rests` → `tif_respected`, `taker_price` → `limit_respected`, `priority_lost_on_partial` →
/// `price_time_priority`), so a sweep finds it as the fault's finding (exit 1) with the others.
/// Returns how many books were checked.
pub(crate) fn check_books<E: MatchingEngine>(
    x: &Exchange<E>,
    faults: FaultSet,
    auditor: &mut Auditor,
    at: Stamp,
) -> usize {
    let engine_fault = faults.first_in(FaultArea::Engine);
    for m in 0..x.market_count() {
        let market = MarketId(u16::try_from(m).expect("market ids fit u16"));
        #[cfg(test)]
        tests::BOOKS_CHECKED.with(|n| n.set(n.get() + 1));
        let Err(broken) = x.engine(market).check_structure() else { continue };
        let detail = format!("end of run: the book of market {m} fails its structural check: {broken}");
        match engine_fault {
            Some(fault) => auditor.report(fault.caught_by()[0], at, format!("{detail} (fault `{fault}` is on)")),
            None => {
                panic!("{detail} (a bug in the matching engine: exsim's own `Book` unless the run was given another)")
            }
        }
    }
    x.market_count()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::engine::{LimitOrder, MatchingEngine, OrderId, OwnerId, Stp, Tif};
    use crate::fault::Fault;
    use crate::units::{Qty, Side};

    thread_local! {
        /// Books [`check_books`] checked on this thread: the hook that shows a run checks them.
        pub(super) static BOOKS_CHECKED: Cell<usize> = const { Cell::new(0) };
    }

    fn quickstart() -> Scenario {
        crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &[])
            .expect("the quickstart parses")
            .runs
            .remove(0)
    }

    #[test]
    fn every_run_checks_every_book_at_its_end() {
        let mut s = quickstart();
        s.duration_ns = 50_000_000;
        let before = BOOKS_CHECKED.with(Cell::get);
        let result = run(&s, None).unwrap();
        assert!(!s.markets.is_empty() && result.events > 0);
        assert_eq!(BOOKS_CHECKED.with(Cell::get) - before, s.markets.len(), "one check per market, once");
    }

    /// The quickstart's exchange with every market's book made from `book`.
    fn exchange_with(book: &Book) -> Exchange<Book> {
        Exchange::with_engine(&exchange_config(&quickstart()), || book.clone()).unwrap()
    }

    /// A book with one bid and one ask, broken if `broken`.
    fn book(broken: bool) -> Book {
        let mut book = Book::new();
        let mut out = Vec::new();
        for (id, side, price) in [(1, Side::Buy, 100), (2, Side::Sell, 101)] {
            let order = LimitOrder {
                id: OrderId(id),
                owner: OwnerId(1),
                side,
                price: Price(price),
                qty: Qty(3),
                tif: Tif::Gtc,
                stp: Stp::default(),
            };
            book.limit(order, &mut out).unwrap();
        }
        assert!(book.check().is_ok());
        if broken {
            assert!(book.break_structure_for_test());
            assert!(book.check().is_err(), "the broken book fails its check");
        }
        book
    }

    #[test]
    fn a_sound_book_passes_quietly() {
        let x = exchange_with(&book(false));
        let mut auditor = Auditor::new(&x);
        assert_eq!(check_books(&x, FaultSet::NONE, &mut auditor, Stamp::default()), x.market_count());
        assert_eq!(auditor.findings().total(), 0);
    }

    #[test]
    fn a_broken_book_without_an_engine_fault_is_a_bug() {
        for faults in [FaultSet::NONE, FaultSet::NONE.with(Fault::HoldDoubleRelease).with(Fault::QuoteReprice)] {
            let x = exchange_with(&book(true));
            let mut auditor = Auditor::new(&x);
            let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check_books(&x, faults, &mut auditor, Stamp::default());
            }))
            .expect_err("a broken book panics");
            let message = panic.downcast_ref::<String>().expect("a formatted message");
            assert!(
                message.contains("fails its structural check") && message.contains("a bug in the matching engine"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_broken_book_under_an_engine_fault_is_that_faults_finding() {
        for (faults, invariant) in [
            (FaultSet::NONE.with(Fault::IocRests), Invariant::TifRespected),
            (FaultSet::NONE.with(Fault::TakerPrice), Invariant::LimitRespected),
            (FaultSet::NONE.with(Fault::PriorityLostOnPartial), Invariant::PriceTimePriority),
            (FaultSet::NONE.with(Fault::PriorityLostOnPartial).with(Fault::TakerPrice), Invariant::LimitRespected),
        ] {
            let x = exchange_with(&book(true));
            let mut auditor = Auditor::new(&x);
            let at = Stamp { seq: 7, time_ns: 9 };
            check_books(&x, faults, &mut auditor, at);
            let markets = x.market_count() as u64;
            assert_eq!(auditor.findings().count(invariant), markets, "{faults:?}");
            assert_eq!(auditor.findings().total(), markets, "{faults:?}: nothing else");
            let first = auditor.findings().first(invariant).unwrap();
            assert_eq!((first.seq, first.time_ns), (7, 9));
            assert!(first.detail.contains("fails its structural check"), "{}", first.detail);
        }
    }
}
