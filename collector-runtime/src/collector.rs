//! The collector: series recorded in memory, sent once per series at flush.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::client::{clean_tag, Client};
use crate::context::{self, EnterGuard};
use crate::error::{report, Error, ErrorHandler};
use crate::flush::{flush_series, FlushReport};
use crate::series::{Kind, Sample};
use crate::store::{Refused, Store};
use crate::tags::{AsTag, Tags};
use crate::value::{Integer, Value};

/// How many series a collector holds unless told otherwise.
///
/// ```
/// assert_eq!(collector_runtime::DEFAULT_MAX_SERIES, 10_000);
/// ```
pub const DEFAULT_MAX_SERIES: usize = 10_000;

/// What every handle to one collector shares.
pub(crate) struct Shared {
    store: Mutex<Store>,
    /// Whether the store may hold anything: set under the lock by every
    /// write, read without it, so that ending a call that recorded nothing
    /// (the common case of an annotated function) takes no lock at all.
    holds: AtomicBool,
    /// Sanitized; `None` when there are none.
    pub(crate) base_tags: Option<Arc<[String]>>,
    /// What series keys leave out (see [`KeyBase`]).
    pub(crate) key_base: KeyBase,
    client: Option<Arc<Client>>,
    pub(crate) on_error: Option<ErrorHandler>,
    pub(crate) max_series: usize,
}

impl Shared {
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere while the lock was held leaves the series intact
        // (every update is a single store), so poisoning is ignored.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Folds one record into the shared store, for a thread that has not
    /// entered the collector; the error, if any, is reported by the caller
    /// once no lock or borrow is held.
    pub(crate) fn accept<T: Tags + ?Sized>(
        &self,
        kind: Kind,
        name: &str,
        tags: &T,
        sample: Sample,
    ) -> Result<(), (Error, Option<ErrorHandler>)> {
        check_value(name, sample).map_err(|e| (e, self.on_error.clone()))?;
        let kept = {
            let mut store = self.lock();
            self.holds.store(true, Ordering::Release);
            store.accept(kind, name, tags, sample)
        };
        refused(kept, name, &self.on_error)
    }

    /// Moves what one thread recorded while it had the collector entered
    /// into the shared store.
    pub(crate) fn absorb(&self, local: &mut Store) {
        if !local.is_empty() {
            let mut store = self.lock();
            self.holds.store(true, Ordering::Release);
            store.absorb(local);
        }
    }
}

/// The error to report for a refused record, if any: a full collector only
/// counts.
#[inline]
pub(crate) fn refused(
    kept: Result<(), Refused>,
    name: &str,
    on_error: &Option<ErrorHandler>,
) -> Result<(), (Error, Option<ErrorHandler>)> {
    match kept {
        Ok(()) | Err(Refused::Full) => Ok(()),
        Err(Refused::InvalidName) => Err((
            Error::InvalidName {
                name: name.to_owned(),
            },
            on_error.clone(),
        )),
    }
}

#[inline]
pub(crate) fn check_value(name: &str, sample: Sample) -> Result<(), Error> {
    match sample {
        Sample::Value(value) if !value.is_finite() => Err(Error::NonFiniteValue {
            name: name.to_owned(),
            value,
        }),
        _ => Ok(()),
    }
}

/// The tags every line of a collector carries whatever was recorded: a
/// record's tag among them names the same series as the record without it.
#[derive(Clone, Default)]
pub(crate) struct KeyBase {
    /// The collector's base tags and its own client's tags.
    pub(crate) tags: Option<Arc<[String]>>,
    /// Whether the global client's tags apply too (no client of its own).
    pub(crate) global: bool,
}

