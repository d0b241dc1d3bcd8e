//! Hostile inputs: numbers (issue 7, classes 1 and 9). Ticks, lots, decimals, prices, fees and
//! amounts at and past every bound: each file gives exit 2 with a located message from both
//! `check` and `run`, or runs correctly (see `main.rs` for what every row checks).

use super::*;

/// A one-market scenario, BASE/QUOTE, with the given numbers and a crowd of every agent kind.
struct Numbers {
    base_decimals: u32,
    quote_decimals: u32,
    tick: &'static str,
    lot: &'static str,
    initial_price: &'static str,
    maker_fee_bps: &'static str,
    taker_fee_bps: &'static str,
    volatility_ticks: &'static str,
    /// Each agent's funding: (BASE, QUOTE).
    funding: (&'static str, &'static str),
    /// The depositor's largest single amount of QUOTE.
    max_amount: &'static str,
    /// The house's funding: (BASE, QUOTE).
    house: (&'static str, &'static str),
    duration: &'static str,
}

const PLAIN: Numbers = Numbers {
    base_decimals: 8,
    quote_decimals: 2,
    tick: "1",
    lot: "0.01",
    initial_price: "30000",
    maker_fee_bps: "2",
    taker_fee_bps: "10",
    volatility_ticks: "3",
    funding: ("50", "2000000"),
    max_amount: "1000",
    house: ("200", "6000000"),
    duration: "200ms",
};

impl Numbers {
    fn toml(&self) -> String {
        let Numbers { base_decimals, quote_decimals, tick, lot, initial_price, .. } = self;
        let (maker, taker, vol) = (self.maker_fee_bps, self.taker_fee_bps, self.volatility_ticks);
        let (fb, fq) = self.funding;
        let (hb, hq) = self.house;
        let (max_amount, duration) = (self.max_amount, self.duration);
        format!(
            r#"name = "numbers"
duration = "{duration}"

[assets.BASE]
decimals = {base_decimals}

[assets.QUOTE]
decimals = {quote_decimals}

[markets.M]
base = "BASE"
quote = "QUOTE"
tick = "{tick}"
lot = "{lot}"
maker_fee_bps = {maker}
taker_fee_bps = {taker}
initial_price = "{initial_price}"
volatility_ticks = {vol}

[exchange]
house_funding = {{ BASE = "{hb}", QUOTE = "{hq}" }}

[agents.makers]
kind = "market_maker"
count = 2
funding = {{ BASE = "{fb}", QUOTE = "{fq}" }}
market = "M"
size = "{lot}"
max_inventory = "{lot}"

[agents.noise]
kind = "noise_trader"
count = 5
funding = {{ BASE = "{fb}", QUOTE = "{fq}" }}
market = "M"
max_size = "{lot}"
price_band_ticks = 50

[agents.rfq]
kind = "rfq_taker"
count = 2
funding = {{ BASE = "{fb}", QUOTE = "{fq}" }}
market = "M"
max_size = "{lot}"
think_min = "1ms"
think_max = "5ms"

[agents.momentum]
kind = "momentum_trader"
funding = {{ BASE = "{fb}", QUOTE = "{fq}" }}
market = "M"
size = "{lot}"
threshold_ticks = 1
lookback = 2

[agents.depositors]
kind = "depositor"
count = 2
asset = "QUOTE"
max_amount = "{max_amount}"
funding = {{ QUOTE = "{fq}" }}
"#
        )
    }
}

