//! `exsim schema`: prints the JSON Schema of scenario files (`scenario::schema`, generated from
//! the parser's field tables and `scenarios/README.md`), for editors and outside checks. The copy
//! committed as `scenarios/scenario.schema.json` is held equal to it by a test.
//!
//! Invariant: the output is the same bytes on every run and machine (no clock, no environment).

use std::process::ExitCode;

use clap::Args;

use super::output::Output;

#[derive(Debug, Args)]
pub struct SchemaArgs {}

pub fn run(_args: &SchemaArgs) -> ExitCode {
    let mut out = Output::stdout();
    match out.write(&crate::scenario::schema::text()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(0),
    }
}
