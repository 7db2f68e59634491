//! How an execution ended: [`Outcome`], and the running state an
//! execution keeps to tell it ([`Progress`]).

use std::sync::atomic::{AtomicU8, Ordering};

/// How an execution ended: an annotated call, a request of the tower
/// layer, a span of the tracing layer, or a collector built by hand and
/// ended with [`Collector::end`](crate::Collector::end).
///
/// With `outcome` on, every line of the execution carries its tag
/// (`outcome:ok`, `outcome:error`, `outcome:panic`, `outcome:cancelled`);
/// with a service check, `Ok` sends `OK` and the others `CRITICAL`.
///
/// ```
/// use collector_runtime::collector::Outcome;
///
/// assert_eq!(Outcome::Ok.tag(), "outcome:ok");
/// assert_eq!(Outcome::Cancelled.tag(), "outcome:cancelled");
/// assert!(Outcome::Ok.is_ok() && !Outcome::Panic.is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Completed: a value that is not an `Err`, a response, a span closed.
    Ok,
    /// Completed with an error: an `Err`, a server error, an error event.
    Error,
    /// Left by a panic that started inside it.
    Panic,
    /// Dropped before it completed: a future, a request whose client hung up.
    Cancelled,
}

impl Outcome {
    /// Its tag, `outcome:<word>`.
    ///
    /// ```
    /// assert_eq!(collector_runtime::collector::Outcome::Error.tag(), "outcome:error");
    /// ```
    pub const fn tag(self) -> &'static str {
        match self {
            Outcome::Ok => "outcome:ok",
            Outcome::Error => "outcome:error",
            Outcome::Panic => "outcome:panic",
            Outcome::Cancelled => "outcome:cancelled",
        }
    }

    /// Whether it is [`Outcome::Ok`].
    ///
    /// ```
    /// assert!(collector_runtime::collector::Outcome::Ok.is_ok());
    /// ```
    pub const fn is_ok(self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// What a service check says when the execution gave no words of its
    /// own; `None` for `Ok`, whose check has no message.
    pub(crate) const fn fallback_text(self) -> Option<&'static str> {
        match self {
            Outcome::Ok => None,
            Outcome::Error => Some("returned an error"),
            Outcome::Panic => Some("panicked"),
            Outcome::Cancelled => Some("cancelled"),
        }
    }
}

/// Not begun: an execution that never ran ended `ok`.
const IDLE: u8 = 0;
/// Begun and not completed: dropped now, it ends `cancelled`.
const RUNNING: u8 = 1;
const OK: u8 = 2;
const ERROR: u8 = 3;
const PANIC: u8 = 4;

/// Where an execution is, in one byte: plain stores, no read-modify-write,
/// so that the common call pays no more than a move per step. An atomic, not
/// a cell: an async call's future holds it across awaits and must be `Send`.
pub(crate) struct Progress(AtomicU8);

impl Progress {
    #[inline]
    pub(crate) const fn new() -> Progress {
        Progress(AtomicU8::new(IDLE))
    }

    /// The body began to run (again, for an async body's next poll: one
    /// that panicked is never polled again).
    #[inline]
    pub(crate) fn begin(&self) {
        self.0.store(RUNNING, Ordering::Relaxed);
    }

    /// The body completed, with an error or not.
    #[inline]
    pub(crate) fn complete(&self, is_error: bool) {
        self.0
            .store(if is_error { ERROR } else { OK }, Ordering::Relaxed);
    }

    /// A completed body's value turned out to be an error, or not.
    #[inline]
    pub(crate) fn set_error(&self, is_error: bool) {
        if self.0.load(Ordering::Relaxed) != PANIC {
            self.complete(is_error);
        }
    }

    /// A panic left the body.
    #[inline]
    pub(crate) fn panicked(&self) {
        self.0.store(PANIC, Ordering::Relaxed);
    }

    pub(crate) fn outcome(&self) -> Outcome {
        match self.0.load(Ordering::Relaxed) {
            RUNNING => Outcome::Cancelled,
            ERROR => Outcome::Error,
            PANIC => Outcome::Panic,
            _ => Outcome::Ok,
        }
    }
}

/// Tells whether a panic that started while it was alive is unwinding when
/// it drops: armed where a body (or one poll of it) begins. One that began
/// during an unwind (a body run by a `Drop`) cannot be left by a new panic
/// without aborting, so it never reports one.
/// Armed only where how the execution ends is wanted: the common call asks
/// nothing of the thread's panic state.
pub(crate) struct PanicWatch {
    armed: bool,
}

impl PanicWatch {
    #[inline]
    pub(crate) fn arm(wanted: bool) -> PanicWatch {
        PanicWatch {
            armed: wanted && !std::thread::panicking(),
        }
    }

    /// Whether a panic that began after [`PanicWatch::arm`] is unwinding.
    #[inline]
    pub(crate) fn unwinding(&self) -> bool {
        self.armed && std::thread::panicking()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_tells_each_ending() {
        let never = Progress::new();
        assert_eq!(never.outcome(), Outcome::Ok);
        let dropped = Progress::new();
        dropped.begin();
        assert_eq!(dropped.outcome(), Outcome::Cancelled);
        let failed = Progress::new();
        failed.begin();
        failed.complete(false);
        failed.set_error(true);
        assert_eq!(failed.outcome(), Outcome::Error);
        let panicked = Progress::new();
        panicked.begin();
        panicked.panicked();
        panicked.set_error(false);
        assert_eq!(panicked.outcome(), Outcome::Panic);
    }
}
