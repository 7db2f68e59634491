//! Where lines go: a cadence [`MetricSink`] (UDP, Unix socket, buffered,
//! queuing, spy...) with what this crate adds to every line it writes: a
//! prefix, constant tags and the origin fields.
//!
//! cadence's `StatsdClient` formats its own lines and keeps its prefix and
//! default tags to itself; this crate writes the lines, so it takes the sink
//! and holds the prefix and tags where the line writer can see them.

use std::fmt;
use std::io;
use std::sync::Arc;

use cadence::MetricSink;

use crate::sanitize::Rule;
use crate::send::config::{Target, UDP_PAYLOAD};
use crate::send::origin::Origin;
use crate::tags::{AsTag, Tags};

/// A sink to send through, and what every line sent through it carries.
///
/// Built from any cadence [`MetricSink`]: cadence stays the transport (UDP,
/// Unix socket, buffering, queuing, spy sinks). Lines are packed into
/// payloads of at most [`Client::payload_size`] bytes, never split.
///
/// ```
/// use cadence::SpyMetricSink;
/// use collector_runtime::{Client, Collector};
///
/// let (received, sink) = SpyMetricSink::new();
/// let client = Client::new(sink).prefix("billing").tag("env:prod");
/// let collector = Collector::builder().client(client).build();
/// collector.incr("invoices.sent", &[("plan", "pro")]);
/// collector.flush();
///
/// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
/// assert_eq!(datagram, "billing.invoices.sent:1|c|#env:prod,plan:pro");
/// ```
#[derive(Clone)]
pub struct Client {
    sink: Arc<dyn MetricSink + Send + Sync>,
    /// Sanitized, ending in `.`; empty for none.
    prefix: Arc<str>,
    /// Sanitized, sorted, without repeats.
    tags: Arc<[String]>,
    /// `|c:..|e:..|card:..`, rendered once; empty for none.
    origin: Arc<str>,
    payload: usize,
    /// Where the sink sends (`unix:///var/run/datadog/dsd.socket`), for
    /// clients built from a configuration: a socket's error does not say
    /// which path or address it was for, and the user needs to know.
    target: Option<Arc<str>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("prefix", &self.prefix)
            .field("tags", &self.tags)
            .field("origin", &self.origin)
            .field("payload_size", &self.payload)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl From<&Client> for Client {
    fn from(client: &Client) -> Client {
        client.clone()
    }
}

impl Client {
    /// A client that sends through `sink`, with no prefix, no tags, and
    /// payloads of [`UDP_PAYLOAD`] bytes.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// assert_eq!(client.max_payload(), collector_runtime::UDP_PAYLOAD);
    /// ```
    pub fn new(sink: impl MetricSink + Send + Sync + 'static) -> Client {
        Client::from_arc(Arc::new(sink))
    }

    /// [`Client::new`] for a sink already shared, e.g. with a cadence
    /// `StatsdClient` used elsewhere.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sink = Arc::new(cadence::NopMetricSink);
    /// let client = collector_runtime::Client::from_arc(sink.clone());
    /// # let _ = client;
    /// ```
    pub fn from_arc(sink: Arc<dyn MetricSink + Send + Sync>) -> Client {
        Client {
            sink,
            prefix: Arc::from(""),
            tags: Arc::from(Vec::new()),
            origin: Arc::from(""),
            payload: UDP_PAYLOAD,
            target: None,
        }
    }

    /// Puts `prefix` and a `.` before every metric name (cadence's rule: a
    /// trailing `.` is not doubled). Sanitized like a name.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink).prefix("app.");
    /// assert_eq!(client.metric_prefix(), "app.");
    /// ```
    pub fn prefix(mut self, prefix: &str) -> Client {
        let prefix = prefix.trim_end_matches('.');
        let mut text = String::with_capacity(prefix.len() + 1);
        if !prefix.is_empty() {
            Rule::Name.push_clean(prefix, &mut text);
            text.push('.');
        }
        self.prefix = Arc::from(text);
        self
    }

    /// Adds a tag to every line sent through this client. Merged with every
    /// other tag of the line, deduplicated and sorted.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .tag(("service", "billing api"))
    ///     .tag("env:prod");
    /// assert_eq!(client.default_tags(), ["env:prod", "service:billing_api"]);
    /// ```
    pub fn tag(self, tag: impl AsTag) -> Client {
        let mut tags = self.tags.to_vec();
        if let Some(tag) = clean_tag(tag.as_tag()) {
            tags.push(tag);
        }
        self.with_tags(tags)
    }

