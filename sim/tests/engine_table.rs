//! Table tests of the matching engine, written in the `exsim book` format (SPEC §8.1): each case
//! is an input flow and the exact output `exsim book` must print for it, through one helper,
//! [`check`]. A few cases the format cannot express (owners, self-trade prevention, mass cancel,
//! market budgets) go through the `MatchingEngine` API, against both the reference `Book` and
//! the simple `Model`.
//!
//! Guarantee: every rule of SPEC §2.2 that the bare format can show has a case here, with the
//! expected output written by hand.

use exsim::bookfile;
use exsim::engine::{
    Book, CancelReason, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, Stp, Tif,
};
use exsim::testkit::model::Model;
use exsim::units::{Price, Qty, Side};

/// Runs `input` through `exsim book` and compares its output with `expected`. Both are texts in
/// the §8.1 format; surrounding whitespace and blank lines are ignored. A malformed input shows
/// as a last line `error: <what exsim book says>`.
#[track_caller]
fn check(input: &str, expected: &str) {
    let mut out = Vec::new();
    let result = bookfile::run(input.as_bytes(), "table", &mut out, false);
    let mut actual = String::from_utf8(out).expect("exsim book writes UTF-8");
    if let Err(error) = result {
        actual.push_str(&format!("error: {error}\n"));
    }
    let tidy = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    assert_eq!(tidy(&actual), tidy(expected), "\ninput:\n{}\n", tidy(input));
}

#[test]
fn empty_book_prints_dashes() {
    check("", "B,-,-");
    check("# only a comment\n\n", "B,-,-");
    check("N,1,B,99,5", "B,99,-");
    check("N,1,S,101,5", "B,-,101");
    check("N,1,B,99,5\nN,2,S,101,5", "B,99,101");
}

#[test]
fn best_price_first_then_earliest_first() {
    check(
        "N,1,S,101,5
         N,2,S,100,5
         N,3,S,100,5
         N,4,B,101,12",
        "T,100,5,2,4
         T,100,5,3,4
         T,101,2,1,4
         B,-,101",
    );
    check(
        "N,1,B,99,1
         N,2,B,100,1
         N,3,B,100,1
         N,4,S,99,3",
        "T,100,1,2,4
         T,100,1,3,4
         T,99,1,1,4
         B,-,-",
    );
}

#[test]
fn fills_execute_at_the_makers_price() {
    check("N,1,B,105,3\nN,2,S,100,2", "T,105,2,1,2\nB,105,-");
    check("N,1,S,95,3\nN,2,B,100,5", "T,95,3,1,2\nB,100,-");
}

#[test]
fn no_fill_beyond_the_takers_limit() {
    check(
        "N,1,S,100,2
         N,2,S,102,2
         N,3,B,101,5",
        "T,100,2,1,3
         B,101,102",
    );
}

#[test]
fn a_partly_filled_maker_keeps_its_place() {
    check(
        "N,1,S,100,10
         N,2,S,100,5
         N,3,B,100,4
         N,4,B,100,7",
        "T,100,4,1,3
         T,100,6,1,4
         T,100,1,2,4
         B,-,100",
    );
}

#[test]
fn a_partly_filled_taker_rests_its_remainder() {
    check("N,1,S,100,2\nN,2,B,100,5\nN,3,S,100,1", "T,100,2,1,2\nT,100,1,2,3\nB,100,-");
}

#[test]
fn ioc_never_rests() {
    check(
        "N,1,S,100,3
         N,2,B,101,5,IOC
         N,3,B,99,1,IOC",
        "T,100,3,1,2
         X,2,2
         X,3,1
         B,-,-",
    );
    check("N,1,S,100,3\nN,2,B,100,3,IOC", "T,100,3,1,2\nB,-,-");
}

#[test]
fn fok_fills_completely() {
    check(
        "N,1,S,100,3
         N,2,S,101,3
         N,3,B,101,6,FOK",
        "T,100,3,1,3
         T,101,3,2,3
         B,-,-",
    );
}

#[test]
fn fok_that_cannot_fill_completely_is_killed_and_changes_nothing() {
    check("N,1,S,100,3\nN,2,B,100,4,FOK\nN,3,B,100,3", "X,2,4\nT,100,3,1,3\nB,-,-");
    // Enough quantity exists, but not within the limit.
    check("N,1,S,100,3\nN,2,S,102,3\nN,3,B,101,5,FOK", "X,3,5\nB,-,100");
    check("N,1,B,100,1,FOK", "X,1,1\nB,-,-");
}

