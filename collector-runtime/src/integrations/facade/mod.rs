//! The `metrics` facade (feature `metrics`): [`MetricsRecorder`] routes
//! `metrics::counter!`, `gauge!` and `histogram!` into the current
//! collector, so that a library instrumented with `metrics` is aggregated
//! per execution like the free functions.

mod cache;
mod handle;
mod labels;
mod outside;

use std::fmt;
use std::sync::{Arc, OnceLock};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

use crate::scope::context;
use handle::Routed;
use outside::{Fallback, Outside};

/// A [`metrics::Recorder`](https://docs.rs/metrics/0.24/metrics/trait.Recorder.html) that records into the current collector.
///
/// Install it the usual way, `metrics::set_global_recorder(MetricsRecorder::new())`,
/// and every `metrics` record made while a collector is current (inside a
/// `#[collect_metrics]` call, an entered [`Collector`](crate::Collector))
/// goes into that collector, aggregated per series and sent at its flush:
///
/// | `metrics` call | in the current collector |
/// |---|---|
/// | `counter!(..).increment(n)` | counter sum, as [`count`](crate::count) |
/// | `counter!(..).absolute(n)` | gauge `n` (a total kept elsewhere is a level) |
/// | `gauge!(..).set(v)` | gauge, last value, as [`gauge`](crate::gauge) |
/// | `gauge!(..).increment(d)` / `decrement(d)` | gauge, `d` added to its last value (from 0) |
/// | `histogram!(..).record(v)` | histogram sum, as [`histogram`](crate::histogram) |
///
/// Labels are tags, `key:value`, under the same sanitising rules as any
/// tag, and the collector's base tags are merged at flush.
///
/// Outside any collector, a record goes where you chose: by default straight
/// through the global client, unaggregated, as the free functions send
/// (gauge increments are applied to the last value sent for that key, kept
/// for the process, since DogStatsD has no relative gauge); or, with
/// [`MetricsRecorder::with_fallback`], to another recorder, such as
/// `metrics-exporter-dogstatsd`'s.
///
/// Handles (`metrics::Counter` and friends, returned by `counter!` and by
/// `register_*`) hold their key and decide each time they are used: a
/// handle cached in a struct or a `static` records into whichever collector
/// is current when it is used, and goes to the fallback when none is.
///
/// `describe_*` calls are passed to the fallback recorder, if any, and
/// otherwise ignored: DogStatsD lines carry no unit or description.
///
/// A gauge increment reads the value held by this thread's share of the
/// collector: the records made since the collector was entered on this
/// thread, or, in an `async` annotated call, since the last `.await`. An
/// increment after that starts from 0 and its result replaces the earlier
/// value at flush. `set` has no such limit.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::{testing, Collector, metrics::MetricsRecorder};
///
/// let recorder = MetricsRecorder::new();
/// let ((), lines) = testing::capture(|| {
///     metrics::with_local_recorder(&recorder, || {
///         let collector = Collector::builder().tag("job:import").build();
///         {
///             let _current = collector.enter();
///             for _ in 0..3 {
///                 metrics::counter!("rows", "table" => "orders").increment(1);
///             }
///             metrics::histogram!("batch.bytes").record(512.0);
///             metrics::histogram!("batch.bytes").record(256.0);
///         }
///         collector.flush();
///     })
/// });
/// assert_eq!(
///     lines,
///     ["rows:3|c|#job:import,table:orders", "batch.bytes:768|h|#job:import"]
/// );
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
#[derive(Clone, Default)]
pub struct MetricsRecorder {
    fallback: Option<Fallback>,
}

