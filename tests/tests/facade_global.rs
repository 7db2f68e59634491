//! `MetricsRecorder` installed the usual way, as the process's global
//! `metrics` recorder, with its default fallback: the global client. One
//! test in this binary: the recorder and the client are process-wide.
//!
//! An async annotated call that calls the `metrics`-only library between
//! awaits, on a multi-threaded runtime, sends one line per series with its
//! tags; the same library called outside any call goes through the global
//! client, aggregated like the calls' lines (a gauge's last value, a
//! counter's sum), over a real UDP socket.

use std::collections::BTreeMap;

use collector_runtime::{collect_metrics, metrics::MetricsRecorder};
use collector_tests::{by_series, series, UdpReceiver};

#[collect_metrics(name = "sync", tags("job:sync"))]
async fn sync_tables() {
    for (table, rows) in [
        ("orders", &[10, 20][..]),
        ("users", &[1][..]),
        ("orders", &[5][..]),
    ] {
        instrumented_lib::import_batch(table, rows);
        tokio::task::yield_now().await;
    }
}

#[test]
fn the_global_recorder_aggregates_in_calls_and_across_records_outside() {
    let agent = UdpReceiver::bind();
    collector_runtime::set_global_client(agent.client());
    metrics::set_global_recorder(MetricsRecorder::new()).expect("no recorder installed yet");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async { tokio::spawn(sync_tables()).await.unwrap() });

    let sent = by_series(&agent.lines()).expect("one line per series");
    let expected = BTreeMap::from([
        (series("c", "lib.rows", &["job:sync", "table:orders"]), 3.0),
        (series("c", "lib.rows", &["job:sync", "table:users"]), 1.0),
        (
            series("h", "lib.bytes", &["job:sync", "table:orders"]),
            35.0,
        ),
        (series("h", "lib.bytes", &["job:sync", "table:users"]), 1.0),
        (series("g", "lib.last_rows", &["job:sync"]), 1.0),
        (series("g", "lib.in_flight", &["job:sync"]), 0.0),
    ]);
    assert_eq!(sent, expected);

    instrumented_lib::import_batch("orders", &[7, 8]);
    let sent: Vec<(String, f64, String, Vec<String>)> = agent
        .lines()
        .into_iter()
        .map(|l| (l.name, l.value, l.kind, l.tags))
        .collect();
    let line = |name: &str, value: f64, kind: &str, tags: &[&str]| {
        let tags = tags.iter().map(|t| t.to_string()).collect();
        (name.to_owned(), value, kind.to_owned(), tags)
    };
    // The gauge set to 1 then back to 0 within the interval: its last value.
    assert_eq!(
        sent,
        [
            line("lib.in_flight", 0.0, "g", &[]),
            line("lib.rows", 2.0, "c", &["table:orders"]),
            line("lib.bytes", 15.0, "h", &["table:orders"]),
            line("lib.last_rows", 2.0, "g", &[]),
        ]
    );
}
