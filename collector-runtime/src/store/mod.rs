//! The series one collector holds, bounded by `max_series`, whether a record
//! was kept ([`accepted`]), the flush that merges them into the client's
//! aggregator across executions ([`aggregate`]) or writes them as lines
//! ([`flush`]), and the hand-off of lines to the outbox ([`handoff`]).

pub(crate) mod accepted;
pub(crate) mod aggregate;
pub(crate) mod flush;
pub(crate) mod handoff;
mod index;
pub(crate) mod series;

use std::sync::Arc;

use crate::input::hash::seed;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::input::sanitize::is_usable_name;
use crate::input::tags::Tags;
use crate::send::global::global_tags;
use crate::store::series::{Key, Probe, Series};
use index::HashIndex;

/// The tags every line of a collector carries whatever was recorded: a
/// record's tag among them names the same series as the record without it.
#[derive(Clone, Default)]
pub(crate) struct KeyBase {
    /// The collector's base tags and its own client's tags.
    pub(crate) tags: Option<Arc<[String]>>,
    /// Whether the global client's tags apply too (no client of its own).
    pub(crate) global: bool,
}

/// The most series a thread's store keeps, empty, from one execution for
/// the next (see [`Store::park`]): more are let go.
const KEPT_SERIES: usize = 256;

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
    index: HashIndex,
    /// In order of first record, which is the order they are sent in. Some
    /// may be kept from an earlier execution, empty (see [`Store::park`]).
    pub(crate) series: Vec<Series>,
    /// How many of `series` hold a record: what the store holds.
    live: usize,
    /// The base the series were keyed without: series kept by
    /// [`Store::park`] serve a next execution keyed without the same base.
    keyed_for: KeyBase,
    pub(crate) dropped: u64,
    /// Service checks and events, in the order recorded: never aggregated,
    /// bounded apart from the series (`max_series` of them), so that a
    /// collector full of series still sends them.
    pub(crate) notices: Vec<Notice>,
    max_series: usize,
    /// The tags every line gets at flush, left out of series keys (see
    /// [`Key::without`]).
    base: KeyBase,
    /// The global client's tags, when `base` says they apply; read on the
    /// first new series.
    global_tags: Option<Arc<[String]>>,
}

impl Store {
    pub(crate) fn new(max_series: usize) -> Store {
        Store {
            index: HashIndex::default(),
            series: Vec::new(),
            live: 0,
            keyed_for: KeyBase::default(),
            dropped: 0,
            notices: Vec::new(),
            max_series,
            base: KeyBase::default(),
            global_tags: None,
        }
    }

    /// A store whose series keys leave out `base`.
    pub(crate) fn with_base(max_series: usize, base: KeyBase) -> Store {
        Store {
            base,
            ..Store::new(max_series)
        }
    }

    /// Folds one record into its series. A record into a series that exists
    /// is found by a [`Probe`] of the caller's bytes, inline; anything else
    /// (a new series, text to sanitize, repeated tags) is out of line.
    #[inline(always)]
    pub(crate) fn accept<T: Tags + ?Sized>(
        &mut self,
        kind: Kind,
        name: &str,
        tags: &T,
        sample: Sample,
    ) -> Result<(), Refused> {
        let seed = seed();
        let probe = Probe::new(seed, kind, name, tags);
        if let Some(probe) = &probe {
            if self.add_existing(probe, sample) {
                return Ok(());
            }
        }
        self.accept_new(seed, kind, name, tags, probe.as_ref(), sample)
    }

    /// A record the probe did not find a series for: a new series, or text
    /// that needs the sanitized [`Key`] to find its series.
    #[inline(never)]
    fn accept_new<T: Tags + ?Sized>(
        &mut self,
        seed: u64,
        kind: Kind,
        name: &str,
        tags: &T,
        probe: Option<&Probe<'_, T>>,
        sample: Sample,
    ) -> Result<(), Refused> {
        // A new series of text already in its sent form, with none of the
        // base tags: kept as it is, without sanitizing copies.
        if let Some(probe) = probe {
            if !probe.has_any(&self.base_sets()) {
                if let Some(series) = Series::from_probe(probe, sample) {
                    return self.insert(series);
                }
            }
        }
        let key = Key::new(seed, kind, name, tags).without(seed, &self.base_sets());
        self.record(&key, sample)
    }

    /// The tags every line gets at flush anyway: the collector's own, and
    /// the global client's when it sends through it (read once per store).
    fn base_sets(&mut self) -> [&[String]; 2] {
        if self.base.global && self.global_tags.is_none() {
            self.global_tags = Some(global_tags());
        }
        [
            self.base.tags.as_deref().unwrap_or_default(),
            self.global_tags.as_deref().unwrap_or_default(),
        ]
    }

