//! `SpanCollectorLayer` on a real `tracing_subscriber::registry()`: chosen
//! spans are executions with their fields as tags, flushed once when they
//! close, to a real loopback socket read with the independent parser (or,
//! where the lines themselves are the point, through `testing::capture`).
//! Async cases run on a multi-thread tokio runtime whose workers all have
//! the test's subscriber as their default, as a service's would.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use collector_runtime::{
    collect_metrics, count, incr, testing, tracing::SpanCollectorLayer, Collector,
};
use collector_tests::{by_series, is_child, parse_all, run_child, series, Line, UdpReceiver};
use tracing::dispatcher::{self, DefaultGuard, Dispatch};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

type Series = BTreeMap<(String, String, Vec<String>), f64>;

/// The first datagram may take a while on a loaded machine; after it, the
/// rest of a burst follows closely.
const FIRST: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);

fn dispatch(layer: SpanCollectorLayer) -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(layer))
}

thread_local! {
    static WORKER_DEFAULT: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
}

/// A two-worker runtime whose threads all have `dispatch` as their default
/// subscriber; `run` blocks on `fut` with it as this thread's default too.
fn run<F: std::future::Future>(dispatch: &Dispatch, fut: F) -> F::Output {
    let on_start = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            let guard = dispatcher::set_default(&on_start);
            WORKER_DEFAULT.with(|default| *default.borrow_mut() = Some(guard));
        })
        .on_thread_stop(|| WORKER_DEFAULT.with(|default| drop(default.borrow_mut().take())))
        .build()
        .expect("a tokio runtime");
    dispatcher::with_default(dispatch, || runtime.block_on(fut))
}

/// Gives the executor a chance to move the rest of the task to another
/// worker thread.
async fn hop() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
}

fn tags(tags: &[&str]) -> Vec<String> {
    let mut tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    tags.sort();
    tags
}

/// One request: three counters of its own, and a child task spawned with
/// `.in_current_span()` that records twice, on whatever worker it lands.
#[tracing::instrument(fields(collect_metrics, route = "/checkout"), skip(items))]
async fn checkout(customer: &'static str, items: u32) {
    incr("checkout.attempts", ());
    hop().await;
    count("checkout.items", items, ());
    let fraud_check = tokio::spawn(
        async {
            incr("checkout.fraud_checks", ());
            hop().await;
            incr("checkout.fraud_checks", ());
        }
        .in_current_span(),
    );
    hop().await;
    fraud_check.await.expect("the child task");
    incr("checkout.done", ());
}

#[test]
fn an_instrumented_async_fn_flushes_once_per_span_with_its_fields_as_tags() {
    let receiver = UdpReceiver::bind();
    let dispatch = dispatch(SpanCollectorLayer::new().client(receiver.client()));
    let customers = [("ada", 3), ("grace", 5), ("linus", 7), ("ken", 11)];
    run(&dispatch, async {
        let mut requests = Vec::new();
        for (customer, items) in customers {
            requests.push(tokio::spawn(checkout(customer, items)));
        }
        for request in requests {
            request.await.expect("a request");
        }
    });
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));

    let mut expected = Series::new();
    for (customer, items) in customers {
        let customer = format!("customer:{customer}");
        let span = [customer.as_str(), "route:/checkout"];
        for (name, total) in [
            ("checkout.attempts", 1.0),
            ("checkout.items", f64::from(items)),
            ("checkout.fraud_checks", 2.0),
            ("checkout.done", 1.0),
        ] {
            expected.insert(series("c", name, &span), total);
        }
    }
    assert_eq!(by_series(&lines).expect("each series once"), expected);
    assert_spans_contiguous(&lines, "customer:");
}

