//! The simulator's contracts: determinism (same seed ⇒ same digest, whatever `--jobs` or
//! tracing), every modelled fault of SPEC §5 caught, a fault-free run quiet, crash recovery that
//! loses nothing acknowledged, and snapshots of the quickstart's summaries.

use exsim::audit::Invariant;
use exsim::fault::{Fault, FaultSet};
use exsim::scenario::{self, Scenario};
use exsim::sim::report::Report;
use exsim::sim::run::{run, RunResult};
use exsim::sim::sweep::sweep;

fn quickstart() -> Vec<Scenario> {
    scenario::parse(scenario::QUICKSTART, "quickstart", &[]).expect("the quickstart parses").runs
}

fn base() -> Scenario {
    quickstart().remove(0)
}

fn simulate(s: &Scenario) -> RunResult {
    run(s, None).expect("the quickstart's exchange configuration is valid")
}

fn with_seed(mut s: Scenario, seed: u64) -> Scenario {
    s.seed = seed;
    s
}

#[test]
fn the_same_seed_gives_the_same_digest_and_different_seeds_differ() {
    let a = simulate(&with_seed(base(), 11));
    let b = simulate(&with_seed(base(), 11));
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.events, b.events);
    assert!(a.events > 1_000, "the quickstart does real work: {} events", a.events);
    let digests: std::collections::BTreeSet<String> =
        (0..8).map(|seed| simulate(&with_seed(base(), seed)).digest).collect();
    assert_eq!(digests.len(), 8, "eight seeds, eight digests");
}

#[test]
fn a_sweep_gives_the_same_digests_with_one_job_and_with_two() {
    let runs = quickstart();
    let seeds: Vec<u64> = (100..112).collect();
    let digests = |jobs| -> Vec<(usize, u64, String)> {
        sweep(&runs, &seeds, jobs, |s| simulate(s).digest, || {})
            .unwrap()
            .into_iter()
            .map(|i| (i.run, i.seed, i.outcome.expect("no seed panics")))
            .collect()
    };
    let one = digests(1);
    assert_eq!(one.len(), seeds.len() * runs.len());
    assert_eq!(one, digests(2));
    // And each equals a lone run of the same seed.
    let (run_index, seed, digest) = &one[5];
    assert_eq!(&simulate(&with_seed(runs[*run_index].clone(), *seed)).digest, digest);
}

#[test]
fn tracing_changes_nothing_but_the_output() {
    let s = with_seed(base(), 3);
    let plain = simulate(&s);
    let mut trace = Vec::new();
    let traced = run(&s, Some(&mut trace)).unwrap();
    assert_eq!(plain.digest, traced.digest);
    let text = String::from_utf8(trace).unwrap();
    assert_eq!(text.lines().count() as u64, traced.events, "one line per event");
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first["seq"].is_u64() && first["time_ns"].is_u64() && first["kind"].is_string(), "{first}");
}

#[test]
fn without_faults_the_quickstart_is_quiet() {
    for seed in 0..24 {
        for s in quickstart() {
            let r = simulate(&with_seed(s, seed));
            assert_eq!(r.findings.total(), 0, "seed {seed}: {:?}", r.findings.violations().first());
            let report = Report::new(&with_seed(base(), seed), r, 0, String::new());
            assert!(report.met(), "{:?}", report.failures);
        }
    }
}

/// The first seed below `limit` whose run with `fault` breaks one of the fault's invariants.
fn caught_within(fault: Fault, limit: u64) -> Option<(u64, Invariant)> {
    (0..limit).find_map(|seed| {
        let mut s = with_seed(base(), seed);
        s.faults = FaultSet::NONE.with(fault);
        let r = simulate(&s);
        fault.caught_by().iter().copied().find(|i| r.findings.count(*i) > 0).map(|i| (seed, i))
    })
}

macro_rules! fault_tests {
    ($($name:ident: $fault:expr, $limit:expr;)*) => {$(
        #[test]
        fn $name() {
            let fault = $fault;
            let found = caught_within(fault, $limit);
            assert!(found.is_some(), "{} was not caught by {:?} within {} seeds", fault.name(), fault.caught_by(), $limit);
        }
    )*};
}

