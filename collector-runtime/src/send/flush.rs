//! Sending a collector's series: one line per series, written by
//! [`LineWriter`](crate::line::writer::LineWriter), packed into payloads
//! and handed to the client's sink.
//!
//! A flush must never fail its caller: every failure of the sink is
//! contained and reported, and the sink is flushed at the end so buffered
//! bytes leave at once.

use std::sync::Arc;

use crate::error::{report, Error, ErrorHandler};
use crate::line::payload::Payload;
use crate::line::writer::LineWriter;
use crate::send::client::Client;
use crate::send::global::global_client;
use crate::series::{Kind, Series, Total};

/// The counter a flush sends when records were dropped because the collector
/// held `max_series` series already.
///
/// ```
/// assert_eq!(collector_runtime::DROPPED_RECORDS_METRIC, "collector.records_dropped");
/// ```
pub const DROPPED_RECORDS_METRIC: &str = "collector.records_dropped";

/// What one flush did.
///
/// ```
/// let collector = collector_runtime::Collector::builder()
///     .client(collector_runtime::Client::new(cadence::NopMetricSink))
///     .build();
/// collector.incr("jobs.done", &["queue:mail"]);
/// let report = collector.flush();
/// assert_eq!((report.series_sent, report.records_dropped, report.errors), (1, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlushReport {
    /// Series handed to the sink without error.
    pub series_sent: usize,
    /// Records not kept because the collector was full (sent as
    /// [`DROPPED_RECORDS_METRIC`]).
    pub records_dropped: u64,
    /// Hand-overs, sink flushes or client set-ups that failed, and series
    /// refused at flush; each one reached the error handler.
    pub errors: usize,
}

/// Sends `series` (and the dropped count) through `own` client, or else the
/// global one, with `base` and `extra` tags on every line.
pub(crate) fn flush_series(
    own: Option<&Arc<Client>>,
    base: &[String],
    extra: &[&str],
    on_error: Option<&ErrorHandler>,
    series: &[Series],
    dropped: u64,
) -> FlushReport {
    if series.is_empty() && dropped == 0 {
        return FlushReport::default();
    }
    // In a test's capture: written as they would have been sent, and kept.
    if let Some(capturing) = crate::testing::capturing_client(own) {
        return send_all(&capturing, series, dropped, &[base], extra, on_error);
    }
    let global;
    let client = match own {
        Some(client) => client,
        None => match global_client() {
            Ok(client) => {
                global = client;
                &global
            }
            Err(err) => {
                report(on_error, Error::Config(err));
                return FlushReport {
                    records_dropped: dropped,
                    errors: 1,
                    ..FlushReport::default()
                };
            }
        },
    };
    send_all(client, series, dropped, &[base], extra, on_error)
}

/// Sends `series` (and the dropped count) through `client` with `base` and
/// `extra` tags on every line, then flushes the sink.
pub(crate) fn send_all(
    client: &Client,
    series: &[Series],
    dropped: u64,
    base: &[&[String]],
    extra: &[&str],
    on_error: Option<&ErrorHandler>,
) -> FlushReport {
    let mut writer = LineWriter::new(client, base, extra);
    let mut payload = Payload::new(client, on_error);
    let mut refused = 0;
    for one in series {
        // Finite records can still add up to an infinity, which no agent
        // reads: the series is refused like a non-finite record.
        if let Total::Sum(value) | Total::Last(value) = one.total {
            if !value.is_finite() {
                refused += 1;
                let name = one.name().to_owned();
                report(on_error, Error::NonFiniteValue { name, value });
                continue;
            }
        }
        payload.line(true, |out| {
            writer.write(out, one.name(), one.kind, one.total, one.tags());
        });
    }
    if dropped > 0 {
        let count = Total::Count(i64::try_from(dropped).unwrap_or(i64::MAX));
        payload.line(false, |out| {
            writer.write(
                out,
                DROPPED_RECORDS_METRIC,
                Kind::Counter,
                count,
                [].into_iter(),
            );
        });
    }
    let (series_sent, errors) = payload.finish();
    FlushReport {
        series_sent,
        records_dropped: dropped,
        errors: errors + refused,
    }
}
