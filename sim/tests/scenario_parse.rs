//! The scenario parser (`exsim::scenario::parse`, SPEC §7) from the outside: the quickstart
//! parses to the expected model; every class of bad input is refused with the right place
//! (`file:line:column` or the `--set` it came from) and field, and a "did you mean" where one
//! helps; overrides and variants apply in the documented order; and no input, however mangled,
//! makes the parser panic (property tests here, the committed fuzz corpus replayed below).

use std::fs;
use std::path::{Path, PathBuf};

use exsim::agents::{depositor, market_maker, noise, rfq};
use exsim::audit::Invariant;
use exsim::fault::Fault;
use exsim::scenario::{self, Behaviour, Override, Scenario, ScenarioError, ScenarioFile};
use exsim::units::{AssetId, MarketId, Price};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A small valid scenario the error tests edit one line of.
const MINIMAL: &str = r#"name = "minimal"
duration = "1s"

[assets.BTC]
decimals = 8

[assets.USD]
decimals = 2

[markets.BTC-USD]
base = "BTC"
quote = "USD"
tick = "0.5"
lot = "0.02"
initial_price = "100"

[agents.noise]
kind = "noise_trader"
market = "BTC-USD"
max_size = "0.1"
funding = { BTC = "1", USD = "1000" }

[agents.makers]
kind = "market_maker"
market = "BTC-USD"
size = "0.02"
max_inventory = "1"

[[variants]]
name = "buggy"
set = { faults = ["ioc_rests"] }
[variants.expect]
violated = ["tif_respected"]
"#;

fn sets(texts: &[&str]) -> Vec<Override> {
    texts.iter().map(|t| t.parse().unwrap_or_else(|e| panic!("{t}: {e}"))).collect()
}

fn ok(source: &str, overrides: &[&str]) -> ScenarioFile {
    scenario::parse(source, "test.toml", &sets(overrides)).unwrap_or_else(|e| panic!("{e}"))
}

fn err(source: &str, overrides: &[&str]) -> ScenarioError {
    match scenario::parse(source, "test.toml", &sets(overrides)) {
        Ok(_) => panic!("accepted, expected an error"),
        Err(e) => e,
    }
}

/// `MINIMAL` with the first occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from:?} not in MINIMAL");
    MINIMAL.replacen(from, to, 1)
}

/// 1-based line and column where `needle` starts in `source`.
fn at(source: &str, needle: &str) -> (usize, usize) {
    let offset = source.find(needle).unwrap_or_else(|| panic!("{needle:?} not in source"));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line, column)
}

/// Asserts the error is at `needle` in `source`, about `field`, with a message containing `says`.
fn assert_located(e: &ScenarioError, source: &str, needle: &str, field: &str, says: &str) {
    assert_eq!((e.line, e.column), at(source, needle), "{e}");
    assert_eq!(e.origin, "test.toml", "{e}");
    assert_eq!(e.field, field, "{e}");
    assert!(e.message.contains(says), "{e}\nexpected it to say: {says}");
    assert!(e.setting.is_none(), "{e}");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("test.toml:{}:{}: {field}: ", e.line, e.column)), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// The quickstart

#[test]
fn quickstart_parses_to_the_expected_model() {
    let file = scenario::parse(scenario::QUICKSTART, "quickstart", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.name, "quickstart");
    let names: Vec<&str> = file.runs.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(names, ["base", "no_crashes"]);
    let base = &file.runs[0];
    assert_eq!((base.name.as_str(), base.seed, base.duration_ns), ("quickstart", 7, 2_000_000_000));
    assert!(base.faults.is_empty());
    assert!(base.expect.violated.is_empty());
    let assets: Vec<(&str, u8)> = base.assets.iter().map(|a| (a.symbol(), a.decimals())).collect();
    assert_eq!(assets, [("BTC", 8), ("USD", 2)]);

    let [market] = base.markets.as_slice() else { panic!("one market expected") };
    assert_eq!(market.name, "BTC-USD");
    assert_eq!((market.spec.base, market.spec.quote), (AssetId(0), AssetId(1)));
    assert_eq!((market.spec.tick_size, market.spec.lot_size), (Decimal::ONE, Decimal::new(1, 2)));
    assert_eq!((market.spec.fees.maker_bps, market.spec.fees.taker_bps), (2, 10));
    assert_eq!((market.initial_price, market.volatility_ticks, market.step_ns), (Price(30_000), 3, 10_000_000));

    assert_eq!(base.exchange.crash_mean_interval_ns, 700_000_000);
    assert_eq!((base.exchange.recovery_ns, base.exchange.flush_interval_ns), (5_000_000, 1_000_000));
    assert_eq!((base.exchange.quote_ttl_ns, base.exchange.quote_spread_bps), (2_000_000_000, 20));
    assert!(base.exchange.crash_at_ns.is_empty());
    let n = &base.network;
    assert_eq!((n.latency_min_ns, n.latency_jitter_mean_ns), (100_000, 400_000));
    assert_eq!((n.loss_ppm, n.duplicate_ppm, n.reorder_ppm), (1_000, 1_000, 10_000));
    assert_eq!((n.reorder_delay_ns, n.retry_timeout_ns, n.max_retries), (2_000_000, 50_000_000, 5));

    let groups: Vec<(&str, &str, u32)> =
        base.agents.iter().map(|g| (g.name.as_str(), g.behaviour.kind(), g.count)).collect();
    assert_eq!(
        groups,
        [
            ("makers", "market_maker", 2),
            ("noise", "noise_trader", 20),
            ("momentum", "momentum_trader", 2),
            ("rfq", "rfq_taker", 3),
            ("depositors", "depositor", 3),
            ("withdrawers", "withdrawer", 4),
            ("mailer", "mass_mailer", 1),
        ]
    );
    let makers = &base.agents[0];
    assert_eq!((makers.start_ns, makers.stop_ns), (0, u64::MAX));
    assert_eq!(makers.funding, [(AssetId(0), 5_000_000_000), (AssetId(1), 200_000_000)]);
    assert_eq!(
        makers.behaviour,
        Behaviour::MarketMaker(market_maker::Params {
            market: MarketId(0),
            half_spread_ticks: 5,
            levels: 5,
            level_step_ticks: 2,
            size_lots: 10,
            refresh_ns: 20_000_000,
            skew_lots_per_tick: 50,
            max_inventory_lots: 500,
        })
    );
    assert_eq!(
        base.agents[1].behaviour,
        Behaviour::NoiseTrader(noise::Params {
            market: MarketId(0),
            mean_interval_ns: 2_000_000,
            size_lots_max: 50,
            price_band_ticks: 20
        })
    );
    assert_eq!(
        base.agents[3].behaviour,
        Behaviour::RfqTaker(rfq::Params {
            market: MarketId(0),
            mean_interval_ns: 200_000_000,
            size_lots_max: 20,
            think_min_ns: 300_000_000,
            think_max_ns: 2_000_000_000,
        })
    );
    assert_eq!(
        base.agents[4].behaviour,
        Behaviour::Depositor(depositor::Params {
            asset: AssetId(1),
            mean_interval_ns: 100_000_000,
            amount_max: 100_000,
            withdraw_percent: 40
        })
    );

    // The variant differs in exactly the field it sets (and its name and description).
    let variant = &file.runs[1];
    assert_eq!(variant.exchange.crash_mean_interval_ns, 0);
    let mut same = variant.clone();
    same.variant = base.variant.clone();
    same.description = base.description.clone();
    same.exchange.crash_mean_interval_ns = base.exchange.crash_mean_interval_ns;
    assert_eq!(&same, base);
    assert_ne!(variant.description, base.description);
}

