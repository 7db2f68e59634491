//! The recording, context and safety contract of `Collector`, asserted on
//! what real sinks receive (a loopback UDP socket, cadence's spy sink).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cadence::SpyMetricSink;
use collector_runtime::Client;
use collector_runtime::{telemetry::DROPPED_RECORDS_METRIC, Collector, Error};
use collector_tests::{by_series, parse_datagram, FailingSink, Line, UdpReceiver};

/// A collector sending through cadence's spy sink, and a way to read what it
/// sent.
fn spied() -> (Collector, impl Fn() -> Vec<Line>) {
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder().client(Client::new(sink)).build();
    let read = move || {
        collector_runtime::wait_for_delivery();
        received
            .try_iter()
            .flat_map(|d| parse_datagram(&d).unwrap())
            .collect()
    };
    (collector, read)
}

fn only(lines: &[Line]) -> &Line {
    assert_eq!(lines.len(), 1, "{lines:?}");
    &lines[0]
}

#[test]
fn tags_in_any_order_shape_or_repeat_are_one_series() {
    let (collector, read) = spied();
    collector.incr("q", &["db:main", "verb:get"]);
    collector.incr("q", &["verb:get", "db:main"]);
    collector.incr("q", &["verb:get", "db:main", "verb:get"]);
    collector.incr("q", &[("db", "main"), ("verb", "get")]);
    collector.incr("q", vec!["db:main".to_owned(), "verb:get".to_owned()]);
    collector.incr(
        "q",
        &vec![
            ("verb".to_owned(), "get".to_owned()),
            ("db".to_owned(), "main".to_owned()),
        ],
    );
    collector.flush();
    let lines = read();
    let line = only(&lines);
    assert_eq!(line.value, 6.0);
    assert_eq!(line.tags, ["db:main", "verb:get"]);
}

#[test]
fn each_type_aggregates_as_the_contract_says() {
    let (collector, read) = spied();
    collector.count("jobs", 2, ());
    collector.incr("jobs", ());
    collector.histogram("rows", 1.5, ());
    collector.histogram("rows", 2.5, ());
    collector.distribution("bytes", 100, ());
    collector.distribution("bytes", 28, ());
    collector.timing("wait", Duration::from_millis(7), ());
    collector.timing("wait", Duration::from_millis(5), ());
    collector.gauge("depth", 9, ());
    collector.gauge("depth", 4, ());
    collector.flush();
    let got = by_series(&read()).unwrap();
    let value = |kind: &str, name: &str| got[&(kind.to_owned(), name.to_owned(), vec![])];
    assert_eq!(got.len(), 5);
    assert_eq!(value("c", "jobs"), 3.0);
    assert_eq!(value("h", "rows"), 4.0);
    assert_eq!(value("d", "bytes"), 128.0);
    assert_eq!(value("ms", "wait"), 12.0);
    assert_eq!(value("g", "depth"), 4.0);
}

#[test]
fn a_flushed_collector_is_empty_and_serves_the_next_job() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(receiver.client()).build();
    for job in 1..=3 {
        for _ in 0..job {
            collector.incr("job.step", ());
        }
        let report = collector.flush();
        assert_eq!((report.series_sent, report.errors), (1, 0));
        assert!(collector.is_empty());
        let lines = receiver.lines();
        assert_eq!(only(&lines).value, job as f64, "job {job}");
    }
    assert_eq!(collector.flush().series_sent, 0);
}

#[test]
fn nested_enter_restores_the_outer_collector() {
    let (outer, read_outer) = spied();
    let (inner, read_inner) = spied();
    {
        let _outer = outer.enter();
        collector_runtime::incr("before", ());
        {
            let _inner = inner.enter();
            collector_runtime::incr("inside", ());
        }
        collector_runtime::incr("after", ());
    }
    outer.flush();
    inner.flush();
    let names = |lines: Vec<Line>| {
        let mut names: Vec<String> = lines.into_iter().map(|l| l.name).collect();
        names.sort();
        names
    };
    assert_eq!(names(read_outer()), ["after", "before"]);
    assert_eq!(names(read_inner()), ["inside"]);
}

#[test]
fn four_threads_sharing_one_collector_lose_no_update() {
    let (collector, read) = spied();
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let collector = &collector;
            scope.spawn(move || {
                let _current = collector.enter();
                for _ in 0..100_000 {
                    collector_runtime::incr("work", &["kind:unit"]);
                }
                collector.incr("workers", &[("worker", worker.to_string())]);
            });
        }
    });
    collector.flush();
    let got = by_series(&read()).unwrap();
    let work = (
        "c".to_owned(),
        "work".to_owned(),
        vec!["kind:unit".to_owned()],
    );
    assert_eq!(got[&work], 400_000.0);
    assert_eq!(got.len(), 5);
}

