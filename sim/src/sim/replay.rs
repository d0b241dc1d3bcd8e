//! Replaying a recorded trace: the determinism check at event granularity (`exsim replay
//! TRACE`). A trace (`exsim run --trace FILE`) is, per run, a header line naming how to reproduce
//! the run (the scenario as given, the variant, the seed, the `--set`s and `--fault`s, and the
//! BLAKE3 of the scenario's text), then one JSON line per event. Replaying re-runs each run and
//! compares every line it renders with the recorded one, in order: the first that differs is the
//! first event that diverged.
//!
//! Invariants: memory is bounded whatever the trace — one recorded line is held at a time, at
//! most [`MAX_TRACE_LINE`] bytes (a longer one is itself a divergence, never read whole); the
//! comparison is of the rendered lines, byte for byte, so any edit of an event (a byte, a line
//! added or removed) is found at that event; a header is never compared as an event.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

/// Longest trace line replay reads; event lines are a few hundred bytes.
pub const MAX_TRACE_LINE: usize = 64 * 1024;

/// A run's header line in a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHeader {
    /// Always `"run"`.
    pub kind: String,
    pub scenario: String,
    pub variant: String,
    pub seed: u64,
    /// The scenario as it was given to `exsim run` (a path or an embedded name).
    #[serde(default)]
    pub source: Option<String>,
    /// Its `--set` overrides, in order.
    #[serde(default)]
    pub sets: Vec<String>,
    /// Its `--fault` switches, in order.
    #[serde(default)]
    pub faults: Vec<String>,
    /// BLAKE3 of the scenario's text, hex: replay refuses a file that changed since.
    #[serde(default)]
    pub scenario_blake3: Option<String>,
}

impl RunHeader {
    /// The header of `line`, if it is one.
    pub fn parse(line: &str) -> Option<RunHeader> {
        serde_json::from_str::<RunHeader>(line).ok().filter(|h| h.kind == "run")
    }
}

/// The first line where a replay differs from its recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Its line number in the trace file (from 1).
    pub line: u64,
    /// What the recording has there (`None`: the recording ended, or the next run began).
    pub recorded: Option<String>,
    /// What the replay rendered (`None`: the replay ended first).
    pub replayed: Option<String>,
}

/// A recorded trace, read one line at a time.
pub struct Recorded<R> {
    reader: R,
    /// Lines read so far.
    line: u64,
    peeked: Option<Result<String, String>>,
    eof: bool,
}

/// One line read: its text, or why it could not be read whole.
type Line = Result<String, String>;

impl<R: BufRead> Recorded<R> {
    pub fn new(reader: R) -> Recorded<R> {
        Recorded { reader, line: 0, peeked: None, eof: false }
    }

    /// The number of the last line returned.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn read(&mut self) -> io::Result<Option<Line>> {
        if self.eof {
            return Ok(None);
        }
        let mut buf = Vec::new();
        let n = <&mut R as io::Read>::take(&mut self.reader, MAX_TRACE_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            self.eof = true;
            return Ok(None);
        }
        if buf.last() != Some(&b'\n') && buf.len() > MAX_TRACE_LINE {
            // Skip the rest of the overlong line without holding it.
            loop {
                let chunk = self.reader.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        self.reader.consume(i + 1);
                        break;
                    }
                    None => {
                        let all = chunk.len();
                        self.reader.consume(all);
                    }
                }
            }
            return Ok(Some(Err(format!("a line longer than {MAX_TRACE_LINE} bytes"))));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        Ok(Some(String::from_utf8(buf).map_err(|_| "a line that is not UTF-8".to_owned())))
    }

    /// The next line, without taking it.
    pub fn peek(&mut self) -> io::Result<Option<&Line>> {
        if self.peeked.is_none() {
            self.peeked = self.read()?;
        }
        Ok(self.peeked.as_ref())
    }

    /// The next line.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        let line = match self.peeked.take() {
            Some(l) => Some(l),
            None => self.read()?,
        };
        if line.is_some() {
            self.line += 1;
        }
        Ok(line)
    }

    /// Whether the next line starts another run (or the trace ended).
    pub fn at_run_end(&mut self) -> io::Result<bool> {
        Ok(match self.peek()? {
            None => true,
            Some(Ok(l)) => RunHeader::parse(l).is_some(),
            Some(Err(_)) => false,
        })
    }
}

