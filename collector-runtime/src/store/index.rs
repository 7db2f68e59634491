//! A store's index: from a series' hash to the first series with that hash
//! (the rest are chained through [`Series::next`]).
//!
//! The keys are hashes already, and every series keeps its own, so the
//! table holds nothing but series positions: open addressing over a
//! power-of-two array of `u32` slots (position + 1; 0 is empty), found from
//! the hash's top bits and probed linearly, at most half full. A lookup is
//! one slot read and one compare with the series it names, which a record
//! reads next anyway.

use crate::store::series::Series;

/// The fewest slots a table that holds anything has.
const MIN_SLOTS: usize = 16;

#[derive(Default)]
pub(crate) struct HashIndex {
    slots: Vec<u32>,
    /// How many slots are taken.
    len: usize,
}

impl HashIndex {
    /// The slot a hash starts probing at: its top bits, which the hash
    /// mixes best.
    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        // `slots.len()` is a power of two of at least `MIN_SLOTS`.
        (hash >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// The position of the first series of `series` with `hash`.
    #[inline(always)]
    pub(crate) fn get(&self, hash: u64, series: &[Series]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let position = self.slots[at].checked_sub(1)?;
            if series[position as usize].hash == hash {
                return Some(position);
            }
            at = (at + 1) & mask;
        }
    }

    /// Makes `position` the first series with `hash`, giving back the one
    /// that was (the new series chains to it).
    pub(crate) fn insert(&mut self, hash: u64, position: u32, series: &[Series]) -> Option<u32> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow(series);
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            match self.slots[at].checked_sub(1) {
                None => {
                    self.slots[at] = position + 1;
                    self.len += 1;
                    return None;
                }
                Some(held) if series[held as usize].hash == hash => {
                    self.slots[at] = position + 1;
                    return Some(held);
                }
                Some(_) => at = (at + 1) & mask,
            }
        }
    }

    /// Doubles the table, placing every taken slot again.
    #[cold]
    fn grow(&mut self, series: &[Series]) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let mask = size - 1;
        for position in old.into_iter().filter_map(|slot| slot.checked_sub(1)) {
            let mut at = self.home(series[position as usize].hash);
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = position + 1;
        }
    }

    /// Empties the table of `series` (every series it indexes), keeping its
    /// size. A table grown large by an earlier round and holding few series
    /// now (a thread's store reused by a small call after a big one) is
    /// emptied slot by slot from those series' homes, not written whole.
    pub(crate) fn clear(&mut self, series: &[Series]) {
        if self.len == 0 {
            return;
        }
        if self.len * 8 >= self.slots.len() {
            self.slots.fill(0);
        } else {
            // Every taken slot lies after its series' home with no empty slot
            // between, so zeroing from each home up to the first empty slot
            // empties them all, whatever the order.
            let mask = self.slots.len() - 1;
            for one in series {
                let mut at = self.home(one.hash);
                while self.slots[at] != 0 {
                    self.slots[at] = 0;
                    at = (at + 1) & mask;
                }
            }
        }
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sample::{Kind, Sample};
    use crate::store::series::Key;

    /// Series whose hashes are chosen: `hashes[i]` for the `i`th.
    fn series_with(hashes: &[u64]) -> Vec<Series> {
        hashes
            .iter()
            .map(|&hash| {
                let mut series =
                    Series::new(&Key::new(1, Kind::Counter, "q", &()), Sample::Count(1));
                series.hash = hash;
                series
            })
            .collect()
    }

    #[test]
    fn finds_each_hash_through_collisions_and_growth() {
        // Hashes that share their top bits (one home slot at every size),
        // repeated hashes, and spread ones.
        let mut hashes: Vec<u64> = (0..300).map(|i| 0xABCD_0000_0000_0000 | i).collect();
        hashes.extend((0..300).map(|i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        hashes.extend([7, 7, 7]);
        let series = series_with(&hashes);
        let mut index = HashIndex::default();
        let mut heads = std::collections::HashMap::new();
        for (position, series_hash) in hashes.iter().enumerate() {
            let before = index.insert(*series_hash, position as u32, &series[..=position]);
            assert_eq!(before, heads.insert(*series_hash, position as u32));
        }
        for (hash, head) in &heads {
            assert_eq!(index.get(*hash, &series), Some(*head));
        }
        assert_eq!(index.get(8, &series), None);
        assert!(index.len * 2 <= index.slots.len());
    }

    #[test]
    fn clearing_forgets_everything_and_keeps_the_size() {
        let all = series_with(&[1, 2, 3]);
        let mut index = HashIndex::default();
        for (position, series) in all.iter().enumerate() {
            index.insert(series.hash, position as u32, &all);
        }
        let size = index.slots.len();
        index.clear(&all);
        assert_eq!((index.len, index.slots.len()), (0, size));
        assert_eq!(index.get(2, &all), None);
    }

    #[test]
    fn a_large_table_holding_few_series_is_emptied_slot_by_slot() {
        // Grown by 1,000 series, then holding 20 that share home slots and
        // clusters (equal top bits, equal hashes), inserted in any order.
        let big = series_with(
            &(0..1_000u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect::<Vec<_>>(),
        );
        let mut index = HashIndex::default();
        for (position, one) in big.iter().enumerate() {
            index.insert(one.hash, position as u32, &big);
        }
        index.clear(&big);
        assert!(index.slots.iter().all(|&slot| slot == 0));
        let few: Vec<u64> = (0..10u64)
            .map(|i| 0xF000_0000_0000_0000 | i)
            .chain((0..10u64).map(|i| 0xF000_0000_0000_0000 | (i % 3)))
            .collect();
        let few = series_with(&few);
        for (position, one) in few.iter().enumerate().rev() {
            index.insert(one.hash, position as u32, &few);
        }
        assert!(index.len * 8 < index.slots.len());
        index.clear(&few);
        assert!(index.slots.iter().all(|&slot| slot == 0));
        assert_eq!(index.len, 0);
    }
}
