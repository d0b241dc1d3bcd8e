//! Credential stuffer (Mt. Gox June 2011, Coinigy 2016; SPEC §3 attackers): tries a password list
//! leaked from another site on the exchange's login, and empties the accounts it gets into.
//!
//! Model: at every wake (its `start`, then every `interval`) it tries the next entry of the leaked
//! list ([`Intel::leaked`](super::Intel), in list order) with `Login` presenting no credential and
//! no second-factor code (`Action::As { credential: Anonymous, code: None, .. }`), until it has
//! tried `attempts` entries or the list ends. The login works only for a customer who reused the
//! leaked password here and is not asked for a second factor (`policy.login_2fa`, and
//! `identity.twofa` when it is off); an answered [`Ack::Session`] gives it the session and the
//! account. With the victims' pages in its view ([`View::victims`]) it then does `then`:
//! - `withdraw`: requests a withdrawal of the victim's whole available `asset` (at most `chunk`)
//!   to its own outside address ([`Address::outside`] numbered by its account), with no code: under
//!   `policy.withdrawal_2fa` every such request is refused `second_factor` — the policy's effect;
//! - `dump` (Mt. Gox 2011): sells all the victim's base of `market` at market, at every wake while
//!   any whole lot is left (the market order walks the book as far down as it goes), and cashes
//!   the proceeds (`asset`, the market's quote) out as `withdraw` does: `chunk` is what it asks at a
//!   time — the exchange's published daily limit, which it reads like any customer.
//!
//! Per victim it asks at most `chunk` in all per `retry` (a day by default: a daily limit's
//! window), as the money becomes available: a day starts at its first request and the next one
//! `retry` later. A refused request gives its amount back to the day and is tried again after a
//! 24th of `retry` (not sooner: a policy that refuses it refuses it again). When its list is done
//! and no victim has a lot left to sell it wakes every 24th of `retry` only. It learns balances only from its victims'
//! account pages and outcomes only from answers; it never reads the exchange.

use std::collections::BTreeMap;

use crate::exchange::Outcome;
use crate::exchange::{
    Ack, Address, Command, Credential, FundsCommand, IdentityCommand, NewOrder, OrderKind, SessionId,
};
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS};
use crate::input::{KindFields, ScenarioError};
use crate::ledger::UserId;
use crate::units::{AssetId, MarketId, Minor, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "credential_stuffer",
    about:
        "tries the leaked password list on the login, then withdraws (or dumps and cashes out) what the accounts hold",
    fields: &["then", "asset", "market", "interval", "attempts", "chunk", "retry"],
    attacker: true,
};

/// What the stuffer does with an account it got into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Withdraws the victim's available `asset` to its own outside address.
    Withdraw,
    /// Sells the victim's base of `market` at market, then withdraws the proceeds (`asset`).
    Dump { market: MarketId },
}

/// A credential stuffer's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub then: Then,
    /// What it withdraws (for `dump`: the market's quote asset).
    pub asset: AssetId,
    /// Time between login attempts (and between sales).
    pub interval_ns: u64,
    /// Most leaked entries it tries.
    pub attempts: u32,
    /// Most it asks per withdrawal, in minor units (`None`: all available).
    pub chunk: Option<Minor>,
    /// Time between cash-outs of one victim.
    pub retry_ns: u64,
}

/// Reads a `credential_stuffer` group's fields: `dump` needs `market`, whose quote `asset` must be.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let dump = f.choice("then", &["withdraw", "dump"])? == 1;
    let asset = f.asset("asset", "asset = \"USD\"")?;
    let then = match (dump, f.optional_market()?) {
        (false, None) => Then::Withdraw,
        (false, Some(_)) => {
            return Err(f.error(&["market"], "market", "`market` is for `then = \"dump\"` only".into()))
        }
        (true, None) => {
            return Err(f.error(&["then"], "market", "`then = \"dump\"` needs the `market` it sells in".into()))
        }
        (true, Some(market)) => {
            let quote = f.instrument(market).quote();
            if quote != asset {
                return Err(f.error(
                    &["asset"],
                    "asset",
                    "with `then = \"dump\"`, `asset` is what the sale pays: the market's quote asset".into(),
                ));
            }
            Then::Dump { market }
        }
    };
    let chunk = match f.has("chunk") {
        true => Some(f.required_amount("chunk", "chunk = \"1000\"", asset, MAX_ACTION_AMOUNT)?),
        false => None,
    };
    Ok(Params {
        then,
        asset,
        interval_ns: f.duration("interval", 1_000_000_000, 1, MAX_DURATION_NS)?,
        attempts: f.uint32("attempts", u32::MAX, 1, u32::MAX)?,
        chunk,
        retry_ns: f.duration("retry", 86_400_000_000_000, 24, MAX_DURATION_NS)?,
    })
}