    /// Moves every series of `later` (the same collector's records, kept
    /// apart on one thread) into this store, emptying `later` but keeping
    /// its capacity.
    pub(crate) fn absorb(&mut self, later: &mut Store) {
        later.index.clear(&later.series);
        self.dropped = self
            .dropped
            .saturating_add(std::mem::take(&mut later.dropped));
        for notice in later.notices.drain(..) {
            // Counted like a record, not kept, past the bound.
            let _ = self.keep_notice(notice);
        }
        later.live = 0;
        for series in later.series.drain(..).filter(Series::is_live) {
            let mut revived = false;
            match self.find(series.hash, |held| held.same_as(&series)) {
                Some(held) => {
                    revived = !held.is_live();
                    held.absorb(&series);
                }
                None => {
                    if let Err(lost) = self.push_new(series) {
                        self.dropped = self.dropped.saturating_add(lost.records);
                    }
                }
            }
            self.live += usize::from(revived);
        }
    }

    /// The held series with `hash` that `is` accepts: the first of the
    /// hash's chain, then the next, while they share the hash.
    #[inline(always)]
    fn find(&mut self, hash: u64, is: impl Fn(&Series) -> bool) -> Option<&mut Series> {
        let mut at = self.index.get(hash, &self.series)?;
        loop {
            let series = self.series.get(at as usize)?;
            if is(series) {
                return self.series.get_mut(at as usize);
            }
            at = series.next?;
        }
    }

