//! Differential property tests: random order flows through the reference `Book` and the simple
//! `testkit::model::Model` side by side (`testkit::flow::differential`).
//!
//! Guarantee: for every generated flow — limit GTC/IOC/FOK/post-only, market orders with and
//! without budgets, cancels, replaces and mass cancels, from three owners with every self-trade
//! mode plus the anonymous owner — both engines return the same results and events, hold the same
//! book after every op, and `Book::check` passes. A failure shrinks to a minimal flow and prints
//! the first divergence.

use exsim::engine::{OrderId, OwnerId, Stp, Tif};
use exsim::testkit::flow::{differential, Budget, Id, Lots, Op, Px, Who, ID_SPACE, OWNER_NAMES, PRICE_HIGH, PRICE_LOW};
use exsim::units::{Price, Qty, Side};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = Id> {
    (1..=ID_SPACE).prop_map(|n| Id(OrderId(n)))
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::ANON), (0..OWNER_NAMES.len()).prop_map(Who::named)]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

/// Mostly a few prices around 100 (so orders cross and queue), rarely an edge.
fn price(low: u64, high: u64) -> impl Strategy<Value = Px> {
    prop_oneof![
        40 => low..=high,
        1 => Just(0u64),
        1 => Just(1u64),
        1 => Just(u64::MAX),
    ]
    .prop_map(|p| Px(Price(p)))
}

fn qty() -> impl Strategy<Value = Lots> {
    prop_oneof![
        40 => 1..=10u64,
        1 => Just(0u64),
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 1),
    ]
    .prop_map(|q| Lots(Qty(q)))
}

fn tif() -> impl Strategy<Value = Tif> {
    prop_oneof![3 => Just(Tif::Gtc), 1 => Just(Tif::Ioc), 1 => Just(Tif::Fok), 1 => Just(Tif::PostOnly)]
}

fn stp() -> impl Strategy<Value = Stp> {
    prop_oneof![Just(Stp::CancelNewest), Just(Stp::CancelOldest), Just(Stp::CancelBoth), Just(Stp::Decrement)]
}

fn budget() -> impl Strategy<Value = Option<Budget>> {
    prop_oneof![
        4 => Just(None),
        4 => (1..3000u128).prop_map(|b| Some(Budget(b))),
        1 => Just(Some(Budget(0))),
        1 => Just(Some(Budget(u128::MAX))),
    ]
}

/// One op; `limits` weighs new limit orders against everything else.
fn op(limits: u32, low: u64, high: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        limits => (id(), who(), side(), price(low, high), qty(), tif(), stp())
            .prop_map(|(id, owner, side, price, qty, tif, stp)| Op::Limit { id, owner, side, price, qty, tif, stp }),
        2 => (id(), who(), side(), qty(), budget(), stp())
            .prop_map(|(id, owner, side, qty, budget, stp)| Op::Market { id, owner, side, qty, budget, stp }),
        2 => id().prop_map(|id| Op::Cancel { id }),
        3 => (id(), price(low, high), qty()).prop_map(|(id, price, qty)| Op::Replace { id, price, qty }),
        1 => who().prop_map(|owner| Op::MassCancel { owner }),
    ]
}

fn check(ops: &[Op]) -> Result<(), TestCaseError> {
    if let Err(divergence) = differential(ops) {
        return Err(TestCaseError::fail(format!("{divergence}\nflow: {:#?}", &ops[..=divergence.index])));
    }
    Ok(())
}

/// `cases` by default; `PROPTEST_CASES=N` runs N instead (for long soaks).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(4000))]

    /// Every op kind, every owner and self-trade mode, prices clustered around 100.
    #[test]
    fn book_agrees_with_the_model(ops in prop::collection::vec(op(5, PRICE_LOW, PRICE_HIGH), 1..80)) {
        check(&ops)?;
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Long flows heavy in limit orders over a wider range: deep books, many levels, long sweeps.
    #[test]
    fn book_agrees_with_the_model_on_deep_books(ops in prop::collection::vec(op(20, 90, 110), 100..300)) {
        check(&ops)?;
    }
}

/// Found by this file: a market order whose budget ran out part way through a maker tripped a
/// `debug_assert` in `Book::take` (it assumed a maker outlives a fill only when the taker is done).
#[test]
fn regression_budget_running_out_inside_a_maker() {
    let budget_market = Op::Market {
        id: Id(OrderId(2)),
        owner: Who::ANON,
        side: Side::Buy,
        qty: Lots(Qty(u64::MAX)),
        budget: Some(Budget(98)),
        stp: Stp::CancelNewest,
    };
    differential(&[Op::gtc(1, Side::Sell, 98, 2), budget_market]).unwrap();
}

/// The anonymous owner is never stopped by self-trade prevention, whatever its mode.
#[test]
fn anonymous_orders_never_self_trade() {
    let anon = |id: u64, side: Side, stp: Stp| Op::Limit {
        id: Id(OrderId(id)),
        owner: Who(OwnerId::NONE),
        side,
        price: Px(Price(100)),
        qty: Lots(Qty(1)),
        tif: Tif::Gtc,
        stp,
    };
    let ops = [anon(1, Side::Sell, Stp::CancelBoth), anon(2, Side::Buy, Stp::CancelNewest)];
    differential(&ops).unwrap();
}
