//! The layer: a chosen span gets a collector when it is created, current
//! whenever it is entered, let go of (and so flushed) when it closes.

use std::fmt;
use std::sync::Arc;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::errors::error::Error;
use crate::input::sanitize::clean_tag;
use crate::input::tags::{AsTag, Tags};
use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::entered;
use crate::integrations::tracing_layer::events;
use crate::integrations::tracing_layer::execution::{Execution, Inherited};
use crate::integrations::tracing_layer::failure;
use crate::integrations::tracing_layer::select::choose;
use crate::integrations::tracing_layer::span_tags::SpanTags;
use crate::scope::context;
use crate::scope::panic_text;
use crate::send::client::Client;

/// A [`tracing_subscriber::Layer`](https://docs.rs/tracing-subscriber/0.3/tracing_subscriber/layer/trait.Layer.html) that makes chosen spans executions.
///
/// A chosen span gets its own [`Collector`](crate::Collector): current
/// whenever the span is entered (so it follows an `#[instrument]`ed `async
/// fn` across polls and worker threads, and a task spawned with
/// `.in_current_span()`), and sent once, one line per series, when the span
/// closes (when its last handle is gone, as tracing closes spans). Its
/// fields are the collector's base tags. Events with a field named
/// `counter.<name>`, `histogram.<name>`, `gauge.<name>`,
/// `distribution.<name>` or `timing.<name>` record that metric, into the
/// current collector.
///
/// A span is chosen by the field [`SELECT_FIELD`](crate::tracing::SELECT_FIELD)
/// (`#[instrument(fields(collect_metrics))]`), or by the layer's
/// [`select`](SpanCollectorLayer::select) filter. A span that is not chosen
/// changes nothing, except inside a chosen one: entered on a thread where no
/// collector is current (a task spawned with a child span of its own), it
/// makes its chosen ancestor's collector current there.
///
/// Nesting follows one rule with `#[collect_metrics]` and the tower layer:
/// the innermost execution records. A chosen span entered inside an
/// annotated call, and an annotated call inside a chosen span, each keep
/// and flush their own collector.
///
/// Works with [`tracing_subscriber::Registry`](https://docs.rs/tracing-subscriber/0.3/tracing_subscriber/registry/struct.Registry.html) and any subscriber built on
/// it. Use one such layer per subscriber.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::{testing, tracing::SpanCollectorLayer};
/// use tracing_subscriber::prelude::*;
///
/// #[tracing::instrument(fields(collect_metrics))]
/// fn import(table: &str, rows: u32) {
///     collector_runtime::count("rows.imported", rows, ());
///     tracing::info!(counter.batches = 1, "imported");
/// }
///
/// let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
/// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
///     testing::capture(|| {
///         import("orders", 3);
///         import("orders", 4);
///     })
/// });
/// // One flush per span, its fields as tags.
/// assert_eq!(
///     lines,
///     [
///         "rows.imported:3|c|#rows:3,table:orders",
///         "batches:1|c|#rows:3,table:orders",
///         "rows.imported:4|c|#rows:4,table:orders",
///         "batches:1|c|#rows:4,table:orders",
///     ]
/// );
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
#[derive(Clone, Default)]
pub struct SpanCollectorLayer {
    config: Arc<Config>,
}

impl fmt::Debug for SpanCollectorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        f.debug_struct("SpanCollectorLayer")
            .field("select", &config.select.is_some())
            .field("tag_fields", &config.tag_fields)
            .field("max_tags", &config.max_tags)
            .field("max_tag_len", &config.max_tag_len)
            .field("timing", &config.timing)
            .field("outcome", &config.outcome)
            .field("service_check", &config.check)
            .field("tags", &config.tags)
            .field("inherit_tags", &config.inherit)
            .field("event_tags", &config.event_tags)
            .finish_non_exhaustive()
    }
}

