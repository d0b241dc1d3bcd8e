//! `exsim merge FILE…`: the `--json` outputs of a sweep's shards (`exsim sweep … --shard I/N
//! --json`, one file per shard, run on several machines) combined into what the whole sweep would
//! have printed on one machine: the same failure lines and total (or, with `--json`, the same JSON
//! lines in the same order: by seed, then the scenario's runs in file order, with `shard` `1/1`
//! and `jobs` the shards' jobs added up). `--junit FILE` writes the same JUnit XML as `sweep
//! --junit`. Exit 0 every expectation met, 1 one failed, 3 a run panicked, as `sweep`; 2 for
//! files that are not one sweep's shards.
//!
//! Invariants:
//! - nothing is printed or written until every file has been read through and found to be one
//!   shard each of the same sweep (every field of each line's `sweep` object but `shard` and
//!   `jobs` the same; one `N` for all; each shard once; each file exactly its shard's seeds, in
//!   order, each seed with all its runs; no shard with seeds missing); anything else is exit 2
//!   with `FILE:LINE:` and what is wrong;
//! - memory does not grow with the sweep: at most [`MAX_FILES`] files, each read a line (at most
//!   [`MAX_LINE_BYTES`]) at a time, twice — once to check, once to merge — and the merge holds one line per file;
//! - each run's line is printed as its shard wrote it but for the `sweep` object's `shard` and
//!   `jobs` (serde_json reads and writes the same bytes back), so `merge --json` of the shards
//!   equals the unsharded `sweep --json` byte for byte except for measured wall times (`wall_ms`).
//!
//! The merged runs reach their outputs through [`Merged::each`], one [`Run`] at a time in sweep
//! order; standard output, `--junit` and `--report DIR` (the sweep's HTML page, fed each run's
//! line as `sweep --report` is) are its consumers.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value};

use super::bad_input;
use super::junit::{Case, Junit, Outcome};
use super::output::{note, Output, Stop};
use super::sweep::{failure_text, panic_table, summary_line};
use crate::shown::shown;
use crate::sim::sweep::{parse_seeds, SeedRange, Seeds, Shard};

/// Longest line of a shard file read (a run's JSON object is a few kilobytes).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Most files one merge takes (each is open at once while merging).
pub const MAX_FILES: usize = 1024;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' outputs of `exsim sweep … --shard I/N --json`, one file per shard, any order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// One JSON object per run, on its own line, in seed order (as the whole sweep's `--json`).
    #[arg(long)]
    json: bool,
    /// Also write the runs as JUnit XML to FILE for CI (as `sweep --junit`).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the sweep's HTML page to DIR/index.html (as `sweep --report`: the same page
    /// the unsharded sweep writes).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

