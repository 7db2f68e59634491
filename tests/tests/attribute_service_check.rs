//! `#[collect_metrics(service_check)]`: one service check per call, for
//! each way a call ends, tagged like the call's series, read back by the
//! independent parser.

mod attribute_common;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use attribute_common::Recorder;
use collector_runtime::{checks_events::Event, collect_metrics, incr};

#[derive(Debug)]
struct Locked;

impl fmt::Display for Locked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("table is locked")
    }
}

/// An error type without `Display`.
#[derive(Debug)]
struct Opaque;

fn lock(fail: bool) -> Result<(), Locked> {
    if fail {
        Err(Locked)
    } else {
        Ok(())
    }
}

#[collect_metrics(name = "jobs.cleanup", tags("job:cleanup"), client = rec.client(), outcome, service_check)]
fn cleanup(rec: &Recorder, fail: bool) -> Result<u32, Locked> {
    incr("cleanup.rows", ());
    if fail {
        return Err(Locked);
    }
    Ok(3)
}

#[test]
fn an_ok_call_sends_ok_beside_its_series() {
    let rec = Recorder::new();
    cleanup(&rec, false).unwrap();
    assert_eq!(
        rec.one_flush_any(),
        [
            "cleanup.rows:1|c|#job:cleanup,outcome:ok",
            "_sc|jobs.cleanup|0|#job:cleanup,outcome:ok",
        ]
    );
}

#[test]
fn a_returned_err_is_critical_with_its_display() {
    let rec = Recorder::new();
    cleanup(&rec, true).unwrap_err();
    assert_eq!(
        rec.one_flush_any()[1],
        "_sc|jobs.cleanup|2|#job:cleanup,outcome:error|m:table is locked"
    );
}

#[collect_metrics(client = rec.client(), service_check = "jobs.sync")]
fn question_mark(rec: &Recorder) -> Result<(), Locked> {
    lock(true)?;
    Ok(())
}

/// The error of a cron job's steps, as its own error type wraps it.
#[derive(Debug)]
struct JobFailed(Locked);

impl From<Locked> for JobFailed {
    fn from(error: Locked) -> Self {
        JobFailed(error)
    }
}

impl fmt::Display for JobFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step failed: {}", self.0)
    }
}

#[collect_metrics(client = rec.client(), outcome, service_check = "jobs.nightly")]
fn nightly(rec: &Recorder, fail: bool) -> Result<u32, JobFailed> {
    let parsed: u32 = "3".parse().map_err(|_| Locked)?;
    lock(fail)?;
    Ok(parsed)
}

#[test]
fn question_mark_in_a_sync_body_sends_the_converted_errors_text() {
    let rec = Recorder::new();
    assert!(matches!(nightly(&rec, true), Err(JobFailed(Locked))));
    assert_eq!(
        rec.one_flush_any(),
        ["_sc|jobs.nightly|2|#outcome:error|m:step failed: table is locked"]
    );
    let rec = Recorder::new();
    assert_eq!(nightly(&rec, false).unwrap(), 3);
    assert_eq!(rec.one_flush_any(), ["_sc|jobs.nightly|0|#outcome:ok"]);
}

#[collect_metrics(client = rec.client(), service_check)]
fn tail_err(rec: &Recorder) -> Result<(), Locked> {
    lock(true)
}

#[collect_metrics(client = rec.client(), service_check)]
fn opaque(rec: &Recorder) -> Result<(), Opaque> {
    Err(Opaque)
}

#[test]
fn an_err_is_critical_however_it_leaves() {
    let rec = Recorder::new();
    question_mark(&rec).unwrap_err();
    // `?` in a sync body: the converted error's Display, as for a tail or a
    // `return`.
    assert_eq!(rec.one_flush_any(), ["_sc|jobs.sync|2|m:table is locked"]);
    let rec = Recorder::new();
    tail_err(&rec).unwrap_err();
    assert_eq!(rec.one_flush_any(), ["_sc|tail_err|2|m:table is locked"]);
    let rec = Recorder::new();
    opaque(&rec).unwrap_err();
    assert_eq!(rec.one_flush_any(), ["_sc|opaque|2|m:returned an error"]);
}

#[collect_metrics(client = rec.client(), tags("job:x"), service_check)]
fn panics(rec: &Recorder, message: &str) {
    incr("before.panic", ());
    if message.is_empty() {
        std::panic::panic_any(7_u8);
    }
    panic!("disk {message}");
}

#[test]
fn a_panic_is_critical_with_its_message() {
    let rec = Recorder::new();
    std::panic::catch_unwind(|| panics(&rec, "full")).unwrap_err();
    assert_eq!(
        rec.one_flush_any(),
        [
            "before.panic:1|c|#job:x",
            "_sc|panics|2|#job:x|m:panicked: disk full"
        ]
    );
    let rec = Recorder::new();
    std::panic::catch_unwind(|| panics(&rec, "")).unwrap_err();
    assert_eq!(rec.one_flush_any()[1], "_sc|panics|2|#job:x|m:panicked");
}

