//! Hostile inputs: the command line's own resources and outputs (issue 7, classes 3, 6 for
//! `exsim book`, and 7). See `main.rs` for what every row checks.
//!
//! Rows that need what the harness does not do — standard output on a full disk or closed by
//! the reader, a trace file that must survive — run the binary here with `std::process`, under
//! the same limits.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

#[allow(unused_imports)]
use super::*;

const U64_MAX: &str = "18446744073709551615";

/// A scenario that asks for a crash every nanosecond for 30 days (2.6 × 10^15 crashes).
fn crash_storm(duration: &str) -> String {
    MINIMAL.replace(
        "duration = \"10ms\"",
        &format!("duration = \"{duration}\"\n\n[exchange]\ncrash_mean_interval = \"1ns\""),
    )
}

#[test]
fn allocation_before_work_is_bounded() {
    let whole = format!("0..{U64_MAX}");
    let whole_inclusive = format!("0..={U64_MAX}");
    let top = format!("18446744073709551612..={U64_MAX}");
    let last_shard = format!("{U64_MAX}/{U64_MAX}");
    let first_shard = format!("1/{U64_MAX}");
    let quick = ["--set", "duration=2ms", "--variant", "base", "--json"];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    let mut too_many = vec!["run".to_owned()];
    too_many.extend(std::iter::repeat_n("quickstart".to_owned(), 65));
    let mut rows = vec![
        Case {
            args: too_many,
            ..Case::new("65 scenarios in one run", &[], Expect::BadInput(&["65 scenarios given", "at most 64"]))
        },
        Case::new(
            "--jobs 100000",
            &["sweep", "quickstart", "--seeds", "0..4", "--jobs", "100000"],
            Expect::BadInput(&["--jobs 100000", "at most 256 jobs"]),
        ),
        Case::new(
            "--jobs 257",
            &["sweep", "quickstart", "--seeds", "0..4", "--jobs", "257"],
            Expect::BadInput(&["--jobs 257", "at most 256"]),
        ),
        Case::new(
            "--jobs 0",
            &["sweep", "quickstart", "--seeds", "0..4", "--jobs", "0"],
            Expect::BadInput(&["--jobs 0"]),
        ),
        Case::new(
            "--jobs beyond usize",
            &["sweep", "quickstart", "--seeds", "0..4", "--jobs", "99999999999999999999999"],
            Expect::BadInput(&["--jobs"]),
        ),
        Case::new(
            "--seeds past u64",
            &["sweep", "quickstart", "--seeds", "0..18446744073709551616"],
            Expect::BadInput(&["--seeds", "the end is not a whole number"]),
        ),
        Case::new(
            "--seeds empty at the top",
            &["sweep", "quickstart", "--seeds", &format!("{U64_MAX}..{U64_MAX}")],
            Expect::BadInput(&["the range is empty"]),
        ),
        Case::new(
            "--shard 0/N",
            &["sweep", "quickstart", "--seeds", &whole, "--shard", &format!("0/{U64_MAX}")],
            Expect::BadInput(&["--shard", "expected I/N"]),
        ),
        Case::new(
            "crash every ns for 30 days",
            &["run", "storm.toml"],
            Expect::BadInput(&[
                "storm.toml:6:23: exchange.crash_mean_interval: 1ns over a run of 30d",
                "at most 10000 crashes",
                "at least 5m",
            ]),
        )
        .file("storm.toml", crash_storm("30d"))
        .address_space(256 << 20),
        Case::new(
            "check refuses a crash storm as run does",
            &["check", "storm.toml"],
            Expect::BadInput(&["storm.toml:6:23: exchange.crash_mean_interval: 1ns over a run of 30d"]),
        )
        .file("storm.toml", crash_storm("30d"))
        .address_space(256 << 20),
        Case::new(
            "crash every ns for 10 ms",
            &["run", "storm.toml"],
            Expect::BadInput(&["storm.toml:6:23:", "about 10000000 random crashes", "at least 1us"]),
        )
        .file("storm.toml", crash_storm("10ms"))
        .address_space(256 << 20),
        Case::new(
            "crash storm by --set, in a sweep",
            &[
                "sweep",
                "quickstart",
                "--seeds",
                "0..4",
                "--set",
                "duration=30d",
                "--set",
                "exchange.crash_mean_interval=1ns",
            ],
            Expect::BadInput(&[
                "--set exchange.crash_mean_interval=1ns: 1ns over a run of 30d",
                "at most 10000 crashes",
            ]),
        )
        .address_space(256 << 20),
    ];
    rows.push(
        Case::new(
            "crash storm in a variant only",
            &["run", "storm.toml"],
            Expect::BadInput(&[
                "storm.toml:",
                "exchange.crash_mean_interval: 1ns over a run of 10ms",
                "(in variant `storm`)",
            ]),
        )
        .file(
            "storm.toml",
            format!(
                "{MINIMAL}\n[[variants]]\nname = \"storm\"\nset = {{ \"exchange.crash_mean_interval\" = \"1ns\" }}\n"
            ),
        )
        .address_space(256 << 20),
    );
    let mut runs = vec![
        // 2^64 seeds in one shard of 2^64 - 1: two seeds, found by arithmetic, not by a walk.
        Case {
            args: with(&["sweep", "quickstart", "--seeds", &whole_inclusive, "--shard", &first_shard], &quick),
            ..Case::new(
                "first shard of 2^64 - 1",
                &[],
                Expect::Runs(0, &["\"seed\":0,", "\"seed\":18446744073709551615,"]),
            )
        },
        Case {
            args: with(&["sweep", "quickstart", "--seeds", &whole, "--shard", &last_shard], &quick),
            ..Case::new("last shard of 2^64 - 1", &[], Expect::Runs(0, &["\"seed\":18446744073709551614,"]))
        },
        Case {
            args: with(&["sweep", "quickstart", "--seeds", &top], &quick),
            ..Case::new(
                "the top four seeds",
                &[],
                Expect::Runs(0, &["\"seed\":18446744073709551612,", "\"seed\":18446744073709551615,"]),
            )
        },
        // Many crashes within the bound: the header names the count and a few times, not all.
        Case::new(
            "ten thousand crashes in 10ms",
            &["run", "--variant", "base", "--set", "duration=10ms", "--set", "exchange.crash_mean_interval=1us"],
            Expect::Runs(0, &["crash(es) at [", ", …] (0 scheduled, random from stream crash with mean 1us)"]),
        ),
        // The most jobs there may be all start (their stacks and allocator arenas are address
        // space, not memory).
        Case::new(
            "--jobs 256",
            &["sweep", "quickstart", "--seeds", "0..300", "--jobs", "256", "--set", "duration=1ms"],
            Expect::Runs(0, &["swept 300 seed(s) × 2 run(s) of quickstart on 256 job(s): 0 failed, 0 panicked"]),
        )
        .address_space(64 << 30),
    ];
    rows.append(&mut runs);
    run_table(&rows);
}

