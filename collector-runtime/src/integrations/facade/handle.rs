//! The handles `MetricsRecorder` returns: each holds its key and decides,
//! every time it is used, where the record goes. A handle cached by the
//! caller and used later from another call thus records into whichever
//! collector is current then.

use std::sync::OnceLock;

use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key};

use crate::input::sample::{Kind, Sample};
use crate::integrations::facade::labels::Labels;
use crate::integrations::facade::outside::{self, Outside};
use crate::scope::frame_record::{accept_current, adjust_current_gauge};
use crate::store::accepted::Accepted;

/// One registered metric: its key, and where it goes outside a collector.
pub(crate) struct Routed<H> {
    key: Key,
    /// The labels as `key:value` tags, joined on the first record into a
    /// collector: a whole tag is found by a cheaper path than a pair, and
    /// names the same series (a pair is sent as its key, `:`, its value).
    tags: OnceLock<Box<[String]>>,
    outside: Outside<H>,
}

impl<H> Routed<H> {
    pub(crate) fn new(key: Key, outside: Outside<H>) -> Self {
        Routed {
            key,
            tags: OnceLock::new(),
            outside,
        }
    }

    fn tags(&self) -> &[String] {
        self.tags.get_or_init(|| {
            self.key
                .labels()
                .map(|label| format!("{}:{}", label.key(), label.value()))
                .collect()
        })
    }
}

/// Whether a collector took the record (an error in it is reported here).
#[inline]
fn taken(accepted: Option<Accepted>) -> bool {
    match accepted {
        Some(Ok(())) => true,
        Some(Err(rejected)) => {
            rejected.report();
            true
        }
        None => false,
    }
}

impl<H> Routed<H> {
    /// Records into the current collector; `false` when none is current.
    #[inline]
    fn record_current(&self, kind: Kind, sample: Sample) -> bool {
        taken(accept_current(kind, self.key.name(), self.tags(), sample))
    }

    /// Adds `delta` to the current collector's gauge; `false` when no
    /// collector is current.
    fn adjust_current(&self, delta: f64) -> bool {
        let labels = Labels(self.key.labels().as_slice());
        taken(adjust_current_gauge(self.key.name(), &labels, delta))
    }
}

impl CounterFn for Routed<Counter> {
    /// A counter sum in the current collector.
    fn increment(&self, value: u64) {
        // Beyond the wire's range a count saturates, as `count` does.
        let n = i64::try_from(value).unwrap_or(i64::MAX);
        if self.record_current(Kind::Counter, Sample::Count(n)) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.increment(value),
            None => outside::send(&self.key, Kind::Counter, Sample::Count(n)),
        }
    }

    /// A counter set to a total kept elsewhere is a level, not an amount
    /// of this execution: it is sent as a gauge.
    fn absolute(&self, value: u64) {
        let sample = Sample::value(value as f64);
        if self.record_current(Kind::Gauge, sample) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.absolute(value),
            None => outside::send(&self.key, Kind::Gauge, sample),
        }
    }
}

impl Routed<Counter> {
    fn fallback(&self) -> Option<&Counter> {
        self.outside.handle(&self.key, |recorder, key, metadata| {
            recorder.register_counter(key, metadata)
        })
    }
}

impl GaugeFn for Routed<Gauge> {
    fn increment(&self, value: f64) {
        if self.adjust_current(value) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.increment(value),
            None => outside::send_gauge(&self.key, value, true),
        }
    }

    fn decrement(&self, value: f64) {
        if self.adjust_current(-value) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.decrement(value),
            None => outside::send_gauge(&self.key, -value, true),
        }
    }

    fn set(&self, value: f64) {
        if self.record_current(Kind::Gauge, Sample::value(value)) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.set(value),
            None => outside::send_gauge(&self.key, value, false),
        }
    }
}

impl Routed<Gauge> {
    fn fallback(&self) -> Option<&Gauge> {
        self.outside.handle(&self.key, |recorder, key, metadata| {
            recorder.register_gauge(key, metadata)
        })
    }
}

impl HistogramFn for Routed<Histogram> {
    /// Summed per execution, like [`crate::histogram`].
    fn record(&self, value: f64) {
        if self.record_current(Kind::Histogram, Sample::value(value)) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.record(value),
            None => outside::send(&self.key, Kind::Histogram, Sample::value(value)),
        }
    }

    /// `count` records of `value`: their sum, in a collector.
    fn record_many(&self, value: f64, count: usize) {
        if count == 0 {
            return;
        }
        if self.record_current(Kind::Histogram, Sample::value(value * count as f64)) {
            return;
        }
        match self.fallback() {
            Some(inner) => inner.record_many(value, count),
            None => {
                for _ in 0..count {
                    outside::send(&self.key, Kind::Histogram, Sample::value(value));
                }
            }
        }
    }
}

impl Routed<Histogram> {
    fn fallback(&self) -> Option<&Histogram> {
        self.outside.handle(&self.key, |recorder, key, metadata| {
            recorder.register_histogram(key, metadata)
        })
    }
}