    /// Adds tags to every line sent through this client.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .tags(&["team:core", "env:prod"]);
    /// assert_eq!(client.default_tags(), ["env:prod", "team:core"]);
    /// ```
    pub fn tags(self, tags: impl Tags) -> Client {
        let mut all = self.tags.to_vec();
        all.extend((0..tags.tag_count()).filter_map(|i| clean_tag(tags.tag_at(i))));
        self.with_tags(all)
    }

    fn with_tags(mut self, mut tags: Vec<String>) -> Client {
        tags.sort_unstable();
        tags.dedup();
        self.tags = Arc::from(tags);
        self
    }

    /// The most bytes handed to the sink at once: lines are packed up to one
    /// byte less (room for the newline a buffered cadence sink appends), and
    /// a longer line is handed over alone. `1` hands every line over alone.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink).payload_size(8192);
    /// assert_eq!(client.max_payload(), 8192);
    /// ```
    pub fn payload_size(mut self, bytes: usize) -> Client {
        self.payload = bytes.max(1);
        self
    }

    /// The prefix put before every metric name, with its `.`.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// assert_eq!(client.metric_prefix(), "");
    /// ```
    pub fn metric_prefix(&self) -> &str {
        &self.prefix
    }

    /// The tags put on every line, sanitized and sorted.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink).tag("a:1");
    /// assert_eq!(client.default_tags(), ["a:1"]);
    /// ```
    pub fn default_tags(&self) -> &[String] {
        &self.tags
    }

    pub(crate) fn tags_arc(&self) -> Arc<[String]> {
        Arc::clone(&self.tags)
    }

    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// Adds the origin fields the official Datadog clients send, so that
    /// the agent can tag every line with the container it came from: the
    /// container ID (`|c:`, from `/proc/self/cgroup`), `DD_EXTERNAL_ENV`
    /// (`|e:`) and `DD_CARDINALITY` (`|card:`).
    /// `DD_ORIGIN_DETECTION_ENABLED=false` leaves out the first two. Detected
    /// once per process. Clients built by [`ClientConfig::build`] have them.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink).detect_origin();
    /// # let _ = client;
    /// ```
    ///
    /// [`ClientConfig::build`]: crate::ClientConfig::build
    pub fn detect_origin(self) -> Client {
        self.with_origin(Origin::of_this_process())
    }

    pub(crate) fn with_origin(mut self, origin: &Origin) -> Client {
        self.origin = Arc::from(origin.suffix());
        self
    }

    /// The most bytes handed to the sink at once (see
    /// [`Client::payload_size`] to set it).
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// assert_eq!(client.max_payload(), collector_runtime::UDP_PAYLOAD);
    /// ```
    pub fn max_payload(&self) -> usize {
        self.payload
    }

    /// Names `target` in the errors of this client's sink.
    pub(crate) fn with_target(mut self, target: &Target) -> Client {
        self.target = Some(Arc::from(target.to_string()));
        self
    }

    /// This client's prefix, tags, origin and payload size over another
    /// sink: what a capture writes with (see [`crate::testing`]).
    pub(crate) fn with_sink(&self, sink: impl MetricSink + Send + Sync + 'static) -> Client {
        Client {
            sink: Arc::new(sink),
            ..self.clone()
        }
    }

    pub(crate) fn emit(&self, payload: &str) -> io::Result<usize> {
        self.sink
            .emit(payload)
            .map_err(|err| self.naming_target(err))
    }

    pub(crate) fn flush_sink(&self) -> io::Result<()> {
        self.sink.flush().map_err(|err| self.naming_target(err))
    }

    /// `err` with the target in its text, its kind kept.
    #[cold]
    fn naming_target(&self, err: io::Error) -> io::Error {
        match &self.target {
            Some(target) => io::Error::new(
                err.kind(),
                TargetError {
                    target: Arc::clone(target),
                    source: err,
                },
            ),
            None => err,
        }
    }
}

/// A sink's error, with where the sink was sending.
#[derive(Debug)]
struct TargetError {
    target: Arc<str>,
    source: io::Error,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sending to {}: {}", self.target, self.source)
    }
}

impl std::error::Error for TargetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A tag as sent, or `None` for an empty one.
pub(crate) fn clean_tag(tag: crate::TagRef<'_>) -> Option<String> {
    let mut text = String::new();
    let (joint, [first, second]) = tag.parts();
    Rule::Tag.push_clean(first, &mut text);
    text.push_str(joint);
    Rule::Tag.push_clean(second, &mut text);
    (!text.is_empty()).then_some(text)
}
