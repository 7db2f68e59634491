//! The attribute changes nothing about the function it wraps but the
//! metrics: `#[track_caller]` still reports the caller, the outcome is how
//! this call ended (not the thread's state), everything the call drops (its
//! parameters, its tail temporaries, a cancelled call's locals) records into
//! the call, a function returning a future is measured as that future, and
//! the user's items cannot collide with the expansion's.

#![deny(warnings)]

mod attribute_common;

use std::future::{pending, Future};
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use attribute_common::{without_value, Recorder};
use collector_runtime::collect_metrics;
use collector_runtime::incr;

/// Records `name` into the current collector when dropped.
struct Recording(&'static str);

impl Drop for Recording {
    fn drop(&mut self) {
        incr(self.0, ());
    }
}

impl Recording {
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// The lines of the one flush, without values, sorted.
fn shapes(rec: &Recorder) -> Vec<String> {
    let mut shapes: Vec<String> = rec.one_flush_lines().iter().map(without_value).collect();
    shapes.sort();
    shapes
}

#[track_caller]
#[collect_metrics(client = rec.client(), outcome)]
fn caller_line(rec: &Recorder) -> Result<u32, String> {
    incr("located", ());
    Ok(Location::caller().line())
}

#[track_caller]
#[collect_metrics(client = rec.client(), outcome)]
fn panics_at_caller(rec: &Recorder) -> usize {
    incr("located", ());
    // Nothing was flushed yet: this `expect` panics, at the caller.
    rec.flush_count()
        .checked_sub(1)
        .expect("reported at the caller")
}

#[test]
fn track_caller_still_reports_the_caller() {
    let rec = Recorder::new();
    let (line, expected) = (caller_line(&rec), line!());
    assert_eq!(line, Ok(expected));
    assert_eq!(rec.one_flush(), ["located:1|c|#outcome:ok"]);
    rec.clear();

    let previous = std::panic::take_hook();
    let (sender, located) = std::sync::mpsc::channel();
    std::panic::set_hook(Box::new(move |info| {
        let _ = sender.send(info.location().map(|l| (l.file().to_owned(), l.line())));
    }));
    let expected = line!() + 1;
    let result = catch_unwind(AssertUnwindSafe(|| panics_at_caller(&rec)));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    assert_eq!(
        located.recv().unwrap(),
        Some((file!().to_owned(), expected))
    );
    assert_eq!(rec.one_flush(), ["located:1|c|#outcome:panic"]);
}

#[collect_metrics(name = "cleanup", client = rec.client(), outcome)]
fn cleanup(rec: &Recorder, early: bool) -> Result<u8, String> {
    incr("cleanup", ());
    if early {
        return Ok(1);
    }
    Ok(2)
}

/// Runs an annotated call from its `Drop`, during whatever unwind drops it.
struct CleansUp(Recorder, bool);

impl Drop for CleansUp {
    fn drop(&mut self) {
        assert!(std::thread::panicking());
        assert!(cleanup(&self.0, self.1).is_ok());
    }
}

#[test]
fn a_call_that_returns_during_an_unrelated_unwind_is_ok() {
    for early in [false, true] {
        let rec = Recorder::new();
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            let _cleans_up = CleansUp(rec.clone(), early);
            panic!("unrelated");
        }));
        assert!(unwound.is_err());
        assert_eq!(
            rec.one_flush(),
            ["cleanup:1|c|#outcome:ok"],
            "early: {early}"
        );
    }
}

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls `fut` once, with a waker that does nothing.
fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(&Waker::from(Arc::new(NoWake))))
}

#[collect_metrics(client = rec.client(), outcome)]
async fn waits(rec: Recorder) -> Result<(), String> {
    let _local = Recording("waits.local");
    incr("waits.started", ());
    pending::<()>().await;
    Ok(())
}

#[test]
fn a_pending_call_dropped_during_an_unrelated_unwind_is_cancelled() {
    let rec = Recorder::new();
    let mut call = Box::pin(waits(rec.clone()));
    assert!(poll_once(call.as_mut()).is_pending());
    let unwound = catch_unwind(AssertUnwindSafe(move || {
        let _call = call;
        panic!("unrelated");
    }));
    assert!(unwound.is_err());
    // The local dropped with the call: into the call's collector.
    assert_eq!(
        rec.one_flush(),
        [
            "waits.local:1|c|#outcome:cancelled",
            "waits.started:1|c|#outcome:cancelled"
        ]
    );
}

