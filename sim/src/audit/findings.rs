//! What the auditor found over a run: a count per invariant, the first violation of each kept in
//! full, the first [`KEPT_MAX`] violations in order, and which invariants something in the run
//! could have broken (coverage). Findings survive a crash: the auditor rebuilt for recovery carries
//! them over.
//!
//! Invariant kept here: a count only grows, `first` is the earliest violation counted, and the
//! total is the sum of the counts.

use crate::catalog::Invariant;

/// When something happened: the simulator's event sequence number and time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub seq: u64,
    pub time_ns: u64,
}

/// A broken invariant, at the event that broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    /// The event's sequence number (the exchange's command number when used without a simulator).
    pub seq: u64,
    pub time_ns: u64,
    pub detail: String,
}

/// What the auditor found over a run: a count per invariant, the first violation of each, and
/// which invariants something in the run could have broken.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    counts: [u64; Invariant::ALL.len()],
    first: [Option<Violation>; Invariant::ALL.len()],
    kept: Vec<Violation>,
    exercised: u32,
    /// Σ `counts`, kept as they grow (read after every command).
    total: u64,
}

/// At most this many violations are kept in full; the rest are only counted.
pub const KEPT_MAX: usize = 1_000;

impl Findings {
    pub(super) fn add(&mut self, v: Violation) {
        let i = v.invariant as usize;
        self.counts[i] += 1;
        self.total += 1;
        if self.first[i].is_none() {
            self.first[i] = Some(v.clone());
        }
        if self.kept.len() < KEPT_MAX {
            self.kept.push(v);
        }
    }

    /// How many times `invariant` broke.
    pub fn count(&self, invariant: Invariant) -> u64 {
        self.counts[invariant as usize]
    }

    /// Its first violation.
    pub fn first(&self, invariant: Invariant) -> Option<&Violation> {
        self.first[invariant as usize].as_ref()
    }

    /// Whether anything in the run could have broken it.
    pub fn exercised(&self, invariant: Invariant) -> bool {
        self.exercised & (1 << invariant as u32) != 0
    }

    pub(super) fn exercise_bits(&mut self, bits: u32) {
        self.exercised |= bits;
    }

    /// The first [`KEPT_MAX`] violations, in order.
    pub fn violations(&self) -> &[Violation] {
        &self.kept
    }

    /// Total violations.
    pub fn total(&self) -> u64 {
        self.total
    }
}
