//! Structured order flows and the differential check that runs them through two engines.
//!
//! A [`Flow`] is a list of [`Op`]s drawn (by `arbitrary`, proptest or hand) from a deliberately
//! small world — eight order ids, three named owners plus [`OwnerId::NONE`], a handful of prices
//! around 100 and small quantities, with rare extremes (price 1 and `u64::MAX`, quantity
//! `u64::MAX`, zeros that must be rejected) — so that cancels, replaces, duplicates, self-trades
//! and crossings happen often. Every field's `Debug` is short (`#3`, `alice`, `101`), so a
//! failing flow prints as a readable reproducer.
//!
//! Guarantee of [`differential`]: it returns `Ok` only if, after every op, the reference
//! [`Book`] and the simple [`Model`] returned the same result and the same events in the same
//! order, hold exactly the same resting orders in the same queue order, `Book::check` passes,
//! the book is not crossed, and a rejected op emitted nothing and changed nothing. Otherwise it
//! returns the first [`Divergence`].

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};

use super::model::Model;
use crate::engine::{
    Book, EngineReject, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, RestingOrder, Stp, Tif,
};
use crate::units::{Price, Qty, Side};

/// The most ops a flow holds; longer inputs are cut (fuzzing) or never generated (tests).
pub const MAX_OPS: usize = 512;

/// Order ids used by generated flows: `1..=ID_SPACE`.
pub const ID_SPACE: u64 = 8;

/// The named owners of generated flows, besides [`OwnerId::NONE`].
pub const OWNER_NAMES: [&str; 3] = ["alice", "bob", "carol"];

/// The most common prices of generated flows: `PRICE_LOW..=PRICE_HIGH` ticks.
pub const PRICE_LOW: u64 = 98;
/// See [`PRICE_LOW`].
pub const PRICE_HIGH: u64 = 104;

/// An order id; `Debug` prints `#3`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Id(pub OrderId);

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0 .0)
    }
}

impl<'a> Arbitrary<'a> for Id {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Id(OrderId(u.int_in_range(1..=ID_SPACE)?)))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// An owner; `Debug` prints `alice`, `bob`, `carol`, or `anon` for [`OwnerId::NONE`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Who(pub OwnerId);

impl Who {
    /// The owner named `OWNER_NAMES[i]`.
    pub fn named(i: usize) -> Who {
        assert!(i < OWNER_NAMES.len(), "owner {i} has no name");
        Who(OwnerId(i as u32))
    }
    /// The anonymous owner, which never self-trades.
    pub const ANON: Who = Who(OwnerId::NONE);
}

impl fmt::Debug for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == OwnerId::NONE {
            return f.write_str("anon");
        }
        match OWNER_NAMES.get(self.0 .0 as usize) {
            Some(name) => f.write_str(name),
            None => write!(f, "owner{}", self.0 .0),
        }
    }
}

impl<'a> Arbitrary<'a> for Who {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let i = u.int_in_range(0..=OWNER_NAMES.len())?;
        Ok(if i == OWNER_NAMES.len() { Who::ANON } else { Who::named(i) })
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// A limit price in ticks; `Debug` prints the number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Px(pub Price);

impl fmt::Debug for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0 .0)
    }
}

impl<'a> Arbitrary<'a> for Px {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Px(Price(match u8::arbitrary(u)? {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            n => PRICE_LOW + u64::from(n) % (PRICE_HIGH - PRICE_LOW + 1),
        })))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// A quantity in lots; `Debug` prints the number (`MAX` for `u64::MAX`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Lots(pub Qty);

impl fmt::Debug for Lots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 .0 {
            u64::MAX => f.write_str("MAX"),
            n => write!(f, "{n}"),
        }
    }
}

impl<'a> Arbitrary<'a> for Lots {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Lots(Qty(match u8::arbitrary(u)? {
            0 => 0,
            1 => u64::MAX,
            2 => u64::MAX - 1,
            n => 1 + u64::from(n) % 10,
        })))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// A market order's budget, a cap on Σ price × qty in tick·lots; `Debug` prints the number
