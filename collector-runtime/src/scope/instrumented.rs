//! The one way a future runs inside an execution: polled with a guard held
//! (a collector current, a capture active), dropped in place inside the same
//! guard when it completes, and inside a fresh one when the wrapper is
//! dropped before that, so that what its locals record as they drop is the
//! execution's. The futures of an annotated call, of
//! [`WithCollector`](crate::WithCollector), of a capture and of the tower
//! layer all keep their inner future as a pinned `Option` and go through
//! these two functions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls the future in `slot` with `enter`'s guard held; once it is ready,
/// drops it in place before letting the guard go. Panics, saying `what`,
/// when the future has completed already.
#[inline]
pub(crate) fn poll_inside<F: Future, G>(
    mut slot: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
    enter: impl FnOnce() -> G,
    what: &str,
) -> Poll<F::Output> {
    let Some(fut) = slot.as_mut().as_pin_mut() else {
        panic!("{what} polled after it completed");
    };
    let _inside = enter();
    let poll = fut.poll(cx);
    if poll.is_ready() {
        slot.set(None);
    }
    poll
}

/// Drops the future in `slot`, if it has not completed, with `enter`'s
/// guard held.
#[inline]
pub(crate) fn drop_inside<F, G>(mut slot: Pin<&mut Option<F>>, enter: impl FnOnce() -> G) {
    if slot.is_some() {
        let _inside = enter();
        slot.set(None);
    }
}
