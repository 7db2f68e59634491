//! An error handler for applications that already send their diagnostics
//! through the `log` facade (and so to `env_logger`, `tracing` through
//! `tracing-log`, syslog, ...): errors join the application's own log,
//! under its filters, instead of a line on stderr.

use std::sync::atomic::AtomicU32;

use crate::errors::default_handler::first_of_kind;
use crate::errors::error::Error;

/// The kinds already logged at `warn`.
static LOGGED: AtomicU32 = AtomicU32::new(0);

/// An error handler that forwards errors to the [`log`] crate, under the
/// target `collector_runtime`: the first error of each kind at
/// [`log::Level::Warn`](https://docs.rs/log/0.4/log/enum.Level.html#variant.Warn), and the ones after it at [`log::Level::Debug`](https://docs.rs/log/0.4/log/enum.Level.html#variant.Debug), so
/// that an agent that stays down does not flood the log at the usual level.
///
/// Install it with [`set_error_handler`](crate::error::set_error_handler) (or per
/// collector with
/// [`CollectorBuilder::error_handler`](crate::collector::CollectorBuilder::error_handler)):
///
/// ```
/// use std::sync::Arc;
///
/// collector_runtime::error::set_error_handler(Arc::new(collector_runtime::error::log_error));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub fn log_error(error: &Error) {
    log_to(&LOGGED, error);
}

fn log_to(logged: &AtomicU32, error: &Error) {
    let level = if first_of_kind(logged, error) {
        log::Level::Warn
    } else {
        log::Level::Debug
    };
    log::log!(target: "collector_runtime", level, "{error}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// What the test logger received: level, target and message.
    static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

    struct Keep;

    impl log::Log for Keep {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let entry = (
                record.level(),
                record.target().to_owned(),
                record.args().to_string(),
            );
            RECORDS.lock().unwrap().push(entry);
        }
        fn flush(&self) {}
    }

    #[test]
    fn the_first_error_of_a_kind_is_a_warning_and_the_rest_debug() {
        log::set_logger(&Keep).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        let logged = AtomicU32::new(0);
        let name = || Error::InvalidName { name: "|".into() };
        log_to(&logged, &name());
        log_to(&logged, &name());
        let records = RECORDS.lock().unwrap().clone();
        let text = name().to_string();
        assert_eq!(
            records,
            [
                (
                    log::Level::Warn,
                    "collector_runtime".to_owned(),
                    text.clone()
                ),
                (log::Level::Debug, "collector_runtime".to_owned(), text),
            ]
        );
    }
}