#[test]
fn the_quickstart_is_embedded() {
    assert_eq!(scenario::embedded("quickstart"), Some(scenario::QUICKSTART));
    assert_eq!(scenario::embedded("nope"), None);
    for (name, source) in scenario::EMBEDDED {
        let file = scenario::parse(source, name, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&file.name, name);
    }
}

#[test]
fn the_quickstart_on_disk_is_the_embedded_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/quickstart.toml");
    assert_eq!(fs::read_to_string(path).expect("scenarios/quickstart.toml"), scenario::QUICKSTART);
}

#[test]
fn minimal_parses_with_documented_defaults() {
    let file = ok(MINIMAL, &[]);
    let base = &file.runs[0];
    assert_eq!(base.seed, 1);
    assert_eq!(&*base.description, "");
    assert_eq!(base.markets[0].initial_price, Price(200));
    assert_eq!((base.markets[0].volatility_ticks, base.markets[0].step_ns), (0, 10_000_000));
    assert_eq!((base.markets[0].spec.fees.maker_bps, base.markets[0].spec.fees.taker_bps), (0, 0));
    assert_eq!(base.agents[0].count, 1);
    assert_eq!(
        base.agents[0].behaviour,
        Behaviour::NoiseTrader(noise::Params {
            market: MarketId(0),
            mean_interval_ns: 20_000_000,
            size_lots_max: 5,
            price_band_ticks: 20
        })
    );
    assert_eq!(
        base.agents[1].behaviour,
        Behaviour::MarketMaker(market_maker::Params {
            market: MarketId(0),
            half_spread_ticks: 5,
            levels: 3,
            level_step_ticks: 1,
            size_lots: 1,
            refresh_ns: 50_000_000,
            skew_lots_per_tick: 100,
            max_inventory_lots: 50,
        })
    );
    assert!(base.agents[1].funding.is_empty());
    assert_eq!(base.exchange.quote_ttl_ns, 2_000_000_000);
    assert_eq!(base.network.max_retries, 5);
}

// ---------------------------------------------------------------------------------------------
// Errors: each class at its place

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let src = edit("duration = \"1s\"", "duration = \"1s\"\nduraton = \"2s\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "duraton", "duraton", "unknown field `duraton` (did you mean `duration`?)");
    assert!(e.message.contains("expected one of: name, description"), "{e}");
}

#[test]
fn misspelt_key_is_reported_as_misspelt_not_missing() {
    let src = edit("duration = \"1s\"", "duratoin = \"1s\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "duratoin", "duratoin", "did you mean `duration`?");
}

#[test]
fn missing_required_field_points_at_its_table() {
    let src = edit("initial_price = \"100\"\n", "");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "[markets.BTC-USD]",
        "markets.BTC-USD.initial_price",
        "missing required field `initial_price`",
    );
}

#[test]
fn misspelt_agent_kind_suggests_the_right_one() {
    let src = edit("kind = \"noise_trader\"", "kind = \"noise_trade\"");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "\"noise_trade\"",
        "agents.noise.kind",
        "unknown agent kind `noise_trade` (did you mean `noise_trader`?)",
    );
}

#[test]
fn a_field_of_another_kind_is_called_out() {
    let src = edit("max_size = \"0.1\"", "max_size = \"0.1\"\nmax_inventory = \"1\"");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "max_inventory = \"1\"\nfunding",
        "agents.noise.max_inventory",
        "does not apply to kind `noise_trader` (only to market_maker)",
    );
    let src = edit("max_size = \"0.1\"", "max_sise = \"0.1\"");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "max_sise",
        "agents.noise.max_sise",
        "unknown field `max_sise` for kind `noise_trader` (did you mean `max_size`?)",
    );
}

#[test]
fn bad_durations_are_refused() {
    for (bad, says) in [
        ("\"1 s\"", "unknown unit"),
        ("\"10\"", "has no unit"),
        ("\"1.5ns\"", "whole number of nanoseconds"),
        ("\"0s\"", "must be greater than 0"),
        ("\"31d\"", "longer than the maximum, 30d"),
        ("1000", "expected a duration string with a unit, e.g. \"1000ms\""),
    ] {
        let src = edit("duration = \"1s\"", &format!("duration = {bad}"));
        let e = err(&src, &[]);
        assert_located(&e, &src, bad, "duration", says);
    }
}

#[test]
fn float_prices_are_refused_with_a_quoting_hint() {
    let src = edit("initial_price = \"100\"", "initial_price = 100.5");
    let e = err(&src, &[]);
    assert_located(&e, &src, "100.5", "markets.BTC-USD.initial_price", "write `initial_price = \"100.5\"`");
}

#[test]
fn prices_and_sizes_must_be_whole_ticks_and_lots() {
    let src = edit("initial_price = \"100\"", "initial_price = \"100.25\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"100.25\"", "markets.BTC-USD.initial_price", "nearest valid values are 100 and 100.5");
    let src = edit("max_size = \"0.1\"", "max_size = \"0.03\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"0.03\"", "agents.noise.max_size", "not a multiple of 0.02");
    let src = edit("max_size = \"0.1\"", "max_size = \"0\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"0\"", "agents.noise.max_size", "at least one lot");
}

#[test]
fn tick_times_lot_must_be_whole_quote_minor_units() {
    let src = edit("tick = \"0.5\"", "tick = \"0.01\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "[markets.BTC-USD]", "markets.BTC-USD", "is not a whole number of USD minor units");
}

#[test]
fn a_lot_must_be_whole_base_minor_units() {
    let src = edit("lot = \"0.02\"", "lot = \"0.000000001\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"0.000000001\"", "markets.BTC-USD.lot", "is not a multiple of 0.00000001");
    let src = edit("tick = \"0.5\"", "tick = \"0\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"0\"", "markets.BTC-USD.tick", "tick must be positive");
}

#[test]
fn unknown_references_suggest_what_exists() {
    let src = edit("market = \"BTC-USD\"", "market = \"BTC-UDS\"");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "\"BTC-UDS\"",
        "agents.noise.market",
        "unknown market `BTC-UDS` (did you mean `BTC-USD`?)",
    );
    let src = edit("quote = \"USD\"", "quote = \"USDT\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"USDT\"", "markets.BTC-USD.quote", "unknown asset `USDT` (did you mean `USD`?)");
    let src = edit("BTC = \"1\"", "BTX = \"1\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "BTX", "agents.noise.funding.BTX", "unknown asset `BTX` (did you mean `BTC`?)");
}

#[test]
fn toml_syntax_errors_are_located() {
    let src = edit("duration = \"1s\"", "duration = \"1s");
    let e = err(&src, &[]);
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.starts_with("invalid TOML"), "{e}");
    assert!(e.field.is_empty());
    assert!(e.to_string().starts_with("test.toml:2:"), "{e}");
}

