//! `exsim shrink SCENARIO --seed N [--fault F]… [--variant V] [--set …] [--invariant I] [-o FILE]`:
//! simulates one run, and cuts what broke an invariant down to a regression file of the fewest
//! commands that still break it (see `regress::shrink`). Prints the sizes before and after and how
//! to replay the file. Exit 0: written; 1: nothing to shrink (the run broke nothing, or not that
//! invariant), or what broke needs the simulator; 2: bad input or an unwritable file.
//!
//! Invariants: the scenario is loaded and validated and the output's directory made before the
//! run; the file is written whole to a temporary name beside it and renamed, so a failed shrink
//! never leaves a half-written regression; the output is never the scenario file itself.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::load::{load, reproduce, ScenarioOptions};
use super::output::{self, Output};
use super::{bad_input, shell_word, EXIT_FAILED};
use crate::audit::Invariant;
use crate::regress::shrink::{shrink, ShrinkError, DEFAULT_BUDGET};
use crate::regress::{file, Provenance};
use crate::shown::shown;

#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// A scenario file, or the name of an embedded scenario.
    #[arg(value_name = "SCENARIO")]
    scenario: String,
    /// The seed of the run to shrink (default: the scenario's own).
    #[arg(long)]
    seed: Option<u64>,
    /// The invariant to keep broken (default: the first of the faults' own invariants that broke,
    /// else the first that broke). `exsim list invariants` lists them.
    #[arg(long, value_name = "NAME")]
    invariant: Option<String>,
    /// Where to write the regression file (default:
    /// `regressions/<scenario>-<variant>-seed<N>[-<fault>…][-<invariant>].regression`, the
    /// invariant when `--invariant` names it).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Most replays to spend (each replays a candidate from scratch).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BUDGET)]
    budget: usize,
    #[command(flatten)]
    options: ScenarioOptions,
}

pub fn run(args: &ShrinkArgs) -> ExitCode {
    let loaded = match load(&args.scenario, &args.options, args.seed) {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    let wanted = match args.invariant.as_deref().map(|name| (name, Invariant::from_id(name))) {
        None => None,
        Some((_, Some(i))) => Some(i),
        Some((name, None)) => {
            let valid: Vec<&str> = Invariant::ALL.iter().map(|i| i.id()).collect();
            return bad_input(format!("--invariant {}: unknown; valid are {}", shown(name), valid.join(", ")));
        }
    };
    // One run: the one `--variant` kept, else the base (always the first).
    let Some(scenario) = loaded.file.runs.first() else {
        return bad_input(format!("{}: no run to shrink", shown(&args.scenario)));
    };
    if let Err(e) = crate::sim::run::check(scenario) {
        return bad_input(format!("{}: {e}", shown(&args.scenario)));
    }
    let from = Provenance {
        source: args.scenario.clone(),
        scenario: scenario.name.clone(),
        variant: scenario.variant.clone(),
        seed: scenario.seed,
        sets: args.options.set.clone(),
        faults: args.options.fault.clone(),
        entries_before: 0,
        tests: 0,
    };
    let path = args.output.clone().unwrap_or_else(|| default_path(&from, wanted));
    let input = Path::new(&args.scenario);
    if input.exists() && path.exists() && same_file::is_same_file(&path, input).unwrap_or(false) {
        return bad_input(format!(
            "-o {}: that is the scenario file; exsim never overwrites its inputs",
            shown(&path.display().to_string())
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return bad_input(format!("-o {}: cannot create its directory: {e}", shown(&path.display().to_string())));
        }
    }
    output::note(format!("shrinking {}", crate::sim::run::describe(scenario)));
    let mut last_note = (String::new(), 0usize);
    let mut progress = |phase: &str, size: usize, tests: usize| {
        // A line per phase, and every 500 replays: enough to see it move, never a flood.
        if phase != last_note.0 || tests >= last_note.1 + 500 {
            if size == 0 {
                output::note(format!("  {phase}…"));
            } else {
                output::note(format!("  {phase}: {size} entries ({tests} replays)"));
            }
            last_note = (phase.to_owned(), tests);
        }
    };
    #[allow(clippy::disallowed_methods)] // wall time is reported, never part of a result
    let started = std::time::Instant::now();
    let shrunk = match shrink(scenario, from, wanted, args.budget, &mut progress) {
        Ok(s) => s,
        Err(ShrinkError::Config(e)) => return bad_input(format!("{}: {e}", shown(&args.scenario))),
        Err(e) => {
            output::message(e);
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let shown_path = path.display().to_string();
    let replay = format!("exsim replay {}", shell_word(&shown_path));
    let origin = reproduce(&args.scenario, &args.options, scenario);
    let comments = vec![
        format!("exsim regression: replaying it breaks `{}`", shrunk.invariant.id()),
        format!("  {}", shrunk.regression.header.detail),
        format!("cut from: {origin}"),
        format!(
            "shrunk: {} entries -> {} in {} replays{}",
            shrunk.before,
            shrunk.after,
            shrunk.tests,
            if shrunk.exhausted { " (budget ran out: may not be minimal)" } else { "" }
        ),
        format!("replay:  {replay}"),
        "Keep it under regressions/ and `cargo test` replays it; once the bug is fixed, set \"expect\" to \"held\"."
            .to_owned(),
    ];
    let text = file::write(&shrunk.regression, &comments);
    let temporary = path.with_extension("regression.partial");
    if let Err(e) = std::fs::write(&temporary, &text).and_then(|()| std::fs::rename(&temporary, &path)) {
        let _ = std::fs::remove_file(&temporary);
        return bad_input(format!("-o {}: {e}", shown(&shown_path)));
    }
    let report = format!(
        "{}: `{}` still breaks with {} of {} entries ({} replays, {seconds:.1}s){}\nwrote {}\nreplay: {replay}\n",
        shown(&args.scenario),
        shrunk.invariant.id(),
        shrunk.after,
        shrunk.before,
        shrunk.tests,
        if shrunk.exhausted { "; the budget ran out, it may not be minimal" } else { "" },
        shown(&shown_path),
    );
    let mut out = Output::stdout();
    match out.write(&report).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(0),
    }
}

/// `regressions/<scenario>-<variant>-seed<N>[-<fault>…][-<invariant>].regression`, with only
/// file-name-safe characters.
fn default_path(from: &Provenance, wanted: Option<Invariant>) -> PathBuf {
    let mut name = format!("{}-{}-seed{}", from.scenario, from.variant, from.seed);
    for f in &from.faults {
        name.push('-');
        name.push_str(f);
    }
    if let Some(i) = wanted {
        name.push('-');
        name.push_str(i.id());
    }
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    Path::new("regressions").join(format!("{safe}.regression"))
}
