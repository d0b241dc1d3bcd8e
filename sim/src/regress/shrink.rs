//! `exsim shrink`: from a run that breaks an invariant to the fewest entries that still break the
//! *same* invariant. The run is simulated once with its tape on (`sim::tape`): every command the
//! exchange applied, with its time, origin and answer, less what crashes lost, and every chain
//! fact the auditor saw. Then, each candidate replayed from scratch ([`super::replay`]):
//!
//! 1. the tape is cut just after the entry at which the invariant first broke;
//! 2. delta debugging over the accounts the entries concern (all of one customer's set-up, orders
//!    and withdrawals come and go together; the system's and the chains' entries are groups too);
//! 3. delta debugging over the entries left ([`ddmin`]), to a 1-minimal sequence;
//! 4. over values: each entry's time moved back to the one before it, each quantity and amount
//!    halved or made 1, kept when the invariant still breaks;
//! 5. the result is replayed once more and written with the ids it got (normalized), so the file
//!    reads as what happened.
//!
//! Invariants: every candidate kept broke the invariant named (never another one); the result is
//! a subsequence of the tape (ids renamed through the map, nothing invented); the number of
//! replays is bounded by the budget; the run itself is the simulator's ordinary run (same digest).

use super::{replay, Entry, Header, Provenance, Regression, FORMAT};
use crate::audit::Invariant;
use crate::ddmin::ddmin;
use crate::exchange::{Command, ConfigError, ExchangeConfig, IdentityCommand};
use crate::scenario::Scenario;
use crate::sim::run::{exchange_config, run_taped};
use crate::sim::tape::{Taped, TAPE_MAX};

/// Replays one shrink may spend by default.
pub const DEFAULT_BUDGET: usize = 20_000;

/// Why a run could not be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("the exchange cannot run this configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(
        "the run applied more than {TAPE_MAX} commands and chain facts, more than a shrink records; \
         shorten it (e.g. `--set duration=…`)"
    )]
    TooLong,
    #[error("{}", not_violated(*.wanted, .violated))]
    NotViolated { wanted: Option<Invariant>, violated: Vec<Invariant> },
    #[error(
        "`{}` broke in the simulation but not when its commands are replayed alone: it needs the simulator \
         (a crash, or liveness after healing), which a regression file does not hold",
        .0.id()
    )]
    NotReproduced(Invariant),
}

fn not_violated(wanted: Option<Invariant>, violated: &[Invariant]) -> String {
    let broke = if violated.is_empty() {
        "nothing broke".to_owned()
    } else {
        format!("what broke: {}", violated.iter().map(|i| i.id()).collect::<Vec<_>>().join(", "))
    };
    match wanted {
        Some(i) => format!("this run does not violate `{}` ({broke}); nothing to shrink", i.id()),
        None => format!("this run violates no invariant ({broke}); nothing to shrink"),
    }
}

/// A finished shrink.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub regression: Regression,
    pub invariant: Invariant,
    /// Entries on the run's tape, and in the result.
    pub before: usize,
    pub after: usize,
    /// Replays spent, and whether the budget ran out (the result may then not be 1-minimal).
    pub tests: usize,
    pub exhausted: bool,
}

