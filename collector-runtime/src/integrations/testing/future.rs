//! The future [`capture_async`](crate::testing::capture_async) returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::integrations::testing::line::Line;
use crate::integrations::testing::scope::{Active, Lines};
use crate::scope::instrumented::{drop_inside, poll_inside};

pin_project! {
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
    // `None` once it has completed.
    #[pin]
    fut: Option<F>,
    lines: Lines,
}

impl<F> PinnedDrop for CaptureFuture<F> {
    // A future dropped unfinished is dropped with the capture active, so
    // that what it flushes then (an annotated call ending as cancelled)
    // is not sent either.
    fn drop(this: Pin<&mut Self>) {
        let this = this.project();
        let lines = &*this.lines;
        drop_inside(this.fut, || Active::push(lines));
    }
}
}

impl<F> CaptureFuture<F> {
    pub(crate) fn new(fut: F, lines: Lines) -> Self {
        CaptureFuture {
            fut: Some(fut),
            lines,
        }
    }
}

impl<F: Future> Future for CaptureFuture<F> {
    type Output = (F::Output, Vec<Line>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let lines = &*this.lines;
        // Dropped once ready with the capture still active: what its
        // locals flush on drop is the future's too.
        let what = "a capture's future";
        let value = std::task::ready!(poll_inside(this.fut, cx, || Active::push(lines), what));
        Poll::Ready((value, super::take(lines)))
    }
}
