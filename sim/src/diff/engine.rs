//! An outside matching engine: a child process (`sh -c CMD`) that speaks the line protocol of
//! SPEC §12 over its standard input and output.
//!
//! Invariants:
//! - an answer is read with a deadline ([`Outside::ask`]): an engine that hangs is a
//!   [`Trouble::Timeout`], never a hang of exsim; one that exits or closes its output is
//!   [`Trouble::Exited`]; a line longer than [`MAX_ANSWER_LINE`] bytes or an answer of more lines
//!   than asked for is [`Trouble::Garbage`] — memory never grows with what the engine writes;
//! - exsim never blocks on the engine: its input is written, and its output and standard error
//!   read, on threads of their own;
//! - the engine's standard error is drained all the time (so it can never block on it) and only
//!   its first [`MAX_STDERR`] bytes are kept, to explain an exit;
//! - the engine runs in a process group of its own, and dropping an [`Outside`] closes its input,
//!   kills the whole group (what `sh -c` forked included) and reaps the shell.
//!
//! The deadline reads the wall clock: whether an engine that hangs is caught depends on time, so
//! the timeout is generous; nothing else of a diff does.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

/// The longest answer line read, in bytes (the line end not counted).
pub const MAX_ANSWER_LINE: usize = 4096;

/// How much of the engine's standard error is kept.
pub const MAX_STDERR: usize = 4096;

/// What went wrong with an answer, besides its lines differing from the reference's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// The engine exited (or closed its output) before it ended its answer; how it exited, and
    /// the start of its standard error.
    Exited { status: String, code: Option<i32>, stderr: String },
    /// A line longer than [`MAX_ANSWER_LINE`], or more lines than the answer can have.
    Garbage(String),
}

/// One answer of the engine: the lines it wrote (its `B` line last, when it ended the answer),
/// and what went wrong, if anything did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub lines: Vec<String>,
    pub trouble: Option<Trouble>,
}

/// What the reader thread saw on the engine's standard output.
enum Seen {
    Line(String),
    TooLong,
    End,
}

/// A running outside engine. See the module docs.
pub struct Outside {
    child: Child,
    /// Message lines on their way to the engine's standard input (through the writer thread).
    stdin: Option<Sender<String>>,
    lines: Receiver<Seen>,
    stderr: Receiver<Vec<u8>>,
    timeout: Duration,
    /// Once the engine's output ended, what it ended with (every later answer is the same).
    ended: Option<Trouble>,
}

