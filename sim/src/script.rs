//! Command scripts through the whole exchange, for the `exchange` fuzz target and its stable
//! tests: a [`Script`] is an identity policy and a list of [`Step`]s, each an `arbitrary`-derived
//! value from a deliberately small world, so that orders meet, cancels and accepts name live ids,
//! sessions are reused, codes expire and withdrawal windows roll.
//!
//! The fixed set-up (not part of the script): the two-market exchange of
//! [`commands::config`](super::commands::config) under the tight
//! [`custody_policy`](super::commands::custody_policy) and the script's identity policy, quotes
//! living 2 µs; customers alice, bob and carol and the admin dave registered with a password and
//! a second-factor device, each signed in once from home; the house funded with 10 BTC,
//! 100 000 USD and 100 ETH, each actor with 2 BTC, 2 000 USD and 20 ETH; the house quotes 5 lots
//! at 97, 98, 99 (twice) bid and 101 (twice), 102, 103 offered in each market (orders #1–#16).
//! It is built once per thread, fault set and policy, and copied for each script.
//!
//! Differential: no separate model runs beside the exchange here (`testkit/model.rs` covers one
//! book, in the `book` target); the auditor's own shadows (books rebuilt from the engine's
//! events, balances from the journal, holds, quotes, sessions and keys) are the independent side.
//!
//! A step says how much time passes, then either what a client sends — who (an actor), with which
//! credential (none, its latest or oldest session, its latest API key, another actor's session),
//! from which IP, with which second-factor code, acting for whose account — and the request, or
//! a system input (a deposit, a deposit seen on chain, the back office's withdrawal and transfer
//! workers, a review, a payment confirmed under its own or a malleated id, a privilege). Orders,
//! quotes, withdrawals, transfers and payments are named counting back from the latest issued
//! (`cancel order latest-2`), so a step names something that exists wherever it stands.
//!
//! `Debug` prints a script one step per line, e.g.
//! `t+130ns alice(session,home,code) place buy 3 @ 101 ioc m0`.
//!
//! Guarantee of [`run_script`]: every command goes through [`Exchange::apply_from`] and the
//! [`Auditor`] (with the configuration's policies) observes it; the auditor's end-of-run scans run
//! at the end. With no fault on, a sound exchange yields no finding on any script (the fuzz
//! property); with a fault on, some scripts must yield one (`sim/tests/fuzz_exchange.rs`).
//!
//! Not covered: there is no chain, so `solvency` and `withdrawal_paid_once` (which read chain
//! facts) are not exercised here; the simulator's scenarios cover them.

use std::collections::BTreeMap;
use std::fmt;

use arbitrary::{Arbitrary, Unstructured};
use rust_decimal::Decimal;

use crate::audit::{Auditor, Findings, Stamp, Violation};
use crate::engine::{OrderId, Stp, Tif};
use crate::exchange::{
    Access, Ack, Address, ApiKeyId, Code, Command, Credential, Device, Email, Exchange, ExchangeConfig, FundsCommand,
    IdentityCommand, IdentityPolicy, Intent, Ip, MailKind, NewOrder, OrderKind, Origin, Password, Payment, QuoteId,
    Recipients, ResetToken, Role, Scopes, SessionId, TransferId, TxId, WithdrawalId, CODE_WINDOW_NS, DAY_NS,
};
use crate::fault::FaultSet;
use crate::ledger::UserId;
use crate::testkit::commands::{config, custody_policy, Ids};
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

/// The most steps a script runs; longer decoded scripts are cut.
pub const MAX_STEPS: usize = 48;

/// A whole script: the identity policy (each switch weakens a safe default) and the steps.
#[derive(Clone, PartialEq, Eq)]
pub struct Script {
    pub policy: Weak,
    pub steps: Vec<Step>,
}

/// The policy, then steps until the input runs out, at most [`MAX_STEPS`]. (`Vec`'s own
/// `Arbitrary` asks a continue flag before each element, so random bytes would give scripts of
/// about one step; here every byte goes into a step.)
impl<'a> Arbitrary<'a> for Script {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let policy = Weak::arbitrary(u)?;
        // A step takes at least three bytes (time, act, and what it is).
        let mut steps = Vec::with_capacity((u.len() / 3).min(MAX_STEPS));
        while !u.is_empty() && steps.len() < MAX_STEPS {
            steps.push(Step::arbitrary(u)?);
        }
        Ok(Script { policy, steps })
    }
}

/// The next input byte, or 0 once the input has run out: exactly `u8::arbitrary` (which never
/// fails), without its general buffer fill; the custom `Arbitrary` impls below draw from it
/// once per step field.
#[inline]
fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.bytes(1).map_or(0, |b| b[0])
}

/// Which identity policies are weakened (SPEC §6); all `false` is the safe default.
#[derive(Clone, Copy, Default, PartialEq, Eq, Arbitrary)]
pub struct Weak {
    pub login_2fa_off: bool,
    pub withdrawal_2fa_off: bool,
    pub reset_2fa_off: bool,
    pub key_withdraw_scope: bool,
    pub key_allowlist_off: bool,
}

impl Weak {
    /// The identity policy it describes.
    pub fn policy(self) -> IdentityPolicy {
        IdentityPolicy {
            login_2fa: !self.login_2fa_off,
            withdrawal_2fa: !self.withdrawal_2fa_off,
            reset_2fa: !self.reset_2fa_off,
            api_key_withdraw_scope: self.key_withdraw_scope,
            api_key_ip_allowlist: !self.key_allowlist_off,
            operator_mailbox_2fa: true,
        }
    }
}

/// One step: time passes, then something is sent.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Step {
    pub dt: Dt,
    pub act: Act,
}

