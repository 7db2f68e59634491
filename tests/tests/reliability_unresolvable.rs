//! The global client built lazily from an environment naming a host that
//! never resolves: every path that needs it (a record outside a collector, a
//! collector without a client, an annotated call, also one that panics)
//! reports `Error::Config` through the global handler, and the caller's
//! result or panic is unchanged.
//!
//! One test in its own binary: the global client is built once per process.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use collector_runtime::collect_metrics;
use collector_runtime::{
    error::errors_seen, error::set_error_handler, global_client, Collector, Error,
};

#[derive(Debug, PartialEq)]
struct UserPanic;

#[collect_metrics]
fn annotated(panics: bool) -> u8 {
    collector_runtime::incr("annotated.step", ());
    if panics {
        std::panic::panic_any(UserPanic);
    }
    5
}

#[test]
fn an_unresolvable_agent_host_reaches_the_handler_as_a_config_error() {
    for var in ["DD_DOGSTATSD_URL", "DD_DOGSTATSD_PORT"] {
        std::env::remove_var(var);
    }
    std::env::set_var("DD_AGENT_HOST", "x.invalid");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let into = Arc::clone(&seen);
    set_error_handler(Arc::new(move |err: &Error| {
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        into.lock().unwrap().push(err.to_string());
    }));
    let before = errors_seen();

    assert!(global_client().is_err());

    // A record outside any collector.
    collector_runtime::incr("outside", ());

    // A collector with no client of its own.
    let collector = Collector::builder().max_series(1).build();
    collector.incr("kept", ());
    collector.incr("dropped", ());
    let report = collector.flush();
    assert_eq!(
        (report.series_sent, report.records_dropped, report.errors),
        (0, 1, 1)
    );

    // Annotated calls, returning and panicking.
    assert_eq!(annotated(false), 5);
    let payload = catch_unwind(AssertUnwindSafe(|| annotated(true))).unwrap_err();
    assert_eq!(payload.downcast_ref::<UserPanic>(), Some(&UserPanic));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(errors_seen() - before, 4);
    assert!(seen.iter().all(|e| e.contains("x.invalid")), "{seen:?}");
}
