//! Per-execution DogStatsD metrics.
//!
//! A [`Collector`] records counters, histograms, distributions, timings and
//! gauges in memory, one total per series (type, name and set of tags), and
//! sends each series once when flushed, as a DogStatsD line this crate
//! writes, through a cadence [`MetricSink`](cadence::MetricSink) wrapped in a
//! [`Client`]. Flushing at the end of a web
//! request, a job or a cron run gives metrics at that granularity, with every
//! tag kept, instead of "per agent flush interval".
//!
//! `#[collect_metrics]` gives each call of a function its own collector,
//! current for the call and flushed when it ends; the free functions
//! ([`incr`], [`histogram`], ...) record into the current collector.
//!
//! ```
//! # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
//! use cadence::SpyMetricSink;
//! use collector_runtime::{Client, Collector};
//!
//! let (received, sink) = SpyMetricSink::new();
//! let collector = Collector::builder().client(Client::new(sink)).build();
//! {
//!     let _current = collector.enter();
//!     for verb in ["select", "select", "update"] {
//!         collector_runtime::incr("query", &[("verb", verb)]);
//!     }
//! }
//! collector.flush();
//! // One datagram, one line per series.
//! collector_runtime::wait_for_delivery();
//! let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
//! assert_eq!(datagram, "query:2|c|#verb:select\nquery:1|c|#verb:update");
//! ```
//!
//! # Where to read next
//!
//! - [`collect_metrics`]: the attribute's whole contract, its options,
//!   guarantees and limits.
//! - [`guide`]: how to use the crate, chapter by chapter: the
//!   [patterns](guide::patterns) (jobs, tasks, cron health, fan-out), per
//!   request with `tower`, per span with `tracing`, the `metrics` facade,
//!   [what is sent](guide::what_is_sent), [when lines
//!   leave](guide::when_lines_leave), [errors](guide::errors), [the client
//!   and production](guide::client), [testing](guide::testing).
//! - The root holds what most code names; the rest is grouped by purpose:
//!   [`collector`] (the handle's builder and guards), [`config`] (targets,
//!   the client's configuration, the defaults), [`error`] (the error
//!   handler), [`tags`], [`values`], [`checks_events`], [`telemetry`] (the
//!   reports and the crate's own counters), [`testing`], and the
//!   integrations `tower`, `tracing` and `metrics`, each behind its feature.
// Denied, not forbidden: one call to `pthread_atfork` (send/process_id.rs)
// keeps the per-flush fork check to an atomic load instead of a `getpid`.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The floors, top down. A file imports from its own folder and from the
// folders below it, never from one above, and no two modules import each
// other (tests/tests/architecture.rs reads this list and checks both; the
// README's "Layout" pictures it).

// What connects other libraries to the crate (tower, `metrics`, tracing,
// `log`, testing::capture): on top, although listed last in the flow,
// because each uses every floor below as a caller would.
mod integrations;
// What callers touch: the free functions, timers, service checks and
// events recorded without a collector in hand.
mod record;
// Which collector is current: the thread's context, the attribute's call,
// the `Collector` handle and what its clones share, propagation, exit.
mod scope;
// The series one collector holds, and its flush: a store's series become
// lines here, so the flush sits with the series it reads, above the lines
// and the outbox it writes into.
mod store;
// The wire text: numbers, one line per series, service check and event.
mod line;
// Where lines go: the client, its configuration, the outbox and the payloads
// it packs, the sender, retry; a capture's sink is a slot here that
// `testing` fills, so sending never asks a higher floor.
mod send;
// A caller's input as every floor reads it: tags, values, names and their
// cleaning, the keyed hash over that text, the kinds of record and a series'
// total, service checks, events and the notice that holds either, and the
// base tags of the collectors a call runs inside (read by the line writer).
mod input;
// Errors and their reporting, which every floor uses: the `Error` type (the
// client's `ConfigError` among them), the error handler, the stderr default.
mod errors;

// The root: what most code names. Everything else lives in a module named
// after what it is for; tests/tests/api_root.rs counts these items.
pub use collector_macros::collect_metrics;
pub use errors::error::Error;
pub use record::functions::{count, distribution, gauge, histogram, incr, timing};
pub use record::notice::{event, service_check};
pub use record::timer::{start_timer, time, time_async, Timer};
pub use scope::collector::Collector;
pub use scope::exit::exit;
pub use scope::propagate::WithCollector;
pub use send::client::Client;
pub use send::config::ClientConfig;
pub use send::exit::wait_for_delivery;
pub use send::global::{global_client, set_global_client};

