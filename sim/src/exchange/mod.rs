//! The reference exchange: a pure state machine, `apply(now, command) -> applied` (the result and
//! every effect of the command, [`Applied`]).
//!
//! It reads no clock (time is an argument), draws no random number and does no I/O. It owns one
//! matching engine per market, the ledger, the open orders' reservations, the RFQ quotes and
//! custody's requests.
//!
//! `Exchange` composes sub-machines, one per area of [`Command`], each in its own file(s) that
//! state the invariants they keep: `identity/` (accounts, credentials, authorization, mail), `trading/` (`orders.rs`, `quotes.rs`)
//! and `custody/` (deposits, withdrawals, transfers, the withdrawal policy, privileges), over a
//! shared core (`core.rs`: the shared checks, the entry being built, the commit paths) and the
//! ledger. Each sub-machine's state is its own struct (`trading::Trading`: markets, open orders,
//! quotes; `custody::Custody`: requests, payments, whitelist, limit windows); the sub-machines'
//! code is `impl Exchange` blocks in their own files, so each reaches the core directly.
//!
//! Invariants kept here (each also re-checked independently by [`crate::audit`]):
//! - a rejected command changes nothing: every check runs before the engine or the ledger is
//!   touched, and a command's ledger effect is one atomic entry;
//! - `holds_match_open_orders`: a user's `Held` balance in an asset equals what their open orders
//!   reserve — a buy reserves `notional(limit, open)` of quote, a sell `open` lots of base — because
//!   reservations are linear in quantity and every engine event releases exactly its share;
//! - fees are taken from what each side *receives* (the seller's quote, the buyer's base), rounded
//!   up, and posted to [`Account::Fees`](crate::ledger::Account::Fees): rounding moves money, never creates it;
//! - `quote_honored`: an accepted quote moves exactly `qty` lots of base and `notional(price, qty)`
//!   of quote between the customer and the house, or is rejected with nothing changed;
//! - time never goes backwards (`time_regressed`);
//! - after a monitor's alarm (`RaiseAlert`) under the `freeze_on_alert` policy, every client
//!   request that trades or moves money out ([`Command::is_frozen_by_alert`]: orders, replaces,
//!   quotes, withdrawals, transfers, not-received claims) is refused `frozen`, from any origin;
//!   cancels and the system inputs (a withdrawal already sent still confirms) go on;
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
//! - `quote_reprice` (`trading/quotes.rs`): an accepted quote executes as a market order walking
//!   the book;
//! - `hold_double_release` and `fee_rounding_mints` (`trading/orders.rs`): extra postings
//!   collected apart from the honest entry and committed with it through
//!   [`Ledger::commit_unchecked`];
//! - the six custody faults (`custody/`, see its docs): `withdraw_check_race`,
//!   `transfer_check_race` and `allow_negative` commit debits unchecked, `insider_balance_edit`
//!   edits a balance past the journal ([`Ledger::edit_unjournaled`]), `txid_reconcile` and
//!   `limits_in_hot_path` change which withdrawals are paid, not how the ledger is written.
//!
//! Once a ledger fault ([`FaultArea::Ledger`](crate::fault::FaultArea::Ledger)) has corrupted balances, an honest entry may no longer pass the ledger's
//! checks (a held balance already short, a total past `AMOUNT_MAX`). With a ledger fault on, the
//! exchange then commits a settlement unchecked, or drops it if even that would overflow, and
//! rejects (`overflow`) a deposit, withdrawal or quote acceptance the ledger refuses: a fault
//! breaks invariants for the auditor to find, but never panics the exchange nor breaks the
//! ledger's own state (balances == journal replay; `insider_balance_edit` excepted, which breaks
//! exactly that on purpose). With no ledger fault on — none at all, or only the engine's,
//! `quote_reprice`, `txid_reconcile`, `limits_in_hot_path` or `ack_before_durable`, none of which
//! touches the ledger's checks — every entry goes through the checked [`Ledger::commit`], and a refusal is a bug and
//! panics.

mod applied;
mod command;
mod core;
mod custody;
mod identity;
mod policy;
mod reject;
mod trading;

pub use applied::{Applied, Intent};
pub use command::{
    Ack, Address, Command, FundsCommand, IdentityCommand, NewOrder, OrderKind, Origin, Payment, Quote, QuoteId,
    TradingCommand, TransferId, TxId, WithdrawalId,
};
pub use custody::{TransferRecord, TransferState, WithdrawalRecord, WithdrawalState, KEPT_FINISHED};
pub use identity::access::{Need, Permission, Role};
pub use identity::credential::{
    Access, ApiKeyId, Code, Credential, Device, Email, Ip, Password, Principal, ResetToken, Scopes, SessionId, Via,
    CODE_WINDOW_NS,
};
pub use identity::mail::{Mail, MailKind, MessageId, Recipients, Records, NOREPLY};
pub use identity::policy::IdentityPolicy;
pub use policy::{AssetPolicy, CircuitBreaker, CustodyPolicy, TradingPolicy, DAY_NS};

use core::Draft;
pub use reject::Reject;

/// An exchange's answer to a command.
pub type Outcome = Result<Ack, Reject>;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::engine::{Book, Event, MatchingEngine, OrderId};
use crate::fault::FaultSet;
use crate::ledger::{Ledger, UserId};
use crate::lookup::LookupMap;
use crate::units::decimal::UnitError;
use crate::units::{Asset, AssetId, Market, MarketId, MarketSpec, Minor, Price, Qty, Side};

