//! Table tests for the exchange: commands in order, each with the expected outcome, then the
//! balances that must result. Time moves explicitly.

use super::*;
use crate::engine::{Stp, Tif};
use crate::fault::{Fault, FaultSet};
use crate::ledger::{Account, CauseKind, Posting};
use crate::units::{FeeSchedule, AMOUNT_MAX};
use rust_decimal::Decimal;

const BTC: AssetId = AssetId(0);
const USD: AssetId = AssetId(1);
const M: MarketId = MarketId(0);
const HOUSE: UserId = UserId::HOUSE;
/// An anonymous client.
const CLIENT: Origin = Origin::Client(Access::anonymous(Ip(9)));
const A: UserId = UserId(1);
const B: UserId = UserId(2);

/// BTC/USD, tick 1 USD, lot 0.01 BTC (1 tick·lot = 1 cent), maker 10 bps, taker 20 bps.
fn config() -> ExchangeConfig {
    ExchangeConfig {
        assets: vec![Asset::new("BTC", 8).unwrap(), Asset::new("USD", 2).unwrap()],
        markets: vec![MarketSpec {
            base: BTC,
            quote: USD,
            tick_size: Decimal::ONE,
            lot_size: Decimal::new(1, 2),
            fees: FeeSchedule { maker_bps: 10, taker_bps: 20 },
        }],
        quote_ttl_ns: 1_000,
        quote_spread_bps: 50,
        faults: FaultSet::NONE,
        custody: Default::default(),
        identity: Default::default(),
        trading: Default::default(),
    }
}

fn exchange() -> Exchange {
    let mut x = Exchange::new(&config()).unwrap();
    for _ in 0..2 {
        x.apply(0, &Command::open_account()).result.unwrap();
    }
    x
}

fn limit(user: UserId, side: Side, price: u64, qty: u64, tif: Tif) -> Command {
    Command::place(NewOrder {
        user,
        market: M,
        side,
        qty: Qty(qty),
        kind: OrderKind::Limit { price: Price(price), tif },
        stp: Stp::default(),
    })
}

fn deposit(user: UserId, asset: AssetId, amount: Minor) -> Command {
    Command::deposit(user, asset, amount)
}

fn bal(x: &Exchange, account: Account, asset: AssetId) -> Minor {
    x.ledger().balance(account, asset)
}

/// Runs (command, expected) rows at increasing times.
fn run(x: &mut Exchange, rows: &[(Command, Result<Ack, Reject>)]) {
    for (i, (command, expected)) in rows.iter().enumerate() {
        let before = x.ledger().journal().len();
        let got = x.apply(x.now_ns() + 1, command).result;
        assert_eq!(&got, expected, "row {i}: {command:?}");
        if got.is_err() {
            assert_eq!(x.ledger().journal().len(), before, "row {i}: a rejection posted");
        }
    }
}

#[test]
fn a_trade_moves_funds_and_fees_exactly() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(A, USD, 1_000_000), Ok(Ack::Posted)),
            (deposit(B, BTC, 100_000_000), Ok(Ack::Posted)),
            // B offers 0.5 BTC at 30,000; A bids 0.3 BTC at 30,100 and takes at 30,000.
            (
                limit(B, Side::Sell, 30_000, 50, Tif::Gtc),
                Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(50) }),
            ),
            (
                limit(A, Side::Buy, 30_100, 30, Tif::Gtc),
                Ok(Ack::Order { id: OrderId(2), filled: Qty(30), open: Qty(0) }),
            ),
        ],
    );
    // Notional 30,000 × 30 lots × 1 cent = 900,000 cents. B (maker) pays 10 bps on it: 900.
    assert_eq!(bal(&x, Account::Available(A), USD), 1_000_000 - 900_000);
    assert_eq!(bal(&x, Account::Held(A), USD), 0);
    assert_eq!(bal(&x, Account::Available(B), USD), 900_000 - 900);
    // A (taker) receives 0.3 BTC = 30,000,000 sat less 20 bps: 60,000.
    assert_eq!(bal(&x, Account::Available(A), BTC), 30_000_000 - 60_000);
    assert_eq!(bal(&x, Account::Held(B), BTC), 20_000_000);
    assert_eq!(bal(&x, Account::Available(B), BTC), 50_000_000);
    assert_eq!(bal(&x, Account::Fees, USD), 900);
    assert_eq!(bal(&x, Account::Fees, BTC), 60_000);
    assert_eq!(x.open_order(OrderId(1)).unwrap().open, Qty(20));
}

