//! The sweep page (`exsim sweep … --report DIR`): pass and fail per seed, which invariants broke
//! how often, the spread of the breach metrics across seeds (histograms), and every failure with
//! the command that reproduces it.
//!
//! [`SweepSummary`] is built from the runs' SPEC §9 JSON objects (`--json` lines, a panicking
//! seed's object included), one at a time, so the same page can be rendered from a live sweep or
//! from JSON Lines merged afterwards, in any number of pieces.
//!
//! Invariants: memory and the page's size are bounded whatever the number of seeds — per
//! variant at most [`KEPT_OUTCOMES`] pass/fail cells and [`KEPT_VALUES`] values per metric, at
//! most [`KEPT_FAILURES`] failures listed (the rest counted), every count exact; variants are at
//! most 100 per file and metrics a handful per asset. All text from the JSON (names, details,
//! commands) is escaped by `maud`.

use std::collections::BTreeMap;

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

use super::svg::{number, run_colour};
use super::STYLE;

/// Pass/fail cells kept per variant (the first ones, in the order the runs were added).
pub const KEPT_OUTCOMES: usize = 4096;
/// Values kept per metric and variant for its histogram.
pub const KEPT_VALUES: usize = 10_000;
/// Failures listed with their reproduce command.
pub const KEPT_FAILURES: usize = 200;

/// One run's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Panicked,
}

/// A failing or panicking run, listed on the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub variant: String,
    pub seed: u64,
    /// The unmet expectations, or the panic message.
    pub what: String,
    pub reproduce: String,
}

/// One variant's tally.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub runs: u128,
    pub failed: u128,
    pub panicked: u128,
    /// (seed, outcome) of the first [`KEPT_OUTCOMES`] runs.
    pub outcomes: Vec<(u64, Outcome)>,
    /// Invariant id → runs that violated it.
    pub violated: BTreeMap<String, u128>,
    /// Metric name → (its first [`KEPT_VALUES`] values, runs that had it).
    pub metrics: BTreeMap<String, (Vec<f64>, u128)>,
}

/// What a sweep's page shows, accumulated run by run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSummary {
    pub scenario: String,
    /// Variants in the order first seen.
    pub variants: Vec<(String, Tally)>,
    pub failures: Vec<Failure>,
    /// Failures beyond [`KEPT_FAILURES`], counted.
    pub failures_not_listed: u128,
    /// A line saying what was swept (the command's own summary), if known.
    pub note: String,
}

impl SweepSummary {
    pub fn new(scenario: &str) -> SweepSummary {
        SweepSummary { scenario: scenario.to_owned(), ..SweepSummary::default() }
    }