/// What a step sends: mostly a client's request (3 in 4), else a system input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A client's request.
    Client(Sender, Request),
    /// A system input.
    System(SystemOp),
}

impl<'a> Arbitrary<'a> for Act {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if byte(u) < 192 {
            Act::Client(Sender::arbitrary(u)?, Request::arbitrary(u)?)
        } else {
            Act::System(SystemOp::arbitrary(u)?)
        })
    }
}

/// The customers and the admin (`dave`, an admin: trades for the house, exports, announces).
/// Alice sends most (2 in 5), so that one actor's requests follow each other often.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Actor {
    Alice,
    Bob,
    Carol,
    Dave,
}

impl<'a> Arbitrary<'a> for Actor {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=101 => Actor::Alice,
            102..=165 => Actor::Bob,
            166..=216 => Actor::Carol,
            _ => Actor::Dave,
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl Actor {
    pub const ALL: [Actor; 4] = [Actor::Alice, Actor::Bob, Actor::Carol, Actor::Dave];

    fn index(self) -> usize {
        self as usize
    }
    /// Its account (the house is 0).
    pub fn user(self) -> UserId {
        UserId(self as u32 + 1)
    }
    fn name(self) -> &'static str {
        ["alice", "bob", "carol", "dave"][self.index()]
    }
    fn email(self) -> Email {
        Email(self as u32 + 1)
    }
    fn device(self) -> Device {
        Device(self as u32 + 1)
    }
    fn home(self) -> Ip {
        Ip(10 + self as u32)
    }
    /// The password it registered with.
    fn first_password(self) -> Password {
        Password(100 + self as u64)
    }
}

/// An account a system input names: the house or an actor's.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Holder {
    House,
    Of(Actor),
}

impl Holder {
    fn user(self) -> UserId {
        match self {
            Holder::House => UserId::HOUSE,
            Holder::Of(a) => a.user(),
        }
    }
}

impl fmt::Debug for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::House => f.write_str("house"),
            Holder::Of(a) => f.write_str(a.name()),
        }
    }
}

/// Who sends a client request and with what.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Sender {
    pub actor: Actor,
    pub cred: Cred,
    pub ip: Where,
    pub code: CodeUse,
    /// Whose account the request names.
    pub on: Whose,
}

/// The credential a request presents: mostly the sender's latest session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cred {
    /// None.
    Anon,
    /// The sender's latest session.
    Session,
    /// The sender's oldest session still known to it (possibly ended since).
    OldSession,
    /// The sender's latest API key.
    Key,
    /// Another actor's latest session (a stolen cookie).
    StolenSession(Actor),
}

impl<'a> Arbitrary<'a> for Cred {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=179 => Cred::Session,
            180..=199 => Cred::OldSession,
            200..=219 => Cred::Key,
            220..=237 => Cred::Anon,
            b => Cred::StolenSession(Actor::ALL[usize::from(b) % 4]),
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// Where a request comes from: mostly the sender's home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// The sender's home IP (where its set-up session was opened).
    Home,
    /// An IP shared by everyone (an office).
    Office,
    /// An attacker's IP.
    Away,
}

impl<'a> Arbitrary<'a> for Where {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=229 => Where::Home,
            230..=242 => Where::Office,
            _ => Where::Away,
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl Where {
    fn ip(self, actor: Actor) -> Ip {
        match self {
            Where::Home => actor.home(),
            Where::Office => Ip(7),
            Where::Away => Ip(666),
        }
    }
}

/// The second-factor code a request shows. Mostly the sender's own current code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CodeUse {
    /// The code the sender's device shows now.
    Now,
    /// No code.
    Without,
    /// The code of the previous window (still accepted: clock drift).
    Previous,
    /// A code two windows old (expired).
    Stale,
    /// The code another actor's device shows now (a phished one).
    Of(Actor),
    /// A forged code of the last window there is (`u64::MAX`): hostile input the exchange must
    /// judge like any other.
    Forged,
}

impl<'a> Arbitrary<'a> for CodeUse {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=159 => CodeUse::Now,
            160..=199 => CodeUse::Without,
            200..=215 => CodeUse::Previous,
            216..=231 => CodeUse::Stale,
            255 => CodeUse::Forged,
            b => CodeUse::Of(Actor::ALL[usize::from(b) % 4]),
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl CodeUse {
    fn code(self, actor: Actor, now: u64) -> Option<Code> {
        let window = now / CODE_WINDOW_NS;
        let of = |device: Device, window: u64| Some(Code { device, window });
        match self {
            CodeUse::Now => of(actor.device(), window),
            CodeUse::Without => None,
            CodeUse::Previous => of(actor.device(), window.saturating_sub(1)),
            CodeUse::Stale => of(actor.device(), window.saturating_sub(2)),
            CodeUse::Of(other) => of(other.device(), window),
            CodeUse::Forged => of(actor.device(), u64::MAX),
        }
    }
}

/// Whose account a request names. Mostly the sender's own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Own,
    House,
    Of(Actor),
}

impl<'a> Arbitrary<'a> for Whose {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=199 => Whose::Own,
            200..=223 => Whose::House,
            b => Whose::Of(Actor::ALL[usize::from(b) % 4]),
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// A number in `LO..=HI`; `Debug` prints it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Small<const LO: u64, const HI: u64>(pub u64);

impl<'a, const LO: u64, const HI: u64> Arbitrary<'a> for Small<LO, HI> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Small(u.int_in_range(LO..=HI)?))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl<const LO: u64, const HI: u64> fmt::Debug for Small<LO, HI> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An id counted back from the latest the exchange issued of its kind: `latest` (0),
/// `latest-1`, … up to `latest-(N-1)`. Relative, so that a step names something that exists
/// wherever it stands in a script.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Back<const N: u64>(pub u64);

