//! The identity sub-machine (SPEC §2.6–2.7): accounts and who may act on them — users with an
//! email, a password and an optional second-factor device, sessions bound to an IP, API keys with
//! scopes and an IP allowlist, roles — and the messages the exchange sends (resets, exports,
//! announcements: `mail.rs`).
//!
//! Files: `credential.rs` (what a request presents: [`Access`]), `access.rs` (what each command
//! needs and the authorization table), `policy.rs` ([`IdentityPolicy`]), `mail.rs` (messages).
//!
//! Every client request is authenticated ([`Exchange::authenticate`]: its credential is valid,
//! from an IP it may be used from, with the second factor the policy asks for the command) and
//! then authorized ([`access::authorize`]) before its command runs; a system input from a client
//! is refused whatever its credential. The exchange never knows who is an attacker.
//!
//! Invariants:
//! - users are numbered densely from 0 (the house) in the order their accounts open, and opening
//!   one opens every per-user ledger account of every asset at zero; an email names one user;
//! - `withdrawal_authorized`: a `Withdraw`, `Transfer` or `ClaimNotReceived` from a client runs
//!   only for the principal's own account, through a session or a key with the withdraw scope,
//!   and with a valid second-factor code of the account's device when the policy asks one
//!   (re-checked independently by `audit/authorized.rs`, from its own shadow of sessions and keys);
//! - a failed authentication or authorization changes nothing (it runs before the command);
//! - memory: at most [`MAX_SESSIONS_PER_USER`] sessions per user (a new login ends the oldest),
//!   at most [`MAX_KEYS_PER_USER`] API keys per user, one outstanding reset token per user.

pub mod access;
pub mod credential;
pub mod mail;
pub mod policy;

use std::collections::{BTreeMap, VecDeque};

use self::access::{authorize, need, Need, Permission, Role};
use self::credential::{
    Access, ApiKeyId, Credential, Device, Email, Ip, Password, Principal, ResetToken, Scopes, SessionId, Via,
};
use self::mail::{Mail, MailKind, MessageId, Recipients, Records, NOREPLY};
use self::policy::IdentityPolicy;
use super::{Ack, Command, Exchange, IdentityCommand, Intent, Reject};
use crate::engine::MatchingEngine;
use crate::fault::Fault;
use crate::ledger::UserId;

/// Sessions a user may have open at once; a new login ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 4;

/// API keys a user may hold; creating one more is refused.
pub const MAX_KEYS_PER_USER: usize = 8;

/// What the exchange knows of one account's identity.
#[derive(Clone, Debug)]
struct UserRecord {
    email: Option<Email>,
    password: Option<Password>,
    device: Option<Device>,
    role: Role,
    sessions: VecDeque<SessionId>,
    keys: u32,
    reset: Option<ResetToken>,
}