pub fn run(args: &MergeArgs) -> ExitCode {
    if args.files.len() > MAX_FILES {
        return bad_input(format!("{} files given; `exsim merge` takes at most {MAX_FILES} shards", args.files.len()));
    }
    let merged = match Merged::check(&args.files) {
        Ok(m) => m,
        Err(e) => return bad_input(e),
    };
    let inputs: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let mut junit = match &args.junit {
        None => None,
        Some(path) => match Junit::create(path, &merged.name, &inputs) {
            Ok(j) => Some(j),
            Err(e) => return bad_input(e),
        },
    };
    let mut page = match args.report.as_deref().map(|d| crate::report::ReportDir::open(d, &inputs)).transpose() {
        Ok(dir) => dir.map(|d| (d, crate::report::SweepSummary::new(&merged.name))),
        Err(e) => return bad_input(e),
    };
    let mut out = Output::stdout();
    let (mut failed, mut panicked) = (0u128, 0u128);
    let mut stopped: Option<Stop> = None;
    let result = merged.each(|run| {
        if let Some((_, summary)) = page.as_mut() {
            let value: Value =
                serde_json::from_str(&run.line).map_err(|e| format!("a merged line is not JSON: {e}"))?;
            summary.add(&value);
        }
        let (outcome, text) = match (&run.panic, run.met) {
            (Some(message), _) => {
                panicked += 1;
                (Outcome::Panicked(message), panic_table(&run.variant, run.seed, message, &run.reproduce))
            }
            (None, false) => {
                failed += 1;
                (Outcome::Failed(&run.failures), failure_text(&run.variant, run.seed, &run.failures, &run.reproduce))
            }
            (None, true) => (Outcome::Passed, String::new()),
        };
        if let Some(j) = junit.as_mut() {
            let case = Case {
                variant: &run.variant,
                seed: run.seed,
                wall_ms: run.wall_ms,
                outcome,
                reproduce: &run.reproduce,
            };
            j.case(&case)?;
        }
        let text = if args.json { format!("{}\n", run.line) } else { text };
        if !text.is_empty() && stopped.is_none() {
            if let Err(stop) = out.write(&text) {
                stopped = Some(stop);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        return bad_input(e);
    }
    if let Some(Err(e)) = junit.map(Junit::finish) {
        return bad_input(e);
    }
    if let Some((dir, mut kept)) = page {
        kept.note = super::sweep::page_note(merged.seeds, merged.runs, &merged.name);
        if let Err(e) = dir.write(&crate::report::sweep_page(&kept)) {
            return bad_input(e);
        }
    }
    let code = super::sweep::exit_code(failed, panicked);
    if let Some(stop) = stopped {
        return stop.exit(code);
    }
    let summary = summary_line(merged.seeds, merged.runs, &merged.name, merged.jobs, failed, panicked);
    let written =
        if args.json { out.flush().map(|()| note(summary)) } else { out.line(&summary).and_then(|()| out.flush()) };
    match written {
        Ok(()) => ExitCode::from(code),
        Err(stop) => stop.exit(code),
    }
}

/// One run of the merged sweep, in order.
pub struct Run {
    /// Its JSON line as the whole sweep would print it (no newline): everything a run reports.
    pub line: String,
    pub variant: String,
    pub seed: u64,
    pub met: bool,
    pub failures: Vec<String>,
    pub panic: Option<String>,
    pub wall_ms: Option<u64>,
    pub reproduce: String,
}

/// One shard's file, checked.
struct ShardFile {
    path: PathBuf,
    shard: Shard,
    /// Lines of runs it holds.
    lines: u128,
}

/// Shard files found to be one sweep, ready to merge.
pub struct Merged {
    files: Vec<ShardFile>,
    /// The scenario's name (`scenario` of every line).
    name: String,
    /// Seeds of the whole sweep.
    seeds: u128,
    /// Runs per seed.
    runs: usize,
    /// The shards' jobs added up.
    jobs: u128,
}

/// What every line of one sweep shares: its `sweep` object without `shard` and `jobs`, and the
/// scenario's name; and where it was first seen.
struct Sweep {
    key: Map<String, Value>,
    name: String,
    at: String,
    range: SeedRange,
    runs: u64,
    count: u64,
}

impl Merged {
    /// Reads every file through and checks that they are the shards of one sweep.
    pub fn check(paths: &[PathBuf]) -> Result<Merged, String> {
        let mut sweep: Option<Sweep> = None;
        let mut files: Vec<ShardFile> = Vec::new();
        let mut jobs = 0u128;
        for path in paths {
            let mut lines = Lines::open(path)?;
            // (shard, seeds of the shard, its jobs) from the file's first line.
            let mut mine: Option<(Shard, Seeds)> = None;
            let (mut index, mut run, mut count) = (0u128, 0u64, 0u128);
            let mut variants: Vec<String> = Vec::new();
            while let Some((line_no, value)) = lines.next_value()? {
                let at = format!("{}:{line_no}", shown(&path.display().to_string()));
                let meta = meta(&value, &at)?;
                let shard = Shard::parse(text(&meta, "shard", &at)?).map_err(|e| format!("{at}: sweep.shard: {e}"))?;
                let line_jobs = number(&meta, "jobs", &at)?;
                let name = text(value.as_object().expect("lines are objects"), "scenario", &at)?.to_owned();
                let mut key = meta.clone();
                key.remove("shard");
                key.remove("jobs");
                match &sweep {
                    None => {
                        let range =
                            parse_seeds(text(&meta, "seeds", &at)?).map_err(|e| format!("{at}: sweep.seeds: {e}"))?;
                        let runs = number(&meta, "runs", &at)?;
                        if runs == 0 {
                            return Err(format!("{at}: sweep.runs: 0; a sweep has at least one run per seed"));
                        }
                        sweep = Some(Sweep { key, name, at: at.clone(), range, runs, count: shard.count });
                    }
                    Some(s) => {
                        if let Some(field) = differs(&s.key, &key) {
                            return Err(format!(
                                "{at}: not the same sweep as {}: sweep.{field} is {}, there {}",
                                s.at,
                                shown_value(key.get(field)),
                                shown_value(s.key.get(field))
                            ));
                        }
                        if name != s.name {
                            return Err(format!(
                                "{at}: not the same sweep as {}: scenario `{}`, there `{}`",
                                s.at,
                                shown(&name),
                                shown(&s.name)
                            ));
                        }
                        if shard.count != s.count {
                            return Err(format!(
                                "{at}: shard {}/{}, but {} is a shard of {}: not the same split",
                                shard.index, shard.count, s.at, s.count
                            ));
                        }
                    }
                }
                let s = sweep.as_ref().expect("set above");
                let (own, seeds) = *mine.get_or_insert_with(|| (shard, shard.seeds(s.range)));
                if count == 0 {
                    if let Some(other) = files.iter().find(|f| f.shard == shard) {
                        return Err(format!(
                            "{at}: shard {}/{} again: {} has it too",
                            shard.index,
                            shard.count,
                            shown(&other.path.display().to_string())
                        ));
                    }
                    jobs += u128::from(line_jobs);
                }
                if own != shard {
                    return Err(format!(
                        "{at}: shard {}/{}, but the file's first line is shard {}/{}: one file per shard",
                        shard.index, shard.count, own.index, own.count
                    ));
                }
                let seed = value.get("seed").and_then(Value::as_u64);
                let variant = value.get("variant").and_then(Value::as_str);
                let (Some(seed), Some(variant)) = (seed, variant) else {
                    return Err(format!(
                        "{at}: no `seed` number or `variant` string: not a run of `exsim sweep --json`"
                    ));
                };
                match seeds.get(index) {
                    Some(expected) if expected == seed => {}
                    Some(expected) => {
                        return Err(format!(
                            "{at}: seed {seed} where shard {}/{} has seed {expected} next (run {} of {}): \
                             lines missing, repeated or out of order",
                            own.index,
                            own.count,
                            run + 1,
                            s.runs
                        ))
                    }
                    None => {
                        return Err(format!(
                            "{at}: seed {seed} after the last seed of shard {}/{}: lines repeated?",
                            own.index, own.count
                        ))
                    }
                }
                if variants.iter().any(|v| v == variant) {
                    return Err(format!("{at}: seed {seed}, variant `{}` again", shown(variant)));
                }
                variants.push(variant.to_owned());
                count += 1;
                run += 1;
                if run == s.runs {
                    (index, run) = (index + 1, 0);
                    variants.clear();
                }
            }
            let Some((shard, seeds)) = mine else {
                // An empty file: a shard with no seed in the range (more shards than seeds) prints
                // no line; one with seeds is reported missing below.
                continue;
            };
            if index < seeds.len() || run != 0 {
                let s = sweep.as_ref().expect("a line was read");
                return Err(format!(
                    "{}:{}: shard {}/{} ends after {} of its {} seed(s) × {} run(s): the file is cut short",
                    shown(&path.display().to_string()),
                    lines.line_no,
                    shard.index,
                    shard.count,
                    index,
                    seeds.len(),
                    s.runs
                ));
            }
            files.push(ShardFile { path: path.clone(), shard, lines: count });
        }
        let Some(s) = sweep else {
            return Err("no runs in any of the files: nothing to merge".to_owned());
        };
        for index in 1..=s.count {
            let shard = Shard { index, count: s.count };
            let seeds = shard.seeds(s.range);
            if !seeds.is_empty() && !files.iter().any(|f| f.shard == shard) {
                return Err(format!(
                    "shard {index}/{} is missing (its first seed is {}): give every shard's file",
                    s.count,
                    seeds.get(0).unwrap_or_default()
                ));
            }
        }
        let seeds = u128::from(s.range.last - s.range.first) + 1;
        let runs = usize::try_from(s.runs).unwrap_or(usize::MAX);
        Ok(Merged { files, name: s.name, seeds, runs, jobs })
    }

    /// Hands every run to `each`, in the order the whole sweep prints them: by seed, then the
    /// runs of a seed in the order its shard wrote them. Stops at the first error of `each`, or
    /// when a file changed since [`Merged::check`] read it.
    pub fn each(&self, mut each: impl FnMut(&Run) -> Result<(), String>) -> Result<(), String> {
        let mut heads: Vec<(Lines, Option<(usize, Value)>)> = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let mut lines = Lines::open(&f.path)?;
            let first = lines.next_value()?;
            heads.push((lines, first));
        }
        let runs = self.runs as u128;
        let total: u128 = self.files.iter().map(|f| f.lines).sum();
        let jobs = Value::from(u64::try_from(self.jobs).unwrap_or(u64::MAX));
        let mut done = 0u128;
        while done < total {
            // The shard whose next seed is the smallest.
            let pick = heads
                .iter()
                .enumerate()
                .filter_map(|(i, (_, head))| head.as_ref().and_then(|(_, v)| v.get("seed")?.as_u64()).map(|s| (s, i)))
                .min()
                .map(|(_, i)| i);
            let Some(i) = pick else { break };
            for _ in 0..runs {
                let (lines, head) = &mut heads[i];
                let Some((line_no, mut value)) = head.take() else { break };
                let at = format!("{}:{line_no}", shown(&self.files[i].path.display().to_string()));
                if let Some(meta) = value.get_mut("sweep").and_then(Value::as_object_mut) {
                    meta.insert("shard".to_owned(), Value::from("1/1"));
                    meta.insert("jobs".to_owned(), jobs.clone());
                }
                let run = Run::of(value, &at)?;
                each(&run)?;
                done += 1;
                *head = lines.next_value()?;
            }
        }
        if done != total {
            return Err(format!("the files changed while being merged ({done} of {total} runs read)"));
        }
        Ok(())
    }
}

impl Run {
    fn of(value: Value, at: &str) -> Result<Run, String> {
        let changed = || format!("{at}: the file changed while being merged");
        let get_str = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let run = Run {
            line: value.to_string(),
            variant: get_str("variant").ok_or_else(changed)?,
            seed: value.get("seed").and_then(Value::as_u64).ok_or_else(changed)?,
            met: value.get("expectations_met").and_then(Value::as_bool).ok_or_else(|| {
                format!("{at}: no `expectations_met` true or false: not a run of `exsim sweep --json`")
            })?,
            failures: value
                .get("failures")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|f| f.as_str().map_or_else(|| f.to_string(), str::to_owned)).collect())
                .unwrap_or_default(),
            panic: get_str("panic"),
            wall_ms: value.get("wall_ms").and_then(Value::as_u64),
            reproduce: get_str("reproduce").unwrap_or_default(),
        };
        Ok(run)
    }
}

