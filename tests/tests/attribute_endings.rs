//! Every way an annotated call can end flushes its collector exactly once,
//! with the series the call recorded and, with `outcome`, how it ended:
//! `ok`, `error` (a returned `Err`), `panic` (the panic still propagates,
//! unchanged) or `cancelled` (an async call dropped before it completed).

#![deny(warnings)]

mod attribute_common;

use std::future::pending;
use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
use std::time::{Duration, Instant};

use attribute_common::Recorder;
use collector_runtime::collect_metrics;
use collector_runtime::incr;

#[derive(Debug, PartialEq)]
struct Failure(&'static str);

/// Ends in each way a sync call can, chosen by `how`.
#[collect_metrics(name = "work", client = rec.client(), outcome)]
fn work(rec: &Recorder, how: &str) -> Result<u8, String> {
    incr("work.started", ());
    if how == "early ok" {
        return Ok(1);
    }
    if how == "early err" {
        return Err("early".into());
    }
    let parsed: u8 = how.parse().map_err(|_| format!("not a number: {how}"))?;
    if parsed == 0 {
        panic_any(Failure("zero"));
    }
    incr("work.finished", ());
    Ok(parsed)
}

#[test]
fn a_normal_return_is_ok() {
    let rec = Recorder::new();
    assert_eq!(work(&rec, "7"), Ok(7));
    assert_eq!(
        rec.one_flush(),
        [
            "work.finished:1|c|#outcome:ok",
            "work.started:1|c|#outcome:ok"
        ]
    );
}

#[test]
fn an_early_return_is_ok_or_error_by_its_value() {
    let rec = Recorder::new();
    assert_eq!(work(&rec, "early ok"), Ok(1));
    assert_eq!(rec.one_flush(), ["work.started:1|c|#outcome:ok"]);
    rec.clear();
    assert_eq!(work(&rec, "early err"), Err("early".into()));
    assert_eq!(rec.one_flush(), ["work.started:1|c|#outcome:error"]);
}

#[test]
fn an_error_through_the_question_mark_is_an_error() {
    let rec = Recorder::new();
    assert_eq!(work(&rec, "x"), Err("not a number: x".into()));
    assert_eq!(rec.one_flush(), ["work.started:1|c|#outcome:error"]);
}

#[test]
fn a_panic_flushes_and_propagates_unchanged() {
    let rec = Recorder::new();
    let payload = catch_unwind(AssertUnwindSafe(|| work(&rec, "0"))).unwrap_err();
    assert_eq!(payload.downcast_ref::<Failure>(), Some(&Failure("zero")));
    assert_eq!(rec.one_flush(), ["work.started:1|c|#outcome:panic"]);
}

#[collect_metrics(client = rec.client())]
fn panics_without_outcome(rec: &Recorder) -> u8 {
    incr("before.panic", ());
    panic!("plain message {}", rec.flush_count());
}

#[test]
fn a_panic_flushes_without_outcome_too() {
    let rec = Recorder::new();
    let payload = catch_unwind(AssertUnwindSafe(|| panics_without_outcome(&rec))).unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("plain message 0")
    );
    assert_eq!(rec.one_flush(), ["before.panic:1|c"]);
}

#[collect_metrics(client = rec.client(), outcome)]
fn maybe(rec: &Recorder, value: Option<u8>) -> Option<u8> {
    incr("maybe", ());
    let value = value?;
    Some(value + 1)
}

#[collect_metrics(client = rec.client(), outcome)]
fn nothing(rec: &Recorder, stop: bool) {
    incr("nothing", ());
    if stop {
        return;
    }
    incr("nothing.more", ());
}

#[test]
fn only_a_returned_err_is_an_error() {
    let rec = Recorder::new();
    assert_eq!(maybe(&rec, None), None);
    assert_eq!(rec.one_flush(), ["maybe:1|c|#outcome:ok"]);
    rec.clear();
    nothing(&rec, true);
    assert_eq!(rec.one_flush(), ["nothing:1|c|#outcome:ok"]);
    rec.clear();
    nothing(&rec, false);
    assert_eq!(
        rec.one_flush(),
        ["nothing.more:1|c|#outcome:ok", "nothing:1|c|#outcome:ok"]
    );
}