impl<'a, const N: u64> Arbitrary<'a> for Back<N> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Back(u.int_in_range(0..=N - 1)?))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl<const N: u64> fmt::Debug for Back<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("latest"),
            n => write!(f, "latest-{n}"),
        }
    }
}

impl<const N: u64> Back<N> {
    /// The id it names when `next` is the next one the exchange will issue (0, unknown, if
    /// there are not that many).
    fn of(self, next: u64) -> u64 {
        next.saturating_sub(1 + self.0)
    }
}

/// An order, among the 8 latest.
pub type Oid = Back<8>;
/// A quote, withdrawal, transfer or payment, among the 4 latest.
pub type Nth = Back<4>;

/// How much time passes before a step: mostly nothing or nanoseconds (quotes live 2 µs,
/// whitelisting takes 50 ns, the outflow window is 1 µs), sometimes a code window or a day.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Dt(pub u64);

impl<'a> Arbitrary<'a> for Dt {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Dt(match byte(u) {
            0..=95 => 0,
            b @ 96..=223 => u64::from(b % 40) * 10,
            224..=239 => 1_000,
            240..=251 => CODE_WINDOW_NS,
            _ => DAY_NS,
        }))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl fmt::Debug for Dt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("t+0"),
            DAY_NS => f.write_str("t+1d"),
            n if n % 1_000_000_000 == 0 => write!(f, "t+{}s", n / 1_000_000_000),
            n if n % 1_000 == 0 => write!(f, "t+{}us", n / 1_000),
            n => write!(f, "t+{n}ns"),
        }
    }
}

/// A market: `m0` BTC/USD (tick 1 USD, lot 0.01 BTC, fees 7/25 bps), `m1` ETH/USD (tick 0.05,
/// lot 2 ETH, fees 0/100 %).
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Mkt {
    M0,
    M1,
}

impl Mkt {
    fn id(self) -> MarketId {
        MarketId(self as u16)
    }
}

impl fmt::Debug for Mkt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", *self as u8)
    }
}

/// A side.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Sd {
    Buy,
    Sell,
}

impl Sd {
    fn side(self) -> Side {
        match self {
            Sd::Buy => Side::Buy,
            Sd::Sell => Side::Sell,
        }
    }
}

impl fmt::Debug for Sd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if *self == Sd::Buy { "buy" } else { "sell" })
    }
}

/// A limit order's time in force: half of them good till cancelled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TifA {
    Gtc,
    Ioc,
    Fok,
    PostOnly,
}

impl<'a> Arbitrary<'a> for TifA {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=127 => TifA::Gtc,
            128..=169 => TifA::Ioc,
            170..=211 => TifA::Fok,
            _ => TifA::PostOnly,
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl TifA {
    fn tif(self) -> Tif {
        [Tif::Gtc, Tif::Ioc, Tif::Fok, Tif::PostOnly][self as usize]
    }
}

impl fmt::Debug for TifA {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(["gtc", "ioc", "fok", "post"][*self as usize])
    }
}

/// Self-trade prevention.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum StpA {
    Newest,
    Oldest,
    Both,
    Decrement,
}

impl StpA {
    fn stp(self) -> Stp {
        [Stp::CancelNewest, Stp::CancelOldest, Stp::CancelBoth, Stp::Decrement][self as usize]
    }
}

impl fmt::Debug for StpA {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(["", " stp=oldest", " stp=both", " stp=decrement"][*self as usize])
    }
}

/// A quantity in lots: mostly 1–10, rarely 0 (rejected) or huge.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Lots(pub u64);

impl<'a> Arbitrary<'a> for Lots {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Lots(match byte(u) {
            0 => 0,
            1 => u64::MAX,
            2 => 1_000_000,
            n => 1 + u64::from(n) % 10,
        }))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl fmt::Debug for Lots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            u64::MAX => f.write_str("MAX"),
            n => write!(f, "{n}"),
        }
    }
}

/// A limit price in ticks: mostly 95–105 around a mid of 100, rarely 0, 1 or huge.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Px(pub u64);

impl<'a> Arbitrary<'a> for Px {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Px(match byte(u) {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            n => 95 + u64::from(n) % 11,
        }))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl fmt::Debug for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            u64::MAX => f.write_str("MAX"),
            n => write!(f, "{n}"),
        }
    }
}

/// An asset: BTC (8 decimals), USD (2), ETH (6).
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Coin {
    Btc,
    Usd,
    Eth,
}

impl Coin {
    fn id(self) -> AssetId {
        AssetId(self as u16)
    }
    fn decimals(self) -> u32 {
        [8, 2, 6][self as usize]
    }
    /// The step of [`Amt`] in minor units: 0.1 BTC, 100 USD, 1 ETH.
    fn unit(self) -> Minor {
        [10_000_000, 10_000, 1_000_000][self as usize]
    }
}

impl fmt::Debug for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(["BTC", "USD", "ETH"][*self as usize])
    }
}

/// An amount, in steps of the asset's [`Coin::unit`]: mostly 1–16 steps (the set-up funds each
/// actor with 20), sometimes 100–400 (above the review threshold, near the limits), rarely
/// zero, negative or beyond any balance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Amt(pub i64);

