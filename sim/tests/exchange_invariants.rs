//! Property tests: random command sequences against the reference exchange, with the auditor
//! checking every invariant of SPEC §4 that exists so far after every command:
//! `ledger_balanced`, `conservation`, `no_negative_balance`, `holds_match_open_orders`,
//! `book_uncrossed`, `price_time_priority`, `limit_respected`, `tif_respected`, `quote_honored`,
//! `journal_complete`. Commands include custody's (withdrawals, transfers, reviews, the workers'
//! steps, confirmations, deposits seen) under a tight [`custody_policy`]. A second test shows
//! each check can fail.

use exsim::audit::{Auditor, Invariant};
use exsim::engine::{MatchingEngine, Stp, Tif};
use exsim::exchange::{Ack, Command, Exchange, NewOrder, OrderKind, Quote, QuoteId};
use exsim::fault::FaultSet;
use exsim::ledger::UserId;
use exsim::units::{AssetId, MarketId, Price, Qty, Side};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

use exsim::exchange::{ExchangeConfig, FundsCommand};
use exsim::testkit::commands::{config, custody_policy, decode_any, Ids, USERS};

#[derive(Default, Debug)]
struct Exercised {
    fills: usize,
    rests: usize,
    quotes_filled: usize,
    rejects: usize,
    /// Custody: payments emitted, withdrawals settled, refunded at review, transfers credited,
    /// deposits seen credited.
    payments: usize,
    settled: usize,
    refunded: usize,
    transfers: usize,
    deposits_seen: usize,
}

/// Runs the commands through a fresh exchange under the auditor; panics on the first violation.
fn run(script: &[(u8, u64, u64, u64, u8)]) -> Exercised {
    let mut x = Exchange::new(&ExchangeConfig { custody: custody_policy(), ..config(FaultSet::NONE) }).unwrap();
    let mut auditor = Auditor::new(&x);
    let mut now = 0u64;
    let mut seen = Exercised::default();
    let mut ids = Ids::default();
    for _ in 1..USERS {
        let c = Command::open_account();
        let applied = x.apply(now, &c);
        auditor.observe(&c, &applied);
    }
    for (i, &(kind, a, b, c, dt)) in script.iter().enumerate() {
        now += u64::from(dt);
        let cmd = decode_any(kind, a, b, c, &ids);
        let applied = x.apply(now, &cmd);
        let outcome = applied.result;
        ids.observe(&outcome, applied.intents);
        seen.payments += applied.intents.len();
        match (outcome, cmd) {
            (Ok(Ack::QuoteFilled(_)), _) => seen.quotes_filled += 1,
            (Err(_), _) => seen.rejects += 1,
            (Ok(_), Command::Funds(FundsCommand::PaymentConfirmed { .. })) => seen.settled += 1,
            (Ok(_), Command::Funds(FundsCommand::ReviewWithdrawal { approve: false, .. })) => seen.refunded += 1,
            (Ok(_), Command::Funds(FundsCommand::ProcessTransfer { .. })) => seen.transfers += 1,
            (Ok(_), Command::Funds(FundsCommand::DepositSeen { .. })) => seen.deposits_seen += 1,
            _ => {}
        }
        for (_, e) in applied.events {
            match e {
                exsim::engine::Event::Fill { .. } => seen.fills += 1,
                exsim::engine::Event::Rest { .. } => seen.rests += 1,
                _ => {}
            }
        }
        if auditor.observe(&cmd, &applied) > 0 {
            panic!("after command {i} {cmd:?} -> {outcome:?}: {:#?}", auditor.violations());
        }
    }
    // Full end-of-run scans: the journal replays to every balance; the books are sound.
    let replayed = x.ledger().journal().replay();
    for (account, asset, balance) in x.ledger().balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "{account:?} {asset:?}");
    }
    for m in 0..x.market_count() {
        x.engine(MarketId(m as u16)).check().unwrap();
    }
    seen
}

