//! `exsim list scenarios|invariants|faults|policies|agents`: the catalogues, one line each,
//! through `output` (a closed pipe ends quietly, a failed write is exit 2).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::output::{Output, Stop};
use crate::agents::KINDS;
use crate::audit::Invariant;
use crate::fault::Fault;
use crate::scenario;
use crate::scenario::policies::{NOT_MODELLED, POLICIES};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which catalogue.
    what: What,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum What {
    Scenarios,
    Invariants,
    Faults,
    Policies,
    Agents,
}

pub fn run(args: &ListArgs) -> ExitCode {
    let mut out = Output::stdout();
    match write(args.what, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(0),
    }
}

fn write(what: What, out: &mut Output) -> Result<(), Stop> {
    match what {
        What::Scenarios => {
            for (name, text) in scenario::EMBEDDED {
                let about = scenario::parse(text, name, &[])
                    .map(|f| f.runs[0].description.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_else(|e| format!("(does not parse: {e})"));
                out.line(&format!("{name:<16} (embedded) {about}"))?;
            }
        }
        What::Invariants => {
            for i in Invariant::ALL {
                let note = if i.modelled() { "" } else { "  [not modelled yet: reported not_exercised]" };
                out.line(&format!("{:<26} {}{note}", i.id(), i.holds_when()))?;
            }
        }
        What::Faults => {
            for f in Fault::ALL {
                let caught: Vec<&str> = f.caught_by().iter().map(|i| i.id()).collect();
                let note = if f.modelled() { "" } else { "  [not modelled yet]" };
                out.line(&format!(
                    "{:<26} {} (after {}; caught by {}){note}",
                    f.name(),
                    f.does(),
                    f.after(),
                    caught.join(", ")
                ))?;
            }
        }
        What::Policies => {
            for p in POLICIES {
                let note = if p.modelled { String::new() } else { format!("  [{NOT_MODELLED}]") };
                out.line(&format!("{:<26} {:<34} default {:<6} {}{note}", p.name, p.field, p.default, p.about))?;
            }
        }
        What::Agents => {
            // One column for the names, as wide as the longest.
            let width = KINDS.iter().map(|k| k.about.name.len()).max().unwrap_or(0);
            for kind in KINDS {
                let note = if kind.about.attacker { "  [attacker]" } else { "" };
                out.line(&format!("{:<width$}  {}{note}", kind.about.name, kind.about.about))?;
            }
        }
    }
    Ok(())
}
