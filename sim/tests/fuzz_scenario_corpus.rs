//! Replays the committed inputs of the `scenario` fuzz target (swarm testing) on stable Rust:
//! every file of `fuzz/corpus/scenario/` and `fuzz/regressions/scenario/` through
//! `exsim::sim::swarm::fuzz_quickstart`, the function the target calls: the quickstart under the
//! options the input decodes to, no fault on, every invariant held.
//!
//! Guarantee: each committed input runs clean, and the replay cannot pass vacuously (a minimum
//! file count); a fault switched on is caught through the same options (the check is real).

use std::fs;
use std::path::{Path, PathBuf};

use exsim::sim::swarm::{fuzz_quickstart, SwarmOptions};

fn inputs(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(kind).join("scenario");
    let Ok(entries) = fs::read_dir(&dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("readable entry").path()).filter(|p| p.is_file()).collect();
    paths.sort();
    paths
}

#[test]
fn scenario_corpus_replays_clean() {
    let mut count = 0;
    for path in inputs("corpus").into_iter().chain(inputs("regressions")) {
        let data = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| fuzz_quickstart(&data));
        assert!(
            outcome.is_ok(),
            "{} fails; replay it with `cargo fuzz run scenario {}`",
            path.display(),
            path.display()
        );
        count += 1;
    }
    assert!(count >= 10, "only {count} inputs");
}

/// The options the corpus decodes to, with a fault on, are caught: the target's check is real.
#[test]
fn the_same_options_with_a_fault_on_are_caught() {
    use arbitrary::{Arbitrary, Unstructured};
    use exsim::fault::Fault;
    use exsim::scenario::{parse, Override, QUICKSTART};
    let base = parse(QUICKSTART, "quickstart", &[]).unwrap();
    let groups: Vec<(String, u32)> = base.runs[0].agents.iter().map(|g| (g.name.clone(), g.count)).collect();
    for path in inputs("corpus").into_iter().take(3) {
        let data = fs::read(&path).unwrap();
        let mut u = Unstructured::new(&data);
        let seed = u64::arbitrary(&mut u).unwrap();
        let options = SwarmOptions::arbitrary(&mut u).unwrap();
        let overrides: Vec<Override> = options.sets(&groups).iter().map(|s| s.parse().unwrap()).collect();
        let mut run = parse(QUICKSTART, "quickstart", &overrides).unwrap().runs.remove(0);
        run.seed = seed;
        run.faults.insert(Fault::IocRests);
        let r = exsim::sim::run::run(&run, None).unwrap();
        assert!(r.findings.total() > 0, "{}: ioc_rests not caught", path.display());
    }
}
