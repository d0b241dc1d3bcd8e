//! `exsim diff`: an outside matching engine against the reference, over swarm-generated flows
//! (SPEC §12).
//!
//! For each seed: [`flow::generate`] draws a feature mix and a flow from the seed's stream
//! `diff/flow`; [`compare::first_divergence`] sends it to a fresh engine process
//! ([`engine::Outside`], `sh -c CMD`) message by message beside the reference and stops at the
//! first answer that differs; [`check_seed`] then cuts the flow after that message and shrinks it
//! with [`ddmin`] (a fresh engine per candidate) to a short flow that still diverges the
//! same way (a different answer, a timeout, an exit or garbage), tries [`simplify`]'s small ids
//! and prices on it, and [`book_file`] writes it as an `exsim book` file that replays the
//! reference's side.
//!
//! Invariants: everything but the engine is deterministic — the flows depend only on the seed,
//! the reference's answers only on the flow; the shrunk flow diverges (it was re-run to say how)
//! and is a subsequence of the original cut after the first divergence (its ids and prices
//! perhaps renamed by [`simplify`], which changes nothing for the reference); a flow that diverges
//! only sometimes (a flaky engine) is reported unshrunk rather than shrunk to one that passes;
//! each engine process is killed and reaped when its flow is done.

pub mod compare;
pub mod engine;
pub mod flow;
pub mod simplify;

use std::io;
use std::time::Duration;

pub use crate::ddmin::{ddmin, Shrunk};
pub use compare::{first_divergence, reference_answers, Answerer, Divergence, Kind};
pub use engine::{Answer, Outside, Trouble};
pub use flow::{generate, Mix, DEFAULT_MESSAGES, MAX_MESSAGES};

use crate::bookfile::Message;

/// Most engine runs one shrink may take.
pub const SHRINK_BUDGET: usize = 2_000;

/// How every book file [`book_file`] writes begins.
pub const BOOK_FILE_START: &str = "# exsim diff:";

/// The default timeout for one answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What one seed came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The engine agreed with the reference on every message.
    Agreed { messages: usize },
    /// It diverged.
    Diverged(Box<Finding>),
}

/// A divergence, before and after shrinking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub seed: u64,
    pub mix: Mix,
    /// The generated flow's length.
    pub messages: usize,
    /// The first divergence of the generated flow.
    pub original: Divergence,
    /// The shrunk flow; it diverges at its last message (when the shrink had budget enough).
    pub flow: Vec<Message>,
    /// How the shrunk flow diverges.
    pub shrunk: Divergence,
    /// Engine runs spent shrinking.
    pub tests: usize,
}

/// Why a diff could not run at all (bad input, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// `sh` could not be started.
    #[error("cannot start `sh -c {command}`: {source}")]
    Spawn { command: String, source: io::Error },
    /// The shell could not run the command (exit 126 or 127 before any answer).
    #[error("cannot run the engine `{command}`: {detail}")]
    NotRunnable { command: String, detail: String },
}

/// Runs `seed`'s flow (`messages` long, or a drawn length) through engines made by `spawn`
/// beside the reference; on a divergence, shrinks it, spending at most `budget` engine runs, and
/// calls `shrinking` before each. `command` names the engine in errors.
pub fn check_seed<E: Answerer>(
    seed: u64,
    messages: Option<usize>,
    command: &str,
    budget: usize,
    mut spawn: impl FnMut() -> io::Result<E>,
    mut shrinking: impl FnMut(usize),
) -> Result<SeedOutcome, DiffError> {
    let spawn_error = |source| DiffError::Spawn { command: crate::shown::shown(command), source };
    let (mix, flow) = generate(seed, messages);
    let generated = flow.len();
    let Some(original) = first_divergence(&mut spawn().map_err(spawn_error)?, &flow) else {
        return Ok(SeedOutcome::Agreed { messages: flow.len() });
    };
    if original.not_runnable() {
        let detail = match &original.trouble {
            Some(Trouble::Exited { status, stderr, .. }) if !stderr.is_empty() => {
                format!("{status}: {}", crate::shown::shown(stderr.lines().next().unwrap_or("")))
            }
            Some(Trouble::Exited { status, .. }) => status.clone(),
            _ => unreachable!("not runnable means exited"),
        };
        return Err(DiffError::NotRunnable { command: crate::shown::shown(command), detail });
    }
    let kind = original.kind();
    let prefix = flow[..=original.at].to_vec();
    let (items, tests) = {
        let mut diverges = |candidate: &[Message]| {
            shrinking(candidate.len());
            match spawn() {
                Ok(mut engine) => first_divergence(&mut engine, candidate).is_some_and(|d| d.kind() == kind),
                Err(_) => false,
            }
        };
        let shrunk = ddmin(prefix.clone(), budget, &mut diverges);
        let (mut items, mut tests) = (shrunk.items, shrunk.tests);
        // Small ids and prices read better; each rewrite is kept only if it still diverges. (Not
        // for a hang: every try would cost a whole timeout.)
        if !shrunk.exhausted && kind != Kind::Timeout {
            for rewrite in [simplify::renumber_ids, simplify::compact_prices] {
                if let Some(candidate) = rewrite(&items) {
                    tests += 1;
                    if diverges(&candidate) {
                        items = candidate;
                    }
                }
            }
        }
        (items, tests)
    };
    // Re-run what was found, to say how it diverges; a flaky engine keeps the cut flow.
    let (flow, shrunk_divergence) = if items == prefix {
        (prefix, original.clone())
    } else {
        match spawn().ok().and_then(|mut engine| first_divergence(&mut engine, &items)) {
            Some(d) if d.kind() == kind => (items, d),
            _ => (prefix, original.clone()),
        }
    };
    Ok(SeedOutcome::Diverged(Box::new(Finding {
        seed,
        mix,
        messages: generated,
        original,
        flow,
        shrunk: shrunk_divergence,
        tests,
    })))
}

