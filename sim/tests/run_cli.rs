//! `exsim`, `exsim run`, `sweep`, `check` and `list` as a user runs them: the binary, exit codes,
//! the §9 JSON fields, located errors, reproduction commands, and `--jobs` independence.

use std::process::{Command, Output};

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn no_arguments_runs_the_quickstart_and_shows_every_invariant() {
    let out = exsim(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("quickstart / base  seed 7") && table.contains("quickstart / no_crashes"), "{table}");
    for invariant in exsim::audit::Invariant::ALL {
        assert!(table.contains(invariant.id()), "{} missing from\n{table}", invariant.id());
    }
    assert!(table.contains("expectations met"));
}

#[test]
fn json_has_the_spec_fields_and_matches_the_table_digest() {
    let out = exsim(&["run", "--json", "--variant", "base"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let runs = json_lines(&out);
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    for field in [
        "scenario",
        "variant",
        "seed",
        "digest",
        "events",
        "sim_time_ns",
        "wall_ms",
        "invariants",
        "expectations_met",
        "breach",
        "market",
        "reproduce",
    ] {
        assert!(r.get(field).is_some(), "missing {field} in {r}");
    }
    assert_eq!(r["scenario"], "quickstart");
    assert_eq!(r["seed"], 7);
    assert_eq!(r["invariants"]["conservation"]["status"], "held");
    assert_eq!(r["invariants"]["solvency"]["status"], "held");
    assert_eq!(r["invariants"]["no_pii_disclosure"]["status"], "held");
    // Its withdrawers and depositors withdraw through their sessions, with their devices' codes.
    assert_eq!(r["invariants"]["withdrawal_authorized"]["status"], "held");
    assert_eq!(r["expectations_met"], true);
    assert_eq!(r["reproduce"], "exsim run quickstart --variant base --seed 7");
    let table = text(&exsim(&["run", "--variant", "base"]).stdout);
    assert!(table.contains(r["digest"].as_str().unwrap()), "the table shows the same digest");
}

#[test]
fn a_fault_fails_the_run_with_a_reproduction_command_that_reproduces_it() {
    let out = exsim(&["run", "--variant", "base", "--fault", "taker_price", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = &json_lines(&out)[0];
    assert_eq!(r["invariants"]["limit_respected"]["status"], "violated");
    assert!(r["invariants"]["limit_respected"]["count"].as_u64().unwrap() > 0);
    let repro = r["reproduce"].as_str().unwrap();
    assert_eq!(repro, "exsim run quickstart --variant base --seed 7 --fault taker_price");
    let args: Vec<&str> = repro.split(' ').skip(1).chain(["--json"]).collect();
    let again = exsim(&args);
    assert_eq!(json_lines(&again)[0]["digest"], r["digest"], "the reproduction is the same run");
}

#[test]
fn a_scenario_can_expect_a_violation() {
    let out = exsim(&[
        "run",
        "--variant",
        "base",
        "--fault",
        "ioc_rests",
        "--set",
        "expect.violated=[\"tif_respected\"]",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(json_lines(&out)[0]["expectations_met"], true);
}

#[test]
fn a_sweep_is_the_same_with_one_job_and_two() {
    let digests = |jobs: &str| -> Vec<(u64, String)> {
        let out = exsim(&["sweep", "quickstart", "--seeds", "0..6", "--jobs", jobs, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        json_lines(&out)
            .iter()
            .map(|r| (r["seed"].as_u64().unwrap(), r["digest"].as_str().unwrap().to_owned()))
            .collect()
    };
    let one = digests("1");
    assert_eq!(one.len(), 12, "6 seeds × (base + no_crashes)");
    assert_eq!(one, digests("2"));
}

#[test]
fn a_sweep_with_a_fault_lists_each_failure_with_its_reproduction() {
    let out = exsim(&["sweep", "quickstart", "--seeds", "0..4", "--variant", "base", "--fault", "fee_rounding_mints"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for seed in 0..4 {
        assert!(
            stdout.contains(&format!(
                "reproduce: exsim run quickstart --variant base --seed {seed} --fault fee_rounding_mints"
            )),
            "{stdout}"
        );
    }
    assert!(stdout.contains("4 failed, 0 panicked"), "{stdout}");
}

/// The quickstart's mass mailer announces in batches: with `bulk_mail_to_field` every batch
/// lands in `To:`, and every seed fails on `no_pii_disclosure`.
#[test]
fn a_sweep_with_bulk_mail_to_field_fails_every_seed_on_pii() {
    let out = exsim(&["sweep", "quickstart", "--seeds", "0..3", "--variant", "base", "--fault", "bulk_mail_to_field"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("3 failed, 0 panicked"), "{stdout}");
    assert!(stdout.contains("no_pii_disclosure"), "{stdout}");
}

#[test]
fn shards_split_a_sweep() {
    let seeds = |shard: &str| -> Vec<u64> {
        let out = exsim(&["sweep", "quickstart", "--seeds", "0..6", "--variant", "base", "--shard", shard, "--json"]);
        json_lines(&out).iter().map(|r| r["seed"].as_u64().unwrap()).collect()
    };
    assert_eq!(seeds("1/2"), vec![0, 2, 4]);
    assert_eq!(seeds("2/2"), vec![1, 3, 5]);
}

#[test]
fn bad_input_is_a_located_error_with_exit_2_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\nduraton = \"2s\"\n").unwrap();
    let bad = bad.to_str().unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["run", bad], format!("{bad}:2:1: duraton: unknown field `duraton` (did you mean `duration`?)")),
        (vec!["run", "--set", "network.los=0.1"], "did you mean `loss`?".into()),
        (vec!["run", "--fault", "ioc_rest"], "did you mean `ioc_rests`?".into()),
        (vec!["run", "--fault", "bulk_mail_to_fields"], "did you mean `bulk_mail_to_field`?".into()),
        (vec!["run", "quikstart"], "did you mean `quickstart`?".into()),
        (vec!["run", "--variant", "nope"], "it has: base, no_crashes".into()),
        (vec!["run", "--set", "duration"], "--set duration".into()),
        (vec!["sweep", "quickstart", "--seeds", "5..2"], "the range is empty".into()),
        (vec!["sweep", "quickstart", "--seeds", "0..2", "--shard", "3/2"], "expected I/N".into()),
        (vec!["check", bad], "did you mean `duration`?".into()),
        (vec!["list", "nonsense"], "invalid value".into()),
    ];
    for (args, want) in cases {
        let out = exsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}: nothing runs, nothing is printed: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&want), "{args:?}: expected {want:?} in {stderr}");
    }
}

#[test]
fn check_accepts_the_shipped_scenarios() {
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml");
    let out = exsim(&["check", quickstart, "quickstart"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok — scenario `quickstart`, 2 run(s)"));
}

#[test]
fn the_catalogues_list_one_line_each() {
    let count = |what: &str| text(&exsim(&["list", what]).stdout).lines().count();
    assert_eq!(count("invariants"), 16);
    assert_eq!(count("faults"), 14);
    assert_eq!(count("agents"), 18);
    assert_eq!(count("scenarios"), 1);
    assert_eq!(count("policies"), 15);
}

#[test]
fn agents_list_which_kinds_are_attackers() {
    let listing = text(&exsim(&["list", "agents"]).stdout);
    for line in listing.lines() {
        let kind = line.split_whitespace().next().unwrap();
        let attacker = [
            "malleability_claimant",
            "withdrawal_racer",
            "hot_wallet_thief",
            "insider",
            "operator_mailbox_takeover",
            "api_key_thief",
            "credential_stuffer",
            "phisher",
            "admin_takeover",
            "wash_bot",
        ]
        .contains(&kind);
        assert_eq!(line.ends_with("[attacker]"), attacker, "{line}");
    }
}

#[test]
fn policies_list_their_field_default_and_whether_they_are_modelled() {
    let out = exsim(&["list", "policies"]);
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    let line = |name: &str| {
        listing
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name}: {listing}"))
            .to_owned()
    };
    for (name, field, default) in [
        ("address_whitelist", "policy.withdrawal_whitelist", "false"),
        ("whitelist_delay", "policy.whitelist_delay", "24h"),
        ("daily_withdrawal_limit", "assets.SYMBOL.daily_limit", "none"),
        ("aggregate_outflow_cap", "assets.SYMBOL.outflow_cap", "none"),
        ("manual_review_threshold", "assets.SYMBOL.review_above", "none"),
        ("hot_wallet_share", "assets.SYMBOL.hot_share", "100%"),
        ("hot_wallet_multisig", "policy.hot_wallet_multisig", "false"),
        ("login_2fa", "policy.login_2fa", "true"),
        ("withdrawal_2fa", "policy.withdrawal_2fa", "true"),
        ("password_reset_2fa", "policy.password_reset_2fa", "true"),
        ("api_key_withdraw_scope", "policy.api_key_withdraw_scope", "false"),
        ("api_key_ip_allowlist", "policy.api_key_ip_allowlist", "true"),
        ("operator_mailbox_2fa", "policy.operator_mailbox_2fa", "true"),
        ("circuit_breaker", "policy.circuit_breaker", "none"),
        ("freeze_on_alert", "policy.freeze_on_alert", "true"),
    ] {
        let l = line(name);
        assert!(l.contains(field) && l.contains(&format!("default {default}")), "{l}");
        assert!(!l.contains("not modelled"), "{l}");
    }
}

#[test]
fn a_trace_has_one_line_per_event_plus_a_header_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    let out = exsim(&["run", "--variant", "base", "--json", "--trace", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let events = json_lines(&out)[0]["events"].as_u64().unwrap();
    let trace = std::fs::read_to_string(&path).unwrap();
    assert_eq!(trace.lines().count() as u64, events + 1);
    assert!(trace.lines().next().unwrap().contains("\"kind\":\"run\""));
}

/// A file's runs are shown side by side after the last of them (tables only): one line per run
/// with its faults, expectations, violations and breach metrics.
#[test]
fn a_files_runs_are_shown_side_by_side() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/mtgox_2014.toml");
    let out = exsim(&["run", file]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let table = stdout.split("mtgox_2014: 5 runs side by side\n").nth(1).expect("the side-by-side table");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].split_whitespace().eq([
        "run",
        "faults",
        "expectations",
        "violated",
        "stolen",
        "shortfall",
        "taken",
        "over",
        "exposed",
        "detected"
    ]));
    assert!(
        lines[1].starts_with("  base ")
            && lines[1].contains("txid_reconcile")
            && lines[1].contains("withdrawal_paid_once, solvency"),
        "{}",
        lines[1]
    );
    assert!(lines[5].starts_with("  reconcile_by_outpoint ") && lines[5].contains(" met "), "{}", lines[5]);
    let json = exsim(&["run", "--json", file]);
    assert!(!text(&json.stdout).contains("side by side"), "JSON Lines stay one object per line");
}

/// `sweep --swarm`: each seed draws its own options, printed in its reproduce command, and that
/// command gives the same run again.
#[test]
fn a_swarm_sweep_prints_each_seeds_options_and_they_reproduce_it() {
    let out =
        exsim(&["sweep", "quickstart", "--swarm", "--seeds", "3..5", "--variant", "base", "--fault", "ioc_rests"]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stdout);
    let repro: Vec<&str> = said.lines().filter_map(|l| l.trim().strip_prefix("reproduce: ")).collect();
    assert_eq!(repro.len(), 2, "{said}");
    assert_ne!(
        repro[0].split(" --set ").skip(1).collect::<Vec<_>>(),
        repro[1].split(" --set ").skip(1).collect::<Vec<_>>()
    );
    assert!(repro[0].contains("--set duration=") && repro[0].contains("--set agents.noise.count="), "{}", repro[0]);
    // The reproduce command's run is the sweep's: same violation count.
    let first = said.lines().next().unwrap();
    let args: Vec<&str> = repro[0].split_whitespace().skip(1).collect();
    let again = text(&exsim(&args).stdout);
    let count = first.split("violated ").nth(1).unwrap().split(' ').next().unwrap();
    assert!(
        again.contains(&format!("VIOLATED {:>10}", count)) || again.contains(&format!("violated {count} time(s)")),
        "{again}"
    );
    // Without a fault, swarm runs hold every invariant.
    let clean = exsim(&["sweep", "quickstart", "--swarm", "--seeds", "0..8"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
}
