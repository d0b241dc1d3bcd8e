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
//! - a record counts as exposed once, however often it is seen (in mail, or in an outside
//!   service's export: [`People::expose_customers`]);
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
    /// By account id: an attacker reads its mailbox.
    mailbox_taken: Vec<bool>,
    /// By account id: an attacker signed into it or used a key of it.
    taken_over: Vec<bool>,
    taken_over_count: u64,
    /// Who falls for phishing: its own stream, so attacks never shift other draws.
    phishing: Stream,
    /// Accounts newly exposed by the last delivery (scratch).
    newly: Vec<UserId>,
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
            mailbox_taken: vec![false],
            taken_over: vec![false],
            taken_over_count: 0,
            phishing: Stream::new(seed, "identity/phishing"),
            newly: Vec::new(),
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
        self.mailbox_taken.push(false);
        self.taken_over.push(false);
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

    /// Personal records exposed so far to someone not entitled to them.
    pub fn exposed(&self) -> u64 {
        self.exposed_count
    }

    fn expose(&mut self, user: UserId) -> u64 {
        match self.exposed.get_mut(user.0 as usize) {
            Some(seen) if !*seen => {
                *seen = true;
                self.exposed_count += 1;
                self.newly.push(user);
                1
            }
            _ => 0,
        }
    }

    /// The accounts the last [`People::deliver`] newly exposed.
    pub fn newly_exposed(&self) -> &[UserId] {
        &self.newly
    }

    /// The person whose address is `email`.
    pub fn by_email(&self, email: Email) -> Option<&Person> {
        self.get(UserId(email.0)).filter(|p| p.email == email)
    }

    /// The list leaked from another site (what a credential stuffer starts from): every
    /// customer's address with the password they used there — the one they use here if they
    /// reused it, another otherwise (drawn from the `identity` stream, in account order).
    pub fn leak(&mut self) -> crate::agents::Intel {
        let mut intel = crate::agents::Intel::default();
        for i in 0..self.people.len() {
            let p = self.people[i];
            if p.staff() || p.attacker {
                continue;
            }
            let password = if p.reused { p.password } else { Password(self.rng.next_u64()) };
            intel.leaked.push((p.email, password));
        }
        intel
    }

    /// An attacker exported an outside service's customer data: every customer's record (each
    /// account of role customer that is not an attacker's) is exposed. Returns how many were
    /// newly exposed; [`People::newly_exposed`] lists them.
    pub fn expose_customers(&mut self) -> u64 {
        self.newly.clear();
        let mut n = 0;
        for i in 0..self.people.len() {
            let p = self.people[i];
            if !p.staff() && !p.attacker {
                n += self.expose(p.user);
            }
        }
        n
    }

    /// Ground truth set by the scenario: `user`'s password is on the leaked list and is their
    /// mailbox's too (an operator's reused password). Draws nothing.
    pub fn reuse_password(&mut self, user: UserId) {
        if let Some(p) = (user.0 as usize).checked_sub(1).and_then(|i| self.people.get_mut(i)) {
            p.reused = true;
        }
    }

    /// Whether an attacker reads `user`'s mailbox.
    pub fn mailbox_taken(&self, user: UserId) -> bool {
        self.mailbox_taken.get(user.0 as usize).copied().unwrap_or(false)
    }

    /// An attacker tries `password` on the mailbox `email`: it opens if its owner reused that
    /// password for their mail and the mailbox asks no second factor (an operator's does when
    /// `operator_mailbox_2fa` is on). Returns whether the attacker now reads it.
    pub fn take_mailbox(&mut self, email: Email, password: Password) -> bool {
        let Some(p) = self.by_email(email).copied() else { return false };
        let guarded = p.staff() && self.settings.policy.operator_mailbox_2fa;
        if !p.reused || p.password != password || guarded {
            return false;
        }
        self.mailbox_taken[p.user.0 as usize] = true;
        true
    }

    /// A phishing mail reaches `email`'s owner: whether they fall for it (probability
    /// `fall_ppm`, from the `identity/phishing` stream), and if so what they type.
    pub fn phish(
        &mut self,
        email: Email,
        fall_ppm: u32,
        realtime: bool,
        now_ns: u64,
    ) -> Option<crate::agents::Phished> {
        let p = self.by_email(email).copied()?;
        if p.attacker || !self.phishing.chance_ppm(fall_ppm) {
            return None;
        }
        let code = if realtime { p.device.map(|d| crate::exchange::Code::at(d, now_ns)) } else { None };
        Some(crate::agents::Phished { email, password: p.password, code })
    }

    /// Marks `user`'s account taken over by an attacker; whether this is the first time. An
    /// attacker's own accounts are never counted.
    pub fn take_over(&mut self, user: UserId) -> bool {
        let own = self.get(user).is_none_or(|p| p.attacker);
        match self.taken_over.get_mut(user.0 as usize) {
            Some(taken) if !*taken && !own => {
                *taken = true;
                self.taken_over_count += 1;
                true
            }
            _ => false,
        }
    }

    /// Accounts taken over so far.
    pub fn taken_over(&self) -> u64 {
        self.taken_over_count
    }

    /// Delivers `mail`: every recipient sees the `To:` addresses and the body's records, and a
    /// `Bcc:` recipient its own address. A record seen by a recipient who is neither its owner
    /// nor staff is exposed; so is one seen by an attacker who took a recipient's mailbox over
    /// (entitled to nothing), and a body's records reaching an attacker's own account, staff or
    /// not (a compromised operator's account).
    pub fn deliver(&mut self, mail: &Mail) -> Delivery {
        self.newly.clear();
        let taken = std::mem::take(&mut self.mailbox_taken);
        let reader_is_attacker = |u: UserId| taken.get(u.0 as usize).copied().unwrap_or(false);
        let to: Vec<(UserId, Email, bool)> = self.entitlements.named(mail.to).collect();
        let bcc: Vec<(UserId, Email, bool)> = self.entitlements.named(mail.bcc).collect();
        let outside = matches!(mail.to, Recipients::One(e) if e != NOREPLY && self.entitlements.owner(e).is_none());
        let mut d = Delivery { recipients: (to.len() + bcc.len()) as u64 + u64::from(outside), newly_exposed: 0 };
        // Someone not entitled reads this mail: a customer (who may see only their own record),
        // or an attacker reading a taken-over mailbox (who may see nothing).
        let attacker_reads_records = mail.records == Records::Everyone
            && to.iter().chain(&bcc).any(|&(u, _, _)| self.get(u).is_some_and(|p| p.attacker));
        let unentitled_reader =
            attacker_reads_records || to.iter().chain(&bcc).any(|&(u, _, staff)| !staff || reader_is_attacker(u));
        if !unentitled_reader && !outside {
            self.mailbox_taken = taken;
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
        // Past the early return someone unentitled reads the mail (an attacker's own account
        // included, whatever role the exchange gave it: `admin_takeover`), so a body with every
        // record exposes every record.
        if mail.records == Records::Everyone {
            for u in 1..self.exposed.len() {
                d.newly_exposed += self.expose(UserId(u as u32));
            }
        }
        self.mailbox_taken = taken;
        d
    }

    /// Hands `user`'s mailbox to an attacker (tests: bypassing the password and policy checks).
    #[cfg(test)]
    fn give_mailbox(&mut self, user: UserId) {
        self.mailbox_taken[user.0 as usize] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{MailKind, MessageId};

    fn people(n: u32, staff: &[u32]) -> People {
        let mut p = People::new(IdentitySettings::default(), 1);
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
        let d = p.deliver(&mail(Recipients::One(NOREPLY), batch, Records::None));
        assert_eq!(d, Delivery { recipients: 4, newly_exposed: 0 });
        let d = p.deliver(&mail(batch, Recipients::Nobody, Records::None));
        assert_eq!(d, Delivery { recipients: 4, newly_exposed: 4 });
        let again = p.deliver(&mail(batch, Recipients::Nobody, Records::None));
        assert_eq!(again.newly_exposed, 0, "a record is exposed once");
        assert_eq!(p.exposed(), 4);
    }

    #[test]
    fn an_export_to_staff_exposes_nothing_unless_an_attacker_reads_their_mailbox() {
        let mut p = people(5, &[5]);
        let export = mail(Recipients::One(Email(5)), Recipients::Nobody, Records::Everyone);
        assert_eq!(p.deliver(&export).newly_exposed, 0);
        p.give_mailbox(UserId(5));
        assert_eq!(p.deliver(&export).newly_exposed, 5, "every record, the operator's own too");
    }

    #[test]
    fn an_outside_export_exposes_every_customer_once_and_no_operator() {
        let mut p = people(6, &[2]);
        assert_eq!(p.expose_customers(), 5, "every customer, not the operator");
        assert_eq!(p.newly_exposed(), &[UserId(1), UserId(3), UserId(4), UserId(5), UserId(6)]);
        assert_eq!(p.expose_customers(), 0, "each record once");
        assert_eq!(p.exposed(), 5);
    }

    #[test]
    fn an_operators_reused_password_opens_their_mailbox_unless_it_asks_a_second_factor() {
        for guarded in [false, true] {
            let mut p = people(3, &[2]);
            p.settings.policy.operator_mailbox_2fa = guarded;
            let password = p.get(UserId(2)).unwrap().password;
            assert!(!p.take_mailbox(Email(2), password), "not reused yet");
            p.reuse_password(UserId(2));
            assert_eq!(p.take_mailbox(Email(2), password), !guarded);
            assert_eq!(p.mailbox_taken(UserId(2)), !guarded);
        }
    }

    #[test]
    fn an_export_to_an_attackers_admin_account_exposes_every_record() {
        let mut p = People::new(IdentitySettings::default(), 1);
        for u in 1..=4 {
            let person = p.person(UserId(u), None, if u == 4 { Role::Admin } else { Role::Customer }, u == 4);
            p.add(person);
        }
        let own = mail(Recipients::One(Email(4)), Recipients::Nobody, Records::None);
        assert_eq!(p.deliver(&own).newly_exposed, 0, "its own mail without records exposes nothing");
        let export = mail(Recipients::One(Email(4)), Recipients::Nobody, Records::Everyone);
        assert_eq!(p.deliver(&export).newly_exposed, 4, "every record, its own too");
    }

    #[test]
    fn a_reset_link_to_a_taken_over_mailbox_exposes_its_owner() {
        let mut p = people(3, &[]);
        let reset = mail(Recipients::One(Email(2)), Recipients::Nobody, Records::None);
        assert_eq!(p.deliver(&reset).newly_exposed, 0);
        p.give_mailbox(UserId(2));
        assert_eq!(p.deliver(&reset).newly_exposed, 1);
    }
}
