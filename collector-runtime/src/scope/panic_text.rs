//! The message of the panic unwinding this thread, for the service check
//! of an annotated call that a panic left.
//!
//! A `Drop` that runs during an unwind cannot see the panic's payload, and
//! a sync body cannot be wrapped in `catch_unwind` without a closure
//! between the caller and the body (which would change what `return`, `?`
//! and `#[track_caller]` mean). So a panic hook, installed the first time
//! a call with `service_check` starts, keeps the message of each panic in
//! a thread-local before the unwind begins, then calls the hook that was
//! installed before it (by default, the one that prints the message). A
//! hook set later replaces it; the check then says `panicked`.

use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the hook, once per process.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    // Setting a hook while panicking would panic: wait for a later call.
    if std::thread::panicking() {
        return;
    }
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            let _ = LAST.try_with(|last| {
                if let Ok(mut last) = last.try_borrow_mut() {
                    *last = text;
                }
            });
            previous(info);
        }));
    });
}

/// Forgets the message of a panic caught before the body began, so that a
/// body left by a panic the hook did not see never reports an older one.
pub(crate) fn forget() {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = None;
        }
    });
}

/// The message of the last panic on this thread, as `panicked: <message>`;
/// `None` when it was not a string or the hook did not see it.
pub(crate) fn take() -> Option<String> {
    LAST.try_with(|last| last.try_borrow_mut().ok()?.take())
        .ok()
        .flatten()
        .map(|text| format!("panicked: {text}"))
}
