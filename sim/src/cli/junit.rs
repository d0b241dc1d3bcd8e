//! `--junit FILE` of `exsim sweep` and `exsim merge`: the runs of a sweep as JUnit XML, the classic
//! Ant schema CI reporters read (GitHub, GitLab, Jenkins): a `<testsuites>` root holding one
//! `<testsuite>` named after the scenario, one `<testcase>` per (seed, variant) run, in the order
//! the sweep prints them. A run that missed an expectation carries a `<failure>` (the violated
//! invariants and failed expectations and the command that reproduces it: the first briefly in
//! the `message` attribute, all of them in the element's text); a run that panicked carries an
//! `<error>` with the panic message and the command.
//!
//! Invariants:
//! - every byte of markup and escaping is written by `quick-xml`; text goes through [`xml_text`]
//!   first, which only spells out the characters XML 1.0 cannot carry at all (control characters),
//!   so the file is always well formed whatever a detail or a panic message holds;
//! - the file is created by [`Junit::create`] before the sweep runs (an unwritable path is exit 2
//!   with nothing run) and written whole by [`Junit::finish`] at the end;
//! - memory does not grow with the sweep: test cases are spooled in an unnamed temporary file
//!   beside `FILE` until the counts of the `<testsuite>` header are known;
//! - `tests`, `failures` and `errors` count exactly the cases written (`tests` = every run,
//!   `failures` = runs whose expectations failed, `errors` = runs that panicked).

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::shown::shown;

/// Most characters of the `message` attribute (the element's text has everything).
const MESSAGE_CHARS: usize = 200;

/// How one run ended, for its `<testcase>`.
pub enum Outcome<'a> {
    /// Every expectation met.
    Passed,
    /// One line per unmet expectation (`Report::failures`).
    Failed(&'a [String]),
    /// exsim panicked; the panic message.
    Panicked(&'a str),
}

/// One run of a sweep.
pub struct Case<'a> {
    pub variant: &'a str,
    pub seed: u64,
    /// Wall time of the run, when known (a panicked run has none).
    pub wall_ms: Option<u64>,
    pub outcome: Outcome<'a>,
    /// The command that reproduces the run.
    pub reproduce: &'a str,
}

/// A JUnit report being written: `FILE` is open, the cases so far are in the spool.
pub struct Junit {
    path: PathBuf,
    file: File,
    spool: Writer<BufWriter<File>>,
    suite: String,
    tests: u128,
    failures: u128,
    errors: u128,
    wall_ms: u128,
}

impl Junit {
    /// Creates (or truncates) `path` for a report on the runs of scenario `suite`, refusing a
    /// path that is one of `inputs` (exsim never overwrites its inputs). The error names the flag.
    pub fn create(path: &Path, suite: &str, inputs: &[&Path]) -> Result<Junit, String> {
        let named = || format!("--junit {}", shown(&path.display().to_string()));
        for input in inputs {
            if path.exists() && input.exists() && same_file::is_same_file(path, input).unwrap_or(false) {
                return Err(format!(
                    "{}: that is {}, an input of this command; exsim never overwrites its inputs",
                    named(),
                    shown(&input.display().to_string())
                ));
            }
        }
        let file = File::create(path).map_err(|e| format!("{}: {e}", named()))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let spool = tempfile::tempfile_in(dir)
            .or_else(|_| tempfile::tempfile())
            .map_err(|e| format!("{}: cannot make a temporary file for the test cases: {e}", named()))?;
        Ok(Junit {
            path: path.to_owned(),
            file,
            spool: Writer::new(BufWriter::with_capacity(1 << 16, spool)),
            suite: suite.to_owned(),
            tests: 0,
            failures: 0,
            errors: 0,
            wall_ms: 0,
        })
    }

    /// Adds one run's `<testcase>`.
    pub fn case(&mut self, case: &Case<'_>) -> Result<(), String> {
        self.tests += 1;
        self.wall_ms += u128::from(case.wall_ms.unwrap_or(0));
        let name = format!("{} seed {}", case.variant, case.seed);
        let time = seconds(u128::from(case.wall_ms.unwrap_or(0)));
        let mut start = BytesStart::new("testcase");
        start.push_attribute(("name", xml_text(&name).as_str()));
        start.push_attribute(("classname", xml_text(&self.suite).as_str()));
        start.push_attribute(("time", time.as_str()));
        let (tag, kind, lines): (&str, &str, Vec<String>) = match case.outcome {
            Outcome::Passed => return self.write(Event::Empty(start)),
            Outcome::Failed(failures) => {
                self.failures += 1;
                ("failure", "expectation", failures.to_vec())
            }
            Outcome::Panicked(message) => {
                self.errors += 1;
                ("error", "panic", vec![format!("exsim panicked: {message}")])
            }
        };
        let first = lines.first().map_or("", String::as_str);
        let more = if lines.len() > 1 { format!(" (and {} more)", lines.len() - 1) } else { String::new() };
        let message = format!("{}{more}; reproduce: {}", cut(first, MESSAGE_CHARS), case.reproduce);
        let mut body = lines.join("\n");
        body.push_str(&format!("\nreproduce: {}\n", case.reproduce));
        let mut element = BytesStart::new(tag);
        // An attribute is one line (a reader folds line breaks in it to spaces anyway).
        element.push_attribute(("message", xml_text(&message.replace(['\n', '\r'], " ")).as_str()));
        element.push_attribute(("type", kind));
        self.write(Event::Start(start))?;
        self.write(Event::Start(element))?;
        self.write(Event::Text(BytesText::new(&xml_text(&body))))?;
        self.write(Event::End(BytesEnd::new(tag)))?;
        self.write(Event::End(BytesEnd::new("testcase")))
    }