/// How an exchange is set up.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Identity policy (SPEC §6): second factors, API keys' scope and allowlist.
    pub identity: IdentityPolicy,
    /// Trading policy (SPEC §6): the circuit breaker and the freeze on alert.
    pub trading: TradingPolicy,
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
///
/// The shared core is its own fields (assets, ledger, command number and time, the command's
/// effects, the entry drafts, the faults); each sub-machine's state is one field (`trading`,
/// `custody`, `identity`).
pub struct Exchange<E: MatchingEngine = Book> {
    assets: Vec<Asset>,
    ledger: Ledger,
    seq: u64,
    now_ns: u64,
    /// The trading sub-machine's state.
    trading: trading::Trading<E>,
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
    /// The custody sub-machine's state.
    custody: custody::Custody,
    /// The identity sub-machine's state.
    identity: identity::Identity,
    /// Whether a monitor's alarm ([`FundsCommand::RaiseAlert`]) freezes client trading and
    /// withdrawals (the policy).
    freeze_on_alert: bool,
    /// Whether they are frozen: an alarm was raised under `freeze_on_alert`. Never lifted.
    frozen: bool,
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
            markets.push(trading::MarketState { market, engine: make_engine() });
        }
        let mut ledger = Ledger::new(config.assets.len());
        let house = ledger.open_user();
        assert_eq!(house, UserId::HOUSE);
        Ok(Exchange {
            assets: config.assets.clone(),
            ledger,
            seq: 0,
            now_ns: 0,
            trading: trading::Trading {
                markets,
                orders: LookupMap::default(),
                quotes: BTreeMap::new(),
                quote_ttl_ns: config.quote_ttl_ns,
                quote_spread_bps: config.quote_spread_bps,
                next_order: 1,
                next_quote: 1,
                events: Vec::with_capacity(64),
                breaker: trading::Breaker::new(config.trading.circuit_breaker, config.markets.len()),
            },
            command_events: Vec::with_capacity(64),
            intents: Vec::new(),
            postings: Draft::with_capacity(32),
            fault_postings: Draft::with_capacity(0),
            faults: config.faults,
            custody: custody::Custody::new(&config.custody, config.assets.len()),
            identity: identity::Identity::new(config.identity),
            freeze_on_alert: config.trading.freeze_on_alert,
            frozen: false,
        })
    }

    /// Applies one command at time `now_ns` as the exchange's own systems send it (set-up, the
    /// back office, a chain watcher, tests): [`Exchange::apply_from`] with [`Origin::System`].
    pub fn apply(&mut self, now_ns: u64, command: &Command) -> Applied<'_, E> {
        self.apply_from(now_ns, command, Origin::System)
    }

    /// Applies one command at time `now_ns` from `origin`: its result and every effect it had
    /// ([`Applied`]). A client's request is first authenticated and authorized
    /// (`identity/`: its credential, IP and second factor; the permission its command needs, for
    /// the account it names); a system input ([`Command::is_system`]: a confirmation, a worker's
    /// step, an operator's decision) from a client is refused (`not_permitted`): a customer cannot
    /// confirm its own deposit. A rejection changes nothing but the command count, and has no effects
    /// (asserted).
    pub fn apply_from(&mut self, now_ns: u64, command: &Command, origin: Origin) -> Applied<'_, E> {
        let first_entry = self.ledger.journal().len();
        let result = self.dispatch(now_ns, command, origin);
        let entries = first_entry..self.ledger.journal().len();
        assert!(
            result.is_ok() || (entries.is_empty() && self.command_events.is_empty() && self.intents.is_empty()),
            "command {} was rejected ({result:?}) but had effects",
            self.seq
        );
        Applied::new(result, &self.command_events, entries, &self.intents, origin, self)
    }

    fn dispatch(&mut self, now_ns: u64, command: &Command, origin: Origin) -> Result<Ack, Reject> {
        self.seq += 1;
        self.command_events.clear();
        self.intents.clear();
        if now_ns < self.now_ns {
            return Err(Reject::TimeRegressed);
        }
        self.now_ns = now_ns;
        if self.frozen && command.is_frozen_by_alert() {
            return Err(Reject::Frozen);
        }
        let (access, principal) = match &origin {
            Origin::System => (None, None),
            Origin::Client(access) => (Some(access), self.admit(access, command)?),
        };
        match *command {
            Command::Identity(c) => self.identity(c, access, principal),
            Command::Funds(c) => self.funds(c),
            Command::Trading(c) => self.trading(c),
        }
    }

    /// A monitor's alarm (system input [`FundsCommand::RaiseAlert`]): freezes client trading and
    /// withdrawals if the policy says so, for the rest of the run. Idempotent.
    pub(crate) fn raise_alert(&mut self) -> Result<Ack, Reject> {
        self.frozen |= self.freeze_on_alert;
        Ok(Ack::Posted)
    }

    /// Whether client trading and withdrawals are frozen by an alarm.
    pub fn frozen(&self) -> bool {
        self.frozen
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
        self.trading.markets.len()
    }

    /// A market's rules.
    pub fn market(&self, market: MarketId) -> &Market {
        &self.trading.markets[usize::from(market.0)].market
    }

    /// A market's engine.
    pub fn engine(&self, market: MarketId) -> &E {
        &self.trading.markets[usize::from(market.0)].engine
    }

    /// What the exchange remembers of an open order.
    pub fn open_order(&self, id: OrderId) -> Option<OpenOrder> {
        self.trading.orders.get(id.0).copied()
    }

    /// Number of open orders.
    pub fn open_orders(&self) -> usize {
        self.trading.orders.len()
    }

    /// An outstanding quote.
    pub fn quote(&self, id: QuoteId) -> Option<&Quote> {
        self.trading.quotes.get(&id)
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

#[cfg(test)]
mod tests;
