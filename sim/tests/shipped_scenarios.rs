//! Every scenario file shipped under `scenarios/` parses and runs with its expectations met —
//! base and every variant — so an incident scenario's story (what breaks, what is stolen, when
//! it is detected) is checked on every change, not only when someone runs it.
//!
//! The quickstart and `eth.toml` are run with more detail in `simulate.rs`; they are included
//! here too, so that a new file is covered the moment it is added.

use std::fs;
use std::path::Path;

use exsim::scenario;
use exsim::sim::report::Report;
use exsim::sim::run::run;

#[test]
fn every_shipped_scenario_meets_its_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("the scenarios directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "found {files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(path).expect("readable");
        let file = scenario::parse(&source, &name, &[]).unwrap_or_else(|e| panic!("{e}"));
        for s in &file.runs {
            let result = run(s, None).unwrap_or_else(|e| panic!("{name} / {}: {e}", s.variant));
            let report = Report::new(s, result, 0, String::new());
            if !report.met() {
                failures.push(format!("{name} / {}: {:?}", s.variant, report.failures));
            }
        }
    }
    assert!(failures.is_empty(), "expectations not met:\n{}", failures.join("\n"));
}
