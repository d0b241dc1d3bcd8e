//! The auditor: an independent check of every invariant after every command.
//!
//! It is a composer of **checkers** ([`Checker`]), one concern per file, each keeping its own
//! shadow model built only from what each command did ([`Observation`]) and comparing the
//! exchange against it, never trusting the field it checks:
//! - `ledger.rs` — balances summed from the journal's entries: `ledger_balanced`,
//!   `no_negative_balance`, `journal_complete`;
//! - `conservation.rs` — internal balances against deposits less withdrawals counted from
//!   acknowledged *commands*: `conservation`;
//! - `book.rs` (around `shadow_book.rs`) — a book per market rebuilt from the engine's events:
//!   `book_uncrossed`, `price_time_priority`, `limit_respected`, `tif_respected`;
//! - `holds.rs` — resting orders followed from the events, reservations from the market's
//!   decimals: `holds_match_open_orders`;
//! - `quotes.rs` — the quotes it saw issued: `quote_honored`;
//! - `paid_once.rs` — the exchange's payments per withdrawal, and which the chain confirmed:
//!   `withdrawal_paid_once`;
//! - `limits.rs` — the withdrawal requests in each window against the custody policy:
//!   `withdrawal_limits`;
//! - `solvency.rs` — custody on chain against customer liabilities: `solvency`;
//! - `settlement.rs` — requests still open once healing is over: `eventual_settlement`;
//! - `pii.rs` — every message's recipients against who owns each address and who is staff:
//!   `no_pii_disclosure`;
//! - `authorized.rs` — sessions, API keys and reset tokens shadowed from the identity commands
//!   and mails it saw, and every client's withdrawal, transfer and claim against them and the
//!   identity policy: `withdrawal_authorized`.
//!
//! `requests.rs` is the record of withdrawals and transfers each custody checker keeps a copy
//! of (`holds.rs` and `conservation.rs` use it too), `id_set.rs` a compact set of ids.
//!
//! **Entry points** (for the kernel): [`Auditor::with_config`] builds the auditor with the
//! policies of the exchange's configuration (custody's limits, identity's second factors and
//! keys); [`Auditor::observe_chain`] shows it each
//! [`ChainFact`] the chains report, in order with the commands; [`Auditor::check_settled`] runs
//! the liveness check once a healing phase is over.
//!
//! The auditor builds each [`Observation`] in one place, hands it to every checker in turn, and
//! keeps what they found ([`Findings`]: a count per invariant, the first violation in full, and
//! coverage). Findings survive a crash: [`Auditor::resume_with`] rebuilds from a checkpointed copy
//! of the shadows, muted while the recovery replays into it.
//!
//! Cost: each check after a command is proportional to what the command changed (the accounts its
//! journal entries touched, the orders its events touched). [`Auditor::finish`] adds full scans at
//! the end of a run, each O(live state), never a replay from genesis: every balance against the
//! shadow balances and against the journal's own replay (its last checkpoint's balances plus the
//! entries since), every hold against every resting order, every book against its shadow.
//!
//! Memory: the shadows hold live state only — balances, reservations, resting orders, and the
//! quotes issued that can still be accepted (a quote is forgotten once its expiry has passed; one
//! filled after that is reported under `quote_honored`).
//!
//! Decimal arithmetic is checked (`checked_mul`/`checked_div`/`checked_add`): every amount is
//! within ±`AMOUNT_MAX` and every price within its market's highest, so for a sound exchange each
//! product fits a `Decimal` exactly; a value that does not (possible only after a fault minted
//! money) is reported as a violation of the invariant being checked, never a panic.

mod authorized;
mod book;
mod checker;
mod conservation;
mod findings;
mod holds;
mod id_set;
mod ledger;
mod limits;
mod observation;
mod paid_once;
mod pii;
mod quotes;
mod requests;
mod settlement;
mod shadow_book;
mod solvency;

#[cfg(test)]
mod custody_tests;

pub use crate::catalog::Invariant;
pub use checker::{Checker, Found};
pub use findings::{Findings, Stamp, Violation, KEPT_MAX};
pub use observation::{Inspect, Observation};

use crate::chain::ChainFact;
use crate::engine::MatchingEngine;
use crate::exchange::{Applied, Command, CustodyPolicy, Exchange, ExchangeConfig, IdentityPolicy};