fn script() -> impl Strategy<Value = Vec<(u8, u64, u64, u64, u8)>> {
    prop::collection::vec((any::<u8>(), any::<u64>(), any::<u64>(), any::<u64>(), 0u8..40), 1..160)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn every_invariant_holds_after_every_command(script in script()) {
        run(&script);
    }
}

/// A long seeded run that must exercise what the invariants are about, so the property above
/// cannot pass by never trading.
#[test]
fn a_long_run_exercises_fills_rests_quotes_and_rejections() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let script: Vec<_> =
        (0..30_000).map(|_| (rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen_range(0..40))).collect();
    let seen = run(&script);
    assert!(seen.fills > 1_000 && seen.rests > 1_000 && seen.quotes_filled > 10 && seen.rejects > 100, "{seen:?}");
    assert!(
        seen.payments > 50 && seen.settled > 20 && seen.refunded > 5 && seen.transfers > 50 && seen.deposits_seen > 20,
        "{seen:?}"
    );
}

/// Each check can fail: feed the auditor outcomes that did not happen.
#[test]
fn the_auditor_catches_lies() {
    let cfg = config(FaultSet::NONE);
    let mut x = Exchange::new(&cfg).unwrap();
    let mut auditor = Auditor::new(&x);
    // A deposit the exchange rejected, reported as accepted: conservation breaks.
    let c = Command::deposit(UserId(9), AssetId(1), 5);
    let mut applied = x.apply(1, &c);
    applied.result = Ok(Ack::Posted);
    auditor.observe(&c, &applied);
    assert_eq!(auditor.violations().last().map(|v| v.invariant), Some(Invariant::Conservation));

    // A command that hides the journal entry it appended: journal_complete breaks.
    let mut x = Exchange::new(&cfg).unwrap();
    let mut auditor = Auditor::new(&x);
    let c = Command::open_account();
    assert_eq!(auditor.observe(&c, &x.apply(1, &c)), 0);
    let c = Command::deposit(UserId(1), AssetId(1), 5);
    let mut applied = x.apply(2, &c);
    assert_eq!(applied.entries, 0..1);
    applied.entries = 1..1;
    assert!(auditor.observe(&c, &applied) > 0);
    assert_eq!(auditor.violations().last().map(|v| v.invariant), Some(Invariant::JournalComplete));

    // A quote reported filled on terms other than those issued: quote_honored breaks.
    let mut x = Exchange::new(&cfg).unwrap();
    let mut auditor = Auditor::new(&x);
    let user = UserId(1);
    for (t, c) in [
        Command::open_account(),
        Command::deposit(UserId::HOUSE, AssetId(0), 100_000_000),
        Command::deposit(user, AssetId(0), 100_000_000),
        Command::deposit(user, AssetId(1), 100_000_000),
        Command::place(NewOrder {
            user,
            market: MarketId(0),
            side: Side::Sell,
            qty: Qty(5),
            kind: OrderKind::Limit { price: Price(100), tif: Tif::Gtc },
            stp: Stp::default(),
        }),
        Command::request_quote(user, MarketId(0), Side::Buy, Qty(1)),
    ]
    .iter()
    .enumerate()
    {
        let applied = x.apply(t as u64, c);
        assert_eq!(auditor.observe(c, &applied), 0);
    }
    let c = Command::accept_quote(user, QuoteId(1));
    let mut applied = x.apply(9, &c);
    let Ok(Ack::QuoteFilled(q)) = applied.result else { panic!("{:?}", applied.result) };
    let lie = Quote { price: Price(q.price.0 - 1), ..q };
    applied.result = Ok(Ack::QuoteFilled(lie));
    auditor.observe(&c, &applied);
    assert_eq!(auditor.violations().last().map(|v| v.invariant), Some(Invariant::QuoteHonored));
    assert_eq!(x.engine(MarketId(0)).len(), 1);
}