#[test]
fn post_only_that_would_take_is_rejected() {
    check(
        "N,1,S,100,3
         N,2,B,100,1,POST
         N,3,B,99,1,POST
         N,4,S,99,1,POST
         N,5,S,101,1,POST",
        "J,2,would_cross
         J,4,would_cross
         B,99,100",
    );
    // A rejected post-only id stays free.
    check("N,1,S,100,3\nN,2,B,100,1,POST\nN,2,B,99,1,POST\nC,2", "J,2,would_cross\nX,2,1\nB,-,100");
}

#[test]
fn market_orders_take_any_price_and_never_rest() {
    check(
        "N,1,S,100,2
         N,2,S,103,2
         M,3,B,5
         M,4,S,1",
        "T,100,2,1,3
         T,103,2,2,3
         X,3,1
         X,4,1
         B,-,-",
    );
    check("N,1,B,90,2\nN,2,B,80,2\nM,3,S,3", "T,90,2,1,3\nT,80,1,2,3\nB,80,-");
}

#[test]
fn cancel_live_unknown_and_finished_orders() {
    check(
        "N,1,B,99,5
         C,1
         C,1
         C,7
         N,2,S,100,1
         N,3,B,100,1
         C,2
         C,3
         N,4,B,90,1,IOC
         C,4",
        "X,1,5
         J,1,unknown_order
         J,7,unknown_order
         T,100,1,2,3
         J,2,unknown_order
         J,3,unknown_order
         X,4,1
         J,4,unknown_order
         B,-,-",
    );
    // A partly filled order cancels its open remainder only.
    check("N,1,S,100,5\nN,2,B,100,2\nC,1", "T,100,2,1,2\nX,1,3\nB,-,-");
}

#[test]
fn live_ids_are_unique_and_reusable_once_gone() {
    check(
        "N,1,B,99,5
         N,1,S,101,1
         M,1,S,1
         N,1,B,99,1,IOC
         C,1
         N,1,S,101,1
         N,2,B,101,1
         N,1,S,102,2
         N,2,B,50,1",
        "J,1,duplicate_order_id
         J,1,duplicate_order_id
         J,1,duplicate_order_id
         X,1,5
         T,101,1,1,2
         B,50,102",
    );
}

#[test]
fn replace_to_a_lower_quantity_at_the_same_price_keeps_priority() {
    check(
        "N,1,S,100,5
         N,2,S,100,5
         R,1,100,3
         N,3,B,100,4",
        "T,100,3,1,3
         T,100,1,2,3
         B,-,100",
    );
}

#[test]
fn any_other_replace_loses_priority() {
    // Same price, higher quantity.
    check(
        "N,1,S,100,5
         N,2,S,100,5
         R,1,100,6
         N,3,B,100,7",
        "T,100,5,2,3
         T,100,2,1,3
         B,-,100",
    );
    // Same price, same quantity.
    check("N,1,S,100,5\nN,2,S,100,5\nR,1,100,5\nN,3,B,100,1", "T,100,1,2,3\nB,-,100");
    // Another price and back.
    check("N,1,S,100,5\nN,2,S,100,5\nR,1,101,5\nR,1,100,5\nN,3,B,100,6", "T,100,5,2,3\nT,100,1,1,3\nB,-,100");
}

#[test]
fn replace_to_a_crossing_price_takes_as_a_new_aggressor() {
    check(
        "N,1,B,99,5
         N,2,S,101,3
         R,1,101,4",
        "T,101,3,2,1
         B,101,-",
    );
    // It can fill completely and be gone.
    check("N,1,B,99,5\nN,2,S,101,3\nR,1,102,2\nC,1", "T,101,2,2,1\nJ,1,unknown_order\nB,-,101");
}

#[test]
fn replace_of_unknown_or_finished_orders_is_rejected() {
    check("R,9,100,1\nN,1,S,100,1\nN,2,B,100,1\nR,1,100,1", "J,9,unknown_order\nT,100,1,1,2\nJ,1,unknown_order\nB,-,-");
}

#[test]
fn replace_of_a_post_only_order_to_a_crossing_price_is_rejected_and_changes_nothing() {
    check(
        "N,1,B,99,5,POST
         N,2,S,101,3
         R,1,101,5
         N,3,S,99,6",
        "J,1,would_cross
         T,99,5,1,3
         B,-,99",
    );
    // Replaced to a price that does not cross, it stays post-only.
    check("N,1,B,99,5,POST\nN,2,S,101,3\nR,1,100,5\nN,3,S,100,1", "T,100,1,1,3\nB,100,101");
}