/// Progress of a shrink, for a long one: the phase, the candidate's size, replays so far.
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Simulates `scenario` with its tape on and shrinks what broke `wanted` (default: the first of
/// the scenario's faults' own invariants that broke, else the first invariant that broke).
pub fn shrink(
    scenario: &Scenario,
    mut from: Provenance,
    wanted: Option<Invariant>,
    budget: usize,
    progress: Progress<'_>,
) -> Result<Shrunk, ShrinkError> {
    progress("simulating", 0, 0);
    let (result, tape) = run_taped(scenario)?;
    if tape.overflowed() {
        return Err(ShrinkError::TooLong);
    }
    let violated: Vec<Invariant> =
        Invariant::ALL.into_iter().filter(|&i| result.findings.count(i) > 0).collect::<Vec<_>>();
    let invariant = match wanted {
        Some(i) if violated.contains(&i) => i,
        Some(_) => return Err(ShrinkError::NotViolated { wanted, violated }),
        None => {
            let own = scenario.faults.iter().flat_map(|f| f.caught_by().iter().copied()).find(|i| violated.contains(i));
            let earliest = violated.iter().copied().min_by_key(|&i| result.findings.first(i).map(|v| v.seq));
            own.or(earliest).ok_or(ShrinkError::NotViolated { wanted, violated: violated.clone() })?
        }
    };
    let config = exchange_config(scenario);
    let entries: Vec<Entry> = tape
        .entries()
        .iter()
        .map(|t| match *t {
            Taped::Command { time_ns, origin, command, outcome, paid, .. } => {
                Entry::Command { time_ns, origin, command, ack: outcome.ok(), paid }
            }
            Taped::Chain { time_ns, fact } => Entry::Chain { time_ns, fact },
        })
        .collect();
    let before = entries.len();
    progress("replaying", before, 0);
    let whole = replay(&config, &entries, Some(invariant))?;
    if whole.count(invariant) == 0 {
        return Err(ShrinkError::NotReproduced(invariant));
    }
    let mut current = entries;
    if let Some(i) = whole.first_break {
        current.truncate(i + 1);
    }
    let mut tests = 1usize;
    let mut exhausted = false;
    // By account.
    let keys: Vec<Key> = current.iter().map(key).collect();
    let mut groups = keys.clone();
    groups.sort_unstable();
    groups.dedup();
    if groups.len() > 1 {
        let indexed: Vec<(Key, Entry)> = keys.into_iter().zip(current.iter().copied()).collect();
        let shrunk = ddmin(groups, budget.saturating_sub(tests), |kept| {
            let candidate: Vec<Entry> =
                indexed.iter().filter(|(k, _)| kept.binary_search(k).is_ok()).map(|&(_, e)| e).collect();
            let n = candidate.len();
            progress("by account", n, tests);
            tests += 1;
            breaks(&config, &candidate, invariant)
        });
        exhausted |= shrunk.exhausted;
        let kept = shrunk.items;
        current = indexed.into_iter().filter(|(k, _)| kept.binary_search(k).is_ok()).map(|(_, e)| e).collect();
    }
    // By entry.
    let shrunk = ddmin(current, budget.saturating_sub(tests), |candidate| {
        progress("by entry", candidate.len(), tests);
        tests += 1;
        breaks(&config, candidate, invariant)
    });
    exhausted |= shrunk.exhausted;
    let mut minimal = shrunk.items;
    // By value.
    let mut i = 0;
    'entries: while i < minimal.len() {
        for candidate in simpler(&minimal, i) {
            if tests >= budget {
                exhausted = true;
                break 'entries;
            }
            let mut trial = minimal.clone();
            trial[i] = candidate;
            progress("by value", trial.len(), tests);
            tests += 1;
            if breaks(&config, &trial, invariant) {
                minimal = trial;
                // Simpler still, from the new value.
                continue 'entries;
            }
        }
        i += 1;
    }
    // Normalized: the ids the replay handed out (kept only if it still breaks, as it should: the
    // map then learns only identities).
    let normalized = replay(&config, &minimal, None)?.applied;
    let mut last = replay(&config, &normalized, None)?;
    let entries = if last.count(invariant) > 0 {
        normalized
    } else {
        last = replay(&config, &minimal, None)?;
        minimal
    };
    tests += 2;
    let detail = last.findings.first(invariant).map(|v| v.detail.clone()).unwrap_or_default();
    from.entries_before = before;
    from.tests = tests;
    let after = entries.len();
    let header = Header {
        kind: "regression".to_owned(),
        format: FORMAT,
        invariant: invariant.id().to_owned(),
        expect: super::Expect::Violated,
        detail,
        from,
        config,
    };
    Ok(Shrunk { regression: Regression { header, entries }, invariant, before, after, tests, exhausted })
}

