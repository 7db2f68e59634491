//! Sending a collector's series through cadence, one metric per series.
//!
//! A flush must never fail its caller: every send is made with `try_send`,
//! every error and every panic of the sink is contained and reported, and
//! the client is flushed at the end so buffered bytes leave at once.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cadence::prelude::*;
use cadence::{MetricBuilder, MetricError, StatsdClient};

use crate::error::{report as report_error, Error, ErrorHandler};
use crate::series::{Series, Total};

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
///     .client(cadence::StatsdClient::from_sink("", cadence::NopMetricSink))
///     .build();
/// collector.incr("jobs.done", &["queue:mail"]);
/// let report = collector.flush();
/// assert_eq!((report.series_sent, report.records_dropped, report.errors), (1, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlushReport {
    /// Series handed to the client without error.
    pub series_sent: usize,
    /// Records not kept because the collector was full (sent as
    /// [`DROPPED_RECORDS_METRIC`]).
    pub records_dropped: u64,
    /// Sends, sink flushes or client set-ups that failed; each one reached
    /// the error handler.
    pub errors: usize,
}

/// Sends one series with its tags and `base` merged, deduplicated and sorted.
/// `scratch` is reused from series to series.
fn send_series<'a>(
    client: &StatsdClient,
    series: &'a Series,
    base: &[&'a str],
    scratch: &mut Vec<&'a str>,
) -> Result<(), MetricError> {
    scratch.clear();
    scratch.extend(series.tags());
    scratch.extend_from_slice(base);
    scratch.sort_unstable();
    scratch.dedup();
    let name = series.name();
    match series.total {
        Total::Count(n) => with_tags(client.count_with_tags(name, n), scratch),
        Total::Sum(v) if series.kind == crate::series::Kind::Distribution => {
            with_tags(client.distribution_with_tags(name, v), scratch)
        }
        Total::Sum(v) => with_tags(client.histogram_with_tags(name, v), scratch),
        Total::Elapsed(d) => with_tags(client.time_with_tags(name, d), scratch),
        Total::Last(v) => with_tags(client.gauge_with_tags(name, v), scratch),
    }
}

fn with_tags<'m, T: cadence::Metric + From<String>>(
    mut builder: MetricBuilder<'m, '_, T>,
    tags: &[&'m str],
) -> Result<(), MetricError> {
    for tag in tags {
        builder = builder.with_tag_value(tag);
    }
    builder.try_send().map(drop)
}

/// Sends `series` (and the dropped count) through `client`, then flushes it.
pub(crate) fn send_all(
    client: &StatsdClient,
    series: &[Series],
    dropped: u64,
    base: &[&str],
    on_error: Option<&ErrorHandler>,
) -> FlushReport {
    let mut report = FlushReport {
        records_dropped: dropped,
        ..FlushReport::default()
    };
    let mut scratch = Vec::new();
    for one in series {
        // Finite records can still add up to an infinity, which no agent
        // reads: the series is refused like a non-finite record.
        if let Total::Sum(value) | Total::Last(value) = one.total {
            if !value.is_finite() {
                report.errors += 1;
                let name = one.name().to_owned();
                report_error(on_error, Error::NonFiniteValue { name, value });
                continue;
            }
        }
        let sent = catch_unwind(AssertUnwindSafe(|| {
            send_series(client, one, base, &mut scratch)
        }));
        match sent {
            Ok(Ok(())) => report.series_sent += 1,
            Ok(Err(source)) => {
                report.errors += 1;
                let name = one.name().to_owned();
                report_error(on_error, Error::Send { name, source });
            }
            Err(_) => {
                report.errors += 1;
                let name = Some(one.name().to_owned());
                report_error(on_error, Error::SinkPanicked { name });
            }
        }
    }
    if dropped > 0 {
        let count = i64::try_from(dropped).unwrap_or(i64::MAX);
        let sent = catch_unwind(AssertUnwindSafe(|| {
            let mut tags = base.to_vec();
            tags.sort_unstable();
            tags.dedup();
            with_tags(client.count_with_tags(DROPPED_RECORDS_METRIC, count), &tags)
        }));
        if !matches!(sent, Ok(Ok(()))) {
            report.errors += 1;
            let name = DROPPED_RECORDS_METRIC.to_owned();
            match sent {
                Ok(Err(source)) => report_error(on_error, Error::Send { name, source }),
                _ => report_error(on_error, Error::SinkPanicked { name: Some(name) }),
            }
        }
    }
    match catch_unwind(AssertUnwindSafe(|| client.flush())) {
        Ok(Ok(())) => {}
        Ok(Err(source)) => {
            report.errors += 1;
            report_error(on_error, Error::Flush(source));
        }
        Err(_) => {
            report.errors += 1;
            report_error(on_error, Error::SinkPanicked { name: None });
        }
    }
    report
}
