//! SPEC §5's contract for the custody faults, through the simulator and the incident scenarios
//! that ship with exsim: a short sweep of a scenario's base run with the fault switched on finds a
//! violation of one of `fault.caught_by()`, and the same runs with every fault off are quiet.
//!
//! Shared helpers at the top; one test per fault below (append new faults the same way).

use exsim::fault::{Fault, FaultSet};
use exsim::scenario::{self, Scenario};
use exsim::sim::run::{run, RunResult};

/// The base run of a shipped scenario file.
fn base_run(source: &str, file: &str) -> Scenario {
    let mut runs = scenario::parse(source, file, &[]).expect("a shipped scenario parses").runs;
    runs.remove(0)
}

/// `s` with `seed` and `faults`, run.
fn run_with(s: &Scenario, seed: u64, faults: FaultSet) -> RunResult {
    let mut s = s.clone();
    s.seed = seed;
    s.faults = faults;
    run(&s, None).expect("a shipped scenario's exchange configuration is valid")
}

/// The first seed below `seeds` at which the base run of `source` with only `fault` switched on
/// breaks one of the invariants the fault is caught by.
fn caught_within(source: &str, file: &str, fault: Fault, seeds: u64) -> Option<u64> {
    let s = base_run(source, file);
    (0..seeds).find(|&seed| {
        let r = run_with(&s, seed, FaultSet::NONE.with(fault));
        fault.caught_by().iter().any(|&i| r.findings.count(i) > 0)
    })
}

/// Asserts that `fault` is caught within `seeds` seeds of `source`'s base run, and that the
/// same seeds, up to the catching one, with every fault off break nothing at all.
fn assert_caught_and_quiet_without(source: &str, file: &str, fault: Fault, seeds: u64) {
    let Some(found) = caught_within(source, file, fault, seeds) else {
        panic!("{} was not caught by {:?} within {seeds} seeds of {file}", fault.name(), fault.caught_by());
    };
    let s = base_run(source, file);
    for seed in 0..=found {
        let r = run_with(&s, seed, FaultSet::NONE);
        assert_eq!(r.findings.total(), 0, "{file} seed {seed} without faults: {:?}", r.findings.violations().first());
    }
}

#[test]
fn txid_reconcile_is_caught_in_mtgox_2014() {
    let source = include_str!("../../scenarios/mtgox_2014.toml");
    assert_caught_and_quiet_without(source, "mtgox_2014.toml", Fault::TxidReconcile, 50);
}

#[test]
fn withdraw_check_race_is_caught_in_poloniex_2014() {
    let source = include_str!("../../scenarios/poloniex_2014.toml");
    assert_caught_and_quiet_without(source, "poloniex_2014.toml", Fault::WithdrawCheckRace, 50);
}

#[test]
fn transfer_check_race_is_caught_in_flexcoin_2014() {
    let source = include_str!("../../scenarios/flexcoin_2014.toml");
    assert_caught_and_quiet_without(source, "flexcoin_2014.toml", Fault::TransferCheckRace, 50);
}