impl UserRecord {
    const fn bare() -> UserRecord {
        UserRecord {
            email: None,
            password: None,
            device: None,
            role: Role::Customer,
            sessions: VecDeque::new(),
            keys: 0,
            reset: None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct SessionRecord {
    user: UserId,
    ip: Ip,
}

#[derive(Clone, Copy, Debug)]
struct KeyRecord {
    user: UserId,
    scopes: Scopes,
    allow_ip: Option<Ip>,
}

/// The identity sub-machine's state.
#[derive(Clone, Debug)]
pub(super) struct Identity {
    policy: IdentityPolicy,
    /// Indexed by user id (the house's included: it has no email and never signs in).
    users: Vec<UserRecord>,
    by_email: BTreeMap<Email, UserId>,
    sessions: BTreeMap<SessionId, SessionRecord>,
    keys: BTreeMap<ApiKeyId, KeyRecord>,
    resets: BTreeMap<ResetToken, UserId>,
    next_session: u32,
    next_key: u32,
    next_reset: u32,
    next_message: u64,
}

impl Identity {
    pub(super) fn new(policy: IdentityPolicy) -> Identity {
        Identity {
            policy,
            users: vec![UserRecord::bare()],
            by_email: BTreeMap::new(),
            sessions: BTreeMap::new(),
            keys: BTreeMap::new(),
            resets: BTreeMap::new(),
            next_session: 1,
            next_key: 1,
            next_reset: 1,
            next_message: 1,
        }
    }
}

impl<E: MatchingEngine> Exchange<E> {
    /// Authenticates and authorizes a client's request for `command`: who is behind it (if
    /// anyone), refused if it may not run. Nothing changes either way.
    pub(super) fn admit(&self, access: &Access, command: &Command) -> Result<Option<Principal>, Reject> {
        let need = need(command);
        if need == Need::System {
            return Err(Reject::NotPermitted);
        }
        let principal = self.authenticate(access)?;
        let role = principal.map_or(Role::Customer, |p| self.identity.users[p.user.0 as usize].role);
        authorize(need, principal, role)?;
        if let (Need::Act { permission: Permission::Withdraw, .. }, Some(p)) = (need, principal) {
            if self.identity.policy.withdrawal_2fa {
                self.second_factor(p.user, access)?;
            }
        }
        Ok(principal)
    }

    /// Who presents `access`: nobody (anonymous), or the user of a valid session used from its IP
    /// or of a valid API key used from its allowlist (when the policy enforces one).
    fn authenticate(&self, access: &Access) -> Result<Option<Principal>, Reject> {
        match access.credential {
            Credential::Anonymous => Ok(None),
            Credential::Session(id) => {
                let s = self.identity.sessions.get(&id).ok_or(Reject::Unauthenticated)?;
                if s.ip != access.ip {
                    return Err(Reject::IpNotAllowed);
                }
                Ok(Some(Principal { user: s.user, via: Via::Session }))
            }
            Credential::ApiKey(id) => {
                let k = self.identity.keys.get(&id).ok_or(Reject::Unauthenticated)?;
                if self.identity.policy.api_key_ip_allowlist && k.allow_ip != Some(access.ip) {
                    return Err(Reject::IpNotAllowed);
                }
                Ok(Some(Principal { user: k.user, via: Via::ApiKey(k.scopes) }))
            }
        }
    }

    /// Whether `access` shows a valid code of `user`'s device (`second_factor` if not, or if the
    /// user has none to show).
    fn second_factor(&self, user: UserId, access: &Access) -> Result<(), Reject> {
        match (self.identity.users[user.0 as usize].device, access.code) {
            (Some(device), Some(code)) if code.valid(device, self.now_ns) => Ok(()),
            _ => Err(Reject::SecondFactor),
        }
    }

    /// The identity area's dispatch. `access` is the client's (`None` from the exchange's own
    /// systems); `principal` who [`Exchange::admit`] found behind it.
    pub(super) fn identity(
        &mut self,
        command: IdentityCommand,
        access: Option<&Access>,
        principal: Option<Principal>,
    ) -> Result<Ack, Reject> {
        match command {
            IdentityCommand::OpenAccount => Ok(Ack::Account(self.open_account(UserRecord::bare()))),
            IdentityCommand::Register { email, password, device } => {
                if email == NOREPLY || self.identity.by_email.contains_key(&email) {
                    return Err(Reject::EmailTaken);
                }
                let user = self.open_account(UserRecord {
                    email: Some(email),
                    password: Some(password),
                    device,
                    ..UserRecord::bare()
                });
                self.identity.by_email.insert(email, user);
                Ok(Ack::Account(user))
            }
            IdentityCommand::GrantRole { user, role } => {
                self.check_user(user)?;
                self.identity.users[user.0 as usize].role = role;
                Ok(Ack::Posted)
            }
            IdentityCommand::Login { email, password } => self.login(email, password, access),
            IdentityCommand::CreateApiKey { scopes, allow_ip } => {
                let user = principal.ok_or(Reject::Unauthenticated)?.user;
                self.create_api_key(user, scopes, allow_ip)
            }
            IdentityCommand::RequestReset { email } => {
                self.request_reset(email);
                Ok(Ack::Posted)
            }
            IdentityCommand::CompleteReset { token, password } => self.complete_reset(token, password, access),
            IdentityCommand::Export => {
                let user = principal.ok_or(Reject::Unauthenticated)?.user;
                let to = self.identity.users[user.0 as usize].email.ok_or(Reject::NotPermitted)?;
                let id = self.message_id();
                self.intents.push(Intent::Mail(Mail {
                    id,
                    kind: MailKind::Export,
                    to: Recipients::One(to),
                    bcc: Recipients::Nobody,
                    records: Records::Everyone,
                }));
                Ok(Ack::Posted)
            }
            IdentityCommand::Announce { batch, batches } => self.announce(batch, batches),
        }
    }

    fn open_account(&mut self, record: UserRecord) -> UserId {
        let user = self.ledger.open_user();
        assert_eq!(user.0 as usize, self.identity.users.len());
        self.identity.users.push(record);
        user
    }

    fn message_id(&mut self) -> MessageId {
        let id = MessageId(self.identity.next_message);
        self.identity.next_message += 1;
        id
    }

    fn login(&mut self, email: Email, password: Password, access: Option<&Access>) -> Result<Ack, Reject> {
        // The exchange's own systems do not sign in: a session is a client's.
        let access = access.ok_or(Reject::NotPermitted)?;
        let user = *self.identity.by_email.get(&email).ok_or(Reject::BadCredentials)?;
        let record = &self.identity.users[user.0 as usize];
        if record.password != Some(password) {
            return Err(Reject::BadCredentials);
        }
        if self.identity.policy.login_2fa || record.device.is_some() {
            self.second_factor(user, access)?;
        }
        let id = SessionId(self.identity.next_session);
        self.identity.next_session += 1;
        self.identity.sessions.insert(id, SessionRecord { user, ip: access.ip });
        let sessions = &mut self.identity.users[user.0 as usize].sessions;
        sessions.push_back(id);
        if sessions.len() > MAX_SESSIONS_PER_USER {
            if let Some(oldest) = sessions.pop_front() {
                self.identity.sessions.remove(&oldest);
            }
        }
        Ok(Ack::Session { session: id, user })
    }

    fn create_api_key(&mut self, user: UserId, scopes: Scopes, allow_ip: Option<Ip>) -> Result<Ack, Reject> {
        let policy = self.identity.policy;
        if scopes.withdraw && !policy.api_key_withdraw_scope {
            return Err(Reject::NotPermitted);
        }
        if policy.api_key_ip_allowlist && allow_ip.is_none() {
            return Err(Reject::AllowlistRequired);
        }
        let record = &mut self.identity.users[user.0 as usize];
        if record.keys as usize >= MAX_KEYS_PER_USER {
            return Err(Reject::TooMany);
        }
        record.keys += 1;
        let id = ApiKeyId(self.identity.next_key);
        self.identity.next_key += 1;
        self.identity.keys.insert(id, KeyRecord { user, scopes, allow_ip });
        Ok(Ack::ApiKey(id))
    }

    /// Mails a reset link to `email`'s owner, replacing any earlier one. An unknown email gets
    /// the same answer and no mail (the answer reveals nothing).
    fn request_reset(&mut self, email: Email) {
        let Some(&user) = self.identity.by_email.get(&email) else {
            return;
        };
        let token = ResetToken(self.identity.next_reset);
        self.identity.next_reset += 1;
        if let Some(old) = self.identity.users[user.0 as usize].reset.replace(token) {
            self.identity.resets.remove(&old);
        }
        self.identity.resets.insert(token, user);
        let id = self.message_id();
        self.intents.push(Intent::Mail(Mail {
            id,
            kind: MailKind::ResetLink(token),
            to: Recipients::One(email),
            bcc: Recipients::Nobody,
            records: Records::None,
        }));
    }

    /// Sets a new password with a mailed token (and the second factor, when the policy asks one
    /// and the user has a device); every session of the user ends.
    fn complete_reset(
        &mut self,
        token: ResetToken,
        password: Password,
        access: Option<&Access>,
    ) -> Result<Ack, Reject> {
        let user = *self.identity.resets.get(&token).ok_or(Reject::BadCredentials)?;
        let has_device = self.identity.users[user.0 as usize].device.is_some();
        if self.identity.policy.reset_2fa && has_device {
            match access {
                Some(access) => self.second_factor(user, access)?,
                None => return Err(Reject::SecondFactor),
            }
        }
        self.identity.resets.remove(&token);
        let record = &mut self.identity.users[user.0 as usize];
        record.reset = None;
        record.password = Some(password);
        for s in std::mem::take(&mut record.sessions) {
            self.identity.sessions.remove(&s);
        }
        Ok(Ack::Posted)
    }

    /// An announcement to every registered account, in batches of `batch` accounts: each batch
    /// is one mail, `To:` the exchange's own address with the batch in `Bcc:` — or, under
    /// `bulk_mail_to_field`, the batch in `To:`. At most `batches` batches are sent (the sender
    /// stopped): the accounts after them get nothing.
    fn announce(&mut self, batch: u32, batches: u32) -> Result<Ack, Reject> {
        if batch == 0 || batches == 0 {
            return Err(Reject::InvalidQuantity);
        }
        let users = u32::try_from(self.identity.users.len()).expect("user ids are u32");
        let to_field = self.faults.has(Fault::BulkMailToField);
        let mut first = 1; // the house has no address
        let mut sent = 0u32;
        while first < users && sent < batches {
            sent += 1;
            let count = batch.min(users - first);
            let accounts = Recipients::Accounts { first: UserId(first), count };
            let id = self.message_id();
            let (to, bcc) =
                if to_field { (accounts, Recipients::Nobody) } else { (Recipients::One(NOREPLY), accounts) };
            self.intents.push(Intent::Mail(Mail { id, kind: MailKind::Announcement, to, bcc, records: Records::None }));
            first += count;
        }
        Ok(Ack::Posted)
    }

    /// The identity policy in force.
    pub fn identity_policy(&self) -> &IdentityPolicy {
        &self.identity.policy
    }

    /// The email `user` registered, if any.
    pub fn email_of(&self, user: UserId) -> Option<Email> {
        self.identity.users.get(user.0 as usize).and_then(|u| u.email)
    }

    /// The role of `user` (customer for an unknown one).
    pub fn role_of(&self, user: UserId) -> Role {
        self.identity.users.get(user.0 as usize).map_or(Role::Customer, |u| u.role)
    }

    /// The user a session belongs to, while it is open.
    pub fn session_user(&self, session: SessionId) -> Option<UserId> {
        self.identity.sessions.get(&session).map(|s| s.user)
    }

    /// The user an API key belongs to.
    pub fn key_user(&self, key: ApiKeyId) -> Option<UserId> {
        self.identity.keys.get(&key).map(|k| k.user)
    }
}

#[cfg(test)]
mod tests;
