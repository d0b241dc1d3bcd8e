//! Swarm-generated order flows for `exsim diff`: each seed first draws a [`Mix`] — which message
//! kinds and times in force appear and how often, the price band, the quantity range (sizes near
//! the limits included), the id space (so ids are reused and duplicated, or always fresh), how
//! often cancels and replaces aim at a live order — and then the messages from that mix.
//!
//! Swarm testing: a flow that leaves features out (no cancels at all, only FOK orders, every size
//! near 2^64) reaches states a flow mixing everything evenly rarely does.
//!
//! Invariants: a flow depends only on the seed and the length asked for, drawn from the one named
//! stream `diff/flow` (SPEC §1.2); every message is valid in the §8.1 format (ids, prices and
//! quantities from 1 to 2^64-1), so any subsequence of a flow is a valid book file too; a flow
//! holds exactly the number of messages asked for, at most [`MAX_MESSAGES`].

use std::collections::VecDeque;
use std::fmt;

use crate::bookfile::{self, Message};
use crate::engine::{Book, MatchingEngine, OrderId, Tif};
use crate::rng::Stream;
use crate::units::{Price, Qty, Side};

/// The most messages one flow may hold (`--messages`).
pub const MAX_MESSAGES: usize = 100_000;

/// The length of a flow when none is asked for: drawn from this range.
pub const DEFAULT_MESSAGES: (usize, usize) = (100, 200);

/// How many recently placed ids cancels and replaces aim at.
const RECENT: usize = 32;

/// The features of one seed's flow (swarm testing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Weights of `N`, `M`, `C`, `R` (`N` always appears).
    pub kinds: [u32; 4],
    /// Weights of GTC, IOC, FOK, POST among new orders (at least one positive).
    pub tifs: [u32; 4],
    /// Prices are `price_low..=price_low + price_width`.
    pub price_low: u64,
    pub price_width: u64,
    /// Quantities are `qty_low..=qty_high` …
    pub qty_low: u64,
    pub qty_high: u64,
    /// … except this share (percent) of them, within 2 of `u64::MAX`.
    pub huge_qty_percent: u32,
    /// Ids are `id_low..id_low + id_space`: a small space reuses and duplicates ids.
    pub id_low: u64,
    pub id_space: u64,
    /// Percent of new orders that buy.
    pub buy_percent: u32,
    /// Percent of cancels and replaces that aim at a recently placed order (the rest: any id).
    pub aimed_percent: u32,
    /// Percent of replaces that keep the order's price, and that lower its quantity.
    pub same_price_percent: u32,
    pub lower_qty_percent: u32,
    /// Percent of the other replaces of a live order that move it onto the opposite best price
    /// (a replace that takes, or a post-only replace that must be rejected).
    pub crossing_percent: u32,
}

impl Mix {
    /// Draws a mix from `stream`.
    pub fn draw(stream: &mut Stream) -> Mix {
        let maybe = |percent: u32, lo: u64, hi: u64, s: &mut Stream| -> u32 {
            if s.percent(percent) {
                s.uniform(lo, hi) as u32
            } else {
                0
            }
        };
        let kinds =
            [stream.uniform(1, 10) as u32, maybe(60, 1, 4, stream), maybe(75, 1, 10, stream), maybe(60, 1, 6, stream)];
        let mut tifs =
            [maybe(85, 1, 10, stream), maybe(60, 1, 5, stream), maybe(60, 1, 5, stream), maybe(60, 1, 5, stream)];
        if tifs.iter().all(|&w| w == 0) {
            tifs[0] = 1;
        }
        let price_width = [0, 2, 5, 20, 100][stream.index(5)];
        let price_low = match stream.index(4) {
            0 => 1,
            1 => 100,
            2 => 1_000_000,
            _ => u64::MAX - price_width,
        };
        let (qty_low, qty_high) = [(1, 1), (1, 3), (1, 10), (1, 1_000), (u64::MAX - 3, u64::MAX)][stream.index(5)];
        let huge_qty_percent = maybe(30, 1, 10, stream);
        let id_space = [4, 16, 64, 1 << 20][stream.index(4)];
        let id_low = if stream.percent(10) { u64::MAX - id_space } else { 1 };
        Mix {
            kinds,
            tifs,
            price_low,
            price_width,
            qty_low,
            qty_high,
            huge_qty_percent,
            id_low,
            id_space,
            buy_percent: stream.uniform(20, 80) as u32,
            aimed_percent: stream.uniform(50, 100) as u32,
            same_price_percent: stream.uniform(0, 100) as u32,
            lower_qty_percent: stream.uniform(0, 100) as u32,
            crossing_percent: stream.uniform(0, 50) as u32,
        }
    }

