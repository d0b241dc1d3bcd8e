//! The one small trait every checker implements, and [`Found`], where a checker puts what it saw.
//!
//! A checker owns the shadow model of one concern (the ledger's balances, the books, the holds,
//! the quotes, …), built only from [`Observation`]s — the command, its result, the engine events
//! and the journal entries it produced — and compares the exchange's state against that shadow,
//! never against a re-read of the field it checks. Checkers do not see each other: each can be
//! added, removed or rewritten alone, which is how custody, limits and liveness checkers join
//! (one file each, one line in the auditor's `checkers()`).
//!
//! Invariants kept here: a checker reports only the invariants it names in
//! [`Checker::invariants`] (the auditor asserts it whenever a checker reports), and its cost per
//! observation is proportional to what the command changed; full scans belong in
//! [`Checker::finish`].

use std::fmt;

use super::observation::{Inspect, Observation};
use crate::catalog::Invariant;
use crate::chain::ChainFact;

/// What checkers found in one observation (or at the end of a run), before the auditor stamps,
/// counts and (outside a recovery replay) keeps it.
#[derive(Clone, Debug, Default)]
pub struct Found {
    list: Vec<(Invariant, String)>,
    exercised: u32,
}

impl Found {
    /// A violation of `invariant`, with what was wrong. Takes the pair so call sites read as
    /// `found.push((Invariant::X, format!(..)))`.
    pub fn push(&mut self, (invariant, detail): (Invariant, String)) {
        self.list.push((invariant, detail));
    }

    /// Something happened that could have broken `invariant` (its coverage).
    pub fn exercise(&mut self, invariant: Invariant) {
        self.exercised |= 1 << invariant as u32;
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no violation is waiting (coverage bits aside).
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Empties the coverage bits (when there is no violation to take).
    pub(super) fn take_exercised(&mut self) -> u32 {
        std::mem::take(&mut self.exercised)
    }

    pub(super) fn since(&self, from: usize) -> impl Iterator<Item = Invariant> + '_ {
        self.list[from..].iter().map(|(i, _)| *i)
    }

    /// Empties it: the violations, and the coverage bits.
    pub(super) fn take(&mut self) -> (std::vec::Drain<'_, (Invariant, String)>, u32) {
        (self.list.drain(..), std::mem::take(&mut self.exercised))
    }
}

/// An independent check of some invariants, fed every observation in order.
pub trait Checker: fmt::Debug + Send {
    /// The invariants it checks (and the only ones it reports).
    fn invariants(&self) -> &'static [Invariant];

    /// Updates the shadow from one command and checks the exchange's state against it.
    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found);

    /// Full scans at the end of a run, each O(live state).
    fn finish(&mut self, _state: &dyn Inspect, _found: &mut Found) {}

    /// Updates the shadow from one thing that happened on a chain (custody's checkers), and
    /// checks what it can change. O(1) per fact.
    fn observe_chain(&mut self, _fact: &ChainFact, _found: &mut Found) {}

    /// After a healing phase (the kernel decides when): checks that everything that must reach a
    /// terminal state did (liveness).
    fn healed(&mut self, _found: &mut Found) {}

    /// How many records its shadow holds now (live state: resting orders, open quotes).
    fn retained(&self) -> usize {
        0
    }

    /// A copy, for the auditor's checkpoint.
    fn boxed_clone(&self) -> Box<dyn Checker>;
}