impl<'a> Arbitrary<'a> for Amt {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Amt(match byte(u) {
            0 => 0,
            1 => -1,
            2 => 1_000_000_000,
            b @ 3..=223 => 1 + i64::from(b) % 16,
            b => 100 * (1 + i64::from(b) % 4),
        }))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl Amt {
    fn minor(self, coin: Coin) -> Minor {
        Minor::from(self.0) * coin.unit()
    }
    fn show(self, coin: Coin) -> String {
        let d = Decimal::from_i128_with_scale(self.minor(coin), coin.decimals());
        format!("{} {coin:?}", d.normalize())
    }
}

/// Where a withdrawal goes: mostly the account's own address.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// The account's own address (whitelisted from the start).
    Own,
    /// An outside address `n` (whitelisted only when asked, after a delay).
    Outside(Small<0, 2>),
}

impl<'a> Arbitrary<'a> for Dest {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=191 => Dest::Own,
            b => Dest::Outside(Small(u64::from(b) % 3)),
        })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

impl Dest {
    fn address(self, user: UserId) -> Address {
        match self {
            Dest::Own => Address::of(user),
            Dest::Outside(n) => Address::outside(n.0 as u32),
        }
    }
}

impl fmt::Debug for Dest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dest::Own => f.write_str("own address"),
            Dest::Outside(n) => write!(f, "outside address {n:?}"),
        }
    }
}

/// A password a login tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum Guess {
    /// The account's password as the harness last set it.
    Right,
    /// A wrong one.
    Wrong,
    /// The one it registered with (wrong after a reset).
    First,
}

/// A client's request: trading (a little over half), money (withdrawals, transfers, whitelist,
/// claims, balance edits: 3 in 10) or the account (signing in, keys, resets, exports,
/// announcements).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Trade(Trade),
    Money(Money),
    Account(Account),
}

impl<'a> Arbitrary<'a> for Request {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match byte(u) {
            0..=139 => Request::Trade(Trade::arbitrary(u)?),
            140..=216 => Request::Money(Money::arbitrary(u)?),
            _ => Request::Account(Account::arbitrary(u)?),
        })
    }
}

impl Request {
    /// The trading request, if it is one.
    pub fn trade(&self) -> Option<Trade> {
        if let Request::Trade(t) = *self {
            Some(t)
        } else {
            None
        }
    }
    /// The money request, if it is one.
    pub fn money(&self) -> Option<Money> {
        if let Request::Money(m) = *self {
            Some(m)
        } else {
            None
        }
    }
    /// The account request, if it is one.
    pub fn account(&self) -> Option<Account> {
        if let Request::Account(a) = *self {
            Some(a)
        } else {
            None
        }
    }
}

/// Orders and quotes.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Trade {
    Limit { market: Mkt, side: Sd, qty: Lots, price: Px, tif: TifA, stp: StpA },
    Market { market: Mkt, side: Sd, qty: Lots, stp: StpA },
    MarketQuote { market: Mkt, spend: Amt, stp: StpA },
    Cancel { order: Oid },
    Replace { order: Oid, price: Px, qty: Lots },
    MassCancel { market: Option<Mkt> },
    RequestQuote { market: Mkt, side: Sd, qty: Lots },
    AcceptQuote { quote: Nth },
}

/// Money out and the account's money settings.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Money {
    Withdraw { asset: Coin, amount: Amt, to: Dest },
    Transfer { to: Holder, asset: Coin, amount: Amt },
    Whitelist { address: Dest },
    ClaimNotReceived { withdrawal: Nth },
    AdminAdjust { asset: Coin, amount: Amt },
}

/// Signing in, keys, resets, operators' messages.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Account {
    Login { password: Guess },
    CreateApiKey { trade: bool, withdraw: bool, allow: Option<Where> },
    RequestReset,
    CompleteReset { token: Small<1, 4>, password: Small<0, 3> },
    Export,
    Announce { batch: Small<1, 4>, all: bool },
}

