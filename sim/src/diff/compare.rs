//! One flow through the reference and an engine side by side, message by message, to the first
//! divergence.
//!
//! The reference's answer to a message is exactly what `exsim book --each` writes for it (the
//! same `bookfile::answer` and `write_top`): its `T`, `X` and `J` lines, then its `B` line.
//!
//! Invariants: [`first_divergence`] sends the messages in order and stops at the first answer
//! that differs in any line, is incomplete, or came with trouble (timeout, exit, garbage), so a
//! reported divergence always names the first message whose answer was wrong; it never asks the
//! engine for more lines than the reference's answer has plus [`SLACK`], so what it holds is
//! bounded by the reference's answer.

use std::fmt;

use super::engine::{Answer, Trouble};
use crate::bookfile::{self, Message};
use crate::engine::Book;

/// Lines an engine's answer may have beyond the reference's before it counts as garbage.
pub const SLACK: usize = 16;

/// Anything that answers messages in the line protocol: an [`Outside`](super::Outside) engine,
/// or (in tests) an engine in the same process.
pub trait Answerer {
    /// The answer to one message line (its `B` line last), reading at most `most_lines` lines.
    fn answer(&mut self, message: &str, most_lines: usize) -> Answer;
}

impl Answerer for super::Outside {
    fn answer(&mut self, message: &str, most_lines: usize) -> Answer {
        self.ask(message, most_lines)
    }
}

/// The kind of a divergence: a shrunk flow must keep the kind it started from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The engine answered, differently.
    Answer,
    /// No complete answer in time.
    Timeout,
    /// The engine exited or closed its output.
    Exited,
    /// Lines too long or too many.
    Garbage,
}

/// The first message whose answers differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the message in the flow.
    pub at: usize,
    /// The message, as its line.
    pub message: String,
    /// The reference's answer (its `B` line last).
    pub reference: Vec<String>,
    /// What the engine wrote for it.
    pub engine: Vec<String>,
    /// What went wrong besides the lines, if anything.
    pub trouble: Option<Trouble>,
}

impl Divergence {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self.trouble {
            None => Kind::Answer,
            Some(Trouble::Timeout(_)) => Kind::Timeout,
            Some(Trouble::Exited { .. }) => Kind::Exited,
            Some(Trouble::Garbage(_)) => Kind::Garbage,
        }
    }

    /// Whether the engine command could not be run at all: `sh` said 126 (not executable) or
    /// 127 (not found) before any answer line of the first message. Bad input, not a finding.
    pub fn not_runnable(&self) -> bool {
        self.at == 0
            && self.engine.is_empty()
            && matches!(self.trouble, Some(Trouble::Exited { code: Some(126 | 127), .. }))
    }
}

impl fmt::Display for Divergence {
    /// Several lines: the message, the reference's answer, the engine's answer and its trouble.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |lines: &[String]| {
            if lines.is_empty() {
                "(nothing)".to_owned()
            } else {
                lines.iter().map(|l| crate::shown::shown(l)).collect::<Vec<_>>().join("  ")
            }
        };
        writeln!(f, "message {}: {}", self.at + 1, self.message)?;
        writeln!(f, "  reference: {}", show(&self.reference))?;
        write!(f, "  engine:    {}", show(&self.engine))?;
        match &self.trouble {
            None => Ok(()),
            Some(Trouble::Timeout(t)) => write!(f, "\n  then no answer within {} s", t.as_secs_f64()),
            Some(Trouble::Garbage(why)) => write!(f, "\n  then {why}"),
            Some(Trouble::Exited { status, stderr, .. }) => {
                write!(f, "\n  then the engine ended: {status}")?;
                for line in stderr.lines().take(8) {
                    write!(f, "\n  | {}", crate::shown::shown(line))?;
                }
                Ok(())
            }
        }
    }
}

/// The reference's answers to `flow`, one per message, each ending in its `B` line.
pub fn reference_answers(flow: &[Message]) -> Vec<Vec<String>> {
    let mut book = Book::new();
    let mut events = Vec::new();
    let mut bytes = Vec::new();
    flow.iter()
        .map(|&message| {
            bytes.clear();
            bookfile::answer(&mut book, message, &mut events, &mut bytes).expect("writing to memory");
            bookfile::write_top(&book, &mut bytes).expect("writing to memory");
            String::from_utf8(bytes.clone()).expect("the format is ASCII").lines().map(str::to_owned).collect()
        })
        .collect()
}

/// Sends `flow` to `engine` and compares every answer with the reference's; the first
/// divergence, or `None` when they agree on every message.
pub fn first_divergence(engine: &mut dyn Answerer, flow: &[Message]) -> Option<Divergence> {
    let answers = reference_answers(flow);
    for (at, (message, reference)) in flow.iter().zip(answers).enumerate() {
        let line = message.to_string();
        let answer = engine.answer(&line, reference.len() + SLACK);
        if answer.trouble.is_some() || answer.lines != reference {
            return Some(Divergence { at, message: line, reference, engine: answer.lines, trouble: answer.trouble });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Book;
    use crate::fault::{Fault, FaultSet};

    use super::super::tests::Local;

    fn flow(lines: &str) -> Vec<Message> {
        lines.lines().filter_map(|l| bookfile::parse_line(l.as_bytes()).unwrap()).collect()
    }

    #[test]
    fn the_reference_agrees_with_itself_and_a_fault_is_the_first_divergence() {
        let flow = flow("N,1,S,100,5\nN,2,S,100,5\nN,3,B,100,2\nC,9\nN,4,B,100,2\nN,5,B,100,20\n");
        assert_eq!(first_divergence(&mut Local(Book::new()), &flow), None);
        let faulty = Book::with_faults(FaultSet::NONE.with(Fault::PriorityLostOnPartial));
        let divergence = first_divergence(&mut Local(faulty), &flow).expect("diverges");
        assert_eq!(divergence.at, 4);
        assert_eq!(divergence.message, "N,4,B,100,2");
        assert_eq!(divergence.reference, ["T,100,2,1,4", "B,-,100"]);
        assert_eq!(divergence.engine, ["T,100,2,2,4", "B,-,100"]);
        assert_eq!(divergence.kind(), Kind::Answer);
        assert!(!divergence.not_runnable());
    }

    #[test]
    fn the_reference_answers_are_what_book_each_writes() {
        let answers = reference_answers(&flow("N,1,B,10,5\nN,2,S,9,2\nC,7\n"));
        assert_eq!(answers, [vec!["B,10,-"], vec!["T,10,2,1,2", "B,10,-"], vec!["J,7,unknown_order", "B,10,-"]]);
    }
}