    fn price(&self, s: &mut Stream) -> Price {
        Price(self.price_low + s.uniform(0, self.price_width))
    }

    fn qty(&self, s: &mut Stream) -> Qty {
        if s.percent(self.huge_qty_percent) {
            Qty(u64::MAX - s.uniform(0, 2))
        } else {
            Qty(s.uniform(self.qty_low, self.qty_high))
        }
    }

    fn id(&self, s: &mut Stream) -> OrderId {
        OrderId(self.id_low + s.uniform(0, self.id_space - 1))
    }

    fn side(&self, s: &mut Stream) -> Side {
        if s.percent(self.buy_percent) {
            Side::Buy
        } else {
            Side::Sell
        }
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [n, m, c, r] = self.kinds;
        let [gtc, ioc, fok, post] = self.tifs;
        write!(
            f,
            "N:M:C:R {n}:{m}:{c}:{r}, GTC:IOC:FOK:POST {gtc}:{ioc}:{fok}:{post}, prices {}..={}, qty {}..={} \
             ({}% near 2^64), ids {}..={}, {}% buys, {}% aimed, replaces {}% same price {}% lower qty \
             {}% crossing",
            self.price_low,
            self.price_low + self.price_width,
            self.qty_low,
            self.qty_high,
            self.huge_qty_percent,
            self.id_low,
            self.id_low + (self.id_space - 1),
            self.buy_percent,
            self.aimed_percent,
            self.same_price_percent,
            self.lower_qty_percent,
            self.crossing_percent
        )
    }
}

/// A weighted choice: an index into `weights` (not all zero).
fn weighted(weights: &[u32], s: &mut Stream) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let mut pick = s.uniform(0, total - 1);
    for (i, &w) in weights.iter().enumerate() {
        if pick < u64::from(w) {
            return i;
        }
        pick -= u64::from(w);
    }
    unreachable!("a pick below the total lands on a weight")
}

