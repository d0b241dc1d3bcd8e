//! `exsim run [SCENARIO…]`: runs every scenario with all its variants and prints a summary per
//! run (a table, or JSON Lines with `--json`); exit 0 when every expectation was met, 1 otherwise.
//!
//! Invariants: every scenario is loaded and checked, and the trace opened and written to, before
//! the first run prints anything, so bad input or an unwritable trace is exit 2 with nothing run;
//! the trace is never one of the scenario files (same-file check, so links and other spellings
//! of the path count); a closed standard output ends the command quietly with the code of the
//! runs so far, any other output failure is exit 2 (see `output`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::load::{load, reproduce, Loaded, ScenarioOptions};
use super::output::{note, Output};
use super::{bad_input, EXIT_FAILED};
use crate::report::{run_page, FileRuns, ReportDir};
use crate::scenario::Scenario;
use crate::shown::shown;
use crate::sim::report::{side_by_side, Report, RunLine};
use crate::sim::run::{run_collecting as simulate, Collect};

#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Scenario files, or names of embedded scenarios (default: quickstart).
    #[arg(value_name = "SCENARIO")]
    scenarios: Vec<String>,
    /// Seed for every run, instead of each scenario's own `seed`.
    #[arg(long)]
    seed: Option<u64>,
    /// One JSON object per run, on its own line (SPEC §9), instead of the table.
    #[arg(long)]
    json: bool,
    /// Write every event of every run to FILE as JSON Lines.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write a self-contained HTML report to DIR/index.html (created if missing): each file's runs
    /// side by side (breach metrics, invariant statuses), a timeline of first violations, crashes,
    /// attacks and detection, and SVG charts of price, reserves against liabilities, withdrawals
    /// queued and value stolen over time, with every run's seed, digest and reproduce command. No
    /// script and nothing loaded from the network; the page stays small whatever the run's length.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    #[command(flatten)]
    options: ScenarioOptions,
}

