//! `exsim shrink` and regression files: every fault exsim models in the exchange (engine, ledger
//! and exchange faults) shrinks from a whole run to a few dozen entries that still break the
//! fault's own invariant, and the same file with the fault switched off breaks nothing (caught
//! when on, quiet when off). The file format reads back what it wrote; the CLI writes, replays and
//! refuses bad files with a located error; every committed file under `regressions/` replays as it
//! expects.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use exsim::fault::{Fault, FaultArea, FaultSet};
use exsim::regress::shrink::{shrink, ShrinkError, DEFAULT_BUDGET};
use exsim::regress::{file, judge, replay, Expect, Provenance, Regression};
use exsim::scenario::{self, Scenario};

/// "A few dozen commands or fewer".
const FEW_DOZEN: usize = 36;

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Where a fault shows: the quickstart's base for what the quickstart's traffic reaches, else the
/// incident scenario that replays it, in the variant whose policy lets the fault be the only
/// cause. Exhaustive, so a new fault must say where it shows.
fn scenario_of(fault: Fault) -> Option<(&'static str, &'static str)> {
    match fault {
        Fault::IocRests
        | Fault::TakerPrice
        | Fault::PriorityLostOnPartial
        | Fault::QuoteReprice
        | Fault::BulkMailToField
        | Fault::HoldDoubleRelease
        | Fault::FeeRoundingMints
        | Fault::WithdrawCheckRace => Some(("quickstart", "base")),
        Fault::TxidReconcile => Some(("scenarios/mtgox_2014.toml", "reconcile_by_outpoint")),
        Fault::LimitsInHotPath => Some(("scenarios/bitfinex_2016.toml", "limits_at_request")),
        Fault::TransferCheckRace => Some(("scenarios/flexcoin_2014.toml", "checked_transfers")),
        Fault::InsiderBalanceEdit => Some(("scenarios/quadrigacx_2019.toml", "journal_only")),
        Fault::AllowNegative => Some(("scenarios/ftx_2022.toml", "no_exemption")),
        // The gateway's durability: only a crash betrays it, and a regression holds no crash.
        Fault::AckBeforeDurable => None,
    }
}

fn load(source: &str, variant: &str, fault: Fault, seed: u64) -> Scenario {
    let text = match scenario::embedded(source) {
        Some(t) => t.to_owned(),
        None => fs::read_to_string(root().join(source)).unwrap(),
    };
    let file = scenario::parse(&text, source, &[]).unwrap();
    let mut run = file.runs.into_iter().find(|r| r.variant == variant).unwrap();
    run.faults.insert(fault);
    run.seed = seed;
    run
}

fn provenance(s: &Scenario, source: &str, fault: Fault) -> Provenance {
    Provenance {
        source: source.to_owned(),
        scenario: s.name.clone(),
        variant: s.variant.clone(),
        seed: s.seed,
        faults: vec![fault.name().to_owned()],
        ..Provenance::default()
    }
}

#[test]
fn every_exchange_fault_shrinks_to_a_few_dozen_entries_caught_when_on_and_quiet_when_off() {
    for fault in Fault::ALL {
        let Some((source, variant)) = scenario_of(fault) else {
            assert_eq!(fault.area(), FaultArea::Simulator, "{fault}: only the simulator's faults need a crash");
            continue;
        };
        let s = load(source, variant, fault, 1);
        let shrunk = shrink(&s, provenance(&s, source, fault), None, DEFAULT_BUDGET, &mut |_, _, _| {})
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert!(fault.caught_by().contains(&shrunk.invariant), "{fault}: shrunk for {}", shrunk.invariant.id());
        assert!(shrunk.after <= FEW_DOZEN, "{fault}: {} entries left of {}", shrunk.after, shrunk.before);
        assert!(
            shrunk.before > 10 * shrunk.after,
            "{fault}: {} of {}: was there anything to cut?",
            shrunk.after,
            shrunk.before
        );
        assert!(!shrunk.exhausted, "{fault}: the budget ran out after {} replays", shrunk.tests);

        // Written and read back: the same regression, and it breaks what it says.
        let written = file::write(&shrunk.regression, &["a comment".to_owned()]);
        let read = file::parse(&written, "test").unwrap_or_else(|e| panic!("{fault}: {e}\n{written}"));
        assert_eq!(read, shrunk.regression, "{fault}: the file reads back what was written");
        let verdict = judge(&read).unwrap();
        assert!(verdict.violations > 0 && verdict.met(), "{fault}: {verdict:?}");

        // The same entries on the correct exchange: nothing breaks at all.
        let mut fixed = read.header.config.clone();
        fixed.faults = FaultSet::NONE;
        let quiet = replay(&fixed, &read.entries, None).unwrap();
        assert_eq!(quiet.findings.total(), 0, "{fault}: with the fault off: {:?}", quiet.findings);

        // 1-minimal: no single entry can go.
        for i in 0..read.entries.len() {
            let mut less = read.entries.clone();
            less.remove(i);
            let r = replay(&read.header.config, &less, None).unwrap();
            assert_eq!(r.count(shrunk.invariant), 0, "{fault}: entry {} is not needed", i + 1);
        }
    }
}

