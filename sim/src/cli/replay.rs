//! `exsim replay FILE`: re-runs what FILE recorded, by what it is:
//! - a **trace** (`exsim run --trace FILE`): every run again, reporting the first event that
//!   differs from the recording — the determinism check at event granularity. Exit 0: every run
//!   replayed identically; 1: a divergence (its line, the recorded event and the replayed one);
//! - a **regression file** (`exsim shrink`): its entries on a fresh exchange under the auditor
//!   (`regress`). Exit 1: the invariant it names breaks; 0: it holds. Either way it says whether
//!   that is what the file expects;
//! - a **fuzz artifact** (`cargo fuzz` writes `fuzz/artifacts/<target>/crash-…`): the input
//!   through its target again (the target from `--target`, else the artifact's directory). Exit 1:
//!   it still fails (the failure shown); 0: it passes now.
//!
//! Exit 2: none of these, or a trace's scenario that changed or cannot be loaded.
//!
//! Invariants: nothing is written but the report; memory is one recorded line at a time (see
//! `sim::replay`); a run is replayed only if its scenario's text has the BLAKE3 the trace recorded,
//! so a divergence is exsim's (or the trace's), never an edited scenario file's.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load::{load, ScenarioOptions};
use super::output::Output;
use super::{bad_input, EXIT_FAILED};
use crate::regress;
use crate::shown::shown;
use crate::sim::replay::{Compare, Divergence, Recorded, RunHeader};
use crate::sim::run::run as simulate;

/// Longest excerpt of an event shown in a report (`shown` cuts there too).
const SHOWN_CHARS: usize = 80;

/// Characters shown before the first difference.
const SHOWN_BEFORE: usize = 30;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A trace (`exsim run --trace FILE`), a regression file (`exsim shrink`) or a fuzz artifact.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// For a fuzz artifact: its target (exchange, scenario, book or scenario_parse); by default
    /// the directory it is in (`fuzz/artifacts/<target>/…`).
    #[arg(long, value_name = "TARGET")]
    target: Option<String>,
    /// One JSON object on standard output instead of the text: `kind` (trace, regression or
    /// artifact), `status` (`held`, `violated`, `diverged`, `failed` or `passed`) and the details.
    #[arg(long)]
    json: bool,
}

/// Prints the verdict (text or `--json`) and, when it breaks, names what broke on standard error.
fn verdict_out(args: &ReplayArgs, text: &str, json: serde_json::Value, code: u8, broke: Option<String>) -> ExitCode {
    if let Some(b) = broke {
        super::output::message(b);
    }
    let mut out = Output::stdout();
    let said = if args.json { format!("{json}\n") } else { text.to_owned() };
    match out.write(&said).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(code),
        Err(stop) => stop.exit(code),
    }
}

/// The fuzz targets an artifact may come from, and what runs one input.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 3] = [
    ("exchange", crate::script::fuzz),
    ("scenario", crate::sim::swarm::fuzz_quickstart),
    ("book", crate::testkit::fuzz::book),
];

/// Bytes read to tell what a file is.
const SNIFF_BYTES: u64 = 1 << 16;

