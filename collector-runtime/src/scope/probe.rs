//! What the expansion of `#[collect_metrics]` asks of the values it sees,
//! by autoref (the first trait that applies wins): whether the return type
//! is a `Result`, whether a value is an `Err`, and the error's text.
//!
//! Not a stable API: reached through `__private` by generated code only.

use std::fmt::Display;
use std::marker::PhantomData;

/// The function's return type `R`, tied to it by a `return` that never runs,
/// so that [`ResultKind`] can tell whether it is a `Result`.
pub struct ReturnKind<R>(PhantomData<fn() -> R>);

impl<R> ReturnKind<R> {
    /// The kind of a return type yet to be inferred.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ReturnKind(PhantomData)
    }

    /// A value of the return type, for a `return` that never runs.
    pub fn never(&self) -> R {
        unreachable!("collect_metrics: the return type probe never runs")
    }
}

/// Tells a `Result` return type apart, by autoref:
/// `(&&kind).__collector_returns_result()`.
pub trait ResultKind {
    /// Whether the return type is a `Result`.
    fn __collector_returns_result(&self) -> bool;
}

impl<T, E> ResultKind for &ReturnKind<Result<T, E>> {
    fn __collector_returns_result(&self) -> bool {
        true
    }
}

/// The fallback of [`ResultKind`]: any other return type.
pub trait OtherKind {
    /// Always `false`.
    fn __collector_returns_result(&self) -> bool;
}

impl<R> OtherKind for &&ReturnKind<R> {
    fn __collector_returns_result(&self) -> bool {
        false
    }
}

/// Tells a returned `Result::Err` apart, by autoref: `(&&value).__collector_is_err()`.
pub trait ErrProbe {
    /// Whether the value is an `Err`.
    fn __collector_is_err(&self) -> bool;
}

impl<T, E> ErrProbe for &Result<T, E> {
    fn __collector_is_err(&self) -> bool {
        self.is_err()
    }
}

/// The fallback of [`ErrProbe`]: any other value is not an error.
pub trait OkProbe {
    /// Always `false`.
    fn __collector_is_err(&self) -> bool;
}

impl<T> OkProbe for &&T {
    fn __collector_is_err(&self) -> bool {
        false
    }
}

/// The text of a returned `Err` whose type has `Display`, by autoref:
/// `(&&value).__collector_err_text()`.
pub trait ErrText {
    /// The error's `Display`, when the value is an `Err`.
    fn __collector_err_text(&self) -> Option<String>;
}

impl<T, E: Display> ErrText for &Result<T, E> {
    fn __collector_err_text(&self) -> Option<String> {
        self.as_ref().err().map(ToString::to_string)
    }
}

/// The fallback of [`ErrText`]: any other value has no error text.
pub trait NoText {
    /// Always `None`.
    fn __collector_err_text(&self) -> Option<String>;
}

impl<T> NoText for &&T {
    fn __collector_err_text(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    fn the_probe_sees_errors_only_in_results() {
        let err: Result<u8, ()> = Err(());
        let ok: Result<u8, ()> = Ok(1);
        let other = 5u8;
        assert!((&&err).__collector_is_err());
        assert!(!(&&ok).__collector_is_err());
        assert!(!(&&other).__collector_is_err());
    }

    #[test]
    fn the_probe_reads_display_errors_only() {
        let shown: Result<(), String> = Err("table is locked".into());
        let opaque: Result<(), Opaque> = Err(Opaque);
        let fine: Result<u8, String> = Ok(1);
        assert_eq!(
            (&&shown).__collector_err_text().as_deref(),
            Some("table is locked")
        );
        assert_eq!((&&opaque).__collector_err_text(), None);
        assert_eq!((&&fine).__collector_err_text(), None);
        assert_eq!((&&5u8).__collector_err_text(), None);
    }
}
