//! Commands the exchange accepts and what it answers: the exchange's whole input and output
//! vocabulary. Amounts are integers in minor units, prices in ticks, quantities in lots.

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

/// Everything a client can ask of the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Opens a customer account; answers [`Ack::Account`].
    OpenAccount,
    /// Credits `amount` from the outside world.
    Deposit { user: UserId, asset: AssetId, amount: Minor },
    /// Debits `amount` of available funds to the outside world (a plain ledger operation until
    /// custody exists).
    Withdraw { user: UserId, asset: AssetId, amount: Minor },
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