/// Each span's lines come together, as one flush writes them: a span whose
/// lines were split around another's would have flushed more than once.
fn assert_spans_contiguous(lines: &[Line], tag_prefix: &str) {
    let span_of = |line: &Line| {
        line.tags
            .iter()
            .find(|t| t.starts_with(tag_prefix))
            .cloned()
            .unwrap_or_else(|| panic!("{line:?} has no {tag_prefix} tag"))
    };
    let mut seen = Vec::new();
    for line in lines {
        let span = span_of(line);
        if seen.last() != Some(&span) {
            assert!(!seen.contains(&span), "{span} flushed in pieces: {lines:?}");
            seen.push(span);
        }
    }
}

#[tracing::instrument(skip_all, fields(collect_metrics, job = id))]
async fn job(id: u32) {
    for _ in 0..3 {
        incr("jobs.step", ());
        hop().await;
    }
    count("jobs.rows", id, ());
}

#[test]
fn a_thousand_concurrent_spans_each_flush_once_with_exact_totals() {
    const JOBS: u32 = 1_000;
    let receiver = UdpReceiver::bind_with_buffer(4 << 20);
    let dispatch = dispatch(SpanCollectorLayer::new().client(receiver.client()));
    run(&dispatch, async {
        let mut jobs = tokio::task::JoinSet::new();
        for id in 0..JOBS {
            jobs.spawn(job(id));
        }
        while let Some(done) = jobs.join_next().await {
            done.expect("a job");
        }
    });
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));
    let sent = by_series(&lines).expect("each series once");
    let mut expected = Series::new();
    for id in 0..JOBS {
        let job = format!("job:{id}");
        expected.insert(series("c", "jobs.step", &[job.as_str()]), 3.0);
        expected.insert(series("c", "jobs.rows", &[job.as_str()]), f64::from(id));
    }
    assert_eq!(sent.len(), expected.len());
    assert_eq!(sent, expected);
    assert_spans_contiguous(&lines, "job:");
}

#[test]
fn an_unselected_span_sends_nothing_of_its_own() {
    let subscriber = tracing_subscriber::registry().with(
        SpanCollectorLayer::new()
            .timing()
            .client(collector_runtime::Client::new(cadence::NopMetricSink)),
    );
    let by_hand = Collector::new();
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            // Outside any collector: sent at once, as without the layer.
            tracing::info_span!("plain", user = "ada", route = "/x").in_scope(|| {
                incr("outside.any", ());
                tracing::info!(counter.events = 1, "an event outside any collector");
            });
            // Inside a collector entered by hand: its series, untagged.
            let _current = by_hand.enter();
            tracing::info_span!("plain", user = "ada").in_scope(|| incr("by.hand", ()));
        })
    });
    // No duration, no span tags: the span is not an execution.
    assert_eq!(lines, ["outside.any:1|c", "events:1|c"]);
    let ((), lines) = testing::capture(|| {
        by_hand.flush();
    });
    assert_eq!(lines, ["by.hand:1|c"]);
}

#[test]
fn hostile_field_values_never_break_a_line() {
    let receiver = UdpReceiver::bind();
    let subscriber = tracing_subscriber::registry().with(
        SpanCollectorLayer::new()
            .client(receiver.client())
            .event_tags(["table"]),
    );
    let huge = "x|y,z\n".repeat(2_000); // 12 KB
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "import",
            collect_metrics = true,
            route = "a|b,c\nevil.metric:1|c",
            hash = "#k:v,other:1",
            huge = huge.as_str(),
            later = tracing::field::Empty,
        );
        let _entered = span.enter();
        incr("import.rows", ());
        span.record("later", "l|1\r\n:2");
        incr("import.rows", ());
        tracing::info!(counter.loaded = 2, table = "users\n|#evil:1", "loaded");
    });
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["import.rows", "import.rows", "loaded"], "{lines:?}");
    for line in &lines {
        assert!(
            line.tags.iter().all(|t| t.len() <= 200),
            "a tag over 200 bytes: {line:?}"
        );
        assert!(line
            .tags
            .contains(&"route:a_b_c_evil.metric:1_c".to_owned()));
        assert!(line.tags.contains(&"hash:_k:v_other:1".to_owned()));
        let huge_tag = line
            .tags
            .iter()
            .find(|t| t.starts_with("huge:"))
            .expect("the huge field, cut");
        assert!(huge_tag.len() >= 195, "{huge_tag}");
        assert!(huge_tag.starts_with("huge:x_y_z_x_y_z_"), "{huge_tag}");
    }
    // The field recorded later tags what was recorded after it only.
    let with_later = |line: &Line| line.tags.contains(&"later:l_1__:2".to_owned());
    assert!(!with_later(&lines[0]) && with_later(&lines[1]), "{lines:?}");
    assert!(lines[2].tags.contains(&"table:users___evil:1".to_owned()));
    assert_eq!(lines[2].value, 2.0);
}