#[test]
fn hostile_tags_arrive_as_one_series_with_underscores() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(receiver.client()).build();
    let hostile = [
        "a:b|c",
        "x,y:z",
        "n:l\ninj:1|c",
        "k:v|#evil:1",
        "sp ace:t\tab",
    ];
    for _ in 0..2 {
        collector.incr("evil|name:1\n", &hostile);
    }
    collector.flush();
    let lines = receiver.lines();
    let line = only(&lines);
    assert_eq!(line.name, "evil_name_1_");
    assert_eq!(line.value, 2.0);
    assert_eq!(
        line.tags,
        [
            "a:b_c",
            "k:v__evil:1",
            "n:l_inj:1_c",
            "sp_ace:t_ab",
            "x_y:z"
        ]
    );
}

#[test]
fn records_past_max_series_are_counted_and_the_count_is_sent() {
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder()
        .client(Client::new(sink))
        .max_series(3)
        .tag("env:test")
        .build();
    for user in 0..10 {
        collector.incr("login", &[("user", user.to_string())]);
    }
    collector.incr("login", &[("user", "0")]);
    assert_eq!(collector.len(), 3);
    let report = collector.flush();
    assert_eq!((report.series_sent, report.records_dropped), (3, 7));
    collector_runtime::wait_for_delivery();
    let lines: Vec<Line> = received
        .try_iter()
        .flat_map(|d| parse_datagram(&d).unwrap())
        .collect();
    let got = by_series(&lines).unwrap();
    let dropped = (
        "c".to_owned(),
        DROPPED_RECORDS_METRIC.to_owned(),
        vec!["env:test".to_owned()],
    );
    assert_eq!(got[&dropped], 7.0);
    let user0 = (
        "c".to_owned(),
        "login".to_owned(),
        vec!["env:test".to_owned(), "user:0".to_owned()],
    );
    assert_eq!(got[&user0], 2.0);
}

#[test]
fn a_failing_sink_leaves_the_result_untouched_and_reaches_the_handler() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let collector = Collector::builder()
        .client(Client::new(FailingSink))
        .error_handler(move |err| seen.lock().unwrap().push(err.to_string()))
        .build();
    let job = || -> Result<u32, String> {
        let _current = collector.enter();
        collector_runtime::incr("a", ());
        collector_runtime::incr("b", ());
        Ok(42)
    };
    let result = job();
    let report = collector.flush();
    assert_eq!(result, Ok(42));
    // Handed to the outbox: the flush itself met no error.
    assert_eq!((report.series_sent, report.errors), (2, 0));
    // The sender's hand-over of the one payload holding both lines failed,
    // and so did the sink's flush; each reached the collector's handler,
    // the payload's error with the lines it lost.
    let delivery = collector_runtime::wait_for_delivery();
    assert!(delivery.lines_dropped >= 2, "{delivery:?}");
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 2);
    let sends = errors.iter().filter(|e| e.contains("agent gone")).count();
    let flushes = errors.iter().filter(|e| e.contains("flush failed")).count();
    assert_eq!((sends, flushes), (1, 1), "{errors:?}");
    assert!(errors[0].starts_with("2 metric lines"), "{errors:?}");
}

#[test]
fn empty_names_and_non_finite_values_are_refused_through_the_handler() {
    let refused = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&refused);
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder()
        .client(Client::new(sink))
        .error_handler(move |err| {
            assert!(matches!(
                err,
                Error::InvalidName { .. } | Error::NonFiniteValue { .. }
            ));
            count.fetch_add(1, Ordering::Relaxed);
        })
        .build();
    collector.incr("", ());
    collector.incr("|:#", ());
    collector.histogram("h", f64::NAN, ());
    collector.gauge("g", f64::INFINITY, ());
    collector.distribution("d", f64::NEG_INFINITY, ());
    collector.incr("fine", ());
    collector.flush();
    assert_eq!(refused.load(Ordering::Relaxed), 5);
    collector_runtime::wait_for_delivery();
    let lines: Vec<Line> = received
        .try_iter()
        .flat_map(|d| parse_datagram(&d).unwrap())
        .collect();
    assert_eq!(only(&lines).name, "fine");
}

#[test]
fn collectors_and_their_reports_cross_threads_and_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Collector>();
    send_sync::<collector_runtime::telemetry::FlushReport>();
    send_sync::<collector_runtime::Error>();
}
