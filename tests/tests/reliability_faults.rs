//! Faults: no agent listening, a Unix socket path that does not exist, a
//! sink that returns errors, a sink that panics, an error handler that
//! panics, each on a call that returns and on a call that panics (the flush
//! then runs while the thread unwinds). The caller's result or panic is
//! exactly what it would have been without metrics, the process does not
//! abort, and each failure reaches the handler and the process counters.
//!
//! The process counters (`errors_seen`, `error_handler_panics`) are global,
//! so the tests of this binary take turns on one lock and assert exact
//! differences.

use std::io;
use std::net::UdpSocket;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cadence::MetricSink;
use collector_runtime::collect_metrics;
use collector_runtime::Client;
use collector_runtime::{
    config::ConfigError, config::Target, error::error_handler_panics, error::errors_seen,
    ClientConfig, Collector, Error,
};
use collector_tests::{FailingSink, UdpReceiver};

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many series each job below records.
const SERIES: usize = 3;

/// The user's function, annotated: records three series, then returns
/// `Ok(42)`, returns `Err`, or panics with its own payload.
#[collect_metrics(client = client, outcome)]
fn job(client: &Client, end: End) -> Result<u32, String> {
    collector_runtime::incr("job.step", [("phase", "a")]);
    collector_runtime::histogram("job.rows", 7, ());
    collector_runtime::gauge("job.depth", 2, ());
    match end {
        End::Ok => Ok(42),
        End::Err => Err("user error".to_owned()),
        End::Panic => std::panic::panic_any(UserPanic(7)),
    }
}

#[derive(Clone, Copy, Debug)]
enum End {
    Ok,
    Err,
    Panic,
}

/// The user's own panic payload, to check it comes out unchanged.
#[derive(Debug, PartialEq)]
struct UserPanic(u32);

/// What one call did to the counters.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    errors: u64,
    handler_panics: u64,
}

/// Runs `job` ending as `end`, checks the caller sees exactly what the
/// function did, and returns the counter differences.
fn run(client: &Client, end: End) -> Seen {
    let (errors, panics) = (errors_seen(), error_handler_panics());
    let result = catch_unwind(AssertUnwindSafe(|| job(client, end)));
    // The call handed its lines to the outbox; wait for the sender's
    // hand-over to the sink, where the faults are.
    collector_runtime::wait_for_delivery();
    match (end, result) {
        (End::Ok, Ok(value)) => assert_eq!(value, Ok(42)),
        (End::Err, Ok(value)) => assert_eq!(value, Err("user error".to_owned())),
        (End::Panic, Err(payload)) => {
            assert_eq!(payload.downcast_ref::<UserPanic>(), Some(&UserPanic(7)));
        }
        (end, other) => panic!("{end:?} came out as {other:?}"),
    }
    Seen {
        errors: errors_seen() - errors,
        handler_panics: error_handler_panics() - panics,
    }
}

/// A sink that panics on every write and flush.
struct PanickingSink;

impl MetricSink for PanickingSink {
    fn emit(&self, _metric: &str) -> io::Result<usize> {
        panic!("sink panic in emit")
    }
    fn flush(&self) -> io::Result<()> {
        panic!("sink panic in flush")
    }
}

/// A client on `sink` that hands every line over alone (a payload of one
/// byte), so each series is one send that can fail. The annotated calls
/// have no handler of their own, so their errors reach the global one, left
/// at the default here: count them in `errors_seen` and stay silent.
fn client(sink: impl MetricSink + Send + Sync + std::panic::RefUnwindSafe + 'static) -> Client {
    Client::new(sink).payload_size(1)
}

fn every_end() -> [End; 3] {
    [End::Ok, End::Err, End::Panic]
}

/// Every ending of a call through `client`, whose every send and flush
/// fails: three series and a timing-free call make three sends and one
/// flush; from the second call on, the count of the lines dropped before
/// goes with them, a fourth send that fails too.
fn every_send_and_flush_fails(client: &Client) {
    for (call, end) in every_end().into_iter().enumerate() {
        let counts = u64::from(call > 0);
        let want = Seen {
            errors: SERIES as u64 + counts + 1,
            handler_panics: 0,
        };
        assert_eq!(run(client, end), want, "{end:?}");
    }
}

#[test]
fn a_sink_that_returns_errors() {
    let _turn = turn();
    every_send_and_flush_fails(&client(FailingSink));
}

#[test]
fn a_sink_that_panics() {
    let _turn = turn();
    every_send_and_flush_fails(&client(PanickingSink));
}

#[test]
fn no_agent_listening() {
    let _turn = turn();
    // A port that was free a moment ago and has nobody on it now.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ClientConfig::new(Target::Udp {
        host: "127.0.0.1".into(),
        port,
    });
    let client = Arc::new(config.build().expect("a UDP client needs no listener"));
    for end in every_end() {
        // UDP gives no answer to a datagram nobody reads: at most the
        // kernel's ICMP refusal shows up as a send error on a later write.
        // Whatever it reports must reach the counter; the result stays.
        let seen = run(&client, end);
        assert!(seen.errors <= SERIES as u64 + 1, "{seen:?}");
        assert_eq!(seen.handler_panics, 0);
    }
}

