//! A function with a collector per call that records nothing, against the
//! same plain function; and one that records 10 series twice, then flushes
//! them through the default transport (the outbox and its sender thread,
//! over UDP to a drained loopback socket), against the same 20 records sent
//! one by one with cadence through its buffered UDP sink, and through its
//! `QueuingMetricSink` over that (its best asynchronous set-up).
//!
//! `annotated/ten_series_twice` measures the caller's time;
//! `annotated_cpu/ten_series_twice` the CPU time of every thread of the
//! process (the sender threads included) but the reader's, per call, beside
//! the same records through the `metrics` crate and
//! metrics-exporter-dogstatsd (defaults, its forwarder thread included).
//! `annotated_cpu/mixed` does the same for 4 counters, 3 histograms and 3
//! timings per call, each recorded twice.
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
use metrics_exporter_dogstatsd::DogStatsDBuilder;

use common::calls::{annotated, annotated_ten_series, annotated_ten_series_nop_sink, plain, VERBS};
use common::{report_outbox, Drain};

/// The verbs' values, for the `metrics` crate's labels.
const VERB_VALUES: [&str; 10] = [
    "select", "insert", "update", "delete", "upsert", "merge", "copy", "truncate", "vacuum",
    "analyze",
];

/// The mixed call's series: 4 counters, 3 histograms, 3 timings.
const COUNTERS: [&str; 4] = ["job.items", "job.retries", "job.hits", "job.misses"];
const HISTOGRAMS: [&str; 3] = ["job.size", "job.rows", "job.depth"];
const TIMINGS: [&str; 3] = ["job.fetch", "job.parse", "job.store"];

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
    collector_runtime::ClientConfig::new(collector_runtime::config::Target::Unix(path))
        .build()
        .expect("a Unix client")
}

fn unix_client(stalled: bool) -> &'static Client {
    static STALLED: OnceLock<Client> = OnceLock::new();
    static READING: OnceLock<Client> = OnceLock::new();
    let cell = if stalled { &STALLED } else { &READING };
    cell.get_or_init(|| unix_agent(stalled))
}

/// 4 counters, 3 histograms and 3 timings, each recorded twice, into the
/// call's collector.
#[inline(never)]
#[collect_metrics]
fn annotated_mixed(x: u64) -> u64 {
    for round in 0..2u32 {
        for name in COUNTERS {
            collector_runtime::incr(name, ["database:main"]);
        }
        for (i, name) in HISTOGRAMS.into_iter().enumerate() {
            collector_runtime::histogram(name, (x % 50) as f64 + i as f64, ["database:main"]);
        }
        for name in TIMINGS {
            let elapsed = std::time::Duration::from_micros(x % 900 + u64::from(round) * 7);
            collector_runtime::timing(name, elapsed, ["database:main"]);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// The same twenty records through the `metrics` crate's macros, into
/// whatever recorder is this thread's.
#[inline(never)]
fn metrics_twenty_records(x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERB_VALUES {
            metrics::counter!("db.query", "database" => "main", "verb" => verb).increment(1);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// The mixed records through the `metrics` crate's macros; timings as
/// histograms of seconds, the `metrics` crate having no timer type.
#[inline(never)]
fn metrics_mixed(x: u64) -> u64 {
    for round in 0..2u32 {
        for name in COUNTERS {
            metrics::counter!(name, "database" => "main").increment(1);
        }
        for (i, name) in HISTOGRAMS.into_iter().enumerate() {
            metrics::histogram!(name, "database" => "main").record((x % 50) as f64 + i as f64);
        }
        for name in TIMINGS {
            let elapsed = std::time::Duration::from_micros(x % 900 + u64::from(round) * 7);
            metrics::histogram!(name, "database" => "main").record(elapsed);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// The mixed records sent one by one with cadence.
#[inline(never)]
fn cadence_mixed(client: &StatsdClient, x: u64) -> u64 {
    for round in 0..2u32 {
        for name in COUNTERS {
            client
                .count_with_tags(name, 1)
                .with_tag_value("database:main")
                .send();
        }
        for (i, name) in HISTOGRAMS.into_iter().enumerate() {
            client
                .histogram_with_tags(name, (x % 50) as f64 + i as f64)
                .with_tag_value("database:main")
                .send();
        }
        for name in TIMINGS {
            let elapsed = std::time::Duration::from_micros(x % 900 + u64::from(round) * 7);
            client
                .time_with_tags(name, elapsed)
                .with_tag_value("database:main")
                .send();
        }
    }
    black_box(x).wrapping_mul(3)
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
    let before = collector_runtime::wait_for_delivery();
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
    collector_runtime::error::set_error_handler(std::sync::Arc::new(|_| {}));
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
            collector_runtime::wait_for_delivery();
            std::thread::sleep(std::time::Duration::from_millis(5));
            drain.process_cpu_but_reader() - before
        })
    };
    let mut group = c.benchmark_group("annotated_cpu/ten_series_twice");
    let before = collector_runtime::wait_for_delivery();
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
    // The `metrics` crate with metrics-exporter-dogstatsd, defaults as a
    // user has them, aimed at the same drained socket.
    let exporter = DogStatsDBuilder::default()
        .with_remote_address(drain.addr().to_string())
        .expect("exporter address")
        .build()
        .expect("build the exporter");
    let _recorder = metrics::set_default_local_recorder(&exporter);
    group.bench_function("metrics_exporter_dogstatsd", |b| {
        cpu(b, &|| {
            metrics_twenty_records(black_box(7));
        })
    });
    group.finish();

    let mut group = c.benchmark_group("annotated_cpu/mixed");
    let before = collector_runtime::wait_for_delivery();
    group.bench_function("ours_annotated_fn", |b| {
        cpu(b, &|| {
            annotated_mixed(black_box(7));
        })
    });
    report_outbox("annotated_cpu/mixed/ours_annotated_fn", before);
    group.bench_function("metrics_exporter_dogstatsd", |b| {
        cpu(b, &|| {
            metrics_mixed(black_box(7));
        })
    });
    group.bench_function("cadence_buffered_udp", |b| {
        cpu(b, &|| {
            cadence_mixed(&client, black_box(7));
        })
    });
    group.finish();
}

criterion_group!(benches, annotated_fn);
criterion_main!(benches);