#[test]
fn the_ten_thousand_crash_header_is_one_short_line() {
    let out = execute(&Case::new(
        "header",
        &["run", "--variant", "base", "--set", "duration=10ms", "--set", "exchange.crash_mean_interval=1us"],
        Expect::Runs(0, &[]),
    ));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let header = stdout.lines().next().unwrap();
    assert!(header.starts_with("running quickstart / base: seed 7, 10ms simulated"), "{header}");
    assert!(header.len() < 400, "{} bytes: {header}", header.len());
    let count: u64 = header.split(" crash(es)").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!((9_000..=11_000).contains(&count), "about 10,000 crashes in 10ms at a mean of 1us: {count}");
}

#[test]
fn book_reads_are_bounded() {
    let long_comment = {
        let mut text = b"N,1,B,10,5\n# ".to_vec();
        text.resize(text.len() + (96 << 20), b'x');
        text.extend_from_slice(b"\nN,2,S,9,2\n");
        text
    };
    let long_blank = {
        let mut text = vec![b' '; 96 << 20];
        text.extend_from_slice(b"\nN,2,S,9,2\n");
        text
    };
    let rows = vec![
        Case::new(
            "book /dev/zero",
            &["book", "/dev/zero"],
            Expect::BadInput(&["exsim: /dev/zero:1: line longer than 4096 bytes"]),
        )
        .address_space(64 << 20),
        Case::new(
            "book of zeros on stdin",
            &["book"],
            Expect::BadInput(&["exsim: <stdin>:1: line longer than 4096 bytes"]),
        )
        .stdin(vec![0u8; 1 << 20])
        .address_space(64 << 20),
        Case::new(
            "book long message line",
            &["book", "long.book"],
            Expect::BadInput(&["long.book:2: line longer than 4096 bytes"]),
        )
        .file("long.book", format!("# fine\nN,1,B,10,{}\n", "5".repeat(5000))),
        // 96 MB of comment, or of blanks, under a 64 MB address space: never held.
        Case::new("book long comment line", &["book"], Expect::Runs(0, &["T,10,2,1,2\nB,10,-\n"]))
            .stdin(long_comment)
            .address_space(64 << 20),
        Case::new("book long blank line", &["book"], Expect::Runs(0, &["B,-,9\n"]))
            .stdin(long_blank)
            .address_space(64 << 20),
        Case::new("book with a BOM", &["book", "bom.book"], Expect::Runs(0, &["T,10,2,1,2\nB,10,-\n"]))
            .file("bom.book", b"\xef\xbb\xbf# orders\nN,1,B,10,5\nN,2,S,9,2\n".to_vec()),
        Case::new("book with a BOM on stdin", &["book", "-"], Expect::Runs(0, &["T,10,2,1,2\nB,10,-\n"]))
            .stdin(b"\xef\xbb\xbfN,1,B,10,5\nN,2,S,9,2\n".to_vec()),
        Case::new(
            "book with a BOM past the start",
            &["book"],
            Expect::Exits(&[2], &["<stdin>:2: expected a message", "\\u{feff}"]),
        )
        .stdin(b"N,1,B,10,5\n\xef\xbb\xbfN,2,S,9,2\n".to_vec()),
        Case::new("book of a directory", &["book", "."], Expect::BadInput(&["exsim: .: "])),
        Case::new(
            "book of a missing file whose name carries an escape sequence",
            &["book", "a\u{1b}[2J.book"],
            Expect::BadInput(&["exsim: a\\u{1b}[2J.book: "]),
        ),
        Case::new(
            "book of a file whose name carries an escape sequence",
            &["book", "b\u{1b}[2J.book"],
            Expect::BadInput(&["exsim: b\\u{1b}[2J.book:1: expected a message"]),
        )
        .file("b\u{1b}[2J.book", "Q,1\n"),
    ];
    run_table(&rows);
}

