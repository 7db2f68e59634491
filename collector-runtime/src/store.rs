//! The series one collector holds, bounded by `max_series`.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::hash::PassThrough;
use crate::sanitize::is_usable_name;
use crate::series::{Key, Probe, Sample, Series};
use crate::tags::Tags;

/// Why a record was not kept.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The name has no letter or digit.
    InvalidName,
    /// The collector is full; the record was counted as dropped.
    Full,
}

pub(crate) struct Store {
    /// Key hash to the first series with that hash; series with equal hashes
    /// are chained through [`Series::next`].
    index: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// In order of first record, which is the order they are sent in.
    pub(crate) series: Vec<Series>,
    pub(crate) dropped: u64,
    max_series: usize,
}

impl Store {
    pub(crate) fn new(max_series: usize) -> Store {
        Store {
            index: HashMap::default(),
            series: Vec::new(),
            dropped: 0,
            max_series,
        }
    }

    /// Folds `sample` into the series `probe` names, if the store holds it.
    #[inline]
    pub(crate) fn add_existing<T: Tags + ?Sized>(
        &mut self,
        probe: &Probe<'_, T>,
        sample: Sample,
    ) -> bool {
        let mut at = self.index.get(&probe.hash).copied();
        while let Some(i) = at {
            let series = &mut self.series[i as usize];
            if series.matches_probe(probe) {
                series.add(sample);
                return true;
            }
            at = series.next;
        }
        false
    }

    pub(crate) fn record<T: Tags + ?Sized>(
        &mut self,
        key: &Key<'_, T>,
        sample: Sample,
    ) -> Result<(), Refused> {
        let first = self.index.get(&key.hash).copied();
        let mut at = first;
        while let Some(i) = at {
            let series = &mut self.series[i as usize];
            if series.matches(key) {
                series.add(sample);
                return Ok(());
            }
            at = series.next;
        }
        if !is_usable_name(key.name) {
            return Err(Refused::InvalidName);
        }
        // `u32` indexes keep the chain links small; the bound is far below.
        if self.series.len() >= self.max_series || self.series.len() >= u32::MAX as usize {
            self.dropped = self.dropped.saturating_add(1);
            return Err(Refused::Full);
        }
        let mut series = Series::new(key, sample);
        series.next = first;
        self.index.insert(key.hash, self.series.len() as u32);
        self.series.push(series);
        Ok(())
    }

    /// Takes every series and the dropped count, leaving the store empty.
    /// `spare` (an emptied vector from an earlier flush) keeps its capacity.
    pub(crate) fn take(&mut self, spare: Vec<Series>) -> (Vec<Series>, u64) {
        self.index.clear();
        let series = std::mem::replace(&mut self.series, spare);
        (series, std::mem::take(&mut self.dropped))
    }

    /// Gives back an emptied vector so its capacity serves the next round.
    pub(crate) fn give_back(&mut self, mut spare: Vec<Series>) {
        spare.clear();
        if self.series.is_empty() && self.series.capacity() < spare.capacity() {
            self.series = spare;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{Kind, Total};

    fn incr(store: &mut Store, name: &str, tags: &[&str]) -> Result<(), Refused> {
        store.record(&Key::new(1, Kind::Counter, name, tags), Sample::Count(1))
    }

    #[test]
    fn records_fold_into_their_series() {
        let mut store = Store::new(10);
        incr(&mut store, "q", &["a"]).unwrap();
        incr(&mut store, "q", &["a"]).unwrap();
        incr(&mut store, "q", &["b"]).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.series[0].total, Total::Count(2));
    }

    #[test]
    fn a_full_store_counts_instead_of_keeping() {
        let mut store = Store::new(2);
        incr(&mut store, "q", &["a"]).unwrap();
        incr(&mut store, "q", &["b"]).unwrap();
        assert_eq!(incr(&mut store, "q", &["c"]), Err(Refused::Full));
        incr(&mut store, "q", &["a"]).unwrap();
        assert_eq!((store.len(), store.dropped), (2, 1));
    }

    #[test]
    fn unusable_names_are_refused() {
        let mut store = Store::new(2);
        assert_eq!(incr(&mut store, "", &[]), Err(Refused::InvalidName));
        assert_eq!(incr(&mut store, "|:|", &[]), Err(Refused::InvalidName));
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn take_empties_and_keeps_capacity_for_the_next_round() {
        let mut store = Store::new(10);
        incr(&mut store, "q", &["a"]).unwrap();
        let (taken, dropped) = store.take(Vec::new());
        assert_eq!((taken.len(), dropped, store.len()), (1, 0, 0));
        let capacity = taken.capacity();
        store.give_back(taken);
        assert_eq!(store.series.capacity(), capacity);
        incr(&mut store, "q", &["a"]).unwrap();
        assert_eq!(store.series[0].total, Total::Count(1));
    }
}
