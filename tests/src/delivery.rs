//! What the tests of waits for delivery share: an interval of many
//! contexts held by a client's aggregator, and waiting until it is all on
//! the sink.

use std::time::{Duration, Instant};

use collector_runtime::telemetry::DeliveryReport;
use collector_runtime::{Client, Collector};

/// A client on `sink` whose aggregator is drained only when a wait asks
/// (a flush interval of an hour), with `timeout` for each wait and room in
/// its outbox for a few 512-byte payloads only (8 KiB), so that a drain
/// must wait for the sink.
pub fn small_client(
    sink: impl cadence::MetricSink + Send + Sync + 'static,
    timeout: Duration,
) -> Client {
    Client::new(sink)
        .flush_interval(Duration::from_secs(3600))
        .flush_timeout(timeout)
        .max_queued_bytes(8 * 1024)
        .payload_size(512)
}

/// Records `contexts` counter contexts (`jobs.done`, each with a `job:`
/// tag of its own) into a collector of `client` and flushes it: merged
/// into the client's aggregator, one line each once drained, none written
/// yet.
pub fn record_contexts(client: Client, contexts: usize) {
    let collector = Collector::builder().client(client).build();
    for n in 0..contexts {
        collector.incr("jobs.done", &[("job", n.to_string().as_str())]);
    }
    collector.flush();
}

/// Waits for delivery again, every 10 ms, until nothing is pending or
/// `limit` has passed (a bound for a test that would otherwise hang, not a
/// timing), and returns the last report.
pub fn wait_until_delivered(mut last: DeliveryReport, limit: Duration) -> DeliveryReport {
    let give_up = Instant::now() + limit;
    while last.lines_pending > 0 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
        last = collector_runtime::wait_for_delivery();
    }
    last
}