#[test]
fn a_span_that_outlives_its_parent_flushes_on_its_own_close() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let parent = tracing::info_span!("request", collect_metrics = true, request = "r1");
        let (chosen_child, plain_child) = parent.in_scope(|| {
            incr("request.work", ());
            (
                tracing::info_span!("export", collect_metrics = true, part = "p1"),
                tracing::info_span!("cleanup"),
            )
        });
        // The parent's handle goes first: tracing keeps the span open, and
        // its collector unsent, while a child is open.
        assert_eq!(testing::capture(|| drop(parent)).1, Vec::<&str>::new());

        // A chosen child is its own execution, flushed when it closes.
        chosen_child.in_scope(|| incr("export.rows", ()));
        let ((), lines) = testing::capture(|| drop(chosen_child));
        assert_eq!(lines, ["export.rows:1|c|#part:p1"]);

        // A child that is not chosen records into its parent's collector,
        // which goes out, once, when the last child closes.
        std::thread::scope(|scope| {
            scope.spawn(|| plain_child.in_scope(|| incr("cleanup.done", ())));
        });
        let ((), lines) = testing::capture(|| drop(plain_child));
        assert_eq!(
            lines,
            [
                "request.work:1|c|#request:r1",
                "cleanup.done:1|c|#request:r1"
            ]
        );
    });
}

#[test]
fn a_span_entered_on_other_threads_adds_up_exactly() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("batch", collect_metrics = true, batch = "nightly");
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..250 {
                        span.in_scope(|| incr("images.resized", &[("format", "png")]));
                    }
                });
            }
        });
        let ((), lines) = testing::capture(|| drop(span));
        assert_eq!(lines, ["images.resized:1000|c|#batch:nightly,format:png"]);
    });
}

#[test]
fn a_span_dropped_without_being_entered_sends_its_duration_only() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new().timing());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("idle", collect_metrics = true, queue = "mail");
        let ((), lines) = testing::capture(|| drop(span));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].name(), "idle.duration");
        assert_eq!(lines[0].kind(), "ms");
        assert_eq!(lines[0].tags(), ["queue:mail"]);
    });
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("idle", collect_metrics = true, queue = "mail");
        assert_eq!(testing::capture(|| drop(span)).1, Vec::<&str>::new());
    });
}

#[collect_metrics(name = "outer", tags("call:outer"))]
fn annotated_with_a_span_inside() {
    incr("call.before", ());
    tracing::info_span!("inner", collect_metrics = true, part = "a").in_scope(|| {
        incr("span.work", ());
        // A span that is not chosen changes nothing here: the chosen one
        // stays innermost.
        tracing::info_span!("helper").in_scope(|| incr("span.helper", ()));
    });
    incr("call.after", ());
}

#[collect_metrics(name = "inner_call", tags("call:inner"))]
fn annotated_inside_a_span() {
    incr("call.work", ());
    // A plain span inside the call, itself inside a chosen span: the call
    // is innermost, so it records.
    tracing::info_span!("helper").in_scope(|| incr("call.helper", ()));
}

