//! A table of per-connection state keyed by connection id, for the actors that look a
//! connection up on every segment (the host stack).
//!
//! What it does: finds a connection's entry by its id in constant time (a direct index for ids
//! below [`DIRECT_IDS`], which covers every TCP connection a world builds: their ids are at
//! most `world::MAX_CONN_ID`), and iterates in ascending id order, as the `BTreeMap` it
//! replaces did, so nothing that iterates changes order. Why: with 10,000 connections a
//! `BTreeMap` lookup walked three levels of nodes (a cache miss each) for every segment, about
//! 3 % of such a run.
//!
//! What it does not do: removal (connections stay in the table once added; a closed one keeps
//! its entry), and a fast insertion out of id order (it shifts the later entries, which is
//! fine for a table filled once when the world is built).

use crate::segment::ConnId;

/// Ids below this are indexed directly (a `u32` per id up to the largest present); larger ones
/// are found by a binary search.
const DIRECT_IDS: u32 = 1 << 20;

/// Per-connection state by connection id (see the module doc).
#[derive(Clone, Debug)]
pub struct ConnTable<V> {
    /// The entries in ascending id order.
    items: Vec<(ConnId, V)>,
    /// `index[id]`: one more than the position in `items` of connection `id` (0: absent),
    /// for ids below [`DIRECT_IDS`].
    index: Vec<u32>,
}

impl<V> Default for ConnTable<V> {
    fn default() -> Self {
        ConnTable {
            items: Vec::new(),
            index: Vec::new(),
        }
    }
}

