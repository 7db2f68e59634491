//! The sender thread of one client: it takes whole payloads from the outbox
//! and hands them to the cadence sink, off the callers' threads, and sends
//! a partly filled payload once the flush interval has passed.
//!
//! A payload the sink refuses is dropped, never retried: a stalled agent
//! must not grow memory or hold up the payloads behind it. Its lines are
//! counted (their count goes out as `collector.lines_dropped` once a later
//! flush has room), the first failure of an episode is reported (to the
//! error handler of the collector whose lines opened the payload, or the
//! global one) and the rest are only counted in `errors_seen`, until a
//! payload goes through again.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use cadence::MetricSink;

use crate::errors::error::Error;

use crate::errors::handler::{count_only, report, ErrorHandler};
use crate::send::exit;
use crate::send::outbox::{Outbox, SenderState, State, Waiting};
use crate::send::payload::first_name;

/// Starts `outbox`'s sender thread.
pub(crate) fn start(outbox: &Arc<Outbox>) -> io::Result<()> {
    let mine = Arc::clone(outbox);
    std::thread::Builder::new()
        .name("collector-sender".to_owned())
        .spawn(move || run(&mine))?;
    exit::register(outbox);
    Ok(())
}

fn run(outbox: &Arc<Outbox>) {
    let mut taken: Vec<Waiting> = Vec::new();
    let mut telemetry_since = Instant::now();
    let mut state = outbox.lock();
    loop {
        state.sender = SenderState::Busy;
        if let Some(every) = outbox.settings.telemetry {
            // The next flush writes the counters: they go out with lines
            // of the client's, written with its prefix and tags.
            if telemetry_since.elapsed() >= every {
                telemetry_since = Instant::now();
                outbox.telemetry_due.store(true, Ordering::Relaxed);
            }
        }
        // What is queued goes first: a thread draining the upstream into
        // the outbox may be waiting for room.
        if !state.queue.is_empty() {
            state = send_queue(outbox, state, &mut taken);
            continue;
        }
        let now = Instant::now();
        if state
            .upstream_due
            .is_some_and(|due| due <= now || state.flush_wanted || state.closing)
        {
            // The interval's lines, written now and sent at once: they
            // waited one interval already.
            state.upstream_due = None;
            state.draining = true;
            drop(state);
            outbox.drain_upstream(&|| relieve(outbox));
            state = outbox.lock();
            state.draining = false;
            state.seal_filling();
            // A waiter waits for the drain before it counts what to wait for.
            outbox.progress.notify_all();
        }
        if state.flush_wanted || state.closing {
            state.flush_wanted = false;
            state.seal_filling();
        }
        if !state.queue.is_empty() {
            // Sent at the top of the loop.
            continue;
        }
        if state.closing {
            drop(state);
            exit::unregister(outbox);
            return;
        }
        if state.filling.is_empty() && state.upstream_due.is_none() {
            state.sender = SenderState::Idle;
            state = outbox.work.wait(state).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        let now = Instant::now();
        let filling_due = (!state.filling.is_empty()).then(|| {
            *state
                .filling_due
                .get_or_insert(now + outbox.settings.interval)
        });
        if filling_due.is_some_and(|due| now >= due) {
            state.seal_filling();
            continue;
        }
        let due = match (filling_due, state.upstream_due) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(now),
        };
        if now >= due {
            continue;
        }
        state.sender = SenderState::Timed;
        state = outbox
            .work
            .wait_timeout(state, due - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Sends every payload waiting in the queue (taken under `state`, sent
/// without the lock) and gives the lock back.
fn send_queue<'a>(
    outbox: &'a Outbox,
    mut state: MutexGuard<'a, State>,
    taken: &mut Vec<Waiting>,
) -> MutexGuard<'a, State> {
    taken.extend(state.queue.drain(..));
    drop(state);
    let last = taken.len() - 1;
    for (at, waiting) in taken.drain(..).enumerate() {
        // Once the process has given up on its lines (its last
        // report counted them as not sent), none is written.
        if outbox.ledger.abandoned() {
            break;
        }
        send(outbox, &waiting);
        if at == last {
            // The run's last payload is finished once the sink is
            // flushed: a waiter then sees the flush's error too.
            flush_sink(outbox, waiting.extra.on_error.as_ref());
        }
        // Progress is told payload by payload: a waiter sees a
        // slow sink move, and only one that finishes nothing is
        // taken as stuck.
        let mut state = outbox.lock();
        state.queued_bytes -= waiting.payload.text.len().min(state.queued_bytes);
        state.done += 1;
        state.stuck = false;
        drop(state);
        outbox.progress.notify_all();
    }
    taken.clear();
    state = outbox.lock();
    if outbox.ledger.abandoned() {
        // Waiters return at once (see `wait_locked`).
        outbox.progress.notify_all();
    }
    state
}

/// While the sender drains its upstream: sends what the drain has queued
/// so far once the queue holds half the outbox's bound, so that an
/// interval's lines never outgrow the bound for want of a sender.
pub(crate) fn relieve(outbox: &Outbox) {
    let state = outbox.lock();
    if state.queued_bytes * 2 > outbox.settings.max_queued_bytes() && !state.queue.is_empty() {
        let mut taken = Vec::new();
        drop(send_queue(outbox, state, &mut taken));
    }
}

/// Hands one payload to the sink; a failure drops it, counted.
pub(crate) fn send(outbox: &Outbox, waiting: &Waiting) {
    let payload = &waiting.payload;
    if !outbox.ledger.start_write(payload.lines) {
        return;
    }
    let handed = hand_over(
        &*outbox.sink,
        outbox.target.as_deref(),
        &payload.text,
        payload.lines,
    );
    let count_lines = waiting.extra.count_lines;
    outbox
        .ledger
        .end_write(payload.lines, count_lines, handed.is_ok());
    match handed {
        Ok(()) => {
            outbox.failing.store(false, Ordering::Relaxed);
            let counters = &outbox.counters;
            counters.payloads_sent.fetch_add(1, Ordering::Relaxed);
            counters
                .bytes_sent
                .fetch_add(payload.text.len() as u64, Ordering::Relaxed);
            counters
                .lines_sent
                .fetch_add(payload.lines as u64, Ordering::Relaxed);
        }
        Err(error) => {
            outbox
                .counters
                .payloads_dropped
                .fetch_add(1, Ordering::Relaxed);
            // The ledger counted the lines as dropped; their count goes
            // to the agent later, with the earlier count this one carried.
            let lost = payload.lines.saturating_sub(count_lines) as u64;
            outbox
                .unreported_drops
                .fetch_add(lost + waiting.extra.carried, Ordering::Relaxed);
            if outbox.failing.swap(true, Ordering::Relaxed) {
                count_only(1);
            } else {
                report(waiting.extra.on_error.as_ref(), error);
            }
        }
    }
}

/// Flushes the sink after a run of payloads (a buffered sink of the user's
/// then puts its bytes on the wire); a failure goes to the handler of the
/// run's last payload.
pub(crate) fn flush_sink(outbox: &Outbox, on_error: Option<&ErrorHandler>) {
    if let Err(error) = flush_contained(&*outbox.sink, outbox.target.as_deref()) {
        report(on_error, error);
    }
}

/// Hands `payload` (of `lines` lines) to `sink`, with a failure or a panic
/// of the sink contained and turned into the error to report.
pub(crate) fn hand_over(
    sink: &(dyn MetricSink + Send + Sync),
    target: Option<&str>,
    payload: &str,
    lines: usize,
) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(|| sink.emit(payload))) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(source)) => Err(Error::Send {
            name: first_name(payload).to_owned(),
            lines,
            source: naming_target(target, source).into(),
        }),
        Err(_) => Err(Error::SinkPanicked {
            name: Some(first_name(payload).to_owned()),
        }),
    }
}

/// Flushes `sink`, with a failure or a panic contained.
pub(crate) fn flush_contained(
    sink: &(dyn MetricSink + Send + Sync),
    target: Option<&str>,
) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(|| sink.flush())) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(Error::Flush(naming_target(target, source).into())),
        Err(_) => Err(Error::SinkPanicked { name: None }),
    }
}

/// `err` with the target in its text, its kind kept: a socket's error does
/// not say which path or address it was for, and the user needs to know.
#[cold]
fn naming_target(target: Option<&str>, err: io::Error) -> io::Error {
    match target {
        Some(target) => io::Error::new(
            err.kind(),
            TargetError {
                target: target.to_owned(),
                source: err,
            },
        ),
        None => err,
    }
}

/// A sink's error, with where the sink was sending.
#[derive(Debug)]
struct TargetError {
    target: String,
    source: io::Error,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sending to {}: {}", self.target, self.source)
    }
}

impl std::error::Error for TargetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
