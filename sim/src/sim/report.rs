//! A run's summary (SPEC §9): every invariant's status, whether the expectations were met, the
//! market and network figures, and the command that reproduces it; rendered as a table for people
//! or as one JSON object per run for machines.
//!
//! Invariants: a status is `violated` exactly when the auditor counted a violation, `held` when
//! something in the run exercised the invariant and nothing broke it, `not_exercised` otherwise;
//! expectations are met exactly when the violated set equals the expected set. Wall time is
//! reported but is never part of the digest. Prices and volumes are rendered exactly (never
//! rounded): prices stay within the market's highest price, so they always fit a decimal; a
//! volume too large for one is shown as `null` (JSON) or in lots (table).

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::audit::{Findings, Invariant};
use crate::scenario::{MarketSetup, Scenario};
use crate::units::decimal::{minor_to_decimal, scaled};
use crate::units::{Asset, AssetId, Minor, Price};

use super::breach::Breach;
use super::run::RunResult;

/// An invariant's status in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Held,
    NotExercised,
    Violated { count: u64, first_seq: u64, first_time_ns: u64, detail: String },
}

impl Status {
    /// The status of `invariant` from a run's findings.
    pub fn of(findings: &Findings, invariant: Invariant) -> Status {
        match findings.first(invariant) {
            Some(v) => Status::Violated {
                count: findings.count(invariant),
                first_seq: v.seq,
                first_time_ns: v.time_ns,
                detail: v.detail.clone(),
            },
            None if invariant.modelled() && findings.exercised(invariant) => Status::Held,
            None => Status::NotExercised,
        }
    }

    /// `held`, `violated` or `not_exercised`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Held => "held",
            Status::NotExercised => "not_exercised",
            Status::Violated { .. } => "violated",
        }
    }
}

/// A finished run with what it was judged against.
#[derive(Clone, Debug)]
pub struct Report {
    pub result: RunResult,
    pub wall_ms: u64,
    /// The command line that reproduces this run.
    pub reproduce: String,
    /// One line per unmet expectation (empty when all were met).
    pub failures: Vec<String>,
}

impl Report {
    /// Judges `result` against the scenario's expectations.
    pub fn new(scenario: &Scenario, result: RunResult, wall_ms: u64, reproduce: String) -> Report {
        let mut failures = Vec::new();
        for invariant in Invariant::ALL {
            let expected = scenario.expect.violated.contains(&invariant);
            match (Status::of(&result.findings, invariant), expected) {
                (Status::Violated { count, first_seq, first_time_ns, detail }, false) => failures.push(format!(
                    "{}: violated {count} time(s), first at event {first_seq} (t={}): {detail}",
                    invariant.id(),
                    duration(first_time_ns)
                )),
                (Status::Held | Status::NotExercised, true) => {
                    failures.push(format!("{}: expected to be violated, but it was not", invariant.id()))
                }
                _ => {}
            }
        }
        breach_failures(scenario, &result.breach, &mut failures);
        Report { result, wall_ms, reproduce, failures }
    }

    /// Whether every expectation was met.
    pub fn met(&self) -> bool {
        self.failures.is_empty()
    }

    /// The SPEC §9 JSON object.
    pub fn to_json(&self, scenario: &Scenario) -> Value {
        let r = &self.result;
        let mut invariants = Map::new();
        for invariant in Invariant::ALL {
            let status = Status::of(&r.findings, invariant);
            let value = match &status {
                Status::Violated { count, first_seq, first_time_ns, detail } => json!({
                    "status": status.name(), "count": count, "first_seq": first_seq,
                    "first_time_ns": first_time_ns, "detail": detail,
                }),
                _ => json!({ "status": status.name() }),
            };
            invariants.insert(invariant.id().to_owned(), value);
        }
        let mut market = Map::new();
        for (stats, setup) in r.markets.iter().zip(&scenario.markets) {
            market.insert(
                stats.name.clone(),
                json!({
                    "fills": stats.fills,
                    "volume": volume(stats.volume_lots, setup).map(|v| v.to_string()),
                    "last_price": stats.last_price.map(|p| price(p, setup).to_string()),
                    "fair_value_end": price(stats.fair_value_end, setup).to_string(),
                    "quotes_filled": stats.quotes_filled,
                }),
            );
        }
        json!({
            "scenario": r.scenario,
            "variant": r.variant,
            "seed": r.seed,
            "digest": r.digest,
            "events": r.events,
            "sim_time_ns": r.sim_time_ns,
            "wall_ms": self.wall_ms,
            "faults": scenario.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "derived": { "crash_at_ns": super::run::crash_schedule(scenario) },
            "invariants": invariants,
            "expectations_met": self.met(),
            "failures": self.failures,
            "breach": breach_json(&r.breach, scenario),
            "market": market,
            "exchange": {
                "commands": r.counts.commands,
                "rejected": r.counts.rejected,
                "duplicates_answered": r.counts.duplicates,
                "crashes": r.counts.crashes,
                "unacknowledged_lost": r.counts.lost_entries,
            },
            "network": {
                "sent": r.net.sent, "dropped": r.net.dropped, "duplicated": r.net.duplicated,
                "reordered": r.net.reordered, "lost_while_down": r.counts.lost_down,
                "abandoned": r.counts.abandoned,
            },
            "reproduce": self.reproduce,
        })
    }

