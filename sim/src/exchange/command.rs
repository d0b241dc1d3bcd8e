//! Commands the exchange accepts, one enum per area (identity, funds, trading) under [`Command`],
//! and what it answers: the exchange's whole input and output vocabulary. Amounts are integers in minor units, prices in ticks, quantities in lots.

use std::fmt;

use super::identity::access::{need, Need, Role};
use super::identity::credential::{Access, ApiKeyId, Device, Email, Ip, Password, ResetToken, Scopes, SessionId};
use crate::engine::{OrderId, Stp, Tif};
use crate::ledger::UserId;
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

/// An RFQ quote id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct QuoteId(pub u64);

/// How a new order trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A limit order with a time in force; `qty` lots.
    Limit { price: Price, tif: Tif },
    /// A market order for `qty` lots. A buy may spend at most the buyer's available quote.
    Market,
    /// A market **buy** spending at most `amount` quote minor units (`qty` is ignored).
    MarketQuote { amount: Minor },
}

/// A new order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Accounts (room for identity: credentials, sessions).
    Identity(IdentityCommand),
    /// Money in and out: deposits and withdrawals (custody next).
    Funds(FundsCommand),
    /// Orders, books and RFQ quotes.
    Trading(TradingCommand),
}

/// The identity area's commands (SPEC §2.6–2.7): accounts, signing in, keys, resets, and the
/// messages operators send. What each needs is `identity/access.rs`'s [`need`](super::identity::access::need).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCommand {
    /// System: opens a customer account with no way to sign in (set-up, tests, `exsim book`);
    /// answers [`Ack::Account`].
    OpenAccount,
    /// System (sign-up, at set-up): opens an account for `email` with `password` and, if the
    /// customer enabled it, a second-factor `device`; answers [`Ack::Account`].
    Register { email: Email, password: Password, device: Option<Device> },
    /// System: gives `user` a role (staff are customers' accounts made operators).
    GrantRole { user: UserId, role: Role },
    /// Signs in from the request's IP (with its second-factor code when one is needed); answers
    /// [`Ack::Session`].
    Login { email: Email, password: Password },
    /// Creates an API key for the signed-in user; answers [`Ack::ApiKey`].
    CreateApiKey { scopes: Scopes, allow_ip: Option<Ip> },
    /// Asks for a password-reset link, mailed to `email` if it is a user's.
    RequestReset { email: Email },
    /// Sets a new password with a mailed reset token (and the second factor, if the policy asks).
    CompleteReset { token: ResetToken, password: Password },
    /// An operator exports every customer's record, mailed to the operator's own address.
    Export,
    /// An operator sends an announcement to every account, in batches of `batch` addresses, at
    /// most `batches` batches (the first accounts'; [`IdentityCommand::ALL_BATCHES`]:
    /// every account).
    Announce { batch: u32, batches: u32 },
}

impl IdentityCommand {
    /// `Announce { batches }` meaning every account: no cap.
    pub const ALL_BATCHES: u32 = u32::MAX;
}

