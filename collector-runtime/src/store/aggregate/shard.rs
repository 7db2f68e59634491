//! Each thread's table of an aggregator: a caller's flush merges into its
//! own thread's table, under a lock only the sender's drain ever takes too,
//! so flushes on many threads never wait for each other.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::aggregate::table::Table;

/// One thread's table, shared with the aggregator that drains it.
pub(crate) type ShardTable = Arc<Mutex<Table>>;

/// Locks a shard's table. A merge or a drain keeps the table whole at every
/// step, so a panic elsewhere while it was held leaves it usable.
pub(crate) fn lock(table: &ShardTable) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// This thread's table of each aggregator it flushed into, by the
    /// aggregator's id.
    static SHARDS: RefCell<Vec<(u64, ShardTable)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's table of aggregator `id`, made by `make` (which registers
/// it with the aggregator) on first use. `None` while the thread's locals
/// are being dropped: the caller then writes lines as it would without an
/// aggregator.
#[inline]
pub(crate) fn of_this_thread(id: u64, make: impl FnOnce() -> ShardTable) -> Option<ShardTable> {
    SHARDS
        .try_with(|shards| {
            let mut shards = shards.borrow_mut();
            if let Some((_, table)) = shards.iter().find(|(held, _)| *held == id) {
                return Arc::clone(table);
            }
            // Tables no aggregator holds any more (their client is gone)
            // are let go when another is added.
            shards.retain(|(_, table)| Arc::strong_count(table) > 1);
            let table = make();
            shards.push((id, Arc::clone(&table)));
            table
        })
        .ok()
}
