//! `exsim sweep SCENARIO --seeds A..B`: every run of the scenario over a range of seeds on a
//! rayon pool, with a progress bar on a terminal. Prints one line per failure with the command
//! that reproduces it (or, with `--json`, one JSON object per run in seed order), then a total.
//! Exit 0 when every expectation was met, 1 when one failed, 3 when a seed panicked.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::load::{load, reproduce, ScenarioOptions};
use super::{bad_input, EXIT_FAILED, EXIT_PANIC};
use crate::sim::report::Report;
use crate::sim::run::run as simulate;
use crate::sim::sweep::{parse_seeds, sweep, Shard};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A scenario file or the name of an embedded scenario.
    scenario: String,
    /// Seeds to run: A..B (B excluded) or A..=B.
    #[arg(long, value_name = "A..B")]
    seeds: String,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Run only slice I of N of the seeds (every N-th, from the I-th), to split a sweep over machines.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// One JSON object per run, on its own line, in seed order.
    #[arg(long)]
    json: bool,
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
    if args.jobs == Some(0) {
        return bad_input("--jobs 0: at least one job is needed");
    }
    let loaded = match load(&args.scenario, &args.options, None) {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    let seeds = shard.seeds(range);
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runs = &loaded.file.runs;
    let total = (seeds.len() * runs.len()) as u64;
    let bar = if io::stderr().is_terminal() { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} runs [{bar:30}] {elapsed_precise} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    // A panicking seed is a finding, reported below; keep the default hook from interleaving
    // its own message from several threads.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let items = sweep(
        runs,
        &seeds,
        jobs,
        |scenario| {
            #[allow(clippy::disallowed_methods)] // wall time is reported, never part of the digest
            let started = std::time::Instant::now();
            let result = simulate(scenario, None);
            (result, started.elapsed().as_millis() as u64)
        },
        || bar.inc(1),
    );
    std::panic::set_hook(hook);
    bar.finish_and_clear();
    let items = match items {
        Ok(items) => items,
        Err(e) => return bad_input(format!("--jobs {jobs}: cannot start the worker threads: {e}")),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let (mut failed, mut panicked) = (0u64, 0u64);
    let mut lines = String::new();
    for item in items {
        let mut scenario = runs[item.run].clone();
        scenario.seed = item.seed;
        let repro = reproduce(&loaded.arg, &args.options, &scenario);
        match item.outcome {
            Err(message) => {
                panicked += 1;
                lines.push_str(&format!(
                    "{} seed {}: exsim panicked: {message}\n  reproduce: {repro}\n",
                    scenario.variant, item.seed
                ));
            }
            Ok((Err(e), _)) => return bad_input(format!("{}: {e}", loaded.arg)),
            Ok((Ok(result), wall_ms)) => {
                let report = Report::new(&scenario, result, wall_ms, repro.clone());
                if args.json {
                    lines.push_str(&format!("{}\n", report.to_json(&scenario)));
                }
                if !report.met() {
                    failed += 1;
                    if !args.json {
                        lines.push_str(&format!(
                            "{} seed {}: {}\n",
                            scenario.variant,
                            item.seed,
                            report.failures.join("; ")
                        ));
                        lines.push_str(&format!("  reproduce: {repro}\n"));
                    }
                }
            }
        }
    }
    if out.write_all(lines.as_bytes()).is_err() {
        return ExitCode::SUCCESS;
    }
    let summary = format!(
        "swept {} seed(s) × {} run(s) of {} on {jobs} job(s): {failed} failed, {panicked} panicked",
        seeds.len(),
        runs.len(),
        loaded.file.name
    );
    if args.json {
        eprintln!("{summary}");
    } else {
        let _ = writeln!(out, "{summary}");
    }
    if panicked > 0 {
        ExitCode::from(EXIT_PANIC)
    } else if failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