/// A system input.
#[derive(Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum SystemOp {
    Deposit {
        to: Holder,
        asset: Coin,
        amount: Amt,
    },
    DepositSeen {
        to: Holder,
        asset: Coin,
        amount: Amt,
        payment: Small<1, 4>,
        confirmations: Small<0, 3>,
    },
    ProcessWithdrawal {
        withdrawal: Nth,
    },
    ReviewWithdrawal {
        withdrawal: Nth,
        approve: bool,
    },
    /// The chain confirmed payment `n` (of whichever asset the exchange paid it in), under its
    /// own transaction id or a malleated one.
    PaymentConfirmed {
        payment: Nth,
        malleated: bool,
    },
    ProcessTransfer {
        transfer: Nth,
    },
    GrantPrivilege {
        to: Holder,
    },
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cred = match self.cred {
            Cred::Anon => "anon".to_owned(),
            Cred::Session => "session".to_owned(),
            Cred::OldSession => "old-session".to_owned(),
            Cred::Key => "key".to_owned(),
            Cred::StolenSession(a) => format!("{}'s-session", a.name()),
        };
        let ip = match self.ip {
            Where::Home => "home",
            Where::Office => "office",
            Where::Away => "away",
        };
        let code = match self.code {
            CodeUse::Now => "code".to_owned(),
            CodeUse::Without => "no-code".to_owned(),
            CodeUse::Previous => "previous-code".to_owned(),
            CodeUse::Stale => "stale-code".to_owned(),
            CodeUse::Of(a) => format!("{}'s-code", a.name()),
            CodeUse::Forged => "forged-code".to_owned(),
        };
        write!(f, "{}({cred},{ip},{code})", self.actor.name())?;
        match self.on {
            Whose::Own => Ok(()),
            Whose::House => f.write_str(" for house"),
            Whose::Of(a) => write!(f, " for {}", a.name()),
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Request::Trade(Trade::Limit { market, side, qty, price, tif, stp }) => {
                write!(f, "place {side:?} {qty:?} @ {price:?} {tif:?} {market:?}{stp:?}")
            }
            Request::Trade(Trade::Market { market, side, qty, stp }) => {
                write!(f, "place {side:?} {qty:?} market {market:?}{stp:?}")
            }
            Request::Trade(Trade::MarketQuote { market, spend, stp }) => {
                write!(f, "place buy market spending {} {market:?}{stp:?}", spend.show(Coin::Usd))
            }
            Request::Trade(Trade::Cancel { order }) => write!(f, "cancel order {order:?}"),
            Request::Trade(Trade::Replace { order, price, qty }) => {
                write!(f, "replace order {order:?} with {qty:?} @ {price:?}")
            }
            Request::Trade(Trade::MassCancel { market: None }) => f.write_str("mass cancel"),
            Request::Trade(Trade::MassCancel { market: Some(m) }) => write!(f, "mass cancel {m:?}"),
            Request::Trade(Trade::RequestQuote { market, side, qty }) => {
                write!(f, "request quote {side:?} {qty:?} {market:?}")
            }
            Request::Trade(Trade::AcceptQuote { quote }) => write!(f, "accept quote {quote:?}"),
            Request::Money(Money::Withdraw { asset, amount, to }) => {
                write!(f, "withdraw {} to {to:?}", amount.show(asset))
            }
            Request::Money(Money::Transfer { to, asset, amount }) => {
                write!(f, "transfer {} to {to:?}", amount.show(asset))
            }
            Request::Money(Money::Whitelist { address }) => write!(f, "whitelist {address:?}"),
            Request::Money(Money::ClaimNotReceived { withdrawal }) => {
                write!(f, "claim withdrawal {withdrawal:?} not received")
            }
            Request::Account(Account::Login { password }) => write!(f, "login password={password:?}"),
            Request::Account(Account::CreateApiKey { trade, withdraw, allow }) => {
                let scopes = Scopes { trade, withdraw };
                match allow {
                    None => write!(f, "create api key {scopes:?}"),
                    Some(w) => write!(f, "create api key {scopes:?} allow {w:?}"),
                }
            }
            Request::Account(Account::RequestReset) => f.write_str("request reset"),
            Request::Account(Account::CompleteReset { token, password }) => {
                write!(f, "complete reset r{token:?} password=new{password:?}")
            }
            Request::Account(Account::Export) => f.write_str("export"),
            Request::Account(Account::Announce { batch, all }) => {
                write!(f, "announce in batches of {batch:?}{}", if all { "" } else { ", first batch only" })
            }
            Request::Money(Money::AdminAdjust { asset, amount }) => {
                write!(f, "adjust balance by {}", amount.show(asset))
            }
        }
    }
}

impl fmt::Debug for SystemOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SystemOp::Deposit { to, asset, amount } => write!(f, "deposit {} to {to:?}", amount.show(asset)),
            SystemOp::DepositSeen { to, asset, amount, payment, confirmations } => write!(
                f,
                "deposit seen {} to {to:?} (inbound payment {payment:?}, {confirmations:?} confirmations)",
                amount.show(asset)
            ),
            SystemOp::ProcessWithdrawal { withdrawal } => write!(f, "process withdrawal {withdrawal:?}"),
            SystemOp::ReviewWithdrawal { withdrawal, approve } => {
                write!(f, "review withdrawal {withdrawal:?}: {}", if approve { "approve" } else { "refuse" })
            }
            SystemOp::PaymentConfirmed { payment, malleated } => {
                write!(f, "payment {payment:?} confirmed{}", if malleated { " under a malleated id" } else { "" })
            }
            SystemOp::ProcessTransfer { transfer } => write!(f, "process transfer {transfer:?}"),
            SystemOp::GrantPrivilege { to } => write!(f, "grant privilege to {to:?}"),
        }
    }
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.act {
            Act::Client(sender, request) => write!(f, "{:?} {sender:?} {request:?}", self.dt),
            Act::System(op) => write!(f, "{:?} system: {op:?}", self.dt),
        }
    }
}

impl fmt::Debug for Weak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.login_2fa_off, "login-2fa-off"),
            (self.withdrawal_2fa_off, "withdrawal-2fa-off"),
            (self.reset_2fa_off, "reset-2fa-off"),
            (self.key_withdraw_scope, "keys-may-withdraw"),
            (self.key_allowlist_off, "key-allowlist-off"),
        ];
        let weak: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        if weak.is_empty() {
            f.write_str("policy: safe defaults")
        } else {
            write!(f, "policy: {}", weak.join(" "))
        }
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:?}", self.policy)?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "{i:>3}: {step:?}")?;
        }
        Ok(())
    }
}