/// A file read one line at a time, each at most [`MAX_LINE_BYTES`]; blank lines are skipped.
struct Lines {
    path: String,
    reader: BufReader<File>,
    line_no: usize,
    buf: Vec<u8>,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines, String> {
        let shown_path = shown(&path.display().to_string());
        let file = File::open(path).map_err(|e| format!("{shown_path}: {e}"))?;
        if file.metadata().map_err(|e| format!("{shown_path}: {e}"))?.is_dir() {
            return Err(format!("{shown_path}: is a directory; expected the output of `exsim sweep --json`"));
        }
        Ok(Lines { path: shown_path, reader: BufReader::with_capacity(1 << 16, file), line_no: 0, buf: Vec::new() })
    }

    /// The next non-blank line, parsed, with its number.
    fn next_value(&mut self) -> Result<Option<(usize, Value)>, String> {
        loop {
            self.buf.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| format!("{}: {e}", self.path))?;
            if read == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let at = format!("{}:{}", self.path, self.line_no);
            if self.buf.last() != Some(&b'\n') && self.buf.len() > MAX_LINE_BYTES {
                return Err(format!("{at}: line longer than {MAX_LINE_BYTES} bytes"));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let value: Value = serde_json::from_slice(line)
                .map_err(|e| format!("{at}: not JSON ({e}); expected the output of `exsim sweep --json`"))?;
            if !value.is_object() {
                return Err(format!("{at}: not a JSON object; expected the output of `exsim sweep --json`"));
            }
            return Ok(Some((self.line_no, value)));
        }
    }
}

