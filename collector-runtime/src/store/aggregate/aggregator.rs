//! One client's aggregator across executions: the tables its callers'
//! flushes merge into, one per thread, and the drain that writes them as
//! lines into the client's outbox once per flush interval.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError, Weak};

use crate::send::client::Client;
use crate::send::outbox::Outbox;
use crate::send::upstream::Upstream;
use crate::store::aggregate::in_drain::InDrain;
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
    /// Lines the drain under way has taken from the threads' tables and
    /// not handed to the outbox yet: with the tables' own, what the ledger
    /// counts as pending upstream of the outbox.
    in_drain: InDrain,
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
            in_drain: InDrain::default(),
        }
    }

    /// Lines not yet written (the threads' tables' and the drain's), with
    /// `outbox_pending`, the outbox's own count, read at the same moment:
    /// no line moves from a table to the drain or from the drain to the
    /// outbox while they are read (see `in_drain`). Read by the ledger's
    /// reports and waits, never on a flush.
    pub(crate) fn pending_lines(&self, outbox_pending: &dyn Fn() -> u64) -> u64 {
        let packed = self.client.packs_samples();
        let shards: Vec<ShardTable> = self.lock_shards().clone();
        let _moving = self.in_drain.moving();
        let held: u64 = shards.iter().map(|shard| lock(shard).lines(packed)).sum();
        held + self.in_drain.get() + outbox_pending()
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
        // One drain at a time; a second caller returns at once, and the
        // drain under way writes what it finds (a waiter never blocks
        // behind a sender whose sink hangs mid-drain).
        let mut drain = match self.drain.try_lock() {
            Ok(drain) => drain,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let Drain { combined, spare } = &mut *drain;
        self.armed.store(false, Ordering::SeqCst);
        let shards: Vec<ShardTable> = self.lock_shards().clone();
        let packed = self.client.packs_samples();
        let mut out = LineOut::new(&self.client, outbox, relieve, &self.in_drain);
        for shard in &shards {
            // Once the process has given up on its lines, what is left
            // stays where it is, counted as pending by its last report.
            if outbox.ledger.abandoned() {
                return;
            }
            // The thread's table is swapped for an empty one and combined
            // after: its thread waits for a swap, never for the combining.
            let mut taken = {
                let _moving = self.in_drain.moving();
                let mut table = lock(shard);
                if table.is_empty() {
                    continue;
                }
                let empty = spare.pop().unwrap_or_else(|| Table::new(MAX_CONTEXTS));
                self.in_drain.take(table.lines(packed));
                std::mem::replace(&mut *table, empty)
            };
            combined.absorb(&mut taken, &mut |full| {
                out.write_table(full);
                full.clear();
            });
            // Exact again (contexts of several threads are one line): what
            // is combined, and what is written and not handed over yet.
            {
                let _moving = self.in_drain.moving();
                self.in_drain.set(combined.lines(packed) + out.unhanded());
            }
            if taken.capacity() <= KEPT_CAPACITY {
                spare.push(taken);
            }
        }
        out.write_table(combined);
        combined.clear();
        // What is left is in the outbox or the last batch (counted by the
        // ledger once `finish` hands it over, below).
        if combined.capacity() > KEPT_CAPACITY {
            // A burst's room is given back, not kept for every interval.
            *combined = Table::new(MAX_CONTEXTS);
        }
        if out.finish() {
            let _moving = self.in_drain.moving();
            self.in_drain.set(0);
        }
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
