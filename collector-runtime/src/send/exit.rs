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
//! The main thread is recognised by what it is, not by its name: on Linux,
//! the thread whose id is the process id (read from `/proc/thread-self`,
//! at the thread's end, so a child made by `fork` from any thread is right
//! too); where that cannot be read, the thread Rust names `main`.
//!
//! Once the main thread's guard has run, the process is ending: every later
//! flush (a thread-local's `Drop` that records) waits for its own lines.
//! What still waits then is said once, with the true count read from each
//! client's ledger ([`crate::send::ledger`]), and no write starts after it,
//! so the count stays true. Any other thread's end, and [`wait_for_delivery`], wait
//! the same way but report nothing as lost: the process goes on and so does
//! the sender. What this cannot see: `std::process::exit` called on another
//! thread while the main thread is elsewhere, and detached threads still
//! recording when the process ends. [`wait_for_delivery`] (or [`exit`]) is for those.
//!
//! [`exit`]: crate::exit

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::errors::error::Error;

use crate::errors::handler::report;
use crate::send::outbox::Outbox;
use crate::send::this_process::{this_process, PerProcess};

/// Every outbox of this process whose sender runs: what [`wait_for_delivery`] and the
/// guards wait for. A forked child has its own list, empty at first.
static OUTBOXES: PerProcess<Mutex<Vec<Arc<Outbox>>>> = PerProcess::new(Default::default);

/// The id of the process whose main thread's guard has run (0: none).
static ENDING: AtomicU32 = AtomicU32::new(0);

/// Whether this process's end was already reported.
static REPORTED_END: PerProcess<AtomicBool> = PerProcess::new(Default::default);

pub(crate) fn register(outbox: &Arc<Outbox>) {
    lock().push(Arc::clone(outbox));
}

pub(crate) fn unregister(outbox: &Arc<Outbox>) {
    lock().retain(|other| !Arc::ptr_eq(other, outbox));
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Arc<Outbox>>> {
    OUTBOXES.get().lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the process is ending (the main thread's thread-locals are being
/// dropped): a flush then waits for its own lines.
#[inline]
pub(crate) fn ending() -> bool {
    let pid = ENDING.load(Ordering::Relaxed);
    pid != 0 && pid == crate::send::process_id::id()
}

/// Waits for every outbox when the thread that holds it ends.
struct ThreadGuard {
    /// Whether Rust named the thread `main`: what tells the main thread
    /// where `/proc/thread-self` cannot be read.
    named_main: bool,
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        if is_main_thread().unwrap_or(self.named_main) {
            end_of_process();
        } else {
            wait_for_outboxes();
        }
    }
}

/// Whether this thread is its process's main thread: on Linux, the one
/// whose thread id is the process id (`/proc/thread-self` links to
/// `<pid>/task/<tid>`). `None` where that cannot be read.
fn is_main_thread() -> Option<bool> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    let mut parts = link
        .iter()
        .filter_map(|part| part.to_str()?.parse::<u32>().ok());
    let (pid, tid) = (parts.next()?, parts.next()?);
    Some(pid == tid)
}

thread_local! {
    static GUARD: ThreadGuard = ThreadGuard {
        named_main: std::thread::current().name() == Some("main"),
    };
}

/// Makes sure this thread waits for the outboxes when it ends.
#[inline]
pub(crate) fn watch_this_thread() {
    let _ = GUARD.try_with(|_| ());
}

/// What [`wait_for_delivery`] found: totals since the process started (a child made by
/// `fork` starts its own), over every client, and what was still pending
/// when it returned. Every line a client took is sent, dropped or pending:
/// the three add up to every line handed over.
///
/// ```
/// let report = collector_runtime::wait_for_delivery();
/// assert_eq!(report.lines_pending, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// Payloads the sinks took without error.
    pub payloads_sent: u64,
    /// Lines in those payloads.
    pub lines_sent: u64,
    /// Lines dropped: refused by a full outbox, refused as longer than a
    /// payload, or in a payload the sink refused (each reported through the
    /// error handler or counted in [`errors_seen`](crate::error::errors_seen)).
    pub lines_dropped: u64,
    /// Lines neither sent nor dropped when the wait ended: waiting for the
    /// sender, or in flight. Not lost: the sender goes on with them.
    pub lines_pending: u64,
    /// Of the pending lines, those inside a write to a sink that had not
    /// returned (a sink that hangs holds them).
    pub lines_in_flight: u64,
    /// Waits for a sender that ran out of time, in this process so far: a
    /// sink that finishes nothing costs one, whoever waits (flushes, ends
    /// of threads, synchronous flushes), until it finishes something.
    pub timeouts: u64,
}

