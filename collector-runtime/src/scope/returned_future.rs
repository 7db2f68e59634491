//! A sync function whose return type is a future only through a path the
//! macro cannot read as one (an alias such as `futures::future::BoxFuture`,
//! `type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>`):
//! the type system tells, by autoref, where the macro's reading of the
//! tokens cannot.
//!
//! `(&&&kind).__collector_future()` on the function's [`ReturnKind`] gives,
//! in this order:
//!
//! - a boxed `dyn Future` ([`BoxedDynFuture`]): a function that wraps the
//!   returned future in the call's future and boxes it again as the same
//!   type, so the call lasts until the future completes;
//! - any other future ([`UnwrappableFuture`]): a compile error naming the
//!   fix, since a value of that type cannot be rebuilt around the call;
//! - anything else ([`NotAFuture`]): `None`, the call ends when the body
//!   returns.

use std::future::Future;
use std::pin::Pin;

use crate::scope::call::CallScope;
use crate::scope::call_future::CallFuture;
use crate::scope::probe::ReturnKind;

/// Wraps the returned future `R` (whose output is `O`) in the call's
/// future: the scope, the future, how to tell an error from the output and
/// how to read its text.
pub type WrapFuture<R, O> = fn(CallScope, R, fn(&O) -> bool, fn(&O) -> Option<String>) -> R;

/// A return type that is a boxed `dyn Future`: measured as that future.
pub trait BoxedDynFuture<R> {
    /// The future's output.
    type Output;

    /// How to wrap the returned future.
    fn __collector_future(&self) -> Option<WrapFuture<R, Self::Output>>;
}

/// Implements [`BoxedDynFuture`] for `Pin<Box<dyn Future<Output = O> +
/// $bounds + 'a>>`, one `dyn` type per set of auto traits.
macro_rules! boxed_dyn_future {
    ($($bound:ident)*) => {
        impl<'a, O: 'a> BoxedDynFuture<Pin<Box<dyn Future<Output = O> $(+ $bound)* + 'a>>>
            for &&ReturnKind<Pin<Box<dyn Future<Output = O> $(+ $bound)* + 'a>>>
        {
            type Output = O;

            fn __collector_future(
                &self,
            ) -> Option<WrapFuture<Pin<Box<dyn Future<Output = O> $(+ $bound)* + 'a>>, O>> {
                Some(|scope, fut, is_error, error_text| {
                    Box::pin(CallFuture::boxed(scope, fut, is_error).error_text(error_text))
                })
            }
        }
    };
}

boxed_dyn_future!();
boxed_dyn_future!(Send);
boxed_dyn_future!(Sync);
boxed_dyn_future!(Send Sync);

/// Names the fix in the error a function gets when it returns a future that
/// the attribute cannot wrap: declare the return type as `impl Future<Output
/// = T>` or `Pin<Box<dyn Future<Output = T> + Send + '_>>`, and the call is
/// measured until the future completes. Implemented by no type.
pub trait ReturnImplFutureOrPinBoxDynFutureForCollectMetricsToMeasureIt {}

/// A return type that is a future of another kind (a named future type, a
/// `Pin<Box<F>>` of a sized `F`): refused at compile time, since the call
/// would otherwise end before the future runs.
pub trait UnwrappableFuture<R> {
    /// The call cannot wrap `R`; the bound is never met.
    fn __collector_future(&self) -> Option<WrapFuture<R, ()>>
    where
        R: ReturnImplFutureOrPinBoxDynFutureForCollectMetricsToMeasureIt;
}

impl<R: Future> UnwrappableFuture<R> for &ReturnKind<R> {
    fn __collector_future(&self) -> Option<WrapFuture<R, ()>>
    where
        R: ReturnImplFutureOrPinBoxDynFutureForCollectMetricsToMeasureIt,
    {
        None
    }
}

/// Any other return type: the call ends when the body returns.
pub trait NotAFuture<R> {
    /// Always `None`.
    fn __collector_future(&self) -> Option<WrapFuture<R, ()>>;
}

impl<R> NotAFuture<R> for ReturnKind<R> {
    fn __collector_future(&self) -> Option<WrapFuture<R, ()>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The borrows are the probe: each level of `&` selects one trait.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn only_a_boxed_dyn_future_is_wrapped() {
        type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
        let boxed = ReturnKind::<BoxFut<'static, u8>>::new();
        assert!((&&&boxed).__collector_future().is_some());
        let local = ReturnKind::<Pin<Box<dyn Future<Output = u8>>>>::new();
        assert!((&&&local).__collector_future().is_some());
        let plain = ReturnKind::<u8>::new();
        assert!((&&&plain).__collector_future().is_none());
    }
}