/// An account the stuffer got into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Victim {
    session: SessionId,
    /// When the current day of cash-outs began (its first request), if one did.
    day_ns: Option<u64>,
    /// Asked so far this day.
    asked_today: Minor,
    /// No request before this (after a refusal).
    backoff_ns: u64,
    /// When it last asked.
    asked_ns: u64,
}

#[derive(Clone, Debug)]
pub struct CredentialStuffer {
    params: Params,
    /// Leaked entries tried so far (the next one's index).
    tried: u32,
    /// By account (ordered: lookups are logarithmic, iteration never depends on hashing).
    victims: BTreeMap<UserId, Victim>,
}

impl CredentialStuffer {
    fn victim(&mut self, user: UserId) -> Option<&mut Victim> {
        self.victims.get_mut(&user)
    }
}

impl Behave for CredentialStuffer {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> CredentialStuffer {
        CredentialStuffer { params, tried: 0, victims: BTreeMap::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        let anonymous = |command: Command| Action::As { credential: Credential::Anonymous, code: None, command };
        let listed = view.intel.leaked.get(self.tried as usize).filter(|_| self.tried < self.params.attempts);
        let trying = listed.is_some();
        if let Some(&(email, password)) = listed {
            self.tried += 1;
            out.push(anonymous(IdentityCommand::Login { email, password }.into()));
        }
        let now = view.now_ns;
        let to = Address::outside(view.user.0);
        let mut selling = false;
        for (user, page) in view.victims {
            let params = &self.params;
            let Some(v) = self.victims.get_mut(user) else { continue };
            let session = Credential::Session(v.session);
            if let Then::Dump { market } = params.then {
                let instrument = &view.market(market).instrument;
                let per_lot = instrument.base_amount(Qty(1)).unwrap_or(1).max(1);
                let lots = page.available(instrument.base()) / per_lot;
                if let Ok(lots @ 1..) = u64::try_from(lots) {
                    selling = true;
                    let order = NewOrder {
                        user: *user,
                        market,
                        side: Side::Sell,
                        qty: Qty(lots.min(crate::input::limits::MAX_LOTS)),
                        kind: OrderKind::Market,
                        stp: crate::engine::Stp::CancelNewest,
                    };
                    out.push(Action::As { credential: session, code: None, command: Command::place(order) });
                }
            }
            let available = page.available(params.asset);
            if available <= 0 || now < v.backoff_ns {
                continue;
            }
            if v.day_ns.is_none_or(|d| now >= d.saturating_add(params.retry_ns)) {
                (v.day_ns, v.asked_today) = (Some(now), 0);
            }
            let amount = params.chunk.map_or(available, |c| c.saturating_sub(v.asked_today).min(available));
            if amount > 0 {
                v.asked_today = v.asked_today.saturating_add(amount);
                v.asked_ns = now;
                let command = FundsCommand::Withdraw { user: *user, asset: params.asset, amount, to }.into();
                out.push(Action::As { credential: session, code: None, command });
            }
        }
        Some(if trying || selling { self.params.interval_ns } else { self.params.retry_ns / 24 })
    }

