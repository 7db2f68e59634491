//! The collector: series recorded in memory, sent once per series at flush.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::errors::error::Error;

use crate::errors::handler::{report, ErrorHandler};
use crate::input::check::ServiceCheck;
use crate::input::enclosing::Enclosing;
use crate::input::event::Event;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::input::sanitize::clean_tag;
use crate::input::tags::{AsTag, Tags};
use crate::input::value::{Integer, Value};
use crate::scope::context::{self, EnterGuard};
use crate::scope::ending::{Ended, Name, Plan};
use crate::scope::frame_record;
use crate::scope::outcome::Outcome;
use crate::scope::panic_text;
use crate::scope::shared::Shared;
use crate::send::client::Client;
use crate::store::flush::FlushReport;
use crate::store::KeyBase;

/// How many series a collector holds unless told otherwise.
///
/// ```
/// assert_eq!(collector_runtime::config::DEFAULT_MAX_SERIES, 10_000);
/// ```
pub const DEFAULT_MAX_SERIES: usize = 10_000;

/// Records metrics in memory, one total per series, and sends each series
/// once when flushed.
///
/// A series is (type, name, set of tags): tags may come in any order and
/// repeat. Counters, histograms, distributions and timings add up; a gauge
/// keeps its last value. A `Collector` is a cheap handle: clones share the
/// same series, so it can be handed to worker threads.
///
/// Dropping the last handle flushes what is left, as a `BufWriter` does:
/// a record is never lost because an early return (`?`, a panic) skipped
/// [`Collector::flush`], or because a worker recorded after it.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
/// collector_runtime::wait_for_delivery();
/// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
/// assert_eq!(datagram, "query:1|h|#database:master,env:test,verb:insert\n\
///                       query:2|h|#database:master,env:test,verb:update");
///
/// // Dropped unflushed, the last handle sends what is left.
/// collector.incr("jobs.done", ());
/// drop(collector);
/// collector_runtime::wait_for_delivery();
/// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
/// assert_eq!(datagram, "jobs.done:1|c|#env:test");
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// assert!(collector.is_empty());
    /// ```
    pub fn new() -> Collector {
        Collector::builder().build()
    }

    /// Starts configuring a collector.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::builder()
    ///     .tag(("job", "cleanup"))
    ///     .max_series(100)
    ///     .build();
    /// assert_eq!(collector.base_tags(), ["job:cleanup"]);
    /// ```
    #[inline]
    pub fn builder() -> CollectorBuilder {
        CollectorBuilder::default()
    }

    #[inline]
    fn record<T: Tags + ?Sized>(&self, kind: Kind, name: &str, tags: &T, sample: Sample) {
        // Entered on this thread: record without taking the lock.
        let kept = frame_record::accept_if_current(&self.shared, kind, name, tags, sample)
            .unwrap_or_else(|| self.shared.accept(kind, name, tags, sample));
        if let Err(rejected) = kept {
            rejected.report();
        }
    }

    /// Adds 1 to a counter.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// collector.histogram("query", 1, &["database:replica"]);
    /// collector.histogram("query", 1, &["database:replica"]);
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn histogram(&self, name: &str, value: impl Value, tags: impl Tags) {
        self.record(Kind::Histogram, name, &tags, Sample::value(value.to_f64()));
    }

    /// Adds `value`, any integer or float, to a distribution series (summed,
    /// sent once as `|d`).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
            Sample::value(value.to_f64()),
        );
    }

    /// Adds `elapsed` to a timer series, sent in milliseconds with
    /// microsecond precision (`0.384`). One timing counts for at most
    /// `u64::MAX` nanoseconds (about 584 years).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use std::time::Duration;
    /// let collector = collector_runtime::Collector::new();
    /// collector.timing("db.wait", Duration::from_millis(12), ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn timing(&self, name: &str, elapsed: Duration, tags: impl Tags) {
        self.record(Kind::Timing, name, &tags, Sample::elapsed(elapsed));
    }

    /// Sets a gauge to `value`, any integer or float; the last value
    /// recorded is sent.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// collector.gauge("queue.depth", 3, ());
    /// collector.gauge("queue.depth", 1, ());
    /// # assert_eq!(collector.len(), 1);
    /// ```
    #[inline]
    pub fn gauge(&self, name: &str, value: impl Value, tags: impl Tags) {
        self.record(Kind::Gauge, name, &tags, Sample::value(value.to_f64()));
    }

    /// Keeps a service check, sent once at the flush with the base tags, in
    /// the order recorded (see [`ServiceCheck`]).
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, checks_events::ServiceCheck, checks_events::Status};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     let collector = Collector::builder().tag("job:sync").build();
    ///     collector.service_check(ServiceCheck::new("sync.upstream", Status::Ok));
    ///     collector.flush();
    /// });
    /// assert_eq!(lines, ["_sc|sync.upstream|0|#job:sync"]);
    /// ```
    pub fn service_check(&self, check: ServiceCheck) {
        self.keep(Notice::Check(Box::new(check)));
    }

    /// Keeps an event, sent once at the flush with the base tags, in the
    /// order recorded; two events are two events (see [`Event`]).
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, checks_events::Event};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     let collector = Collector::new();
    ///     collector.event(Event::new("retry", "1"));
    ///     collector.event(Event::new("retry", "2"));
    ///     collector.flush();
    /// });
    /// assert_eq!(lines, ["_e{5,1}:retry|1", "_e{5,1}:retry|2"]);
    /// ```
    pub fn event(&self, event: Event) {
        self.keep(Notice::Event(Box::new(event)));
    }

    fn keep(&self, notice: Notice) {
        // Entered on this thread: kept in its frame, in order with what the
        // free functions keep there.
        let kept = frame_record::keep_notice_if_current(&self.shared, notice)
            .unwrap_or_else(|notice| self.shared.keep_notice(notice));
        if let Err(rejected) = kept {
            rejected.report();
        }
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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

    /// A handle to the collector current on this thread: the innermost one
    /// entered, or the annotated call's (`#[collect_metrics]`) whose body is
    /// running; `None` when there is none.
    ///
    /// Hand it to the work the current execution fans out to, so that what
    /// that work records joins the same series: enter it on another thread
    /// (`let _current = collector.enter();`), or make it current around a
    /// future with [`WithCollector`](crate::WithCollector). An annotated
    /// call builds its collector here, on first demand: a call that never
    /// asks and records nothing still allocates nothing.
    ///
    /// On a thread, enter the handle for as long as the work runs:
    /// - `std::thread::scope`: move a clone into each spawned closure and
    ///   enter it first thing (below);
    /// - `tokio::task::spawn_blocking(move || { let _current =
    ///   collector.enter(); ... })`: the same, on the blocking pool;
    /// - rayon: each job enters its clone, e.g. `items.par_iter()
    ///   .for_each_with(collector.clone(), |c, item| { let _current =
    ///   c.enter(); work(item) })`.
    ///
    /// An annotated call's collector is flushed once the call has ended
    /// *and* every handle it handed out is gone: the last handle sends the
    /// flush, exactly once, with the call's `outcome` and `timing`. Work
    /// still running when the call returns is therefore never cut off:
    /// what it records later goes out with the call, when it finishes or
    /// is dropped (an aborted task).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{collect_metrics, incr, Collector};
    ///
    /// #[collect_metrics(client = collector_runtime::Client::new(cadence::NopMetricSink))]
    /// fn resize_all(images: &[u32]) {
    ///     let collector = Collector::current().expect("the call's collector");
    ///     std::thread::scope(|scope| {
    ///         for chunk in images.chunks(2) {
    ///             let collector = collector.clone();
    ///             scope.spawn(move || {
    ///                 // Current on this worker thread until the guard drops.
    ///                 let _current = collector.enter();
    ///                 for _ in chunk {
    ///                     incr("images.resized", ());
    ///                 }
    ///             });
    ///         }
    ///     });
    ///     // The workers' records are the call's: one series, sent once.
    ///     assert_eq!(collector.len(), 1);
    /// }
    ///
    /// assert!(Collector::current().is_none());
    /// resize_all(&[1, 2, 3, 4, 5]);
    /// ```
    pub fn current() -> Option<Collector> {
        context::current().map(Collector::from_shared)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn arc(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> Collector {
        Collector { shared }
    }

    /// Sends every series once, through this collector's client or else the
    /// global one, with the base tags merged: the lines are handed to the
    /// client's outbox, and its sender thread puts them on the wire (see
    /// [`wait_for_delivery`](crate::wait_for_delivery) to wait for that, and
    /// [`Client::synchronous`] for a flush that does). The collector is left
    /// empty and can serve the next execution.
    ///
    /// Never panics: failures reach the error handler and are counted in
    /// the report.
    ///
    /// A thread that still has the collector entered keeps what it records
    /// until its guard drops; that joins the series then and goes out with
    /// the next flush, or with the flush of the last handle's drop.
    ///
    /// An execution's collector (an annotated call's, from
    /// [`Collector::current`] inside the call; a request's of the tower
    /// layer; a span's of the tracing layer; one built with
    /// [`timing`](CollectorBuilder::timing),
    /// [`outcome`](CollectorBuilder::outcome) or
    /// [`service_check`](CollectorBuilder::service_check)) cannot be flushed
    /// by a handle: it is sent once, with what its end adds, when it has
    /// ended and its last handle is gone. `flush` on it sends nothing,
    /// returns an empty report and reports [`Error::FlushDeferred`] to the
    /// error handler.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::builder()
    ///     .client(collector_runtime::Client::new(cadence::NopMetricSink))
    ///     .build();
    /// collector.incr("jobs.done", ());
    /// assert_eq!(collector.flush().series_sent, 1);
    /// assert!(collector.is_empty());
    /// assert_eq!(collector.flush().series_sent, 0);
    /// ```
    pub fn flush(&self) -> FlushReport {
        frame_record::absorb_here(&self.shared);
        if self.shared.execution.is_some() {
            report(self.shared.on_error.as_ref(), Error::FlushDeferred);
            return FlushReport::default();
        }
        self.shared.flush(&[])
    }

    /// Ends the execution this collector is, as `outcome` says, and lets go
    /// of this handle: its duration, outcome tag and service check (as the
    /// builder asked for them) are added now, and the last handle to go
    /// sends everything once. A collector built without an ending is just
    /// let go of (its last handle flushes it).
    ///
    /// An execution's collector dropped without being ended ends when its
    /// last handle goes: `panic` during an unwind, else `cancelled`.
    ///
    /// On a handle to an execution started elsewhere (an annotated call's
    /// collector from [`Collector::current`], a request's, a span's), `end`
    /// only lets go of the handle: that execution ends itself, when its
    /// call returns, its response is ready, its span closes.
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     let job = Collector::builder().name("job").outcome().service_check("job.ran").build();
    ///     job.incr("rows", ());
    ///     job.end(Outcome::Ok);
    /// });
    /// assert_eq!(lines, ["rows:1|c|#outcome:ok", "_sc|job.ran|0|#outcome:ok"]);
    /// ```
    pub fn end(self, outcome: Outcome) {
        self.end_by_handle(Ended::with(outcome));
    }

    /// [`Collector::end`], with `message` saying how it failed: the text of
    /// the `CRITICAL` service check (unused for [`Outcome::Ok`]).
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     let job = Collector::builder().service_check("job.ran").build();
    ///     job.end_with(Outcome::Error, "disk full");
    /// });
    /// assert_eq!(lines, ["_sc|job.ran|2|m:disk full"]);
    /// ```
    pub fn end_with(self, outcome: Outcome, message: impl Into<String>) {
        self.end_by_handle(Ended {
            outcome,
            text: Some(message.into()),
            tag: None,
        });
    }

    fn end_by_handle(self, ended: Ended) {
        if self.shared.ends_by_handle {
            self.end_as(ended);
        }
    }

    /// Ends the execution with what `ended` says (the tower layer adds its
    /// `status` tag this way).
    pub(crate) fn end_as(self, ended: Ended) {
        frame_record::absorb_here(&self.shared);
        // Its enclosing tags were learnt when it was built.
        self.shared.end(ended, Enclosing::NONE);
    }

    /// How many series the collector holds now.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// collector.incr("a", ());
    /// collector.incr("a", &["k:v"]);
    /// assert_eq!(collector.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        frame_record::absorb_here(&self.shared);
        self.shared.len()
    }

    /// Whether the collector holds no series.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// assert!(collector_runtime::Collector::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tags added to every series at flush, sanitized.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::builder().tag("env:test").build();
    /// assert_eq!(collector.base_tags(), ["env:test"]);
    /// ```
    pub fn base_tags(&self) -> &[String] {
        self.shared.base_tags()
    }
}

/// Configures a [`Collector`].
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    pub(crate) inherit: bool,
    /// What ending adds, when asked for: boxed, so that the attribute's
    /// calls, which keep their own, move no more than a pointer for it.
    ending: Option<Box<Ending>>,
}

