//! What can go wrong while recording or flushing.
//!
//! Recording and flushing never return errors to the caller and never panic:
//! a metrics library must not turn a user's success into a failure. Every
//! problem is instead handed to an
//! [`ErrorHandler`](crate::error::ErrorHandler) (see
//! `errors/handler.rs`).

use std::fmt;

use crate::errors::config::ConfigError;

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
    /// A duration the wire cannot carry was refused: `u64::MAX`
    /// nanoseconds (about 584 years) or more, such as `Duration::MAX`, for
    /// one record or for what a series' records add up to.
    DurationOutOfRange {
        /// The metric's name.
        name: String,
        /// The refused duration.
        elapsed: std::time::Duration,
    },
    /// The sink failed to take a payload: its lines were dropped (counted
    /// and sent as [`LINES_DROPPED_METRIC`](crate::telemetry::LINES_DROPPED_METRIC)
    /// once a flush has room).
    Send {
        /// The name of the payload's first metric.
        name: String,
        /// How many lines the payload held.
        lines: usize,
        /// The sink's error.
        source: cadence::MetricError,
    },
    /// Flushing the client's sink (after a run of payloads, on the sender
    /// thread) failed.
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
    /// The process ended with lines neither sent nor dropped: the wait for
    /// them at the end of the process ran out of time (or the sink had
    /// hung, and a wait had already run out). Said once per process.
    Undelivered {
        /// How many lines were never sent.
        lines: u64,
        /// Of those, the lines inside a write to the sink that had not
        /// returned: they may still have arrived.
        in_flight: u64,
    },
    /// A line longer than a payload was refused, alone: no datagram could
    /// carry it. The lines beside it are sent.
    LineTooLong {
        /// The line's metric name, cut to a readable length.
        name: String,
        /// The line's length in bytes.
        len: usize,
        /// The most bytes of lines a payload holds.
        limit: usize,
        /// How many lines of the same flush were refused so.
        lines: usize,
    },
    /// [`Collector::flush`](crate::Collector::flush) was called on the
    /// collector of an execution (an annotated call, a request of the tower
    /// layer, a span of the tracing layer, a collector built with `timing`,
    /// `outcome` or `service_check`): nothing was sent then. An execution's
    /// series go out once, with its outcome and duration, when it has ended
    /// and its last handle is dropped.
    FlushDeferred,
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
            Error::DurationOutOfRange { name, elapsed } => write!(
                f,
                "metric {name:?}: duration {elapsed:?} refused: durations must be shorter \
                 than u64::MAX nanoseconds (about 584 years)"
            ),
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
            Error::Undelivered {
                lines,
                in_flight: 0,
            } => write!(f, "the process ended with {lines} metric lines not sent"),
            Error::Undelivered { lines, in_flight } => write!(
                f,
                "the process ended with {lines} metric lines not sent ({in_flight} of them \
                 inside a write to the sink that had not returned, which may have arrived)"
            ),
            Error::LineTooLong {
                name,
                len,
                limit,
                lines,
            } => write!(
                f,
                "metric {name:?}: a line of {len} bytes refused, longer than a payload \
                 ({limit} bytes); {lines} such line(s) in this flush"
            ),
            Error::FlushDeferred => write!(
                f,
                "flush() sent nothing: this collector is an execution's, sent once when the \
                 execution has ended and its last handle is dropped"
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
