//! Account administration in custody: `WhitelistAddress` (a customer adds a withdrawal address),
//! `GrantPrivilege` (an operator marks an account privileged) and `AdminAdjust` (a direct balance
//! edit, which the correct exchange refuses: `not_permitted`).
//!
//! Invariants (every fault off): a whitelisted address is usable only `whitelist_delay_ns` after
//! it was first added (adding it again does not restart nor shorten the delay); a privilege
//! exempts from nothing; no balance changes but through a journal entry.
//!
//! Fault path `insider_balance_edit` (QuadrigaCX, the Mt. Gox bots): `AdminAdjust` changes the
//! user's available balance by `delta` through [`Ledger::edit_unjournaled`](crate::ledger::Ledger::edit_unjournaled),
//! with no journal entry: the ledger's balances no longer replay from its journal, which is what
//! `journal_complete` (and `conservation`, counted from the journal) are there to catch.

use crate::engine::MatchingEngine;
use crate::exchange::{Ack, Address, Exchange, Reject};
use crate::fault::Fault;
use crate::ledger::{Account, UserId};
use crate::units::{AssetId, Minor};

impl<E: MatchingEngine> Exchange<E> {
    pub(super) fn whitelist_address(&mut self, user: UserId, address: Address) -> Result<Ack, Reject> {
        self.check_user(user)?;
        self.custody.whitelist.entry((user, address)).or_insert(self.now_ns);
        Ok(Ack::Posted)
    }

    pub(super) fn grant_privilege(&mut self, user: UserId) -> Result<Ack, Reject> {
        self.check_user(user)?;
        self.custody.privileged.insert(user);
        Ok(Ack::Posted)
    }

    pub(super) fn admin_adjust(&mut self, user: UserId, asset: AssetId, delta: Minor) -> Result<Ack, Reject> {
        if !self.faults.has(Fault::InsiderBalanceEdit) {
            return Err(Reject::NotPermitted);
        }
        self.check_user(user)?;
        self.check_asset(asset)?;
        if delta == 0 {
            return Err(Reject::InvalidAmount);
        }
        self.ledger.edit_unjournaled(Account::Available(user), asset, delta).map_err(|_| Reject::Overflow)?;
        Ok(Ack::Posted)
    }
}