/// `apply` publishes what the command did: a trade's events and its one journal entry, exactly;
/// a rejection, nothing.
#[test]
fn apply_publishes_its_effects() {
    let mut x = exchange();
    run(&mut x, &[(deposit(A, USD, 1_000_000), Ok(Ack::Posted)), (deposit(B, BTC, 100_000_000), Ok(Ack::Posted))]);
    let applied = x.apply(10, &limit(B, Side::Sell, 30_000, 50, Tif::Gtc));
    assert_eq!((applied.events.len(), applied.entries.clone()), (1, 2..3), "{applied:?}");
    assert!(matches!(applied.events[0], (M, Event::Rest { id: OrderId(1), .. })), "{applied:?}");
    let applied = x.apply(11, &limit(A, Side::Buy, 30_100, 30, Tif::Gtc));
    assert_eq!(applied.result, Ok(Ack::Order { id: OrderId(2), filled: Qty(30), open: Qty(0) }));
    let fill = Event::Fill { maker: OrderId(1), taker: OrderId(2), price: Price(30_000), qty: Qty(30) };
    assert_eq!(applied.events, &[(M, fill)]);
    assert_eq!(applied.entries, 3..4);
    let entry: Vec<Posting> = applied.journal_entries().flat_map(|e| e.postings()).collect();
    assert!(entry.contains(&Posting { account: Account::Fees, asset: USD, delta: 900 }), "{entry:?}");
    assert_eq!(applied.journal_entries().map(|e| e.cause.kind).collect::<Vec<_>>(), [CauseKind::Order]);
    assert!(applied.intents.is_empty());
    let applied = x.apply(12, &Command::cancel(A, OrderId(1)));
    assert_eq!(applied.result, Err(Reject::NotOwner));
    assert!(applied.events.is_empty() && applied.entries.is_empty() && applied.intents.is_empty());
    assert_eq!(x.ledger().journal().len(), 4);
}

