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
//! collector_runtime::flush();
//! let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
//! assert_eq!(datagram, "query:2|c|#verb:select\nquery:1|c|#verb:update");
//! ```
#![forbid(unsafe_code)]
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

pub use errors::config::ConfigError;
pub use errors::error::Error;
pub use errors::handler::{error_handler_panics, errors_seen, set_error_handler, ErrorHandler};
pub use input::check::{ServiceCheck, Status};
pub use input::event::{AlertType, Event, Priority};
pub use input::sanitize::{sanitize_name, sanitize_tag};
pub use input::tags::{AsTag, TagRef, Tags};
pub use input::value::{Integer, Value};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use integrations::facade::MetricsRecorder;
#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub use integrations::log_handler::log_error;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use integrations::tower_layer::{CollectorLayer, CollectorService, ResponseFuture};
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use integrations::tracing_layer::{SpanCollectorLayer, SELECT_FIELD};
pub use record::functions::{count, distribution, gauge, histogram, incr, timing};
pub use record::notice::{event, service_check};
pub use record::timer::{start_timer, time, time_async, Timer};
pub use scope::collector::{Collector, CollectorBuilder, DEFAULT_MAX_SERIES};
pub use scope::context::EnterGuard;
pub use scope::exit::exit;
pub use scope::outcome::Outcome;
pub use scope::propagate::{WithCollector, WithCollectorFuture};
pub use send::client::Client;
pub use send::config::ClientConfig;
pub use send::exit::{flush, DeliveryReport};
pub use send::global::{global_client, set_global_client};
pub use send::outbox::{
    DEFAULT_FLUSH_INTERVAL, DEFAULT_FLUSH_TIMEOUT, DEFAULT_QUEUED_PAYLOADS, LINES_DROPPED_METRIC,
};
pub use send::target::{Target, DEFAULT_PORT, UDP_PAYLOAD, UNIX_PAYLOAD};
pub use store::flush::{FlushReport, DROPPED_RECORDS_METRIC};

pub use integrations::testing;

pub use cadence;
pub use collector_macros::collect_metrics;

/// What `#[collect_metrics]` expands to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::scope::body::Body;
    pub use crate::scope::call::{call_once, CallScope, CallScopeBuilder};
    pub use crate::scope::call_future::{CallFuture, Run};
    pub use crate::scope::probe::{
        ErrProbe, ErrText, NoText, OkProbe, OtherKind, ResultKind, ReturnKind,
    };
    pub use core::pin::pin;
}