pub fn run(args: &RunArgs) -> ExitCode {
    let names: Vec<String> =
        if args.scenarios.is_empty() { vec!["quickstart".to_owned()] } else { args.scenarios.clone() };
    let most = crate::scenario::limits::MAX_SCENARIOS_PER_RUN;
    if names.len() > most {
        return bad_input(format!(
            "{} scenarios given; `exsim run` takes at most {most} at a time (run the rest in another call)",
            names.len()
        ));
    }
    // Everything is loaded and validated, and the trace opened, before anything runs.
    let mut loaded = Vec::new();
    for name in &names {
        match load(name, &args.options, args.seed) {
            Ok(l) => loaded.push(l),
            Err(e) => return bad_input(e),
        }
    }
    for l in &loaded {
        for scenario in &l.file.runs {
            if let Err(e) = crate::sim::run::check(scenario) {
                return bad_input(format!("{}: {}", run_name(l, scenario), e));
            }
        }
    }
    let mut trace = match &args.trace {
        None => None,
        Some(path) => match open_trace(path, &loaded) {
            Ok(t) => Some(t),
            Err(e) => return bad_input(e),
        },
    };
    // The report's page is opened before anything runs: an unwritable directory is exit 2.
    let inputs: Vec<&Path> = loaded.iter().map(|l| Path::new(l.arg.as_str())).collect();
    let report_dir = match args.report.as_deref().map(|d| ReportDir::open(d, &inputs)).transpose() {
        Ok(d) => d,
        Err(e) => return bad_input(e),
    };
    let collect = Collect { series: report_dir.is_some(), ..Collect::default() };
    // Each file's runs, kept for the report (their series are bounded).
    let mut reported: Vec<Vec<(&Scenario, Report)>> = Vec::new();
    let mut out = Output::stdout();
    // What the runs so far earned: 0, or 1 once an expectation failed. A closed pipe ends the
    // command with it, so an earlier failure is never masked.
    let mut code = 0u8;
    let mut first = true;
    for l in &loaded {
        // A file's runs, shown side by side after the last of them (tables only).
        let mut lines = Vec::with_capacity(l.file.runs.len());
        let mut kept = Vec::new();
        for scenario in &l.file.runs {
            if let Some(t) = trace.as_mut() {
                // Written through at once: a trace that cannot be written stops exsim before the
                // first run has printed anything.
                // What `exsim replay` needs to run it again (SPEC §9's trace header, extended).
                let header = serde_json::json!({"kind": "run", "scenario": scenario.name, "variant": scenario.variant,
                    "seed": scenario.seed, "source": l.arg, "sets": args.options.set, "faults": args.options.fault,
                    "scenario_blake3": l.text_blake3});
                if let Err(e) = writeln!(t, "{header}").and_then(|()| t.flush()) {
                    return bad_input(trace_error(args, e));
                }
            }
            if !args.json {
                // The seed and what it derives come first, so a run that hangs or panics has said them.
                let line =
                    format!("{}running {}\n", if first { "" } else { "\n" }, crate::sim::run::describe(scenario));
                if let Err(stop) = out.write(&line).and_then(|()| out.flush()) {
                    return stop.exit(code);
                }
            }
            #[allow(clippy::disallowed_methods)] // wall time is reported, never part of the digest
            let started = std::time::Instant::now();
            let result = match simulate(scenario, trace.as_mut().map(|t| t as &mut dyn Write), collect) {
                Ok(r) => r,
                Err(e) => return bad_input(format!("{}: {e}", run_name(l, scenario))),
            };
            let wall_ms = started.elapsed().as_millis() as u64;
            if let Some(e) = &result.trace_error {
                return bad_input(trace_error(args, e));
            }
            let report = Report::new(scenario, result, wall_ms, reproduce(&l.arg, &args.options, scenario));
            if !report.met() {
                code = EXIT_FAILED;
            }
            let text = if args.json { format!("{}\n", report.to_json(scenario)) } else { report.to_table(scenario) };
            first = false;
            if !args.json {
                lines.push(RunLine::of(scenario, &report));
            }
            if report_dir.is_some() {
                kept.push((scenario, report));
            }
            if let Err(stop) = out.write(&text).and_then(|()| out.flush()) {
                return stop.exit(code);
            }
        }
        if report_dir.is_some() {
            reported.push(kept);
        }
        if lines.len() > 1 {
            let text = format!("\n{}", side_by_side(&l.file.name, &lines));
            if let Err(stop) = out.write(&text).and_then(|()| out.flush()) {
                return stop.exit(code);
            }
        }
    }
    if let Some(dir) = report_dir {
        let files: Vec<FileRuns<'_>> =
            loaded.iter().zip(&reported).map(|(l, runs)| FileRuns { source: &l.arg, text: &l.text, runs }).collect();
        match dir.write(&run_page(&files)) {
            Ok(path) => note(format!("report written to {}", shown(&path.display().to_string()))),
            Err(e) => return bad_input(e),
        }
    }
    ExitCode::from(code)
}

/// How a message names one run: the scenario as given, and the variant unless it is the base.
fn run_name(l: &Loaded, scenario: &Scenario) -> String {
    if scenario.variant == "base" {
        shown(&l.arg)
    } else {
        format!("{} (variant {})", shown(&l.arg), shown(&scenario.variant))
    }
}

fn trace_error(args: &RunArgs, e: impl std::fmt::Display) -> String {
    let path = args.trace.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
    format!("--trace {}: {e}", shown(&path))
}

/// Opens the trace file, refusing one that is any of the scenario files exsim reads (exsim
/// never overwrites its own inputs).
fn open_trace(path: &Path, loaded: &[Loaded]) -> Result<BufWriter<File>, String> {
    let named = || shown(&path.display().to_string());
    for l in loaded {
        let input = Path::new(&l.arg);
        if input.exists() && same_file::is_same_file(path, input).unwrap_or(false) {
            return Err(format!(
                "--trace {}: that is the scenario file {}, an input of this run; exsim never overwrites its inputs",
                named(),
                shown(&l.arg)
            ));
        }
    }
    File::create(path).map(|f| BufWriter::with_capacity(1 << 16, f)).map_err(|e| format!("--trace {}: {e}", named()))
}