/// Simpler versions of entry `i` of `entries`, simplest first: its time moved back to the entry
/// before it (a wait that did not matter), and each quantity or amount it names halved, or 1.
/// Each is a strictly smaller value, so repeating from an accepted one ends.
fn simpler(entries: &[Entry], i: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    let previous = if i == 0 { 0 } else { entries[i - 1].time_ns() };
    let entry = entries[i];
    match entry {
        Entry::Chain { time_ns, fact } => {
            if time_ns > previous {
                out.push(Entry::Chain { time_ns: previous, fact });
            }
        }
        Entry::Command { time_ns, origin, command, ack, paid } => {
            let with = |time_ns: u64, command: Command| Entry::Command { time_ns, origin, command, ack, paid };
            if time_ns > previous {
                out.push(with(previous, command));
            }
            for smaller in smaller_values(command) {
                out.push(with(time_ns, smaller));
            }
        }
    }
    out
}

/// `command` with one of its quantities or amounts made 1, or halved (each only when smaller).
fn smaller_values(command: Command) -> Vec<Command> {
    use crate::exchange::{FundsCommand as F, TradingCommand as T};
    use crate::units::Qty;
    /// 1, then half of `v`, each only when smaller than `v` (and distinct).
    fn smaller<T: Copy + PartialOrd + From<u8> + std::ops::Div<Output = T>>(v: T) -> Vec<T> {
        let (one, half) = (T::from(1), v / T::from(2));
        [(v > one).then_some(one), (half > one).then_some(half)].into_iter().flatten().collect()
    }
    match command {
        Command::Trading(T::Place(order)) => smaller(order.qty.0)
            .into_iter()
            .map(|q| Command::Trading(T::Place(crate::exchange::NewOrder { qty: Qty(q), ..order })))
            .collect(),
        Command::Trading(T::Replace { user, order, price, qty }) => {
            smaller(qty.0).into_iter().map(|q| Command::replace(user, order, price, Qty(q))).collect()
        }
        Command::Trading(T::RequestQuote { user, market, side, qty }) => {
            smaller(qty.0).into_iter().map(|q| Command::request_quote(user, market, side, Qty(q))).collect()
        }
        Command::Funds(F::Deposit { user, asset, amount }) => {
            smaller(amount).into_iter().map(|a| Command::deposit(user, asset, a)).collect()
        }
        Command::Funds(F::Withdraw { user, asset, amount, to }) => {
            smaller(amount).into_iter().map(|a| Command::Funds(F::Withdraw { user, asset, amount: a, to })).collect()
        }
        Command::Funds(F::Transfer { from, to, asset, amount }) => {
            smaller(amount).into_iter().map(|a| Command::transfer(from, to, asset, a)).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether replaying `entries` breaks `invariant`.
fn breaks(config: &ExchangeConfig, entries: &[Entry], invariant: Invariant) -> bool {
    !entries.is_empty() && super::breaks(config, entries, invariant).unwrap_or(false)
}

/// What an entry is grouped by when shrinking by account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// The account it acts for (set-up's sign-up and sign-in by the account the address names).
    Account(u32),
    /// The exchange's own systems, acting on a request rather than for an account.
    System,
    /// A chain's fact.
    Chain,
}

fn key(entry: &Entry) -> Key {
    match entry {
        Entry::Chain { .. } => Key::Chain,
        Entry::Command { command, .. } => match command {
            // The simulator gives account n the address Email(n) (`sim/people.rs`).
            Command::Identity(
                IdentityCommand::Register { email, .. }
                | IdentityCommand::Login { email, .. }
                | IdentityCommand::RequestReset { email },
            ) => Key::Account(email.0),
            c => c.user().map_or(Key::System, |u| Key::Account(u.0)),
        },
    }
}
