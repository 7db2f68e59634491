//! One execution core: the same body run by the attribute, the tower layer,
//! the tracing layer and a collector built by hand ends the same way (the
//! same outcome, duration and service check, names aside), and a request
//! whose handler hands its collector to a task that outlives the response
//! is sent once, with every line carrying the request's tags.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use collector_runtime::collector::Outcome;
use collector_runtime::testing::{self, Line};
use collector_runtime::tower::CollectorLayer;
use collector_runtime::tracing::SpanCollectorLayer;
use collector_runtime::{collect_metrics, incr, Collector, WithCollector};
use collector_tests::{parse_datagram, UdpReceiver};
use tower::{service_fn, Layer, ServiceExt};
use tracing_subscriber::prelude::*;

mod axum_common;
use axum_common::{request, request_layer, serve};

#[derive(Clone, Copy, Debug)]
enum Ends {
    Ok,
    Error,
    Panic,
}

/// The body every way of running it shares.
fn body(ends: Ends) -> Result<(), String> {
    incr("work", ());
    match ends {
        Ends::Ok => Ok(()),
        Ends::Error => Err("disk full".to_owned()),
        Ends::Panic => panic!("lost the lock"),
    }
}

#[collect_metrics(name = "job", timing, outcome, service_check = "job.check")]
fn by_attribute(ends: Ends) -> Result<(), String> {
    body(ends)
}

#[tracing::instrument(fields(collect_metrics), err, skip_all)]
fn by_span(ends: Ends) -> Result<(), String> {
    body(ends)
}

fn by_tower(ends: Ends) {
    let service = CollectorLayer::new()
        .name("job")
        .timing()
        .outcome()
        .service_check("job.check")
        .layer(service_fn(
            move |_request: axum::http::Request<()>| async move {
                body(ends).map(|()| axum::http::Response::new(()))
            },
        ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _ = runtime.block_on(service.oneshot(axum::http::Request::new(())));
}

fn by_hand(ends: Ends) {
    let job = Collector::builder()
        .name("job")
        .timing()
        .outcome()
        .service_check("job.check")
        .build();
    // A panic drops `job` while unwinding: it ends `panic`.
    let result = {
        let _current = job.enter();
        body(ends)
    };
    match result {
        Ok(()) => job.end(Outcome::Ok),
        Err(error) => job.end_with(Outcome::Error, error),
    }
}

/// What an execution sent, names aside: each metric line as its kind and
/// tags, each check as its status and message.
fn shape(lines: &[Line]) -> Vec<String> {
    let mut shape: Vec<String> = lines
        .iter()
        .map(|line| match line.as_str().strip_prefix("_sc|") {
            Some(check) => {
                // `<name>|<status>|<fields>`: the name aside.
                let (_, rest) = check.split_once('|').unwrap();
                format!("check {rest}")
            }
            None => format!("{} {:?}", line.kind(), line.tags()),
        })
        .collect();
    shape.sort();
    shape
}

fn run(how: &str, ends: Ends) -> Vec<Line> {
    let subscriber = tracing_subscriber::registry()
        .with(SpanCollectorLayer::new().timing().outcome().service_check());
    tracing::subscriber::with_default(subscriber, || {
        let ((), lines) = testing::capture(|| {
            let _ = catch_unwind(AssertUnwindSafe(|| match how {
                "attribute" => drop(by_attribute(ends)),
                "tower" => by_tower(ends),
                "tracing" => drop(by_span(ends)),
                _ => by_hand(ends),
            }));
        });
        lines
    })
}

#[test]
fn the_same_body_ends_the_same_way_whichever_way_it_runs() {
    let expected = |outcome: &str, check: (&str, &str)| {
        let mut lines = vec![
            format!("c [\"outcome:{outcome}\"]"),
            format!("ms [\"outcome:{outcome}\"]"),
            format!("check {}|#outcome:{outcome}{}", check.0, check.1),
        ];
        lines.sort();
        lines
    };
    for (ends, outcome, check) in [
        (Ends::Ok, "ok", ("0", "")),
        (Ends::Error, "error", ("2", "|m:disk full")),
        (Ends::Panic, "panic", ("2", "|m:panicked: lost the lock")),
    ] {
        for how in ["attribute", "tower", "tracing", "by hand"] {
            let lines = run(how, ends);
            assert_eq!(
                shape(&lines),
                expected(outcome, check),
                "{how}, {ends:?}: {lines:?}"
            );
        }
    }
}

#[test]
fn an_instrumented_err_is_an_error_on_every_line_with_a_critical_check() {
    #[tracing::instrument(fields(collect_metrics), err)]
    fn import(rows: u32) -> Result<u32, String> {
        incr("import.started", ());
        collector_runtime::count("import.rows", rows, ());
        if rows == 0 {
            return Err("empty file".to_owned());
        }
        Ok(rows)
    }

    let layer = SpanCollectorLayer::new()
        .outcome()
        .service_check()
        .tag_fields::<&str>([]);
    let subscriber = tracing_subscriber::registry().with(layer);
    let ((), lines) = tracing::subscriber::with_default(subscriber, || {
        testing::capture(|| {
            let _ = import(0);
            let _ = import(3);
        })
    });
    let lines: Vec<&str> = lines.iter().map(Line::as_str).collect();
    assert_eq!(
        lines,
        [
            "import.started:1|c|#outcome:error",
            "import.rows:0|c|#outcome:error",
            "_sc|import|2|#outcome:error|m:empty file",
            "import.started:1|c|#outcome:ok",
            "import.rows:3|c|#outcome:ok",
            "_sc|import|0|#outcome:ok",
        ]
    );
}

#[test]
fn an_error_level_log_line_without_an_error_field_leaves_the_span_ok() {
    #[tracing::instrument(fields(collect_metrics))]
    fn retry() {
        tracing::error!(attempt = 1, "upstream refused, retrying");
        incr("retried", ());
    }

    let subscriber = tracing_subscriber::registry().with(SpanCollectorLayer::new().outcome());
    let ((), lines) = tracing::subscriber::with_default(subscriber, || testing::capture(retry));
    assert_eq!(lines, ["retried:1|c|#outcome:ok"]);
}

#[test]
fn flushing_an_executions_handle_says_it_sent_nothing() {
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let errors = std::sync::Arc::clone(&seen);
    let ((), lines) = testing::capture(|| {
        let job = Collector::builder()
            .outcome()
            .error_handler(move |error| errors.lock().unwrap().push(error.to_string()))
            .build();
        job.incr("rows", ());
        assert_eq!(job.flush().series_sent, 0);
        job.end(Outcome::Ok);
    });
    assert_eq!(lines, ["rows:1|c|#outcome:ok"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].starts_with("flush() sent nothing"), "{seen:?}");
}

#[test]
fn a_handle_cannot_end_an_execution_started_elsewhere() {
    #[collect_metrics(name = "job", outcome)]
    fn job() {
        let handle = Collector::current().unwrap();
        handle.incr("rows", ());
        handle.end(Outcome::Error);
        incr("rows", ());
    }

    let ((), lines) = testing::capture(job);
    assert_eq!(lines, ["rows:2|c|#outcome:ok"]);
}

/// Released by the test once the client has its response: the task the
/// handler spawned records only then.
static AFTER_RESPONSE: Mutex<Vec<tokio::sync::oneshot::Sender<()>>> = Mutex::new(Vec::new());

/// Records before the response and hands its collector to two tasks that
/// record after it, the same series among them.
async fn handler() -> &'static str {
    incr("work", [("step", "shared")]);
    incr("handler.only", ());
    for _ in 0..2 {
        let (release, released) = tokio::sync::oneshot::channel();
        AFTER_RESPONSE.lock().unwrap().push(release);
        let later = async move {
            let _ = released.await;
            incr("work", [("step", "shared")]);
            incr("task.only", ());
        };
        tokio::spawn(later.in_current_collector());
    }
    "ok"
}

#[collect_metrics(client = CLIENT.get().unwrap().clone())]
async fn annotated_handler() -> &'static str {
    handler().await
}