    /// A table for people.
    pub fn to_table(&self, scenario: &Scenario) -> String {
        let r = &self.result;
        let mut out = String::new();
        let faults: Vec<&str> = scenario.faults.iter().map(|f| f.name()).collect();
        let _ = writeln!(
            out,
            "{} / {}  seed {}  {} events  {} simulated  {} ms wall{}",
            r.scenario,
            r.variant,
            r.seed,
            r.events,
            duration(r.sim_time_ns),
            self.wall_ms,
            if faults.is_empty() { String::new() } else { format!("  faults: {}", faults.join(", ")) }
        );
        let _ = writeln!(out, "digest {}", r.digest);
        let _ = writeln!(out);
        let _ = writeln!(out, "  {:<26} {:<14} {:>7}  first", "invariant", "status", "count");
        for invariant in Invariant::ALL {
            let status = Status::of(&r.findings, invariant);
            let expected = scenario.expect.violated.contains(&invariant);
            let mark = match (&status, expected) {
                (Status::Violated { .. }, true) => "violated*",
                (Status::Violated { .. }, false) => "VIOLATED",
                (Status::Held, _) => "held",
                (Status::NotExercised, _) => "not_exercised",
            };
            match &status {
                Status::Violated { count, first_seq, first_time_ns, detail } => {
                    let _ = writeln!(
                        out,
                        "  {:<26} {:<14} {:>7}  event {first_seq} at {}: {}",
                        invariant.id(),
                        mark,
                        count,
                        duration(*first_time_ns),
                        shorten(detail, 100)
                    );
                }
                _ => {
                    let _ = writeln!(out, "  {:<26} {:<14}", invariant.id(), mark);
                }
            }
        }
        let _ = writeln!(out);
        for (stats, setup) in r.markets.iter().zip(&scenario.markets) {
            let _ = writeln!(
                out,
                "  market {}: {} fills, volume {}, last {}, fair value {}, {} quotes honored",
                stats.name,
                stats.fills,
                volume(stats.volume_lots, setup)
                    .map_or_else(|| format!("{} lots", stats.volume_lots), |v| v.to_string()),
                stats.last_price.map_or("-".to_owned(), |p| price(p, setup).to_string()),
                price(stats.fair_value_end, setup),
                stats.quotes_filled
            );
        }
        breach_lines(&mut out, &r.breach, scenario);
        let _ = writeln!(
            out,
            "  exchange: {} commands ({} rejected), {} retries answered from the dedup table, {} crash(es) losing {} unacknowledged",
            r.counts.commands, r.counts.rejected, r.counts.duplicates, r.counts.crashes, r.counts.lost_entries
        );
        let _ = writeln!(
            out,
            "  network: {} sent, {} dropped, {} duplicated, {} reordered, {} lost while down, {} abandoned",
            r.net.sent, r.net.dropped, r.net.duplicated, r.net.reordered, r.counts.lost_down, r.counts.abandoned
        );
        let _ = writeln!(out);
        if self.met() {
            let _ = writeln!(
                out,
                "expectations met{}",
                if scenario.expect.violated.is_empty() { "" } else { " (* = expected violation)" }
            );
        } else {
            let _ = writeln!(out, "EXPECTATIONS FAILED:");
            for f in &self.failures {
                let _ = writeln!(out, "  {f}");
            }
            let _ = writeln!(out, "reproduce: {}", self.reproduce);
        }
        out
    }
}

/// One run's line in [`side_by_side`].
#[derive(Clone, Debug)]
pub struct RunLine {
    pub variant: String,
    pub faults: String,
    pub met: bool,
    pub violated: String,
    pub stolen: String,
    pub shortfall: String,
    /// Accounts taken over and personal records exposed (`-` for none).
    pub taken_over: String,
    pub exposed: String,
    pub detected: String,
}

