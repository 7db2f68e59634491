//! An event: a titled piece of text in the Datadog event stream ("the
//! nightly import failed", "v2 deployed"), sent as it was recorded, never
//! aggregated.

use std::time::SystemTime;

use crate::input::check::{push_tags, unix_seconds};
use crate::input::tags::Tags;

/// How an [`Event`] is ranked in the event stream (`p:`).
///
/// ```
/// use collector_runtime::{checks_events::Event, checks_events::Priority};
/// let event = Event::new("cache warmed", "").priority(Priority::Low);
/// # let _ = event;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `normal`, the agent's default.
    Normal,
    /// `low`.
    Low,
}

/// What kind of news an [`Event`] is (`t:`).
///
/// ```
/// use collector_runtime::{checks_events::AlertType, checks_events::Event};
/// let event = Event::new("import failed", "3 rows refused").alert_type(AlertType::Error);
/// # let _ = event;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertType {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `info`, the agent's default.
    Info,
    /// `success`.
    Success,
}

/// One event, built with its optional fields and recorded with
/// [`event`](crate::event) or [`Collector::event`](crate::Collector::event).
///
/// The title and the text may hold any text: line breaks are sent as `\n`
/// (which the agent turns back into line breaks) and the `_e{..}` header
/// gives their lengths in bytes as sent, so a `|` stays text. Tags follow the
/// tag rule of every line; the hostname, aggregation key and source type
/// follow it too.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use collector_runtime::{testing, checks_events::AlertType, checks_events::Event, checks_events::Priority};
///
/// let ((), lines) = testing::capture(|| {
///     collector_runtime::event(
///         Event::new("import failed", "3 rows refused\nsee the log")
///             .tags(&["job:import"])
///             .aggregation_key("import")
///             .priority(Priority::Low)
///             .source_type("cron")
///             .alert_type(AlertType::Error)
///             .hostname("worker-1")
///             .timestamp(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
///     );
/// });
/// assert_eq!(
///     lines,
///     ["_e{13,27}:import failed|3 rows refused\\nsee the log|d:1700000000|h:worker-1\
///       |k:import|p:low|s:cron|t:error|#job:import"]
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Event {
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) tags: Vec<String>,
    pub(crate) timestamp: Option<u64>,
    pub(crate) hostname: Option<String>,
    pub(crate) aggregation_key: Option<String>,
    pub(crate) priority: Option<Priority>,
    pub(crate) source_type: Option<String>,
    pub(crate) alert_type: Option<AlertType>,
}

impl Event {
    /// An event with `title` and `text` (which may be empty), and nothing
    /// else yet.
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("deployed", "v2.1 is live");
    /// # let _ = event;
    /// ```
    pub fn new(title: impl Into<String>, text: impl Into<String>) -> Event {
        Event {
            title: title.into(),
            text: text.into(),
            tags: Vec::new(),
            timestamp: None,
            hostname: None,
            aggregation_key: None,
            priority: None,
            source_type: None,
            alert_type: None,
        }
    }

    /// Adds tags, in any of the shapes the record functions take; the
    /// collector's base tags are added when it is sent.
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("deployed", "").tags(&[("version", "2.1")]);
    /// # let _ = event;
    /// ```
    pub fn tags(mut self, tags: impl Tags) -> Event {
        push_tags(&mut self.tags, &tags);
        self
    }

    /// When it happened (whole seconds since the Unix epoch); the agent's
    /// clock at reception otherwise.
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("deployed", "").timestamp(std::time::SystemTime::now());
    /// # let _ = event;
    /// ```
    pub fn timestamp(mut self, at: SystemTime) -> Event {
        self.timestamp = Some(unix_seconds(at));
        self
    }

    /// The host it is about, instead of the agent's.
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("disk full", "").hostname("db-1");
    /// # let _ = event;
    /// ```
    pub fn hostname(mut self, hostname: &str) -> Event {
        self.hostname = Some(hostname.to_owned());
        self
    }

    /// Groups events in the event stream: those with the same key are
    /// shown together.
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("retry", "").aggregation_key("import-42");
    /// # let _ = event;
    /// ```
    pub fn aggregation_key(mut self, key: &str) -> Event {
        self.aggregation_key = Some(key.to_owned());
        self
    }

    /// Its [`Priority`].
    ///
    /// ```
    /// use collector_runtime::{checks_events::Event, checks_events::Priority};
    /// let event = Event::new("retry", "").priority(Priority::Normal);
    /// # let _ = event;
    /// ```
    pub fn priority(mut self, priority: Priority) -> Event {
        self.priority = Some(priority);
        self
    }

    /// Where it comes from, as Datadog names sources (`cron`, `jenkins`,
    /// `my_apps`...).
    ///
    /// ```
    /// let event = collector_runtime::checks_events::Event::new("run", "").source_type("cron");
    /// # let _ = event;
    /// ```
    pub fn source_type(mut self, source: &str) -> Event {
        self.source_type = Some(source.to_owned());
        self
    }

    /// Its [`AlertType`].
    ///
    /// ```
    /// use collector_runtime::{checks_events::AlertType, checks_events::Event};
    /// let event = Event::new("run", "").alert_type(AlertType::Success);
    /// # let _ = event;
    /// ```
    pub fn alert_type(mut self, alert: AlertType) -> Event {
        self.alert_type = Some(alert);
        self
    }
}
