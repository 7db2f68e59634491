//! `testing::capture` and `capture_async` as a user's test suite runs them:
//! in parallel threads of one process, each capture sees only its own
//! lines, and nothing reaches the global client meanwhile (here a real UDP
//! socket, checked to stay silent).

use std::sync::LazyLock;
use std::time::Duration;

use collector_runtime::testing::{capture, capture_async};
use collector_runtime::{collect_metrics, incr, Client, Collector};
use collector_tests::UdpReceiver;

/// The global client: nothing captured may reach it.
static GLOBAL: LazyLock<UdpReceiver> = LazyLock::new(|| {
    let agent = UdpReceiver::bind();
    collector_runtime::set_global_client(agent.client().prefix("global"));
    agent
});

fn global_stays_silent() {
    let stray = GLOBAL.datagrams(Duration::from_millis(100));
    assert!(stray.is_empty(), "the global client sent {stray:?}");
}

#[collect_metrics(name = "handler", tags(worker = worker))]
fn handler(worker: usize, rows: u32) {
    for _ in 0..rows {
        collector_runtime::histogram("orders.rows", 1, &[("table", "orders")]);
    }
    incr("handler.calls", ());
}

#[test]
fn parallel_captures_each_see_only_their_own_lines() {
    LazyLock::force(&GLOBAL);
    let threads: Vec<_> = (0..8)
        .map(|worker| {
            std::thread::spawn(move || {
                let ((), lines) = capture(|| {
                    // Per round, three lines: two series of the call's
                    // flush, and one record made outside any collector.
                    for _ in 0..50 {
                        handler(worker, 3);
                        incr("outside", &[("worker", worker.to_string())]);
                    }
                });
                lines
            })
        })
        .collect();
    for (worker, thread) in threads.into_iter().enumerate() {
        let lines = thread.join().unwrap();
        let tag = format!("worker:{worker}");
        assert_eq!(lines.len(), 150, "worker {worker}: {lines:?}");
        assert!(
            lines.iter().all(|l| l.has_tag(&tag)),
            "worker {worker}: {lines:?}"
        );
        // The global client's prefix: written as it would have been sent.
        let rows = lines
            .iter()
            .filter(|l| l.name() == "global.orders.rows")
            .collect::<Vec<_>>();
        assert_eq!(rows.len(), 50);
        assert!(rows.iter().all(|l| l.value() == 3.0 && l.kind() == "h"));
        assert_eq!(rows[0].tags(), ["table:orders", tag.as_str()]);
    }
    global_stays_silent();
}

#[test]
fn a_collector_with_a_client_of_its_own_is_captured_and_its_sink_receives_nothing() {
    LazyLock::force(&GLOBAL);
    let (received, sink) = cadence::SpyMetricSink::new();
    let collector = Collector::builder()
        .client(Client::new(sink).prefix("app").tag("env:test"))
        .tag("job:x")
        .max_series(1)
        .build();
    let ((), lines) = capture(|| {
        collector.incr("kept", ());
        collector.incr("dropped", ());
        collector.flush();
    });
    assert_eq!(
        lines,
        [
            "app.kept:1|c|#env:test,job:x",
            "app.collector.records_dropped:1|c|#env:test,job:x"
        ]
    );
    collector_runtime::wait_for_delivery();
    assert!(
        received.try_recv().is_err(),
        "the collector's sink received a payload"
    );
    // After the capture, the same collector sends through its sink again.
    collector.incr("after", ());
    collector.flush();
    collector_runtime::wait_for_delivery();
    assert_eq!(
        String::from_utf8(received.try_recv().unwrap()).unwrap(),
        "app.after:1|c|#env:test,job:x"
    );
}

#[test]
fn captures_nest_and_the_innermost_receives() {
    LazyLock::force(&GLOBAL);
    let mut inner = Vec::new();
    let ((), outer) = capture(|| {
        incr("outer.before", ());
        ((), inner) = capture(|| incr("inner", ()));
        incr("outer.after", ());
    });
    assert_eq!(inner, ["global.inner:1|c"]);
    assert_eq!(outer, ["global.outer.before:1|c", "global.outer.after:1|c"]);
}

#[collect_metrics(name = "task", tags(task = id), outcome)]
async fn task(id: usize) {
    for _ in 0..10 {
        incr("task.step", ());
        tokio::task::yield_now().await;
    }
}

#[test]
fn async_captures_follow_their_future_across_worker_threads() {
    LazyLock::force(&GLOBAL);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..20)
            .map(|id| tokio::spawn(capture_async(task(id))))
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            let ((), lines) = task.await.unwrap();
            out.push(lines);
        }
        out
    });
    for (id, lines) in results.iter().enumerate() {
        assert_eq!(
            *lines,
            [format!("global.task.step:10|c|#outcome:ok,task:{id}").as_str()]
        );
    }
    global_stays_silent();
}

#[collect_metrics(name = "stuck", outcome)]
async fn stuck() {
    incr("stuck.started", ());
    std::future::pending::<()>().await;
}

/// Polls `fut` once, then drops it unfinished.
fn poll_once_then_drop<F: std::future::Future>(fut: F) {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
}

#[test]
fn a_capture_dropped_unfinished_keeps_what_its_cancelled_call_flushes() {
    LazyLock::force(&GLOBAL);
    // The call flushes as cancelled when its future is dropped...
    let ((), seen) = capture(|| poll_once_then_drop(stuck()));
    assert_eq!(seen, ["global.stuck.started:1|c|#outcome:cancelled"]);
    // ...and inside a dropped capture, that flush stays in the capture:
    // neither the enclosing one nor the global client receives it.
    let ((), outer) = capture(|| poll_once_then_drop(capture_async(stuck())));
    assert!(outer.is_empty(), "{outer:?}");
    global_stays_silent();
}
