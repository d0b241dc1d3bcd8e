//! The people behind the accounts — ground truth the exchange never sees (SPEC §3): each account's
//! owner (an agent, or a customer of the population with none), their email (a mailbox in the
//! world), their password and whether it is on a list leaked from another site, their
//! second-factor device, their role, and who else controls their mailbox.
//!
//! Built at set-up from the `identity` stream, in account order, so a run's people are a pure
//! function of (scenario, seed). From it come what the auditor needs to judge a message
//! ([`People::entitlements`]: who owns which address, who is staff) and what mail delivery
//! measures: the personal records that reached someone not entitled to them
//! ([`People::deliver`]), a breach metric.
//!
//! Invariants:
//! - an account's email is its own mailbox: `Email(user)`, registered once;
//! - a record counts as exposed once, however often it is seen;
//! - memory: O(accounts) — per account one [`Person`] and one exposed bit.

use crate::exchange::{Command, Device, Email, IdentityCommand, Mail, Password, Recipients, Records, Role, NOREPLY};
use crate::ledger::UserId;
use crate::rng::Stream;
use crate::scenario::IdentitySettings;

/// One account's owner, as the world knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub user: UserId,
    pub email: Email,
    pub password: Password,
    /// On a list leaked from another site: the same email and password work here.
    pub reused: bool,
    pub device: Option<Device>,
    pub role: Role,
    /// The agent acting for the account, if any.
    pub agent: Option<u32>,
    /// Ground truth: the account is an attacker's own.
    pub attacker: bool,
}

impl Person {
    /// The sign-up set-up sends for this person.
    pub fn register(&self) -> Command {
        IdentityCommand::Register { email: self.email, password: self.password, device: self.device }.into()
    }

    /// Whether their role entitles them to every customer's personal record.
    pub fn staff(&self) -> bool {
        self.role != Role::Customer
    }
}

/// Who owns which address and who is staff: what the auditor judges a message by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entitlements {
    /// By account id: (its email, whether it is staff). Index 0 is the house (no email).
    pub accounts: Vec<Option<(Email, bool)>>,
}

impl Entitlements {
    /// The account that owns `email`, and whether it is staff; `None` for an address of no
    /// account (the exchange's own, an outsider's).
    pub fn owner(&self, email: Email) -> Option<(UserId, bool)> {
        let user = usize::try_from(email.0).ok()?;
        match self.accounts.get(user)? {
            Some((e, staff)) if *e == email => Some((UserId(email.0), *staff)),
            _ => None,
        }
    }

    /// The accounts a header names that have an address, in order.
    pub fn named(&self, r: Recipients) -> impl Iterator<Item = (UserId, Email, bool)> + '_ {
        let (first, count) = match r {
            Recipients::Nobody => (0, 0),
            Recipients::One(e) => match self.owner(e) {
                Some((u, _)) => (u.0, 1),
                None => (0, 0),
            },
            Recipients::Accounts { first, count } => (first.0, count),
        };
        (first..first.saturating_add(count)).filter_map(move |u| {
            let (email, staff) = (*self.accounts.get(u as usize)?)?;
            Some((UserId(u), email, staff))
        })
    }
}

/// What delivering one message exposed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Recipients it reached.
    pub recipients: u64,
    /// Records newly exposed to someone not entitled to them.
    pub newly_exposed: u64,
}

/// Everyone, by account.
#[derive(Clone, Debug)]
pub struct People {
    settings: IdentitySettings,
    rng: Stream,
    /// By account id - 1 (the house has no person).
    people: Vec<Person>,
    entitlements: Entitlements,
    exposed: Vec<bool>,
    exposed_count: u64,
}

impl People {
    pub fn new(settings: IdentitySettings, seed: u64) -> People {
        People {
            settings,
            rng: Stream::new(seed, "identity"),
            people: Vec::new(),
            entitlements: Entitlements { accounts: vec![None] },
            exposed: vec![false],
            exposed_count: 0,
        }
    }

    /// Draws the person who will own account `user` (the next one), acted for by `agent`.
    pub fn person(&mut self, user: UserId, agent: Option<u32>, role: Role, attacker: bool) -> Person {
        let password = Password(self.rng.next_u64());
        let reused = self.rng.chance_ppm(self.settings.password_reuse_ppm);
        let enrolled = self.settings.policy.login_2fa || self.rng.chance_ppm(self.settings.twofa_ppm);
        Person {
            user,
            email: Email(user.0),
            password,
            reused,
            device: enrolled.then_some(Device(user.0)),
            role,
            agent,
            attacker,
        }
    }

    /// Records `person` as registered.
    pub fn add(&mut self, person: Person) {
        assert_eq!(person.user.0 as usize, self.people.len() + 1, "people are added in account order");
        self.entitlements.accounts.push(Some((person.email, person.staff())));
        self.exposed.push(false);
        self.people.push(person);
    }

    /// The person owning `user`'s account, if it has one.
    pub fn get(&self, user: UserId) -> Option<&Person> {
        self.people.get((user.0 as usize).checked_sub(1)?)
    }

    /// Everyone, in account order.
    pub fn all(&self) -> &[Person] {
        &self.people
    }