#[test]
fn rejections_change_nothing() {
    let mut x = exchange();
    let highest = x.market(M).max_price().0;
    run(
        &mut x,
        &[
            (deposit(A, USD, 100), Ok(Ack::Posted)),
            (deposit(UserId(9), USD, 1), Err(Reject::UnknownUser)),
            (deposit(A, AssetId(7), 1), Err(Reject::UnknownAsset)),
            (deposit(A, USD, 0), Err(Reject::InvalidAmount)),
            (deposit(A, USD, Minor::MAX), Err(Reject::Overflow)),
            (deposit(A, USD, AMOUNT_MAX), Err(Reject::Overflow)),
            (deposit(A, USD, AMOUNT_MAX - 100 + 1), Err(Reject::Overflow)),
            (Command::withdraw(A, USD, 101), Err(Reject::InsufficientFunds)),
            (limit(A, Side::Buy, 2, 51, Tif::Gtc), Err(Reject::InsufficientFunds)),
            (limit(A, Side::Buy, 0, 1, Tif::Gtc), Err(Reject::InvalidPrice)),
            (limit(A, Side::Buy, 1, 0, Tif::Gtc), Err(Reject::InvalidQuantity)),
            (limit(A, Side::Buy, u64::MAX, 2, Tif::Gtc), Err(Reject::PriceTooHigh)),
            (limit(A, Side::Sell, highest + 1, 1, Tif::Gtc), Err(Reject::PriceTooHigh)),
            // The largest order at the highest price still has a representable notional.
            (limit(A, Side::Buy, highest, u64::MAX, Tif::Gtc), Err(Reject::InsufficientFunds)),
            (limit(A, Side::Buy, 2, 50, Tif::Gtc), Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(50) })),
            (limit(B, Side::Sell, 2, 1, Tif::PostOnly), Err(Reject::InsufficientFunds)),
            (Command::cancel(B, OrderId(1)), Err(Reject::NotOwner)),
            (Command::cancel(A, OrderId(5)), Err(Reject::UnknownOrder)),
            (Command::replace(A, OrderId(1), Price(3), Qty(50)), Err(Reject::InsufficientFunds)),
            (Command::accept_quote(A, QuoteId(1)), Err(Reject::UnknownQuote)),
            (Command::request_quote(A, M, Side::Buy, Qty(1)), Err(Reject::NoLiquidity)),
            (Command::cancel(A, OrderId(1)), Ok(Ack::Cancelled { orders: 1 })),
            (Command::withdraw(A, USD, 100), Ok(Ack::Withdrawal(WithdrawalId(1)))),
        ],
    );
    // A withdrawal request holds its amount; it leaves to the world only once paid.
    assert_eq!(bal(&x, Account::Available(A), USD), 0);
    assert_eq!(bal(&x, Account::PendingWithdrawal(A), USD), 100);
    assert_eq!(bal(&x, Account::World, USD), -100);
    assert!(x.apply(0, &Command::open_account()).result == Err(Reject::TimeRegressed));
}

#[test]
fn holds_follow_resting_orders_through_replace_and_cancel() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(A, USD, 10_000), Ok(Ack::Posted)),
            (limit(A, Side::Buy, 100, 50, Tif::Gtc), Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(50) })),
        ],
    );
    assert_eq!(bal(&x, Account::Held(A), USD), 5_000);
    run(
        &mut x,
        &[(
            Command::replace(A, OrderId(1), Price(100), Qty(20)),
            Ok(Ack::Replaced { id: OrderId(1), filled: Qty(0), open: Qty(20) }),
        )],
    );
    assert_eq!(bal(&x, Account::Held(A), USD), 2_000);
    run(
        &mut x,
        &[(
            Command::replace(A, OrderId(1), Price(90), Qty(100)),
            Ok(Ack::Replaced { id: OrderId(1), filled: Qty(0), open: Qty(100) }),
        )],
    );
    assert_eq!(bal(&x, Account::Held(A), USD), 9_000);
    run(&mut x, &[(Command::mass_cancel(A, None), Ok(Ack::Cancelled { orders: 1 }))]);
    assert_eq!(bal(&x, Account::Held(A), USD), 0);
    assert_eq!(bal(&x, Account::Available(A), USD), 10_000);
}

#[test]
fn a_limit_buy_filled_below_its_limit_gets_the_difference_back() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(A, USD, 10_000), Ok(Ack::Posted)),
            (deposit(B, BTC, 100_000_000), Ok(Ack::Posted)),
            (limit(B, Side::Sell, 90, 10, Tif::Gtc), Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(10) })),
            (limit(A, Side::Buy, 100, 30, Tif::Ioc), Ok(Ack::Order { id: OrderId(2), filled: Qty(10), open: Qty(0) })),
        ],
    );
    assert_eq!(bal(&x, Account::Available(A), USD), 10_000 - 900);
    assert_eq!(bal(&x, Account::Held(A), USD), 0);
}

