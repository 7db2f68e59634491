//! `metrics::counter!` with 3 labels, one call site, into an existing
//! series: through `MetricsRecorder` into a current collector (with the
//! default fallback, and with a DogStatsD exporter as the fallback, unused
//! inside a collector), beside the same call through
//! `metrics-exporter-dogstatsd` alone. Each recorder is made this thread's
//! with `metrics::set_default_local_recorder`, so all run in one process.
//! `ours_free_fn_3_pairs` is the same record through
//! `collector_runtime::incr`, for what the facade adds.
//!
//! `cargo bench -p collector-tests --bench facade -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;

use collector_runtime::{metrics::MetricsRecorder, Collector};
use criterion::{criterion_group, criterion_main, Criterion};
use metrics_exporter_dogstatsd::DogStatsDBuilder;

use common::Drain;

fn counter_3_labels() {
    metrics::counter!("bench.record", "k0" => "v0", "k1" => "v1", "k2" => "v2").increment(1);
}

fn facade(c: &mut Criterion) {
    let exporter_drain = Drain::start();
    let exporter = |drain: &Drain| {
        DogStatsDBuilder::default()
            .with_remote_address(drain.addr().to_string())
            .expect("exporter address")
            .build()
            .expect("build the exporter")
    };
    let mut group = c.benchmark_group("facade/counter_3_labels");

    let collector = Collector::builder()
        .client(collector_runtime::Client::new(cadence::NopMetricSink))
        .build();
    {
        let _current = collector.enter();
        let recorder = MetricsRecorder::new();
        let _recorder = metrics::set_default_local_recorder(&recorder);
        counter_3_labels();
        group.bench_function("ours_into_collector", |b| b.iter(counter_3_labels));

        let recorder = MetricsRecorder::with_fallback(exporter(&exporter_drain));
        let _recorder = metrics::set_default_local_recorder(&recorder);
        group.bench_function("ours_into_collector_with_fallback", |b| {
            b.iter(counter_3_labels)
        });

        let pairs = [("k0", "v0"), ("k1", "v1"), ("k2", "v2")];
        group.bench_function("ours_free_fn_3_pairs", |b| {
            b.iter(|| collector_runtime::incr(black_box("bench.record"), black_box(&pairs)))
        });
    }
    assert_eq!(collector.len(), 1, "every record went to one series");

    let recorder = exporter(&exporter_drain);
    let _recorder = metrics::set_default_local_recorder(&recorder);
    group.bench_function("metrics_dogstatsd", |b| b.iter(counter_3_labels));
    group.finish();
}

criterion_group!(benches, facade);
criterion_main!(benches);