    /// Who owns which address and who is staff.
    pub fn entitlements(&self) -> Entitlements {
        self.entitlements.clone()
    }

    /// Personal records exposed so far to someone not entitled to them.
    pub fn exposed(&self) -> u64 {
        self.exposed_count
    }

    fn expose(&mut self, user: UserId) -> u64 {
        match self.exposed.get_mut(user.0 as usize) {
            Some(seen) if !*seen => {
                *seen = true;
                self.exposed_count += 1;
                1
            }
            _ => 0,
        }
    }

    /// Delivers `mail`: every recipient sees the `To:` addresses and the body's records, and a
    /// `Bcc:` recipient its own address. A record seen by a recipient who is neither its owner
    /// nor staff is exposed. `reader_is_attacker` tells, per recipient account, whether someone
    /// else (an attacker who took the mailbox over) reads it too; such a reader is entitled to
    /// nothing.
    pub fn deliver(&mut self, mail: &Mail, reader_is_attacker: impl Fn(UserId) -> bool) -> Delivery {
        let to: Vec<(UserId, Email, bool)> = self.entitlements.named(mail.to).collect();
        let bcc: Vec<(UserId, Email, bool)> = self.entitlements.named(mail.bcc).collect();
        let outside = matches!(mail.to, Recipients::One(e) if e != NOREPLY && self.entitlements.owner(e).is_none());
        let mut d = Delivery { recipients: (to.len() + bcc.len()) as u64 + u64::from(outside), newly_exposed: 0 };
        // Someone not entitled reads this mail: a customer (who may see only their own record),
        // or an attacker reading a taken-over mailbox (who may see nothing).
        let unentitled_reader = to.iter().chain(&bcc).any(|&(u, _, staff)| !staff || reader_is_attacker(u));
        if !unentitled_reader && !outside {
            return d;
        }
        // The To: addresses are shown to every recipient: with two or more, each sees others'.
        if to.len() >= 2 || (!to.is_empty() && (!bcc.is_empty() || outside)) {
            for &(u, _, _) in &to {
                d.newly_exposed += self.expose(u);
            }
        } else if let [(u, _, staff)] = to[..] {
            // One recipient sees only their own address, unless someone else reads their mailbox.
            if reader_is_attacker(u) && !staff {
                d.newly_exposed += self.expose(u);
            }
        }
        if mail.records == Records::Everyone {
            let readers_unentitled =
                outside || to.iter().chain(&bcc).any(|&(u, _, staff)| !staff || reader_is_attacker(u));
            if readers_unentitled {
                for u in 1..self.exposed.len() {
                    d.newly_exposed += self.expose(UserId(u as u32));
                }
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{IdentityPolicy, MailKind, MessageId};

    fn people(n: u32, staff: &[u32]) -> People {
        let settings =
            IdentitySettings { policy: IdentityPolicy::default(), twofa_ppm: 0, password_reuse_ppm: 0, population: 0 };
        let mut p = People::new(settings, 1);
        for u in 1..=n {
            let role = if staff.contains(&u) { Role::Support } else { Role::Customer };
            let person = p.person(UserId(u), None, role, false);
            p.add(person);
        }
        p
    }

    fn mail(to: Recipients, bcc: Recipients, records: Records) -> Mail {
        Mail { id: MessageId(1), kind: MailKind::Announcement, to, bcc, records }
    }

    #[test]
    fn a_batch_in_bcc_exposes_nothing_and_in_to_exposes_the_batch() {
        let mut p = people(10, &[]);
        let batch = Recipients::Accounts { first: UserId(1), count: 4 };
        let d = p.deliver(&mail(Recipients::One(NOREPLY), batch, Records::None), |_| false);
        assert_eq!(d, Delivery { recipients: 4, newly_exposed: 0 });
        let d = p.deliver(&mail(batch, Recipients::Nobody, Records::None), |_| false);
        assert_eq!(d, Delivery { recipients: 4, newly_exposed: 4 });
        let again = p.deliver(&mail(batch, Recipients::Nobody, Records::None), |_| false);
        assert_eq!(again.newly_exposed, 0, "a record is exposed once");
        assert_eq!(p.exposed(), 4);
    }

    #[test]
    fn an_export_to_staff_exposes_nothing_unless_an_attacker_reads_their_mailbox() {
        let mut p = people(5, &[5]);
        let export = mail(Recipients::One(Email(5)), Recipients::Nobody, Records::Everyone);
        assert_eq!(p.deliver(&export, |_| false).newly_exposed, 0);
        assert_eq!(p.deliver(&export, |u| u == UserId(5)).newly_exposed, 5, "every record, the operator's own too");
    }

    #[test]
    fn a_reset_link_to_a_taken_over_mailbox_exposes_its_owner() {
        let mut p = people(3, &[]);
        let reset = mail(Recipients::One(Email(2)), Recipients::Nobody, Records::None);
        assert_eq!(p.deliver(&reset, |_| false).newly_exposed, 0);
        assert_eq!(p.deliver(&reset, |u| u == UserId(2)).newly_exposed, 1);
    }
}