static CLIENT: std::sync::OnceLock<collector_runtime::Client> = std::sync::OnceLock::new();

/// The lines one request sent, each with the datagram it came in.
fn request_lines(
    receiver: &UdpReceiver,
    server: std::net::SocketAddr,
    path: &str,
) -> Vec<(usize, String)> {
    assert_eq!(request(server, "GET", path, ""), 200);
    // The response is out: only now may the tasks record.
    for release in AFTER_RESPONSE.lock().unwrap().drain(..) {
        let _ = release.send(());
    }
    let datagrams = receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(500));
    let mut lines = Vec::new();
    for (at, datagram) in datagrams.iter().enumerate() {
        for line in parse_datagram(datagram).unwrap() {
            let mut tags = line.tags.clone();
            tags.sort();
            lines.push((
                at,
                format!("{}:{}|{} {tags:?}", line.name, line.value, line.kind),
            ));
        }
    }
    lines.sort();
    lines
}

#[test]
fn work_that_outlives_the_response_is_sent_with_the_request_once() {
    let receiver = UdpReceiver::bind_with_buffer(1 << 20);
    let _ = CLIENT.set(receiver.client());
    let layer = request_layer(receiver.client());
    let app = Router::new()
        .route("/layer", get(handler))
        .layer(layer)
        .route("/annotated", get(annotated_handler));
    let (server, _runtime) = serve(app);

    let tags = r#"["method:GET", "route:/layer", "status:200"]"#;
    let with_step = r#"["method:GET", "route:/layer", "status:200", "step:shared"]"#;
    let layered = request_lines(&receiver, server, "/layer");
    assert_eq!(
        layered,
        [
            (0, format!("handler.only:1|c {tags}")),
            (0, format!("task.only:2|c {tags}")),
            (0, format!("work:3|c {with_step}")),
        ],
        "one flush, every line with method, route and status, no series twice"
    );

    let annotated = request_lines(&receiver, server, "/annotated");
    assert_eq!(
        annotated,
        [
            (0, "handler.only:1|c []".to_owned()),
            (0, "task.only:2|c []".to_owned()),
            (0, r#"work:3|c ["step:shared"]"#.to_owned()),
        ],
        "the same handler annotated sends the same lines"
    );
}