#[test]
fn faults_must_be_known_and_modelled() {
    let src = edit("duration = \"1s\"", "duration = \"1s\"\nfaults = [\"ioc_rest\"]");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"ioc_rest\"", "faults[0]", "did you mean `ioc_rests`");
    let src = edit("duration = \"1s\"", "duration = \"1s\"\nfaults = [\"taker_price\", \"bulk_mail_to_feld\"]");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"bulk_mail_to_feld\"", "faults[1]", "did you mean `bulk_mail_to_field`");
    // Every catalogued fault is modelled today; a fault listed twice is refused at the second.
    let src = edit(
        "duration = \"1s\"",
        "duration = \"1s\"\nfaults = [\"taker_price\", \"bulk_mail_to_field\", \"taker_price\"]",
    );
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"taker_price\"]", "faults[2]", "fault `taker_price` is listed twice");
}

#[test]
fn expected_invariants_must_be_known_and_checked() {
    let src = edit("violated = [\"tif_respected\"]", "violated = [\"tif_respectd\"]");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "\"tif_respectd\"",
        "expect.violated[0]",
        "unknown invariant `tif_respectd` (did you mean `tif_respected`?)",
    );
    assert!(e.message.ends_with("(in variant `buggy`)"), "{e}");
    // Every catalogued invariant is checked, so any may be expected; a misspelt one in the base
    // is located with a suggestion, and one listed twice is refused.
    let src = edit("duration = \"1s\"", "duration = \"1s\"\n[expect]\nviolated = [\"withdrawal_authorised\"]");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "\"withdrawal_authorised\"",
        "expect.violated[0]",
        "unknown invariant `withdrawal_authorised` (did you mean `withdrawal_authorized`?)",
    );
    let twice = "violated = [\"withdrawal_authorized\", \"withdrawal_authorized\"]";
    let src = edit("duration = \"1s\"", &format!("duration = \"1s\"\n[expect]\n{twice}"));
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"withdrawal_authorized\"]", "expect.violated[1]", "listed twice");
}

#[test]
fn variant_names_must_be_unique() {
    let src = format!("{MINIMAL}\n[[variants]]\nname = \"buggy\"\n");
    let e = err(&src, &[]);
    let second = src.rfind("\"buggy\"").unwrap();
    let line = src[..second].matches('\n').count() + 1;
    assert_eq!((e.line, e.field.as_str()), (line, "variants[1].name"), "{e}");
    assert!(e.message.contains("variant `buggy` is defined twice (first at line"), "{e}");
    let src = MINIMAL.replace("name = \"buggy\"", "name = \"base\"");
    assert!(err(&src, &[]).message.contains("`base` is the name of the run without variants"));
}

#[test]
fn a_variant_set_error_points_at_its_set_entry() {
    let src = MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", "set = { \"agents.noise.count\" = 0 }");
    let e = err(&src, &[]);
    assert_located(&e, &src, "0 }", "agents.noise.count", "0 is below the minimum, 1 (in variant `buggy`)");
    let src = MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", "set = { \"agents.noize.count\" = 3 }");
    let e = err(&src, &[]);
    assert_located(
        &e,
        &src,
        "\"agents.noize.count\"",
        "agents.noize",
        "no agent group `noize` (did you mean `noise`?)",
    );
}

#[test]
fn limits_are_enforced() {
    let src = edit("max_size = \"0.1\"", "max_size = \"0.1\"\ncount = 10001");
    let e = err(&src, &[]);
    assert_located(&e, &src, "10001", "agents.noise.count", "above the maximum, 10000");
    let many: String = (0..11)
        .map(|i| {
            format!(
                "[agents.g{i}]\nkind = \"noise_trader\"\nmarket = \"BTC-USD\"\nmax_size = \"0.02\"\ncount = 10000\n"
            )
        })
        .collect();
    let src = format!("{}\n{many}", MINIMAL.split("[[variants]]").next().unwrap());
    let e = err(&src, &[]);
    assert_eq!(e.field, "agents.g9.count", "{e}");
    assert!(e.message.contains("more than the maximum of 100000"), "{e}");
    let src = edit("max_size = \"0.1\"", "max_size = \"0.1\"\nstart = \"1s\"\nstop = \"1s\"");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"1s\"\nfunding", "agents.noise.stop", "stop (1s) must be after start (1s)");
}

// ---------------------------------------------------------------------------------------------
// Overrides

#[test]
fn overrides_change_every_run() {
    let file = ok(
        MINIMAL,
        &[
            "seed=9",
            "duration=5s",
            "agents.noise.count=40",
            "markets.BTC-USD.initial_price=150.5",
            "exchange.crash_at=[\"1s\", \"500ms\"]",
            "network.loss=0",
            "description=what if",
            "agents.noise.funding={ USD = \"5\" }",
        ],
    );
    for run in &file.runs {
        assert_eq!((run.seed, run.duration_ns), (9, 5_000_000_000));
        assert_eq!(run.agents[0].count, 40);
        assert_eq!(run.markets[0].initial_price, Price(301));
        assert_eq!(run.exchange.crash_at_ns, [500_000_000, 1_000_000_000]);
        assert_eq!(run.network.loss_ppm, 0);
        assert_eq!(&*run.description, "what if");
        // A table merges key by key: BTC stays, USD changes.
        assert_eq!(run.agents[0].funding, [(AssetId(0), 100_000_000), (AssetId(1), 500)]);
    }
    // The variant's own `set` still applies, under the command line's.
    assert!(file.runs[1].faults.has(Fault::IocRests));
    assert!(!file.runs[0].faults.has(Fault::IocRests));
    let file = ok(MINIMAL, &["faults=[\"taker_price\"]"]);
    assert!(file.runs.iter().all(|r| r.faults.iter().eq([Fault::TakerPrice])));
}

#[test]
fn an_override_can_add_a_whole_group() {
    let file = ok(MINIMAL, &["agents.rfq={ kind = \"rfq_taker\", market = \"BTC-USD\", max_size = \"0.04\" }"]);
    let rfq = file.runs[0].agents.last().unwrap();
    assert_eq!((rfq.name.as_str(), rfq.behaviour.kind()), ("rfq", "rfq_taker"));
    assert_eq!(file.runs[1].agents.len(), 3);
}

