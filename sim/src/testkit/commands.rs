//! Random exchange commands for property tests: a two-market, three-asset exchange and a decoder
//! from four random numbers to one command over small id and price ranges, so that orders meet,
//! cancels hit live orders and quotes get accepted. Shared by `exchange_invariants.rs` (every
//! invariant holds) and `faults.rs` (every fault is caught), so both explore the same space.
//!
//! [`decode`] draws trading commands, deposits and withdrawal requests; [`decode_any`] adds
//! custody's other commands, the system steps included (the worker's `ProcessWithdrawal` and
//! `ProcessTransfer`, an operator's review, a chain's confirmations, sometimes under a malleated
//! transaction id, and deposits seen with too few confirmations), naming recent ids from [`Ids`],
//! which follows the exchange's answers and intents. [`custody_policy`] is a policy tight enough
//! for random flows to meet every check (whitelist with a delay, daily limit, outflow cap,
//! review).

use rust_decimal::Decimal;

use crate::engine::{OrderId, Stp, Tif};
use crate::exchange::{
    Ack, Address, AssetPolicy, Command, CustodyPolicy, ExchangeConfig, FundsCommand, Intent, NewOrder, OrderKind,
    Payment, QuoteId, Reject, TransferId, TxId, WithdrawalId,
};
use crate::fault::FaultSet;
use crate::ledger::UserId;
use crate::units::{Asset, AssetId, FeeSchedule, MarketId, MarketSpec, Minor, Price, Qty, Side};

/// Accounts the decoder names: the house (0) and three customers.
pub const USERS: u32 = 4;

/// BTC/USD (tick 1 USD, lot 0.01 BTC: one tick·lot is one cent; maker 7 bps, taker 25 bps, so
/// most fees have a fraction) and ETH/USD (fees 0 and 100 %, always whole); assets BTC, USD, ETH.
pub fn config(faults: FaultSet) -> ExchangeConfig {
    ExchangeConfig {
        assets: vec![
            Asset::new("BTC", 8).expect("valid asset"),
            Asset::new("USD", 2).expect("valid asset"),
            Asset::new("ETH", 6).expect("valid asset"),
        ],
        markets: vec![
            MarketSpec {
                base: AssetId(0),
                quote: AssetId(1),
                tick_size: Decimal::ONE,
                lot_size: Decimal::new(1, 2),
                fees: FeeSchedule { maker_bps: 7, taker_bps: 25 },
            },
            MarketSpec {
                base: AssetId(2),
                quote: AssetId(1),
                tick_size: Decimal::new(5, 2),
                lot_size: Decimal::new(2, 0),
                fees: FeeSchedule { maker_bps: 0, taker_bps: 10_000 },
            },
        ],
        quote_ttl_ns: 400,
        quote_spread_bps: 30,
        faults,
        custody: Default::default(),
        identity: Default::default(),
        trading: Default::default(),
    }
}

/// Decodes four random numbers into one command; `next_order` and `next_quote` are the ids the
/// exchange will hand out next, so cancels and accepts name recent ones.
pub fn decode(kind: u8, a: u64, b: u64, c: u64, next_order: u64, next_quote: u64) -> Command {
    let user = UserId((a % u64::from(USERS)) as u32);
    let market = MarketId((a >> 8) as u16 % 2);
    let side = if (a >> 16) & 1 == 0 { Side::Buy } else { Side::Sell };
    let asset = AssetId(((a >> 20) % 3) as u16);
    let price = Price(95 + b % 11);
    let qty = Qty(1 + c % 30);
    let tif = [Tif::Gtc, Tif::Gtc, Tif::Ioc, Tif::Fok, Tif::PostOnly][((b >> 8) % 5) as usize];
    let stp = [Stp::CancelNewest, Stp::CancelOldest, Stp::CancelBoth, Stp::Decrement][((b >> 16) % 4) as usize];
    let order = OrderId(1 + (c >> 8) % next_order.max(1));
    let amount = Minor::from((b >> 24) as i64 % 5_000_000_000 + i64::from((b >> 60) == 0) * -7);
    match kind % 14 {
        0 | 1 => Command::deposit(user, asset, amount),
        2 => Command::withdraw(user, asset, amount / 3),
        3..=6 => Command::place(NewOrder { user, market, side, qty, kind: OrderKind::Limit { price, tif }, stp }),
        7 => Command::place(NewOrder { user, market, side, qty, kind: OrderKind::Market, stp }),
        8 => Command::place(NewOrder {
            user,
            market,
            side: Side::Buy,
            qty,
            kind: OrderKind::MarketQuote { amount: amount % 100_000 },
            stp,
        }),
        9 => Command::cancel(user, order),
        10 => Command::replace(user, order, price, qty),
        11 => Command::mass_cancel(user, if c & 1 == 0 { Some(market) } else { None }),
        12 => Command::request_quote(user, market, side, qty),
        _ => Command::accept_quote(user, QuoteId(next_quote.saturating_sub(1 + (c >> 8) % 3).max(1))),
    }
}