#[test]
fn sweeps_across_many_levels() {
    let mut input: String = (1..=10).map(|i| format!("N,{i},S,{},{i}\n", 100 + i)).collect();
    input.push_str("N,11,B,108,40\n");
    let mut expected: String = (1..=8).map(|i| format!("T,{},{i},{i},11\n", 100 + i)).collect();
    expected.push_str("B,108,109\n");
    check(&input, &expected);

    let mut input: String = (1..=50).map(|i| format!("N,{i},B,{},1\n", 1000 - i)).collect();
    input.push_str("M,51,S,60\n");
    let mut expected: String = (1..=50).map(|i| format!("T,{},1,{i},51\n", 1000 - i)).collect();
    expected.push_str("X,51,10\nB,-,-\n");
    check(&input, &expected);
}

#[test]
fn extreme_values_are_exact() {
    let max = u64::MAX;
    check(
        &format!("N,{max},S,{max},{max}\nN,1,S,1,{max}\nN,2,B,{max},{max}\nN,3,B,{max},2"),
        &format!("T,1,{max},1,2\nT,{max},2,{max},3\nB,-,{max}"),
    );
}

#[test]
fn a_malformed_line_stops_the_run_after_what_came_before() {
    check(
        "N,1,S,100,1
         N,2,X,100,1
         N,3,B,100,1",
        r#"error: table:2: field 3 (side): expected B or S, found "X""#,
    );
    check(
        "N,1,S,100,1\nN,2,B,100,1\nC,0",
        "T,100,1,1,2\nerror: table:3: field 2 (id): expected an integer from 1 to 18446744073709551615, found \"0\"",
    );
    check("N,1,B,0,1", "error: table:1: field 4 (price): expected an integer number of ticks from 1 to 18446744073709551615, found \"0\"");
}

// ---- Through the API: what the bare format cannot say. ----

const ALICE: OwnerId = OwnerId(1);
const BOB: OwnerId = OwnerId(2);

fn limit(id: u64, owner: OwnerId, side: Side, price: u64, qty: u64, tif: Tif, stp: Stp) -> LimitOrder {
    LimitOrder { id: OrderId(id), owner, side, price: Price(price), qty: Qty(qty), tif, stp }
}

fn gtc(id: u64, owner: OwnerId, side: Side, price: u64, qty: u64) -> LimitOrder {
    limit(id, owner, side, price, qty, Tif::Gtc, Stp::default())
}

fn fill(maker: u64, taker: u64, price: u64, qty: u64) -> Event {
    Event::Fill { maker: OrderId(maker), taker: OrderId(taker), price: Price(price), qty: Qty(qty) }
}

fn cancel(id: u64, qty: u64, reason: CancelReason) -> Event {
    Event::Cancel { id: OrderId(id), qty: Qty(qty), reason }
}

fn rest(id: u64, side: Side, price: u64, qty: u64) -> Event {
    Event::Rest { id: OrderId(id), side, price: Price(price), qty: Qty(qty) }
}

fn open(engine: &dyn MatchingEngine, id: u64) -> Option<u64> {
    engine.order(OrderId(id)).map(|o| o.qty.0)
}

/// Runs `case` against the reference book and the simple model.
fn both(case: impl Fn(&mut dyn MatchingEngine)) {
    case(&mut Book::new());
    case(&mut Model::new());
}

/// Places `orders` on a fresh engine, checking they all rest.
fn setup(engine: &mut dyn MatchingEngine, orders: &[LimitOrder]) {
    for order in orders {
        let mut out = Vec::new();
        engine.limit(*order, &mut out).unwrap();
        assert!(matches!(out.last(), Some(Event::Rest { .. })), "setup order {order:?} did not rest: {out:?}");
    }
}

#[test]
fn stp_cancel_newest_cancels_the_takers_remainder() {
    both(|e| {
        setup(e, &[gtc(3, BOB, Side::Sell, 99, 1), gtc(1, ALICE, Side::Sell, 100, 5)]);
        let mut out = Vec::new();
        e.limit(limit(2, ALICE, Side::Buy, 100, 3, Tif::Gtc, Stp::CancelNewest), &mut out).unwrap();
        assert_eq!(out, [fill(3, 2, 99, 1), cancel(2, 2, CancelReason::SelfTrade)]);
        assert_eq!((open(e, 1), open(e, 2)), (Some(5), None));
    });
}