#[test]
fn a_cancelled_calls_locals_record_into_the_call() {
    let rec = Recorder::new();
    let mut call = Box::pin(waits(rec.clone()));
    assert!(poll_once(call.as_mut()).is_pending());
    drop(call);
    assert_eq!(
        rec.one_flush(),
        [
            "waits.local:1|c|#outcome:cancelled",
            "waits.started:1|c|#outcome:cancelled"
        ]
    );
}

#[collect_metrics(client = rec.client())]
fn takes(rec: &Recorder, first: Recording, mut second: Recording, (a, _b): (Recording, u8)) {
    second.0 = "takes.second";
    let _ = (first.len(), a.len());
}

#[collect_metrics(client = rec.client(), timing, outcome)]
fn takes_with_options(rec: &Recorder, value: Recording, other: impl Into<Recording>) -> usize {
    value.len() + other.into().len()
}

#[collect_metrics(client = rec.client(), outcome)]
async fn takes_async(rec: &Recorder, value: Recording, _unused: Recording) -> Result<(), String> {
    tokio::task::yield_now().await;
    let _ = value.len();
    Ok(())
}

#[collect_metrics(client = rec.client())]
async fn takes_at_once(rec: &Recorder, value: Recording) {
    let _ = value.len();
}

struct Owner(Recorder, Recording);

impl Owner {
    #[collect_metrics(client = self.0.client(), outcome)]
    async fn into_len(self) -> usize {
        tokio::task::yield_now().await;
        self.1.len()
    }
}

impl From<&'static str> for Recording {
    fn from(name: &'static str) -> Recording {
        Recording(name)
    }
}

#[tokio::test]
async fn parameters_drop_inside_the_call() {
    let rec = Recorder::new();
    takes(
        &rec,
        Recording("takes.first"),
        Recording("never"),
        (Recording("takes.pattern"), 0),
    );
    assert_eq!(
        rec.one_flush(),
        ["takes.first:1|c", "takes.pattern:1|c", "takes.second:1|c"]
    );
    rec.clear();

    assert_eq!(takes_with_options(&rec, Recording("v"), "o"), 2);
    assert_eq!(
        shapes(&rec),
        [
            "o|c|#outcome:ok",
            "takes_with_options.duration|ms|#outcome:ok",
            "v|c|#outcome:ok"
        ]
    );
    rec.clear();

    let call = takes_async(&rec, Recording("async.used"), Recording("async.unused"));
    assert_eq!(call.await, Ok(()));
    assert_eq!(
        rec.one_flush(),
        ["async.unused:1|c|#outcome:ok", "async.used:1|c|#outcome:ok"]
    );
    rec.clear();

    takes_at_once(&rec, Recording("at_once")).await;
    assert_eq!(rec.one_flush(), ["at_once:1|c"]);
    rec.clear();

    assert_eq!(Owner(rec.clone(), Recording("self")).into_len().await, 4);
    assert_eq!(rec.one_flush(), ["self:1|c|#outcome:ok"]);
}

#[collect_metrics(client = rec.client())]
fn tail(rec: &Recorder) -> usize {
    Recording("tail.temporary").len()
}

#[collect_metrics(client = rec.client(), outcome)]
fn tail_with_outcome(rec: &Recorder) -> Result<usize, String> {
    Ok(Recording("tail.temporary").len())
}

#[collect_metrics(client = rec.client(), outcome)]
fn tail_unit(rec: &Recorder) {
    Recording("tail.temporary").len();
}

#[collect_metrics(client = rec.client(), outcome)]
async fn tail_async(rec: &Recorder) -> Result<usize, String> {
    tokio::task::yield_now().await;
    Ok(Recording("tail.temporary").len())
}

#[tokio::test]
async fn tail_temporaries_drop_inside_the_call() {
    let rec = Recorder::new();
    assert_eq!(tail(&rec), 14);
    assert_eq!(rec.one_flush(), ["tail.temporary:1|c"]);
    rec.clear();
    assert_eq!(tail_with_outcome(&rec), Ok(14));
    assert_eq!(rec.one_flush(), ["tail.temporary:1|c|#outcome:ok"]);
    rec.clear();
    tail_unit(&rec);
    assert_eq!(rec.one_flush(), ["tail.temporary:1|c|#outcome:ok"]);
    rec.clear();
    assert_eq!(tail_async(&rec).await, Ok(14));
    assert_eq!(rec.one_flush(), ["tail.temporary:1|c|#outcome:ok"]);
}

#[collect_metrics(name = "later", client = rec.client(), timing, outcome)]
fn later(rec: &Recorder, wait: Duration, fail: bool) -> impl Future<Output = Result<u8, String>> {
    incr("later.built", ());
    async move {
        tokio::time::sleep(wait).await;
        incr("later.polled", ());
        if fail {
            Err("failed".to_owned())
        } else {
            Ok(1)
        }
    }
}

