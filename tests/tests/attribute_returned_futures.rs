//! A non-async function that returns a future is measured as that future,
//! however its return type is written: spelled out, or behind an alias such
//! as `futures::future::BoxFuture`; and `#[track_caller]` on it still
//! reports the caller.

mod attribute_common;

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::time::Duration;

use attribute_common::Recorder;
use collector_runtime::collect_metrics;

/// The shape of `futures::future::BoxFuture`.
type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The shape of `futures::future::LocalBoxFuture`.
type LocalBoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

const WAIT: Duration = Duration::from_millis(30);

#[collect_metrics(client = rec.client(), outcome, timing, service_check = "jobs.load")]
fn load(rec: &Recorder) -> BoxFut<'_, Result<u8, String>> {
    Box::pin(async {
        tokio::time::sleep(WAIT).await;
        collector_runtime::incr("load.tries", ());
        Err("table is locked".to_owned())
    })
}

#[collect_metrics(client = rec.client(), outcome, service_check)]
fn load_local(rec: &Recorder, fail: bool) -> LocalBoxFut<'_, Result<u8, String>> {
    if fail {
        return Box::pin(async { Err("early".to_owned()) });
    }
    Box::pin(async { Ok(1) })
}

#[tokio::test]
async fn an_aliased_boxed_future_is_measured_until_it_completes() {
    let rec = Recorder::new();
    assert_eq!(load(&rec).await, Err("table is locked".to_owned()));
    let lines = rec.one_flush_any();
    let duration = lines
        .iter()
        .find_map(|line| line.strip_prefix("load.duration:"))
        .expect("the call's duration");
    let (millis, rest) = duration.split_once('|').unwrap();
    assert_eq!(rest, "ms|#outcome:error");
    let millis: f64 = millis.parse().unwrap();
    assert!(
        millis >= WAIT.as_secs_f64() * 1000.0,
        "the duration covers the await: {millis} ms"
    );
    assert!(lines.contains(&"load.tries:1|c|#outcome:error".to_owned()));
    assert!(lines.contains(&"_sc|jobs.load|2|#outcome:error|m:table is locked".to_owned()));
}

#[tokio::test]
async fn every_exit_of_an_aliased_future_is_wrapped() {
    let rec = Recorder::new();
    assert_eq!(load_local(&rec, true).await, Err("early".to_owned()));
    assert_eq!(
        rec.one_flush_any(),
        ["_sc|load_local|2|#outcome:error|m:early"]
    );
    let rec = Recorder::new();
    assert_eq!(load_local(&rec, false).await, Ok(1));
    assert_eq!(rec.one_flush_any(), ["_sc|load_local|0|#outcome:ok"]);
    // Each call is measured as its future: a dropped one is cancelled.
    let rec = Recorder::new();
    drop(load(&rec));
    assert_eq!(
        rec.one_flush_any()[1],
        "_sc|jobs.load|2|#outcome:cancelled|m:cancelled"
    );
}

#[track_caller]
#[collect_metrics(outcome)]
fn opaque_here() -> impl Future<Output = u32> {
    let line = Location::caller().line();
    async move { line }
}

#[track_caller]
#[collect_metrics(timing)]
fn boxed_here() -> Pin<Box<dyn Future<Output = u32> + Send>> {
    let line = Location::caller().line();
    Box::pin(async move { line })
}

#[track_caller]
#[collect_metrics]
fn aliased_here() -> BoxFut<'static, u32> {
    let line = Location::caller().line();
    Box::pin(async move { line })
}

#[tokio::test]
async fn track_caller_reports_the_caller_of_a_future_returning_function() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let (line, reported) = (line!(), opaque_here().await);
    assert_eq!(reported, line);
    let (line, reported) = (line!(), boxed_here().await);
    assert_eq!(reported, line);
    let (line, reported) = (line!(), aliased_here().await);
    assert_eq!(reported, line);
}