#[test]
fn market_orders_spend_within_funds_and_never_rest() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(A, USD, 250), Ok(Ack::Posted)),
            (deposit(B, BTC, 100_000_000), Ok(Ack::Posted)),
            (limit(B, Side::Sell, 10, 10, Tif::Gtc), Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(10) })),
            (limit(B, Side::Sell, 20, 10, Tif::Gtc), Ok(Ack::Order { id: OrderId(2), filled: Qty(0), open: Qty(10) })),
            // 250 cents buys 10 lots at 10 (100) and 7 lots at 20 (140).
            (
                Command::place(NewOrder {
                    user: A,
                    market: M,
                    side: Side::Buy,
                    qty: Qty(50),
                    kind: OrderKind::Market,
                    stp: Stp::default(),
                }),
                Ok(Ack::Order { id: OrderId(3), filled: Qty(17), open: Qty(0) }),
            ),
            (
                Command::place(NewOrder {
                    user: A,
                    market: M,
                    side: Side::Buy,
                    qty: Qty(0),
                    kind: OrderKind::MarketQuote { amount: 11 },
                    stp: Stp::default(),
                }),
                Err(Reject::InsufficientFunds),
            ),
            // 9 cents are there but buy nothing at 20: accepted, nothing filled, nothing kept.
            (
                Command::place(NewOrder {
                    user: A,
                    market: M,
                    side: Side::Buy,
                    qty: Qty(0),
                    kind: OrderKind::MarketQuote { amount: 9 },
                    stp: Stp::default(),
                }),
                Ok(Ack::Order { id: OrderId(4), filled: Qty(0), open: Qty(0) }),
            ),
        ],
    );
    assert_eq!(bal(&x, Account::Available(A), USD), 10);
    assert_eq!(bal(&x, Account::Held(A), USD), 0);
    assert_eq!(x.open_orders(), 1);
}

#[test]
fn quotes_are_honored_exactly_or_not_at_all() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(HOUSE, BTC, 100_000_000), Ok(Ack::Posted)),
            (deposit(A, USD, 1_000_000), Ok(Ack::Posted)),
            (deposit(B, BTC, 100_000_000), Ok(Ack::Posted)),
            (
                limit(B, Side::Sell, 1_000, 10, Tif::Gtc),
                Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(10) }),
            ),
            (
                limit(B, Side::Sell, 1_100, 10, Tif::Gtc),
                Ok(Ack::Order { id: OrderId(2), filled: Qty(0), open: Qty(10) }),
            ),
        ],
    );
    // 20 lots: average 1,050, widened 50 bps: 1,055.25 → 1,056 ticks (rounded up).
    let expected = Quote {
        id: QuoteId(1),
        user: A,
        market: M,
        side: Side::Buy,
        qty: Qty(20),
        price: Price(1_056),
        expires_at_ns: x.now_ns() + 1 + 1_000,
    };
    run(&mut x, &[(Command::request_quote(A, M, Side::Buy, Qty(20)), Ok(Ack::Quote(expected)))]);
    // The book moves away; the quote still delivers its terms.
    run(
        &mut x,
        &[
            (Command::cancel(B, OrderId(1)), Ok(Ack::Cancelled { orders: 1 })),
            (Command::accept_quote(B, QuoteId(1)), Err(Reject::UnknownQuote)),
            (Command::accept_quote(A, QuoteId(1)), Ok(Ack::QuoteFilled(expected))),
            (Command::accept_quote(A, QuoteId(1)), Err(Reject::UnknownQuote)),
        ],
    );
    assert_eq!(bal(&x, Account::Available(A), USD), 1_000_000 - 1_056 * 20);
    assert_eq!(bal(&x, Account::Available(A), BTC), 20_000_000);
    assert_eq!(bal(&x, Account::Available(HOUSE), BTC), 80_000_000);
    // Expiry: accepted at or after expires_at_ns is refused.
    let second =
        Quote { id: QuoteId(2), qty: Qty(10), price: Price(1_106), expires_at_ns: x.now_ns() + 1 + 1_000, ..expected };
    run(&mut x, &[(Command::request_quote(A, M, Side::Buy, Qty(10)), Ok(Ack::Quote(second)))]);
    let late = x.now_ns() + 1_000;
    assert_eq!(x.apply(late, &Command::accept_quote(A, QuoteId(2))).result, Err(Reject::QuoteExpired));
    // The house cannot deliver more than it has.
    let third = Quote { id: QuoteId(3), expires_at_ns: late + 1 + 1_000, ..second };
    run(&mut x, &[(Command::request_quote(A, M, Side::Buy, Qty(10)), Ok(Ack::Quote(third)))]);
    run(&mut x, &[(Command::withdraw(HOUSE, BTC, 80_000_000), Ok(Ack::Withdrawal(WithdrawalId(1))))]);
    run(&mut x, &[(Command::accept_quote(A, QuoteId(3)), Err(Reject::CannotHonor))]);
    assert_eq!(bal(&x, Account::Available(A), BTC), 20_000_000);
}

