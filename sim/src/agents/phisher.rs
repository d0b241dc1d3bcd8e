//! Phisher (BitMEX 2019, the phishing after Coinigy 2016; SPEC §3 attackers): mails a fake login
//! page to addresses it knows, signs in with what its marks type, and withdraws their money.
//!
//! Model: at every wake (its `start`, then every `interval`) it sends one phishing mail
//! ([`WorldAction::Phish`]) to the next address of its `target` list — the addresses seen in the
//! open ([`Intel::exposed`](super::Intel), e.g. a `To:` header naming a batch of customers) or the
//! leaked list's — until it has sent `attempts` or has no address left (it waits for more). The
//! world decides who falls for it (probability `fall`, from the `identity/phishing` stream); a mark
//! types their password, and with `realtime` the code their device shows (a live relay: the code
//! is valid for its 30 s window and the next). At each wake it signs in (`Login`, presenting the
//! phished code if any) as every mark phished since its last wake: a mark with a second factor and
//! no phished code is refused. From each account it gets into it withdraws the whole available
//! `asset` to its own outside address, once per `retry` (a refusal is tried again after a 24th of
//! `retry`), presenting no code.
//!
//! Why no code on the withdrawal: the phished code is spent on the login, and a real TOTP server
//! refuses a code used once. exsim's exchange does not track used codes (it checks a code's device
//! and window only), so the phisher itself never replays one; what `policy.withdrawal_2fa` stops
//! here is what it stops at a server that refuses replays.

use std::collections::BTreeMap;

use crate::exchange::{Ack, Address, Command, Credential, FundsCommand, IdentityCommand, Outcome, SessionId};
use crate::input::limits::MAX_DURATION_NS;
use crate::input::{KindFields, ScenarioError};
use crate::ledger::UserId;
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake, WorldAction};

pub const KIND: Catalogue = Catalogue {
    name: "phisher",
    about: "phishes exposed (or leaked) addresses, signs in with what its marks type, withdraws their money",
    fields: &["target", "asset", "fall", "realtime", "interval", "attempts", "retry"],
    attacker: true,
};

/// Whose addresses it phishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Addresses seen in the open ([`Intel::exposed`](super::Intel)).
    Exposed,
    /// The leaked list's addresses.
    Leaked,
}

/// A phisher's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub target: Target,
    /// What it withdraws.
    pub asset: AssetId,
    /// Chance, in parts per million, that a mark falls for one mail.
    pub fall_ppm: u32,
    /// A live relay: marks type their current second-factor code too.
    pub realtime: bool,
    /// Time between mails (and sign-ins).
    pub interval_ns: u64,
    /// Most mails it sends.
    pub attempts: u32,
    /// Time between cash-outs of one account.
    pub retry_ns: u64,
}

/// Reads a `phisher` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let target = [Target::Exposed, Target::Leaked][f.choice("target", &["exposed", "leaked"])?];
    Ok(Params {
        target,
        asset: f.asset("asset", "asset = \"BTC\"")?,
        fall_ppm: f.probability("fall", 10_000)?,
        realtime: f.boolean("realtime", false)?,
        interval_ns: f.duration("interval", 1_000_000_000, 1, MAX_DURATION_NS)?,
        attempts: f.uint32("attempts", u32::MAX, 1, u32::MAX)?,
        retry_ns: f.duration("retry", 3_600_000_000_000, 24, MAX_DURATION_NS)?,
    })
}

/// An account it got into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Victim {
    session: SessionId,
    next_cash_ns: u64,
    asked_ns: u64,
}

#[derive(Clone, Debug)]
pub struct Phisher {
    params: Params,
    /// Mails sent (the next target's index).
    sent: u32,
    /// Phished credentials used so far (the next one's index in [`Intel::phished`](super::Intel)).
    used: usize,
    /// By account (ordered: lookups are logarithmic, iteration never depends on hashing).
    victims: BTreeMap<UserId, Victim>,
}

impl Phisher {
    fn victim(&mut self, user: UserId) -> Option<&mut Victim> {
        self.victims.get_mut(&user)
    }
}