fault_tests! {
    quote_reprice_is_caught: Fault::QuoteReprice, 10;
    hold_double_release_is_caught: Fault::HoldDoubleRelease, 10;
    fee_rounding_mints_is_caught: Fault::FeeRoundingMints, 10;
    ioc_rests_is_caught: Fault::IocRests, 10;
    taker_price_is_caught: Fault::TakerPrice, 10;
    priority_lost_on_partial_is_caught: Fault::PriorityLostOnPartial, 10;
    ack_before_durable_is_caught: Fault::AckBeforeDurable, 20;
    // The quickstart's operator announces in batches of 10: under the fault each batch is in To:.
    bulk_mail_to_field_is_caught: Fault::BulkMailToField, 2;
    // The quickstart's withdrawers request more than they hold while a request waits for the
    // worker: the race overdraws.
    withdraw_check_race_is_caught: Fault::WithdrawCheckRace, 10;
}

/// The quickstart's mass mailer (an admin) announces to every account in batches of 10 each
/// second: with `bulk_mail_to_field` each batch's addresses are in `To:`, and every seed breaks
/// `no_pii_disclosure`; without it, no seed does.
#[test]
fn bulk_mail_to_field_is_caught_on_every_seed() {
    for seed in 0..50 {
        let mut s = with_seed(base(), seed);
        let off = simulate(&s);
        assert_eq!(off.findings.count(Invariant::NoPiiDisclosure), 0, "seed {seed} off");
        assert!(off.findings.exercised(Invariant::NoPiiDisclosure), "seed {seed}: the mailer sent nothing");
        s.faults = FaultSet::NONE.with(Fault::BulkMailToField);
        let on = simulate(&s);
        let first = on.findings.first(Invariant::NoPiiDisclosure).unwrap_or_else(|| panic!("seed {seed} on: quiet"));
        assert!(first.detail.contains("in To:"), "{}", first.detail);
        assert_eq!(on.findings.total(), on.findings.count(Invariant::NoPiiDisclosure), "seed {seed}: only PII");
    }
}

#[test]
fn every_modelled_fault_has_a_test_above() {
    let modelled: Vec<Fault> = Fault::ALL.into_iter().filter(|f| f.modelled()).collect();
    // 9 caught above on the quickstart; the other custody faults need their attackers and are
    // caught on their incident scenarios (`custody_faults.rs`, `custody_faults_policy.rs`), and
    // every custody fault through the bare exchange in `faults.rs`.
    assert_eq!(modelled.len(), 14, "a new modelled fault needs its own caught test: {modelled:?}");
}