impl Script {
    /// Decodes a script from fuzz input bytes (cut to [`MAX_STEPS`] steps).
    pub fn decode(data: &[u8]) -> Option<Script> {
        Script::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

/// What a script's run found, and what it exercised (so tests can show a run is not vacuous).
#[derive(Clone, Debug)]
pub struct Run {
    /// The auditor's findings, its end-of-run scans included.
    pub findings: Findings,
    /// The step at which the first violation was found (`None` if none, or only at the end).
    pub first_step: Option<usize>,
    /// How many steps the exchange accepted and rejected.
    pub accepted: usize,
    pub rejected: usize,
    /// Fills, logins, withdrawals paid (payment intents), mails sent, by the steps.
    pub fills: usize,
    pub logins: usize,
    pub payments: usize,
    pub mails: usize,
    /// Each step's answer, in order.
    pub outcomes: Vec<Result<Ack, crate::exchange::Reject>>,
}

impl Run {
    /// The first violation found, if any.
    pub fn first_violation(&self) -> Option<&Violation> {
        self.findings.violations().first()
    }
}

/// How long a quote stays acceptable: a few steps.
pub const QUOTE_TTL_NS: u64 = 2_000;

/// The config a script runs under: [`config`] with quotes living [`QUOTE_TTL_NS`], the tight
/// [`custody_policy`] and the script's identity policy.
fn script_config(faults: FaultSet, weak: Weak) -> ExchangeConfig {
    ExchangeConfig { custody: custody_policy(), identity: weak.policy(), quote_ttl_ns: QUOTE_TTL_NS, ..config(faults) }
}

/// Funds the house holds after set-up: 10 BTC, 100 000 USD, 100 ETH.
const HOUSE_FUNDING: [(AssetId, Minor); 3] =
    [(AssetId(0), 1_000_000_000), (AssetId(1), 10_000_000), (AssetId(2), 100_000_000)];

/// Funds each actor holds after set-up: 2 BTC, 2 000 USD, 20 ETH (20 steps of [`Amt`]: a few
/// withdrawals or transfers exhaust them).
const FUNDING: [(AssetId, Minor); 3] = [(AssetId(0), 200_000_000), (AssetId(1), 200_000), (AssetId(2), 20_000_000)];

/// The house's ladder at set-up, in each market.
const LADDER: [(Side, u64); 8] = [
    (Side::Buy, 97),
    (Side::Buy, 98),
    (Side::Buy, 99),
    (Side::Buy, 99),
    (Side::Sell, 101),
    (Side::Sell, 101),
    (Side::Sell, 102),
    (Side::Sell, 103),
];

/// The harness: the exchange, its auditor, and what the clients know.
#[derive(Clone)]
struct Harness {
    x: Exchange,
    auditor: Auditor,
    now: u64,
    sessions: [Vec<SessionId>; 4],
    keys: [Vec<ApiKeyId>; 4],
    passwords: [Password; 4],
    /// Reset tokens mailed, and to whom.
    tokens: BTreeMap<ResetToken, Actor>,
    /// Payments the exchange made, and in which asset.
    payments: BTreeMap<Payment, AssetId>,
    /// The ids the exchange issues next.
    ids: Ids,
    run: Run,
}

impl Harness {
    fn new(faults: FaultSet, weak: Weak) -> Harness {
        let config = script_config(faults, weak);
        let x = Exchange::new(&config).expect("the script exchange's config is valid");
        let auditor = Auditor::with_config(&x, &config);
        let run = Run {
            findings: Findings::default(),
            first_step: None,
            accepted: 0,
            rejected: 0,
            fills: 0,
            logins: 0,
            payments: 0,
            mails: 0,
            outcomes: Vec::new(),
        };
        let mut h = Harness {
            x,
            auditor,
            now: 0,
            sessions: Default::default(),
            keys: Default::default(),
            passwords: Actor::ALL.map(Actor::first_password),
            tokens: BTreeMap::new(),
            payments: BTreeMap::new(),
            ids: Ids::default(),
            run,
        };
        for a in Actor::ALL {
            let register =
                IdentityCommand::Register { email: a.email(), password: a.first_password(), device: Some(a.device()) };
            let result = h.send(&register.into(), Origin::System);
            assert_eq!(result, Ok(Ack::Account(a.user())), "set-up: register {}", a.name());
        }
        let grant = IdentityCommand::GrantRole { user: Actor::Dave.user(), role: Role::Admin };
        h.send(&grant.into(), Origin::System).expect("set-up: dave is an admin");
        let funding = HOUSE_FUNDING
            .map(|(asset, amount)| (UserId::HOUSE, asset, amount))
            .into_iter()
            .chain(Actor::ALL.into_iter().flat_map(|a| FUNDING.map(|(asset, amount)| (a.user(), asset, amount))));
        for (user, asset, amount) in funding {
            h.send(&Command::deposit(user, asset, amount), Origin::System).expect("set-up: funding");
        }
        // The house quotes a ladder in each market (orders #1–#16): 5 lots at 97, 98, 99, 99 bid
        // and 101, 101, 102, 103 offered, so market orders and quotes have something to meet
        // and the best levels have a queue.
        for market in [MarketId(0), MarketId(1)] {
            for (side, price) in LADDER {
                let order = NewOrder {
                    user: UserId::HOUSE,
                    market,
                    side,
                    qty: Qty(5),
                    kind: OrderKind::Limit { price: Price(price), tif: Tif::Gtc },
                    stp: Stp::default(),
                };
                let placed = h.send(&Command::place(order), Origin::System);
                assert!(matches!(placed, Ok(Ack::Order { .. })), "set-up: the house's ladder: {placed:?}");
            }
        }
        for a in Actor::ALL {
            let access = Access::anonymous(a.home()).with_code(Some(Code::at(a.device(), 0)));
            let login = IdentityCommand::Login { email: a.email(), password: a.first_password() };
            let result = h.send(&login.into(), Origin::Client(access));
            assert!(matches!(result, Ok(Ack::Session { .. })), "set-up: {} signs in: {result:?}", a.name());
        }
        h.run.logins = 0;
        // Fold the set-up's journal into a snapshot: each script's copy of it is cheaper.
        h.x.checkpoint();
        h
    }

    /// Applies `command` from `origin` now, shows it to the auditor, and follows what the
    /// clients learn from the answer and the mail.
    fn send(&mut self, command: &Command, origin: Origin) -> Result<Ack, crate::exchange::Reject> {
        let applied = self.x.apply_from(self.now, command, origin);
        self.auditor.observe(command, &applied);
        let result = applied.result;
        self.ids.observe(&result, applied.intents);
        self.run.fills += applied.events.iter().filter(|(_, e)| matches!(e, crate::engine::Event::Fill { .. })).count();
        for intent in applied.intents {
            match *intent {
                Intent::Pay { payment, asset, .. } => {
                    self.payments.insert(payment, asset);
                    self.run.payments += 1;
                }
                Intent::Mail(mail) => {
                    self.run.mails += 1;
                    if let (MailKind::ResetLink(token), Recipients::One(email)) = (mail.kind, mail.to) {
                        if let Some(&a) = Actor::ALL.iter().find(|a| a.email() == email) {
                            self.tokens.insert(token, a);
                        }
                    }
                }
            }
        }
        match (result, command, origin) {
            (Ok(Ack::Session { session, user }), _, _) => {
                self.run.logins += 1;
                if let Some(&a) = Actor::ALL.iter().find(|a| a.user() == user) {
                    self.sessions[a.index()].push(session);
                }
            }
            (Ok(Ack::ApiKey(key)), _, Origin::Client(Access { credential: Credential::Session(s), .. })) => {
                if let Some(user) = self.x.session_user(s) {
                    if let Some(&a) = Actor::ALL.iter().find(|a| a.user() == user) {
                        self.keys[a.index()].push(key);
                    }
                }
            }
            (Ok(_), Command::Identity(IdentityCommand::CompleteReset { token, password }), _) => {
                if let Some(&a) = self.tokens.get(token) {
                    self.passwords[a.index()] = *password;
                }
            }
            _ => {}
        }
        result
    }

    fn step(&mut self, step: &Step) {
        self.now = self.now.saturating_add(step.dt.0);
        let (command, origin) = match step.act {
            Act::Client(sender, request) => (self.request(sender, request), Origin::Client(self.access(sender))),
            Act::System(op) => (self.system(op), Origin::System),
        };
        let result = self.send(&command, origin);
        match result {
            Ok(_) => self.run.accepted += 1,
            Err(_) => self.run.rejected += 1,
        }
        self.run.outcomes.push(result);
    }

    fn access(&self, s: Sender) -> Access {
        let latest = |a: Actor| self.sessions[a.index()].last().copied().unwrap_or(SessionId(0));
        let credential = match s.cred {
            Cred::Anon => Credential::Anonymous,
            Cred::Session => Credential::Session(latest(s.actor)),
            Cred::OldSession => {
                Credential::Session(self.sessions[s.actor.index()].first().copied().unwrap_or(SessionId(0)))
            }
            Cred::Key => Credential::ApiKey(self.keys[s.actor.index()].last().copied().unwrap_or(ApiKeyId(0))),
            Cred::StolenSession(victim) => Credential::Session(latest(victim)),
        };
        Access { credential, ip: s.ip.ip(s.actor), code: s.code.code(s.actor, self.now) }
    }

    fn request(&self, s: Sender, request: Request) -> Command {
        let user = match s.on {
            Whose::Own => s.actor.user(),
            Whose::House => UserId::HOUSE,
            Whose::Of(a) => a.user(),
        };
        let place = |market: Mkt, side: Side, qty: Lots, kind: OrderKind, stp: StpA| {
            Command::place(NewOrder { user, market: market.id(), side, qty: Qty(qty.0), kind, stp: stp.stp() })
        };
        match request {
            Request::Trade(Trade::Limit { market, side, qty, price, tif, stp }) => {
                place(market, side.side(), qty, OrderKind::Limit { price: Price(price.0), tif: tif.tif() }, stp)
            }
            Request::Trade(Trade::Market { market, side, qty, stp }) => {
                place(market, side.side(), qty, OrderKind::Market, stp)
            }
            Request::Trade(Trade::MarketQuote { market, spend, stp }) => {
                place(market, Side::Buy, Lots(1), OrderKind::MarketQuote { amount: spend.minor(Coin::Usd) }, stp)
            }
            Request::Trade(Trade::Cancel { order }) => Command::cancel(user, OrderId(order.of(self.ids.next_order))),
            Request::Trade(Trade::Replace { order, price, qty }) => {
                Command::replace(user, OrderId(order.of(self.ids.next_order)), Price(price.0), Qty(qty.0))
            }
            Request::Trade(Trade::MassCancel { market }) => Command::mass_cancel(user, market.map(Mkt::id)),
            Request::Trade(Trade::RequestQuote { market, side, qty }) => {
                Command::request_quote(user, market.id(), side.side(), Qty(qty.0))
            }
            Request::Trade(Trade::AcceptQuote { quote }) => {
                Command::accept_quote(user, QuoteId(quote.of(self.ids.next_quote)))
            }
            Request::Money(Money::Withdraw { asset, amount, to }) => {
                FundsCommand::Withdraw { user, asset: asset.id(), amount: amount.minor(asset), to: to.address(user) }
                    .into()
            }
            Request::Money(Money::Transfer { to, asset, amount }) => {
                Command::transfer(user, to.user(), asset.id(), amount.minor(asset))
            }
            Request::Money(Money::Whitelist { address }) => {
                FundsCommand::WhitelistAddress { user, address: address.address(user) }.into()
            }
            Request::Money(Money::ClaimNotReceived { withdrawal }) => {
                FundsCommand::ClaimNotReceived { user, id: WithdrawalId(withdrawal.of(self.ids.next_withdrawal)) }
                    .into()
            }
            Request::Account(Account::Login { password }) => {
                let password = match password {
                    Guess::Right => self.passwords[s.actor.index()],
                    Guess::Wrong => Password(999),
                    Guess::First => s.actor.first_password(),
                };
                IdentityCommand::Login { email: s.actor.email(), password }.into()
            }
            Request::Account(Account::CreateApiKey { trade, withdraw, allow }) => IdentityCommand::CreateApiKey {
                scopes: Scopes { trade, withdraw },
                allow_ip: allow.map(|w| w.ip(s.actor)),
            }
            .into(),
            Request::Account(Account::RequestReset) => IdentityCommand::RequestReset { email: s.actor.email() }.into(),
            Request::Account(Account::CompleteReset { token, password }) => {
                IdentityCommand::CompleteReset { token: ResetToken(token.0 as u32), password: new_password(password.0) }
                    .into()
            }
            Request::Account(Account::Export) => IdentityCommand::Export.into(),
            Request::Account(Account::Announce { batch, all }) => IdentityCommand::Announce {
                batch: batch.0 as u32,
                batches: if all { IdentityCommand::ALL_BATCHES } else { 1 },
            }
            .into(),
            Request::Money(Money::AdminAdjust { asset, amount }) => {
                FundsCommand::AdminAdjust { user, asset: asset.id(), delta: amount.minor(asset) }.into()
            }
        }
    }

    fn system(&self, op: SystemOp) -> Command {
        let funds = match op {
            SystemOp::Deposit { to, asset, amount } => {
                FundsCommand::Deposit { user: to.user(), asset: asset.id(), amount: amount.minor(asset) }
            }
            SystemOp::DepositSeen { to, asset, amount, payment, confirmations } => FundsCommand::DepositSeen {
                user: to.user(),
                asset: asset.id(),
                amount: amount.minor(asset),
                payment: Payment(Payment::INBOUND + payment.0),
                confirmations: confirmations.0 as u32,
            },
            SystemOp::ProcessWithdrawal { withdrawal } => {
                FundsCommand::ProcessWithdrawal { id: WithdrawalId(withdrawal.of(self.ids.next_withdrawal)) }
            }
            SystemOp::ReviewWithdrawal { withdrawal, approve } => {
                FundsCommand::ReviewWithdrawal { id: WithdrawalId(withdrawal.of(self.ids.next_withdrawal)), approve }
            }
            SystemOp::PaymentConfirmed { payment, malleated } => {
                let n = payment.of(self.ids.next_payment);
                let paid = Payment(n);
                let asset = self.payments.get(&paid).copied().unwrap_or(AssetId(0));
                let txid = if malleated { TxId(TxId::MALLEATED + n) } else { TxId(n) };
                FundsCommand::PaymentConfirmed { asset, txid, payment: paid }
            }
            SystemOp::ProcessTransfer { transfer } => {
                FundsCommand::ProcessTransfer { id: TransferId(transfer.of(self.ids.next_transfer)) }
            }
            SystemOp::GrantPrivilege { to } => FundsCommand::GrantPrivilege { user: to.user() },
        };
        funds.into()
    }
}

/// The password a reset sets: `new0`…`new3`.
fn new_password(n: u64) -> Password {
    Password(200 + n)
}

/// Runs `script` through a fresh exchange with `faults` on, under the auditor (every command
/// observed; the end-of-run scans at the end). See the module docs.
///
/// Cost: the set-up is built once per thread for each fault set and policy, then cloned for each
/// script (a clone is several times cheaper than replaying the set-up under the auditor; the
/// fuzz target's rate depends on it).
pub fn run_script(script: &Script, faults: FaultSet) -> Run {
    thread_local! {
        static SET_UPS: std::cell::RefCell<Vec<(FaultSet, Weak, Harness)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut h = SET_UPS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, _, h)) = cache.iter().find(|(f, w, _)| *f == faults && *w == script.policy) {
            return h.clone();
        }
        let h = Harness::new(faults, script.policy);
        cache.push((faults, script.policy, h.clone()));
        h
    });
    // A copied `Vec` has no spare capacity: room for every step's answer at once.
    h.run.outcomes.reserve_exact(script.steps.len().min(MAX_STEPS));
    let mut before = h.auditor.findings().total();
    assert_eq!(before, 0, "the set-up breaks no invariant: {:#?}", h.auditor.violations());
    for (i, step) in script.steps.iter().take(MAX_STEPS).enumerate() {
        h.step(step);
        let total = h.auditor.findings().total();
        if total > before && h.run.first_step.is_none() {
            h.run.first_step = Some(i);
        }
        before = total;
    }
    let at = Stamp { seq: h.x.seq(), time_ns: h.now };
    h.auditor.finish(&h.x, at);
    h.run.findings = h.auditor.findings().clone();
    h.run
}

/// The `exchange` target: the bytes are decoded by `arbitrary` into a [`Script`] (cut to
/// [`MAX_STEPS`] steps) and run through the whole exchange with no
/// fault on, the auditor checking every invariant after every command and at the end
/// ([`run_script`]). With no fault, nothing may be found: panics with the script and the first
/// violation otherwise.
pub fn fuzz(data: &[u8]) {
    fuzz_with(data, FaultSet::NONE);
}

/// [`fuzz`] with `faults` on: what the target's tests use to show that a finding panics with
/// a readable reproducer.
pub fn fuzz_with(data: &[u8], faults: FaultSet) {
    if data.len() > crate::testkit::fuzz::MAX_INPUT_BYTES {
        return;
    }
    let Some(script) = Script::decode(data) else {
        return;
    };
    let run = run_script(&script, faults);
    if let Some(v) = run.first_violation() {
        let at = run.first_step.map_or_else(|| "the end-of-run scans".to_owned(), |i| format!("step {i}"));
        panic!("{} violated at {at}: {}\nscript:\n{script:?}", v.invariant.id(), v.detail);
    }
}
