//! Where errors are reported: the handler of a collector, else the global
//! one, else the default (the first error of each kind to stderr); every
//! error is counted in [`errors_seen`] whatever the handler does.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::errors::default_handler::report_to_stderr;
use crate::errors::error::Error;

/// A function that receives every [`Error`] met while recording or flushing.
///
/// It may be called from any thread, and while the thread is unwinding from a
/// panic; if it panics itself, the panic is contained and counted.
///
/// ```
/// use std::sync::Arc;
/// use collector_runtime::error::ErrorHandler;
///
/// let handler: ErrorHandler = Arc::new(|err| eprintln!("metrics: {err}"));
/// # let _ = handler;
/// ```
pub type ErrorHandler = Arc<dyn Fn(&Error) + Send + Sync>;

static ERRORS_SEEN: AtomicU64 = AtomicU64::new(0);
static HANDLER_PANICS: AtomicU64 = AtomicU64::new(0);
static GLOBAL_HANDLER: RwLock<Option<ErrorHandler>> = RwLock::new(None);

/// How many errors this process has met while recording or flushing, whatever
/// handler received them.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let before = collector_runtime::error::errors_seen();
/// let collector = collector_runtime::Collector::builder().build();
/// collector.incr("", ()); // an empty name is refused and counted
/// assert!(collector_runtime::error::errors_seen() > before);
/// ```
pub fn errors_seen() -> u64 {
    ERRORS_SEEN.load(Ordering::Relaxed)
}

/// How many times an error handler panicked (the panics were contained).
///
/// ```
/// assert_eq!(collector_runtime::error::error_handler_panics(), 0);
/// ```
pub fn error_handler_panics() -> u64 {
    HANDLER_PANICS.load(Ordering::Relaxed)
}

/// Installs the handler for errors of collectors built without one of their
/// own, and of the no-collector path, in place of the default.
///
/// The default writes the first error of each kind (configuration, send,
/// sink panic, refused name, refused value) to stderr, once per process,
/// with what it costs and what to do, for example:
///
/// ```text
/// collector-runtime: no metrics client: DD_DOGSTATSD_URL="localhost:8125" is not usable: it has no scheme; write udp://localhost:8125 (or unix:///path/to/dsd.socket for a Unix socket); no metrics are sent until it is fixed (collector_runtime::ClientConfig::from_env() checks it at start-up). Only the first error of each kind is written here; call collector_runtime::error::set_error_handler to handle every error yourself.
/// ```
///
/// and only counts the rest ([`errors_seen`]). A handler set here receives
/// every error instead, and nothing is written to stderr: send them to your
/// logger, or pass `|_| {}` to stay silent.
///
/// ```
/// use std::sync::Arc;
/// collector_runtime::error::set_error_handler(Arc::new(|err| eprintln!("metrics: {err}")));
/// // Or, to count errors without a word:
/// collector_runtime::error::set_error_handler(Arc::new(|_| {}));
/// ```
pub fn set_error_handler(handler: ErrorHandler) {
    *GLOBAL_HANDLER.write().unwrap_or_else(|e| e.into_inner()) = Some(handler);
}

/// Counts `n` errors that are not reported one by one: the rest of an
/// episode whose first error was.
pub(crate) fn count_only(n: u64) {
    ERRORS_SEEN.fetch_add(n, Ordering::Relaxed);
}

/// Counts `error` and hands it to `own` (or else the global handler, or else
/// the default, which writes the first of each kind to stderr), with any
/// panic of the handler contained: this runs inside `Drop` while unwinding.
pub(crate) fn report(own: Option<&ErrorHandler>, error: Error) {
    ERRORS_SEEN.fetch_add(1, Ordering::Relaxed);
    let global;
    let handler = match own {
        Some(handler) => handler,
        None => {
            global = GLOBAL_HANDLER
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            match &global {
                Some(handler) => handler,
                None => return report_to_stderr(&error),
            }
        }
    };
    if catch_unwind(AssertUnwindSafe(|| handler(&error))).is_err() {
        HANDLER_PANICS.fetch_add(1, Ordering::Relaxed);
    }
}
