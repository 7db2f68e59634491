//! Aggregation across executions: the calls that end within one flush
//! interval share one line per context.
//!
//! The agent decides what an execution means, not the wire: within its
//! buckets it sums a context's counters, keeps a gauge's last value and
//! takes every histogram, distribution and timing value as one sample. So
//! a caller's flush merges its series into its client's aggregator (a
//! table per thread: [`shard`]) instead of writing lines, and once per
//! interval the sender drains every table into the outbox ([`aggregator`]):
//! a counter's sum, a gauge's last value, each execution's histogram,
//! distribution or timing total as one of the values packed on its
//! context's line ([`lines`]). A context is everything on a line but its
//! values ([`table`], [`context_tags`]); two are never merged whatever
//! their hashes.
//!
//! A synchronous client, the end of the process and a capture write lines
//! at once, as a flush did before; so does a flush whose thread's table is
//! full, for the series it cannot take.

mod aggregator;
mod context_tags;
mod in_drain;
mod lines;
mod shard;
mod table;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, MutexGuard};

use crate::send::client::Client;
use crate::send::exit;
use crate::send::outbox::Outbox;
use aggregator::Aggregator;
use shard::ShardTable;
use table::Table;

/// The flush order gauges are stamped with: of two values set for one
/// context in an interval, on any threads, the later flush's is kept.
static STAMP: AtomicU64 = AtomicU64::new(1);

/// The next gauge stamp: taken once per flush that holds a gauge.
pub(crate) fn next_stamp() -> u64 {
    STAMP.fetch_add(1, Ordering::Relaxed)
}

/// This thread's table of a client's aggregator, for one flush.
pub(crate) struct Shard<'c> {
    outbox: &'c Arc<Outbox>,
    aggregator: &'c Aggregator,
    table: ShardTable,
}

impl Shard<'_> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Table> {
        shard::lock(&self.table)
    }

    /// The flush merged something: the thread waits for the outbox when it
    /// ends, and the sender drains within an interval.
    pub(crate) fn merged(self) {
        exit::watch_this_thread();
        self.aggregator.merged(self.outbox);
    }
}

/// This thread's table of `client`'s aggregator, or `None` when its lines
/// are not aggregated: a capture's or a synchronous client, the end of the
/// process, no sender thread. `outbox` is the client's, as
/// [`Client::outbox`] gave it: the caller asks once per flush, and the
/// answer checks which process this is.
#[inline]
pub(crate) fn shard_for<'a>(
    client: &'a Client,
    outbox: Option<&'a Arc<Outbox>>,
) -> Option<Shard<'a>> {
    let outbox = outbox?;
    if outbox.settings.synchronous || exit::ending() || outbox.no_sender.load(Ordering::Relaxed) {
        return None;
    }
    let upstream = outbox.upstream.get_or_init(|| {
        let aggregator = Arc::new(Aggregator::new(client, outbox));
        // Its lines not yet written are pending for every report and wait.
        let counted = Arc::downgrade(&aggregator);
        let _ = outbox
            .ledger
            .add_upstream(Box::new(
                move |outbox_pending: &dyn Fn() -> u64| match counted.upgrade() {
                    Some(aggregator) => aggregator.pending_lines(outbox_pending),
                    None => outbox_pending(),
                },
            ));
        aggregator
    });
    let aggregator = upstream.as_any().downcast_ref::<Aggregator>()?;
    let table = shard::of_this_thread(aggregator.id, || aggregator.new_shard())?;
    Some(Shard {
        outbox,
        aggregator,
        table,
    })
}
