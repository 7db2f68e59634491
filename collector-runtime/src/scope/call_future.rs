//! An annotated call that suspends: an `async fn`'s body ([`Run`]), or the
//! future a non-async function returns ([`CallFuture`]). Each is polled
//! with the call's collector current through the crate's one
//! instrumented-future core, and tells the call how the body ended.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::scope::call::CallScope;
use crate::scope::context::EnterGuard;
use crate::scope::instrumented::{drop_inside, poll_inside};
use crate::scope::outcome::PanicWatch;

/// Held around one poll of a call's body: the call's collector current, and
/// a watch that notes a panic unwinding out of this poll (executors catch a
/// task's panic and drop the future later).
struct Polling<'a> {
    scope: &'a CallScope,
    watch: PanicWatch,
    _current: EnterGuard<'a>,
}

impl<'a> Polling<'a> {
    #[inline]
    fn begin(scope: &'a CallScope) -> Polling<'a> {
        scope.begin();
        Polling {
            scope,
            watch: PanicWatch::arm(scope.plan().tracks()),
            _current: scope.enter(),
        }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        if self.watch.unwinding() {
            self.scope.note_panic();
        }
    }
}

/// Polls a call's body in `slot`; ready, the body completed.
fn poll_body<F: Future>(
    scope: &CallScope,
    slot: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    let what = "an annotated call's future";
    let poll = poll_inside(slot, cx, || Polling::begin(scope), what);
    if poll.is_ready() {
        scope.progress().complete(false);
    }
    poll
}

impl CallScope {
    /// Polls an async body, held in `fut`, with the call's collector current
    /// around every poll; `fut` is dropped in place, with the collector
    /// current, when it completes or when the returned future is dropped.
    pub fn run<'a, F: Future>(&'a self, fut: Pin<&'a mut Option<F>>) -> Run<'a, F> {
        Run { scope: self, fut }
    }
}

/// An async call's body, polled with the call's collector current
/// ([`CallScope::run`]).
#[must_use = "futures do nothing unless polled"]
pub struct Run<'a, F> {
    scope: &'a CallScope,
    fut: Pin<&'a mut Option<F>>,
}

impl<F: Future> Future for Run<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        poll_body(this.scope, this.fut.as_mut(), cx)
    }
}

impl<F> Drop for Run<'_, F> {
    /// A body dropped before it completed (a cancelled call) drops its
    /// locals with the call's collector current: what they record is the
    /// call's.
    fn drop(&mut self) {
        let scope = self.scope;
        drop_inside(self.fut.as_mut(), || scope.enter());
    }
}

pin_project! {
    /// The future returned by an annotated non-async function that returns a
    /// future (`-> impl Future<Output = T>`, `-> Pin<Box<dyn Future<...>>>`):
    /// the call lasts until that future completes or is dropped. Its
    /// collector is current around every poll, its outcome is the future's
    /// output, and it flushes when the future completes (or is dropped:
    /// `cancelled`).
    #[must_use = "futures do nothing unless polled"]
    pub struct CallFuture<F: Future> {
        scope: Option<CallScope>,
        #[pin]
        fut: Option<F>,
        is_error: fn(&F::Output) -> bool,
        error_text: fn(&F::Output) -> Option<String>,
    }

    impl<F: Future> PinnedDrop for CallFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(scope) = this.scope.as_ref() {
                drop_inside(this.fut, || scope.enter());
            }
        }
    }
}

impl<F: Future> CallFuture<F> {
    /// Wraps the future that the call returns; `is_error` tells an `Err`.
    pub fn new(scope: CallScope, fut: F, is_error: fn(&F::Output) -> bool) -> Self {
        CallFuture {
            scope: Some(scope),
            fut: Some(fut),
            is_error,
            error_text: |_| None,
        }
    }

    /// Reads how the future failed, in words, from its output (for the
    /// service check).
    pub fn error_text(mut self, error_text: fn(&F::Output) -> Option<String>) -> Self {
        self.error_text = error_text;
        self
    }
}

impl<F: Future + ?Sized> CallFuture<Pin<Box<F>>> {
    /// Wraps a future the call returns already boxed.
    pub fn boxed(scope: CallScope, fut: Pin<Box<F>>, is_error: fn(&F::Output) -> bool) -> Self {
        CallFuture::new(scope, fut, is_error)
    }
}

impl<F: Future> Future for CallFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(scope) = this.scope.as_ref() else {
            panic!("an annotated call's future polled after it completed");
        };
        let poll = poll_body(scope, this.fut, cx);
        if let Poll::Ready(output) = &poll {
            scope.progress().set_error((this.is_error)(output));
            if scope.plan().check.is_some() {
                scope.set_error_text((this.error_text)(output));
            }
            // The call ends here: its collector's own handle goes.
            *this.scope = None;
        }
        poll
    }
}
