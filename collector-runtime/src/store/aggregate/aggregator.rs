//! One client's aggregator across executions: the tables its callers'
//! flushes merge into, one per thread, and the drain that writes them as
//! lines into the client's outbox once per flush interval.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::send::client::Client;
use crate::send::outbox::Outbox;
use crate::send::upstream::Upstream;
use crate::store::aggregate::lines::LineOut;
use crate::store::aggregate::shard::{lock, ShardTable};
use crate::store::aggregate::table::Table;

/// The most contexts one table holds for an interval: a thread's table
/// past it sends new contexts as lines of their own; the drain's writes
/// what it holds and goes on. Memory stays bounded whatever the tags.
pub(crate) const MAX_CONTEXTS: usize = 10_000;

/// Emptied tables with room for more contexts than this are freed rather
/// than kept for the next interval: a burst does not hold its memory.
const KEPT_CAPACITY: usize = 1024;

/// Ids for aggregators, so that a thread finds its table of each.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Aggregator {
    pub(crate) id: u64,
    /// What the lines are written with: the client's prefix, tags, origin,
    /// payload size and packing. A copy with no outbox of its own: the
    /// outbox holds this aggregator, and must not be held by it.
    client: Client,
    /// The outbox that holds this aggregator, which its lines go into.
    outbox: Weak<Outbox>,
    /// Every thread's table.
    shards: Mutex<Vec<ShardTable>>,
    /// Set by the first merge of an interval, which asks the sender to
    /// drain one interval later; cleared by the drain.
    armed: AtomicBool,
    /// The drain's own: the interval's contexts of every thread, combined,
    /// and emptied tables to swap in for the threads' full ones. One drain
    /// at a time.
    drain: Mutex<Drain>,
}

struct Drain {
    combined: Table,
    spare: Vec<Table>,
}

impl Aggregator {
    pub(crate) fn new(client: &Client, outbox: &Arc<Outbox>) -> Aggregator {
        Aggregator {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            client: client.without_outbox(),
            outbox: Arc::downgrade(outbox),
            shards: Mutex::new(Vec::new()),
            armed: AtomicBool::new(false),
            drain: Mutex::new(Drain {
                combined: Table::new(MAX_CONTEXTS),
                spare: Vec::new(),
            }),
        }
    }

    /// A table for a thread that has none yet.
    pub(crate) fn new_shard(&self) -> ShardTable {
        let table = Arc::new(Mutex::new(Table::new(MAX_CONTEXTS)));
        self.lock_shards().push(Arc::clone(&table));
        table
    }

    fn lock_shards(&self) -> std::sync::MutexGuard<'_, Vec<ShardTable>> {
        self.shards.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After a merge: the first of an interval asks the sender to drain
    /// one interval from now. A drain clears the flag before it reads the
    /// tables, so a merge it misses finds the flag clear and asks again.
    #[inline]
    pub(crate) fn merged(&self, outbox: &Arc<Outbox>) {
        if !self.armed.load(Ordering::Relaxed) && !self.armed.swap(true, Ordering::AcqRel) {
            outbox.upstream_waiting();
        }
    }
}

impl Upstream for Aggregator {
    fn drain(&self, relieve: &dyn Fn()) {
        let Some(outbox) = self.outbox.upgrade() else {
            return;
        };
        let outbox = &outbox;
        let mut drain = self.drain.lock().unwrap_or_else(|e| e.into_inner());
        let Drain { combined, spare } = &mut *drain;
        self.armed.store(false, Ordering::SeqCst);
        let shards: Vec<ShardTable> = self.lock_shards().clone();
        let mut out = LineOut::new(&self.client, outbox, relieve);
        for shard in &shards {
            // The thread's table is swapped for an empty one and combined
            // after: its thread waits for a swap, never for the combining.
            let mut taken = {
                let mut table = lock(shard);
                if table.is_empty() {
                    continue;
                }
                let empty = spare.pop().unwrap_or_else(|| Table::new(MAX_CONTEXTS));
                std::mem::replace(&mut *table, empty)
            };
            combined.absorb(&mut taken, &mut |full| {
                out.write_table(full);
                full.clear();
            });
            if taken.capacity() <= KEPT_CAPACITY {
                spare.push(taken);
            }
        }
        out.write_table(combined);
        combined.clear();
        if combined.capacity() > KEPT_CAPACITY {
            // A burst's room is given back, not kept for every interval.
            *combined = Table::new(MAX_CONTEXTS);
        }
        out.finish();
        drop(shards);
        // The tables of threads that ended, once empty.
        self.lock_shards()
            .retain(|shard| Arc::strong_count(shard) > 1 || !lock(shard).is_empty());
        spare.truncate(2);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
