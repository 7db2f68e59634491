//! Item 4 of the benchmark issue: a function with a collector per call that
//! records nothing, against the same plain function; and one that records 10
//! series (then flushes them through a buffered UDP client aimed at a drained
//! loopback socket), against the same 10 metrics sent straight with cadence
//! through the same kind of sink.
//!
//! Both annotated functions use the real `#[collect_metrics]`.
//!
//! `cargo bench -p collector-tests --bench annotated -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;

use cadence::prelude::*;
use std::sync::OnceLock;

use cadence::{NopMetricSink, StatsdClient};
use collector_runtime::{collect_metrics, Client};
use criterion::{criterion_group, criterion_main, Criterion};

use common::Drain;

const VERBS: [&str; 10] = [
    "verb:select",
    "verb:insert",
    "verb:update",
    "verb:delete",
    "verb:upsert",
    "verb:merge",
    "verb:copy",
    "verb:truncate",
    "verb:vacuum",
    "verb:analyze",
];

#[inline(never)]
fn plain(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// The plain function, annotated.
#[inline(never)]
#[collect_metrics]
fn annotated(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Ten series, each recorded twice, into the call's collector.
#[inline(never)]
#[collect_metrics]
fn annotated_ten_series(x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            collector_runtime::incr("db.query", ["database:main", verb]);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// The same function, sending through a sink that sends nothing: the cost
/// of the call without the datagram its flush puts on the wire.
#[inline(never)]
#[collect_metrics(client = nop_client())]
fn annotated_ten_series_nop_sink(x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            collector_runtime::incr("db.query", ["database:main", verb]);
        }
    }
    black_box(x).wrapping_mul(3)
}

fn nop_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| Client::new(NopMetricSink))
}

/// The same twenty records sent one by one with cadence.
#[inline(never)]
fn cadence_twenty_sends(client: &StatsdClient, x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            client
                .count_with_tags("db.query", 1)
                .with_tag_value("database:main")
                .with_tag_value(verb)
                .send();
        }
    }
    black_box(x).wrapping_mul(3)
}

fn annotated_fn(c: &mut Criterion) {
    let drain = Drain::start();
    // A collector without a client of its own sends through the global one.
    collector_runtime::set_global_client(drain.collector_client());

    let mut group = c.benchmark_group("annotated/records_nothing");
    group.bench_function("plain_fn", |b| b.iter(|| plain(black_box(7))));
    group.bench_function("annotated_fn", |b| b.iter(|| annotated(black_box(7))));
    group.finish();

    let mut group = c.benchmark_group("annotated/ten_series_twice");
    group.bench_function("ours_annotated_fn", |b| {
        b.iter(|| annotated_ten_series(black_box(7)))
    });
    let client = drain.buffered_client();
    group.bench_function("cadence_buffered_udp", |b| {
        b.iter(|| cadence_twenty_sends(&client, black_box(7)))
    });
    // The same two without the socket: what each costs before the kernel.
    group.bench_function("ours_annotated_fn_nop_sink", |b| {
        b.iter(|| annotated_ten_series_nop_sink(black_box(7)))
    });
    let nop = StatsdClient::from_sink("", NopMetricSink);
    group.bench_function("cadence_nop_sink", |b| {
        b.iter(|| cadence_twenty_sends(&nop, black_box(7)))
    });
    group.finish();
}

criterion_group!(benches, annotated_fn);
criterion_main!(benches);
