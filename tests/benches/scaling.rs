//! Items 6 and 7 of the benchmark issue.
//!
//! - Recording into an existing series (3 tags) as the collector holds 1,
//!   100, 10,000 and 100,000 series: `hot` records into one series, `spread`
//!   walks every series in turn (so a large collector also pays its cache
//!   misses).
//! - Two threads recording into one shared collector against one thread:
//!   the time per record as seen by each thread, and a check, printed, that
//!   no update was lost.
//!
//! `cargo bench -p collector-tests --bench scaling -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cadence::SpyMetricSink;
use collector_runtime::Collector;
use criterion::{criterion_group, criterion_main, Criterion};

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    for size in [1usize, 100, 10_000, 100_000] {
        let ids: Vec<String> = (0..size).map(|i| format!("shard:{i}")).collect();
        let collector = Collector::builder().max_series(size).build();
        for id in &ids {
            collector.incr("bench.scale", ["service:billing", "verb:select", id]);
        }
        assert_eq!(collector.len(), size);
        let _current = collector.enter();
        group.bench_function(format!("hot/{size}_series"), |b| {
            let id = ids[size / 2].as_str();
            b.iter(|| {
                collector_runtime::incr(
                    black_box("bench.scale"),
                    black_box(&["service:billing", "verb:select", id]),
                )
            })
        });
        group.bench_function(format!("spread/{size}_series"), |b| {
            let mut next = 0;
            b.iter(|| {
                let id = ids[next].as_str();
                next = if next + 1 == size { 0 } else { next + 1 };
                collector_runtime::incr(
                    black_box("bench.scale"),
                    black_box(&["service:billing", "verb:select", id]),
                )
            })
        });
        assert_eq!(collector.len(), size, "no record made a new series");
    }
    group.finish();
}

/// `threads` threads each record `iters` times into `collector`; returns the
/// wall time.
fn record_from(collector: &Collector, threads: usize, iters: u64, same_series: bool) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let collector = collector.clone();
            scope.spawn(move || {
                let mine = if same_series {
                    "worker:any"
                } else {
                    ["worker:0", "worker:1"][thread % 2]
                };
                let _current = collector.enter();
                for _ in 0..iters {
                    collector_runtime::incr(
                        black_box("bench.threads"),
                        black_box(&["service:billing", "verb:select", mine]),
                    );
                }
            });
        }
    });
    started.elapsed()
}

fn threads(c: &mut Criterion) {
    // No lost update: 2 x 1,000,000 records into one series add up.
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder()
        .client(collector_runtime::Client::new(sink))
        .build();
    record_from(&collector, 2, 1_000_000, true);
    collector.flush();
    collector_runtime::wait_for_delivery();
    let sent: Vec<String> = received
        .try_iter()
        .map(|d| String::from_utf8(d).expect("utf-8"))
        .collect();
    eprintln!("two threads x 1,000,000 records into one series sent: {sent:?}");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with("bench.threads:2000000|c"), "{sent:?}");

    let mut group = c.benchmark_group("threads");
    let collector = Collector::builder()
        .client(collector_runtime::Client::new(cadence::NopMetricSink))
        .build();
    // Each figure is the wall time for `iters` records made by each thread,
    // divided by `iters`: with two threads in parallel and no contention it
    // would stay the same as with one.
    group.bench_function("one_thread", |b| {
        b.iter_custom(|iters| record_from(&collector, 1, iters, true))
    });
    group.bench_function("two_threads_same_series", |b| {
        b.iter_custom(|iters| record_from(&collector, 2, iters, true))
    });
    group.bench_function("two_threads_own_series", |b| {
        b.iter_custom(|iters| record_from(&collector, 2, iters, false))
    });
    group.finish();
}

criterion_group!(benches, scaling, threads);
criterion_main!(benches);