#[test]
fn a_violation_that_needs_a_crash_or_none_at_all_is_said_not_shrunk() {
    let s = load("quickstart", "base", Fault::AckBeforeDurable, 1);
    let e = shrink(&s, Provenance::default(), None, 100, &mut |_, _, _| {}).unwrap_err();
    assert!(matches!(e, ShrinkError::NotReproduced(_)), "{e}");
    assert!(e.to_string().contains("needs the simulator"), "{e}");

    let file = scenario::parse(scenario::QUICKSTART, "quickstart", &["duration=200ms".parse().unwrap()]).unwrap();
    let clean = &file.runs[1];
    let e = shrink(clean, Provenance::default(), None, 100, &mut |_, _, _| {}).unwrap_err();
    assert!(e.to_string().contains("violates no invariant"), "{e}");
}

#[test]
fn the_cli_shrinks_the_quickstart_ioc_fault_and_replay_names_the_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ioc.regression");
    let p = path.to_str().unwrap();
    let out = exsim(&["shrink", "quickstart", "--seed", "1", "--fault", "ioc_rests", "-o", p]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("`tif_respected` still breaks with") && said.contains(&format!("exsim replay {p}")),
        "{said}"
    );
    let written = fs::read_to_string(&path).unwrap();
    let regression = file::parse(&written, p).unwrap();
    assert!(regression.entries.len() <= FEW_DOZEN, "{} entries", regression.entries.len());
    assert!(written.starts_with("# exsim regression: replaying it breaks `tif_respected`"), "{written}");
    assert!(written.contains("cut from: exsim run quickstart --variant base --seed 1 --fault ioc_rests"), "{written}");

    let out = exsim(&["replay", p]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("`tif_respected` violated") && said.contains("as the file expects"), "{said}");
    assert!(text(&out.stderr).contains("invariant `tif_respected` violated"), "named on stderr: {}", text(&out.stderr));
    let out = exsim(&["replay", "--json", p]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["kind"], "regression");
    assert_eq!(json["invariant"], "tif_respected");
    assert_eq!(json["status"], "violated");
    assert_eq!(json["expectation_met"], true);
    assert_eq!(json["entries"].as_u64(), Some(regression.entries.len() as u64));

    // Fixed (the fault off in the file's config): the invariant holds, exit 0, and the file's
    // expectation says it is out of date.
    let fixed = written.replace("\"faults\":[\"ioc_rests\"],\"custody\"", "\"faults\":[],\"custody\"");
    assert_ne!(fixed, written, "the config's fault list is in the header");
    fs::write(&path, &fixed).unwrap();
    let out = exsim(&["replay", p]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("`tif_respected` held, the file expects it broken"), "{}", text(&out.stdout));
}

