//! [`LookupMap`]: a `u64`-keyed hash map that **cannot be iterated**.
//!
//! Invariant: only point operations exist, so no hash order can ever reach output, and the hasher
//! is fixed and seedless (FxHash), so behaviour is identical on every run. Use it for id lookups on
//! hot paths; use `BTreeMap` wherever a collection must be walked.

use rustc_hash::FxBuildHasher;

#[allow(clippy::disallowed_types)] // point operations only; see the module invariant.
type Map<V> = std::collections::HashMap<u64, V, FxBuildHasher>;

/// A map from `u64` ids to values, with point operations only.
#[derive(Clone, Debug)]
pub struct LookupMap<V> {
    map: Map<V>,
}

impl<V> Default for LookupMap<V> {
    fn default() -> Self {
        LookupMap { map: Map::default() }
    }
}

impl<V> LookupMap<V> {
    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        self.map.get(&key)
    }

    /// Whether `key` has a value.
    #[inline]
    pub fn contains_key(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }

    /// The value of `key`, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        self.map.get_mut(&key)
    }

    /// Inserts a value for a key that must be absent.
    #[inline]
    pub fn insert_new(&mut self, key: u64, value: V) {
        let previous = self.map.insert(key, value);
        assert!(previous.is_none(), "key {key} inserted twice");
    }

    /// Removes and returns the value of `key`.
    #[inline]
    pub fn remove(&mut self, key: u64) -> Option<V> {
        self.map.remove(&key)
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
