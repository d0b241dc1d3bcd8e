//! The `exchange` target: arbitrary command scripts through the whole exchange, every invariant
//! the auditor checks after every command, no fault on: nothing may be found. Thin glue: all the
//! checking lives in `exsim::script::fuzz` (scripts in `exsim::script`), so
//! the committed corpus and regressions replay as stable tests (`sim/tests/fuzz_corpus.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

// Each script copies the fixed set-up and frees it again: mimalloc (the `exsim` binary's
// allocator) makes that churn cheaper than the system allocator. Not instrumented (C code).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fuzz_target!(|data: &[u8]| exsim::script::fuzz(data));
