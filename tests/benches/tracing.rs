//! A span with 2 fields and 3 counter records inside it, from the span's
//! creation to its close: through `SpanCollectorLayer` (the span is an
//! execution; its collector is flushed at close into a no-op sink), beside
//! metrics-tracing-context's `MetricsLayer` + `TracingContextLayer` over
//! `metrics-exporter-dogstatsd` (every record takes the span's fields as
//! labels; the exporter aggregates and sends on its own thread, to a
//! drained loopback socket). Each side's subscriber and recorder are made
//! this thread's defaults, so both run in one process.
//!
//! `ours_layer_metrics_facade` records the same three counters through
//! `metrics::counter!` into `MetricsRecorder`, for a library that uses the
//! facade inside our span.
//!
//! `cargo bench -p collector-tests --bench tracing -- --warm-up-time 1 --measurement-time 3`

mod common;

use collector_runtime::metrics::MetricsRecorder;
use criterion::{criterion_group, criterion_main, Criterion};
use metrics_exporter_dogstatsd::DogStatsDBuilder;
use metrics_tracing_context::{MetricsLayer, TracingContextLayer};
use metrics_util::layers::Layer as _;
use tracing_subscriber::prelude::*;

use common::spans::{ours_span, ours_subscriber};
use common::Drain;

fn facade_span(marker: bool) {
    let span = if marker {
        tracing::info_span!(
            "request",
            collect_metrics = true,
            route = "/users",
            method = "GET"
        )
    } else {
        tracing::info_span!("request", route = "/users", method = "GET")
    };
    span.in_scope(|| {
        metrics::counter!("db.query").increment(1);
        metrics::counter!("cache.miss").increment(1);
        metrics::counter!("db.query").increment(1);
    });
}

fn span_3_records(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracing/span_3_records");

    tracing::subscriber::with_default(ours_subscriber(), || {
        group.bench_function("ours_layer", |b| b.iter(ours_span));
        let recorder = MetricsRecorder::new();
        let _recorder = metrics::set_default_local_recorder(&recorder);
        group.bench_function("ours_layer_metrics_facade", |b| {
            b.iter(|| facade_span(true))
        });
    });

    let drain = Drain::start();
    let exporter = DogStatsDBuilder::default()
        .with_remote_address(drain.addr().to_string())
        .expect("exporter address")
        .build()
        .expect("build the exporter");
    let recorder = TracingContextLayer::all().layer(exporter);
    let theirs = tracing_subscriber::registry().with(MetricsLayer::new());
    tracing::subscriber::with_default(theirs, || {
        let _recorder = metrics::set_default_local_recorder(&recorder);
        group.bench_function("metrics_tracing_context", |b| b.iter(|| facade_span(false)));
    });
    group.finish();
}

criterion_group!(benches, span_3_records);
criterion_main!(benches);
