//! One side of a book: its price levels, sorted so that the **best level is last**.
//!
//! Keeping the best level at the end of a `Vec` makes the hot operations cheap: the best price
//! is `last()`, a level that empties while matching is a `pop()`, and new orders (which mostly
//! arrive near the top of the book) insert near the end, moving few elements. A binary search on
//! a uniform *key* (`price` for bids, `!price` for asks, so keys ascend toward the best price
//! on both sides) finds any level in O(log levels).
//!
//! Invariants: keys strictly ascend (one level per price); no level is empty (`head != NIL`)
//! (checked by `Book::check`).
//!
//! A level is 16 bytes (key and two links) and keeps no quantity total: a level shared by one or
//! two orders would otherwise cost more than the orders (SPEC §11: ≤ 128 bytes per resting
//! order), and an exact total of `u64` quantities needs 128 bits. What needs a level's quantity
//! (a fill-or-kill pre-check) walks its queue, which it does for self-trade prevention anyway.

use super::book::grow_by_half;
use crate::units::{Price, Side};

/// End of a queue.
pub(crate) const NIL: u32 = u32::MAX;

/// One price level: a FIFO queue of arena slots, linked through the orders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Level {
    pub(crate) key: u64,
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

/// The levels of one side.
#[derive(Clone, Debug)]
pub(crate) struct Ladder {
    side: Side,
    levels: Vec<Level>,
}

impl Ladder {
    pub(crate) fn new(side: Side) -> Ladder {
        Ladder { side, levels: Vec::new() }
    }

    /// The sort key of a price on this side: ascending toward the best price.
    #[inline]
    pub(crate) fn key(&self, price: Price) -> u64 {
        match self.side {
            Side::Buy => price.0,
            Side::Sell => !price.0,
        }
    }

    /// The price of a key on this side.
    #[inline]
    pub(crate) fn price(&self, key: u64) -> Price {
        match self.side {
            Side::Buy => Price(key),
            Side::Sell => Price(!key),
        }
    }

    #[inline]
    pub(crate) fn best(&self) -> Option<&Level> {
        self.levels.last()
    }

    #[inline]
    pub(crate) fn best_mut(&mut self) -> Option<&mut Level> {
        self.levels.last_mut()
    }

    #[inline]
    pub(crate) fn best_price(&self) -> Option<Price> {
        self.levels.last().map(|l| self.price(l.key))
    }

    #[inline]
    pub(crate) fn pop_best(&mut self) {
        self.levels.pop();
    }

    /// Index of the level with `key`, or where it would be inserted.
    #[inline]
    fn search(&self, key: u64) -> Result<usize, usize> {
        // Most traffic is at the top of the book: look at the last few levels first.
        let n = self.levels.len();
        let mut i = n;
        while i > 0 && n - i < 4 {
            let k = self.levels[i - 1].key;
            if k == key {
                return Ok(i - 1);
            }
            if k < key {
                return Err(i);
            }
            i -= 1;
        }
        self.levels[..i].binary_search_by(|l| l.key.cmp(&key))
    }

    /// The level at `key`, creating an empty one (head = tail = NIL) if absent.
    #[inline]
    pub(crate) fn level_mut_or_insert(&mut self, key: u64) -> &mut Level {
        let i = match self.search(key) {
            Ok(i) => i,
            Err(i) => {
                grow_by_half(&mut self.levels);
                self.levels.insert(i, Level { key, head: NIL, tail: NIL });
                i
            }
        };
        &mut self.levels[i]
    }

    /// The level at `key`; it must exist.
    #[inline]
    pub(crate) fn level_mut(&mut self, key: u64) -> &mut Level {
        let i = self.search(key).expect("a resting order's level exists");
        &mut self.levels[i]
    }

    /// Removes the level at `key`; it must exist and be empty.
    #[inline]
    pub(crate) fn remove(&mut self, key: u64) {
        let i = self.search(key).expect("a removed level exists");
        assert!(self.levels[i].head == NIL, "a removed level is empty");
        self.levels.remove(i);
    }

    /// Levels from the best down.
    pub(crate) fn iter_best_first(&self) -> impl Iterator<Item = &Level> {
        self.levels.iter().rev()
    }

    pub(crate) fn len(&self) -> usize {
        self.levels.len()
    }
}