impl RunLine {
    /// The line of `report`, a run of `scenario`.
    pub fn of(scenario: &Scenario, report: &Report) -> RunLine {
        let r = &report.result;
        let list = |v: Vec<String>| if v.is_empty() { "-".to_owned() } else { v.join(", ") };
        let faults: Vec<String> = scenario.faults.iter().map(|f| f.name().to_owned()).collect();
        let violated: Vec<String> =
            Invariant::ALL.into_iter().filter(|i| r.findings.count(*i) > 0).map(|i| i.id().to_owned()).collect();
        let per_asset = |f: &dyn Fn(AssetId) -> Minor| {
            let mut parts = Vec::new();
            for (i, asset) in scenario.assets.iter().enumerate() {
                let id = AssetId(u16::try_from(i).expect("asset ids fit u16"));
                let m = f(id);
                if m > 0 {
                    parts.push(format!("{} {}", amount(m, asset).as_str().unwrap_or_default(), asset.symbol()));
                }
            }
            list(parts)
        };
        let count = |n: u64| if n == 0 { "-".to_owned() } else { n.to_string() };
        let detected = match (r.breach.first_attack_ns, r.breach.detection_delay_ns()) {
            (None, _) => "-".to_owned(),
            (Some(_), Some(d)) => format!("after {}", duration(d)),
            (Some(_), None) => "never".to_owned(),
        };
        RunLine {
            variant: scenario.variant.clone(),
            faults: list(faults),
            met: report.met(),
            violated: list(violated),
            stolen: per_asset(&|a| r.breach.stolen(a)),
            shortfall: per_asset(&|a| r.breach.shortfall(a)),
            taken_over: count(r.breach.accounts_taken_over),
            exposed: count(r.breach.records_exposed),
            detected,
        }
    }
}

