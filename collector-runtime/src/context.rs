//! Which collector is current on this thread.
//!
//! A thread-local stack of entered collectors: the free functions record into
//! the top one, and each [`EnterGuard`] takes its own entry off when dropped,
//! so nesting restores the outer collector.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::collector::Shared;

thread_local! {
    static CURRENT: RefCell<Vec<Arc<Shared>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps a collector current on this thread until dropped.
///
/// Returned by [`Collector::enter`](crate::Collector::enter). It cannot be
/// sent to another thread: enter the collector there instead.
///
/// ```
/// use collector_runtime::Collector;
///
/// let outer = Collector::new();
/// let inner = Collector::new();
/// let _outer = outer.enter();
/// {
///     let _inner = inner.enter();
///     collector_runtime::incr("inner.work", ());
/// }
/// collector_runtime::incr("outer.work", ());
/// assert_eq!((outer.len(), inner.len()), (1, 1));
/// ```
#[must_use = "the collector is current only while the guard lives"]
pub struct EnterGuard<'a> {
    /// The entered collector's address, to find its entry again; `None` when
    /// nothing was pushed.
    entry: Option<usize>,
    _not_send: PhantomData<(&'a (), *const ())>,
}

pub(crate) fn enter<'a>(shared: &Arc<Shared>) -> EnterGuard<'a> {
    let entry = CURRENT
        .try_with(|stack| stack.borrow_mut().push(Arc::clone(shared)))
        .ok()
        // During thread teardown nothing can be current; records made then
        // take the no-collector path.
        .map(|()| Arc::as_ptr(shared) as usize);
    EnterGuard {
        entry,
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let Some(entry) = self.entry else { return };
        let _ = CURRENT.try_with(|stack| {
            if let Ok(mut stack) = stack.try_borrow_mut() {
                // The top one, unless guards are dropped out of order.
                let ours = stack
                    .iter()
                    .rposition(|shared| Arc::as_ptr(shared) as usize == entry);
                if let Some(at) = ours {
                    stack.remove(at);
                }
            }
        });
    }
}

/// Runs `f` on the current collector, if there is one.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Shared) -> R) -> Option<R> {
    CURRENT
        .try_with(|stack| match stack.try_borrow() {
            Ok(stack) => stack.last().map(|shared| f(shared)),
            Err(_) => None,
        })
        .ok()
        .flatten()
}