/// The funds area's commands: custody (SPEC §2.5). Customer requests, then the system inputs
/// that move them on (the withdrawal worker's step, a chain's confirmations, an operator's review).
///
/// A withdrawal: `Withdraw` (policy checks, then the amount moves from available to the user's
/// pending withdrawal: a hold) → `ProcessWithdrawal` (the worker: re-checks what must be checked
/// at send time and emits an [`Intent::Pay`](super::Intent::Pay) from the hot wallet) →
/// `PaymentConfirmed` (the chain confirmed the payment, under whatever transaction id) → settled
/// (the hold leaves to the world). A refusal at review refunds the hold. The correct exchange
/// reconciles by [`Payment`] (the outpoint a transaction spends), never by [`TxId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundsCommand {
    /// Credits `amount` from the outside world at once: set-up funding (mirrored by the simulator
    /// in the genesis of the asset's chain), and flows without a chain (tests, `exsim book`).
    Deposit { user: UserId, asset: AssetId, amount: Minor },
    /// Asks to withdraw `amount` of available funds to `to`; answers [`Ack::Withdrawal`].
    Withdraw { user: UserId, asset: AssetId, amount: Minor, to: Address },
    /// Asks to move `amount` of available funds to another user; answers [`Ack::Transfer`].
    Transfer { from: UserId, to: UserId, asset: AssetId, amount: Minor },
    /// Adds a withdrawal address to the user's whitelist (usable after the policy's delay).
    WhitelistAddress { user: UserId, address: Address },
    /// System (a chain watcher): a deposit of `amount` to `user`'s deposit address, paid by
    /// `payment`, now has `confirmations` confirmations. Credits once per payment, once the
    /// asset's required confirmations are reached; before that it is `pending_confirmations`.
    DepositSeen { user: UserId, asset: AssetId, amount: Minor, payment: Payment, confirmations: u32 },
    /// System (the withdrawal worker): sends a requested withdrawal, emitting its payment.
    ProcessWithdrawal { id: WithdrawalId },
    /// System (an operator): the outcome of a withdrawal's manual review; a refusal refunds it.
    ReviewWithdrawal { id: WithdrawalId, approve: bool },
    /// System (a chain watcher): a transaction of the exchange's, paying `payment`, confirmed
    /// under id `txid` (not necessarily the id the exchange gave it: malleability).
    PaymentConfirmed { asset: AssetId, txid: TxId, payment: Payment },
    /// A customer says a withdrawal never arrived and asks for it to be sent again.
    ClaimNotReceived { user: UserId, id: WithdrawalId },
    /// System (the transfer worker): credits a requested transfer to its recipient.
    ProcessTransfer { id: TransferId },
    /// An operator edits a balance directly (the correct exchange has no such path: refused).
    AdminAdjust { user: UserId, asset: AssetId, delta: Minor },
    /// An operator marks an account privileged (an affiliated market maker). The correct exchange
    /// gives a privileged account no exemption from any check.
    GrantPrivilege { user: UserId },
    /// System (the back office): a monitor raised an alarm (reserves below what customers are
    /// owed). Under the `freeze_on_alert` policy, client trading and withdrawals freeze
    /// ([`Command::is_frozen_by_alert`]); without it, nothing changes. Answers [`Ack::Posted`].
    RaiseAlert,
}

/// Who sends a command: a client (a customer, an operator, an attacker: the exchange cannot tell)
/// with what it presents ([`Access`]), or the exchange's own systems (set-up, the back office's
/// workers, the chain watchers, the monitors). Only the latter may send a system input
/// ([`Command::is_system`]); a client's request is authenticated and authorized first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Client(Access),
    System,
}

/// A withdrawal request, numbered by the exchange from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct WithdrawalId(pub u64);

/// A transfer request, numbered by the exchange from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct TransferId(pub u64);

/// A transaction id as a chain names it. Malleable: while a transaction waits in the mempool,
/// anyone can re-publish it under another id, and the payment confirms under either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct TxId(pub u64);

impl TxId {
    /// Ids the exchange gives its own transactions are below this; the chain names malleated
    /// copies at or above it, so the two never collide.
    pub const MALLEATED: u64 = 1 << 63;
}

/// A payment: the outpoint a transaction spends. It never changes when the transaction's id
/// does, and it can be spent once: the correct exchange reconciles by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Payment(pub u64);

impl Payment {
    /// Payments the exchange makes (withdrawals) are numbered below this; the chain numbers the
    /// payments made to the exchange (deposits) at or above it.
    pub const INBOUND: u64 = 1 << 63;
}

/// An address on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Address(pub u64);

impl Address {
    /// Addresses of no customer (an attacker's, an outsider's) are at or above this.
    pub const OUTSIDE: u64 = 1 << 32;

    /// A customer's own address (deposits come from it; it is on the whitelist from the start).
    pub const fn of(user: UserId) -> Address {
        Address(user.0 as u64)
    }

