//! Item 5 of the benchmark issue: flushing 1, 100 and 10,000 series (3 tags
//! each) through a buffered cadence client (1432-byte payloads, as the
//! runtime builds it) to a drained loopback UDP socket. Criterion reports the
//! time per series (throughput in elements); the datagrams one flush sends
//! are counted by the drain and printed beside `ceil(bytes / 1432) + 1`.
//!
//! `cargo bench -p collector-tests --bench flush -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::time::Duration;

use collector_runtime::Collector;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use common::{Drain, PAYLOAD};

fn fill(collector: &Collector, ids: &[String]) {
    for id in ids {
        collector.incr("bench.flush", ["service:billing", "verb:select", id]);
    }
}

fn flush(c: &mut Criterion) {
    let drain = Drain::start();
    let mut group = c.benchmark_group("flush");
    for n in [1usize, 100, 10_000] {
        let ids: Vec<String> = (0..n).map(|i| format!("shard:{i}")).collect();
        let collector = Collector::builder()
            .client(drain.buffered_client())
            .max_series(n)
            .build();

        // One flush on its own, to count what reaches the socket.
        drain.settle(Duration::from_millis(50));
        let before = drain.counts();
        fill(&collector, &ids);
        let report = collector.flush();
        assert_eq!(report.series_sent, n);
        let after = drain.settle(Duration::from_millis(100));
        let (datagrams, bytes) = (after.0 - before.0, after.1 - before.1);
        let bound = bytes.div_ceil(PAYLOAD as u64) + 1;
        eprintln!(
            "flush/{n}: {datagrams} datagrams, {bytes} bytes, bound ceil(bytes/{PAYLOAD})+1 = {bound}: {}",
            if datagrams <= bound { "met" } else { "MISSED" }
        );

        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_series"), |b| {
            b.iter_batched(
                || fill(&collector, &ids),
                |()| collector.flush(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, flush);
criterion_main!(benches);