    /// Adds one run's SPEC §9 JSON object (or a panicking seed's object, with its `panic` field).
    pub fn add(&mut self, run: &Value) {
        let text = |k: &str| run.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        if self.scenario.is_empty() {
            self.scenario = text("scenario");
        }
        let variant = text("variant");
        let seed = run.get("seed").and_then(Value::as_u64).unwrap_or_default();
        let panic = run.get("panic").and_then(Value::as_str);
        let met = run.get("expectations_met").and_then(Value::as_bool).unwrap_or(false);
        let outcome = match (panic, met) {
            (Some(_), _) => Outcome::Panicked,
            (None, true) => Outcome::Passed,
            (None, false) => Outcome::Failed,
        };
        let at = match self.variants.iter().position(|(v, _)| *v == variant) {
            Some(i) => i,
            None => {
                self.variants.push((variant.clone(), Tally::default()));
                self.variants.len() - 1
            }
        };
        let tally = &mut self.variants[at].1;
        tally.runs += 1;
        match outcome {
            Outcome::Passed => {}
            Outcome::Failed => tally.failed += 1,
            Outcome::Panicked => tally.panicked += 1,
        }
        if tally.outcomes.len() < KEPT_OUTCOMES {
            tally.outcomes.push((seed, outcome));
        }
        if let Some(invariants) = run.get("invariants").and_then(Value::as_object) {
            for (id, v) in invariants {
                if v.get("status").and_then(Value::as_str) == Some("violated") {
                    *tally.violated.entry(id.clone()).or_default() += 1;
                }
            }
        }
        if let Some(b) = run.get("breach") {
            let mut metric = |name: String, v: Option<f64>| {
                if let Some(v) = v.filter(|v| v.is_finite()) {
                    let (values, n) = tally.metrics.entry(name).or_default();
                    *n += 1;
                    if values.len() < KEPT_VALUES {
                        values.push(v);
                    }
                }
            };
            for (what, key) in [("stolen", "stolen"), ("shortfall", "shortfall")] {
                if let Some(per_asset) = b.get(key).and_then(Value::as_object) {
                    for (sym, amount) in per_asset {
                        metric(format!("{what} ({sym})"), amount.as_str().and_then(|s| s.parse::<f64>().ok()));
                    }
                }
            }
            metric("accounts taken over".to_owned(), b.get("accounts_taken_over").and_then(Value::as_f64));
            metric("records exposed".to_owned(), b.get("records_exposed").and_then(Value::as_f64));
            metric(
                "detection delay (s)".to_owned(),
                b.get("detection_delay_ns").and_then(Value::as_f64).map(|ns| ns / 1e9),
            );
        }
        if outcome != Outcome::Passed {
            if self.failures.len() < KEPT_FAILURES {
                let what = match panic {
                    Some(p) => format!("exsim panicked: {p}"),
                    None => run
                        .get("failures")
                        .and_then(Value::as_array)
                        .map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
                        .unwrap_or_default(),
                };
                self.failures.push(Failure { variant, seed, what, reproduce: text("reproduce") });
            } else {
                self.failures_not_listed += 1;
            }
        }
    }

    /// Runs added, and of them failed and panicked.
    pub fn totals(&self) -> (u128, u128, u128) {
        self.variants.iter().fold((0, 0, 0), |(r, f, p), (_, t)| (r + t.runs, f + t.failed, p + t.panicked))
    }
}

/// The sweep's page.
pub fn sweep_page(s: &SweepSummary) -> String {
    let (runs, failed, panicked) = s.totals();
    let invariants: Vec<&String> = {
        let mut ids: Vec<&String> = s.variants.iter().flat_map(|(_, t)| t.violated.keys()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let metrics: Vec<&String> = {
        let mut m: Vec<&String> = s
            .variants
            .iter()
            .flat_map(|(_, t)| t.metrics.iter().filter(|(_, (v, _))| v.iter().any(|x| *x != 0.0)).map(|(k, _)| k))
            .collect();
        m.sort();
        m.dedup();
        m
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "exsim sweep: " (s.scenario) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "exsim sweep: " (s.scenario) }
                    p.lede { (runs) " run(s): " (runs - failed - panicked) " passed, " (failed) " failed, " (panicked) " panicked. " (s.note) }
                }
                h3 { "Pass and fail per seed" }
                table.variants id="sweep-variants" {
                    thead { tr { th { "run" } th { "runs" } th { "passed" } th { "failed" } th { "panicked" } } }
                    tbody { @for (i, (v, t)) in s.variants.iter().enumerate() {
                        tr { td { span.swatch style=(format!("background:{}", run_colour(i))) {} (v) } td.num { (t.runs) }
                             td.num { (t.runs - t.failed - t.panicked) } td.num { (t.failed) } td.num { (t.panicked) } }
                    } }
                }
                (outcome_strips(s))
                h3 { "Invariants broken" }
                @if invariants.is_empty() {
                    p.note { "No invariant was violated in any run." }
                } @else {
                    table.invariants id="sweep-invariants" {
                        thead { tr { th { "invariant" } @for (v, _) in &s.variants { th { (v) " (runs violated)" } } } }
                        tbody { @for id in &invariants {
                            tr { td { code { (id) } } @for (_, t) in &s.variants {
                                @let n = t.violated.get(*id).copied().unwrap_or(0);
                                td.num.(if n > 0 { "violated" } else { "held" }) { (n) " of " (t.runs) }
                            } }
                        } }
                    }
                }
                h3 { "Breach metrics across seeds" }
                @if metrics.is_empty() {
                    p.note { "No run had value stolen, a shortfall, an account taken over, a record exposed or a detection." }
                } @else {
                    div.grid { @for (k, m) in metrics.iter().enumerate() { (histogram(&format!("sweep-metric-{k}"), m, s)) } }
                }
                h3 { "Failures" }
                @if s.failures.is_empty() {
                    p.note { "Every run met its expectations." }
                } @else {
                    table.failures id="sweep-failures" {
                        thead { tr { th { "run" } th { "seed" } th { "what failed" } th { "reproduce" } } }
                        tbody { @for f in &s.failures {
                            tr { td { (f.variant) } td.num { (f.seed) } td { (f.what) } td { code.command { (f.reproduce) } } }
                        } }
                    }
                    @if s.failures_not_listed > 0 { p.note { "… and " (s.failures_not_listed) " more failure(s) not listed." } }
                }
            }
        }
    };
    page.into_string()
}

