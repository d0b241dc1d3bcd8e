//! `exsim sweep SCENARIO --seeds A..B`: every run of the scenario over a range of seeds on a
//! pool of worker threads, with a progress bar on a terminal (standard error) only. Prints one
//! line per failure with the command that reproduces it (or, with `--json`, one JSON object per
//! run in seed order, a panicking seed included, with a `panic` field), then a total. Exit 0
//! when every expectation was met, 1 when one failed, 3 when a seed panicked.
//!
//! With `--json`, every object also has a `sweep` field: how the sweep was asked for (the
//! scenario as given, the seed range, the shard, the runs per seed, `--swarm`, `--variant`,
//! `--set`s, `--fault`s, the jobs and exsim's version), which `exsim merge` reads to check that
//! shards belong together. With `--junit FILE`, the runs are also written as JUnit XML
//! (`junit.rs`), the file created before the first seed runs.
//!
//! Invariants: results are streamed as they come due, so a sweep of 2^64 seeds prints its first
//! failure at once and memory never grows with the number of seeds; `--jobs` is at most
//! `MAX_JOBS`; a closed standard output stops the sweep quietly with the code earned so far.

use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use serde_json::{json, Value};

use super::junit::{Case, Junit, Outcome};
use super::load::{load, reproduce, ScenarioOptions};
use super::output::{note, Output, Stop};
use super::{bad_input, EXIT_FAILED, EXIT_PANIC};
use crate::scenario::Scenario;
use crate::shown::shown;
use crate::sim::report::Report;
use crate::sim::run::run as simulate;
use crate::sim::sweep::{parse_seeds, sweep_each, SeedRange, Shard, MAX_JOBS};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A scenario file or the name of an embedded scenario.
    scenario: String,
    /// Seeds to run: A..B (B excluded) or A..=B.
    #[arg(long, value_name = "A..B")]
    seeds: String,
    /// Worker threads (default: one per core; at most 256).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Run only slice I of N of the seeds (every N-th, from the I-th), to split a sweep over machines.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// One JSON object per run, on its own line, in seed order.
    #[arg(long)]
    json: bool,
    /// Swarm testing: each seed also draws its run's options (length, network faults, crash rate,
    /// identity and trading policies, how many agents of each group) as `--set`s, printed in its
    /// reproduce command. Your own `--set`s apply after them.
    #[arg(long)]
    swarm: bool,
    /// Also write the runs as JUnit XML to FILE for CI: one test case per seed and variant, a
    /// failure (or, for a panic, an error) with what broke and the command that reproduces it.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML page to DIR/index.html (created if missing): pass and fail per
    /// seed, which invariants broke how often, histograms of the breach metrics across seeds, and
    /// every failure with its reproduce command. Memory and page size stay bounded for any range.
    #[arg(long, value_name = "DIR")]
    report: Option<std::path::PathBuf>,
    #[command(flatten)]
    options: ScenarioOptions,
}