/// Where a replayed run writes its trace: each line it renders is compared with the recording's
/// next one; the first difference is kept, and nothing after it is compared.
pub struct Compare<'a, R> {
    recorded: &'a mut Recorded<R>,
    pending: Vec<u8>,
    divergence: Option<Divergence>,
    /// Event lines compared so far.
    pub events: u64,
}

impl<'a, R: BufRead> Compare<'a, R> {
    pub fn new(recorded: &'a mut Recorded<R>) -> Compare<'a, R> {
        Compare { recorded, pending: Vec::with_capacity(512), divergence: None, events: 0 }
    }

    fn compare_line(&mut self, replayed: &[u8]) -> io::Result<()> {
        if self.divergence.is_some() {
            return Ok(());
        }
        let replayed = String::from_utf8_lossy(replayed).into_owned();
        let recorded = if self.recorded.at_run_end()? { None } else { self.recorded.next_line()? };
        let line = self.recorded.line() + u64::from(recorded.is_none());
        match recorded {
            Some(Ok(r)) if r == replayed => self.events += 1,
            Some(Ok(r)) => self.divergence = Some(Divergence { line, recorded: Some(r), replayed: Some(replayed) }),
            Some(Err(why)) => {
                self.divergence =
                    Some(Divergence { line, recorded: Some(format!("<{why}>")), replayed: Some(replayed) })
            }
            None => self.divergence = Some(Divergence { line, recorded: None, replayed: Some(replayed) }),
        }
        Ok(())
    }

    /// Ends the run's comparison: the recording must have no event left for it. Returns the first
    /// divergence, if any.
    pub fn finish(mut self) -> io::Result<Option<Divergence>> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.compare_line(&rest)?;
        }
        if self.divergence.is_none() && !self.recorded.at_run_end()? {
            let recorded = self.recorded.next_line()?.map(|l| l.unwrap_or_else(|why| format!("<{why}>")));
            self.divergence = Some(Divergence { line: self.recorded.line(), recorded, replayed: None });
        }
        Ok(self.divergence)
    }
}

impl<R: BufRead> Write for Compare<'_, R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = std::mem::take(&mut self.pending);
                self.compare_line(&line)?;
                self.pending = line;
                self.pending.clear();
            } else if self.pending.len() <= MAX_TRACE_LINE {
                self.pending.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(recorded: &str, replayed: &str) -> Option<Divergence> {
        let mut rec = Recorded::new(recorded.as_bytes());
        let header = rec.next_line().unwrap().unwrap().unwrap();
        assert!(RunHeader::parse(&header).is_some());
        let mut c = Compare::new(&mut rec);
        c.write_all(replayed.as_bytes()).unwrap();
        c.finish().unwrap()
    }

    const H: &str = r#"{"kind":"run","scenario":"s","variant":"base","seed":1}"#;

    #[test]
    fn an_identical_replay_has_no_divergence() {
        assert_eq!(replay(&format!("{H}\na\nb\n"), "a\nb\n"), None);
    }

    #[test]
    fn an_edited_event_is_named_by_its_line() {
        let d = replay(&format!("{H}\na\nX\nc\n"), "a\nb\nc\n").unwrap();
        assert_eq!(d, Divergence { line: 3, recorded: Some("X".into()), replayed: Some("b".into()) });
    }

    #[test]
    fn a_missing_or_extra_event_is_a_divergence() {
        let short = replay(&format!("{H}\na\n"), "a\nb\n").unwrap();
        assert_eq!((short.line, short.recorded, short.replayed), (3, None, Some("b".into())));
        let long = replay(&format!("{H}\na\nb\n"), "a\n").unwrap();
        assert_eq!((long.line, long.recorded, long.replayed), (3, Some("b".into()), None));
        // The next run's header is not an event of this one.
        let next = replay(&format!("{H}\na\n{H}\nz\n"), "a\nb\n").unwrap();
        assert_eq!((next.line, next.recorded), (3, None));
    }

    #[test]
    fn an_overlong_line_is_a_divergence_and_never_held_whole() {
        let long = "y".repeat(MAX_TRACE_LINE * 3);
        let d = replay(&format!("{H}\n{long}\nb\n"), "a\nb\n").unwrap();
        assert_eq!(d.line, 2);
        assert!(d.recorded.unwrap().contains("longer than"));
    }
}
