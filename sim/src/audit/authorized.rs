//! The authorization checker: `withdrawal_authorized` — every withdrawal, transfer out and "not
//! received" claim a client made was authorized as the identity policy in force required.
//!
//! It never asks the exchange who is behind a request. It shadows the identity state from what it
//! observes, with the rules of SPEC §2.6 written again:
//! - `Register` accepted: the email names the new account, with the second-factor device it
//!   registered (if any);
//! - `Login` accepted (`Ack::Session { session: s, .. }`; the account is the email's, as registered, not the one the answer names): session `s` belongs to the account of the email, bound
//!   to the IP the request came from (`obs.origin`); a user keeps at most [`SESSIONS_PER_USER`]
//!   sessions, so one more ends the oldest;
//! - a reset link mailed (`Intent::Mail` of kind `ResetLink(token)` to a registered address): the
//!   token is that account's, replacing an earlier one; `CompleteReset` accepted with it ends every
//!   session of the account;
//! - `CreateApiKey` accepted (`Ack::ApiKey(k)`) from an open session: key `k` belongs to the
//!   session's account, with the scopes and allowlist the command asked for.
//!
//! Roles are not shadowed: no role may move funds out of anyone's account but its own (SPEC §2.6:
//! an admin trades for the house, it does not withdraw for it), so the account check below is the
//! same whatever the role.
//!
//! Then every **accepted** `Withdraw`, `Transfer` and `ClaimNotReceived` from a client
//! (`Origin::Client`) must have presented: a credential that resolves to the account the command
//! names — an open session used from the IP it is bound to, or a key used from its allowlist
//! (when the policy enforces allowlists) that carries the withdraw scope, which the policy must
//! allow — and, when the policy asks `withdrawal_2fa`, a code of the account's registered device
//! shown in the current 30 s window or the one before. Whatever is missing is reported, naming the
//! command number. A request is judged when it is accepted, before anything is paid, so every
//! withdrawal paid later was judged. The exchange's own systems never withdraw (set-up only credits): a system
//! origin is not a client's withdrawal and is not judged here.
//!
//! Memory: bounded by the live identity state — one record per account, at most
//! [`SESSIONS_PER_USER`] open sessions and [`KEYS_PER_USER`] keys per account (a key past that is
//! not recorded, so using it is reported), one outstanding reset token per account.

use std::collections::{BTreeMap, VecDeque};

use super::checker::{Checker, Found};
use super::observation::Observation;
use crate::catalog::Invariant;
use crate::exchange::{
    Access, Ack, ApiKeyId, Code, Command, Credential, Device, Email, FundsCommand, IdentityCommand, IdentityPolicy,
    Intent, Ip, Mail, MailKind, Origin, Recipients, ResetToken, Scopes, SessionId,
};
use crate::ledger::UserId;

/// Sessions a user may have open at once (SPEC §2.6 as the exchange states it): a login past it
/// ends the user's oldest session.
const SESSIONS_PER_USER: usize = 4;

/// API keys a user may hold.
const KEYS_PER_USER: u32 = 8;

/// A second-factor code's time step (TOTP's 30 s).
const STEP_NS: u64 = 30_000_000_000;

/// What it knows of one registered account.
#[derive(Clone, Debug, Default)]
struct Account {
    device: Option<Device>,
    /// Open sessions, oldest first.
    sessions: VecDeque<SessionId>,
    keys: u32,
    reset: Option<ResetToken>,
}

#[derive(Clone, Copy, Debug)]
struct Session {
    user: UserId,
    ip: Ip,
}

#[derive(Clone, Copy, Debug)]
struct Key {
    user: UserId,
    scopes: Scopes,
    allow_ip: Option<Ip>,
}

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct Authorized {
    policy: IdentityPolicy,
    /// By account id; `None` for an account that never registered (the house, `OpenAccount`).
    accounts: Vec<Option<Account>>,
    by_email: BTreeMap<Email, UserId>,
    sessions: BTreeMap<SessionId, Session>,
    keys: BTreeMap<ApiKeyId, Key>,
    resets: BTreeMap<ResetToken, UserId>,
}