    fn answered(&mut self, command: &Command, outcome: &Outcome, _rng: &mut Stream) -> Option<u64> {
        match (command, outcome) {
            (Command::Identity(IdentityCommand::Login { .. }), Ok(Ack::Session { session, user })) => {
                let fresh = Victim { session: *session, day_ns: None, asked_today: 0, backoff_ns: 0, asked_ns: 0 };
                self.victims.entry(*user).or_insert(fresh);
            }
            (Command::Funds(FundsCommand::Withdraw { user, amount, .. }), Err(_)) => {
                let retry = self.params.retry_ns / 24;
                if let Some(v) = self.victim(*user) {
                    v.asked_today = v.asked_today.saturating_sub(*amount);
                    v.backoff_ns = v.asked_ns.saturating_add(retry);
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
    use crate::agents::AccountState;
    use crate::exchange::{Email, Password, Reject, TradingCommand};

    const USD: AssetId = AssetId(1);

    fn params(then: Then, chunk: Option<Minor>) -> Params {
        Params { then, asset: USD, interval_ns: 10, attempts: 2, chunk, retry_ns: 2_400 }
    }

    fn login(n: u32) -> Command {
        IdentityCommand::Login { email: Email(n), password: Password(u64::from(n) * 7) }.into()
    }

    #[test]
    fn it_walks_the_leaked_list_up_to_its_attempts_then_withdraws_each_victims_balance() {
        let mut bench = Bench::new(&[0, 0], btc_usd(Some(30_000)));
        bench.intel.leaked = (1..=3).map(|n| (Email(n), Password(u64::from(n) * 7))).collect();
        let mut s = CredentialStuffer::new(params(Then::Withdraw, None), &[], &bench.markets);
        let anonymous = |command| Action::As { credential: Credential::Anonymous, code: None, command };
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert_eq!((out, next), (vec![anonymous(login(1))], Some(10)));
        // The second entry's owner reused the password: a session for account 2.
        let (out, _) = bench.wake(10, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert_eq!(out, vec![anonymous(login(2))]);
        let session = SessionId(9);
        let mut rng = Stream::new(1, "t");
        s.answered(&login(1), &Err(Reject::BadCredentials), &mut rng);
        s.answered(&login(2), &Ok(Ack::Session { session, user: UserId(2) }), &mut rng);
        bench.victims = vec![(UserId(2), AccountState::with_available(&[0, 5_000]))];
        let (out, next) = bench.wake(20, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        let to = Address::outside(bench.user.0);
        let withdraw: Command = FundsCommand::Withdraw { user: UserId(2), asset: USD, amount: 5_000, to }.into();
        let stolen = Action::As { credential: Credential::Session(session), code: None, command: withdraw };
        assert_eq!(out, vec![stolen], "two attempts made: no third login; the victim's dollars go out");
        assert_eq!(next, Some(100), "nothing left to try: it wakes every retry / 24");
        bench.victims = vec![(UserId(2), AccountState::with_available(&[0, 0]))];
        let (out, _) = bench.wake(30, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert!(out.is_empty(), "the request holds it: nothing available");
        // A refusal (a second factor asked) gives it back; tried again after a 24th of retry.
        bench.victims = vec![(UserId(2), AccountState::with_available(&[0, 5_000]))];
        s.answered(&withdraw, &Err(Reject::SecondFactor), &mut rng);
        let (out, _) = bench.wake(119, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert!(out.is_empty());
        let (out, _) = bench.wake(120, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_dump_sells_every_lot_at_market_and_cashes_out_a_chunk_a_day() {
        let mut bench = Bench::new(&[0, 0], btc_usd(Some(30_000)));
        let mut s =
            CredentialStuffer::new(params(Then::Dump { market: MarketId(0) }, Some(1_000)), &[], &bench.markets);
        let session = SessionId(3);
        s.answered(&login(4), &Ok(Ack::Session { session, user: UserId(4) }), &mut Stream::new(1, "t"));
        // 2.5 BTC (lots of 0.01 BTC: 250 lots) and $30 already there.
        bench.victims = vec![(UserId(4), AccountState::with_available(&[250_000_000, 3_000]))];
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        let Action::As { command: Command::Trading(TradingCommand::Place(order)), .. } = out[0] else {
            panic!("a sale first: {out:?}")
        };
        assert_eq!(
            (order.user, order.side, order.qty, order.kind),
            (UserId(4), Side::Sell, Qty(250), OrderKind::Market)
        );
        let Action::As { command: Command::Funds(FundsCommand::Withdraw { amount, .. }), .. } = out[1] else {
            panic!("then a cash-out: {out:?}")
        };
        assert_eq!((amount, next), (1_000, Some(10)), "a chunk at most; selling: it wakes every interval");
        // Sold out (less than a lot left): no sale, and the next chunk waits for the retry.
        bench.victims = vec![(UserId(4), AccountState::with_available(&[999_999, 700_000]))];
        let (out, next) = bench.wake(10, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert!(out.is_empty() && next == Some(100), "a chunk a day, asked: {out:?} {next:?}");
        let (out, _) = bench.wake(2_400, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
        assert_eq!(out.len(), 1, "a day later, the next chunk");
        // Less than a chunk available: it takes what there is, and the rest of the day's room later.
        let mut s =
            CredentialStuffer::new(params(Then::Dump { market: MarketId(0) }, Some(1_000)), &[], &bench.markets);
        s.answered(&login(4), &Ok(Ack::Session { session, user: UserId(4) }), &mut Stream::new(1, "t"));
        let mut amounts = Vec::new();
        for (t, usd) in [(0, 600), (10, 900), (20, 900), (2_400, 900)] {
            bench.victims = vec![(UserId(4), AccountState::with_available(&[0, usd]))];
            let (out, _) = bench.wake(t, Wake::Tick, |w, v, r, o| s.wake(w, v, r, o));
            for a in out {
                let Action::As { command: Command::Funds(FundsCommand::Withdraw { amount, .. }), .. } = a else {
                    panic!("{a:?}")
                };
                amounts.push((t, amount));
            }
        }
        assert_eq!(amounts, [(0, 600), (10, 400), (2_400, 900)]);
    }
}