#[test]
fn a_bad_override_path_names_the_override() {
    let e = err(MINIMAL, &["agents.noize.count=3"]);
    assert_eq!((e.origin.as_str(), e.line, e.column), ("--set", 0, 0));
    assert_eq!(e.setting.as_deref(), Some("agents.noize.count=3"));
    assert_eq!(e.field, "agents.noize");
    assert!(e.message.contains("no agent group `noize` (did you mean `noise`?)"), "{e}");
    assert!(e.to_string().starts_with("--set agents.noize.count=3: agents.noize: no agent group"), "{e}");

    let e = err(MINIMAL, &["exchange.quote_tll=1s"]);
    assert!(e.message.contains("unknown field `quote_tll` (did you mean `quote_ttl`?)"), "{e}");
    assert_eq!(e.to_string().split(':').next(), Some("--set exchange.quote_tll=1s"), "{e}");

    let e = err(MINIMAL, &["duration.x=1"]);
    assert!(e.message.contains("is a string, not a table"), "{e}");
    for fixed in ["name=other", "variants=[]"] {
        let e = err(MINIMAL, &[fixed]);
        assert!(e.message.contains("cannot be overridden"), "{e}");
    }
    let e = err(MINIMAL, &["agents..count=1"]);
    assert!(e.message.contains("empty name"), "{e}");
    assert!("no-equals-sign".parse::<Override>().is_err());
    assert!("=1".parse::<Override>().is_err());
}

#[test]
fn a_bad_override_value_names_the_override() {
    let e = err(MINIMAL, &["agents.noise.count=0"]);
    assert_eq!(e.to_string(), "--set agents.noise.count=0: 0 is below the minimum, 1");
    let e = err(MINIMAL, &["seed=abc"]);
    assert_eq!(e.to_string(), "--set seed=abc: expected an integer in 0..=9223372036854775807, found a string \"abc\"");
    let e = err(MINIMAL, &["duration=2 s"]);
    assert!(e.to_string().starts_with("--set duration=2 s: duration \"2 s\" has an unknown unit"), "{e}");
    let e = err(MINIMAL, &["agents.noise.funding={ USD = \"0.001\" }"]);
    assert_eq!(e.field, "agents.noise.funding.USD");
    assert!(e.to_string().contains("agents.noise.funding.USD: amount 0.001 USD has more than 2 decimal places"), "{e}");
    // In a second override, the index is kept straight.
    let e = err(MINIMAL, &["seed=3", "faults=[\"bulk_mail_to_feld\"]"]);
    assert_eq!(e.setting.as_deref(), Some("faults=[\"bulk_mail_to_feld\"]"));
    assert_eq!(e.field, "faults[0]");
}

// ---------------------------------------------------------------------------------------------
// Variants

const VARIANTS: &str = r#"
[[variants]]
name = "busy"
description = "Four times the noise."
set = { "agents.noise.count" = 4, exchange.crash_at = ["0.5s"] }

[[variants]]
name = "expects_nothing"
set = { "expect.violated" = [] }
"#;

#[test]
fn variants_inherit_and_override() {
    let src = format!("{MINIMAL}{VARIANTS}");
    let file = ok(&src, &[]);
    let runs: Vec<&Scenario> = file.runs.iter().collect();
    assert_eq!(
        runs.iter().map(|r| r.variant.as_str()).collect::<Vec<_>>(),
        ["base", "buggy", "busy", "expects_nothing"]
    );
    let [base, buggy, busy, nothing] = runs[..] else { unreachable!() };
    assert!(base.expect.violated.is_empty() && base.faults.is_empty());
    assert_eq!(buggy.expect.violated, [Invariant::TifRespected]);
    assert!(buggy.faults.has(Fault::IocRests));
    // No `expect` and no fault in `busy`: it inherits the base's.
    assert!(busy.expect.violated.is_empty() && busy.faults.is_empty());
    assert_eq!(busy.agents[0].count, 4);
    assert_eq!(busy.exchange.crash_at_ns, [500_000_000]);
    assert_eq!(&*busy.description, "Four times the noise.");
    assert_eq!(busy.agents[1], base.agents[1]);
    assert!(nothing.expect.violated.is_empty());
    assert_eq!(nothing.agents, base.agents);
    // The command line applies after the variant's own set.
    let file = ok(&src, &["agents.noise.count=7"]);
    assert!(file.runs.iter().all(|r| r.agents[0].count == 7));
}

#[test]
fn nested_and_quoted_set_keys_mean_the_same() {
    let quoted = MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", "set = { \"agents.noise.count\" = 6 }");
    let nested = MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", "set = { agents.noise.count = 6 }");
    assert_eq!(ok(&quoted, &[]), ok(&nested, &[]));
    assert_eq!(ok(&nested, &[]).runs[1].agents[0].count, 6);
    let misspelt = MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", "set = { agents.noize.count = 6 }");
    let e = err(&misspelt, &[]);
    assert_located(&e, &misspelt, "noize", "agents.noize", "no agent group `noize` (did you mean `noise`?)");
}

#[test]
fn a_base_expectation_is_inherited_unless_replaced() {
    let src = MINIMAL.replace("[variants.expect]\nviolated = [\"tif_respected\"]\n", "")
        + "\n[expect]\nviolated = [\"conservation\"]\n";
    let file = ok(&src, &[]);
    assert!(file.runs.iter().all(|r| r.expect.violated == [Invariant::Conservation]));
}

// ---------------------------------------------------------------------------------------------
// Bounds (scenarios/README.md, "Bounds")

#[test]
fn every_run_shares_the_description_instead_of_copying_it() {
    let src = edit("name = \"minimal\"", &format!("name = \"minimal\"\ndescription = \"{}\"", "d".repeat(100_000)));
    let file = ok(&src, &[]);
    assert_eq!(file.runs.len(), 2);
    assert_eq!(file.runs[1].description.len(), 100_000);
    assert!(std::sync::Arc::ptr_eq(&file.runs[0].description, &file.runs[1].description));
}

#[test]
fn an_error_only_an_override_causes_is_blamed_on_that_override() {
    let src = edit("duration = \"1s\"", "duration = \"1s\"\n\n[exchange]\ncrash_at = [\"0.5s\"]");
    let e = err(&src, &["seed=4", "duration=100ms", "network.loss=0"]);
    assert_eq!(e.setting.as_deref(), Some("duration=100ms"), "{e}");
    assert_eq!(e.field, "exchange.crash_at[0]");
    let (line, column) = at(&src, "\"0.5s\"");
    assert!(e.to_string().ends_with(&format!("(the value is at test.toml:{line}:{column})")), "{e}");
    // The same error without the override is the file's own.
    let own = edit("duration = \"1s\"", "duration = \"100ms\"\n\n[exchange]\ncrash_at = [\"0.5s\"]");
    let e = err(&own, &["seed=4"]);
    assert!(e.setting.is_none() && e.origin == "test.toml", "{e}");
}

