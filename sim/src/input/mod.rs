//! Located input values: the toolkit scenario files are parsed with (SPEC §7).
//!
//! A TOML document becomes a tree whose every value remembers its place (`tree`, bounded in
//! nesting and tokens by `nesting` before it is built); typed readers turn nodes into integer
//! units with errors that name `FILE:LINE:COLUMN: field` (`values`, `context`, `error`); every
//! bound a file is held to is in [`limits`]; [`KindFields`] is the reader an agent kind parses
//! its own `[agents.NAME]` fields with.
//!
//! This module sits below both the scenario parser ([`crate::scenario`]) and the agent kinds
//! ([`crate::agents`]), so each kind can define its own fields without the parser and the agents
//! depending on each other. Invariants: no reader panics on any input; every number it returns is
//! within [`limits`]; every error is located.

pub(crate) mod context;
pub(crate) mod error;
pub(crate) mod kind_fields;
pub mod limits;
pub(crate) mod nesting;
pub(crate) mod tree;
pub(crate) mod values;

pub use error::{Override, ScenarioError};
pub use kind_fields::KindFields;
pub use values::format_ns;
