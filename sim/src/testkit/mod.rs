//! Test kit: the deliberately simple reference model of the engine, structured order flows,
//! random exchange commands, and the fuzz entry points — shared by the tests, the `fuzz/`
//! targets and the benches, so every
//! check that runs under libFuzzer also runs as a stable `cargo test`.

pub mod commands;
pub mod flow;
pub mod fuzz;
pub mod model;
