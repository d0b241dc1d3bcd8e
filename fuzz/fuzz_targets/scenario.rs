//! The `scenario` target (swarm testing): fuzzer bytes decode to a seed and a run's options
//! (`exsim::sim::swarm::SwarmOptions`: length, network loss, duplication and reordering, crash
//! rate, identity and trading policies, how many agents of each group); the quickstart runs under
//! them with no fault on. A panic or any invariant violated is a finding.
//!
//! Thin glue over `exsim::sim::swarm::fuzz_quickstart`, which `sim/tests/fuzz_corpus.rs` also
//! runs on every committed input of `fuzz/corpus/scenario/` and `fuzz/regressions/scenario/`. The
//! same options generator backs `exsim sweep --swarm`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exsim::sim::swarm::fuzz_quickstart(data));
