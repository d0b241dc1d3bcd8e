//! `exsim diff --engine` as a user runs it (SPEC §12): the binary against real engine processes —
//! the example Python engines of `examples/engines/`, `exsim book --each` itself, an engine that
//! hangs, one that dies, a command that does not exist — with exit codes, reports and the book
//! file of a divergence replayed by `exsim book`.
//!
//! The Python tests need `python3` on PATH (`.ci/run` installs it); without it they say so on
//! standard error and pass without running.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn engines() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/engines")
}

/// The Python interpreter itself (not a shim in front of it, which would cost more than the
/// flows), or `None` when `python3` is not on PATH.
fn python() -> Option<String> {
    let out = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().ok()?;
    let path = text(&out.stdout).trim().to_owned();
    if out.status.success() && !path.is_empty() {
        Some(path)
    } else {
        None
    }
}

/// The command that runs the example engine `name` (`correct.py`, `buggy.py`), or `None` (and a
/// note that the test did not run) when there is no `python3`.
fn example(name: &str) -> Option<String> {
    match python() {
        Some(python) => Some(format!("'{python}' '{}'", engines().join(name).display())),
        None => {
            eprintln!("SKIPPED: python3 is not on PATH, so the example engine {name} cannot run");
            None
        }
    }
}

/// The message lines of a book file (comments and blank lines left out).
fn messages(book: &str) -> Vec<&str> {
    book.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).collect()
}

#[test]
fn the_correct_example_engine_agrees_over_hundreds_of_seeds() {
    let Some(engine) = example("correct.py") else { return };
    let out = exsim(&["diff", "--engine", &engine, "--seeds", "0..200"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with("agreed: ") && said.contains("all 200 seed(s)"), "{said}");
}

#[test]
fn the_buggy_example_engine_is_caught_with_a_short_book_file_that_replays() {
    let Some(engine) = example("buggy.py") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("found/buggy.book");
    let out = exsim(&["diff", "--engine", &engine, "--seeds", "0..50", "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("diverged at message") && report.contains("written to"), "{report}");
    let book = std::fs::read_to_string(&file).expect("the book file is written, its directory made");
    let flow = messages(&book);
    assert!(!flow.is_empty() && flow.len() <= 10, "{} messages:\n{book}", flow.len());
    assert!(book.starts_with("# exsim diff:") && book.contains(&format!("# engine: {engine}")), "{book}");

    // Replayed by `exsim book --each`, its last answer is the reference's answer the report
    // printed for the shrunk flow (the last `reference:` line); the buggy engine answers otherwise.
    let replay = exsim(&["book", "--each", file.to_str().unwrap()]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    let replay = text(&replay.stdout);
    let answers: Vec<&str> = replay.split_inclusive('\n').collect();
    let last_answer: Vec<&str> = {
        let before_last_b = answers[..answers.len() - 1].iter().rposition(|l| l.starts_with("B,"));
        answers[before_last_b.map_or(0, |i| i + 1)..].iter().map(|l| l.trim_end()).collect()
    };
    let reported = report.lines().rfind(|l| l.trim_start().starts_with("reference:")).unwrap();
    assert_eq!(reported.trim_start().trim_start_matches("reference:").trim(), last_answer.join("  "), "{report}");
    let buggy = Command::new("sh")
        .args(["-c", &format!("{engine} < '{}'", file.display())])
        .output()
        .expect("the buggy engine runs");
    assert_ne!(text(&buggy.stdout), replay, "the engine disagrees on the shrunk flow");

    // It never overwrites a file it did not write (the engine's script, say).
    let script = dir.path().join("engine.py");
    std::fs::write(&script, "print('mine')\n").unwrap();
    let out = exsim(&["diff", "--engine", &engine, "--seeds", "0..50", "-o", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("will not overwrite"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&script).unwrap(), "print('mine')\n");

    // The report's reproduction command finds the same seed again (and overwrites its own file).
    let repro = report.lines().find_map(|l| l.trim_start().strip_prefix("reproduce:")).unwrap();
    let seed = repro.split("--seeds ").nth(1).unwrap().split_whitespace().next().unwrap();
    let again = exsim(&["diff", "--engine", &engine, "--seeds", seed, "-o", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), book, "the same seed, the same shrunk flow");
}

#[test]
fn exsim_book_each_is_an_engine_that_agrees() {
    let engine = format!("'{}' book --each", env!("CARGO_BIN_EXE_exsim"));
    let out = exsim(&["diff", "--engine", &engine, "--seeds", "0..40"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    // Long flows, too.
    let out = exsim(&["diff", "--engine", &engine, "--seeds", "7..=7", "--messages", "5000"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("(5000 messages)"));
}

#[test]
fn an_engine_that_hangs_is_a_divergence_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hang.book");
    #[allow(clippy::disallowed_methods)] // the test is about wall time: the hang must end in time
    let started = Instant::now();
    let out = exsim(&["diff", "--engine", "sleep 100", "--timeout", "1", "-o", file.to_str().unwrap()]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(text(&out.stdout).contains("then no answer within 1 s"), "{}", text(&out.stdout));
    assert_eq!(messages(&std::fs::read_to_string(&file).unwrap()).len(), 1, "the first message already hangs");
}

#[test]
fn an_engine_that_dies_or_writes_garbage_is_a_divergence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.book");
    let each = format!("'{}' book --each", env!("CARGO_BIN_EXE_exsim"));
    for (engine, says) in [
        // Passes five messages to the reference, then stops: the engine ends at the sixth.
        (
            format!(
                "i=0; while IFS= read -r l; do i=$((i+1)); [ $i -gt 5 ] && exit; printf '%s\\n' \"$l\"; done | {each}"
            ),
            "then the engine ended: exit status: 0",
        ),
        ("echo hello".to_owned(), "engine:    hello"),
        ("yes B".to_owned(), "more than"),
        ("head -c 10000 /dev/zero".to_owned(), "a line longer than 4096 bytes"),
        ("echo 'it broke' >&2; exit 3".to_owned(), "| it broke"),
    ] {
        let out = exsim(&["diff", "--engine", &engine, "--timeout", "2", "-o", file.to_str().unwrap()]);
        let report = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{engine}: {report}{}", text(&out.stderr));
        assert!(report.contains(says), "{engine}: expected {says:?} in\n{report}");
        assert!(messages(&std::fs::read_to_string(&file).unwrap()).len() <= 10, "{engine}");
    }
}

#[test]
fn a_command_that_cannot_run_and_bad_arguments_are_exit_2() {
    let out = exsim(&["diff", "--engine", "exsim-no-such-engine-here --flag"]);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(said.starts_with("exsim: cannot run the engine `exsim-no-such-engine-here --flag`"), "{said}");
    assert!(said.contains("127") && said.contains("not found"), "{said}");
    assert!(out.stdout.is_empty());
    for (args, says) in [
        (&["diff", "--engine", "cat", "--seeds", "5..5"][..], "--seeds"),
        (&["diff", "--engine", "cat", "--messages", "0"][..], "--messages 0"),
        (&["diff", "--engine", "cat", "--messages", "100001"][..], "--messages 100001"),
        (&["diff", "--engine", "cat", "--timeout", "0"][..], "--timeout 0"),
        (&["diff", "--engine", " "][..], "--engine"),
        (&["diff"][..], "--engine"),
    ] {
        let out = exsim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
}
