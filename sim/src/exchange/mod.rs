//! The reference exchange: a pure state machine, `apply(now, command) -> applied` (the result and
//! every effect of the command, [`Applied`]).
//!
//! It reads no clock (time is an argument), draws no random number and does no I/O. It owns one
//! matching engine per market, the ledger, the open orders' reservations and the RFQ quotes.
//!
//! Invariants kept here (each also re-checked independently by [`crate::audit`]):
//! - a rejected command changes nothing: every check runs before the engine or the ledger is
//!   touched, and a command's ledger effect is one atomic entry;
//! - `holds_match_open_orders`: a user's `Held` balance in an asset equals what their open orders
//!   reserve — a buy reserves `notional(limit, open)` of quote, a sell `open` lots of base — because
//!   reservations are linear in quantity and every engine event releases exactly its share;
//! - fees are taken from what each side *receives* (the seller's quote, the buyer's base), rounded
//!   up, and posted to [`Account::Fees`]: rounding moves money, never creates it;
//! - `quote_honored`: an accepted quote moves exactly `qty` lots of base and `notional(price, qty)`
//!   of quote between the customer and the house, or is rejected with nothing changed;
//! - time never goes backwards (`time_regressed`);
//! - no order, replace or quote has a price above its market's highest
//!   ([`Market::max_price`], `price_too_high`), so every price on the books renders exactly and
//!   one lot at it costs at most `AMOUNT_MAX`.
//!
//! Fault paths (SPEC §5), switched on by [`ExchangeConfig::faults`]; with none on, the exchange
//! behaves bit for bit as without them:
//! - the engine faults (`ioc_rests`, `taker_price`, `priority_lost_on_partial`) live in
//!   [`Book::with_faults`], which [`Exchange::new`] builds; the exchange settles whatever the
//!   engine reports (for `taker_price`, at the reported fill price, releasing a buy maker's
//!   reservation above it);
//! - `quote_reprice` (`quotes.rs`): an accepted quote executes as a market order walking the book;
//! - `hold_double_release` and `fee_rounding_mints` (`orders.rs`): extra postings collected apart
//!   from the honest entry and committed with it through [`Ledger::commit_unchecked`].
//!
//! Once a ledger fault has corrupted balances, an honest entry may no longer pass the ledger's
//! checks (a held balance already short, a total past `AMOUNT_MAX`). With a ledger fault on, the
//! exchange then commits a settlement unchecked, or drops it if even that would overflow, and
//! rejects (`overflow`) a deposit, withdrawal or quote acceptance the ledger refuses: a fault
//! breaks invariants for the auditor to find, but never panics the exchange nor breaks the
//! ledger's own state (balances == journal replay). With no ledger fault on — none at all, or
//! only the engine's, `quote_reprice` or `ack_before_durable`, none of which touches the ledger's
//! checks — every entry goes through the checked [`Ledger::commit`], and a refusal is a bug and
//! panics.

mod applied;
mod command;
mod orders;
mod policy;
mod quotes;
mod reject;

pub use applied::{Applied, Intent};
pub use command::{
    Ack, Address, Command, FundsCommand, IdentityCommand, NewOrder, OrderKind, Payment, Quote, QuoteId, TradingCommand,
    TransferId, TxId, WithdrawalId,
};
pub use policy::{AssetPolicy, CustodyPolicy, DAY_NS};
pub use reject::Reject;

/// An exchange's answer to a command.
pub type Outcome = Result<Ack, Reject>;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::engine::{Book, Event, MatchingEngine, OrderId};
use crate::fault::{FaultArea, FaultSet};
use crate::ledger::{Account, Cause, CauseKind, Ledger, Posting, UserId};
use crate::lookup::LookupMap;
use crate::units::decimal::UnitError;
use crate::units::{Asset, AssetId, Market, MarketId, MarketSpec, Minor, Price, Qty, Side, AMOUNT_MAX};

/// How an exchange is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct ExchangeConfig {
    /// Assets, indexed by [`AssetId`].
    pub assets: Vec<Asset>,
    /// Markets, indexed by [`MarketId`].
    pub markets: Vec<MarketSpec>,
    /// How long an RFQ quote stays acceptable.
    pub quote_ttl_ns: u64,
    /// The house's spread over the book's average price when quoting, in basis points.
    pub quote_spread_bps: u32,
    /// Fault switches (SPEC §5); [`FaultSet::NONE`] for the correct exchange.
    pub faults: FaultSet,
    /// Custody policy (SPEC §6): confirmations, limits, caps, review, whitelist.
    pub custody: CustodyPolicy,
}

