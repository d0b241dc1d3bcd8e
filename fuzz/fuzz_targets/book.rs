//! The `book` target: the matching engine against the simple model, and the `exsim book` format.
//! Thin glue: all the checking lives in `exsim::testkit::fuzz::book`, so the committed corpus
//! and regressions replay as stable tests (`sim/tests/fuzz_corpus.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exsim::testkit::fuzz::book(data));