#[test]
fn self_trade_prevention_releases_both_reservations() {
    let mut x = exchange();
    run(
        &mut x,
        &[
            (deposit(A, USD, 10_000), Ok(Ack::Posted)),
            (deposit(A, BTC, 10_000_000), Ok(Ack::Posted)),
            (limit(A, Side::Sell, 100, 10, Tif::Gtc), Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(10) })),
            (
                Command::place(NewOrder {
                    user: A,
                    market: M,
                    side: Side::Buy,
                    qty: Qty(4),
                    kind: OrderKind::Limit { price: Price(100), tif: Tif::Gtc },
                    stp: Stp::Decrement,
                }),
                Ok(Ack::Order { id: OrderId(2), filled: Qty(0), open: Qty(0) }),
            ),
        ],
    );
    assert_eq!(x.open_order(OrderId(1)).unwrap().open, Qty(6));
    assert_eq!(bal(&x, Account::Held(A), BTC), 6_000_000);
    assert_eq!(bal(&x, Account::Held(A), USD), 0);
    assert_eq!(bal(&x, Account::Available(A), USD), 10_000);
}

#[test]
fn nothing_is_priced_above_the_highest_price() {
    let mut x = exchange();
    let highest = x.market(M).max_price().0;
    run(
        &mut x,
        &[
            (deposit(B, BTC, 100_000_000), Ok(Ack::Posted)),
            // A sell resting at the highest price is fine (it reserves base only)…
            (
                limit(B, Side::Sell, highest, 2, Tif::Gtc),
                Ok(Ack::Order { id: OrderId(1), filled: Qty(0), open: Qty(2) }),
            ),
            // …but it cannot be moved above it,
            (Command::replace(B, OrderId(1), Price(highest + 1), Qty(2)), Err(Reject::PriceTooHigh)),
            (limit(B, Side::Sell, highest + 1, 1, Tif::Gtc), Err(Reject::PriceTooHigh)),
            // and the house will not quote above it (the book's price widened by the spread).
            (Command::request_quote(A, M, Side::Buy, Qty(1)), Err(Reject::PriceTooHigh)),
        ],
    );
    assert_eq!(x.open_order(OrderId(1)).unwrap().price, Price(highest));
}

/// Every modelled fault, and whether it may commit an entry unchecked (only the ledger's two).
const FAULT_PATHS: [(Option<Fault>, bool); 8] = [
    (None, false),
    (Some(Fault::QuoteReprice), false),
    (Some(Fault::IocRests), false),
    (Some(Fault::TakerPrice), false),
    (Some(Fault::PriorityLostOnPartial), false),
    (Some(Fault::AckBeforeDurable), false),
    (Some(Fault::HoldDoubleRelease), true),
    (Some(Fault::FeeRoundingMints), true),
];

