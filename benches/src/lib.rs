//! Bench helpers (see benches/README.md): one order flow through exsim's bare [`Book`] and
//! through the independent `lobster` 0.7 `OrderBook`, with their fills in one comparable form.
//!
//! Both sides start from a fresh, empty book and see the same messages in the same order.
//! A [`Fill`] is `(price, qty, maker, taker)` in the order the engine produced it; an
//! [`Outcome`] is the fill count and a digest over that sequence, so two engines agree exactly
//! when their outcomes are equal (and [`exsim_fills`] / [`lobster_fills`] show where they part).
//!
//! Invariants:
//! - only the subset both engines support is translated — GTC limit orders, market orders by
//!   quantity, cancels; anything else is refused by [`to_lobster`], never approximated;
//! - ids map u64 → u128 unchanged, sides Buy → Bid and Sell → Ask; lobster's `order_1` is the
//!   taker and `order_2` the maker;
//! - the digest is FNV-1a over the little-endian fields of each fill in order: fixed, seedless,
//!   the same on every machine.

use exsim::bookfile::{apply, Message};
use exsim::engine::{Book, Event, Tif};
use exsim::units::Side;
use lobster::{OrderBook, OrderEvent, OrderType};

/// One fill: `qty` lots at `price` (the maker's) between resting `maker` and incoming `taker`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub price: u64,
    pub qty: u64,
    pub maker: u64,
    pub taker: u64,
}

/// What a flow did, in a form two engines can be compared by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Number of fills.
    pub fills: u64,
    /// FNV-1a over every fill's `(price, qty, maker, taker)`, in order.
    pub digest: u64,
}

/// A running [`Outcome`].
#[derive(Clone, Copy, Debug)]
pub struct Digest(Outcome);

impl Default for Digest {
    fn default() -> Self {
        Digest(Outcome { fills: 0, digest: 0xcbf2_9ce4_8422_2325 })
    }
}

impl Digest {
    /// Adds one fill.
    #[inline]
    pub fn add(&mut self, fill: Fill) {
        let mut h = self.0.digest;
        for field in [fill.price, fill.qty, fill.maker, fill.taker] {
            for byte in field.to_le_bytes() {
                h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        self.0 = Outcome { fills: self.0.fills + 1, digest: h };
    }

    /// The outcome so far.
    pub fn outcome(&self) -> Outcome {
        self.0
    }
}

/// A message lobster 0.7 has no equivalent for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported(pub Message);

/// The lobster order for `message`: GTC limits, markets and cancels only.
pub fn to_lobster(message: &Message) -> Result<OrderType, Unsupported> {
    let side = |side: Side| match side {
        Side::Buy => lobster::Side::Bid,
        Side::Sell => lobster::Side::Ask,
    };
    match *message {
        Message::New { id, side: s, price, qty, tif: Tif::Gtc } => {
            Ok(OrderType::Limit { id: u128::from(id.0), side: side(s), qty: qty.0, price: price.0 })
        }
        Message::Market { id, side: s, qty } => {
            Ok(OrderType::Market { id: u128::from(id.0), side: side(s), qty: qty.0 })
        }
        Message::Cancel { id } => Ok(OrderType::Cancel { id: u128::from(id.0) }),
        Message::New { .. } | Message::Replace { .. } => Err(Unsupported(*message)),
    }
}

/// The whole flow as lobster orders; panics naming the first message lobster cannot take.
pub fn lobster_orders(messages: &[Message]) -> Vec<OrderType> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            to_lobster(m).unwrap_or_else(|Unsupported(m)| panic!("message {i} ({m:?}) has no lobster equivalent"))
        })
        .collect()
}

/// Runs `messages` through a fresh exsim [`Book`], calling `on_fill` for each fill in order.
/// Rejections (cancels of orders already filled: `unknown_order`) change nothing and are skipped.
#[inline]
pub fn exsim_each_fill(messages: &[Message], mut on_fill: impl FnMut(Fill)) {
    let mut book = Book::new();
    let mut events = Vec::with_capacity(64);
    for &message in messages {
        events.clear();
        if apply(&mut book, message, &mut events).is_ok() {
            for event in &events {
                if let Event::Fill { maker, taker, price, qty } = *event {
                    on_fill(Fill { price: price.0, qty: qty.0, maker: maker.0, taker: taker.0 });
                }
            }
        }
    }
}

