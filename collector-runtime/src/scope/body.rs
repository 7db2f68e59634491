//! A sync body (or an async one that cannot suspend) running in place, with
//! its call's collector current: the guard that tells how it was left.

use std::cell::Cell;

use crate::scope::call::CallScope;
use crate::scope::context::EnterGuard;
use crate::scope::outcome::PanicWatch;

/// A body running in place, with the call's collector current.
///
/// The expansion tells it how the body ended when it can see the value
/// ([`Body::ended`]); dropped without that, the body was left by a panic
/// that started inside it, or else by an exit whose value the expansion
/// does not see (`?`, a `return` written inside a macro), which is an error
/// exactly when the function returns a `Result` ([`Body::returns_result`]).
#[must_use]
pub struct Body<'a> {
    scope: &'a CallScope,
    watch: PanicWatch,
    armed: Cell<bool>,
    returns_result: Cell<bool>,
    _current: EnterGuard<'a>,
}

impl CallScope {
    /// Runs a body in place (a sync call, or an async one that cannot
    /// suspend): the collector is current until the returned guard drops,
    /// and the guard tells how the body was left.
    #[inline]
    pub fn body(&self) -> Body<'_> {
        self.begin();
        Body {
            scope: self,
            watch: PanicWatch::arm(self.plan().tracks()),
            armed: Cell::new(true),
            returns_result: Cell::new(false),
            _current: self.enter(),
        }
    }
}

impl Body<'_> {
    /// Whether the function's return type is a `Result`, for exits whose
    /// value is not seen: `?` leaves a function that returns a `Result` only
    /// with an `Err`.
    #[inline]
    pub fn returns_result(&self, returns_result: bool) {
        self.returns_result.set(returns_result);
    }

    /// The body ended with an `Err` whose `Display` is `text` (for the
    /// service check); called just before [`Body::ended`].
    #[inline]
    pub fn error_text(&self, text: Option<String>) {
        if self.armed.get() {
            self.scope.set_error_text(text);
        }
    }

    /// The body ended with a value that is (or is not) an `Err`.
    #[inline]
    pub fn ended(&self, is_error: bool) {
        if self.armed.replace(false) {
            self.scope.progress().complete(is_error);
        }
    }

    /// Passes `value` through once the body that made it has ended without
    /// ending the call: the construction of a returned future.
    #[inline]
    pub fn constructed<T>(&self, value: T) -> T {
        self.armed.set(false);
        value
    }
}

impl Drop for Body<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.armed.get() {
            return;
        }
        if self.watch.unwinding() {
            self.scope.note_panic();
        } else {
            self.scope.progress().complete(self.returns_result.get());
        }
    }
}