/// A command or other text on one line of a comment: control characters escaped, nothing cut.
fn one_line(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect()
}

/// The book file of a finding: a comment header (the seed, the engine command, the mix, how the
/// flow diverges) and the shrunk flow, one message a line. `path` is where it will be written,
/// for the replay command in the header.
pub fn book_file(finding: &Finding, command: &str, path: &str) -> String {
    let mut text = String::new();
    let command = one_line(command);
    text.push_str(&format!(
        "{BOOK_FILE_START} an outside engine disagrees with the reference on this flow (SPEC §12).\n\
         # engine: {command}\n\
         # seed {}, shrunk from {} to {} messages ({} engine runs)\n\
         # mix: {}\n\
         # replay the reference: exsim book --each {}\n\
         # replay the engine:    {command} < {}\n\
         # the first divergence:\n",
        finding.seed,
        finding.messages,
        finding.flow.len(),
        finding.tests,
        finding.mix,
        one_line(path),
        one_line(path),
    ));
    for line in finding.shrunk.to_string().lines() {
        text.push_str("#   ");
        text.push_str(line);
        text.push('\n');
    }
    for message in &finding.flow {
        text.push_str(&message.to_string());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookfile;
    use crate::engine::Book;
    use crate::fault::{Fault, FaultSet};

    /// The reference (perhaps with engine faults) in this process, answering like
    /// `book --each`: the outside engine of the diff's own tests.
    pub(super) struct Local(pub(super) Book);

    impl Answerer for Local {
        fn answer(&mut self, message: &str, _: usize) -> Answer {
            let message = bookfile::parse_line(message.as_bytes()).unwrap().unwrap();
            let mut bytes = Vec::new();
            bookfile::answer(&mut self.0, message, &mut Vec::new(), &mut bytes).unwrap();
            bookfile::write_top(&self.0, &mut bytes).unwrap();
            Answer { lines: String::from_utf8(bytes).unwrap().lines().map(str::to_owned).collect(), trouble: None }
        }
    }

    #[test]
    fn the_reference_agrees_and_each_engine_fault_is_caught_and_shrunk_small() {
        let spawn = |faults| move || Ok(Local(Book::with_faults(faults)));
        for seed in 0..20 {
            let outcome = check_seed(seed, None, "local", SHRINK_BUDGET, spawn(FaultSet::NONE), |_| {}).unwrap();
            assert!(matches!(outcome, SeedOutcome::Agreed { .. }), "seed {seed}: {outcome:?}");
        }
        for fault in [Fault::IocRests, Fault::TakerPrice, Fault::PriorityLostOnPartial] {
            let faults = FaultSet::NONE.with(fault);
            let finding = (0..200)
                .find_map(|seed| match check_seed(seed, None, "local", SHRINK_BUDGET, spawn(faults), |_| {}).unwrap() {
                    SeedOutcome::Diverged(finding) => Some(finding),
                    SeedOutcome::Agreed { .. } => None,
                })
                .unwrap_or_else(|| panic!("{fault:?} is never caught"));
            assert!(finding.flow.len() <= 6, "{fault:?}: {} messages: {:?}", finding.flow.len(), finding.flow);
            assert_eq!(finding.shrunk.at, finding.flow.len() - 1, "diverges at its last message");
            assert!(finding.original.at < finding.messages);
            // The file reads back as the shrunk flow, and replays the reference's answer.
            let file = book_file(&finding, "local", "regressions/x.book");
            let mut out = Vec::new();
            bookfile::run_with(file.as_bytes(), "f", &mut out, bookfile::RunOptions { timed: false, each: true })
                .unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.ends_with(&(finding.shrunk.reference.join("\n") + "\n")), "{out}");
        }
    }

    #[test]
    fn a_comment_never_spans_lines() {
        assert_eq!(one_line("a\nb\u{1b}"), "a\\nb\\u{1b}");
    }
}