pub use cadence;
pub use integrations::testing;

/// A collector's handle and what it hands out: its builder, the guard of
/// [`Collector::enter`], and the future of [`WithCollector`].
///
/// ```
/// use collector_runtime::collector::{Collector, CollectorBuilder, EnterGuard};
///
/// let builder: CollectorBuilder = Collector::builder().tag(("job", "cleanup"));
/// let collector = builder.build();
/// let _current: EnterGuard<'_> = collector.enter();
/// ```
pub mod collector {
    pub use crate::scope::collector::{Collector, CollectorBuilder};
    pub use crate::scope::context::EnterGuard;
    pub use crate::scope::outcome::Outcome;
    pub use crate::scope::propagate::{WithCollector, WithCollectorFuture};
}

/// Configuration: where lines go ([`Target`](config::Target)), the client's configuration
/// from the environment ([`ClientConfig`]), its errors ([`ConfigError`](config::ConfigError)),
/// and the defaults every client and collector starts from.
///
/// ```
/// use collector_runtime::config::{self, ClientConfig, Target};
///
/// let config = ClientConfig::new(Target::Udp { host: "127.0.0.1".into(), port: config::DEFAULT_PORT });
/// assert_eq!(config.flush_interval, config::DEFAULT_FLUSH_INTERVAL);
/// assert_eq!(config::UDP_PAYLOAD, 1432);
/// assert_eq!(config::DEFAULT_MAX_SERIES, 10_000);
/// ```
pub mod config {
    pub use crate::errors::config::ConfigError;
    pub use crate::scope::collector::DEFAULT_MAX_SERIES;
    pub use crate::send::config::ClientConfig;
    pub use crate::send::outbox::{DEFAULT_FLUSH_INTERVAL, DEFAULT_FLUSH_TIMEOUT};
    pub use crate::send::target::{Target, DEFAULT_PORT, UDP_PAYLOAD, UNIX_PAYLOAD};
}

/// Errors and their reporting: the [`Error`] type, the process-wide
/// handler, and the count of errors seen.
///
/// ```
/// use std::sync::Arc;
/// use collector_runtime::error::{set_error_handler, Error};
///
/// set_error_handler(Arc::new(|err: &Error| eprintln!("metrics: {err}")));
/// ```
pub mod error {
    pub use crate::errors::config::ConfigError;
    pub use crate::errors::error::Error;
    pub use crate::errors::handler::{
        error_handler_panics, errors_seen, set_error_handler, ErrorHandler,
    };
    #[cfg(feature = "log")]
    #[cfg_attr(docsrs, doc(cfg(feature = "log")))]
    pub use crate::integrations::log_handler::log_error;
}

/// Tags as a record takes them, and the cleaning every name and tag gets.
///
/// ```
/// use collector_runtime::tags::{sanitize_name, sanitize_tag};
///
/// assert_eq!(sanitize_tag("k:v|#evil:1"), "k:v__evil:1");
/// assert_eq!(sanitize_name("db query"), "db_query");
/// ```
pub mod tags {
    pub use crate::input::sanitize::{sanitize_name, sanitize_tag};
    pub use crate::input::tags::{AsTag, TagRef, Tags};
}

/// The values a record takes: any integer for a counter ([`Integer`](values::Integer)), any
/// integer or float for the other kinds ([`Value`](values::Value)).
///
/// ```
/// fn rows<V: collector_runtime::values::Value>(rows: V) {
///     collector_runtime::histogram("rows", rows, ());
/// }
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// rows(3_u64);
/// rows(2.5_f32);
/// ```
pub mod values {
    pub use crate::input::value::{Integer, Value};
}

/// Service checks and events: what [`service_check`]
/// and [`event`] take.
///
/// ```
/// use collector_runtime::checks_events::{Event, ServiceCheck, Status};
///
/// let check = ServiceCheck::new("jobs.cleanup", Status::Critical).message("table is locked");
/// let event = Event::new("deploy", "version 42");
/// # let _ = (check, event);
/// ```
pub mod checks_events {
    pub use crate::input::check::{ServiceCheck, Status};
    pub use crate::input::event::{AlertType, Event, Priority};
}

