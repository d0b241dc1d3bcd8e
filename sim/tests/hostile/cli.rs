//! Hostile inputs: rows of this class (see `main.rs` for what every row checks).

#[allow(unused_imports)]
use super::*;