impl<V> ConnTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `additional` more entries at once (why: a table of ten thousand
    /// ~1 KB entries grown by doubling held 16,384 places and copied 10 MB on its last
    /// doubling, memory a large world faults in for nothing).
    pub fn reserve(&mut self, additional: usize) {
        self.items.reserve_exact(additional);
    }

    /// How many connections it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn position(&self, id: ConnId) -> Option<usize> {
        if id.0 < DIRECT_IDS {
            let p = *self.index.get(id.0 as usize)?;
            return (p as usize).checked_sub(1);
        }
        self.items.binary_search_by_key(&id, |e| e.0).ok()
    }

    /// The entry of connection `id`.
    #[inline]
    pub fn get(&self, id: &ConnId) -> Option<&V> {
        let p = self.position(*id)?;
        Some(&self.items[p].1)
    }

    /// The entry of connection `id`, to change.
    #[inline]
    pub fn get_mut(&mut self, id: &ConnId) -> Option<&mut V> {
        let p = self.position(*id)?;
        Some(&mut self.items[p].1)
    }

    /// True if connection `id` has an entry.
    pub fn contains_key(&self, id: &ConnId) -> bool {
        self.position(*id).is_some()
    }

    /// Adds or replaces the entry of connection `id`; returns the one it replaced.
    pub fn insert(&mut self, id: ConnId, value: V) -> Option<V> {
        match self.items.binary_search_by_key(&id, |e| e.0) {
            Ok(p) => Some(std::mem::replace(&mut self.items[p].1, value)),
            Err(at) => {
                self.insert_new(at, id, value);
                None
            }
        }
    }

    /// The entry of connection `id`, to change, added as `new()` first if it has none.
    pub fn get_or_insert_with(&mut self, id: ConnId, new: impl FnOnce() -> V) -> &mut V {
        let p = match self.position(id) {
            Some(p) => p,
            None => {
                let at = self.items.partition_point(|e| e.0 < id);
                self.insert_new(at, id, new());
                at
            }
        };
        &mut self.items[p].1
    }

    /// Inserts the entry of connection `id`, which has none, at position `at` of `items`.
    fn insert_new(&mut self, at: usize, id: ConnId, value: V) {
        self.items.insert(at, (id, value));
        // The entries from `at` on moved one place (only the new one when added in order).
        for (k, (c, _)) in self.items.iter().enumerate().skip(at) {
            if c.0 < DIRECT_IDS {
                let slot = c.0 as usize;
                if self.index.len() <= slot {
                    self.index.resize(slot + 1, 0);
                }
                self.index[slot] = k as u32 + 1;
            }
        }
    }

    /// The connection ids, ascending.
    pub fn keys(&self) -> impl Iterator<Item = &ConnId> + '_ {
        self.items.iter().map(|e| &e.0)
    }

    /// The entries in ascending id order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.items.iter().map(|e| &e.1)
    }

    /// The entries in ascending id order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.items.iter_mut().map(|e| &mut e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<V>(t: &ConnTable<V>) -> Vec<u32> {
        t.keys().map(|c| c.0).collect()
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let mut t: ConnTable<u8> = ConnTable::new();
        assert!(t.is_empty());
        assert_eq!(t.get(&ConnId(0)), None);
        assert_eq!(t.get_mut(&ConnId(7)), None);
        assert!(!t.contains_key(&ConnId(DIRECT_IDS + 1)));
        assert_eq!(ids(&t), Vec::<u32>::new());
    }

    #[test]
    fn one_entry_is_found_and_replaced() {
        let mut t = ConnTable::new();
        assert_eq!(t.insert(ConnId(5), "a"), None);
        assert_eq!(t.get(&ConnId(5)), Some(&"a"));
        assert_eq!(t.get(&ConnId(4)), None, "below");
        assert_eq!(t.get(&ConnId(6)), None, "above the index");
        assert_eq!(t.insert(ConnId(5), "b"), Some("a"));
        *t.get_mut(&ConnId(5)).unwrap() = "c";
        assert_eq!((t.len(), t.get(&ConnId(5))), (1, Some(&"c")));
    }

    #[test]
    fn entries_added_out_of_order_iterate_by_id_and_stay_found() {
        // As a BTreeMap: ascending ids, whatever the insertion order, large ids included.
        let order = [30, 2, DIRECT_IDS + 9, 17, 0, DIRECT_IDS, 40_000, 1, u32::MAX];
        let mut t = ConnTable::new();
        let mut reference = std::collections::BTreeMap::new();
        for (k, id) in order.into_iter().enumerate() {
            assert_eq!(t.insert(ConnId(id), k), None);
            reference.insert(id, k);
            for (id, k) in &reference {
                assert_eq!(t.get(&ConnId(*id)), Some(k), "{id} after {} inserts", reference.len());
            }
        }
        assert_eq!(ids(&t), reference.keys().copied().collect::<Vec<_>>());
        assert_eq!(
            t.values().copied().collect::<Vec<_>>(),
            reference.values().copied().collect::<Vec<_>>()
        );
        for v in t.values_mut() {
            *v += 100;
        }
        assert_eq!(t.get(&ConnId(u32::MAX)), Some(&108));
        assert_eq!(t.get(&ConnId(3)), None, "an id between entries");
        assert_eq!(t.get(&ConnId(DIRECT_IDS + 1)), None, "a large id between entries");
    }

    #[test]
    fn get_or_insert_with_adds_only_a_missing_entry() {
        let mut t = ConnTable::new();
        t.insert(ConnId(10), 1);
        *t.get_or_insert_with(ConnId(10), || panic!("present: not made")) += 1;
        *t.get_or_insert_with(ConnId(3), || 7) += 1;
        *t.get_or_insert_with(ConnId(DIRECT_IDS + 2), || 30) += 1;
        assert_eq!(ids(&t), vec![3, 10, DIRECT_IDS + 2]);
        assert_eq!(t.values().copied().collect::<Vec<_>>(), vec![8, 2, 31]);
        assert_eq!(t.get(&ConnId(10)), Some(&2), "found after an insertion before it");
    }

    #[test]
    fn many_entries_in_order_are_each_found() {
        let mut t = ConnTable::new();
        for id in 1..=10_000 {
            t.insert(ConnId(id), id * 2);
        }
        assert!((1..=10_000).all(|id| t.get(&ConnId(id)) == Some(&(id * 2))));
        assert_eq!(t.len(), 10_000);
        assert_eq!(ids(&t), (1..=10_000).collect::<Vec<_>>());
    }
}
