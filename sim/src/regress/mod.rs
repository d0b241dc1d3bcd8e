//! Regression files: a failure cut down to the commands (and chain facts) that still break one
//! invariant, replayable forever (`exsim shrink` writes them, `exsim replay` and `cargo test` run
//! them). A file is self-contained: its header carries the exchange's whole configuration (assets,
//! markets, policies, faults) besides where it was cut from, so it never depends on a scenario
//! file that may change later.
//!
//! Replaying ([`replay`]) applies each entry in order to a fresh [`Exchange`] with an [`Auditor`]
//! configured the same way, then runs the auditor's end-of-run scans and the engines' structural
//! check, exactly as a simulation ends (what needs the simulator — crashes, liveness after healing —
//! is not part of a regression). Ids the exchange hands out (accounts, sessions, keys, orders,
//! quotes, withdrawals, transfers, payments) are read through an [`IdMap`] learned from the answers
//! the file recorded: when an entry is removed, or a fixed exchange answers differently, a later
//! entry still names what it named when it was recorded.
//!
//! Invariants: replay never panics on a file that parses (every command is the exchange's own
//! vocabulary, refused or applied; a configuration the exchange cannot run is an error); the
//! outcome is a pure function of the file (no clock, no randomness); memory is bounded by
//! [`MAX_ENTRIES`] and the file size bound of [`file`].

pub mod file;
pub mod ids;
pub mod shrink;

use serde::{Deserialize, Serialize};

use crate::audit::{Auditor, Findings, Invariant, Stamp};
use crate::chain::ChainFact;
use crate::exchange::{Ack, Command, ConfigError, Exchange, ExchangeConfig, Origin, Payment, TxId};
use crate::sim::run::check_books;

pub use ids::IdMap;

/// The format version this exsim writes and reads.
pub const FORMAT: u32 = 1;

/// The most entries a regression file may hold.
pub const MAX_ENTRIES: usize = 1_000_000;

/// What a regression file expects when replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The invariant breaks: the bug is still there (exit 1). What `exsim shrink` writes.
    Violated,
    /// The invariant holds: the bug was fixed and the file guards the fix (exit 0).
    Held,
}

/// Where a regression was cut from: enough to find the original run again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The scenario as given (a path or an embedded name) and its name.
    pub source: String,
    pub scenario: String,
    pub variant: String,
    pub seed: u64,
    #[serde(default)]
    pub sets: Vec<String>,
    #[serde(default)]
    pub faults: Vec<String>,
    /// Entries the run's tape had, and how many replays the shrink spent.
    #[serde(default)]
    pub entries_before: usize,
    #[serde(default)]
    pub tests: usize,
}

/// The header line of a regression file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always `"regression"`.
    pub kind: String,
    /// [`FORMAT`].
    pub format: u32,
    /// The invariant the file is about, by its SPEC name.
    pub invariant: String,
    /// Whether replaying it must break the invariant or hold it.
    pub expect: Expect,
    /// The first violation's detail when the file was written (for the reader; not compared).
    #[serde(default)]
    pub detail: String,
    /// Where it was cut from.
    pub from: Provenance,
    /// The exchange it runs on.
    pub config: ExchangeConfig,
}

/// One step of a regression: a command the exchange applied, or a fact a chain reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Command {
        time_ns: u64,
        origin: Origin,
        command: Command,
        /// What the exchange answered when it was recorded (`None`: a refusal).
        ack: Option<Ack>,
        /// The payment it emitted when recorded (a withdrawal sent), with its transaction id.
        paid: Option<(TxId, Payment)>,
    },
    Chain {
        time_ns: u64,
        fact: ChainFact,
    },
}

impl Entry {
    /// When it happened.
    pub fn time_ns(&self) -> u64 {
        match *self {
            Entry::Command { time_ns, .. } | Entry::Chain { time_ns, .. } => time_ns,
        }
    }
}

/// A whole regression: its header and its entries.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    pub header: Header,
    pub entries: Vec<Entry>,
}

/// What a replay found.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// Everything the auditor found.
    pub findings: Findings,
    /// The entries as applied: ids read through the map (what a normalized file holds), and each
    /// command's answer as it is now (empty for [`breaks`], which needs only the verdict).
    pub applied: Vec<Entry>,
    /// The first entry (from 0) after which `watch` had been violated, if any was watched and
    /// broke before the end-of-run scans.
    pub first_break: Option<usize>,
}

impl Replayed {
    /// How many times `invariant` was violated.
    pub fn count(&self, invariant: Invariant) -> u64 {
        self.findings.count(invariant)
    }
}

