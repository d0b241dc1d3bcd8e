//! The run page (`exsim run … --report DIR`): for each scenario file, its runs — the base and
//! every variant — side by side: a table of breach metrics and invariant statuses, a timeline of
//! first violations, crashes and recoveries, the first attack and the detection, the breach over
//! time (runs overlaid), reserves against liabilities and withdrawals queued per asset, and price
//! and volume per market (one panel per run, on one scale), then the seed, digest and reproduce
//! command of each run and the scenario's text.
//!
//! Invariants: the page is self-contained — inline CSS and inline SVG only, no script, no font,
//! no stylesheet or image loaded from anywhere; every piece of user text (scenario names, variant
//! names, descriptions, sources, details, the scenario's text, commands) goes through `maud`'s
//! escaping (nothing here uses `PreEscaped` on user text); the page is a pure function of the
//! runs (no clock: the same runs give the same bytes); its size is bounded by the number of runs,
//! markets and assets, not by the runs' length, because every series has at most
//! `sim::series::BUCKETS` points.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::prelude::ToPrimitive;

use crate::audit::Invariant;
use crate::scenario::{MarketSetup, Scenario};
use crate::sim::report::{duration, Report, RunLine, Status};
use crate::sim::series::Series;
use crate::units::{Asset, AssetId, Minor, Price};

use super::svg::{run_colour, timeline, Chart, Happening, Lane, Mark, Stroke, TimeAxis};
use super::STYLE;

/// The scenario text shown on the page is cut after this many bytes (a file may be 16 MiB).
pub const TEXT_SHOWN_MAX: usize = 64 * 1024;

/// One scenario file's runs, for the page.
#[derive(Clone, Copy, Debug)]
pub struct FileRuns<'a> {
    /// The scenario as given on the command line (a path or an embedded name).
    pub source: &'a str,
    /// The scenario file's text.
    pub text: &'a str,
    /// Its runs in order, base first, each with its judged report (with its series).
    pub runs: &'a [(&'a Scenario, Report)],
}

/// The whole page for the files of one `exsim run`.
pub fn run_page(files: &[FileRuns<'_>]) -> String {
    let title =
        files.iter().filter_map(|f| f.runs.first()).map(|(s, _)| s.name.as_str()).collect::<Vec<_>>().join(", ");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "exsim report: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "exsim report: " (title) }
                    p.lede { "Every chart is drawn from the runs' own records, sampled into at most "
                        (crate::sim::series::BUCKETS) " time buckets per series. exsim " (env!("CARGO_PKG_VERSION")) "." }
                }
                @for (i, f) in files.iter().enumerate() {
                    (file_section(i, f))
                }
            }
        }
    };
    page.into_string()
}

/// An amount in minor units as a number of the asset's units (display only).
pub fn units(minor: Minor, asset: &Asset) -> f64 {
    minor as f64 / 10f64.powi(i32::from(asset.decimals()))
}

/// A price in ticks in quote units per base unit (display only).
fn price(p: Price, setup: &MarketSetup) -> f64 {
    p.0 as f64 * setup.spec.tick_size.to_f64().unwrap_or(f64::NAN)
}

fn seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// Bucket `b`'s middle and end, in seconds, the end cut at the run's end.
fn bucket_times(series: &Series, b: usize, end_ns: u64) -> (f64, f64) {
    let w = series.width_ns();
    let start = (b as u64).saturating_mul(w).min(end_ns);
    let end = start.saturating_add(w).min(end_ns);
    (seconds(start + (end - start) / 2), seconds(end))
}

/// A snapshot value per sampled bucket, at the bucket's end.
fn snapshots(series: &Series, end_ns: u64, value: impl Fn(usize) -> Option<f64>) -> Vec<(f64, f64)> {
    (0..series.len())
        .filter(|&b| series.world(b).sampled)
        .filter_map(|b| value(b).map(|v| (bucket_times(series, b, end_ns).1, v)))
        .collect()
}

fn asset_id(a: usize) -> AssetId {
    AssetId(u16::try_from(a).expect("asset ids fit u16"))
}