#[test]
fn a_unix_socket_path_that_does_not_exist() {
    let _turn = turn();
    let config = ClientConfig::new(Target::Unix("/nonexistent/dir/dsd.socket".into()));
    let client = Arc::new(config.build().expect("the socket is only used at send"));
    for end in every_end() {
        // The three lines are one payload; handing it over fails, and its
        // three lines are counted as dropped, exactly. (The error counter
        // is the process's: a test thread of this binary that ends meanwhile
        // waits for every outbox and may report what it found waiting, so
        // only at least one error is asserted here.)
        let dropped = collector_runtime::wait_for_delivery().lines_dropped;
        let seen = run(&client, end);
        assert_eq!(
            collector_runtime::wait_for_delivery().lines_dropped - dropped,
            SERIES as u64,
            "{end:?}"
        );
        assert!(seen.errors >= 1, "{end:?}: {seen:?}");
        assert_eq!(seen.handler_panics, 0);
    }
}

#[test]
fn an_unresolvable_host_is_a_config_error_not_a_panic() {
    let _turn = turn();
    let config = ClientConfig::new(Target::Udp {
        host: "x.invalid".into(),
        port: 8125,
    });
    let Err(err) = config.build() else {
        panic!("x.invalid never resolves")
    };
    assert!(matches!(err, ConfigError::Resolve { .. }), "{err:?}");
    assert!(err.to_string().contains("x.invalid"), "{err}");
}

/// A collector with a handler of its own that counts, then panics.
fn panicking_handler(
    sink: impl MetricSink + Send + Sync + std::panic::RefUnwindSafe + 'static,
) -> (Collector, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let collector = Collector::builder()
        .client(client(sink))
        .error_handler(move |err: &Error| {
            seen.fetch_add(1, Ordering::Relaxed);
            panic!("handler panic on {err}")
        })
        .build();
    (collector, calls)
}

/// Flushes its collector when dropped, as a per-request guard does.
struct FlushOnDrop(Collector);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.0.flush();
    }
}

#[test]
fn an_error_handler_that_panics_with_a_failing_or_panicking_sink() {
    let _turn = turn();
    for panicking_sink in [false, true] {
        for user_panics in [false, true] {
            let (collector, calls) = if panicking_sink {
                panicking_handler(PanickingSink)
            } else {
                panicking_handler(FailingSink)
            };
            let (errors, panics) = (errors_seen(), error_handler_panics());
            let result = catch_unwind(AssertUnwindSafe(|| {
                let guard = FlushOnDrop(collector.clone());
                let _current = guard.0.enter();
                for series in ["a", "b", "c"] {
                    collector_runtime::incr(series, ());
                }
                // A refused record reaches the same panicking handler.
                collector_runtime::histogram("d", f64::NAN, ());
                if user_panics {
                    std::panic::panic_any(UserPanic(9));
                }
                "done"
            }));
            match result {
                Ok(value) => assert!(!user_panics && value == "done"),
                Err(payload) => {
                    assert!(user_panics);
                    assert_eq!(payload.downcast_ref::<UserPanic>(), Some(&UserPanic(9)));
                }
            }
            collector_runtime::wait_for_delivery();
            // One refused record, three failed sends, one failed flush: all
            // five counted. The handler hears of the refusal, of the first
            // failed send (the next two, the same episode, are only
            // counted) and of the flush.
            let case = (panicking_sink, user_panics);
            assert_eq!(calls.load(Ordering::Relaxed), 3, "{case:?}");
            assert_eq!(errors_seen() - errors, 5, "{case:?}");
            assert_eq!(error_handler_panics() - panics, 3, "{case:?}");
        }
    }
}

#[test]
fn a_panicking_sink_flushed_from_drop_while_another_thread_unwinds() {
    let _turn = turn();
    let errors = errors_seen();
    let collector = Collector::builder()
        .client(Client::new(PanickingSink))
        .build();
    let worker = {
        let collector = collector.clone();
        std::thread::spawn(move || {
            let guard = FlushOnDrop(collector);
            guard.0.incr("work", ());
            panic!("worker failed")
        })
    };
    let payload = worker.join().expect_err("the worker panicked");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"worker failed"));
    collector_runtime::wait_for_delivery();
    // One send and one flush, both panicked and were contained.
    assert_eq!(errors_seen() - errors, 2);
}

#[test]
fn a_line_too_long_for_a_payload_is_refused_alone_and_the_rest_arrives() {
    let _turn = turn();
    let receiver = UdpReceiver::bind();
    let addr = receiver.addr();
    let config = ClientConfig::new(Target::Udp {
        host: addr.ip().to_string(),
        port: addr.port(),
    });
    let collector = Collector::builder().client(config.build().unwrap()).build();
    let huge = "v".repeat(70_000);
    collector.incr("before", ());
    collector.incr("huge", [("k", huge.as_str())]);
    collector.incr("after", ());
    let errors = errors_seen();
    let dropped_before = collector_runtime::wait_for_delivery().lines_dropped;
    let report = collector.flush();
    // The three series go to the client's aggregator; its lines are written
    // at the end of the interval (or the wait below), where the huge one is
    // refused alone, before any datagram: one error, one line dropped.
    let counts = (report.series_sent, report.lines_dropped, report.errors);
    assert_eq!(counts, (3, 0, 0), "{report:?}");
    let delivery = collector_runtime::wait_for_delivery();
    assert_eq!(delivery.lines_pending, 0);
    assert_eq!(delivery.lines_dropped - dropped_before, 1, "{delivery:?}");
    assert_eq!(errors_seen() - errors, 1);
    // The drop's count goes out with the same interval's lines.
    let mut sent: Vec<(String, f64)> = receiver
        .lines()
        .into_iter()
        .map(|l| (l.name, l.value))
        .collect();
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    let want = [
        ("after", 1.0),
        ("before", 1.0),
        ("collector.lines_dropped", 1.0),
    ];
    assert_eq!(sent, want.map(|(n, v)| (n.to_owned(), v)));
}