impl Behave for Phisher {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> Phisher {
        Phisher { params, sent: 0, used: 0, victims: BTreeMap::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        let intel = view.intel;
        for p in intel.phished.get(self.used..).unwrap_or(&[]) {
            let command = IdentityCommand::Login { email: p.email, password: p.password }.into();
            out.push(Action::As { credential: Credential::Anonymous, code: p.code, command });
        }
        self.used = intel.phished.len();
        let next = match self.params.target {
            Target::Exposed => intel.exposed.get(self.sent as usize).copied(),
            Target::Leaked => intel.leaked.get(self.sent as usize).map(|&(e, _)| e),
        };
        if let Some(email) = next.filter(|_| self.sent < self.params.attempts) {
            self.sent += 1;
            let (fall_ppm, realtime) = (self.params.fall_ppm, self.params.realtime);
            out.push(Action::World(WorldAction::Phish { email, fall_ppm, realtime }));
        }
        let (now, to) = (view.now_ns, Address::outside(view.user.0));
        for (user, page) in view.victims {
            let params = &self.params;
            let Some(v) = self.victims.get_mut(user) else { continue };
            let available = page.available(params.asset);
            if available > 0 && now >= v.next_cash_ns {
                v.next_cash_ns = now.saturating_add(params.retry_ns);
                v.asked_ns = now;
                let command = FundsCommand::Withdraw { user: *user, asset: params.asset, amount: available, to };
                out.push(Action::As {
                    credential: Credential::Session(v.session),
                    code: None,
                    command: command.into(),
                });
            }
        }
        Some(self.params.interval_ns)
    }

    fn answered(&mut self, command: &Command, outcome: &Outcome, _rng: &mut Stream) -> Option<u64> {
        match (command, outcome) {
            (Command::Identity(IdentityCommand::Login { .. }), Ok(Ack::Session { session, user })) => {
                self.victims.entry(*user).or_insert(Victim { session: *session, next_cash_ns: 0, asked_ns: 0 });
            }
            (Command::Funds(FundsCommand::Withdraw { user, .. }), Err(_)) => {
                let retry = self.params.retry_ns / 24;
                if let Some(v) = self.victim(*user) {
                    v.next_cash_ns = v.asked_ns.saturating_add(retry);
                }
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::agents::{AccountState, Phished};
    use crate::exchange::{Code, Device, Email, Password, Reject};

    const BTC: AssetId = AssetId(0);

    #[test]
    fn it_phishes_the_exposed_addresses_signs_in_with_what_they_typed_and_withdraws() {
        let params = Params {
            target: Target::Exposed,
            asset: BTC,
            fall_ppm: 500_000,
            realtime: true,
            interval_ns: 10,
            attempts: 2,
            retry_ns: 2_400,
        };
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let mut p = Phisher::new(params, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        assert!(out.is_empty() && next == Some(10), "nothing exposed yet: it waits");
        bench.intel.exposed = vec![Email(3), Email(4), Email(5)];
        let phish = |n| Action::World(WorldAction::Phish { email: Email(n), fall_ppm: 500_000, realtime: true });
        let (out, _) = bench.wake(10, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        assert_eq!(out, vec![phish(3)]);
        // Account 3's owner typed their password and code: the phisher signs in with both.
        let code = Some(Code::at(Device(3), 10));
        bench.intel.phished = vec![Phished { email: Email(3), password: Password(33), code }];
        let (out, _) = bench.wake(20, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        let login = IdentityCommand::Login { email: Email(3), password: Password(33) }.into();
        assert_eq!(out, vec![Action::As { credential: Credential::Anonymous, code, command: login }, phish(4)]);
        let (out, _) = bench.wake(30, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        assert!(out.is_empty(), "each phished credential used once; two mails at most");
        let session = SessionId(8);
        p.answered(&login, &Ok(Ack::Session { session, user: UserId(3) }), &mut Stream::new(1, "t"));
        bench.victims = vec![(UserId(3), AccountState::with_available(&[70, 0]))];
        let (out, _) = bench.wake(40, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        let to = Address::outside(bench.user.0);
        let withdraw: Command = FundsCommand::Withdraw { user: UserId(3), asset: BTC, amount: 70, to }.into();
        assert_eq!(out, vec![Action::As { credential: Credential::Session(session), code: None, command: withdraw }]);
        p.answered(&withdraw, &Err(Reject::SecondFactor), &mut Stream::new(1, "t"));
        let (out, _) = bench.wake(139, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        assert!(out.is_empty(), "a refusal waits a 24th of retry");
        let (out, _) = bench.wake(140, Wake::Tick, |w, v, r, o| p.wake(w, v, r, o));
        assert_eq!(out.len(), 1);
    }
}
