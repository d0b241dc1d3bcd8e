//! `exsim diff --engine CMD [--seeds A..B] [-o FILE] [--messages N] [--timeout SECS]`: an outside
//! matching engine beside the reference over each seed's swarm flow (SPEC §12). Stops at the
//! first seed that diverges: prints the diverging message with both answers, shrinks the flow,
//! writes it as a book file and prints where. Exit 0 when every seed agreed, 1 on a divergence,
//! 2 on bad input (bad arguments, an engine command that cannot be run, a file that cannot be
//! written).
//!
//! Invariants: seeds run in order, one engine process at a time, each killed when its flow is
//! done; memory does not grow with the number of seeds; a progress bar goes to standard error on
//! a terminal only; the book file is written before the finding is reported as written, and it
//! never replaces a file that does not begin like one `exsim diff` wrote (SPEC §13: exsim never
//! overwrites one of its own inputs).

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::output::{Output, Stop};
use super::{bad_input, shell_word, EXIT_FAILED};
use crate::diff::{self, Outside, SeedOutcome, BOOK_FILE_START, DEFAULT_TIMEOUT, MAX_MESSAGES, SHRINK_BUDGET};
use crate::shown::shown;
use crate::sim::sweep::{parse_seeds, Shard};

/// Longest `--timeout`, in seconds.
const MAX_TIMEOUT_SECS: f64 = 3600.0;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The engine to test: a shell command (run with `sh -c`) that reads messages in the
    /// `exsim book` format on standard input and answers each with its output lines, then a
    /// `B,<best_bid>,<best_ask>` line, flushed (the protocol `exsim book --each` speaks).
    #[arg(long, value_name = "CMD")]
    engine: String,
    /// Seeds to run, one flow each: A..B (B excluded) or A..=B.
    #[arg(long, value_name = "A..B", default_value = "0..100")]
    seeds: String,
    /// Where to write the shrunk flow of a divergence (default: regressions/diff-<seed>.book).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Messages per flow (default: drawn from each seed, 100 to 200; at most 100000).
    #[arg(long, value_name = "N")]
    messages: Option<usize>,
    /// Seconds to wait for each answer before the engine counts as hung.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT.as_secs_f64())]
    timeout: f64,
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let range = match parse_seeds(&args.seeds) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("--seeds: {e}")),
    };
    match args.messages {
        Some(0) => return bad_input("--messages 0: a flow needs at least one message"),
        Some(n) if n > MAX_MESSAGES => return bad_input(format!("--messages {n}: at most {MAX_MESSAGES}")),
        _ => {}
    }
    if !(args.timeout > 0.0 && args.timeout <= MAX_TIMEOUT_SECS) {
        return bad_input(format!("--timeout {}: expected seconds above 0, at most {MAX_TIMEOUT_SECS}", args.timeout));
    }
    if args.engine.trim().is_empty() {
        return bad_input("--engine: expected a command, found nothing");
    }
    if let Some(Err(e)) = args.output.as_deref().map(writable) {
        return bad_input(e);
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let seeds = Shard::ALL.seeds(range);
    let bar = match u64::try_from(seeds.len()) {
        _ if !io::stderr().is_terminal() => ProgressBar::hidden(),
        Ok(total) => ProgressBar::new(total),
        Err(_) => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} seeds [{bar:30}] {elapsed_precise} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut out = Output::stdout();
    let (mut agreed, mut messages) = (0u128, 0u128);
    for seed in seeds.iter() {
        let outcome = diff::check_seed(
            seed,
            args.messages,
            &args.engine,
            SHRINK_BUDGET,
            || Outside::spawn(&args.engine, timeout),
            |len| bar.set_message(format!("seed {seed} diverged: shrinking, {len} messages")),
        );
        bar.inc(1);
        match outcome {
            Err(e) => {
                bar.finish_and_clear();
                return bad_input(e);
            }
            Ok(SeedOutcome::Agreed { messages: n }) => {
                agreed += 1;
                messages += n as u128;
            }
            Ok(SeedOutcome::Diverged(finding)) => {
                bar.finish_and_clear();
                return report(args, &finding, &mut out);
            }
        }
    }
    bar.finish_and_clear();
    let summary = format!(
        "agreed: {} answered like the reference on all {agreed} seed(s) ({messages} messages)",
        shown(&args.engine)
    );
    match out.line(&summary).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(0),
    }
}

/// Writes the finding's book file and says what diverged, how it shrank and where it is.
fn report(args: &DiffArgs, finding: &diff::Finding, out: &mut Output) -> ExitCode {
    let path = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("regressions/diff-{}.book", finding.seed)));
    let shown_path = shown(&path.display().to_string());
    if let Err(e) = writable(&path) {
        return bad_input(e);
    }
    let text = diff::book_file(finding, &args.engine, &path.display().to_string());
    let written = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, text));
    if let Err(e) = written {
        return bad_input(format!("{shown_path}: cannot write the shrunk flow: {e}"));
    }
    let engine = shell_word(&args.engine);
    let text = format!(
        "seed {seed} diverged at {original}\n\
         shrunk the first {before} of {total} messages to {after} ({tests} engine runs), written to {shown_path}; \
         it diverges at {shrunk}\n\
         replay the reference: exsim book --each {path_word}\n\
         reproduce:            exsim diff --engine {engine} --seeds {seed}..={seed}{messages}\n",
        seed = finding.seed,
        original = finding.original,
        before = finding.original.at + 1,
        total = finding.messages,
        after = finding.flow.len(),
        tests = finding.tests,
        shrunk = finding.shrunk,
        path_word = shell_word(&path.display().to_string()),
        messages = args.messages.map(|n| format!(" --messages {n}")).unwrap_or_default(),
    );
    match out.write(&text).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(EXIT_FAILED),
        Err(stop) => Stop::exit(stop, EXIT_FAILED),
    }
}

/// Whether a book file may be written at `path`: a new file, or one that `exsim diff` wrote.
/// Never overwrites what may be an input (the engine's own script, say).
fn writable(path: &std::path::Path) -> Result<(), String> {
    let Ok(file) = std::fs::File::open(path) else { return Ok(()) };
    let mut head = Vec::new();
    let _ = io::Read::read_to_end(&mut io::Read::take(file, BOOK_FILE_START.len() as u64), &mut head);
    if head == BOOK_FILE_START.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "{}: will not overwrite a file that exsim diff did not write; choose another -o FILE",
            shown(&path.display().to_string())
        ))
    }
}