/// What the crate reports about its own work: the report of a collector's
/// flush, the report of [`wait_for_delivery`],
/// and the names of the counters it sends when it had to drop something.
///
/// ```
/// use collector_runtime::telemetry::{DROPPED_RECORDS_METRIC, LINES_DROPPED_METRIC};
///
/// assert_eq!(DROPPED_RECORDS_METRIC, "collector.records_dropped");
/// assert_eq!(LINES_DROPPED_METRIC, "collector.lines_dropped");
/// ```
pub mod telemetry {
    pub use crate::send::exit::DeliveryReport;
    pub use crate::send::outbox::LINES_DROPPED_METRIC;
    pub use crate::store::flush::{FlushReport, DROPPED_RECORDS_METRIC};
}

/// The `tower` layer: every request its own collector (feature `tower`).
/// See the guide's [per request](crate::guide::per_request) chapter.
///
/// ```
/// let layer = collector_runtime::tower::CollectorLayer::new().method().status();
/// # let _ = layer;
/// ```
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower {
    pub use crate::integrations::tower_layer::{CollectorLayer, CollectorService, ResponseFuture};
}

/// The `tracing-subscriber` layer: a chosen span is an execution with its
/// own collector (feature `tracing`). See the guide's
/// [per span](crate::guide::per_span) chapter.
///
/// ```
/// use collector_runtime::tracing::{SpanCollectorLayer, SELECT_FIELD};
///
/// assert_eq!(SELECT_FIELD, "collect_metrics");
/// let layer = SpanCollectorLayer::new();
/// # let _ = layer;
/// ```
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing {
    pub use crate::integrations::tracing_layer::{SpanCollectorLayer, SELECT_FIELD};
}

/// The `metrics` facade's recorder: what libraries record through
/// `metrics::counter!` and the like goes into the current collector
/// (feature `metrics`). See the guide's
/// [`metrics` chapter](crate::guide::metrics_facade).
///
/// ```
/// let recorder = collector_runtime::metrics::MetricsRecorder::new();
/// # let _ = recorder;
/// ```
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics {
    pub use crate::integrations::facade::MetricsRecorder;
}

/// The guide: how to use the crate, chapter by chapter, every example a
/// doctest. Start with [`patterns`](guide::patterns), then
/// [`what_is_sent`](guide::what_is_sent) and
/// [`when_lines_leave`](guide::when_lines_leave).
pub mod guide {
    #[doc = include_str!("../docs/patterns.md")]
    pub mod patterns {}
    #[cfg(feature = "tower")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
    #[doc = include_str!("../docs/per_request.md")]
    pub mod per_request {}
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    #[doc = include_str!("../docs/per_span.md")]
    pub mod per_span {}
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    #[doc = include_str!("../docs/metrics_facade.md")]
    pub mod metrics_facade {}
    #[doc = include_str!("../docs/what_is_sent.md")]
    pub mod what_is_sent {}
    #[doc = include_str!("../docs/when_lines_leave.md")]
    pub mod when_lines_leave {}
    #[doc = include_str!("../docs/errors.md")]
    pub mod errors {}
    #[doc = include_str!("../docs/client.md")]
    pub mod client {}
    // The chapter's example is a user's test file, `#[test]`s included;
    // tests/tests/readme_testing.rs compiles and runs it as such.
    #[allow(clippy::test_attr_in_doctest)]
    #[doc = include_str!("../docs/testing.md")]
    pub mod testing {}
}

/// The examples of `#[collect_metrics]`' documentation, run as doctests
/// here: the macro crate cannot depend on the runtime they call.
#[cfg(doctest)]
#[doc = include_str!("../../collector-macros/docs/collect_metrics.md")]
pub struct CollectMetricsContract;

/// What `#[collect_metrics]` expands to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::scope::body::Body;
    pub use crate::scope::call::{call_once, CallScope, CallScopeBuilder};
    pub use crate::scope::call_future::{CallFuture, Run};
    pub use crate::scope::probe::{
        ErrProbe, ErrText, NoText, OkProbe, OtherKind, ResultKind, ReturnKind,
    };
    pub use crate::scope::returned_future::{
        BoxedDynFuture, NotAFuture, ReturnImplFutureOrPinBoxDynFutureForCollectMetricsToMeasureIt,
        UnwrappableFuture, WrapFuture,
    };
    pub use crate::scope::try_text::{ConvertShown, TryExit, Unchanged};
    pub use core::pin::pin;
}
