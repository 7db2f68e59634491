//! Flushing 1, 100 and 10,000 series (3 tags each, and 2 base tags) through
//! the default transport (the outbox, its sender thread, cadence's UDP sink,
//! 1432-byte payloads) to a drained loopback UDP socket: the caller's time.
//! Criterion reports the time per series (throughput in elements); the
//! datagrams one flush makes are printed beside `ceil(bytes / 1432)`.
//! Beside each, the peer: cadence's buffered UDP sink sending the same lines
//! one by one. And both again into cadence's `NopMetricSink`: what a flush
//! costs before the kernel, where this machine's datagrams (about 3 us
//! each) do not hide it.
//!
//! `cargo bench -p collector-tests --bench flush -- --warm-up-time 1 --measurement-time 3`

mod common;

use cadence::prelude::*;
use cadence::{NopMetricSink, StatsdClient};
use collector_runtime::Collector;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use common::series::{fill, shard_ids, BASE_TAGS};
use common::{report_outbox, Drain, PAYLOAD};

fn flush(c: &mut Criterion) {
    let drain = Drain::start();
    let mut group = c.benchmark_group("flush");
    for n in [1usize, 100, 10_000] {
        let ids = shard_ids(n);
        // 3 tags per series and 2 base tags, as the flush target
        // (BENCHMARKS.md, the table of targets) says.
        let collector = Collector::builder()
            .client(drain.collector_client())
            .tags(BASE_TAGS)
            .max_series(n)
            .build();

        // One flush on its own, through cadence's buffered spy sink with the
        // same payload size: the same line packing as the UDP sink, but every
        // buffer it sends is kept, so none is lost to a full socket buffer
        // (the loopback drain drops some of a 10,000-series burst).
        let (sent, spy) = cadence::BufferedSpyMetricSink::with_capacity(None, Some(PAYLOAD));
        let counting = Collector::builder()
            .client(collector_runtime::Client::new(spy).payload_size(PAYLOAD))
            .tags(BASE_TAGS)
            .max_series(n)
            .build();
        fill(&counting, &ids);
        assert_eq!(counting.flush().series_sent, n);
        collector_runtime::wait_for_delivery();
        let datagrams: Vec<Vec<u8>> = sent.try_iter().collect();
        let bytes: usize = datagrams.iter().map(Vec::len).sum();
        let largest = datagrams.iter().map(Vec::len).max().unwrap_or(0);
        let fewest = bytes.div_ceil(PAYLOAD);
        eprintln!(
            "flush/{n}: {} datagrams, {bytes} bytes, largest {largest}, ceil(bytes/{PAYLOAD}) = {fewest}: {}",
            datagrams.len(),
            if datagrams.len() * 10 <= fewest * 11 { "within 10%" } else { "MISSED" }
        );

        group.throughput(Throughput::Elements(n as u64));
        let before = collector_runtime::wait_for_delivery();
        group.bench_function(format!("{n}_series"), |b| {
            b.iter_batched(
                || fill(&collector, &ids),
                |()| collector.flush(),
                BatchSize::PerIteration,
            )
        });
        report_outbox(&format!("flush/{n}_series"), before);
        // The peer: cadence's buffered sink sending the same lines one by
        // one (its `MetricBuilder` formats each), then flushed.
        let client = drain.buffered_client();
        group.bench_function(format!("{n}_series_cadence_buffered_udp"), |b| {
            b.iter(|| cadence_send_all(&client, &ids))
        });

        // The same two without the socket.
        let quiet = Collector::builder()
            .client(collector_runtime::Client::new(NopMetricSink).payload_size(PAYLOAD))
            .tags(BASE_TAGS)
            .max_series(n)
            .build();
        group.bench_function(format!("{n}_series_nop_sink"), |b| {
            b.iter_batched(
                || fill(&quiet, &ids),
                |()| quiet.flush(),
                BatchSize::PerIteration,
            )
        });
        let nop = StatsdClient::from_sink("", NopMetricSink);
        group.bench_function(format!("{n}_series_cadence_nop_sink"), |b| {
            b.iter(|| cadence_send_all(&nop, &ids))
        });
    }
    group.finish();
}

/// Sends one line per id with cadence, formatted by its `MetricBuilder`.
fn cadence_send_all(client: &StatsdClient, ids: &[String]) {
    for id in ids {
        client
            .count_with_tags("bench.flush", 1)
            .with_tag_value("env:bench")
            .with_tag_value("region:eu")
            .with_tag_value("service:billing")
            .with_tag_value(id)
            .with_tag_value("verb:select")
            .send();
    }
    let _ = client.flush();
}

criterion_group!(benches, flush);
criterion_main!(benches);
