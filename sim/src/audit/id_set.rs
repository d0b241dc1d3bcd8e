//! [`IdSet`]: a set of ids numbered densely from 1 (withdrawals), held as a floor below which every
//! id is in the set plus the ids above it: memory proportional to the ids added out of order, not
//! to the run's length.
//! Id 0 is never used (it reads as contained).

use std::collections::BTreeSet;

/// See the module docs.
#[derive(Clone, Debug)]
pub(super) struct IdSet {
    floor: u64,
    above: BTreeSet<u64>,
}

impl Default for IdSet {
    fn default() -> IdSet {
        IdSet { floor: 1, above: BTreeSet::new() }
    }
}

impl IdSet {
    pub(super) fn contains(&self, id: u64) -> bool {
        id < self.floor || self.above.contains(&id)
    }

    pub(super) fn insert(&mut self, id: u64) {
        if id >= self.floor {
            self.above.insert(id);
        }
        while self.above.first() == Some(&self.floor) {
            self.above.pop_first();
            self.floor += 1;
        }
    }

    /// How many ids it holds above its floor.
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
}
