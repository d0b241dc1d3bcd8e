//! The identity attackers (`credential_stuffer`, `phisher`, `admin_takeover`, `wash_bot`) run
//! end to end against the reference exchange: what each takes is decided by the policy in force,
//! measured by the breach metrics from ground truth (accounts taken over, value stolen, records
//! exposed), and no invariant breaks — a weak policy is not a bug.
//!
//! Each test runs one small scenario twice, changing one policy, and checks both sides: the
//! attack succeeds under the weak setting and is stopped by the safe one.

use exsim::scenario::{self, Scenario};
use exsim::sim::run::{run, RunResult};
use exsim::units::AssetId;

const BTC: AssetId = AssetId(0);
const USD: AssetId = AssetId(1);

/// 40 customers holding dollars and bitcoin, an idle market, the `extra` groups and the `[policy]`
/// lines `policy`; half of everyone reused the leaked password; 200 customers with no agent; no
/// network faults; then the overrides `sets`.
fn scenario(policy: &str, extra: &str, sets: &[&str]) -> Scenario {
    let text = format!(
        r#"
name = "attackers"
duration = "2h"
[assets.BTC]
decimals = 8
block_interval = "60s"
[assets.USD]
decimals = 2
block_interval = "60s"
[markets.BTC-USD]
base = "BTC"
quote = "USD"
tick = "1"
lot = "0.01"
initial_price = "100"
[policy]
{policy}
[identity]
password_reuse = "0.5"
population = 200
[network]
loss = "0"
duplicate = "0"
reorder = "0"
[agents.customers]
kind = "withdrawer"
count = 40
funding = {{ BTC = "1", USD = "1000" }}
asset = "BTC"
interval = "30d"
max_deposit = "0.00000001"
withdraw_percent = 0
{extra}
"#
    );
    let overrides: Vec<exsim::scenario::Override> =
        sets.iter().map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))).collect();
    scenario::parse(&text, "attackers.toml", &overrides).unwrap_or_else(|e| panic!("{e}")).runs.remove(0)
}

fn simulate(s: &Scenario) -> RunResult {
    let r = run(s, None).expect("a valid configuration");
    assert_eq!(r.findings.total(), 0, "a weak policy is no violation: {:?}", r.findings.violations().first());
    r
}

const STUFFER: &str = r#"
[agents.stuffer]
kind = "credential_stuffer"
start = "1m"
asset = "USD"
interval = "1s"
"#;

#[test]
fn a_credential_stuffer_empties_the_reusers_accounts_unless_withdrawals_ask_a_code() {
    let weak = simulate(&scenario("login_2fa = false\nwithdrawal_2fa = false", STUFFER, &[]));
    let safe = simulate(&scenario("login_2fa = false\nwithdrawal_2fa = true", STUFFER, &[]));
    // About half of the 240 customers reused the leaked password; each is signed into.
    for r in [&weak, &safe] {
        assert!((80..=160).contains(&r.breach.accounts_taken_over), "{}", r.breach.accounts_taken_over);
    }
    assert_eq!(weak.breach.accounts_taken_over, safe.breach.accounts_taken_over, "login is the same");
    // The reusers among the 40 funded customers lose their $1,000 each.
    let stolen = weak.breach.stolen(USD);
    assert!(stolen >= 5 * 100_000 && stolen % 100_000 == 0 && stolen <= 40 * 100_000, "{stolen}");
    assert_eq!(safe.breach.stolen(USD), 0, "withdrawal 2FA: every request refused");
    // With login 2FA for everyone, the leaked passwords open nothing.
    let enrolled = simulate(&scenario("login_2fa = true\nwithdrawal_2fa = false", STUFFER, &[]));
    assert_eq!((enrolled.breach.accounts_taken_over, enrolled.breach.stolen(USD)), (0, 0));
}

const PHISHER: &str = r#"
[agents.phisher]
kind = "phisher"
target = "leaked"
asset = "BTC"
fall = "0.5"
interval = "1s"
"#;

#[test]
fn a_phisher_needs_the_code_only_a_live_relay_gets_and_withdrawal_2fa_stops_it_anyway() {
    // Login 2FA for everyone: a fake page without a relay opens nothing.
    let plain = simulate(&scenario("login_2fa = true\nwithdrawal_2fa = false", PHISHER, &[]));
    assert_eq!((plain.breach.accounts_taken_over, plain.breach.stolen(BTC)), (0, 0));
    // A live relay: the phished code signs in, and withdrawals asking no code are emptied.
    let relay = ["agents.phisher.realtime=true"];
    let relayed = simulate(&scenario("login_2fa = true\nwithdrawal_2fa = false", PHISHER, &relay));
    assert!(relayed.breach.accounts_taken_over >= 60, "{}", relayed.breach.accounts_taken_over);
    assert!(relayed.breach.stolen(BTC) >= 5 * 100_000_000, "{}", relayed.breach.stolen(BTC));
    // Withdrawal 2FA: signed in, but no fresh code for the withdrawal.
    let guarded = simulate(&scenario("login_2fa = true\nwithdrawal_2fa = true", PHISHER, &relay));
    assert_eq!(guarded.breach.accounts_taken_over, relayed.breach.accounts_taken_over);
    assert_eq!(guarded.breach.stolen(BTC), 0);
}

#[test]
fn an_operators_account_exports_every_record_and_sells_the_houses_inventory() {
    let admin = r#"
[exchange]
house_funding = { BTC = "10" }
[agents.maker]
kind = "market_maker"
funding = { BTC = "10", USD = "100000" }
market = "BTC-USD"
size = "1"
max_inventory = "100"
refresh = "10s"
[agents.auditor]
kind = "admin_takeover"
role = "admin"
start = "1m"
market = "BTC-USD"
size = "10"
"#;
    let r = simulate(&scenario("", admin, &[]));
    // 40 customers + 200 + the maker + the operator: every record reached an attacker.
    assert_eq!(r.breach.records_exposed, 242);
    assert!(r.markets[0].fills > 0, "the house's bitcoin was sold");
    assert_eq!((r.breach.accounts_taken_over, r.breach.stolen(BTC), r.breach.stolen(USD)), (0, 0, 0));
    let no_export = simulate(&scenario("", admin, &["agents.auditor.export=false"]));
    assert_eq!(no_export.breach.records_exposed, 0);
}