#[test]
fn a_file_past_the_size_bound_is_refused_at_the_bound() {
    let bound = scenario::limits::MAX_FILE_BYTES;
    let mut big = MINIMAL.to_owned();
    big.push_str(&"#".repeat(bound - big.len()));
    assert!(scenario::parse(&big, "test.toml", &[]).is_ok());
    big.push('\n');
    let e = err(&big, &[]);
    assert!(e.message.contains("larger than 16 MiB"), "{e}");
    let e = scenario::text(big.into_bytes(), "test.toml").unwrap_err();
    assert_eq!((e.line, e.message.contains("16777216 bytes")), (MINIMAL.lines().count() + 1, true), "{e}");
}

#[test]
fn text_locates_invalid_utf8_and_keeps_a_byte_order_mark() {
    let mut bytes = MINIMAL.as_bytes().to_vec();
    let offset = MINIMAL.find("USD\"").unwrap_or(0);
    bytes[offset] = 0xfe;
    let e = scenario::text(bytes, "test.toml").unwrap_err();
    assert_eq!((e.line, e.column), at(MINIMAL, "USD\""));
    assert_eq!(
        e.to_string(),
        format!("test.toml:{}:{}: invalid UTF-8 (bytes \\xfe); a scenario file is UTF-8 text", e.line, e.column)
    );
    let with_bom = format!("\u{feff}{MINIMAL}");
    let text = scenario::text(with_bom.clone().into_bytes(), "test.toml").unwrap_or_default();
    assert_eq!(text, with_bom);
    assert_eq!(ok(&text, &[]), ok(MINIMAL, &[]));
}

#[test]
fn override_paths_and_values_are_bounded_before_they_are_walked() {
    let names = |n: usize| vec!["a"; n].join(".");
    let e = err(MINIMAL, &[&format!("{}=1", names(12_000))]);
    assert!(e.message.contains("more than the maximum of 256"), "{e}");
    let e = err(MINIMAL, &[&format!("{}=1", names(33))]);
    assert!(e.message.contains("has 33 names, more than the maximum of 32"), "{e}");
    let e = err(MINIMAL, &[&format!("exchange.x={}1{}", "[".repeat(31), "]".repeat(31))]);
    assert!(e.message.contains("nested more than 32 levels deep") && e.setting.is_some(), "{e}");
    let e = err(MINIMAL, &[&format!("exchange.x={}1{}", "[".repeat(30), "]".repeat(30))]);
    assert!(e.message.contains("unknown field `x`"), "{e}");
    let deep_set =
        MINIMAL.replace("set = { faults = [\"ioc_rests\"] }", &format!("set = {{ \"exchange.{}\" = 1 }}", names(40)));
    let e = err(&deep_set, &[]);
    assert!(e.message.contains("has 41 names") && e.origin == "test.toml", "{e}");
}

#[test]
fn sources_are_bounded() {
    let list = |n: usize| vec!["\"s\""; n].join(", ");
    let src = |n: usize| edit("name = \"minimal\"", &format!("name = \"minimal\"\nsources = [{}]", list(n)));
    assert_eq!(ok(&src(100), &[]).runs[0].sources.len(), 100);
    let e = err(&src(101), &[]);
    assert!(e.field == "sources" && e.message.contains("101 sources, more than the maximum of 100"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Never a panic

/// Parses; an error must display without control characters, in at most 4 KiB (SPEC §13).
fn no_panic(source: &str, overrides: &[Override]) {
    if let Err(e) = scenario::parse(source, "prop", overrides) {
        let shown = e.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.len() <= 4096, "{} bytes", shown.len());
    }
}

/// Field paths and values overrides are drawn from: valid, misspelt, or nonsense.
const PATHS: [&str; 12] = [
    "seed",
    "duration",
    "agents.noise.count",
    "agents.noize.count",
    "agents.x",
    "markets.BTC-USD.tick",
    "exchange.crash_at",
    "faults",
    "expect",
    "agents.makers.funding.BTC",
    "a.b.c.d",
    "",
];
const VALUES: [&str; 12] = [
    "0",
    "1",
    "-1",
    "1.5",
    "\"2s\"",
    "2s",
    "[]",
    "[\"1s\"]",
    "{}",
    "{ kind = \"depositor\" }",
    "9223372036854775808",
    "nan",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,400}") {
        no_panic(&source, &[]);
    }

    #[test]
    fn toml_shaped_text_never_panics(source in "([a-z_.\\[\\]\"= 0-9{},\n-]|\"[a-zA-Z0-9_.-]{0,6}\"){0,80}") {
        no_panic(&source, &[]);
    }

    #[test]
    fn mutated_quickstart_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8),
    ) {
        let mut bytes = scenario::QUICKSTART.as_bytes().to_vec();
        for (at, op, byte) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match op {
                0 if i < bytes.len() => { bytes.remove(i); }
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        no_panic(&String::from_utf8_lossy(&bytes), &[]);
    }

    #[test]
    fn mutated_minimal_with_overrides_never_panics(
        cut in 0usize..MINIMAL.len(),
        line in "[a-z_.]{0,12} = [\"a-z0-9.\\[\\]{}]{0,12}",
        overrides in proptest::collection::vec((0..PATHS.len(), 0..VALUES.len()), 0..4),
    ) {
        let overrides: Vec<Override> = overrides
            .into_iter()
            .map(|(p, v)| Override { field: PATHS[p].to_owned(), value: VALUES[v].to_owned() })
            .collect();
        let at = (0..=cut).rev().find(|&i| MINIMAL.is_char_boundary(i)).unwrap_or(0);
        let source = format!("{}\n{line}\n{}", &MINIMAL[..at], &MINIMAL[at..]);
        no_panic(&source, &overrides);
        no_panic(MINIMAL, &overrides);
    }
}

// ---------------------------------------------------------------------------------------------
// The fuzz target's committed corpus, replayed on stable

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/scenario_parse")
}