/// Each keeps and flushes its own series; the inner one's lines carry the
/// outer one's tags (the span's fields, the call's `tags(...)`).
#[test]
fn spans_and_annotated_calls_nested_each_keep_their_own_collector() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            annotated_with_a_span_inside();
            tracing::info_span!("outer_span", collect_metrics = true, route = "/r").in_scope(
                || {
                    incr("span.before", ());
                    annotated_inside_a_span();
                    incr("span.after", ());
                },
            );
        })
    });
    let mut lines: Vec<String> = lines.iter().map(ToString::to_string).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "call.after:1|c|#call:outer",
            "call.before:1|c|#call:outer",
            "call.helper:1|c|#call:inner,route:/r",
            "call.work:1|c|#call:inner,route:/r",
            "span.after:1|c|#route:/r",
            "span.before:1|c|#route:/r",
            "span.helper:1|c|#call:outer,part:a",
            "span.work:1|c|#call:outer,part:a",
        ]
    );
}

#[test]
fn a_chosen_span_inside_a_chosen_span_carries_its_fields_unless_it_has_the_key() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            let _request =
                tracing::info_span!("request", collect_metrics = true, route = "/r", user = 7)
                    .entered();
            tracing::info_span!("query", collect_metrics = true, user = 8).in_scope(|| {
                incr("db.rows", ());
            });
        })
    });
    assert_eq!(lines, ["db.rows:1|c|#route:/r,user:8"]);
}

#[test]
fn a_field_recorded_later_tags_what_is_recorded_from_then_on() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            let span = tracing::info_span!(
                "login",
                collect_metrics = true,
                user = tracing::field::Empty
            );
            let _entered = span.enter();
            incr("login.attempts", ());
            span.record("user", "ada");
            incr("login.attempts", ());
            incr("login.ok", ());
            // Recorded again with another value: from then on, that one.
            span.record("user", "grace");
            incr("login.ok", ());
            drop(_entered);
        })
    });
    assert_eq!(
        lines,
        [
            "login.attempts:1|c",
            "login.attempts:1|c|#user:ada",
            "login.ok:1|c|#user:ada",
            "login.ok:1|c|#user:grace",
        ]
    );
}

#[test]
fn the_fields_that_are_tags_are_the_layers_or_the_spans_choice() {
    let layer = SpanCollectorLayer::new()
        .tag_fields(["route", "method"])
        .max_tags(2);
    let subscriber = tracing_subscriber::registry().with(layer);
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            // The layer's list: `user` is left out.
            tracing::info_span!(
                "a",
                collect_metrics = true,
                user = 7,
                route = "/a",
                method = "GET"
            )
            .in_scope(|| incr("a", ()));
            // The span's own list.
            tracing::info_span!("b", collect_metrics = "user", user = 7, route = "/b")
                .in_scope(|| incr("b", ()));
            // An empty list: no tag at all.
            tracing::info_span!("c", collect_metrics = "", route = "/c").in_scope(|| incr("c", ()));
            // `false`: not an execution at all.
            tracing::info_span!("d", collect_metrics = false, route = "/d")
                .in_scope(|| incr("d", ()));
        })
    });
    assert_eq!(
        lines,
        [
            "a:1|c|#method:GET,route:/a",
            "b:1|c|#user:7",
            "c:1|c",
            "d:1|c"
        ]
    );
    // The bound on the count: the first fields recorded are kept.
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new().max_tags(2));
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            tracing::info_span!("e", collect_metrics = true, k1 = 1, k2 = 2, k3 = 3)
                .in_scope(|| incr("e", ()));
        })
    });
    assert_eq!(lines, ["e:1|c|#k1:1,k2:2"]);
}

#[test]
fn events_record_every_kind_into_the_current_collector() {
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            let _span = tracing::info_span!("job", collect_metrics = true, job = "etl").entered();
            for _ in 0..2 {
                tracing::info!(
                    counter.rows = 3u64,
                    histogram.batch_size = 128,
                    distribution.payload = 0.5,
                    gauge.queue_depth = 4,
                    timing.db = ?Duration::from_micros(1_500),
                    request_id = 981,
                    "batch loaded"
                );
            }
            tracing::info!(timing.parse = 2.25, "parsed");
            tracing::debug!(counter.skipped = "not a number");
        })
    });
    assert_eq!(
        lines,
        [
            "rows:6|c|#job:etl",
            "batch_size:256|h|#job:etl",
            "payload:1|d|#job:etl",
            "queue_depth:4|g|#job:etl",
            "db:3|ms|#job:etl",
            "parse:2.25|ms|#job:etl",
        ]
    );
}