impl Authorized {
    /// A checker holding client withdrawals to `policy` (the exchange's `ExchangeConfig::identity`).
    pub(super) fn new(policy: &IdentityPolicy) -> Authorized {
        Authorized {
            policy: *policy,
            accounts: Vec::new(),
            by_email: BTreeMap::new(),
            sessions: BTreeMap::new(),
            keys: BTreeMap::new(),
            resets: BTreeMap::new(),
        }
    }

    fn account(&mut self, user: UserId) -> Option<&mut Account> {
        self.accounts.get_mut(user.0 as usize).and_then(Option::as_mut)
    }

    fn register(&mut self, user: UserId, email: Email, device: Option<Device>) {
        let i = user.0 as usize;
        if self.accounts.len() <= i {
            self.accounts.resize(i + 1, None);
        }
        self.accounts[i] = Some(Account { device, ..Account::default() });
        self.by_email.insert(email, user);
    }

    fn login(&mut self, email: Email, session: SessionId, origin: Origin) {
        // Only a client signs in, from an IP; a session of no known account or IP is not
        // recorded, so any use of it is reported.
        let (Some(&user), Origin::Client(access)) = (self.by_email.get(&email), origin) else { return };
        let Some(account) = self.account(user) else { return };
        account.sessions.push_back(session);
        let ended = if account.sessions.len() > SESSIONS_PER_USER { account.sessions.pop_front() } else { None };
        if let Some(oldest) = ended {
            self.sessions.remove(&oldest);
        }
        self.sessions.insert(session, Session { user, ip: access.ip });
    }

    fn create_key(&mut self, key: ApiKeyId, scopes: Scopes, allow_ip: Option<Ip>, origin: Origin) {
        // Managing an account takes a session of it (a key cannot create keys).
        let Origin::Client(Access { credential: Credential::Session(s), .. }) = origin else { return };
        let Some(&Session { user, .. }) = self.sessions.get(&s) else { return };
        let Some(account) = self.account(user) else { return };
        if account.keys >= KEYS_PER_USER {
            return;
        }
        account.keys += 1;
        self.keys.insert(key, Key { user, scopes, allow_ip });
    }

    /// A reset link mailed to a registered address: its token is that account's only one.
    fn reset_link(&mut self, mail: &Mail) {
        let (MailKind::ResetLink(token), Recipients::One(email)) = (mail.kind, mail.to) else { return };
        let Some(&user) = self.by_email.get(&email) else { return };
        let Some(account) = self.account(user) else { return };
        if let Some(old) = account.reset.replace(token) {
            self.resets.remove(&old);
        }
        self.resets.insert(token, user);
    }

    /// A completed reset ends every session of the token's account.
    fn complete_reset(&mut self, token: ResetToken) {
        let Some(user) = self.resets.remove(&token) else { return };
        let Some(account) = self.account(user) else { return };
        account.reset = None;
        for s in std::mem::take(&mut account.sessions) {
            self.sessions.remove(&s);
        }
    }

    /// Whether `code` is `device`'s and shown in the window of `now_ns` or the one before.
    fn fresh(code: Code, device: Device, now_ns: u64) -> Result<(), String> {
        let now = now_ns / STEP_NS;
        if code.device != device {
            Err(format!("the code is device {}'s, not the account's device {}", code.device.0, device.0))
        } else if code.window == now || code.window.checked_add(1) == Some(now) {
            Ok(())
        } else {
            Err(format!("the code of window {} is not valid in window {now}", code.window))
        }
    }

