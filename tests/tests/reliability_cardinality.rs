//! Cardinality: 1,000,000 distinct tag values recorded into one collector
//! with the default `max_series` keep memory bounded, and the flush sends
//! the count of what was dropped.
//!
//! Alone in its binary, so the process's resident memory is this test's.

use cadence::SpyMetricSink;
use collector_runtime::Client;
use collector_runtime::{config::DEFAULT_MAX_SERIES, telemetry::DROPPED_RECORDS_METRIC, Collector};
use collector_tests::{by_series, parse_datagram, Line};

/// The process's resident set size in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

const RECORDS: usize = 1_000_000;

#[test]
fn a_million_distinct_tag_values_stay_within_max_series() {
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder()
        .client(Client::new(sink))
        .tag("env:test")
        .build();
    let _current = collector.enter();
    let mut value = String::new();
    let mut record = |user: usize| {
        use std::fmt::Write;
        value.clear();
        write!(value, "{user:016x}").unwrap();
        collector_runtime::incr("login", [("user", value.as_str())]);
    };

    let start = rss_kib();
    for user in 0..DEFAULT_MAX_SERIES {
        record(user);
    }
    let full = rss_kib();
    assert_eq!(collector.len(), DEFAULT_MAX_SERIES);
    for user in DEFAULT_MAX_SERIES..RECORDS {
        record(user);
    }
    let after = rss_kib();
    assert_eq!(collector.len(), DEFAULT_MAX_SERIES);

    // Filling the collector costs memory per series; the 990,000 records
    // past the bound must cost none. At the cost per series measured while
    // filling, keeping them all would have taken ~99x the filled footprint;
    // allow 4 MiB for allocator noise, less than 1% of that.
    let per_series = (full - start) as f64 * 1024.0 / DEFAULT_MAX_SERIES as f64;
    let growth = after.saturating_sub(full);
    println!(
        "RSS {start} KiB at start, {full} KiB with {DEFAULT_MAX_SERIES} series \
         (~{per_series:.0} B/series), {after} KiB after {RECORDS} records \
         (+{growth} KiB past the bound; unbounded would be ~{} MiB more)",
        (per_series * (RECORDS - DEFAULT_MAX_SERIES) as f64 / 1024.0 / 1024.0) as u64
    );
    assert!(
        growth < 4 * 1024,
        "memory grew {growth} KiB past max_series"
    );

    let report = collector.flush();
    let dropped = (RECORDS - DEFAULT_MAX_SERIES) as u64;
    assert_eq!(report.series_sent, DEFAULT_MAX_SERIES);
    assert_eq!(report.records_dropped, dropped);
    assert_eq!(report.errors, 0);
    collector_runtime::wait_for_delivery();
    let lines: Vec<Line> = received
        .try_iter()
        .flat_map(|d| parse_datagram(&d).unwrap())
        .collect();
    let got = by_series(&lines).unwrap();
    assert_eq!(got.len(), DEFAULT_MAX_SERIES + 1);
    let dropped_series = (
        "c".to_owned(),
        DROPPED_RECORDS_METRIC.to_owned(),
        vec!["env:test".to_owned()],
    );
    assert_eq!(got[&dropped_series], dropped as f64);
    // The first max_series users were kept, each once.
    let first = (
        "c".to_owned(),
        "login".to_owned(),
        vec!["env:test".to_owned(), format!("user:{:016x}", 0)],
    );
    assert_eq!(got[&first], 1.0);

    // The flushed collector is empty, its dropped count reset, and it takes
    // new series again.
    assert!(collector.is_empty());
    collector_runtime::incr("login", [("user", "late")]);
    let report = collector.flush();
    assert_eq!((report.series_sent, report.records_dropped), (1, 0));
}
