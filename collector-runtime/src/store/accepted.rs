//! What a record gives back: taken, or refused with the error to report and
//! the handler it goes to.
//!
//! Every record returns this, and a refusal is rare: the refusal is boxed so
//! that the whole result is one pointer, returned in a register rather than
//! copied through memory on every record.

use crate::errors::error::Error;

use crate::errors::handler::{report, ErrorHandler};
use crate::input::sample::Sample;
use crate::store::Refused;

/// A refused record: its error, and the handler of the collector that
/// refused it.
pub(crate) struct Rejected(Box<(Error, Option<ErrorHandler>)>);

/// What recording into a collector gives back.
pub(crate) type Accepted = Result<(), Rejected>;

impl Rejected {
    #[cold]
    #[inline(never)]
    pub(crate) fn new(error: Error, handler: &Option<ErrorHandler>) -> Rejected {
        Rejected(Box::new((error, handler.clone())))
    }

    /// Hands the error to its handler. Called once no lock or borrow is
    /// held: a handler may record.
    pub(crate) fn report(self) {
        let (error, handler) = *self.0;
        report(handler.as_ref(), error);
    }
}

/// A value the wire cannot carry (NaN, an infinity, a duration of 2^64
/// nanoseconds or more) is refused.
#[inline]
pub(crate) fn check_value(name: &str, sample: Sample) -> Result<(), Error> {
    match sample {
        Sample::Value(bits) if !f64::from_bits(bits).is_finite() => Err(Error::NonFiniteValue {
            name: name.to_owned(),
            value: f64::from_bits(bits),
        }),
        Sample::Elapsed(u64::MAX) => Err(Error::DurationOutOfRange {
            name: name.to_owned(),
            elapsed: std::time::Duration::MAX,
        }),
        _ => Ok(()),
    }
}

/// [`check_value`], with the refusal going to `handler`.
#[inline]
pub(crate) fn checked(name: &str, sample: Sample, handler: &Option<ErrorHandler>) -> Accepted {
    check_value(name, sample).map_err(|error| Rejected::new(error, handler))
}

/// The error to report for a record a store refused, if any: a full
/// collector only counts.
#[inline]
pub(crate) fn refused(
    kept: Result<(), Refused>,
    name: &str,
    handler: &Option<ErrorHandler>,
) -> Accepted {
    match kept {
        Ok(()) | Err(Refused::Full) => Ok(()),
        Err(Refused::InvalidName) => Err(Rejected::new(
            Error::InvalidName {
                name: name.to_owned(),
            },
            handler,
        )),
    }
}