/// Replays `entries` on a fresh exchange built from `config`, audited throughout; stops watching
/// `watch` once it broke (to say where). See the module docs.
pub fn replay(config: &ExchangeConfig, entries: &[Entry], watch: Option<Invariant>) -> Result<Replayed, ConfigError> {
    replay_until(config, entries, watch, false)
}

/// Whether replaying `entries` breaks `invariant`, stopping as soon as it does (a shrink's test).
pub fn breaks(config: &ExchangeConfig, entries: &[Entry], invariant: Invariant) -> Result<bool, ConfigError> {
    replay_until(config, entries, Some(invariant), true).map(|r| r.count(invariant) > 0)
}

fn replay_until(
    config: &ExchangeConfig,
    entries: &[Entry],
    watch: Option<Invariant>,
    stop_at_break: bool,
) -> Result<Replayed, ConfigError> {
    let mut exchange = Exchange::new(config)?;
    let mut auditor = Auditor::with_config(&exchange, config);
    let mut ids = IdMap::default();
    // What a normalized file holds; a shrink's test (`stop_at_break`) needs only the verdict.
    let mut applied_entries = Vec::with_capacity(if stop_at_break { 0 } else { entries.len() });
    let mut first_break = None;
    for (i, entry) in entries.iter().enumerate() {
        let at = Stamp { seq: i as u64 + 1, time_ns: entry.time_ns() };
        match *entry {
            Entry::Command { time_ns, origin, command, ack, paid } => {
                let (origin, command) = (ids.origin(origin), ids.command(command));
                let applied = exchange.apply_from(time_ns, &command, origin);
                auditor.observe_at(&command, &applied, at);
                let now_paid = ids.learn(ack, applied.result, paid, applied.intents);
                if !stop_at_break {
                    let ack = applied.result.ok();
                    applied_entries.push(Entry::Command { time_ns, origin, command, ack, paid: now_paid });
                }
            }
            Entry::Chain { time_ns, fact } => {
                let fact = ids.fact(fact);
                auditor.observe_chain(&fact, at);
                if !stop_at_break {
                    applied_entries.push(Entry::Chain { time_ns, fact });
                }
            }
        }
        if let (Some(w), None) = (watch, first_break) {
            if auditor.findings().count(w) > 0 {
                first_break = Some(i);
                if stop_at_break {
                    return Ok(Replayed {
                        findings: auditor.findings().clone(),
                        applied: applied_entries,
                        first_break,
                    });
                }
            }
        }
    }
    let end = Stamp { seq: entries.len() as u64 + 1, time_ns: entries.last().map_or(0, Entry::time_ns) };
    auditor.finish(&exchange, end);
    check_books(&exchange, config.faults, &mut auditor, end);
    Ok(Replayed { findings: auditor.findings().clone(), applied: applied_entries, first_break })
}

/// What replaying a regression file says against its expectation.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub invariant: Invariant,
    pub expect: Expect,
    /// How many times the invariant broke.
    pub violations: u64,
    /// The first violation's detail, if it broke.
    pub detail: Option<String>,
    /// Every invariant that broke, with its count (SPEC order).
    pub broken: Vec<(Invariant, u64)>,
    /// The entry (from 0) after which it had broken; `None` if it held, or broke only in the
    /// end-of-run scans.
    pub first_break: Option<usize>,
}

impl Verdict {
    /// Whether the file's expectation holds.
    pub fn met(&self) -> bool {
        (self.violations > 0) == (self.expect == Expect::Violated)
    }
}

/// Replays a parsed regression and judges it against its header.
pub fn judge(regression: &Regression) -> Result<Verdict, String> {
    let header = &regression.header;
    let invariant = Invariant::from_id(&header.invariant).ok_or_else(|| {
        let valid: Vec<&str> = Invariant::ALL.iter().map(|i| i.id()).collect();
        format!("header: field `invariant`: unknown invariant {:?}; valid are {}", header.invariant, valid.join(", "))
    })?;
    let replayed = replay(&header.config, &regression.entries, Some(invariant))
        .map_err(|e| format!("header: field `config`: the exchange cannot run it: {e}"))?;
    let broken = Invariant::ALL.iter().map(|&i| (i, replayed.count(i))).filter(|&(_, n)| n > 0).collect::<Vec<_>>();
    Ok(Verdict {
        invariant,
        expect: header.expect,
        violations: replayed.count(invariant),
        detail: replayed.findings.first(invariant).map(|v| v.detail.clone()),
        broken,
        first_break: replayed.first_break,
    })
}
