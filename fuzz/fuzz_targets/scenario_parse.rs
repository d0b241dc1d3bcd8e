//! The `scenario_parse` target: `exsim::scenario::text` and `parse` on arbitrary bytes, must
//! never panic.
//!
//! Thin glue. The input is split at its first NUL byte: before it, the scenario file's bytes
//! (empty: the embedded quickstart), read as `exsim` reads a file (size bound, UTF-8); after it,
//! one `--set FIELD=VALUE` per line, so the override paths and the validation behind a valid file
//! are fuzzed too. Errors are the expected outcome for most inputs; a panic, a hang, or an error
//! message carrying a control character or longer than 4 KiB is a finding. The committed corpus
//! (`fuzz/corpus/scenario_parse/`) replays on stable in `sim/tests/scenario_parse.rs`.

#![no_main]

use exsim::scenario::{parse, text, Override, ScenarioError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (file, sets) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let source = if file.is_empty() {
        exsim::scenario::QUICKSTART.to_owned()
    } else {
        match text(file.to_vec(), "fuzz") {
            Ok(source) => source,
            Err(e) => return shown_safely(&e),
        }
    };
    let Ok(sets) = std::str::from_utf8(sets) else { return };
    let overrides: Vec<Override> = sets.lines().filter_map(|line| line.parse().ok()).collect();
    match parse(&source, "fuzz", &overrides) {
        // A file that parses has a base run first and a name that matches it.
        Ok(file) => assert!(!file.runs.is_empty() && file.runs[0].variant == "base" && file.runs[0].name == file.name),
        Err(e) => shown_safely(&e),
    }
});

/// An error as the terminal would get it: no control character, at most 4 KiB.
fn shown_safely(e: &ScenarioError) {
    let message = e.to_string();
    assert!(!message.chars().any(char::is_control), "control character in {message:?}");
    assert!(message.len() <= 4096, "{} bytes: {message:?}", message.len());
}
