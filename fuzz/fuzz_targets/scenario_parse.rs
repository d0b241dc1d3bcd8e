//! The `scenario_parse` target: `exsim::scenario::parse` on arbitrary text, must never panic.
//!
//! Thin glue. The input is split at its first NUL byte: before it, the scenario file (empty:
//! the embedded quickstart); after it, one `--set FIELD=VALUE` per line, so the override paths
//! and the validation behind a valid file are fuzzed too. Errors are the
//! expected outcome for most inputs; only a panic (or a hang) is a finding. The committed corpus
//! (`fuzz/corpus/scenario_parse/`) replays on stable in `sim/tests/scenario_parse.rs`.

#![no_main]

use exsim::scenario::{parse, Override};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (source, sets) = text.split_once('\0').unwrap_or((text, ""));
    let source = if source.is_empty() { exsim::scenario::QUICKSTART } else { source };
    let overrides: Vec<Override> = sets.lines().filter_map(|line| line.parse().ok()).collect();
    if let Ok(file) = parse(source, "fuzz", &overrides) {
        // A file that parses has a base run first and a name that matches it.
        assert!(!file.runs.is_empty() && file.runs[0].variant == "base" && file.runs[0].name == file.name);
    }
});
