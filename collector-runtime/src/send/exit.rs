//! Nothing handed to an outbox is lost when the process ends.
//!
//! Every thread that hands lines to an outbox gets a thread-local guard;
//! when the thread ends, the guard waits (a bounded time) until every
//! outbox has sent what it holds. That covers, with no code of the user's:
//!
//! - `main` returning, `main` panicking, and `std::process::exit` called
//!   on the main thread: the C runtime's `exit` drops the main thread's
//!   thread-locals (glibc runs them in `exit`, before the process ends),
//!   while the sender threads still run;
//! - an annotated `fn main`, whose call ends before that;
//! - `#[tokio::main]`: the runtime, dropped when `main` returns, joins its
//!   worker threads, and each worker's guard runs as it ends.
//!
//! Once the main thread's guard has run, the process is ending: every later
//! flush (a thread-local's `Drop` that records) waits for its own lines.
//! What this cannot see: `std::process::exit` called on another thread
//! while the main thread is elsewhere, and detached threads still recording
//! when the process ends. [`flush`] (or [`exit`]) is for those.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::errors::error::Error;

use crate::errors::handler::report;
use crate::send::outbox::{Outbox, TOTALS};

/// Every outbox whose sender runs: what [`flush`] and the guards wait for.
static OUTBOXES: Mutex<Vec<Arc<Outbox>>> = Mutex::new(Vec::new());

/// Set once the main thread's guard has run.
static ENDING: AtomicBool = AtomicBool::new(false);

pub(crate) fn register(outbox: &Arc<Outbox>) {
    lock().push(Arc::clone(outbox));
}

pub(crate) fn unregister(outbox: &Arc<Outbox>) {
    lock().retain(|other| !Arc::ptr_eq(other, outbox));
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Arc<Outbox>>> {
    OUTBOXES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the process is ending (the main thread's thread-locals are being
/// dropped): a flush then waits for its own lines.
#[inline]
pub(crate) fn ending() -> bool {
    ENDING.load(Ordering::Relaxed)
}

/// Waits for every outbox when the thread that holds it ends.
struct ThreadGuard {
    main: bool,
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        if self.main {
            ENDING.store(true, Ordering::Relaxed);
        }
        flush();
    }
}

thread_local! {
    static GUARD: ThreadGuard = ThreadGuard {
        main: std::thread::current().name() == Some("main"),
    };
}

/// Makes sure this thread waits for the outboxes when it ends.
#[inline]
pub(crate) fn watch_this_thread() {
    let _ = GUARD.try_with(|_| ());
}

/// What [`flush`] found: totals since the process started, over every
/// client, and what was still waiting when it returned.
///
/// ```
/// let report = collector_runtime::flush();
/// assert_eq!(report.lines_pending, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// Payloads the sinks took without error.
    pub payloads_sent: u64,
    /// Lines in those payloads.
    pub lines_sent: u64,
    /// Lines dropped: refused by a full outbox, or in a payload the sink
    /// refused (each reported through the error handler or counted in
    /// [`errors_seen`](crate::errors_seen)).
    pub lines_dropped: u64,
    /// Lines still waiting for a sender when the wait ended (a sink slower
    /// than the flush timeout).
    pub lines_pending: u64,
}

/// Waits until every line handed to any client's outbox so far is on the
/// wire, or has failed and been reported, or the client's flush timeout
/// (default one second) has passed; lines still waiting then are reported
/// through the error handler (`Error::Undelivered`) as well as counted in
/// the returned report.
///
/// The end of the process does this by itself (see the crate's docs, "When
/// lines leave"): call it before `std::process::exit` on a thread other
/// than the main one, or before a serverless runtime freezes the process,
/// or in a test before reading what a sink received.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use cadence::SpyMetricSink;
/// use collector_runtime::{Client, Collector};
///
/// let (received, sink) = SpyMetricSink::new();
/// let collector = Collector::builder().client(Client::new(sink)).build();
/// collector.incr("jobs.done", ());
/// collector.flush(); // handed to the client's outbox
/// collector_runtime::flush(); // and now on the wire
/// assert_eq!(received.try_recv().unwrap(), b"jobs.done:1|c");
/// ```
pub fn flush() -> DeliveryReport {
    let outboxes: Vec<Arc<Outbox>> = lock().clone();
    let start = Instant::now();
    let mut delivery = DeliveryReport::default();
    for outbox in &outboxes {
        outbox.wait_sent(start + outbox.settings.timeout);
        delivery.lines_pending += outbox.pending_lines();
    }
    if delivery.lines_pending > 0 {
        let lines = delivery.lines_pending;
        report(None, Error::Undelivered { lines });
    }
    delivery.payloads_sent = TOTALS.payloads_sent.load(Ordering::Relaxed);
    delivery.lines_sent = TOTALS.lines_sent.load(Ordering::Relaxed);
    delivery.lines_dropped = TOTALS.lines_dropped.load(Ordering::Relaxed);
    delivery
}
