//! The free functions: record into the current collector, or, when none is
//! current, send straight through the global client so nothing recorded
//! outside an annotated call is lost.

use std::time::Duration;

use crate::errors::handler::report;
use crate::input::hash::seed;
use crate::input::sample::{Kind, Sample};
use crate::input::sanitize::is_usable_name;
use crate::input::tags::Tags;
use crate::input::value::{Integer, Value};
use crate::scope::frame_record::accept_current;
use crate::store::accepted::check_value;
use crate::store::flush::{flush_series, Contents, LineTags};
use crate::store::series::{Key, Series};
use crate::Error;

#[inline]
fn record<T: Tags + ?Sized>(kind: Kind, name: &str, tags: &T, sample: Sample) {
    match accept_current(kind, name, tags, sample) {
        Some(Ok(())) => {}
        Some(Err(rejected)) => rejected.report(),
        None => send_now(&Key::new(seed(), kind, name, tags), sample),
    }
}

/// The no-collector path: one metric, sent and flushed at once.
#[cold]
pub(crate) fn send_now<T: Tags + ?Sized>(key: &Key<'_, T>, sample: Sample) {
    if let Err(error) = check_value(key.name, sample) {
        return report(None, error);
    }
    if !is_usable_name(key.name) {
        let name = key.name.to_owned();
        return report(None, Error::InvalidName { name });
    }
    let series = [Series::new(key, sample)];
    let contents = Contents {
        series: &series,
        notices: &[],
        dropped: 0,
    };
    flush_series(None, &LineTags::NONE, None, &contents);
}

/// Adds 1 to a counter of the current collector.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// collector_runtime::incr("jobs.retried", &["queue:mail"]);
/// assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn incr(name: &str, tags: impl Tags) {
    record(Kind::Counter, name, &tags, Sample::Count(1));
}

/// Adds `n` to a counter of the current collector. `n` is any integer; one
/// outside `i64`, the counter's range on the wire, saturates (see
/// [`Integer`]).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// let rows: Vec<u32> = vec![1, 2, 3];
/// collector_runtime::count("rows.deleted", rows.len(), &[("table", "sessions")]);
/// # assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn count(name: &str, n: impl Integer, tags: impl Tags) {
    record(
        Kind::Counter,
        name,
        &tags,
        Sample::Count(n.saturating_i64()),
    );
}

/// Adds `value` to a histogram series of the current collector (summed over
/// the execution, sent once). `value` is any integer or float (see
/// [`Value`]).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// collector_runtime::histogram("query", 1, &["database:master", "verb:insert"]);
/// # assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn histogram(name: &str, value: impl Value, tags: impl Tags) {
    record(Kind::Histogram, name, &tags, Sample::value(value.to_f64()));
}

/// Adds `value` to a distribution series of the current collector. `value`
/// is any integer or float (see [`Value`]).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// collector_runtime::distribution("payload.bytes", 2048, ());
/// # assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn distribution(name: &str, value: impl Value, tags: impl Tags) {
    record(
        Kind::Distribution,
        name,
        &tags,
        Sample::value(value.to_f64()),
    );
}

/// Adds `elapsed` to a timer series of the current collector. It is sent in
/// milliseconds rounded to the microsecond; one timing counts for at most
/// `u64::MAX` nanoseconds (about 584 years).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// collector_runtime::timing("db.wait", std::time::Duration::from_millis(3), ());
/// # assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn timing(name: &str, elapsed: Duration, tags: impl Tags) {
    record(Kind::Timing, name, &tags, Sample::elapsed(elapsed));
}

/// Sets a gauge of the current collector; the last value is sent. `value`
/// is any integer or float (see [`Value`]).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// collector_runtime::gauge("pool.idle", 4, ());
/// # assert_eq!(collector.len(), 1);
/// ```
#[inline]
pub fn gauge(name: &str, value: impl Value, tags: impl Tags) {
    record(Kind::Gauge, name, &tags, Sample::value(value.to_f64()));
}
