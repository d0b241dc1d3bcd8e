//! The regression file format (text, UTF-8). Lines starting with `#` are comments (`exsim shrink`
//! writes a summary and, for a short file, each entry in words); blank lines are skipped. The
//! first other line is the [`Header`] as one JSON object (`"kind":"regression"`); every following
//! line is one entry as a JSON object:
//!
//! - a command: `{"t_ns":…,"from":…,"command":…,"ack":…,"paid":…}` — `from` is `"system"` or
//!   `{"client":{"credential":…,"ip":…,"code":…}}`; `ack` is the answer it got when recorded
//!   (absent: refused), `paid` the payment it emitted (absent: none); both only steer the id map;
//! - a chain fact: `{"t_ns":…,"chain":…}`.
//!
//! Invariants: reading is bounded ([`MAX_FILE_BYTES`], [`MAX_ENTRIES`](super::MAX_ENTRIES)) and
//! never panics; every error names the file, the line and the field, and what would be valid; what
//! [`write`] produces, [`parse`] reads back to the same [`Regression`].

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Entry, Header, Regression, FORMAT, MAX_ENTRIES};
use crate::chain::ChainFact;
use crate::exchange::{Ack, Command, Origin, Payment, TxId};

/// The largest regression file read.
pub const MAX_FILE_BYTES: usize = 256 << 20;

/// Entries listed in words in a file's comment block, at most.
const DESCRIBED_MAX: usize = 200;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Paid {
    txid: TxId,
    payment: Payment,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    t_ns: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<Command>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ack: Option<Ack>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paid: Option<Paid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chain: Option<ChainFact>,
}

impl Line {
    fn of(entry: &Entry) -> Line {
        match *entry {
            Entry::Command { time_ns, origin, command, ack, paid } => Line {
                t_ns: time_ns,
                from: Some(origin),
                command: Some(command),
                ack,
                paid: paid.map(|(txid, payment)| Paid { txid, payment }),
                chain: None,
            },
            Entry::Chain { time_ns, fact } => {
                Line { t_ns: time_ns, from: None, command: None, ack: None, paid: None, chain: Some(fact) }
            }
        }
    }

    fn entry(self) -> Result<Entry, String> {
        match (self.command, self.chain) {
            (Some(command), None) => {
                let origin = self
                    .from
                    .ok_or("field `from` is missing: a command says who sent it (\"system\" or {\"client\":…})")?;
                Ok(Entry::Command {
                    time_ns: self.t_ns,
                    origin,
                    command,
                    ack: self.ack,
                    paid: self.paid.map(|p| (p.txid, p.payment)),
                })
            }
            (None, Some(fact)) => {
                if self.from.is_some() || self.ack.is_some() || self.paid.is_some() {
                    return Err("a chain fact has only `t_ns` and `chain`".to_owned());
                }
                Ok(Entry::Chain { time_ns: self.t_ns, fact })
            }
            (Some(_), Some(_)) => Err("an entry is a `command` or a `chain` fact, not both".to_owned()),
            (None, None) => Err("an entry needs a `command` (with `from`) or a `chain` fact".to_owned()),
        }
    }
}

/// Whether `text` looks like a regression file: its first line that is not blank or a comment is
/// a JSON object of kind `"regression"`.
pub fn is_regression(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|v| v.get("kind").and_then(|k| k.as_str()) == Some("regression"))
}

/// Reads a regression file's text; `name` names it in errors (`name:line: …`).
pub fn parse(text: &str, name: &str) -> Result<Regression, String> {
    parse_lines(text, name).map(|(r, _)| r)
}

/// [`parse`], with the line number (from 1) of each entry.
pub fn parse_lines(text: &str, name: &str) -> Result<(Regression, Vec<usize>), String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!("{name}: {} bytes; a regression file is at most {MAX_FILE_BYTES}", text.len()));
    }
    let mut header: Option<Header> = None;
    let mut entries = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match &header {
            None => {
                let h: Header = serde_json::from_str(line).map_err(|e| {
                    format!("{name}:{n}: the header (`{{\"kind\":\"regression\",\"format\":{FORMAT},\"invariant\":…,\"expect\":…,\"from\":…,\"config\":…}}`): {e}")
                })?;
                if h.kind != "regression" {
                    return Err(format!(
                        "{name}:{n}: field `kind`: {:?}; a regression file's header says \"regression\"",
                        crate::shown::shown(&h.kind)
                    ));
                }
                if h.format != FORMAT {
                    return Err(format!("{name}:{n}: field `format`: {}; this exsim reads format {FORMAT}", h.format));
                }
                header = Some(h);
            }
            Some(_) => {
                if entries.len() == MAX_ENTRIES {
                    return Err(format!("{name}:{n}: more than {MAX_ENTRIES} entries"));
                }
                let parsed: Line = serde_json::from_str(line).map_err(|e| format!("{name}:{n}: {e}"))?;
                entries.push(parsed.entry().map_err(|e| format!("{name}:{n}: {e}"))?);
                lines.push(n);
            }
        }
    }
    let header = header
        .ok_or_else(|| format!("{name}: no header line; expected a regression file written by `exsim shrink`"))?;
    Ok((Regression { header, entries }, lines))
}

/// Writes a regression: a comment block (`comments`, one per line, then the entries in words when
/// there are few), the header, the entries.
pub fn write(regression: &Regression, comments: &[String]) -> String {
    let mut out = String::new();
    for c in comments {
        for line in c.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    if regression.entries.len() <= DESCRIBED_MAX {
        let _ = writeln!(out, "#");
        for (i, e) in regression.entries.iter().enumerate() {
            let _ = writeln!(out, "# {:>3}  {}", i + 1, describe(e));
        }
    }
    out.push_str(&serde_json::to_string(&regression.header).expect("a header serializes"));
    out.push('\n');
    for e in &regression.entries {
        out.push_str(&serde_json::to_string(&Line::of(e)).expect("an entry serializes"));
        out.push('\n');
    }
    out
}

/// One entry in words: when, from whom, what (and what it got).
pub fn describe(entry: &Entry) -> String {
    let time = |t: u64| format!("t={}.{:09}s", t / 1_000_000_000, t % 1_000_000_000);
    match entry {
        Entry::Command { time_ns, origin, command, ack, .. } => {
            let from = match origin {
                Origin::System => "system".to_owned(),
                Origin::Client(a) => {
                    let code = if a.code.is_some() { " +code" } else { "" };
                    format!("{:?} ip {}{code}", a.credential, a.ip.0).to_lowercase()
                }
            };
            let answer = ack.map_or_else(|| "refused".to_owned(), |a| format!("{a:?}"));
            format!("{}  {from}: {command:?} → {answer}", time(*time_ns))
        }
        Entry::Chain { time_ns, fact } => format!("{}  chain: {fact:?}", time(*time_ns)),
    }
}
