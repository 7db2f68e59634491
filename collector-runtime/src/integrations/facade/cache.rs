//! Handles registered while a collector is current, kept per thread so
//! that `counter!(...).increment(1)` on a hot path finds the handle it got
//! last time instead of allocating one per call: the `metrics` macros
//! register at every call.
//!
//! Direct-mapped and bounded: one slot per hash bucket, a new key takes its
//! bucket's slot. Per thread: no lock, no contention. Only handles made
//! inside a collector are kept: they are the hot path, and they hold the
//! fallback recorder weakly, so a cache never keeps a recorder alive.
//! Handles of a recorder without a fallback are the same wherever they
//! were made, and are kept from any registration.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::thread::LocalKey;

use metrics::{Counter, Gauge, Histogram, Key};

use crate::input::hash::PassThrough;

/// Slots per thread and kind of handle.
const SLOTS: usize = 64;

struct Slot<H> {
    /// Which recorder made the handle (see `MetricsRecorder::id`).
    recorder: usize,
    hash: u64,
    key: Key,
    handle: H,
}

pub(crate) struct Cache<H> {
    slots: Vec<Option<Slot<H>>>,
}

impl<H> Cache<H> {
    const fn new() -> Self {
        Cache { slots: Vec::new() }
    }
}

thread_local! {
    pub(crate) static COUNTERS: RefCell<Cache<Counter>> = const { RefCell::new(Cache::new()) };
    pub(crate) static GAUGES: RefCell<Cache<Gauge>> = const { RefCell::new(Cache::new()) };
    pub(crate) static HISTOGRAMS: RefCell<Cache<Histogram>> = const { RefCell::new(Cache::new()) };
}

/// Whether two keys are the same, quickly for a call site's own key: the
/// macros pass the same static name and labels every time.
#[inline(always)]
fn same(a: &Key, b: &Key) -> bool {
    let (a_labels, b_labels) = (a.labels().as_slice(), b.labels().as_slice());
    if std::ptr::eq(a.name(), b.name()) && std::ptr::eq(a_labels, b_labels) {
        return true;
    }
    // Labels in another order miss, and get a slot of their own: a cache
    // miss, never a wrong handle.
    a.name() == b.name() && a_labels == b_labels
}

/// The handle `recorder` made for `key` on this thread, or a new one from
/// `make`, kept for next time.
#[inline]
pub(crate) fn get_or_make<H: Clone>(
    cache: &'static LocalKey<RefCell<Cache<H>>>,
    recorder: usize,
    key: &Key,
    make: impl FnOnce() -> H,
) -> H {
    let mut hasher = PassThrough::default();
    key.hash(&mut hasher);
    let hash = hasher.finish();
    let at = (hash as usize) % SLOTS;
    let found = cache.try_with(|cache| {
        let cache = cache.try_borrow().ok()?;
        let slot = cache.slots.get(at)?.as_ref()?;
        let hit = slot.recorder == recorder && slot.hash == hash && same(&slot.key, key);
        hit.then(|| slot.handle.clone())
    });
    if let Ok(Some(handle)) = found {
        return handle;
    }
    // Made with no borrow held: registering with a fallback may record.
    let handle = make();
    let _ = cache.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut() {
            if cache.slots.is_empty() {
                cache.slots.resize_with(SLOTS, || None);
            }
            cache.slots[at] = Some(Slot {
                recorder,
                hash,
                key: key.clone(),
                handle: handle.clone(),
            });
        }
    });
    handle
}