/// Runs `orders` through a fresh lobster `OrderBook` (its default constructor), calling
/// `on_fill` for each fill in order.
#[inline]
pub fn lobster_each_fill(orders: &[OrderType], mut on_fill: impl FnMut(Fill)) {
    let mut book = OrderBook::default();
    for &order in orders {
        if let OrderEvent::Filled { fills, .. } | OrderEvent::PartiallyFilled { fills, .. } = book.execute(order) {
            for f in fills {
                on_fill(Fill { price: f.price, qty: f.qty, maker: narrow(f.order_2), taker: narrow(f.order_1) });
            }
        }
    }
}

fn narrow(id: u128) -> u64 {
    u64::try_from(id).expect("ids came from u64")
}

/// Every exsim fill of the flow, in order.
pub fn exsim_fills(messages: &[Message]) -> Vec<Fill> {
    let mut fills = Vec::new();
    exsim_each_fill(messages, |f| fills.push(f));
    fills
}

/// Every lobster fill of the flow, in order.
pub fn lobster_fills(orders: &[OrderType]) -> Vec<Fill> {
    let mut fills = Vec::new();
    lobster_each_fill(orders, |f| fills.push(f));
    fills
}

/// exsim's outcome for the flow.
pub fn exsim_outcome(messages: &[Message]) -> Outcome {
    let mut digest = Digest::default();
    exsim_each_fill(messages, |f| digest.add(f));
    digest.outcome()
}

/// lobster's outcome for the flow.
pub fn lobster_outcome(orders: &[OrderType]) -> Outcome {
    let mut digest = Digest::default();
    lobster_each_fill(orders, |f| digest.add(f));
    digest.outcome()
}

/// The timed exsim kernel: a fresh book, every message, the number of fills.
pub fn exsim_run(messages: &[Message]) -> u64 {
    let mut fills = 0;
    exsim_each_fill(messages, |_| fills += 1);
    fills
}

/// The timed lobster kernel: a fresh book, every order, the number of fills.
pub fn lobster_run(orders: &[OrderType]) -> u64 {
    let mut fills = 0;
    lobster_each_fill(orders, |_| fills += 1);
    fills
}

#[cfg(test)]
mod tests {
    use super::*;
    use exsim::engine::OrderId;
    use exsim::units::{Price, Qty};

    fn new(id: u64, side: Side, price: u64, qty: u64) -> Message {
        Message::New { id: OrderId(id), side, price: Price(price), qty: Qty(qty), tif: Tif::Gtc }
    }

    #[test]
    fn a_hand_written_flow_fills_alike_in_both() {
        let flow = [
            new(1, Side::Sell, 101, 5),
            new(2, Side::Sell, 101, 5),
            new(3, Side::Sell, 102, 5),
            new(4, Side::Buy, 99, 5),
            Message::Cancel { id: OrderId(1) },
            new(5, Side::Buy, 102, 7),
            Message::Market { id: OrderId(6), side: Side::Sell, qty: Qty(9) },
        ];
        let expected = vec![
            Fill { price: 101, qty: 5, maker: 2, taker: 5 },
            Fill { price: 102, qty: 2, maker: 3, taker: 5 },
            Fill { price: 99, qty: 5, maker: 4, taker: 6 },
        ];
        assert_eq!(exsim_fills(&flow), expected);
        assert_eq!(lobster_fills(&lobster_orders(&flow)), expected);
        assert_eq!(exsim_outcome(&flow), lobster_outcome(&lobster_orders(&flow)));
        assert_eq!(exsim_outcome(&flow).fills, 3);
    }

    #[test]
    fn unsupported_messages_are_refused() {
        let ioc = Message::New { id: OrderId(1), side: Side::Buy, price: Price(1), qty: Qty(1), tif: Tif::Ioc };
        assert!(matches!(to_lobster(&ioc), Err(Unsupported(m)) if m == ioc));
        let replace = Message::Replace { id: OrderId(1), price: Price(1), qty: Qty(1) };
        assert!(to_lobster(&replace).is_err());
    }
}