/// Records metrics in memory, one total per series, and sends each series
/// once when flushed.
///
/// A series is (type, name, set of tags): tags may come in any order and
/// repeat. Counters, histograms, distributions and timings add up; a gauge
/// keeps its last value. A `Collector` is a cheap handle: clones share the
/// same series, so it can be handed to worker threads.
///
/// ```
/// use cadence::SpyMetricSink;
/// use collector_runtime::{Client, Collector};
///
/// let (received, sink) = SpyMetricSink::new();
/// let collector = Collector::builder()
///     .client(Client::new(sink))
///     .tag("env:test")
///     .build();
///
/// collector.histogram("query", 1, &["database:master", "verb:insert"]);
/// collector.histogram("query", 1, &["verb:update", "database:master"]);
/// collector.histogram("query", 1, &["database:master", "verb:update"]);
/// collector.flush();
///
/// // One datagram, one line per series.
/// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
/// assert_eq!(datagram, "query:1|h|#database:master,env:test,verb:insert\n\
///                       query:2|h|#database:master,env:test,verb:update");
/// ```
#[derive(Clone)]
pub struct Collector {
    shared: Arc<Shared>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new()
    }
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("series", &self.len())
            .field("base_tags", &self.base_tags())
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// A collector with no base tags that sends through the global client.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// assert!(collector.is_empty());
    /// ```
    pub fn new() -> Collector {
        Collector::builder().build()
    }

    /// Starts configuring a collector.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::builder()
    ///     .tag(("job", "cleanup"))
    ///     .max_series(100)
    ///     .build();
    /// assert_eq!(collector.base_tags(), ["job:cleanup"]);
    /// ```
    pub fn builder() -> CollectorBuilder {
        CollectorBuilder::default()
    }

    #[inline]
    fn record<T: Tags + ?Sized>(&self, kind: Kind, name: &str, tags: &T, sample: Sample) {
        // Entered on this thread: record without taking the lock.
        let kept = context::accept_if_current(&self.shared, kind, name, tags, sample)
            .unwrap_or_else(|| self.shared.accept(kind, name, tags, sample));
        if let Err((error, handler)) = kept {
            report(handler.as_ref(), error);
        }
    }

    /// Adds 1 to a counter.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.incr("cache.miss", &["region:eu"]);
    /// collector.incr("cache.miss", &[("region", "eu")]);
    /// assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn incr(&self, name: &str, tags: impl Tags) {
        self.record(Kind::Counter, name, &tags, Sample::Count(1));
    }

    /// Adds `n`, any integer, to a counter; one outside `i64` saturates
    /// (see [`Integer`]).
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.count("rows.deleted", 250, ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn count(&self, name: &str, n: impl Integer, tags: impl Tags) {
        self.record(
            Kind::Counter,
            name,
            &tags,
            Sample::Count(n.saturating_i64()),
        );
    }

    /// Adds `value` to a histogram series. As in the library this crate
    /// started from, a series sums its values over the execution and sends
    /// the total once: across executions, the agent sees the distribution of
    /// "per execution" totals (queries per request, say). `value` is any
    /// integer or float (see [`Value`]).
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.histogram("query", 1, &["database:replica"]);
    /// collector.histogram("query", 1, &["database:replica"]);
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn histogram(&self, name: &str, value: impl Value, tags: impl Tags) {
        self.record(Kind::Histogram, name, &tags, Sample::Value(value.to_f64()));
    }

    /// Adds `value`, any integer or float, to a distribution series (summed,
    /// sent once as `|d`).
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.distribution("payload.bytes", 512.0, ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn distribution(&self, name: &str, value: impl Value, tags: impl Tags) {
        self.record(
            Kind::Distribution,
            name,
            &tags,
            Sample::Value(value.to_f64()),
        );
    }

    /// Adds `elapsed` to a timer series, sent in milliseconds with
    /// microsecond precision (`0.384`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let collector = collector_runtime::Collector::new();
    /// collector.timing("db.wait", Duration::from_millis(12), ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn timing(&self, name: &str, elapsed: Duration, tags: impl Tags) {
        self.record(Kind::Timing, name, &tags, Sample::Elapsed(elapsed));
    }

    /// Sets a gauge to `value`, any integer or float; the last value
    /// recorded is sent.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.gauge("queue.depth", 3, ());
    /// collector.gauge("queue.depth", 1, ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn gauge(&self, name: &str, value: impl Value, tags: impl Tags) {
        self.record(Kind::Gauge, name, &tags, Sample::Value(value.to_f64()));
    }

    /// Makes this collector current on this thread until the guard drops:
    /// the free functions ([`crate::incr`] and friends) then record into it.
    ///
    /// While entered, this thread's records are kept apart, without a lock,
    /// and join the collector's series when the guard drops (or when this
    /// thread calls [`Collector::flush`] or [`Collector::len`]). Threads
    /// sharing a collector therefore never wait on each other per record;
    /// flush once their guards are dropped (e.g. after the threads join).
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// {
    ///     let _current = collector.enter();
    ///     collector_runtime::incr("jobs.started", ());
    /// }
    /// assert_eq!(collector.len(), 1);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        context::enter(&self.shared)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Sends every series once, through this collector's client or else the
    /// global one, with the base tags merged; then flushes the client, so a
    /// buffered sink puts the bytes on the wire before this returns. The
    /// collector is left empty and can serve the next execution.
    ///
    /// Never panics: failures reach the error handler and are counted in
    /// the report.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::builder()
    ///     .client(collector_runtime::Client::new(cadence::NopMetricSink))
    ///     .build();
    /// collector.incr("jobs.done", ());
    /// assert_eq!(collector.flush().series_sent, 1);
    /// assert!(collector.is_empty());
    /// assert_eq!(collector.flush().series_sent, 0);
    /// ```
    pub fn flush(&self) -> FlushReport {
        self.flush_with(&[])
    }

    /// [`Collector::flush`], with `extra` tags (already sanitized) added to
    /// every series.
    pub(crate) fn flush_with(&self, extra: &[&str]) -> FlushReport {
        context::absorb_here(&self.shared);
        if !self.shared.holds.load(Ordering::Acquire) {
            return FlushReport::default();
        }
        let (series, dropped) = {
            let mut store = self.shared.lock();
            self.shared.holds.store(false, Ordering::Release);
            store.take(Vec::new())
        };
        let report = flush_series(
            self.shared.client.as_ref(),
            self.base_tags(),
            extra,
            self.shared.on_error.as_ref(),
            &series,
            dropped,
        );
        self.shared.lock().give_back(series);
        report
    }

    /// How many series the collector holds now.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::new();
    /// collector.incr("a", ());
    /// collector.incr("a", &["k:v"]);
    /// assert_eq!(collector.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        context::absorb_here(&self.shared);
        self.shared.lock().len()
    }

    /// Whether the collector holds no series.
    ///
    /// ```
    /// assert!(collector_runtime::Collector::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tags added to every series at flush, sanitized.
    ///
    /// ```
    /// let collector = collector_runtime::Collector::builder().tag("env:test").build();
    /// assert_eq!(collector.base_tags(), ["env:test"]);
    /// ```
    pub fn base_tags(&self) -> &[String] {
        self.shared.base_tags.as_deref().unwrap_or_default()
    }
}

