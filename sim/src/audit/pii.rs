//! The messages checker: `no_pii_disclosure` — no message or export reached anyone not entitled
//! to the personal data in it.
//!
//! Entitlement is judged from the accounts' own registrations, not from the exchange's mailer: it
//! learns who owns which address from every `Register` the exchange accepted, and who is staff
//! from every `GrantRole` (a customer is entitled to their own record only; staff to every
//! customer's). Then, for every [`Intent::Mail`], it resolves the headers itself and checks:
//! - the `To:` header is shown to every recipient: naming two or more accounts shows each
//!   recipient the others' addresses, a disclosure unless every recipient is staff;
//! - a body with every customer's record (an export) may reach staff only.
//!
//! Memory: one entry per account (its address's owner and whether it is staff).

use std::collections::BTreeMap;

use super::checker::{Checker, Found};
use super::observation::Observation;
use crate::catalog::Invariant;
use crate::exchange::{Ack, Command, Email, IdentityCommand, Intent, Mail, Recipients, Records, Role};
use crate::ledger::UserId;

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct Pii {
    /// By account id: whether the account registered an address, and whether it is staff.
    accounts: Vec<Option<bool>>,
    owners: BTreeMap<Email, UserId>,
}

impl Pii {
    /// The registered accounts a header names, each with whether it is staff; `outside` counts
    /// addresses of no account (an outsider reading the mail).
    fn named(&self, r: Recipients, out: &mut Vec<bool>, outside: &mut u32) {
        match r {
            Recipients::Nobody => {}
            Recipients::One(e) => match self.owners.get(&e) {
                Some(u) => out.extend(self.accounts.get(u.0 as usize).copied().flatten()),
                None if e == crate::exchange::NOREPLY => {}
                None => *outside += 1,
            },
            Recipients::Accounts { first, count } => {
                let end = (first.0 as usize).saturating_add(count as usize).min(self.accounts.len());
                for staff in self.accounts.get(first.0 as usize..end).into_iter().flatten() {
                    out.extend(*staff);
                }
            }
        }
    }

    fn check(&self, seq: u64, mail: &Mail, found: &mut Found) {
        found.exercise(Invariant::NoPiiDisclosure);
        let (mut to, mut bcc, mut outside) = (Vec::new(), Vec::new(), 0);
        self.named(mail.to, &mut to, &mut outside);
        self.named(mail.bcc, &mut bcc, &mut outside);
        let customers = to.iter().chain(&bcc).filter(|staff| !**staff).count() + outside as usize;
        if to.len() >= 2 && customers > 0 {
            found.push((
                Invariant::NoPiiDisclosure,
                format!(
                    "command {seq}: message {} shows {} customers' addresses in To: to {customers} recipients \
                     not entitled to them",
                    mail.id.0,
                    to.len()
                ),
            ));
        }
        if mail.records == Records::Everyone && customers > 0 {
            found.push((
                Invariant::NoPiiDisclosure,
                format!(
                    "command {seq}: message {} carries every customer's record to {customers} recipients who are not staff",
                    mail.id.0
                ),
            ));
        }
    }
}

impl Checker for Pii {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::NoPiiDisclosure]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        match (obs.command, obs.result) {
            (Command::Identity(IdentityCommand::Register { email, .. }), Ok(Ack::Account(user))) => {
                let i = user.0 as usize;
                if self.accounts.len() <= i {
                    self.accounts.resize(i + 1, None);
                }
                self.accounts[i] = Some(false);
                self.owners.insert(*email, *user);
            }
            (Command::Identity(IdentityCommand::GrantRole { user, role }), Ok(_)) => {
                if let Some(Some(staff)) = self.accounts.get_mut(user.0 as usize) {
                    *staff = *role != Role::Customer;
                }
            }
            _ => {}
        }
        for intent in obs.intents {
            if let Intent::Mail(mail) = intent {
                self.check(obs.seq, mail, found);
            }
        }
    }

    fn retained(&self) -> usize {
        self.accounts.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
