//! The service check an annotated call with `service_check` sends when it
//! ends: `OK` when it ended `ok`, `CRITICAL` otherwise, with a message that
//! says how (the error's `Display`, the panic's message, `cancelled`).
//!
//! The error's text is read where the expansion sees the returned value,
//! by autoref ([`ErrText`] before [`NoText`]): a `Result` whose error type
//! has `Display` gives it, any other value gives none.

use std::fmt::Display;

use crate::input::check::{ServiceCheck, Status};
use crate::input::notice::Notice;

/// The check of a call named `name` that ended with `outcome` (an
/// `outcome:...` tag), and the text the call saw, if any.
pub(crate) fn call_check(name: &'static str, outcome: &str, text: Option<String>) -> Notice {
    let (status, fallback) = match outcome {
        "outcome:ok" => (Status::Ok, None),
        "outcome:error" => (Status::Critical, Some("returned an error")),
        "outcome:panic" => (Status::Critical, Some("panicked")),
        _ => (Status::Critical, Some("cancelled")),
    };
    let mut check = ServiceCheck::new(name, status);
    check.message = match (status, text) {
        (Status::Ok, _) => None,
        (_, Some(text)) => Some(text),
        (_, None) => fallback.map(str::to_owned),
    };
    Notice::Check(Box::new(check))
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

    #[test]
    fn each_outcome_has_its_status_and_message() {
        let check =
            |outcome, text: Option<&str>| match call_check("job", outcome, text.map(Into::into)) {
                Notice::Check(check) => (check.status, check.message),
                Notice::Event(_) => unreachable!(),
            };
        assert_eq!(check("outcome:ok", Some("x")), (Status::Ok, None));
        let boom = Some("boom".to_owned());
        assert_eq!(
            check("outcome:error", Some("boom")),
            (Status::Critical, boom)
        );
        let default = Some("returned an error".to_owned());
        assert_eq!(check("outcome:error", None), (Status::Critical, default));
        let panicked = Some("panicked".to_owned());
        assert_eq!(check("outcome:panic", None), (Status::Critical, panicked));
        let cancelled = Some("cancelled".to_owned());
        assert_eq!(
            check("outcome:cancelled", None),
            (Status::Critical, cancelled)
        );
    }
}
