//! Which spans' collectors this thread made current: tracing tells a layer
//! of a span's enter and exit in two callbacks, so the guard that keeps a
//! collector current lives here between them, per thread, as a span's
//! enter does.

use std::cell::RefCell;

use tracing::span::Id;

use crate::scope::context::EnterGuard;

thread_local! {
    /// Innermost last. An entry without a guard is a span with an execution
    /// that was entered where something else was current already.
    static ENTERED: RefCell<Vec<(u64, Option<EnterGuard<'static>>)>> =
        const { RefCell::new(Vec::new()) };
}

/// Keeps `guard` until the span `id` is exited on this thread.
pub(super) fn push(id: &Id, guard: Option<EnterGuard<'static>>) {
    // During thread teardown, or if re-entered from inside, the guard drops
    // at once and the collector is not current, as for any enter then.
    let _ = ENTERED.try_with(|entered| {
        if let Ok(mut entered) = entered.try_borrow_mut() {
            entered.push((id.into_u64(), guard));
        }
    });
}

/// The span `id` was exited on this thread: its innermost entry goes (the
/// last one pushed, unless spans are exited out of order).
pub(super) fn pop(id: &Id) {
    let id = id.into_u64();
    let guard = ENTERED
        .try_with(|entered| {
            let mut entered = entered.try_borrow_mut().ok()?;
            let at = entered.iter().rposition(|(held, _)| *held == id)?;
            Some(entered.remove(at).1)
        })
        .ok()
        .flatten();
    // Dropped outside the borrow: the frame's records join the collector.
    drop(guard);
}