fn file_section(f: usize, file: &FileRuns<'_>) -> Markup {
    let Some((first, _)) = file.runs.first() else { return html! {} };
    let end_s = file.runs.iter().map(|(_, r)| seconds(r.result.sim_time_ns)).fold(0.0, f64::max);
    let time = TimeAxis { end_s };
    let lines: Vec<RunLine> = file.runs.iter().map(|(s, r)| RunLine::of(s, r)).collect();
    let text_cut = file.text.len() > TEXT_SHOWN_MAX;
    let text = if text_cut { &file.text[..floor_char(file.text, TEXT_SHOWN_MAX)] } else { file.text };
    html! {
        section.file id=(format!("f{f}")) {
            h2 { (first.name) " " span.count { "(" (file.runs.len()) " run" @if file.runs.len() != 1 { "s" } ")" } }
            @if !first.description.is_empty() { p.description { (first.description.as_ref()) } }
            @if !first.sources.is_empty() {
                p.sources { "Sources: " @for (i, s) in first.sources.iter().enumerate() { @if i > 0 { "; " } code { (s.as_ref()) } } }
            }
            h3 { "Runs side by side" }
            table.runs id=(format!("f{f}-runs")) {
                thead { tr { th { "run" } th { "faults" } th { "expectations" } th { "violated" } th { "stolen" } th { "shortfall" }
                    th { "accounts taken over" } th { "records exposed" } th { "first attack" } th { "detected" } th { "events" } th { "digest" } } }
                tbody {
                    @for (i, ((s, r), l)) in file.runs.iter().zip(&lines).enumerate() {
                        tr.run {
                            td { span.swatch style=(format!("background:{}", run_colour(i))) {} (s.variant) }
                            td { (l.faults) } td.(if l.met { "met" } else { "failed" }) { (if l.met { "met" } else { "FAILED" }) }
                            td { (l.violated) } td.stolen { (l.stolen) } td.shortfall { (l.shortfall) } td.num { (l.taken_over) } td.num { (l.exposed) }
                            td.num { (r.result.breach.first_attack_ns.map_or("-".to_owned(), duration)) }
                            td { (l.detected) } td.num { (r.result.events) } td { code.digest title=(r.result.digest) { (r.result.digest.get(..16).unwrap_or(&r.result.digest)) "…" } }
                        }
                    }
                }
            }
            @for (s, r) in file.runs.iter().filter(|(_, r)| !r.met()) {
                div.failures { strong { (s.variant) ": expectations failed" } ul { @for x in &r.failures { li { (x) } } } }
            }
            h3 { "Invariants" }
            table.invariants id=(format!("f{f}-invariants")) {
                thead { tr { th { "invariant" } @for (s, _) in file.runs.iter() { th { (s.variant) } } } }
                tbody {
                    @for inv in Invariant::ALL {
                        tr {
                            td { code { (inv.id()) } }
                            @for (s, r) in file.runs.iter() {
                                (status_cell(inv, s, r))
                            }
                        }
                    }
                }
            }
            p.note { "* expected by the scenario. A status is " em { "violated" } " when the auditor counted a break, "
                em { "held" } " when something in the run exercised the invariant and nothing broke it, "
                em { "not exercised" } " otherwise." }
            h3 { "Timeline" }
            (timeline(&format!("f{f}-timeline"), end_s, &lanes(file)))
            h3 { "Breach over time" }
            (breach_charts(f, file, time))
            h3 { "Reserves against liabilities" }
            (reserve_charts(f, file, time))
            h3 { "Price and volume" }
            (price_charts(f, file, time))
            h3 { "Reproduce" }
            table.reproduce id=(format!("f{f}-reproduce")) {
                thead { tr { th { "run" } th { "seed" } th { "digest" } th { "command" } } }
                tbody {
                    @for (s, r) in file.runs.iter() {
                        tr { td { (s.variant) } td.num { (r.result.seed) } td { code.digest { (r.result.digest) } } td { code.command { (r.reproduce) } } }
                    }
                }
            }
            details.scenario {
                summary { "Scenario text: " code { (file.source) } @if text_cut { " (the first " (TEXT_SHOWN_MAX) " bytes of " (file.text.len()) ")" } }
                pre { (text) }
            }
        }
    }
}