/// What a hand-built collector's end adds (see [`CollectorBuilder::name`]).
#[derive(Clone, Default)]
struct Ending {
    name: Option<Name>,
    timing: bool,
    outcome: bool,
    check: Option<Name>,
    /// An execution's even with nothing to add: a request, whose end adds
    /// its status.
    execution: bool,
}

impl Default for CollectorBuilder {
    #[inline]
    fn default() -> Self {
        CollectorBuilder {
            base_tags: Vec::new(),
            client: None,
            max_series: DEFAULT_MAX_SERIES,
            on_error: None,
            inherit: true,
            ending: None,
        }
    }
}

impl CollectorBuilder {
    /// Adds one base tag, sent with every series.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let c = collector_runtime::Collector::builder().tags(vec!["a:1".to_owned()]).build();
    /// assert_eq!(c.base_tags(), ["a:1"]);
    /// ```
    pub fn tags(mut self, tags: impl Tags) -> Self {
        for index in 0..tags.tag_count() {
            self = self.tag(tags.tag_at(index));
        }
        self
    }

    /// What a record's tags are compared with to leave out of its series
    /// key the tags every line gets anyway: the base tags, then the
    /// client's.
    #[inline]
    pub(crate) fn key_base(&self) -> KeyBase {
        if self.base_tags.is_empty() && self.client.is_none() {
            return KeyBase {
                tags: None,
                global: true,
            };
        }
        self.key_base_with_tags()
    }

