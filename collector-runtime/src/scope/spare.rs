//! Emptied stores kept per thread for the next frames, so that entering a
//! collector allocates nothing once a thread has warmed up.

use std::cell::RefCell;

use crate::store::{KeyBase, Store};

/// How many emptied stores a thread keeps.
const SPARE_STORES: usize = 8;
/// A store grown past this many series is freed rather than kept.
const SPARE_CAPACITY: usize = 1024;

/// A spare store, boxed: it moves into a frame as one pointer.
pub(crate) type SpareStore = Box<Store>;

thread_local! {
    static SPARE: RefCell<Vec<SpareStore>> = const { RefCell::new(Vec::new()) };
}

/// Keeps an emptied store for the next frame on this thread, unless it grew
/// large or enough are kept.
pub(crate) fn recycle(mut store: SpareStore) {
    if store.capacity() <= SPARE_CAPACITY {
        store.park();
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < SPARE_STORES {
                    spare.push(store);
                }
            }
        });
    }
}

/// An empty store for `max_series` series keyed without `base`, reused from
/// this thread's spares when there is one.
pub(crate) fn lend_store(max_series: usize, base: &KeyBase) -> SpareStore {
    let spare = SPARE
        .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten();
    let mut store = spare.unwrap_or_else(|| Box::new(Store::new(max_series)));
    store.reset(max_series, base.clone());
    store
}