    /// The `n`th address that belongs to no customer.
    pub const fn outside(n: u32) -> Address {
        Address(Address::OUTSIDE + n as u64)
    }
}

/// The trading area's commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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

    /// [`FundsCommand::Withdraw`] to the user's own address.
    pub const fn withdraw(user: UserId, asset: AssetId, amount: Minor) -> Command {
        Command::Funds(FundsCommand::Withdraw { user, asset, amount, to: Address::of(user) })
    }

    /// [`FundsCommand::Transfer`].
    pub const fn transfer(from: UserId, to: UserId, asset: AssetId, amount: Minor) -> Command {
        Command::Funds(FundsCommand::Transfer { from, to, asset, amount })
    }

    /// Whether it is a system input, which only the exchange's own systems may send (set-up's
    /// direct `Deposit` and accounts, a worker, a chain watcher, an operator's decision):
    /// [`Exchange::apply_from`](super::Exchange::apply_from) refuses one from a client. It is read
    /// from the authorization table ([`need`]), so the two cannot disagree. `AdminAdjust` is not
    /// one: it is an operator's direct edit (permission `edit_balances`), which the correct
    /// exchange refuses from anyone.
    pub fn is_system(&self) -> bool {
        need(self) == Need::System
    }

    /// Whether a freeze on alert refuses it (`frozen`): what trades or moves money out — orders,
    /// replaces, RFQ requests and acceptances, withdrawals, not-received claims, transfers.
    /// Cancels, whitelisting, and every system input go on.
    pub const fn is_frozen_by_alert(&self) -> bool {
        matches!(
            self,
            Command::Funds(
                FundsCommand::Withdraw { .. } | FundsCommand::Transfer { .. } | FundsCommand::ClaimNotReceived { .. }
            ) | Command::Trading(
                TradingCommand::Place(_)
                    | TradingCommand::Replace { .. }
                    | TradingCommand::RequestQuote { .. }
                    | TradingCommand::AcceptQuote { .. }
            )
        )
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

    /// The user the command acts for; `None` for opening an account (it has no user yet) and for
    /// the system inputs that act on a request rather than for a user.
    pub fn user(&self) -> Option<UserId> {
        match *self {
            Command::Identity(IdentityCommand::GrantRole { user, .. }) => Some(user),
            Command::Identity(
                IdentityCommand::OpenAccount
                | IdentityCommand::Register { .. }
                | IdentityCommand::Login { .. }
                | IdentityCommand::CreateApiKey { .. }
                | IdentityCommand::RequestReset { .. }
                | IdentityCommand::CompleteReset { .. }
                | IdentityCommand::Export
                | IdentityCommand::Announce { .. },
            ) => None,
            Command::Funds(
                FundsCommand::Deposit { user, .. }
                | FundsCommand::Withdraw { user, .. }
                | FundsCommand::WhitelistAddress { user, .. }
                | FundsCommand::DepositSeen { user, .. }
                | FundsCommand::ClaimNotReceived { user, .. }
                | FundsCommand::AdminAdjust { user, .. }
                | FundsCommand::GrantPrivilege { user },
            ) => Some(user),
            Command::Funds(FundsCommand::Transfer { from, .. }) => Some(from),
            Command::Funds(
                FundsCommand::ProcessWithdrawal { .. }
                | FundsCommand::ReviewWithdrawal { .. }
                | FundsCommand::PaymentConfirmed { .. }
                | FundsCommand::ProcessTransfer { .. }
                | FundsCommand::RaiseAlert,
            ) => None,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ack {
    /// A new account.
    Account(UserId),
    /// A deposit was credited, or a system input was applied.
    Posted,
    /// A withdrawal was requested and its amount held; it is paid by later steps.
    Withdrawal(WithdrawalId),
    /// A transfer was requested and its amount debited; it is credited by a later step.
    Transfer(TransferId),
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
    /// Signed in: the new session, and the account it is for (as a login page shows it).
    Session { session: SessionId, user: UserId },
    /// A new API key.
    ApiKey(ApiKeyId),
}
