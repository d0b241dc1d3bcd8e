//! Scenario files (SPEC §7): TOML in, a validated [`Scenario`] per run out.

mod model;

pub use model::*;