impl Outside {
    /// Starts `sh -c command`. Fails only if `sh` itself cannot start; a command that does not
    /// exist shows as an exit with code 127 at the first answer.
    pub fn spawn(command: &str, timeout: Duration) -> io::Result<Outside> {
        let mut shell = Command::new("sh");
        shell.arg("-c").arg(command).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut shell, 0);
        let mut child = shell.spawn()?;
        let stdout = child.stdout.take().expect("piped standard output");
        let stderr = child.stderr.take().expect("piped standard error");
        let stdin = child.stdin.take().expect("piped standard input");
        let (line_tx, lines) = mpsc::sync_channel(64);
        let (err_tx, err_rx) = mpsc::sync_channel(1);
        let (in_tx, in_rx) = mpsc::channel();
        let spawned = thread::Builder::new()
            .name("diff-engine-out".into())
            .spawn(move || read_lines(stdout, line_tx))
            .and_then(|_| thread::Builder::new().name("diff-engine-err".into()).spawn(move || drain(stderr, err_tx)))
            .and_then(|_| {
                thread::Builder::new().name("diff-engine-in".into()).spawn(move || write_lines(stdin, in_rx))
            });
        if let Err(e) = spawned {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Outside { stdin: Some(in_tx), child, lines, stderr: err_rx, timeout, ended: None })
    }

    /// Sends `message` (one line, no line end) and reads its answer: lines up to and including
    /// the first that starts with `B,`, at most `most_lines` of them, within the timeout.
    pub fn ask(&mut self, message: &str, most_lines: usize) -> Answer {
        if let Some(trouble) = &self.ended {
            return Answer { lines: Vec::new(), trouble: Some(trouble.clone()) };
        }
        // Written on a thread of its own, so an engine that stops reading cannot block exsim; a
        // failed write means the engine is gone (a closed pipe): what it wrote before it went is
        // still read below, up to the end of its output, which then says how it ended.
        if let Some(stdin) = &self.stdin {
            let _ = stdin.send(message.to_owned());
        }
        let mut lines = Vec::new();
        #[allow(clippy::disallowed_methods)] // the answer's deadline; never part of a result
        let deadline = Instant::now() + self.timeout;
        loop {
            #[allow(clippy::disallowed_methods)]
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Seen::Line(line)) => {
                    let last = line.starts_with("B,");
                    lines.push(line);
                    if last {
                        return Answer { lines, trouble: None };
                    }
                    if lines.len() >= most_lines {
                        let why = format!("more than {} lines without a B line ending the answer", most_lines - 1);
                        return Answer { lines, trouble: Some(Trouble::Garbage(why)) };
                    }
                }
                Ok(Seen::TooLong) => {
                    let trouble = Trouble::Garbage(format!("a line longer than {MAX_ANSWER_LINE} bytes"));
                    self.ended = Some(trouble.clone());
                    return Answer { lines, trouble: Some(trouble) };
                }
                Ok(Seen::End) | Err(RecvTimeoutError::Disconnected) => return self.end(lines),
                Err(RecvTimeoutError::Timeout) => {
                    let trouble = Trouble::Timeout(self.timeout);
                    self.ended = Some(trouble.clone());
                    return Answer { lines, trouble: Some(trouble) };
                }
            }
        }
    }

    /// The answer of an engine whose output ended: how it exited and what it said on stderr.
    fn end(&mut self, lines: Vec<String>) -> Answer {
        let status = self.exit_status();
        let stderr = self.stderr.recv_timeout(Duration::from_millis(500)).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr).trim_end().to_owned();
        let trouble = match status {
            Some(status) => Trouble::Exited { status: status.to_string(), code: status.code(), stderr },
            None => Trouble::Exited { status: "closed its standard output".into(), code: None, stderr },
        };
        self.ended = Some(trouble.clone());
        Answer { lines, trouble: Some(trouble) }
    }

    /// How the engine exited, waiting up to a second for it (its output has ended).
    fn exit_status(&mut self) -> Option<ExitStatus> {
        for _ in 0..100 {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(_) => return None,
            }
        }
        None
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        drop(self.stdin.take());
        #[cfg(unix)]
        {
            use rustix::process::{kill_process_group, Pid, Signal};
            let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes each message line it is handed to the engine's standard input, flushed, until the
/// engine stops taking them or no more come (which closes the engine's input).
fn write_lines(mut stdin: ChildStdin, messages: Receiver<String>) {
    for message in messages {
        let written = stdin.write_all(message.as_bytes()).and_then(|()| stdin.write_all(b"\n"));
        if written.and_then(|()| stdin.flush()).is_err() {
            return;
        }
    }
}

/// Reads the engine's standard output a line at a time (each at most [`MAX_ANSWER_LINE`] bytes,
/// a `\r` before the `\n` dropped, bytes that are not UTF-8 replaced) until it ends, a line is
/// too long, or nobody listens.
fn read_lines(stdout: ChildStdout, tx: SyncSender<Seen>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = Vec::new();
        match (&mut reader).take(MAX_ANSWER_LINE as u64 + 2).read_until(b'\n', &mut line) {
            Ok(0) => {
                let _ = tx.send(Seen::End);
                return;
            }
            Ok(_) => {
                let ended = line.last() == Some(&b'\n');
                if ended {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                if line.len() > MAX_ANSWER_LINE {
                    let _ = tx.send(Seen::TooLong);
                    return;
                }
                if tx.send(Seen::Line(String::from_utf8_lossy(&line).into_owned())).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                let _ = tx.send(Seen::End);
                return;
            }
        }
    }
}

/// Reads the engine's standard error to its end, keeping the first [`MAX_STDERR`] bytes, and
/// hands them over.
fn drain(mut stderr: impl Read, tx: SyncSender<Vec<u8>>) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = MAX_STDERR - kept.len();
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = tx.send(kept);
}
