//! Faults as users name them: `--fault NAME` and a scenario's `faults` parsed into the SPEC §5
//! catalogue, with a "did you mean" for a misspelt name and an error of its own for a fault that
//! is catalogued but not modelled yet.
//!
//! The catalogue itself ([`Fault`], [`FaultSet`]) lives in [`crate::catalog`], a leaf module; it is
//! re-exported here so `exsim::fault::Fault` keeps working. This file depends only on the catalogue
//! and on [`crate::suggest`], never on the auditor.

use std::str::FromStr;

pub use crate::catalog::{Fault, FaultArea, FaultSet};

/// Why a fault name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("unknown fault `{name}`{hint}; `exsim list faults` lists them")]
    Unknown { name: String, hint: String },
    #[error("fault `{0}` is catalogued but not modelled yet; modelled faults: {list}", list = modelled_list())]
    NotModelled(Fault),
}

fn modelled_list() -> String {
    Fault::ALL.iter().filter(|f| f.modelled()).map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

impl FromStr for Fault {
    type Err = FaultError;

    /// Parses a modelled fault's name; a catalogued but unmodelled one is an error of its own.
    fn from_str(name: &str) -> Result<Fault, FaultError> {
        match Fault::from_name(name) {
            Some(f) if f.modelled() => Ok(f),
            Some(f) => Err(FaultError::NotModelled(f)),
            None => {
                let hint = crate::suggest::did_you_mean(name, Fault::ALL.iter().map(|f| f.name()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(FaultError::Unknown { name: name.to_owned(), hint })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_get_a_hint() {
        // Every catalogued fault is modelled, so every name parses.
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(f));
        }
        let err = "ioc_rest".parse::<Fault>().unwrap_err();
        assert!(err.to_string().contains("did you mean `ioc_rests`"), "{err}");
        let err = "bulk_mail_to_fields".parse::<Fault>().unwrap_err();
        assert!(err.to_string().contains("did you mean `bulk_mail_to_field`"), "{err}");
        assert_eq!("bulk_mail_to_field".parse::<Fault>(), Ok(Fault::BulkMailToField), "modelled since identity");
    }
}
