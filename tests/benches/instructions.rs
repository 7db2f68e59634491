//! Instruction counts of the hot paths under callgrind (gungraun), which CI
//! checks against `.ci/instructions-baseline.txt`: unlike times on a shared
//! machine, they do not move between runs of the same binary.
//!
//! Each bench measures one call of its function; the set-up before it
//! (collectors, clients, a first call that warms this thread's context and
//! starts the outbox's sender thread) and the drop of what it returns are
//! not counted. Every client is explicit and sends into cadence's
//! `NopMetricSink`: nothing goes on the wire, and no `DD_*` variable is read
//! (the runner also clears the environment).
//!
//! Adding a bench: a `#[library_benchmark]` function with its set-up, its
//! name in the group at the bottom, then the baseline's update command
//! (README, Development).
//!
//! `python3 .ci/instructions.py` (runs them and checks the baseline), or
//! `cargo bench -p collector-tests --bench instructions` (needs valgrind and
//! `gungraun-runner` at the version in Cargo.lock).

// gungraun's macros generate public modules without documentation.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;

use collector_runtime::{collector::EnterGuard, telemetry::FlushReport, Collector};
use gungraun::{library_benchmark, library_benchmark_group, main};
use tracing::subscriber::DefaultGuard;

use common::calls::{annotated, annotated_ten_series_nop_sink, nop_client, plain};
use common::series::{
    fill, nop_collector, shard_ids, BASE_TAGS, RECORD_NAME, THREE_PAIRS, THREE_TAGS,
};
use common::spans::{ours_span, ours_subscriber};

/// Series in the flush bench.
const FLUSHED_SERIES: usize = 1_000;

/// Makes the no-op client the global one, so that nothing falls back to a
/// client built from the environment.
fn quiet_global_client() {
    collector_runtime::set_global_client(nop_client());
}

/// Waits until what the set-up handed to the outboxes is sent, so that the
/// measured call finds every sender thread idle.
fn settle() {
    collector_runtime::wait_for_delivery();
}

/// An entered collector holding the series `RECORD_NAME` with `tags`,
/// recorded once through the free function (which warms this thread's
/// context). The collector lives for the process.
fn entered_with_series(tags: impl collector_runtime::tags::Tags) -> EnterGuard<'static> {
    quiet_global_client();
    let collector: &'static Collector = Box::leak(Box::new(nop_collector()));
    let current = collector.enter();
    collector_runtime::incr(RECORD_NAME, tags);
    current
}

fn entered_with_three_tags() -> EnterGuard<'static> {
    entered_with_series(&THREE_TAGS)
}

fn entered_with_three_pairs() -> EnterGuard<'static> {
    entered_with_series(&THREE_PAIRS)
}

// One record into an existing series, 3 `"k:v"` tags.
#[library_benchmark]
#[bench::existing_series(setup = entered_with_three_tags)]
fn record_3_tags(current: EnterGuard<'static>) -> EnterGuard<'static> {
    collector_runtime::incr(black_box(RECORD_NAME), black_box(&THREE_TAGS));
    current
}

// One record into an existing series, 3 `(k, v)` pairs.
#[library_benchmark]
#[bench::existing_series(setup = entered_with_three_pairs)]
fn record_3_pairs(current: EnterGuard<'static>) -> EnterGuard<'static> {
    collector_runtime::incr(black_box(RECORD_NAME), black_box(&THREE_PAIRS));
    current
}

/// The argument of the annotated calls, after one warming call of each.
fn warmed_calls() -> u64 {
    quiet_global_client();
    annotated(7);
    annotated_ten_series_nop_sink(7);
    settle();
    // After a drain, the first call of the interval makes the contexts the
    // measured call merges into, as every later call of an interval does.
    annotated_ten_series_nop_sink(7);
    7
}

// The function the annotated call is compared with.
#[library_benchmark]
#[bench::records_nothing(setup = warmed_calls)]
fn plain_call(x: u64) -> u64 {
    plain(black_box(x))
}

// `#[collect_metrics]` around the same body: a call that records nothing.
#[library_benchmark]
#[bench::records_nothing(setup = warmed_calls)]
fn annotated_call(x: u64) -> u64 {
    annotated(black_box(x))
}

// 20 records into 10 series, then the call's flush up to the hand-off to
// the outbox.
#[library_benchmark]
#[bench::ten_series_twice(setup = warmed_calls)]
fn annotated_call_20_records(x: u64) -> u64 {
    annotated_ten_series_nop_sink(black_box(x))
}

/// A collector with `FLUSHED_SERIES` series of 3 tags and 2 base tags,
/// flushed once already (which starts the outbox), and filled again. With
/// `known`, the client's aggregator holds the series' contexts (what every
/// call after the first of an interval merges into); without, a drain has
/// just emptied it.
fn filled_collector(known: bool) -> Collector {
    quiet_global_client();
    let ids = shard_ids(FLUSHED_SERIES);
    let collector = Collector::builder()
        .client(nop_client())
        .tags(BASE_TAGS)
        .max_series(FLUSHED_SERIES)
        .build();
    fill(&collector, &ids);
    if known {
        settle();
    }
    collector.flush();
    fill(&collector, &ids);
    if !known {
        settle();
    }
    collector
}

fn new_contexts() -> Collector {
    filled_collector(false)
}

fn known_contexts() -> Collector {
    filled_collector(true)
}

/// The collector's flush, with what it returns kept until after the count.
#[inline(always)]
fn flushed(collector: Collector) -> (Collector, FlushReport) {
    let report = collector.flush();
    (collector, report)
}

// The flush of 1,000 series new to the client's aggregator.
#[library_benchmark]
#[bench::thousand_series(setup = new_contexts)]
fn flush(collector: Collector) -> (Collector, FlushReport) {
    flushed(collector)
}

// The merge of a call's 1,000 series into the contexts the aggregator
// across executions holds.
#[library_benchmark]
#[bench::thousand_known_contexts(setup = known_contexts)]
fn merge(collector: Collector) -> (Collector, FlushReport) {
    flushed(collector)
}

/// Our layer made this thread's subscriber, after one span through it.
fn warmed_layer() -> DefaultGuard {
    quiet_global_client();
    let subscriber = tracing::subscriber::set_default(ours_subscriber());
    ours_span();
    settle();
    // The interval's first span makes the contexts the measured one merges
    // into.
    ours_span();
    subscriber
}

// A span of `SpanCollectorLayer` with 3 records, from creation to close.
#[library_benchmark]
#[bench::three_records(setup = warmed_layer)]
fn span_layer(subscriber: DefaultGuard) -> DefaultGuard {
    ours_span();
    subscriber
}

library_benchmark_group!(
    name = hot_paths;
    benchmarks =
        record_3_tags,
        record_3_pairs,
        plain_call,
        annotated_call,
        annotated_call_20_records,
        flush,
        merge,
        span_layer
);

main!(library_benchmark_groups = hot_paths);