/// One row of cells per variant, a cell per run in the order added: green passed, red failed,
/// black panicked.
fn outcome_strips(s: &SweepSummary) -> Markup {
    const WIDTH: f64 = 1000.0;
    const LEFT: f64 = 150.0;
    let most = s.variants.iter().map(|(_, t)| t.outcomes.len()).max().unwrap_or(0).max(1);
    let cell = ((WIDTH - LEFT) / most as f64).clamp(0.25, 14.0);
    let row = 18.0;
    let height = row * s.variants.len() as f64 + 24.0;
    html! {
        figure.chart id="sweep-outcomes" {
            svg.plot viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) role="img" aria-label="pass and fail per seed" {
                @for (i, (v, t)) in s.variants.iter().enumerate() {
                    @let y = 4.0 + row * i as f64;
                    text.lane-name x="4" y=(format!("{:.1}", y + 12.0)) fill=(run_colour(i)) { (v) }
                    @let (pass, fail, panic) = cells(&t.outcomes, cell, LEFT, y, row - 4.0);
                    path.bar-pass d=(pass) {}
                    path.bar-fail d=(fail) {}
                    path d=(panic) fill="#000" {}
                }
                text.axis x=(LEFT) y=(format!("{:.1}", height - 4.0)) {
                    "each cell one seed, in seed order (first " (KEPT_OUTCOMES) " per run); green passed, red failed, black panicked"
                }
            }
        }
    }
}

/// Path data for the passed, failed and panicked cells of one strip.
fn cells(outcomes: &[(u64, Outcome)], cell: f64, left: f64, y: f64, h: f64) -> (String, String, String) {
    use std::fmt::Write as _;
    let (mut pass, mut fail, mut panic) = (String::new(), String::new(), String::new());
    for (i, (_, o)) in outcomes.iter().enumerate() {
        let x = left + cell * i as f64;
        let d = match o {
            Outcome::Passed => &mut pass,
            Outcome::Failed => &mut fail,
            Outcome::Panicked => &mut panic,
        };
        let w = if cell > 2.0 { cell - 1.0 } else { cell };
        let _ = write!(d, "M{x:.2} {y:.1}h{w:.2}v{h:.1}h-{w:.2}z");
    }
    (pass, fail, panic)
}