impl SpanCollectorLayer {
    /// A layer that makes executions of the spans with the field
    /// [`SELECT_FIELD`](crate::tracing::SELECT_FIELD), tags them with all their fields
    /// (at most 16 tags of at most 200 bytes each), and sends through the
    /// global client.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use tracing_subscriber::prelude::*;
    ///
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(collector_runtime::tracing::SpanCollectorLayer::new());
    /// # let _ = subscriber;
    /// ```
    pub fn new() -> SpanCollectorLayer {
        SpanCollectorLayer::default()
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// Sends through `client` instead of the global client: the spans'
    /// flushes, and events that record outside any collector.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{Client, tracing::SpanCollectorLayer};
    ///
    /// let layer = SpanCollectorLayer::new().client(Client::new(cadence::NopMetricSink));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn client(self, client: impl Into<Client>) -> Self {
        let client = Arc::new(client.into());
        self.edit(|config| config.client = Some(client))
    }

    /// Also makes executions of the spans `select` accepts, by their
    /// metadata: a name, a target, a level. A span whose
    /// [`SELECT_FIELD`](crate::tracing::SELECT_FIELD) is `false` is not one, whatever
    /// `select` says.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, Client, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// let layer = SpanCollectorLayer::new()
    ///     .select(|span| span.name() == "job" || span.target().starts_with("app::handlers"));
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| {
    ///         tracing::info_span!("job", queue = "mail").in_scope(|| {
    ///             collector_runtime::incr("jobs.run", ());
    ///         });
    ///         tracing::info_span!("other").in_scope(|| collector_runtime::incr("other.run", ()));
    ///     })
    /// });
    /// // `other` is not an execution: its record was sent at once, untagged.
    /// assert_eq!(lines, ["jobs.run:1|c|#queue:mail", "other.run:1|c"]);
    /// ```
    #[must_use]
    pub fn select(self, select: impl Fn(&Metadata<'_>) -> bool + Send + Sync + 'static) -> Self {
        let select = Arc::new(select);
        self.edit(|config| config.select = Some(select))
    }

    /// Only these fields of a span are its tags (for a span whose
    /// [`SELECT_FIELD`](crate::tracing::SELECT_FIELD) does not name its own). The
    /// default is every field: narrow it when spans carry ids or other
    /// values with many distinct values, each of which is one more series.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// #[tracing::instrument(fields(collect_metrics, route = "/users/{id}"))]
    /// fn get_user(id: u64) {
    ///     collector_runtime::incr("db.query", ());
    /// }
    ///
    /// let layer = SpanCollectorLayer::new().tag_fields(["route"]);
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| get_user(1234))
    /// });
    /// assert_eq!(lines, ["db.query:1|c|#route:/users/_id_"]);
    /// ```
    #[must_use]
    pub fn tag_fields<N: Into<String>>(self, names: impl IntoIterator<Item = N>) -> Self {
        let names: Arc<[String]> = names.into_iter().map(Into::into).collect();
        self.edit(|config| config.tag_fields = Some(names))
    }

    /// At most `max` fields of a span are tags (default 16), the first ones
    /// recorded; the others are left out.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().max_tags(4);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn max_tags(self, max: usize) -> Self {
        self.edit(|config| config.max_tags = max)
    }

