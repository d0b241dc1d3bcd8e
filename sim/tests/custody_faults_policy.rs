//! The three policy-bypass custody faults of SPEC §5, each through the incident scenario that
//! replays it (INCIDENTS.md): `limits_in_hot_path` (`scenarios/bitfinex_2016.toml`),
//! `insider_balance_edit` (`scenarios/quadrigacx_2019.toml`) and `allow_negative`
//! (`scenarios/ftx_2022.toml`).
//!
//! For each: among the first seeds of the shipped scenario's base run with only that fault on,
//! one finds a violation of an invariant in [`Fault::caught_by`]; and the same seeds (at least
//! ten) with every fault off find no violation at all (the scenario's counterfactual: the correct
//! exchange holds).

use exsim::audit::Invariant;
use exsim::fault::{Fault, FaultSet};
use exsim::scenario::{self, Scenario};
use exsim::sim::run::{run, RunResult};

/// The base run of a shipped scenario file.
fn base(text: &str, file: &str) -> Scenario {
    let mut runs = scenario::parse(text, file, &[]).unwrap_or_else(|e| panic!("{file} parses: {e}")).runs;
    runs.remove(0)
}

fn simulate(s: &Scenario) -> RunResult {
    run(s, None).expect("the scenario's exchange configuration is valid")
}

/// `s` with `seed` and exactly `faults`.
fn with(s: &Scenario, seed: u64, faults: FaultSet) -> Scenario {
    let mut s = s.clone();
    s.seed = seed;
    s.faults = faults;
    s
}

/// The first seed below `limit` whose run of `s` with only `fault` on breaks one of the fault's
/// invariants; then every seed up to it (and at least the first ten), run with no fault, must find
/// nothing.
fn caught_and_quiet_without(s: &Scenario, fault: Fault, limit: u64) -> (u64, Invariant) {
    let found = (0..limit).find_map(|seed| {
        let r = simulate(&with(s, seed, FaultSet::NONE.with(fault)));
        fault.caught_by().iter().copied().find(|i| r.findings.count(*i) > 0).map(|i| (seed, i))
    });
    let (seed, invariant) = found.unwrap_or_else(|| {
        panic!("{} was not caught by {:?} within {limit} seeds of {}", fault.name(), fault.caught_by(), s.name)
    });
    for quiet in 0..=seed.max(9) {
        let r = simulate(&with(s, quiet, FaultSet::NONE));
        assert_eq!(
            r.findings.total(),
            0,
            "{} seed {quiet} without {}: {:?}",
            s.name,
            fault.name(),
            r.findings.violations().first()
        );
    }
    (seed, invariant)
}

#[test]
fn limits_in_hot_path_is_caught_in_bitfinex_2016() {
    let s = base(include_str!("../../scenarios/bitfinex_2016.toml"), "bitfinex_2016.toml");
    let (_, invariant) = caught_and_quiet_without(&s, Fault::LimitsInHotPath, 50);
    assert_eq!(invariant, Invariant::WithdrawalLimits);
}

#[test]
fn insider_balance_edit_is_caught_in_quadrigacx_2019() {
    let s = base(include_str!("../../scenarios/quadrigacx_2019.toml"), "quadrigacx_2019.toml");
    caught_and_quiet_without(&s, Fault::InsiderBalanceEdit, 50);
}

#[test]
fn allow_negative_is_caught_in_ftx_2022() {
    let s = base(include_str!("../../scenarios/ftx_2022.toml"), "ftx_2022.toml");
    caught_and_quiet_without(&s, Fault::AllowNegative, 50);
}