/// Both `check` and `run` of `numbers` must fail with exit 2 and a message with `fragments`.
fn rejected(name: &'static str, numbers: &Numbers, fragments: &'static [&'static str]) -> [Case; 2] {
    let text = numbers.toml();
    [
        Case::new(name, &["check", "numbers.toml"], Expect::BadInput(fragments)).file("numbers.toml", text.clone()),
        Case::new(name, &["run", "numbers.toml"], Expect::BadInput(fragments)).file("numbers.toml", text),
    ]
}

/// `check` accepts `numbers` and `run` completes with every expectation met.
fn runs(name: &'static str, numbers: &Numbers) -> [Case; 2] {
    let text = numbers.toml();
    [
        Case::new(name, &["check", "numbers.toml"], Expect::Runs(0, &["ok"])).file("numbers.toml", text.clone()),
        Case::new(name, &["run", "numbers.toml"], Expect::Runs(0, &["numbers / base", "expectations met"]))
            .file("numbers.toml", text),
    ]
}

#[test]
fn minimal_scenario_runs() {
    run_table(&[Case::new("minimal scenario", &["run", "hostile.toml"], Expect::Runs(0, &["hostile"]))
        .file("hostile.toml", MINIMAL)]);
}

#[test]
fn the_plain_crowd_runs() {
    // The template itself is valid: every rejection below is caused by the one number it changes.
    run_table(&runs("plain numbers", &PLAIN));
}

#[test]
fn tick_times_lot_is_exact() {
    let mut cases = Vec::new();
    // The issue's example: 1e-11 × 1e-18 rounds to 0 at Decimal's 28 places; it passed `check` and
    // panicked `run`.
    let issue = Numbers {
        base_decimals: 18,
        quote_decimals: 0,
        tick: "0.00000000001",
        lot: "0.000000000000000001",
        initial_price: "1",
        ..PLAIN
    };
    cases.extend(rejected(
        "tick × lot below one minor unit at 28 places",
        &issue,
        &[
            "numbers.toml:10:1",
            "markets.M",
            "is not a whole number of QUOTE minor units (1)",
            "choose a larger tick or lot",
        ],
    ));
    let both18 = Numbers {
        base_decimals: 18,
        quote_decimals: 18,
        tick: "0.000000000000000001",
        lot: "0.000000000000000001",
        initial_price: "0.000000000000000001",
        ..PLAIN
    };
    cases.extend(rejected(
        "tick × lot = 1e-36 with 18 decimals each",
        &both18,
        &[
            "numbers.toml:10:1",
            "markets.M",
            "tick size 0.000000000000000001 × lot size 0.000000000000000001",
            "(0.000000000000000001)",
        ],
    ));
    let cents = Numbers { tick: "0.01", lot: "0.01", ..PLAIN };
    cases.extend(rejected(
        "tick × lot = 0.0001 with a 2-decimal quote",
        &cents,
        &["numbers.toml:10:1", "= 0.0001 QUOTE is not a whole number of QUOTE minor units (0.01)"],
    ));
    let sub_minor_lot = Numbers { lot: "0.000000001", ..PLAIN };
    cases.extend(rejected(
        "lot finer than the base's minor unit",
        &sub_minor_lot,
        &["numbers.toml:14:7", "markets.M.lot", "not a multiple of 0.00000001"],
    ));
    // Valid at the finest scales: 1e-11 × 1e-7 = 1e-18, exactly one minor unit of an
    // 18-decimal quote.
    let finest = Numbers {
        base_decimals: 18,
        quote_decimals: 18,
        tick: "0.00000000001",
        lot: "0.0000001",
        initial_price: "0.0001",
        funding: ("1000000", "1000000"),
        max_amount: "1000",
        house: ("1000000", "1000000"),
        ..PLAIN
    };
    cases.extend(runs("tick × lot exactly one minor unit of an 18-decimal quote", &finest));
    // Whole units on both sides, no decimals at all.
    let whole = Numbers {
        base_decimals: 0,
        quote_decimals: 0,
        tick: "1",
        lot: "1",
        initial_price: "100",
        funding: ("1000", "1000000"),
        house: ("1000", "1000000"),
        ..PLAIN
    };
    cases.extend(runs("0-decimal base and quote", &whole));
    run_table(&cases);
}

#[test]
fn prices_and_ticks_at_their_bounds() {
    let mut cases = Vec::new();
    let fine_tick = Numbers {
        base_decimals: 0,
        quote_decimals: 18,
        tick: "0.0000000000000000000000000001",
        lot: "10000000000",
        initial_price: "1",
        ..PLAIN
    };
    cases.extend(rejected(
        "a 28-place tick: price 1 is 10^28 ticks",
        &fine_tick,
        &["numbers.toml:17:17", "markets.M.initial_price", "is too large: more than 18446744073709551615 steps"],
    ));
    let off_tick = Numbers { tick: "0.5", lot: "0.02", initial_price: "100.25", ..PLAIN };
    cases.extend(rejected(
        "initial price between ticks",
        &off_tick,
        &["numbers.toml:17:17", "markets.M.initial_price", "nearest valid values are 100 and 100.5"],
    ));
    let below_one_tick =
        Numbers { base_decimals: 18, quote_decimals: 0, tick: "1000", lot: "1", initial_price: "300", ..PLAIN };
    cases.extend(rejected(
        "initial price below one tick",
        &below_one_tick,
        &["numbers.toml:17:17", "markets.M.initial_price", "not a multiple of 1000; the nearest valid value is 1000"],
    ));
    let too_many_ticks = Numbers { initial_price: "1000000000001", ..PLAIN };
    cases.extend(rejected(
        "initial price past the tick bound",
        &too_many_ticks,
        &["numbers.toml:17:17", "markets.M.initial_price", "more than the maximum of 1000000000000 ticks"],
    ));
    let digits = Numbers { tick: "79228162514264337593543950335", ..PLAIN };
    cases.extend(rejected(
        "a tick with 29 digits",
        &digits,
        &["numbers.toml:13:8", "markets.M.tick", "too many digits"],
    ));
    let zero_tick = Numbers { tick: "0", ..PLAIN };
    cases.extend(rejected("a zero tick", &zero_tick, &["numbers.toml:13:8", "markets.M.tick", "must be positive"]));
    let negative_lot = Numbers { lot: "-0.01", ..PLAIN };
    cases.extend(rejected("a negative lot", &negative_lot, &["numbers.toml:14:7", "markets.M.lot", "negative"]));
    let exponent = Numbers { initial_price: "3e4", ..PLAIN };
    cases.extend(rejected(
        "an exponent in a price",
        &exponent,
        &["numbers.toml:17:17", "markets.M.initial_price", "not a decimal"],
    ));
    // The fair value walks into the market's highest price (10^7 ticks of 10^20 QUOTE: one lot
    // of 10 costs 10^28, the largest amount) and stays there; agents never price above it, the
    // house refuses quotes above it (`price_too_high`); fills happen at the top and every
    // invariant holds.
    let walk_to_the_top = Numbers {
        base_decimals: 0,
        quote_decimals: 0,
        tick: "100000000000000000000",
        lot: "10",
        initial_price: "900000000000000000000000000",
        volatility_ticks: "1000000000",
        funding: ("100000", "1000000000000000000000000"),
        house: ("100000", "1000000000000000000000000000"),
        duration: "1s",
        ..PLAIN
    };
    cases.extend(runs("fair value at the market's highest price", &walk_to_the_top));
    let above_the_top = Numbers { initial_price: "1000000100000000000000000000", ..walk_to_the_top };
    cases.extend(rejected(
        "initial price above the market's highest",
        &above_the_top,
        &[
            "numbers.toml:17:17",
            "markets.M.initial_price",
            "is 10000001 ticks, above this market's highest price of 10000000 ticks (1000000000000000000000000000 QUOTE)",
        ],
    ));
    let lot_past_the_cap = Numbers { base_decimals: 18, lot: "10000000001", ..PLAIN };
    cases.extend(rejected(
        "one lot past the largest amount",
        &lot_past_the_cap,
        &[
            "numbers.toml:10:1",
            "markets.M",
            "lot size 10000000001 is 10000000001000000000000000000 minor units of BASE",
            "more than the largest amount of 10000000000000000000000000000",
        ],
    ));
    let tick_lot_past_the_cap =
        Numbers { quote_decimals: 0, tick: "100000000000000000000000000", lot: "1000", ..PLAIN };
    cases.extend(rejected(
        "tick × lot past the largest amount",
        &tick_lot_past_the_cap,
        &[
            "numbers.toml:10:1",
            "markets.M",
            "tick size 100000000000000000000000000 × lot size 1000",
            "more than the largest amount",
        ],
    ));
    run_table(&cases);
}

#[test]
fn amounts_at_real_scale() {
    let mut cases = Vec::new();
    // ETH in wei: millions of units per account, a billion in all.
    let eth = Numbers {
        base_decimals: 18,
        tick: "1",
        lot: "0.01",
        initial_price: "3000",
        funding: ("1000000", "1000000000"),
        house: ("100000000", "100000000000"),
        max_amount: "1000000000",
        ..PLAIN
    };
    cases.extend(runs("millions of ETH per account", &eth));
    // Agents' funding up to the total bound: 12 agents fund QUOTE, and 12 × 208333333333333333333333333
    // minor units is 4 below 2.5 × 10^27; one more minor unit each is 8 above it.
    let at_the_bound = Numbers { funding: ("1", "2083333333333333333333333.33"), max_amount: "1", ..PLAIN };
    cases.extend(runs("agent funding just within the total bound", &at_the_bound));
    let past_the_bound = Numbers { funding: ("1", "2083333333333333333333333.34"), max_amount: "1", ..PLAIN };
    cases.extend(rejected(
        "agent funding past the total bound",
        &past_the_bound,
        &["agents.", ".funding.QUOTE", "exceeds 2500000000000000000000000000 minor units (count × amount, summed)"],
    ));
    let one_too_large = Numbers { funding: ("1", "100000000000000000000000000.1"), ..PLAIN };
    cases.extend(rejected(
        "one funding past the largest amount",
        &one_too_large,
        &[
            "numbers.toml:26:33",
            "agents.makers.funding.QUOTE",
            "is too large (at most 100000000000000000000000000 QUOTE, 10000000000000000000000000000 minor units)",
        ],
    ));
    let house = Numbers { house: ("1", "25000000000000000000000000.01"), ..PLAIN };
    cases.extend(rejected(
        "house funding past the total bound",
        &house,
        &[
            "numbers.toml:21:",
            "exchange.house_funding.QUOTE",
            "at most 2500000000000000000000000000 minor units of QUOTE",
        ],
    ));
    let deposit = Numbers { max_amount: "97656250000000000000000.01", ..PLAIN };
    cases.extend(rejected(
        "a depositor's amount past the action bound",
        &deposit,
        &["agents.depositors.max_amount", "more than the maximum of 9765625000000000000000000 minor units"],
    ));
    let sub_minor = Numbers { max_amount: "0.001", ..PLAIN };
    cases.extend(rejected(
        "an amount finer than the asset's minor unit",
        &sub_minor,
        &["agents.depositors.max_amount", "has more than 2 decimal places"],
    ));
    let nines = Numbers { funding: ("1", "9999999999999999999999999999"), ..PLAIN };
    cases.extend(rejected("28 nines of funding", &nines, &["agents.makers.funding.QUOTE", "too large"]));
    run_table(&cases);
}

#[test]
fn fees_at_their_bounds() {
    let mut cases = Vec::new();
    let all = Numbers { maker_fee_bps: "10000", taker_fee_bps: "10000", ..PLAIN };
    cases.extend(runs("fees of 100% on both sides", &all));
    let over = Numbers { maker_fee_bps: "10001", ..PLAIN };
    cases.extend(rejected(
        "a maker fee above 100%",
        &over,
        &["numbers.toml:15:17", "markets.M.maker_fee_bps", "10000"],
    ));
    let huge = Numbers { taker_fee_bps: "99999999999999999999999", ..PLAIN };
    cases.extend(rejected("a fee past u64", &huge, &["numbers.toml:16:17", "markets.M.taker_fee_bps"]));
    run_table(&cases);
}

#[test]
fn decimals_and_overrides() {
    let mut cases = Vec::new();
    let decimals28 = Numbers { quote_decimals: 28, ..PLAIN };
    cases.extend(rejected(
        "a 28-decimal asset",
        &decimals28,
        &["numbers.toml:8:12", "assets.QUOTE.decimals", "the maximum, 18"],
    ));
    let decimals19 = Numbers { base_decimals: 19, ..PLAIN };
    cases.extend(rejected("a 19-decimal asset", &decimals19, &["numbers.toml:5:12", "assets.BASE.decimals", "18"]));
    // The same bounds hold when the number arrives through `--set`.
    let set = |name: &'static str, set: &'static str, fragments: &'static [&'static str]| {
        Case::new(name, &["run", "hostile.toml", "--set", set], Expect::BadInput(fragments))
            .file("hostile.toml", MINIMAL)
    };
    cases.push(set(
        "tick × lot below a cent through --set",
        "markets.BTC-USD.tick=\"0.0000000001\"",
        &["markets.BTC-USD", "is not a whole number of USD minor units (0.01)"],
    ));
    cases.push(set(
        "one lot past the largest amount through --set",
        "markets.BTC-USD.lot=\"1000000000000000000000\"",
        &["markets.BTC-USD", "lot size 1000000000000000000000 is 100000000000000000000000000000 minor units of BTC"],
    ));
    cases.push(set(
        "a 28-place lot through --set",
        "markets.BTC-USD.lot=\"0.0000000000000000000000000001\"",
        &["markets.BTC-USD.lot", "not a multiple of 0.00000001"],
    ));
    run_table(&cases);
}

