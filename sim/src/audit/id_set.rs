//! [`IdSet`]: a set of ids numbered densely from 1 (withdrawals), held as a floor below which every
//! id is in the set plus the ids above it as compacted ranges: memory proportional to the gaps
//! (ids not in the set above the floor), not to the run's length — one id that never joins the set
//! (a withdrawal that never finishes) keeps the ids after it as one range, not one entry each.
//! Id 0 is never used (it reads as contained).
//!
//! Invariants: the ranges (`start → end`, inclusive) lie above `floor`, are disjoint and never
//! adjacent (two touching ranges are merged), and none starts at `floor` (it is folded in).

use std::collections::BTreeMap;

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct IdSet {
    floor: u64,
    above: BTreeMap<u64, u64>,
}

impl Default for IdSet {
    fn default() -> IdSet {
        IdSet { floor: 1, above: BTreeMap::new() }
    }
}

impl IdSet {
    pub(super) fn contains(&self, id: u64) -> bool {
        id < self.floor || self.above.range(..=id).next_back().is_some_and(|(_, &end)| id <= end)
    }

    pub(super) fn insert(&mut self, id: u64) {
        if self.contains(id) {
            return;
        }
        let (mut start, mut end) = (id, id);
        // Join the range ending just below, and the one starting just above.
        if let Some((&s, &e)) = self.above.range(..id).next_back() {
            if e.checked_add(1) == Some(id) {
                self.above.remove(&s);
                start = s;
            }
        }
        if let Some(next) = id.checked_add(1) {
            if let Some(e) = self.above.remove(&next) {
                end = e;
            }
        }
        if start == self.floor {
            self.floor = end.checked_add(1).expect("ids below u64::MAX");
        } else {
            self.above.insert(start, end);
        }
    }

    /// How many ranges it holds above its floor.
    pub(super) fn retained(&self) -> usize {
        self.above.len()
    }
}

#[cfg(test)]
mod tests {
    use super::IdSet;

    #[test]
    fn ids_in_order_fold_into_the_floor() {
        let mut s = IdSet::default();
        for id in [2, 3, 1, 5] {
            s.insert(id);
        }
        assert!(s.contains(1) && s.contains(3) && s.contains(5) && !s.contains(4));
        assert_eq!(s.retained(), 1);
    }

    /// One id missing keeps everything after it as one range, however many.
    #[test]
    fn ids_after_a_gap_compact_into_ranges() {
        let mut s = IdSet::default();
        for id in (2..10_000).rev().filter(|&id| id != 5_000) {
            s.insert(id);
        }
        assert_eq!(s.retained(), 2, "[2, 4999] and [5001, 9999]");
        assert!(!s.contains(1) && s.contains(2) && !s.contains(5_000) && s.contains(9_999) && !s.contains(10_000));
        s.insert(5_000);
        assert_eq!(s.retained(), 1);
        s.insert(1);
        assert_eq!(s.retained(), 0);
        assert!(s.contains(9_999) && !s.contains(10_000));
    }
}
