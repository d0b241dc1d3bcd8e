//! `exsim replay TRACE`: re-runs every run a trace recorded (`exsim run --trace FILE`) and
//! reports the first event that differs from the recording — the determinism check at event
//! granularity. Exit 0: every run replayed identically; 1: a divergence (its line, the recorded
//! event and the replayed one); 2: not a trace, or a scenario that changed or cannot be loaded.
//!
//! Invariants: nothing is written but the report; memory is one recorded line at a time (see
//! `sim::replay`); a run is replayed only if its scenario's text has the BLAKE3 the trace recorded,
//! so a divergence is exsim's (or the trace's), never an edited scenario file's.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load::{load, ScenarioOptions};
use super::output::Output;
use super::{bad_input, EXIT_FAILED};
use crate::shown::shown;
use crate::sim::replay::{Compare, Divergence, Recorded, RunHeader};
use crate::sim::run::run as simulate;

/// Longest excerpt of an event shown in a report (`shown` cuts there too).
const SHOWN_CHARS: usize = 80;

/// Characters shown before the first difference.
const SHOWN_BEFORE: usize = 30;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A trace written by `exsim run --trace FILE`.
    trace: PathBuf,
}

pub fn run(args: &ReplayArgs) -> ExitCode {
    let name = shown(&args.trace.display().to_string());
    let file = match File::open(&args.trace) {
        Ok(f) => f,
        Err(e) => return bad_input(format!("{name}: {e}")),
    };
    let mut recorded = Recorded::new(BufReader::with_capacity(1 << 16, file));
    let mut out = Output::stdout();
    let (mut runs, mut events) = (0u64, 0u64);
    loop {
        let line = match recorded.next_line() {
            Ok(None) if runs == 0 => {
                return bad_input(format!("{name}: empty; expected a trace of `exsim run --trace`"))
            }
            Ok(None) => break,
            Ok(Some(Ok(line))) => line,
            Ok(Some(Err(why))) => return bad_input(format!("{name}:{}: {why}", recorded.line())),
            Err(e) => return bad_input(format!("{name}: {e}")),
        };
        let Some(header) = RunHeader::parse(&line) else {
            return bad_input(format!(
                "{name}:{}: expected a run header (`{{\"kind\":\"run\",…}}`), as `exsim run --trace` writes first",
                recorded.line()
            ));
        };
        let (Some(source), Some(hash)) = (&header.source, &header.scenario_blake3) else {
            return bad_input(format!(
                "{name}:{}: this run's header does not say how to reproduce it (written by an older exsim): \
                 record it again with `exsim run --trace`",
                recorded.line()
            ));
        };
        let options = ScenarioOptions {
            set: header.sets.clone(),
            fault: header.faults.clone(),
            variant: Some(header.variant.clone()),
        };
        let loaded = match load(source, &options, Some(header.seed)) {
            Ok(l) => l,
            Err(e) => return bad_input(format!("{name}:{}: {e}", recorded.line())),
        };
        if &loaded.text_blake3 != hash {
            return bad_input(format!(
                "{name}:{}: scenario {} changed since the trace was recorded (BLAKE3 {} now, {} then)",
                recorded.line(),
                shown(source),
                &loaded.text_blake3[..16],
                shown(&hash[..hash.len().min(16)])
            ));
        }
        let Some(scenario) = loaded.file.runs.first() else {
            return bad_input(format!("{name}:{}: no run `{}` in {}", recorded.line(), header.variant, shown(source)));
        };
        let mut compare = Compare::new(&mut recorded);
        let result = match simulate(scenario, Some(&mut compare)) {
            Ok(r) => r,
            Err(e) => return bad_input(format!("{name}: {}: {e}", shown(source))),
        };
        events += compare.events;
        let divergence = match compare.finish() {
            Ok(d) => d,
            Err(e) => return bad_input(format!("{name}: {e}")),
        };
        runs += 1;
        if let Some(d) = divergence {
            let text = report(&name, &header, &d);
            return match out.write(&text).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::from(EXIT_FAILED),
                Err(stop) => stop.exit(EXIT_FAILED),
            };
        }
        let _ = result;
    }
    let text = format!("{name}: {runs} run(s), {events} events replayed: no divergence\n");
    match out.write(&text).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(0),
    }
}

fn report(name: &str, header: &RunHeader, d: &Divergence) -> String {
    // Both lines are shown from a little before the first character where they differ.
    let (a, b) = (d.recorded.as_deref().unwrap_or(""), d.replayed.as_deref().unwrap_or(""));
    let first = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let from = first.saturating_sub(SHOWN_BEFORE);
    let cut = |s: &Option<String>, none: &str| match s {
        None => none.to_owned(),
        Some(s) => {
            let excerpt: String = s.chars().skip(from).take(SHOWN_CHARS).collect();
            format!("{}{}", if from > 0 { "…" } else { "" }, shown(&excerpt))
        }
    };
    let seq = d
        .recorded
        .as_deref()
        .or(d.replayed.as_deref())
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
    format!(
        "{name}:{}: run {} / {} (seed {}) diverges at {}\n  recorded: {}\n  replayed: {}\n",
        d.line,
        header.scenario,
        header.variant,
        header.seed,
        seq.map_or_else(|| "this line".to_owned(), |s| format!("event {s}")),
        cut(&d.recorded, "<nothing: the recording ends here>"),
        cut(&d.replayed, "<nothing: the replay ended here>"),
    )
}
