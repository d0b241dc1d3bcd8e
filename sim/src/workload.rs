//! Seeded order flows for the benches (and any test that wants a realistic stream): deterministic
//! generators of `exsim book` messages (SPEC §8.1).
//!
//! | flow | shape |
//! |---|---|
//! | [`quantcup`] | QuantCup-2011-style feed: limits clustered around a drifting mid, small spread, ~45% cancels, some crossing |
//! | [`cancel_heavy`] | ~30% cancels, ~10% aggressive (market orders, or limits priced through the opposite best), the rest passive |
//! | [`deep_book`] | thousands of levels per side, few cancels: inserts and cancels deep in the ladder |
//! | [`cancel_storm`] | bursts of adds near the top, then bursts cancelling most of what rests |
//! | [`wide_sweep`] | small orders over hundreds of levels, and big orders sweeping many of them at once |
//!
//! Each generator keeps its own small price-time book (`Shadow`) of what it has sent, so it
//! knows which of its orders still rest, and where the best prices are. That book only steers
//! the generator's choices (which id to cancel, where "passive" and "aggressive" are); the
//! engines under test never see it, and if it were wrong a cancel would merely name a filled
//! order, which every engine must answer anyway (`J,<id>,unknown_order`; lobster ignores it).
//!
//! Invariants (tested below):
//! - **deterministic**: the same flow, seed and `n` give the same messages on every machine and
//!   run — `ChaCha8Rng`, one stream per flow, ordered maps only, integer draws
//!   only: no floating point picks a price, a quantity or even a probability (percentages are
//!   `gen_range(0..100)`); a shorter flow is a prefix of a longer one;
//! - exactly `n` messages;
//! - ids are 1, 2, 3, … in the order orders are created and are **never reused** (lobster 0.7
//!   keeps filled ids in its map, so a reused id would not mean the same thing to both engines);
//! - only GTC limit orders, market orders by quantity and cancels — the subset lobster 0.7 also
//!   supports — so a bench can run the same flow through both engines;
//! - every cancel names a limit order of this flow, at most once. It rests when the cancel
//!   arrives, except the documented share of *late* cancels, which name an order that has just
//!   filled completely (a cancel racing a fill, as in real feeds);
//! - every price and quantity is ≥ 1 and far from overflow (prices < 2^21, quantities < 2^17).

use std::collections::{BTreeMap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bookfile::Message;
use crate::engine::{OrderId, Tif};
use crate::units::{Price, Qty, Side};

/// A flow generator's signature: `(seed, n) -> n messages`.
pub type Flow = fn(u64, usize) -> Vec<Message>;

/// Every flow of this module with its name, in a fixed order (for tests and benches).
pub const FLOWS: [(&str, Flow); 5] = [
    ("quantcup", quantcup),
    ("cancel_heavy", cancel_heavy),
    ("deep_book", deep_book),
    ("cancel_storm", cancel_storm),
    ("wide_sweep", wide_sweep),
];

/// How many messages of each kind a flow holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mix {
    /// `N` lines (all GTC here).
    pub limits: usize,
    /// `M` lines.
    pub markets: usize,
    /// `C` lines.
    pub cancels: usize,
    /// `R` lines (none in these flows).
    pub replaces: usize,
}

/// Counts the kinds of message in `flow`.
pub fn mix(flow: &[Message]) -> Mix {
    let mut mix = Mix::default();
    for message in flow {
        match message {
            Message::New { .. } => mix.limits += 1,
            Message::Market { .. } => mix.markets += 1,
            Message::Cancel { .. } => mix.cancels += 1,
            Message::Replace { .. } => mix.replaces += 1,
        }
    }
    mix
}

/// QuantCup-2011-style feed (the contest's scoring feed is limit orders and cancels only).
///
/// - the mid starts at 5000 ticks and takes a ±1 step with probability 1/8 per message,
///   reflected inside [4900, 5100];
/// - 45%: a cancel; 1 in 10 of them late (of an order that has just filled), the others of a
///   uniformly chosen resting order;
/// - 55%: a GTC limit, buy or sell with equal odds; buys at `mid + 1 - U[0,10]`, sells at
///   `mid - 1 + U[0,10]`, whatever rests — so orders near the mid often cross; quantity
///   `U[1,10] × 100` lots, or 1 time in 32 a block of `U[1,50] × 1000`.
pub fn quantcup(seed: u64, n: usize) -> Vec<Message> {
    let mut g = Gen::new(seed, 1, n);
    let mut mid = Mid::new(5000, 100);
    while !g.done() {
        mid.step(&mut g, 8);
        if g.percent(45) && g.cancel(10) {
            continue;
        }
        let side = g.side();
        let offset = g.rng.gen_range(0..=10);
        let price = match side {
            Side::Buy => mid.price + 1 - offset,
            Side::Sell => mid.price - 1 + offset,
        };
        let qty =
            if g.rng.gen_range(0..32) == 0 { g.rng.gen_range(1..=50) * 1000 } else { g.rng.gen_range(1..=10) * 100 };
        g.limit(side, price, qty);
    }
    g.finish()
}

