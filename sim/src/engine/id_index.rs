//! Order id → arena slot, for cancels and replaces by id.
//!
//! Invariant: this map is **never iterated** — the type exposes only point operations — so its
//! internal order cannot leak into output. It hashes with a fixed, seedless hasher (FxHash), so
//! even its memory layout is the same on every run.

use rustc_hash::FxBuildHasher;

#[allow(clippy::disallowed_types)] // lookup-only; see the module invariant.
type Map = std::collections::HashMap<u64, u32, FxBuildHasher>;

/// Live order ids and their slots.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdIndex {
    map: Map,
}

impl IdIndex {
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<u32> {
        self.map.get(&id).copied()
    }

    #[inline]
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.map.contains_key(&id)
    }

    /// Inserts a new id; the caller has checked it is not live.
    #[inline]
    pub(crate) fn insert(&mut self, id: u64, slot: u32) {
        let previous = self.map.insert(id, slot);
        assert!(previous.is_none(), "order id {id} inserted while live");
    }

    /// Removes a live id.
    #[inline]
    pub(crate) fn remove(&mut self, id: u64) -> u32 {
        self.map.remove(&id).expect("removed order id is live")
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
