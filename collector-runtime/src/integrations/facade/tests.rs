//! The facade's routing, observed through `testing::capture`: what a
//! collector flushes, and what is sent at once outside one.

use metrics::{with_local_recorder, Key, Label, Level, Metadata, Recorder};

use crate::integrations::facade::MetricsRecorder;
use crate::integrations::testing::{capture, Line};
use crate::{Client, Collector};

/// Runs `f` with `recorder` as the `metrics` recorder of this thread and a
/// fresh collector (tagged `call:1`) current, then flushes it.
fn in_collector(recorder: &MetricsRecorder, f: impl FnOnce()) -> Vec<Line> {
    let ((), lines) = capture(|| {
        with_local_recorder(recorder, || {
            let collector = Collector::builder().tag("call:1").build();
            {
                let _current = collector.enter();
                f();
            }
            collector.flush();
        })
    });
    lines
}

const METADATA: Metadata<'static> = Metadata::new("tests", Level::INFO, None);

#[test]
fn each_kind_of_record_lands_in_its_series() {
    let recorder = MetricsRecorder::new();
    let lines = in_collector(&recorder, || {
        metrics::counter!("c", "k" => "v").increment(2);
        metrics::counter!("c", "k" => "v").increment(3);
        metrics::counter!("total").absolute(40);
        metrics::counter!("total").absolute(42);
        metrics::gauge!("g").set(5.0);
        metrics::gauge!("g").increment(2.0);
        metrics::gauge!("g").decrement(0.5);
        metrics::gauge!("fresh").increment(1.0);
        metrics::histogram!("h").record(1.5);
        metrics::histogram!("h").record(2.5);
        metrics::histogram!("many").record_many(2.0, 3);
    });
    assert_eq!(
        lines,
        [
            "c:5|c|#call:1,k:v",
            "total:42|g|#call:1",
            "g:6.5|g|#call:1",
            "fresh:1|g|#call:1",
            "h:4|h|#call:1",
            "many:6|h|#call:1",
        ]
    );
}

#[test]
fn labels_are_sanitised_like_any_tag_and_merged_with_base_tags() {
    let recorder = MetricsRecorder::new();
    let lines = in_collector(&recorder, || {
        metrics::counter!("q", "db" => "main|#evil:1", "call" => "1").increment(1);
        metrics::counter!("q", "call" => "1", "db" => "main|#evil:1").increment(1);
    });
    assert_eq!(lines, ["q:2|c|#call:1,db:main__evil:1"]);
}

#[test]
fn a_cached_handle_records_into_the_collector_current_when_it_is_used() {
    let recorder = MetricsRecorder::new();
    let key = Key::from_parts("jobs", vec![Label::new("queue", "mail")]);
    let handle = recorder.register_counter(&key, &METADATA);
    let first = Collector::builder().tag("run:1").build();
    let second = Collector::builder().tag("run:2").build();
    let ((), lines) = capture(|| {
        {
            let _current = first.enter();
            handle.increment(1);
        }
        // Moved to another thread, used in another collector.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _current = second.enter();
                handle.increment(5);
            });
        });
        first.flush();
        second.flush();
        // And with none current: sent at once.
        handle.increment(7);
    });
    assert_eq!(
        lines,
        [
            "jobs:1|c|#queue:mail,run:1",
            "jobs:5|c|#queue:mail,run:2",
            "jobs:7|c|#queue:mail"
        ]
    );
}

#[test]
fn outside_a_collector_gauge_increments_apply_to_the_last_value_sent() {
    let recorder = MetricsRecorder::new();
    // A name no other test uses: the values kept outside are process-wide.
    let ((), lines) = capture(|| {
        with_local_recorder(&recorder, || {
            metrics::gauge!("facade.tests.outside").set(10.0);
            metrics::gauge!("facade.tests.outside").increment(2.0);
            metrics::gauge!("facade.tests.outside").decrement(5.0);
            metrics::histogram!("facade.tests.h").record_many(1.0, 2);
        })
    });
    assert_eq!(
        lines,
        [
            "facade.tests.outside:10|g",
            "facade.tests.outside:12|g",
            "facade.tests.outside:7|g",
            "facade.tests.h:1|h",
            "facade.tests.h:1|h"
        ]
    );
}

#[test]
fn a_non_finite_value_is_refused_through_the_collectors_error_handler() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let collector = Collector::builder()
        .client(Client::new(cadence::NopMetricSink))
        .error_handler(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        })
        .build();
    let recorder = MetricsRecorder::new();
    with_local_recorder(&recorder, || {
        let _current = collector.enter();
        metrics::histogram!("h").record(f64::NAN);
        metrics::gauge!("g").increment(f64::INFINITY);
    });
    assert_eq!(seen.load(Ordering::Relaxed), 2);
    assert!(collector.is_empty());
}

/// A third-party recorder standing in for an exporter: it counts what its
/// counters receive.
#[derive(Default)]
struct Counting(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl metrics::CounterFn for Counting {
    fn increment(&self, value: u64) {
        self.0
            .fetch_add(value, std::sync::atomic::Ordering::Relaxed);
    }
    fn absolute(&self, _: u64) {}
}

impl Recorder for Counting {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(std::sync::Arc::new(Counting(self.0.clone())))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> metrics::Histogram {
        metrics::Histogram::noop()
    }
}

#[test]
fn handles_made_inside_a_collector_are_not_shared_between_recorders_with_other_fallbacks() {
    use std::sync::atomic::Ordering;

    let (first, second) = (Counting::default(), Counting::default());
    let (first_seen, second_seen) = (first.0.clone(), second.0.clone());
    let first = MetricsRecorder::with_fallback(first);
    let second = MetricsRecorder::with_fallback(second);
    let collector = Collector::new();
    let _current = collector.enter();
    // The same call site, so the same key, registered inside a collector
    // through each recorder: each handle keeps its own fallback.
    let register = |recorder: &MetricsRecorder| {
        with_local_recorder(recorder, || metrics::counter!("cached", "k" => "v"))
    };
    let (from_first, from_second) = (register(&first), register(&second));
    drop(_current);
    from_first.increment(1);
    from_second.increment(10);
    assert_eq!(first_seen.load(Ordering::Relaxed), 1);
    assert_eq!(second_seen.load(Ordering::Relaxed), 10);
}

#[test]
fn a_handle_whose_fallback_is_gone_sends_through_the_global_client() {
    let recorder = MetricsRecorder::with_fallback(Counting::default());
    let collector = Collector::new();
    let handle = {
        let _current = collector.enter();
        with_local_recorder(&recorder, || metrics::counter!("orphan"))
    };
    drop(recorder);
    let ((), lines) = capture(|| handle.increment(2));
    assert_eq!(lines, ["orphan:2|c"]);
}
