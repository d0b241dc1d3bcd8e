//! CI outputs through the real binary: `exsim merge` of a sweep's shards against the unsharded
//! sweep (the same JSON lines and the same summary, byte for byte but for measured wall times),
//! its located refusals, and `--junit FILE` of `sweep` and `merge` read back with an XML reader
//! (well formed, one test case per run, counts that match `--json`).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use quick_xml::events::Event;

/// Runs short enough for a test: a tenth of a simulated second each.
const SHORT: &str = "duration=100ms";

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Wall time is measured, never simulated: the one field two runs of the same seed differ in.
fn without_wall_times(json_lines: &str) -> String {
    let mut out = String::with_capacity(json_lines.len());
    let mut rest = json_lines;
    while let Some(at) = rest.find("\"wall_ms\":") {
        let (head, tail) = rest.split_at(at + "\"wall_ms\":".len());
        out.push_str(head);
        out.push('0');
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn merged_shards_print_what_the_unsharded_sweep_prints() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "quickstart", "--seeds", "0..8", "--set", SHORT];
        args.extend_from_slice(extra);
        exsim(&args)
    };
    // Four jobs on one machine, or one job on each of four.
    let whole = sweep(&["--json", "--jobs", "4"]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    assert_eq!(text(&whole.stdout).lines().count(), 16, "8 seeds × (base + no_crashes)");
    let mut shards = Vec::new();
    for i in [3, 1, 4, 2] {
        let shard = format!("{i}/4");
        let out = sweep(&["--json", "--jobs", "1", "--shard", &shard]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        shards.push(write(dir.path(), &format!("shard{i}.jsonl"), &out.stdout));
    }
    let mut args = vec!["merge", "--json"];
    args.extend(shards.iter().map(String::as_str));
    let merged = exsim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(without_wall_times(&text(&merged.stdout)), without_wall_times(&text(&whole.stdout)));
    assert_eq!(text(&merged.stderr), text(&whole.stderr));
    assert_eq!(text(&merged.stderr), "swept 8 seed(s) × 2 run(s) of quickstart on 4 job(s): 0 failed, 0 panicked\n");

    // The table: nothing failed, so the total alone, the same.
    let table = sweep(&["--jobs", "4"]);
    let merged = exsim(&args[..1].iter().chain(&args[2..]).copied().collect::<Vec<_>>());
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(text(&merged.stdout), text(&table.stdout));
}

#[test]
fn merged_failures_read_like_the_sweeps_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |extra: &[&str]| {
        let mut args =
            vec!["sweep", "quickstart", "--seeds", "0..4", "--variant", "base", "--fault", "ioc_rests", "--set", SHORT];
        args.extend_from_slice(extra);
        exsim(&args)
    };
    let table = sweep(&["--jobs", "2"]);
    assert_eq!(table.status.code(), Some(1));
    let a = write(dir.path(), "a.jsonl", &sweep(&["--json", "--jobs", "1", "--shard", "1/2"]).stdout);
    let b = write(dir.path(), "b.jsonl", &sweep(&["--json", "--jobs", "1", "--shard", "2/2"]).stdout);
    let merged = exsim(&["merge", &b, &a]);
    assert_eq!(merged.status.code(), Some(1), "{}", text(&merged.stderr));
    let stdout = text(&merged.stdout);
    assert_eq!(stdout, text(&table.stdout));
    assert!(stdout.contains("base seed 3: tif_respected: violated"), "{stdout}");
    assert!(stdout.ends_with("4 failed, 0 panicked\n"), "{stdout}");

    // The HTML page of the merged shards is the unsharded sweep's page, byte for byte.
    let whole = dir.path().join("whole");
    let parts = dir.path().join("parts");
    let out = sweep(&["--jobs", "2", "--report", whole.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = exsim(&["merge", &a, &b, "--report", parts.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let page = |d: &std::path::Path| std::fs::read_to_string(d.join("index.html")).unwrap();
    assert!(page(&whole).contains("tif_respected"), "the page names what broke");
    assert_eq!(page(&parts), page(&whole), "merge --report gives the unsharded sweep's page");
}

#[test]
fn files_that_are_not_one_sweep_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |scenario_set: &str, shard: &str| {
        let out = exsim(&[
            "sweep",
            "quickstart",
            "--seeds",
            "0..2",
            "--variant",
            "base",
            "--set",
            scenario_set,
            "--shard",
            shard,
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        out.stdout
    };
    let a = write(dir.path(), "a.jsonl", &shard(SHORT, "1/2"));
    let b = write(dir.path(), "b.jsonl", &shard(SHORT, "2/2"));
    let other = write(dir.path(), "other.jsonl", &shard("duration=50ms", "2/2"));
    let bad = write(dir.path(), "bad.jsonl", b"{\"scenario\": \"quickstart\",\n");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec![&a, &a], format!("{a}:1: shard 1/2 again: {a} has it too")),
        (vec![&a], "shard 2/2 is missing (its first seed is 1)".into()),
        (
            vec![&a, &other],
            format!(
                "{other}:1: not the same sweep as {a}:1: sweep.set is [\"duration=50ms\"], there [\"duration=100ms\"]"
            ),
        ),
        (vec![&a, &bad], format!("{bad}:1: not JSON (EOF while parsing a value at line 1 column 26)")),
        (vec![&a, "/nonexistent/b.jsonl"], "/nonexistent/b.jsonl: No such file or directory".into()),
    ];
    for (files, says) in cases {
        let mut args = vec!["merge"];
        args.extend(files);
        let out = exsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing printed");
        assert!(text(&out.stderr).contains(&says), "{args:?}: {}", text(&out.stderr));
    }
    // The JUnit report is never one of the inputs.
    let out = exsim(&["merge", &a, &b, "--junit", &b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exsim never overwrites its inputs"), "{}", text(&out.stderr));
    assert!(std::fs::read(&b).unwrap().starts_with(b"{"), "the input is intact");
}

/// A JUnit report as a CI reporter reads it: the `<testsuite>`'s counts, and per `<testcase>`
/// its name and, for a failure or an error, the `message` attribute and the element's text.
#[derive(Debug, Default)]
struct Junit {
    tests: u64,
    failures: u64,
    errors: u64,
    /// (name, and for a failure or an error: its tag, `message` and text).
    cases: Vec<(String, Option<Finding>)>,
}

/// A failure's or error's tag, `message` attribute and text.
type Finding = (String, String, String);

fn read_junit(path: &str) -> Junit {
    let xml = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut junit = Junit::default();
    // Inside a failure or error: its tag, message and the text so far (text and references).
    let mut open: Option<(String, String, String)> = None;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> String {
        let a = e.try_get_attribute(name).expect("well formed").unwrap_or_else(|| panic!("no {name}"));
        a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                junit.tests = attr(&e, "tests").parse().unwrap();
                junit.failures = attr(&e, "failures").parse().unwrap();
                junit.errors = attr(&e, "errors").parse().unwrap();
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                junit.cases.push((attr(&e, "name"), None));
            }
            Event::Start(e) if matches!(e.name().as_ref(), b"failure" | b"error") => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                open = Some((tag, attr(&e, "message"), String::new()));
            }
            Event::Text(t) => {
                if let Some((_, _, body)) = open.as_mut() {
                    body.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, body)) = open.as_mut() {
                    let reference = format!("&{};", r.decode().unwrap());
                    body.push_str(&quick_xml::escape::unescape(&reference).unwrap());
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), b"failure" | b"error") => {
                let (tag, message, body) = open.take().expect("opened");
                junit.cases.last_mut().expect("inside a test case").1 = Some((tag, message, body));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    junit
}

#[test]
fn junit_lists_every_run_and_its_failures_with_the_counts_of_json() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.xml");
    let clean = clean.to_str().unwrap();
    let out = exsim(&["sweep", "quickstart", "--seeds", "0..3", "--set", SHORT, "--junit", clean]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let junit = read_junit(clean);
    assert_eq!((junit.tests, junit.failures, junit.errors), (6, 0, 0));
    assert_eq!(junit.cases.len(), 6);
    assert_eq!(junit.cases[0].0, "base seed 0");
    assert_eq!(junit.cases[1].0, "no_crashes seed 0");
    assert!(junit.cases.iter().all(|(_, failure)| failure.is_none()));

    let faulty = dir.path().join("faulty.xml");
    let faulty = faulty.to_str().unwrap();
    let sweep = |extra: &[&str]| {
        let mut args =
            vec!["sweep", "quickstart", "--seeds", "0..3", "--fault", "ioc_rests", "--set", SHORT, "--jobs", "1"];
        args.extend_from_slice(extra);
        exsim(&args)
    };
    let out = sweep(&["--json", "--junit", faulty]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let runs: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let junit = read_junit(faulty);
    let failed = runs.iter().filter(|r| r["expectations_met"] == false).count() as u64;
    assert!(failed >= 3, "ioc_rests breaks tif_respected on every seed of the base at least");
    assert_eq!((junit.tests, junit.failures, junit.errors), (runs.len() as u64, failed, 0));
    for (run, (name, failure)) in runs.iter().zip(&junit.cases) {
        assert_eq!(name, &format!("{} seed {}", run["variant"].as_str().unwrap(), run["seed"]));
        let reproduce = run["reproduce"].as_str().unwrap();
        match failure {
            None => assert_eq!(run["expectations_met"], true),
            Some((tag, message, body)) => {
                assert_eq!(tag, "failure");
                assert!(message.starts_with("tif_respected: violated") && message.ends_with(reproduce), "{message}");
                for f in run["failures"].as_array().unwrap() {
                    assert!(body.contains(f.as_str().unwrap()), "{body}");
                }
                assert!(body.ends_with(&format!("reproduce: {reproduce}\n")), "{body}");
            }
        }
    }

    // `merge --junit` of the shards lists the same runs with the same findings.
    let a = write(dir.path(), "a.jsonl", &sweep(&["--json", "--shard", "1/2"]).stdout);
    let b = write(dir.path(), "b.jsonl", &sweep(&["--json", "--shard", "2/2"]).stdout);
    let merged = dir.path().join("merged.xml");
    let merged = merged.to_str().unwrap();
    let out = exsim(&["merge", &a, &b, "--junit", merged]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let again = read_junit(merged);
    assert_eq!((again.tests, again.failures, again.errors), (junit.tests, junit.failures, junit.errors));
    assert_eq!(format!("{:?}", again.cases), format!("{:?}", junit.cases));
}

#[test]
fn an_unwritable_junit_file_is_exit_2_before_anything_runs() {
    let out = exsim(&["sweep", "quickstart", "--seeds", "0..2", "--junit", "/nonexistent/dir/junit.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--junit /nonexistent/dir/junit.xml: No such file or directory"),
        "{}",
        text(&out.stderr)
    );
}

/// SPEC §13: output that cannot be written is exit 2; a closed pipe ends quietly.
#[cfg(target_os = "linux")]
#[test]
fn merge_output_onto_a_full_disk_is_exit_2_and_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        exsim(&["sweep", "quickstart", "--seeds", "0..2", "--variant", "base", "--set", "duration=5ms", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shard = write(dir.path(), "all.jsonl", &out.stdout);
    for json in [false, true] {
        let mut args = vec!["merge", shard.as_str()];
        if json {
            args.push("--json");
        }
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_exsim")).args(&args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).starts_with("exsim: standard output: No space left on device"),
            "{}",
            text(&out.stderr)
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_exsim"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.is_empty() || stderr.starts_with("swept "), "{args:?}: a closed pipe is not an error: {stderr}");
    }
}