/// A configuration the exchange cannot run.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("market {index}: {source}")]
    Market { index: usize, source: UnitError },
    #[error("market {index}: asset id {asset} does not exist (there are {assets} assets)")]
    UnknownAsset { index: usize, asset: u16, assets: usize },
    #[error("at most {max} {what} are supported")]
    TooMany { what: &'static str, max: usize },
    #[error("quote spread {0} bps exceeds 10000 bps")]
    Spread(u32),
}

/// One market: its rules and its engine.
#[derive(Clone, Debug)]
struct MarketState<E> {
    market: Market,
    engine: E,
}

/// What the exchange remembers of an open order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    pub owner: UserId,
    pub market: MarketId,
    pub side: Side,
    pub price: Price,
    pub open: Qty,
    /// Whether some of it has traded since it (re)entered the book: a partial fill.
    pub partially_filled: bool,
}

/// The reference exchange. `E` is the matching engine of every market.
#[derive(Clone, Debug)]
pub struct Exchange<E: MatchingEngine = Book> {
    assets: Vec<Asset>,
    markets: Vec<MarketState<E>>,
    ledger: Ledger,
    orders: LookupMap<OpenOrder>,
    quotes: BTreeMap<QuoteId, Quote>,
    quote_ttl_ns: u64,
    quote_spread_bps: u32,
    next_order: u64,
    next_quote: u64,
    seq: u64,
    now_ns: u64,
    /// Scratch: one engine call's events.
    events: Vec<Event>,
    /// The current command's engine events, with their market (an effect, see [`Applied`]).
    command_events: Vec<(MarketId, Event)>,
    /// The current command's outbound intents (an effect, see [`Applied`]).
    intents: Vec<Intent>,
    /// Scratch: the entry being built.
    postings: Draft,
    /// Scratch: what a fault path adds to the entry being built (empty unless a fault fired).
    fault_postings: Draft,
    /// Fault switches (SPEC §5).
    faults: FaultSet,
}

impl Exchange<Book> {
    /// An exchange with the reference engine in every market and only the house account open.
    /// The engine faults of `config.faults` are switched on in every market's [`Book`].
    pub fn new(config: &ExchangeConfig) -> Result<Exchange<Book>, ConfigError> {
        let faults = config.faults;
        Exchange::with_engine(config, || Book::with_faults(faults))
    }
}

impl<E: MatchingEngine> Exchange<E> {
    /// An exchange whose markets run engines made by `make_engine`. Of `config.faults`, only the
    /// exchange's own apply (`quote_reprice`, `hold_double_release`, `fee_rounding_mints`); the
    /// engine faults are up to `make_engine`.
    pub fn with_engine(
        config: &ExchangeConfig,
        mut make_engine: impl FnMut() -> E,
    ) -> Result<Exchange<E>, ConfigError> {
        if config.assets.len() > usize::from(u16::MAX) {
            return Err(ConfigError::TooMany { what: "assets", max: usize::from(u16::MAX) });
        }
        if config.markets.len() > usize::from(u16::MAX) {
            return Err(ConfigError::TooMany { what: "markets", max: usize::from(u16::MAX) });
        }
        if config.quote_spread_bps > 10_000 {
            return Err(ConfigError::Spread(config.quote_spread_bps));
        }
        let mut markets = Vec::with_capacity(config.markets.len());
        for (index, spec) in config.markets.iter().enumerate() {
            let asset = |id: AssetId| {
                config.assets.get(usize::from(id.0)).ok_or(ConfigError::UnknownAsset {
                    index,
                    asset: id.0,
                    assets: config.assets.len(),
                })
            };
            let market = Market::new(spec, asset(spec.base)?, asset(spec.quote)?)
                .map_err(|source| ConfigError::Market { index, source })?;
            markets.push(MarketState { market, engine: make_engine() });
        }
        let mut ledger = Ledger::new(config.assets.len());
        let house = ledger.open_user();
        assert_eq!(house, UserId::HOUSE);
        Ok(Exchange {
            assets: config.assets.clone(),
            markets,
            ledger,
            orders: LookupMap::default(),
            quotes: BTreeMap::new(),
            quote_ttl_ns: config.quote_ttl_ns,
            quote_spread_bps: config.quote_spread_bps,
            next_order: 1,
            next_quote: 1,
            seq: 0,
            now_ns: 0,
            events: Vec::with_capacity(64),
            command_events: Vec::with_capacity(64),
            intents: Vec::new(),
            postings: Draft::with_capacity(32),
            fault_postings: Draft::with_capacity(0),
            faults: config.faults,
        })
    }

