//! `exsim run [SCENARIO…]`: runs every scenario with all its variants and prints a summary per
//! run (a table, or JSON Lines with `--json`); exit 0 when every expectation was met, 1 otherwise.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load::{load, reproduce, ScenarioOptions};
use super::{bad_input, EXIT_FAILED};
use crate::sim::report::Report;
use crate::sim::run::run as simulate;

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
    #[command(flatten)]
    options: ScenarioOptions,
}

pub fn run(args: &RunArgs) -> ExitCode {
    let names: Vec<String> =
        if args.scenarios.is_empty() { vec!["quickstart".to_owned()] } else { args.scenarios.clone() };
    // Everything is loaded and validated before anything runs.
    let mut loaded = Vec::new();
    for name in &names {
        match load(name, &args.options, args.seed) {
            Ok(l) => loaded.push(l),
            Err(e) => return bad_input(e),
        }
    }
    let mut trace = match &args.trace {
        None => None,
        Some(path) => match File::create(path) {
            Ok(f) => Some(BufWriter::with_capacity(1 << 16, f)),
            Err(e) => return bad_input(format!("--trace {}: {e}", path.display())),
        },
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut all_met = true;
    let mut first = true;
    for l in &loaded {
        for scenario in &l.file.runs {
            if let Some(t) = trace.as_mut() {
                let header = serde_json::json!({"kind": "run", "scenario": scenario.name, "variant": scenario.variant, "seed": scenario.seed});
                if let Err(e) = writeln!(t, "{header}") {
                    return bad_input(format!("--trace: {e}"));
                }
            }
            if !args.json {
                // The seed and what it derives come first, so a run that hangs or panics has said them.
                let line =
                    format!("{}running {}\n", if first { "" } else { "\n" }, crate::sim::run::describe(scenario));
                if out.write_all(line.as_bytes()).and_then(|()| out.flush()).is_err() {
                    return ExitCode::SUCCESS;
                }
            }
            #[allow(clippy::disallowed_methods)] // wall time is reported, never part of the digest
            let started = std::time::Instant::now();
            let result = match simulate(scenario, trace.as_mut().map(|t| t as &mut dyn Write)) {
                Ok(r) => r,
                Err(e) => return bad_input(format!("{}: {e}", l.arg)),
            };
            let wall_ms = started.elapsed().as_millis() as u64;
            if let Some(e) = &result.trace_error {
                return bad_input(format!("--trace: {e}"));
            }
            let report = Report::new(scenario, result, wall_ms, reproduce(&l.arg, &args.options, scenario));
            all_met &= report.met();
            let text = if args.json { format!("{}\n", report.to_json(scenario)) } else { report.to_table(scenario) };
            first = false;
            if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
                // The reader went away (a closed pipe): nothing more to say.
                return ExitCode::SUCCESS;
            }
        }
    }
    if all_met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
