//! Async calls: the call's collector is current around every poll, on
//! whichever thread polls, so concurrent calls on a multi-threaded runtime
//! never mix their series, and a call that moves between threads keeps
//! recording into its own collector.

#![deny(warnings)]

mod attribute_common;

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use attribute_common::{without_value, Recorder};
use collector_runtime::collect_metrics;
use collector_runtime::{histogram, incr};

/// What reaches the global client: records made while no collector is
/// current. Annotated calls must send nothing here.
static GLOBAL: LazyLock<Recorder> = LazyLock::new(|| {
    let rec = Recorder::new();
    collector_runtime::set_global_client(rec.client());
    rec
});

const STEPS: usize = 10;

/// One request: records between yields, so that its polls interleave with
/// the other calls' on every worker thread.
#[collect_metrics(name = "request", client = rec.client(), outcome, tags(call = id))]
async fn request(rec: Recorder, id: usize) -> Result<HashSet<ThreadId>, String> {
    let mut threads = HashSet::new();
    for step in 0..STEPS {
        threads.insert(thread::current().id());
        let parity = if step % 2 == 0 { "even" } else { "odd" };
        incr("request.step", [("parity", parity)]);
        histogram("request.size", id as f64, ());
        tokio::task::yield_now().await;
    }
    if id.is_multiple_of(7) {
        return Err(format!("call {id} fails"));
    }
    Ok(threads)
}

#[test]
fn a_thousand_concurrent_calls_each_send_only_their_own_series() {
    LazyLock::force(&GLOBAL);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let recorders: Vec<Recorder> = (0..1000).map(|_| Recorder::new()).collect();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = recorders
            .iter()
            .enumerate()
            .map(|(id, rec)| tokio::spawn(request(rec.clone(), id)))
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });

    let mut moved = 0;
    for (id, (rec, result)) in recorders.iter().zip(&results).enumerate() {
        let outcome = if id % 7 == 0 { "error" } else { "ok" };
        assert_eq!(result.is_ok(), outcome == "ok");
        if result.as_ref().is_ok_and(|threads| threads.len() > 1) {
            moved += 1;
        }
        // Exactly one flush, and in it exactly this call's totals: any
        // record that went to another call's collector would show here.
        let lines = rec.one_flush_lines();
        let series: BTreeMap<String, f64> =
            lines.iter().map(|l| (without_value(l), l.value)).collect();
        let half = (STEPS / 2) as f64;
        let expected = BTreeMap::from([
            (
                format!("request.size|h|#call:{id},outcome:{outcome}"),
                (id * STEPS) as f64,
            ),
            (
                format!("request.step|c|#call:{id},outcome:{outcome},parity:even"),
                half,
            ),
            (
                format!("request.step|c|#call:{id},outcome:{outcome},parity:odd"),
                half,
            ),
        ]);
        assert_eq!(lines.len(), 3, "call {id}: {lines:?}");
        assert_eq!(series, expected, "call {id}");
    }
    let leaked: Vec<_> = GLOBAL
        .flushes()
        .concat()
        .into_iter()
        .filter(|l| l.name.starts_with("request."))
        .collect();
    assert!(leaked.is_empty(), "recorded outside their call: {leaked:?}");
    eprintln!("{moved} of 1000 calls ran on more than one worker thread");
}

/// A future that stays pending until its flag is set.
struct Gate(Arc<AtomicBool>);

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

#[collect_metrics(client = rec.client(), outcome)]
async fn hop(rec: Recorder, gate: Arc<AtomicBool>) -> Vec<ThreadId> {
    let first = thread::current().id();
    incr("hop", ());
    Gate(gate).await;
    incr("hop", ());
    vec![first, thread::current().id()]
}

#[test]
fn a_call_that_moves_to_another_thread_keeps_its_collector() {
    LazyLock::force(&GLOBAL);
    let rec = Recorder::new();
    let gate = Arc::new(AtomicBool::new(false));
    let mut call = Box::pin(hop(rec.clone(), Arc::clone(&gate)));
    let waker = Waker::from(Arc::new(NoWake));
    assert!(call
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    // Between polls the call's collector is not current here.
    incr("hop.outside", ());
    gate.store(true, Ordering::SeqCst);
    let threads = thread::spawn(move || {
        let waker = Waker::from(Arc::new(NoWake));
        match call.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(threads) => threads,
            Poll::Pending => panic!("the gate is open"),
        }
    })
    .join()
    .unwrap();
    assert_ne!(threads[0], threads[1]);
    assert_eq!(rec.one_flush(), ["hop:2|c|#outcome:ok"]);
    let global: Vec<String> = GLOBAL
        .flushes()
        .concat()
        .iter()
        .map(without_value)
        .collect();
    assert!(global.contains(&"hop.outside|c|#".to_owned()), "{global:?}");
    assert!(!global.iter().any(|l| l.starts_with("hop|")), "{global:?}");
}