    /// Applies one command at time `now_ns`: its result and every effect it had ([`Applied`]).
    /// A rejection changes nothing but the command count, and has no effects (asserted).
    pub fn apply(&mut self, now_ns: u64, command: &Command) -> Applied<'_, E> {
        let first_entry = self.ledger.journal().len();
        let result = self.dispatch(now_ns, command);
        let entries = first_entry..self.ledger.journal().len();
        assert!(
            result.is_ok() || (entries.is_empty() && self.command_events.is_empty() && self.intents.is_empty()),
            "command {} was rejected ({result:?}) but had effects",
            self.seq
        );
        Applied::new(result, &self.command_events, entries, &self.intents, self)
    }

    fn dispatch(&mut self, now_ns: u64, command: &Command) -> Result<Ack, Reject> {
        self.seq += 1;
        self.command_events.clear();
        self.intents.clear();
        if now_ns < self.now_ns {
            return Err(Reject::TimeRegressed);
        }
        self.now_ns = now_ns;
        match *command {
            Command::Identity(IdentityCommand::OpenAccount) => Ok(Ack::Account(self.ledger.open_user())),
            Command::Funds(c) => match c {
                FundsCommand::Deposit { user, asset, amount } => self.deposit(user, asset, amount),
                // Until the custody sub-machine: a plain debit, ignoring the address.
                FundsCommand::Withdraw { user, asset, amount, to: _ } => self.withdraw(user, asset, amount),
                FundsCommand::Transfer { .. }
                | FundsCommand::WhitelistAddress { .. }
                | FundsCommand::DepositSeen { .. }
                | FundsCommand::ProcessWithdrawal { .. }
                | FundsCommand::ReviewWithdrawal { .. }
                | FundsCommand::PaymentConfirmed { .. }
                | FundsCommand::ClaimNotReceived { .. }
                | FundsCommand::ProcessTransfer { .. }
                | FundsCommand::AdminAdjust { .. }
                | FundsCommand::GrantPrivilege { .. } => Err(Reject::NotPermitted),
            },
            Command::Trading(c) => match c {
                TradingCommand::Place(order) => self.place(&order),
                TradingCommand::Cancel { user, order } => self.cancel(user, order),
                TradingCommand::Replace { user, order, price, qty } => self.replace(user, order, price, qty),
                TradingCommand::MassCancel { user, market } => self.mass_cancel(user, market),
                TradingCommand::RequestQuote { user, market, side, qty } => self.request_quote(user, market, side, qty),
                TradingCommand::AcceptQuote { user, quote } => self.accept_quote(user, quote),
            },
        }
    }

    fn check_user(&self, user: UserId) -> Result<(), Reject> {
        if (user.0 as usize) < self.ledger.users() {
            Ok(())
        } else {
            Err(Reject::UnknownUser)
        }
    }

    fn check_asset(&self, asset: AssetId) -> Result<(), Reject> {
        if usize::from(asset.0) < self.assets.len() {
            Ok(())
        } else {
            Err(Reject::UnknownAsset)
        }
    }

    fn market_index(&self, market: MarketId) -> Result<usize, Reject> {
        let i = usize::from(market.0);
        if i < self.markets.len() {
            Ok(i)
        } else {
            Err(Reject::UnknownMarket)
        }
    }

    fn cause(&self, kind: CauseKind) -> Cause {
        Cause { seq: self.seq, kind }
    }

    fn deposit(&mut self, user: UserId, asset: AssetId, amount: Minor) -> Result<Ack, Reject> {
        self.check_user(user)?;
        self.check_asset(asset)?;
        if amount <= 0 {
            return Err(Reject::InvalidAmount);
        }
        // Keep every asset's total ≤ AMOUNT_MAX, so that no balance can pass it (the ledger would
        // refuse too; this makes it a rejection, not a refused commit).
        let world = self.ledger.balance(Account::World, asset);
        if amount > AMOUNT_MAX || world.checked_sub(amount).is_none_or(|w| w < -AMOUNT_MAX) {
            return Err(Reject::Overflow);
        }
        let postings = [
            Posting { account: Account::World, asset, delta: -amount },
            Posting { account: Account::Available(user), asset, delta: amount },
        ];
        let cause = self.cause(CauseKind::Deposit);
        self.commit_checked(cause, &postings)?;
        Ok(Ack::Posted)
    }

    fn withdraw(&mut self, user: UserId, asset: AssetId, amount: Minor) -> Result<Ack, Reject> {
        self.check_user(user)?;
        self.check_asset(asset)?;
        if amount <= 0 {
            return Err(Reject::InvalidAmount);
        }
        if self.ledger.balance(Account::Available(user), asset) < amount {
            return Err(Reject::InsufficientFunds);
        }
        let postings = [
            Posting { account: Account::Available(user), asset, delta: -amount },
            Posting { account: Account::World, asset, delta: amount },
        ];
        let cause = self.cause(CauseKind::Withdrawal);
        self.commit_checked(cause, &postings)?;
        Ok(Ack::Posted)
    }

    /// Commits an entry whose checks already ran. Unless a ledger fault is on it cannot be refused
    /// (a refusal panics: a bug); once a ledger fault has corrupted balances it can (an overflow
    /// past a minted total), and the command is then rejected with nothing changed.
    fn commit_checked(&mut self, cause: Cause, postings: &[Posting]) -> Result<(), Reject> {
        match self.ledger.commit(cause, postings) {
            Ok(()) => Ok(()),
            Err(e) if !self.ledger_faults_on() => {
                panic!("command {} was checked but the ledger refused it: {e}", self.seq)
            }
            Err(_) => Err(Reject::Overflow),
        }
    }

    /// Whether a ledger fault (`hold_double_release`, `fee_rounding_mints`) is on: only then may
    /// an entry be committed through [`Ledger::commit_unchecked`], or a refused one become a
    /// rejection. Every other fault (the engine's, `quote_reprice`, `ack_before_durable`) leaves
    /// the ledger sound, so under it an unbalanced or overdrawing entry is still refused and a
    /// refusal is still a bug.
    #[inline]
    fn ledger_faults_on(&self) -> bool {
        self.faults.first_in(FaultArea::Ledger).is_some()
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Checkpoint: folds the ledger's journal so far into a snapshot of the balances
    /// ([`Ledger::checkpoint`]), so that a copy of the exchange costs O(live state), not O(run).
    /// Not a command: it changes no balance, order, quote or answer, only what the journal holds.
    pub fn checkpoint(&mut self) {
        self.ledger.checkpoint();
    }

    /// Assets, indexed by [`AssetId`].
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// Number of markets.
    pub fn market_count(&self) -> usize {
        self.markets.len()
    }

    /// A market's rules.
    pub fn market(&self, market: MarketId) -> &Market {
        &self.markets[usize::from(market.0)].market
    }

    /// A market's engine.
    pub fn engine(&self, market: MarketId) -> &E {
        &self.markets[usize::from(market.0)].engine
    }

    /// What the exchange remembers of an open order.
    pub fn open_order(&self, id: OrderId) -> Option<OpenOrder> {
        self.orders.get(id.0).copied()
    }

    /// Number of open orders.
    pub fn open_orders(&self) -> usize {
        self.orders.len()
    }

    /// An outstanding quote.
    pub fn quote(&self, id: QuoteId) -> Option<&Quote> {
        self.quotes.get(&id)
    }

    /// Commands applied so far (accepted or rejected).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The time of the last command.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// What an open order of `side` at `price` for `qty` lots reserves: (asset, amount).
    pub fn reservation(market: &Market, side: Side, price: Price, qty: Qty) -> Option<(AssetId, Minor)> {
        match side {
            Side::Buy => Some((market.quote(), market.notional(price, qty)?)),
            Side::Sell => Some((market.base(), market.base_amount(qty)?)),
        }
    }
}

/// An entry being built: postings merged per (account, asset).
#[derive(Clone, Debug, Default)]
struct Draft {
    postings: Vec<Posting>,
    /// Whether a merge overflowed `i128`. Impossible while the ledger is sound (every asset's total
    /// is at most `AMOUNT_MAX`); possible only after a ledger fault minted money.
    overflowed: bool,
}

impl Draft {
    fn with_capacity(n: usize) -> Draft {
        Draft { postings: Vec::with_capacity(n), overflowed: false }
    }

    #[inline]
    fn clear(&mut self) {
        self.postings.clear();
        self.overflowed = false;
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Adds `delta` to the posting for (account, asset), merging with an existing one.
    #[inline]
    fn post(&mut self, account: Account, asset: AssetId, delta: Minor) {
        if delta == 0 {
            return;
        }
        match self.postings.iter_mut().find(|p| p.account == account && p.asset == asset) {
            Some(p) => match p.delta.checked_add(delta) {
                Some(sum) => p.delta = sum,
                None => self.overflowed = true,
            },
            None => self.postings.push(Posting { account, asset, delta }),
        }
    }
}

#[cfg(test)]
mod tests;
