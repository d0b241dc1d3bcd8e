//! Replays the committed fuzz inputs of the `book` and `exchange` targets on stable Rust: every
//! file of `fuzz/corpus/<target>/` (seeds) and `fuzz/regressions/<target>/` (minimized findings)
//! through `exsim::testkit::fuzz::<target>`, the function the target calls.
//!
//! Guarantee: each committed input runs clean, each regression also has a named test below
//! headed by its root cause, and the replay cannot pass vacuously (a minimum file count).

use std::fs;
use std::path::{Path, PathBuf};

use exsim::testkit::fuzz;

fn dir(name: &str) -> PathBuf {
    target_dir(name, "book")
}

fn target_dir(name: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(name).join(target)
}

/// Runs every file in `dir` (if it exists) through the `book` target; returns how many ran.
fn replay(dir: &Path) -> usize {
    replay_with(dir, "book", fuzz::book)
}

/// Runs every file in `dir` (if it exists) through `run`, the function of `target`; returns how
/// many ran.
fn replay_with(dir: &Path, target: &str, run: fn(&[u8])) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("readable directory entry").path()).collect();
    paths.sort();
    let mut count = 0;
    for path in paths.iter().filter(|p| p.is_file()) {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(
            outcome.is_ok(),
            "fuzz input {} fails; replay it with `cargo fuzz run {target} --sanitizer none {}`",
            path.display(),
            path.display()
        );
        count += 1;
    }
    count
}

#[test]
fn seed_corpus_replays_clean() {
    let count = replay(&dir("corpus"));
    assert!(count >= 40, "only {count} seed inputs in {}", dir("corpus").display());
}

#[test]
fn regressions_replay_clean() {
    let count = replay(&dir("regressions"));
    assert!(count >= 1, "no regression inputs in {}", dir("regressions").display());
}

fn regression(name: &str) {
    let path = dir("regressions").join(name);
    let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fuzz::book(&data);
}

/// Root cause: `Book::take` asserted (debug builds) that a maker outlives a fill only when the
/// taker is done; a market order whose budget runs out part way through a maker breaks that.
#[test]
fn budget_runs_out_inside_a_maker() {
    regression("flow-budget-runs-out-inside-a-maker");
}

/// The `exchange` target's seeds (written by `fuzz_exchange.rs`'s `write_seed_corpus`) and any
/// regressions run clean.
#[test]
fn exchange_corpus_and_regressions_replay_clean() {
    let dir = target_dir("corpus", "exchange");
    let count = replay_with(&dir, "exchange", exsim::script::fuzz);
    assert!(count >= 8, "only {count} seed inputs in {}", dir.display());
    replay_with(&target_dir("regressions", "exchange"), "exchange", exsim::script::fuzz);
}

/// Root cause: `Code::valid` added 1 to the window a client's code names, which overflowed for a
/// forged code of the last window (`u64::MAX`): a request could panic the exchange. Found by the
/// `exchange` target once scripts could forge a code (`CodeUse::Forged`).
#[test]
fn a_forged_code_of_the_last_window_is_refused() {
    let path = target_dir("regressions", "exchange").join("forged-code-of-the-last-window");
    let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let script = exsim::script::Script::decode(&data).expect("a script");
    assert!(format!("{script:?}").contains("forged-code"), "{script:?}");
    exsim::script::fuzz(&data);
}