/// Configures a [`Collector`].
///
/// ```
/// use std::sync::Arc;
/// use collector_runtime::Collector;
///
/// let collector = Collector::builder()
///     .tags(&["service:billing", "team:core"])
///     .client(collector_runtime::Client::new(cadence::NopMetricSink).prefix("app"))
///     .max_series(1_000)
///     .error_handler(|err| eprintln!("metrics: {err}"))
///     .build();
/// # let _ = collector;
/// ```
#[must_use]
#[derive(Clone)]
pub struct CollectorBuilder {
    pub(crate) base_tags: Vec<String>,
    pub(crate) client: Option<Arc<Client>>,
    pub(crate) max_series: usize,
    pub(crate) on_error: Option<ErrorHandler>,
}

impl Default for CollectorBuilder {
    fn default() -> Self {
        CollectorBuilder {
            base_tags: Vec::new(),
            client: None,
            max_series: DEFAULT_MAX_SERIES,
            on_error: None,
        }
    }
}

impl CollectorBuilder {
    /// Adds one base tag, sent with every series.
    ///
    /// ```
    /// let c = collector_runtime::Collector::builder().tag("a:1").tag(("b", "2")).build();
    /// assert_eq!(c.base_tags(), ["a:1", "b:2"]);
    /// ```
    pub fn tag(mut self, tag: impl AsTag) -> Self {
        if let Some(text) = clean_tag(tag.as_tag()) {
            if !self.base_tags.contains(&text) {
                self.base_tags.push(text);
            }
        }
        self
    }

