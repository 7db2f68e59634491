//! Nothing a collector holds is lost when its handles go: the last handle
//! flushes what is left, a worker that records after a flush reaches the
//! next flush (or the last handle's), and a handle to an annotated call's
//! collector leaves the flush to the call.

#![deny(warnings)]

mod attribute_common;

use std::sync::mpsc;

use attribute_common::Recorder;
use collector_runtime::{collect_metrics, incr, Collector};
use collector_tests::{series, SeriesId};

/// The series of each flush, in order, with their values.
fn flushed(rec: &Recorder) -> Vec<Vec<(SeriesId, f64)>> {
    rec.flushes()
        .iter()
        .map(|lines| lines.iter().map(|l| (l.series(), l.value)).collect())
        .collect()
}

fn job(rec: &Recorder, fail: bool) -> Result<(), String> {
    let collector = Collector::builder()
        .client(rec.client())
        .tag("job:cleanup")
        .build();
    let _current = collector.enter();
    incr("rows.scanned", ());
    if fail {
        return Err("table is locked".into()); // before `flush()`
    }
    drop(_current);
    collector.flush();
    Ok(())
}

#[test]
fn a_collector_dropped_unflushed_sends_what_it_holds() {
    let rec = Recorder::new();
    assert!(job(&rec, true).is_err());
    assert!(job(&rec, false).is_ok());
    let line = (series("c", "rows.scanned", &["job:cleanup"]), 1.0);
    assert_eq!(flushed(&rec), [vec![line.clone()], vec![line]]);
}

#[test]
fn what_a_worker_records_after_a_flush_reaches_the_next_flush() {
    let rec = Recorder::new();
    let collector = Collector::builder().client(rec.client()).build();
    let (flushed_tx, flushed_rx) = mpsc::channel();
    std::thread::scope(|scope| {
        let worker = collector.clone();
        scope.spawn(move || {
            let _current = worker.enter();
            incr("before", ());
            flushed_rx.recv().unwrap();
            incr("after", ());
        });
        // The worker's guard is alive: its records join at the guard's drop.
        collector.flush();
        flushed_tx.send(()).unwrap();
    });
    collector.flush();
    assert_eq!(
        flushed(&rec),
        [vec![
            (series("c", "before", &[]), 1.0),
            (series("c", "after", &[]), 1.0)
        ]],
        "the first flush had nothing yet; the second sends both"
    );
}

#[test]
fn what_a_worker_records_after_the_last_flush_goes_with_the_last_handle() {
    let rec = Recorder::new();
    let collector = Collector::builder().client(rec.client()).build();
    let (flushed_tx, flushed_rx) = mpsc::channel();
    let worker = collector.clone();
    let thread = std::thread::spawn(move || {
        let _current = worker.enter();
        flushed_rx.recv().unwrap();
        incr("late", ());
    });
    collector.incr("early", ());
    collector.flush();
    drop(collector);
    flushed_tx.send(()).unwrap();
    thread.join().unwrap();
    // The worker's handle was the last: its drop flushed `late`.
    assert_eq!(
        flushed(&rec),
        [
            vec![(series("c", "early", &[]), 1.0)],
            vec![(series("c", "late", &[]), 1.0)],
        ]
    );
}

#[collect_metrics(name = "call", client = rec.client(), outcome)]
fn flushes_its_handle(rec: Recorder) -> Result<(), String> {
    incr("before", ());
    let handle = Collector::current().expect("the call's collector");
    assert_eq!(
        handle.flush().series_sent,
        0,
        "the call flushes, not a handle"
    );
    handle.incr("after", ());
    Err("failed".into())
}

#[test]
fn a_handle_to_a_calls_collector_leaves_the_flush_to_the_call() {
    let rec = Recorder::new();
    assert!(flushes_its_handle(rec.clone()).is_err());
    assert_eq!(
        flushed(&rec),
        [vec![
            (series("c", "before", &["outcome:error"]), 1.0),
            (series("c", "after", &["outcome:error"]), 1.0),
        ]]
    );
}

#[test]
fn current_is_the_innermost_collector_and_none_outside() {
    assert!(Collector::current().is_none());
    // Sent nowhere: the point is which collector is current.
    let quiet = || {
        Collector::builder()
            .client(collector_runtime::Client::new(cadence::NopMetricSink))
            .build()
    };
    let outer = quiet();
    let inner = quiet();
    let _outer = outer.enter();
    {
        let _inner = inner.enter();
        Collector::current().unwrap().incr("to.inner", ());
    }
    Collector::current().unwrap().incr("to.outer", ());
    assert_eq!((outer.len(), inner.len()), (1, 1));
}
