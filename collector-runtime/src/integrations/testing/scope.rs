//! Where a capture keeps its lines while it is active on a thread: a
//! thread-local stack, innermost capture last, read by the flush before it
//! picks a client.
//!
//! Thread-local, like the current collector: two tests running in parallel
//! threads each see only their own lines, and a future's capture is pushed
//! around each of its polls, on whichever thread polls it.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex};

use cadence::MetricSink;

use crate::integrations::testing::line::Line;
use crate::send::client::Client;
use crate::send::global::global_client;

/// The lines one capture has received, shared by the sink flushes write
/// into and the capture that returns them.
pub(crate) type Lines = Arc<Mutex<Vec<Line>>>;

thread_local! {
    static ACTIVE: RefCell<Vec<Lines>> = const { RefCell::new(Vec::new()) };
}

/// Makes `lines` the innermost capture on this thread until dropped.
pub(crate) struct Active {
    lines: Lines,
}

impl Active {
    pub(crate) fn push(lines: &Lines) -> Active {
        crate::send::capture::fill(capturing_client);
        let _ = ACTIVE.try_with(|stack| stack.borrow_mut().push(Arc::clone(lines)));
        Active {
            lines: Arc::clone(lines),
        }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let _ = ACTIVE.try_with(|stack| {
            let mut stack = stack.borrow_mut();
            // The top one, unless guards are dropped out of order.
            if let Some(at) = stack.iter().rposition(|l| Arc::ptr_eq(l, &self.lines)) {
                stack.remove(at);
            }
        });
    }
}

/// A sink that keeps every line of every payload it is handed.
struct CaptureSink(Lines);

impl MetricSink for CaptureSink {
    fn emit(&self, payload: &str) -> io::Result<usize> {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.extend(payload.split('\n').map(|line| Line::parse(line.to_owned())));
        Ok(payload.len())
    }
}

/// When a capture is active on this thread: the client a flush writes
/// with instead of `own` (or the global client), with the same prefix,
/// tags and origin, so the lines are exactly the ones that would have been
/// sent, over a sink that keeps them. The global client is read for its
/// settings, never sent through; if it cannot be built, the lines are
/// written with no prefix and no tags rather than lost.
pub(crate) fn capturing_client(own: Option<&Arc<Client>>) -> Option<Client> {
    let lines = ACTIVE
        .try_with(|stack| stack.borrow().last().cloned())
        .ok()
        .flatten()?;
    let sink = CaptureSink(lines);
    Some(match own {
        Some(client) => client.with_sink(sink),
        None => match global_client() {
            Ok(client) => client.with_sink(sink),
            Err(_) => Client::new(sink),
        },
    })
}