    fn key_base_with_tags(&self) -> KeyBase {
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// as [`DROPPED_RECORDS_METRIC`](crate::telemetry::DROPPED_RECORDS_METRIC).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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

    /// Whether the lines carry the base tags of the collectors current
    /// where this one is built (default `true`): built inside a request of
    /// the tower layer, an annotated call or another entered collector, its
    /// lines carry their tags too, as a nested annotated call's do. Its own
    /// tags win a clash of keys; `false` sends its own tags only.
    ///
    /// A collector built by hand learns those tags once, when built: it may
    /// be flushed many times, on any thread, and each flush carries the
    /// same ones.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, Collector};
    ///
    /// let job = Collector::builder().tag("job:nightly").build();
    /// let _current = job.enter();
    /// let ((), lines) = testing::capture(|| {
    ///     let step = Collector::builder().tag("step:load").build();
    ///     step.incr("rows", ());
    ///     step.flush();
    ///     let apart = Collector::builder().inherit_tags(false).build();
    ///     apart.incr("rows", ());
    ///     apart.flush();
    /// });
    /// assert_eq!(lines, ["rows:1|c|#job:nightly,step:load", "rows:1|c"]);
    /// ```
    pub fn inherit_tags(mut self, inherit: bool) -> Self {
        self.inherit = inherit;
        self
    }

    fn ending(mut self, edit: impl FnOnce(&mut Ending)) -> Self {
        edit(self.ending.get_or_insert_with(Box::default));
        self
    }

    /// The execution's name, as the attribute's `name`: the duration is
    /// sent as `<name>.duration` (default name: `execution`).
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     Collector::builder().name("nightly").timing().build().end(Outcome::Ok);
    /// });
    /// assert_eq!(lines[0].name(), "nightly.duration");
    /// ```
    pub fn name(self, name: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        let name = name.into();
        self.ending(|ending| ending.name = Some(name))
    }

    /// Sends the execution's duration, from the build to
    /// [`Collector::end`], as a timer named `<name>.duration`, as the
    /// attribute's `timing` does. Makes the collector an execution's (see
    /// [`Collector::end`]).
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     Collector::builder().name("job").timing().build().end(Outcome::Ok);
    /// });
    /// assert_eq!((lines[0].name(), lines[0].kind()), ("job.duration", "ms"));
    /// ```
    pub fn timing(self) -> Self {
        self.ending(|ending| ending.timing = true)
    }

    /// Adds `outcome:ok|error|panic|cancelled`, as [`Collector::end`] says,
    /// to every series, as the attribute's `outcome` does. Makes the
    /// collector an execution's.
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     let job = Collector::builder().outcome().build();
    ///     job.incr("rows", ());
    ///     job.end(Outcome::Error);
    /// });
    /// assert_eq!(lines, ["rows:1|c|#outcome:error"]);
    /// ```
    pub fn outcome(self) -> Self {
        self.ending(|ending| ending.outcome = true)
    }

    /// Sends one service check named `name` when the execution ends, as the
    /// attribute's `service_check` does: `OK` when it ended `ok`, `CRITICAL`
    /// with how it ended otherwise. Makes the collector an execution's.
    ///
    /// ```
    /// use collector_runtime::{testing, Collector, collector::Outcome};
    ///
    /// let ((), lines) = testing::capture(|| {
    ///     Collector::builder().service_check("job.ran").build().end(Outcome::Cancelled);
    /// });
    /// assert_eq!(lines, ["_sc|job.ran|2|m:cancelled"]);
    /// ```
    pub fn service_check(self, name: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        panic_text::install();
        let name = name.into();
        self.ending(|ending| ending.check = Some(name))
    }

    /// Builds an execution's collector even when its end adds nothing.
    #[cfg(feature = "tower")]
    pub(crate) fn execution(self) -> Self {
        self.ending(|ending| ending.execution = true)
    }

    /// What ending the built collector adds, when it is an execution's.
    fn plan(&self) -> Option<Box<Plan>> {
        let ending = self.ending.as_deref()?;
        if !(ending.timing || ending.outcome || ending.check.is_some() || ending.execution) {
            return None;
        }
        let name = ending.name.as_deref().unwrap_or("execution");
        Some(Box::new(Plan {
            timing: ending
                .timing
                .then(|| (format!("{name}.duration").into(), Instant::now())),
            outcome: ending.outcome,
            check: ending.check.clone(),
            inherit: self.inherit,
        }))
    }

    /// Builds the collector.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let c = collector_runtime::Collector::builder().build();
    /// assert!(c.is_empty());
    /// ```
    pub fn build(self) -> Collector {
        let plan = self.plan();
        let mut shared = Shared::new(
            self.key_base(),
            self.base_tags.len(),
            self.client,
            self.on_error,
            self.max_series,
            plan,
        );
        if self.inherit {
            shared.set_enclosing(context::enclosing(&[]));
        }
        shared.ends_by_handle = !self.ending.as_ref().is_some_and(|ending| ending.execution);
        Collector {
            shared: Arc::new(shared),
        }
    }
}
