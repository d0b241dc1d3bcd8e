//! `exsim list scenarios|invariants|faults|policies|agents`: the catalogues, one line each,
//! through `output` (a closed pipe ends quietly, a failed write is exit 2).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::output::{Output, Stop};
use crate::agents::KINDS;
use crate::audit::Invariant;
use crate::fault::Fault;
use crate::scenario;

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

/// SPEC §6 policies: none is modelled yet; listed so users see what is planned.
const POLICIES: [&str; 14] = [
    "login_2fa",
    "withdrawal_2fa",
    "password_reset_requires_2fa",
    "api_keys_may_withdraw",
    "api_key_ip_allowlist",
    "address_whitelist_delay",
    "daily_withdrawal_limit",
    "aggregate_outflow_cap",
    "manual_review_threshold",
    "hot_wallet_share",
    "hot_wallet_multisig",
    "operator_mailbox_2fa",
    "circuit_breaker",
    "freeze_trading_on_alert",
];

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
                out.line(&format!("{p:<30} [not modelled yet: needs custody and identity]"))?;
            }
        }
        What::Agents => {
            for kind in KINDS {
                out.line(&format!("{:<18} {}", kind.about.name, kind.about.about))?;
            }
        }
    }
    Ok(())
}