/// A custody policy random flows run into: every asset confirms after 2, has a daily limit, an
/// outflow cap over 1 000 ns and a review threshold; withdrawals to outside addresses need a
/// whitelist entry 50 ns old.
pub fn custody_policy() -> CustodyPolicy {
    let asset = AssetPolicy {
        confirmations: 2,
        daily_limit: Some(3_000_000_000),
        outflow_cap: Some(4_000_000_000),
        outflow_window_ns: 1_000,
        review_above: Some(1_000_000_000),
        hot_share_bps: 10_000,
    };
    CustodyPolicy { assets: vec![asset; 3], whitelist: true, whitelist_delay_ns: 50, hot_multisig: false }
}

/// The ids the exchange will hand out next, so that decoded commands name recent ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub next_order: u64,
    pub next_quote: u64,
    pub next_withdrawal: u64,
    pub next_transfer: u64,
    /// The payment number after the last one the exchange emitted.
    pub next_payment: u64,
}

impl Default for Ids {
    fn default() -> Ids {
        Ids { next_order: 1, next_quote: 1, next_withdrawal: 1, next_transfer: 1, next_payment: 1 }
    }
}

impl Ids {
    /// Follows one command's answer and intents.
    pub fn observe(&mut self, result: &Result<Ack, Reject>, intents: &[Intent]) {
        match *result {
            Ok(Ack::Order { id, .. }) => self.next_order = id.0 + 1,
            Ok(Ack::Quote(q)) => self.next_quote = q.id.0 + 1,
            Ok(Ack::Withdrawal(id)) => self.next_withdrawal = id.0 + 1,
            Ok(Ack::Transfer(id)) => self.next_transfer = id.0 + 1,
            _ => {}
        }
        for intent in intents {
            if let Intent::Pay { payment, .. } = *intent {
                self.next_payment = payment.0 + 1;
            }
        }
    }
}

/// One of the `next` − 1 ids issued so far (or the next, not issued yet), picked by `r`.
fn recent(r: u64, next: u64) -> u64 {
    1 + r % next.max(1)
}

/// Decodes four random numbers into any command, custody's included: [`decode`]'s commands
/// for two thirds of `kind`s, custody's requests and system steps for the rest.
pub fn decode_any(kind: u8, a: u64, b: u64, c: u64, ids: &Ids) -> Command {
    let k = kind % 21;
    if k < 14 {
        return decode(k, a, b, c, ids.next_order, ids.next_quote);
    }
    let user = UserId((a % u64::from(USERS)) as u32);
    let other = UserId(((a >> 4) % u64::from(USERS)) as u32);
    let asset = AssetId(((a >> 20) % 3) as u16);
    let amount = Minor::from((b >> 24) as i64 % 2_000_000_000 + i64::from((b >> 60) == 0) * -7);
    let withdrawal = WithdrawalId(recent(c >> 8, ids.next_withdrawal));
    let to = if b & 3 == 0 { Address::outside((c % 3) as u32) } else { Address::of(user) };
    let funds = match k {
        14 => FundsCommand::Withdraw { user, asset, amount, to },
        15 => FundsCommand::ProcessWithdrawal { id: withdrawal },
        16 => {
            let n = recent(c >> 8, ids.next_payment);
            let txid = if b & 1 == 0 { TxId(n) } else { TxId(TxId::MALLEATED + n) };
            FundsCommand::PaymentConfirmed { asset, txid, payment: Payment(n) }
        }
        17 => FundsCommand::ReviewWithdrawal { id: withdrawal, approve: b & 1 == 0 },
        18 => FundsCommand::Transfer { from: user, to: other, asset, amount },
        19 => FundsCommand::ProcessTransfer { id: TransferId(recent(c >> 8, ids.next_transfer)) },
        _ => match c % 6 {
            0 | 1 => FundsCommand::DepositSeen {
                user,
                asset,
                amount,
                payment: Payment(Payment::INBOUND + (c >> 8) % 64),
                confirmations: (b % 4) as u32,
            },
            2 => FundsCommand::WhitelistAddress { user, address: to },
            3 => FundsCommand::ClaimNotReceived { user, id: withdrawal },
            4 => FundsCommand::GrantPrivilege { user },
            _ => FundsCommand::AdminAdjust { user, asset, delta: amount },
        },
    };
    Command::Funds(funds)
}