#[test]
fn a_trace_never_overwrites_an_input_and_must_be_writable() {
    let rows = vec![
        Case::new(
            "--trace onto the scenario",
            &["run", "s.toml", "--trace", "s.toml"],
            Expect::BadInput(&["--trace s.toml: that is the scenario file s.toml", "never overwrites"]),
        )
        .file("s.toml", MINIMAL),
        Case::new(
            "--trace onto the scenario by another path",
            &["run", "s.toml", "--trace", "./sub/../s.toml"],
            Expect::BadInput(&["--trace ./sub/../s.toml: that is the scenario file s.toml"]),
        )
        .file("s.toml", MINIMAL)
        .file("sub/keep", ""),
        Case::new(
            "--trace onto the second scenario",
            &["run", "quickstart", "s.toml", "--trace", "s.toml"],
            Expect::BadInput(&["the scenario file s.toml"]),
        )
        .file("s.toml", MINIMAL),
        Case::new(
            "--trace into a missing directory",
            &["run", "--trace", "nowhere/trace.jsonl"],
            Expect::BadInput(&["--trace nowhere/trace.jsonl: No such file or directory"]),
        ),
        Case::new("--trace onto a directory", &["run", "--trace", "."], Expect::BadInput(&["--trace .: "])),
        Case::new(
            "--trace onto a full disk",
            &["run", "--trace", "/dev/full"],
            Expect::BadInput(&["--trace /dev/full: No space left on device"]),
        ),
        Case::new(
            "--trace with a bad scenario",
            &["run", "bad.toml", "--trace", "t.jsonl"],
            Expect::BadInput(&["bad.toml"]),
        )
        .file("bad.toml", "name = 1\n"),
    ];
    run_table(&rows);
}

#[cfg(unix)]
#[test]
fn a_trace_onto_the_scenario_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, MINIMAL).unwrap();
    std::os::unix::fs::symlink(&scenario, dir.path().join("link.jsonl")).unwrap();
    std::fs::hard_link(&scenario, dir.path().join("hard.jsonl")).unwrap();
    for trace in ["s.toml", "link.jsonl", "hard.jsonl"] {
        let out = exsim_in(dir.path(), &["run", "s.toml", "--trace", trace]).wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{trace}");
        assert!(out.stdout.is_empty(), "{trace}: nothing ran");
        assert_eq!(std::fs::read_to_string(&scenario).unwrap(), MINIMAL, "{trace}: the scenario is untouched");
    }
    // A trace that is not an input is written.
    let out = exsim_in(dir.path(), &["run", "s.toml", "--trace", "t.jsonl"]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap().starts_with("{\"kind\":\"run\""));
}

/// Starts exsim in `dir` under the harness's limits, standard input empty, the other two piped.
fn exsim_in(dir: &Path, args: &[&str]) -> Child {
    spawn(dir, args, Stdio::piped())
}

fn spawn(dir: &Path, args: &[&str], stdout: Stdio) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_exsim"));
    command.args(args).current_dir(dir).stdin(Stdio::null()).stdout(stdout).stderr(Stdio::piped());
    limit(&mut command, DEFAULT_ADDRESS_SPACE, DEFAULT_CPU_SECONDS);
    command.spawn().expect("exsim starts")
}

