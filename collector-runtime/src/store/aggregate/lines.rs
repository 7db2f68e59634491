//! Writing an aggregator's contexts as lines: one per context, a
//! histogram's, distribution's or timing's samples packed as DogStatsD
//! multi-values (`name:v1:v2:v3|h|#tags`), split across lines only where a
//! line would outgrow a payload; or, with packing off, one sample per line.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::errors::handler::ErrorHandler;
use crate::line::writer::{write_value, LineWriter};
use crate::send::client::Client;
use crate::send::outbox::Outbox;
use crate::send::payload::Batch;
use crate::store::aggregate::in_drain::InDrain;
use crate::store::aggregate::table::{Held, Table};
use crate::store::handoff::{hand_to_outbox, write_transport_counts};

/// Lines are handed to the outbox in batches of about this many bytes (or a
/// quarter of its bound, if less), so that a drain of many contexts holds
/// no more than that at once.
const BATCH_BYTES: usize = 32 * 1024;

/// A drain's lines on their way into the outbox.
pub(crate) struct LineOut<'a> {
    client: &'a Client,
    /// Called after each hand-over (see [`Upstream::drain`]).
    ///
    /// [`Upstream::drain`]: crate::send::upstream::Upstream::drain
    relieve: &'a dyn Fn(),
    outbox: &'a Arc<Outbox>,
    batch: Batch,
    /// The longest line that fits a payload.
    limit: usize,
    /// How many bytes of lines go to the outbox at once: at most a quarter
    /// of its bound, so that a batch always fits once the queue is below
    /// half of it (see `relieve`).
    batch_bytes: usize,
    head: String,
    suffix: String,
    /// Where a failure to send the batch's lines is reported.
    on_error: Option<ErrorHandler>,
    /// Whether the drain wrote any line.
    wrote: bool,
    /// The aggregator's count of lines not handed over yet, lowered as
    /// each batch is handed.
    in_drain: &'a InDrain,
    /// Lines in `batch` that came from the aggregator's contexts.
    batch_lines: u64,
}

impl<'a> LineOut<'a> {
    pub(crate) fn new(
        client: &'a Client,
        outbox: &'a Arc<Outbox>,
        relieve: &'a dyn Fn(),
        in_drain: &'a InDrain,
    ) -> LineOut<'a> {
        LineOut {
            client,
            relieve,
            outbox,
            batch: Batch::default(),
            limit: client.max_payload().saturating_sub(1).max(1),
            batch_bytes: BATCH_BYTES
                .min(outbox.settings.max_queued_bytes() / 4)
                .max(1),
            head: String::new(),
            suffix: String::new(),
            on_error: None,
            wrote: false,
            in_drain,
            batch_lines: 0,
        }
    }

    /// Writes one line per context of `table` (more where samples do not
    /// fit one payload).
    pub(crate) fn write_table(&mut self, table: &Table) {
        if table.is_empty() {
            return;
        }
        self.wrote = true;
        let packed = self.client.packs_samples();
        let sets = table.tag_sets();
        let resolved: Vec<(Vec<&str>, Vec<&str>)> = sets.iter().map(|set| set.as_strs()).collect();
        let mut writers: Vec<Option<LineWriter<'_>>> = Vec::new();
        writers.resize_with(sets.len(), || None);
        let (prefix, origin) = (self.client.metric_prefix(), self.client.origin());
        let counters = &self.outbox.counters;
        counters
            .aggregated_contexts
            .fetch_add(table.series.len() as u64, Ordering::Relaxed);
        let samples: usize = table.held.iter().map(Held::samples).sum();
        counters
            .aggregated_samples
            .fetch_add(samples as u64, Ordering::Relaxed);
        for (series, held) in table.series.iter().zip(&table.held) {
            // A payload's failure is reported to the handler of the lines
            // that open it: lines for another handler start a batch.
            let on_error = &sets[held.tags as usize].on_error;
            if !same_handler(on_error, &self.on_error) {
                self.hand(0);
                self.on_error.clone_from(on_error);
            }
            let writer = writers[held.tags as usize].get_or_insert_with(|| {
                let (base, inherited) = &resolved[held.tags as usize];
                LineWriter::resolved(prefix, origin, base.clone(), inherited.clone())
            });
            self.head.clear();
            writer.write_head(&mut self.head, series.name());
            self.suffix.clear();
            writer.write_suffix(&mut self.suffix, series.kind, series.tags());
            let mut values = std::iter::once(series.total)
                .chain(held.more.iter().copied())
                .peekable();
            // Taken out while the lines are written: a context with many
            // samples is handed over a batch at a time.
            let (head, suffix) = (
                std::mem::take(&mut self.head),
                std::mem::take(&mut self.suffix),
            );
            let limit = self.limit;
            while let Some(first) = values.next() {
                self.batch_lines += 1;
                self.batch.line(true, |out| {
                    let start = out.len();
                    out.push_str(&head);
                    out.push(':');
                    write_value(out, first);
                    while let Some(&next) = values.peek().filter(|_| packed) {
                        let before = out.len();
                        out.push(':');
                        write_value(out, next);
                        if out.len() - start + suffix.len() > limit {
                            out.truncate(before);
                            break;
                        }
                        values.next();
                    }
                    out.push_str(&suffix);
                });
                if self.batch.len() >= self.batch_bytes {
                    self.hand(0);
                }
            }
            (self.head, self.suffix) = (head, suffix);
        }
    }

    /// Lines written and not handed over yet.
    pub(crate) fn unhanded(&self) -> u64 {
        self.batch_lines
    }

    /// Hands what is written to the outbox, with the transport's own counts
    /// when they are due and the drain wrote lines (as a flush's lines
    /// carry them: a drain of nothing sends nothing). `false` if the
    /// process gave up on its lines first: what was not handed over stays
    /// counted as pending.
    pub(crate) fn finish(mut self) -> bool {
        let carried = if self.wrote {
            write_transport_counts(self.client, self.outbox, &mut self.batch)
        } else {
            0
        };
        self.hand(carried)
    }

    fn hand(&mut self, carried: u64) -> bool {
        if !self.batch.is_empty() {
            // Room first: the queue is brought below half the bound.
            (self.relieve)();
            // The ledger counts the lines from here (sent, dropped or
            // pending), so the aggregator no longer does: both at once.
            let _moving = self.in_drain.moving();
            // Once the process has given up on its lines (its last report
            // read them here, as pending), they stay here.
            if self.outbox.ledger.abandoned() {
                return false;
            }
            hand_to_outbox(
                self.outbox,
                &self.batch,
                carried,
                self.on_error.as_ref(),
                false,
            );
            self.in_drain.hand(std::mem::take(&mut self.batch_lines));
        }
        self.batch = Batch::default();
        true
    }
}

/// Whether two handlers are the same one (or both the global one).
fn same_handler(a: &Option<ErrorHandler>, b: &Option<ErrorHandler>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}
