//! A function with a collector per call that records nothing, against the
//! same plain function; and one that records 10 series twice, then flushes
//! them through the default transport (the outbox and its sender thread,
//! over UDP to a drained loopback socket), against the same 20 records sent
//! one by one with cadence through its buffered UDP sink, and through its
//! `QueuingMetricSink` over that (its best asynchronous set-up).
//!
//! `annotated/ten_series_twice` measures the caller's time;
//! `annotated_cpu/ten_series_twice` the CPU time of every thread of the
//! process (the sender threads included) but the reader's, per call.
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

use common::calls::{annotated, annotated_ten_series, annotated_ten_series_nop_sink, plain, VERBS};
use common::{report_outbox, Drain};

/// The same function, through the default Unix-socket client aimed at an
/// agent that never reads (`stalled`) or one that does (`reading`).
#[inline(never)]
#[collect_metrics(client = unix_client(stalled))]
fn annotated_ten_series_unix(stalled: bool, x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            collector_runtime::incr("db.query", ["database:main", verb]);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// A Unix socket in a fresh directory; a thread reads it unless `stalled`.
fn unix_agent(stalled: bool) -> Client {
    let dir = std::env::temp_dir().join(format!(
        "collector-bench-{}-{}",
        std::process::id(),
        if stalled { "stalled" } else { "reading" }
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a socket directory");
    let path = dir.join("dsd.socket");
    let socket = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
    if stalled {
        // Bound, never read: kept open for the process's life.
        std::mem::forget(socket);
    } else {
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while socket.recv(&mut buf).is_ok() {}
        });
    }
    collector_runtime::ClientConfig {
        target: collector_runtime::Target::Unix(path),
        tags: vec![],
        flush_interval: collector_runtime::DEFAULT_FLUSH_INTERVAL,
    }
    .build()
    .expect("a Unix client")
}

fn unix_client(stalled: bool) -> &'static Client {
    static STALLED: OnceLock<Client> = OnceLock::new();
    static READING: OnceLock<Client> = OnceLock::new();
    let cell = if stalled { &STALLED } else { &READING };
    cell.get_or_init(|| unix_agent(stalled))
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
    let before = collector_runtime::flush();
    group.bench_function("ours_annotated_fn", |b| {
        b.iter(|| annotated_ten_series(black_box(7)))
    });
    report_outbox("annotated/ten_series_twice/ours_annotated_fn", before);
    let client = drain.buffered_client();
    group.bench_function("cadence_buffered_udp", |b| {
        b.iter(|| cadence_twenty_sends(&client, black_box(7)))
    });
    let queuing = drain.queuing_buffered_client();
    group.bench_function("cadence_queuing_buffered_udp", |b| {
        b.iter(|| cadence_twenty_sends(&queuing, black_box(7)))
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

    // What a call costs while the agent has stopped reading its socket,
    // against the same call with an agent that reads.
    collector_runtime::set_error_handler(std::sync::Arc::new(|_| {}));
    let mut group = c.benchmark_group("annotated/ten_series_twice_unix");
    group.bench_function("ours_agent_reading", |b| {
        b.iter(|| annotated_ten_series_unix(false, black_box(7)))
    });
    group.bench_function("ours_agent_stalled", |b| {
        b.iter(|| annotated_ten_series_unix(true, black_box(7)))
    });
    group.finish();

    // The same three, timed by the CPU they cost the whole process.
    let cpu = |b: &mut criterion::Bencher<'_>, run: &dyn Fn()| {
        b.iter_custom(|iters| {
            let before = drain.process_cpu_but_reader();
            for _ in 0..iters {
                run();
            }
            // What the background threads still owe for these calls.
            collector_runtime::flush();
            std::thread::sleep(std::time::Duration::from_millis(5));
            drain.process_cpu_but_reader() - before
        })
    };
    let mut group = c.benchmark_group("annotated_cpu/ten_series_twice");
    let before = collector_runtime::flush();
    group.bench_function("ours_annotated_fn", |b| {
        cpu(b, &|| {
            annotated_ten_series(black_box(7));
        })
    });
    report_outbox("annotated_cpu/ten_series_twice/ours_annotated_fn", before);
    group.bench_function("cadence_buffered_udp", |b| {
        cpu(b, &|| {
            cadence_twenty_sends(&client, black_box(7));
        })
    });
    group.bench_function("cadence_queuing_buffered_udp", |b| {
        cpu(b, &|| {
            cadence_twenty_sends(&queuing, black_box(7));
        })
    });
    group.finish();
}

criterion_group!(benches, annotated_fn);
criterion_main!(benches);
