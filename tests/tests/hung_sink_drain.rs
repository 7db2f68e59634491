//! A sink that hangs while the sender writes an interval's aggregated
//! lines costs one timeout, whoever waits after it: no wait blocks behind
//! the drain under way, and what it has not written yet is reported as
//! pending, not lost. A process of its own: `wait_for_delivery` reads
//! every client of the process.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cadence::MetricSink;
use collector_tests::delivery::{record_contexts, small_client, wait_until_delivered};

const CONTEXTS: usize = 2_000;

/// Takes `open` payloads, then hangs in `emit` until released: here the
/// first, which the sender writes while it drains the interval (the
/// drain hands its lines to the outbox in batches and sends as it goes).
#[derive(Clone)]
struct HangingSink {
    taken: Arc<AtomicUsize>,
    open: usize,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl MetricSink for HangingSink {
    fn emit(&self, payload: &str) -> io::Result<usize> {
        if self.taken.fetch_add(1, Ordering::SeqCst) >= self.open {
            let (lock, cvar) = &*self.released;
            let mut released = lock.lock().unwrap();
            while !*released {
                released = cvar.wait(released).unwrap();
            }
        }
        Ok(payload.len())
    }
}

#[test]
fn a_sink_that_hangs_mid_drain_costs_one_timeout_and_leaves_the_rest_pending() {
    let released = Arc::new((Mutex::new(false), Condvar::new()));
    let sink = HangingSink {
        taken: Arc::new(AtomicUsize::new(0)),
        open: 0,
        released: Arc::clone(&released),
    };
    record_contexts(small_client(sink, Duration::from_millis(100)), CONTEXTS);

    let first = collector_runtime::wait_for_delivery();
    assert_eq!(first.timeouts, 1, "{first:?}");
    assert_eq!(first.lines_dropped, 0, "{first:?}");
    assert!(first.lines_pending > 0, "{first:?}");
    assert!(
        first.lines_sent + first.lines_pending >= CONTEXTS as u64,
        "every line is sent or pending: {first:?}"
    );

    // Every later wait, on this thread or another one that ends, returns
    // without waiting again while the sink has finished nothing.
    let second = collector_runtime::wait_for_delivery();
    assert_eq!(second.timeouts, 1, "{second:?}");
    std::thread::spawn(collector_runtime::wait_for_delivery)
        .join()
        .unwrap();
    let third = collector_runtime::wait_for_delivery();
    assert_eq!((third.timeouts, third.lines_dropped), (1, 0), "{third:?}");

    // Released, the sender goes on with the rest.
    *released.0.lock().unwrap() = true;
    released.1.notify_all();
    let last = wait_until_delivered(third, Duration::from_secs(60));
    assert_eq!(
        (last.lines_sent, last.lines_dropped, last.lines_pending),
        (CONTEXTS as u64, 0, 0),
        "{last:?}"
    );
}
