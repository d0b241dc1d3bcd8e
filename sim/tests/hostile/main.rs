//! Hostile inputs through the real `exsim` binary (SPEC §13, issue "Hardening").
//!
//! Each case is a row: the arguments, the files it writes beside itself, what it feeds on
//! standard input, and what must happen. Every case runs as a user would run it (the release-like
//! test binary, a scratch directory as the working directory), under an address-space limit, a
//! CPU-time limit and a wall-clock deadline, so that a regression to unbounded memory or a hang
//! shows up as a failed row, never as a dead CI machine.
//!
//! What every row checks, whatever its class:
//! - the process exits with a code (no signal: no abort, no stack overflow, no OOM kill, no
//!   CPU-limit kill) and never with 3 (a panic);
//! - whatever it writes to the terminal has no control character but newline and tab, and stays
//!   short (messages cut long values);
//! - a [`Expect::BadInput`] row exits 2, prints nothing on standard output (nothing ran), and its
//!   message starts with `exsim: ` and contains every fragment the row names (the location, the
//!   field, what would be valid).
//!
//! The table is split by class, one module each; a class adds rows to its own module.

mod cli;
mod numbers;
mod parse;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Address space a case may map: far above what a correct run needs, far below what the
/// unbounded behaviours this file guards against would take.
pub const DEFAULT_ADDRESS_SPACE: u64 = 2 << 30;

/// CPU seconds a case may use before the kernel stops it.
pub const DEFAULT_CPU_SECONDS: u64 = 60;

/// Longest message a bad-input case may print on standard error, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// What a row expects.
#[derive(Clone, Debug)]
pub enum Expect {
    /// Exit 2 with a message that contains every fragment; nothing on standard output.
    BadInput(&'static [&'static str]),
    /// A run that completes with this exit code (0 all expectations met, 1 one failed); stdout
    /// must contain every fragment.
    Runs(i32, &'static [&'static str]),
    /// Any exit code in the list, and the fragments on stderr (used for output-side failures,
    /// where what is expected is an error exit rather than a located input error).
    Exits(&'static [i32], &'static [&'static str]),
}

/// One hostile input.
#[derive(Clone, Debug)]
pub struct Case {
    /// A short name, printed when the row fails.
    pub name: &'static str,
    /// Arguments after `exsim`.
    pub args: Vec<String>,
    /// Files written into the scratch directory before the run: (relative path, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Bytes on standard input (closed after writing).
    pub stdin: Vec<u8>,
    /// Address-space limit in bytes.
    pub address_space: u64,
    /// What must happen.
    pub expect: Expect,
}

impl Case {
    /// A row with these arguments, no files, empty standard input and the default limits.
    pub fn new(name: &'static str, args: &[&str], expect: Expect) -> Case {
        Case {
            name,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            files: Vec::new(),
            stdin: Vec::new(),
            address_space: DEFAULT_ADDRESS_SPACE,
            expect,
        }
    }

    /// Adds a file to the scratch directory.
    pub fn file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Case {
        self.files.push((path.to_owned(), contents.into()));
        self
    }

    /// Sets standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Case {
        self.stdin = bytes.into();
        self
    }

    /// Sets the address-space limit.
    pub fn address_space(mut self, bytes: u64) -> Case {
        self.address_space = bytes;
        self
    }
}

/// What a finished case printed.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs one case under its limits. Panics with the row's name if the process could not be
/// started or had to be killed at the deadline.
pub fn execute(case: &Case) -> Finished {
    let dir = tempfile::tempdir().expect("scratch directory");
    for (path, contents) in &case.files {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("scratch subdirectory");
        }
        std::fs::write(&full, contents).expect("scratch file");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_exsim"));
    command
        .args(&case.args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit(&mut command, case.address_space, DEFAULT_CPU_SECONDS);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{}: exsim does not start: {e}", case.name));
    let stdin = child.stdin.take().expect("piped stdin");
    let input = case.stdin.clone();
    // Feed standard input from a thread: exsim may stop reading early (that is allowed), and a
    // large input must not dead-lock against a full stdout pipe.
    let feeder = std::thread::spawn(move || {
        let mut stdin = stdin;
        let _ = stdin.write_all(&input);
    });
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Duration::from_secs(DEFAULT_CPU_SECONDS * 2);
    let status = match wait_timeout::ChildExt::wait_timeout(&mut child, deadline).expect("wait") {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}: still running after {deadline:?} (a hang)", case.name);
        }
    };
    let _ = feeder.join();
    let finished = Finished {
        code: status.code(),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            panic!(
                "{}: killed by signal {signal} (abort, stack overflow, memory or CPU limit)\nstderr: {}",
                case.name,
                String::from_utf8_lossy(&finished.stderr)
            );
        }
    }
    finished
}