/// Waits for `child` with the harness's deadline; its exit code and standard error.
fn finish(name: &str, mut child: Child) -> (i32, String) {
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let deadline = Duration::from_secs(DEFAULT_CPU_SECONDS * 2);
    let status = match wait_timeout::ChildExt::wait_timeout(&mut child, deadline).unwrap() {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: still running after {deadline:?}");
        }
    };
    let code = status.code().unwrap_or_else(|| panic!("{name}: killed by a signal: {status:?}\n{stderr}"));
    assert!(!stderr.chars().any(|c| c.is_control() && c != '\n'), "{name}: control characters in {stderr:?}");
    (code, stderr)
}

/// Commands whose output is non-empty, with the exit code each has when its output is fine.
fn talkers(sample_book: &str) -> Vec<(&'static str, Vec<String>, i32)> {
    let v = |args: &[&str]| args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        ("list", v(&["list", "faults"]), 0),
        ("schema", v(&["schema"]), 0),
        ("check", v(&["check", "quickstart"]), 0),
        ("help", v(&["--help"]), 0),
        ("version", v(&["--version"]), 0),
        ("run", v(&["run", "--variant", "base", "--set", "duration=5ms"]), 0),
        ("run --json", v(&["run", "--json", "--set", "duration=5ms"]), 0),
        ("sweep", v(&["sweep", "quickstart", "--seeds", "0..3", "--fault", "ioc_rests", "--set", "duration=5ms"]), 1),
        ("sweep --json", v(&["sweep", "quickstart", "--seeds", "0..3", "--json", "--set", "duration=5ms"]), 0),
        ("book", v(&["book", sample_book]), 0),
        ("book --each", v(&["book", "--each", sample_book]), 0),
        (
            "diff",
            v(&["diff", "--engine", &format!("'{}' book --each", env!("CARGO_BIN_EXE_exsim")), "--seeds", "0..3"]),
            0,
        ),
    ]
}

fn sample_book() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/sample.book").to_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn output_onto_a_full_disk_is_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let book = sample_book();
    for (name, args, _) in talkers(&book) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let (code, stderr) = finish(name, spawn(dir.path(), &args, Stdio::from(full)));
        assert_eq!(code, 2, "{name}: a write that fails is an error, not a success or a panic: {stderr}");
        assert!(stderr.starts_with("exsim: standard output: No space left on device"), "{name}: {stderr}");
        assert!(stderr.len() <= MAX_MESSAGE_BYTES, "{name}: {stderr}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_code_earned_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let book = sample_book();
    for (name, args, code) in talkers(&book) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The reader is gone before exsim writes anything: every write meets a closed pipe.
        let mut child = spawn(dir.path(), &args, Stdio::piped());
        drop(child.stdout.take());
        let (got, stderr) = finish(name, child);
        // `run` and `sweep` stop at their first write; what ran before it decides the code.
        let want = if name.starts_with("sweep") && !name.contains("json") { code } else { 0 };
        assert_eq!(got, want, "{name}: {stderr}");
        assert!(stderr.is_empty(), "{name}: a closed pipe is not an error: {stderr}");
    }
}

#[test]
fn a_closed_pipe_does_not_mask_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], i32); 3] = [
        // The first run fails, then its report meets the closed pipe.
        ("run --json", &["run", "--json", "--fault", "taker_price", "--set", "duration=50ms"], 1),
        (
            "run two scenarios",
            &["run", "--json", "--fault", "taker_price", "--variant", "base", "quickstart", "quickstart"],
            1,
        ),
        ("sweep", &["sweep", "quickstart", "--seeds", "0..1000000", "--fault", "ioc_rests", "--variant", "base"], 1),
    ];
    for (name, args, want) in cases {
        let mut child = spawn(dir.path(), args, Stdio::piped());
        drop(child.stdout.take());
        let (code, stderr) = finish(name, child);
        assert_eq!(code, want, "{name}: {stderr}");
        assert!(stderr.is_empty(), "{name}: {stderr}");
    }
}

#[test]
fn a_sweep_of_every_seed_streams_at_once_and_stops_when_the_reader_goes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = format!("0..={U64_MAX}");
    for jobs in ["1", "2", "7"] {
        let args = ["sweep", "quickstart", "--seeds", &whole, "--json", "--jobs", jobs, "--set", "duration=2ms"];
        let mut child = spawn(dir.path(), &args, Stdio::piped());
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Vec<serde_json::Value> =
            (0..6).map(|_| serde_json::from_str(&lines.next().unwrap().unwrap()).expect("a JSON object")).collect();
        drop(lines);
        let (code, stderr) = finish("2^64 seeds", child);
        assert_eq!(code, 0, "{stderr}");
        let order: Vec<(u64, &str)> =
            first.iter().map(|r| (r["seed"].as_u64().unwrap(), r["variant"].as_str().unwrap())).collect();
        assert_eq!(
            order,
            vec![(0, "base"), (0, "no_crashes"), (1, "base"), (1, "no_crashes"), (2, "base"), (2, "no_crashes")],
            "--jobs {jobs}: in (seed, run) order"
        );
    }
}
