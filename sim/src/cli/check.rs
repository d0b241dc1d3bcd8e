//! `exsim check FILE…`: validates scenario files without running anything; prints one line per
//! file, and the first error of each bad one (file, line, column, field, what would be valid).
//! Lines go through `output`: a closed pipe ends quietly, a failed write is exit 2.

use std::process::ExitCode;

use clap::Args;

use super::load::source;
use super::output::{message, Output};
use super::EXIT_BAD_INPUT;
use crate::scenario;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files (or names of embedded scenarios).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let mut bad = false;
    let mut out = Output::stdout();
    for name in &args.files {
        let result =
            source(name).and_then(|(origin, text)| scenario::parse(&text, &origin, &[]).map_err(|e| e.to_string()));
        match result {
            Ok(file) => {
                let variants: Vec<&str> = file.runs.iter().skip(1).map(|r| r.variant.as_str()).collect();
                let line = format!(
                    "{name}: ok — scenario `{}`, {} run(s){}",
                    file.name,
                    file.runs.len(),
                    if variants.is_empty() { String::new() } else { format!(" (variants: {})", variants.join(", ")) }
                );
                if let Err(stop) = out.line(&line).and_then(|()| out.flush()) {
                    return stop.exit(if bad { EXIT_BAD_INPUT } else { 0 });
                }
            }
            Err(e) => {
                bad = true;
                message(e);
            }
        }
    }
    if bad {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
