//! The `exchange` fuzz target's property, on stable: random [`Script`]s (decoded by `arbitrary`
//! from seeded ChaCha bytes, as libFuzzer's inputs are) through the whole exchange under the
//! auditor.
//!
//! - With no fault on, no script finds anything (the target's property).
//! - The target is not vacuous: with a fault on, some of the same scripts find a violation of an
//!   invariant the fault is caught by, for faults of every area the scripts reach (engine,
//!   ledger, custody, mail); and the scripts exercise fills, logins, payments and mail.
//! - A script's `Debug` reads as a script, one step per line.
//! - The committed seed corpus (`fuzz/corpus/exchange/`) reaches each thing a script can do that
//!   matters (a fill, an accepted quote, a paid withdrawal, a processed transfer, a login, a new
//!   API key, a completed reset, an export, an announcement, a credited deposit seen, a cancel, a
//!   replace); `write_seed_corpus` (ignored; run it by name) rewrites it from seeded bytes.

use exsim::audit::Invariant;
use exsim::exchange::Ack;
use exsim::fault::{Fault, FaultSet};
use exsim::script::{run_script, Account, Act, Run, Script, SystemOp, Trade};
use rand::{RngCore, SeedableRng};

/// The script decoded from `len` bytes of seed `seed`.
fn script(seed: u64, len: usize) -> Script {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    Script::decode(&bytes).expect("any bytes decode")
}

const CASES: u64 = 300;
const BYTES: usize = 1_200;
/// How many scripts may be tried to find each fault.
const FAULT_CASES: u64 = 2_000;

fn caught(fault: Fault, run: &Run) -> bool {
    fault.caught_by().iter().any(|&i| run.findings.count(i) > 0)
}

#[test]
fn no_fault_no_finding_and_the_scripts_exercise_the_exchange() {
    let (mut fills, mut logins, mut payments, mut mails, mut accepted, mut rejected) = (0, 0, 0, 0, 0, 0);
    for seed in 0..CASES {
        let s = script(seed, BYTES);
        let run = run_script(&s, FaultSet::NONE);
        assert!(run.first_violation().is_none(), "seed {seed}: {:?}\n{s:?}", run.first_violation());
        fills += run.fills;
        logins += run.logins;
        payments += run.payments;
        mails += run.mails;
        accepted += run.accepted;
        rejected += run.rejected;
    }
    println!(
        "{fills} fills, {logins} logins, {payments} payments, {mails} mails, {accepted} accepted, {rejected} rejected"
    );
    assert!(fills > 100 && logins > 20 && payments > 10 && mails > 20, "{fills} {logins} {payments} {mails}");
    assert!(accepted > 1_000 && rejected > 1_000, "{accepted} accepted, {rejected} rejected");
}

#[test]
fn each_fault_the_scripts_reach_is_found() {
    let faults = [
        Fault::IocRests,
        Fault::TakerPrice,
        Fault::PriorityLostOnPartial,
        Fault::HoldDoubleRelease,
        Fault::FeeRoundingMints,
        Fault::QuoteReprice,
        Fault::WithdrawCheckRace,
        Fault::TransferCheckRace,
        Fault::AllowNegative,
        Fault::InsiderBalanceEdit,
        Fault::BulkMailToField,
    ];
    let mut report = String::new();
    for fault in faults {
        let found =
            (0..CASES).find(|&seed| caught(fault, &run_script(&script(seed, BYTES), FaultSet::NONE.with(fault))));
        let Some(seed) = found else { panic!("{fault}: no script of {FAULT_CASES} finds it") };
        report.push_str(&format!("\n  {fault}: seed {seed}"));
    }
    println!("first script to catch each fault:{report}");
}

#[test]
fn a_script_reads_as_a_script() {
    let s = script(3, 120);
    let text = format!("{s:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("policy: "), "{text}");
    assert_eq!(lines.len(), s.steps.len() + 1, "{text}");
    for (i, line) in lines[1..].iter().enumerate() {
        assert!(line.trim_start().starts_with(&format!("{i}: t+")), "{line}");
        assert!(line.contains("system: ") || line.contains('('), "neither a system input nor a client's: {line}");
    }
    println!("{text}");
}

/// The invariants a fault-free run of many scripts has exercised: what the target checks.
#[test]
fn the_scripts_exercise_the_invariants_they_can_reach() {
    let mut exercised = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let run = run_script(&script(seed, BYTES), FaultSet::NONE);
        exercised.extend(Invariant::ALL.into_iter().filter(|&i| run.findings.exercised(i)));
    }
    for i in [
        Invariant::LedgerBalanced,
        Invariant::Conservation,
        Invariant::NoNegativeBalance,
        Invariant::HoldsMatchOpenOrders,
        Invariant::BookUncrossed,
        Invariant::LimitRespected,
        Invariant::TifRespected,
        Invariant::QuoteHonored,
        Invariant::WithdrawalAuthorized,
        Invariant::NoPiiDisclosure,
        Invariant::JournalComplete,
    ] {
        assert!(exercised.contains(&i), "{i:?} never exercised: {exercised:?}");
    }
}

