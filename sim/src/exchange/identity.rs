//! The identity sub-machine: opening customer accounts (room for credentials and sessions).
//!
//! Invariant: users are numbered densely from 0 (the house) in the order their accounts open, and
//! opening an account opens every per-user ledger account of every asset at zero.

use super::{Ack, Exchange, IdentityCommand, Reject};
use crate::engine::MatchingEngine;

impl<E: MatchingEngine> Exchange<E> {
    /// The identity area's dispatch.
    pub(super) fn identity(&mut self, command: IdentityCommand) -> Result<Ack, Reject> {
        match command {
            IdentityCommand::OpenAccount => Ok(Ack::Account(self.ledger.open_user())),
        }
    }
}
