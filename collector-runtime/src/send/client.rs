//! Where lines go: a cadence [`MetricSink`] (UDP, Unix socket, buffered,
//! queuing, spy...) with what this crate adds to every line it writes: a
//! prefix, constant tags and the origin fields.
//!
//! cadence's `StatsdClient` formats its own lines and keeps its prefix and
//! default tags to itself; this crate writes the lines, so it takes the sink
//! and holds the prefix and tags where the line writer can see them. How
//! the lines travel (the outbox, the sender thread, their settings) is in
//! [`crate::send::outbox`].

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cadence::MetricSink;

use crate::input::sanitize::clean_tag;
use crate::input::sanitize::Rule;
use crate::input::tags::{AsTag, Tags};
use crate::send::origin::Origin;
use crate::send::outbox::{Outbox, OutboxHandle, Settings};
use crate::send::sender;
use crate::send::target::Target;

/// A sink to send through, and what every line sent through it carries.
///
/// Built from any cadence [`MetricSink`]: cadence stays the transport (UDP,
/// Unix socket, buffering, queuing, spy sinks). Lines are packed into
/// payloads of at most [`Client::payload_size`] bytes, never split.
///
/// A flush appends its lines to the client's outbox, shared by every flush
/// through the client and its clones, and returns; the client's sender
/// thread (`collector-sender`, started on the first flush) hands whole
/// payloads to the sink, and a partly filled one after at most the
/// [flush interval](Client::flush_interval). [`wait_for_delivery`](crate::wait_for_delivery) waits
/// for them; so does the end of the process. Build a client once and clone
/// it: each client made with `new` has an outbox and a thread of its own.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use cadence::SpyMetricSink;
/// use collector_runtime::{Client, Collector};
///
/// let (received, sink) = SpyMetricSink::new();
/// let client = Client::new(sink).prefix("billing").tag("env:prod");
/// let collector = Collector::builder().client(client).build();
/// collector.incr("invoices.sent", &[("plan", "pro")]);
/// collector.flush();
/// collector_runtime::wait_for_delivery();
///
/// collector_runtime::wait_for_delivery();
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
    /// Payload size, flush interval, bound, timeout, synchronous or not.
    settings: Settings,
    /// Where the sink sends (`unix:///var/run/datadog/dsd.socket`), for
    /// clients built from a configuration: a socket's error does not say
    /// which path or address it was for, and the user needs to know.
    target: Option<Arc<str>>,
    /// The outbox, shared by this client's clones, made on the first flush
    /// (a client built and never used starts no thread). A setting that
    /// changes how lines travel gives the changed client an outbox of its
    /// own.
    outbox: Arc<OnceLock<OutboxHandle>>,
    /// A capture's client: lines go to its sink on the flushing thread.
    direct: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("prefix", &self.prefix)
            .field("tags", &self.tags)
            .field("origin", &self.origin)
            .field("settings", &self.settings)
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
    /// payloads of [`UDP_PAYLOAD`](crate::config::UDP_PAYLOAD) bytes.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// assert_eq!(client.max_payload(), collector_runtime::config::UDP_PAYLOAD);
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
            settings: Settings::default(),
            target: None,
            outbox: Arc::new(OnceLock::new()),
            direct: false,
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
    pub fn payload_size(self, bytes: usize) -> Client {
        let payload_size = bytes.max(1);
        self.with_settings(|settings| settings.payload_size = payload_size)
    }

    /// How long a partly filled payload waits for more lines before the
    /// sender thread sends it anyway (default [`DEFAULT_FLUSH_INTERVAL`],
    /// 100 ms, as datadog-go). Shorter sends fuller payloads less often;
    /// longer, fewer datagrams.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .flush_interval(Duration::from_millis(500));
    /// # let _ = client;
    /// ```
    ///
    /// [`DEFAULT_FLUSH_INTERVAL`]: crate::config::DEFAULT_FLUSH_INTERVAL
    pub fn flush_interval(self, interval: Duration) -> Client {
        self.with_settings(|settings| settings.interval = interval)
    }

    /// The most bytes of lines waiting for the agent (default: 2,048 times
    /// the payload size, as datadog-go's queue of 2,048 payloads: 2.8 MiB
    /// for UDP, 16 MiB for a Unix socket). Past it, new lines are
    /// dropped, counted, reported once, and their count is sent as
    /// [`LINES_DROPPED_METRIC`] when there is room again: a slow or absent
    /// agent never blocks a caller nor grows memory without end.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .max_queued_bytes(1 << 20);
    /// # let _ = client;
    /// ```
    ///
    /// [`LINES_DROPPED_METRIC`]: crate::telemetry::LINES_DROPPED_METRIC
    pub fn max_queued_bytes(self, bytes: usize) -> Client {
        self.with_settings(|settings| settings.max_queued = Some(bytes))
    }

    /// How long [`wait_for_delivery`](crate::wait_for_delivery), the end of the process and a
    /// synchronous flush wait for this client's sender (default
    /// [`DEFAULT_FLUSH_TIMEOUT`], one second). What is still waiting then
    /// is reported.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .flush_timeout(Duration::from_secs(5));
    /// # let _ = client;
    /// ```
    ///
    /// [`DEFAULT_FLUSH_TIMEOUT`]: crate::config::DEFAULT_FLUSH_TIMEOUT
    pub fn flush_timeout(self, timeout: Duration) -> Client {
        self.with_settings(|settings| settings.timeout = timeout)
    }

    /// Makes every flush wait until its lines are on the wire, each flush in
    /// payloads of its own, for runtimes that freeze the process between
    /// invocations (AWS Lambda, Cloud Run without CPU always allocated).
    /// The wait is bounded by the [flush timeout](Client::flush_timeout);
    /// a sink that stops taking payloads costs one timeout, after which
    /// flushes do not wait until it takes one again.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use cadence::SpyMetricSink;
    /// use collector_runtime::{Client, Collector};
    ///
    /// let (received, sink) = SpyMetricSink::new();
    /// let client = Client::new(sink).synchronous(true);
    /// let collector = Collector::builder().client(client).build();
    /// collector.incr("invocations", ());
    /// collector.flush();
    /// collector_runtime::wait_for_delivery();
    /// assert_eq!(received.try_recv().unwrap(), b"invocations:1|c");
    /// ```
    pub fn synchronous(self, synchronous: bool) -> Client {
        self.with_settings(|settings| settings.synchronous = synchronous)
    }

    /// Whether the samples of one histogram, distribution or timing context
    /// that executions sent within one flush interval go out packed on one
    /// line, as DogStatsD protocol 1.1 multi-values (`name:1.5:2:0.25|h`):
    /// on by default, since every Datadog Agent since 6.25 and 7.25 reads
    /// them, and each sample then costs its digits and a `:`. Turn it off
    /// for a server that reads one value per line (Etsy statsd, older
    /// statsd_exporter): each sample then goes on a line of its own.
    /// Counters and gauges are one value per line either way. From the
    /// environment: `DD_DOGSTATSD_MULTI_VALUE=false` (see
    /// [`ClientConfig`](crate::ClientConfig)).
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink).multi_value(false);
    /// # let _ = client;
    /// ```
    pub fn multi_value(self, packed: bool) -> Client {
        self.with_settings(|settings| settings.multi_value = packed)
    }

    /// Sends the client's own counters every `interval` (datadog-go sends
    /// its client telemetry every 10 s): `collector.client.payloads_sent`,
    /// `.bytes_sent`, `.lines_sent` and `.payloads_dropped`, what its sender
    /// did since the last time, and `.aggregated_contexts` and
    /// `.aggregated_samples`, the lines its aggregator across executions
    /// wrote and the executions' values they carried, with the client's
    /// prefix and tags. They go
    /// out with the first flush after each interval. Off by default: the
    /// loss that matters, lines dropped, is always sent (as
    /// [`LINES_DROPPED_METRIC`](crate::telemetry::LINES_DROPPED_METRIC)), and these six
    /// lines cost every client's users a series each.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink)
    ///     .telemetry(Duration::from_secs(10));
    /// # let _ = client;
    /// ```
    pub fn telemetry(self, interval: Duration) -> Client {
        self.with_settings(|settings| settings.telemetry = Some(interval))
    }

    /// This client with `change` made to its settings: an outbox of its
    /// own when they differ, since one outbox sends one way.
    fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> Client {
        let before = self.settings;
        change(&mut self.settings);
        if self.settings != before {
            self.outbox = Arc::new(OnceLock::new());
        }
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
    /// assert_eq!(client.max_payload(), collector_runtime::config::UDP_PAYLOAD);
    /// ```
    pub fn max_payload(&self) -> usize {
        self.settings.payload_size
    }

    /// Names `target` in the errors of this client's sink.
    pub(crate) fn with_target(mut self, target: &Target) -> Client {
        self.target = Some(Arc::from(target.to_string()));
        self.outbox = Arc::new(OnceLock::new());
        self
    }

    /// This client's prefix, tags, origin and payload size over another
    /// sink: what a capture writes with (see [`crate::testing`]).
    pub(crate) fn with_sink(&self, sink: impl MetricSink + Send + Sync + 'static) -> Client {
        Client {
            sink: Arc::new(sink),
            outbox: Arc::new(OnceLock::new()),
            direct: true,
            ..self.clone()
        }
    }

    /// The outbox a flush appends to, made on first use; `None` for a
    /// capture's client, which hands payloads to its sink itself.
    #[inline]
    pub(crate) fn outbox(&self) -> Option<&Arc<Outbox>> {
        if self.direct {
            return None;
        }
        let handle = self.outbox.get_or_init(|| {
            OutboxHandle(Arc::new(Outbox::new(
                Arc::clone(&self.sink),
                self.target.clone(),
                self.settings,
                sender::start,
            )))
        });
        // In a child made by `fork`, an outbox of the child's own.
        Some(handle.0.for_this_process())
    }

    /// This client's sink, prefix, tags, origin and settings, with no
    /// outbox yet: what an aggregator writes its lines with (the outbox
    /// holds the aggregator, which must not hold the outbox back).
    pub(crate) fn without_outbox(&self) -> Client {
        Client {
            outbox: Arc::new(OnceLock::new()),
            ..self.clone()
        }
    }

    /// Whether a context's samples are packed on one line (see
    /// [`Client::multi_value`]).
    pub(crate) fn packs_samples(&self) -> bool {
        self.settings.multi_value
    }

    /// The sink, for a capture's client.
    pub(crate) fn sink(&self) -> &(dyn MetricSink + Send + Sync) {
        &*self.sink
    }

    /// Where the sink sends, for its errors.
    pub(crate) fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
}