    /// Judges one accepted client request moving funds out of `account`.
    fn judge(&self, obs: &Observation<'_>, access: &Access, account: UserId, c: FundsCommand, found: &mut Found) {
        found.exercise(Invariant::WithdrawalAuthorized);
        let mut missing = Vec::new();
        let principal = match access.credential {
            Credential::Anonymous => {
                missing.push("it presented no credential".to_owned());
                None
            }
            Credential::Session(s) => match self.sessions.get(&s) {
                None => {
                    missing.push(format!(
                        "session {} is not open (never opened, or ended by a newer login or a password reset)",
                        s.0
                    ));
                    None
                }
                Some(session) => {
                    if session.ip != access.ip {
                        missing.push(format!(
                            "session {} is bound to IP {} but was used from IP {}",
                            s.0, session.ip.0, access.ip.0
                        ));
                    }
                    Some(session.user)
                }
            },
            Credential::ApiKey(k) => match self.keys.get(&k) {
                None => {
                    missing.push(format!("API key {} was never created from a signed-in account", k.0));
                    None
                }
                Some(key) => {
                    if self.policy.api_key_ip_allowlist && key.allow_ip != Some(access.ip) {
                        missing.push(format!(
                            "API key {} was used from IP {}, outside its allowlist {:?}",
                            k.0,
                            access.ip.0,
                            key.allow_ip.map(|ip| ip.0)
                        ));
                    }
                    if !key.scopes.withdraw {
                        missing.push(format!("API key {} lacks the withdraw scope ({:?})", k.0, key.scopes));
                    }
                    if !self.policy.api_key_withdraw_scope {
                        missing.push(format!("the policy allows no API key the withdraw scope (key {})", k.0));
                    }
                    Some(key.user)
                }
            },
        };
        if let Some(user) = principal.filter(|u| *u != account) {
            missing.push(format!("the credential is account {}'s, not account {}'s", user.0, account.0));
        }
        if self.policy.withdrawal_2fa {
            let device = self.accounts.get(account.0 as usize).and_then(|a| a.as_ref()).and_then(|a| a.device);
            match (access.code, device) {
                (None, _) => missing.push("it showed no second-factor code, which withdrawal_2fa requires".to_owned()),
                (Some(_), None) => missing.push(format!(
                    "account {} registered no second-factor device, so no code can be valid under withdrawal_2fa",
                    account.0
                )),
                (Some(code), Some(device)) => {
                    if let Err(why) = Authorized::fresh(code, device, obs.now_ns) {
                        missing.push(why);
                    }
                }
            }
        }
        if !missing.is_empty() {
            let what = match c {
                FundsCommand::Transfer { to, .. } => {
                    format!("a transfer from account {} to account {}", account.0, to.0)
                }
                FundsCommand::ClaimNotReceived { id, .. } => {
                    format!("a not-received claim on withdrawal {} of account {}", id.0, account.0)
                }
                _ => format!("a withdrawal from account {}", account.0),
            };
            found.push((
                Invariant::WithdrawalAuthorized,
                format!(
                    "command {}: {what} accepted from a client without authorization: {}",
                    obs.seq,
                    missing.join("; ")
                ),
            ));
        }
    }
}