    /// Whether there is nothing to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0 && self.dropped == 0 && self.notices.is_empty()
    }

    /// Keeps a service check or an event, unless `max_series` of them are
    /// held already: it is then counted as a dropped record.
    pub(crate) fn keep_notice(&mut self, notice: Notice) -> Result<(), Refused> {
        if self.notices.len() >= self.max_series {
            self.dropped = self.dropped.saturating_add(1);
            return Err(Refused::Full);
        }
        self.notices.push(notice);
        Ok(())
    }

    /// Takes the service checks and events, in the order recorded.
    pub(crate) fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Empties the store for another collector, keeping its capacity. Its
    /// series are kept, empty, when they were keyed without the same base:
    /// the next execution of an annotated function records into the same
    /// series as the last, and finds them without building them again.
    pub(crate) fn reset(&mut self, max_series: usize, base: KeyBase) {
        let same_base = self.keyed_for.tags.as_deref() == base.tags.as_deref()
            && self.keyed_for.global == base.global;
        self.empty(same_base && self.series.len() <= max_series.min(KEPT_SERIES));
        self.max_series = max_series;
        self.keyed_for = base.clone();
        self.base = base;
    }

    /// Empties the store for the thread's next execution, keeping at most
    /// [`KEPT_SERIES`] series, empty, for it to find (see [`Store::reset`]).
    pub(crate) fn park(&mut self) {
        self.empty(self.series.len() <= KEPT_SERIES);
    }

    /// Empties the store, its series kept empty when `keep` says so.
    fn empty(&mut self, keep: bool) {
        if keep {
            self.empty_series();
        } else {
            self.clear_series();
        }
        self.dropped = 0;
        self.notices.clear();
        self.global_tags = None;
    }

    fn empty_series(&mut self) {
        if self.live > 0 {
            self.series.iter_mut().for_each(Series::empty);
            self.live = 0;
        }
    }

    fn clear_series(&mut self) {
        // Clearing an empty table still writes all its control bytes: skip
        // it for the store of a frame that recorded nothing.
        if !self.series.is_empty() {
            self.index.clear(&self.series);
            self.series.clear();
        }
        self.live = 0;
    }

    /// Lets go of the kept series that hold no record, to make room.
    #[cold]
    fn drop_empty_series(&mut self) {
        self.index.clear(&self.series);
        self.series.retain(Series::is_live);
        self.reindex();
    }

    /// Heap capacity, in series, that an idle store keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.series.capacity()
    }

    /// Folds `sample` into the series `probe` names, if the store holds it.
    #[inline(always)]
    pub(crate) fn add_existing<T: Tags + ?Sized>(
        &mut self,
        probe: &Probe<'_, T>,
        sample: Sample,
    ) -> bool {
        let room = self.live < self.max_series;
        match self.find(probe.hash, |series| series.matches_probe(probe)) {
            Some(series) if series.is_live() => {
                series.add(sample);
                true
            }
            Some(series) if room => {
                // A series kept from the thread's last execution.
                series.add(sample);
                self.live += 1;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn record<T: Tags + ?Sized>(
        &mut self,
        key: &Key<'_, T>,
        sample: Sample,
    ) -> Result<(), Refused> {
        let room = self.live < self.max_series;
        match self.find(key.hash, |series| series.matches(key)) {
            Some(series) if series.is_live() => {
                series.add(sample);
                Ok(())
            }
            Some(series) if room => {
                series.add(sample);
                self.live += 1;
                Ok(())
            }
            Some(_) => {
                self.dropped = self.dropped.saturating_add(1);
                Err(Refused::Full)
            }
            None => self.insert(Series::new(key, sample)),
        }
    }

    /// Adds a series known not to be held yet. Inlined with what builds
    /// the series, so that it is written straight into its slot: a series
    /// built apart and copied in would be read back wide from narrow stores
    /// still in flight.
    #[inline(always)]
    fn insert(&mut self, series: Series) -> Result<(), Refused> {
        if !is_usable_name(series.name()) {
            return Err(Refused::InvalidName);
        }
        self.push_new(series).map_err(|_| {
            self.dropped = self.dropped.saturating_add(1);
            Refused::Full
        })
    }

    /// Adds a series that no held one matches, at the head of its hash's
    /// chain; gives it back when the store is full.
    #[inline(always)]
    fn push_new(&mut self, mut series: Series) -> Result<(), Series> {
        // `u32` indexes keep the chain links small; the bound is far below.
        if self.live >= self.max_series || self.series.len() >= u32::MAX as usize {
            return Err(series);
        }
        if self.series.len() >= self.max_series {
            // Full of kept series: the empty ones go.
            self.drop_empty_series();
        }
        series.next = self
            .index
            .insert(series.hash, self.series.len() as u32, &self.series);
        self.series.push(series);
        self.live += 1;
        Ok(())
    }

    /// Takes every series and the dropped count, leaving the store empty.
    /// `spare` (an emptied vector from an earlier flush) keeps its capacity.
    pub(crate) fn take(&mut self, spare: Vec<Series>) -> (Vec<Series>, u64) {
        self.index.clear(&self.series);
        let mut series = std::mem::replace(&mut self.series, spare);
        if self.live < series.len() {
            series.retain(Series::is_live);
        }
        self.live = 0;
        (series, std::mem::take(&mut self.dropped))
    }

    /// Gives back the series a flush took: when nothing was recorded in the
    /// meantime, they are kept, empty, for the collector's next round (a
    /// loop of jobs records into the same series, found without building
    /// them again), as a thread's store keeps them ([`Store::park`]);
    /// otherwise only the vector's capacity is kept.
    pub(crate) fn give_back(&mut self, mut spare: Vec<Series>) {
        if self.series.is_empty() && spare.len() <= self.max_series {
            spare.iter_mut().for_each(Series::empty);
            self.series = spare;
            self.reindex();
            return;
        }
        spare.clear();
        if self.series.is_empty() && self.series.capacity() < spare.capacity() {
            self.series = spare;
        }
    }

    /// Indexes every held series again (the index was cleared).
    fn reindex(&mut self) {
        for position in 0..self.series.len() {
            let hash = self.series[position].hash;
            let next = self.index.insert(hash, position as u32, &self.series);
            self.series[position].next = next;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Adds `delta` to a gauge's last value, or sets it to `delta` when the
    /// store does not hold the gauge (a `metrics` gauge starts at 0). Off
    /// the record path: it takes the sanitizing [`Key`] every time.
    #[cfg(feature = "metrics")]
    pub(crate) fn adjust_gauge<T: Tags + ?Sized>(
        &mut self,
        name: &str,
        tags: &T,
        delta: f64,
    ) -> Result<(), Refused> {
        let seed = seed();
        let key = Key::new(seed, Kind::Gauge, name, tags).without(seed, &self.base_sets());
        let room = self.live < self.max_series;
        match self.find(key.hash, |series| series.matches(&key)) {
            Some(series) if series.is_live() || room => {
                let last = match series.total {
                    crate::input::sample::Total::Last(value) if series.is_live() => value,
                    _ => 0.0,
                };
                if series.add(Sample::value(last + delta)) {
                    self.live += 1;
                }
                Ok(())
            }
            Some(_) => {
                self.dropped = self.dropped.saturating_add(1);
                Err(Refused::Full)
            }
            None => self.insert(Series::new(&key, Sample::value(delta))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sample::{Kind, Total};

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
    fn absorbing_adds_totals_moves_new_series_and_respects_the_bound() {
        let mut shared = Store::new(2);
        incr(&mut shared, "q", &["a"]).unwrap();
        let mut local = Store::new(10);
        for tag in ["a", "a", "b", "c", "c", "c"] {
            incr(&mut local, "q", &[tag]).unwrap();
        }
        shared.absorb(&mut local);
        assert!(local.is_empty());
        assert_eq!(shared.len(), 2);
        assert_eq!(shared.series[0].total, Total::Count(3));
        assert_eq!(shared.series[1].total, Total::Count(1));
        // "c" did not fit: its three records are counted, not kept.
        assert_eq!(shared.dropped, 3);
        // The absorbed series is found again by later records.
        incr(&mut shared, "q", &["b"]).unwrap();
        assert_eq!(shared.series[1].total, Total::Count(2));
    }

    #[test]
    fn absorbing_a_gauge_keeps_the_later_value() {
        let mut shared = Store::new(10);
        let gauge = |store: &mut Store, v: f64| {
            store
                .accept(Kind::Gauge, "depth", &(), Sample::value(v))
                .unwrap()
        };
        gauge(&mut shared, 1.0);
        let mut later = Store::new(10);
        gauge(&mut later, 7.0);
        gauge(&mut later, 5.0);
        shared.absorb(&mut later);
        assert_eq!(shared.series[0].total, Total::Last(5.0));
    }

    #[test]
    fn notices_are_kept_in_order_apart_from_the_full_series() {
        use crate::{checks_events::Event, checks_events::ServiceCheck, checks_events::Status};
        let mut store = Store::new(1);
        incr(&mut store, "q", &["a"]).unwrap();
        assert_eq!(incr(&mut store, "q", &["b"]), Err(Refused::Full));
        let check = Notice::Check(Box::new(ServiceCheck::new("c", Status::Ok)));
        store.keep_notice(check.clone()).unwrap();
        let event = Notice::Event(Box::new(Event::new("e", "")));
        assert_eq!(store.keep_notice(event.clone()), Err(Refused::Full));
        assert_eq!(store.dropped, 2);
        let mut later = Store::new(5);
        later.keep_notice(event.clone()).unwrap();
        let mut wide = Store::new(5);
        wide.keep_notice(check.clone()).unwrap();
        wide.absorb(&mut later);
        assert_eq!(wide.take_notices(), [check, event]);
        assert!(later.is_empty() && wide.is_empty());
    }

    #[test]
    fn a_parked_store_keeps_its_series_empty_for_the_next_execution() {
        let mut store = Store::new(2);
        incr(&mut store, "q", &["a"]).unwrap();
        incr(&mut store, "q", &["b"]).unwrap();
        store.park();
        store.reset(2, KeyBase::default());
        assert!(store.is_empty());
        assert_eq!(store.len(), 0);
        // Kept, found again, starting from the new record.
        incr(&mut store, "q", &["b"]).unwrap();
        assert_eq!(store.len(), 1);
        let live: Vec<_> = store.series.iter().filter(|s| s.is_live()).collect();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].total, Total::Count(1));
        // A new series in a store full of kept ones lets the empty ones go;
        // the bound counts what the execution recorded.
        incr(&mut store, "q", &["c"]).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(incr(&mut store, "q", &["a"]), Err(Refused::Full));
        let (taken, dropped) = store.take(Vec::new());
        assert_eq!((taken.len(), dropped), (2, 1));
    }

    #[test]
    fn series_given_back_are_kept_and_start_again_from_what_is_absorbed() {
        let mut shared = Store::new(10);
        for _ in 0..3 {
            incr(&mut shared, "q", &["a"]).unwrap();
        }
        let (taken, _) = shared.take(Vec::new());
        assert_eq!(taken[0].total, Total::Count(3));
        shared.give_back(taken);
        assert!(shared.is_empty());
        let mut local = Store::new(10);
        incr(&mut local, "q", &["a"]).unwrap();
        shared.absorb(&mut local);
        incr(&mut shared, "q", &["b"]).unwrap();
        let (taken, _) = shared.take(Vec::new());
        let totals: Vec<_> = taken.iter().map(|s| s.total).collect();
        assert_eq!(totals, [Total::Count(1), Total::Count(1)]);
    }

    #[test]
    fn another_base_does_not_keep_the_series() {
        let mut store = Store::new(5);
        incr(&mut store, "q", &["a"]).unwrap();
        store.park();
        let other = KeyBase {
            tags: Some(std::sync::Arc::from(vec!["env:x".to_owned()])),
            global: false,
        };
        store.reset(5, other);
        assert!(store.series.is_empty());
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