#[test]
fn stp_cancel_oldest_cancels_the_maker_and_goes_on() {
    both(|e| {
        setup(e, &[gtc(1, ALICE, Side::Sell, 100, 5), gtc(3, BOB, Side::Sell, 100, 2)]);
        let mut out = Vec::new();
        e.limit(limit(2, ALICE, Side::Buy, 100, 3, Tif::Gtc, Stp::CancelOldest), &mut out).unwrap();
        assert_eq!(out, [cancel(1, 5, CancelReason::SelfTrade), fill(3, 2, 100, 2), rest(2, Side::Buy, 100, 1)]);
        assert_eq!((e.best_bid(), e.best_ask()), (Some(Price(100)), None));
    });
}

#[test]
fn stp_cancel_both_cancels_maker_and_taker() {
    both(|e| {
        setup(e, &[gtc(1, ALICE, Side::Sell, 100, 5), gtc(3, BOB, Side::Sell, 100, 2)]);
        let mut out = Vec::new();
        e.market(
            MarketOrder {
                id: OrderId(2),
                owner: ALICE,
                side: Side::Buy,
                qty: Qty(3),
                budget: None,
                stp: Stp::CancelBoth,
            },
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [cancel(1, 5, CancelReason::SelfTrade), cancel(2, 3, CancelReason::SelfTrade)]);
        assert_eq!((open(e, 1), open(e, 3)), (None, Some(2)));
    });
}

#[test]
fn stp_decrement_reduces_both_without_a_trade() {
    both(|e| {
        setup(e, &[gtc(1, ALICE, Side::Sell, 100, 2), gtc(3, BOB, Side::Sell, 100, 2)]);
        let mut out = Vec::new();
        e.limit(limit(2, ALICE, Side::Buy, 100, 3, Tif::Ioc, Stp::Decrement), &mut out).unwrap();
        assert_eq!(
            out,
            [cancel(1, 2, CancelReason::SelfTrade), cancel(2, 2, CancelReason::SelfTrade), fill(3, 2, 100, 1)]
        );
        assert_eq!((open(e, 1), open(e, 3)), (None, Some(1)));
        // The maker outlives a smaller taker, reduced.
        let mut out = Vec::new();
        setup(e, &[gtc(4, BOB, Side::Buy, 90, 5)]);
        e.limit(limit(5, BOB, Side::Sell, 90, 2, Tif::Gtc, Stp::Decrement), &mut out).unwrap();
        assert_eq!(out, [cancel(4, 2, CancelReason::SelfTrade), cancel(5, 2, CancelReason::SelfTrade)]);
        assert_eq!((open(e, 4), open(e, 5)), (Some(3), None));
    });
}

#[test]
fn fok_that_would_meet_its_own_order_is_killed() {
    both(|e| {
        setup(e, &[gtc(3, BOB, Side::Sell, 99, 1), gtc(1, ALICE, Side::Sell, 100, 5)]);
        let mut out = Vec::new();
        e.limit(limit(2, ALICE, Side::Buy, 100, 2, Tif::Fok, Stp::CancelOldest), &mut out).unwrap();
        assert_eq!(out, [cancel(2, 2, CancelReason::Killed)]);
        assert_eq!((open(e, 1), open(e, 3)), (Some(5), Some(1)));
        // Filled completely before reaching its own order: fine.
        out.clear();
        e.limit(limit(4, ALICE, Side::Buy, 100, 1, Tif::Fok, Stp::CancelNewest), &mut out).unwrap();
        assert_eq!(out, [fill(3, 4, 99, 1)]);
    });
}

#[test]
fn the_anonymous_owner_never_self_trades() {
    both(|e| {
        setup(e, &[gtc(1, OwnerId::NONE, Side::Sell, 100, 5)]);
        let mut out = Vec::new();
        e.limit(limit(2, OwnerId::NONE, Side::Buy, 100, 3, Tif::Gtc, Stp::CancelBoth), &mut out).unwrap();
        assert_eq!(out, [fill(1, 2, 100, 3)]);
    });
}

