//! The delivery ledger: every line handed to a client is in exactly one
//! state, and every report reads it.
//!
//! A line is *waiting* (in the outbox, or taken by the sender and not yet
//! written), *in flight* (inside a write to the sink that has not
//! returned), *sent*, or *dropped* (refused by a full outbox or as too
//! long, or in a payload the sink refused). Waiting and in flight together
//! are *pending*. [`wait_for_delivery`](crate::wait_for_delivery), the waits at the end of a thread
//! and of the process, and their messages all read the same counts, so a
//! line that arrived is never reported lost and a line lost is never left
//! out.
//!
//! The count lines the transport adds ([`LINES_DROPPED_METRIC`]) are
//! counted as sent and as pending like any line, but not as dropped: their
//! count is carried again by a later one.
//!
//! [`LINES_DROPPED_METRIC`]: crate::telemetry::LINES_DROPPED_METRIC

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::send::this_process::Process;

/// A source of pending lines outside the outbox (an aggregator holding
/// samples that become lines at its next drain), added to the pending count
/// by [`Ledger::add_upstream`]: given what reads the outbox's own count, it
/// returns the total, both read at one moment (no line moves from it into
/// the outbox meanwhile), so that no line is missed or counted twice.
pub(crate) type Upstream = Box<dyn Fn(&dyn Fn() -> u64) -> u64 + Send + Sync>;

/// The marker the end-of-process report sets in [`Ledger::in_flight`]: no
/// new write may start after it, so what it counted stays true.
const ABANDONED: u64 = 1 << 63;

/// One client's ledger (one per outbox), which also keeps its process's
/// totals.
pub(crate) struct Ledger {
    /// Lines taken into the outbox.
    accepted: AtomicU64,
    /// Of those, the lines the sender is done with (sent or dropped).
    finished: AtomicU64,
    /// Lines inside the write to the sink now under way, with
    /// [`ABANDONED`] once the process has given up on the rest.
    in_flight: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
    upstream: OnceLock<Upstream>,
    /// The totals of the process that made this ledger.
    process: &'static Process,
}

impl Ledger {
    pub(crate) fn new(process: &'static Process) -> Ledger {
        Ledger {
            accepted: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            upstream: OnceLock::new(),
            process,
        }
    }

    /// Adds the pending count of a source upstream of the outbox (samples
    /// not yet written as lines) to [`Ledger::pending`], for every report
    /// and wait that reads it. One upstream per ledger: a second is
    /// refused and handed back.
    pub(crate) fn add_upstream(&self, pending: Upstream) -> Result<(), Upstream> {
        self.upstream.set(pending)
    }

    /// `lines` were taken into the outbox: waiting from now on.
    pub(crate) fn accept(&self, lines: usize) {
        self.accepted.fetch_add(lines as u64, Ordering::Release);
    }

    /// `lines` were dropped without entering the outbox (it was full, or a
    /// line was longer than a payload).
    pub(crate) fn refuse(&self, lines: usize) {
        self.count_dropped(lines as u64);
    }

    /// A write of `lines` lines is about to start; `false` if the process
    /// has given up on its lines (they stay counted as pending, as its
    /// last report said).
    pub(crate) fn start_write(&self, lines: usize) -> bool {
        let lines = lines as u64;
        // Several writes at once only when flushes send on their own
        // threads (no sender thread could be started).
        let before = self.in_flight.fetch_add(lines, Ordering::AcqRel);
        if before & ABANDONED != 0 {
            self.in_flight.fetch_sub(lines, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// The write started by [`Ledger::start_write`] returned: its `lines`
    /// lines were sent, or, when `sent` is false, dropped (all but
    /// `count_lines` of them, the transport's own counts, carried again).
    pub(crate) fn end_write(&self, lines: usize, count_lines: usize, sent: bool) {
        let lines = lines as u64;
        if sent {
            self.sent.fetch_add(lines, Ordering::Relaxed);
            self.process.payloads_sent.fetch_add(1, Ordering::Relaxed);
            self.process.lines_sent.fetch_add(lines, Ordering::Relaxed);
        } else {
            self.count_dropped(lines.saturating_sub(count_lines as u64));
        }
        self.finished.fetch_add(lines, Ordering::Release);
        self.in_flight.fetch_sub(lines, Ordering::AcqRel);
    }

    fn count_dropped(&self, lines: u64) {
        self.dropped.fetch_add(lines, Ordering::Relaxed);
        self.process
            .lines_dropped
            .fetch_add(lines, Ordering::Relaxed);
    }

    /// Lines accepted and not finished (waiting or in flight), and the
    /// upstream's pending count.
    pub(crate) fn pending(&self) -> u64 {
        let own = || {
            let finished = self.finished.load(Ordering::Acquire);
            let accepted = self.accepted.load(Ordering::Acquire);
            accepted.saturating_sub(finished)
        };
        match self.upstream.get() {
            Some(with_upstream) => with_upstream(&own),
            None => own(),
        }
    }

    /// Lines inside the write now under way.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Acquire) & !ABANDONED
    }

    /// Gives up on every line not yet written, for the end-of-process
    /// report: no write starts after this. Returns the lines inside the
    /// write under way, which may still arrive.
    pub(crate) fn abandon(&self) -> u64 {
        self.in_flight.fetch_or(ABANDONED, Ordering::AcqRel) & !ABANDONED
    }

    /// Whether [`Ledger::abandon`] was called.
    pub(crate) fn abandoned(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) & ABANDONED != 0
    }

    /// Lines this client sent, and dropped.
    #[cfg(test)]
    fn sent_and_dropped(&self) -> (u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        Ledger::new(Box::leak(Box::new(Process::default())))
    }

    #[test]
    fn every_line_is_waiting_in_flight_sent_or_dropped() {
        let ledger = ledger();
        ledger.accept(10);
        ledger.refuse(3);
        assert_eq!((ledger.pending(), ledger.in_flight()), (10, 0));
        assert!(ledger.start_write(4));
        assert_eq!((ledger.pending(), ledger.in_flight()), (10, 4));
        ledger.end_write(4, 0, true);
        assert!(ledger.start_write(6));
        ledger.end_write(6, 1, false);
        assert_eq!((ledger.pending(), ledger.in_flight()), (0, 0));
        assert_eq!(ledger.sent_and_dropped(), (4, 3 + 5));
    }

    #[test]
    fn once_abandoned_no_write_starts_and_the_one_under_way_is_named() {
        let ledger = ledger();
        ledger.accept(7);
        assert!(ledger.start_write(2));
        assert_eq!(ledger.abandon(), 2);
        ledger.end_write(2, 0, true);
        assert!(!ledger.start_write(5));
        assert!(ledger.abandoned());
        assert_eq!((ledger.pending(), ledger.in_flight()), (5, 0));
    }

    #[test]
    fn an_upstream_adds_its_pending_count() {
        let ledger = ledger();
        ledger.accept(2);
        assert!(ledger.add_upstream(Box::new(|own| own() + 40)).is_ok());
        assert!(ledger.add_upstream(Box::new(|own| own() + 1)).is_err());
        assert_eq!(ledger.pending(), 42);
    }
}