/// The `sweep` object of a run's line.
fn meta(value: &Value, at: &str) -> Result<Map<String, Value>, String> {
    value.get("sweep").and_then(Value::as_object).cloned().ok_or_else(|| {
        format!("{at}: no `sweep` object: not a line of `exsim sweep --json` (or from an exsim before `merge`)")
    })
}

fn text<'a>(object: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, String> {
    object.get(key).and_then(Value::as_str).ok_or_else(|| format!("{at}: no `{key}` string"))
}

fn number(object: &Map<String, Value>, key: &str, at: &str) -> Result<u64, String> {
    object.get(key).and_then(Value::as_u64).ok_or_else(|| format!("{at}: no `sweep.{key}` number"))
}

/// The first key whose value differs between two `sweep` objects (keys of either).
fn differs<'a>(a: &'a Map<String, Value>, b: &'a Map<String, Value>) -> Option<&'a str> {
    a.keys().chain(b.keys()).find(|k| a.get(k.as_str()) != b.get(k.as_str())).map(String::as_str)
}

/// A JSON value as a message quotes it (escaped and cut).
fn shown_value(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), |v| shown(&v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seed: u64, variant: &str, shard: &str, jobs: u64) -> String {
        format!(
            r#"{{"scenario":"q","variant":"{variant}","seed":{seed},"expectations_met":true,"failures":[],"reproduce":"r","sweep":{{"scenario":"q","seeds":"0..=3","shard":"{shard}","runs":1,"jobs":{jobs}}}}}"#
        )
    }

    fn files(contents: &[String]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let paths = contents
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = dir.path().join(format!("s{i}.jsonl"));
                std::fs::write(&p, c).unwrap();
                p
            })
            .collect();
        (dir, paths)
    }

    fn error(contents: &[String]) -> String {
        let (_dir, paths) = files(contents);
        match Merged::check(&paths) {
            Ok(_) => panic!("merged: {contents:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn shards_merge_in_seed_order_with_their_jobs_added() {
        let panicked = line(2, "base", "1/2", 2)
            .replace(r#""expectations_met":true,"failures":[]"#, r#""panic":"boom","expectations_met":false"#);
        let a = format!("{}\n{panicked}\n", line(0, "base", "1/2", 2));
        let b = format!("{}\n\n{}\n", line(1, "base", "2/2", 3), line(3, "base", "2/2", 3));
        let (_dir, paths) = files(&[b, a]);
        let merged = Merged::check(&paths).unwrap();
        assert_eq!((merged.seeds, merged.runs, merged.jobs), (4, 1, 5));
        let mut seen = Vec::new();
        merged
            .each(|run| {
                seen.push(run.seed);
                assert_eq!(run.panic.is_some(), run.seed == 2);
                assert_eq!(run.met, run.seed != 2);
                assert!(run.line.ends_with(r#""shard":"1/1","runs":1,"jobs":5}}"#), "{}", run.line);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [0, 1, 2, 3]);
    }

    #[test]
    fn what_is_not_one_sweep_is_located() {
        let a = format!("{}\n{}\n", line(0, "base", "1/2", 1), line(2, "base", "1/2", 1));
        let b = format!("{}\n{}\n", line(1, "base", "2/2", 1), line(3, "base", "2/2", 1));
        let e = error(&[a.clone(), a.clone()]);
        assert!(e.contains("s1.jsonl:1: shard 1/2 again: ") && e.contains("s0.jsonl has it too"), "{e}");
        let e = error(std::slice::from_ref(&a));
        assert!(e.contains("shard 2/2 is missing (its first seed is 1)"), "{e}");
        let e = error(&[a.clone(), b.replace(r#""scenario":"q","seeds""#, r#""scenario":"x","seeds""#)]);
        assert!(e.contains("s1.jsonl:1: not the same sweep as ") && e.contains("sweep.scenario is \"x\""), "{e}");
        let e = error(&[a.clone(), "{\"seed\": 1,\n".to_owned()]);
        assert!(e.contains("s1.jsonl:1: not JSON (EOF while parsing a value at line 1 column 11)"), "{e}");
        let e = error(&[format!("{}\n", line(0, "base", "1/2", 1)), b.clone()]);
        assert!(e.contains("s0.jsonl:1: shard 1/2 ends after 1 of its 2 seed(s)"), "{e}");
        let e = error(&[format!("{}\n{}\n", line(2, "base", "1/2", 1), line(0, "base", "1/2", 1)), b.clone()]);
        assert!(e.contains("s0.jsonl:1: seed 2 where shard 1/2 has seed 0 next"), "{e}");
        let e = error(&[a.clone(), r#"{"seed":1}"#.to_owned()]);
        assert!(e.contains("s1.jsonl:1: no `sweep` object"), "{e}");
        let e = error(&[a, line(1, "base", "2/3", 1)]);
        assert!(e.contains("s1.jsonl:1: shard 2/3, but ") && e.contains("not the same split"), "{e}");
    }
}