/// Waits until every line handed to any client's outbox so far is on the
/// wire, or has been dropped and counted, or the client's flush timeout
/// (default one second) has passed, and says where every line stands. Lines
/// still pending then are in the report (`lines_pending`), not lost: the
/// sender goes on with them, and the end of the process waits for them
/// again and reports what it could not send. A sink that finished nothing
/// during a whole wait is not waited for again until it finishes something.
///
/// Not [`Collector::flush`](crate::Collector::flush), which hands a
/// collector's lines to the outbox and returns. The end of the process does
/// this by itself (see the guide, [when lines
/// leave](crate::guide::when_lines_leave)): call it before `std::process::exit` on a thread other
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
/// let report = collector_runtime::wait_for_delivery(); // and now on the wire
/// assert_eq!(received.try_recv().unwrap(), b"jobs.done:1|c");
/// assert_eq!((report.lines_pending, report.lines_in_flight), (0, 0));
/// ```
pub fn wait_for_delivery() -> DeliveryReport {
    // The thread that flushes last waits again at its end: for the main
    // thread, that is the end of the process.
    watch_this_thread();
    wait_for_outboxes()
}

/// Waits for every outbox of this process, each at most its timeout, and
/// reads the ledgers.
fn wait_for_outboxes() -> DeliveryReport {
    let outboxes: Vec<Arc<Outbox>> = lock().clone();
    let start = Instant::now();
    for outbox in &outboxes {
        outbox.wait_sent(start + outbox.settings.timeout);
    }
    read_ledgers(&outboxes)
}

fn read_ledgers(outboxes: &[Arc<Outbox>]) -> DeliveryReport {
    let mut delivery = DeliveryReport::default();
    for outbox in outboxes {
        let in_flight = outbox.ledger.in_flight();
        delivery.lines_pending += outbox.pending_lines().max(in_flight);
        delivery.lines_in_flight += in_flight;
    }
    let totals = this_process();
    delivery.payloads_sent = totals.payloads_sent.load(Ordering::Relaxed);
    delivery.lines_sent = totals.lines_sent.load(Ordering::Relaxed);
    delivery.lines_dropped = totals.lines_dropped.load(Ordering::Relaxed);
    delivery.timeouts = totals.timeouts.load(Ordering::Relaxed);
    delivery
}

/// The end of the process: waits for every outbox, and if lines are still
/// pending, gives up on them (no write starts after this, so the count
/// stays true) and says so, once, with the count.
pub(crate) fn end_of_process() -> DeliveryReport {
    ENDING.store(crate::send::process_id::id(), Ordering::Relaxed);
    let delivery = wait_for_outboxes();
    if delivery.lines_pending == 0 {
        return delivery;
    }
    let outboxes: Vec<Arc<Outbox>> = lock().clone();
    let mut in_flight = 0;
    for outbox in &outboxes {
        in_flight += outbox.ledger.abandon();
    }
    let mut delivery = read_ledgers(&outboxes);
    // A write that returned between the two reads is sent, not pending.
    delivery.lines_in_flight = in_flight.min(delivery.lines_pending);
    if !REPORTED_END.get().swap(true, Ordering::Relaxed) {
        let (lines, in_flight) = (delivery.lines_pending, delivery.lines_in_flight);
        report(None, Error::Undelivered { lines, in_flight });
    }
    delivery
}