pub fn run(args: &SweepArgs) -> ExitCode {
    let range = match parse_seeds(&args.seeds) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("--seeds: {e}")),
    };
    let shard = match args.shard.as_deref().map(Shard::parse).transpose() {
        Ok(s) => s.unwrap_or(Shard::ALL),
        Err(e) => return bad_input(format!("--shard: {e}")),
    };
    let jobs = match args.jobs {
        Some(0) => return bad_input("--jobs 0: at least one job is needed"),
        Some(n) if n > MAX_JOBS => return bad_input(format!("--jobs {n}: at most {MAX_JOBS} jobs")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_JOBS),
    };
    let loaded = match load(&args.scenario, &args.options, None) {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    let runs = &loaded.file.runs;
    for scenario in runs {
        if let Err(e) = crate::sim::run::check(scenario) {
            let name = if scenario.variant == "base" {
                shown(&loaded.arg)
            } else {
                format!("{} (variant {})", shown(&loaded.arg), shown(&scenario.variant))
            };
            return bad_input(format!("{name}: {e}"));
        }
    }
    let mut junit = match &args.junit {
        None => None,
        Some(path) => match Junit::create(path, &loaded.file.name, &[Path::new(&args.scenario)]) {
            Ok(j) => Some(j),
            Err(e) => return bad_input(e),
        },
    };
    let meta = sweep_meta(args, range, shard, runs.len(), jobs);
    // Swarm testing: the options a seed draws, then the user's own.
    let groups: Vec<(String, u32)> = runs[0].agents.iter().map(|g| (g.name.clone(), g.count)).collect();
    let options_of = |seed: u64| -> ScenarioOptions {
        if !args.swarm {
            return args.options.clone();
        }
        let mut options = args.options.clone();
        let mut set = crate::sim::swarm::draw(seed, &groups);
        set.extend(args.options.set.iter().cloned());
        options.set = set;
        options
    };
    let seeds = shard.seeds(range);
    let total = seeds.len() * runs.len() as u128;
    let bar = match u64::try_from(total) {
        _ if !io::stderr().is_terminal() => ProgressBar::hidden(),
        Ok(total) => ProgressBar::new(total),
        Err(_) => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} runs [{bar:30}] {elapsed_precise} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let input = std::path::Path::new(&loaded.arg);
    let mut page = match args.report.as_deref().map(|d| crate::report::ReportDir::open(d, &[input])).transpose() {
        Ok(dir) => dir.map(|d| (d, crate::report::SweepSummary::new(&loaded.file.name))),
        Err(e) => return bad_input(e),
    };
    let mut out = Output::stdout();
    let (mut failed, mut panicked) = (0u128, 0u128);
    let mut stopped: Option<Stop> = None;
    let mut broken: Option<String> = None;
    let quiet = QuietWorkers::install();
    let handed = sweep_each(
        runs,
        seeds,
        jobs,
        |scenario| {
            #[allow(clippy::disallowed_methods)] // wall time is reported, never part of the digest
            let started = std::time::Instant::now();
            let result = if args.swarm {
                // The seed's own options, parsed as the user's would be (a refusal is a bug of the
                // generator: reported, never skipped).
                match load(&args.scenario, &options_of(scenario.seed), Some(scenario.seed)) {
                    Ok(l) => match l.file.runs.iter().find(|r| r.variant == scenario.variant) {
                        Some(run) => simulate(run, None),
                        None => panic!("swarm options dropped variant {}", scenario.variant),
                    },
                    Err(e) => panic!("swarm options of seed {} were refused: {e}", scenario.seed),
                }
            } else {
                simulate(scenario, None)
            };
            (result, started.elapsed().as_millis() as u64)
        },
        || bar.inc(1),
        |item| {
            let mut scenario = runs[item.run].clone();
            scenario.seed = item.seed;
            let repro = reproduce(&loaded.arg, &options_of(item.seed), &scenario);
            let text = match item.outcome {
                Err(message) => {
                    panicked += 1;
                    if let Some((_, summary)) = page.as_mut() {
                        let line = panic_text(Some(&meta), &scenario, &message, &repro);
                        summary.add(&serde_json::from_str(&line).expect("a panic's line is JSON"));
                    }
                    let case = Case {
                        variant: &scenario.variant,
                        seed: item.seed,
                        wall_ms: None,
                        outcome: Outcome::Panicked(&message),
                        reproduce: &repro,
                    };
                    if let Some(Err(e)) = junit.as_mut().map(|j| j.case(&case)) {
                        broken = Some(e);
                        return ControlFlow::Break(());
                    }
                    panic_text(args.json.then_some(&meta), &scenario, &message, &repro)
                }
                Ok((Err(e), _)) => {
                    broken = Some(format!("{}: {e}", shown(&loaded.arg)));
                    return ControlFlow::Break(());
                }
                Ok((Ok(result), wall_ms)) => {
                    let report = Report::new(&scenario, result, wall_ms, repro.clone());
                    if !report.met() {
                        failed += 1;
                    }
                    if let Some((_, summary)) = page.as_mut() {
                        summary.add(&report.to_json(&scenario));
                    }
                    let case = Case {
                        variant: &scenario.variant,
                        seed: item.seed,
                        wall_ms: Some(wall_ms),
                        outcome: if report.met() { Outcome::Passed } else { Outcome::Failed(&report.failures) },
                        reproduce: &repro,
                    };
                    if let Some(Err(e)) = junit.as_mut().map(|j| j.case(&case)) {
                        broken = Some(e);
                        return ControlFlow::Break(());
                    }
                    if args.json {
                        format!("{}\n", with_meta(report.to_json(&scenario), &meta))
                    } else if !report.met() {
                        failure_text(&scenario.variant, item.seed, &report.failures, &repro)
                    } else {
                        String::new()
                    }
                }
            };
            if !text.is_empty() {
                if let Err(stop) = bar.suspend(|| out.write(&text).and_then(|()| out.flush())) {
                    stopped = Some(stop);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    );
    drop(quiet);
    bar.finish_and_clear();
    let handed = match handed {
        Ok(n) => n,
        Err(e) => return bad_input(format!("--jobs {jobs}: cannot start the worker threads: {e}")),
    };
    if let Some(e) = broken {
        return bad_input(e);
    }
    if let Some(Err(e)) = junit.map(Junit::finish) {
        return bad_input(e);
    }
    let code = exit_code(failed, panicked);
    if let Some(stop) = stopped {
        return stop.exit(code);
    }
    let summary = summary_line(seeds.len(), runs.len(), &loaded.file.name, jobs as u128, failed, panicked);
    assert_eq!(handed, total, "every run was handed back");
    if let Some((dir, mut kept)) = page {
        kept.note = page_note(seeds.len(), runs.len(), &loaded.file.name);
        if let Err(e) = dir.write(&crate::report::sweep_page(&kept)) {
            return bad_input(e);
        }
    }
    if args.json {
        note(summary);
    } else if let Err(stop) = out.line(&summary).and_then(|()| out.flush()) {
        return stop.exit(code);
    }
    ExitCode::from(code)
}

/// A sweep's exit code (and a merge's): 3 when a run panicked, else 1 when one failed, else 0.
pub(super) fn exit_code(failed: u128, panicked: u128) -> u8 {
    if panicked > 0 {
        EXIT_PANIC
    } else if failed > 0 {
        EXIT_FAILED
    } else {
        0
    }
}

/// The sweep page's note: what was swept (never the jobs, so any `--jobs`, and a merge of the
/// shards, give the same page).
pub(super) fn page_note(seeds: u128, runs: usize, scenario: &str) -> String {
    format!("Swept {seeds} seed(s) × {runs} run(s) of {scenario}.")
}

/// The `sweep` field of every `--json` object: how this sweep was asked for, so that `exsim
/// merge` can tell which shards belong together (everything but `shard` and `jobs` must be the
/// same) and print what the whole sweep would have.
fn sweep_meta(args: &SweepArgs, range: SeedRange, shard: Shard, runs: usize, jobs: usize) -> Value {
    json!({
        "scenario": args.scenario,
        "seeds": format!("{}..={}", range.first, range.last),
        "shard": format!("{}/{}", shard.index, shard.count),
        "runs": runs,
        "swarm": args.swarm,
        "variant": args.options.variant,
        "set": args.options.set,
        "fault": args.options.fault,
        "jobs": jobs,
        "exsim": env!("CARGO_PKG_VERSION"),
    })
}

/// A run's JSON object with the sweep's `sweep` field added last (SPEC §9's fields unchanged).
fn with_meta(mut run: Value, meta: &Value) -> Value {
    if let Some(object) = run.as_object_mut() {
        object.insert("sweep".to_owned(), meta.clone());
    }
    run
}

/// What the table says for a run that missed an expectation: the failures on one line, then the
/// command that reproduces it (`exsim merge` prints the same from the JSON).
pub(super) fn failure_text(variant: &str, seed: u64, failures: &[String], repro: &str) -> String {
    format!("{variant} seed {seed}: {}\n  reproduce: {repro}\n", failures.join("; "))
}

/// The last line of a sweep (on standard error with `--json`).
pub(super) fn summary_line(seeds: u128, runs: usize, name: &str, jobs: u128, failed: u128, panicked: u128) -> String {
    format!("swept {seeds} seed(s) × {runs} run(s) of {name} on {jobs} job(s): {failed} failed, {panicked} panicked")
}

/// What a sweep prints for a seed that panicked: with `--json` (given the `sweep` field) a JSON
/// object like every other run's, with a `panic` field and `expectations_met: false`; in the
/// table a finding with its reproduction command (the message's control characters escaped, so
/// it stays one line).
fn panic_text(json: Option<&Value>, scenario: &Scenario, message: &str, repro: &str) -> String {
    match json {
        Some(meta) => {
            let line = json!({
                "scenario": scenario.name, "variant": scenario.variant, "seed": scenario.seed,
                "panic": message, "expectations_met": false, "reproduce": repro,
            });
            format!("{}\n", with_meta(line, meta))
        }
        None => panic_table(&scenario.variant, scenario.seed, message, repro),
    }
}

/// The table's finding for a panicked run (`exsim merge` prints the same from the JSON).
pub(super) fn panic_table(variant: &str, seed: u64, message: &str, repro: &str) -> String {
    let message: String =
        message.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect();
    format!("{variant} seed {seed}: exsim panicked: {message}\n  reproduce: {repro}\n")
}

type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While it lives, a panic on a sweep worker (reported as that seed's finding) prints nothing,
/// so several threads do not interleave their messages; a panic anywhere else is reported as
/// before.
struct QuietWorkers(Option<Arc<Hook>>);

impl QuietWorkers {
    fn install() -> QuietWorkers {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let inner = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            if !std::thread::current().name().is_some_and(|n| n.starts_with("sweep-")) {
                inner(info);
            }
        }));
        QuietWorkers(Some(previous))
    }
}

impl Drop for QuietWorkers {
    fn drop(&mut self) {
        drop(std::panic::take_hook());
        if let Some(previous) = self.0.take() {
            match Arc::try_unwrap(previous) {
                Ok(hook) => std::panic::set_hook(hook),
                Err(shared) => std::panic::set_hook(Box::new(move |info| shared(info))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_seed_is_a_json_object_and_a_one_line_finding() {
        let mut scenario =
            crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &[]).unwrap().runs.remove(0);
        scenario.seed = 42;
        let repro = "exsim run quickstart --variant base --seed 42";
        let message = "assertion failed\n  left: 1\u{1b}[31m";
        let line = panic_text(Some(&json!({"shard": "1/1"})), &scenario, message, repro);
        assert_eq!(line.matches('\n').count(), 1, "one line: {line:?}");
        let value: serde_json::Value = serde_json::from_str(&line).expect("a JSON object");
        assert_eq!(value["seed"], 42);
        assert_eq!(value["variant"], "base");
        assert_eq!(value["panic"], message);
        assert_eq!(value["expectations_met"], false);
        assert_eq!(value["reproduce"], repro);
        assert_eq!(value["sweep"]["shard"], "1/1");
        let table = panic_text(None, &scenario, message, repro);
        assert_eq!(
            table,
            "base seed 42: exsim panicked: assertion failed\\n  left: 1\\u{1b}[31m\n  reproduce: exsim run quickstart --variant base --seed 42\n"
        );
    }
}
