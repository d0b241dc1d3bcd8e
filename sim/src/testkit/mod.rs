//! Test kit: the deliberately simple reference model of the engine, structured order flows,
//! command scripts through the whole exchange (`script.rs`), and the fuzz entry points — shared by the tests, the `fuzz/` targets and the benches, so every
//! check that runs under libFuzzer also runs as a stable `cargo test`.

pub mod commands;
pub mod flow;
pub mod fuzz;
pub mod model;
pub mod script;