/// (`MAX` for `u128::MAX`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Budget(pub u128);

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            u128::MAX => f.write_str("MAX"),
            n => write!(f, "{n}"),
        }
    }
}

impl<'a> Arbitrary<'a> for Budget {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Budget(match u16::arbitrary(u)? {
            0 => 0,
            1 => u128::MAX,
            n => u128::from(n % 2500),
        }))
    }
    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (2, Some(2))
    }
}

/// One message of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum Op {
    /// A new limit order.
    Limit { id: Id, owner: Who, side: Side, price: Px, qty: Lots, tif: Tif, stp: Stp },
    /// A new market order, optionally capped by a budget.
    Market { id: Id, owner: Who, side: Side, qty: Lots, budget: Option<Budget>, stp: Stp },
    /// Cancel one order.
    Cancel { id: Id },
    /// Replace an order's price and open quantity.
    Replace { id: Id, price: Px, qty: Lots },
    /// Cancel every resting order of one owner.
    MassCancel { owner: Who },
}

impl Op {
    /// An anonymous GTC limit order (no self-trade prevention), for hand-written flows.
    pub fn gtc(id: u64, side: Side, price: u64, qty: u64) -> Op {
        Op::Limit {
            id: Id(OrderId(id)),
            owner: Who::ANON,
            side,
            price: Px(Price(price)),
            qty: Lots(Qty(qty)),
            tif: Tif::Gtc,
            stp: Stp::default(),
        }
    }
}

/// Applies one op to an engine, appending its events to `out`.
pub fn apply<E: MatchingEngine + ?Sized>(engine: &mut E, op: Op, out: &mut Vec<Event>) -> Result<(), EngineReject> {
    match op {
        Op::Limit { id, owner, side, price, qty, tif, stp } => {
            engine.limit(LimitOrder { id: id.0, owner: owner.0, side, price: price.0, qty: qty.0, tif, stp }, out)
        }
        Op::Market { id, owner, side, qty, budget, stp } => engine
            .market(MarketOrder { id: id.0, owner: owner.0, side, qty: qty.0, budget: budget.map(|b| b.0), stp }, out),
        Op::Cancel { id } => engine.cancel(id.0, out),
        Op::Replace { id, price, qty } => engine.replace(id.0, price.0, qty.0, out),
        Op::MassCancel { owner } => {
            engine.mass_cancel(owner.0, out);
            Ok(())
        }
    }
}

/// A flow of at most [`MAX_OPS`] ops; `Debug` prints one op a line.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Flow(pub Vec<Op>);

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Flow [")?;
        for (i, op) in self.0.iter().enumerate() {
            writeln!(f, "  {i:>3}: {op:?}")?;
        }
        write!(f, "]")
    }
}

impl<'a> Arbitrary<'a> for Flow {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut ops = Vec::new();
        for op in u.arbitrary_iter::<Op>()? {
            ops.push(op?);
            if ops.len() == MAX_OPS {
                break;
            }
        }
        Ok(Flow(ops))
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            ops.push(Op::arbitrary(&mut u)?);
        }
        Ok(Flow(ops))
    }
}

/// Best bid and best ask.
pub type Top = (Option<Price>, Option<Price>);

/// What one engine did with one op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub result: Result<(), EngineReject>,
    pub events: Vec<Event>,
    pub top: Top,
}

/// The first op after which the engine under test and the model disagree (or the engine broke
/// a rule of the contract on its own).
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Position of the op in the flow.
    pub index: usize,
    /// The op.
    pub op: Op,
    /// What differed or which rule broke.
    pub what: String,
    /// What the engine under test (the [`Book`]) did.
    pub book: Step,
    /// What the [`Model`] did.
    pub model: Step,
}

