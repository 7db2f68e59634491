//! A wait for delivery that runs out of time while a slow sink works
//! through an interval's aggregated lines drops none of them: they stay
//! pending (and the report says so), and the sender goes on until every
//! line is on the sink. A process of its own: `wait_for_delivery` reads
//! every client of the process.
//!
//! The sink is slow but never stuck: each payload takes a little while,
//! so an interval of many contexts takes longer than the client's flush
//! timeout to write.

use std::collections::BTreeSet;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cadence::MetricSink;
use collector_tests::delivery::{record_contexts, small_client, wait_until_delivered};
use collector_tests::parse_line;

/// Lines a flush merges into the aggregator, one context each.
const CONTEXTS: usize = 3_000;

/// A sink that takes its time with every payload, and keeps the lines.
#[derive(Clone, Default)]
struct SlowSink(Arc<Mutex<Vec<String>>>);

impl MetricSink for SlowSink {
    fn emit(&self, payload: &str) -> io::Result<usize> {
        std::thread::sleep(Duration::from_millis(2));
        let mut lines = self.0.lock().unwrap();
        lines.extend(payload.lines().map(str::to_owned));
        Ok(payload.len())
    }
}

#[test]
fn a_wait_that_runs_out_leaves_the_interval_pending_and_the_sender_sends_it_all() {
    let sink = SlowSink::default();
    // Merged into the client's aggregator: nothing is written yet.
    record_contexts(
        small_client(sink.clone(), Duration::from_millis(50)),
        CONTEXTS,
    );

    let first = collector_runtime::wait_for_delivery();
    assert_eq!(first.lines_dropped, 0, "{first:?}");
    assert!(
        first.lines_pending > 0,
        "the wait ran out with lines still to write: {first:?}"
    );
    // The sender goes on while the report is read: a line it finishes
    // meanwhile may be counted as pending and as sent; none is missed.
    assert!(
        first.lines_sent + first.lines_pending >= CONTEXTS as u64,
        "every line is sent or pending: {first:?}"
    );

    // Waits again until everything is on the sink (the sender needs well
    // under a second).
    let last = wait_until_delivered(first, Duration::from_secs(60));
    assert_eq!(
        (last.lines_sent, last.lines_dropped, last.lines_pending),
        (CONTEXTS as u64, 0, 0),
        "{last:?}"
    );
    let lines = sink.0.lock().unwrap().clone();
    let jobs: BTreeSet<String> = lines
        .iter()
        .map(|line| {
            let line = parse_line(line).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((line.name.as_str(), line.value), ("jobs.done", 1.0));
            line.tags.join(",")
        })
        .collect();
    assert_eq!((lines.len(), jobs.len()), (CONTEXTS, CONTEXTS));
}