/// An `async fn` written out: the body is one `async` block, which clippy
/// sees as it does on the plain function.
#[collect_metrics(client = rec.client(), outcome, timing, service_check = "jobs.load")]
#[expect(clippy::manual_async_fn)]
fn spelled_load(rec: Recorder, mut tries: u8) -> impl Future<Output = Result<u8, String>> {
    async move {
        tokio::time::sleep(WAIT).await;
        tries += 1;
        collector_runtime::count("load.tries", i64::from(tries), ());
        Err("table is locked".to_owned())
    }
}

/// The same function, as an `async fn`.
#[collect_metrics(client = rec.client(), outcome, timing, service_check = "jobs.load")]
async fn async_load(rec: Recorder, mut tries: u8) -> Result<u8, String> {
    tokio::time::sleep(WAIT).await;
    tries += 1;
    collector_runtime::count("load.tries", i64::from(tries), ());
    Err("table is locked".to_owned())
}

#[tokio::test]
async fn a_spelled_out_async_fn_is_measured_as_the_async_fn_it_spells() {
    let (spelled, written) = (Recorder::new(), Recorder::new());
    assert_eq!(
        spelled_load(spelled.clone(), 0).await,
        async_load(written.clone(), 0).await
    );
    for (rec, name) in [(&spelled, "spelled_load"), (&written, "async_load")] {
        let lines = rec.one_flush_any();
        let duration = lines
            .iter()
            .find_map(|line| line.strip_prefix(&format!("{name}.duration:")))
            .expect("the call's duration");
        let (millis, rest) = duration.split_once('|').unwrap();
        assert_eq!(rest, "ms|#outcome:error");
        let millis: f64 = millis.parse().unwrap();
        assert!(millis >= WAIT.as_secs_f64() * 1000.0, "{millis} ms");
        assert!(lines.contains(&"load.tries:1|c|#outcome:error".to_owned()));
        assert!(lines.contains(&"_sc|jobs.load|2|#outcome:error|m:table is locked".to_owned()));
    }
    // Never polled, neither has started: nothing is sent for either.
    let (spelled, written) = (Recorder::new(), Recorder::new());
    drop(spelled_load(spelled.clone(), 0));
    drop(async_load(written.clone(), 0));
    assert_eq!((spelled.flush_count(), written.flush_count()), (0, 0));
    // Dropped while it waits, each is cancelled.
    for spelled in [true, false] {
        let rec = Recorder::new();
        let taken = rec.clone();
        let call = tokio::spawn(async move {
            if spelled {
                spelled_load(taken, 0).await
            } else {
                async_load(taken, 0).await
            }
        });
        tokio::time::sleep(WAIT / 3).await;
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        let lines = rec.one_flush_any();
        assert!(
            lines.contains(&"_sc|jobs.load|2|#outcome:cancelled|m:cancelled".to_owned()),
            "{lines:?}"
        );
    }
}

/// A lone block that borrows (not `move`), with an option that names a
/// variable: measured from the call, as any other returned future.
#[collect_metrics(client = rec.client(), outcome, timing)]
fn borrowing_load<'a>(rec: &Recorder, table: &'a str) -> impl Future<Output = usize> + 'a {
    async { table.len() }
}

#[tokio::test]
async fn a_borrowing_block_with_an_option_naming_a_variable_is_measured_from_the_call() {
    let rec = Recorder::new();
    assert_eq!(borrowing_load(&rec, "jobs").await, 4);
    assert!(rec.one_flush_any()[0].ends_with("|ms|#outcome:ok"));
    // Dropped unpolled, the call is still one: it began when it was made.
    let rec = Recorder::new();
    drop(borrowing_load(&rec, "jobs"));
    let lines = rec.one_flush_any();
    assert!(
        lines[0].starts_with("borrowing_load.duration:"),
        "{lines:?}"
    );
    assert!(lines[0].ends_with("|ms|#outcome:cancelled"), "{lines:?}");
}
