//! The span the tracing-layer benches time: an execution of
//! `SpanCollectorLayer`, with 2 fields and 3 counter records.

use cadence::NopMetricSink;
use collector_runtime::{tracing::SpanCollectorLayer, Client};
use tracing_subscriber::prelude::*;

/// A subscriber with only our layer, its collectors flushed into cadence's
/// `NopMetricSink`.
pub(crate) fn ours_subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry()
        .with(SpanCollectorLayer::new().client(Client::new(NopMetricSink)))
}

/// One span, from its creation to its close, with 3 records inside.
pub(crate) fn ours_span() {
    let span = tracing::info_span!(
        "request",
        collect_metrics = true,
        route = "/users",
        method = "GET"
    );
    span.in_scope(|| {
        collector_runtime::incr("db.query", ());
        collector_runtime::incr("cache.miss", ());
        collector_runtime::incr("db.query", ());
    });
}