pub fn run(args: &ReplayArgs) -> ExitCode {
    let name = shown(&args.file.display().to_string());
    let mut head = Vec::new();
    match File::open(&args.file).and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head)) {
        Ok(_) => {}
        Err(e) => return bad_input(format!("{name}: {e}")),
    }
    if head.is_empty() {
        return bad_input(format!("{name}: empty; expected a trace, a regression file or a fuzz artifact"));
    }
    let text = String::from_utf8_lossy(&head);
    if args.target.is_none() && regress::file::is_regression(&text) {
        return regression(args, &name);
    }
    let first = text.lines().next().unwrap_or("");
    if args.target.is_none() && RunHeader::parse(first).is_some() {
        return trace(args, &name);
    }
    let target = args.target.clone().or_else(|| {
        let dir = args.file.parent()?.file_name()?.to_str()?;
        TARGETS.iter().any(|(t, _)| *t == dir).then(|| dir.to_owned())
    });
    match target {
        Some(t) => artifact(args, &name, &t),
        None => bad_input(format!(
            "{name}: not a trace (`exsim run --trace`), a regression file (`exsim shrink`), or a fuzz artifact \
             under fuzz/artifacts/<target>/; for an artifact elsewhere, say its target with --target ({})",
            TARGETS.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Replays a regression file: exit 1 when its invariant breaks, 0 when it holds.
fn regression(args: &ReplayArgs, name: &str) -> ExitCode {
    let mut bytes = Vec::new();
    let read =
        File::open(&args.file).and_then(|f| f.take(regress::file::MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return bad_input(format!("{name}: {e}"));
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return bad_input(format!("{name}: not UTF-8; a regression file is text"));
    };
    let (parsed, lines) = match regress::file::parse_lines(&text, name) {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    let verdict = match regress::judge(&parsed) {
        Ok(v) => v,
        Err(e) => return bad_input(format!("{name}: {e}")),
    };
    let id = verdict.invariant.id();
    let expectation = match (verdict.met(), verdict.expect) {
        (true, _) => "as the file expects".to_owned(),
        (false, regress::Expect::Violated) => {
            "the file expects it broken: fixed? then set \"expect\" to \"held\"".to_owned()
        }
        (false, regress::Expect::Held) => "the file expects it held: a regression".to_owned(),
    };
    let others: Vec<String> = verdict
        .broken
        .iter()
        .filter(|(i, _)| *i != verdict.invariant)
        .map(|(i, n)| format!("{} ({n})", i.id()))
        .collect();
    let also = if others.is_empty() { String::new() } else { format!("\n  also broken: {}", others.join(", ")) };
    let json = serde_json::json!({
        "file": name, "kind": "regression", "invariant": id,
        "status": if verdict.violations > 0 { "violated" } else { "held" },
        "violations": verdict.violations, "expect": parsed.header.expect, "expectation_met": verdict.met(),
        "detail": verdict.detail, "entries": parsed.entries.len(),
        "first_entry": verdict.first_break.map(|i| i + 1), "first_line": verdict.first_break.map(|i| lines[i]),
        "broken": verdict.broken.iter().map(|(i, n)| (i.id().to_owned(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
    });
    if verdict.violations > 0 {
        let detail = verdict.detail.as_deref().map(shown).unwrap_or_default();
        let at = match verdict.first_break {
            Some(i) => format!("at entry {} (line {})", i + 1, lines[i]),
            None => "in the end-of-run scans".to_owned(),
        };
        let text = format!(
            "{name}: `{id}` violated ({} times), {expectation}; {} entries replayed\n  first {at}: {detail}{also}\n",
            verdict.violations,
            parsed.entries.len()
        );
        verdict_out(args, &text, json, EXIT_FAILED, Some(format!("{name}: invariant `{id}` violated")))
    } else {
        let text = format!("{name}: `{id}` held, {expectation}; {} entries replayed{also}\n", parsed.entries.len());
        verdict_out(args, &text, json, 0, None)
    }
}

/// Runs a fuzz artifact through its target: exit 1 when it still fails (panics), 0 when not.
fn artifact(args: &ReplayArgs, name: &str, target: &str) -> ExitCode {
    let Some(&(_, run)) = TARGETS.iter().find(|(t, _)| *t == target) else {
        return bad_input(format!(
            "--target {}: unknown; the fuzz targets are {}",
            shown(target),
            TARGETS.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
        ));
    };
    let mut data = Vec::new();
    let most = crate::testkit::fuzz::MAX_INPUT_BYTES;
    if let Err(e) = File::open(&args.file).and_then(|f| f.take(most as u64 + 1).read_to_end(&mut data)) {
        return bad_input(format!("{name}: {e}"));
    }
    if data.len() > most {
        return bad_input(format!("{name}: more than {most} bytes; the fuzz targets ignore longer inputs"));
    }
    // The target's oracle is a panic: caught here, its message kept, nothing printed by the hook.
    let message = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let kept = std::sync::Arc::clone(&message);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut m) = kept.lock() {
            *m = Some(info.to_string());
        }
    }));
    let outcome = std::panic::catch_unwind(|| run(&data));
    std::panic::set_hook(hook);
    match outcome {
        Ok(()) => {
            let json = serde_json::json!({"file": name, "kind": "artifact", "target": target, "status": "passed"});
            verdict_out(
                args,
                &format!("{name}: passes the `{target}` target now ({} bytes)\n", data.len()),
                json,
                0,
                None,
            )
        }
        Err(_) => {
            let what = message.lock().ok().and_then(|m| m.clone()).unwrap_or_else(|| "a panic".to_owned());
            // The targets panic with the invariant's name first (`<invariant> violated at …`).
            let invariant =
                crate::audit::Invariant::ALL.iter().map(|i| i.id()).find(|id| what.contains(&format!("{id} violated")));
            let json = serde_json::json!({"file": name, "kind": "artifact", "target": target, "status": "failed",
                "invariant": invariant, "message": what});
            let broke = match invariant {
                Some(id) => format!("{name}: invariant `{id}` violated"),
                None => format!("{name}: still fails the `{target}` target"),
            };
            // An `exchange` input reads as its script.
            let script = match (target, crate::script::Script::decode(&data)) {
                ("exchange", Some(script)) if !what.contains("\nscript:\n") => format!("script:\n{script:?}\n"),
                _ => String::new(),
            };
            let text = format!("{name}: still fails the `{target}` target:\n{what}\n{script}");
            verdict_out(args, &text, json, EXIT_FAILED, Some(broke))
        }
    }
}

/// Replays a trace.
fn trace(args: &ReplayArgs, name: &str) -> ExitCode {
    let name = name.to_owned();
    let file = match File::open(&args.file) {
        Ok(f) => f,
        Err(e) => return bad_input(format!("{name}: {e}")),
    };
    let mut recorded = Recorded::new(BufReader::with_capacity(1 << 16, file));
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
            let json = serde_json::json!({"file": name, "kind": "trace", "status": "diverged", "line": d.line,
                "scenario": header.scenario, "variant": header.variant, "seed": header.seed,
                "recorded": d.recorded.as_deref().map(shown), "replayed": d.replayed.as_deref().map(shown)});
            let broke = format!("{name}:{}: the replay diverges from the recording", d.line);
            return verdict_out(args, &text, json, EXIT_FAILED, Some(broke));
        }
        let _ = result;
    }
    let text = format!("{name}: {runs} run(s), {events} events replayed: no divergence\n");
    let json = serde_json::json!({"file": name, "kind": "trace", "status": "held", "runs": runs, "events": events});
    verdict_out(args, &text, json, 0, None)
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