fn show_top(top: Top) -> String {
    let side = |p: Option<Price>| p.map_or_else(|| "-".to_owned(), |p| p.0.to_string());
    format!("B,{},{}", side(top.0), side(top.1))
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "engine and model diverge at op {}: {}", self.index, self.what)?;
        writeln!(f, "  op:    {:?}", self.op)?;
        for (name, step) in [("book", &self.book), ("model", &self.model)] {
            writeln!(f, "  {name:<5}  {:?}, top {}", step.result, show_top(step.top))?;
            for event in &step.events {
                writeln!(f, "           {event:?}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Divergence {}

/// Every resting order, bids then asks, each in queue order.
fn snapshot<E: MatchingEngine + ?Sized>(engine: &E) -> Vec<RestingOrder> {
    let mut orders = Vec::with_capacity(engine.len());
    engine.resting(Side::Buy, &mut |o| orders.push(o));
    engine.resting(Side::Sell, &mut |o| orders.push(o));
    orders
}

/// Runs `ops` through the reference [`Book`] and the simple [`Model`] side by side, with
/// `Book::check` after every op; returns the first divergence. See the module docs.
pub fn differential(ops: &[Op]) -> Result<(), Box<Divergence>> {
    side_by_side(&mut Book::new(), Book::check, ops)
}

/// Runs `ops` through `engine` and a fresh [`Model`] side by side, calling `check` on the engine
/// after every op; returns the first divergence. This is how any [`MatchingEngine`] is checked
/// against the model (SPEC §12).
pub fn side_by_side<E: MatchingEngine>(
    engine: &mut E,
    check: impl Fn(&E) -> Result<(), String>,
    ops: &[Op],
) -> Result<(), Box<Divergence>> {
    let mut model = Model::new();
    let (mut engine_events, mut model_events) = (Vec::new(), Vec::new());
    for (index, &op) in ops.iter().enumerate() {
        let before = snapshot(engine);
        engine_events.clear();
        model_events.clear();
        let engine_result = apply(engine, op, &mut engine_events);
        let model_result = apply(&mut model, op, &mut model_events);
        let after = snapshot(engine);
        let book =
            Step { result: engine_result, events: engine_events.clone(), top: (engine.best_bid(), engine.best_ask()) };
        let model_step =
            Step { result: model_result, events: model_events.clone(), top: (model.best_bid(), model.best_ask()) };
        let what = if book.result != model_step.result {
            Some("results differ".to_owned())
        } else if book.events != model_step.events {
            Some("events differ".to_owned())
        } else if book.top != model_step.top {
            Some("tops of book differ".to_owned())
        } else if after != snapshot(&model) || engine.len() != model.len() {
            Some(format!("resting orders differ:\n    book:  {after:?}\n    model: {:?}", snapshot(&model)))
        } else if let Err(broken) = check(engine) {
            Some(format!("engine self-check failed: {broken}"))
        } else if matches!(book.top, (Some(bid), Some(ask)) if bid >= ask) {
            Some("book crossed".to_owned())
        } else if book.result.is_err() && (!book.events.is_empty() || before != after) {
            Some("a rejected op emitted events or changed the book".to_owned())
        } else {
            None
        };
        if let Some(what) = what {
            return Err(Box::new(Divergence { index, op, what, book, model: model_step }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_reads_as_a_scenario() {
        let op = Op::Limit {
            id: Id(OrderId(3)),
            owner: Who::named(0),
            side: Side::Buy,
            price: Px(Price(101)),
            qty: Lots(Qty(5)),
            tif: Tif::Ioc,
            stp: Stp::Decrement,
        };
        assert_eq!(
            format!("{op:?}"),
            "Limit { id: #3, owner: alice, side: Buy, price: 101, qty: 5, tif: Ioc, stp: Decrement }"
        );
        assert_eq!(format!("{:?}", Op::MassCancel { owner: Who::ANON }), "MassCancel { owner: anon }");
    }

    #[test]
    fn flows_are_capped() {
        let data = vec![7u8; 64 * 1024];
        let flow = Flow::arbitrary_take_rest(Unstructured::new(&data)).unwrap();
        assert_eq!(flow.0.len(), MAX_OPS);
    }

    #[test]
    fn a_simple_cross_agrees() {
        let ops = [Op::gtc(1, Side::Sell, 101, 5), Op::gtc(2, Side::Sell, 100, 5), Op::gtc(3, Side::Buy, 101, 7)];
        differential(&ops).unwrap();
    }
}