    /// A tag made from a field, `key:value`, is cut to at most `max` bytes
    /// (default 200, the length Datadog keeps), on a character boundary.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().max_tag_len(64);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn max_tag_len(self, max: usize) -> Self {
        self.edit(|config| config.max_tag_len = max)
    }

    /// Sends each chosen span's duration, from its creation to its close, as
    /// a timer named `<span name>.duration`, as the attribute's `timing`
    /// does.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new().timing());
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| {
    ///         let _span = tracing::info_span!("cleanup", collect_metrics = true).entered();
    ///     })
    /// });
    /// assert_eq!(lines[0].name(), "cleanup.duration");
    /// assert_eq!(lines[0].kind(), "ms");
    /// ```
    #[must_use]
    pub fn timing(self) -> Self {
        self.edit(|config| config.timing = true)
    }

    /// Adds `outcome:ok|error|panic` to every line of a chosen span, as the
    /// attribute's `outcome` does: `error` once an ERROR-level event with a
    /// field named `error` happened inside the span (what
    /// `#[instrument(err)]` emits when the function returns an `Err`; other
    /// ERROR-level events do not count), `panic` when a panic unwound
    /// through the span while it was entered, `ok` otherwise. A span whose
    /// future was dropped before it completed cannot be told apart (tracing
    /// closes it as any other): it ends `ok` unless one of those happened.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// #[tracing::instrument(fields(collect_metrics), err)]
    /// fn charge(cents: u32) -> Result<(), String> {
    ///     collector_runtime::incr("charge.tried", ());
    ///     if cents == 0 { Err("nothing to charge".into()) } else { Ok(()) }
    /// }
    ///
    /// let layer = SpanCollectorLayer::new().outcome().tag_fields::<&str>([]);
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| {
    ///         let _ = charge(5);
    ///         let _ = charge(0);
    ///     })
    /// });
    /// assert_eq!(lines, ["charge.tried:1|c|#outcome:ok", "charge.tried:1|c|#outcome:error"]);
    /// ```
    #[must_use]
    pub fn outcome(self) -> Self {
        self.edit(|config| config.outcome = true)
    }

    /// Sends one service check per chosen span when it closes, named after
    /// the span, as the attribute's `service_check` does: `OK` when it
    /// ended `ok`, `CRITICAL` otherwise, with the error event's `error`
    /// field (or `panicked: <message>`) as its message (see
    /// [`outcome`](SpanCollectorLayer::outcome) for how a span ends).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// #[tracing::instrument(fields(collect_metrics), err)]
    /// fn sync_accounts() -> Result<(), String> {
    ///     Err("upstream timed out".into())
    /// }
    ///
    /// let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new().service_check());
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| {
    ///         let _ = sync_accounts();
    ///     })
    /// });
    /// assert_eq!(lines, ["_sc|sync_accounts|2|m:upstream timed out"]);
    /// ```
    #[must_use]
    pub fn service_check(self) -> Self {
        panic_text::install();
        self.edit(|config| config.check = true)
    }

    /// Adds a tag to every line of every chosen span, before the span's own.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().tag(("service", "billing"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn tag(self, tag: impl AsTag) -> Self {
        let Some(text) = clean_tag(tag.as_tag()) else {
            return self;
        };
        self.edit(|config| {
            if !config.tags.contains(&text) {
                config.tags.push(text);
            }
        })
    }

    /// Adds tags to every line of every chosen span.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().tags(&["service:billing", "team:core"]);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn tags(mut self, tags: impl Tags) -> Self {
        for index in 0..tags.tag_count() {
            self = self.tag(tags.tag_at(index));
        }
        self
    }

    /// Whether a span's lines carry the base tags of the collectors current
    /// where it closes (default `true`), as the attribute's `inherit_tags`
    /// does.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().inherit_tags(false);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn inherit_tags(self, inherit: bool) -> Self {
        self.edit(|config| config.inherit = inherit)
    }

    /// Sends the spans' collectors' errors to `handler` instead of the
    /// global one.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new()
    ///     .error_handler(|err| eprintln!("span metrics: {err}"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn error_handler(self, handler: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        let handler: crate::errors::handler::ErrorHandler = Arc::new(handler);
        self.edit(|config| config.on_error = Some(handler))
    }

    /// These fields of a recording event are tags of what it records (by
    /// default none is: see the crate's README on cardinality).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, tracing::SpanCollectorLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// let layer = SpanCollectorLayer::new().event_tags(["table"]);
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// let ((), lines) = tracing::subscriber::with_default(subscriber, || {
    ///     testing::capture(|| {
    ///         let _job = tracing::info_span!("job", collect_metrics = true).entered();
    ///         tracing::info!(counter.rows = 3, table = "users", request_id = 981, "loaded");
    ///     })
    /// });
    /// assert_eq!(lines, ["rows:3|c|#table:users"]);
    /// ```
    #[must_use]
    pub fn event_tags<N: Into<String>>(self, names: impl IntoIterator<Item = N>) -> Self {
        let names: Arc<[String]> = names.into_iter().map(Into::into).collect();
        self.edit(|config| config.event_tags = names)
    }

    /// Bounds the series each span's collector holds (default
    /// [`DEFAULT_MAX_SERIES`](crate::config::DEFAULT_MAX_SERIES)).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tracing::SpanCollectorLayer::new().max_series(100);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn max_series(self, max: usize) -> Self {
        self.edit(|config| config.max_series = max)
    }
}

