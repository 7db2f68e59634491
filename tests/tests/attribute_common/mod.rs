//! Shared by the `attribute_*` tests: a cadence sink that keeps what each
//! flush of the client sent, so a test can check both the series and that a
//! call flushed exactly once. The lines are checked with the independent
//! parser of `collector_tests`.

#![allow(dead_code)] // each test binary uses its own part

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use cadence::MetricSink;
use collector_runtime::Client;
use collector_tests::{parse_line, Line};

/// What one client sent, cut at each sink flush.
#[derive(Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Sent>>);

#[derive(Default)]
struct Sent {
    /// Lines emitted since the last flush.
    pending: Vec<String>,
    /// The lines of each flush, in order.
    flushes: Vec<Vec<String>>,
}

/// cadence's sink trait, implemented to count flushes and keep every line.
struct RecordingSink(Recorder);

impl MetricSink for RecordingSink {
    fn emit(&self, payload: &str) -> io::Result<usize> {
        // A payload packs whole lines, one per series.
        let mut sent = self.0.lock();
        sent.pending.extend(payload.split('\n').map(str::to_owned));
        Ok(payload.len())
    }

    fn flush(&self) -> io::Result<()> {
        let mut sent = self.0.lock();
        let batch = std::mem::take(&mut sent.pending);
        sent.flushes.push(batch);
        Ok(())
    }
}

impl Recorder {
    /// A recorder with nothing sent yet.
    pub(crate) fn new() -> Recorder {
        Recorder::default()
    }

    fn lock(&self) -> MutexGuard<'_, Sent> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A client whose every line and flush lands here: synchronous, so
    /// that each call's flush is on the sink, in payloads of its own and
    /// flushed, when the call returns.
    pub(crate) fn client(&self) -> Client {
        Client::new(RecordingSink(self.clone())).synchronous(true)
    }

    /// How many times the client was flushed.
    pub(crate) fn flush_count(&self) -> usize {
        self.lock().flushes.len()
    }

    /// The lines of every flush, each checked by the parser.
    pub(crate) fn flushes(&self) -> Vec<Vec<Line>> {
        let sent = self.lock();
        assert!(
            sent.pending.is_empty(),
            "lines sent but never flushed: {:?}",
            sent.pending
        );
        sent.flushes
            .iter()
            .map(|batch| {
                batch
                    .iter()
                    .map(|line| parse_line(line).unwrap_or_else(|e| panic!("{e}")))
                    .collect()
            })
            .collect()
    }

    /// The lines of the one flush there must have been, as sent, sorted.
    pub(crate) fn one_flush(&self) -> Vec<String> {
        let flushes = self.flushes();
        assert_eq!(flushes.len(), 1, "expected exactly one flush: {flushes:?}");
        let mut lines: Vec<String> = self.lock().flushes[0].clone();
        lines.sort();
        lines
    }

    /// The parsed lines of the one flush there must have been.
    pub(crate) fn one_flush_lines(&self) -> Vec<Line> {
        let mut flushes = self.flushes();
        assert_eq!(flushes.len(), 1, "expected exactly one flush: {flushes:?}");
        flushes.remove(0)
    }

    /// The lines of every flush, as sent, each checked by the parser of
    /// any kind of line.
    pub(crate) fn flushes_any(&self) -> Vec<Vec<String>> {
        let sent = self.lock();
        assert!(
            sent.pending.is_empty(),
            "lines never flushed: {:?}",
            sent.pending
        );
        for line in sent.flushes.concat() {
            collector_tests::parse_any(&line).unwrap_or_else(|e| panic!("{e}"));
        }
        sent.flushes.clone()
    }

    /// The lines of the one flush there must have been, as sent, in order:
    /// metrics, service checks and events alike, each checked by the
    /// parser.
    pub(crate) fn one_flush_any(&self) -> Vec<String> {
        let sent = self.lock();
        assert!(
            sent.pending.is_empty(),
            "lines never flushed: {:?}",
            sent.pending
        );
        assert_eq!(
            sent.flushes.len(),
            1,
            "expected one flush: {:?}",
            sent.flushes
        );
        for line in &sent.flushes[0] {
            collector_tests::parse_any(line).unwrap_or_else(|e| panic!("{e}"));
        }
        sent.flushes[0].clone()
    }

    /// Forgets everything sent so far.
    pub(crate) fn clear(&self) {
        let mut sent = self.lock();
        sent.pending.clear();
        sent.flushes.clear();
    }
}

thread_local! {
    static LOCAL: Recorder = Recorder::new();
}

/// A recorder of this thread's own: for functions that a test harness also
/// runs by itself on another thread (`#[tokio::test]`).
pub(crate) fn thread_recorder() -> Recorder {
    LOCAL.with(Recorder::clone)
}

/// The line of one series, with the value left out (durations vary).
pub(crate) fn without_value(line: &Line) -> String {
    let mut tags = line.tags.clone();
    tags.sort();
    format!("{}|{}|#{}", line.name, line.kind, tags.join(","))
}