/// A file's runs side by side — the base and its counterfactual variants, one line each: faults,
/// whether its expectations were met, what it violated, what was stolen, the shortfall at the end,
/// the accounts taken over, the personal records exposed and when the breach was detected.
pub fn side_by_side(name: &str, lines: &[RunLine]) -> String {
    let mut out = String::new();
    let header =
        ["run", "faults", "expectations", "violated", "stolen", "shortfall", "taken over", "exposed", "detected"];
    let rows: Vec<[String; 9]> = lines
        .iter()
        .map(|l| {
            [
                l.variant.clone(),
                l.faults.clone(),
                if l.met { "met" } else { "FAILED" }.to_owned(),
                l.violated.clone(),
                l.stolen.clone(),
                l.shortfall.clone(),
                l.taken_over.clone(),
                l.exposed.clone(),
                l.detected.clone(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let _ = writeln!(out, "{name}: {} runs side by side", lines.len());
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(width).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    out.push_str(&line(&header.map(str::to_owned)));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

/// A breach bound to check: (metric name, "at least"/"at most", the bounds, the metric, at least?).
type BreachCheck<'a> = (&'static str, &'static str, &'a [(AssetId, Minor)], fn(&Breach, AssetId) -> Minor, bool);

/// One line per breach bound of the scenario's expectations that the run's metrics miss.
fn breach_failures(scenario: &Scenario, b: &Breach, failures: &mut Vec<String>) {
    let e = &scenario.expect;
    let show = |asset: AssetId, m: Minor| {
        let a = &scenario.assets[usize::from(asset.0)];
        format!("{} {}", amount(m, a).as_str().unwrap_or_default(), a.symbol())
    };
    let checks: [BreachCheck<'_>; 4] = [
        ("stolen", "at least", &e.stolen_at_least, Breach::stolen, true),
        ("stolen", "at most", &e.stolen_at_most, Breach::stolen, false),
        ("shortfall", "at least", &e.shortfall_at_least, Breach::shortfall, true),
        ("shortfall", "at most", &e.shortfall_at_most, Breach::shortfall, false),
    ];
    for (what, bound, bounds, metric, at_least) in checks {
        for &(asset, limit) in bounds {
            let got = metric(b, asset);
            if (at_least && got < limit) || (!at_least && got > limit) {
                failures.push(format!(
                    "breach: {what} was {}, expected {bound} {}",
                    show(asset, got),
                    show(asset, limit)
                ));
            }
        }
    }
    let counts = [
        ("accounts taken over", "at least", e.taken_over_at_least, b.accounts_taken_over, true),
        ("accounts taken over", "at most", e.taken_over_at_most, b.accounts_taken_over, false),
        ("records exposed", "at least", e.exposed_at_least, b.records_exposed, true),
        ("records exposed", "at most", e.exposed_at_most, b.records_exposed, false),
    ];
    for (what, bound, limit, got, at_least) in counts {
        if let Some(limit) = limit {
            if (at_least && got < limit) || (!at_least && got > limit) {
                failures.push(format!("breach: {what} was {got}, expected {bound} {limit}"));
            }
        }
    }
    if let Some(within) = e.detected_within_ns {
        match (b.first_attack_ns, b.detection_delay_ns()) {
            (Some(_), Some(d)) if d <= within => {}
            (Some(_), Some(d)) => failures.push(format!(
                "breach: detected {} after the first attack, expected within {}",
                duration(d),
                duration(within)
            )),
            (Some(_), None) => failures
                .push(format!("breach: never detected, expected within {} of the first attack", duration(within))),
            (None, _) => failures.push("breach: no attack happened, so none was detected".to_owned()),
        }
    }
}

/// The SPEC §9 `breach` object: per asset the value stolen and the end-of-run shortfall (exact
/// decimals in the asset's units), the first attack, the detection and the delay between them.
fn breach_json(b: &Breach, scenario: &Scenario) -> Value {
    let per_asset = |f: &dyn Fn(AssetId) -> Minor| {
        let mut m = Map::new();
        for (i, asset) in scenario.assets.iter().enumerate() {
            let id = AssetId(u16::try_from(i).expect("asset ids fit u16"));
            m.insert(asset.symbol().to_owned(), amount(f(id), asset));
        }
        Value::Object(m)
    };
    json!({
        "stolen": per_asset(&|a| b.stolen(a)),
        "shortfall": per_asset(&|a| b.shortfall(a)),
        "accounts_taken_over": b.accounts_taken_over,
        "records_exposed": b.records_exposed,
        "first_attack_ns": b.first_attack_ns,
        "detected_ns": b.detected_ns,
        "detection_delay_ns": b.detection_delay_ns(),
    })
}

/// An amount in minor units as an exact decimal string in the asset's units (every ledger amount
/// is at most `AMOUNT_MAX`, so it renders; a larger one is shown in minor units).
fn amount(minor: Minor, asset: &Asset) -> Value {
    match minor_to_decimal(asset, minor) {
        Some(d) => Value::String(d.normalize().to_string()),
        None => Value::String(format!("{minor} minor units")),
    }
}

/// The breach lines of the table: only assets with something stolen or short, and the detection.
fn breach_lines(out: &mut String, b: &Breach, scenario: &Scenario) {
    for (i, asset) in scenario.assets.iter().enumerate() {
        let id = AssetId(u16::try_from(i).expect("asset ids fit u16"));
        let (stolen, short) = (b.stolen(id), b.shortfall(id));
        if stolen > 0 || short > 0 {
            let show = |m| amount(m, asset).as_str().map(str::to_owned).unwrap_or_default();
            let _ = writeln!(
                out,
                "  breach {}: {} stolen, shortfall {} at the end",
                asset.symbol(),
                show(stolen),
                show(short)
            );
        }
    }
    if let Some(first) = b.first_attack_ns {
        let detected = match (b.detected_ns, b.detection_delay_ns()) {
            (Some(t), Some(d)) => format!("detected at {} ({} after)", duration(t), duration(d)),
            _ => "never detected".to_owned(),
        };
        let _ = writeln!(out, "  breach: first attack at {}, {detected}", duration(first));
    }
}

/// A price in ticks as an exact decimal. Every price a run reports (a fill's, the fair value) is
/// at most the market's highest price, which the parser made sure renders exactly.
fn price(p: Price, setup: &MarketSetup) -> Decimal {
    assert!(p <= setup.max_price, "price {} above the market's highest, {}", p.0, setup.max_price.0);
    scaled(u128::from(p.0), setup.spec.tick_size).expect("a price up to the market's highest renders exactly")
}

/// Traded volume in base units, exactly; `None` when it no longer fits a decimal (the JSON says
/// `null`, the table gives the count in lots).
fn volume(lots: u128, setup: &MarketSetup) -> Option<Decimal> {
    scaled(lots, setup.spec.lot_size)
}

/// A duration in the scenario format's units, e.g. `1.25s`, `300ms`, `17us`.
pub fn duration(ns: u64) -> String {
    let (unit, scale) = match ns {
        n if n >= 1_000_000_000 => ("s", 1_000_000_000),
        n if n >= 1_000_000 => ("ms", 1_000_000),
        n if n >= 1_000 => ("us", 1_000),
        _ => ("ns", 1),
    };
    format!("{}{unit}", (Decimal::from(ns) / Decimal::from(scale)).round_dp(3).normalize())
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_like_scenario_files() {
        assert_eq!(duration(2_000_000_000), "2s");
        assert_eq!(duration(1_250_000_000), "1.25s");
        assert_eq!(duration(300_000_000), "300ms");
        assert_eq!(duration(17_000), "17us");
        assert_eq!(duration(5), "5ns");
    }
}