/// The "1M-message flow with ~30% cancels and ~10% aggressive orders".
///
/// - the mid starts at 100 000 ticks and takes a ±1 step with probability 1/4 per message,
///   reflected inside ±250 ticks of its start;
/// - 30%: a cancel; 1 in 10 of them late (of an order that has just filled), the others of a
///   uniformly chosen resting order;
/// - 10%: aggressive, buy or sell with equal odds, `U[50,500]` lots: half market orders, half
///   GTC limits priced `U[0,9]` ticks through the opposite best (what does not fill rests);
/// - 60%: passive GTC limits `U[1,50]` ticks behind the mid — or behind the opposite best, when
///   that is nearer — for `U[1,100]` lots: they never trade on arrival.
///
/// Aggressive orders meeting an empty opposite side are rare: a market order is then unfilled,
/// an aggressive limit priced `U[0,9]` ticks through the mid rests.
pub fn cancel_heavy(seed: u64, n: usize) -> Vec<Message> {
    let mut g = Gen::new(seed, 2, n);
    let mut mid = Mid::new(100_000, 250);
    while !g.done() {
        mid.step(&mut g, 4);
        let r = g.rng.gen_range(0..100);
        if r < 30 && g.cancel(10) {
            continue;
        }
        let side = g.side();
        if (30..40).contains(&r) {
            let qty = g.rng.gen_range(50..=500);
            if g.rng.gen_range(0..2) == 0 {
                g.market(side, qty);
            } else {
                let through = g.rng.gen_range(0..=9);
                let price = g.through(side, &mid, through);
                g.limit(side, price, qty);
            }
        } else {
            let behind = g.rng.gen_range(1..=50);
            let qty = g.rng.gen_range(1..=100);
            let price = g.behind(side, &mid, behind);
            g.limit(side, price, qty);
        }
    }
    g.finish()
}

/// A deep book: thousands of price levels per side, so inserts and cancels land deep in the
/// ladder, and aggressive orders cross several levels.
///
/// - the mid starts at 1 000 000 ticks and takes a ±1 step with probability 1/4 per message,
///   reflected inside ±1000 ticks of its start;
/// - 10%: cancel of a uniformly chosen resting order;
/// - 5%: a GTC limit priced `U[0,20]` ticks through the opposite best for `U[100,2000]` lots;
/// - 85%: passive GTC limits `U[1, U[1,5000]]` ticks behind the mid or the opposite best,
///   whichever is further back (denser near the top, thin down to 5000 ticks away), `U[1,100]`
///   lots.
pub fn deep_book(seed: u64, n: usize) -> Vec<Message> {
    let mut g = Gen::new(seed, 3, n);
    let mut mid = Mid::new(1_000_000, 1000);
    while !g.done() {
        mid.step(&mut g, 4);
        let r = g.rng.gen_range(0..100);
        if r < 10 && g.cancel(0) {
            continue;
        }
        let side = g.side();
        if (10..15).contains(&r) {
            let through = g.rng.gen_range(0..=20);
            let qty = g.rng.gen_range(100..=2000);
            let price = g.through(side, &mid, through);
            g.limit(side, price, qty);
        } else {
            let reach = g.rng.gen_range(1..=5000);
            let behind = g.rng.gen_range(1..=reach);
            let qty = g.rng.gen_range(1..=100);
            let price = g.behind(side, &mid, behind);
            g.limit(side, price, qty);
        }
    }
    g.finish()
}

