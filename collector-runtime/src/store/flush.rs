//! Sending a collector's series: one line per series, written by
//! [`LineWriter`](crate::line::writer::LineWriter) into a batch, and the
//! batch handed to the client's outbox, where the sender thread takes it.
//!
//! A flush must never fail its caller: a full outbox refuses the batch,
//! counted and reported, rather than wait.

use std::sync::Arc;

use crate::errors::error::Error;
use crate::errors::handler::{report, ErrorHandler};
use crate::input::enclosing::Enclosing;
use crate::input::hash::seed;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Total};
use crate::line::notices::write_notices;
use crate::line::writer::LineWriter;
use crate::send::client::Client;
use crate::send::global::global_client;
use crate::send::payload::{Batch, Filling, Packed};
use crate::send::sender::{flush_contained, hand_over};
use crate::store::aggregate::{self, Shard};
use crate::store::handoff::{hand_to_outbox, write_own_counter, write_transport_counts};
use crate::store::series::Series;

/// The counter a flush sends when records were dropped because the collector
/// held `max_series` series already.
///
/// ```
/// assert_eq!(collector_runtime::telemetry::DROPPED_RECORDS_METRIC, "collector.records_dropped");
/// ```
pub const DROPPED_RECORDS_METRIC: &str = "collector.records_dropped";

/// What one flush did.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// Series handed to the client's outbox (or, in a capture, to its
    /// sink). Whether they then reach the agent is the sender's to report:
    /// see [`wait_for_delivery`](crate::wait_for_delivery).
    pub series_sent: usize,
    /// Records not kept because the collector was full (sent as
    /// [`DROPPED_RECORDS_METRIC`]).
    pub records_dropped: u64,
    /// Lines refused because the client's outbox was full (sent as a count
    /// in [`LINES_DROPPED_METRIC`](crate::telemetry::LINES_DROPPED_METRIC) once it has
    /// room).
    pub lines_dropped: usize,
    /// Refusals by a full outbox, client set-ups that failed, series
    /// refused at flush, and, in a capture, hand-overs that failed; each
    /// one reached the error handler or was counted in
    /// [`errors_seen`](crate::error::errors_seen).
    pub errors: usize,
}

/// What one flush sends: its series, then its notices (service checks and
/// events), and the count of records its collector dropped.
pub(crate) struct Contents<'a> {
    pub(crate) series: &'a [Series],
    pub(crate) notices: &'a [Notice],
    pub(crate) dropped: u64,
}

/// The tags every line of one flush carries beside its own: `base` and
/// `extra` (each set sanitized already), and the `enclosing` collectors'
/// tags whose keys those leave free.
pub(crate) struct LineTags<'a> {
    pub(crate) base: &'a [String],
    pub(crate) extra: &'a [&'a str],
    pub(crate) enclosing: &'a Enclosing,
}

impl LineTags<'static> {
    /// No tags beside each line's own: the no-collector path.
    pub(crate) const NONE: LineTags<'static> = LineTags {
        base: &[],
        extra: &[],
        enclosing: &Enclosing::NONE,
    };
}

/// Sends `contents` through `own` client, or else the global one, with
/// `tags` on every line.
pub(crate) fn flush_series(
    own: Option<&Arc<Client>>,
    tags: &LineTags<'_>,
    on_error: Option<&ErrorHandler>,
    contents: &Contents<'_>,
) -> FlushReport {
    if contents.series.is_empty() && contents.notices.is_empty() && contents.dropped == 0 {
        return FlushReport::default();
    }
    // In a test's capture: written as they would have been sent, and kept.
    if let Some(capturing) = crate::send::capture::capturing_client(own) {
        return send_all(&capturing, tags, on_error, contents);
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
                    records_dropped: contents.dropped,
                    errors: 1,
                    ..FlushReport::default()
                };
            }
        },
    };
    send_all(client, tags, on_error, contents)
}

