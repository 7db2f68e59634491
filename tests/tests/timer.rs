//! The timer helpers inside annotated calls: the guard, the closure and the
//! async form record into the call's own collector (for an `async fn`, on
//! whichever worker thread finishes the timed future), read back from a
//! real socket by the independent parser.

use std::time::Duration;

use collector_runtime::{collect_metrics, start_timer, time, time_async, Client};
use collector_tests::{parse_all, UdpReceiver};

#[collect_metrics(name = "job", client = client)]
fn job(client: Client, table: &str) -> usize {
    let tags = [("table", table)];
    let _whole = start_timer("job.step", &tags);
    time("job.query", &tags, || {
        std::thread::sleep(Duration::from_millis(5));
        3
    })
}

#[collect_metrics(name = "handler", client = client)]
async fn handler(client: Client) -> &'static str {
    let user = time_async("handler.db", &["db:users"], async {
        // Suspends, so the timed future may finish on another worker.
        tokio::time::sleep(Duration::from_millis(20)).await;
        "ada"
    })
    .await;
    tokio::task::yield_now().await;
    user
}

/// `(name, milliseconds, tags)` of every line received.
fn timings(receiver: &UdpReceiver) -> Vec<(String, f64, Vec<String>)> {
    let datagrams = receiver.datagrams(Duration::from_millis(200));
    let mut lines: Vec<_> = parse_all(&datagrams)
        .into_iter()
        .inspect(|line| assert_eq!(line.kind, "ms", "{line:?}"))
        .map(|line| (line.name, line.value, line.tags))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
}

#[test]
fn the_guard_and_the_closure_record_into_the_annotated_call() {
    let receiver = UdpReceiver::bind();
    assert_eq!(job(receiver.client(), "users"), 3);
    let sent = timings(&receiver);
    let names: Vec<&str> = sent.iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(names, ["job.query", "job.step"], "{sent:?}");
    for (_, millis, tags) in &sent {
        assert!(*millis >= 5.0, "{sent:?}");
        assert_eq!(tags, &["table:users"]);
    }
}

#[test]
fn the_async_form_records_into_the_call_on_any_worker() {
    let receiver = UdpReceiver::bind();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let clients: Vec<Client> = (0..8).map(|_| receiver.client()).collect();
    runtime.block_on(async {
        let calls: Vec<_> = clients
            .into_iter()
            .map(|client| tokio::spawn(handler(client)))
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap(), "ada");
        }
    });
    let sent = timings(&receiver);
    assert_eq!(sent.len(), 8, "one line per call: {sent:?}");
    for (name, millis, tags) in &sent {
        assert_eq!(name, "handler.db");
        assert!(*millis >= 20.0, "{sent:?}");
        assert_eq!(tags, &["db:users"]);
    }
}
