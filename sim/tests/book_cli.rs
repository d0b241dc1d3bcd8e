//! `exsim book` as a user runs it: the binary, real files, stdin, exit codes and stderr (SPEC §8.1).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn exsim(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("exsim runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn sample() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/sample.book").to_owned()
}

#[test]
fn the_sample_flow_matches_its_snapshot() {
    let out = exsim(&["book", &sample()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty());
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("book_sample", text(&out.stdout));
    });
}

#[test]
fn stdin_and_dash_read_standard_input() {
    for args in [&["book"][..], &["book", "-"][..]] {
        let out = exsim(args, b"N,1,B,10,5\nN,2,S,9,2\n");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "T,10,2,1,2\nB,10,-\n");
    }
}

#[test]
fn stats_go_to_stderr_in_the_documented_form() {
    let out = exsim(&["book", "--stats"], b"# c\n\nN,1,B,10,5\nN,2,S,9,2\nC,1\n");
    assert_eq!(text(&out.stdout), "T,10,2,1,2\nX,1,3\nB,-,-\n");
    let stderr = text(&out.stderr);
    let fields: Vec<&str> = stderr.trim_end().split(' ').collect();
    assert_eq!(fields.len(), 3, "{stderr}");
    assert_eq!(fields[0], "messages=3");
    assert_eq!(fields[1], "fills=1");
    let ns = fields[2].strip_prefix("engine_ns=").expect("engine_ns field");
    ns.parse::<u64>().expect("engine_ns is an integer");
}

#[test]
fn a_malformed_line_stops_with_file_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.csv");
    std::fs::write(&path, "N,1,B,10,5\n\nN,2,S,ten,1\nN,3,S,9,1\n").unwrap();
    let out = exsim(&["book", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "exsim: {}:3: field 4 (price): expected an integer number of ticks from 1 to 18446744073709551615, found \"ten\"\n",
            path.display()
        )
    );
    assert!(!text(&out.stdout).contains("B,"), "no B line after a malformed line");

    let out = exsim(&["book"], b"N,1,B,10,5\nX,1\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("exsim: <stdin>:2: expected a message N,"), "{}", text(&out.stderr));
}

#[test]
fn a_missing_file_or_bad_usage_is_exit_2() {
    let out = exsim(&["book", "/nonexistent/flow.csv"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("exsim: /nonexistent/flow.csv: "));
    let out = exsim(&["book", "--no-such-flag"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn binary_garbage_is_a_located_error_not_a_panic() {
    let out = exsim(&["book"], b"\xff\xfe\x00N,1\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("exsim: <stdin>:1: "), "{}", text(&out.stderr));
}

#[test]
fn each_adds_one_top_of_book_line_per_message_and_changes_nothing_else() {
    let plain = exsim(&["book", &sample()], b"");
    let each = exsim(&["book", "--each", &sample()], b"");
    assert_eq!(each.status.code(), Some(0), "{}", text(&each.stderr));
    let messages = std::fs::read_to_string(sample())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .count();
    let each = text(&each.stdout);
    let plain = text(&plain.stdout);
    assert_eq!(each.lines().filter(|l| l.starts_with("B,")).count(), messages, "{each}");
    let others = |s: &str| s.lines().filter(|l| !l.starts_with("B,")).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(others(&each), others(&plain));
    // The last message's top of book is the one plain `exsim book` prints at the end.
    assert_eq!(each.lines().last(), plain.lines().last());
    // Every answer ends with its B line: the output ends in one.
    assert!(each.ends_with("B,100,102\n"), "{each}");
}
