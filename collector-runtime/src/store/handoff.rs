//! Handing written lines to a client's outbox: what a flush and an
//! aggregator's drain do alike once their lines are in a batch, and the
//! transport's own counts that go out with them.

use std::sync::Arc;
use std::time::Instant;

use crate::errors::error::Error;
use crate::errors::handler::{count_only, report, ErrorHandler};
use crate::input::sample::{Kind, Total};
use crate::line::writer::LineWriter;
use crate::send::client::Client;
use crate::send::exit;
use crate::send::outbox::{Appended, Outbox, LINES_DROPPED_METRIC, TELEMETRY_METRICS};
use crate::send::payload::Batch;
use crate::send::sender;

/// Appends one of this crate's own counters, `name` with `n`, to `batch`.
pub(crate) fn write_own_counter(
    batch: &mut Batch,
    writer: &mut LineWriter<'_>,
    name: &str,
    n: u64,
) {
    let count = Total::Count(i64::try_from(n).unwrap_or(i64::MAX));
    batch.line(false, |out| {
        writer.write(out, name, Kind::Counter, count, [].into_iter());
    });
}

/// Appends the transport's own counts to `batch` (its telemetry when due,
/// the lines it dropped before), with the client's tags only; the drop
/// count last. Returns how many dropped lines that count carries.
pub(crate) fn write_transport_counts(client: &Client, outbox: &Outbox, batch: &mut Batch) -> u64 {
    let telemetry = outbox.take_telemetry();
    let carried = outbox.take_unreported_drops();
    if telemetry.is_some() || carried > 0 {
        let mut plain = LineWriter::new(client, &[], &[]);
        let telemetry = telemetry
            .into_iter()
            .flat_map(|counts| TELEMETRY_METRICS.into_iter().zip(counts));
        let drops = (carried > 0).then_some((LINES_DROPPED_METRIC, carried));
        for (name, n) in telemetry.chain(drops) {
            write_own_counter(batch, &mut plain, name, n);
        }
    }
    carried
}

/// Appends `batch` to `outbox`; waits for it, when `may_wait`, if the
/// client is synchronous or the process is ending (the sender's own drain
/// may not: it would wait for itself).
pub(crate) fn hand_to_outbox(
    outbox: &Arc<Outbox>,
    batch: &Batch,
    carried: u64,
    on_error: Option<&ErrorHandler>,
    may_wait: bool,
) -> Handed {
    if may_wait {
        // A caller's flush: its thread waits for the outbox when it ends
        // (the sender's own drain is not a caller).
        exit::watch_this_thread();
    }
    let mut sent = Handed::default();
    match outbox.append(batch, carried, on_error) {
        Appended::Queued { upto, too_long } => {
            // A line longer than a payload was refused, counted and
            // reported by the outbox.
            sent.series = batch.series.saturating_sub(too_long);
            sent.lines_dropped = too_long;
            sent.errors += usize::from(too_long > 0);
            if may_wait && (outbox.settings.synchronous || exit::ending()) {
                outbox.wait_for(upto, Instant::now() + outbox.settings.timeout);
            }
        }
        Appended::Refused { first } => {
            let lines = batch.lines() - usize::from(carried > 0);
            outbox.count_dropped(lines as u64, carried);
            sent.lines_dropped = lines;
            sent.errors += 1;
            if first {
                let bound = outbox.settings.max_queued_bytes();
                report(on_error, Error::OutboxFull { lines, bound });
            } else {
                count_only(1);
            }
        }
        Appended::SendHere(waiting) => {
            sent.series = batch.series;
            for one in &waiting {
                sender::send(outbox, one);
            }
            sender::flush_sink(outbox, on_error);
        }
    }
    sent
}

/// What a hand-off did with a batch.
#[derive(Default)]
pub(crate) struct Handed {
    /// Series lines now in the outbox (or sent).
    pub(crate) series: usize,
    /// Lines refused by a full outbox.
    pub(crate) lines_dropped: usize,
    /// Refusals reported or counted.
    pub(crate) errors: usize,
}
