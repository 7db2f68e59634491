//! The contexts one table of an aggregator holds for an interval: each a
//! series (type, name, its own tags) under one set of resolved tags, with
//! what the executions that ended in the interval sent to it.
//!
//! - a counter keeps the sum: the agent sums a context's counts anyway;
//! - a gauge keeps the value set last (by the flushes' order), which is
//!   the one the agent would have kept;
//! - a histogram, distribution or timing keeps every execution's total as
//!   a sample of its own, in order: the agent takes each value on a line
//!   as one sample, so packed values mean what separate lines meant.
//!
//! A table reuses a store's series (their text, and their hash computed
//! when recorded) and its index, keyed by the series' hash mixed with the
//! hash of its resolved tags; a match compares the text, never the hash
//! alone. It holds at most `max` contexts: past that, a merge says no and
//! the caller writes the series as a line of its own.

use std::collections::HashMap;

use crate::errors::handler::ErrorHandler;
use crate::input::sample::{Kind, Total};
use crate::store::aggregate::context_tags::{hash_context_tags, ContextTags};
use crate::store::index::HashIndex;
use crate::store::series::Series;

/// What a context holds beside its series (whose total is the first
/// sample, the sum or the last value).
pub(crate) struct Held {
    /// Which of the table's tag sets the context's lines carry.
    pub(crate) tags: u32,
    /// The samples after the first, for histograms, distributions and
    /// timings.
    pub(crate) more: Vec<Total>,
    /// For a gauge: the order of the flush that set its value.
    pub(crate) stamp: u64,
}

impl Held {
    /// How many values the context's lines carry.
    pub(crate) fn samples(&self) -> usize {
        1 + self.more.len()
    }
}

/// The contexts of one interval.
pub(crate) struct Table {
    tag_sets: Vec<ContextTags>,
    /// From a tag set's hash to the newest set with that hash (the others
    /// chained through [`ContextTags::next`]).
    tag_index: HashMap<u64, u32>,
    /// The set the last flush used: most flushes of a table use the same.
    last_set: Option<u32>,
    pub(crate) series: Vec<Series>,
    /// Beside each of `series`.
    pub(crate) held: Vec<Held>,
    index: HashIndex,
    max: usize,
}