/// The largest char boundary at or below `at`.
fn floor_char(s: &str, at: usize) -> usize {
    (0..=at.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

fn status_cell(inv: Invariant, s: &Scenario, r: &Report) -> Markup {
    let expected = s.expect.violated.contains(&inv);
    match Status::of(&r.result.findings, inv) {
        Status::Violated { count, first_time_ns, detail, .. } => html! {
            td.(if expected { "violated expected" } else { "violated" }) title=(detail) {
                "violated" @if expected { "*" } " ×" (count) " from " (duration(first_time_ns))
            }
        },
        Status::Held => html! { td.(if expected { "held unexpected" } else { "held" }) { "held" } },
        Status::NotExercised => {
            html! { td.(if expected { "not-exercised unexpected" } else { "not-exercised" }) { "not exercised" } }
        }
    }
}

/// Each run's lane on the timeline.
fn lanes(file: &FileRuns<'_>) -> Vec<Lane> {
    file.runs
        .iter()
        .enumerate()
        .map(|(i, (s, r))| {
            let mut markers = Vec::new();
            let b = &r.result.breach;
            if let Some(t) = b.first_attack_ns {
                markers.push((seconds(t), Happening::Attack, "first attack".to_owned()));
            }
            for inv in Invariant::ALL {
                if let Some(v) = r.result.findings.first(inv) {
                    markers.push((seconds(v.time_ns), Happening::Violation, format!("{} first violated", inv.id())));
                }
            }
            if let Some(t) = b.detected_ns {
                markers.push((seconds(t), Happening::Detection, "detected: reserves alarm".to_owned()));
            }
            markers.sort_by(|a, b| a.0.total_cmp(&b.0));
            let outages = r.result.series.as_ref().map_or_else(Vec::new, |series| {
                (0..series.len())
                    .filter(|&b| series.world(b).crashes + series.world(b).recoveries > 0)
                    .map(|b| {
                        let w = series.world(b);
                        (bucket_times(series, b, r.result.sim_time_ns).0, w.crashes, w.recoveries)
                    })
                    .collect()
            });
            Lane { name: s.variant.clone(), colour: run_colour(i), markers, outages }
        })
        .collect()
}

/// A line per run of a snapshot value, overlaid.
fn overlaid(file: &FileRuns<'_>, chart: &mut Chart, value: &dyn Fn(&Scenario, &Series, usize) -> Option<f64>) {
    for (i, (s, r)) in file.runs.iter().enumerate() {
        if let Some(series) = &r.result.series {
            let points = snapshots(series, r.result.sim_time_ns, |b| value(s, series, b));
            chart.marks.push(Mark::Line {
                name: s.variant.clone(),
                colour: run_colour(i),
                stroke: if i == 0 { Stroke::Solid } else { Stroke::Dashed },
                width: if i == 0 { 2.5 } else { 1.8 },
                step: true,
                points,
            });
        }
    }
}

fn breach_charts(f: usize, file: &FileRuns<'_>, time: TimeAxis) -> Markup {
    let (first, _) = &file.runs[0];
    let mut charts = Vec::new();
    for (a, asset) in first.assets.iter().enumerate() {
        let any = file.runs.iter().any(|(_, r)| r.result.breach.stolen(asset_id(a)) > 0);
        if !any {
            continue;
        }
        let mut c = Chart::new(
            format!("f{f}-breach-stolen-{a}"),
            format!("Value stolen: {}", asset.symbol()),
            asset.symbol(),
            time,
        );
        overlaid(file, &mut c, &|s, series, b| Some(units(series.asset(b, a).stolen, &s.assets[a])));
        charts.push(c);
    }
    if file.runs.iter().any(|(_, r)| r.result.breach.accounts_taken_over > 0) {
        let mut c = Chart::new(format!("f{f}-breach-taken-over"), "Accounts taken over", "accounts", time);
        overlaid(file, &mut c, &|_, series, b| Some(series.world(b).taken_over as f64));
        charts.push(c);
    }
    if file.runs.iter().any(|(_, r)| r.result.breach.records_exposed > 0) {
        let mut c = Chart::new(format!("f{f}-breach-exposed"), "Personal records exposed", "records", time);
        overlaid(file, &mut c, &|_, series, b| Some(series.world(b).exposed as f64));
        charts.push(c);
    }
    html! {
        @if charts.is_empty() {
            p.note { "No run had value stolen, an account taken over or a record exposed." }
        } @else {
            div.grid { @for c in &charts { (c.render()) } }
        }
    }
}

fn reserve_charts(f: usize, file: &FileRuns<'_>, time: TimeAxis) -> Markup {
    let (first, _) = &file.runs[0];
    let mut blocks = Vec::new();
    let mut idle = Vec::new();
    for (a, asset) in first.assets.iter().enumerate() {
        let sym = asset.symbol();
        // An asset nobody holds or moves in any run gets a line, not four empty charts.
        let active = file.runs.iter().any(|(_, r)| {
            r.result.series.as_ref().is_some_and(|s| {
                (0..s.len()).any(|b| {
                    let x = s.asset(b, a);
                    x.hot != 0 || x.cold != 0 || x.liabilities != 0 || x.queued != 0
                })
            })
        });
        if !active {
            idle.push(sym);
            continue;
        }
        let mut charts = Vec::new();
        for (i, (s, r)) in file.runs.iter().enumerate() {
            let Some(series) = &r.result.series else { continue };
            let end = r.result.sim_time_ns;
            let v = |g: &dyn Fn(usize) -> Minor| snapshots(series, end, |b| Some(units(g(b), &s.assets[a])));
            let mut c = Chart::new(format!("f{f}-reserves-{a}-run-{i}"), format!("{sym} — {}", s.variant), sym, time);
            c.width = 480;
            c.height = 220;
            let line = |name: &str, colour, stroke, width, points| Mark::Line {
                name: name.to_owned(),
                colour,
                stroke,
                width,
                step: true,
                points,
            };
            let reserves = v(&|b| series.asset(b, a).hot.saturating_add(series.asset(b, a).cold));
            let owed = v(&|b| series.asset(b, a).liabilities);
            // The shortfall: each span from one snapshot to the next where more is owed than held.
            let spans = reserves
                .iter()
                .zip(&owed)
                .zip(reserves.iter().skip(1))
                .map(|((&(x0, r), &(_, l)), &(x1, _))| (x0, x1, r, l))
                .filter(|s| s.3 > s.2)
                .collect();
            c.marks.push(Mark::Spans { name: "shortfall".to_owned(), colour: "#C00000", points: spans });
            c.marks.push(line(
                "reserves (hot + cold)",
                "#0072B2",
                Stroke::Solid,
                2.2,
                v(&|b| series.asset(b, a).hot.saturating_add(series.asset(b, a).cold)),
            ));
            c.marks.push(line("hot wallet", "#56B4E9", Stroke::Dashed, 1.4, v(&|b| series.asset(b, a).hot)));
            c.marks.push(line("cold wallet", "#009E73", Stroke::Dotted, 1.4, v(&|b| series.asset(b, a).cold)));
            c.marks.push(line(
                "customer liabilities",
                "#D55E00",
                Stroke::Solid,
                2.2,
                v(&|b| series.asset(b, a).liabilities),
            ));
            charts.push(c);
        }
        share_y(&mut charts);
        let mut queued =
            Chart::new(format!("f{f}-withdrawals-{a}"), format!("Withdrawals queued: {sym}"), "withdrawals", time);
        queued.width = 480;
        queued.height = 220;
        overlaid(file, &mut queued, &|_, series, b| Some(f64::from(series.asset(b, a).queued)));
        blocks.push(html! {
            h4 { (sym) }
            div.grid { @for c in &charts { (c.render()) } (queued.render()) }
        });
    }
    html! {
        @for b in &blocks { (b) }
        @if !idle.is_empty() { p.note { "No reserves, liabilities or withdrawals in any run: " (idle.join(", ")) "." } }
    }
}

fn price_charts(f: usize, file: &FileRuns<'_>, time: TimeAxis) -> Markup {
    let (first, _) = &file.runs[0];
    let mut blocks = Vec::new();
    let mut idle = Vec::new();
    for (m, setup) in first.markets.iter().enumerate() {
        if file.runs.iter().all(|(_, r)| r.result.markets.get(m).is_none_or(|s| s.fills == 0)) {
            idle.push(setup.name.as_str());
            continue;
        }
        let quote = first.assets[usize::from(setup.spec.quote.0)].symbol();
        let base = first.assets[usize::from(setup.spec.base.0)].symbol();
        let lot = setup.spec.lot_size.to_f64().unwrap_or(f64::NAN);
        let mut prices = Vec::new();
        let mut volumes = Vec::new();
        for (i, (s, r)) in file.runs.iter().enumerate() {
            let Some(series) = &r.result.series else { continue };
            let setup = &s.markets[m];
            let end = r.result.sim_time_ns;
            let mb = |b| series.market(b, m);
            let traded: Vec<usize> = (0..series.len()).filter(|&b| mb(b).fills > 0).collect();
            let mid = |b| bucket_times(series, b, end).0;
            let mut c = Chart::new(
                format!("f{f}-price-{m}-run-{i}"),
                format!("{} — {}", setup.name, s.variant),
                format!("{quote} per {base}"),
                time,
            );
            c.width = 480;
            c.height = 240;
            c.from_zero = false;
            c.marks.push(Mark::Ranges {
                name: "trades: low–high per bucket".to_owned(),
                colour: "#999999",
                points: traded
                    .iter()
                    .map(|&b| {
                        (mid(b), price(mb(b).low.expect("traded"), setup), price(mb(b).high.expect("traded"), setup))
                    })
                    .collect(),
            });
            let snap = |g: &dyn Fn(usize) -> Option<Price>| snapshots(series, end, |b| g(b).map(|p| price(p, setup)));
            // A series of the book's state at each bucket's end: name, colour, stroke, width, value.
            type Level<'a> = (&'static str, &'static str, Stroke, f64, &'a dyn Fn(usize) -> Option<Price>);
            let levels: [Level<'_>; 3] = [
                ("best bid", "#009E73", Stroke::Solid, 1.0, &|b| mb(b).bid),
                ("best ask", "#D55E00", Stroke::Solid, 1.0, &|b| mb(b).ask),
                ("fair value", "#000000", Stroke::Dashed, 1.2, &|b| mb(b).fair),
            ];
            for (name, colour, stroke, width, level) in levels {
                let points = snap(level);
                c.marks.push(Mark::Line { name: name.to_owned(), colour, stroke, width, step: true, points });
            }
            c.marks.push(Mark::Line {
                name: "last trade".to_owned(),
                colour: run_colour(i),
                stroke: Stroke::Solid,
                width: 1.3,
                step: false,
                points: traded.iter().map(|&b| (mid(b), price(mb(b).last.expect("traded"), setup))).collect(),
            });
            prices.push(c);
            let mut v = Chart::new(format!("f{f}-volume-{m}-run-{i}"), format!("Volume — {}", s.variant), base, time);
            v.width = 480;
            v.height = 140;
            let w = series.width_ns();
            v.marks.push(Mark::Bars {
                name: format!("{base} traded per {}", duration(w)),
                colour: run_colour(i),
                points: traded
                    .iter()
                    .map(|&b| {
                        let start = (b as u64).saturating_mul(w);
                        (seconds(start), seconds(start.saturating_add(w).min(end)), mb(b).volume_lots as f64 * lot)
                    })
                    .collect(),
            });
            volumes.push(v);
        }
        share_y(&mut prices);
        share_y(&mut volumes);
        blocks.push(html! {
            h4 { (setup.name) }
            div.grid {
                @for (p, v) in prices.iter().zip(&volumes) { div.pair { (p.render()) (v.render()) } }
            }
        });
    }
    html! {
        @for b in &blocks { (b) }
        @if !idle.is_empty() { p.note { "No trades in any run: " (idle.join(", ")) "." } }
    }
}

/// Paired charts share one value scale, so runs compare at a glance.
fn share_y(charts: &mut [Chart]) {
    let ranges: Vec<(f64, f64)> = charts.iter().filter_map(Chart::data_range).collect();
    if ranges.is_empty() {
        return;
    }
    let lo = ranges.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let hi = ranges.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
    for c in charts {
        c.y_range = Some((lo, hi));
    }
}