fn drain(mut from: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        bytes
    })
}

#[cfg(unix)]
fn limit(command: &mut Command, address_space: u64, cpu_seconds: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and only calls setrlimit,
    // which is async-signal-safe; it allocates nothing and touches no lock.
    unsafe {
        command.pre_exec(move || {
            rlimit::setrlimit(rlimit::Resource::AS, address_space, address_space)?;
            rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds)?;
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit(_: &mut Command, _: u64, _: u64) {}

/// Runs one case and checks what every row must satisfy and what this row expects. Returns a
/// description of every way it failed (empty when it passed).
pub fn check(case: &Case) -> Vec<String> {
    let out = execute(case);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{}: {what}", case.name));
    if out.code == Some(3) {
        fail(format!("exit 3 (a panic)\nstderr: {}", cut(&stderr)));
    }
    for (stream, text) in [("stderr", &stderr), ("stdout", &stdout)] {
        if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
            fail(format!("{stream} carries control character {:?}: {}", c, cut(text)));
        }
    }
    match &case.expect {
        Expect::BadInput(fragments) => {
            if out.code != Some(2) {
                fail(format!("exit {:?}, expected 2\nstderr: {}\nstdout: {}", out.code, cut(&stderr), cut(&stdout)));
            }
            if !out.stdout.is_empty() {
                fail(format!("printed on stdout although the input is bad: {}", cut(&stdout)));
            }
            if !stderr.starts_with("exsim: ") {
                fail(format!("message does not start with `exsim: `: {}", cut(&stderr)));
            }
            if out.stderr.len() > MAX_MESSAGE_BYTES {
                fail(format!("message is {} bytes (at most {MAX_MESSAGE_BYTES})", out.stderr.len()));
            }
            for fragment in *fragments {
                if !stderr.contains(fragment) {
                    fail(format!("message lacks {fragment:?}: {}", cut(&stderr)));
                }
            }
        }
        Expect::Runs(code, fragments) => {
            if out.code != Some(*code) {
                fail(format!("exit {:?}, expected {code}\nstderr: {}", out.code, cut(&stderr)));
            }
            for fragment in *fragments {
                if !stdout.contains(fragment) {
                    fail(format!("stdout lacks {fragment:?}: {}", cut(&stdout)));
                }
            }
        }
        Expect::Exits(codes, fragments) => {
            if !out.code.is_some_and(|c| codes.contains(&c)) {
                fail(format!("exit {:?}, expected one of {codes:?}\nstderr: {}", out.code, cut(&stderr)));
            }
            for fragment in *fragments {
                if !stderr.contains(fragment) {
                    fail(format!("stderr lacks {fragment:?}: {}", cut(&stderr)));
                }
            }
        }
    }
    problems
}

/// Runs a table and fails once, listing every row that failed.
pub fn run_table(cases: &[Case]) {
    assert!(!cases.is_empty(), "an empty table checks nothing");
    let problems: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n\n"));
}

/// The first kilobyte of a text, for failure messages.
pub fn cut(text: &str) -> String {
    let mut end = text.len().min(1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = text[..end].to_owned();
    if end < text.len() {
        s.push_str(&format!("… ({} bytes)", text.len()));
    }
    s
}

/// A minimal valid scenario with one BTC-USD market, for rows to edit.
pub const MINIMAL: &str = r#"name = "hostile"
seed = 1
duration = "10ms"

[assets.BTC]
decimals = 8

[assets.USD]
decimals = 2

[markets.BTC-USD]
base = "BTC"
quote = "USD"
tick = "1"
lot = "0.01"
initial_price = "30000"
"#;

/// Path of a scratch file inside a case's directory (cases run with it as working directory).
pub fn here(name: &str) -> String {
    Path::new(name).display().to_string()
}

#[test]
fn the_harness_catches_a_wrong_exit_code_and_a_missing_fragment() {
    // A row that is wrong on purpose must be reported: the table cannot pass vacuously.
    let wrong = Case::new("wrong on purpose", &["list", "faults"], Expect::BadInput(&["nowhere"]));
    let problems = check(&wrong);
    assert!(problems.iter().any(|p| p.contains("expected 2")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("lacks \"nowhere\"")), "{problems:?}");
}