#[test]
fn fuzz_corpus_replays_clean() {
    let mut paths: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("fuzz/corpus/scenario_parse")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(paths.len() >= 40, "only {} inputs in {}", paths.len(), corpus_dir().display());
    for path in &paths {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // As the target reads it: the file's bytes (empty: the quickstart), then after a NUL
        // byte one override per line. An error must display without control characters, in
        // at most 4 KiB.
        let outcome = std::panic::catch_unwind(|| {
            let (file, sets) = match data.iter().position(|&b| b == 0) {
                Some(i) => (&data[..i], &data[i + 1..]),
                None => (&data[..], &[][..]),
            };
            let source = if file.is_empty() {
                scenario::QUICKSTART.to_owned()
            } else {
                match scenario::text(file.to_vec(), "fuzz") {
                    Ok(source) => source,
                    Err(e) => return Some(Err(e)),
                }
            };
            let sets = std::str::from_utf8(sets).ok()?;
            let overrides: Vec<Override> = sets.lines().filter_map(|line| line.parse().ok()).collect();
            Some(scenario::parse(&source, "fuzz", &overrides))
        });
        if let Ok(Some(Err(e))) = &outcome {
            let message = e.to_string();
            assert!(!message.chars().any(char::is_control), "{}: {message:?}", path.display());
            assert!(message.len() <= 4096, "{}: {} bytes", path.display(), message.len());
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        match outcome {
            Err(_) => {
                panic!("{} panics; replay it with `cargo fuzz run scenario_parse {}`", path.display(), path.display())
            }
            // Seeds named `bad-*` show error paths; every other seed is a valid scenario to mutate.
            Ok(Some(Err(e))) => assert!(name.starts_with("bad-"), "{}: {e}", path.display()),
            Ok(Some(Ok(_))) => assert!(!name.starts_with("bad-"), "{} parses", path.display()),
            Ok(None) => assert!(name.starts_with("bad-"), "{} is not UTF-8", path.display()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Custody: per-asset policy and chain, `[policy]`, `[custody]`, and the custody agent kinds

/// MINIMAL's BTC asset with every custody field set, `[policy]` and `[custody]`, and a group of
/// each custody agent kind.
fn custody_file() -> String {
    let custody = r#"[assets.BTC]
decimals = 8
confirmations = 3
block_interval = "600s"
daily_limit = "10"
outflow_cap = "100.5"
outflow_window = "12h"
review_above = "50"
hot_share = "12.5%"

[policy]
withdrawal_whitelist = true
whitelist_delay = "48h"
hot_wallet_multisig = true

[custody]
withdrawal_delay = "1s"
review_delay = "2h"
review_approves = false
sweep_delay = "30m"
reserves_check = "10m"
alarm_delay = "5m"
healing = "1d"
"#;
    let agents = r#"
[agents.savers]
kind = "withdrawer"
asset = "BTC"
max_deposit = "0.5"
withdraw_share = "25%"

[agents.run]
kind = "bank_run"
count = 4
asset = "USD"
market = "BTC-USD"
drop = "20%"
spread = "2s"

[agents.gox]
kind = "malleability_claimant"
asset = "BTC"
max_amount = "1"
claim_after = "1h"

[agents.racer]
kind = "withdrawal_racer"
asset = "USD"
mode = "transfer"
burst = 7

[agents.thief]
kind = "hot_wallet_thief"
asset = "BTC"
share = "0.5%"
thefts = 100
interval = "1h"

[agents.quadriga]
kind = "insider"
asset = "USD"
amount = "1000"

[[variants]]"#;
    let src = MINIMAL.replacen("[assets.BTC]\ndecimals = 8\n", custody, 1).replacen("\n[[variants]]", agents, 1);
    src.replacen("max_inventory = \"1\"\n", "max_inventory = \"1\"\nprivileged = true\n", 1)
}

#[test]
fn custody_defaults_leave_the_exchange_as_it_was() {
    let run = &ok(MINIMAL, &[]).runs[0];
    let c = &run.custody;
    assert_eq!(c.policy.assets, vec![exsim::exchange::AssetPolicy::default(); 2]);
    assert_eq!((c.policy.whitelist, c.policy.whitelist_delay_ns, c.policy.hot_multisig), (false, 86_400 * S, false));
    assert!(c.chains.iter().all(|chain| chain.block_interval_ns == S) && c.chains.len() == 2);
    assert_eq!(
        (c.withdrawal_delay_ns, c.review_delay_ns, c.sweep_delay_ns, c.reserves_check_ns, c.alarm_delay_ns),
        (100_000_000, 3_600 * S, 600 * S, 60 * S, 0)
    );
    assert_eq!(c.healing_ns, 0);
    assert!(c.review_approves);
    assert!(run.agents.iter().all(|g| !g.privileged && !g.attacker));
    assert_eq!(exsim::sim::run::exchange_config(run).custody, c.policy);
}

const S: u64 = 1_000_000_000;

#[test]
fn custody_fields_parse_exactly_into_minor_units() {
    let src = custody_file();
    let run = &ok(&src, &[]).runs[0];
    let c = &run.custody;
    let btc = c.policy.asset(0);
    assert_eq!(
        btc,
        exsim::exchange::AssetPolicy {
            confirmations: 3,
            daily_limit: Some(1_000_000_000),
            outflow_cap: Some(10_050_000_000),
            outflow_window_ns: 12 * 3_600 * S,
            review_above: Some(5_000_000_000),
            hot_share_bps: 1_250,
        }
    );
    assert_eq!(c.policy.asset(1), exsim::exchange::AssetPolicy::default(), "USD says nothing");
    assert_eq!((c.chains[0].block_interval_ns, c.chains[1].block_interval_ns), (600 * S, S));
    assert_eq!((c.policy.whitelist, c.policy.whitelist_delay_ns, c.policy.hot_multisig), (true, 48 * 3_600 * S, true));
    assert_eq!(
        (c.withdrawal_delay_ns, c.review_delay_ns, c.sweep_delay_ns, c.reserves_check_ns, c.alarm_delay_ns),
        (S, 7_200 * S, 1_800 * S, 600 * S, 300 * S)
    );
    assert_eq!(c.healing_ns, 86_400 * S);
    assert!(!c.review_approves);
    assert_eq!(exsim::sim::run::exchange_config(run).custody, c.policy);
    let group = |name: &str| run.agents.iter().find(|g| g.name == name).unwrap();
    assert!(group("makers").privileged && !group("noise").privileged);
    for (name, attacker) in
        [("savers", false), ("run", false), ("gox", true), ("racer", true), ("thief", true), ("quadriga", true)]
    {
        assert_eq!(group(name).attacker, attacker, "{name}");
    }
    use exsim::agents::{bank_run, hot_wallet_thief, insider, malleability_claimant, withdrawal_racer, withdrawer};
    assert_eq!(
        group("savers").behaviour,
        Behaviour::Withdrawer(withdrawer::Params {
            asset: AssetId(0),
            mean_interval_ns: S,
            deposit_max: 50_000_000,
            withdraw_percent: 50,
            withdraw_share_bps: 2_500,
        })
    );
    assert_eq!(
        group("run").behaviour,
        Behaviour::BankRun(bank_run::Params {
            asset: AssetId(1),
            drop: Some((MarketId(0), 2_000)),
            poll_ns: S,
            spread_ns: 2 * S
        })
    );
    assert_eq!(
        group("gox").behaviour,
        Behaviour::MalleabilityClaimant(malleability_claimant::Params {
            asset: AssetId(0),
            mean_interval_ns: 10 * S,
            amount_max: 100_000_000,
            malleate_after_ns: 200_000_000,
            claim_after_ns: 3_600 * S,
        })
    );
    assert_eq!(
        group("racer").behaviour,
        Behaviour::WithdrawalRacer(withdrawal_racer::Params {
            asset: AssetId(1),
            burst: 7,
            mode: withdrawal_racer::Mode::Transfer,
            interval_ns: None
        })
    );
    assert_eq!(
        group("thief").behaviour,
        Behaviour::HotWalletThief(hot_wallet_thief::Params {
            asset: AssetId(0),
            share_bps: 50,
            thefts: 100,
            interval_ns: 3_600 * S
        })
    );
    assert_eq!(
        group("quadriga").behaviour,
        Behaviour::Insider(insider::Params {
            asset: AssetId(1),
            amount: 100_000,
            withdraw_after_ns: S,
            times: 1,
            interval_ns: 3_600 * S
        })
    );
}

#[test]
fn custody_overrides_go_through_the_same_tree() {
    let run = &ok(
        MINIMAL,
        &[
            "assets.BTC.daily_limit=\"2.5\"",
            "assets.USD.hot_share=\"5%\"",
            "policy.hot_wallet_multisig=true",
            "custody.healing=2h",
            "agents.makers.privileged=true",
        ],
    )
    .runs[0];
    assert_eq!(run.custody.policy.asset(0).daily_limit, Some(250_000_000));
    assert_eq!(run.custody.policy.asset(1).hot_share_bps, 500);
    assert!(run.custody.policy.hot_multisig);
    assert_eq!(run.custody.healing_ns, 7_200 * S);
    assert!(run.agents[1].privileged);
    let src = custody_file();
    let run = &ok(&src, &["assets.BTC.daily_limit=none"]).runs[0];
    assert_eq!(run.custody.policy.asset(0).daily_limit, None, "\"none\" lifts a limit");
    let e = err(MINIMAL, &["policy.login_2f=true"]);
    assert_eq!((e.origin.as_str(), e.field.as_str()), ("--set", "policy.login_2f"), "{e}");
    assert!(e.message.contains("did you mean `login_2fa`"), "{e}");
}

#[test]
fn bad_custody_fields_are_located_with_what_would_be_valid() {
    let src = custody_file();
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // (from, to, needle, field, says)
        (
            "confirmations = 3",
            "confirmation = 3",
            "confirmation",
            "assets.BTC.confirmation",
            "did you mean `confirmations`",
        ),
        ("confirmations = 3", "confirmations = 0", "0\nblock", "assets.BTC.confirmations", "below the minimum, 1"),
        ("confirmations = 3", "confirmations = 10001", "10001", "assets.BTC.confirmations", "the maximum, 10000"),
        (
            "block_interval = \"600s\"",
            "block_interval = \"1us\"",
            "\"1us\"",
            "assets.BTC.block_interval",
            "at least 1ms",
        ),
        (
            "daily_limit = \"10\"",
            "daily_limit = 10.5",
            "10.5",
            "assets.BTC.daily_limit",
            "write `daily_limit = \"10.5\"`",
        ),
        ("daily_limit = \"10\"", "daily_limit = \"0\"", "\"0\"", "assets.BTC.daily_limit", "or \"none\" for no limit"),
        (
            "daily_limit = \"10\"",
            "daily_limit = \"nope\"",
            "\"nope\"",
            "assets.BTC.daily_limit",
            "or \"none\" for no limit",
        ),
        (
            "outflow_cap = \"100.5\"",
            "outflow_cap = \"0.000000001\"",
            "\"0.000000001\"",
            "assets.BTC.outflow_cap",
            "BTC",
        ),
        ("hot_share = \"12.5%\"", "hot_share = \"12.5\"", "\"12.5\"", "assets.BTC.hot_share", "has no `%`"),
        ("hot_share = \"12.5%\"", "hot_share = \"100.01%\"", "\"100.01%\"", "assets.BTC.hot_share", "0% to 100%"),
        (
            "hot_share = \"12.5%\"",
            "hot_share = \"0.001%\"",
            "\"0.001%\"",
            "assets.BTC.hot_share",
            "whole number of basis points",
        ),
        (
            "withdrawal_whitelist = true",
            "withdrawl_whitelist = true",
            "withdrawl_whitelist",
            "policy.withdrawl_whitelist",
            "did you mean `withdrawal_whitelist`",
        ),
        (
            "withdrawal_whitelist = true",
            "withdrawal_whitelist = \"true\"",
            "\"true\"",
            "policy.withdrawal_whitelist",
            "without quotes",
        ),
        ("withdrawal_whitelist = true", "login_2fa = \"yes\"", "\"yes\"", "policy.login_2fa", "true or false"),
        ("healing = \"1d\"", "heal = \"1d\"", "heal =", "custody.heal", "did you mean `healing`"),
        (
            "reserves_check = \"10m\"",
            "reserves_check = \"10us\"",
            "\"10us\"",
            "custody.reserves_check",
            "0s (no monitor) or at least 1ms",
        ),
        (
            "kind = \"withdrawal_racer\"",
            "kind = \"withdrawl_racer\"",
            "\"withdrawl_racer\"",
            "agents.racer.kind",
            "did you mean `withdrawal_racer`",
        ),
        (
            "mode = \"transfer\"",
            "mode = \"transfers\"",
            "\"transfers\"",
            "agents.racer.mode",
            "did you mean `transfer`",
        ),
        ("burst = 7", "burst = 1001", "1001", "agents.racer.burst", "the maximum, 1000"),
        ("thefts = 100", "thefts = 10001", "10001", "agents.thief.thefts", "the maximum, 10000"),
        ("share = \"0.5%\"", "share = \"0%\"", "\"0%\"", "agents.thief.share", "0.01% to 100%"),
        ("drop = \"20%\"", "drop = \"100%\"", "\"100%\"", "agents.run.drop", "0.01% to 99.99%"),
        ("privileged = true", "privileged = 1", "1\n", "agents.makers.privileged", "expected true or false"),
        (
            "claim_after = \"1h\"",
            "claim_afer = \"1h\"",
            "claim_afer",
            "agents.gox.claim_afer",
            "did you mean `claim_after`",
        ),
        (
            "max_deposit = \"0.5\"",
            "max_deposit = \"0\"",
            "\"0\"\nwithdraw_share",
            "agents.savers.max_deposit",
            "must be positive",
        ),
    ];
    for (from, to, needle, field, says) in cases {
        assert!(src.contains(from), "{from:?}");
        let bad = src.replacen(from, to, 1);
        let e = err(&bad, &[]);
        assert_located(&e, &bad, needle, field, says);
    }
    // `drop` needs its market.
    let bad = src.replacen("market = \"BTC-USD\"\ndrop", "drop", 1);
    let e = err(&bad, &[]);
    assert_eq!(e.field, "agents.run.market", "{e}");
    assert!(e.message.contains("needs the `market`"), "{e}");
    // Blocks over the run and its healing phase are bounded.
    let bad = src.replacen("block_interval = \"600s\"", "block_interval = \"1ms\"", 1).replacen(
        "duration = \"1s\"",
        "duration = \"30d\"",
        1,
    );
    let e = err(&bad, &[]);
    assert_located(&e, &bad, "\"1ms\"", "assets.BTC.block_interval", "more than the maximum of 10000000");
}

#[test]
fn the_trading_policy_parses_with_its_defaults() {
    use exsim::exchange::{CircuitBreaker, TradingPolicy};
    let run = &ok(MINIMAL, &[]).runs[0];
    assert_eq!(run.custody.trading, TradingPolicy { circuit_breaker: None, freeze_on_alert: true });
    let run = &ok(MINIMAL, &["policy.circuit_breaker=\"10%\"", "policy.freeze_on_alert=false"]).runs[0];
    let five_minutes = 300 * S;
    let breaker = CircuitBreaker { band_bps: 1_000, halt_ns: five_minutes };
    assert_eq!(run.custody.trading, TradingPolicy { circuit_breaker: Some(breaker), freeze_on_alert: false });
    let run = &ok(MINIMAL, &["policy.circuit_breaker=\"0.5%\"", "policy.circuit_breaker_halt=\"30s\""]).runs[0];
    assert_eq!(run.custody.trading.circuit_breaker, Some(CircuitBreaker { band_bps: 50, halt_ns: 30 * S }));
    let run = &ok(MINIMAL, &["policy.circuit_breaker=none"]).runs[0];
    assert_eq!(run.custody.trading.circuit_breaker, None);
}

#[test]
fn bad_trading_policy_fields_are_located_with_what_would_be_valid() {
    let src = custody_file().replacen(
        "withdrawal_whitelist = true",
        "withdrawal_whitelist = true\ncircuit_breaker = \"10%\"\ncircuit_breaker_halt = \"5m\"\nfreeze_on_alert = false",
        1,
    );
    assert!(ok(&src, &[]).runs[0].custody.trading.circuit_breaker.is_some());
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // (from, to, needle, field, says)
        ("circuit_breaker = \"10%\"", "circuit_breaker = \"0%\"", "\"0%\"", "policy.circuit_breaker", "0.01% to 100%"),
        (
            "circuit_breaker = \"10%\"",
            "circuit_breaker = \"150%\"",
            "\"150%\"",
            "policy.circuit_breaker",
            "or \"none\" for no circuit breaker",
        ),
        ("circuit_breaker = \"10%\"", "circuit_breaker = 10", "10\n", "policy.circuit_breaker", "percentage string"),
        ("circuit_breaker = \"10%\"", "circuit_breaker = \"off\"", "\"off\"", "policy.circuit_breaker", "\"none\""),
        (
            "circuit_breaker_halt = \"5m\"",
            "circuit_breaker_halt = \"0s\"",
            "\"0s\"",
            "policy.circuit_breaker_halt",
            "must be greater than 0",
        ),
        (
            "circuit_breaker_halt = \"5m\"",
            "circuit_breaker_halt = 5",
            "5\n",
            "policy.circuit_breaker_halt",
            "duration string with a unit",
        ),
        (
            "circuit_breaker = \"10%\"",
            "circuit_breaker = \"none\"",
            "\"5m\"",
            "policy.circuit_breaker_halt",
            "a halt without a circuit breaker changes nothing",
        ),
        ("freeze_on_alert = false", "freeze_on_alert = \"no\"", "\"no\"", "policy.freeze_on_alert", "true or false"),
        (
            "freeze_on_alert = false",
            "freeze_on_alarm = false",
            "freeze_on_alarm",
            "policy.freeze_on_alarm",
            "did you mean `freeze_on_alert`",
        ),
    ];
    for (from, to, needle, field, says) in cases {
        assert!(src.contains(from), "{from:?}");
        let bad = src.replacen(from, to, 1);
        let e = err(&bad, &[]);
        assert_located(&e, &bad, needle, field, says);
    }
}

#[test]
fn the_readme_documents_every_kind_and_custody_field() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/README.md")).unwrap();
    let row = |field: &str| format!("| `{field}` |");
    for kind in exsim::agents::KINDS {
        assert!(readme.contains(&format!("`{}`", kind.about.name)), "{} undocumented", kind.about.name);
        for field in kind.about.fields {
            assert!(readme.contains(&row(field)), "{}.{field} undocumented", kind.about.name);
        }
    }
    for p in exsim::scenario::policies::POLICIES.iter().filter(|p| p.modelled) {
        let field = p.field.rsplit('.').next().unwrap();
        assert!(readme.contains(&row(field)), "{} undocumented", p.field);
    }
    for field in [
        "confirmations",
        "block_interval",
        "outflow_window",
        "withdrawal_delay",
        "review_delay",
        "sweep_delay",
        "reserves_check",
        "alarm_delay",
        "healing",
        "review_approves",
        "privileged",
        "api_key",
        "operator_password_reused",
        "source_ip_restriction",
        "keys_in_source",
        "reset_alert",
    ] {
        assert!(readme.contains(&row(field)), "{field} undocumented");
    }
}

/// Breach bounds in `[expect]`: per-asset amounts in the asset's units, and a detection delay.
#[test]
fn breach_expectations_parse_exactly_and_bad_ones_are_located() {
    let src = edit(
        "duration = \"1s\"",
        "duration = \"1s\"\n[expect]\nstolen_at_least = { BTC = \"0.5\" }\nstolen_at_most = { BTC = \"2\", USD = \"0\" }\nshortfall_at_most = { USD = \"10.25\" }\ndetected_within = \"11h\"",
    );
    let e = &ok(&src, &[]).runs[0].expect;
    assert_eq!(e.stolen_at_least, [(AssetId(0), 50_000_000)]);
    assert_eq!(e.stolen_at_most, [(AssetId(0), 200_000_000), (AssetId(1), 0)]);
    assert_eq!(
        (e.shortfall_at_least.as_slice(), e.shortfall_at_most.as_slice()),
        (&[][..], &[(AssetId(1), 1_025)][..])
    );
    assert_eq!(e.detected_within_ns, Some(11 * 3_600 * 1_000_000_000));

    let src = edit("duration = \"1s\"", "duration = \"1s\"\n[expect]\nstolen_at_most = { BTX = \"1\" }");
    let e = err(&src, &[]);
    assert_located(&e, &src, "BTX", "expect.stolen_at_most.BTX", "did you mean `BTC`");
    let src = edit("duration = \"1s\"", "duration = \"1s\"\n[expect]\nshortfall_at_least = { BTC = \"-1\" }");
    let e = err(&src, &[]);
    assert_located(&e, &src, "\"-1\"", "expect.shortfall_at_least.BTC", "must not be negative");
    let src = edit("duration = \"1s\"", "duration = \"1s\"\n[expect]\nstolen_at_mots = { BTC = \"1\" }");
    let e = err(&src, &[]);
    assert!(e.to_string().contains("did you mean `stolen_at_most`"), "{e}");
}