#[test]
fn an_event_outside_any_collector_goes_through_the_layers_client() {
    let receiver = UdpReceiver::bind();
    let subscriber = tracing_subscriber::registry().with(
        SpanCollectorLayer::new()
            .client(receiver.client())
            .event_tags(["table"]),
    );
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(counter.cache_miss = 1, table = "users", "miss");
        tracing::info!(counter.cache_miss = 1, table = "users", "miss");
    });
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));
    // Through the layer's client's aggregator, as the free functions send:
    // the two events' counts summed on one line.
    let texts: Vec<(String, f64, Vec<String>)> = lines
        .iter()
        .map(|l| (l.name.clone(), l.value, l.tags.clone()))
        .collect();
    assert_eq!(
        texts,
        [("cache_miss".to_owned(), 2.0, tags(&["table:users"]))]
    );
}

#[test]
fn the_metrics_facade_inside_a_chosen_span_gets_its_tags() {
    let recorder = collector_runtime::metrics::MetricsRecorder::new();
    let _recorder = metrics::set_default_local_recorder(&recorder);
    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            tracing::info_span!("import", collect_metrics = true, source = "csv").in_scope(|| {
                metrics::counter!("rows", "table" => "orders").increment(2);
                metrics::counter!("rows", "table" => "orders").increment(3);
            });
        })
    });
    assert_eq!(lines, ["rows:5|c|#source:csv,table:orders"]);
}

#[test]
fn a_child_span_on_a_spawned_task_records_into_its_chosen_parent() {
    let receiver = UdpReceiver::bind();
    let dispatch = dispatch(SpanCollectorLayer::new().client(receiver.client()));
    run(&dispatch, async {
        let request = tracing::info_span!("request", collect_metrics = true, route = "/search");
        async {
            let mut parts = Vec::new();
            for index in ["users", "orders"] {
                // A child span of its own, not chosen: the task records into
                // the request's collector on whatever worker runs it.
                let part = tracing::info_span!("subquery", index);
                parts.push(tokio::spawn(
                    async move {
                        incr("search.subquery", &[("index", index)]);
                        hop().await;
                        incr("search.subquery", &[("index", index)]);
                    }
                    .instrument(part),
                ));
            }
            for part in parts {
                part.await.expect("a subquery");
            }
        }
        .instrument(request)
        .await;
    });
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));
    let expected: Series = ["users", "orders"]
        .into_iter()
        .map(|index| {
            let index = format!("index:{index}");
            (
                series("c", "search.subquery", &[index.as_str(), "route:/search"]),
                2.0,
            )
        })
        .collect();
    assert_eq!(by_series(&lines).expect("each series once"), expected);
}

/// With no client of its own, the layer sends as the rest of the crate
/// does: through the global client, built from the environment (here in a
/// child process, aimed at this test's socket).
#[test]
fn with_no_client_the_layer_sends_through_the_global_client() {
    if is_child() {
        let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("job", collect_metrics = true, job = "nightly").in_scope(|| {
                incr("job.rows", ());
                tracing::info!(counter.job.rows = 2, "more rows");
            });
            tracing::info!(counter.outside = 1, "no collector");
        });
        return;
    }
    let receiver = UdpReceiver::bind();
    let url = format!("udp://{}", receiver.addr());
    run_child(
        "with_no_client_the_layer_sends_through_the_global_client",
        &[("DD_DOGSTATSD_URL", url.as_str())],
    );
    let lines = parse_all(&receiver.datagrams_within(FIRST, QUIET));
    let expected: Series = [
        (series("c", "job.rows", &["job:nightly"]), 3.0),
        (series("c", "outside", &[]), 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_series(&lines).expect("each series once"), expected);
}
