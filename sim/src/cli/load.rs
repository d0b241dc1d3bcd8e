//! Loading scenarios for `run`, `sweep` and `check`: a path or an embedded name, overrides from
//! `--set`, faults from `--fault`, a seed from `--seed`, and the reproduction command of a run.
//!
//! Invariants kept here:
//! - a file is never read past [`MAX_FILE_BYTES`] + 1 bytes, whatever it is (a device, a pipe, a
//!   huge file), and a directory is refused before reading; nothing is run unless the whole file
//!   and every option validate;
//! - user text quoted in an error (a path, a variant or fault name) goes through [`shown`].

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::fault::{Fault, FaultError};
use crate::scenario::limits::MAX_FILE_BYTES;
use crate::scenario::{self, Override, Scenario, ScenarioFile};
use crate::shown::shown;
use crate::suggest::did_you_mean;

use super::shell_word;

/// Options shared by `run` and `sweep`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ScenarioOptions {
    /// Override a scenario field, e.g. `--set network.loss=0.01` (repeatable; applies to every run).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Switch on a fault of SPEC §5 on top of what the scenario sets (repeatable; see
    /// `exsim list faults`).
    #[arg(long = "fault", value_name = "NAME")]
    pub fault: Vec<String>,
    /// Run only this variant (`base` for the base run).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
}

/// A loaded scenario file with how it was named on the command line.
pub struct Loaded {
    /// As given: a path or an embedded name.
    pub arg: String,
    pub file: ScenarioFile,
    /// BLAKE3 of the scenario's text, hex (a trace records it; replay checks it).
    pub text_blake3: String,
    /// The scenario's text (an HTML report shows it).
    pub text: String,
}

/// Reads a scenario by path, or by embedded name when no such file exists.
///
/// A file is read with at most [`MAX_FILE_BYTES`] + 1 bytes, so a device (`/dev/zero`), an
/// endless pipe or a huge file is refused once past the bound, not read until memory runs out;
/// a directory is refused before reading. The text must be UTF-8 (see [`scenario::text`]).
pub fn source(arg: &str) -> Result<(String, String), String> {
    let path = Path::new(arg);
    if path.exists() {
        return read_bounded(path, arg).map(|text| (arg.to_owned(), text));
    }
    if let Some(text) = scenario::embedded(arg) {
        return Ok((arg.to_owned(), text.to_owned()));
    }
    let names = scenario::EMBEDDED.iter().map(|(n, _)| *n);
    let hint = did_you_mean(arg, names).map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
    Err(format!(
        "{}: no such file, and no embedded scenario of that name{hint}; `exsim list scenarios` lists them",
        shown(arg)
    ))
}

fn read_bounded(path: &Path, arg: &str) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", shown(arg));
    let file = File::open(path).map_err(fail)?;
    if file.metadata().map_err(fail)?.is_dir() {
        return Err(format!("{}: is a directory; expected a scenario file (TOML)", shown(arg)));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(fail)?;
    scenario::text(bytes, arg).map_err(|e| e.to_string())
}

/// Loads and validates one scenario with the options applied.
pub fn load(arg: &str, options: &ScenarioOptions, seed: Option<u64>) -> Result<Loaded, String> {
    let overrides =
        options.set.iter().map(|s| s.parse::<Override>().map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
    let faults = options
        .fault
        .iter()
        .map(|f| f.parse::<Fault>().map_err(|e| format!("--fault {}: {}", shown(f), fault_message(e))))
        .collect::<Result<Vec<_>, _>>()?;
    let (origin, text) = source(arg)?;
    let mut file = scenario::parse(&text, &origin, &overrides).map_err(|e| e.to_string())?;
    if let Some(v) = &options.variant {
        let names: Vec<&str> = file.runs.iter().map(|r| r.variant.as_str()).collect();
        if !names.contains(&v.as_str()) {
            let hint =
                did_you_mean(v, names.iter().copied()).map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
            return Err(format!(
                "--variant {}: {} has no such variant{hint}; it has: {}",
                shown(v),
                shown(arg),
                names.join(", ")
            ));
        }
        file.runs.retain(|r| &r.variant == v);
    }
    for run in &mut file.runs {
        for &f in &faults {
            run.faults.insert(f);
        }
        if let Some(seed) = seed {
            run.seed = seed;
        }
    }
    let text_blake3 = blake3::hash(text.as_bytes()).to_hex().to_string();
    Ok(Loaded { arg: arg.to_owned(), file, text_blake3, text })
}

/// What is wrong with a `--fault` name, the name escaped and cut.
fn fault_message(e: FaultError) -> String {
    match e {
        FaultError::Unknown { name, hint } => {
            format!("unknown fault `{}`{hint}; `exsim list faults` lists them", shown(&name))
        }
        other => other.to_string(),
    }
}

/// The command that reproduces `run` exactly.
pub fn reproduce(arg: &str, options: &ScenarioOptions, run: &Scenario) -> String {
    let mut words = vec!["exsim".to_owned(), "run".to_owned(), shell_word(arg)];
    words.push(format!("--variant {}", shell_word(&run.variant)));
    words.push(format!("--seed {}", run.seed));
    for f in &options.fault {
        words.push(format!("--fault {}", shell_word(f)));
    }
    for s in &options.set {
        words.push(format!("--set {}", shell_word(s)));
    }
    words.join(" ")
}