/// Whether `f` panicked; what it panicked with is the exchange's business.
fn panics(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

#[test]
fn only_a_ledger_fault_commits_unchecked() {
    for (fault, unchecked) in FAULT_PATHS {
        let faults = fault.map_or(FaultSet::NONE, |f| FaultSet::NONE.with(f));
        let mut x = Exchange::new(&ExchangeConfig { faults, ..config() }).unwrap();
        for _ in 0..2 {
            x.apply(0, &Command::open_account()).result.unwrap();
        }
        x.apply(1, &deposit(A, USD, 100)).result.unwrap();
        let entries = x.ledger().journal().len();

        // A settlement entry that does not balance: 5 USD credited to A from nowhere.
        x.begin_entry();
        x.postings.post(Account::Available(A), USD, 5);
        let panicked = panics(|| x.commit(CauseKind::Order));
        assert_eq!(panicked, !unchecked, "{fault:?}: an unbalanced settlement entry");
        let (a, journaled) = if unchecked { (105, entries + 1) } else { (100, entries) };
        assert_eq!(bal(&x, Account::Available(A), USD), a, "{fault:?}: applied only unchecked");
        assert_eq!(x.ledger().journal().len(), journaled, "{fault:?}");

        // A balanced entry that overdraws: A pays B 1,000 USD it does not have.
        let overdraw = [
            Posting { account: Account::Available(A), asset: USD, delta: -1_000 },
            Posting { account: Account::Available(B), asset: USD, delta: 1_000 },
        ];
        let cause = x.cause(CauseKind::Withdrawal);
        let mut answer = None;
        let panicked = panics(|| answer = Some(x.commit_checked(cause, &overdraw)));
        assert_eq!(panicked, !unchecked, "{fault:?}: an overdrawing entry");
        if unchecked {
            assert_eq!(answer, Some(Err(Reject::Overflow)), "{fault:?}: refused and rejected");
        }
        assert_eq!(bal(&x, Account::Available(A), USD), a, "{fault:?}: the overdraft was refused");
        assert_eq!(bal(&x, Account::Available(B), USD), 0, "{fault:?}: the overdraft was refused");
        assert_eq!(x.ledger().journal().len(), journaled, "{fault:?}");
    }
}

/// Commands are grouped by area; the constructors and `From` build the same command, and its
/// `Debug` (what traces show) is the area command's own.
#[test]
fn commands_by_area() {
    let deposit = Command::deposit(A, USD, 5);
    assert_eq!(deposit, Command::from(FundsCommand::Deposit { user: A, asset: USD, amount: 5 }));
    assert_eq!(format!("{deposit:?}"), "Deposit { user: UserId(1), asset: AssetId(1), amount: 5 }");
    assert_eq!(Command::cancel(B, OrderId(3)), TradingCommand::Cancel { user: B, order: OrderId(3) }.into());
    assert_eq!(Command::open_account(), Command::Identity(IdentityCommand::OpenAccount));
    assert_eq!((deposit.user(), Command::open_account().user()), (Some(A), None));
}

/// A customer cannot send a system input: confirming its own deposit, processing or reviewing a
/// withdrawal, crediting a transfer or granting itself a privilege is `not_permitted` from a
/// client and changes nothing; the same command from the exchange's systems is applied.
#[test]
fn system_inputs_are_refused_from_clients() {
    let mut x = exchange();
    let payment = Payment(Payment::INBOUND + 7);
    let seen =
        Command::Funds(FundsCommand::DepositSeen { user: A, asset: BTC, amount: 500, payment, confirmations: 6 });
    let system_inputs = [
        seen,
        Command::Funds(FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) }),
        Command::Funds(FundsCommand::ReviewWithdrawal { id: WithdrawalId(1), approve: true }),
        Command::Funds(FundsCommand::PaymentConfirmed { asset: BTC, txid: TxId(1), payment: Payment(1) }),
        Command::Funds(FundsCommand::ProcessTransfer { id: TransferId(1) }),
        Command::Funds(FundsCommand::GrantPrivilege { user: A }),
    ];
    for command in system_inputs {
        assert!(command.is_system(), "{command:?}");
        let before = x.ledger().journal().len();
        let applied = x.apply_from(1, &command, CLIENT);
        assert_eq!(applied.result, Err(Reject::NotPermitted), "{command:?}");
        assert!(applied.entries.is_empty() && applied.intents.is_empty());
        assert_eq!(x.ledger().journal().len(), before);
    }
    assert!(!x.is_privileged(A), "a refused grant grants nothing");
    assert_eq!(bal(&x, Account::Available(A), BTC), 0);
    // From the exchange's own systems the deposit is credited.
    assert_eq!(x.apply_from(2, &seen, Origin::System).result, Ok(Ack::Posted));
    assert_eq!(bal(&x, Account::Available(A), BTC), 500);
    // A direct credit is set-up's: a customer cannot credit itself.
    assert_eq!(x.apply_from(3, &deposit(A, BTC, 1), CLIENT).result, Err(Reject::NotPermitted));
    // A customer's own requests are not system inputs.
    for command in [Command::withdraw(A, BTC, 1), Command::transfer(A, B, BTC, 1)] {
        assert!(!command.is_system(), "{command:?}");
    }
    let edit = Command::Funds(FundsCommand::AdminAdjust { user: A, asset: BTC, delta: 5 });
    assert!(!edit.is_system(), "an operator's edit is refused by the correct exchange from anyone");
    assert_eq!(x.apply_from(3, &edit, CLIENT).result, Err(Reject::Unauthenticated), "and needs an operator first");
}

