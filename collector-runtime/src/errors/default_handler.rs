//! What happens to an error when no handler was set: the first error of each
//! kind is written to stderr, once, with what it costs and what to do; the
//! rest are only counted.
//!
//! Silence by default hid a malformed `DD_DOGSTATSD_URL` for days (the job
//! returns `Ok`, every metric is dropped, the dashboard stays empty), and
//! one line per error would flood a log from a hot path: one line per kind
//! per process is what the user needs to act.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::errors::config::ConfigError;
use crate::errors::error::Error;

/// The kinds already written, one bit each.
static WRITTEN: AtomicU32 = AtomicU32::new(0);

/// Writes `error` to stderr if it is the first of its kind in this process.
/// Never panics: it runs in `Drop`, also while unwinding.
pub(crate) fn report_to_stderr(error: &Error) {
    write_first_of_kind(&WRITTEN, error, &mut std::io::stderr().lock());
}

/// Writes `error` to `out` unless `written` says its kind was written
/// already; a failed write is ignored, as there is nowhere left to report it.
pub(crate) fn write_first_of_kind(written: &AtomicU32, error: &Error, out: &mut impl Write) {
    if !first_of_kind(written, error) {
        return;
    }
    let (_, consequence) = describe(error);
    let _ = writeln!(
        out,
        "collector-runtime: {error}; {consequence} Only the first error of each kind is \
         written here; call collector_runtime::error::set_error_handler to handle every error yourself."
    );
}

/// Whether `error` is the first of its kind that `seen` is told of.
pub(crate) fn first_of_kind(seen: &AtomicU32, error: &Error) -> bool {
    let bit = 1 << describe(error).0;
    seen.fetch_or(bit, Ordering::Relaxed) & bit == 0
}

/// The error's kind (a bit index) and what it costs the user, with the fix
/// where the error's own text does not say it.
fn describe(error: &Error) -> (u32, &'static str) {
    match error {
        Error::Config(ConfigError::Invalid { .. }) => (
            0,
            "no metrics are sent until it is fixed \
             (collector_runtime::ClientConfig::from_env() checks it at start-up).",
        ),
        Error::Config(_) => (
            0,
            "no metrics are sent until it works; it is tried again at most once a second.",
        ),
        Error::Send { .. } => (
            1,
            "those lines are dropped, and so are the next payloads that fail, counted, \
             until one goes through; the count is then sent as collector.lines_dropped. \
             Is the agent running and listening there?",
        ),
        Error::Flush(_) => (
            1,
            "what the sink still held may be dropped. Is the agent running and listening there?",
        ),
        Error::OutboxFull { .. } => (
            5,
            "the agent is not taking lines as fast as they come (stalled, slow or absent); \
             further lines are dropped and counted, without a word, until there is room, \
             and their count is then sent as collector.lines_dropped.",
        ),
        Error::Undelivered { .. } => (
            6,
            "those lines are lost. The agent took too long to accept them; \
             Client::flush_timeout sets how long the end of the process waits.",
        ),
        Error::LineTooLong { .. } => (
            8,
            "the line was dropped and counted (sent as collector.lines_dropped); a tag or \
             name that long is usually a bug, or needs the Unix socket's larger payloads.",
        ),
        Error::SinkPanicked { .. } => (2, "those lines are lost."),
        Error::InvalidName { .. } => (3, "the record was dropped."),
        Error::NonFiniteValue { .. } | Error::DurationOutOfRange { .. } => {
            (4, "the record was dropped.")
        }
        Error::EmptyTitle => (3, "the event was dropped."),
        Error::FlushDeferred => (
            8,
            "its series go out once the execution has ended and its last handle is dropped; \
             call flush() on a collector of your own, or let the execution end.",
        ),
        Error::Cut { .. } => (
            7,
            "the rest of that text was not sent; a longer text needs the Unix socket's \
             larger payloads.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(value: &str) -> Error {
        Error::Config(ConfigError::Invalid {
            variable: "DD_DOGSTATSD_URL",
            value: value.to_owned(),
            reason: "it has no scheme".to_owned(),
        })
    }

    #[test]
    fn the_first_error_of_each_kind_is_written_once() {
        let written = AtomicU32::new(0);
        let mut out = Vec::new();
        write_first_of_kind(&written, &config_error("a:1"), &mut out);
        write_first_of_kind(&written, &config_error("b:2"), &mut out);
        let name = Error::InvalidName { name: "|".into() };
        write_first_of_kind(&written, &name, &mut out);
        write_first_of_kind(&written, &name, &mut out);
        let value = Error::NonFiniteValue {
            name: "x".into(),
            value: f64::NAN,
        };
        write_first_of_kind(&written, &value, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(
            lines[0],
            "collector-runtime: no metrics client: DD_DOGSTATSD_URL=\"a:1\" is not usable: \
             it has no scheme; no metrics are sent until it is fixed \
             (collector_runtime::ClientConfig::from_env() checks it at start-up). \
             Only the first error of each kind is written here; call \
             collector_runtime::error::set_error_handler to handle every error yourself."
        );
        assert!(lines[1].starts_with("collector-runtime: metric name \"|\" refused"));
        assert!(lines[2].contains("value NaN refused"));
    }

    #[test]
    fn a_failing_stderr_is_ignored() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        write_first_of_kind(&AtomicU32::new(0), &config_error("x"), &mut Closed);
    }
}