/// The mix and the messages of `seed`'s flow: `messages` of them, or a length drawn from
/// [`DEFAULT_MESSAGES`]; at most [`MAX_MESSAGES`].
pub fn generate(seed: u64, messages: Option<usize>) -> (Mix, Vec<Message>) {
    let mut s = Stream::new(seed, "diff/flow");
    let mix = Mix::draw(&mut s);
    let len = messages.unwrap_or_else(|| s.uniform(DEFAULT_MESSAGES.0 as u64, DEFAULT_MESSAGES.1 as u64) as usize);
    let len = len.min(MAX_MESSAGES);
    // The reference follows the flow as it is drawn, so cancels and replaces can aim at orders
    // that are really live, and a replace can keep a price or lower a quantity.
    let mut book = Book::new();
    let mut events = Vec::new();
    let mut recent: VecDeque<OrderId> = VecDeque::with_capacity(RECENT);
    let mut flow = Vec::with_capacity(len);
    for _ in 0..len {
        let message = match weighted(&mix.kinds, &mut s) {
            0 => {
                let tif = [Tif::Gtc, Tif::Ioc, Tif::Fok, Tif::PostOnly][weighted(&mix.tifs, &mut s)];
                let (id, side, price, qty) = (mix.id(&mut s), mix.side(&mut s), mix.price(&mut s), mix.qty(&mut s));
                if recent.len() == RECENT {
                    recent.pop_front();
                }
                recent.push_back(id);
                Message::New { id, side, price, qty, tif }
            }
            1 => Message::Market { id: mix.id(&mut s), side: mix.side(&mut s), qty: mix.qty(&mut s) },
            kind => {
                let id = if !recent.is_empty() && s.percent(mix.aimed_percent) {
                    recent[s.index(recent.len())]
                } else {
                    mix.id(&mut s)
                };
                if kind == 2 {
                    Message::Cancel { id }
                } else {
                    let resting = book.order(id);
                    let opposite = |side: Side| match side {
                        Side::Buy => book.best_ask(),
                        Side::Sell => book.best_bid(),
                    };
                    let price = match resting {
                        Some(o) if s.percent(mix.same_price_percent) => o.price,
                        Some(o) if opposite(o.side).is_some() && s.percent(mix.crossing_percent) => {
                            opposite(o.side).expect("checked")
                        }
                        _ => mix.price(&mut s),
                    };
                    // Lower (keeps priority at the same price), the same (loses it: an edge
                    // engines get wrong), or any quantity.
                    let qty = match resting {
                        Some(o) if o.qty.0 > 1 && s.percent(mix.lower_qty_percent) => Qty(s.uniform(1, o.qty.0 - 1)),
                        Some(o) if s.percent(25) => o.qty,
                        _ => mix.qty(&mut s),
                    };
                    Message::Replace { id, price, qty }
                }
            }
        };
        events.clear();
        let _ = bookfile::apply(&mut book, message, &mut events);
        flow.push(message);
    }
    (mix, flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_depends_on_its_seed_only_and_has_the_length_asked_for() {
        assert_eq!(generate(7, None), generate(7, None));
        assert_ne!(generate(7, None).1, generate(8, None).1);
        let (_, flow) = generate(7, None);
        assert!((DEFAULT_MESSAGES.0..=DEFAULT_MESSAGES.1).contains(&flow.len()));
        assert_eq!(generate(7, Some(5)).1.len(), 5);
        assert_eq!(generate(7, Some(MAX_MESSAGES + 1)).1.len(), MAX_MESSAGES);
    }

    #[test]
    fn every_message_reads_back_from_its_line() {
        for seed in 0..50 {
            for message in generate(seed, None).1 {
                assert_eq!(bookfile::parse_line(message.to_string().as_bytes()), Ok(Some(message)));
            }
        }
    }

    #[test]
    fn the_swarm_reaches_every_feature_over_a_few_seeds() {
        let (mut kinds, mut tifs) = ([0usize; 4], [0usize; 4]);
        let (mut huge, mut top_price, mut price_one, mut high_ids) = (0, 0, 0, 0);
        let mut rejects = std::collections::BTreeMap::new();
        let mut same_mix_everywhere = true;
        let first_mix = generate(0, None).0;
        for seed in 0..200 {
            let (mix, flow) = generate(seed, None);
            same_mix_everywhere &= mix == first_mix;
            let mut book = Book::new();
            let mut events = Vec::new();
            for message in flow {
                match message {
                    Message::New { tif, price, qty, id, .. } => {
                        kinds[0] += 1;
                        tifs[tif as usize] += 1;
                        huge += usize::from(qty.0 > u64::MAX - 3);
                        top_price += usize::from(price.0 == u64::MAX);
                        price_one += usize::from(price.0 == 1);
                        high_ids += usize::from(id.0 > u64::MAX / 2);
                    }
                    Message::Market { .. } => kinds[1] += 1,
                    Message::Cancel { .. } => kinds[2] += 1,
                    Message::Replace { .. } => kinds[3] += 1,
                }
                events.clear();
                if let Err(reject) = bookfile::apply(&mut book, message, &mut events) {
                    *rejects.entry(reject.code()).or_insert(0) += 1;
                }
            }
        }
        assert!(!same_mix_everywhere);
        assert!(kinds.iter().all(|&k| k > 100), "{kinds:?}");
        assert!(tifs.iter().all(|&k| k > 100), "{tifs:?}");
        assert!(huge > 0 && top_price > 0 && price_one > 0 && high_ids > 0);
        for code in ["unknown_order", "duplicate_order_id", "would_cross"] {
            assert!(rejects.get(code).copied().unwrap_or(0) > 10, "{code}: {rejects:?}");
        }
    }
}
