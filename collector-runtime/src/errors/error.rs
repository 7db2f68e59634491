//! What can go wrong while recording or flushing, and where it is reported.
//!
//! Recording and flushing never return errors to the caller and never panic:
//! a metrics library must not turn a user's success into a failure. Every
//! problem is instead handed to an [`ErrorHandler`] (per collector, or the
//! global one), and counted in [`errors_seen`] whatever the handler does.
//! With no handler set, the first error of each kind is written to stderr.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::errors::default_handler::report_to_stderr;
use crate::send::config::ConfigError;

/// A problem met while recording or flushing metrics.
///
/// ```
/// use collector_runtime::Error;
///
/// let err = Error::InvalidName { name: "|||".to_owned() };
/// assert!(err.to_string().contains("|||"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A metric name that is empty or has no letter or digit was refused.
    InvalidName {
        /// The name as the caller gave it.
        name: String,
    },
    /// A value that is NaN or infinite was refused.
    NonFiniteValue {
        /// The metric's name.
        name: String,
        /// The refused value.
        value: f64,
    },
    /// The sink failed to take a payload: its lines were dropped (counted
    /// and sent as [`LINES_DROPPED_METRIC`](crate::LINES_DROPPED_METRIC)
    /// once a flush has room).
    Send {
        /// The name of the payload's first metric.
        name: String,
        /// How many lines the payload held.
        lines: usize,
        /// The sink's error.
        source: cadence::MetricError,
    },
    /// Flushing the client's buffered sink failed.
    Flush(cadence::MetricError),
    /// The sink panicked while sending or flushing; the panic was contained.
    SinkPanicked {
        /// The first metric of the payload being sent, or `None` while
        /// flushing the sink.
        name: Option<String>,
    },
    /// The default client could not be built from the environment.
    Config(ConfigError),
    /// A flush's lines were refused: the client's outbox already held its
    /// bound of lines waiting for the agent.
    OutboxFull {
        /// How many lines were dropped.
        lines: usize,
        /// The outbox's bound, in bytes.
        bound: usize,
    },
    /// An event with an empty title was refused: the agent needs one.
    EmptyTitle,
    /// A service check's message, or an event's title or text, did not fit
    /// in one payload: it was sent cut (at a character boundary), so that
    /// the line still goes out whole in one datagram.
    Cut {
        /// What was cut: `"service check message"`, `"event text"` or
        /// `"event title"`.
        what: &'static str,
        /// The service check's name or the event's title (as given).
        name: String,
        /// Its length in bytes as it would have been sent.
        len: usize,
        /// How many of those bytes were sent.
        sent: usize,
    },
    /// Lines were still waiting for the sender when the wait for them (the
    /// end of the process, [`flush`](crate::flush)) ran out of time.
    Undelivered {
        /// How many lines were waiting.
        lines: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidName { name } => write!(
                f,
                "metric name {name:?} refused: a name needs at least one letter or digit"
            ),
            Error::NonFiniteValue { name, value } => {
                write!(
                    f,
                    "metric {name:?}: value {value} refused: values must be finite"
                )
            }
            Error::Send {
                name,
                lines: 1,
                source,
            } => write!(f, "metric {name:?} not sent: {source}"),
            Error::Send {
                name,
                lines,
                source,
            } => write!(
                f,
                "{lines} metric lines (the first {name:?}) not sent: {source}"
            ),
            Error::Flush(source) => write!(f, "flushing the metric sink failed: {source}"),
            Error::SinkPanicked { name: Some(name) } => {
                write!(f, "the metric sink panicked while sending {name:?}")
            }
            Error::SinkPanicked { name: None } => {
                write!(f, "the metric sink panicked while flushing")
            }
            Error::Config(err) => write!(f, "no metrics client: {err}"),
            Error::OutboxFull { lines, bound } => write!(
                f,
                "{lines} metric lines dropped: {bound} bytes of lines are already waiting \
                 for the agent"
            ),
            Error::EmptyTitle => write!(f, "event refused: its title is empty"),
            Error::Cut {
                what,
                name,
                len,
                sent,
            } => write!(
                f,
                "{what} of {name:?} cut from {len} to {sent} bytes to fit in one payload"
            ),
            Error::Undelivered { lines } => write!(
                f,
                "{lines} metric lines were still waiting for the agent when the wait for \
                 them ended"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Send { source, .. } | Error::Flush(source) => Some(source),
            Error::Config(err) => Some(err),
            _ => None,
        }
    }
}

/// A function that receives every [`Error`] met while recording or flushing.
///
/// It may be called from any thread, and while the thread is unwinding from a
/// panic; if it panics itself, the panic is contained and counted.
///
/// ```
/// use std::sync::Arc;
/// use collector_runtime::ErrorHandler;
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
/// let before = collector_runtime::errors_seen();
/// let collector = collector_runtime::Collector::builder().build();
/// collector.incr("", ()); // an empty name is refused and counted
/// assert!(collector_runtime::errors_seen() > before);
/// ```
pub fn errors_seen() -> u64 {
    ERRORS_SEEN.load(Ordering::Relaxed)
}

/// How many times an error handler panicked (the panics were contained).
///
/// ```
/// assert_eq!(collector_runtime::error_handler_panics(), 0);
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
/// collector-runtime: no metrics client: DD_DOGSTATSD_URL="localhost:8125" is not usable: it has no scheme; write udp://localhost:8125 (or unix:///path/to/dsd.socket for a Unix socket); no metrics are sent until it is fixed (collector_runtime::ClientConfig::from_env() checks it at start-up). Only the first error of each kind is written here; call collector_runtime::set_error_handler to handle every error yourself.
/// ```
///
/// and only counts the rest ([`errors_seen`]). A handler set here receives
/// every error instead, and nothing is written to stderr: send them to your
/// logger, or pass `|_| {}` to stay silent.
///
/// ```
/// use std::sync::Arc;
/// collector_runtime::set_error_handler(Arc::new(|err| eprintln!("metrics: {err}")));
/// // Or, to count errors without a word:
/// collector_runtime::set_error_handler(Arc::new(|_| {}));
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
