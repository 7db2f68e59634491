//! A service check: a named status (`OK`, `WARNING`, `CRITICAL`, `UNKNOWN`)
//! that a Datadog monitor watches, such as "did the last cron run succeed".

use std::time::{SystemTime, UNIX_EPOCH};

use crate::input::sanitize::clean_tag;
use crate::input::tags::Tags;

/// The status of a [`ServiceCheck`], sent as its number.
///
/// ```
/// use collector_runtime::checks_events::Status;
///
/// assert_eq!(Status::Ok as u8, 0);
/// assert_eq!(Status::Critical as u8, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `0`: healthy.
    Ok = 0,
    /// `1`: degraded.
    Warning = 1,
    /// `2`: failed.
    Critical = 2,
    /// `3`: not known.
    Unknown = 3,
}

/// One service check, built with its optional fields and recorded with
/// [`service_check`](crate::service_check) or
/// [`Collector::service_check`](crate::Collector::service_check).
///
/// Tags follow the tag rule of every line (see
/// [`sanitize_tag`](crate::tags::sanitize_tag)); the name follows the name rule;
/// the message may hold any text: its line breaks are sent as `\n` and a
/// `|` as `¦`, so that it ends only where the line does.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use collector_runtime::{testing, checks_events::ServiceCheck, checks_events::Status};
///
/// let ((), lines) = testing::capture(|| {
///     collector_runtime::service_check(
///         ServiceCheck::new("jobs.cleanup", Status::Critical)
///             .tags(&[("job", "cleanup")])
///             .message("table is locked")
///             .hostname("worker-1")
///             .timestamp(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
///     );
/// });
/// assert_eq!(
///     lines,
///     ["_sc|jobs.cleanup|2|d:1700000000|h:worker-1|#job:cleanup|m:table is locked"]
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ServiceCheck {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) tags: Vec<String>,
    pub(crate) message: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) timestamp: Option<u64>,
}

impl ServiceCheck {
    /// A check named `name` with `status`, and nothing else yet.
    ///
    /// ```
    /// use collector_runtime::{checks_events::ServiceCheck, checks_events::Status};
    /// let check = ServiceCheck::new("app.db.reachable", Status::Ok);
    /// # let _ = check;
    /// ```
    pub fn new(name: &str, status: Status) -> ServiceCheck {
        ServiceCheck {
            name: name.to_owned(),
            status,
            tags: Vec::new(),
            message: None,
            hostname: None,
            timestamp: None,
        }
    }

    /// Adds tags, in any of the shapes the record functions take; the
    /// collector's base tags are added when it is sent.
    ///
    /// ```
    /// use collector_runtime::{checks_events::ServiceCheck, checks_events::Status};
    /// let check = ServiceCheck::new("app.up", Status::Ok).tags(&["db:main"]);
    /// # let _ = check;
    /// ```
    pub fn tags(mut self, tags: impl Tags) -> ServiceCheck {
        push_tags(&mut self.tags, &tags);
        self
    }

    /// A message: what a monitor shows as `{{check_message}}`.
    ///
    /// ```
    /// use collector_runtime::{checks_events::ServiceCheck, checks_events::Status};
    /// let check = ServiceCheck::new("app.up", Status::Critical).message("no route to db");
    /// # let _ = check;
    /// ```
    pub fn message(mut self, message: impl Into<String>) -> ServiceCheck {
        self.message = Some(message.into());
        self
    }

    /// The host the check is about, instead of the agent's.
    ///
    /// ```
    /// use collector_runtime::{checks_events::ServiceCheck, checks_events::Status};
    /// let check = ServiceCheck::new("app.up", Status::Ok).hostname("db-1");
    /// # let _ = check;
    /// ```
    pub fn hostname(mut self, hostname: &str) -> ServiceCheck {
        self.hostname = Some(hostname.to_owned());
        self
    }

    /// When the status was observed (sent in whole seconds since the Unix
    /// epoch); the agent's clock at reception otherwise.
    ///
    /// ```
    /// use collector_runtime::{checks_events::ServiceCheck, checks_events::Status};
    /// let check = ServiceCheck::new("app.up", Status::Ok).timestamp(std::time::SystemTime::now());
    /// # let _ = check;
    /// ```
    pub fn timestamp(mut self, at: SystemTime) -> ServiceCheck {
        self.timestamp = Some(unix_seconds(at));
        self
    }
}

/// Appends `tags`, each cleaned by the tag rule, to `out`.
pub(crate) fn push_tags<T: Tags + ?Sized>(out: &mut Vec<String>, tags: &T) {
    for index in 0..tags.tag_count() {
        if let Some(tag) = clean_tag(tags.tag_at(index)) {
            out.push(tag);
        }
    }
}

/// Seconds since the Unix epoch; 0 for a time before it.
pub(crate) fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
