//! Which events say that a span failed: an ERROR-level event with a field
//! named `error`, what `#[instrument(err)]` emits when the function
//! returns an `Err` (`error = %e`). Other ERROR-level events (a log line
//! about a retry that then succeeded, say) leave the outcome alone: a
//! span's outcome is how it ended, and a log line inside it says how one
//! step went.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level};

/// The name of the field that carries the error.
const ERROR_FIELD: &str = "error";

/// Whether events of this callsite can say that a span failed.
pub(super) fn may_fail(metadata: &tracing::Metadata<'_>) -> bool {
    *metadata.level() == Level::ERROR && metadata.fields().field(ERROR_FIELD).is_some()
}

/// The error's text, when `event` says that its span failed.
pub(super) fn failure(event: &Event<'_>) -> Option<String> {
    if !may_fail(event.metadata()) {
        return None;
    }
    let mut text = ErrorText(None);
    event.record(&mut text);
    Some(text.0.unwrap_or_default())
}

struct ErrorText(Option<String>);

impl Visit for ErrorText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == ERROR_FIELD {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if field.name() == ERROR_FIELD {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `error = %e` records a `DisplayValue`, whose `Debug` is the
        // error's `Display`.
        if field.name() == ERROR_FIELD {
            self.0 = Some(format!("{value:?}"));
        }
    }
}