#[test]
fn custody_at_their_bounds() {
    let mut cases = Vec::new();
    let case = |name: &'static str, sets: &[&'static str], expect: Expect| {
        let mut args = vec!["run", "hostile.toml"];
        for set in sets {
            args.extend(["--set", set]);
        }
        Case::new(name, &args, expect).file("hostile.toml", MINIMAL)
    };
    let bad = |name: &'static str, sets: &[&'static str], fragments: &'static [&'static str]| {
        case(name, sets, Expect::BadInput(fragments))
    };
    cases.push(case(
        "every custody field at its bound, with the custody agents",
        &[
            "assets.BTC.confirmations=10000",
            "assets.BTC.block_interval=\"3s\"",
            "assets.USD.block_interval=\"3s\"",
            "assets.BTC.daily_limit=\"100000000000000000000\"",
            "assets.BTC.outflow_cap=\"0.00000001\"",
            "assets.BTC.outflow_window=\"30d\"",
            "assets.BTC.review_above=\"100000000000000000000\"",
            "assets.BTC.hot_share=\"0%\"",
            "assets.USD.hot_share=\"100%\"",
            "policy.withdrawal_whitelist=true",
            "policy.whitelist_delay=\"30d\"",
            "custody.healing=\"30d\"",
            "custody.reserves_check=\"0s\"",
            "agents.r={ kind = \"withdrawal_racer\", asset = \"BTC\", burst = 1000, funding = { BTC = \"1\" } }",
            "agents.t={ kind = \"hot_wallet_thief\", asset = \"BTC\", thefts = 10000, interval = \"1ms\" }",
            "agents.i={ kind = \"insider\", asset = \"USD\", amount = \"1\", times = 10000, withdraw_after = \"1ms\", interval = \"2ms\" }",
        ],
        Expect::Runs(0, &["hostile / base", "expectations met"]),
    ));
    cases.push(bad("no confirmations", &["assets.BTC.confirmations=0"], &["assets.BTC.confirmations", "minimum, 1"]));
    cases.push(bad(
        "confirmations past the bound",
        &["assets.BTC.confirmations=99999999999999999999"],
        &["assets.BTC.confirmations"],
    ));
    cases.push(bad(
        "a limit past the largest amount",
        &["assets.BTC.daily_limit=\"100000000000000000001\""],
        &["assets.BTC.daily_limit", "BTC"],
    ));
    cases.push(bad(
        "a limit finer than a minor unit",
        &["assets.USD.review_above=\"0.001\""],
        &["assets.USD.review_above", "USD"],
    ));
    cases.push(bad(
        "a million blocks and one",
        &["duration=\"30d\"", "assets.BTC.block_interval=\"1ms\""],
        &["assets.BTC.block_interval", "more than the maximum of 10000000", "use at least 260ms"],
    ));
    cases.push(bad(
        "the healing phase counts toward the blocks",
        &["custody.healing=\"30d\"", "assets.BTC.block_interval=\"3s\"", "assets.USD.block_interval=\"2ms\""],
        &["assets.USD.block_interval", "more than the maximum of 10000000"],
    ));
    cases.push(bad(
        "reserves checks are held to the budget too",
        &["custody.healing=\"30d\"", "custody.reserves_check=\"1ms\""],
        &["custody.reserves_check", "more than the maximum of 10000000"],
    ));
    cases.push(bad("a healing phase past the bound", &["custody.healing=\"31d\""], &["custody.healing", "30d"]));
    cases.push(bad(
        "a share past 100%",
        &["assets.BTC.hot_share=\"100.01%\""],
        &["assets.BTC.hot_share", "0% to 100%"],
    ));
    cases.push(bad(
        "a burst past the bound",
        &["agents.r={ kind = \"withdrawal_racer\", asset = \"BTC\", burst = 1001 }"],
        &["agents.r.burst", "the maximum, 1000"],
    ));
    cases.push(bad(
        "thefts past the bound",
        &["agents.t={ kind = \"hot_wallet_thief\", asset = \"BTC\", thefts = 10001 }"],
        &["agents.t.thefts", "the maximum, 10000"],
    ));
    run_table(&cases);
}