/// Writes `contents` as lines for `client`, with `tags` on every line (see
/// [`LineWriter::within`] for the enclosing collectors'), and hands them to
/// its outbox (or, for a capture's client, to its sink).
pub(crate) fn send_all(
    client: &Client,
    tags: &LineTags<'_>,
    on_error: Option<&ErrorHandler>,
    contents: &Contents<'_>,
) -> FlushReport {
    let &Contents {
        series,
        notices,
        dropped,
    } = contents;
    let mut writer = LineWriter::new(client, &[tags.base], tags.extra).within(tags.enclosing);
    let mut batch = Batch::take_spare();
    let mut refused = 0;
    // Series go to the client's aggregator across executions, which writes
    // one line per context once per interval; those it cannot take (a
    // synchronous client, the end of the process, a full table) are
    // written here as lines of their own.
    // Asked once per flush: the answer checks which process this is (see
    // `send::process_id`).
    let outbox = client.outbox();
    let shard = aggregate::shard_for(client, outbox);
    let mut table = shard.as_ref().map(Shard::lock);
    let set = table.as_mut().and_then(|table| {
        let (base, inherited) = writer.context_tags();
        table.tag_set(seed(), base, inherited, on_error)
    });
    let mut stamp = None;
    let mut merged = 0;
    // Series kept empty from an earlier execution hold nothing to send.
    for one in series.iter().filter(|one| one.is_live()) {
        // Finite records can still add up to an infinity, which no agent
        // reads: the series is refused like a non-finite record.
        if let Some(error) = out_of_range(one) {
            refused += 1;
            report(on_error, error);
            continue;
        }
        if let (Some(table), Some(set)) = (table.as_mut(), set) {
            let stamp = match one.kind {
                Kind::Gauge => *stamp.get_or_insert_with(aggregate::next_stamp),
                _ => 0,
            };
            if table.merge(set, one, stamp) {
                merged += 1;
                continue;
            }
        }
        batch.line(true, |out| {
            writer.write(out, one.name(), one.kind, one.total, one.tags());
        });
    }
    drop(table);
    if let Some(shard) = shard.filter(|_| merged > 0) {
        shard.merged();
    }
    // Each at most one payload long (less the newline a sink adds), so
    // that none is split across datagrams.
    let limit = client.max_payload().saturating_sub(1);
    write_notices(&mut batch, &mut writer, notices, limit, on_error);
    if dropped > 0 {
        write_own_counter(&mut batch, &mut writer, DROPPED_RECORDS_METRIC, dropped);
    }
    let mut report = FlushReport {
        records_dropped: dropped,
        errors: refused,
        ..FlushReport::default()
    };
    match outbox {
        Some(outbox) => {
            // The transport's own counts go out with this flush's lines,
            // with the client's tags only, not the collector's (with none,
            // the aggregator's next lines carry them).
            if !batch.is_empty() {
                let carried = write_transport_counts(client, outbox, &mut batch);
                let handed = hand_to_outbox(outbox, &batch, carried, on_error, true);
                report.series_sent = handed.series;
                report.lines_dropped = handed.lines_dropped;
                report.errors += handed.errors;
            }
        }
        None => send_here(client, &batch, on_error, &mut report),
    }
    report.series_sent += merged;
    batch.give_back();
    report
}

/// The error for a series whose records add up to what the wire cannot
/// carry: an infinity from finite values, a duration of 2^64 nanoseconds
/// or more. Refused like a record of such a value.
fn out_of_range(series: &Series) -> Option<Error> {
    let name = || series.name().to_owned();
    match series.total {
        Total::Sum(value) | Total::Last(value) if !value.is_finite() => {
            Some(Error::NonFiniteValue {
                name: name(),
                value,
            })
        }
        Total::Elapsed(elapsed) if elapsed.as_nanos() >= u128::from(u64::MAX) => {
            Some(Error::DurationOutOfRange {
                name: name(),
                elapsed,
            })
        }
        _ => None,
    }
}

/// A capture's client: the lines are packed and handed to its sink here.
fn send_here(
    client: &Client,
    batch: &Batch,
    on_error: Option<&ErrorHandler>,
    sent: &mut FlushReport,
) {
    let mut filling = Filling::new(client.max_payload());
    let mut handed = 0;
    let mut hand = |payload: Packed| match hand_over(
        client.sink(),
        client.target(),
        &payload.text,
        payload.lines,
    ) {
        Ok(()) => handed += payload.lines,
        Err(error) => {
            sent.errors += 1;
            report(on_error, error);
        }
    };
    filling.take(batch, &mut hand);
    if !filling.is_empty() {
        hand(filling.seal());
    }
    sent.series_sent = handed.min(batch.series);
    if let Err(error) = flush_contained(client.sink(), client.target()) {
        sent.errors += 1;
        report(on_error, error);
    }
}