impl fmt::Debug for MetricsRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsRecorder")
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl MetricsRecorder {
    /// A recorder that sends what is recorded outside any collector through
    /// the global client, at once, as the free functions do.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, metrics::MetricsRecorder};
    ///
    /// let recorder = MetricsRecorder::new();
    /// let ((), lines) = testing::capture(|| {
    ///     metrics::with_local_recorder(&recorder, || {
    ///         // No collector is current: sent at once.
    ///         metrics::counter!("cache.miss", "region" => "eu").increment(1);
    ///     })
    /// });
    /// assert_eq!(lines, ["cache.miss:1|c|#region:eu"]);
    /// ```
    pub fn new() -> MetricsRecorder {
        MetricsRecorder::default()
    }

    /// A recorder that hands what is recorded outside any collector to
    /// `fallback` (e.g. `metrics-exporter-dogstatsd`'s recorder, which
    /// aggregates per interval).
    ///
    /// A handle registered while no collector is current is registered with
    /// `fallback` at once, with its metadata. One registered inside a
    /// collector is registered with `fallback` only when first used outside
    /// one, with its level but the target `collector_runtime::facade` (the
    /// original metadata was borrowed for the registration only), so that
    /// records made inside collectors never pay for the fallback.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{testing, Collector, metrics::MetricsRecorder};
    ///
    /// // Any recorder will do; `metrics-util`'s `DebuggingRecorder` or
    /// // `metrics-exporter-dogstatsd`'s in practice.
    /// let recorder = MetricsRecorder::with_fallback(metrics::NoopRecorder);
    /// let ((), lines) = testing::capture(|| {
    ///     metrics::with_local_recorder(&recorder, || {
    ///         metrics::counter!("outside").increment(1); // to the fallback
    ///         let collector = Collector::new();
    ///         {
    ///             let _current = collector.enter();
    ///             metrics::counter!("inside").increment(1);
    ///         }
    ///         collector.flush();
    ///     })
    /// });
    /// assert_eq!(lines, ["inside:1|c"]);
    /// ```
    pub fn with_fallback(fallback: impl Recorder + Send + Sync + 'static) -> MetricsRecorder {
        MetricsRecorder {
            fallback: Some(Arc::new(fallback)),
        }
    }

    /// Where a handle being registered goes outside a collector; `inside`
    /// tells whether a collector is current.
    fn outside<H>(
        &self,
        inside: bool,
        key: &Key,
        metadata: &Metadata<'_>,
        register: impl FnOnce(&dyn Recorder, &Key, &Metadata<'_>) -> H,
    ) -> Outside<H> {
        match &self.fallback {
            None => Outside::Client,
            Some(fallback) if inside => Outside::Late {
                recorder: Arc::downgrade(fallback),
                level: *metadata.level(),
                handle: OnceLock::new(),
            },
            Some(fallback) => Outside::Registered(register(fallback.as_ref(), key, metadata)),
        }
    }

    /// What tells this recorder's handles apart in a thread's cache: recorders
    /// without a fallback make interchangeable handles; the others are told
    /// apart by their fallback, whose allocation their cached handles keep
    /// (weakly), so the address is not reused while they are cached.
    fn id(&self) -> usize {
        self.fallback
            .as_ref()
            .map_or(0, |fallback| Arc::as_ptr(fallback) as *const () as usize)
    }

    /// A handle for `key`: from this thread's cache when a collector is
    /// current (the hot path) or when the recorder has no fallback, else a
    /// new one.
    fn handle<H: Clone>(
        &self,
        cache: &'static std::thread::LocalKey<std::cell::RefCell<cache::Cache<H>>>,
        key: &Key,
        metadata: &Metadata<'_>,
        register: fn(&dyn Recorder, &Key, &Metadata<'_>) -> H,
        wrap: fn(Routed<H>) -> H,
    ) -> H {
        let make = |inside| {
            wrap(Routed::new(
                key.clone(),
                self.outside(inside, key, metadata, register),
            ))
        };
        // Without a fallback, a handle does the same wherever it was made:
        // any registration may take it from the cache.
        if self.fallback.is_none() {
            return cache::get_or_make(cache, 0, key, || make(false));
        }
        if context::has_current() {
            cache::get_or_make(cache, self.id(), key, || make(true))
        } else {
            make(false)
        }
    }
}

impl Recorder for MetricsRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        if let Some(fallback) = &self.fallback {
            fallback.describe_counter(key, unit, description);
        }
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        if let Some(fallback) = &self.fallback {
            fallback.describe_gauge(key, unit, description);
        }
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        if let Some(fallback) = &self.fallback {
            fallback.describe_histogram(key, unit, description);
        }
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.handle(
            &cache::COUNTERS,
            key,
            metadata,
            |fallback, key, metadata| fallback.register_counter(key, metadata),
            |routed| Counter::from_arc(Arc::new(routed)),
        )
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.handle(
            &cache::GAUGES,
            key,
            metadata,
            |fallback, key, metadata| fallback.register_gauge(key, metadata),
            |routed| Gauge::from_arc(Arc::new(routed)),
        )
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.handle(
            &cache::HISTOGRAMS,
            key,
            metadata,
            |fallback, key, metadata| fallback.register_histogram(key, metadata),
            |routed| Histogram::from_arc(Arc::new(routed)),
        )
    }
}

#[cfg(test)]
mod tests;
