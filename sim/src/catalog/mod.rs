//! The catalogues at the bottom of the crate: the invariants of SPEC §4 ([`Invariant`]) and the
//! faults of SPEC §5 ([`Fault`], [`FaultSet`]), as stable ids with their one-line descriptions.
//!
//! **Invariant kept here:** this module is a leaf. Its files use nothing else in the crate, so
//! every layer — the engine and the exchange carrying a [`FaultSet`], the auditor naming what it
//! checks, the scenario parser, the reports — can depend on it without depending on each other.
//! `sim/tests/layers.rs` fails if a `crate::` path appears here, or if any module cycle comes back.

mod fault;
mod invariant;

pub use fault::{Fault, FaultArea, FaultSet};
pub use invariant::Invariant;