#[test]
fn a_crash_loses_nothing_acknowledged_unless_acks_run_ahead_of_the_journal() {
    let mut s = with_seed(base(), 5);
    s.exchange.crash_mean_interval_ns = 0;
    s.exchange.crash_at_ns = (1..10).map(|i| i * 200_000_000 + 300_000).collect();
    let r = simulate(&s);
    assert!(r.counts.crashes >= 9, "{:?}", r.counts);
    assert!(r.counts.lost_entries > 0, "crashes hit unflushed commands: {:?}", r.counts);
    assert_eq!(r.findings.total(), 0, "{:?}", r.findings.violations().first());
    assert!(r.findings.exercised(Invariant::JournalComplete));

    s.faults = FaultSet::NONE.with(Fault::AckBeforeDurable);
    let r = simulate(&s);
    let first = r.findings.first(Invariant::JournalComplete).expect("an acknowledged command was lost");
    assert!(first.detail.contains("missing after crash recovery"), "{}", first.detail);
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn quickstart_summaries_match_their_snapshots() {
    let mut table = String::new();
    let mut json = String::new();
    for s in quickstart() {
        let r = simulate(&s);
        let report = Report::new(&s, r, 0, format!("exsim run quickstart --variant {} --seed {}", s.variant, s.seed));
        table.push_str(&report.to_table(&s));
        json.push_str(&serde_json::to_string_pretty(&report.to_json(&s)).unwrap());
        json.push('\n');
    }
    snapshot("quickstart_table", &table);
    snapshot("quickstart_json", &json);
}

#[test]
fn a_faulty_run_summary_matches_its_snapshot() {
    let mut s = base();
    s.faults = FaultSet::NONE.with(Fault::TakerPrice);
    let report =
        Report::new(&s, simulate(&s), 0, "exsim run quickstart --variant base --seed 7 --fault taker_price".into());
    assert!(!report.met());
    snapshot("quickstart_taker_price_table", &report.to_table(&s));
}

/// `scenarios/eth.toml`: ETH in wei with accounts of millions of ETH (issue 7, class 9). It loads,
/// runs with every modelled invariant held, and really moves amounts past 64 bits.
#[test]
fn an_18_decimal_asset_runs_at_real_scale() {
    let file = scenario::parse(include_str!("../../scenarios/eth.toml"), "eth.toml", &[]).expect("eth.toml parses");
    let eth = file.runs.into_iter().next().expect("one run");
    let wei = |s: &Scenario| s.agents.iter().flat_map(|g| &g.funding).map(|&(_, m)| m).max().unwrap();
    assert!(wei(&eth) >= 5_000_000 * 10i128.pow(18), "a maker holds five million ETH");
    let mut trace = Vec::new();
    let result = run(&eth, Some(&mut trace)).expect("valid exchange configuration");
    let report = Report::new(&eth, result.clone(), 0, String::new());
    assert!(report.met(), "{:?}", report.failures);
    for invariant in Invariant::ALL.into_iter().filter(|i| i.modelled()) {
        assert_eq!(result.findings.count(invariant), 0, "{invariant:?}");
        assert!(result.findings.exercised(invariant), "{invariant:?} was never exercised");
    }
    assert!(result.markets[0].fills > 1_000, "{} fills", result.markets[0].fills);
    assert!(result.markets[0].quotes_filled > 0);
    // At least one deposit or withdrawal of more than 2^64 wei was applied and accepted.
    let past_64_bits = String::from_utf8(trace).unwrap().lines().any(|line| {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let command = v["command"].as_str().unwrap_or("");
        let amount = command
            .split("amount: ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<i128>().ok())
            .unwrap_or(0);
        // A deposit credited once its chain confirmed it (`DepositSeen`), or a withdrawal
        // requested (held) or credited directly.
        (command.starts_with("Deposit") || command.starts_with("Withdraw"))
            && command.contains("AssetId(0)")
            && amount > i128::from(u64::MAX)
            && v["outcome"].as_str().is_some_and(|o| o.starts_with("Ok("))
    });
    assert!(past_64_bits, "no ETH deposit or withdrawal beyond 64 bits was applied");
}

/// Breach bounds are judged like invariants: the quickstart has no attacker, so nothing is stolen
/// or short and nothing is detected; a bound it cannot meet fails with a line naming the metric.
#[test]
fn breach_bounds_are_part_of_the_expectations() {
    let mut s = base();
    s.duration_ns = 200_000_000;
    let result = simulate(&s);
    let (btc, usd) = (exsim::units::AssetId(0), exsim::units::AssetId(1));
    assert_eq!((result.breach.stolen(btc), result.breach.shortfall(usd)), (0, 0));
    s.expect.stolen_at_most = vec![(btc, 0)];
    s.expect.shortfall_at_most = vec![(usd, 0)];
    assert!(Report::new(&s, result.clone(), 0, String::new()).met());
    s.expect.stolen_at_least = vec![(btc, 100_000_000)];
    s.expect.detected_within_ns = Some(1_000);
    let report = Report::new(&s, result, 0, String::new());
    assert_eq!(
        report.failures,
        [
            "breach: stolen was 0 BTC, expected at least 1 BTC".to_owned(),
            "breach: no attack happened, so none was detected".to_owned()
        ]
    );
}

/// The quickstart (crashes, a lossy network, every order type) with a tight circuit breaker: the
/// band halts the market again and again, fewer trades print, and every invariant still holds —
/// the breaker changes which orders reach the book, never how they settle.
#[test]
fn a_tight_circuit_breaker_halts_the_quickstart_and_every_invariant_holds() {
    let with = |sets: &[&str]| {
        let overrides: Vec<scenario::Override> = sets.iter().map(|s| s.parse().expect("an override")).collect();
        scenario::parse(scenario::QUICKSTART, "quickstart", &overrides).expect("parses").runs.remove(0)
    };
    let off = simulate(&base());
    let s = with(&["policy.circuit_breaker=\"0.05%\"", "policy.circuit_breaker_halt=\"50ms\""]);
    assert!(s.custody.trading.circuit_breaker.is_some());
    let on = simulate(&s);
    let (fills_on, fills_off) = (on.markets[0].fills, off.markets[0].fills);
    assert!(fills_on * 2 < fills_off, "{fills_on} fills with the breaker, {fills_off} without");
    let report = Report::new(&s, on, 0, String::new());
    assert!(report.met(), "{:?}", report.failures);
}