#[test]
fn bad_regression_files_are_located_errors_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.regression");
    let p = path.to_str().unwrap();
    let out = exsim(&["shrink", "quickstart", "--seed", "1", "--fault", "taker_price", "-o", p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let good = fs::read_to_string(&path).unwrap();
    let header_line = good.lines().position(|l| l.starts_with('{')).unwrap() + 1;
    let cases: Vec<(String, String)> = vec![
        // A misspelt command names its line and what is valid.
        (good.replacen("\"place\"", "\"plase\"", 1), "expected one of".to_owned()),
        // An unknown field.
        (good.replacen("\"t_ns\":", "\"time\":", 1), "unknown field `time`".to_owned()),
        // An invalid asset in the config.
        (good.replacen("\"symbol\":\"BTC\"", "\"symbol\":\"btc\"", 1), format!(":{header_line}: the header")),
        // An unknown invariant.
        (
            good.replacen("\"invariant\":\"limit_respected\"", "\"invariant\":\"limits\"", 1),
            "unknown invariant".to_owned(),
        ),
        // A future format.
        (good.replacen("\"format\":1", "\"format\":9", 1), "reads format 1".to_owned()),
        // An entry that is neither a command nor a fact.
        (format!("{good}{{\"t_ns\":5}}\n"), "needs a `command`".to_owned()),
    ];
    for (bad, wanted) in cases {
        assert_ne!(bad, good, "the edit for {wanted:?} applies");
        fs::write(&path, &bad).unwrap();
        let out = exsim(&["replay", p]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{wanted}: {}{err}", text(&out.stdout));
        assert!(err.contains(p) && err.contains(&wanted), "wanted {wanted:?} in: {err}");
    }
    // Values no run produces are still the exchange's to judge, never a panic: a second-factor
    // code of the last window (once an overflow in `Code::valid`, found by mutating these files).
    let odd = good.replace("\"window\":0", "\"window\":18446744073709551615");
    assert_ne!(odd, good);
    fs::write(&path, &odd).unwrap();
    let out = exsim(&["replay", p]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}{}", text(&out.stdout), text(&out.stderr));
    // Not a trace, a regression or an artifact.
    fs::write(&path, "hello\n").unwrap();
    let out = exsim(&["replay", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--target"), "{}", text(&out.stderr));
    // Shrinking bad input: an unknown invariant, and one the run does not break.
    let out = exsim(&["shrink", "quickstart", "--invariant", "tif", "-o", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("tif_respected"), "lists the valid names: {}", text(&out.stderr));
    let out = exsim(&[
        "shrink",
        "quickstart",
        "--seed",
        "1",
        "--set",
        "duration=200ms",
        "--fault",
        "ioc_rests",
        "--invariant",
        "solvency",
        "-o",
        p,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not violate `solvency`"), "{}", text(&out.stderr));
}

#[test]
fn a_fuzz_artifact_replays_through_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target_dir = dir.path().join("exchange");
    fs::create_dir(&target_dir).unwrap();
    let corpus = root().join("fuzz/corpus/exchange");
    let seed = fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    let artifact = target_dir.join("crash-0");
    fs::copy(&seed, &artifact).unwrap();
    let out = exsim(&["replay", artifact.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("passes the `exchange` target now"), "{}", text(&out.stdout));
    let elsewhere = dir.path().join("input");
    fs::copy(&seed, &elsewhere).unwrap();
    let out = exsim(&["replay", elsewhere.to_str().unwrap(), "--target", "exchange"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = exsim(&["replay", elsewhere.to_str().unwrap(), "--target", "exchanges"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exchange, scenario, book"), "{}", text(&out.stderr));
}

/// Every committed regression file replays as it expects (`regressions/README.md`).
#[test]
fn committed_regressions_replay_as_they_expect() {
    let dir = root().join("regressions");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "regression"))
        .collect();
    files.sort();
    assert!(files.len() >= 13, "one per fault that shrinks: {files:?}");
    for path in files {
        let name = path.display().to_string();
        let regression: Regression = file::parse(&fs::read_to_string(&path).unwrap(), &name).unwrap();
        let verdict = judge(&regression).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(verdict.met(), "{name}: expects {:?}, got {verdict:?}", regression.header.expect);
        if regression.header.expect == Expect::Violated {
            let out = exsim(&["replay", &name]);
            assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stdout));
            assert!(text(&out.stdout).contains(&format!("`{}` violated", verdict.invariant.id())));
        }
    }
}

/// Every number leaf of a JSON value, as a path of keys and indices.
fn number_paths(v: &serde_json::Value, path: &mut Vec<serde_json::Value>, out: &mut Vec<Vec<serde_json::Value>>) {
    match v {
        serde_json::Value::Number(_) => out.push(path.clone()),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(serde_json::json!(i));
                number_paths(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                path.push(serde_json::json!(k));
                number_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn leaf<'v>(v: &'v mut serde_json::Value, path: &[serde_json::Value]) -> &'v mut serde_json::Value {
    path.iter().fold(v, |v, step| match step {
        serde_json::Value::String(k) => &mut v[k.as_str()],
        i => &mut v[i.as_u64().unwrap() as usize],
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// A committed regression with numbers no run produces (the extremes of every integer type,
    /// in any field of the header or an entry) is refused as bad input or replayed: never a panic.
    #[test]
    fn regression_files_with_extreme_numbers_never_panic(
        file in 0usize..64,
        edits in proptest::collection::vec((0usize..1 << 16, 0usize..1 << 16, 0usize..12), 1..6),
    ) {
        const EXTREMES: [&str; 12] = ["0", "1", "-1", "4294967295", "4294967296", "65535", "9223372036854775807",
            "18446744073709551615", "-9223372036854775808", "170141183460469231731687303715884105727",
            "-170141183460469231731687303715884105728", "2147483648"];
        let mut files: Vec<_> = fs::read_dir(root().join("regressions")).unwrap().map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "regression")).collect();
        files.sort();
        let text = fs::read_to_string(&files[file % files.len()]).unwrap();
        let mut lines: Vec<serde_json::Value> =
            text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
        for (line, at, value) in edits {
            let line = line % lines.len();
            let mut paths = Vec::new();
            number_paths(&lines[line], &mut Vec::new(), &mut paths);
            if paths.is_empty() {
                continue;
            }
            let path = &paths[at % paths.len()];
            *leaf(&mut lines[line], path) = serde_json::from_str(EXTREMES[value]).unwrap();
        }
        let edited: String = lines.iter().map(|v| format!("{v}\n")).collect();
        let outcome = std::panic::catch_unwind(|| match file::parse(&edited, "edited") {
            Ok(r) => judge(&r).map(|_| ()),
            Err(e) => Err(e),
        });
        proptest::prop_assert!(outcome.is_ok(), "a panic on:\n{edited}");
    }
}
