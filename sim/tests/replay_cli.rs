//! `exsim replay TRACE`: a recorded trace replays with no divergence; a one-byte edit of an event
//! is named by its line and event; a changed scenario or a file that is not a trace is exit 2.

use std::fs;
use std::process::{Command, Output};

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Records `args` (an `exsim run`) into a trace in `dir`; returns its path.
fn record(dir: &std::path::Path, args: &[&str]) -> String {
    let path = dir.join("trace.jsonl").to_str().unwrap().to_owned();
    let mut all = vec!["run", "--json", "--trace", &path];
    all.extend_from_slice(args);
    let out = exsim(&all);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out.stderr));
    path
}

#[test]
fn a_recorded_trace_replays_without_divergence_and_an_edited_event_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = record(dir.path(), &["quickstart", "--variant", "no_crashes", "--set", "duration=300ms"]);
    let out = exsim(&["replay", &path]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("1 run(s)") && text(&out.stdout).contains("no divergence"));

    // One byte of one event's time, in the middle of the run.
    let trace = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = trace.lines().map(str::to_owned).collect();
    let n = lines.len() / 2;
    let seq = serde_json::from_str::<serde_json::Value>(&lines[n]).unwrap()["seq"].as_u64().unwrap();
    let at = lines[n].find("\"time_ns\":").unwrap() + "\"time_ns\":".len();
    let digit = lines[n].as_bytes()[at];
    lines[n].replace_range(at..=at, if digit == b'9' { "8" } else { "9" });
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = exsim(&["replay", &path]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stdout);
    assert!(said.contains(&format!(":{}: ", n + 1)), "names the line: {said}");
    assert!(said.contains(&format!("diverges at event {seq}")), "names the event: {said}");

    // A line removed: the replay has an event the recording lacks.
    lines.remove(n + 1);
    let out = exsim(&["replay", &path]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_file_scenario_with_sets_and_faults_replays_and_a_changed_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml"), &scenario).unwrap();
    let s = scenario.to_str().unwrap();
    let path =
        record(dir.path(), &[s, "--variant", "base", "--seed", "3", "--set", "duration=200ms", "--fault", "ioc_rests"]);
    let out = exsim(&["replay", &path]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let mut edited = fs::read_to_string(&scenario).unwrap();
    edited.push_str("\n# edited\n");
    fs::write(&scenario, edited).unwrap();
    let out = exsim(&["replay", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("changed since the trace was recorded"), "{}", text(&out.stderr));
}

#[test]
fn what_is_not_a_trace_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    fs::write(&empty, "").unwrap();
    let notes = dir.path().join("notes");
    fs::write(&notes, "hello\n").unwrap();
    for (file, says) in [(&empty, "empty"), (&notes, "not a trace (`exsim run --trace`), a regression file")] {
        let out = exsim(&["replay", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(says), "{}", text(&out.stderr));
    }
    let out = exsim(&["replay", dir.path().join("missing").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}
