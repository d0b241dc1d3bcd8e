//! The tape: everything the exchange applied and its auditor was shown, in order, recorded for
//! `exsim shrink` — each command with its time, its origin and the answer it got (and the payment
//! it emitted, if any), and each fact a chain reported. It is what a regression file is cut from.
//!
//! Invariants:
//! - the tape is the exchange's history as it stands: a crash removes the commands it lost (those
//!   past the durable log), so the commands on the tape, applied in order to a fresh exchange,
//!   rebuild the exchange the run ended with; chain facts are the world's and survive a crash;
//! - it is bounded: past [`TAPE_MAX`] entries it stops recording and says so
//!   ([`Tape::overflowed`]), never growing without limit;
//! - recording changes nothing in the run: the event stream and the digest are the same taped
//!   or not.

use crate::chain::ChainFact;
use crate::exchange::{Command, Intent, Origin, Outcome, Payment, TxId};

/// The most entries a tape records (about 150 bytes each).
pub const TAPE_MAX: usize = 1_000_000;

/// One thing on the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taped {
    /// A command as the exchange applied it: log entry `index` (from genesis).
    Command {
        index: usize,
        time_ns: u64,
        origin: Origin,
        command: Command,
        outcome: Outcome,
        /// The payment it emitted (a withdrawal sent), with the transaction id it gave it.
        paid: Option<(TxId, Payment)>,
    },
    /// A fact a chain reported, shown to the auditor at `time_ns`.
    Chain { time_ns: u64, fact: ChainFact },
}

/// The recording.
#[derive(Clone, Debug, Default)]
pub struct Tape {
    entries: Vec<Taped>,
    overflowed: bool,
}

impl Tape {
    /// Everything recorded, in order.
    pub fn entries(&self) -> &[Taped] {
        &self.entries
    }

    /// Whether more than [`TAPE_MAX`] entries happened: the tape stopped recording.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    fn push(&mut self, entry: Taped) {
        if self.entries.len() < TAPE_MAX {
            self.entries.push(entry);
        } else {
            self.overflowed = true;
        }
    }

    /// Records log entry `index`, applied at `time_ns` from `origin`, with its outcome and intents.
    pub fn command(
        &mut self,
        index: usize,
        time_ns: u64,
        origin: Origin,
        command: &Command,
        outcome: Outcome,
        intents: &[Intent],
    ) {
        let paid = intents.iter().find_map(Intent::payment);
        self.push(Taped::Command { index, time_ns, origin, command: *command, outcome, paid });
    }

    /// Records a chain's fact shown to the auditor at `time_ns`.
    pub fn fact(&mut self, time_ns: u64, fact: &ChainFact) {
        self.push(Taped::Chain { time_ns, fact: *fact });
    }

    /// A crash kept the log's first `durable` entries: the commands past them never happened.
    /// They are the most recent ones, so only the tape's tail is looked at.
    pub fn crash(&mut self, durable: usize) {
        let mut start = self.entries.len();
        while start > 0 {
            match self.entries[start - 1] {
                Taped::Command { index, .. } if index < durable => break,
                _ => start -= 1,
            }
        }
        let mut kept = start;
        for i in start..self.entries.len() {
            if matches!(self.entries[i], Taped::Chain { .. }) {
                self.entries[kept] = self.entries[i];
                kept += 1;
            }
        }
        self.entries.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainFact;
    use crate::exchange::Ack;
    use crate::units::AssetId;

    fn command(tape: &mut Tape, index: usize) {
        let c = Command::open_account();
        tape.command(index, index as u64, Origin::System, &c, Ok(Ack::Posted), &[]);
    }

    fn fact(tape: &mut Tape, t: u64) {
        tape.fact(t, &ChainFact::Reserves { asset: AssetId(0), height: t, hot: 1, cold: 0 });
    }

    #[test]
    fn a_crash_drops_the_lost_commands_and_keeps_the_facts() {
        let mut tape = Tape::default();
        command(&mut tape, 0);
        fact(&mut tape, 10);
        command(&mut tape, 1);
        command(&mut tape, 2);
        fact(&mut tape, 11);
        command(&mut tape, 3);
        tape.crash(2);
        let kept: Vec<String> = tape
            .entries()
            .iter()
            .map(|e| match e {
                Taped::Command { index, .. } => format!("c{index}"),
                Taped::Chain { time_ns, .. } => format!("f{time_ns}"),
            })
            .collect();
        assert_eq!(kept, ["c0", "f10", "c1", "f11"]);
        // After recovery the log goes on from the durable length.
        command(&mut tape, 2);
        tape.crash(3);
        assert_eq!(tape.entries().len(), 5, "nothing past the durable log to drop");
    }
}
