//! Collectors and series the record and flush benches share.

use cadence::NopMetricSink;
use collector_runtime::{Client, Collector};

/// The metric every record bench records.
pub(crate) const RECORD_NAME: &str = "bench.record";

/// Three tags as `"k:v"` strings.
pub(crate) const THREE_TAGS: [&str; 3] = ["k0:v0", "k1:v1", "k2:v2"];

/// The same three tags as `(key, value)` pairs.
pub(crate) const THREE_PAIRS: [(&str, &str); 3] = [("k0", "v0"), ("k1", "v1"), ("k2", "v2")];

/// The base tags of the flush benches' collectors: 3 tags per series and 2
/// base tags make each line.
pub(crate) const BASE_TAGS: [&str; 2] = ["env:bench", "region:eu"];

/// A collector that sends into cadence's `NopMetricSink`: what recording
/// costs with no transport behind it.
pub(crate) fn nop_collector() -> Collector {
    Collector::builder()
        .client(Client::new(NopMetricSink))
        .build()
}

/// `shard:0`, `shard:1`, ...: one tag per flushed series.
pub(crate) fn shard_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("shard:{i}")).collect()
}

/// One series per id, with 3 tags each.
pub(crate) fn fill(collector: &Collector, ids: &[String]) {
    for id in ids {
        collector.incr("bench.flush", ["service:billing", "verb:select", id]);
    }
}