    /// Adds base tags.
    ///
    /// ```
    /// let c = collector_runtime::Collector::builder().tags(vec!["a:1".to_owned()]).build();
    /// assert_eq!(c.base_tags(), ["a:1"]);
    /// ```
    pub fn tags(mut self, tags: impl Tags) -> Self {
        for index in 0..tags.tag_count() {
            self = self.tag(tags.tag_at(index));
        }
        self
    }

    /// The base tags as collectors and frames share them.
    pub(crate) fn frozen_base_tags(&self) -> Option<Arc<[String]>> {
        (!self.base_tags.is_empty()).then(|| Arc::from(self.base_tags.as_slice()))
    }

    /// What a record's tags are compared with to leave out of its series
    /// key the tags every line gets anyway: the base tags and the client's.
    pub(crate) fn key_base(&self) -> KeyBase {
        let mut tags = self.base_tags.clone();
        if let Some(client) = &self.client {
            tags.extend_from_slice(client.default_tags());
        }
        KeyBase {
            tags: (!tags.is_empty()).then(|| Arc::from(tags)),
            global: self.client.is_none(),
        }
    }

    /// Sends through `client` instead of the global client.
    ///
    /// ```
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// let c = collector_runtime::Collector::builder().client(&client).build();
    /// # let _ = c;
    /// ```
    pub fn client(self, client: impl Into<Client>) -> Self {
        self.shared_client(Arc::new(client.into()))
    }

    /// [`CollectorBuilder::client`] for a client many collectors share.
    pub(crate) fn shared_client(mut self, client: Arc<Client>) -> Self {
        self.client = Some(client);
        self
    }

    /// Bounds the series held (default [`DEFAULT_MAX_SERIES`]). Records for
    /// new series past the bound are counted, and the count is sent at flush
    /// as [`DROPPED_RECORDS_METRIC`](crate::DROPPED_RECORDS_METRIC).
    ///
    /// ```
    /// let c = collector_runtime::Collector::builder().max_series(1).build();
    /// c.incr("a", ());
    /// c.incr("b", ());
    /// assert_eq!(c.len(), 1);
    /// ```
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = max_series;
        self
    }

    /// Sends this collector's errors to `handler` instead of the global one.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&seen);
    /// let c = collector_runtime::Collector::builder()
    ///     .error_handler(move |_| { counter.fetch_add(1, Ordering::Relaxed); })
    ///     .build();
    /// c.gauge("load", f64::NAN, ());
    /// assert_eq!(seen.load(Ordering::Relaxed), 1);
    /// ```
    pub fn error_handler(mut self, handler: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(handler));
        self
    }

    /// Builds the collector.
    ///
    /// ```
    /// let c = collector_runtime::Collector::builder().build();
    /// assert!(c.is_empty());
    /// ```
    pub fn build(self) -> Collector {
        let base = self.frozen_base_tags();
        let key_base = self.key_base();
        Collector {
            shared: Arc::new(Shared {
                store: Mutex::new(Store::with_base(self.max_series, key_base.clone())),
                key_base,
                holds: AtomicBool::new(false),
                base_tags: base,
                client: self.client,
                on_error: self.on_error,
                max_series: self.max_series,
            }),
        }
    }
}