/// Ends in each way an async call can, chosen by `how`.
#[collect_metrics(name = "task", client = rec.client(), outcome)]
async fn task(rec: Recorder, how: &'static str) -> Result<u8, String> {
    incr("task.started", ());
    tokio::task::yield_now().await;
    if how == "early err" {
        return Err("early".into());
    }
    let parsed: u8 = how.parse().map_err(|_| format!("not a number: {how}"))?;
    tokio::task::yield_now().await;
    match parsed {
        0 => panic_any(Failure("async zero")),
        1 => pending::<()>().await,
        _ => {}
    }
    incr("task.finished", ());
    Ok(parsed)
}

#[tokio::test]
async fn async_returns_are_ok_or_error() {
    let rec = Recorder::new();
    assert_eq!(task(rec.clone(), "5").await, Ok(5));
    assert_eq!(
        rec.one_flush(),
        [
            "task.finished:1|c|#outcome:ok",
            "task.started:1|c|#outcome:ok"
        ]
    );
    rec.clear();
    assert_eq!(task(rec.clone(), "early err").await, Err("early".into()));
    assert_eq!(rec.one_flush(), ["task.started:1|c|#outcome:error"]);
    rec.clear();
    assert_eq!(task(rec.clone(), "x").await, Err("not a number: x".into()));
    assert_eq!(rec.one_flush(), ["task.started:1|c|#outcome:error"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_panic_flushes_and_propagates_unchanged() {
    let rec = Recorder::new();
    let joined = tokio::spawn(task(rec.clone(), "0")).await.unwrap_err();
    assert!(joined.is_panic());
    let payload = joined.into_panic();
    assert_eq!(
        payload.downcast_ref::<Failure>(),
        Some(&Failure("async zero"))
    );
    assert_eq!(rec.one_flush(), ["task.started:1|c|#outcome:panic"]);
}

#[test]
fn an_async_panic_through_block_on_propagates_unchanged() {
    let rec = Recorder::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(task(rec.clone(), "0"))
    }))
    .unwrap_err();
    assert_eq!(
        payload.downcast_ref::<Failure>(),
        Some(&Failure("async zero"))
    );
    assert_eq!(rec.one_flush(), ["task.started:1|c|#outcome:panic"]);
}

#[tokio::test]
async fn an_async_call_dropped_before_completing_is_cancelled() {
    let rec = Recorder::new();
    let timed_out = tokio::time::timeout(Duration::from_millis(20), task(rec.clone(), "1")).await;
    assert!(timed_out.is_err());
    assert_eq!(rec.one_flush(), ["task.started:1|c|#outcome:cancelled"]);
}

#[tokio::test]
async fn an_async_call_dropped_before_its_first_poll_sends_nothing() {
    let rec = Recorder::new();
    drop(task(rec.clone(), "5"));
    assert_eq!(rec.flush_count(), 0);
}

#[collect_metrics(client = rec.client(), timing, outcome)]
async fn slow(rec: Recorder) -> u8 {
    incr("slow.started", ());
    tokio::time::sleep(Duration::from_secs(3600)).await;
    1
}

#[tokio::test]
async fn a_cancelled_call_still_sends_its_duration() {
    let rec = Recorder::new();
    let before = Instant::now();
    let mut call = Box::pin(slow(rec.clone()));
    // One poll starts the call; the zero timeout then gives it back.
    assert!(tokio::time::timeout(Duration::ZERO, call.as_mut())
        .await
        .is_err());
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    // The call's duration ends inside the drop: bound it on both sides.
    let at_least = started.elapsed();
    drop(call);
    let at_most = before.elapsed();
    let lines = rec.one_flush_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let duration = lines.iter().find(|l| l.name == "slow.duration").unwrap();
    assert_eq!(duration.kind, "ms");
    assert_eq!(duration.tags, ["outcome:cancelled"]);
    let at_least = at_least.as_secs_f64() * 1000.0;
    let at_most = at_most.as_secs_f64() * 1000.0;
    assert!(
        duration.value >= at_least.floor() && duration.value <= at_most.ceil(),
        "{} ms sent, expected {at_least}..{at_most}",
        duration.value
    );
    let started = lines.iter().find(|l| l.name == "slow.started").unwrap();
    assert_eq!(started.value, 1.0);
    assert_eq!(started.tags, ["outcome:cancelled"]);
}