#[collect_metrics(client = rec.client(), outcome, service_check)]
async fn fetch(rec: Recorder, fail: bool) -> Result<(), Locked> {
    Ready.await;
    lock(fail)?;
    Ok(())
}

#[collect_metrics(client = rec.client(), service_check = "jobs.wait")]
async fn waits(rec: Recorder) {
    Never.await;
}

#[collect_metrics(client = rec.client(), service_check)]
async fn async_panics(rec: Recorder) {
    Ready.await;
    panic!("async boom");
}

#[collect_metrics(client = rec.client(), service_check)]
fn returns_future(rec: &Recorder) -> impl Future<Output = Result<(), Locked>> {
    async { lock(true) }
}

struct Ready;
impl Future for Ready {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

struct Never;
impl Future for Never {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("pending"),
    }
}

#[test]
fn an_async_call_sends_its_check_for_every_ending() {
    let rec = Recorder::new();
    block_on(fetch(rec.clone(), false)).unwrap();
    assert_eq!(rec.one_flush_any(), ["_sc|fetch|0|#outcome:ok"]);
    // An async body's `?` is seen with its value: the error's Display.
    let rec = Recorder::new();
    block_on(fetch(rec.clone(), true)).unwrap_err();
    assert_eq!(
        rec.one_flush_any(),
        ["_sc|fetch|2|#outcome:error|m:table is locked"]
    );
    let rec = Recorder::new();
    std::panic::catch_unwind(|| block_on(async_panics(rec.clone()))).unwrap_err();
    assert_eq!(
        rec.one_flush_any(),
        ["_sc|async_panics|2|m:panicked: async boom"]
    );
    let rec = Recorder::new();
    block_on(returns_future(&rec)).unwrap_err();
    assert_eq!(
        rec.one_flush_any(),
        ["_sc|returns_future|2|m:table is locked"]
    );
}

#[test]
fn a_dropped_future_is_critical_and_cancelled() {
    let rec = Recorder::new();
    {
        let mut call = Box::pin(waits(rec.clone()));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(rec.one_flush_any(), ["_sc|jobs.wait|2|m:cancelled"]);
}

#[collect_metrics(client = rec.client(), service_check)]
fn fills_its_collector(rec: &Recorder) -> Result<(), Locked> {
    for n in 0..10_001 {
        collector_runtime::incr("wide", &[("n", n.to_string())]);
    }
    collector_runtime::event(Event::new("filled", "10001 series"));
    Err(Locked)
}

#[test]
fn a_call_whose_collector_is_full_still_sends_its_event_and_check() {
    let rec = Recorder::new();
    fills_its_collector(&rec).unwrap_err();
    let lines = rec.one_flush_any();
    let tail: Vec<&str> = lines[lines.len() - 3..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "_e{6,12}:filled|10001 series",
            "_sc|fills_its_collector|2|m:table is locked",
            "collector.records_dropped:1|c",
        ]
    );
    assert_eq!(lines.len(), 10_003);
}

fn clean_table(table: &str) -> Result<u32, Locked> {
    if table == "orders" {
        return Err(Locked);
    }
    collector_runtime::count("cleanup.deleted", 3, &[("table", table)]);
    Ok(3)
}

thread_local! {
    static README: Recorder = Recorder::new();
}

fn readme_client() -> collector_runtime::Client {
    README.with(Recorder::client)
}

// The README's "A cron run's health", with `clean_table` standing in.
#[collect_metrics(name = "jobs.cleanup", tags("job:cleanup"), timing, outcome, service_check, client = readme_client())]
fn nightly_cleanup(tables: &[&str]) -> Result<u32, Locked> {
    tables.iter().map(|table| clean_table(table)).sum()
}

#[test]
fn the_readme_cron_example_sends_what_it_shows() {
    let rec = README.with(Recorder::clone);
    nightly_cleanup(&["sessions"]).unwrap();
    nightly_cleanup(&["sessions", "orders"]).unwrap_err();
    let sent: Vec<String> = rec
        .flushes_any()
        .concat()
        .into_iter()
        .map(|line| match line.split_once(':') {
            Some((name, rest)) if rest.contains("|ms|") => {
                format!("{name}:<ms>|{}", rest.split_once('|').unwrap().1)
            }
            _ => line,
        })
        .collect();
    assert_eq!(
        sent,
        [
            "cleanup.deleted:3|c|#job:cleanup,outcome:ok,table:sessions",
            "jobs.cleanup.duration:<ms>|ms|#job:cleanup,outcome:ok",
            "_sc|jobs.cleanup|0|#job:cleanup,outcome:ok",
            "cleanup.deleted:3|c|#job:cleanup,outcome:error,table:sessions",
            "jobs.cleanup.duration:<ms>|ms|#job:cleanup,outcome:error",
            "_sc|jobs.cleanup|2|#job:cleanup,outcome:error|m:table is locked",
        ]
    );
}