/// Every checker, for an exchange in `state` (its assets and markets) under the custody `policy`
/// and the `identity` policy.
fn checkers(state: &dyn Inspect, policy: &CustodyPolicy, identity: &IdentityPolicy) -> Vec<Box<dyn Checker>> {
    let assets = state.assets().len();
    vec![
        Box::new(ledger::LedgerChecker::default()),
        Box::new(conservation::Conservation::new(assets)),
        Box::new(book::BookChecker::new(state.market_count())),
        Box::new(holds::Holds::new(state)),
        Box::new(quotes::Quotes::default()),
        Box::new(paid_once::PaidOnce::default()),
        Box::new(limits::WithdrawalLimits::new(policy, assets)),
        Box::new(solvency::Solvency::new(assets)),
        Box::new(settlement::Settlement::new(policy, assets)),
        Box::new(pii::Pii::default()),
        Box::new(authorized::Authorized::new(identity)),
    ]
}

/// The auditor. Feed it every command and outcome in order with [`Auditor::observe`].
#[derive(Debug)]
pub struct Auditor {
    checkers: Vec<Box<dyn Checker>>,
    /// How many journal entries the checkers have been shown.
    journal_seen: usize,
    findings: Findings,
    muted: bool,
    // Scratch, reused between commands.
    found: Found,
}

impl Clone for Auditor {
    fn clone(&self) -> Auditor {
        Auditor {
            checkers: self.checkers.iter().map(|c| c.boxed_clone()).collect(),
            journal_seen: self.journal_seen,
            findings: self.findings.clone(),
            muted: self.muted,
            found: Found::default(),
        }
    }
}

impl Auditor {
    /// An auditor for a fresh exchange with the default policies (custody: no limits; identity:
    /// the safe defaults): for exchanges without custody (tests, `exsim book`). See
    /// [`Auditor::with_config`].
    pub fn new<E: MatchingEngine>(exchange: &Exchange<E>) -> Auditor {
        Auditor::with_policies(exchange, &CustodyPolicy::default(), &IdentityPolicy::default())
    }

    /// An auditor for a fresh exchange built from `config`: `withdrawal_limits` holds it to
    /// `config.custody`'s limits, `withdrawal_authorized` to `config.identity`. The policies come
    /// from the configuration, never from the exchange's own copy of them.
    pub fn with_config<E: MatchingEngine>(exchange: &Exchange<E>, config: &ExchangeConfig) -> Auditor {
        Auditor::with_policies(exchange, &config.custody, &config.identity)
    }

    /// [`Auditor::with_config`] with each policy given on its own.
    pub fn with_policies<E: MatchingEngine>(
        exchange: &Exchange<E>,
        custody: &CustodyPolicy,
        identity: &IdentityPolicy,
    ) -> Auditor {
        assert_eq!(exchange.ledger().journal().len(), 0, "audit from genesis");
        Auditor::of_checkers(checkers(exchange, custody, identity))
    }

    fn of_checkers(checkers: Vec<Box<dyn Checker>>) -> Auditor {
        Auditor { checkers, journal_seen: 0, findings: Findings::default(), muted: false, found: Found::default() }
    }

