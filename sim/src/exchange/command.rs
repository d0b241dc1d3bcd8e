//! Commands the exchange accepts, one enum per area (identity, funds, trading) under [`Command`],
//! and what it answers: the exchange's whole input and output vocabulary. Amounts are integers in minor units, prices in ticks, quantities in lots.

use std::fmt;

use crate::engine::{OrderId, Stp, Tif};
use crate::ledger::UserId;
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

/// An RFQ quote id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuoteId(pub u64);

/// How a new order trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// A limit order with a time in force; `qty` lots.
    Limit { price: Price, tif: Tif },
    /// A market order for `qty` lots. A buy may spend at most the buyer's available quote.
    Market,
    /// A market **buy** spending at most `amount` quote minor units (`qty` is ignored).
    MarketQuote { amount: Minor },
}

/// A new order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub qty: Qty,
    pub kind: OrderKind,
    pub stp: Stp,
}

/// Everything the exchange can be asked, by area: each area's commands go to its own sub-machine.
///
/// System inputs (what the simulator observes on a chain: a deposit seen with N confirmations, a
/// withdrawal's transaction confirmed) are commands too, in the area they concern (custody's, in
/// [`FundsCommand`]), sent by the simulator rather than a client. Build commands with the
/// constructors below or `From` a per-area command. Its `Debug` is the area command's own (as in
/// `Deposit { .. }`), so traces render a command as they did before the areas.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Accounts (room for identity: credentials, sessions).
    Identity(IdentityCommand),
    /// Money in and out: deposits and withdrawals (custody next).
    Funds(FundsCommand),
    /// Orders, books and RFQ quotes.
    Trading(TradingCommand),
}

/// The identity area's commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityCommand {
    /// Opens a customer account; answers [`Ack::Account`].
    OpenAccount,
}

/// The funds area's commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundsCommand {
    /// Credits `amount` from the outside world.
    Deposit { user: UserId, asset: AssetId, amount: Minor },
    /// Debits `amount` of available funds to the outside world (a plain ledger operation until
    /// custody exists).
    Withdraw { user: UserId, asset: AssetId, amount: Minor },
}

/// The trading area's commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradingCommand {
    /// Places an order; answers [`Ack::Order`].
    Place(NewOrder),
    /// Cancels one of the user's resting orders.
    Cancel { user: UserId, order: OrderId },
    /// Replaces one of the user's resting orders (priority rule of SPEC §2.2).
    Replace { user: UserId, order: OrderId, price: Price, qty: Qty },
    /// Cancels all the user's resting orders, in one market or (None) in all.
    MassCancel { user: UserId, market: Option<MarketId> },
    /// Asks the house for a firm price for `qty` lots; answers [`Ack::Quote`].
    RequestQuote { user: UserId, market: MarketId, side: Side, qty: Qty },
    /// Accepts a quote before it expires; answers [`Ack::QuoteFilled`].
    AcceptQuote { user: UserId, quote: QuoteId },
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Identity(c) => c.fmt(f),
            Command::Funds(c) => c.fmt(f),
            Command::Trading(c) => c.fmt(f),
        }
    }
}

impl From<IdentityCommand> for Command {
    fn from(c: IdentityCommand) -> Command {
        Command::Identity(c)
    }
}

impl From<FundsCommand> for Command {
    fn from(c: FundsCommand) -> Command {
        Command::Funds(c)
    }
}

impl From<TradingCommand> for Command {
    fn from(c: TradingCommand) -> Command {
        Command::Trading(c)
    }
}

impl Command {
    /// [`IdentityCommand::OpenAccount`].
    pub const fn open_account() -> Command {
        Command::Identity(IdentityCommand::OpenAccount)
    }

    /// [`FundsCommand::Deposit`].
    pub const fn deposit(user: UserId, asset: AssetId, amount: Minor) -> Command {
        Command::Funds(FundsCommand::Deposit { user, asset, amount })
    }

    /// [`FundsCommand::Withdraw`].
    pub const fn withdraw(user: UserId, asset: AssetId, amount: Minor) -> Command {
        Command::Funds(FundsCommand::Withdraw { user, asset, amount })
    }

    /// [`TradingCommand::Place`].
    pub const fn place(order: NewOrder) -> Command {
        Command::Trading(TradingCommand::Place(order))
    }

    /// [`TradingCommand::Cancel`].
    pub const fn cancel(user: UserId, order: OrderId) -> Command {
        Command::Trading(TradingCommand::Cancel { user, order })
    }

    /// [`TradingCommand::Replace`].
    pub const fn replace(user: UserId, order: OrderId, price: Price, qty: Qty) -> Command {
        Command::Trading(TradingCommand::Replace { user, order, price, qty })
    }

    /// [`TradingCommand::MassCancel`].
    pub const fn mass_cancel(user: UserId, market: Option<MarketId>) -> Command {
        Command::Trading(TradingCommand::MassCancel { user, market })
    }

    /// [`TradingCommand::RequestQuote`].
    pub const fn request_quote(user: UserId, market: MarketId, side: Side, qty: Qty) -> Command {
        Command::Trading(TradingCommand::RequestQuote { user, market, side, qty })
    }

    /// [`TradingCommand::AcceptQuote`].
    pub const fn accept_quote(user: UserId, quote: QuoteId) -> Command {
        Command::Trading(TradingCommand::AcceptQuote { user, quote })
    }

    /// The user the command acts for; `None` for opening an account (it has no user yet).
    pub fn user(&self) -> Option<UserId> {
        match *self {
            Command::Identity(IdentityCommand::OpenAccount) => None,
            Command::Funds(FundsCommand::Deposit { user, .. } | FundsCommand::Withdraw { user, .. }) => Some(user),
            Command::Trading(TradingCommand::Place(order)) => Some(order.user),
            Command::Trading(
                TradingCommand::Cancel { user, .. }
                | TradingCommand::Replace { user, .. }
                | TradingCommand::MassCancel { user, .. }
                | TradingCommand::RequestQuote { user, .. }
                | TradingCommand::AcceptQuote { user, .. },
            ) => Some(user),
        }
    }
}

/// A firm price from the house.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub id: QuoteId,
    pub user: UserId,
    pub market: MarketId,
    /// The customer's side: `Buy` means the customer buys base from the house.
    pub side: Side,
    pub qty: Qty,
    pub price: Price,
    /// The quote may be accepted while `now < expires_at_ns`.
    pub expires_at_ns: u64,
}

/// What an accepted command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ack {
    /// A new account.
    Account(UserId),
    /// A deposit or withdrawal was posted.
    Posted,
    /// An order was accepted: `filled` lots traded at once, `open` lots rest on the book.
    Order { id: OrderId, filled: Qty, open: Qty },
    /// Orders were cancelled: how many.
    Cancelled { orders: u32 },
    /// A replace was applied: the order's `filled` lots traded at once, `open` rest.
    Replaced { id: OrderId, filled: Qty, open: Qty },
    /// A quote was issued.
    Quote(Quote),
    /// A quote was honored: exactly its quantity at exactly its price.
    QuoteFilled(Quote),
}
