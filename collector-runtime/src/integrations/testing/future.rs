//! The future [`capture_async`](crate::testing::capture_async) returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::integrations::testing::line::Line;
use crate::integrations::testing::scope::{Active, Lines};

/// Runs a future with a capture active around every poll; resolves to the
/// future's output and the captured lines. Built by [`capture_async`](crate::testing::capture_async).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::testing;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let capture: testing::CaptureFuture<_> = testing::capture_async(async {
///     collector_runtime::gauge("pool.idle", 4, ());
///     4
/// });
/// let (idle, lines) = capture.await;
/// assert_eq!(idle, 4);
/// assert_eq!(lines, ["pool.idle:4|g"]);
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct CaptureFuture<F> {
    /// Boxed: the crate has no `unsafe` to pin a field in place. `None`
    /// once it has completed.
    fut: Option<Pin<Box<F>>>,
    lines: Lines,
}

impl<F> CaptureFuture<F> {
    pub(crate) fn new(fut: F, lines: Lines) -> Self {
        CaptureFuture {
            fut: Some(Box::pin(fut)),
            lines,
        }
    }
}

impl<F: Future> Future for CaptureFuture<F> {
    type Output = (F::Output, Vec<Line>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let _active = Active::push(&this.lines);
        let fut = this
            .fut
            .as_mut()
            .expect("a capture's future polled after it completed");
        let Poll::Ready(value) = fut.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        // Dropped here, with the capture active: what its locals flush on
        // drop is the future's too.
        this.fut = None;
        Poll::Ready((value, super::take(&this.lines)))
    }
}

impl<F> Drop for CaptureFuture<F> {
    /// A future dropped unfinished is dropped with the capture active, so
    /// that what it flushes then (an annotated call ending as cancelled)
    /// is not sent either.
    fn drop(&mut self) {
        if self.fut.is_some() {
            let _active = Active::push(&self.lines);
            self.fut = None;
        }
    }
}