/// A histogram of one metric, the variants' bars side by side in each bin.
fn histogram(id: &str, metric: &str, s: &SweepSummary) -> Markup {
    const BINS: usize = 20;
    let (w, h, left, top, bottom) = (480.0, 220.0, 56.0, 24.0, 34.0);
    let all: Vec<f64> =
        s.variants.iter().flat_map(|(_, t)| t.metrics.get(metric).map_or(&[][..], |m| &m.0[..])).copied().collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Round bin edges: the range widened to "nice" ends, twenty bins over it.
    let (lo, hi, _) = super::svg::nice_range(lo, hi.max(lo));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let bin_of = |v: f64| (((v - lo) / span * BINS as f64) as usize).min(BINS - 1);
    let counts: Vec<Vec<u64>> = s
        .variants
        .iter()
        .map(|(_, t)| {
            let mut c = vec![0u64; BINS];
            for &v in t.metrics.get(metric).map_or(&[][..], |m| &m.0[..]) {
                c[bin_of(v)] += 1;
            }
            c
        })
        .collect();
    let most = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let (plot_w, plot_h) = (w - left - 26.0, h - top - bottom);
    let bin_w = plot_w / BINS as f64;
    let group = counts.len().max(1) as f64;
    let (_, y_hi, y_ticks) = super::svg::nice_range(0.0, most);
    let sy = |c: f64| top + plot_h - c / y_hi * plot_h;
    html! {
        figure.chart.histogram id=(id) {
            svg.plot viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img" aria-label=(metric) {
                text.title x=(left) y="16" { (metric) }
                @for &t in &y_ticks {
                    path.grid d=(format!("M{left} {:.1}H{:.1}", sy(t), left + plot_w)) {}
                    text.tick x=(left - 6.0) y=(format!("{:.1}", sy(t) + 4.0)) text-anchor="end" { (number(t)) }
                }
                @for (i, c) in counts.iter().enumerate() {
                    @for (b, &n) in c.iter().enumerate() {
                        @if n > 0 {
                            rect x=(format!("{:.1}", left + bin_w * b as f64 + bin_w / group * i as f64)) y=(format!("{:.1}", sy(n as f64)))
                                width=(format!("{:.1}", (bin_w / group - 0.5).max(0.5))) height=(format!("{:.1}", top + plot_h - sy(n as f64))) fill=(run_colour(i)) {
                                title { (s.variants[i].0) ": " (n) " run(s) in [" (number(lo + span * b as f64 / BINS as f64)) ", " (number(lo + span * (b + 1) as f64 / BINS as f64)) ")" }
                            }
                        }
                    }
                }
                path.frame d=(format!("M{left} {top}V{:.1}H{:.1}", top + plot_h, left + plot_w)) {}
                @for k in [0usize, 5, 10, 15, 20] {
                    text.tick x=(format!("{:.1}", left + bin_w * k as f64)) y=(format!("{:.1}", top + plot_h + 14.0)) text-anchor="middle" { (number(lo + span * k as f64 / BINS as f64)) }
                }
                text.axis x=(format!("{:.1}", left + plot_w)) y=(h - 4.0) text-anchor="end" { (metric) ", runs per bin" }
            }
            figcaption.legend { @for (i, (v, _)) in s.variants.iter().enumerate() {
                span.key { svg width="12" height="10" { rect x="1" y="1" width="10" height="8" fill=(run_colour(i)) {} } " " (v) }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_summary_counts_every_run_and_keeps_a_bounded_sample() {
        let mut s = SweepSummary::new("x");
        for seed in 0..(KEPT_OUTCOMES as u64 + 10) {
            let met = seed % 3 != 0;
            s.add(&json!({"scenario": "x", "variant": "base", "seed": seed, "expectations_met": met,
                "invariants": {"solvency": {"status": if met { "held" } else { "violated" }}},
                "breach": {"stolen": {"BTC": "1.5"}, "accounts_taken_over": 2, "detection_delay_ns": null},
                "failures": ["solvency: violated"], "reproduce": "exsim run x --seed 1"}));
        }
        s.add(&json!({"scenario": "x", "variant": "v<1>", "seed": 3, "panic": "boom", "expectations_met": false}));
        let (runs, failed, panicked) = s.totals();
        assert_eq!((runs, panicked), (KEPT_OUTCOMES as u128 + 11, 1));
        assert_eq!(failed, (0..KEPT_OUTCOMES as u64 + 10).filter(|s| s % 3 == 0).count() as u128);
        assert_eq!(s.variants[0].1.outcomes.len(), KEPT_OUTCOMES);
        assert_eq!(s.failures.len(), KEPT_FAILURES);
        assert_eq!(s.failures_not_listed, failed + 1 - KEPT_FAILURES as u128);
        assert_eq!(s.variants[0].1.violated["solvency"], failed);
        let page = sweep_page(&s);
        assert!(page.contains("v&lt;1&gt;") && !page.contains("v<1>"), "escaped");
        assert!(page.contains("id=\"sweep-outcomes\"") && page.contains("id=\"sweep-metric-0\""));
    }
}