#[collect_metrics(name = "boxed", client = rec.client(), timing, outcome)]
fn boxed(
    rec: &Recorder,
    wait: Duration,
) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send>> {
    if wait.is_zero() {
        return Box::pin(async { Err("no wait".to_owned()) });
    }
    Box::pin(async move {
        tokio::time::sleep(wait).await;
        incr("boxed.polled", ());
        Ok(2)
    })
}

/// The duration sent by the one flush, in ms.
fn duration(rec: &Recorder) -> f64 {
    let lines = rec.one_flush_lines();
    lines.iter().find(|l| l.kind == "ms").unwrap().value
}

#[tokio::test]
async fn a_function_returning_a_future_is_measured_as_that_future() {
    let rec = Recorder::new();
    let started = Instant::now();
    let fut = later(&rec, Duration::from_millis(30), true);
    // Built, not yet run: nothing is sent until the future ends.
    assert_eq!(rec.flush_count(), 0);
    assert_eq!(fut.await, Err("failed".to_owned()));
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        shapes(&rec),
        [
            "later.built|c|#outcome:error",
            "later.duration|ms|#outcome:error",
            "later.polled|c|#outcome:error"
        ]
    );
    let sent = duration(&rec);
    assert!(
        sent >= 30.0 && sent <= elapsed + 1.0,
        "{sent} ms sent, {elapsed} ms taken"
    );
    rec.clear();

    assert_eq!(later(&rec, Duration::ZERO, false).await, Ok(1));
    assert_eq!(
        shapes(&rec),
        [
            "later.built|c|#outcome:ok",
            "later.duration|ms|#outcome:ok",
            "later.polled|c|#outcome:ok"
        ]
    );
    rec.clear();

    // Dropped before it completed: cancelled.
    let timed_out = tokio::time::timeout(
        Duration::from_millis(5),
        later(&rec, Duration::from_secs(3600), false),
    )
    .await;
    assert!(timed_out.is_err());
    assert_eq!(
        shapes(&rec),
        [
            "later.built|c|#outcome:cancelled",
            "later.duration|ms|#outcome:cancelled"
        ]
    );
    rec.clear();

    let started = Instant::now();
    assert_eq!(boxed(&rec, Duration::from_millis(20)).await, Ok(2));
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        shapes(&rec),
        [
            "boxed.duration|ms|#outcome:ok",
            "boxed.polled|c|#outcome:ok"
        ]
    );
    let sent = duration(&rec);
    assert!(
        sent >= 20.0 && sent <= elapsed + 1.0,
        "{sent} ms sent, {elapsed} ms taken"
    );
    rec.clear();

    // An early `return` of the body is wrapped too.
    assert!(tokio::spawn(boxed(&rec, Duration::ZERO))
        .await
        .unwrap()
        .is_err());
    assert_eq!(shapes(&rec), ["boxed.duration|ms|#outcome:error"]);
}

mod collisions {
    //! Items named like the expansion's former internals.
    #![allow(non_upper_case_globals, non_camel_case_types, dead_code)]

    use super::Recorder;
    use collector_runtime::{collect_metrics, incr};

    const __scope: u8 = 1;
    static __ret: u8 = 2;
    struct __enter;
    struct __fut;
    const __body: u8 = 3;
    const __value: u8 = 4;
    fn __collector_call_once() -> u8 {
        5
    }

    #[collect_metrics(client = rec.client(), outcome, timing)]
    pub(super) fn sync(rec: &Recorder) -> Result<u8, ()> {
        incr("collisions", ());
        Ok(__scope + __ret + __body + __value + __collector_call_once())
    }

    #[collect_metrics(client = rec.client(), outcome, timing)]
    pub(super) async fn suspending(rec: &Recorder) -> Result<u8, ()> {
        tokio::task::yield_now().await;
        incr("collisions", ());
        Ok(__scope + __ret + __collector_call_once())
    }
}

#[tokio::test]
async fn user_items_named_like_internals_do_not_collide() {
    let rec = Recorder::new();
    assert_eq!(collisions::sync(&rec), Ok(15));
    assert_eq!(
        shapes(&rec),
        ["collisions|c|#outcome:ok", "sync.duration|ms|#outcome:ok"]
    );
    rec.clear();
    assert_eq!(collisions::suspending(&rec).await, Ok(8));
    assert_eq!(
        shapes(&rec),
        [
            "collisions|c|#outcome:ok",
            "suspending.duration|ms|#outcome:ok"
        ]
    );
}