/// Bursts of cancels: alternately a burst of adds, then a burst cancelling most resting orders.
///
/// - the mid starts at 10 000 ticks and takes a ±1 step with probability 1/2 per burst,
///   reflected inside ±100 ticks of its start;
/// - add burst: `U[32,512]` messages; each is, 1 time in 20, a market order for `U[10,200]`
///   lots, otherwise a passive GTC limit `U[1,20]` ticks behind the mid or the opposite best
///   for `U[1,50]` lots;
/// - cancel burst: cancels `U[50,100]`% of the resting orders, each chosen uniformly, so queues
///   lose orders from their heads, middles and tails alike.
///
/// Cancels are 40 to 50% of the messages.
pub fn cancel_storm(seed: u64, n: usize) -> Vec<Message> {
    let mut g = Gen::new(seed, 4, n);
    let mut mid = Mid::new(10_000, 100);
    while !g.done() {
        mid.step(&mut g, 2);
        let adds = g.rng.gen_range(32..=512);
        for _ in 0..adds {
            if g.done() {
                break;
            }
            let side = g.side();
            if g.rng.gen_range(0..20) == 0 {
                let qty = g.rng.gen_range(10..=200);
                g.market(side, qty);
            } else {
                let behind = g.rng.gen_range(1..=20);
                let qty = g.rng.gen_range(1..=50);
                let price = g.behind(side, &mid, behind);
                g.limit(side, price, qty);
            }
        }
        let share = g.rng.gen_range(50..=100);
        let cancels = g.book.live.len() * share / 100;
        for _ in 0..cancels {
            if g.done() {
                break;
            }
            g.cancel(0);
        }
    }
    g.finish()
}

/// Big orders sweeping many levels of a wide book of small orders.
///
/// - the mid starts at 50 000 ticks and takes a ±1 step with probability 1/8 per message,
///   reflected inside ±100 ticks of its start;
/// - 10%: cancel of a uniformly chosen resting order;
/// - 1%: a sweep for `U[100,800]` lots, buy or sell with equal odds: half market orders, half
///   GTC limits priced `U[100,300]` ticks through the opposite best (their remainder rests);
/// - 89%: passive GTC limits `U[1, U[1,300]]` ticks behind the mid or the opposite best for
///   `U[1,10]` lots.
pub fn wide_sweep(seed: u64, n: usize) -> Vec<Message> {
    let mut g = Gen::new(seed, 5, n);
    let mut mid = Mid::new(50_000, 100);
    while !g.done() {
        mid.step(&mut g, 8);
        let r = g.rng.gen_range(0..100);
        if r < 10 && g.cancel(0) {
            continue;
        }
        let side = g.side();
        if r == 10 {
            let qty = g.rng.gen_range(100..=800);
            if g.rng.gen_range(0..2) == 0 {
                g.market(side, qty);
            } else {
                let through = g.rng.gen_range(100..=300);
                let price = g.through(side, &mid, through);
                g.limit(side, price, qty);
            }
        } else {
            let reach = g.rng.gen_range(1..=300);
            let behind = g.rng.gen_range(1..=reach);
            let qty = g.rng.gen_range(1..=10);
            let price = g.behind(side, &mid, behind);
            g.limit(side, price, qty);
        }
    }
    g.finish()
}

/// The state shared by every flow: the random stream, the next id, the generator's own book.
struct Gen {
    rng: ChaCha8Rng,
    n: usize,
    next_id: u64,
    book: Shadow,
    /// Limit orders that filled completely and were never cancelled, for late cancels.
    filled: Vec<OrderId>,
    out: Vec<Message>,
}

impl Gen {
    /// A generator of `n` messages on stream `stream` of `seed` (one stream per flow, so two
    /// flows with the same seed are unrelated).
    fn new(seed: u64, stream: u64, n: usize) -> Gen {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Gen { rng, n, next_id: 1, book: Shadow::default(), filled: Vec::new(), out: Vec::with_capacity(n) }
    }

    fn done(&self) -> bool {
        self.out.len() >= self.n
    }

    /// True with probability `p`/100, drawn as an integer.
    fn percent(&mut self, p: u32) -> bool {
        self.rng.gen_range(0..100) < p
    }