impl Checker for Authorized {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::WithdrawalAuthorized]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        let Ok(ack) = *obs.result else { return };
        match (*obs.command, ack) {
            (Command::Identity(IdentityCommand::Register { email, device, .. }), Ack::Account(user)) => {
                self.register(user, email, device);
            }
            (Command::Identity(IdentityCommand::Login { email, .. }), Ack::Session { session: s, .. }) => {
                self.login(email, s, obs.origin);
            }
            (Command::Identity(IdentityCommand::CreateApiKey { scopes, allow_ip }), Ack::ApiKey(k)) => {
                self.create_key(k, scopes, allow_ip, obs.origin);
            }
            (Command::Identity(IdentityCommand::CompleteReset { token, .. }), _) => self.complete_reset(token),
            (Command::Funds(c), _) => {
                let account = match c {
                    FundsCommand::Withdraw { user, .. } | FundsCommand::ClaimNotReceived { user, .. } => Some(user),
                    FundsCommand::Transfer { from, .. } => Some(from),
                    _ => None,
                };
                if let (Some(account), Origin::Client(access)) = (account, &obs.origin) {
                    self.judge(obs, access, account, c, found);
                }
            }
            _ => {}
        }
        // The reset tokens the command mailed.
        for intent in obs.intents {
            if let Intent::Mail(mail) = intent {
                self.reset_link(mail);
            }
        }
    }

    fn retained(&self) -> usize {
        self.accounts.len() + self.sessions.len() + self.keys.len() + self.resets.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Auditor, Stamp};
    use crate::exchange::{
        CustodyPolicy, Exchange, ExchangeConfig, MessageId, Password, Records, Reject, WithdrawalId, CODE_WINDOW_NS,
    };
    use crate::fault::FaultSet;
    use crate::units::{Asset, AssetId};

    const BTC: AssetId = AssetId(0);
    const HOME: Ip = Ip(10);
    const AWAY: Ip = Ip(66);
    const T: u64 = 1_000_000_000_000;
    const U1: UserId = UserId(1);
    const U2: UserId = UserId(2);

    #[test]
    fn its_rules_are_the_specs() {
        // Written again here, not read from the exchange; pinned to the values SPEC §2.6 and the
        // exchange's credential code state.
        assert_eq!(STEP_NS, CODE_WINDOW_NS);
        assert_eq!((SESSIONS_PER_USER, KEYS_PER_USER), (4, 8));
    }

    fn config(policy: IdentityPolicy) -> ExchangeConfig {
        ExchangeConfig {
            assets: vec![Asset::new("BTC", 8).unwrap()],
            markets: vec![],
            quote_ttl_ns: 1_000,
            quote_spread_bps: 50,
            faults: FaultSet::NONE,
            custody: CustodyPolicy::default(),
            identity: policy,
            trading: Default::default(),
        }
    }

    /// The checker alone, fed hand-built observations (the state is an idle exchange: the checker
    /// never reads it).
    struct Feed {
        checker: Authorized,
        x: Exchange,
        seq: u64,
        exercised: u32,
    }

    impl Feed {
        fn new(policy: IdentityPolicy) -> Feed {
            let x = Exchange::new(&config(policy)).unwrap();
            let mut f = Feed { checker: Authorized::new(&policy), x, seq: 0, exercised: 0 };
            for n in [1, 2] {
                let register =
                    IdentityCommand::Register { email: Email(n), password: Password(7), device: Some(Device(n)) };
                assert!(f.feed(Origin::System, register.into(), Ok(Ack::Account(UserId(n))), &[]).is_empty());
            }
            f
        }

        /// Shows the checker `command` answered `result` with `intents`, at `T`; returns what it
        /// reported.
        fn feed(
            &mut self,
            origin: Origin,
            command: Command,
            result: Result<Ack, Reject>,
            intents: &[Intent],
        ) -> Vec<String> {
            self.seq += 1;
            let obs = Observation {
                seq: self.seq,
                now_ns: T,
                command: &command,
                result: &result,
                events: &[],
                entries: 0..0,
                intents,
                origin,
                state: &self.x,
            };
            let mut found = Found::default();
            self.checker.observe(&obs, &mut found);
            let (list, exercised) = found.take();
            self.exercised |= exercised;
            list.map(|(i, detail)| {
                assert_eq!(i, Invariant::WithdrawalAuthorized);
                detail
            })
            .collect()
        }

        /// User `n` signs in from `ip`: session `s`.
        fn login(&mut self, n: u32, ip: Ip, s: u32) -> SessionId {
            let login = IdentityCommand::Login { email: Email(n), password: Password(7) };
            let origin = Origin::Client(Access::anonymous(ip));
            assert!(self
                .feed(origin, login.into(), Ok(Ack::Session { session: SessionId(s), user: UserId(n) }), &[])
                .is_empty());
            SessionId(s)
        }

        /// A key `k` created from session `s` (of user 1, from HOME).
        fn key(&mut self, s: SessionId, k: u32, scopes: Scopes, allow_ip: Option<Ip>) -> ApiKeyId {
            let c = IdentityCommand::CreateApiKey { scopes, allow_ip };
            assert!(self
                .feed(Origin::Client(Access::session(s, HOME)), c.into(), Ok(Ack::ApiKey(ApiKeyId(k))), &[])
                .is_empty());
            ApiKeyId(k)
        }

        /// An accepted withdrawal from `account`, presenting `credential` from `ip` with `code`.
        fn withdraw(&mut self, account: UserId, credential: Credential, ip: Ip, code: Option<Code>) -> Vec<String> {
            let origin = Origin::Client(Access { credential, ip, code });
            self.feed(origin, Command::withdraw(account, BTC, 1), Ok(Ack::Withdrawal(WithdrawalId(1))), &[])
        }
    }

    fn code(device: u32) -> Option<Code> {
        Some(Code::at(Device(device), T))
    }

    fn one(reported: &[String], what: &str) {
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert!(reported[0].contains(what), "expected {what:?} in {:?}", reported[0]);
        assert!(reported[0].starts_with("command "), "{:?}", reported[0]);
    }

    #[test]
    fn a_session_from_its_ip_with_a_valid_code_passes() {
        let mut f = Feed::new(IdentityPolicy::default());
        let s = f.login(1, HOME, 1);
        assert!(f.withdraw(U1, Credential::Session(s), HOME, code(1)).is_empty());
        // The window before still counts (clock drift).
        let previous = Some(Code::at(Device(1), T - CODE_WINDOW_NS));
        assert!(f.withdraw(U1, Credential::Session(s), HOME, previous).is_empty());
        assert_ne!(f.exercised & (1 << Invariant::WithdrawalAuthorized as u32), 0);
        // A transfer and a claim are judged the same way.
        let transfer = Command::transfer(U1, U2, BTC, 1);
        let good = Origin::Client(Access::session(s, HOME).with_code(code(1)));
        assert!(f.feed(good, transfer, Ok(Ack::Posted), &[]).is_empty());
        let bad = Origin::Client(Access::session(s, HOME));
        one(&f.feed(bad, transfer, Ok(Ack::Posted), &[]), "a transfer from account 1 to account 2");
        let claim = FundsCommand::ClaimNotReceived { user: U1, id: WithdrawalId(3) }.into();
        one(&f.feed(bad, claim, Ok(Ack::Posted), &[]), "a not-received claim on withdrawal 3 of account 1");
    }

    #[test]
    fn each_missing_requirement_is_reported() {
        let mut f = Feed::new(IdentityPolicy::default());
        let s = f.login(1, HOME, 1);
        let session = Credential::Session(s);
        one(&f.withdraw(U1, session, AWAY, code(1)), "session 1 is bound to IP 10 but was used from IP 66");
        one(&f.withdraw(U1, session, HOME, None), "no second-factor code");
        let stale = Some(Code::at(Device(1), T - 2 * CODE_WINDOW_NS));
        one(&f.withdraw(U1, session, HOME, stale), "is not valid in window");
        let future = Some(Code::at(Device(1), T + CODE_WINDOW_NS));
        one(&f.withdraw(U1, session, HOME, future), "is not valid in window");
        one(&f.withdraw(U1, session, HOME, code(2)), "the code is device 2's, not the account's device 1");
        one(&f.withdraw(U2, session, HOME, code(2)), "the credential is account 1's, not account 2's");
        one(&f.withdraw(U1, Credential::Anonymous, HOME, code(1)), "no credential");
        one(&f.withdraw(U1, Credential::Session(SessionId(9)), HOME, code(1)), "session 9 is not open");
        one(&f.withdraw(U1, Credential::ApiKey(ApiKeyId(9)), HOME, code(1)), "API key 9 was never created");
        // Several at once are reported together, in one violation.
        let all = f.withdraw(U2, session, AWAY, None);
        one(&all, "bound to IP");
        assert!(all[0].contains("account 1's, not account 2's") && all[0].contains("no second-factor code"));
        // Refused requests and the exchange's own systems are not judged.
        let origin = Origin::Client(Access::anonymous(AWAY));
        assert!(f.feed(origin, Command::withdraw(U1, BTC, 1), Err(Reject::Unauthenticated), &[]).is_empty());
        assert!(f
            .feed(Origin::System, Command::withdraw(U1, BTC, 1), Ok(Ack::Withdrawal(WithdrawalId(2))), &[])
            .is_empty());
    }

    #[test]
    fn without_withdrawal_2fa_no_code_is_needed() {
        let mut f = Feed::new(IdentityPolicy { withdrawal_2fa: false, ..IdentityPolicy::default() });
        let s = f.login(1, HOME, 1);
        assert!(f.withdraw(U1, Credential::Session(s), HOME, None).is_empty());
        one(&f.withdraw(U1, Credential::Session(s), AWAY, None), "bound to IP");
    }

    #[test]
    fn a_reset_or_a_fifth_login_ends_a_session() {
        let mut f = Feed::new(IdentityPolicy::default());
        let s1 = f.login(1, HOME, 1);
        let s2 = f.login(2, HOME, 2);
        // A reset link for user 1 (token 5), replaced by a newer one (token 6): only the newer
        // one's completion ends user 1's sessions, and not user 2's.
        let link = |token: u32| {
            Intent::Mail(Mail {
                id: MessageId(1),
                kind: MailKind::ResetLink(ResetToken(token)),
                to: Recipients::One(Email(1)),
                bcc: Recipients::Nobody,
                records: Records::None,
            })
        };
        let request = IdentityCommand::RequestReset { email: Email(1) }.into();
        assert!(f.feed(Origin::System, request, Ok(Ack::Posted), &[link(5)]).is_empty());
        assert!(f.feed(Origin::System, request, Ok(Ack::Posted), &[link(6)]).is_empty());
        let complete =
            |token| IdentityCommand::CompleteReset { token: ResetToken(token), password: Password(8) }.into();
        let anonymous = Origin::Client(Access::anonymous(AWAY));
        assert!(f.feed(anonymous, complete(5), Ok(Ack::Posted), &[]).is_empty());
        assert!(f.withdraw(U1, Credential::Session(s1), HOME, code(1)).is_empty(), "token 5 was replaced");
        assert!(f.feed(anonymous, complete(6), Ok(Ack::Posted), &[]).is_empty());
        one(&f.withdraw(U1, Credential::Session(s1), HOME, code(1)), "session 1 is not open");
        assert!(f.withdraw(U2, Credential::Session(s2), HOME, code(2)).is_empty(), "user 2's session lives on");
        // Four logins later, user 2's first session has ended; its last four are open.
        let later: Vec<SessionId> = (3..7).map(|s| f.login(2, HOME, s)).collect();
        one(&f.withdraw(U2, Credential::Session(s2), HOME, code(2)), "session 2 is not open");
        for s in later {
            assert!(f.withdraw(U2, Credential::Session(s), HOME, code(2)).is_empty());
        }
        assert!(f.checker.sessions.len() <= 2 * SESSIONS_PER_USER);
    }

    #[test]
    fn an_api_key_needs_the_scope_the_policy_and_its_allowlist() {
        let lax = IdentityPolicy { api_key_withdraw_scope: true, ..IdentityPolicy::default() };
        let mut f = Feed::new(lax);
        let s = f.login(1, HOME, 1);
        let trade = f.key(s, 1, Scopes::TRADE, Some(HOME));
        let all = f.key(s, 2, Scopes::ALL, Some(HOME));
        assert!(f.withdraw(U1, Credential::ApiKey(all), HOME, code(1)).is_empty());
        one(&f.withdraw(U1, Credential::ApiKey(trade), HOME, code(1)), "API key 1 lacks the withdraw scope");
        one(&f.withdraw(U1, Credential::ApiKey(all), AWAY, code(1)), "outside its allowlist Some(10)");
        one(&f.withdraw(U2, Credential::ApiKey(all), HOME, code(2)), "account 1's, not account 2's");
        // Allowlists not enforced: any IP.
        let mut f = Feed::new(IdentityPolicy { api_key_ip_allowlist: false, ..lax });
        let s = f.login(1, HOME, 1);
        let all = f.key(s, 1, Scopes::ALL, None);
        assert!(f.withdraw(U1, Credential::ApiKey(all), AWAY, code(1)).is_empty());
        // The policy forbids the scope: a key carrying it must not withdraw.
        let mut f = Feed::new(IdentityPolicy::default());
        let s = f.login(1, HOME, 1);
        let all = f.key(s, 1, Scopes::ALL, Some(HOME));
        one(&f.withdraw(U1, Credential::ApiKey(all), HOME, code(1)), "the policy allows no API key the withdraw scope");
        // A key created by no open session, and the ninth key, are not the account's.
        let stray = IdentityCommand::CreateApiKey { scopes: Scopes::ALL, allow_ip: Some(HOME) }.into();
        let anonymous = Origin::Client(Access::anonymous(HOME));
        assert!(f.feed(anonymous, stray, Ok(Ack::ApiKey(ApiKeyId(50))), &[]).is_empty());
        one(&f.withdraw(U1, Credential::ApiKey(ApiKeyId(50)), HOME, code(1)), "API key 50 was never created");
        let mut f = Feed::new(lax);
        let s = f.login(1, HOME, 1);
        for k in 1..=9 {
            f.key(s, k, Scopes::ALL, Some(HOME));
        }
        assert!(f.withdraw(U1, Credential::ApiKey(ApiKeyId(8)), HOME, code(1)).is_empty());
        one(&f.withdraw(U1, Credential::ApiKey(ApiKeyId(9)), HOME, code(1)), "API key 9 was never created");
    }

    /// Accounts 1 and 2 registered with devices and funded, user 1 signed in from HOME, a trade
    /// key and (if the policy allows) a withdraw key for user 1; then withdrawals from user 1's
    /// account (and user 2's) under every credential × IP × code. Returns how many the exchange
    /// accepted and what the auditor, told `told`, counted.
    fn real_exchange(policy: IdentityPolicy, told: IdentityPolicy) -> (u64, u64, bool) {
        let config = config(policy);
        let mut x = Exchange::new(&config).unwrap();
        let mut auditor = Auditor::with_policies(&x, &config.custody, &told);
        let mut apply = |x: &mut Exchange, origin: Origin, c: Command| {
            let applied = x.apply_from(T, &c, origin);
            auditor.observe(&c, &applied);
            applied.result
        };
        for n in [1, 2] {
            let register =
                IdentityCommand::Register { email: Email(n), password: Password(7), device: Some(Device(n)) };
            apply(&mut x, Origin::System, register.into()).unwrap();
            apply(&mut x, Origin::System, Command::deposit(UserId(n), BTC, 1_000_000)).unwrap();
        }
        let login = IdentityCommand::Login { email: Email(1), password: Password(7) }.into();
        let Ok(Ack::Session { session: s, .. }) =
            apply(&mut x, Origin::Client(Access::anonymous(HOME).with_code(code(1))), login)
        else {
            panic!("signed in")
        };
        let mut credentials = vec![Credential::Anonymous, Credential::Session(s), Credential::Session(SessionId(99))];
        for scopes in [Scopes::TRADE, Scopes::ALL] {
            let c = IdentityCommand::CreateApiKey { scopes, allow_ip: Some(HOME) }.into();
            if let Ok(Ack::ApiKey(k)) = apply(&mut x, Origin::Client(Access::session(s, HOME)), c) {
                credentials.push(Credential::ApiKey(k));
            }
        }
        let mut accepted = 0;
        for credential in credentials {
            for ip in [HOME, AWAY] {
                for code in [None, code(1), code(2), Some(Code::at(Device(1), T - 2 * CODE_WINDOW_NS))] {
                    for account in [U1, U2] {
                        let origin = Origin::Client(Access { credential, ip, code });
                        accepted += u64::from(apply(&mut x, origin, Command::withdraw(account, BTC, 1)).is_ok());
                    }
                }
            }
        }
        auditor.finish(&x, Stamp { seq: x.seq(), time_ns: T });
        let f = auditor.findings();
        (accepted, f.count(Invariant::WithdrawalAuthorized), f.exercised(Invariant::WithdrawalAuthorized))
    }

    /// Against the real exchange, under every identity policy: whatever it accepts, the checker
    /// told the same policy finds authorized.
    #[test]
    fn the_real_exchange_is_authorized_under_every_policy() {
        let mut accepted = 0;
        for policy in IdentityPolicy::every_combination() {
            let (n, violations, exercised) = real_exchange(policy, policy);
            assert_eq!(violations, 0, "{policy:?}");
            assert!(n > 0 && exercised, "{policy:?}: a session with a valid code withdraws");
            accepted += n;
        }
        assert!(accepted > 64, "{accepted}");
    }

    /// Not vacuous: an exchange configured weaker than the auditor was told lets through
    /// withdrawals the told policy forbids, and the checker reports them.
    #[test]
    fn a_weaker_exchange_than_the_policy_told_is_caught() {
        let strict = IdentityPolicy::default();
        let weaker = [
            IdentityPolicy { withdrawal_2fa: false, ..strict },
            IdentityPolicy { api_key_withdraw_scope: true, ..strict },
            IdentityPolicy { api_key_withdraw_scope: true, api_key_ip_allowlist: false, ..strict },
        ];
        for policy in weaker {
            let (accepted, violations, _) = real_exchange(policy, strict);
            let (honest, none, _) = real_exchange(strict, strict);
            assert_eq!(none, 0);
            assert!(violations > 0, "{policy:?}: nothing reported");
            assert_eq!(violations, accepted - honest, "{policy:?}: exactly the extra withdrawals are reported");
        }
    }
}
