//! Items 1-3 of the benchmark issue: one record into an existing series with
//! 0, 3 and 8 tags, through our free function (context lookup included) and
//! through `&Collector`, beside the same call made with cadence (no-op sink,
//! buffered UDP, unbuffered UDP, both UDP sinks aimed at a drained loopback
//! socket) and with the `metrics` crate's `counter!` installed with
//! `metrics-exporter-dogstatsd`.
//!
//! `cargo bench -p collector-tests --bench record -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;

use cadence::prelude::*;
use cadence::{NopMetricSink, StatsdClient};
use criterion::{criterion_group, criterion_main, Criterion};

use common::series::{nop_collector, THREE_PAIRS, THREE_TAGS};
use common::Drain;

/// Benches one tag count. `$ours` is the tag set as our API takes it; the
/// `$k => $v` pairs are the same tags for cadence and `metrics` (literals, as
/// `metrics` wants them for its static keys).
macro_rules! record_group {
    ($c:expr, $drain:expr, $group:literal, $ours:expr, [$($k:literal => $v:literal),*]) => {{
        let tags = $ours;
        let mut group = $c.benchmark_group($group);

        let collector = nop_collector();
        collector.incr("bench.record", &tags);
        {
            let _current = collector.enter();
            group.bench_function("ours_free_fn", |b| {
                b.iter(|| collector_runtime::incr(black_box("bench.record"), black_box(&tags)))
            });
        }
        group.bench_function("ours_collector", |b| {
            b.iter(|| collector.incr(black_box("bench.record"), black_box(&tags)))
        });
        assert_eq!(collector.len(), 1, "every record went to one series");

        let clients = [
            ("cadence_nop", StatsdClient::from_sink("", NopMetricSink)),
            ("cadence_buffered_udp", $drain.buffered_client()),
            ("cadence_udp", $drain.unbuffered_client()),
        ];
        for (id, client) in &clients {
            group.bench_function(*id, |b| {
                b.iter(|| {
                    client
                        .count_with_tags(black_box("bench.record"), 1)
                        $(.with_tag($k, $v))*
                        .send()
                })
            });
        }

        group.bench_function("metrics_dogstatsd", |b| {
            b.iter(|| metrics::counter!("bench.record" $(, $k => $v)*).increment(1))
        });
        group.finish();
    }};
}

fn record(c: &mut Criterion) {
    let drain = Drain::start();
    let exporter = Drain::start();
    metrics_exporter_dogstatsd::DogStatsDBuilder::default()
        .with_remote_address(exporter.addr().to_string())
        .expect("exporter address")
        .install()
        .expect("install the metrics recorder");

    record_group!(c, drain, "record/0_tags", (), []);
    record_group!(
        c, drain, "record/3_tags",
        THREE_TAGS,
        ["k0" => "v0", "k1" => "v1", "k2" => "v2"]
    );
    record_group!(
        c, drain, "record/3_pairs",
        THREE_PAIRS,
        ["k0" => "v0", "k1" => "v1", "k2" => "v2"]
    );
    record_group!(
        c, drain, "record/8_tags",
        ["k0:v0", "k1:v1", "k2:v2", "k3:v3", "k4:v4", "k5:v5", "k6:v6", "k7:v7"],
        [
            "k0" => "v0", "k1" => "v1", "k2" => "v2", "k3" => "v3",
            "k4" => "v4", "k5" => "v5", "k6" => "v6", "k7" => "v7"
        ]
    );
    let (datagrams, bytes) = drain.settle(std::time::Duration::from_millis(100));
    eprintln!("cadence peers: {datagrams} datagrams, {bytes} bytes drained");
}

criterion_group!(benches, record);
criterion_main!(benches);