/// What a seed must show: a name, and whether a step with its outcome shows it.
type Feature = (&'static str, fn(&Act, &Ack) -> bool);

const FEATURES: [Feature; 12] = [
    ("fill", |_, ack| matches!(ack, Ack::Order { filled, .. } if filled.0 > 0)),
    ("quote-accepted", |_, ack| matches!(ack, Ack::QuoteFilled(_))),
    ("cancel", |act, _| matches!(act, Act::Client(_, r) if matches!(r.trade(), Some(Trade::Cancel { .. })))),
    ("replace", |_, ack| matches!(ack, Ack::Replaced { .. })),
    ("withdrawal-paid", |act, _| matches!(act, Act::System(SystemOp::PaymentConfirmed { .. }))),
    ("transfer-processed", |act, _| matches!(act, Act::System(SystemOp::ProcessTransfer { .. }))),
    ("login", |_, ack| matches!(ack, Ack::Session { .. })),
    ("api-key", |_, ack| matches!(ack, Ack::ApiKey(_))),
    ("reset", |act, _| matches!(act, Act::Client(_, r) if matches!(r.account(), Some(Account::CompleteReset { .. })))),
    ("export", |act, _| matches!(act, Act::Client(_, r) if matches!(r.account(), Some(Account::Export)))),
    ("announce", |act, _| matches!(act, Act::Client(_, r) if matches!(r.account(), Some(Account::Announce { .. })))),
    ("deposit-seen", |act, _| matches!(act, Act::System(SystemOp::DepositSeen { .. }))),
];

/// The features a script's run shows (steps the exchange accepted).
fn features(s: &Script) -> Vec<&'static str> {
    let run = run_script(s, FaultSet::NONE);
    FEATURES
        .iter()
        .filter(|(_, shows)| {
            s.steps.iter().zip(&run.outcomes).any(|(step, o)| o.as_ref().is_ok_and(|ack| shows(&step.act, ack)))
        })
        .map(|(name, _)| *name)
        .collect()
}

/// The length of a written seed: its script fits in `MAX_STEPS`.
const SEED_BYTES: usize = 400;

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/exchange")
}

#[test]
fn the_seed_corpus_reaches_every_feature() {
    let mut reached = std::collections::BTreeSet::new();
    let entries = std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/exchange exists");
    for entry in entries {
        let data = std::fs::read(entry.expect("a directory entry").path()).expect("a readable seed");
        reached.extend(features(&Script::decode(&data).expect("any bytes decode")));
    }
    for (name, _) in FEATURES {
        assert!(reached.contains(name), "no seed reaches {name}: {reached:?}");
    }
}

/// Rewrites `fuzz/corpus/exchange/`: for each feature, the first seeded [`SEED_BYTES`]-byte input whose
/// script shows it, named after the feature. Run by name:
/// `cargo test -p exsim --test fuzz_exchange -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes fuzz/corpus/exchange/"]
fn write_seed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, _) in FEATURES {
        let seed = (0..10_000u64)
            .find(|&seed| features(&script(seed, SEED_BYTES)).contains(&name))
            .unwrap_or_else(|| panic!("no seed shows {name}"));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut bytes = vec![0u8; SEED_BYTES];
        rng.fill_bytes(&mut bytes);
        std::fs::write(dir.join(format!("seed-{name}")), &bytes).unwrap();
        println!("seed-{name}: seed {seed}\n{:?}", script(seed, SEED_BYTES));
    }
}

/// A finding panics with the invariant, the step and the script: some seeds with
/// `fee_rounding_mints` on (a fill's fee mints money); with it off, none panics.
#[test]
fn a_finding_panics_with_a_readable_reproducer() {
    let mut caught = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/exchange exists") {
        let data = std::fs::read(entry.expect("a directory entry").path()).expect("a readable seed");
        exsim::script::fuzz_with(&data, FaultSet::NONE);
        let Err(panic) =
            std::panic::catch_unwind(|| exsim::script::fuzz_with(&data, FaultSet::NONE.with(Fault::FeeRoundingMints)))
        else {
            continue;
        };
        let message = panic.downcast_ref::<String>().expect("a formatted panic message");
        assert!(message.contains(" violated at "), "{message}");
        assert!(message.contains("\nscript:\npolicy: ") && message.contains("  0: t+"), "{message}");
        caught += 1;
    }
    assert!(caught > 0, "fee_rounding_mints on: no seed panics");
}