#[test]
fn mass_cancel_takes_bids_then_asks_best_first_earliest_first() {
    both(|e| {
        setup(
            e,
            &[
                gtc(1, ALICE, Side::Buy, 99, 1),
                gtc(2, ALICE, Side::Buy, 100, 2),
                gtc(3, ALICE, Side::Buy, 99, 3),
                gtc(4, ALICE, Side::Sell, 102, 4),
                gtc(5, ALICE, Side::Sell, 101, 5),
                gtc(6, BOB, Side::Buy, 100, 6),
            ],
        );
        let mut out = Vec::new();
        e.mass_cancel(ALICE, &mut out);
        let r = CancelReason::MassCancelled;
        assert_eq!(out, [cancel(2, 2, r), cancel(1, 1, r), cancel(3, 3, r), cancel(5, 5, r), cancel(4, 4, r)]);
        assert_eq!(e.len(), 1);
        out.clear();
        e.mass_cancel(ALICE, &mut out);
        assert!(out.is_empty());
    });
}

#[test]
fn market_budget_caps_the_notional() {
    both(|e| {
        setup(e, &[gtc(1, BOB, Side::Sell, 100, 2), gtc(2, BOB, Side::Sell, 101, 5)]);
        let market = |id, qty, budget| MarketOrder {
            id: OrderId(id),
            owner: ALICE,
            side: Side::Buy,
            qty: Qty(qty),
            budget: Some(budget),
            stp: Stp::default(),
        };
        let mut out = Vec::new();
        assert_eq!(e.market(market(3, 1, 0), &mut out), Err(EngineReject::InvalidQuantity));
        assert!(out.is_empty());
        // 2 × 100 + 1 × 101 = 301 of 350; 49 left buys nothing at 101.
        e.market(market(3, 10, 350), &mut out).unwrap();
        assert_eq!(out, [fill(1, 3, 100, 2), fill(2, 3, 101, 1), cancel(3, 7, CancelReason::Unfilled)]);
        // A budget that pays exactly.
        out.clear();
        e.market(market(4, 10, 202), &mut out).unwrap();
        assert_eq!(out, [fill(2, 4, 101, 2), cancel(4, 8, CancelReason::Unfilled)]);
        // The quantity still caps a generous budget.
        out.clear();
        e.market(market(5, 1, u128::MAX), &mut out).unwrap();
        assert_eq!(out, [fill(2, 5, 101, 1)]);
        assert_eq!(open(e, 2), Some(1));
    });
}

#[test]
fn replace_events_reduce_in_place_or_requeue_then_re_enter() {
    both(|e| {
        setup(e, &[gtc(1, ALICE, Side::Buy, 99, 5), gtc(2, BOB, Side::Sell, 101, 3)]);
        let mut out = Vec::new();
        e.replace(OrderId(1), Price(99), Qty(4), &mut out).unwrap();
        assert_eq!(out, [Event::Reduce { id: OrderId(1), qty: Qty(4) }]);
        out.clear();
        e.replace(OrderId(1), Price(101), Qty(4), &mut out).unwrap();
        assert_eq!(
            out,
            [
                Event::Requeue { id: OrderId(1), side: Side::Buy, price: Price(101), qty: Qty(4) },
                fill(2, 1, 101, 3),
                rest(1, Side::Buy, 101, 1),
            ]
        );
        assert_eq!(e.replace(OrderId(1), Price(101), Qty(0), &mut out), Err(EngineReject::InvalidQuantity));
        assert_eq!(e.replace(OrderId(1), Price(0), Qty(1), &mut out), Err(EngineReject::InvalidPrice));
        assert_eq!(e.replace(OrderId(9), Price(1), Qty(1), &mut out), Err(EngineReject::UnknownOrder));
    });
}

#[test]
fn replace_keeps_the_owner_and_self_trade_mode() {
    both(|e| {
        setup(e, &[limit(1, ALICE, Side::Buy, 99, 5, Tif::Gtc, Stp::CancelOldest), gtc(2, ALICE, Side::Sell, 101, 3)]);
        let mut out = Vec::new();
        e.replace(OrderId(1), Price(101), Qty(5), &mut out).unwrap();
        assert_eq!(
            out,
            [
                Event::Requeue { id: OrderId(1), side: Side::Buy, price: Price(101), qty: Qty(5) },
                cancel(2, 3, CancelReason::SelfTrade),
                rest(1, Side::Buy, 101, 5),
            ]
        );
        assert_eq!(e.order(OrderId(1)).map(|o| o.owner), Some(ALICE));
    });
}