impl Table {
    pub(crate) fn new(max: usize) -> Table {
        Table {
            tag_sets: Vec::new(),
            tag_index: HashMap::new(),
            last_set: None,
            series: Vec::new(),
            held: Vec::new(),
            index: HashIndex::default(),
            max,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The lines its drain will write: one per context when samples are
    /// packed (more only for a context whose samples outgrow a payload),
    /// one per sample when they are not.
    pub(crate) fn lines(&self, packed: bool) -> u64 {
        let lines = if packed {
            self.series.len()
        } else {
            self.held.iter().map(Held::samples).sum()
        };
        lines as u64
    }

    /// How many contexts it has room for without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.series.capacity()
    }

    pub(crate) fn tag_sets(&self) -> &[ContextTags] {
        &self.tag_sets
    }

    /// The id of the tag set `base` and `inherited` (as
    /// [`LineWriter::context_tags`](crate::line::writer::LineWriter::context_tags)
    /// gives them), added if new; `None` when the table is full.
    /// `on_error` is where a failure to send the set's lines is reported,
    /// if the set is new.
    pub(crate) fn tag_set(
        &mut self,
        seed: u64,
        base: &[&str],
        inherited: &[&str],
        on_error: Option<&ErrorHandler>,
    ) -> Option<u32> {
        if let Some(last) = self.last_set {
            if self.tag_sets[last as usize].is(base, inherited) {
                return Some(last);
            }
        }
        let hash = hash_context_tags(seed, base, inherited);
        let found = self.find_set(hash, |set| set.is(base, inherited));
        let id = match found {
            Some(id) => id,
            None => self.add_set(ContextTags::new(base, inherited, hash, on_error))?,
        };
        self.last_set = Some(id);
        Some(id)
    }

    fn find_set(&self, hash: u64, is: impl Fn(&ContextTags) -> bool) -> Option<u32> {
        let mut at = *self.tag_index.get(&hash)?;
        loop {
            let set = &self.tag_sets[at as usize];
            if is(set) {
                return Some(at);
            }
            at = set.next?;
        }
    }

    fn add_set(&mut self, mut set: ContextTags) -> Option<u32> {
        if self.tag_sets.len() >= self.max {
            return None;
        }
        let id = self.tag_sets.len() as u32;
        set.next = self.tag_index.insert(set.hash, id);
        self.tag_sets.push(set);
        Some(id)
    }

    /// The context of `series` under tag set `set`: its position, if held.
    #[inline]
    fn find(&self, hash: u64, set: u32, series: &Series) -> Option<usize> {
        let mut at = self.index.get(hash, &self.series)? as usize;
        loop {
            if self.held[at].tags == set && self.series[at].same_text(series) {
                return Some(at);
            }
            at = self.series[at].next? as usize;
        }
    }

    /// Folds one execution's `series`, under tag set `set`, into its
    /// context; `stamp` orders gauges. `false` when the context is new and
    /// the table is full: nothing was merged.
    #[inline]
    pub(crate) fn merge(&mut self, set: u32, series: &Series, stamp: u64) -> bool {
        let hash = series.hash ^ self.tag_sets[set as usize].hash;
        match self.find(hash, set, series) {
            Some(at) => {
                let (held, series_at) = (&mut self.held[at], &mut self.series[at]);
                fold(series_at, held, series.total, stamp);
                true
            }
            None => self.insert(series.copy_with_hash(hash), set, Vec::new(), stamp),
        }
    }

    fn insert(&mut self, mut series: Series, set: u32, more: Vec<Total>, stamp: u64) -> bool {
        if self.series.len() >= self.max {
            return false;
        }
        series.next = self
            .index
            .insert(series.hash, self.series.len() as u32, &self.series);
        self.series.push(series);
        self.held.push(Held {
            tags: set,
            more,
            stamp,
        });
        true
    }

    /// Moves every context of `other` (another thread's table of the same
    /// aggregator) into this one, emptying `other`. When this table is full,
    /// `full` is called with it (to write its lines and clear it) and the
    /// move goes on.
    pub(crate) fn absorb(&mut self, other: &mut Table, full: &mut impl FnMut(&mut Table)) {
        // `other`'s tag set ids, as ids of this table, found on first use.
        let mut sets: Vec<Option<u32>> = vec![None; other.tag_sets.len()];
        let held = std::mem::take(&mut other.held);
        other.index.clear(&other.series);
        let series = std::mem::take(&mut other.series);
        for (one, mut held) in series.into_iter().zip(held) {
            loop {
                let Some(set) = self.set_of(&other.tag_sets, &mut sets, held.tags) else {
                    full(self);
                    sets.fill(None);
                    continue;
                };
                if let Some(at) = self.find(one.hash, set, &one) {
                    let (into, series_at) = (&mut self.held[at], &mut self.series[at]);
                    fold(series_at, into, one.total, held.stamp);
                    into.more.append(&mut held.more);
                    break;
                }
                if self.series.len() < self.max {
                    let mut moved = one;
                    moved.next = None;
                    self.insert(moved, set, held.more, held.stamp);
                    break;
                }
                full(self);
                sets.fill(None);
            }
        }
        other.clear();
    }

    /// This table's id of `from`'s tag set `id`, added if new.
    fn set_of(&mut self, from: &[ContextTags], ids: &mut [Option<u32>], id: u32) -> Option<u32> {
        if let Some(mine) = ids[id as usize] {
            return Some(mine);
        }
        let theirs = &from[id as usize];
        let found = self.find_set(theirs.hash, |set| {
            set.base == theirs.base && set.inherited == theirs.inherited
        });
        let mine = match found {
            Some(mine) => mine,
            None => self.add_set(ContextTags {
                base: theirs.base.clone(),
                inherited: theirs.inherited.clone(),
                hash: theirs.hash,
                next: None,
                on_error: theirs.on_error.clone(),
            })?,
        };
        ids[id as usize] = Some(mine);
        Some(mine)
    }

    /// Empties the table, keeping its capacity.
    pub(crate) fn clear(&mut self) {
        self.index.clear(&self.series);
        self.series.clear();
        self.held.clear();
        self.tag_sets.clear();
        self.tag_index.clear();
        self.last_set = None;
    }
}

/// Folds a later execution's `total` into a context.
#[inline]
fn fold(series: &mut Series, held: &mut Held, total: Total, stamp: u64) {
    match series.kind {
        Kind::Counter => series.total.absorb(total),
        Kind::Gauge => {
            if stamp >= held.stamp {
                series.total = total;
                held.stamp = stamp;
            }
        }
        Kind::Histogram | Kind::Distribution | Kind::Timing => held.more.push(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sample::Sample;
    use crate::store::series::Key;

    fn series(kind: Kind, name: &str, tags: &[&str], sample: Sample) -> Series {
        Series::new(&Key::new(3, kind, name, tags), sample)
    }

    fn counter(tags: &[&str], n: i64) -> Series {
        series(Kind::Counter, "q", tags, Sample::Count(n))
    }

    #[test]
    fn counters_sum_per_context_and_tag_sets_keep_contexts_apart() {
        let mut table = Table::new(10);
        let plain = table.tag_set(3, &["env:a"], &[], None).unwrap();
        let other = table.tag_set(3, &["env:b"], &[], None).unwrap();
        assert_ne!(plain, other);
        assert_eq!(table.tag_set(3, &["env:a"], &[], None), Some(plain));
        for n in [1, 2, 3] {
            assert!(table.merge(plain, &counter(&["v:1"], n), 0));
        }
        assert!(table.merge(other, &counter(&["v:1"], 5), 0));
        assert!(table.merge(plain, &counter(&["v:2"], 7), 0));
        let totals: Vec<_> = table.series.iter().map(|s| s.total).collect();
        assert_eq!(totals, [Total::Count(6), Total::Count(5), Total::Count(7)]);
    }

    #[test]
    fn samples_stay_one_per_execution_and_gauges_keep_the_latest_stamp() {
        let mut table = Table::new(10);
        let set = table.tag_set(3, &[], &[], None).unwrap();
        for v in [1.5, 2.5, 1.5] {
            table.merge(set, &series(Kind::Histogram, "h", &[], Sample::value(v)), 0);
        }
        assert_eq!(table.series[0].total, Total::Sum(1.5));
        assert_eq!(table.held[0].more, [Total::Sum(2.5), Total::Sum(1.5)]);
        let gauge = |v| series(Kind::Gauge, "g", &[], Sample::value(v));
        table.merge(set, &gauge(1.0), 5);
        table.merge(set, &gauge(2.0), 9);
        table.merge(set, &gauge(3.0), 7);
        assert_eq!(table.series[1].total, Total::Last(2.0));
    }

    #[test]
    fn a_full_table_refuses_new_contexts_but_merges_known_ones() {
        let mut table = Table::new(1);
        let set = table.tag_set(3, &[], &[], None).unwrap();
        assert!(table.merge(set, &counter(&["a"], 1), 0));
        assert!(!table.merge(set, &counter(&["b"], 1), 0));
        assert!(table.merge(set, &counter(&["a"], 1), 0));
        assert_eq!(table.series.len(), 1);
    }

    #[test]
    fn absorbing_merges_by_text_and_writes_out_when_full() {
        let mut one = Table::new(10);
        let mut two = Table::new(10);
        let a1 = one.tag_set(3, &["x:1"], &[], None).unwrap();
        // The same set, another id in the other table.
        two.tag_set(3, &["y:1"], &[], None).unwrap();
        let a2 = two.tag_set(3, &["x:1"], &[], None).unwrap();
        one.merge(a1, &counter(&["t"], 1), 0);
        two.merge(a2, &counter(&["t"], 2), 0);
        two.merge(a2, &counter(&["u"], 4), 0);
        let mut combined = Table::new(2);
        let mut written = Vec::new();
        fn write_out(written: &mut Vec<Total>) -> impl FnMut(&mut Table) + '_ {
            |table: &mut Table| {
                written.extend(table.series.iter().map(|s| s.total));
                table.clear();
            }
        }
        combined.absorb(&mut one, &mut write_out(&mut written));
        combined.absorb(&mut two, &mut write_out(&mut written));
        assert!(one.is_empty() && two.is_empty());
        let totals: Vec<_> = combined.series.iter().map(|s| s.total).collect();
        assert_eq!(totals, [Total::Count(3), Total::Count(4)]);
        assert!(written.is_empty());
        let mut three = Table::new(10);
        let set = three.tag_set(3, &[], &[], None).unwrap();
        three.merge(set, &counter(&["w"], 9), 0);
        combined.absorb(&mut three, &mut write_out(&mut written));
        assert_eq!(written, [Total::Count(3), Total::Count(4)]);
        assert_eq!(combined.series[0].total, Total::Count(9));
    }
}