/// Each chain numbers its inbound payments on its own: the same payment number on two assets is
/// two deposits, both credited; on one asset it is one, credited once.
#[test]
fn a_deposit_is_credited_once_per_asset_and_payment() {
    let mut x = exchange();
    let payment = Payment(Payment::INBOUND);
    let seen =
        |asset, amount| Command::Funds(FundsCommand::DepositSeen { user: A, asset, amount, payment, confirmations: 1 });
    assert_eq!(x.apply(1, &seen(BTC, 500)).result, Ok(Ack::Posted));
    assert_eq!(x.apply(2, &seen(USD, 700)).result, Ok(Ack::Posted), "another chain's payment 0");
    assert_eq!(x.apply(3, &seen(BTC, 500)).result, Err(Reject::AlreadyDone));
    assert_eq!((bal(&x, Account::Available(A), BTC), bal(&x, Account::Available(A), USD)), (500, 700));
}

/// An exchange with the given freeze policy, A holding BTC and USD with an open bid and a
/// pending withdrawal, B holding USD.
fn exchange_to_freeze(freeze_on_alert: bool) -> (Exchange, OrderId) {
    let trading = TradingPolicy { freeze_on_alert, ..TradingPolicy::default() };
    let identity = IdentityPolicy { login_2fa: false, withdrawal_2fa: false, ..IdentityPolicy::default() };
    let mut x = Exchange::new(&ExchangeConfig { trading, identity, ..config() }).unwrap();
    // A and B sign up, then sign in from IP 1: sessions 1 and 2 (see `as_client`).
    for n in 1..=2 {
        let register = IdentityCommand::Register { email: Email(n), password: Password(n.into()), device: None };
        x.apply(0, &register.into()).result.unwrap();
    }
    for n in 1..=2 {
        let login = IdentityCommand::Login { email: Email(n), password: Password(n.into()) };
        let signed = x.apply_from(0, &login.into(), Origin::Client(Access::anonymous(Ip(1)))).result;
        assert_eq!(signed, Ok(Ack::Session { session: SessionId(n), user: UserId(n) }));
    }
    for (user, asset) in [(A, BTC), (A, USD), (B, USD)] {
        x.apply(0, &deposit(user, asset, 1_000_000_000)).result.unwrap();
    }
    let Ok(Ack::Order { id, .. }) = x.apply(1, &limit(A, Side::Buy, 10, 1, Tif::Gtc)).result else {
        panic!("a resting bid")
    };
    assert!(matches!(x.apply(1, &Command::withdraw(A, BTC, 100)).result, Ok(Ack::Withdrawal(_))));
    (x, id)
}