    fn write(&mut self, event: Event<'_>) -> Result<(), String> {
        self.spool.write_event(event).map_err(|e| self.error(e))
    }

    fn error(&self, e: io::Error) -> String {
        format!("--junit {}: {e}", shown(&self.path.display().to_string()))
    }

    /// Writes the whole file: the declaration, the `<testsuites>` and `<testsuite>` headers with
    /// their counts, the spooled cases, and the closing tags.
    pub fn finish(self) -> Result<(), String> {
        let Junit { path, file, spool, suite, tests, failures, errors, wall_ms } = self;
        let fail = |e: io::Error| format!("--junit {}: {e}", shown(&path.display().to_string()));
        let mut spool = spool.into_inner().into_inner().map_err(|e| fail(e.into_error()))?;
        spool.rewind().map_err(fail)?;
        let mut out = Writer::new(BufWriter::with_capacity(1 << 16, file));
        let counts = |tag: &'static str| {
            let mut start = BytesStart::new(tag);
            start.push_attribute(("name", xml_text(&suite).as_str()));
            start.push_attribute(("tests", tests.to_string().as_str()));
            start.push_attribute(("failures", failures.to_string().as_str()));
            start.push_attribute(("errors", errors.to_string().as_str()));
            if tag == "testsuite" {
                start.push_attribute(("skipped", "0"));
            }
            start.push_attribute(("time", seconds(wall_ms).as_str()));
            start
        };
        out.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(fail)?;
        out.get_mut().write_all(b"\n").map_err(fail)?;
        out.write_event(Event::Start(counts("testsuites"))).map_err(fail)?;
        out.write_event(Event::Start(counts("testsuite"))).map_err(fail)?;
        io::copy(&mut spool, out.get_mut()).map_err(fail)?;
        out.write_event(Event::End(BytesEnd::new("testsuite"))).map_err(fail)?;
        out.write_event(Event::End(BytesEnd::new("testsuites"))).map_err(fail)?;
        let mut file = out.into_inner();
        file.write_all(b"\n").map_err(fail)?;
        file.into_inner().map_err(|e| fail(e.into_error()))?.sync_all().map_err(fail)
    }
}

/// Milliseconds as JUnit's seconds, exactly (`1.234`).
fn seconds(ms: u128) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The first `max` characters of `s`, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// `text` with every character XML 1.0 cannot carry, even as a reference (the C0 controls but
/// tab, line feed and carriage return; U+FFFE and U+FFFF), spelt out as Rust writes it
/// (`\u{1b}`). Escaping the markup characters is left to `quick-xml`.
pub fn xml_text(text: &str) -> String {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    text.chars().flat_map(|c| if allowed(c) { vec![c] } else { c.escape_default().collect() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(cases: &[Case<'_>]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        let mut junit = Junit::create(&path, "quick<start>", &[]).unwrap();
        for case in cases {
            junit.case(case).unwrap();
        }
        junit.finish().unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn counts_cases_and_escapes_what_runs_say() {
        let failures = ["tif_respected: order 25 rested <IOC> & \"more\"".to_owned(), "second\u{1b}[31m".to_owned()];
        let xml = report(&[
            Case { variant: "base", seed: 1, wall_ms: Some(1234), outcome: Outcome::Passed, reproduce: "exsim run x" },
            Case {
                variant: "base",
                seed: 2,
                wall_ms: Some(5),
                outcome: Outcome::Failed(&failures),
                reproduce: "exsim run 'a b' --seed 2",
            },
            Case {
                variant: "v",
                seed: 3,
                wall_ms: None,
                outcome: Outcome::Panicked("boom\u{0}"),
                reproduce: "exsim run x --seed 3",
            },
        ]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "), "{xml}");
        assert!(
            xml.contains(
                r#"<testsuite name="quick&lt;start&gt;" tests="3" failures="1" errors="1" skipped="0" time="1.239">"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<testcase name="base seed 1" classname="quick&lt;start&gt;" time="1.234"/>"#), "{xml}");
        assert!(xml.contains("rested &lt;IOC&gt; &amp; &quot;more&quot; (and 1 more); reproduce: exsim run &apos;a b&apos; --seed 2\" type=\"expectation\">"), "{xml}");
        assert!(xml.contains("second\\u{1b}[31m\nreproduce: exsim run &apos;a b&apos; --seed 2\n</failure>"), "{xml}");
        assert!(
            xml.contains(
                "<error message=\"exsim panicked: boom\\u{0}; reproduce: exsim run x --seed 3\" type=\"panic\">"
            ),
            "{xml}"
        );
        // Well formed: a reader goes through every event to the end.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut depth = 0i32;
        loop {
            match reader.read_event().expect("well formed") {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }

    #[test]
    fn the_message_is_cut_and_the_seconds_exact() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(61_005), "61.005");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(xml_text("a\tb\u{7}\u{FFFF}"), "a\tb\\u{7}\\u{ffff}");
    }
}