    /// The invariants its checkers check, in SPEC order.
    pub fn checked(&self) -> Vec<Invariant> {
        let mut all: Vec<Invariant> = self.checkers.iter().flat_map(|c| c.invariants().iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// A copy of this (checkpointed) shadow that carries `findings`, the run's findings so far,
    /// muted until [`Auditor::unmute`]: recovery replays the commands after the checkpoint into it.
    pub fn resume_with(&self, findings: &Findings) -> Auditor {
        let mut a = self.clone();
        a.findings = findings.clone();
        a.muted = true;
        a
    }

    /// Ends a recovery replay: from now on violations count again.
    pub fn unmute(&mut self) {
        self.muted = false;
    }

    /// Every violation kept so far (the first [`KEPT_MAX`]).
    pub fn violations(&self) -> &[Violation] {
        self.findings.violations()
    }

    /// Counts, first violations and coverage so far.
    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    /// How many records its checkers hold: issued quotes still open and resting orders in the
    /// shadows (the book's and the holds'). Live state, not history. For tests and measurements.
    pub fn retained(&self) -> usize {
        self.checkers.iter().map(|c| c.retained()).sum()
    }

    /// Records a violation found outside the per-command checks (crash recovery).
    pub fn report(&mut self, invariant: Invariant, at: Stamp, detail: String) {
        if !self.muted {
            self.findings.add(Violation { invariant, seq: at.seq, time_ns: at.time_ns, detail });
        }
    }

    /// Marks an invariant as exercised by something outside the per-command checks.
    pub fn exercise(&mut self, invariant: Invariant) {
        self.findings.exercise_bits(1 << invariant as u32);
    }

    /// Checks `command` as the exchange applied it (its result and effects, [`Applied`]), stamped
    /// with the exchange's own command number and time. Returns how many new violations were found.
    pub fn observe<E: MatchingEngine>(&mut self, command: &Command, applied: &Applied<'_, E>) -> usize {
        self.observe_at(command, applied, Stamp { seq: applied.seq(), time_ns: applied.now_ns() })
    }

    /// [`Auditor::observe`] with the simulator's stamp.
    pub fn observe_at<E: MatchingEngine>(&mut self, command: &Command, applied: &Applied<'_, E>, at: Stamp) -> usize {
        let mut obs = Observation::of(command, applied);
        // The entries the command says it appended must be exactly the ones the journal gained
        // since the auditor last looked: none appended outside a command, none claimed twice. The
        // checkers are shown what the journal really gained, so nothing escapes them either way.
        let journal_len = applied.exchange().ledger().journal().len();
        if obs.entries != (self.journal_seen..journal_len) {
            self.found.push((
                Invariant::JournalComplete,
                format!(
                    "command {command:?} reports journal entries {:?}, but the journal went from {} to {journal_len}",
                    obs.entries, self.journal_seen
                ),
            ));
            obs.entries = self.journal_seen..journal_len;
        }
        self.check(&obs, at)
    }

    /// Shows `obs` to every checker and keeps what they found. Returns how many new violations
    /// were found. `obs.entries` must start where the previous observation's ended (asserted),
    /// so no entry is missed or shown twice.
    pub fn check(&mut self, obs: &Observation<'_>, at: Stamp) -> usize {
        assert_eq!(obs.entries.start, self.journal_seen, "observations must cover the journal in order");
        self.journal_seen = obs.entries.end;
        for checker in &mut self.checkers {
            let from = self.found.len();
            checker.observe(obs, &mut self.found);
            // (Only when it found something: this runs for every checker after every command.)
            if self.found.len() > from {
                assert!(
                    self.found.since(from).all(|i| checker.invariants().contains(&i)),
                    "{checker:?} reported an invariant it does not name"
                );
            }
        }
        self.settle(at)
    }

    /// Shows one fact a chain reported to every checker (custody's use them: which payments
    /// confirmed, the reserves on chain), stamped `at`. Call it for every fact, in the order the
    /// chain reported them, interleaved with the commands in the order they happened. Returns how
    /// many new violations were found.
    ///
    /// Crash recovery: chain facts are the world's and survive a crash, but an auditor resumed
    /// from a checkpoint ([`Auditor::resume_with`]) has not seen those reported since. Show it
    /// them again after the recovery replay and before [`Auditor::unmute`] (muted: they were
    /// checked when they happened); the custody shadows converge to the same state whatever the
    /// order of a fact and the commands around it.
    pub fn observe_chain(&mut self, fact: &ChainFact, at: Stamp) -> usize {
        for checker in &mut self.checkers {
            let from = self.found.len();
            checker.observe_chain(fact, &mut self.found);
            assert!(
                self.found.since(from).all(|i| checker.invariants().contains(&i)),
                "{checker:?} reported an invariant it does not name"
            );
        }
        self.settle(at)
    }

    /// Liveness, once a healing phase is over (the kernel decides when; faults have stopped and
    /// the workers had time to finish): every withdrawal requested is settled or refunded and
    /// every transfer credited (`eventual_settlement`; the first one open is reported; not
    /// exercised when none was requested). Returns how many new violations were found.
    pub fn check_settled(&mut self, at: Stamp) -> usize {
        for checker in &mut self.checkers {
            checker.healed(&mut self.found);
        }
        self.settle(at)
    }

    /// Full scans at the end of a run, each O(live state): every balance against the shadow
    /// balances and against the journal's replay from its last checkpoint, every hold against the
    /// engines' resting orders (decimal arithmetic), every engine against its shadow.
    /// Returns how many new violations were found.
    pub fn finish<E: MatchingEngine>(&mut self, x: &Exchange<E>, at: Stamp) -> usize {
        self.finish_state(x, at)
    }

    /// [`Auditor::finish`] on any state.
    fn finish_state(&mut self, state: &dyn Inspect, at: Stamp) -> usize {
        for checker in &mut self.checkers {
            checker.finish(state, &mut self.found);
        }
        self.settle(at)
    }

    /// Moves what the checkers found into the findings, stamped `at` (violations only when not
    /// muted; coverage always). Returns how many violations were counted.
    fn settle(&mut self, at: Stamp) -> usize {
        if self.found.is_empty() {
            // The common case, after every command: coverage only.
            let exercised = self.found.take_exercised();
            self.findings.exercise_bits(exercised);
            return 0;
        }
        let mut found = std::mem::take(&mut self.found);
        let before = self.findings.total();
        let (list, exercised) = found.take();
        self.findings.exercise_bits(exercised);
        for (invariant, detail) in list {
            self.report(invariant, at, detail);
        }
        self.found = found;
        (self.findings.total() - before) as usize
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::fault::{Fault, FaultSet};
    use crate::testkit::commands::{config, decode, USERS};

    /// Every invariant the catalogue says is audited has a checker, and no checker claims one the
    /// catalogue says is not: `Invariant::audited` and the checkers cannot drift apart.
    #[test]
    fn the_checkers_cover_exactly_the_audited_invariants() {
        let x = Exchange::new(&config(FaultSet::NONE)).expect("the default exchange");
        let checked = Auditor::new(&x).checked();
        let audited: Vec<Invariant> = Invariant::ALL.into_iter().filter(|i| i.audited()).collect();
        assert_eq!(checked, audited);
    }

    /// An auditor with only `checker`.
    fn alone(checker: &dyn Checker) -> Auditor {
        Auditor {
            checkers: vec![checker.boxed_clone()],
            journal_seen: 0,
            findings: Findings::default(),
            muted: false,
            found: Found::default(),
        }
    }

    /// The checkers are independent: each one alone reports exactly what it reports inside the
    /// full auditor, over seeded random flows with each exchange fault on (so there is something
    /// to report) and off.
    #[test]
    fn each_checker_alone_reports_what_it_reports_in_the_auditor() {
        let faults = [
            None,
            Some(Fault::QuoteReprice),
            Some(Fault::HoldDoubleRelease),
            Some(Fault::FeeRoundingMints),
            Some(Fault::IocRests),
            Some(Fault::TakerPrice),
            Some(Fault::PriorityLostOnPartial),
        ];
        let mut reported = std::collections::BTreeSet::new();
        for fault in faults {
            let set = fault.map_or(FaultSet::NONE, |f| FaultSet::NONE.with(f));
            for seed in 0..100u64 {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut x = Exchange::new(&config(set)).expect("the test exchange");
                let mut full = Auditor::new(&x);
                let mut solos: Vec<Auditor> = full.checkers.iter().map(|c| alone(c.as_ref())).collect();
                let (mut now, mut next_order, mut next_quote) = (0u64, 1u64, 1u64);
                for i in 1..USERS + 160 {
                    // Open the customers' accounts first, then random commands.
                    let command = if i < USERS {
                        Command::open_account()
                    } else {
                        decode(rng.gen(), rng.gen(), rng.gen(), rng.gen(), next_order, next_quote)
                    };
                    now += 7;
                    let applied = x.apply(now, &command);
                    match applied.result {
                        Ok(crate::exchange::Ack::Order { id, .. }) => next_order = id.0 + 1,
                        Ok(crate::exchange::Ack::Quote(q)) => next_quote = q.id.0 + 1,
                        _ => {}
                    }
                    full.observe(&command, &applied);
                    for solo in &mut solos {
                        solo.observe(&command, &applied);
                    }
                    if !full.violations().is_empty() {
                        break;
                    }
                }
                let end = Stamp { seq: x.seq(), time_ns: now };
                full.finish(&x, end);
                for solo in &mut solos {
                    solo.finish(&x, end);
                    let mine = solo.checked();
                    let want: Vec<&Violation> =
                        full.violations().iter().filter(|v| mine.contains(&v.invariant)).collect();
                    let got: Vec<&Violation> = solo.violations().iter().collect();
                    assert_eq!(got, want, "{fault:?} seed {seed}: {:?} alone", solo.checkers[0]);
                    for i in &mine {
                        assert_eq!(solo.findings().exercised(*i), full.findings().exercised(*i), "{i:?}");
                    }
                }
                reported.extend(full.violations().iter().map(|v| v.invariant));
            }
        }
        // Not vacuous: the faults made several checkers report.
        assert!(reported.len() >= 4, "only {reported:?} were ever reported");
    }
}