impl<S> Layer<S> for SpanCollectorLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        if let Some(rule) = choose(&self.config, attrs) {
            let tags = SpanTags::new(attrs, &rule, &self.config);
            let execution = Execution::new(&self.config, attrs.metadata().name(), rule, tags);
            span.extensions_mut().replace(execution);
            return;
        }
        // Not chosen: it belongs to the execution it is inside, if any.
        let Some(parent) = span.parent() else {
            return;
        };
        let owner = {
            let extensions = parent.extensions();
            if extensions.get::<Execution>().is_some() {
                Some(parent.id())
            } else {
                extensions
                    .get::<Inherited>()
                    .map(|inherited| inherited.0.clone())
            }
        };
        if let Some(owner) = owner {
            span.extensions_mut().replace(Inherited(owner));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let retagged = {
            let mut extensions = span.extensions_mut();
            let Some(execution) = extensions.get_mut::<Execution>() else {
                return;
            };
            let rule = execution.rule.clone();
            if !execution.tags.update(values, &rule, &self.config) {
                return;
            }
            execution.retag(&self.config)
        };
        // From now on, also on this thread if it has the span entered.
        let (old, new) = retagged;
        context::retarget(old.shared(), new.arc());
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let extensions = span.extensions();
        let guard = if let Some(execution) = extensions.get::<Execution>() {
            Some(context::enter(execution.current.arc()))
        } else if let Some(Inherited(owner)) = extensions.get::<Inherited>() {
            // Where its execution is current already, or an annotated call
            // or another collector is, that one stays innermost.
            if context::has_current() {
                None
            } else {
                ctx.span(owner).and_then(|owner| {
                    let extensions = owner.extensions();
                    let execution = extensions.get::<Execution>()?;
                    Some(context::enter(execution.current.arc()))
                })
            }
        } else {
            return;
        };
        drop(extensions);
        entered::push(id, guard);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        // Exited while unwinding: a panic left the span.
        if std::thread::panicking() {
            if let Some(span) = ctx.span(id) {
                if let Some(execution) = span.extensions_mut().get_mut::<Execution>() {
                    if !execution.panicked {
                        execution.panicked = true;
                        execution.error = panic_text::take();
                    }
                }
            }
        }
        entered::pop(id);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let execution = span.extensions_mut().remove::<Execution>();
        // Outside the lock: letting go of the collector may flush it.
        if let Some(execution) = execution {
            execution.close();
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if let Some(text) = failure::failure(event) {
            // The innermost chosen span around the event failed.
            let chosen = ctx.event_scope(event).and_then(|scope| {
                scope
                    .into_iter()
                    .find(|span| span.extensions().get::<Execution>().is_some())
            });
            if let Some(span) = chosen {
                if let Some(execution) = span.extensions_mut().get_mut::<Execution>() {
                    execution.error.get_or_insert(text);
                }
            }
        }
        if events::may_record(event.metadata()) {
            events::record_event(event, &self.config);
        }
    }
}