/// The client of the account `command` acts for, in its session (see `exchange_to_freeze`).
fn as_client(command: &Command) -> Origin {
    let user = command.user().expect("a customer's command");
    Origin::Client(Access::session(SessionId(user.0), Ip(1)))
}

/// What a client may still do after an alarm, in order: each command's outcome.
fn after_alarm(x: &mut Exchange, bid: OrderId) -> Vec<Result<Ack, Reject>> {
    let client = |x: &mut Exchange, c: Command| x.apply_from(3, &c, as_client(&c)).result;
    vec![
        client(x, limit(B, Side::Buy, 10, 1, Tif::Gtc)),
        client(x, Command::Trading(TradingCommand::Replace { user: A, order: bid, price: Price(11), qty: Qty(1) })),
        client(x, Command::Trading(TradingCommand::RequestQuote { user: B, market: M, side: Side::Buy, qty: Qty(1) })),
        client(x, Command::withdraw(A, BTC, 100)),
        client(x, Command::transfer(A, B, USD, 100)),
    ]
}

#[test]
fn an_alarm_freezes_client_trading_and_withdrawals_under_the_policy() {
    let (mut x, bid) = exchange_to_freeze(true);
    assert_eq!(x.apply(2, &Command::Funds(FundsCommand::RaiseAlert)).result, Ok(Ack::Posted));
    assert!(x.frozen());
    assert!(after_alarm(&mut x, bid).iter().all(|r| *r == Err(Reject::Frozen)), "{:?}", after_alarm(&mut x, bid));
    // Cancels go on, and so do system inputs: the withdrawal already requested is still sent.
    let cancel = Command::Trading(TradingCommand::Cancel { user: A, order: bid });
    assert_eq!(x.apply_from(4, &cancel, as_client(&cancel)).result, Ok(Ack::Cancelled { orders: 1 }));
    let process = Command::Funds(FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) });
    assert!(x.apply(5, &process).result.is_ok());
}

#[test]
fn an_alarm_freezes_nothing_without_the_policy() {
    let (mut x, bid) = exchange_to_freeze(false);
    assert_eq!(x.apply(2, &Command::Funds(FundsCommand::RaiseAlert)).result, Ok(Ack::Posted));
    assert!(!x.frozen());
    let outcomes = after_alarm(&mut x, bid);
    assert!(outcomes.iter().all(|r| *r != Err(Reject::Frozen)), "{outcomes:?}");
    assert!(outcomes[0].is_ok() && outcomes[3].is_ok() && outcomes[4].is_ok(), "{outcomes:?}");
}

#[test]
fn a_client_cannot_raise_the_alarm() {
    let (mut x, bid) = exchange_to_freeze(true);
    let alarm = Command::Funds(FundsCommand::RaiseAlert);
    assert!(alarm.is_system());
    assert_eq!(x.apply_from(2, &alarm, as_client(&Command::cancel(A, OrderId(1)))).result, Err(Reject::NotPermitted));
    assert!(!x.frozen());
    assert!(after_alarm(&mut x, bid)[0].is_ok());
}

#[test]
fn a_quote_issued_before_the_alarm_cannot_be_accepted_after_it() {
    let (mut x, _) = exchange_to_freeze(true);
    x.apply(1, &deposit(HOUSE, BTC, 1_000_000_000)).result.unwrap();
    x.apply(1, &limit(A, Side::Sell, 20, 5, Tif::Gtc)).result.unwrap();
    let request = Command::Trading(TradingCommand::RequestQuote { user: B, market: M, side: Side::Buy, qty: Qty(1) });
    let Ok(Ack::Quote(q)) = x.apply_from(1, &request, as_client(&request)).result else { panic!("a quote") };
    x.apply(2, &Command::Funds(FundsCommand::RaiseAlert)).result.unwrap();
    let accept = Command::accept_quote(B, q.id);
    assert_eq!(x.apply_from(3, &accept, as_client(&accept)).result, Err(Reject::Frozen));
}