    fn side(&mut self) -> Side {
        if self.rng.gen_range(0..2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn id(&mut self) -> OrderId {
        let id = OrderId(self.next_id);
        self.next_id += 1;
        id
    }

    /// A price `ticks` through the opposite best (at it for 0), or through the mid when the
    /// opposite side is empty: an order that trades on arrival whenever it can.
    fn through(&self, side: Side, mid: &Mid, ticks: u64) -> u64 {
        let anchor = self.book.best(side.opposite()).unwrap_or(mid.price);
        match side {
            Side::Buy => anchor + ticks,
            Side::Sell => anchor.saturating_sub(ticks).max(1),
        }
    }

    /// A price `ticks` ≥ 1 behind the mid, or behind the opposite best if that is further back:
    /// an order that never trades on arrival.
    fn behind(&self, side: Side, mid: &Mid, ticks: u64) -> u64 {
        assert!(ticks >= 1, "an order behind the mid is at least one tick behind");
        let opposite = self.book.best(side.opposite());
        match side {
            Side::Buy => opposite.map_or(mid.price, |ask| ask.min(mid.price)).saturating_sub(ticks).max(1),
            Side::Sell => opposite.map_or(mid.price, |bid| bid.max(mid.price)) + ticks,
        }
    }

    fn limit(&mut self, side: Side, price: u64, qty: u64) {
        assert!(price >= 1 && qty >= 1, "a generated order has a positive price and quantity");
        let id = self.id();
        self.out.push(Message::New { id, side, price: Price(price), qty: Qty(qty), tif: Tif::Gtc });
        let open = self.book.take(side, Some(price), qty, &mut self.filled);
        if open > 0 {
            self.book.rest(id, side, price, open);
        } else {
            self.filled.push(id);
        }
    }

    fn market(&mut self, side: Side, qty: u64) {
        assert!(qty >= 1, "a generated order has a positive quantity");
        let id = self.id();
        self.out.push(Message::Market { id, side, qty: Qty(qty) });
        self.book.take(side, None, qty, &mut self.filled);
    }

    /// A cancel: with probability `late_percent`/100 (and if any) of a recently filled order,
    /// otherwise of a uniformly chosen resting one. False (and nothing) if there is none.
    fn cancel(&mut self, late_percent: u32) -> bool {
        let late = late_percent > 0 && self.percent(late_percent) && !self.filled.is_empty();
        let id = if late {
            let recent = self.filled.len().min(64);
            let i = self.filled.len() - 1 - self.rng.gen_range(0..recent);
            self.filled.swap_remove(i)
        } else if self.book.live.is_empty() {
            return false;
        } else {
            let id = self.book.live[self.rng.gen_range(0..self.book.live.len())];
            self.book.cancel(id);
            id
        };
        self.out.push(Message::Cancel { id });
        true
    }

    fn finish(self) -> Vec<Message> {
        assert_eq!(self.out.len(), self.n, "a flow has exactly the messages asked for");
        self.out
    }
}

/// Where a resting order of the [`Shadow`] is.
#[derive(Clone, Copy)]
struct Resting {
    side: Side,
    price: u64,
    /// Its index in `Shadow::live`.
    slot: usize,
}

/// The generator's own price-time book: just enough to know which orders rest and the best
/// prices. Ordered maps only, so it is as deterministic as the draws that steer it.
#[derive(Default)]
struct Shadow {
    bids: BTreeMap<u64, VecDeque<(OrderId, u64)>>,
    asks: BTreeMap<u64, VecDeque<(OrderId, u64)>>,
    orders: BTreeMap<OrderId, Resting>,
    /// Every resting id, in no meaningful order, for uniform choice.
    live: Vec<OrderId>,
}

impl Shadow {
    fn best(&self, side: Side) -> Option<u64> {
        match side {
            Side::Buy => self.bids.last_key_value().map(|(&p, _)| p),
            Side::Sell => self.asks.first_key_value().map(|(&p, _)| p),
        }
    }

    fn rest(&mut self, id: OrderId, side: Side, price: u64, qty: u64) {
        let levels = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        levels.entry(price).or_default().push_back((id, qty));
        self.orders.insert(id, Resting { side, price, slot: self.live.len() });
        self.live.push(id);
    }

    /// Forgets `id` in the index and the live list (not in its queue).
    fn unindex(&mut self, id: OrderId) -> Resting {
        let resting = self.orders.remove(&id).expect("a shadow order is indexed");
        self.live.swap_remove(resting.slot);
        if let Some(&moved) = self.live.get(resting.slot) {
            self.orders.get_mut(&moved).expect("a live id is indexed").slot = resting.slot;
        }
        resting
    }

    /// Matches `qty` of a `side` taker up to `limit` (any price if none), price then time;
    /// makers that fill completely go to `filled`. Returns what is left of the taker.
    fn take(&mut self, side: Side, limit: Option<u64>, mut qty: u64, filled: &mut Vec<OrderId>) -> u64 {
        while qty > 0 {
            let Some(best) = self.best(side.opposite()) else { break };
            if limit.is_some_and(|limit| !side.accepts(Price(limit), Price(best))) {
                break;
            }
            let levels = match side {
                Side::Buy => &mut self.asks,
                Side::Sell => &mut self.bids,
            };
            let queue = levels.get_mut(&best).expect("the best level exists");
            let maker = queue.front_mut().expect("no level is empty");
            let traded = qty.min(maker.1);
            qty -= traded;
            maker.1 -= traded;
            if maker.1 == 0 {
                let (id, _) = queue.pop_front().expect("the maker is at the front");
                if queue.is_empty() {
                    levels.remove(&best);
                }
                self.unindex(id);
                filled.push(id);
            }
        }
        qty
    }

    fn cancel(&mut self, id: OrderId) {
        let resting = self.unindex(id);
        let levels = match resting.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let queue = levels.get_mut(&resting.price).expect("a resting order's level exists");
        let at = queue.iter().position(|&(queued, _)| queued == id).expect("a resting order is queued");
        queue.remove(at);
        if queue.is_empty() {
            levels.remove(&resting.price);
        }
    }
}

/// A mid price doing a reflected random walk of ±1 tick inside `[start - band, start + band]`.
struct Mid {
    price: u64,
    low: u64,
    high: u64,
}

impl Mid {
    fn new(start: u64, band: u64) -> Mid {
        Mid { price: start, low: start - band, high: start + band }
    }

    /// With probability 1/`one_in`, one tick up or down (reflected at the band's edges).
    fn step(&mut self, g: &mut Gen, one_in: u32) {
        if g.rng.gen_range(0..one_in) != 0 {
            return;
        }
        let up = g.rng.gen_range(0..2) == 0;
        self.price =
            if (up && self.price < self.high) || self.price == self.low { self.price + 1 } else { self.price - 1 };
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::bookfile::apply;
    use crate::engine::{Book, EngineReject, Event, MatchingEngine};

    #[test]
    fn same_seed_same_flow_different_seed_different_flow() {
        for (name, flow) in FLOWS {
            let a = flow(7, 5_000);
            assert_eq!(a, flow(7, 5_000), "{name}: same seed, same flow");
            assert_ne!(a, flow(8, 5_000), "{name}: another seed, another flow");
            assert_eq!(a.len(), 5_000, "{name}: exactly n messages");
            assert_eq!(flow(7, 1_000)[..], a[..1_000], "{name}: a shorter flow is a prefix");
        }
    }

    #[test]
    fn flows_with_the_same_seed_are_unrelated() {
        let sides = |flow: &[Message]| -> Vec<Side> {
            flow.iter()
                .filter_map(|m| match m {
                    Message::New { side, .. } | Message::Market { side, .. } => Some(*side),
                    _ => None,
                })
                .take(64)
                .collect()
        };
        let all: Vec<Vec<Side>> = FLOWS.iter().map(|(_, flow)| sides(&flow(1, 200))).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// Ids are fresh and in order; every cancel names an earlier limit order, at most once; only
    /// GTC limits, markets and cancels appear.
    #[test]
    fn ids_are_fresh_and_cancels_name_earlier_limits() {
        for (name, flow) in FLOWS {
            for seed in 1..=3 {
                let mut next = 1;
                let mut limits = BTreeSet::new();
                let mut cancelled = BTreeSet::new();
                for message in flow(seed, 20_000) {
                    match message {
                        Message::New { id, price, qty, tif, .. } => {
                            assert_eq!(id.0, next, "{name}: ids in creation order");
                            assert!(
                                price.0 >= 1 && price.0 < 1 << 21 && qty.0 >= 1 && qty.0 < 1 << 17,
                                "{name}: {message:?}"
                            );
                            assert_eq!(tif, Tif::Gtc, "{name}");
                            limits.insert(id);
                            next += 1;
                        }
                        Message::Market { id, qty, .. } => {
                            assert_eq!(id.0, next, "{name}: ids in creation order");
                            assert!(qty.0 >= 1 && qty.0 < 1 << 17, "{name}: {message:?}");
                            next += 1;
                        }
                        Message::Cancel { id } => {
                            assert!(limits.contains(&id), "{name}: cancel of {id:?}, never a limit order");
                            assert!(cancelled.insert(id), "{name}: {id:?} cancelled twice");
                        }
                        Message::Replace { .. } => panic!("{name}: replaces are outside the lobster subset"),
                    }
                }
            }
        }
    }

    /// What a flow does to the reference engine, per kind of message.
    #[derive(Default, Debug)]
    struct Effect {
        /// Limit orders that traded on arrival.
        limits_taking: usize,
        /// Market orders that traded.
        markets_taking: usize,
        /// Cancels the engine applied.
        cancels_live: usize,
        /// Cancels answered `unknown_order` (late cancels).
        cancels_late: usize,
    }

    fn effect(flow: &[Message]) -> Effect {
        let mut book = Book::new();
        let mut events = Vec::new();
        let mut effect = Effect::default();
        for &message in flow {
            events.clear();
            let result = apply(&mut book, message, &mut events);
            let traded = events.iter().any(|e| matches!(e, Event::Fill { .. }));
            match (message, result) {
                (Message::New { .. }, Ok(())) => effect.limits_taking += usize::from(traded),
                (Message::Market { .. }, Ok(())) => effect.markets_taking += usize::from(traded),
                (Message::Cancel { .. }, Ok(())) => effect.cancels_live += 1,
                (Message::Cancel { .. }, Err(EngineReject::UnknownOrder)) => effect.cancels_late += 1,
                (message, result) => panic!("{message:?} -> {result:?}"),
            }
        }
        effect
    }

    /// The documented proportions, as integer counts per mille of 100 000 messages, checked on
    /// the flows themselves and on what they do to the reference engine (the generator's shadow
    /// book and the engine agree on what rests and what crosses).
    #[test]
    fn proportions_are_as_documented() {
        let n = 100_000;
        let within = |name: &str, what: &str, count: usize, low: usize, high: usize| {
            let value = count * 1000 / n;
            assert!((low..=high).contains(&value), "{name}: {what} {value}‰, expected {low}..={high}‰");
        };

        let flow = quantcup(3, n);
        let (m, e) = (mix(&flow), effect(&flow));
        within("quantcup", "cancels", m.cancels, 430, 470);
        within("quantcup", "late cancels", e.cancels_late, 35, 55);
        within("quantcup", "crossing limits", e.limits_taking, 50, 300);
        assert_eq!(m.markets + m.replaces, 0);

        let flow = cancel_heavy(3, n);
        let (m, e) = (mix(&flow), effect(&flow));
        within("cancel_heavy", "cancels", m.cancels, 290, 310);
        within("cancel_heavy", "late cancels", e.cancels_late, 20, 40);
        within("cancel_heavy", "markets", m.markets, 45, 55);
        within("cancel_heavy", "aggressive", e.limits_taking + m.markets, 90, 110);
        // Passive orders never take; aggressive limits always do (the opposite side is not empty).
        within("cancel_heavy", "aggressive limits", e.limits_taking, 45, 55);
        within("cancel_heavy", "limits", m.limits, 640, 660);

        let flow = deep_book(3, n);
        let (m, e) = (mix(&flow), effect(&flow));
        within("deep_book", "cancels", e.cancels_live, 90, 110);
        within("deep_book", "aggressive limits", e.limits_taking, 45, 55);
        assert_eq!(m.markets + e.cancels_late, 0);

        let flow = cancel_storm(3, n);
        let (m, e) = (mix(&flow), effect(&flow));
        within("cancel_storm", "cancels", e.cancels_live, 400, 500);
        within("cancel_storm", "markets", m.markets, 20, 40);
        assert_eq!(e.limits_taking + e.cancels_late, 0);

        let flow = wide_sweep(3, n);
        let (m, e) = (mix(&flow), effect(&flow));
        within("wide_sweep", "cancels", e.cancels_live, 90, 110);
        within("wide_sweep", "sweeps", m.markets + e.limits_taking, 8, 12);
        assert_eq!(e.cancels_late, 0);
    }

    /// Sweeps of `wide_sweep` cross many levels, and the book they cross is deep.
    #[test]
    fn wide_sweeps_cross_many_levels() {
        let flow = wide_sweep(9, 50_000);
        let mut book = Book::new();
        let mut events = Vec::new();
        let (mut sweeps, mut levels) = (0usize, 0usize);
        for &message in &flow {
            events.clear();
            apply(&mut book, message, &mut events).expect("no late cancels here");
            let mut prices: Vec<u64> = events
                .iter()
                .filter_map(|e| if let Event::Fill { price, .. } = e { Some(price.0) } else { None })
                .collect();
            prices.dedup();
            if !prices.is_empty() {
                sweeps += 1;
                levels += prices.len();
            }
        }
        assert!(sweeps > 200 && levels / sweeps >= 20, "{sweeps} sweeps crossed {levels} levels");
        assert!(book.len() > 1000, "{} orders rest", book.len());
    }
}
