//! The error text of a sync body left by `?`, for the service check.
//!
//! `?` returns from the function without the expansion seeing the value, so
//! the expansion rewrites each `expr?` of the body into
//! `(&&&TryExit::new(expr, &kind)).__collector_try(&body)?`. When `expr` is
//! a `Result<T, E>` and the function returns `Result<U, F>` with `F:
//! From<E> + Display` ([`ConvertShown`]), the probe does the conversion `?`
//! would do, once, and tells the body the converted error's `Display`; the
//! `?` that follows then converts `F` into itself. Anything else
//! ([`Unchanged`]) is passed through untouched.

use std::cell::Cell;
use std::fmt::Display;

use crate::scope::body::Body;
use crate::scope::probe::ReturnKind;

/// The operand of one `?`, beside the function's return type `R`.
pub struct TryExit<X, R> {
    operand: Cell<Option<X>>,
    _returns: ReturnKind<R>,
}

impl<X, R> TryExit<X, R> {
    /// Holds `operand`, read once by the probe.
    #[inline]
    pub fn new(operand: X, _kind: &ReturnKind<R>) -> Self {
        TryExit {
            operand: Cell::new(Some(operand)),
            _returns: ReturnKind::new(),
        }
    }

    #[inline]
    fn take(&self) -> X {
        self.operand
            .take()
            .expect("collect_metrics: a `?` operand is read once")
    }
}

/// A `Result` operand in a function returning a `Result` whose error type
/// has `Display`: converted here, its text told to the body.
pub trait ConvertShown<T, F> {
    /// The operand, its error converted into the function's.
    fn __collector_try(&self, body: &Body<'_>) -> Result<T, F>;
}

impl<T, E, U, F: From<E> + Display> ConvertShown<T, F> for &&TryExit<Result<T, E>, Result<U, F>> {
    #[inline]
    fn __collector_try(&self, body: &Body<'_>) -> Result<T, F> {
        self.take().map_err(|error| {
            let error = F::from(error);
            body.error_text(Some(error.to_string()));
            error
        })
    }
}

/// Any other operand: passed through.
pub trait Unchanged<X> {
    /// The operand itself.
    fn __collector_try(&self, body: &Body<'_>) -> X;
}

impl<X, R> Unchanged<X> for TryExit<X, R> {
    #[inline]
    fn __collector_try(&self, _body: &Body<'_>) -> X {
        self.take()
    }
}
