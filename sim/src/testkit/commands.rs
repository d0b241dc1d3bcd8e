//! Random exchange commands for property tests: a two-market, three-asset exchange and a decoder
//! from four random numbers to one command over small id and price ranges, so that orders meet,
//! cancels hit live orders and quotes get accepted. Shared by `exchange_invariants.rs` (every
//! invariant holds) and `faults.rs` (every fault is caught), so both explore the same space.

use rust_decimal::Decimal;

use crate::engine::{OrderId, Stp, Tif};
use crate::exchange::{Command, ExchangeConfig, NewOrder, OrderKind, QuoteId};
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
